/*
 * station.c — the station's loop: watch events, admission, one thread per
 * arrival, the status rows, and the end of the run (a signal, max_cards or
 * idle_exit): running steps stop at their safe point, every thread is
 * joined, the mission summary is written.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "cardtrail/image.h"
#include "cardtrail/pipe.h"
#include "cardtrail/util.h"
#include "cardtrail/wipe.h"
#include "station/station_int.h"

#define TICK_MS 200

/* ---- devices refused: said once per medium ---- */

static int
refused_before(struct station *st, const struct ct_watch_event *ev)
{
	size_t i;

	for (i = 0; i < st->nrefused_now; i++)
		if (!strcmp(st->refused_now[i].name, ev->name) && st->refused_now[i].devno == ev->devno &&
		    st->refused_now[i].size == ev->size)
			return 1;
	return 0;
}

static void
refused_forget(struct station *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nrefused_now; i++)
		if (!strcmp(st->refused_now[i].name, name)) {
			st->refused_now[i] = st->refused_now[--st->nrefused_now];
			return;
		}
}

static void
refuse_device(struct station *st, const struct ct_watch_event *ev, const char *why)
{
	struct json_object *r, *e;
	char now[32];

	if (refused_before(st, ev))
		return;
	if (st->nrefused_now == st->caprefused_now) {
		size_t cap = st->caprefused_now ? st->caprefused_now * 2 : 8;
		struct refused_dev *n = realloc(st->refused_now, cap * sizeof(*n));

		if (n == NULL)
			return;
		st->refused_now = n;
		st->caprefused_now = cap;
	}
	snprintf(st->refused_now[st->nrefused_now].name, sizeof(st->refused_now[0].name), "%s",
		 ev->name);
	st->refused_now[st->nrefused_now].devno = ev->devno;
	st->refused_now[st->nrefused_now++].size = ev->size;
	ct_time_utc(time(NULL), now, sizeof(now));
	r = json_object_new_object();
	json_object_object_add(r, "reader", json_object_new_string(ev->name));
	json_object_object_add(r, "size", json_object_new_int64((int64_t)ev->size));
	json_object_object_add(r, "reason", json_object_new_string(why));
	json_object_object_add(r, "time", json_object_new_string(now));
	json_object_array_add(st->refused, r);
	e = ev_new("refused", NULL);
	json_object_object_add(e, "reader", json_object_new_string(ev->name));
	json_object_object_add(e, "size", json_object_new_int64((int64_t)ev->size));
	json_object_object_add(e, "reason", json_object_new_string(why));
	ev_emit(st, e, "not taken: %s", why);
}

/* ---- arrivals ---- */

static struct card *
card_new(struct station *st)
{
	struct card *c = calloc(1, sizeof(*c)), **n;

	if (c == NULL)
		return NULL;
	if (st->ncards == st->capcards) {
		size_t cap = st->capcards ? st->capcards * 2 : 8;

		if ((n = realloc(st->cards, cap * sizeof(*n))) == NULL) {
			free(c);
			return NULL;
		}
		st->cards = n;
		st->capcards = cap;
	}
	c->st = st;
	c->attention = json_object_new_array();
	c->flights = -1;
	c->verified = -1;
	c->eta = -1;
	st->cards[st->ncards++] = c;
	c->id = (unsigned)st->ncards;
	return c;
}

/* A loop device over a case's evidence (a file of a case folder, any file
 * under --cases, an image a case there names) is never taken, --allow or
 * not: the wipe's own check, asked of a device the policy admits (the
 * only ones ever opened).  1 it may be taken, else 0 with why. */
static int
not_evidence(struct station *st, const struct ct_station_facts *f, char *why, size_t len)
{
	const char *roots[] = { st->o->cases };
	char what[2 * PATH_MAX + 512];
	int ret = ct_wipe_loop_evidence(f->devno, -1, roots, CT_ARRAY_SIZE(roots), what, sizeof(what));

	if (ret < 0)
		snprintf(why, len, "%s: cannot tell whether it is a case's evidence: %s", f->name, what);
	else if (ret > 0)
		snprintf(why, len, "%s: %s: the evidence of a case is never taken", f->name, what);
	return ret == 0;
}

static void
arrival(struct station *st, const struct ct_watch_event *ev)
{
	struct ct_station_facts f;
	struct json_object *e;
	struct card *c;
	char why[2 * PATH_MAX + 1024], hs[32];
	int by_allow = 0;

	if (ct_station_facts_read(ev->name, &f) < 0)
		return;		/* gone again already */
	if (!ct_station_admit(st->p, st->o->allow, st->o->nallow, &f, &by_allow, why, sizeof(why)) ||
	    !not_evidence(st, &f, why, sizeof(why))) {
		refuse_device(st, ev, why);
		return;
	}
	pthread_mutex_lock(&st->mu);
	c = card_new(st);
	if (c != NULL) {
		snprintf(c->reader, sizeof(c->reader), "%s", f.name);
		snprintf(c->device, sizeof(c->device), "/dev/%s", f.name);
		snprintf(c->reader_path, sizeof(c->reader_path), "%s", f.reader);
		c->devno = f.devno;
		c->size = f.size;
		c->by_allow = by_allow;
		c->present = 1;
		c->state = CARD_IDENTIFYING;
		c->t_start = ct_now();
		c->started = time(NULL);
		snprintf(c->phase, sizeof(c->phase), "identify");
	}
	st->last_activity = ct_now();
	pthread_mutex_unlock(&st->mu);
	if (c == NULL)
		return;
	ct_human_size(f.size, hs, sizeof(hs));
	e = ev_new("card", c);
	json_object_object_add(e, "device", json_object_new_string(c->device));
	json_object_object_add(e, "size", json_object_new_int64((int64_t)f.size));
	json_object_object_add(e, "admitted_by", json_object_new_string(by_allow ? "--allow" : "policy"));
	ev_emit(st, e, "card %u in %s (%s): admitted by %s", c->id, c->device, hs,
		by_allow ? "--allow" : "the policy");
	if (pthread_create(&c->th, NULL, card_main, c) != 0) {
		pthread_mutex_lock(&st->mu);
		c->state = CARD_FAILED;
		json_object_array_add(c->attention, json_object_new_string("no thread could be started"));
		st->ended++;
		pthread_mutex_unlock(&st->mu);
		return;
	}
	c->th_live = 1;
}

static void
departure(struct station *st, const struct ct_watch_event *ev)
{
	struct json_object *e;
	struct card *gone = NULL;
	size_t i;

	refused_forget(st, ev->name);
	pthread_mutex_lock(&st->mu);
	for (i = 0; i < st->ncards; i++) {
		struct card *c = st->cards[i];

		if (c->present && c->devno == ev->devno && !strcmp(c->reader, ev->name)) {
			c->present = 0;
			gone = c;
		}
	}
	st->last_activity = ct_now();
	pthread_mutex_unlock(&st->mu);
	if (gone == NULL)
		return;
	e = ev_new("out", gone);
	json_object_object_add(e, "state", json_object_new_string(card_state_name(gone->state)));
	ev_emit(st, e, "card %u taken out of %s", gone->id, ev->name);
}

/* ---- the status view ---- */

static void
row_of(const struct card *c, struct ct_station_row *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->reader, sizeof(r->reader), "%s", c->reader);
	snprintf(r->card, sizeof(r->card), "%s", c->casename[0] ? c->casename : "(identifying)");
	r->fraction = -1;
	r->eta = -1;
	switch (c->state) {
	case CARD_IDENTIFYING:
	case CARD_RUNNING:
		snprintf(r->step, sizeof(r->step), "%s", c->phase);
		if (c->total) {
			r->fraction = (double)c->done / (double)c->total;
			r->rate = c->rate;
			r->eta = c->eta;
		}
		break;
	case CARD_DONE:
		snprintf(r->step, sizeof(r->step), "done");
		snprintf(r->result, sizeof(r->result), "%s%s%s", c->verify_text,
			 c->wipe_result[0] ? "; wipe " : "", c->wipe_result);
		break;
	default:
		snprintf(r->step, sizeof(r->step), "%s", card_state_name(c->state));
		snprintf(r->result, sizeof(r->result), "%s", json_object_array_length(c->attention) ?
			 json_object_get_string(json_object_array_get_idx(c->attention, 0)) : "");
		break;
	}
}

/* One row per reader holding a card, and per card whose chain still runs. */
static void
show_status(struct station *st)
{
	struct ct_station_row *rows;
	size_t i, n = 0;

	if (st->o->status == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	rows = calloc(st->ncards ? st->ncards : 1, sizeof(*rows));
	for (i = 0; rows && i < st->ncards; i++) {
		const struct card *c = st->cards[i];

		if (c->state == CARD_MERGED || (!c->present && c->state != CARD_RUNNING &&
						 c->state != CARD_IDENTIFYING && c->state != CARD_GONE))
			continue;
		row_of(c, &rows[n++]);
	}
	pthread_mutex_unlock(&st->mu);
	if (rows)
		st->o->status(rows, n, st->o->ctx);
	free(rows);
}

void
ct_station_row_format(const struct ct_station_row *r, char *buf, size_t len)
{
	char pct[8] = "", hs[32], rate[40] = "", eta[16] = "";

	if (r->fraction >= 0)
		snprintf(pct, sizeof(pct), "%3.0f%%", 100.0 * r->fraction);
	if (r->rate > 0) {
		ct_human_size((uint64_t)r->rate, hs, sizeof(hs));
		snprintf(rate, sizeof(rate), "%s/s", hs);
	}
	if (r->eta >= 0)
		snprintf(eta, sizeof(eta), "%d:%02d", (int)r->eta / 60, (int)r->eta % 60);
	snprintf(buf, len, "%-9.9s %-34.34s %-10.10s %4s %11s %6s  %s", r->reader, r->card, r->step,
		 pct, rate, eta, r->result);
}

/* ---- the loop ---- */

/* Join the threads that are done. */
static void
reap(struct station *st, int all)
{
	size_t i;

	for (i = 0; i < st->ncards; i++) {
		struct card *c = st->cards[i];
		int done;

		pthread_mutex_lock(&st->mu);
		done = c->th_exited;
		pthread_mutex_unlock(&st->mu);
		if (c->th_live && (done || all)) {
			pthread_join(c->th, NULL);
			c->th_live = 0;
		}
	}
}

/* Is a chain running (or a card being identified)? */
static int
busy(struct station *st)
{
	size_t i;
	int n = 0;

	pthread_mutex_lock(&st->mu);
	for (i = 0; i < st->ncards; i++)
		n += st->cards[i]->th_live && !st->cards[i]->th_exited;
	pthread_mutex_unlock(&st->mu);
	return n > 0;
}

/* Why the loop ends now, or NULL. */
static const char *
end_reason(struct station *st)
{
	unsigned ended;
	double idle;

	if (station_stopping())
		return "signal";
	if (busy(st))
		return NULL;
	pthread_mutex_lock(&st->mu);
	ended = st->ended;
	idle = ct_now() - st->last_activity;
	pthread_mutex_unlock(&st->mu);
	if (st->o->max_cards && ended >= st->o->max_cards)
		return "max-cards";
	if (st->o->idle_exit > 0 && idle >= st->o->idle_exit)
		return "idle";
	return NULL;
}

static int
station_init(struct station *st, const struct ct_station_opts *o, struct ct_station_result *res)
{
	int ret;

	memset(st, 0, sizeof(*st));
	st->o = o;
	st->p = o->policy;
	st->ao.examiner = o->examiner;
	st->ao.key = o->key;
	st->ao.create = CT_APPEND_EXISTING;
	st->refused = json_object_new_array();
	st->t0 = st->last_activity = ct_now();
	st->started = time(NULL);
	pthread_mutex_init(&st->mu, NULL);
	pthread_mutex_init(&st->ev_mu, NULL);
	pthread_mutex_init(&st->report_mu, NULL);
	snprintf(st->cmdline, sizeof(st->cmdline), "Command line: %s",
		 o->command_line ? o->command_line : "cardtrail station");
	/* what the threads would otherwise all initialise at once */
	if ((ret = ct_gcrypt_init()) < 0) {
		snprintf(res->error, sizeof(res->error), "libgcrypt is too old");
		return ret;
	}
	(void)ct_tool_string();
	if ((ret = ct_mkdir_p(o->cases)) < 0) {
		snprintf(res->error, sizeof(res->error), "cannot make the cases folder '%s': %s",
			 o->cases, strerror(-ret));
		return ret;
	}
	return 0;
}

static void
station_release(struct station *st)
{
	size_t i;

	for (i = 0; i < st->ncards; i++)
		card_free(st->cards[i]);
	free(st->cards);
	free(st->refused_now);
	json_object_put(st->refused);
	pthread_mutex_destroy(&st->mu);
	pthread_mutex_destroy(&st->ev_mu);
	pthread_mutex_destroy(&st->report_mu);
}

static void
emit_start(struct station *st, struct ct_watch *w)
{
	struct json_object *ev = ev_new("station", NULL);

	json_object_object_add(ev, "watch", json_object_new_string(ct_watch_method(w)));
	json_object_object_add(ev, "cases", json_object_new_string(st->o->cases));
	json_object_object_add(ev, "mission", json_object_new_string(st->o->mission));
	json_object_object_add(ev, "policy", ct_station_policy_json(st->p));
	if (strcmp(ct_watch_method(w), "udev"))
		ev_emit(st, ev, "watching /sys/block every %u ms (no udev daemon runs) for the cards "
			"of mission '%s'", st->o->poll_ms ? st->o->poll_ms : 250, st->o->mission);
	else
		ev_emit(st, ev, "watching udev events for the cards of mission '%s'", st->o->mission);
}

int
ct_station_run(const struct ct_station_opts *o, struct ct_station_result *res)
{
	struct station st;
	struct ct_watch *w = NULL;
	struct ct_watch_event ev;
	const char *why = NULL;
	double next_status = 0;
	int ret, sret;

	memset(res, 0, sizeof(*res));
	if ((ret = station_init(&st, o, res)) < 0)
		goto out;
	if ((ret = ct_watch_open(o->watch, NULL, o->poll_ms, &w, res->error, sizeof(res->error))) < 0)
		goto out;
	st.watch_method = ct_watch_method(w);
	emit_start(&st, w);
	while ((why = end_reason(&st)) == NULL) {
		ret = ct_watch_next(w, TICK_MS, &ev);
		if (ret < 0) {
			snprintf(res->error, sizeof(res->error), "the device watch failed: %s",
				 strerror(-ret));
			ct_pipe_request_stop();	/* the chains stop at a safe point */
			why = "error";
			break;
		}
		if (ret == 1 && ev.type == CT_WATCH_ADD && !station_stopping())
			arrival(&st, &ev);
		else if (ret == 1 && ev.type == CT_WATCH_REMOVE)
			departure(&st, &ev);
		reap(&st, 0);
		if (ct_now() >= next_status) {
			show_status(&st);
			next_status = ct_now() + TICK_MS / 1000.0;
		}
	}
	/* a signal: the running steps stop at their safe point */
	reap(&st, 1);
	show_status(&st);
	res->interrupted = !strcmp(why, "signal");
	sret = summary_write(&st, res, why);
	ret = ret < 0 ? ret : sret < 0 ? sret : 0;
out:
	ct_watch_close(w);
	station_release(&st);
	return ret;
}

void
ct_station_result_release(struct ct_station_result *res)
{
	if (res == NULL)
		return;
	json_object_put(res->summary);
	res->summary = NULL;
	free(res->text);
	res->text = NULL;
}
