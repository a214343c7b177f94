/*
 * Reading an archive for kt-tar -t and -x: libarchive parses it through
 * our read callback, and every byte it reads also goes, in order, to the
 * stream checker (kt_check.h): a cut archive, or one whose manifest does
 * not match, is refused in the same pass.
 *
 * Checking (SHA-256 of every member, the manifest) costs about as much
 * as extracting, so the checker runs in a thread of its own: the read
 * callback hands each buffer to it and carries on, and waits only when
 * the checker is KT_TAR_READ_BUFS buffers behind.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kt_check.h"
#include "kt_err.h"
#include "kt_io.h"
#include "kt_manifest.h"
#include "kt-tar.h"

static void *
checker(void *cookie)
{
	struct kt_tar_reader *r = cookie;
	size_t slot;
	int failed;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (r->checked == r->posted && !r->eof) {
			r->checker_idle = 1;
			pthread_cond_wait(&r->posted_cv, &r->lock);
			r->checker_idle = 0;
		}
		if (r->checked == r->posted)
			break;
		slot = r->checked % KT_TAR_READ_BUFS;
		failed = r->check_failed;
		pthread_mutex_unlock(&r->lock);
		if (!failed && kt_check_feed(r->check, r->buf[slot],
		    r->len[slot]) == -1)
			failed = 1;
		pthread_mutex_lock(&r->lock);
		r->check_failed = failed;
		r->checked++;
		if (r->reader_waits && (failed || r->checked >= r->wake_at))
			pthread_cond_signal(&r->checked_cv);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* No more input: lets the checker finish what it has, and waits. */
static void
reader_stop(struct kt_tar_reader *r)
{
	if (!r->threaded)
		return;
	pthread_mutex_lock(&r->lock);
	r->eof = 1;
	pthread_cond_signal(&r->posted_cv);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	r->threaded = 0;
}

static int
check_failed(struct kt_tar_reader *r)
{
	int failed;

	if (!r->threaded)
		return r->check_failed;
	pthread_mutex_lock(&r->lock);
	failed = r->check_failed;
	pthread_mutex_unlock(&r->lock);
	return failed;
}

static ssize_t
reader_read(struct archive *a, void *cookie, const void **out)
{
	struct kt_tar_reader *r = cookie;
	size_t slot = r->posted % KT_TAR_READ_BUFS;
	ssize_t n;
	int failed;

	/* The slot's last contents, from KT_TAR_READ_BUFS calls ago, are
	   long released by libarchive; the checker must be done too. */
	if (r->threaded) {
		pthread_mutex_lock(&r->lock);
		/* Once we have to wait, we wait for half the buffers: a
		   wake-up for each one costs more than it saves. */
		r->wake_at = r->posted - KT_TAR_READ_BUFS / 2;
		while (!r->check_failed &&
		    r->checked + KT_TAR_READ_BUFS <= r->posted) {
			r->reader_waits = 1;
			pthread_cond_wait(&r->checked_cv, &r->lock);
			r->reader_waits = 0;
		}
		failed = r->check_failed;
		pthread_mutex_unlock(&r->lock);
	} else
		failed = r->check_failed;
	if (failed) {
		archive_set_error(a, EINVAL, "the stream check failed");
		return -1;
	}
	do
		n = read(r->fd, r->buf[slot], r->bufsize);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		r->read_errno = errno;
		archive_set_error(a, errno, "read error");
		return -1;
	}
	if (n == 0)
		return 0;
	r->total += (uint64_t)n;
	if (r->threaded) {
		pthread_mutex_lock(&r->lock);
		r->len[slot] = (size_t)n;
		r->posted++;
		if (r->checker_idle)
			pthread_cond_signal(&r->posted_cv);
		pthread_mutex_unlock(&r->lock);
	} else {
		r->posted++;
		if (kt_check_feed(r->check, r->buf[slot], (size_t)n) == -1) {
			r->check_failed = 1;
			archive_set_error(a, EINVAL, "the stream check failed");
			return -1;
		}
	}
	*out = r->buf[slot];
	return n;
}

struct kt_tar_reader *
kt_tar_reader_open(void)
{
	struct kt_tar_reader *r;
	int i;

	if (isatty(STDIN_FILENO))
		errx(KT_EXIT_USAGE, "refusing to read an archive from a "
		    "terminal: redirect standard input");
	/* The view first: it sets up libgcrypt before the checker's
	   thread may. */
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->view = kt_manifest_reader_new(1)) == NULL ||
	    kt_sha256_init(&r->cursha) == -1 ||
	    (r->check = kt_check_new(KT_CHECK_HASH)) == NULL ||
	    (r->a = archive_read_new()) == NULL)
		err(KT_EXIT_FAIL, NULL);
	r->bufsize = KT_TAR_READ_BUFSIZE;
	for (i = 0; i < KT_TAR_READ_BUFS; i++)
		if ((r->buf[i] = malloc(r->bufsize)) == NULL)
			err(KT_EXIT_FAIL, NULL);
	r->fd = STDIN_FILENO;
	/* Without a thread the checker simply runs in the read callback. */
	if (pthread_mutex_init(&r->lock, NULL) == 0 &&
	    pthread_cond_init(&r->posted_cv, NULL) == 0 &&
	    pthread_cond_init(&r->checked_cv, NULL) == 0 &&
	    pthread_create(&r->thread, NULL, checker, r) == 0)
		r->threaded = 1;
	archive_read_support_filter_gzip(r->a);
	archive_read_support_format_tar(r->a);
	/* No skip callback: libarchive then reads the data it skips, and
	   the checker sees every byte. */
	if (archive_read_open(r->a, r, NULL, reader_read, NULL) !=
	    ARCHIVE_OK)
		kt_tar_reader_fail(r);
	return r;
}

/* libarchive gave up, or read the archive otherwise than the checker:
   the rest of the input goes to the checker, and its refusal, if it has
   one, ends the program. */
static void
checker_verdict(struct kt_tar_reader *r)
{
	const void *buf;

	if (!check_failed(r) && r->read_errno == 0)
		while (reader_read(r->a, r, &buf) > 0)
			;
	reader_stop(r);
	if (!r->check_failed && r->read_errno == 0 &&
	    kt_check_end(r->check) == -1)
		r->check_failed = 1;
	if (r->check_failed)
		kt_tar_die(KT_EXIT_INTEGRITY, "standard input: %s",
		    kt_check_error(r->check));
}

/*
 * libarchive and the checker read the archive differently.  The checker,
 * given the rest of the input, may know why (a header it refuses):
 * its reason first, else ours.
 */
static void __attribute__((noreturn, format(printf, 2, 3)))
view_fail(struct kt_tar_reader *r, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	checker_verdict(r);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	kt_tar_die(KT_EXIT_INTEGRITY, "standard input: %s",
	    msg != NULL ? msg : fmt);
}

static char *
dup_or_null(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	return d;
}

/* A member begins: what libarchive says of it, before the caller
   changes the entry (kt-tar -x rewrites names). */
static void
view_begin(struct kt_tar_reader *r, struct archive_entry *e)
{
	const char *path = archive_entry_pathname(e);

	if (path == NULL)
		view_fail(r, "a member has no name, or one that cannot be "
		    "read in this locale");
	r->cur = 1;
	r->curtype = kt_manifest_type_of(e);
	r->curpath = dup_or_null(path);
	r->curlink = dup_or_null(r->curtype == KT_MANIFEST_HARDLINK ?
	    archive_entry_hardlink(e) : r->curtype == KT_MANIFEST_SYMLINK ?
	    archive_entry_symlink(e) : NULL);
	r->cursize = archive_entry_size(e) < 0 ? 0 :
	    (uint64_t)archive_entry_size(e);
	r->curgot = 0;
	/* Only a file's data counts: libarchive skips the rest. */
	r->curdone = r->curtype != KT_MANIFEST_FILE;
}

/* The member ends: its data read to the end (hashed even when the caller
   did not want it), then recorded. */
static void
view_end(struct kt_tar_reader *r)
{
	unsigned char digest[KT_SHA256_LEN];
	const void *buf;
	size_t size;
	int64_t off;

	if (!r->cur)
		return;
	while (!r->curdone)
		(void)kt_tar_reader_data_block(r, &buf, &size, &off);
	if (r->curtype == KT_MANIFEST_FILE && r->curgot != r->cursize)
		view_fail(r, "libarchive delivers %" PRIu64 " bytes of data "
		    "for \"%s\", whose size is %" PRIu64, r->curgot,
		    r->curpath, r->cursize);
	kt_sha256_final(&r->cursha, digest);
	if (kt_manifest_expect(r->view, r->curtype, r->curpath,
	    strlen(r->curpath), r->curlink != NULL ? r->curlink : "",
	    r->curlink != NULL ? strlen(r->curlink) : 0,
	    r->curtype == KT_MANIFEST_FILE ? r->cursize : 0, digest) == -1)
		view_fail(r, "%s", kt_manifest_reader_error(r->view));
	free(r->curpath);
	free(r->curlink);
	r->curpath = r->curlink = NULL;
	r->cur = 0;
}

int
kt_tar_reader_next(struct kt_tar_reader *r, struct archive_entry **e)
{
	int rc;

	view_end(r);
	rc = archive_read_next_header(r->a, e);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
		kt_tar_reader_fail(r);
	if (rc == ARCHIVE_WARN)
		warnx("%s: %s", archive_entry_pathname(*e) != NULL ?
		    archive_entry_pathname(*e) : "(no name)",
		    archive_error_string(r->a));
	view_begin(r, *e);
	return 1;
}

int
kt_tar_reader_data_block(struct kt_tar_reader *r, const void **buf,
    size_t *size, int64_t *offset)
{
	la_int64_t off;
	int rc;

	if (r->curdone)
		return 0;
	rc = archive_read_data_block(r->a, buf, size, &off);
	if (rc == ARCHIVE_EOF) {
		r->curdone = 1;
		return 0;
	}
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
		kt_tar_reader_fail(r);
	if (off < 0 || (uint64_t)off != r->curgot)
		view_fail(r, "libarchive delivers \"%s\" with a hole at byte "
		    "%" PRIu64 ", as a sparse file", r->curpath, r->curgot);
	kt_sha256_update(&r->cursha, *buf, *size);
	r->curgot += *size;
	*offset = off;
	return 1;
}

int
kt_tar_reader_data_to_fd(struct kt_tar_reader *r, struct archive_entry *e,
    int fd)
{
	const void *buf;
	size_t size;
	int64_t off;

	(void)e;
	while (kt_tar_reader_data_block(r, &buf, &size, &off))
		if (kt_write_full(fd, buf, size) == -1)
			return -1;
	return 0;
}

void
kt_tar_reader_fail(struct kt_tar_reader *r)
{
	/* libarchive gave up first: the checker, given the rest of the
	   input, usually says more precisely what is wrong. */
	checker_verdict(r);
	if (r->read_errno != 0)
		kt_tar_die(KT_EXIT_FAIL, "read from standard input: %s",
		    strerror(r->read_errno));
	if (r->total == 0)
		kt_tar_die(KT_EXIT_INTEGRITY, "standard input is empty: not a "
		    "tar archive");
	/* What the checker recognised, rather than libarchive's guess. */
	if (kt_check_format(r->check) != KT_FMT_TAR &&
	    kt_check_inner_format(r->check) != KT_FMT_TAR)
		kt_tar_die(KT_EXIT_INTEGRITY, "standard input: %s, not a tar "
		    "archive", kt_check_describe(r->check));
	kt_tar_die(KT_EXIT_INTEGRITY, "standard input: %s",
	    archive_error_string(r->a) != NULL ?
	    archive_error_string(r->a) : "cannot read the archive");
}

void
kt_tar_reader_finish(struct kt_tar_reader *r)
{
	const void *buf;
	enum kt_format fmt;
	ssize_t n;

	view_end(r);
	/* libarchive stops at the end-of-archive marker: what follows
	   (padding, the manifest, a gzip trailer) must still be checked. */
	while ((n = reader_read(r->a, r, &buf)) > 0)
		;
	if (n == -1)
		kt_tar_reader_fail(r);
	reader_stop(r);
	if (r->check_failed || kt_check_end(r->check) == -1)
		kt_tar_die(KT_EXIT_INTEGRITY, "standard input: %s",
		    kt_check_error(r->check));
	fmt = kt_check_format(r->check);
	if (fmt == KT_FMT_GZIP)
		fmt = kt_check_inner_format(r->check);
	if (fmt == KT_FMT_EMPTY)
		kt_tar_die(KT_EXIT_INTEGRITY, "standard input is empty: not a "
		    "tar archive");
	if (fmt != KT_FMT_TAR)
		kt_tar_die(KT_EXIT_INTEGRITY, "standard input: %s, not a tar "
		    "archive", kt_check_describe(r->check));
	if (kt_check_compare(r->check, r->view) == -1)
		kt_tar_die(KT_EXIT_INTEGRITY, "standard input: %s",
		    kt_check_error(r->check));
	switch (kt_check_manifest(r->check)) {
	case KT_MANIFEST_VERIFIED:
		kt_verbose("manifest checked: every member's SHA-256 "
		    "matches");
		break;
	case KT_MANIFEST_STRUCTURE:
		kt_verbose("manifest checked: member count matches");
		break;
	default:
		kt_verbose("no manifest checked: the archive was not made "
		    "by kt-tar; its end-of-archive marker is there");
		break;
	}
}

void
kt_tar_reader_free(struct kt_tar_reader *r)
{
	int i;

	reader_stop(r);
	archive_read_free(r->a);
	kt_check_free(r->check);
	kt_manifest_reader_free(r->view);
	kt_sha256_free(&r->cursha);
	free(r->curpath);
	free(r->curlink);
	for (i = 0; i < KT_TAR_READ_BUFS; i++)
		free(r->buf[i]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->posted_cv);
	pthread_cond_destroy(&r->checked_cv);
	free(r);
}
