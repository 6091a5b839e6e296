/*
 * util.h — small shared helpers: sizes, UTC time, hex, case files.
 *
 * Library convention (all of include/cardtrail/): functions return 0 on
 * success, 1 for "nothing found" where that is meaningful, or -errno.
 * Nothing here prints or exits.
 */
#ifndef CARDTRAIL_UTIL_H
#define CARDTRAIL_UTIL_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Parse a size such as "512", "4k", "256MiB", "2G", "1.5GB".
 * Suffixes K/M/G/T/P (optionally followed by "iB") are powers of 1024;
 * "KB", "MB", "GB", "TB", "PB" are powers of 1000; "s" is 512-byte sectors.
 * Returns 0, or -EINVAL (syntax) / -ERANGE (overflow, or zero when
 * allow_zero is 0).
 */
int ct_parse_size(const char *s, uint64_t *out, int allow_zero);

/* Format n bytes as "1.5 GiB" into buf (always NUL-terminated). */
void ct_human_size(uint64_t n, char *buf, size_t len);

/* ISO 8601 UTC with seconds, e.g. "2026-11-21T14:02:11Z"; buf >= 21. */
void ct_time_utc(time_t t, char *buf, size_t len);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void ct_hex(const unsigned char *d, size_t n, char *out);

/* Monotonic clock in seconds. */
double ct_now(void);

/*
 * Create DIR (and missing parents) with mode 0755.  0 if it exists as a
 * directory, -ENOTDIR if something else is there.
 */
int ct_mkdir_p(const char *dir);

/*
 * Create DIR/NAME with O_CREAT|O_EXCL|O_NOFOLLOW, write len bytes, fsync the
 * file and the directory.  -EEXIST if it is already there (nothing is
 * overwritten).
 */
int ct_write_new_file(const char *dir, const char *name, const void *data, size_t len);

/* fsync a directory by path. */
int ct_fsync_dir(const char *dir);

/* Write all of buf at off (retrying short writes and EINTR). */
int ct_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

/* Read a small text file (sysfs attribute), strip trailing whitespace.
 * Returns a malloc'd string or NULL with errno set. */
char *ct_read_text(const char *path);

/* Like snprintf but returns -ENAMETOOLONG on truncation, else 0. */
int ct_snprintf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));



/* 1 if id is an evidence id: 1-32 letters, digits, '-' or '_' (it names
 * files in the case folder: E1.raw, E1.acquisition.json, …). */
int ct_evidence_id_valid(const char *id);

/* ---- JSON accessors (json-c), NULL-safe ---- */
struct json_object;
/* The member k of o, or NULL when o is NULL or has no such member. */
struct json_object *ct_json_get(struct json_object *o, const char *k);
/* The string member k of o, or dflt when it is missing or not a string. */
const char *ct_json_str(struct json_object *o, const char *k, const char *dflt);
/* Text s written to f as HTML character data or an attribute value. */
void ct_html_escape(FILE *f, const char *s);

/*
 * Bytes a terminal acts on, written out so that text from a record, a card
 * or a reader is shown and not obeyed: C0 controls, DEL and the UTF-8
 * encoded C1 controls (U+0080..U+009F) become "\u00XX"; with CT_ESC_LINES
 * newline and tab are kept.  In JSON text, where json-c has already
 * escaped C0, the result is the same JSON.  Streaming: st holds a 0xC2
 * back between calls (zero it first); out needs CT_ESC_ROOM(n) bytes.
 * Returns the bytes written to out (not terminated).  ct_esc_end writes
 * what st holds (at most one byte).
 */
struct ct_esc {
	int held;
};
#define CT_ESC_LINES 1
#define CT_ESC_ROOM(n) (6 * (size_t)(n) + 6)
size_t ct_esc_ctl(struct ct_esc *st, const char *in, size_t n, int flags, char *out);
size_t ct_esc_end(struct ct_esc *st, char *out);
/* 1 if s holds a byte ct_esc_ctl would escape. */
int ct_esc_needed(const char *s, int flags);

#endif
