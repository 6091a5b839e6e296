/*
 * log.c — `cardtrail log [--json] CASEDIR`: the case as a timeline.  It
 * shows; `cardtrail verify` checks.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/util.h"
#include "cmd/cmd.h"


/* One action's summary: a table of what to say per action. */
static void
say_open(struct json_object *r)
{
	printf("case opened (%s)", ct_cmd_str(r, "case", "?"));
}

static void
say_image(struct json_object *r)
{
	struct json_object *res = ct_json_get(r, "result"), *card = ct_json_get(ct_json_get(r, "subject"), "card");
	struct json_object *in = json_object_array_get_idx(ct_json_get(r, "inputs"), 0);
	struct json_object *h = ct_json_get(res, "hashes"), *v = ct_json_get(res, "verify");
	char size[32];
	int64_t bad = json_object_get_int64(ct_json_get(res, "bad_bytes"));

	ct_human_size((uint64_t)json_object_get_int64(ct_json_get(card, "size")), size, sizeof(size));
	printf("%s from %s (%s", ct_cmd_str(ct_json_get(r, "subject"), "evidence", "?"), ct_cmd_str(in, "path", "?"), size);
	if (ct_cmd_str(card, "cid", NULL))
		printf(", card CID %s", ct_cmd_str(card, "cid", ""));
	else if (ct_cmd_str(card, "serial", NULL))
		printf(", serial %s", ct_cmd_str(card, "serial", ""));
	else
		printf(", no card serial visible");
	printf(")");
	if (!json_object_get_boolean(ct_json_get(res, "complete"))) {
		printf(": INCOMPLETE (%s)", ct_cmd_str(res, "error", ct_cmd_str(res, "status", "?")));
		return;
	}
	if (h) {
		json_object_object_foreach(h, name, hv)
			printf(", %s %.12s…", ct_cmd_esc(name), ct_cmd_esc(json_object_get_string(hv)));
	}
	if (bad > 0)
		printf("; %" PRId64 " bytes unreadable in %d ranges, zero-filled", bad,
		       json_object_get_int(ct_json_get(res, "bad_ranges")));
	else
		printf("; no unreadable sectors");
	if (v) {
		struct json_object *vi = ct_json_get(v, "image"), *vs = ct_json_get(v, "source");
		printf("; verify %s", ct_cmd_str(v, "requested", "?"));
		if (vi)
			printf(", image %s", json_object_get_boolean(vi) ? "matched" : "MISMATCH");
		if (vs)
			printf(", source %s", json_object_get_boolean(vs) ? "matched" : "MISMATCH");
	}
}

/* A note names what it is about: an evidence, an item not imaged yet, or
 * nothing in particular. */
static void
say_note(struct json_object *r)
{
	struct json_object *subj = ct_json_get(r, "subject");
	const char *text = ct_cmd_str(ct_json_get(r, "result"), "text", "");

	if (ct_cmd_str(subj, "evidence", NULL))
		printf("on %s: \"%s\"", ct_cmd_str(subj, "evidence", ""), text);
	else if (ct_cmd_str(subj, "item", NULL))
		printf("on \"%s\": \"%s\"", ct_cmd_str(subj, "item", ""), text);
	else
		printf("note: \"%s\"", text);
}

static void
say_repair(struct json_object *r)
{
	struct json_object *res = ct_json_get(r, "result");

	printf("torn record of %lld bytes set aside in %s",
	       (long long)json_object_get_int64(ct_json_get(res, "torn_bytes")), ct_cmd_str(res, "kept_in", "?"));
}

static void
say_extract(struct json_object *r)
{
	struct json_object *res = ct_json_get(r, "result");

	printf("%s: %d flights, %d files", ct_cmd_str(ct_json_get(r, "subject"), "evidence", "?"),
	       json_object_get_int(ct_json_get(res, "flights")), json_object_get_int(ct_json_get(res, "files")));
}

static void
say_wipe(struct json_object *r)
{
	struct json_object *res = ct_json_get(r, "result");

	struct json_object *card = ct_json_get(ct_json_get(r, "subject"), "card");
	char size[32];

	ct_human_size((uint64_t)json_object_get_int64(ct_json_get(card, "size")), size, sizeof(size));
	printf("%s (%s, %s%s) wiped with %s: %s%s", ct_cmd_str(ct_json_get(r, "subject"), "evidence", "card"),
	       size, ct_cmd_str(card, "serial", NULL) ? "serial " : "no card serial visible",
	       ct_cmd_str(card, "serial", ""), ct_cmd_str(res, "method", "?"), ct_cmd_str(res, "status", "?"),
	       json_object_get_boolean(ct_json_get(res, "no_image_check")) ? " (NOT imaged first: "
	       "--no-image-check)" : "");
}

/* How the card of a wipe was matched, in a few words. */
static void
say_match(struct json_object *m)
{
	const char *how = ct_cmd_str(m, "method", NULL);

	if (how == NULL)
		return;
	if (!strcmp(how, "none"))
		printf(", NOT imaged first (--no-image-check)");
	else if (ct_json_get(m, "retry_of"))
		printf(", matched %s to what the wipe of record %lld left", how,
		       (long long)json_object_get_int64(ct_json_get(m, "retry_of")));
	else if (!ct_json_get(m, "resume_of"))
		printf(", matched %s to the image (record %lld)", how,
		       (long long)json_object_get_int64(ct_json_get(m, "image_record")));
}

static void
say_wipe_start(struct json_object *r)
{
	struct json_object *res = ct_json_get(r, "result");

	printf("%s: wipe started, %s (%zu pass%s, verify %s)",
	       ct_cmd_str(ct_json_get(r, "subject"), "evidence", "card"), ct_cmd_str(res, "method", "?"),
	       json_object_array_length(ct_json_get(res, "passes")),
	       json_object_array_length(ct_json_get(res, "passes")) == 1 ? "" : "es",
	       ct_cmd_str(res, "verify", "?"));
	say_match(ct_json_get(res, "match"));
}

static void
say_wipe_resume(struct json_object *r)
{
	struct json_object *res = ct_json_get(r, "result");

	printf("%s: wipe of record %lld resumed at pass %d, %s from offset %lld",
	       ct_cmd_str(ct_json_get(r, "subject"), "evidence", "card"),
	       (long long)json_object_get_int64(ct_json_get(res, "start")),
	       json_object_get_int(ct_json_get(res, "pass")), ct_cmd_str(res, "phase", "?"),
	       (long long)json_object_get_int64(ct_json_get(res, "offset")));
}

/* An image made elsewhere, brought in: from where, and what its stored
 * hashes said. */
static void
say_adopt(struct json_object *r)
{
	struct json_object *res = ct_json_get(r, "result"), *sh = ct_json_get(res, "stored_hashes");
	struct json_object *in = json_object_array_get_idx(ct_json_get(r, "inputs"), 0);
	char size[32];
	int n = 0, bad = 0;

	ct_human_size((uint64_t)json_object_get_int64(ct_json_get(res, "bytes")), size, sizeof(size));
	printf("%s adopted from %s (%s, %s%s)", ct_cmd_str(ct_json_get(r, "subject"), "evidence", "?"),
	       ct_cmd_str(in, "path", "?"), ct_cmd_str(res, "format", "?"), size,
	       json_object_get_boolean(ct_json_get(res, "in_place")) ? ", in place" : "");
	if (!json_object_get_boolean(ct_json_get(res, "complete"))) {
		printf(": INCOMPLETE (%s)", ct_cmd_str(res, "error", ct_cmd_str(res, "status", "?")));
		return;
	}
	if (ct_cmd_str(ct_json_get(res, "hashes"), "sha256", NULL))
		printf(", sha256 %.12s…", ct_cmd_str(ct_json_get(res, "hashes"), "sha256", ""));
	if (sh) {
		json_object_object_foreach(sh, algo, v) {
			(void)algo;
			n++;
			bad += ct_json_get(v, "match") && !json_object_get_boolean(ct_json_get(v, "match"));
		}
	}
	if (n == 0)
		printf("; no stored hashes");
	else
		printf("; %d stored hash%s, %s", n, n == 1 ? "" : "es", bad ? "MISMATCH" : "matched");
}

/* A report: what it read and what it wrote. */
static void
say_report(struct json_object *r)
{
	struct json_object *res = ct_json_get(r, "result"), *outs = ct_json_get(r, "outputs");
	struct json_object *ext = ct_json_get(res, "outside_case");
	size_t i, n = outs ? json_object_array_length(outs) : 0;

	printf("report on %lld records:", (long long)json_object_get_int64(ct_json_get(
	       json_object_array_get_idx(ct_json_get(r, "inputs"), 0), "records")));
	for (i = 0; i < n; i++)
		printf(" %s", ct_cmd_str(json_object_array_get_idx(outs, i), "path", "?"));
	for (i = 0; ext && i < json_object_array_length(ext); i++)
		printf(" %s", ct_cmd_str(json_object_array_get_idx(ext, i), "path", "?"));
	printf("; %s", json_object_get_boolean(ct_json_get(res, "verified")) ? "verified" :
	       "NOT verified");
}

static const struct {
	const char *action;
	void (*say)(struct json_object *);
} sayers[] = {
	{ "open", say_open }, { "image", say_image }, { "note", say_note },
	{ "repair", say_repair }, { "extract", say_extract }, { "wipe-start", say_wipe_start },
	{ "wipe-resume", say_wipe_resume }, { "wipe", say_wipe }, { "adopt", say_adopt },
	{ "report", say_report },
};

int
cmd_log(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ct_custody_log log;
	struct json_object *arr;
	char head[65] = "";
	size_t i, k;
	int c, ret, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			ct_usage(ct_command_find("log"), stdout);
			return CT_EXIT_OK;
		default:
			return ct_usage_error("log", "unknown option");
		}
	}
	if (argc - optind != 1)
		return ct_usage_error("log", "expected CASEDIR");
	if (ct_cmd_casedir("log", "CASEDIR", argv[optind], NULL) == NULL)
		return CT_EXIT_USAGE;
	ret = ct_custody_read(argv[optind], &log);
	if (ret != 0)
		return ct_cmd_custody_error(argv[optind], ret);
	if (json) {
		arr = json_object_new_array();
		for (i = 0; i < log.n; i++)
			json_object_array_add(arr, log.lines[i].rec ? json_object_get(log.lines[i].rec)
					      : json_object_new_string(log.lines[i].bytes));
		ct_print_json(arr);
		json_object_put(arr);
		ct_custody_release(&log);
		return CT_EXIT_OK;
	}
	if (log.n)
		ct_sha256_hex(log.lines[log.n - 1].bytes, log.lines[log.n - 1].len, head);
	printf("case %s: %zu records in %s/%s\n",
	       log.n && log.lines[0].rec ? ct_cmd_str(log.lines[0].rec, "case", "?") : "?", log.n,
	       argv[optind], CT_CUSTODY_LOG);
	for (i = 0; i < log.n; i++) {
		struct json_object *r = log.lines[i].rec;
		const char *a;

		if (r == NULL) {
			printf("line %zu: not a record (%.40s…)\n", i + 1, log.lines[i].bytes);
			continue;
		}
		a = ct_cmd_str(r, "action", "?");
		printf("%s  #%-3lld %-8s %-16s ", ct_cmd_str(r, "time", "?"),
		       (long long)json_object_get_int64(ct_json_get(r, "seq")), a, ct_cmd_str(r, "examiner", "?"));
		for (k = 0; k < CT_ARRAY_SIZE(sayers); k++)
			if (!strcmp(a, sayers[k].action)) {
				sayers[k].say(r);
				break;
			}
		if (k == CT_ARRAY_SIZE(sayers))
			printf("(unknown action)");
		if (ct_json_get(r, "sig"))
			printf("  [signed]");
		printf("\n");
	}
	if (log.torn)
		printf("torn tail: %zu bytes at offset %" PRIu64 " (run 'cardtrail verify --repair')\n",
		       log.torn_len, log.torn_off);
	printf("chain head %s (not verified here: run 'cardtrail verify %s')\n", head, argv[optind]);
	ct_custody_release(&log);
	return CT_EXIT_OK;
}
