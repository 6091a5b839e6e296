/*
 * wipe.c — `cardtrail wipe [options] --case CASEDIR DEVICE`.
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
#include "cardtrail/pipe.h"
#include "cardtrail/util.h"
#include "cardtrail/wipe.h"
#include "cmd/cmd.h"


static void
list_methods(void)
{
	size_t i, k;
	char s[24];

	for (i = 0; i < ct_wipe_method_count; i++) {
		const struct ct_wipe_method *m = &ct_wipe_methods[i];
		printf("%-11s %s\n            passes:", m->name, m->label);
		for (k = 0; k < m->npasses; k++) {
			ct_wipe_pass_str(&m->passes[k], s, sizeof(s));
			printf("%s %s", k ? "," : "", s);
		}
		printf("\n");
	}
	printf("custom:PASS,...  a pass is a byte (0x5a), a 3-byte pattern (0x924924) or random\n");
}

static void
print_plan(struct json_object *plan)
{
	struct json_object *media = ct_json_get(plan, "media"), *passes = ct_json_get(plan, "passes");
	char hs[32];
	size_t i;

	ct_human_size((uint64_t)json_object_get_int64(ct_json_get(media, "capacity")), hs, sizeof(hs));
	printf("device     %s, %s (%lld bytes)\n", ct_json_str(plan, "device", "?"), hs,
	       (long long)json_object_get_int64(ct_json_get(media, "capacity")));
	printf("card       %s %s, serial %s\n", ct_json_str(media, "make", "unknown make"),
	       ct_json_str(media, "model", "unknown model"), ct_json_str(media, "serial", "not available"));
	printf("           (%s)\n", ct_json_str(media, "serial_note", ""));
	printf("evidence   %s\n", ct_json_str(plan, "evidence", "none matched (--no-image-check)"));
	printf("method     %s: %s\n", ct_json_str(plan, "method", "?"), ct_json_str(plan, "label", ""));
	for (i = 0; i < json_object_array_length(passes); i++) {
		struct json_object *p = json_object_array_get_idx(passes, i);
		printf("  pass %-3zu %-12s %s\n", i + 1, ct_json_str(p, "pattern", "?"),
		       json_object_get_boolean(ct_json_get(p, "verify")) ? "read back and compared" :
		       "not read back");
	}
}

/* Ask on the terminal for the serial (or the size) to be typed back. */
static int
confirm(struct json_object *plan, void *ctx)
{
	const char *serial = ct_json_str(ct_json_get(plan, "media"), "serial", NULL);
	char want[64], line[256];
	FILE *tty;

	(void)ctx;
	if (serial)
		snprintf(want, sizeof(want), "%s", serial);
	else
		snprintf(want, sizeof(want), "%lld",
			 (long long)json_object_get_int64(ct_json_get(ct_json_get(plan, "media"), "capacity")));
	tty = fopen("/dev/tty", "r+e");
	if (tty == NULL) {
		ct_error(0, "no terminal to confirm on: pass --yes to wipe without asking");
		return -1;
	}
	print_plan(plan);
	fflush(stdout);
	fprintf(tty, "This overwrites every byte of %s. Type the card's %s (%s) to go on: ",
		ct_json_str(plan, "device", "?"), serial ? "serial" : "size in bytes", want);
	fflush(tty);
	if (fgets(line, sizeof(line), tty) == NULL)
		line[0] = '\0';
	fclose(tty);
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, want) != 0)
		return -1;
	return 0;
}

static void
show_progress(const struct ct_wipe_progress *p, void *ctx)
{
	int *kind = ctx;
	double rate = p->elapsed > 0 ? (double)p->done / p->elapsed : 0;

	if (*kind == 2) {
		fprintf(stderr, "{\"pass\":%u,\"passes\":%u,\"phase\":\"%s\",\"done\":%llu,"
			"\"total\":%llu,\"rate\":%.0f}\n", p->pass, p->npasses,
			p->verifying ? "verify" : "write", (unsigned long long)p->done,
			(unsigned long long)p->total, rate);
	} else {
		char d[32], t[32], r[32];
		ct_human_size(p->done, d, sizeof(d));
		ct_human_size(p->total, t, sizeof(t));
		ct_human_size((uint64_t)rate, r, sizeof(r));
		fprintf(stderr, "\rpass %u/%u %-6s %10s / %-10s %10s/s   ", p->pass, p->npasses,
			p->verifying ? "verify" : "write", d, t, r);
	}
	fflush(stderr);
}

int
cmd_wipe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "method", required_argument, NULL, 'm' },
		{ "list-methods", no_argument, NULL, 'L' },
		{ "verify", required_argument, NULL, 'v' },
		{ "discard", no_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'F' },
		{ "label", required_argument, NULL, 'l' },
		{ "destination", required_argument, NULL, 'd' },
		{ "examiner", required_argument, NULL, 'e' },
		{ "sign-key", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "no-image-check", no_argument, NULL, 'N' },
		{ "cert-dir", required_argument, NULL, 'C' },
		{ "yes", no_argument, NULL, 'y' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "resume", no_argument, NULL, 'R' },
		{ "progress", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *verifies[] = { "none", "last", "all" };
	static const char *progress_names[] = { "none", "bar", "json" };
	struct ct_wipe_opts o = { 0 };
	struct ct_wipe_result r;
	struct ct_append_opts ao = { 0 };
	struct ct_key *key = NULL;
	struct json_object *crec, *passes;
	const char *keyfile = NULL;
	char err[1024] = "";
	uint64_t seq = 0;
	size_t i;
	int c, ret, yes = 0, json = 0, list = 0, progress = isatty(STDERR_FILENO) ? 1 : 0, status;

	o.verify = CT_WIPE_VERIFY_ALL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.casedir = optarg; break;
		case 'm': o.method_spec = optarg; break;
		case 'L': list = 1; break;
		case 'v':
			for (i = 0; i < CT_ARRAY_SIZE(verifies); i++)
				if (!strcmp(optarg, verifies[i]))
					break;
			if (i == CT_ARRAY_SIZE(verifies))
				return ct_usage_error("wipe", "--verify: '%s' is not all, last or none",
						      optarg);
			o.verify = (enum ct_wipe_verify)i;
			break;
		case 'D': o.discard = 1; break;
		case 'F':
			if (strcmp(optarg, "fat32") && strcmp(optarg, "exfat"))
				return ct_usage_error("wipe", "--format: '%s' is not fat32 or exfat", optarg);
			o.format = optarg;
			break;
		case 'l': o.label = optarg; break;
		case 'd': o.destination = optarg; break;
		case 'e': o.examiner = ao.examiner = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'f': o.force = 1; break;
		case 'N': o.no_image_check = 1; break;
		case 'C': o.cert_dir = optarg; break;
		case 'y': yes = 1; break;
		case 'n': o.dry_run = 1; break;
		case 'R': o.resume = 1; break;
		case 'p':
			for (i = 0; i < CT_ARRAY_SIZE(progress_names); i++)
				if (!strcmp(optarg, progress_names[i]))
					break;
			if (i == CT_ARRAY_SIZE(progress_names))
				return ct_usage_error("wipe", "--progress: '%s' is not none, bar or json",
						      optarg);
			progress = (int)i;
			break;
		case 'j': json = 1; break;
		case 'h':
			ct_usage(ct_command_find("wipe"), stdout);
			return CT_EXIT_OK;
		default:
			return ct_usage_error("wipe", "unknown option");
		}
	}
	if (list) {
		if (argc != optind)
			return ct_usage_error("wipe", "--list-methods takes no DEVICE");
		list_methods();
		return CT_EXIT_OK;
	}
	if (argc - optind != 1)
		return ct_usage_error("wipe", "expected one DEVICE");
	if (o.label && !o.format)
		return ct_usage_error("wipe", "--label goes with --format");
	if (o.method_spec) {
		struct ct_wipe_method m;
		if (ct_wipe_method_parse(o.method_spec, &m, err, sizeof(err)) < 0)
			return ct_usage_error("wipe", "--method: %s", err);
	}
	o.device = argv[optind];
	if (!yes)
		o.confirm = confirm;
	if (progress) {
		o.progress = show_progress;
		o.progress_ctx = &progress;
	}
	if (o.casedir && (ret = ct_cmd_check_custody(o.casedir)) != 0)
		return ret;
	if (!o.dry_run && (ret = ct_cmd_load_sign_key(keyfile, &key)) != 0)
		return ret;
	ao.key = key;

	ct_cmd_catch_signals();

	ret = ct_wipe_run(&o, &r);
	if (progress == 1 && !r.refused && !o.dry_run)
		fputc('\n', stderr);
	if (o.dry_run && ret == 0) {
		if (json)
			ct_print_json(r.plan);
		else {
			print_plan(r.plan);
			printf("dry run: nothing was written\n");
		}
		ct_wipe_result_release(&r);
		return CT_EXIT_OK;
	}
	if (r.refused) {
		ct_error(0, "%s", r.error[0] ? r.error : strerror(-ret));
		ct_wipe_result_release(&r);
		ct_key_free(key);
		return CT_EXIT_FAIL;
	}
	status = ret < 0 ? CT_EXIT_FAIL : r.verify_failed ? CT_EXIT_VERIFY : CT_EXIT_OK;
	if (ret < 0 || r.verify_failed)
		ct_error(0, "%s", r.error);
	if (r.cert) {
		struct json_object *notes = ct_json_get(r.cert, "notes");
		for (i = 0; notes && i < json_object_array_length(notes); i++)
			ct_error(0, "warning: %s", json_object_get_string(json_object_array_get_idx(notes, i)));
		if (r.cert_json[0] == '\0') {
			/* the custody record says so (result.certificate) and
			 * the status is not the wipe's own */
			ct_error(0, "no certificate was written: the wipe is not certified");
			if (status == CT_EXIT_OK)
				status = CT_EXIT_FAIL;
		}
	}
	if (r.cert && o.casedir) {
		crec = ct_wipe_custody_record(&o, &r, err, sizeof(err));
		if (crec == NULL || ct_custody_append(o.casedir, crec, &ao, &seq, err, sizeof(err)) < 0) {
			ct_error(0, "%s", err[0] ? err : "cannot append to the custody log");
			ct_error(0, "the wipe certificate %s is NOT in the custody log", r.cert_json);
			status = CT_EXIT_FAIL;
		}
		json_object_put(crec);
	}
	if (r.cert) {
		if (json) {
			ct_print_json(r.cert);
		} else {
			passes = ct_json_get(r.cert, "passes");
			printf("%s  %s\n", o.device, ct_json_str(r.cert, "result", "?"));
			for (i = 0; passes && i < json_object_array_length(passes); i++) {
				struct json_object *p = json_object_array_get_idx(passes, i);
				printf("  pass %-3zu %-10s %s, verification: %s\n", i + 1,
				       ct_json_str(p, "pattern", "?"),
				       json_object_get_boolean(ct_json_get(p, "written")) ? "written" : "NOT written",
				       ct_json_str(p, "verified", "not reached"));
			}
			printf("  final      %s\n", ct_json_str(r.cert, "final_state", "?"));
			printf("  method     Clear (NIST SP 800-88): flash remaps blocks the host cannot "
			       "reach; not Purge\n");
			if (r.cert_json[0])
				printf("  cert       %s\n             %s\n", r.cert_json, r.cert_txt);
			else
				printf("  cert       NOT written\n");
			if (seq > 0)
				printf("  custody    record %llu in %s/%s\n", (unsigned long long)seq,
				       o.casedir, CT_CUSTODY_LOG);
		}
	}
	if (r.interrupted)
		fprintf(stderr, "cardtrail: state kept in %s\n", r.state_path);
	ct_wipe_result_release(&r);
	ct_key_free(key);
	return status;
}
