/*
 * verify.c — reading back after an acquisition: the image (through the
 * segment reader, from the medium) and the source a second time, hashed
 * with the same algorithms and windows; with --verify both the source is
 * compared with the image byte for byte in the same pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "image/acq.h"

struct compare_job {
	struct acq *a;
	unsigned char *buf;
	size_t cap;
	uint64_t compared, mismatch_off, skipped;
	int mismatch, read_err;
	uint64_t read_err_off;
};

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

/* The re-read's hashes and windows against the acquisition's. */
static void
compare_hashes(struct acq *a, const struct hashers *h, const struct hashers *acq_h,
	       struct json_object *ver)
{
	struct json_object *part = json_object_new_object(), *bad_w = json_object_new_array();
	char detail[512] = "";
	size_t i;
	int hashes_ok = 1;

	for (i = 0; i < h->nh; i++)
		if (memcmp(h->hj[i].digest, acq_h->hj[i].digest, ct_hash_algos[h->hj[i].algo].len))
			hashes_ok = 0;
	for (i = 0; h->windows && i < h->wj.count; i++) {
		struct json_object *w;

		if (!memcmp(h->wj.digests[i], acq_h->wj.digests[i], 32))
			continue;
		w = json_object_new_object();
		jset(w, "index", jint(i));
		jset(w, "offset", jint(i * a->window));
		json_object_array_add(bad_w, w);
		if (detail[0] == '\0')
			snprintf(detail, sizeof(detail), " (first differing window: #%zu at "
				 "offset %" PRIu64 ")", i, (uint64_t)i * a->window);
	}
	jset(part, "reread", json_object_new_string(a->verify_from_image ? "image" : "source"));
	jset(part, "match", json_object_new_boolean(hashes_ok));
	jset(part, "hashes", hashers_json(h));
	jset(part, "mismatched_windows", bad_w);
	jset(ver, a->verify_from_image ? "image" : "source", part);
	if (a->damage[0]) {
		/* an E01 chunk that fails its checksum on the way back */
		jset(part, "damaged_chunks", json_object_new_string(a->damage));
		snprintf(detail, sizeof(detail), " (%.400s)", a->damage);
	}
	if (!hashes_ok) {
		a->res->verify_failed = 1;
		acq_error(a, 0, "verification failed: the %s re-read does not match the "
			  "acquisition hashes%s", a->verify_from_image ? "image" : "source", detail);
	}
}

/* The byte comparison of the source with the image (--verify both). */
static void
compare_result(struct acq *a, const struct compare_job *cj, struct json_object *ver)
{
	struct json_object *part = json_object_new_object();

	jset(part, "reread", json_object_new_string("source"));
	jset(part, "method", json_object_new_string("byte comparison with the image"));
	jset(part, "compared_bytes", jint(cj->compared));
	jset(part, "skipped_bad_bytes", jint(cj->skipped));
	jset(part, "match", json_object_new_boolean(!cj->mismatch && !cj->read_err));
	if (cj->mismatch) {
		char window[64] = "";

		jset(part, "first_mismatch", jint(cj->mismatch_off));
		if (a->window) {
			jset(part, "window", jint(cj->mismatch_off / a->window));
			snprintf(window, sizeof(window), " (window #%" PRIu64 ")",
				 cj->mismatch_off / a->window);
		}
		a->res->verify_failed = 1;
		acq_error(a, 0, "verification failed: the source re-read differs from the image "
			  "at offset %" PRIu64 "%s", cj->mismatch_off, window);
	}
	if (cj->read_err) {
		jset(part, "read_error", json_object_new_string(strerror(cj->read_err)));
		jset(part, "read_error_offset", jint(cj->read_err_off));
		a->res->verify_failed = 1;
		acq_error(a, 0, "verification failed: re-reading the source failed at offset %"
			  PRIu64 ": %s", cj->read_err_off, strerror(cj->read_err));
	}
	jset(ver, "source", part);
}

/* Re-read and compare.  Returns 0 (result in the record and a->res) or -errno. */
int
verify_phase(struct acq *a, const struct hashers *acq_h)
{
	struct hashers h;
	struct compare_job cj;
	struct json_object *ver = json_object_new_object();
	struct ct_consumer extra[1];
	int ret, both = (a->o->verify & 3) == 3;

	jset(a->rec, "verify", ver);
	jset(ver, "requested", json_object_new_string(verify_name(a->o->verify)));
	if ((a->o->verify & 3) == 0)
		return 0;
	memset(&cj, 0, sizeof(cj));
	if ((ret = hashers_init(a, &h, 0)) < 0)
		goto out;
	if (both) {
		cj.a = a;
		cj.cap = a->bufsize;
		cj.buf = ct_alloc_aligned(cj.cap);
		if (cj.buf == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		extra[0] = (struct ct_consumer){ .name = "compare", .consume = compare_consume,
						 .ctx = &cj };
	}
	a->verify_from_image = (a->o->verify & CT_VERIFY_IMAGE) != 0;
	if (a->verify_from_image && (ret = image_open_plan(a, &a->img)) < 0)
		goto out;
	if (a->src.kind == CT_DEV_FILE)
		/* a file source: make the re-read come from its medium too */
		(void)posix_fadvise(a->src.fd, 0, 0, POSIX_FADV_DONTNEED);
	a->phase = CT_PROGRESS_VERIFY;
	ret = run_pipeline(a, verify_read, &h, 0, extra, both ? 1 : 0);
	if (ret < 0) {
		acq_error(a, ret, "verification could not finish: %s", strerror(-ret));
		goto out;
	}
	compare_hashes(a, &h, acq_h, ver);
	if (both)
		compare_result(a, &cj, ver);
	ret = 0;
out:
	ct_image_close(a->img);
	a->img = NULL;
	free(cj.buf);
	hashers_release(&h);
	return ret;
}
