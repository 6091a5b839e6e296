/*
 * steps.c — the steps of a card's chain.  Each is the library call of the
 * command of the same name and the custody record that command appends,
 * with the command's exit status: a card processed by the station has the
 * case it would have had from `image`, `extract`, `wipe` and `report`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/evidence.h"
#include "cardtrail/image.h"
#include "cardtrail/report.h"
#include "cardtrail/util.h"
#include "cardtrail/wipe.h"
#include "station/station_int.h"

/* Append a step's custody record to the card's case (as the command does). */
static int
append(struct card *c, struct json_object *rec, const char *what, char *err, size_t errlen)
{
	struct ct_append_opts ao = c->st->ao;
	char why[1024] = "";
	int ret;

	ao.create = CT_APPEND_EXISTING;
	if (rec == NULL)
		ret = -EINVAL;
	else
		ret = ct_custody_append(c->casedir, rec, &ao, NULL, why, sizeof(why));
	if (ret < 0)
		snprintf(err, errlen, "%s is NOT in the custody log: %s", what,
			 why[0] ? why : strerror(-ret));
	return ret;
}

/* After a card step failed: did the card leave, or a signal stop it? */
static enum step_status
why_failed(struct card *c)
{
	if (station_stopping())
		return STEP_STOPPED;
	if (!card_reachable(c))
		return STEP_GONE;
	return STEP_FAILED;
}

/* ---- image ---- */

static void
image_progress(const struct ct_progress *p, void *ctx)
{
	progress_set(ctx, p->phase == CT_PROGRESS_ACQUIRE ? "image" : "verify", p->done, p->total,
		     p->elapsed, p->final);
}

static void
image_opts(struct card *c, struct ct_image_opts *o, char *desc, size_t desclen)
{
	const struct ct_station_policy *p = c->st->p;
	int e01 = !strcmp(p->image_format, "e01");

	memset(o, 0, sizeof(*o));
	snprintf(desc, desclen, "mission '%s', card %u in reader %s", c->st->o->mission, c->id,
		 c->device);
	o->source = c->device;
	o->casedir = c->casedir;
	o->resume = c->image_begun;
	o->evidence_id = c->image_begun ? c->evidence : NULL;
	o->hash_mask = p->image_hashes;
	/* an E01's chunks name damage: no windows unless the policy asks */
	o->window = e01 && !p->image_window_given ? 0 : p->image_window;
	o->format = p->image_format;
	o->compress = e01 ? p->image_compress : NULL;
	o->split = p->image_split;
	o->verify = p->image_verify;
	o->retries = p->image_retries;
	o->command_line = c->st->cmdline;
	o->case_number = p->case_number[0] ? p->case_number : NULL;
	o->description = desc;
	o->examiner = c->st->ao.examiner;
	o->progress = image_progress;
	o->progress_ctx = c;
}

/* The hashes of the record, for the summary. */
static void
image_results(struct card *c, const struct ct_image_result *r)
{
	struct json_object *h = ct_json_get(r->record, "hashes");

	pthread_mutex_lock(&c->st->mu);
	if (h) {
		json_object_put(c->hashes);
		c->hashes = json_object_get(h);
	}
	c->bytes = r->bytes;
	c->bad_bytes = r->bad_bytes;
	pthread_mutex_unlock(&c->st->mu);
}

/* What the image step did, in words. */
static void
image_text(const struct ct_image_opts *o, const struct ct_image_result *r, char *buf, size_t len)
{
	const char *sha = ct_json_str(ct_json_get(r->record, "hashes"), "sha256", "?");
	const char *read_back = o->verify == (CT_VERIFY_IMAGE | CT_VERIFY_SOURCE) ?
		"image and card read back, matching" : o->verify ? "read back once, matching" :
		"NOT read back (image.verify = none)";

	if (r->bad_bytes)
		snprintf(buf, len, "%s: %" PRIu64 " bytes, sha256 %s, %s; UNREADABLE: %" PRIu64
			 " bytes zero-filled (listed in the record)", r->evidence, r->bytes, sha,
			 read_back, r->bad_bytes);
	else
		snprintf(buf, len, "%s: %" PRIu64 " bytes, sha256 %s, %s", r->evidence, r->bytes, sha,
			 read_back);
}

static enum step_status
step_image(struct card *c, struct step_out *out)
{
	struct ct_image_opts o;
	struct ct_image_result r;
	struct json_object *rec;
	char desc[512], err[1024] = "";
	enum step_status st;
	int ret, status;

	image_opts(c, &o, desc, sizeof(desc));
	ret = ct_image_run(&o, &r);
	status = ret < 0 ? 1 : r.verify_failed ? 3 : r.bad_bytes ? 4 : 0;
	if (r.record) {
		c->image_begun = 1;
		snprintf(c->evidence, sizeof(c->evidence), "%s", r.evidence);
		rec = ct_image_custody_record(&o, &r, status, err, sizeof(err));
		if (append(c, rec, "the image", err, sizeof(err)) < 0)
			status = 1;
		json_object_put(rec);
	}
	image_results(c, &r);
	out->exit = status;
	if (ret < 0) {
		st = why_failed(c);
		snprintf(out->text, sizeof(out->text), "%s", r.error[0] ? r.error : strerror(-ret));
	} else if (status == 1) {
		st = STEP_FAILED;
		snprintf(out->text, sizeof(out->text), "%s", err);
	} else if (r.verify_failed) {
		st = STEP_MISMATCH;
		snprintf(out->text, sizeof(out->text), "%s", r.error);
	} else {
		st = r.bad_bytes ? STEP_DAMAGED : STEP_OK;
		image_text(&o, &r, out->text, sizeof(out->text));
	}
	ct_image_result_release(&r);
	return st;
}

/* ---- extract ---- */

static enum step_status
step_extract(struct card *c, struct step_out *out)
{
	struct ct_extract_opts o = { 0 };
	struct ct_extract_result r;
	struct json_object *rec;
	char err[1024] = "";
	int ret;

	o.casedir = c->casedir;
	o.evidence = c->evidence;
	o.no_carve = !c->st->p->extract_carve;
	o.walk_exe = c->st->o->walk_exe;
	progress_set(c, "extract", 0, 0, 0, 0);
	ret = ct_extract_run(&o, &r);
	if (ret < 0) {
		enum step_status st = r.image_mismatch ? STEP_MISMATCH : STEP_FAILED;

		out->exit = r.image_mismatch ? 3 : 1;
		snprintf(out->text, sizeof(out->text), "%s", r.error[0] ? r.error : strerror(-ret));
		ct_extract_result_release(&r);
		return st;
	}
	rec = ct_extract_custody_record(&o, &r, err, sizeof(err));
	ret = append(c, rec, "the evidence bundle", err, sizeof(err));
	json_object_put(rec);
	pthread_mutex_lock(&c->st->mu);
	c->tracks = r.st.flights;
	c->points = r.st.points;
	pthread_mutex_unlock(&c->st->mu);
	out->exit = ret < 0 ? 1 : 0;
	if (ret < 0)
		snprintf(out->text, sizeof(out->text), "%s", err);
	else
		snprintf(out->text, sizeof(out->text), "%.255s: %" PRIu64 " files (%" PRIu64 " deleted, %"
			 PRIu64 " carved), %" PRIu64 " source files with a track, %" PRIu64 " points",
			 strrchr(r.bundle, '/') ? strrchr(r.bundle, '/') + 1 : r.bundle, r.st.files,
			 r.st.deleted, r.st.carved, r.st.flights, r.st.points);
	ct_extract_result_release(&r);
	return ret < 0 ? STEP_FAILED : STEP_OK;
}

/* ---- wipe (and format) ---- */

const char *
station_format_fs(const struct ct_station_policy *p, uint64_t size)
{
	if (strcmp(p->format_fs, "auto"))
		return p->format_fs;
	/* the SD Association's choice: FAT32 up to 32 GiB (SDHC), exFAT above */
	return size <= (32ULL << 30) ? "fat32" : "exfat";
}

static void
wipe_progress(const struct ct_wipe_progress *p, void *ctx)
{
	char phase[32];

	if (p->pass == 0)	/* is this the imaged card? */
		snprintf(phase, sizeof(phase), "%s", p->phase ? p->phase : "match");
	else
		snprintf(phase, sizeof(phase), "%s %u/%u", p->phase && !strcmp(p->phase, "verify") ?
			 "verify" : "wipe", p->pass, p->npasses);
	progress_set(ctx, phase, p->done, p->total, p->elapsed, p->done == p->total);
}

/* What the certificate says of the format laid down after the wipe: the
 * format step's outcome, kept until that step runs. */
static void
format_result(struct card *c, const struct ct_wipe_result *r)
{
	struct step_out *f = &c->format;
	struct json_object *fmt = ct_json_get(r->cert, "format");
	const char *res = ct_json_str(fmt, "result", NULL);

	if (!ct_station_policy_has(c->st->p, CT_STEP_FORMAT))
		return;
	if (res && !strcmp(res, "formatted")) {
		f->status = STEP_OK;
		f->exit = 0;
		snprintf(f->text, sizeof(f->text), "%s by %s", ct_json_str(fmt, "filesystem", "?"),
			 ct_json_str(fmt, "tool", "?"));
	} else {
		f->status = STEP_FAILED;
		f->exit = 1;
		snprintf(f->text, sizeof(f->text), "not formatted: %s", res ? res : "the wipe did not "
			 "reach it");
	}
}

/* The status `wipe` would exit with, as a step's. */
static enum step_status
wipe_status(struct card *c, int ret, const struct ct_wipe_result *r, struct step_out *out)
{
	out->exit = 1;
	if (r->refused)
		return STEP_FAILED;
	if (ret < 0 && !r->verify_failed)
		return why_failed(c);
	if (r->log_error[0]) {
		snprintf(out->text, sizeof(out->text), "the wipe's end is NOT in the custody log: %.900s",
			 r->log_error);
		return STEP_FAILED;
	}
	if (r->cert && r->cert_json[0] == '\0') {
		snprintf(out->text, sizeof(out->text), "no certificate was written: the wipe is not "
			 "certified");
		return STEP_FAILED;
	}
	out->exit = r->verify_failed ? 3 : 0;
	return r->verify_failed ? STEP_MISMATCH : STEP_OK;
}

static enum step_status
step_wipe(struct card *c, struct step_out *out)
{
	const struct ct_station_policy *p = c->st->p;
	struct ct_wipe_opts o = { 0 };
	struct ct_wipe_result r;
	struct ct_append_opts ao = c->st->ao;
	char cap[32];
	enum step_status st;
	int ret;

	ao.create = CT_APPEND_EXISTING;
	o.device = c->device;
	o.casedir = c->casedir;
	o.evidence_root = c->st->o->cases;	/* the other cases' evidence too */
	o.method_spec = p->wipe_method;
	o.verify = (enum ct_wipe_verify)p->wipe_verify;
	o.match = (enum ct_wipe_match)p->wipe_match;
	o.discard = p->wipe_discard;
	if (ct_station_policy_has(p, CT_STEP_FORMAT)) {
		o.format = station_format_fs(p, c->size);
		o.label = p->format_label[0] ? p->format_label : NULL;
	}
	o.examiner = ao.examiner;
	/* the wipe appends its own records: start, resume, end */
	o.append = &ao;
	/* the examiner named this device (--allow): what `wipe --force` means */
	o.force = c->by_allow;
	o.resume = c->wipe_begun;
	/* several cards at once, each at a card's speed: a ring of 8 x 1 MiB
	 * per wipe (the command's 8 x 4 MiB is for one fast device) keeps the
	 * memory per card within an image's */
	o.bufsize = STATION_WIPE_BUFSIZE;
	o.progress = wipe_progress;
	o.progress_ctx = c;
	ret = ct_wipe_run(&o, &r);
	snprintf(out->text, sizeof(out->text), "%s", r.error[0] ? r.error : ret < 0 ?
		 strerror(-ret) : ct_json_str(r.cert, "result", "?"));
	st = wipe_status(c, ret, &r, out);
	if (r.state_path[0] && access(r.state_path, F_OK) == 0)
		c->wipe_begun = 1;
	pthread_mutex_lock(&c->st->mu);
	snprintf(c->wipe_method, sizeof(c->wipe_method), "%s", r.method_spec[0] ? r.method_spec :
		 p->wipe_method);
	snprintf(c->wipe_result, sizeof(c->wipe_result), "%s", r.cert ?
		 ct_json_str(r.cert, "result", "?") : r.refused ? "REFUSED: nothing written" :
		 "not certified");
	c->wrapped = r.wrapped;
	c->real_capacity = r.real_capacity;
	pthread_mutex_unlock(&c->st->mu);
	if (r.wrapped) {
		ct_human_size(r.real_capacity, cap, sizeof(cap));
		card_attention(c, "counterfeit card? its addresses wrap: apparent real capacity %"
			       PRIu64 " bytes (%s) of the %" PRIu64 " it claims", r.real_capacity,
			       cap, c->size);
	}
	format_result(c, &r);
	ct_wipe_result_release(&r);
	return st;
}

/* The format is laid down by the wipe (after its last pass is read back). */
static enum step_status
step_format(struct card *c, struct step_out *out)
{
	if (c->format.status == STEP_PENDING) {
		out->exit = 1;
		snprintf(out->text, sizeof(out->text), "not formatted: the wipe did not reach it");
		return STEP_FAILED;
	}
	out->exit = c->format.exit;
	snprintf(out->text, sizeof(out->text), "%s", c->format.text);
	return c->format.status;
}

/* ---- report ---- */

static enum step_status
step_report(struct card *c, struct step_out *out)
{
	struct ct_verify_opts vo = { 0 };
	struct ct_report_opts o = { 0 };
	struct ct_report_result r;
	struct json_object *rec;
	char err[1024] = "";
	size_t i;
	int ret;

	o.casedir = c->casedir;
	o.verify = &vo;
	o.formats = c->st->p->report_formats;
	progress_set(c, "report", 0, 0, 0, 0);
	/* cairo, pango and fontconfig: one report at a time */
	pthread_mutex_lock(&c->st->report_mu);
	ret = ct_report_run(&o, &r);
	pthread_mutex_unlock(&c->st->report_mu);
	if (ret != 0) {
		out->exit = 1;
		snprintf(out->text, sizeof(out->text), "%s", ret == 1 ? "no custody log" : r.error);
		return STEP_FAILED;
	}
	rec = ct_report_custody_record(&o, &r);
	ret = append(c, rec, "the report", err, sizeof(err));
	json_object_put(rec);
	pthread_mutex_lock(&c->st->mu);
	for (i = 0; i < r.nfiles; i++) {
		if (!strcmp(r.files[i].role, "report-html"))
			snprintf(c->report_html, sizeof(c->report_html), "%s", r.files[i].name);
		if (!strcmp(r.files[i].role, "report-pdf"))
			snprintf(c->report_pdf, sizeof(c->report_pdf), "%s", r.files[i].name);
	}
	c->flights = (long)r.flights;
	c->verified = r.verified;
	snprintf(c->head, sizeof(c->head), "%s", r.head);
	if (r.verified)
		snprintf(c->verify_text, sizeof(c->verify_text), "VERIFIED by the report: %zu records, "
			 "chain intact, every output as recorded", r.records);
	else
		snprintf(c->verify_text, sizeof(c->verify_text), "NOT VERIFIED: %s", r.first_problem);
	pthread_mutex_unlock(&c->st->mu);
	if (ret < 0) {
		out->exit = 1;
		snprintf(out->text, sizeof(out->text), "%s", err);
		return STEP_FAILED;
	}
	out->exit = r.verified ? 0 : 3;
	snprintf(out->text, sizeof(out->text), "%zu flights from %zu sources; the case %s", r.flights,
		 r.sources, r.verified ? "verifies" : "does NOT verify");
	return r.verified ? STEP_OK : STEP_MISMATCH;
}

/* ---- the case verified at the end ---- */

void
station_verify_case(struct card *c, int reported)
{
	struct ct_verify_opts vo = { 0 };
	struct json_object *rep = NULL, *probs;
	long long records;
	int ret, ok;

	/* the report re-hashed every output: the chain with its record is
	 * what is left to check */
	vo.no_rehash = reported;
	ret = ct_custody_verify(c->casedir, &vo, &rep);
	pthread_mutex_lock(&c->st->mu);
	if (ret == 0) {
		ok = json_object_get_boolean(ct_json_get(rep, "ok"));
		records = (long long)json_object_get_int64(ct_json_get(ct_json_get(rep, "counts"),
								       "records"));
		probs = ct_json_get(rep, "problems");
		snprintf(c->head, sizeof(c->head), "%s", ct_json_str(rep, "head", ""));
		if (!ok)
			snprintf(c->verify_text, sizeof(c->verify_text), "NOT VERIFIED: %s",
				 probs && json_object_array_length(probs) ?
				 json_object_get_string(json_object_array_get_idx(probs, 0)) : "?");
		else if (reported && c->verified == 1)
			snprintf(c->verify_text, sizeof(c->verify_text), "VERIFIED: every output re-hashed "
				 "by the report, then %lld records, chain intact", records);
		else if (!reported)
			snprintf(c->verify_text, sizeof(c->verify_text), "VERIFIED: %lld records, chain "
				 "intact, every output re-hashed as recorded", records);
		if (!reported || !ok)
			c->verified = ok;
	} else {
		c->verified = 0;
		snprintf(c->verify_text, sizeof(c->verify_text), "cannot verify: %s",
			 ret == 1 ? "no custody log" : strerror(-ret));
	}
	pthread_mutex_unlock(&c->st->mu);
	json_object_put(rep);
}

const struct step station_steps[CT_STEP_COUNT] = {
	[CT_STEP_IMAGE] = { .name = "image", .card = 1, .run = step_image },
	[CT_STEP_EXTRACT] = { .name = "extract", .run = step_extract },
	[CT_STEP_WIPE] = { .name = "wipe", .card = 1, .destructive = 1, .run = step_wipe },
	[CT_STEP_FORMAT] = { .name = "format", .destructive = 1, .run = step_format },
	[CT_STEP_REPORT] = { .name = "report", .run = step_report },
};
