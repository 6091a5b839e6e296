/*
 * summary.c — the mission summary: every card with its case, hashes,
 * flights found, wipe result and what needs a person's attention, as JSON,
 * as text and as an HTML index linking each card's report.  Written into
 * the cases folder as mission-SLUG.json, .txt and .html (then
 * mission-SLUG-2.*, ...: nothing is overwritten), each created O_EXCL and
 * fsynced.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cardtrail/image.h"
#include "cardtrail/util.h"
#include "station/station_int.h"

static struct json_object *
jstr_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

/* Seconds as JSON, to the millisecond. */
static struct json_object *
jsecs(double s)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", s);
	return json_object_new_double_s(s, buf);
}

static struct json_object *
steps_json(const struct card *c, const struct ct_station_policy *p)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < p->nsteps; i++) {
		const struct step_out *s = &c->steps[p->steps[i]];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "step", json_object_new_string(station_steps[p->steps[i]].name));
		json_object_object_add(o, "status", json_object_new_string(step_status_name(s->status)));
		json_object_object_add(o, "exit", s->status == STEP_PENDING || s->status == STEP_SKIPPED ?
				       NULL : json_object_new_int(s->exit));
		json_object_object_add(o, "runs", json_object_new_int((int)s->runs));
		json_object_object_add(o, "seconds", jsecs(s->seconds));
		json_object_object_add(o, "text", jstr_or_null(s->text));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *
wipe_json(const struct card *c)
{
	struct json_object *w;

	if (c->wipe_result[0] == '\0')
		return NULL;
	w = json_object_new_object();
	json_object_object_add(w, "result", json_object_new_string(c->wipe_result));
	json_object_object_add(w, "method", jstr_or_null(c->wipe_method));
	json_object_object_add(w, "addresses_wrap", json_object_new_boolean(c->wrapped));
	json_object_object_add(w, "apparent_real_capacity", c->wrapped ?
			       json_object_new_int64((int64_t)c->real_capacity) : NULL);
	return w;
}

static struct json_object *
time_json(time_t t)
{
	char buf[32];

	if (t == 0)
		return NULL;
	ct_time_utc(t, buf, sizeof(buf));
	return json_object_new_string(buf);
}

struct json_object *
card_json(const struct card *c)
{
	const struct ct_station_policy *p = c->st->p;
	struct json_object *j = json_object_new_object(), *r = NULL, *d = NULL;

	json_object_object_add(j, "card", json_object_new_int((int)c->id));
	json_object_object_add(j, "state", json_object_new_string(card_state_name(c->state)));
	json_object_object_add(j, "reader", json_object_new_string(c->reader));
	json_object_object_add(j, "device", json_object_new_string(c->device));
	json_object_object_add(j, "admitted_by", json_object_new_string(c->by_allow ? "--allow" :
				"policy"));
	json_object_object_add(j, "size", json_object_new_int64((int64_t)c->size));
	json_object_object_add(j, "cid", jstr_or_null(c->cid));
	json_object_object_add(j, "fingerprint", jstr_or_null(c->fingerprint));
	json_object_object_add(j, "case", jstr_or_null(c->casename));
	json_object_object_add(j, "case_dir", jstr_or_null(c->casedir));
	json_object_object_add(j, "evidence", jstr_or_null(c->evidence));
	if (c->dup_case[0]) {
		d = json_object_new_object();
		json_object_object_add(d, "case", json_object_new_string(c->dup_case));
		json_object_object_add(d, "evidence", json_object_new_string(c->dup_evidence));
		json_object_object_add(d, "by", json_object_new_string(c->dup_by));
	}
	json_object_object_add(j, "duplicate_of", d);
	json_object_object_add(j, "steps", steps_json(c, p));
	json_object_object_add(j, "bytes", json_object_new_int64((int64_t)c->bytes));
	json_object_object_add(j, "bad_bytes", json_object_new_int64((int64_t)c->bad_bytes));
	json_object_object_add(j, "hashes", c->hashes ? json_object_get(c->hashes) : NULL);
	json_object_object_add(j, "tracks", ct_station_policy_has(p, CT_STEP_EXTRACT) &&
			       c->steps[CT_STEP_EXTRACT].status == STEP_OK ?
			       json_object_new_int64((int64_t)c->tracks) : NULL);
	json_object_object_add(j, "points", ct_station_policy_has(p, CT_STEP_EXTRACT) &&
			       c->steps[CT_STEP_EXTRACT].status == STEP_OK ?
			       json_object_new_int64((int64_t)c->points) : NULL);
	json_object_object_add(j, "flights", c->flights >= 0 ? json_object_new_int64(c->flights) : NULL);
	json_object_object_add(j, "wipe", wipe_json(c));
	if (c->report_html[0] || c->report_pdf[0]) {
		r = json_object_new_object();
		json_object_object_add(r, "html", jstr_or_null(c->report_html));
		json_object_object_add(r, "pdf", jstr_or_null(c->report_pdf));
	}
	json_object_object_add(j, "report", r);
	json_object_object_add(j, "verified", c->verified < 0 ? NULL : json_object_new_boolean(c->verified));
	json_object_object_add(j, "verification", jstr_or_null(c->verify_text));
	json_object_object_add(j, "chain_head", jstr_or_null(c->head));
	json_object_object_add(j, "came_back", jstr_or_null(c->match));
	json_object_object_add(j, "attention", json_object_get(c->attention));
	json_object_object_add(j, "started", time_json(c->started));
	json_object_object_add(j, "ended", time_json(c->ended));
	json_object_object_add(j, "seconds", c->t_end > 0 ? jsecs(c->t_end - c->t_start) :
			       NULL);
	return j;
}

/* ---- counts and exit status ---- */

static int
has_status(const struct card *c, enum step_status s)
{
	size_t i;

	for (i = 0; i < CT_STEP_COUNT; i++)
		if (c->steps[i].status == s)
			return 1;
	return 0;
}

static void
count(struct station *st, struct ct_station_result *res)
{
	size_t i;

	for (i = 0; i < st->ncards; i++) {
		struct card *c = st->cards[i];

		switch (c->state) {
		case CARD_MERGED:
			continue;
		case CARD_DONE:
			if (c->verified == 0 || has_status(c, STEP_MISMATCH))
				res->mismatched++;
			else if (has_status(c, STEP_DAMAGED))
				res->damaged++;
			else
				res->ok++;
			break;
		case CARD_FAILED:
			if (has_status(c, STEP_MISMATCH))
				res->mismatched++;
			else
				res->failed++;
			break;
		case CARD_SKIPPED:
			res->skipped++;
			break;
		case CARD_REFUSED:
			res->failed++;
			break;
		case CARD_GONE:
			json_object_array_add(c->attention, json_object_new_string(
				"the card left its reader mid-chain and did not come back: insert it "
				"again in a station run to resume"));
			res->stopped++;
			break;
		default:	/* stopped by a signal, or never got further */
			res->stopped++;
			break;
		}
		res->cards++;
	}
}

/* ---- the mission as JSON ---- */

/* From the first card's arrival to the end of the last chain. */
static double
chains_seconds(const struct station *st)
{
	double first = 0, last = 0;
	size_t i;

	for (i = 0; i < st->ncards; i++) {
		const struct card *c = st->cards[i];

		if (c->state == CARD_MERGED || c->t_end == 0)
			continue;
		if (first == 0 || c->t_start < first)
			first = c->t_start;
		if (c->t_end > last)
			last = c->t_end;
	}
	return last > first ? last - first : 0;
}

static struct json_object *
mission_json(struct station *st, struct ct_station_result *res, const char *stopped_by)
{
	struct json_object *j = json_object_new_object(), *cards = json_object_new_array();
	struct json_object *counts = json_object_new_object(), *att = json_object_new_array();
	time_t now = time(NULL);
	size_t i, k;

	json_object_object_add(j, "mission", json_object_new_string(st->o->mission));
	json_object_object_add(j, "cases", json_object_new_string(st->o->cases));
	json_object_object_add(j, "started", time_json(st->started));
	json_object_object_add(j, "ended", time_json(now));
	json_object_object_add(j, "seconds", jsecs(ct_now() - st->t0));
	json_object_object_add(j, "chains_seconds", jsecs(chains_seconds(st)));
	json_object_object_add(j, "ended_by", json_object_new_string(stopped_by));
	json_object_object_add(j, "watch", jstr_or_null(st->watch_method));
	json_object_object_add(j, "examiner", jstr_or_null(st->o->examiner));
	json_object_object_add(j, "tool", json_object_new_string(ct_tool_string()));
	json_object_object_add(j, "policy", ct_station_policy_json(st->p));
	json_object_object_add(counts, "cards", json_object_new_int((int)res->cards));
	json_object_object_add(counts, "ok", json_object_new_int((int)res->ok));
	json_object_object_add(counts, "unreadable_sectors", json_object_new_int((int)res->damaged));
	json_object_object_add(counts, "failed", json_object_new_int((int)res->failed));
	json_object_object_add(counts, "not_verified", json_object_new_int((int)res->mismatched));
	json_object_object_add(counts, "stopped", json_object_new_int((int)res->stopped));
	json_object_object_add(counts, "skipped", json_object_new_int((int)res->skipped));
	json_object_object_add(counts, "not_taken",
			       json_object_new_int((int)json_object_array_length(st->refused)));
	json_object_object_add(j, "counts", counts);
	for (i = 0; i < st->ncards; i++) {
		const struct card *c = st->cards[i];

		if (c->state == CARD_MERGED)
			continue;
		json_object_array_add(cards, card_json(c));
		for (k = 0; k < json_object_array_length(c->attention); k++) {
			struct json_object *a = json_object_new_object();

			json_object_object_add(a, "card", json_object_new_int((int)c->id));
			json_object_object_add(a, "case", jstr_or_null(c->casename));
			json_object_object_add(a, "text", json_object_get(
				json_object_array_get_idx(c->attention, k)));
			json_object_array_add(att, a);
		}
	}
	json_object_object_add(j, "cards", cards);
	json_object_object_add(j, "not_taken", json_object_get(st->refused));
	json_object_object_add(j, "attention", att);
	return j;
}

/* ---- text ---- */

/* Member k of o as text (numbers too), or dflt. */
static const char *
jtxt(struct json_object *o, const char *k, const char *dflt)
{
	struct json_object *v = ct_json_get(o, k);

	return v ? json_object_get_string(v) : dflt;
}

static void
text_card(FILE *f, struct json_object *c)
{
	struct json_object *steps = ct_json_get(c, "steps"), *h = ct_json_get(c, "hashes");
	struct json_object *w = ct_json_get(c, "wipe"), *rep = ct_json_get(c, "report");
	char hs[32];
	size_t i;

	ct_human_size((uint64_t)json_object_get_int64(ct_json_get(c, "size")), hs, sizeof(hs));
	fprintf(f, "\ncard %-5d %s, %s -> %s%s%s%s: %s\n", json_object_get_int(ct_json_get(c, "card")),
		ct_json_str(c, "device", "?"), hs, ct_json_str(c, "case", "no case"),
		ct_json_str(c, "evidence", NULL) ? " (" : "", ct_json_str(c, "evidence", ""),
		ct_json_str(c, "evidence", NULL) ? ")" : "", ct_json_str(c, "state", "?"));
	if (ct_json_str(c, "came_back", NULL))
		fprintf(f, "  resumed  the card came back (%s)\n", ct_json_str(c, "came_back", ""));
	for (i = 0; i < json_object_array_length(steps); i++) {
		struct json_object *s = json_object_array_get_idx(steps, i);

		fprintf(f, "  %-8s %-18s %7.1f s  %s\n", ct_json_str(s, "step", "?"),
			ct_json_str(s, "status", "?"), json_object_get_double(ct_json_get(s, "seconds")),
			ct_json_str(s, "text", ""));
	}
	if (h) {
		json_object_object_foreach(h, k, v)
			fprintf(f, "  %-8s %s\n", k, json_object_get_string(v));
	}
	if (ct_json_get(c, "flights"))
		fprintf(f, "  flights  %s (the report's grouping)\n", jtxt(c, "flights", "?"));
	if (ct_json_get(c, "tracks"))
		fprintf(f, "  tracks   %s source files with a track, %s points\n", jtxt(c, "tracks", "?"),
			jtxt(c, "points", "?"));
	if (w)
		fprintf(f, "  wiped    %s (%s)\n", ct_json_str(w, "result", "?"), ct_json_str(w, "method", "?"));
	if (rep)
		fprintf(f, "  report   %s/%s\n", ct_json_str(c, "case", "?"),
			ct_json_str(rep, "html", ct_json_str(rep, "pdf", "?")));
	if (ct_json_str(c, "verification", NULL))
		fprintf(f, "  chain    %s\n", ct_json_str(c, "verification", ""));
	if (ct_json_str(c, "chain_head", NULL))
		fprintf(f, "  head     %s\n", ct_json_str(c, "chain_head", ""));
}

static char *
mission_text(struct json_object *m)
{
	struct json_object *cards = ct_json_get(m, "cards"), *nt = ct_json_get(m, "not_taken");
	struct json_object *att = ct_json_get(m, "attention"), *n = ct_json_get(m, "counts");
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "mission    %s\n", ct_json_str(m, "mission", "?"));
	fprintf(f, "cases      %s\n", ct_json_str(m, "cases", "?"));
	fprintf(f, "watched    %s\n", ct_json_str(m, "watch", "?"));
	fprintf(f, "time       %s to %s (%.0f s), ended by %s\n", ct_json_str(m, "started", "?"),
		ct_json_str(m, "ended", "?"), json_object_get_double(ct_json_get(m, "seconds")),
		ct_json_str(m, "ended_by", "?"));
	fprintf(f, "cards      %d: %d done and verified, %d with unreadable sectors, %d failed, %d not "
		"verified, %d stopped, %d skipped as duplicates; %d devices not taken\n",
		json_object_get_int(ct_json_get(n, "cards")), json_object_get_int(ct_json_get(n, "ok")),
		json_object_get_int(ct_json_get(n, "unreadable_sectors")),
		json_object_get_int(ct_json_get(n, "failed")),
		json_object_get_int(ct_json_get(n, "not_verified")),
		json_object_get_int(ct_json_get(n, "stopped")),
		json_object_get_int(ct_json_get(n, "skipped")),
		json_object_get_int(ct_json_get(n, "not_taken")));
	for (i = 0; i < json_object_array_length(cards); i++)
		text_card(f, json_object_array_get_idx(cards, i));
	if (json_object_array_length(nt))
		fprintf(f, "\nnot taken\n");
	for (i = 0; i < json_object_array_length(nt); i++)
		fprintf(f, "  %s\n", ct_json_str(json_object_array_get_idx(nt, i), "reason", "?"));
	fprintf(f, "\nneeds a person's attention%s\n", json_object_array_length(att) ? "" : ": nothing");
	for (i = 0; i < json_object_array_length(att); i++) {
		struct json_object *a = json_object_array_get_idx(att, i);

		fprintf(f, "  card %d (%s): %s\n", json_object_get_int(ct_json_get(a, "card")),
			ct_json_str(a, "case", "no case"), ct_json_str(a, "text", ""));
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- HTML ---- */

static void
esc(FILE *f, const char *s)
{
	ct_html_escape(f, s);
}

/* A link to a file of a case, by a relative path of safe names. */
static void
link(FILE *f, const char *casename, const char *file, const char *label)
{
	fputs("<a href=\"", f);
	esc(f, casename);
	fputc('/', f);
	esc(f, file);
	fputs("\">", f);
	esc(f, label);
	fputs("</a>", f);
}

static void
html_card(FILE *f, struct json_object *c)
{
	struct json_object *w = ct_json_get(c, "wipe"), *rep = ct_json_get(c, "report");
	struct json_object *att = ct_json_get(c, "attention"), *steps = ct_json_get(c, "steps");
	const char *state = ct_json_str(c, "state", "?");
	size_t i;

	fprintf(f, "<tr class=\"%s\"><td>%d</td><td>", json_object_array_length(att) ? "attn" : "ok",
		json_object_get_int(ct_json_get(c, "card")));
	esc(f, ct_json_str(c, "device", ""));
	fputs("</td><td>", f);
	esc(f, ct_json_str(c, "case", "(no case)"));
	fputs(" ", f);
	esc(f, ct_json_str(c, "evidence", ""));
	fputs("</td><td>", f);
	esc(f, state);
	fputs("</td><td>", f);
	for (i = 0; i < json_object_array_length(steps); i++) {
		struct json_object *s = json_object_array_get_idx(steps, i);

		esc(f, ct_json_str(s, "step", "?"));
		fputs(": ", f);
		esc(f, ct_json_str(s, "status", "?"));
		fputs("<br>", f);
	}
	fputs("</td><td class=\"h\">", f);
	esc(f, ct_json_str(ct_json_get(c, "hashes"), "sha256", ""));
	fputs("</td><td>", f);
	esc(f, jtxt(c, "flights", ""));
	fputs("</td><td>", f);
	esc(f, w ? ct_json_str(w, "result", "") : "not wiped");
	fputs("</td><td>", f);
	if (ct_json_str(rep, "html", NULL))
		link(f, ct_json_str(c, "case", ""), ct_json_str(rep, "html", ""), "HTML");
	if (ct_json_str(rep, "pdf", NULL)) {
		fputs(" ", f);
		link(f, ct_json_str(c, "case", ""), ct_json_str(rep, "pdf", ""), "PDF");
	}
	fputs("</td><td>", f);
	for (i = 0; i < json_object_array_length(att); i++) {
		esc(f, json_object_get_string(json_object_array_get_idx(att, i)));
		fputs("<br>", f);
	}
	fputs("</td></tr>\n", f);
}

static char *
mission_html(struct json_object *m, const char *text)
{
	struct json_object *cards = ct_json_get(m, "cards"), *nt = ct_json_get(m, "not_taken");
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Mission ", f);
	esc(f, ct_json_str(m, "mission", ""));
	fputs("</title>\n<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}"
	      "td,th{border:1px solid #999;padding:4px 6px;vertical-align:top;text-align:left}"
	      "tr.attn td{background:#fde8e8}.h{font:11px monospace;word-break:break-all;max-width:18em}"
	      "pre{font:12px monospace;background:#f4f4f4;padding:1em}</style></head><body>\n<h1>Mission ", f);
	esc(f, ct_json_str(m, "mission", ""));
	fputs("</h1>\n<p>", f);
	esc(f, ct_json_str(m, "started", ""));
	fputs(" to ", f);
	esc(f, ct_json_str(m, "ended", ""));
	fputs(", cases folder ", f);
	esc(f, ct_json_str(m, "cases", ""));
	fputs("</p>\n<table><tr><th>card</th><th>reader</th><th>case</th><th>state</th><th>steps</th>"
	      "<th>SHA-256</th><th>flights</th><th>wipe</th><th>report</th><th>attention</th></tr>\n", f);
	for (i = 0; i < json_object_array_length(cards); i++)
		html_card(f, json_object_array_get_idx(cards, i));
	fputs("</table>\n", f);
	if (json_object_array_length(nt)) {
		fputs("<h2>Not taken</h2>\n<ul>\n", f);
		for (i = 0; i < json_object_array_length(nt); i++) {
			fputs("<li>", f);
			esc(f, ct_json_str(json_object_array_get_idx(nt, i), "reason", ""));
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("<h2>Summary</h2>\n<pre>", f);
	esc(f, text);
	fputs("</pre>\n</body></html>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- the files ---- */

static int
write_files(struct station *st, struct ct_station_result *res, const char *json, const char *text,
	    const char *html)
{
	static const char *const ext[] = { "json", "txt", "html" };
	char slug[80], names[3][160];
	const char *data[3] = { json, text, html };
	char *paths[3] = { res->summary_json, res->summary_txt, res->summary_html };
	int n, k, ret = 0;

	ct_station_slug(st->o->mission, slug, sizeof(slug));
	for (n = 1; n < 1000; n++) {
		for (k = 0; k < 3; k++) {
			if (n == 1)
				snprintf(names[k], sizeof(names[k]), "mission-%s.%s", slug, ext[k]);
			else
				snprintf(names[k], sizeof(names[k]), "mission-%s-%d.%s", slug, n, ext[k]);
			if (ct_snprintf(paths[k], PATH_MAX, "%s/%s", st->o->cases, names[k]) < 0)
				return -ENAMETOOLONG;
		}
		for (k = 0; k < 3; k++)
			if ((ret = ct_write_new_file(st->o->cases, names[k], data[k], strlen(data[k]))) < 0)
				break;
		if (k == 3)
			return 0;
		if (ret != -EEXIST || k > 0) {
			snprintf(res->error, sizeof(res->error), "cannot write the mission summary '%s': %s",
				 paths[k], strerror(-ret));
			for (k = 0; k < 3; k++)
				paths[k][0] = '\0';
			return ret;
		}
	}
	return -EEXIST;
}

int
summary_write(struct station *st, struct ct_station_result *res, const char *stopped_by)
{
	const char *json;
	char *html = NULL;
	int ret;

	count(st, res);
	res->summary = mission_json(st, res, stopped_by);
	json = json_object_to_json_string_ext(res->summary, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	res->text = mission_text(res->summary);
	if (res->text == NULL || (html = mission_html(res->summary, res->text)) == NULL) {
		snprintf(res->error, sizeof(res->error), "cannot compose the mission summary: %s",
			 strerror(ENOMEM));
		free(html);
		return -ENOMEM;
	}
	ret = write_files(st, res, json, res->text, html);
	free(html);
	return ret;
}
