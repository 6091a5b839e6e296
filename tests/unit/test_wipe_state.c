/*
 * test_wipe_state.c — the state file of a wipe and its binding to the
 * wipe-start record (src/wipe/state.c): pass fingerprints against an
 * independent computation, plans as JSON and back, and a resume refused
 * for each way a state file can disagree with its record.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/hash.h"
#include "cardtrail/util.h"
#include "wipe/internal.h"

/* SHA-256("keystream" key nonce), key 00..0f, nonce 64..6b; and of
 * "pattern" 92 49 24: computed with Python's hashlib. */
static void
test_fingerprint_vector(void **state)
{
	struct ct_pass_plan ks = { .keystream = 1 }, pat = { .patlen = 3, .pat = { 0x92, 0x49, 0x24 } };
	char f[80];
	int i;

	(void)state;
	for (i = 0; i < 16; i++)
		ks.key[i] = (unsigned char)i;
	for (i = 0; i < 8; i++)
		ks.nonce[i] = (unsigned char)(100 + i);
	wipe_plan_fingerprint(&ks, f);
	assert_string_equal(f, "sha256:75e475f0f63ced537be9cf0440b7c1c145d21a2c04f12c4a51269dee6334528e");
	wipe_plan_fingerprint(&pat, f);
	assert_string_equal(f, "sha256:e165849e6a9d7b2846d77b4da4b21cbc8bd872e95890bde436eadfc8b20d9892");
}

static void
test_plan_json(void **state)
{
	struct ct_pass_plan ks = { .keystream = 1 }, back;
	struct json_object *j;

	(void)state;
	memset(ks.key, 0xab, 16);
	memset(ks.nonce, 0xcd, 8);
	j = wipe_plan_json(&ks);
	assert_int_equal(wipe_plan_from_json(j, &back), 0);
	assert_memory_equal(&back, &ks, sizeof(ks));
	json_object_put(j);
	j = json_tokener_parse("{\"kind\":\"pattern\",\"pattern\":\"9249\"}");
	assert_int_equal(wipe_plan_from_json(j, &back), -EINVAL);	/* 2 bytes: no such pass */
	json_object_put(j);
	j = json_tokener_parse("{\"kind\":\"keystream\",\"key\":\"00\",\"nonce\":\"0000000000000000\"}");
	assert_int_equal(wipe_plan_from_json(j, &back), -EINVAL);
	json_object_put(j);
}

/* ---- binding ---- */

#define KEY "000102030405060708090a0b0c0d0e0f"
#define NONCE "6465666768696a6b"
#define FP1 "sha256:75e475f0f63ced537be9cf0440b7c1c145d21a2c04f12c4a51269dee6334528e"
#define HASH "1111111111111111111111111111111111111111111111111111111111111111"

static char dir[64];

static const char *start_json =
	"{\"action\":\"wipe-start\",\"result\":{\"method\":\"nist-clear\",\"verify_mode\":2,"
	"\"passes\":[{\"fingerprint\":\"" FP1 "\"},{\"fingerprint\":\"sha256:%s\"}],\"probe\":null,"
	"\"device\":{\"size\":8388608,\"loop\":{\"backing_file\":\"/shm/card\"}}}}";

static const char *state_json =
	"{\"start\":{\"seq\":5,\"sha256\":\"" HASH "\"},"
	"\"device\":{\"size\":8388608,\"loop\":{\"backing_file\":\"/shm/card\"}},"
	"\"method\":\"nist-clear\",\"verify\":2,"
	"\"plans\":[{\"kind\":\"keystream\",\"key\":\"" KEY "\",\"nonce\":\"" NONCE "\"},"
	"{\"kind\":\"pattern\",\"pattern\":\"00\"}],"
	"\"pass\":1,\"phase\":\"write\",\"offset\":4100,"
	"\"passes_done\":[{\"pass\":1,\"written\":true,\"verified\":\"match\"}],"
	"\"started\":\"2026-11-30T10:00:00Z\",\"complete\":false}";

/* Load the state file made of state (with edit applied, a jq-less "path =
 * value" done in C by the caller) against the start record. */
static int
load(struct json_object *st, char *err, size_t errlen, struct wipe *out)
{
	struct ct_wipe_opts o = { .device = "/dev/card" };
	struct ct_wipe_result res;
	struct json_object *start;
	struct ct_pass_plan zero = { .patlen = 1 };
	char path[128], fp0[80], js[1024];
	const char *text = json_object_to_json_string(st);
	int fd, ret;

	wipe_plan_fingerprint(&zero, fp0);
	snprintf(js, sizeof(js), start_json, fp0 + 7);
	start = json_tokener_parse(js);
	assert_non_null(start);
	snprintf(path, sizeof(path), "%s/E1.wipe.state", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(ct_pwrite_all(fd, text, strlen(text), 0), 0);
	close(fd);
	memset(out, 0, sizeof(*out));
	memset(&res, 0, sizeof(res));
	out->o = &o;
	out->res = &res;
	out->state_fd = -1;
	out->dev.size = 8388608;
	out->dev.lss = 512;
	snprintf(out->dir, sizeof(out->dir), "%s", dir);
	snprintf(out->base, sizeof(out->base), "E1");
	ret = wipe_state_load(out, start, 5, HASH);
	snprintf(err, errlen, "%s", res.error);
	if (out->state_fd >= 0)
		close(out->state_fd);
	json_object_put(out->state);
	json_object_put(start);
	unlink(path);
	out->o = NULL;
	out->res = NULL;
	return ret;
}

/* set "k" (a top-level member, or "a.b") of a fresh state to v */
static struct json_object *
edit(const char *k, struct json_object *v)
{
	struct json_object *st = json_tokener_parse(state_json), *o = st;
	char key[64], *dot;

	snprintf(key, sizeof(key), "%s", k);
	if ((dot = strchr(key, '.')) != NULL) {
		*dot = '\0';
		o = json_object_object_get(st, key);
		json_object_object_add(o, dot + 1, v);
	} else if (v) {
		json_object_object_add(st, key, v);
	}
	return st;
}

static void
refused(const char *k, struct json_object *v, const char *want)
{
	struct json_object *st = edit(k, v);
	struct wipe w;
	char err[1024];

	assert_int_equal(load(st, err, sizeof(err), &w), -EINVAL);
	if (strstr(err, want) == NULL)
		fail_msg("state with %s changed: '%s', wanted '%s'", k, err, want);
	json_object_put(st);
}

static void
test_bound(void **state)
{
	struct json_object *st = edit("none", NULL);
	struct wipe w;
	char err[1024];

	(void)state;
	assert_int_equal(load(st, err, sizeof(err), &w), 0);
	assert_int_equal(w.first, 1);
	assert_int_equal(w.first_off, 4096);	/* whole sectors */
	assert_int_equal(w.first_skip_write, 0);
	assert_true(w.passes[0].read_earlier && w.passes[0].write_done);
	assert_int_equal(w.passes[1].written_before, 4096);
	assert_true(w.resumed);
	json_object_put(st);
}

static void
test_refused(void **state)
{
	(void)state;
	refused("start.seq", json_object_new_int(4), "is not the state of the wipe started in custody record 5");
	refused("start.sha256", json_object_new_string(HASH "0"), "with another hash");
	refused("method", json_object_new_string("dod3"), "the method or the verify mode is not the one");
	refused("verify", json_object_new_int(0), "the method or the verify mode is not the one");
	refused("device.size", json_object_new_int(4096), "names another device");
	refused("plans", json_tokener_parse("[{\"kind\":\"keystream\",\"key\":"
					    "\"ff0102030405060708090a0b0c0d0e0f\",\"nonce\":\"" NONCE "\"},"
					    "{\"kind\":\"pattern\",\"pattern\":\"00\"}]"),
		"pass 1 is not the pass the wipe started in custody record 5 planned");
	refused("plans", json_tokener_parse("[{\"kind\":\"pattern\",\"pattern\":\"00\"}]"),
		"does not hold the 2 passes");
	refused("probe_plan", json_tokener_parse("{\"kind\":\"keystream\",\"key\":\"" KEY "\",\"nonce\":\""
						 NONCE "\"}"), "the address probe is not the one");
	refused("pass", json_object_new_int(2), "is damaged (pass 3");
	refused("offset", json_object_new_int64(8388608 + 512), "is damaged");
	refused("phase", json_object_new_string("done"), "is damaged");
	refused("complete", json_object_new_boolean(1), "already completed");
}

static void
test_same_device(void **state)
{
	struct json_object *a = json_tokener_parse("{\"size\":1,\"loop\":{\"backing_file\":\"/x\"}}");
	struct json_object *b = json_tokener_parse("{\"size\":1,\"loop\":{\"backing_file\":\"/x\"}}");
	struct json_object *c = json_tokener_parse("{\"size\":1,\"loop\":{\"backing_file\":\"/y\"}}");

	(void)state;
	assert_true(wipe_same_device(a, b));
	assert_false(wipe_same_device(a, c));
	assert_false(wipe_same_device(a, NULL));
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
}

/* A state file marked complete (a wipe whose end could not be recorded)
 * neither resumes nor blocks the next wipe. */
static void
test_unfinished(void **state)
{
	char path[128];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/X.wipe.state", dir);
	assert_int_equal(wipe_state_unfinished(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(ct_pwrite_all(fd, "{\"complete\":false}", 18, 0), 0);
	close(fd);
	assert_int_equal(wipe_state_unfinished(path), 1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(ct_pwrite_all(fd, "{\"complete\":true}", 17, 0), 0);
	close(fd);
	assert_int_equal(wipe_state_unfinished(path), 0);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint_vector),
		cmocka_unit_test(test_plan_json),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_same_device),
		cmocka_unit_test(test_unfinished),
	};
	int ret;

	ct_gcrypt_init();
	snprintf(dir, sizeof(dir), "/tmp/ct-wipe-state.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return ret;
}
