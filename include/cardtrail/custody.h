/*
 * custody.h — the case's hash-chained custody log, Ed25519 keys and
 * OpenSSH SSHSIG signatures, and chain verification.
 *
 * CASEDIR/custody.log is JSON Lines.  Each line is one record; its "prev"
 * is the SHA-256 (hex) of the previous line's bytes without the newline
 * (64 zeros for record 0, the "open" record that carries the case UUID).
 * A signed record ends with a "sig" member: an armored OpenSSH signature
 * (namespace "cardtrail-custody", SHA-512) over the record's bytes as
 * they would be without it, i.e. the line with ',"sig":"…"' removed.
 * `ssh-keygen -Y verify` checks it without cardtrail.
 */
#ifndef CARDTRAIL_CUSTODY_H
#define CARDTRAIL_CUSTODY_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

#define CT_CUSTODY_LOG "custody.log"
#define CT_SSHSIG_NAMESPACE "cardtrail-custody"

/* ---- keys (sshsig.c) ---- */

struct ct_key;		/* an Ed25519 key pair (or a public key alone) */

/*
 * Make an Ed25519 key pair: PATH gets the private key in OpenSSH format
 * (created O_EXCL, mode 0600), PATH.pub the public key line.  *publine
 * (malloc'd) is "ssh-ed25519 AAAA… comment".
 */
int ct_key_generate(const char *path, const char *comment, char **publine);

/* Load an unencrypted OpenSSH Ed25519 private key.  -EINVAL for another
 * format or key type, -ENOTSUP for an encrypted key. */
int ct_key_load_private(const char *path, struct ct_key **key);

/* Parse a public key line "ssh-ed25519 BASE64 [comment]". */
int ct_key_parse_public(const char *line, struct ct_key **key);

/* "SHA256:base64" fingerprint as ssh-keygen -l prints it (buf >= 64). */
void ct_key_fingerprint(const struct ct_key *key, char *buf, size_t len);
/* 1 if both hold the same public key. */
int ct_key_equal(const struct ct_key *a, const struct ct_key *b);
/* New malloc'd "ssh-ed25519 BASE64". */
char *ct_key_public_line(const struct ct_key *key);
void ct_key_free(struct ct_key *key);

/*
 * Sign msg: *armored (malloc'd) gets "-----BEGIN SSH SIGNATURE-----\n…".
 */
int ct_sshsig_sign(const struct ct_key *key, const char *ns, const void *msg, size_t len,
		   char **armored);

/*
 * Check an armored signature over msg.  Returns 0 if valid (then *signer,
 * if not NULL, is a new key holding the embedded public key), -EBADMSG if
 * the signature does not verify, -EINVAL if it cannot be parsed or its
 * namespace is not ns.
 */
int ct_sshsig_verify(const char *armored, const char *ns, const void *msg, size_t len,
		     struct ct_key **signer);

/* ---- trust: which keys may sign, and as whom ---- */

struct ct_trust;
struct ct_trust *ct_trust_new(void);
void ct_trust_free(struct ct_trust *t);
/* A public key file (one key line); principal "*". */
int ct_trust_add_pubkey_file(struct ct_trust *t, const char *path, int *line);
/* An OpenSSH allowed_signers file: "principals [options] ssh-ed25519 BASE64". */
int ct_trust_add_allowed_signers(struct ct_trust *t, const char *path, int *line);
/* Number of keys held. */
size_t ct_trust_count(const struct ct_trust *t);
/* 1 if key is trusted for principal (an examiner name), 0 if not. */
int ct_trust_check(const struct ct_trust *t, const struct ct_key *key, const char *principal);

/* ---- the log (log.c) ---- */

struct ct_custody_line {
	char *bytes;		/* the line without its newline (NUL-terminated copy) */
	size_t len;
	uint64_t off;		/* byte offset in the file */
	struct json_object *rec;	/* parsed, or NULL if not JSON */
};

struct ct_custody_log {
	struct ct_custody_line *lines;
	size_t n;
	char *torn;		/* bytes after the last newline, or NULL */
	size_t torn_len;
	uint64_t torn_off;
};

/*
 * Read CASEDIR/custody.log.  1 if there is none (log left empty); -EINVAL
 * if it is not a regular file (a FIFO, a device, a socket, a directory or
 * a symbolic link: refused at once, never read or waited on).
 */
int ct_custody_read(const char *casedir, struct ct_custody_log *log);

/*
 * Is CASEDIR/custody.log usable?  0 yes, 1 there is none, -EINVAL it is not
 * a regular file, other -errno; err says what is wrong.  Commands that
 * append at the end of a long run check this first.
 */
int ct_custody_check(const char *casedir, char *err, size_t errlen);
void ct_custody_release(struct ct_custody_log *log);

/* SHA-256 hex (65 bytes) of len bytes. */
void ct_sha256_hex(const void *p, size_t len, char out[65]);

enum ct_append_create {
	CT_APPEND_CREATE = 0,	/* open the case (and its folder) if there is no log */
	CT_APPEND_EXISTING,	/* only an existing log: -ENOENT otherwise */
	CT_APPEND_NEW,		/* only a new case: -EEXIST if the log exists */
};

struct ct_append_opts {
	const char *examiner;		/* NULL: $CARDTRAIL_EXAMINER, then the login name */
	const struct ct_key *key;	/* sign when not NULL */
	enum ct_append_create create;
};

/*
 * Append a record.  rec (not consumed) holds "action" and, as the action
 * needs, "subject", "inputs", "outputs", "result"; this adds v, seq, time,
 * case, examiner, host, tool, prev and sig, under an exclusive flock, in a
 * single write(), then fsyncs the log and the folder.  A case without a
 * log gets its "open" record (random UUID) first.  Refuses (-EBADMSG) a
 * log that ends with a torn line.  *seq_out (may be NULL) gets the seq;
 * err gets a message on failure.
 */
int ct_custody_append(const char *casedir, struct json_object *rec,
		      const struct ct_append_opts *o, uint64_t *seq_out, char *err, size_t errlen);

/*
 * Set a torn last line aside in CASEDIR/custody.log.torn-<offset> (created
 * O_EXCL), cut it from the log and append a "repair" record naming the side
 * file with its sha256 and size.  1 if there was nothing to repair (or no
 * log: nothing is ever created).
 */
int ct_custody_repair(const char *casedir, const struct ct_append_opts *o, char *side,
		      size_t sidelen, char *err, size_t errlen);

/* The SHA-256 (hex) of line seq of CASEDIR/custody.log: what the next
 * record's prev, or a reference to that record, holds.  -ENOENT if there
 * is no such line. */
int ct_custody_line_hash(const char *casedir, uint64_t seq, char out[65]);

/* The examiner name an append would use. */
const char *ct_custody_examiner(const char *given);

/* A file of the case as a custody output {path, sha256, bytes}. */
int ct_custody_file_json(const char *casedir, const char *name, struct json_object **out);

/* ---- verification (verify.c) ---- */

struct ct_verify_opts {
	const struct ct_trust *trust;	/* NULL: signatures checked, signers not */
	int allow_unsigned;		/* with trust: accept unsigned records (listed) */
	int no_rehash;			/* skip re-hashing outputs (sizes are checked) */
	int strict;			/* files no record lists are problems */
	int chain_only;			/* records and signatures only: no file, no link */
	size_t bufsize;
};

/*
 * Walk the chain.  *report (new JSON object) has:
 *   records: [{seq, time, action, evidence, examiner, signature
 *              ("valid"|"unsigned"|"invalid"|"untrusted"), signer, verdict
 *              ("ok"|"FAILED"), problems: [text]}],
 *   torn: {offset, bytes} or null, head (sha256 of the last line),
 *   outputs: [{seq, path, status, detail}] where status is "ok" (re-hashed,
 *       as recorded), "not re-hashed" (present with its recorded size; the
 *       detail says why: --quick, its acquisition record changed, …) or
 *       what is wrong ("missing", "MISMATCH", "NOT A FILE", "UNREADABLE",
 *       "BAD PATH"),
 *   unrecorded: [names in the case folder no record lists, folders with
 *       a trailing '/'] (problems only with strict),
 *   problems: [text], ok: bool, quick: bool,
 *   counts {records, signed, unsigned, outputs, outputs_ok, outputs_bad,
 *       outputs_not_rehashed, unrecorded}
 * Returns 0 when the walk could be done (look at "ok"), 1 if there is no
 * log, -errno otherwise.
 */
int ct_custody_verify(const char *casedir, const struct ct_verify_opts *o,
		      struct json_object **report);

#endif
