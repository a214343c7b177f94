/*
 * Passphrases.  They come from a file only its owner can read, from an
 * inherited file descriptor, or from a prompt on the terminal; never from
 * argv, where every user on the host can read them (ps, /proc).
 */
#ifndef KT_SECRET_H
#define KT_SECRET_H

#include <stddef.h>

#define KT_SECRET_MAX	1024	/* longest passphrase accepted */

struct kt_secret {
	char *buf;		/* NUL-terminated, locked in memory */
	size_t len;
};

/* The first line of PATH.  Exits with a clear message when PATH cannot be
   read, is readable by group or others, is not a regular file, or holds
   an empty first line. */
void kt_secret_from_file(struct kt_secret *, const char *path);

/* The first line read from descriptor FD (then closed). */
void kt_secret_from_fd(struct kt_secret *, int fd);

/* Parses a --passphrase-fd argument; exits on nonsense. */
int kt_secret_parse_fd(const char *arg);

/* Where --passphrase-file or --passphrase-fd said a passphrase is. */
struct kt_secret_source {
	const char *file;	/* or NULL */
	int fd;			/* or -1 */
};
#define KT_SECRET_SOURCE_NONE { NULL, -1 }

/* Exits with a usage error when both a file and a descriptor are given. */
void kt_secret_source_check(const struct kt_secret_source *);

/* Reads the passphrase from SRC (see kt_secret_from_file and
   kt_secret_from_fd); returns 1, or 0 when SRC names no source. */
int kt_secret_load(struct kt_secret *, const struct kt_secret_source *src);

/* Asks on /dev/tty with echo off; with CONFIRM asks twice and insists on
   the same answer.  Returns 0, or -1 when there is no terminal to ask. */
int kt_secret_prompt(struct kt_secret *, const char *prompt, int confirm);

/* Wipes and frees. */
void kt_secret_free(struct kt_secret *);

#endif
