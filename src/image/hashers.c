/*
 * hashers.c — the hash consumers of a pass over the stream: each algorithm
 * (whole stream and, for fixed-size segments, each segment) and the
 * piecewise SHA-256 windows.
 *
 * A pass goes at the pace of its slowest hash (MD5 where the CPU hashes
 * SHA-1 and SHA-256 in hardware; SHA-256 where it does not).  A thread per
 * hash makes the others wait and still take cores from it, so the hashes
 * are packed into threads, longest first into the least loaded (LPT), in
 * as few threads as leave no thread slower than the slowest hash alone:
 * MD5 alone, SHA-1 and SHA-256 together, one buffer pass each, the second
 * from the core's cache.  The costs are measured when the pass starts
 * (a few hundred microseconds); the digests do not depend on the packing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

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

/* Seconds one MiB of algo takes here: the best of a few timed passes over
 * a buffer that stays in the cache. */
static double
cost_of(int gcry_algo)
{
	static const unsigned char buf[64 << 10];
	double best = 0;
	int r, i;

	for (r = 0; r < 3; r++) {
		gcry_md_hd_t h;
		struct timespec t0, t1;
		double s;

		if (gcry_md_open(&h, gcry_algo, 0))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < 4; i++)
			gcry_md_write(h, buf, sizeof(buf));
		(void)gcry_md_read(h, gcry_algo);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		gcry_md_close(h);
		s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (r == 0 || s < best)
			best = s;
	}
	return best * (double)(1 << 20) / (4.0 * sizeof(buf));
}

static int
thread_consume(void *ctx, const struct ct_pipe_buf *b)
{
	struct hash_thread *t = ctx;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->job[i] == WINDOWS)
			window_consume(&t->h->wj, b);
		else
			hash_consume(&t->h->hj[t->job[i]], b);
	return 0;
}

static int
thread_finish(void *ctx)
{
	struct hash_thread *t = ctx;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->job[i] != WINDOWS)
			hash_finish(&t->h->hj[t->job[i]]);
	return 0;
}

/* Pack the jobs (costs c[], longest first in order[]) into k threads. */
static double
pack(struct hashers *h, const int *order, const double *c, size_t n, size_t k)
{
	double worst = 0;
	size_t i, t, least;

	memset(h->th, 0, sizeof(h->th));
	h->nth = k;
	for (i = 0; i < n; i++) {
		int job = order[i];

		for (least = 0, t = 1; t < k; t++)
			if (h->th[t].cost < h->th[least].cost)
				least = t;
		h->th[least].job[h->th[least].n++] = job;
		h->th[least].cost += c[job < 0 ? h->nh : (size_t)job];
	}
	for (t = 0; t < k; t++) {
		h->th[t].h = h;
		if (h->th[t].cost > worst)
			worst = h->th[t].cost;
	}
	return worst;
}

size_t
hashers_consumers(struct hashers *h, struct ct_consumer *cons, size_t max)
{
	double c[MAX_HASHES + 1];
	int order[MAX_HASHES + 1];
	size_t n = 0, i, j, k;

	/* the jobs and their costs (the windows last, as job WINDOWS) */
	for (i = 0; i < h->nh; i++) {
		c[i] = cost_of(ct_hash_algos[h->hj[i].algo].gcry_algo);
		order[n++] = (int)i;
	}
	if (h->windows) {
		c[h->nh] = cost_of(GCRY_MD_SHA256);
		order[n++] = WINDOWS;
	}
	if (n == 0)
		return 0;
	for (i = 1; i < n; i++)	/* longest first */
		for (j = i; j > 0; j--) {
			int a = order[j - 1], b = order[j];
			double ca = c[a < 0 ? h->nh : (size_t)a], cb = c[b < 0 ? h->nh : (size_t)b];

			if (cb <= ca)
				break;
			order[j - 1] = b;
			order[j] = a;
		}
	/* the fewest threads none of which is slower than the slowest job */
	for (k = 1; k < n; k++)
		if (pack(h, order, c, n, k) <= c[order[0] < 0 ? h->nh : (size_t)order[0]])
			break;
	if (k == n)
		pack(h, order, c, n, n);
	for (i = 0; i < h->nth && i < max; i++) {
		struct hash_thread *t = &h->th[i];
		size_t len = 0;

		for (j = 0; j < t->n && len < sizeof(t->name); j++)
			len += (size_t)snprintf(t->name + len, sizeof(t->name) - len, "%s%s",
						j ? "+" : "", t->job[j] == WINDOWS ? "windows" :
						ct_hash_algos[h->hj[t->job[j]].algo].name);
		cons[i] = (struct ct_consumer){ .name = t->name, .consume = thread_consume,
						.finish = thread_finish, .ctx = t };
	}
	return i;
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
