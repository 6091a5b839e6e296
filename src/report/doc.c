/*
 * doc.c — what the report says, as neutral blocks (verdict, headings,
 * paragraphs, tables, maps) that html.c and pdf.c both render: one place
 * decides the content, two draw it.
 *
 * Order: the verdict of verify (first line, always), the case, each
 * evidence (source identity, image, hashes, verifications, extraction,
 * files, wipe), the flights, the maps, the timeline, the custody chain.
 * Card text goes through rp_clean; the writers escape what they print.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/flight.h"
#include "cardtrail/util.h"
#include "report_int.h"

/* ---- blocks ---- */

static struct rp_block *
block(struct rp_doc *d, enum rp_block_kind kind)
{
	struct rp_block *b;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		b = realloc(d->b, cap * sizeof(*b));
		if (b == NULL) {
			d->oom = 1;
			return NULL;
		}
		d->b = b;
		d->cap = cap;
	}
	b = &d->b[d->n++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	return b;
}

static void
vtext(struct rp_doc *d, enum rp_block_kind kind, int level, const char *id, const char *fmt,
      va_list ap)
{
	struct rp_block *b = block(d, kind);
	char *s = NULL;

	if (b == NULL)
		return;
	if (vasprintf(&s, fmt, ap) < 0 || (b->text = rp_clean(s)) == NULL)
		d->oom = 1;
	free(s);
	b->level = level;
	if (id)
		snprintf(b->id, sizeof(b->id), "%s", id);
}

static void heading(struct rp_doc *d, int level, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void para(struct rp_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct rp_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
heading(struct rp_doc *d, int level, const char *id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtext(d, RB_HEADING, level, id, fmt, ap);
	va_end(ap);
}

static void
para(struct rp_doc *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtext(d, RB_PARA, 0, NULL, fmt, ap);
	va_end(ap);
}

static void
note(struct rp_doc *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtext(d, RB_NOTE, 0, NULL, fmt, ap);
	va_end(ap);
}

/*
 * A table: columns as "flags:width:title" triples in cols (NULL-ended);
 * title NULL for a key/value list.  Returns the block's index (rows are
 * added by index: the block array moves as it grows), or -1.
 */
struct col {
	const char *title;
	unsigned flags;
	double width;
};

static long
table(struct rp_doc *d, const struct col *cols, size_t n, int header)
{
	struct rp_block *b = block(d, RB_TABLE);
	size_t i;

	if (b == NULL)
		return -1;
	b->ncols = n;
	b->flags = calloc(n, sizeof(*b->flags));
	b->width = calloc(n, sizeof(*b->width));
	b->head = header ? calloc(n, sizeof(*b->head)) : NULL;
	if (!b->flags || !b->width || (header && !b->head)) {
		d->oom = 1;
		return -1;
	}
	for (i = 0; i < n; i++) {
		b->flags[i] = cols[i].flags;
		b->width[i] = cols[i].width;
		if (header && (b->head[i] = strdup(cols[i].title)) == NULL)
			d->oom = 1;
	}
	return (long)(d->n - 1);
}

/* Add a row of ncols strings (NULL prints as "–"). */
static void
row(struct rp_doc *d, long t, ...)
{
	struct rp_block *b;
	va_list ap;
	size_t i;

	if (t < 0)
		return;
	b = &d->b[t];
	if (b->nrows * b->ncols + b->ncols > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : b->ncols * 16;
		char **c = realloc(b->cells, cap * sizeof(*c));
		if (c == NULL) {
			d->oom = 1;
			return;
		}
		b->cells = c;
		b->cap = cap;
	}
	va_start(ap, t);
	for (i = 0; i < b->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		char **cell = &b->cells[b->nrows * b->ncols + i];
		if ((*cell = rp_clean(s ? s : "\u2013")) == NULL)
			d->oom = 1;
	}
	va_end(ap);
	b->nrows++;
}

static const struct col KV[] = { { "", 0, 0.28 }, { "", 0, 0.72 } };
static const struct col KV_MONO[] = { { "", 0, 0.28 }, { "", RC_MONO, 0.72 } };

static void
kv(struct rp_doc *d, long t, const char *k, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
kv(struct rp_doc *d, long t, const char *k, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		d->oom = 1;
	}
	va_end(ap);
	row(d, t, k, s);
	free(s);
}

static const char *
or_dash(const char *s)
{
	return s && *s ? s : "\u2013";
}

/* An ISO time with its date and time apart: a narrow cell wraps between
 * them.  NULL stays NULL. */
static const char *
disp_time(const char *iso, char *buf, size_t len)
{
	if (iso == NULL)
		return NULL;
	snprintf(buf, len, "%s", iso);
	if (strlen(buf) > 10 && buf[10] == 'T')
		buf[10] = ' ';
	return buf;
}

/* ---- verdict ---- */

static void
verdict(const struct rp_case *c, struct rp_doc *d)
{
	struct json_object *probs = ct_json_get(c->verify, "problems");
	struct json_object *counts = ct_json_get(c->verify, "counts");
	size_t np = probs ? json_object_array_length(probs) : 0, i;
	char *text = NULL, *more = NULL;
	struct rp_block *b;
	long t;

	b = block(d, RB_VERDICT);
	if (b == NULL)
		return;
	b->ok = c->verified;
	if (c->verified) {
		text = rp_strf("VERIFIED: the custody chain of case %s verifies: %" PRId64 " records, "
			       "chain intact, every output as recorded.", c->caseid,
			       json_object_get_int64(ct_json_get(counts, "records")));
	} else {
		if (np > 1)
			more = rp_strf(" (and %zu more: see Verification below)", np - 1);
		text = rp_strf("NOT VERIFIED: this case does not verify: %s%s",
			       np ? json_object_get_string(json_object_array_get_idx(probs, 0)) :
			       "the verification found a problem", more ? more : "");
		free(more);
	}
	if (text == NULL || (b->text = rp_clean(text)) == NULL)
		d->oom = 1;
	free(text);
	para(d, "Chain head %s. Signatures: %d signed, %d unsigned; %s.", c->head,
	     json_object_get_int(ct_json_get(counts, "signed")),
	     json_object_get_int(ct_json_get(counts, "unsigned")),
	     json_object_get_boolean(ct_json_get(c->verify, "keys_checked")) ?
	     "signers checked against the trusted keys given" :
	     "signatures checked, signers NOT checked (no trusted keys were given)");
	if (np == 0)
		return;
	heading(d, 3, "verification", "Verification: %zu problem%s", np, np == 1 ? "" : "s");
	t = table(d, (const struct col[]){ { "problem", 0, 1.0 } }, 1, 1);
	for (i = 0; i < np; i++)
		row(d, t, json_object_get_string(json_object_array_get_idx(probs, i)));
}

/* ---- the case ---- */

/* A fact issue 10's metadata may put in the acquisition or image record. */
static const char *
case_fact(const struct rp_case *c, const char *const *keys)
{
	size_t i, k, p;

	for (i = 0; i < c->nev; i++) {
		struct json_object *acq = c->ev[i].acq, *res = ct_json_get(c->ev[i].image_rec, "result");
		struct json_object *places[] = {
			acq, ct_json_get(acq, "case"), ct_json_get(acq, "metadata"),
			ct_json_get(acq, "ewf"), res, ct_json_get(res, "case"),
			ct_json_get(c->ev[i].image_rec, "subject"),
		};
		for (p = 0; p < CT_ARRAY_SIZE(places); p++)
			for (k = 0; keys[k]; k++)
				if (ct_json_str(places[p], keys[k], NULL) &&
				    *ct_json_str(places[p], keys[k], NULL))
					return ct_json_str(places[p], keys[k], NULL);
	}
	return NULL;
}

/* Distinct values of a record member, in order, joined by ", ". */
static char *
distinct(const struct rp_case *c, const char *key)
{
	struct json_object *seen = json_object_new_object();
	char *out = NULL;
	size_t i, len = 0;
	FILE *f;

	if (seen == NULL || (f = open_memstream(&out, &len)) == NULL) {
		json_object_put(seen);
		return NULL;
	}
	for (i = 0; i < c->log.n; i++) {
		const char *v = ct_json_str(c->log.lines[i].rec, key, NULL);
		if (v == NULL || json_object_object_get_ex(seen, v, NULL))
			continue;
		json_object_object_add(seen, v, NULL);
		fprintf(f, "%s%s", json_object_object_length(seen) > 1 ? ", " : "", v);
	}
	fclose(f);
	json_object_put(seen);
	return out;
}

static void
case_section(const struct rp_case *c, struct rp_doc *d)
{
	static const char *const number_keys[] = { "case_number", "number", NULL };
	static const char *const desc_keys[] = { "description", NULL };
	static const char *const notes_keys[] = { "notes", NULL };
	struct json_object *first = c->log.n ? c->log.lines[0].rec : NULL;
	struct json_object *last = c->log.n ? c->log.lines[c->log.n - 1].rec : NULL;
	char *examiners = distinct(c, "examiner"), *tools = distinct(c, "tool");
	const char *t_first = NULL, *t_last = NULL;
	size_t i;
	long t;

	heading(d, 2, "case", "Case");
	t = table(d, KV, 2, 0);
	kv(d, t, "case id", "%s", c->caseid);
	kv(d, t, "case number", "%s", or_dash(case_fact(c, number_keys)));
	kv(d, t, "description", "%s", or_dash(case_fact(c, desc_keys)));
	if (case_fact(c, notes_keys))
		kv(d, t, "notes", "%s", case_fact(c, notes_keys));
	kv(d, t, "examiners", "%s", or_dash(examiners));
	kv(d, t, "first custody event", "%s %s", ct_json_str(first, "time", "?"),
	   ct_json_str(first, "action", "?"));
	kv(d, t, "last custody event", "%s %s (record %zu)", ct_json_str(last, "time", "?"),
	   ct_json_str(last, "action", "?"), c->log.n ? c->log.n - 1 : 0);
	for (i = 0; i < c->ntl; i++)
		if (c->tl[i].kind != RP_EV_CUSTODY && c->tl[i].basis == CT_TIME_UTC) {
			if (t_first == NULL)
				t_first = c->tl[i].time;
			t_last = c->tl[i].time;
		}
	if (t_first)
		kv(d, t, "card data spans (UTC)", "%s .. %s", t_first, t_last);
	else
		kv(d, t, "card data spans (UTC)", "no UTC time in the card data (see the timeline)");
	{
		char *ids = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&ids, &len);
		if (f) {
			for (i = 0; i < c->nev; i++)
				fprintf(f, "%s%s", i ? ", " : "", c->ev[i].id);
			fclose(f);
		}
		kv(d, t, "evidence", "%s", or_dash(ids));
		free(ids);
	}
	{
		size_t ntracks = c->nsrc - c->nphotos, nph = c->nphotos_all;
		kv(d, t, "flights", "%zu, grouped from %zu track%s (files with positions over time; "
		   "a file found in several images of one content counted once)", c->nfl, ntracks,
		   ntracks == 1 ? "" : "s");
		kv(d, t, "photos", "%zu (%zu with a position, %zu of them outside any flight)", nph,
		   c->nphotos, c->loose_photos);
	}
	kv(d, t, "recorded by", "%s", or_dash(tools));
	free(examiners);
	free(tools);
}

/* ---- evidence ---- */

static void
identity_rows(struct rp_doc *d, long t, struct json_object *id, struct json_object *acq)
{
	struct json_object *sd = ct_json_get(id, "sd"), *usb = ct_json_get(id, "usb");
	struct json_object *fss = ct_json_get(id, "filesystems"), *pt = ct_json_get(id, "partition_table");
	char hs[32];
	size_t i;

	struct json_object *src = ct_json_get(acq, "source");
	struct json_object *media = ct_json_get(ct_json_get(acq, "adopted"), "media");

	kv(d, t, "source", "%s (%s)", ct_json_str(id, "path", ct_json_str(src, "path", "?")),
	   ct_json_str(id, "kind", ct_json_str(src, "kind", "?")));
	ct_human_size((uint64_t)json_object_get_int64(ct_json_get(acq, "bytes")), hs, sizeof(hs));
	if (ct_json_get(id, "logical_sector_size"))
		kv(d, t, "size", "%" PRId64 " bytes (%s), sectors %d/%d bytes",
		   json_object_get_int64(ct_json_get(acq, "bytes")), hs,
		   json_object_get_int(ct_json_get(id, "logical_sector_size")),
		   json_object_get_int(ct_json_get(id, "physical_sector_size")));
	else if (ct_json_get(media, "bytes_per_sector"))
		kv(d, t, "size", "%" PRId64 " bytes (%s), sectors %d bytes (as the image file states)",
		   json_object_get_int64(ct_json_get(acq, "bytes")), hs,
		   json_object_get_int(ct_json_get(media, "bytes_per_sector")));
	else
		kv(d, t, "size", "%" PRId64 " bytes (%s), sector size not recorded",
		   json_object_get_int64(ct_json_get(acq, "bytes")), hs);
	if (ct_json_str(id, "vendor", NULL) || ct_json_str(id, "model", NULL) ||
	    ct_json_str(id, "serial", NULL))
		kv(d, t, "device", "%s %s, serial %s, transport %s", or_dash(ct_json_str(id, "vendor", NULL)),
		   or_dash(ct_json_str(id, "model", NULL)), or_dash(ct_json_str(id, "serial", NULL)),
		   or_dash(ct_json_str(id, "transport", NULL)));
	if (sd) {
		kv(d, t, "card (SD CID)", "%s (MID 0x%02x), OEM %s, product %s, revision %s, serial %s, "
		   "made %s, CRC %s", or_dash(ct_json_str(sd, "manufacturer", NULL)),
		   json_object_get_int(ct_json_get(sd, "manfid")), or_dash(ct_json_str(sd, "oemid", NULL)),
		   or_dash(ct_json_str(sd, "name", NULL)), or_dash(ct_json_str(sd, "revision", NULL)),
		   or_dash(json_object_get_string(ct_json_get(sd, "serial"))),
		   or_dash(ct_json_str(sd, "manufactured", NULL)),
		   ct_json_get(sd, "crc_ok") == NULL ? "not passed on by the host" :
		   json_object_get_boolean(ct_json_get(sd, "crc_ok")) ? "ok" : "DOES NOT MATCH");
		kv(d, t, "CID register", "%s", or_dash(ct_json_str(sd, "cid", NULL)));
		if (ct_json_get(sd, "csd_capacity"))
			kv(d, t, "card (SD CSD)", "capacity %" PRId64 " bytes, write-protect: "
			   "permanent %s, temporary %s",
			   json_object_get_int64(ct_json_get(sd, "csd_capacity")),
			   json_object_get_boolean(ct_json_get(sd, "perm_write_protect")) ? "SET" : "no",
			   json_object_get_boolean(ct_json_get(sd, "tmp_write_protect")) ? "SET" : "no");
	} else {
		kv(d, t, "card serial", "%s", or_dash(ct_json_str(id, "card_serial_note", NULL)));
	}
	if (usb)
		kv(d, t, "USB reader", "%s:%s %s %s, serial %s", or_dash(ct_json_str(usb, "vendor_id", NULL)),
		   or_dash(ct_json_str(usb, "product_id", NULL)),
		   or_dash(ct_json_str(usb, "manufacturer", NULL)),
		   or_dash(ct_json_str(usb, "product", NULL)), or_dash(ct_json_str(usb, "serial", NULL)));
	kv(d, t, "write-block", "%s", or_dash(ct_json_str(ct_json_get(acq, "write_block"), "method", NULL)));
	if (pt)
		kv(d, t, "partition table", "%s %s", or_dash(ct_json_str(pt, "type", NULL)),
		   or_dash(ct_json_str(pt, "id", NULL)));
	for (i = 0; fss && json_object_is_type(fss, json_type_array) &&
		    i < json_object_array_length(fss); i++) {
		struct json_object *fs = json_object_array_get_idx(fss, i);
		kv(d, t, "filesystem", "%s at byte %" PRId64 ", label %s, uuid %s",
		   or_dash(ct_json_str(fs, "type", NULL)), json_object_get_int64(ct_json_get(fs, "offset")),
		   or_dash(ct_json_str(fs, "label", NULL)), or_dash(ct_json_str(fs, "uuid", NULL)));
	}
}

static const char *
match_text(struct json_object *v)
{
	if (v == NULL)
		return "not done";
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? "matched" : "DID NOT MATCH";
	return json_object_get_boolean(ct_json_get(v, "match")) ? "matched" : "DID NOT MATCH";
}

/* What verify found now for the outputs of one record. */
static void
outputs_now(const struct rp_case *c, struct rp_doc *d, long t, struct json_object *rec)
{
	struct json_object *outs = ct_json_get(c->verify, "outputs");
	int64_t seq = json_object_get_int64(ct_json_get(rec, "seq"));
	size_t i;

	for (i = 0; outs && i < json_object_array_length(outs); i++) {
		struct json_object *o = json_object_array_get_idx(outs, i);
		if (json_object_get_int64(ct_json_get(o, "seq")) != seq)
			continue;
		const char *st = ct_json_str(o, "status", "?"), *det = ct_json_str(o, "detail", NULL);
		/* a detail that starts with the status says it already */
		if (det && !strncmp(det, st, strlen(st)))
			kv(d, t, "checked now", "%s: %s", ct_json_str(o, "path", "?"), det);
		else
			kv(d, t, "checked now", "%s: %s%s%s", ct_json_str(o, "path", "?"), st,
			   det ? ", " : "", det ? det : "");
	}
}

/* The case data the examiner gave at acquisition (image --case-number …). */
static void
metadata_rows(struct rp_doc *d, long t, struct json_object *m)
{
	static const struct { const char *key, *label; } keys[] = {
		{ "case_number", "case number" }, { "evidence_number", "evidence number" },
		{ "description", "description" }, { "notes", "notes" },
	};
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(keys); i++)
		if (ct_json_str(m, keys[i].key, NULL))
			kv(d, t, keys[i].label, "%s", ct_json_str(m, keys[i].key, NULL));
}

/* An unreadable range as words, not JSON. */
static void
range_text(struct json_object *r, char *buf, size_t len)
{
	int64_t off = json_object_get_int64(ct_json_get(r, "offset"));
	int64_t n = json_object_get_int64(ct_json_get(r, "length"));

	if (n > 0)
		snprintf(buf, len, "bytes %" PRId64 " to %" PRId64 " (%" PRId64 " byte%s)", off,
			 off + n - 1, n, n == 1 ? "" : "s");
	else
		snprintf(buf, len, "%s", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
}

/* What an adopted image (cardtrail adopt) holds: when it was adopted, what
 * its own header says of its making, and its stored hashes checked. */
static void
adopted_rows(struct rp_doc *d, long t, struct json_object *acq)
{
	static const struct { const char *key, *label; } hdr[] = {
		{ "examiner_name", "examiner" }, { "acquiry_date", "acquired" },
		{ "system_date", "system date" }, { "acquiry_software", "software" },
		{ "acquiry_software_version", "software version" },
		{ "acquiry_operating_system", "operating system" },
		{ "case_number", "case number" }, { "evidence_number", "evidence number" },
		{ "description", "description" }, { "notes", "notes" },
		{ "model", "media model" }, { "serial_number", "media serial" },
	};
	struct json_object *ad = ct_json_get(acq, "adopted"), *found = ct_json_get(ad, "found");
	struct json_object *st = ct_json_get(ad, "stored_hashes"), *media = ct_json_get(ad, "media");
	size_t i;

	kv(d, t, "adopted", "%s .. %s, %s (cardtrail adopt: when the image was brought into the "
	   "case, not when it was made)", ct_json_str(acq, "started", "?"),
	   ct_json_str(acq, "finished", "?"), ct_json_str(acq, "status", "?"));
	for (i = 0; i < CT_ARRAY_SIZE(hdr); i++)
		if (ct_json_str(found, hdr[i].key, NULL))
			kv(d, t, "image header", "%s: %s (as the image file states, not checked)",
			   hdr[i].label, ct_json_str(found, hdr[i].key, NULL));
	if (media && json_object_object_length(media)) {
		char *m = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&m, &len);
		int any = 0;
		if (f) {
			json_object_object_foreach(media, k, v) {
				fprintf(f, "%s%s %s", any++ ? ", " : "", k, json_object_get_string(v));
			}
			fclose(f);
		}
		kv(d, t, "image media", "%s", or_dash(m));
		free(m);
	}
	if (st == NULL || json_object_object_length(st) == 0) {
		kv(d, t, "stored hashes", "none in the image file");
	} else {
		json_object_object_foreach(st, algo, h) {
			struct json_object *m = ct_json_get(h, "match");
			kv(d, t, "stored hash", "%s %s: %s", algo, ct_json_str(h, "stored", "?"),
			   m == NULL ? "not computed here" : json_object_get_boolean(m) ?
			   "matches the image as read at adoption" :
			   "DOES NOT MATCH the image as read at adoption");
		}
	}
	if (ct_json_get(ad, "in_place"))
		kv(d, t, "image files", "%s", json_object_get_boolean(ct_json_get(ad, "in_place")) ?
		   "left where they were (adopted in place)" : "copied into the case");
}

/* The other items of this one's content, joined by ", " into f. */
static void
same_items(const struct rp_case *c, const struct rp_evidence *e, FILE *f)
{
	size_t i;
	int any = 0;

	for (i = 0; i < c->nev; i++)
		if (&c->ev[i] != e && c->ev[i].same == e->same)
			fprintf(f, "%s%s", any++ ? ", " : "", c->ev[i].id);
}

static void
same_row(const struct rp_case *c, struct rp_doc *d, long t, const struct rp_evidence *e)
{
	char *ids = NULL;
	size_t len = 0;
	FILE *f;

	if (e->nsame < 2 || (f = open_memstream(&ids, &len)) == NULL)
		return;
	same_items(c, e, f);
	if (fclose(f) != 0) {
		free(ids);
		d->oom = 1;
		return;
	}
	kv(d, t, "same content as", "%s: identical %s and size (%" PRId64 " bytes): one card's "
	   "content imaged more than once; a file found in several of them is counted once", ids,
	   e->same_how, json_object_get_int64(ct_json_get(e->acq, "bytes")));
	free(ids);
}

static void
image_section(const struct rp_case *c, struct rp_doc *d, const struct rp_evidence *e)
{
	struct json_object *acq = e->acq, *hashes = ct_json_get(acq, "hashes");
	struct json_object *segs = ct_json_get(acq, "segments"), *bad = ct_json_get(acq, "bad_ranges");
	struct json_object *ver = ct_json_get(acq, "verify");
	size_t i, nseg = segs ? json_object_array_length(segs) : 0;
	long t;

	t = table(d, KV, 2, 0);
	if (acq == NULL) {
		kv(d, t, "acquisition record", "%s", e->acq_name[0] ? "cannot be read" :
		   "none in the custody log");
		return;
	}
	same_row(c, d, t, e);
	identity_rows(d, t, ct_json_get(acq, "identity"), acq);
	kv(d, t, "image", "%s, %zu segment%s (%s)",
	   ct_json_str(ct_json_get(acq, "options"), "format", ct_json_str(acq, "format", "raw")),
	   nseg, nseg == 1 ? "" : "s", e->acq_name);
	metadata_rows(d, t, ct_json_get(acq, "metadata"));
	if (ct_json_get(acq, "adopted"))
		adopted_rows(d, t, acq);
	else
		kv(d, t, "acquired", "%s .. %s, %s", ct_json_str(acq, "started", "?"),
		   ct_json_str(acq, "finished", "?"), ct_json_str(acq, "status", "?"));
	kv(d, t, "unreadable", "%" PRId64 " bytes in %zu range%s",
	   json_object_get_int64(ct_json_get(acq, "bad_bytes")), bad ? json_object_array_length(bad) : 0,
	   bad && json_object_array_length(bad) == 1 ? "" : "s");
	if (ct_json_get(acq, "adopted") && ver == NULL) {
		kv(d, t, "verification of the image", "no re-read by cardtrail: the image was made "
		   "elsewhere; its stored hashes are above");
		kv(d, t, "verification of the source", "not possible: the source was not read by "
		   "cardtrail");
	} else {
		kv(d, t, "verification of the image", "%s (re-read: %s)",
		   match_text(ct_json_get(ver, "image")),
		   ct_json_str(ct_json_get(ver, "image"), "reread", "image"));
		kv(d, t, "verification of the source", "%s (%s, %" PRId64 " bytes compared)",
		   match_text(ct_json_get(ver, "source")),
		   ct_json_str(ct_json_get(ver, "source"), "method", "not done"),
		   json_object_get_int64(ct_json_get(ct_json_get(ver, "source"), "compared_bytes")));
	}
	if (e->image_rec)
		outputs_now(c, d, t, e->image_rec);

	t = table(d, (const struct col[]){ { "hash", 0, 0.08 }, { "value", RC_MONO, 0.92 } }, 2, 1);
	json_object_object_foreach(hashes, algo, hv)
		row(d, t, algo, json_object_get_string(hv));
	t = table(d, (const struct col[]){ { "segment", 0, 0.2 }, { "bytes", RC_RIGHT, 0.14 },
					   { "sha256", RC_MONO, 0.66 } }, 3, 1);
	for (i = 0; i < nseg; i++) {
		struct json_object *s = json_object_array_get_idx(segs, i);
		char b[32];
		snprintf(b, sizeof(b), "%" PRId64, json_object_get_int64(ct_json_get(s, "bytes")));
		row(d, t, ct_json_str(s, "path", "?"), b,
		    ct_json_str(ct_json_get(s, "hashes"), "sha256", NULL));
	}
	if (bad && json_object_array_length(bad)) {
		t = table(d, (const struct col[]){ { "unreadable range", 0, 1.0 } }, 1, 1);
		for (i = 0; i < json_object_array_length(bad); i++) {
			char rb[128];
			range_text(json_object_array_get_idx(bad, i), rb, sizeof(rb));
			row(d, t, rb);
		}
	}
}

/* What extraction counted as "flights": every file with a position,
 * photos with one included; split by the bundle's flights.json. */
static void
tracks_row(struct rp_doc *d, long t, const struct rp_evidence *e, struct json_object *res)
{
	int64_t nt = json_object_get_int64(ct_json_get(res, "flights"));
	int64_t np = json_object_get_int64(ct_json_get(res, "points"));
	size_t i, n = e->flights ? json_object_array_length(e->flights) : 0, tr = 0, ph = 0;

	for (i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(e->flights, i);
		if (json_object_get_int64(ct_json_get(f, "points")) <= 0)
			continue;
		if (!strcmp(ct_json_str(f, "format", ""), "jpeg"))
			ph++;
		else
			tr++;
	}
	if (e->flights && (int64_t)(tr + ph) == nt)
		kv(d, t, "positions", "%" PRId64 " file%s with positions: %zu track%s and %zu photo%s "
		   "with a position (before grouping into flights), %" PRId64 " point%s", nt,
		   nt == 1 ? "" : "s", tr, tr == 1 ? "" : "s", ph, ph == 1 ? "" : "s", np,
		   np == 1 ? "" : "s");
	else
		kv(d, t, "positions", "%" PRId64 " file%s with positions, tracks and photos (before "
		   "grouping into flights), %" PRId64 " point%s", nt, nt == 1 ? "" : "s", np,
		   np == 1 ? "" : "s");
}

static void
extract_section(const struct rp_case *c, struct rp_doc *d, const struct rp_evidence *e)
{
	struct json_object *res = ct_json_get(e->extract_rec, "result");
	struct json_object *outs = ct_json_get(e->extract_rec, "outputs");
	struct json_object *w = ct_json_get(e->manifest, "warnings");
	size_t i;
	long t;

	heading(d, 4, NULL, "Extraction");
	t = table(d, KV, 2, 0);
	if (e->extract_rec == NULL) {
		kv(d, t, "extraction", "none in the custody log");
		return;
	}
	kv(d, t, "record", "%s, custody record %" PRId64 "%s",
	   ct_json_str(e->extract_rec, "time", "?"), json_object_get_int64(ct_json_get(e->extract_rec, "seq")),
	   e->nextract > 1 ? " (the last of several: earlier bundles are in the custody table)" : "");
	for (i = 0; outs && i < json_object_array_length(outs); i++) {
		struct json_object *o = json_object_array_get_idx(outs, i);
		kv(d, t, "bundle", "%s, %" PRId64 " bytes", ct_json_str(o, "path", "?"),
		   json_object_get_int64(ct_json_get(o, "bytes")));
	}
	kv(d, t, "files", "%" PRId64 " (%" PRId64 " allocated, %" PRId64 " deleted, %" PRId64 " carved)",
	   json_object_get_int64(ct_json_get(res, "files")), json_object_get_int64(ct_json_get(res, "allocated")),
	   json_object_get_int64(ct_json_get(res, "deleted")), json_object_get_int64(ct_json_get(res, "carved")));
	tracks_row(d, t, e, res);
	kv(d, t, "image checked first", "%s", json_object_get_boolean(ct_json_get(res, "forced")) ?
	   "NO: extracted with --force from an image that did not match its record" :
	   "yes: the image matched its acquisition record");
	outputs_now(c, d, t, e->extract_rec);
	if (e->bundle_error[0])
		kv(d, t, "bundle", "NOT READ: %s", e->bundle_error);
	for (i = 0; w && json_object_is_type(w, json_type_array) && i < json_object_array_length(w); i++)
		kv(d, t, "warning", "%s", json_object_get_string(json_object_array_get_idx(w, i)));
	t = table(d, (const struct col[]){ { "bundle", 0, 0.2 }, { "sha256", RC_MONO, 0.8 } }, 2, 1);
	for (i = 0; outs && i < json_object_array_length(outs); i++) {
		struct json_object *o = json_object_array_get_idx(outs, i);
		row(d, t, ct_json_str(o, "path", "?"), ct_json_str(o, "sha256", NULL));
	}
}

static const char *
file_path(struct json_object *f)
{
	return ct_json_str(f, "path", NULL) ? ct_json_str(f, "path", NULL) :
	       ct_json_str(f, "bundle_path", "?");
}

/* What extraction said about each file (MANIFEST.json), word for word. */
static void
file_warnings(struct rp_doc *d, struct json_object *files)
{
	size_t i, k, n = json_object_array_length(files), nw = 0;
	long t;

	for (i = 0; i < n; i++) {
		struct json_object *w = ct_json_get(json_object_array_get_idx(files, i), "warnings");
		if (w && json_object_is_type(w, json_type_array))
			nw += json_object_array_length(w);
	}
	if (nw == 0)
		return;
	heading(d, 4, NULL, "Warnings about the files (%zu)", nw);
	note(d, "What extraction said about each file, as MANIFEST.json records it.");
	t = table(d, (const struct col[]){ { "path", 0, 0.24 }, { "warning", 0, 0.76 } }, 2, 1);
	for (i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(files, i);
		struct json_object *w = ct_json_get(f, "warnings");
		for (k = 0; w && json_object_is_type(w, json_type_array) &&
			    k < json_object_array_length(w); k++)
			row(d, t, file_path(f), json_object_get_string(json_object_array_get_idx(w, k)));
	}
}

static void
files_section(struct rp_doc *d, const struct rp_evidence *e)
{
	struct json_object *files = ct_json_get(e->manifest, "files");
	size_t i, n;
	long t;

	if (files == NULL || !json_object_is_type(files, json_type_array))
		return;
	n = json_object_array_length(files);
	heading(d, 4, NULL, "Files on the card (%zu)", n);
	note(d, "Times as the filesystem stores them (FAT: the local wall clock of wherever the "
	     "card was, no zone). States: allocated, deleted (entry marked free, content as found), "
	     "carved (found in free space by signature).");
	t = table(d, (const struct col[]){ { "path", 0, 0.24 }, { "state", 0, 0.08 },
					   { "bytes", RC_RIGHT, 0.07 }, { "modified", 0, 0.13 },
					   { "sha256", RC_MONO, 0.48 } }, 5, 1);
	for (i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(files, i);
		char b[32], tb[64];
		snprintf(b, sizeof(b), "%" PRId64, json_object_get_int64(ct_json_get(f, "size")));
		row(d, t, file_path(f), ct_json_str(f, "state", "?"), b,
		    disp_time(ct_json_str(ct_json_get(f, "times"), "modified", NULL), tb, sizeof(tb)),
		    ct_json_str(f, "sha256", NULL));
	}
	file_warnings(d, files);
}

/* Serials, models and firmware the files name, each once, with where. */
static void
facts_section(struct rp_doc *d, const struct rp_evidence *e)
{
	static const char *const keys[] = {
		"aircraft_serial", "camera_serial", "rc_serial", "battery_serial", "model",
		"drone_model", "firmware", "name",
	};
	struct json_object *seen = json_object_new_object();
	size_t i, k, n = e->flights ? json_object_array_length(e->flights) : 0;
	long t = -1;

	if (seen == NULL) {
		d->oom = 1;
		return;
	}
	for (k = 0; k < CT_ARRAY_SIZE(keys); k++)
		for (i = 0; i < n; i++) {
			struct json_object *f = json_object_array_get_idx(e->flights, i);
			const char *v = ct_json_str(ct_json_get(f, "identity"), keys[k], NULL);
			char key[600];
			if (v == NULL || *v == '\0')
				continue;
			snprintf(key, sizeof(key), "%s=%s", keys[k], v);
			if (json_object_object_get_ex(seen, key, NULL))
				continue;
			json_object_object_add(seen, key, NULL);
			if (t < 0) {
				heading(d, 4, NULL, "What the files say about the aircraft");
				t = table(d, (const struct col[]){ { "fact", 0, 0.18 }, { "value", 0, 0.37 },
								   { "first named by", 0, 0.45 } }, 3, 1);
			}
			row(d, t, keys[k], v, ct_json_str(f, "file", "?"));
		}
	json_object_put(seen);
}

/* ---- the wipe certificate, as labelled rows ---- */

/* Seconds as one reads them: 0.045, 1.23, 12.3, 123. */
static void
seconds_text(double v, char *buf, size_t len)
{
	double a = fabs(v);

	snprintf(buf, len, a >= 100 ? "%.0f s" : a >= 10 ? "%.1f s" : a >= 1 ? "%.2f s" : "%.3f s", v);
}

/* A byte count with its size in words. */
static void
bytes_text(int64_t n, char *buf, size_t len)
{
	char hs[32];

	if (n < 1024 && n > -1024) {
		snprintf(buf, len, "%" PRId64 " byte%s", n, n == 1 ? "" : "s");
		return;
	}
	ct_human_size((uint64_t)n, hs, sizeof(hs));
	snprintf(buf, len, "%" PRId64 " bytes (%s)", n, hs);
}

static int
ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);

	return a >= b && !strcmp(s + a - b, end);
}

/* Does the member key hold a byte count? */
static int
bytes_key(const char *key)
{
	return !strcmp(key, "size") || !strcmp(key, "capacity") || ends_with(key, "_size") ||
	       strstr(key, "bytes") != NULL;
}

/* A certificate's scalar as words (key names its unit); NULL for objects
 * and arrays. */
static const char *
cert_scalar(const char *key, struct json_object *v, char *buf, size_t len)
{
	if (v == NULL)
		return "\u2013";
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "\u2013";
	case json_type_string:
		return json_object_get_string(v);
	case json_type_boolean:
		return json_object_get_boolean(v) ? "yes" : "no";
	case json_type_double:
		if (ends_with(key, "_seconds"))
			seconds_text(json_object_get_double(v), buf, len);
		else
			snprintf(buf, len, "%.3f", json_object_get_double(v));
		return buf;
	case json_type_int:
		if (bytes_key(key))
			bytes_text(json_object_get_int64(v), buf, len);
		else if (ends_with(key, "offset"))
			snprintf(buf, len, "byte %" PRId64, json_object_get_int64(v));
		else if (ends_with(key, "_seconds"))
			seconds_text((double)json_object_get_int64(v), buf, len);
		else
			snprintf(buf, len, "%" PRId64, json_object_get_int64(v));
		return buf;
	default:
		return NULL;
	}
}

/* A label from a path of member names: "match sampled first bytes". */
static void
cert_label(const char *prefix, const char *key, char *buf, size_t len)
{
	char *p;

	snprintf(buf, len, "%s%s%s", prefix, *prefix ? " " : "", key);
	for (p = buf; *p; p++)
		if (*p == '_')
			*p = ' ';
}

/* [[offset, length], …] as "bytes A to B (N bytes); …", or NULL. */
static char *
ranges_text(struct json_object *a)
{
	char *s = NULL;
	size_t len = 0, i;
	FILE *f;

	for (i = 0; i < json_object_array_length(a); i++) {
		struct json_object *r = json_object_array_get_idx(a, i);
		if (!json_object_is_type(r, json_type_array) || json_object_array_length(r) != 2 ||
		    !json_object_is_type(json_object_array_get_idx(r, 0), json_type_int) ||
		    !json_object_is_type(json_object_array_get_idx(r, 1), json_type_int))
			return NULL;
	}
	if ((f = open_memstream(&s, &len)) == NULL)
		return NULL;
	for (i = 0; i < json_object_array_length(a); i++) {
		struct json_object *r = json_object_array_get_idx(a, i);
		int64_t off = json_object_get_int64(json_object_array_get_idx(r, 0));
		int64_t n = json_object_get_int64(json_object_array_get_idx(r, 1));
		fprintf(f, "%sbytes %" PRId64 " to %" PRId64 " (%" PRId64 " byte%s)", i ? "; " : "",
			off, off + n - 1, n, n == 1 ? "" : "s");
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static void cert_rows(struct rp_doc *d, long t, const char *prefix, struct json_object *o);

/* One member: a row, or its members' rows. */
static void
cert_member(struct rp_doc *d, long t, const char *prefix, const char *key, struct json_object *v)
{
	char label[256], buf[96];
	const char *s = cert_scalar(key, v, buf, sizeof(buf));
	size_t i;

	cert_label(prefix, key, label, sizeof(label));
	if (s) {
		row(d, t, label, s);
	} else if (json_object_is_type(v, json_type_object)) {
		if (json_object_object_length(v) == 0)
			row(d, t, label, "none");
		else
			cert_rows(d, t, label, v);
	} else if (json_object_array_length(v) == 0) {
		row(d, t, label, "none");
	} else {
		char *r = ranges_text(v);
		if (r) {
			row(d, t, label, r);
			free(r);
			return;
		}
		for (i = 0; i < json_object_array_length(v); i++) {
			char n[32];
			snprintf(n, sizeof(n), "%zu", i + 1);
			cert_member(d, t, label, n, json_object_array_get_idx(v, i));
		}
	}
}

/* Every member of o, in the certificate's order, but the passes. */
static void
cert_rows(struct rp_doc *d, long t, const char *prefix, struct json_object *o)
{
	json_object_object_foreach(o, key, v) {
		if (*prefix == '\0' && !strcmp(key, "passes"))
			continue;
		if (*prefix == '\0' && !strcmp(key, "result") && json_object_is_type(v, json_type_string)) {
			/* "FAILED: why": the result, then its reason */
			const char *r = json_object_get_string(v), *why = strstr(r, ": ");
			char res[64];
			snprintf(res, sizeof(res), "%.*s", why ? (int)(why - r) : (int)strlen(r), r);
			row(d, t, "result", res);
			if (why)
				row(d, t, "reason", why + 2);
			continue;
		}
		cert_member(d, t, prefix, key, v);
	}
}

/* What else a pass says: errors, mismatches, a resume. */
static char *
pass_notes(struct json_object *p)
{
	static const char *const shown[] = { "pass", "pattern", "written", "bytes_written",
					      "verified", "bytes_read_back", "write_seconds",
					      "verify_seconds" };
	char *s = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&s, &len);
	int any = 0;

	if (f == NULL)
		return NULL;
	json_object_object_foreach(p, key, v) {
		char label[128], buf[96];
		const char *txt;
		char *r = NULL;
		for (i = 0; i < CT_ARRAY_SIZE(shown) && strcmp(shown[i], key); i++)
			;
		if (i < CT_ARRAY_SIZE(shown))
			continue;
		cert_label("", key, label, sizeof(label));
		txt = cert_scalar(key, v, buf, sizeof(buf));
		if (txt == NULL && json_object_is_type(v, json_type_array)) {
			/* offsets of mismatches: a list of numbers */
			FILE *g = open_memstream(&r, &len);
			size_t k;
			if (g) {
				for (k = 0; k < json_object_array_length(v); k++)
					fprintf(g, "%s%s", k ? ", " : "",
						json_object_get_string(json_object_array_get_idx(v, k)));
				fclose(g);
			}
			txt = r;
		}
		fprintf(f, "%s%s %s", any++ ? "; " : "", label, txt ? txt : "?");
		free(r);
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static void
passes_table(struct rp_doc *d, struct json_object *passes, int64_t capacity)
{
	size_t i;
	long t;

	if (passes == NULL || !json_object_is_type(passes, json_type_array) ||
	    json_object_array_length(passes) == 0)
		return;
	t = table(d, (const struct col[]){
		{ "pass", RC_RIGHT, 0.05 }, { "pattern", 0, 0.1 }, { "bytes written", RC_RIGHT, 0.14 },
		{ "read back", 0, 0.2 }, { "result", 0, 0.1 }, { "write", RC_RIGHT, 0.08 },
		{ "read", RC_RIGHT, 0.08 }, { "notes", 0, 0.25 } }, 8, 1);
	for (i = 0; i < json_object_array_length(passes); i++) {
		struct json_object *p = json_object_array_get_idx(passes, i);
		struct json_object *rb = ct_json_get(p, "bytes_read_back");
		char num[24], wr[64], back[96], ws[32], vs[32], *notes = pass_notes(p);
		int64_t n = json_object_get_int64(rb);

		snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(ct_json_get(p, "pass")));
		if (ct_json_get(p, "written") && !json_object_get_boolean(ct_json_get(p, "written")))
			snprintf(wr, sizeof(wr), "not written (%" PRId64 ")",
				 json_object_get_int64(ct_json_get(p, "bytes_written")));
		else
			snprintf(wr, sizeof(wr), "%" PRId64,
				 json_object_get_int64(ct_json_get(p, "bytes_written")));
		if (rb == NULL || n == 0)
			snprintf(back, sizeof(back), "not read back");
		else if (capacity > 0 && n == capacity)
			snprintf(back, sizeof(back), "%" PRId64 " bytes: every byte", n);
		else if (capacity > 0)
			snprintf(back, sizeof(back), "%" PRId64 " of %" PRId64 " bytes", n, capacity);
		else
			snprintf(back, sizeof(back), "%" PRId64 " bytes", n);
		snprintf(ws, sizeof(ws), "\u2013");
		snprintf(vs, sizeof(vs), "\u2013");
		if (ct_json_get(p, "write_seconds"))
			seconds_text(json_object_get_double(ct_json_get(p, "write_seconds")), ws, sizeof(ws));
		if (ct_json_get(p, "verify_seconds"))
			seconds_text(json_object_get_double(ct_json_get(p, "verify_seconds")), vs, sizeof(vs));
		if (notes == NULL)
			d->oom = 1;
		row(d, t, num, ct_json_str(p, "pattern", NULL), wr, back,
		    ct_json_str(p, "verified", NULL), ws, vs, notes && *notes ? notes : "\u2013");
		free(notes);
	}
}

/* Every field of a certificate as a labelled row (nested members named by
 * their path, byte counts, offsets and seconds in words), the passes as a
 * table, and the certificate files with their sha256. */
static void
wipe_section(struct rp_doc *d, const struct rp_wipe *w)
{
	struct json_object *outs = ct_json_get(w->rec, "outputs");
	size_t i;
	long t;

	heading(d, 4, NULL, "Wipe (custody record %" PRId64 ", %s): %s",
		json_object_get_int64(ct_json_get(w->rec, "seq")), ct_json_str(w->rec, "time", "?"),
		ct_json_str(ct_json_get(w->rec, "result"), "status", "?"));
	t = table(d, KV, 2, 0);
	if (w->cert == NULL) {
		kv(d, t, "certificate", "%s", w->cert_name ? "cannot be read" : "none recorded");
		return;
	}
	cert_rows(d, t, "", w->cert);
	passes_table(d, ct_json_get(w->cert, "passes"),
		     json_object_get_int64(ct_json_get(ct_json_get(w->cert, "media"), "capacity")));
	t = table(d, (const struct col[]){ { "certificate", 0, 0.2 }, { "sha256", RC_MONO, 0.8 } },
		  2, 1);
	for (i = 0; outs && i < json_object_array_length(outs); i++) {
		struct json_object *o = json_object_array_get_idx(outs, i);
		row(d, t, ct_json_str(o, "path", "?"), ct_json_str(o, "sha256", NULL));
	}
}

/* The wipes of the other items of e's content: the card they matched holds
 * e's content too.  How many. */
static size_t
wipes_of_same(const struct rp_case *c, struct rp_doc *d, const struct rp_evidence *e)
{
	size_t i, k, n = 0;
	long t = -1;

	for (i = 0; i < c->nev; i++) {
		const struct rp_evidence *o = &c->ev[i];
		if (o == e || o->same != e->same)
			continue;
		for (k = 0; k < o->nwipes; k++) {
			struct json_object *rec = o->wipes[k].rec;
			if (t < 0) {
				heading(d, 4, NULL, "Wipe of the same content");
				t = table(d, KV, 2, 0);
			}
			kv(d, t, "wipe", "wiped as %s: same image content (identical %s); custody record "
			   "%" PRId64 ", %s, %s; its certificate is under Evidence %s", o->id, e->same_how,
			   json_object_get_int64(ct_json_get(rec, "seq")), ct_json_str(rec, "time", "?"),
			   ct_json_str(ct_json_get(rec, "result"), "status", "?"), o->id);
			n++;
		}
	}
	return n;
}

static void
evidence_section(const struct rp_case *c, struct rp_doc *d)
{
	size_t i, k;

	heading(d, 2, "evidence", "Evidence");
	if (c->nev == 0)
		para(d, "The custody log names no evidence.");
	for (i = 0; i < c->nev; i++) {
		const struct rp_evidence *e = &c->ev[i];
		heading(d, 3, NULL, "Evidence %s", e->id);
		image_section(c, d, e);
		extract_section(c, d, e);
		facts_section(d, e);
		files_section(d, e);
		for (k = 0; k < e->nwipes; k++)
			wipe_section(d, &e->wipes[k]);
		if (e->nwipes == 0 && !wipes_of_same(c, d, e))
			note(d, "No wipe of this card is recorded.");
	}
}

/* ---- flights ---- */

/* A time for a table cell: date and time apart (the cell may wrap
 * between them), then its basis. */
static void
time_cell(int64_t t, int basis, char *buf, size_t len)
{
	char tb[48], *z;

	if (basis != CT_TIME_UTC && basis != CT_TIME_LOCAL) {
		snprintf(buf, len, "no absolute time (%s)", rp_basis_text(basis));
		return;
	}
	rp_time_str(t, basis, tb, sizeof(tb));
	if (tb[10] == 'T')
		tb[10] = ' ';
	if ((z = strchr(tb, 'Z')) != NULL)
		*z = '\0';
	/* milliseconds are enough here; the timeline has the whole time */
	if ((z = strchr(tb, '.')) != NULL && strlen(z) > 4)
		z[4] = '\0';
	snprintf(buf, len, "%s %s", tb, basis == CT_TIME_LOCAL ? "local (zone unknown)" : "UTC");
}

/* Distinct identity values of a flight's sources, joined. */
static void
flight_aircraft(const struct rp_case *c, const struct rp_flight *f, FILE *out)
{
	static const char *const keys[] = { "model", "drone_model", "name", "aircraft_serial",
					    "camera_serial", "firmware" };
	static const char *const labels[] = { "", "", "named ", "aircraft ", "camera ", "firmware " };
	struct json_object *seen = json_object_new_object();
	size_t i, k;
	int any = 0;

	for (k = 0; seen && k < CT_ARRAY_SIZE(keys); k++)
		for (i = 0; i < f->nsrc; i++) {
			const char *v = ct_json_str(ct_json_get(c->src[f->src[i]].entry, "identity"),
						    keys[k], NULL);
			char key[600];
			if (v == NULL || *v == '\0')
				continue;
			snprintf(key, sizeof(key), "%s%s", labels[k], v);
			if (json_object_object_get_ex(seen, key, NULL))
				continue;
			json_object_object_add(seen, key, NULL);
			fprintf(out, "%s%s", any++ ? ", " : "", key);
		}
	if (!any)
		fputs("not named by its files", out);
	json_object_put(seen);
}

static void
flight_heights(const struct rp_flight *f, FILE *out)
{
	static const int order[] = { CT_ALT_TAKEOFF, CT_ALT_MSL, CT_ALT_ELLIPSOID, CT_ALT_UNKNOWN };
	size_t i;
	int any = 0;

	for (i = 0; i < CT_ARRAY_SIZE(order); i++)
		if (f->has_alt[order[i]])
			fprintf(out, "%s%.1f m %s", any++ ? "; " : "", f->max_alt[order[i]],
				rp_alt_ref_text(order[i]));
	if (!any)
		fputs("no heights", out);
}

/* "[k] " before a track's figures when the flight has several tracks. */
static void
track_tag(const struct rp_flight *f, size_t i, FILE *out)
{
	if (f->ntracks > 1)
		fprintf(out, "%s[%zu] ", i ? "; " : "", i + 1);
}

static void
flight_sources(const struct rp_case *c, const struct rp_flight *f, FILE *out)
{
	size_t i;

	for (i = 0; i < f->ntracks; i++) {
		const struct rp_source *s = &c->src[f->src[i]];
		track_tag(f, i, out);
		fprintf(out, "%s:%s (%s, %s, %zu point%s%s", c->ev[s->ev].id, s->file, s->state,
			s->format, s->npts, s->npts == 1 ? "" : "s",
			s->have_track ? "" : ", first and last only");
		rp_source_also(c, s, "; also found in ", ": same image content", out);
		fputc(')', out);
	}
	if (f->nsrc > f->ntracks)
		fprintf(out, "; %zu photo%s", f->nsrc - f->ntracks, f->nsrc - f->ntracks == 1 ? "" : "s");
}

static void
metres(double m, char *buf, size_t len)
{
	if (m < 1000)
		snprintf(buf, len, "%.0f m", m);
	else
		ct_format_metres(m, buf, len);
}

/* Distance and points of each track: a deleted log and its carved copy
 * are one flight, not twice the points, nor one copy's figures. */
static void
distance_fn(const struct rp_case *c, const struct rp_flight *f, FILE *out)
{
	size_t i;

	for (i = 0; i < f->ntracks; i++) {
		char b[32];
		metres(c->src[f->src[i]].dist_m, b, sizeof(b));
		track_tag(f, i, out);
		fputs(b, out);
	}
}

static void
points_fn(const struct rp_case *c, const struct rp_flight *f, FILE *out)
{
	size_t i;

	for (i = 0; i < f->ntracks; i++) {
		track_tag(f, i, out);
		fprintf(out, "%zu", c->src[f->src[i]].npts);
	}
}

/* The flight's start or end, and with several tracks the one it comes from. */
static void
flight_time(const struct rp_flight *f, int end, char *buf, size_t len)
{
	size_t from = end ? f->last : f->first, i, k = 0;
	char tb[96];

	time_cell(end ? f->t1 : f->t0, f->basis, tb, sizeof(tb));
	for (i = 0; i < f->ntracks; i++)
		if (f->src[i] == from)
			k = i + 1;
	if (f->ntracks > 1 && (f->basis == CT_TIME_UTC || f->basis == CT_TIME_LOCAL))
		snprintf(buf, len, "%s, from [%zu]", tb, k);
	else
		snprintf(buf, len, "%s", tb);
}

/* A map legend's line: the flight and every source it holds (malloc'd). */
char *
rp_flight_legend(const struct rp_case *c, size_t k)
{
	const struct rp_flight *f = &c->fl[k];
	char *s = NULL;
	size_t len = 0, i;
	FILE *out = open_memstream(&s, &len);

	if (out == NULL)
		return NULL;
	fprintf(out, "flight %zu: ", k + 1);
	for (i = 0; i < f->ntracks; i++) {
		const struct rp_source *src = &c->src[f->src[i]];
		track_tag(f, i, out);
		fprintf(out, "%s:%s", c->ev[src->ev].id, src->file);
		rp_source_also(c, src, " (also in ", ")", out);
	}
	if (f->nsrc > f->ntracks)
		fprintf(out, "; %zu photo%s", f->nsrc - f->ntracks, f->nsrc - f->ntracks == 1 ? "" : "s");
	if (fclose(out) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* Run fn into a new string. */
static char *
capture(void (*fn)(const struct rp_case *, const struct rp_flight *, FILE *),
	const struct rp_case *c, const struct rp_flight *f)
{
	char *s = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&s, &len);

	if (out == NULL)
		return NULL;
	fn(c, f, out);
	if (fclose(out) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static void
heights_fn(const struct rp_case *c, const struct rp_flight *f, FILE *out)
{
	(void)c;
	flight_heights(f, out);
}

static void
flights_table(const struct rp_case *c, struct rp_doc *d)
{
	long t = table(d, (const struct col[]){
		{ "#", RC_RIGHT, 0.03 }, { "", RC_SWATCH, 0.04 }, { "aircraft", 0, 0.14 },
		{ "start", 0, 0.11 }, { "end", 0, 0.11 }, { "duration", 0, 0.08 },
		{ "distance", RC_RIGHT, 0.08 }, { "max height", 0, 0.13 }, { "points", RC_RIGHT, 0.07 },
		{ "sources", 0, 0.21 } }, 10, 1);
	size_t k;

	for (k = 0; k < c->nfl; k++) {
		const struct rp_flight *f = &c->fl[k];
		char num[24], col[32], t0[128], t1[128], dur[48];
		char *air = capture(flight_aircraft, c, f), *hts = capture(heights_fn, c, f);
		char *srcs = capture(flight_sources, c, f), *dist = capture(distance_fn, c, f);
		char *pts = capture(points_fn, c, f);

		snprintf(num, sizeof(num), "%zu", k + 1);
		snprintf(col, sizeof(col), "#%06x%s", f->colour, f->dashed ? " dashed" : "");
		flight_time(f, 0, t0, sizeof(t0));
		flight_time(f, 1, t1, sizeof(t1));
		if (f->basis == CT_TIME_NONE || f->basis < 0)
			snprintf(dur, sizeof(dur), "\u2013");
		else
			rp_duration_str(f->t1 - f->t0, dur, sizeof(dur));
		if (!air || !hts || !srcs || !dist || !pts)
			d->oom = 1;
		row(d, t, num, col, air, t0, f->basis == CT_TIME_BOOT || f->basis == CT_TIME_NONE ? "" : t1,
		    dur, dist, hts, pts, srcs);
		free(air);
		free(hts);
		free(srcs);
		free(dist);
		free(pts);
	}
}

static void
loose_photos(const struct rp_case *c, struct rp_doc *d)
{
	size_t i;
	long t;

	if (c->loose_photos == 0)
		return;
	heading(d, 3, NULL, "Photos outside any flight (%zu)", c->loose_photos);
	t = table(d, (const struct col[]){ { "photo", 0, 0.4 }, { "state", 0, 0.1 },
					   { "time", 0, 0.2 }, { "position", RC_MONO, 0.3 } },
		  4, 1);
	for (i = 0; i < c->nsrc; i++) {
		const struct rp_source *s = &c->src[i];
		char tb[96], pos[64], name[600] = "";
		if (!s->photo || s->flight >= 0)
			continue;
		time_cell(s->t0, s->basis, tb, sizeof(tb));
		snprintf(pos, sizeof(pos), "%.7f, %.7f", s->minlat, s->minlon);
		{
			FILE *f = fmemopen(name, sizeof(name), "w");
			if (f) {
				fprintf(f, "%s:%s", c->ev[s->ev].id, s->file);
				rp_source_also(c, s, " (also in ", ")", f);
				fclose(f);
			}
			name[sizeof(name) - 1] = '\0';
		}
		row(d, t, name, s->state, tb, pos);
	}
}

static void
flights_section(const struct rp_case *c, struct rp_doc *d)
{
	heading(d, 2, "flights", "Flights");
	if (c->nsrc == 0) {
		para(d, "No file on the card holds positions.");
		return;
	}
	para(d, "Files that belong to one flight are grouped: their times (of the same basis) overlap "
	     "or lie at most %d s apart, they name the same aircraft or camera serial, or one of "
	     "them names none (DJI subtitles do not), and nothing contradicts it: a flight never "
	     "holds two different aircraft or camera serials, two different models (compared "
	     "without case, spaces and punctuation: 'Phantom 3' and 'Phantom3Standard' count as "
	     "different), or files of two cards unless they name the same aircraft serial. "
	     "Photos join the flight around their time. A flight of several tracks gives distance "
	     "and points per track, numbered [1], [2] as its sources (a deleted log and its carved "
	     "copy are one flight, not twice the points), and says which track its start and end "
	     "come from; heights are maxima over all its tracks, with the reference each format "
	     "states.", CT_FLIGHT_TOUCH_S);
	flights_table(c, d);
	loose_photos(c, d);
}

static void
maps_section(struct rp_doc *d)
{
	size_t i;

	if (d->nmaps == 0)
		return;
	heading(d, 2, "maps", "Maps");
	note(d, "Drawn by cardtrail from the tracks in the evidence bundles, without network access. "
	     "Markers: white circle start, black square end, H home point, diamond photo.");
	for (i = 0; i < d->nmaps; i++) {
		struct rp_block *b = block(d, RB_MAP);
		if (b == NULL)
			return;
		b->map = (int)i;
		snprintf(b->id, sizeof(b->id), "%s", rp_map_id(d->maps[i]));
	}
}

/* ---- timeline ---- */

static void
timeline_section(const struct rp_case *c, struct rp_doc *d)
{
	size_t i;
	long t;

	heading(d, 2, "timeline", "Timeline");
	note(d, "Sorted by time. UTC times end in Z; local times (no zone on the card: FAT stores "
	     "the wall clock) are sorted as if they were UTC and marked local. Times counted from a "
	     "recorder's start are not on this timeline. The same timeline is written into the case "
	     "folder as CSV and as a Sleuth Kit body file (mactime -b); the custody record of this "
	     "report names both with their SHA-256.");
	t = table(d, (const struct col[]){ { "time", 0, 0.17 }, { "basis", 0, 0.06 },
					   { "evidence", 0, 0.08 }, { "event", 0, 0.14 },
					   { "state", 0, 0.08 }, { "path", 0, 0.28 }, { "detail", 0, 0.19 } },
		  7, 1);
	for (i = 0; i < c->ntl; i++) {
		const struct rp_event *e = &c->tl[i];
		char tb[64];
		row(d, t, disp_time(e->time, tb, sizeof(tb)), e->date_only ? "local date" : e->basis == CT_TIME_UTC ? "UTC" : "local",
		    e->evidence, e->what, e->state, e->path, e->detail);
	}
}

/* ---- custody ---- */

/* The examiners' notes (cardtrail note), word for word. */
static void
custody_notes(const struct rp_case *c, struct rp_doc *d)
{
	size_t i;
	long t = -1;

	for (i = 0; i < c->log.n; i++) {
		struct json_object *r = c->log.lines[i].rec, *subj = ct_json_get(r, "subject");
		const char *text = ct_json_str(ct_json_get(r, "result"), "text", NULL);
		char seq[24], about[160];
		if (r == NULL || text == NULL || strcmp(ct_json_str(r, "action", ""), "note") != 0)
			continue;
		if (t < 0) {
			heading(d, 3, "notes", "Notes");
			t = table(d, (const struct col[]){ { "seq", RC_RIGHT, 0.05 },
							   { "time (UTC)", 0, 0.17 },
							   { "examiner", 0, 0.14 }, { "about", 0, 0.1 },
							   { "note", 0, 0.54 } }, 5, 1);
		}
		snprintf(seq, sizeof(seq), "%" PRId64, json_object_get_int64(ct_json_get(r, "seq")));
		if (ct_json_str(subj, "evidence", NULL))
			snprintf(about, sizeof(about), "%s", ct_json_str(subj, "evidence", NULL));
		else if (ct_json_str(subj, "item", NULL))
			snprintf(about, sizeof(about), "item %s", ct_json_str(subj, "item", NULL));
		else
			snprintf(about, sizeof(about), "the case");
		row(d, t, seq, ct_json_str(r, "time", NULL), ct_json_str(r, "examiner", NULL), about,
		    text);
	}
}

static void
custody_section(const struct rp_case *c, struct rp_doc *d)
{
	struct json_object *recs = ct_json_get(c->verify, "records"), *outs = ct_json_get(c->verify, "outputs");
	size_t i;
	long t;

	heading(d, 2, "custody", "Custody");
	t = table(d, (const struct col[]){ { "seq", RC_RIGHT, 0.05 }, { "time (UTC)", 0, 0.17 },
					   { "examiner", 0, 0.14 }, { "action", 0, 0.09 },
					   { "evidence", 0, 0.09 }, { "signature", 0, 0.1 },
					   { "signer", RC_MONO, 0.26 }, { "verdict", 0, 0.1 } }, 8, 1);
	for (i = 0; recs && i < json_object_array_length(recs); i++) {
		struct json_object *r = json_object_array_get_idx(recs, i);
		char seq[24];
		snprintf(seq, sizeof(seq), "%" PRId64, json_object_get_int64(ct_json_get(r, "seq")));
		row(d, t, seq, ct_json_str(r, "time", NULL), ct_json_str(r, "examiner", NULL),
		    ct_json_str(r, "action", NULL), ct_json_str(r, "evidence", NULL),
		    ct_json_str(r, "signature", NULL), ct_json_str(r, "signer", NULL),
		    ct_json_str(r, "verdict", NULL));
	}
	custody_notes(c, d);
	t = table(d, KV_MONO, 2, 0);
	kv(d, t, "chain head", "%s", c->head);
	note(d, "The chain head is the SHA-256 of the last record. A log cut short still verifies "
	     "as a shorter chain: compare the head with the one in your notes.");
	t = table(d, (const struct col[]){ { "seq", RC_RIGHT, 0.05 }, { "output", 0, 0.2 },
					   { "now", 0, 0.1 }, { "sha256 recorded", RC_MONO, 0.65 } }, 4, 1);
	for (i = 0; outs && i < json_object_array_length(outs); i++) {
		struct json_object *o = json_object_array_get_idx(outs, i);
		int64_t seq = json_object_get_int64(ct_json_get(o, "seq"));
		const char *sha = NULL, *p = ct_json_str(o, "path", "");
		struct json_object *ro = seq >= 0 && (size_t)seq < c->log.n && c->log.lines[seq].rec ?
			ct_json_get(c->log.lines[seq].rec, "outputs") : NULL;
		size_t k;
		char s[24];
		for (k = 0; ro && json_object_is_type(ro, json_type_array) &&
			    k < json_object_array_length(ro); k++)
			if (!strcmp(ct_json_str(json_object_array_get_idx(ro, k), "path", ""), p))
				sha = ct_json_str(json_object_array_get_idx(ro, k), "sha256", NULL);
		snprintf(s, sizeof(s), "%" PRId64, seq);
		row(d, t, s, p, ct_json_str(o, "status", NULL), sha);
	}
}

int
rp_doc_build(const struct rp_case *c, struct rp_doc *d)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->title = rp_strf("cardtrail case report %s", c->caseid);
	d->footer_case = rp_strf("case %s", c->caseid);
	d->footer_head = rp_strf("chain head %s", c->head);
	if (!d->title || !d->footer_case || !d->footer_head)
		return -ENOMEM;
	if ((ret = rp_maps_build(c, d)) < 0)
		return ret;
	verdict(c, d);
	heading(d, 1, "top", "Case report");
	case_section(c, d);
	flights_section(c, d);
	maps_section(d);
	evidence_section(c, d);
	timeline_section(c, d);
	custody_section(c, d);
	return d->oom ? -ENOMEM : 0;
}

void
rp_doc_release(struct rp_doc *d)
{
	size_t i, k;

	for (i = 0; i < d->n; i++) {
		struct rp_block *b = &d->b[i];
		free(b->text);
		for (k = 0; b->head && k < b->ncols; k++)
			free(b->head[k]);
		free(b->head);
		free(b->flags);
		free(b->width);
		for (k = 0; k < b->nrows * b->ncols; k++)
			free(b->cells[k]);
		free(b->cells);
	}
	free(d->b);
	for (i = 0; i < d->nmaps; i++)
		rp_map_free(d->maps[i]);
	free(d->maps);
	free(d->title);
	free(d->footer_case);
	free(d->footer_head);
	memset(d, 0, sizeof(*d));
}
