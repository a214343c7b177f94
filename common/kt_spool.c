#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kt_spool.h"

const char *
kt_spool_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir == NULL || *dir == '\0' ? "/tmp" : dir;
}

int
kt_spool_open(void)
{
	const char *dir = kt_spool_dir();
	char *path;
	int fd, saved;

	/* O_TMPFILE never gives the file a name at all. */
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd != -1 || (errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL))
		return fd;
	/* File systems without O_TMPFILE: name it for an instant. */
	if (asprintf(&path, "%s/.kt-spool.XXXXXX", dir) == -1)
		return -1;
	fd = mkostemp(path, O_CLOEXEC);
	saved = errno;
	if (fd != -1)
		unlink(path);
	free(path);
	errno = saved;
	return fd;
}
