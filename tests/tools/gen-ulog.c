/*
 * gen-ulog.c — write a small, valid PX4 ULog file from a seed.
 *
 *	gen-ulog [-s seed] [-n fixes] [-o file]
 *
 * The log has a flag-bits message, formats (one with a nested type and an
 * array before the GPS position, trailing padding not written in the data,
 * as PX4 does), info (sys_name, ver_hw, ver_sw, ver_sw_release, sys_uuid),
 * a two-part multi info, parameters, subscriptions, logged strings, sync
 * and dropout messages, and vehicle_gps_position data: 3 messages without
 * a fix, then `fixes` 3D fixes at 5 Hz along a random walk.  The same seed
 * always gives the same bytes.  Writes to stdout unless -o; prints nothing
 * else.
 */
#include <errno.h>
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
		fprintf(stderr, "gen-ulog: output too large\n");
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

static size_t msg_start;

static void
msg_begin(char type)
{
	msg_start = outlen;
	put16(0);
	put8((unsigned char)type);
}

static void
msg_end(void)
{
	size_t n = outlen - msg_start - 3;

	out[msg_start] = n & 0xff;
	out[msg_start + 1] = (n >> 8) & 0xff;
}

static void
format(const char *s)
{
	msg_begin('F');
	put(s, strlen(s));
	msg_end();
}

static void
info_str(const char *key, const char *val)
{
	char k[128];

	snprintf(k, sizeof(k), "char[%zu] %s", strlen(val), key);
	msg_begin('I');
	put8((unsigned)strlen(k));
	put(k, strlen(k));
	put(val, strlen(val));
	msg_end();
}

static void
multi_str(int cont, const char *key, const char *val)
{
	char k[128];

	snprintf(k, sizeof(k), "char[%zu] %s", strlen(val), key);
	msg_begin('M');
	put8((unsigned)cont);
	put8((unsigned)strlen(k));
	put(k, strlen(k));
	put(val, strlen(val));
	msg_end();
}

static void
param_i32(const char *name, int32_t v)
{
	char k[64];

	snprintf(k, sizeof(k), "int32_t %s", name);
	msg_begin('P');
	put8((unsigned)strlen(k));
	put(k, strlen(k));
	put32((uint32_t)v);
	msg_end();
}

static void
param_f(const char *name, float v)
{
	char k[64];

	snprintf(k, sizeof(k), "float %s", name);
	msg_begin('P');
	put8((unsigned)strlen(k));
	put(k, strlen(k));
	putf(v);
	msg_end();
}

static void
subscribe(unsigned multi, unsigned id, const char *name)
{
	msg_begin('A');
	put8(multi);
	put16(id);
	put(name, strlen(name));
	msg_end();
}

static void
logged(unsigned level, uint64_t ts, const char *s)
{
	msg_begin('L');
	put8(level);
	put64(ts);
	put(s, strlen(s));
	msg_end();
}

static void
sync_msg(void)
{
	static const unsigned char m[8] = { 0x2f, 0x73, 0x13, 0x20, 0x25, 0x0c, 0xbb, 0x12 };

	msg_begin('S');
	put(m, 8);
	msg_end();
}

static void
gps(uint64_t ts, uint64_t utc, int32_t lat, int32_t lon, int32_t alt, unsigned fix)
{
	msg_begin('D');
	put16(1);
	put64(ts);
	put64(utc);
	put64(ts);	/* acc[0] */
	putf(0.8f);
	putf(1.2f);
	put64(ts);	/* acc[1] */
	putf(0.9f);
	putf(1.4f);
	put32((uint32_t)lat);
	put32((uint32_t)lon);
	put32((uint32_t)alt);
	putf(3.5f);	/* vel_m_s */
	put8(fix);
	put8(fix ? 12 : 0);
	/* uint8_t[6] _padding0 at the end: not logged */
	msg_end();
}

static void
status(uint64_t ts, unsigned armed)
{
	msg_begin('D');
	put16(0);
	put64(ts);
	put8(armed);
	msg_end();
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen-ulog [-s seed] [-n fixes] [-o file]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	unsigned long seed = 1, nfix = 40, i;
	uint64_t ts, utc;
	int32_t lat, lon, alt;
	char hex[41], uuid[37];
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

	/* header: magic, version 1, start timestamp (µs since boot) */
	put("ULog\x01\x12\x35", 7);
	put8(1);
	ts = 1000000 + rng() % 1000000;
	put64(ts);

	/* flag bits: no compat/incompat flags, no appended data */
	msg_begin('B');
	for (i = 0; i < 16 + 24; i++)
		put8(0);
	msg_end();

	/* nested types are whole uORB messages: they have a timestamp too */
	format("gps_accuracy:uint64_t timestamp;float eph;float epv;");
	format("vehicle_gps_position:uint64_t timestamp;uint64_t time_utc_usec;"
	       "gps_accuracy[2] acc;int32_t lat;int32_t lon;int32_t alt;float vel_m_s;"
	       "uint8_t fix_type;uint8_t satellites_used;uint8_t[6] _padding0;");
	format("vehicle_status:uint64_t timestamp;uint8_t arming_state;uint8_t[7] _padding0;");

	for (i = 0; i < 40; i++)
		snprintf(hex + i, 2, "%x", (unsigned)(rng() & 15));
	for (i = 0; i < 36; i++)
		snprintf(uuid + i, 2, "%x", (unsigned)(rng() & 15));
	info_str("sys_name", "PX4");
	info_str("ver_hw", "CT_GEN_FMU_V1");
	info_str("ver_sw", hex);
	msg_begin('I');
	put8(23);
	put("uint32_t ver_sw_release", 23);
	put32(0x010e03ff);	/* v1.14.3 release */
	msg_end();
	info_str("sys_uuid", uuid);
	multi_str(0, "boot_console_output", "cardtrail gen-ulog\nboot part one\n");
	multi_str(1, "boot_console_output", "boot part two\n");
	param_i32("SYS_AUTOSTART", 4001);
	param_i32("MAV_SYS_ID", 1);
	param_f("MPC_XY_VEL_MAX", 12.0f);
	param_f("MIS_TAKEOFF_ALT", 2.5f);
	param_i32("SDLOG_PROFILE", 1);

	subscribe(0, 0, "vehicle_status");
	subscribe(0, 1, "vehicle_gps_position");
	sync_msg();

	lat = 450000000 + (int32_t)(rng() % 100000000);
	lon = 50000000 + (int32_t)(rng() % 100000000);
	alt = 100000 + (int32_t)(rng() % 200000);
	utc = 1672531200000000ULL + (rng() % (86400ULL * 365)) * 1000000ULL;
	ts += 500000;
	for (i = 0; i < 3; i++) {
		status(ts, 1);
		gps(ts, 0, 0, 0, 0, 0);
		ts += 200000;
	}
	logged(6, ts, "[gen] takeoff");
	for (i = 0; i < nfix; i++) {
		if (i % 5 == 0)
			status(ts, 2);
		gps(ts, utc, lat, lon, alt, 3);
		if (i % 10 == 9)
			sync_msg();
		if (i == nfix / 2) {
			msg_begin('O');
			put16(20);
			msg_end();
		}
		ts += 200000;
		utc += 200000;
		lat += (int32_t)(rng() % 4001) - 2000;
		lon += (int32_t)(rng() % 4001) - 2000;
		alt += (int32_t)(rng() % 1001) - 500;
	}
	logged(6, ts, "[gen] landed");

	fp = path ? fopen(path, "wb") : stdout;
	if (fp == NULL) {
		fprintf(stderr, "gen-ulog: cannot open '%s'\n", path);
		return 1;
	}
	if (fwrite(out, 1, outlen, fp) != outlen || (path ? fclose(fp) : fflush(fp)) != 0) {
		fprintf(stderr, "gen-ulog: write failed\n");
		return 1;
	}
	return 0;
}
