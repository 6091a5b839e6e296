/*
 * reproduce.c — `cardtrail verify --reproduce`: each extraction the custody
 * log records is run again from the case's image, with the options the
 * record names, into a temporary folder; the new bundle's SHA-256 is
 * compared with the recorded one.  When they differ, both bundles are read
 * (libarchive) member by member to name the first member that differs
 * and, in a text member (JSON, CSV, …), its first differing line.  A bundle
 * that another cardtrail version (or parser set) made is said to be one,
 * with the members that differ, and not called altered.
 *
 * Steps: records (which extractions) → rerun (ct_extract_run into the
 * temporary folder) → compare (hash, then members) → verdict.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <gcrypt.h>
#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/evidence.h"
#include "cardtrail/hash.h"
#include "cardtrail/util.h"

#define BLOCK (64u * 1024)
#define LISTED_MAX 20		/* differing members named in a verdict */

/* ---- a bundle's members ---- */

struct member {
	char *name;
	int64_t size, mtime;
	unsigned mode;
	int64_t uid, gid;
	unsigned char sha[32];
	size_t pos;		/* its place in the bundle */
	int matched;
};

struct index {
	struct member *m;
	size_t n, cap;
};

static void
index_release(struct index *ix)
{
	size_t i;

	for (i = 0; i < ix->n; i++)
		free(ix->m[i].name);
	free(ix->m);
	memset(ix, 0, sizeof(*ix));
}

static struct archive *
bundle_read_open(const char *path)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		return NULL;
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_filename(a, path, BLOCK) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Every member of the bundle at path: its header fields and SHA-256. */
static int
index_bundle(const char *path, struct index *ix)
{
	struct archive *a = bundle_read_open(path);
	struct archive_entry *e;
	gcry_md_hd_t h = NULL;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r, ret = 0;

	if (a == NULL)
		return -EINVAL;
	if (gcry_md_open(&h, GCRY_MD_SHA256, 0)) {
		ret = -ENOMEM;
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		struct member *m;

		if (ix->n == ix->cap) {
			size_t cap = ix->cap ? ix->cap * 2 : 64;
			if ((m = realloc(ix->m, cap * sizeof(*m))) == NULL) {
				ret = -ENOMEM;
				goto out;
			}
			ix->m = m;
			ix->cap = cap;
		}
		m = &ix->m[ix->n];
		memset(m, 0, sizeof(*m));
		if ((m->name = strdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "")) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		m->size = archive_entry_size(e);
		m->mtime = archive_entry_mtime(e);
		m->mode = archive_entry_mode(e);
		m->uid = archive_entry_uid(e);
		m->gid = archive_entry_gid(e);
		m->pos = ix->n++;
		gcry_md_reset(h);
		while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
			gcry_md_write(h, buf, len);
		if (r != ARCHIVE_EOF) {
			ret = -EIO;
			goto out;
		}
		memcpy(m->sha, gcry_md_read(h, GCRY_MD_SHA256), 32);
	}
	if (r != ARCHIVE_EOF)
		ret = -EIO;
out:
	gcry_md_close(h);
	archive_read_free(a);
	return ret;
}

static int
cmp_member_name(const void *a, const void *b)
{
	const struct member *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* What differs between two members of one name ("" when nothing does). */
static const char *
member_diff(const struct member *a, const struct member *b)
{
	if (memcmp(a->sha, b->sha, 32) || a->size != b->size)
		return "content";
	if (a->mtime != b->mtime)
		return "time";
	if (a->mode != b->mode)
		return "mode";
	if (a->uid != b->uid || a->gid != b->gid)
		return "owner";
	return "";
}

/* Members whose differences a line number locates. */
static int
is_text_member(const char *name)
{
	static const char *const exts[] = { ".json", ".geojson", ".csv", ".kml", ".gpx" };
	size_t i, n = strlen(name), k;

	if (!strcmp(name, "SHA256SUMS"))
		return 1;
	for (i = 0; i < CT_ARRAY_SIZE(exts); i++) {
		k = strlen(exts[i]);
		if (n > k && !strcmp(name + n - k, exts[i]))
			return 1;
	}
	return 0;
}

/* The archive a, positioned at its member number pos. */
static int
seek_member(struct archive *a, size_t pos)
{
	struct archive_entry *e;
	size_t i;

	for (i = 0; i <= pos; i++)
		if (archive_read_next_header(a, &e) != ARCHIVE_OK)
			return -EIO;
	return 0;
}

/* Up to n bytes of the current member into buf (fewer only at its end). */
static la_ssize_t
read_full(struct archive *a, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		la_ssize_t k = archive_read_data(a, buf + got, n - got);
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (la_ssize_t)got;
}

/*
 * The first byte at which member pa of bundle a and member pb of bundle b
 * differ (*off), and its line (1 + the newlines before it).
 */
static int
first_difference(const char *a_path, size_t pa, const char *b_path, size_t pb, uint64_t *off,
		 uint64_t *line)
{
	struct archive *a = bundle_read_open(a_path), *b = bundle_read_open(b_path);
	unsigned char *x = malloc(BLOCK), *y = malloc(BLOCK);
	uint64_t at = 0, nl = 0;
	int ret = -EIO;

	if (a == NULL || b == NULL || x == NULL || y == NULL || seek_member(a, pa) < 0 ||
	    seek_member(b, pb) < 0)
		goto out;
	for (;;) {
		la_ssize_t na = read_full(a, x, BLOCK), nb = read_full(b, y, BLOCK);
		size_t i, n;

		if (na < 0 || nb < 0)
			goto out;
		n = (size_t)(na < nb ? na : nb);
		for (i = 0; i < n && x[i] == y[i]; i++)
			if (x[i] == '\n')
				nl++;
		if (i < n || na != nb || na == 0) {
			*off = at + i;
			*line = nl + 1;
			ret = 0;
			goto out;
		}
		at += n;
	}
out:
	free(x);
	free(y);
	if (a)
		archive_read_free(a);
	if (b)
		archive_read_free(b);
	return ret;
}

/*
 * Compare the recorded bundle with the reproduction: into v, "members"
 * (the names that differ, recorded order, then those only the
 * reproduction has), "first" {member, what, line | offset} or null.
 */
static int
compare_bundles(const char *recorded, const char *made, struct json_object *v)
{
	struct index r = { 0 }, p = { 0 };
	struct member **byname = NULL, *first_r = NULL, *first_p = NULL;
	struct json_object *list = json_object_new_array(), *first = NULL;
	const char *what = NULL;
	size_t i, ndiff = 0;
	int ret;

	if ((ret = index_bundle(recorded, &r)) < 0 || (ret = index_bundle(made, &p)) < 0)
		goto out;
	if (p.n && (byname = malloc(p.n * sizeof(*byname))) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < p.n; i++)
		byname[i] = &p.m[i];
	qsort(byname, p.n, sizeof(*byname), cmp_member_name);
	for (i = 0; i < r.n; i++) {
		struct member key = { .name = r.m[i].name }, *kp = &key, **hit;
		const char *d;

		hit = p.n ? bsearch(&kp, byname, p.n, sizeof(*byname), cmp_member_name) : NULL;
		d = hit ? member_diff(&r.m[i], *hit) : "only in the recorded bundle";
		if (hit)
			(*hit)->matched = 1;
		if (*d == '\0')
			continue;
		if (ndiff++ < LISTED_MAX)
			json_object_array_add(list, json_object_new_string(r.m[i].name));
		if (first_r == NULL) {
			first_r = &r.m[i];
			first_p = hit ? *hit : NULL;
			what = d;
		}
	}
	for (i = 0; i < p.n; i++) {
		if (p.m[i].matched)
			continue;
		if (ndiff++ < LISTED_MAX)
			json_object_array_add(list, json_object_new_string(p.m[i].name));
		if (first_r == NULL && first_p == NULL) {
			first_p = &p.m[i];
			what = "only in the reproduction";
		}
	}
	if (first_r || first_p) {
		const struct member *m = first_r ? first_r : first_p;
		first = json_object_new_object();
		json_object_object_add(first, "member", json_object_new_string(m->name));
		json_object_object_add(first, "what", json_object_new_string(what));
		if (first_r && first_p && !strcmp(what, "content")) {
			uint64_t off = 0, line = 0;
			if (first_difference(recorded, first_r->pos, made, first_p->pos, &off, &line) == 0) {
				if (is_text_member(m->name))
					json_object_object_add(first, "line", json_object_new_int64((int64_t)line));
				json_object_object_add(first, "offset", json_object_new_int64((int64_t)off));
			}
		}
	} else if (r.n == p.n) {
		/* the same members, in another order or with other tar headers */
		for (i = 0; i < r.n && !strcmp(r.m[i].name, p.m[i].name); i++)
			;
		first = json_object_new_object();
		json_object_object_add(first, "member", i < r.n ?
				       json_object_new_string(r.m[i].name) : NULL);
		json_object_object_add(first, "what", json_object_new_string(
			i < r.n ? "order" : "tar headers or padding"));
	}
	json_object_object_add(v, "members", json_object_get(list));
	json_object_object_add(v, "members_differing", json_object_new_int64((int64_t)ndiff));
	json_object_object_add(v, "first", first);
	ret = 0;
out:
	json_object_put(list);
	free(byname);
	index_release(&r);
	index_release(&p);
	return ret;
}

/* ---- the re-run ---- */

static void
set_verdict(struct json_object *v, const char *status, const char *detail)
{
	json_object_object_add(v, "status", json_object_new_string(status));
	json_object_object_add(v, "detail", json_object_new_string(detail));
}

/* The version that made a record's bundle: its producer, else its tool
 * string ("cardtrail 0.1.0 (libgcrypt …)"). */
static void
recorded_version(struct json_object *rec, char *buf, size_t len)
{
	const char *v = ct_json_str(ct_json_get(ct_json_get(rec, "result"), "producer"), "version",
				    NULL);
	const char *t = ct_json_str(rec, "tool", "");

	if (v) {
		snprintf(buf, len, "%s", v);
		return;
	}
	if (!strncmp(t, "cardtrail ", 10))
		snprintf(buf, len, "%.*s", (int)strcspn(t + 10, " "), t + 10);
	else
		snprintf(buf, len, "unknown");
}

/* "ulog,dataflash,…" of a record, or "" when it does not say. */
static void
parser_set(struct json_object *producer, char *buf, size_t len)
{
	struct json_object *p = ct_json_get(producer, "parsers");
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; p && i < json_object_array_length(p) && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
				      json_object_get_string(json_object_array_get_idx(p, i)));
}

static void
remove_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[PATH_MAX];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    ct_snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) == 0)
			unlink(p);
	closedir(d);
	rmdir(dir);
}

/* The record's options for a new run (an older record has none: the
 * defaults, and force if it was forced). */
static void
rerun_opts(struct json_object *rec, const char *casedir, const char *evidence, const char *tmp,
	   struct ct_extract_opts *o)
{
	struct json_object *res = ct_json_get(rec, "result"), *op = ct_json_get(res, "options");

	memset(o, 0, sizeof(*o));
	o->casedir = casedir;
	o->evidence = evidence;
	o->outdir = tmp;
	o->force = json_object_get_boolean(ct_json_get(op ? op : res, op ? "force" : "forced"));
	o->no_carve = op && ct_json_get(op, "carve") && !json_object_get_boolean(ct_json_get(op, "carve"));
	o->max_files = (uint64_t)json_object_get_int64(ct_json_get(op, "max_files"));
	o->walk_timeout = json_object_get_double(ct_json_get(op, "walk_timeout"));
}

/* The verdict of one extraction into v: status, detail. */
static void
judge(struct json_object *v, int same_version, const char *by)
{
	struct json_object *first = ct_json_get(v, "first"), *list = ct_json_get(v, "members");
	long long ndiff = json_object_get_int64(ct_json_get(v, "members_differing"));
	const char *fm = ct_json_str(first, "member", "(none)");
	char detail[1024], names[600] = "";
	size_t i, o = 0;

	for (i = 0; list && i < json_object_array_length(list) && o < sizeof(names); i++)
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "",
				      json_object_get_string(json_object_array_get_idx(list, i)));
	if (ndiff > (long long)LISTED_MAX && o < sizeof(names))
		snprintf(names + o, sizeof(names) - o, ", ...");
	json_object_object_add(v, "status", json_object_new_string(same_version ? "NOT REPRODUCED" :
								   "other version"));
	if (!same_version)
		snprintf(detail, sizeof(detail), "made by cardtrail %s, not by this cardtrail %s: "
			 "%lld member%s differ%s (%s); another version may write them otherwise, so "
			 "this tells neither way whether they were altered: reproduce it with "
			 "cardtrail %s", by, CT_VERSION, ndiff, ndiff == 1 ? "" : "s",
			 ndiff == 1 ? "s" : "", names, by);
	else if (ct_json_get(first, "line"))
		snprintf(detail, sizeof(detail), "not what the image yields: first difference in "
			 "member %s, line %lld", fm,
			 (long long)json_object_get_int64(ct_json_get(first, "line")));
	else if (ct_json_get(first, "offset"))
		snprintf(detail, sizeof(detail), "not what the image yields: first difference in "
			 "member %s, at byte %lld", fm,
			 (long long)json_object_get_int64(ct_json_get(first, "offset")));
	else if (ct_json_str(first, "member", NULL) == NULL)
		snprintf(detail, sizeof(detail), "not what the image yields: every member is the "
			 "same, the tar's own bytes differ (%s)", ct_json_str(first, "what", "?"));
	else
		snprintf(detail, sizeof(detail), "not what the image yields: first difference in "
			 "member %s (%s)", fm, ct_json_str(first, "what", "?"));
	json_object_object_add(v, "detail", json_object_new_string(detail));
}

/* Re-run the extraction of one record and judge it into v. */
static void
reproduce_one(const char *casedir, const struct ct_reproduce_opts *ro, struct json_object *rec,
	      struct json_object *out, struct json_object *v)
{
	struct ct_extract_opts o;
	struct ct_extract_result res;
	struct json_object *producer = ct_json_get(ct_json_get(rec, "result"), "producer");
	const char *bundle = ct_json_str(out, "path", "?"), *want = ct_json_str(out, "sha256", "");
	const char *evidence = ct_json_str(ct_json_get(rec, "subject"), "evidence", NULL);
	char tmp[PATH_MAX], by[64], set_by[512], set_now[512], recorded[PATH_MAX], hex[65] = "";
	unsigned char digest[32];
	struct json_object *now = ct_extract_producer_json();
	int ret, same;

	recorded_version(rec, by, sizeof(by));
	parser_set(producer, set_by, sizeof(set_by));
	parser_set(now, set_now, sizeof(set_now));
	json_object_put(now);
	same = !strcmp(by, CT_VERSION) && (set_by[0] == '\0' || !strcmp(set_by, set_now));
	json_object_object_add(v, "made_by", json_object_new_string(by));
	if (set_by[0])
		json_object_object_add(v, "parsers", json_object_new_string(set_by));
	json_object_object_add(v, "recorded_sha256", json_object_new_string(want));
	if (evidence == NULL || strchr(evidence, '/') || *evidence == '.') {
		set_verdict(v, "FAILED", "the record names no evidence whose extraction could be "
			    "re-run");
		return;
	}
	json_object_object_add(v, "evidence", json_object_new_string(evidence));
	if (ct_snprintf(tmp, sizeof(tmp), "%s/cardtrail-reproduce.XXXXXX", ro->tmpdir ? ro->tmpdir :
			"/tmp") < 0 || mkdtemp(tmp) == NULL) {
		set_verdict(v, "FAILED", "cannot create a temporary folder for the extraction");
		return;
	}
	rerun_opts(rec, casedir, evidence, tmp, &o);
	o.bufsize = ro->bufsize;
	ret = ct_extract_run(&o, &res);
	if (ret < 0) {
		char d[1200];
		snprintf(d, sizeof(d), "the extraction of %s could not be re-run: %s", evidence,
			 res.error[0] ? res.error : strerror(-ret));
		set_verdict(v, "FAILED", d);
		goto out;
	}
	if (ct_sha256_file(res.bundle, digest, NULL) < 0) {
		set_verdict(v, "FAILED", "cannot read back the reproduced bundle");
		goto out;
	}
	ct_hex(digest, 32, hex);
	json_object_object_add(v, "sha256", json_object_new_string(hex));
	if (!strcmp(hex, want)) {
		set_verdict(v, "reproduced", "sha256 as recorded");
		goto out;
	}
	/* a path that leaves the case (plain verify names it) is not read */
	if (strchr(bundle, '/') || *bundle == '.' ||
	    ct_snprintf(recorded, sizeof(recorded), "%s/%s", casedir, bundle) < 0 ||
	    access(recorded, R_OK) < 0) {
		set_verdict(v, same ? "NOT REPRODUCED" : "other version", "its sha256 is not the "
			    "recorded one, and the recorded bundle is not in the case to name the "
			    "member that differs");
		goto out;
	}
	if (ct_sha256_file(recorded, digest, NULL) == 0) {
		char rhex[65];
		ct_hex(digest, 32, rhex);
		if (!strcmp(rhex, hex)) {
			set_verdict(v, "NOT REPRODUCED", "the bundle in the case is what the image "
				    "yields, but its record names another sha256");
			goto out;
		}
	}
	if (compare_bundles(recorded, res.bundle, v) < 0) {
		set_verdict(v, same ? "NOT REPRODUCED" : "other version", "its sha256 is not the "
			    "recorded one, and the recorded bundle cannot be read as a tar to name "
			    "the member that differs");
		goto out;
	}
	judge(v, same, by);
out:
	ct_extract_result_release(&res);
	remove_tmp(tmp);
}

int
ct_reproduce_case(const char *casedir, const struct ct_reproduce_opts *ro,
		  struct json_object **report)
{
	struct ct_custody_log log = { 0 };
	struct json_object *list = json_object_new_array(), *rep = json_object_new_object();
	size_t i, k, n_ok = 0;
	int ret;

	*report = NULL;
	if ((ret = ct_custody_read(casedir, &log)) != 0 || (ret = ct_gcrypt_init()) < 0) {
		json_object_put(list);
		json_object_put(rep);
		ct_custody_release(&log);
		return ret;
	}
	for (i = 0; i < log.n; i++) {
		struct json_object *rec = log.lines[i].rec, *outs = ct_json_get(rec, "outputs");
		if (rec == NULL || strcmp(ct_json_str(rec, "action", ""), "extract"))
			continue;
		for (k = 0; outs && k < json_object_array_length(outs); k++) {
			struct json_object *out = json_object_array_get_idx(outs, k), *v;
			if (strcmp(ct_json_str(out, "role", ""), "evidence-bundle"))
				continue;
			v = json_object_new_object();
			json_object_object_add(v, "seq", json_object_new_int64(
				json_object_get_int64(ct_json_get(rec, "seq"))));
			json_object_object_add(v, "path", json_object_new_string(ct_json_str(out, "path", "?")));
			reproduce_one(casedir, ro, rec, out, v);
			if (!strcmp(ct_json_str(v, "status", ""), "reproduced"))
				n_ok++;
			json_object_array_add(list, v);
		}
	}
	json_object_object_add(rep, "bundles", list);
	json_object_object_add(rep, "reproduced", json_object_new_int64((int64_t)n_ok));
	json_object_object_add(rep, "ok", json_object_new_boolean(
		n_ok == json_object_array_length(list)));
	json_object_object_add(rep, "version", json_object_new_string(CT_VERSION));
	ct_custody_release(&log);
	*report = rep;
	return 0;
}
