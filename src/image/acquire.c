/*
 * acquire.c — `cardtrail image`: the run, step by step.  Open the source
 * and check it; set up a new evidence item or a resume; write the record as
 * it stands before any data moves; write-block the card; read it once
 * through the pipeline into the hashers and the sink; seal the image;
 * verify; write the record as it ends.  What each step does lives in the
 * files named in acq.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/identity.h"
#include "cardtrail/util.h"
#include "image/acq.h"

int
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

int
run_pipeline(struct acq *a, ct_pipe_read_fn readfn, struct hashers *h, int with_writer,
	     struct ct_consumer *extra, size_t nextra)
{
	struct ct_consumer cons[MAX_CONSUMERS];
	struct ct_pipe_cfg cfg = { .bufsize = a->bufsize, .nslots = a->o->nslots,
				   .read = readfn, .read_ctx = a };
	size_t n, i;
	int failed = -1;

	memset(cons, 0, sizeof(cons));
	n = hashers_consumers(h, cons, MAX_CONSUMERS);
	if (with_writer) {
		size_t first = n;
		uint64_t after = 0;

		if (a->sink->helpers)
			n += a->sink->helpers(a, cons + n, MAX_CONSUMERS - n - 1 - nextra);
		/* the writer takes each buffer after the helpers are done with it */
		for (i = first; i < n; i++)
			after |= (uint64_t)1 << i;
		cons[n++] = (struct ct_consumer){ .name = "writer", .consume = a->sink->write,
						   .finish = a->sink->write_finish, .ctx = a,
						   .after = after };
	}
	for (i = 0; i < nextra && n < MAX_CONSUMERS; i++)
		cons[n++] = extra[i];
	a->t0 = ct_now();
	a->last_progress = 0;
	return ct_pipe_run(&cfg, cons, n, &failed);
}

/* Open the source and check the options against it. */
static int
open_source(struct acq *a, struct json_object **ident)
{
	const struct ct_image_opts *o = a->o;
	int ret;

	if (o->evidence_id && !ct_evidence_id_valid(o->evidence_id))
		return acq_error(a, -EINVAL, "evidence id '%s' must be 1-32 letters, digits, "
				 "'-' or '_'", o->evidence_id);
	if (o->resume && o->evidence_id == NULL)
		return acq_error(a, -EINVAL, "--resume needs --evidence-id to name the image");
	ret = ct_dev_open(&a->src, o->source, CT_DEV_RDONLY);
	if (ret < 0)
		return acq_error(a, ret, ret == -EINVAL ? "'%s' is neither a block device nor a "
				 "regular file" : "cannot open '%s': %s", o->source, strerror(-ret));
	if (a->bufsize % a->src.lss || a->bufsize % 4096)
		return acq_error(a, -EINVAL, "--block-size must be a multiple of 4096 and of the "
				 "sector size (%u)", a->src.lss);
	if (a->split && a->split % a->src.lss)
		return acq_error(a, -EINVAL, "--split must be a multiple of the sector size (%u)",
				 a->src.lss);
	if (!o->resume && a->sink->check && (ret = a->sink->check(a)) < 0)
		return ret;
	if ((ret = ct_identity_get(o->source, ident)) < 0)
		return acq_error(a, ret, "cannot identify '%s': %s", o->source, strerror(-ret));
	a->ident = *ident;
	return safety_checks(a);
}

/* A new evidence item: its id, record and mapfile (all O_EXCL), the plan of
 * its files. */
static int
setup_new(struct acq *a, time_t started)
{
	const struct ct_image_opts *o = a->o;
	char ts[32];
	int ret;

	if (!o->no_space_check && (ret = space_check(a, a->src.size)) < 0)
		return ret;
	if ((ret = new_evidence(a, o->evidence_id, "; --resume continues it")) < 0)
		return ret;
	a->rec = json_object_new_object();
	jset(a->rec, "evidence", json_object_new_string(a->id));
	ct_time_utc(started, ts, sizeof(ts));
	jset(a->rec, "started", json_object_new_string(ts));
	a->map_fd = open_case_file(a, ".map", 1, 1 << 20);
	if (a->map_fd < 0) {
		ret = acq_error(a, a->map_fd, "cannot create %s/%s.map: %s", a->casedir, a->id,
				strerror(-a->map_fd));
		a->map_fd = -1;
		return ret;
	}
	if ((ret = ct_map_init(&a->map, a->src.size)) < 0 || (ret = a->sink->plan(a)) < 0)
		return ret;
	return 0;
}

/* Continue an interrupted acquisition. */
static int
setup_resume(struct acq *a)
{
	int ret;

	snprintf(a->id, sizeof(a->id), "%s", a->o->evidence_id);
	snprintf(a->res->evidence, sizeof(a->res->evidence), "%s", a->id);
	/* until its checks pass, a resume must not touch the record of the
	 * earlier run (it may be complete, or of another card) */
	if ((ret = resume_setup(a)) < 0)
		return ret;
	if (!a->o->no_space_check && (ret = space_check(a, a->src.size - a->resume_pos)) < 0)
		return ret;
	a->rec_live = 1;
	return 0;
}

/* The record as it stands before any data moves: it says incomplete until
 * the end proves otherwise. */
static int
record_begin(struct acq *a, struct json_object *ident, time_t started)
{
	struct json_object *src = json_object_new_object(), *resumed, *r;
	char ts[32], mapname[96];
	int ret;

	jset(src, "path", json_object_new_string(a->src.path));
	jset(src, "kind", json_object_new_string(a->src.kind == CT_DEV_BLOCK ? "block" : "file"));
	jset(src, "size", jint(a->src.size));
	jset(src, "logical_sector_size", json_object_new_int((int)a->src.lss));
	jset(src, "physical_sector_size", json_object_new_int((int)a->src.pss));
	jset(src, "direct_io", json_object_new_boolean(a->src.direct));
	jset(a->rec, "source", src);
	jset(a->rec, "identity", json_object_get(ident));
	jset(a->rec, "options", options_json(a));
	if (!a->o->resume)
		jset(a->rec, "metadata", metadata_json(a));
	snprintf(mapname, sizeof(mapname), "%s.map", a->id);
	jset(a->rec, "mapfile", json_object_new_string(mapname));
	jset(a->rec, "complete", json_object_new_boolean(0));
	jset(a->rec, "status", json_object_new_string("running"));
	jset(a->rec, "tool", ct_tool_json());
	if (a->o->resume) {
		if (!json_object_object_get_ex(a->rec, "resumed", &resumed)) {
			resumed = json_object_new_array();
			jset(a->rec, "resumed", resumed);
		}
		ct_time_utc(started, ts, sizeof(ts));
		r = json_object_new_object();
		jset(r, "time", json_object_new_string(ts));
		jset(r, "from_offset", jint(a->resume_pos));
		/* the hashes cover the card's bytes 0..from_offset as the
		 * earlier run wrote them into the image: say so */
		jset(r, "prefix_hashed_from", json_object_new_string(
			     "the image file written by the earlier run"));
		json_object_array_add(resumed, r);
	}
	if ((ret = record_write(a)) < 0)
		return acq_error(a, ret, "cannot write the record: %s", strerror(-ret));
	if ((ret = map_flush(a, 0)) < 0)
		return acq_error(a, ret, "cannot write %s.map: %s", a->id, strerror(-ret));
	return 0;
}

/* Write-block for the duration (BLKROSET on a block device). */
static int
write_block(struct acq *a)
{
	struct json_object *wb = json_object_new_object();
	int before, ro_during, ret;

	jset(a->rec, "write_block", wb);
	if (a->src.kind != CT_DEV_BLOCK) {
		jset(wb, "method", json_object_new_string("none: a regular file, opened read-only"));
		return 0;
	}
	before = ct_dev_get_ro(&a->src);
	jset(wb, "method", json_object_new_string("BLKROSET (kernel read-only flag)"));
	jset(wb, "ro_before", before < 0 ? NULL : json_object_new_boolean(before));
	if ((ret = ct_dev_set_ro(&a->src)) < 0)
		return acq_error(a, ret, "cannot set '%s' read-only (BLKROSET): %s", a->src.path,
				 strerror(-ret));
	ro_during = ct_dev_get_ro(&a->src);
	jset(wb, "ro_during", ro_during < 0 ? NULL : json_object_new_boolean(ro_during));
	if (ro_during != 1)
		return acq_error(a, -EPERM, "'%s' did not become read-only", a->src.path);
	return 0;
}

/* Why a run that stopped early stopped, and what it kept. */
static int
acquire_failed(struct acq *a, int ret)
{
	const char *why = a->write_err_detail[0] ? a->write_err_detail : strerror(a->write_errno);
	char kept[256];

	a->sink->kept(a, kept, sizeof(kept));
	if (a->vanished)
		return acq_error(a, ret, "the source stopped answering at offset %" PRIu64 " (%s): "
				 "the card may have been removed; %s; continue with --resume "
				 "--evidence-id %s", a->vanish_off, strerror(a->read_errno), kept, a->id);
	if (a->write_errno && a->write_err_in != UINT64_MAX)
		return acq_error(a, -a->write_errno, "cannot write '%s/%s' at offset %" PRIu64
				 " (offset %" PRIu64 " of the source): %s; %s", a->casedir,
				 a->write_err_file, a->write_err_in, a->write_err_off, why, kept);
	if (a->write_errno)
		return acq_error(a, -a->write_errno, "cannot write '%s/%s' (at offset %" PRIu64
				 " of the source): %s; %s", a->casedir, a->write_err_file,
				 a->write_err_off, why, kept);
	if (ret == -EINTR)
		return acq_error(a, ret, "interrupted; %s; continue with --resume --evidence-id %s",
				 kept, a->id);
	return acq_error(a, ret, "imaging failed: %s", strerror(-ret));
}

/* Read the card once into the hashers and the sink. */
static int
acquire(struct acq *a, struct hashers *h)
{
	int ret;

	if ((ret = hashers_init(a, h, 1)) < 0)
		return ret;
	a->phase = CT_PROGRESS_ACQUIRE;
	ret = run_pipeline(a, acquire_read, h, 1, NULL, 0);
	a->res->bad_bytes = a->bad_bytes;
	if (ret < 0)
		a->sink->keep(a);
	a->res->bytes = ret == 0 ? a->src.size : a->written;
	if (ret < 0)
		return acquire_failed(a, ret);
	return 0;
}

/* Everything was read and written: seal the image, and the mapfile and
 * the record say so. */
static int
acquire_done(struct acq *a, const struct hashers *h)
{
	int ret;

	if ((ret = a->sink->seal(a, h)) < 0)
		return ret;
	pthread_mutex_lock(&a->map_mu);
	a->written = a->src.size;
	ret = map_flush_locked(a, 1);
	pthread_mutex_unlock(&a->map_mu);
	if (ret < 0)
		return acq_error(a, ret, "cannot write %s.map: %s", a->id, strerror(-ret));
	jset(a->rec, "hashes", hashers_json(h));
	jset(a->rec, "window_size", jint(a->window));
	jset(a->rec, "windows", windows_json(a, h));
	jset(a->rec, "segments", a->sink->segments_json(a, h));
	jset(a->rec, "bad_ranges", bad_ranges_json(a));
	jset(a->rec, "bytes", jint(a->src.size));
	jset(a->rec, "bad_bytes", jint(a->bad_bytes));
	a->res->complete = 1;
	return 0;
}

/* The record as the run ends, whatever happened. */
static int
record_end(struct acq *a, int ret, int acquired)
{
	struct ct_image_result *res = a->res;

	if (!acquired) {
		pthread_mutex_lock(&a->map_mu);
		jset(a->rec, "bad_ranges", bad_ranges_json(a));
		pthread_mutex_unlock(&a->map_mu);
		jset(a->rec, "bytes", jint(a->written));
	}
	return record_close(a, ret, res->complete, ret < 0 ? "failed" : res->verify_failed ?
			    "verify-mismatch" : a->bad_bytes ? "complete-with-unreadable-sectors" :
			    "complete", ret < 0 || res->verify_failed ? res->error : NULL);
}

/* Give the card its write state back, close the source. */
static int
release_source(struct acq *a, int ret)
{
	struct json_object *wb;
	int r;

	if (a->src.fd < 0)
		return ret;
	if (a->src.kind == CT_DEV_BLOCK && a->rec && json_object_object_get_ex(a->rec, "write_block", &wb)) {
		r = ct_dev_restore_ro(&a->src);
		jset(wb, "restored", json_object_new_boolean(r == 0));
		if (r < 0 && ret == 0)
			ret = acq_error(a, r, "cannot restore the write state of '%s': %s", a->src.path,
					strerror(-r));
	}
	ct_dev_close(&a->src);
	return ret;
}

static void
acq_init(struct acq *a, const struct ct_image_opts *o, struct ct_image_result *res)
{
	memset(res, 0, sizeof(*res));
	memset(a, 0, sizeof(*a));
	a->o = o;
	a->res = res;
	a->map_fd = -1;
	a->rec_fd = -1;
	a->src.fd = -1;
	a->write_err_in = UINT64_MAX;
	a->last_good = UINT64_MAX;
	/* SHA-256 is always computed: the custody log records it */
	a->mask = o->hash_mask | 1u << ct_hash_lookup("sha256");
	a->window = o->window;
	a->split = o->split;
	a->bufsize = o->bufsize ? o->bufsize : (1u << 20);
	pthread_mutex_init(&a->map_mu, NULL);
}

int
ct_image_run(const struct ct_image_opts *o, struct ct_image_result *res)
{
	struct acq a;
	struct hashers h;
	struct json_object *ident = NULL;
	time_t started = time(NULL);
	int ret, acquired = 0;

	acq_init(&a, o, res);
	memset(&h, 0, sizeof(h));
	a.sink = sink_choose(o->format ? o->format : "raw", o->split != 0);
	if (a.sink == NULL) {
		ret = acq_error(&a, -EINVAL, "unknown image format '%s'", o->format);
		goto out;
	}
	if ((ret = ct_gcrypt_init()) < 0) {
		acq_error(&a, ret, "libgcrypt is too old");
		goto out;
	}
	if (ct_snprintf(a.casedir, sizeof(a.casedir), "%s", o->casedir) < 0) {
		ret = acq_error(&a, -ENAMETOOLONG, "case folder name too long");
		goto out;
	}
	if ((ret = open_source(&a, &ident)) < 0)
		goto out;
	if ((ret = o->resume ? setup_resume(&a) : setup_new(&a, started)) < 0)
		goto out;
	snprintf(res->evidence, sizeof(res->evidence), "%s", a.id);
	if (ct_snprintf(res->record_path, sizeof(res->record_path), "%s/%s.acquisition.json",
			a.casedir, a.id) < 0) {
		ret = acq_error(&a, -ENAMETOOLONG, "case folder name too long");
		goto out;
	}
	if ((ret = record_begin(&a, ident, started)) < 0 || (ret = write_block(&a)) < 0 ||
	    (ret = acquire(&a, &h)) < 0)
		goto out;
	acquired = 1;
	if ((ret = acquire_done(&a, &h)) < 0 || (ret = verify_phase(&a, &h)) < 0)
		goto out;
	ret = 0;
out:
	ret = release_source(&a, ret);
	if (a.sink)
		a.sink->close(&a);
	if (a.rec && a.rec_fd >= 0 && a.rec_live)
		ret = record_end(&a, ret, acquired);
	if (ret < 0)
		res->complete = 0;
	if (a.rec_fd >= 0)
		close(a.rec_fd);
	if (a.map_fd >= 0 && close(a.map_fd) < 0 && ret == 0)
		ret = acq_error(&a, -errno, "cannot close %s.map: %s", a.id, strerror(errno));
	hashers_release(&h);
	ct_image_close(a.prefix);
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
