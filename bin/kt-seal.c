/*
 * kt-seal: encrypt standard input to standard output as an OpenPGP
 * message, to public keys or with a passphrase.
 *
 * Once sealed, nobody downstream can see inside the stream, so kt-seal
 * checks the end of any input it recognises (tar, gzip, PostgreSQL dump)
 * and, when that end is missing, fails without finishing the message.
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
	const char *passphrase_file;
	int passphrase_fd;
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
		    kt_gpg_homedir(homedir), kt_gpg_strerror(e));
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
	if (o->passphrase_file != NULL)
		kt_secret_from_file(pass, o->passphrase_file);
	else if (o->passphrase_fd != -1)
		kt_secret_from_fd(pass, o->passphrase_fd);
	else if (o->symmetric &&
	    kt_secret_prompt(pass, "Passphrase for the sealed stream: ", 1)
	    == -1)
		errx(KT_EXIT_USAGE, "--symmetric needs a passphrase and there "
		    "is no terminal to ask: use --passphrase-file or "
		    "--passphrase-fd");
}

/* Reports why the operation failed, most specific cause first, and
   exits. */
static void __attribute__((noreturn))
fail(gpgme_ctx_t ctx, gpgme_error_t e, const struct kt_gpg_source *src,
    const struct kt_gpg_sink *sink, struct kt_check *check)
{
	gpgme_encrypt_result_t er;
	gpgme_sign_result_t sr;

	if (src->check_failed)
		errx(KT_EXIT_INTEGRITY, "refusing to seal %s: %s", src->name,
		    kt_check_error(check));
	if (src->read_errno != 0) {
		errno = src->read_errno;
		err(KT_EXIT_FAIL, "read from %s", src->name);
	}
	if (sink->write_errno == EPIPE)
		exit(KT_EXIT_FAIL);
	if (sink->write_errno != 0) {
		errno = sink->write_errno;
		err(KT_EXIT_FAIL, "write to %s", sink->name);
	}
	if ((er = gpgme_op_encrypt_result(ctx)) != NULL &&
	    er->invalid_recipients != NULL)
		errx(KT_EXIT_FAIL, "recipient %s rejected by gpg: %s",
		    er->invalid_recipients->fpr,
		    kt_gpg_strerror(er->invalid_recipients->reason));
	if ((sr = gpgme_op_sign_result(ctx)) != NULL &&
	    sr->invalid_signers != NULL)
		errx(KT_EXIT_FAIL, "signer %s rejected by gpg: %s",
		    sr->invalid_signers->fpr,
		    kt_gpg_strerror(sr->invalid_signers->reason));
	if (gpg_err_code(e) == GPG_ERR_BAD_PASSPHRASE)
		errx(KT_EXIT_FAIL, "wrong passphrase");
	if (gpg_err_code(e) == GPG_ERR_UNFINISHED)
		errx(KT_EXIT_FAIL, "gpg stopped before it finished the "
		    "message: %s", kt_gpg_last_words(ctx) != NULL ?
		    kt_gpg_last_words(ctx) : "killed?");
	errx(KT_EXIT_FAIL, "encryption failed: %s", kt_gpg_strerror(e));
}

static void
seal(const struct options *o)
{
	static unsigned char head[512];
	struct kt_secret pass = { NULL, 0 };
	gpgme_key_t keys[MAX_KEYS + 1];
	struct kt_gpg_source src = { 0 };
	struct kt_gpg_sink sink = { 0 };
	struct kt_gpg_loop loop;
	struct kt_check *check;
	gpgme_encrypt_flags_t flags = GPGME_ENCRYPT_ALWAYS_TRUST;
	gpgme_data_t in, out;
	gpgme_error_t e;
	gpgme_ctx_t ctx;
	int i;

	load_passphrase(o, &pass);
	ctx = kt_gpg_context(o->homedir, pass.buf != NULL ? &pass : NULL);
	gpgme_set_armor(ctx, o->armor);
	for (i = 0; i < o->nrecipients; i++)
		keys[i] = find_key(ctx, o->recipients[i], 0, o->homedir);
	keys[i] = NULL;
	if (o->sign) {
		gpgme_key_t signer = NULL;

		if (o->signer != NULL)
			signer = find_key(ctx, o->signer, 1, o->homedir);
		if (signer != NULL && (e = gpgme_signers_add(ctx, signer)))
			errx(KT_EXIT_FAIL, "signer %s: %s", o->signer,
			    kt_gpg_strerror(e));
		/* The context holds its own reference now. */
		if (signer != NULL)
			gpgme_key_unref(signer);
	}

	if ((check = kt_check_new(KT_CHECK_HASH | KT_CHECK_PLAINTEXT)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	src.fd = STDIN_FILENO;
	src.name = "standard input";
	src.check = check;
	sink.fd = STDOUT_FILENO;
	sink.name = "standard output";
	/* Look at the start first: compressing an already compressed
	   stream again only costs time (gpg's zlib is the
	   slowest stage of the seed's backup by far). */
	kt_gpg_source_peek(&src, head, sizeof(head));
	/* An upstream stage that died before its first byte leaves nothing:
	   a sealed empty stream would look like a good backup. */
	if (src.prelen == 0)
		errx(KT_EXIT_INTEGRITY, "refusing to seal %s: it is empty",
		    src.name);
	if (o->no_compress || kt_check_format(check) == KT_FMT_GZIP)
		flags |= GPGME_ENCRYPT_NO_COMPRESS;
	if (o->symmetric)
		flags |= GPGME_ENCRYPT_SYMMETRIC;
	kt_verbose("input: %s%s", kt_check_describe(check),
	    flags & GPGME_ENCRYPT_NO_COMPRESS ? ", not compressed again" : "");

	in = kt_gpg_source_data(&src);
	out = kt_gpg_sink_data(&sink);
	kt_gpg_loop_begin(ctx, &loop, "END_ENCRYPTION", NULL);
	if (o->sign)
		e = gpgme_op_encrypt_sign_start(ctx, o->symmetric ? NULL :
		    keys, flags, in, out);
	else
		e = gpgme_op_encrypt_start(ctx, o->symmetric ? NULL : keys,
		    flags, in, out);
	e = kt_gpg_loop_wait(ctx, &loop, e);
	kt_secret_free(&pass);
	if (e != 0 || src.check_failed || src.read_errno != 0 ||
	    sink.write_errno != 0)
		fail(ctx, e, &src, &sink, check);
	kt_gpg_sink_flush(&sink);
	kt_verbose("sealed %lld bytes of %s into %lld bytes",
	    (long long)src.total, kt_check_describe(check),
	    (long long)sink.total);

	gpgme_data_release(in);
	gpgme_data_release(out);
	for (i = 0; keys[i] != NULL; i++)
		gpgme_key_unref(keys[i]);
	gpgme_release(ctx);
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
	struct options o = { .passphrase_fd = -1 };
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
			o.passphrase_file = optarg;
			break;
		case OPT_PASSFD:
			o.passphrase_fd = kt_secret_parse_fd(optarg);
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
	if (o.passphrase_file != NULL && o.passphrase_fd != -1)
		errx(KT_EXIT_USAGE, "--passphrase-file and --passphrase-fd "
		    "exclude each other");
	if (isatty(STDOUT_FILENO) && !o.armor)
		errx(KT_EXIT_USAGE, "refusing to write a binary message to a "
		    "terminal: redirect standard output or use -a");

	seal(&o);
	kt_close_stdout_or_die();
	return KT_EXIT_OK;
}
