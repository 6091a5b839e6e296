/*
 * report.c — `cardtrail report [--format html|pdf|both] [--out FILE]
 * [--tiles FILE.mbtiles] [keys] CASEDIR`.
 */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/report.h"
#include "cardtrail/util.h"
#include "cmd/cmd.h"

static const struct {
	const char *name;
	unsigned formats;
} formats[] = {
	{ "html", CT_REPORT_HTML },
	{ "pdf", CT_REPORT_PDF },
	{ "both", CT_REPORT_HTML | CT_REPORT_PDF },
};

static void
summary(const struct ct_report_result *r, const char *casedir, uint64_t seq, int recorded)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		printf("%-13s %s%s\n", r->files[i].role, r->files[i].path,
		       r->files[i].name[0] ? "" : " (outside the case: its sha256 is in the record)");
	printf("contents   %zu evidence, %zu flight%s (grouped from %zu track%s), %zu photo%s "
	       "(%zu with a position), %zu timeline event%s\n", r->evidences, r->flights,
	       r->flights == 1 ? "" : "s", r->sources, r->sources == 1 ? "" : "s", r->photos,
	       r->photos == 1 ? "" : "s", r->photos_located, r->events, r->events == 1 ? "" : "s");
	printf("chain head %s\n", r->head);
	if (r->verified)
		printf("verdict    VERIFIED: %zu records, chain intact, every output as recorded\n",
		       r->records);
	else
		printf("verdict    NOT VERIFIED: %s (%zu problem%s; the report says so on its first "
		       "line)\n", r->first_problem, r->problems, r->problems == 1 ? "" : "s");
	if (recorded)
		printf("custody    record %llu in %s/%s\n", (unsigned long long)seq, casedir,
		       CT_CUSTODY_LOG);
}

int
cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "tiles", required_argument, NULL, 't' },
		{ "key", required_argument, NULL, 'k' },
		{ "allowed-signers", required_argument, NULL, 'a' },
		{ "allow-unsigned", no_argument, NULL, 'U' },
		{ "examiner", required_argument, NULL, 'e' },
		{ "sign-key", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ct_report_opts o = { .formats = CT_REPORT_HTML | CT_REPORT_PDF };
	struct ct_verify_opts vo = { 0 };
	struct ct_append_opts ao = { 0 };
	struct ct_report_result r;
	struct ct_trust *trust = NULL;
	struct ct_key *key = NULL;
	struct json_object *rec = NULL;
	const char *keyfile = NULL;
	char err[1024] = "";
	uint64_t seq = 0;
	size_t i;
	int c, ret, status = CT_EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			for (i = 0; i < CT_ARRAY_SIZE(formats); i++)
				if (!strcmp(optarg, formats[i].name))
					break;
			if (i == CT_ARRAY_SIZE(formats)) {
				ct_trust_free(trust);
				return ct_usage_error("report", "unknown format '%s' (html, pdf or both)",
						      optarg);
			}
			o.formats = formats[i].formats;
			break;
		case 'o': o.out = optarg; break;
		case 't': o.tiles = optarg; break;
		case 'k':
		case 'a':
			if (ct_cmd_add_trust(&trust, c == 'k', optarg) != 0) {
				ct_trust_free(trust);
				return CT_EXIT_FAIL;
			}
			break;
		case 'U': vo.allow_unsigned = 1; break;
		case 'e': ao.examiner = optarg; break;
		case 's': keyfile = optarg; break;
		case 'h':
			ct_usage(ct_command_find("report"), stdout);
			ct_trust_free(trust);
			return CT_EXIT_OK;
		default:
			ct_trust_free(trust);
			return ct_usage_error("report", "unknown option");
		}
	}
	if (argc - optind != 1) {
		ct_trust_free(trust);
		return ct_usage_error("report", "expected CASEDIR");
	}
	if ((o.casedir = ct_cmd_casedir("report", "CASEDIR", argv[optind], NULL)) == NULL) {
		ct_trust_free(trust);
		return CT_EXIT_USAGE;
	}
	vo.trust = trust;
	o.verify = &vo;
	/* a FIFO or a device as custody.log: refused at once, with what it is */
	if ((ret = ct_cmd_check_custody(o.casedir)) != 0 ||
	    (ret = ct_cmd_load_sign_key(keyfile, &key)) != 0)
		goto out;
	ao.key = key;
	/* names inside the bundle are UTF-8 whatever the examiner's locale */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		(void)setlocale(LC_CTYPE, "");

	ret = ct_report_run(&o, &r);
	if (r.tiles_refused && r.tile_w)
		ct_warn("tiles of '%s' not drawn (%u times): a tile declares %ux%u pixels, not 256 "
			"or 512 square", o.tiles, r.tiles_refused, (unsigned)r.tile_w,
			(unsigned)r.tile_h);
	else if (r.tiles_refused)
		ct_warn("tiles of '%s' not drawn (%u times): not a PNG or JPEG whose size can be "
			"read", o.tiles, r.tiles_refused);
	if (ret == 1) {
		ct_error(0, "no custody log in '%s': not a case folder", o.casedir);
		goto out;
	}
	if (ret < 0) {
		ct_error(0, "%s", r.error);
		for (i = 0; i < r.nfiles; i++)
			ct_error(0, "%s was written but is NOT in the custody log", r.files[i].path);
		goto out;
	}
	rec = ct_report_custody_record(&o, &r);
	if (ct_custody_append(o.casedir, rec, &ao, &seq, err, sizeof(err)) < 0) {
		ct_error(0, "%s", err[0] ? err : "cannot append to the custody log");
		for (i = 0; i < r.nfiles; i++)
			ct_error(0, "%s was written but is NOT in the custody log", r.files[i].path);
		summary(&r, o.casedir, 0, 0);
		goto out;
	}
	summary(&r, o.casedir, seq, 1);
	status = r.verified ? CT_EXIT_OK : CT_EXIT_VERIFY;
out:
	json_object_put(rec);
	ct_trust_free(trust);
	ct_key_free(key);
	return status;
}
