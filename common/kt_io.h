/*
 * Full read and write loops: EINTR is retried, a short write is an error,
 * and a reader that went away (EPIPE) ends the program quietly with a
 * failing status, as a pipeline stage should.
 */
#ifndef KT_IO_H
#define KT_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Size of the buffers the filters move data with. */
#define KT_IO_BUFSIZE	(128 * 1024)

/* Reads until LEN bytes or end of file; returns the count (short only at
   end of file), or -1 with errno set. */
ssize_t kt_read_full(int fd, void *buf, size_t len);

/* Writes all LEN bytes; returns 0, or -1 with errno set. */
int kt_write_full(int fd, const void *buf, size_t len);

/* Exits after a write to WHAT failed with ERRNUM: quietly with
   KT_EXIT_FAIL on EPIPE (the reader went away: whoever reads our status
   knows, and a message would only be noise in a pipeline), with
   "prog: write to WHAT: reason" otherwise.  The one place that decides. */
void kt_write_failed(int errnum, const char *what)
    __attribute__((noreturn));

/* kt_write_full() that exits on failure with kt_write_failed(). */
void kt_write_or_die(int fd, const void *buf, size_t len, const char *what);

/* Copies IN to OUT until end of file; exits on error. */
void kt_copy_or_die(int in, const char *inname, int out, const char *outname);

/* Ends a program whose output went to standard output: a full disk or a
   failed close is an error (exit status non-zero). */
void kt_close_stdout_or_die(void);

#endif
