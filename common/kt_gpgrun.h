/*
 * gpg as a child of ours, its data path in our hands.
 *
 * gpgme 1.18 pumps every byte through its own loop (and a per-byte debug
 * loop that runs even with debugging off), cannot hand gpg a descriptor,
 * spins when gpg dies while it waits to write, and never sees gpg's exit
 * status.  Here gpg is started with fork and execve and given descriptors:
 *
 *	0	a pipe we fill from IN_FD, every byte also fed to CHECK
 *	1	OUT_FD itself (a regular file gpg writes with no copy through
 *		us), or a pipe we empty into OUT_FD, holding back its tail
 *	2	a pipe whose last line we keep (gpg's "last words")
 *	3	--status-fd: status lines, handed to the caller
 *	4	--command-fd: our answer to its passphrase request
 *
 * One poll(2) loop moves everything, through fixed buffers.  Whenever we
 * know the operation must fail (CHECK refuses the input, reading IN_FD or
 * writing OUT_FD fails) gpg is killed with SIGKILL before its input is
 * closed, so it never finishes its output.  The child is registered with
 * kt_cleanup: an exit or a stop signal kills it too.
 */
#ifndef KT_GPGRUN_H
#define KT_GPGRUN_H

#include <stddef.h>
#include <sys/types.h>

#include "kt_check.h"
#include "kt_io.h"
#include "kt_secret.h"

/*
 * When gpg writes through us, its last KT_GPG_HOLDBACK bytes are written
 * only by kt_gpg_flush(), once the caller decided that the operation
 * succeeded: gpg may complete a message and still fail (a signature it
 * could not make leaves a complete but unsigned message), and the end of
 * a decrypted stream comes before gpg's verdict on its integrity.
 */
#define KT_GPG_HOLDBACK 4096

/* Which bound of a job's direct output was hit. */
#define KT_GPG_OVER_MAX		1
#define KT_GPG_OVER_MIN_FREE	2

/* How often the direct output is measured while gpg writes it: gpg goes
   past a bound by what it writes in that time, at most. */
#define KT_GPG_WATCH_MS		20

/* Called for each status line ("[GNUPG:] KEYWORD ARGS") but those of the
   passphrase dialogue.  ARGS is "" when there are none. */
typedef void kt_gpg_status_fn(void *arg, const char *keyword,
    const char *args);

struct kt_gpg_job {
	/* Set by the caller; zero everything else. */
	const char *homedir;		/* --homedir, or NULL: gpg's default */
	const char *const *args;	/* the operation ("--decrypt", NULL) */
	struct kt_secret *pass;		/* answers gpg's passphrase request;
					   NULL: ask on /dev/tty */
	int in_fd;
	const char *in_name;
	struct kt_check *check;		/* or NULL */
	int out_fd;
	const char *out_name;
	int out_direct;			/* gpg writes OUT_FD itself */
	off_t out_max;			/* with OUT_DIRECT: gpg is stopped once
					   OUT_FD holds more bytes (0: no
					   limit) */
	off_t out_min_free;		/* with OUT_DIRECT: ... or once the
					   file system holding it has fewer
					   bytes free (0: no limit) */
	kt_gpg_status_fn *status;
	void *status_arg;

	/* Results of kt_gpg_run(). */
	int wait_status;		/* gpg's, from waitpid(2) */
	int killed;			/* we killed gpg (one of the below) */
	int check_failed;		/* CHECK refused the input */
	int read_errno;			/* reading IN_FD failed */
	int write_errno;		/* writing OUT_FD failed */
	int out_over;			/* OUT_MAX or OUT_MIN_FREE was hit
					   (KT_GPG_OVER_MAX, _MIN_FREE) */
	off_t in_total;			/* bytes read from IN_FD */
	off_t out_total;		/* bytes gpg wrote through us */
	char last_words[256];		/* gpg's last line on stderr, without
					   "gpg: "; "" if none */

	/* Private. */
	size_t ibeg, iend;		/* input read, not yet passed on */
	size_t held;			/* output held back */
	char hint[128];			/* USERID_HINT, for a prompt */
	char asked[8][17];		/* keys a passphrase was given for */
	int nasked;
};

/*
 * Reads the first bytes of IN_FD until LEN are held (at most
 * KT_IO_BUFSIZE, stopping early only at end of input), feeds them to CHECK
 * and keeps them to be passed on first; a second call reads on.  Returns
 * how many are held: fewer than LEN only at end of input.  Sets
 * CHECK_FAILED when CHECK refuses them.  Exits on a read error.  For a decision that depends on the input (kt-seal's
 * compression, kt-unseal's "is it encrypted at all?").
 */
size_t kt_gpg_peek(struct kt_gpg_job *, size_t len);

/*
 * Runs gpg on JOB to its end and waits for it (not at all when
 * CHECK_FAILED is already set).  Exits, killing gpg, when
 * it cannot be started, when it needs a passphrase and there is no
 * terminal to ask, when it asks again for the passphrase of the same key
 * (the first was wrong: "wrong passphrase") or asks a question we have no
 * answer to.
 * Everything else, success included, is for the caller to judge from the
 * status lines, JOB's results and gpg's exit status.
 */
void kt_gpg_run(struct kt_gpg_job *);

/* Writes the output held back: call only once the operation succeeded.
   Exits on a write error (quietly on EPIPE). */
void kt_gpg_flush(struct kt_gpg_job *);

/* True when gpg exited with status 0 (not killed, no error). */
int kt_gpg_exited_ok(const struct kt_gpg_job *);

/* True when gpg died of a signal we did not send. */
int kt_gpg_killed_by_other(const struct kt_gpg_job *);

/* Why gpg failed, for messages: its last words ("Fatal: zlib inflate
   problem: ..."), or how it ended ("gpg was killed by signal 9 (Killed)",
   "gpg exited with status 2").  In a static buffer. */
const char *kt_gpg_why(const struct kt_gpg_job *);

/* Splits a copy of ARGS (in BUF, of LEN bytes) at spaces into at most MAX
   fields; returns how many. */
int kt_gpg_fields(const char *args, char *buf, size_t len, char *field[],
    int max);

/* The error code of a status argument ("67108875", "11_BAD_PASSPHRASE"),
   as a libgpg-error code (source stripped); 0 when there is none. */
unsigned kt_gpg_errcode(const char *arg);

#endif
