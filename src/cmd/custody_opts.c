/*
 * custody_opts.c — the options every appending command shares:
 * --examiner NAME (CARDTRAIL_EXAMINER) and --sign-key FILE
 * (CARDTRAIL_SIGN_KEY).
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
