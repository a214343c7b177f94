/*
 * Path lists: one path a record, ended by a newline or, with -0, by a NUL
 * byte.  kt-collect writes them and kt-tar -c reads them.
 *
 * A list is complete only when its last record is terminated.  A writer
 * that fails ends its output with an unterminated record, so that the
 * reader at the other end of a plain sh pipeline, which never learns the
 * writer's exit status, refuses the list instead of archiving part of it.
 */
#ifndef KT_PATHLIST_H
#define KT_PATHLIST_H

#include <stddef.h>
#include <stdio.h>

/* Longest record a reader accepts, terminator excluded. */
#define KT_PATHLIST_MAX	65536

struct kt_pathlist;

/* Reads records from FD (not closed by kt_pathlist_free); NAME is what
   error messages call it.  NUL non-zero: records end with NUL bytes.
   Returns NULL only when out of memory. */
struct kt_pathlist *kt_pathlist_new(int fd, const char *name, int nul);
void kt_pathlist_free(struct kt_pathlist *);

/* Returns 1 and the next record in *PATH (NUL-terminated, valid until the
   next call) and its length in *LEN; 0 at the proper end of the list; -1
   on a read error, an unterminated last record, a record that is too long
   or, without NUL separators, a NUL byte: kt_pathlist_error() says why. */
int kt_pathlist_next(struct kt_pathlist *, const char **path, size_t *len);

/* One line, without the program's name. */
const char *kt_pathlist_error(const struct kt_pathlist *);

/* Writes PATH and its terminator to FP.  Returns 0, or -1 with errno
   EINVAL when PATH contains the terminator (a newline without -0), or
   with the stdio error. */
int kt_pathlist_put(FILE *fp, const char *path, int nul);

/* Ends the list on FP as incomplete: an unterminated record no reader
   accepts.  For a writer that failed. */
void kt_pathlist_put_incomplete(FILE *fp);

#endif
