/*
 * gpgme glue shared by kt-seal and kt-unseal: a context set up for
 * unattended use (home directory, offline, loopback pinentry fed from a
 * kt_secret or a terminal prompt) and data objects that move bytes
 * between gpg and our descriptors with every read and write checked.
 */
#ifndef KT_GPG_H
#define KT_GPG_H

#include <sys/types.h>
#include <gpgme.h>

#include "kt_check.h"
#include "kt_secret.h"

/* Buffer size gpgme pumps data with: 64 KiB measured best (shared/NOTES). */
#define KT_GPG_IO_BUFFER "65536"

/*
 * A context for the OpenPGP engine in HOMEDIR (NULL: $GNUPGHOME, then
 * ~/.gnupg).  PASS answers the first passphrase request; without it gpg's
 * request is put to the user on /dev/tty, or fails when there is none.
 * Exits on failure.
 */
gpgme_ctx_t kt_gpg_context(const char *homedir, struct kt_secret *pass);

/* The home directory gpg will use, for messages. */
const char *kt_gpg_homedir(const char *homedir);

/*
 * Input: bytes from FD, each also fed to CHECK (if not NULL).  At end of
 * input the stream must pass kt_check_end(), or the read fails and gpg
 * never completes its output.  Bytes already read (a peek at the start)
 * may be handed over in PRE/PRELEN; they are served first and are assumed
 * to have been fed to CHECK already.
 */
struct kt_gpg_source {
	int fd;
	const char *name;
	struct kt_check *check;
	const unsigned char *pre;
	size_t prelen;
	int read_errno;		/* set when reading FD failed */
	int check_failed;	/* set when the end check refused */
	int at_end;
	off_t total;
};

/*
 * Output: every byte written in full to FD, except the last
 * KT_GPG_HOLDBACK bytes, which are held until kt_gpg_sink_flush().  gpg
 * may complete a message and still report failure (a signature it could
 * not make leaves an unsigned but complete message): holding back the
 * tail means that on failure the output is always an unfinished message.
 */
#define KT_GPG_HOLDBACK 4096

struct kt_gpg_sink {
	int fd;
	const char *name;
	int write_errno;	/* set when writing FD failed */
	off_t total;		/* bytes received from gpg */
	unsigned char tail[KT_GPG_HOLDBACK];
	size_t taillen;
};

gpgme_data_t kt_gpg_source_data(struct kt_gpg_source *);
gpgme_data_t kt_gpg_sink_data(struct kt_gpg_sink *);

/* Writes the held-back tail: call only once the operation succeeded.
   Exits on a write error (quietly on EPIPE). */
void kt_gpg_sink_flush(struct kt_gpg_sink *);

/* Reads the first bytes of SRC's descriptor into BUF (up to LEN, stopping
   early only at end of input), feeds them to SRC's check and arranges for
   them to be served first.  Exits on a read error. */
void kt_gpg_source_peek(struct kt_gpg_source *, unsigned char *buf,
    size_t len);

/*
 * Runs one operation in our own event loop instead of gpgme's.  gpgme
 * 1.18's loop spins forever when gpg dies while it waits to write to it
 * (it polls for POLLOUT and ignores POLLERR); ours hands every error or
 * hang-up to gpgme's handler, which then fails the operation.  It also
 * watches gpg's status lines: an operation counts as done only when gpg
 * said so (END_ENCRYPTION, DECRYPTION_OKAY...), not merely because gpg
 * went away.
 *
 *	struct kt_gpg_loop loop;
 *	kt_gpg_loop_begin(ctx, &loop, "END_ENCRYPTION", NULL);
 *	e = kt_gpg_loop_wait(ctx, &loop, gpgme_op_encrypt_start(...));
 *
 * kt_gpg_loop_wait() returns the operation's error, or GPG_ERR_UNFINISHED
 * when gpg ended without the status lines named at the start or failed
 * without saying so (it was killed).
 */
#define KT_GPG_LOOP_SLOTS 16

struct kt_gpg_loop {
	struct kt_gpg_io {
		int fd;
		int dir;		/* 1: wants to read, 0: to write */
		gpgme_io_cb_t fnc;
		void *fnc_data;
		int active;
	} io[KT_GPG_LOOP_SLOTS];
	int started, done;
	gpgme_error_t err;
	const char *must_see[2];	/* status keywords success needs */
	int seen[2];
	int finished;		/* gpg said it ended (END_*, FAILURE) */
};

void kt_gpg_loop_begin(gpgme_ctx_t, struct kt_gpg_loop *,
    const char *must_see, const char *must_see_too);
gpgme_error_t kt_gpg_loop_wait(gpgme_ctx_t, struct kt_gpg_loop *,
    gpgme_error_t start_err);

/* The last line gpg wrote to its stderr in the last operation ("gpg:
   Fatal: zlib inflate problem: ..."), without the "gpg: " prefix, or
   NULL when there is none.  For errors gpgme cannot name. */
const char *kt_gpg_last_words(gpgme_ctx_t);

/* Short text for a gpgme error, without the "GPGME" source prefix. */
const char *kt_gpg_strerror(gpgme_error_t);

#endif
