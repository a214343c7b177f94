#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "kt_err.h"
#include "kt_io.h"
#include "kt_secret.h"

#ifndef HAVE_EXPLICIT_BZERO
static void
explicit_bzero(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}
#endif

static char *
secret_alloc(void)
{
	char *p;

	if ((p = calloc(1, KT_SECRET_MAX + 2)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	/* Keep it out of swap where we may; failure is not fatal (limits
	   on locked memory are often tiny). */
	(void)mlock(p, KT_SECRET_MAX + 2);
	return p;
}

/* Reads the first line of FD into S; NAME is for messages. */
static void
read_first_line(struct kt_secret *s, int fd, const char *name)
{
	char *nl;
	ssize_t n;

	s->buf = secret_alloc();
	n = kt_read_full(fd, s->buf, KT_SECRET_MAX + 1);
	if (n == -1)
		err(KT_EXIT_FAIL, "read passphrase from %s", name);
	if ((nl = memchr(s->buf, '\n', (size_t)n)) != NULL)
		n = nl - s->buf;
	else if (n > KT_SECRET_MAX)
		errx(KT_EXIT_FAIL, "passphrase in %s is longer than %d bytes",
		    name, KT_SECRET_MAX);
	if (n > 0 && s->buf[n - 1] == '\r')
		n--;
	explicit_bzero(s->buf + n, KT_SECRET_MAX + 2 - (size_t)n);
	s->len = (size_t)n;
	if (s->len == 0)
		errx(KT_EXIT_FAIL, "empty passphrase in %s", name);
}

void
kt_secret_from_file(struct kt_secret *s, const char *path)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		err(KT_EXIT_FAIL, "passphrase file %s", path);
	if (fstat(fd, &st) == -1)
		err(KT_EXIT_FAIL, "passphrase file %s", path);
	if (!S_ISREG(st.st_mode))
		errx(KT_EXIT_FAIL, "passphrase file %s is not a regular file",
		    path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		errx(KT_EXIT_FAIL, "passphrase file %s is accessible by group "
		    "or others (mode %04o): chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
	read_first_line(s, fd, path);
	close(fd);
}

int
kt_secret_parse_fd(const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || *arg == '\0' || *end != '\0' || v < 0 ||
	    v > INT_MAX)
		errx(KT_EXIT_USAGE, "invalid file descriptor: %s", arg);
	return (int)v;
}

void
kt_secret_source_check(const struct kt_secret_source *src)
{
	if (src->file != NULL && src->fd != -1)
		errx(KT_EXIT_USAGE, "--passphrase-file and --passphrase-fd "
		    "exclude each other");
}

int
kt_secret_load(struct kt_secret *s, const struct kt_secret_source *src)
{
	if (src->file != NULL)
		kt_secret_from_file(s, src->file);
	else if (src->fd != -1)
		kt_secret_from_fd(s, src->fd);
	else
		return 0;
	return 1;
}

void
kt_secret_from_fd(struct kt_secret *s, int fd)
{
	char name[32];

	snprintf(name, sizeof(name), "file descriptor %d", fd);
	if (fcntl(fd, F_GETFD) == -1)
		err(KT_EXIT_FAIL, "passphrase %s", name);
	read_first_line(s, fd, name);
	close(fd);
}

/* One line from the terminal with echo off. */
static int
ask(int tty, const char *prompt, char *buf)
{
	struct termios saved, quiet;
	ssize_t n;
	size_t len = 0;
	char c;
	int rc = 0;

	if (tcgetattr(tty, &saved) == -1)
		return -1;
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(tty, TCSAFLUSH, &quiet) == -1)
		return -1;
	(void)kt_write_full(tty, prompt, strlen(prompt));
	for (;;) {
		n = read(tty, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (len < KT_SECRET_MAX)
			buf[len++] = c;
		else
			rc = -2;
	}
	c = 0;
	buf[len] = '\0';
	(void)kt_write_full(tty, "\n", 1);
	tcsetattr(tty, TCSAFLUSH, &saved);
	return rc == 0 ? (int)len : rc;
}

int
kt_secret_prompt(struct kt_secret *s, const char *prompt, int confirm)
{
	char *again;
	int tty, n, m;

	if ((tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return -1;
	s->buf = secret_alloc();
	for (;;) {
		n = ask(tty, prompt, s->buf);
		if (n == -1) {
			close(tty);
			kt_secret_free(s);
			return -1;
		}
		if (n == -2)
			errx(KT_EXIT_FAIL, "passphrase longer than %d bytes",
			    KT_SECRET_MAX);
		if (n == 0)
			errx(KT_EXIT_FAIL, "empty passphrase");
		if (!confirm)
			break;
		again = secret_alloc();
		m = ask(tty, "Repeat passphrase: ", again);
		if (m == n && memcmp(again, s->buf, (size_t)n) == 0) {
			explicit_bzero(again, KT_SECRET_MAX + 2);
			free(again);
			break;
		}
		explicit_bzero(again, KT_SECRET_MAX + 2);
		free(again);
		(void)kt_write_full(tty, "Passphrases differ, try again.\n",
		    31);
	}
	close(tty);
	s->len = (size_t)n;
	return 0;
}

void
kt_secret_free(struct kt_secret *s)
{
	if (s->buf != NULL) {
		explicit_bzero(s->buf, KT_SECRET_MAX + 2);
		munlock(s->buf, KT_SECRET_MAX + 2);
		free(s->buf);
	}
	s->buf = NULL;
	s->len = 0;
}
