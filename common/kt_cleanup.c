#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kt_cleanup.h"
#include "kt_err.h"

#define KT_CLEANUP_SLOTS 16
#define KT_CLEANUP_CHILDREN 4
#define KT_CLEANUP_HOOKS 8

/*
 * The signal handler reads this table, so a slot is published only once
 * its path is complete (path first, then kind) and only async-signal-safe
 * calls are used to remove things.
 */
static struct {
	char *path;
	volatile sig_atomic_t kind;	/* 0 free, 1 file, 2 tree */
} slots[KT_CLEANUP_SLOTS];

/* Children to kill first: a gpg left running would finish its message. */
static volatile pid_t children[KT_CLEANUP_CHILDREN];

/* Run on exit only, never from a signal handler. */
static struct {
	void (*fn)(void *);
	void *arg;
} hooks[KT_CLEANUP_HOOKS];

/* Removes the contents of directory DIRFD with raw getdents64(2), which,
   unlike readdir(3), allocates nothing and is safe in a signal handler. */
static void
remove_contents(int dirfd, int depth)
{
	char buf[4096] __attribute__((aligned(8)));
	struct kt_dirent64 {
		unsigned long long d_ino;
		long long d_off;
		unsigned short d_reclen;
		unsigned char d_type;
		char d_name[];
	} *de;
	long n, off;
	int fd, removed;

	if (depth > 64)
		return;
	/* Removing entries while listing may hide others from this pass:
	   list again until a pass removes nothing. */
	do {
		removed = 0;
		lseek(dirfd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, dirfd, buf,
		    sizeof(buf))) > 0) {
			for (off = 0; off < n; off += de->d_reclen) {
				de = (struct kt_dirent64 *)(buf + off);
				if (strcmp(de->d_name, ".") == 0 ||
				    strcmp(de->d_name, "..") == 0)
					continue;
				if (unlinkat(dirfd, de->d_name, 0) == 0) {
					removed = 1;
					continue;
				}
				fd = openat(dirfd, de->d_name, O_RDONLY |
				    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (fd == -1)
					continue;
				remove_contents(fd, depth + 1);
				close(fd);
				if (unlinkat(dirfd, de->d_name,
				    AT_REMOVEDIR) == 0)
					removed = 1;
			}
		}
	} while (removed);
}

static void
remove_slot(int i)
{
	int saved = errno, fd;

	if (slots[i].kind == 1)
		unlink(slots[i].path);
	else if (slots[i].kind == 2) {
		fd = open(slots[i].path,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1) {
			remove_contents(fd, 0);
			close(fd);
		}
		rmdir(slots[i].path);
	}
	slots[i].kind = 0;
	errno = saved;
}

static void
kill_children(void)
{
	int i, saved = errno;

	for (i = 0; i < KT_CLEANUP_CHILDREN; i++)
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			children[i] = 0;
		}
	errno = saved;
}

void
kt_cleanup_run(void)
{
	int i;

	kill_children();
	for (i = 0; i < KT_CLEANUP_SLOTS; i++)
		remove_slot(i);
}

void
kt_cleanup_exit(void)
{
	void (*fn)(void *);
	int i;

	kill_children();
	for (i = KT_CLEANUP_HOOKS - 1; i >= 0; i--) {
		/* Cleared first, so that each runs once.  A hook never
		   calls exit(3) itself (err(3) included): it says what
		   failed and returns, and the rest still run. */
		if ((fn = hooks[i].fn) == NULL)
			continue;
		hooks[i].fn = NULL;
		fn(hooks[i].arg);
	}
	kt_cleanup_run();
}

int
kt_cleanup_add_hook(void (*fn)(void *), void *arg)
{
	int i;

	/* Above the newest hook still registered, so that running them
	   from the top down runs the newest first. */
	for (i = KT_CLEANUP_HOOKS; i > 0 && hooks[i - 1].fn == NULL; i--)
		continue;
	if (i == KT_CLEANUP_HOOKS)
		errx(KT_EXIT_FAIL, "too many cleanup hooks");
	hooks[i].fn = fn;
	hooks[i].arg = arg;
	return i;
}

void
kt_cleanup_forget_hook(int handle)
{
	if (handle >= 0 && handle < KT_CLEANUP_HOOKS)
		hooks[handle].fn = NULL;
}

static void
on_signal(int sig)
{
	kt_cleanup_run();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
add(const char *path, int kind)
{
	int i;

	for (i = 0; i < KT_CLEANUP_SLOTS; i++) {
		if (slots[i].kind != 0)
			continue;
		free(slots[i].path);
		if ((slots[i].path = strdup(path)) == NULL)
			err(KT_EXIT_FAIL, NULL);
		slots[i].kind = kind;
		return i;
	}
	errx(KT_EXIT_FAIL, "too many temporary files");
}

int
kt_cleanup_add(const char *path)
{
	return add(path, 1);
}

int
kt_cleanup_add_tree(const char *path)
{
	return add(path, 2);
}

void
kt_cleanup_forget(int handle)
{
	if (handle >= 0 && handle < KT_CLEANUP_SLOTS)
		slots[handle].kind = 0;
}

void
kt_cleanup_add_child(pid_t pid)
{
	int i;

	for (i = 0; i < KT_CLEANUP_CHILDREN; i++)
		if (children[i] == 0) {
			children[i] = pid;
			return;
		}
	errx(KT_EXIT_FAIL, "too many child processes");
}

void
kt_cleanup_forget_child(pid_t pid)
{
	int i;

	for (i = 0; i < KT_CLEANUP_CHILDREN; i++)
		if (children[i] == pid)
			children[i] = 0;
}

void
kt_on_stop_signals(void (*handler)(int))
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* A signal the caller ignores (nohup, a background job)
		   stays ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

void
kt_init(void)
{
	setlocale(LC_ALL, "");
	kt_on_stop_signals(on_signal);
	signal(SIGPIPE, SIG_IGN);
	atexit(kt_cleanup_exit);
}
