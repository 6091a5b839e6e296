/*
 * acqmap.c — the mapfile as an acquisition keeps it.  The reader marks
 * what it read and what stayed unreadable; the sink decides how far the
 * file on disk may vouch (a->written): never beyond what a --resume can
 * rely on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "image/acq.h"

int
map_flush_locked(struct acq *a, int final)
{
	struct ct_map snap;
	char *text = NULL;
	size_t len = 0, i;
	int ret;

	if (a->map_fd < 0)
		return 0;
	if ((ret = ct_map_init(&snap, 0)) < 0)
		return ret;
	snap.e = calloc(a->map.n + 1, sizeof(*snap.e));
	if (snap.e == NULL)
		return -ENOMEM;
	snap.cap = a->map.n + 1;
	for (i = 0; i < a->map.n; i++)
		snap.e[snap.n++] = a->map.e[i];
	if (!final && a->written < a->src.size)
		ret = ct_map_set(&snap, a->written, a->src.size - a->written, '?');
	if (ret == 0) {
		snap.current_pos = a->written;
		snap.current_status = ct_map_first(&snap, '?') == a->src.size ? '+' : '?';
		ret = ct_map_format(&snap, a->o->command_line ? a->o->command_line : NULL,
				    &text, &len);
	}
	if (ret == 0)
		ret = ct_pwrite_all(a->map_fd, text, len, 0);
	if (ret == 0 && ftruncate(a->map_fd, (off_t)len) < 0)
		ret = -errno;
	if (ret == 0 && fdatasync(a->map_fd) < 0)
		ret = -errno;
	free(text);
	ct_map_free(&snap);
	return ret;
}

int
map_flush(struct acq *a, int final)
{
	int ret;

	pthread_mutex_lock(&a->map_mu);
	ret = map_flush_locked(a, final);
	pthread_mutex_unlock(&a->map_mu);
	return ret;
}

int
map_vouch(struct acq *a, uint64_t upto)
{
	int ret;

	pthread_mutex_lock(&a->map_mu);
	a->written = upto == UINT64_MAX ? ct_map_first(&a->map, '?') : upto;
	ret = map_flush_locked(a, 0);
	upto = a->written;
	pthread_mutex_unlock(&a->map_mu);
	if (ret < 0) {
		char name[96];

		snprintf(name, sizeof(name), "%s.map", a->id);
		sink_error(a, -ret, upto, UINT64_MAX, name);
	}
	return ret;
}

int
map_mark(struct acq *a, uint64_t off, uint64_t len, char status)
{
	int ret;

	pthread_mutex_lock(&a->map_mu);
	ret = ct_map_set(&a->map, off, len, status);
	pthread_mutex_unlock(&a->map_mu);
	return ret;
}

int
map_mark_read(struct acq *a, uint64_t off, uint64_t len)
{
	uint64_t p = off, end = off + len;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&a->map_mu);
	for (i = 0; i < a->map.n && p < end; i++) {
		struct ct_map_entry e = a->map.e[i];
		uint64_t eend = e.pos + e.size;

		if (eend <= p || e.pos >= end)
			continue;
		if (e.status == '?') {
			uint64_t from = e.pos > p ? e.pos : p;
			uint64_t to = eend < end ? eend : end;

			rc = ct_map_set(&a->map, from, to - from, '+');
			if (rc < 0)
				break;
			i = (size_t)-1;	/* entries changed: rescan */
			p = to;
		}
	}
	pthread_mutex_unlock(&a->map_mu);
	return rc;
}

/*
 * Verification compares and re-reads stretch by stretch, skipping the
 * unreadable ones (zero-filled in the image).
 */
uint64_t
stretch_end(const struct ct_map *m, uint64_t p, uint64_t end, int *bad)
{
	uint64_t stop = end;
	size_t i;

	*bad = 0;
	for (i = 0; i < m->n; i++) {
		const struct ct_map_entry *e = &m->e[i];

		if (e->status != '-' || e->pos + e->size <= p || e->pos >= stop)
			continue;
		if (e->pos <= p) {
			*bad = 1;
			return e->pos + e->size < end ? e->pos + e->size : end;
		}
		stop = e->pos;
	}
	return stop;
}

struct json_object *
bad_ranges_json(struct acq *a)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < a->map.n; i++) {
		struct json_object *r;

		if (a->map.e[i].status != '-')
			continue;
		r = json_object_new_object();
		jset(r, "offset", jint(a->map.e[i].pos));
		jset(r, "length", jint(a->map.e[i].size));
		json_object_array_add(arr, r);
	}
	return arr;
}
