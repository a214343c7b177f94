#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kt_cleanup.h"
#include "kt_proc.h"

extern char **environ;

static void
close_pair(int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	p[0] = p[1] = -1;
}

/*
 * In the child, between fork and execve (async-signal-safe calls only):
 * FDS[i] becomes descriptor i.  Every source is first moved out of the way
 * (to NFDS or above), so that no dup2 clobbers a source still to be used,
 * whatever numbers the caller's descriptors have.
 */
static int
child_fds(const int fds[], int nfds)
{
	int tmp[KT_PROC_MAXFDS], i;

	for (i = 0; i < nfds; i++) {
		tmp[i] = -1;
		if (fds[i] == -1 || fds[i] == i)
			continue;
		if ((tmp[i] = fcntl(fds[i], F_DUPFD, nfds)) == -1)
			return -1;
	}
	for (i = 0; i < nfds; i++) {
		if (fds[i] == i && fcntl(i, F_SETFD, 0) == -1)
			return -1;
		if (tmp[i] != -1 &&
		    (dup2(tmp[i], i) == -1 || close(tmp[i]) == -1))
			return -1;
	}
	return 0;
}

pid_t
kt_proc_spawn(const char *path, char *const argv[], char *const envp[],
    const int fds[], int nfds, int flags)
{
	static const int stop[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	int report[2], child_errno, saved;
	sigset_t all, old, none;
	struct sigaction sa;
	size_t i;
	ssize_t n;
	pid_t pid;

	if (nfds > KT_PROC_MAXFDS) {
		errno = EINVAL;
		return -1;
	}
	if (pipe2(report, O_CLOEXEC) == -1)
		return -1;
	/* No signal handler of ours may run in the child before execve
	   (it would remove our files), nor between fork and registering
	   the child in the parent. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = fork()) == -1) {
		saved = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(report[0]);
		close(report[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		/* Our handlers go; a signal the caller ignores (nohup)
		   stays ignored, but for SIGPIPE, which only we ignore. */
		for (i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
			if (sigaction(stop[i], NULL, &sa) == 0 &&
			    (sa.sa_handler != SIG_IGN || stop[i] == SIGPIPE))
				signal(stop[i], SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* The report pipe must not be among the descriptors
		   child_fds() overwrites. */
		if (report[1] < nfds &&
		    (report[1] = fcntl(report[1], F_DUPFD_CLOEXEC, nfds)) == -1)
			_exit(127);
		if (child_fds(fds, nfds) == 0)
			execve(path, argv, envp != NULL ? envp : environ);
		child_errno = errno;
		(void)!write(report[1], &child_errno, sizeof(child_errno));
		_exit(127);
	}
	if (flags & KT_PROC_KILL_ON_EXIT)
		kt_cleanup_add_child(pid);
	sigprocmask(SIG_SETMASK, &old, NULL);

	close(report[1]);
	/* The report pipe closes on a successful execve: nothing to read. */
	do
		n = read(report[0], &child_errno, sizeof(child_errno));
	while (n == -1 && errno == EINTR);
	close(report[0]);
	if (n == (ssize_t)sizeof(child_errno)) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		kt_cleanup_forget_child(pid);
		errno = child_errno;
		return -1;
	}
	return pid;
}

int
kt_proc_start(struct kt_proc *p, const char *path, char *const argv[],
    char *const envp[], enum kt_proc_fd in, enum kt_proc_fd out,
    enum kt_proc_fd err)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int null = -1, fds[3], saved;
	const enum kt_proc_fd how[3] = { in, out, err };
	int *pipes[3] = { pin, pout, perr };
	pid_t pid;
	int i;

	p->pid = -1;
	p->in = p->out = p->err = -1;
	for (i = 0; i < 3; i++) {
		switch (how[i]) {
		case KT_PROC_INHERIT:
			fds[i] = -1;
			break;
		case KT_PROC_PIPE:
			if (pipe2(pipes[i], O_CLOEXEC) == -1)
				goto fail;
			fds[i] = pipes[i][i == STDIN_FILENO ? 0 : 1];
			break;
		case KT_PROC_DEVNULL:
			if (null == -1 && (null = open("/dev/null",
			    O_RDWR | O_CLOEXEC)) == -1)
				goto fail;
			fds[i] = null;
			break;
		}
	}
	if ((pid = kt_proc_spawn(path, argv, envp, fds, 3, 0)) == -1)
		goto fail;
	if (null != -1)
		close(null);
	if (pin[0] != -1)
		close(pin[0]);
	if (pout[1] != -1)
		close(pout[1]);
	if (perr[1] != -1)
		close(perr[1]);
	p->pid = pid;
	p->in = pin[1];
	p->out = pout[0];
	p->err = perr[0];
	return 0;

fail:
	saved = errno;
	if (null != -1)
		close(null);
	close_pair(pin);
	close_pair(pout);
	close_pair(perr);
	errno = saved;
	return -1;
}

void
kt_proc_close_in(struct kt_proc *p)
{
	if (p->in != -1) {
		close(p->in);
		p->in = -1;
	}
}

void
kt_proc_kill(const struct kt_proc *p, int sig)
{
	if (p->pid > 0)
		kill(p->pid, sig);
}

int
kt_proc_wait(struct kt_proc *p)
{
	int status;
	pid_t r;

	kt_proc_close_in(p);
	if (p->out != -1) {
		close(p->out);
		p->out = -1;
	}
	if (p->err != -1) {
		close(p->err);
		p->err = -1;
	}
	if (p->pid <= 0) {
		errno = ECHILD;
		return -1;
	}
	while ((r = waitpid(p->pid, &status, 0)) == -1 && errno == EINTR)
		;
	/* Reaped, its pid is free for anyone: kt_cleanup must not kill it
	   at our exit. */
	if (r != -1)
		kt_cleanup_forget_child(p->pid);
	p->pid = -1;
	return r == -1 ? -1 : status;
}

const char *
kt_proc_status(int status, char *buf, size_t len)
{
	if (status == -1)
		snprintf(buf, len, "could not be waited for");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status %#x", status);
	return buf;
}

int
kt_proc_ok(int status)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int
is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

char *
kt_proc_find(const char *name, const char *path)
{
	const char *dir, *end;
	char *cand;
	int len;

	if (strchr(name, '/') != NULL) {
		errno = 0;
		if (!is_executable(name)) {
			if (errno == 0)
				errno = EACCES;
			return NULL;
		}
		return strdup(name);
	}
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (dir = path; ; dir = end + 1) {
		end = strchr(dir, ':');
		len = end != NULL ? (int)(end - dir) : (int)strlen(dir);
		/* An empty entry means the current directory: not for
		   programs that handle a database's keys. */
		if (len > 0) {
			if (asprintf(&cand, "%.*s/%s", len, dir, name) == -1)
				return NULL;
			if (is_executable(cand))
				return cand;
			free(cand);
		}
		if (end == NULL)
			break;
	}
	errno = ENOENT;
	return NULL;
}
