/*
 * extract.c — `cardtrail extract`: The Sleuth Kit lists the card (walk.c),
 * the files are read from the image by the byte ranges it found, the
 * parser table reads the flight data, libarchive writes the bundle.
 *
 * Steps (ct_extract_run): check the image against its acquisition record
 * (and take its unreadable ranges), open the image, walk it, carve the
 * space no file holds, then bundle every file: its bytes, what could not
 * be read, its tracks, its manifest entry.
 *
 * Times: FAT stores local wall-clock time without a zone.  The process
 * runs with TZ=UTC (set by the command) so libtsk hands the stored values
 * through unchanged; the manifest prints them without a "Z" and says so.
 * exFAT times with a valid UTC offset are converted to UTC (walk.c).
 *
 * Reproducible: the bundle holds what the image and the options decide and
 * nothing of the run.  Generated members are dated by the acquisition's
 * end (0 for a bare image), the image is named by its file name, the tool
 * by its version and parser set (library versions, time, host and
 * examiner go into the custody record).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <gcrypt.h>
#include <json-c/json.h>
#include <tsk/libtsk.h>

#include "cardtrail/custody.h"
#include "cardtrail/evidence.h"
#include "cardtrail/flight.h"
#include "cardtrail/hash.h"
#include "cardtrail/image.h"
#include "cardtrail/tracks.h"
#include "cardtrail/util.h"
#include "extract_int.h"
#include "isolate.h"
#include "walk.h"

#define HEAD 4096
#define MAX_PATH_BYTES 900
#define MAX_UNREADABLE_LISTED 100	/* ranges listed per file in the manifest */

static const char *const state_names[] = { "allocated", "deleted", "carved" };

int
exerr(struct ex *x, int err, const char *fmt, ...)
{
	va_list ap;

	if (x->res->error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(x->res->error, sizeof(x->res->error), fmt, ap);
		va_end(ap);
	}
	return err;
}

/* A warning about the extraction as a whole (MANIFEST's "warnings"). */
void
ex_warn(struct ex *x, const char *fmt, ...)
{
	char buf[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_array_add(x->warnings, json_object_new_string(buf));
}

int
ex_add_item(struct ex *x, const struct item *it)
{
	if (x->nitems == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 256;
		struct item *n = realloc(x->items, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		x->items = n;
		x->cap = cap;
	}
	x->items[x->nitems++] = *it;
	return 0;
}

void
ex_progress(struct ex *x, enum ct_extract_phase phase, uint64_t done, uint64_t total, int final)
{
	struct ct_extract_progress p;
	double now;

	if (x->o->progress == NULL)
		return;
	now = ct_now();
	if (!final && now - x->prog_last < 0.2)
		return;
	x->prog_last = now;
	p.phase = phase;
	p.done = done;
	p.total = total;
	p.bytes = phase == CT_EXTRACT_BUNDLE ? x->res->st.bytes_bundled : 0;
	p.elapsed = now - x->prog_t0;
	p.final = final;
	x->o->progress(&p, x->o->progress_ctx);
}

void
ex_phase(struct ex *x, enum ct_extract_phase phase, uint64_t total)
{
	x->prog_t0 = ct_now();
	x->prog_last = 0;
	ex_progress(x, phase, 0, total, 0);
}

/* ---- the image ---- */

static int
cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* The acquisition's unreadable ranges (bad_ranges), sorted. */
static int
load_bad_ranges(struct ex *x, struct json_object *acq)
{
	struct json_object *b = ct_json_get(acq, "bad_ranges");
	size_t n = b ? json_object_array_length(b) : 0, i;

	if (n == 0)
		return 0;
	if ((x->bad = calloc(n, sizeof(*x->bad))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(b, i);
		int64_t off = json_object_get_int64(ct_json_get(r, "offset"));
		int64_t len = json_object_get_int64(ct_json_get(r, "length"));
		if (off < 0 || len <= 0)
			continue;
		x->bad[x->nbad++] = (struct span){ (uint64_t)off, (uint64_t)len, 0 };
	}
	qsort(x->bad, x->nbad, sizeof(*x->bad), cmp_span);
	x->res->bad_ranges = x->nbad;
	return 0;
}

/* ---- the walk's records ---- */

static int
on_volume(void *ctx, const struct ct_wvolume *v)
{
	struct ex *x = ctx;

	if (x->nvols >= CT_WALK_MAX_VOLUMES || v->index != x->nvols)
		return -EPROTO;
	x->vols[x->nvols++] = *v;
	x->res->st.volumes = x->nvols;
	/* a set cut short, or a filesystem that claims more than it has:
	 * which one, the image cannot tell (the walk's warning says how much) */
	if (v->in_image < v->size)
		x->res->cut_short = 1;
	return 0;
}

static int
on_item(void *ctx, const struct ct_witem *w)
{
	struct ex *x = ctx;
	struct item it;
	uint32_t i;

	if (w->vol >= x->nvols)
		return -EPROTO;
	if (x->nruns + w->nruns > x->runcap) {
		size_t cap = x->runcap ? x->runcap : 256;
		struct ct_run *r;
		while (cap < x->nruns + w->nruns)
			cap *= 2;
		if ((r = realloc(x->runs, cap * sizeof(*r))) == NULL)
			return -ENOMEM;
		x->runs = r;
		x->runcap = cap;
	}
	memset(&it, 0, sizeof(it));
	it.state = w->deleted ? ST_DELETED : ST_ALLOC;
	it.orphan = w->orphan;
	it.overwritten = w->overwritten;
	it.wflags = w->flags;
	it.vol = w->vol;
	it.inum = w->inum;
	it.size = w->size;
	it.mtime = w->mtime;
	it.atime = w->atime;
	it.crtime = w->crtime;
	it.name_off = w->name_off;
	it.run0 = x->nruns;
	it.nruns = w->nruns;
	for (i = 0; i < w->nruns; i++) {
		x->runs[x->nruns++] = w->runs[i];
		if (it.image_off == 0 && w->runs[i].img_off != CT_RUN_ZERO)
			it.image_off = w->runs[i].img_off;
	}
	if ((it.path = strdup(w->path)) == NULL)
		return -ENOMEM;
	if (ex_add_item(x, &it) < 0) {
		free(it.path);
		return -ENOMEM;
	}
	ex_progress(x, CT_EXTRACT_WALK, x->nitems, 0, 0);
	return 0;
}

static int
on_alias(void *ctx, uint32_t vol, const char *path, const char *also_at)
{
	struct ex *x = ctx;
	struct alias *a;

	if (x->naliases == x->aliascap) {
		size_t cap = x->aliascap ? x->aliascap * 2 : 16;
		if ((a = realloc(x->aliases, cap * sizeof(*a))) == NULL)
			return -ENOMEM;
		x->aliases = a;
		x->aliascap = cap;
	}
	a = &x->aliases[x->naliases];
	a->vol = vol;
	a->path = strdup(path);
	a->also_at = strdup(also_at);
	if (a->path == NULL || a->also_at == NULL) {
		free(a->path);
		free(a->also_at);
		return -ENOMEM;
	}
	x->naliases++;
	return 0;
}

static int
on_unalloc(void *ctx, uint32_t vol, uint64_t off, uint64_t len)
{
	struct ex *x = ctx;
	struct span *s;

	(void)vol;
	if (x->nunalloc == x->unalloccap) {
		size_t cap = x->unalloccap ? x->unalloccap * 2 : 256;
		if ((s = realloc(x->unalloc, cap * sizeof(*s))) == NULL)
			return -ENOMEM;
		x->unalloc = s;
		x->unalloccap = cap;
	}
	x->unalloc[x->nunalloc++] = (struct span){ off, len, vol };
	return 0;
}

static int
on_warn(void *ctx, uint32_t vol, const char *text)
{
	struct ex *x = ctx;

	if (vol < x->nvols)
		ex_warn(x, "volume %u: %s", vol + 1, text);
	else
		ex_warn(x, "%s", text);
	return 0;
}

static int
on_done(void *ctx, uint32_t vol, int ok)
{
	struct ex *x = ctx;

	if (vol < x->nvols)
		x->vol_walked[vol] = ok != 0;
	if (!ok)
		x->res->incomplete = 1;
	return 0;
}

/*
 * The walk, volume by volume, each in a child process (isolate.c).  A
 * volume whose walk did not end normally is incomplete; what it reported
 * stays, and carve() scans all of it.
 */
static int
walk_card(struct ex *x, int nseg, char *const *segs, int ewf)
{
	const struct ct_walk_sink sink = {
		on_volume, on_item, on_alias, on_unalloc, on_warn, on_done, x,
	};
	const struct ct_isolate_opts io = {
		.seconds = x->o->walk_timeout > 0 ? x->o->walk_timeout : CT_ISOLATE_SECONDS,
		.max_bytes = CT_ISOLATE_MAX_BYTES,
		.max_items = x->o->max_files ? x->o->max_files : CT_WALK_MAX_ITEMS,
		.exe = x->o->walk_exe,
		.nseg = nseg,
		.segs = segs,
		.ewf = ewf,
	};
	const char *image_name = segs[0];
	size_t k;
	int ret;

	ex_phase(x, CT_EXTRACT_WALK, 0);
	ret = x->o->walk_in_process ? ct_walk_image(x->img, -1, io.max_items, &sink) :
	      ct_walk_isolated(x->img, &io, &sink);
	if (ret >= 0)
		ex_progress(x, CT_EXTRACT_WALK, x->nitems, 0, 1);
	if (ret == 1)
		return exerr(x, -EINVAL, "no FAT or exFAT filesystem found in '%s'", image_name);
	if (ret == -ENOEXEC)
		return exerr(x, ret, "the walk of '%s' needs a child process, and this process "
			     "has threads: it must be spawned (walk_exe), not forked", image_name);
	if (ret < 0)
		return exerr(x, ret, "the walk of '%s' failed: %s", image_name, strerror(-ret));
	if (ret == 2)
		x->res->incomplete = 1;	/* nothing known: the image is carved whole */
	for (k = 0; k < x->nvols; k++)
		if (!x->vol_walked[k])
			x->res->incomplete = 1;
	return 0;
}

/* Folders reached by more than one path (a damaged or crafted tree: a
 * loop, or a folder DAG with 2^N paths): said once per volume. */
static void
alias_warnings(struct ex *x)
{
	size_t i, j;

	for (i = 0; i < x->naliases; i = j) {
		for (j = i; j < x->naliases && x->aliases[j].vol == x->aliases[i].vol; j++)
			;
		ex_warn(x, "volume %u: %zu folder entries lead to a folder reached before by "
			"another path (a damaged or crafted directory tree): each folder is "
			"extracted once, its other paths are its \"also_at\"",
			x->aliases[i].vol + 1, j - i);
	}
}

/* ---- a file's content ---- */

/* What a member holds: the file's bytes by its ranges, zeros where the
 * card has none. */
struct content {
	struct ex *x;
	const struct item *it;
	const struct ct_run *runs;
	size_t nruns;
	struct ct_run carved;	/* a carved candidate's one range */
	uint64_t mapped;	/* bytes the ranges cover */
	uint64_t size;		/* bytes the member holds */
	/* file ranges with no data from the card (sorted, merged), and among
	 * them those the acquisition could not read */
	struct ct_hole *holes;
	size_t nholes, holecap;
	struct json_object *unreadable;	/* [{file_offset, length, image_offset}] */
	uint64_t unreadable_bytes, zero_filled, sparse;
	int partial;		/* cut to the readable length */
	int not_bundled;	/* over the zero-fill budget with nothing readable */
};

static int
content_read(void *ctx, void *buf, size_t len, uint64_t off, size_t *got)
{
	struct content *c = ctx;
	unsigned char *b = buf;
	uint64_t at = 0;
	size_t i, done = 0;

	*got = 0;
	if (off >= c->size)
		return 0;
	if (len > c->size - off)
		len = (size_t)(c->size - off);
	for (i = 0; i < c->nruns && done < len; i++) {
		const struct ct_run *r = &c->runs[i];
		uint64_t pos = off + done;
		size_t n;

		if (pos >= at + r->len) {
			at += r->len;
			continue;
		}
		n = (size_t)(at + r->len - pos < len - done ? at + r->len - pos : len - done);
		if (r->img_off == CT_RUN_ZERO) {
			memset(b + done, 0, n);
		} else {
			ssize_t k = tsk_img_read(c->x->img, (TSK_OFF_T)(r->img_off + (pos - at)),
						 (char *)b + done, n);
			if (k < 0) {
				tsk_error_reset();
				return -EIO;
			}
			if ((size_t)k < n)
				memset(b + done + k, 0, n - (size_t)k);
		}
		done += n;
		at += r->len;
	}
	/* past what the ranges cover: zero-filled */
	memset(b + done, 0, len - done);
	*got = len;
	return 0;
}

static int
add_hole(struct content *c, uint64_t off, uint64_t len)
{
	struct ct_hole *h;

	if (len == 0)
		return 0;
	if (c->nholes && c->holes[c->nholes - 1].off + c->holes[c->nholes - 1].len >= off) {
		h = &c->holes[c->nholes - 1];
		if (off + len > h->off + h->len)
			h->len = off + len - h->off;
		return 0;
	}
	if (c->nholes == c->holecap) {
		size_t cap = c->holecap ? c->holecap * 2 : 8;
		if ((h = realloc(c->holes, cap * sizeof(*h))) == NULL)
			return -ENOMEM;
		c->holes = h;
		c->holecap = cap;
	}
	c->holes[c->nholes++] = (struct ct_hole){ off, len };
	return 0;
}

/* The acquisition's unreadable ranges that fall into run r (at file
 * offset at): holes, and listed. */
static int
map_unreadable(struct content *c, const struct ct_run *r, uint64_t at)
{
	const struct ex *x = c->x;
	size_t lo = 0, hi = x->nbad;
	int ret;

	/* the first bad range that ends after the run starts */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->bad[mid].off + x->bad[mid].len <= r->img_off)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < x->nbad && x->bad[lo].off < r->img_off + r->len; lo++) {
		uint64_t s = x->bad[lo].off > r->img_off ? x->bad[lo].off : r->img_off;
		uint64_t e = x->bad[lo].off + x->bad[lo].len;
		uint64_t fo;

		if (e > r->img_off + r->len)
			e = r->img_off + r->len;
		fo = at + (s - r->img_off);
		if (fo >= c->size)
			break;
		if (fo + (e - s) > c->size)
			e = s + (c->size - fo);
		c->unreadable_bytes += e - s;
		if ((ret = add_hole(c, fo, e - s)) < 0)
			return ret;
		if (json_object_array_length(c->unreadable) < MAX_UNREADABLE_LISTED) {
			struct json_object *u = json_object_new_object();
			json_object_object_add(u, "file_offset", json_object_new_int64((int64_t)fo));
			json_object_object_add(u, "length", json_object_new_int64((int64_t)(e - s)));
			json_object_object_add(u, "image_offset", json_object_new_int64((int64_t)s));
			json_object_array_add(c->unreadable, u);
		}
	}
	return 0;
}

/*
 * Decide what the member holds and where it has no data from the card:
 * sparse runs, the acquisition's unreadable sectors, and what lies past
 * the ranges.  An entry whose extent runs past the volume or the image is
 * bundled with the bytes there are (partial); a shorter chain is
 * zero-filled up to the size the entry claims, as long as the budget of
 * zero-fill (the size of the volumes) lasts, and cut after that.
 */
static int
content_plan(struct content *c)
{
	struct ex *x = c->x;
	const struct item *it = c->it;
	uint64_t at = 0, missing;
	size_t i;
	int ret;

	if (it->state == ST_CARVED) {
		c->carved = (struct ct_run){ it->image_off, it->size };
		c->runs = &c->carved;
		c->nruns = 1;
	} else {
		c->runs = x->runs + it->run0;
		c->nruns = it->nruns;
	}
	for (i = 0; i < c->nruns; i++)
		c->mapped += c->runs[i].len;
	if (c->mapped > it->size)
		c->mapped = it->size;
	c->size = it->size;
	missing = c->size - c->mapped;
	if (missing && (it->wflags & (CT_WF_PAST_VOLUME | CT_WF_PAST_IMAGE))) {
		c->size = c->mapped;
		c->partial = 1;
	} else if (missing > x->zero_budget) {
		c->size = c->mapped;
		c->partial = 1;
		c->not_bundled = c->mapped == 0;
	} else if (missing) {
		x->zero_budget -= missing;
		c->zero_filled = missing;
	}
	if ((c->unreadable = json_object_new_array()) == NULL)
		return -ENOMEM;
	for (i = 0; i < c->nruns && at < c->size; i++) {
		const struct ct_run *r = &c->runs[i];
		uint64_t len = r->len < c->size - at ? r->len : c->size - at;

		if (r->img_off == CT_RUN_ZERO) {
			c->sparse += len;
			ret = add_hole(c, at, len);
		} else {
			ret = map_unreadable(c, r, at);
		}
		if (ret < 0)
			return ret;
		at += r->len;
	}
	if (c->mapped < c->size)
		return add_hole(c, c->mapped, c->size - c->mapped);
	return 0;
}

static void
content_release(struct content *c)
{
	free(c->holes);
	json_object_put(c->unreadable);
}

/* Stream a member into the bundle, hashing it. */
static int
add_stream(struct ex *x, const char *name, const struct ct_input *in, int64_t mtime,
	   char hex[65])
{
	gcry_md_hd_t h;
	uint64_t off = 0;
	int ret;

	if ((ret = bundle_entry_begin(x, name, in->size, mtime)) < 0)
		return ret;
	if (gcry_md_open(&h, GCRY_MD_SHA256, 0))
		return -ENOMEM;
	while (off < in->size) {
		size_t want = (size_t)(in->size - off < CHUNK ? in->size - off : CHUNK), got = 0;
		if (in->read(in->ctx, x->buf, want, off, &got) < 0 || got < want)
			/* the image itself ended or failed: the header promised
			 * the size (the read already said where) */
			memset(x->buf + got, 0, want - got);
		gcry_md_write(h, x->buf, want);
		if ((ret = bundle_entry_data(x, x->buf, want)) < 0)
			break;
		off += want;
	}
	if (ret == 0) {
		ct_hex(gcry_md_read(h, GCRY_MD_SHA256), 32, hex);
		bundle_add_sum(x, name, hex);
	}
	gcry_md_close(h);
	return ret;
}

/* ---- per file ---- */

/*
 * A time as stored into times: KEY (ISO 8601: a date only for a FAT
 * access time, "Z" for UTC), KEY_basis ("local" or "utc") and, for a time
 * converted with an exFAT offset, KEY_utc_offset; KEY null when there is
 * none.
 */
static void
add_time(struct json_object *times, const char *key, const struct ct_wtime *t)
{
	char buf[48], k[40];
	struct tm tm;
	time_t tt = (time_t)t->sec;

	if (t->kind == CT_WT_NONE || gmtime_r(&tt, &tm) == NULL) {
		json_object_object_add(times, key, NULL);
		return;
	}
	strftime(buf, sizeof(buf), t->kind == CT_WT_LOCAL_DATE ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%S",
		 &tm);
	if (t->kind != CT_WT_LOCAL_DATE && t->nsec)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%02u", t->nsec / 10000000u);
	if (t->kind == CT_WT_UTC)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "Z");
	json_object_object_add(times, key, json_object_new_string(buf));
	snprintf(k, sizeof(k), "%s_basis", key);
	json_object_object_add(times, k, json_object_new_string(t->kind == CT_WT_UTC ? "utc" :
								  "local"));
	if (t->kind == CT_WT_UTC) {
		int m = t->offset_min < 0 ? -t->offset_min : t->offset_min;
		snprintf(buf, sizeof(buf), "%c%02d:%02d", t->offset_min < 0 ? '-' : '+', m / 60,
			 m % 60);
		snprintf(k, sizeof(k), "%s_utc_offset", key);
		json_object_object_add(times, k, json_object_new_string(buf));
	}
}

/* tracks/NNNN_<file name>: numbered (paths that differ only in where
 * their slashes are cannot collide) and short (a name fits in 255 bytes). */
static void
track_name(struct ex *x, const char *bundle_path, char *out, size_t len)
{
	const char *b = strrchr(bundle_path, '/');
	char shortname[101];
	size_t n;

	b = b ? b + 1 : bundle_path;
	n = strlen(b);
	if (n > 100) {
		/* cut at a UTF-8 character boundary */
		n = 100;
		while (n > 0 && ((unsigned char)b[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(shortname, b, n);
	shortname[n] = '\0';
	snprintf(out, len, "%04u_%s", ++x->ntracks, shortname);
}

static int
add_tracks(struct ex *x, const struct ct_flight *f, const char *bundle_path)
{
	static const struct {
		const char *ext;
		int (*fn)(const struct ct_flight *, const char *, char **, size_t *);
	} writers[] = {
		{ "csv", ct_track_csv }, { "geojson", ct_track_geojson },
		{ "kml", ct_track_kml }, { "gpx", ct_track_gpx },
	};
	char base[MAX_PATH_BYTES], name[MAX_PATH_BYTES + 64];
	size_t i;
	int ret = 0;

	track_name(x, bundle_path, base, sizeof(base));
	for (i = 0; i < CT_ARRAY_SIZE(writers) && ret == 0; i++) {
		char *text = NULL;
		size_t len = 0;

		snprintf(name, sizeof(name), "tracks/%s.%s", base, writers[i].ext);
		if ((ret = writers[i].fn(f, bundle_path, &text, &len)) == 0)
			ret = bundle_add_blob(x, name, text, len);
		free(text);
	}
	return ret;
}

/* The bundle path of a walked or carved file: p1/files/… when the card
 * has several volumes. */
static int
member_name(struct ex *x, struct item *it, char *name, size_t len)
{
	static const char *const prefixes[] = { "files", "deleted", "carved" };
	char prefix[32], cname[64];

	if (it->state == ST_CARVED) {
		snprintf(cname, sizeof(cname), "%" PRIu64 ".%s", it->image_off, it->ext);
		return bundle_name(x, "carved", cname, 0, name, len);
	}
	if (x->nvols > 1) {
		const struct ct_wvolume *v = &x->vols[it->vol];
		if (v->part > 0)
			snprintf(prefix, sizeof(prefix), "p%d/%s", v->part, prefixes[it->state]);
		else
			snprintf(prefix, sizeof(prefix), "v%u/%s", v->index + 1, prefixes[it->state]);
	} else {
		snprintf(prefix, sizeof(prefix), "%s", prefixes[it->state]);
	}
	return bundle_name(x, prefix, it->path, it->name_off, name, len);
}

static struct json_object *
volume_json(const struct ct_wvolume *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "index", json_object_new_int((int)v->index + 1));
	json_object_object_add(o, "partition", v->part > 0 ? json_object_new_int(v->part) : NULL);
	json_object_object_add(o, "partition_table", v->vstype[0] ?
			       json_object_new_string(v->vstype) : NULL);
	json_object_object_add(o, "offset", json_object_new_int64((int64_t)v->offset));
	json_object_object_add(o, "fs_type", json_object_new_string(v->fstype));
	return o;
}

/* What the manifest says about a file's content, and its warnings. */
static const char *
content_label(const struct item *it, const struct content *c, char *buf, size_t len)
{
	if (c->not_bundled) {
		snprintf(buf, len, "not bundled: its clusters are not on the card and the "
			 "zero-fill budget is spent");
		return buf;
	}
	if (c->partial) {
		snprintf(buf, len, "partial: %" PRIu64 " of %" PRIu64 " bytes readable, %s", c->size,
			 it->size, it->wflags & (CT_WF_PAST_VOLUME | CT_WF_PAST_IMAGE) ?
			 "the entry runs past the end of the volume" :
			 "the rest is not on the card (zero-fill budget spent)");
		return buf;
	}
	if (c->zero_filled || c->unreadable_bytes || c->sparse) {
		snprintf(buf, len, "incomplete: %" PRIu64 " bytes are zeros (%" PRIu64 " unreadable "
			 "on the card, %" PRIu64 " not on the card)", c->unreadable_bytes +
			 c->zero_filled + c->sparse, c->unreadable_bytes, c->zero_filled + c->sparse);
		return buf;
	}
	if (it->state == ST_DELETED)
		return it->overwritten ? "incomplete: clusters reused" :
		       "plausibly complete: its clusters are still free";
	return NULL;
}

static void
content_warnings(struct ex *x, const struct item *it, const struct content *c,
		 struct ct_flight *fl)
{
	size_t i, shown = 0;

	if (it->state == ST_DELETED && it->overwritten)
		ct_flight_warn(fl, 0, "some of this deleted file's clusters belong to another file "
			       "now: its content is not complete");
	if (it->carve_truncated)
		ct_flight_warn(fl, 0, "carved up to the end of a free run (%" PRIu64 " bytes): the "
			       "file may be fragmented or truncated", it->size);
	for (i = 0; i < json_object_array_length(c->unreadable) && shown < 10; i++, shown++) {
		struct json_object *u = json_object_array_get_idx(c->unreadable, i);
		int64_t fo = json_object_get_int64(ct_json_get(u, "file_offset"));
		int64_t n = json_object_get_int64(ct_json_get(u, "length"));
		int64_t io = json_object_get_int64(ct_json_get(u, "image_offset"));
		ct_flight_warn(fl, (uint64_t)fo, "bytes %" PRId64 "-%" PRId64 " are zeros: the card "
			       "could not be read there (image bytes %" PRId64 "-%" PRId64 ")", fo,
			       fo + n - 1, io, io + n - 1);
	}
	if (c->unreadable_bytes && shown < json_object_array_length(c->unreadable))
		ct_flight_warn(fl, 0, "more unreadable ranges: see \"unreadable\"");
	if (c->zero_filled)
		ct_flight_warn(fl, c->mapped, "bytes %" PRIu64 "-%" PRIu64 " are zeros: the entry "
			       "says %" PRIu64 " bytes, its clusters on the card hold %" PRIu64,
			       c->mapped, it->size - 1, it->size, c->mapped);
	if (c->partial)
		ct_flight_warn(fl, c->size, "bundled %" PRIu64 " of the %" PRIu64 " bytes the entry "
			       "says: %s", c->size, it->size, it->wflags &
			       (CT_WF_PAST_VOLUME | CT_WF_PAST_IMAGE) ? "its extent runs past the end "
			       "of the volume or the image" : "the zero-fill budget (the size of "
			       "the volumes) is spent: a hostile or corrupt filesystem?");
	(void)x;
}

/* The manifest entry of a file, spooled. */
static int
manifest_entry(struct ex *x, const struct item *it, const struct content *c, const char *name,
	       const char *hex, const struct ct_parser *p, int parsed, const struct ct_flight *fl)
{
	struct json_object *m = json_object_new_object(), *w;
	const char *text;
	char label[300], *ind;
	size_t k;
	int ret;

	if (it->path) {
		char *dp = display_path(it->path);
		json_object_object_add(m, "path", dp ? json_object_new_string(dp) : NULL);
		if (dp && strcmp(dp, it->path))
			json_object_object_add(m, "path_escaped", json_object_new_boolean(1));
		free(dp);
	} else {
		json_object_object_add(m, "path", NULL);
	}
	json_object_object_add(m, "bundle_path", c->not_bundled ? NULL : json_object_new_string(name));
	json_object_object_add(m, "size", json_object_new_int64((int64_t)c->size));
	if (c->size != it->size)
		json_object_object_add(m, "claimed_size", json_object_new_int64((int64_t)it->size));
	json_object_object_add(m, "sha256", c->not_bundled ? NULL : json_object_new_string(hex));
	json_object_object_add(m, "state", json_object_new_string(state_names[it->state]));
	if (it->orphan)
		json_object_object_add(m, "orphan", json_object_new_boolean(1));
	if (it->state != ST_CARVED)
		json_object_object_add(m, "volume", volume_json(&x->vols[it->vol]));
	json_object_object_add(m, "source_offset", it->image_off ?
			       json_object_new_int64((int64_t)it->image_off) : NULL);
	if (it->state != ST_CARVED) {
		struct json_object *t = json_object_new_object();
		add_time(t, "modified", &it->mtime);
		add_time(t, "accessed", &it->atime);
		add_time(t, "created", &it->crtime);
		json_object_object_add(m, "times", t);
	}
	text = content_label(it, c, label, sizeof(label));
	if (text)
		json_object_object_add(m, "content", json_object_new_string(text));
	if (json_object_array_length(c->unreadable) > 0) {
		json_object_object_add(m, "unreadable", json_object_get(c->unreadable));
		json_object_object_add(m, "unreadable_bytes",
				       json_object_new_int64((int64_t)c->unreadable_bytes));
	}
	if (c->zero_filled)
		json_object_object_add(m, "zero_filled", json_object_new_int64((int64_t)c->zero_filled));
	json_object_object_add(m, "parser", parsed ? json_object_new_string(p->name) : NULL);
	json_object_object_add(m, "points", json_object_new_int64((int64_t)fl->npts));
	w = json_object_new_array();
	for (k = 0; k < fl->nwarnings; k++)
		json_object_array_add(w, json_object_new_string(fl->warnings[k]));
	json_object_object_add(m, "warnings", w);

	/* one line per file, indented as an element of "files": a card with a
	 * million entries makes a manifest of a million lines */
	text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (asprintf(&ind, "    %s", text) < 0) {
		json_object_put(m);
		return -ENOMEM;
	}
	ret = spool_add(x, &x->files, ",\n", ind);
	free(ind);
	json_object_put(m);
	return ret;
}

static void
count_item(struct ex *x, const struct item *it, const struct content *c)
{
	struct ct_extract_stats *st = &x->res->st;

	st->files++;
	if (it->state == ST_ALLOC)
		st->allocated++;
	else if (it->state == ST_DELETED)
		st->deleted++;
	else
		st->carved++;
	if (it->orphan)
		st->orphan++;
	if (c->unreadable_bytes) {
		st->unreadable_files++;
		st->unreadable_bytes += c->unreadable_bytes;
	}
	st->zero_filled += c->zero_filled;
	if (c->partial)
		st->partial++;
	if (c->not_bundled)
		st->not_bundled++;
}

static int
process(struct ex *x, struct item *it)
{
	struct content c;
	struct ct_input in;
	struct ct_flight fl;
	const struct ct_parser *p = NULL;
	char name[MAX_PATH_BYTES + 64], hex[65] = "";
	unsigned char head[HEAD];
	size_t headlen = 0;
	uint64_t end;
	int ret, score = 0, parsed = 0;

	memset(&c, 0, sizeof(c));
	c.x = x;
	c.it = it;
	ct_flight_init(&fl, NULL);
	if (it->state == ST_CARVED)
		trim_carved(x, it);
	if ((ret = member_name(x, it, name, sizeof(name))) < 0 || (ret = content_plan(&c)) < 0)
		goto out;
	in.path = it->path;
	in.size = c.size;
	in.read = content_read;
	in.ctx = &c;
	fl.holes = c.holes;
	fl.nholes = c.nholes;
	/* bid and parse */
	if (in.read(in.ctx, head, sizeof(head), 0, &headlen) < 0)
		headlen = 0;
	p = ct_parser_choose(it->state == ST_CARVED ? NULL : it->path, head, headlen, &score);
	/* a format that vouches for its own end (DJI DAT: its last record whose
	 * CRC holds) trims a carved candidate to it */
	if (p && it->state == ST_CARVED && p->carve_end && p->carve_end(&in, &end) == 0 &&
	    end < c.size) {
		it->size = end;
		it->carve_truncated = 0;
		content_release(&c);
		memset(&c, 0, sizeof(c));
		c.x = x;
		c.it = it;
		if ((ret = content_plan(&c)) < 0)
			goto out;
		in.size = c.size;
		fl.holes = c.holes;
		fl.nholes = c.nholes;
		ct_flight_warn(&fl, end, "carved to the end of its last record whose checksum "
			       "holds; a later fragment of the file, if any, is not included");
	}
	if (p && !c.not_bundled) {
		fl.format = p->name;
		ret = ct_parse(p, &in, &fl);
		if (ret < 0)
			ct_flight_warn(&fl, 0, "%s parser: %s", p->name, strerror(-ret));
		/* 1 is "nothing of use decoded": a DAT identified but not
		 * decoded, a photo without a position still tell who made them */
		parsed = ret == 0 || (ret == 1 && fl.nfacts > 0);
	}
	content_warnings(x, it, &c, &fl);
	if (!c.not_bundled && (ret = add_stream(x, name, &in, it->mtime.sec, hex)) < 0)
		goto out;
	count_item(x, it, &c);
	if ((ret = manifest_entry(x, it, &c, name, hex, p, parsed, &fl)) < 0)
		goto out;
	if (parsed) {
		x->res->st.parsed++;
		if (fl.npts > 0 || fl.nfacts > 0) {
			fl.format = p->name;
			json_object_array_add(x->flights, ct_flight_json(&fl, name,
									 state_names[it->state]));
			if (fl.npts > 0) {
				x->res->st.flights++;
				x->res->st.points += fl.npts;
				ret = add_tracks(x, &fl, name);
			}
		}
	}
out:
	ct_flight_release(&fl);
	content_release(&c);
	return ret;
}

/* ---- the manifest ---- */

/* "{…, "files": [" and "], …}" around the spooled entries. */
static int
write_manifest(struct ex *x, const char *image_path)
{
	struct json_object *h = json_object_new_object(), *img = json_object_new_object();
	struct json_object *t = json_object_new_object(), *vols = json_object_new_array();
	struct json_object *dirs = json_object_new_array();
	const struct ct_extract_opts *o = x->o;
	struct ct_extract_result *res = x->res;
	char *head = NULL, *tail = NULL;
	const char *s, *base = strrchr(image_path, '/');
	size_t i, n;
	int ret = -ENOMEM;

	json_object_object_add(img, "evidence", o->evidence ? json_object_new_string(o->evidence) : NULL);
	/* its file name: where it lies on this machine is a fact of the run */
	json_object_object_add(img, "path", json_object_new_string(base ? base + 1 : image_path));
	json_object_object_add(img, "sha256", res->image_sha256[0] ?
			       json_object_new_string(res->image_sha256) : NULL);
	if (res->image_mismatch)
		json_object_object_add(img, "read_sha256", json_object_new_string(
			ct_json_str(ct_json_get(res->image_check, "hashes"), "sha256", "not computed")));
	json_object_object_add(img, "verified_against_record", json_object_new_boolean(
				       o->casedir && !res->image_mismatch));
	json_object_object_add(img, "forced", json_object_new_boolean(res->forced));
	if (res->image_mismatch)
		json_object_object_add(img, "check_error", json_object_new_string(
			ct_json_str(res->image_check, "error", "not re-hashed")));
	json_object_object_add(img, "size", json_object_new_int64((int64_t)x->img_size));
	json_object_object_add(img, "unreadable_ranges", json_object_new_int64((int64_t)x->nbad));
	json_object_object_add(h, "image", img);
	json_object_object_add(h, "tool", ct_extract_producer_json());
	for (i = 0; i < x->nvols; i++) {
		struct json_object *v = volume_json(&x->vols[i]);
		json_object_object_add(v, "size", json_object_new_int64((int64_t)x->vols[i].size));
		json_object_object_add(v, "in_image", json_object_new_int64((int64_t)x->vols[i].in_image));
		json_object_array_add(vols, v);
	}
	json_object_object_add(h, "volumes", vols);
	json_object_object_add(h, "complete", json_object_new_boolean(!res->incomplete));

	for (i = 0; i < x->naliases; i++) {
		struct json_object *d = NULL, *a;
		size_t k;
		/* one entry per folder, its other paths together */
		for (k = 0; k < json_object_array_length(dirs); k++) {
			struct json_object *e = json_object_array_get_idx(dirs, k);
			if (json_object_get_int(ct_json_get(ct_json_get(e, "volume"), "index")) ==
			    (int)x->aliases[i].vol + 1 &&
			    !strcmp(ct_json_str(e, "path", ""), x->aliases[i].path))
				d = e;
		}
		if (d == NULL) {
			char *dp = display_path(x->aliases[i].path);
			d = json_object_new_object();
			json_object_object_add(d, "path", json_object_new_string(dp ? dp : "?"));
			json_object_object_add(d, "volume", volume_json(&x->vols[x->aliases[i].vol]));
			json_object_object_add(d, "also_at", json_object_new_array());
			json_object_array_add(dirs, d);
			free(dp);
		}
		a = ct_json_get(d, "also_at");
		{
			char *dp = display_path(x->aliases[i].also_at);
			json_object_array_add(a, json_object_new_string(dp ? dp : "?"));
			free(dp);
		}
	}
	json_object_object_add(t, "directories", dirs);
	json_object_object_add(t, "warnings", json_object_get(x->warnings));

	s = json_object_to_json_string_ext(h, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	n = strlen(s);
	if (n < 2 || asprintf(&head, "%.*s,\n  \"files\": [\n", (int)(n - 2), s) < 0)
		goto out;
	s = json_object_to_json_string_ext(t, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (strlen(s) < 2 || asprintf(&tail, "%s  ],\n%s\n", x->files.count ? "\n" : "", s + 2) < 0)
		goto out;
	ret = bundle_add_spooled(x, "MANIFEST.json", head, &x->files, tail);
out:
	free(head);
	free(tail);
	json_object_put(h);
	json_object_put(t);
	return ret;
}

/* ---- the run ---- */

/* "2026-11-21T14:02:11Z" as seconds since 1970; 0 if it is not such a time. */
static int64_t
iso_utc_seconds(const char *s)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end != '\0' ||
	    (t = timegm(&tm)) < 0)
		return 0;
	return (int64_t)t;
}

struct json_object *
ct_extract_producer_json(void)
{
	struct json_object *t = json_object_new_object(), *p = json_object_new_array();
	size_t i;

	json_object_object_add(t, "name", json_object_new_string("cardtrail"));
	json_object_object_add(t, "version", json_object_new_string(CT_VERSION));
	for (i = 0; i < ct_parser_count; i++)
		json_object_array_add(p, json_object_new_string(ct_parsers[i].name));
	json_object_object_add(t, "parsers", p);
	return t;
}

static int
check_case_image(struct ex *x, char ***segs, int *nseg, int *ewf)
{
	const struct ct_extract_opts *o = x->o;
	struct json_object *acq = NULL, *rep = NULL;
	char path[PATH_MAX];
	const char *format;
	size_t n;
	int ret;

	if ((ret = ct_snprintf(path, sizeof(path), "%s/%s.acquisition.json", o->casedir,
			       o->evidence)) < 0)
		return exerr(x, ret, "path too long");
	acq = json_object_from_file(path);
	if (acq == NULL)
		return exerr(x, -ENOENT, "no acquisition record %s: extract works on an image "
			     "made by 'cardtrail image' (or on a bare image file)", path);
	if (!json_object_get_boolean(ct_json_get(acq, "complete"))) {
		ret = exerr(x, -EINVAL, "%s is not a complete image (see its record)", o->evidence);
		goto out;
	}
	snprintf(x->res->image_sha256, sizeof(x->res->image_sha256), "%s",
		 ct_json_str(ct_json_get(acq, "hashes"), "sha256", ""));
	x->gen_mtime = iso_utc_seconds(ct_json_str(acq, "finished", NULL));
	ret = ct_image_rehash(o->casedir, acq, o->bufsize, &rep);
	x->res->image_check = rep;
	if (ret < 0 || !json_object_get_boolean(ct_json_get(rep, "match"))) {
		x->res->image_mismatch = 1;
		if (!o->force) {
			/* an adopted image that fails the hashes it stores (or
			 * failed them when adopted) is refused as ours are */
			int own = ct_json_get(rep, "adopted_ok") &&
				  !json_object_get_boolean(ct_json_get(rep, "adopted_ok"));

			ret = exerr(x, -EBADMSG, "the image of %s %s (%s): nothing extracted (--force "
				    "extracts anyway and records it)", o->evidence, own ?
				    "failed its own checks" : "does not match its acquisition record",
				    ct_json_str(rep, "error", "mismatch"));
			goto out;
		}
		x->res->forced = 1;
	}
	if ((ret = load_bad_ranges(x, acq)) < 0)
		goto out;
	/* the files as the record names them: raw segments or an E01 set */
	if ((ret = ct_image_paths(o->casedir, acq, segs, &n, &format)) < 0) {
		ret = exerr(x, ret, "the acquisition record of %s lists no usable image files",
			    o->evidence);
		goto out;
	}
	*nseg = (int)n;
	*ewf = !strcmp(format, "e01");
	ret = 0;
out:
	json_object_put(acq);
	return ret;
}

/* The image's segments (an E01 set?) and the bundle's folder and name. */
static int
locate(struct ex *x, char ***segs, int *nseg, int *ewf, const char **dir, char *bname,
       size_t blen)
{
	const struct ct_extract_opts *o = x->o;
	const char *b;
	int ret;

	if (o->casedir) {
		if ((ret = check_case_image(x, segs, nseg, ewf)) < 0)
			return ret;
		*dir = o->outdir ? o->outdir : o->casedir;
		snprintf(bname, blen, "%s.evidence", o->evidence);
		return 0;
	}
	b = strrchr(o->image, '/');
	*segs = calloc(2, sizeof(char *));
	if (*segs == NULL || ((*segs)[0] = strdup(o->image)) == NULL)
		return -ENOMEM;
	*nseg = 1;
	*ewf = ct_image_is_ewf(o->image) == 1;
	*dir = o->outdir;
	snprintf(bname, blen, "%s.evidence", b ? b + 1 : o->image);
	return 0;
}

/* Every item into the bundle, then the manifest, flights.json, SHA256SUMS. */
static int
write_bundle(struct ex *x, const char *dir, const char *bname, const char *image_path)
{
	const char *text;
	size_t k;
	int ret;

	if ((ret = ct_mkdir_p(dir)) < 0)
		return exerr(x, ret, "cannot create '%s': %s", dir, strerror(-ret));
	if ((ret = bundle_open(x, dir, bname)) < 0 || (ret = spool_open(x, &x->sums)) < 0 ||
	    (ret = spool_open(x, &x->files)) < 0)
		return ret;
	ex_phase(x, CT_EXTRACT_BUNDLE, x->nitems);
	for (k = 0; k < x->nitems; k++) {
		if ((ret = process(x, &x->items[k])) < 0)
			return ret;
		ex_progress(x, CT_EXTRACT_BUNDLE, k + 1, x->nitems, k + 1 == x->nitems);
	}
	if (x->nitems == 0)
		ex_progress(x, CT_EXTRACT_BUNDLE, 0, 0, 1);
	if (x->res->st.partial || x->res->st.not_bundled)
		ex_warn(x, "%" PRIu64 " files are bundled shorter than their entries say and %"
			PRIu64 " not at all: see their \"content\"", x->res->st.partial -
			x->res->st.not_bundled, x->res->st.not_bundled);
	if (x->renamed)
		ex_warn(x, "%zu files are bundled as NAME~N: the card holds their path more than "
			"once, or their names are equal once made safe; each keeps its card path "
			"in \"path\"", x->renamed);
	if ((ret = write_manifest(x, image_path)) < 0)
		return ret;
	text = json_object_to_json_string_ext(x->flights, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((ret = bundle_add_blob(x, "flights.json", text, strlen(text))) < 0)
		return ret;
	return bundle_finish(x, dir);
}

static void
release(struct ex *x, char **segs, int nseg)
{
	size_t k;
	int i;

	bundle_release(x);
	if (x->img)
		tsk_img_close(x->img);
	for (k = 0; k < x->nitems; k++)
		free(x->items[k].path);
	free(x->items);
	free(x->runs);
	free(x->unalloc);
	for (k = 0; k < x->naliases; k++) {
		free(x->aliases[k].path);
		free(x->aliases[k].also_at);
	}
	free(x->aliases);
	free(x->bad);
	for (i = 0; segs && i < nseg; i++)
		free(segs[i]);
	free(segs);
	free(x->buf);
	json_object_put(x->warnings);
	json_object_put(x->flights);
	free(x->starts);
}

int
ct_extract_run(const struct ct_extract_opts *o, struct ct_extract_result *res)
{
	struct ex x;
	char **segs = NULL, bname[300];
	const char *dir = NULL;
	int nseg = 0, ewf = 0, ret;
	size_t k;
	double t0 = ct_now();

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.res = res;
	x.ar_fd = -1;
	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	x.buf = malloc(CHUNK + 16);
	x.warnings = json_object_new_array();
	x.flights = json_object_new_array();
	if (x.buf == NULL || x.warnings == NULL || x.flights == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = locate(&x, &segs, &nseg, &ewf, &dir, bname, sizeof(bname))) < 0)
		goto out;
	if ((x.img = ct_walk_open(nseg, segs, ewf)) == NULL) {
		ret = exerr(&x, -EINVAL, "The Sleuth Kit cannot open the image '%s': %s", segs[0],
			    tsk_error_get() ? tsk_error_get() : "unknown error");
		tsk_error_reset();
		goto out;
	}
	x.img_size = (uint64_t)x.img->size;
	if ((ret = walk_card(&x, nseg, segs, ewf)) < 0)
		goto out;
	alias_warnings(&x);
	/* zero-fill never adds more than the volumes hold */
	for (k = 0; k < x.nvols; k++)
		x.zero_budget += x.vols[k].size < x.img_size ? x.vols[k].size : x.img_size;
	if (x.nbad) {
		res->incomplete = 1;
		ex_warn(&x, "the image has %zu unreadable ranges (zero-filled by the acquisition): "
			"files and carved blocks that cover them say which of their bytes are zeros",
			x.nbad);
	}
	if (!o->no_carve && (ret = carve(&x)) < 0) {
		exerr(&x, ret, "carving failed: %s", strerror(-ret));
		goto out;
	}
	if ((ret = write_bundle(&x, dir, bname, segs[0])) < 0)
		goto out;
	res->flights = x.flights;
	x.flights = NULL;
	ret = 0;
out:
	res->st.seconds = ct_now() - t0;
	release(&x, segs, nseg);
	return ret;
}

void
ct_extract_result_release(struct ct_extract_result *res)
{
	if (res == NULL)
		return;
	json_object_put(res->flights);
	json_object_put(res->image_check);
	res->flights = res->image_check = NULL;
}

struct json_object *
ct_extract_options_json(const struct ct_extract_opts *o)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "carve", json_object_new_boolean(!o->no_carve));
	json_object_object_add(j, "force", json_object_new_boolean(o->force));
	json_object_object_add(j, "max_files", o->max_files ?
			       json_object_new_int64((int64_t)o->max_files) : NULL);
	json_object_object_add(j, "walk_timeout", o->walk_timeout > 0 ?
			       json_object_new_double(o->walk_timeout) : NULL);
	return j;
}

struct json_object *
ct_extract_custody_record(const struct ct_extract_opts *o, const struct ct_extract_result *res,
			  char *err, size_t errlen)
{
	struct json_object *r = json_object_new_object(), *subj, *ins, *in, *outs, *f, *result;
	const char *name = strrchr(res->bundle, '/');
	int ret;

	json_object_object_add(r, "action", json_object_new_string("extract"));
	subj = json_object_new_object();
	json_object_object_add(subj, "evidence", json_object_new_string(o->evidence));
	json_object_object_add(r, "subject", subj);
	ins = json_object_new_array();
	in = json_object_new_object();
	json_object_object_add(in, "path", json_object_new_string(o->evidence));
	if (res->image_mismatch) {
		/* --force: name what was read, not what should have been */
		const char *read = ct_json_str(ct_json_get(res->image_check, "hashes"), "sha256", NULL);
		json_object_object_add(in, "sha256", read ? json_object_new_string(read) : NULL);
		json_object_object_add(in, "acquired_sha256", json_object_new_string(res->image_sha256));
	} else {
		json_object_object_add(in, "sha256", json_object_new_string(res->image_sha256));
	}
	json_object_object_add(in, "verified", json_object_new_boolean(!res->image_mismatch));
	json_object_array_add(ins, in);
	json_object_object_add(r, "inputs", ins);
	outs = json_object_new_array();
	if ((ret = ct_custody_file_json(o->casedir, name ? name + 1 : res->bundle, &f)) < 0) {
		snprintf(err, errlen, "cannot hash %s for the custody log: %s", res->bundle,
			 strerror(-ret));
		json_object_put(r);
		json_object_put(outs);
		return NULL;
	}
	json_object_object_add(f, "role", json_object_new_string("evidence-bundle"));
	json_object_array_add(outs, f);
	json_object_object_add(r, "outputs", outs);
	result = json_object_new_object();
	json_object_object_add(result, "files", json_object_new_int64((int64_t)res->st.files));
	json_object_object_add(result, "allocated", json_object_new_int64((int64_t)res->st.allocated));
	json_object_object_add(result, "deleted", json_object_new_int64((int64_t)res->st.deleted));
	json_object_object_add(result, "carved", json_object_new_int64((int64_t)res->st.carved));
	json_object_object_add(result, "flights", json_object_new_int64((int64_t)res->st.flights));
	json_object_object_add(result, "points", json_object_new_int64((int64_t)res->st.points));
	json_object_object_add(result, "forced", json_object_new_boolean(res->forced));
	json_object_object_add(result, "complete", json_object_new_boolean(!res->incomplete));
	json_object_object_add(result, "unreadable_files",
			       json_object_new_int64((int64_t)res->st.unreadable_files));
	/* what made the bundle and what shapes it: verify --reproduce re-runs
	 * it with the same options and names another version as such */
	json_object_object_add(result, "producer", ct_extract_producer_json());
	json_object_object_add(result, "options", ct_extract_options_json(o));
	json_object_object_add(r, "result", result);
	return r;
}
