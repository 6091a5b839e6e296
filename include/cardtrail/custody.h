/*
 * custody.h — the case's hash-chained custody log, OpenSSH keys (on file
 * or in ssh-agent) and SSHSIG signatures, and chain verification.
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

/* ---- keys (sshkey.c) ---- */

/*
 * A public key of a type cardtrail checks (ssh-ed25519, ssh-rsa, and
 * ecdsa-sha2-nistp256/384/521), with what can sign with it: cardtrail
 * itself (an unencrypted Ed25519 private key file), or ssh-agent.
 */
struct ct_key;

/*
 * Make an Ed25519 key pair: PATH gets the private key in OpenSSH format
 * (created O_EXCL, mode 0600), PATH.pub the public key line.  *publine
 * (malloc'd) is "ssh-ed25519 AAAA… comment".
 */
int ct_key_generate(const char *path, const char *comment, char **publine);

/* What a key file named to sign holds (ct_key_load_file). */
enum ct_keyfile {
	CT_KEYFILE_PRIVATE,	/* an unencrypted Ed25519 private key: cardtrail signs */
	CT_KEYFILE_ENCRYPTED,	/* a passphrase-protected private key: the agent must */
	CT_KEYFILE_AGENT_ONLY,	/* an unencrypted RSA/ECDSA private key: the agent must */
	CT_KEYFILE_PUBLIC,	/* a public key: the agent must */
};

/*
 * Read a key file named to sign: an OpenSSH private key (its public half
 * is in clear even when it is encrypted) or a public key line.  *kind
 * says which.  -EINVAL: neither (or not a regular file); -ENOTSUP: a key
 * type cardtrail does not implement (FIDO sk-, certificates, DSA);
 * -EPROTONOSUPPORT: a PEM/PKCS#8 private key (ssh-add reads those).
 */
int ct_key_load_file(const char *path, struct ct_key **key, int *kind);

/* An unencrypted Ed25519 private key file only: -ENOTSUP for any other
 * private key, -EINVAL for anything else. */
int ct_key_load_private(const char *path, struct ct_key **key);

/*
 * Sign with key through the ssh-agent at sock from now on, if it holds
 * the key: 0, 1 if it does not, or an agent error (ct_agent_list).
 * list_ms bounds the look at the agent's keys now, sign_ms each
 * signature later (which may wait for a confirmation).
 */
int ct_key_use_agent(struct ct_key *key, const char *sock, int list_ms, int sign_ms);
/* The agent socket key signs through, or NULL. */
const char *ct_key_agent(const struct ct_key *key);

/*
 * A new key from a public key blob, read as OpenSSH's sshkey_fromb()
 * reads it (which also takes "RSA" or "ED25519" in any case and
 * "rsa-sha2-512" as a blob's type name, and mpints with leading zeros):
 * -EINVAL malformed, -ENOTSUP a type OpenSSH knows and cardtrail does not
 * implement.  The key keeps the blob as OpenSSH would write it back, so
 * that equal keys have equal blobs and fingerprints.
 */
int ct_key_from_blob(const unsigned char *blob, size_t n, struct ct_key **key);

/* Parse a public key line "TYPE BASE64 [comment]" (as sshkey_read). */
int ct_key_parse_public(const char *line, struct ct_key **key);

/* "SHA256:base64" fingerprint as ssh-keygen -l prints it (buf >= 64). */
void ct_key_fingerprint(const struct ct_key *key, char *buf, size_t len);
/* The same for a raw public key blob (as an agent lists it). */
void ct_blob_fingerprint(const unsigned char *blob, size_t n, char *buf, size_t len);
/* The type name a raw blob starts with, printable, or "?". */
void ct_blob_type(const unsigned char *blob, size_t n, char *buf, size_t len);
/* "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256"… */
const char *ct_key_type(const struct ct_key *key);
/* "ED25519-256", "RSA-3072", "ECDSA-384": type and size as ssh-keygen -l. */
void ct_key_describe(const struct ct_key *key, char *buf, size_t len);
/* 1 if both hold the same public key. */
int ct_key_equal(const struct ct_key *a, const struct ct_key *b);
/* New malloc'd "TYPE BASE64". */
char *ct_key_public_line(const struct ct_key *key);
void ct_key_free(struct ct_key *key);

/* ---- ssh-agent (agent.c) ---- */

#define CT_AGENT_MAX_REPLY (256 * 1024)	/* OpenSSH's own limit on a reply */
#define CT_AGENT_MAX_KEYS 2048		/* and on the identities listed */
#define CT_AGENT_RSA_SHA2_256 2		/* sign request flags */
#define CT_AGENT_RSA_SHA2_512 4

struct ct_agent_id {
	unsigned char *blob;	/* public key blob, as the agent sent it */
	size_t bloblen;
	char *comment;
};

struct ct_agent_list {
	struct ct_agent_id *id;
	size_t n;
};

/*
 * The identities of the agent at sock.  Every call connects anew and
 * gives the whole exchange timeout_ms.  Errors: -ENOENT/-ECONNREFUSED
 * (no agent listens there), -ETIMEDOUT, -ECONNRESET (closed without an
 * answer), -EMSGSIZE (an answer above CT_AGENT_MAX_REPLY or more than
 * CT_AGENT_MAX_KEYS keys), -EPROTO (malformed), -EPERM (the agent refused).
 */
int ct_agent_list(const char *sock, int timeout_ms, struct ct_agent_list *out);
void ct_agent_list_free(struct ct_agent_list *l);

/* A signature blob (string alg, signature) of data by the key with this
 * blob; flags as CT_AGENT_RSA_*.  Errors as ct_agent_list. */
int ct_agent_sign(const char *sock, int timeout_ms, const unsigned char *blob, size_t bloblen,
		  const void *data, size_t len, uint32_t flags, unsigned char **sig, size_t *siglen);

/* What an agent error means, naming sock ("no ssh-agent answers at …"). */
int ct_agent_strerror(int err, const char *sock, int timeout_ms, char *buf, size_t len);

/* ---- signatures (sshsig.c) ---- */

/*
 * Sign msg: *armored (malloc'd) gets "-----BEGIN SSH SIGNATURE-----\n…".
 * With a key bound to an agent, the agent signs and its signature is
 * checked before it is used; err (may be NULL) then says what failed.
 */
int ct_sshsig_sign(const struct ct_key *key, const char *ns, const void *msg, size_t len,
		   char **armored, char *err, size_t errlen);

/*
 * Check an armored signature over msg as `ssh-keygen -Y verify` does.
 * Returns 0 if valid (then *signer, if not NULL, is a new key holding the
 * embedded public key), -EBADMSG if the signature does not verify,
 * -EINVAL if it cannot be parsed, -ENOMSG if it was made for another
 * namespace than ns (ct_sshsig_namespace names it), -ENOTSUP if its key
 * is of a type cardtrail does not check.
 */
/* The namespace an armored signature names, printable ASCII ('?' for any
 * other byte), cut to outlen - 1: 0, or -EINVAL if it cannot be read. */
int ct_sshsig_namespace(const char *armored, char *out, size_t outlen);
int ct_sshsig_verify(const char *armored, const char *ns, const void *msg, size_t len,
		     struct ct_key **signer);

/* ---- trust: which keys may sign, and as whom (trust.c) ---- */

struct ct_trust;
struct ct_trust *ct_trust_new(void);
void ct_trust_free(struct ct_trust *t);
/* A public key file (key lines); principal "*".  -EINVAL with *line for
 * a line that is not a key, or a file without one. */
int ct_trust_add_pubkey_file(struct ct_trust *t, const char *path, int *line);
/*
 * An OpenSSH allowed_signers file, read as ssh-keygen reads it: lines of
 * any length, "principals [options] key"; a line ssh-keygen would skip is
 * kept as a problem (ct_trust_problem).  -EINVAL if no line is usable.
 */
int ct_trust_add_allowed_signers(struct ct_trust *t, const char *path, int *line);
/* Number of usable lines. */
size_t ct_trust_count(const struct ct_trust *t);
/* The i-th line that can never match: 1 with its file, line and why; 0
 * when there are no more. */
int ct_trust_problem(const struct ct_trust *t, size_t i, const char **file, unsigned long *line,
		     const char **why);
/*
 * 1 if key is trusted to sign for principal (an examiner name) in
 * namespace ns at time when (seconds, ct_custody_time of a record's
 * "time"; -1: a line with valid-after/valid-before never allows it) and
 * also at established (the latest time of the records before it, which
 * the signer cannot choose; -1: none), both by one line; 0 if not.
 */
int ct_trust_check(const struct ct_trust *t, const struct ct_key *key, const char *principal,
		   const char *ns, long long when, long long established);

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
/* A record's "time" (2026-11-21T14:02:11Z) in seconds since 1970, or -1. */
long long ct_custody_time(const char *when);
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
