/*
 * test_parse_jpeg.c — the JPEG/DNG photo parser (jpeg.c): the fixtures of
 * fixtures/flight/mkjpeg.sh, DJI XMP under another prefix, a TIFF/DNG with
 * its XMP in tag 700, an XML bomb, and truncated / bit-flipped photos.
 *
 * The expected values were cross-checked with `exiftool -n -j -G1` (12.57)
 * on the fixtures:
 *   DJI_0001.JPG  GPS:GPSLatitude 47.39765 (N), GPS:GPSLongitude 8.54509 (E),
 *                 GPS:GPSAltitude 412.35, GPS:GPSAltitudeRef 0,
 *                 Composite:GPSDateTime "2024:05:18 09:13:40.5Z",
 *                 IFD0:Make DJI, IFD0:Model FC3411, IFD0:Software v01.00.0300,
 *                 ExifIFD:SerialNumber CTTEST0001CAM, XMP-drone-dji:
 *                 AbsoluteAltitude "+412.35", RelativeAltitude "+60.10",
 *                 FlightYawDegree -45.20, GimbalPitchDegree -90.00,
 *                 DroneSerialNumber CTTEST0001AIR, CameraSerialNumber CTTEST0001CAM
 *   DJI_0002.JPG  Composite:GPSLatitude -34.60372, Composite:GPSLongitude
 *                 -58.38159, Composite:GPSAltitude -3.25 (GPSAltitudeRef 1),
 *                 Composite:SubSecDateTimeOriginal "2024:06:02 16:45:09.37",
 *                 no GPSDateStamp; XMP-drone-dji: GPSLongitude -58.381390 (2e-4
 *                 from EXIF), AbsoluteAltitude -3.25, RelativeAltitude "+25.50",
 *                 FlightYawDegree "+170.10", GimbalPitchDegree -30.00,
 *                 DroneSerialNumber CTTEST0002AIR, CameraSerialNumber CTTEST0002CAM
 *   NOGPS.JPG     IFD0:Make DJI, IFD0:Model FC3411, no GPS, no XMP
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
#include <sys/resource.h>
#include <time.h>

#include <libexif/exif-data.h>
#include <libexif/exif-utils.h>

#include "parse_test.h"

static int
parse(const unsigned char *buf, size_t len, const char *name, struct ct_flight *f)
{
	return pt_parse(ct_jpeg_parse, "jpeg", buf, len, name, f);
}

static void
expect_pt(const struct ct_point *p, double lat, double lon, double alt,
	  enum ct_alt_ref ref, enum ct_time_basis basis, const char *t)
{
	char buf[64];

	if (fabs(p->lat - lat) > 1e-9 || fabs(p->lon - lon) > 1e-9 ||
	    fabs(p->alt_m - alt) > 1e-9 || p->alt_ref != ref)
		fail_msg("point %.9f %.9f %.3f ref %d, expected %.9f %.9f %.3f ref %d", p->lat,
			 p->lon, p->alt_m, p->alt_ref, lat, lon, alt, ref);
	assert_int_equal(p->basis, basis);
	ct_point_time_str(p, buf, sizeof(buf));
	if (strcmp(buf, t) != 0)
		fail_msg("time %s, expected %s", buf, t);
}

/* N/E, GPS date and time (UTC), XMP as attributes. */
static void
test_dji_0001(void **state)
{
	struct ct_flight f;
	unsigned char *buf;
	size_t len, i;

	(void)state;
	buf = pt_fixture("DJI_0001.JPG", &len);
	assert_int_equal(parse(buf, len, "DCIM/100MEDIA/DJI_0001.JPG", &f), 0);
	assert_int_equal(f.npts, 1);
	expect_pt(&f.pts[0], 47.39765, 8.54509, 412.35, CT_ALT_MSL, CT_TIME_UTC,
		  "2024-05-18T09:13:40.500000Z");
	/* The EXIF APP1 segment: after SOI (2) and the JFIF APP0 (18). */
	assert_int_equal(f.pts[0].offset, 20);
	expect_fact(&f, "model", "DJI FC3411");
	expect_fact(&f, "camera_serial", "CTTEST0001CAM");
	expect_fact(&f, "camera_serial_2", NULL);	/* XMP says the same */
	expect_fact(&f, "aircraft_serial", "CTTEST0001AIR");
	expect_fact(&f, "firmware", "v01.00.0300");
	expect_fact(&f, "drone_model", "CT Test Aircraft");
	expect_fact(&f, "abs_alt_m", "412.35");
	expect_fact(&f, "rel_alt_m", "60.10");
	expect_fact(&f, "flight_yaw_deg", "-45.20");
	expect_fact(&f, "gimbal_pitch_deg", "-90.00");
	for (i = 0; i < f.nwarnings; i++)
		fail_msg("unexpected warning: %s", f.warnings[i]);
	assert_int_equal(f.bytes_parsed, len - 13);	/* up to SOS */
	ct_flight_release(&f);
	free(buf);
}

/* S/W, below sea level, local time with sub-seconds, XMP as elements whose
 * longitude disagrees with EXIF by 2e-4 degrees. */
static void
test_dji_0002(void **state)
{
	struct ct_flight f;
	unsigned char *buf;
	size_t len;

	(void)state;
	buf = pt_fixture("DJI_0002.JPG", &len);
	assert_int_equal(parse(buf, len, "DJI_0002.JPG", &f), 0);
	assert_int_equal(f.npts, 1);
	expect_pt(&f.pts[0], -34.60372, -58.38159, -3.25, CT_ALT_MSL, CT_TIME_LOCAL,
		  "2024-06-02T16:45:09.370000");
	expect_fact(&f, "model", "DJI FC3411");
	expect_fact(&f, "camera_serial", "CTTEST0002CAM");	/* XMP only */
	expect_fact(&f, "aircraft_serial", "CTTEST0002AIR");
	expect_fact(&f, "firmware", "v01.00.0300");
	expect_fact(&f, "drone_model", NULL);
	expect_fact(&f, "abs_alt_m", "-3.25");
	expect_fact(&f, "rel_alt_m", "25.50");
	expect_fact(&f, "flight_yaw_deg", "170.10");
	expect_fact(&f, "gimbal_pitch_deg", "-30.00");
	assert_int_equal(f.nwarnings, 1);
	assert_non_null(strstr(f.warnings[0], "differs from EXIF"));
	assert_non_null(strstr(f.warnings[0], "-58.3813900"));
	ct_flight_release(&f);
	free(buf);
}

/* No GPS: 1 (nothing of use for a track), no point, the facts kept. */
static void
test_nogps(void **state)
{
	struct ct_flight f;
	unsigned char *buf;
	size_t len;

	(void)state;
	buf = pt_fixture("NOGPS.JPG", &len);
	assert_int_equal(parse(buf, len, "NOGPS.JPG", &f), 1);
	assert_int_equal(f.npts, 0);
	expect_fact(&f, "model", "DJI FC3411");
	expect_fact(&f, "firmware", "v01.00.0300");
	expect_fact(&f, "camera_serial", NULL);
	assert_int_equal(f.nwarnings, 1);
	assert_non_null(strstr(f.warnings[0], "without a GPS position"));
	ct_flight_release(&f);
	free(buf);
}

static void
test_choose(void **state)
{
	static const char *const names[] = { "DJI_0001.JPG", "DJI_0002.JPG", "NOGPS.JPG" };
	static const unsigned char tiff_le[] = { 'I', 'I', 42, 0, 8, 0, 0, 0 };
	static const unsigned char tiff_be[] = { 'M', 'M', 0, 42, 0, 0, 0, 8 };
	const struct ct_parser *p;
	unsigned char *buf;
	size_t len, i;
	int score;

	(void)state;
	for (i = 0; i < 3; i++) {
		buf = pt_fixture(names[i], &len);
		p = ct_parser_choose(names[i], buf, len < 512 ? len : 512, &score);
		assert_non_null(p);
		assert_string_equal(p->name, "jpeg");
		assert_int_equal(score, 100);
		p = ct_parser_choose(NULL, buf, len < 512 ? len : 512, &score);
		assert_non_null(p);
		assert_string_equal(p->name, "jpeg");
		assert_int_equal(score, 90);
		free(buf);
	}
	assert_int_equal(ct_jpeg_probe("a/b.jpeg", (const unsigned char *)"\xff\xd8\xff", 3),
			 100);
	assert_int_equal(ct_jpeg_probe("DJI_0001.DNG", tiff_le, sizeof(tiff_le)), 80);
	assert_int_equal(ct_jpeg_probe("DJI_0001.dng", tiff_be, sizeof(tiff_be)), 80);
	assert_int_equal(ct_jpeg_probe("scan.tif", tiff_le, sizeof(tiff_le)), 10);
	assert_int_equal(ct_jpeg_probe("x.JPG", (const unsigned char *)"\xff\xd8", 2), 0);
	assert_int_equal(ct_jpeg_probe("x.JPG", (const unsigned char *)"GIF89a", 6), 0);
	p = ct_parser_choose("DJI_0001.DNG", tiff_le, sizeof(tiff_le), &score);
	assert_non_null(p);
	assert_string_equal(p->name, "jpeg");
}

/* ---- photos built here with libexif ---- */

/* What a built photo's EXIF holds (NULL / 0: absent). */
struct exif_spec {
	double lat, lon;		/* with refs; both 0 and has_gps: 0, 0 */
	int has_gps;
	const char *gps_status;		/* "A", "V" */
	const char *gps_date;		/* "2024:05:18" with the GPS time below */
	double gps_hms[3];
	const char *dto;		/* DateTimeOriginal */
	const char *dt;			/* IFD0 DateTime */
	const char *off_orig;		/* OffsetTimeOriginal */
	const char *off;		/* OffsetTime */
};

static ExifEntry *
add_entry(ExifData *ed, ExifIfd ifd, ExifTag tag, ExifFormat fmt, unsigned long n)
{
	ExifMem *mem = exif_mem_new_default();
	ExifEntry *e = exif_entry_new_mem(mem);

	assert_non_null(e);
	e->size = exif_format_get_size(fmt) * n;
	e->data = exif_mem_alloc(mem, e->size);
	assert_non_null(e->data);
	e->tag = tag;
	e->format = fmt;
	e->components = n;
	exif_content_add_entry(ed->ifd[ifd], e);
	exif_entry_unref(e);
	exif_mem_unref(mem);
	return e;
}

static void
add_ascii(ExifData *ed, ExifIfd ifd, ExifTag tag, const char *v)
{
	ExifEntry *e = add_entry(ed, ifd, tag, EXIF_FORMAT_ASCII, strlen(v) + 1);

	memcpy(e->data, v, strlen(v) + 1);
}

static void
add_rationals(ExifData *ed, ExifTag tag, const double *v, unsigned n)
{
	ExifEntry *e = add_entry(ed, EXIF_IFD_GPS, tag, EXIF_FORMAT_RATIONAL, n);
	unsigned i;

	for (i = 0; i < n; i++) {
		ExifRational r = { (ExifLong)(v[i] * 1000000 + 0.5), 1000000 };
		exif_set_rational(e->data + 8 * i, EXIF_BYTE_ORDER_INTEL, r);
	}
}

/* degrees as d, m, s */
static void
add_coord(ExifData *ed, ExifTag tag, ExifTag reftag, double deg, const char *pos,
	  const char *neg)
{
	double a = fabs(deg), v[3];

	v[0] = floor(a);
	v[1] = floor((a - v[0]) * 60);
	v[2] = (a - v[0] - v[1] / 60) * 3600;
	add_rationals(ed, tag, v, 3);
	add_ascii(ed, EXIF_IFD_GPS, reftag, deg < 0 ? neg : pos);
}

/* SOI, APP1 with the EXIF of spec, a token SOS and EOI. */
static unsigned char *
exif_jpeg(const struct exif_spec *sp, size_t *len)
{
	ExifData *ed = exif_data_new();
	unsigned char *exif = NULL, *b;
	unsigned int elen = 0;
	size_t n = 0;

	assert_non_null(ed);
	exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
	add_ascii(ed, EXIF_IFD_0, EXIF_TAG_MAKE, "DJI");
	if (sp->has_gps) {
		add_coord(ed, EXIF_TAG_GPS_LATITUDE, EXIF_TAG_GPS_LATITUDE_REF, sp->lat, "N", "S");
		add_coord(ed, EXIF_TAG_GPS_LONGITUDE, EXIF_TAG_GPS_LONGITUDE_REF, sp->lon, "E", "W");
	}
	if (sp->gps_status)
		add_ascii(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_STATUS, sp->gps_status);
	if (sp->gps_date) {
		add_ascii(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_DATE_STAMP, sp->gps_date);
		add_rationals(ed, EXIF_TAG_GPS_TIME_STAMP, sp->gps_hms, 3);
	}
	if (sp->dto)
		add_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL, sp->dto);
	if (sp->dt)
		add_ascii(ed, EXIF_IFD_0, EXIF_TAG_DATE_TIME, sp->dt);
	if (sp->off_orig)
		add_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_OFFSET_TIME_ORIGINAL, sp->off_orig);
	if (sp->off)
		add_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_OFFSET_TIME, sp->off);
	exif_data_save_data(ed, &exif, &elen);
	exif_data_unref(ed);
	assert_non_null(exif);
	assert_true(elen > 6 && elen + 2 <= 65535 && !memcmp(exif, "Exif\0\0", 6));
	b = malloc(elen + 18);
	assert_non_null(b);
	b[n++] = 0xFF, b[n++] = 0xD8, b[n++] = 0xFF, b[n++] = 0xE1;
	b[n++] = (unsigned char)((elen + 2) >> 8), b[n++] = (unsigned char)(elen + 2);
	memcpy(b + n, exif, elen);
	n += elen;
	memcpy(b + n, "\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00\xff\xd9", 12);
	*len = n + 12;
	free(exif);
	return b;
}

static void
parse_spec(const struct exif_spec *sp, struct ct_flight *f, int want_rc)
{
	unsigned char *b;
	size_t len;

	b = exif_jpeg(sp, &len);
	assert_int_equal(parse(b, len, "DJI_0009.JPG", f), want_rc);
	free(b);
}

/*
 * No fix: GPSStatus V (measurement void) with a stale position, and a
 * position of 0, 0: no point, one warning that counts it; GPSStatus A is
 * a fix.
 */
static void
test_exif_nofix(void **state)
{
	struct exif_spec sp = { .lat = 47.39765, .lon = 8.54509, .has_gps = 1,
				.gps_status = "V" };
	struct ct_flight f;

	(void)state;
	parse_spec(&sp, &f, 1);
	assert_int_equal(f.npts, 0);
	assert_int_equal(f.nwarnings, 1);
	assert_non_null(strstr(f.warnings[0], ": 1 point without a GPS fix"));
	ct_flight_release(&f);

	sp.gps_status = NULL;
	sp.lat = sp.lon = 0;
	parse_spec(&sp, &f, 1);
	assert_int_equal(f.npts, 0);
	assert_int_equal(f.nwarnings, 1);
	assert_non_null(strstr(f.warnings[0], ": 1 point without a GPS fix"));
	ct_flight_release(&f);

	sp.gps_status = "A";
	sp.lat = -34.60372;
	sp.lon = -58.38159;
	parse_spec(&sp, &f, 0);
	assert_int_equal(f.npts, 1);
	assert_int_equal(f.nwarnings, 0);
	assert_true(fabs(f.pts[0].lat + 34.60372) < 1e-6 && fabs(f.pts[0].lon + 58.38159) < 1e-6);
	ct_flight_release(&f);
}

/*
 * Time as the photo states it: DateTimeOriginal with OffsetTimeOriginal is
 * converted to UTC; OffsetTime counts for it only when DateTime is the
 * same reading; without a zone it is local; GPS date and time (UTC) come
 * first.
 */
static void
test_exif_time_zones(void **state)
{
	static const struct {
		struct exif_spec sp;
		enum ct_time_basis basis;
		const char *t;
	} cases[] = {
		{ { .lat = 47.4, .lon = 8.5, .has_gps = 1, .dto = "2024:05:18 11:13:40",
		    .off_orig = "+02:00" }, CT_TIME_UTC, "2024-05-18T09:13:40.000000Z" },
		{ { .lat = 47.4, .lon = 8.5, .has_gps = 1, .dto = "2024:05:18 01:13:40",
		    .off_orig = "-05:30" }, CT_TIME_UTC, "2024-05-18T06:43:40.000000Z" },
		{ { .lat = 47.4, .lon = 8.5, .has_gps = 1, .dto = "2024:05:18 00:30:00",
		    .off_orig = "+02:00" }, CT_TIME_UTC, "2024-05-17T22:30:00.000000Z" },
		{ { .lat = 47.4, .lon = 8.5, .has_gps = 1, .dto = "2024:05:18 11:13:40",
		    .dt = "2024:05:18 11:13:40", .off = "+02:00" },
		  CT_TIME_UTC, "2024-05-18T09:13:40.000000Z" },
		{ { .lat = 47.4, .lon = 8.5, .has_gps = 1, .dto = "2024:05:18 11:13:40",
		    .dt = "2024:06:01 08:00:00", .off = "+02:00" },
		  CT_TIME_LOCAL, "2024-05-18T11:13:40.000000" },
		{ { .lat = 47.4, .lon = 8.5, .has_gps = 1, .dto = "2024:05:18 11:13:40",
		    .off_orig = "   :  " }, CT_TIME_LOCAL, "2024-05-18T11:13:40.000000" },
		{ { .lat = 47.4, .lon = 8.5, .has_gps = 1, .dto = "2024:05:18 11:13:40" },
		  CT_TIME_LOCAL, "2024-05-18T11:13:40.000000" },
		{ { .lat = 47.4, .lon = 8.5, .has_gps = 1, .dto = "2024:05:18 11:13:40",
		    .off_orig = "+02:00", .gps_date = "2024:05:18", .gps_hms = { 9, 13, 41 } },
		  CT_TIME_UTC, "2024-05-18T09:13:41.000000Z" },
	};
	struct ct_flight f;
	char t[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_spec(&cases[i].sp, &f, 0);
		assert_int_equal(f.npts, 1);
		ct_point_time_str(&f.pts[0], t, sizeof(t));
		if (f.pts[0].basis != cases[i].basis || strcmp(t, cases[i].t))
			fail_msg("case %zu: %s (basis %d), expected %s (%d)", i, t, f.pts[0].basis,
				 cases[i].t, cases[i].basis);
		ct_flight_release(&f);
	}
}


/* SOI, one APP1 XMP segment with xmp, a token SOS and EOI. */
static unsigned char *
xmp_jpeg_n(const char *xmp, size_t xl, size_t *len)
{
	static const char hdr[] = "http://ns.adobe.com/xap/1.0/";
	size_t seg = 2 + sizeof(hdr) + xl, n = 0;
	unsigned char *b = malloc(2 + 2 + seg + 12);

	assert_non_null(b);
	assert_true(seg <= 65535);
	b[n++] = 0xFF, b[n++] = 0xD8, b[n++] = 0xFF, b[n++] = 0xE1;
	b[n++] = (unsigned char)(seg >> 8), b[n++] = (unsigned char)seg;
	memcpy(b + n, hdr, sizeof(hdr));	/* with its NUL */
	n += sizeof(hdr);
	memcpy(b + n, xmp, xl);
	n += xl;
	memcpy(b + n, "\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00\xff\xd9", 12);
	*len = n + 12;
	return b;
}

static unsigned char *
xmp_jpeg(const char *xmp, size_t *len)
{
	return xmp_jpeg_n(xmp, strlen(xmp), len);
}

#define RDF_OPEN "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF " \
	"xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
#define RDF_CLOSE "</rdf:RDF></x:xmpmeta>"

/* Another prefix for the DJI URI is read; "drone-dji" bound to another URI
 * is not.  Without EXIF, the XMP position makes the point.  The packet is
 * padded with NULs, as some writers do. */
static void
test_xmp_prefix(void **state)
{
	static const char xmp[] =
	    "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>" RDF_OPEN
	    "<rdf:Description rdf:about=\"\" xmlns:dji=\"http://www.dji.com/drone-dji/1.0/\"\n"
	    " xmlns:drone-dji=\"http://example.com/not-dji/\"\n"
	    " drone-dji:DroneSerialNumber=\"WRONG\" drone-dji:GpsLatitude=\"10\"\n"
	    " dji:GpsLatitude=\"-12.345678\" dji:GpsLongtitude=\"+130.5\"\n"
	    " dji:RelativeAltitude=\"+42.5\" dji:DroneSerialNumber=\"RIGHTPREFIX\">\n"
	    " <dji:GimbalPitchDegree> -45.0 </dji:GimbalPitchDegree>\n"
	    " <drone-dji:FlightYawDegree>99</drone-dji:FlightYawDegree>\n"
	    " <dji:CameraSerialNumber><rdf:Seq><rdf:li>NOT-A-VALUE</rdf:li></rdf:Seq>"
	    "</dji:CameraSerialNumber>\n"
	    " <dji:AbsoluteAltitude>12abc</dji:AbsoluteAltitude>\n"
	    "</rdf:Description>" RDF_CLOSE "<?xpacket end=\"w\"?>\n\0\0\0";
	struct ct_flight f;
	unsigned char *b;
	size_t len;

	(void)state;
	b = xmp_jpeg_n(xmp, sizeof(xmp) - 1, &len);
	assert_int_equal(parse(b, len, "P.JPG", &f), 0);
	assert_int_equal(f.npts, 1);
	/* Latitude then "longtitude" (sic, older firmware); relative altitude. */
	expect_pt(&f.pts[0], -12.345678, 130.5, 42.5, CT_ALT_TAKEOFF, CT_TIME_NONE, "");
	expect_fact(&f, "aircraft_serial", "RIGHTPREFIX");
	expect_fact(&f, "gimbal_pitch_deg", "-45.0");
	expect_fact(&f, "rel_alt_m", "42.5");
	expect_fact(&f, "flight_yaw_deg", NULL);
	expect_fact(&f, "camera_serial", NULL);
	expect_fact(&f, "abs_alt_m", NULL);
	assert_int_equal(f.nwarnings, 0);
	ct_flight_release(&f);
	free(b);
}

/* Broken XML: a warning at the offset, the values before it kept. */
static void
test_xmp_broken(void **state)
{
	static const char xmp[] = RDF_OPEN
	    "<rdf:Description xmlns:drone-dji=\"http://www.dji.com/drone-dji/1.0/\">"
	    "<drone-dji:DroneSerialNumber>KEPT</drone-dji:DroneSerialNumber>"
	    "<drone-dji:GpsLatitude>1</drone-dji:Oops>";
	struct ct_flight f;
	unsigned char *b;
	size_t len;
	char *w;

	(void)state;
	b = xmp_jpeg(xmp, &len);
	assert_int_equal(parse(b, len, "B.JPG", &f), 1);
	expect_fact(&f, "aircraft_serial", "KEPT");
	assert_true(f.nwarnings >= 1);
	/* The name in the mismatched end tag (where expat points), as a file
	 * offset: after SOI, marker, length and the XMP header. */
	w = f.warnings[0];
	assert_non_null(strstr(w, "XMP: mismatched tag"));
	assert_int_equal(strtoull(w + 7, NULL, 10),
			 2 + 4 + 29 + (strstr(xmp, "</drone-dji:Oops") + 2 - xmp));
	ct_flight_release(&f);
	free(b);
}

static long
maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Billion laughs and an external entity: refused at the DOCTYPE, fast and
 * small; the packet's values are not used either. */
static void
test_xml_bomb(void **state)
{
	static const char bomb[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE x:xmpmeta [\n"
	    " <!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
	    " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	    " <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	    " <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
	    " <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
	    " <!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
	    " <!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
	    " <!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n"
	    "]>\n" RDF_OPEN
	    "<rdf:Description xmlns:drone-dji=\"http://www.dji.com/drone-dji/1.0/\">"
	    "<drone-dji:DroneSerialNumber>&h;</drone-dji:DroneSerialNumber>"
	    "<drone-dji:GpsLatitude>&h;</drone-dji:GpsLatitude>"
	    "</rdf:Description>" RDF_CLOSE;
	static const char ext[] =
	    "<!DOCTYPE x [<!ENTITY s SYSTEM \"file:///etc/passwd\">]>" RDF_OPEN
	    "<rdf:Description xmlns:drone-dji=\"http://www.dji.com/drone-dji/1.0/\">"
	    "<drone-dji:DroneSerialNumber>&s;</drone-dji:DroneSerialNumber>"
	    "</rdf:Description>" RDF_CLOSE;
	const char *const xmps[] = { bomb, ext };
	struct ct_flight f;
	unsigned char *b;
	size_t len, i;
	clock_t t0;
	long rss0;

	(void)state;
	for (i = 0; i < 2; i++) {
		b = xmp_jpeg(xmps[i], &len);
		rss0 = maxrss_kib();
		t0 = clock();
		assert_int_equal(parse(b, len, "BOMB.JPG", &f), 1);
		/* 16^7 * 64 bytes = 16 GiB if expanded. */
		assert_true(clock() - t0 < CLOCKS_PER_SEC);
		assert_true(maxrss_kib() - rss0 < 64 * 1024);
		assert_int_equal(f.npts, 0);
		expect_fact(&f, "aircraft_serial", NULL);
		assert_true(f.nwarnings >= 1);
		assert_non_null(strstr(f.warnings[0], "DOCTYPE refused"));
		ct_flight_release(&f);
		free(b);
	}
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff), put16(p + 2, v >> 16);
}

/* A TIFF (little-endian): IFD0 with Make and XMLPacket (tag 700). */
static void
test_dng_xmp(void **state)
{
	static const char xmp[] = RDF_OPEN
	    "<rdf:Description xmlns:d=\"http://www.dji.com/drone-dji/1.0/\""
	    " d:GpsLatitude=\"+51.5\" d:GpsLongitude=\"-0.125\" d:AbsoluteAltitude=\"+80.5\""
	    " d:DroneSerialNumber=\"DNGAIR\"/>" RDF_CLOSE;
	unsigned char b[1024];
	struct ct_flight f;
	size_t xl = strlen(xmp), n;

	(void)state;
	memset(b, 0, sizeof(b));
	memcpy(b, "II*\0", 4);
	put32(b + 4, 8);
	put16(b + 8, 2);
	/* Make, ASCII, 4: "DJI\0" inline. */
	put16(b + 10, 0x010f), put16(b + 12, 2), put32(b + 14, 4);
	memcpy(b + 18, "DJI", 4);
	/* XMLPacket, BYTE, xl bytes at 64. */
	put16(b + 22, 700), put16(b + 24, 1), put32(b + 26, (uint32_t)xl), put32(b + 30, 64);
	put32(b + 34, 0);
	memcpy(b + 64, xmp, xl);
	n = 64 + xl;
	assert_true(ct_jpeg_probe("DJI_0009.DNG", b, n) == 80);
	assert_int_equal(parse(b, n, "DJI_0009.DNG", &f), 0);
	assert_int_equal(f.npts, 1);
	/* No EXIF GPS: XMP position, AbsoluteAltitude of no stated reference. */
	expect_pt(&f.pts[0], 51.5, -0.125, 80.5, CT_ALT_UNKNOWN, CT_TIME_NONE, "");
	assert_int_equal(f.pts[0].offset, 64);
	expect_fact(&f, "model", "DJI");
	expect_fact(&f, "aircraft_serial", "DNGAIR");
	ct_flight_release(&f);

	/* The XMP said to be past the end of the file. */
	put32(b + 30, 4000);
	assert_int_equal(parse(b, n, "DJI_0009.DNG", &f), 1);
	expect_fact(&f, "model", "DJI");
	ct_flight_release(&f);
}

/* The EXIF of DJI_0001.JPG as a bare TIFF (its APP1 without "Exif\0\0"):
 * what a DNG gives libexif. */
static void
test_dng_exif(void **state)
{
	struct ct_flight f;
	unsigned char *buf;
	size_t len, seg;

	(void)state;
	buf = pt_fixture("DJI_0001.JPG", &len);
	assert_memory_equal(buf + 20, "\xff\xe1", 2);
	seg = (size_t)buf[22] << 8 | buf[23];
	assert_memory_equal(buf + 24, "Exif\0\0", 6);
	assert_int_equal(parse(buf + 30, seg - 8, "DJI_0001.DNG", &f), 0);
	assert_int_equal(f.npts, 1);
	expect_pt(&f.pts[0], 47.39765, 8.54509, 412.35, CT_ALT_MSL, CT_TIME_UTC,
		  "2024-05-18T09:13:40.500000Z");
	expect_fact(&f, "model", "DJI FC3411");
	expect_fact(&f, "camera_serial", "CTTEST0001CAM");
	ct_flight_release(&f);
	free(buf);
}

/* Every truncation in the first 4 KiB and a few hundred bit flips. */
static void
hostile(const unsigned char *orig, size_t len, const char *name, unsigned seed)
{
	struct ct_flight f;
	unsigned char *b = malloc(len);
	size_t k, cut;
	int r;

	assert_non_null(b);
	memcpy(b, orig, len);
	for (cut = 0; cut < len && cut < 4096; cut++) {
		r = parse(b, cut, name, &f);
		assert_true(r == 0 || r == 1);
		assert_true(f.npts <= 1);
		ct_flight_release(&f);
	}
	srand(seed);
	for (k = 0; k < 400; k++) {
		size_t at = (size_t)rand() % len, at2 = (size_t)rand() % len;
		unsigned char bit = (unsigned char)(1u << (rand() % 8));

		/* Half of the flips in the metadata, where they matter. */
		if (k % 2 && len > 64)
			at = 2 + at % (len - 64);
		b[at] ^= bit;
		if (k % 5 == 0)
			b[at2] ^= 0xff;
		r = parse(b, len, name, &f);
		if (r != 0 && r != 1)
			fail_msg("flip at %zu: %d", at, r);
		assert_true(f.npts <= 1);
		ct_flight_release(&f);
		memcpy(b, orig, len);
	}
	free(b);
}

static void
test_hostile(void **state)
{
	static const char *const names[] = { "DJI_0001.JPG", "DJI_0002.JPG", "NOGPS.JPG" };
	unsigned char *buf;
	size_t len, i, seg;

	(void)state;
	for (i = 0; i < 3; i++) {
		buf = pt_fixture(names[i], &len);
		hostile(buf, len, names[i], (unsigned)i + 1);
		if (i == 0) {
			/* The same EXIF as a DNG. */
			seg = (size_t)buf[22] << 8 | buf[23];
			hostile(buf + 30, seg - 8, "DJI_0001.DNG", 7);
		}
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dji_0001),
		cmocka_unit_test(test_dji_0002),
		cmocka_unit_test(test_nogps),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_xmp_prefix),
		cmocka_unit_test(test_xmp_broken),
		cmocka_unit_test(test_xml_bomb),
		cmocka_unit_test(test_dng_xmp),
		cmocka_unit_test(test_dng_exif),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_exif_nofix),
		cmocka_unit_test(test_exif_time_zones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
