#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "kt_err.h"
#include "kt_io.h"

ssize_t
kt_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, p + done, len - done);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int
kt_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			/* write(2) never returns 0 for a non-empty buffer on
			   a working descriptor; do not spin on it. */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void
kt_write_failed(int errnum, const char *what)
{
	if (errnum == EPIPE)
		exit(KT_EXIT_FAIL);
	errno = errnum;
	err(KT_EXIT_FAIL, "write to %s", what);
}

void
kt_write_or_die(int fd, const void *buf, size_t len, const char *what)
{
	if (kt_write_full(fd, buf, len) == 0)
		return;
	kt_write_failed(errno, what);
}

/* sendfile(2) moves file data to OUT inside the kernel; it refuses some
   pairs of descriptors (EINVAL), and then nothing has been moved yet. */
static int
copy_in_kernel(int in, int out, const char *outname)
{
	ssize_t n;
	int moved = 0;

	for (;;) {
		n = sendfile(out, in, NULL, 1 << 30);
		if (n > 0) {
			moved = 1;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR || errno == EAGAIN)
			continue;
		if (!moved && (errno == EINVAL || errno == ENOSYS))
			return -1;
		kt_write_failed(errno, outname);
	}
}

void
kt_copy_or_die(int in, const char *inname, int out, const char *outname)
{
	static char buf[KT_IO_BUFSIZE];
	ssize_t n;

	if (copy_in_kernel(in, out, outname) == 0)
		return;
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n == 0)
			return;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(KT_EXIT_FAIL, "read from %s", inname);
		}
		kt_write_or_die(out, buf, (size_t)n, outname);
	}
}

void
kt_close_stdout_or_die(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		kt_write_failed(errno, "standard output");
	if (close(STDOUT_FILENO) == -1 && errno != EBADF) {
		if (errno == EPIPE)
			exit(KT_EXIT_FAIL);
		err(KT_EXIT_FAIL, "close standard output");
	}
}
