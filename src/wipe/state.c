/*
 * state.c — the state file of a wipe that can be resumed (CASE/E1.wipe.state,
 * mode 0600: it holds the pass keys), bound to the custody record that
 * started the wipe.
 *
 * The wipe-start record carries the plan (method, verify mode, each pass's
 * pattern or key fingerprint) and the device; the state file names that
 * record by number and SHA-256.  A resume is refused unless the state file,
 * the record and the device agree on all of it.  What the state file says
 * about progress (pass, offset, passes done) is then checked against the
 * card itself (match.c), and a VERIFIED needs the last pass read back over
 * every byte by the resuming process whatever the state file says.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gcrypt.h>
#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/util.h"
#include "wipe/internal.h"

#define STATE_MAX (1u << 20)

static int
unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;

	if (s == NULL || strlen(s) != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (unsigned char)v;
	}
	return 0;
}

struct json_object *
wipe_plan_json(const struct ct_pass_plan *q)
{
	struct json_object *p = json_object_new_object();
	char h[40];

	if (q->keystream) {
		json_object_object_add(p, "kind", json_object_new_string("keystream"));
		ct_hex(q->key, 16, h);
		json_object_object_add(p, "key", json_object_new_string(h));
		ct_hex(q->nonce, 8, h);
		json_object_object_add(p, "nonce", json_object_new_string(h));
	} else {
		json_object_object_add(p, "kind", json_object_new_string("pattern"));
		ct_hex(q->pat, q->patlen, h);
		json_object_object_add(p, "pattern", json_object_new_string(h));
	}
	explicit_bzero(h, sizeof(h));
	return p;
}

int
wipe_plan_from_json(struct json_object *p, struct ct_pass_plan *q)
{
	const char *kind = ct_json_str(p, "kind", NULL);

	memset(q, 0, sizeof(*q));
	if (kind && !strcmp(kind, "keystream")) {
		q->keystream = 1;
		if (unhex(ct_json_str(p, "key", NULL), q->key, 16) < 0 ||
		    unhex(ct_json_str(p, "nonce", NULL), q->nonce, 8) < 0)
			return -EINVAL;
		return 0;
	}
	if (kind && !strcmp(kind, "pattern")) {
		const char *pat = ct_json_str(p, "pattern", NULL);
		q->patlen = pat ? (unsigned)strlen(pat) / 2 : 0;
		if ((q->patlen == 1 || q->patlen == 3) && unhex(pat, q->pat, q->patlen) == 0)
			return 0;
	}
	return -EINVAL;
}

void
wipe_plan_fingerprint(const struct ct_pass_plan *q, char out[80])
{
	unsigned char buf[64], d[32];
	char hex[65];
	size_t n;

	/* what the pass writes, nothing else: the kind, then key and nonce
	 * or the pattern */
	if (q->keystream) {
		memcpy(buf, "keystream", 9);
		memcpy(buf + 9, q->key, 16);
		memcpy(buf + 25, q->nonce, 8);
		n = 33;
	} else {
		memcpy(buf, "pattern", 7);
		memcpy(buf + 7, q->pat, q->patlen);
		n = 7 + q->patlen;
	}
	gcry_md_hash_buffer(GCRY_MD_SHA256, d, buf, n);
	explicit_bzero(buf, sizeof(buf));
	ct_hex(d, 32, hex);
	snprintf(out, 80, "sha256:%s", hex);
}

static void
copy_str(struct json_object *dst, const char *k, struct json_object *src, const char *sk)
{
	const char *v = ct_json_str(src, sk, NULL);

	if (v && *v)
		json_object_object_add(dst, k, json_object_new_string(v));
}

struct json_object *
wipe_device_json(struct json_object *ident, uint64_t size, unsigned lss)
{
	struct json_object *d = json_object_new_object(), *usb = ct_json_get(ident, "usb");
	struct json_object *loop = ct_json_get(ident, "loop");

	/* what names the device across runs; never its node or number, which
	 * change from one plug-in to the next */
	json_object_object_add(d, "size", wipe_jint(size));
	json_object_object_add(d, "logical_sector_size", json_object_new_int((int)lss));
	copy_str(d, "transport", ident, "transport");
	copy_str(d, "vendor", ident, "vendor");
	copy_str(d, "model", ident, "model");
	copy_str(d, "serial", ident, "serial");
	copy_str(d, "cid", ct_json_get(ident, "sd"), "cid");
	if (usb && json_object_is_type(usb, json_type_object)) {
		struct json_object *u = json_object_new_object();
		copy_str(u, "vendor_id", usb, "vendor_id");
		copy_str(u, "product_id", usb, "product_id");
		copy_str(u, "serial", usb, "serial");
		json_object_object_add(d, "usb_reader", u);
	}
	if (loop && json_object_is_type(loop, json_type_object)) {
		struct json_object *l = json_object_new_object();
		copy_str(l, "backing_file", loop, "backing_file");
		json_object_object_add(l, "offset", json_object_get(ct_json_get(loop, "offset")));
		json_object_object_add(l, "sizelimit", json_object_get(ct_json_get(loop, "sizelimit")));
		json_object_object_add(d, "loop", l);
	}
	/* a partition: where on its disk (the loop device's bytes it is) */
	if (ct_json_get(ident, "partition_number")) {
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "number", json_object_get(ct_json_get(ident, "partition_number")));
		json_object_object_add(p, "start", json_object_get(ct_json_get(ident, "partition_start")));
		json_object_object_add(p, "size", wipe_jint(size));
		json_object_object_add(d, "partition", p);
	}
	return d;
}

int
wipe_same_device(struct json_object *a, struct json_object *b)
{
	return a && b && json_object_equal(a, b);
}

/* ---- the file ---- */

static int
state_path(struct wipe *w, char *path, size_t len)
{
	int ret = ct_snprintf(path, len, "%s/%s.wipe.state", w->dir, w->base);

	if (ret == 0)
		snprintf(w->res->state_path, sizeof(w->res->state_path), "%s", path);
	return ret;
}

int
wipe_state_save(struct wipe *w, const char *phase, uint64_t off)
{
	struct json_object *done;
	const char *text;
	size_t len;
	unsigned i;
	int ret;

	if (w->state_fd < 0)
		return 0;
	done = json_object_new_array();
	for (i = 0; i < w->cur_pass && i < w->method.npasses; i++) {
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "pass", json_object_new_int((int)i + 1));
		json_object_object_add(p, "written", json_object_new_boolean(1));
		json_object_object_add(p, "verified", json_object_new_string(
			w->passes[i].read_earlier || (w->passes[i].read_done && !w->passes[i].mismatch_bytes) ?
			"match" : "not read back"));
		json_object_array_add(done, p);
	}
	json_object_object_add(w->state, "pass", json_object_new_int((int)w->cur_pass));
	json_object_object_add(w->state, "phase", json_object_new_string(phase));
	json_object_object_add(w->state, "offset", wipe_jint(off));
	json_object_object_add(w->state, "passes_done", done);
	text = json_object_to_json_string_ext(w->state, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	ret = ct_pwrite_all(w->state_fd, text, len, 0);
	if (ret == 0 && ftruncate(w->state_fd, (off_t)len) < 0)
		ret = -errno;
	if (ret == 0 && fdatasync(w->state_fd) < 0)
		ret = -errno;
	if (ret < 0 && w->state_err == 0)
		w->state_err = ret;
	return ret;
}

int
wipe_state_create(struct wipe *w)
{
	struct json_object *plans, *start;
	char path[PATH_MAX], ts[32];
	unsigned i;
	int fd, ret;

	if ((ret = state_path(w, path, sizeof(path))) < 0)
		return wipe_err(w, ret, "'%s/%s.wipe.state': the path is too long", w->dir, w->base);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_CREAT | O_EXCL, 0600);
	if (fd < 0 && errno == EEXIST && !wipe_state_unfinished(path) && unlink(path) == 0)
		/* a state file marked complete (a wipe whose end could not be
		 * recorded) holds nothing to resume */
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		ret = -errno;
		if (ret == -EEXIST)
			return wipe_err(w, ret, "a wipe of this card was started and not finished (%s): "
					"continue it with --resume", path);
		return wipe_err(w, ret, "cannot create %s: %s", path, strerror(-ret));
	}
	w->state_fd = fd;
	w->created_state = 1;
	w->state = json_object_new_object();
	start = json_object_new_object();
	json_object_object_add(start, "seq", wipe_jint(w->start_seq));
	json_object_object_add(start, "sha256", json_object_new_string(w->start_hash));
	json_object_object_add(w->state, "start", start);
	json_object_object_add(w->state, "device", json_object_get(w->device));
	json_object_object_add(w->state, "evidence", w->res->evidence[0] ?
			       json_object_new_string(w->res->evidence) : NULL);
	json_object_object_add(w->state, "method", json_object_new_string(w->spec));
	json_object_object_add(w->state, "verify", json_object_new_int((int)w->verify));
	plans = json_object_new_array();
	for (i = 0; i < w->method.npasses; i++)
		json_object_array_add(plans, wipe_plan_json(&w->plans[i]));
	json_object_object_add(w->state, "plans", plans);
	if (w->have_probe_plan)
		json_object_object_add(w->state, "probe_plan", wipe_plan_json(&w->probe_plan));
	ct_time_utc(w->started, ts, sizeof(ts));
	json_object_object_add(w->state, "started", json_object_new_string(ts));
	json_object_object_add(w->state, "complete", json_object_new_boolean(0));
	if ((ret = wipe_state_save(w, "write", 0)) < 0)
		return wipe_err(w, ret, "cannot write %s: %s", path, strerror(-ret));
	return 0;
}

/* Read and parse the state file (small, regular, ours). */
static int
state_read(struct wipe *w, const char *path)
{
	struct stat st;
	char *text;
	ssize_t n;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return wipe_err(w, -ENOENT, "nothing to resume: no %s", path);
		return wipe_err(w, -errno, "cannot open %s: %s", path, strerror(errno));
	}
	w->state_fd = fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATE_MAX)
		return wipe_err(w, -EINVAL, "%s is not a wipe state file", path);
	if ((text = calloc(1, (size_t)st.st_size + 1)) == NULL)
		return -ENOMEM;
	n = pread(fd, text, (size_t)st.st_size, 0);
	w->state = n > 0 ? json_tokener_parse(text) : NULL;
	explicit_bzero(text, (size_t)st.st_size);
	free(text);
	if (w->state == NULL || !json_object_is_type(w->state, json_type_object))
		return wipe_err(w, -EINVAL, "%s is damaged: cannot resume", path);
	return 0;
}

/* The plans of the state file, each checked against the fingerprint the
 * wipe-start record gives for it. */
static int
state_plans(struct wipe *w, struct json_object *start_res, const char *path)
{
	struct json_object *arr = ct_json_get(w->state, "plans"), *fp = ct_json_get(start_res, "passes");
	char f[80];
	size_t i;

	if (arr == NULL || json_object_array_length(arr) != w->method.npasses ||
	    fp == NULL || json_object_array_length(fp) != w->method.npasses)
		return wipe_err(w, -EINVAL, "%s does not hold the %u passes of the wipe started in "
				"custody record %" PRIu64 ": not resuming", path, w->method.npasses,
				w->start_seq);
	for (i = 0; i < w->method.npasses; i++) {
		if (wipe_plan_from_json(json_object_array_get_idx(arr, i), &w->plans[i]) < 0)
			return wipe_err(w, -EINVAL, "%s is damaged (pass %zu): cannot resume", path, i + 1);
		wipe_plan_fingerprint(&w->plans[i], f);
		if (strcmp(f, ct_json_str(json_object_array_get_idx(fp, i), "fingerprint", "")))
			return wipe_err(w, -EINVAL, "%s: pass %zu is not the pass the wipe started in "
					"custody record %" PRIu64 " planned (its fingerprint differs): "
					"not resuming", path, i + 1, w->start_seq);
	}
	if (ct_json_get(w->state, "probe_plan")) {
		if (wipe_plan_from_json(ct_json_get(w->state, "probe_plan"), &w->probe_plan) < 0)
			return wipe_err(w, -EINVAL, "%s is damaged (probe): cannot resume", path);
		wipe_plan_fingerprint(&w->probe_plan, f);
		if (strcmp(f, ct_json_str(ct_json_get(start_res, "probe"), "fingerprint", "")))
			return wipe_err(w, -EINVAL, "%s: the address probe is not the one the wipe started "
					"in custody record %" PRIu64 " planned: not resuming", path,
					w->start_seq);
		w->have_probe_plan = 1;
	} else if (ct_json_get(start_res, "probe") && !json_object_is_type(ct_json_get(start_res, "probe"),
									    json_type_null)) {
		return wipe_err(w, -EINVAL, "%s lacks the address probe the wipe started in custody "
				"record %" PRIu64 " planned: not resuming", path, w->start_seq);
	}
	return 0;
}

/* Where the interrupted run stopped, and what it had done before. */
static int
state_progress(struct wipe *w, const char *path)
{
	struct json_object *done = ct_json_get(w->state, "passes_done");
	const char *phase = ct_json_str(w->state, "phase", "");
	int64_t pass = json_object_get_int64(ct_json_get(w->state, "pass"));
	int64_t off = json_object_get_int64(ct_json_get(w->state, "offset"));
	unsigned i;

	if (pass < 0 || (uint64_t)pass >= w->method.npasses || off < 0 || (uint64_t)off > w->dev.size ||
	    (strcmp(phase, "write") && strcmp(phase, "verify")))
		return wipe_err(w, -EINVAL, "%s is damaged (pass %" PRId64 ", phase '%s', offset %"
				PRId64 "): cannot resume", path, pass + 1, phase, off);
	w->first = (unsigned)pass;
	w->first_skip_write = !strcmp(phase, "verify");
	w->first_off = w->first_skip_write ? w->dev.size : (uint64_t)off / w->dev.lss * w->dev.lss;
	for (i = 0; i < w->first; i++) {
		struct json_object *p = json_object_array_get_idx(done, i);
		w->passes[i].reached = 1;
		w->passes[i].written_before = w->dev.size;
		w->passes[i].write_done = 1;
		w->passes[i].read_earlier = !strcmp(ct_json_str(p, "verified", ""), "match");
	}
	w->passes[w->first].reached = 1;
	w->passes[w->first].written_before = w->first_off;
	w->passes[w->first].write_done = w->first_skip_write;
	return 0;
}

int
wipe_state_load(struct wipe *w, struct json_object *start_rec, uint64_t start_seq,
		const char *start_hash)
{
	struct json_object *start_res = ct_json_get(start_rec, "result"), *sb;
	char path[PATH_MAX];
	const char *spec;
	struct tm tm;
	int ret;

	w->start_seq = start_seq;
	snprintf(w->start_hash, sizeof(w->start_hash), "%s", start_hash);
	if ((ret = state_path(w, path, sizeof(path))) < 0)
		return wipe_err(w, ret, "'%s/%s.wipe.state': the path is too long", w->dir, w->base);
	if ((ret = state_read(w, path)) < 0)
		return ret;
	if (json_object_get_boolean(ct_json_get(w->state, "complete")))
		return wipe_err(w, -EINVAL, "the wipe in %s already completed", path);
	/* bound to the record that started the wipe: that record, by number
	 * and by hash */
	sb = ct_json_get(w->state, "start");
	if ((uint64_t)json_object_get_int64(ct_json_get(sb, "seq")) != start_seq ||
	    strcmp(ct_json_str(sb, "sha256", ""), start_hash))
		return wipe_err(w, -EINVAL, "%s is not the state of the wipe started in custody record "
				"%" PRIu64 " (it names record %" PRId64 "%s): not resuming", path, start_seq,
				json_object_get_int64(ct_json_get(sb, "seq")),
				(uint64_t)json_object_get_int64(ct_json_get(sb, "seq")) == start_seq ?
				" with another hash" : "");
	spec = ct_json_str(w->state, "method", NULL);
	if (spec == NULL || strcmp(spec, ct_json_str(start_res, "method", "")) ||
	    json_object_get_int(ct_json_get(w->state, "verify")) !=
	    json_object_get_int(ct_json_get(start_res, "verify_mode")))
		return wipe_err(w, -EINVAL, "%s: the method or the verify mode is not the one the wipe "
				"started in custody record %" PRIu64 " planned: not resuming", path,
				start_seq);
	if (ct_wipe_method_parse(spec, &w->method, w->res->error, sizeof(w->res->error)) < 0)
		return -EINVAL;
	snprintf(w->spec, sizeof(w->spec), "%s", spec);
	w->verify = (enum ct_wipe_verify)json_object_get_int(ct_json_get(w->state, "verify"));
	if (!wipe_same_device(ct_json_get(w->state, "device"), ct_json_get(start_res, "device")))
		return wipe_err(w, -EINVAL, "%s names another device than the wipe started in custody "
				"record %" PRIu64 ": not resuming", path, start_seq);
	if ((ret = state_plans(w, start_res, path)) < 0 || (ret = state_progress(w, path)) < 0)
		return ret;
	memset(&tm, 0, sizeof(tm));
	if (strptime(ct_json_str(w->state, "started", ""), "%Y-%m-%dT%H:%M:%SZ", &tm))
		w->started = timegm(&tm);
	w->resumed = 1;
	return 0;
}

void
wipe_state_complete(struct wipe *w)
{
	if (w->state_fd < 0 || w->state == NULL)
		return;
	json_object_object_add(w->state, "complete", json_object_new_boolean(1));
	(void)wipe_state_save(w, "done", w->dev.size);
}

int
wipe_state_unfinished(const char *path)
{
	struct json_object *st;
	int ret;

	if (access(path, F_OK) < 0)
		return 0;
	st = json_object_from_file(path);
	ret = !json_object_get_boolean(ct_json_get(st, "complete"));
	json_object_put(st);
	return ret;
}

void
wipe_state_finish(struct wipe *w)
{
	/* The state file (with the pass keys) was a working file for
	 * --resume; once the wipe is certified and recorded it has no further
	 * use and would only block the next wipe of this card. */
	if (w->state_fd < 0)
		return;
	if (unlink(w->res->state_path) == 0) {
		close(w->state_fd);
		w->state_fd = -1;
		(void)ct_fsync_dir(w->dir);
		return;
	}
	wipe_state_complete(w);
}
