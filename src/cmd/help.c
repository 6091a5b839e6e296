/*
 * help.c — `cardtrail help [COMMAND]` and `cardtrail version`.
 */
#include <stdio.h>

#include "cardtrail/image.h"
#include "cmd/cmd.h"

void
ct_help_overview(FILE *f)
{
	const struct ct_command *c;

	fputs("usage: cardtrail COMMAND [options] [arguments]\n"
	      "\n"
	      "Forensic imaging of drone memory cards, with hashes, verification and a\n"
	      "custody record.\n"
	      "\n"
	      "commands:\n", f);
	for (c = ct_commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fputs("\n"
	      "'cardtrail help COMMAND' shows a command's options; 'cardtrail --version'\n"
	      "the versions of the tool and its libraries.\n"
	      "\n"
	      "Exit status: 0 done and verified, 1 failed, 2 usage error, 3 verification\n"
	      "failed, 4 done with unreadable sectors.\n", f);
}

int
cmd_help(int argc, char **argv)
{
	const struct ct_command *c;

	if (argc > 2)
		return ct_usage_error("help", "too many arguments");
	if (argc == 2) {
		c = ct_command_find(argv[1]);
		if (c == NULL) {
			ct_error(0, "no such command '%s'; see 'cardtrail --help'", argv[1]);
			return CT_EXIT_USAGE;
		}
		ct_usage(c, stdout);
		return CT_EXIT_OK;
	}
	ct_help_overview(stdout);
	return CT_EXIT_OK;
}

int
cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return ct_usage_error("version", "no arguments expected");
	printf("%s\n", ct_tool_string());
	return CT_EXIT_OK;
}
