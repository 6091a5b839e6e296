/*
 * test_station_admit.c — which devices the station takes
 * (src/station/admit.c): each rule alone, on facts made by hand.  Safety
 * rules (mounted, system, swap, held, backing a loop, size) hold whatever
 * --allow says; loop devices and fixed disks need --allow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cardtrail/station.h"

/* An SD card in a native slot, 32 GiB: admitted by the defaults. */
static void
sd_card(struct ct_station_facts *f)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->name, "mmcblk0");
	f->size = 32ULL << 30;
	f->removable = 0;	/* mmc hosts say 0; the card type decides */
	f->mmc = 1;
	strcpy(f->mmc_type, "SD");
}

/* A card in a USB reader. */
static void
usb_reader(struct ct_station_facts *f)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->name, "sdb");
	f->size = 64ULL << 30;
	f->removable = 1;
	f->usb = 1;
}

static void
loop_dev(struct ct_station_facts *f, const char *name)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->name, name);
	f->size = 64u << 20;
	f->removable = 0;
	f->loop = 1;
}

/* admit with the default policy and the given patterns */
static int
admit(const struct ct_station_facts *f, const char *const *allow, size_t n, int *by_allow,
      char *why, size_t len)
{
	struct ct_station_policy p;

	ct_station_policy_init(&p);
	return ct_station_admit(&p, allow, n, f, by_allow, why, len);
}

static void
expect_refused(const struct ct_station_facts *f, const char *const *allow, size_t n,
	       const char *want)
{
	char why[512];
	int by_allow = -1, rc = admit(f, allow, n, &by_allow, why, sizeof(why));

	if (rc != 0)
		fail_msg("%s: admitted, expected refused: %s", f->name, want);
	if (strcmp(why, want))
		fail_msg("%s:\n  why      '%s'\n  expected '%s'", f->name, why, want);
	assert_int_equal(by_allow, 0);
}

static void
test_cards_by_default(void **state)
{
	struct ct_station_facts f;
	char why[512];
	int by_allow = -1;

	(void)state;
	sd_card(&f);
	assert_int_equal(admit(&f, NULL, 0, &by_allow, why, sizeof(why)), 1);
	assert_int_equal(by_allow, 0);
	usb_reader(&f);
	assert_int_equal(admit(&f, NULL, 0, &by_allow, why, sizeof(why)), 1);
	assert_int_equal(by_allow, 0);
	/* some other removable medium */
	memset(&f, 0, sizeof(f));
	strcpy(f.name, "sdc");
	f.size = 1u << 30;
	f.removable = 1;
	assert_int_equal(admit(&f, NULL, 0, &by_allow, why, sizeof(why)), 1);
}

static void
test_not_cards(void **state)
{
	struct ct_station_facts f;
	const char *allow_all[] = { "*" };

	(void)state;
	sd_card(&f);
	strcpy(f.mmc_type, "MMC");
	expect_refused(&f, NULL, 0, "mmcblk0: an SD/MMC device that is not an SD card (eMMC is the "
		       "system's own storage)");
	usb_reader(&f);
	f.removable = 0;
	expect_refused(&f, NULL, 0, "sdb: a USB disk, not a card reader (its media are not removable)");
	memset(&f, 0, sizeof(f));
	strcpy(f.name, "sda");
	f.size = 500ULL << 30;
	expect_refused(&f, NULL, 0, "sda: not a card the policy admits (admit: sd, usb or removable "
		       "media; --allow names others)");
	loop_dev(&f, "loop3");
	expect_refused(&f, NULL, 0, "loop3: a loop device (admitted only by --allow)");
	/* never cards, whatever --allow says */
	loop_dev(&f, "zram0");
	f.loop = 0;
	expect_refused(&f, allow_all, 1, "zram0: not a card (a RAM, device-mapper, RAID, optical, "
		       "network or NVMe device)");
	strcpy(f.name, "dm-0");
	expect_refused(&f, allow_all, 1, "dm-0: not a card (a RAM, device-mapper, RAID, optical, "
		       "network or NVMe device)");
	strcpy(f.name, "nvme0n1");
	expect_refused(&f, allow_all, 1, "nvme0n1: not a card (a RAM, device-mapper, RAID, optical, "
		       "network or NVMe device)");
}

static void
test_policy_classes(void **state)
{
	struct ct_station_policy p;
	struct ct_station_facts f;
	char why[512], err[512];
	int by_allow;

	(void)state;
	ct_station_policy_init(&p);
	assert_int_equal(ct_station_policy_parse("admit = usb", 11, "t", &p, err, sizeof(err)), 0);
	sd_card(&f);
	assert_int_equal(ct_station_admit(&p, NULL, 0, &f, &by_allow, why, sizeof(why)), 0);
	assert_string_equal(why, "mmcblk0: an SD card, and the policy does not admit sd");
	usb_reader(&f);
	assert_int_equal(ct_station_admit(&p, NULL, 0, &f, &by_allow, why, sizeof(why)), 1);
	ct_station_policy_init(&p);
	assert_int_equal(ct_station_policy_parse("admit = none", 12, "t", &p, err, sizeof(err)), 0);
	assert_int_equal(ct_station_admit(&p, NULL, 0, &f, &by_allow, why, sizeof(why)), 0);
}

static void
test_safety_beats_allow(void **state)
{
	static const char *const allow[] = { "loop2??", "/dev/sd*" };
	struct ct_station_facts f;

	(void)state;
	loop_dev(&f, "loop200");
	f.mounted = 1;
	expect_refused(&f, allow, 2, "loop200: a filesystem on it is mounted (the station never takes "
		       "a mounted card: unmount it, then insert it again)");
	usb_reader(&f);
	f.system = 1;
	expect_refused(&f, allow, 2, "sdb: holds the running system");
	usb_reader(&f);
	f.swap = 1;
	expect_refused(&f, allow, 2, "sdb: it (or a partition of it) is in use as swap");
	usb_reader(&f);
	f.holders = 1;
	expect_refused(&f, allow, 2, "sdb: a device-mapper or RAID device holds it");
	usb_reader(&f);
	f.loop_backing = 1;
	expect_refused(&f, allow, 2, "sdb: a loop device is backed by it");
	usb_reader(&f);
	f.size = 0;
	expect_refused(&f, allow, 2, "sdb: no medium");
	usb_reader(&f);
	f.size = 512 << 10;
	expect_refused(&f, allow, 2, "sdb: smaller than min-size (1.0 MiB)");
	usb_reader(&f);
	f.size = 4ULL << 40;
	expect_refused(&f, allow, 2, "sdb: larger than max-size (2.0 TiB)");
}

static void
test_allow_patterns(void **state)
{
	static const char *const allow[] = { "loop2[0-4][0-9]", "/dev/sdz" };
	struct ct_station_facts f;
	char why[512];
	int by_allow = 0;

	(void)state;
	loop_dev(&f, "loop200");
	assert_int_equal(admit(&f, allow, 2, &by_allow, why, sizeof(why)), 1);
	assert_int_equal(by_allow, 1);
	assert_string_equal(why, "");
	loop_dev(&f, "loop250");
	expect_refused(&f, allow, 2, "loop250: a loop device (admitted only by --allow)");
	loop_dev(&f, "loop20");
	expect_refused(&f, allow, 2, "loop20: a loop device (admitted only by --allow)");
	/* by its /dev path */
	memset(&f, 0, sizeof(f));
	strcpy(f.name, "sdz");
	f.size = 1u << 30;
	assert_int_equal(admit(&f, allow, 2, &by_allow, why, sizeof(why)), 1);
	assert_int_equal(by_allow, 1);
	/* a card the policy takes anyway is not "by allow": no --force for it */
	usb_reader(&f);
	strcpy(f.name, "sdz");
	assert_int_equal(admit(&f, allow, 2, &by_allow, why, sizeof(why)), 1);
	assert_int_equal(by_allow, 0);
}

static void
test_case_names(void **state)
{
	char buf[256], slug[80];

	(void)state;
	/* 2026-12-02 10:00 UTC */
	assert_int_equal(ct_station_case_name(1796205600, "sd1a2b3c4d", "mmcblk0",
					      "935f14ecd26f729e5981bb89", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-12-02-sd1a2b3c4d-935f14ec");
	assert_int_equal(ct_station_case_name(1796205600, "", "loop200", "935f14ecd26f", buf,
					      sizeof(buf)), 0);
	assert_string_equal(buf, "2026-12-02-loop200-935f14ec");
	/* nothing of the names leaves the cases folder */
	assert_int_equal(ct_station_case_name(1796205600, "../../etc", NULL, "ab", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-12-02-_._.._etc-00000000");
	assert_int_equal(ct_station_case_name(1796205600, "x", NULL, "935f14ec", buf, 10), -36);
	ct_station_slug("Patrol 2026-12-02 (north)", slug, sizeof(slug));
	assert_string_equal(slug, "patrol-2026-12-02-north");
	ct_station_slug("../..", slug, sizeof(slug));
	assert_string_equal(slug, "mission");
	ct_station_slug("Übung Süd", slug, sizeof(slug));
	assert_string_equal(slug, "bung-s-d");
}

static void
test_status_row(void **state)
{
	struct ct_station_row r;
	char line[256];

	(void)state;
	memset(&r, 0, sizeof(r));
	strcpy(r.reader, "loop200");
	strcpy(r.card, "2026-12-02-loop200-935f14ec");
	strcpy(r.step, "image");
	r.fraction = 0.5;
	r.rate = 100 << 20;
	r.eta = 75;
	ct_station_row_format(&r, line, sizeof(line));
	assert_string_equal(line, "loop200   2026-12-02-loop200-935f14ec        image       50% "
			    "100.0 MiB/s   1:15  ");
	r.fraction = -1;
	r.rate = 0;
	r.eta = -1;
	strcpy(r.step, "done");
	strcpy(r.result, "VERIFIED");
	ct_station_row_format(&r, line, sizeof(line));
	assert_string_equal(line, "loop200   2026-12-02-loop200-935f14ec        done                "
			    "                VERIFIED");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cards_by_default),
		cmocka_unit_test(test_not_cards),
		cmocka_unit_test(test_policy_classes),
		cmocka_unit_test(test_safety_beats_allow),
		cmocka_unit_test(test_allow_patterns),
		cmocka_unit_test(test_case_names),
		cmocka_unit_test(test_status_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
