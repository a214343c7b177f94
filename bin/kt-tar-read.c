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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kt_check.h"
#include "kt_err.h"
#include "kt_io.h"
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
	if ((r = calloc(1, sizeof(*r))) == NULL ||
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

int
kt_tar_reader_next(struct kt_tar_reader *r, struct archive_entry **e)
{
	int rc;

	rc = archive_read_next_header(r->a, e);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
		kt_tar_reader_fail(r);
	if (rc == ARCHIVE_WARN)
		warnx("%s: %s", archive_entry_pathname(*e) != NULL ?
		    archive_entry_pathname(*e) : "(no name)",
		    archive_error_string(r->a));
	return 1;
}

int
kt_tar_reader_data_to_fd(struct kt_tar_reader *r, struct archive_entry *e,
    int fd)
{
	const void *buf;
	la_int64_t off, pos = 0;
	size_t size;
	int rc;

	for (;;) {
		rc = archive_read_data_block(r->a, &buf, &size, &off);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
			kt_tar_reader_fail(r);
		/* A hole of a sparse file. */
		if (off != pos && lseek(fd, off, SEEK_SET) == -1)
			return -1;
		if (kt_write_full(fd, buf, size) == -1)
			return -1;
		pos = off + (la_int64_t)size;
	}
	if (pos < archive_entry_size(e) &&
	    ftruncate(fd, archive_entry_size(e)) == -1)
		return -1;
	return 0;
}

void
kt_tar_reader_fail(struct kt_tar_reader *r)
{
	const void *buf;

	/* libarchive gave up first: the checker, given the rest of the
	   input, usually says more precisely what is wrong. */
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
	if (r->read_errno != 0)
		kt_tar_die(KT_EXIT_FAIL, "read from standard input: %s",
		    strerror(r->read_errno));
	if (r->total == 0)
		kt_tar_die(KT_EXIT_INTEGRITY, "standard input is empty: not a "
		    "tar archive");
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
	for (i = 0; i < KT_TAR_READ_BUFS; i++)
		free(r->buf[i]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->posted_cv);
	pthread_cond_destroy(&r->checked_cv);
	free(r);
}
