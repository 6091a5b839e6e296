/*
 * gen-djidat — write a seeded DJI aircraft log (FLY###.DAT, V1 or V3) and
 * the points a decoder must return from it, for the dji-dat tests.
 *
 * usage: gen-djidat v1|v3|logh [-s seed] [-n seconds] [-p product] [-r rate]
 *                   [-T tick0] [-c corruptions] [-k kinds] [-g gps|nogps|nofix]
 *                   [-t] [-R] -o out.DAT [-e expect.txt]
 *
 * Written from the format description (header, 0x55 records with a
 * length, CRC-8, type, tick, payload XOR tick & 0xff, CRC-16 seed 0x3692;
 * GPS, OSD and home payloads), not from the decoder.  The flight:
 *   every 0.1 s  an OSD record (type 12; V1 50 bytes, V3 55)
 *   every 0.2 s  a GPS record (V1 type 5, 68 bytes; V3 2096, 66 bytes, and
 *                2097 every other time: a second receiver); the first
 *                second has no fix; at 5 s a record with satellites but a
 *                position within 1e-6 degrees of 0, 0 (no fix either), at
 *                10 s one with a position but no satellites; the OSD record
 *                at 0.5 s has satellites and the no-fix noise around 0, 0
 *   every 0.5 s  records of other types (text 0x8000, IMU 2048 or 1,
 *                controller 1000, a 300-byte 0xfffd text: length > 255)
 *   home points  at 1.2 s and 10 s (type 13; a decoder keeps the first)
 *   padding      zero runs after some records
 * Ticks start at tick0 (default: 8 s before the 32-bit counter wraps) and
 * run at the true rate (default 600/s for V1, 4.5 MHz for V3).  GPS UTC
 * starts at 2017-07-14T02:40:00.37Z plus seed-dependent hundredths; each
 * GPS record carries the whole UTC second at its tick.
 *
 * Corruptions (-c N, spread over the file, cycling through -k, default
 * 12345): 1 a payload bit, 2 a CRC bit, 3 a length bit (shorter), all
 * three failing the CRC-16; 4 junk bytes between two records; 5 a record
 * header with a non-zero version.  Kinds 3-5 lose the framing, so a
 * decoder searches for the next valid record and does not count what it
 * passes: they must be isolated (at most every other record).  -t cuts
 * the last record in half.  -g nogps writes no GPS records, -g nofix GPS
 * records that never have a fix (the track is then the OSD records').
 * -R restarts the tick counter halfway: the second half's ticks begin
 * again at the first record's (the expect file's times do not hold then).
 *
 * The expect file: "key value" lines (kind, product, rate, records,
 * crc_failures, unknown_types, unknown_type_records, nofix, source,
 * padding (absent when a shortened record makes it uncertain), home)
 * and one line per point the decoder must return, in file order:
 *   point OFFSET UTC_SECOND|- TRUE_US LAT LON ALT
 * TRUE_US is the true UTC time (GPS points) or the time since the first
 * record (OSD points) in microseconds; LAT LON ALT as the decoder computes
 * them from the stored values (%.17g).
 */
#include <math.h>	/* M_PI only: no libm */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAYLOAD	1011
#define MAX_RECS	200000
#define U0_SECONDS	1500000000LL	/* 2017-07-14T02:40:00Z */

struct rec {
	unsigned type;
	uint64_t tick64;		/* the true tick; the file has its low 32 bits */
	unsigned char pl[MAX_PAYLOAD];	/* plain */
	size_t plen;
	int corrupt;			/* 0 none, 1..5 the kind, 6 cut */
	/* expectations */
	int point;			/* a track point, if its source is the track */
	int64_t utc;			/* its own GPS second, or INT64_MIN */
	int64_t true_us;		/* GPS: true UTC time */
	double lat, lon, alt;
	uint64_t off;
};

static struct rec *recs;
static size_t nrecs;
static uint64_t padding;	/* zero bytes written between records */
static uint64_t rng_s;


/* floor and round-half-up without libm (the tools link nothing else) */
static int64_t
ifloor(double v)
{
	int64_t i = (int64_t)v;

	return (double)i > v ? i - 1 : i;
}

static int64_t
iround(double v)
{
	return ifloor(v + 0.5);
}

static uint32_t
rng(void)
{
	rng_s = rng_s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_s >> 33);
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void
putd(unsigned char *p, double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	put64(p, v);
}

/* CRC-8, reflected polynomial 0x8c (Dallas/Maxim), bit by bit. */
static unsigned
crc8(unsigned c, const unsigned char *p, size_t n)
{
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x8c : c >> 1;
	}
	return c & 0xff;
}

/* CRC-16, reflected polynomial 0x8408, bit by bit. */
static unsigned
crc16(unsigned c, const unsigned char *p, size_t n)
{
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x8408 : c >> 1;
	}
	return c & 0xffff;
}

static struct rec *
add(unsigned type, uint64_t tick64, size_t plen)
{
	struct rec *r;

	if (nrecs == MAX_RECS || plen > MAX_PAYLOAD) {
		fprintf(stderr, "gen-djidat: too many records\n");
		exit(1);
	}
	r = &recs[nrecs++];
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->tick64 = tick64;
	r->plen = plen;
	r->utc = INT64_MIN;
	for (size_t i = 0; i < plen; i++)
		r->pl[i] = (unsigned char)rng();
	return r;
}

/* Degrees as the file stores them (f64 radians) and as a decoder reads them back. */
static double
rad(int32_t e7)
{
	return (e7 / 1e7) * (M_PI / 180.0);
}

static double
deg(double r)
{
	return r * (180.0 / M_PI);
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen-djidat v1|v3|logh [-s seed] [-n seconds] [-p product] "
		"[-r rate] [-T tick0] [-c corruptions] [-g gps|nogps|nofix] [-t] [-R] -o out.DAT "
		"[-e expect.txt]\n");
	exit(2);
}

struct opts {
	int v3, logh, cut, no_gps, nofix_gps, osd_track, restart;
	unsigned seed, product, seconds, ncorrupt;
	const char *kinds;
	double rate, u0;
	uint64_t tick0;
	const char *out, *expect;
};

/* The flight, record by record, plain. */
static void
fly(const struct opts *o)
{
	int32_t lat = 515000000, lon = -1200000, hmsl = 123456;
	int h_dm = 0, step, home = 0;

	for (step = 0; step < (int)o->seconds * 10; step++) {
		uint64_t base = o->tick0 + (uint64_t)iround(step / 10.0 * o->rate);
		unsigned sub = 0;
		struct rec *r;

		lat += (int32_t)(rng() % 50);
		lon -= (int32_t)(rng() % 30);
		hmsl += (int32_t)(rng() % 200) - 60;
		h_dm += (int)(rng() % 7) - 2;

		/* OSD, 0.1 s */
		r = add(12, base + sub++, o->v3 ? 55 : 50);
		putd(r->pl + 0, rad(lon));
		putd(r->pl + 8, rad(lat));
		put16(r->pl + 16, (unsigned)(uint16_t)(int16_t)h_dm);
		r->pl[36] = (unsigned char)(step < 5 ? 0 : 6 + rng() % 8);	/* satellites */
		if (step == 5) {
			/* satellites, but the no-fix position: noise around 0, 0 */
			putd(r->pl + 0, 3e-12);
			putd(r->pl + 8, -2e-12);
		}
		if (o->osd_track && step >= 6) {
			r->point = 1;
			r->lat = deg(rad(lat));
			r->lon = deg(rad(lon));
			r->alt = (int16_t)h_dm / 10.0;
		}

		/* GPS, 0.2 s: no fix in the first second, none at step 100 either
		 * (no satellites, but coordinates) */
		if (!o->no_gps && step % 2 == 0) {
			uint64_t tk = base + sub++;
			double u = o->u0 + (double)(tk - o->tick0) / o->rate;
			int64_t sec = ifloor(u);
			time_t tt = (time_t)sec;
			int fix = !o->nofix_gps && step >= 10 && step != 50 && step != 100;
			int coords = fix || step == 100;
			struct tm tm;

			gmtime_r(&tt, &tm);
			r = add(o->v3 ? 2096 : 5, tk, o->v3 ? 66 : 68);
			put32(r->pl + 0, (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
						    tm.tm_mday));
			put32(r->pl + 4, (uint32_t)(tm.tm_hour * 10000 + tm.tm_min * 100 + tm.tm_sec));
			put32(r->pl + 8, (uint32_t)(coords ? lon : 0));
			put32(r->pl + 12, (uint32_t)(coords ? lat : 0));
			put32(r->pl + 16, (uint32_t)hmsl);
			put16(r->pl + 64, fix || step == 50 ? 7 + rng() % 9 : 0);
			if (step == 50) {
				/* satellites, but the position 0.0000003, -0.0000002 */
				put32(r->pl + 8, (uint32_t)-2);
				put32(r->pl + 12, 3);
			}
			if (fix) {
				r->point = 1;
				r->utc = sec;
				r->true_us = (int64_t)iround(u * 1e6);
				r->lat = lat / 1e7;
				r->lon = lon / 1e7;
				r->alt = hmsl / 1000.0;
			}
			if (o->v3 && step % 4 == 0) {
				/* a second receiver: a known type, never the track */
				struct rec *r2 = add(2097, base + sub++, 66);

				memcpy(r2->pl, r->pl, 66);
				put32(r2->pl + 8, (uint32_t)(lon + 1000));
			}
		}

		/* home points */
		if ((step == 12 || step == 100) && !o->no_gps) {
			r = add(13, base + sub++, o->v3 ? 69 : 34);
			putd(r->pl + 0, rad(lon + 7 * home));
			putd(r->pl + 8, rad(lat - 5 * home));
			home++;
		}

		/* other types, 0.5 s; one in four is a 300-byte text (length > 255) */
		if (step % 5 == 3) {
			static const unsigned v3types[] = { 0x8000, 2048, 1000, 0xfffd };
			static const unsigned v1types[] = { 0x8000, 1, 0, 0xfffd };
			static const char text[] = "[L-FMU/MOTOR]Start. gen-djidat ";
			unsigned ty = (o->v3 ? v3types : v1types)[(step / 5) % 4];
			size_t n = ty == 0xfffd ? 300 : ty == 0x8000 ? 40 + rng() % 60 :
				   ty == 1 ? 120 : 20 + rng() % 100, k;

			r = add(ty, base + sub++, n);
			if (ty == 0x8000 || ty == 0xfffd)
				for (k = 0; k < n; k++)
					r->pl[k] = (unsigned char)text[k % (sizeof(text) - 1)];
		}
	}
}

/* The bytes of record r at p (L = its length); its corruption applied. */
static size_t
record_bytes(struct rec *r, unsigned char *p)
{
	size_t L = r->plen + 12, j;
	unsigned b;

	p[0] = 0x55;
	put16(p + 1, (unsigned)L);
	p[3] = (unsigned char)crc8(0x77, p, 3);
	put16(p + 4, r->type);
	put32(p + 6, (uint32_t)r->tick64);
	for (j = 0; j < r->plen; j++)
		p[10 + j] = r->pl[j] ^ (unsigned char)(r->tick64 & 0xff);
	put16(p + L - 2, crc16(0x3692, p, L - 2));
	switch (r->corrupt) {
	case 1:	/* a payload bit */
		p[10 + rng() % r->plen] ^= (unsigned char)(1u << (rng() % 8));
		break;
	case 2:	/* a CRC bit */
		p[L - 2 + rng() % 2] ^= (unsigned char)(1u << (rng() % 8));
		break;
	case 3:	/* a length bit: shorter, still plausible; the CRC then fails */
		for (b = 0; b < 8; b++) {
			size_t l2 = L - (1u << b);

			if ((L & (1u << b)) && l2 >= 12 &&
			    crc16(0x3692, p, l2 - 2) != (unsigned)(p[l2 - 2] | p[l2 - 1] << 8))
				break;
		}
		if (b < 8)
			put16(p + 1, (unsigned)(L - (1u << b)));
		else
			p[10] ^= 1;
		break;
	case 5:	/* a non-zero version */
		p[2] |= 0x04;
		break;
	}
	return L;
}

static int
valid(const struct rec *r)
{
	return r->corrupt == 0 || r->corrupt == 4;
}

static int
known_type(const struct opts *o, unsigned t)
{
	return t == 12 || t == 13 || t == 5 || (o->v3 && (t == 2096 || t == 2097 || t == 2098));
}

static int
write_expect(const struct opts *o, FILE *fp)
{
	uint64_t records = 0, crc_failures = 0, unknown = 0, nofix = 0, first = 0;
	unsigned char seen[65536 / 8];
	size_t i, ntypes = 0;
	int have_first = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < nrecs; i++) {
		struct rec *r = &recs[i];

		if (r->corrupt >= 1 && r->corrupt <= 3)
			crc_failures++;
		if (!valid(r))
			continue;
		records++;
		if (!known_type(o, r->type)) {
			unknown++;
			if (!(seen[r->type / 8] & (1u << (r->type % 8)))) {
				seen[r->type / 8] |= (unsigned char)(1u << (r->type % 8));
				ntypes++;
			}
		}
		if (!r->point && (o->osd_track ? r->type == 12 : r->type == (o->v3 ? 2096u : 5u)))
			nofix++;
	}
	fprintf(fp, "kind %s\nproduct %u\nrate %.15g\nrecords %llu\ncrc_failures %llu\n"
		"unknown_types %zu\nunknown_type_records %llu\nsource %s\nnofix %llu\n",
		o->v3 ? "V3" : "V1", o->product, o->rate, (unsigned long long)records,
		(unsigned long long)crc_failures, ntypes, (unsigned long long)unknown,
		o->osd_track ? "osd" : "gps", (unsigned long long)nofix);
	/* a shortened record's own zero bytes may look like padding to a
	 * decoder: the count is exact only without such records */
	for (i = 0; i < nrecs && recs[i].corrupt != 3; i++)
		;
	if (i == nrecs)
		fprintf(fp, "padding %llu\n", (unsigned long long)padding);
	for (i = 0; i < nrecs && !(recs[i].type == 13 && valid(&recs[i])); i++)
		;
	if (i < nrecs) {
		double la, lo;

		memcpy(&la, recs[i].pl + 8, 8);
		memcpy(&lo, recs[i].pl, 8);
		fprintf(fp, "home %.17g %.17g\n", deg(la), deg(lo));
	} else {
		fprintf(fp, "home none\n");
	}
	for (i = 0; i < nrecs; i++) {
		struct rec *r = &recs[i];

		if (!valid(r))
			continue;
		if (!have_first) {
			have_first = 1;
			first = r->tick64;
		}
		if (!r->point)
			continue;
		if (o->osd_track)	/* time since the first record */
			r->true_us = (int64_t)iround((double)(r->tick64 - first) / o->rate * 1e6);
		if (r->utc != INT64_MIN)
			fprintf(fp, "point %llu %lld %lld %.17g %.17g %.17g\n",
				(unsigned long long)r->off, (long long)r->utc, (long long)r->true_us,
				r->lat, r->lon, r->alt);
		else
			fprintf(fp, "point %llu - %lld %.17g %.17g %.17g\n", (unsigned long long)r->off,
				(long long)r->true_us, r->lat, r->lon, r->alt);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *gps = "gps";
	long long tick0 = -1;
	unsigned char *buf;
	size_t cap, len = 0, i, k;
	int opt;
	FILE *fp;

	memset(&o, 0, sizeof(o));
	o.seed = 1;
	o.seconds = 30;
	o.kinds = "12345";
	if (argc < 2)
		usage();
	o.v3 = !strcmp(argv[1], "v3");
	o.logh = !strcmp(argv[1], "logh");
	if (!o.v3 && !o.logh && strcmp(argv[1], "v1"))
		usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "s:n:p:r:T:c:k:g:tRo:e:")) != -1) {
		switch (opt) {
		case 's': o.seed = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'n': o.seconds = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'p': o.product = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'r': o.rate = strtod(optarg, NULL); break;
		case 'T': tick0 = strtoll(optarg, NULL, 0); break;
		case 'c': o.ncorrupt = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'k': o.kinds = optarg; break;
		case 'g': gps = optarg; break;
		case 't': o.cut = 1; break;
		case 'R': o.restart = 1; break;
		case 'o': o.out = optarg; break;
		case 'e': o.expect = optarg; break;
		default: usage();
		}
	}
	if (o.out == NULL || o.seconds < 2 || o.seconds > 3000)
		usage();
	o.no_gps = !strcmp(gps, "nogps");
	o.nofix_gps = !strcmp(gps, "nofix");
	if (!o.no_gps && !o.nofix_gps && strcmp(gps, "gps"))
		usage();
	o.osd_track = o.no_gps || o.nofix_gps;
	rng_s = o.seed * 2654435761ULL + 7;
	if (!o.product)
		o.product = o.v3 ? 16 : 6;
	if (o.rate <= 0)
		o.rate = o.v3 ? 4.5e6 : 600;
	o.tick0 = tick0 >= 0 ? (uint64_t)tick0 : (uint64_t)(4294967296.0 - 8 * o.rate);
	o.u0 = (double)U0_SECONDS + 0.37 + (o.seed % 50) / 100.0;

	cap = (size_t)o.seconds * 40000 + 65536;
	if ((buf = calloc(1, cap)) == NULL || (recs = calloc(MAX_RECS, sizeof(*recs))) == NULL) {
		perror("gen-djidat");
		return 1;
	}
	if (o.logh) {
		memcpy(buf, "LOGH", 4);
		for (len = 4; len < 4096; len++)
			buf[len] = (unsigned char)rng();
	} else {
		fly(&o);
		if (o.restart && nrecs > 1) {
			uint64_t back = recs[nrecs / 2].tick64 - recs[0].tick64;

			for (i = nrecs / 2; i < nrecs; i++)
				recs[i].tick64 -= back;
		}
		/* corruptions, spread over the records (not the first 20, not the last) */
		if (o.ncorrupt > nrecs - 21)
			o.ncorrupt = (unsigned)(nrecs - 21);
		if (o.kinds[0] == 0 || strspn(o.kinds, "12345") != strlen(o.kinds) ||
		    (strpbrk(o.kinds, "345") && o.ncorrupt > (nrecs - 21) / 2)) {
			fprintf(stderr, "gen-djidat: -k takes kinds 1-5; kinds 3-5 at most every "
				"other record\n");
			return 2;
		}
		for (k = 0; k < o.ncorrupt; k++)
			recs[20 + (size_t)((double)(nrecs - 21) * (k + 0.5) / o.ncorrupt)].corrupt =
				o.kinds[k % strlen(o.kinds)] - '0';
		buf[0] = (unsigned char)o.product;
		memcpy(buf + 16, "BUILD 2016.01.14 15:54:53", 25);
		if (o.v3)
			memcpy(buf + 242, "DJI_LOG_V3", 10);
		len = o.v3 ? 256 : 128;
		for (i = 0; i < nrecs; i++) {
			struct rec *r = &recs[i];
			size_t L;

			if (len + 2048 > cap) {
				fprintf(stderr, "gen-djidat: output too large\n");
				return 1;
			}
			if (r->corrupt == 4) {	/* junk before this record */
				size_t n = 5 + rng() % 36;

				buf[len++] = 0xa7;
				for (k = 1; k < n; k++)
					buf[len++] = (unsigned char)(1 + rng() % 255);
			}
			r->off = len;
			L = record_bytes(r, buf + len);
			if (i == nrecs - 1 && o.cut) {
				r->corrupt = 6;
				len += L / 2;
				break;
			}
			len += L;
			if (rng() % 20 == 0 && i < nrecs - 1) {
				size_t n = 1 + rng() % 16;	/* zero padding (not at the end) */

				len += n;
				padding += n;
			}
		}
	}
	if ((fp = fopen(o.out, "wb")) == NULL || fwrite(buf, 1, len, fp) != len || fclose(fp) != 0) {
		perror(o.out);
		return 1;
	}
	if (o.expect == NULL || o.logh)
		return 0;
	if ((fp = fopen(o.expect, "w")) == NULL || write_expect(&o, fp) != 0 || fclose(fp) != 0) {
		perror(o.expect);
		return 1;
	}
	return 0;
}
