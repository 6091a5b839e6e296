/*
 * identity.h — who a card is: sysfs attributes, SD/MMC CID and CSD,
 * the USB reader behind it, libblkid's view of its partitions and
 * filesystems, and whether anything on it is mounted.
 *
 * Identities are JSON objects (json-c) so the acquisition record, the
 * `devices` listing and (later) the wipe certificate carry the same fields.
 */
#ifndef CARDTRAIL_IDENTITY_H
#define CARDTRAIL_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;

/* SD / MMC card identification register, decoded. */
struct ct_cid {
	int mmc;		/* 1 if decoded as MMC (JEDEC) rather than SD */
	unsigned manfid;	/* MID */
	char oemid[8];		/* OID: 2 ASCII chars for SD; hex for MMC */
	char name[8];		/* PNM: 5 chars (SD) or 6 (MMC) */
	unsigned rev_major, rev_minor;	/* PRV as n.m */
	uint32_t serial;	/* PSN */
	unsigned year, month;	/* MDT */
	unsigned crc;		/* CRC7 as stored */
	int crc_ok;		/* CRC7 recomputed over bits 127..8 matches */
};

/*
 * Value of ct_cid.crc_ok when the register's last byte is 0x00: the host
 * controller did not pass the CRC on (SDHCI hosts strip it), so there is
 * nothing to check.  crc_ok is otherwise 1 (matches) or 0 (does not).
 */
#define CT_CID_CRC_ABSENT (-1)

/* Card-specific data register, the parts an examiner needs. */
struct ct_csd {
	unsigned structure;	/* 0 = v1.0 (SDSC), 1 = v2.0 (SDHC/SDXC), 2 = v3.0 (SDUC) */
	uint64_t capacity;	/* bytes, from C_SIZE (and C_SIZE_MULT, READ_BL_LEN) */
	int perm_write_protect;	/* PERM_WRITE_PROTECT */
	int tmp_write_protect;	/* TMP_WRITE_PROTECT */
};

/*
 * Decode a 32-hex-digit register string as found in
 * /sys/block/mmcblkN/device/cid and .../csd.  -EINVAL if the string is not
 * 32 hex digits.  ct_cid_decode uses the SD layout unless mmc is non-zero.
 */
int ct_cid_decode(const char *hex, int mmc, struct ct_cid *out);
int ct_csd_decode(const char *hex, struct ct_csd *out);

/* Manufacturer name for an SD MID when it is well known, else NULL. */
const char *ct_sd_manufacturer(unsigned manfid);

/*
 * Identity of PATH (block device or regular file) as a new JSON object:
 *   path, kind ("block" | "loop" | "file"), name, size, removable,
 *   transport ("mmc" | "usb" | "sata" | "nvme" | "virtio" | "loop" | null),
 *   vendor, model, serial, ro, force_ro, logical_sector_size,
 *   physical_sector_size,
 *   sd: {cid, csd, manfid, manufacturer, oemid, name, revision, serial,
 *        manufactured ("YYYY-MM"), crc_ok, csd_capacity, perm_write_protect,
 *        tmp_write_protect} or null when the CID is not visible,
 *   usb: {vendor_id, product_id, manufacturer, product, serial} or null,
 *   card_serial_note: text saying when the card's own serial was not
 *        available (behind a USB reader),
 *   loop: {backing_file} (loop devices),
 *   partition_table: {type, id} or null,
 *   partitions: [{number, start, size, type, filesystem}],
 *   filesystems: [{device, type, label, uuid}] (whole device and partitions),
 *   mounted: bool, mounts: [{device, mountpoint, fstype, rw}]
 * Missing facts are null, never guessed.  Returns 0 or -errno.
 */
int ct_identity_get(const char *path, struct json_object **out);

/*
 * The same for the block device open on fd: its number from fstat (the
 * sysfs facts of /sys/dev/block/MAJ:MIN), its layout read through the
 * descriptor's own inode.  PATH is only what "path" says.  Whatever PATH
 * names by now, these are the facts of the device fd holds.  -ENOTBLK for
 * anything but a block device.
 */
int ct_identity_fd(int fd, const char *path, struct json_object **out);

/*
 * Every block device a card could be (mmcblk*, sd*, loop* with a backing
 * file; not partitions, ram, zram, dm or md), each as ct_identity_get
 * describes, in a new JSON array.
 */
int ct_devices_list(struct json_object **out);

/*
 * Mount state of a whole device and its partitions (by device number,
 * read from /proc/self/mountinfo and /sys/dev/block/M:m/).  *mounted and
 * *mounted_rw count mounts; mounts (may be NULL) gets a new JSON array.
 */
int ct_mount_state(dev_t whole, int *mounted, int *mounted_rw, struct json_object **mounts);

/*
 * 1 if PATH lives on a filesystem stored on block device WHOLE or one of its
 * partitions (or on a loop device backed by a file that does), 0 if not,
 * -errno on error.
 */
int ct_path_on_device(const char *path, dev_t whole);

/* 1 if d is one of set[n]. */
int ct_devno_in(dev_t d, const dev_t *set, size_t n);

/*
 * Device numbers of WHOLE and of its partitions (from /sys/dev/block/M:m/),
 * WHOLE first, at most max.  Returns 0 or -errno.
 */
int ct_dev_partitions(dev_t whole, dev_t *devs, size_t max, size_t *n);

#endif
