/*
 * fuzz-manifest: the reader of kt-tar's integrity manifest
 * (common/kt_manifest.h), which kt_check uses to compare a manifest with
 * the members it read.
 *
 * The input serves twice.
 * - As a manifest: parts separated by NUL bytes, fed to a reader that
 *   expects the members the input's lines seem to name (so that the
 *   comparisons are reached), once whole and once in chunks whose sizes
 *   are taken from the input.  Invariants: the verdict (each call's
 *   return, the error message, done, member count) does not depend on
 *   the split, and a manifest accepted as done lists exactly the members
 *   expected.
 * - As members: records "type byte, size byte, path up to a NUL", written
 *   by the manifest writer (kt-tar -c's) and read back.  Invariant: the
 *   reader accepts what the writer wrote, with the same member count.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kt_manifest.h"
#include "fuzz.h"

#define MEMBERS_MAX	64

struct member {
	int type;
	char path[512];
	size_t pathlen;
	uint64_t size;
};

static const unsigned char zero_digest[KT_SHA256_LEN];

static void
expect_all(struct kt_manifest_reader *r, const struct member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (kt_manifest_expect(r, m[i].type, m[i].path, m[i].pathlen,
		    m[i].type == KT_MANIFEST_SYMLINK ||
		    m[i].type == KT_MANIFEST_HARDLINK ? "t" : NULL,
		    m[i].type == KT_MANIFEST_SYMLINK ||
		    m[i].type == KT_MANIFEST_HARDLINK ? 1 : 0, m[i].size,
		    zero_digest) != 0)
			break;
}

/* The members the lines of TEXT seem to name: "<digest> <t> <size>
   <path>", the path taken as it is (escapes are not undone). */
static size_t
members_of(const uint8_t *text, size_t size, struct member *m)
{
	const char *p = (const char *)text, *end = p + size, *nl, *sp;
	size_t n = 0, len;

	for (; p < end && n < MEMBERS_MAX; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		if (nl - p < KT_SHA256_HEXLEN + 6 ||
		    p[KT_SHA256_HEXLEN] != ' ' ||
		    p[KT_SHA256_HEXLEN + 2] != ' ')
			continue;
		m[n].type = p[KT_SHA256_HEXLEN + 1];
		m[n].size = strtoull(p + KT_SHA256_HEXLEN + 3, NULL, 10);
		if ((sp = memchr(p + KT_SHA256_HEXLEN + 3, ' ',
		    (size_t)(nl - p - KT_SHA256_HEXLEN - 3))) == NULL)
			continue;
		len = (size_t)(nl - sp - 1);
		if (len >= sizeof(m[n].path))
			continue;
		memcpy(m[n].path, sp + 1, len);
		m[n].path[len] = '\0';
		m[n].pathlen = len;
		n++;
	}
	return n;
}

struct verdict {
	char calls[256];	/* the parts' returns, in order */
	char error[512];
	int done;
	uint64_t members;
};

static void
note(struct verdict *v, int rc)
{
	size_t n = strlen(v->calls);

	if (n + 3 < sizeof(v->calls)) {
		v->calls[n] = rc < 0 ? '-' : (char)('0' + rc);
		v->calls[n + 1] = '\0';
	}
}

static void
read_parts(const uint8_t *data, size_t size, const struct member *m,
    size_t nm, size_t max, struct verdict *v)
{
	struct kt_manifest_reader *r;
	const uint8_t *part, *nul;
	size_t off, len, n, k = 0;
	int rc = 0;

	memset(v, 0, sizeof(*v));
	fuzz_assert((r = kt_manifest_reader_new(0)) != NULL, "memory");
	expect_all(r, m, nm);
	for (part = data; rc == 0 && part <= data + size; part += len + 1) {
		nul = memchr(part, '\0', (size_t)(data + size - part));
		len = nul != NULL ? (size_t)(nul - part) :
		    (size_t)(data + size - part);
		note(v, rc = kt_manifest_part_begin(r,
		    (uint64_t)(part - data)));
		for (off = 0; rc == 0 && off < len; off += n) {
			n = max == 0 ? len : fuzz_chunk(data, size, k++, max);
			if (n > len - off)
				n = len - off;
			rc = kt_manifest_read(r, part + off, n);
		}
		if (rc != 0)
			note(v, rc);	/* once, however many reads */
		if (rc == 0)
			note(v, rc = kt_manifest_part_end(r));
	}
	v->done = kt_manifest_reader_done(r);
	v->members = kt_manifest_reader_members(r);
	if (rc < 0)
		snprintf(v->error, sizeof(v->error), "%s",
		    kt_manifest_reader_error(r));
	kt_manifest_reader_free(r);
}

/* --- the writer's output, read back ---------------------------------- */

/* Feeds the comment of each pax global header in O to R; returns
   kt_manifest_part_end()'s last return. */
static int
read_written(struct kt_manifest_reader *r, const struct fuzz_out *o)
{
	size_t off = 0, size, sp;
	const uint8_t *h, *d;
	int rc = 0;

	while (off + 512 <= o->len && o->buf[off] != '\0') {
		h = o->buf + off;
		fuzz_assert(h[156] == 'g', "not a global header");
		size = strtoull((const char *)h + 124, NULL, 8);
		d = h + 512;
		fuzz_assert(off + 512 + size <= o->len, "cut header");
		for (sp = 0; sp < size && d[sp] != ' '; sp++)
			;
		fuzz_assert(size > sp + 9 &&
		    memcmp(d + sp + 1, "comment=", 8) == 0, "not a comment");
		if ((rc = kt_manifest_part_begin(r, off + 512 + sp + 9)) != 0 ||
		    (rc = kt_manifest_read(r, d + sp + 9, size - sp - 10)) != 0 ||
		    (rc = kt_manifest_part_end(r)) != 0)
			break;
		off += 512 + (size + 511) / 512 * 512;
	}
	return rc;
}

static void
roundtrip(const uint8_t *data, size_t size)
{
	static const int types[] = { KT_MANIFEST_FILE, KT_MANIFEST_DIR,
	    KT_MANIFEST_SYMLINK, KT_MANIFEST_HARDLINK, KT_MANIFEST_OTHER };
	struct member m[MEMBERS_MAX];
	struct kt_manifest *w;
	struct kt_manifest_reader *r;
	struct fuzz_out o = { NULL, 0 };
	const uint8_t *p = data, *end = data + size, *nul;
	size_t n = 0, len;
	int rc;

	while (end - p > 2 && n < MEMBERS_MAX) {
		m[n].type = types[p[0] % 5];
		m[n].size = m[n].type == KT_MANIFEST_FILE ? p[1] : 0;
		p += 2;
		nul = memchr(p, '\0', (size_t)(end - p));
		len = nul != NULL ? (size_t)(nul - p) : (size_t)(end - p);
		if (len >= sizeof(m[n].path))
			len = sizeof(m[n].path) - 1;
		memcpy(m[n].path, p, len);
		m[n].path[len] = '\0';
		m[n].pathlen = len;
		p += len + (nul != NULL);
		n++;
	}
	if ((w = kt_manifest_new()) == NULL)
		return;		/* no temporary file: nothing to check */
	for (len = 0; len < n; len++)
		fuzz_assert(kt_manifest_add(w, m[len].type, m[len].path,
		    m[len].type == KT_MANIFEST_SYMLINK ||
		    m[len].type == KT_MANIFEST_HARDLINK ? "t" : NULL,
		    m[len].size, m[len].type == KT_MANIFEST_FILE ?
		    zero_digest : NULL) == 0, "the writer refuses \"%s\": %s",
		    m[len].path, strerror(errno));
	fuzz_assert(kt_manifest_write_end(w, fuzz_collect, &o) == 0, "write_end");
	kt_manifest_free(w);
	fuzz_assert((r = kt_manifest_reader_new(0)) != NULL, "memory");
	/* As the reader gets them: trailing slashes as stored. */
	expect_all(r, m, n);
	rc = read_written(r, &o);
	fuzz_assert(rc == 1 && kt_manifest_reader_done(r) &&
	    kt_manifest_reader_members(r) == n, "the reader refuses what the "
	    "writer wrote for %zu members: %s", n,
	    kt_manifest_reader_error(r));
	kt_manifest_reader_free(r);
	free(o.buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct member m[MEMBERS_MAX];
	struct verdict whole, chunked;
	size_t nm = members_of(data, size, m);

	read_parts(data, size, m, nm, 0, &whole);
	read_parts(data, size, m, nm, 9, &chunked);
	fuzz_assert(strcmp(whole.calls, chunked.calls) == 0,
	    "returns %s whole, %s in chunks",
	    whole.calls, chunked.calls);
	fuzz_assert(strcmp(whole.error, chunked.error) == 0, "\"%s\" whole, "
	    "\"%s\" in chunks", whole.error, chunked.error);
	fuzz_assert(whole.done == chunked.done &&
	    whole.members == chunked.members, "done %d/%d, members %llu/%llu",
	    whole.done, chunked.done, (unsigned long long)whole.members,
	    (unsigned long long)chunked.members);
	if (whole.done)
		fuzz_assert(whole.members == nm, "done with %llu members, %zu "
		    "expected", (unsigned long long)whole.members, nm);
	roundtrip(data, size);
	return 0;
}
