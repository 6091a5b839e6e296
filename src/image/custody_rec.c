/*
 * custody_rec.c — what an acquisition tells the custody log.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/image.h"
#include "cardtrail/util.h"


static void
copy_str(struct json_object *dst, const char *dk, struct json_object *src, const char *sk)
{
	struct json_object *v = ct_json_get(src, sk);

	if (v && json_object_is_type(v, json_type_string) && *json_object_get_string(v))
		json_object_object_add(dst, dk, json_object_new_string(json_object_get_string(v)));
}

struct json_object *
ct_identity_card(struct json_object *identity, uint64_t size)
{
	struct json_object *c = json_object_new_object(), *sd = ct_json_get(identity, "sd");
	struct json_object *usb = ct_json_get(identity, "usb");

	json_object_object_add(c, "size", json_object_new_int64((int64_t)size));
	if (sd && !json_object_is_type(sd, json_type_null)) {
		copy_str(c, "cid", sd, "cid");
		copy_str(c, "serial", sd, "serial");
		copy_str(c, "name", sd, "name");
	} else {
		copy_str(c, "serial", identity, "serial");
	}
	copy_str(c, "vendor", identity, "vendor");
	copy_str(c, "model", identity, "model");
	if (usb && !json_object_is_type(usb, json_type_null))
		copy_str(c, "reader_serial", usb, "serial");
	return c;
}

/* The record's head: action, subject {evidence, metadata}. */
static struct json_object *
record_head(const char *action, const char *evidence, struct json_object *rec,
	    struct json_object **subj)
{
	struct json_object *r = json_object_new_object(), *v;

	json_object_object_add(r, "action", json_object_new_string(action));
	*subj = json_object_new_object();
	json_object_object_add(*subj, "evidence", json_object_new_string(evidence));
	if ((v = ct_json_get(rec, "metadata")) != NULL)
		json_object_object_add(*subj, "metadata", json_object_get(v));
	json_object_object_add(r, "subject", *subj);
	return r;
}

/* A case file as an output with its role (SHA-256 read from the disk). */
static int
case_file(struct json_object *outs, const char *casedir, const char *evidence, const char *suffix,
	  const char *role, char *err, size_t errlen)
{
	struct json_object *f;
	char name[128];
	int ret;

	snprintf(name, sizeof(name), "%s%s", evidence, suffix);
	if ((ret = ct_custody_file_json(casedir, name, &f)) < 0) {
		snprintf(err, errlen, "cannot hash %s/%s for the custody log: %s", casedir, name,
			 strerror(-ret));
		return ret;
	}
	json_object_object_add(f, "role", json_object_new_string(role));
	json_object_array_add(outs, f);
	return 0;
}

/* The image files of the record as outputs, with the SHA-256 the record
 * gives each (a raw segment's content is the file; an E01 segment's is
 * the file's own). */
static void
image_files(struct json_object *outs, struct json_object *rec)
{
	struct json_object *segs = ct_json_get(rec, "segments"), *f;
	size_t i;

	for (i = 0; segs && i < json_object_array_length(segs); i++) {
		struct json_object *s = json_object_array_get_idx(segs, i);

		f = json_object_new_object();
		copy_str(f, "path", s, "path");
		copy_str(f, "sha256", ct_json_get(s, "hashes"), "sha256");
		json_object_object_add(f, "bytes", json_object_get(ct_json_get(s, "bytes")));
		json_object_object_add(f, "role", json_object_new_string("image"));
		json_object_array_add(outs, f);
	}
}

struct json_object *
ct_image_custody_record(const struct ct_image_opts *o, const struct ct_image_result *res,
			int status, char *err, size_t errlen)
{
	struct json_object *rec = res->record, *r, *subj, *ins, *in, *outs, *result, *v;

	if (rec == NULL) {
		snprintf(err, errlen, "no acquisition record");
		return NULL;
	}
	r = record_head("image", res->evidence, rec, &subj);
	json_object_object_add(subj, "card", ct_identity_card(ct_json_get(rec, "identity"),
			       (uint64_t)json_object_get_int64(ct_json_get(ct_json_get(rec, "source"), "size"))));

	ins = json_object_new_array();
	in = json_object_new_object();
	json_object_object_add(in, "path", json_object_new_string(o->source));
	copy_str(in, "kind", ct_json_get(rec, "source"), "kind");
	if (res->complete)
		copy_str(in, "sha256", ct_json_get(rec, "hashes"), "sha256");
	json_object_array_add(ins, in);
	json_object_object_add(r, "inputs", ins);

	outs = json_object_new_array();
	json_object_object_add(r, "outputs", outs);
	if (res->complete) {
		image_files(outs, rec);
		if (case_file(outs, o->casedir, res->evidence, ".acquisition.json",
			      "acquisition-record", err, errlen) < 0 ||
		    case_file(outs, o->casedir, res->evidence, ".map", "mapfile", err, errlen) < 0) {
			json_object_put(r);
			return NULL;
		}
	}
	result = json_object_new_object();
	copy_str(result, "status", rec, "status");
	json_object_object_add(result, "exit", json_object_new_int(status));
	json_object_object_add(result, "complete", json_object_new_boolean(res->complete));
	json_object_object_add(result, "bytes", json_object_new_int64((int64_t)res->bytes));
	json_object_object_add(result, "bad_bytes", json_object_new_int64((int64_t)res->bad_bytes));
	if ((v = ct_json_get(rec, "bad_ranges")) != NULL)
		json_object_object_add(result, "bad_ranges",
				       json_object_new_int64((int64_t)json_object_array_length(v)));
	if ((v = ct_json_get(rec, "hashes")) != NULL)
		json_object_object_add(result, "hashes", json_object_get(v));
	if ((v = ct_json_get(rec, "verify")) != NULL) {
		struct json_object *vr = json_object_new_object(), *p;
		copy_str(vr, "requested", v, "requested");
		if ((p = ct_json_get(v, "image")) != NULL)
			json_object_object_add(vr, "image", json_object_get(ct_json_get(p, "match")));
		if ((p = ct_json_get(v, "source")) != NULL)
			json_object_object_add(vr, "source", json_object_get(ct_json_get(p, "match")));
		json_object_object_add(result, "verify", vr);
	}
	if (res->error[0])
		json_object_object_add(result, "error", json_object_new_string(res->error));
	json_object_object_add(r, "result", result);
	return r;
}

struct json_object *
ct_adopt_custody_record(const struct ct_adopt_opts *o, const struct ct_adopt_result *res,
			int status, char *err, size_t errlen)
{
	struct json_object *rec = res->record, *r, *subj, *ins, *outs, *result, *v;
	struct json_object *adopted = ct_json_get(rec, "adopted");
	size_t i;

	if (rec == NULL) {
		snprintf(err, errlen, "no acquisition record");
		return NULL;
	}
	r = record_head("adopt", res->evidence, rec, &subj);
	/* the files given, where they were, with their SHA-256 */
	ins = json_object_new_array();
	v = ct_json_get(adopted, "from");
	for (i = 0; v && i < json_object_array_length(v); i++)
		json_object_array_add(ins, json_object_get(json_object_array_get_idx(v, i)));
	json_object_object_add(r, "inputs", ins);
	/* copies are ours; files adopted in place are not */
	outs = json_object_new_array();
	json_object_object_add(r, "outputs", outs);
	if (res->complete) {
		if (!o->in_place)
			image_files(outs, rec);
		if (case_file(outs, o->casedir, res->evidence, ".acquisition.json",
			      "acquisition-record", err, errlen) < 0) {
			json_object_put(r);
			return NULL;
		}
	}
	result = json_object_new_object();
	json_object_object_add(result, "status", json_object_get(ct_json_get(rec, "status")));
	json_object_object_add(result, "exit", json_object_new_int(status));
	json_object_object_add(result, "complete", json_object_new_boolean(res->complete));
	json_object_object_add(result, "format",
			       json_object_get(ct_json_get(ct_json_get(rec, "options"), "format")));
	json_object_object_add(result, "in_place", json_object_new_boolean(o->in_place));
	json_object_object_add(result, "bytes", json_object_new_int64((int64_t)res->bytes));
	json_object_object_add(result, "bad_bytes", json_object_new_int64((int64_t)res->bad_bytes));
	if ((v = ct_json_get(rec, "hashes")) != NULL)
		json_object_object_add(result, "hashes", json_object_get(v));
	if ((v = ct_json_get(adopted, "stored_hashes")) != NULL)
		json_object_object_add(result, "stored_hashes", json_object_get(v));
	if ((v = ct_json_get(ct_json_get(adopted, "found"), "acquiry_software_version")) != NULL)
		json_object_object_add(result, "made_by", json_object_get(v));
	if (res->error[0])
		json_object_object_add(result, "error", json_object_new_string(res->error));
	json_object_object_add(r, "result", result);
	return r;
}
