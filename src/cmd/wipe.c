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
	printf("device     %s, %s (%lld bytes)\n", ct_cmd_str(plan, "device", "?"), hs,
	       (long long)json_object_get_int64(ct_json_get(media, "capacity")));
	printf("card       %s %s, serial %s\n", ct_cmd_str(media, "make", "unknown make"),
	       ct_cmd_str(media, "model", "unknown model"), ct_cmd_str(media, "serial", "not available"));
	printf("           (%s)\n", ct_cmd_str(media, "serial_note", ""));
	printf("media      %s\n", ct_cmd_str(media, "type", "?"));
	if (json_object_get_boolean(ct_json_get(plan, "force"))) {
		struct json_object *over = ct_json_get(plan, "force_overrode");
		if (json_object_array_length(over) == 0)
			printf("force      given; the safety checks pass without it\n");
		for (i = 0; i < json_object_array_length(over); i++)
			printf("force      overrides: %s\n", ct_cmd_esc(json_object_get_string(
				       json_object_array_get_idx(over, i))));
	}
	printf("evidence   %s\n", ct_cmd_str(plan, "evidence", "none (--no-image-check)"));
	if (ct_json_get(plan, "evidence")) {
		struct json_object *m = ct_json_get(plan, "match");
		printf("match      %s", ct_cmd_str(m, "method", "?"));
		if (ct_json_get(m, "bytes_compared"))
			printf(", %lld bytes compared", (long long)json_object_get_int64(ct_json_get(m, "bytes_compared")));
		if (ct_json_get(m, "retry_of"))
			printf(", through the wipe recorded as record %lld",
			       (long long)json_object_get_int64(ct_json_get(m, "retry_of")));
		if (ct_json_get(m, "resume_of"))
			printf(", resuming the wipe started in record %lld at pass %d",
			       (long long)json_object_get_int64(ct_json_get(m, "resume_of")),
			       json_object_get_int(ct_json_get(plan, "resume_pass")));
		printf("\n");
	}
	printf("method     %s: %s\n", ct_cmd_str(plan, "method", "?"), ct_cmd_str(plan, "label", ""));
	for (i = 0; i < json_object_array_length(passes); i++) {
		struct json_object *p = json_object_array_get_idx(passes, i);
		printf("  pass %-3zu %-12s %s\n", i + 1, ct_cmd_str(p, "pattern", "?"),
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
		ct_cmd_str(plan, "device", "?"), serial ? "serial" : "size in bytes", ct_cmd_esc(want));
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
	double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 100.0;
	double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;

	if (*kind == 2) {
		fprintf(stderr, "{\"pass\":%u,\"passes\":%u,\"phase\":\"%s\",\"done\":%llu,"
			"\"total\":%llu,\"rate\":%.0f,\"eta\":%.0f}\n", p->pass, p->npasses, p->phase,
			(unsigned long long)p->done, (unsigned long long)p->total, rate, eta);
	} else {
		char d[32], t[32], r[32];
		ct_human_size(p->done, d, sizeof(d));
		ct_human_size(p->total, t, sizeof(t));
		ct_human_size((uint64_t)rate, r, sizeof(r));
		if (p->pass == 0)
			fprintf(stderr, "\rmatch      %-6s %10s / %-10s %10s/s %5.1f%% ETA %4.0f s   ", "",
				d, t, r, pct, eta);
		else
			fprintf(stderr, "\rpass %u/%u %-6s %10s / %-10s %10s/s %5.1f%% ETA %4.0f s   ",
				p->pass, p->npasses, p->phase, d, t, r, pct, eta);
	}
	fflush(stderr);
}

static void
print_result(const struct ct_wipe_opts *o, struct ct_wipe_result *r)
{
	struct json_object *passes = ct_json_get(r->cert, "passes");
	size_t i;

	printf("%s  %s\n", o->device, ct_cmd_str(r->cert, "result", "?"));
	printf("  imaged     %s\n", ct_cmd_str(r->cert, "image_check", "?"));
	for (i = 0; passes && i < json_object_array_length(passes); i++) {
		struct json_object *p = json_object_array_get_idx(passes, i);
		printf("  pass %-3zu %-10s %s, %lld bytes written, verification: %s\n", i + 1,
		       ct_cmd_str(p, "pattern", "?"),
		       json_object_get_boolean(ct_json_get(p, "written")) ? "written" : "NOT written",
		       (long long)json_object_get_int64(ct_json_get(p, "bytes_written")),
		       ct_cmd_str(p, "verified", "?"));
	}
	printf("  final      %s\n", ct_cmd_str(r->cert, "final_state", "?"));
	printf("  method     Clear (NIST SP 800-88): flash remaps blocks the host cannot "
	       "reach; not Purge\n");
	if (r->cert_json[0])
		printf("  cert       %s\n             %s\n", r->cert_json, r->cert_txt);
	else
		printf("  cert       NOT written\n");
	if (r->end_seq > 0)
		printf("  custody    record %llu in %s/%s (the wipe started in record %llu)\n",
		       (unsigned long long)r->end_seq, o->casedir, CT_CUSTODY_LOG,
		       (unsigned long long)r->start_seq);
}

int
cmd_wipe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "method", required_argument, NULL, 'm' },
		{ "list-methods", no_argument, NULL, 'L' },
		{ "verify", required_argument, NULL, 'v' },
		{ "match", required_argument, NULL, 'M' },
		{ "discard", no_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'F' },
		{ "label", required_argument, NULL, 'l' },
		{ "destination", required_argument, NULL, 'd' },
		{ "examiner", required_argument, NULL, 'e' },
		{ "organization", required_argument, NULL, 'O' },
		{ "validator", required_argument, NULL, 'V' },
		{ "sign-key", required_argument, NULL, 'k' },
		{ "key", required_argument, NULL, 'K' },
		{ "allowed-signers", required_argument, NULL, 'A' },
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
	static const char *matches[] = { "sampled", "full" };
	static const char *progress_names[] = { "none", "bar", "json" };
	static const char *formats[] = { "fat32", "exfat" };
	struct ct_wipe_opts o = { 0 };
	struct ct_wipe_result r;
	struct ct_append_opts ao = { 0 };
	struct ct_trust *trust = NULL;
	struct ct_key *key = NULL;
	const char *keyfile = NULL;
	char err[1024] = "";
	size_t i;
	int c, ret, yes = 0, json = 0, list = 0, progress = isatty(STDERR_FILENO) ? 1 : 0, status;

	o.verify = CT_WIPE_VERIFY_ALL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if ((o.casedir = ct_cmd_casedir("wipe", "CASEDIR", optarg, "DEVICE")) == NULL)
				goto bad_value;
			break;
		case 'm': o.method_spec = optarg; break;
		case 'L': list = 1; break;
		case 'v':
			if ((ret = ct_cmd_choose("wipe", "--verify", optarg, verifies,
						 CT_ARRAY_SIZE(verifies))) < 0)
				goto bad_value;
			o.verify = (enum ct_wipe_verify)ret;
			break;
		case 'M':
			if ((ret = ct_cmd_choose("wipe", "--match", optarg, matches,
						 CT_ARRAY_SIZE(matches))) < 0)
				goto bad_value;
			o.match = (enum ct_wipe_match)ret;
			break;
		case 'D': o.discard = 1; break;
		case 'F':
			if ((ret = ct_cmd_choose("wipe", "--format", optarg, formats,
						 CT_ARRAY_SIZE(formats))) < 0)
				goto bad_value;
			o.format = formats[ret];
			break;
		case 'l': o.label = optarg; break;
		case 'd': o.destination = optarg; break;
		case 'e': o.examiner = ao.examiner = optarg; break;
		case 'O': o.organization = optarg; break;
		case 'V': o.validator = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'K':
		case 'A':
			if ((ret = ct_cmd_add_trust(&trust, c == 'K', optarg)) != 0)
				return ret;
			break;
		case 'f': o.force = 1; break;
		case 'N': o.no_image_check = 1; break;
		case 'C': o.cert_dir = optarg; break;
		case 'y': yes = 1; break;
		case 'n': o.dry_run = 1; break;
		case 'R': o.resume = 1; break;
		case 'p':
			if ((ret = ct_cmd_choose("wipe", "--progress", optarg, progress_names,
						 CT_ARRAY_SIZE(progress_names))) < 0)
				goto bad_value;
			progress = ret;
			break;
		case 'j': json = 1; break;
		case 'h':
			ct_usage(ct_command_find("wipe"), stdout);
			ct_trust_free(trust);
			return CT_EXIT_OK;
		default:
			ct_trust_free(trust);
			return ct_usage_error("wipe", "unknown option");
		}
	}
	if (list) {
		ct_trust_free(trust);
		if (argc != optind)
			return ct_usage_error("wipe", "--list-methods takes no DEVICE");
		list_methods();
		return CT_EXIT_OK;
	}
	ret = CT_EXIT_USAGE;
	if (argc - optind != 1) {
		ct_usage_error("wipe", "expected one DEVICE");
		goto early;
	}
	if (o.label && !o.format) {
		ct_usage_error("wipe", "--label goes with --format");
		goto early;
	}
	if (o.method_spec) {
		struct ct_wipe_method m;
		if (ct_wipe_method_parse(o.method_spec, &m, err, sizeof(err)) < 0) {
			ct_usage_error("wipe", "--method: %s", err);
			goto early;
		}
	}
	if (o.no_image_check && (o.match || trust)) {
		ct_usage_error("wipe", "--match, --key and --allowed-signers check the image: not with "
			       "--no-image-check");
		goto early;
	}
	o.device = argv[optind];
	o.trust = trust;
	if (!yes)
		o.confirm = confirm;
	if (progress) {
		o.progress = show_progress;
		o.progress_ctx = &progress;
	}
	if (o.casedir && (ret = ct_cmd_check_custody(o.casedir)) != 0)
		goto early;
	if (!o.dry_run && (ret = ct_cmd_load_sign_key(keyfile, &key)) != 0)
		goto early;
	ao.key = key;
	o.append = &ao;

	ct_cmd_catch_signals();

	ret = ct_wipe_run(&o, &r);
	if (progress == 1 && !r.refused && !o.dry_run)
		fputc('\n', stderr);
	if (o.dry_run && ret == 0) {
		if (json)
			ct_print_json(r.plan);
		else {
			print_plan(r.plan);
			printf("dry run: every check passed, nothing was written\n");
		}
		status = CT_EXIT_OK;
		goto out;
	}
	if (r.refused) {
		ct_error(0, "%s", r.error[0] ? r.error : strerror(-ret));
		status = CT_EXIT_FAIL;
		goto out;
	}
	status = ret < 0 ? CT_EXIT_FAIL : r.verify_failed ? CT_EXIT_VERIFY : CT_EXIT_OK;
	if (ret < 0 || r.verify_failed)
		ct_error(0, "%s", r.error);
	if (r.cert) {
		struct json_object *notes = ct_json_get(r.cert, "notes");
		for (i = 0; notes && i < json_object_array_length(notes); i++)
			ct_error(0, "warning: %s", json_object_get_string(json_object_array_get_idx(notes, i)));
		if (r.cert_json[0] == '\0') {
			ct_error(0, "no certificate was written: the wipe is not certified");
			if (status == CT_EXIT_OK)
				status = CT_EXIT_FAIL;
		}
	}
	if (r.log_error[0]) {
		ct_error(0, "%s", r.log_error);
		ct_error(0, "the wipe's end is NOT in the custody log%s%s", r.cert_json[0] ?
			 "; its certificate is " : "", r.cert_json);
		status = CT_EXIT_FAIL;
	}
	if (r.cert) {
		if (json)
			ct_print_json(r.cert);
		else
			print_result(&o, &r);
	}
	if (r.interrupted && r.state_path[0])
		fprintf(stderr, "cardtrail: state kept in %s\n", r.state_path);
out:
	ct_wipe_result_release(&r);
	ct_key_free(key);
	ct_trust_free(trust);
	return status;
bad_value:
	ret = CT_EXIT_USAGE;
early:
	ct_trust_free(trust);
	ct_key_free(key);
	return ret;
}
