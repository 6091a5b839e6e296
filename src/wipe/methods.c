/*
 * methods.c — the wipe methods, and the patterns each pass writes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "cardtrail/hash.h"
#include "cardtrail/util.h"
#include "cardtrail/wipe.h"

#define FIX1(b) { .kind = CT_PASS_FIXED, .pat = { b }, .patlen = 1 }
#define FIX3(a, b, c) { .kind = CT_PASS_FIXED, .pat = { a, b, c }, .patlen = 3 }
#define RAND { .kind = CT_PASS_KEYSTREAM }
#define RBYTE { .kind = CT_PASS_RANDBYTE }
#define COMPL { .kind = CT_PASS_COMPLEMENT }

const struct ct_wipe_method ct_wipe_methods[] = {
	{ .name = "zero", .label = "one pass of 0x00 (after an address probe)",
	  .npasses = 1, .passes = { FIX1(0x00) } },
	{ .name = "random", .label = "one keystream pass",
	  .npasses = 1, .passes = { RAND } },
	{ .name = "nist-clear", .label = "NIST SP 800-88 Clear: keystream, then 0x00 (default)",
	  .npasses = 2, .passes = { RAND, FIX1(0x00) } },
	{ .name = "dod3", .label = "DoD 5220.22-M (E), 3 passes: 0x00, 0xFF, keystream",
	  .npasses = 3, .passes = { FIX1(0x00), FIX1(0xff), RAND } },
	/* DoD 5220.22-M ECE as nwipe does it: a random byte, its complement, a
	 * random stream; a random byte; a random byte, its complement, a random
	 * stream.  The bytes drawn are in the certificate. */
	{ .name = "dod7", .label = "DoD 5220.22-M (ECE), 7 passes",
	  .npasses = 7, .passes = { RBYTE, COMPL, RAND, RBYTE, RBYTE, COMPL, RAND } },
	{ .name = "hmg-is5", .label = "HMG IS5 (enhanced), 3 passes: 0x00, 0xFF, keystream",
	  .npasses = 3, .passes = { FIX1(0x00), FIX1(0xff), RAND } },
	{ .name = "schneier", .label = "Bruce Schneier, 7 passes: 0xFF, 0x00, 5 x keystream",
	  .npasses = 7, .passes = { FIX1(0xff), FIX1(0x00), RAND, RAND, RAND, RAND, RAND } },
	/* Gutmann's 35 passes: 4 random, the 27 patterns (in the paper's
	 * order, which some tools shuffle), 4 random. */
	{ .name = "gutmann", .label = "Peter Gutmann, 35 passes",
	  .npasses = 35, .passes = {
		RAND, RAND, RAND, RAND,
		FIX1(0x55), FIX1(0xaa), FIX3(0x92, 0x49, 0x24), FIX3(0x49, 0x24, 0x92),
		FIX3(0x24, 0x92, 0x49), FIX1(0x00), FIX1(0x11), FIX1(0x22), FIX1(0x33),
		FIX1(0x44), FIX1(0x55), FIX1(0x66), FIX1(0x77), FIX1(0x88), FIX1(0x99),
		FIX1(0xaa), FIX1(0xbb), FIX1(0xcc), FIX1(0xdd), FIX1(0xee), FIX1(0xff),
		FIX3(0x92, 0x49, 0x24), FIX3(0x49, 0x24, 0x92), FIX3(0x24, 0x92, 0x49),
		FIX3(0x6d, 0xb6, 0xdb), FIX3(0xb6, 0xdb, 0x6d), FIX3(0xdb, 0x6d, 0xb6),
		RAND, RAND, RAND, RAND } },
};
const size_t ct_wipe_method_count = CT_ARRAY_SIZE(ct_wipe_methods);

static int
parse_custom(const char *list, struct ct_wipe_method *m, char *err, size_t errlen)
{
	char buf[1024], *tok, *save = NULL;

	if (ct_snprintf(buf, sizeof(buf), "%s", list) < 0) {
		snprintf(err, errlen, "custom method too long");
		return -EINVAL;
	}
	m->name = "custom";
	m->label = "custom passes";
	m->npasses = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct ct_wipe_pass *p;
		size_t n = strlen(tok), i;

		if (m->npasses == CT_WIPE_MAX_PASSES) {
			snprintf(err, errlen, "at most %d passes", CT_WIPE_MAX_PASSES);
			return -EINVAL;
		}
		p = &m->passes[m->npasses];
		memset(p, 0, sizeof(*p));
		if (!strcmp(tok, "random")) {
			p->kind = CT_PASS_KEYSTREAM;
		} else if ((n == 4 || n == 8) && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
			for (i = 2; i < n; i++)
				if (!isxdigit((unsigned char)tok[i]))
					break;
			if (i < n)
				goto bad;
			p->kind = CT_PASS_FIXED;
			p->patlen = (unsigned)(n - 2) / 2;
			for (i = 0; i < p->patlen; i++) {
				char h[3] = { tok[2 + 2 * i], tok[3 + 2 * i], 0 };
				p->pat[i] = (unsigned char)strtoul(h, NULL, 16);
			}
		} else {
			goto bad;
		}
		m->npasses++;
		continue;
bad:
		snprintf(err, errlen, "'%s' is not a pass: use a byte (0x5a), a 3-byte pattern "
			 "(0x924924) or random", tok);
		return -EINVAL;
	}
	if (m->npasses == 0) {
		snprintf(err, errlen, "custom: needs at least one pass");
		return -EINVAL;
	}
	return 0;
}

int
ct_wipe_method_parse(const char *spec, struct ct_wipe_method *out, char *err, size_t errlen)
{
	size_t i;

	if (!strncmp(spec, "custom:", 7))
		return parse_custom(spec + 7, out, err, errlen);
	for (i = 0; i < ct_wipe_method_count; i++)
		if (!strcmp(spec, ct_wipe_methods[i].name)) {
			*out = ct_wipe_methods[i];
			return 0;
		}
	snprintf(err, errlen, "unknown method '%s' (see --list-methods)", spec);
	return -EINVAL;
}

void
ct_wipe_pass_str(const struct ct_wipe_pass *p, char *buf, size_t len)
{
	switch (p->kind) {
	case CT_PASS_FIXED:
		if (p->patlen == 3)
			snprintf(buf, len, "0x%02x%02x%02x", p->pat[0], p->pat[1], p->pat[2]);
		else
			snprintf(buf, len, "0x%02x", p->pat[0]);
		break;
	case CT_PASS_RANDBYTE:
		snprintf(buf, len, "random byte");
		break;
	case CT_PASS_COMPLEMENT:
		snprintf(buf, len, "complement");
		break;
	default:
		snprintf(buf, len, "keystream");
	}
}

int
ct_wipe_plan(const struct ct_wipe_method *m, struct ct_pass_plan *plans)
{
	unsigned i;
	int ret;

	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	for (i = 0; i < m->npasses; i++) {
		const struct ct_wipe_pass *p = &m->passes[i];
		struct ct_pass_plan *q = &plans[i];

		memset(q, 0, sizeof(*q));
		switch (p->kind) {
		case CT_PASS_FIXED:
			memcpy(q->pat, p->pat, 3);
			q->patlen = p->patlen;
			break;
		case CT_PASS_RANDBYTE:
			gcry_randomize(q->pat, 1, GCRY_STRONG_RANDOM);
			q->patlen = 1;
			break;
		case CT_PASS_COMPLEMENT:
			if (i == 0 || plans[i - 1].keystream || plans[i - 1].patlen != 1)
				return -EINVAL;
			q->pat[0] = (unsigned char)~plans[i - 1].pat[0];
			q->patlen = 1;
			break;
		case CT_PASS_KEYSTREAM:
			q->keystream = 1;
			gcry_randomize(q->key, sizeof(q->key), GCRY_STRONG_RANDOM);
			gcry_randomize(q->nonce, sizeof(q->nonce), GCRY_STRONG_RANDOM);
			break;
		}
	}
	return 0;
}

struct ct_pass_cipher {
	gcry_cipher_hd_t ctr;
	gcry_cipher_hd_t ecb;	/* to read an address back out of a block */
};

int
ct_pass_cipher_open(const struct ct_pass_plan *p, struct ct_pass_cipher **out)
{
	struct ct_pass_cipher *c;

	*out = NULL;
	if (!p->keystream)
		return 0;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	if (gcry_cipher_open(&c->ctr, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CTR, 0) ||
	    gcry_cipher_setkey(c->ctr, p->key, 16) ||
	    gcry_cipher_open(&c->ecb, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_ECB, 0) ||
	    gcry_cipher_setkey(c->ecb, p->key, 16)) {
		ct_pass_cipher_close(c);
		return -EIO;
	}
	*out = c;
	return 0;
}

void
ct_pass_cipher_close(struct ct_pass_cipher *c)
{
	if (c == NULL)
		return;
	gcry_cipher_close(c->ctr);
	gcry_cipher_close(c->ecb);
	free(c);
}

int
ct_pass_fill(const struct ct_pass_plan *p, struct ct_pass_cipher *c, unsigned char *buf,
	     size_t len, uint64_t off)
{
	if ((off | len) & 15)
		return -EINVAL;
	if (p->keystream) {
		unsigned char ctr[16];
		uint64_t blk = off / 16;
		int i;

		memcpy(ctr, p->nonce, 8);
		for (i = 0; i < 8; i++)
			ctr[15 - i] = (unsigned char)(blk >> (8 * i));
		memset(buf, 0, len);
		if (gcry_cipher_setctr(c->ctr, ctr, 16) || gcry_cipher_encrypt(c->ctr, buf, len, NULL, 0))
			return -EIO;
		return 0;
	}
	if (p->patlen == 1) {
		memset(buf, p->pat[0], len);
	} else {
		/* aligned to the absolute offset, so any piece regenerates */
		size_t i;
		unsigned ph = (unsigned)(off % 3);
		for (i = 0; i < len; i++) {
			buf[i] = p->pat[ph];
			if (++ph == 3)
				ph = 0;
		}
	}
	return 0;
}

int64_t
ct_pass_block_origin(const struct ct_pass_plan *p, struct ct_pass_cipher *c,
		     const unsigned char block[16])
{
	unsigned char ctr[16];
	uint64_t blk = 0;
	int i;

	if (!p->keystream || c == NULL)
		return -1;
	/* keystream block = AES(nonce || counter): decrypting gives it back */
	if (gcry_cipher_decrypt(c->ecb, ctr, 16, block, 16))
		return -1;
	if (memcmp(ctr, p->nonce, 8) != 0)
		return -1;
	for (i = 8; i < 16; i++)
		blk = blk << 8 | ctr[i];
	if (blk > (uint64_t)INT64_MAX / 16)
		return -1;
	return (int64_t)(blk * 16);
}
