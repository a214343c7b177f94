/*
 * kt-sqlf-split OUT: runs standard input through kt-pgdump-wrap's SQL
 * filter, as a restore would, writing what psql would get to OUT and each
 * statement the filter split out (as psql would send it) on standard
 * output, one a line, white space removed, so that the list compares with
 * what psql itself sends (psql -L).  Exits 0 if the filter accepted the
 * input, 1 if it refused it (its reason on standard error).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt-pgdump-wrap.h"
#include "kt_err.h"

static int
to_file(void *arg, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -1;
}

static void
statement(void *arg, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (strchr(" \t\n\r\f", s[i]) == NULL)
			putchar(s[i]);
	putchar('\n');
}

int
main(int argc, char *argv[])
{
	char buf[4096];
	struct sqlf *f;
	FILE *out;
	size_t n;
	int r = 0;

	if (argc != 2)
		errx(2, "usage: kt-sqlf-split OUT");
	if ((out = fopen(argv[1], "w")) == NULL)
		err(2, "%s", argv[1]);
	f = sqlf_new(to_file, out, 1);
	sqlf_trace(f, statement, NULL);
	while (r == 0 && (n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		r = sqlf_feed(f, buf, n);
	if (r == 0)
		r = sqlf_end(f);
	sqlf_flush(f);
	if (r != 0)
		fprintf(stderr, "kt-sqlf-split: %s\n", sqlf_error(f));
	sqlf_free(f);
	if (fclose(out) == EOF || fflush(stdout) == EOF)
		err(2, "write");
	return r != 0;
}
