/*
 * safety.c — may we write to this device?  Every check looks at the device
 * the wipe holds open (its number from fstat), never at a path looked up
 * again: not mounted (nor a partition of it), not the running system, not
 * swap, not held by device-mapper/RAID, not the backing of a loop device,
 * not read-only, and a removable card unless --force.  Each refusal says
 * why; nothing has been written when one happens.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <json-c/json.h>

#include "cardtrail/identity.h"
#include "cardtrail/util.h"
#include "wipe/internal.h"

#define MAX_PARTS 256

static int
sys_attr_exists(dev_t d, const char *attr)
{
	char path[PATH_MAX];
	struct stat st;

	if (ct_snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s", major(d), minor(d), attr) < 0)
		return 0;
	return stat(path, &st) == 0;
}

static int
holders_count(dev_t d)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	if (ct_snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders", major(d), minor(d)) < 0 ||
	    (dir = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* Is any of devs[] a swap device? */
static int
is_swap(const dev_t *devs, size_t n)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[512];
	int found = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char name[400];
		struct stat st;

		if (sscanf(line, "%399s", name) != 1 || name[0] != '/')
			continue;
		if (stat(name, &st) == 0 && S_ISBLK(st.st_mode) && ct_devno_in(st.st_rdev, devs, n))
			found = 1;
	}
	fclose(f);
	return found;
}

/* Read DIR/NAME (a sysfs attribute), NULL when there is none. */
static char *
attr(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (ct_snprintf(path, sizeof(path), "%s/%s", dir, name) < 0)
		return NULL;
	return ct_read_text(path);
}

/* Where the loop device of sysfs folder dir is mounted: "" or " and
 * mounted read-write at /mnt/x". */
static void
loop_mounts(const char *dir, char *out, size_t len)
{
	struct json_object *mounts = NULL;
	char *dv = attr(dir, "dev");
	unsigned ma, mi;
	int n = 0, nrw = 0;

	out[0] = '\0';
	if (dv != NULL && sscanf(dv, "%u:%u", &ma, &mi) == 2 &&
	    ct_mount_state(makedev(ma, mi), &n, &nrw, &mounts) == 0 && n > 0) {
		struct json_object *m = json_object_array_get_idx(mounts, 0);
		snprintf(out, len, " and mounted %s at %s%s",
			 json_object_get_boolean(ct_json_get(m, "rw")) ? "read-write" : "read-only",
			 ct_json_str(m, "mountpoint", "?"), n > 1 ? " (and elsewhere)" : "");
	}
	json_object_put(mounts);
	free(dv);
}

int
wipe_loop_users(const char *sysblock, const dev_t *devs, size_t n, char *msg, size_t len)
{
	struct dirent *de;
	DIR *d;
	int found = 0;

	if ((d = opendir(sysblock)) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while (!found && (de = readdir(d)) != NULL) {
		char dir[PATH_MAX], where[600], *bf, *off, *del;
		struct stat st;

		if (strncmp(de->d_name, "loop", 4) != 0 ||
		    ct_snprintf(dir, sizeof(dir), "%s/%s", sysblock, de->d_name) < 0 ||
		    (bf = attr(dir, "loop/backing_file")) == NULL)
			continue;
		/* the kernel appends " (deleted)" to a file that is gone */
		if ((del = strstr(bf, " (deleted)")) != NULL && del[10] == '\0')
			*del = '\0';
		if (stat(bf, &st) == 0 &&
		    ((S_ISBLK(st.st_mode) && ct_devno_in(st.st_rdev, devs, n)) ||
		     (S_ISREG(st.st_mode) && ct_devno_in(st.st_dev, devs, n)))) {
			found = 1;
			off = attr(dir, "loop/offset");
			loop_mounts(dir, where, sizeof(where));
			snprintf(msg, len, "/dev/%s is a loop device over %s%s%s%s%s", de->d_name, bf,
				 S_ISREG(st.st_mode) ? " (a file on it)" : "",
				 off && strcmp(off, "0") ? " at offset " : "", off && strcmp(off, "0") ? off : "",
				 where);
			free(off);
		}
		free(bf);
	}
	closedir(d);
	return found;
}

/* "a; b": one more reason (a reason that does not fit is left out whole). */
static void
add_reason(char *why, size_t len, const char *reason)
{
	size_t l = strlen(why);

	if (l + 2 + strlen(reason) < len)
		snprintf(why + l, len - l, "%s%s", l ? "; " : "", reason);
}

int
wipe_read_only(struct wipe *w, char *why, size_t len)
{
	struct json_object *sd = ct_json_get(w->ident, "sd");
	int ro = ct_dev_get_ro(&w->dev);

	why[0] = '\0';
	if (ro < 0)
		return ro;
	/* every reason that holds */
	/* sysfs ro and BLKROGET say the same flag; who set it they cannot */
	if (ro > 0 || json_object_get_boolean(ct_json_get(w->ident, "ro")))
		add_reason(why, len, "the kernel marks it read-only (BLKROGET, sysfs ro): the card's "
			   "lock switch, the reader's write protection, or blockdev --setro");
	if (json_object_get_boolean(ct_json_get(w->ident, "force_ro")))
		add_reason(why, len, "force_ro is set");
	if (json_object_get_boolean(ct_json_get(sd, "perm_write_protect")))
		add_reason(why, len, "the card's CSD says permanently write-protected");
	if (json_object_get_boolean(ct_json_get(sd, "tmp_write_protect")))
		add_reason(why, len, "the card's CSD says temporarily write-protected");
	return why[0] != '\0';
}

/* A removable card, an SD card in an SD slot; eMMC (type "MMC") is
 * soldered-in system storage and SDIO is not storage. */
static int
removable_card(struct wipe *w)
{
	const char *transport = ct_json_str(w->ident, "transport", NULL);
	struct json_object *rem = ct_json_get(w->ident, "removable");

	if (transport && !strcmp(transport, "mmc")) {
		const char *type = ct_json_str(ct_json_get(w->ident, "sd"), "type", NULL);
		if (type == NULL || strcmp(type, "SD"))
			return wipe_err(w, -EPERM, "'%s' is not a removable card (transport mmc, type "
					"%s: eMMC or not an SD card): refusing unless --force",
					w->o->device, type ? type : "unknown");
		return 0;
	}
	if (!(rem && json_object_get_boolean(rem)))
		return wipe_err(w, -EPERM, "'%s' is not a removable card (transport %s%s): refusing "
				"unless --force", w->o->device, transport ? transport : "unknown",
				transport && !strcmp(transport, "usb") ?
				", not removable: a USB disk, not a card reader" : "");
	return 0;
}

int
wipe_safety(struct wipe *w)
{
	dev_t parts[MAX_PARTS];
	size_t np = 0, i;
	int mounted = 0, rw = 0, ret;
	char why[600];

	if (w->dev.kind != CT_DEV_BLOCK)
		return wipe_err(w, -ENOTBLK, "'%s' is not a block device: cardtrail wipes cards, not "
				"files", w->o->device);
	if (sys_attr_exists(w->dev.rdev, "partition") && !w->o->force)
		return wipe_err(w, -EINVAL, "'%s' is a partition: name the whole card (or --force)",
				w->o->device);
	if ((ret = ct_mount_state(w->dev.rdev, &mounted, &rw, NULL)) < 0)
		return wipe_err(w, ret, "cannot tell whether '%s' is mounted: %s", w->o->device,
				strerror(-ret));
	if (mounted > 0)
		return wipe_err(w, -EBUSY, "'%s' (or a partition of it) is mounted: unmount it first",
				w->o->device);
	if (ct_path_on_device("/", w->dev.rdev) > 0)
		return wipe_err(w, -EBUSY, "'%s' holds the running system", w->o->device);
	if (ct_dev_partitions(w->dev.rdev, parts, CT_ARRAY_SIZE(parts), &np) < 0 || np == 0)
		np = 1, parts[0] = w->dev.rdev;
	if (is_swap(parts, np))
		return wipe_err(w, -EBUSY, "'%s' (or a partition of it) is in use as swap", w->o->device);
	for (i = 0; i < np; i++)
		if (holders_count(parts[i]) > 0)
			return wipe_err(w, -EBUSY, "'%s' is a member of something (a device-mapper, "
					"RAID or loop device holds it: see /sys/dev/block/%u:%u/holders)",
					w->o->device, major(parts[i]), minor(parts[i]));
	if ((ret = wipe_loop_users("/sys/block", parts, np, why, sizeof(why))) < 0)
		return wipe_err(w, ret, "cannot tell whether a loop device uses '%s': %s",
				w->o->device, strerror(-ret));
	if (ret > 0)
		return wipe_err(w, -EBUSY, "'%s' is in use: %s; detach it first (losetup -d)",
				w->o->device, why);
	if ((ret = wipe_read_only(w, why, sizeof(why))) < 0)
		return wipe_err(w, ret, "cannot tell whether '%s' is read-only: %s", w->o->device,
				strerror(-ret));
	if (ret > 0)
		return wipe_err(w, -EROFS, "'%s' is read-only (%s): nothing was written; unlock the "
				"card (its switch) or clear the flag (blockdev --setrw) if it may be "
				"wiped", w->o->device, why);
	return w->o->force ? 0 : removable_card(w);
}
