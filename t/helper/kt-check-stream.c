/*
 * kt-check-stream: run the stream recogniser (common/kt_check.h) over
 * standard input, for the tests and by hand.
 *
 *	kt-check-stream [--chunk N] [--hash] [--describe] [--peek N]
 *	    [--trailer] < stream
 *	kt-check-stream --compare-chunks < stream
 *
 * --chunk N feeds the recogniser N bytes at a time (the last piece may
 * be shorter), whatever read(2) returns: the verdict must not depend on
 * it (t9050).
 *
 * --compare-chunks reads the whole stream into memory and runs the
 * recogniser over it in chunks of 1, 7, 511, 512 and 4096 bytes and
 * whole, with and without KT_CHECK_HASH: it prints the verdict of the
 * whole read (what it says of the stream, and the message) and exits 0
 * when every other verdict is the same, 4 with the differences on
 * stderr when not.
 *
 * Prints "format=F inner=I suffix=S manifest=M" and exits 0 when the
 * stream is complete (or of a kind without an end to check), 3 with the
 * reason on stderr when it is malformed or cut, 2 on bad usage, 1 when
 * standard input cannot be read.  Before that line, --peek N prints
 * "peek N format=F" once the first N bytes have been fed (what the
 * recogniser could tell by then); after it, --describe prints
 * kt_check_describe(), --trailer "trailer=OFFSET" (where the last
 * KT_PGDUMP_TAIL_MAX bytes, searched by kt_pgdump_trailer_start(), put
 * a dump's completion trailer) or "trailer=none".
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kt_check.h"
#include "kt_err.h"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: kt-check-stream [--chunk N] [--hash] [--describe] "
	    "[--peek N] [--trailer] < stream\n"
	    "       kt-check-stream --compare-chunks < stream\n");
	exit(status);
}

/* Keeps the last sizeof(tail) bytes of the stream in TAIL. */
static void
keep_tail(char *tail, size_t *len, const unsigned char *buf, size_t n)
{
	size_t drop;

	if (n >= KT_PGDUMP_TAIL_MAX) {
		memcpy(tail, buf + n - KT_PGDUMP_TAIL_MAX, KT_PGDUMP_TAIL_MAX);
		*len = KT_PGDUMP_TAIL_MAX;
		return;
	}
	if (*len + n > KT_PGDUMP_TAIL_MAX) {
		drop = *len + n - KT_PGDUMP_TAIL_MAX;
		memmove(tail, tail + drop, *len - drop);
		*len -= drop;
	}
	memcpy(tail + *len, buf, n);
	*len += n;
}

static const char *
manifest_name(enum kt_manifest_state m)
{
	switch (m) {
	case KT_MANIFEST_STRUCTURE:
		return "structure";
	case KT_MANIFEST_VERIFIED:
		return "verified";
	default:
		return "none";
	}
}

/* Everything the recogniser says of D fed CHUNK bytes at a time. */
static void
verdict(const unsigned char *d, size_t len, size_t chunk, unsigned flags,
    char *out, size_t outlen)
{
	struct kt_check *c;
	size_t off, k;
	int r = 0;

	if ((c = kt_check_new(flags)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	for (off = 0; off < len && r == 0; off += k) {
		k = len - off < chunk ? len - off : chunk;
		r = kt_check_feed(c, d + off, k);
	}
	if (r == 0)
		r = kt_check_end(c);
	snprintf(out, outlen, "format=%s inner=%s manifest=%s kt=%d "
	    "members=%llu nomdc=%d %s: %s",
	    kt_check_format_name(kt_check_format(c)),
	    kt_check_format_name(kt_check_inner_format(c)),
	    manifest_name(kt_check_manifest(c)), kt_check_is_kt_tar(c),
	    kt_check_members(c), kt_check_nomdc(c), kt_check_describe(c),
	    r == 0 ? "complete" : kt_check_error(c));
	kt_check_free(c);
}

static int
compare_chunks(void)
{
	static const size_t chunks[] = { 1, 7, 511, 512, 4096 };
	static char want[2048], got[2048];
	unsigned char *d = NULL;
	size_t len = 0, cap = 0, i, f;
	ssize_t n;
	int differ = 0;

	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			if ((d = realloc(d, cap)) == NULL)
				err(KT_EXIT_FAIL, NULL);
		}
		n = read(STDIN_FILENO, d + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(KT_EXIT_FAIL, "read from standard input");
		if (n == 0)
			break;
		len += (size_t)n;
	}
	for (f = 0; f < 2; f++) {
		verdict(d, len, len > 0 ? len : 1, f ? KT_CHECK_HASH : 0, want,
		    sizeof(want));
		printf("%s%s\n", f ? "hash " : "", want);
		for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
			verdict(d, len, chunks[i], f ? KT_CHECK_HASH : 0, got,
			    sizeof(got));
			if (strcmp(want, got) == 0)
				continue;
			warnx("%schunk %zu: %s", f ? "hash " : "", chunks[i],
			    got);
			differ = 1;
		}
	}
	free(d);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(KT_EXIT_FAIL, "write to standard output");
	return differ ? 4 : KT_EXIT_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "chunk", required_argument, NULL, 'c' },
		{ "compare-chunks", no_argument, NULL, 'C' },
		{ "describe", no_argument, NULL, 'd' },
		{ "peek", required_argument, NULL, 'p' },
		{ "trailer", no_argument, NULL, 't' },
		{ "hash", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct kt_check *check;
	unsigned flags = 0;
	unsigned char *buf;
	size_t chunk = 65536, bufsize;
	ssize_t n;
	char *end;
	long v;
	static char tail[KT_PGDUMP_TAIL_MAX];
	unsigned long long total = 0, peek = 0;
	size_t taillen = 0, at, k, off;
	int ch, r, describe = 0, trailer = 0, compare = 0;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1 ||
			    v > 64 * 1024 * 1024)
				usage(KT_EXIT_USAGE);
			chunk = (size_t)v;
			break;
		case 'H':
			flags |= KT_CHECK_HASH;
			break;
		case 'C':
			compare = 1;
			break;
		case 'd':
			describe = 1;
			break;
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1)
				usage(KT_EXIT_USAGE);
			peek = (unsigned long long)v;
			break;
		case 't':
			trailer = 1;
			break;
		case 'h':
			usage(KT_EXIT_OK);
		default:
			usage(KT_EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(KT_EXIT_USAGE);
	if (compare)
		return compare_chunks();
	/* Reads of at least 64 KiB: feeding one byte at a time needs no
	   system call a byte. */
	bufsize = chunk > 65536 ? chunk : 65536;
	if ((buf = malloc(bufsize)) == NULL || (check = kt_check_new(flags)) ==
	    NULL)
		err(KT_EXIT_FAIL, NULL);
	r = 0;
	for (;;) {
		n = read(STDIN_FILENO, buf, bufsize);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(KT_EXIT_FAIL, "read from standard input");
		if (n == 0)
			break;
		for (off = 0; off < (size_t)n; off += k) {
			/* Pieces end at the peek point, to say what was
			   known there. */
			k = (size_t)n - off < chunk ? (size_t)n - off : chunk;
			if (peek > total && peek - total < k)
				k = (size_t)(peek - total);
			if (r == 0 && kt_check_feed(check, buf + off, k) == -1)
				r = -1;	/* read on, as a filter would */
			total += k;
			if (peek != 0 && total == peek)
				printf("peek %llu format=%s\n", peek,
				    kt_check_format_name(
				    kt_check_format(check)));
		}
		if (trailer)
			keep_tail(tail, &taillen, buf, (size_t)n);
	}
	if (r == 0)
		r = kt_check_end(check);
	printf("format=%s inner=%s suffix=%s manifest=%s\n",
	    kt_check_format_name(kt_check_format(check)),
	    kt_check_format(check) == KT_FMT_GZIP ?
	    kt_check_format_name(kt_check_inner_format(check)) : "none",
	    kt_check_suffix(check), manifest_name(kt_check_manifest(check)));
	if (describe)
		printf("%s\n", kt_check_describe(check));
	if (trailer) {
		at = kt_pgdump_trailer_start(tail, taillen);
		if (at == (size_t)-1)
			printf("trailer=none\n");
		else
			printf("trailer=%llu\n", total - taillen + at);
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		err(KT_EXIT_FAIL, "write to standard output");
	if (r == -1) {
		warnx("%s", kt_check_error(check));
		kt_check_free(check);
		free(buf);
		return KT_EXIT_INTEGRITY;
	}
	kt_check_free(check);
	free(buf);
	return KT_EXIT_OK;
}
