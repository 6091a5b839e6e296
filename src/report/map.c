/*
 * map.c — the maps of a report, drawn by cardtrail with no network: an
 * overview of every flight and photo, and one map per flight.  A map is a
 * Web Mercator view (north up) of RP_MAP_W x RP_MAP_H units with a lat/lon
 * grid and its labels, a scale bar in metres (true at the map's centre
 * latitude), a north arrow, start, end and home markers and the tracks in
 * their flight's colour; optionally raster tiles from an MBTiles file under
 * them.  The scene is drawn through a canvas, so the HTML (SVG) and the
 * PDF (cairo) show the same map.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardtrail/report.h"
#include "report_int.h"

#define MARGIN 36.0		/* units between the data and the frame */
#define MIN_SPAN_FLIGHT 200.0	/* metres across a flight's map, at least */
#define MIN_SPAN_OVERVIEW 300.0
#define MAX_TILES 64		/* per map; fewer, coarser tiles beyond */
#define TRACK_W 2.6
#define DOT_R 4.0		/* a flight smaller than a dot is drawn as one */
#define MARKER_MIN 24.0		/* smaller flights get no start, end, home markers */

#define INK 0x1a1a1au
#define GRID 0xa9adb5u
#define GRID_TEXT 0x4a4f57u
#define WHITE 0xffffffu

struct rp_map {
	char title[160], id[32], note[600];
	struct ct_map_view v;
	int *flights;
	size_t nflights;
	int overview;
	double lat0, latstep, lon0, lonstep;	/* first grid line and step */
	int nlat, nlon;
	double bar_m, bar_units, bar_lat;
	int tz;					/* tile zoom, -1: no tiles */
	long tx0, tx1, ty0, ty1;
};

const char *
rp_map_title(const struct rp_map *m)
{
	return m->title;
}

const char *
rp_map_id(const struct rp_map *m)
{
	return m->id;
}

const char *
rp_map_note(const struct rp_map *m)
{
	return m->note;
}

size_t
rp_map_flights(const struct rp_map *m, const int **idx)
{
	*idx = m->flights;
	return m->nflights;
}

void
rp_map_free(struct rp_map *m)
{
	if (m == NULL)
		return;
	free(m->flights);
	free(m);
}

/* ---- building ---- */

static void
grid(struct rp_map *m)
{
	double lat_a, lon_a, lat_b, lon_b, span;

	ct_map_unproject(&m->v, 0, m->v.h, &lat_a, &lon_a);	/* south-west corner */
	ct_map_unproject(&m->v, m->v.w, 0, &lat_b, &lon_b);	/* north-east */
	span = lon_b - lon_a;
	m->lonstep = ct_nice_step(span, 5);
	m->latstep = ct_nice_step(lat_b - lat_a, 4);
	/* one step for both when they are close: a square grid reads better */
	if (m->latstep < m->lonstep && m->latstep * 2 >= m->lonstep)
		m->latstep = m->lonstep;
	m->lon0 = ceil(lon_a / m->lonstep) * m->lonstep;
	m->lat0 = ceil(lat_a / m->latstep) * m->latstep;
	m->nlon = (int)floor((lon_b - m->lon0) / m->lonstep) + 1;
	m->nlat = (int)floor((lat_b - m->lat0) / m->latstep) + 1;
	if (m->nlon < 0 || m->nlon > 40)
		m->nlon = 0;
	if (m->nlat < 0 || m->nlat > 40)
		m->nlat = 0;
}

static void
scale_bar(struct rp_map *m)
{
	double lon;

	ct_map_unproject(&m->v, m->v.w / 2, m->v.h / 2, &m->bar_lat, &lon);
	m->bar_m = ct_scale_bar_m(ct_map_ground_m_per_unit(&m->v, m->bar_lat) * m->v.w / 4);
	m->bar_units = m->bar_m / ct_map_ground_m_per_unit(&m->v, m->bar_lat);
}

static long
tile_index(double merc, int z, int flip)
{
	double world = 2 * M_PI * CT_EARTH_RADIUS_M;
	double f = flip ? (world / 2 - merc) / world : (merc + world / 2) / world;
	long n = 1L << z, i = (long)floor(f * (double)n);

	return i < 0 ? 0 : i >= n ? n - 1 : i;
}

static void
tiles(struct rp_map *m, struct rp_tiles *t)
{
	double x0 = m->v.cx - m->v.w / 2 / m->v.upm, x1 = m->v.cx + m->v.w / 2 / m->v.upm;
	double y0 = m->v.cy - m->v.h / 2 / m->v.upm, y1 = m->v.cy + m->v.h / 2 / m->v.upm;
	int z;

	m->tz = -1;
	if (t == NULL)
		return;
	for (z = rp_tiles_zoom(t, m->v.upm); z >= 0; z--) {
		m->tx0 = tile_index(x0, z, 0);
		m->tx1 = tile_index(x1, z, 0);
		m->ty0 = tile_index(y1, z, 1);
		m->ty1 = tile_index(y0, z, 1);
		if ((m->tx1 - m->tx0 + 1) * (m->ty1 - m->ty0 + 1) <= MAX_TILES)
			break;
	}
	m->tz = z;
}

static struct rp_map *
new_map(const struct rp_case *c, const char *title, const char *id, double minlat, double minlon,
	double maxlat, double maxlon, double min_span)
{
	struct rp_map *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	snprintf(m->title, sizeof(m->title), "%s", title);
	snprintf(m->id, sizeof(m->id), "%s", id);
	if (ct_map_fit(minlat, minlon, maxlat, maxlon, RP_MAP_W, RP_MAP_H, MARGIN, min_span,
		       &m->v) < 0) {
		free(m);
		return NULL;
	}
	grid(m);
	scale_bar(m);
	tiles(m, c->tiles);
	if (m->tz >= 0)
		snprintf(m->note, sizeof(m->note), "Background: %s, zoom %d (MBTiles). ",
			 rp_tiles_describe(c->tiles), m->tz);
	else
		snprintf(m->note, sizeof(m->note), "No background map: positions and grid only. ");
	{
		size_t l = strlen(m->note);
		char lat[32];
		ct_format_lat(m->bar_lat, 0.01, lat, sizeof(lat));
		snprintf(m->note + l, sizeof(m->note) - l, "Web Mercator, north up; the scale bar is "
			 "true at %s.", lat);
	}
	return m;
}

static void
grow(double *minlat, double *minlon, double *maxlat, double *maxlon, double lat, double lon)
{
	if (lat < *minlat)
		*minlat = lat;
	if (lat > *maxlat)
		*maxlat = lat;
	if (lon < *minlon)
		*minlon = lon;
	if (lon > *maxlon)
		*maxlon = lon;
}

static int
add_map(struct rp_doc *d, struct rp_map *m)
{
	struct rp_map **v = realloc(d->maps, (d->nmaps + 1) * sizeof(*v));

	if (v == NULL) {
		rp_map_free(m);
		return -ENOMEM;
	}
	d->maps = v;
	d->maps[d->nmaps++] = m;
	return 0;
}

/* The box around a flight: its sources and the home points they name. */
static void
flight_box(const struct rp_case *c, const struct rp_flight *f, double *b)
{
	size_t i;

	b[0] = f->minlat;
	b[1] = f->minlon;
	b[2] = f->maxlat;
	b[3] = f->maxlon;
	for (i = 0; i < f->ntracks; i++) {
		const struct rp_source *s = &c->src[f->src[i]];
		if (s->has_home && fabs(s->home_lat) <= 90 && fabs(s->home_lon) <= 180)
			grow(&b[0], &b[1], &b[2], &b[3], s->home_lat, s->home_lon);
	}
}

int
rp_maps_build(const struct rp_case *c, struct rp_doc *d)
{
	double all[4] = { INFINITY, INFINITY, -INFINITY, -INFINITY }, b[4];
	struct rp_map *m;
	size_t k, i;
	int ret;

	for (k = 0; k < c->nfl; k++) {
		flight_box(c, &c->fl[k], b);
		if (b[0] > b[2])
			continue;
		grow(&all[0], &all[1], &all[2], &all[3], b[0], b[1]);
		grow(&all[0], &all[1], &all[2], &all[3], b[2], b[3]);
	}
	for (i = 0; i < c->nsrc; i++)
		if (c->src[i].photo && c->src[i].flight < 0 && c->src[i].npts)
			grow(&all[0], &all[1], &all[2], &all[3], c->src[i].minlat, c->src[i].minlon);
	if (all[0] > all[2])
		return 0;	/* no position anywhere: no map */
	if ((m = new_map(c, "Overview: every flight and photo", "map-overview", all[0], all[1],
			 all[2], all[3], MIN_SPAN_OVERVIEW)) == NULL)
		return -ENOMEM;
	m->overview = 1;
	if (c->nfl && (m->flights = calloc(c->nfl, sizeof(int))) == NULL) {
		rp_map_free(m);
		return -ENOMEM;
	}
	for (k = 0; k < c->nfl; k++)
		m->flights[m->nflights++] = (int)k;
	if ((ret = add_map(d, m)) < 0)
		return ret;
	for (k = 0; k < c->nfl; k++) {
		char title[64], id[32];

		flight_box(c, &c->fl[k], b);
		if (b[0] > b[2])
			continue;
		snprintf(title, sizeof(title), "Flight %zu", k + 1);
		snprintf(id, sizeof(id), "map-flight-%zu", k + 1);
		if ((m = new_map(c, title, id, b[0], b[1], b[2], b[3], MIN_SPAN_FLIGHT)) == NULL ||
		    (m->flights = calloc(1, sizeof(int))) == NULL) {
			rp_map_free(m);
			return -ENOMEM;
		}
		m->flights[m->nflights++] = (int)k;
		if ((ret = add_map(d, m)) < 0)
			return ret;
	}
	return 0;
}

/* ---- drawing ---- */

static void
draw_tiles(const struct rp_map *m, const struct rp_case *c, const struct rp_canvas *cv)
{
	double world = 2 * M_PI * CT_EARTH_RADIUS_M, size;
	long x, y;

	if (m->tz < 0)
		return;
	size = world / (double)(1L << m->tz) * m->v.upm;
	for (y = m->ty0; y <= m->ty1; y++)
		for (x = m->tx0; x <= m->tx1; x++) {
			unsigned char *data;
			size_t len;
			double mx = -world / 2 + (double)x * world / (double)(1L << m->tz);
			double my = world / 2 - (double)y * world / (double)(1L << m->tz);
			double px = m->v.w / 2 + (mx - m->v.cx) * m->v.upm;
			double py = m->v.h / 2 - (my - m->v.cy) * m->v.upm;

			if (rp_tiles_get(c->tiles, m->tz, x, y, &data, &len) != 0)
				continue;
			cv->image(cv->ctx, data, len, px, py, size, size);
			free(data);
		}
}

static void
draw_grid(const struct rp_map *m, const struct rp_canvas *cv)
{
	char label[32];
	double xy[4], px, py;
	int i;

	for (i = 0; i < m->nlon; i++) {
		double lon = m->lon0 + i * m->lonstep;
		ct_map_project(&m->v, 0, lon, &px, &py);
		xy[0] = xy[2] = px;
		xy[1] = 0;
		xy[3] = m->v.h;
		cv->polyline(cv->ctx, xy, 2, GRID, 0.8, 0, 0, 0);
		if (px + 48 > m->v.w)
			continue;	/* would be cut by the frame */
		ct_format_lon(lon, m->lonstep, label, sizeof(label));
		cv->text(cv->ctx, px + 3, m->v.h - 6, label, 10, 0, GRID_TEXT, 0, 1);
	}
	for (i = 0; i < m->nlat; i++) {
		double lat = m->lat0 + i * m->latstep;
		ct_map_project(&m->v, lat, 0, &px, &py);
		xy[0] = 0;
		xy[2] = m->v.w;
		xy[1] = xy[3] = py;
		cv->polyline(cv->ctx, xy, 2, GRID, 0.8, 0, 0, 0);
		if (py < 16 || py > m->v.h - 56)
			continue;	/* the frame's edge, the scale bar */
		ct_format_lat(lat, m->latstep, label, sizeof(label));
		cv->text(cv->ctx, 4, py - 3, label, 10, 0, GRID_TEXT, 0, 1);
	}
}

/* A track, or a dot where it is smaller than one (of radius r: flights
 * at the same place are drawn as rings around each other). */
static void
draw_track(const struct rp_map *m, const struct rp_source *s, const struct rp_flight *f,
	   const struct rp_canvas *cv, double *xy, double r)
{
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	size_t i;

	for (i = 0; i < s->nkept; i++) {
		ct_map_project(&m->v, s->pts[i].lat, s->pts[i].lon, &xy[2 * i], &xy[2 * i + 1]);
		x0 = fmin(x0, xy[2 * i]);
		x1 = fmax(x1, xy[2 * i]);
		y0 = fmin(y0, xy[2 * i + 1]);
		y1 = fmax(y1, xy[2 * i + 1]);
	}
	if (s->nkept == 0)
		return;
	if (x1 - x0 < DOT_R && y1 - y0 < DOT_R)
		cv->circle(cv->ctx, (x0 + x1) / 2, (y0 + y1) / 2, r, f->colour, f->colour, 0);
	else
		cv->polyline(cv->ctx, xy, s->nkept, f->colour, TRACK_W, f->dashed, 0, 0);
}

static void
marker_start(const struct rp_canvas *cv, double x, double y)
{
	cv->circle(cv->ctx, x, y, 4.5, WHITE, INK, 1.6);
}

static void
marker_end(const struct rp_canvas *cv, double x, double y)
{
	cv->rect(cv->ctx, x - 4, y - 4, 8, 8, INK, 1, WHITE, 1);
}

static void
marker_home(const struct rp_canvas *cv, double x, double y)
{
	cv->rect(cv->ctx, x - 6, y - 6, 12, 12, WHITE, 1, INK, 1.4);
	cv->text(cv->ctx, x, y + 3.8, "H", 10, 1, INK, 1, 0);
}

/* Hollow: a flight drawn as a dot at the same place stays visible inside. */
static void
marker_photo(const struct rp_canvas *cv, double x, double y)
{
	double d[8] = { x, y - 7, x + 7, y, x, y + 7, x - 7, y };

	cv->polyline(cv->ctx, d, 4, INK, 1.4, 0, 1, 0);
}

/* Start, end and home points, and the flight's photos.  On a map where
 * the flight is a dot, its markers would hide it: then only the photos. */
static void
draw_markers(const struct rp_map *m, const struct rp_case *c, const struct rp_flight *f,
	     const struct rp_canvas *cv)
{
	const struct rp_source *p0 = &c->src[f->first], *p1 = &c->src[f->last];
	double x, y, x1, y1;
	size_t i;

	ct_map_project(&m->v, f->minlat, f->minlon, &x, &y);
	ct_map_project(&m->v, f->maxlat, f->maxlon, &x1, &y1);
	if (fabs(x1 - x) < MARKER_MIN && fabs(y1 - y) < MARKER_MIN) {
		for (i = f->ntracks; i < f->nsrc; i++) {
			const struct rp_source *s = &c->src[f->src[i]];
			if (s->nkept) {
				ct_map_project(&m->v, s->pts[0].lat, s->pts[0].lon, &x, &y);
				marker_photo(cv, x, y);
			}
		}
		return;
	}

	for (i = 0; i < f->ntracks; i++) {
		const struct rp_source *s = &c->src[f->src[i]];
		if (s->has_home && fabs(s->home_lat) <= 90 && fabs(s->home_lon) <= 180) {
			ct_map_project(&m->v, s->home_lat, s->home_lon, &x, &y);
			marker_home(cv, x, y);
		}
	}
	for (i = f->ntracks; i < f->nsrc; i++) {
		const struct rp_source *s = &c->src[f->src[i]];
		if (s->nkept) {
			ct_map_project(&m->v, s->pts[0].lat, s->pts[0].lon, &x, &y);
			marker_photo(cv, x, y);
		}
	}
	/* the end of the track that ends last, the start of the one that starts first */
	if (p1->nkept) {
		ct_map_project(&m->v, p1->pts[p1->nkept - 1].lat, p1->pts[p1->nkept - 1].lon, &x, &y);
		marker_end(cv, x, y);
	}
	if (p0->nkept) {
		ct_map_project(&m->v, p0->pts[0].lat, p0->pts[0].lon, &x, &y);
		marker_start(cv, x, y);
	}
}

static void
draw_furniture(const struct rp_map *m, const struct rp_canvas *cv)
{
	double w = m->v.w, h = m->v.h, x = 14, y = h - 34, bw = m->bar_units, half;
	double arrow[6] = { w - 28, 16, w - 20, 40, w - 36, 40 };
	char label[32];

	/* scale bar: white box, alternating halves, label */
	ct_format_metres(m->bar_m, label, sizeof(label));
	cv->rect(cv->ctx, x - 6, y - 16, bw + 12 + 8 * (double)strlen(label), 30, WHITE, 1, WHITE, 0);
	half = bw / 2;
	cv->rect(cv->ctx, x, y, half, 6, INK, 1, INK, 1);
	cv->rect(cv->ctx, x + half, y, half, 6, WHITE, 1, INK, 1);
	cv->text(cv->ctx, x, y - 4, "0", 10, 1, INK, 0, 0);
	cv->text(cv->ctx, x + bw, y - 4, label, 10, 1, INK, 0, 0);
	/* north arrow */
	cv->circle(cv->ctx, w - 28, 32, 20, WHITE, WHITE, 0);
	cv->polyline(cv->ctx, arrow, 3, INK, 1, 0, 1, 1);
	cv->text(cv->ctx, w - 28, 14, "N", 11, 1, INK, 1, 0);
}

/* The centre of a flight on the map, and whether it is a dot there. */
static int
flight_dot(const struct rp_map *m, const struct rp_flight *f, double *x, double *y)
{
	double x0, y0, x1, y1;

	ct_map_project(&m->v, f->minlat, f->minlon, &x0, &y0);
	ct_map_project(&m->v, f->maxlat, f->maxlon, &x1, &y1);
	*x = (x0 + x1) / 2;
	*y = (y0 + y1) / 2;
	return fabs(x1 - x0) < DOT_R && fabs(y1 - y0) < DOT_R;
}

/* A dot's radius: one ring wider for every later dot on top of it. */
static double
dot_radius(const struct rp_map *m, const struct rp_case *c, size_t k)
{
	double x, y, x2, y2, r = DOT_R;
	size_t j;

	if (!flight_dot(m, &c->fl[m->flights[k]], &x, &y))
		return r;
	for (j = k + 1; j < m->nflights; j++)
		if (flight_dot(m, &c->fl[m->flights[j]], &x2, &y2) && fabs(x2 - x) < DOT_R &&
		    fabs(y2 - y) < DOT_R)
			r += 3;
	return r;
}

void
rp_map_draw(const struct rp_map *m, const struct rp_case *c, const struct rp_canvas *cv)
{
	double *xy = malloc((RP_KEEP_POINTS + 1) * 2 * sizeof(double));
	size_t i, k;

	cv->clip(cv->ctx, 0, 0, m->v.w, m->v.h);
	cv->rect(cv->ctx, 0, 0, m->v.w, m->v.h, RP_MAP_BG, 1, RP_MAP_BG, 0);
	draw_tiles(m, c, cv);
	draw_grid(m, cv);
	for (k = 0; xy && k < m->nflights; k++) {
		const struct rp_flight *f = &c->fl[m->flights[k]];
		double r = dot_radius(m, c, k);
		for (i = 0; i < f->ntracks; i++)
			draw_track(m, &c->src[f->src[i]], f, cv, xy, r);
	}
	for (k = 0; k < m->nflights; k++)
		draw_markers(m, c, &c->fl[m->flights[k]], cv);
	if (m->overview) {
		/* photos outside every flight */
		for (i = 0; i < c->nsrc; i++) {
			double x, y;
			if (!c->src[i].photo || c->src[i].flight >= 0 || c->src[i].nkept == 0)
				continue;
			ct_map_project(&m->v, c->src[i].pts[0].lat, c->src[i].pts[0].lon, &x, &y);
			marker_photo(cv, x, y);
		}
	}
	draw_furniture(m, cv);
	cv->unclip(cv->ctx);
	cv->rect(cv->ctx, 0, 0, m->v.w, m->v.h, 0, 0, RP_FRAME_COLOUR, 2);
	free(xy);
}
