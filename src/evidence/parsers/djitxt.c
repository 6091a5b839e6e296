/*
 * djitxt.c — DJI GO / DJI Fly flight records (DJIFlightRecord_*.txt).
 *
 * Layout, as documented by the public parsers (lvauvillier/dji-log-parser,
 * daviesian/phantom-decoder, DROP):
 *
 *   prefix    u64 details offset, u16 details length, u8 version; 12 bytes
 *             before version 6, 100 bytes from version 6 on
 *   records   type u8, length u8 (u16 from version 13), data, 0xFF; JPEG
 *             thumbnails (FF D8 … FF D9) are interleaved between records
 *   details   street/city strings, start time (ms since epoch, UTC), home
 *             longitude/latitude (degrees), product type, aircraft name and
 *             serials, app version
 *
 * Versions 1–11 keep the details after the records (at the details offset);
 * version 12 puts them right after the prefix (436 bytes) and the records
 * after them; version 13+ puts a scrambled "auxiliary" block holding the
 * details after the prefix and the records at the details offset.
 *
 * Versions 7–12 scramble each record's data: the first data byte is a seed,
 * the rest is XORed with the 8 little-endian bytes of
 *   crc64(seed + type, le64(0x123456789ABCDEF0 * seed))
 * (CRC-64 with the reflected Jones polynomial, no final XOR).  Version 13+
 * records are in addition AES-encrypted with keys that DJI hands out per
 * file through its web API: this parser does not, and cannot, decode them.
 *
 * OSD record (type 1): f64 longitude and latitude in radians, i16 height
 * above take-off in decimetres (every version seen), …, u16 flight time in
 * tenths of a second at data offset 42.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cardtrail/flight.h"
#include "parsers.h"

#define OLD_PREFIX_SIZE	12
#define PREFIX_SIZE	100
#define V12_INFO_SIZE	436
#define DETAILS_SIZE	400
#define REC_OSD		1
#define OSD_MIN_LEN	44	/* up to the flight time; shorter is not an OSD */
#define OSD_FLYTIME_AT	42
#define END_BYTE	0xFF

/* CRC-64, reflected Jones polynomial (0xAD93D23594C935A9 reversed), the
 * caller's initial value, no final XOR; bitwise: records are short. */
static uint64_t
crc64_jones(uint64_t crc, const unsigned char *p, size_t n)
{
	int k;

	while (n-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x95AC9329AC4BC9B5ULL : crc >> 1;
	}
	return crc;
}

/* Unscramble data[1..n) in place into out (n - 1 bytes); data[0] is the seed. */
static void
unscramble(unsigned type, const unsigned char *data, size_t n, unsigned char *out)
{
	unsigned char seedbuf[8], key[8];
	uint64_t k, m;
	size_t i;
	int j;

	if (n == 0)
		return;
	m = 0x123456789ABCDEF0ULL * (uint64_t)data[0];
	for (j = 0; j < 8; j++)
		seedbuf[j] = (unsigned char)(m >> (8 * j));
	k = crc64_jones((uint64_t)(uint8_t)(data[0] + type), seedbuf, sizeof(seedbuf));
	for (j = 0; j < 8; j++)
		key[j] = (unsigned char)(k >> (8 * j));
	for (i = 1; i < n; i++)
		out[i - 1] = data[i] ^ key[(i - 1) % 8];
}

static const struct {
	unsigned char id;
	const char *name;
} product_types[] = {
	{ 1, "Inspire1" }, { 2, "Phantom3Standard" }, { 3, "Phantom3Advanced" },
	{ 4, "Phantom3Pro" }, { 5, "OSMO" }, { 6, "Matrice100" }, { 7, "Phantom4" },
	{ 8, "LB2" }, { 9, "Inspire1Pro" }, { 10, "A3" }, { 11, "Matrice600" },
	{ 12, "Phantom34K" }, { 13, "MavicPro" }, { 14, "ZenmuseXT" },
	{ 15, "Inspire1RAW" }, { 16, "A2" }, { 17, "Inspire2" }, { 18, "OSMOPro" },
	{ 19, "OSMORaw" }, { 20, "OSMOPlus" }, { 21, "Mavic" }, { 22, "OSMOMobile" },
	{ 23, "OrangeCV600" }, { 24, "Phantom4Pro" }, { 25, "N3FC" }, { 26, "Spark" },
	{ 27, "Matrice600Pro" }, { 28, "Phantom4Advanced" }, { 29, "Phantom3SE" },
	{ 30, "AG405" }, { 31, "Matrice200" }, { 33, "Matrice210" },
	{ 34, "Matrice210RTK" }, { 38, "MavicAir" }, { 42, "Mavic2" },
	{ 44, "Phantom4ProV2" }, { 46, "Phantom4RTK" }, { 57, "Phantom4Multispectral" },
	{ 58, "Mavic2Enterprise" }, { 59, "MavicMini" }, { 60, "Matrice200V2" },
	{ 61, "Matrice210V2" }, { 62, "Matrice210RTKV2" }, { 67, "MavicAir2" },
	{ 70, "Matrice300RTK" }, { 73, "FPV" }, { 75, "MavicAir2S" }, { 76, "Mini2" },
	{ 77, "Mavic3" }, { 96, "MiniSE" }, { 103, "Mini3Pro" }, { 111, "Mavic3Pro" },
	{ 116, "Matrice30" }, { 118, "Mavic3Enterprise" }, { 121, "Avata" },
	{ 126, "Mini4Pro" }, { 152, "Avata2" }, { 170, "Matrice350RTK" },
};

/* A fixed-size NUL-padded string field as a fact. */
static int
fact_str(struct ct_flight *f, const char *key, const unsigned char *p, size_t n)
{
	char s[64];

	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, p, n);
	s[n] = '\0';
	return ct_flight_fact(f, key, s);
}

/*
 * The details block (d: DETAILS_SIZE bytes, zero-padded when short).
 * Field offsets differ before and from version 6.  Returns 0 or -ENOMEM;
 * *start_ms gets the start time.
 */
static int
parse_details(struct ct_flight *f, const unsigned char *d, unsigned version,
	      int64_t *start_ms)
{
	char buf[64];
	struct tm tm;
	time_t s;
	double lat, lon;
	unsigned pt;
	size_t i, name_at, name_len, sn_at, cam_at, sn_len, app_at;
	int64_t ms;
	int ret;

	if (version <= 5) {
		pt = d[277];
		name_at = 278, name_len = 24;
		sn_at = 267, cam_at = 318, sn_len = 10;
		app_at = 349;
	} else {
		pt = d[271];
		name_at = 280, name_len = 32;
		sn_at = 312, cam_at = 328, sn_len = 16;
		app_at = 377;
	}
	if ((ret = fact_str(f, "name", d + name_at, name_len)) < 0 ||
	    (ret = fact_str(f, "aircraft_serial", d + sn_at, sn_len)) < 0 ||
	    (ret = fact_str(f, "camera_serial", d + cam_at, sn_len)) < 0 ||
	    (ret = fact_str(f, "rc_serial", d + cam_at + sn_len, sn_len)) < 0 ||
	    (ret = fact_str(f, "battery_serial", d + cam_at + 2 * sn_len, sn_len)) < 0)
		return ret;
	for (i = 0; i < sizeof(product_types) / sizeof(product_types[0]); i++)
		if (product_types[i].id == pt)
			break;
	if (i < sizeof(product_types) / sizeof(product_types[0]))
		snprintf(buf, sizeof(buf), "%s", product_types[i].name);
	else
		snprintf(buf, sizeof(buf), "product type %u", pt);
	if (pt != 0 && (ret = ct_flight_fact(f, "model", buf)) < 0)
		return ret;
	snprintf(buf, sizeof(buf), "%u", pt);
	if ((ret = ct_flight_fact(f, "product_type", buf)) < 0)
		return ret;
	if (d[app_at] | d[app_at + 1] | d[app_at + 2]) {
		snprintf(buf, sizeof(buf), "%u.%u.%u", d[app_at], d[app_at + 1],
			 d[app_at + 2]);
		if ((ret = ct_flight_fact(f, "app_version", buf)) < 0)
			return ret;
	}
	snprintf(buf, sizeof(buf), "%" PRId32, (int32_t)(d[83] | d[84] << 8 |
		 d[85] << 16 | (uint32_t)d[86] << 24));
	if ((ret = ct_flight_fact(f, "record_line_count", buf)) < 0)
		return ret;

	ms = (int64_t)ct_le64(d + 91);
	*start_ms = 0;
	/* 2000-01-01 .. 2100-01-01: anything else is not a start time. */
	if (ms > 946684800000LL && ms < 4102444800000LL) {
		*start_ms = ms;
		s = (time_t)(ms / 1000);
		gmtime_r(&s, &tm);
		snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, (int)(ms % 1000));
		if ((ret = ct_flight_fact(f, "start_time", buf)) < 0)
			return ret;
	}
	lon = ct_ledouble(d + 99);
	lat = ct_ledouble(d + 107);
	if (lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && !(lat == 0 && lon == 0)) {
		memset(&f->home, 0, sizeof(f->home));
		f->home.lat = lat;
		f->home.lon = lon;
		f->home.alt_ref = CT_ALT_NONE;
		if (*start_ms) {
			f->home.t_us = *start_ms * 1000;
			f->home.basis = CT_TIME_UTC;
		}
		f->has_home = 1;
	}
	return 0;
}

/* Details of version 13+: an auxiliary block (type 0, u16 length, data
 * scrambled as a record of type 0) holding u8 version, u16 length, info. */
static int
read_aux_details(const struct ct_input *in, struct ct_flight *f, unsigned char *d,
		 uint64_t *end)
{
	unsigned char hdr[3], *raw = NULL, *plain = NULL;
	size_t got, n, ilen;
	int ret;

	*end = PREFIX_SIZE;
	if ((ret = ct_input_read_at(in, hdr, 3, PREFIX_SIZE, &got)) < 0)
		return ret;
	if (got < 3 || hdr[0] != 0) {
		ct_flight_warn(f, PREFIX_SIZE, "no auxiliary info block after the prefix");
		return 1;
	}
	n = ct_le16(hdr + 1);
	if ((raw = malloc(n + 1)) == NULL || (plain = malloc(n + 1)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = ct_input_read_at(in, raw, n, PREFIX_SIZE + 3, &got)) < 0)
		goto out;
	*end = PREFIX_SIZE + 3 + got;
	if (got < n)
		ct_flight_warn(f, PREFIX_SIZE + 3 + got,
			       "auxiliary info block truncated (%zu of %zu bytes)", got, n);
	if (got < 4) {
		ret = 1;
		goto out;
	}
	unscramble(0, raw, got, plain);
	ilen = ct_le16(plain + 1);
	if (ilen > got - 4) {
		ct_flight_warn(f, PREFIX_SIZE + 3, "auxiliary info length %zu beyond its block",
			       ilen);
		ilen = got - 4;
	}
	if (ilen > DETAILS_SIZE)
		ilen = DETAILS_SIZE;
	memcpy(d, plain + 3, ilen);
	ret = 0;
out:
	free(raw);
	free(plain);
	return ret;
}

int
ct_djitxt_probe(const char *path, const unsigned char *head, size_t headlen)
{
	const char *base = NULL;
	int score = 0;
	unsigned v;
	uint64_t doff;

	if (path != NULL) {
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (strncasecmp(base, "DJIFlightRecord_", 16) == 0)
			score += 50;
		else if (strlen(base) > 4 && strcasecmp(base + strlen(base) - 4, ".txt") == 0)
			score += 5;
	}
	if (headlen < 12)
		return score >= 50 ? 30 : 0;
	doff = ct_le64(head);
	v = head[10];
	if (v == 0 || v > 20 || doff < OLD_PREFIX_SIZE || doff > (1ULL << 40))
		return score >= 50 ? 20 : 0;
	/* Records start with a small type and end with 0xFF. */
	if (v < 6 && headlen > 14 && head[12] >= 1 && head[12] < 64 &&
	    (size_t)head[13] + 14 < headlen && head[14 + head[13]] == END_BYTE)
		return score + 45;
	if (v >= 6 && v < 13 && headlen > PREFIX_SIZE + 2 && head[PREFIX_SIZE] >= 1 &&
	    head[PREFIX_SIZE] < 64 && (size_t)head[PREFIX_SIZE + 1] + PREFIX_SIZE + 2 < headlen &&
	    head[PREFIX_SIZE + 2 + head[PREFIX_SIZE + 1]] == END_BYTE)
		return score + 45;
	if (v >= 13 && headlen > PREFIX_SIZE && head[PREFIX_SIZE] == 0)
		return score + 40;
	return score >= 50 ? score : 0;
}

/* Handle one OSD record's plain data. */
static int
osd_point(struct ct_flight *f, const unsigned char *p, size_t n, uint64_t off,
	  size_t reclen, int64_t start_ms, int *have_ft, uint32_t *ft0, uint32_t *ftlast,
	  uint32_t *ftwrap)
{
	struct ct_point pt;
	uint32_t ft;

	if (n < OSD_MIN_LEN) {
		ct_flight_warn(f, off, "OSD record too short (%zu bytes)", n);
		return 0;
	}
	memset(&pt, 0, sizeof(pt));
	pt.lon = ct_ledouble(p) * 180.0 / M_PI;
	pt.lat = ct_ledouble(p + 8) * 180.0 / M_PI;
	pt.alt_m = (int16_t)ct_le16(p + 16) / 10.0;
	pt.alt_ref = CT_ALT_TAKEOFF;
	pt.offset = off;
	pt.reclen = (uint32_t)reclen;
	/*
	 * Time: the details' start time (UTC) plus the OSD flight-time
	 * counter (tenths of a second, u16, unwrapped) relative to its first
	 * value; without a plausible start time, the counter alone (boot).
	 */
	if (n >= OSD_FLYTIME_AT + 2) {
		ft = ct_le16(p + OSD_FLYTIME_AT);
		if (!*have_ft) {
			*have_ft = 1;
			*ft0 = *ftlast = ft;
		}
		if (ft + 0x8000 < *ftlast)
			*ftwrap += 0x10000;
		*ftlast = ft;
		if (start_ms) {
			pt.basis = CT_TIME_UTC;
			pt.t_us = start_ms * 1000 +
				  ((int64_t)ft + *ftwrap - (int64_t)*ft0) * 100000;
		} else {
			pt.basis = CT_TIME_BOOT;
			pt.t_us = ((int64_t)ft + *ftwrap) * 100000;
		}
	}
	return ct_flight_point(f, &pt);
}

int
ct_djitxt_parse(const struct ct_input *in, struct ct_flight *f)
{
	unsigned char prefix[PREFIX_SIZE], details[DETAILS_SIZE], plain[256];
	unsigned char *buf = NULL;
	uint64_t doff, info_off, rec_off, rec_end, p, aux_end;
	unsigned version;
	size_t got, n, len;
	int64_t start_ms = 0;
	uint32_t ft0 = 0, ftlast = 0, ftwrap = 0;
	int have_ft = 0, have_details = 0, ret;
	char vbuf[16];

	memset(prefix, 0, sizeof(prefix));
	memset(details, 0, sizeof(details));
	if ((ret = ct_input_read_at(in, prefix, sizeof(prefix), 0, &got)) < 0)
		goto out;
	if (got < OLD_PREFIX_SIZE) {
		ct_flight_warn(f, got, "file too short for a flight record prefix");
		ret = 1;
		goto out;
	}
	doff = ct_le64(prefix);
	version = prefix[10];
	snprintf(vbuf, sizeof(vbuf), "%u", version);
	if ((ret = ct_flight_fact(f, "log_version", vbuf)) < 0)
		goto out;
	f->bytes_parsed = got;

	if (version < 6) {
		rec_off = OLD_PREFIX_SIZE;
		info_off = doff;
	} else if (version < 12) {
		rec_off = PREFIX_SIZE;
		info_off = doff;
	} else if (version == 12) {
		rec_off = PREFIX_SIZE + V12_INFO_SIZE;
		info_off = PREFIX_SIZE;
	} else {
		rec_off = doff;
		info_off = PREFIX_SIZE;
	}
	rec_end = version < 12 ? doff : in->size;
	if (got < PREFIX_SIZE && version >= 6) {
		ct_flight_warn(f, got, "prefix truncated (%zu of %d bytes)", got, PREFIX_SIZE);
		ret = 1;
		goto out;
	}

	/* Details. */
	if (version >= 13) {
		ret = read_aux_details(in, f, details, &aux_end);
		if (ret < 0)
			goto out;
		have_details = ret == 0;
	} else if (info_off >= in->size || info_off < rec_off) {
		ct_flight_warn(f, info_off < in->size ? info_off : in->size,
			       "details block at offset %" PRIu64 " is %s", info_off,
			       info_off >= in->size ? "beyond the end of the file (truncated?)" :
			       "inside the records (corrupt prefix)");
	} else {
		if ((ret = ct_input_read_at(in, details, sizeof(details), info_off, &got)) < 0)
			goto out;
		if (got < sizeof(details))
			ct_flight_warn(f, info_off + got, "details block truncated (%zu of %d bytes)",
				       got, DETAILS_SIZE);
		have_details = got > 0;
	}
	if (have_details && (ret = parse_details(f, details, version, &start_ms)) < 0)
		goto out;

	if (version >= 13) {
		ct_flight_warn(f, rec_off, "log version %u: records are encrypted (AES) with keys "
			       "held by DJI and released only through its online API; only the "
			       "details were read", version);
		ret = have_details ? 0 : 1;
		goto out;
	}

	/* Records. */
	if (rec_end > in->size) {
		ct_flight_warn(f, in->size, "records end at %" PRIu64 " but the file has %" PRIu64
			       " bytes (truncated)", rec_end, in->size);
		rec_end = in->size;
	}
	if (rec_end <= rec_off) {
		ret = have_details ? 0 : 1;
		goto out;
	}
	if (rec_end - rec_off > CT_PARSE_MAX_WHOLE) {
		ct_flight_warn(f, rec_off + CT_PARSE_MAX_WHOLE, "records area larger than %u bytes; "
			       "the rest was not read", CT_PARSE_MAX_WHOLE);
		rec_end = rec_off + CT_PARSE_MAX_WHOLE;
	}
	n = (size_t)(rec_end - rec_off);
	if ((buf = malloc(n)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = ct_input_read_at(in, buf, n, rec_off, &got)) < 0)
		goto out;
	n = got;

	for (p = 0; p < n;) {
		uint64_t off = rec_off + p;
		unsigned type = buf[p];

		if (type == 0xFF && p + 1 < n && buf[p + 1] == 0xD8) {
			/* A JPEG thumbnail: skip to its FF D9. */
			uint64_t q = p + 2;

			while (q + 1 < n && !(buf[q] == 0xFF && buf[q + 1] == 0xD9))
				q++;
			if (q + 1 >= n) {
				ct_flight_warn(f, off, "JPEG without an end marker (truncated)");
				p = n;
				break;
			}
			p = q + 2;
			continue;
		}
		if (p + 2 > n) {
			ct_flight_warn(f, off, "record header truncated");
			p = n;
			break;
		}
		len = buf[p + 1];
		if (p + 2 + len + 1 > n) {
			ct_flight_warn(f, off, "record of type %u truncated (%zu bytes, %" PRIu64
				       " left)", type, len, n - p - 2);
			p = n;
			break;
		}
		if (buf[p + 2 + len] != END_BYTE) {
			/* Resynchronise after the next 0xFF, as the public parsers do. */
			uint64_t q = p + 1;

			ct_flight_warn(f, off, "record of type %u without its end marker", type);
			while (q < n && buf[q] != END_BYTE)
				q++;
			if (q + 1 < n && buf[q + 1] == 0xD8)
				p = q;
			else
				p = q + 1;
			continue;
		}
		if (type == REC_OSD) {
			const unsigned char *data = buf + p + 2;
			size_t dlen = len;

			if (version >= 7) {
				if (len < 1) {
					dlen = 0;
				} else {
					unscramble(type, data, len, plain);
					data = plain;
					dlen = len - 1;
				}
			}
			if ((ret = osd_point(f, data, dlen, off, 2 + len + 1, start_ms, &have_ft,
					     &ft0, &ftlast, &ftwrap)) < 0)
				goto out;
		}
		p += 2 + len + 1;
		f->bytes_parsed = rec_off + p;
	}
	if (n < rec_end - rec_off)
		ct_flight_warn(f, rec_off + n, "short read in the records");
	ret = (f->npts > 0 || have_details) ? 0 : 1;
out:
	free(buf);
	return ret;
}
