/*
 * mounts.c — is anything on a card mounted, and does a path live on it?
 *
 * A device's partitions are the entries of /sys/dev/block/M:m/ that hold a
 * `partition` attribute; their numbers come from their `dev` attribute.
 * Mounts come from /proc/self/mountinfo, matched by its major:minor field,
 * so bind mounts and mounts by any device node name are all seen.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/identity.h"
#include "cardtrail/util.h"

#define MAX_DEVS 256	/* a card has at most 128 GPT partitions */

/* Parse a sysfs "M:m" string. */
static int
parse_devno(const char *s, dev_t *out)
{
	unsigned ma, mi;
	char extra;

	if (s == NULL || sscanf(s, "%u:%u%c", &ma, &mi, &extra) != 2)
		return -EINVAL;
	*out = makedev(ma, mi);
	return 0;
}

int
ct_dev_partitions(dev_t whole, dev_t *devs, size_t max, size_t *n)
{
	char dir[PATH_MAX], attr[PATH_MAX];
	struct dirent *de;
	DIR *d = NULL;
	int ret = 0;

	*n = 0;
	if (max == 0)
		return -EINVAL;
	devs[(*n)++] = whole;
	if ((ret = ct_snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u",
	    major(whole), minor(whole))) < 0)
		goto out;
	if ((d = opendir(dir)) == NULL) {
		/* not a block device sysfs knows: just the device itself */
		ret = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	while ((de = readdir(d)) != NULL && *n < max) {
		char *s;
		dev_t p;

		if (de->d_name[0] == '.')
			continue;
		if (ct_snprintf(attr, sizeof(attr), "%s/%s/partition", dir, de->d_name) < 0 ||
		    access(attr, F_OK) < 0)
			continue;
		if (ct_snprintf(attr, sizeof(attr), "%s/%s/dev", dir, de->d_name) < 0)
			continue;
		s = ct_read_text(attr);
		if (s != NULL && parse_devno(s, &p) == 0)
			devs[(*n)++] = p;
		free(s);
	}
out:
	if (d != NULL)
		closedir(d);
	return ret;
}

/* Undo mountinfo's octal escapes (\040 for space, ...) in place. */
static void
unescape(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

int
ct_devno_in(dev_t d, const dev_t *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == d)
			return 1;
	return 0;
}

int
ct_mount_state(dev_t whole, int *mounted, int *mounted_rw, struct json_object **mounts)
{
	dev_t set[MAX_DEVS];
	size_t nset = 0;
	struct json_object *arr = NULL;
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	int ret, nm = 0, nrw = 0;

	if (mounts != NULL) {
		*mounts = NULL;
		if ((arr = json_object_new_array()) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if ((ret = ct_dev_partitions(whole, set, MAX_DEVS, &nset)) < 0)
		goto out;
	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL) {
		ret = -errno;
		goto out;
	}
	while (getline(&line, &cap, f) > 0) {
		/* id parent M:m root mountpoint options [optional...] - fstype source superopts */
		char *field[6], *sep, *save = NULL, *tok;
		char *fstype = NULL, *source = NULL;
		int i = 0, rw;
		dev_t d;

		line[strcspn(line, "\n")] = '\0';
		sep = strstr(line, " - ");
		if (sep == NULL)
			continue;
		*sep = '\0';
		for (tok = strtok_r(line, " ", &save); tok && i < 6;
		    tok = strtok_r(NULL, " ", &save))
			field[i++] = tok;
		if (i < 6 || parse_devno(field[2], &d) < 0 || !ct_devno_in(d, set, nset))
			continue;
		save = NULL;
		fstype = strtok_r(sep + 3, " ", &save);
		if (fstype != NULL)
			source = strtok_r(NULL, " ", &save);
		rw = strncmp(field[5], "rw", 2) == 0 && (field[5][2] == '\0' || field[5][2] == ',');
		nm++;
		nrw += rw;
		if (arr != NULL) {
			struct json_object *m = json_object_new_object();

			if (m == NULL) {
				ret = -ENOMEM;
				goto out;
			}
			unescape(field[4]);
			if (source != NULL)
				unescape(source);
			json_object_object_add(m, "device",
			    source ? json_object_new_string(source) : NULL);
			json_object_object_add(m, "mountpoint", json_object_new_string(field[4]));
			json_object_object_add(m, "fstype",
			    fstype ? json_object_new_string(fstype) : NULL);
			json_object_object_add(m, "rw", json_object_new_boolean(rw));
			json_object_array_add(arr, m);
		}
	}
	if (ferror(f)) {
		ret = -EIO;
		goto out;
	}
	ret = 0;
	if (mounted != NULL)
		*mounted = nm;
	if (mounted_rw != NULL)
		*mounted_rw = nrw;
	if (mounts != NULL) {
		*mounts = arr;
		arr = NULL;
	}
out:
	free(line);
	if (f != NULL)
		fclose(f);
	json_object_put(arr);
	return ret;
}

/* The whole disk a device number belongs to (itself if not a partition). */
static dev_t
whole_of(dev_t d)
{
	char path[PATH_MAX];
	char *s = NULL;
	dev_t w = d;

	if (ct_snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition",
	    major(d), minor(d)) < 0 || access(path, F_OK) < 0)
		return d;
	if (ct_snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev",
	    major(d), minor(d)) < 0)
		return d;
	s = ct_read_text(path);
	if (s == NULL || parse_devno(s, &w) < 0)
		w = d;
	free(s);
	return w;
}

/* stat PATH, or its nearest existing ancestor when it does not exist yet. */
static int
stat_existing(const char *path, struct stat *st)
{
	char buf[PATH_MAX];
	char *slash;
	int ret;

	if ((ret = ct_snprintf(buf, sizeof(buf), "%s", path)) < 0)
		return ret;
	for (;;) {
		if (stat(buf, st) == 0)
			return 0;
		if (errno != ENOENT && errno != ENOTDIR)
			return -errno;
		slash = strrchr(buf, '/');
		if (slash == NULL) {
			/* relative name with nothing left: the cwd */
			return stat(".", st) == 0 ? 0 : -errno;
		}
		if (slash == buf) {
			buf[1] = '\0';
			return stat(buf, st) == 0 ? 0 : -errno;
		}
		*slash = '\0';
	}
}

int
ct_path_on_device(const char *path, dev_t whole)
{
	dev_t set[MAX_DEVS], lw;
	size_t n;
	struct stat st, bst;
	char attr[PATH_MAX];
	char *backing = NULL;
	int ret;

	if (path == NULL)
		return -EINVAL;
	if ((ret = ct_dev_partitions(whole, set, MAX_DEVS, &n)) < 0)
		return ret;
	if ((ret = stat_existing(path, &st)) < 0)
		return ret;
	if (ct_devno_in(st.st_dev, set, n))
		return 1;

	/*
	 * A filesystem on a loop device (or one of its partitions) whose
	 * backing file is itself on WHOLE: one level is enough.
	 */
	lw = whole_of(st.st_dev);
	if ((ret = ct_snprintf(attr, sizeof(attr), "/sys/dev/block/%u:%u/loop/backing_file",
	    major(lw), minor(lw))) < 0)
		return ret;
	backing = ct_read_text(attr);
	if (backing == NULL)
		return 0;
	/* the kernel appends " (deleted)" when the file is gone */
	ret = 0;
	if (stat(backing, &bst) == 0 && ct_devno_in(bst.st_dev, set, n))
		ret = 1;
	free(backing);
	return ret;
}
