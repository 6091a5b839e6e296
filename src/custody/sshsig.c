/*
 * sshsig.c — Ed25519 keys (libgcrypt) in OpenSSH's formats, and SSHSIG
 * signatures (OpenSSH PROTOCOL.sshsig), so that `ssh-keygen -Y verify`
 * can check a custody record without cardtrail.
 *
 * Formats, from OpenSSH's PROTOCOL.key and PROTOCOL.sshsig:
 *   public key blob:  string "ssh-ed25519", string pk[32]
 *   private key file: "openssh-key-v1\0", string cipher "none", string kdf
 *       "none", string kdfopts "", uint32 1, string pubblob, string
 *       (uint32 check, uint32 check, string "ssh-ed25519", string pk,
 *        string sk[64] = seed || pk, string comment, padding 1,2,3…)
 *   signature: "SSHSIG", uint32 1, string pubblob, string namespace,
 *       string reserved, string hash_alg, string (string "ssh-ed25519",
 *       string sig[64]); signed data: "SSHSIG", string namespace,
 *       string reserved, string hash_alg, string H(message)
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gcrypt.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "cardtrail/util.h"

struct ct_key {
	unsigned char pk[32];
	unsigned char seed[32];
	int has_private;
};

struct trust_entry {
	struct ct_key key;
	char *principals;	/* comma-separated patterns, "*" for any */
};

struct ct_trust {
	struct trust_entry *e;
	size_t n;
};

/* ---- byte buffers in SSH wire format ---- */

struct buf {
	unsigned char *p;
	size_t len, cap;
	int err;
};

static void
buf_put(struct buf *b, const void *d, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		unsigned char *np;
		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void
buf_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { v >> 24, v >> 16, v >> 8, v };

	buf_put(b, x, 4);
}

static void
buf_string(struct buf *b, const void *d, size_t n)
{
	buf_u32(b, (uint32_t)n);
	buf_put(b, d, n);
}

static void
buf_cstring(struct buf *b, const char *s)
{
	buf_string(b, s, strlen(s));
}

static void
buf_free(struct buf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

struct rd {
	const unsigned char *p;
	size_t len, pos;
};

static int
rd_u32(struct rd *r, uint32_t *v)
{
	if (r->len - r->pos < 4)
		return -EINVAL;
	*v = (uint32_t)r->p[r->pos] << 24 | (uint32_t)r->p[r->pos + 1] << 16 |
	     (uint32_t)r->p[r->pos + 2] << 8 | r->p[r->pos + 3];
	r->pos += 4;
	return 0;
}

static int
rd_string(struct rd *r, const unsigned char **d, size_t *n)
{
	uint32_t l;

	if (rd_u32(r, &l) < 0 || r->len - r->pos < l)
		return -EINVAL;
	*d = r->p + r->pos;
	*n = l;
	r->pos += l;
	return 0;
}

static int
rd_expect(struct rd *r, const char *s)
{
	const unsigned char *d;
	size_t n;

	if (rd_string(r, &d, &n) < 0 || n != strlen(s) || memcmp(d, s, n))
		return -EINVAL;
	return 0;
}

/* ---- base64 (RFC 4648) ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
b64_encode(const unsigned char *d, size_t n, size_t wrap)
{
	size_t out = (n + 2) / 3 * 4, i, o = 0, col = 0;
	char *s = malloc(out + (wrap ? out / wrap + 2 : 0) + 1);

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) |
			     (i + 2 < n ? d[i + 2] : 0);
		char q[4] = { b64[v >> 18 & 63], b64[v >> 12 & 63],
			      i + 1 < n ? b64[v >> 6 & 63] : '=', i + 2 < n ? b64[v & 63] : '=' };
		int k;
		for (k = 0; k < 4; k++) {
			if (wrap && col == wrap) {
				s[o++] = '\n';
				col = 0;
			}
			s[o++] = q[k];
			col++;
		}
	}
	s[o] = '\0';
	return s;
}

/* Decode, skipping whitespace; -EINVAL on anything else. */
static int
b64_decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *d = malloc(len / 4 * 3 + 3);
	uint32_t v = 0;
	size_t i, n = 0;
	int bits = 0, pad = 0;

	if (d == NULL)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		const char *c;
		if (isspace((unsigned char)s[i]))
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad || (c = strchr(b64, s[i])) == NULL || s[i] == '\0') {
			free(d);
			return -EINVAL;
		}
		v = v << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[n++] = (unsigned char)(v >> bits);
		}
	}
	*out = d;
	*outlen = n;
	return 0;
}

/* ---- keys ---- */

static void
pubblob(const struct ct_key *k, struct buf *b)
{
	buf_cstring(b, "ssh-ed25519");
	buf_string(b, k->pk, 32);
}

char *
ct_key_public_line(const struct ct_key *key)
{
	struct buf b = { 0 };
	char *enc, *line = NULL;

	pubblob(key, &b);
	if (b.err)
		return NULL;
	enc = b64_encode(b.p, b.len, 0);
	buf_free(&b);
	if (enc && asprintf(&line, "ssh-ed25519 %s", enc) < 0)
		line = NULL;
	free(enc);
	return line;
}

void
ct_key_fingerprint(const struct ct_key *key, char *buf, size_t len)
{
	struct buf b = { 0 };
	unsigned char h[32];
	char *enc;
	size_t l;

	pubblob(key, &b);
	gcry_md_hash_buffer(GCRY_MD_SHA256, h, b.p, b.len);
	buf_free(&b);
	enc = b64_encode(h, 32, 0);
	if (enc == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	l = strlen(enc);
	while (l > 0 && enc[l - 1] == '=')	/* ssh-keygen drops the padding */
		enc[--l] = '\0';
	snprintf(buf, len, "SHA256:%s", enc);
	free(enc);
}

int
ct_key_equal(const struct ct_key *a, const struct ct_key *b)
{
	return memcmp(a->pk, b->pk, 32) == 0;
}

void
ct_key_free(struct ct_key *key)
{
	if (key == NULL)
		return;
	explicit_bzero(key, sizeof(*key));
	free(key);
}

static int
sexp_bytes(gcry_sexp_t s, const char *token, unsigned char *out, size_t want)
{
	gcry_sexp_t t = gcry_sexp_find_token(s, token, 0);
	const char *d;
	size_t n;
	int ret = -EINVAL;

	if (t == NULL)
		return -EINVAL;
	d = gcry_sexp_nth_data(t, 1, &n);
	/* libgcrypt may prefix an EdDSA point with 0x40 */
	if (d && n == want + 1 && (unsigned char)d[0] == 0x40) {
		d++;
		n--;
	}
	if (d && n == want) {
		memcpy(out, d, want);
		ret = 0;
	}
	gcry_sexp_release(t);
	return ret;
}

static char *
private_key_text(const struct ct_key *k, const char *comment)
{
	struct buf b = { 0 }, priv = { 0 };
	unsigned char sk[64];
	uint32_t check;
	unsigned char pad = 1;
	char *enc, *text = NULL;

	gcry_randomize(&check, sizeof(check), GCRY_STRONG_RANDOM);
	memcpy(sk, k->seed, 32);
	memcpy(sk + 32, k->pk, 32);
	buf_u32(&priv, check);
	buf_u32(&priv, check);
	buf_cstring(&priv, "ssh-ed25519");
	buf_string(&priv, k->pk, 32);
	buf_string(&priv, sk, 64);
	buf_cstring(&priv, comment ? comment : "");
	while (priv.len % 8)
		buf_put(&priv, &pad, 1), pad++;
	explicit_bzero(sk, sizeof(sk));

	buf_put(&b, "openssh-key-v1", 15);	/* with its NUL */
	buf_cstring(&b, "none");
	buf_cstring(&b, "none");
	buf_cstring(&b, "");
	buf_u32(&b, 1);
	{
		struct buf pb = { 0 };
		pubblob(k, &pb);
		buf_string(&b, pb.p, pb.len);
		buf_free(&pb);
	}
	buf_string(&b, priv.p, priv.len);
	buf_free(&priv);
	if (b.err) {
		buf_free(&b);
		return NULL;
	}
	enc = b64_encode(b.p, b.len, 70);
	buf_free(&b);
	if (enc && asprintf(&text, "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n"
			    "-----END OPENSSH PRIVATE KEY-----\n", enc) < 0)
		text = NULL;
	if (enc) {
		explicit_bzero(enc, strlen(enc));
		free(enc);
	}
	return text;
}

static int
write_excl(const char *path, const char *text, mode_t mode)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		ret = -errno;
	if (ret == 0)
		ret = ct_pwrite_all(fd, text, strlen(text), 0);
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret < 0)
		unlink(path);	/* ours, just created, incomplete */
	return ret;
}

int
ct_key_generate(const char *path, const char *comment, char **publine)
{
	gcry_sexp_t parms = NULL, key = NULL;
	struct ct_key k;
	char pubpath[4096], *text = NULL, *line = NULL, *full = NULL;
	struct stat st;
	int ret;

	*publine = NULL;
	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	if ((ret = ct_snprintf(pubpath, sizeof(pubpath), "%s.pub", path)) < 0)
		return ret;
	/* refuse before making anything if either file is there */
	if (lstat(path, &st) == 0 || lstat(pubpath, &st) == 0)
		return -EEXIST;
	memset(&k, 0, sizeof(k));
	if (gcry_sexp_build(&parms, NULL, "(genkey (ecc (curve Ed25519)(flags eddsa)))") ||
	    gcry_pk_genkey(&key, parms)) {
		ret = -EIO;
		goto out;
	}
	if ((ret = sexp_bytes(key, "q", k.pk, 32)) < 0 || (ret = sexp_bytes(key, "d", k.seed, 32)) < 0)
		goto out;
	k.has_private = 1;
	text = private_key_text(&k, comment);
	line = ct_key_public_line(&k);
	if (text == NULL || line == NULL ||
	    asprintf(&full, "%s%s%s\n", line, comment ? " " : "", comment ? comment : "") < 0) {
		full = NULL;
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = write_excl(path, text, 0600)) < 0)
		goto out;
	if ((ret = write_excl(pubpath, full, 0644)) < 0)
		goto out;
	full[strlen(full) - 1] = '\0';
	*publine = full;
	full = NULL;
out:
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	explicit_bzero(&k, sizeof(k));
	free(line);
	free(full);
	gcry_sexp_release(parms);
	gcry_sexp_release(key);
	return ret;
}

static int
parse_pubblob(const unsigned char *d, size_t n, struct ct_key *k)
{
	struct rd r = { d, n, 0 };
	const unsigned char *pk;
	size_t pkn;

	if (rd_expect(&r, "ssh-ed25519") < 0 || rd_string(&r, &pk, &pkn) < 0 || pkn != 32 ||
	    r.pos != n)
		return -EINVAL;
	memcpy(k->pk, pk, 32);
	return 0;
}

int
ct_key_parse_public(const char *line, struct ct_key **key)
{
	const char *p = line, *q;
	unsigned char *blob = NULL;
	size_t n;
	struct ct_key *k;
	int ret;

	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "ssh-ed25519", 11) != 0 || !isspace((unsigned char)p[11]))
		return -EINVAL;
	p += 11;
	while (isspace((unsigned char)*p))
		p++;
	for (q = p; *q && !isspace((unsigned char)*q); q++)
		;
	if ((ret = b64_decode(p, (size_t)(q - p), &blob, &n)) < 0)
		return ret;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		free(blob);
		return -ENOMEM;
	}
	ret = parse_pubblob(blob, n, k);
	free(blob);
	if (ret < 0) {
		free(k);
		return ret;
	}
	*key = k;
	return 0;
}

int
ct_key_load_private(const char *path, struct ct_key **key)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char end[] = "-----END OPENSSH PRIVATE KEY-----";
	char text[16384];
	const char *b, *e;
	unsigned char *blob = NULL;
	const unsigned char *d, *priv, *pk, *sk;
	size_t n, dn, privn, pkn, skn;
	uint32_t nkeys, c1, c2;
	struct ct_key *k = NULL;
	struct rd r, pr;
	ssize_t got;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (got < 0)
		return -errno;
	text[got] = '\0';
	b = strstr(text, begin);
	e = strstr(text, end);
	if (b == NULL || e == NULL || e < b) {
		ret = -EINVAL;
		goto out;
	}
	b += sizeof(begin) - 1;
	if ((ret = b64_decode(b, (size_t)(e - b), &blob, &n)) < 0)
		goto out;
	ret = -EINVAL;
	if (n < 15 || memcmp(blob, "openssh-key-v1", 15) != 0)
		goto out;
	r = (struct rd){ blob, n, 15 };
	if (rd_string(&r, &d, &dn) < 0)
		goto out;
	if (dn != 4 || memcmp(d, "none", 4) != 0) {
		ret = -ENOTSUP;	/* passphrase-protected */
		goto out;
	}
	if (rd_expect(&r, "none") < 0 || rd_string(&r, &d, &dn) < 0 || rd_u32(&r, &nkeys) < 0 ||
	    nkeys != 1 || rd_string(&r, &d, &dn) < 0 || rd_string(&r, &priv, &privn) < 0)
		goto out;
	pr = (struct rd){ priv, privn, 0 };
	if (rd_u32(&pr, &c1) < 0 || rd_u32(&pr, &c2) < 0 || c1 != c2 ||
	    rd_expect(&pr, "ssh-ed25519") < 0 || rd_string(&pr, &pk, &pkn) < 0 || pkn != 32 ||
	    rd_string(&pr, &sk, &skn) < 0 || skn != 64 || memcmp(sk + 32, pk, 32) != 0)
		goto out;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(k->pk, pk, 32);
	memcpy(k->seed, sk, 32);
	k->has_private = 1;
	*key = k;
	k = NULL;
	ret = 0;
out:
	explicit_bzero(text, sizeof(text));
	if (blob) {
		explicit_bzero(blob, n);
		free(blob);
	}
	ct_key_free(k);
	return ret;
}

/* ---- SSHSIG ---- */

static int
signed_data(const char *ns, const void *msg, size_t len, struct buf *b)
{
	unsigned char h[64];

	gcry_md_hash_buffer(GCRY_MD_SHA512, h, msg, len);
	buf_put(b, "SSHSIG", 6);
	buf_cstring(b, ns);
	buf_cstring(b, "");
	buf_cstring(b, "sha512");
	buf_string(b, h, 64);
	return b->err;
}

int
ct_sshsig_sign(const struct ct_key *key, const char *ns, const void *msg, size_t len,
	       char **armored)
{
	gcry_sexp_t skey = NULL, data = NULL, sig = NULL;
	struct buf sd = { 0 }, out = { 0 }, inner = { 0 };
	unsigned char rs[64];
	char *enc = NULL;
	int ret;

	*armored = NULL;
	if (!key->has_private)
		return -EINVAL;
	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	if ((ret = signed_data(ns, msg, len, &sd)) < 0)
		goto out;
	if (gcry_sexp_build(&skey, NULL,
			    "(private-key (ecc (curve Ed25519)(flags eddsa)(q %b)(d %b)))",
			    32, key->pk, 32, key->seed) ||
	    gcry_sexp_build(&data, NULL, "(data (flags eddsa)(hash-algo sha512)(value %b))",
			    (int)sd.len, sd.p) ||
	    gcry_pk_sign(&sig, data, skey)) {
		ret = -EIO;
		goto out;
	}
	if ((ret = sexp_bytes(sig, "r", rs, 32)) < 0 || (ret = sexp_bytes(sig, "s", rs + 32, 32)) < 0)
		goto out;
	buf_put(&out, "SSHSIG", 6);
	buf_u32(&out, 1);
	{
		struct buf pb = { 0 };
		pubblob(key, &pb);
		buf_string(&out, pb.p, pb.len);
		buf_free(&pb);
	}
	buf_cstring(&out, ns);
	buf_cstring(&out, "");
	buf_cstring(&out, "sha512");
	buf_cstring(&inner, "ssh-ed25519");
	buf_string(&inner, rs, 64);
	buf_string(&out, inner.p, inner.len);
	if (out.err || inner.err) {
		ret = -ENOMEM;
		goto out;
	}
	enc = b64_encode(out.p, out.len, 70);
	if (enc == NULL || asprintf(armored, "-----BEGIN SSH SIGNATURE-----\n%s\n"
				    "-----END SSH SIGNATURE-----\n", enc) < 0) {
		*armored = NULL;
		ret = -ENOMEM;
		goto out;
	}
	ret = 0;
out:
	free(enc);
	buf_free(&sd);
	buf_free(&out);
	buf_free(&inner);
	gcry_sexp_release(skey);
	gcry_sexp_release(data);
	gcry_sexp_release(sig);
	return ret;
}

int
ct_sshsig_verify(const char *armored, const char *ns, const void *msg, size_t len,
		 struct ct_key **signer)
{
	static const char begin[] = "-----BEGIN SSH SIGNATURE-----";
	static const char end[] = "-----END SSH SIGNATURE-----";
	const char *b, *e;
	unsigned char *blob = NULL;
	const unsigned char *pb, *d, *inner, *sigb;
	size_t n, pbn, dn, innern, sign;
	uint32_t ver;
	struct ct_key k;
	struct rd r, ir;
	struct buf sd = { 0 };
	gcry_sexp_t pkey = NULL, data = NULL, sig = NULL;
	int ret;

	if (signer)
		*signer = NULL;
	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	b = strstr(armored, begin);
	e = strstr(armored, end);
	if (b == NULL || e == NULL || e < b)
		return -EINVAL;
	b += sizeof(begin) - 1;
	if ((ret = b64_decode(b, (size_t)(e - b), &blob, &n)) < 0)
		return ret;
	ret = -EINVAL;
	memset(&k, 0, sizeof(k));
	r = (struct rd){ blob, n, 6 };
	if (n < 6 || memcmp(blob, "SSHSIG", 6) || rd_u32(&r, &ver) < 0 || ver != 1 ||
	    rd_string(&r, &pb, &pbn) < 0 || parse_pubblob(pb, pbn, &k) < 0 ||
	    rd_string(&r, &d, &dn) < 0 || dn != strlen(ns) || memcmp(d, ns, dn) ||
	    rd_string(&r, &d, &dn) < 0 || rd_expect(&r, "sha512") < 0 ||
	    rd_string(&r, &inner, &innern) < 0 || r.pos != n)
		goto out;
	ir = (struct rd){ inner, innern, 0 };
	if (rd_expect(&ir, "ssh-ed25519") < 0 || rd_string(&ir, &sigb, &sign) < 0 || sign != 64)
		goto out;
	if (signed_data(ns, msg, len, &sd) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	if (gcry_sexp_build(&pkey, NULL, "(public-key (ecc (curve Ed25519)(flags eddsa)(q %b)))",
			    32, k.pk) ||
	    gcry_sexp_build(&data, NULL, "(data (flags eddsa)(hash-algo sha512)(value %b))",
			    (int)sd.len, sd.p) ||
	    gcry_sexp_build(&sig, NULL, "(sig-val (eddsa (r %b)(s %b)))", 32, sigb, 32, sigb + 32)) {
		ret = -ENOMEM;
		goto out;
	}
	if (gcry_pk_verify(sig, data, pkey) != 0) {
		ret = -EBADMSG;
		goto out;
	}
	if (signer) {
		*signer = calloc(1, sizeof(**signer));
		if (*signer == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy((*signer)->pk, k.pk, 32);
	}
	ret = 0;
out:
	free(blob);
	buf_free(&sd);
	gcry_sexp_release(pkey);
	gcry_sexp_release(data);
	gcry_sexp_release(sig);
	return ret;
}

/* ---- trust ---- */

struct ct_trust *
ct_trust_new(void)
{
	return calloc(1, sizeof(struct ct_trust));
}

void
ct_trust_free(struct ct_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->e[i].principals);
	free(t->e);
	free(t);
}

size_t
ct_trust_count(const struct ct_trust *t)
{
	return t ? t->n : 0;
}

static int
trust_add(struct ct_trust *t, const struct ct_key *k, const char *principals, size_t plen)
{
	struct trust_entry *e = realloc(t->e, (t->n + 1) * sizeof(*e));

	if (e == NULL)
		return -ENOMEM;
	t->e = e;
	e[t->n].key = *k;
	e[t->n].principals = strndup(principals, plen);
	if (e[t->n].principals == NULL)
		return -ENOMEM;
	t->n++;
	return 0;
}

/* Call fn for each non-comment line of a small text file. */
static int
each_line(const char *path, int *lineno, int (*fn)(struct ct_trust *, char *), struct ct_trust *t)
{
	FILE *f = fopen(path, "re");
	char buf[8192];
	int ret = 0, any = 0;

	*lineno = 0;
	if (f == NULL)
		return -errno;
	while (fgets(buf, sizeof(buf), f)) {
		char *p = buf;
		(*lineno)++;
		buf[strcspn(buf, "\r\n")] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if ((ret = fn(t, p)) < 0)
			break;
		any = 1;
	}
	fclose(f);
	if (ret == 0 && !any) {
		ret = -EINVAL;	/* no key at all: say so rather than trust nothing */
		*lineno = 0;
	}
	return ret;
}

static int
add_pubkey_line(struct ct_trust *t, char *line)
{
	struct ct_key *k;
	int ret;

	if ((ret = ct_key_parse_public(line, &k)) < 0)
		return ret;
	ret = trust_add(t, k, "*", 1);
	ct_key_free(k);
	return ret;
}

static int
add_signers_line(struct ct_trust *t, char *line)
{
	char *p = line, *princ = line, *keystart;
	size_t plen;
	struct ct_key *k;
	int ret, inq = 0;

	/* principals, then options (skipped), then the key */
	while (*p && !isspace((unsigned char)*p))
		p++;
	plen = (size_t)(p - princ);
	keystart = strstr(p, "ssh-ed25519");
	if (keystart == NULL)
		return -EINVAL;
	for (; p < keystart; p++) {	/* options must not hide a quoted key */
		if (*p == '"')
			inq = !inq;
		/* options (namespaces=, valid-before=, cert-authority …) would
		 * restrict the key; cardtrail implements none of them, so a line
		 * with options is refused rather than trusted more widely */
		if (!inq && !isspace((unsigned char)*p))
			return -ENOTSUP;
	}
	if (inq)
		return -EINVAL;
	/* negated principals ("!mallory") are not implemented either */
	if (memchr(princ, '!', plen))
		return -ENOTSUP;
	if ((ret = ct_key_parse_public(keystart, &k)) < 0)
		return ret;
	ret = trust_add(t, k, princ, plen);
	ct_key_free(k);
	return ret;
}

int
ct_trust_add_pubkey_file(struct ct_trust *t, const char *path, int *line)
{
	return each_line(path, line, add_pubkey_line, t);
}

int
ct_trust_add_allowed_signers(struct ct_trust *t, const char *path, int *line)
{
	return each_line(path, line, add_signers_line, t);
}

/* OpenSSH pattern: '*' and '?' wildcards. */
static int
match_pattern(const char *s, const char *p, size_t plen)
{
	if (plen == 0)
		return *s == '\0';
	if (*p == '*') {
		for (;; s++) {
			if (match_pattern(s, p + 1, plen - 1))
				return 1;
			if (*s == '\0')
				return 0;
		}
	}
	if (*s == '\0')
		return 0;
	if (*p == '?' || *p == *s)
		return match_pattern(s + 1, p + 1, plen - 1);
	return 0;
}

int
ct_trust_check(const struct ct_trust *t, const struct ct_key *key, const char *principal)
{
	size_t i;

	for (i = 0; t && i < t->n; i++) {
		const char *p = t->e[i].principals;
		if (!ct_key_equal(&t->e[i].key, key))
			continue;
		while (*p) {
			size_t l = strcspn(p, ",");
			if (match_pattern(principal ? principal : "", p, l))
				return 1;
			p += l + (p[l] == ',');
		}
	}
	return 0;
}
