/*
 * Child programs run by fork(2) and execve(2), never through a shell, so
 * no argument is ever re-parsed and no secret needs quoting.  The child's
 * standard streams are pipes to and from the caller, /dev/null, or the
 * caller's own.
 */
#ifndef KT_PROC_H
#define KT_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* What to connect each of the child's standard streams to. */
enum kt_proc_fd {
	KT_PROC_INHERIT,	/* the caller's own descriptor */
	KT_PROC_PIPE,		/* a pipe to (stdin) or from the caller */
	KT_PROC_DEVNULL		/* /dev/null */
};

struct kt_proc {
	pid_t pid;		/* -1 once waited for */
	int in;			/* write end of the child's stdin pipe, or -1 */
	int out;		/* read end of its stdout pipe, or -1 */
	int err;		/* read end of its stderr pipe, or -1 */
};

/* Most descriptors kt_proc_spawn() can hand a child. */
#define KT_PROC_MAXFDS	8

/* kt_proc_spawn() flag: register the child with kt_cleanup, which kills
   it on exit and on SIGINT, SIGTERM, SIGHUP (before the caller could). */
#define KT_PROC_KILL_ON_EXIT	0x1

/*
 * Starts PATH (a path, not searched for) with ARGV and ENVP (NULL: the
 * caller's environment), the child's descriptor i being the caller's
 * FDS[i] for i < NFDS (any descriptor, in any order, close-on-exec or
 * not), or, where FDS[i] is -1, the caller's descriptor i as it is.  Other
 * descriptors the caller has open go along unless they are close-on-exec.
 * Signal handlers, SIGPIPE and the signal mask are reset in the child.  Returns the child's pid, or -1 with errno set, also when
 * PATH cannot be executed (the child reports its execve(2) error before
 * the caller returns).
 */
pid_t kt_proc_spawn(const char *path, char *const argv[], char *const envp[],
    const int fds[], int nfds, int flags);

/*
 * Starts PATH (a path, not searched for) with ARGV and ENVP (NULL: the
 * caller's environment).  SIGPIPE and the signal mask are reset in the
 * child.  Returns 0, or -1 with errno set, also when PATH cannot be
 * executed (the child reports its execve(2) error before the caller
 * returns).  Pipe ends held by the caller are close-on-exec.
 */
int kt_proc_start(struct kt_proc *, const char *path, char *const argv[],
    char *const envp[], enum kt_proc_fd in, enum kt_proc_fd out,
    enum kt_proc_fd err);

/* Closes the caller's end of the child's stdin pipe: its end of input. */
void kt_proc_close_in(struct kt_proc *);

/* Sends SIG to the child if it has not been waited for yet. */
void kt_proc_kill(const struct kt_proc *, int sig);

/*
 * Waits for the child (EINTR retried), closes the pipe ends still open,
 * takes it off kt_cleanup's list of children to kill at exit, and returns
 * its wait status, or -1 with errno set.
 */
int kt_proc_wait(struct kt_proc *);

/* "exited with status 1", "was killed by signal 9 (Killed)". */
const char *kt_proc_status(int status, char *buf, size_t len);

/* True when STATUS is a normal exit with code 0. */
int kt_proc_ok(int status);

/*
 * Finds NAME in the directories of PATH (or returns a copy of NAME if it
 * contains a slash).  Returns a malloc'ed path to an executable regular
 * file, or NULL with errno set (ENOENT when none).
 */
char *kt_proc_find(const char *name, const char *path);

#endif
