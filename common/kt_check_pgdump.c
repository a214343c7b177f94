/*
 * PostgreSQL plain-text dumps (pg_dump, pg_dump -c, pg_dumpall): the
 * kind of dump and its \restrict key are read from the head, and the end
 * must be the matching completion trailer:
 *
 *	pg_dump:	"--\n-- PostgreSQL database dump complete\n--\n\n"
 *			then "\unrestrict KEY\n\n" when the head had
 *			"\restrict KEY" (pg_dump since the CVE-2025-8714
 *			fix), nothing more from older ones;
 *	pg_dumpall:	"--\n-- PostgreSQL database cluster dump complete\n"
 *			"--\n\n" (its own key is lifted near the top).
 *
 * Only the head and the last KT_PGDUMP_TAIL_MAX bytes are kept.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_check_impl.h"

static const char head_db[] = "--\n-- PostgreSQL database dump\n--\n";
static const char head_cluster[] =
    "--\n-- PostgreSQL database cluster dump\n--\n";
static const char restrict_line[] = "\n\\restrict ";
static const char comment_start[] = "--\n-- PostgreSQL database ";
static const char end_db[] = "dump complete\n--\n\n";
static const char end_cluster[] = "cluster dump complete\n--\n\n";
static const char unrestrict[] = "\\unrestrict ";

#define HEAD_MAX	(sizeof(head_cluster) + sizeof(restrict_line) + \
			 KT_PGDUMP_KEY_MAX + 2)

struct ktc_pgdump {
	int cluster;
	int headdone;
	int haskey;
	size_t keylen;
	size_t headlen;
	size_t taillen;
	uint64_t off;
	char key[KT_PGDUMP_KEY_MAX + 1];
	unsigned char head[HEAD_MAX];
	unsigned char tail[KT_PGDUMP_TAIL_MAX];
};

static int
keychar(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9');
}

size_t
kt_pgdump_trailer_start(const char *tail, size_t len)
{
	const size_t clen = sizeof(comment_start) - 1;
	const char *p, *rest;
	size_t i, n, k;

	if (len < clen)
		return (size_t)-1;
	/* The last completion comment, at the start of a line, that only
	   a well-formed rest of the trailer follows. */
	for (i = len - clen + 1; i-- > 0;) {
		p = tail + i;
		if (memcmp(p, comment_start, clen) != 0 ||
		    (i > 0 && tail[i - 1] != '\n'))
			continue;
		rest = p + clen;
		n = len - i - clen;
		if (n >= sizeof(end_db) - 1 &&
		    memcmp(rest, end_db, sizeof(end_db) - 1) == 0) {
			rest += sizeof(end_db) - 1;
			n -= sizeof(end_db) - 1;
			if (n == 0)
				return i;
			if (n < sizeof(unrestrict) - 1 + 3 ||
			    memcmp(rest, unrestrict, sizeof(unrestrict) - 1))
				return (size_t)-1;
			rest += sizeof(unrestrict) - 1;
			n -= sizeof(unrestrict) - 1;
			for (k = 0; k < n && keychar((unsigned char)rest[k]);
			    k++)
				;
			if (k == 0 || k > KT_PGDUMP_KEY_MAX || n != k + 2 ||
			    memcmp(rest + k, "\n\n", 2) != 0)
				return (size_t)-1;
			return i;
		}
		if (n == sizeof(end_cluster) - 1 &&
		    memcmp(rest, end_cluster, n) == 0)
			return i;
		return (size_t)-1;
	}
	return (size_t)-1;
}

int
ktc_pgdump_start(struct kt_check *c)
{
	if ((c->pgdump = calloc(1, sizeof(*c->pgdump))) == NULL)
		return -1;
	return 0;
}

void
ktc_pgdump_free(struct kt_check *c)
{
	free(c->pgdump);
	c->pgdump = NULL;
}

int
ktc_pgdump_cluster(const struct kt_check *c)
{
	return c->pgdump != NULL && c->pgdump->cluster;
}

/*
 * Reads the kind of dump and the \restrict key from the head.  Returns 1
 * when done, 0 when more bytes are needed, -1 on error.
 */
static int
parse_head(struct kt_check *c, int eof)
{
	struct ktc_pgdump *d = c->pgdump;
	const unsigned char *h = d->head, *key, *nl;
	size_t n = d->headlen, sig, rl = sizeof(restrict_line) - 1, m;

	if (n >= sizeof(head_cluster) - 1 &&
	    memcmp(h, head_cluster, sizeof(head_cluster) - 1) == 0) {
		d->cluster = 1;
		sig = sizeof(head_cluster) - 1;
	} else if (n >= sizeof(head_db) - 1 &&
	    memcmp(h, head_db, sizeof(head_db) - 1) == 0)
		sig = sizeof(head_db) - 1;
	else
		return eof ? 1 : 0;	/* the end check will say "cut" */
	m = n - sig < rl ? n - sig : rl;
	if (memcmp(h + sig, restrict_line, m) != 0)
		return 1;		/* a dump older than \restrict */
	if (m < rl)
		return eof ? 1 : 0;
	key = h + sig + rl;
	if ((nl = memchr(key, '\n', n - sig - rl)) == NULL) {
		if (n == HEAD_MAX)
			return ktc_fail(c, "PostgreSQL dump: its \\restrict key "
			    "is longer than %d characters", KT_PGDUMP_KEY_MAX);
		return eof ? 1 : 0;
	}
	d->keylen = (size_t)(nl - key);
	if (d->keylen == 0 || d->keylen > KT_PGDUMP_KEY_MAX)
		return ktc_fail(c, "PostgreSQL dump: bad \\restrict line");
	memcpy(d->key, key, d->keylen);
	d->key[d->keylen] = '\0';
	d->haskey = 1;
	return 1;
}

int
ktc_pgdump_feed(struct kt_check *c, const unsigned char *buf, size_t len)
{
	struct ktc_pgdump *d = c->pgdump;
	size_t n;
	int r;

	d->off += len;
	if (!d->headdone) {
		n = HEAD_MAX - d->headlen < len ? HEAD_MAX - d->headlen : len;
		memcpy(d->head + d->headlen, buf, n);
		d->headlen += n;
		if ((r = parse_head(c, 0)) == -1)
			return -1;
		d->headdone = r;
	}
	/* Keep the last KT_PGDUMP_TAIL_MAX bytes. */
	if (len >= KT_PGDUMP_TAIL_MAX) {
		memcpy(d->tail, buf + len - KT_PGDUMP_TAIL_MAX,
		    KT_PGDUMP_TAIL_MAX);
		d->taillen = KT_PGDUMP_TAIL_MAX;
		return 0;
	}
	if (d->taillen + len > KT_PGDUMP_TAIL_MAX) {
		n = d->taillen + len - KT_PGDUMP_TAIL_MAX;
		memmove(d->tail, d->tail + n, d->taillen - n);
		d->taillen -= n;
	}
	memcpy(d->tail + d->taillen, buf, len);
	d->taillen += len;
	return 0;
}

/* Does the input stop part way through the trailer it should end with? */
static int
ends_inside_trailer(const struct ktc_pgdump *d)
{
	char want[sizeof(comment_start) + sizeof(end_cluster) +
	    sizeof(unrestrict) + KT_PGDUMP_KEY_MAX + 8];
	size_t wlen, k;

	wlen = (size_t)snprintf(want, sizeof(want), "\n%s%s%s%s%s",
	    comment_start, d->cluster ? end_cluster : end_db,
	    d->haskey && !d->cluster ? unrestrict : "",
	    d->haskey && !d->cluster ? d->key : "",
	    d->haskey && !d->cluster ? "\n\n" : "");
	for (k = wlen < d->taillen ? wlen : d->taillen; k >= 8; k--)
		if (memcmp(d->tail + d->taillen - k, want, k) == 0)
			return 1;
	return 0;
}

int
ktc_pgdump_end(struct kt_check *c)
{
	struct ktc_pgdump *d = c->pgdump;
	const char *tail = (const char *)d->tail, *what, *p, *k;
	size_t at, klen;

	if (!d->headdone && parse_head(c, 1) == -1)
		return -1;
	what = d->cluster ? "PostgreSQL cluster dump" : "PostgreSQL dump";
	at = kt_pgdump_trailer_start(tail, d->taillen);
	if (at == (size_t)-1) {
		if (ends_inside_trailer(d))
			return ktc_fail(c, "%s cut inside its completion "
			    "trailer (input ends at byte %" PRIu64 ")", what,
			    d->off);
		return ktc_fail(c, "%s ends at byte %" PRIu64 " without its "
		    "completion trailer (\"-- PostgreSQL database %sdump "
		    "complete\"): cut short?", what, d->off,
		    d->cluster ? "cluster " : "");
	}
	p = tail + at + sizeof(comment_start) - 1;
	if (((size_t)(tail + d->taillen - p) >= sizeof(end_cluster) - 1 &&
	    memcmp(p, end_cluster, sizeof(end_cluster) - 1) == 0) !=
	    d->cluster)
		return ktc_fail(c, "%s ends at byte %" PRIu64 " with the "
		    "trailer of a %s, not its own (cut %s?)", what, d->off,
		    d->cluster ? "single database's dump" :
		    "cluster dump", d->cluster ? "between two databases" :
		    "and joined to another dump");
	if (d->cluster)
		return 0;
	k = p + sizeof(end_db) - 1;
	if (k == tail + d->taillen) {
		if (d->haskey)
			return ktc_fail(c, "%s cut inside its completion "
			    "trailer: \\unrestrict %s is missing at byte %"
			    PRIu64, what, d->key, d->off);
		return 0;
	}
	k += sizeof(unrestrict) - 1;
	klen = (size_t)(tail + d->taillen - k) - 2;
	if (!d->haskey)
		return ktc_fail(c, "%s ends with an \\unrestrict line, but "
		    "started without \\restrict", what);
	if (klen != d->keylen || memcmp(k, d->key, klen) != 0)
		return ktc_fail(c, "%s: its \\unrestrict key does not match "
		    "its \\restrict key", what);
	return 0;
}
