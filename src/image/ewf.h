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

/* The header values cardtrail records, in order. */
extern const char *const ewf_header_ids[];
extern const size_t ewf_header_count;

#endif
