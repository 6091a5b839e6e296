/*
 * test_report_geo.c — the report's map geometry (src/report/geo.c): Web
 * Mercator against EPSG:3857's defining values, great-circle distances,
 * grid steps, scale bars, the fit of a view around points, and coordinate
 * labels.  Reference numbers were computed with python3's math module from
 * the published formulas (EPSG:3857 on the WGS84 semi-major axis; the
 * haversine on the IUGG mean radius 6371008.8 m; the WGS84 ellipsoid's
 * parallel N(phi) cos(phi) dlambda), not with this code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "cardtrail/report.h"

static void
test_mercator(void **state)
{
	double x, y, lat, lon;

	(void)state;
	/* EPSG:3857: the world is +-20037508.34 m; lat 85.0511 maps to the edge */
	ct_merc_fwd(0, 180, &x, &y);
	assert_true(fabs(x - 20037508.342789) < 1e-3);
	assert_true(fabs(y) < 1e-6);
	ct_merc_fwd(CT_MERCATOR_MAX_LAT, 0, &x, &y);
	assert_true(fabs(y - 20037508.342789) < 1);
	/* Zurich */
	ct_merc_fwd(47.3769, 8.5417, &x, &y);
	assert_true(fabs(x - 950857.6945) < 1e-3);
	assert_true(fabs(y - 6003812.2049) < 1e-3);
	ct_merc_inv(x, y, &lat, &lon);
	assert_true(fabs(lat - 47.3769) < 1e-9 && fabs(lon - 8.5417) < 1e-9);
	/* clamped, never infinite */
	ct_merc_fwd(90, 0, &x, &y);
	assert_true(isfinite(y));
}

static void
test_distance(void **state)
{
	(void)state;
	/* one degree of latitude on the mean sphere */
	assert_true(fabs(ct_distance_m(0, 0, 1, 0) - 111195.080) < 0.01);
	/* Paris (48.8566, 2.3522) to London (51.5074, -0.1278) */
	assert_true(fabs(ct_distance_m(48.8566, 2.3522, 51.5074, -0.1278) - 343556.535) < 0.01);
	assert_true(ct_distance_m(47.1, 8.2, 47.1, 8.2) == 0);
	/* antipodes: half the circumference */
	assert_true(fabs(ct_distance_m(0, 0, 0, 180) - M_PI * CT_EARTH_MEAN_M) < 1);
}

static void
test_steps(void **state)
{
	(void)state;
	assert_true(fabs(ct_nice_step(10, 5) - 2) < 1e-12);
	assert_true(fabs(ct_nice_step(0.0037, 4) - 0.001) < 1e-15);
	assert_true(fabs(ct_nice_step(0.0041, 4) - 0.002) < 1e-15);
	assert_true(fabs(ct_nice_step(160, 5) - 50) < 1e-12);
	assert_true(fabs(ct_nice_step(7, 1) - 10) < 1e-12);
	assert_true(ct_nice_step(0, 5) == 1);
	assert_true(ct_scale_bar_m(180) == 100);
	assert_true(ct_scale_bar_m(250) == 200);
	assert_true(ct_scale_bar_m(999) == 500);
	assert_true(ct_scale_bar_m(1000) == 1000);
	assert_true(ct_scale_bar_m(4.9e6) == 2e6);
	assert_true(ct_scale_bar_m(0.3) == 1);
}

/* Every point of the box lands inside the frame less the margin, the
 * box's centre in the middle, north up, and the ground scale is right. */
static void
test_fit(void **state)
{
	struct ct_map_view v;
	double x0, y0, x1, y1, lat, lon;

	(void)state;
	assert_int_equal(ct_map_fit(47.37, 8.53, 47.39, 8.56, 720, 480, 36, 200, &v), 0);
	ct_map_project(&v, 47.37, 8.53, &x0, &y0);
	ct_map_project(&v, 47.39, 8.56, &x1, &y1);
	assert_true(x0 >= 36 - 1e-9 && x1 <= 720 - 36 + 1e-9);
	assert_true(y1 >= 36 - 1e-9 && y0 <= 480 - 36 + 1e-9);
	assert_true(y1 < y0);	/* north is up */
	/* it fills one side */
	assert_true(fabs((x1 - x0) - 648) < 1e-6 || fabs((y0 - y1) - 408) < 1e-6);
	ct_map_unproject(&v, 360, 240, &lat, &lon);
	assert_true(fabs(lon - 8.545) < 1e-9);
	/* metres on the ground per unit at 47.38: the 0.03 degrees of that
	 * parallel are 2265.45 m on the WGS84 ellipsoid; the scale bar's sphere
	 * (Web Mercator's) is within 0.5 % of it */
	assert_true(fabs(ct_map_ground_m_per_unit(&v, 47.38) * (x1 - x0) - 2265.45) < 2265.45 * 0.005);
	/* a single point: the minimum span across the smaller side */
	assert_int_equal(ct_map_fit(47.4, 8.5, 47.4, 8.5, 720, 480, 36, 200, &v), 0);
	assert_true(fabs(ct_map_ground_m_per_unit(&v, 47.4) * 408 - 200) < 0.5);
	assert_int_equal(ct_map_fit(47.4, 8.5, 47.3, 8.5, 720, 480, 36, 200, &v), -EINVAL);
	assert_int_equal(ct_map_fit(NAN, 8.5, 47.3, 8.5, 720, 480, 36, 200, &v), -EINVAL);
	assert_int_equal(ct_map_fit(47, 8, 48, 9, 60, 60, 36, 200, &v), -EINVAL);
}

static void
test_labels(void **state)
{
	char b[32];

	(void)state;
	ct_format_lat(47.398, 0.001, b, sizeof(b));
	assert_string_equal(b, "47.398\u00b0N");
	ct_format_lat(-34.6, 0.2, b, sizeof(b));
	assert_string_equal(b, "34.6\u00b0S");
	ct_format_lon(-0.12, 0.01, b, sizeof(b));
	assert_string_equal(b, "0.12\u00b0W");
	ct_format_lon(0, 50, b, sizeof(b));
	assert_string_equal(b, "0\u00b0");
	ct_format_lon(150, 50, b, sizeof(b));
	assert_string_equal(b, "150\u00b0E");
	ct_format_metres(50, b, sizeof(b));
	assert_string_equal(b, "50 m");
	ct_format_metres(1000, b, sizeof(b));
	assert_string_equal(b, "1 km");
	ct_format_metres(2500, b, sizeof(b));
	assert_string_equal(b, "2.5 km");
	ct_format_metres(5e6, b, sizeof(b));
	assert_string_equal(b, "5000 km");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mercator),
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
