/*
 * djidat.c — DJI aircraft flight-controller logs (FLY###.DAT on the
 * aircraft's own card or internal storage, also pulled by DJI Assistant).
 *
 * The layout below is what the public descriptions agree on, checked one
 * by one: DatCon (BudWalker: DatFile, DatFileV1, DatFileV3, DatHeader,
 * Payload, GpsGroup, GoTxt50_12, HomePoint*_13), DROP (DFRWS 2017:
 * DROP.py, Packet.py, V3Messages), o-gs dji-firmware-tools
 * (comm_dat2pcap.py, dji-p3-flyrec-proto.lua, dji-dumlv1-flyc.lua) and
 * ALEAPP (DroneDAT.py).  Where they disagree, this file says so and takes
 * the reading that cannot make a point or a time wrong.
 *
 * Header
 *   byte 0      product code (DatCon DatHeader, ALEAPP acconfig)
 *   16          "BUILD" and the firmware build date (DatCon getFWDate)
 *   242         "DJI_LOG_V3": records from 256 (V3), else from 128 (V1)
 *   0           "LOGH": the encrypted kind (later aircraft); its keys are
 *               DJI's, so it is identified, never decoded
 *
 * Records, one after the other; zero bytes between them are padding
 * (DatCon DatFileV3, "from Spark .DAT"):
 *   +0  0x55
 *   +1  le16: length of the whole record in the low 10 bits, a protocol
 *       version (0 for flight records) in the high 6 (o-gs flyrec
 *       dissector; DatCon, DROP and ALEAPP read +1 as a length byte and
 *       +2 as a zero, which is the same for records under 256 bytes)
 *   +3  a CRC-8 of +0..+2 (o-gs; seed 0x77).  Not checked: DatCon, DROP
 *       and ALEAPP ignore it and the CRC-16 covers it
 *   +4  le16 record type; +6 le32 tick; +10 payload
 *   -2  le16 CRC-16 (reflected CCITT polynomial 0x8408, seed 0x3692, no
 *       final XOR) of every byte before it, as stored
 *   The payload is stored XORed with the low byte of the tick.
 *   (DROP's Phantom 3 reader keys V1 records on bytes +3/+4 instead: +3
 *   is the CRC-8, constant for a given length, so its "GPS" record 0xcf/01
 *   is the 132-byte IMU attitude record, type 1, not the GPS record.)
 *
 * A record is valid when its header is plausible (version 0, at least 12
 * bytes, inside the file) and its CRC-16 holds; nothing of an invalid one
 * is used.  After a record whose CRC fails, the walk goes on where its
 * length says the next one starts if a record (valid or not), padding or
 * the end is there, else at the next valid record found byte by byte.  A
 * CRC failure is counted where the walk expected a record: at the start,
 * after a record or padding, or where a failed record's length points;
 * candidates met while searching (chance 0x55 bytes in damaged data) are
 * not.  The search is bounded (SCAN_BUDGET): hostile input costs linear
 * time.
 *
 * Decoded types (payload offsets below; the rest are counted as unknown):
 *   GPS   V3 2096, 2097, 2098 (receivers 0-2; DatCon Created4V3, DROP),
 *         V1 5 (DatCon Created4V1, o-gs 0x0005 "Gps Glns"), V3 5 (DROP)
 *   OSD   12 (DatCon GoTxt50_12, o-gs 0x000c, DROP osd_general_data_12)
 *   home  13 (DatCon HomePoint, o-gs 0x000d, DROP osd_home_13)
 * The track is the GPS records of the best receiver present; only a log
 * without a single GPS fix falls back to the OSD records.
 *
 * Time.  Ticks are unwrapped (the counter is 32 bits: 954 s at 4.5 MHz)
 * by taking each record's tick as the previous one plus their signed
 * 32-bit difference.  The tick rate comes from the product code (V1:
 * 600/s); where the sources give two (ALEAPP's newer table against
 * DatCon's 4.5 MHz default), both are tried.  A rate is accepted when one
 * clock offset puts every GPS fix within CLOCK_TOL of the UTC second its
 * own record states; each point is then that offset plus its ticks.
 * When no rate fits, each GPS point keeps its own whole second, and the
 * file says so.  Without GPS time, times count from the first record
 * (basis "boot").  See the man page, cardtrail-extract(1), for the rules
 * as an examiner reads them; tests/tools/djidat_ref.py implements them a
 * second time, in Python, from the same description.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>	/* M_PI, INFINITY: no libm call */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cardtrail/flight.h"
#include "parsers.h"

#define HEAD_LEN	256
#define BUILD_AT	16
#define V3_AT		242
#define V1_RECORDS_AT	128
#define V3_RECORDS_AT	256
#define REC_MAGIC	0x55
#define REC_HDR		10
#define REC_CRC		2
#define REC_MIN		(REC_HDR + REC_CRC)
#define REC_MAX		1023
#define CRC16_SEED	0x3692
#define WINDOW		(256u << 10)
#define CLOCK_TOL	0.2	/* seconds a fix may lie outside its own GPS second */
#define MAX_CANDS	CT_RANKED_MAX
#define MAX_DETAIL_WARN	20	/* warnings per kind of damage; then a count */

/* CRC work spent on candidates that fail, per byte of records area. */
#define SCAN_BUDGET(n)	(4 * (uint64_t)(n) + (1u << 20))

enum dat_kind { DAT_NONE, DAT_V1, DAT_V3, DAT_LOGH };

/* ---- on-disk layouts (after the XOR) ---- */

struct dat_rec_hdr {
/* 0*/	uint8_t magic;		/* 0x55 */
/* 1*/	uint8_t len_ver[2];	/* le16: length (low 10 bits), version (high 6) */
/* 3*/	uint8_t hdr_crc8;	/* not checked */
/* 4*/	uint8_t type[2];
/* 6*/	uint8_t tick[4];
} __attribute__((packed));	/* the payload follows, then the le16 CRC-16 */

struct dat_gps {
/* 0*/	uint8_t date[4];	/* u32 yyyymmdd */
/* 4*/	uint8_t time[4];	/* u32 hhmmss, UTC */
/* 8*/	uint8_t lon[4];		/* i32, 1e-7 degrees */
/*12*/	uint8_t lat[4];
/*16*/	uint8_t hmsl[4];	/* i32, mm above mean sea level */
/*20*/	uint8_t vel_ned[12];	/* 3 x f32 */
/*32*/	uint8_t dop[8];		/* f32 hdop, pdop */
/*40*/	uint8_t acc[16];	/* DatCon: hacc, sacc; o-gs: fix, gnss flag, hacc, sacc */
/*56*/	uint8_t num_gps[4];	/* u32 */
/*60*/	uint8_t num_gln[4];	/* u32 */
/*64*/	uint8_t num_sv[2];	/* u16 satellites used: 0 is no fix */
} __attribute__((packed));	/* 66 (V3 also 68, 72; V1 68) */

struct dat_osd {
/* 0*/	uint8_t lon[8];		/* f64 radians */
/* 8*/	uint8_t lat[8];
/*16*/	uint8_t height[2];	/* i16, 0.1 m above the take-off point */
/*18*/	uint8_t state[18];	/* speeds, attitude, flight-controller state */
/*36*/	uint8_t gps_nums;	/* satellites (o-gs, DROP): 0 is no fix */
} __attribute__((packed));	/* 37 read (P3: 50, later 55) */

struct dat_home {
/* 0*/	uint8_t lon[8];		/* f64 radians */
/* 8*/	uint8_t lat[8];
/*16*/	uint8_t alt[4];		/* f32: DatCon metres, o-gs "0.1m": not used */
} __attribute__((packed));

/* ---- record types ---- */

enum rec_kind { R_GPS, R_OSD, R_HOME };

#define V1 (1u << DAT_V1)
#define V3 (1u << DAT_V3)
#define RANK_OSD 4
#define NRANKS 5

static const struct dat_type {
	unsigned type;
	unsigned versions;
	enum rec_kind kind;
	int rank;		/* track source: lower is better */
	size_t min_len;
	const char *name;
} dat_types[] = {
	{ 2096, V3, R_GPS, 0, sizeof(struct dat_gps), "GPS (type 2096)" },
	{ 2097, V3, R_GPS, 1, sizeof(struct dat_gps), "GPS (type 2097)" },
	{ 2098, V3, R_GPS, 2, sizeof(struct dat_gps), "GPS (type 2098)" },
	{ 5, V1, R_GPS, 0, sizeof(struct dat_gps), "GPS (type 5)" },
	{ 5, V3, R_GPS, 3, sizeof(struct dat_gps), "GPS (type 5)" },
	{ 12, V1 | V3, R_OSD, RANK_OSD, sizeof(struct dat_osd), "OSD (type 12)" },
	{ 13, V1 | V3, R_HOME, -1, offsetof(struct dat_home, alt), "home (type 13)" },
};

/*
 * Products by header byte 0, with their tick rates (ticks per second).
 * DatCon: 4.5 MHz unless said otherwise, 85 MHz for the M100; ALEAPP
 * (newer) gives its own for later aircraft.  Where the two differ, both
 * are listed, the product's own first; the GPS decides (see above).
 */
static const struct dat_product {
	unsigned code;
	const char *name;
	double rate[2];
} dat_products[] = {
	{ 5, "Matrice 100", { 85e6 } },
	{ 6, "Phantom 3 / Inspire 1", { 600, 4.5e6 } },	/* V3: DatCon 4.5 MHz, NGAFID port 600 */
	{ 9, "Phantom 4", { 4.5e6 } },		/* ALEAPP */
	{ 11, "Phantom 4", { 4.5e6 } },		/* DatCon */
	{ 14, "Matrice 600", { 4.5e6 } },
	{ 16, "Mavic Pro", { 4.5e6 } },
	{ 17, "Inspire 2", { 4.5e6 } },
	{ 18, "Phantom 4 Pro", { 4.5e6 } },
	{ 20, "S900", { 4.5e6 } },
	{ 21, "Spark", { 4.5e6 } },
	{ 23, "Matrice 600 Pro", { 4.5e6 } },
	{ 24, "Mavic Air", { 3.85e6, 4.5e6 } },
	{ 25, "Matrice 200", { 4.5e6 } },
	{ 27, "Phantom 4 Advanced", { 4.5e6 } },
	{ 28, "Matrice", { 4.5e6 } },
	{ 36, "Phantom 4 Pro V2", { 4.5e6 } },
	{ 39, "Tello", { 4.5e6 } },
	{ 40, "Phantom 4 RTK", { 4.5e6 } },
	{ 41, "Mavic 2", { 3847700, 4.5e6 } },
	{ 51, "Mavic 2 Enterprise", { 3847700, 4.5e6 } },
	{ 53, "Mavic Mini", { 8014713.88506, 4.5e6 } },
	{ 58, "Mavic Air 2", { 3.83e6, 4.5e6 } },
	{ 63, "Mini 2", { 8014713.88506, 4.5e6 } },
	{ 85, "Mavic Air 2", { 3.83e6, 4.5e6 } },
};
static const double v1_rates[2] = { 600 };
static const double default_rates[2] = { 4.5e6 };

/* ---- state ---- */

struct cand {
	int64_t tick;		/* unwrapped */
	int64_t utc;		/* seconds since 1970 of the GPS record, or NO_UTC */
	double lat, lon, alt;
	uint64_t off;
	uint32_t reclen;
};
#define NO_UTC INT64_MIN

struct dat {
	const struct ct_input *in;
	struct ct_flight *f;
	int structure_only;	/* only find where the records end */
	enum dat_kind kind;
	unsigned product;
	uint16_t crc_tab[256];
	struct ct_window w;
	uint64_t start, end;	/* records area */
	uint64_t last_end;	/* end of the last valid record */
	uint64_t crc_work, budget;

	/* counts */
	uint64_t records, crc_failures, resyncs, skipped, padding;
	uint64_t unknown_records, short_records;
	size_t unknown_types;
	uint8_t type_seen[65536 / 8];
	unsigned crc_warned, skip_warned, short_warned;
	struct ct_drops nofix[NRANKS];	/* records without a fix, per source */

	/* ticks */
	int have_tick;
	uint32_t raw_prev;
	int64_t tick_prev, tick_first;
	uint64_t tick_back, tick_back_at;	/* a tick below the one before */

	/* the track: candidates of the best source seen so far */
	struct cand *c;
	size_t nc, capc;
	int best;		/* rank of c[], or -1 */
	int cand_full;

	/* home: the first valid one */
	int have_home;
	struct cand home;
};

/* ---- checksums ---- */

static void
crc16_table(uint16_t tab[256])
{
	unsigned i, k, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x8408 : c >> 1;
		tab[i] = (uint16_t)c;
	}
}

static uint16_t
crc16(const uint16_t tab[256], uint16_t crc, const unsigned char *p, size_t n)
{
	while (n-- > 0)
		crc = (uint16_t)((crc >> 8) ^ tab[(crc ^ *p++) & 0xff]);
	return crc;
}

uint16_t
ct_djidat_crc16(uint16_t seed, const void *p, size_t n)
{
	uint16_t tab[256];

	crc16_table(tab);
	return crc16(tab, seed, p, n);
}

/* ---- header ---- */

static enum dat_kind
dat_kind(const unsigned char *h, size_t n)
{
	/*
	 * The plain header's marks first: four bytes of "LOGH" written over a
	 * plain log must not hide its records behind the word "encrypted".
	 */
	if (n >= V3_AT + 10 && memcmp(h + V3_AT, "DJI_LOG_V3", 10) == 0)
		return DAT_V3;
	if (n >= BUILD_AT + 5 && memcmp(h + BUILD_AT, "BUILD", 5) == 0)
		return DAT_V1;
	if (n >= 4 && memcmp(h, "LOGH", 4) == 0)
		return DAT_LOGH;
	return DAT_NONE;
}

static int
has_build(const unsigned char *h, size_t n)
{
	return n >= BUILD_AT + 5 && memcmp(h + BUILD_AT, "BUILD", 5) == 0;
}

static const struct dat_product *
product_find(unsigned code)
{
	size_t i;

	for (i = 0; i < sizeof(dat_products) / sizeof(dat_products[0]); i++)
		if (dat_products[i].code == code)
			return &dat_products[i];
	return NULL;
}

static const double *
product_rates(enum dat_kind k, unsigned code)
{
	const struct dat_product *p = product_find(code);

	if (k == DAT_V1)
		return v1_rates;
	return p ? p->rate : default_rates;
}

static int
dat_name(const char *path)
{
	const char *b;
	size_t n;

	if (path == NULL)
		return 0;
	b = strrchr(path, '/');
	b = b ? b + 1 : path;
	n = strlen(b);
	if (n < 4 || strcasecmp(b + n - 4, ".dat") != 0)
		return 0;
	return strncasecmp(b, "FLY", 3) == 0 ? 2 : 1;
}

int
ct_djidat_probe(const char *path, const unsigned char *head, size_t headlen)
{
	int name = dat_name(path);

	if (dat_kind(head, headlen) != DAT_NONE)
		return name == 2 ? 95 : name == 1 ? 85 : 70;
	/* A FLY###.DAT whose header is damaged: still ours, weakly. */
	return name == 2 ? 15 : 0;
}

/* Facts of the header: kind, build string, product. */
static int
header_facts(struct dat *d, const unsigned char *h, size_t got)
{
	static const char *const names[] = {
		[DAT_NONE] = "unknown", [DAT_V1] = "V1", [DAT_V3] = "V3",
		[DAT_LOGH] = "encrypted (LOGH)",
	};
	const struct dat_product *p;
	char build[65], buf[32];
	size_t i;
	int ret;

	if ((ret = ct_flight_fact(d->f, "log_version", names[d->kind])) < 0)
		return ret;
	if (has_build(h, got)) {
		/* The printable text after the magic, e.g. "BUILD 2016.01.14 15:54:53". */
		for (i = 0; i < sizeof(build) - 1 && BUILD_AT + i < got; i++) {
			unsigned char c = h[BUILD_AT + i];

			if (c < 0x20 || c > 0x7e)
				break;
			build[i] = (char)c;
		}
		build[i] = '\0';
		if ((ret = ct_flight_fact(d->f, "build", build)) < 0)
			return ret;
		/* what DatCon calls the firmware date: the build's date and time */
		for (i = 5; build[i] == ' '; i++)
			;
		if (build[i] && snprintf(buf, sizeof(buf), "built %.24s", build + i) > 0 &&
		    (ret = ct_flight_fact(d->f, "firmware", buf)) < 0)
			return ret;
	}
	if (d->kind == DAT_LOGH || got == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%u", d->product);
	if ((ret = ct_flight_fact(d->f, "product_code", buf)) < 0)
		return ret;
	p = product_find(d->product);
	if (p && (ret = ct_flight_fact(d->f, "model", p->name)) < 0)
		return ret;
	return 0;
}

/* ---- records ---- */

enum rec_status { REC_OK, REC_PAD, REC_NONE, REC_TRUNC, REC_BADCRC };

/*
 * What starts at pos: a valid record (*rec, *len), padding, no record, a
 * plausible record that runs past the end, or one whose CRC fails (*len
 * its claimed length).  -errno on a read error.
 */
static int
rec_at(struct dat *d, uint64_t pos, const unsigned char **rec, size_t *len)
{
	const unsigned char *p;
	size_t avail, n;
	unsigned lv;
	int ret;

	if ((ret = ct_window_get(&d->w, pos, 3, &p, &avail)) < 0)
		return ret;
	if (avail == 0)
		return REC_NONE;
	if (p[0] == 0)
		return REC_PAD;
	if (p[0] != REC_MAGIC || avail < 3)
		return avail < 3 && p[0] == REC_MAGIC ? REC_TRUNC : REC_NONE;
	lv = ct_le16(p + 1);
	n = lv & 0x3ff;
	if ((lv >> 10) != 0 || n < REC_MIN)
		return REC_NONE;
	*len = n;
	if (pos + n > d->end)
		return REC_TRUNC;
	if ((ret = ct_window_get(&d->w, pos, n, &p, NULL)) != 0)
		return ret < 0 ? ret : REC_TRUNC;
	if (crc16(d->crc_tab, CRC16_SEED, p, n - REC_CRC) != ct_le16(p + n - REC_CRC)) {
		d->crc_work += n;
		return REC_BADCRC;
	}
	*rec = p;
	return REC_OK;
}

/* Unwrap a record's 32-bit tick. */
static int64_t
tick_unwrap(struct dat *d, uint32_t raw, uint64_t pos)
{
	if (!d->have_tick) {
		d->have_tick = 1;
		d->tick_first = d->tick_prev = raw;
	} else {
		if ((int32_t)(raw - d->raw_prev) < 0 && d->tick_back++ == 0)
			d->tick_back_at = pos;
		d->tick_prev += (int32_t)(raw - d->raw_prev);
	}
	d->raw_prev = raw;
	return d->tick_prev;
}

/* yyyymmdd, hhmmss as UTC seconds since 1970, or NO_UTC. */
static int64_t
gps_utc(uint32_t date, uint32_t time)
{
	static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y = date / 10000, mo = date / 100 % 100, dd = date % 100;
	unsigned h = time / 10000, mi = time / 100 % 100, s = time % 100;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1980 || y > 2099 || mo < 1 || mo > 12 || dd < 1 || dd > mdays[mo - 1] ||
	    (mo == 2 && dd == 29 && !leap) || time > 235959 || mi > 59 || s > 59)
		return NO_UTC;
	return ct_days_from_civil(y, mo, dd) * 86400 + h * 3600 + mi * 60 + s;
}

/* Keep a track candidate of a source rank (only the best rank is kept). */
static int
cand_add(struct dat *d, int rank, const struct cand *c)
{
	if (d->best >= 0 && rank > d->best)
		return 0;
	if (rank < d->best || d->best < 0) {
		d->best = rank;
		d->nc = 0;
		d->cand_full = 0;
	}
	if (d->nc >= MAX_CANDS) {
		if (!d->cand_full)
			ct_flight_warn(d->f, c->off, "more than %u track points: the rest are not "
				       "kept", (unsigned)MAX_CANDS);
		d->cand_full = 1;
		return 0;
	}
	if (d->nc == d->capc) {
		size_t cap = d->capc ? d->capc * 2 : 1024;
		struct cand *n = realloc(d->c, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		d->c = n;
		d->capc = cap;
	}
	d->c[d->nc++] = *c;
	return 0;
}

/* A record of a source without a fix: counted, not a position. */
static void
no_fix(struct dat *d, int rank, uint64_t off)
{
	if (d->nofix[rank].n++ == 0)
		d->nofix[rank].first = off;
}

/* Both coordinates within CT_NOFIX_DEG of 0: the no-fix position. */
static int
near_zero(double lat, double lon)
{
	return lat > -CT_NOFIX_DEG && lat < CT_NOFIX_DEG && lon > -CT_NOFIX_DEG &&
	       lon < CT_NOFIX_DEG;
}

static int
on_gps(struct dat *d, const struct dat_type *t, const unsigned char *pl, struct cand *c)
{
	c->lat = (int32_t)ct_le32(pl + offsetof(struct dat_gps, lat)) / 1e7;
	c->lon = (int32_t)ct_le32(pl + offsetof(struct dat_gps, lon)) / 1e7;
	if (ct_le16(pl + offsetof(struct dat_gps, num_sv)) == 0 || near_zero(c->lat, c->lon)) {
		no_fix(d, t->rank, c->off);
		return 0;
	}
	c->alt = (int32_t)ct_le32(pl + offsetof(struct dat_gps, hmsl)) / 1000.0;
	c->utc = gps_utc(ct_le32(pl + offsetof(struct dat_gps, date)),
			 ct_le32(pl + offsetof(struct dat_gps, time)));
	return cand_add(d, t->rank, c);
}

static int
on_osd(struct dat *d, const struct dat_type *t, const unsigned char *pl, struct cand *c)
{
	c->lon = ct_ledouble(pl + offsetof(struct dat_osd, lon)) * (180.0 / M_PI);
	c->lat = ct_ledouble(pl + offsetof(struct dat_osd, lat)) * (180.0 / M_PI);
	if (pl[offsetof(struct dat_osd, gps_nums)] == 0 || near_zero(c->lat, c->lon)) {
		no_fix(d, t->rank, c->off);
		return 0;
	}
	c->alt = (int16_t)ct_le16(pl + offsetof(struct dat_osd, height)) / 10.0;
	return cand_add(d, t->rank, c);
}

static int
on_home(struct dat *d, const struct dat_type *t, const unsigned char *pl, struct cand *c)
{
	double lat = ct_ledouble(pl + offsetof(struct dat_home, lat)) * (180.0 / M_PI);
	double lon = ct_ledouble(pl + offsetof(struct dat_home, lon)) * (180.0 / M_PI);

	if (d->have_home || !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) ||
	    (lat == 0 && lon == 0))
		return 0;
	c->lat = lat;
	c->lon = lon;
	d->home = *c;
	d->have_home = 1;
	return 0;
}

static const struct dat_type *
type_find(enum dat_kind k, unsigned type)
{
	size_t i;

	for (i = 0; i < sizeof(dat_types) / sizeof(dat_types[0]); i++)
		if (dat_types[i].type == type && (dat_types[i].versions & (1u << k)))
			return &dat_types[i];
	return NULL;
}

/* A valid record at pos: count it, unwrap its tick, decode what we know. */
static int
on_record(struct dat *d, uint64_t pos, const unsigned char *rec, size_t len)
{
	static int (*const handlers[])(struct dat *, const struct dat_type *,
				       const unsigned char *, struct cand *) = {
		[R_GPS] = on_gps, [R_OSD] = on_osd, [R_HOME] = on_home,
	};
	unsigned type = ct_le16(rec + offsetof(struct dat_rec_hdr, type));
	uint32_t raw = ct_le32(rec + offsetof(struct dat_rec_hdr, tick));
	const struct dat_type *t;
	unsigned char pl[REC_MAX];
	struct cand c;
	size_t n = len - REC_MIN, i;

	d->records++;
	d->last_end = pos + len;
	memset(&c, 0, sizeof(c));
	c.tick = tick_unwrap(d, raw, pos);
	c.off = pos;
	c.reclen = (uint32_t)len;
	c.utc = NO_UTC;
	if (d->structure_only)
		return 0;
	if ((t = type_find(d->kind, type)) == NULL) {
		d->unknown_records++;
		if (!(d->type_seen[type / 8] & (1u << (type % 8)))) {
			d->type_seen[type / 8] |= (uint8_t)(1u << (type % 8));
			d->unknown_types++;
		}
		return 0;
	}
	if (n < t->min_len) {
		d->short_records++;
		if (d->short_warned++ < MAX_DETAIL_WARN)
			ct_flight_warn(d->f, pos, "%s record of %zu payload bytes, %zu needed: not "
				       "decoded", t->name, n, t->min_len);
		return 0;
	}
	for (i = 0; i < n; i++)
		pl[i] = rec[REC_HDR + i] ^ (unsigned char)(raw & 0xff);
	return handlers[t->kind](d, t, pl, &c);
}

/* After damage at pos: the next valid record at or after from (or the end). */
static int
resync(struct dat *d, uint64_t damaged, uint64_t from, uint64_t *next)
{
	const unsigned char *rec, *p, *m;
	uint64_t q = from;
	size_t len, avail;
	int r;

	while (q < d->end) {
		if (d->crc_work > d->budget) {
			ct_flight_warn(d->f, q, "too many damaged records to search for the next "
				       "valid one; the rest of the file (%" PRIu64 " bytes) was not "
				       "read", d->end - q);
			q = d->end;
			break;
		}
		/* only a 0x55 can start a record */
		if ((r = ct_window_get(&d->w, q, 1, &p, &avail)) < 0)
			return r;
		if (avail == 0 || (m = memchr(p, REC_MAGIC, avail)) == NULL) {
			q += avail ? avail : d->end - q;
			continue;
		}
		q += (uint64_t)(m - p);
		if ((r = rec_at(d, q, &rec, &len)) < 0)
			return r;
		if (r == REC_OK)
			break;
		q++;
	}
	if (q > d->end)
		q = d->end;
	d->skipped += q - damaged;
	if (d->skip_warned++ < MAX_DETAIL_WARN)
		ct_flight_warn(d->f, damaged, "%" PRIu64 " bytes without a valid record skipped%s",
			       q - damaged, q < d->end ? "" : " (to the end of the file)");
	*next = q;
	return 0;
}

/* Damage beyond the warnings listed one by one: a count. */
static void
warn_totals(struct dat *d)
{
	if (d->crc_warned > MAX_DETAIL_WARN)
		ct_flight_warn(d->f, d->start, "%" PRIu64 " records failed their CRC in all (the "
			       "first %d listed)", d->crc_failures, MAX_DETAIL_WARN);
	if (d->skip_warned > MAX_DETAIL_WARN)
		ct_flight_warn(d->f, d->start, "%u stretches without a valid record (%" PRIu64
			       " bytes) in all (the first %d listed)", d->skip_warned, d->skipped,
			       MAX_DETAIL_WARN);
	if (d->short_warned > MAX_DETAIL_WARN)
		ct_flight_warn(d->f, d->start, "%" PRIu64 " records too short to decode in all "
			       "(the first %d listed)", d->short_records, MAX_DETAIL_WARN);
}

/* Padding: past the run of zero bytes at *pos. */
static int
skip_zeros(struct dat *d, uint64_t *pos)
{
	const unsigned char *p;
	size_t avail, i;
	int r;

	while (*pos < d->end) {
		if ((r = ct_window_get(&d->w, *pos, 1, &p, &avail)) < 0)
			return r;
		for (i = 0; i < avail && p[i] == 0; i++)
			;
		d->padding += i;
		*pos += i;
		if (i < avail || avail == 0)
			break;
	}
	return 0;
}

/* Walk the records area. */
static int
walk(struct dat *d)
{
	const unsigned char *rec;
	uint64_t pos = d->start, next;
	size_t len = 0, l2;
	int r, r2 = 0;

	while (pos < d->end) {
		if ((r = rec_at(d, pos, &rec, &len)) < 0)
			return r;
		switch (r) {
		case REC_OK:
			if ((r = on_record(d, pos, rec, len)) < 0)
				return r;
			pos += len;
			break;
		case REC_PAD:
			if ((r = skip_zeros(d, &pos)) < 0)
				return r;
			break;
		case REC_TRUNC:
			ct_flight_warn(d->f, pos, "record truncated: the file ends %" PRIu64
				       " bytes after its start", d->end - pos);
			d->skipped += d->end - pos;
			pos = d->end;
			break;
		case REC_BADCRC:
			d->crc_failures++;
			if (d->crc_warned++ < MAX_DETAIL_WARN)
				ct_flight_warn(d->f, pos, "record of %zu bytes fails its CRC: skipped",
					       len);
			/* Its length is probably right: does a record (or padding)
			 * start where it says the next one does? */
			if (pos + len == d->end ||
			    ((r2 = rec_at(d, pos + len, &rec, &l2)) == REC_OK || r2 == REC_PAD ||
			     r2 == REC_BADCRC || r2 == REC_TRUNC)) {
				d->skipped += len;
				pos += len;
				break;
			}
			if (r2 < 0)
				return r2;
			if ((r = resync(d, pos, pos + 1, &next)) < 0)
				return r;
			pos = next;
			break;
		default:	/* REC_NONE */
			d->resyncs++;
			if ((r = resync(d, pos, pos + 1, &next)) < 0)
				return r;
			pos = next;
			break;
		}
	}
	return 0;
}

/* ---- the clock ---- */

struct clock {
	enum { CLK_TICKS, CLK_GPS, CLK_GPS_SECONDS } how;
	double rate;
	int64_t utc_ref;	/* CLK_GPS: seconds; times are utc_ref + a + ticks / rate */
	double a;
	size_t nfix;		/* GPS times used */
	double rejected;	/* a rate the GPS times refuted, or 0 */
	int unconfirmed;	/* CLK_GPS: a rate 10 % off fits the GPS times too */
	int64_t span;		/* CLK_GPS: seconds from the first GPS time to the last */
};

static double
tick_seconds(const struct dat *d, int64_t tick, double rate)
{
	return (double)(tick - d->tick_first) / rate;
}

/* Does one offset put every fix within CLOCK_TOL of its own GPS second? */
static int
clock_fits(const struct dat *d, double rate, struct clock *k)
{
	double lo = -INFINITY, hi = INFINITY, x, s;
	int64_t ref = NO_UTC;
	size_t i, n = 0;

	for (i = 0; i < d->nc; i++) {
		if (d->c[i].utc == NO_UTC)
			continue;
		if (ref == NO_UTC)
			ref = d->c[i].utc;
		x = tick_seconds(d, d->c[i].tick, rate);
		s = (double)(d->c[i].utc - ref);
		if (s - x > lo)
			lo = s - x;
		if (s + 1.0 - x < hi)
			hi = s + 1.0 - x;
		n++;
	}
	k->nfix = n;
	if (n == 0 || lo - hi > 2 * CLOCK_TOL)
		return 0;
	k->how = CLK_GPS;
	k->rate = rate;
	k->utc_ref = ref;
	k->a = (lo + hi) / 2;
	return 1;
}

/*
 * A fit proves the rate only when the GPS times could refute it: one fix,
 * or fixes a second apart, fit any rate.  The rate is confirmed when rates
 * 10 % off it (closer than any two rates of the product table) do not fit.
 */
static void
clock_confirm(const struct dat *d, struct clock *k)
{
	struct clock other;
	int64_t lo = NO_UTC, hi = NO_UTC;
	size_t i;

	for (i = 0; i < d->nc; i++) {
		if (d->c[i].utc == NO_UTC)
			continue;
		if (lo == NO_UTC || d->c[i].utc < lo)
			lo = d->c[i].utc;
		if (hi == NO_UTC || d->c[i].utc > hi)
			hi = d->c[i].utc;
	}
	k->span = lo == NO_UTC ? 0 : hi - lo;
	k->unconfirmed = clock_fits(d, k->rate * 1.1, &other) ||
			 clock_fits(d, k->rate / 1.1, &other);
}

static void
clock_choose(const struct dat *d, struct clock *k)
{
	const double *rates = product_rates(d->kind, d->product);
	int i;

	memset(k, 0, sizeof(*k));
	k->how = CLK_TICKS;
	k->rate = rates[0];
	if (d->best < 0 || d->best >= RANK_OSD)
		return;
	for (i = 0; i < 2 && rates[i] > 0; i++) {
		if (clock_fits(d, rates[i], k)) {
			clock_confirm(d, k);
			return;
		}
		if (k->nfix == 0)
			return;
		if (!k->rejected)
			k->rejected = rates[i];
	}
	k->how = CLK_GPS_SECONDS;
	k->rate = rates[0];
}

/*
 * Seconds as whole microseconds, rounded half up; 0 when out of range
 * (beyond about 285 years: only a hostile log gets there).
 */
static int
to_us(double sec, int64_t *us)
{
	double v = sec * 1e6 + 0.5;
	int64_t i;

	if (!(v > -9e15 && v < 9e15))
		return 0;
	i = (int64_t)v;
	*us = (double)i > v ? i - 1 : i;	/* floor */
	return 1;
}

/* The time of a record at tick (utc: its own GPS second or NO_UTC). */
static void
clock_time(const struct dat *d, const struct clock *k, int64_t tick, int64_t utc,
	   struct ct_point *p)
{
	double x = tick_seconds(d, tick, k->rate);
	int64_t us;

	p->basis = CT_TIME_NONE;
	p->t_us = 0;
	if (k->how == CLK_GPS) {
		if (to_us(k->a + x, &us)) {
			p->basis = CT_TIME_UTC;
			p->t_us = k->utc_ref * 1000000 + us;
		}
	} else if (k->how == CLK_GPS_SECONDS && utc != NO_UTC) {
		p->basis = CT_TIME_UTC;
		p->t_us = utc * 1000000;
	} else if (to_us(x, &us)) {
		p->basis = CT_TIME_BOOT;
		p->t_us = us;
	}
}

/* ---- results ---- */

static int
fact_u64(struct ct_flight *f, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return ct_flight_fact(f, key, buf);
}

static int
count_facts(struct dat *d)
{
	struct { const char *key; uint64_t v; } c[] = {
		{ "records", d->records }, { "crc_failures", d->crc_failures },
		{ "unknown_types", d->unknown_types },
		{ "unknown_type_records", d->unknown_records },
		{ "skipped_bytes", d->skipped }, { "padding_bytes", d->padding },
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if ((ret = fact_u64(d->f, c[i].key, c[i].v)) < 0)
			return ret;
	return 0;
}

static int
clock_facts(struct dat *d, const struct clock *k)
{
	char buf[160];
	int ret;

	snprintf(buf, sizeof(buf), "%.15g", k->rate);
	if ((ret = ct_flight_fact(d->f, "tick_rate", buf)) < 0)
		return ret;
	switch (k->how) {
	case CLK_GPS:
		if (k->unconfirmed)
			snprintf(buf, sizeof(buf), "GPS UTC and ticks at the rate assumed for the "
				 "product (%zu GPS times over %" PRId64 " s cannot confirm it)",
				 k->nfix, k->span);
		else
			snprintf(buf, sizeof(buf), "GPS UTC and ticks (the tick rate agrees with "
				 "%zu GPS times within %.1f s)", k->nfix, CLOCK_TOL);
		break;
	case CLK_GPS_SECONDS:
		snprintf(buf, sizeof(buf), "GPS UTC, whole seconds (no tick rate of product %u "
			 "agrees with the GPS times)", d->product);
		break;
	default:
		snprintf(buf, sizeof(buf), "ticks since the first record (no GPS time)");
	}
	if ((ret = ct_flight_fact(d->f, "time_source", buf)) < 0)
		return ret;
	if (k->how == CLK_GPS && k->unconfirmed)
		ct_flight_warn(d->f, 0, "the tick rate %.15g/s is assumed for product %u, not "
			       "confirmed: %zu GPS times over %" PRId64 " s fit a rate 10 %% off as "
			       "well, so a time away from a GPS fix is only as right as that rate",
			       k->rate, d->product, k->nfix, k->span);
	if (k->rejected && k->how == CLK_GPS)
		ct_flight_warn(d->f, 0, "a tick rate of %.15g/s for product %u disagrees with the "
			       "GPS times; %.15g/s agrees and was used", k->rejected, d->product,
			       k->rate);
	else if (k->how == CLK_GPS_SECONDS)
		ct_flight_warn(d->f, 0, "no tick rate known for product %u agrees with the GPS "
			       "times of this log: each point has its own record's whole GPS "
			       "second, and times between fixes are not interpolated", d->product);
	return 0;
}

static const char *
rank_name(int rank)
{
	return rank == RANK_OSD ? "OSD (type 12)" : rank == 0 ? "GPS (receiver 0)" :
	       rank == 1 ? "GPS (type 2097)" : rank == 2 ? "GPS (type 2098)" : "GPS (type 5)";
}

/*
 * The records without a fix of the track's source (or, when no source had
 * a fix, of the best one there is) join the flight's no-fix count, which
 * ct_flight_finish reports with the out-of-range positions.
 */
static void
no_fix_counted(struct dat *d)
{
	const struct ct_drops *nf = NULL;
	size_t i;
	int r;

	if (d->best >= 0)
		nf = &d->nofix[d->best];
	for (r = 0; r < NRANKS && nf == NULL; r++)
		if (d->nofix[r].n)
			nf = &d->nofix[r];
	for (i = 0; nf != NULL && i < nf->n; i++)
		ct_flight_nofix(d->f, nf->first);
}

static int
emit(struct dat *d)
{
	struct clock k;
	struct ct_point p;
	size_t i;
	int ret;

	clock_choose(d, &k);
	if ((ret = clock_facts(d, &k)) < 0)
		return ret;
	if (d->best >= 0) {
		if ((ret = ct_flight_fact(d->f, "track_source", rank_name(d->best))) < 0)
			return ret;
		if (d->best == RANK_OSD)
			ct_flight_warn(d->f, 0, "no GPS record with a fix: the track is the OSD "
				       "records' position, heights above the take-off point");
	}
	for (i = 0; i < d->nc; i++) {
		memset(&p, 0, sizeof(p));
		p.lat = d->c[i].lat;
		p.lon = d->c[i].lon;
		p.alt_m = d->c[i].alt;
		p.alt_ref = d->best == RANK_OSD ? CT_ALT_TAKEOFF : CT_ALT_MSL;
		p.offset = d->c[i].off;
		p.reclen = d->c[i].reclen;
		clock_time(d, &k, d->c[i].tick, d->c[i].utc, &p);
		if ((ret = ct_flight_point(d->f, &p)) < 0)
			return ret;
	}
	no_fix_counted(d);
	if (d->have_home) {
		memset(&d->f->home, 0, sizeof(d->f->home));
		d->f->home.lat = d->home.lat;
		d->f->home.lon = d->home.lon;
		d->f->home.alt_ref = CT_ALT_NONE;
		d->f->home.offset = d->home.off;
		clock_time(d, &k, d->home.tick, NO_UTC, &d->f->home);
		d->f->has_home = 1;
	}
	return 0;
}

/* ---- entry points ---- */

/* Read the header and set up the walk; 1 when there are no records to walk. */
static int
dat_open(struct dat *d, const struct ct_input *in, struct ct_flight *f,
	 unsigned char *h, size_t *got)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->in = in;
	d->f = f;
	d->best = -1;
	memset(h, 0, HEAD_LEN);
	if ((ret = ct_input_read_at(in, h, HEAD_LEN, 0, got)) < 0)
		return ret;
	d->kind = dat_kind(h, *got);
	d->product = h[0];
	if (d->kind == DAT_NONE || d->kind == DAT_LOGH)
		return 1;
	crc16_table(d->crc_tab);
	d->start = d->kind == DAT_V3 ? V3_RECORDS_AT : V1_RECORDS_AT;
	d->end = in->size;
	d->budget = SCAN_BUDGET(d->end > d->start ? d->end - d->start : 0);
	/* a window of the file at a time; a small file needs no more than itself */
	d->w.cap = in->size < WINDOW ? (size_t)in->size + 1 : WINDOW;
	if (d->w.cap < 2 * REC_MAX)
		d->w.cap = 2 * REC_MAX;
	if ((d->w.buf = malloc(d->w.cap)) == NULL)
		return -ENOMEM;
	d->w.in = in;
	return 0;
}

static void
dat_close(struct dat *d)
{
	free(d->w.buf);
	free(d->c);
}

int
ct_djidat_carve_end(const struct ct_input *in, uint64_t *end)
{
	struct ct_flight quiet;
	unsigned char h[HEAD_LEN];
	struct dat d;
	size_t got;
	int ret;

	ct_flight_init(&quiet, "dji-dat");
	if ((ret = dat_open(&d, in, &quiet, h, &got)) != 0)
		goto out;
	d.structure_only = 1;
	if ((ret = walk(&d)) < 0)
		goto out;
	ret = d.records > 0 ? 0 : 1;
	*end = d.last_end;
out:
	dat_close(&d);
	ct_flight_release(&quiet);
	return ret;
}

int
ct_djidat_parse(const struct ct_input *in, struct ct_flight *f)
{
	unsigned char h[HEAD_LEN];
	struct dat d;
	size_t got = 0;
	int ret;

	ret = dat_open(&d, in, f, h, &got);
	f->bytes_parsed = got;
	if (ret < 0)
		goto out;
	if (d.kind == DAT_NONE) {
		ct_flight_warn(f, 0, "no DJI .DAT magic (BUILD at 16, DJI_LOG_V3 at 242, LOGH "
			       "at 0) in the first %zu bytes", got);
		ret = 1;
		goto out;
	}
	if ((ret = header_facts(&d, h, got)) < 0)
		goto out;
	if (d.kind == DAT_LOGH) {
		ct_flight_warn(f, 0, "DJI .DAT (LOGH): the mark of the logs DJI encrypts (with "
			       "keys DJI holds) and no plain header; file identified, hashed and "
			       "bundled, not decoded");
		ret = 1;
		goto out;
	}
	if (got >= 4 && memcmp(h, "LOGH", 4) == 0)
		ct_flight_warn(f, 0, "begins with LOGH, the mark of the logs DJI encrypts, yet "
			       "has the plain header (%s): read as plain records, whose CRCs say "
			       "whether it is one", d.kind == DAT_V3 ? "DJI_LOG_V3 at 242" :
			       "BUILD at 16");
	if (d.kind == DAT_V3 && !has_build(h, got))
		ct_flight_warn(f, BUILD_AT, "DJI_LOG_V3 at 242 but no BUILD at 16: a damaged "
			       "header, read as V3");
	if (d.start >= in->size) {
		ct_flight_warn(f, got, "the file ends at %" PRIu64 " bytes, before its records "
			       "(from %" PRIu64 ")", in->size, d.start);
		ret = 1;
		goto out;
	}
	if ((ret = walk(&d)) < 0)
		goto out;
	warn_totals(&d);
	if (d.tick_back)
		ct_flight_warn(f, d.tick_back_at, "the tick counter goes back %" PRIu64 " time%s "
			       "(the first here): the clock restarted or records are out of order, "
			       "so times from ticks after it are not a duration since the first "
			       "record", d.tick_back, d.tick_back == 1 ? "" : "s");
	f->bytes_parsed = d.end;
	if ((ret = count_facts(&d)) < 0)
		goto out;
	if (d.records == 0 || d.crc_failures > d.records) {
		ct_flight_warn(f, d.start, "%" PRIu64 " records hold their CRC, %" PRIu64 " fail "
			       "it: not a DAT file this parser understands; no points",
			       d.records, d.crc_failures);
		ret = 1;
		goto out;
	}
	ret = emit(&d);
out:
	dat_close(&d);
	return ret;
}
