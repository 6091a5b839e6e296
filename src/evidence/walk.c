/*
 * walk.c — The Sleuth Kit over a card image: volumes, files with their
 * byte ranges, free space (see walk.h).
 *
 * libtsk's own recursive walk (tsk_fs_dir_walk with RECURSE) stops loops
 * only along the current path and names FAT entries by position: a chain
 * of folders that each hold two entries for the next one is 2^N paths.
 * Its orphan search starts with such a walk too.  So the walk here is our
 * own: depth first, in the same order as libtsk's, each (volume, entry
 * address) once, each folder listed once (a folder met again under
 * another path is reported as an alias), and the orphan search is handed
 * the addresses we named, so that libtsk does not walk again.
 *
 * Times: FAT stores local wall-clock times without a zone; exFAT stores
 * beside each a UTC offset (valid bit and 15-minute units), which libtsk
 * does not read: the walk reads the entry itself for it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include "cardtrail/flight.h"
#include "walk.h"

/*
 * libtsk's FAT parent cache (in tsk_fatfs.h, which needs headers Debian
 * does not install).  Its FATFS_INFO starts with the TSK_FS_INFO.  Told
 * the parent of each folder before it is opened, libtsk never walks the
 * whole tree to find the parent of a ".." entry.
 */
extern uint8_t fatfs_dir_buf_add(TSK_FS_INFO *fatfs, TSK_INUM_T par_inum, TSK_INUM_T dir_inum);

#define FIRST_NORMINO 3		/* libtsk's first FAT inode that is an entry */
#define DENTRY 32

/* exFAT directory entry types (in use: bit 7 set) */
#define EXFAT_FILE		0x85
#define EXFAT_BITMAP		0x81
#define EXFAT_UPCASE		0x82
#define EXFAT_LABEL		0x83
#define EXFAT_GUID		0xa0
#define EXFAT_PADDING		0xa1
/* FAT attributes */
#define FAT_ATTR_VOLUME		0x08
#define FAT_ATTR_DIR		0x10
#define FAT_ATTR_LFN		0x0f

struct volume {
	TSK_FS_INFO *fs;
	struct ct_wvolume v;
	int exfat;
	/* where libtsk's entry addresses are (its FATFS_INODE_2_SECT) */
	uint64_t firstdatasect;
	uint32_t ssize;
	/* clusters: cluster 2 at byte clus0 of the volume, csize bytes each */
	uint64_t clus0;
	uint32_t csize;
};

/* A set of entry addresses, each with the folder it was seen in. */
struct seen {
	uint64_t *key;		/* inum + 1; 0 is empty */
	uint32_t *dir;
	size_t n, cap;
};

struct folder {
	char *path;		/* "DCIM/100MEDIA/" ("" for the root) */
};

/*
 * A folder being listed (the walk's stack).  Opening it claims all its
 * entries at once, before any subfolder is entered: an entry belongs to the
 * shallowest folder listed first, so a subfolder that leads back to its
 * parent (or to the root) finds their entries taken, and is an alias.
 */
struct frame {
	TSK_FS_DIR *d;
	size_t i, n;
	unsigned char *mine;	/* entry i was claimed by this folder */
	uint32_t id;		/* in folders */
	TSK_INUM_T inum;
	size_t fresh, repeats;
	uint32_t repeat_of;	/* folder of the first entry seen before */
};

struct walk {
	TSK_IMG_INFO *img;
	const struct ct_walk_sink *sink;
	struct volume vols[CT_WALK_MAX_VOLUMES];
	size_t nvols;
	TSK_VS_INFO *vs;
	size_t items;		/* reported, all volumes */
	uint64_t max_items;
	int capped;
	/* per volume */
	struct volume *cur;
	struct seen seen;
	struct folder *folders;
	size_t nfolders, foldcap;
	struct frame stack[CT_WALK_MAX_DEPTH + 2];
	int depth;
	uint64_t *unalloc_names;	/* deleted entries named, for the orphan search */
	size_t nun, uncap;
	struct ct_run *runs;
	size_t nruns, runcap;
	int depth_warned;
};

static int
warn(struct walk *w, uint32_t vol, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
warn(struct walk *w, uint32_t vol, const char *fmt, ...)
{
	char buf[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return w->sink->warn ? w->sink->warn(w->sink->ctx, vol, buf) : 0;
}

static const char *
tsk_msg(void)
{
	const char *e = tsk_error_get();

	return e ? e : "unknown error";
}

/* ---- the set of entries seen ---- */

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static int
seen_grow(struct seen *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024, i, j;
	uint64_t *key = calloc(cap, sizeof(*key));
	uint32_t *dir = calloc(cap, sizeof(*dir));

	if (key == NULL || dir == NULL) {
		free(key);
		free(dir);
		return -ENOMEM;
	}
	for (i = 0; i < s->cap; i++) {
		if (s->key[i] == 0)
			continue;
		for (j = mix(s->key[i]) & (cap - 1); key[j]; j = (j + 1) & (cap - 1))
			;
		key[j] = s->key[i];
		dir[j] = s->dir[i];
	}
	free(s->key);
	free(s->dir);
	s->key = key;
	s->dir = dir;
	s->cap = cap;
	return 0;
}

/* 1 with *dir when inum was seen, else adds it (in folder dir): 0, -ENOMEM. */
static int
seen_check_add(struct seen *s, uint64_t inum, uint32_t *dir)
{
	uint64_t k = inum + 1;
	size_t j;

	if ((s->n + 1) * 2 > s->cap && seen_grow(s) < 0)
		return -ENOMEM;
	for (j = mix(k) & (s->cap - 1); s->key[j]; j = (j + 1) & (s->cap - 1))
		if (s->key[j] == k) {
			*dir = s->dir[j];
			return 1;
		}
	s->key[j] = k;
	s->dir[j] = *dir;
	s->n++;
	return 0;
}

static void
seen_release(struct seen *s)
{
	free(s->key);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

/* ---- volumes ---- */

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Where the entries are, from the boot sector, as libtsk computes it:
 * FAT the sector after the FATs, exFAT the cluster heap. */
static void
entry_geometry(struct volume *v)
{
	unsigned char b[512];
	uint32_t fatsz;

	v->ssize = 0;
	if (tsk_fs_read(v->fs, 0, (char *)b, sizeof(b)) != (ssize_t)sizeof(b)) {
		tsk_error_reset();
		return;
	}
	if (v->exfat) {
		if (b[108] < 9 || b[108] > 12 || b[109] > 25 - b[108])
			return;
		v->ssize = 1u << b[108];
		v->firstdatasect = le32(b + 88);
		v->clus0 = v->firstdatasect * v->ssize;
		v->csize = v->ssize << b[109];
	} else {
		v->ssize = le16(b + 11);
		fatsz = le16(b + 22) ? le16(b + 22) : le32(b + 36);
		v->firstdatasect = (uint64_t)le16(b + 14) + (uint64_t)fatsz * b[16];
		if (v->ssize < 512 || v->ssize % DENTRY) {
			v->ssize = 0;
			return;
		}
		/* FAT12/16: the root folder's sectors come before cluster 2 */
		v->clus0 = (v->firstdatasect + ((uint64_t)le16(b + 17) * DENTRY + v->ssize - 1) /
			    v->ssize) * v->ssize;
		v->csize = v->ssize * b[13];
	}
}

static void
add_volume(struct walk *w, TSK_FS_INFO *fs, const TSK_VS_PART_INFO *p)
{
	struct volume *v = &w->vols[w->nvols];
	uint64_t isz = (uint64_t)w->img->size;

	memset(v, 0, sizeof(*v));
	v->fs = fs;
	v->exfat = fs->ftype == TSK_FS_TYPE_EXFAT;
	v->v.index = (uint32_t)w->nvols;
	v->v.offset = (uint64_t)fs->offset;
	v->v.size = (uint64_t)fs->block_count * fs->block_size;
	v->v.in_image = v->v.offset >= isz ? 0 :
			v->v.size < isz - v->v.offset ? v->v.size : isz - v->v.offset;
	v->v.block_size = fs->block_size;
	snprintf(v->v.fstype, sizeof(v->v.fstype), "%s", tsk_fs_type_toname(fs->ftype));
	if (p != NULL) {
		snprintf(v->v.vstype, sizeof(v->v.vstype), "%s", tsk_vs_type_toname(w->vs->vstype));
		/* as Linux numbers them: a DOS primary by its slot, a logical one
		 * (in the n-th extended table) 4 + n; a GPT entry by its slot */
		if (w->vs->vstype == TSK_VS_TYPE_DOS && p->table_num > 0)
			v->v.part = 4 + p->table_num;
		else
			v->v.part = p->slot_num + 1;
	}
	entry_geometry(v);
	w->nvols++;
}

static void
open_volumes(struct walk *w)
{
	TSK_FS_INFO *fs;
	TSK_PNUM_T i;

	w->vs = tsk_vs_open(w->img, 0, TSK_VS_TYPE_DETECT);
	for (i = 0; w->vs && i < w->vs->part_count && w->nvols < CT_WALK_MAX_VOLUMES; i++) {
		const TSK_VS_PART_INFO *p = tsk_vs_part_get(w->vs, i);

		if (p == NULL || !(p->flags & TSK_VS_PART_FLAG_ALLOC))
			continue;
		if ((fs = tsk_fs_open_vol(p, TSK_FS_TYPE_FAT_DETECT)) != NULL)
			add_volume(w, fs, p);
		tsk_error_reset();
	}
	tsk_error_reset();
	if (w->nvols == 0) {
		/* a superfloppy: the filesystem starts at 0 */
		if ((fs = tsk_fs_open_img(w->img, 0, TSK_FS_TYPE_FAT_DETECT)) != NULL)
			add_volume(w, fs, NULL);
		tsk_error_reset();
	}
}

/* ---- times ---- */

static void
tsk_time(struct ct_wtime *t, time_t sec, uint32_t nsec, int date_only)
{
	memset(t, 0, sizeof(*t));
	if (sec <= 0)
		return;
	t->sec = sec;
	t->nsec = nsec;
	t->kind = date_only ? CT_WT_LOCAL_DATE : CT_WT_LOCAL;
}

/* An exFAT timestamp (DOS date and time), its 10 ms increment and its
 * UTC offset byte (bit 7 valid, bits 0-6 signed 15-minute units). */
static void
exfat_time(struct ct_wtime *t, uint32_t ts, unsigned cs10, unsigned utcoff)
{
	unsigned sec2 = ts & 31, min = (ts >> 5) & 63, hour = (ts >> 11) & 31;
	unsigned day = (ts >> 16) & 31, mon = (ts >> 21) & 15, year = 1980 + (ts >> 25);
	int q;

	memset(t, 0, sizeof(*t));
	if (ts == 0 || day == 0 || mon == 0 || mon > 12 || hour > 23 || min > 59 || sec2 > 29)
		return;
	t->sec = ct_days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec2 * 2;
	if (cs10 < 200) {
		t->sec += cs10 / 100;
		t->nsec = (cs10 % 100) * 10000000u;
	}
	t->kind = CT_WT_LOCAL;
	if (utcoff & 0x80) {
		q = (int)(utcoff & 0x7f);
		if (q >= 64)
			q -= 128;
		t->offset_min = (int16_t)(q * 15);
		t->sec -= (int64_t)q * 15 * 60;
		t->kind = CT_WT_UTC;
	}
}

/*
 * The entry libtsk calls inum, as stored: 0 with the 32 bytes in e, or -1
 * when it cannot be read.
 */
static int
raw_entry(const struct volume *v, TSK_INUM_T inum, unsigned char e[DENTRY])
{
	uint64_t sect, off;

	if (v->ssize == 0 || inum < FIRST_NORMINO)
		return -1;
	sect = (inum - FIRST_NORMINO) / (v->ssize / DENTRY) + v->firstdatasect;
	off = ((inum - FIRST_NORMINO) % (v->ssize / DENTRY)) * DENTRY;
	if (tsk_fs_read(v->fs, (TSK_OFF_T)(sect * v->ssize + off), (char *)e, DENTRY) != DENTRY) {
		tsk_error_reset();
		return -1;
	}
	return 0;
}

/* Is e the entry libtsk read for f?  (Else its address was not found the
 * way libtsk finds it, and is not used.) */
static int
entry_matches(const struct volume *v, const TSK_FS_FILE *f, const unsigned char *e)
{
	if (v->exfat)
		return (e[0] & 0x40) == 0 && (e[0] & 0x1f) != 0;	/* a primary entry */
	if ((e[11] & FAT_ATTR_LFN) == FAT_ATTR_LFN)
		return 0;
	return (e[11] & (FAT_ATTR_DIR | FAT_ATTR_VOLUME)) ||
	       le32(e + 28) == (uint32_t)(f->meta->size > 0 ? f->meta->size : 0);
}

/* Filesystem metadata, not files: a FAT volume label, exFAT's allocation
 * bitmap, up-case table, label, GUID and padding entries. */
static int
is_fs_metadata(const struct volume *v, const TSK_FS_FILE *f, const unsigned char *e, int have_e)
{
	if (v->exfat) {
		if (!have_e)
			return f->name->par_addr == v->fs->root_inum &&
			       (!strcmp(f->name->name, "$ALLOC_BITMAP") ||
				!strcmp(f->name->name, "$UPCASE_TABLE"));
		switch (e[0] | 0x80) {
		case EXFAT_BITMAP: case EXFAT_UPCASE: case EXFAT_LABEL: case EXFAT_GUID:
		case EXFAT_PADDING:
			return 1;
		default:
			return 0;
		}
	}
	if (have_e)
		return (e[11] & FAT_ATTR_LFN) != FAT_ATTR_LFN && (e[11] & FAT_ATTR_VOLUME);
	return f->meta->size == 0 && strstr(f->name->name, "(Volume Label Entry)") != NULL;
}

static void
file_times(const struct volume *v, const TSK_FS_FILE *f, const unsigned char *e, int have_e,
	   struct ct_witem *it)
{
	const TSK_FS_META *m = f->meta;

	if (v->exfat && have_e && (e[0] | 0x80) == EXFAT_FILE) {
		exfat_time(&it->crtime, le32(e + 8), e[20], e[22]);
		exfat_time(&it->mtime, le32(e + 12), e[21], e[23]);
		exfat_time(&it->atime, le32(e + 16), 200, e[24]);
		return;
	}
	tsk_time(&it->mtime, m->mtime, m->mtime_nano, 0);
	/* FAT keeps a date only for the last access */
	tsk_time(&it->atime, m->atime, 0, !v->exfat);
	tsk_time(&it->crtime, m->crtime, m->crtime_nano, 0);
}

/* ---- a file's byte ranges ---- */

struct runs_ctx {
	struct walk *w;
	uint64_t covered;
	uint64_t size;
	int overwritten;
	int err;
};

static int
add_run(struct walk *w, uint64_t img_off, uint64_t len)
{
	struct ct_run *r;

	if (w->nruns) {
		r = &w->runs[w->nruns - 1];
		if ((img_off == CT_RUN_ZERO && r->img_off == CT_RUN_ZERO) ||
		    (img_off != CT_RUN_ZERO && r->img_off != CT_RUN_ZERO &&
		     r->img_off + r->len == img_off)) {
			r->len += len;
			return 0;
		}
	}
	if (w->nruns == w->runcap) {
		size_t cap = w->runcap ? w->runcap * 2 : 64;
		if ((r = realloc(w->runs, cap * sizeof(*r))) == NULL)
			return -ENOMEM;
		w->runs = r;
		w->runcap = cap;
	}
	w->runs[w->nruns++] = (struct ct_run){ img_off, len };
	return 0;
}

static TSK_WALK_RET_ENUM
runs_cb(TSK_FS_FILE *f, TSK_OFF_T off, TSK_DADDR_T addr, char *buf, size_t size,
	TSK_FS_BLOCK_FLAG_ENUM flags, void *ptr)
{
	struct runs_ctx *c = ptr;
	struct walk *w = c->w;
	uint64_t len = size;

	(void)off;
	(void)buf;
	if (c->covered >= c->size)
		return TSK_WALK_STOP;
	if (len > c->size - c->covered)
		len = c->size - c->covered;
	if (flags & TSK_FS_BLOCK_FLAG_SPARSE)
		c->err = add_run(w, CT_RUN_ZERO, len);
	else
		c->err = add_run(w, (uint64_t)f->fs_info->offset +
				 (uint64_t)addr * f->fs_info->block_size, len);
	if (c->err < 0)
		return TSK_WALK_ERROR;
	if (flags & TSK_FS_BLOCK_FLAG_ALLOC)
		c->overwritten = 1;
	c->covered += len;
	return c->covered >= c->size ? TSK_WALK_STOP : TSK_WALK_CONT;
}

/* Cut the ranges at the end of the image. */
static void
clip_runs(struct walk *w, struct ct_witem *it)
{
	uint64_t isz = (uint64_t)w->img->size, vend = w->cur->v.offset + w->cur->v.size;
	size_t i, n = 0;

	for (i = 0; i < w->nruns; i++) {
		struct ct_run r = w->runs[i];

		if (r.img_off != CT_RUN_ZERO) {
			if (r.img_off + r.len > vend)
				it->flags |= CT_WF_PAST_VOLUME;
			if (r.img_off >= isz) {
				it->flags |= CT_WF_PAST_IMAGE;
				break;
			}
			if (r.img_off + r.len > isz) {
				it->flags |= CT_WF_PAST_IMAGE;
				r.len = isz - r.img_off;
				w->runs[n++] = r;
				break;
			}
		}
		w->runs[n++] = r;
	}
	w->nruns = n;
}

/* A deleted entry's first cluster, from the entry (exFAT: its stream
 * extension, the next entry); 0 when it cannot be read. */
static uint64_t
first_cluster(const struct volume *v, TSK_INUM_T inum, const unsigned char *e, int have_e)
{
	unsigned char s[DENTRY];

	if (!have_e)
		return 0;
	if (!v->exfat)
		return (uint64_t)le16(e + 20) << 16 | le16(e + 26);
	if (raw_entry(v, inum + 1, s) < 0 || (s[0] | 0x80) != 0xc0)
		return 0;
	return le32(s + 20);
}

/*
 * libtsk maps nothing of a deleted file whose clusters would run past the
 * end of the volume.  FAT keeps no chain for a deleted file: its content is
 * read from its first cluster on, as libtsk does; here up to the volume's
 * end, and the entry is flagged as running past it.
 */
static int
map_deleted_to_end(struct walk *w, struct ct_witem *it, uint64_t clus, uint64_t *covered)
{
	const struct volume *v = w->cur;
	uint64_t start, vend = v->v.size, len;

	if (clus < 2 || v->csize == 0)
		return 0;
	start = v->clus0 + (clus - 2) * v->csize;
	if (start >= vend)
		return 0;
	len = it->size < vend - start ? it->size : vend - start;
	if (it->size > vend - start)
		it->flags |= CT_WF_PAST_VOLUME;
	*covered = len;
	return add_run(w, v->v.offset + start, len);
}

static int
map_file(struct walk *w, TSK_FS_FILE *f, struct ct_witem *it, uint64_t clus)
{
	struct runs_ctx c = { w, 0, it->size, 0, 0 };
	uint64_t vend = w->cur->v.offset + w->cur->v.size;

	w->nruns = 0;
	if (it->size > 0 &&
	    tsk_fs_file_walk(f, TSK_FS_FILE_WALK_FLAG_AONLY, runs_cb, &c) != 0) {
		tsk_error_reset();
		if (c.err < 0)
			return c.err;
	}
	if (it->deleted)
		it->overwritten = (uint8_t)c.overwritten;
	if (it->deleted && w->nruns == 0 && it->size > 0) {
		int ret = map_deleted_to_end(w, it, clus, &c.covered);
		if (ret < 0)
			return ret;
	}
	if (c.covered < it->size && !(it->flags & CT_WF_PAST_VOLUME)) {
		/* where did it stop: at the volume's end, or short of it */
		const struct ct_run *last = w->nruns ? &w->runs[w->nruns - 1] : NULL;
		if (last && last->img_off != CT_RUN_ZERO &&
		    last->img_off + last->len + w->cur->v.block_size > vend)
			it->flags |= CT_WF_PAST_VOLUME;
		else
			it->flags |= CT_WF_CHAIN_SHORT;
	}
	clip_runs(w, it);
	it->runs = w->runs;
	it->nruns = (uint32_t)w->nruns;
	return 0;
}

/* ---- files ---- */

static int
report_file(struct walk *w, TSK_FS_FILE *f, const char *dirpath, int orphan)
{
	struct ct_witem it;
	unsigned char e[DENTRY];
	char path[CT_WALK_MAX_PATH];
	int have_e, ret, n;

	have_e = raw_entry(w->cur, f->meta->addr, e) == 0 && entry_matches(w->cur, f, e);
	if (is_fs_metadata(w->cur, f, e, have_e))
		return 0;
	if (w->items >= w->max_items) {
		if (!w->capped) {
			w->capped = 1;
			warn(w, w->cur->v.index, "the walk stopped at the cap of %" PRIu64 " files "
			     "(--max-files): the filesystem names more than that (a hostile or "
			     "corrupt one?); the rest was not extracted", w->max_items);
		}
		return 1;
	}
	memset(&it, 0, sizeof(it));
	it.vol = w->cur->v.index;
	it.inum = f->meta->addr;
	it.orphan = (uint8_t)orphan;
	it.deleted = orphan || (f->name->flags & TSK_FS_NAME_FLAG_UNALLOC) ||
		     (f->meta->flags & TSK_FS_META_FLAG_UNALLOC);
	it.size = f->meta->size > 0 ? (uint64_t)f->meta->size : 0;
	file_times(w->cur, f, e, have_e, &it);
	n = snprintf(path, sizeof(path), "%s%s", dirpath, f->name->name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		warn(w, it.vol, "a path longer than %d bytes cut: '%.200s…'", CT_WALK_MAX_PATH, path);
		path[sizeof(path) - 1] = '\0';
	}
	it.path = path;
	it.name_off = (uint32_t)(strlen(dirpath) < strlen(path) ? strlen(dirpath) : strlen(path));
	if ((ret = map_file(w, f, &it, it.deleted ? first_cluster(w->cur, it.inum, e, have_e) :
				   0)) < 0)
		return ret;
	w->items++;
	return w->sink->item(w->sink->ctx, &it);
}

/* ---- folders ---- */

static int
add_folder(struct walk *w, const char *parent, const char *name, uint32_t *id)
{
	struct folder *fo;
	char *p;

	if (w->nfolders == w->foldcap) {
		size_t cap = w->foldcap ? w->foldcap * 2 : 64;
		if ((fo = realloc(w->folders, cap * sizeof(*fo))) == NULL)
			return -ENOMEM;
		w->folders = fo;
		w->foldcap = cap;
	}
	if (asprintf(&p, "%s%s%s", parent, name, *name ? "/" : "") < 0)
		return -ENOMEM;
	if (strlen(p) >= CT_WALK_MAX_PATH)
		p[CT_WALK_MAX_PATH - 1] = '\0';
	w->folders[w->nfolders].path = p;
	*id = (uint32_t)w->nfolders++;
	return 0;
}

static int
note_unalloc_name(struct walk *w, uint64_t inum)
{
	if (w->nun == w->uncap) {
		size_t cap = w->uncap ? w->uncap * 2 : 256;
		uint64_t *n = realloc(w->unalloc_names, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		w->unalloc_names = n;
		w->uncap = cap;
	}
	w->unalloc_names[w->nun++] = inum;
	return 0;
}

/* Claim the entries of a folder just opened that nobody claimed before. */
static int
claim_entries(struct walk *w, struct frame *fr)
{
	const TSK_FS_NAME *nm;
	uint32_t where;
	size_t i;
	int ret;

	for (i = 0; i < fr->n; i++) {
		nm = tsk_fs_dir_get_name(fr->d, i);
		if (nm == NULL || nm->name == NULL || !strcmp(nm->name, ".") ||
		    !strcmp(nm->name, "..") || nm->type == TSK_FS_NAME_TYPE_VIRT ||
		    nm->type == TSK_FS_NAME_TYPE_VIRT_DIR ||
		    nm->meta_addr == TSK_FS_ORPHANDIR_INUM(w->cur->fs))
			continue;
		where = fr->id;
		if ((ret = seen_check_add(&w->seen, nm->meta_addr, &where)) < 0)
			return ret;
		if (ret == 1) {
			if (fr->repeats++ == 0)
				fr->repeat_of = where;
			continue;
		}
		fr->mine[i] = 1;
		fr->fresh++;
		if ((nm->flags & TSK_FS_NAME_FLAG_UNALLOC) &&
		    (ret = note_unalloc_name(w, nm->meta_addr)) < 0)
			return ret;
	}
	tsk_error_reset();
	return 0;
}

/* Open folder inum (found in folder parent) and push it on the stack. */
static int
push_folder(struct walk *w, TSK_INUM_T inum, TSK_INUM_T parent, uint32_t id)
{
	struct frame *fr;
	TSK_FS_DIR *d;

	if (w->depth > CT_WALK_MAX_DEPTH) {
		if (!w->depth_warned++)
			warn(w, w->cur->v.index, "folders nested deeper than %d levels not walked "
			     "(the first: '%.300s')", CT_WALK_MAX_DEPTH, w->folders[id].path);
		return 0;
	}
	if (TSK_FS_TYPE_ISFAT(w->cur->fs->ftype) && !w->cur->exfat && inum != parent)
		fatfs_dir_buf_add(w->cur->fs, parent, inum);
	if ((d = tsk_fs_dir_open_meta(w->cur->fs, inum)) == NULL) {
		warn(w, w->cur->v.index, "cannot read the folder '%.300s': %s", w->folders[id].path,
		     tsk_msg());
		tsk_error_reset();
		return 0;
	}
	tsk_error_reset();
	fr = &w->stack[++w->depth];
	memset(fr, 0, sizeof(*fr));
	fr->d = d;
	fr->n = tsk_fs_dir_getsize(d);
	fr->id = id;
	fr->inum = inum;
	if ((fr->mine = calloc(fr->n ? fr->n : 1, 1)) == NULL)
		return -ENOMEM;
	return claim_entries(w, fr);
}

static int
pop_folder(struct walk *w)
{
	struct frame *fr = &w->stack[w->depth--];
	int ret = 0;
	size_t n;

	/* nothing new: the same entries as a folder listed before */
	if (fr->fresh == 0 && fr->repeats > 0 && fr->repeat_of != fr->id && w->sink->alias) {
		const char *a = w->folders[fr->repeat_of].path, *b = w->folders[fr->id].path;
		char pa[CT_WALK_MAX_PATH], pb[CT_WALK_MAX_PATH];

		snprintf(pa, sizeof(pa), "%s", *a ? a : "/");
		snprintf(pb, sizeof(pb), "%s", *b ? b : "/");
		if ((n = strlen(pa)) > 1 && pa[n - 1] == '/')
			pa[n - 1] = '\0';
		if ((n = strlen(pb)) > 1 && pb[n - 1] == '/')
			pb[n - 1] = '\0';
		ret = w->sink->alias(w->sink->ctx, w->cur->v.index, pa, pb);
	}
	tsk_fs_dir_close(fr->d);
	free(fr->mine);
	return ret;
}

/* The next entry of the folder on top of the stack. */
static int
step(struct walk *w)
{
	struct frame *fr = &w->stack[w->depth];
	TSK_FS_FILE *f;
	uint32_t sub;
	int ret = 0;

	if (!fr->mine[fr->i++])
		return 0;
	if ((f = tsk_fs_dir_get(fr->d, fr->i - 1)) == NULL) {
		tsk_error_reset();
		return 0;
	}
	if (f->meta != NULL && f->name != NULL) {
		if (TSK_FS_IS_DIR_META(f->meta->type)) {
			if ((ret = add_folder(w, w->folders[fr->id].path, f->name->name, &sub)) == 0)
				ret = push_folder(w, f->meta->addr, fr->inum, sub);
		} else if (f->meta->type == TSK_FS_META_TYPE_REG) {
			ret = report_file(w, f, w->folders[fr->id].path, 0);
		}
	}
	tsk_error_reset();
	tsk_fs_file_close(f);
	return ret;
}

/* Walk from folder inum (id in folders) until the stack is back where it was. */
static int
walk_from(struct walk *w, TSK_INUM_T inum, TSK_INUM_T parent, uint32_t id)
{
	int base = w->depth, ret;

	if ((ret = push_folder(w, inum, parent, id)) < 0)
		return ret;
	while (w->depth > base) {
		struct frame *fr = &w->stack[w->depth];

		if (fr->i >= fr->n) {
			if ((ret = pop_folder(w)) < 0)
				break;
			continue;
		}
		if ((ret = step(w)) != 0)
			break;
	}
	while (w->depth > base)
		pop_folder(w);
	return ret;
}

/* ---- orphans ---- */

struct orphan {
	TSK_INUM_T inum;
	char *name;
	int dir;
};

struct orphans {
	struct walk *w;
	struct orphan *v;
	size_t n, cap;
	int err;
};

static TSK_WALK_RET_ENUM
orphan_cb(TSK_FS_FILE *f, void *ptr)
{
	struct orphans *o = ptr;
	struct orphan *n;
	char name[520];

	if (f->meta == NULL)
		return TSK_WALK_CONT;
	if (f->meta->name2 != NULL && f->meta->name2->name[0])
		snprintf(name, sizeof(name), "%s", f->meta->name2->name);
	else
		snprintf(name, sizeof(name), "OrphanFile-%" PRIuINUM, f->meta->addr);
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		if ((n = realloc(o->v, cap * sizeof(*n))) == NULL) {
			o->err = -ENOMEM;
			return TSK_WALK_ERROR;
		}
		o->v = n;
		o->cap = cap;
	}
	if ((o->v[o->n].name = strdup(name)) == NULL) {
		o->err = -ENOMEM;
		return TSK_WALK_ERROR;
	}
	o->v[o->n].inum = f->meta->addr;
	o->v[o->n].dir = TSK_FS_IS_DIR_META(f->meta->type);
	o->n++;
	return TSK_WALK_CONT;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* libtsk's list of the deleted entries that have a name, so that its
 * orphan search skips them without a recursive walk of its own. */
static int
give_named_list(struct walk *w)
{
	TSK_FS_INFO *fs = w->cur->fs;
	size_t i;

	if (fs->list_inum_named != NULL)
		return 0;
	if (w->nun)
		qsort(w->unalloc_names, w->nun, sizeof(*w->unalloc_names), cmp_u64);
	for (i = 0; i < w->nun; i++)
		if (tsk_list_add(&fs->list_inum_named, w->unalloc_names[i]))
			return -ENOMEM;
	/* never empty: an empty (NULL) list makes libtsk walk to fill it */
	if (fs->list_inum_named == NULL && tsk_list_add(&fs->list_inum_named, fs->last_inum))
		return -ENOMEM;
	return 0;
}

/* The last entry address in the image (libtsk's FATFS_SECT_2_INODE). */
static TSK_INUM_T
last_inum_in_image(const struct walk *w)
{
	const struct volume *v = w->cur;
	uint64_t sects;

	if (v->ssize == 0 || v->v.in_image < v->ssize)
		return 0;
	sects = v->v.in_image / v->ssize;
	if (sects <= v->firstdatasect)
		return 0;
	return (TSK_INUM_T)((sects - v->firstdatasect) * (v->ssize / DENTRY) + FIRST_NORMINO - 1);
}

/*
 * Deleted entries that no folder names any more (in free clusters): under
 * "$OrphanFiles/", the folders among them first (with what they hold),
 * then the files left.
 */
static int
walk_orphans(struct walk *w)
{
	TSK_FS_INFO *fs = w->cur->fs;
	struct orphans o = { w, NULL, 0, 0, 0 };
	TSK_INUM_T end = fs->last_inum, lim = last_inum_in_image(w);
	uint32_t top, sub, dummy;
	size_t i;
	int ret, pass;

	/* only the entries the image holds (libtsk leaves out its virtual
	 * files and $OrphanFiles at the end itself) */
	if (lim && lim < end)
		end = lim;
	/* libtsk's orphan search allocates a bitmap of every block the
	 * volume claims: not for a volume that claims far more than the image */
	if (w->cur->v.size / 16 > w->cur->v.in_image + (1u << 20)) {
		warn(w, w->cur->v.index, "no search for orphan files: the volume claims %" PRIu64
		     " bytes, more than 16 times what the image holds", w->cur->v.size);
		return 0;
	}
	if ((ret = give_named_list(w)) < 0)
		return ret;
	if (end > fs->first_inum &&
	    tsk_fs_meta_walk(fs, fs->first_inum, end, TSK_FS_META_FLAG_UNALLOC |
			     TSK_FS_META_FLAG_ORPHAN | TSK_FS_META_FLAG_USED, orphan_cb, &o) != 0) {
		if (o.err < 0) {
			ret = o.err;
			goto out;
		}
		warn(w, w->cur->v.index, "the search for orphan files stopped: %s", tsk_msg());
	}
	tsk_error_reset();
	if (o.n == 0 || (ret = add_folder(w, "", "$OrphanFiles", &top)) < 0)
		goto out;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < o.n && ret == 0; i++) {
			TSK_FS_FILE *f;

			if (o.v[i].dir != (pass == 0))
				continue;
			dummy = top;
			if ((ret = seen_check_add(&w->seen, o.v[i].inum, &dummy)) != 0) {
				ret = ret < 0 ? ret : 0;
				continue;
			}
			if (o.v[i].dir) {
				if ((ret = add_folder(w, w->folders[top].path, o.v[i].name, &sub)) == 0)
					ret = walk_from(w, o.v[i].inum, TSK_FS_ORPHANDIR_INUM(fs), sub);
				continue;
			}
			if ((f = tsk_fs_file_open_meta(fs, NULL, o.v[i].inum)) == NULL) {
				tsk_error_reset();
				continue;
			}
			if (f->meta != NULL && f->meta->type == TSK_FS_META_TYPE_REG) {
				TSK_FS_NAME nm;
				memset(&nm, 0, sizeof(nm));
				nm.name = o.v[i].name;
				nm.flags = TSK_FS_NAME_FLAG_UNALLOC;
				nm.meta_addr = o.v[i].inum;
				nm.par_addr = TSK_FS_ORPHANDIR_INUM(fs);
				f->name = &nm;
				ret = report_file(w, f, w->folders[top].path, 1);
				f->name = NULL;
			}
			tsk_error_reset();
			tsk_fs_file_close(f);
		}
	}
out:
	for (i = 0; i < o.n; i++)
		free(o.v[i].name);
	free(o.v);
	return ret;
}

/* ---- free space ---- */

struct unalloc_ctx {
	struct walk *w;
	uint64_t start, len;
	int err;
};

static TSK_WALK_RET_ENUM
unalloc_cb(const TSK_FS_BLOCK *b, void *ptr)
{
	struct unalloc_ctx *u = ptr;
	TSK_FS_INFO *fs = b->fs_info;
	uint64_t off = (uint64_t)fs->offset + (uint64_t)b->addr * fs->block_size;

	if (u->len && u->start + u->len == off) {
		u->len += fs->block_size;
		return TSK_WALK_CONT;
	}
	if (u->len && (u->err = u->w->sink->unalloc(u->w->sink->ctx, u->w->cur->v.index,
						      u->start, u->len)) < 0)
		return TSK_WALK_ERROR;
	u->start = off;
	u->len = fs->block_size;
	return TSK_WALK_CONT;
}

/* Free blocks of the volume that the image holds (never up to what the
 * filesystem claims beyond it). */
static int
walk_unalloc(struct walk *w)
{
	TSK_FS_INFO *fs = w->cur->fs;
	struct unalloc_ctx u = { w, 0, 0, 0 };
	TSK_DADDR_T last = fs->last_block_act;
	uint64_t blocks = w->cur->v.in_image / fs->block_size;

	if (w->sink->unalloc == NULL || blocks == 0)
		return 0;
	if (last > fs->first_block + blocks - 1)
		last = fs->first_block + blocks - 1;
	if (last > fs->last_block)
		last = fs->last_block;
	if (tsk_fs_block_walk(fs, fs->first_block, last,
			      TSK_FS_BLOCK_WALK_FLAG_UNALLOC | TSK_FS_BLOCK_WALK_FLAG_AONLY,
			      unalloc_cb, &u) != 0) {
		if (u.err < 0)
			return u.err;
		warn(w, w->cur->v.index, "the free space could not all be listed: %s", tsk_msg());
	}
	tsk_error_reset();
	if (u.len)
		return w->sink->unalloc(w->sink->ctx, w->cur->v.index, u.start, u.len);
	return 0;
}

/* ---- the walk ---- */

static void
reset_volume_state(struct walk *w)
{
	size_t i;

	seen_release(&w->seen);
	for (i = 0; i < w->nfolders; i++)
		free(w->folders[i].path);
	w->nfolders = 0;
	w->nun = 0;
	w->depth = 0;
	w->depth_warned = 0;
}

static int
walk_volume(struct walk *w, struct volume *v)
{
	uint32_t root;
	int ret;

	w->cur = v;
	reset_volume_state(w);
	if ((ret = add_folder(w, "", "", &root)) < 0)
		return ret;
	ret = walk_from(w, v->fs->root_inum, v->fs->root_inum, root);
	if (ret == 0)
		ret = walk_orphans(w);
	if (ret > 0)
		ret = 0;	/* the item cap: the free space is still listed */
	if (ret == 0)
		ret = walk_unalloc(w);
	if (ret < 0)
		return ret;
	return w->sink->done ? w->sink->done(w->sink->ctx, v->v.index, !w->capped) : 0;
}

TSK_IMG_INFO *
ct_walk_open(int nseg, char *const *segs, int ewf)
{
	return tsk_img_open_utf8(nseg, (const char *const *)segs,
				 ewf ? TSK_IMG_TYPE_EWF_EWF : TSK_IMG_TYPE_RAW, 0);
}

int
ct_walk_image(TSK_IMG_INFO *img, int vol, uint64_t max_items, const struct ct_walk_sink *sink)
{
	struct walk *w;
	size_t i;
	int ret = 0;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->img = img;
	w->max_items = max_items;
	w->sink = sink;
	open_volumes(w);
	if (w->nvols == 0) {
		ret = 1;
		goto out;
	}
	for (i = 0; i < w->nvols && ret == 0; i++) {
		struct ct_wvolume *v = &w->vols[i].v;

		ret = sink->volume ? sink->volume(sink->ctx, v) : 0;
		if (ret == 0 && v->in_image < v->size)
			ret = warn(w, v->index, "the %s filesystem at byte %" PRIu64 " says it has %"
				   PRIu64 " bytes, the image holds %" PRIu64 " of them: what lies "
				   "beyond the image was not read", v->fstype, v->offset, v->size,
				   v->in_image);
	}
	for (i = 0; i < w->nvols && ret == 0 && !w->capped; i++)
		if (vol < 0 || (size_t)vol == i)
			ret = walk_volume(w, &w->vols[i]);
out:
	reset_volume_state(w);
	free(w->folders);
	free(w->unalloc_names);
	free(w->runs);
	for (i = 0; i < w->nvols; i++)
		tsk_fs_close(w->vols[i].fs);
	if (w->vs)
		tsk_vs_close(w->vs);
	tsk_error_reset();
	free(w);
	return ret;
}
