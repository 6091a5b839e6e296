/*
 * extract_int.h — what the pieces of `cardtrail extract` share: the run
 * (struct ex) and its items.  extract.c drives the run, walk.c lists the
 * card (isolate.c runs it in a child process), carve.c scans free space,
 * bundle.c writes the tar, its member names and the spooled manifest.
 */
#ifndef CARDTRAIL_EXTRACT_INT_H
#define CARDTRAIL_EXTRACT_INT_H

#include <stdint.h>
#include <stdio.h>

#include <tsk/libtsk.h>

#include "cardtrail/evidence.h"
#include "walk.h"

#define CHUNK (1u << 20)

enum fstate { ST_ALLOC, ST_DELETED, ST_CARVED };

struct item {
	uint8_t state;		/* enum fstate */
	uint8_t orphan, overwritten;
	uint8_t wflags;		/* CT_WF_* */
	uint8_t carve_truncated;	/* carved: stopped at the end of a free run */
	uint32_t vol;		/* volume (not for carved) */
	uint64_t inum;
	char *path;		/* as on the card (carved: NULL) */
	uint32_t name_off;	/* where its own name starts in path */
	uint64_t size;		/* as the entry claims (carved: the candidate's length) */
	uint64_t image_off;	/* first byte in the image; 0 unknown */
	struct ct_wtime mtime, atime, crtime;
	size_t run0, nruns;	/* its ranges in ex.runs (carved: none, image_off..) */
	const char *ext;	/* carved: extension */
};

/* A byte range of the image (vol: the volume of free space). */
struct span {
	uint64_t off, len;
	uint32_t vol;
};

/* A temporary file that grows and is then copied into the bundle. */
struct spool {
	FILE *fp;
	uint64_t len;
	size_t count;		/* entries written (a separator before all but the first) */
};

/* The names of the bundle's members: a hash set, with the next "~N" to try
 * per base name, so that naming a file is O(1) however many share a name. */
struct names {
	struct name_slot {
		char *name;
		uint32_t next;
	} *slot;
	size_t n, cap;
};

struct alias {
	uint32_t vol;
	char *path, *also_at;
};

struct ex {
	const struct ct_extract_opts *o;
	struct ct_extract_result *res;
	TSK_IMG_INFO *img;
	uint64_t img_size;
	/* what the walk found */
	struct ct_wvolume vols[CT_WALK_MAX_VOLUMES];
	size_t nvols;
	uint8_t vol_walked[CT_WALK_MAX_VOLUMES];	/* its walk ended normally */
	struct item *items;
	size_t nitems, cap;
	struct ct_run *runs;
	size_t nruns, runcap;
	struct span *unalloc;	/* free space the walk listed, image bytes */
	size_t nunalloc, unalloccap;
	struct alias *aliases;
	size_t naliases, aliascap;
	/* the acquisition's unreadable ranges, sorted */
	struct span *bad;
	size_t nbad;
	/* the bundle */
	struct archive *ar;
	int ar_fd;
	struct names names;
	size_t renamed;		/* files bundled as NAME~N */
	struct spool sums;	/* SHA256SUMS lines */
	struct spool files;	/* MANIFEST's "files" entries */
	struct json_object *flights;
	struct json_object *warnings;	/* top-level warnings of the manifest */
	unsigned char *buf;	/* CHUNK + 16 */
	unsigned ntracks;
	/* the time of generated members (MANIFEST, tracks, …): the end of the
	 * acquisition, 0 for a bare image; never the time of the run */
	int64_t gen_mtime;
	uint64_t zero_budget;	/* bytes zero-fill may still add */
	uint64_t *starts;	/* sorted image_off of the walked files */
	size_t nstarts;
	/* progress: the phase's start and last report (ct_now) */
	double prog_t0, prog_last;
};

int exerr(struct ex *x, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ex_warn(struct ex *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ex_add_item(struct ex *x, const struct item *it);
/* Report progress to the caller's callback (if any): at most every 0.2 s,
 * always when final. */
void ex_progress(struct ex *x, enum ct_extract_phase phase, uint64_t done, uint64_t total,
		 int final);
/* A phase begins: its clock starts, and a first report (done 0). */
void ex_phase(struct ex *x, enum ct_extract_phase phase, uint64_t total);

/* bundle.c */
/* A card path as valid UTF-8 for JSON: invalid bytes and control
 * characters as %XX, '%' as %25.  New string. */
char *display_path(const char *in);
int bundle_open(struct ex *x, const char *dir, const char *name);
int bundle_name(struct ex *x, const char *prefix, const char *cardpath, size_t name_off,
		char *out, size_t outlen);
int bundle_entry_begin(struct ex *x, const char *name, uint64_t size, int64_t mtime);
int bundle_entry_data(struct ex *x, const void *p, size_t len);
void bundle_add_sum(struct ex *x, const char *name, const char *hex);
int bundle_add_blob(struct ex *x, const char *name, const char *data, size_t len);
int spool_open(struct ex *x, struct spool *s);
int spool_add(struct ex *x, struct spool *s, const char *sep, const char *text);
/* head, the spool's text, tail: one member, hashed, listed in SHA256SUMS */
int bundle_add_spooled(struct ex *x, const char *name, const char *head, struct spool *s,
		       const char *tail);
int bundle_finish(struct ex *x, const char *dir);
void bundle_release(struct ex *x);
void names_release(struct names *n);

/* carve.c */
int carve(struct ex *x);
void trim_carved(struct ex *x, struct item *it);

#endif
