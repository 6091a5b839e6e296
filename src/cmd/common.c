/*
 * common.c — messages, usage and JSON output for the command layer.
 */
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/dev.h"
#include "cardtrail/pipe.h"
#include "cardtrail/util.h"
#include "cmd/cmd.h"

const struct ct_command *
ct_command_find(const char *name)
{
	const struct ct_command *c;

	for (c = ct_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* A message is one line: what it quotes (a name from a card, a path from a
 * record) is shown, not obeyed (term.c). */
static void
put_message(const char *fmt, va_list ap)
{
	char *m = NULL;

	if (vasprintf(&m, fmt, ap) < 0) {
		fputs("(a message that could not be formatted: out of memory)", stderr);
		return;
	}
	ct_cmd_fputs(m, stderr);
	free(m);
}

void
ct_error(int errnum, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("cardtrail: ", stderr);
	va_start(ap, fmt);
	put_message(fmt, ap);
	va_end(ap);
	if (errnum)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
}

void
ct_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("cardtrail: warning: ", stderr);
	va_start(ap, fmt);
	put_message(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
ct_usage(const struct ct_command *c, FILE *stream)
{
	fputs(c->usage, stream);
}

int
ct_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("cardtrail: ", stderr);
	va_start(ap, fmt);
	put_message(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'cardtrail help %s'\n", cmd);
	return CT_EXIT_USAGE;
}

void
ct_print_json(struct json_object *j)
{
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
}

void
ct_cmd_extract_env(void)
{
	/* FAT times carry no zone: let libtsk hand them through as stored */
	setenv("TZ", "UTC", 1);
	tzset();
	(void)setlocale(LC_ALL, "C");
	/* names from the card go into the bundle as UTF-8 whatever the
	 * examiner's locale (libarchive converts through LC_CTYPE) */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		(void)setlocale(LC_CTYPE, "");
}

int
ct_finish_stdout(int status)
{
	int err = 0;

	if (fflush(stdout) != 0 || ferror(stdout))
		err = errno ? errno : EIO;
	if (fclose(stdout) != 0 && err == 0)
		err = errno;
	if (err && err != EPIPE) {
		fprintf(stderr, "cardtrail: write error on standard output: %s\n", strerror(err));
		return status == CT_EXIT_OK ? CT_EXIT_FAIL : status;
	}
	return status;
}

static void
on_signal(int sig)
{
	(void)sig;
	ct_pipe_request_stop();
}

void
ct_cmd_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int
ct_cmd_custody_error(const char *casedir, int ret)
{
	if (ret == 1)
		ct_error(0, "no custody log in '%s'", casedir);
	else if (ret == -EINVAL)
		return ct_cmd_check_custody(casedir);
	else
		ct_error(-ret, "cannot read the custody log of '%s'", casedir);
	return CT_EXIT_FAIL;
}

int
ct_cmd_check_custody(const char *casedir)
{
	char err[1024] = "";
	int ret = ct_custody_check(casedir, err, sizeof(err));

	if (ret >= 0)
		return 0;
	ct_error(0, "%s", err[0] ? err : strerror(-ret));
	return CT_EXIT_FAIL;
}

int
ct_cmd_check_device(const char *path, int write)
{
	char hint[128];
	struct stat st;
	int e;

	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return 0;	/* the run says what is wrong with it */
	if (access(path, write ? R_OK | W_OK : R_OK) == 0 || (errno != EACCES && errno != EPERM))
		return 0;
	e = errno;
	ct_dev_access_hint(path, hint, sizeof(hint));
	ct_error(0, "cannot open '%s': %s: %s", path, strerror(e), hint);
	return CT_EXIT_FAIL;
}

int
ct_cmd_choose(const char *cmd, const char *opt, const char *value, const char *const *names,
	      size_t n)
{
	char list[256] = "";
	size_t i, l = 0;

	for (i = 0; i < n; i++)
		if (!strcmp(value, names[i]))
			return (int)i;
	for (i = 0; i < n && l < sizeof(list); i++)
		l += (size_t)snprintf(list + l, sizeof(list) - l, "%s%s", i == 0 ? "" :
				      i + 1 == n ? " or " : ", ", names[i]);
	(void)ct_usage_error(cmd, "%s: '%s' is not %s", opt, value, list);
	return -1;
}

/* What a path that is not a folder is, for a message. */
static const struct {
	mode_t type;
	const char *what;
} file_kinds[] = {
	{ S_IFBLK, "a block device" }, { S_IFCHR, "a character device" }, { S_IFREG, "a file" },
	{ S_IFIFO, "a FIFO" }, { S_IFSOCK, "a socket" },
};

char *
ct_cmd_casedir(const char *cmd, const char *name, char *arg, const char *other)
{
	size_t n = strlen(arg), i;
	const char *what = "not a folder";
	struct stat st;

	while (n > 1 && arg[n - 1] == '/')
		arg[--n] = '\0';
	/* absent: the command says so (or makes the case) */
	if (stat(arg, &st) < 0 || S_ISDIR(st.st_mode))
		return arg;
	for (i = 0; i < CT_ARRAY_SIZE(file_kinds); i++)
		if ((st.st_mode & S_IFMT) == file_kinds[i].type)
			what = file_kinds[i].what;
	if (other)
		(void)ct_usage_error(cmd, "%s '%s' is %s, not a folder: did you swap %s and %s?", name,
				     arg, what, other, name);
	else
		(void)ct_usage_error(cmd, "%s '%s' is %s, not a folder", name, arg, what);
	return NULL;
}

/* One metadata text: no control character (below 0x20, DEL). */
static int
check_text(const char *cmd, const char *what, const char *v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return ct_usage_error(cmd, "%s: control character 0x%02x at byte %zu is not "
					      "allowed (an E01 header is lines of tab-separated "
					      "fields: it would shift them)", what,
					      (unsigned)(unsigned char)v[i], i + 1);
	return 0;
}

int
ct_cmd_check_metadata(const char *cmd, const char *case_number, const char *evidence_number,
		      const char *description, const char *notes, const char *examiner)
{
	const struct { const char *what, *v; } f[] = {
		{ "--case-number", case_number }, { "--evidence-number", evidence_number },
		{ "--description", description }, { "--notes", notes },
		{ "the examiner (--examiner, $CARDTRAIL_EXAMINER)", ct_custody_examiner(examiner) },
	};
	size_t i;
	int ret;

	for (i = 0; i < CT_ARRAY_SIZE(f); i++)
		if ((ret = check_text(cmd, f[i].what, f[i].v)) != 0)
			return ret;
	return 0;
}
