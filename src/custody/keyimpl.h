/*
 * keyimpl.h — what a struct ct_key is, and the table of key types, shared
 * by sshkey.c, sshsig.c and trust.c.  Not a public API.
 */
#ifndef CARDTRAIL_CUSTODY_KEYIMPL_H
#define CARDTRAIL_CUSTODY_KEYIMPL_H

#include <stddef.h>
#include <stdint.h>

#include "custody/wire.h"

struct ct_key;

/* A signature algorithm of a key type. */
struct ct_sigalg {
	const char *name;	/* "rsa-sha2-512", as the signature blob names it */
	int md;			/* libgcrypt hash of the signed data; 0 for EdDSA */
	uint32_t agent_flags;	/* what a sign request asks the agent for */
};

struct ct_keytype {
	const char *name;		/* in the blob and the text form */
	const char *alias[2];		/* other names the text form may give */
	const char *label;		/* as ssh-keygen -l prints it: ED25519, RSA, ECDSA */
	const char *curve;		/* ECDSA: the blob's curve name */
	const char *gcurve;		/* ECDSA: libgcrypt's name for it */
	size_t coord;			/* ECDSA: bytes per coordinate */
	struct ct_sigalg sig[2];	/* sig[0] is the one cardtrail signs with */
	/* check what follows the type name in a public key blob, as OpenSSH
	 * does, and append it to canon in its canonical form */
	int (*parse)(const struct ct_keytype *kt, struct ct_wrd *r, struct ct_wbuf *canon);
	/* verify; r is at the bytes after the signature's algorithm name */
	int (*verify)(const struct ct_key *k, const struct ct_sigalg *alg, struct ct_wrd *r,
		      const void *data, size_t len);
	unsigned int (*bits)(const struct ct_key *k);
};

struct ct_key {
	const struct ct_keytype *kt;
	unsigned char *blob;		/* the public key blob, checked and canonical
					 * (as OpenSSH writes it back): two keys are
					 * equal when their blobs are */
	size_t bloblen;
	unsigned char seed[32];		/* Ed25519 private seed when has_private */
	int has_private;
	char *agent;			/* the ssh-agent socket that signs, or NULL */
	int agent_timeout_ms;
};

/* The type named by the first len bytes of name (an alias too), or NULL. */
const struct ct_keytype *ct_keytype_find(const char *name, size_t len);
/* 1 if OpenSSH knows name as a key type cardtrail does not implement
 * (FIDO sk-*, certificates, ssh-dss). */
int ct_keytype_known_elsewhere(const char *name, size_t len);

/*
 * Read "TYPE BASE64" at *cp exactly as OpenSSH's sshkey_read() does: the
 * type ends at a space or tab (a line ending there is no key), the base64
 * ends at the next space or tab (other whitespace inside it is skipped),
 * the blob's type must be the one named.  On success *cp is past the
 * blanks that follow, at the comment.  -EINVAL: not a key (*cp
 * untouched); -ENOTSUP: a type cardtrail does not implement (*cp past it).
 */
int ct_key_read(char **cp, struct ct_key **key);

/* Sign data with the Ed25519 private seed k holds (has_private). */
int ct_key_ed25519_sign(const struct ct_key *k, const void *data, size_t len, unsigned char sig[64]);

/* The Ed25519 public point of k (32 bytes). */
const unsigned char *ct_key_ed25519_pk(const struct ct_key *k);

#endif
