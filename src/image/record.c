/*
 * record.c — pieces of the acquisition record (E1.acquisition.json).
 */
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "image/acq.h"

struct json_object *
jhex(const unsigned char *d, size_t n)
{
	char hex[2 * CT_HASH_MAXLEN + 1];

	ct_hex(d, n, hex);
	return json_object_new_string(hex);
}

struct json_object *
jint(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

void
jset(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

const char *
verify_name(int v)
{
	static const char *names[] = { "none", "image", "source", "both" };

	return names[v & 3];
}

struct json_object *
options_json(struct acq *a)
{
	struct json_object *o = json_object_new_object(), *h = json_object_new_array();
	size_t i;

	for (i = 0; i < ct_hash_count; i++)
		if (a->mask & (1u << i))
			json_object_array_add(h, json_object_new_string(ct_hash_algos[i].name));
	jset(o, "format", json_object_new_string(a->sink->format));
	if (!strcmp(a->sink->format, "e01"))
		/* a resume goes on with the first run's */
		jset(o, "compress", json_object_new_string(a->o->resume ?
			ct_json_str(ct_json_get(a->rec, "options"), "compress", "none") :
			a->o->compress ? a->o->compress : "none"));
	jset(o, "hash", h);
	jset(o, "hash_window", jint(a->window));
	jset(o, "split", jint(a->split));
	jset(o, "block_size", jint(a->bufsize));
	jset(o, "retries", json_object_new_int(a->o->retries));
	jset(o, "verify", json_object_new_string(verify_name(a->o->verify)));
	jset(o, "allow_mounted", json_object_new_boolean(a->o->allow_mounted));
	if (a->o->container_as_bytes)
		jset(o, "container_as_bytes", json_object_new_boolean(1));
	return o;
}

struct json_object *
metadata_json(struct acq *a)
{
	const struct ct_image_opts *o = a->o;
	struct json_object *m = json_object_new_object();
	const struct { const char *key, *value; } f[] = {
		{ "case_number", o->case_number },
		{ "evidence_number", o->evidence_number ? o->evidence_number : a->id },
		{ "examiner", o->examiner },
		{ "description", o->description },
		{ "notes", o->notes },
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].value)
			jset(m, f[i].key, json_object_new_string(f[i].value));
	return m;
}
