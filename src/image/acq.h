/*
 * acq.h — what the parts of an acquisition share (private to src/image/).
 *
 * An acquisition is split by role, as libewf's ewftools split theirs:
 *   source.c    reading the card, narrowing unreadable areas to sectors,
 *               re-reading it for verification
 *   hashers.c   the hash consumers (whole stream, per segment, windows)
 *   sink.c      the sink table; sink_raw.c (raw, split raw) and
 *               sink_e01.c (Expert Witness Format via libewf) write
 *   acqmap.c    the mapfile as the run keeps it (marks and flushes)
 *   resume.c    continuing an interrupted acquisition
 *   verify.c    reading back after the acquisition
 *   casefiles.c evidence ids, case files, the record on disk, space
 *   reader.c    the one segment reader (ct_image_read) everything uses
 *   acquire.c   the run: those steps in order
 */
#ifndef CARDTRAIL_IMAGE_ACQ_H
#define CARDTRAIL_IMAGE_ACQ_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include <gcrypt.h>

#include "cardtrail/dev.h"
#include "cardtrail/hash.h"
#include "cardtrail/image.h"
#include "cardtrail/mapfile.h"
#include "cardtrail/pipe.h"

struct json_object;
struct acq;

#define MAX_SEGMENTS 9999
#define MAX_HASHES 8
#define MAX_CONSUMERS 24

/* A file of the image: E1.raw, one of E1.001, E1.002, ..., or E1.E01, ... */
struct segment {
	char name[96];
	uint64_t off, size;	/* place in the stream; size as planned (raw) */
	int fd;
	unsigned char digest[MAX_HASHES][CT_HASH_MAXLEN];	/* per algorithm (split only) */
};

/* ---- hashers.c ---- */

/* Hashes a stream cut at fixed boundaries (segments or windows). */
struct cut_hasher {
	gcry_md_hd_t h;
	uint64_t every;		/* boundary spacing */
	uint64_t total;		/* stream size */
	void (*done)(void *ctx, uint64_t index, const unsigned char *digest);
	void *ctx;
	uint64_t pos;		/* stream offset hashed so far */
};

struct hash_job {
	struct acq *a;
	int algo;		/* index in ct_hash_algos */
	gcry_md_hd_t whole;
	struct cut_hasher seg;	/* per segment, when split */
	int use_seg;
	unsigned char digest[CT_HASH_MAXLEN];
};

struct window_job {
	struct acq *a;
	struct cut_hasher cut;
	unsigned char (*digests)[32];
	uint64_t count;
};

/* The hashes one consumer thread computes, one after the other on each
 * buffer (an index into hashers.hj, or WINDOWS for the windows). */
#define WINDOWS (-1)
struct hash_thread {
	struct hashers *h;
	int job[MAX_HASHES + 1];
	size_t n;
	double cost;		/* seconds per MiB, measured */
	char name[64];
};

/* The hashers of one pass over the stream. */
struct hashers {
	struct hash_job hj[MAX_HASHES];
	size_t nh;
	struct window_job wj;
	int windows;		/* wj in use */
	struct hash_thread th[MAX_HASHES + 1];
	size_t nth;
};

/* Hashers for a->mask (and windows when a->window); per-segment digests
 * when segs and the sink cuts the stream into fixed-size segments. */
int hashers_init(struct acq *a, struct hashers *h, int segs);
void hashers_release(struct hashers *h);
/* Add the consumers to cons (at most max); returns how many.  The hashes
 * share threads where that does not slow the pass: as few threads as keep
 * the slowest hash (measured on this machine) the one that sets the pace. */
size_t hashers_consumers(struct hashers *h, struct ct_consumer *cons, size_t max);
struct json_object *hashers_json(const struct hashers *h);
struct json_object *windows_json(struct acq *a, const struct hashers *h);
/* The digest of algorithm name, or NULL when not computed. */
const unsigned char *hashers_digest(const struct hashers *h, const char *name);

/* ---- sinks (sink.c) ---- */

struct sink {
	const char *name;	/* "raw", "split", "e01" */
	const char *format;	/* what --format says: "raw" or "e01" */
	int split;		/* 1: picked with --split, 0: without, -1: either */
	const char *first_suffix;	/* of the first file: ".raw", ".001", ".E01" */
	int fixed_segments;	/* the files tile the stream every a->split bytes */
	/* Check the options and the source before anything is written. */
	int (*check)(struct acq *a);
	/* Lay out the files of a new image. */
	int (*plan)(struct acq *a);
	/* Prepare a resume from what the mapfile vouches for: set
	 * a->resume_pos and leave the files ready to be written from it. */
	int (*resume)(struct acq *a, uint64_t vouched);
	/* Consumers that must see each buffer before the writer (compressors);
	 * they come before the writer in cons.  Returns how many (may be 0). */
	size_t (*helpers)(struct acq *a, struct ct_consumer *cons, size_t max);
	/* The writer: a pipeline consumer with a as its context. */
	int (*write)(void *ctx, const struct ct_pipe_buf *b);
	int (*write_finish)(void *ctx);
	/* The run stopped early (reader, signal): keep what can be kept, and
	 * say what that is ("N bytes were imaged and kept"). */
	void (*keep)(struct acq *a);
	void (*kept)(struct acq *a, char *buf, size_t len);
	/* Everything was written: hashes and unreadable ranges are known;
	 * make the image final and durable. */
	int (*seal)(struct acq *a, const struct hashers *h);
	/* The segments as the record lists them. */
	struct json_object *(*segments_json)(struct acq *a, const struct hashers *h);
	/* A reader of what was written (NULL: the planned segments, raw). */
	int (*reader)(struct acq *a, struct ct_image **img);
	/* Release what the sink holds (files, handles); safe to call twice. */
	void (*close)(struct acq *a);
};

/* The sink for --format and --split, or NULL. */
const struct sink *sink_choose(const char *format, int split);
/* The sink a record's options name ("format", "split"), or NULL. */
const struct sink *sink_of_record(struct json_object *rec);
/* 1 if any sink's first file of id exists in dir. */
int sink_files_exist(const char *dir, const char *id);

extern const struct sink sink_raw, sink_split, sink_e01;

/* Open (create with O_EXCL when create) a segment of the case for reading
 * and writing. */
int segment_open(struct acq *a, struct segment *s, int create);
/* The segment holding stream offset off (fixed-size segments), or NULL. */
struct segment *segment_at(struct acq *a, uint64_t off);
/* Record a write error of the sink (the first one wins). */
void sink_error(struct acq *a, int err, uint64_t stream_off, uint64_t file_off,
		const char *file);

/* ---- acqmap.c ---- */

/* Write the map as vouched for: everything at or beyond a->written is
 * reported non-tried (unless final).  Caller holds map_mu. */
int map_flush_locked(struct acq *a, int final);
int map_flush(struct acq *a, int final);
/* Let the map vouch for [0, upto) (UINT64_MAX: for all the reader has
 * marked) and flush it; a failure is the sink's error (the mapfile named). */
int map_vouch(struct acq *a, uint64_t upto);
int map_mark(struct acq *a, uint64_t off, uint64_t len, char status);
/* Mark what the reader delivered in [off, off+len) and did not mark bad as
 * finished. */
int map_mark_read(struct acq *a, uint64_t off, uint64_t len);
/* The stretch of [p, end) starting at p that is all unreadable ('-': *bad
 * set) or all read; returns where it ends. */
uint64_t stretch_end(const struct ct_map *m, uint64_t p, uint64_t end, int *bad);
struct json_object *bad_ranges_json(struct acq *a);

/* ---- source.c ---- */

int acquire_read(void *ctx, struct ct_pipe_buf *b, size_t cap);
int verify_read(void *ctx, struct ct_pipe_buf *b, size_t cap);
void report_progress(struct acq *a, uint64_t done, int final);
int safety_checks(struct acq *a);

/* ---- reader.c (internal constructors; ct_image_open is public) ---- */

/* A pipeline reader over a->img: what a damaged E01 chunk delivers is
 * kept and the chunk named in a->damage (the hashes tell the rest). */
int image_pipe_read(void *ctx, struct ct_pipe_buf *b, size_t cap);

/* The full path of a file an acquisition record names: inside the case
 * folder, or where an image adopted in place lies.  -EINVAL for a name
 * that would leave the case folder. */
int record_file_path(const char *casedir, struct json_object *acq, const char *name, char *buf,
		     size_t len);
/* A reader over the acquisition's own files (raw as planned, or what the
 * sink says). */
int image_open_plan(struct acq *a, struct ct_image **img);
/* A reader over the files names (full paths) of format ("raw": they tile
 * the stream in order, sizes from the files; "e01": one segment set, which
 * must be complete unless unfinished). */
int image_open_files(struct acq *a, const char *format, const char *const *names, size_t n,
		     int unfinished, struct ct_image **img);

/* ---- casefiles.c ---- */

int id_taken(const char *dir, const char *id);
/* A new evidence item in a->casedir: the folder made, the id given (refused
 * when taken, the message ending with hint) or the next free E<n>, its
 * record created O_EXCL (a->rec_fd); sets a->id and a->rec_live. */
int new_evidence(struct acq *a, const char *given, const char *hint);
int open_case_file(struct acq *a, const char *suffix, int create, off_t reserve);
int read_whole(int fd, char **out, size_t *outlen);
void existing_ancestor(const char *path, char *out, size_t len);
int space_check(struct acq *a, uint64_t need);
int record_write(struct acq *a);
/* The record as the run ends: finished now, complete (when ret is 0 too),
 * status, error (NULL: none); written, closed, the folder flushed.
 * Returns ret, or the first error of that. */
int record_close(struct acq *a, int ret, int complete, const char *status, const char *error);

/* ---- record.c ---- */

struct json_object *jhex(const unsigned char *d, size_t n);
struct json_object *jint(uint64_t v);
void jset(struct json_object *o, const char *k, struct json_object *v);
const char *verify_name(int v);
struct json_object *options_json(struct acq *a);
/* The case metadata (case and evidence number, examiner, description,
 * notes) as given, for the record. */
struct json_object *metadata_json(struct acq *a);

/* ---- resume.c, verify.c ---- */

int resume_setup(struct acq *a);
int verify_phase(struct acq *a, const struct hashers *acq_h);

/* ---- acquire.c ---- */

/* Run the pipeline: readfn feeds the hashers h, the sink's helpers and
 * writer when with_writer, and extra consumers. */
int run_pipeline(struct acq *a, ct_pipe_read_fn readfn, struct hashers *h, int with_writer,
		 struct ct_consumer *extra, size_t nextra);

int acq_error(struct acq *a, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct acq {
	const struct ct_image_opts *o;
	struct ct_image_result *res;
	const struct sink *sink;
	void *sink_state;	/* the sink's own */
	struct ct_dev src;
	struct json_object *ident;	/* the source's identity (not owned) */
	char casedir[PATH_MAX];
	char id[64];
	unsigned mask;
	size_t bufsize;
	uint64_t window;
	uint64_t split;

	struct segment *segs;
	unsigned nseg;
	uint64_t resume_pos;	/* bytes already in the image before this run */
	struct ct_image *prefix;	/* reader of those bytes (resume) */

	/* map, shared by reader (statuses) and writer (flushes) */
	pthread_mutex_t map_mu;
	struct ct_map map;
	int map_fd;
	uint64_t written;	/* the map vouches for [0, written) */
	uint64_t wrote_upto;	/* writer: bytes handed to the sink's files */

	/* reader */
	int vanished;
	int read_errno;
	int probe_errno;
	uint64_t vanish_off;
	uint64_t last_good;	/* offset of a sector that read fine, or UINT64_MAX */
	uint64_t bad_bytes;
	double t0, last_progress;
	enum ct_progress_kind phase;
	int verify_from_image;	/* verify reader: image (1) or source (0) */
	struct ct_image *img;	/* what image_pipe_read reads */
	char damage[1024];	/* the damaged chunks it met */

	/* sink error */
	int write_errno;
	uint64_t write_err_off;
	uint64_t write_err_in;	/* offset inside that file, or UINT64_MAX */
	char write_err_file[128];
	char write_err_detail[512];	/* the library's words, when it has them */

	int rec_fd;
	struct json_object *rec;
	int rec_live;		/* this run may rewrite the record (it made it, or
				 * a resume got past its checks) */
};

#endif
