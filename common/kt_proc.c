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

/* In the child: make FD (a standard stream) what HOW says.  Only
   async-signal-safe calls: we are between fork and execve. */
static int
child_fd(int fd, enum kt_proc_fd how, int p[2])
{
	int nfd;

	switch (how) {
	case KT_PROC_INHERIT:
		return 0;
	case KT_PROC_PIPE:
		nfd = fd == STDIN_FILENO ? p[0] : p[1];
		return dup2(nfd, fd) == -1 ? -1 : 0;
	case KT_PROC_DEVNULL:
		nfd = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY :
		    O_WRONLY);
		if (nfd == -1)
			return -1;
		if (nfd != fd && (dup2(nfd, fd) == -1 || close(nfd) == -1))
			return -1;
		return 0;
	}
	return -1;
}

int
kt_proc_start(struct kt_proc *p, const char *path, char *const argv[],
    char *const envp[], enum kt_proc_fd in, enum kt_proc_fd out,
    enum kt_proc_fd err)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int report[2] = { -1, -1 }, child_errno, saved;
	sigset_t none;
	ssize_t n;
	pid_t pid;

	p->pid = -1;
	p->in = p->out = p->err = -1;
	if ((in == KT_PROC_PIPE && pipe2(pin, O_CLOEXEC) == -1) ||
	    (out == KT_PROC_PIPE && pipe2(pout, O_CLOEXEC) == -1) ||
	    (err == KT_PROC_PIPE && pipe2(perr, O_CLOEXEC) == -1) ||
	    pipe2(report, O_CLOEXEC) == -1)
		goto fail;

	if ((pid = fork()) == -1)
		goto fail;
	if (pid == 0) {
		/* A pipe end that landed on 0, 1 or 2 (the caller had one of
		   them closed) must not be overwritten before it is used:
		   plain dup2 order 0, 1, 2 handles every case where the
		   caller keeps its standard descriptors open. */
		if (child_fd(STDIN_FILENO, in, pin) == -1 ||
		    child_fd(STDOUT_FILENO, out, pout) == -1 ||
		    child_fd(STDERR_FILENO, err, perr) == -1)
			goto child_fail;
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(path, argv, envp != NULL ? envp : environ);
child_fail:
		child_errno = errno;
		(void)!write(report[1], &child_errno, sizeof(child_errno));
		_exit(127);
	}

	close(report[1]);
	report[1] = -1;
	/* The report pipe closes on a successful execve: nothing to read. */
	do
		n = read(report[0], &child_errno, sizeof(child_errno));
	while (n == -1 && errno == EINTR);
	close(report[0]);
	report[0] = -1;
	if (n == (ssize_t)sizeof(child_errno)) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		errno = child_errno;
		goto fail;
	}

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
	close_pair(pin);
	close_pair(pout);
	close_pair(perr);
	close_pair(report);
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
