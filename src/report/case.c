/*
 * case.c — the case as the report reads it: the verdict of verify, the
 * custody records, and for each evidence the files those records name
 * (acquisition record, the last evidence bundle, wipe certificates).
 * Only files the chain names are read, and only inside the case folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/util.h"
#include "report_int.h"

/* JSON records of the case are small; a bigger one is not ours. */
#define MAX_RECORD_FILE (16u << 20)

/* A path from a record that stays inside the case folder (one name). */
static int
case_name_ok(const char *p)
{
	return p && *p && *p != '.' && strchr(p, '/') == NULL && strlen(p) < 256;
}

/* Read CASEDIR/name as JSON (bounded, no symlinks). */
static struct json_object *
read_json(const char *casedir, const char *name)
{
	struct json_object *j = NULL;
	struct json_tokener *tok;
	char path[PATH_MAX], *buf;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	if (!case_name_ok(name) || ct_snprintf(path, sizeof(path), "%s/%s", casedir, name) < 0)
		return NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_RECORD_FILE ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	if ((tok = json_tokener_new()) != NULL) {
		j = json_tokener_parse_ex(tok, buf, (int)got);
		json_tokener_free(tok);
	}
	free(buf);
	if (j && !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		j = NULL;
	}
	return j;
}

static struct rp_evidence *
evidence(struct rp_case *c, const char *id)
{
	struct rp_evidence *e;
	size_t i;

	if (id == NULL || *id == '\0' || strlen(id) >= sizeof(c->ev[0].id))
		return NULL;
	for (i = 0; i < c->nev; i++)
		if (!strcmp(c->ev[i].id, id))
			return &c->ev[i];
	e = realloc(c->ev, (c->nev + 1) * sizeof(*e));
	if (e == NULL)
		return NULL;
	c->ev = e;
	e = &c->ev[c->nev++];
	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%s", id);
	return e;
}

/* The output of a record with a role, or NULL. */
static const char *
output_with_role(struct json_object *rec, const char *role)
{
	struct json_object *outs = ct_json_get(rec, "outputs");
	size_t i;

	for (i = 0; outs && json_object_is_type(outs, json_type_array) &&
		    i < json_object_array_length(outs); i++) {
		struct json_object *o = json_object_array_get_idx(outs, i);
		const char *r = ct_json_str(o, "role", NULL);
		if (r && !strcmp(r, role))
			return ct_json_str(o, "path", NULL);
	}
	return NULL;
}

static int
add_wipe(struct rp_case *c, struct rp_evidence *e, struct json_object *rec)
{
	struct rp_wipe *w = realloc(e->wipes, (e->nwipes + 1) * sizeof(*w));

	if (w == NULL)
		return -ENOMEM;
	e->wipes = w;
	w = &e->wipes[e->nwipes++];
	w->rec = rec;
	w->cert_name = output_with_role(rec, "certificate");
	w->cert = w->cert_name ? read_json(c->casedir, w->cert_name) : NULL;
	return 0;
}

/* One custody record: which evidence it is about and what it names. */
static int
take_record(struct rp_case *c, struct json_object *rec)
{
	const char *action = ct_json_str(rec, "action", ""), *name;
	const char *id = ct_json_str(ct_json_get(rec, "subject"), "evidence", NULL);
	struct rp_evidence *e;

	if (strcmp(action, "image") && strcmp(action, "adopt") && strcmp(action, "extract") &&
	    strcmp(action, "wipe"))
		return 0;
	if ((e = evidence(c, id)) == NULL)
		return id && strlen(id) < sizeof(c->ev[0].id) ? -ENOMEM : 0;
	if (!strcmp(action, "wipe"))
		return add_wipe(c, e, rec);
	if (!strcmp(action, "extract")) {
		e->extract_rec = rec;
		e->nextract++;
		name = output_with_role(rec, "evidence-bundle");
		snprintf(e->bundle_name, sizeof(e->bundle_name), "%s",
			 name && case_name_ok(name) ? name : "");
		return 0;
	}
	/* image, adopt: the last complete one */
	e->image_rec = rec;
	name = output_with_role(rec, "acquisition-record");
	if (name && case_name_ok(name)) {
		json_object_put(e->acq);
		e->acq = read_json(c->casedir, name);
		snprintf(e->acq_name, sizeof(e->acq_name), "%s", name);
	}
	return 0;
}

int
rp_case_load(struct rp_case *c, const char *casedir, const struct ct_verify_opts *vo)
{
	size_t i;
	int ret;

	memset(c, 0, sizeof(*c));
	c->casedir = casedir;
	ret = ct_custody_verify(casedir, vo, &c->verify);
	if (ret == 1)
		return 1;
	if (ret < 0) {
		snprintf(c->error, sizeof(c->error), "cannot verify the custody log of '%s': %s",
			 casedir, strerror(-ret));
		return ret;
	}
	c->caseid = ct_json_str(c->verify, "case", "?");
	c->head = ct_json_str(c->verify, "head", "");
	c->verified = json_object_get_boolean(ct_json_get(c->verify, "ok"));
	if ((ret = ct_custody_read(casedir, &c->log)) != 0) {
		snprintf(c->error, sizeof(c->error), "cannot read the custody log of '%s': %s",
			 casedir, ret == 1 ? "it is gone" : strerror(-ret));
		return ret < 0 ? ret : -ENOENT;
	}
	for (i = 0; i < c->log.n; i++)
		if (c->log.lines[i].rec && (ret = take_record(c, c->log.lines[i].rec)) < 0)
			return ret;
	for (i = 0; i < c->nev; i++)
		if (c->ev[i].bundle_name[0] && (ret = rp_bundle_read(c, i)) < 0)
			return ret;
	if ((ret = rp_same_content(c)) < 0 || (ret = rp_flights_build(c)) < 0 ||
	    (ret = rp_timeline_build(c)) < 0)
		return ret;
	return 0;
}

void
rp_case_release(struct rp_case *c)
{
	size_t i, k;

	for (i = 0; i < c->nev; i++) {
		json_object_put(c->ev[i].acq);
		json_object_put(c->ev[i].manifest);
		json_object_put(c->ev[i].flights);
		json_object_put(c->ev[i].photos);
		for (k = 0; k < c->ev[i].nwipes; k++)
			json_object_put(c->ev[i].wipes[k].cert);
		free(c->ev[i].wipes);
	}
	free(c->ev);
	for (i = 0; i < c->nsrc; i++) {
		free(c->src[i].pts);
		free(c->src[i].also);
	}
	free(c->src);
	for (i = 0; i < c->nfl; i++)
		free(c->fl[i].src);
	free(c->fl);
	for (i = 0; i < c->ntl; i++) {
		free(c->tl[i].time);
		free(c->tl[i].evidence);
		free(c->tl[i].what);
		free(c->tl[i].state);
		free(c->tl[i].path);
		free(c->tl[i].detail);
	}
	free(c->tl);
	ct_custody_release(&c->log);
	json_object_put(c->verify);
	memset(c, 0, sizeof(*c));
}
