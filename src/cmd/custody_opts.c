/*
 * custody_opts.c — the options every appending command shares:
 * --examiner NAME (CARDTRAIL_EXAMINER) and --sign-key FILE
 * (CARDTRAIL_SIGN_KEY); and the trusted keys of the commands that verify
 * (--key, --allowed-signers).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cardtrail/custody.h"
#include "cmd/cmd.h"

int
ct_cmd_load_sign_key(const char *given, struct ct_key **key)
{
	const char *path = given;
	int ret;

	*key = NULL;
	if (path == NULL || *path == '\0')
		path = getenv("CARDTRAIL_SIGN_KEY");
	if (path == NULL || *path == '\0')
		return 0;
	ret = ct_key_load_private(path, key);
	if (ret == -ENOTSUP)
		ct_error(0, "cannot use signing key '%s': it is passphrase-protected (cardtrail "
			 "needs an unencrypted key; keep it on removable media)", path);
	else if (ret == -EINVAL)
		ct_error(0, "cannot use signing key '%s': not an OpenSSH Ed25519 private key", path);
	else if (ret < 0)
		ct_error(-ret, "cannot read signing key '%s'", path);
	return ret < 0 ? CT_EXIT_FAIL : 0;
}

int
ct_cmd_trust_option(int allowed_signers, const char *arg, struct ct_trust **trust)
{
	int ret, line = 0;

	if (*trust == NULL && (*trust = ct_trust_new()) == NULL) {
		ct_error(ENOMEM, "cannot load keys");
		return CT_EXIT_FAIL;
	}
	ret = allowed_signers ? ct_trust_add_allowed_signers(*trust, arg, &line) :
				ct_trust_add_pubkey_file(*trust, arg, &line);
	if (ret == 0)
		return 0;
	if (ret == -ENOTSUP)
		ct_error(0, "'%s' line %d: key options (namespaces=, valid-before=, cert-authority, "
			 "...) and negated principals are not supported: refusing rather than "
			 "trusting the key more widely", arg, line);
	else if (ret == -EINVAL && line)
		ct_error(0, "'%s': no usable ssh-ed25519 key at line %d", arg, line);
	else if (ret == -EINVAL)
		ct_error(0, "'%s': no usable ssh-ed25519 key", arg);
	else
		ct_error(-ret, "cannot read '%s'", arg);
	return CT_EXIT_FAIL;
}
