/*
 * ewf.c — small helpers around libewf (error text, globbing, header values).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
