/*
 * agent.c — a client of ssh-agent over its unix socket
 * (draft-miller-ssh-agent, the protocol of OpenSSH's authfd.c): list the
 * identities, ask for a signature.
 *
 * The agent is a separate process that may be gone, wedged, or hostile.
 * Every exchange has one deadline for connect + request + reply, replies
 * are refused above OpenSSH's own limit (256 KiB) before anything is
 * allocated for them, and a peer that closes early cannot raise SIGPIPE.
 *
 * Messages: uint32 length, byte type, contents.
 *   SSH_AGENTC_REQUEST_IDENTITIES (11) → SSH_AGENT_IDENTITIES_ANSWER (12):
 *       uint32 nkeys, nkeys × (string key blob, string comment)
 *   SSH_AGENTC_SIGN_REQUEST (13): string key blob, string data, uint32 flags
 *       → SSH_AGENT_SIGN_RESPONSE (14): string signature
 *   SSH_AGENT_FAILURE (5), and the old 30 and 102, mean "refused".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cardtrail/custody.h"
#include "cardtrail/util.h"
#include "custody/wire.h"

enum {
	AGENT_FAILURE = 5,
	AGENTC_REQUEST_IDENTITIES = 11,
	AGENT_IDENTITIES_ANSWER = 12,
	AGENTC_SIGN_REQUEST = 13,
	AGENT_SIGN_RESPONSE = 14,
	AGENT2_FAILURE = 30,		/* SSH2_AGENT_FAILURE of old agents */
	AGENT_COM_FAILURE = 102,	/* SSH_COM_AGENT2_FAILURE */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline: 0, -ETIMEDOUT or -errno. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;	/* ready, or an error the next call reports */
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int
agent_connect(const char *path, long long deadline, int *fdp)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, ret;

	*fdp = -1;
	if (path == NULL || *path == '\0')
		return -ENOENT;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		/* a unix socket whose listen queue is full says EAGAIN */
		if (errno != EAGAIN && errno != EINPROGRESS) {
			ret = -errno;
			goto fail;
		}
		for (;;) {
			if ((ret = wait_fd(fd, POLLOUT, deadline)) < 0)
				goto fail;
			if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
			    errno == EISCONN)
				break;
			if (errno != EAGAIN && errno != EINPROGRESS && errno != EALREADY) {
				ret = -errno;
				goto fail;
			}
		}
	}
	*fdp = fd;
	return 0;
fail:
	close(fd);
	return ret;
}

static int
send_all(int fd, const unsigned char *p, size_t n, long long deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		int ret;

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EPIPE)
			return -ECONNRESET;
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((ret = wait_fd(fd, POLLOUT, deadline)) < 0)
			return ret;
	}
	return 0;
}

/* Read exactly n bytes; the peer closing first is -ECONNRESET. */
static int
recv_all(int fd, unsigned char *p, size_t n, long long deadline)
{
	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);
		int ret;

		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return -ECONNRESET;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((ret = wait_fd(fd, POLLIN, deadline)) < 0)
			return ret;
	}
	return 0;
}

/*
 * One exchange: connect, send req (type + body, framed here), read one
 * framed reply.  *reply (malloc'd) holds the type byte and the contents.
 */
static int
transact(const char *sock, int timeout_ms, const struct ct_wbuf *req, unsigned char **reply,
	 size_t *replylen)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1);
	struct ct_wbuf msg = { 0 };
	unsigned char hdr[4], *body = NULL;
	uint32_t len;
	int fd = -1, ret;

	*reply = NULL;
	*replylen = 0;
	if (req->err)
		return req->err;
	ct_wbuf_u32(&msg, (uint32_t)req->len);
	ct_wbuf_put(&msg, req->p, req->len);
	if ((ret = msg.err) < 0)
		goto out;
	if ((ret = agent_connect(sock, deadline, &fd)) < 0)
		goto out;
	if ((ret = send_all(fd, msg.p, msg.len, deadline)) < 0 ||
	    (ret = recv_all(fd, hdr, 4, deadline)) < 0)
		goto out;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (len == 0) {
		ret = -EPROTO;
		goto out;
	}
	if (len > CT_AGENT_MAX_REPLY) {
		ret = -EMSGSIZE;
		goto out;
	}
	if ((body = malloc(len)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = recv_all(fd, body, len, deadline)) < 0)
		goto out;
	*reply = body;
	*replylen = len;
	body = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(body);
	ct_wbuf_free(&msg);
	return ret;
}

static int
is_failure(unsigned char type)
{
	return type == AGENT_FAILURE || type == AGENT2_FAILURE || type == AGENT_COM_FAILURE;
}

void
ct_agent_list_free(struct ct_agent_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->id[i].blob);
		free(l->id[i].comment);
	}
	free(l->id);
	memset(l, 0, sizeof(*l));
}

static int
parse_identities(const unsigned char *p, size_t n, struct ct_agent_list *l)
{
	struct ct_wrd r = { p, n, 1 };	/* after the type byte */
	uint32_t count, i;

	if (ct_wrd_u32(&r, &count) < 0)
		return -EPROTO;
	if (count > CT_AGENT_MAX_KEYS)
		return -EMSGSIZE;
	/* each identity takes at least 8 bytes: do not trust count further */
	if (count > (n - r.pos) / 8)
		return -EPROTO;
	if (count && (l->id = calloc(count, sizeof(*l->id))) == NULL)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		const unsigned char *b, *c;
		size_t bn, cn;

		if (ct_wrd_string(&r, &b, &bn) < 0 || ct_wrd_string(&r, &c, &cn) < 0 || bn == 0)
			return -EPROTO;
		if ((l->id[i].blob = malloc(bn)) == NULL || (l->id[i].comment = malloc(cn + 1)) == NULL) {
			l->n = i + 1;
			return -ENOMEM;
		}
		memcpy(l->id[i].blob, b, bn);
		l->id[i].bloblen = bn;
		memcpy(l->id[i].comment, c, cn);
		l->id[i].comment[cn] = '\0';	/* a NUL inside ends it, harmlessly */
		l->n = i + 1;
	}
	return ct_wrd_done(&r) ? 0 : -EPROTO;
}

int
ct_agent_list(const char *sock, int timeout_ms, struct ct_agent_list *out)
{
	struct ct_wbuf req = { 0 };
	unsigned char *reply = NULL;
	size_t n;
	int ret;

	memset(out, 0, sizeof(*out));
	ct_wbuf_u8(&req, AGENTC_REQUEST_IDENTITIES);
	if ((ret = transact(sock, timeout_ms, &req, &reply, &n)) < 0)
		goto out;
	if (is_failure(reply[0]))
		ret = -EPERM;
	else if (reply[0] != AGENT_IDENTITIES_ANSWER)
		ret = -EPROTO;
	else
		ret = parse_identities(reply, n, out);
	if (ret < 0)
		ct_agent_list_free(out);
out:
	free(reply);
	ct_wbuf_free(&req);
	return ret;
}

int
ct_agent_sign(const char *sock, int timeout_ms, const unsigned char *blob, size_t bloblen,
	      const void *data, size_t len, uint32_t flags, unsigned char **sig, size_t *siglen)
{
	struct ct_wbuf req = { 0 };
	unsigned char *reply = NULL;
	const unsigned char *s;
	size_t n, sn;
	struct ct_wrd r;
	int ret;

	*sig = NULL;
	*siglen = 0;
	ct_wbuf_u8(&req, AGENTC_SIGN_REQUEST);
	ct_wbuf_string(&req, blob, bloblen);
	ct_wbuf_string(&req, data, len);
	ct_wbuf_u32(&req, flags);
	if ((ret = transact(sock, timeout_ms, &req, &reply, &n)) < 0)
		goto out;
	r = (struct ct_wrd){ reply, n, 1 };
	if (is_failure(reply[0])) {
		ret = -EPERM;
	} else if (reply[0] != AGENT_SIGN_RESPONSE || ct_wrd_string(&r, &s, &sn) < 0 ||
		   sn == 0 || !ct_wrd_done(&r)) {
		ret = -EPROTO;
	} else if ((*sig = malloc(sn)) == NULL) {
		ret = -ENOMEM;
	} else {
		memcpy(*sig, s, sn);
		*siglen = sn;
	}
out:
	free(reply);
	ct_wbuf_free(&req);
	return ret;
}

int
ct_agent_strerror(int err, const char *sock, int timeout_ms, char *buf, size_t len)
{
	switch (err) {
	case -ENOENT:
	case -ECONNREFUSED:
	case -ENOTSOCK:
	case -ENOTDIR:
		return ct_snprintf(buf, len, "no ssh-agent answers at '%s' (SSH_AUTH_SOCK): it is "
				   "not running, or was stopped", sock);
	case -EPERM:
		return ct_snprintf(buf, len, "the ssh-agent at '%s' refused (a confirmation was "
				   "declined, or the key was removed from the agent)", sock);
	case -ETIMEDOUT:
		return ct_snprintf(buf, len, "the ssh-agent at '%s' did not answer within %d s",
				   sock, timeout_ms / 1000);
	case -ECONNRESET:
		return ct_snprintf(buf, len, "the ssh-agent at '%s' closed the connection without "
				   "answering", sock);
	case -EMSGSIZE:
		return ct_snprintf(buf, len, "the ssh-agent at '%s' sent an answer larger than "
				   "OpenSSH allows", sock);
	case -EPROTO:
		return ct_snprintf(buf, len, "the ssh-agent at '%s' sent a malformed answer", sock);
	default:
		return ct_snprintf(buf, len, "cannot talk to the ssh-agent at '%s': %s", sock,
				   strerror(-err));
	}
}
