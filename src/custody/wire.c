/*
 * wire.c — SSH wire format and OpenSSH's base64 (see wire.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "custody/wire.h"

void
ct_wbuf_put(struct ct_wbuf *b, const void *d, size_t n)
{
	if (b->err || n == 0)
		return;
	if (n > SIZE_MAX / 4 - b->len) {
		b->err = -ENOMEM;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *np;

		while (cap < b->len + n)
			cap *= 2;
		/* not realloc: the old bytes may be key material, zero them */
		np = malloc(cap);
		if (np == NULL) {
			b->err = -ENOMEM;
			return;
		}
		if (b->p) {
			memcpy(np, b->p, b->len);
			explicit_bzero(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

void
ct_wbuf_u8(struct ct_wbuf *b, unsigned char v)
{
	ct_wbuf_put(b, &v, 1);
}

void
ct_wbuf_u32(struct ct_wbuf *b, uint32_t v)
{
	unsigned char x[4] = { v >> 24, v >> 16, v >> 8, v };

	ct_wbuf_put(b, x, 4);
}

void
ct_wbuf_string(struct ct_wbuf *b, const void *d, size_t n)
{
	if (n > UINT32_MAX) {
		b->err = b->err ? b->err : -ENOMEM;
		return;
	}
	ct_wbuf_u32(b, (uint32_t)n);
	ct_wbuf_put(b, d, n);
}

void
ct_wbuf_cstring(struct ct_wbuf *b, const char *s)
{
	ct_wbuf_string(b, s, strlen(s));
}

void
ct_wbuf_free(struct ct_wbuf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int
ct_wrd_u8(struct ct_wrd *r, unsigned char *v)
{
	if (r->len - r->pos < 1)
		return -EINVAL;
	*v = r->p[r->pos++];
	return 0;
}

int
ct_wrd_u32(struct ct_wrd *r, uint32_t *v)
{
	if (r->len - r->pos < 4)
		return -EINVAL;
	*v = (uint32_t)r->p[r->pos] << 24 | (uint32_t)r->p[r->pos + 1] << 16 |
	     (uint32_t)r->p[r->pos + 2] << 8 | r->p[r->pos + 3];
	r->pos += 4;
	return 0;
}

int
ct_wrd_string(struct ct_wrd *r, const unsigned char **d, size_t *n)
{
	uint32_t l;

	if (ct_wrd_u32(r, &l) < 0 || r->len - r->pos < l)
		return -EINVAL;
	*d = r->p + r->pos;
	*n = l;
	r->pos += l;
	return 0;
}

int
ct_wrd_cstring(struct ct_wrd *r, const char **d, size_t *n)
{
	const unsigned char *p;
	size_t l;
	const void *z;

	if (ct_wrd_string(r, &p, &l) < 0)
		return -EINVAL;
	if (l > 0 && (z = memchr(p, '\0', l)) != NULL) {
		if ((const unsigned char *)z != p + l - 1)
			return -EINVAL;
		l--;
	}
	*d = (const char *)p;
	*n = l;
	return 0;
}

int
ct_wrd_expect(struct ct_wrd *r, const char *s)
{
	const char *d;
	size_t n;

	if (ct_wrd_cstring(r, &d, &n) < 0 || n != strlen(s) || memcmp(d, s, n) != 0)
		return -EINVAL;
	return 0;
}

int
ct_wrd_mpint(struct ct_wrd *r, size_t maxbytes, const unsigned char **d, size_t *n)
{
	const unsigned char *p;
	size_t l;

	if (ct_wrd_string(r, &p, &l) < 0)
		return -EINVAL;
	if (l > 0 && (p[0] & 0x80))
		return -EINVAL;		/* negative */
	if (l > maxbytes + 1 || (l == maxbytes + 1 && p[0] != 0))
		return -EINVAL;		/* too large */
	while (l > 0 && p[0] == 0) {
		p++;
		l--;
	}
	*d = p;
	*n = l;
	return 0;
}

int
ct_wrd_done(const struct ct_wrd *r)
{
	return r->pos == r->len;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
ct_b64_encode(const unsigned char *d, size_t n, size_t wrap)
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

/* OpenSSH's b64_pton skips what isspace() says is space (C locale). */
static int
b64_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The tail after the first '=': b64_pton's rules for state 2 and 3. */
static int
b64_tail(const char *s, size_t i, size_t len, int state, unsigned int bits)
{
	if (state < 2)
		return -EINVAL;		/* '=' in the first or second place */
	i++;			/* the '=' seen */
	if (state == 2) {	/* one byte of data: a second '=' must follow */
		while (i < len && s[i] != '\0' && b64_space(s[i]))
			i++;
		if (i >= len || s[i] != '=')
			return -EINVAL;
		i++;
	}
	for (; i < len && s[i] != '\0'; i++)
		if (!b64_space(s[i]))
			return -EINVAL;
	/* the bits past the last whole byte must be zero (no hidden channel) */
	return bits ? -EINVAL : 0;
}

int
ct_b64_decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *d;
	uint32_t acc = 0;	/* bits read but not yet output */
	size_t i, n = 0;
	int state = 0, nbits = 0, ret = 0;
	const char *c;

	*out = NULL;
	*outlen = 0;
	if ((d = malloc(len / 4 * 3 + 3)) == NULL)
		return -ENOMEM;
	for (i = 0; i < len && s[i] != '\0'; i++) {
		if (b64_space(s[i]))
			continue;
		if (s[i] == '=')
			break;
		if ((c = strchr(b64, s[i])) == NULL) {
			ret = -EINVAL;
			goto out;
		}
		acc = acc << 6 | (uint32_t)(c - b64);
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			d[n++] = (unsigned char)(acc >> nbits);
			acc &= (1u << nbits) - 1;
		}
		state = (state + 1) % 4;
	}
	if (i < len && s[i] == '=')
		ret = b64_tail(s, i, len, state, acc);
	else if (state != 0)
		ret = -EINVAL;		/* a partial byte at the end */
out:
	if (ret < 0) {
		explicit_bzero(d, len / 4 * 3 + 3);
		free(d);
		return ret;
	}
	*out = d;
	*outlen = n;
	return 0;
}
