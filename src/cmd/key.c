/*
 * key.c — `cardtrail key generate [FILE]`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cardtrail/custody.h"
#include "cmd/cmd.h"

int
cmd_key(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "comment", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *comment = NULL, *file = "cardtrail-key";
	char defcomment[300], host[256] = "", *pub = NULL, fp[80];
	struct ct_key *k = NULL;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			comment = optarg;
			break;
		case 'h':
			ct_usage(ct_command_find("key"), stdout);
			return CT_EXIT_OK;
		default:
			return ct_usage_error("key", "unknown option");
		}
	}
	if (optind >= argc || strcmp(argv[optind], "generate") != 0)
		return ct_usage_error("key", "expected 'generate'");
	optind++;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'c')
			comment = optarg;
		else if (c == 'h') {
			ct_usage(ct_command_find("key"), stdout);
			return CT_EXIT_OK;
		} else
			return ct_usage_error("key", "unknown option");
	}
	if (argc - optind > 1)
		return ct_usage_error("key", "too many arguments");
	if (argc - optind == 1)
		file = argv[optind];
	if (comment == NULL) {
		gethostname(host, sizeof(host) - 1);
		snprintf(defcomment, sizeof(defcomment), "%s@%s", ct_custody_examiner(NULL), host);
		comment = defcomment;
	}
	ret = ct_key_generate(file, comment, &pub);
	if (ret == -EEXIST) {
		ct_error(0, "'%s' or '%s.pub' already exists; nothing was overwritten", file, file);
		return CT_EXIT_FAIL;
	}
	if (ret < 0) {
		ct_error(-ret, "cannot make the key pair '%s'", file);
		return CT_EXIT_FAIL;
	}
	if (ct_key_parse_public(pub, &k) == 0) {
		ct_key_fingerprint(k, fp, sizeof(fp));
		ct_key_free(k);
	} else {
		snprintf(fp, sizeof(fp), "?");
	}
	fprintf(stderr, "private key: %s (mode 0600; keep it off the evidence disk)\n"
		"public key:  %s.pub\nfingerprint: %s\n", file, file, fp);
	printf("%s\n", pub);
	free(pub);
	return CT_EXIT_OK;
}
