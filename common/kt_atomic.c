#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt_atomic.h"
#include "kt_cleanup.h"

static void
release(struct kt_atomic *a)
{
	if (a->fd != -1)
		close(a->fd);
	if (a->dirfd != -1)
		close(a->dirfd);
	free(a->dir);
	free(a->tmppath);
	a->fd = a->dirfd = -1;
	a->dir = a->tmppath = NULL;
}

int
kt_atomic_open(struct kt_atomic *a, const char *dir, const char *prefix)
{
	int saved;

	a->fd = a->dirfd = a->cleanup = -1;
	a->tmppath = NULL;
	if ((a->dir = strdup(dir)) == NULL)
		return -1;
	a->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->dirfd == -1)
		goto fail;
	if (asprintf(&a->tmppath, "%s/%sXXXXXX", dir, prefix) == -1) {
		a->tmppath = NULL;
		goto fail;
	}
	/* mkostemp creates with O_EXCL and mode 0600 whatever the umask,
	   and O_EXCL refuses to follow a planted symlink. */
	if ((a->fd = mkostemp(a->tmppath, O_CLOEXEC)) == -1)
		goto fail;
	a->cleanup = kt_cleanup_add(a->tmppath);
	return 0;
fail:
	saved = errno;
	release(a);
	errno = saved;
	return -1;
}

int
kt_atomic_open_for(struct kt_atomic *a, const char *path)
{
	char *copy, *base;
	int rc, saved;

	if ((copy = strdup(path)) == NULL)
		return -1;
	base = basename(copy);
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0 || strcmp(base, "/") == 0) {
		free(copy);
		errno = EISDIR;
		return -1;
	}
	free(copy);
	if ((copy = strdup(path)) == NULL)
		return -1;
	rc = kt_atomic_open(a, dirname(copy), ".kt-tmp.");
	saved = errno;
	free(copy);
	errno = saved;
	return rc;
}

/* renameat2(RENAME_NOREPLACE) where the file system has it, else a hard
   link, which also fails when the name exists. */
static int
rename_noreplace(int dirfd, const char *from, const char *to)
{
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(dirfd, from, dirfd, to, 0) == -1)
		return -1;
	unlinkat(dirfd, from, 0);
	return 0;
}

int
kt_atomic_commit(struct kt_atomic *a, const char *name, int flags)
{
	char *copy, *target;
	const char *tmpbase;
	int rc;

	if (fsync(a->fd) == -1)
		return -1;
	/* Both names are resolved relative to the directory we opened, so
	   the file lands where its temporary copy was written. */
	if ((copy = strdup(name)) == NULL)
		return -1;
	target = basename(copy);
	tmpbase = strrchr(a->tmppath, '/') + 1;
	if (flags & KT_ATOMIC_NOREPLACE)
		rc = rename_noreplace(a->dirfd, tmpbase, target);
	else
		rc = renameat(a->dirfd, tmpbase, a->dirfd, target);
	free(copy);
	if (rc == -1)
		return -1;
	kt_cleanup_forget(a->cleanup);
	a->cleanup = -1;
	rc = fsync(a->dirfd);
	release(a);
	return rc;
}

void
kt_atomic_abort(struct kt_atomic *a)
{
	if (a->tmppath != NULL && a->cleanup != -1) {
		unlink(a->tmppath);
		kt_cleanup_forget(a->cleanup);
		a->cleanup = -1;
	}
	release(a);
}
