/*
 * test_parse_ulog.c — the PX4 ULog parser (src/evidence/parsers/ulog.c):
 * the generated fixture, the public sample beside the checkout, and
 * truncated and bit-flipped versions of both.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse_test.h"


#define DEG_TOL 1e-7
#define ALT_TOL 1e-3

static int
parse_mem(const unsigned char *data, size_t len, struct ct_flight *f)
{
	return pt_parse(ct_ulog_parse, "ulog", data, len, "log.ulg", f);
}

static void
expect_point(const struct ct_point *p, double lat, double lon, double alt, const char *time)
{
	char t[64];

	ct_point_time_str(p, t, sizeof(t));
	if (fabs(p->lat - lat) > DEG_TOL || fabs(p->lon - lon) > DEG_TOL ||
	    fabs(p->alt_m - alt) > ALT_TOL || strcmp(t, time))
		fail_msg("point %.7f %.7f %.3f %s, expected %.7f %.7f %.3f %s", p->lat, p->lon,
			 p->alt_m, t, lat, lon, alt, time);
	assert_int_equal(p->alt_ref, CT_ALT_MSL);
}

/* Message boundaries of an intact file (header, then size+3 steps). */
static int
is_boundary(const struct blob *b, size_t cut)
{
	size_t pos = 16;

	while (pos < cut && pos + 3 <= b->len)
		pos += 3 + (size_t)(b->data[pos] | b->data[pos + 1] << 8);
	return pos == cut;
}

static void
test_probe(void **state)
{
	static const unsigned char magic[] = "ULog\x01\x12\x35\x01";
	int score;

	(void)state;
	assert_int_equal(ct_ulog_probe(NULL, magic, 8), 100);
	assert_int_equal(ct_ulog_probe("x/LOG001.ULG", (const unsigned char *)"xx", 2), 10);
	assert_int_equal(ct_ulog_probe("a.bin", (const unsigned char *)"ULog\x01", 5), 0);
	assert_int_equal(ct_ulog_probe(NULL, NULL, 0), 0);
	assert_ptr_equal(ct_parser_choose("09_12_33.ulg", magic, 8, &score), ct_parser_find("ulog"));
	assert_int_equal(score, 100);
}

/*
 * fixtures/flight/gen.ulg = gen-ulog -s 1 -n 40.  The expected values were
 * read independently with the npm package @foxglove/ulog 2.3.2
 * (ULog.readMessages, vehicle_gps_position with fix_type >= 2): 40
 * messages; first lat 483985982 lon 58409173 alt 153853 time_utc_usec
 * 1698440889000000; last 483993486 58402078 152841 1698440896800000.
 */
static void
test_fixture(void **state)
{
	struct ct_flight f;
	struct ct_input in;
	int fd, rc;

	(void)state;
	pt_open_input("fixtures/flight/gen.ulg", "gen.ulg", &fd, &in);
	ct_flight_init(&f, "ulog");
	rc = ct_ulog_parse(&in, &f);
	close(fd);
	assert_int_equal(rc, 0);
	assert_int_equal(f.nwarnings, 0);
	assert_int_equal(f.npts, 40);
	assert_int_equal(f.bytes_parsed, in.size);
	expect_point(&f.pts[0], 48.3985982, 5.8409173, 153.853, "2023-10-27T21:08:09.000000Z");
	expect_point(&f.pts[39], 48.3993486, 5.8402078, 152.841, "2023-10-27T21:08:16.800000Z");
	assert_int_equal(f.pts[0].basis, CT_TIME_UTC);
	expect_fact(&f, "sys_name", "PX4");
	expect_fact(&f, "hardware", "CT_GEN_FMU_V1");
	expect_fact(&f, "firmware", "v1.14.3 (7eb9055861e0a8b31e86cdcf75b7a4adc7c518c6)");
	expect_fact(&f, "vehicle_uuid", "73218e63a4580fffc224fcb2c3b9b1753e33");
	expect_fact(&f, "param_count", "5");
	expect_fact(&f, "log_version", "1");
	ct_flight_release(&f);
}

static void
test_io_error(void **state)
{
	struct ct_flight f;
	struct ct_input in = { "x.ulg", 4096, pt_fail_read, NULL };

	(void)state;
	ct_flight_init(&f, "ulog");
	assert_int_equal(ct_ulog_parse(&in, &f), -EIO);
	ct_flight_release(&f);
}

/* Boot time when time_utc_usec is 0; a message crossing an appended-data
 * offset is dropped and parsing continues at the offset. */
static void
test_boot_time_and_appended(void **state)
{
	struct blob b = pt_load("fixtures/flight/gen.ulg");
	unsigned char *m;
	struct ct_flight f;
	size_t pos, first_gps = 0, n, i;

	(void)state;
	assert_non_null(b.data);
	m = malloc(b.len + 64);
	assert_non_null(m);
	memcpy(m, b.data, b.len);
	/* zero time_utc_usec (after msg_id and timestamp) in every GPS
	 * message (msg_id 1) */
	for (pos = 16; pos + 3 <= b.len; pos += 3 + n) {
		n = (size_t)(m[pos] | m[pos + 1] << 8);
		if (m[pos + 2] == 'D' && m[pos + 3] == 1 && m[pos + 4] == 0) {
			memset(m + pos + 3 + 2 + 8, 0, 8);
			if (first_gps == 0 && m[pos + 3 + 2 + 8 + 8 + 2 * 16 + 4 * 3 + 4] == 3)
				first_gps = pos;
		}
	}
	assert_int_equal(parse_mem(m, b.len, &f), 0);
	assert_int_equal(f.npts, 40);
	assert_int_equal(f.pts[0].basis, CT_TIME_BOOT);
	assert_true(f.pts[1].t_us - f.pts[0].t_us == 200000);
	ct_flight_release(&f);

	/* appended data: the flag bits message is the first (offset 16);
	 * cut the first fix short and say the rest is appended there */
	assert_int_equal(m[16 + 2], 'B');
	m[16 + 3 + 8] = 1;
	for (i = 0; i < 8; i++)
		m[16 + 3 + 16 + i] = (unsigned char)(((uint64_t)first_gps + 10) >> (8 * i));
	memmove(m + first_gps + 10, m + first_gps + 3 + (m[first_gps] | m[first_gps + 1] << 8),
		b.len - first_gps - 3 - (size_t)(m[first_gps] | m[first_gps + 1] << 8));
	n = b.len - 3 - (size_t)(m[first_gps] | m[first_gps + 1] << 8) + 10;
	assert_int_equal(parse_mem(m, n, &f), 0);
	assert_int_equal(f.npts, 39);
	assert_true(f.nwarnings >= 1);
	assert_non_null(strstr(f.warnings[0], "appended"));
	ct_flight_release(&f);
	free(m);
	free(b.data);
}

static void
test_fixture_truncated(void **state)
{
	struct blob b = pt_load("fixtures/flight/gen.ulg");

	(void)state;
	assert_non_null(b.data);
	pt_truncations(&b, 40, parse_mem, is_boundary);
	free(b.data);
}

static void
test_fixture_bitflips(void **state)
{
	struct blob b = pt_load("fixtures/flight/gen.ulg");

	(void)state;
	assert_non_null(b.data);
	pt_bitflips(&b, 40, 1, 400, parse_mem);
	free(b.data);
}


/* ---- logs built here ---- */

struct ubuf {
	unsigned char b[65536];
	size_t n;
};

static void
u_put(struct ubuf *u, const void *p, size_t n)
{
	assert_true(u->n + n <= sizeof(u->b));
	memcpy(u->b + u->n, p, n);
	u->n += n;
}

/* A message: u16 size, type, body. */
static void
u_msg(struct ubuf *u, char type, const void *body, size_t n)
{
	unsigned char h[3] = { (unsigned char)n, (unsigned char)(n >> 8), (unsigned char)type };

	u_put(u, h, 3);
	u_put(u, body, n);
}

static void
u_header(struct ubuf *u)
{
	static const unsigned char h[16] = { 'U', 'L', 'o', 'g', 0x01, 0x12, 0x35, 1 };

	u->n = 0;
	u_put(u, h, sizeof(h));
}

static void
u_sub(struct ubuf *u, const char *topic)
{
	unsigned char b[64] = { 0, 1, 0 };	/* multi_id 0, msg_id 1 */

	memcpy(b + 3, topic, strlen(topic));
	u_msg(u, 'A', b, 3 + strlen(topic));
}

/* D for msg_id 1: prefix bytes, timestamp, lat, lon, alt (mm), fix_type. */
static void
u_gps(struct ubuf *u, size_t prefix, int32_t lat, int32_t lon, int32_t alt, unsigned fix)
{
	unsigned char b[128] = { 1, 0 };
	size_t k = 2 + prefix + 8;
	uint32_t v[3] = { (uint32_t)lat, (uint32_t)lon, (uint32_t)alt };
	int i, j;

	for (j = 0; j < 3; j++)
		for (i = 0; i < 4; i++)
			b[k++] = (unsigned char)(v[j] >> (8 * i));
	b[k++] = (unsigned char)fix;
	u_msg(u, 'D', b, k);
}

static void
u_format(struct ubuf *u, const char *text)
{
	u_msg(u, 'F', text, strlen(text));
}

static void
on_alarm(int sig)
{
	(void)sig;
	fail_msg("the parse did not end within 10 s");
}

/*
 * Nested types built to explode: N0 ... N7 each hold 40 zero-length arrays
 * of the next one and a byte; resolving them field by field, as written,
 * takes 40^8 steps for a 3 KB file.  Each format must be resolved once:
 * the file parses at once, with its point.
 */
static void
test_nested_explosion(void **state)
{
	static struct ubuf u;
	char text[1024];
	struct ct_flight f;
	int lvl, k;
	size_t o;

	(void)state;
	u_header(&u);
	for (lvl = 7; lvl >= 0; lvl--) {
		o = (size_t)snprintf(text, sizeof(text), "N%d:", lvl);
		for (k = 0; lvl < 7 && k < 40; k++)
			o += (size_t)snprintf(text + o, sizeof(text) - o, "N%d[0] f%d;", lvl + 1, k);
		snprintf(text + o, sizeof(text) - o, "uint8_t pad;");
		u_format(&u, text);
	}
	u_format(&u, "vehicle_gps_position:N0 nested;uint64_t timestamp;int32_t lat;"
		 "int32_t lon;int32_t alt;uint8_t fix_type;");
	assert_true(u.n < 4096);
	u_sub(&u, "vehicle_gps_position");
	u_gps(&u, 1, 473977419, 85455938, 488123, 3);

	signal(SIGALRM, on_alarm);
	alarm(10);
	assert_int_equal(parse_mem(u.b, u.n, &f), 0);
	alarm(0);
	assert_int_equal(f.npts, 1);
	assert_true(fabs(f.pts[0].lat - 47.3977419) < DEG_TOL);
	assert_true(fabs(f.pts[0].lon - 8.5455938) < DEG_TOL);
	ct_flight_release(&f);
}

/* D0 > D1 > ... > D9: 10 levels of nesting, then the GPS topic with
 * first_field before its own fields. */
static int
parse_nested(const char *first_field, size_t prefix, struct ct_flight *f)
{
	static struct ubuf u;
	char text[256];
	int lvl;

	u_header(&u);
	for (lvl = 9; lvl >= 0; lvl--) {
		if (lvl == 9)
			snprintf(text, sizeof(text), "D9:uint8_t x;");
		else
			snprintf(text, sizeof(text), "D%d:D%d y;uint8_t x;", lvl, lvl + 1);
		u_format(&u, text);
	}
	u_format(&u, "C0:C1 c;uint8_t x;");
	u_format(&u, "C1:C0 c;uint8_t x;");
	snprintf(text, sizeof(text), "vehicle_gps_position:%s;uint64_t timestamp;int32_t lat;"
		 "int32_t lon;int32_t alt;uint8_t fix_type;", first_field);
	u_format(&u, text);
	u_sub(&u, "vehicle_gps_position");
	u_gps(&u, prefix, 473977419, 85455938, 488123, 3);
	return parse_mem(u.b, u.n, f);
}

/* A cycle, and nesting deeper than 8 levels: the size is unknown, so are
 * the fields after it: no point, a warning.  8 levels are fine. */
static void
test_nested_too_deep_and_cycle(void **state)
{
	static const char *const bad[] = { "C0 a", "D0 b" };
	struct ct_flight f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_nested(bad[i], 0, &f), 1);
		assert_int_equal(f.npts, 0);
		assert_int_equal(f.nwarnings, 1);
		assert_non_null(strstr(f.warnings[0], "has no fix_type/lat/lon fields"));
		ct_flight_release(&f);
	}
	assert_int_equal(parse_nested("D1 b", 9, &f), 0);
	assert_int_equal(f.npts, 1);
	assert_true(fabs(f.pts[0].lat - 47.3977419) < DEG_TOL);
	ct_flight_release(&f);
}

/* gen.ulg starts with 3 GPS messages without a fix: dropped, counted. */
static void
test_nofix_counted(void **state)
{
	struct blob b = pt_load("fixtures/flight/gen.ulg");
	struct ct_flight f;

	(void)state;
	assert_non_null(b.data);
	assert_int_equal(parse_mem(b.data, b.len, &f), 0);
	assert_int_equal(f.npts, 40);
	assert_int_equal(f.nwarnings, 1);
	assert_non_null(strstr(f.warnings[0], ": 3 points without a GPS fix"));
	ct_flight_release(&f);
	free(b.data);
}

#define SAMPLE "../shared/samples/px4/sample_log_small.ulg"

/* Reference values from pyulog, in ../shared/samples/README.md; the same
 * came out of @foxglove/ulog. */
static void
test_sample(void **state)
{
	struct blob b = pt_load(SAMPLE);
	struct ct_flight f;

	(void)state;
	if (b.data == NULL)
		skip();
	assert_int_equal(parse_mem(b.data, b.len, &f), 0);
	assert_int_equal(f.npts, 32);
	expect_point(&f.pts[0], 63.4170622, 10.4082151, 66.814, "2021-04-21T06:30:58.600345Z");
	expect_fact(&f, "sys_name", "PX4");
	expect_fact(&f, "hardware", "CUBEPILOT_CUBEORANGE");
	expect_fact(&f, "vehicle_uuid", "000600000000383638393239510d0035002d");
	assert_int_equal(f.nwarnings, 0);
	ct_flight_release(&f);
	free(b.data);
}

static void
test_sample_truncated(void **state)
{
	struct blob b = pt_load(SAMPLE);

	(void)state;
	if (b.data == NULL)
		skip();
	pt_truncations(&b, 32, parse_mem, is_boundary);
	free(b.data);
}

static void
test_sample_bitflips(void **state)
{
	struct blob b = pt_load(SAMPLE);

	(void)state;
	if (b.data == NULL)
		skip();
	pt_bitflips(&b, 32, 7, 200, parse_mem);
	free(b.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_io_error),
		cmocka_unit_test(test_boot_time_and_appended),
		cmocka_unit_test(test_nested_explosion),
		cmocka_unit_test(test_nested_too_deep_and_cycle),
		cmocka_unit_test(test_nofix_counted),
		cmocka_unit_test(test_fixture_truncated),
		cmocka_unit_test(test_fixture_bitflips),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_sample_truncated),
		cmocka_unit_test(test_sample_bitflips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
