/*
 * verify.c — `cardtrail verify [--key PUBKEY | --allowed-signers FILE]
 * [--quick] [--repair] [--reproduce] [--json] CASEDIR`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/evidence.h"
#include "cardtrail/util.h"
#include "cmd/cmd.h"


static const char *
plural(long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* "5 listed: 4 as recorded, 1 NOT as recorded, 0 NOT re-hashed" (zeros left out) */
static void
print_outputs(struct json_object *rep)
{
	struct json_object *outs = ct_json_get(rep, "outputs"), *counts = ct_json_get(rep, "counts");
	int ok = json_object_get_int(ct_json_get(counts, "outputs_ok"));
	int bad = json_object_get_int(ct_json_get(counts, "outputs_bad"));
	int skip = json_object_get_int(ct_json_get(counts, "outputs_not_rehashed"));
	const char *sep = ": ";
	size_t i, n = outs ? json_object_array_length(outs) : 0;

	printf("outputs: %zu listed", n);
	if (ok) {
		printf("%s%d as recorded", sep, ok);
		sep = ", ";
	}
	if (bad) {
		printf("%s%d NOT as recorded", sep, bad);
		sep = ", ";
	}
	if (skip)
		printf("%s%d NOT re-hashed%s", sep, skip,
		       json_object_get_boolean(ct_json_get(rep, "quick")) ? " (--quick)" : "");
	printf("\n");
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(outs, i);
		printf("  %-28s %-13s %s\n", ct_cmd_str(o, "path", "?"), ct_cmd_str(o, "status", "?"),
		       ct_cmd_str(o, "detail", ""));
	}
}

static void
print_unrecorded(struct json_object *rep)
{
	struct json_object *u = ct_json_get(rep, "unrecorded");
	size_t i, n = u ? json_object_array_length(u) : 0;

	if (n == 0)
		return;
	printf("unrecorded: %zu %s in the case folder that no record lists\n", n,
	       plural((long long)n, "file", "files"));
	for (i = 0; i < n; i++)
		printf("  %-28s %s\n", ct_cmd_esc(json_object_get_string(json_object_array_get_idx(u, i))),
		       "unrecorded");
}

/* --reproduce: one line per extraction re-run from its image. */
static void
print_reproduce(struct json_object *rep)
{
	struct json_object *rp = ct_json_get(rep, "reproduce"), *b = ct_json_get(rp, "bundles");
	size_t i, n = b ? json_object_array_length(b) : 0;

	if (rp == NULL)
		return;
	printf("reproduce: %zu %s re-run from the image by cardtrail %s\n", n,
	       plural((long long)n, "extraction", "extractions"), ct_cmd_str(rp, "version", "?"));
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(b, i);
		printf("  %-28s %-15s %s\n", ct_cmd_str(v, "path", "?"), ct_cmd_str(v, "status", "?"),
		       ct_cmd_str(v, "detail", ""));
	}
}

/* The verify report takes in what --reproduce found: a bundle that was not
 * reproduced is a problem. */
static void
merge_reproduce(struct json_object *rep, struct json_object *rp)
{
	struct json_object *b = ct_json_get(rp, "bundles"), *probs = ct_json_get(rep, "problems");
	size_t i;

	for (i = 0; b && i < json_object_array_length(b); i++) {
		struct json_object *v = json_object_array_get_idx(b, i);
		if (!strcmp(ct_cmd_str(v, "status", ""), "reproduced"))
			continue;
		char text[1400];
		if (ct_snprintf(text, sizeof(text), "%s (record %lld): %s", ct_cmd_str(v, "path", "?"),
				(long long)json_object_get_int64(ct_json_get(v, "seq")),
				ct_cmd_str(v, "detail", "?")) < 0)
			snprintf(text, sizeof(text), "%s: not reproduced", ct_cmd_str(v, "path", "?"));
		json_object_array_add(probs, json_object_new_string(text));
		json_object_object_add(rep, "ok", json_object_new_boolean(0));
	}
	json_object_object_add(rep, "reproduce", rp);
}

/* The last line: what was verified, and only that. */
static void
print_verdict(struct json_object *rep)
{
	struct json_object *counts = ct_json_get(rep, "counts"), *probs = ct_json_get(rep, "problems");
	struct json_object *outs = ct_json_get(rep, "outputs");
	long long nrec = json_object_get_int64(ct_json_get(counts, "records"));
	long long nun = json_object_get_int64(ct_json_get(counts, "unrecorded"));
	size_t i, k;

	if (!json_object_get_boolean(ct_json_get(rep, "ok"))) {
		printf("NOT verified: %zu problem%s\n", json_object_array_length(probs),
		       json_object_array_length(probs) == 1 ? "" : "s");
		for (i = 0; i < json_object_array_length(probs); i++)
			printf("  - %s\n", ct_cmd_esc(json_object_get_string(json_object_array_get_idx(probs, i))));
		return;
	}
	if (json_object_get_int(ct_json_get(counts, "outputs_not_rehashed")) > 0) {
		/* --quick: the chain was checked, the outputs were not */
		printf("chain intact: %lld %s; outputs NOT verified (%s ", nrec,
		       plural(nrec, "record", "records"), json_object_get_boolean(ct_json_get(rep, "quick")) ?
		       "--quick did not re-hash" : "not re-hashed:");
		for (i = k = 0; outs && i < json_object_array_length(outs); i++) {
			struct json_object *o = json_object_array_get_idx(outs, i);
			if (strcmp(ct_cmd_str(o, "status", ""), "not re-hashed"))
				continue;
			printf("%s%s", k++ ? ", " : "", ct_cmd_str(o, "path", "?"));
		}
		printf(")");
	} else {
		printf("verified: %lld %s, chain intact, %s", nrec, plural(nrec, "record", "records"),
		       json_object_array_length(outs) ? "every output re-hashed as recorded" :
		       "no outputs to re-hash");
	}
	if (nun > 0)
		printf("; %lld unrecorded %s (see above)", nun, plural(nun, "file", "files"));
	if (ct_json_get(rep, "reproduce")) {
		long long nb = json_object_get_int64(ct_json_get(ct_json_get(rep, "reproduce"),
								 "reproduced"));
		printf("; %lld evidence %s reproduced from %s image", nb, plural(nb, "bundle", "bundles"),
		       plural(nb, "its", "their"));
	}
	printf("\n");
}

static void
print_report(struct json_object *rep, const char *casedir)
{
	struct json_object *recs = ct_json_get(rep, "records"), *counts = ct_json_get(rep, "counts");
	size_t i, k;

	printf("case %s  (%s/%s)\n", ct_cmd_str(rep, "case", "?"), casedir, CT_CUSTODY_LOG);
	printf("%4s  %-20s  %-8s  %-8s  %-10s  %s\n", "seq", "time", "action", "evidence",
	       "signature", "verdict");
	for (i = 0; recs && i < json_object_array_length(recs); i++) {
		struct json_object *r = json_object_array_get_idx(recs, i), *p = ct_json_get(r, "problems");
		printf("%4lld  %-20s  %-8s  %-8s  %-10s  %s\n",
		       (long long)json_object_get_int64(ct_json_get(r, "seq")), ct_cmd_str(r, "time", "?"),
		       ct_cmd_str(r, "action", "?"), ct_cmd_str(r, "evidence", "-"),
		       ct_cmd_str(r, "signature", "-"), ct_cmd_str(r, "verdict", "?"));
		for (k = 0; p && k < json_object_array_length(p); k++)
			printf("      ! %s\n", ct_cmd_esc(json_object_get_string(json_object_array_get_idx(p, k))));
	}
	print_outputs(rep);
	print_unrecorded(rep);
	if (ct_json_get(rep, "torn"))
		printf("torn tail: %lld bytes at offset %lld\n",
		       (long long)json_object_get_int64(ct_json_get(ct_json_get(rep, "torn"), "bytes")),
		       (long long)json_object_get_int64(ct_json_get(ct_json_get(rep, "torn"), "offset")));
	printf("signatures: %d signed, %d unsigned%s\n",
	       json_object_get_int(ct_json_get(counts, "signed")), json_object_get_int(ct_json_get(counts, "unsigned")),
	       json_object_get_boolean(ct_json_get(rep, "keys_checked")) ? " (signers checked against the "
	       "trusted keys)" : " (signatures checked; signers NOT checked: no --key or "
	       "--allowed-signers)");
	printf("chain head: %s\n", ct_cmd_str(rep, "head", ""));
	print_reproduce(rep);
	print_verdict(rep);
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "allowed-signers", required_argument, NULL, 'a' },
		{ "repair", no_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{ "reproduce", no_argument, NULL, 'R' },
		{ "allow-unsigned", no_argument, NULL, 'U' },
		{ "strict", no_argument, NULL, 'S' },
		{ "examiner", required_argument, NULL, 'e' },
		{ "sign-key", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ct_verify_opts vo = { 0 };
	struct ct_append_opts ao = { 0 };
	struct ct_trust *trust = NULL;
	struct ct_key *skey = NULL;
	struct json_object *rep = NULL, *rp = NULL;
	struct ct_reproduce_opts ro = { 0 };
	const char *casedir, *signkey = NULL;
	char err[1024] = "", side[256] = "";
	int c, ret, json = 0, repair = 0, reproduce = 0, status = CT_EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
		case 'a':
			if ((ret = ct_cmd_add_trust(&trust, c == 'k', optarg)) != 0)
				return ret;
			break;
		case 'r':
			repair = 1;
			break;
		case 'q':
			vo.no_rehash = 1;
			break;
		case 'R':
			reproduce = 1;
			break;
		case 'U':
			vo.allow_unsigned = 1;
			break;
		case 'S':
			vo.strict = 1;
			break;
		case 'e':
			ao.examiner = optarg;
			break;
		case 's':
			signkey = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			ct_usage(ct_command_find("verify"), stdout);
			ct_trust_free(trust);
			return CT_EXIT_OK;
		default:
			ct_trust_free(trust);
			return ct_usage_error("verify", "unknown option");
		}
	}
	if (argc - optind != 1) {
		ct_trust_free(trust);
		return ct_usage_error("verify", "expected CASEDIR");
	}
	if ((casedir = ct_cmd_casedir("verify", "CASEDIR", argv[optind], NULL)) == NULL) {
		ct_trust_free(trust);
		return CT_EXIT_USAGE;
	}
	vo.trust = trust;
	if (repair) {
		if ((ret = ct_cmd_load_sign_key(signkey, &skey)) != 0)
			goto out;
		ao.key = skey;
		ret = ct_custody_repair(casedir, &ao, side, sizeof(side), err, sizeof(err));
		if (ret < 0) {
			ct_error(0, "%s", err[0] ? err : strerror(-ret));
			goto out;
		}
		if (ret == 0)
			fprintf(stderr, "cardtrail: the torn record was set aside in %s/%s and a "
				"repair record appended\n", casedir, side);
		else
			fprintf(stderr, "cardtrail: nothing to repair: the log has no torn record\n");
	}
	ret = ct_custody_verify(casedir, &vo, &rep);
	if (ret != 0) {
		status = ct_cmd_custody_error(casedir, ret);
		goto out;
	}
	if (reproduce) {
		/* the extractions run as extract runs them */
		ct_cmd_extract_env();
		ro.tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		if ((ret = ct_reproduce_case(casedir, &ro, &rp)) != 0) {
			status = ct_cmd_custody_error(casedir, ret);
			goto out;
		}
		merge_reproduce(rep, rp);
	}
	if (json)
		ct_print_json(rep);
	else
		print_report(rep, casedir);
	status = json_object_get_boolean(ct_json_get(rep, "ok")) ? CT_EXIT_OK : CT_EXIT_VERIFY;
out:
	json_object_put(rep);
	ct_trust_free(trust);
	ct_key_free(skey);
	return status;
}
