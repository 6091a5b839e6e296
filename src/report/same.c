/*
 * same.c — one card's content imaged more than once (raw and E01, or an
 * image adopted next to our own) is one content, not two cards.
 *
 * Two evidence items are of the same content when their acquisition
 * records give the same size and the same value for every hash both
 * name, a SHA-256 (or SHA-512) among them: the weaker hashes alone do not
 * make two items one.  Such items stay apart in the report (each has its
 * own record, files and custody), but an entry of their flights.json
 * found identical in several of them is one source that says where else
 * it was found: its flight is counted and listed once.  Items whose
 * content differs are never joined, whatever their files hold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "report_int.h"

/* Hashes that decide alone; md5 and sha1 only agree or disagree. */
static const char *const strong[] = { "sha256", "sha512" };

static int
is_strong(const char *algo)
{
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(strong); i++)
		if (!strcmp(algo, strong[i]))
			return 1;
	return 0;
}

/* 1 when a and b are of the same content (how: the hashes compared). */
static int
same_image(const struct rp_evidence *a, const struct rp_evidence *b, char *how, size_t len)
{
	struct json_object *ha = ct_json_get(a->acq, "hashes"), *hb = ct_json_get(b->acq, "hashes");
	struct json_object *v;
	int64_t na = json_object_get_int64(ct_json_get(a->acq, "bytes"));
	size_t used = 0;
	int decided = 0;

	if (a->acq == NULL || b->acq == NULL || na <= 0 ||
	    na != json_object_get_int64(ct_json_get(b->acq, "bytes")) ||
	    !json_object_is_type(ha, json_type_object) || !json_object_is_type(hb, json_type_object))
		return 0;
	how[0] = '\0';
	json_object_object_foreach(ha, algo, va) {
		const char *x = json_object_get_string(va), *y;
		int n;
		if (!json_object_object_get_ex(hb, algo, &v))
			continue;
		y = json_object_get_string(v);
		if (!json_object_is_type(va, json_type_string) || !json_object_is_type(v, json_type_string) ||
		    strlen(x) < 32 || strcasecmp(x, y) != 0)
			return 0;
		decided |= is_strong(algo);
		n = snprintf(how + used, len - used, "%s%s", used ? ", " : "", algo);
		if (n > 0 && (size_t)n < len - used)
			used += (size_t)n;
	}
	return decided;
}

/* Is entry (of evidence ev) also in an earlier item of its content?  The
 * source index, or -1. */
static long
earlier_source(const struct rp_case *c, size_t upto, size_t ev, struct json_object *entry)
{
	size_t i;

	for (i = 0; i < upto; i++) {
		const struct rp_source *s = &c->src[i];
		if (s->ev != ev && c->ev[s->ev].same == c->ev[ev].same &&
		    json_object_equal(s->entry, entry))
			return (long)i;
	}
	return -1;
}

/* Merge sources found in several items of one content into the first. */
static int
merge_sources(struct rp_case *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nsrc; i++) {
		struct rp_source *s = &c->src[i];
		long j = earlier_source(c, n, s->ev, s->entry);
		if (j >= 0) {
			struct rp_source *t = &c->src[j];
			size_t *a = realloc(t->also, (t->nalso + 1) * sizeof(*a));
			if (a == NULL)
				return -ENOMEM;
			t->also = a;
			t->also[t->nalso++] = s->ev;
			free(s->pts);
			free(s->also);
			continue;
		}
		c->src[n++] = *s;
	}
	c->nsrc = n;
	return 0;
}

/* Every JPEG file of the bundles, once per content (the same bundle path
 * in two items of one content is one photo): with a position or not. */
static void
count_photos(struct rp_case *c)
{
	size_t i, j, n = 0;

	for (i = 0; i < c->nev; i++) {
		if (c->ev[i].photos == NULL)
			continue;
		json_object_object_foreach(c->ev[i].photos, name, v) {
			int seen = 0;
			(void)v;
			for (j = 0; j < i && !seen; j++)
				seen = c->ev[j].same == c->ev[i].same && c->ev[j].photos &&
				       json_object_object_get_ex(c->ev[j].photos, name, NULL);
			n += !seen;
		}
	}
	c->nphotos_all = n;
}

int
rp_same_content(struct rp_case *c)
{
	size_t i, j;

	for (i = 0; i < c->nev; i++) {
		c->ev[i].same = i;
		c->ev[i].nsame = 1;
	}
	for (i = 0; i < c->nev; i++) {
		struct rp_evidence *e = &c->ev[i];
		for (j = 0; j < i; j++) {
			char how[sizeof(e->same_how)];
			if (c->ev[j].same == j && same_image(&c->ev[j], e, how, sizeof(how))) {
				e->same = j;
				snprintf(e->same_how, sizeof(e->same_how), "%s", how);
				if (c->ev[j].same_how[0] == '\0')
					snprintf(c->ev[j].same_how, sizeof(c->ev[j].same_how), "%s", how);
				break;
			}
		}
	}
	for (i = 0; i < c->nev; i++)
		if (c->ev[i].same != i)
			c->ev[c->ev[i].same].nsame++;
	for (i = 0; i < c->nev; i++)
		c->ev[i].nsame = c->ev[c->ev[i].same].nsame;
	count_photos(c);
	return merge_sources(c);
}

void
rp_source_also(const struct rp_case *c, const struct rp_source *s, const char *lead,
	       const char *tail, FILE *f)
{
	size_t i;

	for (i = 0; i < s->nalso; i++)
		fprintf(f, "%s%s", i ? ", " : lead, c->ev[s->also[i]].id);
	if (s->nalso)
		fputs(tail, f);
}
