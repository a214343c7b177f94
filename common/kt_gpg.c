#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_err.h"
#include "kt_gpg.h"

static void
init_gpgme(void)
{
	static int done;
	gpgme_error_t e;

	if (done++)
		return;
	if (gpgme_check_version("1.13.0") == NULL)
		errx(KT_EXIT_FAIL, "gpgme is older than 1.13.0");
	gpgme_set_locale(NULL, LC_CTYPE, setlocale(LC_CTYPE, NULL));
	if ((e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)) != 0)
		errx(KT_EXIT_FAIL, "gpg is not usable: %s", gpgme_strerror(e));
}

/* "2.2.40" as 2002040, for comparisons. */
static unsigned long
version_number(const char *v)
{
	unsigned long major = 0, minor = 0, micro = 0;

	(void)sscanf(v, "%lu.%lu.%lu", &major, &minor, &micro);
	return major * 1000000 + minor * 1000 + micro;
}

const char *
kt_gpg_program(void)
{
	gpgme_engine_info_t info;
	gpgme_error_t e;

	init_gpgme();
	if ((e = gpgme_get_engine_info(&info)) != 0)
		errx(KT_EXIT_FAIL, "gpg is not usable: %s", gpgme_strerror(e));
	for (; info != NULL; info = info->next) {
		if (info->protocol != GPGME_PROTOCOL_OpenPGP)
			continue;
		if (info->file_name == NULL || info->version == NULL)
			break;
		if (version_number(info->version) <
		    version_number(KT_GPG_MIN_VERSION))
			errx(KT_EXIT_FAIL, "%s is version %s; %s or later is "
			    "needed", info->file_name, info->version,
			    KT_GPG_MIN_VERSION);
		return info->file_name;
	}
	errx(KT_EXIT_FAIL, "gpg not found: install the Debian package gnupg");
}

const char *
kt_gpg_homedir(const char *homedir)
{
	static char buf[4096];
	const char *home;

	if (homedir != NULL)
		return homedir;
	if ((home = getenv("GNUPGHOME")) != NULL && *home != '\0')
		return home;
	snprintf(buf, sizeof(buf), "%s/.gnupg",
	    getenv("HOME") ? getenv("HOME") : "");
	return buf;
}

gpgme_ctx_t
kt_gpg_context(const char *homedir)
{
	gpgme_engine_info_t info;
	gpgme_error_t e;
	gpgme_ctx_t ctx;

	init_gpgme();
	if ((e = gpgme_new(&ctx)) != 0)
		errx(KT_EXIT_FAIL, "gpgme: %s", gpgme_strerror(e));
	if (homedir != NULL) {
		info = gpgme_ctx_get_engine_info(ctx);
		e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP,
		    info->file_name, homedir);
		if (e != 0)
			errx(KT_EXIT_FAIL, "GnuPG home %s: %s", homedir,
			    gpgme_strerror(e));
	}
	/* Looking keys up never asks a key server. */
	gpgme_set_offline(ctx, 1);
	return ctx;
}
