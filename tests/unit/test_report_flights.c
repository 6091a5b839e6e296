/*
 * test_report_flights.c — which sources are one flight (ct_flights_group):
 * a DJI flight record with its subtitles and photos, two aircraft in the
 * air at once, a subtitle file between two aircraft, gaps, time bases that
 * cannot be compared, a deleted log and its carved copy, photos outside.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cardtrail/flight.h"
#include "cardtrail/report.h"

#define S(x) ((int64_t)(x) * 1000000)
#define T0 S(1716023520)	/* 2024-05-18T09:12:00Z */

static size_t
group(const struct ct_group_item *it, size_t n, int *g)
{
	size_t nf = 99;

	assert_int_equal(ct_flights_group(it, n, g, &nf), 0);
	return nf;
}

/* DJI TXT (serials), its SRT (none), two photos with the same serials: one flight. */
static void
test_dji_flight(void **state)
{
	const struct ct_group_item it[] = {
		{ T0, T0 + S(600), CT_TIME_UTC, "AIR1", "CAM1", 0, NULL, 0 },
		{ T0 + S(60), T0 + S(180), CT_TIME_UTC, NULL, NULL, 0, NULL, 0 },
		{ T0 + S(100), T0 + S(100), CT_TIME_UTC, "AIR1", "CAM1", 1, NULL, 0 },
		{ T0 + S(610), T0 + S(610), CT_TIME_UTC, "AIR1", "CAM1", 1, NULL, 0 },	/* 10 s after: touches */
	};
	int g[4];

	(void)state;
	assert_int_equal(group(it, 4, g), 1);
	assert_int_equal(g[0], 0);
	assert_int_equal(g[1], 0);
	assert_int_equal(g[2], 0);
	assert_int_equal(g[3], 0);
}

/* Two aircraft at once never merge; a subtitle file without serials joins
 * the one it overlaps longest, and photos follow their serials. */
static void
test_two_aircraft(void **state)
{
	const struct ct_group_item it[] = {
		{ T0, T0 + S(600), CT_TIME_UTC, "AIR1", NULL, 0, NULL, 0 },
		{ T0 + S(300), T0 + S(900), CT_TIME_UTC, "AIR2", NULL, 0, NULL, 0 },
		{ T0 + S(500), T0 + S(880), CT_TIME_UTC, NULL, NULL, 0, NULL, 0 },	/* 100 s with 1, 380 s with 2 */
		{ T0 + S(550), T0 + S(550), CT_TIME_UTC, "AIR1", NULL, 1, NULL, 0 },
		{ T0 + S(550), T0 + S(550), CT_TIME_UTC, "AIR2", NULL, 1, NULL, 0 },
		{ T0 + S(550), T0 + S(550), CT_TIME_UTC, "AIR3", NULL, 1, NULL, 0 },	/* nobody's */
	};
	int g[6];

	(void)state;
	assert_int_equal(group(it, 6, g), 2);
	assert_int_equal(g[0], 0);
	assert_int_equal(g[1], 1);
	assert_int_equal(g[2], 1);
	assert_int_equal(g[3], 0);
	assert_int_equal(g[4], 1);
	assert_int_equal(g[5], -1);
}

/* A chain through a source without serials must not join two aircraft. */
static void
test_no_bridge(void **state)
{
	const struct ct_group_item it[] = {
		{ T0, T0 + S(100), CT_TIME_UTC, "AIR1", NULL, 0, NULL, 0 },
		{ T0 + S(50), T0 + S(250), CT_TIME_UTC, NULL, NULL, 0, NULL, 0 },
		{ T0 + S(200), T0 + S(400), CT_TIME_UTC, "AIR2", NULL, 0, NULL, 0 },
	};
	int g[3];

	(void)state;
	assert_int_equal(group(it, 3, g), 2);
	assert_int_not_equal(g[0], g[2]);
	assert_true(g[1] == g[0] || g[1] == g[2]);
}

/* Gaps: 30 s still touch, 31 s do not; bases are never compared. */
static void
test_gaps_and_bases(void **state)
{
	const struct ct_group_item it[] = {
		{ T0, T0 + S(100), CT_TIME_UTC, "A", NULL, 0, NULL, 0 },
		{ T0 + S(130), T0 + S(200), CT_TIME_UTC, "A", NULL, 0, NULL, 0 },	/* 30 s gap */
		{ T0 + S(231), T0 + S(300), CT_TIME_UTC, "A", NULL, 0, NULL, 0 },	/* 31 s gap */
		{ T0, T0 + S(100), CT_TIME_LOCAL, "A", NULL, 0, NULL, 0 },		/* same numbers, local */
		{ S(0), S(9), CT_TIME_BOOT, NULL, NULL, 0, NULL, 0 },
		{ S(0), S(9), CT_TIME_BOOT, NULL, NULL, 0, NULL, 0 },
		{ T0 + S(50), T0 + S(50), CT_TIME_LOCAL, "A", NULL, 1, NULL, 0 },
	};
	int g[7];

	(void)state;
	assert_int_equal(group(it, 7, g), 5);
	assert_int_equal(g[0], g[1]);
	assert_int_not_equal(g[1], g[2]);
	assert_int_not_equal(g[0], g[3]);
	assert_int_not_equal(g[4], g[5]);	/* no absolute time: a flight each */
	assert_int_equal(g[6], g[3]);		/* the local photo with the local log */
	/* numbered by start (local times as if UTC), ties by the first item,
	 * those without an absolute time last */
	assert_int_equal(g[0], 0);
	assert_int_equal(g[3], 1);
	assert_int_equal(g[2], 2);
	assert_int_equal(g[4], 3);
	assert_int_equal(g[5], 4);
}

/* A deleted log and its carved copy (no serials, same times): one flight. */
static void
test_copies(void **state)
{
	const struct ct_group_item it[] = {
		{ T0, T0 + S(8), CT_TIME_UTC, NULL, NULL, 0, NULL, 0 },
		{ T0, T0 + S(8), CT_TIME_UTC, NULL, NULL, 0, NULL, 0 },
		{ T0 + S(3600), T0 + S(3608), CT_TIME_UTC, NULL, NULL, 0, NULL, 0 },
	};
	int g[3];

	(void)state;
	assert_int_equal(group(it, 3, g), 2);
	assert_int_equal(g[0], 0);
	assert_int_equal(g[1], 0);
	assert_int_equal(g[2], 1);
}

/* Different models never make one flight, even without serials; a family
 * code with alternatives ("Phantom 3 / Inspire 1") takes a name it lists,
 * and then stands for that name only. */
static void
test_models(void **state)
{
	const struct ct_group_item it[] = {
		{ T0, T0 + S(30), CT_TIME_UTC, NULL, NULL, 0, "Mavic Pro", 0 },
		{ T0, T0 + S(30), CT_TIME_UTC, NULL, NULL, 0, "Phantom 3 / Inspire 1", 0 },
		{ T0, T0 + S(30), CT_TIME_UTC, "03ZGEN0007", NULL, 0, "Phantom3Standard", 0 },
		{ T0 + S(5), T0 + S(20), CT_TIME_UTC, NULL, NULL, 0, "mavicpro", 0 },
		{ T0 + S(3600), T0 + S(3630), CT_TIME_UTC, NULL, NULL, 0, "Phantom 3 / Inspire 1", 0 },
		{ T0 + S(3600), T0 + S(3630), CT_TIME_UTC, NULL, NULL, 0, "Inspire1", 0 },
		{ T0 + S(3600), T0 + S(3630), CT_TIME_UTC, NULL, NULL, 0, "Phantom 3", 0 },
	};
	int g[7];

	(void)state;
	assert_int_equal(group(it, 7, g), 5);
	assert_int_not_equal(g[0], g[1]);
	assert_int_not_equal(g[0], g[2]);
	assert_int_not_equal(g[1], g[2]);	/* "Phantom 3" is not "Phantom3Standard" */
	assert_int_equal(g[3], g[0]);		/* case, spaces: the same model */
	assert_int_equal(g[4], g[5]);		/* Inspire 1 is one of the two */
	assert_int_not_equal(g[6], g[5]);	/* ... and then no Phantom 3 */
}

/* Two cards: only the same aircraft serial makes one flight of them; a
 * camera serial, no serial, or a photo of the other card do not. */
static void
test_cards(void **state)
{
	const struct ct_group_item it[] = {
		{ T0, T0 + S(30), CT_TIME_UTC, NULL, NULL, 0, "Mavic Pro", 0 },
		{ T0, T0 + S(30), CT_TIME_UTC, NULL, NULL, 0, "Mavic Pro", 1 },
		{ T0 + S(3600), T0 + S(3630), CT_TIME_UTC, "AIR1", "CAM1", 0, NULL, 0 },
		{ T0 + S(3600), T0 + S(3630), CT_TIME_UTC, "AIR1", NULL, 0, NULL, 1 },
		{ T0 + S(7200), T0 + S(7230), CT_TIME_UTC, NULL, "CAM2", 0, NULL, 0 },
		{ T0 + S(7200), T0 + S(7230), CT_TIME_UTC, NULL, "CAM2", 0, NULL, 1 },
		{ T0 + S(10), T0 + S(10), CT_TIME_UTC, NULL, NULL, 1, NULL, 2 },	/* photo, card 2 */
		{ T0 + S(3610), T0 + S(3610), CT_TIME_UTC, "AIR1", NULL, 1, NULL, 2 },
	};
	int g[8];

	(void)state;
	assert_int_equal(group(it, 8, g), 5);
	assert_int_not_equal(g[0], g[1]);
	assert_int_equal(g[2], g[3]);
	assert_int_not_equal(g[4], g[5]);
	assert_int_equal(g[6], -1);
	assert_int_equal(g[7], g[2]);
}

static void
test_empty(void **state)
{
	const struct ct_group_item it[] = {
		{ T0, T0, CT_TIME_UTC, "A", NULL, 1, NULL, 0 },
	};
	int g[1];
	size_t nf = 7;

	(void)state;
	assert_int_equal(ct_flights_group(it, 0, g, &nf), 0);
	assert_int_equal(nf, 0);
	assert_int_equal(group(it, 1, g), 0);
	assert_int_equal(g[0], -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dji_flight),
		cmocka_unit_test(test_two_aircraft),
		cmocka_unit_test(test_no_bridge),
		cmocka_unit_test(test_gaps_and_bases),
		cmocka_unit_test(test_copies),
		cmocka_unit_test(test_models),
		cmocka_unit_test(test_cards),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
