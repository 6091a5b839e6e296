/*
 * cardtrail — forensic imaging, evidence extraction, verified wiping and a
 * custody chain for drone memory cards.  This file is the subcommand table
 * and nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardtrail/evidence.h"
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
"(or split segments, or an E01) with its acquisition record\n"
"E<n>.acquisition.json and mapfile E<n>.map, then verify the image and the\n"
"source.\n"
"\n"
"  --evidence-id ID        evidence id (default: next free E1, E2, ...)\n"
"  --format FORMAT         raw (default) or e01 (Expert Witness, libewf)\n"
"  --compress LEVEL        e01: none (default), fast or best\n"
"  --hash LIST             md5,sha1,sha256,sha512 (default sha256; e01 adds\n"
"                          md5,sha1, which it stores)\n"
"  --hash-window SIZE      piecewise SHA-256 window (default 256MiB, 0: none;\n"
"                          e01: none, its chunks carry checksums)\n"
"  --split SIZE            raw: segments ID.001, ID.002, ... of SIZE bytes;\n"
"                          e01: segment files ID.E01, ID.E02, ... of at most\n"
"                          SIZE bytes (default 1500MiB)\n"
"  --case-number TEXT      case data for the record, the custody log and\n"
"  --evidence-number TEXT  the E01 header (evidence number: default ID)\n"
"  --description TEXT\n"
"  --notes TEXT\n"
"  --verify WHAT           none, image, source or both (default both)\n"
"  --retries N             extra reads of a failing sector (default 2)\n"
"  --resume                continue an interrupted image from its mapfile\n"
"  --allow-mounted         image a source that is mounted read-write\n"
"  --no-space-check        do not refuse when CASEDIR looks too small\n"
"  --container-as-bytes    image an E01 file itself, as bytes (an E01 is\n"
"                          otherwise refused: 'cardtrail adopt' brings it in)\n"
"  --block-size SIZE       read size (default 1MiB)\n"
"  --progress KIND         none, bar or json (default: bar on a terminal)\n"
"  --json                  print the acquisition record when done\n"
"  --examiner NAME         who is imaging (default $CARDTRAIL_EXAMINER, then\n"
"                          the login name), for the custody log\n"
"  --sign-key FILE         sign the custody record (default $CARDTRAIL_SIGN_KEY)\n"
"\n"
"SHA-256 is always computed: the custody log (CASEDIR/custody.log) records\n"
"it.  The image's record is appended to the log when the run ends.\n"
"\n"
"Exit status: 0 done and verified, 1 failed, 2 usage, 3 verification\n"
"mismatch, 4 done with unreadable sectors (zero-filled, listed).\n" },
	{ .name = "adopt", .fn = cmd_adopt,
	  .summary = "bring an image made elsewhere (raw, split, E01) into a case",
	  .usage =
"usage: cardtrail adopt [options] IMAGE... CASEDIR\n"
"\n"
"Bring an image made elsewhere into CASEDIR as an evidence item without a\n"
"card: a raw image, split raw segments (IMAGE.001 finds the rest) or an\n"
"E01 set (IMAGE.E01 finds the rest) from ewfacquire, Guymager, FTK Imager.\n"
"The files are copied in as E<n>.raw, E<n>.001..., E<n>.E01... and checked\n"
"against the originals; the image's own stored hashes and chunk checksums\n"
"are checked (as ewfverify does), ours computed, what the image says of\n"
"itself recorded in E<n>.acquisition.json, and an adopt record appended to\n"
"the custody log.  verify and extract then treat it as any image.\n"
"\n"
"  --evidence-id ID        evidence id (default: next free E1, E2, ...)\n"
"  --in-place              reference the files where they lie, no copy\n"
"  --hash LIST             md5,sha1,sha256,sha512 (default sha256; an E01\n"
"                          adds md5,sha1 to compare with what it stores)\n"
"  --hash-window SIZE      piecewise SHA-256 window (default 256MiB, 0: none)\n"
"  --case-number TEXT      case data for the record and the custody log\n"
"  --evidence-number TEXT  (default: what an E01 says, evidence number ID)\n"
"  --description TEXT\n"
"  --notes TEXT\n"
"  --progress KIND         none or bar (default: bar on a terminal)\n"
"  --json                  print the record when done\n"
"  --examiner NAME         who adopts it (default $CARDTRAIL_EXAMINER, then\n"
"                          the login name), for the custody log\n"
"  --sign-key FILE         sign the custody record (default $CARDTRAIL_SIGN_KEY)\n"
"\n"
"Exit status: 0 adopted and its stored hashes match, 1 failed, 2 usage,\n"
"3 a stored hash or chunk checksum does not match (recorded as such),\n"
"4 the image lists unreadable sectors of its own acquisition.\n" },
	{ .name = "extract", .fn = cmd_extract,
	  .summary = "extract the flight data on a card image, deleted files included",
	  .usage =
"usage: cardtrail extract [options] CASEDIR EVIDENCE\n"
"       cardtrail extract [options] IMAGE OUTDIR\n"
"\n"
"Check the image of EVIDENCE against its acquisition record, then read it\n"
"with The Sleuth Kit (MBR, GPT or none; FAT12/16/32, exFAT): allocated and\n"
"deleted files and orphans, and files carved from free space.  Flight logs,\n"
"subtitles and photos are parsed into tracks and identity facts.  Writes\n"
"CASEDIR/EVIDENCE.evidence.tar (files/, deleted/, carved/, tracks/,\n"
"MANIFEST.json, flights.json, SHA256SUMS) and a custody record.  With IMAGE\n"
"OUTDIR it works on a bare image without a case.  The same image and options\n"
"give the same bundle, byte for byte (see 'cardtrail verify --reproduce').\n"
"\n"
"  --force          extract even if the image does not match its record\n"
"                   (recorded in the bundle and the custody log)\n"
"  --no-carve       do not carve free space\n"
"  --json           print flights.json instead of the summary\n"
"  --walk-timeout S the walk of each filesystem runs in a child process:\n"
"                   its time budget in seconds (default 600)\n"
"  --max-files N    the most files the walk lists (default 1000000)\n"
"  --progress KIND  none, bar or json: files walked, free space carved, files\n"
"                   bundled, with rate and ETA (default: bar on a terminal)\n"
"  --examiner NAME  who extracts (default $CARDTRAIL_EXAMINER, then login)\n"
"  --sign-key FILE  sign the custody record (default $CARDTRAIL_SIGN_KEY)\n"
"\n"
"Exit status: 0 done, 1 failed, 2 usage, 3 the image does not match its\n"
"record (nothing extracted), 4 done but incomplete (the image has\n"
"unreadable sectors, or a filesystem could not be walked to its end).\n" },
	{ .name = "report", .fn = cmd_report,
	  .summary = "write the case report (HTML, PDF) with maps and a timeline",
	  .usage =
"usage: cardtrail report [options] CASEDIR\n"
"\n"
"Verify the case first (as 'cardtrail verify' does), then write its report:\n"
"the verdict on the first line, the case, every evidence (source identity,\n"
"image, hashes, verifications, extraction, files, wipe), the flights with a\n"
"map each, the timeline and the custody chain.  Writes CASEDIR/report.html,\n"
"CASEDIR/report.pdf, and the timeline as CASEDIR/timeline.csv and a Sleuth\n"
"Kit body file CASEDIR/timeline.body (then report-2.*, ...: nothing is\n"
"overwritten), and a custody record with their sha256.  The same case gives\n"
"the same bytes; the record says when the report was made.\n"
"\n"
"  --format FORMAT         html, pdf or both (default both)\n"
"  --out FILE              write the report to FILE (with both formats, its\n"
"                          extension is replaced by .html and .pdf)\n"
"  --tiles FILE            draw raster tiles of an MBTiles file under the\n"
"                          tracks (no network is ever used)\n"
"  --key PUBKEY            trust this public key file (any examiner)\n"
"  --allowed-signers FILE  trust the keys of an OpenSSH allowed_signers file\n"
"  --allow-unsigned        with keys: accept unsigned records (they are listed)\n"
"  --examiner NAME         who reports (default $CARDTRAIL_EXAMINER, then login)\n"
"  --sign-key FILE         sign the custody record (default $CARDTRAIL_SIGN_KEY)\n"
"\n"
"Exit status: 0 written and the case verifies, 1 failed, 2 usage, 3 written\n"
"and the case does NOT verify (the report's first line says why).\n" },
	{ .name = "wipe", .fn = cmd_wipe,
	  .summary = "overwrite a card, verify every pass, write a certificate",
	  .usage =
"usage: cardtrail wipe [options] --case CASEDIR DEVICE\n"
"       cardtrail wipe --no-image-check [--cert-dir DIR] [options] DEVICE\n"
"       cardtrail wipe --list-methods\n"
"\n"
"Overwrite every addressable byte of DEVICE with the passes of a method,\n"
"flush, read each pass back with O_DIRECT and compare it with the\n"
"regenerated pattern, then write a certificate (NIST SP 800-88 fields) and\n"
"record the wipe in the case's custody log (when it starts and when it\n"
"ends).  The card must be one imaged and verified in CASEDIR, in a chain\n"
"that verifies: the same CID, or the same content (sampled, or every byte).\n"
"This is Clear, not Purge: flash cards remap blocks the host cannot reach.\n"
"\n"
"  --case CASEDIR        the case in which the card was imaged\n"
"  --method M            zero, random, nist-clear (default), dod3, dod7,\n"
"                        hmg-is5, schneier, gutmann, custom:PASS,...\n"
"  --list-methods        print every method with its passes\n"
"  --verify WHAT         all (default), last or none\n"
"  --match HOW           sampled (default: first and last MiB, filesystem\n"
"                        metadata, 1024+ random sectors) or full (every\n"
"                        byte, and the image's hash against its record)\n"
"  --key PUBKEY          the case's records must be signed by this key\n"
"  --allowed-signers FILE  ... or by keys of this allowed_signers file\n"
"  --discard             BLKSECDISCARD (else BLKDISCARD) after verification\n"
"  --format FS           lay down fat32 or exfat after verification\n"
"  --label NAME          the new filesystem's label\n"
"  --destination TEXT    where the card goes next (for the certificate)\n"
"  --examiner NAME       who wipes (default $CARDTRAIL_EXAMINER, then login)\n"
"  --organization NAME   the examiner's organization (for the certificate)\n"
"  --validator NAME      who validates the certificate\n"
"  --sign-key FILE       sign the custody records (default $CARDTRAIL_SIGN_KEY)\n"
"  --force               wipe a device that is not removable, mmc or usb\n"
"  --no-image-check      wipe without a verified image (recorded)\n"
"  --cert-dir DIR        certificates without a case (default: .)\n"
"  --yes                 do not ask for the serial to be typed back\n"
"  --dry-run             every check of a real run; write nothing\n"
"  --resume              continue an interrupted wipe from its state file\n"
"  --progress KIND       none, bar or json (default: bar on a terminal)\n"
"  --json                print the certificate as JSON\n"
"\n"
"Exit status: 0 every pass written and verified, 1 refused or failed,\n"
"2 usage, 3 a read-back did not match (or addresses wrap).\n" },
	{ .name = "station", .fn = cmd_station,
	  .summary = "every card of a mission: image, extract, wipe, report, unattended",
	  .usage =
"usage: cardtrail station [options] --cases DIR\n"
"       cardtrail station --check-policy [--policy FILE]\n"
"\n"
"Watch for cards (udev events, or /sys/block polled when no udev daemon\n"
"runs) and take those the policy admits: SD cards, USB card readers and\n"
"removable media by default, never a device that is mounted, holds the\n"
"running system, swap or a device-mapper/RAID member.  Each card gets a\n"
"case folder in DIR (date, card serial or reader, fingerprint) and goes\n"
"through the policy's chain on its own, several cards at once: image,\n"
"extract, wipe, format, report, each the same code and custody records as\n"
"the command of that name.  A step that fails stops the card's chain; a\n"
"card pulled out waits, and resumes when it comes back; a card processed\n"
"before is flagged before anything is written.  Ctrl-C stops running\n"
"steps at a safe point.  At the end: the mission summary (text, JSON and\n"
"an HTML index) in DIR.\n"
"\n"
"  --cases DIR            where the cases go (made when missing)\n"
"  --mission NAME         the mission's name (default: the date)\n"
"  --policy FILE          the steps and their options (station(5)); without\n"
"                         it: image, extract, report, and no wipe\n"
"  --allow PATTERN        admit devices whose name or /dev path matches the\n"
"                         shell PATTERN too (a loop device, a fixed disk);\n"
"                         repeatable.  The wipe treats them as --force\n"
"  --watch KIND           auto (default), udev or sysfs\n"
"  --poll-interval MS     sysfs: look every MS milliseconds (default 250)\n"
"  --max-cards N          stop when N chains have ended and none runs\n"
"  --idle-exit SECONDS    stop when nothing has happened for SECONDS\n"
"  --progress KIND        status (a line per reader, redrawn; default on a\n"
"                         terminal), log, json (events as JSON lines) or none\n"
"  --json                 print the mission summary as JSON\n"
"  --check-policy         print the policy as JSON and exit\n"
"  --examiner NAME        who runs the station (default $CARDTRAIL_EXAMINER,\n"
"                         then the login name), for the custody logs\n"
"  --sign-key FILE        sign every custody record (default $CARDTRAIL_SIGN_KEY)\n"
"\n"
"Exit status: 0 every card done and verified (duplicates skipped included),\n"
"1 a chain failed or was stopped, 2 usage or a bad policy, 3 a card did\n"
"not verify, 4 a card had unreadable sectors.\n" },
	{ .name = "verify", .fn = cmd_verify,
	  .summary = "verify a case's custody chain, signatures and files",
	  .usage =
"usage: cardtrail verify [options] CASEDIR\n"
"\n"
"Walk CASEDIR/custody.log: every record's prev hash, every signature, every\n"
"output file still present (image segments re-hashed against the acquisition\n"
"hashes, with the piecewise windows naming where damage is), and the links\n"
"between records.  Prints one line per record and the chain head.\n"
"\n"
"  --key PUBKEY            trust this public key file (any examiner)\n"
"  --allowed-signers FILE  trust the keys of an OpenSSH allowed_signers file,\n"
"                          each for its principals (examiner names); with\n"
"                          keys, every record must be signed\n"
"  --allow-unsigned        with keys: accept unsigned records (they are listed)\n"
"  --quick                 check chain, signatures and sizes; do not re-hash\n"
"                          files (then nothing but the chain is verified)\n"
"  --strict                files in CASEDIR that no record lists fail (exit 3)\n"
"  --reproduce             also run every recorded extraction again from its\n"
"                          image (in $TMPDIR, removed after) and compare the\n"
"                          bundle with the recorded one: the first member and\n"
"                          line that differ (costs one extraction each)\n"
"  --repair                set a torn last record aside first, and log that\n"
"  --examiner NAME         who repairs (for --repair)\n"
"  --sign-key FILE         sign the repair record\n"
"  --json                  print the report as JSON\n"
"\n"
"Exit status: 0 all verified, 1 failed to run, 2 usage, 3 a check failed.\n" },
	{ .name = "log", .fn = cmd_log,
	  .summary = "show a case's custody log as a timeline",
	  .usage =
"usage: cardtrail log [--json] CASEDIR\n"
"\n"
"Who did what, when, with which card, and the results.  It shows the log;\n"
"'cardtrail verify' checks it.\n"
"\n"
"  --json      print the records as a JSON array\n" },
	{ .name = "key", .fn = cmd_key,
	  .summary = "make a key pair for signing custody records, list the agent's keys",
	  .usage =
"usage: cardtrail key generate [--comment TEXT] [FILE]\n"
"       cardtrail key list [--public]\n"
"\n"
"generate writes an OpenSSH Ed25519 private key to FILE (default\n"
"cardtrail-key; mode 0600, no passphrase, never overwritten) and its public\n"
"key to FILE.pub, prints the public key, and says how to put the key under\n"
"a passphrase and into ssh-agent.  list shows the keys the ssh-agent at\n"
"$SSH_AUTH_SOCK holds and which of them cardtrail can sign with.\n"
"\n"
"--sign-key FILE signs with an unencrypted Ed25519 private key, or through\n"
"ssh-agent with a key it holds (FILE: its public key, or its passphrase-\n"
"protected private key; ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521).\n"
"Records verify with 'ssh-keygen -Y verify -n cardtrail-custody' as well as\n"
"with 'cardtrail verify'.\n"
"\n"
"  --comment TEXT   the key's comment (default examiner@host)\n"
"  --public         list: print the usable keys as public key lines\n" },
	{ .name = "note", .fn = cmd_note,
	  .summary = "add a note of the examiner's to the custody log",
	  .usage =
"usage: cardtrail note [options] CASEDIR TEXT\n"
"\n"
"Append a note (a seal number, a hand-over, an observation) to\n"
"CASEDIR/custody.log.  A folder without a custody log is refused unless\n"
"--new-case is given (a case may begin with the receipt of a card).\n"
"\n"
"  --evidence ID      the evidence of the case the note is about\n"
"  --item TEXT        what the note is about when it is not an evidence of\n"
"                     the case (a card not imaged yet, a seal, a bag)\n"
"  --new-case         open a new case in CASEDIR with this note\n"
"  --examiner NAME    who writes it (default $CARDTRAIL_EXAMINER, then login)\n"
"  --sign-key FILE    sign the record (default $CARDTRAIL_SIGN_KEY)\n" },
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

	if (argc < 2) {
		/* no command is a usage error: the overview goes to stderr */
		ct_help_overview(stderr);
		return ct_finish_stdout(CT_EXIT_USAGE);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return ct_finish_stdout(cmd_help(1, (char *[]){ "help", NULL }));
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return ct_finish_stdout(cmd_version(1, (char *[]){ "version", NULL }));
	/* extract's own child, spawned by it: no command of the user's */
	if (!strcmp(argv[1], CT_EXTRACT_WALK_COMMAND))
		return cmd_walk_child(argc - 1, argv + 1);
	/* what any command prints is shown, not obeyed (term.c) */
	if (ct_cmd_filter_stdout() < 0) {
		ct_error(errno, "cannot set up standard output");
		return CT_EXIT_FAIL;
	}
	c = ct_command_find(argv[1]);
	if (c == NULL) {
		ct_error(0, "'%s' is not a cardtrail command; see 'cardtrail --help'", argv[1]);
		return CT_EXIT_USAGE;
	}
	return ct_finish_stdout(c->fn(argc - 1, argv + 1));
}
