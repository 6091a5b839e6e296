/*
 * tool.c — the tool's name, version and the library versions it runs with.
 */
#include <stdio.h>

#include <archive.h>
#include <blkid.h>
#include <gcrypt.h>
#include <json-c/json.h>

#include "cardtrail/image.h"

const char *
ct_tool_string(void)
{
	static char buf[256];
	const char *blk = NULL;

	blkid_get_library_version(&blk, NULL);
	snprintf(buf, sizeof(buf),
		 "cardtrail %s (libgcrypt %s, libblkid %s, libarchive %s, json-c %s)",
		 CT_VERSION, gcry_check_version(NULL), blk ? blk : "?",
		 archive_version_string() + sizeof("libarchive"),
		 json_c_version());
	return buf;
}

struct json_object *
ct_tool_json(void)
{
	struct json_object *t = json_object_new_object(), *libs = json_object_new_object();
	const char *blk = NULL;

	blkid_get_library_version(&blk, NULL);
	json_object_object_add(t, "name", json_object_new_string("cardtrail"));
	json_object_object_add(t, "version", json_object_new_string(CT_VERSION));
	json_object_object_add(libs, "libgcrypt", json_object_new_string(gcry_check_version(NULL)));
	json_object_object_add(libs, "libblkid", json_object_new_string(blk ? blk : "?"));
	json_object_object_add(libs, "libarchive",
			       json_object_new_string(archive_version_string() + sizeof("libarchive")));
	json_object_object_add(libs, "json-c", json_object_new_string(json_c_version()));
	json_object_object_add(t, "libraries", libs);
	json_object_object_add(t, "string", json_object_new_string(ct_tool_string()));
	return t;
}
