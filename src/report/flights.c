/*
 * flights.c — which sources are one flight.
 *
 * A drone leaves several files per flight: its flight record (DJI TXT,
 * ULog, DataFlash), subtitles of each video (SRT) and photos.  They are
 * one flight when their times touch and nothing says they come from
 * different aircraft: no second serial, no second model, no second card
 * (unless the aircraft serial is the same).  Three passes over a
 * union-find:
 *
 *   1. tracks that share a serial and touch in time (one aircraft's log
 *      and a copy of it, deleted and carved; across cards only the
 *      aircraft serial counts);
 *   2. each track without a serial joins the touching group it overlaps
 *      longest on its own card, preferring a group that has serials (an
 *      SRT next to the flight record of the same minutes); a group never
 *      gets a second, different aircraft or camera serial or model;
 *   3. photos join the flight around their time and never link flights.
 *
 * Times of different bases (UTC, local wall clock of an unknown zone) are
 * never compared: a local time is not an instant.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cardtrail/flight.h"
#include "cardtrail/report.h"
#include "cardtrail/util.h"
#include "report_int.h"

#define TOUCH_US ((int64_t)CT_FLIGHT_TOUCH_S * 1000000)

struct uf {
	size_t *parent;
	/* per root: what the group holds */
	const char **air, **cam, **model;
	int64_t *t0, *t1;
	size_t *minidx;
};

static size_t
find(struct uf *u, size_t i)
{
	while (u->parent[i] != i) {
		u->parent[i] = u->parent[u->parent[i]];
		i = u->parent[i];
	}
	return i;
}

static int
clash(const char *a, const char *b)
{
	return a && b && strcmp(a, b) != 0;
}

static int
same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The next alternative of a model name ("Phantom 3 / Inspire 1"), folded
 * to lower-case letters and digits, into buf; the rest, or NULL at the end. */
static const char *
model_alt(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && *s != '/'; s++)
		if (isalnum((unsigned char)*s) && n + 1 < len)
			buf[n++] = (char)tolower((unsigned char)*s);
	buf[n] = '\0';
	return *s == '/' ? s + 1 : NULL;
}

static size_t
model_nalts(const char *m)
{
	size_t n = 1;

	for (; *m; m++)
		n += *m == '/';
	return n;
}

/* Two models contradict when no alternative of one is one of the other. */
static int
model_clash(const char *a, const char *b)
{
	char x[128], y[128];
	const char *p, *q;

	if (a == NULL || b == NULL)
		return 0;
	for (p = a; p;) {
		p = model_alt(p, x, sizeof(x));
		for (q = b; q;) {
			q = model_alt(q, y, sizeof(y));
			if (!strcmp(x, y))
				return 0;
		}
	}
	return 1;
}

static int
compatible(struct uf *u, size_t a, size_t b)
{
	return !clash(u->air[a], u->air[b]) && !clash(u->cam[a], u->cam[b]) &&
	       !model_clash(u->model[a], u->model[b]);
}

static void
unite(struct uf *u, size_t a, size_t b)
{
	a = find(u, a);
	b = find(u, b);
	if (a == b)
		return;
	if (u->minidx[b] < u->minidx[a]) {
		size_t t = a;
		a = b;
		b = t;
	}
	u->parent[b] = a;
	if (u->air[a] == NULL)
		u->air[a] = u->air[b];
	if (u->cam[a] == NULL)
		u->cam[a] = u->cam[b];
	/* the narrower name stands for the group ("Inspire1" of "Phantom 3 / Inspire 1") */
	if (u->model[a] == NULL || (u->model[b] && model_nalts(u->model[b]) < model_nalts(u->model[a])))
		u->model[a] = u->model[b];
	if (u->t0[b] < u->t0[a])
		u->t0[a] = u->t0[b];
	if (u->t1[b] > u->t1[a])
		u->t1[a] = u->t1[b];
}

static int
absolute(const struct ct_group_item *it)
{
	return (it->basis == CT_TIME_UTC || it->basis == CT_TIME_LOCAL) && it->t0_us <= it->t1_us;
}

/* Overlap of two intervals in microseconds; negative: the gap between. */
static int64_t
overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	return (a1 < b1 ? a1 : b1) - (a0 > b0 ? a0 : b0);
}

/* By basis, then start, then index (qsort_r). */
static int
cmp_items(const void *pa, const void *pb, void *arg)
{
	const struct ct_group_item *items = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const struct ct_group_item *x = &items[a], *y = &items[b];

	if (x->basis != y->basis)
		return x->basis < y->basis ? -1 : 1;
	if (x->t0_us != y->t0_us)
		return x->t0_us < y->t0_us ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Pass 1: tracks sharing a serial that touch. */
static void
link_serials(const struct ct_group_item *it, struct uf *u, const size_t *ord, size_t nt)
{
	size_t i, j;

	for (i = 0; i < nt; i++) {
		const struct ct_group_item *x = &it[ord[i]];
		for (j = i + 1; j < nt; j++) {
			const struct ct_group_item *y = &it[ord[j]];
			size_t a, b;
			if (y->basis != x->basis || y->t0_us > x->t1_us + TOUCH_US)
				break;
			/* two cards: only the aircraft serial says it is one aircraft */
			if (!same(x->aircraft, y->aircraft) &&
			    (x->card != y->card || !same(x->camera, y->camera)))
				continue;
			a = find(u, ord[i]);
			b = find(u, ord[j]);
			if (a != b && compatible(u, a, b))
				unite(u, a, b);
		}
	}
}

/* Pass 2: a track without serials joins the group it overlaps longest. */
static void
attach_unnamed(const struct ct_group_item *it, struct uf *u, const size_t *ord, size_t nt)
{
	size_t i, j;

	for (i = 0; i < nt; i++) {
		const struct ct_group_item *x = &it[ord[i]];
		size_t g = find(u, ord[i]), best = (size_t)-1;
		int64_t best_ov = INT64_MIN;
		int best_named = -1;

		if (u->air[g] || u->cam[g])
			continue;
		for (j = 0; j < nt; j++) {
			const struct ct_group_item *y = &it[ord[j]];
			size_t h = find(u, ord[j]);
			int64_t ov;
			int named;
			if (h == g || y->basis != x->basis || y->card != x->card)
				continue;
			ov = overlap(x->t0_us, x->t1_us, y->t0_us, y->t1_us);
			if (ov < -TOUCH_US || !compatible(u, g, h))
				continue;
			named = u->air[h] || u->cam[h];
			if (named > best_named || (named == best_named && ov > best_ov) ||
			    (named == best_named && ov == best_ov && u->minidx[h] < u->minidx[best])) {
				best = h;
				best_ov = ov;
				best_named = named;
			}
		}
		if (best != (size_t)-1)
			unite(u, g, best);
	}
}

struct flight_key {
	size_t root;
	int timed;
	int64_t t0;
	size_t minidx;
};

static int
cmp_flights(const void *pa, const void *pb)
{
	const struct flight_key *a = pa, *b = pb;

	if (a->timed != b->timed)
		return a->timed ? -1 : 1;
	if (a->timed && a->t0 != b->t0)
		return a->t0 < b->t0 ? -1 : 1;
	return a->minidx < b->minidx ? -1 : a->minidx > b->minidx;
}

/* Pass 3: the flight a photo belongs to, or -1. */
static int
photo_flight(const struct ct_group_item *it, size_t n, const struct ct_group_item *p,
	     const int *group, const struct flight_key *keys, struct uf *u)
{
	size_t i;
	int best = -1, best_rank = -1;
	int64_t best_ov = INT64_MIN;

	if (!absolute(p))
		return -1;
	for (i = 0; i < n; i++) {
		const struct ct_group_item *t = &it[i];
		size_t r;
		int64_t ov;
		int rank;
		if (t->photo || group[i] < 0 || t->basis != p->basis || !absolute(t))
			continue;
		r = keys[group[i]].root;
		ov = overlap(p->t0_us, p->t1_us, u->t0[r], u->t1[r]);
		if (ov < -TOUCH_US || clash(u->air[r], p->aircraft) || clash(u->cam[r], p->camera))
			continue;
		if (t->card != p->card && !same(u->air[r], p->aircraft))
			continue;
		rank = same(u->air[r], p->aircraft) || same(u->cam[r], p->camera);
		if (rank > best_rank || (rank == best_rank && ov > best_ov) ||
		    (rank == best_rank && ov == best_ov && group[i] < best)) {
			best = group[i];
			best_rank = rank;
			best_ov = ov;
		}
	}
	return best;
}

int
ct_flights_group(const struct ct_group_item *items, size_t n, int *group, size_t *nflights)
{
	struct uf u = { 0 };
	struct flight_key *keys = NULL;
	size_t *ord = NULL, *root_flight = NULL, nt = 0, nf = 0, i;
	int ret = -ENOMEM;

	*nflights = 0;
	if (n == 0)
		return 0;
	u.parent = calloc(n, sizeof(*u.parent));
	u.air = calloc(n, sizeof(*u.air));
	u.cam = calloc(n, sizeof(*u.cam));
	u.model = calloc(n, sizeof(*u.model));
	u.t0 = calloc(n, sizeof(*u.t0));
	u.t1 = calloc(n, sizeof(*u.t1));
	u.minidx = calloc(n, sizeof(*u.minidx));
	ord = calloc(n, sizeof(*ord));
	keys = calloc(n, sizeof(*keys));
	root_flight = calloc(n, sizeof(*root_flight));
	if (!u.parent || !u.air || !u.cam || !u.model || !u.t0 || !u.t1 || !u.minidx || !ord || !keys ||
	    !root_flight)
		goto out;
	for (i = 0; i < n; i++) {
		u.parent[i] = i;
		u.air[i] = items[i].aircraft;
		u.cam[i] = items[i].camera;
		u.model[i] = items[i].photo ? NULL : items[i].model;
		u.t0[i] = items[i].t0_us;
		u.t1[i] = items[i].t1_us;
		u.minidx[i] = i;
		group[i] = -1;
		/* tracks with an absolute time take part in the passes */
		if (!items[i].photo && absolute(&items[i]))
			ord[nt++] = i;
	}
	qsort_r(ord, nt, sizeof(*ord), cmp_items, (void *)items);
	link_serials(items, &u, ord, nt);
	attach_unnamed(items, &u, ord, nt);

	/* number the flights: every root of a track */
	for (i = 0; i < n; i++) {
		size_t r;
		if (items[i].photo)
			continue;
		r = find(&u, i);
		if (r != i)
			continue;
		keys[nf].root = r;
		keys[nf].timed = absolute(&items[i]);
		keys[nf].t0 = u.t0[r];
		keys[nf].minidx = u.minidx[r];
		nf++;
	}
	qsort(keys, nf, sizeof(*keys), cmp_flights);
	for (i = 0; i < nf; i++)
		root_flight[keys[i].root] = i;
	for (i = 0; i < n; i++)
		if (!items[i].photo)
			group[i] = (int)root_flight[find(&u, i)];
	for (i = 0; i < n; i++)
		if (items[i].photo)
			group[i] = photo_flight(items, n, &items[i], group, keys, &u);
	*nflights = nf;
	ret = 0;
out:
	free(u.parent);
	free(u.air);
	free(u.cam);
	free(u.model);
	free(u.t0);
	free(u.t1);
	free(u.minidx);
	free(ord);
	free(keys);
	free(root_flight);
	return ret;
}

/* ---- the case's flights ---- */

/* Distinct on white, none near the map's black, white, greys or frame. */
static const unsigned palette[] = {
	0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b,
	0xe377c2, 0x17becf, 0xbcbd22, 0x7b4173, 0x0b6e4f, 0xe7ba52,
};

static void
flight_add_source(struct rp_flight *f, const struct rp_source *s, size_t idx)
{
	int r;

	f->src[f->nsrc++] = idx;
	if (s->npts && s->minlat <= s->maxlat) {
		if (s->minlat < f->minlat)
			f->minlat = s->minlat;
		if (s->maxlat > f->maxlat)
			f->maxlat = s->maxlat;
		if (s->minlon < f->minlon)
			f->minlon = s->minlon;
		if (s->maxlon > f->maxlon)
			f->maxlon = s->maxlon;
	}
	if (s->photo)
		return;
	if (f->ntracks == 0) {
		f->basis = s->basis;
		f->t0 = s->t0;
		f->t1 = s->t1;
		f->first = f->last = idx;
	} else {
		if (f->basis != s->basis)
			f->basis = -1;
		if (s->t0 < f->t0) {
			f->t0 = s->t0;
			f->first = idx;
		}
		if (s->t1 > f->t1) {
			f->t1 = s->t1;
			f->last = idx;
		}
	}
	f->ntracks++;
	for (r = 0; r < 5; r++)
		if (s->has_alt[r] && (!f->has_alt[r] || s->max_alt[r] > f->max_alt[r])) {
			f->max_alt[r] = s->max_alt[r];
			f->has_alt[r] = 1;
		}
}

int
rp_flights_build(struct rp_case *c)
{
	struct ct_group_item *items = NULL;
	int *group = NULL;
	size_t i, k, nf = 0;
	int ret = -ENOMEM;

	if (c->nsrc == 0)
		return 0;
	items = calloc(c->nsrc, sizeof(*items));
	group = calloc(c->nsrc, sizeof(*group));
	if (items == NULL || group == NULL)
		goto out;
	for (i = 0; i < c->nsrc; i++) {
		const struct rp_source *s = &c->src[i];
		items[i] = (struct ct_group_item){ .t0_us = s->t0, .t1_us = s->t1,
			.basis = s->basis < 0 ? CT_TIME_NONE : s->basis, .aircraft = s->aircraft,
			.camera = s->camera, .photo = s->photo, .model = s->model, .card = s->ev };
	}
	if ((ret = ct_flights_group(items, c->nsrc, group, &nf)) < 0)
		goto out;
	ret = -ENOMEM;
	if (nf && (c->fl = calloc(nf, sizeof(*c->fl))) == NULL)
		goto out;
	c->nfl = nf;
	for (k = 0; k < nf; k++) {
		struct rp_flight *f = &c->fl[k];
		size_t n = 0;
		for (i = 0; i < c->nsrc; i++)
			n += group[i] == (int)k;
		if ((f->src = calloc(n, sizeof(*f->src))) == NULL)
			goto out;
		f->minlat = f->minlon = INFINITY;
		f->maxlat = f->maxlon = -INFINITY;
		f->colour = palette[k % CT_ARRAY_SIZE(palette)];
		f->dashed = k >= CT_ARRAY_SIZE(palette);
		/* tracks first, then photos */
		for (i = 0; i < c->nsrc; i++)
			if (group[i] == (int)k && !c->src[i].photo)
				flight_add_source(f, &c->src[i], i);
		for (i = 0; i < c->nsrc; i++)
			if (group[i] == (int)k && c->src[i].photo)
				flight_add_source(f, &c->src[i], i);
	}
	for (i = 0; i < c->nsrc; i++) {
		c->src[i].flight = group[i];
		if (c->src[i].photo) {
			c->nphotos++;
			c->loose_photos += group[i] < 0;
		}
	}
	/* a photo with a position whose bytes the bundle lacks is still one */
	if (c->nphotos_all < c->nphotos)
		c->nphotos_all = c->nphotos;
	ret = 0;
out:
	free(items);
	free(group);
	return ret;
}
