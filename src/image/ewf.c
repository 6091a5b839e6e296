/*
 * ewf.c — small helpers around libewf (error text, globbing, header values).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cardtrail/image.h"
#include "cardtrail/util.h"
#include "image/ewf.h"

const char *const ewf_header_ids[] = {
	"case_number", "evidence_number", "description", "examiner_name", "notes",
	"acquiry_date", "system_date", "acquiry_operating_system", "acquiry_software",
	"acquiry_software_version", "model", "serial_number",
};
const size_t ewf_header_count = CT_ARRAY_SIZE(ewf_header_ids);

void
ewf_message(libewf_error_t **e, char *buf, size_t len)
{
	char text[4096];
	size_t n;

	if (len == 0)
		return;
	snprintf(buf, len, "libewf gave no reason");
	if (e == NULL || *e == NULL)
		return;
	if (libewf_error_backtrace_sprint(*e, text, sizeof(text)) > 0) {
		n = strcspn(text, "\n");
		text[n] = '\0';
		while (n > 0 && (text[n - 1] == '.' || text[n - 1] == ' '))
			text[--n] = '\0';
		snprintf(buf, len, "%s", text);
	}
	libewf_error_free(e);
}

int
ewf_glob(const char *path, char ***names, int *n, char *err, size_t errlen)
{
	libewf_error_t *e = NULL;
	char msg[512];

	*names = NULL;
	*n = 0;
	if (libewf_glob(path, strlen(path), LIBEWF_FORMAT_UNKNOWN, names, n, &e) != 1) {
		ewf_message(&e, msg, sizeof(msg));
		snprintf(err, errlen, "cannot find the segments of '%s': %s", path, msg);
		*names = NULL;
		*n = 0;
		return -ENOENT;
	}
	return 0;
}

void
ewf_glob_free(char **names, int n)
{
	libewf_error_t *e = NULL;

	if (names && libewf_glob_free(names, n, &e) != 1)
		libewf_error_free(&e);
}

int
ewf_set_header(libewf_handle_t *h, const char *id, const char *value, char *err, size_t errlen)
{
	libewf_error_t *e = NULL;
	char msg[512];

	if (value == NULL || *value == '\0')
		return 0;
	if (libewf_handle_set_utf8_header_value(h, (const uint8_t *)id, strlen(id),
						(const uint8_t *)value, strlen(value), &e) != 1) {
		ewf_message(&e, msg, sizeof(msg));
		snprintf(err, errlen, "cannot set the E01 header value %s: %s", id, msg);
		return -EINVAL;
	}
	return 0;
}

char *
ewf_get_header(libewf_handle_t *h, const char *id)
{
	libewf_error_t *e = NULL;
	size_t size = 0;
	char *v;
	int r;

	r = libewf_handle_get_utf8_header_value_size(h, (const uint8_t *)id, strlen(id), &size, &e);
	if (r != 1 || size == 0) {
		libewf_error_free(&e);
		return NULL;
	}
	if ((v = calloc(1, size + 1)) == NULL)
		return NULL;
	if (libewf_handle_get_utf8_header_value(h, (const uint8_t *)id, strlen(id), (uint8_t *)v,
						size, &e) != 1) {
		libewf_error_free(&e);
		free(v);
		return NULL;
	}
	return v;
}

/* The extension of segment n (1-based): E01..E99, then EAA..EZZ, FAA... */
int
ewf_segment_ext(unsigned n, char ext[4])
{
	if (n >= 1 && n <= 99) {
		snprintf(ext, 4, "E%02u", n);
		return 0;
	}
	n -= 100;
	if (n >= 26 * 26 * ('Z' - 'E' + 1))
		return -ERANGE;
	ext[2] = (char)('A' + n % 26);
	ext[1] = (char)('A' + n / 26 % 26);
	ext[0] = (char)('E' + n / (26 * 26));
	ext[3] = '\0';
	return 0;
}

/* A libewf failure while writing: the run says which file set, where, and
 * libewf's reason (acquire.c words it, with what was kept). */

/*
 * The dates an E01 states (acquiry_date, system_date), for what they are.
 * libewf reads a header2 date (EnCase 4 and later) as seconds since 1970
 * and renders it with localtime(); a header date (EnCase 1-3, FTK, SMART,
 * linen) is the acquiring machine's wall clock, "yyyy mm dd hh mm ss" with
 * no zone, which libewf gives back as it is (libewf_header_values.c,
 * libewf_date_time_values.c).  libewf does not say which one it read, so
 * the set is opened twice, under UTC and under a zone 13 hours east: an
 * instant renders differently, a wall clock the same.  The process's TZ is
 * set for the two openings only (no other thread runs then) and restored.
 */
static const char *const ewf_date_ids[] = { "acquiry_date", "system_date" };
#define EWF_NDATES (sizeof(ewf_date_ids) / sizeof(ewf_date_ids[0]))

static void
set_tz(const char *tz)
{
	if (tz)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	tzset();
}

/* The dates of the set under the zone tz, ISO 8601 without zone. */
static int
dates_under(char *const *names, int n, const char *tz, char out[EWF_NDATES][64])
{
	libewf_handle_t *h = NULL;
	libewf_error_t *e = NULL;
	size_t i;
	int ret = -EINVAL;

	set_tz(tz);
	if (libewf_handle_initialize(&h, &e) != 1 ||
	    libewf_handle_open(h, names, n, LIBEWF_OPEN_READ, &e) != 1 ||
	    libewf_handle_set_header_values_date_format(h, LIBEWF_DATE_FORMAT_ISO8601, &e) != 1)
		goto out;
	for (i = 0; i < EWF_NDATES; i++) {
		char *v = ewf_get_header(h, ewf_date_ids[i]);

		snprintf(out[i], 64, "%s", v ? v : "");
		free(v);
	}
	ret = 0;
out:
	libewf_error_free(&e);
	if (h && libewf_handle_close(h, &e) != 0)
		libewf_error_free(&e);
	libewf_handle_free(&h, &e);
	libewf_error_free(&e);
	return ret;
}

/* One date into found: id, id_basis, id_stored. */
static void
put_date(struct json_object *found, const char *id, const char *utc, const char *east)
{
	struct tm tm = { 0 };
	char key[64], v[80];
	const char *end;
	int instant;

	end = strptime(utc, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || *end != '\0') {
		/* not a plain date and time: kept as libewf gives it */
		json_object_object_add(found, id, json_object_new_string(utc));
		snprintf(key, sizeof(key), "%s_basis", id);
		json_object_object_add(found, key, json_object_new_string("as stated"));
		return;
	}
	instant = strcmp(utc, east) != 0;
	snprintf(v, sizeof(v), "%.64s%s", utc, instant ? "Z" : "");
	json_object_object_add(found, id, json_object_new_string(v));
	snprintf(key, sizeof(key), "%s_basis", id);
	json_object_object_add(found, key, json_object_new_string(instant ? "timestamp" :
			       "local, zone not stated"));
	if (instant)
		snprintf(v, sizeof(v), "%lld", (long long)timegm(&tm));
	else
		strftime(v, sizeof(v), "%Y %m %d %H %M %S", &tm);
	snprintf(key, sizeof(key), "%s_stored", id);
	json_object_object_add(found, key, json_object_new_string(v));
}

int
ewf_header_dates(char *const *names, int n, struct json_object *found)
{
	char utc[EWF_NDATES][64], east[EWF_NDATES][64], *saved = NULL;
	const char *tz = getenv("TZ");
	size_t i;
	int ret;

	if (tz && (saved = strdup(tz)) == NULL)
		return -ENOMEM;
	ret = dates_under(names, n, "UTC0", utc);
	if (ret == 0)
		ret = dates_under(names, n, "<+13>-13", east);
	set_tz(saved);
	free(saved);
	if (ret < 0)
		return ret;
	for (i = 0; i < EWF_NDATES; i++)
		if (utc[i][0])
			put_date(found, ewf_date_ids[i], utc[i], east[i]);
	return 0;
}

int
ewf_is_date_id(const char *id)
{
	size_t i;

	for (i = 0; i < EWF_NDATES; i++)
		if (!strcmp(id, ewf_date_ids[i]))
			return 1;
	return 0;
}

int
ct_image_source_is_ewf(const char *path)
{
	libewf_error_t *e = NULL;
	int r = libewf_check_file_signature(path, &e);

	libewf_error_free(&e);
	if (r < 0) {
		/* libewf's reason is not an errno: ask the file itself */
		FILE *f = fopen(path, "rb");

		if (f == NULL)
			return -errno;
		fclose(f);
		return -EIO;
	}
	return r == 1;
}
