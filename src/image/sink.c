/*
 * sink.c — where an acquisition writes: a table of sinks chosen by
 * --format and --split, as libarchive chooses its formats.  Each sink is a
 * row of function pointers (sink_raw.c: raw and split raw; sink_e01.c: the
 * Expert Witness Format); the run (acquire.c) never branches on which.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "image/acq.h"

static const struct sink *const sinks[] = { &sink_raw, &sink_split, &sink_e01 };

const struct sink *
sink_choose(const char *format, int split)
{
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(sinks); i++)
		if (!strcmp(sinks[i]->format, format) &&
		    (sinks[i]->split < 0 || sinks[i]->split == (split != 0)))
			return sinks[i];
	return NULL;
}

const struct sink *
sink_of_record(struct json_object *rec)
{
	struct json_object *opts = ct_json_get(rec, "options");

	return sink_choose(ct_json_str(opts, "format", "raw"),
			   json_object_get_int64(ct_json_get(opts, "split")) != 0);
}

int
sink_files_exist(const char *dir, const char *id)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(sinks); i++) {
		if (ct_snprintf(path, sizeof(path), "%s/%s%s", dir, id, sinks[i]->first_suffix) < 0 ||
		    lstat(path, &st) == 0)
			return 1;
	}
	return 0;
}

int
segment_open(struct acq *a, struct segment *s, int create)
{
	char path[PATH_MAX];
	int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;

	if (s->fd >= 0)
		return 0;
	if (ct_snprintf(path, sizeof(path), "%s/%s", a->casedir, s->name) < 0)
		return -ENAMETOOLONG;
	if (create)
		flags |= O_CREAT | O_EXCL;
	s->fd = open(path, flags, 0644);
	if (s->fd < 0)
		return -errno;
	return 0;
}

struct segment *
segment_at(struct acq *a, uint64_t off)
{
	uint64_t i = a->split && a->sink->fixed_segments ? off / a->split : 0;

	return i < a->nseg ? &a->segs[i] : NULL;
}

void
sink_error(struct acq *a, int err, uint64_t stream_off, uint64_t file_off, const char *file)
{
	if (a->write_errno)
		return;
	a->write_errno = err;
	a->write_err_off = stream_off;
	a->write_err_in = file_off;
	snprintf(a->write_err_file, sizeof(a->write_err_file), "%s", file);
}
