/*
 * custody_opts.c — the options every appending command shares:
 * --examiner NAME (CARDTRAIL_EXAMINER) and --sign-key FILE
 * (CARDTRAIL_SIGN_KEY); and the trusted keys of the commands that verify
 * (--key, --allowed-signers).
 *
 * --sign-key names an unencrypted Ed25519 private key (cardtrail signs),
 * or a public key, or a passphrase-protected private key: then the
 * ssh-agent at $SSH_AUTH_SOCK signs, as git does with gpg.format=ssh.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cardtrail/custody.h"
#include "cmd/cmd.h"

/* A look at the agent's list answers at once; a signature may wait for an
 * examiner to confirm it (ssh-add -c) or to touch a token.
 * $CARDTRAIL_AGENT_TIMEOUT (seconds, 1 to 3600) sets both. */
#define AGENT_LIST_MS 10000
#define AGENT_SIGN_MS 120000

int
ct_cmd_agent_ms(int def)
{
	static int warned;
	const char *e = getenv("CARDTRAIL_AGENT_TIMEOUT");
	char *end;
	long v;

	if (e == NULL || *e == '\0')
		return def;
	v = strtol(e, &end, 10);
	if (*end != '\0' || v < 1 || v > 3600) {
		if (!warned++)
			ct_warn("CARDTRAIL_AGENT_TIMEOUT='%s' is not a number of seconds from 1 to 3600: "
				"ignored", e);
		return def;
	}
	return (int)v * 1000;
}

static const char *
agent_socket(void)
{
	const char *s = getenv("SSH_AUTH_SOCK");

	return s && *s ? s : NULL;
}

/* What to tell the examiner when the agent cannot sign with key. */
static void
agent_refusal(const char *path, int kind, const struct ct_key *key, const char *sock, int ret)
{
	char fp[80], why[512];

	ct_key_fingerprint(key, fp, sizeof(fp));
	if (sock == NULL && kind == CT_KEYFILE_PUBLIC)
		ct_error(0, "cannot sign with '%s' (%s): it is a public key, and cardtrail then "
			 "asks ssh-agent to sign, but no agent is running (SSH_AUTH_SOCK is not "
			 "set); start one with 'eval \"$(ssh-agent)\"' and add the key with "
			 "'ssh-add PRIVATE-KEY'", path, fp);
	else if (sock == NULL)
		ct_error(0, "cannot sign with '%s' (%s): %s, so cardtrail signs with it through "
			 "ssh-agent, and no agent is running (SSH_AUTH_SOCK is not set); start one "
			 "with 'eval \"$(ssh-agent)\"', then 'ssh-add %s'", path, fp,
			 kind == CT_KEYFILE_ENCRYPTED ? "it is passphrase-protected" :
			 "it is not an Ed25519 key", path);
	else if (ret == 1 && kind == CT_KEYFILE_PUBLIC)
		ct_error(0, "cannot sign with '%s' (%s): the ssh-agent at '%s' does not hold that "
			 "key; add it with 'ssh-add PRIVATE-KEY' ('cardtrail key list' shows what it "
			 "holds; a locked agent shows nothing: 'ssh-add -X' unlocks it)", path, fp, sock);
	else if (ret == 1)
		ct_error(0, "cannot sign with '%s' (%s): %s, so cardtrail signs with it through "
			 "ssh-agent, and the agent at '%s' does not hold it; load it with 'ssh-add "
			 "%s'", path, fp, kind == CT_KEYFILE_ENCRYPTED ? "it is passphrase-protected" :
			 "it is not an Ed25519 key", sock, path);
	else {
		ct_agent_strerror(ret, sock, ct_cmd_agent_ms(AGENT_LIST_MS), why, sizeof(why));
		ct_error(0, "cannot sign with '%s' (%s): %s", path, fp, why);
	}
}

int
ct_cmd_load_sign_key(const char *given, struct ct_key **key)
{
	const char *path = given, *sock = agent_socket();
	struct ct_key *k = NULL;
	int kind = CT_KEYFILE_PUBLIC, ret;

	*key = NULL;
	if (path == NULL || *path == '\0')
		path = getenv("CARDTRAIL_SIGN_KEY");
	if (path == NULL || *path == '\0')
		return 0;
	ret = ct_key_load_file(path, &k, &kind);
	if (ret == -ENOTSUP) {
		ct_error(0, "cannot use signing key '%s': cardtrail signs with ssh-ed25519, ssh-rsa "
			 "(rsa-sha2-512) and ecdsa-sha2-nistp256/384/521 keys, not FIDO (sk-), DSA "
			 "or certificate keys", path);
		return CT_EXIT_FAIL;
	}
	if (ret == -EPROTONOSUPPORT) {
		ct_error(0, "cannot use signing key '%s': not an OpenSSH key file; load it into "
			 "ssh-agent with 'ssh-add %s' and give its public key", path, path);
		return CT_EXIT_FAIL;
	}
	if (ret == -EINVAL) {
		ct_error(0, "cannot use signing key '%s': not an OpenSSH private or public key",
			 path);
		return CT_EXIT_FAIL;
	}
	if (ret < 0) {
		ct_error(-ret, "cannot read signing key '%s'", path);
		return CT_EXIT_FAIL;
	}
	if (kind == CT_KEYFILE_PRIVATE) {
		*key = k;
		return 0;
	}
	ret = sock ? ct_key_use_agent(k, sock, ct_cmd_agent_ms(AGENT_LIST_MS),
				      ct_cmd_agent_ms(AGENT_SIGN_MS)) : 1;
	if (ret != 0) {
		agent_refusal(path, kind, k, sock, ret);
		ct_key_free(k);
		return CT_EXIT_FAIL;
	}
	*key = k;
	return 0;
}

int
ct_cmd_try_sign_key(const struct ct_key *key)
{
	static const char probe[] = "cardtrail: may this key sign the records of the run to come?";
	char *sig = NULL, err[512] = "";

	if (key == NULL || ct_key_agent(key) == NULL)
		return 0;
	if (ct_sshsig_sign(key, "cardtrail-try", probe, sizeof(probe) - 1, &sig, err,
			   sizeof(err)) < 0) {
		ct_error(0, "%s; the key is tried before the source is opened: nothing was read or "
			 "written", err[0] ? err : "cannot sign");
		return CT_EXIT_FAIL;
	}
	free(sig);
	return 0;
}

int
ct_cmd_add_trust(struct ct_trust **t, int pubkey, const char *path)
{
	const char *file, *why;
	unsigned long ln;
	size_t i;
	int line = 0, ret;

	if (*t == NULL && (*t = ct_trust_new()) == NULL) {
		ct_error(ENOMEM, "cannot load keys");
		return CT_EXIT_FAIL;
	}
	ret = pubkey ? ct_trust_add_pubkey_file(*t, path, &line) :
		       ct_trust_add_allowed_signers(*t, path, &line);
	if (ret == -EINVAL && line)
		ct_error(0, "'%s' line %d: not a public key cardtrail can use", path, line);
	else if (ret == -EINVAL)
		ct_error(0, "'%s': no usable key (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp*)", path);
	else if (ret < 0)
		ct_error(-ret, "cannot read '%s'", path);
	if (ret < 0) {
		ct_trust_free(*t);
		*t = NULL;
		return CT_EXIT_FAIL;
	}
	/* ssh-keygen skips these lines too; the examiner should know */
	for (i = 0; ct_trust_problem(*t, i, &file, &ln, &why); i++)
		if (strcmp(file, path) == 0)
			ct_warn("'%s' line %lu: %s; the line is ignored, as ssh-keygen ignores it",
				path, ln, why);
	return 0;
}
