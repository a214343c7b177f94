/*
 * fuzz-sqlf: the SQL filter of kt-pgdump-wrap (sqlf_* in
 * bin/kt-pgdump-wrap.h), between a dump and psql.  The input is a dump;
 * keep_restrict comes from its size (odd: kept).
 *
 * Invariants:
 * - the verdict (accepted, refused and why, or cut and where) and, when
 *   accepted, the output do not depend on how the input is split;
 * - what the filter accepted and wrote, filtered again, is accepted and
 *   comes out unchanged (idempotence): its output holds nothing that it
 *   would have to change or refuse.
 */
#include "config.h"

#include <string.h>

#include "kt-pgdump-wrap.h"
#include "fuzz.h"

struct out {
	char *buf;
	size_t len, cap;
};

static int
sink(void *arg, const char *buf, size_t len)
{
	struct out *o = arg;

	if (o->len + len > o->cap) {
		o->cap = (o->len + len) * 2;
		fuzz_assert((o->buf = realloc(o->buf, o->cap)) != NULL,
		    "out of memory");
	}
	memcpy(o->buf + o->len, buf, len);
	o->len += len;
	return 0;
}

static int
same_out(const struct out *a, const struct out *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->buf, b->buf, a->len) == 0);
}

struct verdict {
	int rc;			/* sqlf_feed's, else sqlf_end's */
	char error[512];
	struct out out;
};

static void
run(const char *data, size_t size, int keep, size_t max, struct verdict *v)
{
	struct sqlf *f;
	size_t off = 0, n, k = 0;

	memset(v, 0, sizeof(*v));
	f = sqlf_new(sink, &v->out, keep);
	while (off < size && v->rc == 0) {
		n = max == 0 ? size : fuzz_chunk((const uint8_t *)data, size,
		    k++, max);
		if (n > size - off)
			n = size - off;
		v->rc = sqlf_feed(f, data + off, n);
		off += n;
	}
	if (v->rc == 0)
		v->rc = sqlf_end(f);
	if (v->rc == 0)
		v->rc = sqlf_flush(f);
	fuzz_assert(v->rc == 0 || v->rc == -1 || v->rc == SQLF_REFUSED,
	    "return %d with a sink that never fails", v->rc);
	if (v->rc != 0)
		snprintf(v->error, sizeof(v->error), "%s", sqlf_error(f));
	sqlf_free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 5, 300, 70000 };
	struct verdict whole, chunked, again;
	int keep = size % 2;
	size_t i;

	run((const char *)data, size, keep, 0, &whole);
	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		if (maxes[i] < 64 && size > 65536)
			continue;
		run((const char *)data, size, keep, maxes[i], &chunked);
		fuzz_assert(whole.rc == chunked.rc, "return %d whole, %d in "
		    "chunks of up to %zu (%s / %s)", whole.rc, chunked.rc,
		    maxes[i], whole.error, chunked.error);
		fuzz_assert(strcmp(whole.error, chunked.error) == 0,
		    "\"%s\" whole, \"%s\" in chunks of up to %zu",
		    whole.error, chunked.error, maxes[i]);
		if (whole.rc == 0)
			fuzz_assert(same_out(&whole.out, &chunked.out),
			    "output differs in chunks of up to %zu",
			    maxes[i]);
		free(chunked.out.buf);
	}
	if (whole.rc == 0) {
		run(whole.out.buf != NULL ? whole.out.buf : "", whole.out.len,
		    keep, 0, &again);
		fuzz_assert(again.rc == 0, "its own output refused: %s",
		    again.error);
		fuzz_assert(same_out(&again.out, &whole.out),
		    "filtering its own output changed it");
		free(again.out.buf);
	}
	free(whole.out.buf);
	return 0;
}
