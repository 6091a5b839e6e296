/*
 * internal.h — what the rooms of the wipe share.  Not installed; the unit
 * tests include it to try each check alone.
 *
 *   wipe.c    the run: prepare (safety, match, state: the plan; a dry run
 *             stops there) -> execute (the only code that writes the card)
 *             -> certify
 *   safety.c  may we write to this device?
 *   match.c   is this the card imaged in the case (or the one an earlier
 *             wipe of it left)?
 *   state.c   the state file of a wipe that can be resumed, bound to the
 *             custody record that started the wipe
 *   cert.c    the certificate, from what execute reports
 *   record.c  the custody records of a wipe: start, resume, end
 */
#ifndef CARDTRAIL_WIPE_INTERNAL_H
#define CARDTRAIL_WIPE_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cardtrail/custody.h"
#include "cardtrail/dev.h"
#include "cardtrail/wipe.h"

struct json_object;
struct ct_image;

#define WIPE_PROBE_BLOCKS 64
#define WIPE_PROBE_SIZE 4096
#define WIPE_MATCH_RANDOM 1024		/* random sectors of a sampled match, at least */
#define WIPE_MATCH_EDGE (1u << 20)	/* the first and the last MiB */
#define WIPE_MATCH_META_MAX (64u << 20)	/* filesystem metadata compared, at most */

/* A byte range. */
struct wipe_range {
	uint64_t off, len;
};

/*
 * What a card may hold, sector by sector: a pass (cur) written over
 * [0, sure) for certain and perhaps up to maybe; below it what was there
 * before that pass: the previous pass (prev), or, with prev NULL, the
 * evidence image (img; NULL: not known, anything goes) with the address
 * probe's blocks (probe, may be NULL) written over it.
 */
struct wipe_model {
	const struct ct_pass_plan *cur, *prev, *probe;
	uint64_t sure, maybe;
	struct ct_image *img;
};

/* Where a sampled match compares the card with what it should hold. */
struct wipe_samples {
	unsigned char seed[32];		/* the random offsets derive from it */
	unsigned nrandom;		/* random sectors */
	struct wipe_range head, tail;
	struct wipe_range *meta;	/* filesystem metadata regions */
	size_t nmeta;
	uint64_t meta_bytes;
	struct wipe_range *all;		/* every range, sorted and merged */
	size_t nall;
	uint64_t bytes;			/* bytes compared */
};

/* One pass as it went: what was written and read back, in this run and,
 * for a resumed wipe, by the runs before (from the state file). */
struct wipe_pass {
	int reached;			/* started, by this run or an earlier one */
	uint64_t written_before;	/* bytes [0, written_before) written earlier */
	uint64_t written;		/* bytes written by this run (from written_before) */
	int write_done;			/* written to the end */
	int write_err;			/* errno of the first write or flush error */
	uint64_t write_err_off;
	double write_seconds;
	int verify;			/* to be read back */
	int read_earlier;		/* read back, matching, by an earlier run */
	uint64_t read_back;		/* bytes read back by this run */
	int read_done;			/* read back to the end by this run */
	int read_err;			/* errno of a read error during the read-back */
	uint64_t read_err_off;
	double verify_seconds;
	uint64_t mismatch_bytes, first_mismatch, wrap;
	struct json_object *mismatches;	/* offsets, the first few */
};

struct wipe {
	const struct ct_wipe_opts *o;
	struct ct_wipe_result *res;
	struct ct_dev dev;
	struct json_object *ident;	/* the device's identity (from its fd) */
	struct json_object *card;	/* the card facts records compare */
	struct json_object *device;	/* what names this device across runs */
	struct ct_wipe_method method;
	char spec[512];			/* the method spec (the first run's, on --resume) */
	struct ct_pass_plan plans[CT_WIPE_MAX_PASSES];
	struct wipe_pass passes[CT_WIPE_MAX_PASSES];
	enum ct_wipe_verify verify;	/* the first run's, on --resume */
	struct ct_pass_plan probe_plan;
	int have_probe_plan;
	struct json_object *probe;	/* the address probe's result */
	size_t bufsize;
	time_t started;

	/* match: how the card was found to be the one of the evidence */
	struct ct_custody_log log;	/* the case's, read once */
	struct json_object *match;

	/* the case and the state file */
	char dir[PATH_MAX];		/* case or certificate folder */
	char base[128];			/* E1, or serial or device name */
	int state_fd;
	struct json_object *state;
	int created_state;
	int state_err;			/* the first failed state save (-errno) */
	uint64_t start_seq;		/* the wipe-start record */
	char start_hash[65];
	int resumed;			/* this run continues an interrupted one */
	unsigned first;			/* the pass this run begins with */
	uint64_t first_off;		/* and where */
	int first_skip_write;		/* that pass was written: read it back */

	/* the run */
	unsigned cur_pass;
	uint64_t synced;		/* bytes of the current pass written and synced */
	uint64_t written_upto;		/* bytes of the current pass handed to the kernel */
	double last_save, t0, last_report;
	int write_errno;
	uint64_t write_err_off;
	int wrote;			/* anything was written to the card */
	int final_readback;		/* the last pass was read back over every byte by
					 * this process, and matched */
	const char *fail;		/* what failed, for the certificate */
	struct json_object *overrode;	/* with --force: the refusals it overrode */
	struct json_object *disc, *fmt;
};

/* wipe.c */
int wipe_err(struct wipe *w, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void wipe_fail(struct wipe *w, const char *what);
void wipe_report(struct wipe *w, const char *phase, uint64_t done, uint64_t total);
struct json_object *wipe_jint(uint64_t v);
struct ct_pipe_buf;
/* The pipeline's reader of the card: the buffer at b->off (progress
 * reported as phase); a failing read's errno and offset in *err, *err_off. */
int wipe_read_card(struct wipe *w, struct ct_pipe_buf *b, size_t cap, const char *phase, int *err,
		   uint64_t *err_off);
/* The offsets of the address probe's blocks (n <= WIPE_PROBE_BLOCKS + 1). */
size_t wipe_probe_offsets(uint64_t size, uint64_t *offs);

/* safety.c */
/* Every check of "may we write to it": 0, or -errno with the refusal. */
int wipe_safety(struct wipe *w);
/* 1 if the device is read-only (why says how), 0 if not, -errno. */
int wipe_read_only(struct wipe *w, char *why, size_t len);
/*
 * Loop devices under sysblock ("/sys/block") whose backing file is one of
 * devs[] or a file on one of them: 1 with msg naming the first (and where
 * it is mounted), 0 when none, -errno.
 */
int wipe_loop_users(const char *sysblock, const dev_t *devs, size_t n, char *msg, size_t len);
/*
 * Is the file dev:ino (named path, or NULL when its name is gone) a case's
 * evidence: a file of a folder (or below one) that holds a custody log,
 * found from path; a file anywhere under one of roots[], whatever its name
 * (a hard link is the file); an image a record of a case under roots[]
 * names where it lies (adopted in place) or was adopted from?  1 with why
 * the rest of the sentence "a loop device over 'path'…": ", a file of the
 * case in 'DIR'" or " (the same file as 'FILE'), …"; 0 not; -errno with
 * why saying what could not be looked through.
 */
int wipe_evidence_file(dev_t dev, ino_t ino, const char *path, const char *const *roots, size_t nroots,
		       char *why, size_t len);

/* match.c */
/* Is the card the evidence of an image in the case (or what the last wipe
 * of this device left)?  Sets res->evidence, w->match, w->base; 0 or
 * -errno with the refusal. */
int wipe_match(struct wipe *w);
/* The name of the certificates and the state file: the evidence id, else
 * the card's serial, else the device's name. */
void wipe_set_base(struct wipe *w, const char *ev);
/* The unfinished wipe of this device, its state file loaded and the card
 * holding what the interrupted run can have left there. */
int wipe_match_resume(struct wipe *w);
/* Offsets drawn for a sampled match: nrandom sectors of sector bytes in
 * [0, size), one in each of nrandom equal strata, sector i at
 * SHA-256(seed || le64(i)) mod (its stratum's sectors). */
void wipe_random_sectors(const unsigned char seed[32], uint64_t size, unsigned sector,
			 unsigned nrandom, uint64_t *offs);
/* The ranges of a sampled match (s->seed and s->meta set by the caller). */
int wipe_samples_make(struct wipe_samples *s, uint64_t size, unsigned sector);
void wipe_samples_release(struct wipe_samples *s);
/* Does the card hold what m allows over the ranges of s?  1 yes, 0 no
 * (*at: the first sector that differs), -errno. */
int wipe_model_check(struct ct_dev *dev, const struct wipe_model *m, const struct wipe_range *r,
		     size_t n, uint64_t *at);

/* state.c */
/* A new state file, bound to the start record (w->start_seq, start_hash). */
int wipe_state_create(struct wipe *w);
/* Rewrite it: the pass under way, its phase and offset, the passes done. */
int wipe_state_save(struct wipe *w, const char *phase, uint64_t off);
/* Load the state file of the wipe started in start_rec (line start_seq,
 * hash start_hash): refused unless bound to it, with its plan and device;
 * sets the plans, method, verify mode and where the run goes on. */
int wipe_state_load(struct wipe *w, struct json_object *start_rec, uint64_t start_seq,
		    const char *start_hash);
/* The wipe ended and is recorded: remove the state file. */
void wipe_state_finish(struct wipe *w);
/* The wipe ended, its end not recorded: keep the file, marked complete. */
void wipe_state_complete(struct wipe *w);
/* 1 if path holds a state file not marked complete, else 0. */
int wipe_state_unfinished(const char *path);
/* The plan of a pass as JSON (with its key), and back. */
struct json_object *wipe_plan_json(const struct ct_pass_plan *q);
int wipe_plan_from_json(struct json_object *p, struct ct_pass_plan *q);
/* "sha256:…" of a pass plan: what the wipe-start record holds instead of
 * the key. */
void wipe_plan_fingerprint(const struct ct_pass_plan *q, char out[80]);
/* Same device (size, sector size, card and reader identity, loop backing
 * file)?  a and b are "device" objects. */
int wipe_same_device(struct json_object *a, struct json_object *b);
struct json_object *wipe_device_json(struct json_object *ident, uint64_t size, unsigned lss);

/* cert.c */
/* What the device's identity says the media is (NIST SP 800-88's Media
 * Type): flash memory only on an SD/MMC host; a loop device over a file, a
 * USB device, any other block device: not known to the host. */
enum wipe_media { WIPE_MEDIA_SD, WIPE_MEDIA_MMC, WIPE_MEDIA_LOOP, WIPE_MEDIA_OTHER };
struct wipe_media_type {
	enum wipe_media kind;
	const char *technology;		/* "flash memory", or NULL: not known */
	char what[PATH_MAX + 64];	/* "SD card in an SD/MMC slot", ... */
	char type[PATH_MAX + 128];	/* "flash memory: SD card in an SD/MMC slot" */
	char span[256];			/* a loop device: which bytes of its file it is */
};
void wipe_media_kind(struct json_object *ident, struct wipe_media_type *t);
/* The certificate of the run (ok: every pass done as asked, nothing failed). */
struct json_object *wipe_certificate(struct wipe *w, int ok);
/* Write the certificate pair (JSON and text) under a name nobody used. */
int wipe_cert_write(struct wipe *w, struct json_object *cert);
/* The text form of a certificate (malloc'd), its first line the result. */
char *wipe_cert_text(struct json_object *cert);
/* The plan the confirmation and --dry-run show: device, match, passes. */
struct json_object *wipe_plan_public(struct wipe *w);

/* record.c: each appends its record to the case's custody log */
int wipe_record_start(struct wipe *w);
int wipe_record_resume(struct wipe *w);
int wipe_record_end(struct wipe *w);
/* "force" (--force given) and, with it, "force_overrode": the refusals of
 * the safety checks it overrode (an empty array: none), added to o. */
void wipe_add_force(struct wipe *w, struct json_object *o);
/* What the wipe left on the card (null when that cannot be told). */
struct json_object *wipe_left_on_card(struct wipe *w);

#endif
