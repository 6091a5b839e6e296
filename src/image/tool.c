/*
 * tool.c — the tool's name, version and the library versions it runs with.
 *
 * One table: every library cardtrail links, with the call that tells its
 * version at run time.  libexif has no such call: its entry is the version
 * the binary was built against (pkg-config, passed in by the Makefile);
 * the library's soname pins the same release series at run time.
 */
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <blkid.h>
#include <cairo.h>
#include <expat.h>
#include <gcrypt.h>
#include <json-c/json.h>
#include <libewf.h>
#include <pango/pango.h>
#include <sqlite3.h>
#include <tsk/libtsk.h>
#include <zlib.h>

#include "cardtrail/image.h"
#include "cardtrail/util.h"

#ifndef CT_LIBEXIF_VERSION
#define CT_LIBEXIF_VERSION "?"
#endif

static const char *
v_gcrypt(void)
{
	return gcry_check_version(NULL);
}

static const char *
v_blkid(void)
{
	const char *v = NULL;

	blkid_get_library_version(&v, NULL);
	return v;
}

static const char *
v_archive(void)
{
	/* "libarchive 3.6.2" */
	const char *s = archive_version_string(), *sp = s ? strchr(s, ' ') : NULL;

	return sp ? sp + 1 : s;
}

static const char *
v_expat(void)
{
	/* "expat_2.5.0" */
	const char *s = XML_ExpatVersion(), *us = s ? strchr(s, '_') : NULL;

	return us ? us + 1 : s;
}

static const char *
v_libexif(void)
{
	return CT_LIBEXIF_VERSION;
}

static const struct {
	const char *name;
	const char *(*version)(void);
} libraries[] = {
	{ .name = "libgcrypt", .version = v_gcrypt },
	{ .name = "libblkid", .version = v_blkid },
	{ .name = "libarchive", .version = v_archive },
	{ .name = "json-c", .version = json_c_version },
	{ .name = "libtsk", .version = tsk_version_get_str },
	{ .name = "libexif", .version = v_libexif },
	{ .name = "expat", .version = v_expat },
	{ .name = "cairo", .version = cairo_version_string },
	{ .name = "pango", .version = pango_version_string },
	{ .name = "sqlite3", .version = sqlite3_libversion },
	{ .name = "libewf", .version = libewf_get_version },
	{ .name = "zlib", .version = zlibVersion },
};

const char *
ct_tool_string(void)
{
	static char buf[512];
	size_t i, len;

	if (buf[0])
		return buf;
	len = (size_t)snprintf(buf, sizeof(buf), "cardtrail %s (", CT_VERSION);
	for (i = 0; i < CT_ARRAY_SIZE(libraries) && len < sizeof(buf); i++) {
		const char *v = libraries[i].version();
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s %s", i ? ", " : "",
					libraries[i].name, v ? v : "?");
	}
	if (len + 2 > sizeof(buf)) {
		/* a table this size never fills buf; say so rather than cut
		 * a version in half */
		snprintf(buf, sizeof(buf), "cardtrail %s (library versions too long)", CT_VERSION);
		return buf;
	}
	buf[len++] = ')';
	buf[len] = '\0';
	return buf;
}

struct json_object *
ct_tool_json(void)
{
	struct json_object *t = json_object_new_object(), *libs = json_object_new_object();
	size_t i;

	json_object_object_add(t, "name", json_object_new_string("cardtrail"));
	json_object_object_add(t, "version", json_object_new_string(CT_VERSION));
	for (i = 0; i < CT_ARRAY_SIZE(libraries); i++) {
		const char *v = libraries[i].version();
		json_object_object_add(libs, libraries[i].name, json_object_new_string(v ? v : "?"));
	}
	json_object_object_add(t, "libraries", libs);
	json_object_object_add(t, "string", json_object_new_string(ct_tool_string()));
	return t;
}
