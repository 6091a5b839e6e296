/*
 * key.c — `cardtrail key generate [--comment TEXT] [FILE]` and
 * `cardtrail key list [--public]`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cardtrail/custody.h"
#include "cardtrail/util.h"
#include "cmd/cmd.h"

#define AGENT_LIST_MS 10000

/* s as one shell word: as is when it is plain, else in single quotes. */
static void
print_shell_word(FILE *f, const char *s)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789_./@%+=:,-";

	if (*s && strspn(s, plain) == strlen(s) && *s != '-') {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* The commands that put the new key under a passphrase and in the agent. */
static void
print_protect_hint(const char *file)
{
	fprintf(stderr, "to protect it with a passphrase and sign through ssh-agent instead:\n"
		"  ssh-keygen -p -f ");
	print_shell_word(stderr, file);
	fprintf(stderr, "\n  ssh-add ");
	print_shell_word(stderr, file);
	fprintf(stderr, "\n  then give --sign-key ");
	print_shell_word(stderr, file);
	fprintf(stderr, ".pub (the private file may then leave the machine)\n");
}

static int
key_generate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "comment", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *comment = NULL, *file = "cardtrail-key";
	char defcomment[300], host[256] = "", *pub = NULL, fp[80] = "?";
	struct ct_key *k = NULL;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'c') {
			comment = optarg;
		} else if (c == 'h') {
			ct_usage(ct_command_find("key"), stdout);
			return CT_EXIT_OK;
		} else {
			return ct_usage_error("key", "unknown option");
		}
	}
	if (argc - optind > 1)
		return ct_usage_error("key", "too many arguments");
	if (argc - optind == 1)
		file = argv[optind];
	if (comment == NULL) {
		gethostname(host, sizeof(host) - 1);
		if (ct_snprintf(defcomment, sizeof(defcomment), "%s@%s", ct_custody_examiner(NULL),
				host) < 0)
			return ct_usage_error("key", "examiner and host name too long for a comment; "
					      "give --comment");
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
	}
	fprintf(stderr, "private key: %s (mode 0600, no passphrase; keep it off the evidence "
		"disk)\npublic key:  %s.pub\nfingerprint: %s\n", file, file, fp);
	print_protect_hint(file);
	printf("%s\n", pub);
	free(pub);
	return CT_EXIT_OK;
}

/* A comment from the agent, without control characters. */
static void
print_clean(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* One identity of the agent: 1 if cardtrail can sign with it. */
static int
list_one(const struct ct_agent_id *id, int public)
{
	struct ct_key *k = NULL;
	char fp[80], what[80], *line;
	int ret = ct_key_from_blob(id->blob, id->bloblen, &k);

	if (public) {
		if (ret == 0 && (line = ct_key_public_line(k)) != NULL) {
			printf("%s ", line);
			print_clean(id->comment);
			putchar('\n');
			free(line);
		}
	} else {
		ct_blob_fingerprint(id->blob, id->bloblen, fp, sizeof(fp));
		if (ret == 0)
			ct_key_describe(k, what, sizeof(what));
		else
			ct_blob_type(id->blob, id->bloblen, what, sizeof(what));
		printf("%-50s  %-12s  %-3s  ", fp, what, ret == 0 ? "yes" : "no");
		print_clean(id->comment);
		putchar('\n');
	}
	ct_key_free(k);
	return ret == 0;
}

static int
key_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "public", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *sock = getenv("SSH_AUTH_SOCK");
	struct ct_agent_list l;
	char why[512];
	size_t i, usable = 0;
	int c, public = 0, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'p') {
			public = 1;
		} else if (c == 'h') {
			ct_usage(ct_command_find("key"), stdout);
			return CT_EXIT_OK;
		} else {
			return ct_usage_error("key", "unknown option");
		}
	}
	if (argc - optind > 0)
		return ct_usage_error("key", "too many arguments");
	if (sock == NULL || *sock == '\0') {
		ct_error(0, "no ssh-agent is running (SSH_AUTH_SOCK is not set)");
		return CT_EXIT_FAIL;
	}
	if ((ret = ct_agent_list(sock, ct_cmd_agent_ms(AGENT_LIST_MS), &l)) < 0) {
		ct_agent_strerror(ret, sock, ct_cmd_agent_ms(AGENT_LIST_MS), why, sizeof(why));
		ct_error(0, "%s", why);
		return CT_EXIT_FAIL;
	}
	if (!public)
		printf("%-50s  %-12s  %-3s  %s\n", "fingerprint", "key", "use", "comment");
	for (i = 0; i < l.n; i++)
		usable += (size_t)list_one(&l.id[i], public);
	fprintf(stderr, "the ssh-agent at %s holds %zu key%s, %zu of them usable by cardtrail\n",
		sock, l.n, l.n == 1 ? "" : "s", usable);
	ct_agent_list_free(&l);
	return usable ? CT_EXIT_OK : CT_EXIT_FAIL;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} key_commands[] = {
	{ "generate", key_generate },
	{ "list", key_list },
};

int
cmd_key(int argc, char **argv)
{
	size_t i;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		ct_usage(ct_command_find("key"), stdout);
		return CT_EXIT_OK;
	}
	for (i = 0; argc >= 2 && i < CT_ARRAY_SIZE(key_commands); i++)
		if (strcmp(argv[1], key_commands[i].name) == 0)
			return key_commands[i].fn(argc - 1, argv + 1);
	return ct_usage_error("key", "expected 'generate' or 'list'");
}
