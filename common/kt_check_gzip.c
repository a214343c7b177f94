/*
 * gzip streams: every member inflated with zlib up to its trailer (CRC-32
 * and length checked by zlib), members one after the other, nothing else
 * after them.  What they inflate to goes to a nested recogniser, so a
 * compressed tar is checked down to its manifest.
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kt_check_impl.h"

#define OUTBUF	(64 * 1024)

struct ktc_gzip {
	z_stream z;
	int zinit;
	int member_done;	/* between members (or before the first) */
	uint64_t members;
	uint64_t off;		/* compressed bytes consumed */
	uint64_t member_off;	/* where the current member started */
	struct kt_check *inner;
	unsigned char out[OUTBUF];
};

int
ktc_gzip_start(struct kt_check *c)
{
	struct ktc_gzip *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -1;
	c->gzip = g;
	/* 15 + 16: gzip wrapper only, largest window. */
	if (inflateInit2(&g->z, 15 + 16) != Z_OK)
		return ktc_fail(c, "zlib: cannot initialise inflate");
	g->zinit = 1;
	if ((g->inner = ktc_new_nested(c->flags, c->depth + 1)) == NULL)
		return -1;
	return 0;
}

void
ktc_gzip_free(struct kt_check *c)
{
	struct ktc_gzip *g = c->gzip;

	if (g == NULL)
		return;
	if (g->zinit)
		inflateEnd(&g->z);
	kt_check_free(g->inner);
	free(g);
	c->gzip = NULL;
}

const struct kt_check *
ktc_gzip_inner(const struct kt_check *c)
{
	return c->gzip != NULL ? c->gzip->inner : NULL;
}

static int
inner_failed(struct kt_check *c)
{
	return ktc_fail(c, "in the data inflated from the gzip stream: %s",
	    kt_check_error(c->gzip->inner));
}

int
ktc_gzip_feed(struct kt_check *c, const unsigned char *buf, size_t len)
{
	struct ktc_gzip *g = c->gzip;
	size_t produced, used;
	int r;

	while (len > 0) {
		if (g->members > 0 && g->member_done) {
			/* Another member must start right here. */
			if (buf[0] != 0x1f)
				return ktc_fail(c, "junk after the end of the "
				    "gzip stream at byte %" PRIu64, g->off);
			inflateReset(&g->z);
			g->member_done = 0;
			g->member_off = g->off;
		}
		g->z.next_in = (unsigned char *)buf;
		g->z.avail_in = len > UINT_MAX ? UINT_MAX : (unsigned)len;
		used = g->z.avail_in;
		do {
			g->z.next_out = g->out;
			g->z.avail_out = OUTBUF;
			r = inflate(&g->z, Z_NO_FLUSH);
			produced = OUTBUF - g->z.avail_out;
			if (produced > 0 &&
			    kt_check_feed(g->inner, g->out, produced) == -1)
				return inner_failed(c);
			if (r == Z_STREAM_END) {
				g->member_done = 1;
				g->members++;
				break;
			}
			if (r == Z_BUF_ERROR)
				break;	/* needs more input */
			if (r != Z_OK) {
				used -= g->z.avail_in;
				if (g->members > 0 &&
				    g->off + used - g->member_off < 10)
					return ktc_fail(c, "junk after the end "
					    "of the gzip stream at byte %"
					    PRIu64, g->member_off);
				return ktc_fail(c, "corrupt gzip data near "
				    "byte %" PRIu64 ": %s", g->off + used,
				    g->z.msg != NULL ? g->z.msg :
				    "inflate failed");
			}
		} while (g->z.avail_in > 0 || g->z.avail_out == 0);
		used -= g->z.avail_in;
		g->off += used;
		buf += used;
		len -= used;
	}
	return 0;
}

int
ktc_gzip_end(struct kt_check *c)
{
	struct ktc_gzip *g = c->gzip;

	if (!g->member_done) {
		/* Still settle what the content was, for messages. */
		(void)kt_check_end(g->inner);
		return ktc_fail(c, "gzip stream cut at byte %" PRIu64
		    " (inside the member that starts at byte %" PRIu64 ")",
		    g->off, g->member_off);
	}
	if (kt_check_end(g->inner) == -1)
		return inner_failed(c);
	return 0;
}
