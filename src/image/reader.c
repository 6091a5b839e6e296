/*
 * reader.c — the one segment reader: the bytes of an image at any offset,
 * whatever files hold it (one raw file, split raw segments, E01 segments).
 * Re-hashing (verify, extract), the verification after an acquisition, the
 * resume's re-read of what an earlier run wrote and the wipe's card match
 * all read images through it.
 *
 * Each format is a row of a table (open, read, close), as libarchive keeps
 * its formats; the handle keeps the error text of the last failure.
 */
#include <errno.h>
#include <fcntl.h>
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

struct raw_seg {
	char *path;
	uint64_t off, size;
};

struct ct_image {
	const struct img_format *fmt;
	uint64_t size;
	char error[1024];
	/* raw and split raw */
	struct raw_seg *segs;
	size_t nseg;
	size_t cur;		/* segment whose fd is open */
	int fd;
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

	va_start(ap, fmt);
	vsnprintf(img->error, sizeof(img->error), fmt, ap);
	va_end(ap);
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

static int
raw_read(struct ct_image *img, unsigned char *p, size_t len, uint64_t off)
{
	while (len > 0) {
		size_t i = raw_find(img, off), n = len;
		struct raw_seg *s = &img->segs[i];
		uint64_t in;
		ssize_t r;

		if (off < s->off || off - s->off >= s->size)
			return img_error(img, -EIO, "offset %" PRIu64 " lies in no segment of the image",
					 off);
		in = off - s->off;
		if ((uint64_t)n > s->size - in)
			n = (size_t)(s->size - in);
		if (img->fd < 0 || img->cur != i) {
			/* one file open at a time: images may have thousands */
			if (img->fd >= 0)
				close(img->fd);
			img->fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (img->fd < 0)
				return img_error(img, -errno, "cannot open '%s': %s", s->path,
						 strerror(errno));
			img->cur = i;
		}
		r = pread(img->fd, p, n, (off_t)in);
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

	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
	for (i = 0; i < img->nseg; i++)
		free(img->segs[i].path);
	free(img->segs);
	img->segs = NULL;
}

static const struct img_format formats[] = {
	{ .name = "raw", .read = raw_read, .close = raw_close },
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
	img->fd = -1;
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
	free(img);
}

/* A segment name from a record must be a plain file name in the case. */
static int
plain_name(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

int
ct_image_open(const char *casedir, struct json_object *acq, struct ct_image **out,
	      char *err, size_t errlen)
{
	struct json_object *segs = ct_json_get(acq, "segments");
	const char *format = ct_json_str(ct_json_get(acq, "options"), "format", "raw");
	const char **names = NULL;
	uint64_t *offs = NULL, *sizes = NULL, next = 0;
	struct ct_image *img = NULL;
	size_t n, i;
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
	names = calloc(n, sizeof(*names));
	offs = calloc(n, sizeof(*offs));
	sizes = calloc(n, sizeof(*sizes));
	img = img_new(format);
	if (names == NULL || offs == NULL || sizes == NULL || img == NULL) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(segs, i);

		names[i] = ct_json_str(s, "path", NULL);
		offs[i] = (uint64_t)json_object_get_int64(ct_json_get(s, "offset"));
		sizes[i] = (uint64_t)json_object_get_int64(ct_json_get(s, "bytes"));
		if (!plain_name(names[i]) || offs[i] != next) {
			ret = -EINVAL;
			snprintf(err, errlen, "the acquisition record has a bad segment list");
			goto out;
		}
		next += sizes[i];
	}
	if ((ret = raw_setup(img, casedir, names, offs, sizes, n)) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	*out = img;
	img = NULL;
out:
	ct_image_close(img);
	free(names);
	free(offs);
	free(sizes);
	return ret;
}

int
image_open_plan(struct acq *a, struct ct_image **out)
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
