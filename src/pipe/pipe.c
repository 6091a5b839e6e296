/*
 * pipe.c — reader → ring of aligned buffers → N consumer threads.
 *
 * Slot i of the ring holds buffer number k where k % nslots == i.  The
 * reader may refill a slot only when every consumer has released it
 * (pending == 0): that is the back-pressure that bounds memory.  Consumers
 * walk the buffers in order, each at its own pace.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cardtrail/dev.h"
#include "cardtrail/pipe.h"

struct slot {
	struct ct_pipe_buf buf;
	unsigned pending;	/* consumers still holding it */
	uint64_t done;		/* bit i: consumer i is done with it */
};

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t filled;	/* consumers wait: a new buffer or the end */
	pthread_cond_t freed;	/* reader waits: a slot came free */
	struct slot *slots;
	size_t nslots;
	uint64_t produced;	/* buffers handed to consumers */
	int eof;
	int abort;		/* a consumer failed: everybody stops now */
	int reader_failed;	/* the reader failed: consumers drain what it made */
	int err;
	int failed;		/* consumer index, or -1 */
	size_t ncons;
	int ordered;		/* some consumer runs after others */
};

struct worker {
	struct pipe *p;
	struct ct_consumer *c;
	size_t index;
	pthread_t tid;
	int started;
};

static volatile sig_atomic_t stop_requested;

void
ct_pipe_request_stop(void)
{
	stop_requested = 1;
}

int
ct_pipe_stop_requested(void)
{
	return stop_requested != 0;
}

/* Record the first error and wake everybody. Caller holds p->mu. */
static void
pipe_fail(struct pipe *p, int err, int who)
{
	if (!p->abort) {
		p->abort = 1;
		p->err = err;
		p->failed = who;
	}
	pthread_cond_broadcast(&p->filled);
	pthread_cond_broadcast(&p->freed);
}

static void *
consumer_main(void *arg)
{
	struct worker *w = arg;
	struct pipe *p = w->p;
	uint64_t next = 0;
	int rc = 0;

	for (;;) {
		struct slot *s;
		int mine = w->c->nstripes <= 1 || next % w->c->nstripes == w->c->stripe;

		pthread_mutex_lock(&p->mu);
		while (!p->abort && next >= p->produced && !p->eof)
			pthread_cond_wait(&p->filled, &p->mu);
		if (p->abort || next >= p->produced) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		s = &p->slots[next % p->nslots];
		/* the consumers this one runs after must be done with it */
		while (mine && !p->abort && (s->done & w->c->after) != w->c->after)
			pthread_cond_wait(&p->filled, &p->mu);
		if (p->abort) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_unlock(&p->mu);

		rc = mine ? w->c->consume(w->c->ctx, &s->buf) : 0;

		pthread_mutex_lock(&p->mu);
		if (rc < 0) {
			pipe_fail(p, rc, (int)w->index);
			pthread_mutex_unlock(&p->mu);
			break;
		}
		s->done |= (uint64_t)1 << w->index;
		if (--s->pending == 0)
			pthread_cond_signal(&p->freed);
		if (p->ordered)
			pthread_cond_broadcast(&p->filled);
		pthread_mutex_unlock(&p->mu);
		next++;
	}
	pthread_mutex_lock(&p->mu);
	/* finish() means "everything was seen": not after a reader failure */
	if (rc == 0 && !p->abort && !p->reader_failed && w->c->finish) {
		pthread_mutex_unlock(&p->mu);
		rc = w->c->finish(w->c->ctx);
		pthread_mutex_lock(&p->mu);
		if (rc < 0)
			pipe_fail(p, rc, (int)w->index);
	}
	pthread_mutex_unlock(&p->mu);
	w->c->err = rc;
	return NULL;
}

int
ct_pipe_run(const struct ct_pipe_cfg *cfg, struct ct_consumer *cons, size_t ncons,
	    int *failed_consumer)
{
	struct pipe p;
	struct worker *w = NULL;
	size_t bufsize = cfg->bufsize ? cfg->bufsize : (1u << 20);
	size_t i, nslots = cfg->nslots ? cfg->nslots : 16;
	uint64_t off = cfg->start, seq;
	int ret = 0;

	if (failed_consumer)
		*failed_consumer = -1;
	if (bufsize % 4096 || ncons == 0 || ncons > 64 || cfg->read == NULL)
		return -EINVAL;
	for (i = 0; i < ncons; i++)
		if ((cons[i].after >> i) != 0 || (cons[i].nstripes > 1 &&
						  cons[i].stripe >= cons[i].nstripes))
			return -EINVAL;	/* only earlier consumers, stripes in range */
	memset(&p, 0, sizeof(p));
	p.failed = -1;
	p.nslots = nslots;
	p.ncons = ncons;
	for (i = 0; i < ncons; i++)
		if (cons[i].after)
			p.ordered = 1;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.filled, NULL);
	pthread_cond_init(&p.freed, NULL);
	p.slots = calloc(nslots, sizeof(*p.slots));
	w = calloc(ncons, sizeof(*w));
	if (p.slots == NULL || w == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nslots; i++) {
		p.slots[i].buf.data = ct_alloc_aligned(bufsize);
		if (p.slots[i].buf.data == NULL) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < ncons; i++) {
		w[i].p = &p;
		w[i].c = &cons[i];
		w[i].index = i;
		cons[i].err = 0;
		if (pthread_create(&w[i].tid, NULL, consumer_main, &w[i]) != 0) {
			pthread_mutex_lock(&p.mu);
			pipe_fail(&p, -EAGAIN, -1);
			pthread_mutex_unlock(&p.mu);
			break;
		}
		w[i].started = 1;
	}

	for (seq = 0;; seq++) {
		struct slot *s = &p.slots[seq % nslots];
		int rc;

		pthread_mutex_lock(&p.mu);
		while (!p.abort && s->pending > 0)
			pthread_cond_wait(&p.freed, &p.mu);
		if (p.abort) {
			pthread_mutex_unlock(&p.mu);
			break;
		}
		pthread_mutex_unlock(&p.mu);

		s->buf.off = off;
		s->buf.len = 0;
		s->buf.seq = seq;
		rc = stop_requested ? -EINTR : cfg->read(cfg->read_ctx, &s->buf, bufsize);

		pthread_mutex_lock(&p.mu);
		if (rc < 0) {
			/* The reader failed (a card gone, a signal): what it
			 * already handed over is still consumed, so that bytes
			 * read from a failing card are written, not dropped.
			 * Only a consumer's failure stops the others at once. */
			if (!p.abort) {
				p.err = rc;
				p.failed = -1;
				p.reader_failed = 1;
			}
			p.eof = 1;
			pthread_cond_broadcast(&p.filled);
			pthread_mutex_unlock(&p.mu);
			break;
		}
		if (s->buf.len == 0) {
			p.eof = 1;
			pthread_cond_broadcast(&p.filled);
			pthread_mutex_unlock(&p.mu);
			break;
		}
		off += s->buf.len;
		s->pending = (unsigned)ncons;
		s->done = 0;
		p.produced++;
		pthread_cond_broadcast(&p.filled);
		pthread_mutex_unlock(&p.mu);
	}

	for (i = 0; i < ncons; i++)
		if (w[i].started)
			pthread_join(w[i].tid, NULL);
	ret = p.err;
	if (failed_consumer)
		*failed_consumer = p.failed;
out:
	if (p.slots)
		for (i = 0; i < nslots; i++)
			free(p.slots[i].buf.data);
	free(p.slots);
	free(w);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.filled);
	pthread_cond_destroy(&p.freed);
	return ret;
}
