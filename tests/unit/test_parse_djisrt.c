/*
 * test_parse_djisrt.c — the DJI SRT parser (djisrt.c): one generated
 * fixture per style, the public samples (skipped when ../shared/samples is
 * absent), and truncated / bit-flipped inputs.
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
	return pt_parse(ct_djisrt_parse, "dji-srt", buf, len, name, f);
}

static void
expect_pt(const struct ct_point *p, double lat, double lon, double alt,
	  enum ct_alt_ref ref, const char *t)
{
	char buf[64];

	if (fabs(p->lat - lat) > 1e-9 || fabs(p->lon - lon) > 1e-9 ||
	    fabs(p->alt_m - alt) > 1e-6 || p->alt_ref != ref)
		fail_msg("point %.6f %.6f %.3f ref %d, expected %.6f %.6f %.3f ref %d", p->lat,
			 p->lon, p->alt_m, p->alt_ref, lat, lon, alt, ref);
	ct_point_time_str(p, buf, sizeof(buf));
	if (strcmp(buf, t) != 0)
		fail_msg("time %s, expected %s", buf, t);
}

/* Parse a generated fixture; n points, first and last as given. */
static void
gen(const char *style, size_t n, double lat1, double lon1, double alt0, double alt1,
    enum ct_alt_ref ref, const char *t0, const char *t1, struct ct_flight *f)
{
	char rel[256];
	unsigned char *buf;
	size_t len;

	snprintf(rel, sizeof(rel), "fixtures/flight/gen-%s.SRT", style);
	assert_non_null(buf = pt_slurp(rel, &len));
	assert_true(ct_djisrt_probe(rel, buf, len) >= 90);
	assert_int_equal(parse(buf, len, rel, f), 0);
	if (f->npts != n)
		fail_msg("%s: %zu points, expected %zu", style, f->npts, n);
	expect_pt(&f->pts[0], 47.3769, 8.5417, alt0, ref, t0);
	expect_pt(&f->pts[n - 1], lat1, lon1, alt1, ref, t1);
	free(buf);
}

static void
test_home_gps(void **state)
{
	struct ct_flight f;

	(void)state;
	gen("home-gps", 9, 47.3772, 8.5420, 1.5, 11.0, CT_ALT_TAKEOFF,
	    "2017-08-05T14:11:51.000000", "2017-08-05T14:12:00.000000", &f);
	assert_true(f.has_home);
	assert_true(fabs(f.home.lat - 47.3769) < 1e-9 && fabs(f.home.lon - 8.5417) < 1e-9);
	/* Block 5 has GPS(0,0,0): dropped, with a warning at its offset. */
	assert_int_equal(f.nwarnings, 1);
	assert_non_null(strstr(f.warnings[0], "dropped"));
	assert_null(strstr(f.warnings[0], "offset 0:"));
	ct_flight_release(&f);
}

static void
test_single_line_crlf(void **state)
{
	struct ct_flight f;

	(void)state;
	gen("single-line", 10, 47.3772, 8.5420, 1.5, 11.0, CT_ALT_TAKEOFF, "+0.000000s",
	    "+9.000000s", &f);
	assert_int_equal(f.pts[9].basis, CT_TIME_BOOT);
	assert_int_equal(f.nwarnings, 0);
	ct_flight_release(&f);
}

static void
test_framecnt_bom_tags(void **state)
{
	struct ct_flight f;

	(void)state;
	gen("framecnt", 10, 47.37717, 8.54198, 401.75, 411.25, CT_ALT_UNKNOWN,
	    "2019-04-13T14:44:12.345100", "2019-04-13T14:44:12.642109", &f);
	assert_int_equal(f.pts[0].basis, CT_TIME_LOCAL);
	assert_int_equal(f.nwarnings, 0);
	ct_flight_release(&f);
}

static void
test_framecnt_longtitude(void **state)
{
	struct ct_flight f;

	(void)state;
	gen("framecnt-longtitude", 10, 47.37717, 8.54198, 76.0, 85.5, CT_ALT_UNKNOWN,
	    "2020-08-12T08:55:21.000078", "2020-08-12T08:55:21.360078", &f);
	ct_flight_release(&f);
}

/* GPS(lat,lon,altM): latitude first — 47.37 N 8.54 E, not 8.54 N 47.37 E. */
static void
test_matrice_lat_first(void **state)
{
	struct ct_flight f;

	(void)state;
	gen("matrice", 10, 47.37717, 8.54198, 481.5, 491.0, CT_ALT_UNKNOWN,
	    "2017-06-04T18:23:19.000000", "2017-06-04T18:23:28.000000", &f);
	ct_flight_release(&f);
}

static void
sample(const char *name, size_t n, double lat0, double lon0, double lat1, double lon1,
       const char *t0)
{
	struct ct_flight f;
	unsigned char *buf;
	char rel[256], t[64];
	size_t len;

	snprintf(rel, sizeof(rel), "dji-srt/%s", name);
	if ((buf = pt_sample(rel, &len)) == NULL)
		skip();
	assert_true(ct_djisrt_probe(name, buf, len) >= 90);
	assert_int_equal(parse(buf, len, name, &f), 0);
	if (f.npts != n)
		fail_msg("%s: %zu points, expected %zu", name, f.npts, n);
	assert_true(fabs(f.pts[0].lat - lat0) < 1e-9 && fabs(f.pts[0].lon - lon0) < 1e-9);
	assert_true(fabs(f.pts[n - 1].lat - lat1) < 1e-9 && fabs(f.pts[n - 1].lon - lon1) < 1e-9);
	ct_point_time_str(&f.pts[0], t, sizeof(t));
	assert_string_equal(t, t0);
	ct_flight_release(&f);
	free(buf);
}

/* Values: README (mavic_pro, p4p) and npm dji_srt_parser (air2s, mavic_2_style). */
static void
test_samples(void **state)
{
	(void)state;
	sample("mavic_pro.SRT", 468, -20.2533, 149.0251, -20.2532, 149.0251,
	       "2017-08-05T14:11:51.000000");
	sample("p4p_sample.SRT", 5, 47.4692, 8.209, 47.4692, 8.209, "+0.000000s");
	sample("mavic_2_style.SRT", 468, -20.2533, 149.0251, -20.2532, 149.0251,
	       "2017-08-05T14:11:51.393525");
	sample("air2s.srt", 17, 41.424724, 2.234156, 41.42473, 2.234102,
	       "2022-08-07T13:40:40.774808");
}

static void
test_broken_samples(void **state)
{
	struct ct_flight f;
	unsigned char *buf;
	size_t len;

	(void)state;
	if ((buf = pt_sample("dji-srt/broken_empty.SRT", &len)) == NULL)
		skip();
	assert_int_equal(parse(buf, len, "broken_empty.SRT", &f), 1);
	assert_true(f.nwarnings > 0);
	ct_flight_release(&f);
	free(buf);
	if ((buf = pt_sample("dji-srt/broken_incomplete.SRT", &len)) == NULL)
		skip();
	assert_int_equal(parse(buf, len, "broken_incomplete.SRT", &f), 0);
	assert_int_equal(f.npts, 19);
	assert_true(f.nwarnings > 0);
	assert_non_null(strstr(f.warnings[0], "offset 2987:"));
	ct_flight_release(&f);
	free(buf);
}

/* A cut inside a line is always reported. */
static void
srt_cut(const unsigned char *b, size_t cut, size_t len, const struct ct_flight *f)
{
	if (cut > 0 && b[cut - 1] != '\n' && f->nwarnings == 0)
		fail_msg("no warning when cut at %zu of %zu", cut, len);
}

static void
test_hostile(void **state)
{
	static const char *const styles[] = { "home-gps", "single-line", "framecnt",
		"framecnt-longtitude", "matrice" };
	static const char *const samples[] = { "mavic_pro.SRT", "p4p_sample.SRT",
		"mavic_2_style.SRT", "air2s.srt", "broken_incomplete.SRT" };
	unsigned char *buf;
	char rel[256];
	size_t len, i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(rel, sizeof(rel), "gen-%s.SRT", styles[i]);
		assert_non_null(buf = pt_fixture(rel, &len));
		pt_hostile(buf, len, "x.SRT", (unsigned)i + 1, i == 0, parse, srt_cut);
		free(buf);
	}
	for (i = 0; i < 5; i++) {
		snprintf(rel, sizeof(rel), "dji-srt/%s", samples[i]);
		if ((buf = pt_sample(rel, &len)) == NULL)
			skip();
		pt_hostile(buf, len, "x.SRT", (unsigned)i + 11, 0, parse, srt_cut);
		free(buf);
	}
}

/*
 * No fix: a satellite count of 0 (GPS(lon,lat,0)) says there is none even
 * when a stale position is there; 0, 0 is none; one warning counts both,
 * at the first block without a fix.
 */
static void
test_nofix(void **state)
{
	static const char srt[] =
	    "1\n00:00:00,000 --> 00:00:01,000\nGPS(8.5417,47.3769,16) BAROMETER:1.5\n\n"
	    "2\n00:00:01,000 --> 00:00:02,000\nGPS(8.5418,47.3770,0) BAROMETER:1.6\n\n"
	    "3\n00:00:02,000 --> 00:00:03,000\nGPS(0.0,0.0,9) BAROMETER:1.7\n\n"
	    "4\n00:00:03,000 --> 00:00:04,000\nGPS(8.5419,47.3771,15) BAROMETER:1.8\n\n";
	struct ct_flight f;
	char want[64];

	(void)state;
	assert_int_equal(parse((const unsigned char *)srt, sizeof(srt) - 1, "DJI_0001.SRT", &f), 0);
	assert_int_equal(f.npts, 2);
	expect_pt(&f.pts[1], 47.3771, 8.5419, 1.8, CT_ALT_TAKEOFF, "+3.000000s");
	assert_int_equal(f.nwarnings, 1);
	snprintf(want, sizeof(want), "offset %zu: 2 points without a GPS fix",
		 strstr(srt, "2\n00:00:01") - srt);
	assert_int_equal(strncmp(f.warnings[0], want, strlen(want)), 0);
	ct_flight_release(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_home_gps),
		cmocka_unit_test(test_nofix),
		cmocka_unit_test(test_single_line_crlf),
		cmocka_unit_test(test_framecnt_bom_tags),
		cmocka_unit_test(test_framecnt_longtitude),
		cmocka_unit_test(test_matrice_lat_first),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_broken_samples),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
