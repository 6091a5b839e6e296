/*
 * dev.c — open a source, its geometry, aligned reads, write-block.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardtrail/dev.h"
#include "cardtrail/util.h"

void *
ct_alloc_aligned(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, len) != 0)
		return NULL;
	return p;
}

int
ct_dev_open(struct ct_dev *d, const char *path, int flags)
{
	struct stat st;
	int oflags, fd = -1, ret = 0;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->ro_saved = -1;
	if ((ret = ct_snprintf(d->path, sizeof(d->path), "%s", path)) < 0)
		return ret;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return -EINVAL;

	oflags = ((flags & CT_DEV_RDWR) ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY;
	if (S_ISBLK(st.st_mode)) {
		d->kind = CT_DEV_BLOCK;
		if (flags & CT_DEV_EXCL)
			oflags |= O_EXCL;
		if (!(flags & CT_DEV_NODIRECT)) {
			fd = open(path, oflags | O_DIRECT);
			if (fd >= 0)
				d->direct = 1;
		}
	} else {
		d->kind = CT_DEV_FILE;
	}
	if (fd < 0)
		fd = open(path, oflags);
	if (fd < 0)
		return -errno;
	d->fd = fd;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto fail;
	}
	d->ino = st.st_ino;
	d->st_dev = st.st_dev;
	if (d->kind == CT_DEV_BLOCK) {
		uint64_t size = 0;
		int lss = 512;
		unsigned int pss = 512;

		d->rdev = st.st_rdev;
		if (ioctl(fd, BLKGETSIZE64, &size) < 0 ||
		    ioctl(fd, BLKSSZGET, &lss) < 0) {
			ret = -errno;
			goto fail;
		}
		if (ioctl(fd, BLKPBSZGET, &pss) < 0)
			pss = (unsigned)lss;
		d->size = size;
		d->lss = (unsigned)lss;
		d->pss = pss;
	} else {
		d->size = (uint64_t)st.st_size;
		d->lss = 512;
		d->pss = 512;
	}
	return 0;
fail:
	close(fd);
	d->fd = -1;
	return ret;
}

int
ct_dev_read(struct ct_dev *d, void *buf, size_t len, uint64_t off, size_t *got)
{
	unsigned char *p = buf;
	size_t done = 0;

	*got = 0;
	if (off >= d->size)
		return 0;
	if (len > d->size - off)
		len = (size_t)(d->size - off);
	while (done < len) {
		ssize_t n = pread(d->fd, p + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*got = done;
			return -errno;
		}
		if (n == 0) {
			/* The source shrank under us: a card pulled out of a
			 * reader can look like this. */
			*got = done;
			return -ENXIO;
		}
		done += (size_t)n;
	}
	*got = done;
	return 0;
}

int
ct_dev_get_ro(struct ct_dev *d)
{
	int ro = 0;

	if (d->kind != CT_DEV_BLOCK)
		return 0;
	if (ioctl(d->fd, BLKROGET, &ro) < 0)
		return -errno;
	return ro != 0;
}

int
ct_dev_set_ro(struct ct_dev *d)
{
	int ro = 1, was;

	if (d->kind != CT_DEV_BLOCK)
		return 0;
	if ((was = ct_dev_get_ro(d)) < 0)
		return was;
	/* Already read-only (the card's switch, losetup -r, an earlier
	 * BLKROSET): leave it alone.  Restoring "1" later would set the
	 * block device's own flag, which outlives e.g. a loop device. */
	if (was)
		return 0;
	if (ioctl(d->fd, BLKROSET, &ro) < 0)
		return -errno;
	d->ro_saved = 0;
	return 0;
}

int
ct_dev_restore_ro(struct ct_dev *d)
{
	int ro;

	if (d->fd < 0 || d->kind != CT_DEV_BLOCK || d->ro_saved < 0)
		return 0;
	ro = d->ro_saved;
	if (ioctl(d->fd, BLKROSET, &ro) < 0)
		return -errno;
	d->ro_saved = -1;
	return 0;
}

int
ct_dev_close(struct ct_dev *d)
{
	int ret = 0;

	if (d == NULL || d->fd < 0)
		return 0;
	ret = ct_dev_restore_ro(d);
	if (close(d->fd) < 0 && ret == 0)
		ret = -errno;
	d->fd = -1;
	return ret;
}

void
ct_dev_access_hint(const char *path, char *buf, size_t len)
{
	struct stat st;
	struct group *g;
	char gname[32];

	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode)) {
		snprintf(buf, len, "run as root");
		return;
	}
	if (st.st_gid == 0) {
		/* only root's own group may use it */
		snprintf(buf, len, "run as root");
		return;
	}
	if ((g = getgrgid(st.st_gid)) != NULL && g->gr_name)
		snprintf(gname, sizeof(gname), "%s", g->gr_name);
	else
		snprintf(gname, sizeof(gname), "gid %u", (unsigned)st.st_gid);
	snprintf(buf, len, "run as root, or as a member of the group that owns it ('%s')", gname);
}
