/*
 * hash.h — the table of hash algorithms (libgcrypt) and a hex helper.
 *
 * One table, looked up by name (as OpenBSD md5(1) does).  The bit of each
 * entry is its place in a selection mask.
 */
#ifndef CARDTRAIL_HASH_H
#define CARDTRAIL_HASH_H

#include <stddef.h>

#define CT_HASH_MAXLEN 64	/* SHA-512 */

struct ct_hash_algo {
	const char *name;	/* "md5", "sha1", "sha256", "sha512" */
	int gcry_algo;		/* GCRY_MD_* */
	size_t len;		/* digest length in bytes */
};

extern const struct ct_hash_algo ct_hash_algos[];
extern const size_t ct_hash_count;

/* Index of NAME in ct_hash_algos, or -ENOENT. */
int ct_hash_lookup(const char *name);

/*
 * Parse a comma-separated list ("md5,sha256") into a bit mask of table
 * indices.  -EINVAL for an unknown name or an empty list; duplicates are
 * accepted once.
 */
int ct_hash_parse_list(const char *list, unsigned *mask);

/* Make sure libgcrypt is initialised (idempotent, thread-safe after the
 * first call from main). Returns 0 or -ENOTSUP if the library is too old. */
int ct_gcrypt_init(void);

/*
 * One-shot SHA-256 of a whole file by path (used for custody outputs);
 * out gets 32 bytes; bytes (may be NULL) gets the file size.
 */
int ct_sha256_file(const char *path, unsigned char out[32], unsigned long long *bytes);

#endif
