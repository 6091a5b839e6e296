/*
 * note.c — `cardtrail note [options] CASEDIR TEXT`: put a line of the
 * examiner's own into the custody log (a seal number, a hand-over).
 *
 * A note names only what the case has: --evidence must be an evidence an
 * earlier record imaged (or adopted); anything else (a card not imaged
 * yet) is an --item.  A mistyped folder never opens a case: that takes
 * --new-case.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/util.h"
#include "cmd/cmd.h"

/* Actions whose record brings an evidence into the case. */
static const char *const evidence_actions[] = { "image", "adopt" };

static int
brings_evidence(struct json_object *rec, const char *id)
{
	const char *a = ct_json_str(rec, "action", NULL);
	const char *ev = ct_json_str(ct_json_get(rec, "subject"), "evidence", NULL);
	size_t i;

	for (i = 0; a && ev && i < CT_ARRAY_SIZE(evidence_actions); i++)
		if (!strcmp(a, evidence_actions[i]))
			return id == NULL || !strcmp(ev, id);
	return 0;
}

/*
 * Does the case hold evidence id?  0 yes, else CT_EXIT_FAIL after saying
 * which evidences it has.
 */
static int
check_evidence(const char *casedir, const char *id)
{
	struct ct_custody_log log;
	char have[512] = "";
	size_t i, len = 0;
	int ret, found = 0;

	ret = ct_custody_read(casedir, &log);
	if (ret == 1) {
		ct_error(0, "the case '%s' has no evidence '%s' (no custody log yet): name a card not "
			 "imaged yet with --item", casedir, id);
		return CT_EXIT_FAIL;
	}
	if (ret < 0)
		return ct_cmd_custody_error(casedir, ret);
	for (i = 0; i < log.n && !found; i++) {
		struct json_object *r = log.lines[i].rec;
		const char *ev = ct_json_str(ct_json_get(r, "subject"), "evidence", NULL);

		found = brings_evidence(r, id);
		if (!found && brings_evidence(r, NULL) && len < sizeof(have) &&
		    !strstr(have, ev))	/* a list to read, not a set: E1 inside E12 is rare */
			len += (size_t)snprintf(have + len, sizeof(have) - len, "%s%s", len ? ", " : "", ev);
	}
	ct_custody_release(&log);
	if (found)
		return 0;
	ct_error(0, "the case '%s' has no evidence '%s' (%s%s): name a card not imaged yet with "
		 "--item", casedir, id, have[0] ? "it has " : "it has none", have);
	return CT_EXIT_FAIL;
}

int
cmd_note(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "examiner", required_argument, NULL, 'e' },
		{ "sign-key", required_argument, NULL, 'k' },
		{ "evidence", required_argument, NULL, 'E' },
		{ "item", required_argument, NULL, 'I' },
		{ "new-case", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ct_append_opts ao = { .create = CT_APPEND_EXISTING };
	struct ct_key *key = NULL;
	struct json_object *rec, *res, *subj;
	const char *keyfile = NULL, *evidence = NULL, *item = NULL, *casedir;
	char err[1024] = "";
	uint64_t seq = 0;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			ao.examiner = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'E':
			if (!ct_evidence_id_valid(optarg))
				return ct_usage_error("note", "--evidence: '%s' is not an evidence id "
						      "(1-32 letters, digits, '-' or '_')", optarg);
			evidence = optarg;
			break;
		case 'I':
			if (optarg[0] == '\0')
				return ct_usage_error("note", "--item: the item is empty");
			item = optarg;
			break;
		case 'N':
			ao.create = CT_APPEND_NEW;
			break;
		case 'h':
			ct_usage(ct_command_find("note"), stdout);
			return CT_EXIT_OK;
		default:
			return ct_usage_error("note", "unknown option");
		}
	}
	if (argc - optind != 2)
		return ct_usage_error("note", "expected CASEDIR and TEXT");
	if (argv[optind + 1][0] == '\0')
		return ct_usage_error("note", "the note is empty");
	if (evidence && item)
		return ct_usage_error("note", "--evidence and --item: a note is about one of them");
	/* what a log reader's terminal would act on is refused here, where it
	 * can be retyped (readers show it written out: term.c) */
	if (ct_esc_needed(argv[optind + 1], CT_ESC_LINES))
		return ct_usage_error("note", "the note holds a control character (other than "
				      "newline and tab)");
	if (ct_esc_needed(item, 0))
		return ct_usage_error("note", "--item holds a control character");
	if (ct_esc_needed(ct_custody_examiner(ao.examiner), 0))
		return ct_usage_error("note", "the examiner (--examiner, $CARDTRAIL_EXAMINER) holds "
				      "a control character");
	if ((casedir = ct_cmd_casedir("note", "CASEDIR", argv[optind], NULL)) == NULL)
		return CT_EXIT_USAGE;
	if (evidence && (ret = check_evidence(casedir, evidence)) != 0)
		return ret;
	if ((ret = ct_cmd_load_sign_key(keyfile, &key)) != 0)
		return ret;
	ao.key = key;
	rec = json_object_new_object();
	json_object_object_add(rec, "action", json_object_new_string("note"));
	if (evidence || item) {
		subj = json_object_new_object();
		json_object_object_add(subj, evidence ? "evidence" : "item",
				       json_object_new_string(evidence ? evidence : item));
		json_object_object_add(rec, "subject", subj);
	}
	res = json_object_new_object();
	json_object_object_add(res, "text", json_object_new_string(argv[optind + 1]));
	json_object_object_add(rec, "result", res);
	ret = ct_custody_append(casedir, rec, &ao, &seq, err, sizeof(err));
	json_object_put(rec);
	ct_key_free(key);
	if (ret == -ENOENT && ao.create == CT_APPEND_EXISTING) {
		ct_error(0, "no custody log in '%s': not a case (--new-case opens one with this note)",
			 casedir);
		return CT_EXIT_FAIL;
	}
	if (ret == -EEXIST && ao.create == CT_APPEND_NEW) {
		ct_error(0, "'%s' is already a case (its custody log exists): drop --new-case", casedir);
		return CT_EXIT_FAIL;
	}
	if (ret < 0) {
		ct_error(0, "%s", err[0] ? err : "cannot append the note");
		return CT_EXIT_FAIL;
	}
	printf("custody record %llu appended to %s/%s\n", (unsigned long long)seq, casedir,
	       CT_CUSTODY_LOG);
	return CT_EXIT_OK;
}
