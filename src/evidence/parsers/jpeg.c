/*
 * jpeg.c — photos from the aircraft camera (DJI_0001.JPG, DJI_0001.DNG):
 * one track point per photo and the camera's identity.
 *
 *   EXIF (libexif): GPSLatitude/Ref, GPSLongitude/Ref (no position when
 *     GPSStatus says the measurement is void), GPSAltitude/Ref (MSL, below
 *     sea level when the ref is 1), GPSDateStamp + GPSTimeStamp (UTC,
 *     preferred) or DateTimeOriginal + SubSecTimeOriginal (the camera's wall
 *     clock), converted to UTC with OffsetTimeOriginal (or OffsetTime, see
 *     exif_time) and local only when nothing names its zone, Make + Model,
 *     BodySerialNumber, Software.
 *   XMP (expat, with namespace processing): the drone-dji: properties of
 *     DJI, matched by the namespace URI and not by the prefix, written either
 *     as attributes of rdf:Description or as child elements.
 *
 * A JPEG is walked marker by marker up to the start of scan (SOS); only the
 * APP1 segments are read (at most 64 KiB each).  A DNG (TIFF) hands its first
 * MiB to libexif behind an "Exif\0\0" header, which libexif needs to take a
 * bare TIFF; libexif itself reaches only the first 64 KiB of it (the IFDs of
 * DJI's DNGs are there).  The XMP packet of a DNG is TIFF tag 700 in IFD0.
 *
 * Everything in the file is untrusted: every read is bounded, XMP with a
 * DOCTYPE is refused (no entity can expand), and what libexif or expat
 * report as corrupt becomes a warning with the offset of its segment.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>
#include <libexif/exif-data.h>
#include <libexif/exif-log.h>
#include <libexif/exif-utils.h>

#include "cardtrail/flight.h"
#include "parsers.h"

#define DJI_NS		"http://www.dji.com/drone-dji/1.0/"
#define NS_SEP		'|'		/* not allowed in a URI */
#define XMP_HDR		"http://ns.adobe.com/xap/1.0/"	/* + NUL */
#define XMP_HDR_LEN	29
#define MAX_MARKERS	512		/* markers walked before SOS */
#define DNG_HEAD	(1u << 20)	/* bytes of a DNG given to libexif */
#define MAX_XMP		(1u << 20)	/* an XMP packet in a DNG */
#define MAX_EXIF_WARN	20		/* libexif complaints kept per segment */
#define VAL_LEN		257		/* a text value, as ct_flight_fact keeps */
#define NUM_LEN		32		/* a number as text */

struct photo {
	/* EXIF */
	int has_exif;
	uint64_t exif_off;
	size_t exif_len;
	int has_pos, has_alt, has_utc, has_local;
	int gps_void;		/* GPSStatus 'V': measurement void, no fix */
	double lat, lon, alt;
	int64_t utc_us, local_us, zoned_us;	/* zoned: local converted with its offset */
	int has_zoned;
	char make[VAL_LEN], model[VAL_LEN], serial[VAL_LEN], software[VAL_LEN];
	/* XMP drone-dji: */
	uint64_t xmp_off;
	size_t xmp_len;
	int has_xlat, has_xlon;
	double xlat, xlon;
	char abs_alt[NUM_LEN], rel_alt[NUM_LEN], flight_yaw[NUM_LEN],
	    gimbal_pitch[NUM_LEN];
	char drone_serial[VAL_LEN], camera_serial[VAL_LEN], drone_model[VAL_LEN];
};

struct exif_log_ctx {
	struct ct_flight *f;
	uint64_t off;
	int n;
};

struct xmp_ctx {
	XML_Parser p;
	struct photo *ph;
	int depth;
	int cap_depth;		/* depth of the drone-dji element being read, or 0 */
	int cap_bad;		/* it had child elements: not a simple value */
	char key[64];
	char text[VAL_LEN];
	size_t ntext;
	int doctype;
};

/* ---- small helpers ---- */

static int
ends_with(const char *path, const char *ext)
{
	size_t n, e = strlen(ext);

	if (path == NULL)
		return 0;
	n = strlen(path);
	return n > e && strcasecmp(path + n - e, ext) == 0;
}

/* Exactly n digits at s; -1 if not. */
static int
ndigits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "YYYY:MM:DD" (also with '-'); days since 1970-01-01, or 0 if invalid. */
static int
exif_date(const char *s, int64_t *days)
{
	int y, mo, d;

	if ((y = ndigits(s, 4)) < 1900 || (s[4] != ':' && s[4] != '-') ||
	    (mo = ndigits(s + 5, 2)) < 1 || mo > 12 || s[7] != s[4] ||
	    (d = ndigits(s + 8, 2)) < 1 || d > 31)
		return 0;
	*days = ct_days_from_civil(y, (unsigned)mo, (unsigned)d);
	return 1;
}

/*
 * A decimal number as DJI writes it, "+268.42": [+-]digits[.digits] between
 * spaces.  Returns 1, *v and the text without its '+' in out, or 0.
 */
static int
xmp_number(const char *s, double *v, char *out, size_t outlen)
{
	const char *b, *e, *p;
	double x = 0, scale = 1;
	int neg = 0, digits = 0;
	size_t n;

	for (b = s; *b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'; b++)
		;
	for (e = b + strlen(b); e > b && (e[-1] == ' ' || e[-1] == '\t' ||
					  e[-1] == '\r' || e[-1] == '\n'); e--)
		;
	p = b;
	if (p < e && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (*b == '+')
		b++;
	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		if (++digits > 15)
			return 0;
		x = x * 10 + (*p - '0');
	}
	if (p < e && *p == '.') {
		for (p++; p < e && *p >= '0' && *p <= '9'; p++) {
			if (scale > 1e-15) {
				scale /= 10;
				x += (*p - '0') * scale;
			}
			digits++;
		}
	}
	if (digits == 0 || p != e || (n = (size_t)(e - b)) >= outlen)
		return 0;
	memcpy(out, b, n);
	out[n] = '\0';
	*v = neg ? -x : x;
	return 1;
}

/* ---- EXIF (libexif) ---- */

static void
exif_log_fn(ExifLog *log, ExifLogCode code, const char *domain, const char *format,
	    va_list args, void *data)
{
	struct exif_log_ctx *c = data;
	char buf[256];

	(void)log;
	if (code != EXIF_LOG_CODE_CORRUPT_DATA && code != EXIF_LOG_CODE_NO_MEMORY)
		return;
	if (c->n++ >= MAX_EXIF_WARN) {
		if (c->n == MAX_EXIF_WARN + 1)
			ct_flight_warn(c->f, c->off, "EXIF: more complaints not kept");
		return;
	}
	vsnprintf(buf, sizeof(buf), format, args);
	ct_flight_warn(c->f, c->off, "EXIF (%s): %s", domain ? domain : "?", buf);
}

static ExifEntry *
entry(ExifData *ed, ExifIfd ifd, ExifTag tag)
{
	return ed->ifd[ifd] != NULL ? exif_content_get_entry(ed->ifd[ifd], tag) : NULL;
}

/* An ASCII (or UNDEFINED) value, up to its first NUL, into buf. */
static int
ascii(ExifEntry *e, char *buf, size_t len)
{
	size_t n;

	buf[0] = '\0';
	if (e == NULL || e->data == NULL || e->size == 0 ||
	    (e->format != EXIF_FORMAT_ASCII && e->format != EXIF_FORMAT_UNDEFINED))
		return 0;
	n = e->size < len - 1 ? e->size : len - 1;
	memcpy(buf, e->data, n);
	buf[n] = '\0';
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return n > 0;
}

/* n RATIONAL (or SRATIONAL) components as doubles. */
static int
rationals(ExifData *ed, ExifEntry *e, double *v, unsigned n)
{
	ExifByteOrder o = exif_data_get_byte_order(ed);
	unsigned i;

	if (e == NULL || e->data == NULL || e->components < n || e->size < 8u * n)
		return 0;
	for (i = 0; i < n; i++) {
		if (e->format == EXIF_FORMAT_RATIONAL) {
			ExifRational r = exif_get_rational(e->data + 8 * i, o);

			if (r.denominator == 0)
				return 0;
			v[i] = (double)r.numerator / r.denominator;
		} else if (e->format == EXIF_FORMAT_SRATIONAL) {
			ExifSRational r = exif_get_srational(e->data + 8 * i, o);

			if (r.denominator == 0)
				return 0;
			v[i] = (double)r.numerator / r.denominator;
		} else {
			return 0;
		}
	}
	return 1;
}

/* Degrees from d, m, s and the reference letter (neg: 'S' or 'W'). */
static int
gps_coord(struct ct_flight *f, struct photo *ph, ExifData *ed, ExifTag tag, ExifTag reftag,
	  char neg, char pos, double max, double *out)
{
	char ref[8];
	double v[3];

	if (!rationals(ed, entry(ed, EXIF_IFD_GPS, tag), v, 3))
		return 0;
	*out = v[0] + v[1] / 60 + v[2] / 3600;
	if (!isfinite(*out) || *out > max) {
		ct_flight_warn(f, ph->exif_off, "EXIF GPS %s out of range (%g)",
			       pos == 'N' ? "latitude" : "longitude", *out);
		return 0;
	}
	if (!ascii(entry(ed, EXIF_IFD_GPS, reftag), ref, sizeof(ref)) ||
	    (ref[0] != neg && ref[0] != pos)) {
		ct_flight_warn(f, ph->exif_off, "EXIF GPS %s reference missing or "
			       "unknown; taken as %c", pos == 'N' ? "latitude" : "longitude",
			       pos);
		return 1;
	}
	if (ref[0] == neg)
		*out = -*out;
	return 1;
}

static void
exif_gps(struct ct_flight *f, struct photo *ph, ExifData *ed)
{
	ExifEntry *e;
	char buf[32];
	double v[3];
	int64_t days;

	if (ascii(entry(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_STATUS), buf, sizeof(buf)) &&
	    buf[0] == 'V')
		ph->gps_void = 1;
	if (gps_coord(f, ph, ed, EXIF_TAG_GPS_LATITUDE, EXIF_TAG_GPS_LATITUDE_REF, 'S', 'N',
		      90, &ph->lat) &&
	    gps_coord(f, ph, ed, EXIF_TAG_GPS_LONGITUDE, EXIF_TAG_GPS_LONGITUDE_REF, 'W', 'E',
		      180, &ph->lon))
		ph->has_pos = 1;

	if (rationals(ed, entry(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_ALTITUDE), v, 1) &&
	    isfinite(v[0]) && v[0] < 1e6) {
		ph->alt = v[0];
		e = entry(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_ALTITUDE_REF);
		if (e != NULL && e->data != NULL && e->size >= 1 &&
		    e->format == EXIF_FORMAT_BYTE && e->data[0] == 1)
			ph->alt = -ph->alt;
		ph->has_alt = 1;
	}

	if (ascii(entry(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_DATE_STAMP), buf, sizeof(buf)) &&
	    exif_date(buf, &days) &&
	    rationals(ed, entry(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_TIME_STAMP), v, 3)) {
		if (v[0] >= 0 && v[0] < 24 && v[1] >= 0 && v[1] < 60 && v[2] >= 0 &&
		    v[2] < 61) {
			ph->utc_us = days * 86400000000LL +
			    (int64_t)((v[0] * 3600 + v[1] * 60 + v[2]) * 1e6 + 0.5);
			ph->has_utc = 1;
		} else {
			ct_flight_warn(f, ph->exif_off, "EXIF GPSTimeStamp out of range");
		}
	}
}

/* "YYYY:MM:DD HH:MM:SS" as seconds since 1970 of that wall clock; 0 if
 * it is not one. */
static int
exif_datetime(const char *buf, int64_t *secs)
{
	int64_t days;
	int h, mi, s;

	if (strlen(buf) < 19 || !exif_date(buf, &days) || (buf[10] != ' ' && buf[10] != 'T') ||
	    (h = ndigits(buf + 11, 2)) < 0 || h > 23 || buf[13] != ':' ||
	    (mi = ndigits(buf + 14, 2)) < 0 || mi > 59 || buf[16] != ':' ||
	    (s = ndigits(buf + 17, 2)) < 0 || s > 60)
		return 0;
	*secs = days * 86400 + h * 3600 + mi * 60 + s;
	return 1;
}

/* An EXIF 2.31 offset "+HH:MM" / "-HH:MM" as seconds east of UTC; 0 if
 * absent or not one (blank, as the standard allows for unknown). */
static int
exif_offset(ExifData *ed, ExifIfd ifd, ExifTag tag, int *secs)
{
	char buf[16];
	int h, m;

	if (!ascii(entry(ed, ifd, tag), buf, sizeof(buf)) || strlen(buf) != 6 ||
	    (buf[0] != '+' && buf[0] != '-') || (h = ndigits(buf + 1, 2)) < 0 || h > 14 ||
	    buf[3] != ':' || (m = ndigits(buf + 4, 2)) < 0 || m > 59)
		return 0;
	*secs = (buf[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 1;
}

/*
 * DateTimeOriginal (+ SubSecTimeOriginal) is the camera's wall clock.  Its
 * zone is OffsetTimeOriginal; failing that OffsetTime, which belongs to
 * DateTime, when DateTime is the same clock reading.  With a zone the time
 * is converted to UTC; without one it stays local.
 */
static void
exif_time(struct photo *ph, ExifData *ed)
{
	char buf[32], dt[32], sub[16];
	int64_t secs, us = 0, scale = 100000;
	size_t i;
	int off;

	if (!ascii(entry(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL), buf, sizeof(buf)) ||
	    !exif_datetime(buf, &secs))
		return;
	if (ascii(entry(ed, EXIF_IFD_EXIF, EXIF_TAG_SUB_SEC_TIME_ORIGINAL), sub, sizeof(sub)))
		for (i = 0; sub[i] >= '0' && sub[i] <= '9' && scale > 0; i++, scale /= 10)
			us += (sub[i] - '0') * scale;
	ph->local_us = secs * 1000000LL + us;
	ph->has_local = 1;
	if (exif_offset(ed, EXIF_IFD_EXIF, EXIF_TAG_OFFSET_TIME_ORIGINAL, &off) ||
	    (ascii(entry(ed, EXIF_IFD_0, EXIF_TAG_DATE_TIME), dt, sizeof(dt)) &&
	     !strcmp(dt, buf) && exif_offset(ed, EXIF_IFD_EXIF, EXIF_TAG_OFFSET_TIME, &off))) {
		ph->zoned_us = ph->local_us - (int64_t)off * 1000000;
		ph->has_zoned = 1;
	}
}

/* Load EXIF from data (starting with "Exif\0\0") and take what we need. */
static int
exif_read(struct ct_flight *f, struct photo *ph, const unsigned char *data, size_t len,
	  uint64_t off)
{
	struct exif_log_ctx lc = { f, off, 0 };
	ExifData *ed;
	ExifLog *log;

	if (ph->has_exif) {
		ct_flight_warn(f, off, "a second EXIF segment, ignored");
		return 0;
	}
	if ((ed = exif_data_new()) == NULL)
		return -ENOMEM;
	if ((log = exif_log_new()) == NULL) {
		exif_data_unref(ed);
		return -ENOMEM;
	}
	exif_log_set_func(log, exif_log_fn, &lc);
	exif_data_log(ed, log);
	/* Read as it is: no tags added or fixed. */
	exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
	exif_data_load_data(ed, data, (unsigned int)len);
	if (ed->ifd[EXIF_IFD_0] == NULL || ed->ifd[EXIF_IFD_0]->count == 0)
		ct_flight_warn(f, off, "EXIF: no readable IFD0 (corrupt TIFF header?)");

	ph->has_exif = 1;
	ph->exif_off = off;
	ph->exif_len = len;
	ascii(entry(ed, EXIF_IFD_0, EXIF_TAG_MAKE), ph->make, sizeof(ph->make));
	ascii(entry(ed, EXIF_IFD_0, EXIF_TAG_MODEL), ph->model, sizeof(ph->model));
	ascii(entry(ed, EXIF_IFD_0, EXIF_TAG_SOFTWARE), ph->software, sizeof(ph->software));
	ascii(entry(ed, EXIF_IFD_EXIF, EXIF_TAG_BODY_SERIAL_NUMBER), ph->serial,
	      sizeof(ph->serial));
	exif_gps(f, ph, ed);
	exif_time(ph, ed);

	exif_data_unref(ed);
	exif_log_unref(log);
	return 0;
}

/* ---- XMP (expat) ---- */

static void
dji_value(struct xmp_ctx *x, const char *key, const char *val)
{
	struct photo *ph = x->ph;
	char num[NUM_LEN];
	double v;
	struct {
		const char *key;
		char *out;
	} nums[] = {
		{ "AbsoluteAltitude", ph->abs_alt },
		{ "RelativeAltitude", ph->rel_alt },
		{ "FlightYawDegree", ph->flight_yaw },
		{ "GimbalPitchDegree", ph->gimbal_pitch },
	}, texts[] = {
		{ "DroneSerialNumber", ph->drone_serial },
		{ "CameraSerialNumber", ph->camera_serial },
		{ "DroneModel", ph->drone_model },
	};
	size_t i;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (!strcmp(key, nums[i].key)) {
			if (nums[i].out[0] == '\0' && xmp_number(val, &v, num, sizeof(num)))
				memcpy(nums[i].out, num, sizeof(num));
			return;
		}
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (!strcmp(key, texts[i].key)) {
			if (texts[i].out[0] == '\0')
				snprintf(texts[i].out, VAL_LEN, "%s", val);
			return;
		}
	if (!strcmp(key, "GpsLatitude") || !strcmp(key, "Latitude")) {
		if (!ph->has_xlat && xmp_number(val, &v, num, sizeof(num)) && fabs(v) <= 90) {
			ph->xlat = v;
			ph->has_xlat = 1;
		}
	} else if (!strcmp(key, "GpsLongitude") || !strcmp(key, "GpsLongtitude") ||
		   !strcmp(key, "Longitude")) {
		if (!ph->has_xlon && xmp_number(val, &v, num, sizeof(num)) && fabs(v) <= 180) {
			ph->xlon = v;
			ph->has_xlon = 1;
		}
	}
}

/* The local name of a name in the DJI namespace ("URI|Local"), or NULL. */
static const char *
dji_local(const char *name)
{
	static const size_t n = sizeof(DJI_NS) - 1;

	if (strncmp(name, DJI_NS, n) != 0 || name[n] != NS_SEP)
		return NULL;
	return name + n + 1;
}

static void XMLCALL
xmp_start(void *data, const XML_Char *name, const XML_Char **atts)
{
	struct xmp_ctx *x = data;
	const char *l;
	size_t i;

	x->depth++;
	if (x->cap_depth)
		x->cap_bad = 1;
	for (i = 0; atts[i] != NULL && atts[i + 1] != NULL; i += 2)
		if ((l = dji_local(atts[i])) != NULL)
			dji_value(x, l, atts[i + 1]);
	if (!x->cap_depth && (l = dji_local(name)) != NULL && strlen(l) < sizeof(x->key)) {
		x->cap_depth = x->depth;
		x->cap_bad = 0;
		snprintf(x->key, sizeof(x->key), "%s", l);
		x->ntext = 0;
		x->text[0] = '\0';
	}
}

static void XMLCALL
xmp_end(void *data, const XML_Char *name)
{
	struct xmp_ctx *x = data;

	(void)name;
	if (x->cap_depth && x->cap_depth == x->depth) {
		if (!x->cap_bad)
			dji_value(x, x->key, x->text);
		x->cap_depth = 0;
	}
	x->depth--;
}

static void XMLCALL
xmp_text(void *data, const XML_Char *s, int len)
{
	struct xmp_ctx *x = data;
	size_t n;

	if (!x->cap_depth || x->cap_depth != x->depth || len <= 0)
		return;
	n = (size_t)len;
	if (n > sizeof(x->text) - 1 - x->ntext)
		n = sizeof(x->text) - 1 - x->ntext;
	memcpy(x->text + x->ntext, s, n);
	x->ntext += n;
	x->text[x->ntext] = '\0';
}

/* XMP has no use for a DTD: refuse it, and with it every entity. */
static void XMLCALL
xmp_doctype(void *data, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
	    int has_internal_subset)
{
	struct xmp_ctx *x = data;

	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	x->doctype = 1;
	XML_StopParser(x->p, XML_FALSE);
}

/* Parse one XMP packet (data at file offset off); -ENOMEM or 0. */
static int
xmp_read(struct ct_flight *f, struct photo *ph, const unsigned char *data, size_t len,
	 uint64_t off)
{
	struct xmp_ctx x;
	XML_Index at;

	/* Padding: trailing NULs and spaces are not part of the packet. */
	while (len > 0 && (data[len - 1] == '\0' || data[len - 1] == ' ' ||
			   data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == 0 || len > MAX_XMP)
		return 0;
	memset(&x, 0, sizeof(x));
	x.ph = ph;
	if ((x.p = XML_ParserCreateNS(NULL, NS_SEP)) == NULL)
		return -ENOMEM;
	XML_SetUserData(x.p, &x);
	XML_SetElementHandler(x.p, xmp_start, xmp_end);
	XML_SetCharacterDataHandler(x.p, xmp_text);
	XML_SetStartDoctypeDeclHandler(x.p, xmp_doctype);
	XML_SetParamEntityParsing(x.p, XML_PARAM_ENTITY_PARSING_NEVER);
	if (ph->xmp_off == 0) {
		ph->xmp_off = off;
		ph->xmp_len = len;
	}
	if (XML_Parse(x.p, (const char *)data, (int)len, 1) != XML_STATUS_OK) {
		enum XML_Error err = XML_GetErrorCode(x.p);

		at = XML_GetCurrentByteIndex(x.p);
		if (at < 0 || (uint64_t)at > len)
			at = 0;
		if (err == XML_ERROR_NO_MEMORY) {
			XML_ParserFree(x.p);
			return -ENOMEM;
		}
		if (x.doctype)
			ct_flight_warn(f, off + (uint64_t)at, "XMP with a DOCTYPE refused");
		else
			ct_flight_warn(f, off + (uint64_t)at, "XMP: %s", XML_ErrorString(err));
	}
	XML_ParserFree(x.p);
	return 0;
}

/* ---- containers ---- */

/* Walk the markers of a JPEG up to SOS; read the APP1 segments. */
static int
walk_jpeg(const struct ct_input *in, struct ct_flight *f, struct photo *ph)
{
	unsigned char h[4], *seg;
	uint64_t pos = 2;
	size_t got, len;
	int ret = 0, n, m;

	if ((seg = malloc(65535)) == NULL)
		return -ENOMEM;
	for (n = 0;; n++) {
		if (n == MAX_MARKERS) {
			ct_flight_warn(f, pos, "%d markers without a start of scan; stopped",
				       MAX_MARKERS);
			break;
		}
		if ((ret = ct_input_read_at(in, h, 4, pos, &got)) < 0)
			goto out;
		if (got < 2) {
			ct_flight_warn(f, pos, "file ends before the image data (truncated?)");
			break;
		}
		if (h[0] != 0xFF) {
			ct_flight_warn(f, pos, "no JPEG marker (0x%02x)", h[0]);
			break;
		}
		m = h[1];
		if (m == 0xFF) {		/* fill byte */
			pos++;
			continue;
		}
		if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
			pos += 2;
			continue;
		}
		if (m == 0xDA || m == 0xD9)	/* image data (or its end) follows */
			break;
		if (got < 4) {
			ct_flight_warn(f, pos, "file ends inside a marker (truncated?)");
			break;
		}
		len = (size_t)h[2] << 8 | h[3];
		if (len < 2) {
			ct_flight_warn(f, pos, "JPEG segment 0x%02x with length %zu", m, len);
			break;
		}
		len -= 2;
		if (m == 0xE1 && len >= 6) {
			if ((ret = ct_input_read_at(in, seg, len, pos + 4, &got)) < 0)
				goto out;
			if (got < len)
				ct_flight_warn(f, pos + 4 + got, "APP1 segment cut short (%zu of "
					       "%zu bytes)", got, len);
			if (got >= 6 && memcmp(seg, "Exif\0\0", 6) == 0)
				ret = exif_read(f, ph, seg, got, pos);
			else if (got >= XMP_HDR_LEN && memcmp(seg, XMP_HDR, XMP_HDR_LEN) == 0)
				ret = xmp_read(f, ph, seg + XMP_HDR_LEN, got - XMP_HDR_LEN,
					       pos + 4 + XMP_HDR_LEN);
			if (ret < 0)
				goto out;
		}
		pos += 4 + len;
		f->bytes_parsed = pos < in->size ? pos : in->size;
		if (pos >= in->size) {
			ct_flight_warn(f, in->size, "file ends before the image data "
				       "(truncated?)");
			break;
		}
	}
out:
	free(seg);
	return ret;
}

static uint32_t
tiff32(const unsigned char *p, int be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] :
	    (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static unsigned
tiff16(const unsigned char *p, int be)
{
	return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

/* A DNG / TIFF: EXIF from its first MiB, XMP from tag 700 of IFD0. */
static int
walk_tiff(const struct ct_input *in, struct ct_flight *f, struct photo *ph)
{
	unsigned char *buf, *t, *xmp;
	size_t len = in->size < DNG_HEAD ? (size_t)in->size : DNG_HEAD, got;
	uint32_t ifd, cnt, xoff;
	unsigned i, nent;
	int be, ret;

	if ((buf = malloc(6 + len)) == NULL)
		return -ENOMEM;
	memcpy(buf, "Exif\0\0", 6);
	if ((ret = ct_input_read_at(in, buf + 6, len, 0, &got)) < 0)
		goto out;
	if (got < len)
		ct_flight_warn(f, got, "short read (%zu of %zu bytes)", got, len);
	len = got;
	f->bytes_parsed = len;
	if (len < 8) {
		ct_flight_warn(f, len, "TIFF header cut short");
		goto out;
	}
	t = buf + 6;
	be = t[0] == 'M';
	ifd = tiff32(t + 4, be);
	if (ifd > 0xfff0)
		ct_flight_warn(f, 4, "IFD0 at %" PRIu32 ", beyond the 64 KiB that libexif "
			       "reads", ifd);
	if ((ret = exif_read(f, ph, buf, 6 + len, 0)) < 0)
		goto out;

	/* XMP: tag 700 (BYTE or UNDEFINED) in IFD0. */
	if (ifd < 8 || ifd > len - 2)
		goto out;
	nent = tiff16(t + ifd, be);
	for (i = 0; i < nent && ifd + 2 + 12 * (size_t)(i + 1) <= len; i++) {
		const unsigned char *e = t + ifd + 2 + 12 * i;

		if (tiff16(e, be) != 700)
			continue;
		cnt = tiff32(e + 4, be);
		xoff = tiff32(e + 8, be);
		if ((tiff16(e + 2, be) != 1 && tiff16(e + 2, be) != 7) || cnt <= 4)
			break;
		if (cnt > MAX_XMP || xoff >= in->size) {
			ct_flight_warn(f, ifd + 2 + 12 * i, "XMP of %" PRIu32 " bytes at %"
				       PRIu32 " not read", cnt, xoff);
			break;
		}
		if ((xmp = malloc(cnt)) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		if ((ret = ct_input_read_at(in, xmp, cnt, xoff, &got)) >= 0) {
			if (got < cnt)
				ct_flight_warn(f, xoff + got, "XMP cut short (%zu of %" PRIu32
					       " bytes)", got, cnt);
			ret = xmp_read(f, ph, xmp, got, xoff);
		}
		free(xmp);
		break;
	}
out:
	free(buf);
	return ret;
}

/* ---- the parser ---- */

int
ct_jpeg_probe(const char *path, const unsigned char *head, size_t headlen)
{
	if (headlen >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
		return ends_with(path, ".jpg") || ends_with(path, ".jpeg") ? 100 : 90;
	if (headlen >= 4 && (memcmp(head, "II*\0", 4) == 0 || memcmp(head, "MM\0*", 4) == 0))
		return ends_with(path, ".dng") ? 80 : 10;
	return 0;
}

static int
facts(struct ct_flight *f, const struct photo *ph)
{
	char model[2 * VAL_LEN];
	int ret;

	if (ph->make[0] && ph->model[0] &&
	    strncasecmp(ph->model, ph->make, strlen(ph->make)) != 0)
		snprintf(model, sizeof(model), "%s %s", ph->make, ph->model);
	else
		snprintf(model, sizeof(model), "%s", ph->model[0] ? ph->model : ph->make);
	if ((ret = ct_flight_fact(f, "model", model)) < 0 ||
	    (ret = ct_flight_fact(f, "camera_serial", ph->serial)) < 0 ||
	    (ret = ct_flight_fact(f, "camera_serial", ph->camera_serial)) < 0 ||
	    (ret = ct_flight_fact(f, "aircraft_serial", ph->drone_serial)) < 0 ||
	    (ret = ct_flight_fact(f, "firmware", ph->software)) < 0 ||
	    (ret = ct_flight_fact(f, "drone_model", ph->drone_model)) < 0 ||
	    (ret = ct_flight_fact(f, "abs_alt_m", ph->abs_alt)) < 0 ||
	    (ret = ct_flight_fact(f, "rel_alt_m", ph->rel_alt)) < 0 ||
	    (ret = ct_flight_fact(f, "flight_yaw_deg", ph->flight_yaw)) < 0 ||
	    (ret = ct_flight_fact(f, "gimbal_pitch_deg", ph->gimbal_pitch)) < 0)
		return ret;
	return 0;
}

int
ct_jpeg_parse(const struct ct_input *in, struct ct_flight *f)
{
	struct photo *ph;
	struct ct_point pt;
	unsigned char head[4];
	char num[NUM_LEN];
	size_t got;
	int ret;

	if ((ret = ct_input_read_at(in, head, sizeof(head), 0, &got)) < 0)
		return ret;
	if ((ph = calloc(1, sizeof(*ph))) == NULL)
		return -ENOMEM;
	if (got >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
		ret = walk_jpeg(in, f, ph);
	else if (got == 4 && (memcmp(head, "II*\0", 4) == 0 || memcmp(head, "MM\0*", 4) == 0))
		ret = walk_tiff(in, f, ph);
	else {
		ct_flight_warn(f, 0, "neither a JPEG nor a TIFF/DNG");
		free(ph);
		return 1;
	}
	if (ret < 0 || (ret = facts(f, ph)) < 0)
		goto out;

	memset(&pt, 0, sizeof(pt));
	if (ph->has_pos) {
		pt.lat = ph->lat;
		pt.lon = ph->lon;
		pt.offset = ph->exif_off;
		pt.reclen = (uint32_t)ph->exif_len;
		if (ph->has_xlat && ph->has_xlon &&
		    (fabs(ph->xlat - ph->lat) > 1e-5 || fabs(ph->xlon - ph->lon) > 1e-5))
			ct_flight_warn(f, ph->xmp_off, "XMP position %.7f,%.7f differs from "
				       "EXIF GPS %.7f,%.7f; EXIF kept", ph->xlat, ph->xlon,
				       ph->lat, ph->lon);
	} else if (ph->has_xlat && ph->has_xlon) {
		pt.lat = ph->xlat;
		pt.lon = ph->xlon;
		pt.offset = ph->xmp_off;
		pt.reclen = (uint32_t)ph->xmp_len;
	}
	if (ph->has_alt) {
		pt.alt_m = ph->alt;
		pt.alt_ref = CT_ALT_MSL;
	} else if (ph->abs_alt[0]) {
		/* DJI's AbsoluteAltitude: barometric, of no stated reference. */
		xmp_number(ph->abs_alt, &pt.alt_m, num, sizeof(num));
		pt.alt_ref = CT_ALT_UNKNOWN;
	} else if (ph->rel_alt[0]) {
		xmp_number(ph->rel_alt, &pt.alt_m, num, sizeof(num));
		pt.alt_ref = CT_ALT_TAKEOFF;
	}
	if (ph->has_utc) {
		pt.t_us = ph->utc_us;
		pt.basis = CT_TIME_UTC;
	} else if (ph->has_zoned) {
		pt.t_us = ph->zoned_us;
		pt.basis = CT_TIME_UTC;
	} else if (ph->has_local) {
		pt.t_us = ph->local_us;
		pt.basis = CT_TIME_LOCAL;
	}
	if (ph->has_pos && ph->gps_void) {
		ct_flight_nofix(f, pt.offset);
	} else if (ph->has_pos || (ph->has_xlat && ph->has_xlon)) {
		if ((ret = ct_flight_point(f, &pt)) < 0)
			goto out;
	} else {
		ct_flight_warn(f, ph->has_exif ? ph->exif_off : 0, "photo without a GPS "
			       "position");
	}
	ret = f->npts > 0 ? 0 : 1;
out:
	free(ph);
	return ret;
}
