/*
 * test_parse_dataflash.c — the ArduPilot DataFlash parser
 * (src/evidence/parsers/dataflash.c):
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

	ct_input_from_mem(&in, &m, "00000003.BIN");
	ct_flight_init(f, "dataflash");
	return ct_dataflash_parse(&in, f);
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

/* Message boundaries of an intact file: lengths from its FMT messages
 * (type 128: Type at +3, Length at +4). */
static int
is_boundary(const struct blob *b, size_t cut)
{
	unsigned char len[256] = { 0 };
	size_t pos = 0;

	len[128] = 89;
	while (pos < cut && pos + 5 <= b->len && len[b->data[pos + 2]]) {
		if (b->data[pos + 2] == 128)
			len[b->data[pos + 3]] = b->data[pos + 4];
		pos += len[b->data[pos + 2]];
	}
	return pos == cut && cut > 0;
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
		/* a flip can turn another message's type into GPS, or a
		 * no-fix Status into a fix: at most one point per bit */
		if (f.npts > orig_pts + (size_t)nb)
			fail_msg("variant %d: %zu points > %zu", i, f.npts, orig_pts);
		ct_flight_release(&f);
	}
	free(copy);
}

static void
test_probe(void **state)
{
	static const unsigned char head[] = "\xa3\x95\x80\x80\x59" "FMT";
	int score;

	(void)state;
	assert_int_equal(ct_dataflash_probe(NULL, head, 8), 100);
	assert_int_equal(ct_dataflash_probe(NULL, head, 3), 60);
	assert_int_equal(ct_dataflash_probe("APM/LOGS/00000003.BIN", (const unsigned char *)"x", 1),
			 10);
	assert_int_equal(ct_dataflash_probe("a.txt", (const unsigned char *)"ULog", 4), 0);
	assert_int_equal(ct_dataflash_probe(NULL, NULL, 0), 0);
	assert_ptr_equal(ct_parser_choose("00000003.BIN", head, 8, &score), ct_parser_find("dataflash"));
	assert_int_equal(score, 100);
}

/*
 * fixtures/flight/gen.bin = gen-dataflash -s 1 -n 40.  The expected values
 * were read independently with a python3 struct.unpack walker driven by
 * the file's FMT messages (GPS with Status >= 2; UTC = 1980-01-06 + GWk
 * weeks + GMS ms - 18 s): 40 messages; first Lat -289663478 Lng
 * 1459163816 Alt 54739 cm GWk 2305 GMS 141041000 (2024-03-11T15:10:23Z);
 * last -289663529 1459152507 54716, GMS 141048800.  12 distinct PARM
 * names in 13 messages.
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
	snprintf(path, sizeof(path), "%s/fixtures/flight/gen.bin", top ? top : ".");
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail_msg("cannot open '%s'", path);
	assert_int_equal(fstat(fd, &st), 0);
	in.path = "gen.bin";
	in.size = (uint64_t)st.st_size;
	in.read = fd_read;
	in.ctx = &fd;
	ct_flight_init(&f, "dataflash");
	rc = ct_dataflash_parse(&in, &f);
	close(fd);
	assert_int_equal(rc, 0);
	assert_int_equal(f.nwarnings, 0);
	assert_int_equal(f.npts, 40);
	assert_int_equal(f.bytes_parsed, (uint64_t)st.st_size);
	expect_point(&f.pts[0], -28.9663478, 145.9163816, 547.39, "2024-03-11T15:10:23.000000Z");
	expect_point(&f.pts[39], -28.9663529, 145.9152507, 547.16, "2024-03-11T15:10:30.800000Z");
	assert_int_equal(f.pts[0].basis, CT_TIME_UTC);
	expect_fact(&f, "firmware", "ArduCopter V4.5.7 (2a3dc4b7)");
	expect_fact(&f, "hardware", "CubeOrange");
	expect_fact(&f, "vehicle_uuid", "00380028 31305111 35383830");
	expect_fact(&f, "os", "ChibiOS: 6a85082c");
	expect_fact(&f, "frame", "QUAD/X");
	expect_fact(&f, "param_count", "12");
	expect_fact(&f, "git_hash", "2a3dc4b7");
	assert_null(ct_flight_get_fact(&f, "firmware_2"));
	ct_flight_release(&f);
}

static void
test_io_error(void **state)
{
	struct ct_flight f;
	struct ct_input in = { "x.bin", 4096, fail_read, NULL };

	(void)state;
	ct_flight_init(&f, "dataflash");
	assert_int_equal(ct_dataflash_parse(&in, &f), -EIO);
	ct_flight_release(&f);
}

/* Garbage in the middle: resync at the next A3 95 with a known type,
 * with a warning at the garbage's offset. */
static void
test_resync(void **state)
{
	struct blob b = load("fixtures/flight/gen.bin");
	unsigned char *m;
	struct ct_flight f;
	size_t at = 2000;

	(void)state;
	assert_non_null(b.data);
	m = malloc(b.len + 37);
	assert_non_null(m);
	while (!is_boundary(&b, at))
		at++;
	memcpy(m, b.data, at);
	memset(m + at, 0xa3, 37);
	memcpy(m + at + 37, b.data + at, b.len - at);
	assert_int_equal(parse_mem(m, b.len + 37, &f), 0);
	assert_int_equal(f.npts, 40);
	assert_int_equal(f.nwarnings, 1);
	{
		char want[64];
		snprintf(want, sizeof(want), "offset %zu: ", at);
		assert_int_equal(strncmp(f.warnings[0], want, strlen(want)), 0);
	}
	ct_flight_release(&f);
	free(m);
	free(b.data);
}

static void
test_fixture_truncated(void **state)
{
	struct blob b = load("fixtures/flight/gen.bin");

	(void)state;
	assert_non_null(b.data);
	truncations(&b, 40);
	free(b.data);
}

static void
test_fixture_bitflips(void **state)
{
	struct blob b = load("fixtures/flight/gen.bin");

	(void)state;
	assert_non_null(b.data);
	bitflips(&b, 40, 1, 400);
	free(b.data);
}

#define SAMPLE "../shared/samples/ardupilot/center_0003.bin"

/* Reference values in ../shared/samples/README.md; the same came out of
 * the python3 struct walker described above. */
static void
test_sample(void **state)
{
	struct blob b = load(SAMPLE);
	struct ct_flight f;

	(void)state;
	if (b.data == NULL)
		skip();
	assert_int_equal(parse_mem(b.data, b.len, &f), 0);
	assert_int_equal(f.npts, 209);
	/* the first fix has GWk 0: boot time (TimeUS) */
	expect_point(&f.pts[0], 51.6415774, -2.5256618, 12.55, "+9.981416s");
	expect_fact(&f, "firmware", "ArduPlane V4.2.3 (55685c43)");
	expect_fact(&f, "hardware", "omnibusf4pro");
	expect_fact(&f, "param_count", "1081");
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
	truncations(&b, 209);
	free(b.data);
}

static void
test_sample_bitflips(void **state)
{
	struct blob b = load(SAMPLE);

	(void)state;
	if (b.data == NULL)
		skip();
	bitflips(&b, 209, 7, 200);
	free(b.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_io_error),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_fixture_truncated),
		cmocka_unit_test(test_fixture_bitflips),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_sample_truncated),
		cmocka_unit_test(test_sample_bitflips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
