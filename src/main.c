/*
 * cardtrail — forensic imaging, evidence extraction, verified wiping and a
 * custody chain for drone memory cards.  This file is the subcommand table
 * and nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

const struct ct_command ct_commands[] = {
	{ .name = "devices", .fn = cmd_devices,
	  .summary = "list attached cards and what they are",
	  .usage =
"usage: cardtrail devices [--json]\n"
"\n"
"List block devices a card could be (SD/MMC, USB readers, loop devices):\n"
"size, transport, vendor, model, serial, the SD card's CID when visible,\n"
"write-protect state, partitions and filesystems, and what is mounted.\n"
"\n"
"  --json      print the list as a JSON array\n" },
	{ .name = "image", .fn = cmd_image,
	  .summary = "image a card into a case folder, hashed and verified",
	  .usage =
"usage: cardtrail image [options] SOURCE CASEDIR\n"
"\n"
"Image SOURCE (a block device or an image file) into CASEDIR as E<n>.raw\n"
"(or split segments) with its acquisition record E<n>.acquisition.json and\n"
"mapfile E<n>.map, then verify the image and the source.\n"
"\n"
"  --evidence-id ID        evidence id (default: next free E1, E2, ...)\n"
"  --hash LIST             md5,sha1,sha256,sha512 (default sha256)\n"
"  --hash-window SIZE      piecewise SHA-256 window (default 256MiB, 0: none)\n"
"  --split SIZE            write segments ID.001, ID.002, ... of SIZE bytes\n"
"  --verify WHAT           none, image, source or both (default both)\n"
"  --retries N             extra reads of a failing sector (default 2)\n"
"  --resume                continue an interrupted image from its mapfile\n"
"  --allow-mounted         image a source that is mounted read-write\n"
"  --no-space-check        do not refuse when CASEDIR looks too small\n"
"  --block-size SIZE       read size (default 1MiB)\n"
"  --progress KIND         none, bar or json (default: bar on a terminal)\n"
"  --json                  print the acquisition record when done\n"
"\n"
"Exit status: 0 done and verified, 1 failed, 2 usage, 3 verification\n"
"mismatch, 4 done with unreadable sectors (zero-filled, listed).\n" },
	{ .name = "help", .fn = cmd_help,
	  .summary = "show help for a command",
	  .usage = "usage: cardtrail help [COMMAND]\n" },
	{ .name = "version", .fn = cmd_version,
	  .summary = "print the version and the library versions",
	  .usage = "usage: cardtrail version\n" },
	{ 0 }
};

int
main(int argc, char **argv)
{
	const struct ct_command *c;

	if (argc < 2)
		return ct_finish_stdout(cmd_help(1, (char *[]){ "help", NULL }));
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return ct_finish_stdout(cmd_help(1, (char *[]){ "help", NULL }));
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return ct_finish_stdout(cmd_version(1, (char *[]){ "version", NULL }));
	c = ct_command_find(argv[1]);
	if (c == NULL) {
		ct_error(0, "'%s' is not a cardtrail command; see 'cardtrail --help'", argv[1]);
		return CT_EXIT_USAGE;
	}
	return ct_finish_stdout(c->fn(argc - 1, argv + 1));
}
