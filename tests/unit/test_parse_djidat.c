/*
 * test_parse_djidat.c — the DJI FLY###.DAT identifier (djidat.c): V1, V3
 * and encrypted headers, garbage and truncation.  Records are not decoded
 * (see djidat.c), so every parse returns 1 with a warning.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "parse_test.h"


static int
parse(const unsigned char *buf, size_t len, struct ct_flight *f)
{
	return pt_parse(ct_djidat_parse, "dji-dat", buf, len, "FLY001.DAT", f);
}

static void
kind(const unsigned char *h, size_t n, const char *ver, const char *build)
{
	struct ct_flight f;
	const char *b;

	assert_true(ct_djidat_probe("FLY001.DAT", h, n) >= 90);
	assert_int_equal(parse(h, n, &f), 1);
	assert_string_equal(ct_flight_get_fact(&f, "log_version"), ver);
	b = ct_flight_get_fact(&f, "build");
	if (build)
		assert_string_equal(b, build);
	else
		assert_null(b);
	assert_int_equal(f.npts, 0);
	assert_int_equal(f.nwarnings, 1);
	ct_flight_release(&f);
}

static void
test_kinds(void **state)
{
	unsigned char h[512];

	(void)state;
	memset(h, 0, sizeof(h));
	memcpy(h + 16, "BUILD 2016.01.14 15:54:53\x01junk", 30);
	kind(h, sizeof(h), "V1", "BUILD 2016.01.14 15:54:53");
	memcpy(h + 242, "DJI_LOG_V3", 10);
	kind(h, sizeof(h), "V3", "BUILD 2016.01.14 15:54:53");
	memset(h, 0, sizeof(h));
	memcpy(h, "LOGH", 4);
	kind(h, sizeof(h), "encrypted (LOGH)", NULL);
}

static void
test_garbage_and_truncation(void **state)
{
	unsigned char h[300];
	struct ct_flight f;
	size_t n;

	(void)state;
	memset(h, 0xA5, sizeof(h));
	assert_int_equal(ct_djidat_probe("notes.txt", h, sizeof(h)), 0);
	assert_int_equal(parse(h, sizeof(h), &f), 1);
	assert_true(f.nwarnings == 1 && strstr(f.warnings[0], "offset 0:") != NULL);
	ct_flight_release(&f);
	memset(h, 0, sizeof(h));
	memcpy(h + 242, "DJI_LOG_V3", 10);
	for (n = 0; n <= sizeof(h); n++) {
		assert_int_equal(parse(h, n, &f), 1);
		assert_int_equal(f.nwarnings, 1);
		ct_flight_release(&f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_garbage_and_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
