/*
 * test_agent.c — the ssh-agent client (src/custody/agent.c) against a fake
 * agent: a child process on a unix socket that answers each connection
 * from a script.  A hostile or broken agent must give a clear error in
 * bounded time and memory, never a hang, a crash or a SIGPIPE; a good one
 * gets exactly the requests OpenSSH's client sends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>

#include "cardtrail/custody.h"

enum act {
	REPLY,		/* read the request, send the reply, close */
	STALL,		/* read the request, never answer */
	DRIP,		/* send the reply one byte every 20 ms */
	HANGUP,		/* close at once, request unread */
};

struct step {
	enum act act;
	const unsigned char *reply;	/* with its length prefix */
	size_t len;
};

struct fake {
	char dir[32], sock[64], req[64];
	pid_t pid;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
read_full(int fd, unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The child: one step per connection; each request is kept in req.N. */
static void
serve(int lfd, const struct fake *f, const struct step *steps, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		unsigned char hdr[4], *body = NULL;
		uint32_t len;
		int c = accept(lfd, NULL, NULL);
		char path[200];
		FILE *out;

		if (c < 0)
			_exit(1);
		if (steps[i].act == HANGUP) {
			close(c);
			continue;
		}
		if (read_full(c, hdr, 4) == 0) {
			len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
			body = malloc(len ? len : 1);
			if (body && read_full(c, body, len) == 0) {
				snprintf(path, sizeof(path), "%s.%zu", f->req, i);
				if ((out = fopen(path, "w")) != NULL) {
					fwrite(body, 1, len, out);
					fclose(out);
				}
			}
			free(body);
		}
		switch (steps[i].act) {
		case REPLY:
			if (write(c, steps[i].reply, steps[i].len) < 0)
				_exit(1);
			break;
		case DRIP:
			for (k = 0; k < steps[i].len; k++) {
				if (write(c, steps[i].reply + k, 1) < 0)
					break;
				usleep(20000);
			}
			break;
		case STALL:
			sleep(30);
			break;
		case HANGUP:
			break;
		}
		close(c);
	}
	_exit(0);
}

static void
fake_start(struct fake *f, const struct step *steps, size_t n)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd;

	snprintf(f->dir, sizeof(f->dir), "/tmp/ct-agent.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/agent.sock", f->dir);
	snprintf(f->req, sizeof(f->req), "%s/req", f->dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->sock);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0)
		serve(lfd, f, steps, n);
	close(lfd);
}

static void
fake_stop(struct fake *f)
{
	char cmd[200];

	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
}

/* The request the fake agent got on connection i. */
static size_t
fake_request(const struct fake *f, size_t i, unsigned char *buf, size_t cap)
{
	char path[200];
	FILE *in;
	size_t n;

	snprintf(path, sizeof(path), "%s.%zu", f->req, i);
	assert_non_null(in = fopen(path, "r"));
	n = fread(buf, 1, cap, in);
	fclose(in);
	return n;
}

/* ---- messages ---- */

struct msg {
	unsigned char b[4096];
	size_t n;
};

static void
put(struct msg *m, const void *d, size_t n)
{
	memcpy(m->b + m->n, d, n);
	m->n += n;
}

static void
put_u32(struct msg *m, uint32_t v)
{
	unsigned char x[4] = { v >> 24, v >> 16, v >> 8, v };
	put(m, x, 4);
}

static void
put_str(struct msg *m, const void *d, size_t n)
{
	put_u32(m, (uint32_t)n);
	put(m, d, n);
}

/* Frame body as a message: length, then the bytes. */
static struct msg
frame(const struct msg *body)
{
	struct msg m = { .n = 0 };

	put_u32(&m, (uint32_t)body->n);
	put(&m, body->b, body->n);
	return m;
}

static const unsigned char blob_a[] = "key-blob-a", blob_b[] = "key-blob-b";

static struct msg
identities(void)
{
	struct msg b = { .n = 0 };

	put(&b, "\x0c", 1);
	put_u32(&b, 2);
	put_str(&b, blob_a, sizeof(blob_a) - 1);
	put_str(&b, "alice@station1", 14);
	put_str(&b, blob_b, sizeof(blob_b) - 1);
	put_str(&b, "bob\033[2J", 8);	/* hostile bytes in a comment */
	return frame(&b);
}

/* ---- tests ---- */

static void
test_list(void **state)
{
	struct msg r = identities();
	struct step s[] = { { REPLY, r.b, r.n } };
	struct fake f;
	struct ct_agent_list l;
	unsigned char req[64];

	(void)state;
	fake_start(&f, s, 1);
	assert_int_equal(ct_agent_list(f.sock, 2000, &l), 0);
	assert_int_equal(l.n, 2);
	assert_memory_equal(l.id[0].blob, blob_a, sizeof(blob_a) - 1);
	assert_int_equal(l.id[0].bloblen, sizeof(blob_a) - 1);
	assert_string_equal(l.id[0].comment, "alice@station1");
	assert_memory_equal(l.id[1].blob, blob_b, sizeof(blob_b) - 1);
	assert_string_equal(l.id[1].comment, "bob\033[2J");
	ct_agent_list_free(&l);
	/* SSH_AGENTC_REQUEST_IDENTITIES: one byte, 11 */
	assert_int_equal(fake_request(&f, 0, req, sizeof(req)), 1);
	assert_int_equal(req[0], 11);
	fake_stop(&f);
}

/* One scripted connection, expecting err from ct_agent_list. */
static void
expect_list_error(enum act act, const struct msg *reply, int timeout_ms, int err)
{
	struct step s[] = { { act, reply ? reply->b : NULL, reply ? reply->n : 0 } };
	struct fake f;
	struct ct_agent_list l;
	double t0 = now();
	int ret;

	fake_start(&f, s, 1);
	ret = ct_agent_list(f.sock, timeout_ms, &l);
	if (ret != err)
		fail_msg("ct_agent_list returned %d (%s), expected %d (%s)", ret, strerror(-ret), err,
			 strerror(-err));
	assert_int_equal(l.n, 0);
	assert_null(l.id);
	/* bounded: never much past the deadline */
	assert_true(now() - t0 < timeout_ms / 1000.0 + 1.0);
	fake_stop(&f);
}

static void
test_refused(void **state)
{
	static const unsigned char codes[] = { 5, 30, 102 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(codes); i++) {
		struct msg b = { .n = 0 }, r;
		put(&b, &codes[i], 1);
		r = frame(&b);
		expect_list_error(REPLY, &r, 2000, -EPERM);
	}
}

static void
test_stall_times_out(void **state)
{
	double t0 = now();

	(void)state;
	expect_list_error(STALL, NULL, 300, -ETIMEDOUT);
	assert_true(now() - t0 >= 0.29);
}

/* The deadline is for the whole answer, not for each read. */
static void
test_drip_times_out(void **state)
{
	struct msg r = identities();

	(void)state;
	expect_list_error(DRIP, &r, 500, -ETIMEDOUT);
}

static void
test_oversize(void **state)
{
	struct msg r = { .n = 0 };

	(void)state;
	put_u32(&r, 0xffffffffu);	/* refused before a byte is allocated */
	put(&r, "\x0c", 1);
	expect_list_error(REPLY, &r, 2000, -EMSGSIZE);
	r.n = 0;
	put_u32(&r, CT_AGENT_MAX_REPLY + 1);
	expect_list_error(REPLY, &r, 2000, -EMSGSIZE);
	r.n = 0;
	put_u32(&r, 0);
	expect_list_error(REPLY, &r, 2000, -EPROTO);
}

static void
test_truncated_and_hangup(void **state)
{
	struct msg r = { .n = 0 };

	(void)state;
	put_u32(&r, 100);
	put(&r, "\x0c\x00\x00", 3);	/* then the agent closes */
	expect_list_error(REPLY, &r, 2000, -ECONNRESET);
	/* closed before reading the request: no SIGPIPE kills us */
	expect_list_error(HANGUP, NULL, 2000, -ECONNRESET);
}

static void
test_malformed_identities(void **state)
{
	struct msg b = { .n = 0 }, r;

	(void)state;
	put(&b, "\x0c", 1);
	put_u32(&b, 1000);	/* 1000 keys announced, none there */
	r = frame(&b);
	expect_list_error(REPLY, &r, 2000, -EPROTO);
	b.n = 0;
	put(&b, "\x0c", 1);
	put_u32(&b, CT_AGENT_MAX_KEYS + 1);
	r = frame(&b);
	expect_list_error(REPLY, &r, 2000, -EMSGSIZE);
	b.n = 0;
	put(&b, "\x0c", 1);
	put_u32(&b, 1);
	put_u32(&b, 0x7fffffff);	/* a string longer than the message */
	put_u32(&b, 0);
	r = frame(&b);
	expect_list_error(REPLY, &r, 2000, -EPROTO);
	b.n = 0;
	put(&b, "\x0e", 1);	/* a sign response to a list request */
	put_str(&b, "x", 1);
	r = frame(&b);
	expect_list_error(REPLY, &r, 2000, -EPROTO);
	b = identities();	/* trailing bytes after the last identity */
	memmove(b.b, b.b + 4, b.n - 4);
	b.n -= 4;
	put(&b, "junk", 4);
	r = frame(&b);
	expect_list_error(REPLY, &r, 2000, -EPROTO);
}

static void
test_no_agent(void **state)
{
	struct ct_agent_list l;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/ct-agent.XXXXXX", path[100], cmd[150], longpath[200];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gone.sock", dir);
	assert_int_equal(ct_agent_list(path, 1000, &l), -ENOENT);
	/* a socket file whose agent is gone (killed agents leave them) */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(ct_agent_list(path, 1000, &l), -ECONNREFUSED);
	assert_int_equal(ct_agent_list("", 1000, &l), -ENOENT);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(ct_agent_list(longpath, 1000, &l), -ENAMETOOLONG);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_sign_request(void **state)
{
	struct msg b = { .n = 0 }, r, want = { .n = 0 };
	struct step s[1];
	struct fake f;
	unsigned char *sig = NULL, req[256];
	size_t sn = 0;

	(void)state;
	put(&b, "\x0e", 1);
	put_str(&b, "the-signature", 13);
	r = frame(&b);
	s[0] = (struct step){ REPLY, r.b, r.n };
	fake_start(&f, s, 1);
	assert_int_equal(ct_agent_sign(f.sock, 2000, blob_a, sizeof(blob_a) - 1, "data", 4,
				       CT_AGENT_RSA_SHA2_512, &sig, &sn), 0);
	assert_int_equal(sn, 13);
	assert_memory_equal(sig, "the-signature", 13);
	free(sig);
	/* SSH_AGENTC_SIGN_REQUEST: 13, string key blob, string data, uint32 flags */
	put(&want, "\x0d", 1);
	put_str(&want, blob_a, sizeof(blob_a) - 1);
	put_str(&want, "data", 4);
	put_u32(&want, 4);
	assert_int_equal(fake_request(&f, 0, req, sizeof(req)), want.n);
	assert_memory_equal(req, want.b, want.n);
	fake_stop(&f);
}

static void
expect_sign_error(const struct msg *reply, int err)
{
	struct step s[] = { { REPLY, reply->b, reply->n } };
	struct fake f;
	unsigned char *sig = (unsigned char *)"untouched";
	size_t sn = 99;

	fake_start(&f, s, 1);
	assert_int_equal(ct_agent_sign(f.sock, 2000, blob_a, 10, "d", 1, 0, &sig, &sn), err);
	assert_null(sig);
	assert_int_equal(sn, 0);
	fake_stop(&f);
}

static void
test_sign_errors(void **state)
{
	struct msg b = { .n = 0 }, r;

	(void)state;
	put(&b, "\x05", 1);
	r = frame(&b);
	expect_sign_error(&r, -EPERM);
	b.n = 0;
	put(&b, "\x0e", 1);
	put_str(&b, "sig", 3);
	put(&b, "x", 1);	/* trailing byte */
	r = frame(&b);
	expect_sign_error(&r, -EPROTO);
	b.n = 0;
	put(&b, "\x0e", 1);
	put_u32(&b, 0);		/* an empty signature */
	r = frame(&b);
	expect_sign_error(&r, -EPROTO);
	b.n = 0;
	put(&b, "\x06", 1);	/* SUCCESS is no signature */
	r = frame(&b);
	expect_sign_error(&r, -EPROTO);
}

/*
 * Through ct_sshsig_sign: the agent gets the SSHSIG signed data exactly as
 * ssh-keygen builds it, and a signature that does not verify is refused
 * (nothing to put in a log), with a message saying so.
 */
static void
test_sshsig_via_fake_agent(void **state)
{
	struct msg blob = { .n = 0 }, ids = { .n = 0 }, idr, sb = { .n = 0 }, sr, inner = { .n = 0 };
	struct msg want = { .n = 0 };
	struct step s[2];
	struct ct_key *k = NULL;
	struct fake f;
	unsigned char req[512], h[64], zero[64] = { 0 }, pk[32];
	char *armored = (char *)"untouched", err[512] = "";

	(void)state;
	memset(pk, 0x11, sizeof(pk));
	put_str(&blob, "ssh-ed25519", 11);
	put_str(&blob, pk, 32);
	assert_int_equal(ct_key_from_blob(blob.b, blob.n, &k), 0);
	put(&ids, "\x0c", 1);
	put_u32(&ids, 1);
	put_str(&ids, blob.b, blob.n);
	put_str(&ids, "k", 1);
	idr = frame(&ids);
	put_str(&inner, "ssh-ed25519", 11);
	put_str(&inner, zero, 64);	/* a signature of zeros: not valid */
	put(&sb, "\x0e", 1);
	put_str(&sb, inner.b, inner.n);
	sr = frame(&sb);
	s[0] = (struct step){ REPLY, idr.b, idr.n };
	s[1] = (struct step){ REPLY, sr.b, sr.n };
	fake_start(&f, s, 2);
	assert_int_equal(ct_key_use_agent(k, f.sock, 2000, 2000), 0);
	assert_string_equal(ct_key_agent(k), f.sock);
	assert_int_equal(ct_sshsig_sign(k, "cardtrail-custody", "record", 6, &armored, err, sizeof(err)),
			 -EBADMSG);
	assert_null(armored);
	assert_non_null(strstr(err, "is not a valid ssh-ed25519 signature over the record"));
	/* the request: 13, the blob, the signed data as ssh-keygen builds it, flags 0 */
	gcry_md_hash_buffer(GCRY_MD_SHA512, h, "record", 6);
	put(&want, "\x0d", 1);
	put_str(&want, blob.b, blob.n);
	put_u32(&want, 6 + 4 + 17 + 4 + 4 + 6 + 4 + 64);
	put(&want, "SSHSIG", 6);
	put_str(&want, "cardtrail-custody", 17);
	put_str(&want, "", 0);
	put_str(&want, "sha512", 6);
	put_str(&want, h, 64);
	put_u32(&want, 0);
	assert_int_equal(fake_request(&f, 1, req, sizeof(req)), want.n);
	assert_memory_equal(req, want.b, want.n);
	fake_stop(&f);
	ct_key_free(k);
}

/* An agent that does not hold the key: 1, and the key stays unbound. */
static void
test_use_agent_without_key(void **state)
{
	static const char line[] =
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICQWpfd9hg/Ob837Vf828OMUQI8UEiWbf2WJLD+xyxJD";
	struct msg r = identities();
	struct step s[] = { { REPLY, r.b, r.n } };
	struct ct_key *k = NULL;
	struct fake f;
	char *armored = NULL;

	(void)state;
	assert_int_equal(ct_key_parse_public(line, &k), 0);
	fake_start(&f, s, 1);
	assert_int_equal(ct_key_use_agent(k, f.sock, 2000, 2000), 1);
	assert_null(ct_key_agent(k));
	/* a public key nobody signs for cannot sign */
	assert_int_equal(ct_sshsig_sign(k, "ns", "m", 1, &armored, NULL, 0), -EINVAL);
	assert_null(armored);
	fake_stop(&f);
	ct_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_stall_times_out),
		cmocka_unit_test(test_drip_times_out),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_truncated_and_hangup),
		cmocka_unit_test(test_malformed_identities),
		cmocka_unit_test(test_no_agent),
		cmocka_unit_test(test_sign_request),
		cmocka_unit_test(test_sign_errors),
		cmocka_unit_test(test_sshsig_via_fake_agent),
		cmocka_unit_test(test_use_agent_without_key),
	};

	signal(SIGPIPE, SIG_DFL);	/* a SIGPIPE must kill the test, not be ignored */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
