/*
 * admit.c — which devices the station takes.  The facts come from sysfs,
 * /proc/self/mountinfo and /proc/swaps: a device the policy does not admit
 * is never opened, not even to read (another program may be about to open
 * it exclusively).  The decision is a pure function of the facts, so the
 * unit tests try every rule alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cardtrail/identity.h"
#include "cardtrail/station.h"
#include "cardtrail/util.h"

#define MAX_PARTS 256

/* /sys/block/NAME/ATTR as a number; -1 when unreadable. */
static long long
attr_num(const char *name, const char *attr)
{
	char path[PATH_MAX], *s, *end;
	long long v = -1;

	if (ct_snprintf(path, sizeof(path), "/sys/block/%s/%s", name, attr) < 0 ||
	    (s = ct_read_text(path)) == NULL)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		v = -1;
	free(s);
	return v;
}

static int
in_set(dev_t d, const dev_t *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == d)
			return 1;
	return 0;
}

/* Is a block device of set[] named in /proc/swaps? */
static int
swap_in(const dev_t *set, size_t n)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[PATH_MAX + 128], path[PATH_MAX];
	struct stat st;
	int found = 0;

	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL) {	/* the header */
		fclose(f);
		return 0;
	}
	while (!found && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%4095s", path) == 1 && stat(path, &st) == 0 && S_ISBLK(st.st_mode))
			found = in_set(st.st_rdev, set, n);
	fclose(f);
	return found;
}

/* How many devices hold any of set[] (device-mapper, RAID). */
static int
holders_of(const dev_t *set, size_t n)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t i;
	int count = 0;

	for (i = 0; i < n; i++) {
		DIR *d;

		if (ct_snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders", major(set[i]),
				minor(set[i])) < 0 || (d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				count++;
		closedir(d);
	}
	return count;
}

/* Does a loop device have one of set[] as its backing device? */
static int
backs_loop(const dev_t *set, size_t n)
{
	struct dirent *de;
	DIR *d = opendir("/sys/block");
	int found = 0;

	if (d == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		char path[PATH_MAX], *bf;
		struct stat st;

		if (strncmp(de->d_name, "loop", 4) ||
		    ct_snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", de->d_name) < 0 ||
		    (bf = ct_read_text(path)) == NULL)
			continue;
		if (stat(bf, &st) == 0 && S_ISBLK(st.st_mode))
			found = in_set(st.st_rdev, set, n);
		free(bf);
	}
	closedir(d);
	return found;
}

/* Where the card sits: the reader's sysfs path (an SD host, not the card
 * on it, whose address changes with every card). */
static void
reader_path(const char *name, int mmc, char *out, size_t len)
{
	char link[PATH_MAX], real[PATH_MAX], *slash;

	out[0] = '\0';
	if (ct_snprintf(link, sizeof(link), "/sys/block/%s/device", name) < 0 ||
	    realpath(link, real) == NULL) {
		snprintf(out, len, "%s", name);	/* a loop device: its name */
		return;
	}
	if (mmc && (slash = strrchr(real, '/')) != NULL && slash != real)
		*slash = '\0';
	snprintf(out, len, "%s", real);
}

int
ct_station_facts_read(const char *name, struct ct_station_facts *f)
{
	char path[PATH_MAX], real[PATH_MAX], *s;
	dev_t parts[MAX_PARTS];
	unsigned ma, mi;
	size_t np = 0;
	long long v;
	int mounted = 0, rw = 0;

	memset(f, 0, sizeof(*f));
	f->removable = -1;
	if (ct_snprintf(f->name, sizeof(f->name), "%s", name) < 0 ||
	    ct_snprintf(path, sizeof(path), "/sys/block/%s", name) < 0)
		return -ENAMETOOLONG;
	if (realpath(path, real) == NULL)
		return -errno;
	if (ct_snprintf(path, sizeof(path), "/sys/block/%s/dev", name) < 0)
		return -ENAMETOOLONG;
	if ((s = ct_read_text(path)) == NULL)
		return -ENOENT;
	if (sscanf(s, "%u:%u", &ma, &mi) != 2) {
		free(s);
		return -EINVAL;
	}
	free(s);
	f->devno = makedev(ma, mi);
	v = attr_num(name, "size");
	f->size = v > 0 ? (uint64_t)v * 512 : 0;	/* 512-byte units whatever the LBA size */
	f->removable = (int)attr_num(name, "removable");
	f->ro = attr_num(name, "ro") == 1;
	/* an SD host behind USB is a USB reader */
	f->usb = strstr(real, "/usb") != NULL;
	f->mmc = !f->usb && strstr(real, "/mmc") != NULL;
	f->loop = ma == 7 || strncmp(name, "loop", 4) == 0;
	if (f->mmc && ct_snprintf(path, sizeof(path), "/sys/block/%s/device/type", name) == 0 &&
	    (s = ct_read_text(path)) != NULL) {
		snprintf(f->mmc_type, sizeof(f->mmc_type), "%s", s);
		free(s);
	}
	reader_path(name, f->mmc, f->reader, sizeof(f->reader));
	if (ct_mount_state(f->devno, &mounted, &rw, NULL) < 0)
		mounted = 1;	/* cannot tell: take it as mounted */
	f->mounted = mounted;
	f->system = ct_path_on_device("/", f->devno) != 0;
	if (ct_dev_partitions(f->devno, parts, MAX_PARTS, &np) < 0) {
		parts[0] = f->devno;
		np = 1;
	}
	f->swap = swap_in(parts, np);
	f->holders = holders_of(parts, np);
	f->loop_backing = backs_loop(parts, np);
	return 0;
}

/* Kernel names that are never a card. */
static const char *const never[] = { "ram", "zram", "dm-", "md", "sr", "nbd", "fd", "nvme" };

static int
refuse(char *why, size_t len, const char *fmt, const char *a)
{
	snprintf(why, len, fmt, a);
	return 0;
}

/* The safety rules: no --allow overrides them. */
static int
safe(const struct ct_station_policy *p, const struct ct_station_facts *f, char *why, size_t len)
{
	char hs[32];
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(never); i++)
		if (!strncmp(f->name, never[i], strlen(never[i])))
			return refuse(why, len, "%s: not a card (a RAM, device-mapper, RAID, optical, "
				      "network or NVMe device)", f->name);
	if (f->size == 0)
		return refuse(why, len, "%s: no medium", f->name);
	if (f->system)
		return refuse(why, len, "%s: holds the running system", f->name);
	if (f->mounted)
		return refuse(why, len, "%s: a filesystem on it is mounted (the station never takes "
			      "a mounted card: unmount it, then insert it again)", f->name);
	if (f->swap)
		return refuse(why, len, "%s: it (or a partition of it) is in use as swap", f->name);
	if (f->holders)
		return refuse(why, len, "%s: a device-mapper or RAID device holds it", f->name);
	if (f->loop_backing)
		return refuse(why, len, "%s: a loop device is backed by it", f->name);
	if (f->size < p->min_size) {
		ct_human_size(p->min_size, hs, sizeof(hs));
		snprintf(why, len, "%s: smaller than min-size (%s)", f->name, hs);
		return 0;
	}
	if (f->size > p->max_size) {
		ct_human_size(p->max_size, hs, sizeof(hs));
		snprintf(why, len, "%s: larger than max-size (%s)", f->name, hs);
		return 0;
	}
	return 1;
}

/* Is it a card by the policy's classes?  why says why not. */
static int
card_class(const struct ct_station_policy *p, const struct ct_station_facts *f, char *why,
	   size_t len)
{
	if (f->loop)
		return refuse(why, len, "%s: a loop device (admitted only by --allow)", f->name);
	if (f->mmc) {
		if (strcmp(f->mmc_type, "SD"))
			return refuse(why, len, "%s: an SD/MMC device that is not an SD card (eMMC "
				      "is the system's own storage)", f->name);
		if (!(p->admit & CT_ADMIT_SD))
			return refuse(why, len, "%s: an SD card, and the policy does not admit sd",
				      f->name);
		return 1;
	}
	if (f->usb) {
		if (f->removable != 1)
			return refuse(why, len, "%s: a USB disk, not a card reader (its media are "
				      "not removable)", f->name);
		if (p->admit & CT_ADMIT_USB)
			return 1;
	}
	if (f->removable == 1 && (p->admit & CT_ADMIT_REMOVABLE))
		return 1;
	return refuse(why, len, "%s: not a card the policy admits (admit: sd, usb or removable "
		      "media; --allow names others)", f->name);
}

static int
allowed(const char *const *allow, size_t nallow, const char *name)
{
	char dev[128];
	size_t i;

	snprintf(dev, sizeof(dev), "/dev/%s", name);
	for (i = 0; i < nallow; i++)
		if (fnmatch(allow[i], name, 0) == 0 || fnmatch(allow[i], dev, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

int
ct_station_admit(const struct ct_station_policy *p, const char *const *allow, size_t nallow,
		 const struct ct_station_facts *f, int *by_allow, char *why, size_t whylen)
{
	*by_allow = 0;
	why[0] = '\0';
	if (!safe(p, f, why, whylen))
		return 0;
	if (card_class(p, f, why, whylen))
		return 1;
	if (allowed(allow, nallow, f->name)) {
		*by_allow = 1;
		why[0] = '\0';
		return 1;
	}
	return 0;
}
