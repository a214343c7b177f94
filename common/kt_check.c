/*
 * The stream recogniser: detection from the first bytes, dispatch to one
 * parser per format (kt_check_tar.c, kt_check_gzip.c, kt_check_pgp.c,
 * kt_check_pgdump.c), and what it reports.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_check_impl.h"
#include "kt_manifest.h"
#include "kt_tarfmt.h"

static const char gzip_magic[] = "\x1f\x8b\x08";
static const char armor_begin[] = "-----BEGIN PGP MESSAGE-----";
static const char pgdump_db[] = "--\n-- PostgreSQL database dump\n--\n";
static const char pgdump_cluster[] =
    "--\n-- PostgreSQL database cluster dump\n--\n";

/*
 * Signatures, and how much of one an input must show before it ends to
 * count as that format cut short rather than as unknown data ("--" alone
 * is an SQL comment, "--\n-- " is the start of a dump).
 */
static const struct signature {
	const char *magic;
	size_t len;
	size_t cut;
	enum kt_format fmt;
} signatures[] = {
	{ gzip_magic, sizeof(gzip_magic) - 1, 2, KT_FMT_GZIP },
	{ armor_begin, sizeof(armor_begin) - 1, 11, KT_FMT_OPENPGP_ARMOR },
	{ pgdump_db, sizeof(pgdump_db) - 1, 6, KT_FMT_PGDUMP },
	{ pgdump_cluster, sizeof(pgdump_cluster) - 1, 6, KT_FMT_PGDUMP },
};
#define NSIGNATURES	(sizeof(signatures) / sizeof(signatures[0]))

int
ktc_fail(struct kt_check *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->failed) {
		va_start(ap, fmt);
		vsnprintf(c->error, sizeof(c->error), fmt, ap);
		va_end(ap);
		c->failed = 1;
	}
	return -1;
}

struct kt_check *
ktc_new_nested(unsigned flags, int depth)
{
	struct kt_check *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->flags = flags;
	c->depth = depth;
	c->fmt = KT_FMT_PENDING;
	return c;
}

struct kt_check *
kt_check_new(unsigned flags)
{
	return ktc_new_nested(flags, 0);
}

void
kt_check_free(struct kt_check *c)
{
	if (c == NULL)
		return;
	ktc_tar_free(c);
	ktc_gzip_free(c);
	ktc_walker_free(c->pgp);
	ktc_armor_free(c);
	ktc_pgdump_free(c);
	free(c);
}

/* A tar cut inside its first header, recognisable all the same. */
static int
tar_cut_early(const unsigned char *h, size_t n)
{
	static const char start[] = KT_MANIFEST_START_NAME;

	if (n >= KT_TAR_MAGIC_OFF + 5 &&
	    memcmp(h + KT_TAR_MAGIC_OFF, "ustar", 5) == 0)
		return 1;
	return n >= sizeof(start) - 1 &&
	    memcmp(h, start, sizeof(start) - 1) == 0;
}

/*
 * The format of a stream starting with H[0..N), or KT_FMT_PENDING when
 * more bytes are needed to tell.  At EOF every question gets an answer.
 */
static enum kt_format
detect(const unsigned char *h, size_t n, int eof)
{
	const struct signature *s;
	int alive = 0, tar, pgp;
	size_t i, m;

	if (n == 0)
		return eof ? KT_FMT_EMPTY : KT_FMT_PENDING;
	for (i = 0; i < NSIGNATURES; i++) {
		s = &signatures[i];
		m = n < s->len ? n : s->len;
		if (memcmp(h, s->magic, m) != 0)
			continue;
		if (n >= s->len || (eof && n >= s->cut))
			return s->fmt;
		alive = 1;
	}
	if (alive && !eof)
		return KT_FMT_PENDING;

	/* The mode field rules a tar out whether it arrived alone or with
	   the whole header: the verdict never depends on read sizes. */
	if (n >= KT_TAR_BLOCK && kt_tar_checksum_ok(h) && kt_tar_mode_ok(h, n))
		return KT_FMT_TAR;
	tar = n < KT_TAR_BLOCK && kt_tar_mode_ok(h, n);

	/* Binary OpenPGP can look like a tar header that starts with a
	   non-ASCII name: let tar be ruled out first. */
	if (h[0] & 0x80) {
		pgp = ktc_pgp_probe(h, n, eof);
		if (pgp == 1 && (!tar || eof))
			return KT_FMT_OPENPGP;
		if (pgp == -1 || (pgp == 1 && tar))
			return KT_FMT_PENDING;
	}
	if (tar && !eof)
		return KT_FMT_PENDING;
	if (eof && tar && tar_cut_early(h, n))
		return KT_FMT_TAR;
	/* gpg finds an armored message after lines of text, unless it
	   reads the first bytes as a packet header: then so do we. */
	switch (ktc_armor_probe(h, n, eof)) {
	case 1:
		return ktc_pgp_gpg_binary(h, n) ? KT_FMT_OPENPGP :
		    KT_FMT_OPENPGP_ARMOR;
	case -1:
		return KT_FMT_PENDING;
	}
	return KT_FMT_UNKNOWN;
}

static int
start(struct kt_check *c, enum kt_format fmt)
{
	int r = 0;

	/* gzip inside gzip inside gzip: the innermost is just data. */
	if (fmt == KT_FMT_GZIP && c->depth >= KTC_MAX_DEPTH)
		fmt = KT_FMT_UNKNOWN;
	if ((c->flags & KT_CHECK_PLAINTEXT) &&
	    (fmt == KT_FMT_OPENPGP || fmt == KT_FMT_OPENPGP_ARMOR))
		fmt = KT_FMT_UNKNOWN;
	c->fmt = fmt;
	switch (fmt) {
	case KT_FMT_TAR:
		r = ktc_tar_start(c);
		break;
	case KT_FMT_GZIP:
		r = ktc_gzip_start(c);
		break;
	case KT_FMT_OPENPGP:
		if ((c->pgp = ktc_walker_new("OpenPGP message")) == NULL)
			r = -1;
		break;
	case KT_FMT_OPENPGP_ARMOR:
		r = ktc_armor_start(c);
		break;
	case KT_FMT_PGDUMP:
		r = ktc_pgdump_start(c);
		break;
	default:
		break;
	}
	if (r == -1 && !c->failed)
		ktc_fail(c, "out of memory: %s", strerror(errno));
	return r;
}

static int
dispatch(struct kt_check *c, const unsigned char *buf, size_t len)
{
	switch (c->fmt) {
	case KT_FMT_TAR:
		return ktc_tar_feed(c, buf, len);
	case KT_FMT_GZIP:
		return ktc_gzip_feed(c, buf, len);
	case KT_FMT_OPENPGP:
		return ktc_walker_feed(c, c->pgp, buf, len);
	case KT_FMT_OPENPGP_ARMOR:
		return ktc_armor_feed(c, buf, len);
	case KT_FMT_PGDUMP:
		return ktc_pgdump_feed(c, buf, len);
	default:
		return 0;
	}
}

int
kt_check_feed(struct kt_check *c, const void *vbuf, size_t len)
{
	const unsigned char *buf = vbuf;
	enum kt_format fmt;
	size_t take;

	if (c->failed)
		return -1;
	if (c->ended || len == 0)
		return 0;
	c->off += len;
	if (c->fmt == KT_FMT_PENDING) {
		take = KTC_HEAD - c->headlen < len ? KTC_HEAD - c->headlen :
		    len;
		memcpy(c->head + c->headlen, buf, take);
		c->headlen += take;
		fmt = detect(c->head, c->headlen, 0);
		if (fmt == KT_FMT_PENDING && c->headlen == KTC_HEAD)
			fmt = KT_FMT_UNKNOWN;
		if (fmt == KT_FMT_PENDING)
			return 0;
		if (start(c, fmt) == -1 ||
		    dispatch(c, c->head, c->headlen) == -1)
			return -1;
		buf += take;
		len -= take;
		if (len == 0)
			return 0;
	}
	return dispatch(c, buf, len);
}

int
kt_check_end(struct kt_check *c)
{
	int r = 0;

	if (c->failed)
		return -1;
	if (c->ended)
		return c->end_result;
	c->ended = 1;
	if (c->fmt == KT_FMT_PENDING) {
		if (start(c, detect(c->head, c->headlen, 1)) == -1 ||
		    dispatch(c, c->head, c->headlen) == -1)
			return c->end_result = -1;
	}
	switch (c->fmt) {
	case KT_FMT_TAR:
		r = ktc_tar_end(c);
		break;
	case KT_FMT_GZIP:
		r = ktc_gzip_end(c);
		break;
	case KT_FMT_OPENPGP:
		r = ktc_walker_end(c, c->pgp);
		break;
	case KT_FMT_OPENPGP_ARMOR:
		r = ktc_armor_end(c);
		break;
	case KT_FMT_PGDUMP:
		r = ktc_pgdump_end(c);
		break;
	default:
		break;
	}
	return c->end_result = r;
}

enum kt_format
kt_check_format(const struct kt_check *c)
{
	return c->fmt;
}

enum kt_format
kt_check_inner_format(const struct kt_check *c)
{
	const struct kt_check *in;

	if (c->fmt != KT_FMT_GZIP || (in = ktc_gzip_inner(c)) == NULL)
		return KT_FMT_UNKNOWN;
	return in->fmt;
}

enum kt_manifest_state
kt_check_manifest(const struct kt_check *c)
{
	const struct kt_check *in;

	if (c->failed)
		return KT_MANIFEST_NONE;
	if (c->fmt == KT_FMT_GZIP && (in = ktc_gzip_inner(c)) != NULL)
		return kt_check_manifest(in);
	if (c->fmt != KT_FMT_TAR)
		return KT_MANIFEST_NONE;
	return ktc_tar_manifest(c);
}

unsigned long long
kt_check_members(const struct kt_check *c)
{
	const struct kt_check *in;

	if (c->fmt == KT_FMT_GZIP && (in = ktc_gzip_inner(c)) != NULL)
		return kt_check_members(in);
	if (c->fmt != KT_FMT_TAR)
		return 0;
	return ktc_tar_members(c);
}

int
kt_check_compare(struct kt_check *c, struct kt_manifest_reader *view)
{
	struct kt_manifest_reader *mine;
	struct kt_check *in;
	const char *what;
	uint64_t index;

	if (c->failed || !c->ended || c->end_result != 0)
		return -1;
	if (c->fmt == KT_FMT_GZIP && (in = (struct kt_check *)
	    ktc_gzip_inner(c)) != NULL) {
		if (kt_check_compare(in, view) == 0)
			return 0;
		return ktc_fail(c, "%s", kt_check_error(in));
	}
	if (c->fmt != KT_FMT_TAR || (mine = ktc_tar_view(c)) == NULL)
		return ktc_fail(c, "not a tar archive checked member by member");
	if (kt_manifest_reader_compare(mine, view, &index, &what) == 0)
		return 0;
	if (index > 0)
		return ktc_fail(c, "tar archive read two ways: libarchive "
		    "delivers member %" PRIu64 " with another %s than its "
		    "header says (a header tar readers disagree about?)",
		    index, what);
	return ktc_fail(c, "tar archive read two ways: libarchive and the "
	    "headers disagree about the %s", what);
}

int
kt_check_is_kt_tar(const struct kt_check *c)
{
	const struct kt_check *in;

	if (c->fmt == KT_FMT_GZIP && (in = ktc_gzip_inner(c)) != NULL)
		return kt_check_is_kt_tar(in);
	return c->fmt == KT_FMT_TAR && ktc_tar_is_kt(c);
}

int
kt_check_nomdc(const struct kt_check *c)
{
	const struct ktc_walker *w = NULL;

	if (c->fmt == KT_FMT_OPENPGP)
		w = c->pgp;
	else if (c->fmt == KT_FMT_OPENPGP_ARMOR)
		w = ktc_armor_walker(c);
	return w != NULL && ktc_walker_nomdc(w);
}

static const char *
describe_plain(const struct kt_check *c)
{
	const struct ktc_walker *w;

	switch (c->fmt) {
	case KT_FMT_PENDING:
		return "data too short to recognise";
	case KT_FMT_EMPTY:
		return "empty input";
	case KT_FMT_UNKNOWN:
		return "unrecognised data";
	case KT_FMT_TAR:
		return ktc_tar_is_kt(c) ? "kt-tar archive" : "tar archive";
	case KT_FMT_GZIP:
		return "gzip-compressed data";
	case KT_FMT_PGDUMP:
		return ktc_pgdump_cluster(c) ?
		    "PostgreSQL cluster dump" : "PostgreSQL dump";
	case KT_FMT_OPENPGP:
	case KT_FMT_OPENPGP_ARMOR:
		w = c->fmt == KT_FMT_OPENPGP ? c->pgp : ktc_armor_walker(c);
		if (w != NULL && ktc_walker_signature_only(w))
			return c->fmt == KT_FMT_OPENPGP ? "OpenPGP signature" :
			    "ASCII-armored OpenPGP signature";
		if (w != NULL && ktc_walker_nomdc(w))
			return c->fmt == KT_FMT_OPENPGP ?
			    "OpenPGP message (no MDC)" :
			    "ASCII-armored OpenPGP message (no MDC)";
		return c->fmt == KT_FMT_OPENPGP ? "OpenPGP message" :
		    "ASCII-armored OpenPGP message";
	}
	return "unrecognised data";
}

const char *
kt_check_describe(const struct kt_check *c)
{
	static char buf[128];
	const struct kt_check *in;

	if (c->fmt != KT_FMT_GZIP)
		return describe_plain(c);
	in = ktc_gzip_inner(c);
	if (in == NULL || in->fmt == KT_FMT_UNKNOWN ||
	    in->fmt == KT_FMT_PENDING || in->fmt == KT_FMT_EMPTY)
		return "gzip-compressed data";
	snprintf(buf, sizeof(buf), "gzip-compressed %s", describe_plain(in));
	return buf;
}

const char *
kt_check_suffix(const struct kt_check *c)
{
	switch (c->fmt) {
	case KT_FMT_TAR:
		return ".tar";
	case KT_FMT_PGDUMP:
		return ".sql";
	case KT_FMT_OPENPGP:
		return ".gpg";
	case KT_FMT_OPENPGP_ARMOR:
		return ".asc";
	case KT_FMT_GZIP:
		switch (kt_check_inner_format(c)) {
		case KT_FMT_TAR:
			return ".tar.gz";
		case KT_FMT_PGDUMP:
			return ".sql.gz";
		default:
			return ".gz";
		}
	default:
		return "";
	}
}

const char *
kt_check_error(const struct kt_check *c)
{
	return c->failed ? c->error : "no error";
}

const char *
kt_check_format_name(enum kt_format fmt)
{
	switch (fmt) {
	case KT_FMT_PENDING:
		return "pending";
	case KT_FMT_EMPTY:
		return "empty";
	case KT_FMT_UNKNOWN:
		return "unknown";
	case KT_FMT_TAR:
		return "tar";
	case KT_FMT_GZIP:
		return "gzip";
	case KT_FMT_PGDUMP:
		return "pgdump";
	case KT_FMT_OPENPGP:
		return "openpgp";
	case KT_FMT_OPENPGP_ARMOR:
		return "openpgp-armor";
	}
	return "unknown";
}
