#include "config.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kt_err.h"
#include "kt_gpg.h"
#include "kt_io.h"

struct passphrase_state {
	struct kt_secret *secret;
	int asked;
};

static struct passphrase_state passphrase;

/*
 * gpg asks once per secret; a second request means the first answer was
 * wrong.  Answering again would only loop, so we refuse and let the
 * operation fail with "Bad passphrase".
 */
static gpgme_error_t
passphrase_cb(void *hook, const char *uid_hint, const char *info,
    int prev_was_bad, int fd)
{
	struct passphrase_state *st = hook;
	struct kt_secret prompted = { NULL, 0 };
	char prompt[256];
	int rc;

	if (prev_was_bad || st->asked++)
		return gpg_error(GPG_ERR_BAD_PASSPHRASE);
	if (st->secret == NULL) {
		snprintf(prompt, sizeof(prompt), "Passphrase%s%s: ",
		    uid_hint ? " for " : "", uid_hint ? uid_hint : "");
		if (kt_secret_prompt(&prompted, prompt, 0) == -1) {
			warnx("a passphrase is needed%s%s and there is no "
			    "terminal to ask: use --passphrase-file or "
			    "--passphrase-fd", uid_hint ? " for " : "",
			    uid_hint ? uid_hint : "");
			return gpg_error(GPG_ERR_NO_PASSPHRASE);
		}
		st->secret = &prompted;
	}
	rc = gpgme_io_writen(fd, st->secret->buf, st->secret->len) == 0 &&
	    gpgme_io_writen(fd, "\n", 1) == 0;
	if (st->secret == &prompted) {
		kt_secret_free(&prompted);
		st->secret = NULL;
	}
	return rc ? 0 : gpg_error_from_syserror();
}

const char *
kt_gpg_homedir(const char *homedir)
{
	static char buf[4096];
	const char *home;

	if (homedir != NULL)
		return homedir;
	if ((home = getenv("GNUPGHOME")) != NULL && *home != '\0')
		return home;
	snprintf(buf, sizeof(buf), "%s/.gnupg",
	    getenv("HOME") ? getenv("HOME") : "");
	return buf;
}

gpgme_ctx_t
kt_gpg_context(const char *homedir, struct kt_secret *pass)
{
	gpgme_engine_info_t info;
	gpgme_error_t e;
	gpgme_ctx_t ctx;

	/* gpgme_check_version() also sets SIGPIPE to ignored, which our
	   write loops expect anyway. */
	if (gpgme_check_version("1.13.0") == NULL)
		errx(KT_EXIT_FAIL, "gpgme is older than 1.13.0");
	gpgme_set_locale(NULL, LC_CTYPE, setlocale(LC_CTYPE, NULL));
	if ((e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)) != 0)
		errx(KT_EXIT_FAIL, "gpg is not usable: %s",
		    kt_gpg_strerror(e));
	if ((e = gpgme_new(&ctx)) != 0)
		errx(KT_EXIT_FAIL, "gpgme: %s", kt_gpg_strerror(e));
	if (homedir != NULL) {
		info = gpgme_ctx_get_engine_info(ctx);
		e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP,
		    info->file_name, homedir);
		if (e != 0)
			errx(KT_EXIT_FAIL, "GnuPG home %s: %s", homedir,
			    kt_gpg_strerror(e));
	}
	/* Unattended: no key servers, no pinentry dialogs, no passphrase
	   remembered by the agent for the next caller. */
	gpgme_set_offline(ctx, 1);
	gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	gpgme_set_ctx_flag(ctx, "no-symkey-cache", "1");
	passphrase.secret = pass;
	passphrase.asked = 0;
	gpgme_set_passphrase_cb(ctx, passphrase_cb, &passphrase);
	return ctx;
}

static ssize_t
source_read(void *handle, void *buf, size_t size)
{
	struct kt_gpg_source *src = handle;
	ssize_t n;

	if (src->prelen > 0) {
		n = (ssize_t)(size < src->prelen ? size : src->prelen);
		memcpy(buf, src->pre, (size_t)n);
		src->pre += n;
		src->prelen -= (size_t)n;
		return n;
	}
	if (src->at_end)
		return 0;
	do
		n = read(src->fd, buf, size);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		src->read_errno = errno;
		return -1;
	}
	src->total += n;
	if (n == 0)
		src->at_end = 1;
	if (src->check == NULL)
		return n;
	if (n > 0 ? kt_check_feed(src->check, buf, (size_t)n) == -1 :
	    kt_check_end(src->check) == -1) {
		/* Failing the read makes gpg abandon the message: no
		   well-formed output for a cut input. */
		src->check_failed = 1;
		errno = EPROTO;
		return -1;
	}
	return n;
}

void
kt_gpg_source_peek(struct kt_gpg_source *src, unsigned char *buf,
    size_t len)
{
	ssize_t n;

	if ((n = kt_read_full(src->fd, buf, len)) == -1)
		err(KT_EXIT_FAIL, "read from %s", src->name);
	src->total += n;
	if (src->check != NULL && n > 0)
		(void)kt_check_feed(src->check, buf, (size_t)n);
	src->pre = buf;
	src->prelen = (size_t)n;
}

static int
sink_emit(struct kt_gpg_sink *sink, const void *buf, size_t len)
{
	if (len > 0 && kt_write_full(sink->fd, buf, len) == -1) {
		sink->write_errno = errno;
		return -1;
	}
	return 0;
}

/* Passes everything on but the last KT_GPG_HOLDBACK bytes seen so far. */
static ssize_t
sink_write(void *handle, const void *buf, size_t size)
{
	struct kt_gpg_sink *sink = handle;
	const unsigned char *p = buf;
	size_t excess;

	sink->total += (off_t)size;
	if (sink->taillen + size <= KT_GPG_HOLDBACK) {
		memcpy(sink->tail + sink->taillen, p, size);
		sink->taillen += size;
		return (ssize_t)size;
	}
	excess = sink->taillen + size - KT_GPG_HOLDBACK;
	if (excess <= sink->taillen) {
		if (sink_emit(sink, sink->tail, excess) == -1)
			return -1;
		memmove(sink->tail, sink->tail + excess,
		    sink->taillen - excess);
		sink->taillen -= excess;
		memcpy(sink->tail + sink->taillen, p, size);
		sink->taillen += size;
	} else {
		if (sink_emit(sink, sink->tail, sink->taillen) == -1 ||
		    sink_emit(sink, p, excess - sink->taillen) == -1)
			return -1;
		memcpy(sink->tail, p + (excess - sink->taillen),
		    KT_GPG_HOLDBACK);
		sink->taillen = KT_GPG_HOLDBACK;
	}
	return (ssize_t)size;
}

void
kt_gpg_sink_flush(struct kt_gpg_sink *sink)
{
	kt_write_or_die(sink->fd, sink->tail, sink->taillen, sink->name);
	sink->taillen = 0;
}

static struct gpgme_data_cbs source_cbs = { source_read, NULL, NULL, NULL };
static struct gpgme_data_cbs sink_cbs = { NULL, sink_write, NULL, NULL };

static gpgme_data_t
new_cb_data(struct gpgme_data_cbs *cbs, void *handle)
{
	gpgme_data_t dh;
	gpgme_error_t e;

	if ((e = gpgme_data_new_from_cbs(&dh, cbs, handle)) != 0)
		errx(KT_EXIT_FAIL, "gpgme: %s", kt_gpg_strerror(e));
	(void)gpgme_data_set_flag(dh, "io-buffer-size", KT_GPG_IO_BUFFER);
	return dh;
}

gpgme_data_t
kt_gpg_source_data(struct kt_gpg_source *src)
{
	return new_cb_data(&source_cbs, src);
}

gpgme_data_t
kt_gpg_sink_data(struct kt_gpg_sink *sink)
{
	return new_cb_data(&sink_cbs, sink);
}

static gpgme_error_t
loop_add(void *data, int fd, int dir, gpgme_io_cb_t fnc, void *fnc_data,
    void **tag)
{
	struct kt_gpg_loop *loop = data;
	int i;

	for (i = 0; i < KT_GPG_LOOP_SLOTS; i++) {
		if (loop->io[i].active)
			continue;
		loop->io[i].fd = fd;
		loop->io[i].dir = dir;
		loop->io[i].fnc = fnc;
		loop->io[i].fnc_data = fnc_data;
		loop->io[i].active = 1;
		*tag = &loop->io[i];
		return 0;
	}
	return gpg_error(GPG_ERR_GENERAL);
}

static void
loop_remove(void *tag)
{
	struct kt_gpg_io *io = tag;

	io->active = 0;
}

static void
loop_event(void *data, gpgme_event_io_t type, void *type_data)
{
	struct kt_gpg_loop *loop = data;
	struct gpgme_io_event_done_data *done = type_data;

	if (type == GPGME_EVENT_START)
		loop->started = 1;
	else if (type == GPGME_EVENT_DONE) {
		loop->done = 1;
		loop->err = done->err != 0 ? done->err : done->op_err;
	}
}

static const char *const last_words[] = {
	"END_ENCRYPTION", "END_DECRYPTION", "FAILURE", "ERROR", "NODATA",
	"UNEXPECTED", "DECRYPTION_FAILED", "BADMDC", "NO_SECKEY", "NO_PUBKEY",
	"INV_RECP", "INV_SGNR", "BAD_PASSPHRASE", "MISSING_PASSPHRASE",
	"KEYEXPIRED", "KEYREVOKED", NULL
};

static gpgme_error_t
loop_status(void *hook, const char *keyword, const char *args)
{
	struct kt_gpg_loop *loop = hook;
	int i;

	for (i = 0; i < 2; i++)
		if (loop->must_see[i] != NULL &&
		    strcmp(keyword, loop->must_see[i]) == 0)
			loop->seen[i] = 1;
	/* How gpg ends an operation or says why it fails; a gpg that was
	   killed says none of these.  (gpgme may stop reading at the first
	   complaint, before gpg's final FAILURE line.) */
	for (i = 0; last_words[i] != NULL; i++)
		if (strcmp(keyword, last_words[i]) == 0)
			loop->finished = 1;
	return 0;
}

void
kt_gpg_loop_begin(gpgme_ctx_t ctx, struct kt_gpg_loop *loop,
    const char *must_see, const char *must_see_too)
{
	struct gpgme_io_cbs cbs = { loop_add, loop, loop_remove, loop_event,
	    loop };

	memset(loop, 0, sizeof(*loop));
	loop->must_see[0] = must_see;
	loop->must_see[1] = must_see_too;
	gpgme_set_io_cbs(ctx, &cbs);
	/* Every status line, not only those gpgme does not handle. */
	gpgme_set_ctx_flag(ctx, "full-status", "1");
	gpgme_set_status_cb(ctx, loop_status, loop);
}

gpgme_error_t
kt_gpg_loop_wait(gpgme_ctx_t ctx, struct kt_gpg_loop *loop,
    gpgme_error_t start_err)
{
	struct gpgme_io_cbs none = { NULL, NULL, NULL, NULL, NULL };
	struct pollfd pfd[KT_GPG_LOOP_SLOTS];
	struct kt_gpg_io *io[KT_GPG_LOOP_SLOTS];
	int i, n;

	while (start_err == 0 && loop->started && !loop->done) {
		for (i = n = 0; i < KT_GPG_LOOP_SLOTS; i++) {
			if (!loop->io[i].active)
				continue;
			io[n] = &loop->io[i];
			pfd[n].fd = loop->io[i].fd;
			pfd[n].events = loop->io[i].dir ? POLLIN : POLLOUT;
			pfd[n].revents = 0;
			n++;
		}
		if (n == 0)
			break;
		if (poll(pfd, (nfds_t)n, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(KT_EXIT_FAIL, "poll");
		}
		/* Readiness, an error or a hang-up: the handler's read or
		   write sees which, and fails the operation if it must. */
		for (i = 0; i < n && !loop->done; i++)
			if (pfd[i].revents != 0 && io[i]->active)
				io[i]->fnc(io[i]->fnc_data, io[i]->fd);
	}
	gpgme_set_io_cbs(ctx, &none);
	gpgme_set_status_cb(ctx, NULL, NULL);
	gpgme_set_ctx_flag(ctx, "full-status", "0");
	if (start_err != 0)
		return start_err;
	if (loop->err != 0) {
		/* Our passphrase callback's refusals end the operation
		   before gpg can have its last word. */
		switch (gpg_err_code(loop->err)) {
		case GPG_ERR_NO_PASSPHRASE:
		case GPG_ERR_BAD_PASSPHRASE:
		case GPG_ERR_CANCELED:
			return loop->err;
		default:
			return loop->finished ? loop->err :
			    gpg_error(GPG_ERR_UNFINISHED);
		}
	}
	for (i = 0; i < 2; i++)
		if (loop->must_see[i] != NULL && !loop->seen[i])
			return gpg_error(GPG_ERR_UNFINISHED);
	return 0;
}

const char *
kt_gpg_last_words(gpgme_ctx_t ctx)
{
	static char line[512];
	gpgme_data_t diag;
	char *text, *end, *start;
	size_t len;

	if (gpgme_data_new(&diag) != 0)
		return NULL;
	if (gpgme_op_getauditlog(ctx, diag, GPGME_AUDITLOG_DIAG) != 0) {
		gpgme_data_release(diag);
		return NULL;
	}
	if ((text = gpgme_data_release_and_get_mem(diag, &len)) == NULL)
		return NULL;
	/* The last non-empty line. */
	end = text + len;
	while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (start = end; start > text && start[-1] != '\n'; start--)
		continue;
	if (end - start > 5 && strncmp(start, "gpg: ", 5) == 0)
		start += 5;
	snprintf(line, sizeof(line), "%.*s", (int)(end - start), start);
	gpgme_free(text);
	return line[0] != '\0' ? line : NULL;
}

const char *
kt_gpg_strerror(gpgme_error_t e)
{
	return gpgme_strerror(e);
}
