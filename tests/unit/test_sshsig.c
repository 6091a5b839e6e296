/*
 * test_sshsig.c — SSHSIG signatures checked as ssh-keygen -Y verify checks
 * them (src/custody/sshsig.c, sshkey.c): what it accepts beyond what
 * cardtrail writes (rsa-sha2-256, the sha256 hash, version 0, a reserved
 * field), what it refuses (ssh-rsa SHA-1 signatures, other namespaces and
 * hashes, trailing bytes, text before the armor), with signatures made
 * here by libgcrypt.  When ssh-keygen is installed, it is asked about the
 * same signatures and must agree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "custody/keyimpl.h"
#include "custody/wire.h"

#define NS "cardtrail-custody"
static const char msg[] = "{\"v\":1,\"seq\":3,\"action\":\"note\"}";

static char dir[] = "/tmp/ct-sshsig.XXXXXX";
static gcry_sexp_t rsa;		/* an RSA key pair made by libgcrypt */
static struct ct_wbuf rsablob;	/* its public blob */
static struct ct_key *ed;	/* an Ed25519 key pair of cardtrail's */

static void
put_mpi(struct ct_wbuf *b, gcry_mpi_t m)
{
	unsigned char *p = NULL;
	size_t n = 0;

	assert_int_equal(gcry_mpi_aprint(GCRYMPI_FMT_SSH, &p, &n, m), 0);
	ct_wbuf_put(b, p, n);	/* already "uint32 length, bytes" */
	gcry_free(p);
}

static gcry_mpi_t
token_mpi(gcry_sexp_t s, const char *name)
{
	gcry_sexp_t t = gcry_sexp_find_token(s, name, 0);
	gcry_mpi_t m;

	assert_non_null(t);
	m = gcry_sexp_nth_mpi(t, 1, GCRYMPI_FMT_USG);
	gcry_sexp_release(t);
	assert_non_null(m);
	return m;
}

static int
setup(void **state)
{
	gcry_sexp_t parms;
	gcry_mpi_t n, e;
	char path[100], *pub = NULL;

	(void)state;
	if (ct_gcrypt_init() < 0 || mkdtemp(dir) == NULL)
		return -1;
	if (gcry_sexp_build(&parms, NULL, "(genkey (rsa (nbits 4:1024)))") != 0 ||
	    gcry_pk_genkey(&rsa, parms) != 0)
		return -1;
	gcry_sexp_release(parms);
	n = token_mpi(rsa, "n");
	e = token_mpi(rsa, "e");
	ct_wbuf_cstring(&rsablob, "ssh-rsa");
	put_mpi(&rsablob, e);
	put_mpi(&rsablob, n);
	gcry_mpi_release(n);
	gcry_mpi_release(e);
	snprintf(path, sizeof(path), "%s/ed", dir);
	if (ct_key_generate(path, "t", &pub) < 0 || ct_key_load_private(path, &ed) < 0)
		return -1;
	free(pub);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[100];

	(void)state;
	gcry_sexp_release(rsa);
	ct_wbuf_free(&rsablob);
	ct_key_free(ed);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* SSHSIG signed data over m. */
static void
signed_data(struct ct_wbuf *sd, const char *ns, const char *hash, const void *m, size_t len)
{
	unsigned char h[64];
	int md = strcmp(hash, "sha256") == 0 ? GCRY_MD_SHA256 : GCRY_MD_SHA512;

	gcry_md_hash_buffer(md, h, m, len);
	ct_wbuf_put(sd, "SSHSIG", 6);
	ct_wbuf_cstring(sd, ns);
	ct_wbuf_string(sd, "", 0);
	ct_wbuf_cstring(sd, hash);
	ct_wbuf_string(sd, h, gcry_md_get_algo_dlen(md));
}

/* An RSA signature blob "alg, s" over sd with the hash md. */
static void
rsa_sig(struct ct_wbuf *sig, const char *alg, const char *md, const struct ct_wbuf *sd)
{
	unsigned char h[64];
	int algo = gcry_md_map_name(md);
	gcry_sexp_t data, s;
	gcry_mpi_t m;
	unsigned char *p = NULL;
	size_t n = 0;

	gcry_md_hash_buffer(algo, h, sd->p, sd->len);
	assert_int_equal(gcry_sexp_build(&data, NULL, "(data (flags pkcs1)(hash %s %b))", md,
					 (int)gcry_md_get_algo_dlen(algo), h), 0);
	assert_int_equal(gcry_pk_sign(&s, data, rsa), 0);
	m = token_mpi(s, "s");
	assert_int_equal(gcry_mpi_aprint(GCRYMPI_FMT_USG, &p, &n, m), 0);
	ct_wbuf_cstring(sig, alg);
	ct_wbuf_string(sig, p, n);
	gcry_free(p);
	gcry_mpi_release(m);
	gcry_sexp_release(data);
	gcry_sexp_release(s);
}

struct sigopts {
	uint32_t version;
	const char *ns, *hash, *reserved;
	const char *trailer;	/* bytes after the last field */
	const char *before;	/* text before the armor */
};

/* The armored SSHSIG of key blob kb with signature blob sig. */
static char *
armor(const struct ct_wbuf *kb, const struct ct_wbuf *sig, const struct sigopts *o)
{
	struct ct_wbuf b = { 0 };
	char *enc, *out = NULL;

	ct_wbuf_put(&b, "SSHSIG", 6);
	ct_wbuf_u32(&b, o->version);
	ct_wbuf_string(&b, kb->p, kb->len);
	ct_wbuf_cstring(&b, o->ns);
	ct_wbuf_cstring(&b, o->reserved ? o->reserved : "");
	ct_wbuf_cstring(&b, o->hash);
	ct_wbuf_string(&b, sig->p, sig->len);
	if (o->trailer)
		ct_wbuf_cstring(&b, o->trailer);
	enc = ct_b64_encode(b.p, b.len, 70);
	assert_true(asprintf(&out, "%s-----BEGIN SSH SIGNATURE-----\n%s\n-----END SSH SIGNATURE-----\n",
			     o->before ? o->before : "", enc) > 0);
	free(enc);
	ct_wbuf_free(&b);
	return out;
}

/* ssh-keygen's verdict on the armored signature of msg by the key blob
 * (0 good, 1 refused), or -1 when ssh-keygen is not there. */
static int
ssh_keygen_says(const char *armored, const struct ct_wbuf *kb, const char *keytype)
{
	char path[3][100], cmd[600], *b64 = ct_b64_encode(kb->p, kb->len, 0);
	FILE *f;
	int i, rc;

	if (system("command -v ssh-keygen >/dev/null 2>&1") != 0) {
		free(b64);
		return -1;
	}
	for (i = 0; i < 3; i++)
		snprintf(path[i], sizeof(path[i]), "%s/%s", dir, (const char *[]){ "sig", "msg", "allowed" }[i]);
	assert_non_null(f = fopen(path[0], "w"));
	fputs(armored, f);
	fclose(f);
	assert_non_null(f = fopen(path[1], "w"));
	fwrite(msg, 1, strlen(msg), f);
	fclose(f);
	assert_non_null(f = fopen(path[2], "w"));
	fprintf(f, "alice %s %s\n", keytype, b64);
	fclose(f);
	free(b64);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -Y verify -f %s -I alice -n " NS " -s %s <%s >/dev/null 2>&1",
		 path[2], path[0], path[1]);
	rc = system(cmd);
	return rc == 0 ? 0 : 1;
}

/* cardtrail's verdict must be want, and ssh-keygen's the same. */
static void
expect(const char *armored, const struct ct_wbuf *kb, const char *keytype, int want)
{
	struct ct_key *signer = NULL;
	int rc = ct_sshsig_verify(armored, NS, msg, strlen(msg), &signer), ssh;

	if (rc != want)
		fail_msg("ct_sshsig_verify: %d, expected %d", rc, want);
	if (rc == 0)
		assert_non_null(signer);
	ct_key_free(signer);
	ssh = ssh_keygen_says(armored, kb, keytype);
	if (ssh >= 0 && ssh != (want == 0 ? 0 : 1))
		fail_msg("ssh-keygen says %s, cardtrail %d", ssh ? "no" : "good", rc);
}

static void
test_rsa(void **state)
{
	static const struct sigopts std = { .version = 1, .ns = NS, .hash = "sha512" };
	struct sigopts o;
	struct ct_wbuf sd = { 0 }, sig = { 0 };
	char *a;

	(void)state;
	signed_data(&sd, NS, "sha512", msg, strlen(msg));
	rsa_sig(&sig, "rsa-sha2-512", "sha512", &sd);
	a = armor(&rsablob, &sig, &std);
	expect(a, &rsablob, "ssh-rsa", 0);
	free(a);
	ct_wbuf_free(&sig);
	/* rsa-sha2-256: cardtrail never makes one, ssh-keygen accepts it */
	rsa_sig(&sig, "rsa-sha2-256", "sha256", &sd);
	a = armor(&rsablob, &sig, &std);
	expect(a, &rsablob, "ssh-rsa", 0);
	free(a);
	ct_wbuf_free(&sig);
	/* ssh-rsa is SHA-1: refused by both */
	rsa_sig(&sig, "ssh-rsa", "sha1", &sd);
	a = armor(&rsablob, &sig, &std);
	expect(a, &rsablob, "ssh-rsa", -EINVAL);
	free(a);
	ct_wbuf_free(&sig);
	/* a signature named rsa-sha2-512 but made over SHA-256 */
	rsa_sig(&sig, "rsa-sha2-512", "sha256", &sd);
	a = armor(&rsablob, &sig, &std);
	expect(a, &rsablob, "ssh-rsa", -EBADMSG);
	free(a);
	ct_wbuf_free(&sig);
	ct_wbuf_free(&sd);
	/* the sha256 message hash */
	signed_data(&sd, NS, "sha256", msg, strlen(msg));
	rsa_sig(&sig, "rsa-sha2-512", "sha512", &sd);
	o = std;
	o.hash = "sha256";
	a = armor(&rsablob, &sig, &o);
	expect(a, &rsablob, "ssh-rsa", 0);
	free(a);
	/* …which must then be what the signature says */
	o.hash = "sha512";
	a = armor(&rsablob, &sig, &o);
	expect(a, &rsablob, "ssh-rsa", -EBADMSG);
	free(a);
	ct_wbuf_free(&sig);
	ct_wbuf_free(&sd);
}

/* An Ed25519 signature blob over sd, with cardtrail's own key. */
static void
ed_sig(struct ct_wbuf *sig, const struct ct_wbuf *sd)
{
	unsigned char rs[64];

	assert_int_equal(ct_key_ed25519_sign(ed, sd->p, sd->len, rs), 0);
	ct_wbuf_cstring(sig, "ssh-ed25519");
	ct_wbuf_string(sig, rs, 64);
}

static void
test_fields(void **state)
{
	static const struct sigopts std = { .version = 1, .ns = NS, .hash = "sha512" };
	struct ct_wbuf sd = { 0 }, sig = { 0 }, kb = { 0 };
	struct sigopts o;
	char *a, *line;

	(void)state;
	/* ed's public blob, from its public line */
	line = ct_key_public_line(ed);
	{
		unsigned char *d;
		size_t n;
		assert_int_equal(ct_b64_decode(line + 12, strlen(line + 12), &d, &n), 0);
		ct_wbuf_put(&kb, d, n);
		free(d);
	}
	free(line);
	signed_data(&sd, NS, "sha512", msg, strlen(msg));
	ed_sig(&sig, &sd);
	a = armor(&kb, &sig, &std);
	expect(a, &kb, "ssh-ed25519", 0);
	free(a);
	o = std;
	o.version = 0;		/* ssh-keygen refuses only versions above 1 */
	a = armor(&kb, &sig, &o);
	expect(a, &kb, "ssh-ed25519", 0);
	free(a);
	o.version = 2;
	a = armor(&kb, &sig, &o);
	expect(a, &kb, "ssh-ed25519", -EINVAL);
	free(a);
	o = std;
	o.reserved = "anything";	/* not signed, not checked */
	a = armor(&kb, &sig, &o);
	expect(a, &kb, "ssh-ed25519", 0);
	free(a);
	o = std;
	o.ns = "file";
	a = armor(&kb, &sig, &o);
	expect(a, &kb, "ssh-ed25519", -ENOMSG);	/* another namespace: named */
	{
		char ns[8];
		assert_int_equal(ct_sshsig_namespace(a, ns, sizeof(ns)), 0);
		assert_string_equal(ns, "file");
		assert_int_equal(ct_sshsig_namespace(a, ns, 3), 0);
		assert_string_equal(ns, "fi");	/* cut */
		assert_int_equal(ct_sshsig_namespace("not armored", ns, sizeof(ns)), -EINVAL);
	}
	free(a);
	o = std;
	o.ns = "a\033[2Jb";
	a = armor(&kb, &sig, &o);
	{
		char ns[16];
		assert_int_equal(ct_sshsig_namespace(a, ns, sizeof(ns)), 0);
		assert_string_equal(ns, "a?[2Jb");	/* the signer's bytes, printable only */
	}
	free(a);
	o = std;
	o.hash = "sha384";
	a = armor(&kb, &sig, &o);
	expect(a, &kb, "ssh-ed25519", -EINVAL);
	free(a);
	o = std;
	o.trailer = "x";
	a = armor(&kb, &sig, &o);
	expect(a, &kb, "ssh-ed25519", -EINVAL);
	free(a);
	o = std;
	o.before = "junk\n";	/* the armor must start the text */
	a = armor(&kb, &sig, &o);
	expect(a, &kb, "ssh-ed25519", -EINVAL);
	free(a);
	ct_wbuf_free(&sig);
	ct_wbuf_free(&sd);
	ct_wbuf_free(&kb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
