/*
 * dev.h — the block-device layer: open, geometry, aligned reads, write-block.
 *
 * A source is a block device or a regular file.  Block devices are read
 * with O_DIRECT (buffers, offsets and lengths aligned to the logical sector
 * size) so the page cache neither hides nor duplicates what the card
 * returns; regular files are read through the cache.
 */
#ifndef CARDTRAIL_DEV_H
#define CARDTRAIL_DEV_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ct_dev_kind { CT_DEV_FILE = 0, CT_DEV_BLOCK = 1 };

#define CT_DEV_RDONLY	0x0
#define CT_DEV_RDWR	0x1
#define CT_DEV_EXCL	0x2	/* O_EXCL on a block device: nobody else has it open */
#define CT_DEV_NODIRECT	0x4	/* never use O_DIRECT */

struct ct_dev {
	int fd;
	enum ct_dev_kind kind;
	char path[PATH_MAX];
	dev_t rdev;		/* block device number (0 for files) */
	dev_t st_dev;		/* for files: the filesystem holding it */
	ino_t ino;
	uint64_t size;		/* bytes */
	unsigned lss;		/* logical sector size (512 for files) */
	unsigned pss;		/* physical sector size */
	int direct;		/* O_DIRECT in use */
	int ro_saved;		/* BLKROGET before we changed it, -1 if untouched */
};

/* Open PATH; fills geometry.  -ENOTBLK is never returned: files are fine. */
int ct_dev_open(struct ct_dev *d, const char *path, int flags);

/*
 * Read exactly len bytes at off, or fewer at the end of the source.
 * *got is the number of bytes read.  Returns 0 or -errno of the failing
 * read (EIO for a bad sector, ENODEV/ENXIO when the device is gone).
 * With O_DIRECT, buf/off/len must be aligned to lss.
 */
int ct_dev_read(struct ct_dev *d, void *buf, size_t len, uint64_t off, size_t *got);

/* Write-block: set the block device read-only (BLKROSET), remembering the
 * previous state; no-op for files.  ct_dev_restore_ro undoes it. */
int ct_dev_set_ro(struct ct_dev *d);
int ct_dev_restore_ro(struct ct_dev *d);

/* The kernel's read-only flag now (BLKROGET), or -errno; files: 0. */
int ct_dev_get_ro(struct ct_dev *d);

/* Restore write state (if changed) and close; accepts a closed handle. */
int ct_dev_close(struct ct_dev *d);

/*
 * What to do when a device cannot be opened for lack of permission: "run
 * as root, or as a member of the group that owns it ('disk')" (just "run
 * as root" when root's group owns it).
 */
void ct_dev_access_hint(const char *path, char *buf, size_t len);

/* Aligned allocation for I/O buffers (4096); free with free(). */
void *ct_alloc_aligned(size_t len);

#endif
