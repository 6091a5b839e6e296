/*
 * test_parse_djidat.c — the DJI FLY###.DAT decoder (djidat.c).
 *
 * The logs come from the seeded generator tests/tools/gen-djidat (run from
 * $CT_BUILD/tools), which also writes the points a decoder must return:
 * the decoder must give exactly those positions and heights, times within
 * CLOCK_TOL of the truth, and the generator's counts of records, CRC
 * failures and unknown types.  Every generated log is decoded a second time
 * by tests/tools/djidat_ref.py (Python, struct) and the two dumps must be
 * identical, point by point.  Then: the encrypted kind, a log whose records
 * mostly fail their CRC, the tick clock against the GPS, carving's end,
 * truncation and bit flips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "parse_test.h"

#define TIME_TOL_US 200000	/* djidat.c CLOCK_TOL */

static char tmpdir[64];

static int
parse(const unsigned char *buf, size_t len, struct ct_flight *f)
{
	return pt_parse(ct_djidat_parse, "dji-dat", buf, len, "FLY001.DAT", f);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ct-djidat.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Run gen-djidat ARGS -o tmp/NAME.DAT -e tmp/NAME.exp; load the log. */
static struct blob
gen(const char *name, const char *args)
{
	const char *build = getenv("CT_BUILD");
	char cmd[1024], rel[256];
	struct blob b;
	int rc;

	if (build == NULL)
		fail_msg("CT_BUILD is not set (run through tests/run.sh)");
	snprintf(cmd, sizeof(cmd), "'%s/tools/gen-djidat' %s -o '%s/%s.DAT' -e '%s/%s.exp'",
		 build, args, tmpdir, name, tmpdir, name);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("%s: exit %d", cmd, rc);
	snprintf(rel, sizeof(rel), "%s/%s.DAT", tmpdir, name);
	b.data = NULL;
	b.len = 0;
	{
		FILE *fp = fopen(rel, "rb");

		assert_non_null(fp);
		fseek(fp, 0, SEEK_END);
		b.len = (size_t)ftell(fp);
		rewind(fp);
		b.data = malloc(b.len ? b.len : 1);
		assert_non_null(b.data);
		assert_int_equal(fread(b.data, 1, b.len, fp), b.len);
		fclose(fp);
	}
	return b;
}

/* ---- the canonical dump, the same as djidat_ref.py's ---- */

static const char *const fact_order[] = {
	"log_version", "build", "firmware", "product_code", "model", "records", "crc_failures",
	"unknown_types", "unknown_type_records", "skipped_bytes", "padding_bytes", "tick_rate",
	"time_source", "track_source",
};

static const char *
basis_name(enum ct_time_basis b)
{
	return b == CT_TIME_UTC ? "utc" : b == CT_TIME_BOOT ? "boot" : "none";
}

static void
dump(FILE *fp, const struct ct_flight *f, int rc)
{
	size_t i;

	for (i = 0; i < sizeof(fact_order) / sizeof(fact_order[0]); i++)
		if (ct_flight_get_fact(f, fact_order[i]))
			fprintf(fp, "%s %s\n", fact_order[i], ct_flight_get_fact(f, fact_order[i]));
	if (rc == 1 && ct_flight_get_fact(f, "records"))
		fprintf(fp, "understood no\n");
	if (f->has_home)
		fprintf(fp, "home %.17g %.17g %s %" PRId64 "\n", f->home.lat, f->home.lon,
			basis_name(f->home.basis), f->home.t_us);
	else
		fprintf(fp, "home none\n");
	for (i = 0; i < f->npts; i++) {
		const struct ct_point *p = &f->pts[i];

		fprintf(fp, "point %" PRIu64 " %s %" PRId64 " %.17g %.17g %.17g %s\n", p->offset,
			basis_name(p->basis), p->t_us, p->lat, p->lon, p->alt_m,
			p->alt_ref == CT_ALT_TAKEOFF ? "takeoff" : "msl");
	}
}

/* The C decoder and djidat_ref.py agree on tmp/NAME.DAT, line by line. */
static void
same_as_python(const char *name, const struct ct_flight *f, int rc)
{
	char path[256], cmd[1024], a[512], b[512];
	FILE *mine, *ref;
	int line = 0;

	snprintf(path, sizeof(path), "%s/%s.c.dump", tmpdir, name);
	mine = fopen(path, "w+");
	assert_non_null(mine);
	dump(mine, f, rc);
	rewind(mine);
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/tools/djidat_ref.py' '%s/%s.DAT'",
		 getenv("CT_TOP") ? getenv("CT_TOP") : ".", tmpdir, name);
	ref = popen(cmd, "r");
	assert_non_null(ref);
	for (;;) {
		char *x = fgets(a, sizeof(a), mine), *y = fgets(b, sizeof(b), ref);

		line++;
		if (x == NULL && y == NULL)
			break;
		if (x == NULL || y == NULL || strcmp(a, b) != 0)
			fail_msg("%s line %d: C '%s' python '%s'", name, line, x ? a : "(end)\n",
				 y ? b : "(end)\n");
	}
	fclose(mine);
	assert_int_equal(pclose(ref), 0);
}

/* ---- the generator's expectations ---- */

struct expect {
	char kind[8], source[8];
	char records[24], crc_failures[24], unknown_types[24], unknown_type_records[24];
	char padding[24];
	unsigned long long nofix;
	int has_home;
	double home_lat, home_lon;
	size_t npts;
	struct exp_pt {
		uint64_t off;
		int64_t utc;	/* INT64_MIN: none */
		int64_t true_us;
		double lat, lon, alt;
	} pts[4096];
};

static void
read_expect(const char *name, struct expect *e)
{
	char path[256], line[512], u[32];
	unsigned long long off;
	long long t;
	FILE *fp;

	memset(e, 0, sizeof(*e));
	snprintf(path, sizeof(path), "%s/%s.exp", tmpdir, name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "kind %7s", e->kind) == 1 || sscanf(line, "source %7s", e->source) == 1 ||
		    sscanf(line, "records %23s", e->records) == 1 ||
		    sscanf(line, "crc_failures %23s", e->crc_failures) == 1 ||
		    sscanf(line, "unknown_types %23s", e->unknown_types) == 1 ||
		    sscanf(line, "unknown_type_records %23s", e->unknown_type_records) == 1 ||
		    sscanf(line, "padding %23s", e->padding) == 1 ||
		    sscanf(line, "nofix %llu", &e->nofix) == 1)
			continue;
		if (sscanf(line, "home %lf %lf", &e->home_lat, &e->home_lon) == 2) {
			e->has_home = 1;
			continue;
		}
		if (strncmp(line, "point ", 6) == 0) {
			struct exp_pt *p = &e->pts[e->npts];

			assert_true(e->npts < sizeof(e->pts) / sizeof(e->pts[0]));
			if (sscanf(line, "point %llu %31s %lld %lf %lf %lf", &off, u, &t, &p->lat,
				   &p->lon, &p->alt) != 6)
				fail_msg("%s: bad line '%s'", path, line);
			p->off = off;
			p->true_us = t;
			p->utc = strcmp(u, "-") ? strtoll(u, NULL, 10) : INT64_MIN;
			e->npts++;
		}
	}
	fclose(fp);
}

/*
 * Decode tmp/NAME.DAT: exactly the generated points (positions, heights,
 * offsets), times within TIME_TOL_US of the truth and of their own GPS
 * second (clock "gps"), or each GPS point at its own whole second (clock
 * "seconds"), or the exact time since the first record (OSD track); the
 * counts; and the same dump as djidat_ref.py.
 */
enum clock_expect { CLOCK_GPS, CLOCK_SECONDS };

static void
check_log(const char *name, const struct blob *b, enum clock_expect clk)
{
	struct expect *e = malloc(sizeof(*e));
	struct ct_flight f;
	char want[160];
	size_t i, k;
	int rc;

	assert_non_null(e);
	read_expect(name, e);
	rc = parse(b->data, b->len, &f);
	if (rc != 0) {
		for (k = 0; k < f.nwarnings; k++)
			print_message("# %s\n", f.warnings[k]);
		fail_msg("%s: parse returned %d", name, rc);
	}
	expect_fact(&f, "log_version", e->kind);
	expect_fact(&f, "records", e->records);
	expect_fact(&f, "crc_failures", e->crc_failures);
	expect_fact(&f, "unknown_types", e->unknown_types);
	expect_fact(&f, "unknown_type_records", e->unknown_type_records);
	if (e->padding[0])
		expect_fact(&f, "padding_bytes", e->padding);
	expect_fact(&f, "track_source", strcmp(e->source, "osd") ? "GPS (receiver 0)" :
		    "OSD (type 12)");
	/* the records of the track's source without a fix: counted, and one
	 * warning (ct_flight_finish, which pt_parse calls) */
	if (f.nofix.n != e->nofix)
		fail_msg("%s: %zu records without a fix counted, %llu generated", name, f.nofix.n,
			 e->nofix);
	snprintf(want, sizeof(want), "%llu point%s without a GPS fix", e->nofix,
		 e->nofix == 1 ? "" : "s");
	for (k = 0; k < f.nwarnings && !strstr(f.warnings[k], want); k++)
		;
	if (e->nofix && k == f.nwarnings)
		fail_msg("%s: no warning '%s'", name, want);
	if (f.npts != e->npts)
		fail_msg("%s: %zu points, %zu generated", name, f.npts, e->npts);
	for (i = 0; i < f.npts; i++) {
		const struct ct_point *p = &f.pts[i];
		const struct exp_pt *x = &e->pts[i];

		if (p->offset != x->off || p->lat != x->lat || p->lon != x->lon || p->alt_m != x->alt)
			fail_msg("%s point %zu: %" PRIu64 " %.9f %.9f %.3f, generated %" PRIu64
				 " %.9f %.9f %.3f", name, i, p->offset, p->lat, p->lon, p->alt_m,
				 x->off, x->lat, x->lon, x->alt);
		if (x->utc == INT64_MIN) {
			/* OSD track: the time since the first record, exactly */
			assert_int_equal(p->basis, CT_TIME_BOOT);
			assert_int_equal(p->alt_ref, CT_ALT_TAKEOFF);
			if (p->t_us != x->true_us)
				fail_msg("%s point %zu: +%" PRId64 " us, generated +%" PRId64, name, i,
					 p->t_us, x->true_us);
			continue;
		}
		assert_int_equal(p->basis, CT_TIME_UTC);
		assert_int_equal(p->alt_ref, CT_ALT_MSL);
		if (clk == CLOCK_SECONDS) {
			if (p->t_us != x->utc * 1000000)
				fail_msg("%s point %zu: %" PRId64 ", its GPS second is %" PRId64, name, i,
					 p->t_us, x->utc);
		} else if (p->t_us < x->true_us - TIME_TOL_US || p->t_us > x->true_us + TIME_TOL_US ||
			   p->t_us < x->utc * 1000000 - TIME_TOL_US ||
			   p->t_us > x->utc * 1000000 + 1000000 + TIME_TOL_US) {
			fail_msg("%s point %zu: %" PRId64 " us, true %" PRId64 ", GPS second %" PRId64,
				 name, i, p->t_us, x->true_us, x->utc);
		}
	}
	assert_int_equal(f.has_home, e->has_home);
	if (e->has_home) {
		assert_true(f.home.lat == e->home_lat && f.home.lon == e->home_lon);
		assert_int_equal(f.home.alt_ref, CT_ALT_NONE);
	}
	same_as_python(name, &f, rc);
	ct_flight_release(&f);
	free(e);
}

/* ---- tests ---- */

static void
test_crc(void **state)
{
	(void)state;
	/* CRC-16/KERMIT's check value: the reflected 0x1021 polynomial, no
	 * final XOR; the records use it with the seed 0x3692 */
	assert_int_equal(ct_djidat_crc16(0, "123456789", 9), 0x2189);
	assert_int_not_equal(ct_djidat_crc16(0x3692, "123456789", 9), 0x2189);
}

static void
test_generated(void **state)
{
	static const struct {
		const char *args;
		enum clock_expect clk;
	} runs[] = {
		{ "v3 -s 1", CLOCK_GPS },
		{ "v1 -s 1", CLOCK_GPS },
		{ "v3 -s 2 -c 9 -t", CLOCK_GPS },
		{ "v1 -s 3 -c 9 -t", CLOCK_GPS },
		{ "v3 -s 4 -n 120", CLOCK_GPS },	/* 2 minutes at 4.5 MHz */
		{ "v3 -s 5 -p 5 -r 85e6 -n 120", CLOCK_GPS },	/* M100: wraps every 50 s */
		{ "v3 -s 6 -g nogps", CLOCK_GPS },	/* OSD track, boot times */
		{ "v1 -s 7 -g nofix -c 4", CLOCK_GPS },	/* GPS without a fix: OSD track */
		{ "v3 -s 8 -p 24 -r 3.85e6 -n 60", CLOCK_GPS },	/* Mavic Air, its own rate */
		{ "v3 -s 9 -p 24 -r 4.5e6 -n 60", CLOCK_GPS },	/* … or DatCon's */
		{ "v3 -s 10 -p 16 -r 3e6 -n 60", CLOCK_SECONDS },	/* no rate fits */
		{ "v1 -s 11 -T 0", CLOCK_GPS },		/* no rollover */
		{ "v3 -s 12 -c 40 -n 90", CLOCK_GPS },
	};
	char name[32];
	struct blob b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		snprintf(name, sizeof(name), "run%zu", i);
		b = gen(name, runs[i].args);
		check_log(name, &b, runs[i].clk);
		free(b.data);
	}
}

/* The committed DAT fixtures (fuzz seeds) are what the generator writes. */
static void
test_fixtures(void **state)
{
	static const struct {
		const char *file, *args;
	} fx[] = {
		{ "gen-v1.DAT", "v1 -n 3 -c 2" },
		{ "gen-v3.DAT", "v3 -n 3 -c 2 -t" },
		{ "gen-logh.DAT", "logh" },
	};
	struct blob b;
	unsigned char *want;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
		want = pt_fixture(fx[i].file, &len);
		b = gen(fx[i].file, fx[i].args);
		if (b.len != len || memcmp(b.data, want, len) != 0)
			fail_msg("fixtures/flight/%s is not what gen-djidat %s writes", fx[i].file,
				 fx[i].args);
		if (i < 2)
			check_log(fx[i].file, &b, CLOCK_GPS);
		free(b.data);
		free(want);
	}
}

/* The clock facts say which rate was used and how the times were made. */
static void
test_clock_facts(void **state)
{
	struct ct_flight f;
	struct blob b;
	size_t k;

	(void)state;
	b = gen("clk1", "v3 -s 9 -p 24 -r 4.5e6 -n 60");
	assert_int_equal(parse(b.data, b.len, &f), 0);
	expect_fact(&f, "model", "Mavic Air");
	expect_fact(&f, "firmware", "built 2016.01.14 15:54:53");
	expect_fact(&f, "tick_rate", "4500000");
	for (k = 0; k < f.nwarnings && !strstr(f.warnings[k], "3850000/s for product 24 "
		"disagrees with the GPS times; 4500000/s agrees"); k++)
		;
	assert_true(k < f.nwarnings);
	ct_flight_release(&f);
	free(b.data);

	b = gen("clk2", "v3 -s 10 -p 16 -r 3e6 -n 60");
	assert_int_equal(parse(b.data, b.len, &f), 0);
	expect_fact(&f, "time_source", "GPS UTC, whole seconds (no tick rate of product 16 "
		    "agrees with the GPS times)");
	ct_flight_release(&f);
	free(b.data);

	b = gen("clk3", "v3 -s 6 -g nogps");
	assert_int_equal(parse(b.data, b.len, &f), 0);
	expect_fact(&f, "time_source", "ticks since the first record (no GPS time)");
	assert_int_equal(f.has_home, 0);
	ct_flight_release(&f);
	free(b.data);
}

static int
has_warning(const struct ct_flight *f, const char *what)
{
	size_t k;

	for (k = 0; k < f->nwarnings; k++)
		if (strstr(f->warnings[k], what))
			return 1;
	return 0;
}

/*
 * What the clock facts claim must have been checked: one second of GPS
 * fixes fits any tick rate, so the rate is assumed, not confirmed; a tick
 * counter that goes back is said; "LOGH" written over a plain log does not
 * make its records "encrypted".
 */
static void
test_clock_honesty(void **state)
{
	struct ct_flight f;
	struct blob b;

	(void)state;
	b = gen("hon1", "v3 -s 13 -n 2");
	assert_int_equal(parse(b.data, b.len, &f), 0);
	assert_non_null(strstr(ct_flight_get_fact(&f, "time_source"),
			       "GPS UTC and ticks at the rate assumed for the product ("));
	assert_non_null(strstr(ct_flight_get_fact(&f, "time_source"), "s cannot confirm it)"));
	assert_true(has_warning(&f, "the tick rate 4500000/s is assumed for product 16, not "
				"confirmed"));
	same_as_python("hon1", &f, 0);
	ct_flight_release(&f);
	free(b.data);

	/* the same aircraft's 30 s log confirms its rate: no such warning */
	b = gen("hon2", "v3 -s 13 -n 30");
	assert_int_equal(parse(b.data, b.len, &f), 0);
	assert_non_null(strstr(ct_flight_get_fact(&f, "time_source"), "the tick rate agrees with"));
	assert_false(has_warning(&f, "not confirmed"));
	ct_flight_release(&f);
	free(b.data);

	b = gen("hon3", "v3 -s 14 -n 20 -g nogps -R");
	assert_int_equal(parse(b.data, b.len, &f), 0);
	assert_true(has_warning(&f, "the tick counter goes back 1 time (the first here)"));
	ct_flight_release(&f);
	free(b.data);

	b = gen("hon4", "v3 -s 14 -n 20 -g nogps");
	assert_int_equal(parse(b.data, b.len, &f), 0);
	assert_false(has_warning(&f, "the tick counter goes back"));
	ct_flight_release(&f);
	free(b.data);

	b = gen("hon5", "v3 -s 15 -n 10");
	memcpy(b.data, "LOGH", 4);
	assert_int_equal(parse(b.data, b.len, &f), 0);
	expect_fact(&f, "log_version", "V3");
	assert_true(f.npts > 0);
	assert_true(has_warning(&f, "begins with LOGH, the mark of the logs DJI encrypts, yet "
				"has the plain header (DJI_LOG_V3 at 242)"));
	assert_false(has_warning(&f, "not decoded"));
	ct_flight_release(&f);
	free(b.data);
}

static void
kind(const unsigned char *h, size_t n, const char *ver, const char *build)
{
	struct ct_flight f;

	assert_true(ct_djidat_probe("FLY001.DAT", h, n) >= 90);
	assert_int_equal(parse(h, n, &f), 1);
	expect_fact(&f, "log_version", ver);
	expect_fact(&f, "build", build);
	assert_int_equal(f.npts, 0);
	assert_int_equal(f.nwarnings, 1);
	ct_flight_release(&f);
}

/* Headers without records: identified, no points, one warning. */
static void
test_kinds(void **state)
{
	unsigned char h[512];

	(void)state;
	memset(h, 0, sizeof(h));
	memcpy(h + 16, "BUILD 2016.01.14 15:54:53\x01junk", 30);
	kind(h, sizeof(h), "V1", "BUILD 2016.01.14 15:54:53");
	memcpy(h + 242, "DJI_LOG_V3", 10);
	kind(h, sizeof(h), "V3", "BUILD 2016.01.14 15:54:53");
	memset(h, 0, sizeof(h));
	memcpy(h, "LOGH", 4);
	kind(h, sizeof(h), "encrypted (LOGH)", NULL);
	/* DJI_LOG_V3 without BUILD: read as V3, with a warning about the header */
	{
		struct ct_flight f;

		memset(h, 0, sizeof(h));
		memcpy(h + 242, "DJI_LOG_V3", 10);
		assert_int_equal(parse(h, sizeof(h), &f), 1);
		expect_fact(&f, "log_version", "V3");
		assert_int_equal(f.nwarnings, 2);
		assert_non_null(strstr(f.warnings[0], "offset 16: DJI_LOG_V3 at 242 but no BUILD"));
		ct_flight_release(&f);
	}
}

/* The encrypted kind: identified with a warning, nothing decoded. */
static void
test_logh(void **state)
{
	struct ct_flight f;
	struct blob b;

	(void)state;
	b = gen("logh", "logh -s 3");
	assert_true(ct_djidat_probe(NULL, b.data, b.len) > 0);
	assert_int_equal(parse(b.data, b.len, &f), 1);
	expect_fact(&f, "log_version", "encrypted (LOGH)");
	expect_fact(&f, "records", NULL);
	assert_int_equal(f.npts, 0);
	assert_int_equal(f.has_home, 0);
	assert_int_equal(f.nwarnings, 1);
	assert_non_null(strstr(f.warnings[0], "the mark of the logs DJI encrypts"));
	ct_flight_release(&f);
	free(b.data);
}

/* Most records failing their CRC: not a DAT file this parser understands. */
static void
test_mostly_failing(void **state)
{
	struct ct_flight f;
	struct blob b;
	unsigned long long rec, bad;
	size_t k;

	(void)state;
	b = gen("bad", "v3 -s 13 -c 100000 -k 12");
	assert_int_equal(parse(b.data, b.len, &f), 1);
	rec = strtoull(ct_flight_get_fact(&f, "records"), NULL, 10);
	bad = strtoull(ct_flight_get_fact(&f, "crc_failures"), NULL, 10);
	expect_fact(&f, "records", "21");
	assert_true(bad > rec && rec > 0);
	assert_int_equal(f.npts, 0);
	assert_int_equal(f.has_home, 0);
	for (k = 0; k < f.nwarnings && !strstr(f.warnings[k], "not a DAT file this parser "
							    "understands; no points"); k++)
		;
	assert_true(k < f.nwarnings);
	/* 20 failures one by one, then the total */
	for (k = 0; k < f.nwarnings && !strstr(f.warnings[k], "records failed their CRC in all "
							    "(the first 20 listed)"); k++)
		;
	assert_true(k < f.nwarnings);
	assert_true(strtoull(f.warnings[k] + strlen("offset 256: "), NULL, 10) == bad);
	same_as_python("bad", &f, 1);
	ct_flight_release(&f);
	free(b.data);
}

/* Carving: the end of the last record whose CRC holds, whatever follows. */
static void
test_carve_end(void **state)
{
	struct ct_mem_input m;
	struct ct_input in;
	struct blob b;
	unsigned char *big;
	uint64_t end = 0;
	size_t i;

	(void)state;
	b = gen("carve", "v3 -s 14");
	big = malloc(b.len + 70000);
	assert_non_null(big);
	memcpy(big, b.data, b.len);
	/* zeros, then junk with 0x55 bytes in it, then zeros */
	memset(big + b.len, 0, 70000);
	for (i = 1000; i < 60000; i++)
		big[b.len + i] = (unsigned char)(i * 37 % 251 == 0 ? 0x55 : i * 7);
	m.data = big;
	m.len = b.len + 70000;
	ct_input_from_mem(&in, &m, NULL);
	assert_int_equal(ct_djidat_carve_end(&in, &end), 0);
	assert_int_equal(end, b.len);
	/* cut inside the last record: it ends at the one before */
	m.len = b.len - 5;
	ct_input_from_mem(&in, &m, NULL);
	assert_int_equal(ct_djidat_carve_end(&in, &end), 0);
	assert_true(end < b.len - 5 && end > b.len - 1100);
	/* only a header */
	m.len = 300;
	memset(big + 256, 0xa5, 44);
	ct_input_from_mem(&in, &m, NULL);
	assert_int_equal(ct_djidat_carve_end(&in, &end), 1);
	free(big);
	free(b.data);
}

static int
is_boundary(const struct blob *b, size_t cut)
{
	/* only a cut at a record's start or in padding needs no warning; the
	 * expect file knows record starts, but not padding: accept a cut
	 * where the next byte is 0x55 or 0 */
	return cut == b->len || cut < 128 || b->data[cut] == 0x55 || b->data[cut] == 0 ||
	       (cut > 0 && b->data[cut - 1] == 0);
}

/*
 * Truncation at every byte of the first 2 KiB, then every 97: never a
 * crash, never more points, a warning with an offset; bit flips: never a
 * crash, and as long as the header is intact, never more points.
 */
static void
test_hostile(void **state)
{
	struct ct_flight f;
	struct blob b;
	size_t npts, i;
	uint64_t s = 99;
	int rc;

	(void)state;
	b = gen("hostile", "v3 -s 15 -n 8");
	assert_int_equal(parse(b.data, b.len, &f), 0);
	npts = f.npts;
	ct_flight_release(&f);
	pt_truncations(&b, npts, parse, is_boundary);
	for (i = 0; i < 3000; i++) {
		size_t at;
		unsigned char bit;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		at = 256 + (size_t)((s >> 24) % (b.len - 256));	/* records only */
		bit = (unsigned char)(1u << ((s >> 16) & 7));
		b.data[at] ^= bit;
		rc = parse(b.data, b.len, &f);
		if (rc != 0 && rc != 1)
			fail_msg("flip at %zu: parse returned %d", at, rc);
		if (f.npts > npts)
			fail_msg("flip at %zu: %zu points > %zu", at, f.npts, npts);
		ct_flight_release(&f);
		b.data[at] ^= bit;
	}
	/* anywhere, header included: no crash */
	for (i = 0; i < 2000; i++) {
		size_t at;
		unsigned char bit;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		at = (size_t)((s >> 24) % b.len);
		bit = (unsigned char)(1u << ((s >> 16) & 7));
		b.data[at] ^= bit;
		rc = parse(b.data, b.len, &f);
		assert_true(rc == 0 || rc == 1);
		ct_flight_release(&f);
		b.data[at] ^= bit;
	}
	free(b.data);
}

/*
 * A record whose CRC fails is never decoded: flip one bit of the stored
 * CRC of a GPS record (its payload intact) and its point must go.
 */
static void
test_bad_crc_not_decoded(void **state)
{
	struct expect *e = malloc(sizeof(*e));
	struct ct_flight f;
	struct blob b;
	uint64_t off;
	size_t len, i;

	(void)state;
	assert_non_null(e);
	b = gen("crc", "v1 -s 16 -n 10");
	read_expect("crc", e);
	off = e->pts[10].off;
	len = b.data[off + 1] | (b.data[off + 2] & 3) << 8;
	b.data[off + len - 1] ^= 0x10;
	assert_int_equal(parse(b.data, b.len, &f), 0);
	expect_fact(&f, "crc_failures", "1");
	assert_int_equal(f.npts, e->npts - 1);
	for (i = 0; i < f.npts; i++)
		assert_true(f.pts[i].offset != off);
	assert_int_equal(f.pts[10].offset, e->pts[11].off);
	ct_flight_release(&f);
	free(b.data);
	free(e);
}

/*
 * Hostile: 8 MiB where every third byte starts a plausible 1022-byte
 * record whose CRC fails and whose length points nowhere.  Searching it
 * all would cost 340 CRC bytes per byte; the search budget (4 per byte) stops it.
 */
static void
test_search_budget(void **state)
{
	size_t n = 256 + (8u << 20), i, k;
	unsigned char *buf = malloc(n);
	struct ct_flight f;

	(void)state;
	assert_non_null(buf);
	memset(buf, 0, 256);
	memcpy(buf + 16, "BUILD", 5);
	memcpy(buf + 242, "DJI_LOG_V3", 10);
	for (i = 256; i < n; i++)
		buf[i] = (unsigned char)("\x55\xfe\x03"[(i - 256) % 3]);
	assert_int_equal(parse(buf, n, &f), 1);
	for (k = 0; k < f.nwarnings && !strstr(f.warnings[k], "too many damaged records"); k++)
		;
	assert_true(k < f.nwarnings);
	expect_fact(&f, "records", "0");
	assert_int_equal(f.npts, 0);
	ct_flight_release(&f);
	free(buf);
}

/* A read error is an error, not an empty log. */
static void
test_read_error(void **state)
{
	struct ct_input in = { "FLY001.DAT", 4096, pt_fail_read, NULL };
	struct ct_flight f;

	(void)state;
	ct_flight_init(&f, "dji-dat");
	assert_int_equal(ct_djidat_parse(&in, &f), -EIO);
	ct_flight_release(&f);
}

/* Garbage is not ours; a damaged FLY###.DAT is, weakly. */
static void
test_probe(void **state)
{
	unsigned char h[300];
	struct ct_flight f;

	(void)state;
	memset(h, 0xA5, sizeof(h));
	assert_int_equal(ct_djidat_probe("notes.txt", h, sizeof(h)), 0);
	assert_int_equal(ct_djidat_probe("FLY042.DAT", h, sizeof(h)), 15);
	assert_int_equal(parse(h, sizeof(h), &f), 1);
	assert_true(f.nwarnings == 1 && strstr(f.warnings[0], "offset 0:") != NULL);
	ct_flight_release(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_clock_facts),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_logh),
		cmocka_unit_test(test_clock_honesty),
		cmocka_unit_test(test_mostly_failing),
		cmocka_unit_test(test_carve_end),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_bad_crc_not_decoded),
		cmocka_unit_test(test_search_budget),
		cmocka_unit_test(test_read_error),
		cmocka_unit_test(test_probe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
