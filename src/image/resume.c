/*
 * resume.c — continue an interrupted acquisition: the record and mapfile of
 * the earlier run must fit the source; the options of the first run rule;
 * the sink says from where its files can go on (never beyond what the
 * mapfile vouches for), and what lies before that is re-read from the
 * image and hashed again, so the final hashes are those of an
 * uninterrupted run.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "image/acq.h"

/* The earlier run's record: it must be incomplete and of this source. */
static int
load_record(struct acq *a)
{
	struct json_object *v;
	char *text = NULL;
	size_t len;
	uint64_t size_rec;
	int ret;

	a->rec_fd = open_case_file(a, ".acquisition.json", 0, 0);
	if (a->rec_fd < 0)
		return acq_error(a, a->rec_fd, "cannot resume: no record %s/%s.acquisition.json: %s",
				 a->casedir, a->id, strerror(-a->rec_fd));
	if ((ret = read_whole(a->rec_fd, &text, &len)) < 0)
		return acq_error(a, ret, "cannot read the record of %s: %s", a->id, strerror(-ret));
	a->rec = json_tokener_parse(text);
	free(text);
	if (a->rec == NULL || !json_object_is_type(a->rec, json_type_object))
		return acq_error(a, -EINVAL, "cannot resume %s: its record is not valid JSON", a->id);
	if (json_object_object_get_ex(a->rec, "complete", &v) && json_object_get_boolean(v))
		return acq_error(a, -EEXIST, "%s is already complete; nothing to resume", a->id);
	if (!json_object_object_get_ex(a->rec, "options", &v) ||
	    !json_object_object_get_ex(a->rec, "source", &v))
		return acq_error(a, -EINVAL, "cannot resume %s: its record lacks options", a->id);
	size_rec = (uint64_t)json_object_get_int64(json_object_object_get(v, "size"));
	if (size_rec != a->src.size)
		return acq_error(a, -EINVAL, "cannot resume %s: the source is %" PRIu64
				 " bytes, the record says %" PRIu64, a->id, a->src.size, size_rec);
	return 0;
}

/* The options of the first run rule. */
static int
load_options(struct acq *a)
{
	struct json_object *opts = ct_json_get(a->rec, "options"), *v;
	size_t i;

	a->mask = 0;
	v = ct_json_get(opts, "hash");
	for (i = 0; v && i < json_object_array_length(v); i++) {
		int k = ct_hash_lookup(json_object_get_string(json_object_array_get_idx(v, i)));
		if (k >= 0)
			a->mask |= 1u << k;
	}
	if (a->mask == 0)
		return acq_error(a, -EINVAL, "cannot resume %s: no hash list in its record", a->id);
	a->mask |= 1u << ct_hash_lookup("sha256");
	a->window = (uint64_t)json_object_get_int64(ct_json_get(opts, "hash_window"));
	a->split = (uint64_t)json_object_get_int64(ct_json_get(opts, "split"));
	a->sink = sink_of_record(a->rec);
	if (a->sink == NULL)
		return acq_error(a, -EINVAL, "cannot resume %s: its record names an unknown format "
				 "'%s'", a->id, ct_json_str(opts, "format", "?"));
	return 0;
}

/* The mapfile: it must cover the source and be finished up to one point. */
static int
load_map(struct acq *a, uint64_t *first_q)
{
	char *text = NULL;
	size_t len;
	int ret, line = 0;

	a->map_fd = open_case_file(a, ".map", 0, 1 << 20);
	if (a->map_fd < 0)
		return acq_error(a, a->map_fd, "cannot resume: no mapfile %s/%s.map: %s",
				 a->casedir, a->id, strerror(-a->map_fd));
	if ((ret = read_whole(a->map_fd, &text, &len)) < 0)
		return acq_error(a, ret, "cannot read %s.map: %s", a->id, strerror(-ret));
	ret = ct_map_parse(text, len, &a->map, &line);
	free(text);
	if (ret < 0)
		return acq_error(a, ret, "cannot resume: %s/%s.map is damaged at line %d", a->casedir,
				 a->id, line);
	if (ct_map_size(&a->map) != a->src.size)
		return acq_error(a, -EINVAL, "cannot resume: %s.map covers %" PRIu64
				 " bytes, the source has %" PRIu64, a->id, ct_map_size(&a->map),
				 a->src.size);
	*first_q = ct_map_first(&a->map, '?');
	if (ct_map_count(&a->map, '?') != a->src.size - *first_q)
		return acq_error(a, -EINVAL, "cannot resume: %s.map has non-tried areas before "
				 "offset %" PRIu64, a->id, *first_q);
	return 0;
}

int
resume_setup(struct acq *a)
{
	uint64_t first_q = 0;
	int ret;

	if ((ret = load_record(a)) < 0 || (ret = load_options(a)) < 0 ||
	    (ret = load_map(a, &first_q)) < 0)
		return ret;
	if ((ret = a->sink->resume(a, first_q)) < 0)
		return ret;
	if (a->resume_pos > first_q)
		return acq_error(a, -EIO, "cannot resume %s: its files hold more than the "
				 "mapfile vouches for", a->id);
	/* the sink may go on from an earlier point than the mapfile: what
	 * lies beyond it is read again */
	if (a->resume_pos < first_q &&
	    (ret = ct_map_set(&a->map, a->resume_pos, a->src.size - a->resume_pos, '?')) < 0)
		return ret;
	a->written = a->resume_pos;
	/* the earlier runs' unreadable sectors still count (exit 4) */
	a->bad_bytes = ct_map_count(&a->map, '-');
	if (a->resume_pos > 0 && a->prefix == NULL && (ret = image_open_plan(a, &a->prefix)) < 0)
		return ret;
	return 0;
}
