/*
 * json.c — NULL-safe accessors for json-c objects.
 */
#include <json-c/json.h>

#include "cardtrail/util.h"

struct json_object *
ct_json_get(struct json_object *o, const char *k)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

const char *
ct_json_str(struct json_object *o, const char *k, const char *dflt)
{
	struct json_object *v = ct_json_get(o, k);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : dflt;
}
