/*
 * verify.c — walk the custody chain: every prev, every signature, every
 * output still present re-hashed, and the links between records (an
 * extract's input is an imaged evidence; a wipe's card is an imaged card).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "cardtrail/image.h"
#include "cardtrail/util.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static const char *const known_actions[] = {
	"open", "image", "adopt", "extract", "wipe-start", "wipe-resume", "wipe", "note", "repair",
	"report",
};

struct walk {
	const char *casedir;
	const struct ct_verify_opts *o;
	struct json_object *report, *records, *outputs, *problems;
	struct json_object *cur_problems;	/* the current record's */
	int ok;
};

static void
problem(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
problem(struct walk *w, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_array_add(w->problems, json_object_new_string(buf));
	if (w->cur_problems)
		json_object_array_add(w->cur_problems, json_object_new_string(buf));
	w->ok = 0;
}


/* A path from a record must stay inside the case folder. */
static int
safe_rel(const char *p)
{
	const char *s = p;

	if (p == NULL || *p == '\0' || *p == '/')
		return 0;
	while (*s) {
		size_t l = strcspn(s, "/");
		if ((l == 2 && !strncmp(s, "..", 2)) || (l == 1 && *s == '.'))
			return 0;
		s += l + (s[l] == '/');
	}
	return 1;
}

/*
 * The bytes a signature covers: the line without its trailing
 * ,"sig":"…" member.  Returns a malloc'd copy or NULL if the sig is not
 * the last member in cardtrail's own serialization.
 */
static char *
unsigned_bytes(const char *line, size_t len, const char *sig, size_t *outlen)
{
	struct json_object *s = json_object_new_string(sig);
	const char *sj = json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t sl = strlen(sj), tail = strlen(",\"sig\":") + sl + 1;
	char *out = NULL;

	if (len > tail && !memcmp(line + len - tail, ",\"sig\":", 7) &&
	    !memcmp(line + len - tail + 7, sj, sl) && line[len - 1] == '}') {
		out = malloc(len - tail + 2);
		if (out) {
			memcpy(out, line, len - tail);
			out[len - tail] = '}';
			out[len - tail + 1] = '\0';
			*outlen = len - tail + 1;
		}
	}
	json_object_put(s);
	return out;
}

/*
 * established: the latest time earlier records set (-1 none).  A key's
 * validity (allowed_signers valid-after/valid-before) must hold at the
 * record's time and at established: the signer chooses the first, not
 * the second, so a retired key cannot sign by claiming an old time.
 */
static void
check_signature(struct walk *w, const struct ct_custody_line *l, struct json_object *entry,
		int *seen_signed, uint64_t seq, long long established)
{
	const char *sig = ct_json_str(l->rec, "sig", NULL), *examiner = ct_json_str(l->rec, "examiner", NULL);
	struct ct_key *signer = NULL;
	char fp[80], ns[72], *msg;
	size_t ml = 0;
	int rc;

	if (sig == NULL) {
		json_object_object_add(entry, "signature", json_object_new_string("unsigned"));
		/* with keys to check against, an unsigned record proves nothing:
		 * stripping every signature must not pass as "verified" */
		if (*seen_signed && w->o->trust)
			problem(w, "record %" PRIu64 " is unsigned but follows signed records", seq);
		else if (w->o->trust && !w->o->allow_unsigned)
			problem(w, "record %" PRIu64 " is unsigned (keys were given: every record must be "
				"signed, or pass --allow-unsigned)", seq);
		return;
	}
	*seen_signed = 1;
	msg = unsigned_bytes(l->bytes, l->len, sig, &ml);
	if (msg == NULL) {
		json_object_object_add(entry, "signature", json_object_new_string("invalid"));
		problem(w, "record %" PRIu64 ": the signature is not where cardtrail puts it", seq);
		return;
	}
	rc = ct_sshsig_verify(sig, CT_SSHSIG_NAMESPACE, msg, ml, &signer);
	free(msg);
	if (rc == -ENOMSG && ct_sshsig_namespace(sig, ns, sizeof(ns)) == 0) {
		/* as ssh-keygen says it: a sound signature, made for another use */
		json_object_object_add(entry, "signature", json_object_new_string("invalid"));
		problem(w, "record %" PRIu64 ": the signature does not verify: namespace does not "
			"match (%s, expected %s)", seq, ns, CT_SSHSIG_NAMESPACE);
		return;
	}
	if (rc < 0) {
		json_object_object_add(entry, "signature", json_object_new_string("invalid"));
		problem(w, "record %" PRIu64 ": the signature does not verify (%s)", seq,
			rc == -EBADMSG ? "the record was changed after signing, or signed by "
			"another key than the one it names" : "unreadable signature");
		return;
	}
	ct_key_fingerprint(signer, fp, sizeof(fp));
	json_object_object_add(entry, "signer", json_object_new_string(fp));
	if (w->o->trust && !ct_trust_check(w->o->trust, signer, examiner, CT_SSHSIG_NAMESPACE,
					   ct_custody_time(ct_json_str(l->rec, "time", NULL)),
					   established)) {
		json_object_object_add(entry, "signature", json_object_new_string("untrusted"));
		problem(w, "record %" PRIu64 " is signed by %s, which is not a trusted key for "
			"examiner '%s'", seq, fp, examiner ? examiner : "?");
	} else {
		json_object_object_add(entry, "signature", json_object_new_string("valid"));
	}
	ct_key_free(signer);
}

/*
 * The first member name that one object of line holds twice, as a path
 * ("result.text", "outputs[].path"; printable ASCII, '?' for any other
 * byte) in out: 1, or 0 if none.  json-c keeps the last of two members, a
 * reader of the signed bytes sees the first: such a record is malformed.
 * line parsed already, so it is JSON; the names are decoded by json-c.
 */
#define DUP_DEPTH 64

/* Append p to out (at *o), printable ASCII only. */
static void
path_put(char *out, size_t outlen, size_t *o, const char *p)
{
	for (; *p && *o + 1 < outlen; p++)
		out[(*o)++] = *p > 0x20 && *p < 0x7f ? *p : '?';
	out[*o] = '\0';
}

/* The path of member name of level d: the members and arrays it is in. */
static void
dup_path(char *const *names, const int *is_obj, int d, const char *name, char *out, size_t outlen)
{
	size_t o = 0;
	int k;

	out[0] = '\0';
	for (k = 0; k < d; k++) {
		if (is_obj[k] && o > 0)
			path_put(out, outlen, &o, ".");
		path_put(out, outlen, &o, is_obj[k] ? (names[k] ? names[k] : "?") : "[]");
	}
	if (o > 0)
		path_put(out, outlen, &o, ".");
	path_put(out, outlen, &o, name);
}

static int
duplicate_member(const char *b, size_t n, char *out, size_t outlen)
{
	struct json_object *keys[DUP_DEPTH];
	char *names[DUP_DEPTH];		/* the member each object level is in */
	int is_obj[DUP_DEPTH], want_key[DUP_DEPTH], d = -1, found = 0;
	size_t i = 0, j;

	while (i < n && !found) {
		if (b[i] == '"') {
			for (j = i + 1; j < n && b[j] != '"'; j += b[j] == '\\' ? 2 : 1)
				;
			if (j >= n)
				break;
			if (d >= 0 && is_obj[d] && want_key[d]) {
				char *lit = strndup(b + i, j - i + 1);
				struct json_object *k = lit ? json_tokener_parse(lit) : NULL;
				const char *name = k ? json_object_get_string(k) : "?";

				if (json_object_object_get_ex(keys[d], name, NULL)) {
					dup_path(names, is_obj, d, name, out, outlen);
					found = 1;
				} else {
					json_object_object_add(keys[d], name, NULL);
				}
				free(names[d]);
				names[d] = strdup(name);
				want_key[d] = 0;
				json_object_put(k);
				free(lit);
			}
			i = j + 1;
			continue;
		}
		if (b[i] == '{' || b[i] == '[') {
			if (d + 1 == DUP_DEPTH)
				break;
			d++;
			is_obj[d] = b[i] == '{';
			keys[d] = is_obj[d] ? json_object_new_object() : NULL;
			names[d] = NULL;
			want_key[d] = 1;
		} else if ((b[i] == '}' || b[i] == ']') && d >= 0) {
			json_object_put(keys[d]);
			free(names[d]);
			d--;
		} else if (b[i] == ',' && d >= 0) {
			want_key[d] = 1;
		}
		i++;
	}
	for (; d >= 0; d--) {
		json_object_put(keys[d]);
		free(names[d]);
	}
	return found;
}

/*
 * Times never go back: cardtrail stamps a record no earlier than the one
 * before it (log.c).  A record earlier than the latest time before it was
 * not appended by cardtrail as it stands, or claims a time that suits its
 * signer: reported, and the log fails.  *latest (-1 none) and its record
 * move on.
 */
static void
check_order(struct walk *w, struct json_object *rec, uint64_t seq, long long *latest,
	    uint64_t *latest_seq)
{
	const char *ts = ct_json_str(rec, "time", NULL);
	long long t = ct_custody_time(ts);
	char was[32];

	if (t < 0)
		return;
	if (*latest >= 0 && t < *latest) {
		ct_time_utc((time_t)*latest, was, sizeof(was));
		problem(w, "record %" PRIu64 ": its time %s is earlier than record %" PRIu64 "'s "
			"(%s): the log's times never go back (cardtrail stamps no record earlier than "
			"the one before it)", seq, ts, *latest_seq, was);
		return;
	}
	*latest = t;
	*latest_seq = seq;
}

/* Output statuses: "ok" (re-hashed, as recorded), NOT_REHASHED (present,
 * not checked beyond its size), anything else is not as recorded. */
#define NOT_REHASHED "not re-hashed"

static struct json_object *
add_output(struct walk *w, uint64_t seq, const char *path, const char *status, const char *detail)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(o, "path", json_object_new_string(path ? path : "?"));
	json_object_object_add(o, "status", json_object_new_string(status));
	if (detail)
		json_object_object_add(o, "detail", json_object_new_string(detail));
	json_object_array_add(w->outputs, o);
	return o;
}

static void
set_output(struct json_object *o, const char *status, const char *detail)
{
	json_object_object_add(o, "status", json_object_new_string(status));
	if (detail)
		json_object_object_add(o, "detail", json_object_new_string(detail));
	else
		json_object_object_del(o, "detail");
}

/* The entry of image segment path among segs (the record's output entries). */
static struct json_object *
segment_entry(struct json_object *segs, const char *path)
{
	size_t i;

	for (i = 0; path && i < json_object_array_length(segs); i++) {
		struct json_object *e = json_object_array_get_idx(segs, i);
		if (!strcmp(ct_json_str(e, "path", ""), path))
			return e;
	}
	return NULL;
}

/* Every segment entry still pending gets status/detail. */
static void
settle_segments(struct json_object *segs, const char *status, const char *detail)
{
	size_t i;

	for (i = 0; i < json_object_array_length(segs); i++) {
		struct json_object *e = json_object_array_get_idx(segs, i);
		if (!strcmp(ct_json_str(e, "status", ""), "pending"))
			set_output(e, status, detail);
	}
}

/*
 * An image record: its acquisition record must be intact (checked as a
 * plain output first), then the segments are re-hashed against it.  segs
 * holds the segments' output entries (status "pending"): each ends "ok",
 * "MISMATCH" or NOT_REHASHED with the reason.
 */
static void
check_image_outputs(struct walk *w, struct json_object *rec, uint64_t seq, int acq_intact,
		    struct json_object *segs)
{
	struct json_object *outs = ct_json_get(rec, "outputs"), *acq = NULL, *rep = NULL, *rsegs;
	struct json_object *stored;
	const char *acq_path = NULL;
	char path[PATH_MAX];
	size_t i;

	for (i = 0; outs && i < json_object_array_length(outs); i++) {
		struct json_object *f = json_object_array_get_idx(outs, i);
		const char *role = ct_json_str(f, "role", NULL);
		if (role && !strcmp(role, "acquisition-record"))
			acq_path = ct_json_str(f, "path", NULL);
	}
	if (acq_path == NULL) {
		/* a run that did not complete (a card that vanished, a kill)
		 * lists no files: they change when --resume goes on */
		if (ct_json_get(ct_json_get(rec, "result"), "complete") &&
		    !json_object_get_boolean(ct_json_get(ct_json_get(rec, "result"), "complete")))
			return;
		problem(w, "record %" PRIu64 ": an image record without its acquisition record: the "
			"image cannot be re-hashed", seq);
		settle_segments(segs, NOT_REHASHED, "no acquisition record to check it against");
		return;
	}
	/* a changed acquisition record is reported as such; re-hashing
	 * against it would check the image against a forgery */
	if (!acq_intact || !safe_rel(acq_path) ||
	    ct_snprintf(path, sizeof(path), "%s/%s", w->casedir, acq_path) < 0) {
		settle_segments(segs, NOT_REHASHED, "its acquisition record changed");
		return;
	}
	acq = json_object_from_file(path);
	if (acq == NULL) {
		problem(w, "record %" PRIu64 ": cannot read %s as JSON", seq, acq_path);
		settle_segments(segs, NOT_REHASHED, "its acquisition record cannot be read");
		return;
	}
	if (ct_image_rehash(w->casedir, acq, w->o->bufsize, &rep) < 0 || rep == NULL) {
		problem(w, "record %" PRIu64 ": cannot re-hash the image of %s: %s", seq,
			ct_json_str(ct_json_get(rec, "subject"), "evidence", NULL) ?: "?", ct_json_str(rep, "error", NULL) ?: "?");
		settle_segments(segs, NOT_REHASHED, "the image could not be re-hashed");
		goto out;
	}
	rsegs = ct_json_get(rep, "segments");
	for (i = 0; rsegs && i < json_object_array_length(rsegs); i++) {
		struct json_object *s = json_object_array_get_idx(rsegs, i);
		struct json_object *bw = ct_json_get(s, "mismatched_windows");
		struct json_object *e = segment_entry(segs, ct_json_str(s, "path", NULL));
		const char *st = ct_json_str(s, "status", NULL);
		char detail[512] = "";

		if (st && strcmp(st, "present"))
			continue;	/* missing and wrong sizes are reported per output */
		if (ct_json_get(s, "match") == NULL)
			continue;	/* not hashed: settled below */
		if (json_object_get_boolean(ct_json_get(s, "match"))) {
			if (e)
				set_output(e, "ok", NULL);
			continue;
		}
		if (bw && json_object_array_length(bw) > 0) {
			size_t k, n = json_object_array_length(bw);
			int off = snprintf(detail, sizeof(detail), "window%s", n > 1 ? "s" : "");
			for (k = 0; k < n && off < (int)sizeof(detail) - 24; k++)
				off += snprintf(detail + off, sizeof(detail) - (size_t)off, "%s #%d",
						k ? "," : "",
						json_object_get_int(json_object_array_get_idx(bw, k)));
		}
		if (e)
			set_output(e, "MISMATCH", detail[0] ? detail :
				   "its hashes differ from the acquisition record");
		problem(w, "record %" PRIu64 ": image segment %s does not match the acquisition "
			"hashes%s%s", seq, ct_json_str(s, "path", NULL), detail[0] ? " in " : "", detail);
	}
	/* an E01 chunk that fails its checksum: name it */
	if (ct_json_str(rep, "damaged_chunks", NULL))
		problem(w, "record %" PRIu64 ": the image is damaged: %s", seq,
			ct_json_str(rep, "damaged_chunks", NULL));
	/* an adopted image: what it stores against what it reads as now */
	if ((stored = ct_json_get(rep, "stored_hashes")) != NULL) {
		json_object_object_foreach(stored, algo, sv)
			if (!json_object_get_boolean(ct_json_get(sv, "match")))
				problem(w, "record %" PRIu64 ": re-checked: the %s stored in %s is %s, "
					"the image reads as %s", seq, algo,
					ct_json_str(ct_json_get(rec, "subject"), "evidence", "?"),
					ct_json_str(sv, "stored", "?"), ct_json_str(sv, "computed", "?"));
	}
	if (json_object_get_boolean(ct_json_get(rep, "match")) || !w->ok ||
	    (ct_json_get(rep, "adopted_ok") && !json_object_get_boolean(ct_json_get(rep, "adopted_ok"))))
		;	/* matched, or what is at fault is named above (or by check_adopted) */
	else if (ct_json_get(rep, "hashes"))
		problem(w, "record %" PRIu64 ": the image does not match its acquisition "
			"hashes", seq);
	else
		problem(w, "record %" PRIu64 ": the image was not re-hashed: %s", seq,
			ct_json_str(rep, "error", "?"));
	/* segments the re-hash did not reach: another one is missing or has
	 * the wrong size, and the image is hashed as a whole */
	settle_segments(segs, NOT_REHASHED, ct_json_str(rep, "error", NULL) ?
			"not re-hashed: another segment of the image is missing or has the wrong size" :
			"not re-hashed");
out:
	json_object_put(rep);
	json_object_put(acq);
}

static void
check_outputs(struct walk *w, struct json_object *rec, uint64_t seq, int is_image)
{
	struct json_object *outs = ct_json_get(rec, "outputs"), *segs = json_object_new_array();
	size_t i;
	int acq_intact = 0;

	for (i = 0; outs && i < json_object_array_length(outs); i++) {
		struct json_object *f = json_object_array_get_idx(outs, i);
		const char *p = ct_json_str(f, "path", NULL), *want = ct_json_str(f, "sha256", NULL), *role = ct_json_str(f, "role", NULL);
		uint64_t want_bytes = (uint64_t)json_object_get_int64(ct_json_get(f, "bytes"));
		char path[PATH_MAX], hex[65], detail[256];
		unsigned char d[32];
		unsigned long long bytes = 0;
		struct stat st;
		int rc;

		if (!safe_rel(p) || ct_snprintf(path, sizeof(path), "%s/%s", w->casedir, p) < 0) {
			add_output(w, seq, p, "BAD PATH", "outside the case folder");
			problem(w, "record %" PRIu64 ": output '%s' is not a path inside the case", seq,
				p ? p : "?");
			continue;
		}
		if (lstat(path, &st) < 0) {
			add_output(w, seq, p, "missing", NULL);
			problem(w, "record %" PRIu64 ": output %s is missing", seq, p);
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			add_output(w, seq, p, "NOT A FILE", NULL);
			problem(w, "record %" PRIu64 ": output %s is not a regular file", seq, p);
			continue;
		}
		if ((uint64_t)st.st_size != want_bytes) {
			snprintf(detail, sizeof(detail), "%lld bytes, recorded %lld", (long long)st.st_size,
				 (long long)want_bytes);
			add_output(w, seq, p, "MISMATCH", detail);
			if (is_image && role && !strcmp(role, "image"))
				problem(w, "record %" PRIu64 ": image segment %s has %s", seq, p, detail);
			else
				problem(w, "record %" PRIu64 ": output %s has changed (%s)", seq, p, detail);
			continue;
		}
		if (w->o->no_rehash) {
			add_output(w, seq, p, NOT_REHASHED, "size as recorded (--quick)");
			continue;
		}
		if (is_image && role && !strcmp(role, "image")) {
			/* re-hashed with the windows below, not twice */
			json_object_array_add(segs, json_object_get(add_output(w, seq, p, "pending", NULL)));
			continue;
		}
		if ((rc = ct_sha256_file(path, d, &bytes)) < 0) {
			add_output(w, seq, p, "UNREADABLE", strerror(-rc));
			problem(w, "record %" PRIu64 ": cannot read output %s: %s", seq, p, strerror(-rc));
			continue;
		}
		ct_hex(d, 32, hex);
		if (want == NULL || strcmp(want, hex) || bytes != want_bytes) {
			snprintf(detail, sizeof(detail), "sha256 %.16s…, recorded %.16s…", hex,
				 want ? want : "nothing");
			add_output(w, seq, p, "MISMATCH", detail);
			problem(w, "record %" PRIu64 ": output %s has changed (%s)", seq, p, detail);
			continue;
		}
		add_output(w, seq, p, "ok", NULL);
		if (role && !strcmp(role, "acquisition-record"))
			acq_intact = 1;
	}
	if (is_image && !w->o->no_rehash) {
		int before = w->ok;
		w->ok = 1;
		check_image_outputs(w, rec, seq, acq_intact, segs);
		w->ok = w->ok && before;
	}
	json_object_put(segs);
}

/* The top-level name of a listed path ("E1.raw", "dir/" for "dir/x"). */
static void
list_name(struct json_object *set, const char *p)
{
	char top[NAME_MAX + 2];
	size_t l = strcspn(p, "/");

	if (l == 0 || l > NAME_MAX)
		return;
	snprintf(top, sizeof(top), "%.*s%s", (int)l, p, p[l] == '/' ? "/" : "");
	json_object_object_add(set, top, NULL);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Files and folders in the case folder that no record lists: what a record
 * cut from the tail leaves behind, or something put there by hand.
 */
static void
check_unrecorded(struct walk *w, struct ct_custody_log *log, struct json_object *unrec)
{
	struct json_object *set = json_object_new_object();
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i, k;
	DIR *d;

	json_object_object_add(set, CT_CUSTODY_LOG, NULL);
	/* the working file of a wipe that was started and has not ended */
	for (i = 0; i < log->n; i++) {
		struct json_object *r = log->lines[i].rec;
		const char *sf = ct_json_str(ct_json_get(r, "result"), "state_file", NULL);
		if (strcmp(ct_json_str(r, "action", ""), "wipe-start") || !safe_rel(sf))
			continue;
		for (k = i + 1; k < log->n; k++) {
			struct json_object *e = log->lines[k].rec;
			if (!strcmp(ct_json_str(e, "action", ""), "wipe") &&
			    ct_json_get(ct_json_get(e, "result"), "start") &&
			    (size_t)json_object_get_int64(ct_json_get(ct_json_get(e, "result"), "start")) == i)
				break;
		}
		if (k == log->n)
			list_name(set, sf);
	}
	for (i = 0; i < log->n; i++) {
		struct json_object *outs = ct_json_get(log->lines[i].rec, "outputs");
		for (k = 0; outs && k < json_object_array_length(outs); k++) {
			const char *p = ct_json_str(json_object_array_get_idx(outs, k), "path", NULL);
			if (safe_rel(p))
				list_name(set, p);
		}
	}
	if ((d = opendir(w->casedir)) == NULL) {
		problem(w, "cannot list the case folder '%s': %s", w->casedir, strerror(errno));
		json_object_put(set);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char name[NAME_MAX + 2];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(name, sizeof(name), "%s", de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			strcat(name, "/");
		if (json_object_object_get_ex(set, name, NULL))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*names));
			if (nn == NULL)
				break;
			names = nn;
		}
		if ((names[n] = strdup(name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		json_object_array_add(unrec, json_object_new_string(names[i]));
		if (w->o->strict)
			problem(w, "%s is in the case folder but no record lists it", names[i]);
		free(names[i]);
	}
	free(names);
	json_object_put(set);
}

/* An adopt record that says the image failed its own checks (a stored
 * hash that differs, a damaged chunk): the case never verifies, whatever
 * a re-hash finds; the re-check is check_image_outputs'. */
static void
check_adopted(struct walk *w, struct json_object *rec, uint64_t seq)
{
	struct json_object *res = ct_json_get(rec, "result");
	const char *action = ct_json_str(rec, "action", ""), *status = ct_json_str(res, "status", "");

	/* (adopt's statuses: complete, complete-with-unreadable-sectors,
	 * stored-hash-mismatch for any failed check, failed: not complete) */
	if (strcmp(action, "adopt") || strcmp(status, "stored-hash-mismatch"))
		return;
	problem(w, "record %" PRIu64 ": %s failed its own checks when adopted (exit %d): %s", seq,
		ct_json_str(ct_json_get(rec, "subject"), "evidence", "?"),
		json_object_get_int(ct_json_get(res, "exit")), ct_json_str(res, "error", status));
}

/* Links between records: extract inputs and wipe subjects. */
static void
check_links(struct walk *w, struct ct_custody_log *log, size_t upto, struct json_object *rec,
	    uint64_t seq)
{
	const char *action = ct_json_str(rec, "action", NULL);
	const char *ev = ct_json_str(ct_json_get(rec, "subject"), "evidence", NULL);
	size_t i, k;

	if (action && !strcmp(action, "extract")) {
		struct json_object *ins = ct_json_get(rec, "inputs");
		for (k = 0; ins && k < json_object_array_length(ins); k++) {
			const char *h = ct_json_str(json_object_array_get_idx(ins, k), "sha256", NULL);
			int found = 0;
			for (i = 0; i < upto && !found; i++) {
				struct json_object *r = log->lines[i].rec;
				const char *a = ct_json_str(r, "action", NULL);
				/* an image made here, or one adopted (cardtrail adopt) */
				if (a && (!strcmp(a, "image") || !strcmp(a, "adopt")) && h &&
				    (ev == NULL || (ct_json_str(ct_json_get(r, "subject"), "evidence", NULL) &&
						    !strcmp(ct_json_str(ct_json_get(r, "subject"), "evidence", NULL), ev))) &&
				    ct_json_str(ct_json_get(ct_json_get(r, "result"), "hashes"), "sha256", NULL) &&
				    !strcmp(ct_json_str(ct_json_get(ct_json_get(r, "result"), "hashes"), "sha256", NULL), h))
					found = 1;
			}
			if (!found)
				problem(w, "record %" PRIu64 ": extract input %s is not the image of an "
					"earlier image record%s%s", seq,
					ct_json_str(json_object_array_get_idx(ins, k), "path", NULL) ?: "?",
					ev ? " of " : "", ev ? ev : "");
		}
	}
	if (action && !strcmp(action, "wipe")) {
		struct json_object *card = ct_json_get(ct_json_get(rec, "subject"), "card");
		int found = 0;
		for (i = 0; i < upto && !found; i++) {
			struct json_object *r = log->lines[i].rec, *c2;
			const char *a = ct_json_str(r, "action", NULL);
			if (!a || strcmp(a, "image"))
				continue;
			c2 = ct_json_get(ct_json_get(r, "subject"), "card");
			if (c2 && card &&
			    json_object_get_int64(ct_json_get(c2, "size")) == json_object_get_int64(ct_json_get(card, "size"))) {
				const char *s1 = ct_json_str(card, "cid", NULL) ? ct_json_str(card, "cid", NULL) : ct_json_str(card, "serial", NULL);
				const char *s2 = ct_json_str(card, "cid", NULL) ? ct_json_str(c2, "cid", NULL) : ct_json_str(c2, "serial", NULL);
				if (s1 == NULL || (s2 && !strcmp(s1, s2)))
					found = 1;
			}
		}
		if (!found && !json_object_get_boolean(ct_json_get(ct_json_get(rec, "result"), "no_image_check")))
			problem(w, "record %" PRIu64 ": the wiped card matches no imaged evidence of "
				"this case", seq);
	}
}

int
ct_custody_verify(const char *casedir, const struct ct_verify_opts *o, struct json_object **report)
{
	struct ct_custody_log log;
	struct walk w;
	struct json_object *counts;
	char head[65] = "", prev[65];
	const char *caseid = NULL;
	size_t i, k;
	struct json_object *unrec;
	int ret, seen_signed = 0, nsigned = 0, nunsigned = 0, nok = 0, nbad = 0, nskip = 0;
	long long latest = -1, established = -1;
	uint64_t latest_seq = 0;
	char dup[256];

	*report = NULL;
	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	ret = ct_custody_read(casedir, &log);
	if (ret != 0)
		return ret;
	memset(&w, 0, sizeof(w));
	w.casedir = casedir;
	w.o = o;
	w.ok = 1;
	w.report = json_object_new_object();
	w.records = json_object_new_array();
	w.outputs = json_object_new_array();
	w.problems = json_object_new_array();

	for (i = 0; i < log.n; i++) {
		struct ct_custody_line *l = &log.lines[i];
		struct json_object *e = json_object_new_object(), *rec = l->rec;
		const char *action, *p;
		uint64_t seq = i;

		w.cur_problems = json_object_new_array();
		json_object_object_add(e, "line", json_object_new_int64((int64_t)i + 1));
		if (rec == NULL) {
			json_object_object_add(e, "seq", json_object_new_int64((int64_t)i));
			json_object_object_add(e, "problems", w.cur_problems);
			problem(&w, "line %zu (record %zu) is not a JSON record", i + 1, i);
			json_object_object_add(e, "verdict", json_object_new_string("FAILED"));
			json_object_array_add(w.records, e);
			w.cur_problems = NULL;
			continue;
		}
		if (ct_json_get(rec, "seq"))
			seq = (uint64_t)json_object_get_int64(ct_json_get(rec, "seq"));
		action = ct_json_str(rec, "action", NULL);
		json_object_object_add(e, "seq", json_object_new_int64((int64_t)seq));
		json_object_object_add(e, "time", json_object_new_string(ct_json_str(rec, "time", NULL) ?: "?"));
		json_object_object_add(e, "action", json_object_new_string(action ?: "?"));
		json_object_object_add(e, "evidence",
				       json_object_new_string(ct_json_str(ct_json_get(rec, "subject"), "evidence", NULL) ?: "-"));
		json_object_object_add(e, "examiner", json_object_new_string(ct_json_str(rec, "examiner", NULL) ?: "?"));
		if (json_object_get_int(ct_json_get(rec, "v")) != 1)
			problem(&w, "record %" PRIu64 ": unknown format version", seq);
		if (duplicate_member(l->bytes, l->len, dup, sizeof(dup)))
			problem(&w, "record %" PRIu64 " is malformed: member '%s' appears twice (cardtrail "
				"would read the last, a reader the first)", seq, dup);
		if (seq != i)
			problem(&w, "record at line %zu says seq %" PRIu64 ", expected %zu (a record was "
				"removed, inserted or moved)", i + 1, seq, i);
		if (i == 0) {
			snprintf(prev, sizeof(prev), "%s", ZERO_HASH);
			caseid = ct_json_str(rec, "case", NULL);
			if (action == NULL || strcmp(action, "open"))
				problem(&w, "record 0 is not the case's open record");
		} else {
			ct_sha256_hex(log.lines[i - 1].bytes, log.lines[i - 1].len, prev);
		}
		p = ct_json_str(rec, "prev", NULL);
		if (p == NULL || strcmp(p, prev))
			problem(&w, "record %" PRIu64 ": prev does not match the previous record (the "
				"chain is broken here: a record before it was changed, removed or "
				"moved)", seq);
		if (caseid == NULL || ct_json_str(rec, "case", NULL) == NULL || strcmp(caseid, ct_json_str(rec, "case", NULL)))
			problem(&w, "record %" PRIu64 " belongs to another case", seq);
		for (k = 0; action && k < CT_ARRAY_SIZE(known_actions); k++)
			if (!strcmp(action, known_actions[k]))
				break;
		if (action == NULL || k == CT_ARRAY_SIZE(known_actions))
			problem(&w, "record %" PRIu64 ": unknown action '%s'", seq, action ?: "");
		check_order(&w, rec, seq, &latest, &latest_seq);
		check_signature(&w, l, e, &seen_signed, seq, established);
		established = latest;
		if (ct_json_str(rec, "sig", NULL))
			nsigned++;
		else
			nunsigned++;
		if (!o->chain_only) {
			check_adopted(&w, rec, seq);
			check_outputs(&w, rec, seq, action && (!strcmp(action, "image") ||
							       !strcmp(action, "adopt")));
			check_links(&w, &log, i, rec, seq);
		}
		json_object_object_add(e, "problems", w.cur_problems);
		json_object_object_add(e, "verdict", json_object_new_string(
					       json_object_array_length(w.cur_problems) ? "FAILED" : "ok"));
		json_object_array_add(w.records, e);
		w.cur_problems = NULL;
	}
	if (log.n > 0)
		ct_sha256_hex(log.lines[log.n - 1].bytes, log.lines[log.n - 1].len, head);
	if (log.torn) {
		struct json_object *t = json_object_new_object();
		json_object_object_add(t, "offset", json_object_new_int64((int64_t)log.torn_off));
		json_object_object_add(t, "bytes", json_object_new_int64((int64_t)log.torn_len));
		json_object_object_add(w.report, "torn", t);
		problem(&w, "the log ends with a torn record (%zu bytes at offset %" PRIu64 "): power "
			"lost during an append? 'cardtrail verify --repair' sets it aside",
			log.torn_len, log.torn_off);
	} else {
		json_object_object_add(w.report, "torn", NULL);
	}
	if (log.n == 0)
		problem(&w, "the log holds no complete record");
	unrec = json_object_new_array();
	if (!o->chain_only)
		check_unrecorded(&w, &log, unrec);
	json_object_object_add(w.report, "case", caseid ? json_object_new_string(caseid) : NULL);
	json_object_object_add(w.report, "records", w.records);
	json_object_object_add(w.report, "outputs", w.outputs);
	json_object_object_add(w.report, "head", json_object_new_string(head));
	json_object_object_add(w.report, "problems", w.problems);
	json_object_object_add(w.report, "ok", json_object_new_boolean(w.ok));
	json_object_object_add(w.report, "keys_checked",
			       json_object_new_boolean(o->trust != NULL));
	counts = json_object_new_object();
	json_object_object_add(counts, "records", json_object_new_int64((int64_t)log.n));
	json_object_object_add(counts, "signed", json_object_new_int(nsigned));
	json_object_object_add(counts, "unsigned", json_object_new_int(nunsigned));
	json_object_object_add(counts, "outputs",
			       json_object_new_int64((int64_t)json_object_array_length(w.outputs)));
	for (i = 0; i < json_object_array_length(w.outputs); i++) {
		const char *st = ct_json_str(json_object_array_get_idx(w.outputs, i), "status", "");
		if (!strcmp(st, "ok"))
			nok++;
		else if (!strcmp(st, NOT_REHASHED))
			nskip++;
		else
			nbad++;
	}
	json_object_object_add(counts, "outputs_ok", json_object_new_int(nok));
	json_object_object_add(counts, "outputs_bad", json_object_new_int(nbad));
	json_object_object_add(counts, "outputs_not_rehashed", json_object_new_int(nskip));
	json_object_object_add(counts, "unrecorded",
			       json_object_new_int64((int64_t)json_object_array_length(unrec)));
	json_object_object_add(w.report, "unrecorded", unrec);
	json_object_object_add(w.report, "quick", json_object_new_boolean(o->no_rehash));
	json_object_object_add(w.report, "counts", counts);
	*report = w.report;
	ct_custody_release(&log);
	return 0;
}
