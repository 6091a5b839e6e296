/*
 * record.c — the custody records of a wipe.
 *
 *   wipe-start   before the first byte is written: the plan (method, verify
 *                mode, each pass's pattern or key fingerprint, the probe's
 *                fingerprint), the device, how the card was matched, the
 *                state file.  A resume must match it.
 *   wipe-resume  before a resumed run writes: the start record it
 *                continues, where, and how the card was matched again.
 *   wipe         when the wipe ends, whatever the result: the certificate,
 *                the result, and what is left on the card (the plans of
 *                the last passes written, keys included: the wipe is over)
 *                so that a retry in the case can recognise the card.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/util.h"
#include "wipe/internal.h"

static const char *const verify_names[] = { "none", "last", "all" };

static struct json_object *
base_record(struct wipe *w, const char *action)
{
	struct json_object *r = json_object_new_object(), *subj = json_object_new_object();
	struct json_object *ins = json_object_new_array(), *in = json_object_new_object();

	json_object_object_add(r, "action", json_object_new_string(action));
	json_object_object_add(subj, "evidence", w->res->evidence[0] ?
			       json_object_new_string(w->res->evidence) : NULL);
	json_object_object_add(subj, "card", json_object_get(w->card));
	json_object_object_add(r, "subject", subj);
	json_object_object_add(in, "path", json_object_new_string(w->o->device));
	json_object_object_add(in, "kind", json_object_new_string("block"));
	json_object_array_add(ins, in);
	json_object_object_add(r, "inputs", ins);
	return r;
}

void
wipe_add_force(struct wipe *w, struct json_object *o)
{
	json_object_object_add(o, "force", json_object_new_boolean(w->o->force));
	if (w->o->force)
		json_object_object_add(o, "force_overrode", w->overrode ? json_object_get(w->overrode) :
				       json_object_new_array());
}

/* Append r (consumed); *seq and, when hash is not NULL, the line's hash. */
static int
append(struct wipe *w, struct json_object *r, uint64_t *seq, char *hash, char *err, size_t errlen)
{
	struct ct_append_opts ao = { 0 };
	int ret;

	if (w->o->append)
		ao = *w->o->append;
	ao.create = CT_APPEND_EXISTING;
	ret = ct_custody_append(w->o->casedir, r, &ao, seq, err, errlen);
	json_object_put(r);
	if (ret == 0 && hash)
		ret = ct_custody_line_hash(w->o->casedir, *seq, hash);
	return ret;
}

int
wipe_record_start(struct wipe *w)
{
	struct json_object *r = base_record(w, "wipe-start"), *res = json_object_new_object();
	struct json_object *passes = json_object_new_array(), *probe = NULL;
	char f[80], s[24], name[160], err[1024] = "";
	unsigned i;
	int ret;

	json_object_object_add(res, "method", json_object_new_string(w->spec));
	json_object_object_add(res, "verify", json_object_new_string(verify_names[w->verify]));
	json_object_object_add(res, "verify_mode", json_object_new_int((int)w->verify));
	for (i = 0; i < w->method.npasses; i++) {
		struct json_object *p = json_object_new_object();
		ct_wipe_pass_str(&w->method.passes[i], s, sizeof(s));
		json_object_object_add(p, "pass", json_object_new_int((int)i + 1));
		json_object_object_add(p, "kind", json_object_new_string(s));
		wipe_plan_fingerprint(&w->plans[i], f);
		json_object_object_add(p, "fingerprint", json_object_new_string(f));
		json_object_object_add(p, "verify", json_object_new_boolean(w->passes[i].verify));
		json_object_array_add(passes, p);
	}
	json_object_object_add(res, "passes", passes);
	if (w->have_probe_plan) {
		probe = json_object_new_object();
		wipe_plan_fingerprint(&w->probe_plan, f);
		json_object_object_add(probe, "fingerprint", json_object_new_string(f));
	}
	json_object_object_add(res, "probe", probe);
	json_object_object_add(res, "device", json_object_get(w->device));
	json_object_object_add(res, "match", json_object_get(w->match));
	json_object_object_add(res, "no_image_check", json_object_new_boolean(w->o->no_image_check));
	wipe_add_force(w, res);
	snprintf(name, sizeof(name), "%s.wipe.state", w->base);
	json_object_object_add(res, "state_file", json_object_new_string(name));
	json_object_object_add(r, "result", res);
	if ((ret = append(w, r, &w->start_seq, w->start_hash, err, sizeof(err))) < 0)
		return wipe_err(w, ret, "cannot record the start of the wipe: %s; nothing was written",
				err[0] ? err : strerror(-ret));
	w->res->start_seq = w->start_seq;
	return 0;
}

int
wipe_record_resume(struct wipe *w)
{
	struct json_object *r = base_record(w, "wipe-resume"), *res = json_object_new_object();
	char err[1024] = "";
	uint64_t seq = 0;
	int ret;

	json_object_object_add(res, "start", wipe_jint(w->start_seq));
	json_object_object_add(res, "pass", json_object_new_int((int)w->first + 1));
	json_object_object_add(res, "phase", json_object_new_string(w->first_skip_write ? "verify" : "write"));
	json_object_object_add(res, "offset", wipe_jint(w->first_off));
	json_object_object_add(res, "device", json_object_get(w->device));
	json_object_object_add(res, "match", json_object_get(w->match));
	wipe_add_force(w, res);
	json_object_object_add(r, "result", res);
	if ((ret = append(w, r, &seq, NULL, err, sizeof(err))) < 0)
		return wipe_err(w, ret, "cannot record the resume of the wipe: %s; nothing was written",
				err[0] ? err : strerror(-ret));
	w->res->start_seq = w->start_seq;
	return 0;
}

struct json_object *
wipe_left_on_card(struct wipe *w)
{
	struct json_object *l;
	int k;

	if (w->res->wrapped || (w->disc && json_object_get_boolean(ct_json_get(w->disc, "accepted"))) ||
	    w->fmt)
		return NULL;
	for (k = (int)w->method.npasses - 1; k >= 0 && !w->passes[k].reached; k--)
		;
	if (k < 0)
		return NULL;
	l = json_object_new_object();
	json_object_object_add(l, "pass", json_object_new_int(k + 1));
	json_object_object_add(l, "cur", wipe_plan_json(&w->plans[k]));
	if (w->passes[k].write_done) {
		json_object_object_add(l, "sure", wipe_jint(w->dev.size));
		json_object_object_add(l, "maybe", wipe_jint(w->dev.size));
	} else {
		/* what the card acknowledged for certain; perhaps up to where
		 * the writes handed to it reached (the one that failed) */
		uint64_t sure = w->passes[k].written_before + w->passes[k].written;
		uint64_t maybe = w->cur_pass == (unsigned)k && w->written_upto > sure ? w->written_upto : sure;
		json_object_object_add(l, "sure", wipe_jint(sure));
		json_object_object_add(l, "maybe", wipe_jint(maybe));
	}
	json_object_object_add(l, "prev", k > 0 ? wipe_plan_json(&w->plans[k - 1]) : NULL);
	json_object_object_add(l, "probe", k == 0 && w->have_probe_plan ? wipe_plan_json(&w->probe_plan) : NULL);
	return l;
}

static const char *
left_note(struct wipe *w)
{
	if (w->res->wrapped)
		return "addresses wrap: what the card holds cannot be told";
	if (w->disc && json_object_get_boolean(ct_json_get(w->disc, "accepted")))
		return "discarded after the wipe";
	if (w->fmt)
		return "formatted after the wipe";
	return "no pass was written";
}

int
wipe_record_end(struct wipe *w)
{
	struct json_object *r = base_record(w, "wipe"), *outs = json_object_new_array(), *f, *res;
	struct json_object *left;
	const char *name;
	char err[1024] = "";
	uint64_t total = 0;
	unsigned i;
	int ret;

	if (w->res->cert_json[0]) {
		const char *paths[2] = { w->res->cert_json, w->res->cert_txt };
		const char *roles[2] = { "certificate", "certificate-text" };
		for (i = 0; i < 2; i++) {
			name = strrchr(paths[i], '/');
			if ((ret = ct_custody_file_json(w->o->casedir, name ? name + 1 : paths[i], &f)) < 0) {
				snprintf(w->res->log_error, sizeof(w->res->log_error), "cannot hash the "
					 "certificate for the custody log: %s", strerror(-ret));
				json_object_put(outs);
				json_object_put(r);
				return ret;
			}
			json_object_object_add(f, "role", json_object_new_string(roles[i]));
			json_object_array_add(outs, f);
		}
	}
	json_object_object_add(r, "outputs", outs);
	res = json_object_new_object();
	if (w->start_seq)
		json_object_object_add(res, "start", wipe_jint(w->start_seq));
	json_object_object_add(res, "method", json_object_new_string(w->spec));
	if (w->res->cert_json[0] == '\0')
		json_object_object_add(res, "certificate", json_object_new_string("not written"));
	json_object_object_add(res, "status", json_object_new_string(
		ct_json_str(w->res->cert, "result", "?")));
	json_object_object_add(res, "method_type", json_object_new_string("Clear"));
	for (i = 0; i < w->method.npasses; i++)
		total += w->passes[i].written_before + w->passes[i].written;
	json_object_object_add(res, "bytes_written", wipe_jint(total));
	json_object_object_add(res, "no_image_check", json_object_new_boolean(w->o->no_image_check));
	wipe_add_force(w, res);
	json_object_object_add(res, "match", json_object_get(w->match));
	json_object_object_add(res, "device", json_object_get(w->device));
	left = wipe_left_on_card(w);
	if (left == NULL)
		json_object_object_add(res, "left_on_card_note", json_object_new_string(left_note(w)));
	json_object_object_add(res, "left_on_card", left);
	if (w->res->wrapped)
		json_object_object_add(res, "apparent_real_capacity", wipe_jint(w->res->real_capacity));
	json_object_object_add(r, "result", res);
	if ((ret = append(w, r, &w->res->end_seq, NULL, err, sizeof(err))) < 0)
		snprintf(w->res->log_error, sizeof(w->res->log_error), "%s",
			 err[0] ? err : strerror(-ret));
	return ret;
}
