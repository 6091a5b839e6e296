/*
 * note.c — `cardtrail note [options] CASEDIR TEXT`: put a line of the
 * examiner's own into the custody log (a seal number, a hand-over).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cmd/cmd.h"

int
cmd_note(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "examiner", required_argument, NULL, 'e' },
		{ "sign-key", required_argument, NULL, 'k' },
		{ "evidence", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ct_append_opts ao = { 0 };
	struct ct_key *key = NULL;
	struct json_object *rec, *res;
	const char *keyfile = NULL, *evidence = NULL;
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
			evidence = optarg;
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
	if ((ret = ct_cmd_load_sign_key(keyfile, &key)) != 0)
		return ret;
	ao.key = key;
	rec = json_object_new_object();
	json_object_object_add(rec, "action", json_object_new_string("note"));
	if (evidence) {
		struct json_object *s = json_object_new_object();
		json_object_object_add(s, "evidence", json_object_new_string(evidence));
		json_object_object_add(rec, "subject", s);
	}
	res = json_object_new_object();
	json_object_object_add(res, "text", json_object_new_string(argv[optind + 1]));
	json_object_object_add(rec, "result", res);
	ret = ct_custody_append(argv[optind], rec, &ao, &seq, err, sizeof(err));
	json_object_put(rec);
	ct_key_free(key);
	if (ret < 0) {
		ct_error(0, "%s", err[0] ? err : "cannot append the note");
		return CT_EXIT_FAIL;
	}
	printf("custody record %llu appended to %s/%s\n", (unsigned long long)seq, argv[optind],
	       CT_CUSTODY_LOG);
	return CT_EXIT_OK;
}
