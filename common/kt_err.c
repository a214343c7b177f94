#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "kt_err.h"

int kt_verbosity = 1;

const char *
kt_progname(void)
{
	return program_invocation_short_name;
}

static void
vsay(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", kt_progname());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
kt_verbose(const char *fmt, ...)
{
	va_list ap;

	if (kt_verbosity < 2)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void
kt_info(const char *fmt, ...)
{
	va_list ap;

	if (kt_verbosity < 1)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}
