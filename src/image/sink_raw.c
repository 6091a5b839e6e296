/*
 * sink_raw.c — raw images: one file (E1.raw) or segments of --split bytes
 * (E1.001, E1.002, ...), byte for byte what the card holds.
 *
 * Crash safety: the data is fdatasync'ed before the mapfile may vouch for
 * it (at least every MAP_FLUSH_BYTES and MAP_FLUSH_SECONDS, and whenever a
 * segment is complete), so after a kill --resume truncates the files to
 * what the mapfile vouches for and goes on from there.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "image/acq.h"

#define MAP_FLUSH_SECONDS 1.0
#define MAP_FLUSH_BYTES (256ULL << 20)

struct raw_state {
	int dirty_segment;	/* index of the segment with unsynced data, or -1 */
	uint64_t unsynced;
	double last_flush;
};

static struct raw_state *
state(struct acq *a)
{
	return a->sink_state;
}

static int
raw_plan(struct acq *a)
{
	uint64_t size = a->src.size, n, i;
	struct raw_state *st;

	n = a->split ? (size + a->split - 1) / a->split : 1;
	if (n == 0)
		n = 1;
	if (n > MAX_SEGMENTS)
		return acq_error(a, -EINVAL, "--split %" PRIu64 " would make %" PRIu64
				 " segments (at most %d)", a->split, n, MAX_SEGMENTS);
	a->segs = calloc(n, sizeof(*a->segs));
	st = calloc(1, sizeof(*st));
	if (a->segs == NULL || st == NULL) {
		free(st);
		return -ENOMEM;
	}
	st->dirty_segment = -1;
	st->last_flush = ct_now();
	a->sink_state = st;
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

/* Truncate what the mapfile does not vouch for. */
static int
raw_resume(struct acq *a, uint64_t vouched)
{
	unsigned i;
	int ret;

	if ((ret = raw_plan(a)) < 0)
		return ret;
	for (i = 0; i < a->nseg; i++) {
		struct segment *s = &a->segs[i];
		char path[PATH_MAX];
		struct stat st;
		uint64_t want;

		if (ct_snprintf(path, sizeof(path), "%s/%s", a->casedir, s->name) < 0)
			return -ENAMETOOLONG;
		if (lstat(path, &st) < 0) {
			if (errno == ENOENT && s->off + s->size <= vouched && s->size > 0)
				return acq_error(a, -ENOENT, "cannot resume: %s is missing", path);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			return acq_error(a, -EINVAL, "cannot resume: %s is not a regular file", path);
		want = vouched <= s->off ? 0 : (vouched - s->off < s->size ? vouched - s->off : s->size);
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
	a->resume_pos = vouched;
	return 0;
}

/* Flush written data, then let the map vouch for it; writer thread. */
static int
raw_sync(struct acq *a, uint64_t upto, int force)
{
	struct raw_state *st = state(a);
	int ret;

	if (!force && st->unsynced < MAP_FLUSH_BYTES && ct_now() - st->last_flush < MAP_FLUSH_SECONDS)
		return 0;
	if (st->dirty_segment >= 0) {
		struct segment *s = &a->segs[st->dirty_segment];

		if (fdatasync(s->fd) < 0) {
			ret = -errno;
			sink_error(a, -ret, upto, UINT64_MAX, s->name);
			return ret;
		}
		/* durable now: drop it from the cache so that the image
		 * verification reads the medium, not our own memory */
		(void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	st->unsynced = 0;
	st->last_flush = ct_now();
	return map_vouch(a, upto);
}

static int
raw_write(void *ctx, const struct ct_pipe_buf *b)
{
	struct acq *a = ctx;
	struct raw_state *st = state(a);
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
			if (st->dirty_segment >= 0 && (ret = raw_sync(a, off, 1)) < 0)
				return ret;
			if ((ret = segment_open(a, s, 1)) < 0 || (ret = ct_fsync_dir(a->casedir)) < 0) {
				sink_error(a, -ret, off, UINT64_MAX, s->name);
				return ret;
			}
		}
		if ((ret = ct_pwrite_all(s->fd, p, n, in)) < 0) {
			sink_error(a, -ret, off, in, s->name);
			return ret;
		}
		st->dirty_segment = idx;
		st->unsynced += n;
		off += n;
		p += n;
		a->wrote_upto = off;
		if (in + n == s->size) {
			/* segment complete: make it durable and close it */
			if ((ret = raw_sync(a, off, 1)) < 0)
				return ret;
			if (close(s->fd) < 0) {
				ret = -errno;
				s->fd = -1;
				sink_error(a, -ret, off, UINT64_MAX, s->name);
				return ret;
			}
			s->fd = -1;
			st->dirty_segment = -1;
		}
	}
	return raw_sync(a, end, 0);
}

static int
raw_write_finish(void *ctx)
{
	struct acq *a = ctx;
	int ret;

	if (a->src.size == 0) {
		/* an empty source still gets its (empty) image file */
		if ((ret = segment_open(a, &a->segs[0], a->resume_pos == 0)) < 0)
			return ret;
	}
	if ((ret = raw_sync(a, a->src.size, 1)) < 0)
		return ret;
	return ct_fsync_dir(a->casedir);
}

/* Stopped by the reader or a signal: the writer's last bytes are good;
 * sync them and let the mapfile vouch for them. */
static void
raw_keep(struct acq *a)
{
	if (a->wrote_upto > a->written && a->write_errno == 0)
		(void)raw_sync(a, a->wrote_upto, 1);
}

static void
raw_kept(struct acq *a, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 " bytes were imaged and kept", a->written);
}

static int
raw_seal(struct acq *a, const struct hashers *h)
{
	(void)a;
	(void)h;
	return 0;	/* every segment was synced as it was completed */
}

static struct json_object *
raw_segments_json(struct acq *a, const struct hashers *h)
{
	struct json_object *segs = json_object_new_array();
	unsigned i;
	size_t k;

	for (i = 0; i < a->nseg; i++) {
		struct json_object *s = json_object_new_object(), *hs;

		jset(s, "path", json_object_new_string(a->segs[i].name));
		jset(s, "offset", jint(a->segs[i].off));
		jset(s, "bytes", jint(a->segs[i].size));
		if (a->split) {
			hs = json_object_new_object();
			for (k = 0; k < h->nh; k++)
				jset(hs, ct_hash_algos[h->hj[k].algo].name,
				     jhex(a->segs[i].digest[h->hj[k].algo],
					  ct_hash_algos[h->hj[k].algo].len));
		} else {
			hs = hashers_json(h);
		}
		jset(s, "hashes", hs);
		json_object_array_add(segs, s);
	}
	return segs;
}

static void
raw_close(struct acq *a)
{
	unsigned i;

	for (i = 0; a->segs && i < a->nseg; i++)
		if (a->segs[i].fd >= 0) {
			close(a->segs[i].fd);
			a->segs[i].fd = -1;
		}
	free(a->sink_state);
	a->sink_state = NULL;
}

/* One file and segments differ only in their names (raw_plan) */
#define RAW_SINK_OPS							\
	.format = "raw", .fixed_segments = 1, .plan = raw_plan,	\
	.resume = raw_resume, .write = raw_write,			\
	.write_finish = raw_write_finish, .keep = raw_keep,		\
	.kept = raw_kept, .seal = raw_seal,				\
	.segments_json = raw_segments_json, .close = raw_close

const struct sink sink_raw = { .name = "raw", .split = 0, .first_suffix = ".raw", RAW_SINK_OPS };
const struct sink sink_split = { .name = "split", .split = 1, .first_suffix = ".001", RAW_SINK_OPS };
