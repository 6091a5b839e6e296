/*
 * match.c — is this the card imaged in the case?
 *
 * Only an image whose record sits in a custody chain that verifies (with
 * the trusted keys, when given) counts, and only if its acquisition record
 * is the one that chain recorded.  A card and an image are then the same
 * when both know the card's CID (or serial) and it is the same; else by
 * content, compared with the image at the same offsets: sampled (the first
 * and the last MiB, the filesystem metadata of the image, and at least
 * 1024 sectors at offsets drawn from a fresh random seed, one in each of
 * 1024 equal stretches of the card), or every byte (--match full, which
 * also hashes the image through the same read and checks it against its
 * record).
 *
 * A card that an earlier wipe in the case changed is found through that
 * wipe's record: same device (size, sector size, serials, reader, loop
 * backing file), and the card holds what that wipe left there.  A resumed
 * wipe likewise: the card holds what the interrupted run can have left.
 * What the card may hold is a model (struct wipe_model): one pass over
 * [0, sure), perhaps up to maybe, and below it the previous pass or the
 * image with the address probe's blocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>
#include <json-c/json.h>
#include <tsk/libtsk.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "cardtrail/image.h"
#include "cardtrail/pipe.h"
#include "cardtrail/util.h"
#include "wipe/internal.h"

#define CHUNK (1u << 20)

/* ---- where to compare ---- */

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void
wipe_random_sectors(const unsigned char seed[32], uint64_t size, unsigned sector,
		    unsigned nrandom, uint64_t *offs)
{
	uint64_t nsec = size / sector;
	unsigned char in[40], d[32];
	unsigned i, k;

	memcpy(in, seed, 32);
	for (i = 0; i < nrandom; i++) {
		uint64_t lo = (uint64_t)((unsigned __int128)nsec * i / nrandom);
		uint64_t hi = (uint64_t)((unsigned __int128)nsec * (i + 1) / nrandom);

		for (k = 0; k < 8; k++)
			in[32 + k] = (unsigned char)((uint64_t)i >> (8 * k));
		gcry_md_hash_buffer(GCRY_MD_SHA256, d, in, sizeof(in));
		offs[i] = (hi > lo ? lo + le64(d) % (hi - lo) : lo) * sector;
	}
}

static int
cmp_range(const void *a, const void *b)
{
	const struct wipe_range *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Grow r to whole sectors inside [0, size). */
static struct wipe_range
aligned(struct wipe_range r, unsigned sector, uint64_t size)
{
	uint64_t end = r.off + r.len;

	r.off = r.off / sector * sector;
	end = (end + sector - 1) / sector * sector;
	if (end > size)
		end = size;
	r.len = end > r.off ? end - r.off : 0;
	return r;
}

void
wipe_samples_release(struct wipe_samples *s)
{
	free(s->meta);
	free(s->all);
	s->meta = s->all = NULL;
	s->nmeta = s->nall = 0;
}

int
wipe_samples_make(struct wipe_samples *s, uint64_t size, unsigned sector)
{
	uint64_t *offs = NULL;
	size_t n = 0, i;
	struct wipe_range *all;
	uint64_t edge = size < WIPE_MATCH_EDGE ? size : WIPE_MATCH_EDGE;

	s->nrandom = WIPE_MATCH_RANDOM;
	s->head = aligned((struct wipe_range){ 0, edge }, sector, size);
	s->tail = aligned((struct wipe_range){ size - edge, edge }, sector, size);
	all = malloc((2 + s->nmeta + s->nrandom) * sizeof(*all));
	offs = malloc(s->nrandom * sizeof(*offs));
	if (all == NULL || offs == NULL) {
		free(all);
		free(offs);
		return -ENOMEM;
	}
	wipe_random_sectors(s->seed, size, sector, s->nrandom, offs);
	all[n++] = s->head;
	all[n++] = s->tail;
	for (i = 0; i < s->nmeta; i++)
		all[n++] = aligned(s->meta[i], sector, size);
	for (i = 0; i < s->nrandom; i++)
		all[n++] = (struct wipe_range){ offs[i], sector };
	free(offs);
	qsort(all, n, sizeof(*all), cmp_range);
	/* merged: each byte compared once */
	s->nall = 0;
	s->bytes = 0;
	for (i = 0; i < n; i++) {
		struct wipe_range *last = s->nall ? &all[s->nall - 1] : NULL;
		if (all[i].len == 0)
			continue;
		if (last && all[i].off <= last->off + last->len) {
			uint64_t end = all[i].off + all[i].len;
			if (end > last->off + last->len)
				last->len = end - last->off;
			continue;
		}
		all[s->nall++] = all[i];
	}
	for (i = 0; i < s->nall; i++)
		s->bytes += all[i].len;
	s->all = all;
	return 0;
}

/*
 * Leave out of the sampled ranges the bytes the acquisition could not read
 * (its bad_ranges): the image holds zeros there, not the card's bytes, and
 * the card most likely still cannot give them.  Returns the bytes left out.
 */
static int
samples_exclude_bad(struct wipe_samples *s, struct json_object *acq, uint64_t *left_out)
{
	struct json_object *bad = ct_json_get(acq, "bad_ranges");
	size_t nb = bad && json_object_is_type(bad, json_type_array) ? json_object_array_length(bad) : 0;
	struct wipe_range *out;
	size_t i, j, n = 0, cap;

	*left_out = 0;
	if (nb == 0)
		return 0;
	/* the acquisition's ranges are sorted and apart: each splits at most
	 * one range in two, so nall + nb pieces are enough */
	cap = s->nall + nb;
	if ((out = malloc(cap * sizeof(*out))) == NULL)
		return -ENOMEM;
	for (i = 0; i < s->nall; i++) {
		uint64_t off = s->all[i].off, end = off + s->all[i].len;

		/* cut every bad range out of [off, end) */
		for (j = 0; j < nb && off < end; j++) {
			struct json_object *r = json_object_array_get_idx(bad, j);
			uint64_t bo = (uint64_t)json_object_get_int64(ct_json_get(r, "offset"));
			uint64_t be = bo + (uint64_t)json_object_get_int64(ct_json_get(r, "length"));

			if (be <= off || bo >= end)
				continue;
			if (bo > off && n < cap)
				out[n++] = (struct wipe_range){ off, bo - off };
			*left_out += (be < end ? be : end) - (bo > off ? bo : off);
			off = be < end ? be : end;
		}
		if (off < end && n < cap)
			out[n++] = (struct wipe_range){ off, end - off };
	}
	free(s->all);
	s->all = out;
	s->nall = n;
	s->bytes -= *left_out;
	return 0;
}

/* ---- filesystem metadata of the image (The Sleuth Kit) ---- */

struct meta_walk {
	TSK_DADDR_T end;	/* the first block that is not metadata */
	TSK_DADDR_T max;	/* the walk stops here anyway */
};

static TSK_WALK_RET_ENUM
meta_block(const TSK_FS_BLOCK *b, void *ctx)
{
	struct meta_walk *mw = ctx;

	if (!(b->flags & TSK_FS_BLOCK_FLAG_META) || b->addr >= mw->max)
		return TSK_WALK_STOP;
	mw->end = b->addr + 1;
	return TSK_WALK_CONT;
}

/*
 * The volume's metadata, as The Sleuth Kit flags its blocks: from the
 * start of the volume to the first block that is not metadata (boot
 * sectors, FATs, a FAT12/16 root directory; exFAT's up to its cluster
 * heap), and the first MiB after it (a FAT32 root directory, exFAT's
 * bitmap, up-case table and root directory).
 */
static void
add_fs_meta(TSK_FS_INFO *fs, struct wipe_samples *s, size_t cap)
{
	struct meta_walk mw = { .end = fs->first_block, .max = fs->first_block };
	uint64_t len, room = WIPE_MATCH_META_MAX - s->meta_bytes;

	if (s->nmeta >= cap || room == 0 || fs->block_size == 0)
		return;
	mw.max = fs->first_block + room / fs->block_size;
	/* every block is shown to the callback (META and CONT), which stops
	 * at the first that is not metadata: the walk costs the prefix only */
	tsk_fs_block_walk(fs, fs->first_block, fs->last_block,
			  TSK_FS_BLOCK_WALK_FLAG_META | TSK_FS_BLOCK_WALK_FLAG_CONT |
			  TSK_FS_BLOCK_WALK_FLAG_ALLOC | TSK_FS_BLOCK_WALK_FLAG_UNALLOC |
			  TSK_FS_BLOCK_WALK_FLAG_AONLY, meta_block, &mw);
	tsk_error_reset();
	len = (uint64_t)(mw.end - fs->first_block) * fs->block_size + WIPE_MATCH_EDGE;
	if (len > room)
		len = room;
	s->meta[s->nmeta++] = (struct wipe_range){ (uint64_t)fs->offset, len };
	s->meta_bytes += len;
}

/*
 * The metadata regions of the FAT and exFAT filesystems of the image of
 * acq (a partition table's, or one at 0).  None is not an error: a card
 * may hold no filesystem.
 */
static int
image_metadata(const char *casedir, struct json_object *acq, struct wipe_samples *s)
{
	const char *format;
	char **paths = NULL;
	size_t n = 0, cap = 16;
	TSK_IMG_INFO *img = NULL;
	TSK_VS_INFO *vs = NULL;
	TSK_FS_INFO *fs;
	int ret;

	if ((s->meta = calloc(cap, sizeof(*s->meta))) == NULL)
		return -ENOMEM;
	if ((ret = ct_image_paths(casedir, acq, &paths, &n, &format)) < 0)
		return ret;
	img = tsk_img_open_utf8((int)n, (const char *const *)paths,
				strcmp(format, "e01") ? TSK_IMG_TYPE_RAW : TSK_IMG_TYPE_EWF_EWF, 0);
	if (img == NULL)
		goto out;	/* no metadata to add; the image reader checked the files */
	if ((vs = tsk_vs_open(img, 0, TSK_VS_TYPE_DETECT)) != NULL) {
		TSK_PNUM_T k;
		for (k = 0; k < vs->part_count && s->nmeta < cap; k++) {
			const TSK_VS_PART_INFO *p = tsk_vs_part_get(vs, k);
			if (p == NULL || !(p->flags & TSK_VS_PART_FLAG_ALLOC))
				continue;
			if ((fs = tsk_fs_open_vol(p, TSK_FS_TYPE_FAT_DETECT)) != NULL) {
				add_fs_meta(fs, s, cap);
				tsk_fs_close(fs);
			}
			tsk_error_reset();
		}
	}
	tsk_error_reset();
	if (s->nmeta == 0 && (fs = tsk_fs_open_img(img, 0, TSK_FS_TYPE_FAT_DETECT)) != NULL) {
		add_fs_meta(fs, s, cap);	/* a superfloppy */
		tsk_fs_close(fs);
	}
	tsk_error_reset();
out:
	if (vs)
		tsk_vs_close(vs);
	if (img)
		tsk_img_close(img);
	ct_image_paths_free(paths);
	return 0;
}

/* ---- does the card hold what the model allows? ---- */

struct model_run {
	const struct wipe_model *m;
	struct ct_pass_cipher *c_cur, *c_prev, *c_probe;
	unsigned char *exp, *below, *pb;	/* cap bytes each; pb one probe block */
	size_t cap;
	uint64_t probe[WIPE_PROBE_BLOCKS + 1];
	size_t nprobe;
};

static void
run_close(struct model_run *r)
{
	ct_pass_cipher_close(r->c_cur);
	ct_pass_cipher_close(r->c_prev);
	ct_pass_cipher_close(r->c_probe);
	free(r->exp);
	free(r->below);
	free(r->pb);
	memset(r, 0, sizeof(*r));
}

static int
run_open(struct model_run *r, const struct wipe_model *m, size_t cap, uint64_t size)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->m = m;
	r->cap = cap;
	if ((m->cur && (ret = ct_pass_cipher_open(m->cur, &r->c_cur)) < 0) ||
	    (m->prev && (ret = ct_pass_cipher_open(m->prev, &r->c_prev)) < 0) ||
	    (m->probe && (ret = ct_pass_cipher_open(m->probe, &r->c_probe)) < 0))
		goto fail;
	r->exp = malloc(cap);
	r->below = malloc(cap);
	r->pb = malloc(WIPE_PROBE_SIZE);
	if (r->exp == NULL || r->below == NULL || r->pb == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	if (m->probe && !m->prev)
		r->nprobe = wipe_probe_offsets(size, r->probe);
	return 0;
fail:
	run_close(r);
	return ret;
}

/* The probe block holding [off, off+len), or -1. */
static int
probe_block(const struct model_run *r, uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < r->nprobe; i++)
		if (off >= r->probe[i] && off + len <= r->probe[i] + WIPE_PROBE_SIZE)
			return (int)i;
	return -1;
}

/*
 * buf holds the card's bytes at [off, off+len) (len <= cap, whole
 * sectors).  1 when every sector holds what the model allows there, 0 with
 * *at the first that does not, -errno.
 */
static int
run_check(struct model_run *r, const unsigned char *buf, size_t len, uint64_t off, unsigned sector,
	  uint64_t *at)
{
	const struct wipe_model *m = r->m;
	int have_cur = m->cur && off < m->maybe, have_below = off + len > m->sure;
	int below_known = m->prev || m->img;
	size_t s;
	int ret, pbi = -1;

	if (have_cur && (ret = ct_pass_fill(m->cur, r->c_cur, r->exp, len, off)) < 0)
		return ret;
	if (have_below && m->prev && (ret = ct_pass_fill(m->prev, r->c_prev, r->below, len, off)) < 0)
		return ret;
	if (have_below && !m->prev && m->img && (ret = ct_image_read(m->img, r->below, len, off)) < 0)
		return ret;
	for (s = 0; s < len; s += sector) {
		uint64_t o = off + s;
		int ok = 0, b;

		if (m->cur && o < m->maybe)
			ok = !memcmp(buf + s, r->exp + s, sector);
		if (!ok && o >= m->sure) {
			ok = !below_known || !memcmp(buf + s, r->below + s, sector);
			if (!ok && m->probe && (b = probe_block(r, o, sector)) >= 0) {
				if (b != pbi && (ret = ct_pass_fill(m->probe, r->c_probe, r->pb,
								    WIPE_PROBE_SIZE, r->probe[b])) < 0)
					return ret;
				pbi = b;
				ok = !memcmp(buf + s, r->pb + (o - r->probe[b]), sector);
			}
		}
		if (!ok) {
			*at = o;
			return 0;
		}
	}
	return 1;
}

int
wipe_model_check(struct ct_dev *dev, const struct wipe_model *m, const struct wipe_range *rg,
		 size_t n, uint64_t *at)
{
	struct model_run r;
	unsigned char *buf = ct_alloc_aligned(CHUNK);
	size_t i, got;
	int ret;

	if (buf == NULL)
		return -ENOMEM;
	if ((ret = run_open(&r, m, CHUNK, dev->size)) < 0) {
		free(buf);
		return ret;
	}
	ret = 1;
	for (i = 0; i < n && ret == 1; i++) {
		uint64_t off = rg[i].off, end = rg[i].off + rg[i].len;
		while (off < end && ret == 1) {
			size_t len = end - off < CHUNK ? (size_t)(end - off) : CHUNK;
			if ((ret = ct_dev_read(dev, buf, len, off, &got)) < 0)
				break;
			if (got < len) {
				ret = -EIO;
				break;
			}
			ret = run_check(&r, buf, len, off, dev->lss, at);
			off += len;
		}
	}
	run_close(&r);
	free(buf);
	return ret;
}

/* ---- every byte (--match full), through the pipeline ---- */

struct full_ctx {
	struct wipe *w;
	struct model_run run;
	int mismatch;
	uint64_t at;
	int read_errno;
	uint64_t read_err_off;
	gcry_md_hd_t md;	/* SHA-256 of the bytes read */
};

static int
full_read(void *ctx, struct ct_pipe_buf *b, size_t cap)
{
	struct full_ctx *f = ctx;

	if (__atomic_load_n(&f->mismatch, __ATOMIC_RELAXED))
		return 0;	/* the first difference settles it */
	return wipe_read_card(f->w, b, cap, "match", &f->read_errno, &f->read_err_off);
}

static int
full_compare(void *ctx, const struct ct_pipe_buf *b)
{
	struct full_ctx *f = ctx;
	int ret;

	if (f->mismatch)
		return 0;
	ret = run_check(&f->run, b->data, b->len, b->off, f->w->dev.lss, &f->at);
	if (ret == 0)
		__atomic_store_n(&f->mismatch, 1, __ATOMIC_RELAXED);
	return ret < 0 ? ret : 0;
}

static int
full_hash(void *ctx, const struct ct_pipe_buf *b)
{
	struct full_ctx *f = ctx;

	gcry_md_write(f->md, b->data, b->len);
	return 0;
}

/* Compare every byte with m; *sha256 (may be NULL) gets the SHA-256 of the
 * card's bytes, which are the image's when every byte matched it. */
static int
full_check(struct wipe *w, const struct wipe_model *m, uint64_t *at, char *sha256)
{
	struct full_ctx f;
	struct ct_consumer cons[2];
	struct ct_pipe_cfg cfg = { .bufsize = w->bufsize, .nslots = 8, .read = full_read };
	int ret, failed;

	memset(&f, 0, sizeof(f));
	f.w = w;
	if ((ret = run_open(&f.run, m, w->bufsize, w->dev.size)) < 0)
		return ret;
	if (gcry_md_open(&f.md, GCRY_MD_SHA256, 0)) {
		run_close(&f.run);
		return -ENOMEM;
	}
	cfg.read_ctx = &f;
	cons[0] = (struct ct_consumer){ .name = "compare", .consume = full_compare, .ctx = &f };
	cons[1] = (struct ct_consumer){ .name = "sha256", .consume = full_hash, .ctx = &f };
	w->t0 = ct_now();
	ret = ct_pipe_run(&cfg, cons, sha256 ? 2 : 1, &failed);
	if (ret == 0 && sha256 && !f.mismatch)
		ct_hex(gcry_md_read(f.md, GCRY_MD_SHA256), 32, sha256);
	if (ret == -EIO && f.read_errno)
		wipe_err(w, ret, "read error on '%s' at offset %" PRIu64 " while comparing it: %s",
			 w->o->device, f.read_err_off, strerror(f.read_errno));
	gcry_md_close(f.md);
	run_close(&f.run);
	if (ret < 0)
		return ret;
	*at = f.at;
	return !f.mismatch;
}

/* ---- the custody chain ---- */

/* Only what sits in a chain that verifies counts. */
static int
chain_trusted(struct wipe *w, struct json_object *match)
{
	struct ct_verify_opts vo = { .trust = w->o->trust, .chain_only = 1 };
	struct json_object *rep = NULL, *ch, *probs;
	int ret;

	ret = ct_custody_verify(w->o->casedir, &vo, &rep);
	if (ret == 1)
		return wipe_err(w, -ENOENT, "no custody log in '%s': image the card into the case "
				"before wiping it (or --no-image-check)", w->o->casedir);
	if (ret < 0)
		return wipe_err(w, ret, "cannot verify the custody log of '%s': %s", w->o->casedir,
				strerror(-ret));
	if (!json_object_get_boolean(ct_json_get(rep, "ok"))) {
		probs = ct_json_get(rep, "problems");
		ret = wipe_err(w, -EBADMSG, "the custody chain of '%s' does not verify (%s%s): no image "
			       "in it is trusted; see 'cardtrail verify %s'", w->o->casedir,
			       json_object_get_string(json_object_array_get_idx(probs, 0)),
			       json_object_array_length(probs) > 1 ? ", and more" : "", w->o->casedir);
		json_object_put(rep);
		return ret;
	}
	ch = json_object_new_object();
	json_object_object_add(ch, "records", json_object_get(ct_json_get(ct_json_get(rep, "counts"),
									      "records")));
	json_object_object_add(ch, "head", json_object_get(ct_json_get(rep, "head")));
	json_object_object_add(ch, "signatures", json_object_new_string(
		w->o->trust ? "every record signed by a trusted key" :
		"those present verified; signers not checked (no --key or --allowed-signers)"));
	json_object_object_add(match, "chain", ch);
	json_object_put(rep);
	return 0;
}

/* ---- the images of the case ---- */

struct image_cand {
	uint64_t seq;
	const char *evidence;
	struct json_object *rec, *acq;
	struct ct_image *reader;
};

static void
cand_release(struct image_cand *c)
{
	json_object_put(c->acq);
	ct_image_close(c->reader);
	memset(c, 0, sizeof(*c));
}

/* A complete image whose verification (image, source or both) matched. */
static int
image_verified(struct json_object *rec)
{
	struct json_object *res = ct_json_get(rec, "result"), *v = ct_json_get(res, "verify");

	return json_object_get_boolean(ct_json_get(res, "complete")) &&
	       (ct_json_get(v, "image") || ct_json_get(v, "source")) &&
	       (ct_json_get(v, "image") == NULL || json_object_get_boolean(ct_json_get(v, "image"))) &&
	       (ct_json_get(v, "source") == NULL || json_object_get_boolean(ct_json_get(v, "source")));
}

/* The acquisition record and the segments of image record rec, as the
 * chain recorded them.  0, or -errno with why (for the refusal). */
static int
cand_open(struct wipe *w, struct json_object *rec, struct image_cand *c, char *why, size_t len)
{
	struct json_object *outs = ct_json_get(rec, "outputs");
	const char *acq_name = NULL, *want = NULL;
	char path[PATH_MAX], hex[65];
	unsigned char d[32];
	size_t i;
	int ret;

	for (i = 0; outs && i < json_object_array_length(outs); i++) {
		struct json_object *f = json_object_array_get_idx(outs, i);
		if (!strcmp(ct_json_str(f, "role", ""), "acquisition-record")) {
			acq_name = ct_json_str(f, "path", NULL);
			want = ct_json_str(f, "sha256", NULL);
		}
	}
	if (acq_name == NULL || strchr(acq_name, '/') || want == NULL) {
		snprintf(why, len, "its record lists no acquisition record");
		return -EINVAL;
	}
	if (ct_snprintf(path, sizeof(path), "%s/%s", w->o->casedir, acq_name) < 0)
		return -ENAMETOOLONG;
	if ((ret = ct_sha256_file(path, d, NULL)) < 0) {
		snprintf(why, len, "cannot read %s: %s", acq_name, strerror(-ret));
		return ret;
	}
	ct_hex(d, 32, hex);
	if (strcmp(hex, want)) {
		snprintf(why, len, "%s is not the one its custody record lists", acq_name);
		return -EBADMSG;
	}
	if ((c->acq = json_object_from_file(path)) == NULL) {
		snprintf(why, len, "%s is not JSON", acq_name);
		return -EINVAL;
	}
	if ((ret = ct_image_open(w->o->casedir, c->acq, &c->reader, why, len)) < 0)
		return ret;
	c->rec = rec;
	return 0;
}

/* Do the card records a and b name the same card by CID or serial?  1 yes,
 * 0 they differ, -1 one of them cannot tell. */
static int
same_serial(struct json_object *a, struct json_object *b)
{
	static const char *const keys[] = { "cid", "serial" };
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(keys); i++) {
		const char *x = ct_json_str(a, keys[i], NULL), *y = ct_json_str(b, keys[i], NULL);
		if (x && y)
			return !strcmp(x, y);
	}
	return -1;
}

/* Compare the card with model m, sampled or in full: 1, 0 (*at), -errno.
 * samples (sampled) gets what was compared. */
static int
compare(struct wipe *w, const struct wipe_model *m, struct json_object *acq,
	struct json_object *match, uint64_t *at, char *sha256)
{
	struct wipe_samples s;
	struct json_object *j, *meta;
	uint64_t left_out = 0;
	char hex[65];
	size_t i;
	int ret;

	if (w->o->match == CT_WIPE_MATCH_FULL) {
		ret = full_check(w, m, at, sha256);
		json_object_object_add(match, "bytes_compared", wipe_jint(w->dev.size));
		return ret;
	}
	memset(&s, 0, sizeof(s));
	gcry_randomize(s.seed, sizeof(s.seed), GCRY_STRONG_RANDOM);
	if (acq && (ret = image_metadata(w->o->casedir, acq, &s)) < 0)
		goto out;
	if ((ret = wipe_samples_make(&s, w->dev.size, w->dev.lss)) < 0)
		goto out;
	if (acq && (ret = samples_exclude_bad(&s, acq, &left_out)) < 0)
		goto out;
	ret = wipe_model_check(&w->dev, m, s.all, s.nall, at);
	ct_hex(s.seed, sizeof(s.seed), hex);
	j = json_object_new_object();
	json_object_object_add(j, "seed", json_object_new_string(hex));
	json_object_object_add(j, "random_sectors", json_object_new_int((int)s.nrandom));
	json_object_object_add(j, "sector_size", json_object_new_int((int)w->dev.lss));
	json_object_object_add(j, "first_bytes", wipe_jint(s.head.len));
	json_object_object_add(j, "last_bytes", wipe_jint(s.tail.len));
	/* what fell into the acquisition's unreadable ranges: not compared */
	json_object_object_add(j, "unreadable_bytes_left_out", wipe_jint(left_out));
	meta = json_object_new_array();
	for (i = 0; i < s.nmeta; i++) {
		struct json_object *r = json_object_new_array();
		json_object_array_add(r, wipe_jint(s.meta[i].off));
		json_object_array_add(r, wipe_jint(s.meta[i].len));
		json_object_array_add(meta, r);
	}
	json_object_object_add(j, "metadata", meta);
	json_object_object_add(match, "sampled", j);
	json_object_object_add(match, "bytes_compared", wipe_jint(s.bytes));
out:
	wipe_samples_release(&s);
	return ret;
}

/* The card against the image of candidate c: 1, 0 (why), -errno. */
static int
match_image(struct wipe *w, struct image_cand *c, struct json_object *match, char *why, size_t len)
{
	struct wipe_model m = { .img = c->reader };
	const char *want = ct_json_str(ct_json_get(c->acq, "hashes"), "sha256", NULL);
	char sha[65] = "";
	uint64_t at = 0;
	int ret;

	json_object_object_add(match, "method", json_object_new_string(
		w->o->match == CT_WIPE_MATCH_FULL ? "full" : "sampled"));
	ret = compare(w, &m, c->acq, match, &at, sha);
	if (ret == 0)
		snprintf(why, len, "it differs from the image of %s at offset %" PRIu64, c->evidence, at);
	if (ret == 1 && w->o->match == CT_WIPE_MATCH_FULL) {
		/* the image, read whole through the same pass, is the one its
		 * record hashed */
		json_object_object_add(match, "image_sha256", json_object_new_string(sha));
		json_object_object_add(match, "image_sha256_recorded", json_object_new_string(want ? want : "?"));
		if (want == NULL || strcmp(sha, want)) {
			snprintf(why, len, "every byte equals the image of %s, but that image's SHA-256 is "
				 "%.16s…, its record says %.16s…: the image changed", c->evidence, sha,
				 want ? want : "nothing");
			ret = 0;
		}
	}
	return ret;
}

/* ---- what an earlier wipe left ---- */

struct left {
	struct ct_pass_plan cur, prev, probe;
	struct wipe_model m;
};

/* The model of left_on_card (of a wipe record, or the state of a run). */
static int
left_model(struct json_object *left, struct left *l)
{
	memset(l, 0, sizeof(*l));
	if (left == NULL || json_object_is_type(left, json_type_null) ||
	    wipe_plan_from_json(ct_json_get(left, "cur"), &l->cur) < 0)
		return -EINVAL;
	l->m.cur = &l->cur;
	l->m.sure = (uint64_t)json_object_get_int64(ct_json_get(left, "sure"));
	l->m.maybe = (uint64_t)json_object_get_int64(ct_json_get(left, "maybe"));
	if (ct_json_get(left, "prev") && !json_object_is_type(ct_json_get(left, "prev"), json_type_null)) {
		if (wipe_plan_from_json(ct_json_get(left, "prev"), &l->prev) < 0)
			return -EINVAL;
		l->m.prev = &l->prev;
	}
	if (ct_json_get(left, "probe") && !json_object_is_type(ct_json_get(left, "probe"), json_type_null)) {
		if (wipe_plan_from_json(ct_json_get(left, "probe"), &l->probe) < 0)
			return -EINVAL;
		l->m.probe = &l->probe;
	}
	return l->m.sure <= l->m.maybe ? 0 : -EINVAL;
}

/* The verified image record of evidence ev in the log (latest), opened. */
static int
evidence_image(struct wipe *w, const char *ev, struct image_cand *c)
{
	char why[256];
	size_t i;

	for (i = w->log.n; i-- > 0;) {
		struct json_object *r = w->log.lines[i].rec;
		if (strcmp(ct_json_str(r, "action", ""), "image") ||
		    strcmp(ct_json_str(ct_json_get(r, "subject"), "evidence", ""), ev) || !image_verified(r))
			continue;
		if (cand_open(w, r, c, why, sizeof(why)) == 0) {
			c->seq = i;
			c->evidence = ev;
			return 0;
		}
		cand_release(c);
	}
	return -ENOENT;
}

/* Is there a wipe record (action "wipe") that ends the wipe started in
 * record start? */
static int
ended(struct wipe *w, uint64_t start)
{
	size_t i;

	for (i = start + 1; i < w->log.n; i++) {
		struct json_object *r = w->log.lines[i].rec;
		if (!strcmp(ct_json_str(r, "action", ""), "wipe") &&
		    ct_json_get(ct_json_get(r, "result"), "start") &&
		    (uint64_t)json_object_get_int64(ct_json_get(ct_json_get(r, "result"), "start")) == start)
			return 1;
	}
	return 0;
}

/* The latest wipe of this device (started in the log, not ended): its
 * start record's index, or -1. */
static ssize_t
unfinished(struct wipe *w)
{
	size_t i;

	for (i = w->log.n; i-- > 0;) {
		struct json_object *r = w->log.lines[i].rec;
		if (!strcmp(ct_json_str(r, "action", ""), "wipe-start") &&
		    wipe_same_device(ct_json_get(ct_json_get(r, "result"), "device"), w->device))
			return ended(w, i) ? -1 : (ssize_t)i;
	}
	return -1;
}

void
wipe_set_base(struct wipe *w, const char *ev)
{
	const char *serial = ct_json_str(w->card, "serial", NULL), *dev = strrchr(w->o->device, '/');
	size_t i;

	snprintf(w->base, sizeof(w->base), "%s", ev && *ev ? ev : serial ? serial :
		 dev ? dev + 1 : w->o->device);
	for (i = 0; w->base[i]; i++)
		if (w->base[i] == '/' || (unsigned char)w->base[i] < 0x20)
			w->base[i] = '_';
}

/* Through the latest wipe record of this device that the card's content
 * still bears out: 1 (evidence and match set), 0 none, -errno. */
static int
match_retry(struct wipe *w, struct json_object *match, char *why, size_t len)
{
	size_t i;
	int ret;

	for (i = w->log.n; i-- > 0;) {
		struct json_object *r = w->log.lines[i].rec, *res = ct_json_get(r, "result");
		const char *ev = ct_json_str(ct_json_get(r, "subject"), "evidence", NULL);
		struct image_cand c;
		struct left l;
		uint64_t at = 0;

		if (strcmp(ct_json_str(r, "action", ""), "wipe") ||
		    !wipe_same_device(ct_json_get(res, "device"), w->device))
			continue;
		/* the latest wipe of this device decides: an older one is not
		 * what the card holds */
		if (ev == NULL) {
			snprintf(why, len, "the last wipe of this device (custody record %zu) was made with "
				 "--no-image-check and names no evidence", i);
			return 0;
		}
		if (left_model(ct_json_get(res, "left_on_card"), &l) < 0) {
			snprintf(why, len, "the last wipe of this device (custody record %zu) left nothing "
				 "it can be recognised by (%s)", i,
				 ct_json_str(res, "left_on_card_note", "discarded, formatted or failed"));
			return 0;
		}
		memset(&c, 0, sizeof(c));
		if (l.m.prev == NULL && evidence_image(w, ev, &c) < 0 && l.m.maybe < w->dev.size) {
			snprintf(why, len, "the last wipe of this device (custody record %zu) left part "
				 "of the card as imaged, and no verified image of %s is there to compare", i, ev);
			explicit_bzero(&l, sizeof(l));
			return 0;
		}
		l.m.img = c.reader;
		json_object_object_add(match, "method", json_object_new_string(
			w->o->match == CT_WIPE_MATCH_FULL ? "full" : "sampled"));
		ret = compare(w, &l.m, c.acq, match, &at, NULL);
		cand_release(&c);
		explicit_bzero(&l, sizeof(l));
		if (ret < 0)
			return ret;
		if (ret == 0) {
			snprintf(why, len, "it does not hold what the last wipe of this device (custody "
				 "record %zu) left there either (offset %" PRIu64 ")", i, at);
			return 0;
		}
		json_object_object_add(match, "retry_of", wipe_jint(i));
		json_object_object_add(match, "evidence", json_object_new_string(ev));
		snprintf(w->res->evidence, sizeof(w->res->evidence), "%s", ev);
		return 1;
	}
	return 0;
}

/* The image records of the case that could be this card, latest first:
 * 1 one matched (evidence and match set), 0 none, -errno. */
static int
match_images(struct wipe *w, struct json_object *match, char *why, size_t len, char *seen,
	     size_t seenlen)
{
	size_t i, sl = 0;
	int ret;

	for (i = w->log.n; i-- > 0;) {
		struct json_object *r = w->log.lines[i].rec, *card = ct_json_get(ct_json_get(r, "subject"), "card");
		const char *ev = ct_json_str(ct_json_get(r, "subject"), "evidence", NULL);
		struct image_cand c;
		char w2[512] = "";
		int ser;

		if (strcmp(ct_json_str(r, "action", ""), "image") || ev == NULL)
			continue;
		if (sl < seenlen)
			sl += (size_t)snprintf(seen + sl, seenlen - sl, "%s%s (%lld bytes%s%s%s)", sl ? ", " : "",
					       ev, (long long)json_object_get_int64(ct_json_get(card, "size")),
					       ct_json_str(card, "serial", NULL) ? ", serial " : "",
					       ct_json_str(card, "serial", ""),
					       image_verified(r) ? "" : ", not verified");
		if (!image_verified(r) ||
		    (uint64_t)json_object_get_int64(ct_json_get(card, "size")) != w->dev.size)
			continue;
		ser = same_serial(w->card, card);
		if (ser == 0)
			continue;	/* another card, by its serial */
		memset(&c, 0, sizeof(c));
		c.seq = i;
		c.evidence = ev;
		if ((ret = cand_open(w, r, &c, w2, sizeof(w2))) < 0) {
			snprintf(why, len, "the image of %s cannot be used: %s", ev, w2);
			cand_release(&c);
			continue;
		}
		if (ser == 1 && w->o->match != CT_WIPE_MATCH_FULL) {
			/* both know the card's own serial: serial and size decide
			 * (--match full asks for every byte all the same: a CID
			 * can be rewritten on some cards) */
			json_object_object_add(match, "method", json_object_new_string(
				ct_json_str(w->card, "cid", NULL) ? "cid" : "serial"));
			ret = 1;
		} else {
			ret = match_image(w, &c, match, w2, sizeof(w2));
		}
		cand_release(&c);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			snprintf(why, len, "%s", w2);
			continue;
		}
		json_object_object_add(match, "evidence", json_object_new_string(ev));
		json_object_object_add(match, "image_record", wipe_jint(i));
		snprintf(w->res->evidence, sizeof(w->res->evidence), "%s", ev);
		return 1;
	}
	return 0;
}

int
wipe_match(struct wipe *w)
{
	struct json_object *match = json_object_new_object();
	char why[700] = "", why2[700] = "", seen[1024] = "";
	ssize_t u;
	int ret;

	if ((ret = chain_trusted(w, match)) < 0)
		goto out;
	if ((u = unfinished(w)) >= 0) {
		const char *ev = ct_json_str(ct_json_get(w->log.lines[u].rec, "subject"), "evidence", NULL);
		char path[PATH_MAX];
		wipe_set_base(w, ev);
		if (ct_snprintf(path, sizeof(path), "%s/%s.wipe.state", w->dir, w->base) == 0 &&
		    wipe_state_unfinished(path)) {
			ret = wipe_err(w, -EEXIST, "a wipe of this card was started and not finished "
				       "(custody record %zd, state file %s): continue it with --resume", u,
				       path);
			goto out;
		}
	}
	if ((ret = match_images(w, match, why, sizeof(why), seen, sizeof(seen))) == 0) {
		/* start over: a new object, the images' attempt forgotten */
		struct json_object *m2 = json_object_new_object();
		json_object_object_add(m2, "chain", json_object_get(ct_json_get(match, "chain")));
		json_object_put(match);
		match = m2;
		ret = match_retry(w, match, why2, sizeof(why2));
	}
	if (ret < 0) {
		if (w->res->error[0] == '\0')
			wipe_err(w, ret, "cannot compare '%s' with the case's images: %s", w->o->device,
				 strerror(-ret));
		goto out;
	}
	if (ret == 0) {
		const char *serial = ct_json_str(w->card, "serial", NULL);
		ret = wipe_err(w, -EPERM, "'%s' (%" PRIu64 " bytes%s%s) matches no verified image in "
			       "'%s'%s%s%s%s%s%s: not the imaged card, or it changed since; image it "
			       "first (or --no-image-check)", w->o->device, w->dev.size,
			       serial ? ", serial " : "", serial ? serial : "", w->o->casedir,
			       why[0] ? ": " : "", why, why2[0] ? "; " : "", why2,
			       seen[0] ? "; imaged there: " : "", seen);
		goto out;
	}
	wipe_set_base(w, w->res->evidence);
	json_object_put(w->match);
	w->match = match;
	match = NULL;
	ret = 0;
out:
	json_object_put(match);
	return ret;
}

int
wipe_match_resume(struct wipe *w)
{
	struct json_object *match = json_object_new_object(), *start;
	struct image_cand c;
	struct wipe_model m;
	const char *ev;
	char hash[65];
	uint64_t at = 0;
	ssize_t u;
	int ret;

	memset(&c, 0, sizeof(c));
	if ((ret = chain_trusted(w, match)) < 0)
		goto out;
	if ((u = unfinished(w)) < 0) {
		ret = wipe_err(w, -ENOENT, "nothing to resume: no unfinished wipe of this device in the "
			       "custody log of '%s'", w->o->casedir);
		goto out;
	}
	start = w->log.lines[u].rec;
	ev = ct_json_str(ct_json_get(start, "subject"), "evidence", NULL);
	snprintf(w->res->evidence, sizeof(w->res->evidence), "%s", ev ? ev : "");
	wipe_set_base(w, ev);
	ct_sha256_hex(w->log.lines[u].bytes, w->log.lines[u].len, hash);
	if ((ret = wipe_state_load(w, start, (uint64_t)u, hash)) < 0)
		goto out;
	/* what the interrupted run can have left: the pass it was writing up
	 * to where it stopped (at least to the saved offset), and below it
	 * the pass before, or the card as imaged with the probe's blocks */
	memset(&m, 0, sizeof(m));
	m.cur = &w->plans[w->first];
	m.sure = w->first_skip_write ? w->dev.size : w->first_off;
	m.maybe = w->dev.size;
	if (w->first > 0)
		m.prev = &w->plans[w->first - 1];
	else if (w->have_probe_plan)
		m.probe = &w->probe_plan;
	if (m.prev == NULL && ev && evidence_image(w, ev, &c) == 0)
		m.img = c.reader;
	json_object_object_add(match, "method", json_object_new_string(
		w->o->match == CT_WIPE_MATCH_FULL ? "full" : "sampled"));
	ret = compare(w, &m, c.acq, match, &at, NULL);
	if (ret == 0)
		ret = wipe_err(w, -EPERM, "'%s' does not hold what the interrupted wipe (started in "
			       "custody record %zd) left there: the sector at offset %" PRIu64 " is "
			       "neither pass %u's pattern nor what was there before it; not resuming "
			       "(not that card, or it changed since)", w->o->device, u, at,
			       w->first + 1);
	if (ret < 0)
		goto out;
	json_object_object_add(match, "resume_of", wipe_jint((uint64_t)u));
	if (ev)
		json_object_object_add(match, "evidence", json_object_new_string(ev));
	json_object_put(w->match);
	w->match = match;
	match = NULL;
	ret = 0;
out:
	cand_release(&c);
	json_object_put(match);
	return ret;
}
