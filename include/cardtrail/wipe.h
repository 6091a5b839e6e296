/*
 * wipe.h — verified multi-pass overwrite of a card and its certificate.
 *
 * A method is a table of passes.  A pass writes a fixed pattern (1 or 3
 * bytes repeated, aligned to the absolute offset), a byte chosen at random
 * for the run (and recorded), the complement of the previous pass's byte,
 * or an AES-128-CTR keystream keyed per pass with fresh random key
 * material whose counter is the byte offset / 16: any block can be
 * regenerated on its own, every sector's content is unique, and a block
 * read back from the wrong address decrypts to the address it was written
 * at (that is how a card whose addresses wrap is caught and measured).
 *
 * An overwrite of every addressable sector, verified by read-back, is
 * NIST SP 800-88 "Clear" for flash memory cards, not "Purge": flash remaps
 * blocks into spare area the host cannot address.
 */
#ifndef CARDTRAIL_WIPE_H
#define CARDTRAIL_WIPE_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

enum ct_pass_kind {
	CT_PASS_FIXED = 0,	/* pat[0..patlen) repeated */
	CT_PASS_RANDBYTE,	/* one byte chosen at random for the run */
	CT_PASS_COMPLEMENT,	/* ~ the byte of the previous pass */
	CT_PASS_KEYSTREAM,	/* AES-128-CTR keystream */
};

struct ct_wipe_pass {
	enum ct_pass_kind kind;
	unsigned char pat[3];
	unsigned patlen;	/* 1 or 3 for FIXED */
};

#define CT_WIPE_MAX_PASSES 64

struct ct_wipe_method {
	const char *name;
	const char *label;
	unsigned npasses;
	struct ct_wipe_pass passes[CT_WIPE_MAX_PASSES];
};

extern const struct ct_wipe_method ct_wipe_methods[];
extern const size_t ct_wipe_method_count;

/*
 * A method by name, or "custom:PASS,PASS,…" where a pass is a byte (0x5a),
 * a 3-byte pattern (0x924924) or "random".  -EINVAL (with err set) when
 * the name or a pass is not understood.
 */
int ct_wipe_method_parse(const char *spec, struct ct_wipe_method *out, char *err, size_t errlen);

/* "0x00", "0x924924", "random byte", "complement", "keystream" (buf >= 24). */
void ct_wipe_pass_str(const struct ct_wipe_pass *p, char *buf, size_t len);

/* A pass made concrete for a run: bytes chosen, keys drawn. */
struct ct_pass_plan {
	int keystream;
	unsigned char pat[3];
	unsigned patlen;
	unsigned char key[16];
	unsigned char nonce[8];
};

/* Resolve a method into plans (random bytes and keys drawn now). */
int ct_wipe_plan(const struct ct_wipe_method *m, struct ct_pass_plan *plans);

/*
 * Fill buf with what the pass writes at [off, off+len); off and len must
 * be multiples of 16.  For keystream passes h is a cipher handle made by
 * ct_pass_cipher (one per thread), else NULL.
 */
struct ct_pass_cipher;
int ct_pass_cipher_open(const struct ct_pass_plan *p, struct ct_pass_cipher **c);
void ct_pass_cipher_close(struct ct_pass_cipher *c);
int ct_pass_fill(const struct ct_pass_plan *p, struct ct_pass_cipher *c, unsigned char *buf,
		 size_t len, uint64_t off);
/* For a keystream pass: the offset a 16-byte block read back was written
 * at, or -1 if it is not a block of this pass. */
int64_t ct_pass_block_origin(const struct ct_pass_plan *p, struct ct_pass_cipher *c,
			     const unsigned char block[16]);

/* ---- the run ---- */

enum ct_wipe_verify { CT_WIPE_VERIFY_NONE, CT_WIPE_VERIFY_LAST, CT_WIPE_VERIFY_ALL };

/*
 * How the card is found to be the one imaged: by sampling (the first and
 * the last MiB, the filesystem metadata of the image, and at least 1024
 * sectors at offsets drawn from a fresh random seed, compared with the
 * image at the same offsets), or every byte (and the image's SHA-256
 * against its record, from the same read).
 */
enum ct_wipe_match { CT_WIPE_MATCH_SAMPLED, CT_WIPE_MATCH_FULL };

struct ct_wipe_progress {
	const char *phase;	/* "match", "write" or "verify" */
	unsigned pass, npasses;	/* 1-based; 0 while matching */
	uint64_t done, total;
	double elapsed;
};

struct ct_trust;
struct ct_append_opts;

struct ct_wipe_opts {
	const char *device;
	const char *casedir;		/* NULL only with no_image_check */
	const char *cert_dir;		/* where certificates go without a case */
	const char *method_spec;	/* default "nist-clear" */
	enum ct_wipe_verify verify;
	enum ct_wipe_match match;
	int discard;
	const char *format;		/* NULL, "fat32" or "exfat" */
	const char *label;
	const char *destination;	/* post-sanitization destination */
	const char *evidence_root;	/* a folder of cases (the station's --cases): a loop
					 * device over a file under it is refused too */
	const char *examiner;
	const char *organization;	/* of the person performing it */
	const char *validator;		/* who validates the certificate */
	const struct ct_trust *trust;	/* the chain's signatures must verify with these */
	const struct ct_append_opts *append;	/* examiner and signing key of the records */
	int force;			/* not a removable/mmc/usb device */
	int no_image_check;
	int dry_run;
	int resume;
	size_t bufsize;
	/* called before anything is written, after every check passed: 0 to
	 * go on, anything else refuses (the confirmation prompt) */
	int (*confirm)(struct json_object *plan, void *ctx);
	void *confirm_ctx;
	void (*progress)(const struct ct_wipe_progress *p, void *ctx);
	void *progress_ctx;
};

struct ct_wipe_result {
	struct json_object *cert;	/* the certificate as written (owned) */
	struct json_object *plan;	/* identity, match and plan (dry run too) */
	char evidence[64];		/* the matched evidence, or "" */
	char cert_json[4096], cert_txt[4096];	/* paths written */
	char state_path[4096];
	char method_spec[512];		/* the method run (the first run's on --resume) */
	uint64_t start_seq;		/* the custody record that started the wipe, or 0 */
	uint64_t end_seq;		/* the wipe's own record, or 0 */
	int refused;			/* a check said no: nothing written */
	int verify_failed;		/* a read-back did not match (exit 3) */
	int wrapped;			/* addresses wrap: a counterfeit card */
	uint64_t real_capacity;		/* apparent real capacity when wrapped */
	int interrupted;		/* stopped by a signal; --resume continues */
	char log_error[1024];		/* the end record could not be appended: why */
	char error[1024];
};

/*
 * Run (or, with dry_run, check and plan: every check of a real run, the
 * exclusive open included, and nothing written) a wipe.  With a case, the
 * run appends its custody records itself: one when the wipe starts (the
 * plan, key fingerprints and the device), one per resume, and the wipe's
 * own when it ends (res->end_seq; res->log_error when that failed).  0
 * when every pass was written and the read-backs asked for matched;
 * -errno otherwise (error set; a certificate saying FAILED is written once
 * anything was written).
 */
int ct_wipe_run(const struct ct_wipe_opts *o, struct ct_wipe_result *res);
void ct_wipe_result_release(struct ct_wipe_result *res);

/*
 * Is the block device rdev a loop device whose file -- through loop
 * devices over loop devices -- is a case's evidence?  That is a file in a
 * folder (or below one) that holds a custody log; any file under one of
 * roots[] (case folders, or a folder of them), by device and inode, so a
 * hard link elsewhere, or one whose name is gone, is the file; an image
 * that a record of a case under roots[] names where it lies (adopt
 * --in-place) or was adopted from.  The file is told by LOOP_GET_STATUS64
 * (fd: rdev open; -1: its node is opened read-only, not exclusively), or
 * by the name in sysfs.  1 with why ("a loop device over 'FILE', a file of
 * the case in 'DIR'"), 0 when not (or no loop device), -errno with why
 * when that cannot be told.  The wipe refuses such a device; the station
 * does not take it.
 */
int ct_wipe_loop_evidence(dev_t rdev, int fd, const char *const *roots, size_t nroots, char *why,
			  size_t len);

#endif
