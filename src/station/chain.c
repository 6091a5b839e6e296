/*
 * chain.c — a card's chain, in the thread of its arrival.
 *
 * An arrival is first identified: a card coming back takes its chain up
 * where it stopped; a card processed before is flagged before anything is
 * written (skipped or processed again, as the policy says); a new card gets
 * its case.  Then the steps run in the policy's order.  A step that fails
 * stops the chain; a card pulled out mid-step stops it until the card comes
 * back; a signal stops it at the step's safe point.  Destructive steps run
 * only on a card imaged and read back in this chain (or found imaged in a
 * case before, by identity), and not on a damaged card unless the policy
 * says wipe.damaged = yes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "station/station_int.h"

/* The chain ended for good: count it. */
static void
chain_end(struct card *c, enum card_state state)
{
	struct station *st = c->st;

	pthread_mutex_lock(&st->mu);
	c->state = state;
	c->t_end = ct_now();
	c->ended = time(NULL);
	st->ended++;
	st->last_activity = c->t_end;
	pthread_mutex_unlock(&st->mu);
}

static void
emit_chain(struct card *c, const char *fmt, const char *why)
{
	struct json_object *ev = ev_new("chain", c);

	json_object_object_add(ev, "state", json_object_new_string(card_state_name(c->state)));
	ev_emit(c->st, ev, fmt, c->id, why);
}

/* The arrival cannot become a card's chain. */
static void
arrival_end(struct card *c, enum card_state state, const char *why)
{
	chain_end(c, state);
	card_attention(c, "%s", why);
	emit_chain(c, "card %u: %s", why);
}

/* The card was processed before: what the policy says to do. */
static int
duplicate(struct card *c)
{
	struct json_object *ev = ev_new("duplicate", c);
	char why[PATH_MAX + 256];
	int skip = c->st->p->duplicate == CT_DUP_SKIP;

	json_object_object_add(ev, "of_case", json_object_new_string(c->dup_case));
	json_object_object_add(ev, "of_evidence", json_object_new_string(c->dup_evidence));
	json_object_object_add(ev, "by", json_object_new_string(c->dup_by));
	json_object_object_add(ev, "action", json_object_new_string(skip ? "skip" : "process"));
	ev_emit(c->st, ev, "card %u in %s: processed before, %s in %s (same %s): %s", c->id,
		c->reader, c->dup_evidence, c->dup_case, c->dup_by,
		skip ? "skipped, nothing written (duplicate = skip)" : "processed again (duplicate = process)");
	snprintf(why, sizeof(why), "processed before: %s in %s (same %s); %s", c->dup_evidence,
		 c->dup_case, c->dup_by, skip ? "skipped, nothing was written (duplicate = skip)" :
		 "processed again into a new case (duplicate = process)");
	if (skip) {
		arrival_end(c, CARD_SKIPPED, why);
		return 1;
	}
	card_attention(c, "%s", why);
	return 0;
}

/* A policy without an image step works on the case that imaged the card. */
static int
use_prior_case(struct card *c)
{
	const char *slash = strrchr(c->dup_case, '/');

	snprintf(c->casedir, sizeof(c->casedir), "%s", c->dup_case);
	snprintf(c->casename, sizeof(c->casename), "%s", slash ? slash + 1 : c->dup_case);
	snprintf(c->evidence, sizeof(c->evidence), "%s", c->dup_evidence);
	c->imaged_before = 1;
	card_note(c, "station, mission '%s': card %u in reader %s is %s of this case (same %s); "
		  "the chain without an image step continues here", c->st->o->mission, c->id,
		  c->device, c->evidence, c->dup_by);
	c->dup_case[0] = c->dup_evidence[0] = c->dup_by[0] = '\0';
	return 0;
}

/* Who is it, and which chain runs: NULL when none does. */
static struct card *
arrive(struct card *c)
{
	unsigned char *head = NULL, *tail = NULL;
	struct card *run = NULL, *back;
	struct json_object *ev;
	int ret, has_image = ct_station_policy_has(c->st->p, CT_STEP_IMAGE);
	char why[512];

	if ((ret = card_identify(c, &head, &tail)) < 0) {
		snprintf(why, sizeof(why), "cannot be read (%s): not processed", strerror(-ret));
		arrival_end(c, CARD_REFUSED, why);
		goto out;
	}
	if ((back = card_returning(c->st, c)) != NULL) {
		ev = ev_new("back", back);
		json_object_object_add(ev, "match", json_object_new_string(back->match));
		ev_emit(c->st, ev, "card %u is back, in %s (%s): its chain resumes at %s", back->id,
			back->reader, back->match, station_steps[c->st->p->steps[back->next]].name);
		card_note(back, "station: the card came back, in reader %s (%s); the chain resumes "
			  "at %s", back->device, back->match,
			  station_steps[c->st->p->steps[back->next]].name);
		run = back;
		goto out;
	}
	ret = card_find_prior(c, head, tail);
	if (ret == -EINTR) {
		arrival_end(c, CARD_STOPPED, "stopped by a signal while it was compared with the cases");
		goto out;
	}
	if (ret < 0)
		card_attention(c, "could not look for this card in the cases folder: %s", strerror(-ret));
	if (!has_image) {
		if (ret != 1) {
			arrival_end(c, CARD_REFUSED, "not imaged before: no case holds this card (same "
				    "CID, or every byte hashing to an image's SHA-256), and the policy "
				    "has no image step: nothing was written");
			goto out;
		}
		use_prior_case(c);
	} else if (ret == 1 && duplicate(c)) {
		goto out;
	}
	if (has_image && (ret = card_create_case(c)) < 0) {
		snprintf(why, sizeof(why), "no case folder could be made (%s): not processed",
			 strerror(-ret));
		arrival_end(c, CARD_FAILED, why);
		goto out;
	}
	ev = ev_new("case", c);
	json_object_object_add(ev, "case_dir", json_object_new_string(c->casedir));
	json_object_object_add(ev, "fingerprint", json_object_new_string(c->fingerprint));
	json_object_object_add(ev, "cid", c->cid[0] ? json_object_new_string(c->cid) : NULL);
	ev_emit(c->st, ev, "card %u in %s: case %s", c->id, c->reader, c->casename);
	pthread_mutex_lock(&c->st->mu);
	c->state = CARD_RUNNING;
	pthread_mutex_unlock(&c->st->mu);
	run = c;
out:
	free(head);
	free(tail);
	return run;
}

/* ---- the steps ---- */

static void
emit_step(struct card *c, enum ct_station_step s, const char *status)
{
	struct json_object *ev = ev_new("step", c);
	const struct step_out *out = &c->steps[s];

	json_object_object_add(ev, "step", json_object_new_string(station_steps[s].name));
	json_object_object_add(ev, "status", json_object_new_string(status));
	if (strcmp(status, "started") && strcmp(status, "resumed")) {
		json_object_object_add(ev, "exit", json_object_new_int(out->exit));
		char secs[32];

		snprintf(secs, sizeof(secs), "%.3f", out->seconds);
		json_object_object_add(ev, "seconds", json_object_new_double_s(out->seconds, secs));
		ev_emit(c->st, ev, "card %u: %s %s: %s", c->id, station_steps[s].name, status,
			out->text);
	} else {
		ev_emit(c->st, ev, "card %u: %s %s", c->id, station_steps[s].name, status);
	}
}

/* Left its reader during step s: the chain waits for it. */
static void
chain_gone(struct card *c, enum ct_station_step s)
{
	struct json_object *ev;

	pthread_mutex_lock(&c->st->mu);
	c->state = CARD_GONE;
	c->st->last_activity = ct_now();
	pthread_mutex_unlock(&c->st->mu);
	card_note(c, "station: the card left reader %s during %s (%s); its chain waits for it to "
		  "come back", c->device, station_steps[s].name, c->steps[s].text);
	ev = ev_new("removed", c);
	json_object_object_add(ev, "step", json_object_new_string(station_steps[s].name));
	ev_emit(c->st, ev, "card %u left %s during %s: its chain waits for it", c->id, c->reader,
		station_steps[s].name);
}

static void
chain_stopped(struct card *c, enum ct_station_step s)
{
	card_note(c, "station: stopped by a signal during %s (%s); nothing after it ran",
		  station_steps[s].name, c->steps[s].text[0] ? c->steps[s].text : "before it began");
	chain_end(c, CARD_STOPPED);
	emit_chain(c, "card %u: stopped (%s)", station_steps[s].name);
}

static void
chain_failed(struct card *c, enum ct_station_step s)
{
	card_note(c, "station: the chain stopped: %s %s: %s", station_steps[s].name,
		  step_status_name(c->steps[s].status), c->steps[s].text);
	card_attention(c, "%s %s (exit %d): %s", station_steps[s].name,
		       c->steps[s].status == STEP_MISMATCH ? "did not verify" : "failed",
		       c->steps[s].exit, c->steps[s].text);
	chain_end(c, CARD_FAILED);
	emit_chain(c, "card %u: chain stopped after %s", station_steps[s].name);
}

/*
 * May step s (destructive) run?  Only on a card imaged and read back in
 * this chain (or imaged in a case before), and not on a damaged one unless
 * the policy says so.  0 yes, else why not in out.
 */
static int
destructive_refused(struct card *c, struct step_out *out)
{
	enum step_status img = c->steps[CT_STEP_IMAGE].status;

	if (c->imaged_before || img == STEP_OK)
		return 0;
	if (img == STEP_DAMAGED && c->st->p->wipe_damaged)
		return 0;
	if (img == STEP_DAMAGED) {
		snprintf(out->text, sizeof(out->text), "not run: the card has unreadable sectors "
			 "(%" PRIu64 " bytes) and the policy says wipe.damaged = no", c->bad_bytes);
		return 1;
	}
	snprintf(out->text, sizeof(out->text), "not run: the card was not imaged and read back "
		 "in this chain");
	return 1;
}

static void
run_chain(struct card *c)
{
	const struct ct_station_policy *p = c->st->p;
	int reported = 0;

	pthread_mutex_lock(&c->st->mu);
	if (c->t_start == 0) {
		c->t_start = ct_now();
		c->started = time(NULL);
	}
	pthread_mutex_unlock(&c->st->mu);
	for (; c->next < p->nsteps; c->next++) {
		enum ct_station_step s = p->steps[c->next];
		const struct step *sp = &station_steps[s];
		struct step_out *out = &c->steps[s];
		enum step_status st;
		double t0;

		if (station_stopping()) {
			chain_stopped(c, s);
			return;
		}
		if (sp->destructive && destructive_refused(c, out)) {
			out->status = STEP_SKIPPED;
			card_note(c, "station: %s %s", sp->name, out->text);
			card_attention(c, "%s %s", sp->name, out->text);
			emit_step(c, s, "skipped");
			continue;
		}
		if (sp->card && !card_reachable(c)) {
			out->status = STEP_GONE;
			snprintf(out->text, sizeof(out->text), "the card is not in its reader");
			chain_gone(c, s);
			return;
		}
		emit_step(c, s, out->runs ? "resumed" : "started");
		pthread_mutex_lock(&c->st->mu);
		out->status = STEP_RUNNING;
		out->runs++;
		snprintf(c->phase, sizeof(c->phase), "%s", sp->name);
		c->done = c->total = 0;
		c->rate = 0;
		c->eta = -1;
		pthread_mutex_unlock(&c->st->mu);
		t0 = ct_now();
		st = sp->run(c, out);
		pthread_mutex_lock(&c->st->mu);
		out->seconds += ct_now() - t0;
		out->status = st;
		pthread_mutex_unlock(&c->st->mu);
		emit_step(c, s, step_status_name(st));
		if (st == STEP_OK || st == STEP_DAMAGED) {
			reported |= s == CT_STEP_REPORT;
			if (st == STEP_DAMAGED)
				card_attention(c, "unreadable sectors: %" PRIu64 " bytes zero-filled in the "
					       "image (see %s.map)", c->bad_bytes, c->evidence);
			continue;
		}
		if (st == STEP_GONE)
			chain_gone(c, s);
		else if (st == STEP_STOPPED)
			chain_stopped(c, s);
		else
			chain_failed(c, s);
		return;
	}
	station_verify_case(c, reported);
	if (c->verified == 0)
		card_attention(c, "the case does not verify: %s", c->verify_text);
	chain_end(c, CARD_DONE);
	emit_chain(c, "card %u: chain done (%s)", c->verify_text);
}

void *
card_main(void *arg)
{
	struct card *c = arg, *run = c;

	if (c->state == CARD_IDENTIFYING)
		run = arrive(c);
	if (run != NULL)
		run_chain(run);
	pthread_mutex_lock(&c->st->mu);
	c->th_exited = 1;
	c->st->last_activity = ct_now();
	pthread_mutex_unlock(&c->st->mu);
	return NULL;
}
