/*
 * identity.c — who a card is, as one JSON object: sysfs facts, the SD/MMC
 * CID and CSD when a native host shows them, the USB reader when it hides
 * them, libblkid's partitions and filesystems, and the mount state.
 *
 * Nothing here opens a device for writing: libblkid gets a descriptor we
 * opened O_RDONLY.  Facts we cannot read are JSON null, never guessed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include <blkid.h>
#include <json-c/json.h>

#include "cardtrail/identity.h"
#include "cardtrail/util.h"

static struct json_object *
jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

/* Add a string taking ownership of s (NULL gives JSON null). */
static void
add_str_free(struct json_object *o, const char *key, char *s)
{
	json_object_object_add(o, key, jstr(s));
	free(s);
}

/* Read DIR/ATTR (sysfs); NULL when missing or empty. */
static char *
sysattr(const char *dir, const char *attr)
{
	char path[PATH_MAX];
	char *s;

	if (ct_snprintf(path, sizeof(path), "%s/%s", dir, attr) < 0)
		return NULL;
	s = ct_read_text(path);
	if (s != NULL && *s == '\0') {
		free(s);
		s = NULL;
	}
	return s;
}

static int
sysattr_u64(const char *dir, const char *attr, uint64_t *v)
{
	char *s = sysattr(dir, attr), *end;
	int ret = -ENOENT;

	if (s != NULL) {
		errno = 0;
		*v = strtoull(s, &end, 0);
		ret = (errno == 0 && end != s && *end == '\0') ? 0 : -EINVAL;
	}
	free(s);
	return ret;
}

/* Integer attribute as JSON (null when unreadable). */
static struct json_object *
jattr_int(const char *dir, const char *attr)
{
	uint64_t v;

	return sysattr_u64(dir, attr, &v) == 0 ? json_object_new_int64((int64_t)v) : NULL;
}

/* 0/1 attribute as JSON bool (null when unreadable). */
static struct json_object *
jattr_bool(const char *dir, const char *attr)
{
	uint64_t v;

	return sysattr_u64(dir, attr, &v) == 0 ? json_object_new_boolean(v != 0) : NULL;
}

/* ---- transport and USB reader -------------------------------------- */

static const struct {
	const char *needle;
	const char *transport;
} transports[] = {
	/* order matters: an SD host behind USB is still "usb" for us */
	{ .needle = "/usb", .transport = "usb" },
	{ .needle = "/mmc_host/", .transport = "mmc" },
	{ .needle = "/mmc", .transport = "mmc" },
	{ .needle = "/nvme", .transport = "nvme" },
	{ .needle = "/ata", .transport = "sata" },
	{ .needle = "/virtio", .transport = "virtio" },
	{ .needle = "/virtual/block/loop", .transport = "loop" },
};

static const char *
transport_of(const char *real)
{
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(transports); i++)
		if (strstr(real, transports[i].needle) != NULL)
			return transports[i].transport;
	return NULL;
}

/* Walk up the resolved sysfs path to the first directory with idVendor. */
static struct json_object *
usb_reader(const char *real)
{
	char dir[PATH_MAX], *slash;
	struct json_object *u;
	char *vid;

	if (ct_snprintf(dir, sizeof(dir), "%s", real) < 0)
		return NULL;
	while ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (strcmp(dir, "/sys/devices") == 0)
			break;
		if ((vid = sysattr(dir, "idVendor")) == NULL)
			continue;
		if ((u = json_object_new_object()) == NULL) {
			free(vid);
			return NULL;
		}
		add_str_free(u, "vendor_id", vid);
		add_str_free(u, "product_id", sysattr(dir, "idProduct"));
		add_str_free(u, "manufacturer", sysattr(dir, "manufacturer"));
		add_str_free(u, "product", sysattr(dir, "product"));
		add_str_free(u, "serial", sysattr(dir, "serial"));
		return u;
	}
	return NULL;
}

/* ---- SD / MMC registers -------------------------------------------- */

static struct json_object *
sd_registers(const char *devdir)
{
	struct json_object *sd = NULL;
	struct ct_cid cid;
	struct ct_csd csd;
	char *cidhex, *csdhex = NULL, *type = NULL, *date = NULL;
	const char *man;
	char buf[64];
	int mmc;

	if ((cidhex = sysattr(devdir, "cid")) == NULL)
		return NULL;
	type = sysattr(devdir, "type");
	mmc = type != NULL && strcmp(type, "MMC") == 0;
	if (ct_cid_decode(cidhex, mmc, &cid) < 0)
		goto out;
	if ((sd = json_object_new_object()) == NULL)
		goto out;
	csdhex = sysattr(devdir, "csd");
	json_object_object_add(sd, "type", jstr(type));
	json_object_object_add(sd, "cid", jstr(cidhex));
	json_object_object_add(sd, "csd", jstr(csdhex));
	json_object_object_add(sd, "manfid", json_object_new_int((int)cid.manfid));
	man = mmc ? NULL : ct_sd_manufacturer(cid.manfid);
	json_object_object_add(sd, "manufacturer", jstr(man));
	json_object_object_add(sd, "oemid", json_object_new_string(cid.oemid));
	json_object_object_add(sd, "name", json_object_new_string(cid.name));
	snprintf(buf, sizeof(buf), "%u.%u", cid.rev_major, cid.rev_minor);
	json_object_object_add(sd, "revision", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "0x%08" PRIx32, cid.serial);
	json_object_object_add(sd, "serial", json_object_new_string(buf));
	json_object_object_add(sd, "serial_decimal", json_object_new_int64(cid.serial));
	/*
	 * For eMMC the kernel knows EXT_CSD_REV and so the right year base;
	 * its `date` attribute ("MM/YYYY") wins over our 1997-based decode.
	 */
	date = mmc ? sysattr(devdir, "date") : NULL;
	if (date != NULL && strlen(date) == 7 && date[2] == '/')
		snprintf(buf, sizeof(buf), "%.4s-%.2s", date + 3, date);
	else
		snprintf(buf, sizeof(buf), "%04u-%02u", cid.year, cid.month);
	json_object_object_add(sd, "manufactured", json_object_new_string(buf));
	json_object_object_add(sd, "crc_ok", cid.crc_ok == CT_CID_CRC_ABSENT ? NULL :
	    json_object_new_boolean(cid.crc_ok));
	if (!mmc && csdhex != NULL && ct_csd_decode(csdhex, &csd) == 0) {
		json_object_object_add(sd, "csd_capacity", json_object_new_int64((int64_t)csd.capacity));
		json_object_object_add(sd, "perm_write_protect", json_object_new_boolean(csd.perm_write_protect));
		json_object_object_add(sd, "tmp_write_protect", json_object_new_boolean(csd.tmp_write_protect));
	} else {
		/* MMC CSDs size cards through EXT_CSD; not decoded here */
		json_object_object_add(sd, "csd_capacity", NULL);
		json_object_object_add(sd, "perm_write_protect", NULL);
		json_object_object_add(sd, "tmp_write_protect", NULL);
	}
	add_str_free(sd, "scr", sysattr(devdir, "scr"));
out:
	free(cidhex);
	free(csdhex);
	free(type);
	free(date);
	return sd;
}

/* ---- libblkid -------------------------------------------------------- */

/* Superblock facts at [off, off+size) of fd, as {type,label,uuid} or NULL. */
static struct json_object *
probe_fs(int fd, uint64_t off, uint64_t size)
{
	struct json_object *fs = NULL;
	const char *v;
	blkid_probe pr;

	if ((pr = blkid_new_probe()) == NULL)
		return NULL;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)size) < 0)
		goto out;
	blkid_probe_enable_partitions(pr, 0);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
	    BLKID_SUBLKS_UUID | BLKID_SUBLKS_VERSION);
	if (blkid_do_safeprobe(pr) != 0)
		goto out;
	if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) < 0)
		goto out;
	if ((fs = json_object_new_object()) == NULL)
		goto out;
	json_object_object_add(fs, "type", json_object_new_string(v));
	json_object_object_add(fs, "label",
	    blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0 ? json_object_new_string(v) : NULL);
	json_object_object_add(fs, "uuid",
	    blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0 ? json_object_new_string(v) : NULL);
	json_object_object_add(fs, "version",
	    blkid_probe_lookup_value(pr, "VERSION", &v, NULL) == 0 ? json_object_new_string(v) : NULL);
out:
	blkid_free_probe(pr);
	return fs;
}

/* A filesystems[] entry: the fs object plus where it was found. */
static void
add_filesystem(struct json_object *list, struct json_object *fs, const char *device,
    int partno, uint64_t off)
{
	struct json_object *e = json_object_new_object();

	if (e == NULL)
		return;
	json_object_object_add(e, "device", jstr(device));
	json_object_object_add(e, "partition", partno > 0 ? json_object_new_int(partno) : NULL);
	json_object_object_add(e, "offset", json_object_new_int64((int64_t)off));
	json_object_object_add(e, "type", json_object_get(json_object_object_get(fs, "type")));
	json_object_object_add(e, "label", json_object_get(json_object_object_get(fs, "label")));
	json_object_object_add(e, "uuid", json_object_get(json_object_object_get(fs, "uuid")));
	json_object_array_add(list, e);
}

/* The device node of partition N of disk NAME when it exists, else NULL. */
static char *
partition_node(const char *sysname, int partno)
{
	char path[PATH_MAX];
	size_t len = strlen(sysname);
	int p = len > 0 && sysname[len - 1] >= '0' && sysname[len - 1] <= '9';

	if (sysname[0] == '\0' ||
	    ct_snprintf(path, sizeof(path), "/dev/%s%s%d", sysname, p ? "p" : "", partno) < 0)
		return NULL;
	return access(path, F_OK) == 0 ? strdup(path) : NULL;
}

/*
 * Partition table, partitions and filesystems of PATH (read-only).
 * sysname is the kernel name for block devices ("" for files).
 */
static int
probe_layout(struct json_object *id, const char *path, const char *probe_path, const char *sysname,
	     uint64_t size)
{
	struct json_object *parts = json_object_new_array();
	struct json_object *fss = json_object_new_array();
	struct json_object *fs;
	blkid_probe pr = NULL;
	blkid_partlist ls;
	blkid_parttable tab;
	int fd = -1, ret = 0, i, n;

	if (parts == NULL || fss == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	json_object_object_add(id, "partition_table", NULL);
	if (size == 0)
		goto out;	/* no medium: nothing to probe */
	if ((fd = open(probe_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		ret = -errno;
		goto out;
	}

	if ((fs = probe_fs(fd, 0, 0)) != NULL) {
		add_filesystem(fss, fs, path, 0, 0);
		json_object_put(fs);
	}

	if ((pr = blkid_new_probe()) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		ret = -EIO;
		goto out;
	}
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	if ((ls = blkid_probe_get_partitions(pr)) == NULL)
		goto out;	/* no partition table */
	if ((tab = blkid_partlist_get_table(ls)) != NULL) {
		struct json_object *t = json_object_new_object();

		if (t != NULL) {
			json_object_object_add(t, "type", jstr(blkid_parttable_get_type(tab)));
			json_object_object_add(t, "id", jstr(blkid_parttable_get_id(tab)));
			json_object_object_add(id, "partition_table", t);
		}
	}
	n = blkid_partlist_numof_partitions(ls);
	for (i = 0; i < n; i++) {
		blkid_partition par = blkid_partlist_get_partition(ls, i);
		struct json_object *p;
		uint64_t start, psize;
		const char *ts;
		char buf[32], *node;
		int partno;

		if (par == NULL || (p = json_object_new_object()) == NULL)
			continue;
		start = (uint64_t)blkid_partition_get_start(par) * 512;
		psize = (uint64_t)blkid_partition_get_size(par) * 512;
		partno = blkid_partition_get_partno(par);
		json_object_object_add(p, "number", json_object_new_int(partno));
		json_object_object_add(p, "start", json_object_new_int64((int64_t)start));
		json_object_object_add(p, "size", json_object_new_int64((int64_t)psize));
		if ((ts = blkid_partition_get_type_string(par)) != NULL) {
			json_object_object_add(p, "type", json_object_new_string(ts));
		} else {
			snprintf(buf, sizeof(buf), "0x%02x", (unsigned)blkid_partition_get_type(par));
			json_object_object_add(p, "type", json_object_new_string(buf));
		}
		json_object_object_add(p, "name", jstr(blkid_partition_get_name(par)));
		json_object_object_add(p, "uuid", jstr(blkid_partition_get_uuid(par)));
		/* extended-partition containers hold no filesystem of their own */
		fs = blkid_partition_is_extended(par) ? NULL : probe_fs(fd, start, psize);
		if (fs != NULL) {
			node = partition_node(sysname, partno);
			add_filesystem(fss, fs, node != NULL ? node : path, partno, start);
			free(node);
		}
		json_object_object_add(p, "filesystem", fs);
		json_object_array_add(parts, p);
	}
out:
	blkid_free_probe(pr);
	if (fd >= 0)
		close(fd);
	json_object_object_add(id, "partitions", parts);
	json_object_object_add(id, "filesystems", fss);
	if (ret < 0)
		json_object_object_add(id, "probe_error", json_object_new_string(strerror(-ret)));
	return 0;
}

/* ---- block devices ------------------------------------------------- */

static int
add_mounts(struct json_object *id, dev_t d)
{
	struct json_object *mounts = NULL;
	int n = 0, nrw = 0, ret;

	ret = ct_mount_state(d, &n, &nrw, &mounts);
	json_object_object_add(id, "mounted", ret == 0 ? json_object_new_boolean(n > 0) : NULL);
	json_object_object_add(id, "mounts", ret == 0 ? mounts : NULL);
	return ret;
}

/* The size of a loop device's backing file (a regular file), for what a
 * wipe can say it overwrote; null when it cannot be told. */
static void
backing_size(struct json_object *lo)
{
	const char *bf = NULL;
	struct json_object *v;
	struct stat st;

	if (json_object_object_get_ex(lo, "backing_file", &v))
		bf = json_object_get_string(v);
	json_object_object_add(lo, "backing_size", bf && stat(bf, &st) == 0 && S_ISREG(st.st_mode) ?
			       json_object_new_int64((int64_t)st.st_size) : NULL);
}

/*
 * Identity of block device SYSNAME (kernel name, e.g. "sdb1"), probed
 * through PATH.
 */
static int
identity_block(const char *sysname, const char *path, const char *probe_path, dev_t devno,
	       struct json_object **out)
{
	char cls[PATH_MAX], real[PATH_MAX], disk[PATH_MAX], devdir[PATH_MAX];
	struct json_object *id = NULL, *sd = NULL, *usb = NULL;
	const char *transport, *diskname;
	char *s;
	uint64_t sectors = 0, size;
	int ret, is_part;

	*out = NULL;
	if ((ret = ct_snprintf(cls, sizeof(cls), "/sys/class/block/%s", sysname)) < 0)
		goto out;
	if (realpath(cls, real) == NULL) {
		ret = -errno;
		goto out;
	}
	/* a partition's sysfs directory sits inside its disk's */
	if ((ret = ct_snprintf(disk, sizeof(disk), "%s/partition", real)) < 0)
		goto out;
	is_part = access(disk, F_OK) == 0;
	if ((ret = ct_snprintf(disk, sizeof(disk), "%s", real)) < 0)
		goto out;
	if (is_part) {
		char *slash = strrchr(disk, '/');

		if (slash != NULL)
			*slash = '\0';
	}
	diskname = strrchr(disk, '/') != NULL ? strrchr(disk, '/') + 1 : disk;
	if ((ret = ct_snprintf(devdir, sizeof(devdir), "%s/device", disk)) < 0)
		goto out;

	if ((id = json_object_new_object()) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	json_object_object_add(id, "path", json_object_new_string(path));
	json_object_object_add(id, "kind", json_object_new_string(
	    major(devno) == 7 || strncmp(diskname, "loop", 4) == 0 ? "loop" : "block"));
	json_object_object_add(id, "name", json_object_new_string(sysname));
	if (is_part) {
		char wpath[PATH_MAX];

		json_object_object_add(id, "whole_disk",
		    ct_snprintf(wpath, sizeof(wpath), "/dev/%s", diskname) == 0 ?
		    json_object_new_string(wpath) : NULL);
		json_object_object_add(id, "partition_number", jattr_int(real, "partition"));
		/* where it starts on its disk (sysfs: 512-byte units) */
		if (sysattr_u64(real, "start", &sectors) == 0)
			json_object_object_add(id, "partition_start",
					       json_object_new_int64((int64_t)(sectors * 512)));
		sectors = 0;
	}
	sysattr_u64(real, "size", &sectors);
	size = sectors * 512;	/* sysfs counts 512-byte units whatever the LBA size */
	json_object_object_add(id, "size", json_object_new_int64((int64_t)size));
	json_object_object_add(id, "removable", jattr_bool(disk, "removable"));
	transport = transport_of(real);
	json_object_object_add(id, "transport", jstr(transport));
	add_str_free(id, "vendor", sysattr(devdir, "vendor"));
	s = sysattr(devdir, "model");
	if (s == NULL)
		s = sysattr(devdir, "name");	/* SD/MMC: product name */
	add_str_free(id, "model", s);
	add_str_free(id, "serial", sysattr(devdir, "serial"));
	json_object_object_add(id, "ro", jattr_bool(real, "ro"));
	json_object_object_add(id, "force_ro", jattr_bool(disk, "force_ro"));
	json_object_object_add(id, "logical_sector_size", jattr_int(disk, "queue/logical_block_size"));
	json_object_object_add(id, "physical_sector_size", jattr_int(disk, "queue/physical_block_size"));

	sd = sd_registers(devdir);
	json_object_object_add(id, "sd", sd);
	usb = transport != NULL && strcmp(transport, "usb") == 0 ? usb_reader(real) : NULL;
	json_object_object_add(id, "usb", usb);
	if (sd != NULL)
		json_object_object_add(id, "card_serial_note", NULL);
	else if (usb != NULL || (transport != NULL && strcmp(transport, "usb") == 0))
		json_object_object_add(id, "card_serial_note", json_object_new_string(
		    "card serial not available: the USB reader hides the card's CID; "
		    "the reader's USB identity is recorded instead"));
	else if (strncmp(diskname, "loop", 4) == 0)
		json_object_object_add(id, "card_serial_note", json_object_new_string(
		    "card serial not available: loop device, not a card"));
	else
		json_object_object_add(id, "card_serial_note", json_object_new_string(
		    "card serial not available: no CID visible (not a native SD/MMC host)"));

	if (strncmp(diskname, "loop", 4) == 0) {
		struct json_object *lo = json_object_new_object();

		if (lo != NULL) {
			add_str_free(lo, "backing_file", sysattr(disk, "loop/backing_file"));
			json_object_object_add(lo, "offset", jattr_int(disk, "loop/offset"));
			json_object_object_add(lo, "sizelimit", jattr_int(disk, "loop/sizelimit"));
			json_object_object_add(lo, "read_only", jattr_bool(disk, "ro"));
			backing_size(lo);
		}
		json_object_object_add(id, "loop", lo);
	} else {
		json_object_object_add(id, "loop", NULL);
	}

	probe_layout(id, path, probe_path, sysname, size);
	add_mounts(id, devno);
	*out = id;
	id = NULL;
	ret = 0;
out:
	json_object_put(id);
	return ret;
}

/* Loop devices whose backing file is ST, and their mounts (image in use). */
static void
file_loops(struct json_object *id, const struct stat *st)
{
	struct json_object *loops = json_object_new_array();
	struct json_object *mounts = json_object_new_array();
	struct dirent *de;
	DIR *d;
	int any = 0;

	if (loops == NULL || mounts == NULL || (d = opendir("/sys/block")) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		char dir[PATH_MAX], *bf, *dv;
		struct json_object *m = NULL;
		struct stat bst;
		unsigned ma, mi;
		int n = 0, nrw = 0;
		size_t i;

		if (strncmp(de->d_name, "loop", 4) != 0 ||
		    ct_snprintf(dir, sizeof(dir), "/sys/block/%s", de->d_name) < 0)
			continue;
		if ((bf = sysattr(dir, "loop/backing_file")) == NULL)
			continue;
		if (stat(bf, &bst) == 0 && bst.st_dev == st->st_dev && bst.st_ino == st->st_ino) {
			char node[PATH_MAX];

			snprintf(node, sizeof(node), "/dev/%s", de->d_name);
			json_object_array_add(loops, json_object_new_string(node));
			dv = sysattr(dir, "dev");
			if (dv != NULL && sscanf(dv, "%u:%u", &ma, &mi) == 2 &&
			    ct_mount_state(makedev(ma, mi), &n, &nrw, &m) == 0) {
				for (i = 0; i < json_object_array_length(m); i++)
					json_object_array_add(mounts,
					    json_object_get(json_object_array_get_idx(m, i)));
				any |= n > 0;
			}
			json_object_put(m);
			free(dv);
		}
		free(bf);
	}
	closedir(d);
out:
	json_object_object_add(id, "loop_devices", loops);
	json_object_object_add(id, "mounted", json_object_new_boolean(any));
	json_object_object_add(id, "mounts", mounts);
}

static int
identity_file(const char *path, const struct stat *st, struct json_object **out)
{
	struct json_object *id;
	const char *base = strrchr(path, '/');

	*out = NULL;
	if ((id = json_object_new_object()) == NULL)
		return -ENOMEM;
	json_object_object_add(id, "path", json_object_new_string(path));
	json_object_object_add(id, "kind", json_object_new_string("file"));
	json_object_object_add(id, "name", json_object_new_string(base ? base + 1 : path));
	json_object_object_add(id, "size", json_object_new_int64((int64_t)st->st_size));
	json_object_object_add(id, "removable", NULL);
	json_object_object_add(id, "transport", NULL);
	json_object_object_add(id, "vendor", NULL);
	json_object_object_add(id, "model", NULL);
	json_object_object_add(id, "serial", NULL);
	json_object_object_add(id, "ro", json_object_new_boolean(access(path, W_OK) != 0));
	json_object_object_add(id, "force_ro", NULL);
	json_object_object_add(id, "logical_sector_size", json_object_new_int(512));
	json_object_object_add(id, "physical_sector_size", json_object_new_int(512));
	json_object_object_add(id, "sd", NULL);
	json_object_object_add(id, "usb", NULL);
	json_object_object_add(id, "card_serial_note", json_object_new_string(
	    "card serial not available: image file, no card registers"));
	json_object_object_add(id, "loop", NULL);
	probe_layout(id, path, path, "", (uint64_t)st->st_size);
	file_loops(id, st);
	*out = id;
	return 0;
}

int
ct_identity_get(const char *path, struct json_object **out)
{
	char cls[PATH_MAX], real[PATH_MAX];
	struct stat st;
	const char *name;
	int ret;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (path == NULL)
		return -EINVAL;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode))
		return identity_file(path, &st, out);
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	/* the kernel name of the device, whatever node or symlink PATH is */
	if ((ret = ct_snprintf(cls, sizeof(cls), "/sys/dev/block/%u:%u",
	    major(st.st_rdev), minor(st.st_rdev))) < 0)
		return ret;
	if (realpath(cls, real) == NULL)
		return -errno;
	name = strrchr(real, '/') + 1;
	return identity_block(name, path, path, st.st_rdev, out);
}

int
ct_identity_fd(int fd, const char *path, struct json_object **out)
{
	char cls[PATH_MAX], real[PATH_MAX], probe[64];
	struct stat st;
	int ret;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	if ((ret = ct_snprintf(cls, sizeof(cls), "/sys/dev/block/%u:%u", major(st.st_rdev),
			       minor(st.st_rdev))) < 0 ||
	    (ret = ct_snprintf(probe, sizeof(probe), "/proc/self/fd/%d", fd)) < 0)
		return ret;
	if (realpath(cls, real) == NULL)
		return -errno;
	/* libblkid reads through our own descriptor's inode, reopened without
	 * O_DIRECT: the same device, whatever the path names by now */
	return identity_block(strrchr(real, '/') + 1, path, probe, st.st_rdev, out);
}

/* Devices that can never be a card, by kernel name prefix. */
static const char *const skip_prefixes[] = {
	"ram", "zram", "dm-", "md", "sr", "nbd", "fd",
};

static int
skipped(const char *name)
{
	char path[PATH_MAX];
	size_t i;

	if (name[0] == '.')
		return 1;
	for (i = 0; i < CT_ARRAY_SIZE(skip_prefixes); i++)
		if (strncmp(name, skip_prefixes[i], strlen(skip_prefixes[i])) == 0)
			return 1;
	if (strncmp(name, "loop", 4) == 0) {
		/* unattached loop devices have no backing file */
		if (ct_snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", name) < 0)
			return 1;
		return access(path, F_OK) != 0;
	}
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

int
ct_devices_list(struct json_object **out)
{
	struct json_object *arr = NULL, *id;
	char **names = NULL, **tmp;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d = NULL;
	int ret = 0;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return -ENOMEM;
	if ((d = opendir("/sys/block")) == NULL) {
		ret = -errno;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (skipped(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((tmp = realloc(names, cap * sizeof(*names))) == NULL) {
				ret = -ENOMEM;
				goto out;
			}
			names = tmp;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		char dir[PATH_MAX], path[PATH_MAX], *dv;
		unsigned ma, mi;

		if (ct_snprintf(dir, sizeof(dir), "/sys/block/%s", names[i]) < 0 ||
		    ct_snprintf(path, sizeof(path), "/dev/%s", names[i]) < 0)
			continue;
		dv = sysattr(dir, "dev");
		if (dv == NULL || sscanf(dv, "%u:%u", &ma, &mi) != 2) {
			free(dv);
			continue;
		}
		free(dv);
		/* a device that vanished meanwhile is simply not listed */
		if (identity_block(names[i], path, path, makedev(ma, mi), &id) == 0)
			json_object_array_add(arr, id);
	}
	*out = arr;
	arr = NULL;
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	json_object_put(arr);
	return ret;
}
