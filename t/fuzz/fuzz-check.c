/*
 * fuzz-check: the stream recogniser (common/kt_check.h), every format
 * (tar with kt-tar's manifest, gzip, OpenPGP binary and armored,
 * PostgreSQL dumps).  The input is the stream; the flags come from its
 * size (size % 4: none, KT_CHECK_HASH, KT_CHECK_PLAINTEXT, both).
 *
 * Invariant: the verdict does not depend on how the stream is split into
 * reads (kt_check.h).  The stream is fed whole, then in small and in
 * larger chunks whose sizes are taken from the input, and everything the
 * recogniser tells must agree: where it failed (a feed or the end), the
 * format, inner format, manifest state, member count, kt-tar start
 * marker, missing MDC, description, suffix and the error message (digits
 * aside, which may name byte offsets).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "kt_check.h"
#include "fuzz.h"

struct verdict {
	int failed;		/* 0, 1 in a feed, 2 at the end */
	enum kt_format format, inner;
	enum kt_manifest_state manifest;
	unsigned long long members;
	int kt_tar, nomdc;
	char describe[128], suffix[16], error[512];
};

/* The error message without its digits: its class. */
static void
error_class(char *dst, size_t len, const char *src)
{
	size_t n = 0;

	for (; src != NULL && *src != '\0' && n + 1 < len; src++)
		if (!isdigit((unsigned char)*src))
			dst[n++] = *src;
	dst[n] = '\0';
}

/* Feeds DATA in chunks of at most MAX bytes (SIZE at once if 0). */
static void
run(const uint8_t *data, size_t size, unsigned flags, size_t max,
    struct verdict *v)
{
	struct kt_check *c;
	size_t off = 0, n, k = 0;

	memset(v, 0, sizeof(*v));
	fuzz_assert((c = kt_check_new(flags)) != NULL, "out of memory");
	while (off < size && !v->failed) {
		n = max == 0 ? size : fuzz_chunk(data, size, k++, max);
		if (n > size - off)
			n = size - off;
		if (kt_check_feed(c, data + off, n) != 0)
			v->failed = 1;
		off += n;
	}
	if (kt_check_end(c) != 0 && !v->failed)
		v->failed = 2;
	if (!v->failed)
		fuzz_assert(kt_check_format(c) != KT_FMT_PENDING,
		    "a verdict with the format still pending");
	v->format = kt_check_format(c);
	v->inner = kt_check_inner_format(c);
	v->manifest = kt_check_manifest(c);
	v->members = kt_check_members(c);
	v->kt_tar = kt_check_is_kt_tar(c);
	v->nomdc = kt_check_nomdc(c);
	snprintf(v->describe, sizeof(v->describe), "%s", kt_check_describe(c));
	snprintf(v->suffix, sizeof(v->suffix), "%s", kt_check_suffix(c));
	if (v->failed)
		error_class(v->error, sizeof(v->error), kt_check_error(c));
	kt_check_free(c);
}

static void
same(const struct verdict *a, const struct verdict *b, size_t max)
{
	fuzz_assert(a->failed == b->failed, "failed %d whole, %d in chunks "
	    "of up to %zu", a->failed, b->failed, max);
	fuzz_assert(a->format == b->format, "format %s whole, %s in chunks "
	    "of up to %zu", kt_check_format_name(a->format),
	    kt_check_format_name(b->format), max);
	fuzz_assert(a->inner == b->inner, "inner format %s whole, %s in "
	    "chunks of up to %zu", kt_check_format_name(a->inner),
	    kt_check_format_name(b->inner), max);
	fuzz_assert(a->manifest == b->manifest, "manifest %d whole, %d in "
	    "chunks of up to %zu", a->manifest, b->manifest, max);
	fuzz_assert(a->members == b->members, "%llu members whole, %llu in "
	    "chunks of up to %zu", a->members, b->members, max);
	fuzz_assert(a->kt_tar == b->kt_tar && a->nomdc == b->nomdc,
	    "kt-tar %d/%d, no MDC %d/%d", a->kt_tar, b->kt_tar, a->nomdc,
	    b->nomdc);
	fuzz_assert(strcmp(a->describe, b->describe) == 0, "\"%s\" whole, "
	    "\"%s\" in chunks of up to %zu", a->describe, b->describe, max);
	fuzz_assert(strcmp(a->suffix, b->suffix) == 0, "suffix \"%s\" "
	    "whole, \"%s\" in chunks", a->suffix, b->suffix);
	fuzz_assert(strcmp(a->error, b->error) == 0, "error \"%s\" whole, "
	    "\"%s\" in chunks of up to %zu", a->error, b->error, max);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 7, 600, 70000 };
	struct verdict whole, chunked;
	unsigned flags = size % 4;
	size_t i;

	run(data, size, flags, 0, &whole);
	if (whole.failed == 0)
		fuzz_assert(whole.error[0] == '\0', "an error on success");
	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		/* Byte by byte for small inputs only: the fuzzer's speed. */
		if (maxes[i] < 64 && size > 65536)
			continue;
		run(data, size, flags, maxes[i], &chunked);
		same(&whole, &chunked, maxes[i]);
	}
	return 0;
}
