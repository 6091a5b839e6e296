/*
 * term.c — what the command layer prints is shown, not obeyed.
 *
 * Strings from records, cards, readers and foreign image headers reach
 * the terminal: an escape sequence in one could clear a "NOT verified"
 * line, retitle the window or move the cursor, and a newline could add a
 * line that looks like ours ("verified: ...").  Standard output goes
 * through a filter that writes control characters out (ct_esc_ctl, newline
 * and tab kept: our own lines need them); fields printed inside a line go
 * through ct_cmd_str / ct_cmd_esc, which write newline and tab out too;
 * ct_error and ct_warn write their whole message out.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "cmd/cmd.h"

/* Escaped copies live in a ring: valid until CT_ESC_RING later calls. */
#define CT_ESC_RING 16

static pthread_mutex_t ring_mu = PTHREAD_MUTEX_INITIALIZER;
static char *ring[CT_ESC_RING];
static unsigned ring_next;

const char *
ct_cmd_esc(const char *s)
{
	struct ct_esc st = { 0 };
	size_t n, o;
	char *p;

	if (s == NULL || !ct_esc_needed(s, 0))
		return s;
	n = strlen(s);
	if ((p = malloc(CT_ESC_ROOM(n) + 1)) == NULL)
		return "(a text that could not be shown: out of memory)";
	o = ct_esc_ctl(&st, s, n, 0, p);
	o += ct_esc_end(&st, p + o);
	p[o] = '\0';
	pthread_mutex_lock(&ring_mu);
	free(ring[ring_next]);
	ring[ring_next] = p;
	ring_next = (ring_next + 1) % CT_ESC_RING;
	pthread_mutex_unlock(&ring_mu);
	return p;
}

const char *
ct_cmd_str(struct json_object *o, const char *k, const char *dflt)
{
	return ct_cmd_esc(ct_json_str(o, k, dflt));
}

void
ct_cmd_fputs(const char *s, FILE *f)
{
	struct ct_esc st = { 0 };
	char buf[CT_ESC_ROOM(256)];
	size_t n, k;

	for (n = s ? strlen(s) : 0; n > 0; s += k, n -= k) {
		k = n < 256 ? n : 256;
		fwrite(buf, 1, ct_esc_ctl(&st, s, k, 0, buf), f);
	}
	fwrite(buf, 1, ct_esc_end(&st, buf), f);
}

/* The filter under stdout. */
struct outf {
	int fd;
	struct ct_esc st;
};

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t
outf_write(void *cookie, const char *buf, size_t n)
{
	struct outf *o = cookie;
	char tmp[CT_ESC_ROOM(1024)];
	size_t done, k;

	for (done = 0; done < n; done += k) {
		k = n - done < 1024 ? n - done : 1024;
		if (write_all(o->fd, tmp, ct_esc_ctl(&o->st, buf + done, k, CT_ESC_LINES, tmp)) < 0)
			return -1;
	}
	return (ssize_t)n;
}

static int
outf_close(void *cookie)
{
	struct outf *o = cookie;
	char tmp[8];
	int ret = write_all(o->fd, tmp, ct_esc_end(&o->st, tmp));

	if (close(o->fd) < 0)
		ret = -1;
	return ret;
}

int
ct_cmd_filter_stdout(void)
{
	static struct outf o;
	cookie_io_functions_t io = { .write = outf_write, .close = outf_close };
	FILE *f;

	o.fd = STDOUT_FILENO;
	if ((f = fopencookie(&o, "w", io)) == NULL)
		return -errno;
	/* as stdio does for a descriptor: lines to a terminal, blocks else */
	setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
	stdout = f;
	return 0;
}
