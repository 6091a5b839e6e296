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

struct json_object *
ct_image_custody_record(const struct ct_image_opts *o, const struct ct_image_result *res,
			int status, char *err, size_t errlen)
{
	struct json_object *rec = res->record, *r, *subj, *ins, *in, *outs, *result, *f, *v;
	char name[128];
	size_t i;
	int ret;

	if (rec == NULL) {
		snprintf(err, errlen, "no acquisition record");
		return NULL;
	}
	r = json_object_new_object();
	json_object_object_add(r, "action", json_object_new_string("image"));
	subj = json_object_new_object();
	json_object_object_add(subj, "evidence", json_object_new_string(res->evidence));
	json_object_object_add(subj, "card", ct_identity_card(ct_json_get(rec, "identity"),
			       (uint64_t)json_object_get_int64(ct_json_get(ct_json_get(rec, "source"), "size"))));
	if ((v = ct_json_get(rec, "metadata")) != NULL)
		json_object_object_add(subj, "metadata", json_object_get(v));
	json_object_object_add(r, "subject", subj);

	ins = json_object_new_array();
	in = json_object_new_object();
	json_object_object_add(in, "path", json_object_new_string(o->source));
	copy_str(in, "kind", ct_json_get(rec, "source"), "kind");
	if (res->complete)
		copy_str(in, "sha256", ct_json_get(rec, "hashes"), "sha256");
	json_object_array_add(ins, in);
	json_object_object_add(r, "inputs", ins);

	outs = json_object_new_array();
	if (res->complete) {
		struct json_object *segs = ct_json_get(rec, "segments");
		for (i = 0; segs && i < json_object_array_length(segs); i++) {
			struct json_object *s = json_object_array_get_idx(segs, i);
			f = json_object_new_object();
			copy_str(f, "path", s, "path");
			copy_str(f, "sha256", ct_json_get(s, "hashes"), "sha256");
			json_object_object_add(f, "bytes", json_object_get(ct_json_get(s, "bytes")));
			json_object_object_add(f, "role", json_object_new_string("image"));
			json_object_array_add(outs, f);
		}
		snprintf(name, sizeof(name), "%s.acquisition.json", res->evidence);
		if ((ret = ct_custody_file_json(o->casedir, name, &f)) < 0)
			goto fail;
		json_object_object_add(f, "role", json_object_new_string("acquisition-record"));
		json_object_array_add(outs, f);
		snprintf(name, sizeof(name), "%s.map", res->evidence);
		if ((ret = ct_custody_file_json(o->casedir, name, &f)) < 0)
			goto fail;
		json_object_object_add(f, "role", json_object_new_string("mapfile"));
		json_object_array_add(outs, f);
	}
	json_object_object_add(r, "outputs", outs);

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
fail:
	snprintf(err, errlen, "cannot hash %s/%s for the custody log: %s", o->casedir, name,
		 strerror(-ret));
	json_object_put(r);
	return NULL;
}
