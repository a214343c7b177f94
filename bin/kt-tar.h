/*
 * kt-tar's parts: kt-tar.c (options, -t), kt-tar-read.c (reading an
 * archive), kt-tar-create.c (-c) and kt-tar-extract.c (-x).
 */
#ifndef KT_TAR_H
#define KT_TAR_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "kt_sha256.h"

struct archive;
struct archive_entry;
struct kt_check;
struct kt_manifest_reader;

struct kt_tar_opts {
	int mode;		/* 'c', 't' or 'x' */
	int nul;		/* -0 */
	int gzip;		/* -z */
	const char *dir;	/* -C */
	const char *list;	/* -T */
	const char *stdin_member;	/* --stdin-member */
	int same_owner;		/* --same-owner */
	int numeric_owner;	/* --numeric-owner */
	int keep_old;		/* --keep-old-files */
	const char *to_stdout;	/* --to-stdout */
	char **excludes;	/* --exclude, tidied (kt_tar_exclude_add) */
	int nexcludes;
};

/* Adds --exclude PATTERN to O: a leading "/" or "./" and trailing slashes
   are dropped, as member names have none. */
void kt_tar_exclude_add(struct kt_tar_opts *o, const char *pattern);

/*
 * Reading an archive from standard input: every byte goes through the
 * stream checker as libarchive reads it, so that the manifest is checked
 * in the same pass.  The checker runs in a thread of its own, a few
 * buffers behind libarchive: hashing overlaps with extracting.
 *
 * What libarchive delivers is recorded too, member by member (type,
 * path, link target, size, the SHA-256 of the data it hands out, whether
 * or not the caller wants the data), and compared at the end with the
 * members the checker read (kt_check_compare): the manifest vouches for
 * what the checker read, so both must be the same.
 */
#define KT_TAR_READ_BUFS	8
#define KT_TAR_READ_BUFSIZE	(256 * 1024)

struct kt_tar_reader {
	struct archive *a;
	struct kt_check *check;
	unsigned char *buf[KT_TAR_READ_BUFS];
	size_t len[KT_TAR_READ_BUFS];
	size_t bufsize;
	int fd;
	int read_errno;		/* a read(2) failed */
	uint64_t total;		/* bytes read */
	int threaded;		/* the checker thread runs */
	pthread_t thread;
	pthread_mutex_t lock;	/* guards what follows */
	pthread_cond_t posted_cv, checked_cv;
	uint64_t posted;	/* buffers handed to the checker */
	uint64_t checked;	/* buffers it is done with */
	int eof;		/* no more will come */
	int check_failed;	/* the checker refused the stream */
	int checker_idle;	/* the checker waits for a buffer */
	int reader_waits;	/* the reader waits for the checker... */
	uint64_t wake_at;	/* ...to be done with this many */

	/* The member libarchive delivers, for kt_check_compare. */
	struct kt_manifest_reader *view;
	int cur;		/* a member is open */
	int curtype;		/* KT_MANIFEST_* */
	char *curpath, *curlink;
	uint64_t cursize;	/* its size, as libarchive says */
	uint64_t curgot;	/* data bytes delivered so far */
	int curdone;		/* all of its data was delivered */
	struct kt_sha256 cursha;
};

struct kt_tar_reader *kt_tar_reader_open(void);

/* The next member's header in *E, with libarchive's warning about it
   printed: returns 1, or 0 at the end of the members; exits through
   kt_tar_reader_fail() when the archive cannot be read. */
int kt_tar_reader_next(struct kt_tar_reader *, struct archive_entry **e);

/* The next block of the member's data, as archive_read_data_block()
   gives it, recorded for the comparison: returns 1, or 0 at the end of
   the data.  Exits through kt_tar_reader_fail() when the archive cannot
   be read, and refuses data with holes (the checker refuses sparse
   members: libarchive must not find one). */
int kt_tar_reader_data_block(struct kt_tar_reader *, const void **buf,
    size_t *size, int64_t *offset);

/* Writes the data of the member E heads to FD, from FD's offset 0.
   Exits through kt_tar_reader_fail() when the archive cannot be read;
   returns 0, or -1 with errno set when writing FD fails. */
int kt_tar_reader_data_to_fd(struct kt_tar_reader *, struct archive_entry *e,
    int fd);

/* After kt_tar_reader_next() returned 0: reads the rest of
   the input through the checker and exits unless the archive is complete
   (end-of-archive marker, and the manifest when kt-tar made it) and
   libarchive delivered exactly the members the checker read. */
void kt_tar_reader_finish(struct kt_tar_reader *);

/* Exits with the most precise reason a read of the archive failed:
   the checker's, a read error, or libarchive's message. */
void kt_tar_reader_fail(struct kt_tar_reader *) __attribute__((noreturn));

void kt_tar_reader_free(struct kt_tar_reader *);

/*
 * Ends the program after a failure: runs kt_tar_on_failure (the
 * extraction's cleanup), removes temporary files, flushes the output and
 * exits at once.  A failure can strike deep inside the work, temporary
 * strings still in hand: leaving without exit(3) keeps the sanitizers'
 * leak check, meant for the paths that finish, from counting them.
 */
void kt_tar_exit(int code) __attribute__((noreturn));
void kt_tar_die(int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
extern void (*kt_tar_on_failure)(void);

/* "./a//b/" -> "a/b" (malloc'ed), "./" -> "".  Refuses absolute paths
   and ".." anywhere: returns NULL with *why set. */
char *kt_tar_clean_name(const char *name, const char **why);

/* A member's name as tar prints it: control bytes and backslashes
   escaped, so that a listing has one member a line. */
void kt_tar_print_name_to(FILE *, const char *);

void kt_tar_create(const struct kt_tar_opts *);
void kt_tar_extract(const struct kt_tar_opts *);

#endif
