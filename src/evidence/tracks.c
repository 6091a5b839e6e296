/*
 * tracks.c — a parsed flight as CSV, GeoJSON (RFC 7946), KML 2.2, GPX 1.1
 * and the flights.json entry.
 *
 * Text from the card (the source name, facts, warnings) is hostile:
 *
 *   CSV      fields holding a comma, a double quote, CR or LF are quoted per
 *            RFC 4180 (quotes doubled).  A source starting with '=', '+',
 *            '-', '@', TAB or CR would be taken for a formula by
 *            spreadsheets: it is always quoted and gets a single quote '
 *            in front, inside the quotes ("'=cmd()").  Numbers (negative
 *            latitudes, longitudes, altitudes) are left alone.
 *   XML      & < > " ' are escaped; characters XML 1.0 does not allow
 *            (controls other than TAB, LF, CR; U+FFFE, U+FFFF) are dropped
 *            and bytes that are not UTF-8 become U+FFFD.
 *   JSON     json-c escapes; bytes that are not UTF-8 become U+FFFD.
 *
 * Heights go only where a format defines their reference:
 *
 *   GeoJSON  a third coordinate is a height above the WGS 84 ellipsoid
 *            (RFC 7946): only when every point has one; other heights are
 *            properties named for what they are (height_above_msl_m,
 *            height_above_takeoff_m, height_reference_unknown_m, ...): for
 *            a LineString an array aligned with the coordinates, null where
 *            a point has none of that reference.
 *   GPX      <ele> is a height above sea level: MSL heights only; others in
 *            <extensions> under those names (namespace GPX_EXT_NS).
 *   KML      altitudeMode absolute is above sea level: used when every
 *            point has an MSL height.  Otherwise the track is clamped to
 *            the ground (the ground under a drone is not its take-off
 *            point, so never relativeToGround) and the heights are
 *            ExtendedData under those names, one value per point in
 *            coordinate order, "-" for none.
 *
 * A track whose points disagree on the time basis or altitude reference
 * says "mixed".
 *
 * Everything is one pass over the points (plus one to summarise them):
 * the GeoJSON coordinates are written by a json-c custom serializer
 * rather than as a million json-c objects.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "cardtrail/flight.h"
#include "cardtrail/tracks.h"
#include "cardtrail/util.h"

#define TIME_BUF 48

/* Earliest and latest UTC times an xsd:dateTime (GPX <time>) can hold. */
#define XSD_MIN_US (-62135596800LL * 1000000)	/* 0001-01-01T00:00:00Z */
#define XSD_MAX_US (253402300799LL * 1000000)	/* 9999-12-31T23:59:59Z */

/* The namespace of cardtrail's GPX extension elements. */
#define GPX_EXT_NS "urn:cardtrail:gpx:1"

/* What a height is called outside the coordinates. */
static const struct {
	enum ct_alt_ref ref;
	const char *name;
} height_names[] = {
	{ CT_ALT_MSL, "height_above_msl_m" },
	{ CT_ALT_ELLIPSOID, "height_above_ellipsoid_m" },
	{ CT_ALT_TAKEOFF, "height_above_takeoff_m" },
	{ CT_ALT_UNKNOWN, "height_reference_unknown_m" },
};

static const char *const identity_keys[] = {
	"aircraft_serial", "camera_serial", "rc_serial", "battery_serial", "model",
	"firmware", "name", NULL,
};

/* What the points of a track agree on. */
struct summary {
	int basis;	/* enum ct_time_basis, or -1 when points disagree */
	int alt_ref;	/* enum ct_alt_ref, or -1 when points disagree */
	int all_alt;	/* every point has an altitude of the same reference */
};

const char *
ct_time_basis_name(enum ct_time_basis b)
{
	switch (b) {
	case CT_TIME_UTC:
		return "utc";
	case CT_TIME_LOCAL:
		return "local";
	case CT_TIME_BOOT:
		return "boot";
	default:
		return "";
	}
}

const char *
ct_alt_ref_name(enum ct_alt_ref r)
{
	switch (r) {
	case CT_ALT_MSL:
		return "msl";
	case CT_ALT_ELLIPSOID:
		return "ellipsoid";
	case CT_ALT_TAKEOFF:
		return "takeoff";
	case CT_ALT_UNKNOWN:
		return "unknown";
	default:
		return "";
	}
}

static int
has_alt(const struct ct_point *p)
{
	return p->alt_ref != CT_ALT_NONE && isfinite(p->alt_m);
}

static int
valid_pos(const struct ct_point *p)
{
	return p->lat >= -90 && p->lat <= 90 && p->lon >= -180 && p->lon <= 180;
}

static int
has_home(const struct ct_flight *f)
{
	return f->has_home && valid_pos(&f->home);
}

/* Has any point a height of reference ref? */
static int
any_height(const struct ct_flight *f, enum ct_alt_ref ref)
{
	size_t i;

	for (i = 0; i < f->npts; i++)
		if (has_alt(&f->pts[i]) && f->pts[i].alt_ref == ref)
			return 1;
	return 0;
}

static void
summarise(const struct ct_flight *f, struct summary *s)
{
	size_t i;

	s->basis = CT_TIME_NONE;
	s->alt_ref = CT_ALT_NONE;
	s->all_alt = f->npts > 0;
	for (i = 0; i < f->npts; i++) {
		const struct ct_point *p = &f->pts[i];
		int ref = has_alt(p) ? (int)p->alt_ref : CT_ALT_NONE;

		if (i == 0) {
			s->basis = p->basis;
			s->alt_ref = ref;
		} else {
			if (s->basis != (int)p->basis)
				s->basis = -1;
			if (s->alt_ref != ref)
				s->alt_ref = -1;
		}
		if (ref == CT_ALT_NONE)
			s->all_alt = 0;
	}
	if (s->alt_ref < 0)
		s->all_alt = 0;
}

static const char *
summary_basis(const struct summary *s)
{
	return s->basis < 0 ? "mixed" : ct_time_basis_name(s->basis);
}

static const char *
summary_alt_ref(const struct summary *s)
{
	return s->alt_ref < 0 ? "mixed" : ct_alt_ref_name(s->alt_ref);
}

/* Length of the UTF-8 sequence at s (shortest form, no surrogates, at most
 * U+10FFFF), or 0 when s does not start one. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;		/* no surrogates */
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;		/* nothing above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* U+FFFE and U+FFFF: UTF-8, but not XML 1.0 characters. */
static int
xml_nonchar(const unsigned char *s, size_t n)
{
	return n == 3 && s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf);
}

static const char REPLACEMENT[] = "\xef\xbf\xbd";

/* A copy of s with bytes that are not UTF-8 replaced by U+FFFD. */
static char *
utf8_fix(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, j, n, len = strlen(s);
	char *d;

	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	if ((d = malloc(len * 3 + 1)) == NULL)
		return NULL;
	for (i = j = 0; u[i] != '\0'; ) {
		if ((n = utf8_len(u + i)) == 0) {
			memcpy(d + j, REPLACEMENT, 3);
			j += 3;
			i++;
			continue;
		}
		memcpy(d + j, u + i, n);
		i += n;
		j += n;
	}
	d[j] = '\0';
	return d;
}

/* A json-c string of s (UTF-8 fixed), or NULL (json null) for NULL s;
 * *err is set when memory runs out. */
static struct json_object *
jstr(const char *s, int *err)
{
	struct json_object *o;
	char *fixed;

	if (s == NULL)
		return NULL;
	if ((fixed = utf8_fix(s)) == NULL) {
		*err = 1;
		return NULL;
	}
	if ((o = json_object_new_string(fixed)) == NULL)
		*err = 1;
	free(fixed);
	return o;
}

/* A json-c number printed with a fixed number of decimals. */
static struct json_object *
jnum(double d, int decimals, int *err)
{
	struct json_object *o;
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, d);
	if ((o = json_object_new_double_s(d, buf)) == NULL)
		*err = 1;
	return o;
}

static void
jadd(struct json_object *obj, const char *key, struct json_object *v, int *err)
{
	if (obj == NULL || json_object_object_add(obj, key, v) != 0) {
		json_object_put(v);
		*err = 1;
	}
}

static void
jpush(struct json_object *arr, struct json_object *v, int *err)
{
	if (arr == NULL || json_object_array_add(arr, v) != 0) {
		json_object_put(v);
		*err = 1;
	}
}

static struct json_object *
jobj(int *err)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		*err = 1;
	return o;
}

static struct json_object *
jarr(int *err)
{
	struct json_object *o = json_object_new_array();

	if (o == NULL)
		*err = 1;
	return o;
}

/* Close a memory stream: *out and *len get its buffer, or it is freed. */
static int
ms_close(FILE *fp, char **buf, size_t *sz, char **out, size_t *len)
{
	int bad = ferror(fp);

	if (fclose(fp) != 0 || bad) {
		free(*buf);
		*buf = NULL;
		return -ENOMEM;
	}
	*out = *buf;
	*len = *sz;
	return 0;
}

/* ---- CSV ---- */

/* The source column: RFC 4180 quoting, formula prefix (see top). */
static char *
csv_field(const char *s)
{
	int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	    s[0] == '\t' || s[0] == '\r';
	size_t len = strlen(s), i, j;
	char *d;

	if (!formula && strpbrk(s, ",\"\r\n") == NULL)
		return strdup(s);
	if (len > (SIZE_MAX - 4) / 2)
		return NULL;
	if ((d = malloc(2 * len + 4)) == NULL)
		return NULL;
	j = 0;
	d[j++] = '"';
	if (formula)
		d[j++] = '\'';
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			d[j++] = '"';
		d[j++] = s[i];
	}
	d[j++] = '"';
	d[j] = '\0';
	return d;
}

int
ct_track_csv(const struct ct_flight *f, const char *source, char **out, size_t *len)
{
	char *buf = NULL, *src, tbuf[TIME_BUF], abuf[64];
	size_t sz = 0, i;
	FILE *fp;

	*out = NULL;
	*len = 0;
	if ((src = csv_field(source ? source : "")) == NULL)
		return -ENOMEM;
	if ((fp = open_memstream(&buf, &sz)) == NULL) {
		free(src);
		return -errno;
	}
	fputs("time,time_basis,lat,lon,alt_m,alt_ref,source,offset\n", fp);
	for (i = 0; i < f->npts; i++) {
		const struct ct_point *p = &f->pts[i];
		int alt = has_alt(p);

		ct_point_time_str(p, tbuf, sizeof(tbuf));
		if (alt)
			snprintf(abuf, sizeof(abuf), "%.3f", p->alt_m);
		else
			abuf[0] = '\0';
		fprintf(fp, "%s,%s,%.7f,%.7f,%s,%s,%s,%" PRIu64 "\n", tbuf,
			ct_time_basis_name(p->basis), p->lat, p->lon, abuf,
			alt ? ct_alt_ref_name(p->alt_ref) : "", src, p->offset);
	}
	free(src);
	return ms_close(fp, &buf, &sz, out, len);
}

/* ---- GeoJSON ---- */

struct coords_ctx {
	const struct ct_flight *f;
	int dim3;
	int err;
};

static int
put_position(struct printbuf *pb, const struct ct_point *p, int dim3)
{
	char buf[128];
	int n;

	if (dim3)
		n = snprintf(buf, sizeof(buf), "[%.7f,%.7f,%.3f]", p->lon, p->lat, p->alt_m);
	else
		n = snprintf(buf, sizeof(buf), "[%.7f,%.7f]", p->lon, p->lat);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return printbuf_memappend(pb, buf, n) < 0 ? -1 : 0;
}

/* The LineString's coordinates, straight into json-c's output buffer. */
static int
coords_serialize(struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	struct coords_ctx *c = json_object_get_userdata(jso);
	size_t i;

	if (printbuf_memappend(pb, "[", 1) < 0)
		goto fail;
	for (i = 0; i < c->f->npts; i++) {
		if (i > 0 && printbuf_memappend(pb, ",", 1) < 0)
			goto fail;
		if (put_position(pb, &c->f->pts[i], c->dim3) < 0)
			goto fail;
	}
	if (printbuf_memappend(pb, "]", 1) < 0)
		goto fail;
	return 0;
fail:
	c->err = 1;
	return -1;
}

/* One height per point of reference ref (null for the others), straight
 * into json-c's output buffer. */
struct heights_ctx {
	const struct ct_flight *f;
	enum ct_alt_ref ref;
	int err;
};

static int
heights_serialize(struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	struct heights_ctx *c = json_object_get_userdata(jso);
	char buf[64];
	size_t i;
	int n;

	if (printbuf_memappend(pb, "[", 1) < 0)
		goto fail;
	for (i = 0; i < c->f->npts; i++) {
		const struct ct_point *p = &c->f->pts[i];

		if (has_alt(p) && p->alt_ref == c->ref)
			n = snprintf(buf, sizeof(buf), "%s%.3f", i ? "," : "", p->alt_m);
		else
			n = snprintf(buf, sizeof(buf), "%snull", i ? "," : "");
		if (n < 0 || (size_t)n >= sizeof(buf) || printbuf_memappend(pb, buf, n) < 0)
			goto fail;
	}
	if (printbuf_memappend(pb, "]", 1) < 0)
		goto fail;
	return 0;
fail:
	c->err = 1;
	return -1;
}

/*
 * The heights that are not in the coordinates, as properties named for
 * their reference: for one point a number, for several an array aligned
 * with the coordinates (ctx: one per entry of height_names).
 */
static void
height_props(struct json_object *props, const struct ct_flight *f, int dim3,
	     struct heights_ctx *ctx, int *err)
{
	struct json_object *a;
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(height_names); i++) {
		enum ct_alt_ref ref = height_names[i].ref;

		if ((dim3 && ref == CT_ALT_ELLIPSOID) || !any_height(f, ref))
			continue;
		if (f->npts == 1) {
			jadd(props, height_names[i].name, jnum(f->pts[0].alt_m, 3, err), err);
			continue;
		}
		ctx[i] = (struct heights_ctx){ f, ref, 0 };
		if ((a = jarr(err)) != NULL)
			json_object_set_serializer(a, heights_serialize, &ctx[i], NULL);
		jadd(props, height_names[i].name, a, err);
	}
}

/* The home point's height, when it is not its third coordinate. */
static void
home_height_prop(struct json_object *props, const struct ct_point *h, int *err)
{
	size_t i;

	if (!has_alt(h) || h->alt_ref == CT_ALT_ELLIPSOID)
		return;
	for (i = 0; i < CT_ARRAY_SIZE(height_names); i++)
		if (height_names[i].ref == h->alt_ref)
			jadd(props, height_names[i].name, jnum(h->alt_m, 3, err), err);
}

static struct json_object *
position(const struct ct_point *p, int dim3, int *err)
{
	struct json_object *a = jarr(err);

	jpush(a, jnum(p->lon, 7, err), err);
	jpush(a, jnum(p->lat, 7, err), err);
	if (dim3)
		jpush(a, jnum(p->alt_m, 3, err), err);
	return a;
}

static struct json_object *
geometry(const char *type, struct json_object *coords, int *err)
{
	struct json_object *g = jobj(err);

	jadd(g, "type", jstr(type, err), err);
	jadd(g, "coordinates", coords, err);
	return g;
}

static struct json_object *
time_or_null(const struct ct_point *p, int *err)
{
	char tbuf[TIME_BUF];

	if (p == NULL || p->basis == CT_TIME_NONE)
		return NULL;
	ct_point_time_str(p, tbuf, sizeof(tbuf));
	return jstr(tbuf, err);
}

static struct json_object *
name_or_null(const char *name, int *err)
{
	return name[0] == '\0' ? NULL : jstr(name, err);
}

int
ct_track_geojson(const struct ct_flight *f, const char *source, char **out, size_t *len)
{
	struct json_object *root, *features, *feat, *props, *geom = NULL, *coords;
	struct coords_ctx ctx = { f, 0, 0 };
	struct heights_ctx hctx[CT_ARRAY_SIZE(height_names)];
	struct summary s;
	const char *txt;
	size_t tlen, i;
	int err = 0, rc = -ENOMEM;

	*out = NULL;
	*len = 0;
	memset(hctx, 0, sizeof(hctx));
	summarise(f, &s);
	/* RFC 7946: a third coordinate is a height above the ellipsoid */
	ctx.dim3 = s.all_alt && s.alt_ref == CT_ALT_ELLIPSOID;

	root = jobj(&err);
	jadd(root, "type", jstr("FeatureCollection", &err), &err);
	features = jarr(&err);
	jadd(root, "features", features, &err);

	feat = jobj(&err);
	jpush(features, feat, &err);
	jadd(feat, "type", jstr("Feature", &err), &err);
	if (f->npts == 1) {
		geom = geometry("Point", position(&f->pts[0], ctx.dim3, &err), &err);
	} else if (f->npts > 1) {
		if ((coords = jarr(&err)) != NULL)
			json_object_set_serializer(coords, coords_serialize, &ctx, NULL);
		geom = geometry("LineString", coords, &err);
	}
	jadd(feat, "geometry", geom, &err);	/* null without points */
	props = jobj(&err);
	jadd(feat, "properties", props, &err);
	jadd(props, "source", jstr(source, &err), &err);
	jadd(props, "format", jstr(f->format, &err), &err);
	jadd(props, "points", json_object_new_uint64(f->npts), &err);
	jadd(props, "first_time", time_or_null(f->npts ? &f->pts[0] : NULL, &err), &err);
	jadd(props, "last_time", time_or_null(f->npts ? &f->pts[f->npts - 1] : NULL, &err),
	     &err);
	jadd(props, "time_basis", name_or_null(summary_basis(&s), &err), &err);
	jadd(props, "alt_ref", name_or_null(summary_alt_ref(&s), &err), &err);
	height_props(props, f, ctx.dim3, hctx, &err);

	if (has_home(f)) {
		int h3 = has_alt(&f->home) && f->home.alt_ref == CT_ALT_ELLIPSOID;

		feat = jobj(&err);
		jpush(features, feat, &err);
		jadd(feat, "type", jstr("Feature", &err), &err);
		jadd(feat, "geometry", geometry("Point", position(&f->home, h3, &err), &err),
		     &err);
		props = jobj(&err);
		jadd(feat, "properties", props, &err);
		jadd(props, "name", jstr("home", &err), &err);
		jadd(props, "source", jstr(source, &err), &err);
		jadd(props, "alt_ref", has_alt(&f->home) ?
		     jstr(ct_alt_ref_name(f->home.alt_ref), &err) : NULL, &err);
		home_height_prop(props, &f->home, &err);
	}
	if (err)
		goto out;

	txt = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE, &tlen);
	for (i = 0; i < CT_ARRAY_SIZE(height_names); i++)
		if (hctx[i].err)
			ctx.err = 1;
	if (txt == NULL || ctx.err)
		goto out;
	if ((*out = malloc(tlen + 2)) == NULL)
		goto out;
	memcpy(*out, txt, tlen);
	(*out)[tlen] = '\n';
	(*out)[tlen + 1] = '\0';
	*len = tlen + 1;
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

/* ---- XML (KML, GPX) ---- */

/* Card text as XML character data (see top). */
static void
xml_put(FILE *fp, const char *s)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t n;

	while (*u != '\0') {
		switch (*u) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&apos;", fp);
			break;
		case '\t':
		case '\n':
		case '\r':
			fputc(*u, fp);
			break;
		default:
			if (*u < 0x20)
				break;		/* not allowed in XML 1.0 */
			if ((n = utf8_len(u)) == 0) {
				fputs(REPLACEMENT, fp);
				break;
			}
			if (!xml_nonchar(u, n))
				fwrite(u, 1, n, fp);
			u += n;
			continue;
		}
		u++;
	}
}

static const char XML_DECL[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/* altitudeMode for a reference, and whether coordinates carry altitudes:
 * only MSL heights are KML's "absolute"; anything else is clamped. */
static const char *
kml_alt_mode(int ref, int *with_alt)
{
	*with_alt = ref == CT_ALT_MSL;
	return *with_alt ? "absolute" : "clampToGround";
}

static void
kml_coord(FILE *fp, const struct ct_point *p, int with_alt)
{
	if (with_alt)
		fprintf(fp, "%.7f,%.7f,%.3f", p->lon, p->lat, p->alt_m);
	else
		fprintf(fp, "%.7f,%.7f", p->lon, p->lat);
}

/* The heights of pts[0..n) that are not in the coordinates, as
 * ExtendedData: one Data per reference, a value per point, "-" for none. */
static void
kml_heights(FILE *fp, const struct ct_point *pts, size_t n, int with_alt)
{
	size_t i, k, any;

	if (with_alt)
		return;
	for (any = 0, i = 0; i < n; i++)
		any |= has_alt(&pts[i]);
	if (!any)
		return;
	fputs("<ExtendedData>\n", fp);
	for (k = 0; k < CT_ARRAY_SIZE(height_names); k++) {
		for (i = 0; i < n; i++)
			if (has_alt(&pts[i]) && pts[i].alt_ref == height_names[k].ref)
				break;
		if (i == n)
			continue;
		fprintf(fp, "<Data name=\"%s\"><value>", height_names[k].name);
		for (i = 0; i < n; i++) {
			if (i > 0)
				fputc(' ', fp);
			if (has_alt(&pts[i]) && pts[i].alt_ref == height_names[k].ref)
				fprintf(fp, "%.3f", pts[i].alt_m);
			else
				fputc('-', fp);
		}
		fputs("</value></Data>\n", fp);
	}
	fputs("</ExtendedData>\n", fp);
}

int
ct_track_kml(const struct ct_flight *f, const char *source, char **out, size_t *len)
{
	char *buf = NULL, t0[TIME_BUF], t1[TIME_BUF];
	struct summary s;
	const char *mode;
	size_t sz = 0, i;
	int with_alt;
	FILE *fp;

	*out = NULL;
	*len = 0;
	summarise(f, &s);
	if ((fp = open_memstream(&buf, &sz)) == NULL)
		return -errno;
	fputs(XML_DECL, fp);
	fputs("<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n<name>", fp);
	xml_put(fp, source);
	fputs("</name>\n<Placemark>\n<name>", fp);
	xml_put(fp, source);
	fputs("</name>\n<description>", fp);
	fprintf(fp, "format: ");
	xml_put(fp, f->format ? f->format : "unknown");
	fprintf(fp, "; points: %zu", f->npts);
	if (f->npts > 0 && f->pts[0].basis != CT_TIME_NONE) {
		ct_point_time_str(&f->pts[0], t0, sizeof(t0));
		ct_point_time_str(&f->pts[f->npts - 1], t1, sizeof(t1));
		fputs("; time: ", fp);
		xml_put(fp, t0);
		fputs(" to ", fp);
		xml_put(fp, t1);
		fprintf(fp, " (%s)", summary_basis(&s));
	}
	if (s.alt_ref != CT_ALT_NONE)
		fprintf(fp, "; altitude reference: %s", summary_alt_ref(&s));
	fputs("</description>\n", fp);
	mode = kml_alt_mode(s.all_alt ? s.alt_ref : CT_ALT_NONE, &with_alt);
	kml_heights(fp, f->pts, f->npts, with_alt);
	if (f->npts == 1) {
		fprintf(fp, "<Point>\n<altitudeMode>%s</altitudeMode>\n<coordinates>", mode);
		kml_coord(fp, &f->pts[0], with_alt);
		fputs("</coordinates>\n</Point>\n", fp);
	} else if (f->npts > 1) {
		fprintf(fp, "<LineString>\n<altitudeMode>%s</altitudeMode>\n<coordinates>", mode);
		for (i = 0; i < f->npts; i++) {
			if (i > 0)
				fputc(' ', fp);
			kml_coord(fp, &f->pts[i], with_alt);
		}
		fputs("</coordinates>\n</LineString>\n", fp);
	}
	fputs("</Placemark>\n", fp);
	if (has_home(f)) {
		mode = kml_alt_mode(has_alt(&f->home) ? (int)f->home.alt_ref : CT_ALT_NONE,
				    &with_alt);
		fputs("<Placemark>\n<name>home</name>\n", fp);
		kml_heights(fp, &f->home, 1, with_alt);
		fprintf(fp, "<Point>\n<altitudeMode>%s</altitudeMode>\n<coordinates>", mode);
		kml_coord(fp, &f->home, with_alt);
		fputs("</coordinates>\n</Point>\n</Placemark>\n", fp);
	}
	fputs("</Document>\n</kml>\n", fp);
	return ms_close(fp, &buf, &sz, out, len);
}

/* A height that is not GPX's <ele> (above sea level), as an extension. */
static void
gpx_height_ext(FILE *fp, const struct ct_point *p)
{
	size_t k;

	if (!has_alt(p) || p->alt_ref == CT_ALT_MSL)
		return;
	for (k = 0; k < CT_ARRAY_SIZE(height_names); k++)
		if (height_names[k].ref == p->alt_ref)
			fprintf(fp, "<extensions><ct:%s>%.3f</ct:%s></extensions>",
				height_names[k].name, p->alt_m, height_names[k].name);
}

int
ct_track_gpx(const struct ct_flight *f, const char *source, char **out, size_t *len)
{
	char *buf = NULL, tbuf[TIME_BUF];
	struct summary s;
	size_t sz = 0, i;
	FILE *fp;

	*out = NULL;
	*len = 0;
	summarise(f, &s);
	if ((fp = open_memstream(&buf, &sz)) == NULL)
		return -errno;
	fputs(XML_DECL, fp);
	fputs("<gpx version=\"1.1\" creator=\"cardtrail\" "
	      "xmlns=\"http://www.topografix.com/GPX/1/1\" xmlns:ct=\"" GPX_EXT_NS "\">\n", fp);
	/* The schema wants waypoints before tracks. */
	if (has_home(f)) {
		int msl = has_alt(&f->home) && f->home.alt_ref == CT_ALT_MSL;

		fprintf(fp, "<wpt lat=\"%.7f\" lon=\"%.7f\">", f->home.lat, f->home.lon);
		if (msl)
			fprintf(fp, "<ele>%.3f</ele>", f->home.alt_m);
		fputs("<name>home</name>", fp);
		if (has_alt(&f->home))
			fprintf(fp, "<desc>altitude reference: %s</desc>",
				ct_alt_ref_name(f->home.alt_ref));
		gpx_height_ext(fp, &f->home);
		fputs("</wpt>\n", fp);
	}
	fputs("<trk>\n<name>", fp);
	xml_put(fp, source);
	fputs("</name>\n<desc>format: ", fp);
	xml_put(fp, f->format ? f->format : "unknown");
	fprintf(fp, "; points: %zu", f->npts);
	if (f->npts > 0)
		fprintf(fp, "; time basis: %s", s.basis == CT_TIME_NONE ? "none" :
			summary_basis(&s));
	if (s.alt_ref != CT_ALT_NONE)
		fprintf(fp, "; altitude reference: %s", summary_alt_ref(&s));
	fputs("</desc>\n<trkseg>\n", fp);
	for (i = 0; i < f->npts; i++) {
		const struct ct_point *p = &f->pts[i];

		fprintf(fp, "<trkpt lat=\"%.7f\" lon=\"%.7f\">", p->lat, p->lon);
		if (has_alt(p) && p->alt_ref == CT_ALT_MSL)
			fprintf(fp, "<ele>%.3f</ele>", p->alt_m);
		if (p->basis != CT_TIME_NONE)
			ct_point_time_str(p, tbuf, sizeof(tbuf));
		switch (p->basis) {
		case CT_TIME_UTC:
			if (p->t_us >= XSD_MIN_US && p->t_us <= XSD_MAX_US)
				fprintf(fp, "<time>%s</time>", tbuf);
			else
				fprintf(fp, "<desc>UTC time %s (out of range)</desc>", tbuf);
			break;
		case CT_TIME_LOCAL:
			fprintf(fp, "<desc>local time %s (zone unknown, not UTC)</desc>", tbuf);
			break;
		case CT_TIME_BOOT:
			fprintf(fp, "<desc>time since boot %s (not UTC)</desc>", tbuf);
			break;
		default:
			break;
		}
		gpx_height_ext(fp, p);
		fputs("</trkpt>\n", fp);
	}
	fputs("</trkseg>\n</trk>\n</gpx>\n", fp);
	return ms_close(fp, &buf, &sz, out, len);
}

/* ---- flights.json ---- */

static struct json_object *
point_json(const struct ct_point *p, int *err)
{
	struct json_object *o = jobj(err);
	int alt = has_alt(p);

	jadd(o, "time", time_or_null(p, err), err);
	jadd(o, "time_basis", name_or_null(ct_time_basis_name(p->basis), err), err);
	jadd(o, "lat", jnum(p->lat, 7, err), err);
	jadd(o, "lon", jnum(p->lon, 7, err), err);
	jadd(o, "alt_m", alt ? jnum(p->alt_m, 3, err) : NULL, err);
	jadd(o, "alt_ref", alt ? jstr(ct_alt_ref_name(p->alt_ref), err) : NULL, err);
	return o;
}

static int
is_identity_key(const char *k)
{
	size_t i;

	for (i = 0; identity_keys[i] != NULL; i++)
		if (!strcmp(identity_keys[i], k))
			return 1;
	return 0;
}

struct json_object *
ct_flight_json(const struct ct_flight *f, const char *file, const char *state)
{
	struct json_object *o, *home = NULL, *id, *warn;
	size_t i;
	int err = 0;

	o = jobj(&err);
	jadd(o, "file", jstr(file, &err), &err);
	jadd(o, "state", jstr(state, &err), &err);
	jadd(o, "format", jstr(f->format, &err), &err);
	jadd(o, "points", json_object_new_uint64(f->npts), &err);
	jadd(o, "first", f->npts ? point_json(&f->pts[0], &err) : NULL, &err);
	jadd(o, "last", f->npts ? point_json(&f->pts[f->npts - 1], &err) : NULL, &err);
	if (has_home(f)) {
		home = jobj(&err);
		jadd(home, "lat", jnum(f->home.lat, 7, &err), &err);
		jadd(home, "lon", jnum(f->home.lon, 7, &err), &err);
	}
	jadd(o, "home", home, &err);

	id = jobj(&err);
	jadd(o, "identity", id, &err);
	for (i = 0; identity_keys[i] != NULL; i++)
		jadd(id, identity_keys[i], jstr(ct_flight_get_fact(f, identity_keys[i]), &err),
		     &err);
	for (i = 0; i < f->nfacts; i++)
		if (!is_identity_key(f->facts[i].key))
			jadd(id, f->facts[i].key, jstr(f->facts[i].value, &err), &err);

	warn = jarr(&err);
	jadd(o, "warnings", warn, &err);
	for (i = 0; i < f->nwarnings; i++)
		jpush(warn, jstr(f->warnings[i], &err), &err);

	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}
