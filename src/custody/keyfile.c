/*
 * keyfile.c — key files: Ed25519 key pairs cardtrail makes and signs with
 * itself, OpenSSH private and public key files named to sign, and keys
 * that only ssh-agent signs with.
 *
 *   private key file: "openssh-key-v1\0", string cipher, string kdf,
 *       string kdfopts, uint32 nkeys (1), string pubblob, string private
 *       section (in clear when cipher and kdf are "none": uint32 check,
 *       uint32 check, string "ssh-ed25519", string pk, string sk[64] =
 *       seed || pk, string comment, padding 1,2,3…)
 * The public blob of a private key file is in clear even when the file is
 * passphrase-protected: that is how such a key is found in the agent.
 */
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
#include "custody/keyimpl.h"

#define KEYFILE_MAX (1 << 20)	/* a key file larger than this is not one */

/* ---- Ed25519 key pairs of cardtrail's own ---- */

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

static int
ed25519_key(const unsigned char pk[32], const unsigned char *seed, struct ct_key **key)
{
	struct ct_wbuf b = { 0 };
	int ret;

	ct_wbuf_cstring(&b, "ssh-ed25519");
	ct_wbuf_string(&b, pk, 32);
	if (b.err) {
		ct_wbuf_free(&b);
		return -ENOMEM;
	}
	ret = ct_key_from_blob(b.p, b.len, key);
	ct_wbuf_free(&b);
	if (ret == 0 && seed) {
		memcpy((*key)->seed, seed, 32);
		(*key)->has_private = 1;
	}
	return ret;
}

int
ct_key_ed25519_sign(const struct ct_key *k, const void *data, size_t len, unsigned char sig[64])
{
	gcry_sexp_t skey = NULL, d = NULL, s = NULL;
	int ret = -EIO;

	if (gcry_sexp_build(&skey, NULL, "(private-key (ecc (curve Ed25519)(flags eddsa)(q %b)(d %b)))",
			    32, ct_key_ed25519_pk(k), 32, k->seed) == 0 &&
	    gcry_sexp_build(&d, NULL, "(data (flags eddsa)(hash-algo sha512)(value %b))", (int)len,
			    data) == 0 &&
	    gcry_pk_sign(&s, d, skey) == 0 && sexp_bytes(s, "r", sig, 32) == 0 &&
	    sexp_bytes(s, "s", sig + 32, 32) == 0)
		ret = 0;
	gcry_sexp_release(skey);
	gcry_sexp_release(d);
	gcry_sexp_release(s);
	return ret;
}

static char *
private_key_text(const struct ct_key *k, const char *comment)
{
	struct ct_wbuf b = { 0 }, priv = { 0 };
	unsigned char sk[64];
	uint32_t check;
	unsigned char pad = 1;
	char *enc, *text = NULL;

	gcry_randomize(&check, sizeof(check), GCRY_STRONG_RANDOM);
	memcpy(sk, k->seed, 32);
	memcpy(sk + 32, ct_key_ed25519_pk(k), 32);
	ct_wbuf_u32(&priv, check);
	ct_wbuf_u32(&priv, check);
	ct_wbuf_cstring(&priv, "ssh-ed25519");
	ct_wbuf_string(&priv, ct_key_ed25519_pk(k), 32);
	ct_wbuf_string(&priv, sk, 64);
	ct_wbuf_cstring(&priv, comment ? comment : "");
	while (priv.len % 8)
		ct_wbuf_u8(&priv, pad++);
	explicit_bzero(sk, sizeof(sk));

	ct_wbuf_put(&b, "openssh-key-v1", 15);	/* with its NUL */
	ct_wbuf_cstring(&b, "none");
	ct_wbuf_cstring(&b, "none");
	ct_wbuf_cstring(&b, "");
	ct_wbuf_u32(&b, 1);
	ct_wbuf_string(&b, k->blob, k->bloblen);
	ct_wbuf_string(&b, priv.p, priv.len);
	ct_wbuf_free(&priv);
	if (b.err || priv.err) {
		ct_wbuf_free(&b);
		return NULL;
	}
	enc = ct_b64_encode(b.p, b.len, 70);
	ct_wbuf_free(&b);
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
	gcry_sexp_t parms = NULL, gen = NULL;
	struct ct_key *k = NULL;
	unsigned char pk[32], seed[32];
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
	if (gcry_sexp_build(&parms, NULL, "(genkey (ecc (curve Ed25519)(flags eddsa)))") ||
	    gcry_pk_genkey(&gen, parms)) {
		ret = -EIO;
		goto out;
	}
	if ((ret = sexp_bytes(gen, "q", pk, 32)) < 0 || (ret = sexp_bytes(gen, "d", seed, 32)) < 0 ||
	    (ret = ed25519_key(pk, seed, &k)) < 0)
		goto out;
	text = private_key_text(k, comment);
	line = ct_key_public_line(k);
	if (text == NULL || line == NULL ||
	    asprintf(&full, "%s%s%s\n", line, comment ? " " : "", comment ? comment : "") < 0) {
		full = NULL;
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = write_excl(path, text, 0600)) < 0)
		goto out;
	if ((ret = write_excl(pubpath, full, 0644)) < 0) {
		unlink(path);	/* a pair or nothing */
		goto out;
	}
	full[strlen(full) - 1] = '\0';
	*publine = full;
	full = NULL;
out:
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	explicit_bzero(seed, sizeof(seed));
	ct_key_free(k);
	free(line);
	free(full);
	gcry_sexp_release(parms);
	gcry_sexp_release(gen);
	return ret;
}

/* ---- key files ---- */

/* Read a regular file of at most KEYFILE_MAX bytes, NUL-terminated. */
static int
read_key_file(const char *path, char **text, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int fd, ret = 0;

	*text = NULL;
	/* O_NONBLOCK: a FIFO named as a key must not hang us */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KEYFILE_MAX) {
		ret = -EINVAL;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
out:
	if (buf) {
		explicit_bzero(buf, (size_t)st.st_size + 1);
		free(buf);
	}
	close(fd);
	return ret;
}

/* The clear part of an openssh-key-v1 file, and the private section. */
static int
parse_private(const unsigned char *blob, size_t n, struct ct_key **key, int *kind)
{
	struct ct_wrd r = { blob, n, 15 }, pr;
	const unsigned char *cipher, *kdf, *d, *pub, *priv, *pk, *sk;
	size_t cn, kn, dn, pubn, privn, pkn, skn;
	uint32_t nkeys, c1, c2;
	int ret;

	if (n < 15 || memcmp(blob, "openssh-key-v1", 15) != 0 || ct_wrd_string(&r, &cipher, &cn) < 0 ||
	    ct_wrd_string(&r, &kdf, &kn) < 0 || ct_wrd_string(&r, &d, &dn) < 0 ||
	    ct_wrd_u32(&r, &nkeys) < 0 || nkeys != 1 || ct_wrd_string(&r, &pub, &pubn) < 0 ||
	    ct_wrd_string(&r, &priv, &privn) < 0)
		return -EINVAL;
	if ((ret = ct_key_from_blob(pub, pubn, key)) < 0)
		return ret;
	if (!(cn == 4 && memcmp(cipher, "none", 4) == 0)) {
		*kind = CT_KEYFILE_ENCRYPTED;
		return 0;
	}
	if (!(kn == 4 && memcmp(kdf, "none", 4) == 0))
		goto bad;
	if (strcmp((*key)->kt->name, "ssh-ed25519") != 0) {
		*kind = CT_KEYFILE_AGENT_ONLY;
		return 0;
	}
	pr = (struct ct_wrd){ priv, privn, 0 };
	if (ct_wrd_u32(&pr, &c1) < 0 || ct_wrd_u32(&pr, &c2) < 0 || c1 != c2 ||
	    ct_wrd_expect(&pr, "ssh-ed25519") < 0 || ct_wrd_string(&pr, &pk, &pkn) < 0 || pkn != 32 ||
	    ct_wrd_string(&pr, &sk, &skn) < 0 || skn != 64 || memcmp(sk + 32, pk, 32) != 0 ||
	    memcmp(pk, ct_key_ed25519_pk(*key), 32) != 0)
		goto bad;
	memcpy((*key)->seed, sk, 32);
	(*key)->has_private = 1;
	*kind = CT_KEYFILE_PRIVATE;
	return 0;
bad:
	ct_key_free(*key);
	*key = NULL;
	return -EINVAL;
}

static int
load_private(const char *text, struct ct_key **key, int *kind)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char end[] = "-----END OPENSSH PRIVATE KEY-----";
	const char *b = strstr(text, begin), *e;
	unsigned char *blob = NULL;
	size_t n = 0;
	int ret;

	b += sizeof(begin) - 1;
	if ((e = strstr(b, end)) == NULL)
		return -EINVAL;
	if ((ret = ct_b64_decode(b, (size_t)(e - b), &blob, &n)) < 0)
		return ret;
	ret = parse_private(blob, n, key, kind);
	explicit_bzero(blob, n);
	free(blob);
	return ret;
}

/* The first line of text that is not blank or a comment, as a key. */
static int
load_public(char *text, struct ct_key **key)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *cp = line + strspn(line, " \t\r");

		if (*cp == '\0' || *cp == '#')
			continue;
		return ct_key_read(&cp, key);
	}
	return -EINVAL;
}

int
ct_key_load_file(const char *path, struct ct_key **key, int *kind)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	*key = NULL;
	*kind = CT_KEYFILE_PUBLIC;
	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	if ((ret = read_key_file(path, &text, &len)) < 0)
		return ret;
	if (strstr(text, "-----BEGIN OPENSSH PRIVATE KEY-----"))
		ret = load_private(text, key, kind);
	else if (strstr(text, "PRIVATE KEY-----"))
		ret = -EPROTONOSUPPORT;	/* PEM or PKCS#8: ssh-add reads those */
	else
		ret = load_public(text, key);
	explicit_bzero(text, len);
	free(text);
	return ret;
}

int
ct_key_load_private(const char *path, struct ct_key **key)
{
	int kind, ret = ct_key_load_file(path, key, &kind);

	if (ret == 0 && kind != CT_KEYFILE_PRIVATE) {
		ct_key_free(*key);
		*key = NULL;
		ret = kind == CT_KEYFILE_PUBLIC ? -EINVAL : -ENOTSUP;
	}
	return ret;
}

int
ct_key_use_agent(struct ct_key *key, const char *sock, int list_ms, int sign_ms)
{
	struct ct_agent_list l;
	size_t i;
	int ret;

	if ((ret = ct_agent_list(sock, list_ms, &l)) < 0)
		return ret;
	ret = 1;
	for (i = 0; i < l.n; i++)
		if (l.id[i].bloblen == key->bloblen && memcmp(l.id[i].blob, key->blob, key->bloblen) == 0)
			ret = 0;
	ct_agent_list_free(&l);
	if (ret == 0) {
		free(key->agent);
		if ((key->agent = strdup(sock)) == NULL)
			return -ENOMEM;
		key->agent_timeout_ms = sign_ms;
		/* the agent signs, never a seed we may hold */
		explicit_bzero(key->seed, sizeof(key->seed));
		key->has_private = 0;
	}
	return ret;
}
