/*
 * cmd.h — the command layer.  Only src/cmd/ and src/main.c print or exit.
 * Each subcommand is `int cmd_NAME(int argc, char **argv)` with argv[0] the
 * subcommand's name; it returns the exit status (CT_EXIT_*).
 */
#ifndef CARDTRAIL_CMD_H
#define CARDTRAIL_CMD_H

#include <stdio.h>

struct json_object;

enum {
	CT_EXIT_OK = 0,		/* done, everything verified */
	CT_EXIT_FAIL = 1,	/* failed (I/O error, bad input, refused) */
	CT_EXIT_USAGE = 2,	/* usage error */
	CT_EXIT_VERIFY = 3,	/* a hash, signature, chain or read-back did not match */
	CT_EXIT_BADSECT = 4,	/* done with unreadable sectors */
};

struct ct_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;	/* one line for `cardtrail --help` */
	const char *usage;	/* full text for `cardtrail help NAME` and NAME --help */
};

extern const struct ct_command ct_commands[];
const struct ct_command *ct_command_find(const char *name);

int cmd_devices(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_note(int argc, char **argv);
int cmd_wipe(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_adopt(int argc, char **argv);
int cmd_station(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
/* `cardtrail __walk`: extract's child (not in the table, not in help) */
int cmd_walk_child(int argc, char **argv);

/* This very executable, for the children a command spawns (the walk of
 * extract): the file the kernel ran, even if replaced on disk since. */
#define CT_CMD_SELF_EXE "/proc/self/exe"

struct ct_key;
/*
 * Load the signing key named by --sign-key (given) or $CARDTRAIL_SIGN_KEY:
 * an unencrypted Ed25519 private key, or a key the ssh-agent at
 * $SSH_AUTH_SOCK holds (named by its public key or its protected private
 * key file).  *key stays NULL when neither is set.  Returns 0, or
 * CT_EXIT_FAIL after printing why.
 */
/* An ssh-agent timeout in ms: def, or $CARDTRAIL_AGENT_TIMEOUT (seconds,
 * 1 to 3600; anything else is warned about and ignored). */
int ct_cmd_agent_ms(int def);
int ct_cmd_load_sign_key(const char *given, struct ct_key **key);

/*
 * A case folder (or another folder argument) as given, its trailing
 * slashes dropped in place ("case17/" is "case17", so no path says
 * "case17//E1.raw"; "/" stays); one that does not exist yet is taken.
 * When it names something that is not a folder (a device node, a file),
 * NULL after a usage error: "NAME 'ARG' is a block device, not a folder",
 * and with other (the argument it was most likely swapped with, such as
 * "SOURCE") ": did you swap OTHER and NAME?".
 */
char *ct_cmd_casedir(const char *cmd, const char *name, char *arg, const char *other);

/*
 * A key the agent holds signs once now (a throw-away message, in its own
 * namespace), before a long run opens its source: a refusal (a declined
 * confirmation, a removed key, a token not touched) then stops the run
 * before anything is read or written.  Nothing for no key or a key file.
 * Returns 0, or CT_EXIT_FAIL after printing why.
 */
int ct_cmd_try_sign_key(const struct ct_key *key);


/*
 * What an extraction runs under, whatever the examiner's environment: TZ
 * UTC (libtsk hands FAT's zone-less times through as stored) and a UTF-8
 * LC_CTYPE (names from the card go into the bundle as UTF-8); every other
 * category stays "C" (a decimal point, never a comma).  extract and
 * verify --reproduce.
 */
void ct_cmd_extract_env(void);

/*
 * SIGINT, SIGTERM and SIGHUP ask a running pipeline to stop at a safe
 * point (the command then records where it stopped) instead of killing it.
 */
void ct_cmd_catch_signals(void);

/* "cardtrail: MSG" on stderr; with errnum != 0 appends ": strerror". */
void ct_error(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ct_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The overview: every command with its summary (`cardtrail --help`). */
void ct_help_overview(FILE *stream);

/* Print the usage text of a command on stream. */
void ct_usage(const struct ct_command *c, FILE *stream);
/* For a bad option: message, "see 'cardtrail help NAME'", return CT_EXIT_USAGE. */
int ct_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Case metadata (and the examiner) go into an E01 header, lines of
 * tab-separated fields: one with a control character (below 0x20, DEL) is a
 * usage error.  Returns 0 or CT_EXIT_USAGE (said on stderr). */
int ct_cmd_check_metadata(const char *cmd, const char *case_number, const char *evidence_number,
			  const char *description, const char *notes, const char *examiner);

/*
 * Flush and close stdout; a hash that could not be printed is a failure
 * (util-linux close_stdout).  Returns status, or CT_EXIT_FAIL on error.
 */
int ct_finish_stdout(int status);

/* Say why the custody log of casedir could not be read (ct_custody_read's
 * result ret: 1, -EINVAL or -errno); returns CT_EXIT_FAIL. */
int ct_cmd_custody_error(const char *casedir, int ret);

/* Before a long run that appends at its end: 0 if casedir's custody log is
 * absent or a regular file, else CT_EXIT_FAIL after saying why. */
int ct_cmd_check_custody(const char *casedir);

/* Before opening a block device: 0 if this user may (or it is no block
 * device: the run reports that), else CT_EXIT_FAIL after saying what to do
 * (run as root, or in the group that owns it). */
int ct_cmd_check_device(const char *path, int write);

/* The index of value among names[n] (the values of option opt), or, after
 * a usage error that lists them, a negative number. */
int ct_cmd_choose(const char *cmd, const char *opt, const char *value, const char *const *names,
		  size_t n);

struct ct_trust;
/* --key FILE (pubkey) or --allowed-signers FILE: add its keys to *trust
 * (made on first use), warning about the allowed_signers lines ssh-keygen
 * would skip (custody_opts.c).  0, or CT_EXIT_FAIL after saying why (and
 * *trust freed). */
int ct_cmd_add_trust(struct ct_trust **trust, int pubkey, const char *file);

/*
 * term.c: printed text is shown, not obeyed.  ct_cmd_filter_stdout puts a
 * filter under stdout that writes control characters out as "\u00XX"
 * (newline and tab kept); 0 or -errno.  ct_cmd_esc returns s with newline
 * and tab written out too (s itself when nothing needs it; else a copy
 * valid for the next 16 calls); ct_cmd_str is ct_json_str through it;
 * ct_cmd_fputs writes s so to f.  For fields inside a line: a name, a
 * path, a note, an examiner.
 */
int ct_cmd_filter_stdout(void);
const char *ct_cmd_esc(const char *s);
const char *ct_cmd_str(struct json_object *o, const char *k, const char *dflt);
void ct_cmd_fputs(const char *s, FILE *f);

/* Print a JSON value pretty on stdout followed by a newline. */
void ct_print_json(struct json_object *j);

#endif
