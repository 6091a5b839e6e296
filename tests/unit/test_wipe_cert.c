/*
 * test_wipe_cert.c — the text form of a certificate (src/wipe/cert.c): a
 * FAILED one says why on its first line, every pass is listed as it went
 * (not reached ones too), and what was not given is a line to fill in by
 * hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "wipe/internal.h"

static const char *failed =
	"{\"result\":\"FAILED: write error\",\"examiner\":\"alice\",\"host\":\"vm\",\"organization\":null,"
	"\"media\":{\"capacity\":16777216},\"method\":{\"name\":\"dod3\",\"label\":\"x\",\"passes\":3},"
	"\"passes\":["
	"{\"pass\":1,\"pattern\":\"0x00\",\"written\":false,\"bytes_written\":5242880,\"bytes_read_back\":0,"
	"\"verified\":\"not read back: the run stopped\",\"write_error\":\"Input/output error\","
	"\"write_error_offset\":5242880},"
	"{\"pass\":2,\"pattern\":\"0xff\",\"verified\":\"not reached\",\"bytes_written\":0},"
	"{\"pass\":3,\"pattern\":\"random\",\"verified\":\"not reached\",\"bytes_written\":0}],"
	"\"errors\":\"write error in pass 1 at offset 5242880: Input/output error\","
	"\"validation\":{\"name\":null}}";

static int
count(const char *text, const char *needle)
{
	int n = 0;

	for (; (text = strstr(text, needle)) != NULL; text++)
		n++;
	return n;
}

static void
test_failed(void **state)
{
	struct json_object *c = json_tokener_parse(failed);
	char *t = wipe_cert_text(c);

	(void)state;
	assert_non_null(t);
	assert_true(!strncmp(t, "CERTIFICATE OF SANITIZATION: FAILED: write error (write error in pass 1 "
			     "at offset 5242880: Input/output error)\n", 104));
	assert_non_null(strstr(t, "  Method used:    dod3 (x), 3 passes\n"));
	assert_non_null(strstr(t, "    pass 1   0x00         5242880 of 16777216 bytes written; read back: "
			       "0 bytes, not read back: the run stopped; write error at offset 5242880: "
			       "Input/output error\n"));
	assert_non_null(strstr(t, "    pass 2   0xff         not reached\n"));
	assert_non_null(strstr(t, "    pass 3   random       not reached\n"));
	assert_null(strstr(t, "per pass"));
	/* organization, both signatures and dates, the validator and his
	 * organization: blank to fill in */
	assert_int_equal(count(t, "______________________________\n"), 7);
	assert_non_null(strstr(t, "\nValidation\n  Name:           ______________________________\n"));
	free(t);
	json_object_put(c);
}

static void
test_named(void **state)
{
	struct json_object *c = json_tokener_parse(failed);
	char *t;

	(void)state;
	json_object_object_add(c, "result", json_object_new_string("VERIFIED"));
	json_object_object_add(c, "organization", json_object_new_string("Drone Unit"));
	json_object_object_add(json_object_object_get(c, "validation"), "name", json_object_new_string("Bob"));
	t = wipe_cert_text(c);
	assert_true(!strncmp(t, "CERTIFICATE OF SANITIZATION: VERIFIED\n", 38));
	assert_non_null(strstr(t, "  Organization:   Drone Unit\n"));
	assert_non_null(strstr(t, "\nValidation\n  Name:           Bob\n"));
	assert_int_equal(count(t, "______________________________\n"), 5);
	free(t);
	json_object_put(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed),
		cmocka_unit_test(test_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
