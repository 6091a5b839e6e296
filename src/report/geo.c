/*
 * geo.c — Web Mercator (EPSG:3857, what MBTiles tiles are drawn in), great
 * circle distances, and the numbers map furniture needs: grid steps, scale
 * bar lengths, coordinate labels.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "cardtrail/report.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static double
rad(double d)
{
	return d * M_PI / 180.0;
}

static double
deg(double r)
{
	return r * 180.0 / M_PI;
}

void
ct_merc_fwd(double lat, double lon, double *x, double *y)
{
	if (lat > CT_MERCATOR_MAX_LAT)
		lat = CT_MERCATOR_MAX_LAT;
	if (lat < -CT_MERCATOR_MAX_LAT)
		lat = -CT_MERCATOR_MAX_LAT;
	*x = CT_EARTH_RADIUS_M * rad(lon);
	*y = CT_EARTH_RADIUS_M * log(tan(M_PI / 4 + rad(lat) / 2));
}

void
ct_merc_inv(double x, double y, double *lat, double *lon)
{
	*lon = deg(x / CT_EARTH_RADIUS_M);
	*lat = deg(2 * atan(exp(y / CT_EARTH_RADIUS_M)) - M_PI / 2);
}

double
ct_distance_m(double lat1, double lon1, double lat2, double lon2)
{
	double dlat = rad(lat2 - lat1), dlon = rad(lon2 - lon1);
	double a = sin(dlat / 2) * sin(dlat / 2) +
		   cos(rad(lat1)) * cos(rad(lat2)) * sin(dlon / 2) * sin(dlon / 2);

	if (a > 1)
		a = 1;
	return 2 * CT_EARTH_MEAN_M * asin(sqrt(a));
}

double
ct_nice_step(double span, int target)
{
	static const double mult[] = { 1, 2, 5, 10 };
	double raw, p;
	size_t i;

	if (!(span > 0) || target < 1)
		return 1;
	raw = span / target;
	p = pow(10, floor(log10(raw)));
	for (i = 0; i < sizeof(mult) / sizeof(mult[0]); i++)
		if (mult[i] * p >= raw * (1 - 1e-9))
			return mult[i] * p;
	return 10 * p;
}

double
ct_scale_bar_m(double max_m)
{
	static const double mult[] = { 5, 2, 1 };
	double p;
	size_t i;

	if (!(max_m >= 1))
		return 1;
	p = pow(10, floor(log10(max_m)));
	for (i = 0; i < sizeof(mult) / sizeof(mult[0]); i++)
		if (mult[i] * p <= max_m * (1 + 1e-9))
			return mult[i] * p;
	return p;
}

int
ct_map_fit(double minlat, double minlon, double maxlat, double maxlon, double w, double h,
	   double margin, double min_span_m, struct ct_map_view *v)
{
	double x0, y0, x1, y1, dx, dy, iw = w - 2 * margin, ih = h - 2 * margin, minm, sx, sy;

	if (!(w > 0 && h > 0 && iw > 0 && ih > 0) || !(minlat <= maxlat && minlon <= maxlon) ||
	    !isfinite(minlat) || !isfinite(maxlat) || !isfinite(minlon) || !isfinite(maxlon))
		return -EINVAL;
	ct_merc_fwd(minlat, minlon, &x0, &y0);
	ct_merc_fwd(maxlat, maxlon, &x1, &y1);
	v->w = w;
	v->h = h;
	v->cx = (x0 + x1) / 2;
	v->cy = (y0 + y1) / 2;
	dx = x1 - x0;
	dy = y1 - y0;
	/* the minimum span is on the ground: in Mercator metres it is longer
	 * by 1/cos(latitude) */
	{
		double clat, clon;
		ct_merc_inv(v->cx, v->cy, &clat, &clon);
		minm = min_span_m / cos(rad(clat));
	}
	if (dx < minm * iw / (iw < ih ? iw : ih))
		dx = minm * iw / (iw < ih ? iw : ih);
	if (dy < minm * ih / (iw < ih ? iw : ih))
		dy = minm * ih / (iw < ih ? iw : ih);
	sx = iw / dx;
	sy = ih / dy;
	v->upm = sx < sy ? sx : sy;
	return 0;
}

void
ct_map_project(const struct ct_map_view *v, double lat, double lon, double *px, double *py)
{
	double x, y;

	ct_merc_fwd(lat, lon, &x, &y);
	*px = v->w / 2 + (x - v->cx) * v->upm;
	*py = v->h / 2 - (y - v->cy) * v->upm;
}

void
ct_map_unproject(const struct ct_map_view *v, double px, double py, double *lat, double *lon)
{
	ct_merc_inv(v->cx + (px - v->w / 2) / v->upm, v->cy - (py - v->h / 2) / v->upm, lat, lon);
}

double
ct_map_ground_m_per_unit(const struct ct_map_view *v, double lat)
{
	return cos(rad(lat)) / v->upm;
}

/* Decimals that tell grid lines step apart: 0.005 -> 3, 0.02 -> 2, 5 -> 0. */
static int
decimals(double step)
{
	int d = 0;

	while (d < 7 && fabs(step * pow(10, d) - floor(step * pow(10, d) + 0.5)) > 1e-6)
		d++;
	return d;
}

static void
format_deg(double v, double step, const char *pos, const char *neg, char *buf, size_t len)
{
	/* a value that prints as zero has no hemisphere */
	int d = decimals(step);
	double r = floor(fabs(v) * pow(10, d) + 0.5);

	snprintf(buf, len, "%.*f\u00b0%s", d, fabs(v), r == 0 ? "" : v < 0 ? neg : pos);
}

void
ct_format_lat(double lat, double step, char *buf, size_t len)
{
	format_deg(lat, step, "N", "S", buf, len);
}

void
ct_format_lon(double lon, double step, char *buf, size_t len)
{
	format_deg(lon, step, "E", "W", buf, len);
}

void
ct_format_metres(double m, char *buf, size_t len)
{
	double km = m / 1000;

	if (m < 1000)
		snprintf(buf, len, "%.0f m", m);
	else if (km < 10 && fabs(km - floor(km + 0.5)) >= 0.05)
		snprintf(buf, len, "%.1f km", km);
	else
		snprintf(buf, len, "%.0f km", km);
}
