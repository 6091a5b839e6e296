/*
 * test_wipe_cert.c — the text form of a certificate (src/wipe/cert.c): a
 * FAILED one says why on its first line, every pass is listed as it went
 * (not reached ones too), and what was not given is a line to fill in by
 * hand.  The media type comes from the device's identity (flash memory
 * only on an SD/MMC host), and --force is said with what it overrode.
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

/* Which bytes of a loop device's file it is: the whole file only when
 * that is all of it (offset, size limit, a partition's start). */
static void
test_loop_span(void **state)
{
	static const struct {
		const char *ident;
		const char *span;
	} cases[] = {
		{ "{\"transport\":\"loop\",\"size\":8388608,\"loop\":{\"backing_file\":\"/f\","
		  "\"offset\":0,\"backing_size\":8388608}}", "the whole of that file" },
		{ "{\"transport\":\"loop\",\"size\":4194304,\"loop\":{\"backing_file\":\"/f\","
		  "\"offset\":1048576,\"sizelimit\":4194304,\"backing_size\":8388608}}",
		  "bytes 1048576 to 5242879 of that file (4194304 of its 8388608 bytes; the rest of it "
		  "was not written)" },
		{ "{\"transport\":\"loop\",\"size\":7340032,\"partition_number\":1,"
		  "\"partition_start\":1048576,\"loop\":{\"backing_file\":\"/f\",\"offset\":0,"
		  "\"backing_size\":8388608}}",
		  "bytes 1048576 to 8388607 of that file (7340032 of its 8388608 bytes; the rest of it "
		  "was not written)" },
		/* offset 0 but the file is longer than the device (a size limit) */
		{ "{\"transport\":\"loop\",\"size\":4194304,\"loop\":{\"backing_file\":\"/f\","
		  "\"offset\":0,\"backing_size\":8388608}}",
		  "bytes 0 to 4194303 of that file (4194304 of its 8388608 bytes; the rest of it was not "
		  "written)" },
		/* the file's size not known (a block device, a file gone) */
		{ "{\"transport\":\"loop\",\"size\":4194304,\"loop\":{\"backing_file\":\"/f\","
		  "\"offset\":0,\"backing_size\":null}}",
		  "bytes 0 to 4194303 of that file (its size not known)" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *id = json_tokener_parse(cases[i].ident);
		struct wipe_media_type t;

		assert_non_null(id);
		wipe_media_kind(id, &t);
		assert_int_equal(t.kind, WIPE_MEDIA_LOOP);
		assert_string_equal(t.span, cases[i].span);
		json_object_put(id);
	}
}

/* The media type of each kind of identity. */
static void
test_media_kind(void **state)
{
	static const struct {
		const char *ident;
		enum wipe_media kind;
		const char *type;
	} cases[] = {
		{ "{\"transport\":\"mmc\",\"sd\":{\"type\":\"SD\"}}", WIPE_MEDIA_SD,
		  "flash memory: SD card in an SD/MMC slot" },
		{ "{\"transport\":\"mmc\",\"sd\":{\"type\":\"MMC\"}}", WIPE_MEDIA_MMC,
		  "flash memory: MMC device in an SD/MMC slot (MMC or eMMC, not an SD card)" },
		{ "{\"transport\":\"mmc\",\"sd\":null}", WIPE_MEDIA_MMC,
		  "flash memory: SD/MMC device in an SD/MMC slot (its type not visible)" },
		{ "{\"transport\":\"loop\",\"loop\":{\"backing_file\":\"/dev/shm/c.img\"}}",
		  WIPE_MEDIA_LOOP, "not known to the host: loop device over the file '/dev/shm/c.img'" },
		{ "{\"transport\":\"usb\",\"removable\":true,\"usb\":{\"vendor_id\":\"0bda\"}}",
		  WIPE_MEDIA_OTHER, "not known to the host: USB mass storage: a card reader or a USB drive" },
		{ "{\"transport\":\"sata\"}", WIPE_MEDIA_OTHER,
		  "not known to the host: block device, transport sata" },
		{ "{\"transport\":null}", WIPE_MEDIA_OTHER,
		  "not known to the host: block device, transport not known" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *id = json_tokener_parse(cases[i].ident);
		struct wipe_media_type t;

		assert_non_null(id);
		wipe_media_kind(id, &t);
		assert_int_equal(t.kind, cases[i].kind);
		assert_string_equal(t.type, cases[i].type);
		/* flash memory only where the SD/MMC host says so */
		if (cases[i].kind == WIPE_MEDIA_SD || cases[i].kind == WIPE_MEDIA_MMC)
			assert_string_equal(t.technology, "flash memory");
		else
			assert_null(t.technology);
		json_object_put(id);
	}
}

/* --force: given or not, and each refusal it overrode. */
static void
test_force(void **state)
{
	struct json_object *c = json_tokener_parse(failed), *over = json_object_new_array();
	char *t;

	(void)state;
	t = wipe_cert_text(c);
	assert_null(strstr(t, "Safety checks:"));	/* an older certificate says nothing */
	free(t);
	json_object_object_add(c, "force", json_object_new_boolean(0));
	t = wipe_cert_text(c);
	assert_non_null(strstr(t, "\n  Safety checks:  passed (no --force)\n  Imaged first:"));
	free(t);
	json_object_object_add(c, "force", json_object_new_boolean(1));
	json_object_object_add(c, "force_overrode", over);
	t = wipe_cert_text(c);
	assert_non_null(strstr(t, "\n  Safety checks:  --force given; it overrode no refusal (the checks "
			       "passed without it)\n"));
	free(t);
	json_object_array_add(over, json_object_new_string("'/dev/sdb1' is a partition: name the whole "
							   "card (or --force)"));
	json_object_array_add(over, json_object_new_string("'/dev/sdb' is not a removable card"));
	t = wipe_cert_text(c);
	assert_non_null(strstr(t, "\n  Safety checks:  --force overrode the refusal: '/dev/sdb1' is a "
			       "partition: name the whole card (or --force)\n                  and: "
			       "'/dev/sdb' is not a removable card\n"));
	free(t);
	json_object_put(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed),
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_media_kind),
		cmocka_unit_test(test_loop_span),
		cmocka_unit_test(test_force),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
