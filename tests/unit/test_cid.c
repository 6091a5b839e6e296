/*
 * test_cid.c — SD/MMC CID and CSD decoding against registers of real cards
 * published on the web, and ct_identity_get on a small MBR+FAT image.
 *
 * Test vectors (every CRC7 below was recomputed and matches the register,
 * which is good evidence the strings were copied from real cards):
 *
 * SD_GD4QT  1b534d474434515430c03055650125e9
 *   Samsung EVO Select 128GB, github.com/ironsheep/P2-uSD-FS,
 *   DOCs/cards/samsung-gd4qt-128gb.md: MID 0x1b, OID "SM", PNM "GD4QT",
 *   PRV 3.0, PSN 0xC0305565, MDT 2018-05, CRC7 0x74.  (The page gives the
 *   PSN in decimal as 3,224,646,005; 0xC0305565 is 3224393061.)
 *   Its CSD 400e00325b590003b9ff7f800a4040ab: CSD 2.0, C_SIZE 0x3B9FF
 *   (244223) -> 244224 * 512 KiB = 128043712512 bytes (250085376 sectors).
 *
 * SD_SS08G  03534453533038478019f5ed3500ec65
 *   SanDisk 8GB, example in a public Python CID decoder ("This program
 *   decodes the CID of a SD and microSD cards", found by the string
 *   "03534453533038478019f5ed3500ec65"): MID 0x03, OID "SD", PNM "SS08G",
 *   PRV 8.0, PSN 0x19f5ed35 (435547445), MDT 2014-12, CRC byte 0x65.
 *
 * SD_SC16G  0353445343313647806cb1100a011a00
 *   SanDisk 16GB in a pfSense/FreeBSD hardware report (README on GitHub,
 *   "CID: 0353445343313647806cb1100a011a00", "CSD:
 *   400e00325b59000076b27f800a404000", Serial 0x6cb1100a, Name SC16G).
 *   The host dropped the CRC byte (00): crc_ok must say "absent".
 *   CSD 2.0, C_SIZE 0x76B2 (30386) -> 30387 * 512 KiB = 15931539456 bytes.
 *
 * MMC_DV6DAB 150100445636444142025c10dc0d291f
 *   Samsung eMMC in a public mtkclient session log ("DAXFlash - EMMC ID:
 *   DV6DAB", "EMMC CID: 150100445636444142025c10dc0d291f"): MID 0x15,
 *   CBX 1 (BGA), OID 0x00, PNM "DV6DAB", PRV 0.2, PSN 0x5c10dc0d, MDT 0x29:
 *   month 2, year code 9 -> 2006 on the 1997 base (the kernel moves it to
 *   2022 when EXT_CSD_REV >= 5), CRC7 0x0f.
 *
 * CSD_KINGSTON_2G 002e00325b5a83a9ffffff8016800091
 *   Kingston 2GB SDSC, comment in flib/spi/sdcard.fs of
 *   github.com/dmrq70/forth-mecrisp (from jcw's embello): CSD 1.0,
 *   READ_BL_LEN 10, C_SIZE 3751, C_SIZE_MULT 7 ->
 *   3752 * 2^9 * 2^10 = 1967128576 bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/identity.h"

#define SD_GD4QT	"1b534d474434515430c03055650125e9"
#define SD_SS08G	"03534453533038478019f5ed3500ec65"
#define SD_SC16G	"0353445343313647806cb1100a011a00"
#define MMC_DV6DAB	"150100445636444142025c10dc0d291f"
#define CSD_GD4QT	"400e00325b590003b9ff7f800a4040ab"
#define CSD_SC16G	"400e00325b59000076b27f800a404000"
#define CSD_KINGSTON_2G	"002e00325b5a83a9ffffff8016800091"

static void
test_sd_cid_samsung(void **state)
{
	struct ct_cid c;

	(void)state;
	assert_int_equal(ct_cid_decode(SD_GD4QT, 0, &c), 0);
	assert_int_equal(c.mmc, 0);
	assert_int_equal(c.manfid, 0x1b);
	assert_string_equal(c.oemid, "SM");
	assert_string_equal(c.name, "GD4QT");
	assert_int_equal(c.rev_major, 3);
	assert_int_equal(c.rev_minor, 0);
	assert_int_equal(c.serial, 0xC0305565u);
	assert_int_equal(c.serial, 3224393061u);
	assert_int_equal(c.year, 2018);
	assert_int_equal(c.month, 5);
	assert_int_equal(c.crc, 0x74);
	assert_int_equal(c.crc_ok, 1);
}

static void
test_sd_cid_sandisk(void **state)
{
	struct ct_cid c;

	(void)state;
	assert_int_equal(ct_cid_decode(SD_SS08G, 0, &c), 0);
	assert_int_equal(c.manfid, 0x03);
	assert_string_equal(c.oemid, "SD");
	assert_string_equal(c.name, "SS08G");
	assert_int_equal(c.rev_major, 8);
	assert_int_equal(c.rev_minor, 0);
	assert_int_equal(c.serial, 435547445u);
	assert_int_equal(c.year, 2014);
	assert_int_equal(c.month, 12);
	assert_int_equal(c.crc, 0x65 >> 1);
	assert_int_equal(c.crc_ok, 1);
	/* upper-case hex is the same register */
	assert_int_equal(ct_cid_decode("03534453533038478019F5ED3500EC65", 0, &c), 0);
	assert_int_equal(c.serial, 0x19f5ed35u);
	assert_int_equal(c.crc_ok, 1);
}

static void
test_sd_cid_crc_absent(void **state)
{
	struct ct_cid c;

	(void)state;
	assert_int_equal(ct_cid_decode(SD_SC16G, 0, &c), 0);
	assert_string_equal(c.name, "SC16G");
	assert_int_equal(c.serial, 0x6cb1100au);
	assert_int_equal(c.year, 2017);
	assert_int_equal(c.month, 10);
	assert_int_equal(c.crc_ok, CT_CID_CRC_ABSENT);
}

static void
test_cid_crc_flip(void **state)
{
	char hex[] = SD_GD4QT;
	struct ct_cid c;

	(void)state;
	/* flip the lowest bit of the serial's last byte: 0x65 -> 0x64 */
	assert_int_equal(hex[25], '5');
	hex[25] = '4';
	assert_int_equal(ct_cid_decode(hex, 0, &c), 0);
	assert_int_equal(c.serial, 0xC0305564u);
	assert_int_equal(c.crc, 0x74);		/* stored CRC unchanged ... */
	assert_int_equal(c.crc_ok, 0);		/* ... and now wrong */

	/* a wrong CRC field over the right data */
	strcpy(hex, SD_GD4QT);
	hex[31] = 'b';				/* e9 -> eb: CRC7 0x75 */
	assert_int_equal(ct_cid_decode(hex, 0, &c), 0);
	assert_int_equal(c.crc, 0x75);
	assert_int_equal(c.crc_ok, 0);
}

static void
test_mmc_cid(void **state)
{
	struct ct_cid c;

	(void)state;
	assert_int_equal(ct_cid_decode(MMC_DV6DAB, 1, &c), 0);
	assert_int_equal(c.mmc, 1);
	assert_int_equal(c.manfid, 0x15);
	assert_string_equal(c.oemid, "0x00");
	assert_string_equal(c.name, "DV6DAB");
	assert_int_equal(c.rev_major, 0);
	assert_int_equal(c.rev_minor, 2);
	assert_int_equal(c.serial, 0x5c10dc0du);
	assert_int_equal(c.month, 2);
	assert_int_equal(c.year, 2006);
	assert_int_equal(c.crc, 0x0f);
	assert_int_equal(c.crc_ok, 1);

	/* the same bits read with the SD layout are different facts */
	assert_int_equal(ct_cid_decode(MMC_DV6DAB, 0, &c), 0);
	assert_string_not_equal(c.name, "DV6DAB");
}

static void
test_csd_v1(void **state)
{
	struct ct_csd s;

	(void)state;
	assert_int_equal(ct_csd_decode(CSD_KINGSTON_2G, &s), 0);
	assert_int_equal(s.structure, 0);
	assert_int_equal(s.capacity, 1967128576ull);
	assert_int_equal(s.perm_write_protect, 0);
	assert_int_equal(s.tmp_write_protect, 0);
}

static void
test_csd_v2(void **state)
{
	struct ct_csd s;
	char hex[] = CSD_GD4QT;

	(void)state;
	assert_int_equal(ct_csd_decode(CSD_GD4QT, &s), 0);
	assert_int_equal(s.structure, 1);
	assert_int_equal(s.capacity, 128043712512ull);
	assert_int_equal(s.capacity / 512, 250085376ull);
	assert_int_equal(s.perm_write_protect, 0);
	assert_int_equal(s.tmp_write_protect, 0);

	assert_int_equal(ct_csd_decode(CSD_SC16G, &s), 0);
	assert_int_equal(s.capacity, 15931539456ull);

	/* byte 14 (bits 15..8) 0x40 = COPY; 0x70 adds PERM (13) and TMP (12) */
	hex[28] = '7';
	assert_int_equal(ct_csd_decode(hex, &s), 0);
	assert_int_equal(s.perm_write_protect, 1);
	assert_int_equal(s.tmp_write_protect, 1);
	hex[28] = '5';
	assert_int_equal(ct_csd_decode(hex, &s), 0);
	assert_int_equal(s.perm_write_protect, 0);
	assert_int_equal(s.tmp_write_protect, 1);
}

static void
test_invalid(void **state)
{
	struct ct_cid c;
	struct ct_csd s;

	(void)state;
	assert_int_equal(ct_cid_decode("1b534d4744345154", 0, &c), -EINVAL);
	assert_int_equal(ct_cid_decode("", 0, &c), -EINVAL);
	assert_int_equal(ct_cid_decode(NULL, 0, &c), -EINVAL);
	assert_int_equal(ct_cid_decode("1b534d474434515430c03055650125eg", 0, &c), -EINVAL);
	assert_int_equal(ct_cid_decode(SD_GD4QT "0", 0, &c), -EINVAL);
	assert_int_equal(ct_cid_decode(" 1b534d474434515430c03055650125e", 0, &c), -EINVAL);
	assert_int_equal(ct_csd_decode("400e0032", &s), -EINVAL);
	assert_int_equal(ct_csd_decode("zz0e00325b590003b9ff7f800a4040ab", &s), -EINVAL);
	/* CSD_STRUCTURE 3 is reserved */
	assert_int_equal(ct_csd_decode("c00e00325b590003b9ff7f800a4040ab", &s), -EINVAL);
}

static void
test_manufacturer(void **state)
{
	(void)state;
	assert_string_equal(ct_sd_manufacturer(0x03), "SanDisk");
	assert_string_equal(ct_sd_manufacturer(0x1b), "Samsung");
	assert_string_equal(ct_sd_manufacturer(0x41), "Kingston");
	assert_null(ct_sd_manufacturer(0x00));
	assert_null(ct_sd_manufacturer(0xfe));
}

/* ---- ct_identity_get on an image file ---------------------------- */

struct tmp {
	char dir[64];
	char img[128];
};

static int
have(const char *tool)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "PATH=$PATH:/usr/sbin:/sbin command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static int
setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	strcpy(t->dir, "/tmp/ct-test-cid.XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	snprintf(t->img, sizeof(t->img), "%s/card.img", t->dir);
	*state = t;
	return 0;
}

static int
teardown_tmp(void **state)
{
	struct tmp *t = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static void
test_identity_mbr_fat(void **state)
{
	struct tmp *t = *state;
	struct json_object *id = NULL, *pt, *parts, *p, *fs, *fss, *v;
	char cmd[1024];

	if (!have("sfdisk") || !have("mkfs.fat")) {
		skip();
		return;
	}
	/* 8 MiB, one FAT partition at 1 MiB, fixed label-id and volume id */
	snprintf(cmd, sizeof(cmd),
	    "PATH=$PATH:/usr/sbin:/sbin; set -e; truncate -s 8M '%s'; "
	    "printf 'label: dos\\nlabel-id: 0x1234abcd\\nstart=2048, type=e\\n' | sfdisk -q '%s'; "
	    "mkfs.fat -n DRONE -i 1234ABCD --offset 2048 '%s' >/dev/null",
	    t->img, t->img, t->img);
	assert_int_equal(system(cmd), 0);

	assert_int_equal(ct_identity_get(t->img, &id), 0);
	assert_non_null(id);
	assert_string_equal(jstr(id, "kind"), "file");
	assert_string_equal(jstr(id, "path"), t->img);
	assert_string_equal(jstr(id, "name"), "card.img");
	assert_true(json_object_object_get_ex(id, "size", &v));
	assert_int_equal(json_object_get_int64(v), 8 * 1024 * 1024);
	assert_true(json_object_object_get_ex(id, "logical_sector_size", &v));
	assert_int_equal(json_object_get_int(v), 512);
	assert_true(json_object_object_get_ex(id, "sd", &v));
	assert_null(v);		/* an image has no card registers */
	assert_non_null(jstr(id, "card_serial_note"));

	assert_true(json_object_object_get_ex(id, "partition_table", &pt));
	assert_non_null(pt);
	assert_string_equal(jstr(pt, "type"), "dos");
	assert_string_equal(jstr(pt, "id"), "1234abcd");

	assert_true(json_object_object_get_ex(id, "partitions", &parts));
	assert_int_equal(json_object_array_length(parts), 1);
	p = json_object_array_get_idx(parts, 0);
	assert_true(json_object_object_get_ex(p, "number", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(p, "start", &v));
	assert_int_equal(json_object_get_int64(v), 1048576);
	assert_true(json_object_object_get_ex(p, "size", &v));
	assert_int_equal(json_object_get_int64(v), 7 * 1024 * 1024);
	assert_string_equal(jstr(p, "type"), "0x0e");
	assert_true(json_object_object_get_ex(p, "filesystem", &fs));
	assert_non_null(fs);
	assert_string_equal(jstr(fs, "type"), "vfat");
	assert_string_equal(jstr(fs, "label"), "DRONE");
	assert_string_equal(jstr(fs, "uuid"), "1234-ABCD");

	assert_true(json_object_object_get_ex(id, "filesystems", &fss));
	assert_int_equal(json_object_array_length(fss), 1);
	fs = json_object_array_get_idx(fss, 0);
	assert_string_equal(jstr(fs, "label"), "DRONE");
	assert_true(json_object_object_get_ex(fs, "offset", &v));
	assert_int_equal(json_object_get_int64(v), 1048576);

	assert_true(json_object_object_get_ex(id, "mounted", &v));
	assert_false(json_object_get_boolean(v));
	json_object_put(id);
}

static void
test_identity_superfloppy(void **state)
{
	struct tmp *t = *state;
	struct json_object *id = NULL, *v, *fss, *fs;
	char cmd[512];

	if (!have("mkfs.fat")) {
		skip();
		return;
	}
	snprintf(cmd, sizeof(cmd),
	    "PATH=$PATH:/usr/sbin:/sbin; rm -f '%s'; mkfs.fat -C -n SUPERFLOP -i 0badcafe '%s' 4096 >/dev/null",
	    t->img, t->img);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ct_identity_get(t->img, &id), 0);
	assert_true(json_object_object_get_ex(id, "size", &v));
	assert_int_equal(json_object_get_int64(v), 4096 * 1024);
	assert_true(json_object_object_get_ex(id, "partition_table", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(id, "partitions", &v));
	assert_int_equal(json_object_array_length(v), 0);
	assert_true(json_object_object_get_ex(id, "filesystems", &fss));
	assert_int_equal(json_object_array_length(fss), 1);
	fs = json_object_array_get_idx(fss, 0);
	assert_string_equal(jstr(fs, "type"), "vfat");
	assert_string_equal(jstr(fs, "label"), "SUPERFLOP");
	assert_string_equal(jstr(fs, "uuid"), "0BAD-CAFE");
	assert_true(json_object_object_get_ex(fs, "partition", &v));
	assert_null(v);
	json_object_put(id);
}

static void
test_identity_errors(void **state)
{
	struct tmp *t = *state;
	struct json_object *id = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/does-not-exist", t->dir);
	assert_int_equal(ct_identity_get(path, &id), -ENOENT);
	assert_null(id);
	assert_int_equal(ct_identity_get(t->dir, &id), -ENOTBLK);
	assert_int_equal(ct_identity_get(NULL, &id), -EINVAL);
}

static void
test_path_on_device(void **state)
{
	struct tmp *t = *state;
	struct stat st;
	char path[256];

	assert_int_equal(stat(t->dir, &st), 0);
	/* not there yet: judged by the nearest existing ancestor */
	snprintf(path, sizeof(path), "%s/case/E1.raw", t->dir);
	assert_int_equal(ct_path_on_device(path, st.st_dev), 1);
	/* a device number nothing lives on */
	assert_int_equal(ct_path_on_device(path, makedev(4095, 1048575)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sd_cid_samsung),
		cmocka_unit_test(test_sd_cid_sandisk),
		cmocka_unit_test(test_sd_cid_crc_absent),
		cmocka_unit_test(test_cid_crc_flip),
		cmocka_unit_test(test_mmc_cid),
		cmocka_unit_test(test_csd_v1),
		cmocka_unit_test(test_csd_v2),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_manufacturer),
		cmocka_unit_test_setup_teardown(test_identity_mbr_fat, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_identity_superfloppy, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_identity_errors, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_path_on_device, setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
