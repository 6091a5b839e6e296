/*
 * test_station_policy.c — the station's policy file (src/station/policy.c):
 * the safe defaults, every key, the errors with their line, the checks of
 * the whole (steps in order, a wipe only after an image read back twice).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/hash.h"
#include "cardtrail/image.h"
#include "cardtrail/report.h"
#include "cardtrail/station.h"
#include "cardtrail/wipe.h"

/* Parse text over the defaults: its result, the policy in *p, err. */
static int
parse(const char *text, struct ct_station_policy *p, char *err, size_t len)
{
	ct_station_policy_init(p);
	err[0] = '\0';
	return ct_station_policy_parse(text, strlen(text), "t.conf", p, err, len);
}

/* Expect text to be refused with exactly the message want. */
static void
expect_error(const char *text, const char *want)
{
	struct ct_station_policy p;
	char err[1024];
	int rc = parse(text, &p, err, sizeof(err));

	if (rc != -EINVAL)
		fail_msg("policy \"%s\": returned %d, expected -EINVAL", text, rc);
	if (strcmp(err, want))
		fail_msg("policy \"%s\":\n  error    '%s'\n  expected '%s'", text, err, want);
}

static void
test_defaults_are_safe(void **state)
{
	struct ct_station_policy p;

	(void)state;
	ct_station_policy_init(&p);
	/* no wipe unless a policy names it */
	assert_int_equal(p.nsteps, 3);
	assert_int_equal(p.steps[0], CT_STEP_IMAGE);
	assert_int_equal(p.steps[1], CT_STEP_EXTRACT);
	assert_int_equal(p.steps[2], CT_STEP_REPORT);
	assert_false(ct_station_policy_has(&p, CT_STEP_WIPE));
	assert_int_equal(p.admit, CT_ADMIT_SD | CT_ADMIT_USB | CT_ADMIT_REMOVABLE);
	assert_int_equal(p.duplicate, CT_DUP_SKIP);
	assert_int_equal(p.image_verify, CT_VERIFY_IMAGE | CT_VERIFY_SOURCE);
	assert_int_equal(p.wipe_damaged, 0);
	assert_string_equal(p.wipe_method, "nist-clear");
	assert_int_equal(p.wipe_verify, CT_WIPE_VERIFY_ALL);
	assert_int_equal(p.wipe_match, CT_WIPE_MATCH_SAMPLED);
	assert_int_equal(p.min_size, 1u << 20);
	assert_int_equal(p.max_size, 2ULL << 40);
	assert_int_equal(p.image_hashes, 1u << ct_hash_lookup("sha256"));
}

static void
test_every_key(void **state)
{
	struct ct_station_policy p;
	char err[1024];
	const char *text =
		"# a station for the patrol unit\n"
		"steps = image, extract, wipe, format, report\n"
		"admit = sd,usb\n"
		"min-size = 8M\n"
		"max-size = 256G   # SDXC of the fleet\n"
		"duplicate = process\n"
		"image.format = e01\n"
		"image.compress = fast\n"
		"image.hash = md5, sha1\n"
		"image.hash-window = 0\n"
		"image.split = 1G\n"
		"image.verify = both\n"
		"image.retries = 5\n"
		"extract.carve = no\n"
		"wipe.method = custom:0x5a,random\n"
		"wipe.verify = last\n"
		"wipe.match = full\n"
		"wipe.damaged = yes\n"
		"wipe.discard = yes\n"
		"format.fs = exfat\n"
		"format.label = DRONE_01\n"
		"report.format = pdf\n"
		"case-number = 2026-17 #2\n"
		"examiner = Alice Example\n"
		"\t sign-key =  /etc/cardtrail/key  \r\n";

	(void)state;
	if (parse(text, &p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(p.nsteps, 5);
	assert_int_equal(p.steps[3], CT_STEP_FORMAT);
	assert_int_equal(p.admit, CT_ADMIT_SD | CT_ADMIT_USB);
	assert_int_equal(p.min_size, 8u << 20);
	assert_int_equal(p.max_size, 256ULL << 30);
	assert_int_equal(p.duplicate, CT_DUP_PROCESS);
	assert_string_equal(p.image_format, "e01");
	assert_string_equal(p.image_compress, "fast");
	assert_int_equal(p.image_hashes, 1u << ct_hash_lookup("md5") | 1u << ct_hash_lookup("sha1"));
	assert_int_equal(p.image_window, 0);
	assert_int_equal(p.image_window_given, 1);
	assert_int_equal(p.image_split, 1ULL << 30);
	assert_int_equal(p.image_retries, 5);
	assert_int_equal(p.extract_carve, 0);
	assert_string_equal(p.wipe_method, "custom:0x5a,random");
	assert_int_equal(p.wipe_verify, CT_WIPE_VERIFY_LAST);
	assert_int_equal(p.wipe_match, CT_WIPE_MATCH_FULL);
	assert_int_equal(p.wipe_damaged, 1);
	assert_int_equal(p.wipe_discard, 1);
	assert_string_equal(p.format_fs, "exfat");
	assert_string_equal(p.format_label, "DRONE_01");
	assert_int_equal(p.report_formats, CT_REPORT_PDF);
	/* '#' is a comment only at the start or after a blank */
	assert_string_equal(p.case_number, "2026-17");
	assert_string_equal(p.examiner, "Alice Example");
	assert_string_equal(p.sign_key, "/etc/cardtrail/key");
}

static void
test_empty_file_keeps_defaults(void **state)
{
	struct ct_station_policy p, d;
	char err[1024];

	(void)state;
	ct_station_policy_init(&d);
	assert_int_equal(parse("", &p, err, sizeof(err)), 0);
	assert_memory_equal(&p, &d, sizeof(p));
	assert_int_equal(parse("\n# nothing\n   \n\t# still nothing\n", &p, err, sizeof(err)), 0);
	assert_memory_equal(&p, &d, sizeof(p));
}

static void
test_syntax_errors_name_the_line(void **state)
{
	(void)state;
	expect_error("steps = image\nwipe.method dod3\n",
		     "t.conf:2: expected 'key = value', not 'wipe.method dod3'");
	expect_error("\n\nwipe.methd = dod3\n", "t.conf:3: unknown key 'wipe.methd' (see station(5))");
	expect_error("duplicate = skip\nduplicate = process\n",
		     "t.conf:2: 'duplicate' is given twice (first on line 1)");
	expect_error("examiner =\n", "t.conf:1: 'examiner' has no value");
	expect_error("examiner = # nobody\n", "t.conf:1: 'examiner' has no value");
	{
		/* a binary file given as the policy */
		static const char bin[] = "steps = image\0wipe\n";
		struct ct_station_policy p;
		char err[1024];

		ct_station_policy_init(&p);
		assert_int_equal(ct_station_policy_parse(bin, sizeof(bin) - 1, "t.conf", &p, err,
							 sizeof(err)), -EINVAL);
		assert_string_equal(err, "t.conf:1: a NUL byte: not a text file");
	}
	{
		/* a line longer than the reader takes is refused, not split */
		char big[1100];
		struct ct_station_policy p;
		char err[1024];

		memset(big, 'x', sizeof(big));
		memcpy(big, "examiner = ", 11);
		big[sizeof(big) - 1] = '\0';
		ct_station_policy_init(&p);
		assert_int_equal(ct_station_policy_parse(big, strlen(big), "t.conf", &p, err,
							 sizeof(err)), -EINVAL);
		assert_string_equal(err, "t.conf:1: line longer than 1023 bytes");
	}
}

static void
test_bad_values(void **state)
{
	(void)state;
	expect_error("steps = image, scan", "t.conf:1: steps: 'scan' is not a step (image, extract, "
		     "wipe, format, report)");
	expect_error("steps = image, image", "t.conf:1: steps: the step 'image' is named twice");
	expect_error("steps = image,,report", "t.conf:1: steps: an empty item in the list "
		     "'image,,report'");
	expect_error("admit = sd, floppy", "t.conf:1: admit: 'floppy' is not sd, usb, removable or none");
	expect_error("min-size = lots", "t.conf:1: min-size: 'lots' is not a size (512, 4k, 2G, 0)");
	expect_error("max-size = 0", "t.conf:1: max-size: '0' is not a size (512, 4k, 2G)");
	expect_error("duplicate = ask", "t.conf:1: duplicate: 'ask' is not skip or process");
	expect_error("image.format = aff4", "t.conf:1: image.format: 'aff4' is not raw or e01");
	expect_error("image.hash = crc32", "t.conf:1: image.hash: 'crc32' is not a list of md5, sha1, "
		     "sha256, sha512");
	expect_error("image.split = 1000", "t.conf:1: image.split: '1000' is not a size in whole "
		     "512-byte sectors");
	expect_error("image.verify = twice", "t.conf:1: image.verify: 'twice' is not none, image, "
		     "source or both");
	expect_error("image.retries = 101", "t.conf:1: image.retries: '101' is not a number from 0 "
		     "to 100");
	expect_error("extract.carve = maybe", "t.conf:1: extract.carve: 'maybe' is not yes or no");
	expect_error("wipe.method = shred", "t.conf:1: wipe.method: unknown method 'shred' (see "
		     "--list-methods)");
	expect_error("wipe.verify = some", "t.conf:1: wipe.verify: 'some' is not all, last or none");
	expect_error("wipe.match = half", "t.conf:1: wipe.match: 'half' is not sampled or full");
	expect_error("format.fs = ntfs", "t.conf:1: format.fs: 'ntfs' is not auto, fat32 or exfat");
	expect_error("format.label = drone", "t.conf:1: format.label: 'drone' is not a label of A-Z, "
		     "0-9, '_' and '-'");
	expect_error("format.label = ABCDEFGHIJKL", "t.conf:1: format.label: 'ABCDEFGHIJKL' is not a "
		     "label of at most 11 characters");
	expect_error("report.format = docx", "t.conf:1: report.format: 'docx' is not html, pdf or both");
	expect_error("examiner = a\tb", "t.conf:1: examiner: 'a\tb' is not text without control "
		     "characters");
}

static void
test_the_whole_is_checked(void **state)
{
	(void)state;
	expect_error("steps = extract, image", "t.conf: steps: 'image' cannot come after 'extract' "
		     "(the order is image, extract, wipe, format, report)");
	expect_error("steps = image, report, wipe", "t.conf: steps: 'wipe' cannot come after "
		     "'report' (the order is image, extract, wipe, format, report)");
	expect_error("steps = image, format", "t.conf: steps: 'format' comes with 'wipe' (the wipe "
		     "lays the filesystem down after its last pass is read back)");
	expect_error("steps = extract, report", "t.conf: steps: the chain starts with 'image' (or, "
		     "for cards imaged before, 'wipe')");
	/* a card is wiped only after its image and the card were read back */
	expect_error("steps = image, wipe\nimage.verify = image",
		     "t.conf: image.verify: a chain that wipes reads the image and the card back "
		     "first: 'both'");
	expect_error("image.compress = best", "t.conf: image.compress: for image.format = e01");
	expect_error("min-size = 2G\nmax-size = 1G", "t.conf: min-size is larger than max-size");
	expect_error("format.label = DRONE", "t.conf: format.label: the steps have no 'format'");
}

static void
test_wipe_only_chain(void **state)
{
	struct ct_station_policy p;
	char err[1024];

	(void)state;
	/* cards imaged before, by identity: the station finds their case */
	assert_int_equal(parse("steps = wipe, format, report\nimage.verify = none", &p, err,
			       sizeof(err)), 0);
	assert_int_equal(p.nsteps, 3);
	assert_true(ct_station_policy_has(&p, CT_STEP_WIPE));
	assert_false(ct_station_policy_has(&p, CT_STEP_IMAGE));
}

static void
test_json_round_trip(void **state)
{
	struct ct_station_policy p;
	struct json_object *j;
	char err[1024];

	(void)state;
	assert_int_equal(parse("steps = image, wipe\nimage.hash = md5\nformat.fs = fat32\n", &p, err,
			       sizeof(err)), 0);
	j = ct_station_policy_json(&p);
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(j, "steps"),
							   JSON_C_TO_STRING_PLAIN), "[\"image\",\"wipe\"]");
	/* sha256 is always computed: the policy says so */
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(j, "image.hash"),
							   JSON_C_TO_STRING_PLAIN), "[\"md5\",\"sha256\"]");
	assert_string_equal(json_object_get_string(json_object_object_get(j, "duplicate")), "skip");
	json_object_put(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_safe),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_empty_file_keeps_defaults),
		cmocka_unit_test(test_syntax_errors_name_the_line),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_the_whole_is_checked),
		cmocka_unit_test(test_wipe_only_chain),
		cmocka_unit_test(test_json_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
