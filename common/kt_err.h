/*
 * Exit codes and diagnostics shared by every kt-tools program.
 *
 * Errors go through err(3)/warn(3), which prefix the program's name; this
 * header adds the exit codes the man pages document and the -q/-v levels.
 */
#ifndef KT_ERR_H
#define KT_ERR_H

#include <err.h>

enum kt_exit {
	KT_EXIT_OK = 0,		/* done, and the output is complete */
	KT_EXIT_FAIL = 1,	/* failed: I/O, keys, server, refused input */
	KT_EXIT_USAGE = 2,	/* bad command line */
	KT_EXIT_INTEGRITY = 3	/* the input is cut, tampered with, or its
				   signature is missing, bad or foreign */
};

/* 0 with -q, 1 by default, 2 with -v. */
extern int kt_verbosity;

/* "prog: message" on stderr, only at -v. */
void kt_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "prog: message" on stderr, unless -q. */
void kt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The program's name as err(3) prints it. */
const char *kt_progname(void);

#endif
