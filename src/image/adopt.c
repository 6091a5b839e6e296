/*
 * adopt.c — `cardtrail adopt`: bring an image made elsewhere into a case.
 *
 * The steps: find the files (one .E01 or .001 finds its set); make the
 * evidence item (its record created O_EXCL); copy the files into the case
 * and check each copy against the original's SHA-256 (or, --in-place,
 * hash them where they lie); read the image through the segment reader and
 * the acquisition's hashers; compare what an E01 says of itself (stored
 * MD5/SHA-1, chunk checksums, as ewfverify does); write the record.  The
 * record has the shape of an acquisition record, so that verify re-hashes
 * and extract opens an adopted image as one of ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/util.h"
#include "image/acq.h"
#include "image/ewf.h"

#define COPY_BUF (1u << 20)

struct afile {
	char *src;		/* the file given, absolute */
	char name[PATH_MAX];	/* in the case (copy), or src (in place) */
	uint64_t bytes;
	unsigned char sha256[32];
};

struct adopt {
	struct acq a;		/* hashers, pipeline, the record on disk */
	struct ct_image_opts io;
	struct ct_image_result ir;
	const struct ct_adopt_opts *o;
	struct ct_adopt_result *res;
	const char *format;	/* "raw" or "e01" */
	struct afile *f;
	size_t n;
	struct hashers h;
	struct json_object *adopted;	/* what the image says of itself */
};

/* ---- the files ---- */

static int
add_file(struct adopt *ad, const char *path)
{
	char real[PATH_MAX];
	struct stat st;
	struct afile *nf;

	if (realpath(path, real) == NULL || stat(real, &st) < 0)
		return acq_error(&ad->a, -errno, "cannot open '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return acq_error(&ad->a, -EINVAL, "'%s' is not a regular file", path);
	if ((nf = realloc(ad->f, (ad->n + 1) * sizeof(*ad->f))) == NULL)
		return -ENOMEM;
	ad->f = nf;
	memset(&ad->f[ad->n], 0, sizeof(*ad->f));
	if ((ad->f[ad->n].src = strdup(real)) == NULL)
		return -ENOMEM;
	ad->f[ad->n].bytes = (uint64_t)st.st_size;
	ad->n++;
	return 0;
}

/* Segment i (from 1) of the split raw set whose first is FIRST (".001"). */
static int
split_name(struct adopt *ad, const char *first, unsigned i, char *p, size_t len)
{
	if (ct_snprintf(p, len, "%.*s%03u", (int)strlen(first) - 3, first, i) < 0)
		return acq_error(&ad->a, -ENAMETOOLONG, "'%s': name too long", first);
	return 0;
}

/* After segments 1..n of the set of FIRST, no further one may be there: a
 * gap in the numbering, or a segment not given, is refused by name. */
static int
check_set_end(struct adopt *ad, const char *first, unsigned n)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct stat st;
	unsigned j;
	int ret;

	for (j = n + 1; j <= 999; j++) {
		if ((ret = split_name(ad, first, j, p, sizeof(p))) < 0)
			return ret;
		if (stat(p, &st) < 0)
			continue;
		if (j == n + 1)
			return acq_error(&ad->a, -EINVAL, "the split raw set of '%s' is incomplete: "
					 "'%s' is there but not given", first, p);
		if ((ret = split_name(ad, first, n + 1, q, sizeof(q))) < 0)
			return ret;
		return acq_error(&ad->a, -EINVAL, "the split raw set of '%s' is incomplete: '%s' "
				 "is missing, '%s' is there", first, q, p);
	}
	return 0;
}

/* IMAGE.001 alone: IMAGE.002, IMAGE.003, ... as long as they exist, and
 * none after a gap. */
static int
add_split_set(struct adopt *ad, const char *first)
{
	char p[PATH_MAX];
	struct stat st;
	unsigned i;
	int ret = 0;

	for (i = 1; i <= 999 && ret == 0; i++) {
		if ((ret = split_name(ad, first, i, p, sizeof(p))) < 0)
			return ret;
		if (i > 1 && stat(p, &st) < 0)
			break;
		ret = add_file(ad, p);
	}
	return ret < 0 ? ret : check_set_end(ad, first, (unsigned)ad->n);
}

/* IMAGE.001 IMAGE.002 ... named one by one: in order, without a gap, and
 * all of them. */
static int
check_split_names(struct adopt *ad)
{
	const struct ct_adopt_opts *o = ad->o;
	const char *first = o->images[0];
	char p[PATH_MAX];
	struct stat st;
	unsigned i;
	int ret;

	for (i = 2; i <= o->nimages; i++) {
		if ((ret = split_name(ad, first, i, p, sizeof(p))) < 0)
			return ret;
		if (!strcmp(p, o->images[i - 1]))
			continue;
		if (stat(p, &st) < 0)
			return acq_error(&ad->a, -EINVAL, "the split raw set of '%s' is incomplete: "
					 "'%s' is missing, '%s' is there", first, p, o->images[i - 1]);
		return acq_error(&ad->a, -EINVAL, "'%s' is not segment %u of the split raw set of "
				 "'%s' ('%s')", o->images[i - 1], i, first, p);
	}
	return check_set_end(ad, first, (unsigned)o->nimages);
}

/* Which files and which format: an E01 set (libewf finds the segments of
 * a single .E01), split raw (a single .001 finds the rest), or raw. */
static int
find_files(struct adopt *ad)
{
	const struct ct_adopt_opts *o = ad->o;
	char **names = NULL, err[512];
	struct stat st;
	size_t i, len;
	int n = 0, ret = 0, ewf;

	if (stat(o->images[0], &st) < 0)
		return acq_error(&ad->a, -errno, "cannot open '%s': %s", o->images[0], strerror(errno));
	if ((ewf = ct_image_is_ewf(o->images[0])) < 0)
		return acq_error(&ad->a, ewf, "cannot read '%s'", o->images[0]);
	ad->format = ewf ? "e01" : "raw";
	if (ewf && o->nimages == 1) {
		if ((ret = ewf_glob(o->images[0], &names, &n, err, sizeof(err))) < 0)
			return acq_error(&ad->a, ret, "%s", err);
		for (i = 0; i < (size_t)n && ret == 0; i++)
			ret = add_file(ad, names[i]);
		ewf_glob_free(names, n);
		return ret;
	}
	len = strlen(o->images[0]);
	if (!ewf && len > 4 && !strcmp(o->images[0] + len - 4, ".001")) {
		if (o->nimages == 1)
			return add_split_set(ad, o->images[0]);
		if ((ret = check_split_names(ad)) < 0)
			return ret;
	}
	for (i = 0; i < o->nimages && ret == 0; i++) {
		if (ewf && ct_image_is_ewf(o->images[i]) != 1)
			return acq_error(&ad->a, -EINVAL, "'%s' is not an EWF segment like '%s'",
					 o->images[i], o->images[0]);
		ret = add_file(ad, o->images[i]);
	}
	return ret;
}

/* Split raw: every segment the size of the first but the last, which is
 * not larger (the layout re-hashing checks piecewise). */
static int
check_split(struct adopt *ad)
{
	size_t i;

	if (strcmp(ad->format, "raw") || ad->n < 2)
		return 0;
	for (i = 0; i < ad->n; i++)
		if ((i + 1 < ad->n && ad->f[i].bytes != ad->f[0].bytes) ||
		    ad->f[i].bytes == 0 || ad->f[i].bytes > ad->f[0].bytes)
			return acq_error(&ad->a, -EINVAL, "'%s' is %" PRIu64 " bytes: the segments of a "
					 "split raw image must all have the size of the first (%" PRIu64
					 "), the last one at most", ad->f[i].src, ad->f[i].bytes,
					 ad->f[0].bytes);
	return 0;
}

/* An E01 set must be whole before anything is copied: libewf opens it
 * (and says which segment is missing). */
static int
check_set(struct adopt *ad)
{
	const char **paths;
	struct ct_image *img = NULL;
	size_t i;
	int ret;

	if (strcmp(ad->format, "e01"))
		return 0;
	if ((paths = calloc(ad->n, sizeof(*paths))) == NULL)
		return -ENOMEM;
	for (i = 0; i < ad->n; i++)
		paths[i] = ad->f[i].src;
	ret = image_open_files(&ad->a, "e01", paths, ad->n, 0, &img);
	ct_image_close(img);
	free(paths);
	return ret;
}

/* ---- the evidence item ---- */

static int
make_item(struct adopt *ad)
{
	struct acq *a = &ad->a;
	int ret;

	if ((ret = new_evidence(a, ad->o->evidence_id, "")) < 0)
		return ret;
	snprintf(ad->res->evidence, sizeof(ad->res->evidence), "%s", a->id);
	if (ct_snprintf(ad->res->record_path, sizeof(ad->res->record_path),
			"%s/%s.acquisition.json", a->casedir, a->id) < 0)
		return acq_error(a, -ENAMETOOLONG, "case folder name too long");
	return 0;
}

/* The name of file i in the case: E2.raw, E2.001..., E2.E01... */
static int
case_name(struct adopt *ad, size_t i, char *buf, size_t len)
{
	char ext[4];

	if (!strcmp(ad->format, "e01")) {
		if (ewf_segment_ext((unsigned)i + 1, ext) < 0)
			return -ERANGE;
		return ct_snprintf(buf, len, "%s.%s", ad->a.id, ext);
	}
	if (ad->n == 1)
		return ct_snprintf(buf, len, "%s.raw", ad->a.id);
	return ct_snprintf(buf, len, "%s.%03zu", ad->a.id, i + 1);
}

/* Copy one file into the case (O_EXCL), hashing what was read; flushed,
 * dropped from the cache and read back: the copy must hash the same. */
static int
copy_file(struct adopt *ad, struct afile *f, unsigned char *buf)
{
	struct acq *a = &ad->a;
	char path[PATH_MAX];
	unsigned char back[32];
	unsigned long long bytes = 0;
	gcry_md_hd_t md = NULL;
	uint64_t off = 0;
	int in = -1, out = -1, ret;
	ssize_t r;

	if (ct_snprintf(path, sizeof(path), "%s/%s", a->casedir, f->name) < 0)
		return -ENAMETOOLONG;
	if (gcry_md_open(&md, GCRY_MD_SHA256, 0))
		return -ENOMEM;
	if ((in = open(f->src, O_RDONLY | O_CLOEXEC)) < 0) {
		ret = acq_error(a, -errno, "cannot open '%s': %s", f->src, strerror(errno));
		goto out;
	}
	if ((out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0) {
		ret = acq_error(a, -errno, "cannot create '%s': %s", path, strerror(errno));
		goto out;
	}
	while ((r = read(in, buf, COPY_BUF)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = acq_error(a, -errno, "cannot read '%s': %s", f->src, strerror(errno));
			goto out;
		}
		gcry_md_write(md, buf, (size_t)r);
		if ((ret = ct_pwrite_all(out, buf, (size_t)r, off)) < 0) {
			acq_error(a, ret, "cannot write '%s': %s", path, strerror(-ret));
			goto out;
		}
		off += (uint64_t)r;
		if (ct_pipe_stop_requested()) {
			ret = acq_error(a, -EINTR, "interrupted while copying '%s'", f->src);
			goto out;
		}
	}
	memcpy(f->sha256, gcry_md_read(md, GCRY_MD_SHA256), 32);
	f->bytes = off;
	if (fdatasync(out) < 0 || close(out) < 0) {
		out = -1;
		ret = acq_error(a, -errno, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	out = -1;
	if ((out = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		(void)posix_fadvise(out, 0, 0, POSIX_FADV_DONTNEED);
		close(out);
		out = -1;
	}
	if ((ret = ct_sha256_file(path, back, &bytes)) < 0) {
		acq_error(a, ret, "cannot read back '%s': %s", path, strerror(-ret));
		goto out;
	}
	if (memcmp(back, f->sha256, 32) || bytes != f->bytes) {
		ret = acq_error(a, -EIO, "the copy '%s' does not read back as '%s' was read", path,
				f->src);
		goto out;
	}
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	gcry_md_close(md);
	return ret;
}

static int
place_files(struct adopt *ad)
{
	unsigned char *buf = NULL;
	unsigned long long bytes;
	size_t i;
	int ret = 0;

	if (!ad->o->in_place && (buf = malloc(COPY_BUF)) == NULL)
		return -ENOMEM;
	for (i = 0; i < ad->n && ret == 0; i++) {
		struct afile *f = &ad->f[i];

		if (ad->o->in_place) {
			snprintf(f->name, sizeof(f->name), "%s", f->src);
			if ((ret = ct_sha256_file(f->src, f->sha256, &bytes)) < 0)
				acq_error(&ad->a, ret, "cannot read '%s': %s", f->src, strerror(-ret));
			f->bytes = bytes;
		} else if ((ret = case_name(ad, i, f->name, sizeof(f->name))) < 0) {
			acq_error(&ad->a, ret, "too many segments");
		} else {
			ret = copy_file(ad, f, buf);
		}
	}
	free(buf);
	if (ret == 0 && !ad->o->in_place)
		ret = ct_fsync_dir(ad->a.casedir);
	return ret;
}

/* ---- hashing ---- */

static int
hash_image(struct adopt *ad)
{
	struct acq *a = &ad->a;
	const char **paths = calloc(ad->n, sizeof(*paths));
	char full[PATH_MAX];
	size_t i;
	int ret;

	if (paths == NULL)
		return -ENOMEM;
	for (i = 0; i < ad->n; i++) {
		if (ad->o->in_place)
			paths[i] = strdup(ad->f[i].src);
		else if (ct_snprintf(full, sizeof(full), "%s/%s", a->casedir, ad->f[i].name) == 0)
			paths[i] = strdup(full);
		if (paths[i] == NULL) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if ((ret = image_open_files(a, ad->format, paths, ad->n, 0, &ad->a.img)) < 0)
		goto out;
	a->src.size = ct_image_size(ad->a.img);
	/* the layout for per-segment hashes (split raw) */
	a->sink = !strcmp(ad->format, "e01") ? &sink_e01 : ad->n > 1 ? &sink_split : &sink_raw;
	a->split = ad->n > 1 && a->sink->fixed_segments ? ad->f[0].bytes : 0;
	if (a->sink->fixed_segments) {
		if ((a->segs = calloc(ad->n, sizeof(*a->segs))) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		a->nseg = (unsigned)ad->n;
		for (i = 0; i < ad->n; i++) {
			a->segs[i].fd = -1;
			a->segs[i].off = i * a->split;
			a->segs[i].size = ad->f[i].bytes;
		}
	}
	if ((ret = hashers_init(a, &ad->h, 1)) < 0)
		goto out;
	a->phase = CT_PROGRESS_ACQUIRE;
	if ((ret = run_pipeline(a, image_pipe_read, &ad->h, 0, NULL, 0)) < 0)
		acq_error(a, ret, "reading the image failed: %s", strerror(-ret));
out:
	for (i = 0; i < ad->n; i++)
		free((char *)paths[i]);
	free(paths);
	return ret;
}

/* ---- what an E01 says of itself ---- */

static const struct { uint8_t id; const char *name; } ewf_formats[] = {
	{ LIBEWF_FORMAT_ENCASE1, "EnCase 1" }, { LIBEWF_FORMAT_ENCASE2, "EnCase 2" },
	{ LIBEWF_FORMAT_ENCASE3, "EnCase 3" }, { LIBEWF_FORMAT_ENCASE4, "EnCase 4" },
	{ LIBEWF_FORMAT_ENCASE5, "EnCase 5" }, { LIBEWF_FORMAT_ENCASE6, "EnCase 6" },
	{ LIBEWF_FORMAT_ENCASE7, "EnCase 7" }, { LIBEWF_FORMAT_SMART, "SMART" },
	{ LIBEWF_FORMAT_FTK_IMAGER, "FTK Imager" }, { LIBEWF_FORMAT_LINEN5, "linen 5" },
	{ LIBEWF_FORMAT_LINEN6, "linen 6" }, { LIBEWF_FORMAT_LINEN7, "linen 7" },
	{ LIBEWF_FORMAT_EWF, "original EWF" }, { LIBEWF_FORMAT_EWFX, "EWFX" },
};

/* The stored hash id ("MD5") as hex, or NULL. */
static char *
stored_hash(libewf_handle_t *h, const char *id)
{
	libewf_error_t *e = NULL;
	size_t size = 0;
	char *v;

	if (libewf_handle_get_utf8_hash_value_size(h, (const uint8_t *)id, strlen(id), &size,
						   &e) != 1 || size == 0) {
		libewf_error_free(&e);
		return NULL;
	}
	if ((v = calloc(1, size + 1)) == NULL)
		return NULL;
	if (libewf_handle_get_utf8_hash_value(h, (const uint8_t *)id, strlen(id), (uint8_t *)v,
					      size, &e) != 1) {
		libewf_error_free(&e);
		free(v);
		return NULL;
	}
	return v;
}

/* Stored hashes against ours, both kept; 1 if one differs (the first
 * named in the error, unless a damaged chunk is). */
static int
compare_stored(struct adopt *ad, libewf_handle_t *h)
{
	static const struct { const char *id, *algo; } ids[] = {
		{ "MD5", "md5" }, { "SHA1", "sha1" }, { "SHA256", "sha256" },
	};
	struct json_object *st = json_object_new_object();
	size_t i, k;
	int differ = 0;

	for (i = 0; i < CT_ARRAY_SIZE(ids); i++) {
		char *v = stored_hash(h, ids[i].id), hex[2 * CT_HASH_MAXLEN + 1];
		const unsigned char *d = hashers_digest(&ad->h, ids[i].algo);
		struct json_object *o;

		if (v == NULL)
			continue;
		for (k = 0; v[k]; k++)
			v[k] = (char)((v[k] >= 'A' && v[k] <= 'F') ? v[k] - 'A' + 'a' : v[k]);
		o = json_object_new_object();
		jset(o, "stored", json_object_new_string(v));
		if (d) {
			ct_hex(d, ct_hash_algos[ct_hash_lookup(ids[i].algo)].len, hex);
			jset(o, "computed", json_object_new_string(hex));
			jset(o, "match", json_object_new_boolean(!strcmp(hex, v)));
			if (strcmp(hex, v) && !differ++ && !ad->a.damage[0])
				acq_error(&ad->a, 0, "the %s stored in the image (%s) differs from the "
					  "%s of what it holds (%s)", ids[i].algo, v, ids[i].algo, hex);
		}
		jset(st, ids[i].algo, o);
		free(v);
	}
	jset(ad->adopted, "stored_hashes", st);
	return differ;
}

/* The acquisition errors the E01 lists, as unreadable ranges. */
static int
acquiry_errors(struct adopt *ad, libewf_handle_t *h, uint32_t bps)
{
	struct acq *a = &ad->a;
	libewf_error_t *e = NULL;
	uint32_t n = 0, i;
	int ret;

	if (libewf_handle_get_number_of_acquiry_errors(h, &n, &e) != 1) {
		libewf_error_free(&e);
		return 0;
	}
	for (i = 0; i < n; i++) {
		uint64_t first = 0, count = 0, off, len;

		if (libewf_handle_get_acquiry_error(h, i, &first, &count, &e) != 1) {
			libewf_error_free(&e);
			continue;
		}
		off = first * bps;
		len = count * bps;
		if (off >= a->src.size)
			continue;
		if (len > a->src.size - off)
			len = a->src.size - off;
		if ((ret = ct_map_set(&a->map, off, len, '-')) < 0)
			return ret;
	}
	a->bad_bytes = ct_map_count(&a->map, '-');
	return 0;
}

/* The dates the E01 states, read from the files as adopted. */
static int
adopt_dates(struct adopt *ad, struct json_object *found)
{
	char **names = calloc(ad->n, sizeof(*names)), full[PATH_MAX];
	size_t i;
	int ret = 0;

	if (names == NULL)
		return -ENOMEM;
	for (i = 0; i < ad->n && ret == 0; i++) {
		if (ad->o->in_place)
			names[i] = strdup(ad->f[i].src);
		else if ((ret = ct_snprintf(full, sizeof(full), "%s/%s", ad->a.casedir,
					    ad->f[i].name)) == 0)
			names[i] = strdup(full);
		if (ret == 0 && names[i] == NULL)
			ret = -ENOMEM;
	}
	if (ret == 0)
		ret = ewf_header_dates(names, (int)ad->n, found);
	for (i = 0; i < ad->n; i++)
		free(names[i]);
	free(names);
	return ret;
}

static int
ewf_facts(struct adopt *ad)
{
	libewf_handle_t *h = image_ewf_handle(ad->a.img);
	struct json_object *found = json_object_new_object(), *media = json_object_new_object();
	libewf_error_t *e = NULL;
	uint32_t bps = 512, spc = 0;
	uint8_t fmt = 0, mtype = 0, mflags = 0;
	int8_t level = 0;
	uint8_t cflags = 0;
	size_t i;
	int ret;

	jset(ad->adopted, "found", found);
	jset(ad->adopted, "media", media);
	for (i = 0; i < ewf_header_count; i++) {
		char *v = ewf_is_date_id(ewf_header_ids[i]) ? NULL : ewf_get_header(h, ewf_header_ids[i]);

		if (v && *v)
			jset(found, ewf_header_ids[i], json_object_new_string(v));
		free(v);
	}
	if ((ret = adopt_dates(ad, found)) < 0)
		return acq_error(&ad->a, ret, "cannot read the dates of the E01 '%s'", ad->f[0].name);
	if (libewf_handle_get_format(h, &fmt, &e) == 1)
		for (i = 0; i < CT_ARRAY_SIZE(ewf_formats); i++)
			if (ewf_formats[i].id == fmt)
				jset(media, "ewf_format", json_object_new_string(ewf_formats[i].name));
	libewf_error_free(&e);
	if (libewf_handle_get_bytes_per_sector(h, &bps, &e) == 1)
		jset(media, "bytes_per_sector", json_object_new_int64(bps));
	libewf_error_free(&e);
	if (libewf_handle_get_sectors_per_chunk(h, &spc, &e) == 1)
		jset(media, "sectors_per_chunk", json_object_new_int64(spc));
	libewf_error_free(&e);
	if (libewf_handle_get_compression_values(h, &level, &cflags, &e) == 1)
		jset(media, "compression", json_object_new_string(level == LIBEWF_COMPRESSION_FAST ?
			"fast" : level == LIBEWF_COMPRESSION_BEST ? "best" : level == 0 ? "none" :
			"default"));
	libewf_error_free(&e);
	if (libewf_handle_get_media_type(h, &mtype, &e) == 1)
		jset(media, "type", json_object_new_string(mtype == LIBEWF_MEDIA_TYPE_REMOVABLE ?
			"removable" : mtype == LIBEWF_MEDIA_TYPE_FIXED ? "fixed" :
			mtype == LIBEWF_MEDIA_TYPE_OPTICAL ? "optical" :
			mtype == LIBEWF_MEDIA_TYPE_MEMORY ? "memory" : "other"));
	libewf_error_free(&e);
	if (libewf_handle_get_media_flags(h, &mflags, &e) == 1)
		jset(media, "physical", json_object_new_boolean((mflags & LIBEWF_MEDIA_FLAG_PHYSICAL) != 0));
	libewf_error_free(&e);
	if (compare_stored(ad, h))
		ad->res->mismatch = 1;
	if ((ret = acquiry_errors(ad, h, bps ? bps : 512)) < 0)
		return ret;
	return 0;
}

/* ---- the record ---- */

/* Case data: given, else what the image says. */
static struct json_object *
metadata(struct adopt *ad)
{
	const struct ct_adopt_opts *o = ad->o;
	struct json_object *m = json_object_new_object();
	struct json_object *found = ct_json_get(ad->adopted, "found");
	const struct { const char *key, *given, *found_key; } f[] = {
		{ "case_number", o->case_number, "case_number" },
		{ "evidence_number", o->evidence_number, "evidence_number" },
		{ "examiner", o->examiner, NULL },
		{ "description", o->description, "description" },
		{ "notes", o->notes, "notes" },
	};
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(f); i++) {
		const char *v = f[i].given ? f[i].given :
			f[i].found_key ? ct_json_str(found, f[i].found_key, NULL) : NULL;

		if (v == NULL && !strcmp(f[i].key, "evidence_number"))
			v = ad->a.id;
		if (v)
			jset(m, f[i].key, json_object_new_string(v));
	}
	return m;
}

static struct json_object *
segments_json(struct adopt *ad)
{
	struct json_object *segs = json_object_new_array();
	size_t i, k;

	for (i = 0; i < ad->n; i++) {
		struct json_object *s = json_object_new_object(), *hs = json_object_new_object();

		jset(s, "path", json_object_new_string(ad->f[i].name));
		if (ad->a.sink->fixed_segments)
			jset(s, "offset", jint(i * ad->a.split));
		jset(s, "bytes", jint(ad->f[i].bytes));
		if (ad->a.sink->fixed_segments && ad->n > 1) {
			for (k = 0; k < ad->h.nh; k++)
				jset(hs, ct_hash_algos[ad->h.hj[k].algo].name,
				     jhex(ad->a.segs[i].digest[ad->h.hj[k].algo],
					  ct_hash_algos[ad->h.hj[k].algo].len));
		} else if (ad->a.sink->fixed_segments) {
			json_object_put(hs);
			hs = hashers_json(&ad->h);
		} else {
			jset(hs, "sha256", jhex(ad->f[i].sha256, 32));
		}
		jset(s, "hashes", hs);
		json_object_array_add(segs, s);
	}
	return segs;
}

static void
record_fill(struct adopt *ad, time_t started)
{
	struct acq *a = &ad->a;
	struct json_object *rec = a->rec, *src = json_object_new_object(), *opts, *from, *h;
	char ts[32];
	size_t i;

	jset(rec, "evidence", json_object_new_string(a->id));
	ct_time_utc(started, ts, sizeof(ts));
	jset(rec, "started", json_object_new_string(ts));
	from = json_object_new_array();
	for (i = 0; i < ad->n; i++) {
		struct json_object *f = json_object_new_object();

		jset(f, "path", json_object_new_string(ad->f[i].src));
		jset(f, "bytes", jint(ad->f[i].bytes));
		jset(f, "sha256", jhex(ad->f[i].sha256, 32));
		json_object_array_add(from, f);
	}
	jset(ad->adopted, "from", from);
	jset(ad->adopted, "in_place", json_object_new_boolean(ad->o->in_place));
	jset(rec, "adopted", json_object_get(ad->adopted));
	jset(src, "path", json_object_new_string(ad->f[0].src));
	jset(src, "kind", json_object_new_string("image"));
	jset(src, "size", jint(a->src.size));
	jset(rec, "source", src);
	opts = json_object_new_object();
	jset(opts, "format", json_object_new_string(ad->format));
	h = json_object_new_array();
	for (i = 0; i < ct_hash_count; i++)
		if (a->mask & (1u << i))
			json_object_array_add(h, json_object_new_string(ct_hash_algos[i].name));
	jset(opts, "hash", h);
	jset(opts, "hash_window", jint(a->window));
	jset(opts, "split", jint(a->split));
	jset(rec, "options", opts);
	jset(rec, "metadata", metadata(ad));
	jset(rec, "tool", ct_tool_json());
}

/* ---- the run ---- */

static void
adopt_init(struct adopt *ad, const struct ct_adopt_opts *o, struct ct_adopt_result *res)
{
	struct acq *a = &ad->a;

	memset(ad, 0, sizeof(*ad));
	memset(res, 0, sizeof(*res));
	ad->o = o;
	ad->res = res;
	ad->io.nslots = 16;
	ad->io.progress = o->progress;
	ad->io.progress_ctx = o->progress_ctx;
	a->o = &ad->io;
	a->res = &ad->ir;
	a->src.fd = -1;
	a->map_fd = -1;
	a->rec_fd = -1;
	a->write_err_in = UINT64_MAX;
	a->mask = o->hash_mask | 1u << ct_hash_lookup("sha256");
	a->window = o->window;
	a->bufsize = o->bufsize ? o->bufsize : (1u << 20);
	pthread_mutex_init(&a->map_mu, NULL);
	ad->adopted = json_object_new_object();
}

static int
adopt_steps(struct adopt *ad, time_t started)
{
	struct acq *a = &ad->a;
	int ret;

	if (ad->o->nimages == 0)
		return acq_error(a, -EINVAL, "no image to adopt");
	if ((ret = ct_gcrypt_init()) < 0)
		return acq_error(a, ret, "libgcrypt is too old");
	if (ct_snprintf(a->casedir, sizeof(a->casedir), "%s", ad->o->casedir) < 0)
		return acq_error(a, -ENAMETOOLONG, "case folder name too long");
	if ((ret = find_files(ad)) < 0 || (ret = check_split(ad)) < 0 || (ret = check_set(ad)) < 0)
		return ret;
	/* stored hashes to compare with: an E01 keeps MD5 and SHA-1 */
	if (!strcmp(ad->format, "e01"))
		a->mask |= 1u << ct_hash_lookup("md5") | 1u << ct_hash_lookup("sha1");
	if ((ret = make_item(ad)) < 0)
		return ret;
	a->rec = json_object_new_object();
	jset(a->rec, "complete", json_object_new_boolean(0));
	jset(a->rec, "status", json_object_new_string("running"));
	if ((ret = record_write(a)) < 0)
		return acq_error(a, ret, "cannot write the record: %s", strerror(-ret));
	if ((ret = place_files(ad)) < 0 || (ret = hash_image(ad)) < 0)
		return ret;
	if ((ret = ct_map_init(&a->map, a->src.size)) < 0)
		return ret;
	if (!strcmp(ad->format, "e01") && (ret = ewf_facts(ad)) < 0)
		return ret;
	if (ad->a.damage[0]) {
		ad->res->mismatch = 1;
		jset(ad->adopted, "damaged_chunks", json_object_new_string(ad->a.damage));
	}
	record_fill(ad, started);
	jset(a->rec, "hashes", hashers_json(&ad->h));
	jset(a->rec, "window_size", jint(a->window));
	jset(a->rec, "windows", windows_json(a, &ad->h));
	jset(a->rec, "segments", segments_json(ad));
	jset(a->rec, "bad_ranges", bad_ranges_json(a));
	jset(a->rec, "bytes", jint(a->src.size));
	jset(a->rec, "bad_bytes", jint(a->bad_bytes));
	ad->res->bytes = a->src.size;
	ad->res->bad_bytes = a->bad_bytes;
	ad->res->complete = 1;
	return 0;
}

int
ct_image_adopt(const struct ct_adopt_opts *o, struct ct_adopt_result *res)
{
	struct adopt ad;
	struct acq *a = &ad.a;
	time_t started = time(NULL);
	size_t i;
	int ret;

	adopt_init(&ad, o, res);
	ret = adopt_steps(&ad, started);
	if (res->mismatch && ad.ir.error[0] == '\0')
		acq_error(a, 0, "%s", ad.a.damage[0] ? ad.a.damage :
			  "a hash stored in the image differs from the one computed");
	if (a->rec && a->rec_fd >= 0)
		ret = record_close(a, ret, res->complete, ret < 0 ? "failed" : res->mismatch ?
				   "stored-hash-mismatch" :
				   a->bad_bytes ? "complete-with-unreadable-sectors" : "complete",
				   ret < 0 || res->mismatch ? ad.ir.error : NULL);
	if (ret < 0)
		res->complete = 0;
	snprintf(res->error, sizeof(res->error), "%s", ad.ir.error);
	if (a->rec_live)
		res->record = a->rec;
	else
		json_object_put(a->rec);
	if (a->rec_fd >= 0)
		close(a->rec_fd);
	ct_image_close(ad.a.img);
	hashers_release(&ad.h);
	ct_map_free(&a->map);
	free(a->segs);
	for (i = 0; i < ad.n; i++)
		free(ad.f[i].src);
	free(ad.f);
	json_object_put(ad.adopted);
	pthread_mutex_destroy(&a->map_mu);
	return ret;
}

void
ct_adopt_result_release(struct ct_adopt_result *res)
{
	if (res == NULL)
		return;
	json_object_put(res->record);
	res->record = NULL;
}
