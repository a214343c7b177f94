#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gpg-error.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt_err.h"
#include "kt_gpg.h"
#include "kt_gpgrun.h"
#include "kt_proc.h"

/* gpg's descriptors, as its arguments name them. */
#define GPG_STATUS_FD	"3"
#define GPG_COMMAND_FD	"4"

/* The data pipes: a millisecond of gpg's work (the most an unprivileged
   process may ask for by default: fs.pipe-max-size). */
#define PIPE_SIZE	(1024 * 1024)
/* Below this a transfer is small: nap that long before the next. */
#define COALESCE_BELOW	(32 * 1024)
#define COALESCE_NAP_NS	(200 * 1000)

/* Longest status line we keep; longer ones (notation data) are dropped
   whole, never cut and misread. */
#define STATUS_LINE_MAX	4096

/* One job at a time: the buffers are the module's. */
static unsigned char ibuf[KT_IO_BUFSIZE];
static unsigned char obuf[KT_IO_BUFSIZE + KT_GPG_HOLDBACK];

struct run {
	struct kt_gpg_job *job;
	struct kt_proc gpg;
	int in_eof;
	int gin, gout, gstatus, gerr, gcmd;	/* our ends, -1 once closed */
	char sline[STATUS_LINE_MAX];
	size_t slen;
	int sskip;				/* dropping an overlong line */
	char eline[sizeof(((struct kt_gpg_job *)0)->last_words)];
	size_t elen;
};

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

size_t
kt_gpg_peek(struct kt_gpg_job *job, size_t len)
{
	ssize_t n;

	if (len > sizeof(ibuf))
		len = sizeof(ibuf);
	if (len <= job->iend)
		return job->iend;
	if ((n = kt_read_full(job->in_fd, ibuf + job->iend, len - job->iend))
	    == -1)
		err(KT_EXIT_FAIL, "read from %s", job->in_name);
	job->in_total += n;
	if (job->check != NULL && n > 0 &&
	    kt_check_feed(job->check, ibuf + job->iend, (size_t)n) == -1)
		job->check_failed = 1;
	job->iend += (size_t)n;
	return job->iend;
}

/*
 * The operation must fail: gpg dies before its input ends, so that it
 * cannot finish a message (SIGKILL is pending before close() can give it
 * an end of input to act on).
 */
static void
stop_gpg(struct run *r)
{
	if (!r->job->killed && r->gpg.pid > 0)
		kill(r->gpg.pid, SIGKILL);
	r->job->killed = 1;
	close_fd(&r->gin);
}

/*
 * gpg writes the direct output itself, unseen: measure it, and stop gpg
 * once it is over a bound (a small compressed message can expand to fill
 * any disk).  Called as gpg works and once it ended, so that a gpg that
 * was quicker than the watch is judged alike.
 */
static void
watch_output(struct run *r)
{
	struct kt_gpg_job *job = r->job;
	struct statvfs vfs;
	struct stat st;

	if (!job->out_direct || job->out_over)
		return;
	if (job->out_max > 0 && fstat(job->out_fd, &st) == 0 &&
	    st.st_size > job->out_max)
		job->out_over = KT_GPG_OVER_MAX;
	else if (job->out_min_free > 0 && fstatvfs(job->out_fd, &vfs) == 0 &&
	    (off_t)vfs.f_bavail * (off_t)vfs.f_frsize < job->out_min_free)
		job->out_over = KT_GPG_OVER_MIN_FREE;
	if (job->out_over)
		stop_gpg(r);
}

static void
answer_passphrase(struct run *r)
{
	struct kt_gpg_job *job = r->job;
	struct kt_secret prompted = { NULL, 0 };
	struct kt_secret *s = job->pass;
	const char *hint = job->hint;
	char prompt[sizeof(job->hint) + 32], key[17];
	int i;

	/* gpg asks once per key (the hint names it; none for a symmetric
	   message): asking again means the first answer was wrong, and
	   answering again would only loop.  Another key of the message may
	   well take the same passphrase. */
	snprintf(key, sizeof(key), "%.*s", (int)strcspn(hint, " "), hint);
	for (i = 0; i < job->nasked; i++)
		if (strcmp(job->asked[i], key) == 0)
			errx(KT_EXIT_FAIL, "wrong passphrase");
	if (job->nasked == (int)(sizeof(job->asked) / sizeof(job->asked[0])))
		errx(KT_EXIT_FAIL, "wrong passphrase");
	memcpy(job->asked[job->nasked++], key, sizeof(key));
	if (s == NULL) {
		snprintf(prompt, sizeof(prompt), "Passphrase%s%s: ",
		    *hint ? " for " : "", hint);
		if (kt_secret_prompt(&prompted, prompt, 0) == -1)
			errx(KT_EXIT_FAIL, "a passphrase is needed%s%s and "
			    "there is no terminal to ask: use "
			    "--passphrase-file or --passphrase-fd",
			    *hint ? " for " : "", hint);
		s = &prompted;
	}
	/* A gpg that went away meanwhile says so on its own. */
	if (kt_write_full(r->gcmd, s->buf, s->len) == -1 ||
	    kt_write_full(r->gcmd, "\n", 1) == -1)
		close_fd(&r->gcmd);
	kt_secret_free(&prompted);
	job->hint[0] = '\0';
}

static void
status_line(struct run *r, char *line)
{
	struct kt_gpg_job *job = r->job;
	char *keyword, *args;

	if (strncmp(line, "[GNUPG:] ", 9) != 0)
		return;
	keyword = line + 9;
	if ((args = strchr(keyword, ' ')) != NULL)
		*args++ = '\0';
	else
		args = keyword + strlen(keyword);
	if (strcmp(keyword, "USERID_HINT") == 0)
		snprintf(job->hint, sizeof(job->hint), "%s", args);
	else if (strcmp(keyword, "GET_HIDDEN") == 0 &&
	    strcmp(args, "passphrase.enter") == 0)
		answer_passphrase(r);
	else if (strncmp(keyword, "GET_", 4) == 0)
		errx(KT_EXIT_FAIL, "gpg asked %s %s, which has no answer here",
		    keyword, args);
	else if (job->status != NULL)
		job->status(job->status_arg, keyword, args);
}

/* Splits what was read into lines; returns -1 at end of file. */
static int
read_status(struct run *r)
{
	char buf[4096], *p, *end, *nl;
	ssize_t n;
	size_t len;

	if ((n = read(r->gstatus, buf, sizeof(buf))) == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	for (p = buf, end = buf + n; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl != NULL ? nl : end) - p);
		if (r->sskip || r->slen + len >= sizeof(r->sline)) {
			r->sskip = nl == NULL;
			r->slen = 0;
		} else {
			memcpy(r->sline + r->slen, p, len);
			r->slen += len;
		}
		if (nl == NULL)
			break;
		r->sline[r->slen] = '\0';
		if (r->slen > 0 && r->sline[r->slen - 1] == '\r')
			r->sline[r->slen - 1] = '\0';
		r->slen = 0;
		status_line(r, r->sline);
	}
	return 0;
}

/* Keeps the last non-empty line, cut to fit. */
static void
last_words(struct run *r)
{
	const char *line = r->eline;

	r->eline[r->elen] = '\0';
	r->elen = 0;
	if (*line == '\0')
		return;
	if (strncmp(line, "gpg: ", 5) == 0)
		line += 5;
	snprintf(r->job->last_words, sizeof(r->job->last_words), "%s",
	    line);
}

static int
read_stderr(struct run *r)
{
	char buf[1024];
	ssize_t n, i;

	if ((n = read(r->gerr, buf, sizeof(buf))) == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		last_words(r);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n')
			last_words(r);
		else if (r->elen < sizeof(r->eline) - 1)
			r->eline[r->elen++] = buf[i];
	}
	return 0;
}

/* Returns the bytes moved. */
static size_t
read_input(struct run *r)
{
	struct kt_gpg_job *job = r->job;
	ssize_t n;

	n = read(job->in_fd, ibuf, sizeof(ibuf));
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		job->read_errno = errno;
		stop_gpg(r);
		return 0;
	}
	job->in_total += n;
	job->ibeg = 0;
	job->iend = (size_t)n;
	if (n == 0) {
		r->in_eof = 1;
		if (job->check != NULL && kt_check_end(job->check) == -1) {
			job->check_failed = 1;
			stop_gpg(r);
		} else
			close_fd(&r->gin);
	} else if (job->check != NULL &&
	    kt_check_feed(job->check, ibuf, (size_t)n) == -1) {
		job->check_failed = 1;
		stop_gpg(r);
	}
	return (size_t)n;
}

static size_t
write_input(struct run *r)
{
	struct kt_gpg_job *job = r->job;
	ssize_t n;

	n = write(r->gin, ibuf + job->ibeg, job->iend - job->ibeg);
	if (n > 0) {
		job->ibeg += (size_t)n;
		return (size_t)n;
	}
	if (n == -1 && errno != EINTR && errno != EAGAIN)
		/* gpg stopped reading (EPIPE): it ended or gave up, and its
		   status lines and exit status say why. */
		close_fd(&r->gin);
	return 0;
}

/* Passes gpg's output on but for the last KT_GPG_HOLDBACK bytes.
   Returns the bytes moved; closes the pipe at its end. */
static size_t
read_output(struct run *r)
{
	struct kt_gpg_job *job = r->job;
	size_t total, emit;
	ssize_t n;

	n = read(r->gout, obuf + job->held, sizeof(obuf) - job->held);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		err(KT_EXIT_FAIL, "read from gpg");
	}
	if (n == 0) {
		close_fd(&r->gout);
		return 0;
	}
	job->out_total += n;
	total = job->held + (size_t)n;
	if (total <= KT_GPG_HOLDBACK) {
		job->held = total;
		return (size_t)n;
	}
	emit = total - KT_GPG_HOLDBACK;
	if (kt_write_full(job->out_fd, obuf, emit) == -1) {
		job->write_errno = errno;
		stop_gpg(r);
		close_fd(&r->gout);
		return 0;
	}
	memmove(obuf, obuf + emit, KT_GPG_HOLDBACK);
	job->held = KT_GPG_HOLDBACK;
	return (size_t)n;
}

static int
nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* The argument vector: gpg, unattended and offline, then the job's. */
static char **
gpg_argv(const struct kt_gpg_job *job, const char *program)
{
	static const char *const common[] = {
		"--batch", "--no-tty",
		"--status-fd", GPG_STATUS_FD, "--exit-on-status-write-error",
		"--command-fd", GPG_COMMAND_FD,
		/* Passphrases come from us, never from a pinentry, and the
		   agent does not keep a symmetric one for the next caller. */
		"--pinentry-mode", "loopback", "--no-symkey-cache",
		/* No key server, no key looked up on the network. */
		"--disable-dirmngr",
		"--output", "-",
		NULL
	};
	const char *base = strrchr(program, '/');
	size_t n = 0, i;
	char **argv;

	for (i = 0; job->args[i] != NULL; i++)
		continue;
	argv = calloc(i + sizeof(common) / sizeof(common[0]) + 4,
	    sizeof(*argv));
	if (argv == NULL)
		err(KT_EXIT_FAIL, NULL);
	/* "gpg", as gpgme and a shell name it: what ps and pgrep show. */
	argv[n++] = (char *)(base != NULL ? base + 1 : program);
	if (job->homedir != NULL) {
		argv[n++] = (char *)"--homedir";
		argv[n++] = (char *)job->homedir;
	}
	for (i = 0; common[i] != NULL; i++)
		argv[n++] = (char *)common[i];
	for (i = 0; job->args[i] != NULL; i++)
		argv[n++] = (char *)job->args[i];
	argv[n] = NULL;
	return argv;
}

/* Returns whether the data pipes hold PIPE_SIZE. */
static int
start(struct run *r)
{
	struct kt_gpg_job *job = r->job;
	const char *program = kt_gpg_program();
	int in[2], out[2] = { -1, -1 }, er[2], st[2], cmd[2];
	int fds[5], big;
	char **argv;

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(er, O_CLOEXEC) == -1 ||
	    pipe2(st, O_CLOEXEC) == -1 || pipe2(cmd, O_CLOEXEC) == -1 ||
	    (!job->out_direct && pipe2(out, O_CLOEXEC) == -1))
		err(KT_EXIT_FAIL, "pipe");
	big = fcntl(in[1], F_SETPIPE_SZ, PIPE_SIZE) >= PIPE_SIZE &&
	    (job->out_direct || fcntl(out[0], F_SETPIPE_SZ, PIPE_SIZE) >=
	    PIPE_SIZE);
	if (nonblocking(in[1]) == -1 || nonblocking(er[0]) == -1 ||
	    nonblocking(st[0]) == -1 ||
	    (!job->out_direct && nonblocking(out[0]) == -1))
		err(KT_EXIT_FAIL, "pipe");
	fds[0] = in[0];
	fds[1] = job->out_direct ? job->out_fd : out[1];
	fds[2] = er[1];
	fds[3] = st[1];
	fds[4] = cmd[0];
	argv = gpg_argv(job, program);
	r->gpg.in = r->gpg.out = r->gpg.err = -1;
	r->gpg.pid = kt_proc_spawn(program, argv, NULL, fds, 5,
	    KT_PROC_KILL_ON_EXIT);
	if (r->gpg.pid == -1)
		err(KT_EXIT_FAIL, "%s", program);
	free(argv);
	close(in[0]);
	close(er[1]);
	close(st[1]);
	close(cmd[0]);
	if (!job->out_direct)
		close(out[1]);
	r->gin = in[1];
	r->gout = out[0];
	r->gerr = er[0];
	r->gstatus = st[0];
	r->gcmd = cmd[1];
	return big;
}

void
kt_gpg_run(struct kt_gpg_job *job)
{
	enum { IN, GIN, GOUT, STATUS, ERR, N };
	static const struct timespec nap = { 0, COALESCE_NAP_NS };
	struct run r;
	struct pollfd pfd[N];
	int what[N], n, i, big_pipes, timeout;
	size_t moved, got;

	/* Input already refused by the check: gpg need not see it. */
	if (job->check_failed)
		return;
	memset(&r, 0, sizeof(r));
	r.job = job;
	big_pipes = start(&r);
	timeout = job->out_direct && (job->out_max > 0 ||
	    job->out_min_free > 0) ? KT_GPG_WATCH_MS : -1;
	for (;;) {
		n = 0;
		if (r.gin != -1 && job->ibeg < job->iend) {
			pfd[n].fd = r.gin;
			pfd[n].events = POLLOUT;
			what[n++] = GIN;
		} else if (r.gin != -1 && !r.in_eof) {
			pfd[n].fd = job->in_fd;
			pfd[n].events = POLLIN;
			what[n++] = IN;
		}
		if (r.gout != -1) {
			pfd[n].fd = r.gout;
			pfd[n].events = POLLIN;
			what[n++] = GOUT;
		}
		if (r.gstatus != -1) {
			pfd[n].fd = r.gstatus;
			pfd[n].events = POLLIN;
			what[n++] = STATUS;
		}
		if (r.gerr != -1) {
			pfd[n].fd = r.gerr;
			pfd[n].events = POLLIN;
			what[n++] = ERR;
		}
		/* gpg closed all it writes to: it has ended. */
		if (r.gout == -1 && r.gstatus == -1 && r.gerr == -1)
			break;
		if (poll(pfd, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			err(KT_EXIT_FAIL, "poll");
		}
		if (timeout != -1)
			watch_output(&r);
		/* Readiness, an error or a hang-up: the read or write
		   tells which. */
		moved = 0;
		for (i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			got = 0;
			switch (what[i]) {
			case IN:
				got = read_input(&r);
				break;
			case GIN:
				got = r.gin != -1 ? write_input(&r) : 0;
				break;
			case GOUT:
				got = r.gout != -1 ? read_output(&r) : 0;
				break;
			case STATUS:
				if (read_status(&r) == -1)
					close_fd(&r.gstatus);
				break;
			case ERR:
				if (read_stderr(&r) == -1)
					close_fd(&r.gerr);
				break;
			}
			if (got > moved)
				moved = got;
		}
		/* gpg reads 8 KiB and writes 4 KiB at a time: woken for
		   each, we would take turns with it, one page per context
		   switch.  When little moved, let the pipes fill (or drain)
		   for a moment, unwatched; they hold a millisecond of gpg's
		   work. */
		if (big_pipes && moved > 0 && moved < COALESCE_BELOW)
			nanosleep(&nap, NULL);
	}
	watch_output(&r);
	close_fd(&r.gin);
	close_fd(&r.gcmd);
	job->wait_status = kt_proc_wait(&r.gpg);
	if (job->wait_status == -1)
		err(KT_EXIT_FAIL, "waiting for gpg");
}

void
kt_gpg_flush(struct kt_gpg_job *job)
{
	kt_write_or_die(job->out_fd, obuf, job->held, job->out_name);
	job->held = 0;
}

int
kt_gpg_exited_ok(const struct kt_gpg_job *job)
{
	return kt_proc_ok(job->wait_status);
}

int
kt_gpg_killed_by_other(const struct kt_gpg_job *job)
{
	return WIFSIGNALED(job->wait_status) && !job->killed;
}

const char *
kt_gpg_why(const struct kt_gpg_job *job)
{
	static char buf[64];
	char how[48];

	if (!WIFSIGNALED(job->wait_status) && job->last_words[0] != '\0')
		return job->last_words;
	snprintf(buf, sizeof(buf), "gpg %s",
	    kt_proc_status(job->wait_status, how, sizeof(how)));
	return buf;
}

int
kt_gpg_fields(const char *args, char *buf, size_t len, char *field[],
    int max)
{
	char *p;
	int n = 0;

	snprintf(buf, len, "%s", args);
	for (p = buf; n < max; ) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		field[n++] = p;
		if ((p = strchr(p, ' ')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

unsigned
kt_gpg_errcode(const char *arg)
{
	return gpg_err_code((gpg_error_t)strtoul(arg, NULL, 10));
}
