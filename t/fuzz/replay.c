/*
 * The replay driver: runs a fuzz harness over the files named on the
 * command line, without libFuzzer, so that a gcc-only build replays the
 * corpora and the findings in "make check".  Exits 0 when every file
 * passed; a broken invariant aborts, as it does under libFuzzer.
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static void
replay(const char *path)
{
	struct stat sb;
	uint8_t *buf;
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &sb) == -1)
		err(1, "%s", path);
	/* malloc(size) exactly, so that ASan sees a read past the end. */
	if ((buf = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1)) == NULL)
		err(1, NULL);
	n = fread(buf, 1, (size_t)sb.st_size, fp);
	if (ferror(fp) || n != (size_t)sb.st_size)
		errx(1, "%s: short read", path);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
}

int
main(int argc, char *argv[])
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file ...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		replay(argv[i]);
	return 0;
}
