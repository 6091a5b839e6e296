/*
 * gen-djitxt — write a small seeded DJI GO flight record
 * (DJIFlightRecord_*.txt) for the dji-txt parser's fixtures.
 *
 * usage: gen-djitxt v4|v7|v11 [seed] > out.txt
 *
 * v4: 12-byte prefix, plain records, details (old layout) at the end.
 * v7: 100-byte prefix, records scrambled as DJI GO does from version 7 on
 *     (seed byte, then data XOR the le64 of
 *     crc64(seed + type, le64(0x123456789ABCDEF0 * seed)), CRC-64 Jones
 *     reflected, no final XOR), details (new layout) at the end.
 * v11: as v7 (version 11), with OSD records without a GPS fix as a
 *     Mavic 2 writes them: 5 before the first fix and 2 after the last,
 *     their latitude and longitude a few 1e-12 radians of noise around 0.
 * All: 30 OSD records (type 1) with a fix, starting at 51.500000 N -0.120000 E,
 * height in decimetres, flight time in tenths of a second; a home record
 * (type 2) every 10 OSD records and one JPEG thumbnail after the 15th.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOSD 30
#define NOFIX_HEAD 5
#define NOFIX_TAIL 2

static uint32_t rng_state;
static unsigned char out[65536];
static size_t outlen;

static uint32_t
rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 16) & 0x7fff;
}

static void
put(const void *p, size_t n)
{
	if (outlen + n > sizeof(out)) {
		fprintf(stderr, "gen-djitxt: output too large\n");
		exit(1);
	}
	memcpy(out + outlen, p, n);
	outlen += n;
}

static void
putle(uint64_t v, int n)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	put(b, (size_t)n);
}

static void
put_double(unsigned char *p, double d)
{
	uint64_t v;
	int i;

	memcpy(&v, &d, sizeof(v));
	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

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

/* One record; scrambled (seed + data + 1 pad byte) from version 7. */
static void
record(int version, unsigned type, const unsigned char *data, size_t n)
{
	unsigned char buf[256], sb[8];
	uint64_t k, m;
	unsigned seed;
	size_t i;
	int j;

	if (version < 7) {
		putle(type, 1);
		putle(n, 1);
		put(data, n);
		putle(0xFF, 1);
		return;
	}
	seed = rng() & 0xFF;
	m = 0x123456789ABCDEF0ULL * seed;
	for (j = 0; j < 8; j++)
		sb[j] = (unsigned char)(m >> (8 * j));
	k = crc64_jones((uint8_t)(seed + type), sb, sizeof(sb));
	buf[0] = (unsigned char)seed;
	for (i = 0; i <= n; i++)
		buf[1 + i] = (unsigned char)((i < n ? data[i] : 0) ^ (k >> (8 * (i % 8))));
	putle(type, 1);
	putle(n + 2, 1);
	put(buf, n + 2);
	putle(0xFF, 1);
}

/* n OSD records without a fix: coordinates of noise around 0 radians. */
static void
nofix(int version, int n, unsigned flytime)
{
	unsigned char osd[50];
	int i;

	for (i = 0; i < n; i++, flytime++) {
		memset(osd, 0, sizeof(osd));
		put_double(osd, ((double)rng() - 16384) * 1e-15);
		put_double(osd + 8, ((double)rng() - 16384) * 1e-15);
		osd[36] = 7;				/* satellites, no fix yet */
		osd[42] = (unsigned char)(flytime & 0xFF);
		osd[43] = (unsigned char)(flytime >> 8);
		record(version, 1, osd, sizeof(osd));
	}
}

static void
field(unsigned char *d, size_t at, const char *s)
{
	memcpy(d + at, s, strlen(s));
}

int
main(int argc, char **argv)
{
	unsigned char osd[50], home[20], det[400];
	static const unsigned char jpeg[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F',
		'I', 'F', 0x00, 0xFF, 0x00, 0x12, 0x34, 0xFF, 0xD9 };
	double lat = 51.5, lon = -0.12;
	int version, i, h = 0;
	uint64_t start_ms = 1500000000123ULL;	/* 2017-07-14T02:40:00.123Z */
	size_t det_at;

	if (argc < 2 || argc > 3 ||
	    (strcmp(argv[1], "v4") && strcmp(argv[1], "v7") && strcmp(argv[1], "v11"))) {
		fprintf(stderr, "usage: gen-djitxt v4|v7|v11 [seed]\n");
		return 2;
	}
	version = atoi(argv[1] + 1);
	rng_state = argc == 3 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1;

	/* Prefix; the details offset is patched at the end. */
	putle(0, 8);
	putle(sizeof(det), 2);
	putle((uint64_t)version, 1);
	putle(0, 1);
	if (version >= 6) {
		unsigned char zero[88] = { 0 };

		put(zero, sizeof(zero));
	}
	if (version == 11)
		nofix(version, NOFIX_HEAD, 100 - NOFIX_HEAD);
	for (i = 0; i < NOSD; i++) {
		memset(osd, 0, sizeof(osd));
		put_double(osd, lon * M_PI / 180.0);
		put_double(osd + 8, lat * M_PI / 180.0);
		osd[16] = (unsigned char)(h & 0xFF);
		osd[17] = (unsigned char)((h >> 8) & 0xFF);
		osd[36] = 12;				/* satellites */
		osd[42] = (unsigned char)((100 + i) & 0xFF);	/* fly time, 0.1 s */
		osd[43] = (unsigned char)((100 + i) >> 8);
		record(version, 1, osd, sizeof(osd));
		if (i % 10 == 0) {
			memset(home, 0, sizeof(home));
			put_double(home, 51.5 * M_PI / 180.0);
			record(version, 2, home, sizeof(home));
		}
		if (i == 15)
			put(jpeg, sizeof(jpeg));
		lat += 0.00001 * (1 + rng() % 5);
		lon -= 0.00001 * (1 + rng() % 3);
		h += (int)(rng() % 7);
	}

	if (version == 11)
		nofix(version, NOFIX_TAIL, 100 + NOSD);
	det_at = outlen;
	memset(det, 0, sizeof(det));
	field(det, 20, "Generated Street");
	field(det, 40, "Testville");
	for (i = 0; i < 8; i++)
		det[91 + i] = (unsigned char)(start_ms >> (8 * i));
	put_double(det + 99, -0.12);
	put_double(det + 107, 51.5);
	if (version <= 5) {
		det[277] = 4;				/* Phantom3Pro */
		field(det, 278, "gen-v4");
		field(det, 267, "03ZGEN0004");
		field(det, 318, "CAMGEN0004");
		field(det, 328, "RCGEN00004");
		field(det, 338, "BATGEN0004");
		det[348] = 2;
		det[349] = 2, det[350] = 4, det[351] = 3;
	} else {
		det[271] = 2;				/* Phantom3Standard */
		field(det, 280, version == 11 ? "gen-v11" : "gen-v7 <script>\"");
		field(det, 312, "03ZGEN0007");
		field(det, 328, "CAMGEN0007");
		field(det, 344, "RCGEN00007");
		field(det, 360, "BATGEN0007");
		det[376] = 2;
		det[377] = 2, det[378] = 9, det[379] = 0;
	}
	det[83] = NOSD + (version == 11 ? NOFIX_HEAD + NOFIX_TAIL : 0);
	put(det, sizeof(det));
	for (i = 0; i < 8; i++)
		out[i] = (unsigned char)((uint64_t)det_at >> (8 * i));

	if (fwrite(out, 1, outlen, stdout) != outlen || fflush(stdout) != 0) {
		perror("gen-djitxt: stdout");
		return 1;
	}
	return 0;
}
