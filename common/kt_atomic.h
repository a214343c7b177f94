/*
 * An output file that exists under its final name only once it is whole:
 * written to a temporary file (mode 0600) in the target directory, then
 * fsync'ed, renamed into place and the directory fsync'ed.  Until then the
 * temporary file is registered with kt_cleanup, so an error, exit or
 * signal removes it.
 */
#ifndef KT_ATOMIC_H
#define KT_ATOMIC_H

#define KT_ATOMIC_NOREPLACE	0x1	/* fail with EEXIST, never overwrite */

struct kt_atomic {
	int fd;			/* write the content here */
	int dirfd;
	char *dir;
	char *tmppath;		/* full path of the temporary file */
	int cleanup;		/* kt_cleanup handle */
};

/* Creates a temporary file named PREFIX + random in DIR.  Returns 0, or -1
   with errno set. */
int kt_atomic_open(struct kt_atomic *, const char *dir, const char *prefix);

/* Same, for the file PATH will become: the temporary file goes beside it. */
int kt_atomic_open_for(struct kt_atomic *, const char *path);

/* Makes the content durable and gives it the name NAME (a file name inside
   DIR, or with kt_atomic_open_for the PATH).  Returns 0, or -1 with errno
   set, in which case the temporary file is still there for
   kt_atomic_abort().  EEXIST with KT_ATOMIC_NOREPLACE. */
int kt_atomic_commit(struct kt_atomic *, const char *name, int flags);

/* Removes the temporary file; safe to call after a commit (no-op). */
void kt_atomic_abort(struct kt_atomic *);

#endif
