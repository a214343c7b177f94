/*
 * kt-seal: encrypt standard input to standard output as an OpenPGP
 * message, to public keys or with a passphrase.
 *
 * Once sealed, nobody downstream can see inside the stream, so kt-seal
 * checks the end of any input it recognises (tar, gzip, PostgreSQL dump)
 * and, when that end is missing, fails without finishing the message.
 *
 * gpgme finds the keys and says why one cannot be used; gpg itself runs
 * as our child (kt_gpgrun.h), given the fingerprints gpgme found.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kt_check.h"
#include "kt_cleanup.h"
#include "kt_err.h"
#include "kt_gpg.h"
#include "kt_gpgrun.h"
#include "kt_io.h"
#include "kt_secret.h"

#define MAX_KEYS 32

struct options {
	int armor;
	int symmetric;
	int sign;
	int no_compress;
	const char *homedir;
	const char *recipients[MAX_KEYS];
	int nrecipients;
	const char *signer;
	struct kt_secret_source pass_src;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: kt-seal [-aqv] [--homedir dir] -r recipient ... "
	    "[-s [-u signer]]\n"
	    "               [--no-compress] [--passphrase-file file | "
	    "--passphrase-fd n]\n"
	    "       kt-seal --symmetric [-aqv] [--no-compress]\n"
	    "               [--passphrase-file file | --passphrase-fd n]\n");
	exit(status);
}

/* A bare e-mail address matches exactly that address, not every user ID
   that contains it (gpg's "<addr>" form). */
static char *
key_pattern(const char *name)
{
	char *p;

	if (strchr(name, '@') != NULL && strpbrk(name, " <>") == NULL) {
		if (asprintf(&p, "<%s>", name) == -1)
			err(KT_EXIT_FAIL, NULL);
		return p;
	}
	if ((p = strdup(name)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	return p;
}

static const char *
uid_of(gpgme_key_t key)
{
	return key->uids != NULL && key->uids->uid != NULL ?
	    key->uids->uid : "(no user ID)";
}

/* Why KEY cannot be used to encrypt (or sign), or NULL if it can. */
static const char *
unusable(gpgme_key_t key, int for_signing)
{
	gpgme_subkey_t sk;

	if (key->revoked)
		return "is revoked";
	if (key->expired)
		return "is expired";
	if (key->disabled)
		return "is disabled";
	if (key->invalid)
		return "is invalid";
	for (sk = key->subkeys; sk != NULL; sk = sk->next) {
		if (sk->revoked || sk->expired || sk->disabled || sk->invalid)
			continue;
		if (for_signing ? sk->can_sign && sk->secret :
		    sk->can_encrypt)
			return NULL;
	}
	if (for_signing)
		return key->secret ? "has no usable signing key" :
		    "has no secret key here";
	return "has no usable encryption key";
}

/*
 * The one key NAME designates.  Several matches are refused with the
 * candidates listed: encrypting a backup to the wrong person is not a
 * mistake to make silently.
 */
static gpgme_key_t
find_key(gpgme_ctx_t ctx, const char *name, int for_signing,
    const char *homedir)
{
	gpgme_key_t key, found = NULL;
	gpgme_error_t e;
	char *pattern = key_pattern(name);
	const char *why;
	int n = 0;

	e = gpgme_op_keylist_start(ctx, pattern, for_signing);
	while (e == 0 && (e = gpgme_op_keylist_next(ctx, &key)) == 0) {
		if (++n == 1) {
			found = key;
			continue;
		}
		if (n == 2)
			warnx("%s matches more than one key:", name);
		if (n == 2)
			fprintf(stderr, "  %s %s\n", found->fpr,
			    uid_of(found));
		fprintf(stderr, "  %s %s\n", key->fpr, uid_of(key));
		gpgme_key_unref(key);
	}
	free(pattern);
	gpgme_op_keylist_end(ctx);
	if (gpg_err_code(e) != GPG_ERR_EOF)
		errx(KT_EXIT_FAIL, "looking up key %s in %s: %s", name,
		    kt_gpg_homedir(homedir), gpgme_strerror(e));
	if (n == 0)
		errx(KT_EXIT_FAIL, "no %s key for %s in %s",
		    for_signing ? "secret" : "public", name,
		    kt_gpg_homedir(homedir));
	if (n > 1)
		errx(KT_EXIT_FAIL, "%s is ambiguous: name the key by its "
		    "fingerprint", name);
	if ((why = unusable(found, for_signing)) != NULL)
		errx(KT_EXIT_FAIL, "key %s (%s, %s) %s", name, found->fpr,
		    uid_of(found), why);
	kt_verbose("%s %s: %s %s", for_signing ? "signing as" :
	    "encrypting to", name, found->fpr, uid_of(found));
	return found;
}

static void
load_passphrase(const struct options *o, struct kt_secret *pass)
{
	if (!kt_secret_load(pass, &o->pass_src) && o->symmetric &&
	    kt_secret_prompt(pass, "Passphrase for the sealed stream: ", 1)
	    == -1)
		errx(KT_EXIT_USAGE, "--symmetric needs a passphrase and there "
		    "is no terminal to ask: use --passphrase-file or "
		    "--passphrase-fd");
}

/* What gpg's status lines said. */
struct seal_status {
	int ended;			/* END_ENCRYPTION */
	unsigned failure;		/* FAILURE's error code */
	int bad_passphrase;
	char rejected[160];		/* first INV_RECP or INV_SGNR */
};

/* INV_RECP and INV_SGNR reasons, as GnuPG's doc/DETAILS names them. */
static const char *
rejection(unsigned reason)
{
	static const char *const why[] = {
		"no specific reason given", "not found",
		"ambiguous specification", "wrong key usage", "key revoked",
		"key expired", "no CRL known", "CRL too old",
		"policy mismatch", "not a secret key", "key not trusted",
		"missing certificate", "missing issuer certificate",
		"key disabled", "syntax error in specification"
	};

	return reason < sizeof(why) / sizeof(why[0]) ? why[reason] :
	    "unknown reason";
}

static void
seal_status(void *arg, const char *keyword, const char *args)
{
	struct seal_status *st = arg;
	char buf[256], *f[2];
	int n;

	if (strcmp(keyword, "END_ENCRYPTION") == 0)
		st->ended = 1;
	else if (strcmp(keyword, "FAILURE") == 0) {
		if (st->failure == 0 &&
		    kt_gpg_fields(args, buf, sizeof(buf), f, 2) == 2)
			st->failure = kt_gpg_errcode(f[1]);
	} else if (strcmp(keyword, "BAD_PASSPHRASE") == 0)
		st->bad_passphrase = 1;
	else if ((strcmp(keyword, "INV_RECP") == 0 ||
	    strcmp(keyword, "INV_SGNR") == 0) && st->rejected[0] == '\0') {
		n = kt_gpg_fields(args, buf, sizeof(buf), f, 2);
		snprintf(st->rejected, sizeof(st->rejected), "%s %s rejected "
		    "by gpg: %s", keyword[4] == 'R' ? "recipient" : "signer",
		    n == 2 ? f[1] : "?",
		    rejection((unsigned)strtoul(n > 0 ? f[0] : "0", NULL,
		    10)));
	}
}

/* Reports why the operation failed, most specific cause first, and
   exits. */
static void __attribute__((noreturn))
fail(const struct kt_gpg_job *job, const struct seal_status *st,
    struct kt_check *check)
{
	if (job->check_failed)
		errx(KT_EXIT_INTEGRITY, "refusing to seal %s: %s",
		    job->in_name, kt_check_error(check));
	if (job->read_errno != 0) {
		errno = job->read_errno;
		err(KT_EXIT_FAIL, "read from %s", job->in_name);
	}
	if (job->write_errno != 0)
		kt_write_failed(job->write_errno, job->out_name);
	if (st->rejected[0] != '\0')
		errx(KT_EXIT_FAIL, "%s", st->rejected);
	if (st->bad_passphrase || st->failure == GPG_ERR_BAD_PASSPHRASE)
		errx(KT_EXIT_FAIL, "wrong passphrase");
	/* A gpg that was killed, or gave up with a fatal error, says
	   nothing of the end. */
	if (kt_gpg_killed_by_other(job) || (!st->ended && st->failure == 0))
		errx(KT_EXIT_FAIL, "gpg stopped before it finished the "
		    "message: %s", kt_gpg_why(job));
	if (st->failure != 0)
		errx(KT_EXIT_FAIL, "encryption failed: %s",
		    gpg_strerror(st->failure));
	errx(KT_EXIT_FAIL, "encryption failed: %s", kt_gpg_why(job));
}

static void
seal(const struct options *o)
{
	struct kt_secret pass = { NULL, 0 };
	const char *args[2 * MAX_KEYS + 16];
	char *fprs[MAX_KEYS], *signer = NULL;
	struct kt_gpg_job job = { 0 };
	struct seal_status st = { 0 };
	struct kt_check *check;
	gpgme_key_t key;
	gpgme_ctx_t ctx;
	int no_compress, i, n = 0, nfprs = 0;

	load_passphrase(o, &pass);
	/* gpg gets the keys by fingerprint: the very keys found here. */
	ctx = kt_gpg_context(o->homedir);
	for (i = 0; i < o->nrecipients; i++) {
		key = find_key(ctx, o->recipients[i], 0, o->homedir);
		if ((fprs[nfprs++] = strdup(key->fpr)) == NULL)
			err(KT_EXIT_FAIL, NULL);
		gpgme_key_unref(key);
	}
	if (o->signer != NULL) {
		key = find_key(ctx, o->signer, 1, o->homedir);
		if ((signer = strdup(key->fpr)) == NULL)
			err(KT_EXIT_FAIL, NULL);
		gpgme_key_unref(key);
	}
	gpgme_release(ctx);

	if ((check = kt_check_new(KT_CHECK_HASH | KT_CHECK_PLAINTEXT)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	job.homedir = o->homedir;
	job.pass = pass.buf != NULL ? &pass : NULL;
	job.in_fd = STDIN_FILENO;
	job.in_name = "standard input";
	job.check = check;
	job.out_fd = STDOUT_FILENO;
	job.out_name = "standard output";
	job.status = seal_status;
	job.status_arg = &st;
	/* Look at the start first: compressing an already compressed
	   stream again only costs time (gpg's zlib is the slowest stage of
	   the seed's backup by far).  An upstream stage that died before
	   its first byte leaves nothing: a sealed empty stream would look
	   like a good backup. */
	if (kt_gpg_peek(&job, 512) == 0)
		errx(KT_EXIT_INTEGRITY, "refusing to seal %s: it is empty",
		    job.in_name);
	no_compress = o->no_compress || kt_check_format(check) == KT_FMT_GZIP;
	kt_verbose("input: %s%s", kt_check_describe(check),
	    no_compress ? ", not compressed again" : "");

	if (o->armor)
		args[n++] = "--armor";
	if (no_compress) {
		args[n++] = "--compress-algo";
		args[n++] = "none";
	}
	if (o->symmetric)
		args[n++] = "--symmetric";
	else {
		/* The operator imported these keys on purpose: never a
		   question about their trust. */
		args[n++] = "--trust-model";
		args[n++] = "always";
		args[n++] = "--encrypt";
		for (i = 0; i < o->nrecipients; i++) {
			args[n++] = "--recipient";
			args[n++] = fprs[i];
		}
	}
	if (o->sign)
		args[n++] = "--sign";
	if (signer != NULL) {
		args[n++] = "--local-user";
		args[n++] = signer;
	}
	args[n] = NULL;
	job.args = args;

	kt_gpg_run(&job);
	kt_secret_free(&pass);
	if (job.check_failed || job.read_errno != 0 || job.write_errno != 0 ||
	    !st.ended || st.failure != 0 || !kt_gpg_exited_ok(&job))
		fail(&job, &st, check);
	kt_gpg_flush(&job);
	kt_verbose("sealed %lld bytes of %s into %lld bytes",
	    (long long)job.in_total, kt_check_describe(check),
	    (long long)job.out_total);

	while (nfprs > 0)
		free(fprs[--nfprs]);
	free(signer);
	kt_check_free(check);
}

int
main(int argc, char *argv[])
{
	enum { OPT_HOMEDIR = 256, OPT_SYMMETRIC, OPT_NO_COMPRESS,
	    OPT_PASSFILE, OPT_PASSFD };
	static const struct option longopts[] = {
		{ "armor", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "homedir", required_argument, NULL, OPT_HOMEDIR },
		{ "no-compress", no_argument, NULL, OPT_NO_COMPRESS },
		{ "passphrase-fd", required_argument, NULL, OPT_PASSFD },
		{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "recipient", required_argument, NULL, 'r' },
		{ "sign", no_argument, NULL, 's' },
		{ "local-user", required_argument, NULL, 'u' },
		{ "symmetric", no_argument, NULL, OPT_SYMMETRIC },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct options o = { .pass_src = KT_SECRET_SOURCE_NONE };
	int ch;

	kt_init();
	while ((ch = getopt_long(argc, argv, "ahqr:su:v", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'a':
			o.armor = 1;
			break;
		case 'q':
			kt_verbosity = 0;
			break;
		case 'r':
			if (o.nrecipients == MAX_KEYS)
				errx(KT_EXIT_USAGE, "more than %d recipients",
				    MAX_KEYS);
			o.recipients[o.nrecipients++] = optarg;
			break;
		case 's':
			o.sign = 1;
			break;
		case 'u':
			o.signer = optarg;
			break;
		case 'v':
			kt_verbosity = 2;
			break;
		case OPT_HOMEDIR:
			o.homedir = optarg;
			break;
		case OPT_SYMMETRIC:
			o.symmetric = 1;
			break;
		case OPT_NO_COMPRESS:
			o.no_compress = 1;
			break;
		case OPT_PASSFILE:
			o.pass_src.file = optarg;
			break;
		case OPT_PASSFD:
			o.pass_src.fd = kt_secret_parse_fd(optarg);
			break;
		case 'h':
			usage(KT_EXIT_OK);
		default:
			usage(KT_EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(KT_EXIT_USAGE);
	if (o.symmetric && (o.nrecipients > 0 || o.sign))
		errx(KT_EXIT_USAGE, "--symmetric takes no -r, -s or -u");
	if (!o.symmetric && o.nrecipients == 0)
		errx(KT_EXIT_USAGE, "no recipient: give -r recipient, or "
		    "--symmetric");
	if (o.signer != NULL && !o.sign)
		errx(KT_EXIT_USAGE, "-u needs -s");
	kt_secret_source_check(&o.pass_src);
	if (isatty(STDOUT_FILENO) && !o.armor)
		errx(KT_EXIT_USAGE, "refusing to write a binary message to a "
		    "terminal: redirect standard output or use -a");

	seal(&o);
	kt_close_stdout_or_die();
	return KT_EXIT_OK;
}
