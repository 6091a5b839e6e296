/*
 * image.c — `cardtrail image [options] SOURCE CASEDIR`.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "cardtrail/image.h"
#include "cardtrail/pipe.h"
#include "cardtrail/util.h"
#include "cmd/cmd.h"

enum { PROGRESS_NONE, PROGRESS_BAR, PROGRESS_JSON };

struct progress_state {
	int kind;
	double last_json;
	int bar_shown;
};

static void
show_progress(const struct ct_progress *p, void *ctx)
{
	struct progress_state *ps = ctx;
	double rate = p->elapsed > 0 ? (double)p->done / p->elapsed : 0;
	double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
	const char *phase = p->phase == CT_PROGRESS_ACQUIRE ? "image" : "verify";

	if (ps->kind == PROGRESS_JSON) {
		if (!p->final && p->elapsed - ps->last_json < 1.0)
			return;
		ps->last_json = p->elapsed;
		fprintf(stderr, "{\"phase\":\"%s\",\"done\":%llu,\"total\":%llu,\"elapsed\":%.1f,"
			"\"rate\":%.0f,\"eta\":%.0f,\"bad_bytes\":%llu,\"final\":%s}\n", phase,
			(unsigned long long)p->done, (unsigned long long)p->total, p->elapsed, rate,
			eta, (unsigned long long)p->bad_bytes, p->final ? "true" : "false");
	} else if (ps->kind == PROGRESS_BAR) {
		char d[32], t[32], r[32];

		ct_human_size(p->done, d, sizeof(d));
		ct_human_size(p->total, t, sizeof(t));
		ct_human_size((uint64_t)rate, r, sizeof(r));
		fprintf(stderr, "\r%-6s %10s / %-10s %3d%%  %10s/s  ETA %d:%02d  unreadable %llu   ",
			phase, d, t, p->total ? (int)(100.0 * (double)p->done / (double)p->total) : 100,
			r, (int)eta / 60, (int)eta % 60, (unsigned long long)p->bad_bytes);
		if (p->final)
			fputc('\n', stderr);
		ps->bar_shown = 1;
	}
	fflush(stderr);
}

static void
print_summary(const struct ct_image_opts *o, const struct ct_image_result *r)
{
	struct json_object *rec = r->record, *v, *h, *segs, *bad, *ver;
	char size[32];
	size_t i;

	if (!json_object_object_get_ex(rec, "source", &v))
		return;
	ct_human_size((uint64_t)json_object_get_int64(json_object_object_get(v, "size")), size,
		      sizeof(size));
	printf("%s  %s -> %s\n", r->evidence, o->source, o->casedir);
	printf("  source     %s, %s, %d-byte sectors\n",
	       !strcmp(json_object_get_string(json_object_object_get(v, "kind")), "block") ?
	       "block device" : "regular file", size,
	       json_object_get_int(json_object_object_get(v, "logical_sector_size")));
	if (json_object_object_get_ex(rec, "write_block", &v))
		printf("  blocked    %s\n", json_object_get_string(json_object_object_get(v, "method")));
	if (!strcmp(ct_json_str(ct_json_get(rec, "options"), "format", "raw"), "e01"))
		printf("  format     E01 (EnCase 6, libewf), compression %s\n",
		       ct_json_str(ct_json_get(rec, "options"), "compress", "none"));
	if (ct_json_str(ct_json_get(rec, "metadata"), "case_number", NULL))
		printf("  case       %s\n", ct_json_str(ct_json_get(rec, "metadata"), "case_number", ""));
	if (json_object_object_get_ex(rec, "segments", &segs)) {
		for (i = 0; i < json_object_array_length(segs); i++) {
			struct json_object *s = json_object_array_get_idx(segs, i);
			printf("  image      %s (%lld bytes)\n",
			       json_object_get_string(json_object_object_get(s, "path")),
			       (long long)json_object_get_int64(json_object_object_get(s, "bytes")));
		}
	}
	if (json_object_object_get_ex(rec, "hashes", &h)) {
		json_object_object_foreach(h, k, hv)
			printf("  %-10s %s\n", k, json_object_get_string(hv));
	}
	if (json_object_object_get_ex(rec, "bad_ranges", &bad)) {
		size_t n = json_object_array_length(bad);
		if (n == 0)
			printf("  unreadable none\n");
		else
			printf("  unreadable %llu bytes in %zu range%s, zero-filled (see %s.map)\n",
			       (unsigned long long)r->bad_bytes, n, n == 1 ? "" : "s", r->evidence);
	}
	if (json_object_object_get_ex(rec, "verify", &ver)) {
		struct json_object *img = NULL, *src = NULL;
		json_object_object_get_ex(ver, "image", &img);
		json_object_object_get_ex(ver, "source", &src);
		if (img == NULL && src == NULL)
			printf("  verify     not requested\n");
		if (img)
			printf("  verify     image re-read: %s\n",
			       json_object_get_boolean(json_object_object_get(img, "match")) ?
			       "matches the acquisition hashes" : "MISMATCH");
		if (src) {
			struct json_object *cmp = json_object_object_get(src, "compared_bytes");
			if (cmp)
				printf("  verify     source re-read: %s (%lld bytes compared)\n",
				       json_object_get_boolean(json_object_object_get(src, "match")) ?
				       "identical to the image" : "MISMATCH",
				       (long long)json_object_get_int64(cmp));
			else
				printf("  verify     source re-read: %s\n",
				       json_object_get_boolean(json_object_object_get(src, "match")) ?
				       "matches the acquisition hashes" : "MISMATCH");
		}
	}
	printf("  record     %s\n", r->record_path);
}

static void
print_custody(uint64_t seq, const char *casedir)
{
	printf("  custody    record %llu in %s/%s\n", (unsigned long long)seq, casedir,
	       CT_CUSTODY_LOG);
}

/* An E01 given as the source is an image made elsewhere, not a card:
 * imaging its container would hide the card behind it (extract then finds
 * no filesystem).  It is refused, pointing to adopt, unless asked for. */
static int
check_not_ewf(const struct ct_image_opts *o)
{
	int ret;

	if (o->container_as_bytes || o->resume)
		return 0;
	ret = ct_image_source_is_ewf(o->source);
	if (ret <= 0)
		return 0;	/* unreadable: the run says why, as for any source */
	ct_error(0, "'%s' is an E01 (Expert Witness) image, not a card: bring it into the case "
		 "with 'cardtrail adopt %s %s' (--container-as-bytes images the E01 file itself, "
		 "as bytes)", o->source, o->source, o->casedir);
	return CT_EXIT_FAIL;
}

int
cmd_image(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "evidence-id", required_argument, NULL, 'e' },
		{ "hash", required_argument, NULL, 'H' },
		{ "hash-window", required_argument, NULL, 'w' },
		{ "split", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "compress", required_argument, NULL, 'c' },
		{ "case-number", required_argument, NULL, 'C' },
		{ "evidence-number", required_argument, NULL, 'E' },
		{ "description", required_argument, NULL, 'D' },
		{ "notes", required_argument, NULL, 'N' },
		{ "verify", required_argument, NULL, 'v' },
		{ "retries", required_argument, NULL, 'r' },
		{ "resume", no_argument, NULL, 'R' },
		{ "allow-mounted", no_argument, NULL, 'M' },
		{ "no-space-check", no_argument, NULL, 'S' },
		{ "container-as-bytes", no_argument, NULL, 'B' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "progress", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "examiner", required_argument, NULL, 'X' },
		{ "sign-key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const struct { const char *name; int bits; } verifies[] = {
		{ "none", 0 }, { "image", CT_VERIFY_IMAGE }, { "source", CT_VERIFY_SOURCE },
		{ "both", CT_VERIFY_IMAGE | CT_VERIFY_SOURCE },
	};
	static const char *progress_names[] = { "none", "bar", "json" };
	static const char *formats[] = { "raw", "e01" };
	static const char *compressions[] = { "none", "fast", "best" };
	struct ct_image_opts o = { 0 };
	struct ct_image_result r;
	struct progress_state ps = { 0 };
	struct ct_append_opts ao = { 0 };
	struct ct_key *key = NULL;
	struct json_object *crec;
	const char *keyfile = NULL;
	char cmdline[1024] = "Command line:", err[1024] = "";
	uint64_t seq = 0;
	uint64_t v;
	size_t i;
	int c, json = 0, ret, status, window_given = 0;

	o.window = 256ULL << 20;
	o.verify = CT_VERIFY_IMAGE | CT_VERIFY_SOURCE;
	o.retries = 2;
	ps.kind = isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_NONE;
	for (i = 0; i < (size_t)argc; i++) {
		size_t l = strlen(cmdline);
		snprintf(cmdline + l, sizeof(cmdline) - l, " %s", i == 0 ? "cardtrail image" : argv[i]);
	}
	o.command_line = cmdline;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (!ct_evidence_id_valid(optarg))
				return ct_usage_error("image", "--evidence-id: '%s' is not 1-32 letters, "
						      "digits, '-' or '_'", optarg);
			o.evidence_id = optarg;
			break;
		case 'H':
			if (ct_hash_parse_list(optarg, &o.hash_mask) < 0)
				return ct_usage_error("image", "--hash: '%s' is not a list of md5, sha1, "
						      "sha256, sha512", optarg);
			break;
		case 'w':
			window_given = 1;
			if (ct_parse_size(optarg, &o.window, 1) < 0)
				return ct_usage_error("image", "--hash-window: bad size '%s'", optarg);
			break;
		case 's':
			if (ct_parse_size(optarg, &o.split, 0) < 0 || o.split % 512)
				return ct_usage_error("image", "--split: '%s' is not a size in whole "
						      "512-byte sectors", optarg);
			break;
		case 'f':
			for (i = 0; i < CT_ARRAY_SIZE(formats); i++)
				if (!strcmp(optarg, formats[i]))
					break;
			if (i == CT_ARRAY_SIZE(formats))
				return ct_usage_error("image", "--format: '%s' is not raw or e01", optarg);
			o.format = formats[i];
			break;
		case 'c':
			for (i = 0; i < CT_ARRAY_SIZE(compressions); i++)
				if (!strcmp(optarg, compressions[i]))
					break;
			if (i == CT_ARRAY_SIZE(compressions))
				return ct_usage_error("image", "--compress: '%s' is not none, fast or "
						      "best", optarg);
			o.compress = compressions[i];
			break;
		case 'C':
			o.case_number = optarg;
			break;
		case 'E':
			o.evidence_number = optarg;
			break;
		case 'D':
			o.description = optarg;
			break;
		case 'N':
			o.notes = optarg;
			break;
		case 'v':
			for (i = 0; i < CT_ARRAY_SIZE(verifies); i++)
				if (!strcmp(optarg, verifies[i].name))
					break;
			if (i == CT_ARRAY_SIZE(verifies))
				return ct_usage_error("image", "--verify: '%s' is not none, image, "
						      "source or both", optarg);
			o.verify = verifies[i].bits;
			break;
		case 'r':
			if (ct_parse_size(optarg, &v, 1) < 0 || v > 100)
				return ct_usage_error("image", "--retries: '%s' is not a number from "
						      "0 to 100", optarg);
			o.retries = (int)v;
			break;
		case 'R':
			o.resume = 1;
			break;
		case 'M':
			o.allow_mounted = 1;
			break;
		case 'S':
			o.no_space_check = 1;
			break;
		case 'B':
			o.container_as_bytes = 1;
			break;
		case 'b':
			if (ct_parse_size(optarg, &v, 0) < 0 || v % 4096 || v > (64u << 20))
				return ct_usage_error("image", "--block-size: '%s' is not a multiple of "
						      "4096 up to 64MiB", optarg);
			o.bufsize = (size_t)v;
			break;
		case 'p':
			for (i = 0; i < CT_ARRAY_SIZE(progress_names); i++)
				if (!strcmp(optarg, progress_names[i]))
					break;
			if (i == CT_ARRAY_SIZE(progress_names))
				return ct_usage_error("image", "--progress: '%s' is not none, bar or "
						      "json", optarg);
			ps.kind = (int)i;
			break;
		case 'j':
			json = 1;
			break;
		case 'X':
			ao.examiner = optarg;
			break;
		case 'K':
			keyfile = optarg;
			break;
		case 'h':
			ct_usage(ct_command_find("image"), stdout);
			return CT_EXIT_OK;
		default:
			return ct_usage_error("image", "unknown option");
		}
	}
	if (argc - optind != 2)
		return ct_usage_error("image", "expected SOURCE and CASEDIR");
	if ((ret = ct_cmd_check_metadata("image", o.case_number, o.evidence_number, o.description,
					 o.notes, ao.examiner)) != 0)
		return ret;
	if (o.compress && (o.format == NULL || strcmp(o.format, "e01")))
		return ct_usage_error("image", "--compress is for --format e01");
	/* an E01's chunks carry their own checksums, which name a damaged
	 * chunk: the SHA-256 windows only when asked for */
	if (o.format && !strcmp(o.format, "e01") && !window_given)
		o.window = 0;
	o.source = argv[optind];
	if ((o.casedir = ct_cmd_casedir("image", "CASEDIR", argv[optind + 1], "SOURCE")) == NULL)
		return CT_EXIT_USAGE;
	if (ps.kind != PROGRESS_NONE) {
		o.progress = show_progress;
		o.progress_ctx = &ps;
	}

	/* a bad key or custody log must stop us before the card is touched */
	if ((ret = ct_cmd_check_custody(o.casedir)) != 0 || (ret = check_not_ewf(&o)) != 0 ||
	    (ret = ct_cmd_load_sign_key(keyfile, &key)) != 0)
		return ret;
	if ((ret = ct_cmd_try_sign_key(key)) != 0 || (ret = ct_cmd_check_device(o.source, 0)) != 0) {
		ct_key_free(key);
		return ret;
	}
	ao.key = key;
	o.examiner = ct_custody_examiner(ao.examiner);

	ct_cmd_catch_signals();

	ret = ct_image_run(&o, &r);
	if (ps.bar_shown)
		fputc('\n', stderr);
	if (ret < 0) {
		ct_error(0, "%s", r.error[0] ? r.error : strerror(-ret));
		if (r.record)
			fprintf(stderr, "cardtrail: the record %s says what was done (complete: false)\n",
				r.record_path);
		status = CT_EXIT_FAIL;
	} else if (r.verify_failed) {
		ct_error(0, "%s", r.error);
		status = CT_EXIT_VERIFY;
	} else if (r.bad_bytes) {
		status = CT_EXIT_BADSECT;
	} else {
		status = CT_EXIT_OK;
	}
	/* Log what happened, success or not: a failed run is part of the
	 * case's history too.  A run that never started writes nothing. */
	if (r.record) {
		crec = ct_image_custody_record(&o, &r, status, err, sizeof(err));
		if (crec == NULL || ct_custody_append(o.casedir, crec, &ao, &seq, err, sizeof(err)) < 0) {
			ct_error(0, "%s", err[0] ? err : "cannot append to the custody log");
			ct_error(0, "the image of %s is on disk but NOT in the custody log", r.evidence);
			status = CT_EXIT_FAIL;
		}
		json_object_put(crec);
	}
	ct_key_free(key);
	if (r.record && ret == 0) {
		if (json)
			ct_print_json(r.record);
		else {
			print_summary(&o, &r);
			if (status != CT_EXIT_FAIL)
				print_custody(seq, o.casedir);
		}
	} else if (r.record && json) {
		ct_print_json(r.record);
	}
	if (status == CT_EXIT_BADSECT)
		ct_warn("%llu bytes could not be read and were zero-filled; they are listed in "
			"the record and in %s/%s.map", (unsigned long long)r.bad_bytes, o.casedir,
			r.evidence);
	ct_image_result_release(&r);
	return status;
}
