/*
 * acquire.c — `cardtrail image`: read the source once through the pipeline,
 * hash it with every selected algorithm in parallel, write it out, narrow
 * unreadable areas down to sectors, then verify and write the record.
 *
 * Crash safety: the mapfile only ever marks as done what the writer has
 * written and fdatasync'ed, so after a kill `--resume` truncates the image
 * to what the mapfile vouches for and goes on from there.  Hashes are not
 * saved: on resume the image prefix is re-read from the case and hashed
 * again, so the final hashes are those of an uninterrupted run.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>
#include <json-c/json.h>

#include "cardtrail/dev.h"
#include "cardtrail/hash.h"
#include "cardtrail/identity.h"
#include "cardtrail/image.h"
#include "cardtrail/mapfile.h"
#include "cardtrail/pipe.h"
#include "cardtrail/util.h"

#define MAP_FLUSH_SECONDS 1.0
#define MAP_FLUSH_BYTES (256ULL << 20)
#define MAX_SEGMENTS 9999
#define MAX_CONSUMERS (8 + 3)

struct acq;

/* A file of the image: E1.raw, or one of E1.001, E1.002, ... */
struct segment {
	char name[96];
	uint64_t off, size;	/* place in the stream; size as planned */
	int fd;
	unsigned char digest[8][CT_HASH_MAXLEN];	/* per algorithm (split only) */
};

/* Hashes a stream cut at fixed boundaries (segments or windows). */
struct cut_hasher {
	gcry_md_hd_t h;
	uint64_t every;		/* boundary spacing */
	uint64_t total;		/* stream size */
	void (*done)(void *ctx, uint64_t index, const unsigned char *digest);
	void *ctx;
	uint64_t pos;		/* stream offset hashed so far */
};

struct hash_job {
	struct acq *a;
	int algo;		/* index in ct_hash_algos */
	gcry_md_hd_t whole;
	struct cut_hasher seg;	/* per segment, when split */
	int use_seg;
	unsigned char digest[CT_HASH_MAXLEN];
};

struct window_job {
	struct acq *a;
	struct cut_hasher cut;
	unsigned char (*digests)[32];
	uint64_t count;
};

struct compare_job {
	struct acq *a;
	unsigned char *buf;
	size_t cap;
	uint64_t compared, mismatch_off, skipped;
	int mismatch, read_err;
	uint64_t read_err_off;
};

struct acq {
	const struct ct_image_opts *o;
	struct ct_image_result *res;
	struct ct_dev src;
	char casedir[PATH_MAX];
	char id[64];
	unsigned mask;
	size_t bufsize;
	uint64_t window;
	uint64_t split;

	struct segment *segs;
	unsigned nseg;
	uint64_t resume_pos;	/* bytes already in the image before this run */

	/* map, shared by reader (statuses) and writer (flushes) */
	pthread_mutex_t map_mu;
	struct ct_map map;
	int map_fd;
	uint64_t written;	/* writer: bytes written and confirmed */
	uint64_t wrote_upto;	/* writer: bytes written (not yet synced) */
	uint64_t unsynced;
	double last_flush;
	int dirty_segment;	/* index of segment with unsynced data, or -1 */

	/* reader */
	int vanished;
	int read_errno;
	int probe_errno;
	uint64_t vanish_off;
	uint64_t last_good;	/* offset of a sector that read fine, or UINT64_MAX */
	uint64_t bad_bytes;
	double t0, last_progress;
	enum ct_progress_kind phase;
	int verify_from_image;	/* verify reader: image (1) or source (0) */

	/* writer error */
	int write_errno;
	uint64_t write_err_off;
	uint64_t write_err_in;	/* offset inside that file, or UINT64_MAX */
	char write_err_file[128];

	int rec_fd;
	struct json_object *rec;
	int rec_live;		/* this run may rewrite the record (it made it, or
				 * a resume got past its checks) */
};

static int
acq_error(struct acq *a, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
acq_error(struct acq *a, int err, const char *fmt, ...)
{
	va_list ap;

	if (a->res->error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(a->res->error, sizeof(a->res->error), fmt, ap);
		va_end(ap);
	}
	return err;
}

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

/* ---- segments ---- */

static int
plan_segments(struct acq *a)
{
	uint64_t size = a->src.size, n, i;

	n = a->split ? (size + a->split - 1) / a->split : 1;
	if (n == 0)
		n = 1;
	if (n > MAX_SEGMENTS)
		return acq_error(a, -EINVAL, "--split %" PRIu64 " would make %" PRIu64
				 " segments (at most %d)", a->split, n, MAX_SEGMENTS);
	a->segs = calloc(n, sizeof(*a->segs));
	if (a->segs == NULL)
		return -ENOMEM;
	a->nseg = (unsigned)n;
	for (i = 0; i < n; i++) {
		struct segment *s = &a->segs[i];
		s->fd = -1;
		s->off = a->split ? i * a->split : 0;
		s->size = a->split ? (size - s->off < a->split ? size - s->off : a->split) : size;
		if (a->split)
			snprintf(s->name, sizeof(s->name), "%s.%03u", a->id, (unsigned)(i + 1));
		else
			snprintf(s->name, sizeof(s->name), "%s.raw", a->id);
	}
	return 0;
}

static int
segment_open(struct acq *a, struct segment *s, int create)
{
	char path[PATH_MAX];
	int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;

	if (s->fd >= 0)
		return 0;
	if (ct_snprintf(path, sizeof(path), "%s/%s", a->casedir, s->name) < 0)
		return -ENAMETOOLONG;
	if (create)
		flags |= O_CREAT | O_EXCL;
	s->fd = open(path, flags, 0644);
	if (s->fd < 0)
		return -errno;
	return 0;
}

static struct segment *
segment_at(struct acq *a, uint64_t off)
{
	uint64_t i = a->split ? off / a->split : 0;

	return i < a->nseg ? &a->segs[i] : NULL;
}

/* Read image bytes [off, off+len) back from the segments. */
static int
image_read(struct acq *a, unsigned char *p, size_t len, uint64_t off)
{
	while (len > 0) {
		struct segment *s = segment_at(a, off);
		uint64_t in;
		size_t n = len;
		ssize_t r;
		int ret;

		if (s == NULL || off < s->off || off - s->off >= s->size)
			return acq_error(a, -EIO, "offset %" PRIu64 " lies in no segment of %s", off,
					 a->id);
		in = off - s->off;
		if ((uint64_t)n > s->size - in)
			n = (size_t)(s->size - in);
		if ((ret = segment_open(a, s, 0)) < 0)
			return acq_error(a, ret, "cannot open '%s/%s': %s", a->casedir, s->name,
					 strerror(-ret));
		r = pread(s->fd, p, n, (off_t)in);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return acq_error(a, -errno, "cannot read '%s/%s': %s", a->casedir,
					 s->name, strerror(errno));
		}
		if (r == 0)
			return acq_error(a, -EIO, "'%s/%s' is shorter than recorded (%" PRIu64
					 " bytes expected)", a->casedir, s->name, s->size);
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* ---- mapfile ---- */

/* Write the map as the writer vouches for it: everything at or beyond
 * a->written is reported non-tried.  Caller holds map_mu. */
static int
map_flush_locked(struct acq *a, int final)
{
	struct ct_map snap;
	char *text = NULL;
	size_t len = 0, i;
	int ret;

	if (a->map_fd < 0)
		return 0;
	if ((ret = ct_map_init(&snap, 0)) < 0)
		return ret;
	snap.e = calloc(a->map.n + 1, sizeof(*snap.e));
	if (snap.e == NULL)
		return -ENOMEM;
	snap.cap = a->map.n + 1;
	for (i = 0; i < a->map.n; i++)
		snap.e[snap.n++] = a->map.e[i];
	if (!final && a->written < a->src.size)
		ret = ct_map_set(&snap, a->written, a->src.size - a->written, '?');
	if (ret == 0) {
		snap.current_pos = a->written;
		snap.current_status = ct_map_first(&snap, '?') == a->src.size ? '+' : '?';
		ret = ct_map_format(&snap, a->o->command_line ? a->o->command_line : NULL,
				    &text, &len);
	}
	if (ret == 0)
		ret = ct_pwrite_all(a->map_fd, text, len, 0);
	if (ret == 0 && ftruncate(a->map_fd, (off_t)len) < 0)
		ret = -errno;
	if (ret == 0 && fdatasync(a->map_fd) < 0)
		ret = -errno;
	free(text);
	ct_map_free(&snap);
	return ret;
}

static int
map_mark(struct acq *a, uint64_t off, uint64_t len, char status)
{
	int ret;

	pthread_mutex_lock(&a->map_mu);
	ret = ct_map_set(&a->map, off, len, status);
	pthread_mutex_unlock(&a->map_mu);
	return ret;
}

/* ---- reader (acquisition) ---- */

static int
gone_errno(int e)
{
	return e == ENODEV || e == ENXIO || e == ENOMEDIUM || e == ESHUTDOWN;
}

static void
report_progress(struct acq *a, uint64_t done, int final)
{
	struct ct_progress p;
	double now = ct_now();

	if (a->o->progress == NULL || (!final && now - a->last_progress < 0.2))
		return;
	a->last_progress = now;
	p.phase = a->phase;
	p.done = done;
	p.total = a->src.size;
	p.elapsed = now - a->t0;
	p.bad_bytes = a->bad_bytes;
	p.final = final;
	a->o->progress(&p, a->o->progress_ctx);
}

/*
 * Read [off, off+len) that failed as a whole: split in halves down to single
 * sectors, retry those, zero-fill and mark what stays unreadable.
 * Returns 0, or -errno when the device is gone.
 */
static int
rescue(struct acq *a, unsigned char *p, size_t len, uint64_t off)
{
	unsigned lss = a->src.lss;
	size_t got;
	int rc, tries;

	if (len > lss) {
		size_t half = (len / 2 + lss - 1) / lss * lss;

		if (half >= len)
			half = len - lss;
		rc = ct_dev_read(&a->src, p, half, off, &got);
		if (rc < 0 && gone_errno(-rc))
			return rc;
		if (rc == 0)
			a->last_good = off;
		else if ((rc = rescue(a, p, half, off)) < 0)
			return rc;
		rc = ct_dev_read(&a->src, p + half, len - half, off + half, &got);
		if (rc < 0 && gone_errno(-rc))
			return rc;
		if (rc < 0)
			return rescue(a, p + half, len - half, off + half);
		a->last_good = off + half;
		return 0;
	}
	for (tries = 0; tries < a->o->retries; tries++) {
		rc = ct_dev_read(&a->src, p, len, off, &got);
		if (rc == 0) {
			a->last_good = off;
			return 0;
		}
		if (gone_errno(-rc))
			return rc;
	}
	memset(p, 0, len);
	a->bad_bytes += len;
	return map_mark(a, off, len, '-');
}

/* 1 if the last sector that read fine no longer does. */
static int
probe_gone(struct acq *a)
{
	unsigned char *probe;
	size_t got;
	int rc;

	if (a->last_good == UINT64_MAX)
		return 0;
	probe = ct_alloc_aligned(a->src.lss);
	if (probe == NULL)
		return 0;
	rc = ct_dev_read(&a->src, probe, a->src.lss, a->last_good, &got);
	free(probe);
	if (rc == 0)
		return 0;
	a->probe_errno = -rc;
	return 1;
}

static int
acquire_read(void *ctx, struct ct_pipe_buf *b, size_t cap)
{
	struct acq *a = ctx;
	uint64_t off = b->off, size = a->src.size;
	size_t n, got = 0;
	int rc;

	if (off >= size) {
		report_progress(a, size, 1);
		return 0;
	}
	n = (size_t)(size - off < cap ? size - off : cap);
	if (off < a->resume_pos) {
		/* re-hash what an earlier run already wrote */
		if ((uint64_t)n > a->resume_pos - off)
			n = (size_t)(a->resume_pos - off);
		if ((rc = image_read(a, b->data, n, off)) < 0)
			return rc;
		b->len = n;
		return 0;
	}
	rc = ct_dev_read(&a->src, b->data, n, off, &got);
	if (rc < 0 && !gone_errno(-rc)) {
		uint64_t bad_before = a->bad_bytes;
		size_t start = got / a->src.lss * a->src.lss;

		/* A sector that read fine before and fails now means the card
		 * is gone, not damaged: stop rather than grind through every
		 * sector of an absent card.  Asked before and after the rescue
		 * (the card may go while we narrow down). */
		if (probe_gone(a))
			goto gone;
		rc = rescue(a, b->data + start, n - start, off + start);
		if (rc == 0 && a->bad_bytes - bad_before == n - start && probe_gone(a)) {
			/* the zero-fill of this buffer is no evidence of bad
			 * sectors: back to non-tried */
			a->bad_bytes = bad_before;
			map_mark(a, off + start, n - start, '?');
			goto gone;
		}
	} else if (rc == 0) {
		a->last_good = off;
	}
	if (rc < 0) {
		a->read_errno = -rc;
		goto gone_set;
	}
	/* whatever rescue() did not mark bad is finished */
	pthread_mutex_lock(&a->map_mu);
	{
		uint64_t p = off, end = off + n;
		size_t i;

		for (i = 0; i < a->map.n && p < end; i++) {
			struct ct_map_entry e = a->map.e[i];
			uint64_t eend = e.pos + e.size;

			if (eend <= p || e.pos >= end)
				continue;
			if (e.status == '?') {
				uint64_t from = e.pos > p ? e.pos : p;
				uint64_t to = eend < end ? eend : end;
				rc = ct_map_set(&a->map, from, to - from, '+');
				if (rc < 0)
					break;
				i = (size_t)-1;	/* entries changed: rescan */
				p = to;
			}
		}
	}
	pthread_mutex_unlock(&a->map_mu);
	if (rc < 0)
		return rc;
	b->len = n;
	report_progress(a, off + n, 0);
	return 0;
gone:
	a->read_errno = a->probe_errno;
gone_set:
	a->vanished = 1;
	a->vanish_off = off;
	return -ENXIO;
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

/* Flush written data and the map; writer thread. */
static int
writer_sync(struct acq *a, uint64_t upto, int force)
{
	int ret = 0;

	if (!force && a->unsynced < MAP_FLUSH_BYTES && ct_now() - a->last_flush < MAP_FLUSH_SECONDS)
		return 0;
	if (a->dirty_segment >= 0) {
		struct segment *s = &a->segs[a->dirty_segment];
		if (fdatasync(s->fd) < 0) {
			a->write_errno = errno;
			a->write_err_off = upto;
			snprintf(a->write_err_file, sizeof(a->write_err_file), "%s", s->name);
			return -errno;
		}
		/* durable now: drop it from the cache so that the image
		 * verification reads the medium, not our own memory */
		(void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	pthread_mutex_lock(&a->map_mu);
	a->written = upto;
	ret = map_flush_locked(a, 0);
	pthread_mutex_unlock(&a->map_mu);
	a->unsynced = 0;
	a->last_flush = ct_now();
	if (ret < 0) {
		a->write_errno = -ret;
		a->write_err_off = upto;
		snprintf(a->write_err_file, sizeof(a->write_err_file), "%s.map", a->id);
	}
	return ret;
}

static int
writer_consume(void *ctx, const struct ct_pipe_buf *b)
{
	struct acq *a = ctx;
	uint64_t off = b->off, end = b->off + b->len;
	const unsigned char *p = b->data;
	int ret;

	if (end <= a->resume_pos)
		return 0;
	if (off < a->resume_pos) {
		p += a->resume_pos - off;
		off = a->resume_pos;
	}
	while (off < end) {
		struct segment *s = segment_at(a, off);
		uint64_t in = off - s->off;
		size_t n = (size_t)(end - off);
		int idx = (int)(s - a->segs);

		if ((uint64_t)n > s->size - in)
			n = (size_t)(s->size - in);
		if (s->fd < 0) {
			if (a->dirty_segment >= 0 && (ret = writer_sync(a, off, 1)) < 0)
				return ret;
			if ((ret = segment_open(a, s, 1)) < 0 || (ret = ct_fsync_dir(a->casedir)) < 0) {
				a->write_errno = -ret;
				a->write_err_off = off;
				snprintf(a->write_err_file, sizeof(a->write_err_file), "%s", s->name);
				return ret;
			}
		}
		if ((ret = ct_pwrite_all(s->fd, p, n, in)) < 0) {
			a->write_errno = -ret;
			a->write_err_off = off;
			a->write_err_in = in;
			snprintf(a->write_err_file, sizeof(a->write_err_file), "%s", s->name);
			return ret;
		}
		a->dirty_segment = idx;
		a->unsynced += n;
		off += n;
		p += n;
		a->wrote_upto = off;
		if (in + n == s->size) {
			/* segment complete: make it durable and close it */
			if ((ret = writer_sync(a, off, 1)) < 0)
				return ret;
			if (close(s->fd) < 0) {
				a->write_errno = errno;
				a->write_err_off = off;
				snprintf(a->write_err_file, sizeof(a->write_err_file), "%s", s->name);
				s->fd = -1;
				return -a->write_errno;
			}
			s->fd = -1;
			a->dirty_segment = -1;
		}
	}
	return writer_sync(a, end, 0);
}

static int
writer_finish(void *ctx)
{
	struct acq *a = ctx;
	int ret;

	if (a->src.size == 0) {
		/* an empty source still gets its (empty) image file */
		if ((ret = segment_open(a, &a->segs[0], a->resume_pos == 0)) < 0)
			return ret;
	}
	if ((ret = writer_sync(a, a->src.size, 1)) < 0)
		return ret;
	return ct_fsync_dir(a->casedir);
}

/*
 * The stretch of [p, end) that starts at p and is either all unreadable
 * ('-' in the map: zero-filled in the image) or all read: returns where it
 * ends and sets *bad.  Verification compares and re-reads stretch by
 * stretch, skipping the unreadable ones.
 */
static uint64_t
stretch_end(const struct ct_map *m, uint64_t p, uint64_t end, int *bad)
{
	uint64_t stop = end;
	size_t i;

	*bad = 0;
	for (i = 0; i < m->n; i++) {
		const struct ct_map_entry *e = &m->e[i];

		if (e->status != '-' || e->pos + e->size <= p || e->pos >= stop)
			continue;
		if (e->pos <= p) {
			*bad = 1;
			return e->pos + e->size < end ? e->pos + e->size : end;
		}
		stop = e->pos;
	}
	return stop;
}

static int
compare_consume(void *ctx, const struct ct_pipe_buf *b)
{
	struct compare_job *c = ctx;
	struct acq *a = c->a;
	uint64_t p = b->off, end = b->off + b->len, stop;
	int bad;

	if (c->mismatch || c->read_err)
		return 0;
	/* compare the read stretches only: bad ranges were zero-filled */
	for (; p < end; p = stop) {
		stop = stretch_end(&a->map, p, end, &bad);
		if (bad) {
			c->skipped += stop - p;
			continue;
		}
		while (p < stop) {
			size_t n = (size_t)(stop - p < c->cap ? stop - p : c->cap), got;
			int rc = ct_dev_read(&a->src, c->buf, n, p, &got);

			if (rc < 0 || got != n) {
				c->read_err = rc < 0 ? -rc : EIO;
				c->read_err_off = p + got;
				return 0;
			}
			if (memcmp(c->buf, b->data + (p - b->off), n) != 0) {
				size_t k = 0;
				while (k < n && c->buf[k] == b->data[p - b->off + k])
					k++;
				c->mismatch = 1;
				c->mismatch_off = p + k;
				return 0;
			}
			c->compared += n;
			p += n;
		}
	}
	return 0;
}

/* Verify reader: the image (zero-filled bad ranges included), or the source
 * with bad ranges zero-filled. */
static int
verify_read(void *ctx, struct ct_pipe_buf *b, size_t cap)
{
	struct acq *a = ctx;
	uint64_t off = b->off, size = a->src.size, p, stop;
	size_t n, got;
	int rc, bad;

	if (off >= size) {
		report_progress(a, size, 1);
		return 0;
	}
	n = (size_t)(size - off < cap ? size - off : cap);
	if (a->verify_from_image) {
		if ((rc = image_read(a, b->data, n, off)) < 0)
			return rc;
	} else {
		rc = ct_dev_read(&a->src, b->data, n, off, &got);
		if (rc < 0 && a->bad_bytes == 0)
			return acq_error(a, rc, "re-reading the source failed at offset %" PRIu64
					 ": %s", off + got, strerror(-rc));
		/* as in the image: unreadable ranges zero; when the read above
		 * hit one of them, read around it */
		for (p = off; p < off + n; p = stop) {
			stop = stretch_end(&a->map, p, off + n, &bad);
			if (bad) {
				memset(b->data + (p - off), 0, (size_t)(stop - p));
			} else if (rc < 0) {
				int r = ct_dev_read(&a->src, b->data + (p - off), (size_t)(stop - p), p,
						    &got);
				if (r < 0)
					return acq_error(a, r, "re-reading the source failed at offset %"
							 PRIu64 ": %s", p + got, strerror(-r));
			}
		}
	}
	b->len = n;
	report_progress(a, off + n, 0);
	return 0;
}

/* ---- record ---- */

static struct json_object *
jhex(const unsigned char *d, size_t n)
{
	char hex[2 * CT_HASH_MAXLEN + 1];

	ct_hex(d, n, hex);
	return json_object_new_string(hex);
}

static struct json_object *
jint(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static void
jset(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static int
record_write(struct acq *a)
{
	const char *text;
	size_t len;
	int ret;

	text = json_object_to_json_string_ext(a->rec, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	ret = ct_pwrite_all(a->rec_fd, text, len, 0);
	if (ret == 0)
		ret = ct_pwrite_all(a->rec_fd, "\n", 1, len);
	if (ret == 0 && ftruncate(a->rec_fd, (off_t)len + 1) < 0)
		ret = -errno;
	if (ret == 0 && fsync(a->rec_fd) < 0)
		ret = -errno;
	return ret;
}

static struct json_object *
bad_ranges_json(struct acq *a)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < a->map.n; i++) {
		struct json_object *r;
		if (a->map.e[i].status != '-')
			continue;
		r = json_object_new_object();
		jset(r, "offset", jint(a->map.e[i].pos));
		jset(r, "length", jint(a->map.e[i].size));
		json_object_array_add(arr, r);
	}
	return arr;
}

static const char *
verify_name(int v)
{
	static const char *names[] = { "none", "image", "source", "both" };

	return names[v & 3];
}

/* ---- setup ---- */

static int
valid_id(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > 32)
		return 0;
	for (i = 0; i < n; i++)
		if (!(id[i] >= 'A' && id[i] <= 'Z') && !(id[i] >= 'a' && id[i] <= 'z') &&
		    !(id[i] >= '0' && id[i] <= '9') && id[i] != '-' && id[i] != '_')
			return 0;
	return 1;
}

/* Nearest existing ancestor of path (for the free-space check). */
static void
existing_ancestor(const char *path, char *out, size_t len)
{
	struct stat st;
	char *slash;

	snprintf(out, len, "%s", path);
	while (stat(out, &st) < 0) {
		slash = strrchr(out, '/');
		if (slash == NULL) {
			snprintf(out, len, ".");
			return;
		}
		if (slash == out) {
			out[1] = '\0';
			return;
		}
		*slash = '\0';
	}
}

static int
file_exists(const char *dir, const char *id, const char *suffix)
{
	char path[PATH_MAX];
	struct stat st;

	if (ct_snprintf(path, sizeof(path), "%s/%s%s", dir, id, suffix) < 0)
		return 1;
	return lstat(path, &st) == 0;
}

static int
id_taken(const char *dir, const char *id)
{
	return file_exists(dir, id, ".acquisition.json") || file_exists(dir, id, ".raw") ||
	       file_exists(dir, id, ".001") || file_exists(dir, id, ".map");
}

static int
open_case_file(struct acq *a, const char *suffix, int create, off_t reserve)
{
	char path[PATH_MAX];
	int fd, flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;

	if (ct_snprintf(path, sizeof(path), "%s/%s%s", a->casedir, a->id, suffix) < 0)
		return -ENAMETOOLONG;
	if (create)
		flags |= O_CREAT | O_EXCL;
	fd = open(path, flags, 0644);
	if (fd < 0)
		return -errno;
	/* Reserve room beyond EOF so the final rewrite of a small file does
	 * not fail on a disk the image itself filled. */
	if (reserve > 0)
		(void)fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, reserve);
	return fd;
}

static int
read_whole(int fd, char **out, size_t *outlen)
{
	struct stat st;
	char *buf;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size > (64 << 20))
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return -ENOMEM;
	n = pread(fd, buf, (size_t)st.st_size, 0);
	if (n < 0) {
		free(buf);
		return -errno;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = (size_t)n;
	return 0;
}

/* Set up a resume: load the record and mapfile of a->id, check they fit the
 * source, truncate the image to what the mapfile vouches for. */
static int
resume_setup(struct acq *a)
{
	struct json_object *opts, *v;
	char *text = NULL;
	size_t len;
	uint64_t first_q, size_rec;
	unsigned i;
	int ret, line = 0;

	a->rec_fd = open_case_file(a, ".acquisition.json", 0, 0);
	if (a->rec_fd < 0)
		return acq_error(a, a->rec_fd, "cannot resume: no record %s/%s.acquisition.json: %s",
				 a->casedir, a->id, strerror(-a->rec_fd));
	if ((ret = read_whole(a->rec_fd, &text, &len)) < 0)
		return acq_error(a, ret, "cannot read the record of %s: %s", a->id, strerror(-ret));
	a->rec = json_tokener_parse(text);
	free(text);
	text = NULL;
	if (a->rec == NULL || !json_object_is_type(a->rec, json_type_object))
		return acq_error(a, -EINVAL, "cannot resume %s: its record is not valid JSON", a->id);
	if (json_object_object_get_ex(a->rec, "complete", &v) && json_object_get_boolean(v))
		return acq_error(a, -EEXIST, "%s is already complete; nothing to resume", a->id);
	if (!json_object_object_get_ex(a->rec, "options", &opts) ||
	    !json_object_object_get_ex(a->rec, "source", &v))
		return acq_error(a, -EINVAL, "cannot resume %s: its record lacks options", a->id);
	size_rec = (uint64_t)json_object_get_int64(json_object_object_get(v, "size"));
	if (size_rec != a->src.size)
		return acq_error(a, -EINVAL, "cannot resume %s: the source is %" PRIu64
				 " bytes, the record says %" PRIu64, a->id, a->src.size, size_rec);
	/* the options of the first run rule */
	a->mask = 0;
	v = json_object_object_get(opts, "hash");
	for (i = 0; v && i < json_object_array_length(v); i++) {
		int k = ct_hash_lookup(json_object_get_string(json_object_array_get_idx(v, i)));
		if (k >= 0)
			a->mask |= 1u << k;
	}
	if (a->mask == 0)
		return acq_error(a, -EINVAL, "cannot resume %s: no hash list in its record", a->id);
	a->mask |= 1u << ct_hash_lookup("sha256");
	a->window = (uint64_t)json_object_get_int64(json_object_object_get(opts, "hash_window"));
	a->split = (uint64_t)json_object_get_int64(json_object_object_get(opts, "split"));

	a->map_fd = open_case_file(a, ".map", 0, 1 << 20);
	if (a->map_fd < 0)
		return acq_error(a, a->map_fd, "cannot resume: no mapfile %s/%s.map: %s",
				 a->casedir, a->id, strerror(-a->map_fd));
	if ((ret = read_whole(a->map_fd, &text, &len)) < 0)
		return acq_error(a, ret, "cannot read %s.map: %s", a->id, strerror(-ret));
	ret = ct_map_parse(text, len, &a->map, &line);
	free(text);
	if (ret < 0)
		return acq_error(a, ret, "cannot resume: %s/%s.map is damaged at line %d", a->casedir,
				 a->id, line);
	if (ct_map_size(&a->map) != a->src.size)
		return acq_error(a, -EINVAL, "cannot resume: %s.map covers %" PRIu64
				 " bytes, the source has %" PRIu64, a->id, ct_map_size(&a->map),
				 a->src.size);
	first_q = ct_map_first(&a->map, '?');
	if (ct_map_count(&a->map, '?') != a->src.size - first_q)
		return acq_error(a, -EINVAL, "cannot resume: %s.map has non-tried areas before "
				 "offset %" PRIu64, a->id, first_q);
	a->resume_pos = first_q;
	a->written = first_q;
	/* the earlier runs' unreadable sectors still count (exit 4) */
	a->bad_bytes = ct_map_count(&a->map, '-');
	if ((ret = plan_segments(a)) < 0)
		return ret;
	/* Truncate what the mapfile does not vouch for. */
	for (i = 0; i < a->nseg; i++) {
		struct segment *s = &a->segs[i];
		char path[PATH_MAX];
		struct stat st;
		uint64_t want;

		if (ct_snprintf(path, sizeof(path), "%s/%s", a->casedir, s->name) < 0)
			return -ENAMETOOLONG;
		if (lstat(path, &st) < 0) {
			if (errno == ENOENT && s->off + s->size <= first_q && s->size > 0)
				return acq_error(a, -ENOENT, "cannot resume: %s is missing", path);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			return acq_error(a, -EINVAL, "cannot resume: %s is not a regular file", path);
		want = first_q <= s->off ? 0 : (first_q - s->off < s->size ? first_q - s->off : s->size);
		if ((uint64_t)st.st_size < want)
			return acq_error(a, -EIO, "cannot resume: %s holds %lld bytes, the mapfile "
					 "vouches for %" PRIu64, path, (long long)st.st_size, want);
		if ((ret = segment_open(a, s, 0)) < 0)
			return acq_error(a, ret, "cannot open %s: %s", path, strerror(-ret));
		if ((uint64_t)st.st_size > want && ftruncate(s->fd, (off_t)want) < 0)
			return acq_error(a, -errno, "cannot truncate %s: %s", path, strerror(errno));
		if (want == s->size && s->size > 0) {
			close(s->fd);
			s->fd = -1;
		}
	}
	return 0;
}

static struct json_object *
options_json(struct acq *a)
{
	struct json_object *o = json_object_new_object(), *h = json_object_new_array();
	size_t i;

	for (i = 0; i < ct_hash_count; i++)
		if (a->mask & (1u << i))
			json_object_array_add(h, json_object_new_string(ct_hash_algos[i].name));
	jset(o, "hash", h);
	jset(o, "hash_window", jint(a->window));
	jset(o, "split", jint(a->split));
	jset(o, "block_size", jint(a->bufsize));
	jset(o, "retries", json_object_new_int(a->o->retries));
	jset(o, "verify", json_object_new_string(verify_name(a->o->verify)));
	jset(o, "allow_mounted", json_object_new_boolean(a->o->allow_mounted));
	return o;
}

static int
safety_checks(struct acq *a)
{
	struct json_object *mounts = NULL;
	int mounted = 0, rw = 0, ret;

	if (a->src.kind != CT_DEV_BLOCK)
		return 0;
	ret = ct_mount_state(a->src.rdev, &mounted, &rw, &mounts);
	if (ret < 0)
		return acq_error(a, ret, "cannot tell whether '%s' is mounted: %s", a->src.path,
				 strerror(-ret));
	if (rw > 0 && !a->o->allow_mounted) {
		json_object_put(mounts);
		return acq_error(a, -EBUSY, "'%s' is mounted read-write: an image of a live "
				 "filesystem is not a faithful copy; unmount it or pass "
				 "--allow-mounted", a->src.path);
	}
	json_object_put(mounts);
	ret = ct_path_on_device(a->casedir, a->src.rdev);
	if (ret < 0) {
		char anc[PATH_MAX];
		existing_ancestor(a->casedir, anc, sizeof(anc));
		ret = ct_path_on_device(anc, a->src.rdev);
	}
	if (ret > 0)
		return acq_error(a, -EINVAL, "refusing to write the case folder '%s' onto the "
				 "source '%s' itself", a->casedir, a->src.path);
	return 0;
}

static int
space_check(struct acq *a, uint64_t need)
{
	char anc[PATH_MAX];
	struct statvfs vfs;
	uint64_t avail;

	existing_ancestor(a->casedir, anc, sizeof(anc));
	if (statvfs(anc, &vfs) < 0)
		return acq_error(a, -errno, "cannot check free space in '%s': %s", anc,
				 strerror(errno));
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	need += 4ULL << 20;	/* record, mapfile, slack */
	if (avail < need) {
		char h1[32], h2[32];
		ct_human_size(need, h1, sizeof(h1));
		ct_human_size(avail, h2, sizeof(h2));
		return acq_error(a, -ENOSPC, "not enough space in '%s': the image needs %s, %s "
				 "free (nothing written; --no-space-check to try anyway)",
				 a->casedir, h1, h2);
	}
	return 0;
}

/* ---- the run ---- */

static int
run_pipeline(struct acq *a, ct_pipe_read_fn readfn, struct hash_job *hj, size_t nh,
	     struct window_job *wj, int with_writer, struct compare_job *cj, int *failed_name)
{
	struct ct_consumer cons[MAX_CONSUMERS];
	struct ct_pipe_cfg cfg = { .bufsize = a->bufsize, .nslots = a->o->nslots,
				   .read = readfn, .read_ctx = a };
	size_t n = 0, i;
	int failed = -1, ret;

	memset(cons, 0, sizeof(cons));
	for (i = 0; i < nh; i++)
		cons[n++] = (struct ct_consumer){ .name = ct_hash_algos[hj[i].algo].name,
						   .consume = hash_consume, .finish = hash_finish,
						   .ctx = &hj[i] };
	if (wj)
		cons[n++] = (struct ct_consumer){ .name = "windows", .consume = window_consume,
						   .ctx = wj };
	if (with_writer)
		cons[n++] = (struct ct_consumer){ .name = "writer", .consume = writer_consume,
						   .finish = writer_finish, .ctx = a };
	if (cj)
		cons[n++] = (struct ct_consumer){ .name = "compare", .consume = compare_consume,
						   .ctx = cj };
	a->t0 = ct_now();
	a->last_progress = 0;
	ret = ct_pipe_run(&cfg, cons, n, &failed);
	*failed_name = failed;
	return ret;
}

static int
jobs_init(struct acq *a, struct hash_job *hj, size_t *nh, struct window_job *wj, int segs)
{
	size_t i;
	int ret;

	*nh = 0;
	for (i = 0; i < ct_hash_count; i++) {
		struct hash_job *j;
		if (!(a->mask & (1u << i)))
			continue;
		j = &hj[(*nh)++];
		memset(j, 0, sizeof(*j));
		j->a = a;
		j->algo = (int)i;
		if (gcry_md_open(&j->whole, ct_hash_algos[i].gcry_algo, 0))
			return -ENOMEM;
		if (segs && a->split) {
			j->use_seg = 1;
			if ((ret = cut_init(&j->seg, ct_hash_algos[i].gcry_algo, a->split,
					    a->src.size, seg_done, j)) < 0)
				return ret;
		}
	}
	if (wj && a->window) {
		memset(wj, 0, sizeof(*wj));
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

static void
jobs_release(struct hash_job *hj, size_t nh, struct window_job *wj)
{
	size_t i;

	for (i = 0; i < nh; i++) {
		gcry_md_close(hj[i].whole);
		gcry_md_close(hj[i].seg.h);
	}
	if (wj) {
		gcry_md_close(wj->cut.h);
		free(wj->digests);
		wj->digests = NULL;
	}
}

static struct json_object *
hashes_json(struct hash_job *hj, size_t nh)
{
	struct json_object *h = json_object_new_object();
	size_t i;

	for (i = 0; i < nh; i++)
		jset(h, ct_hash_algos[hj[i].algo].name,
		     jhex(hj[i].digest, ct_hash_algos[hj[i].algo].len));
	return h;
}

static struct json_object *
windows_json(struct acq *a, struct window_job *wj)
{
	struct json_object *arr = json_object_new_array();
	uint64_t i;

	if (!a->window)
		return arr;
	for (i = 0; i < wj->count; i++) {
		struct json_object *w = json_object_new_object();
		uint64_t off = i * a->window;
		jset(w, "index", jint(i));
		jset(w, "offset", jint(off));
		jset(w, "length", jint(a->src.size - off < a->window ? a->src.size - off : a->window));
		jset(w, "sha256", jhex(wj->digests[i], 32));
		json_object_array_add(arr, w);
	}
	return arr;
}

/* Re-read and compare.  Returns 0 (result in the record and a->res) or -errno. */
static int
verify_phase(struct acq *a, struct hash_job *acq_h, size_t acq_nh, struct window_job *acq_w)
{
	struct hash_job hj[8];
	struct window_job wj, *wjp = a->window ? &wj : NULL;
	struct compare_job cj;
	struct json_object *ver = json_object_new_object(), *part, *bad_w;
	size_t nh = 0, i;
	int ret, failed = -1, both = (a->o->verify & 3) == 3, hashes_ok = 1;
	char detail[512] = "";

	jset(a->rec, "verify", ver);
	jset(ver, "requested", json_object_new_string(verify_name(a->o->verify)));
	if ((a->o->verify & 3) == 0)
		return 0;
	memset(&cj, 0, sizeof(cj));
	if ((ret = jobs_init(a, hj, &nh, wjp, 0)) < 0)
		goto out;
	if (both) {
		cj.a = a;
		cj.cap = a->bufsize;
		cj.buf = ct_alloc_aligned(cj.cap);
		if (cj.buf == NULL) {
			ret = -ENOMEM;
			goto out;
		}
	}
	a->verify_from_image = (a->o->verify & CT_VERIFY_IMAGE) != 0;
	if (a->src.kind == CT_DEV_FILE)
		/* a file source: make the re-read come from its medium too */
		(void)posix_fadvise(a->src.fd, 0, 0, POSIX_FADV_DONTNEED);
	a->phase = CT_PROGRESS_VERIFY;
	ret = run_pipeline(a, verify_read, hj, nh, wjp, 0, both ? &cj : NULL, &failed);
	if (ret < 0) {
		acq_error(a, ret, "verification could not finish: %s", strerror(-ret));
		goto out;
	}
	/* the re-read's hashes against the acquisition's */
	part = json_object_new_object();
	bad_w = json_object_new_array();
	for (i = 0; i < nh; i++)
		if (memcmp(hj[i].digest, acq_h[i].digest, ct_hash_algos[hj[i].algo].len))
			hashes_ok = 0;
	if (wjp)
		for (i = 0; i < wj.count; i++)
			if (memcmp(wj.digests[i], acq_w->digests[i], 32)) {
				struct json_object *w = json_object_new_object();
				jset(w, "index", jint(i));
				jset(w, "offset", jint(i * a->window));
				json_object_array_add(bad_w, w);
				if (detail[0] == '\0')
					snprintf(detail, sizeof(detail), " (first differing window: #%zu at "
						 "offset %" PRIu64 ")", i, (uint64_t)i * a->window);
			}
	jset(part, "reread", json_object_new_string(a->verify_from_image ? "image" : "source"));
	jset(part, "match", json_object_new_boolean(hashes_ok));
	jset(part, "hashes", hashes_json(hj, nh));
	jset(part, "mismatched_windows", bad_w);
	jset(ver, a->verify_from_image ? "image" : "source", part);
	if (!hashes_ok) {
		a->res->verify_failed = 1;
		acq_error(a, 0, "verification failed: the %s re-read does not match the "
			  "acquisition hashes%s", a->verify_from_image ? "image" : "source", detail);
	}
	if (both) {
		part = json_object_new_object();
		jset(part, "reread", json_object_new_string("source"));
		jset(part, "method", json_object_new_string("byte comparison with the image"));
		jset(part, "compared_bytes", jint(cj.compared));
		jset(part, "skipped_bad_bytes", jint(cj.skipped));
		jset(part, "match", json_object_new_boolean(!cj.mismatch && !cj.read_err));
		if (cj.mismatch) {
			jset(part, "first_mismatch", jint(cj.mismatch_off));
			if (a->window)
				jset(part, "window", jint(cj.mismatch_off / a->window));
			a->res->verify_failed = 1;
			acq_error(a, 0, "verification failed: the source re-read differs from the image "
				  "at offset %" PRIu64 "%s", cj.mismatch_off, a->window ? "" : "");
			if (a->window) {
				snprintf(detail, sizeof(detail), " (window #%" PRIu64 ")",
					 cj.mismatch_off / a->window);
				strncat(a->res->error, detail,
					sizeof(a->res->error) - strlen(a->res->error) - 1);
			}
		}
		if (cj.read_err) {
			jset(part, "read_error", json_object_new_string(strerror(cj.read_err)));
			jset(part, "read_error_offset", jint(cj.read_err_off));
			a->res->verify_failed = 1;
			acq_error(a, 0, "verification failed: re-reading the source failed at offset %"
				  PRIu64 ": %s", cj.read_err_off, strerror(cj.read_err));
		}
		jset(ver, "source", part);
	}
	ret = 0;
out:
	free(cj.buf);
	jobs_release(hj, nh, wjp);
	return ret;
}

int
ct_image_run(const struct ct_image_opts *o, struct ct_image_result *res)
{
	struct acq a;
	struct hash_job hj[8];
	struct window_job wj, *wjp = NULL;
	struct json_object *ident = NULL, *wb, *src, *segs, *resumed;
	char ts[32];
	size_t nh = 0, i;
	time_t started = time(NULL);
	int ret, failed = -1, acquired = 0, ro_during = -1;

	memset(res, 0, sizeof(*res));
	memset(&wj, 0, sizeof(wj));
	memset(&a, 0, sizeof(a));
	memset(hj, 0, sizeof(hj));
	a.o = o;
	a.res = res;
	a.map_fd = -1;
	a.rec_fd = -1;
	a.src.fd = -1;
	a.dirty_segment = -1;
	a.write_err_in = UINT64_MAX;
	a.last_good = UINT64_MAX;
	/* SHA-256 is always computed: the custody log records it */
	a.mask = o->hash_mask | 1u << ct_hash_lookup("sha256");
	a.window = o->window;
	a.split = o->split;
	a.bufsize = o->bufsize ? o->bufsize : (1u << 20);
	pthread_mutex_init(&a.map_mu, NULL);

	if ((ret = ct_gcrypt_init()) < 0) {
		acq_error(&a, ret, "libgcrypt is too old");
		goto out;
	}
	if (ct_snprintf(a.casedir, sizeof(a.casedir), "%s", o->casedir) < 0) {
		ret = acq_error(&a, -ENAMETOOLONG, "case folder name too long");
		goto out;
	}
	if (o->evidence_id && !valid_id(o->evidence_id)) {
		ret = acq_error(&a, -EINVAL, "evidence id '%s' must be 1-32 letters, digits, "
				"'-' or '_'", o->evidence_id);
		goto out;
	}
	if (o->resume && o->evidence_id == NULL) {
		ret = acq_error(&a, -EINVAL, "--resume needs --evidence-id to name the image");
		goto out;
	}
	ret = ct_dev_open(&a.src, o->source, CT_DEV_RDONLY);
	if (ret < 0) {
		acq_error(&a, ret, ret == -EINVAL ? "'%s' is neither a block device nor a regular file"
			  : "cannot open '%s': %s", o->source, strerror(-ret));
		goto out;
	}
	if (a.bufsize % a.src.lss || a.bufsize % 4096) {
		ret = acq_error(&a, -EINVAL, "--block-size must be a multiple of 4096 and of the "
				"sector size (%u)", a.src.lss);
		goto out;
	}
	if (a.split && a.split % a.src.lss) {
		ret = acq_error(&a, -EINVAL, "--split must be a multiple of the sector size (%u)",
				a.src.lss);
		goto out;
	}
	if ((ret = ct_identity_get(o->source, &ident)) < 0) {
		acq_error(&a, ret, "cannot identify '%s': %s", o->source, strerror(-ret));
		goto out;
	}
	if ((ret = safety_checks(&a)) < 0)
		goto out;

	if (o->resume) {
		snprintf(a.id, sizeof(a.id), "%s", o->evidence_id);
		snprintf(res->evidence, sizeof(res->evidence), "%s", a.id);
		/* until its checks pass, a resume must not touch the record
		 * of the earlier run (it may be complete, or of another card) */
		if ((ret = resume_setup(&a)) < 0)
			goto out;
		if (!o->no_space_check && (ret = space_check(&a, a.src.size - a.resume_pos)) < 0)
			goto out;
		a.rec_live = 1;
	} else {
		if (!o->no_space_check && (ret = space_check(&a, a.src.size)) < 0)
			goto out;
		if ((ret = ct_mkdir_p(a.casedir)) < 0) {
			acq_error(&a, ret, "cannot create case folder '%s': %s", a.casedir,
				  strerror(-ret));
			goto out;
		}
		if (o->evidence_id) {
			snprintf(a.id, sizeof(a.id), "%s", o->evidence_id);
			if (id_taken(a.casedir, a.id)) {
				ret = acq_error(&a, -EEXIST, "evidence %s already exists in '%s' "
						"(nothing is overwritten; --resume continues it)",
						a.id, a.casedir);
				goto out;
			}
			a.rec_fd = open_case_file(&a, ".acquisition.json", 1, 1 << 20);
		} else {
			for (i = 1; i < 100000; i++) {
				snprintf(a.id, sizeof(a.id), "E%zu", i);
				if (id_taken(a.casedir, a.id))
					continue;
				a.rec_fd = open_case_file(&a, ".acquisition.json", 1, 1 << 20);
				if (a.rec_fd != -EEXIST)
					break;
			}
		}
		if (a.rec_fd < 0) {
			ret = acq_error(&a, a.rec_fd, "cannot create the record of %s in '%s': %s", a.id,
					a.casedir, strerror(-a.rec_fd));
			a.rec_fd = -1;
			goto out;
		}
		a.rec_live = 1;	/* ours: it says how far this run got, even if not far */
		a.rec = json_object_new_object();
		jset(a.rec, "evidence", json_object_new_string(a.id));
		ct_time_utc(started, ts, sizeof(ts));
		jset(a.rec, "started", json_object_new_string(ts));
		a.map_fd = open_case_file(&a, ".map", 1, 1 << 20);
		if (a.map_fd < 0) {
			ret = acq_error(&a, a.map_fd, "cannot create %s/%s.map: %s", a.casedir, a.id,
					strerror(-a.map_fd));
			a.map_fd = -1;
			goto out;
		}
		if ((ret = ct_map_init(&a.map, a.src.size)) < 0 || (ret = plan_segments(&a)) < 0)
			goto out;
	}
	snprintf(res->evidence, sizeof(res->evidence), "%s", a.id);
	if (ct_snprintf(res->record_path, sizeof(res->record_path), "%s/%s.acquisition.json",
			a.casedir, a.id) < 0) {
		ret = acq_error(&a, -ENAMETOOLONG, "case folder name too long");
		goto out;
	}

	/* The record as it stands before any data moves: it says incomplete
	 * until the end proves otherwise. */
	src = json_object_new_object();
	jset(src, "path", json_object_new_string(a.src.path));
	jset(src, "kind", json_object_new_string(a.src.kind == CT_DEV_BLOCK ? "block" : "file"));
	jset(src, "size", jint(a.src.size));
	jset(src, "logical_sector_size", json_object_new_int((int)a.src.lss));
	jset(src, "physical_sector_size", json_object_new_int((int)a.src.pss));
	jset(src, "direct_io", json_object_new_boolean(a.src.direct));
	jset(a.rec, "source", src);
	jset(a.rec, "identity", json_object_get(ident));
	jset(a.rec, "options", options_json(&a));
	{
		char mapname[96];
		snprintf(mapname, sizeof(mapname), "%s.map", a.id);
		jset(a.rec, "mapfile", json_object_new_string(mapname));
	}
	jset(a.rec, "complete", json_object_new_boolean(0));
	jset(a.rec, "status", json_object_new_string("running"));
	jset(a.rec, "tool", ct_tool_json());
	if (o->resume) {
		if (!json_object_object_get_ex(a.rec, "resumed", &resumed)) {
			resumed = json_object_new_array();
			jset(a.rec, "resumed", resumed);
		}
		ct_time_utc(started, ts, sizeof(ts));
		{
			struct json_object *r = json_object_new_object();
			jset(r, "time", json_object_new_string(ts));
			jset(r, "from_offset", jint(a.resume_pos));
			/* the hashes cover the card's bytes 0..from_offset as the
			 * earlier run wrote them into the image: say so */
			jset(r, "prefix_hashed_from", json_object_new_string(
				     "the image file written by the earlier run"));
			json_object_array_add(resumed, r);
		}
	}
	if ((ret = record_write(&a)) < 0) {
		acq_error(&a, ret, "cannot write the record: %s", strerror(-ret));
		goto out;
	}
	pthread_mutex_lock(&a.map_mu);
	ret = map_flush_locked(&a, 0);
	pthread_mutex_unlock(&a.map_mu);
	if (ret < 0) {
		acq_error(&a, ret, "cannot write %s.map: %s", a.id, strerror(-ret));
		goto out;
	}

	/* Write-block for the duration. */
	wb = json_object_new_object();
	jset(a.rec, "write_block", wb);
	if (a.src.kind == CT_DEV_BLOCK) {
		int before = ct_dev_get_ro(&a.src);
		jset(wb, "method", json_object_new_string("BLKROSET (kernel read-only flag)"));
		jset(wb, "ro_before", before < 0 ? NULL : json_object_new_boolean(before));
		if ((ret = ct_dev_set_ro(&a.src)) < 0) {
			acq_error(&a, ret, "cannot set '%s' read-only (BLKROSET): %s", a.src.path,
				  strerror(-ret));
			goto out;
		}
		ro_during = ct_dev_get_ro(&a.src);
		jset(wb, "ro_during", ro_during < 0 ? NULL : json_object_new_boolean(ro_during));
		if (ro_during != 1) {
			ret = acq_error(&a, -EPERM, "'%s' did not become read-only", a.src.path);
			goto out;
		}
	} else {
		jset(wb, "method", json_object_new_string("none: a regular file, opened read-only"));
	}

	/* Acquire. */
	if (a.window)
		wjp = &wj;
	if ((ret = jobs_init(&a, hj, &nh, wjp, 1)) < 0)
		goto out;
	a.phase = CT_PROGRESS_ACQUIRE;
	a.last_flush = ct_now();
	ret = run_pipeline(&a, acquire_read, hj, nh, wjp, 1, NULL, &failed);
	res->bad_bytes = a.bad_bytes;
	if (ret < 0 && a.wrote_upto > a.written && a.write_errno == 0)
		/* stopped by the reader or a signal: the writer's last bytes
		 * are good; sync them and let the mapfile vouch for them */
		(void)writer_sync(&a, a.wrote_upto, 1);
	res->bytes = ret == 0 ? a.src.size : a.written;
	if (ret < 0) {
		if (a.vanished)
			acq_error(&a, ret, "the source stopped answering at offset %" PRIu64 " (%s): "
				  "the card may have been removed; %" PRIu64 " bytes were imaged and "
				  "kept; continue with --resume --evidence-id %s", a.vanish_off,
				  strerror(a.read_errno), a.written, a.id);
		else if (a.write_errno && a.write_err_in != UINT64_MAX)
			acq_error(&a, -a.write_errno, "cannot write '%s/%s' at offset %" PRIu64 " (offset %"
				  PRIu64 " of the source): %s; %" PRIu64 " bytes were imaged and kept",
				  a.casedir, a.write_err_file, a.write_err_in, a.write_err_off,
				  strerror(a.write_errno), a.written);
		else if (a.write_errno)
			acq_error(&a, -a.write_errno, "cannot write '%s/%s' (at offset %" PRIu64 " of the "
				  "source): %s; %" PRIu64 " bytes were imaged and kept", a.casedir,
				  a.write_err_file, a.write_err_off, strerror(a.write_errno), a.written);
		else if (ret == -EINTR)
			acq_error(&a, ret, "interrupted; %" PRIu64 " bytes were imaged and kept; "
				  "continue with --resume --evidence-id %s", a.written, a.id);
		else
			acq_error(&a, ret, "imaging failed: %s", strerror(-ret));
		goto out;
	}
	acquired = 1;
	pthread_mutex_lock(&a.map_mu);
	a.written = a.src.size;
	ret = map_flush_locked(&a, 1);
	pthread_mutex_unlock(&a.map_mu);
	if (ret < 0) {
		acq_error(&a, ret, "cannot write %s.map: %s", a.id, strerror(-ret));
		goto out;
	}
	jset(a.rec, "hashes", hashes_json(hj, nh));
	jset(a.rec, "window_size", jint(a.window));
	jset(a.rec, "windows", windows_json(&a, &wj));
	segs = json_object_new_array();
	for (i = 0; i < a.nseg; i++) {
		struct json_object *s = json_object_new_object(), *h;
		size_t k;
		jset(s, "path", json_object_new_string(a.segs[i].name));
		jset(s, "offset", jint(a.segs[i].off));
		jset(s, "bytes", jint(a.segs[i].size));
		if (a.split) {
			h = json_object_new_object();
			for (k = 0; k < nh; k++)
				jset(h, ct_hash_algos[hj[k].algo].name,
				     jhex(a.segs[i].digest[hj[k].algo], ct_hash_algos[hj[k].algo].len));
		} else {
			h = hashes_json(hj, nh);
		}
		jset(s, "hashes", h);
		json_object_array_add(segs, s);
	}
	jset(a.rec, "segments", segs);
	jset(a.rec, "bad_ranges", bad_ranges_json(&a));
	jset(a.rec, "bytes", jint(a.src.size));
	jset(a.rec, "bad_bytes", jint(a.bad_bytes));
	res->complete = 1;

	if ((ret = verify_phase(&a, hj, nh, wjp)) < 0)
		goto out;
	ret = 0;
out:
	if (a.src.fd >= 0) {
		int r;
		if (a.src.kind == CT_DEV_BLOCK && a.rec && json_object_object_get_ex(a.rec, "write_block", &wb)) {
			r = ct_dev_restore_ro(&a.src);
			jset(wb, "restored", json_object_new_boolean(r == 0));
			if (r < 0 && ret == 0)
				ret = acq_error(&a, r, "cannot restore the write state of '%s': %s",
						a.src.path, strerror(-r));
		}
		ct_dev_close(&a.src);
	}
	for (i = 0; i < a.nseg; i++)
		if (a.segs[i].fd >= 0)
			close(a.segs[i].fd);
	if (a.rec && a.rec_fd >= 0 && a.rec_live) {
		ct_time_utc(time(NULL), ts, sizeof(ts));
		jset(a.rec, "finished", json_object_new_string(ts));
		if (!acquired) {
			pthread_mutex_lock(&a.map_mu);
			jset(a.rec, "bad_ranges", bad_ranges_json(&a));
			pthread_mutex_unlock(&a.map_mu);
			jset(a.rec, "bytes", jint(a.written));
		}
		jset(a.rec, "complete", json_object_new_boolean(res->complete && ret == 0));
		jset(a.rec, "status", json_object_new_string(
			     ret < 0 ? "failed" : res->verify_failed ? "verify-mismatch" :
			     a.bad_bytes ? "complete-with-unreadable-sectors" : "complete"));
		if (ret < 0 || res->verify_failed)
			jset(a.rec, "error", json_object_new_string(res->error));
		else
			json_object_object_del(a.rec, "error");
		{
			int r = record_write(&a);
			if (r < 0 && ret == 0)
				ret = acq_error(&a, r, "cannot write the record %s: %s",
						res->record_path, strerror(-r));
		}
		if (close(a.rec_fd) < 0 && ret == 0)
			ret = acq_error(&a, -errno, "cannot close the record: %s", strerror(errno));
		a.rec_fd = -1;
		ct_fsync_dir(a.casedir);
	}
	if (ret < 0)
		res->complete = 0;
	if (a.rec_fd >= 0)
		close(a.rec_fd);
	if (a.map_fd >= 0 && close(a.map_fd) < 0 && ret == 0)
		ret = acq_error(&a, -errno, "cannot close %s.map: %s", a.id, strerror(errno));
	jobs_release(hj, nh, wjp);
	ct_map_free(&a.map);
	free(a.segs);
	json_object_put(ident);
	if (a.rec_live) {
		res->record = a.rec;
	} else {
		/* nothing of this run is on disk: nothing to log either */
		json_object_put(a.rec);
		res->record = NULL;
	}
	pthread_mutex_destroy(&a.map_mu);
	return ret;
}

void
ct_image_result_release(struct ct_image_result *res)
{
	if (res == NULL)
		return;
	json_object_put(res->record);
	res->record = NULL;
}

/* ---- re-hashing an image from its record (verify, extract) ---- */

static uint64_t
jget_u64(struct json_object *o, const char *k)
{
	return (uint64_t)json_object_get_int64(ct_json_get(o, k));
}


/* A segment name from a record must be a plain file name in the case. */
static int
plain_name(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

int
ct_image_rehash(const char *casedir, struct json_object *acq, size_t bufsize,
		struct json_object **report)
{
	struct ct_image_opts o = { 0 };
	struct ct_image_result res;
	struct acq a;
	struct hash_job hj[8];
	struct window_job wj, *wjp = NULL;
	struct json_object *rep = json_object_new_object(), *segs, *rsegs, *hashes, *rh, *rw, *bad_w;
	size_t nh = 0, i, k;
	int ret = 0, failed = -1, match = 1, missing = 0;

	memset(&a, 0, sizeof(a));
	memset(&res, 0, sizeof(res));
	memset(&wj, 0, sizeof(wj));
	memset(hj, 0, sizeof(hj));
	o.nslots = 16;
	a.o = &o;
	a.res = &res;
	a.src.fd = -1;
	a.map_fd = -1;
	a.rec_fd = -1;
	a.dirty_segment = -1;
	a.bufsize = bufsize ? bufsize : (1u << 20);
	a.verify_from_image = 1;
	pthread_mutex_init(&a.map_mu, NULL);
	*report = rep;
	rsegs = json_object_new_array();
	json_object_object_add(rep, "segments", rsegs);

	if ((ret = ct_gcrypt_init()) < 0)
		goto out;
	snprintf(a.casedir, sizeof(a.casedir), "%s", casedir);
	snprintf(a.id, sizeof(a.id), "%s", ct_json_str(acq, "evidence", NULL) ? ct_json_str(acq, "evidence", NULL) : "?");
	a.src.size = jget_u64(acq, "bytes");
	a.window = jget_u64(acq, "window_size");
	if (!json_object_object_get_ex(acq, "hashes", &hashes) ||
	    !json_object_object_get_ex(acq, "segments", &segs) ||
	    json_object_array_length(segs) == 0) {
		ret = acq_error(&a, -EINVAL, "the acquisition record of %s has no hashes or segments",
				a.id);
		goto out;
	}
	json_object_object_foreach(hashes, hname, hv) {
		int idx = ct_hash_lookup(hname);
		(void)hv;
		if (idx >= 0)
			a.mask |= 1u << idx;
	}
	a.nseg = (unsigned)json_object_array_length(segs);
	a.segs = calloc(a.nseg, sizeof(*a.segs));
	if (a.segs == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	/* segments must tile the image; all but the last share one size */
	for (i = 0; i < a.nseg; i++) {
		struct json_object *s = json_object_array_get_idx(segs, i), *rs;
		const char *name = ct_json_str(s, "path", NULL);
		char path[PATH_MAX];
		struct stat st;
		const char *status = "present";

		a.segs[i].fd = -1;
		a.segs[i].off = jget_u64(s, "offset");
		a.segs[i].size = jget_u64(s, "bytes");
		if (!plain_name(name) || a.segs[i].off != (i ? a.segs[i - 1].off + a.segs[i - 1].size : 0)) {
			ret = acq_error(&a, -EINVAL, "the acquisition record of %s has a bad segment "
					"list", a.id);
			goto out;
		}
		if (ct_snprintf(a.segs[i].name, sizeof(a.segs[i].name), "%s", name) < 0 ||
		    ct_snprintf(path, sizeof(path), "%s/%s", casedir, name) < 0) {
			ret = acq_error(&a, -ENAMETOOLONG, "segment name too long in the record of %s",
					a.id);
			goto out;
		}
		if (lstat(path, &st) < 0) {
			status = "missing";
			missing = 1;
		} else if (!S_ISREG(st.st_mode)) {
			status = "not a regular file";
			missing = 1;
		} else if ((uint64_t)st.st_size != a.segs[i].size) {
			status = "size differs";
			missing = 1;
		}
		rs = json_object_new_object();
		json_object_object_add(rs, "path", json_object_new_string(name));
		json_object_object_add(rs, "bytes", jint(a.segs[i].size));
		json_object_object_add(rs, "status", json_object_new_string(status));
		json_object_array_add(rsegs, rs);
	}
	a.split = a.nseg > 1 ? a.segs[0].size : 0;
	if (a.segs[a.nseg - 1].off + a.segs[a.nseg - 1].size != a.src.size) {
		ret = acq_error(&a, -EINVAL, "the segments of %s do not add up to its size", a.id);
		goto out;
	}
	/* the layout cardtrail writes, and the only one the hashers handle:
	 * every segment but the last of one size, the last not empty and not
	 * larger, as many as the size needs */
	if (a.split) {
		for (i = 0; i + 1 < a.nseg; i++)
			if (a.segs[i].size != a.split)
				break;
		if (i + 1 < a.nseg || a.segs[a.nseg - 1].size == 0 ||
		    a.segs[a.nseg - 1].size > a.split ||
		    (a.src.size + a.split - 1) / a.split != a.nseg) {
			ret = acq_error(&a, -EINVAL, "the segment list of %s is not one cardtrail "
					"writes (unequal segments)", a.id);
			goto out;
		}
	} else if (a.segs[0].size != a.src.size) {
		ret = acq_error(&a, -EINVAL, "the segment of %s does not hold the whole image", a.id);
		goto out;
	}
	if (missing) {
		match = 0;
		acq_error(&a, 0, "a segment of %s is missing or has the wrong size", a.id);
		goto done;
	}
	if (a.window)
		wjp = &wj;
	if ((ret = jobs_init(&a, hj, &nh, wjp, 1)) < 0)
		goto out;
	a.phase = CT_PROGRESS_VERIFY;
	ret = run_pipeline(&a, verify_read, hj, nh, wjp, 0, NULL, &failed);
	if (ret < 0)
		goto out;
	/* whole-image hashes */
	rh = json_object_new_object();
	for (i = 0; i < nh; i++) {
		const struct ct_hash_algo *al = &ct_hash_algos[hj[i].algo];
		char hex[2 * CT_HASH_MAXLEN + 1];
		const char *want = ct_json_str(hashes, al->name, NULL);

		ct_hex(hj[i].digest, al->len, hex);
		json_object_object_add(rh, al->name, json_object_new_string(hex));
		if (want == NULL || strcmp(want, hex))
			match = 0;
	}
	json_object_object_add(rep, "hashes", rh);
	/* per segment, each algorithm */
	for (i = 0; i < a.nseg; i++) {
		struct json_object *s = json_object_array_get_idx(segs, i), *sh, *rs;
		int seg_ok = 1;

		rs = json_object_array_get_idx(rsegs, i);
		json_object_object_get_ex(s, "hashes", &sh);
		for (k = 0; k < nh; k++) {
			const struct ct_hash_algo *al = &ct_hash_algos[hj[k].algo];
			char hex[2 * CT_HASH_MAXLEN + 1];
			const char *want = sh ? ct_json_str(sh, al->name, NULL) : NULL;

			ct_hex(a.split ? a.segs[i].digest[hj[k].algo] : hj[k].digest, al->len, hex);
			if (want && strcmp(want, hex))
				seg_ok = 0;
			if (!strcmp(al->name, "sha256"))
				json_object_object_add(rs, "sha256", json_object_new_string(hex));
		}
		json_object_object_add(rs, "match", json_object_new_boolean(seg_ok));
		json_object_object_add(rs, "mismatched_windows", json_object_new_array());
		if (!seg_ok)
			match = 0;
	}
	/* windows name where the damage is */
	bad_w = json_object_new_array();
	if (wjp && json_object_object_get_ex(acq, "windows", &rw)) {
		for (i = 0; i < wj.count && i < json_object_array_length(rw); i++) {
			struct json_object *w = json_object_array_get_idx(rw, i), *bw;
			char hex[65];
			const char *want = ct_json_str(w, "sha256", NULL);
			uint64_t off = (uint64_t)i * a.window;
			struct segment *sg = segment_at(&a, off);

			ct_hex(wj.digests[i], 32, hex);
			if (want && !strcmp(want, hex))
				continue;
			match = 0;
			bw = json_object_new_object();
			json_object_object_add(bw, "index", jint(i));
			json_object_object_add(bw, "offset", jint(off));
			json_object_object_add(bw, "length", jint(jget_u64(w, "length")));
			json_object_object_add(bw, "segment", json_object_new_string(sg ? sg->name : "?"));
			json_object_array_add(bad_w, bw);
			if (sg) {
				struct json_object *rs = json_object_array_get_idx(rsegs,
										   (size_t)(sg - a.segs));
				json_object_array_add(json_object_object_get(rs, "mismatched_windows"),
						      jint(i));
			}
		}
	}
	json_object_object_add(rep, "mismatched_windows", bad_w);
	if (!match && res.error[0] == '\0') {
		size_t nb = json_object_array_length(bad_w);
		if (nb > 0)
			acq_error(&a, 0, "%zu window%s of %s differ%s, first #%d at offset %lld in %s",
				  nb, nb == 1 ? "" : "s", a.id, nb == 1 ? "s" : "",
				  json_object_get_int(ct_json_get(json_object_array_get_idx(bad_w, 0), "index")),
				  (long long)json_object_get_int64(ct_json_get(json_object_array_get_idx(bad_w, 0), "offset")),
				  ct_json_str(json_object_array_get_idx(bad_w, 0), "segment", "?"));
		else
			acq_error(&a, 0, "the hashes of %s differ from its acquisition record", a.id);
	}
done:
	json_object_object_add(rep, "match", json_object_new_boolean(match));
	if (!match)
		json_object_object_add(rep, "error", json_object_new_string(res.error));
	ret = 0;
out:
	if (ret < 0) {
		json_object_object_add(rep, "match", json_object_new_boolean(0));
		json_object_object_add(rep, "error", json_object_new_string(
					       res.error[0] ? res.error : strerror(-ret)));
	}
	for (i = 0; a.segs && i < a.nseg; i++)
		if (a.segs[i].fd >= 0)
			close(a.segs[i].fd);
	jobs_release(hj, nh, wjp);
	free(a.segs);
	pthread_mutex_destroy(&a.map_mu);
	return ret;
}
