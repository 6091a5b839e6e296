/*
 * test_parse_djitxt.c — the DJI flight record parser (djitxt.c): the
 * project's generated fixtures, the public samples (skipped when
 * ../shared/samples is absent), and truncated / bit-flipped inputs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_test.h"


static int
parse(const unsigned char *buf, size_t len, const char *name, struct ct_flight *f)
{
	return pt_parse(ct_djitxt_parse, "dji-txt", buf, len, name, f);
}

static void
expect_pt(const struct ct_point *p, double lat, double lon, double alt, double tol)
{
	if (fabs(p->lat - lat) > tol || fabs(p->lon - lon) > tol || fabs(p->alt_m - alt) > 1e-6)
		fail_msg("point %.9f %.9f %.2f, expected %.9f %.9f %.2f", p->lat, p->lon,
			 p->alt_m, lat, lon, alt);
	assert_int_equal(p->alt_ref, CT_ALT_TAKEOFF);
}

static void
test_probe_name(void **state)
{
	/* The scrambling's CRC-64 is checked through the v7 fixture and sample,
	 * which decode only if it is right. */
	(void)state;
	assert_int_equal(ct_djitxt_probe("DJIFlightRecord_2016-09-15_[13-51-18].txt",
					 (const unsigned char *)"", 0) > 0, 1);
}

static void
check_gen(const char *file, const char *ver, const char *name, const char *sn,
	  const char *model, double last_lat, double last_lon, double last_alt,
	  uint64_t first_off)
{
	struct ct_flight f;
	unsigned char *buf;
	char t[64];
	size_t len;

	buf = pt_slurp(file, &len);
	assert_non_null(buf);
	assert_true(ct_djitxt_probe(file, buf, len) >= 50);
	assert_true(ct_djitxt_probe("DJIFlightRecord_2017-07-14_[02-40-00].txt", buf, len) >= 90);
	assert_int_equal(parse(buf, len, file, &f), 0);
	assert_int_equal(f.npts, 30);
	assert_int_equal(f.nwarnings, 0);
	expect_fact(&f, "log_version", ver);
	expect_fact(&f, "name", name);
	expect_fact(&f, "aircraft_serial", sn);
	expect_fact(&f, "model", model);
	expect_fact(&f, "start_time", "2017-07-14T02:40:00.123Z");
	assert_true(f.has_home);
	assert_true(fabs(f.home.lat - 51.5) < 1e-9 && fabs(f.home.lon + 0.12) < 1e-9);
	expect_pt(&f.pts[0], 51.5, -0.12, 0, 1e-9);
	assert_int_equal(f.pts[0].offset, first_off);
	expect_pt(&f.pts[29], last_lat, last_lon, last_alt, 1e-9);
	assert_int_equal(f.pts[29].basis, CT_TIME_UTC);
	ct_point_time_str(&f.pts[29], t, sizeof(t));
	assert_string_equal(t, "2017-07-14T02:40:03.023000Z");
	ct_flight_release(&f);
	free(buf);
}

static void
test_gen_v4(void **state)
{
	(void)state;
	check_gen("fixtures/flight/gen-v4.txt", "4", "gen-v4", "03ZGEN0004", "Phantom3Pro",
		  51.50085, -0.12054, 9.1, 12);
}

static void
test_gen_v7(void **state)
{
	struct ct_flight f;
	unsigned char *buf;
	size_t len;

	(void)state;
	check_gen("fixtures/flight/gen-v7.txt", "7", "gen-v7 <script>\"", "03ZGEN0007",
		  "Phantom3Standard", 51.50086, -0.12061, 8.7, 100);
	buf = pt_slurp("fixtures/flight/gen-v7.txt", &len);
	assert_non_null(buf);
	assert_int_equal(parse(buf, len, "x", &f), 0);
	expect_fact(&f, "battery_serial", "BATGEN0007");
	expect_fact(&f, "rc_serial", "RCGEN00007");
	expect_fact(&f, "camera_serial", "CAMGEN0007");
	expect_fact(&f, "app_version", "2.9.0");
	ct_flight_release(&f);
	free(buf);
}

/*
 * gen-v11-nofix.txt: 5 OSD records before the first fix and 2 after the
 * last, their position a few 1e-12 radians of noise around 0 (as a
 * Mavic 2 writes them): not positions.  The track is the 30 fixes, and one
 * warning counts the 7 others, at the offset of the first record.
 */
static void
test_gen_v11_nofix(void **state)
{
	struct ct_flight f;
	unsigned char *buf;
	char t[64];
	size_t len;

	(void)state;
	assert_non_null(buf = pt_fixture("gen-v11-nofix.txt", &len));
	assert_int_equal(parse(buf, len, "DJIFlightRecord_2017-07-14_[02-40-00].txt", &f), 0);
	expect_fact(&f, "log_version", "11");
	assert_int_equal(f.npts, 30);
	expect_pt(&f.pts[0], 51.5, -0.12, 0, 1e-9);
	ct_point_time_str(&f.pts[0], t, sizeof(t));
	assert_string_equal(t, "2017-07-14T02:40:00.623000Z");
	assert_int_equal(f.nwarnings, 1);
	assert_string_equal(f.warnings[0], "offset 100: 7 points without a GPS fix (0, 0 or the "
			    "record's own fix field) dropped, the first here");
	ct_flight_release(&f);
	free(buf);
}

static const char V11[] = "dji-txt/mavic2_v11.txt";

/* Reference values in ../shared/samples/README.md (node-djiparsetxt):
 * 153 OSD frames with a fix, the first at 18.0722058, -65.7977203. */
static void
test_sample_v11_nofix(void **state)
{
	struct ct_flight f;
	unsigned char *buf;
	size_t len, i;

	(void)state;
	if ((buf = pt_sample(V11, &len)) == NULL)
		skip();
	assert_int_equal(parse(buf, len, V11, &f), 0);
	expect_fact(&f, "model", "Mavic2");
	expect_fact(&f, "name", "Red Cat ihsotas");
	expect_fact(&f, "aircraft_serial", "0M6DG1400189PP");
	expect_fact(&f, "camera_serial", "0K8HFBD01100LV");
	expect_fact(&f, "rc_serial", "13RLFC820601F1");
	expect_fact(&f, "battery_serial", "0P2AFC7534006E");
	assert_int_equal(f.npts, 153);
	assert_true(fabs(f.pts[0].lat - 18.0722058) < 5e-8 &&
		    fabs(f.pts[0].lon + 65.7977203) < 5e-8);
	for (i = 0; i < f.npts; i++)
		assert_true(fabs(f.pts[i].lat - 18.07) < 0.01 && fabs(f.pts[i].lon + 65.80) < 0.01);
	for (i = 0; i < f.nwarnings && !strstr(f.warnings[i], "99 points without a GPS fix"); i++)
		;
	assert_true(i < f.nwarnings);
	ct_flight_release(&f);
	free(buf);
}

/* A v13 prefix with a scrambled auxiliary block is read for details only. */
static void
test_v13_details_only(void **state)
{
	unsigned char buf[100 + 3 + 1 + 3 + 400 + 8];
	struct ct_flight f;
	size_t i;

	(void)state;
	memset(buf, 0, sizeof(buf));
	buf[0] = sizeof(buf) & 0xFF;	/* records offset: the end */
	buf[1] = sizeof(buf) >> 8;
	buf[10] = 13;
	buf[100] = 0;			/* auxiliary info */
	buf[101] = (1 + 3 + 400) & 0xFF;
	buf[102] = (1 + 3 + 400) >> 8;
	/* seed 0, type 0: key = crc64(0, 8 zero bytes) = 0, so plain text. */
	buf[103] = 0;
	buf[104] = 1;
	buf[105] = 400 & 0xFF;
	buf[106] = 400 >> 8;
	memcpy(buf + 107 + 280, "v13craft", 8);
	memcpy(buf + 107 + 312, "SN13", 4);
	(void)i;
	assert_int_equal(parse(buf, sizeof(buf), "x", &f), 0);
	expect_fact(&f, "log_version", "13");
	expect_fact(&f, "name", "v13craft");
	expect_fact(&f, "aircraft_serial", "SN13");
	assert_int_equal(f.npts, 0);
	assert_true(f.nwarnings >= 1);
	assert_non_null(strstr(f.warnings[f.nwarnings - 1], "keys held by DJI"));
	ct_flight_release(&f);
}

static const char V4[] = "dji-txt/DJIFlightRecord_2015-12-29_[19-05-48].txt";
static const char V7[] = "dji-txt/DJIFlightRecord_2016-09-15_[13-51-18].txt";
static const char CSV[] = "dji-txt/2016-09-15_13-51-19_Standard.csv";

static void
test_sample_v4(void **state)
{
	struct ct_flight f;
	unsigned char *buf;
	size_t len;

	(void)state;
	if ((buf = pt_sample(V4, &len)) == NULL)
		skip();
	assert_int_equal(parse(buf, len, V4, &f), 0);
	expect_fact(&f, "name", "moo");
	expect_fact(&f, "model", "Phantom3Pro");
	expect_fact(&f, "aircraft_serial", "03Z0265508");
	expect_fact(&f, "camera_serial", "048LA08500");
	expect_fact(&f, "rc_serial", "04DJA64612");
	/*
	 * 872 OSD records are in the file (its details say record_line_count
	 * 872; dji-log-parser's records() gives 872).  The README's 871 is
	 * dji-log-parser's frames(), which never emits the last one.
	 */
	expect_fact(&f, "record_line_count", "872");
	assert_int_equal(f.npts, 872);
	assert_true(f.has_home);
	assert_true(fabs(f.home.lat - 53.73588) < 5e-6 && fabs(f.home.lon + 1.76652) < 5e-6);
	ct_flight_release(&f);
	free(buf);
}

/* "lat,lon" of the first and last data rows of the CSV. */
static int
csv_ends(double *lat0, double *lon0, double *lat1, double *lon1, size_t *rows)
{
	size_t len, i, nl = 0;
	unsigned char *c = pt_sample(CSV, &len);
	char *s, *line, *last = NULL, *first = NULL;

	if (c == NULL)
		return -1;
	s = realloc(c, len + 1);
	if (s == NULL) {
		free(c);
		return -1;
	}
	s[len] = '\0';
	for (i = 0; i < len; i++) {
		if (s[i] != '\n')
			continue;
		line = s + i + 1;
		if (*line == '\0')
			break;
		nl++;
		if (first == NULL)
			first = line;
		last = line;
	}
	*rows = nl;
	if (first == NULL || sscanf(first, "%lf,%lf", lat0, lon0) != 2 ||
	    sscanf(last, "%lf,%lf", lat1, lon1) != 2) {
		free(s);
		return -1;
	}
	free(s);
	return 0;
}

static void
test_sample_v7(void **state)
{
	double lat0, lon0, lat1, lon1;
	struct ct_flight f;
	unsigned char *buf;
	size_t len, rows;

	(void)state;
	if ((buf = pt_sample(V7, &len)) == NULL || csv_ends(&lat0, &lon0, &lat1, &lon1, &rows))
		skip();
	assert_int_equal(parse(buf, len, V7, &f), 0);
	expect_fact(&f, "log_version", "7");
	expect_fact(&f, "model", "Phantom3Standard");
	expect_fact(&f, "aircraft_serial", "03Z0600080");
	expect_fact(&f, "battery_serial", "1153516293");
	expect_fact(&f, "start_time", "2016-09-15T17:51:18.667Z");
	/* 2518 OSD records = the CSV's 2518 rows (README's 2517: see the v4 test). */
	assert_int_equal(rows, 2518);
	assert_int_equal(f.npts, 2518);
	assert_true(fabs(f.pts[0].lat - lat0) < 1e-6 && fabs(f.pts[0].lon - lon0) < 1e-6);
	assert_true(fabs(f.pts[f.npts - 1].lat - lat1) < 1e-6 &&
		    fabs(f.pts[f.npts - 1].lon - lon1) < 1e-6);
	ct_flight_release(&f);
	free(buf);
}

/* Every cut is reported, with an offset. */
static void
txt_cut(const unsigned char *b, size_t cut, size_t len, const struct ct_flight *f)
{
	if (f->nwarnings == 0)
		fail_msg("no warning when cut at %zu of %zu", cut, len);
	assert_non_null(strstr(f->warnings[0], "offset "));
}

static void
test_hostile_gen(void **state)
{
	unsigned char *buf;
	size_t len;

	(void)state;
	assert_non_null(buf = pt_fixture("gen-v4.txt", &len));
	pt_hostile(buf, len, "x", 4, 0, parse, txt_cut);
	free(buf);
	assert_non_null(buf = pt_fixture("gen-v7.txt", &len));
	pt_hostile(buf, len, "x", 7, 0, parse, txt_cut);
	free(buf);
}

static void
test_hostile_samples(void **state)
{
	unsigned char *buf;
	size_t len;

	(void)state;
	if ((buf = pt_sample(V4, &len)) == NULL)
		skip();
	pt_hostile(buf, len, "x", 41, 0, parse, txt_cut);
	free(buf);
	if ((buf = pt_sample(V7, &len)) == NULL)
		skip();
	pt_hostile(buf, len, "x", 71, 0, parse, txt_cut);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_name),
		cmocka_unit_test(test_gen_v4),
		cmocka_unit_test(test_gen_v7),
		cmocka_unit_test(test_gen_v11_nofix),
		cmocka_unit_test(test_sample_v11_nofix),
		cmocka_unit_test(test_v13_details_only),
		cmocka_unit_test(test_sample_v4),
		cmocka_unit_test(test_sample_v7),
		cmocka_unit_test(test_hostile_gen),
		cmocka_unit_test(test_hostile_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
