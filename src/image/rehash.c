/*
 * rehash.c — re-hash an image against its acquisition record (verify,
 * extract): every file present with its size, the whole-image hashes, each
 * segment's and the piecewise windows, read through the segment reader and
 * the same pipeline and hashers as the acquisition.  An E01's segment
 * files are hashed as files too (their header carries the case data), and
 * a chunk that fails its checksum is named.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "image/acq.h"

struct rehash {
	struct acq a;
	struct ct_image_opts o;
	struct ct_image_result res;
	struct json_object *rep, *rsegs;
};

static uint64_t
jget_u64(struct json_object *o, const char *k)
{
	return (uint64_t)json_object_get_int64(ct_json_get(o, k));
}

/* Each file the record lists: present, a regular file, of its size.
 * Returns 1 when one is not. */
static int
check_files(struct rehash *r, const char *casedir, struct json_object *acq,
	    struct json_object *segs)
{
	size_t i;
	int missing = 0;

	for (i = 0; i < json_object_array_length(segs); i++) {
		struct json_object *s = json_object_array_get_idx(segs, i), *rs;
		const char *name = ct_json_str(s, "path", "?"), *status = "present";
		char path[PATH_MAX];
		struct stat st;

		if (record_file_path(casedir, acq, name, path, sizeof(path)) < 0 ||
		    lstat(path, &st) < 0) {
			status = "missing";
			missing = 1;
		} else if (!S_ISREG(st.st_mode)) {
			status = "not a regular file";
			missing = 1;
		} else if ((uint64_t)st.st_size != jget_u64(s, "bytes")) {
			status = "size differs";
			missing = 1;
		}
		rs = json_object_new_object();
		jset(rs, "path", json_object_new_string(name));
		jset(rs, "bytes", jint(jget_u64(s, "bytes")));
		jset(rs, "status", json_object_new_string(status));
		json_object_array_add(r->rsegs, rs);
	}
	return missing;
}

/* The layout cardtrail writes, and the only one the hashers handle: every
 * segment but the last of one size, the last not empty and not larger, as
 * many as the size needs.  Sets up a->segs for the per-segment digests. */
static int
check_layout(struct rehash *r, const char *casedir, struct json_object *acq,
	     struct json_object *segs)
{
	struct acq *a = &r->a;
	char path[PATH_MAX];
	unsigned i;

	a->nseg = (unsigned)json_object_array_length(segs);
	a->segs = calloc(a->nseg, sizeof(*a->segs));
	if (a->segs == NULL)
		return -ENOMEM;
	for (i = 0; i < a->nseg; i++) {
		struct json_object *s = json_object_array_get_idx(segs, i);

		if (record_file_path(casedir, acq, ct_json_str(s, "path", NULL), path, sizeof(path)) < 0)
			return acq_error(a, -EINVAL, "the acquisition record of %s has a bad segment "
					 "list", a->id);
		a->segs[i].fd = -1;
		a->segs[i].off = jget_u64(s, "offset");
		a->segs[i].size = jget_u64(s, "bytes");
		snprintf(a->segs[i].name, sizeof(a->segs[i].name), "%s", ct_json_str(s, "path", "?"));
	}
	if (!a->sink->fixed_segments)
		return 0;	/* an E01: libewf knows where its chunks lie */
	a->split = a->nseg > 1 ? a->segs[0].size : 0;
	if (a->segs[a->nseg - 1].off + a->segs[a->nseg - 1].size != a->src.size)
		return acq_error(a, -EINVAL, "the segments of %s do not add up to its size", a->id);
	if (a->split) {
		for (i = 0; i + 1 < a->nseg; i++)
			if (a->segs[i].size != a->split)
				break;
		if (i + 1 < a->nseg || a->segs[a->nseg - 1].size == 0 ||
		    a->segs[a->nseg - 1].size > a->split ||
		    (a->src.size + a->split - 1) / a->split != a->nseg)
			return acq_error(a, -EINVAL, "the segment list of %s is not one cardtrail "
					 "writes (unequal segments)", a->id);
	} else if (a->segs[0].size != a->src.size) {
		return acq_error(a, -EINVAL, "the segment of %s does not hold the whole image", a->id);
	}
	return 0;
}

/* Whole-image hashes against the record; 1 if they match. */
static int
compare_whole(struct rehash *r, const struct hashers *h, struct json_object *hashes)
{
	struct json_object *rh = json_object_new_object();
	size_t i;
	int match = 1;

	for (i = 0; i < h->nh; i++) {
		const struct ct_hash_algo *al = &ct_hash_algos[h->hj[i].algo];
		char hex[2 * CT_HASH_MAXLEN + 1];
		const char *want = ct_json_str(hashes, al->name, NULL);

		ct_hex(h->hj[i].digest, al->len, hex);
		jset(rh, al->name, json_object_new_string(hex));
		if (want == NULL || strcmp(want, hex))
			match = 0;
	}
	jset(r->rep, "hashes", rh);
	return match;
}

/* An E01's segment files, hashed as files; 1 if all match. */
static int
compare_files(struct rehash *r, const char *casedir, struct json_object *acq,
	      struct json_object *segs)
{
	unsigned i;
	int match = 1;

	for (i = 0; i < r->a.nseg; i++) {
		struct json_object *s = json_object_array_get_idx(segs, i);
		struct json_object *rs = json_object_array_get_idx(r->rsegs, i);
		const char *want = ct_json_str(ct_json_get(s, "hashes"), "sha256", NULL);
		char path[PATH_MAX], hex[65];
		unsigned char d[32];
		int rc;

		rc = record_file_path(casedir, acq, ct_json_str(s, "path", NULL), path, sizeof(path));
		if (rc == 0)
			rc = ct_sha256_file(path, d, NULL);
		if (rc < 0) {
			jset(rs, "match", json_object_new_boolean(0));
			jset(rs, "error", json_object_new_string(strerror(-rc)));
			match = 0;
			continue;
		}
		ct_hex(d, 32, hex);
		jset(rs, "sha256", json_object_new_string(hex));
		jset(rs, "match", json_object_new_boolean(want && !strcmp(want, hex)));
		jset(rs, "mismatched_windows", json_object_new_array());
		if (!want || strcmp(want, hex))
			match = 0;
	}
	return match;
}

/* Each segment, each algorithm; 1 if all match. */
static int
compare_segments(struct rehash *r, const struct hashers *h, struct json_object *segs)
{
	struct acq *a = &r->a;
	unsigned i;
	size_t k;
	int match = 1;

	for (i = 0; i < a->nseg; i++) {
		struct json_object *s = json_object_array_get_idx(segs, i), *sh = ct_json_get(s, "hashes");
		struct json_object *rs = json_object_array_get_idx(r->rsegs, i);
		int seg_ok = 1;

		for (k = 0; k < h->nh; k++) {
			const struct ct_hash_algo *al = &ct_hash_algos[h->hj[k].algo];
			char hex[2 * CT_HASH_MAXLEN + 1];
			const char *want = sh ? ct_json_str(sh, al->name, NULL) : NULL;

			ct_hex(a->split ? a->segs[i].digest[h->hj[k].algo] : h->hj[k].digest, al->len, hex);
			if (want && strcmp(want, hex))
				seg_ok = 0;
			if (!strcmp(al->name, "sha256"))
				jset(rs, "sha256", json_object_new_string(hex));
		}
		jset(rs, "match", json_object_new_boolean(seg_ok));
		jset(rs, "mismatched_windows", json_object_new_array());
		if (!seg_ok)
			match = 0;
	}
	return match;
}

/* The windows name where the damage is; 1 if all match. */
static int
compare_windows(struct rehash *r, const struct hashers *h, struct json_object *rw)
{
	struct acq *a = &r->a;
	struct json_object *bad_w = json_object_new_array();
	uint64_t i;
	int match = 1;

	for (i = 0; h->windows && rw && i < h->wj.count && i < json_object_array_length(rw); i++) {
		struct json_object *w = json_object_array_get_idx(rw, i), *bw;
		const char *want = ct_json_str(w, "sha256", NULL);
		uint64_t off = i * a->window;
		struct segment *sg = a->sink->fixed_segments ? segment_at(a, off) : NULL;
		char hex[65];

		ct_hex(h->wj.digests[i], 32, hex);
		if (want && !strcmp(want, hex))
			continue;
		match = 0;
		bw = json_object_new_object();
		jset(bw, "index", jint(i));
		jset(bw, "offset", jint(off));
		jset(bw, "length", jint(jget_u64(w, "length")));
		if (sg)
			jset(bw, "segment", json_object_new_string(sg->name));
		json_object_array_add(bad_w, bw);
		if (sg) {
			struct json_object *rs = json_object_array_get_idx(r->rsegs, (size_t)(sg - a->segs));
			json_object_array_add(ct_json_get(rs, "mismatched_windows"), jint(i));
		}
	}
	jset(r->rep, "mismatched_windows", bad_w);
	if (!match) {
		struct json_object *b0 = json_object_array_get_idx(bad_w, 0);
		size_t nb = json_object_array_length(bad_w);

		acq_error(a, 0, "%zu window%s of %s differ%s, first #%d at offset %lld%s%s", nb,
			  nb == 1 ? "" : "s", a->id, nb == 1 ? "s" : "",
			  json_object_get_int(ct_json_get(b0, "index")),
			  (long long)json_object_get_int64(ct_json_get(b0, "offset")),
			  ct_json_get(b0, "segment") ? " in " : "", ct_json_str(b0, "segment", ""));
	}
	return match;
}

/* An adopted image: the hashes it stores against those it reads as now,
 * side by side, and what adopt found.  1 if it passes its own checks and
 * passed them when adopted. */
static int
check_adopted(struct rehash *r, const struct hashers *h, struct json_object *acq)
{
	struct acq *a = &r->a;
	struct json_object *ad = ct_json_get(acq, "adopted"), *out, *set;
	const char *status = ct_json_str(acq, "status", "");
	size_t k;
	int ok = 1;

	if (ad == NULL)
		return 1;
	out = json_object_new_object();
	jset(r->rep, "stored_hashes", out);
	if ((set = ct_json_get(ad, "stored_hashes")) == NULL)
		set = out;	/* none stored: an empty object */
	json_object_object_foreach(set, algo, sv) {
		const char *stored = ct_json_str(sv, "stored", NULL);
		char hex[2 * CT_HASH_MAXLEN + 1];
		struct json_object *e;

		for (k = 0; k < h->nh && strcmp(ct_hash_algos[h->hj[k].algo].name, algo); k++)
			;
		if (stored == NULL || k == h->nh)
			continue;	/* not computed: nothing to check it against */
		ct_hex(h->hj[k].digest, ct_hash_algos[h->hj[k].algo].len, hex);
		e = json_object_new_object();
		jset(e, "stored", json_object_new_string(stored));
		jset(e, "computed", json_object_new_string(hex));
		jset(e, "match", json_object_new_boolean(!strcmp(stored, hex)));
		jset(out, algo, e);
		if (strcmp(stored, hex)) {
			ok = 0;
			acq_error(a, 0, "the %s stored in %s is %s, the image reads as %s", algo, a->id,
				  stored, hex);
		}
	}
	/* what the adopt record found stands, whatever a re-read finds */
	if (strcmp(status, "complete") && strcmp(status, "complete-with-unreadable-sectors")) {
		ok = 0;
		acq_error(a, 0, "%s failed its own checks when adopted (%s): %s", a->id, status,
			  ct_json_str(acq, "error", "?"));
	}
	jset(r->rep, "adopted_ok", json_object_new_boolean(ok));
	return ok;
}

/* What the record says the image is: size, windows, format, algorithms. */
static int
rehash_setup(struct rehash *r, const char *casedir, struct json_object *acq,
	     struct json_object **segs, struct json_object **hashes)
{
	struct acq *a = &r->a;
	int ret;

	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	snprintf(a->casedir, sizeof(a->casedir), "%s", casedir);
	snprintf(a->id, sizeof(a->id), "%s", ct_json_str(acq, "evidence", "?"));
	a->src.size = jget_u64(acq, "bytes");
	a->window = jget_u64(acq, "window_size");
	a->sink = sink_of_record(acq);
	if (!json_object_object_get_ex(acq, "hashes", hashes) ||
	    !json_object_object_get_ex(acq, "segments", segs) ||
	    json_object_array_length(*segs) == 0)
		return acq_error(a, -EINVAL, "the acquisition record of %s has no hashes or "
				 "segments", a->id);
	if (a->sink == NULL)
		return acq_error(a, -EINVAL, "the acquisition record of %s names an unknown format",
				 a->id);
	json_object_object_foreach(*hashes, hname, hv) {
		int idx = ct_hash_lookup(hname);
		(void)hv;
		if (idx >= 0)
			a->mask |= 1u << idx;
	}
	return 0;
}

/* Read the image once through the hashers. */
static int
rehash_read(struct rehash *r, const char *casedir, struct json_object *acq, struct hashers *h)
{
	struct acq *a = &r->a;
	struct ct_consumer cons[MAX_CONSUMERS];
	struct ct_pipe_cfg cfg = { .bufsize = a->bufsize, .nslots = 16,
				   .read = image_pipe_read, .read_ctx = a };
	char err[512];
	int ret, failed;

	if ((ret = ct_image_open(casedir, acq, &a->img, err, sizeof(err))) < 0)
		return acq_error(a, ret, "%s", err);
	if ((ret = hashers_init(a, h, 1)) < 0)
		return ret;
	a->phase = CT_PROGRESS_VERIFY;
	return ct_pipe_run(&cfg, cons, hashers_consumers(h, cons, MAX_CONSUMERS), &failed);
}

int
ct_image_rehash(const char *casedir, struct json_object *acq, size_t bufsize,
		struct json_object **report)
{
	struct rehash r;
	struct acq *a = &r.a;
	struct hashers h;
	struct json_object *segs = NULL, *hashes = NULL;
	int ret = 0, match = 1;

	memset(&r, 0, sizeof(r));
	memset(&h, 0, sizeof(h));
	r.o.nslots = 16;
	a->o = &r.o;
	a->res = &r.res;
	a->src.fd = -1;
	a->map_fd = -1;
	a->rec_fd = -1;
	a->bufsize = bufsize ? bufsize : (1u << 20);
	pthread_mutex_init(&a->map_mu, NULL);
	r.rep = *report = json_object_new_object();
	r.rsegs = json_object_new_array();
	jset(r.rep, "segments", r.rsegs);

	if ((ret = rehash_setup(&r, casedir, acq, &segs, &hashes)) < 0 ||
	    (ret = check_layout(&r, casedir, acq, segs)) < 0)
		goto out;
	if (check_files(&r, casedir, acq, segs)) {
		match = 0;
		acq_error(a, 0, "a segment of %s is missing or has the wrong size", a->id);
		goto done;
	}
	if ((ret = rehash_read(&r, casedir, acq, &h)) < 0)
		goto out;
	if (a->damage[0]) {
		match = 0;
		jset(r.rep, "damaged_chunks", json_object_new_string(a->damage));
		acq_error(a, 0, "the image of %s is damaged: %s", a->id, a->damage);
	}
	match &= compare_whole(&r, &h, hashes);
	if (a->sink->fixed_segments)
		match &= compare_segments(&r, &h, segs);
	else
		match &= compare_files(&r, casedir, acq, segs);
	match &= compare_windows(&r, &h, ct_json_get(acq, "windows"));
	if (!match)
		acq_error(a, 0, "the hashes of %s differ from its acquisition record", a->id);
	match &= check_adopted(&r, &h, acq);
done:
	jset(r.rep, "match", json_object_new_boolean(match));
	if (!match)
		jset(r.rep, "error", json_object_new_string(r.res.error));
	ret = 0;
out:
	if (ret < 0) {
		jset(r.rep, "match", json_object_new_boolean(0));
		jset(r.rep, "error", json_object_new_string(r.res.error[0] ? r.res.error :
							     strerror(-ret)));
	}
	ct_image_close(a->img);
	hashers_release(&h);
	free(a->segs);
	pthread_mutex_destroy(&a->map_mu);
	return ret;
}
