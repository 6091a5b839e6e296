/*
 * reader.c — the one segment reader: the bytes of an image at any offset,
 * whatever files hold it (one raw file, split raw segments, E01 segments).
 * Re-hashing (verify, extract), the verification after an acquisition, the
 * resume's re-read of what an earlier run wrote and the wipe's card match
 * all read images through it.
 *
 * Each format is a row of a table (open, read, close), as libarchive keeps
 * its formats; the handle keeps the error text of the last failure.  Reads
 * from several threads are safe (raw ones run in parallel, libewf's one at
 * a time).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "image/acq.h"
#include "image/ewf.h"

struct raw_seg {
	char *path;
	uint64_t off, size;
	int fd;			/* opened on first use */
};

struct ct_image {
	const struct img_format *fmt;
	uint64_t size;
	pthread_mutex_t mu;	/* the fds and the libewf handle */
	pthread_mutex_t emu;	/* the error text */
	char error[1024];
	/* raw and split raw */
	struct raw_seg *segs;
	size_t nseg;
	/* e01 */
	libewf_handle_t *ewf;
	uint32_t bps, spc;	/* bytes per sector, sectors per chunk */
	uint32_t checksum_errors;	/* reported so far */
};

struct img_format {
	const char *name;
	int (*read)(struct ct_image *img, unsigned char *p, size_t len, uint64_t off);
	void (*close)(struct ct_image *img);
};

static int
img_error(struct ct_image *img, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
img_error(struct ct_image *img, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&img->emu);
	va_start(ap, fmt);
	vsnprintf(img->error, sizeof(img->error), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&img->emu);
	return err;
}

/* ---- raw: one file, or segments that tile the stream ---- */

/* The segment holding off (binary search over the offsets). */
static size_t
raw_find(const struct ct_image *img, uint64_t off)
{
	size_t lo = 0, hi = img->nseg;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->segs[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The fd of segment s, opened on first use. */
static int
raw_fd(struct ct_image *img, struct raw_seg *s)
{
	int fd, ret = 0;

	pthread_mutex_lock(&img->mu);
	if (s->fd < 0) {
		s->fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (s->fd < 0)
			ret = img_error(img, -errno, "cannot open '%s': %s", s->path, strerror(errno));
	}
	fd = s->fd;
	pthread_mutex_unlock(&img->mu);
	return ret < 0 ? ret : fd;
}

static int
raw_read(struct ct_image *img, unsigned char *p, size_t len, uint64_t off)
{
	while (len > 0) {
		size_t i = raw_find(img, off), n = len;
		struct raw_seg *s = &img->segs[i];
		uint64_t in;
		ssize_t r;
		int fd;

		if (off < s->off || off - s->off >= s->size)
			return img_error(img, -EIO, "offset %" PRIu64 " lies in no segment of the image",
					 off);
		in = off - s->off;
		if ((uint64_t)n > s->size - in)
			n = (size_t)(s->size - in);
		if ((fd = raw_fd(img, s)) < 0)
			return fd;
		r = pread(fd, p, n, (off_t)in);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return img_error(img, -errno, "cannot read '%s': %s", s->path, strerror(errno));
		}
		if (r == 0)
			return img_error(img, -EIO, "'%s' is shorter than recorded (%" PRIu64
					 " bytes expected)", s->path, s->size);
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static void
raw_close(struct ct_image *img)
{
	size_t i;

	for (i = 0; i < img->nseg; i++) {
		if (img->segs[i].fd >= 0)
			close(img->segs[i].fd);
		free(img->segs[i].path);
	}
	free(img->segs);
	img->segs = NULL;
}

/* ---- e01: a segment set through libewf ---- */

/*
 * libewf reads on past a chunk whose checksum fails (it hands back what it
 * could, zeros for a missing segment) and counts it: a read that added to
 * the count names the chunks and fails with -EBADMSG, the buffer filled.
 */
static int
ewf_damage(struct ct_image *img)
{
	libewf_error_t *e = NULL;
	uint32_t n = 0, i;
	size_t at = 0;

	if (libewf_handle_get_number_of_checksum_errors(img->ewf, &n, &e) != 1) {
		libewf_error_free(&e);
		return 0;
	}
	if (n <= img->checksum_errors)
		return 0;
	pthread_mutex_lock(&img->emu);
	img->error[0] = '\0';
	for (i = img->checksum_errors; i < n && at < sizeof(img->error) - 1; i++) {
		uint64_t first = 0, count = 0, chunk_bytes = (uint64_t)img->bps * img->spc;
		uint64_t start, end;
		int w;

		if (libewf_handle_get_checksum_error(img->ewf, i, &first, &count, &e) != 1) {
			libewf_error_free(&e);
			continue;
		}
		start = first * img->bps;
		end = (first + count) * img->bps;
		if (end > img->size)
			end = img->size;
		if (count <= img->spc)
			w = snprintf(img->error + at, sizeof(img->error) - at, "%schunk %" PRIu64
				     " (bytes %" PRIu64 "-%" PRIu64 ") fails its checksum",
				     at ? "; " : "", start / chunk_bytes, start, end - 1);
		else
			w = snprintf(img->error + at, sizeof(img->error) - at, "%schunks %" PRIu64
				     "-%" PRIu64 " (bytes %" PRIu64 "-%" PRIu64 ") are missing or fail "
				     "their checksums", at ? "; " : "", start / chunk_bytes,
				     (end - 1) / chunk_bytes, start, end - 1);
		if (w < 0 || (size_t)w >= sizeof(img->error) - at)
			break;	/* the text ends with what fits */
		at += (size_t)w;
	}
	pthread_mutex_unlock(&img->emu);
	img->checksum_errors = n;
	return -EBADMSG;
}

static int
ewf_read(struct ct_image *img, unsigned char *p, size_t len, uint64_t off)
{
	libewf_error_t *e = NULL;
	char msg[512];
	ssize_t r;
	int ret = 0;

	pthread_mutex_lock(&img->mu);
	while (len > 0 && ret == 0) {
		r = libewf_handle_read_random(img->ewf, p, len, (off64_t)off, &e);
		if (r <= 0) {
			ewf_message(&e, msg, sizeof(msg));
			ret = img_error(img, -EIO, "cannot read the E01 at offset %" PRIu64 ": %s",
					off, r == 0 ? "it ends early" : msg);
			break;
		}
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	if (ret == 0)
		ret = ewf_damage(img);
	pthread_mutex_unlock(&img->mu);
	return ret;
}

static void
ewf_close(struct ct_image *img)
{
	libewf_error_t *e = NULL;

	if (img->ewf == NULL)
		return;
	if (libewf_handle_close(img->ewf, &e) != 0)
		libewf_error_free(&e);
	libewf_handle_free(&img->ewf, &e);
	libewf_error_free(&e);
	img->ewf = NULL;
}

/*
 * An E01 set whose last segment has no end (one missing after it, or a
 * set never finished) is refused unless unfinished is allowed (a resume
 * re-reads the part that is there): libewf would read the chunks that are
 * not there as damage and keep each in memory.
 */
static int
ewf_setup(struct ct_image *img, const char *const *names, size_t n, int unfinished)
{
	libewf_error_t *e = NULL;
	size64_t size = 0;
	char msg[512];

	if (libewf_handle_initialize(&img->ewf, &e) != 1 ||
	    libewf_handle_open(img->ewf, (char *const *)names, (int)n, LIBEWF_OPEN_READ, &e) != 1 ||
	    libewf_handle_get_media_size(img->ewf, &size, &e) != 1 ||
	    libewf_handle_get_bytes_per_sector(img->ewf, &img->bps, &e) != 1 ||
	    libewf_handle_get_sectors_per_chunk(img->ewf, &img->spc, &e) != 1) {
		ewf_message(&e, msg, sizeof(msg));
		return img_error(img, -EINVAL, "cannot open the E01 '%s': %s", n ? names[0] : "?",
				 msg);
	}
	if (img->bps == 0 || img->spc == 0)
		return img_error(img, -EINVAL, "the E01 '%s' has no sector or chunk size", names[0]);
	if (!unfinished && libewf_handle_segment_files_corrupted(img->ewf, &e) != 0) {
		libewf_error_free(&e);
		return img_error(img, -ENOENT, "the E01 set of '%s' is incomplete: the segment after "
				 "'%s' is missing (or the set was never finished)", names[0],
				 names[n - 1]);
	}
	img->size = size;
	return 0;
}

static const struct img_format formats[] = {
	{ .name = "raw", .read = raw_read, .close = raw_close },
	{ .name = "e01", .read = ewf_read, .close = ewf_close },
};

static const struct img_format *
format_find(const char *name)
{
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(formats); i++)
		if (!strcmp(formats[i].name, name))
			return &formats[i];
	return NULL;
}

static struct ct_image *
img_new(const char *format)
{
	struct ct_image *img = calloc(1, sizeof(*img));

	if (img == NULL)
		return NULL;
	img->fmt = format_find(format);
	pthread_mutex_init(&img->mu, NULL);
	pthread_mutex_init(&img->emu, NULL);
	return img;
}

/* Segments that tile [0, size) in order: (dir/)names[i] at offs[i]. */
static int
raw_setup(struct ct_image *img, const char *dir, const char *const *names,
	  const uint64_t *offs, const uint64_t *sizes, size_t n)
{
	size_t i;

	img->segs = calloc(n ? n : 1, sizeof(*img->segs));
	if (img->segs == NULL)
		return -ENOMEM;
	img->nseg = n;
	for (i = 0; i < n; i++) {
		struct raw_seg *s = &img->segs[i];
		int r = dir ? asprintf(&s->path, "%s/%s", dir, names[i]) :
			asprintf(&s->path, "%s", names[i]);

		if (r < 0) {
			s->path = NULL;
			return -ENOMEM;
		}
		s->off = offs[i];
		s->size = sizes[i];
		s->fd = -1;
	}
	img->size = n ? offs[n - 1] + sizes[n - 1] : 0;
	return 0;
}

/* ---- public ---- */

uint64_t
ct_image_size(const struct ct_image *img)
{
	return img ? img->size : 0;
}

const char *
ct_image_format(const struct ct_image *img)
{
	return img && img->fmt ? img->fmt->name : "?";
}

const char *
ct_image_error(const struct ct_image *img)
{
	return img && img->error[0] ? img->error : "unknown error";
}

int
ct_image_read(struct ct_image *img, void *buf, size_t len, uint64_t off)
{
	if (off > img->size || len > img->size - off)
		return img_error(img, -EINVAL, "cannot read %zu bytes at offset %" PRIu64
				 ": the image holds %" PRIu64, len, off, img->size);
	return img->fmt->read(img, buf, len, off);
}

void
ct_image_close(struct ct_image *img)
{
	if (img == NULL)
		return;
	if (img->fmt)
		img->fmt->close(img);
	pthread_mutex_destroy(&img->mu);
	pthread_mutex_destroy(&img->emu);
	free(img);
}

static int image_open_raw_plan(struct acq *a, struct ct_image **out);

/* A segment name from a record must be a plain file name in the case. */
static int
plain_name(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

int
record_file_path(const char *casedir, struct json_object *acq, const char *name, char *buf,
		 size_t len)
{
	int in_place = json_object_get_boolean(ct_json_get(ct_json_get(acq, "adopted"), "in_place"));

	if (in_place && name && name[0] == '/')
		return ct_snprintf(buf, len, "%s", name);
	if (!plain_name(name))
		return -EINVAL;
	return ct_snprintf(buf, len, "%s/%s", casedir, name);
}

/* The files of a record, as full paths. */
static int
record_paths(const char *casedir, struct json_object *acq, struct json_object *segs, char **paths,
	     size_t n, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = record_file_path(casedir, acq, ct_json_str(json_object_array_get_idx(segs, i),
							       "path", NULL), path, sizeof(path));
		if (r < 0) {
			snprintf(err, errlen, "the acquisition record has a bad segment list");
			return r;
		}
		if ((paths[i] = strdup(path)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

/* An E01 record: the set complete, of the size the record gives. */
static int
open_record_e01(struct ct_image *img, struct json_object *acq, char **paths, size_t n,
		char *err, size_t errlen)
{
	struct json_object *bytes = ct_json_get(acq, "bytes");
	int ret;

	if ((ret = ewf_setup(img, (const char *const *)paths, n, 0)) < 0) {
		snprintf(err, errlen, "%s", img->error);
		return ret;
	}
	if (bytes && img->size != (uint64_t)json_object_get_int64(bytes)) {
		snprintf(err, errlen, "the E01 '%s' holds %" PRIu64 " bytes, its record says %lld",
			 paths[0], img->size, (long long)json_object_get_int64(bytes));
		return -EINVAL;
	}
	return 0;
}

/* A raw record: segments that tile the image, each a regular file of its
 * recorded size, together the size the record gives. */
static int
open_record_raw(struct ct_image *img, struct json_object *acq, struct json_object *segs,
		char **paths, size_t n, char *err, size_t errlen)
{
	struct json_object *bytes = ct_json_get(acq, "bytes");
	uint64_t *offs = calloc(n, sizeof(*offs)), *sizes = calloc(n, sizeof(*sizes)), next = 0;
	struct stat st;
	size_t i;
	int ret = -ENOMEM;

	if (offs == NULL || sizes == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(segs, i);

		offs[i] = (uint64_t)json_object_get_int64(ct_json_get(s, "offset"));
		sizes[i] = (uint64_t)json_object_get_int64(ct_json_get(s, "bytes"));
		if (offs[i] != next) {
			ret = -EINVAL;
			snprintf(err, errlen, "the acquisition record has a bad segment list");
			goto out;
		}
		next += sizes[i];
		if (stat(paths[i], &st) < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot open image segment '%s': %s", paths[i],
				 strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != sizes[i]) {
			ret = -EINVAL;
			snprintf(err, errlen, "image segment '%s' is %s, not a file of the %" PRIu64
				 " bytes its record lists", paths[i], S_ISREG(st.st_mode) ?
				 "of another size" : "not a regular file", sizes[i]);
			goto out;
		}
	}
	if (bytes && next != (uint64_t)json_object_get_int64(bytes)) {
		ret = -EINVAL;
		snprintf(err, errlen, "the segments of %s do not add up to its size",
			 ct_json_str(acq, "evidence", "?"));
		goto out;
	}
	if ((ret = raw_setup(img, NULL, (const char *const *)paths, offs, sizes, n)) < 0)
		snprintf(err, errlen, "out of memory");
out:
	free(offs);
	free(sizes);
	return ret;
}

int
ct_image_open(const char *casedir, struct json_object *acq, struct ct_image **out,
	      char *err, size_t errlen)
{
	struct json_object *segs = ct_json_get(acq, "segments");
	const char *format = ct_json_str(ct_json_get(acq, "options"), "format", "raw");
	struct ct_image *img = NULL;
	char **paths = NULL;
	size_t n = 0, i;
	int ret;

	*out = NULL;
	if (segs == NULL || !json_object_is_type(segs, json_type_array) ||
	    (n = json_object_array_length(segs)) == 0) {
		snprintf(err, errlen, "the acquisition record lists no image files");
		return -EINVAL;
	}
	if (format_find(format) == NULL) {
		snprintf(err, errlen, "the acquisition record names an unknown format '%s'", format);
		return -EINVAL;
	}
	paths = calloc(n, sizeof(*paths));
	img = img_new(format);
	if (paths == NULL || img == NULL) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
	} else if ((ret = record_paths(casedir, acq, segs, paths, n, err, errlen)) == 0) {
		ret = !strcmp(format, "e01") ? open_record_e01(img, acq, paths, n, err, errlen) :
			open_record_raw(img, acq, segs, paths, n, err, errlen);
	}
	if (ret == 0) {
		*out = img;
		img = NULL;
	}
	ct_image_close(img);
	for (i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
	return ret;
}

int
image_open_plan(struct acq *a, struct ct_image **out)
{
	if (a->sink && a->sink->reader)
		return a->sink->reader(a, out);
	return image_open_raw_plan(a, out);
}

static int
image_open_raw_plan(struct acq *a, struct ct_image **out)
{
	const char **names = calloc(a->nseg ? a->nseg : 1, sizeof(*names));
	uint64_t *offs = calloc(a->nseg ? a->nseg : 1, sizeof(*offs));
	uint64_t *sizes = calloc(a->nseg ? a->nseg : 1, sizeof(*sizes));
	struct ct_image *img = img_new("raw");
	unsigned i;
	int ret = -ENOMEM;

	*out = NULL;
	if (names && offs && sizes && img) {
		for (i = 0; i < a->nseg; i++) {
			names[i] = a->segs[i].name;
			offs[i] = a->segs[i].off;
			sizes[i] = a->segs[i].size;
		}
		ret = raw_setup(img, a->casedir, names, offs, sizes, a->nseg);
	}
	if (ret == 0) {
		*out = img;
		img = NULL;
	} else {
		acq_error(a, ret, "cannot open the image of %s for reading: %s", a->id,
			  strerror(-ret));
	}
	ct_image_close(img);
	free(names);
	free(offs);
	free(sizes);
	return ret;
}

int
image_open_files(struct acq *a, const char *format, const char *const *names, size_t n,
		 int unfinished, struct ct_image **out)
{
	struct ct_image *img = img_new(format);
	uint64_t *offs = NULL, *sizes = NULL, next = 0;
	size_t i;
	int ret = -ENOMEM;

	*out = NULL;
	if (img == NULL || img->fmt == NULL) {
		ret = img ? -EINVAL : -ENOMEM;
		acq_error(a, ret, "cannot read images of format '%s'", format);
		goto out;
	}
	if (!strcmp(format, "e01")) {
		if ((ret = ewf_setup(img, names, n, unfinished)) < 0)
			acq_error(a, ret, "%s", img->error);
		goto out;
	}
	offs = calloc(n ? n : 1, sizeof(*offs));
	sizes = calloc(n ? n : 1, sizeof(*sizes));
	if (offs == NULL || sizes == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		struct stat st;

		if (stat(names[i], &st) < 0) {
			ret = acq_error(a, -errno, "cannot open '%s': %s", names[i], strerror(errno));
			goto out;
		}
		offs[i] = next;
		sizes[i] = (uint64_t)st.st_size;
		next += sizes[i];
	}
	if ((ret = raw_setup(img, NULL, names, offs, sizes, n)) < 0)
		acq_error(a, ret, "out of memory");
out:
	if (ret == 0) {
		*out = img;
		img = NULL;
	}
	ct_image_close(img);
	free(offs);
	free(sizes);
	return ret;
}

int
ct_image_paths(const char *casedir, struct json_object *acq, char ***out, size_t *nout,
	       const char **format)
{
	struct json_object *segs = ct_json_get(acq, "segments");
	char **paths, err[256];
	size_t n = segs && json_object_is_type(segs, json_type_array) ?
		json_object_array_length(segs) : 0;
	int ret;

	*out = NULL;
	*nout = 0;
	*format = ct_json_str(ct_json_get(acq, "options"), "format", "raw");
	if (n == 0)
		return -EINVAL;
	if ((paths = calloc(n + 1, sizeof(*paths))) == NULL)
		return -ENOMEM;
	if ((ret = record_paths(casedir, acq, segs, paths, n, err, sizeof(err))) < 0) {
		ct_image_paths_free(paths);
		return ret;
	}
	*out = paths;
	*nout = n;
	return 0;
}

void
ct_image_paths_free(char **paths)
{
	size_t i;

	for (i = 0; paths && paths[i]; i++)
		free(paths[i]);
	free(paths);
}

int
ct_image_is_ewf(const char *path)
{
	libewf_error_t *e = NULL;
	int r = libewf_check_file_signature(path, &e);

	if (r < 0) {
		libewf_error_free(&e);
		return -EIO;
	}
	return r;
}

libewf_handle_t *
image_ewf_handle(struct ct_image *img)
{
	return img ? img->ewf : NULL;
}

int
image_pipe_read(void *ctx, struct ct_pipe_buf *b, size_t cap)
{
	struct acq *a = ctx;
	uint64_t off = b->off, size = ct_image_size(a->img);
	size_t n, at;
	int rc;

	if (off >= size) {
		report_progress(a, size, 1);
		return 0;
	}
	n = (size_t)(size - off < cap ? size - off : cap);
	rc = ct_image_read(a->img, b->data, n, off);
	if (rc == -EBADMSG) {
		at = strlen(a->damage);
		snprintf(a->damage + at, sizeof(a->damage) - at, "%s%s", at ? "; " : "",
			 ct_image_error(a->img));
	} else if (rc < 0) {
		return acq_error(a, rc, "%s", ct_image_error(a->img));
	}
	b->len = n;
	report_progress(a, off + n, 0);
	return 0;
}
