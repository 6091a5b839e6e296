/*
 * sink_e01.c — the Expert Witness Format (E01, EnCase 6 layout, as
 * ewfacquire writes by default) through libewf.
 *
 * libewf lays out the segment files, sections, tables and the header; we
 * give it chunks.  The chunks (32 KiB) are compressed in the pipeline's
 * worker threads, each taking one stripe of the buffers (zlib at the level
 * libewf would use, so the output is the size ewfacquire's is), and the
 * writer thread hands them to libewf_handle_write_chunk in order: the
 * compression, which ewfacquire does in one thread, runs on every core.
 * A chunk that does not shrink is stored as it is with its Adler-32, as
 * libewf does; an all-zero chunk is compressed once.
 *
 * Crash safety: libewf can continue an unfinished set from the end of its
 * last complete segment file (LIBEWF_OPEN_WRITE_RESUME), and we cannot
 * know that point while writing.  So the order is the reverse of the raw
 * sink's: before libewf is given a buffer that may complete a segment file
 * (its size now, the buffer's packed chunks and a margin reach the segment
 * size), the mapfile is flushed to vouch for it and for what the reader
 * marked beyond it; otherwise at most every second.  A completed segment
 * file is fdatasync'ed as soon as the next one exists.  A resume then goes
 * on from libewf's point, which is never beyond the mapfile's, and reads
 * again what lies between (and refuses, saying so, if it were).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <json-c/json.h>
#include <zlib.h>

#include "cardtrail/util.h"
#include "image/acq.h"
#include "image/ewf.h"

#define E01_CHUNK 32768
#define MAX_COMPRESSORS 8
#define MAP_FLUSH_SECONDS 1.0
#define SEGMENT_MARGIN (1u << 20)	/* sections and tables a segment ends with */

enum chunk_kind { CHUNK_STORED, CHUNK_PACKED, CHUNK_ZERO };

struct e01_chunk {
	uint32_t len;		/* bytes of packed data */
	uint32_t checksum;	/* Adler-32 of a stored chunk; zlib's trailer of a packed one */
	size_t at;		/* packed: offset in the slot's data */
	enum chunk_kind kind;
};

/* The compressors' output for the buffer in ring slot seq % nslots. */
struct e01_slot {
	unsigned char *data;
	struct e01_chunk *chunk;
};

struct e01_state;
struct e01_comp {
	struct e01_state *st;
	struct acq *a;
};

struct e01_state {
	libewf_handle_t *h;
	int finalized;
	size_t chunk;		/* bytes per chunk */
	int zlevel;		/* zlib level: 0 store, 1 fast, 9 best */
	size_t nslots, per_slot;
	struct e01_slot *slots;
	unsigned ncomp;
	struct e01_comp comp[MAX_COMPRESSORS];
	unsigned char *zeros;	/* one chunk of zeros */
	unsigned char *zero_packed;	/* ... compressed, or NULL (stored) */
	uint32_t zero_len, zero_checksum;
	unsigned synced;	/* segment files fdatasync'ed so far */
	double last_vouch;	/* when the mapfile was last flushed */
	/* after seal */
	char **names;
	int nnames;
	struct e01_file { uint64_t bytes; unsigned char sha256[32]; } *files;
};

static const struct {
	const char *name;
	int8_t ewf;		/* LIBEWF_COMPRESSION_* */
	int zlib;
} levels[] = {
	{ "none", LIBEWF_COMPRESSION_NONE, 0 },
	{ "fast", LIBEWF_COMPRESSION_FAST, Z_BEST_SPEED },
	{ "best", LIBEWF_COMPRESSION_BEST, Z_BEST_COMPRESSION },
};

static struct e01_state *
state(struct acq *a)
{
	return a->sink_state;
}

static int
ewf_write_fail(struct acq *a, libewf_error_t **e, uint64_t off)
{
	struct e01_state *st = state(a);
	char msg[512], name[96];
	struct statvfs vfs;
	int err = EIO;

	ewf_message(e, msg, sizeof(msg));
	snprintf(name, sizeof(name), "%s.E01", a->id);
	/* libewf does not pass the system's error on: a full filesystem is
	 * what statvfs says, with libewf's words after it */
	if (statvfs(a->casedir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < 2 * st->chunk) {
		err = ENOSPC;
		if (a->write_errno == 0)
			snprintf(a->write_err_detail, sizeof(a->write_err_detail), "%s (%.400s)",
				 strerror(ENOSPC), msg);
	} else if (a->write_errno == 0) {
		snprintf(a->write_err_detail, sizeof(a->write_err_detail), "%s", msg);
	}
	sink_error(a, err, off, UINT64_MAX, name);
	return -err;
}

/* A libewf failure outside the pipeline (setup, seal). */
static int
ewf_fail(struct acq *a, libewf_error_t **e, uint64_t off, const char *what)
{
	char msg[512];
	int err;

	ewf_message(e, msg, sizeof(msg));
	err = strstr(msg, "No space left") ? ENOSPC : EIO;
	return acq_error(a, -err, "cannot %s the E01 of %s in '%s' (at offset %" PRIu64
			 " of the source): %s", what, a->id, a->casedir, off, msg);
}

/* ---- checks and setup ---- */

static int
e01_check(struct acq *a)
{
	const char *c = a->o->compress ? a->o->compress : "none";
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(levels); i++)
		if (!strcmp(levels[i].name, c))
			break;
	if (i == CT_ARRAY_SIZE(levels))
		return acq_error(a, -EINVAL, "unknown compression '%s' (none, fast or best)", c);
	if (a->src.size % a->src.lss)
		return acq_error(a, -EINVAL, "an E01 holds whole %u-byte sectors: '%s' is %" PRIu64
				 " bytes; image it as raw", a->src.lss, a->src.path, a->src.size);
	if (a->bufsize % (a->src.lss > E01_CHUNK / 16 ? a->src.lss * 16 : E01_CHUNK))
		return acq_error(a, -EINVAL, "--block-size must be a multiple of the E01 chunk "
				 "size (%u)", E01_CHUNK);
	if (a->split && a->split < (1u << 20))
		return acq_error(a, -EINVAL, "--split for an E01 must be at least 1 MiB (libewf's "
				 "smallest segment file)");
	/* stored in the E01 as ewfacquire stores them */
	a->mask |= 1u << ct_hash_lookup("md5") | 1u << ct_hash_lookup("sha1");
	return 0;
}

/* libewf creates the segment files itself, without O_EXCL: refuse when
 * any file it could write for this id is there already. */
static int
no_stray_segments(struct acq *a)
{
	size_t idlen = strlen(a->id);
	struct dirent *d;
	DIR *dir = opendir(a->casedir);
	int ret = 0;

	if (dir == NULL)
		return acq_error(a, -errno, "cannot list '%s': %s", a->casedir, strerror(errno));
	while ((d = readdir(dir)) != NULL) {
		const char *n = d->d_name;

		if (strncmp(n, a->id, idlen) || n[idlen] != '.' || strlen(n + idlen) != 4)
			continue;
		if (n[idlen + 1] >= 'E' && n[idlen + 1] <= 'Z') {
			ret = acq_error(a, -EEXIST, "'%s/%s' is in the way of the E01 segments of %s "
					"(nothing is overwritten)", a->casedir, n, a->id);
			break;
		}
	}
	closedir(dir);
	return ret;
}

static int
level_of(struct acq *a, const char *name, int8_t *ewf)
{
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(levels); i++)
		if (!strcmp(levels[i].name, name ? name : "none")) {
			*ewf = levels[i].ewf;
			return levels[i].zlib;
		}
	return acq_error(a, -EINVAL, "unknown compression '%s'", name);
}

/* The state both a new image and a resume need: buffers for the
 * compressors, the zero chunk. */
static int
state_new(struct acq *a, const char *compress)
{
	struct e01_state *st = calloc(1, sizeof(*st));
	size_t i;
	int8_t ewf;
	long ncpu;

	if (st == NULL)
		return -ENOMEM;
	a->sink_state = st;
	if ((st->zlevel = level_of(a, compress, &ewf)) < 0)
		return st->zlevel;
	st->chunk = a->src.lss > E01_CHUNK / 16 ? a->src.lss * 16 : E01_CHUNK;
	st->nslots = a->o->nslots ? a->o->nslots : 16;
	st->per_slot = a->bufsize / st->chunk;
	st->slots = calloc(st->nslots, sizeof(*st->slots));
	st->zeros = calloc(1, st->chunk);
	if (st->slots == NULL || st->zeros == NULL)
		return -ENOMEM;
	for (i = 0; i < st->nslots; i++) {
		st->slots[i].data = malloc(a->bufsize);
		st->slots[i].chunk = calloc(st->per_slot, sizeof(*st->slots[i].chunk));
		if (st->slots[i].data == NULL || st->slots[i].chunk == NULL)
			return -ENOMEM;
	}
	st->zero_checksum = (uint32_t)adler32(1, st->zeros, (uInt)st->chunk);
	st->zero_len = (uint32_t)st->chunk;
	if (st->zlevel) {
		uLongf len = compressBound((uLong)st->chunk);

		if ((st->zero_packed = malloc(len)) == NULL)
			return -ENOMEM;
		if (compress2(st->zero_packed, &len, st->zeros, (uLong)st->chunk, st->zlevel) != Z_OK)
			return -ENOMEM;
		st->zero_len = (uint32_t)len;
		memcpy(&st->zero_checksum, st->zero_packed + len - 4, 4);
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	st->ncomp = ncpu < 1 ? 1 : ncpu > MAX_COMPRESSORS ? MAX_COMPRESSORS : (unsigned)ncpu;
	for (i = 0; i < st->ncomp; i++) {
		st->comp[i].st = st;
		st->comp[i].a = a;
	}
	return 0;
}

/* What the card says about itself goes into the E01 header too. */
static int
set_headers(struct acq *a, libewf_handle_t *h)
{
	const struct ct_image_opts *o = a->o;
	struct json_object *card = ct_identity_card(a->ident, a->src.size);
	char version[64], err[512];
	int ret = 0;
	const struct { const char *id, *value; } hv[] = {
		{ "case_number", o->case_number },
		{ "evidence_number", o->evidence_number ? o->evidence_number : a->id },
		{ "description", o->description },
		{ "examiner_name", o->examiner },
		{ "notes", o->notes },
		{ "acquiry_software", "cardtrail" },
		{ "acquiry_software_version", version },
		{ "acquiry_operating_system", "Linux" },
		{ "model", ct_json_str(card, "model", NULL) },
		{ "serial_number", ct_json_str(card, "cid", ct_json_str(card, "serial", NULL)) },
	};
	size_t i;

	snprintf(version, sizeof(version), "cardtrail %s", CT_VERSION);
	for (i = 0; i < CT_ARRAY_SIZE(hv) && ret == 0; i++)
		if ((ret = ewf_set_header(h, hv[i].id, hv[i].value, err, sizeof(err))) < 0)
			acq_error(a, ret, "%s", err);
	json_object_put(card);
	return ret;
}

static int
e01_plan(struct acq *a)
{
	struct e01_state *st;
	libewf_error_t *e = NULL;
	char base[PATH_MAX], *names[1] = { base };
	int8_t ewf;
	int ret;

	if ((ret = no_stray_segments(a)) < 0 || (ret = state_new(a, a->o->compress)) < 0)
		return ret;
	st = state(a);
	if (ct_snprintf(base, sizeof(base), "%s/%s", a->casedir, a->id) < 0)
		return -ENAMETOOLONG;
	level_of(a, a->o->compress, &ewf);
	if (libewf_handle_initialize(&st->h, &e) != 1 ||
	    libewf_handle_open(st->h, names, 1, LIBEWF_OPEN_WRITE, &e) != 1 ||
	    libewf_handle_set_format(st->h, LIBEWF_FORMAT_ENCASE6, &e) != 1 ||
	    libewf_handle_set_media_size(st->h, a->src.size, &e) != 1 ||
	    libewf_handle_set_bytes_per_sector(st->h, a->src.lss, &e) != 1 ||
	    libewf_handle_set_sectors_per_chunk(st->h, (uint32_t)(st->chunk / a->src.lss), &e) != 1 ||
	    libewf_handle_set_compression_values(st->h, ewf, 0, &e) != 1 ||
	    libewf_handle_set_maximum_segment_size(st->h, a->split ? a->split :
						   LIBEWF_DEFAULT_SEGMENT_FILE_SIZE, &e) != 1 ||
	    libewf_handle_set_media_type(st->h, LIBEWF_MEDIA_TYPE_REMOVABLE, &e) != 1 ||
	    libewf_handle_set_media_flags(st->h, LIBEWF_MEDIA_FLAG_PHYSICAL, &e) != 1)
		return ewf_fail(a, &e, 0, "set up");
	if ((ret = set_headers(a, st->h)) < 0)
		return ret;
	return 0;
}

/* ---- resume ---- */

static int
e01_resume(struct acq *a, uint64_t vouched)
{
	struct e01_state *st;
	libewf_error_t *e = NULL;
	char first[PATH_MAX], err[512], **names = NULL;
	off64_t at = 0;
	int n = 0, ret;

	if ((ret = state_new(a, ct_json_str(ct_json_get(a->rec, "options"), "compress", "none"))) < 0)
		return ret;
	st = state(a);
	if (ct_snprintf(first, sizeof(first), "%s/%s.E01", a->casedir, a->id) < 0)
		return -ENAMETOOLONG;
	if ((ret = ewf_glob(first, &names, &n, err, sizeof(err))) < 0)
		return acq_error(a, ret, "cannot resume %s: %s", a->id, err);
	/* the re-read of what is kept must see the files as libewf left
	 * them, before the resume goes on writing */
	if ((ret = image_open_files(a, "e01", (const char *const *)names, (size_t)n, 1,
				    &a->prefix)) < 0) {
		char why[sizeof(a->res->error)];

		/* say it as a resume that cannot be done, with libewf's reason */
		snprintf(why, sizeof(why), "%s", a->res->error);
		snprintf(a->res->error, sizeof(a->res->error), "cannot resume the E01 of %s: libewf "
			 "%s cannot continue it: %.600s", a->id, libewf_get_version(), why);
		goto out;
	}
	if (libewf_handle_initialize(&st->h, &e) != 1 ||
	    libewf_handle_open(st->h, names, n, LIBEWF_OPEN_WRITE_RESUME, &e) != 1 ||
	    libewf_handle_get_offset(st->h, &at, &e) != 1) {
		char msg[512];

		ewf_message(&e, msg, sizeof(msg));
		ret = acq_error(a, -EIO, "cannot resume the E01 of %s: libewf %s cannot continue "
				"it: %s", a->id, libewf_get_version(), msg);
		goto out;
	}
	if (at < 0 || (uint64_t)at % st->chunk || (uint64_t)at > vouched) {
		ret = acq_error(a, -EIO, "cannot resume the E01 of %s: libewf would continue at "
				"offset %lld, the mapfile vouches for %" PRIu64, a->id, (long long)at,
				vouched);
		goto out;
	}
	a->resume_pos = (uint64_t)at;
	/* libewf rewrites the last file from where it goes on */
	st->synced = n > 0 ? (unsigned)n - 1 : 0;
	ret = 0;
out:
	ewf_glob_free(names, n);
	return ret;
}

/* ---- compressors (pipeline worker threads) ---- */

static int
all_zero(const unsigned char *p, size_t len, const unsigned char *zeros)
{
	return memcmp(p, zeros, len) == 0;
}

static void
pack_chunk(struct e01_state *st, const unsigned char *p, size_t len, unsigned char *out,
	   struct e01_chunk *c)
{
	if (len == st->chunk && all_zero(p, len, st->zeros)) {
		c->kind = CHUNK_ZERO;
		return;
	}
	if (st->zlevel) {
		uLongf clen = (uLongf)len - 1;

		/* what does not fit in less than the chunk is stored, as
		 * libewf decides */
		if (compress2(out, &clen, p, (uLong)len, st->zlevel) == Z_OK) {
			c->kind = CHUNK_PACKED;
			c->len = (uint32_t)clen;
			memcpy(&c->checksum, out + clen - 4, 4);
			return;
		}
	}
	c->kind = CHUNK_STORED;
	c->len = (uint32_t)len;
	c->checksum = (uint32_t)adler32(1, p, (uInt)len);
}

static int
compress_consume(void *ctx, const struct ct_pipe_buf *b)
{
	struct e01_comp *cp = ctx;
	struct e01_state *st = cp->st;
	struct e01_slot *sl = &st->slots[b->seq % st->nslots];
	size_t i, at = 0, pos;

	if (b->off + b->len <= cp->a->resume_pos)
		return 0;
	for (i = 0, pos = 0; pos < b->len; i++, pos += st->chunk) {
		size_t n = b->len - pos < st->chunk ? b->len - pos : st->chunk;
		struct e01_chunk *c = &sl->chunk[i];

		c->at = at;
		pack_chunk(st, b->data + pos, n, sl->data + at, c);
		if (c->kind == CHUNK_PACKED)
			at += c->len;
	}
	return 0;
}

static size_t
e01_helpers(struct acq *a, struct ct_consumer *cons, size_t max)
{
	struct e01_state *st = state(a);
	unsigned i;

	for (i = 0; i < st->ncomp && i < max; i++)
		cons[i] = (struct ct_consumer){ .name = "compress", .consume = compress_consume,
						.ctx = &st->comp[i], .stripe = i,
						.nstripes = st->ncomp };
	return i;
}

/* ---- writer ---- */

/* 1 if handing libewf a buffer of n chunks (sl) may complete the segment
 * file it is writing: its size now, the chunks as they will be stored, and
 * a margin for the sections a segment ends with. */
static int
may_end_segment(struct acq *a, struct e01_state *st, const struct e01_slot *sl, size_t n)
{
	uint64_t max = a->split ? a->split : LIBEWF_DEFAULT_SEGMENT_FILE_SIZE, add = 0;
	char path[PATH_MAX], ext[4];
	struct stat sb;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct e01_chunk *c = &sl->chunk[i];

		add += 16 + (c->kind == CHUNK_PACKED ? c->len : c->kind == CHUNK_ZERO &&
			     st->zero_packed ? st->zero_len : st->chunk + 4);
	}
	if (ewf_segment_ext(st->synced + 1, ext) < 0 ||
	    ct_snprintf(path, sizeof(path), "%s/%s.%s", a->casedir, a->id, ext) < 0 ||
	    lstat(path, &sb) < 0)
		sb.st_size = 0;	/* not made yet */
	return (uint64_t)sb.st_size + add + SEGMENT_MARGIN >= max;
}

/* Before libewf may complete a segment file with data the mapfile does not
 * vouch for, the mapfile vouches for everything the reader has marked. */
static int
vouch_ahead(struct acq *a, struct e01_state *st, const struct e01_slot *sl, uint64_t end,
	    size_t nchunks)
{
	int ret;

	if (end <= a->written || (ct_now() - st->last_vouch < MAP_FLUSH_SECONDS &&
				  !may_end_segment(a, st, sl, nchunks)))
		return 0;
	ret = map_vouch(a, UINT64_MAX);
	st->last_vouch = ct_now();
	return ret;
}

/* A segment file is complete once libewf has started the next one:
 * make it durable. */
static int
sync_completed(struct acq *a, int all)
{
	struct e01_state *st = state(a);
	char path[PATH_MAX], ext[4];
	struct stat sb;
	unsigned next;
	int fd;

	for (;;) {
		next = st->synced + 1;
		if (ewf_segment_ext(next, ext) < 0 ||
		    ct_snprintf(path, sizeof(path), "%s/%s.%s", a->casedir, a->id, ext) < 0)
			return 0;
		if (!all) {
			char later[PATH_MAX], ext2[4];

			if (ewf_segment_ext(next + 1, ext2) < 0 ||
			    ct_snprintf(later, sizeof(later), "%s/%s.%s", a->casedir, a->id, ext2) < 0 ||
			    lstat(later, &sb) < 0)
				return 0;
		} else if (lstat(path, &sb) < 0) {
			return 0;
		}
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fdatasync(fd) < 0) {
			int err = errno;

			if (fd >= 0)
				close(fd);
			sink_error(a, err, a->wrote_upto, UINT64_MAX, path + strlen(a->casedir) + 1);
			return -err;
		}
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
		st->synced = next;
	}
}

static int
write_chunk(struct acq *a, struct e01_state *st, const struct e01_chunk *c,
	    const unsigned char *raw, const struct e01_slot *sl, size_t n, uint64_t off)
{
	libewf_error_t *e = NULL;
	unsigned char ck[4];
	ssize_t w;

	if (c->kind == CHUNK_PACKED) {
		w = libewf_handle_write_chunk(st->h, sl->data + c->at, c->len, n, 1, NULL,
					      c->checksum, 0, &e);
	} else if (c->kind == CHUNK_ZERO && st->zero_packed) {
		w = libewf_handle_write_chunk(st->h, st->zero_packed, st->zero_len, n, 1, NULL,
					      st->zero_checksum, 0, &e);
	} else {
		/* stored as it is, its Adler-32 (little-endian) after it */
		uint32_t sum = c->kind == CHUNK_ZERO ? st->zero_checksum : c->checksum;

		ck[0] = (unsigned char)sum;
		ck[1] = (unsigned char)(sum >> 8);
		ck[2] = (unsigned char)(sum >> 16);
		ck[3] = (unsigned char)(sum >> 24);
		w = libewf_handle_write_chunk(st->h, raw, n, n, 0, ck, sum, 1, &e);
	}
	if (w <= 0)
		return ewf_write_fail(a, &e, off);
	return 0;
}

static int
e01_write(void *ctx, const struct ct_pipe_buf *b)
{
	struct acq *a = ctx;
	struct e01_state *st = state(a);
	const struct e01_slot *sl = &st->slots[b->seq % st->nslots];
	uint64_t end = b->off + b->len;
	size_t i, pos;
	int ret;

	if (end <= a->resume_pos)
		return 0;
	if ((ret = vouch_ahead(a, st, sl, end, (b->len + st->chunk - 1) / st->chunk)) < 0)
		return ret;
	for (i = 0, pos = 0; pos < b->len; i++, pos += st->chunk) {
		size_t n = b->len - pos < st->chunk ? b->len - pos : st->chunk;

		if ((ret = write_chunk(a, st, &sl->chunk[i], b->data + pos, sl, n, b->off + pos)) < 0)
			return ret;
		a->wrote_upto = b->off + pos + n;
	}
	return sync_completed(a, 0);
}

static int
e01_write_finish(void *ctx)
{
	(void)ctx;
	return 0;	/* libewf writes the end at write_finalize (seal) */
}

/* Stopped early: leave the set as libewf can continue it (closed, not
 * finalized), every file of it durable. */
static void
e01_keep(struct acq *a)
{
	struct e01_state *st = state(a);
	libewf_error_t *e = NULL;

	if (st == NULL || st->h == NULL)
		return;
	if (libewf_handle_close(st->h, &e) != 0)
		libewf_error_free(&e);
	libewf_handle_free(&st->h, &e);
	libewf_error_free(&e);
	st->h = NULL;
	(void)sync_completed(a, 1);
	(void)ct_fsync_dir(a->casedir);
}

/* libewf can go on from the end of the last complete segment file: every
 * file but the last (which it was writing). */
static void
e01_kept(struct acq *a, char *buf, size_t len)
{
	char path[PATH_MAX], ext[4], next[4], last[4] = "";
	struct stat sb;
	unsigned n;

	/* segment n is complete when segment n + 1 exists */
	for (n = 1; ewf_segment_ext(n, ext) == 0 && ewf_segment_ext(n + 1, next) == 0; n++) {
		if (ct_snprintf(path, sizeof(path), "%s/%s.%s", a->casedir, a->id, next) < 0 ||
		    lstat(path, &sb) < 0)
			break;
		memcpy(last, ext, sizeof(last));
	}
	if (last[0])
		snprintf(buf, len, "the complete E01 segment files %s.E01 to %s.%s are kept", a->id,
			 a->id, last);
	else
		snprintf(buf, len, "no E01 segment file was complete");
}

/* ---- seal ---- */

/* MD5 and SHA-1 as ewfacquire stores them (the EnCase 6 layout has no
 * room for SHA-256).  As hash values, not libewf_handle_set_md5_hash: that
 * one refuses on a handle that resumed (it has read the files). */
static int
set_stored_hashes(struct acq *a, struct e01_state *st, const struct hashers *h)
{
	static const struct { const char *algo, *id; } stored[] = {
		{ "md5", "MD5" }, { "sha1", "SHA1" },
	};
	libewf_error_t *e = NULL;
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(stored); i++) {
		const unsigned char *d = hashers_digest(h, stored[i].algo);
		char hex[2 * CT_HASH_MAXLEN + 1];

		if (d == NULL)
			continue;
		ct_hex(d, ct_hash_algos[ct_hash_lookup(stored[i].algo)].len, hex);
		if (libewf_handle_set_utf8_hash_value(st->h, (const uint8_t *)stored[i].id,
						      strlen(stored[i].id), (const uint8_t *)hex,
						      strlen(hex), &e) != 1)
			return ewf_fail(a, &e, a->src.size, "store the hashes in");
	}
	/* the unreadable sectors, as ewfinfo lists them */
	for (i = 0; i < a->map.n; i++) {
		const struct ct_map_entry *m = &a->map.e[i];

		if (m->status != '-')
			continue;
		if (libewf_handle_append_acquiry_error(st->h, m->pos / a->src.lss,
						       m->size / a->src.lss, &e) != 1)
			return ewf_fail(a, &e, m->pos, "record the unreadable sectors in");
	}
	return 0;
}

/* Segment files hashed by several threads (one file each at a time). */
struct file_hasher {
	struct e01_state *st;
	pthread_mutex_t mu;
	int next, failed, err;
};

static void *
hash_some_files(void *arg)
{
	struct file_hasher *fh = arg;
	struct e01_state *st = fh->st;
	unsigned long long bytes;
	int i, ret;

	for (;;) {
		pthread_mutex_lock(&fh->mu);
		i = fh->failed < 0 ? fh->next++ : st->nnames;
		pthread_mutex_unlock(&fh->mu);
		if (i >= st->nnames)
			return NULL;
		ret = ct_sha256_file(st->names[i], st->files[i].sha256, &bytes);
		st->files[i].bytes = bytes;
		if (ret < 0) {
			pthread_mutex_lock(&fh->mu);
			if (fh->failed < 0) {
				fh->failed = i;
				fh->err = ret;
			}
			pthread_mutex_unlock(&fh->mu);
		}
	}
}

/* The files as they are now: sizes and SHA-256 for the record and the
 * custody log, durable and out of the page cache. */
static int
hash_files(struct acq *a, struct e01_state *st)
{
	struct file_hasher fh = { .st = st, .failed = -1 };
	pthread_t tid[MAX_COMPRESSORS];
	char first[PATH_MAX], err[512];
	unsigned i, nt;
	int ret;

	if (ct_snprintf(first, sizeof(first), "%s/%s.E01", a->casedir, a->id) < 0)
		return -ENAMETOOLONG;
	if ((ret = ewf_glob(first, &st->names, &st->nnames, err, sizeof(err))) < 0)
		return acq_error(a, ret, "%s", err);
	st->files = calloc((size_t)st->nnames, sizeof(*st->files));
	if (st->files == NULL)
		return -ENOMEM;
	pthread_mutex_init(&fh.mu, NULL);
	for (nt = 0; nt < st->ncomp && nt < (unsigned)st->nnames; nt++)
		if (pthread_create(&tid[nt], NULL, hash_some_files, &fh) != 0)
			break;
	if (nt == 0)
		hash_some_files(&fh);
	for (i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&fh.mu);
	if (fh.failed >= 0)
		return acq_error(a, fh.err, "cannot read back '%s': %s", st->names[fh.failed],
				 strerror(-fh.err));
	/* durable, and out of the page cache: the verification reads the
	 * medium */
	if ((ret = sync_completed(a, 1)) < 0 || (ret = ct_fsync_dir(a->casedir)) < 0)
		return acq_error(a, ret, "cannot flush the E01 of %s in '%s': %s", a->id,
				 a->casedir, strerror(-ret));
	return 0;
}

static int
e01_seal(struct acq *a, const struct hashers *h)
{
	struct e01_state *st = state(a);
	libewf_error_t *e = NULL;
	int ret;

	if ((ret = set_stored_hashes(a, st, h)) < 0)
		return ret;
	if (libewf_handle_write_finalize(st->h, &e) < 0)
		return ewf_fail(a, &e, a->src.size, "finish");
	st->finalized = 1;
	if (libewf_handle_close(st->h, &e) != 0)
		return ewf_fail(a, &e, a->src.size, "close");
	libewf_handle_free(&st->h, &e);
	libewf_error_free(&e);
	st->h = NULL;
	/* libewf rewrote the first segment's header at the end: hash now */
	st->synced = 0;
	return hash_files(a, st);
}

static struct json_object *
e01_segments_json(struct acq *a, const struct hashers *h)
{
	struct e01_state *st = state(a);
	struct json_object *segs = json_object_new_array();
	int i;

	(void)h;
	for (i = 0; i < st->nnames; i++) {
		struct json_object *s = json_object_new_object(), *hs = json_object_new_object();
		const char *name = strrchr(st->names[i], '/');

		jset(s, "path", json_object_new_string(name ? name + 1 : st->names[i]));
		jset(s, "bytes", jint(st->files[i].bytes));
		jset(hs, "sha256", jhex(st->files[i].sha256, 32));
		jset(s, "hashes", hs);
		json_object_array_add(segs, s);
	}
	return segs;
}

static void
e01_close(struct acq *a)
{
	struct e01_state *st = state(a);
	size_t i;

	if (st == NULL)
		return;
	e01_keep(a);
	for (i = 0; st->slots && i < st->nslots; i++) {
		free(st->slots[i].data);
		free(st->slots[i].chunk);
	}
	free(st->slots);
	free(st->zeros);
	free(st->zero_packed);
	ewf_glob_free(st->names, st->nnames);
	free(st->files);
	free(st);
	a->sink_state = NULL;
}

/* The files of the image for reading back (verification). */
static int
e01_reader(struct acq *a, struct ct_image **img)
{
	struct e01_state *st = state(a);

	return image_open_files(a, "e01", (const char *const *)st->names, (size_t)st->nnames, 0,
				img);
}

const struct sink sink_e01 = {
	.name = "e01",
	.format = "e01",
	.split = -1,
	.first_suffix = ".E01",
	.fixed_segments = 0,
	.check = e01_check,
	.plan = e01_plan,
	.resume = e01_resume,
	.helpers = e01_helpers,
	.write = e01_write,
	.write_finish = e01_write_finish,
	.keep = e01_keep,
	.kept = e01_kept,
	.seal = e01_seal,
	.segments_json = e01_segments_json,
	.reader = e01_reader,
	.close = e01_close,
};
