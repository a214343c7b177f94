/*
 * kt-unseal: decrypt an OpenPGP message from standard input.
 *
 * gpg writes plaintext before it knows whether the message is intact; a
 * cut or tampered backup would be half restored before the error shows.
 * kt-unseal therefore holds the plaintext in an unlinked 0600 file (or in
 * the temporary file of -o) and releases it only once decryption, the
 * integrity check and any required signature have all succeeded.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kt_atomic.h"
#include "kt_check.h"
#include "kt_cleanup.h"
#include "kt_err.h"
#include "kt_gpg.h"
#include "kt_io.h"
#include "kt_secret.h"
#include "kt_spool.h"

#define MAX_SIGNERS 16

struct options {
	const char *homedir;
	const char *passphrase_file;
	int passphrase_fd;
	char *signers[MAX_SIGNERS];	/* normalised fingerprints */
	int nsigners;
	const char *output;
	int stream;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: kt-unseal [-qv] [--homedir dir] [--passphrase-file file | "
	    "--passphrase-fd n]\n"
	    "                 [--require-signer fpr ...] "
	    "[-o file | --stream]\n");
	exit(status);
}

/* FPR without spaces, upper case; a usage error unless it is a full v4
   (40 hex digits) or v5 (64) fingerprint: a short key id is too easy to
   forge to stand for an identity. */
static char *
normalise_fpr(const char *arg)
{
	char *fpr, *p;
	size_t n = 0;

	if ((fpr = malloc(strlen(arg) + 1)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	for (p = (char *)arg; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if (!isxdigit((unsigned char)*p))
			errx(KT_EXIT_USAGE, "--require-signer %s: not a "
			    "fingerprint", arg);
		fpr[n++] = (char)toupper((unsigned char)*p);
	}
	fpr[n] = '\0';
	if (n != 40 && n != 64)
		errx(KT_EXIT_USAGE, "--require-signer %s: give the full "
		    "fingerprint (40 or 64 hex digits)", arg);
	return fpr;
}

/* Is KEY (its primary key or any subkey) one of the required signers? */
static int
key_is_required(const struct options *o, gpgme_key_t key)
{
	gpgme_subkey_t sk;
	int i;

	for (i = 0; i < o->nsigners; i++) {
		if (strcasecmp(key->fpr, o->signers[i]) == 0)
			return 1;
		for (sk = key->subkeys; sk != NULL; sk = sk->next)
			if (sk->fpr != NULL &&
			    strcasecmp(sk->fpr, o->signers[i]) == 0)
				return 1;
	}
	return 0;
}

/*
 * With --require-signer: every signature must be good, and at least one
 * must come from a listed key that is not revoked.
 */
static void
check_signatures(const struct options *o, gpgme_ctx_t ctx)
{
	gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
	gpgme_signature_t sig;
	gpgme_key_t key;
	const char *foreign = NULL;
	int good = 0;

	if (o->nsigners == 0)
		return;
	if (vr == NULL || vr->signatures == NULL)
		errx(KT_EXIT_INTEGRITY, "message is not signed (a signature "
		    "by %s is required)", o->signers[0]);
	for (sig = vr->signatures; sig != NULL; sig = sig->next) {
		if (gpg_err_code(sig->status) == GPG_ERR_NO_PUBKEY)
			errx(KT_EXIT_INTEGRITY, "signed by unknown key %s "
			    "(no public key in %s)", sig->fpr,
			    kt_gpg_homedir(o->homedir));
		if (sig->status != 0 && gpg_err_code(sig->status) !=
		    GPG_ERR_KEY_EXPIRED)
			errx(KT_EXIT_INTEGRITY, "bad signature by %s: %s",
			    sig->fpr, kt_gpg_strerror(sig->status));
		if (sig->summary & GPGME_SIGSUM_KEY_REVOKED)
			errx(KT_EXIT_INTEGRITY, "signed by revoked key %s",
			    sig->fpr);
		if (gpgme_get_key(ctx, sig->fpr, &key, 0) != 0) {
			foreign = sig->fpr;
			continue;
		}
		if (key_is_required(o, key)) {
			good = 1;
			kt_verbose("good signature by %s", key->fpr);
		} else
			foreign = sig->fpr;
		gpgme_key_unref(key);
	}
	if (!good)
		errx(KT_EXIT_INTEGRITY, "signed by %s, not by a required "
		    "signer (%s)", foreign, o->signers[0]);
}

/* Ciphers gpg still decrypts but a backup made today would never use. */
static void
check_algorithms(gpgme_decrypt_result_t dr)
{
	static const char *legacy[] = { "IDEA", "3DES", "CAST5", "BLOWFISH",
	    NULL };
	int i;

	if (dr == NULL)
		return;
	if (dr->legacy_cipher_nomdc)
		errx(KT_EXIT_INTEGRITY, "message has no integrity protection "
		    "(no MDC): refusing it");
	if (dr->symkey_algo == NULL)
		return;
	for (i = 0; legacy[i] != NULL; i++)
		if (strncasecmp(dr->symkey_algo, legacy[i],
		    strlen(legacy[i])) == 0 &&
		    dr->symkey_algo[strlen(legacy[i])] == '.')
			errx(KT_EXIT_INTEGRITY, "message is encrypted with the "
			    "legacy cipher %s: refusing it", legacy[i]);
}

/* The key ids a message was encrypted to, for "no secret key". */
static void
list_recipients(gpgme_decrypt_result_t dr)
{
	gpgme_recipient_t r;

	if (dr == NULL)
		return;
	for (r = dr->recipients; r != NULL; r = r->next)
		fprintf(stderr, "  encrypted to %s key %s\n",
		    gpgme_pubkey_algo_name(r->pubkey_algo) ?
		    gpgme_pubkey_algo_name(r->pubkey_algo) : "?", r->keyid);
}

/* Reports why decryption failed, most specific cause first, and exits. */
static void __attribute__((noreturn))
fail(const struct options *o, gpgme_ctx_t ctx, gpgme_error_t e,
    const struct kt_gpg_source *src, const struct kt_gpg_sink *sink,
    struct kt_check *check)
{
	gpgme_decrypt_result_t dr = gpgme_op_decrypt_result(ctx);
	const char *why;

	if (src->check_failed)
		errx(KT_EXIT_INTEGRITY, "%s is not a complete OpenPGP "
		    "message: %s", src->name, kt_check_error(check));
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
	check_algorithms(dr);
	/* gpg 2.2 refuses a message without MDC before gpgme can tell us
	   why; the packet walk saw it. */
	if (kt_check_nomdc(check))
		errx(KT_EXIT_INTEGRITY, "message has no integrity protection "
		    "(no MDC): refusing it");
	switch (gpg_err_code(e)) {
	case GPG_ERR_NO_SECKEY:
		warnx("no secret key in %s for this message",
		    kt_gpg_homedir(o->homedir));
		list_recipients(dr);
		exit(KT_EXIT_FAIL);
	case GPG_ERR_BAD_PASSPHRASE:
		errx(KT_EXIT_FAIL, "wrong passphrase");
	case GPG_ERR_NO_PASSPHRASE:
		errx(KT_EXIT_FAIL, "no passphrase given");
	case GPG_ERR_BAD_KEY:
		/* A symmetric message whose session key does not decrypt:
		   that is what a wrong passphrase looks like there. */
		errx(KT_EXIT_FAIL, "wrong passphrase (bad session key)");
	case GPG_ERR_CIPHER_ALGO:
	case GPG_ERR_PUBKEY_ALGO:
	case GPG_ERR_DIGEST_ALGO:
	case GPG_ERR_UNSUPPORTED_ALGORITHM:
		errx(KT_EXIT_FAIL, "unsupported algorithm%s%s: %s",
		    dr && dr->unsupported_algorithm ? " " : "",
		    dr && dr->unsupported_algorithm ?
		    dr->unsupported_algorithm : "", kt_gpg_strerror(e));
	case GPG_ERR_UNFINISHED:
		/* gpg gives up on some damage (a broken zlib stream) with a
		   fatal error and no status line, just as if killed. */
		if ((why = kt_gpg_last_words(ctx)) != NULL)
			errx(KT_EXIT_INTEGRITY, "gpg stopped before the end of "
			    "the message: %s", why);
		errx(KT_EXIT_INTEGRITY, "gpg stopped before the end of the "
		    "message (the message is damaged, or gpg was killed)");
	case GPG_ERR_DECRYPT_FAILED:
		errx(KT_EXIT_INTEGRITY, "integrity check failed: the message "
		    "was modified or cut (%s)", kt_gpg_strerror(e));
	case GPG_ERR_NO_DATA:
		switch (kt_check_format(check)) {
		case KT_FMT_OPENPGP:
		case KT_FMT_OPENPGP_ARMOR:
			errx(KT_EXIT_INTEGRITY, "message is corrupt: gpg "
			    "found no data in it");
		case KT_FMT_EMPTY:
			errx(KT_EXIT_FAIL, "%s is empty", src->name);
		default:
			errx(KT_EXIT_FAIL, "%s is not an OpenPGP message",
			    src->name);
		}
	default:
		errx(KT_EXIT_FAIL, "decryption failed: %s",
		    kt_gpg_strerror(e));
	}
}

static void
load_passphrase(const struct options *o, struct kt_secret *pass)
{
	if (o->passphrase_file != NULL)
		kt_secret_from_file(pass, o->passphrase_file);
	else if (o->passphrase_fd != -1)
		kt_secret_from_fd(pass, o->passphrase_fd);
}

static void
unseal(const struct options *o)
{
	struct kt_secret pass = { NULL, 0 };
	struct kt_gpg_source src = { 0 };
	struct kt_gpg_sink sink = { 0 };
	struct kt_gpg_loop loop;
	struct kt_atomic out_file;
	struct kt_check *check;
	gpgme_data_t in, out;
	gpgme_error_t e;
	gpgme_ctx_t ctx;

	load_passphrase(o, &pass);
	ctx = kt_gpg_context(o->homedir, pass.buf != NULL ? &pass : NULL);

	if (o->stream) {
		sink.fd = STDOUT_FILENO;
		sink.name = "standard output";
	} else if (o->output != NULL) {
		if (kt_atomic_open_for(&out_file, o->output) == -1)
			err(KT_EXIT_FAIL, "%s", o->output);
		sink.fd = out_file.fd;
		sink.name = o->output;
	} else {
		if ((sink.fd = kt_spool_open()) == -1)
			err(KT_EXIT_FAIL, "temporary file for the plaintext");
		sink.name = "the temporary plaintext file";
	}
	/* The structure check catches a message cut at a packet boundary
	   before gpg reports something vaguer. */
	if ((check = kt_check_new(0)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	src.fd = STDIN_FILENO;
	src.name = "standard input";
	src.check = check;

	in = kt_gpg_source_data(&src);
	out = kt_gpg_sink_data(&sink);
	kt_gpg_loop_begin(ctx, &loop, "DECRYPTION_OKAY", "END_DECRYPTION");
	e = kt_gpg_loop_wait(ctx, &loop,
	    gpgme_op_decrypt_verify_start(ctx, in, out));
	kt_secret_free(&pass);
	if (e != 0 || src.check_failed || src.read_errno != 0 ||
	    sink.write_errno != 0)
		fail(o, ctx, e, &src, &sink, check);
	check_algorithms(gpgme_op_decrypt_result(ctx));
	check_signatures(o, ctx);
	kt_gpg_sink_flush(&sink);
	kt_verbose("decrypted %lld bytes into %lld bytes of plaintext",
	    (long long)src.total, (long long)sink.total);

	/* Everything checked out: release the plaintext. */
	if (o->output != NULL && !o->stream) {
		if (kt_atomic_commit(&out_file, o->output, 0) == -1)
			err(KT_EXIT_FAIL, "%s", o->output);
	} else if (!o->stream) {
		if (lseek(sink.fd, 0, SEEK_SET) == -1)
			err(KT_EXIT_FAIL, "rewind %s", sink.name);
		kt_copy_or_die(sink.fd, sink.name, STDOUT_FILENO,
		    "standard output");
		close(sink.fd);
	}
	gpgme_data_release(in);
	gpgme_data_release(out);
	gpgme_release(ctx);
	kt_check_free(check);
}

int
main(int argc, char *argv[])
{
	enum { OPT_HOMEDIR = 256, OPT_PASSFILE, OPT_PASSFD, OPT_SIGNER,
	    OPT_STREAM };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "homedir", required_argument, NULL, OPT_HOMEDIR },
		{ "output", required_argument, NULL, 'o' },
		{ "passphrase-fd", required_argument, NULL, OPT_PASSFD },
		{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "require-signer", required_argument, NULL, OPT_SIGNER },
		{ "stream", no_argument, NULL, OPT_STREAM },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct options o = { .passphrase_fd = -1 };
	int ch;

	kt_init();
	while ((ch = getopt_long(argc, argv, "ho:qv", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'o':
			o.output = optarg;
			break;
		case 'q':
			kt_verbosity = 0;
			break;
		case 'v':
			kt_verbosity = 2;
			break;
		case OPT_HOMEDIR:
			o.homedir = optarg;
			break;
		case OPT_PASSFILE:
			o.passphrase_file = optarg;
			break;
		case OPT_PASSFD:
			o.passphrase_fd = kt_secret_parse_fd(optarg);
			break;
		case OPT_SIGNER:
			if (o.nsigners == MAX_SIGNERS)
				errx(KT_EXIT_USAGE, "more than %d signers",
				    MAX_SIGNERS);
			o.signers[o.nsigners++] = normalise_fpr(optarg);
			break;
		case OPT_STREAM:
			o.stream = 1;
			break;
		case 'h':
			usage(KT_EXIT_OK);
		default:
			usage(KT_EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(KT_EXIT_USAGE);
	if (o.output != NULL && o.stream)
		errx(KT_EXIT_USAGE, "-o and --stream exclude each other");
	if (o.passphrase_file != NULL && o.passphrase_fd != -1)
		errx(KT_EXIT_USAGE, "--passphrase-file and --passphrase-fd "
		    "exclude each other");

	unseal(&o);
	while (o.nsigners > 0)
		free(o.signers[--o.nsigners]);
	if (o.output == NULL)
		kt_close_stdout_or_die();
	return KT_EXIT_OK;
}
