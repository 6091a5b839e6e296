/*
 * adopt.c — `cardtrail adopt [options] IMAGE... CASEDIR`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "cardtrail/image.h"
#include "cardtrail/util.h"
#include "cmd/cmd.h"

static void
show_progress(const struct ct_progress *p, void *ctx)
{
	int *shown = ctx;
	char d[32], t[32];

	ct_human_size(p->done, d, sizeof(d));
	ct_human_size(p->total, t, sizeof(t));
	fprintf(stderr, "\rhash   %10s / %-10s %3d%%   ", d, t,
		p->total ? (int)(100.0 * (double)p->done / (double)p->total) : 100);
	if (p->final)
		fputc('\n', stderr);
	*shown = 1;
	fflush(stderr);
}

static void
print_summary(const struct ct_adopt_opts *o, const struct ct_adopt_result *r, uint64_t seq,
	      int logged)
{
	struct json_object *rec = r->record, *ad = ct_json_get(rec, "adopted"), *v;
	struct json_object *found = ct_json_get(ad, "found"), *media = ct_json_get(ad, "media");
	char size[32];
	size_t i;

	ct_human_size(r->bytes, size, sizeof(size));
	printf("%s  adopted into %s%s\n", r->evidence, o->casedir,
	       o->in_place ? " (in place: referenced where it lies)" : "");
	printf("  format     %s%s%s, %s\n", ct_cmd_str(ct_json_get(rec, "options"), "format", "?"),
	       ct_cmd_str(media, "ewf_format", NULL) ? " " : "",
	       ct_cmd_str(media, "ewf_format", ""), size);
	v = ct_json_get(rec, "segments");
	for (i = 0; v && i < json_object_array_length(v); i++) {
		struct json_object *s = json_object_array_get_idx(v, i);
		printf("  image      %s (%lld bytes)\n", ct_cmd_str(s, "path", "?"),
		       (long long)json_object_get_int64(ct_json_get(s, "bytes")));
	}
	if (ct_cmd_str(found, "acquiry_software_version", NULL) || ct_cmd_str(found, "acquiry_software", NULL))
		printf("  made by    %s%s%s\n", ct_cmd_str(found, "acquiry_software", ""),
		       ct_cmd_str(found, "acquiry_software", NULL) ? " " : "",
		       ct_cmd_str(found, "acquiry_software_version", ""));
	if (ct_cmd_str(found, "acquiry_date", NULL))
		printf("  acquired   %s (%s)\n", ct_cmd_str(found, "acquiry_date", ""),
		       !strcmp(ct_cmd_str(found, "acquiry_date_basis", ""), "timestamp") ?
		       "the E01 stores seconds since 1970: UTC" :
		       !strcmp(ct_cmd_str(found, "acquiry_date_basis", ""), "local, zone not stated") ?
		       "the acquiring machine's clock; the E01 states no time zone" :
		       "as the E01 states it");
	if (ct_cmd_str(ct_json_get(rec, "metadata"), "case_number", NULL))
		printf("  case       %s\n", ct_cmd_str(ct_json_get(rec, "metadata"), "case_number", ""));
	json_object_object_foreach(ct_json_get(rec, "hashes"), k, hv)
		printf("  %-10s %s\n", ct_cmd_esc(k), ct_cmd_esc(json_object_get_string(hv)));
	v = ct_json_get(ad, "stored_hashes");
	if (v && json_object_object_length(v) > 0) {
		json_object_object_foreach(v, algo, sv) {
			struct json_object *m = ct_json_get(sv, "match");

			printf("  stored     %s %s  ", algo, ct_cmd_str(sv, "stored", "?"));
			if (m == NULL)
				printf("stored, not computed\n");
			else if (!json_object_get_boolean(m))
				printf("DIFFERS: the image reads as %s\n", ct_cmd_str(sv, "computed", "?"));
			else if (ct_cmd_str(ad, "damaged_chunks", NULL))
				/* a damaged chunk reads back as libewf gives it (zeros
				 * where it held zeros): the hashes agree on that */
				printf("matches what was read, but the DAMAGED chunks below were read "
				       "as libewf gave them back: the match does not vouch for them\n");
			else
				printf("matches the image\n");
		}
	} else {
		printf("  stored     no hashes stored in the image: nothing to check them against\n");
	}
	if (ct_cmd_str(ad, "damaged_chunks", NULL))
		printf("  DAMAGED    %s\n", ct_cmd_str(ad, "damaged_chunks", ""));
	if (r->bad_bytes)
		printf("  unreadable %llu bytes the image lists as acquisition errors\n",
		       (unsigned long long)r->bad_bytes);
	printf("  record     %s\n", r->record_path);
	if (logged)
		printf("  custody    record %llu in %s/%s\n", (unsigned long long)seq, o->casedir,
		       CT_CUSTODY_LOG);
}

int
cmd_adopt(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "evidence-id", required_argument, NULL, 'e' },
		{ "in-place", no_argument, NULL, 'i' },
		{ "hash", required_argument, NULL, 'H' },
		{ "hash-window", required_argument, NULL, 'w' },
		{ "case-number", required_argument, NULL, 'C' },
		{ "evidence-number", required_argument, NULL, 'E' },
		{ "description", required_argument, NULL, 'D' },
		{ "notes", required_argument, NULL, 'N' },
		{ "progress", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "examiner", required_argument, NULL, 'X' },
		{ "sign-key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ct_adopt_opts o = { 0 };
	struct ct_adopt_result r;
	struct ct_append_opts ao = { 0 };
	struct ct_key *key = NULL;
	struct json_object *crec;
	const char *keyfile = NULL;
	char err[1024] = "";
	uint64_t seq = 0;
	int c, json = 0, progress = isatty(STDERR_FILENO), shown = 0, ret, status, logged = 0;

	o.window = 256ULL << 20;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (!ct_evidence_id_valid(optarg))
				return ct_usage_error("adopt", "--evidence-id: '%s' is not 1-32 letters, "
						      "digits, '-' or '_'", optarg);
			o.evidence_id = optarg;
			break;
		case 'i':
			o.in_place = 1;
			break;
		case 'H':
			if (ct_hash_parse_list(optarg, &o.hash_mask) < 0)
				return ct_usage_error("adopt", "--hash: '%s' is not a list of md5, sha1, "
						      "sha256, sha512", optarg);
			break;
		case 'w':
			if (ct_parse_size(optarg, &o.window, 1) < 0)
				return ct_usage_error("adopt", "--hash-window: bad size '%s'", optarg);
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
		case 'p':
			if (strcmp(optarg, "none") && strcmp(optarg, "bar"))
				return ct_usage_error("adopt", "--progress: '%s' is not none or bar", optarg);
			progress = !strcmp(optarg, "bar");
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
			ct_usage(ct_command_find("adopt"), stdout);
			return CT_EXIT_OK;
		default:
			return ct_usage_error("adopt", "unknown option");
		}
	}
	if (argc - optind < 2)
		return ct_usage_error("adopt", "expected IMAGE... and CASEDIR");
	if ((ret = ct_cmd_check_metadata("adopt", o.case_number, o.evidence_number, o.description,
					 o.notes, ao.examiner)) != 0)
		return ret;
	o.images = (const char *const *)argv + optind;
	o.nimages = (size_t)(argc - optind - 1);
	if ((o.casedir = ct_cmd_casedir("adopt", "CASEDIR", argv[argc - 1], "IMAGE")) == NULL)
		return CT_EXIT_USAGE;
	if (progress) {
		o.progress = show_progress;
		o.progress_ctx = &shown;
	}
	if ((ret = ct_cmd_check_custody(o.casedir)) != 0 ||
	    (ret = ct_cmd_load_sign_key(keyfile, &key)) != 0)
		return ret;
	ao.key = key;
	o.examiner = ct_custody_examiner(ao.examiner);
	ct_cmd_catch_signals();

	ret = ct_image_adopt(&o, &r);
	if (shown)
		fputc('\n', stderr);
	if (ret < 0) {
		ct_error(0, "%s", r.error[0] ? r.error : strerror(-ret));
		status = CT_EXIT_FAIL;
	} else if (r.mismatch) {
		ct_error(0, "%s", r.error);
		status = CT_EXIT_VERIFY;
	} else if (r.bad_bytes) {
		status = CT_EXIT_BADSECT;
	} else {
		status = CT_EXIT_OK;
	}
	if (r.record) {
		crec = ct_adopt_custody_record(&o, &r, status, err, sizeof(err));
		if (crec == NULL || ct_custody_append(o.casedir, crec, &ao, &seq, err, sizeof(err)) < 0) {
			ct_error(0, "%s", err[0] ? err : "cannot append to the custody log");
			ct_error(0, "%s is in the case folder but NOT in the custody log", r.evidence);
			status = CT_EXIT_FAIL;
		} else {
			logged = 1;
		}
		json_object_put(crec);
	}
	ct_key_free(key);
	if (r.record && json)
		ct_print_json(r.record);
	else if (r.record && ret == 0)
		print_summary(&o, &r, seq, logged);
	if (status == CT_EXIT_BADSECT)
		ct_warn("the image lists %llu bytes as unreadable when it was made (acquisition "
			"errors); they are in the record", (unsigned long long)r.bad_bytes);
	ct_adopt_result_release(&r);
	return status;
}
