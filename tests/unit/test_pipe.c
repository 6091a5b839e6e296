/*
 * test_pipe.c — the reader → ring → N consumers pipeline (src/pipe/pipe.c):
 * every consumer sees every buffer once and in order, back-pressure bounds
 * the buffers in flight to nslots, errors from a consumer or the reader stop
 * everything and are reported, and ct_pipe_request_stop interrupts.
 *
 * Consumers run in their own threads, where cmocka's assert_* must not be
 * used: they count what they see (and any mismatch) in their context, and
 * the test checks the counts after ct_pipe_run has joined them.
 *
 * ct_pipe_request_stop sets a process-wide flag that nothing resets, so
 * test_request_stop must stay the LAST test in this file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cardtrail/pipe.h"
#include "cardtrail/util.h"

#define KiB 1024ULL
#define MiB (1024ULL * 1024ULL)
#define MAXCONS 4

/* The byte at offset off of the test stream. */
static unsigned char
pattern(uint64_t off)
{
	uint64_t x = (off + 1) * 0x9E3779B97F4A7C15ULL;

	return (unsigned char)(x >> 56) ^ (unsigned char)off;
}

/* Shared by the reader and the consumers of one run, for back-pressure. */
struct progress {
	atomic_size_t consumed[MAXCONS];	/* buffers each consumer has taken */
	size_t ncons;
};

struct reader {
	uint64_t total;		/* stream length from cfg.start */
	uint64_t start;
	size_t short_mod;	/* if > 0: vary the buffer lengths */
	int nofill;		/* leave the data alone (fast reader) */
	int fail_at;		/* return fail_err at this call (-1: never) */
	int fail_err;
	int stop_at;		/* call ct_pipe_request_stop in this call (-1: never) */
	struct progress *prog;
	/* out */
	size_t calls;
	size_t produced;	/* calls that returned data */
	uint64_t next_off;	/* expected buf->off of the next call */
	size_t cap_seen;
	size_t max_inflight;	/* buffers produced (incl. this one) - slowest consumer */
	int bad;		/* inconsistencies seen by the reader */
};

struct cons {
	uint64_t next_off;
	size_t nbufs;
	uint64_t bytes;
	int bad_order;
	int bad_data;
	int bad_align;
	int finished;
	uint64_t bytes_at_finish;
	int fail_at;		/* fail on this buffer index (-1: never) */
	int fail_err;
	int finish_err;
	unsigned sleep_us;
	int verify;
	size_t index;
	struct progress *prog;
};

static void
reader_init(struct reader *r, uint64_t start, uint64_t total, struct progress *prog)
{
	memset(r, 0, sizeof(*r));
	r->start = start;
	r->total = total;
	r->next_off = start;
	r->fail_at = -1;
	r->stop_at = -1;
	r->prog = prog;
}

static int
test_read(void *ctx, struct ct_pipe_buf *buf, size_t cap)
{
	struct reader *r = ctx;
	uint64_t end = r->start + r->total, i;
	size_t call = r->calls++, len;

	r->cap_seen = cap;
	if (buf->off != r->next_off || ((uintptr_t)buf->data & 4095) != 0 || buf->len != 0)
		r->bad++;
	if (r->prog) {
		size_t k, min = SIZE_MAX, inflight;

		for (k = 0; k < r->prog->ncons; k++) {
			size_t c = atomic_load(&r->prog->consumed[k]);
			if (c < min)
				min = c;
		}
		inflight = r->produced + 1 - min;
		if (inflight > r->max_inflight)
			r->max_inflight = inflight;
	}
	if ((int)call == r->fail_at)
		return r->fail_err;
	if (buf->off >= end) {
		buf->len = 0;
		return 0;
	}
	len = cap;
	if (r->short_mod)
		len = 1 + (size_t)((call * 7919 + 13) % r->short_mod);
	if (len > cap)
		len = cap;
	if (len > end - buf->off)
		len = (size_t)(end - buf->off);
	for (i = 0; i < len && !r->nofill; i++)
		buf->data[i] = pattern(buf->off + i);
	buf->len = len;
	r->next_off = buf->off + len;
	r->produced++;
	if ((int)call == r->stop_at)
		ct_pipe_request_stop();
	return 0;
}

static int
test_consume(void *ctx, const struct ct_pipe_buf *buf)
{
	struct cons *c = ctx;
	size_t i;

	if ((int)c->nbufs == c->fail_at)
		return c->fail_err;
	if (c->sleep_us)
		usleep(c->sleep_us);
	if (buf->off != c->next_off || buf->len == 0)
		c->bad_order++;
	if (((uintptr_t)buf->data & 4095) != 0)
		c->bad_align++;
	if (c->verify)
		for (i = 0; i < buf->len; i++)
			if (buf->data[i] != pattern(buf->off + i)) {
				c->bad_data++;
				break;
			}
	c->next_off = buf->off + buf->len;
	c->nbufs++;
	c->bytes += buf->len;
	if (c->prog)
		atomic_fetch_add(&c->prog->consumed[c->index], 1);
	return 0;
}

static int
test_finish(void *ctx)
{
	struct cons *c = ctx;

	c->finished++;
	c->bytes_at_finish = c->bytes;
	return c->finish_err;
}

/* n consumers over ctxs c[], all checking contents unless told otherwise. */
static void
cons_init(struct ct_consumer *cons, struct cons *c, size_t n, uint64_t start,
	  struct progress *prog)
{
	static const char *names[MAXCONS] = { "c0", "c1", "c2", "c3" };
	size_t i;

	assert_true(n <= MAXCONS);
	memset(cons, 0, n * sizeof(*cons));
	memset(c, 0, n * sizeof(*c));
	if (prog) {
		prog->ncons = n;
		for (i = 0; i < MAXCONS; i++)
			atomic_init(&prog->consumed[i], 0);
	}
	for (i = 0; i < n; i++) {
		c[i].next_off = start;
		c[i].fail_at = -1;
		c[i].verify = 1;
		c[i].index = i;
		c[i].prog = prog;
		cons[i].name = names[i];
		cons[i].consume = test_consume;
		cons[i].finish = test_finish;
		cons[i].ctx = &c[i];
		cons[i].err = 12345;
	}
}

static void
test_three_consumers(void **state)
{
	const uint64_t total = 10 * MiB + 123;
	const size_t bufsize = 64 * KiB, nslots = 4;
	const size_t nbufs = (size_t)((total + bufsize - 1) / bufsize);	/* 161 */
	struct ct_consumer cons[3];
	struct cons c[3];
	struct progress prog;
	struct reader r;
	struct ct_pipe_cfg cfg = { .bufsize = bufsize, .nslots = nslots, .read = test_read };
	int failed = 42;
	size_t i;

	(void)state;
	reader_init(&r, 0, total, &prog);
	cons_init(cons, c, 3, 0, &prog);
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 3, &failed), 0);
	assert_int_equal(failed, -1);

	assert_int_equal(r.bad, 0);
	assert_int_equal(r.cap_seen, bufsize);
	assert_int_equal(r.produced, nbufs);
	assert_int_equal(r.calls, nbufs + 1);	/* the last one says "end" */
	assert_int_equal(r.next_off, total);
	assert_true(r.max_inflight >= 1 && r.max_inflight <= nslots);
	for (i = 0; i < 3; i++) {
		assert_int_equal(cons[i].err, 0);
		assert_int_equal(c[i].nbufs, nbufs);
		assert_int_equal(c[i].bytes, total);
		assert_int_equal(c[i].next_off, total);
		assert_int_equal(c[i].bad_order, 0);
		assert_int_equal(c[i].bad_data, 0);
		assert_int_equal(c[i].bad_align, 0);
		assert_int_equal(c[i].finished, 1);
		assert_int_equal(c[i].bytes_at_finish, total);	/* finish after the last */
	}
}

/* Short and uneven reads, a start offset, one slot, no finish callback. */
static void
test_uneven_reads(void **state)
{
	const uint64_t start = 3 * MiB + 4096, total = 777777;
	struct ct_consumer cons[2];
	struct cons c[2];
	struct reader r;
	struct ct_pipe_cfg cfg = {
		.bufsize = 16 * KiB, .nslots = 1, .start = start, .read = test_read,
	};
	size_t i;

	(void)state;
	reader_init(&r, start, total, NULL);
	r.short_mod = 20000;	/* lengths 1..20000, capped at 16 KiB */
	cons_init(cons, c, 2, start, NULL);
	cons[1].finish = NULL;
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 2, NULL), 0);
	assert_int_equal(r.bad, 0);
	assert_true(r.produced > total / (16 * KiB));
	for (i = 0; i < 2; i++) {
		assert_int_equal(cons[i].err, 0);
		assert_int_equal(c[i].nbufs, r.produced);
		assert_int_equal(c[i].bytes, total);
		assert_int_equal(c[i].next_off, start + total);
		assert_int_equal(c[i].bad_order, 0);
		assert_int_equal(c[i].bad_data, 0);
	}
	assert_int_equal(c[0].finished, 1);
	assert_int_equal(c[1].finished, 0);
}

static void
test_back_pressure(void **state)
{
	const size_t bufsize = 64 * KiB, nslots = 4, nbufs = 48;
	struct ct_consumer cons[2];
	struct cons c[2];
	struct progress prog;
	struct reader r;
	struct ct_pipe_cfg cfg = { .bufsize = bufsize, .nslots = nslots, .read = test_read };

	(void)state;
	reader_init(&r, 0, nbufs * bufsize, &prog);
	cons_init(cons, c, 2, 0, &prog);
	c[1].sleep_us = 2000;	/* the slow one */
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 2, NULL), 0);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.produced, nbufs);
	/* never more than nslots ahead of the slowest consumer ... */
	assert_true(r.max_inflight <= nslots);
	/* ... and the reader did run ahead until the ring was full */
	assert_int_equal(r.max_inflight, nslots);
	assert_int_equal(c[0].nbufs, nbufs);
	assert_int_equal(c[1].nbufs, nbufs);
	assert_int_equal(c[1].bad_order + c[1].bad_data, 0);
}

/* pipe.h: "bufsize ... (default 1 MiB)", "nslots: ring slots (default 16)". */
static void
test_defaults(void **state)
{
	const size_t nbufs = 32;
	struct ct_consumer cons[1];
	struct cons c[1];
	struct progress prog;
	struct reader r;
	struct ct_pipe_cfg cfg = { .read = test_read };

	(void)state;
	reader_init(&r, 0, nbufs * MiB, &prog);
	r.nofill = 1;
	cons_init(cons, c, 1, 0, &prog);
	c[0].sleep_us = 10000;
	c[0].verify = 0;
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 1, NULL), 0);
	assert_int_equal(r.cap_seen, 1 * MiB);
	assert_int_equal(r.produced, nbufs);
	assert_int_equal(c[0].nbufs, nbufs);
	assert_int_equal(c[0].bad_order, 0);
	assert_int_equal(r.max_inflight, 16);
}

static void
test_consumer_fails(void **state)
{
	const size_t bufsize = 64 * KiB, nslots = 4;
	struct ct_consumer cons[3];
	struct cons c[3];
	struct progress prog;
	struct reader r;
	struct ct_pipe_cfg cfg = { .bufsize = bufsize, .nslots = nslots, .read = test_read };
	int failed = 42;

	(void)state;
	reader_init(&r, 0, 1000 * bufsize, &prog);
	cons_init(cons, c, 3, 0, &prog);
	c[1].fail_at = 4;	/* the 5th buffer */
	c[1].fail_err = -EIO;
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 3, &failed), -EIO);
	assert_int_equal(failed, 1);
	assert_int_equal(cons[1].err, -EIO);
	assert_int_equal(cons[0].err, 0);
	assert_int_equal(cons[2].err, 0);
	assert_int_equal(c[1].nbufs, 4);
	/* the reader stopped soon */
	assert_true(r.calls <= 5 + nslots);
	assert_true(r.produced >= 5);
	/* no finish() after a failure, for anybody */
	assert_int_equal(c[0].finished, 0);
	assert_int_equal(c[1].finished, 0);
	assert_int_equal(c[2].finished, 0);
	/* what the others did see was right */
	assert_true(c[0].nbufs <= r.produced);
	assert_true(c[2].nbufs <= r.produced);
	assert_int_equal(c[0].bad_order + c[0].bad_data + c[2].bad_order + c[2].bad_data, 0);
}

static void
test_consumer_fails_first_buffer(void **state)
{
	struct ct_consumer cons[2];
	struct cons c[2];
	struct reader r;
	struct ct_pipe_cfg cfg = { .bufsize = 4096, .nslots = 2, .read = test_read };
	int failed = 42;

	(void)state;
	reader_init(&r, 0, 100 * 4096, NULL);
	cons_init(cons, c, 2, 0, NULL);
	c[0].fail_at = 0;
	c[0].fail_err = -ENOSPC;
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 2, &failed), -ENOSPC);
	assert_int_equal(failed, 0);
	assert_int_equal(cons[0].err, -ENOSPC);
	assert_int_equal(c[0].nbufs, 0);
	assert_true(r.calls <= 1 + 2);
	assert_int_equal(c[0].finished + c[1].finished, 0);
}

static void
test_finish_fails(void **state)
{
	struct ct_consumer cons[3];
	struct cons c[3];
	struct reader r;
	struct ct_pipe_cfg cfg = { .bufsize = 8192, .nslots = 3, .read = test_read };
	int failed = 42;

	(void)state;
	reader_init(&r, 0, 100000, NULL);
	cons_init(cons, c, 3, 0, NULL);
	c[2].finish_err = -EDQUOT;
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 3, &failed), -EDQUOT);
	assert_int_equal(failed, 2);
	assert_int_equal(cons[2].err, -EDQUOT);
	assert_int_equal(c[2].finished, 1);
	assert_int_equal(c[2].bytes, 100000);
}

static void
test_reader_fails(void **state)
{
	const size_t bufsize = 64 * KiB, nslots = 4;
	struct ct_consumer cons[3];
	struct cons c[3];
	struct reader r;
	struct ct_pipe_cfg cfg = { .bufsize = bufsize, .nslots = nslots, .read = test_read };
	int failed = 42;
	size_t i;

	(void)state;
	reader_init(&r, 0, 100 * bufsize, NULL);
	r.fail_at = 3;
	r.fail_err = -ENXIO;
	cons_init(cons, c, 3, 0, NULL);
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 3, &failed), -ENXIO);
	assert_int_equal(failed, -1);
	assert_int_equal(r.calls, 4);	/* no read after the failure */
	assert_int_equal(r.produced, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(cons[i].err, 0);
		/* what the reader handed over before failing is consumed
		 * (bytes read from a failing card are not dropped) ... */
		assert_int_equal(c[i].nbufs, 3);
		assert_int_equal(c[i].bad_order + c[i].bad_data, 0);
		/* ... but nobody is told the stream is complete */
		assert_int_equal(c[i].finished, 0);
	}
}

static void
test_empty_stream(void **state)
{
	struct ct_consumer cons[2];
	struct cons c[2];
	struct reader r;
	struct ct_pipe_cfg cfg = { .bufsize = 4096, .nslots = 2, .start = 8192, .read = test_read };
	int failed = 42;
	size_t i;

	(void)state;
	reader_init(&r, 8192, 0, NULL);
	cons_init(cons, c, 2, 8192, NULL);
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 2, &failed), 0);
	assert_int_equal(failed, -1);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.bad, 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(cons[i].err, 0);
		assert_int_equal(c[i].nbufs, 0);
		assert_int_equal(c[i].finished, 1);
	}
}

static void
test_bad_config(void **state)
{
	struct ct_consumer cons[1];
	struct cons c[1];
	struct reader r;
	struct ct_pipe_cfg cfg = { .bufsize = 1000, .nslots = 4, .read = test_read };
	int failed = 42;

	(void)state;
	reader_init(&r, 0, 1 * MiB, NULL);
	cons_init(cons, c, 1, 0, NULL);
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 1, &failed), -EINVAL);
	assert_int_equal(failed, -1);
	cfg.bufsize = 4096 + 512;
	assert_int_equal(ct_pipe_run(&cfg, cons, 1, NULL), -EINVAL);
	cfg.bufsize = 4096;
	failed = 42;
	assert_int_equal(ct_pipe_run(&cfg, cons, 0, &failed), -EINVAL);
	assert_int_equal(failed, -1);
	cfg.read = NULL;
	assert_int_equal(ct_pipe_run(&cfg, cons, 1, NULL), -EINVAL);
	/* nothing ran */
	assert_int_equal(r.calls, 0);
	assert_int_equal(c[0].nbufs, 0);
	assert_int_equal(c[0].finished, 0);
}

/*
 * Work shared out: two striped workers each fill in a result for their
 * half of the buffers (as the E01 sink's compressors do), and a third
 * consumer that runs after both finds every result in place and in order.
 */
#define NSLOTS_SA 3
struct sa_result {
	uint64_t seq;
	uint64_t sum;
	int worker;
};
struct sa_worker {
	struct sa_result *results;	/* NSLOTS_SA, indexed by seq % NSLOTS_SA */
	int id;
	size_t seen, wrong_stripe;
	unsigned sleep_us;
	int fail_at;			/* fail on this seq (-1: never) */
};
struct sa_writer {
	struct sa_result *results;
	size_t seen, missing, wrong_sum, wrong_worker;
	uint64_t bytes;
};

static uint64_t
sa_sum(const struct ct_pipe_buf *b)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < b->len; i++)
		s = s * 31 + b->data[i];
	return s;
}

static int
sa_work(void *ctx, const struct ct_pipe_buf *b)
{
	struct sa_worker *w = ctx;
	struct sa_result *r = &w->results[b->seq % NSLOTS_SA];

	if ((int)b->seq == w->fail_at)
		return -EIO;
	if (w->sleep_us)
		usleep(w->sleep_us);
	if (b->seq % 2 != (uint64_t)w->id)
		w->wrong_stripe++;
	r->sum = sa_sum(b);
	r->worker = w->id;
	r->seq = b->seq;
	w->seen++;
	return 0;
}

static int
sa_write(void *ctx, const struct ct_pipe_buf *b)
{
	struct sa_writer *w = ctx;
	struct sa_result *r = &w->results[b->seq % NSLOTS_SA];

	if (r->seq != b->seq)
		w->missing++;
	else if (r->sum != sa_sum(b))
		w->wrong_sum++;
	else if (r->worker != (int)(b->seq % 2))
		w->wrong_worker++;
	w->seen++;
	w->bytes += b->len;
	return 0;
}

static void
sa_setup(struct ct_consumer *cons, struct sa_worker *wk, struct sa_writer *wr,
	 struct sa_result *results)
{
	int i;

	memset(cons, 0, 3 * sizeof(*cons));
	memset(wk, 0, 2 * sizeof(*wk));
	memset(wr, 0, sizeof(*wr));
	for (i = 0; i < NSLOTS_SA; i++)
		results[i].seq = UINT64_MAX;
	for (i = 0; i < 2; i++) {
		wk[i].results = results;
		wk[i].id = i;
		wk[i].fail_at = -1;
		cons[i] = (struct ct_consumer){ .name = i ? "w1" : "w0", .consume = sa_work,
						.ctx = &wk[i], .stripe = (unsigned)i, .nstripes = 2 };
	}
	wk[0].sleep_us = 300;	/* one slow worker: the writer must wait for it */
	wr->results = results;
	cons[2] = (struct ct_consumer){ .name = "writer", .consume = sa_write, .ctx = wr,
					.after = 0x3 };
}

static void
test_stripes_after(void **state)
{
	const uint64_t total = 3 * MiB + 1000;
	const size_t bufsize = 16 * KiB, nbufs = (size_t)((total + bufsize - 1) / bufsize);
	struct sa_result results[NSLOTS_SA];
	struct ct_consumer cons[3];
	struct sa_worker wk[2];
	struct sa_writer wr;
	struct reader r;
	struct ct_pipe_cfg cfg = { .bufsize = bufsize, .nslots = NSLOTS_SA, .read = test_read };
	int failed = 42;

	(void)state;
	reader_init(&r, 0, total, NULL);
	cfg.read_ctx = &r;
	sa_setup(cons, wk, &wr, results);
	assert_int_equal(ct_pipe_run(&cfg, cons, 3, &failed), 0);
	assert_int_equal(failed, -1);
	assert_int_equal(wk[0].seen + wk[1].seen, nbufs);
	assert_int_equal(wk[0].seen, (nbufs + 1) / 2);
	assert_int_equal(wk[0].wrong_stripe + wk[1].wrong_stripe, 0);
	assert_int_equal(wr.seen, nbufs);
	assert_int_equal(wr.bytes, total);
	assert_int_equal(wr.missing, 0);
	assert_int_equal(wr.wrong_sum, 0);
	assert_int_equal(wr.wrong_worker, 0);

	/* a worker that fails: everything stops, nobody waits for it forever */
	reader_init(&r, 0, total, NULL);
	sa_setup(cons, wk, &wr, results);
	wk[1].fail_at = 7;
	assert_int_equal(ct_pipe_run(&cfg, cons, 3, &failed), -EIO);
	assert_int_equal(failed, 1);
	assert_true(wr.seen <= 7);
	assert_int_equal(wr.missing, 0);

	/* a consumer may only run after earlier ones */
	sa_setup(cons, wk, &wr, results);
	cons[0].after = 0x4;
	assert_int_equal(ct_pipe_run(&cfg, cons, 3, NULL), -EINVAL);
	cons[0].after = 0;
	cons[1].stripe = 2;
	assert_int_equal(ct_pipe_run(&cfg, cons, 3, NULL), -EINVAL);
}

/* Must stay LAST: the stop flag is global and cannot be reset. */
static void
test_request_stop(void **state)
{
	struct ct_consumer cons[2];
	struct cons c[2];
	struct reader r;
	struct ct_pipe_cfg cfg = { .bufsize = 64 * KiB, .nslots = 4, .read = test_read };
	int failed = 42;

	(void)state;
	assert_int_equal(ct_pipe_stop_requested(), 0);
	reader_init(&r, 0, 100 * 64 * KiB, NULL);
	r.stop_at = 1;	/* while producing the 2nd buffer */
	cons_init(cons, c, 2, 0, NULL);
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 2, &failed), -EINTR);
	assert_int_equal(failed, -1);
	assert_int_equal(ct_pipe_stop_requested(), 1);
	assert_int_equal(r.produced, 2);
	assert_int_equal(r.calls, 2);	/* not called again once stopped */
	assert_true(c[0].nbufs <= 2 && c[1].nbufs <= 2);
	assert_int_equal(c[0].finished + c[1].finished, 0);

	/* the flag stays set: the next run stops before its first read */
	reader_init(&r, 0, 100 * 64 * KiB, NULL);
	cons_init(cons, c, 2, 0, NULL);
	cfg.read_ctx = &r;
	assert_int_equal(ct_pipe_run(&cfg, cons, 2, &failed), -EINTR);
	assert_int_equal(r.calls, 0);
	assert_int_equal(ct_pipe_stop_requested(), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_consumers),
		cmocka_unit_test(test_uneven_reads),
		cmocka_unit_test(test_back_pressure),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_consumer_fails),
		cmocka_unit_test(test_consumer_fails_first_buffer),
		cmocka_unit_test(test_finish_fails),
		cmocka_unit_test(test_reader_fails),
		cmocka_unit_test(test_empty_stream),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_stripes_after),
		/* LAST: sets a global flag that cannot be reset */
		cmocka_unit_test(test_request_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
