/*
 * sshkey.c — public keys in OpenSSH's formats (Ed25519, RSA, ECDSA on the
 * NIST curves), read and checked as OpenSSH reads and checks them, and the
 * signature check of each type.  Key files: keyfile.c.
 *
 * Formats (OpenSSH PROTOCOL.key, RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709):
 *   public key blob:  string "ssh-ed25519", string pk[32]
 *                     string "ssh-rsa", mpint e, mpint n
 *                     string "ecdsa-sha2-nistp256", string "nistp256",
 *                         string Q (0x04 || x || y)
 *   text form:        "TYPE BASE64(blob) [comment]"
 *   signature blob:   string "ssh-ed25519", string sig[64]
 *                     string "rsa-sha2-512", string s
 *                     string "ecdsa-sha2-nistp256", string (mpint r, mpint s)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gcrypt.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "cardtrail/util.h"
#include "custody/keyimpl.h"

#define RSA_MIN_BITS 1024	/* SSH_RSA_MINIMUM_MODULUS_SIZE */
#define MAX_BIGNUM 2048		/* SSHBUF_MAX_BIGNUM: 16384 bits */

static int parse_ed25519(const struct ct_keytype *kt, struct ct_wrd *r, struct ct_wbuf *canon);
static int parse_rsa(const struct ct_keytype *kt, struct ct_wrd *r, struct ct_wbuf *canon);
static int parse_ecdsa(const struct ct_keytype *kt, struct ct_wrd *r, struct ct_wbuf *canon);
static int verify_ed25519(const struct ct_key *k, const struct ct_sigalg *alg, struct ct_wrd *r,
			  const void *data, size_t len);
static int verify_rsa(const struct ct_key *k, const struct ct_sigalg *alg, struct ct_wrd *r,
		      const void *data, size_t len);
static int verify_ecdsa(const struct ct_key *k, const struct ct_sigalg *alg, struct ct_wrd *r,
			const void *data, size_t len);
static unsigned int bits_ed25519(const struct ct_key *k);
static unsigned int bits_rsa(const struct ct_key *k);
static unsigned int bits_ecdsa(const struct ct_key *k);

static const struct ct_keytype keytypes[] = {
	{ .name = "ssh-ed25519", .label = "ED25519",
	  .sig = { { .name = "ssh-ed25519" } },
	  .parse = parse_ed25519, .verify = verify_ed25519, .bits = bits_ed25519 },
	/* SSHSIG with RSA is rsa-sha2-512 (ssh-keygen signs with it and also
	 * accepts rsa-sha2-256; never ssh-rsa, which is SHA-1) */
	{ .name = "ssh-rsa", .alias = { "rsa-sha2-256", "rsa-sha2-512" }, .label = "RSA",
	  .sig = { { .name = "rsa-sha2-512", .md = GCRY_MD_SHA512, .agent_flags = CT_AGENT_RSA_SHA2_512 },
		   { .name = "rsa-sha2-256", .md = GCRY_MD_SHA256, .agent_flags = CT_AGENT_RSA_SHA2_256 } },
	  .parse = parse_rsa, .verify = verify_rsa, .bits = bits_rsa },
	{ .name = "ecdsa-sha2-nistp256", .label = "ECDSA", .curve = "nistp256",
	  .gcurve = "NIST P-256", .coord = 32,
	  .sig = { { .name = "ecdsa-sha2-nistp256", .md = GCRY_MD_SHA256 } },
	  .parse = parse_ecdsa, .verify = verify_ecdsa, .bits = bits_ecdsa },
	{ .name = "ecdsa-sha2-nistp384", .label = "ECDSA", .curve = "nistp384",
	  .gcurve = "NIST P-384", .coord = 48,
	  .sig = { { .name = "ecdsa-sha2-nistp384", .md = GCRY_MD_SHA384 } },
	  .parse = parse_ecdsa, .verify = verify_ecdsa, .bits = bits_ecdsa },
	{ .name = "ecdsa-sha2-nistp521", .label = "ECDSA", .curve = "nistp521",
	  .gcurve = "NIST P-521", .coord = 66,
	  .sig = { { .name = "ecdsa-sha2-nistp521", .md = GCRY_MD_SHA512 } },
	  .parse = parse_ecdsa, .verify = verify_ecdsa, .bits = bits_ecdsa },
};

/* Key types OpenSSH 9 reads that cardtrail does not implement: a line
 * naming one holds a key, just not one cardtrail can check. */
static const char *const elsewhere[] = {
	"ssh-dss", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
	"ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com",
	"ssh-rsa-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com",
	"rsa-sha2-512-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com",
	"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
	"ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"ssh-xmss@openssh.com", "ssh-xmss-cert-v01@openssh.com",
};

static int
name_is(const char *name, size_t len, const char *s)
{
	return s != NULL && strlen(s) == len && memcmp(name, s, len) == 0;
}

const struct ct_keytype *
ct_keytype_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(keytypes); i++)
		if (name_is(name, len, keytypes[i].name) || name_is(name, len, keytypes[i].alias[0]) ||
		    name_is(name, len, keytypes[i].alias[1]))
			return &keytypes[i];
	return NULL;
}

int
ct_keytype_known_elsewhere(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(elsewhere); i++)
		if (name_is(name, len, elsewhere[i]))
			return 1;
	return 0;
}

/* ---- per type: check the blob, verify, size ---- */

static int
parse_ed25519(const struct ct_keytype *kt, struct ct_wrd *r, struct ct_wbuf *canon)
{
	const unsigned char *pk;
	size_t n;

	(void)kt;
	if (ct_wrd_string(r, &pk, &n) < 0 || n != 32)
		return -EINVAL;
	ct_wbuf_string(canon, pk, 32);
	return 0;
}

const unsigned char *
ct_key_ed25519_pk(const struct ct_key *k)
{
	return k->blob + 4 + 11 + 4;	/* canonical, made by parse_ed25519 */
}

static unsigned int
bits_ed25519(const struct ct_key *k)
{
	(void)k;
	return 256;
}

static unsigned int
mpint_bits(const unsigned char *d, size_t n)
{
	unsigned int b = 0;

	if (n == 0)
		return 0;
	for (b = 8; b > 0 && !(d[0] & (1u << (b - 1))); b--)
		;
	return (unsigned int)(n - 1) * 8 + b;
}

/* e and n of an RSA key blob (checked). */
static void
rsa_parts(const struct ct_key *k, const unsigned char **e, size_t *en, const unsigned char **n,
	  size_t *nn)
{
	struct ct_wrd r = { k->blob, k->bloblen, 0 };
	const unsigned char *d;
	size_t dn;

	ct_wrd_string(&r, &d, &dn);
	ct_wrd_mpint(&r, MAX_BIGNUM, e, en);
	ct_wrd_mpint(&r, MAX_BIGNUM, n, nn);
}

/* An mpint as OpenSSH writes it: no leading zero but the sign byte. */
static void
put_mpint(struct ct_wbuf *b, const unsigned char *d, size_t n)
{
	int sign = n > 0 && (d[0] & 0x80);

	ct_wbuf_u32(b, (uint32_t)(n + (size_t)sign));
	if (sign)
		ct_wbuf_u8(b, 0);
	ct_wbuf_put(b, d, n);
}

static int
parse_rsa(const struct ct_keytype *kt, struct ct_wrd *r, struct ct_wbuf *canon)
{
	const unsigned char *e, *n;
	size_t en, nn;

	(void)kt;
	if (ct_wrd_mpint(r, MAX_BIGNUM, &e, &en) < 0 || ct_wrd_mpint(r, MAX_BIGNUM, &n, &nn) < 0)
		return -EINVAL;
	if (mpint_bits(n, nn) < RSA_MIN_BITS)
		return -EINVAL;
	put_mpint(canon, e, en);
	put_mpint(canon, n, nn);
	return 0;
}

static unsigned int
bits_rsa(const struct ct_key *k)
{
	const unsigned char *e, *n;
	size_t en, nn;

	rsa_parts(k, &e, &en, &n, &nn);
	return mpint_bits(n, nn);
}

static unsigned int
bits_ecdsa(const struct ct_key *k)
{
	return k->kt->coord == 66 ? 521 : (unsigned int)k->kt->coord * 8;
}

/* The point Q of an ECDSA key blob (checked). */
static void
ecdsa_point(const struct ct_key *k, const unsigned char **q, size_t *qn)
{
	struct ct_wrd r = { k->blob, k->bloblen, 0 };
	const unsigned char *d;
	size_t dn;

	ct_wrd_string(&r, &d, &dn);
	ct_wrd_string(&r, &d, &dn);
	ct_wrd_string(&r, q, qn);
}

static gcry_mpi_t
mpi_usg(const unsigned char *d, size_t n)
{
	gcry_mpi_t m = NULL;

	if (gcry_mpi_scan(&m, GCRYMPI_FMT_USG, d, n, NULL) != 0)
		return NULL;
	return m;
}

/*
 * OpenSSH's sshkey_ec_validate_public(): Q on the curve, and x and y each
 * longer than half the order and smaller than order - 1.
 */
static int
ecdsa_point_valid(const struct ct_keytype *kt, const unsigned char *q, size_t qn)
{
	gcry_sexp_t s = NULL;
	gcry_ctx_t ctx = NULL;
	gcry_mpi_t x = NULL, y = NULL, one = NULL, order = NULL, lim = NULL;
	gcry_mpi_point_t p = NULL;
	unsigned int half;
	int ret = -EINVAL;

	if (ct_gcrypt_init() < 0)
		return -EIO;
	if (gcry_sexp_build(&s, NULL, "(public-key (ecc (curve %s)(q %b)))", kt->gcurve, (int)qn,
			    q) != 0 ||
	    gcry_mpi_ec_new(&ctx, s, NULL) != 0)
		goto out;
	x = mpi_usg(q + 1, kt->coord);
	y = mpi_usg(q + 1 + kt->coord, kt->coord);
	one = gcry_mpi_set_ui(NULL, 1);
	order = gcry_mpi_ec_get_mpi("n", ctx, 1);
	if (x == NULL || y == NULL || one == NULL || order == NULL)
		goto out;
	lim = gcry_mpi_new(0);
	gcry_mpi_sub_ui(lim, order, 1);
	half = gcry_mpi_get_nbits(order) / 2;
	if (gcry_mpi_get_nbits(x) <= half || gcry_mpi_get_nbits(y) <= half ||
	    gcry_mpi_cmp(x, lim) >= 0 || gcry_mpi_cmp(y, lim) >= 0)
		goto out;
	p = gcry_mpi_point_set(NULL, x, y, one);
	if (p == NULL || !gcry_mpi_ec_curve_point(p, ctx))
		goto out;
	ret = 0;
out:
	gcry_mpi_point_release(p);
	gcry_mpi_release(x);
	gcry_mpi_release(y);
	gcry_mpi_release(one);
	gcry_mpi_release(order);
	gcry_mpi_release(lim);
	gcry_ctx_release(ctx);
	gcry_sexp_release(s);
	return ret;
}

static int
parse_ecdsa(const struct ct_keytype *kt, struct ct_wrd *r, struct ct_wbuf *canon)
{
	const unsigned char *q;
	size_t qn;
	int ret;

	if (ct_wrd_expect(r, kt->curve) < 0 || ct_wrd_string(r, &q, &qn) < 0)
		return -EINVAL;
	/* uncompressed points only, as OpenSSH */
	if (qn != 1 + 2 * kt->coord || q[0] != 0x04)
		return -EINVAL;
	if ((ret = ecdsa_point_valid(kt, q, qn)) < 0)
		return ret;
	ct_wbuf_cstring(canon, kt->curve);
	ct_wbuf_string(canon, q, qn);
	return 0;
}

static int
pk_verify(gcry_sexp_t sig, gcry_sexp_t data, gcry_sexp_t key)
{
	return gcry_pk_verify(sig, data, key) == 0 ? 0 : -EBADMSG;
}

static int
verify_ed25519(const struct ct_key *k, const struct ct_sigalg *alg, struct ct_wrd *r,
	       const void *data, size_t len)
{
	gcry_sexp_t key = NULL, d = NULL, sig = NULL;
	const unsigned char *s;
	size_t sn;
	int ret = -EINVAL;

	(void)alg;
	if (ct_wrd_string(r, &s, &sn) < 0 || sn != 64 || !ct_wrd_done(r))
		return -EINVAL;
	if (gcry_sexp_build(&key, NULL, "(public-key (ecc (curve Ed25519)(flags eddsa)(q %b)))", 32,
			    ct_key_ed25519_pk(k)) == 0 &&
	    gcry_sexp_build(&d, NULL, "(data (flags eddsa)(hash-algo sha512)(value %b))", (int)len,
			    data) == 0 &&
	    gcry_sexp_build(&sig, NULL, "(sig-val (eddsa (r %b)(s %b)))", 32, s, 32, s + 32) == 0)
		ret = pk_verify(sig, d, key);
	gcry_sexp_release(key);
	gcry_sexp_release(d);
	gcry_sexp_release(sig);
	return ret;
}

static int
hash_of(const struct ct_sigalg *alg, const void *data, size_t len, unsigned char *h, size_t *hn)
{
	*hn = gcry_md_get_algo_dlen(alg->md);
	if (*hn == 0 || *hn > 64)
		return -EINVAL;
	gcry_md_hash_buffer(alg->md, h, data, len);
	return 0;
}

static int
verify_rsa(const struct ct_key *k, const struct ct_sigalg *alg, struct ct_wrd *r, const void *data,
	   size_t len)
{
	gcry_sexp_t key = NULL, d = NULL, sig = NULL;
	gcry_mpi_t me = NULL, mn = NULL, ms = NULL;
	const unsigned char *e, *n, *s;
	size_t en, nn, sn, hn;
	unsigned char h[64];
	int ret = -EINVAL;

	rsa_parts(k, &e, &en, &n, &nn);
	if (ct_wrd_string(r, &s, &sn) < 0 || !ct_wrd_done(r) || sn == 0 || sn > nn)
		return -EINVAL;
	if (hash_of(alg, data, len, h, &hn) < 0)
		return -EINVAL;
	me = mpi_usg(e, en);
	mn = mpi_usg(n, nn);
	ms = mpi_usg(s, sn);
	if (me == NULL || mn == NULL || ms == NULL)
		goto out;
	if (gcry_mpi_cmp(ms, mn) >= 0) {	/* not a value modulo n */
		ret = -EBADMSG;
		goto out;
	}
	if (gcry_sexp_build(&key, NULL, "(public-key (rsa (n %M)(e %M)))", mn, me) == 0 &&
	    gcry_sexp_build(&d, NULL, "(data (flags pkcs1)(hash %s %b))",
			    alg->md == GCRY_MD_SHA512 ? "sha512" : "sha256", (int)hn, h) == 0 &&
	    gcry_sexp_build(&sig, NULL, "(sig-val (rsa (s %M)))", ms) == 0)
		ret = pk_verify(sig, d, key);
out:
	gcry_mpi_release(me);
	gcry_mpi_release(mn);
	gcry_mpi_release(ms);
	gcry_sexp_release(key);
	gcry_sexp_release(d);
	gcry_sexp_release(sig);
	return ret;
}

static int
verify_ecdsa(const struct ct_key *k, const struct ct_sigalg *alg, struct ct_wrd *r,
	     const void *data, size_t len)
{
	gcry_sexp_t key = NULL, d = NULL, sig = NULL;
	gcry_mpi_t mr = NULL, ms = NULL;
	const unsigned char *q, *inner, *rb, *sb;
	size_t qn, innern, rn, sn, hn;
	unsigned char h[64];
	struct ct_wrd ir;
	int ret = -EINVAL;

	if (ct_wrd_string(r, &inner, &innern) < 0 || !ct_wrd_done(r))
		return -EINVAL;
	ir = (struct ct_wrd){ inner, innern, 0 };
	if (ct_wrd_mpint(&ir, MAX_BIGNUM, &rb, &rn) < 0 || ct_wrd_mpint(&ir, MAX_BIGNUM, &sb, &sn) < 0 ||
	    !ct_wrd_done(&ir))
		return -EINVAL;
	if (hash_of(alg, data, len, h, &hn) < 0)
		return -EINVAL;
	ecdsa_point(k, &q, &qn);
	mr = mpi_usg(rb, rn);
	ms = mpi_usg(sb, sn);
	if (mr == NULL || ms == NULL)
		goto out;
	if (gcry_sexp_build(&key, NULL, "(public-key (ecc (curve %s)(q %b)))", k->kt->gcurve, (int)qn,
			    q) == 0 &&
	    gcry_sexp_build(&d, NULL, "(data (flags raw)(value %b))", (int)hn, h) == 0 &&
	    gcry_sexp_build(&sig, NULL, "(sig-val (ecdsa (r %M)(s %M)))", mr, ms) == 0)
		ret = pk_verify(sig, d, key);
out:
	gcry_mpi_release(mr);
	gcry_mpi_release(ms);
	gcry_sexp_release(key);
	gcry_sexp_release(d);
	gcry_sexp_release(sig);
	return ret;
}

/* ---- keys ---- */

/*
 * The type a blob names.  OpenSSH's sshkey_type_from_name() also takes a
 * plain type's short name in any case ("RSA", "ed25519") and the RSA
 * signature names; ECDSA's short name then fails its curve lookup.
 */
static const struct ct_keytype *
blob_type(const char *name, size_t len, int *elsewhere_)
{
	static const struct {
		const char *shortname;
		const char *type;	/* NULL: a type cardtrail does not implement */
	} shortnames[] = {
		{ "ED25519", "ssh-ed25519" }, { "RSA", "ssh-rsa" }, { "DSA", NULL },
		{ "ED25519-SK", NULL }, { "ECDSA-SK", NULL }, { "XMSS", NULL },
	};
	size_t i;

	*elsewhere_ = 0;
	for (i = 0; i < CT_ARRAY_SIZE(shortnames); i++) {
		if (strlen(shortnames[i].shortname) != len ||
		    strncasecmp(name, shortnames[i].shortname, len) != 0)
			continue;
		if (shortnames[i].type == NULL) {
			*elsewhere_ = 1;
			return NULL;
		}
		return ct_keytype_find(shortnames[i].type, strlen(shortnames[i].type));
	}
	*elsewhere_ = ct_keytype_known_elsewhere(name, len);
	return ct_keytype_find(name, len);
}

int
ct_key_from_blob(const unsigned char *blob, size_t n, struct ct_key **key)
{
	struct ct_wrd r = { blob, n, 0 };
	struct ct_wbuf canon = { 0 };
	const struct ct_keytype *kt;
	const char *name;
	size_t nl;
	struct ct_key *k;
	int ret, other;

	*key = NULL;
	if (ct_wrd_cstring(&r, &name, &nl) < 0)
		return -EINVAL;
	if ((kt = blob_type(name, nl, &other)) == NULL)
		return other ? -ENOTSUP : -EINVAL;
	ct_wbuf_cstring(&canon, kt->name);
	if ((ret = kt->parse(kt, &r, &canon)) < 0)
		goto out;
	if (!ct_wrd_done(&r)) {
		ret = -EINVAL;
		goto out;
	}
	if ((ret = canon.err) < 0)
		goto out;
	if ((k = calloc(1, sizeof(*k))) == NULL || (k->blob = malloc(canon.len)) == NULL) {
		free(k);
		ret = -ENOMEM;
		goto out;
	}
	memcpy(k->blob, canon.p, canon.len);
	k->bloblen = canon.len;
	k->kt = kt;
	*key = k;
out:
	ct_wbuf_free(&canon);
	return ret;
}

int
ct_key_read(char **cpp, struct ct_key **key)
{
	char *cp = *cpp, *copy;
	const struct ct_keytype *kt;
	unsigned char *blob = NULL;
	size_t space, bn;
	int ret;

	*key = NULL;
	/* the type: ends at a space or a tab, which must be there */
	space = strcspn(cp, " \t");
	if (cp[space] == '\0')
		return -EINVAL;
	kt = ct_keytype_find(cp, space);
	if (kt == NULL && !ct_keytype_known_elsewhere(cp, space))
		return -EINVAL;
	for (cp += space; *cp == ' ' || *cp == '\t'; cp++)
		;
	if (*cp == '\0')
		return -EINVAL;
	space = strcspn(cp, " \t");
	if (kt == NULL) {
		/* a key of a kind OpenSSH reads and cardtrail cannot check */
		for (cp += space; *cp == ' ' || *cp == '\t'; cp++)
			;
		*cpp = cp;
		return -ENOTSUP;
	}
	if ((copy = strndup(cp, space)) == NULL)
		return -ENOMEM;
	ret = ct_b64_decode(copy, space, &blob, &bn);
	free(copy);
	if (ret < 0)
		return ret;
	ret = ct_key_from_blob(blob, bn, key);
	free(blob);
	if (ret == -ENOTSUP)
		ret = -EINVAL;		/* a blob of another type than the one named */
	if (ret < 0)
		return ret;
	if ((*key)->kt != kt) {
		ct_key_free(*key);
		*key = NULL;
		return -EINVAL;
	}
	for (cp += space; *cp == ' ' || *cp == '\t'; cp++)
		;
	*cpp = cp;
	return 0;
}

int
ct_key_parse_public(const char *line, struct ct_key **key)
{
	char *copy = strdup(line), *cp;
	int ret;

	*key = NULL;
	if (copy == NULL)
		return -ENOMEM;
	cp = copy + strspn(copy, " \t");
	ret = ct_key_read(&cp, key);
	free(copy);
	return ret;
}

void
ct_blob_fingerprint(const unsigned char *blob, size_t n, char *buf, size_t len)
{
	unsigned char h[32];
	char *enc;
	size_t l;

	gcry_md_hash_buffer(GCRY_MD_SHA256, h, blob, n);
	enc = ct_b64_encode(h, 32, 0);
	if (enc == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	l = strlen(enc);
	while (l > 0 && enc[l - 1] == '=')	/* ssh-keygen drops the padding */
		enc[--l] = '\0';
	if (ct_snprintf(buf, len, "SHA256:%s", enc) < 0)
		snprintf(buf, len, "?");
	free(enc);
}

void
ct_blob_type(const unsigned char *blob, size_t n, char *buf, size_t len)
{
	struct ct_wrd r = { blob, n, 0 };
	const unsigned char *name;
	size_t nl, i;

	if (ct_wrd_string(&r, &name, &nl) < 0 || nl == 0) {
		snprintf(buf, len, "?");
		return;
	}
	for (i = 0; i < nl; i++)	/* a name from an agent: printable only */
		if (name[i] < 0x21 || name[i] > 0x7e) {
			snprintf(buf, len, "?");
			return;
		}
	if (ct_snprintf(buf, len, "%.*s", (int)nl, (const char *)name) < 0)
		snprintf(buf, len, "?");
}

void
ct_key_fingerprint(const struct ct_key *key, char *buf, size_t len)
{
	ct_blob_fingerprint(key->blob, key->bloblen, buf, len);
}

const char *
ct_key_type(const struct ct_key *key)
{
	return key->kt->name;
}

void
ct_key_describe(const struct ct_key *key, char *buf, size_t len)
{
	if (ct_snprintf(buf, len, "%s-%u", key->kt->label, key->kt->bits(key)) < 0)
		snprintf(buf, len, "%s", key->kt->label);
}

int
ct_key_equal(const struct ct_key *a, const struct ct_key *b)
{
	return a->bloblen == b->bloblen && memcmp(a->blob, b->blob, a->bloblen) == 0;
}

char *
ct_key_public_line(const struct ct_key *key)
{
	char *enc = ct_b64_encode(key->blob, key->bloblen, 0), *line = NULL;

	if (enc && asprintf(&line, "%s %s", key->kt->name, enc) < 0)
		line = NULL;
	free(enc);
	return line;
}

const char *
ct_key_agent(const struct ct_key *key)
{
	return key->agent;
}

void
ct_key_free(struct ct_key *key)
{
	if (key == NULL)
		return;
	free(key->blob);
	free(key->agent);
	explicit_bzero(key, sizeof(*key));
	free(key);
}
