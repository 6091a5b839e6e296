/*
 * gen-dataflash.c — write a small, valid ArduPilot DataFlash log from a seed.
 *
 *	gen-dataflash [-s seed] [-n fixes] [-o file]
 *
 * The log starts with FMT for FMT, defines PARM, MSG, VER, ATT and GPS
 * (ArduPilot 4.x layouts, but GPS gets type 84 and the others types of
 * their own: a reader must use the FMTs), then MSG texts (firmware, OS,
 * board with its MCU id, frame), 12 distinct parameters (one logged twice),
 * 3 GPS messages without a fix, then `fixes` 3D fixes at 5 Hz along a
 * random walk with ATT messages between them.  The same seed always gives
 * the same bytes.  Writes to stdout unless -o; prints nothing else.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng_state;

/* splitmix64 */
static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned char out[1 << 20];
static size_t outlen;

static void
put(const void *p, size_t n)
{
	if (outlen + n > sizeof(out)) {
		fprintf(stderr, "gen-dataflash: output too large\n");
		exit(1);
	}
	memcpy(out + outlen, p, n);
	outlen += n;
}

static void
put8(unsigned v)
{
	unsigned char b = (unsigned char)v;

	put(&b, 1);
}

static void
put16(unsigned v)
{
	put8(v & 0xff);
	put8((v >> 8) & 0xff);
}

static void
put32(uint32_t v)
{
	put16(v & 0xffff);
	put16(v >> 16);
}

static void
put64(uint64_t v)
{
	put32((uint32_t)v);
	put32((uint32_t)(v >> 32));
}

static void
putf(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	put32(u);
}

/* A fixed-size text field, NUL-padded. */
static void
putstr(const char *s, size_t n)
{
	size_t l = strlen(s);

	if (l > n)
		l = n;
	put(s, l);
	for (; l < n; l++)
		put8(0);
}

static void
head(unsigned type)
{
	put8(0xa3);
	put8(0x95);
	put8(type);
}

enum { T_FMT = 128, T_PARM = 64, T_MSG = 91, T_VER = 201, T_ATT = 35, T_GPS = 84 };

static void
fmt(unsigned type, unsigned len, const char *name, const char *format, const char *cols)
{
	head(T_FMT);
	put8(type);
	put8(len);
	putstr(name, 4);
	putstr(format, 16);
	putstr(cols, 64);
}

static void
msg(uint64_t t, const char *s)
{
	head(T_MSG);
	put64(t);
	putstr(s, 64);
}

static void
parm(uint64_t t, const char *name, float v)
{
	head(T_PARM);
	put64(t);
	putstr(name, 16);
	putf(v);
}

static void
gps(uint64_t t, unsigned status, uint32_t gms, unsigned gwk, int32_t lat, int32_t lng,
    int32_t alt_cm)
{
	head(T_GPS);
	put64(t);
	put8(0);		/* I */
	put8(status);
	put32(gms);
	put16(gwk);
	put8(status >= 3 ? 14 : 0);	/* NSats */
	put16(status >= 3 ? 71 : 9999);	/* HDop ×100 */
	put32((uint32_t)lat);
	put32((uint32_t)lng);
	put32((uint32_t)alt_cm);
	putf(4.25f);		/* Spd */
	putf(90.0f);		/* GCrs */
	putf(-0.5f);		/* VZ */
	putf(0.0f);		/* Yaw */
	put8(1);		/* U */
}

static void
att(uint64_t t)
{
	head(T_ATT);
	put64(t);
	put16((unsigned)(rng() % 2000));	/* Roll ×100 */
	put16((unsigned)(rng() % 2000));	/* Pitch ×100 */
	put16((unsigned)(rng() % 36000));	/* Yaw ×100 */
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen-dataflash [-s seed] [-n fixes] [-o file]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const char *const pnames[] = {
		"SYSID_THISMAV", "FRAME_CLASS", "FRAME_TYPE", "WPNAV_SPEED", "RTL_ALT",
		"BATT_MONITOR", "BATT_CAPACITY", "GPS_TYPE", "LOG_BITMASK", "ARMING_CHECK",
		"FENCE_ENABLE", "SERIAL1_BAUD",
	};
	const char *path = NULL;
	unsigned long seed = 1, nfix = 40, i;
	uint64_t t;
	uint32_t gms;
	unsigned gwk;
	int32_t lat, lng, alt;
	FILE *fp;
	int c;

	while ((c = getopt(argc, argv, "s:n:o:")) != -1) {
		switch (c) {
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'n': nfix = strtoul(optarg, NULL, 0); break;
		case 'o': path = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || nfix > 5000)
		usage();
	rng_state = seed;

	fmt(T_FMT, 89, "FMT", "BBnNZ", "Type,Length,Name,Format,Columns");
	fmt(T_PARM, 31, "PARM", "QNf", "TimeUS,Name,Value");
	fmt(T_MSG, 75, "MSG", "QZ", "TimeUS,Message");
	fmt(T_ATT, 17, "ATT", "QccC", "TimeUS,Roll,Pitch,Yaw");
	fmt(T_GPS, 51, "GPS", "QBBIHBcLLeffffB",
	    "TimeUS,I,Status,GMS,GWk,NSats,HDop,Lat,Lng,Alt,Spd,GCrs,VZ,Yaw,U");
	fmt(T_VER, 88, "VER", "QBHBBBBIZH", "TimeUS,BT,BST,Maj,Min,Pat,FWT,GH,FWS,APJ");

	t = 2000000 + rng() % 1000000;
	head(T_VER);
	put64(t);
	put8(3);		/* BT */
	put16(0);		/* BST */
	put8(4);		/* Maj */
	put8(5);		/* Min */
	put8(7);		/* Pat */
	put8(255);		/* FWT: official */
	put32(0x2a3dc4b7);	/* GH */
	putstr("ArduCopter V4.5.7 (2a3dc4b7)", 64);
	put16(140);		/* APJ */
	msg(t, "ArduCopter V4.5.7 (2a3dc4b7)");
	msg(t, "ChibiOS: 6a85082c");
	msg(t, "CubeOrange 00380028 31305111 35383830");
	msg(t, "Frame: QUAD/X");
	for (i = 0; i < sizeof(pnames) / sizeof(pnames[0]); i++)
		parm(t, pnames[i], (float)(rng() % 1000));
	parm(t + 1000, "RTL_ALT", 3000.0f);	/* changed: 12 distinct, 13 messages */

	lat = -350000000 + (int32_t)(rng() % 100000000);
	lng = 1400000000 + (int32_t)(rng() % 100000000);
	alt = 5000 + (int32_t)(rng() % 50000);
	gwk = 2250 + (unsigned)(rng() % 100);
	gms = (uint32_t)(rng() % (7 * 86400)) * 1000;
	t += 500000;
	for (i = 0; i < 3; i++) {
		att(t);
		gps(t, 1, 0, 0, 0, 0, 0);
		t += 200000;
	}
	msg(t, "EKF3 IMU0 is using GPS");
	for (i = 0; i < nfix; i++) {
		att(t);
		gps(t, 3, gms, gwk, lat, lng, alt);
		t += 200000;
		gms += 200;
		if (gms >= 7 * 86400 * 1000u) {
			gms -= 7 * 86400 * 1000u;
			gwk++;
		}
		lat += (int32_t)(rng() % 4001) - 2000;
		lng += (int32_t)(rng() % 4001) - 2000;
		alt += (int32_t)(rng() % 101) - 50;
	}

	fp = path ? fopen(path, "wb") : stdout;
	if (fp == NULL) {
		fprintf(stderr, "gen-dataflash: cannot open '%s'\n", path);
		return 1;
	}
	if (fwrite(out, 1, outlen, fp) != outlen || (path ? fclose(fp) : fflush(fp)) != 0) {
		fprintf(stderr, "gen-dataflash: write failed\n");
		return 1;
	}
	return 0;
}
