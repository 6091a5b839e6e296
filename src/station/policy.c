/*
 * policy.c — the station's policy file (station(5)): "key = value" lines
 * read over safe defaults, one table of keys, each with its parser, then
 * the policy checked as a whole (steps in order, a wipe only after an image
 * that was read back).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/hash.h"
#include "cardtrail/image.h"
#include "cardtrail/report.h"
#include "cardtrail/station.h"
#include "cardtrail/util.h"
#include "cardtrail/wipe.h"

#define POLICY_MAX_BYTES (64u << 10)	/* a policy is a page of text */

static const char *const step_names[CT_STEP_COUNT] = {
	[CT_STEP_IMAGE] = "image",
	[CT_STEP_EXTRACT] = "extract",
	[CT_STEP_WIPE] = "wipe",
	[CT_STEP_FORMAT] = "format",
	[CT_STEP_REPORT] = "report",
};

const char *
ct_station_step_name(enum ct_station_step s)
{
	return (unsigned)s < CT_STEP_COUNT ? step_names[s] : NULL;
}

void
ct_station_policy_init(struct ct_station_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->steps[0] = CT_STEP_IMAGE;
	p->steps[1] = CT_STEP_EXTRACT;
	p->steps[2] = CT_STEP_REPORT;
	p->nsteps = 3;
	p->admit = CT_ADMIT_SD | CT_ADMIT_USB | CT_ADMIT_REMOVABLE;
	p->min_size = 1u << 20;
	p->max_size = 2ULL << 40;
	p->duplicate = CT_DUP_SKIP;
	p->image_format = "raw";
	p->image_compress = "none";
	p->image_hashes = 1u << ct_hash_lookup("sha256");
	p->image_window = 256ULL << 20;
	p->image_verify = CT_VERIFY_IMAGE | CT_VERIFY_SOURCE;
	p->image_retries = 2;
	p->extract_carve = 1;
	snprintf(p->wipe_method, sizeof(p->wipe_method), "nist-clear");
	p->wipe_verify = CT_WIPE_VERIFY_ALL;
	p->format_fs = "auto";
	p->report_formats = CT_REPORT_HTML | CT_REPORT_PDF;
}

int
ct_station_policy_has(const struct ct_station_policy *p, enum ct_station_step s)
{
	size_t i;

	for (i = 0; i < p->nsteps; i++)
		if (p->steps[i] == s)
			return 1;
	return 0;
}

/* ---- values ---- */

/* A word out of a table of names: its index, or -1. */
static int
word_index(const char *v, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return (int)i;
	return -1;
}

static int
bad_value(char *err, size_t errlen, const char *what, const char *v)
{
	snprintf(err, errlen, "'%s' is not %s", v, what);
	return -EINVAL;
}

static int
parse_bool(const char *v, int *out, char *err, size_t errlen)
{
	static const char *const names[] = { "no", "yes" };
	int i = word_index(v, names, CT_ARRAY_SIZE(names));

	if (i < 0)
		return bad_value(err, errlen, "yes or no", v);
	*out = i;
	return 0;
}

/* Split a comma-separated list into trimmed words, each to fn. */
static int
each_word(const char *v, int (*fn)(const char *w, void *ctx, char *err, size_t errlen), void *ctx,
	  char *err, size_t errlen)
{
	char buf[512], *w, *rest = buf;
	int ret, n = 0;

	if (ct_snprintf(buf, sizeof(buf), "%s", v) < 0) {
		snprintf(err, errlen, "the list is too long");
		return -EINVAL;
	}
	while ((w = strsep(&rest, ",")) != NULL) {
		char *end;

		while (*w == ' ' || *w == '\t')
			w++;
		end = w + strlen(w);
		while (end > w && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*w == '\0') {
			snprintf(err, errlen, "an empty item in the list '%s'", v);
			return -EINVAL;
		}
		if ((ret = fn(w, ctx, err, errlen)) < 0)
			return ret;
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "the list is empty");
		return -EINVAL;
	}
	return 0;
}

static int
add_step(const char *w, void *ctx, char *err, size_t errlen)
{
	struct ct_station_policy *p = ctx;
	int i = word_index(w, step_names, CT_STEP_COUNT);

	if (i < 0)
		return bad_value(err, errlen, "a step (image, extract, wipe, format, report)", w);
	if (ct_station_policy_has(p, (enum ct_station_step)i)) {
		snprintf(err, errlen, "the step '%s' is named twice", w);
		return -EINVAL;
	}
	p->steps[p->nsteps++] = (enum ct_station_step)i;
	return 0;
}

static int
set_steps(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	p->nsteps = 0;
	return each_word(v, add_step, p, err, errlen);
}

static int
add_admit(const char *w, void *ctx, char *err, size_t errlen)
{
	static const struct { const char *name; unsigned bit; } classes[] = {
		{ "sd", CT_ADMIT_SD }, { "usb", CT_ADMIT_USB }, { "removable", CT_ADMIT_REMOVABLE },
		{ "none", 0 },
	};
	unsigned *admit = ctx;
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(classes); i++)
		if (!strcmp(w, classes[i].name)) {
			*admit |= classes[i].bit;
			return 0;
		}
	return bad_value(err, errlen, "sd, usb, removable or none", w);
}

static int
set_admit(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	p->admit = 0;
	return each_word(v, add_admit, &p->admit, err, errlen);
}

static int
set_size(uint64_t *out, const char *v, int allow_zero, char *err, size_t errlen)
{
	if (ct_parse_size(v, out, allow_zero) < 0)
		return bad_value(err, errlen, allow_zero ? "a size (512, 4k, 2G, 0)" :
				 "a size (512, 4k, 2G)", v);
	return 0;
}

static int
set_min_size(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	return set_size(&p->min_size, v, 1, err, errlen);
}

static int
set_max_size(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	return set_size(&p->max_size, v, 0, err, errlen);
}

static int
set_duplicate(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { [CT_DUP_SKIP] = "skip", [CT_DUP_PROCESS] = "process" };
	int i = word_index(v, names, CT_ARRAY_SIZE(names));

	if (i < 0)
		return bad_value(err, errlen, "skip or process", v);
	p->duplicate = (enum ct_station_dup)i;
	return 0;
}

/* A value out of a list of static names, kept as that static string. */
static int
set_name(const char **out, const char *v, const char *const *names, size_t n, const char *what,
	 char *err, size_t errlen)
{
	int i = word_index(v, names, n);

	if (i < 0)
		return bad_value(err, errlen, what, v);
	*out = names[i];
	return 0;
}

static int
set_image_format(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { "raw", "e01" };

	return set_name(&p->image_format, v, names, CT_ARRAY_SIZE(names), "raw or e01", err, errlen);
}

static int
set_image_compress(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { "none", "fast", "best" };

	return set_name(&p->image_compress, v, names, CT_ARRAY_SIZE(names), "none, fast or best",
			err, errlen);
}

static int
set_image_hash(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	char list[256];
	size_t n = 0;
	const char *c;

	/* "md5, sha256" as the command line's "md5,sha256" */
	for (c = v; *c && n + 1 < sizeof(list); c++)
		if (*c != ' ' && *c != '\t')
			list[n++] = *c;
	list[n] = '\0';
	if (*c || ct_hash_parse_list(list, &p->image_hashes) < 0)
		return bad_value(err, errlen, "a list of md5, sha1, sha256, sha512", v);
	return 0;
}

static int
set_image_window(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	p->image_window_given = 1;
	return set_size(&p->image_window, v, 1, err, errlen);
}

static int
set_image_split(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	int ret = set_size(&p->image_split, v, 1, err, errlen);

	if (ret == 0 && p->image_split % 512)
		return bad_value(err, errlen, "a size in whole 512-byte sectors", v);
	return ret;
}

static int
set_image_verify(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { "none", "image", "source", "both" };
	static const int bits[] = { 0, CT_VERIFY_IMAGE, CT_VERIFY_SOURCE,
				    CT_VERIFY_IMAGE | CT_VERIFY_SOURCE };
	int i = word_index(v, names, CT_ARRAY_SIZE(names));

	if (i < 0)
		return bad_value(err, errlen, "none, image, source or both", v);
	p->image_verify = bits[i];
	return 0;
}

static int
set_image_retries(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	uint64_t n;

	if (ct_parse_size(v, &n, 1) < 0 || n > 100)
		return bad_value(err, errlen, "a number from 0 to 100", v);
	p->image_retries = (int)n;
	return 0;
}

static int
set_extract_carve(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	return parse_bool(v, &p->extract_carve, err, errlen);
}

static int
set_wipe_method(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	struct ct_wipe_method m;
	char why[256];

	if (ct_wipe_method_parse(v, &m, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	if (ct_snprintf(p->wipe_method, sizeof(p->wipe_method), "%s", v) < 0)
		return bad_value(err, errlen, "a method of at most 255 bytes", v);
	return 0;
}

static int
set_wipe_verify(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = {
		[CT_WIPE_VERIFY_NONE] = "none", [CT_WIPE_VERIFY_LAST] = "last",
		[CT_WIPE_VERIFY_ALL] = "all",
	};
	int i = word_index(v, names, CT_ARRAY_SIZE(names));

	if (i < 0)
		return bad_value(err, errlen, "all, last or none", v);
	p->wipe_verify = i;
	return 0;
}

static int
set_wipe_match(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = {
		[CT_WIPE_MATCH_SAMPLED] = "sampled", [CT_WIPE_MATCH_FULL] = "full",
	};
	int i = word_index(v, names, CT_ARRAY_SIZE(names));

	if (i < 0)
		return bad_value(err, errlen, "sampled or full", v);
	p->wipe_match = i;
	return 0;
}

static int
set_wipe_damaged(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	return parse_bool(v, &p->wipe_damaged, err, errlen);
}

static int
set_wipe_discard(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	return parse_bool(v, &p->wipe_discard, err, errlen);
}

static int
set_format_fs(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { "auto", "fat32", "exfat" };

	return set_name(&p->format_fs, v, names, CT_ARRAY_SIZE(names), "auto, fat32 or exfat",
			err, errlen);
}

static int
set_format_label(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	const char *c;

	/* what both mkfs.fat (11) and mkfs.exfat (15 UTF-16) take */
	if (strlen(v) > 11)
		return bad_value(err, errlen, "a label of at most 11 characters", v);
	for (c = v; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
			return bad_value(err, errlen, "a label of A-Z, 0-9, '_' and '-'", v);
	snprintf(p->format_label, sizeof(p->format_label), "%s", v);
	return 0;
}

static int
set_report_format(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { "html", "pdf", "both" };
	static const unsigned bits[] = { CT_REPORT_HTML, CT_REPORT_PDF,
					 CT_REPORT_HTML | CT_REPORT_PDF };
	int i = word_index(v, names, CT_ARRAY_SIZE(names));

	if (i < 0)
		return bad_value(err, errlen, "html, pdf or both", v);
	p->report_formats = bits[i];
	return 0;
}

/* A free text: printable, no control characters. */
static int
set_text(char *out, size_t len, const char *v, char *err, size_t errlen)
{
	const unsigned char *c;

	for (c = (const unsigned char *)v; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return bad_value(err, errlen, "text without control characters", v);
	if (ct_snprintf(out, len, "%s", v) < 0) {
		snprintf(err, errlen, "the value is longer than %zu bytes", len - 1);
		return -EINVAL;
	}
	return 0;
}

static int
set_case_number(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	return set_text(p->case_number, sizeof(p->case_number), v, err, errlen);
}

static int
set_examiner(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	return set_text(p->examiner, sizeof(p->examiner), v, err, errlen);
}

static int
set_sign_key(struct ct_station_policy *p, const char *v, char *err, size_t errlen)
{
	return set_text(p->sign_key, sizeof(p->sign_key), v, err, errlen);
}

static const struct policy_key {
	const char *name;
	int (*set)(struct ct_station_policy *p, const char *v, char *err, size_t errlen);
} keys[] = {
	{ "steps", set_steps },
	{ "admit", set_admit },
	{ "min-size", set_min_size },
	{ "max-size", set_max_size },
	{ "duplicate", set_duplicate },
	{ "image.format", set_image_format },
	{ "image.compress", set_image_compress },
	{ "image.hash", set_image_hash },
	{ "image.hash-window", set_image_window },
	{ "image.split", set_image_split },
	{ "image.verify", set_image_verify },
	{ "image.retries", set_image_retries },
	{ "extract.carve", set_extract_carve },
	{ "wipe.method", set_wipe_method },
	{ "wipe.verify", set_wipe_verify },
	{ "wipe.match", set_wipe_match },
	{ "wipe.damaged", set_wipe_damaged },
	{ "wipe.discard", set_wipe_discard },
	{ "format.fs", set_format_fs },
	{ "format.label", set_format_label },
	{ "report.format", set_report_format },
	{ "case-number", set_case_number },
	{ "examiner", set_examiner },
	{ "sign-key", set_sign_key },
};

/* ---- the file ---- */

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Cut a comment: '#' at the start of the line or after a blank. */
static void
cut_comment(char *s)
{
	char *c;

	for (c = s; *c; c++)
		if (*c == '#' && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			return;
		}
}

/* One line: "key = value", a comment or nothing. */
static int
parse_line(char *line, int lineno, struct ct_station_policy *p, int *given, char *err,
	   size_t errlen)
{
	char *eq, *key, *val, why[512];
	size_t i;
	int ret;

	cut_comment(line);
	line = trim(line);
	if (*line == '\0')
		return 0;
	if ((eq = strchr(line, '=')) == NULL) {
		snprintf(err, errlen, "expected 'key = value', not '%s'", line);
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	for (i = 0; i < CT_ARRAY_SIZE(keys); i++)
		if (!strcmp(key, keys[i].name))
			break;
	if (i == CT_ARRAY_SIZE(keys)) {
		snprintf(err, errlen, "unknown key '%s' (see station(5))", key);
		return -EINVAL;
	}
	if (given[i]) {
		snprintf(err, errlen, "'%s' is given twice (first on line %d)", key, given[i]);
		return -EINVAL;
	}
	if (*val == '\0') {
		snprintf(err, errlen, "'%s' has no value", key);
		return -EINVAL;
	}
	why[0] = '\0';
	if ((ret = keys[i].set(p, val, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s: %s", key, why);
		return ret;
	}
	given[i] = lineno;
	return 0;
}

/* Where each step must stand: image first, format right after wipe. */
static int
check_steps(const struct ct_station_policy *p, char *err, size_t errlen)
{
	size_t i;

	if (p->nsteps == 0) {
		snprintf(err, errlen, "steps: no step");
		return -EINVAL;
	}
	for (i = 1; i < p->nsteps; i++)
		if (p->steps[i] < p->steps[i - 1]) {
			snprintf(err, errlen, "steps: '%s' cannot come after '%s' (the order is image, "
				 "extract, wipe, format, report)", step_names[p->steps[i]],
				 step_names[p->steps[i - 1]]);
			return -EINVAL;
		}
	if (ct_station_policy_has(p, CT_STEP_FORMAT) && !ct_station_policy_has(p, CT_STEP_WIPE)) {
		snprintf(err, errlen, "steps: 'format' comes with 'wipe' (the wipe lays the "
			 "filesystem down after its last pass is read back)");
		return -EINVAL;
	}
	if (p->steps[0] != CT_STEP_IMAGE && p->steps[0] != CT_STEP_WIPE) {
		snprintf(err, errlen, "steps: the chain starts with 'image' (or, for cards imaged "
			 "before, 'wipe')");
		return -EINVAL;
	}
	return 0;
}

/* The policy as a whole. */
static int
check_policy(const struct ct_station_policy *p, char *err, size_t errlen)
{
	int ret;

	if ((ret = check_steps(p, err, errlen)) < 0)
		return ret;
	if (ct_station_policy_has(p, CT_STEP_WIPE) && ct_station_policy_has(p, CT_STEP_IMAGE) &&
	    p->image_verify != (CT_VERIFY_IMAGE | CT_VERIFY_SOURCE)) {
		snprintf(err, errlen, "image.verify: a chain that wipes reads the image and the card "
			 "back first: 'both'");
		return -EINVAL;
	}
	if (strcmp(p->image_compress, "none") && strcmp(p->image_format, "e01")) {
		snprintf(err, errlen, "image.compress: for image.format = e01");
		return -EINVAL;
	}
	if (p->min_size > p->max_size) {
		snprintf(err, errlen, "min-size is larger than max-size");
		return -EINVAL;
	}
	if (p->format_label[0] && !ct_station_policy_has(p, CT_STEP_FORMAT)) {
		snprintf(err, errlen, "format.label: the steps have no 'format'");
		return -EINVAL;
	}
	return 0;
}

int
ct_station_policy_parse(const char *text, size_t len, const char *name,
			struct ct_station_policy *p, char *err, size_t errlen)
{
	int given[CT_ARRAY_SIZE(keys)] = { 0 };
	char line[1024], why[768];
	size_t pos = 0;
	int lineno = 0, ret;

	while (pos < len) {
		size_t n = 0;

		lineno++;
		while (pos < len && text[pos] != '\n') {
			if (text[pos] == '\0' || n + 1 >= sizeof(line)) {
				snprintf(err, errlen, "%s:%d: %s", name, lineno, text[pos] == '\0' ?
					 "a NUL byte: not a text file" : "line longer than 1023 bytes");
				return -EINVAL;
			}
			line[n++] = text[pos++];
		}
		line[n] = '\0';
		pos++;
		why[0] = '\0';
		if ((ret = parse_line(line, lineno, p, given, why, sizeof(why))) < 0) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, why);
			return ret;
		}
	}
	why[0] = '\0';
	if ((ret = check_policy(p, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s: %s", name, why);
		return ret;
	}
	return 0;
}

int
ct_station_policy_load(const char *path, struct ct_station_policy *p, char *err, size_t errlen)
{
	char *buf = NULL;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, ret;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the policy '%s': %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = -EBADF;	/* -EINVAL is for what a policy says */
		snprintf(err, errlen, "the policy '%s' is not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > POLICY_MAX_BYTES) {
		ret = -EFBIG;
		snprintf(err, errlen, "the policy '%s' is larger than %u bytes", path, POLICY_MAX_BYTES);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	ret = ct_station_policy_parse(buf, got, path, p, err, errlen);
out:
	free(buf);
	close(fd);
	return ret;
}

struct json_object *
ct_station_policy_json(const struct ct_station_policy *p)
{
	static const char *const verifies[] = { "none", "image", "source", "both" };
	static const char *const wverifies[] = { "none", "last", "all" };
	static const char *const reports[] = { "", "html", "pdf", "both" };
	struct json_object *j = json_object_new_object(), *a;
	size_t i;

	a = json_object_new_array();
	for (i = 0; i < p->nsteps; i++)
		json_object_array_add(a, json_object_new_string(step_names[p->steps[i]]));
	json_object_object_add(j, "steps", a);
	a = json_object_new_array();
	if (p->admit & CT_ADMIT_SD)
		json_object_array_add(a, json_object_new_string("sd"));
	if (p->admit & CT_ADMIT_USB)
		json_object_array_add(a, json_object_new_string("usb"));
	if (p->admit & CT_ADMIT_REMOVABLE)
		json_object_array_add(a, json_object_new_string("removable"));
	json_object_object_add(j, "admit", a);
	json_object_object_add(j, "min-size", json_object_new_int64((int64_t)p->min_size));
	json_object_object_add(j, "max-size", json_object_new_int64((int64_t)p->max_size));
	json_object_object_add(j, "duplicate", json_object_new_string(
				       p->duplicate == CT_DUP_SKIP ? "skip" : "process"));
	json_object_object_add(j, "image.format", json_object_new_string(p->image_format));
	json_object_object_add(j, "image.compress", json_object_new_string(p->image_compress));
	a = json_object_new_array();
	for (i = 0; i < ct_hash_count; i++)
		if ((p->image_hashes | 1u << ct_hash_lookup("sha256")) & 1u << i)
			json_object_array_add(a, json_object_new_string(ct_hash_algos[i].name));
	json_object_object_add(j, "image.hash", a);
	json_object_object_add(j, "image.hash-window", json_object_new_int64((int64_t)p->image_window));
	json_object_object_add(j, "image.split", json_object_new_int64((int64_t)p->image_split));
	json_object_object_add(j, "image.verify", json_object_new_string(verifies[p->image_verify & 3]));
	json_object_object_add(j, "image.retries", json_object_new_int(p->image_retries));
	json_object_object_add(j, "extract.carve", json_object_new_boolean(p->extract_carve));
	json_object_object_add(j, "wipe.method", json_object_new_string(p->wipe_method));
	json_object_object_add(j, "wipe.verify", json_object_new_string(wverifies[p->wipe_verify]));
	json_object_object_add(j, "wipe.match", json_object_new_string(
				       p->wipe_match == CT_WIPE_MATCH_FULL ? "full" : "sampled"));
	json_object_object_add(j, "wipe.damaged", json_object_new_boolean(p->wipe_damaged));
	json_object_object_add(j, "wipe.discard", json_object_new_boolean(p->wipe_discard));
	json_object_object_add(j, "format.fs", json_object_new_string(p->format_fs));
	json_object_object_add(j, "format.label", p->format_label[0] ?
			       json_object_new_string(p->format_label) : NULL);
	json_object_object_add(j, "report.format", json_object_new_string(reports[p->report_formats & 3]));
	json_object_object_add(j, "case-number", p->case_number[0] ?
			       json_object_new_string(p->case_number) : NULL);
	json_object_object_add(j, "examiner", p->examiner[0] ? json_object_new_string(p->examiner) : NULL);
	json_object_object_add(j, "sign-key", p->sign_key[0] ? json_object_new_string(p->sign_key) : NULL);
	return j;
}
