/*
 * test_tracks.c — the track exports (tracks.c): exact CSV, GeoJSON parsed
 * back with json-c, KML and GPX parsed back with expat (needs expat in the
 * Makefile's PKGS), hostile source names, and the flights.json entry.
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

#include <expat.h>
#include <json-c/json.h>

#include "cardtrail/flight.h"
#include "cardtrail/tracks.h"

#define T0 1619001058600345LL	/* 2021-04-21T10:30:58.600345Z */

/* Five points: UTC+MSL, UTC+MSL, local+take-off (negative lon and alt),
 * boot+take-off, no time and no altitude. */
static const struct ct_point PTS[] = {
	{ T0, CT_TIME_UTC, 47.3977419, 8.5455938, 488.123, CT_ALT_MSL, 16, 0 },
	{ T0 + 1000000, CT_TIME_UTC, 47.39775, 8.5456, 489.5, CT_ALT_MSL, 80, 0 },
	{ T0 + 7200000000LL - 600345, CT_TIME_LOCAL, 47.39776, -8.5456, -12.25,
	  CT_ALT_TAKEOFF, 144, 0 },
	{ 12345678, CT_TIME_BOOT, 47.3978, 8.5457, 30.5, CT_ALT_TAKEOFF, 208, 0 },
	{ 0, CT_TIME_NONE, 47.3979, 8.5458, 0, CT_ALT_NONE, 272, 0 },
};

static void
build(struct ct_flight *f, const struct ct_point *pts, size_t n, int home)
{
	size_t i;

	ct_flight_init(f, "ulog");
	for (i = 0; i < n; i++)
		assert_int_equal(ct_flight_point(f, &pts[i]), 0);
	assert_int_equal(f->npts, n);
	if (home) {
		f->home = (struct ct_point){ 0, CT_TIME_NONE, 47.3970001, 8.5450002, 480.5,
					    CT_ALT_MSL, 0, 0 };
		f->has_home = 1;
	}
}

/* A flight with every point at the same reference. */
static void
build_uniform(struct ct_flight *f, enum ct_alt_ref ref, size_t n)
{
	struct ct_point p;
	size_t i;

	ct_flight_init(f, "dji-srt");
	for (i = 0; i < n; i++) {
		p = (struct ct_point){ T0 + (int64_t)i * 100000, CT_TIME_UTC,
				       47.0 + (double)i * 1e-6, 8.0 + (double)i * 1e-6,
				       100.0 + (double)i * 0.001, ref, i * 64, 0 };
		assert_int_equal(ct_flight_point(f, &p), 0);
	}
}

/* Occurrences of needle (a plain loop: ASan's strstr rescans the whole
 * haystack on every call, which is quadratic on big outputs). */
static size_t
count_str(const char *hay, const char *needle)
{
	size_t n = 0, l = strlen(needle), i;

	while (*hay != '\0') {
		for (i = 0; i < l && hay[i] == needle[i]; i++)
			;
		if (i == l) {
			n++;
			hay += l;
		} else {
			hay++;
		}
	}
	return n;
}

/* ---- expat: the document as (path, text) records ---- */

struct xrec {
	char *path;		/* "gpx/trk/name", or "gpx/trk/trkseg/trkpt@lat" */
	char *text;
};

struct xdoc {
	struct xrec *r;
	size_t n, cap;
	char path[1024];
	size_t plen[64];
	int depth;
	char text[4096];
	size_t tlen;
};

static void
xadd(struct xdoc *d, const char *path, const char *text)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->r = realloc(d->r, d->cap * sizeof(*d->r));
		assert_non_null(d->r);
	}
	d->r[d->n].path = strdup(path);
	d->r[d->n].text = strdup(text);
	assert_non_null(d->r[d->n].path);
	assert_non_null(d->r[d->n].text);
	d->n++;
}

static void
xstart(void *ud, const XML_Char *name, const XML_Char **attr)
{
	struct xdoc *d = ud;
	char ap[1200];
	size_t l = strlen(d->path);
	int i;

	assert_true(d->depth < 63);
	d->plen[d->depth++] = l;
	snprintf(d->path + l, sizeof(d->path) - l, "%s%s", l ? "/" : "", name);
	for (i = 0; attr[i] != NULL; i += 2) {
		snprintf(ap, sizeof(ap), "%s@%s", d->path, attr[i]);
		xadd(d, ap, attr[i + 1]);
	}
	d->tlen = 0;
}

static void
xend(void *ud, const XML_Char *name)
{
	struct xdoc *d = ud;

	d->text[d->tlen] = '\0';
	xadd(d, d->path, d->text);
	d->path[d->plen[--d->depth]] = '\0';
	d->tlen = 0;
}

static void
xtext(void *ud, const XML_Char *s, int len)
{
	struct xdoc *d = ud;

	assert_true(d->tlen + (size_t)len < sizeof(d->text));
	memcpy(d->text + d->tlen, s, (size_t)len);
	d->tlen += (size_t)len;
}

/* Parse; fails the test unless the text is well-formed XML. */
static void
xparse(struct xdoc *d, const char *buf, size_t len)
{
	XML_Parser p = XML_ParserCreate("UTF-8");
	enum XML_Status st;

	memset(d, 0, sizeof(*d));
	assert_non_null(p);
	XML_SetUserData(p, d);
	XML_SetElementHandler(p, xstart, xend);
	XML_SetCharacterDataHandler(p, xtext);
	st = XML_Parse(p, buf, (int)len, 1);
	if (st != XML_STATUS_OK)
		fprintf(stderr, "# expat: %s at line %lu\n", XML_ErrorString(XML_GetErrorCode(p)),
			(unsigned long)XML_GetCurrentLineNumber(p));
	XML_ParserFree(p);
	assert_int_equal(st, XML_STATUS_OK);
	assert_int_equal(d->depth, 0);
}

static size_t
xcount(const struct xdoc *d, const char *path)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += !strcmp(d->r[i].path, path);
	return n;
}

/* The text of the idx-th record at path, or NULL. */
static const char *
xget(const struct xdoc *d, const char *path, size_t idx)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->r[i].path, path) && idx-- == 0)
			return d->r[i].text;
	return NULL;
}

static void
xfree(struct xdoc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->r[i].path);
		free(d->r[i].text);
	}
	free(d->r);
}

/* ---- names ---- */

static void
test_names(void **state)
{
	assert_string_equal(ct_time_basis_name(CT_TIME_UTC), "utc");
	assert_string_equal(ct_time_basis_name(CT_TIME_LOCAL), "local");
	assert_string_equal(ct_time_basis_name(CT_TIME_BOOT), "boot");
	assert_string_equal(ct_time_basis_name(CT_TIME_NONE), "");
	assert_string_equal(ct_time_basis_name((enum ct_time_basis)99), "");
	assert_string_equal(ct_alt_ref_name(CT_ALT_MSL), "msl");
	assert_string_equal(ct_alt_ref_name(CT_ALT_ELLIPSOID), "ellipsoid");
	assert_string_equal(ct_alt_ref_name(CT_ALT_TAKEOFF), "takeoff");
	assert_string_equal(ct_alt_ref_name(CT_ALT_UNKNOWN), "unknown");
	assert_string_equal(ct_alt_ref_name(CT_ALT_NONE), "");
}

/* ---- CSV ---- */

static void
test_csv_golden(void **state)
{
	static const char want[] =
	    "time,time_basis,lat,lon,alt_m,alt_ref,source,offset\n"
	    "2021-04-21T10:30:58.600345Z,utc,47.3977419,8.5455938,488.123,msl,\"a,b\"\"c\",16\n"
	    "2021-04-21T10:30:59.600345Z,utc,47.3977500,8.5456000,489.500,msl,\"a,b\"\"c\",80\n"
	    "2021-04-21T12:30:58.000000,local,47.3977600,-8.5456000,-12.250,takeoff,"
	    "\"a,b\"\"c\",144\n"
	    "+12.345678s,boot,47.3978000,8.5457000,30.500,takeoff,\"a,b\"\"c\",208\n"
	    ",,47.3979000,8.5458000,,,\"a,b\"\"c\",272\n";
	struct ct_flight f;
	char *out;
	size_t len;

	build(&f, PTS, 5, 1);
	assert_int_equal(ct_track_csv(&f, "a,b\"c", &out, &len), 0);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
	ct_flight_release(&f);
}

/* The source column alone, for one point. */
static char *
csv_source(const char *source)
{
	struct ct_flight f;
	char *out, *row, *p, *q;
	size_t len;

	build(&f, PTS, 1, 0);
	assert_int_equal(ct_track_csv(&f, source, &out, &len), 0);
	ct_flight_release(&f);
	row = strchr(out, '\n');
	assert_non_null(row);
	p = strstr(row, ",msl,");
	assert_non_null(p);
	p += 5;
	q = strrchr(out, ',');		/* before the offset */
	assert_true(q >= p);
	assert_string_equal(q, ",16\n");
	*q = '\0';
	p = strdup(p);
	free(out);
	return p;
}

static void
test_csv_hostile(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "deleted/LOG/00000012.BIN", "deleted/LOG/00000012.BIN" },
		{ "=cmd()", "\"'=cmd()\"" },
		{ "+1+2", "\"'+1+2\"" },
		{ "-2+3", "\"'-2+3\"" },
		{ "@SUM(A1)", "\"'@SUM(A1)\"" },
		{ "=HYPERLINK(\"x\",\"y\")", "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"" },
		{ "\tx", "\"'\tx\"" },
		{ "a\nb", "\"a\nb\"" },
		{ "a\rb", "\"a\rb\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "x=1", "x=1" },
		{ "x\001y", "x\001y" },
		{ "", "" },
	};
	size_t i;
	char *got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = csv_source(cases[i].in);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

static void
test_csv_empty(void **state)
{
	struct ct_flight f;
	char *out;
	size_t len;

	ct_flight_init(&f, "ulog");
	assert_int_equal(ct_track_csv(&f, "x", &out, &len), 0);
	assert_string_equal(out, "time,time_basis,lat,lon,alt_m,alt_ref,source,offset\n");
	assert_int_equal(len, strlen(out));
	free(out);
	ct_flight_release(&f);
}

/* ---- GeoJSON ---- */

static struct json_object *
jpath(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, k, &v));
	return v;
}

static int
jhas(struct json_object *o, const char *k)
{
	return json_object_object_get_ex(o, k, NULL);
}

static struct json_object *
parse_geojson(const struct ct_flight *f, const char *source)
{
	struct json_object *root;
	char *out;
	size_t len;

	assert_int_equal(ct_track_geojson(f, source, &out, &len), 0);
	assert_int_equal(len, strlen(out));
	assert_true(len > 0 && out[len - 1] == '\n');
	root = json_tokener_parse(out);
	free(out);
	assert_non_null(root);
	assert_string_equal(json_object_get_string(jpath(root, "type")), "FeatureCollection");
	return root;
}

static void
assert_position(struct json_object *pos, double lon, double lat, int dim)
{
	assert_true(json_object_is_type(pos, json_type_array));
	assert_int_equal(json_object_array_length(pos), dim);
	assert_true(fabs(json_object_get_double(json_object_array_get_idx(pos, 0)) - lon) < 1e-9);
	assert_true(fabs(json_object_get_double(json_object_array_get_idx(pos, 1)) - lat) < 1e-9);
}

static void
test_geojson_mixed(void **state)
{
	struct json_object *root, *feats, *tr, *g, *c, *pr, *home;
	struct ct_flight f;
	size_t i;

	build(&f, PTS, 5, 1);
	root = parse_geojson(&f, "a,b\"c<x&y>\001\xff");
	feats = jpath(root, "features");
	assert_int_equal(json_object_array_length(feats), 2);

	tr = json_object_array_get_idx(feats, 0);
	assert_string_equal(json_object_get_string(jpath(tr, "type")), "Feature");
	g = jpath(tr, "geometry");
	assert_string_equal(json_object_get_string(jpath(g, "type")), "LineString");
	c = jpath(g, "coordinates");
	assert_int_equal(json_object_array_length(c), 5);
	/* Mixed references: two dimensions, lon first. */
	for (i = 0; i < 5; i++)
		assert_position(json_object_array_get_idx(c, i), PTS[i].lon, PTS[i].lat, 2);

	pr = jpath(tr, "properties");
	/* json-c escapes the control character; the bad byte became U+FFFD. */
	assert_string_equal(json_object_get_string(jpath(pr, "source")),
			    "a,b\"c<x&y>\001\xef\xbf\xbd");
	assert_string_equal(json_object_get_string(jpath(pr, "format")), "ulog");
	assert_int_equal(json_object_get_int64(jpath(pr, "points")), 5);
	assert_string_equal(json_object_get_string(jpath(pr, "first_time")),
			    "2021-04-21T10:30:58.600345Z");
	assert_null(jpath(pr, "last_time"));	/* the last point has no time */
	assert_string_equal(json_object_get_string(jpath(pr, "time_basis")), "mixed");
	assert_string_equal(json_object_get_string(jpath(pr, "alt_ref")), "mixed");
	/* Heights that are not above the ellipsoid: properties named for
	 * their reference, aligned with the coordinates. */
	assert_string_equal(json_object_to_json_string_ext(jpath(pr, "height_above_msl_m"),
							   JSON_C_TO_STRING_PLAIN),
			    "[488.123,489.500,null,null,null]");
	assert_string_equal(json_object_to_json_string_ext(jpath(pr, "height_above_takeoff_m"),
							   JSON_C_TO_STRING_PLAIN),
			    "[null,null,-12.250,30.500,null]");
	assert_false(jhas(pr, "height_reference_unknown_m"));
	assert_false(jhas(pr, "height_above_ellipsoid_m"));

	home = json_object_array_get_idx(feats, 1);
	g = jpath(home, "geometry");
	assert_string_equal(json_object_get_string(jpath(g, "type")), "Point");
	/* an MSL home is no third coordinate (RFC 7946: the ellipsoid) */
	assert_position(jpath(g, "coordinates"), 8.5450002, 47.3970001, 2);
	assert_true(fabs(json_object_get_double(jpath(jpath(home, "properties"),
						      "height_above_msl_m")) - 480.5) < 1e-9);
	assert_string_equal(json_object_get_string(jpath(jpath(home, "properties"), "name")),
			    "home");
	json_object_put(root);
	ct_flight_release(&f);
}

/*
 * RFC 7946: a third coordinate is a height above the WGS 84 ellipsoid.
 * Ellipsoid heights are coordinates; MSL, take-off and unknown heights
 * are not, they are properties named for what they are.
 */
static void
test_geojson_3d(void **state)
{
	static const struct {
		enum ct_alt_ref ref;
		const char *prop;
	} cases[] = {
		{ CT_ALT_MSL, "height_above_msl_m" },
		{ CT_ALT_TAKEOFF, "height_above_takeoff_m" },
		{ CT_ALT_UNKNOWN, "height_reference_unknown_m" },
	};
	struct json_object *root, *feats, *g, *c, *pr, *pos;
	struct ct_flight f;
	char *out;
	size_t len, i;

	build_uniform(&f, CT_ALT_ELLIPSOID, 3);
	root = parse_geojson(&f, "x");
	feats = jpath(root, "features");
	assert_int_equal(json_object_array_length(feats), 1);	/* no home */
	g = jpath(json_object_array_get_idx(feats, 0), "geometry");
	c = jpath(g, "coordinates");
	assert_int_equal(json_object_array_length(c), 3);
	pos = json_object_array_get_idx(c, 2);
	assert_position(pos, 8.000002, 47.000002, 3);
	assert_true(fabs(json_object_get_double(json_object_array_get_idx(pos, 2)) - 100.002) <
		    1e-9);
	pr = jpath(json_object_array_get_idx(feats, 0), "properties");
	assert_string_equal(json_object_get_string(jpath(pr, "time_basis")), "utc");
	assert_string_equal(json_object_get_string(jpath(pr, "alt_ref")), "ellipsoid");
	assert_false(jhas(pr, "height_above_ellipsoid_m"));
	assert_string_equal(json_object_get_string(jpath(pr, "last_time")),
			    "2021-04-21T10:30:58.800345Z");
	json_object_put(root);

	/* The exact coordinate text: lon, lat, alt. */
	assert_int_equal(ct_track_geojson(&f, "x", &out, &len), 0);
	assert_non_null(strstr(out, "\"coordinates\":[[8.0000000,47.0000000,100.000],"
				    "[8.0000010,47.0000010,100.001],"
				    "[8.0000020,47.0000020,100.002]]"));
	free(out);
	ct_flight_release(&f);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build_uniform(&f, cases[i].ref, 3);
		assert_int_equal(ct_track_geojson(&f, "x", &out, &len), 0);
		assert_non_null(strstr(out, "\"coordinates\":[[8.0000000,47.0000000],"
					    "[8.0000010,47.0000010],[8.0000020,47.0000020]]"));
		root = parse_geojson(&f, "x");
		pr = jpath(json_object_array_get_idx(jpath(root, "features"), 0), "properties");
		assert_string_equal(json_object_to_json_string_ext(jpath(pr, cases[i].prop),
								   JSON_C_TO_STRING_PLAIN),
				    "[100.000,100.001,100.002]");
		json_object_put(root);
		free(out);
		ct_flight_release(&f);
	}
}

static void
test_geojson_small(void **state)
{
	struct json_object *root, *tr, *g, *pr;
	struct ct_flight f;

	/* One point: a Point. */
	build(&f, PTS + 3, 1, 0);
	root = parse_geojson(&f, "one");
	tr = json_object_array_get_idx(jpath(root, "features"), 0);
	g = jpath(tr, "geometry");
	assert_string_equal(json_object_get_string(jpath(g, "type")), "Point");
	assert_position(jpath(g, "coordinates"), 8.5457, 47.3978, 2);
	pr = jpath(tr, "properties");
	assert_true(fabs(json_object_get_double(jpath(pr, "height_above_takeoff_m")) - 30.5) <
		    1e-9);
	assert_string_equal(json_object_get_string(jpath(pr, "first_time")), "+12.345678s");
	assert_string_equal(json_object_get_string(jpath(pr, "time_basis")), "boot");
	assert_string_equal(json_object_get_string(jpath(pr, "alt_ref")), "takeoff");
	json_object_put(root);
	ct_flight_release(&f);

	/* No point: a Feature without geometry. */
	ct_flight_init(&f, "ulog");
	root = parse_geojson(&f, "none");
	assert_int_equal(json_object_array_length(jpath(root, "features")), 1);
	tr = json_object_array_get_idx(jpath(root, "features"), 0);
	assert_null(jpath(tr, "geometry"));
	pr = jpath(tr, "properties");
	assert_int_equal(json_object_get_int64(jpath(pr, "points")), 0);
	assert_null(jpath(pr, "first_time"));
	assert_null(jpath(pr, "time_basis"));
	assert_null(jpath(pr, "alt_ref"));
	json_object_put(root);
	ct_flight_release(&f);
}

/* ---- KML ---- */

#define HOSTILE "<x&y> \"q\" 'a'\001z\xff\xef\xbf\xbe!"
#define HOSTILE_TEXT "<x&y> \"q\" 'a'z\xef\xbf\xbd!"

static void
test_kml(void **state)
{
	struct ct_flight f;
	struct xdoc d;
	char *out;
	size_t len;

	build(&f, PTS, 5, 1);
	assert_int_equal(ct_track_kml(&f, HOSTILE, &out, &len), 0);
	assert_int_equal(len, strlen(out));
	assert_non_null(strstr(out, "&lt;x&amp;y&gt; &quot;q&quot; &apos;a&apos;z"));
	assert_null(strchr(out, '\001'));
	xparse(&d, out, len);
	assert_string_equal(xget(&d, "kml@xmlns", 0), "http://www.opengis.net/kml/2.2");
	assert_string_equal(xget(&d, "kml/Document/name", 0), HOSTILE_TEXT);
	assert_int_equal(xcount(&d, "kml/Document/Placemark"), 2);
	assert_string_equal(xget(&d, "kml/Document/Placemark/name", 0), HOSTILE_TEXT);
	assert_string_equal(xget(&d, "kml/Document/Placemark/name", 1), "home");
	/* Mixed references: clamped, two dimensions, lon first. */
	assert_string_equal(xget(&d, "kml/Document/Placemark/LineString/altitudeMode", 0),
			    "clampToGround");
	assert_string_equal(xget(&d, "kml/Document/Placemark/LineString/coordinates", 0),
			    "8.5455938,47.3977419 8.5456000,47.3977500 -8.5456000,47.3977600 "
			    "8.5457000,47.3978000 8.5458000,47.3979000");
	/* the heights as ExtendedData, one value per point */
	assert_string_equal(xget(&d, "kml/Document/Placemark/ExtendedData/Data@name", 0),
			    "height_above_msl_m");
	assert_string_equal(xget(&d, "kml/Document/Placemark/ExtendedData/Data/value", 0),
			    "488.123 489.500 - - -");
	assert_string_equal(xget(&d, "kml/Document/Placemark/ExtendedData/Data@name", 1),
			    "height_above_takeoff_m");
	assert_string_equal(xget(&d, "kml/Document/Placemark/ExtendedData/Data/value", 1),
			    "- - -12.250 30.500 -");
	assert_int_equal(xcount(&d, "kml/Document/Placemark/ExtendedData/Data"), 2);
	assert_string_equal(xget(&d, "kml/Document/Placemark/Point/altitudeMode", 0), "absolute");
	assert_string_equal(xget(&d, "kml/Document/Placemark/Point/coordinates", 0),
			    "8.5450002,47.3970001,480.500");
	xfree(&d);
	free(out);
	ct_flight_release(&f);
}

/*
 * absolute is above sea level: MSL heights only.  A take-off height is not
 * relativeToGround (the ground under a drone is not its take-off point):
 * clamped, the height as ExtendedData; so are ellipsoid and unknown ones.
 */
static void
test_kml_modes(void **state)
{
	static const struct {
		enum ct_alt_ref ref;
		const char *mode, *coords, *data;
	} cases[] = {
		{ CT_ALT_MSL, "absolute",
		  "8.0000000,47.0000000,100.000 8.0000010,47.0000010,100.001", NULL },
		{ CT_ALT_TAKEOFF, "clampToGround", "8.0000000,47.0000000 8.0000010,47.0000010",
		  "height_above_takeoff_m" },
		{ CT_ALT_ELLIPSOID, "clampToGround", "8.0000000,47.0000000 8.0000010,47.0000010",
		  "height_above_ellipsoid_m" },
		{ CT_ALT_UNKNOWN, "clampToGround", "8.0000000,47.0000000 8.0000010,47.0000010",
		  "height_reference_unknown_m" },
		{ CT_ALT_NONE, "clampToGround", "8.0000000,47.0000000 8.0000010,47.0000010", NULL },
	};
	struct ct_flight f;
	struct xdoc d;
	char *out;
	size_t len, i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build_uniform(&f, cases[i].ref, 2);
		assert_int_equal(ct_track_kml(&f, "s", &out, &len), 0);
		xparse(&d, out, len);
		assert_string_equal(xget(&d, "kml/Document/Placemark/LineString/altitudeMode", 0),
				    cases[i].mode);
		assert_string_equal(xget(&d, "kml/Document/Placemark/LineString/coordinates", 0),
				    cases[i].coords);
		assert_int_equal(xcount(&d, "kml/Document/Placemark"), 1);
		assert_int_equal(count_str(out, "relativeToGround"), 0);
		if (cases[i].data) {
			assert_string_equal(xget(&d, "kml/Document/Placemark/ExtendedData/Data@name",
						 0), cases[i].data);
			assert_string_equal(xget(&d, "kml/Document/Placemark/ExtendedData/Data/value",
						 0), "100.000 100.001");
		} else {
			assert_int_equal(xcount(&d, "kml/Document/Placemark/ExtendedData"), 0);
		}
		xfree(&d);
		free(out);
		ct_flight_release(&f);
	}
}

/* ---- GPX ---- */

#define TRKPT "gpx/trk/trkseg/trkpt"

static void
test_gpx(void **state)
{
	struct ct_flight f;
	struct xdoc d;
	char *out;
	size_t len, i;

	build(&f, PTS, 5, 1);
	assert_int_equal(ct_track_gpx(&f, HOSTILE, &out, &len), 0);
	assert_int_equal(len, strlen(out));
	assert_null(strchr(out, '\001'));
	assert_non_null(strstr(out, "<name>&lt;x&amp;y&gt; &quot;q&quot; &apos;a&apos;z"));
	xparse(&d, out, len);
	assert_string_equal(xget(&d, "gpx@version", 0), "1.1");
	assert_string_equal(xget(&d, "gpx@creator", 0), "cardtrail");
	assert_string_equal(xget(&d, "gpx@xmlns", 0), "http://www.topografix.com/GPX/1/1");
	assert_string_equal(xget(&d, "gpx/trk/name", 0), HOSTILE_TEXT);

	assert_int_equal(xcount(&d, TRKPT), 5);
	for (i = 0; i < 5; i++) {
		char want[32];

		snprintf(want, sizeof(want), "%.7f", PTS[i].lat);
		assert_string_equal(xget(&d, TRKPT "@lat", i), want);
		snprintf(want, sizeof(want), "%.7f", PTS[i].lon);
		assert_string_equal(xget(&d, TRKPT "@lon", i), want);
	}
	assert_string_equal(xget(&d, TRKPT "@lon", 2), "-8.5456000");
	/* <time> on the two UTC points only. */
	assert_int_equal(xcount(&d, TRKPT "/time"), 2);
	assert_string_equal(xget(&d, TRKPT "/time", 0), "2021-04-21T10:30:58.600345Z");
	assert_string_equal(xget(&d, TRKPT "/time", 1), "2021-04-21T10:30:59.600345Z");
	assert_int_equal(count_str(out, "<time>2021-04-21T12"), 0);
	/* Local and boot times in a desc that says so. */
	assert_int_equal(xcount(&d, TRKPT "/desc"), 2);
	assert_non_null(strstr(xget(&d, TRKPT "/desc", 0), "2021-04-21T12:30:58.000000"));
	assert_non_null(strstr(xget(&d, TRKPT "/desc", 0), "not UTC"));
	assert_non_null(strstr(xget(&d, TRKPT "/desc", 1), "+12.345678s"));
	assert_non_null(strstr(xget(&d, TRKPT "/desc", 1), "not UTC"));
	/* <ele> (above sea level) on the two MSL points only; the take-off
	 * heights are extensions named for what they are. */
	assert_string_equal(xget(&d, "gpx@xmlns:ct", 0), "urn:cardtrail:gpx:1");
	assert_int_equal(xcount(&d, TRKPT "/ele"), 2);
	assert_string_equal(xget(&d, TRKPT "/ele", 0), "488.123");
	assert_string_equal(xget(&d, TRKPT "/ele", 1), "489.500");
	assert_int_equal(xcount(&d, TRKPT "/extensions/ct:height_above_takeoff_m"), 2);
	assert_string_equal(xget(&d, TRKPT "/extensions/ct:height_above_takeoff_m", 0), "-12.250");
	assert_string_equal(xget(&d, TRKPT "/extensions/ct:height_above_takeoff_m", 1), "30.500");
	assert_non_null(strstr(out, "<desc>time since boot +12.345678s (not UTC)</desc>"
				    "<extensions><ct:height_above_takeoff_m>30.500"
				    "</ct:height_above_takeoff_m></extensions></trkpt>"));
	/* The time basis of each point, in document order. */
	assert_non_null(strstr(out, "<trkpt lat=\"47.3977419\" lon=\"8.5455938\"><ele>488.123"
				    "</ele><time>2021-04-21T10:30:58.600345Z</time></trkpt>"));
	assert_non_null(strstr(out, "<trkpt lat=\"47.3979000\" lon=\"8.5458000\"></trkpt>"));

	/* Home is a waypoint, before the track. */
	assert_int_equal(xcount(&d, "gpx/wpt"), 1);
	assert_string_equal(xget(&d, "gpx/wpt@lat", 0), "47.3970001");
	assert_string_equal(xget(&d, "gpx/wpt@lon", 0), "8.5450002");
	assert_string_equal(xget(&d, "gpx/wpt/name", 0), "home");
	assert_true(strstr(out, "<wpt") < strstr(out, "<trk>"));
	xfree(&d);
	free(out);
	ct_flight_release(&f);
}

static void
test_gpx_empty(void **state)
{
	struct ct_flight f;
	struct xdoc d;
	char *out;
	size_t len;

	ct_flight_init(&f, NULL);
	assert_int_equal(ct_track_gpx(&f, NULL, &out, &len), 0);
	xparse(&d, out, len);
	assert_int_equal(xcount(&d, "gpx/trk"), 1);
	assert_int_equal(xcount(&d, TRKPT), 0);
	assert_int_equal(xcount(&d, "gpx/wpt"), 0);
	xfree(&d);
	free(out);
	assert_int_equal(ct_track_kml(&f, NULL, &out, &len), 0);
	xparse(&d, out, len);
	assert_int_equal(xcount(&d, "kml/Document/Placemark"), 1);
	assert_int_equal(xcount(&d, "kml/Document/Placemark/LineString"), 0);
	xfree(&d);
	free(out);
	ct_flight_release(&f);
}

/* ---- flights.json ---- */

static void
test_flight_json(void **state)
{
	struct json_object *o, *first, *last, *id, *w, *v;
	struct ct_flight f;
	const char *txt;

	build(&f, PTS, 5, 1);
	assert_int_equal(ct_flight_fact(&f, "aircraft_serial", "08QDE7K0010123"), 0);
	assert_int_equal(ct_flight_fact(&f, "model", "Mavic <2>"), 0);
	assert_int_equal(ct_flight_fact(&f, "app_version", "4.3.36"), 0);
	assert_int_equal(ct_flight_fact(&f, "model", "Mini 2"), 0);	/* model_2 */
	assert_int_equal(ct_flight_warn(&f, 42, "truncated record"), 0);
	assert_int_equal(ct_flight_warn(&f, 99, "bad crc"), 0);

	o = ct_flight_json(&f, "deleted/LOG/00000012.BIN", "deleted");
	assert_non_null(o);
	assert_string_equal(json_object_get_string(jpath(o, "file")), "deleted/LOG/00000012.BIN");
	assert_string_equal(json_object_get_string(jpath(o, "state")), "deleted");
	assert_string_equal(json_object_get_string(jpath(o, "format")), "ulog");
	assert_int_equal(json_object_get_int64(jpath(o, "points")), 5);

	first = jpath(o, "first");
	assert_string_equal(json_object_get_string(jpath(first, "time")),
			    "2021-04-21T10:30:58.600345Z");
	assert_string_equal(json_object_get_string(jpath(first, "time_basis")), "utc");
	assert_true(fabs(json_object_get_double(jpath(first, "lat")) - 47.3977419) < 1e-9);
	assert_true(fabs(json_object_get_double(jpath(first, "lon")) - 8.5455938) < 1e-9);
	assert_true(fabs(json_object_get_double(jpath(first, "alt_m")) - 488.123) < 1e-9);
	last = jpath(o, "last");
	assert_null(jpath(last, "time"));
	assert_null(jpath(last, "time_basis"));
	assert_null(jpath(last, "alt_m"));
	assert_true(fabs(json_object_get_double(jpath(last, "lat")) - 47.3979) < 1e-9);

	v = jpath(o, "home");
	assert_non_null(v);
	assert_true(fabs(json_object_get_double(jpath(v, "lat")) - 47.3970001) < 1e-9);
	assert_true(fabs(json_object_get_double(jpath(v, "lon")) - 8.5450002) < 1e-9);

	id = jpath(o, "identity");
	assert_string_equal(json_object_get_string(jpath(id, "aircraft_serial")),
			    "08QDE7K0010123");
	assert_string_equal(json_object_get_string(jpath(id, "model")), "Mavic <2>");
	assert_null(jpath(id, "camera_serial"));
	assert_null(jpath(id, "rc_serial"));
	assert_null(jpath(id, "battery_serial"));
	assert_null(jpath(id, "firmware"));
	assert_null(jpath(id, "name"));
	assert_string_equal(json_object_get_string(jpath(id, "app_version")), "4.3.36");
	assert_string_equal(json_object_get_string(jpath(id, "model_2")), "Mini 2");
	assert_int_equal(json_object_object_length(id), 9);

	w = jpath(o, "warnings");
	assert_int_equal(json_object_array_length(w), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(w, 0)),
			    "offset 42: truncated record");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(w, 1)),
			    "offset 99: bad crc");

	/* Coordinates print with 7 decimals, not as 47.397741899999998. */
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(txt, "\"lat\":47.3977419,"));
	assert_non_null(strstr(txt, "\"alt_m\":488.123,"));
	json_object_put(o);
	ct_flight_release(&f);
}

static void
test_flight_json_empty(void **state)
{
	struct json_object *o, *id;
	struct ct_flight f;

	ct_flight_init(&f, NULL);
	o = ct_flight_json(&f, "LOG/1.BIN", NULL);
	assert_non_null(o);
	assert_string_equal(json_object_get_string(jpath(o, "file")), "LOG/1.BIN");
	assert_null(jpath(o, "state"));
	assert_null(jpath(o, "format"));
	assert_int_equal(json_object_get_int64(jpath(o, "points")), 0);
	assert_null(jpath(o, "first"));
	assert_null(jpath(o, "last"));
	assert_null(jpath(o, "home"));
	id = jpath(o, "identity");
	assert_int_equal(json_object_object_length(id), 7);
	assert_null(jpath(id, "aircraft_serial"));
	assert_null(jpath(id, "name"));
	assert_int_equal(json_object_array_length(jpath(o, "warnings")), 0);
	json_object_put(o);
	ct_flight_release(&f);
}

/* ---- a million points ---- */

static void
test_huge(void **state)
{
	const size_t n = 1000000;
	struct ct_flight f;
	char *out;
	size_t len;

	build_uniform(&f, CT_ALT_MSL, n);

	assert_int_equal(ct_track_csv(&f, "big", &out, &len), 0);
	assert_int_equal(count_str(out, "\n"), n + 1);
	assert_non_null(strstr(out + len - 80, ",63999936\n"));
	free(out);

	assert_int_equal(ct_track_geojson(&f, "big", &out, &len), 0);
	/* features, coordinates, points, the MSL heights */
	assert_int_equal(count_str(out, "["), n + 3);
	assert_non_null(strstr(out, "[8.9999990,47.9999990]]"));
	assert_non_null(strstr(out, ",1099.999]"));
	free(out);

	assert_int_equal(ct_track_kml(&f, "big", &out, &len), 0);
	assert_int_equal(count_str(out, ",47."), n);
	free(out);

	assert_int_equal(ct_track_gpx(&f, "big", &out, &len), 0);
	assert_int_equal(count_str(out, "<trkpt "), n);
	assert_int_equal(count_str(out, "<time>"), n);
	free(out);
	ct_flight_release(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_csv_golden),
		cmocka_unit_test(test_csv_hostile),
		cmocka_unit_test(test_csv_empty),
		cmocka_unit_test(test_geojson_mixed),
		cmocka_unit_test(test_geojson_3d),
		cmocka_unit_test(test_geojson_small),
		cmocka_unit_test(test_kml),
		cmocka_unit_test(test_kml_modes),
		cmocka_unit_test(test_gpx),
		cmocka_unit_test(test_gpx_empty),
		cmocka_unit_test(test_flight_json),
		cmocka_unit_test(test_flight_json_empty),
		cmocka_unit_test(test_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
