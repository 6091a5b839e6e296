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

/* "E1" and the other items of its content the source was found in. */
static void
source_evidence(const struct rp_case *c, const struct rp_source *s, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	if (f == NULL) {
		snprintf(buf, len, "%s", c->ev[s->ev].id);
		return;
	}
	fputs(c->ev[s->ev].id, f);
	rp_source_also(c, s, ", ", "", f);
	fclose(f);
	buf[len - 1] = '\0';
}

/* The evidence whose acquisition record record r wrote, or NULL. */
static const struct rp_evidence *
acquired_by(const struct rp_case *c, struct json_object *r)
{
	size_t i;

	for (i = 0; i < c->nev; i++)
		if (c->ev[i].image_rec == r && c->ev[i].acq)
			return &c->ev[i];
	return NULL;
}

/* The acquisition's own start and end (its record is written when it is
 * done: the custody record's time is its end, or later). */
static int
acquisition_events(struct rp_case *c, const struct rp_evidence *e, int64_t seq, size_t *cap)
{
	static const char *const keys[] = { "started", "finished" };
	int adopted = ct_json_get(e->acq, "adopted") != NULL;
	size_t i;
	int ret, d;

	for (i = 0; i < CT_ARRAY_SIZE(keys); i++) {
		struct tl_add a = { .kind = RP_EV_CUSTODY };
		char what[96], detail[384];
		a.time = ct_json_str(e->acq, keys[i], NULL);
		if (rp_parse_time(a.time, &a.t, &a.basis, &d) < 0 || a.basis != CT_TIME_UTC)
			continue;
		snprintf(what, sizeof(what), "%s %s", adopted ? "adoption" : "acquisition", keys[i]);
		snprintf(detail, sizeof(detail), "%s; recorded by custody #%" PRId64, e->acq_name, seq);
		a.evidence = e->id;
		a.what = what;
		a.detail = detail;
		if ((ret = add_event(c, &a, cap)) < 0)
			return ret;
	}
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
		const struct rp_evidence *e = acquired_by(c, r);
		char what[96], *detail, span[640] = "";
		int d;

		if (r == NULL || rp_parse_time(ct_json_str(r, "time", NULL), &a.t, &a.basis, &d) < 0 ||
		    a.basis != CT_TIME_UTC)
			continue;
		snprintf(what, sizeof(what), "custody #%" PRId64 " %s",
			 json_object_get_int64(ct_json_get(r, "seq")), ct_json_str(r, "action", "?"));
		/* a note's text is what the record is for */
		if (e)
			snprintf(span, sizeof(span), "; %s ran %s .. %s (%s)",
				 ct_json_get(e->acq, "adopted") ? "adoption" : "acquisition",
				 ct_json_str(e->acq, "started", "?"), ct_json_str(e->acq, "finished", "?"),
				 e->acq_name);
		detail = rp_strf("by %s; record %s%s%s%s", ct_json_str(r, "examiner", "?"),
				 ct_json_str(v, "verdict", "?"), span, text ? "; note: " : "",
				 text ? text : "");
		if (detail == NULL)
			return -ENOMEM;
		a.time = ct_json_str(r, "time", "");
		a.evidence = ct_json_str(ct_json_get(r, "subject"), "evidence", "");
		a.what = what;
		a.state = ct_json_str(v, "signature", "");
		a.detail = detail;
		/* its start and end first: a tie in time keeps them before it */
		ret = e ? acquisition_events(c, e, json_object_get_int64(ct_json_get(r, "seq")), cap) : 0;
		if (ret == 0)
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
			char evs[256];
			a.t = i ? f->t1 : f->t0;
			rp_time_str(a.t, a.basis, tb, sizeof(tb));
			snprintf(what, sizeof(what), "flight %zu %s", k + 1, i ? "end" : "start");
			snprintf(detail, sizeof(detail), "%zu source%s%s%s%s%s", f->ntracks,
				 f->ntracks == 1 ? "" : "s", p->model ? "; " : "", p->model ? p->model : "",
				 p->aircraft ? "; aircraft " : "", p->aircraft ? p->aircraft : "");
			a.time = tb;
			source_evidence(c, p, evs, sizeof(evs));
			a.evidence = evs;
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
		char tb[48], detail[160], evs[256];

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
		source_evidence(c, s, evs, sizeof(evs));
		a.evidence = evs;
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

/* Does item j's manifest hold file entry f (i: where it would be when the
 * two were extracted alike)? */
static int
holds_file(const struct rp_case *c, size_t j, struct json_object *f, size_t i)
{
	struct json_object *files = ct_json_get(c->ev[j].manifest, "files");
	size_t k, n;

	if (files == NULL || !json_object_is_type(files, json_type_array))
		return 0;
	n = json_object_array_length(files);
	if (i < n && json_object_equal(json_object_array_get_idx(files, i), f))
		return 1;
	for (k = 0; k < n; k++)
		if (json_object_equal(json_object_array_get_idx(files, k), f))
			return 1;
	return 0;
}

/* The items of ev's content holding file entry f: "E1, E2" into buf; 0
 * when an earlier one holds it (its events are there already). */
static int
file_evidence(const struct rp_case *c, size_t ev, struct json_object *f, size_t i, char *buf,
	      size_t len)
{
	size_t j, used;

	snprintf(buf, len, "%s", c->ev[ev].id);
	if (c->ev[ev].nsame < 2)
		return 1;
	for (j = 0; j < c->nev; j++) {
		if (j == ev || c->ev[j].same != c->ev[ev].same || !holds_file(c, j, f, i))
			continue;
		if (j < ev)
			return 0;
		used = strlen(buf);
		snprintf(buf + used, len - used, ", %s", c->ev[j].id);
	}
	return 1;
}

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
		char detail[64], evs[256];

		/* a file of one content imaged twice: its times once */
		if (!file_evidence(c, ev, f, i, evs, sizeof(evs)))
			continue;
		snprintf(detail, sizeof(detail), "%" PRId64 " bytes",
			 json_object_get_int64(ct_json_get(f, "size")));
		for (k = 0; t && k < CT_ARRAY_SIZE(file_times); k++) {
			struct tl_add a = { .kind = RP_EV_FILE };
			a.time = ct_json_str(t, file_times[k].key, NULL);
			if (rp_parse_time(a.time, &a.t, &a.basis, &a.date_only) < 0 ||
			    a.basis == CT_TIME_BOOT)
				continue;
			a.evidence = evs;
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
