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

#include "parse_test.h"


#define DEG_TOL 1e-7
#define ALT_TOL 1e-3

static int
parse_mem(const unsigned char *data, size_t len, struct ct_flight *f)
{
	return pt_parse(ct_dataflash_parse, "dataflash", data, len, "00000003.BIN", f);
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
	struct ct_flight f;
	struct ct_input in;
	int fd, rc;

	(void)state;
	pt_open_input("fixtures/flight/gen.bin", "gen.bin", &fd, &in);
	ct_flight_init(&f, "dataflash");
	rc = ct_dataflash_parse(&in, &f);
	close(fd);
	assert_int_equal(rc, 0);
	assert_int_equal(f.nwarnings, 0);
	assert_int_equal(f.npts, 40);
	assert_int_equal(f.bytes_parsed, in.size);
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
	struct ct_input in = { "x.bin", 4096, pt_fail_read, NULL };

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
	struct blob b = pt_load("fixtures/flight/gen.bin");
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
	/* the garbage, and the 3 fixes-to-be without a fix */
	assert_int_equal(f.nwarnings, 2);
	{
		char want[64];
		snprintf(want, sizeof(want), "offset %zu: ", at);
		assert_int_equal(strncmp(f.warnings[0], want, strlen(want)), 0);
	}
	assert_non_null(strstr(f.warnings[1], "3 points without a GPS fix"));
	ct_flight_release(&f);
	free(m);
	free(b.data);
}

static void
test_fixture_truncated(void **state)
{
	struct blob b = pt_load("fixtures/flight/gen.bin");

	(void)state;
	assert_non_null(b.data);
	pt_truncations(&b, 40, parse_mem, is_boundary);
	free(b.data);
}

static void
test_fixture_bitflips(void **state)
{
	struct blob b = pt_load("fixtures/flight/gen.bin");

	(void)state;
	assert_non_null(b.data);
	pt_bitflips(&b, 40, 1, 400, parse_mem);
	free(b.data);
}


/* ---- logs built here: FMT, GPS and filler messages ---- */

struct dfbuf {
	unsigned char b[300000];
	size_t n;
};

static void
df_put(struct dfbuf *d, const void *p, size_t n)
{
	assert_true(d->n + n <= sizeof(d->b));
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

/* FMT (type 128, 89 bytes) defining type with name, format and columns. */
static void
df_fmt(struct dfbuf *d, unsigned type, unsigned len, const char *name, const char *format,
       const char *cols)
{
	unsigned char m[89] = { 0xa3, 0x95, 128 };

	m[3] = (unsigned char)type;
	m[4] = (unsigned char)len;
	memcpy(m + 5, name, strlen(name));
	memcpy(m + 9, format, strlen(format));
	memcpy(m + 25, cols, strlen(cols));
	df_put(d, m, sizeof(m));
}

/* GPS of the layout "BBLLi" Status,I,Lat,Lng,Alt (type 130, 17 bytes). */
static void
df_gps(struct dfbuf *d, unsigned status, int32_t lat, int32_t lng, int32_t alt_cm)
{
	unsigned char m[17] = { 0xa3, 0x95, 130 };
	uint32_t v[3] = { (uint32_t)lat, (uint32_t)lng, (uint32_t)alt_cm };
	int i, k;

	m[3] = (unsigned char)status;
	m[4] = 0;
	for (k = 0; k < 3; k++)
		for (i = 0; i < 4; i++)
			m[5 + 4 * k + i] = (unsigned char)(v[k] >> (8 * i));
	df_put(d, m, sizeof(m));
}

static void
df_gps_fmt(struct dfbuf *d)
{
	df_fmt(d, 130, 17, "GPS", "BBLLi", "Status,I,Lat,Lng,Alt");
}

/*
 * A FMT that redefines the GPS type with a 4-byte layout, then a message
 * of that type, the last 4 bytes of a file that ends where the parser's
 * 256 KiB window does: read with the old GPS columns (Lat at 5, up to 17
 * bytes) that is a read past the message and past the buffer (ASan), and
 * a point made of whatever follows.  The redefinition must be refused.
 */
static void
test_fmt_redefined(void **state)
{
	static struct dfbuf d;
	static const unsigned char fill4[4] = { 0xa3, 0x95, 131, 0x11 };
	static const unsigned char fill5[5] = { 0xa3, 0x95, 132, 0x22, 0x33 };
	unsigned char short_gps[4] = { 0xa3, 0x95, 130, 3 };
	struct ct_flight f;
	size_t left;

	(void)state;
	d.n = 0;
	df_gps_fmt(&d);
	df_fmt(&d, 131, 4, "FIL4", "B", "A");
	df_fmt(&d, 132, 5, "FIL5", "BB", "A,B");
	df_gps(&d, 3, 473977419, 85455938, 48812);
	df_fmt(&d, 130, 4, "XYZ", "B", "Status");
	/* fill up to 256 KiB - 4 with 4- and 5-byte messages */
	left = (256u << 10) - 4 - d.n;
	while (left % 4) {
		df_put(&d, fill5, sizeof(fill5));
		left -= 5;
	}
	for (; left; left -= 4)
		df_put(&d, fill4, sizeof(fill4));
	df_put(&d, short_gps, sizeof(short_gps));
	assert_int_equal(d.n, 256u << 10);

	assert_int_equal(parse_mem(d.b, d.n, &f), 0);
	assert_int_equal(f.npts, 1);
	assert_true(fabs(f.pts[0].lat - 47.3977419) < DEG_TOL);
	/* refused, and the last message is a truncated GPS message of the
	 * first layout */
	assert_int_equal(f.nwarnings, 2);
	assert_non_null(strstr(f.warnings[0], "format for type 130 redefined"));
	assert_non_null(strstr(f.warnings[1], "truncated GPS message: 4 of 17 bytes"));
	ct_flight_release(&f);
}

/* The same layout defined twice (a log that restarts) is no redefinition. */
static void
test_fmt_same_twice(void **state)
{
	static struct dfbuf d;
	struct ct_flight f;

	(void)state;
	d.n = 0;
	df_gps_fmt(&d);
	df_gps(&d, 3, 473977419, 85455938, 48812);
	df_gps_fmt(&d);
	df_gps(&d, 3, 473977500, 85456000, 48900);
	assert_int_equal(parse_mem(d.b, d.n, &f), 0);
	assert_int_equal(f.npts, 2);
	assert_int_equal(f.nwarnings, 0);
	ct_flight_release(&f);
}

/*
 * No fix: Status 0 (no GPS) and 1 (no fix) records, and a 3D fix at
 * exactly 0, 0, are not positions: dropped, counted, one warning with the
 * offset of the first.
 */
static void
test_nofix(void **state)
{
	static struct dfbuf d;
	struct ct_flight f;
	size_t first;

	(void)state;
	d.n = 0;
	df_gps_fmt(&d);
	first = d.n;
	df_gps(&d, 0, 0, 0, 0);
	df_gps(&d, 1, 473977419, 85455938, 48812);
	df_gps(&d, 3, 0, 0, 48812);
	df_gps(&d, 3, 473977419, 85455938, 48812);
	assert_int_equal(parse_mem(d.b, d.n, &f), 0);
	assert_int_equal(f.npts, 1);
	assert_int_equal(f.nwarnings, 1);
	{
		char want[128];
		snprintf(want, sizeof(want), "offset %zu: 3 points without a GPS fix", first);
		assert_int_equal(strncmp(f.warnings[0], want, strlen(want)), 0);
	}
	ct_flight_release(&f);
}

#define SAMPLE "../shared/samples/ardupilot/center_0003.bin"

/* Reference values in ../shared/samples/README.md; the same came out of
 * the python3 struct walker described above. */
static void
test_sample(void **state)
{
	struct blob b = pt_load(SAMPLE);
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
	struct blob b = pt_load(SAMPLE);

	(void)state;
	if (b.data == NULL)
		skip();
	pt_truncations(&b, 209, parse_mem, is_boundary);
	free(b.data);
}

static void
test_sample_bitflips(void **state)
{
	struct blob b = pt_load(SAMPLE);

	(void)state;
	if (b.data == NULL)
		skip();
	pt_bitflips(&b, 209, 7, 200, parse_mem);
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
		cmocka_unit_test(test_fmt_redefined),
		cmocka_unit_test(test_fmt_same_twice),
		cmocka_unit_test(test_nofix),
		cmocka_unit_test(test_fixture_truncated),
		cmocka_unit_test(test_fixture_bitflips),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_sample_truncated),
		cmocka_unit_test(test_sample_bitflips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
