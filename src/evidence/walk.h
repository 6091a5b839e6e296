/*
 * walk.h — what The Sleuth Kit finds on a card image, as a stream of
 * records: the volumes (filesystems) with where they are, every file of
 * each with the byte ranges of the image that hold its data, the folders
 * reached by more than one path, the free space, and warnings.
 *
 * The walk (walk.c) is the only code that lets libtsk parse the card's
 * structures.  It hands its records to a sink; the extraction reads file
 * data from the image by the ranges alone, so it can run the walk in a
 * child process (isolate.c) and survive what libtsk does on a hostile card.
 *
 * Everything is bounded by the image: ranges past the image's end are cut
 * (and counted), the walk visits each (volume, entry address) once, and at
 * most CT_WALK_MAX_ITEMS files are reported.
 */
#ifndef CARDTRAIL_WALK_H
#define CARDTRAIL_WALK_H

#include <stddef.h>
#include <stdint.h>

#include <tsk/libtsk.h>

#define CT_WALK_MAX_VOLUMES 16
#define CT_WALK_MAX_ITEMS 1000000	/* files reported, all volumes (default) */
#define CT_WALK_MAX_DEPTH 256		/* folders below the root */
#define CT_WALK_MAX_PATH 4096

/* A time as the filesystem stores it. */
enum ct_wtime_kind {
	CT_WT_NONE = 0,		/* not stored (or zero) */
	CT_WT_LOCAL,		/* wall clock of an unknown zone */
	CT_WT_LOCAL_DATE,	/* a date only (FAT's access date) */
	CT_WT_UTC,		/* converted with the offset stored beside it (exFAT) */
};

struct ct_wtime {
	int64_t sec;		/* as stored, taken as UTC; for CT_WT_UTC: UTC */
	uint32_t nsec;
	int16_t offset_min;	/* CT_WT_UTC: the offset east of UTC it had */
	uint8_t kind;
};

/* Bytes of a file in the image, in file order; CT_RUN_ZERO: a sparse run
 * (no bytes on the card, zeros). */
#define CT_RUN_ZERO UINT64_MAX
struct ct_run {
	uint64_t img_off, len;
};

struct ct_wvolume {
	uint32_t index;		/* 0, 1, … in the order found */
	int32_t part;		/* partition number as Linux names it (sdX1: 1); 0 none */
	uint64_t offset;	/* first byte in the image */
	uint64_t size;		/* bytes the filesystem says it has */
	uint64_t in_image;	/* of those, bytes the image holds */
	uint32_t block_size;
	char fstype[8];		/* "fat12", "fat16", "fat32", "exfat" */
	char vstype[8];		/* "dos", "gpt", "" (no partition table) */
};

/* Why a file's ranges cover less than its size. */
enum {
	CT_WF_CHAIN_SHORT = 1,	/* libtsk mapped less than the size (chain cut, error) */
	CT_WF_PAST_VOLUME = 2,	/* the entry's extent runs past the volume's end */
	CT_WF_PAST_IMAGE = 4,	/* past the end of the image */
};

struct ct_witem {
	uint32_t vol;
	uint64_t inum;		/* libtsk's address of the entry */
	uint8_t deleted, orphan;
	uint8_t overwritten;	/* deleted: some of its clusters are in use again */
	uint8_t flags;		/* CT_WF_* */
	uint64_t size;		/* as the entry says */
	struct ct_wtime mtime, atime, crtime;
	const char *path;	/* as on the card: "DCIM/100MEDIA/DJI_0001.JPG" */
	uint32_t name_off;	/* where the file's own name starts in path */
	const struct ct_run *runs;
	uint32_t nruns;		/* the ranges cover at most size bytes */
};

/* Where records go; each returns 0, or -errno to stop the walk. */
struct ct_walk_sink {
	int (*volume)(void *ctx, const struct ct_wvolume *v);
	int (*item)(void *ctx, const struct ct_witem *it);
	/* a folder reached again under another path (a loop or a shared
	 * folder): listed once, at path, the others here */
	int (*alias)(void *ctx, uint32_t vol, const char *path, const char *also_at);
	/* free space of a volume, in the image, up to the image's end */
	int (*unalloc)(void *ctx, uint32_t vol, uint64_t img_off, uint64_t len);
	/* vol UINT32_MAX: the image as a whole */
	int (*warn)(void *ctx, uint32_t vol, const char *text);
	/* the volume's walk is over (ok: it ended normally) */
	int (*done)(void *ctx, uint32_t vol, int ok);
	void *ctx;
};

/*
 * Find the volumes of img (MBR, GPT or none; FAT12/16/32, exFAT) and walk
 * those selected: vol is a volume index, or -1 for all.  The volumes found
 * are reported first (all of them, whatever vol is), then for each walked
 * volume its files, aliases and free space, then done.  At most max_items
 * files are reported (then a warning, and done with ok 0).  Returns 0, 1
 * when there is no filesystem, or the first error a sink returned.
 */
int ct_walk_image(TSK_IMG_INFO *img, int vol, uint64_t max_items,
		  const struct ct_walk_sink *sink);

/*
 * Open a card image (its segments, in order) for reading: the one place
 * that knows its format.  Card images are raw (dd-style, split or not) or
 * E01 (ewf: libewf finds the other segments of a bare .E01); libtsk's
 * format probing is not used (its probes through libvmdk leak).  NULL with
 * libtsk's error set.
 */
TSK_IMG_INFO *ct_walk_open(int nseg, char *const *segs, int ewf);

#endif
