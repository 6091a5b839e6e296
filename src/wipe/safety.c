/*
 * safety.c — may we write to this device?  Every check looks at the device
 * the wipe holds open (its number from fstat), never at a path looked up
 * again: not mounted (nor a partition of it), not the running system, not
 * swap, not held by device-mapper/RAID, not the backing of a loop device,
 * not a loop device over a case's evidence (its own image would match the
 * image trivially), not read-only, and a removable card unless --force.
 * Each refusal says why; nothing has been written when one happens.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/identity.h"
#include "cardtrail/image.h"
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

static int evidence(struct wipe *w);

/* A refusal --force lifts: kept (at most CT_ARRAY_SIZE(l->why)) while the
 * checks go on, so that every one is known. */
struct liftable {
	char why[2][sizeof(((struct ct_wipe_result *)0)->error)];
	int err[2];
	size_t n;
};

static void
lift(struct wipe *w, struct liftable *l, int err)
{
	if (l->n < CT_ARRAY_SIZE(l->why)) {
		snprintf(l->why[l->n], sizeof(l->why[l->n]), "%s", w->res->error);
		l->err[l->n++] = err;
	}
	w->res->error[0] = '\0';
}

int
wipe_safety(struct wipe *w)
{
	struct liftable l;
	dev_t parts[MAX_PARTS];
	size_t np = 0, i;
	int mounted = 0, rw = 0, ret;
	char why[600];

	memset(&l, 0, sizeof(l));
	if (w->dev.kind != CT_DEV_BLOCK)
		return wipe_err(w, -ENOTBLK, "'%s' is not a block device: cardtrail wipes cards, not "
				"files", w->o->device);
	/* the refusals --force lifts are collected; every other one refuses */
	if (sys_attr_exists(w->dev.rdev, "partition"))
		lift(w, &l, wipe_err(w, -EINVAL, "'%s' is a partition: name the whole card (or "
				     "--force)", w->o->device));
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
	if ((ret = evidence(w)) < 0)
		return ret;
	if ((ret = wipe_read_only(w, why, sizeof(why))) < 0)
		return wipe_err(w, ret, "cannot tell whether '%s' is read-only: %s", w->o->device,
				strerror(-ret));
	if (ret > 0)
		return wipe_err(w, -EROFS, "'%s' is read-only (%s): nothing was written; unlock the "
				"card (its switch) or clear the flag (blockdev --setrw) if it may be "
				"wiped", w->o->device, why);
	if ((ret = removable_card(w)) < 0)
		lift(w, &l, ret);
	if (l.n == 0)
		return 0;
	if (!w->o->force)
		return wipe_err(w, l.err[0], "%s", l.why[0]);
	/* with --force: what it overrode, for the certificate and the records */
	if (w->overrode == NULL)
		w->overrode = json_object_new_array();
	for (i = 0; i < l.n; i++)
		json_object_array_add(w->overrode, json_object_new_string(l.why[i]));
	return 0;
}

/* ---- a loop device over a case's evidence ---- */

#define LOOP_CHAIN_MAX 8	/* loop devices over loop devices, followed at most */
#define WALK_DEPTH_MAX 32	/* folders below a root, looked into at most */

/* What a loop device reads: the kernel's name for it and, when it can be
 * told, which file that is (device and inode) or which block device. */
struct backing {
	char path[PATH_MAX];	/* backing_file, " (deleted)" kept */
	int deleted;
	int known;		/* dev and ino say which file */
	dev_t dev, rdev;	/* rdev: a block device's number, else 0 */
	ino_t ino;
};

/* The evidence a backing file was found to be. */
struct found {
	dev_t dev;
	ino_t ino;
	char path[PATH_MAX];	/* the file as a case names it */
	char what[PATH_MAX + 128];	/* "a file of the case in '…'", … */
};

/* The loop device rdev open read-only (fd given, or its node from sysfs's
 * DEVNAME), for LOOP_GET_STATUS64: what it reads, by device and inode. */
static int
loop_status(dev_t rdev, int fd, struct backing *b)
{
	struct loop_info64 info;
	char path[PATH_MAX], *ue, *name;
	struct stat st;
	int own = -1, ret = 0;

	if (fd < 0) {
		if (ct_snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major(rdev),
				minor(rdev)) < 0 || (ue = ct_read_text(path)) == NULL)
			return -ENOENT;
		name = strstr(ue, "DEVNAME=");
		if (name == NULL || ct_snprintf(path, sizeof(path), "/dev/%.*s", (int)strcspn(name + 8, "\n"),
						name + 8) < 0) {
			free(ue);
			return -ENOENT;
		}
		free(ue);
		/* read-only, not exclusive: no other program is kept from it */
		if ((own = fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
			return -errno;
		if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != rdev)
			ret = -ENODEV;
	}
	if (ret == 0 && ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
		ret = -errno;
	if (own >= 0)
		close(own);
	if (ret < 0)
		return ret;
	b->known = 1;
	b->dev = (dev_t)info.lo_device;
	b->ino = (ino_t)info.lo_inode;
	b->rdev = (dev_t)info.lo_rdevice;
	return 0;
}

/* What loop device rdev reads: 1 (b filled), 0 when it is no loop device
 * (or one not bound), -errno when the file cannot be told. */
static int
loop_backing(dev_t rdev, int fd, struct backing *b)
{
	char path[PATH_MAX], *bf, *del;
	struct stat st;

	memset(b, 0, sizeof(*b));
	if (ct_snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop/backing_file", major(rdev),
			minor(rdev)) < 0 || (bf = ct_read_text(path)) == NULL)
		return 0;
	snprintf(b->path, sizeof(b->path), "%s", bf);
	free(bf);
	/* the kernel appends " (deleted)" to a file whose name is gone */
	if ((del = strstr(b->path, " (deleted)")) != NULL && del[10] == '\0')
		b->deleted = 1;
	if (loop_status(rdev, fd, b) == 0)
		return 1;
	/* no status: the name, while it is there */
	if (b->deleted || stat(b->path, &st) < 0)
		return -ENOENT;
	b->known = 1;
	b->dev = st.st_dev;
	b->ino = st.st_ino;
	b->rdev = S_ISBLK(st.st_mode) ? st.st_rdev : 0;
	return 1;
}

static int
is_case(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	return ct_snprintf(path, sizeof(path), "%s/%s", dir, CT_CUSTODY_LOG) == 0 &&
	       lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The case folder that holds path (the nearest folder above it with a
 * custody log, not above stop, if given): 1 with dir set, 0 none. */
static int
case_of(const char *path, const char *stop, char *dir, size_t len)
{
	char *slash;

	if (ct_snprintf(dir, len, "%s", path) < 0)
		return 0;
	while ((slash = strrchr(dir, '/')) != NULL) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if (is_case(dir))
			return 1;
		if (slash == dir || (stop && !strcmp(dir, stop)))
			break;
	}
	return 0;
}

/* f found at path under root: say whose it is. */
static void
found_at(struct found *f, const char *path, const char *root)
{
	char dir[PATH_MAX];

	snprintf(f->path, sizeof(f->path), "%s", path);
	if (case_of(path, root, dir, sizeof(dir)))
		snprintf(f->what, sizeof(f->what), "a file of the case in '%s'", dir);
	else
		snprintf(f->what, sizeof(f->what), "a file under '%s'", root);
}

static int
same_file(const char *path, const struct found *f)
{
	struct stat st;

	return path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == f->dev &&
	       st.st_ino == f->ino;
}

/* An image a record of the case in dir names outside it: its segments
 * where they lie (adopted in place) or the files it was adopted from. */
static int
named_image(const char *dir, struct json_object *acq, struct found *f)
{
	struct json_object *adopted = ct_json_get(acq, "adopted");
	struct json_object *from = ct_json_get(adopted, "from");
	const char *ev = ct_json_str(acq, "evidence", "?"), *format;
	char **paths = NULL;
	size_t n = 0, i;
	int hit = 0;

	if (ct_image_paths(dir, acq, &paths, &n, &format) == 0)
		for (i = 0; !hit && i < n; i++)
			if ((hit = same_file(paths[i], f)) != 0) {
				snprintf(f->path, sizeof(f->path), "%s", paths[i]);
				snprintf(f->what, sizeof(f->what), "image %s of the case in '%s'%s", ev,
					 dir, json_object_get_boolean(ct_json_get(adopted, "in_place")) ?
					 " (adopted where it lies)" : "");
			}
	ct_image_paths_free(paths);
	for (i = 0; !hit && from && i < json_object_array_length(from); i++) {
		const char *p = ct_json_str(json_object_array_get_idx(from, i), "path", NULL);
		if ((hit = same_file(p, f)) != 0) {
			snprintf(f->path, sizeof(f->path), "%s", p);
			snprintf(f->what, sizeof(f->what), "the file image %s of the case in '%s' was "
				 "adopted from", ev, dir);
		}
	}
	return hit;
}

/* The images the records of the case in dir name: 1 when f is one. */
static int
case_records(const char *dir, struct found *f)
{
	struct ct_custody_log log;
	size_t i, j;
	int ret, hit = 0;

	if ((ret = ct_custody_read(dir, &log)) != 0)
		return ret > 0 ? 0 : ret;
	for (i = 0; !hit && i < log.n; i++) {
		struct json_object *outs = ct_json_get(log.lines[i].rec, "outputs");

		for (j = 0; !hit && outs && j < json_object_array_length(outs); j++) {
			struct json_object *o = json_object_array_get_idx(outs, j), *acq;
			const char *name = ct_json_str(o, "path", NULL);
			char path[PATH_MAX];

			if (strcmp(ct_json_str(o, "role", ""), "acquisition-record") || name == NULL ||
			    strchr(name, '/') || ct_snprintf(path, sizeof(path), "%s/%s", dir, name) < 0 ||
			    (acq = json_object_from_file(path)) == NULL)
				continue;
			hit = named_image(dir, acq, f);
			json_object_put(acq);
		}
	}
	ct_custody_release(&log);
	return hit;
}

/* Every regular file under the folder dfd (path, under root), by device
 * and inode, then the images its records name if it is a case.  Takes
 * dfd.  1 found, 0 not, -errno. */
static int
walk(int dfd, const char *path, const char *root, unsigned depth, struct found *f)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int ret = 0;

	if (d == NULL) {
		ret = -errno;
		close(dfd);
		return ret;
	}
	while (ret == 0 && (de = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		struct stat st;
		int sfd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
		if ((ret = ct_snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name)) < 0)
			break;
		if (S_ISREG(st.st_mode)) {
			if (st.st_dev == f->dev && st.st_ino == f->ino) {
				found_at(f, sub, root);
				ret = 1;
			}
			continue;
		}
		if (depth >= WALK_DEPTH_MAX) {
			ret = -ELOOP;
			break;
		}
		sfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0 && errno == ENOENT)
			continue;	/* gone since it was listed */
		ret = sfd < 0 ? -errno : walk(sfd, sub, root, depth + 1, f);
	}
	closedir(d);
	if (ret == 0 && is_case(path))
		ret = case_records(path, f);
	return ret;
}

int
wipe_evidence_file(dev_t dev, ino_t ino, const char *path, const char *const *roots, size_t nroots,
		   char *why, size_t len)
{
	struct found f = { .dev = dev, .ino = ino };
	char real[PATH_MAX], dir[PATH_MAX];
	size_t i;
	int ret = 0, fd;

	why[0] = '\0';
	/* a file of a case, wherever the case is */
	if (path && same_file(path, &f) && case_of(path, NULL, dir, sizeof(dir))) {
		snprintf(why, len, ", a file of the case in '%s'", dir);
		return 1;
	}
	/* a file under a root (by another name too), or an image a case
	 * there names */
	for (i = 0; ret == 0 && i < nroots; i++) {
		if (roots[i] == NULL)
			continue;
		if (realpath(roots[i], real) == NULL) {
			if (errno == ENOENT)
				continue;	/* no cases there yet */
			ret = -errno;
			snprintf(why, len, "cannot look into '%s': %s", roots[i], strerror(-ret));
			break;
		}
		if ((fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			ret = -errno;
		else
			ret = walk(fd, real, real, 0, &f);
		if (ret < 0)
			snprintf(why, len, "cannot look through '%s': %s", real, strerror(-ret));
	}
	if (ret <= 0)
		return ret;
	if (path == NULL || strcmp(path, f.path))
		snprintf(why, len, " (the same file as '%s'), %s", f.path, f.what);
	else
		snprintf(why, len, ", %s", f.what);
	return 1;
}

/* The whole disk of partition rdev: 1 with *disk and name ("partition N
 * of /dev/DISK, ") set, 0 when rdev is no partition, -errno. */
static int
part_disk(dev_t rdev, dev_t *disk, char *name, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX], *slash, *dv, *no;
	unsigned ma, mi;
	int ok;

	if (!sys_attr_exists(rdev, "partition"))
		return 0;
	/* a partition's sysfs folder sits inside its disk's */
	if (ct_snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(rdev), minor(rdev)) < 0 ||
	    realpath(path, real) == NULL || (slash = strrchr(real, '/')) == NULL)
		return -ENOENT;
	no = attr(real, "partition");
	*slash = '\0';
	dv = attr(real, "dev");
	ok = dv != NULL && sscanf(dv, "%u:%u", &ma, &mi) == 2;
	free(dv);
	if (ok) {
		*disk = makedev(ma, mi);
		snprintf(name, len, "partition %s of /dev/%s, ", no ? no : "?", strrchr(real, '/') + 1);
	}
	free(no);
	return ok ? 1 : -ENOENT;
}

int
ct_wipe_loop_evidence(dev_t rdev, int fd, const char *const *roots, size_t nroots, char *why,
		      size_t len)
{
	struct backing b;
	char chain[LOOP_CHAIN_MAX * 192] = "", tail[2 * PATH_MAX + 256], part[128];
	size_t depth, l;
	int ret;

	why[0] = '\0';
	for (depth = 0;; depth++) {
		if (depth == LOOP_CHAIN_MAX) {
			snprintf(why, len, "%smore loop devices over loop devices than %d", chain,
				 LOOP_CHAIN_MAX);
			return -ELOOP;
		}
		/* a partition: the loop device is its whole disk */
		if ((ret = part_disk(rdev, &rdev, part, sizeof(part))) < 0) {
			snprintf(why, len, "%sa partition whose disk cannot be told", chain);
			return ret;
		}
		if (ret > 0) {
			l = strlen(chain);
			if (ct_snprintf(chain + l, sizeof(chain) - l, "%s", part) < 0)
				chain[l] = '\0';
			fd = -1;
		}
		if ((ret = loop_backing(rdev, fd, &b)) < 0) {
			snprintf(why, len, "%sa loop device over '%s': its file cannot be told (its name "
				 "is gone and the device cannot be asked)", chain, b.path);
			return ret;
		}
		if (ret == 0)
			return 0;	/* no loop device (or over a block device that is none) */
		if (b.rdev == 0)
			break;
		/* over a block device: a loop device too? */
		l = strlen(chain);
		if (ct_snprintf(chain + l, sizeof(chain) - l, "a loop device over %s, ", b.path) < 0)
			chain[l] = '\0';	/* too long to say: the file is said */
		rdev = b.rdev;
		fd = -1;
	}
	ret = wipe_evidence_file(b.dev, b.ino, b.deleted ? NULL : b.path, roots, nroots, tail,
				 sizeof(tail));
	if (ret < 0)
		snprintf(why, len, "%sa loop device over '%s': %s", chain, b.path, tail);
	else if (ret > 0)
		snprintf(why, len, "%sa loop device over '%s'%s", chain, b.path, tail);
	return ret;
}

/* A loop device over the evidence of the case (or of any case): "the
 * card" would match the image trivially. */
static int
evidence(struct wipe *w)
{
	const char *roots[] = { w->o->casedir, w->o->evidence_root };
	char why[2 * PATH_MAX + 1024];
	int ret;

	ret = ct_wipe_loop_evidence(w->dev.rdev, w->dev.fd, roots, CT_ARRAY_SIZE(roots), why,
				    sizeof(why));
	if (ret < 0)
		return wipe_err(w, ret, "cannot tell whether '%s' is a case's evidence: %s; nothing "
				"was written", w->o->device, why);
	if (ret > 0)
		return wipe_err(w, -EBUSY, "'%s' is %s: the evidence of a case is never wiped; "
				"nothing was written", w->o->device, why);
	return 0;
}
