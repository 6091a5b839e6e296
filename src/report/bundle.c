/*
 * bundle.c — an evidence bundle as the report needs it: MANIFEST.json,
 * flights.json and every tracks/NNNN_NAME.csv, read in one pass with libarchive
 * (the files themselves are skipped).  A track is read row by row: its
 * statistics use every point, the map keeps at most RP_KEEP_POINTS of them
 * (every stride-th, first and last), so memory does not grow with a log.
 *
 * CSV columns are found by the header's names (time, time_basis, lat, lon,
 * alt_m, alt_ref, source, and height_above_takeoff_m where a bundle has
 * it); others are ignored.  Everything here is card data.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>

#include "cardtrail/flight.h"
#include "cardtrail/util.h"
#include "report_int.h"

#define MAX_JSON_MEMBER (64u << 20)
#define MAX_LINE (64u << 10)
#define NCOLS 8

enum { C_TIME, C_BASIS, C_LAT, C_LON, C_ALT, C_REF, C_SOURCE, C_HAT };
static const char *const col_names[NCOLS] = {
	[C_TIME] = "time", [C_BASIS] = "time_basis", [C_LAT] = "lat", [C_LON] = "lon",
	[C_ALT] = "alt_m", [C_REF] = "alt_ref", [C_SOURCE] = "source",
	[C_HAT] = "height_above_takeoff_m",
};

static const char *const ref_names[] = {
	[CT_ALT_NONE] = "", [CT_ALT_MSL] = "msl", [CT_ALT_ELLIPSOID] = "ellipsoid",
	[CT_ALT_TAKEOFF] = "takeoff", [CT_ALT_UNKNOWN] = "unknown",
};

/* A track read before flights.json tells whose it is. */
struct csv {
	int col[NCOLS];		/* field index of each column, -1 absent */
	int have_header;
	char *source;
	struct rp_source s;
	char *line;		/* a line split over two reads */
	size_t linelen;
	int overlong;
};

/* ---- one track's points ---- */

static void
track_init(struct rp_source *s)
{
	s->basis = CT_TIME_NONE;
	s->stride = 1;
	s->minlat = s->minlon = INFINITY;
	s->maxlat = s->maxlon = -INFINITY;
}

static int
keep_point(struct rp_source *s, double lat, double lon)
{
	size_t i;

	if (s->pts == NULL && (s->pts = malloc((RP_KEEP_POINTS + 1) * sizeof(*s->pts))) == NULL)
		return -ENOMEM;
	if ((s->seen - 1) % s->stride != 0)
		return 0;
	if (s->nkept == RP_KEEP_POINTS) {
		/* full: keep every other one, and half as many from now on */
		for (i = 0; i < RP_KEEP_POINTS / 2; i++)
			s->pts[i] = s->pts[2 * i];
		s->nkept = RP_KEEP_POINTS / 2;
		s->stride *= 2;
		if ((s->seen - 1) % s->stride != 0)
			return 0;
	}
	s->pts[s->nkept++] = (struct rp_pt){ lat, lon };
	return 0;
}

static int
track_add(struct rp_source *s, int64_t t, int basis, double lat, double lon, double alt, int ref)
{
	if (!isfinite(lat) || !isfinite(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180)
		return 0;
	if (s->npts == 0) {
		s->basis = basis;
	} else {
		if (s->basis != basis)
			s->basis = -1;
		s->dist_m += ct_distance_m(s->last.lat, s->last.lon, lat, lon);
	}
	if (basis != CT_TIME_NONE) {
		if (s->npts == 0 || t < s->t0)
			s->t0 = t;
		if (s->npts == 0 || t > s->t1)
			s->t1 = t;
	}
	if (ref > CT_ALT_NONE && ref <= CT_ALT_UNKNOWN && isfinite(alt) &&
	    (!s->has_alt[ref] || alt > s->max_alt[ref])) {
		s->max_alt[ref] = alt;
		s->has_alt[ref] = 1;
	}
	if (lat < s->minlat)
		s->minlat = lat;
	if (lat > s->maxlat)
		s->maxlat = lat;
	if (lon < s->minlon)
		s->minlon = lon;
	if (lon > s->maxlon)
		s->maxlon = lon;
	s->npts++;
	s->seen++;
	s->last = (struct rp_pt){ lat, lon };
	return keep_point(s, lat, lon);
}

/* After the last point: it is always drawn. */
static void
track_finish(struct rp_source *s)
{
	if (s->npts > 0 && s->pts && s->nkept > 0 && (s->seen - 1) % s->stride != 0)
		s->pts[s->nkept++] = s->last;
}

/* ---- CSV ---- */

/* Split an RFC 4180 line in place into at most max fields. */
static size_t
split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line, *o;

	while (n < max) {
		f[n++] = o = p;
		if (*p == '"') {
			for (p++; *p; p++) {
				if (*p == '"' && p[1] == '"')
					*o++ = *p++;
				else if (*p == '"')
					break;
				else
					*o++ = *p;
			}
			if (*p == '"')
				p++;
			while (*p && *p != ',')
				p++;
		} else {
			while (*p && *p != ',')
				*o++ = *p++;
		}
		if (*p == '\0') {
			*o = '\0';
			break;
		}
		p++;
		*o = '\0';
	}
	return n;
}

static int
ref_of(const char *s)
{
	size_t i;

	for (i = 1; i < CT_ARRAY_SIZE(ref_names); i++)
		if (!strcmp(s, ref_names[i]))
			return (int)i;
	return CT_ALT_NONE;
}

static void
csv_header(struct csv *c, char *line)
{
	char *f[64];
	size_t n = split_fields(line, f, 64), i, k;

	for (k = 0; k < NCOLS; k++)
		c->col[k] = -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < NCOLS; k++)
			if (!strcmp(f[i], col_names[k]))
				c->col[k] = (int)i;
	c->have_header = 1;
}

static const char *
field(char **f, size_t n, int col)
{
	return col >= 0 && (size_t)col < n ? f[col] : "";
}

/* A whole field as a finite number. */
static int
number(const char *s, double *v)
{
	char *end;

	*v = strtod(s, &end);
	return end != s && *end == '\0' && isfinite(*v);
}

static int
csv_row(struct csv *c, char *line)
{
	char *f[64];
	size_t n;
	int64_t t = 0;
	int basis = CT_TIME_NONE, date_only, ref;
	double lat, lon, alt = NAN, h;
	const char *ts, *src, *hat;

	if (!c->have_header) {
		csv_header(c, line);
		return 0;
	}
	if (*line == '\0' || c->col[C_LAT] < 0 || c->col[C_LON] < 0)
		return 0;
	n = split_fields(line, f, 64);
	src = field(f, n, c->col[C_SOURCE]);
	if (c->source == NULL && (c->source = strdup(src)) == NULL)
		return -ENOMEM;
	if (!number(field(f, n, c->col[C_LAT]), &lat) || !number(field(f, n, c->col[C_LON]), &lon))
		return 0;
	ts = field(f, n, c->col[C_TIME]);
	if (*ts == '\0' || rp_parse_time(ts, &t, &basis, &date_only) < 0)
		basis = CT_TIME_NONE;
	ref = ref_of(field(f, n, c->col[C_REF]));
	if (ref != CT_ALT_NONE && !number(field(f, n, c->col[C_ALT]), &alt))
		ref = CT_ALT_NONE;
	hat = field(f, n, c->col[C_HAT]);
	/* a bundle that names take-off heights apart from altitudes */
	if (ref != CT_ALT_TAKEOFF && number(hat, &h) &&
	    (!c->s.has_alt[CT_ALT_TAKEOFF] || h > c->s.max_alt[CT_ALT_TAKEOFF])) {
		c->s.max_alt[CT_ALT_TAKEOFF] = h;
		c->s.has_alt[CT_ALT_TAKEOFF] = 1;
	}
	return track_add(&c->s, t, basis, lat, lon, alt, ref);
}

/* Add n bytes to the line being gathered; a line longer than MAX_LINE is
 * not one of ours and is skipped whole. */
static int
line_add(struct csv *c, const char *p, size_t n)
{
	char *l;

	if (c->overlong || c->linelen + n > MAX_LINE) {
		c->overlong = 1;
		return 0;
	}
	if ((l = realloc(c->line, c->linelen + n + 1)) == NULL)
		return -ENOMEM;
	c->line = l;
	memcpy(c->line + c->linelen, p, n);
	c->linelen += n;
	c->line[c->linelen] = '\0';
	return 0;
}

/* Feed bytes; complete lines are parsed. */
static int
csv_feed(struct csv *c, const char *buf, size_t len)
{
	size_t i, start = 0;
	int ret;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if ((ret = line_add(c, buf + start, i - start)) < 0)
			return ret;
		if (!c->overlong) {
			if (c->linelen && c->line[c->linelen - 1] == '\r')
				c->line[--c->linelen] = '\0';
			if ((ret = csv_row(c, c->line)) < 0)
				return ret;
		}
		c->linelen = 0;
		c->overlong = 0;
		start = i + 1;
	}
	return start < len ? line_add(c, buf + start, len - start) : 0;
}

static void
csv_free(struct csv *c)
{
	free(c->source);
	free(c->line);
	free(c->s.pts);
}

/* ---- the bundle ---- */

struct reader {
	struct rp_case *c;
	struct rp_evidence *e;
	struct archive *a;
	struct csv *csv;
	size_t ncsv;
};

static int
read_member_json(struct reader *r, const char *name, struct json_object **out)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error jerr = json_tokener_continue;
	struct json_object *j = NULL;
	char buf[65536];
	la_ssize_t n;
	size_t total = 0;

	if (tok == NULL)
		return -ENOMEM;
	while ((n = archive_read_data(r->a, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		if (total > MAX_JSON_MEMBER) {
			snprintf(r->e->bundle_error, sizeof(r->e->bundle_error),
				 "%s in %s is larger than %u MiB: not read", name,
				 r->e->bundle_name, MAX_JSON_MEMBER >> 20);
			break;
		}
		if (j == NULL && jerr == json_tokener_continue) {
			j = json_tokener_parse_ex(tok, buf, (int)n);
			jerr = json_tokener_get_error(tok);
		}
	}
	json_tokener_free(tok);
	if (n < 0 || total > MAX_JSON_MEMBER || j == NULL) {
		if (r->e->bundle_error[0] == '\0')
			snprintf(r->e->bundle_error, sizeof(r->e->bundle_error),
				 "%s in %s cannot be read as JSON%s%s", name, r->e->bundle_name,
				 n < 0 ? ": " : "", n < 0 ? archive_error_string(r->a) : "");
		json_object_put(j);
		return 0;
	}
	json_object_put(*out);
	*out = j;
	return 0;
}

static int
read_member_csv(struct reader *r)
{
	struct csv *c = realloc(r->csv, (r->ncsv + 1) * sizeof(*c));
	char buf[65536];
	la_ssize_t n;
	int ret = 0;

	if (c == NULL)
		return -ENOMEM;
	r->csv = c;
	c = &r->csv[r->ncsv++];
	memset(c, 0, sizeof(*c));
	track_init(&c->s);
	while ((n = archive_read_data(r->a, buf, sizeof(buf))) > 0)
		if ((ret = csv_feed(c, buf, (size_t)n)) < 0)
			return ret;
	if (c->linelen && !c->overlong && (ret = csv_feed(c, "\n", 1)) < 0)
		return ret;
	track_finish(&c->s);
	return 0;
}

/* A photo is a file of the card that starts as a JPEG does, whether or
 * not it gave a position (its name in e->photos). */
static int
note_photo(struct reader *r, const char *name)
{
	unsigned char b[3];
	size_t got = 0;
	la_ssize_t n;

	while (got < sizeof(b) && (n = archive_read_data(r->a, b + got, sizeof(b) - got)) > 0)
		got += (size_t)n;
	if (got < sizeof(b) || b[0] != 0xff || b[1] != 0xd8 || b[2] != 0xff)
		return 0;
	if (r->e->photos == NULL && (r->e->photos = json_object_new_object()) == NULL)
		return -ENOMEM;
	return json_object_object_add(r->e->photos, name, NULL) < 0 ? -ENOMEM : 0;
}

static int
walk(struct reader *r)
{
	struct archive_entry *ae;
	int ret = 0, rc;

	while ((rc = archive_read_next_header(r->a, &ae)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(ae);
		size_t l = name ? strlen(name) : 0;

		if (name == NULL || archive_entry_filetype(ae) != AE_IFREG)
			continue;
		if (!strcmp(name, "MANIFEST.json"))
			ret = read_member_json(r, name, &r->e->manifest);
		else if (!strcmp(name, "flights.json"))
			ret = read_member_json(r, name, &r->e->flights);
		else if (!strncmp(name, "tracks/", 7) && l > 4 && !strcmp(name + l - 4, ".csv"))
			ret = read_member_csv(r);
		else if (!strncmp(name, "files/", 6) || !strncmp(name, "deleted/", 8) ||
			 !strncmp(name, "carved/", 7))
			ret = note_photo(r, name);
		if (ret < 0)
			return ret;
	}
	if (rc != ARCHIVE_EOF)
		snprintf(r->e->bundle_error, sizeof(r->e->bundle_error), "%s: %s", r->e->bundle_name,
			 archive_error_string(r->a) ? archive_error_string(r->a) : "not a tar file");
	return 0;
}

/* Without a track in the bundle, the entry's first and last points stand in. */
static int
track_from_entry(struct rp_source *s, struct json_object *entry)
{
	static const char *const ends[] = { "first", "last" };
	size_t i;

	track_init(s);
	for (i = 0; i < CT_ARRAY_SIZE(ends); i++) {
		struct json_object *p = ct_json_get(entry, ends[i]);
		int64_t t = 0;
		int basis = CT_TIME_NONE, d;

		if (p == NULL)
			continue;
		if (rp_parse_time(ct_json_str(p, "time", NULL), &t, &basis, &d) < 0)
			basis = CT_TIME_NONE;
		if (track_add(s, t, basis, json_object_get_double(ct_json_get(p, "lat")),
			      json_object_get_double(ct_json_get(p, "lon")),
			      json_object_get_double(ct_json_get(p, "alt_m")),
			      ref_of(ct_json_str(p, "alt_ref", ""))) < 0)
			return -ENOMEM;
	}
	track_finish(s);
	return 0;
}

/* A source from a flights.json entry and the track that names it. */
static int
add_source(struct reader *r, size_t ev, struct json_object *entry, struct json_object *bysrc)
{
	struct rp_case *c = r->c;
	struct json_object *id = ct_json_get(entry, "identity"), *home = ct_json_get(entry, "home");
	struct json_object *k;
	struct rp_source s, *v;
	int ret;

	memset(&s, 0, sizeof(s));
	if (json_object_object_get_ex(bysrc, ct_json_str(entry, "file", ""), &k)) {
		/* the track's points, taken over */
		struct csv *t = &r->csv[json_object_get_int(k)];
		s = t->s;
		memset(&t->s, 0, sizeof(t->s));
		s.have_track = 1;
	} else if ((ret = track_from_entry(&s, entry)) < 0) {
		free(s.pts);
		return ret;
	}
	s.ev = ev;
	s.entry = entry;
	s.file = ct_json_str(entry, "file", "?");
	s.state = ct_json_str(entry, "state", "?");
	s.format = ct_json_str(entry, "format", "?");
	s.aircraft = ct_json_str(id, "aircraft_serial", NULL);
	s.camera = ct_json_str(id, "camera_serial", NULL);
	s.model = ct_json_str(id, "model", NULL);
	s.photo = !strcmp(s.format, "jpeg");
	s.flight = -1;
	if (ct_json_get(home, "lat") && ct_json_get(home, "lon")) {
		s.has_home = 1;
		s.home_lat = json_object_get_double(ct_json_get(home, "lat"));
		s.home_lon = json_object_get_double(ct_json_get(home, "lon"));
	}
	v = realloc(c->src, (c->nsrc + 1) * sizeof(*v));
	if (v == NULL) {
		free(s.pts);
		return -ENOMEM;
	}
	c->src = v;
	c->src[c->nsrc++] = s;
	return 0;
}

int
rp_bundle_read(struct rp_case *c, size_t ev)
{
	struct reader r = { .c = c, .e = &c->ev[ev] };
	struct json_object *bysrc = NULL;
	char path[PATH_MAX];
	size_t i;
	int ret = 0;

	if ((ret = ct_snprintf(path, sizeof(path), "%s/%s", c->casedir, r.e->bundle_name)) < 0)
		return ret;
	r.a = archive_read_new();
	if (r.a == NULL)
		return -ENOMEM;
	archive_read_support_format_tar(r.a);
	if (archive_read_open_filename(r.a, path, 65536) != ARCHIVE_OK) {
		snprintf(r.e->bundle_error, sizeof(r.e->bundle_error), "cannot open %s: %s",
			 r.e->bundle_name, archive_error_string(r.a));
		goto out;
	}
	if ((ret = walk(&r)) < 0)
		goto out;
	if (r.e->flights == NULL || !json_object_is_type(r.e->flights, json_type_array)) {
		if (r.e->bundle_error[0] == '\0')
			snprintf(r.e->bundle_error, sizeof(r.e->bundle_error),
				 "%s holds no flights.json", r.e->bundle_name);
		goto out;
	}
	bysrc = json_object_new_object();
	for (i = 0; bysrc && i < r.ncsv; i++)
		if (r.csv[i].source && !json_object_object_get_ex(bysrc, r.csv[i].source, NULL))
			json_object_object_add(bysrc, r.csv[i].source, json_object_new_int((int)i));
	for (i = 0; i < json_object_array_length(r.e->flights); i++) {
		struct json_object *f = json_object_array_get_idx(r.e->flights, i);
		if (!json_object_is_type(f, json_type_object) || ct_json_str(f, "file", NULL) == NULL ||
		    json_object_get_int64(ct_json_get(f, "points")) <= 0)
			continue;
		if ((ret = add_source(&r, ev, f, bysrc)) < 0)
			goto out;
	}
out:
	json_object_put(bysrc);
	for (i = 0; i < r.ncsv; i++)
		csv_free(&r.csv[i]);
	free(r.csv);
	archive_read_free(r.a);
	return ret;
}
