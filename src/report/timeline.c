/*
 * timeline.c — one timeline of the case: custody events, flight starts and
 * ends, photo times and the file times of every evidence (modified,
 * accessed, created, with their basis and state), sorted by time; written
 * as timeline.csv and as a Sleuth Kit body file for `mactime -b`.
 *
 * A time without a zone (FAT stores the wall clock of wherever the card
 * was) is not an instant.  It is sorted as if it were UTC, shown without
 * "Z", and its basis says "local"; in the body file it is the stored wall
 * clock as seconds since 1970 as if UTC, so `mactime -b FILE -z UTC` shows
 * it as stored.  Times relative to a recorder's start are left out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/flight.h"
#include "cardtrail/util.h"
#include "report_int.h"

struct tl_add {
	int64_t t;
	int basis, date_only;
	enum rp_event_kind kind;
	const char *time, *evidence, *what, *state, *path, *detail;
};

static int
add_event(struct rp_case *c, const struct tl_add *a, size_t *cap)
{
	struct rp_event *e;

	if (c->ntl == *cap) {
		size_t n = *cap ? *cap * 2 : 256;
		e = realloc(c->tl, n * sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		c->tl = e;
		*cap = n;
	}
	e = &c->tl[c->ntl];
	memset(e, 0, sizeof(*e));
	e->t = a->t;
	e->basis = a->basis;
	e->date_only = a->date_only;
	e->kind = a->kind;
	e->order = c->ntl;
	e->time = rp_clean(a->time);
	e->evidence = rp_clean(a->evidence ? a->evidence : "");
	e->what = rp_clean(a->what ? a->what : "");
	e->state = rp_clean(a->state ? a->state : "");
	e->path = rp_clean(a->path ? a->path : "");
	e->detail = rp_clean(a->detail ? a->detail : "");
	c->ntl++;
	if (!e->time || !e->evidence || !e->what || !e->state || !e->path || !e->detail)
		return -ENOMEM;
	return 0;
}

static int
custody_events(struct rp_case *c, size_t *cap)
{
	struct json_object *vrecs = ct_json_get(c->verify, "records");
	size_t i;
	int ret;

	for (i = 0; i < c->log.n; i++) {
		struct json_object *r = c->log.lines[i].rec, *v = json_object_array_get_idx(vrecs, i);
		struct tl_add a = { .kind = RP_EV_CUSTODY };
		const char *text = ct_json_str(ct_json_get(r, "result"), "text", NULL);
		char what[96], *detail;
		int d;

		if (r == NULL || rp_parse_time(ct_json_str(r, "time", NULL), &a.t, &a.basis, &d) < 0 ||
		    a.basis != CT_TIME_UTC)
			continue;
		snprintf(what, sizeof(what), "custody #%" PRId64 " %s",
			 json_object_get_int64(ct_json_get(r, "seq")), ct_json_str(r, "action", "?"));
		/* a note's text is what the record is for */
		detail = rp_strf("by %s; record %s%s%s", ct_json_str(r, "examiner", "?"),
				 ct_json_str(v, "verdict", "?"), text ? "; note: " : "", text ? text : "");
		if (detail == NULL)
			return -ENOMEM;
		a.time = ct_json_str(r, "time", "");
		a.evidence = ct_json_str(ct_json_get(r, "subject"), "evidence", "");
		a.what = what;
		a.state = ct_json_str(v, "signature", "");
		a.detail = detail;
		ret = add_event(c, &a, cap);
		free(detail);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int
flight_events(struct rp_case *c, size_t *cap)
{
	size_t k, i;
	int ret;

	for (k = 0; k < c->nfl; k++) {
		const struct rp_flight *f = &c->fl[k];
		char tb[48], what[64], detail[256];

		if (f->basis != CT_TIME_UTC && f->basis != CT_TIME_LOCAL)
			continue;
		for (i = 0; i < 2; i++) {
			/* the time is that of the track it comes from: named with it */
			const struct rp_source *p = &c->src[i ? f->last : f->first];
			struct tl_add a = { .kind = RP_EV_FLIGHT, .basis = f->basis };
			a.t = i ? f->t1 : f->t0;
			rp_time_str(a.t, a.basis, tb, sizeof(tb));
			snprintf(what, sizeof(what), "flight %zu %s", k + 1, i ? "end" : "start");
			snprintf(detail, sizeof(detail), "%zu source%s%s%s%s%s", f->ntracks,
				 f->ntracks == 1 ? "" : "s", p->model ? "; " : "", p->model ? p->model : "",
				 p->aircraft ? "; aircraft " : "", p->aircraft ? p->aircraft : "");
			a.time = tb;
			a.evidence = c->ev[p->ev].id;
			a.what = what;
			a.state = p->state;
			a.path = p->file;
			a.detail = detail;
			if ((ret = add_event(c, &a, cap)) < 0)
				return ret;
		}
	}
	return 0;
}

static int
photo_events(struct rp_case *c, size_t *cap)
{
	size_t i;
	int ret;

	for (i = 0; i < c->nsrc; i++) {
		const struct rp_source *s = &c->src[i];
		struct tl_add a = { .kind = RP_EV_PHOTO, .basis = s->basis, .t = s->t0 };
		char tb[48], detail[160];

		if (!s->photo || (s->basis != CT_TIME_UTC && s->basis != CT_TIME_LOCAL))
			continue;
		rp_time_str(a.t, a.basis, tb, sizeof(tb));
		if (s->flight >= 0)
			snprintf(detail, sizeof(detail), "flight %d; %.7f, %.7f", s->flight + 1,
				 s->minlat, s->minlon);
		else
			snprintf(detail, sizeof(detail), "outside any flight; %.7f, %.7f", s->minlat,
				 s->minlon);
		a.time = tb;
		a.evidence = c->ev[s->ev].id;
		a.what = "photo taken";
		a.state = s->state;
		a.path = s->file;
		a.detail = detail;
		if ((ret = add_event(c, &a, cap)) < 0)
			return ret;
	}
	return 0;
}

/* The three times MANIFEST.json keeps per file. */
static const struct {
	const char *key, *what;
} file_times[] = {
	{ "created", "file created" },
	{ "modified", "file modified" },
	{ "accessed", "file accessed" },
};

static int
file_events(struct rp_case *c, size_t ev, size_t *cap)
{
	struct json_object *files = ct_json_get(c->ev[ev].manifest, "files");
	size_t i, k;
	int ret;

	if (files == NULL || !json_object_is_type(files, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(files); i++) {
		struct json_object *f = json_object_array_get_idx(files, i);
		struct json_object *t = ct_json_get(f, "times");
		char detail[64];

		snprintf(detail, sizeof(detail), "%" PRId64 " bytes",
			 json_object_get_int64(ct_json_get(f, "size")));
		for (k = 0; t && k < CT_ARRAY_SIZE(file_times); k++) {
			struct tl_add a = { .kind = RP_EV_FILE };
			a.time = ct_json_str(t, file_times[k].key, NULL);
			if (rp_parse_time(a.time, &a.t, &a.basis, &a.date_only) < 0 ||
			    a.basis == CT_TIME_BOOT)
				continue;
			a.evidence = c->ev[ev].id;
			a.what = file_times[k].what;
			a.state = ct_json_str(f, "state", "");
			a.path = ct_json_str(f, "path", NULL) ? ct_json_str(f, "path", NULL) :
				 ct_json_str(f, "bundle_path", "");
			a.detail = detail;
			if ((ret = add_event(c, &a, cap)) < 0)
				return ret;
		}
	}
	return 0;
}

static int
cmp_events(const void *pa, const void *pb)
{
	const struct rp_event *a = pa, *b = pb;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

int
rp_timeline_build(struct rp_case *c)
{
	size_t cap = 0, i;
	int ret;

	if ((ret = custody_events(c, &cap)) < 0 || (ret = flight_events(c, &cap)) < 0 ||
	    (ret = photo_events(c, &cap)) < 0)
		return ret;
	for (i = 0; i < c->nev; i++)
		if ((ret = file_events(c, i, &cap)) < 0)
			return ret;
	if (c->ntl > 1)
		qsort(c->tl, c->ntl, sizeof(*c->tl), cmp_events);
	return 0;
}

/* ---- timeline.csv ---- */

/* A text field: always quoted (RFC 4180), and one a spreadsheet would
 * take for a formula gets a leading ' inside the quotes. */
static void
csv_text(FILE *f, const char *s)
{
	fputc('"', f);
	if (s[0] != '\0' && strchr("=+-@\t\r", s[0]))
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int
rp_timeline_csv(const struct rp_case *c, FILE *f)
{
	size_t i;

	fputs("time,time_basis,evidence,event,state,path,detail\n", f);
	for (i = 0; i < c->ntl; i++) {
		const struct rp_event *e = &c->tl[i];
		fprintf(f, "%s,%s,", e->time, e->date_only ? "local-date" :
			e->basis == CT_TIME_UTC ? "utc" : "local");
		csv_text(f, e->evidence);
		fputc(',', f);
		csv_text(f, e->what);
		fputc(',', f);
		csv_text(f, e->state);
		fputc(',', f);
		csv_text(f, e->path);
		fputc(',', f);
		csv_text(f, e->detail);
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- the body file (TSK 3: MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime) ---- */

/* A name for the body file: '|' would split the line. */
static void
body_name(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("%7C", f);
		else
			fputc(*s, f);
	}
}

static int64_t
body_secs(struct json_object *t, const char *key)
{
	int64_t us;
	int basis, d;

	if (rp_parse_time(ct_json_str(t, key, NULL), &us, &basis, &d) < 0 || basis == CT_TIME_BOOT)
		return 0;
	/* floor to seconds, and 0 means "no time" to mactime */
	us = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
	return us > 0 ? us : 0;
}

static void
body_files(const struct rp_case *c, size_t ev, FILE *f)
{
	struct json_object *files = ct_json_get(c->ev[ev].manifest, "files");
	size_t i;

	if (files == NULL || !json_object_is_type(files, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(files); i++) {
		struct json_object *m = json_object_array_get_idx(files, i), *t = ct_json_get(m, "times");
		const char *state = ct_json_str(m, "state", ""), *path = ct_json_str(m, "path", NULL);
		char *name;

		if (t == NULL || path == NULL)
			continue;
		if ((name = rp_clean(path)) == NULL)
			continue;
		fprintf(f, "0|%s:/", c->ev[ev].id);
		body_name(f, name);
		if (strcmp(state, "allocated"))
			fprintf(f, " (%s)", state);
		fprintf(f, "|0|r/rrwxrwxrwx|0|0|%" PRId64 "|%" PRId64 "|%" PRId64 "|0|%" PRId64 "\n",
			json_object_get_int64(ct_json_get(m, "size")), body_secs(t, "accessed"),
			body_secs(t, "modified"), body_secs(t, "created"));
		free(name);
	}
}

int
rp_timeline_body(const struct rp_case *c, FILE *f)
{
	size_t i;

	/* custody, flights and photos: one time each, given as the m time */
	for (i = 0; i < c->ntl; i++) {
		const struct rp_event *e = &c->tl[i];
		int64_t s = e->t >= 0 ? e->t / 1000000 : 0;
		if (e->kind == RP_EV_FILE || s <= 0)
			continue;
		fputs("0|", f);
		if (e->evidence[0])
			fprintf(f, "%s: ", e->evidence);
		body_name(f, e->what);
		if (e->path[0]) {
			fputs(" ", f);
			body_name(f, e->path);
		}
		if (e->basis == CT_TIME_LOCAL)
			fputs(" (local time)", f);
		fprintf(f, "|0|-/----------|0|0|0|0|%" PRId64 "|0|0\n", s);
	}
	for (i = 0; i < c->nev; i++)
		body_files(c, i, f);
	return ferror(f) ? -EIO : 0;
}
