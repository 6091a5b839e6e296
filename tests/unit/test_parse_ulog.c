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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parsers.h"


#define DEG_TOL 1e-7
#define ALT_TOL 1e-3

struct blob {
	unsigned char *data;
	size_t len;
};

/* $CT_TOP/rel (or ./rel), read whole; data NULL when absent. */
static struct blob
load(const char *rel)
{
	const char *top = getenv("CT_TOP");
	struct blob b = { NULL, 0 };
	char path[4096];
	struct stat st;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	fp = fopen(path, "rb");
	if (fp == NULL)
		return b;
	if (fstat(fileno(fp), &st) == 0 && st.st_size > 0) {
		b.data = malloc((size_t)st.st_size);
		if (b.data != NULL && fread(b.data, 1, (size_t)st.st_size, fp) == (size_t)st.st_size)
			b.len = (size_t)st.st_size;
	}
	fclose(fp);
	if (b.len == 0) {
		free(b.data);
		b.data = NULL;
	}
	return b;
}

/* A file-backed input that reads with pread, so the parser's windowing
 * is exercised on a real descriptor. */
static int
fd_read(void *ctx, void *buf, size_t len, uint64_t off, size_t *got)
{
	ssize_t n = pread(*(int *)ctx, buf, len, (off_t)off);

	*got = 0;
	if (n < 0)
		return -errno;
	*got = (size_t)n;
	return 0;
}

static int
fail_read(void *ctx, void *buf, size_t len, uint64_t off, size_t *got)
{
	*got = 0;
	return -EIO;
}

static int
parse_mem(const unsigned char *data, size_t len, struct ct_flight *f)
{
	struct ct_mem_input m = { data, len };
	struct ct_input in;

	ct_input_from_mem(&in, &m, "log.ulg");
	ct_flight_init(f, "ulog");
	return ct_ulog_parse(&in, f);
}

static void
expect_fact(const struct ct_flight *f, const char *key, const char *want)
{
	const char *v = ct_flight_get_fact(f, key);

	if (v == NULL || strcmp(v, want))
		fail_msg("fact %s = '%s', expected '%s'", key, v ? v : "(none)", want);
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

/*
 * Truncate at every byte of the first 2 KiB and then every 97 bytes:
 * never a crash, never more points than the whole file, and a cut inside
 * a message leaves a warning with its offset.
 */
static void
truncations(const struct blob *b, size_t orig_pts)
{
	struct ct_flight f;
	size_t cut;
	int rc;

	for (cut = 0; cut < b->len; cut += cut < 2048 ? 1 : 97) {
		rc = parse_mem(b->data, cut, &f);
		if (rc != 0 && rc != 1)
			fail_msg("cut at %zu: parse returned %d", cut, rc);
		if (f.npts > orig_pts)
			fail_msg("cut at %zu: %zu points > %zu", cut, f.npts, orig_pts);
		if (!is_boundary(b, cut) &&
		    (f.nwarnings == 0 || strncmp(f.warnings[0], "offset ", 7)))
			fail_msg("cut at %zu: no warning with an offset", cut);
		ct_flight_release(&f);
	}
}

/* Flip 1-4 bits at seeded positions, n variants. */
static void
bitflips(const struct blob *b, size_t orig_pts, unsigned seed, int n)
{
	unsigned char *copy = malloc(b->len);
	struct ct_flight f;
	uint64_t s = seed;
	int i, k, nb, rc;

	assert_non_null(copy);
	for (i = 0; i < n; i++) {
		memcpy(copy, b->data, b->len);
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		nb = 1 + (int)((s >> 33) % 4);
		for (k = 0; k < nb; k++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			copy[(s >> 24) % b->len] ^= (unsigned char)(1u << ((s >> 16) & 7));
		}
		rc = parse_mem(copy, b->len, &f);
		if (rc != 0 && rc != 1)
			fail_msg("variant %d: parse returned %d", i, rc);
		/* a flip can turn another topic's msg_id into the GPS one:
		 * at most one extra point per flipped bit */
		if (f.npts > orig_pts + (size_t)nb)
			fail_msg("variant %d: %zu points > %zu", i, f.npts, orig_pts);
		ct_flight_release(&f);
	}
	free(copy);
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
	const char *top = getenv("CT_TOP");
	struct ct_flight f;
	struct ct_input in;
	char path[4096];
	struct stat st;
	int fd, rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/fixtures/flight/gen.ulg", top ? top : ".");
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail_msg("cannot open '%s'", path);
	assert_int_equal(fstat(fd, &st), 0);
	in.path = "gen.ulg";
	in.size = (uint64_t)st.st_size;
	in.read = fd_read;
	in.ctx = &fd;
	ct_flight_init(&f, "ulog");
	rc = ct_ulog_parse(&in, &f);
	close(fd);
	assert_int_equal(rc, 0);
	assert_int_equal(f.nwarnings, 0);
	assert_int_equal(f.npts, 40);
	assert_int_equal(f.bytes_parsed, (uint64_t)st.st_size);
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
	struct ct_input in = { "x.ulg", 4096, fail_read, NULL };

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
	struct blob b = load("fixtures/flight/gen.ulg");
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
	struct blob b = load("fixtures/flight/gen.ulg");

	(void)state;
	assert_non_null(b.data);
	truncations(&b, 40);
	free(b.data);
}

static void
test_fixture_bitflips(void **state)
{
	struct blob b = load("fixtures/flight/gen.ulg");

	(void)state;
	assert_non_null(b.data);
	bitflips(&b, 40, 1, 400);
	free(b.data);
}

#define SAMPLE "../shared/samples/px4/sample_log_small.ulg"

/* Reference values from pyulog, in ../shared/samples/README.md; the same
 * came out of @foxglove/ulog. */
static void
test_sample(void **state)
{
	struct blob b = load(SAMPLE);
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
	struct blob b = load(SAMPLE);

	(void)state;
	if (b.data == NULL)
		skip();
	truncations(&b, 32);
	free(b.data);
}

static void
test_sample_bitflips(void **state)
{
	struct blob b = load(SAMPLE);

	(void)state;
	if (b.data == NULL)
		skip();
	bitflips(&b, 32, 7, 200);
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
		cmocka_unit_test(test_fixture_truncated),
		cmocka_unit_test(test_fixture_bitflips),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_sample_truncated),
		cmocka_unit_test(test_sample_bitflips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
