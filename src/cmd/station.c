/*
 * station.c — `cardtrail station [options] --cases DIR`: every card of a
 * mission, several readers at once, unattended.  The station itself is
 * src/station/; this file reads the options, shows its events (a status
 * view redrawn in place, log lines or JSON lines on stderr) and prints the
 * mission summary.
 */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/station.h"
#include "cardtrail/util.h"
#include "cmd/cmd.h"

#define MAX_ALLOW 64

enum view_kind { VIEW_NONE, VIEW_STATUS, VIEW_LOG, VIEW_JSON };

struct view {
	enum view_kind kind;
	pthread_mutex_t mu;
	size_t drawn;		/* status lines on the terminal now */
};

/* Take the status block off the terminal (the cursor goes to its top). */
static void
erase_status(struct view *v)
{
	if (v->drawn > 0)
		fprintf(stderr, "\033[%zuA\033[J", v->drawn);
	v->drawn = 0;
}

static void
on_event(struct json_object *ev, void *ctx)
{
	struct view *v = ctx;
	const char *kind = ct_json_str(ev, "event", "");

	pthread_mutex_lock(&v->mu);
	switch (v->kind) {
	case VIEW_JSON:
		ct_cmd_fputs(json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE), stderr);
		fputc('\n', stderr);
		break;
	case VIEW_STATUS:
		if (strcmp(kind, "progress")) {
			erase_status(v);
			fprintf(stderr, "%s  ", ct_json_str(ev, "time", "") + 11);
			ct_cmd_fputs(ct_json_str(ev, "text", ""), stderr);
			fputc('\n', stderr);
		}
		break;
	case VIEW_LOG:
		if (strcmp(kind, "progress")) {
			fprintf(stderr, "%s  ", ct_json_str(ev, "time", ""));
			ct_cmd_fputs(ct_json_str(ev, "text", ""), stderr);
			fputc('\n', stderr);
		}
		break;
	case VIEW_NONE:
		break;
	}
	fflush(stderr);
	pthread_mutex_unlock(&v->mu);
}

static void
on_status(const struct ct_station_row *rows, size_t n, void *ctx)
{
	struct view *v = ctx;
	char line[512];
	size_t i;

	if (v->kind != VIEW_STATUS)
		return;
	pthread_mutex_lock(&v->mu);
	erase_status(v);
	fprintf(stderr, "%-9s %-34s %-10s %4s %11s %6s  %s\n", "READER", "CARD", "STEP", "%", "RATE",
		"ETA", "RESULT");
	for (i = 0; i < n; i++) {
		ct_station_row_format(&rows[i], line, sizeof(line));
		/* one terminal line each, or the redraw goes wrong */
		ct_cmd_fputs(line, stderr);
		fputs("\033[K\n", stderr);
	}
	v->drawn = n + 1;
	fflush(stderr);
	pthread_mutex_unlock(&v->mu);
}

/* The worst of the cards: failed or stopped 1, not verified 3, unreadable
 * sectors 4, else 0. */
static int
exit_status(const struct ct_station_result *r)
{
	if (r->failed || r->stopped || r->interrupted)
		return CT_EXIT_FAIL;
	if (r->mismatched)
		return CT_EXIT_VERIFY;
	if (r->damaged)
		return CT_EXIT_BADSECT;
	return CT_EXIT_OK;
}

struct options {
	struct ct_station_opts so;
	struct ct_station_policy policy;
	const char *policy_file, *examiner, *keyfile;
	const char *allow[MAX_ALLOW];
	char mission[128];
	int json, check_policy;
	enum view_kind view;
};

static int
parse_choice(const char *arg, const char *const *names, size_t n, int *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(arg, names[i])) {
			*out = (int)i;
			return 0;
		}
	return -1;
}

static int
parse_options(int argc, char **argv, struct options *op)
{
	static const struct option longopts[] = {
		{ "cases", required_argument, NULL, 'c' },
		{ "mission", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'P' },
		{ "allow", required_argument, NULL, 'a' },
		{ "watch", required_argument, NULL, 'w' },
		{ "poll-interval", required_argument, NULL, 'i' },
		{ "max-cards", required_argument, NULL, 'n' },
		{ "idle-exit", required_argument, NULL, 'I' },
		{ "progress", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "check-policy", no_argument, NULL, 'C' },
		{ "examiner", required_argument, NULL, 'e' },
		{ "sign-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *const watches[] = { "auto", "udev", "sysfs" };
	static const char *const views[] = { "none", "status", "log", "json" };
	uint64_t v;
	int c, i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': op->so.cases = optarg; break;
		case 'm':
			if (optarg[0] == '\0' || strlen(optarg) >= sizeof(op->mission))
				return ct_usage_error("station", "--mission: a name of 1 to %zu bytes",
						      sizeof(op->mission) - 1);
			snprintf(op->mission, sizeof(op->mission), "%s", optarg);
			break;
		case 'P': op->policy_file = optarg; break;
		case 'a':
			if (op->so.nallow == MAX_ALLOW)
				return ct_usage_error("station", "--allow: at most %d patterns", MAX_ALLOW);
			if (optarg[0] == '\0')
				return ct_usage_error("station", "--allow: an empty pattern");
			op->allow[op->so.nallow++] = optarg;
			break;
		case 'w':
			if (parse_choice(optarg, watches, CT_ARRAY_SIZE(watches), &i) < 0)
				return ct_usage_error("station", "--watch: '%s' is not auto, udev or sysfs",
						      optarg);
			op->so.watch = (enum ct_watch_kind)i;
			break;
		case 'i':
			if (ct_parse_size(optarg, &v, 0) < 0 || v < 10 || v > 10000)
				return ct_usage_error("station", "--poll-interval: '%s' is not 10 to 10000 "
						      "milliseconds", optarg);
			op->so.poll_ms = (unsigned)v;
			break;
		case 'n':
			if (ct_parse_size(optarg, &v, 0) < 0 || v > 100000)
				return ct_usage_error("station", "--max-cards: '%s' is not a number from 1 "
						      "to 100000", optarg);
			op->so.max_cards = (unsigned)v;
			break;
		case 'I':
			if (ct_parse_size(optarg, &v, 0) < 0 || v > 86400 * 7)
				return ct_usage_error("station", "--idle-exit: '%s' is not a number of "
						      "seconds (1 to 604800)", optarg);
			op->so.idle_exit = (double)v;
			break;
		case 'p':
			if (parse_choice(optarg, views, CT_ARRAY_SIZE(views), &i) < 0)
				return ct_usage_error("station", "--progress: '%s' is not status, log, json "
						      "or none", optarg);
			op->view = (enum view_kind)i;
			break;
		case 'j': op->json = 1; break;
		case 'C': op->check_policy = 1; break;
		case 'e': op->examiner = optarg; break;
		case 'k': op->keyfile = optarg; break;
		case 'h':
			ct_usage(ct_command_find("station"), stdout);
			return -1;
		default:
			return ct_usage_error("station", "unknown option");
		}
	}
	if (argc != optind)
		return ct_usage_error("station", "unexpected argument '%s'", argv[optind]);
	if (op->so.cases == NULL && !op->check_policy)
		return ct_usage_error("station", "--cases DIR is required");
	return 0;
}

/* "cardtrail station ARGS" for the records (the mapfile's header). */
static void
command_line(int argc, char **argv, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "cardtrail station");
	int i;

	for (i = 1; i < argc && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " %s", argv[i]);
}

static int
run(struct options *op, char *cmdline)
{
	struct ct_station_result res;
	struct ct_key *key = NULL;
	struct view v = { .kind = op->view };
	const char *keyfile = op->keyfile;
	int ret, status;

	if (keyfile == NULL && op->policy.sign_key[0])
		keyfile = op->policy.sign_key;
	if ((ret = ct_cmd_load_sign_key(keyfile, &key)) != 0)
		return ret;
	pthread_mutex_init(&v.mu, NULL);
	op->so.policy = &op->policy;
	op->so.allow = op->allow;
	op->so.mission = op->mission;
	op->so.examiner = ct_custody_examiner(op->examiner ? op->examiner :
					      op->policy.examiner[0] ? op->policy.examiner : NULL);
	op->so.key = key;
	op->so.command_line = cmdline;
	op->so.walk_exe = CT_CMD_SELF_EXE;
	op->so.event = on_event;
	op->so.status = on_status;
	op->so.ctx = &v;
	/* each card's extract makes the bundle `cardtrail extract` makes (UTC,
	 * the C locale, UTF-8 names): set once, before any thread starts */
	ct_cmd_extract_env();
	ct_cmd_catch_signals();

	ret = ct_station_run(&op->so, &res);
	pthread_mutex_lock(&v.mu);
	erase_status(&v);
	pthread_mutex_unlock(&v.mu);
	if (ret < 0 && res.summary == NULL) {
		ct_error(0, "%s", res.error[0] ? res.error : strerror(-ret));
		status = CT_EXIT_FAIL;
		goto out;
	}
	if (op->json)
		ct_print_json(res.summary);
	else if (res.text)
		fputs(res.text, stdout);
	if (ret < 0) {
		ct_error(0, "%s", res.error);
		status = CT_EXIT_FAIL;
		goto out;
	}
	if (!op->json)
		printf("\nsummary    %s\n           %s\n           %s\n", res.summary_txt,
		       res.summary_json, res.summary_html);
	status = exit_status(&res);
	if (res.interrupted)
		ct_warn("stopped by a signal: running steps stopped at a safe point; every case "
			"says what was done");
out:
	ct_station_result_release(&res);
	ct_key_free(key);
	pthread_mutex_destroy(&v.mu);
	return status;
}

int
cmd_station(int argc, char **argv)
{
	struct options op;
	char err[1024] = "", cmdline[1024], date[32];
	time_t now = time(NULL);
	int ret;

	memset(&op, 0, sizeof(op));
	op.view = isatty(STDERR_FILENO) ? VIEW_STATUS : VIEW_LOG;
	ct_station_policy_init(&op.policy);
	if ((ret = parse_options(argc, argv, &op)) != 0)
		return ret < 0 ? CT_EXIT_OK : ret;
	if (op.mission[0] == '\0') {
		ct_time_utc(now, date, sizeof(date));
		snprintf(op.mission, sizeof(op.mission), "mission %.10s", date);
	}
	if (op.policy_file &&
	    (ret = ct_station_policy_load(op.policy_file, &op.policy, err, sizeof(err))) < 0) {
		ct_error(0, "%s", err);
		/* a policy that says something wrong is a usage error; one that
		 * cannot be read is a failure */
		return ret == -EINVAL ? CT_EXIT_USAGE : CT_EXIT_FAIL;
	}
	if (op.check_policy) {
		struct json_object *j = ct_station_policy_json(&op.policy);

		ct_print_json(j);
		json_object_put(j);
		return CT_EXIT_OK;
	}
	command_line(argc, argv, cmdline, sizeof(cmdline));
	return run(&op, cmdline);
}
