/*
 * kt-faults.so: an LD_PRELOAD shim that makes system calls fail, or the
 * process die, when the environment says so.  Built for the tests only,
 * to show what a program does on a disk error, an fsync error, a crash
 * at a chosen point or a fixed clock.
 *
 *   KT_FAULT_MATCH=STR     which files the write and file fsync faults hit:
 *                          those whose path contains STR (default
 *                          "/.kt-roll.", kt-roll's temporary files)
 *   KT_FAULT_WRITE=ERR[@N] write() to a matching file fails with errno ERR
 *                          (EIO, ENOSPC, EFBIG, EDQUOT) once N bytes
 *                          (default 0) were written to matching files;
 *                          the write that crosses N is cut short at N
 *   KT_FAULT_FSYNC=KIND[:ERR]
 *                          fsync() and fdatasync() of a matching file
 *                          (KIND "file") or of any directory (KIND "dir")
 *                          fail with ERR (default EIO)
 *   KT_FAULT_FLOCK=dir[:ERR]
 *                          flock() of a directory fails with ERR (default
 *                          EBADF), as on NFS
 *   KT_FAULT_KILL=FUNC[:N[:after]]
 *                          SIGKILL at the Nth call (default 1) of FUNC:
 *                          write (matching files only), fsync, renameat2,
 *                          renameat, rename, linkat, unlinkat, unlink,
 *                          flock; before the call, or after it
 *   KT_FAULT_TIME=SECONDS  time(), gettimeofday() and
 *                          clock_gettime(CLOCK_REALTIME) return this time
 *
 * Under AddressSanitizer set ASAN_OPTIONS=verify_asan_link_order=0.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long written;	/* bytes written to matching files */

static void *
real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (f == NULL) {
		fprintf(stderr, "kt-faults: no %s\n", name);
		abort();
	}
	return f;
}

static int
errno_named(const char *s, int dflt)
{
	static const struct { const char *name; int value; } names[] = {
		{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EFBIG", EFBIG },
		{ "EDQUOT", EDQUOT }, { "EROFS", EROFS }, { "EACCES", EACCES },
		{ "EPERM", EPERM }, { "EINTR", EINTR }, { "EBADF", EBADF },
		{ "ENOLCK", ENOLCK }, { "EINVAL", EINVAL },
	};
	size_t i;

	if (s == NULL || *s == '\0')
		return dflt;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(s, names[i].name, strlen(names[i].name)) == 0)
			return names[i].value;
	return atoi(s) > 0 ? atoi(s) : dflt;
}

static int
matches(int fd)
{
	const char *want = getenv("KT_FAULT_MATCH");
	char link[64], path[4096];
	struct stat sb;
	ssize_t n;

	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) == -1)
		return 0;
	path[n] = '\0';
	return strstr(path, want != NULL ? want : "/.kt-roll.") != NULL;
}

/* KT_FAULT_KILL: dies at the chosen call of FUNC, before it (WHEN 0) or
   after it (WHEN 1). */
static void
maybe_die(const char *func, int when)
{
	static int calls[16];
	static const char *seen[16];
	const char *spec = getenv("KT_FAULT_KILL"), *p;
	size_t fl = strlen(func);
	int i, n = 1, after = 0;

	if (spec == NULL || strncmp(spec, func, fl) != 0 ||
	    (spec[fl] != '\0' && spec[fl] != ':'))
		return;
	p = spec + fl;
	if (*p == ':') {
		n = atoi(p + 1);
		if ((p = strchr(p + 1, ':')) != NULL)
			after = strcmp(p + 1, "after") == 0;
	}
	for (i = 0; i < 16 && seen[i] != NULL && strcmp(seen[i], func); i++)
		;
	if (i == 16)
		return;
	seen[i] = func;
	if (when == 0)
		calls[i]++;
	if (calls[i] == n && when == after)
		raise(SIGKILL);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*f)(int, const void *, size_t);
	const char *spec = getenv("KT_FAULT_WRITE"), *at;
	long long limit = 0;
	ssize_t n;
	int m;

	if (f == NULL)
		f = real("write");
	if (spec == NULL && getenv("KT_FAULT_KILL") == NULL)
		return f(fd, buf, len);
	m = matches(fd);
	if (m)
		maybe_die("write", 0);
	if (m && spec != NULL) {
		if ((at = strchr(spec, '@')) != NULL)
			limit = atoll(at + 1);
		if (written >= limit) {
			errno = errno_named(spec, EIO);
			return -1;
		}
		if ((long long)len > limit - written)
			len = (size_t)(limit - written);
	}
	n = f(fd, buf, len);
	if (m && n > 0)
		written += n;
	if (m)
		maybe_die("write", 1);
	return n;
}

static int
fsync_fault(int fd)
{
	const char *spec = getenv("KT_FAULT_FSYNC");
	struct stat sb;
	const char *c;

	if (spec == NULL || fstat(fd, &sb) == -1)
		return 0;
	c = strchr(spec, ':');
	if ((strncmp(spec, "dir", 3) == 0 && S_ISDIR(sb.st_mode)) ||
	    (strncmp(spec, "file", 4) == 0 && matches(fd))) {
		errno = errno_named(c != NULL ? c + 1 : NULL, EIO);
		return -1;
	}
	return 0;
}

int
fsync(int fd)
{
	static int (*f)(int);
	int rc;

	if (f == NULL)
		f = real("fsync");
	maybe_die("fsync", 0);
	if (fsync_fault(fd) == -1)
		return -1;
	rc = f(fd);
	maybe_die("fsync", 1);
	return rc;
}

int
fdatasync(int fd)
{
	static int (*f)(int);

	if (f == NULL)
		f = real("fdatasync");
	if (fsync_fault(fd) == -1)
		return -1;
	return f(fd);
}

#define WRAP(ret, name, params, args)				\
ret name params							\
{								\
	static ret (*f) params;					\
	ret rc;							\
								\
	if (f == NULL)						\
		f = real(#name);				\
	maybe_die(#name, 0);					\
	rc = f args;						\
	maybe_die(#name, 1);					\
	return rc;						\
}

WRAP(int, renameat2, (int a, const char *b, int c, const char *d,
    unsigned int e), (a, b, c, d, e))
WRAP(int, renameat, (int a, const char *b, int c, const char *d),
    (a, b, c, d))
WRAP(int, rename, (const char *a, const char *b), (a, b))
WRAP(int, linkat, (int a, const char *b, int c, const char *d, int e),
    (a, b, c, d, e))
WRAP(int, unlinkat, (int a, const char *b, int c), (a, b, c))
WRAP(int, unlink, (const char *a), (a))

int
flock(int fd, int op)
{
	static int (*f)(int, int);
	const char *spec = getenv("KT_FAULT_FLOCK"), *c;
	struct stat sb;
	int rc;

	if (f == NULL)
		f = real("flock");
	maybe_die("flock", 0);
	if (spec != NULL && strncmp(spec, "dir", 3) == 0 &&
	    fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		c = strchr(spec, ':');
		errno = errno_named(c != NULL ? c + 1 : NULL, EBADF);
		return -1;
	}
	rc = f(fd, op);
	maybe_die("flock", 1);
	return rc;
}

static int
fixed_time(time_t *t)
{
	const char *s = getenv("KT_FAULT_TIME");

	if (s == NULL)
		return 0;
	*t = (time_t)atoll(s);
	return 1;
}

time_t
time(time_t *out)
{
	static time_t (*f)(time_t *);
	time_t t;

	if (!fixed_time(&t)) {
		if (f == NULL)
			f = real("time");
		return f(out);
	}
	if (out != NULL)
		*out = t;
	return t;
}

int
gettimeofday(struct timeval *tv, void *tz)
{
	static int (*f)(struct timeval *, void *);
	time_t t;

	if (!fixed_time(&t)) {
		if (f == NULL)
			f = real("gettimeofday");
		return f(tv, tz);
	}
	tv->tv_sec = t;
	tv->tv_usec = 0;
	return 0;
}

int
clock_gettime(clockid_t clk, struct timespec *ts)
{
	static int (*f)(clockid_t, struct timespec *);
	time_t t;

	if (clk != CLOCK_REALTIME || !fixed_time(&t)) {
		if (f == NULL)
			f = real("clock_gettime");
		return f(clk, ts);
	}
	ts->tv_sec = t;
	ts->tv_nsec = 0;
	return 0;
}
