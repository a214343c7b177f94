#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kt_spool.h"

int
kt_spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd, saved;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
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
