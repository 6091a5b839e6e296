/*
 * test_size.c — ct_parse_size, ct_human_size, ct_time_utc, ct_hex,
 * ct_esc_ctl (src/util/util.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include "cardtrail/util.h"

/* Parse s, expect success and the value want. */
static void
expect_size(const char *s, int allow_zero, uint64_t want)
{
	uint64_t v = 0xdeadbeefULL;
	int rc = ct_parse_size(s, &v, allow_zero);

	if (rc != 0)
		fail_msg("ct_parse_size(\"%s\", %d) returned %d, expected 0", s, allow_zero, rc);
	if (v != want)
		fail_msg("ct_parse_size(\"%s\") = %llu, expected %llu", s,
			 (unsigned long long)v, (unsigned long long)want);
}

/* Parse s, expect the error err and *out untouched. */
static void
expect_size_err(const char *s, int allow_zero, int err)
{
	uint64_t v = 0xdeadbeefULL;
	int rc = ct_parse_size(s, &v, allow_zero);

	if (rc != err)
		fail_msg("ct_parse_size(\"%s\", %d) returned %d, expected %d", s, allow_zero, rc,
			 err);
	assert_int_equal(v, 0xdeadbeefULL);
}

static void
test_parse_size_plain(void **state)
{
	(void)state;
	expect_size("512", 0, 512);
	expect_size("1", 0, 1);
	expect_size("1048576", 0, 1048576);
	expect_size("512b", 0, 512);
	expect_size("512B", 0, 512);
}

static void
test_parse_size_binary_suffixes(void **state)
{
	(void)state;
	expect_size("4k", 0, 4096);
	expect_size("4K", 0, 4096);
	expect_size("4KiB", 0, 4096);
	expect_size("4kib", 0, 4096);
	expect_size("256MiB", 0, 256ULL << 20);
	expect_size("256M", 0, 256ULL << 20);
	expect_size("2G", 0, 2ULL << 30);
	expect_size("1.5GiB", 0, 1610612736ULL);
	expect_size("3T", 0, 3ULL << 40);
	expect_size("1P", 0, 1ULL << 50);
	expect_size("0.5k", 0, 512);
	expect_size(".5k", 0, 512);
}

static void
test_parse_size_decimal_suffixes(void **state)
{
	(void)state;
	expect_size("1KB", 0, 1000);
	expect_size("1kb", 0, 1000);
	expect_size("5MB", 0, 5000000ULL);
	expect_size("1.5GB", 0, 1500000000ULL);
	expect_size("2TB", 0, 2000000000000ULL);
	expect_size("1PB", 0, 1000000000000000ULL);
}

static void
test_parse_size_sectors(void **state)
{
	(void)state;
	expect_size("3s", 0, 1536);
	expect_size("1S", 0, 512);
	expect_size("0.5s", 0, 256);
}

static void
test_parse_size_zero(void **state)
{
	(void)state;
	expect_size_err("0", 0, -ERANGE);
	expect_size_err("0k", 0, -ERANGE);
	expect_size("0", 1, 0);
	expect_size("0k", 1, 0);
}

static void
test_parse_size_syntax_errors(void **state)
{
	(void)state;
	expect_size_err("", 0, -EINVAL);
	expect_size_err("", 1, -EINVAL);
	expect_size_err("k", 0, -EINVAL);
	expect_size_err("KiB", 0, -EINVAL);
	expect_size_err("12q", 0, -EINVAL);
	expect_size_err("-1", 0, -EINVAL);
	expect_size_err("+1", 0, -EINVAL);
	expect_size_err("1.5.3", 0, -EINVAL);
	expect_size_err(".", 0, -EINVAL);
	expect_size_err("4 k", 0, -EINVAL);
	expect_size_err(" 4k", 0, -EINVAL);
	expect_size_err("4kk", 0, -EINVAL);
	expect_size_err("4kibibytes", 0, -EINVAL);
	expect_size_err("4Kib ", 0, -EINVAL);
	assert_int_equal(ct_parse_size(NULL, &(uint64_t){ 0 }, 0), -EINVAL);
}

static void
test_parse_size_overflow(void **state)
{
	(void)state;
	expect_size_err("99999999999999999999", 0, -ERANGE);
	expect_size_err("99999999999999999999", 1, -ERANGE);
	expect_size_err("17000000P", 0, -ERANGE);
	expect_size_err("16384P", 0, -ERANGE);	/* exactly 2^64 */
	expect_size_err("18446744073709551616", 0, -ERANGE);	/* 2^64 */
	expect_size_err("18446744073709551615k", 0, -ERANGE);
	/* largest multiples that still fit */
	expect_size("16383P", 0, 16383ULL << 50);
	expect_size("16383.5P", 0, (16383ULL << 50) + (1ULL << 49));
	expect_size("18446744073709551609", 0, 18446744073709551609ULL);
}

/*
 * UINT64_MAX itself is representable, so it is not an overflow (util.h:
 * "-ERANGE (overflow ...)").
 */
static void
test_parse_size_uint64_max(void **state)
{
	(void)state;
	expect_size("18446744073709551615", 0, UINT64_MAX);
	expect_size("18446744073709551610", 0, 18446744073709551610ULL);
}

static void
test_human_size(void **state)
{
	static const struct {
		uint64_t n;
		const char *want;
	} v[] = {
		{ 0, "0 bytes" },
		{ 1, "1 bytes" },
		{ 1023, "1023 bytes" },
		{ 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" },
		{ 256ULL << 20, "256.0 MiB" },
		{ 1610612736ULL, "1.5 GiB" },
		{ 64000000000ULL, "59.6 GiB" },
		{ 3ULL << 40, "3.0 TiB" },
		{ 1ULL << 50, "1.0 PiB" },
		{ 2048ULL << 50, "2048.0 PiB" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < CT_ARRAY_SIZE(v); i++) {
		memset(buf, 'x', sizeof(buf));
		ct_human_size(v[i].n, buf, sizeof(buf));
		assert_string_equal(buf, v[i].want);
	}
	/* always NUL-terminated, even when truncated */
	memset(buf, 'x', sizeof(buf));
	ct_human_size(1610612736ULL, buf, 5);
	assert_string_equal(buf, "1.5 ");
	assert_int_equal(buf[5], 'x');
	memset(buf, 'x', sizeof(buf));
	ct_human_size(100, buf, 3);
	assert_string_equal(buf, "10");
}

static void
test_time_utc(void **state)
{
	char buf[64];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	ct_time_utc(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	ct_time_utc(1700000000, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20Z");
	ct_time_utc((time_t)4102444799LL, buf, sizeof(buf));
	assert_string_equal(buf, "2099-12-31T23:59:59Z");
	/* the documented minimum buffer is enough */
	memset(buf, 'x', sizeof(buf));
	ct_time_utc(951782400, buf, 21);	/* leap day 2000 */
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	assert_int_equal(strlen(buf), 20);
}

static void
test_hex(void **state)
{
	static const unsigned char d[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff };
	char out[2 * sizeof(d) + 1 + 4];

	(void)state;
	memset(out, 'x', sizeof(out));
	ct_hex(d, sizeof(d), out);
	assert_string_equal(out, "00017f80abcdefff");
	assert_int_equal(out[2 * sizeof(d) + 1], 'x');	/* nothing past the NUL */

	memset(out, 'x', sizeof(out));
	ct_hex(d, 0, out);
	assert_string_equal(out, "");

	ct_hex(d + 4, 1, out);
	assert_string_equal(out, "ab");
}

/* Escape in (n bytes) in chunks of step bytes, through one state. */
static void
expect_esc(const char *in, size_t n, int flags, size_t step, const char *want)
{
	struct ct_esc st = { 0 };
	char out[CT_ESC_ROOM(64) * 4];
	size_t i, k, o = 0;

	for (i = 0; i < n; i += k) {
		k = n - i < step ? n - i : step;
		o += ct_esc_ctl(&st, in + i, k, flags, out + o);
	}
	o += ct_esc_end(&st, out + o);
	out[o] = '\0';
	if (o != strlen(want) || memcmp(out, want, o))
		fail_msg("escaped in steps of %zu: \"%s\", expected \"%s\"", step, out, want);
}

static void
test_esc_ctl(void **state)
{
	/* ESC, CR, BEL, DEL and the C1 CSI (U+009B as UTF-8) are written out */
	static const char in[] = "a\x1b[2K\rb\a\x7f\xc2\x9b" "2J";
	static const char want[] = "a\\u001b[2K\\u000db\\u0007\\u007f\\u009b2J";
	size_t step;

	(void)state;
	for (step = 1; step <= sizeof(in); step++)
		expect_esc(in, sizeof(in) - 1, 0, step, want);
	/* newline and tab: kept for a stream of lines, written out in a field */
	expect_esc("a\nb\tc", 5, CT_ESC_LINES, 1, "a\nb\tc");
	expect_esc("a\nb\tc", 5, 0, 2, "a\\u000ab\\u0009c");
	/* other UTF-8 is left alone, split anywhere: U+00A0, é, €, U+0080 */
	for (step = 1; step <= 12; step++) {
		expect_esc("\xc2\xa0\xc3\xa9\xe2\x82\xac", 7, 0, step, "\xc2\xa0\xc3\xa9\xe2\x82\xac");
		expect_esc("\xc2\xc2\x80x", 4, 0, step, "\xc2\\u0080x");
	}
	/* a 0xC2 at the very end is held and then given back as it was */
	expect_esc("ab\xc2", 3, 0, 1, "ab\xc2");
	/* NUL inside a counted buffer */
	expect_esc("a\0b", 3, 0, 3, "a\\u0000b");
	assert_int_equal(ct_esc_needed("plain text, é €", 0), 0);
	assert_int_equal(ct_esc_needed("two\nlines", CT_ESC_LINES), 0);
	assert_int_equal(ct_esc_needed("two\nlines", 0), 1);
	assert_int_equal(ct_esc_needed("csi \xc2\x9b", CT_ESC_LINES), 1);
	assert_int_equal(ct_esc_needed("del \x7f", CT_ESC_LINES), 1);
	assert_int_equal(ct_esc_needed(NULL, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size_plain),
		cmocka_unit_test(test_parse_size_binary_suffixes),
		cmocka_unit_test(test_parse_size_decimal_suffixes),
		cmocka_unit_test(test_parse_size_sectors),
		cmocka_unit_test(test_parse_size_zero),
		cmocka_unit_test(test_parse_size_syntax_errors),
		cmocka_unit_test(test_parse_size_overflow),
		cmocka_unit_test(test_parse_size_uint64_max),
		cmocka_unit_test(test_human_size),
		cmocka_unit_test(test_time_utc),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_esc_ctl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
