/*
 * extract.c — `cardtrail extract`: The Sleuth Kit walks the card image,
 * the parser table reads the flight data, libarchive writes the bundle.
 *
 * Times: FAT stores local wall-clock time without a zone.  The process
 * runs with TZ=UTC (set by the command) so libtsk hands the stored values
 * through unchanged; the manifest prints them without a "Z" and says so.
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
#include <archive_entry.h>
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

#define CHUNK (1u << 20)
#define HEAD 4096
#define MAX_FS 16
#define MAX_CARVE (64ull << 20)
#define MAX_PATH_BYTES 900
#define MAX_CARVED 100000	/* carved candidates: more is a hostile card */

enum fstate { ST_ALLOC, ST_DELETED, ST_CARVED };
static const char *const state_names[] = { "allocated", "deleted", "carved" };

struct item {
	enum fstate state;
	int orphan;
	int fsi;			/* filesystem index (not for carved) */
	TSK_INUM_T inum;
	char *path;			/* as on the card (for carved: NULL) */
	size_t name_off;		/* where its own name starts in path */
	uint64_t size;
	uint64_t image_off;		/* first byte in the image, or 0 unknown */
	int64_t mtime, atime, crtime;	/* as stored; 0 unknown */
	int overwritten;		/* deleted: some of its clusters are in use again */
	const char *ext;		/* carved: extension */
	int carve_truncated;		/* carved: stopped at the end of a free run */
};

struct ex {
	const struct ct_extract_opts *o;
	struct ct_extract_result *res;
	TSK_IMG_INFO *img;
	TSK_VS_INFO *vs;
	TSK_FS_INFO *fs[MAX_FS];
	size_t nfs;
	struct item *items;
	size_t nitems, cap;
	struct archive *ar;
	int ar_fd;
	struct json_object *names;	/* bundle paths used (a set) */
	struct json_object *sums;	/* [[path, sha256]] for SHA256SUMS */
	unsigned char *buf;
	const char *cur_walk_err;
	int fsi;			/* walk callback: current filesystem */
	unsigned ntracks;
	uint64_t *starts;		/* sorted image_off of the walked files */
	size_t nstarts;
	struct json_object *warnings;	/* top-level warnings of the manifest */
};

static int
exerr(struct ex *x, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
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

/* ---- names ---- */

static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void
ct_safe_component(const char *in, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, src = 0;

	if (outlen == 0)
		return;
	if (!strcmp(in, ".") || !strcmp(in, "..") || *in == '\0') {
		snprintf(out, outlen, "_%s", in);
		return;
	}
	while (s[src] && src < 128 && o + 4 < outlen) {
		size_t n = utf8_len(s + src);
		if (n == 0 || s[src] == '%') {
			/* bytes that are not UTF-8, and '%' itself (so that the
			 * escape cannot collide with a name) */
			o += (size_t)snprintf(out + o, outlen - o, "%%%02X", s[src]);
			src++;
		} else if (n == 1 && (s[src] < 0x20 || s[src] == 0x7f || s[src] == '/' ||
				      s[src] == '\\')) {
			out[o++] = '_';
			src++;
		} else {
			if (o + n >= outlen)
				break;
			memcpy(out + o, s + src, n);
			o += n;
			src += n;
		}
	}
	out[o] = '\0';
}

/* A card path as valid UTF-8 for JSON: invalid bytes and control
 * characters as %XX, '%' as %25.  New string. */
static char *
display_path(const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, cap = strlen(in) * 3 + 1;
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	while (s[i]) {
		size_t n = utf8_len(s + i);
		if (n == 0 || s[i] == '%' || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", s[i]);
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

/* The longest prefix of s (our own valid UTF-8 with %XX escapes) of at
 * most max bytes that ends neither inside a multi-byte character nor
 * inside an escape. */
static size_t
safe_cut(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, cut = 0;

	while (u[i]) {
		size_t n = u[i] == '%' && u[i + 1] && u[i + 2] ? 3 : utf8_len(u + i);
		if (n == 0)
			n = 1;
		if (i + n > max)
			break;
		i += n;
		cut = i;
	}
	return cut;
}

/* A unique bundle path under prefix for a card path (components made safe). */
static int
bundle_name(struct ex *x, const char *prefix, const char *cardpath, size_t name_off, char *out,
	    size_t outlen)
{
	char comp[3 * 128 + 1], base[MAX_PATH_BYTES + 3 * 128 + 64];
	const char *p = cardpath, *name = cardpath + name_off;
	size_t o;
	int k;

	if (outlen < 32)
		return -ENAMETOOLONG;

	o = (size_t)snprintf(base, sizeof(base), "%s", prefix);
	while (p < name) {
		size_t l = strcspn(p, "/");
		char part[256];

		if (p + l > name)
			l = (size_t)(name - p);
		if (l == 0) {
			p++;
			continue;
		}
		snprintf(part, sizeof(part), "%.*s", (int)(l < 255 ? l : 255), p);
		ct_safe_component(part, comp, sizeof(comp));
		if (o + strlen(comp) + 2 > MAX_PATH_BYTES - 130)
			break;	/* overlong: keep the leading folders and the name */
		o += (size_t)snprintf(base + o, sizeof(base) - o, "/%s", comp);
		p += l;
	}
	/* the file's own name: one component, whatever '/' it holds */
	ct_safe_component(name, comp, sizeof(comp));
	o += (size_t)snprintf(base + o, sizeof(base) - o, "/%s", comp);
	/* leave room for "~N": cut at a character or %XX boundary */
	if (strlen(base) > outlen - 16)
		base[safe_cut(base, outlen - 16)] = '\0';
	for (k = 1; k < 100000; k++) {
		if ((k == 1 ? ct_snprintf(out, outlen, "%s", base) :
		     ct_snprintf(out, outlen, "%s~%d", base, k)) < 0)
			return -ENAMETOOLONG;
		if (!json_object_object_get_ex(x->names, out, NULL)) {
			json_object_object_add(x->names, out, NULL);
			return 0;
		}
	}
	return -EEXIST;
}

/* ---- the walk ---- */

static int
add_item(struct ex *x, const struct item *it)
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

static TSK_WALK_RET_ENUM
walk_cb(TSK_FS_FILE *f, const char *path, void *ptr)
{
	struct ex *x = ptr;
	struct item it;
	char full[4096];

	if (f->name == NULL || f->meta == NULL || f->meta->type != TSK_FS_META_TYPE_REG)
		return TSK_WALK_CONT;
	if (!strcmp(f->name->name, ".") || !strcmp(f->name->name, ".."))
		return TSK_WALK_CONT;
	/* libtsk shows a FAT volume label as an empty file (also where a
	 * directory loop leads back to the root), and exFAT's allocation
	 * bitmap and upcase table as files: filesystem metadata, not data */
	if (f->meta->size == 0 && strstr(f->name->name, "(Volume Label Entry)"))
		return TSK_WALK_CONT;
	if (*path == '\0' && (!strcmp(f->name->name, "$ALLOC_BITMAP") ||
			       !strcmp(f->name->name, "$UPCASE_TABLE")))
		return TSK_WALK_CONT;
	memset(&it, 0, sizeof(it));
	it.fsi = x->fsi;
	it.inum = f->meta->addr;
	it.state = (f->name->flags & TSK_FS_NAME_FLAG_UNALLOC) ||
		   (f->meta->flags & TSK_FS_META_FLAG_UNALLOC) ? ST_DELETED : ST_ALLOC;
	it.orphan = strncmp(path, "$OrphanFiles", 12) == 0;
	if (it.orphan)
		it.state = ST_DELETED;
	it.size = f->meta->size > 0 ? (uint64_t)f->meta->size : 0;
	it.mtime = f->meta->mtime;
	it.atime = f->meta->atime;
	it.crtime = f->meta->crtime;
	snprintf(full, sizeof(full), "%s%s", path, f->name->name);
	it.name_off = strlen(path) < strlen(full) ? strlen(path) : strlen(full);
	it.path = strdup(full);
	if (it.path == NULL || add_item(x, &it) < 0) {
		free(it.path);
		return TSK_WALK_ERROR;
	}
	return TSK_WALK_CONT;
}

struct blocks_ctx {
	uint64_t first;
	int have_first;
	int overwritten;
};

static TSK_WALK_RET_ENUM
blocks_cb(TSK_FS_FILE *f, TSK_OFF_T off, TSK_DADDR_T addr, char *buf, size_t size,
	  TSK_FS_BLOCK_FLAG_ENUM flags, void *ptr)
{
	struct blocks_ctx *b = ptr;

	(void)f;
	(void)off;
	(void)buf;
	(void)size;
	if (flags & TSK_FS_BLOCK_FLAG_SPARSE)
		return TSK_WALK_CONT;
	if (!b->have_first) {
		b->first = addr;
		b->have_first = 1;
	}
	if (flags & TSK_FS_BLOCK_FLAG_ALLOC)
		b->overwritten = 1;
	return TSK_WALK_CONT;
}

/* Where a file's data starts in the image, and for a deleted one whether
 * any of its clusters belong to another file now. */
static void
locate(struct ex *x, struct item *it)
{
	TSK_FS_INFO *fs = x->fs[it->fsi];
	TSK_FS_FILE *f = tsk_fs_file_open_meta(fs, NULL, it->inum);
	struct blocks_ctx b = { 0 };

	if (f == NULL)
		return;
	if (tsk_fs_file_walk(f, TSK_FS_FILE_WALK_FLAG_AONLY, blocks_cb, &b) == 0 || b.have_first) {
		if (b.have_first)
			it->image_off = (uint64_t)fs->offset + b.first * fs->block_size;
		if (it->state == ST_DELETED)
			it->overwritten = b.overwritten;
	}
	tsk_error_reset();
	tsk_fs_file_close(f);
}

static int
open_filesystems(struct ex *x)
{
	TSK_FS_INFO *fs;

	x->vs = tsk_vs_open(x->img, 0, TSK_VS_TYPE_DETECT);
	if (x->vs) {
		TSK_PNUM_T i;
		for (i = 0; i < x->vs->part_count && x->nfs < MAX_FS; i++) {
			const TSK_VS_PART_INFO *p = tsk_vs_part_get(x->vs, i);
			if (p == NULL || !(p->flags & TSK_VS_PART_FLAG_ALLOC))
				continue;
			fs = tsk_fs_open_vol(p, TSK_FS_TYPE_FAT_DETECT);
			if (fs)
				x->fs[x->nfs++] = fs;
			tsk_error_reset();
		}
	}
	tsk_error_reset();
	if (x->nfs == 0) {
		/* a superfloppy: the filesystem starts at 0 */
		fs = tsk_fs_open_img(x->img, 0, TSK_FS_TYPE_FAT_DETECT);
		if (fs)
			x->fs[x->nfs++] = fs;
		tsk_error_reset();
	}
	return x->nfs ? 0 : -ENOENT;
}

/* ---- reading ---- */

struct file_input {
	struct ex *x;
	TSK_FS_FILE *f;
	int carved;		/* read img_off.. of the image, not f */
	uint64_t img_off;	/* carved: start in the image */
	uint64_t size;
};

static int
file_read(void *ctx, void *buf, size_t len, uint64_t off, size_t *got)
{
	struct file_input *fi = ctx;
	ssize_t n;

	*got = 0;
	if (off >= fi->size)
		return 0;
	if (len > fi->size - off)
		len = (size_t)(fi->size - off);
	if (fi->f)
		n = tsk_fs_file_read(fi->f, (TSK_OFF_T)off, buf, len, TSK_FS_FILE_READ_FLAG_NONE);
	else if (!fi->carved)
		return -EIO;	/* a file libtsk cannot open: nothing to read */
	else
		n = tsk_img_read(fi->x->img, (TSK_OFF_T)(fi->img_off + off), buf, len);
	if (n < 0) {
		tsk_error_reset();
		return -EIO;
	}
	*got = (size_t)n;
	return 0;
}

/* ---- the bundle ---- */

static int
bundle_open(struct ex *x, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int ret;

	int k;

	/* E1.evidence.tar, then E1.evidence-2.tar, …: nothing is overwritten */
	for (k = 1, x->ar_fd = -1; k < 1000 && x->ar_fd < 0; k++) {
		if ((ret = (k == 1 ? ct_snprintf(path, sizeof(path), "%s/%s.tar", dir, name) :
			    ct_snprintf(path, sizeof(path), "%s/%s-%d.tar", dir, name, k))) < 0)
			return exerr(x, ret, "bundle path too long");
		x->ar_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (x->ar_fd < 0 && errno != EEXIST)
			return exerr(x, -errno, "cannot create '%s': %s", path, strerror(errno));
	}
	if (x->ar_fd < 0)
		return exerr(x, -EEXIST, "too many bundles named %s in '%s'", name, dir);
	snprintf(x->res->bundle, sizeof(x->res->bundle), "%s", path);
	x->ar = archive_write_new();
	if (x->ar == NULL || archive_write_set_format_pax(x->ar) != ARCHIVE_OK ||
	    archive_write_open_fd(x->ar, x->ar_fd) != ARCHIVE_OK)
		return exerr(x, -EIO, "cannot start the bundle: %s",
			     x->ar ? archive_error_string(x->ar) : "out of memory");
	return 0;
}

static int
entry_begin(struct ex *x, const char *name, uint64_t size, int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (e == NULL)
		return -ENOMEM;
	/* our names are valid UTF-8 (ct_safe_component); the command runs
	 * with a UTF-8 LC_CTYPE so that libarchive's pax writer takes them
	 * as they are (with only a UTF-8 name set, libarchive 3.6 crashes in
	 * the C locale) */
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0444);
	archive_entry_set_mtime(e, mtime > 0 ? mtime : 0, 0);
	r = archive_write_header(x->ar, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return exerr(x, -EIO, "cannot write '%s' into the bundle: %s", name,
			     archive_error_string(x->ar));
	return 0;
}

static int
entry_data(struct ex *x, const void *p, size_t len)
{
	if (len && archive_write_data(x->ar, p, len) != (la_ssize_t)len)
		return exerr(x, -EIO, "cannot write into the bundle: %s", archive_error_string(x->ar));
	x->res->st.bytes_bundled += len;
	return 0;
}

static void
add_sum(struct ex *x, const char *name, const char *hex)
{
	struct json_object *pair = json_object_new_array();

	json_object_array_add(pair, json_object_new_string(name));
	json_object_array_add(pair, json_object_new_string(hex));
	json_object_array_add(x->sums, pair);
}

/* A whole in-memory member (manifest, tracks). */
static int
add_blob(struct ex *x, const char *name, const char *data, size_t len)
{
	unsigned char d[32];
	char hex[65];
	int ret;

	if ((ret = entry_begin(x, name, len, time(NULL))) < 0 || (ret = entry_data(x, data, len)) < 0)
		return ret;
	gcry_md_hash_buffer(GCRY_MD_SHA256, d, data, len);
	ct_hex(d, 32, hex);
	add_sum(x, name, hex);
	return 0;
}

/* Stream a file (or a carved range) into the bundle, hashing it. */
static int
add_stream(struct ex *x, const char *name, const struct ct_input *in, int64_t mtime,
	   char hex[65], uint64_t *missing)
{
	gcry_md_hd_t h;
	uint64_t off = 0;
	int ret;

	*missing = 0;
	if ((ret = entry_begin(x, name, in->size, mtime)) < 0)
		return ret;
	if (gcry_md_open(&h, GCRY_MD_SHA256, 0))
		return -ENOMEM;
	while (off < in->size) {
		size_t want = (size_t)(in->size - off < CHUNK ? in->size - off : CHUNK), got = 0;
		if (in->read(in->ctx, x->buf, want, off, &got) < 0 || got < want) {
			/* unreadable (a deleted file's clusters, a damaged
			 * image): the header promised the size, fill it */
			memset(x->buf + got, 0, want - got);
			*missing += want - got;
		}
		gcry_md_write(h, x->buf, want);
		if ((ret = entry_data(x, x->buf, want)) < 0)
			break;
		off += want;
	}
	if (ret == 0) {
		ct_hex(gcry_md_read(h, GCRY_MD_SHA256), 32, hex);
		add_sum(x, name, hex);
	}
	gcry_md_close(h);
	return ret;
}

/* ---- carving ---- */

struct run {
	uint64_t start, len;	/* image bytes */
};

struct runs {
	struct run *r;
	size_t n, cap;
	TSK_FS_INFO *fs;
	int err;
};

static TSK_WALK_RET_ENUM
unalloc_cb(const TSK_FS_BLOCK *b, void *ptr)
{
	struct runs *rs = ptr;
	uint64_t off = (uint64_t)rs->fs->offset + b->addr * rs->fs->block_size;

	if (rs->n && rs->r[rs->n - 1].start + rs->r[rs->n - 1].len == off) {
		rs->r[rs->n - 1].len += rs->fs->block_size;
		return TSK_WALK_CONT;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 256;
		struct run *n = realloc(rs->r, cap * sizeof(*n));
		if (n == NULL) {
			rs->err = -ENOMEM;
			return TSK_WALK_ERROR;
		}
		rs->r = n;
		rs->cap = cap;
	}
	rs->r[rs->n++] = (struct run){ off, rs->fs->block_size };
	return TSK_WALK_CONT;
}

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

/* The start offsets of the walked (not carved) files, sorted: built once
 * before carving. */
static int
build_starts(struct ex *x)
{
	size_t i;

	x->starts = malloc((x->nitems ? x->nitems : 1) * sizeof(*x->starts));
	if (x->starts == NULL)
		return -ENOMEM;
	x->nstarts = 0;
	for (i = 0; i < x->nitems; i++)
		if (x->items[i].state != ST_CARVED)
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

/* Add a carved candidate unless a walked file starts there; 1 when the
 * cap is reached (carving stops). */
static int
add_carved(struct ex *x, const struct item *it, size_t *cand_n)
{
	int ret;

	if (known_start(x, it->image_off))
		return 0;
	if (*cand_n >= MAX_CARVED) {
		char msg[200];
		snprintf(msg, sizeof(msg), "carving stopped after %u candidates: the free space "
			 "holds more signatures than a card plausibly does (hostile or corrupt "
			 "image?); the rest of the free space was not carved", (unsigned)MAX_CARVED);
		json_object_array_add(x->warnings, json_object_new_string(msg));
		return 1;
	}
	if ((ret = add_item(x, it)) < 0)
		return ret;
	(*cand_n)++;
	return 0;
}

/*
 * Scan free space at every sector boundary for the signatures; a candidate
 * runs to the next signature or the end of its free run (JPEG: to its EOI;
 * SRT: to the first NUL), at most MAX_CARVE bytes.
 */
static int
carve(struct ex *x)
{
	struct runs rs;
	size_t fi, ri, cand_n = 0;
	double t0 = ct_now();
	int ret = 0;

	memset(&rs, 0, sizeof(rs));
	if ((ret = build_starts(x)) < 0)
		return ret;
	for (fi = 0; fi < x->nfs; fi++) {
		TSK_FS_INFO *fs = x->fs[fi];
		size_t sec = fs->block_size;

		memset(&rs, 0, sizeof(rs));
		rs.fs = fs;
		if (tsk_fs_block_walk(fs, fs->first_block, fs->last_block,
				      TSK_FS_BLOCK_WALK_FLAG_UNALLOC | TSK_FS_BLOCK_WALK_FLAG_AONLY,
				      unalloc_cb, &rs) != 0 && rs.err) {
			free(rs.r);
			return rs.err;
		}
		tsk_error_reset();
		for (ri = 0; ri < rs.n; ri++) {
			struct run *r = &rs.r[ri];
			uint64_t pos = 0, open_at = UINT64_MAX;
			int open_sig = -1;

			x->res->st.unalloc_bytes += r->len;
			while (pos < r->len) {
				size_t want = (size_t)(r->len - pos < CHUNK ? r->len - pos : CHUNK), k;
				ssize_t n = tsk_img_read(x->img, (TSK_OFF_T)(r->start + pos),
							 (char *)x->buf, want);
				if (n <= 0) {
					tsk_error_reset();
					break;
				}
				for (k = 0; k + 8 <= (size_t)n; k += sec) {
					int s = sig_at(x->buf + k, (size_t)n - k);
					uint64_t at = r->start + pos + k;
					if (s < 0)
						continue;
					if (open_sig >= 0) {
						struct item it = { .state = ST_CARVED, .image_off = open_at,
								   .size = at - open_at,
								   .ext = sigs[open_sig].ext };
						if ((ret = add_carved(x, &it, &cand_n)) != 0)
							goto out;
					}
					open_sig = s;
					open_at = at;
				}
				pos += (uint64_t)n;
			}
			if (open_sig >= 0) {
				struct item it = { .state = ST_CARVED, .image_off = open_at,
						   .size = r->start + r->len - open_at,
						   .ext = sigs[open_sig].ext, .carve_truncated = 1 };
				if ((ret = add_carved(x, &it, &cand_n)) != 0)
					goto out;
			}
		}
		free(rs.r);
		rs.r = NULL;
	}
out:
	free(rs.r);
	x->res->st.carve_seconds = ct_now() - t0;
	return ret < 0 ? ret : 0;
}

/*
 * Trim a carved candidate to its natural end where the format has one:
 * text at its first NUL; a JPEG at its LAST end-of-image marker before the
 * next candidate (an embedded thumbnail ends with one too).
 */
static void
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

/* ---- per file ---- */

static void
fat_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0) {
		snprintf(buf, len, "%s", "");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
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
			ret = add_blob(x, name, text, len);
		free(text);
	}
	return ret;
}

static int
process(struct ex *x, struct item *it, struct json_object *manifest, struct json_object *flights)
{
	static const char *const prefixes[] = { "files", "deleted", "carved" };
	struct file_input fi = { .x = x };
	struct ct_input in;
	struct ct_flight fl;
	const struct ct_parser *p = NULL;
	struct json_object *m, *w;
	char name[MAX_PATH_BYTES + 64], hex[65], tb[32];
	unsigned char head[HEAD];
	size_t headlen = 0;
	uint64_t missing = 0, end;
	int ret, score = 0, parsed = 0;
	size_t k;

	ct_flight_init(&fl, NULL);
	if (it->state == ST_CARVED) {
		char cname[64];
		trim_carved(x, it);
		snprintf(cname, sizeof(cname), "%" PRIu64 ".%s", it->image_off, it->ext);
		if ((ret = bundle_name(x, "carved", cname, 0, name, sizeof(name))) < 0)
			return ret;
		fi.carved = 1;
		fi.img_off = it->image_off;
	} else {
		fi.f = tsk_fs_file_open_meta(x->fs[it->fsi], NULL, it->inum);
		if (fi.f == NULL) {
			tsk_error_reset();
			ct_flight_warn(&fl, 0, "The Sleuth Kit cannot open this entry");
		}
		if ((ret = bundle_name(x, prefixes[it->state], it->path, it->name_off, name,
				       sizeof(name))) < 0)
			goto out;
	}
	fi.size = it->size;
	in.path = it->path;
	in.size = it->size;
	in.read = file_read;
	in.ctx = &fi;
	/* bid and parse */
	if (in.read(in.ctx, head, sizeof(head), 0, &headlen) < 0)
		headlen = 0;
	p = ct_parser_choose(it->state == ST_CARVED ? NULL : it->path, head, headlen, &score);
	/* a format that vouches for its own end (DJI DAT: its last record whose
	 * CRC holds) trims a carved candidate to it */
	if (p && it->state == ST_CARVED && p->carve_end && p->carve_end(&in, &end) == 0 &&
	    end < it->size) {
		it->size = fi.size = in.size = end;
		it->carve_truncated = 0;
		ct_flight_warn(&fl, end, "carved to the end of its last record whose checksum "
			       "holds; a later fragment of the file, if any, is not included");
	}
	if (p && (fi.f || it->state == ST_CARVED)) {
		fl.format = p->name;
		ret = p->parse(&in, &fl);
		if (ret < 0)
			ct_flight_warn(&fl, 0, "%s parser: %s", p->name, strerror(-ret));
		/* 1 is "nothing of use decoded": a DAT identified but not
		 * decoded, a photo without a position still tell who made them */
		parsed = ret == 0 || (ret == 1 && fl.nfacts > 0);
		ret = 0;
	}
	if (it->state == ST_DELETED && it->overwritten)
		ct_flight_warn(&fl, 0, "some of this deleted file's clusters belong to another file "
			       "now: its content is not complete");
	if (it->carve_truncated)
		ct_flight_warn(&fl, 0, "carved up to the end of a free run (%" PRIu64 " bytes): the "
			       "file may be fragmented or truncated", it->size);
	if ((ret = add_stream(x, name, &in, it->mtime, hex, &missing)) < 0)
		goto out;
	if (missing)
		ct_flight_warn(&fl, 0, "%" PRIu64 " bytes could not be read and are zero-filled in "
			       "the bundle", missing);

	m = json_object_new_object();
	if (it->path) {
		char *dp = display_path(it->path);
		json_object_object_add(m, "path", dp ? json_object_new_string(dp) : NULL);
		if (dp && strcmp(dp, it->path))
			json_object_object_add(m, "path_escaped", json_object_new_boolean(1));
		free(dp);
	} else {
		json_object_object_add(m, "path", NULL);
	}
	json_object_object_add(m, "bundle_path", json_object_new_string(name));
	json_object_object_add(m, "size", json_object_new_int64((int64_t)it->size));
	json_object_object_add(m, "sha256", json_object_new_string(hex));
	json_object_object_add(m, "state", json_object_new_string(state_names[it->state]));
	if (it->orphan)
		json_object_object_add(m, "orphan", json_object_new_boolean(1));
	json_object_object_add(m, "source_offset", it->image_off ?
			       json_object_new_int64((int64_t)it->image_off) : NULL);
	if (it->state != ST_CARVED) {
		struct json_object *t = json_object_new_object();
		fat_time(it->mtime, tb, sizeof(tb));
		json_object_object_add(t, "modified", tb[0] ? json_object_new_string(tb) : NULL);
		fat_time(it->atime, tb, sizeof(tb));
		json_object_object_add(t, "accessed", tb[0] ? json_object_new_string(tb) : NULL);
		fat_time(it->crtime, tb, sizeof(tb));
		json_object_object_add(t, "created", tb[0] ? json_object_new_string(tb) : NULL);
		json_object_object_add(t, "zone", json_object_new_string(
					       "none: FAT and exFAT times as stored (local wall clock)"));
		json_object_object_add(m, "times", t);
	}
	if (it->state != ST_CARVED && fi.f == NULL)
		json_object_object_add(m, "content", json_object_new_string(
					       "not readable: zero-filled in the bundle"));
	else if (it->state == ST_DELETED)
		json_object_object_add(m, "content", json_object_new_string(
					       it->overwritten ? "incomplete: clusters reused" :
					       "plausibly complete: its clusters are still free"));
	json_object_object_add(m, "parser", parsed ? json_object_new_string(p->name) : NULL);
	json_object_object_add(m, "points", json_object_new_int64((int64_t)fl.npts));
	w = json_object_new_array();
	for (k = 0; k < fl.nwarnings; k++)
		json_object_array_add(w, json_object_new_string(fl.warnings[k]));
	json_object_object_add(m, "warnings", w);
	json_object_array_add(manifest, m);

	if (parsed) {
		x->res->st.parsed++;
		if (fl.npts > 0 || fl.nfacts > 0) {
			fl.format = p->name;
			json_object_array_add(flights, ct_flight_json(&fl, name, state_names[it->state]));
			if (fl.npts > 0) {
				x->res->st.flights++;
				x->res->st.points += fl.npts;
				ret = add_tracks(x, &fl, name);
			}
		}
	}
out:
	ct_flight_release(&fl);
	if (fi.f)
		tsk_fs_file_close(fi.f);
	return ret;
}

/* ---- the run ---- */

static int
check_case_image(struct ex *x, char ***segs, int *nseg, int *ewf)
{
	const struct ct_extract_opts *o = x->o;
	struct json_object *acq = NULL, *rep = NULL;
	char path[PATH_MAX];
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
	ret = ct_image_rehash(o->casedir, acq, o->bufsize, &rep);
	x->res->image_check = rep;
	if (ret < 0 || !json_object_get_boolean(ct_json_get(rep, "match"))) {
		x->res->image_mismatch = 1;
		if (!o->force) {
			ret = exerr(x, -EBADMSG, "the image of %s does not match its acquisition "
				    "record (%s): nothing extracted (--force extracts anyway and "
				    "records it)", o->evidence, ct_json_str(rep, "error", "mismatch"));
			goto out;
		}
		x->res->forced = 1;
	}
	{
		/* the files as the record names them: raw segments or an E01 set */
		const char *format;
		size_t n;

		if ((ret = ct_image_paths(o->casedir, acq, segs, &n, &format)) < 0) {
			ret = exerr(x, ret, "the acquisition record of %s lists no usable image files",
				    o->evidence);
			goto out;
		}
		*nseg = (int)n;
		*ewf = !strcmp(format, "e01");
	}
	ret = 0;
out:
	json_object_put(acq);
	return ret;
}

int
ct_extract_run(const struct ct_extract_opts *o, struct ct_extract_result *res)
{
	struct ex x;
	struct json_object *manifest = NULL, *flights = NULL;
	char **segs = NULL, bname[300];
	int ewf = 0;
	const char *dir;
	int nseg = 0, ret, i;
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
	x.names = json_object_new_object();
	x.sums = json_object_new_array();
	x.warnings = json_object_new_array();
	if (x.buf == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if (o->casedir) {
		if ((ret = check_case_image(&x, &segs, &nseg, &ewf)) < 0)
			goto out;
		dir = o->casedir;
		snprintf(bname, sizeof(bname), "%s.evidence", o->evidence);
	} else {
		const char *b = strrchr(o->image, '/');
		segs = calloc(2, sizeof(char *));
		if (segs == NULL || (segs[0] = strdup(o->image)) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		nseg = 1;
		ewf = ct_image_is_ewf(o->image) == 1;
		dir = o->outdir;
		snprintf(bname, sizeof(bname), "%s.evidence", b ? b + 1 : o->image);
	}
	/* card images are raw (dd-style, split or not) or E01 (libewf finds
	 * the other segments of a bare .E01); no other format probing */
	x.img = tsk_img_open_utf8(nseg, (const char *const *)segs,
				  ewf ? TSK_IMG_TYPE_EWF_EWF : TSK_IMG_TYPE_RAW, 0);
	if (x.img == NULL) {
		ret = exerr(&x, -EINVAL, "The Sleuth Kit cannot open the image '%s': %s", segs[0],
			    tsk_error_get() ? tsk_error_get() : "unknown error");
		tsk_error_reset();
		goto out;
	}
	if (open_filesystems(&x) < 0) {
		ret = exerr(&x, -EINVAL, "no FAT or exFAT filesystem found in '%s'", segs[0]);
		goto out;
	}
	for (k = 0; k < x.nfs; k++) {
		x.fsi = (int)k;
		if (tsk_fs_dir_walk(x.fs[k], x.fs[k]->root_inum,
				    TSK_FS_DIR_WALK_FLAG_ALLOC | TSK_FS_DIR_WALK_FLAG_UNALLOC |
				    TSK_FS_DIR_WALK_FLAG_RECURSE, walk_cb, &x) != 0)
			tsk_error_reset();	/* a damaged directory: keep what was found */
	}
	for (k = 0; k < x.nitems; k++)
		locate(&x, &x.items[k]);
	if (!o->no_carve && (ret = carve(&x)) < 0) {
		exerr(&x, ret, "carving failed: %s", strerror(-ret));
		goto out;
	}
	if ((ret = ct_mkdir_p(dir)) < 0) {
		exerr(&x, ret, "cannot create '%s': %s", dir, strerror(-ret));
		goto out;
	}
	if ((ret = bundle_open(&x, dir, bname)) < 0)
		goto out;
	manifest = json_object_new_array();
	flights = json_object_new_array();
	for (k = 0; k < x.nitems; k++) {
		struct item *it = &x.items[k];
		if ((ret = process(&x, it, manifest, flights)) < 0)
			goto out;
		res->st.files++;
		if (it->state == ST_ALLOC)
			res->st.allocated++;
		else if (it->state == ST_DELETED)
			res->st.deleted++;
		else
			res->st.carved++;
		if (it->orphan)
			res->st.orphan++;
	}
	{
		struct json_object *mf = json_object_new_object(), *img = json_object_new_object();
		const char *text;

		json_object_object_add(img, "evidence", o->evidence ? json_object_new_string(o->evidence) : NULL);
		json_object_object_add(img, "path", json_object_new_string(segs[0]));
		json_object_object_add(img, "sha256", res->image_sha256[0] ?
				       json_object_new_string(res->image_sha256) : NULL);
		if (res->image_mismatch)
			json_object_object_add(img, "read_sha256", json_object_new_string(
				ct_json_str(ct_json_get(res->image_check, "hashes"), "sha256", "not computed")));
		json_object_object_add(img, "verified_against_record", json_object_new_boolean(
					       o->casedir && !res->image_mismatch));
		json_object_object_add(img, "forced", json_object_new_boolean(res->forced));
		json_object_object_add(mf, "image", img);
		json_object_object_add(mf, "tool", ct_tool_json());
		json_object_object_add(mf, "files", json_object_get(manifest));
		json_object_object_add(mf, "warnings", json_object_get(x.warnings));
		text = json_object_to_json_string_ext(mf, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
		ret = add_blob(&x, "MANIFEST.json", text, strlen(text));
		json_object_put(mf);
		if (ret < 0)
			goto out;
		text = json_object_to_json_string_ext(flights, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
		if ((ret = add_blob(&x, "flights.json", text, strlen(text))) < 0)
			goto out;
	}
	{
		/* last: sha256sum -c works after unpacking */
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (f == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		for (k = 0; k < json_object_array_length(x.sums); k++) {
			struct json_object *pr = json_object_array_get_idx(x.sums, k);
			fprintf(f, "%s  %s\n", json_object_get_string(json_object_array_get_idx(pr, 1)),
				json_object_get_string(json_object_array_get_idx(pr, 0)));
		}
		fclose(f);
		if ((ret = entry_begin(&x, "SHA256SUMS", len, time(NULL))) == 0)
			ret = entry_data(&x, text, len);
		free(text);
		if (ret < 0)
			goto out;
	}
	if (archive_write_close(x.ar) != ARCHIVE_OK) {
		ret = exerr(&x, -EIO, "cannot finish the bundle: %s", archive_error_string(x.ar));
		goto out;
	}
	{
		/* close in both cases; the first error is the one to report */
		int e = fsync(x.ar_fd) < 0 ? errno : 0;
		if (close(x.ar_fd) < 0 && e == 0)
			e = errno;
		x.ar_fd = -1;
		if (e) {
			ret = exerr(&x, -e, "cannot write '%s': %s", res->bundle, strerror(e));
			goto out;
		}
	}
	if ((ret = ct_fsync_dir(dir)) < 0)
		goto out;
	res->flights = flights;
	res->manifest = manifest;
	flights = manifest = NULL;
	ret = 0;
out:
	res->st.seconds = ct_now() - t0;
	if (x.ar) {
		if (x.ar_fd >= 0)
			archive_write_fail(x.ar);
		archive_write_free(x.ar);
	}
	if (x.ar_fd >= 0) {
		/* a half-written bundle claims nothing: it keeps its name for
		 * the examiner to look at, and the custody log never lists it */
		close(x.ar_fd);
	}
	for (k = 0; k < x.nfs; k++)
		tsk_fs_close(x.fs[k]);
	if (x.vs)
		tsk_vs_close(x.vs);
	if (x.img)
		tsk_img_close(x.img);
	for (k = 0; k < x.nitems; k++)
		free(x.items[k].path);
	free(x.items);
	for (i = 0; segs && i < nseg; i++)
		free(segs[i]);
	free(segs);
	free(x.buf);
	json_object_put(x.names);
	json_object_put(x.sums);
	json_object_put(x.warnings);
	free(x.starts);
	json_object_put(manifest);
	json_object_put(flights);
	return ret;
}

void
ct_extract_result_release(struct ct_extract_result *res)
{
	if (res == NULL)
		return;
	json_object_put(res->flights);
	json_object_put(res->manifest);
	json_object_put(res->image_check);
	res->flights = res->manifest = res->image_check = NULL;
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
	json_object_object_add(r, "result", result);
	return r;
}
