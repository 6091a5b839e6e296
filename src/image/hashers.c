/*
 * hashers.c — the hash consumers of a pass over the stream: one thread per
 * algorithm (whole stream and, for fixed-size segments, each segment), and
 * one for the piecewise SHA-256 windows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "image/acq.h"

/* ---- cut hasher: one digest per fixed-size piece of the stream ---- */

static int
cut_init(struct cut_hasher *c, int gcry_algo, uint64_t every, uint64_t total,
	 void (*done)(void *, uint64_t, const unsigned char *), void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->every = every;
	c->total = total;
	c->done = done;
	c->ctx = ctx;
	return gcry_md_open(&c->h, gcry_algo, 0) ? -ENOMEM : 0;
}

static void
cut_write(struct cut_hasher *c, const unsigned char *p, size_t len)
{
	int algo = gcry_md_get_algo(c->h);

	while (len > 0) {
		uint64_t end = (c->pos / c->every + 1) * c->every;
		size_t n = len;

		if (end > c->total)
			end = c->total;
		if ((uint64_t)n > end - c->pos)
			n = (size_t)(end - c->pos);
		gcry_md_write(c->h, p, n);
		c->pos += n;
		p += n;
		len -= n;
		if (c->pos == end) {
			c->done(c->ctx, (c->pos - 1) / c->every, gcry_md_read(c->h, algo));
			gcry_md_reset(c->h);
		}
	}
}

/* ---- consumers ---- */

static void
seg_done(void *ctx, uint64_t index, const unsigned char *digest)
{
	struct hash_job *j = ctx;

	memcpy(j->a->segs[index].digest[j->algo], digest, ct_hash_algos[j->algo].len);
}

static int
hash_consume(void *ctx, const struct ct_pipe_buf *b)
{
	struct hash_job *j = ctx;

	gcry_md_write(j->whole, b->data, b->len);
	if (j->use_seg)
		cut_write(&j->seg, b->data, b->len);
	return 0;
}

static int
hash_finish(void *ctx)
{
	struct hash_job *j = ctx;

	memcpy(j->digest, gcry_md_read(j->whole, ct_hash_algos[j->algo].gcry_algo),
	       ct_hash_algos[j->algo].len);
	return 0;
}

static void
window_done(void *ctx, uint64_t index, const unsigned char *digest)
{
	struct window_job *w = ctx;

	memcpy(w->digests[index], digest, 32);
}

static int
window_consume(void *ctx, const struct ct_pipe_buf *b)
{
	struct window_job *w = ctx;

	cut_write(&w->cut, b->data, b->len);
	return 0;
}

/* ---- the set ---- */

int
hashers_init(struct acq *a, struct hashers *h, int segs)
{
	size_t i;
	int ret;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < ct_hash_count && i < MAX_HASHES; i++) {
		struct hash_job *j;

		if (!(a->mask & (1u << i)))
			continue;
		j = &h->hj[h->nh++];
		j->a = a;
		j->algo = (int)i;
		if (gcry_md_open(&j->whole, ct_hash_algos[i].gcry_algo, 0))
			return -ENOMEM;
		if (segs && a->split && a->sink && a->sink->fixed_segments) {
			j->use_seg = 1;
			if ((ret = cut_init(&j->seg, ct_hash_algos[i].gcry_algo, a->split,
					    a->src.size, seg_done, j)) < 0)
				return ret;
		}
	}
	if (a->window) {
		struct window_job *wj = &h->wj;

		h->windows = 1;
		wj->a = a;
		wj->count = (a->src.size + a->window - 1) / a->window;
		wj->digests = calloc(wj->count ? wj->count : 1, 32);
		if (wj->digests == NULL)
			return -ENOMEM;
		if ((ret = cut_init(&wj->cut, GCRY_MD_SHA256, a->window, a->src.size, window_done,
				    wj)) < 0)
			return ret;
	}
	return 0;
}

void
hashers_release(struct hashers *h)
{
	size_t i;

	for (i = 0; i < h->nh; i++) {
		gcry_md_close(h->hj[i].whole);
		gcry_md_close(h->hj[i].seg.h);
	}
	gcry_md_close(h->wj.cut.h);
	free(h->wj.digests);
	memset(h, 0, sizeof(*h));
}

size_t
hashers_consumers(struct hashers *h, struct ct_consumer *cons, size_t max)
{
	size_t n = 0, i;

	for (i = 0; i < h->nh && n < max; i++)
		cons[n++] = (struct ct_consumer){ .name = ct_hash_algos[h->hj[i].algo].name,
						   .consume = hash_consume, .finish = hash_finish,
						   .ctx = &h->hj[i] };
	if (h->windows && n < max)
		cons[n++] = (struct ct_consumer){ .name = "windows", .consume = window_consume,
						   .ctx = &h->wj };
	return n;
}

struct json_object *
hashers_json(const struct hashers *h)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < h->nh; i++)
		jset(o, ct_hash_algos[h->hj[i].algo].name,
		     jhex(h->hj[i].digest, ct_hash_algos[h->hj[i].algo].len));
	return o;
}

const unsigned char *
hashers_digest(const struct hashers *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nh; i++)
		if (!strcmp(ct_hash_algos[h->hj[i].algo].name, name))
			return h->hj[i].digest;
	return NULL;
}

struct json_object *
windows_json(struct acq *a, const struct hashers *h)
{
	struct json_object *arr = json_object_new_array();
	uint64_t i;

	if (!h->windows)
		return arr;
	for (i = 0; i < h->wj.count; i++) {
		struct json_object *w = json_object_new_object();
		uint64_t off = i * a->window;

		jset(w, "index", jint(i));
		jset(w, "offset", jint(off));
		jset(w, "length", jint(a->src.size - off < a->window ? a->src.size - off : a->window));
		jset(w, "sha256", jhex(h->wj.digests[i], 32));
		json_object_array_add(arr, w);
	}
	return arr;
}
