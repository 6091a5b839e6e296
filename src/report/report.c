/*
 * report.c — `cardtrail report`: verify, read the case, build the
 * document, write report.html / report.pdf and timeline.csv /
 * timeline.body into the case folder (or the report to --out), each
 * created O_EXCL and fsynced; the command then appends the custody record.
 *
 * Names: report.html, report.pdf, timeline.csv, timeline.body; when any of
 * those exists, report-2.*, timeline-2.* and so on (one number for the
 * whole run).  Nothing is overwritten.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "cardtrail/report.h"
#include "cardtrail/util.h"
#include "report_int.h"

/* One output in memory, before it is written. */
struct blob {
	char *data;
	size_t len;
	const char *role;
	const char *ext;	/* default name: stem + ext */
	int timeline;		/* timeline.* (always in the case) */
};

static int
seterr(struct ct_report_result *res, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
seterr(struct ct_report_result *res, int ret, const char *fmt, ...)
{
	va_list ap;

	if (res->error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(res->error, sizeof(res->error), fmt, ap);
		va_end(ap);
	}
	return ret;
}

static int
memfile(struct blob *b, int (*fn)(const struct rp_case *, const struct rp_doc *, FILE *),
	const struct rp_case *c, const struct rp_doc *d)
{
	FILE *f = open_memstream(&b->data, &b->len);
	int ret;

	if (f == NULL)
		return -ENOMEM;
	ret = fn(c, d, f);
	if (fclose(f) != 0 && ret == 0)
		ret = -ENOMEM;
	return ret;
}

static int
html_fn(const struct rp_case *c, const struct rp_doc *d, FILE *f)
{
	return rp_html_write(c, d, f);
}

static int
csv_fn(const struct rp_case *c, const struct rp_doc *d, FILE *f)
{
	(void)d;
	return rp_timeline_csv(c, f);
}

static int
body_fn(const struct rp_case *c, const struct rp_doc *d, FILE *f)
{
	(void)d;
	return rp_timeline_body(c, f);
}

static int
exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (ct_snprintf(path, sizeof(path), "%s/%s", dir, name) < 0)
		return 1;
	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* report.html, timeline.csv, …; with k > 1 report-K.html, … */
static void
case_name(char *name, size_t len, const struct blob *b, int k)
{
	const char *stem = b->timeline ? "timeline" : "report";

	if (k == 1)
		snprintf(name, len, "%s%s", stem, b->ext);
	else
		snprintf(name, len, "%s-%d%s", stem, k, b->ext);
}

/* The first k for which none of the run's names exists yet. */
static int
pick_stem(const char *casedir, const struct blob *b, size_t n, int out_given, int *k)
{
	char name[64];
	size_t i;

	for (*k = 1; *k < 10000; (*k)++) {
		int clash = 0;
		for (i = 0; i < n && !clash; i++) {
			if (out_given && !b[i].timeline)
				continue;
			case_name(name, sizeof(name), &b[i], *k);
			clash = exists(casedir, name);
		}
		if (!clash)
			return 0;
	}
	return -EEXIST;
}

/* --out FILE: FILE itself for one format; with two, its extension
 * (.html, .htm, .pdf or none) replaced by each one's. */
static int
out_path(const char *out, const char *ext, int both, char *path, size_t len)
{
	const char *slash = strrchr(out, '/'), *dot = strrchr(out, '.');
	size_t stem = strlen(out);

	if (!both)
		return ct_snprintf(path, len, "%s", out);
	if (dot && (!slash || dot > slash) &&
	    (!strcmp(dot, ".html") || !strcmp(dot, ".htm") || !strcmp(dot, ".pdf")))
		stem = (size_t)(dot - out);
	return ct_snprintf(path, len, "%.*s%s", (int)stem, out, ext);
}

/* Is dir the case folder itself?  1 or 0, decided by the folders (device
 * and inode), not by their absolute paths, which a user who cannot search
 * an ancestor cannot resolve; -errno when either cannot be looked at. */
static int
same_dir(const char *dir, const char *casedir)
{
	struct stat a, b;

	if (stat(dir, &a) < 0 || stat(casedir, &b) < 0)
		return -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int
write_blob(const struct ct_report_opts *o, struct ct_report_result *res, const struct blob *b,
	   int k)
{
	struct ct_report_file *f = &res->files[res->nfiles];
	char dir[PATH_MAX], name[256];
	const char *base;
	int ret, in_case;

	if (o->out && !b->timeline) {
		if ((ret = out_path(o->out, b->ext, o->formats == (CT_REPORT_HTML | CT_REPORT_PDF),
				    f->path, sizeof(f->path))) < 0)
			return seterr(res, ret, "'%s': path too long", o->out);
		base = strrchr(f->path, '/');
		snprintf(dir, sizeof(dir), "%.*s", base ? (int)(base - f->path) : 1,
			 base ? f->path : ".");
		if (base && base == f->path)
			snprintf(dir, sizeof(dir), "/");
		snprintf(name, sizeof(name), "%s", base ? base + 1 : f->path);
	} else {
		snprintf(dir, sizeof(dir), "%s", o->casedir);
		case_name(name, sizeof(name), b, k);
		if ((ret = ct_snprintf(f->path, sizeof(f->path), "%s/%s", dir, name)) < 0)
			return seterr(res, ret, "'%s': path too long", o->casedir);
	}
	if ((in_case = same_dir(dir, o->casedir)) < 0)
		return seterr(res, in_case, "cannot tell whether '%s' is in the case folder '%s': %s",
			      dir, o->casedir, strerror(-in_case));
	if ((ret = ct_write_new_file(dir, name, b->data, b->len)) < 0)
		return seterr(res, ret, "cannot write '%s': %s", f->path, ret == -EEXIST ?
			      "it exists (nothing is overwritten)" : strerror(-ret));
	snprintf(f->name, sizeof(f->name), "%s", in_case ? name : "");
	ct_sha256_hex(b->data, b->len, f->sha256);
	f->bytes = b->len;
	f->role = b->role;
	res->nfiles++;
	return 0;
}

static void
summarise(const struct rp_case *c, struct ct_report_result *res)
{
	struct json_object *probs = ct_json_get(c->verify, "problems");

	res->verified = c->verified;
	res->problems = probs ? json_object_array_length(probs) : 0;
	if (res->problems)
		snprintf(res->first_problem, sizeof(res->first_problem), "%s",
			 json_object_get_string(json_object_array_get_idx(probs, 0)));
	snprintf(res->head, sizeof(res->head), "%s", c->head);
	snprintf(res->caseid, sizeof(res->caseid), "%s", c->caseid);
	res->records = c->log.n;
	res->evidences = c->nev;
	res->flights = c->nfl;
	res->sources = c->nsrc - c->nphotos;
	res->photos = c->nphotos_all;
	res->photos_located = c->nphotos;
	res->events = c->ntl;
}

int
ct_report_run(const struct ct_report_opts *o, struct ct_report_result *res)
{
	struct rp_case c;
	struct rp_doc d;
	struct rp_tiles *tiles = NULL;
	struct blob b[4];
	char err[512] = "";
	size_t nb = 0, i;
	int ret, k = 1;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	memset(b, 0, sizeof(b));
	if (o->tiles) {
		unsigned char dg[32];
		unsigned long long bytes;
		if ((ret = rp_tiles_open(o->tiles, &tiles, err, sizeof(err))) < 0)
			return seterr(res, ret, "%s", err);
		if ((ret = ct_sha256_file(o->tiles, dg, &bytes)) < 0) {
			rp_tiles_close(tiles);
			return seterr(res, ret, "cannot read '%s': %s", o->tiles, strerror(-ret));
		}
		ct_hex(dg, 32, res->tiles_sha256);
	}
	ret = rp_case_load(&c, o->casedir, o->verify);
	if (ret != 0) {
		if (ret < 0)
			seterr(res, ret, "%s", c.error[0] ? c.error : strerror(-ret));
		goto out;
	}
	c.tiles = tiles;
	summarise(&c, res);
	if ((ret = rp_doc_build(&c, &d)) < 0) {
		seterr(res, ret, "cannot build the report: %s", strerror(-ret));
		goto out;
	}
	if (o->formats & CT_REPORT_HTML) {
		b[nb] = (struct blob){ .role = "report-html", .ext = ".html" };
		if ((ret = memfile(&b[nb++], html_fn, &c, &d)) < 0) {
			seterr(res, ret, "cannot make the HTML report: %s", strerror(-ret));
			goto out;
		}
	}
	if (o->formats & CT_REPORT_PDF) {
		b[nb] = (struct blob){ .role = "report-pdf", .ext = ".pdf" };
		if ((ret = rp_pdf_write(&c, &d, &b[nb].data, &b[nb].len, err, sizeof(err))) < 0) {
			seterr(res, ret, "%s", err);
			goto out;
		}
		nb++;
	}
	b[nb] = (struct blob){ .role = "timeline-csv", .ext = ".csv", .timeline = 1 };
	if ((ret = memfile(&b[nb++], csv_fn, &c, &d)) < 0)
		goto out;
	b[nb] = (struct blob){ .role = "timeline-body", .ext = ".body", .timeline = 1 };
	if ((ret = memfile(&b[nb++], body_fn, &c, &d)) < 0)
		goto out;
	if ((ret = pick_stem(o->casedir, b, nb, o->out != NULL, &k)) < 0) {
		seterr(res, ret, "too many reports in '%s'", o->casedir);
		goto out;
	}
	for (i = 0; i < nb; i++)
		if ((ret = write_blob(o, res, &b[i], k)) < 0)
			goto out;
	ret = 0;
out:
	if (ret < 0 && res->error[0] == '\0')
		seterr(res, ret, "%s", strerror(-ret));
	for (i = 0; i < CT_ARRAY_SIZE(b); i++)
		free(b[i].data);
	rp_doc_release(&d);
	rp_case_release(&c);
	if (tiles)
		res->tiles_refused = rp_tiles_refused(tiles, &res->tile_w, &res->tile_h);
	rp_tiles_close(tiles);
	return ret;
}

static struct json_object *
file_json(const struct ct_report_file *f, int inside)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "path", json_object_new_string(inside ? f->name : f->path));
	json_object_object_add(o, "sha256", json_object_new_string(f->sha256));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)f->bytes));
	json_object_object_add(o, "role", json_object_new_string(f->role));
	return o;
}

struct json_object *
ct_report_custody_record(const struct ct_report_opts *o, const struct ct_report_result *res)
{
	struct json_object *r = json_object_new_object(), *ins = json_object_new_array();
	struct json_object *outs = json_object_new_array(), *ext = json_object_new_array();
	struct json_object *in = json_object_new_object(), *result = json_object_new_object();
	size_t i;

	json_object_object_add(r, "action", json_object_new_string("report"));
	json_object_object_add(in, "path", json_object_new_string(CT_CUSTODY_LOG));
	json_object_object_add(in, "head", json_object_new_string(res->head));
	json_object_object_add(in, "records", json_object_new_int64((int64_t)res->records));
	json_object_object_add(in, "role", json_object_new_string("custody-log"));
	json_object_array_add(ins, in);
	if (o->tiles) {
		in = json_object_new_object();
		json_object_object_add(in, "path", json_object_new_string(o->tiles));
		json_object_object_add(in, "sha256", json_object_new_string(res->tiles_sha256));
		json_object_object_add(in, "role", json_object_new_string("tiles"));
		json_object_array_add(ins, in);
	}
	json_object_object_add(r, "inputs", ins);
	for (i = 0; i < res->nfiles; i++)
		json_object_array_add(res->files[i].name[0] ? outs : ext,
				      file_json(&res->files[i], res->files[i].name[0] != '\0'));
	json_object_object_add(r, "outputs", outs);
	json_object_object_add(result, "verified", json_object_new_boolean(res->verified));
	json_object_object_add(result, "problems", json_object_new_int64((int64_t)res->problems));
	json_object_object_add(result, "evidences", json_object_new_int64((int64_t)res->evidences));
	json_object_object_add(result, "flights", json_object_new_int64((int64_t)res->flights));
	json_object_object_add(result, "photos", json_object_new_int64((int64_t)res->photos));
	json_object_object_add(result, "events", json_object_new_int64((int64_t)res->events));
	json_object_object_add(result, "outside_case", ext);
	json_object_object_add(r, "result", result);
	return r;
}
