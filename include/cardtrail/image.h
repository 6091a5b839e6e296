/*
 * image.h — acquisition: read a source once through the pipeline, hash it
 * with every selected algorithm in parallel, write raw or split segments,
 * handle unreadable sectors, then verify, and write the acquisition record.
 */
#ifndef CARDTRAIL_IMAGE_H
#define CARDTRAIL_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;

#define CT_VERIFY_IMAGE  0x1
#define CT_VERIFY_SOURCE 0x2

enum ct_progress_kind { CT_PROGRESS_ACQUIRE, CT_PROGRESS_VERIFY };

struct ct_progress {
	enum ct_progress_kind phase;
	uint64_t done, total;	/* bytes */
	double elapsed;		/* seconds in this phase */
	uint64_t bad_bytes;	/* unreadable so far */
	int final;		/* last call of the phase */
};

struct ct_image_opts {
	const char *source;
	const char *casedir;
	const char *evidence_id;	/* NULL: next free E<n> */
	unsigned hash_mask;		/* bits of ct_hash_algos; 0 means sha256 */
	uint64_t window;		/* piecewise SHA-256 window, 0 = none */
	const char *format;		/* "raw" (default, NULL) or "e01" */
	const char *compress;		/* e01: "none" (default, NULL), "fast", "best" */
	uint64_t split;			/* segment size, 0 = one .raw file */
	int verify;			/* CT_VERIFY_* bits */
	int allow_mounted;
	int retries;			/* extra reads of a failing sector */
	int resume;			/* continue from the mapfile of evidence_id */
	int no_space_check;
	int container_as_bytes;		/* an E01 source imaged as a file of bytes */
	size_t bufsize;			/* pipeline buffer (default 1 MiB) */
	size_t nslots;			/* pipeline ring slots (default 16) */
	const char *command_line;	/* recorded in the mapfile header */
	/* Case metadata: in the record, the custody record and the E01
	 * header (NULL: none; evidence_number defaults to the evidence id). */
	const char *case_number, *evidence_number, *description, *notes;
	const char *examiner;		/* as the custody log records it */
	/* Called from the reader thread about every 200 ms and at the end. */
	void (*progress)(const struct ct_progress *p, void *ctx);
	void *progress_ctx;
};

struct ct_image_result {
	char evidence[64];		/* chosen evidence id */
	char record_path[4096];		/* CASEDIR/E1.acquisition.json */
	struct json_object *record;	/* the record as written (owned) */
	uint64_t bytes;			/* bytes acquired */
	uint64_t bad_bytes;		/* zero-filled */
	int complete;			/* every byte read or listed as bad */
	int verify_failed;		/* a verification did not match */
	char error[1024];		/* why it failed / what did not match */
};

/*
 * Acquire.  Returns 0 when the image is complete (check bad_bytes and
 * verify_failed for exit status 4 and 3), or -errno with res->error set; in
 * that case whatever was written stays, and the record (if it could be
 * written at all) says "complete": false.
 */
int ct_image_run(const struct ct_image_opts *o, struct ct_image_result *res);

/* Does the file at path start with the EWF signature (an E01 image,
 * libewf_check_file_signature)?  1 yes, 0 no, -errno when it cannot be
 * read. */
int ct_image_source_is_ewf(const char *path);
void ct_image_result_release(struct ct_image_result *res);

/*
 * Re-read the image of an acquisition record (its segments in casedir)
 * through the pipeline and compare with the record: whole-image hashes,
 * each segment's hashes and the piecewise windows.  *report (new) holds
 *   match (bool), hashes {algo: hex}, segments [{path, bytes, status
 *   ("present" | "missing" | "size differs" | …), sha256, match,
 *   mismatched_windows [index]}], mismatched_windows [{index, offset,
 *   length, segment}], error (text, when not matching)
 * Returns 0 when the comparison was made (see "match"), -errno otherwise
 * (the report then has match false and the error).
 */
int ct_image_rehash(const char *casedir, struct json_object *acq, size_t bufsize,
		    struct json_object **report);

/*
 * Reading an image: one reader for every format (raw, split raw), used by
 * re-hashing, verification, the resume and the wipe's card match.  The
 * handle keeps the text of its last error (ct_image_error).
 */
struct ct_image;

/* Open the image an acquisition record describes (its files in casedir).
 * Returns 0, or -errno with err set. */
int ct_image_open(const char *casedir, struct json_object *acq, struct ct_image **img,
		  char *err, size_t errlen);
/* Read len bytes at off (the whole range must lie inside the image).
 * Returns 0 or -errno. */
int ct_image_read(struct ct_image *img, void *buf, size_t len, uint64_t off);
uint64_t ct_image_size(const struct ct_image *img);
/*
 * The files of the image an acquisition record describes, as paths to
 * open (in casedir, or where an image adopted in place lies), and its
 * format ("raw" or "e01"; the record's, not a copy).  *paths is a
 * NULL-terminated malloc'd array; free it with ct_image_paths_free.
 * -EINVAL for a record whose file names would leave the case folder.
 */
int ct_image_paths(const char *casedir, struct json_object *acq, char ***paths, size_t *n,
		   const char **format);
void ct_image_paths_free(char **paths);
/* 1 if the file at path starts like an EWF segment (E01), 0 if not, -errno. */
int ct_image_is_ewf(const char *path);
const char *ct_image_format(const struct ct_image *img);
const char *ct_image_error(const struct ct_image *img);
void ct_image_close(struct ct_image *img);

/*
 * The custody record for a finished (or failed) acquisition: action
 * "image", subject {evidence, card}, inputs [source], outputs [segments,
 * record, mapfile] (only when the image is complete: partial files change
 * on --resume), result.  New object, or NULL with *err set.
 */
struct json_object *ct_image_custody_record(const struct ct_image_opts *o,
					    const struct ct_image_result *res, int status,
					    char *err, size_t errlen);

/*
 * Adopt an image made elsewhere (raw, split raw, or an E01 from ewfacquire,
 * Guymager, FTK Imager, ...) into a case without a card: copy its files
 * into the case as E<n>.raw / E<n>.001... / E<n>.E01... (or, in_place,
 * reference them where they lie), check the image's own stored hashes and
 * chunk checksums where it has them (as ewfverify does), hash it as
 * `image` would, and write the acquisition record E<n>.acquisition.json
 * with what the image says of itself (tool, case data, acquisition
 * errors), so that verify and extract treat it as one of ours.
 */
struct ct_adopt_opts {
	const char *const *images;	/* the files given (one .E01 or .001 finds the rest) */
	size_t nimages;
	const char *casedir;
	const char *evidence_id;	/* NULL: next free E<n> */
	int in_place;
	unsigned hash_mask;		/* as ct_image_opts; sha256 always */
	uint64_t window;
	size_t bufsize;
	/* case data: NULL takes what the image says (E01), else none */
	const char *case_number, *evidence_number, *description, *notes;
	const char *examiner;		/* as the custody log records it */
	void (*progress)(const struct ct_progress *p, void *ctx);
	void *progress_ctx;
};

struct ct_adopt_result {
	char evidence[64];
	char record_path[4096];
	struct json_object *record;	/* the acquisition record as written (owned) */
	uint64_t bytes, bad_bytes;	/* bad: acquisition errors the image lists */
	int complete;			/* adopted and hashed */
	int mismatch;			/* a stored hash or a chunk checksum does not match */
	char error[1024];
};

/* Returns 0 (look at mismatch and bad_bytes for exit status 3 and 4), or
 * -errno with res->error set; files copied so far stay, and a record
 * written says "complete": false. */
int ct_image_adopt(const struct ct_adopt_opts *o, struct ct_adopt_result *res);
void ct_adopt_result_release(struct ct_adopt_result *res);
/* The custody record: action "adopt", subject {evidence, metadata}, inputs
 * [the files given, with SHA-256], outputs [the copies, the record]. */
struct json_object *ct_adopt_custody_record(const struct ct_adopt_opts *o,
					    const struct ct_adopt_result *res, int status,
					    char *err, size_t errlen);

/* The card facts that tie records together: {size, cid, serial, model,
 * vendor, reader_serial} (missing ones left out), from an identity. */
struct json_object *ct_identity_card(struct json_object *identity, uint64_t size);

/* "cardtrail 0.1.0 (libgcrypt 1.10.1, libblkid 2.38.1, libarchive 3.6.2, json-c 0.16)" */
const char *ct_tool_string(void);
/* The same as a JSON object {name, version, libraries:{…}} (new reference). */
struct json_object *ct_tool_json(void);

#endif
