/*
 * cert.c — the certificate of sanitization, made from what the run
 * reports: every pass of the method with the bytes actually written, how
 * far it was read back and how that ended, the first error with its
 * offset, how the card was found to be the imaged one, and a result that
 * is VERIFIED only when the last pass was read back over every addressable
 * byte by this process.  A FAILED certificate says why on its first line.
 * The JSON and the text form (NIST SP 800-88 Rev. 1 Appendix G fields, with
 * blank lines to sign by hand) say the same.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/image.h"
#include "cardtrail/util.h"
#include "wipe/internal.h"

#define BLANK "______________________________"

/* Why an overwrite is Clear and not Purge, for each kind of media: a claim
 * about flash only where the identity says flash. */
static const struct media_words {
	enum wipe_media kind;
	const char *note;		/* method_note after what was done: %s is what the
					 * media is, then (a loop device) what of its file
					 * was overwritten */
	const char *destroy;		/* recommendation */
} media_words[] = {
	{ WIPE_MEDIA_SD,
	  "Flash memory cards remap blocks into spare area that the host cannot address, so an "
	  "overwrite through the host is at most Clear, never Purge. Where the data's sensitivity "
	  "requires Purge or Destroy, destroy the card physically (shred or disintegrate).",
	  "destroy the card physically where the data's sensitivity requires Purge or Destroy" },
	{ WIPE_MEDIA_MMC,
	  "Flash memory (%s) remaps blocks into spare area that the host cannot address, so an "
	  "overwrite through the host is at most Clear, never Purge. Where the data's sensitivity "
	  "requires Purge or Destroy, destroy the media physically (shred or disintegrate).",
	  "destroy the media physically where the data's sensitivity requires Purge or Destroy" },
	{ WIPE_MEDIA_LOOP,
	  "This device is a %s: what was overwritten is %s, and the filesystem and the media that "
	  "hold it may keep earlier copies of its blocks (snapshots, copy-on-write, remapped flash "
	  "blocks) that the host cannot address through the loop device. Where the data's "
	  "sensitivity requires Purge or Destroy, destroy the media that hold the file physically.",
	  "destroy the media that hold the loop device's file physically where the data's "
	  "sensitivity requires Purge or Destroy" },
	{ WIPE_MEDIA_OTHER,
	  "The host cannot tell the storage technology of this device (%s); flash memory (a card, "
	  "a USB drive, an SSD) remaps blocks into spare area that the host cannot address. Where "
	  "the data's sensitivity requires Purge or Destroy, destroy the media physically (shred "
	  "or disintegrate).",
	  "destroy the media physically where the data's sensitivity requires Purge or Destroy" },
};

/* Which bytes of a loop device's file the device is: its offset, plus
 * where a partition of it starts, for as many bytes as the device holds;
 * the whole file only when that is all of it. */
static void
loop_span(struct json_object *ident, char *buf, size_t len)
{
	struct json_object *lo = ct_json_get(ident, "loop");
	uint64_t off = (uint64_t)json_object_get_int64(ct_json_get(lo, "offset"));
	uint64_t n = (uint64_t)json_object_get_int64(ct_json_get(ident, "size"));
	struct json_object *fs = ct_json_get(lo, "backing_size");

	off += (uint64_t)json_object_get_int64(ct_json_get(ident, "partition_start"));
	if (n == 0)
		snprintf(buf, len, "what the loop device reads of that file");
	else if (fs && off == 0 && (uint64_t)json_object_get_int64(fs) == n)
		snprintf(buf, len, "the whole of that file");
	else if (fs)
		snprintf(buf, len, "bytes %" PRIu64 " to %" PRIu64 " of that file (%" PRIu64 " of its %"
			 PRIu64 " bytes; the rest of it was not written)", off, off + n - 1, n,
			 (uint64_t)json_object_get_int64(fs));
	else
		snprintf(buf, len, "bytes %" PRIu64 " to %" PRIu64 " of that file (its size not known)",
			 off, off + n - 1);
}

void
wipe_media_kind(struct json_object *ident, struct wipe_media_type *t)
{
	const char *transport = ct_json_str(ident, "transport", NULL);
	struct json_object *sd = ct_json_get(ident, "sd");
	const char *type = ct_json_str(sd, "type", NULL);
	const char *bf = ct_json_str(ct_json_get(ident, "loop"), "backing_file", NULL);
	struct json_object *usb = ct_json_get(ident, "usb");

	t->technology = NULL;
	t->span[0] = '\0';
	if (transport && !strcmp(transport, "mmc")) {
		/* an SD/MMC host holds flash memory: an SD card, or MMC/eMMC */
		t->technology = "flash memory";
		if (type && !strcmp(type, "SD")) {
			t->kind = WIPE_MEDIA_SD;
			snprintf(t->what, sizeof(t->what), "SD card in an SD/MMC slot");
		} else {
			t->kind = WIPE_MEDIA_MMC;
			snprintf(t->what, sizeof(t->what), "%s device in an SD/MMC slot%s",
				 type ? type : "SD/MMC", type && !strcmp(type, "MMC") ?
				 " (MMC or eMMC, not an SD card)" : type ? "" : " (its type not visible)");
		}
	} else if ((transport && !strcmp(transport, "loop")) || bf) {
		t->kind = WIPE_MEDIA_LOOP;
		snprintf(t->what, sizeof(t->what), "loop device over the file '%s'", bf ? bf : "?");
		loop_span(ident, t->span, sizeof(t->span));
	} else if ((transport && !strcmp(transport, "usb")) ||
		   (usb && !json_object_is_type(usb, json_type_null))) {
		t->kind = WIPE_MEDIA_OTHER;
		snprintf(t->what, sizeof(t->what), "USB mass storage: a card reader or a USB drive");
	} else {
		t->kind = WIPE_MEDIA_OTHER;
		snprintf(t->what, sizeof(t->what), "block device, transport %s",
			 transport ? transport : "not known");
	}
	snprintf(t->type, sizeof(t->type), "%s: %s", t->technology ? t->technology :
		 "not known to the host", t->what);
}

static const struct media_words *
words_of(enum wipe_media kind)
{
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(media_words); i++)
		if (media_words[i].kind == kind)
			return &media_words[i];
	return &media_words[CT_ARRAY_SIZE(media_words) - 1];
}

static struct json_object *
jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void
pattern_str(const struct ct_pass_plan *q, char *buf, size_t len)
{
	if (q->keystream)
		snprintf(buf, len, "keystream");
	else if (q->patlen == 3)
		snprintf(buf, len, "0x%02x%02x%02x", q->pat[0], q->pat[1], q->pat[2]);
	else
		snprintf(buf, len, "0x%02x", q->pat[0]);
}

/* ---- what was done, pass by pass ---- */

static const char *
pass_verified(const struct wipe_pass *p)
{
	if (!p->reached)
		return "not reached";
	if (p->read_err)
		return "read error";
	if (p->mismatch_bytes)
		return "MISMATCH";
	if (p->read_done)
		return "match";
	if (p->read_earlier)
		return "match (by the interrupted run)";
	if (p->verify)
		return "not read back: the run stopped";
	return "not read back";
}

static struct json_object *
pass_json(struct wipe *w, unsigned i)
{
	struct wipe_pass *p = &w->passes[i];
	struct json_object *j = json_object_new_object();
	char s[24];

	json_object_object_add(j, "pass", json_object_new_int((int)i + 1));
	if (p->reached || w->plans[i].keystream || w->plans[i].patlen)
		pattern_str(&w->plans[i], s, sizeof(s));
	else
		ct_wipe_pass_str(&w->method.passes[i], s, sizeof(s));
	json_object_object_add(j, "pattern", json_object_new_string(s));
	json_object_object_add(j, "written", json_object_new_boolean(p->write_done));
	json_object_object_add(j, "bytes_written", wipe_jint(p->reached ? p->written_before + p->written : 0));
	if (p->written_before)
		json_object_object_add(j, "bytes_written_before_resume", wipe_jint(p->written_before));
	if (w->resumed && i == w->first && !w->first_skip_write)
		json_object_object_add(j, "resumed_at", wipe_jint(w->first_off));
	json_object_object_add(j, "verified", json_object_new_string(pass_verified(p)));
	json_object_object_add(j, "bytes_read_back", wipe_jint(p->read_back));
	if (p->write_seconds > 0)
		json_object_object_add(j, "write_seconds", json_object_new_double(p->write_seconds));
	if (p->verify_seconds > 0)
		json_object_object_add(j, "verify_seconds", json_object_new_double(p->verify_seconds));
	if (p->write_err) {
		json_object_object_add(j, "write_error", json_object_new_string(strerror(p->write_err)));
		json_object_object_add(j, "write_error_offset", wipe_jint(p->write_err_off));
	}
	if (p->read_err) {
		json_object_object_add(j, "read_error", json_object_new_string(strerror(p->read_err)));
		json_object_object_add(j, "read_error_offset", wipe_jint(p->read_err_off));
	}
	if (p->mismatch_bytes) {
		json_object_object_add(j, "mismatch_bytes", wipe_jint(p->mismatch_bytes));
		json_object_object_add(j, "first_mismatch", wipe_jint(p->first_mismatch));
		json_object_object_add(j, "mismatch_offsets", json_object_get(p->mismatches));
		if (p->wrap)
			json_object_object_add(j, "addresses_wrap_at", wipe_jint(p->wrap));
	}
	return j;
}

/* VERIFIED only when nothing failed, every pass was written, every pass to
 * be read back was, and the last one by this process over every byte. */
static const char *
result_str(struct wipe *w, int ok, char *buf, size_t len)
{
	unsigned i;
	int all = 1;

	if (ok) {
		for (i = 0; i < w->method.npasses; i++)
			if (!w->passes[i].write_done ||
			    (w->passes[i].verify && !w->passes[i].read_done && !w->passes[i].read_earlier))
				all = 0;
		snprintf(buf, len, "%s", all && w->final_readback ? "VERIFIED" : "COMPLETED, NOT READ BACK");
		return buf;
	}
	if (w->res->wrapped)
		snprintf(buf, len, "FAILED: addresses wrap (counterfeit card?)");
	else
		snprintf(buf, len, "FAILED: %s", w->fail ? w->fail :
			 w->res->verify_failed ? "read-back mismatch" : "error");
	return buf;
}

/* What was read back, and how: from the passes, not from what was asked. */
static void
verification_str(struct wipe *w, char *buf, size_t len)
{
	size_t l = 0;
	unsigned i;
	const char *how = w->dev.direct ? "with O_DIRECT" :
		"through the page cache (O_DIRECT was not available)";

	if (w->verify == CT_WIPE_VERIFY_NONE) {
		snprintf(buf, len, "none (--verify none)%s", w->probe ?
			 "; an address probe checked that addresses do not wrap" : "");
		return;
	}
	l = (size_t)snprintf(buf, len, "read back %s after fsync and BLKFLSBUF and compared with the "
			     "regenerated pattern:", how);
	for (i = 0; i < w->method.npasses && l < len; i++) {
		struct wipe_pass *p = &w->passes[i];
		const char *what;
		char at[64] = "";

		if (!p->verify)
			continue;
		if (p->read_done)
			what = p->mismatch_bytes ? "every byte, MISMATCH" :
				i + 1 == w->method.npasses ? "every byte, by this run, match" : "every byte, match";
		else if (p->read_err) {
			snprintf(at, sizeof(at), "to offset %" PRIu64 ", read error", p->read_err_off);
			what = at;
		} else if (p->read_earlier)
			what = "every byte, match, by the interrupted run (its state file says)";
		else if (p->reached)
			what = "not read back: the run stopped first";
		else
			what = "not reached";
		l += (size_t)snprintf(buf + l, len - l, " pass %u (%s)%s", i + 1, what,
				      i + 1 < w->method.npasses ? ";" : "");
	}
}

static const char *
final_state(struct wipe *w, int ok, char *buf, size_t len)
{
	unsigned last = w->method.npasses - 1;
	struct json_object *disc = w->disc, *fmt = w->fmt;
	int read = w->final_readback;
	char pat[16];
	size_t l;

	if (!ok) {
		snprintf(buf, len, "not sanitized: the wipe did not complete as verified");
		return buf;
	}
	pattern_str(&w->plans[last], pat, sizeof(pat));
	if (disc && json_object_get_boolean(ct_json_get(disc, "accepted")))
		/* what the card holds now is not ours to say */
		snprintf(buf, len, "every addressable byte was overwritten by the last pass%s, then "
			 "the kernel accepted %s: the card may now return zeros or anything else for "
			 "discarded blocks", read ? " (verified)" : "", ct_json_str(disc, "ioctl", "a discard"));
	else if (w->plans[last].keystream)
		snprintf(buf, len, "every addressable byte holds the keystream of the last pass%s",
			 read ? " (verified)" : " (not read back)");
	else
		snprintf(buf, len, "every addressable byte reads %s%s", pat,
			 read ? " (verified)" : " (not read back)");
	l = strlen(buf);
	if (fmt) {
		if (!strcmp(ct_json_str(fmt, "result", ""), "formatted"))
			snprintf(buf + l, len - l, "; then a fresh %s filesystem", w->o->format);
		else if (!strncmp(ct_json_str(fmt, "result", ""), "not attempted", 13))
			snprintf(buf + l, len - l, "; no %s filesystem: the format step was not "
				 "attempted", w->o->format);
		else
			snprintf(buf + l, len - l, "; laying down a %s filesystem FAILED", w->o->format);
	}
	return buf;
}

/* ---- how the card was matched, in words ---- */

static void
image_check_str(struct wipe *w, char *buf, size_t len)
{
	struct json_object *m = w->match, *sm = ct_json_get(m, "sampled");
	const char *method = ct_json_str(m, "method", "");
	const char *ev = w->res->evidence[0] ? w->res->evidence : "?";
	char what[700] = "";

	if (w->o->no_image_check) {
		snprintf(buf, len, "NOT checked: --no-image-check was given");
		return;
	}
	if (!strcmp(method, "cid") || !strcmp(method, "serial"))
		snprintf(what, sizeof(what), "its %s and size are those of the card imaged as %s",
			 !strcmp(method, "cid") ? "CID" : "serial", ev);
	else if (!strcmp(method, "full"))
		snprintf(what, sizeof(what), "every byte compared%s", ct_json_get(m, "image_sha256") ?
			 ", and the image's SHA-256, from the same read, is its record's" : "");
	else if (sm)
		snprintf(what, sizeof(what), "sampled: its first %lld and last %lld bytes, %zu "
			 "filesystem metadata range%s and %d sectors at offsets drawn from the seed %s, "
			 "%lld bytes compared",
			 (long long)json_object_get_int64(ct_json_get(sm, "first_bytes")),
			 (long long)json_object_get_int64(ct_json_get(sm, "last_bytes")),
			 json_object_array_length(ct_json_get(sm, "metadata")),
			 json_object_array_length(ct_json_get(sm, "metadata")) == 1 ? "" : "s",
			 json_object_get_int(ct_json_get(sm, "random_sectors")),
			 ct_json_str(sm, "seed", "?"),
			 (long long)json_object_get_int64(ct_json_get(m, "bytes_compared")));
	if (ct_json_get(m, "retry_of"))
		snprintf(buf, len, "the card holds what the wipe of %s recorded as custody record %lld "
			 "left on it (%s); that wipe's card matched %s", ev,
			 (long long)json_object_get_int64(ct_json_get(m, "retry_of")), what, ev);
	else if (ct_json_get(m, "resume_of"))
		snprintf(buf, len, "the card holds what the interrupted wipe started in custody record "
			 "%lld left on it (%s); that wipe's card matched %s",
			 (long long)json_object_get_int64(ct_json_get(m, "resume_of")), what, ev);
	else
		snprintf(buf, len, "the card matches %s, imaged and verified in the case (custody record "
			 "%lld, in a chain that verifies): %s", ev,
			 (long long)json_object_get_int64(ct_json_get(m, "image_record")), what);
}

/* ---- media and plan ---- */

static struct json_object *
media_json(struct wipe *w)
{
	struct json_object *m = json_object_new_object(), *sd = ct_json_get(w->ident, "sd");
	struct json_object *usb = ct_json_get(w->ident, "usb");
	const char *make = ct_json_str(w->ident, "vendor", NULL);
	struct wipe_media_type t;

	json_object_object_add(m, "device", json_object_new_string(w->o->device));
	if (sd && !json_object_is_type(sd, json_type_null)) {
		make = ct_json_str(sd, "manufacturer", NULL) ? ct_json_str(sd, "manufacturer", NULL) : make;
		json_object_object_add(m, "make", jstr_or_null(make));
		json_object_object_add(m, "model", jstr_or_null(ct_json_str(sd, "name", NULL)));
		json_object_object_add(m, "serial", jstr_or_null(ct_json_str(sd, "serial", NULL)));
		json_object_object_add(m, "serial_note",
				       json_object_new_string("from the card's own CID register"));
		json_object_object_add(m, "sd", json_object_get(sd));
	} else {
		json_object_object_add(m, "make", jstr_or_null(make));
		json_object_object_add(m, "model", jstr_or_null(ct_json_str(w->ident, "model", NULL)));
		json_object_object_add(m, "serial", jstr_or_null(ct_json_str(w->ident, "serial", NULL)));
		json_object_object_add(m, "serial_note", json_object_new_string(
			usb && !json_object_is_type(usb, json_type_null) ?
			"the card sits behind a USB reader: this is the reader's serial, the card's "
			"own serial (CID) was not available" :
			"the card's own serial (CID) was not visible to the host"));
		json_object_object_add(m, "sd", NULL);
	}
	if (usb && !json_object_is_type(usb, json_type_null))
		json_object_object_add(m, "usb_reader", json_object_get(usb));
	wipe_media_kind(w->ident, &t);
	/* NIST SP 800-88's Media Type (magnetic, flash memory, hybrid, ...):
	 * what the identity shows, never assumed */
	json_object_object_add(m, "type", json_object_new_string(t.type));
	json_object_object_add(m, "technology", jstr_or_null(t.technology));
	json_object_object_add(m, "capacity", wipe_jint(w->dev.size));
	json_object_object_add(m, "logical_sector_size", json_object_new_int((int)w->dev.lss));
	json_object_object_add(m, "identity", json_object_get(w->device));
	return m;
}

struct json_object *
wipe_plan_public(struct wipe *w)
{
	struct json_object *p = json_object_new_object(), *arr = json_object_new_array();
	unsigned i;
	char s[24];

	json_object_object_add(p, "device", json_object_new_string(w->o->device));
	json_object_object_add(p, "media", media_json(w));
	json_object_object_add(p, "card", json_object_get(w->card));
	json_object_object_add(p, "evidence", jstr_or_null(w->res->evidence[0] ? w->res->evidence : NULL));
	json_object_object_add(p, "match", json_object_get(w->match));
	json_object_object_add(p, "method", json_object_new_string(w->method.name));
	json_object_object_add(p, "label", json_object_new_string(w->method.label));
	wipe_add_force(w, p);
	for (i = 0; i < w->method.npasses; i++) {
		struct json_object *q = json_object_new_object();
		ct_wipe_pass_str(&w->method.passes[i], s, sizeof(s));
		json_object_object_add(q, "pattern", json_object_new_string(s));
		json_object_object_add(q, "verify", json_object_new_boolean(w->passes[i].verify));
		json_object_array_add(arr, q);
	}
	json_object_object_add(p, "passes", arr);
	if (w->resumed) {
		json_object_object_add(p, "resume_pass", json_object_new_int((int)w->first + 1));
		json_object_object_add(p, "resume_offset", wipe_jint(w->first_off));
	}
	json_object_object_add(p, "certificate_dir", json_object_new_string(w->dir));
	json_object_object_add(p, "discard", json_object_new_boolean(w->o->discard));
	json_object_object_add(p, "format", jstr_or_null(w->o->format));
	return p;
}

/* The note's first sentences: what Clear is, and whether this wipe was
 * shown to be it (read back over every byte), by what was done. */
static void
note_lead(struct wipe *w, int ok, char *buf, size_t len)
{
	char rs[300];

	if (!ok)
		snprintf(buf, len, "Not Clear: the wipe failed (see the result). NIST SP 800-88 Clear "
			 "is an overwrite of every addressable sector, verified by read-back. ");
	else if (!strcmp(result_str(w, ok, rs, sizeof(rs)), "VERIFIED"))
		snprintf(buf, len, "Clear, not Purge: an overwrite of every addressable sector, "
			 "verified by read-back, is NIST SP 800-88 Clear. ");
	else
		snprintf(buf, len, "Clear, not Purge, if verified: NIST SP 800-88 Clear is an "
			 "overwrite of every addressable sector, verified by read-back. This overwrite "
			 "was not read back%s: that the media hold what was written is not shown. ",
			 w->verify == CT_WIPE_VERIFY_NONE ? " (--verify none)" :
			 " over every byte by this run");
}

/* ---- the certificate ---- */

struct json_object *
wipe_certificate(struct wipe *w, int ok)
{
	struct json_object *c = json_object_new_object(), *m, *passes, *v;
	char ts[32], rs[300], vt[1500], ic[1500], fs[400], host[256] = "?", mnote[PATH_MAX + 2048];
	size_t l;
	const struct media_words *words;
	struct wipe_media_type mt;
	unsigned i;

	/* the result first: a FAILED certificate says why on its first line */
	json_object_object_add(c, "result", json_object_new_string(result_str(w, ok, rs, sizeof(rs))));
	json_object_object_add(c, "certificate", json_object_new_string(
		"certificate of sanitization (NIST SP 800-88 Rev. 1, Appendix G fields)"));
	json_object_object_add(c, "examiner", json_object_new_string(ct_custody_examiner(w->o->examiner)));
	json_object_object_add(c, "organization", jstr_or_null(w->o->organization));
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "?");
	json_object_object_add(c, "host", json_object_new_string(host));
	json_object_object_add(c, "media", media_json(w));
	json_object_object_add(c, "evidence", jstr_or_null(w->res->evidence[0] ? w->res->evidence : NULL));
	image_check_str(w, ic, sizeof(ic));
	json_object_object_add(c, "image_check", json_object_new_string(ic));
	json_object_object_add(c, "match", json_object_get(w->match));
	json_object_object_add(c, "no_image_check", json_object_new_boolean(w->o->no_image_check));
	wipe_add_force(w, c);
	json_object_object_add(c, "method_type", json_object_new_string("Clear"));
	wipe_media_kind(w->ident, &mt);
	words = words_of(mt.kind);
	note_lead(w, ok, mnote, sizeof(mnote));
	l = strlen(mnote);
	(void)ct_snprintf(mnote + l, sizeof(mnote) - l, words->note, mt.what, mt.span);
	json_object_object_add(c, "method_note", json_object_new_string(mnote));
	json_object_object_add(c, "recommendation", json_object_new_string(words->destroy));
	m = json_object_new_object();
	json_object_object_add(m, "name", json_object_new_string(w->method.name));
	json_object_object_add(m, "spec", json_object_new_string(w->spec));
	json_object_object_add(m, "label", json_object_new_string(w->method.label));
	json_object_object_add(m, "passes", json_object_new_int((int)w->method.npasses));
	json_object_object_add(c, "method", m);
	passes = json_object_new_array();
	for (i = 0; i < w->method.npasses; i++)
		json_object_array_add(passes, pass_json(w, i));
	json_object_object_add(c, "passes", passes);
	verification_str(w, vt, sizeof(vt));
	json_object_object_add(c, "verification", json_object_new_string(vt));
	if (w->probe)
		json_object_object_add(c, "address_probe", json_object_get(w->probe));
	json_object_object_add(c, "discard", w->disc ? json_object_get(w->disc) : json_object_new_object());
	if (w->fmt)
		json_object_object_add(c, "format", json_object_get(w->fmt));
	json_object_object_add(c, "tool", json_object_new_string(ct_tool_string()));
	ct_time_utc(w->started, ts, sizeof(ts));
	json_object_object_add(c, "started", json_object_new_string(ts));
	ct_time_utc(time(NULL), ts, sizeof(ts));
	json_object_object_add(c, "finished", json_object_new_string(ts));
	json_object_object_add(c, "errors", json_object_new_string(w->res->error[0] ? w->res->error : "none"));
	if (w->res->wrapped)
		json_object_object_add(c, "apparent_real_capacity", wipe_jint(w->res->real_capacity));
	json_object_object_add(c, "final_state", json_object_new_string(final_state(w, ok, fs, sizeof(fs))));
	json_object_object_add(c, "destination", jstr_or_null(w->o->destination));
	v = json_object_new_object();
	json_object_object_add(v, "name", jstr_or_null(w->o->validator));
	json_object_object_add(c, "validation", v);
	if (w->state_err) {
		char note[4600];
		struct json_object *notes = json_object_new_array();
		snprintf(note, sizeof(note), "the state file %s could not be saved during the run "
			 "(%s): an interruption could not have been resumed where it stopped",
			 w->res->state_path, strerror(-w->state_err));
		json_object_array_add(notes, json_object_new_string(note));
		json_object_object_add(c, "notes", notes);
	}
	return c;
}

/* One line of the form: the value, or a blank to fill in by hand. */
static void
field(FILE *f, const char *name, const char *value)
{
	fprintf(f, "  %-16s%s\n", name, value && *value ? value : BLANK);
}

/* The first line is the result, and for a failure why; then who. */
static void
text_person(FILE *f, struct json_object *c)
{
	const char *result = ct_json_str(c, "result", "?");

	fprintf(f, "CERTIFICATE OF SANITIZATION: %s", result);
	if (!strncmp(result, "FAILED", 6) && strcmp(ct_json_str(c, "errors", "none"), "none"))
		fprintf(f, " (%s)", ct_json_str(c, "errors", ""));
	fprintf(f, "\n(fields of NIST SP 800-88 Rev. 1, Appendix G)\n\n");
	fprintf(f, "Person performing sanitization\n");
	field(f, "Name:", ct_json_str(c, "examiner", NULL));
	field(f, "Organization:", ct_json_str(c, "organization", NULL));
	field(f, "Host:", ct_json_str(c, "host", NULL));
	field(f, "Signature:", NULL);
	field(f, "Date:", NULL);
}

/* Whether the safety checks were lifted (--force), and which refusals
 * that overrode. */
static void
text_force(FILE *f, struct json_object *c)
{
	struct json_object *over = ct_json_get(c, "force_overrode");
	size_t i, n = over ? json_object_array_length(over) : 0;

	if (ct_json_get(c, "force") == NULL)
		return;
	if (!json_object_get_boolean(ct_json_get(c, "force"))) {
		fprintf(f, "  Safety checks:  passed (no --force)\n");
		return;
	}
	if (n == 0)
		fprintf(f, "  Safety checks:  --force given; it overrode no refusal (the checks "
			"passed without it)\n");
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s\n", i == 0 ? "  Safety checks:  --force overrode the refusal: " :
			"                  and: ", json_object_get_string(json_object_array_get_idx(over, i)));
}

/* A loop device: its file, offset and size limit, and for a partition of
 * it where that starts. */
static void
text_loop(FILE *f, struct json_object *id)
{
	struct json_object *lo = ct_json_get(id, "loop"), *p = ct_json_get(id, "partition");
	int64_t lim = json_object_get_int64(ct_json_get(lo, "sizelimit"));

	if (lo == NULL || json_object_is_type(lo, json_type_null))
		return;
	fprintf(f, "  Loop device:    over '%s', offset %lld, ", ct_json_str(lo, "backing_file", "?"),
		(long long)json_object_get_int64(ct_json_get(lo, "offset")));
	if (lim > 0)
		fprintf(f, "size limit %lld", (long long)lim);
	else
		fprintf(f, "no size limit");
	if (p && !json_object_is_type(p, json_type_null))
		fprintf(f, "; partition %d from byte %lld, %lld bytes", json_object_get_int(ct_json_get(p, "number")),
			(long long)json_object_get_int64(ct_json_get(p, "start")),
			(long long)json_object_get_int64(ct_json_get(p, "size")));
	fputc('\n', f);
}

static void
text_media(FILE *f, struct json_object *c)
{
	struct json_object *media = ct_json_get(c, "media"), *sd = ct_json_get(media, "sd");
	char hs[32];

	ct_human_size((uint64_t)json_object_get_int64(ct_json_get(media, "capacity")), hs, sizeof(hs));
	fprintf(f, "\nMedia information\n");
	fprintf(f, "  Device:         %s\n", ct_json_str(media, "device", "?"));
	fprintf(f, "  Make / model:   %s / %s\n", ct_json_str(media, "make", "unknown"),
		ct_json_str(media, "model", "unknown"));
	fprintf(f, "  Serial number:  %s\n", ct_json_str(media, "serial", "not available"));
	if (ct_json_str(media, "serial_note", NULL))
		fprintf(f, "                  (%s)\n", ct_json_str(media, "serial_note", ""));
	if (sd && !json_object_is_type(sd, json_type_null))
		fprintf(f, "  SD CID:         %s (manufacturer 0x%02x %s, OEM %s, product %s, "
			"revision %s, serial %s, manufactured %s)\n", ct_json_str(sd, "cid", "?"),
			json_object_get_int(ct_json_get(sd, "manfid")), ct_json_str(sd, "manufacturer", ""),
			ct_json_str(sd, "oemid", "?"), ct_json_str(sd, "name", "?"), ct_json_str(sd, "revision", "?"),
			ct_json_str(sd, "serial", "?"), ct_json_str(sd, "manufactured", "?"));
	fprintf(f, "  Media type:     %s\n", ct_json_str(media, "type", "?"));
	text_loop(f, ct_json_get(media, "identity"));
	fprintf(f, "  Capacity:       %lld bytes (%s)\n",
		(long long)json_object_get_int64(ct_json_get(media, "capacity")), hs);
	text_force(f, c);
	fprintf(f, "  Imaged first:   %s\n\n", ct_json_str(c, "image_check", "?"));
}

/* Every pass as it went: written, read back, the first error. */
static void
text_passes(FILE *f, struct json_object *c)
{
	struct json_object *passes = ct_json_get(c, "passes");
	long long cap = json_object_get_int64(ct_json_get(ct_json_get(c, "media"), "capacity"));
	size_t i;

	for (i = 0; i < json_object_array_length(passes); i++) {
		struct json_object *p = json_object_array_get_idx(passes, i);
		const char *ver = ct_json_str(p, "verified", "?");

		if (!strcmp(ver, "not reached")) {
			fprintf(f, "    pass %-3zu %-12s not reached\n", i + 1, ct_json_str(p, "pattern", "?"));
			continue;
		}
		fprintf(f, "    pass %-3zu %-12s %lld of %lld bytes written%s; read back: %lld bytes, %s",
			i + 1, ct_json_str(p, "pattern", "?"),
			(long long)json_object_get_int64(ct_json_get(p, "bytes_written")), cap,
			ct_json_get(p, "bytes_written_before_resume") ? " (resumed)" : "",
			(long long)json_object_get_int64(ct_json_get(p, "bytes_read_back")), ver);
		if (ct_json_get(p, "write_error"))
			fprintf(f, "; write error at offset %lld: %s",
				(long long)json_object_get_int64(ct_json_get(p, "write_error_offset")),
				ct_json_str(p, "write_error", "?"));
		if (ct_json_get(p, "read_error"))
			fprintf(f, "; read error at offset %lld: %s",
				(long long)json_object_get_int64(ct_json_get(p, "read_error_offset")),
				ct_json_str(p, "read_error", "?"));
		if (ct_json_get(p, "first_mismatch"))
			fprintf(f, "; %lld bytes differ, the first at offset %lld",
				(long long)json_object_get_int64(ct_json_get(p, "mismatch_bytes")),
				(long long)json_object_get_int64(ct_json_get(p, "first_mismatch")));
		fprintf(f, "\n");
	}
}

static void
text_details(FILE *f, struct json_object *c)
{
	struct json_object *m = ct_json_get(c, "method"), *disc = ct_json_get(c, "discard");
	struct json_object *probe = ct_json_get(c, "address_probe");
	int n = json_object_get_int(ct_json_get(m, "passes"));

	fprintf(f, "Sanitization details\n");
	fprintf(f, "  Method type:    %s\n", ct_json_str(c, "method_type", "?"));
	fprintf(f, "  Note:           %s\n", ct_json_str(c, "method_note", "?"));
	fprintf(f, "  Method used:    %s (%s), %d pass%s\n", ct_json_str(m, "name", "?"),
		ct_json_str(m, "label", ""), n, n == 1 ? "" : "es");
	text_passes(f, c);
	if (probe)
		fprintf(f, "  Address probe:  %lld blocks of %lld bytes written and read back, %lld "
			"failed\n", (long long)json_object_get_int64(ct_json_get(probe, "blocks")),
			(long long)json_object_get_int64(ct_json_get(probe, "block_size")),
			(long long)json_object_get_int64(ct_json_get(probe, "failed")));
	fprintf(f, "  Verification:   %s\n", ct_json_str(c, "verification", "?"));
	if (disc && json_object_get_boolean(ct_json_get(disc, "requested")))
		fprintf(f, "  Discard:        %s %s\n", ct_json_str(disc, "ioctl", "?"),
			json_object_get_boolean(ct_json_get(disc, "accepted")) ? "accepted by the kernel" :
			"refused by the kernel");
	else
		fprintf(f, "  Discard:        not requested\n");
	fprintf(f, "  Tool:           %s\n", ct_json_str(c, "tool", "?"));
	fprintf(f, "  Started:        %s\n  Finished:       %s\n", ct_json_str(c, "started", "?"),
		ct_json_str(c, "finished", "?"));
	fprintf(f, "  Errors:         %s\n", ct_json_str(c, "errors", "none"));
	fprintf(f, "  Result:         %s\n", ct_json_str(c, "result", "?"));
	fprintf(f, "  Final state:    %s\n\n", ct_json_str(c, "final_state", "?"));
}

/* After: the format and the destination; then the validator's lines. */
static void
text_post(FILE *f, struct json_object *c)
{
	struct json_object *fmt = ct_json_get(c, "format"), *v = ct_json_get(c, "destination");

	fprintf(f, "Post-sanitization\n");
	if (fmt)
		fprintf(f, "  Format:         %s%s%s%s laid down after verification: %s\n",
			ct_json_str(fmt, "filesystem", "?"), ct_json_str(fmt, "label", NULL) ? " \"" : "",
			ct_json_str(fmt, "label", ""), ct_json_str(fmt, "label", NULL) ? "\"" : "",
			ct_json_str(fmt, "result", "?"));
	else
		fprintf(f, "  Format:         none\n");
	fprintf(f, "  Destination:    %s\n\n", v ? json_object_get_string(v) : "not stated");
	fprintf(f, "Validation\n");
	field(f, "Name:", ct_json_str(ct_json_get(c, "validation"), "name", NULL));
	field(f, "Organization:", NULL);
	field(f, "Signature:", NULL);
	field(f, "Date:", NULL);
}

char *
wipe_cert_text(struct json_object *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	text_person(f, c);
	text_media(f, c);
	text_details(f, c);
	text_post(f, c);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Write the certificate pair under a name nobody has used. */
int
wipe_cert_write(struct wipe *w, struct json_object *cert)
{
	char name[256], tname[256];
	const char *js;
	char *txt;
	int k, ret = -EEXIST;

	js = json_object_to_json_string_ext(cert, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((txt = wipe_cert_text(cert)) == NULL)
		return -ENOMEM;
	for (k = 1; k < 100 && ret == -EEXIST; k++) {
		char sfx[16] = "", path[PATH_MAX];
		struct stat st;

		if (k > 1)
			snprintf(sfx, sizeof(sfx), "-%d", k);
		if (ct_snprintf(name, sizeof(name), "%s%s.wipe.json", w->base, sfx) < 0 ||
		    ct_snprintf(tname, sizeof(tname), "%s%s.wipe.txt", w->base, sfx) < 0 ||
		    ct_snprintf(path, sizeof(path), "%s/%s", w->dir, tname) < 0) {
			ret = -ENAMETOOLONG;
			break;
		}
		/* a suffix free for both names: E1.wipe.json never pairs with
		 * someone else's E1.wipe.txt */
		if (lstat(path, &st) == 0)
			continue;	/* ret stays -EEXIST */
		ret = ct_write_new_file(w->dir, name, js, strlen(js));
		if (ret < 0)
			continue;	/* -EEXIST: the next suffix; else the loop ends */
		ret = ct_write_new_file(w->dir, tname, txt, strlen(txt));
		if (ret == 0) {
			(void)ct_snprintf(w->res->cert_json, sizeof(w->res->cert_json), "%s/%s", w->dir, name);
			(void)ct_snprintf(w->res->cert_txt, sizeof(w->res->cert_txt), "%s/%s", w->dir, tname);
			break;
		}
		/* the .json just written is ours: no half pair is left */
		if (ct_snprintf(path, sizeof(path), "%s/%s", w->dir, name) == 0)
			(void)unlink(path);
		(void)ct_fsync_dir(w->dir);
	}
	free(txt);
	if (ret < 0)
		wipe_err(w, ret, "cannot write the certificate in '%s': %s", w->dir, strerror(-ret));
	return ret;
}
