/*
 * events.c — what the station tells the command layer: events as JSON
 * objects (each with a sentence in "text"), and the progress of the steps,
 * kept on the card for the status view and sent as an event about once a
 * second.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cardtrail/pipe.h"
#include "cardtrail/util.h"
#include "station/station_int.h"

static const char *const step_status_names[] = {
	[STEP_PENDING] = "pending",
	[STEP_RUNNING] = "running",
	[STEP_OK] = "ok",
	[STEP_DAMAGED] = "unreadable-sectors",
	[STEP_FAILED] = "failed",
	[STEP_MISMATCH] = "mismatch",
	[STEP_SKIPPED] = "skipped",
	[STEP_STOPPED] = "stopped",
	[STEP_GONE] = "card-removed",
};

static const char *const card_state_names[] = {
	[CARD_IDENTIFYING] = "identifying",
	[CARD_RUNNING] = "running",
	[CARD_GONE] = "removed",
	[CARD_DONE] = "done",
	[CARD_FAILED] = "failed",
	[CARD_STOPPED] = "stopped",
	[CARD_SKIPPED] = "skipped",
	[CARD_REFUSED] = "refused",
	[CARD_MERGED] = "merged",
};

const char *
step_status_name(enum step_status s)
{
	return (unsigned)s < CT_ARRAY_SIZE(step_status_names) ? step_status_names[s] : "?";
}

const char *
card_state_name(enum card_state s)
{
	return (unsigned)s < CT_ARRAY_SIZE(card_state_names) ? card_state_names[s] : "?";
}

int
station_stopping(void)
{
	return ct_pipe_stop_requested();
}

struct json_object *
ev_new(const char *event, const struct card *c)
{
	struct json_object *ev = json_object_new_object();
	char now[32];

	ct_time_utc(time(NULL), now, sizeof(now));
	json_object_object_add(ev, "event", json_object_new_string(event));
	json_object_object_add(ev, "time", json_object_new_string(now));
	if (c != NULL) {
		json_object_object_add(ev, "card", json_object_new_int((int)c->id));
		json_object_object_add(ev, "reader", json_object_new_string(c->reader));
		if (c->casename[0])
			json_object_object_add(ev, "case", json_object_new_string(c->casename));
	}
	return ev;
}

void
ev_emit(struct station *st, struct json_object *ev, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_object_object_add(ev, "text", json_object_new_string(text));
	pthread_mutex_lock(&st->ev_mu);
	if (st->o->event)
		st->o->event(ev, st->o->ctx);
	pthread_mutex_unlock(&st->ev_mu);
	json_object_put(ev);
}

void
progress_set(struct card *c, const char *phase, uint64_t done, uint64_t total, double elapsed,
	     int final)
{
	struct station *st = c->st;
	struct json_object *ev;
	double now = ct_now(), rate, eta;
	int send;

	rate = elapsed > 0 ? (double)done / elapsed : 0;
	eta = rate > 0 && total >= done ? (double)(total - done) / rate : -1;
	pthread_mutex_lock(&st->mu);
	snprintf(c->phase, sizeof(c->phase), "%s", phase);
	c->done = done;
	c->total = total;
	c->rate = rate;
	c->eta = eta;
	send = final || now - c->last_progress_event >= 1.0;
	if (send)
		c->last_progress_event = now;
	st->last_activity = now;
	pthread_mutex_unlock(&st->mu);
	if (!send)
		return;
	ev = ev_new("progress", c);
	json_object_object_add(ev, "phase", json_object_new_string(phase));
	json_object_object_add(ev, "done", json_object_new_int64((int64_t)done));
	json_object_object_add(ev, "total", json_object_new_int64((int64_t)total));
	json_object_object_add(ev, "rate", json_object_new_int64((int64_t)rate));
	json_object_object_add(ev, "eta", eta < 0 ? NULL : json_object_new_int64((int64_t)eta));
	json_object_object_add(ev, "final", json_object_new_boolean(final));
	ev_emit(st, ev, "card %u: %s %.0f%%", c->id, phase,
		total ? 100.0 * (double)done / (double)total : 100.0);
}
