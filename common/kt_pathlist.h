/*
 * Path lists: one path a record, ended by a newline or, with -0, by a NUL
 * byte.  kt-collect writes them and kt-tar -c reads them.
 *
 * A list is complete only when its last record is terminated.  A writer
 * that fails ends its output with an unterminated record, so that the
 * reader at the other end of a plain sh pipeline, which never learns the
 * writer's exit status, refuses the list instead of archiving part of it.
 *
 * A writer that is killed cannot say so, and may die exactly between two
 * records.  So kt-collect frames its list: the first record is
 * KT_PATHLIST_BEGIN, the last "/kt-collect end N" where N counts the
 * paths between them.  Both look like absolute paths, which no list may
 * hold (kt-tar -c refuses them), so they can never be taken for entries.
 * A reader that sees the begin record requires the end record, with the
 * right count, last; a list without the begin record (typed by hand, from
 * find -print0) is read as it is.
 */
#ifndef KT_PATHLIST_H
#define KT_PATHLIST_H

#include <stddef.h>
#include <stdio.h>

/* The framing records. */
#define KT_PATHLIST_BEGIN	"/kt-collect list 1"
#define KT_PATHLIST_END		"/kt-collect end "	/* and the count */

/* Longest record a reader accepts, terminator excluded. */
#define KT_PATHLIST_MAX	65536

struct kt_pathlist;

/* Reads records from FD (not closed by kt_pathlist_free); NAME is what
   error messages call it.  NUL non-zero: records end with NUL bytes.
   Returns NULL only when out of memory. */
struct kt_pathlist *kt_pathlist_new(int fd, const char *name, int nul);
void kt_pathlist_free(struct kt_pathlist *);

/* Returns 1 and the next path in *PATH (NUL-terminated, valid until the
   next call) and its length in *LEN; 0 at the proper end of the list; -1
   on a read error, an unterminated last record, a record that is too long
   or, without NUL separators, a NUL byte, and for a framed list a missing
   or wrong end record or anything after it: kt_pathlist_error() says why.
   The framing records are never returned. */
int kt_pathlist_next(struct kt_pathlist *, const char **path, size_t *len);

/* 1 when the list began with KT_PATHLIST_BEGIN (known after the first
   call to kt_pathlist_next). */
int kt_pathlist_framed(const struct kt_pathlist *);

/* One line, without the program's name. */
const char *kt_pathlist_error(const struct kt_pathlist *);

/* Writes PATH and its terminator to FP.  Returns 0, or -1 with errno
   EINVAL when PATH contains the terminator (a newline without -0), or
   with the stdio error. */
int kt_pathlist_put(FILE *fp, const char *path, int nul);

/* The framing: KT_PATHLIST_BEGIN before the first path, and the end
   record with the number of paths written after the last.  Return 0, or
   -1 with the stdio error. */
int kt_pathlist_put_begin(FILE *fp, int nul);
int kt_pathlist_put_end(FILE *fp, int nul, unsigned long long count);

/* Ends the list on FP as incomplete: an unterminated record no reader
   accepts.  For a writer that failed. */
void kt_pathlist_put_incomplete(FILE *fp);

#endif
