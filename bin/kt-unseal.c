/*
 * kt-unseal: decrypt an OpenPGP message from standard input.
 *
 * gpg writes plaintext before it knows whether the message is intact; a
 * cut or tampered backup would be half restored before the error shows.
 * kt-unseal therefore holds the plaintext in an unlinked 0600 file (or in
 * the temporary file of -o) and releases it only once decryption, the
 * integrity check and any required signature have all succeeded.
 *
 * gpg runs as our child (kt_gpgrun.h) and writes the held plaintext
 * itself; its status lines say what it found, its exit status whether it
 * all went well.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "kt_atomic.h"
#include "kt_check.h"
#include "kt_cleanup.h"
#include "kt_err.h"
#include "kt_gpg.h"
#include "kt_gpgrun.h"
#include "kt_io.h"
#include "kt_secret.h"
#include "kt_spool.h"

#define MAX_SIGNERS 16
#define MAX_RECIPIENTS 16	/* key ids kept for "no secret key" */
#define MAX_SIGNATURES 16	/* more on a backup is not believable */

/* The plaintext held (in TMPDIR or -o's file) is bounded: a message of a
   few KiB can expand to terabytes.  --max-size raises the first bound;
   the second keeps the file system usable by everyone else. */
#define DEFAULT_MAX_SIZE	((off_t)16 << 30)
#define RESERVE_PERCENT		1
#define RESERVE_MAX		((off_t)256 << 20)

/* How far into the input its first packet is looked for: past armor
   headers, never past what gpg would read to find it. */
#define FIRST_PACKET_WITHIN	KT_IO_BUFSIZE

struct options {
	const char *homedir;
	struct kt_secret_source pass_src;
	char *signers[MAX_SIGNERS];	/* normalised fingerprints */
	int nsigners;
	const char *output;
	int stream;
	off_t max_size;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: kt-unseal [-qv] [--homedir dir] [--passphrase-file file | "
	    "--passphrase-fd n]\n"
	    "                 [--require-signer fpr ...] "
	    "[-o file | --stream]\n"
	    "                 [--max-size size]\n");
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

/* SIZE for --max-size: a number of bytes, or of KiB, MiB, GiB or TiB
   with the suffix K, M, G or T. */
static off_t
parse_size(const char *arg)
{
	static const char units[] = "KMGT";
	unsigned long long n;
	const char *u;
	char *end;
	int shift = 0;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (*end != '\0' && end[1] == '\0' &&
	    (u = strchr(units, toupper((unsigned char)*end))) != NULL) {
		shift = 10 * (int)(u - units + 1);
		end++;
	}
	if (!isdigit((unsigned char)*arg) || *end != '\0' || errno != 0 ||
	    n == 0 || n > (unsigned long long)INT64_MAX >> shift)
		errx(KT_EXIT_USAGE, "--max-size %s: not a size (bytes, or a "
		    "number with K, M, G or T)", arg);
	return (off_t)(n << shift);
}

/* SIZE as --max-size takes it: "16G", "1M", "1000". */
static const char *
format_size(off_t size)
{
	static char buf[32];
	static const char units[] = "KMGT";
	int i;

	for (i = 4; i > 0; i--)
		if (size % ((off_t)1 << (10 * i)) == 0)
			break;
	if (i == 0)
		snprintf(buf, sizeof(buf), "%lld bytes", (long long)size);
	else
		snprintf(buf, sizeof(buf), "%lld%c", (long long)(size >>
		    (10 * i)), units[i - 1]);
	return buf;
}

/* What gpg's status lines said.  Signatures only show with
   --require-signer: gpg does not check them otherwise. */
struct unseal_status {
	int okay;			/* DECRYPTION_OKAY */
	int failed;			/* DECRYPTION_FAILED */
	int ended;			/* END_DECRYPTION */
	int finished;			/* any way gpg says it ended */
	int nodata;
	int badmdc;
	int got_key;			/* DECRYPTION_KEY: a session key */
	int no_seckey;
	const char *bad_passphrase;	/* how, or NULL */
	unsigned failure;		/* FAILURE's error code */
	char unsupported[32];		/* an algorithm gpg does not have */
	int info, mdc, cipher, aead;	/* DECRYPTION_INFO */
	struct recipient {
		char keyid[17];
		int algo;
	} to[MAX_RECIPIENTS];
	int nto;
	struct signature {
		char verdict[12];	/* GOODSIG, BADSIG, ERRSIG... */
		unsigned rc;		/* ERRSIG's */
		char id[65];		/* key id or fingerprint named */
		char fpr[65];		/* VALIDSIG: the signing key's */
		char primary[65];	/* VALIDSIG: its primary key's */
	} sigs[MAX_SIGNATURES];
	int nsigs;
	int too_many_sigs;
};

/* A new signature (NEWSIG, or a verdict without one before it). */
static struct signature *
new_signature(struct unseal_status *st)
{
	if (st->nsigs == MAX_SIGNATURES) {
		st->too_many_sigs = 1;
		return NULL;
	}
	return &st->sigs[st->nsigs++];
}

static void
signature_status(struct unseal_status *st, const char *keyword,
    const char *args)
{
	static const char *const verdicts[] = { "GOODSIG", "EXPSIG",
	    "EXPKEYSIG", "REVKEYSIG", "BADSIG", "ERRSIG", NULL };
	struct signature *sig = st->nsigs > 0 ? &st->sigs[st->nsigs - 1] :
	    NULL;
	char buf[512], *f[10];
	int i, n;

	if (strcmp(keyword, "NEWSIG") == 0) {
		(void)new_signature(st);
		return;
	}
	if (strcmp(keyword, "VALIDSIG") == 0) {
		/* The primary key's fingerprint is the last field. */
		n = kt_gpg_fields(args, buf, sizeof(buf), f, 10);
		if (sig != NULL && n > 0) {
			snprintf(sig->fpr, sizeof(sig->fpr), "%s", f[0]);
			snprintf(sig->primary, sizeof(sig->primary), "%s",
			    f[n - 1]);
		}
		return;
	}
	for (i = 0; verdicts[i] != NULL; i++)
		if (strcmp(keyword, verdicts[i]) == 0)
			break;
	if (verdicts[i] == NULL)
		return;
	if ((sig == NULL || sig->verdict[0] != '\0') &&
	    (sig = new_signature(st)) == NULL)
		return;
	snprintf(sig->verdict, sizeof(sig->verdict), "%s", keyword);
	n = kt_gpg_fields(args, buf, sizeof(buf), f, 7);
	if (n > 0)
		snprintf(sig->id, sizeof(sig->id), "%s", f[0]);
	/* ERRSIG <keyid> <pkalgo> <hashalgo> <class> <time> <rc> <fpr> */
	if (strcmp(keyword, "ERRSIG") == 0 && n >= 6) {
		sig->rc = kt_gpg_errcode(f[5]);
		if (n == 7 && strcmp(f[6], "-") != 0)
			snprintf(sig->id, sizeof(sig->id), "%s", f[6]);
	}
}

static void
unseal_status(void *arg, const char *keyword, const char *args)
{
	struct unseal_status *st = arg;
	char buf[256], *f[3];
	int n;

	n = kt_gpg_fields(args, buf, sizeof(buf), f, 3);
	if (strcmp(keyword, "DECRYPTION_OKAY") == 0)
		st->okay = 1;
	else if (strcmp(keyword, "DECRYPTION_FAILED") == 0)
		st->failed = st->finished = 1;
	else if (strcmp(keyword, "END_DECRYPTION") == 0)
		st->ended = st->finished = 1;
	else if (strcmp(keyword, "NODATA") == 0)
		st->nodata = st->finished = 1;
	else if (strcmp(keyword, "UNEXPECTED") == 0)
		st->finished = 1;
	else if (strcmp(keyword, "BADMDC") == 0)
		st->badmdc = 1;
	else if (strcmp(keyword, "DECRYPTION_KEY") == 0)
		st->got_key = 1;
	else if (strcmp(keyword, "NO_SECKEY") == 0)
		st->no_seckey = 1;
	else if (strcmp(keyword, "BAD_PASSPHRASE") == 0)
		st->bad_passphrase = "";
	else if (strcmp(keyword, "FAILURE") == 0) {
		st->finished = 1;
		if (st->failure == 0 && n == 2)
			st->failure = kt_gpg_errcode(f[1]);
	} else if (strcmp(keyword, "ERROR") == 0 && n >= 2) {
		if (kt_gpg_errcode(f[1]) == GPG_ERR_BAD_PASSPHRASE)
			st->bad_passphrase =
			    strcmp(f[0], "symkey_decrypt.maybe_error") == 0 ?
			    " (bad session key)" : "";
		else if (strcmp(f[0], "decrypt.algorithm") == 0 && n == 3)
			snprintf(st->unsupported, sizeof(st->unsupported),
			    "%s", f[2]);
	} else if (strcmp(keyword, "DECRYPTION_INFO") == 0 && n >= 2) {
		st->info = 1;
		st->mdc = atoi(f[0]);
		st->cipher = atoi(f[1]);
		st->aead = n == 3 ? atoi(f[2]) : 0;
	} else if (strcmp(keyword, "ENC_TO") == 0 && n >= 2 &&
	    st->nto < MAX_RECIPIENTS) {
		snprintf(st->to[st->nto].keyid, sizeof(st->to[0].keyid), "%s",
		    f[0]);
		st->to[st->nto++].algo = atoi(f[1]);
	} else
		signature_status(st, keyword, args);
}

/* Is FPR, or a subkey of the key PRIMARY, one of the required signers? */
static int
is_required(const struct options *o, const char *fpr, const char *primary)
{
	gpgme_subkey_t sk;
	gpgme_key_t key;
	gpgme_ctx_t ctx;
	int i, found = 0;

	for (i = 0; i < o->nsigners; i++)
		if (strcasecmp(fpr, o->signers[i]) == 0 ||
		    strcasecmp(primary, o->signers[i]) == 0)
			return 1;
	/* A required fingerprint may name another subkey of the signer's
	   key: gpgme knows the key's subkeys. */
	ctx = kt_gpg_context(o->homedir);
	if (gpgme_get_key(ctx, primary, &key, 0) == 0) {
		for (sk = key->subkeys; sk != NULL && !found; sk = sk->next)
			for (i = 0; i < o->nsigners && !found; i++)
				found = sk->fpr != NULL &&
				    strcasecmp(sk->fpr, o->signers[i]) == 0;
		gpgme_key_unref(key);
	}
	gpgme_release(ctx);
	return found;
}

/*
 * With --require-signer: every signature must be good, and at least one
 * must come from a listed key that is not revoked.
 */
static void
check_signatures(const struct options *o, const struct unseal_status *st)
{
	const struct signature *sig;
	const char *foreign = NULL;
	int i, good = 0;

	if (o->nsigners == 0)
		return;
	if (st->nsigs == 0)
		errx(KT_EXIT_INTEGRITY, "message is not signed (a signature "
		    "by %s is required)", o->signers[0]);
	if (st->too_many_sigs)
		errx(KT_EXIT_INTEGRITY, "message has more than %d "
		    "signatures: refusing it", MAX_SIGNATURES);
	for (i = 0; i < st->nsigs; i++) {
		sig = &st->sigs[i];
		if (strcmp(sig->verdict, "ERRSIG") == 0 &&
		    sig->rc == GPG_ERR_NO_PUBKEY)
			errx(KT_EXIT_INTEGRITY, "signed by unknown key %s "
			    "(no public key in %s)", sig->id,
			    kt_gpg_homedir(o->homedir));
		if (strcmp(sig->verdict, "ERRSIG") == 0)
			errx(KT_EXIT_INTEGRITY, "bad signature by %s: %s",
			    sig->id, gpg_strerror(sig->rc));
		if (strcmp(sig->verdict, "BADSIG") == 0)
			errx(KT_EXIT_INTEGRITY, "bad signature by %s: %s",
			    sig->id, gpg_strerror(GPG_ERR_BAD_SIGNATURE));
		if (strcmp(sig->verdict, "EXPSIG") == 0)
			errx(KT_EXIT_INTEGRITY, "bad signature by %s: %s",
			    sig->id, gpg_strerror(GPG_ERR_SIG_EXPIRED));
		if (strcmp(sig->verdict, "REVKEYSIG") == 0)
			errx(KT_EXIT_INTEGRITY, "signed by revoked key %s",
			    sig->primary[0] != '\0' ? sig->primary : sig->id);
		/* GOODSIG, or EXPKEYSIG: made while the key was valid. */
		if (sig->verdict[0] == '\0' || sig->primary[0] == '\0')
			errx(KT_EXIT_INTEGRITY, "signature by %s: gpg did not "
			    "say whether it is valid", sig->id[0] != '\0' ?
			    sig->id : "an unknown key");
		if (is_required(o, sig->fpr, sig->primary)) {
			good = 1;
			kt_verbose("good signature by %s", sig->primary);
		} else
			foreign = sig->primary;
	}
	if (!good)
		errx(KT_EXIT_INTEGRITY, "signed by %s, not by a required "
		    "signer (%s)", foreign, o->signers[0]);
}

/*
 * Ciphers gpg still decrypts but a backup made today would never use
 * (RFC 4880 numbers 1 to 4); and no integrity protection at all.
 * DECRYPTION_INFO <mdc_method> <cipher> <aead_algo>: gpg 2.4 names the
 * AEAD algorithm of an AEAD message (OCB, as 2.3 and later write when
 * keys prefer it); gpg 2.2 decrypts one too but always says 0 there.  The
 * packet walk saw which kind of encrypted data packet it was.
 */
static void
check_algorithms(const struct unseal_status *st, const struct kt_check *check)
{
	static const char *const legacy[] = { NULL, "IDEA", "3DES", "CAST5",
	    "BLOWFISH" };

	if (!st->info)
		return;
	if (st->mdc == 0 && st->aead == 0 && !kt_check_pgp_aead(check))
		errx(KT_EXIT_INTEGRITY, "message has no integrity protection "
		    "(no MDC): refusing it");
	if (st->cipher >= 1 && st->cipher <= 4)
		errx(KT_EXIT_INTEGRITY, "message is encrypted with the "
		    "legacy cipher %s: refusing it", legacy[st->cipher]);
}

/*
 * gpg 2.2 says DECRYPTION_OKAY and GOODMDC even when an AEAD tag does
 * not match (a modified message, or a wrong passphrase: it cannot tell
 * them apart).  A bad first chunk leaves it no packet to find (NODATA);
 * a bad later chunk or final tag only shows in its exit status.  Every
 * byte of an AEAD packet is authenticated: once gpg has the session key
 * (DECRYPTION_INFO) and decrypts, any other failure is the tag's.  A wrong
 * key or passphrase gpg does tell (DECRYPTION_FAILED) is reported
 * before this is asked.
 */
static int
aead_failed(const struct unseal_status *st, const struct kt_check *check,
    const struct kt_gpg_job *job)
{
	int i;

	if (!kt_check_pgp_aead(check) || !st->info)
		return 0;
	if (st->nodata || st->failure != 0)
		return 1;
	/* A signature gpg could not verify fails it too: that one is
	   check_signatures()' to report. */
	for (i = 0; i < st->nsigs; i++)
		if (strcmp(st->sigs[i].verdict, "GOODSIG") != 0)
			return 0;
	return !kt_gpg_exited_ok(job);
}

/* The key ids a message was encrypted to, for "no secret key". */
static void
list_recipients(const struct unseal_status *st)
{
	const char *name;
	int i;

	for (i = 0; i < st->nto; i++) {
		/* RFC 4880 and 6637 public key algorithm numbers. */
		switch (st->to[i].algo) {
		case 1: case 2: case 3:
			name = "RSA";
			break;
		case 16: case 20:
			name = "ELG";
			break;
		case 17:
			name = "DSA";
			break;
		case 18:
			name = "ECDH";
			break;
		case 19:
			name = "ECDSA";
			break;
		case 22:
			name = "EdDSA";
			break;
		default:
			name = "?";
		}
		fprintf(stderr, "  encrypted to %s key %s\n", name,
		    st->to[i].keyid);
	}
}

/* The packet that starts a message gpg would only verify or unpack. */
static const char *
unencrypted_packet(int tag)
{
	switch (tag) {
	case 2:
		return "signature";
	case 4:
		return "one-pass signature";
	case 8:
		return "compressed data";
	case 11:
		return "literal data";
	}
	return NULL;
}

/*
 * Refuses, before gpg reads a byte of it, input that is not an encrypted
 * message: gpg would verify or inflate it into the spool first (GnuPG's
 * 4gb-packet test is 3 KiB that expand to 4 GiB of zeros) only to fail
 * late and for a vaguer reason.  An encrypted message starts with its
 * session keys (or its encrypted data, for the oldest); the packet walk
 * checks the rest as gpg reads it.
 */
static void
require_encrypted(struct kt_gpg_job *job, struct kt_check *check)
{
	size_t want = 512, held;
	const char *packet;
	int tag;

	for (;;) {
		held = kt_gpg_peek(job, want);
		/* All of a short input is here: let the recogniser settle. */
		if (held < want && kt_check_end(check) == -1)
			job->check_failed = 1;
		tag = kt_check_pgp_first_tag(check);
		if (tag != -1 || job->check_failed || held < want ||
		    want == FIRST_PACKET_WITHIN)
			break;
		want = want * 16 < FIRST_PACKET_WITHIN ? want * 16 :
		    FIRST_PACKET_WITHIN;
	}
	if ((packet = unencrypted_packet(tag)) != NULL)
		errx(KT_EXIT_FAIL, "%s is not an encrypted message: it starts "
		    "with a %s packet", job->in_name, packet);
	if (kt_check_pgp_clearsigned(check))
		errx(KT_EXIT_FAIL, "%s is not an encrypted message: it is a "
		    "cleartext-signed message", job->in_name);
	if (job->check_failed)
		errx(KT_EXIT_INTEGRITY, "%s is not a complete OpenPGP "
		    "message: %s", job->in_name, kt_check_error(check));
	if (tag == 1 || tag == 3 || tag == 9 || tag == 18 || tag == 20)
		return;
	switch (kt_check_format(check)) {
	case KT_FMT_EMPTY:
		errx(KT_EXIT_FAIL, "%s is empty", job->in_name);
	case KT_FMT_OPENPGP:
	case KT_FMT_OPENPGP_ARMOR:
		if (tag == -1)
			errx(KT_EXIT_FAIL, "%s is not an encrypted message: no "
			    "packet in its first %d KiB", job->in_name,
			    FIRST_PACKET_WITHIN / 1024);
		errx(KT_EXIT_FAIL, "%s is not an encrypted message: its first "
		    "packet is of type %d", job->in_name, tag);
	default:
		errx(KT_EXIT_FAIL, "%s is not an OpenPGP message",
		    job->in_name);
	}
}

/* The held plaintext's second bound: the free space left on its file
   system, RESERVE_PERCENT of its size but at most RESERVE_MAX. */
static off_t
reserve_of(int fd)
{
	struct statvfs vfs;
	off_t r;

	if (fstatvfs(fd, &vfs) == -1)
		return 0;
	r = (off_t)vfs.f_blocks * (off_t)vfs.f_frsize / 100 * RESERVE_PERCENT;
	return r < RESERVE_MAX ? r : RESERVE_MAX;
}

/* The plaintext grew past a bound: say which, and how to get past it. */
static void __attribute__((noreturn))
over_limit(const struct options *o, const struct kt_gpg_job *job)
{
	char where[256];

	if (job->out_over == KT_GPG_OVER_MAX)
		errx(KT_EXIT_FAIL, "the plaintext is larger than --max-size %s: "
		    "refusing it (raise the limit with --max-size)",
		    format_size(o->max_size));
	if (o->output != NULL)
		snprintf(where, sizeof(where), "the file system of %s",
		    o->output);
	else
		snprintf(where, sizeof(where), "the file system of TMPDIR (%s)",
		    kt_spool_dir());
	errx(KT_EXIT_FAIL, "the plaintext would leave %s with less than %s "
	    "free: refusing it (%d%% of it, at most %s, is kept free)", where,
	    format_size(job->out_min_free), RESERVE_PERCENT,
	    format_size(RESERVE_MAX));
}

/* Reports why decryption failed, most specific cause first, and exits. */
static void __attribute__((noreturn))
fail(const struct options *o, const struct kt_gpg_job *job,
    const struct unseal_status *st, struct kt_check *check)
{
	if (job->check_failed)
		errx(KT_EXIT_INTEGRITY, "%s is not a complete OpenPGP "
		    "message: %s", job->in_name, kt_check_error(check));
	if (job->out_over)
		over_limit(o, job);
	if (job->read_errno != 0) {
		errno = job->read_errno;
		err(KT_EXIT_FAIL, "read from %s", job->in_name);
	}
	if (job->write_errno != 0)
		kt_write_failed(job->write_errno, job->out_name);
	check_algorithms(st, check);
	/* gpg 2.2 may refuse a message without MDC before it says why; the
	   packet walk saw it. */
	if (kt_check_nomdc(check))
		errx(KT_EXIT_INTEGRITY, "message has no integrity protection "
		    "(no MDC): refusing it");
	/* gpg gives up on some damage (a broken zlib stream) with a fatal
	   error and no status line, just as if killed. */
	if (kt_gpg_killed_by_other(job) || !st->finished)
		errx(KT_EXIT_INTEGRITY, "gpg stopped before the end of the "
		    "message: %s", kt_gpg_why(job));
	if (st->failed) {
		if (st->bad_passphrase != NULL)
			errx(KT_EXIT_FAIL, "wrong passphrase%s",
			    st->bad_passphrase);
		if (st->no_seckey && !st->got_key) {
			warnx("no secret key in %s for this message",
			    kt_gpg_homedir(o->homedir));
			list_recipients(st);
			exit(KT_EXIT_FAIL);
		}
		if (st->unsupported[0] != '\0')
			errx(KT_EXIT_FAIL, "unsupported algorithm %s",
			    st->unsupported);
		errx(KT_EXIT_INTEGRITY, "integrity check failed: the message "
		    "was modified or cut (%s)", st->badmdc ?
		    "its MDC does not match" : "decryption failed");
	}
	if (aead_failed(st, check, job))
		errx(KT_EXIT_INTEGRITY, "integrity check failed: the message "
		    "was modified or cut, or the passphrase is wrong (its AEAD "
		    "tag does not match)");
	if (!st->okay) {
		switch (kt_check_format(check)) {
		case KT_FMT_OPENPGP:
		case KT_FMT_OPENPGP_ARMOR:
			errx(KT_EXIT_INTEGRITY, "message is corrupt: gpg "
			    "found no data in it");
		case KT_FMT_EMPTY:
			errx(KT_EXIT_FAIL, "%s is empty", job->in_name);
		default:
			errx(KT_EXIT_FAIL, "%s is not an OpenPGP message",
			    job->in_name);
		}
	}
	if (!st->ended)
		errx(KT_EXIT_INTEGRITY, "gpg stopped before the end of the "
		    "message: %s", kt_gpg_why(job));
	if (st->failure != 0)
		errx(KT_EXIT_FAIL, "decryption failed: %s",
		    gpg_strerror(st->failure));
	errx(KT_EXIT_FAIL, "decryption failed: %s", kt_gpg_why(job));
}

static void
unseal(const struct options *o)
{
	static struct unseal_status st;
	struct kt_secret pass = { NULL, 0 };
	struct kt_gpg_job job = { 0 };
	struct kt_atomic out_file;
	struct kt_check *check;
	const char *args[3];
	off_t plain;
	int n = 0;

	(void)kt_secret_load(&pass, &o->pass_src);
	job.homedir = o->homedir;
	job.pass = pass.buf != NULL ? &pass : NULL;
	if (o->stream) {
		job.out_fd = STDOUT_FILENO;
		job.out_name = "standard output";
	} else if (o->output != NULL) {
		if (kt_atomic_open_for(&out_file, o->output) == -1)
			err(KT_EXIT_FAIL, "%s", o->output);
		job.out_fd = out_file.fd;
		job.out_name = o->output;
		job.out_direct = 1;
	} else {
		if ((job.out_fd = kt_spool_open()) == -1)
			err(KT_EXIT_FAIL, "temporary file for the plaintext");
		job.out_name = "the temporary plaintext file";
		job.out_direct = 1;
	}
	if (job.out_direct) {
		job.out_max = o->max_size;
		job.out_min_free = reserve_of(job.out_fd);
	}
	/* The structure check catches a message cut at a packet boundary
	   before gpg reports something vaguer. */
	if ((check = kt_check_new(0)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	job.in_fd = STDIN_FILENO;
	job.in_name = "standard input";
	job.check = check;
	require_encrypted(&job, check);
	job.status = unseal_status;
	job.status_arg = &st;
	args[n++] = "--decrypt";
	/* Signatures nobody asked for are not checked: a signer's key
	   missing here would only make gpg fail. */
	if (o->nsigners == 0)
		args[n++] = "--skip-verify";
	args[n] = NULL;
	job.args = args;

	kt_gpg_run(&job);
	kt_secret_free(&pass);
	if (job.check_failed || job.out_over || job.read_errno != 0 ||
	    job.write_errno != 0 || kt_gpg_killed_by_other(&job) || st.failed || !st.okay ||
	    !st.ended || st.failure != 0 || aead_failed(&st, check, &job))
		fail(o, &job, &st, check);
	check_algorithms(&st, check);
	check_signatures(o, &st);
	/* All looked well, but gpg knows better: it could not write the
	   plaintext (a full disk), say. */
	if (!kt_gpg_exited_ok(&job))
		errx(KT_EXIT_FAIL, "decryption failed: %s", kt_gpg_why(&job));
	plain = job.out_direct ? lseek(job.out_fd, 0, SEEK_CUR) :
	    job.out_total;
	kt_verbose("decrypted %lld bytes into %lld bytes of plaintext",
	    (long long)job.in_total, (long long)plain);

	/* Everything checked out: release the plaintext. */
	if (o->stream)
		kt_gpg_flush(&job);
	else if (o->output != NULL) {
		if (kt_atomic_commit(&out_file, o->output, 0) == -1)
			err(KT_EXIT_FAIL, "%s", o->output);
	} else {
		if (lseek(job.out_fd, 0, SEEK_SET) == -1)
			err(KT_EXIT_FAIL, "rewind %s", job.out_name);
		kt_copy_or_die(job.out_fd, job.out_name, STDOUT_FILENO,
		    "standard output");
		close(job.out_fd);
	}
	kt_check_free(check);
}

int
main(int argc, char *argv[])
{
	enum { OPT_HOMEDIR = 256, OPT_PASSFILE, OPT_PASSFD, OPT_SIGNER,
	    OPT_STREAM, OPT_MAXSIZE };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "homedir", required_argument, NULL, OPT_HOMEDIR },
		{ "max-size", required_argument, NULL, OPT_MAXSIZE },
		{ "output", required_argument, NULL, 'o' },
		{ "passphrase-fd", required_argument, NULL, OPT_PASSFD },
		{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "require-signer", required_argument, NULL, OPT_SIGNER },
		{ "stream", no_argument, NULL, OPT_STREAM },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct options o = { .pass_src = KT_SECRET_SOURCE_NONE,
	    .max_size = DEFAULT_MAX_SIZE };
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
			o.pass_src.file = optarg;
			break;
		case OPT_PASSFD:
			o.pass_src.fd = kt_secret_parse_fd(optarg);
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
		case OPT_MAXSIZE:
			o.max_size = parse_size(optarg);
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
	kt_secret_source_check(&o.pass_src);

	unseal(&o);
	while (o.nsigners > 0)
		free(o.signers[--o.nsigners]);
	if (o.output == NULL)
		kt_close_stdout_or_die();
	return KT_EXIT_OK;
}
