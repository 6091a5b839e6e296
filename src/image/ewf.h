/*
 * ewf.h — what the E01 sink, the reader and adopt share about libewf
 * (private to src/image/).
 */
#ifndef CARDTRAIL_IMAGE_EWF_H
#define CARDTRAIL_IMAGE_EWF_H

#include <stddef.h>

#include <libewf.h>

/* The library's root cause for e (the first line of its backtrace, which
 * names the file and the system error), into buf; e is freed. */
void ewf_message(libewf_error_t **e, char *buf, size_t len);

/* The segment files of the set that path (its first, .E01) starts, in
 * order, as libewf finds them.  Free with ewf_glob_free. */
int ewf_glob(const char *path, char ***names, int *n, char *err, size_t errlen);
void ewf_glob_free(char **names, int n);

/* The extension of segment file n (1-based): E01..E99, then EAA..EZZ,
 * FAA, ... as EnCase and libewf name them; -ERANGE past ZZZ. */
int ewf_segment_ext(unsigned n, char ext[4]);

/* The libewf handle of an E01 reader (to read its header and hashes), or
 * NULL for another format. */
struct ct_image;
libewf_handle_t *image_ewf_handle(struct ct_image *img);

/* Header values (case_number, examiner_name, ...): set one (nothing when
 * value is NULL or empty); get one as a new string, or NULL. */
int ewf_set_header(libewf_handle_t *h, const char *id, const char *value, char *err,
		   size_t errlen);
char *ewf_get_header(libewf_handle_t *h, const char *id);

/* The dates the E01 set names states, into found as ISO 8601: an instant
 * (header2's seconds since 1970) in UTC with Z, or the acquiring
 * machine's wall clock without a zone when that is all the file says;
 * with each, ID_basis ("timestamp", "local, zone not stated") and
 * ID_stored (the seconds, or the header's "yyyy mm dd hh mm ss"). */
struct json_object;
int ewf_header_dates(char *const *names, int n, struct json_object *found);
/* Is id one of those dates (then ewf_get_header's text is not recorded)? */
int ewf_is_date_id(const char *id);

/* The header values cardtrail records, in order. */
extern const char *const ewf_header_ids[];
extern const size_t ewf_header_count;

#endif
