/*
 * pipe.h — one reader, N consumers, a bounded ring of aligned buffers.
 *
 * The reader (the calling thread) fills buffers in order; each consumer runs
 * in its own thread and sees every buffer, in order.  A buffer is reused only
 * when every consumer has released it, so memory is nslots * bufsize whatever
 * the size of the input (back-pressure).  If a consumer fails, every thread
 * stops at once; if the reader fails, the consumers first consume what it
 * had already produced (bytes read from a failing card are not dropped),
 * but their finish() is not called.  ct_pipe_run returns the first error.
 */
#ifndef CARDTRAIL_PIPE_H
#define CARDTRAIL_PIPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ct_pipe_buf {
	unsigned char *data;	/* aligned to 4096 */
	size_t len;		/* bytes valid */
	uint64_t off;		/* offset of data[0] in the stream */
	uint64_t seq;		/* 0 for the first buffer, 1 for the next, ... */
};

/*
 * Fill buf->data (capacity cap) with the bytes at buf->off; set buf->len.
 * Return 0 with len > 0 for data, 0 with len == 0 at the end, or -errno.
 */
typedef int (*ct_pipe_read_fn)(void *ctx, struct ct_pipe_buf *buf, size_t cap);

struct ct_consumer {
	const char *name;
	/* Called in the consumer's thread for each buffer; return 0 or -errno. */
	int (*consume)(void *ctx, const struct ct_pipe_buf *buf);
	/* Called once in the consumer's thread after the last buffer (may be NULL). */
	int (*finish)(void *ctx);
	void *ctx;
	/*
	 * Work shared out between threads (both zero: every buffer, at the
	 * consumer's own pace).  With nstripes > 1 the consumer is handed
	 * only the buffers with seq % nstripes == stripe (N such consumers
	 * split the work N ways).  Bit i of after: consumer i (its index in
	 * the array) must be done with a buffer before this one is handed it
	 * (a writer after the compressors that fill in its output).
	 */
	unsigned stripe, nstripes;
	uint64_t after;
	int err;		/* out: this consumer's result */
};

struct ct_pipe_cfg {
	size_t bufsize;		/* bytes per slot, multiple of 4096 (default 1 MiB) */
	size_t nslots;		/* ring slots (default 16) */
	uint64_t start;		/* offset of the first buffer */
	ct_pipe_read_fn read;
	void *read_ctx;
};

/*
 * Run the pipeline to the end.  Returns 0, or the first -errno from the
 * reader or a consumer; *failed_consumer (may be NULL) is set to the index
 * of the consumer that failed first, or -1 if the reader failed or none did.
 */
int ct_pipe_run(const struct ct_pipe_cfg *cfg, struct ct_consumer *cons, size_t ncons,
		int *failed_consumer);

/* Ask a running pipeline to stop (signal-safe: sets a flag). */
void ct_pipe_request_stop(void);
int ct_pipe_stop_requested(void);

#endif
