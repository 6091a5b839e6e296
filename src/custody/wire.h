/*
 * wire.h — the SSH wire format (RFC 4251 §5: uint32, string, mpint) and
 * base64 read exactly as OpenSSH reads it.  Shared by the key, signature,
 * agent and allowed_signers code of src/custody/; not a public API.
 */
#ifndef CARDTRAIL_CUSTODY_WIRE_H
#define CARDTRAIL_CUSTODY_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* A growing byte buffer.  The first allocation failure sticks in err and
 * makes every later put a no-op, so a sequence of puts is checked once. */
struct ct_wbuf {
	unsigned char *p;
	size_t len, cap;
	int err;		/* 0 or -ENOMEM */
};

void ct_wbuf_put(struct ct_wbuf *b, const void *d, size_t n);
void ct_wbuf_u8(struct ct_wbuf *b, unsigned char v);
void ct_wbuf_u32(struct ct_wbuf *b, uint32_t v);
void ct_wbuf_string(struct ct_wbuf *b, const void *d, size_t n);
void ct_wbuf_cstring(struct ct_wbuf *b, const char *s);
/* Zeroes the bytes (they may be key material) and frees them. */
void ct_wbuf_free(struct ct_wbuf *b);

/* A reader over bytes someone else owns.  Every getter checks the bounds
 * and returns -EINVAL on a short or malformed field. */
struct ct_wrd {
	const unsigned char *p;
	size_t len, pos;
};

int ct_wrd_u8(struct ct_wrd *r, unsigned char *v);
int ct_wrd_u32(struct ct_wrd *r, uint32_t *v);
int ct_wrd_string(struct ct_wrd *r, const unsigned char **d, size_t *n);
/* A string as OpenSSH's sshbuf_get_cstring() takes it: a NUL inside is
 * refused, one NUL at the very end is dropped. */
int ct_wrd_cstring(struct ct_wrd *r, const char **d, size_t *n);
/* A string that must equal s. */
int ct_wrd_expect(struct ct_wrd *r, const char *s);
/*
 * A non-negative mpint as OpenSSH's sshbuf_get_bignum2 accepts it: the
 * most significant bit clear (no negative numbers), at most maxbytes
 * bytes after one optional zero prefix; leading zero bytes are trimmed
 * from what *d, *n return.
 */
int ct_wrd_mpint(struct ct_wrd *r, size_t maxbytes, const unsigned char **d, size_t *n);
/* 1 when every byte was read. */
int ct_wrd_done(const struct ct_wrd *r);

/* Base64 of n bytes, a newline every wrap characters (0: none); malloc'd. */
char *ct_b64_encode(const unsigned char *d, size_t n, size_t wrap);
/*
 * Decode the first len bytes of s (a NUL ends them early) with the rules of
 * OpenSSH's b64_pton: whitespace anywhere is skipped, padding must be
 * complete and followed by whitespace only, the unused bits of the last
 * character must be zero.  -EINVAL otherwise, -ENOMEM.  *out is malloc'd.
 */
int ct_b64_decode(const char *s, size_t len, unsigned char **out, size_t *outlen);

#endif
