/*
 * source.c — the card's side of an acquisition: may we read it (safety),
 * reading it once in order, narrowing a failed read down to the sectors
 * that are unreadable, telling a vanished card from a damaged one, and
 * reading it (or the image) again for verification.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/identity.h"
#include "cardtrail/util.h"
#include "image/acq.h"

static int
gone_errno(int e)
{
	return e == ENODEV || e == ENXIO || e == ENOMEDIUM || e == ESHUTDOWN;
}

void
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

/* Nothing destructive here, but an image of a live filesystem is not a
 * faithful copy, and a case folder on the card itself would change it. */
int
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
	json_object_put(mounts);
	if (rw > 0 && !a->o->allow_mounted)
		return acq_error(a, -EBUSY, "'%s' is mounted read-write: an image of a live "
				 "filesystem is not a faithful copy; unmount it or pass "
				 "--allow-mounted", a->src.path);
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

/* The prefix an earlier run wrote (resume): re-read from the image and
 * hashed again, so that the hashes are those of an uninterrupted run. */
static int
prefix_read(struct acq *a, struct ct_pipe_buf *b, size_t n)
{
	int rc;

	if ((uint64_t)n > a->resume_pos - b->off)
		n = (size_t)(a->resume_pos - b->off);
	if ((rc = ct_image_read(a->prefix, b->data, n, b->off)) < 0)
		return acq_error(a, rc, "cannot re-read what the earlier run wrote: %s",
				 ct_image_error(a->prefix));
	b->len = n;
	return 0;
}

int
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
	if (off < a->resume_pos)
		return prefix_read(a, b, n);
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
	if ((rc = map_mark_read(a, off, n)) < 0)
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

/* The source again, unreadable ranges zero-filled as in the image: when
 * the read hits one of them, read around it. */
static int
verify_read_source(struct acq *a, unsigned char *p, size_t n, uint64_t off)
{
	uint64_t q, stop;
	size_t got;
	int rc, bad;

	rc = ct_dev_read(&a->src, p, n, off, &got);
	if (rc < 0 && a->bad_bytes == 0)
		return acq_error(a, rc, "re-reading the source failed at offset %" PRIu64 ": %s",
				 off + got, strerror(-rc));
	for (q = off; q < off + n; q = stop) {
		stop = stretch_end(&a->map, q, off + n, &bad);
		if (bad) {
			memset(p + (q - off), 0, (size_t)(stop - q));
		} else if (rc < 0) {
			int r = ct_dev_read(&a->src, p + (q - off), (size_t)(stop - q), q, &got);

			if (r < 0)
				return acq_error(a, r, "re-reading the source failed at offset %"
						 PRIu64 ": %s", q + got, strerror(-r));
		}
	}
	return 0;
}

/* Verify reader: the image (zero-filled bad ranges included), or the source
 * with bad ranges zero-filled. */
int
verify_read(void *ctx, struct ct_pipe_buf *b, size_t cap)
{
	struct acq *a = ctx;
	uint64_t off = b->off, size = a->src.size;
	size_t n;
	int rc;

	if (off >= size) {
		report_progress(a, size, 1);
		return 0;
	}
	if (a->verify_from_image)
		return image_pipe_read(a, b, cap);
	n = (size_t)(size - off < cap ? size - off : cap);
	if ((rc = verify_read_source(a, b->data, n, off)) < 0)
		return rc;
	b->len = n;
	report_progress(a, off + n, 0);
	return 0;
}
