/*
 * sshsig.c — OpenSSH signatures (PROTOCOL.sshsig), made with cardtrail's
 * own Ed25519 key or by ssh-agent, checked as `ssh-keygen -Y verify`
 * checks them.
 *
 *   signed data: "SSHSIG", string namespace, string reserved (empty),
 *       string hash_alg, string H(message)
 *   signature:   "SSHSIG", uint32 version (1), string public key blob,
 *       string namespace, string reserved, string hash_alg,
 *       string (string sig_alg, sig_alg's signature)
 *   armored:     "-----BEGIN SSH SIGNATURE-----\n", base64 wrapped at 70,
 *       "\n-----END SSH SIGNATURE-----\n"
 * cardtrail signs with hash_alg sha512 as ssh-keygen does; it reads
 * sha256 too, as ssh-keygen does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "cardtrail/util.h"
#include "custody/keyimpl.h"

#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define ARMOR_END "\n-----END SSH SIGNATURE-----"

static const struct {
	const char *name;
	int md;
} hashalgs[] = {
	{ "sha512", GCRY_MD_SHA512 },	/* the one cardtrail signs with */
	{ "sha256", GCRY_MD_SHA256 },
};

static void
seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) >= (int)errlen && errlen > 4)
		memcpy(err + errlen - 4, "...", 4);	/* say it was cut */
	va_end(ap);
}

/* The bytes a signature covers. */
static int
signed_data(const char *ns, size_t nslen, size_t hi, const void *msg, size_t len,
	    struct ct_wbuf *b)
{
	unsigned char h[64];
	unsigned int hl = gcry_md_get_algo_dlen(hashalgs[hi].md);

	gcry_md_hash_buffer(hashalgs[hi].md, h, msg, len);
	ct_wbuf_put(b, "SSHSIG", 6);
	ct_wbuf_string(b, ns, nslen);
	ct_wbuf_string(b, "", 0);
	ct_wbuf_cstring(b, hashalgs[hi].name);
	ct_wbuf_string(b, h, hl);
	return b->err;
}

/* Check a signature blob (string sig_alg, …) of key k over data. */
static int
verify_blob(const struct ct_key *k, const unsigned char *sig, size_t siglen, const void *data,
	    size_t len, const struct ct_sigalg **used)
{
	struct ct_wrd r = { sig, siglen, 0 };
	const char *alg;
	size_t an, i;

	if (ct_wrd_cstring(&r, &alg, &an) < 0)
		return -EINVAL;
	for (i = 0; i < CT_ARRAY_SIZE(k->kt->sig) && k->kt->sig[i].name; i++) {
		if (strlen(k->kt->sig[i].name) != an || memcmp(alg, k->kt->sig[i].name, an) != 0)
			continue;
		if (used)
			*used = &k->kt->sig[i];
		return k->kt->verify(k, &k->kt->sig[i], &r, data, len);
	}
	return -EINVAL;		/* not an algorithm of this key (e.g. ssh-rsa) */
}

/* The signature blob of sd, made by the agent; checked before it is used. */
static int
agent_sign(const struct ct_key *k, const struct ct_wbuf *sd, struct ct_wbuf *sig, char *err,
	   size_t errlen)
{
	const struct ct_sigalg *want = &k->kt->sig[0], *got = NULL;
	unsigned char *s = NULL;
	char fp[80], why[512];
	size_t sn = 0;
	int ret;

	ct_key_fingerprint(k, fp, sizeof(fp));
	ret = ct_agent_sign(k->agent, k->agent_timeout_ms, k->blob, k->bloblen, sd->p, sd->len,
			    want->agent_flags, &s, &sn);
	if (ret < 0) {
		ct_agent_strerror(ret, k->agent, k->agent_timeout_ms, why, sizeof(why));
		seterr(err, errlen, "cannot sign with %s: %s", fp, why);
		goto out;
	}
	/* a wedged or hostile agent must not put a bad signature in the log */
	ret = verify_blob(k, s, sn, sd->p, sd->len, &got);
	if (ret == 0 && got != want)
		ret = -EINVAL;	/* e.g. rsa-sha2-256 when rsa-sha2-512 was asked for */
	if (ret < 0) {
		seterr(err, errlen, "cannot sign with %s: the signature the ssh-agent at '%s' made "
		       "is not a valid %s signature over the record", fp, k->agent, want->name);
		ret = -EBADMSG;
		goto out;
	}
	ct_wbuf_put(sig, s, sn);
out:
	free(s);
	return ret;
}

static int
local_sign(const struct ct_key *k, const struct ct_wbuf *sd, struct ct_wbuf *sig)
{
	unsigned char rs[64];
	int ret;

	if ((ret = ct_key_ed25519_sign(k, sd->p, sd->len, rs)) < 0)
		return ret;
	ct_wbuf_cstring(sig, "ssh-ed25519");
	ct_wbuf_string(sig, rs, 64);
	explicit_bzero(rs, sizeof(rs));
	return sig->err;
}

int
ct_sshsig_sign(const struct ct_key *key, const char *ns, const void *msg, size_t len,
	       char **armored, char *err, size_t errlen)
{
	struct ct_wbuf sd = { 0 }, sig = { 0 }, out = { 0 };
	char *enc = NULL;
	int ret;

	*armored = NULL;
	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	if ((ret = signed_data(ns, strlen(ns), 0, msg, len, &sd)) < 0)
		goto out;
	if (key->agent)
		ret = agent_sign(key, &sd, &sig, err, errlen);
	else if (key->has_private)
		ret = local_sign(key, &sd, &sig);
	else
		ret = -EINVAL;	/* a public key nobody signs for */
	if (ret < 0)
		goto out;
	ct_wbuf_put(&out, "SSHSIG", 6);
	ct_wbuf_u32(&out, 1);
	ct_wbuf_string(&out, key->blob, key->bloblen);
	ct_wbuf_cstring(&out, ns);
	ct_wbuf_string(&out, "", 0);
	ct_wbuf_cstring(&out, hashalgs[0].name);
	ct_wbuf_string(&out, sig.p, sig.len);
	if ((ret = out.err ? out.err : sig.err) < 0)
		goto out;
	enc = ct_b64_encode(out.p, out.len, 70);
	if (enc == NULL || asprintf(armored, ARMOR_BEGIN "%s" ARMOR_END "\n", enc) < 0) {
		*armored = NULL;
		ret = -ENOMEM;
		goto out;
	}
	ret = 0;
out:
	free(enc);
	ct_wbuf_free(&sd);
	ct_wbuf_free(&sig);
	ct_wbuf_free(&out);
	return ret;
}

/* sshsig_dearmor(): the header at the start, the first footer after it. */
static int
dearmor(const char *armored, unsigned char **blob, size_t *n)
{
	const char *b, *e;

	if (strncmp(armored, ARMOR_BEGIN, strlen(ARMOR_BEGIN)) != 0)
		return -EINVAL;
	b = armored + strlen(ARMOR_BEGIN);
	if ((e = strstr(b, ARMOR_END)) == NULL)
		return -EINVAL;
	return ct_b64_decode(b, (size_t)(e - b), blob, n);
}

int
ct_sshsig_namespace(const char *armored, char *out, size_t outlen)
{
	unsigned char *blob = NULL;
	const unsigned char *pb;
	const char *ns;
	size_t n, pbn, nsn, i;
	uint32_t ver;
	struct ct_wrd r;
	int ret;

	if ((ret = dearmor(armored, &blob, &n)) < 0)
		return ret;
	r = (struct ct_wrd){ blob, n, 6 };
	ret = -EINVAL;
	if (n >= 6 && memcmp(blob, "SSHSIG", 6) == 0 && ct_wrd_u32(&r, &ver) == 0 &&
	    ct_wrd_string(&r, &pb, &pbn) == 0 && ct_wrd_cstring(&r, &ns, &nsn) == 0 && outlen > 0) {
		/* the signer chose it: printable ASCII only, cut short */
		for (i = 0; i < nsn && i + 1 < outlen; i++)
			out[i] = ns[i] > 0x20 && ns[i] < 0x7f ? ns[i] : '?';
		out[i] = '\0';
		ret = 0;
	}
	free(blob);
	return ret;
}

int
ct_sshsig_verify(const char *armored, const char *ns, const void *msg, size_t len,
		 struct ct_key **signer)
{
	unsigned char *blob = NULL;
	const unsigned char *pb, *d, *sig;
	const char *gotns, *ha;
	size_t n, pbn, dn, nsn, han, sn, hi;
	uint32_t ver;
	struct ct_key *k = NULL;
	struct ct_wrd r;
	struct ct_wbuf sd = { 0 };
	int ret;

	if (signer)
		*signer = NULL;
	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	if ((ret = dearmor(armored, &blob, &n)) < 0)
		return ret;
	ret = -EINVAL;
	r = (struct ct_wrd){ blob, n, 6 };
	/* ssh-keygen refuses versions above 1 only */
	if (n < 6 || memcmp(blob, "SSHSIG", 6) != 0 || ct_wrd_u32(&r, &ver) < 0 || ver > 1 ||
	    ct_wrd_string(&r, &pb, &pbn) < 0 || ct_wrd_cstring(&r, &gotns, &nsn) < 0 ||
	    ct_wrd_string(&r, &d, &dn) < 0 || ct_wrd_cstring(&r, &ha, &han) < 0 ||
	    ct_wrd_string(&r, &sig, &sn) < 0 || !ct_wrd_done(&r))
		goto out;
	if (nsn != strlen(ns) || memcmp(gotns, ns, nsn) != 0) {
		ret = -ENOMSG;	/* sound, but made for another purpose */
		goto out;
	}
	for (hi = 0; hi < CT_ARRAY_SIZE(hashalgs); hi++)
		if (strlen(hashalgs[hi].name) == han && memcmp(ha, hashalgs[hi].name, han) == 0)
			break;
	if (hi == CT_ARRAY_SIZE(hashalgs))
		goto out;
	if ((ret = ct_key_from_blob(pb, pbn, &k)) < 0)
		goto out;
	if ((ret = signed_data(ns, nsn, hi, msg, len, &sd)) < 0)
		goto out;
	if ((ret = verify_blob(k, sig, sn, sd.p, sd.len, NULL)) < 0)
		goto out;
	if (signer) {
		*signer = k;
		k = NULL;
	}
	ret = 0;
out:
	free(blob);
	ct_key_free(k);
	ct_wbuf_free(&sd);
	return ret;
}
