/*
 * test_allowed_signers.c — allowed_signers files read as ssh-keygen reads
 * them (src/custody/trust.c), with the base64 and key text rules under
 * them (wire.c, sshkey.c).  tests/e2e/t0660-allowed-signers.sh puts the
 * same kind of hostile files to ssh-keygen itself and compares verdicts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cardtrail/custody.h"
#include "custody/wire.h"

#define NS "cardtrail-custody"
#define WHEN "2026-11-21T14:02:11Z"

static char dir[] = "/tmp/ct-signers.XXXXXX";
static struct ct_key *ka, *kb;
static char *la, *lb;		/* "ssh-ed25519 BASE64" of ka, kb */

/* An Ed25519 key whose 32 public bytes are all b, as a key and a line. */
static void
make_key(unsigned char b, struct ct_key **k, char **line)
{
	struct ct_wbuf w = { 0 };
	unsigned char pk[32];

	memset(pk, b, sizeof(pk));
	ct_wbuf_cstring(&w, "ssh-ed25519");
	ct_wbuf_string(&w, pk, 32);
	assert_int_equal(ct_key_from_blob(w.p, w.len, k), 0);
	ct_wbuf_free(&w);
	assert_non_null(*line = ct_key_public_line(*k));
}

static int
setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	if (mkdtemp(dir) == NULL)
		return -1;
	make_key(0x11, &ka, &la);
	make_key(0x22, &kb, &lb);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[100];

	(void)state;
	ct_key_free(ka);
	ct_key_free(kb);
	free(la);
	free(lb);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write len bytes (NULs allowed) as the file, load it as allowed_signers. */
static int
load(const char *text, size_t len, struct ct_trust **t)
{
	char path[100];
	FILE *f;
	int line = -1, ret;

	snprintf(path, sizeof(path), "%s/allowed", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_non_null(*t = ct_trust_new());
	ret = ct_trust_add_allowed_signers(*t, path, &line);
	assert_int_equal(line, 0);
	return ret;
}

/* A file made with printf: %A and %B stand for the key lines of ka, kb. */
static char *
text_of(const char *fmt)
{
	size_t cap = strlen(fmt) * 2 + 1024, n = 0;
	char *out = malloc(cap);
	const char *p;

	assert_non_null(out);
	for (p = fmt; *p; p++) {
		const char *ins = NULL;
		if (p[0] == '%' && (p[1] == 'A' || p[1] == 'B'))
			ins = p[1] == 'A' ? la : lb;
		if (ins) {
			memcpy(out + n, ins, strlen(ins));
			n += strlen(ins);
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return out;
}

/* Trust verdict of key for principal at WHEN in NS, for the file fmt. */
static int
verdict(const char *fmt, const struct ct_key *key, const char *principal)
{
	struct ct_trust *t;
	char *text = text_of(fmt);
	int v;

	if (load(text, strlen(text), &t) < 0) {
		ct_trust_free(t);
		free(text);
		return -1;
	}
	v = ct_trust_check(t, key, principal, NS, ct_custody_time(WHEN), -1);
	ct_trust_free(t);
	free(text);
	return v;
}

static void
test_plain(void **state)
{
	(void)state;
	assert_int_equal(verdict("alice %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("alice %A\n", ka, "bob"), 0);
	assert_int_equal(verdict("alice %A\n", kb, "alice"), 0);
	assert_int_equal(verdict("alice,bob %B comment here\n", kb, "bob"), 1);
	assert_int_equal(verdict("# comment\n\n   \t\nalice %A", ka, "alice"), 1);	/* no final newline */
	assert_int_equal(verdict("\t  alice\t%A  trailing\r\n", ka, "alice"), 1);
	assert_int_equal(verdict("a?ice %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("*@example.org %A\n", ka, "alice@example.org"), 1);
	assert_int_equal(verdict("Alice %A\n", ka, "alice"), 0);	/* case-sensitive */
	assert_int_equal(verdict("!mallory,* %A\n", ka, "mallory"), 0);
	assert_int_equal(verdict("!mallory,* %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("*,!mallory %A\n", ka, "mallory"), 0);
}

/* The bug this replaces: an 8 KiB fgets split a long line, and its tail
 * became a second principal/key pair. */
static void
test_long_lines(void **state)
{
	size_t pad, big = 1 << 20, n;
	char *text;
	struct ct_trust *t;

	(void)state;
	for (pad = 8100; pad < 8200; pad += 7) {
		n = (size_t)snprintf(NULL, 0, "alice %s ", la);
		text = malloc(n + pad + strlen(lb) + 16);
		assert_non_null(text);
		sprintf(text, "alice %s ", la);
		memset(text + n, 'x', pad);
		sprintf(text + n + pad, "\nbob %s\n", lb);
		text[n + pad] = ' ';	/* one line: "bob KEY" is the comment's end */
		assert_int_equal(load(text, strlen(text), &t), 0);
		assert_int_equal(ct_trust_check(t, kb, "bob", NS, ct_custody_time(WHEN), -1), 0);
		assert_int_equal(ct_trust_check(t, ka, "alice", NS, ct_custody_time(WHEN), -1), 1);
		assert_int_equal(ct_trust_count(t), 1);
		ct_trust_free(t);
		free(text);
	}
	/* a 1 MiB comment, and a 1 MiB principal list ending in alice */
	text = malloc(2 * big + 256);
	assert_non_null(text);
	n = (size_t)sprintf(text, "alice %s ", la);
	memset(text + n, 'c', big);
	n += big;
	text[n++] = '\n';
	memset(text + n, ',', big);
	n += big;
	n += (size_t)sprintf(text + n, "bob %s\n", lb);
	assert_int_equal(load(text, n, &t), 0);
	assert_int_equal(ct_trust_check(t, ka, "alice", NS, ct_custody_time(WHEN), -1), 1);
	assert_int_equal(ct_trust_check(t, kb, "bob", NS, ct_custody_time(WHEN), -1), 1);
	ct_trust_free(t);
	free(text);
}

/* OpenSSH matches nothing when one pattern of a list is 1023 bytes or more. */
static void
test_pattern_limit(void **state)
{
	char *fmt = malloc(2048);
	size_t k;

	(void)state;
	assert_non_null(fmt);
	for (k = 1021; k <= 1024; k++) {
		memset(fmt, 'z', k);
		sprintf(fmt + k, ",alice %%A\n");
		assert_int_equal(verdict(fmt, ka, "alice"), k < 1023 ? 1 : 0);
	}
	free(fmt);
}

/* A pattern that makes a naive matcher backtrack for ages. */
static void
test_pattern_no_blowup(void **state)
{
	char examiner[200];
	time_t t0 = time(NULL);

	(void)state;
	memset(examiner, 'a', sizeof(examiner) - 1);
	examiner[sizeof(examiner) - 1] = '\0';
	assert_int_equal(verdict("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b %A\n", ka, examiner), 0);
	assert_int_equal(verdict("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a* %A\n", ka, examiner), 1);
	assert_true(time(NULL) - t0 < 3);
}

static void
test_nul_cr_quotes(void **state)
{
	struct ct_trust *t;
	char *both = malloc(strlen(la) + strlen(lb) + 64);
	size_t n;

	(void)state;
	/* a NUL ends the line for ssh-keygen: "bob KEY" after it is no entry */
	assert_non_null(both);
	n = (size_t)sprintf(both, "alice %s", la);
	both[n++] = '\0';
	n += (size_t)sprintf(both + n, " bob %s\n", lb);
	assert_int_equal(load(both, n, &t), 0);
	assert_int_equal(ct_trust_check(t, kb, "bob", NS, ct_custody_time(WHEN), -1), 0);
	assert_int_equal(ct_trust_check(t, ka, "alice", NS, ct_custody_time(WHEN), -1), 1);
	ct_trust_free(t);
	free(both);
	/* CR separates the principals from the key */
	assert_int_equal(verdict("alice\r%A\n", ka, "alice"), 1);
	/* a quoted principal list may hold blanks; the quotes go */
	assert_int_equal(verdict("\"alice bob\" %A\n", ka, "alice"), 0);
	assert_int_equal(verdict("\"alice bob\" %A\n", ka, "alice bob"), 1);
	assert_int_equal(verdict("al\"ice,b\"ob %A\n", ka, "alice,b"), -1);	/* "ob" is an option */
	assert_int_equal(verdict("\"alice\"%A\n", ka, "alice"), 1);
	assert_int_equal(verdict("\"alice %A\n", ka, "alice"), -1);	/* unterminated */
}

static void
test_options(void **state)
{
	(void)state;
	assert_int_equal(verdict("alice namespaces=\"" NS "\" %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("alice namespaces=\"file,git\" %A\n", ka, "alice"), 0);
	assert_int_equal(verdict("alice NAMESPACES=\"cardtrail-*\" %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("alice namespaces=\"!cardtrail-custody,*\" %A\n", ka, "alice"), 0);
	assert_int_equal(verdict("alice namespaces=\"a b," NS "\" %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("alice namespaces=\"x\\\"y," NS "\" %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("alice valid-after=\"20261121\" %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("alice valid-after=\"20261121140212Z\" %A\n", ka, "alice"), 0);
	assert_int_equal(verdict("alice valid-after=\"20261121140211Z\" %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("alice valid-before=\"20261121140211UTC\" %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("alice valid-before=\"202611211402\" %A\n", ka, "alice"), 0);
	assert_int_equal(verdict("alice valid-after=\"20260101\",valid-before=\"20270101\" %A\n", ka,
				 "alice"), 1);
	assert_int_equal(verdict("alice ,namespaces=\"" NS "\" %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("alice cert-authority %A\n", ka, "alice"), 0);	/* a CA, not a signer */
	/* lines that ssh-keygen skips, so a good line after them still counts */
	assert_int_equal(verdict("alice namespaces=\"" NS "\", %A\nalice %A\n", ka, "alice"), 1);
	assert_int_equal(verdict("alice foo %A\n", ka, "alice"), -1);
	assert_int_equal(verdict("alice namespaces=" NS " %A\n", ka, "alice"), -1);
	assert_int_equal(verdict("alice namespaces=\"a\",namespaces=\"b\" %A\n", ka, "alice"), -1);
	assert_int_equal(verdict("alice valid-before=\"2030010a\" %A\n", ka, "alice"), -1);
	assert_int_equal(verdict("alice valid-before=\"19700101000000Z\" %A\n", ka, "alice"), -1);
	assert_int_equal(verdict("alice valid-after=\"20270101\",valid-before=\"20260101\" %A\n", ka,
				 "alice"), -1);
	assert_int_equal(verdict("alice cert-authorityx %A\n", ka, "alice"), -1);
	assert_int_equal(verdict("alice namespaces=\"x y %A\n", ka, "alice"), -1);
}

static void
test_time_needs_a_time(void **state)
{
	struct ct_trust *t;
	char *text = text_of("alice valid-before=\"20300101\" %A\n");

	(void)state;
	assert_int_equal(load(text, strlen(text), &t), 0);
	assert_int_equal(ct_trust_check(t, ka, "alice", NS, ct_custody_time(WHEN), -1), 1);
	assert_int_equal(ct_trust_check(t, ka, "alice", NS, ct_custody_time(NULL), -1), 0);
	assert_int_equal(ct_trust_check(t, ka, "alice", NS, ct_custody_time("yesterday"), -1), 0);
	ct_trust_free(t);
	free(text);
}

/* F6: a retired key's window is checked at the latest time the records
 * before set, which its holder cannot choose, as well as at the record's
 * own (chosen) time; and one line must allow both. */
static void
test_time_established(void **state)
{
	struct ct_trust *t;
	char *text = text_of("alice valid-before=\"20261101Z\" %A\n"
			     "alice valid-after=\"20261101Z\" %B\n"
			     "bob valid-before=\"20261001Z\" %A\nbob valid-after=\"20261101Z\" %A\n");
	long long oct = ct_custody_time("2026-10-15T09:00:00Z");
	long long nov = ct_custody_time("2026-11-30T16:00:00Z");

	(void)state;
	assert_int_equal(load(text, strlen(text), &t), 0);
	assert_true(oct > 0 && nov > oct);
	assert_int_equal(ct_trust_check(t, ka, "alice", NS, oct, -1), 1);	/* the first record */
	assert_int_equal(ct_trust_check(t, ka, "alice", NS, oct, oct - 60), 1);
	assert_int_equal(ct_trust_check(t, ka, "alice", NS, oct, nov), 0);	/* retired by then */
	assert_int_equal(ct_trust_check(t, kb, "alice", NS, nov, nov), 1);
	assert_int_equal(ct_trust_check(t, kb, "alice", NS, nov, oct), 0);	/* not valid yet */
	/* two lines, each allowing one of the times: neither allows both */
	assert_int_equal(ct_trust_check(t, ka, "bob", NS, nov, oct - 30 * 86400), 0);
	assert_int_equal(ct_trust_check(t, ka, "bob", NS, nov, nov), 1);
	ct_trust_free(t);
	free(text);
}

static void
test_problems_reported(void **state)
{
	struct ct_trust *t;
	char *text = text_of("alice junk\n# fine\nalice ssh-ed25519 AAAAbad\nbob foo %B\nalice %A\n"
			     "carol\n");
	const char *file, *why;
	unsigned long line;

	(void)state;
	assert_int_equal(load(text, strlen(text), &t), 0);
	assert_int_equal(ct_trust_count(t), 1);
	/* "carol" alone on the last line, without its newline */
	ct_trust_free(t);
	free(text);
	text = text_of("alice %A\ncarol");
	assert_int_equal(load(text, strlen(text), &t), 0);
	assert_int_equal(ct_trust_problem(t, 0, &file, &line, &why), 1);
	assert_string_equal(why, "invalid line");
	ct_trust_free(t);
	free(text);
	text = text_of("alice junk\n# fine\nalice ssh-ed25519 AAAAbad\nbob foo %B\nalice %A\n"
		       "carol\n");
	assert_int_equal(load(text, strlen(text), &t), 0);
	assert_int_equal(ct_trust_problem(t, 0, &file, &line, &why), 1);
	assert_int_equal(line, 1);
	assert_string_equal(why, "missing key");
	assert_int_equal(ct_trust_problem(t, 1, &file, &line, &why), 1);
	assert_int_equal(line, 3);
	assert_string_equal(why, "invalid key");
	assert_int_equal(ct_trust_problem(t, 2, &file, &line, &why), 1);
	assert_int_equal(line, 4);
	assert_string_equal(why, "unknown key option");
	assert_int_equal(ct_trust_problem(t, 3, &file, &line, &why), 1);
	assert_int_equal(line, 6);
	assert_string_equal(why, "missing key");
	assert_int_equal(ct_trust_problem(t, 4, &file, &line, &why), 0);
	assert_non_null(strstr(file, "/allowed"));
	ct_trust_free(t);
	free(text);
	/* nothing usable at all: refused, not "trust nobody" */
	assert_int_equal(load("# only comments\n\n", 18, &t), -EINVAL);
	ct_trust_free(t);
}

/* The key text rules of sshkey_read(), and OpenSSH's lenient blob names. */
static void
test_key_text(void **state)
{
	struct ct_wbuf w = { 0 };
	unsigned char pk[32];
	char *b64, line[256];
	struct ct_key *k = NULL;

	(void)state;
	assert_int_equal(ct_key_parse_public(la, &k), 0);	/* nothing after the base64 */
	assert_true(ct_key_equal(k, ka));
	ct_key_free(k);
	k = NULL;
	snprintf(line, sizeof(line), "%s comment", la);
	assert_int_equal(ct_key_parse_public(line, &k), 0);
	assert_true(ct_key_equal(k, ka));
	ct_key_free(k);
	k = NULL;
	assert_int_equal(ct_key_parse_public("ssh-ed25519\n", &k), -EINVAL);
	assert_int_equal(ct_key_parse_public("ED25519 AAAA x", &k), -EINVAL);
	/* a blob naming its type "ED25519" is the same key, canonically */
	memset(pk, 0x11, sizeof(pk));
	ct_wbuf_cstring(&w, "ED25519");
	ct_wbuf_string(&w, pk, 32);
	b64 = ct_b64_encode(w.p, w.len, 0);
	snprintf(line, sizeof(line), "ssh-ed25519 %s c", b64);
	assert_int_equal(ct_key_parse_public(line, &k), 0);
	assert_true(ct_key_equal(k, ka));
	ct_key_free(k);
	k = NULL;
	free(b64);
	ct_wbuf_free(&w);
	/* a blob of a type OpenSSH knows and cardtrail does not check */
	assert_int_equal(ct_key_parse_public("sk-ssh-ed25519@openssh.com AAAA c", &k), -ENOTSUP);
	assert_null(k);
}

static void
expect_b64(const char *s, int ok, const char *want, size_t wantlen)
{
	unsigned char *out = NULL;
	size_t n = 0;
	int ret = ct_b64_decode(s, strlen(s), &out, &n);

	if ((ret == 0) != ok)
		fail_msg("base64 \"%s\": %d, expected %s", s, ret, ok ? "success" : "an error");
	if (ok) {
		assert_int_equal(n, wantlen);
		assert_memory_equal(out, want, wantlen);
	}
	free(out);
}

/* b64_pton's rules, as OpenSSH reads a key's base64. */
static void
test_base64(void **state)
{
	(void)state;
	expect_b64("YWJj", 1, "abc", 3);
	expect_b64("YWI=", 1, "ab", 2);
	expect_b64("YQ==", 1, "a", 1);
	expect_b64("Y W\tI\r=\n", 1, "ab", 2);
	expect_b64("YQ= =", 1, "a", 1);
	expect_b64("YQ==  \n", 1, "a", 1);
	expect_b64("", 1, "", 0);
	expect_b64("YWI", 0, NULL, 0);		/* unpadded partial byte */
	expect_b64("YQ=", 0, NULL, 0);		/* one '=' where two are due */
	expect_b64("YWJj=", 0, NULL, 0);	/* '=' in the first place */
	expect_b64("Y===", 0, NULL, 0);
	expect_b64("YWI=x", 0, NULL, 0);	/* data after the padding */
	expect_b64("YWJ=", 0, NULL, 0);		/* non-zero bits past the end */
	expect_b64("YW-j", 0, NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_pattern_limit),
		cmocka_unit_test(test_pattern_no_blowup),
		cmocka_unit_test(test_nul_cr_quotes),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_time_needs_a_time),
		cmocka_unit_test(test_time_established),
		cmocka_unit_test(test_problems_reported),
		cmocka_unit_test(test_key_text),
		cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
