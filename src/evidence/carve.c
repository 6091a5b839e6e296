/*
 * carve.c — signatures in the space no file holds: the free blocks of
 * every volume (as the walk listed them) and the image outside any
 * volume (before the first partition, between them, after the last),
 * never past the image's end.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "extract_int.h"

#define SECTOR 512
#define MAX_CARVE (64ull << 20)
#define MAX_CARVED 100000	/* carved candidates: more is a hostile card */

static const struct {
	const char *ext;
	const unsigned char *magic;
	size_t len;
	size_t at;	/* where the magic sits after the start */
} sigs[] = {
	{ "ulg", (const unsigned char *)"ULog\x01\x12\x35", 7, 0 },
	{ "bin", (const unsigned char *)"\xa3\x95\x80\x80\x59" "FMT", 8, 0 },
	{ "jpg", (const unsigned char *)"\xff\xd8\xff\xe1", 4, 0 },
	{ "jpg", (const unsigned char *)"\xff\xd8\xff\xe0", 4, 0 },
	{ "srt", (const unsigned char *)"1\r\n00:00:", 9, 0 },
	{ "srt", (const unsigned char *)"1\n00:00:", 8, 0 },
	{ "DAT", (const unsigned char *)"LOGH", 4, 0 },
	{ "DAT", (const unsigned char *)"BUILD", 5, 16 },
	{ "DAT", (const unsigned char *)"DJI_LOG_V3", 10, 242 },
};

static int
sig_at(const unsigned char *p, size_t avail)
{
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(sigs); i++)
		if (avail >= sigs[i].at + sigs[i].len &&
		    !memcmp(p + sigs[i].at, sigs[i].magic, sigs[i].len))
			return (int)i;
	return -1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* The start offsets of the walked (not carved) files, sorted. */
static int
build_starts(struct ex *x)
{
	size_t i;

	x->starts = malloc((x->nitems ? x->nitems : 1) * sizeof(*x->starts));
	if (x->starts == NULL)
		return -ENOMEM;
	x->nstarts = 0;
	for (i = 0; i < x->nitems; i++)
		if (x->items[i].state != ST_CARVED && x->items[i].image_off)
			x->starts[x->nstarts++] = x->items[i].image_off;
	qsort(x->starts, x->nstarts, sizeof(*x->starts), cmp_u64);
	return 0;
}

/* Is there already a file (a deleted one) starting at this image offset? */
static int
known_start(struct ex *x, uint64_t off)
{
	return bsearch(&off, x->starts, x->nstarts, sizeof(*x->starts), cmp_u64) != NULL;
}

static int
add_span(struct span **v, size_t *n, size_t *cap, uint64_t off, uint64_t len)
{
	if (len == 0)
		return 0;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct span *s = realloc(*v, c * sizeof(*s));
		if (s == NULL)
			return -ENOMEM;
		*v = s;
		*cap = c;
	}
	(*v)[(*n)++] = (struct span){ off, len, 0 };
	return 0;
}

/*
 * What to scan, sorted: the free space the walk listed (cut at the image's
 * end), the image outside every volume, and all of a volume whose walk
 * did not end normally (its free space is not known).
 */
static int
regions(struct ex *x, struct span **out, size_t *nout)
{
	struct span *v = NULL, *vol = NULL;
	size_t n = 0, cap = 0, nv = 0, vcap = 0, i;
	uint64_t at = 0;
	int ret = 0;

	for (i = 0; i < x->nunalloc && ret == 0; i++) {
		struct span s = x->unalloc[i];
		if (s.off >= x->img_size || s.vol >= x->nvols || !x->vol_walked[s.vol])
			continue;
		if (s.len > x->img_size - s.off)
			s.len = x->img_size - s.off;
		ret = add_span(&v, &n, &cap, s.off, s.len);
	}
	/* (a volume whose walk failed is left out here: the space it
	 * covers is scanned as if it were outside every volume) */
	for (i = 0; i < x->nvols && ret == 0; i++)
		if (x->vol_walked[i])
			ret = add_span(&vol, &nv, &vcap, x->vols[i].offset, x->vols[i].in_image);
	if (ret == 0 && nv)
		qsort(vol, nv, sizeof(*vol), cmp_span);
	for (i = 0; i < nv && ret == 0; i++) {
		if (vol[i].off > at)
			ret = add_span(&v, &n, &cap, at, vol[i].off - at);
		if (vol[i].off + vol[i].len > at)
			at = vol[i].off + vol[i].len;
	}
	if (ret == 0 && at < x->img_size)
		ret = add_span(&v, &n, &cap, at, x->img_size - at);
	free(vol);
	if (ret < 0) {
		free(v);
		return ret;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_span);
	*out = v;
	*nout = n;
	return 0;
}

/* Add a carved candidate unless a walked file starts there; 1 when the
 * cap is reached (carving stops). */
static int
add_carved(struct ex *x, const struct item *it, size_t *cand_n)
{
	int ret;

	if (known_start(x, it->image_off))
		return 0;
	if (*cand_n >= MAX_CARVED) {
		ex_warn(x, "carving stopped after %u candidates: the free space holds more "
			"signatures than a card plausibly does (hostile or corrupt image?); the "
			"rest of the free space was not carved", (unsigned)MAX_CARVED);
		return 1;
	}
	if ((ret = ex_add_item(x, it)) < 0)
		return ret;
	(*cand_n)++;
	return 0;
}

/* Scan one region; the candidate still open at its end is closed there. */
static int
scan_region(struct ex *x, const struct span *r, size_t *cand_n, uint64_t total)
{
	uint64_t pos = 0, open_at = UINT64_MAX, before = x->res->st.unalloc_bytes;
	int open_sig = -1, ret;

	x->res->st.unalloc_bytes += r->len;
	while (pos < r->len) {
		size_t want = (size_t)(r->len - pos < CHUNK ? r->len - pos : CHUNK), k;
		ssize_t n = tsk_img_read(x->img, (TSK_OFF_T)(r->off + pos), (char *)x->buf, want);

		if (n <= 0) {
			tsk_error_reset();
			break;
		}
		for (k = 0; k + 8 <= (size_t)n; k += SECTOR) {
			int s = sig_at(x->buf + k, (size_t)n - k);
			uint64_t at = r->off + pos + k;

			if (s < 0)
				continue;
			if (open_sig >= 0) {
				struct item it = { .state = ST_CARVED, .image_off = open_at,
						   .size = at - open_at, .ext = sigs[open_sig].ext };
				if ((ret = add_carved(x, &it, cand_n)) != 0)
					return ret;
			}
			open_sig = s;
			open_at = at;
		}
		pos += (uint64_t)n;
		ex_progress(x, CT_EXTRACT_CARVE, before + pos, total, 0);
	}
	if (open_sig >= 0) {
		struct item it = { .state = ST_CARVED, .image_off = open_at,
				   .size = r->off + r->len - open_at, .ext = sigs[open_sig].ext,
				   .carve_truncated = 1 };
		return add_carved(x, &it, cand_n);
	}
	return 0;
}

/*
 * Scan the regions at every sector boundary for the signatures; a
 * candidate runs to the next signature or the end of its region (JPEG: to
 * its EOI; SRT: to the first NUL, see trim_carved), at most MAX_CARVE bytes.
 */
int
carve(struct ex *x)
{
	struct span *r = NULL;
	size_t nr = 0, i, cand_n = 0;
	double t0 = ct_now();
	uint64_t total = 0;
	int ret;

	if ((ret = build_starts(x)) < 0 || (ret = regions(x, &r, &nr)) < 0)
		return ret;
	for (i = 0; i < nr; i++)
		total += r[i].len;
	ex_phase(x, CT_EXTRACT_CARVE, total);
	for (i = 0; i < nr && ret == 0; i++)
		ret = scan_region(x, &r[i], &cand_n, total);
	free(r);
	/* what was scanned: all of it, or less when a read failed or the
	 * candidates' cap stopped carving */
	if (ret >= 0)
		ex_progress(x, CT_EXTRACT_CARVE, x->res->st.unalloc_bytes, total, 1);
	x->res->st.carve_seconds = ct_now() - t0;
	return ret < 0 ? ret : 0;
}

/*
 * Trim a carved candidate to its natural end where the format has one:
 * text at its first NUL; a JPEG at its LAST end-of-image marker before the
 * next candidate (an embedded thumbnail ends with one too).
 */
void
trim_carved(struct ex *x, struct item *it)
{
	uint64_t pos = 0, limit = it->size < MAX_CARVE ? it->size : MAX_CARVE, last_eoi = 0;
	int jpeg = !strcmp(it->ext, "jpg"), text = !strcmp(it->ext, "srt");
	unsigned char prev = 0;

	if (it->size > MAX_CARVE)
		it->carve_truncated = 1;
	it->size = limit;
	if (!jpeg && !text)
		return;
	while (pos < limit) {
		size_t want = (size_t)(limit - pos < CHUNK ? limit - pos : CHUNK), k;
		ssize_t n = tsk_img_read(x->img, (TSK_OFF_T)(it->image_off + pos), (char *)x->buf, want);
		if (n <= 0) {
			tsk_error_reset();
			break;
		}
		for (k = 0; k < (size_t)n; k++) {
			if (text && x->buf[k] == 0) {
				it->size = pos + k;
				it->carve_truncated = 0;
				return;
			}
			if (jpeg && prev == 0xff && x->buf[k] == 0xd9)
				last_eoi = pos + k + 1;
			prev = x->buf[k];
		}
		pos += (uint64_t)n;
	}
	if (jpeg && last_eoi) {
		it->size = last_eoi;
		it->carve_truncated = 0;
	}
}
