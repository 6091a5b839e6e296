/*
 * extract.c — `cardtrail extract [options] CASEDIR EVIDENCE` and
 * `cardtrail extract [options] IMAGE OUTDIR`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/evidence.h"
#include "cardtrail/util.h"
#include "cmd/cmd.h"

enum { PROGRESS_NONE, PROGRESS_BAR, PROGRESS_JSON };

struct progress_state {
	int kind;
	double last_json;
};

/*
 * Progress on stderr: a bar that rewrites itself, or JSON lines (at most
 * one a second per phase, and each phase's last).  The walk's total is not
 * known: no percentage, no ETA (JSON: null).
 */
static void
show_progress(const struct ct_extract_progress *p, void *ctx)
{
	static const char *const phases[] = { "walk", "carve", "bundle" };
	static const char *const units[] = { "files", "bytes", "files" };
	struct progress_state *ps = ctx;
	double rate = p->elapsed > 0 ? (double)p->done / p->elapsed : 0;
	double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
	int known = p->phase != CT_EXTRACT_WALK;

	if (ps->kind == PROGRESS_JSON) {
		char tot[32] = "null", et[32] = "null";

		if (!p->final && p->done > 0 && p->elapsed - ps->last_json < 1.0)
			return;
		ps->last_json = p->final ? 0 : p->elapsed;
		if (known) {
			snprintf(tot, sizeof(tot), "%llu", (unsigned long long)p->total);
			snprintf(et, sizeof(et), "%.0f", eta);
		}
		fprintf(stderr, "{\"phase\":\"%s\",\"unit\":\"%s\",\"done\":%llu,\"total\":%s,"
			"\"bytes\":%llu,\"elapsed\":%.1f,\"rate\":%.0f,\"eta\":%s,\"final\":%s}\n",
			phases[p->phase], units[p->phase], (unsigned long long)p->done, tot,
			(unsigned long long)p->bytes, p->elapsed, rate, et, p->final ? "true" : "false");
	} else if (p->phase == CT_EXTRACT_CARVE) {
		char d[32], t[32], r[32];

		ct_human_size(p->done, d, sizeof(d));
		ct_human_size(p->total, t, sizeof(t));
		ct_human_size((uint64_t)rate, r, sizeof(r));
		fprintf(stderr, "\rcarve  %10s / %-10s %5.1f%%  %10s/s  ETA %d:%02d   ", d, t,
			p->total ? 100.0 * (double)p->done / (double)p->total : 100.0, r,
			(int)eta / 60, (int)eta % 60);
	} else if (known) {
		char b[32];

		ct_human_size(p->bytes, b, sizeof(b));
		fprintf(stderr, "\rbundle %8llu / %-8llu files %5.1f%%  %10s  %6.0f files/s  "
			"ETA %d:%02d   ", (unsigned long long)p->done, (unsigned long long)p->total,
			p->total ? 100.0 * (double)p->done / (double)p->total : 100.0, b, rate,
			(int)eta / 60, (int)eta % 60);
	} else {
		fprintf(stderr, "\rwalk   %8llu files walked  %6.0f files/s   ",
			(unsigned long long)p->done, rate);
	}
	if (ps->kind == PROGRESS_BAR && p->final)
		fputc('\n', stderr);
	fflush(stderr);
}

static void
summary(const struct ct_extract_result *r)
{
	struct json_object *fl = r->flights;
	static const char *const serial_keys[] = {
		"aircraft_serial", "camera_serial", "rc_serial", "battery_serial", "model", "firmware",
	};
	const char *first = NULL, *last = NULL;
	size_t i, k;
	int w = 10;	/* the labels' column: the other lines' at least */

	for (k = 0; k < CT_ARRAY_SIZE(serial_keys); k++)
		if ((int)strlen(serial_keys[k]) > w)
			w = (int)strlen(serial_keys[k]);

	printf("bundle     %s\n", r->bundle);
	printf("files      %llu (%llu allocated, %llu deleted%s%llu orphaned, %llu carved)\n",
	       (unsigned long long)r->st.files, (unsigned long long)r->st.allocated,
	       (unsigned long long)r->st.deleted, ", of which ", (unsigned long long)r->st.orphan,
	       (unsigned long long)r->st.carved);
	if (r->st.unalloc_bytes > 0) {
		char hs[32];
		ct_human_size(r->st.unalloc_bytes, hs, sizeof(hs));
		printf("carving    %s of free space scanned in %.2f s (%.0f MB/s)\n", hs,
		       r->st.carve_seconds, r->st.carve_seconds > 0 ?
		       (double)r->st.unalloc_bytes / r->st.carve_seconds / 1e6 : 0.0);
	}
	if (r->st.unreadable_files > 0 || r->bad_ranges > 0)
		printf("unreadable %llu files hold %llu bytes the card could not give (zeros, "
		       "listed in MANIFEST.json)\n", (unsigned long long)r->st.unreadable_files,
		       (unsigned long long)r->st.unreadable_bytes);
	if (r->st.zero_filled > 0 || r->st.partial > 0)
		printf("short      %llu bytes zero-filled where an entry claims more than the card "
		       "holds; %llu files bundled short\n", (unsigned long long)r->st.zero_filled,
		       (unsigned long long)r->st.partial);
	printf("flights    %llu source files with a track, %llu points\n",
	       (unsigned long long)r->st.flights, (unsigned long long)r->st.points);
	for (i = 0; fl && i < json_object_array_length(fl); i++) {
		struct json_object *f = json_object_array_get_idx(fl, i);
		struct json_object *a = ct_json_get(f, "first"), *b = ct_json_get(f, "last");
		printf("  %-9s %-9s %5lld pts  %s", ct_cmd_str(f, "format", "?"),
		       ct_cmd_str(f, "state", "?"), (long long)json_object_get_int64(ct_json_get(f, "points")),
		       ct_cmd_str(f, "file", "?"));
		if (a)
			printf("  %s .. %s", ct_cmd_str(a, "time", "?"), ct_cmd_str(b, "time", "?"));
		printf("\n");
		if (a && ct_json_str(a, "time", NULL) && !strcmp(ct_json_str(a, "time_basis", ""), "utc") &&
		    (first == NULL || strcmp(ct_json_str(a, "time", ""), first) < 0))
			first = ct_json_str(a, "time", NULL);
		if (b && ct_json_str(b, "time", NULL) && !strcmp(ct_json_str(b, "time_basis", ""), "utc") &&
		    (last == NULL || strcmp(ct_json_str(b, "time", ""), last) > 0))
			last = ct_json_str(b, "time", NULL);
	}
	if (first)
		printf("time span  %s .. %s (UTC points only)\n", first, last);
	for (k = 0; k < CT_ARRAY_SIZE(serial_keys); k++) {
		struct json_object *seen = json_object_new_object();
		for (i = 0; fl && i < json_object_array_length(fl); i++) {
			const char *v = ct_cmd_str(ct_json_get(json_object_array_get_idx(fl, i), "identity"),
						    serial_keys[k], NULL);
			if (v && !json_object_object_get_ex(seen, v, NULL)) {
				json_object_object_add(seen, v, NULL);
				printf("%-*s %s\n", w, serial_keys[k], v);
			}
		}
		json_object_put(seen);
	}
	if (r->forced)
		printf("WARNING    extracted from an image that does NOT match its acquisition record "
		       "(--force)\n");
	if (r->cut_short)
		printf("WARNING    a volume runs past the end of the image: the image is cut short, "
		       "or its filesystem claims more than it has (see MANIFEST.json)\n");
	if (r->incomplete)
		printf("WARNING    incomplete: %s (see the warnings in MANIFEST.json)\n",
		       r->bad_ranges ? "the image has unreadable sectors" :
		       "a filesystem could not be walked to its end");
}

int
cmd_extract(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "no-carve", no_argument, NULL, 'C' },
		{ "walk-timeout", required_argument, NULL, 'W' },
		{ "max-files", required_argument, NULL, 'M' },
		{ "progress", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "examiner", required_argument, NULL, 'e' },
		{ "sign-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *const progress_names[] = { "none", "bar", "json" };
	struct ct_extract_opts o = { 0 };
	struct progress_state ps = { isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_NONE, 0 };
	struct ct_extract_result r;
	struct ct_append_opts ao = { 0 };
	struct ct_key *key = NULL;
	struct json_object *crec;
	struct stat st;
	const char *keyfile = NULL;
	char err[1024] = "", *end;
	uint64_t seq = 0;
	int c, ret, json = 0, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o.force = 1; break;
		case 'C': o.no_carve = 1; break;
		case 'W':
			o.walk_timeout = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(o.walk_timeout > 0 &&
								o.walk_timeout <= 86400))
				return ct_usage_error("extract", "--walk-timeout takes seconds, "
						      "more than 0 and at most 86400");
			break;
		case 'M':
			o.max_files = strtoull(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end != '\0' || o.max_files == 0)
				return ct_usage_error("extract", "--max-files takes a number of "
						      "files, at least 1");
			break;
		case 'p':
			if ((ret = ct_cmd_choose("extract", "--progress", optarg, progress_names,
						 CT_ARRAY_SIZE(progress_names))) < 0)
				return CT_EXIT_USAGE;
			ps.kind = ret;
			break;
		case 'j': json = 1; break;
		case 'e': ao.examiner = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'h':
			ct_usage(ct_command_find("extract"), stdout);
			return CT_EXIT_OK;
		default:
			return ct_usage_error("extract", "unknown option");
		}
	}
	if (argc - optind != 2)
		return ct_usage_error("extract", "expected CASEDIR EVIDENCE or IMAGE OUTDIR");
	if (stat(argv[optind], &st) < 0) {
		ct_error(errno, "cannot open '%s'", argv[optind]);
		return CT_EXIT_FAIL;
	}
	if (S_ISDIR(st.st_mode)) {
		o.casedir = ct_cmd_casedir("extract", "CASEDIR", argv[optind], NULL);
		o.evidence = argv[optind + 1];
	} else if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		o.image = argv[optind];
		if ((o.outdir = ct_cmd_casedir("extract", "OUTDIR", argv[optind + 1], "IMAGE")) == NULL)
			return CT_EXIT_USAGE;
	} else {
		ct_error(0, "'%s' is neither a case folder nor an image file", argv[optind]);
		return CT_EXIT_FAIL;
	}
	if (o.casedir && ((ret = ct_cmd_check_custody(o.casedir)) != 0 ||
			  (ret = ct_cmd_load_sign_key(keyfile, &key)) != 0))
		return ret;
	ao.key = key;
	if (ps.kind != PROGRESS_NONE) {
		o.progress = show_progress;
		o.progress_ctx = &ps;
	}
	o.walk_exe = CT_CMD_SELF_EXE;
	o.walk_in_process = getenv("CARDTRAIL_WALK_IN_PROCESS") != NULL &&
			    !strcmp(getenv("CARDTRAIL_WALK_IN_PROCESS"), "1");
	ct_cmd_extract_env();

	ret = ct_extract_run(&o, &r);
	if (ret < 0) {
		ct_error(0, "%s", r.error[0] ? r.error : strerror(-ret));
		status = r.image_mismatch && !o.force ? CT_EXIT_VERIFY : CT_EXIT_FAIL;
		ct_extract_result_release(&r);
		ct_key_free(key);
		return status;
	}
	/* done, but not all of the card is in the bundle */
	status = r.incomplete ? CT_EXIT_BADSECT : CT_EXIT_OK;
	if (o.casedir) {
		crec = ct_extract_custody_record(&o, &r, err, sizeof(err));
		if (crec == NULL || ct_custody_append(o.casedir, crec, &ao, &seq, err, sizeof(err)) < 0) {
			ct_error(0, "%s", err[0] ? err : "cannot append to the custody log");
			ct_error(0, "the bundle %s is NOT in the custody log", r.bundle);
			status = CT_EXIT_FAIL;
		}
		json_object_put(crec);
	}
	if (json)
		ct_print_json(r.flights);
	else {
		summary(&r);
		if (o.casedir && status != CT_EXIT_FAIL)
			printf("custody    record %llu in %s/%s\n", (unsigned long long)seq, o.casedir,
			       CT_CUSTODY_LOG);
	}
	ct_extract_result_release(&r);
	ct_key_free(key);
	return status;
}

int
cmd_walk_child(int argc, char **argv)
{
	int status = ct_extract_walk_child(argc, argv);

	if (status == 3)
		ct_error(0, "'%s' is the walk of 'cardtrail extract', run by it, not a command",
			 argv[0]);
	return status;
}
