/*
 * OpenPGP messages, binary and ASCII-armored: the packets are walked (old
 * and new formats, partial body lengths), their sequence checked against
 * the message grammar of RFC 4880 section 11.3, and the message is
 * complete only at a packet boundary with nothing missing: session keys
 * followed by their encrypted data, one-pass signatures by their
 * signatures.  What is inside encrypted or compressed packets cannot be
 * seen and is not looked at.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "kt_check_impl.h"

#define ZOUT	(16 * 1024)

enum { W_HDR, W_LEN, W_BODY, W_INDET };
enum { G_START, G_ESK, G_DONE };

struct ktc_walker {
	const char *what;
	int state;
	unsigned char hdr[6];
	size_t hdrlen;
	int tag;
	int newfmt;
	uint64_t left;		/* bytes left in the current body chunk */
	int partial;		/* a partial chunk: another length follows */
	uint64_t bodypos;	/* body bytes of this packet seen */
	uint64_t off;		/* offset of the next byte */
	uint64_t pktoff;	/* offset of the current packet */
	uint64_t npackets;
	int checked;		/* the first packet's body looked right */
	int gram;
	int pending_ops;	/* one-pass signatures awaiting theirs */
	uint64_t sigs;
	int nomdc;
	int first;		/* the first packet's tag (markers aside), or 0 */
	int aead;		/* the encrypted data is AEAD: tag 20, or tag 18
				   version 2 (RFC 9580's SEIPDv2) */

	/* A compressed packet at the top: its content is a message too,
	   inflated and walked by INNER, so that a cut shows even when the
	   packet's length runs to the end of input. */
	int nested;		/* this walker is an INNER: no deeper */
	int comp;		/* 0 none, else 1 + algorithm (0 stored,
				   1 deflate, 2 zlib) */
	int zdone;
	z_stream z;
	struct ktc_walker *inner;
	unsigned char *zout;
};

static const char *
tag_name(int tag)
{
	static char buf[32];

	switch (tag) {
	case 1: return "public-key encrypted session key";
	case 2: return "signature";
	case 3: return "symmetric-key encrypted session key";
	case 4: return "one-pass signature";
	case 8: return "compressed data";
	case 9: return "symmetrically encrypted data";
	case 10: return "marker";
	case 11: return "literal data";
	case 18: return "encrypted data";
	case 20: return "AEAD encrypted data";
	}
	snprintf(buf, sizeof(buf), "type %d", tag);
	return buf;
}

struct ktc_walker *
ktc_walker_new(const char *what)
{
	struct ktc_walker *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->what = what;
	return w;
}

static void
comp_free(struct ktc_walker *w)
{
	if (w->comp > 1)
		inflateEnd(&w->z);
	w->comp = 0;
	ktc_walker_free(w->inner);
	w->inner = NULL;
	free(w->zout);
	w->zout = NULL;
}

void
ktc_walker_free(struct ktc_walker *w)
{
	if (w == NULL)
		return;
	comp_free(w);
	free(w);
}

/* The compressed packet's algorithm byte: set up inflating its content. */
static int
comp_start(struct kt_check *c, struct ktc_walker *w, int algo)
{
	if (w->nested || algo > 2)
		return 0;	/* BZip2, or deeper: not looked into */
	if ((w->inner = ktc_walker_new("OpenPGP message (in its compressed "
	    "packet)")) == NULL || (w->zout = malloc(ZOUT)) == NULL)
		return ktc_fail(c, "out of memory");
	w->inner->nested = 1;
	w->comp = 1 + algo;
	w->zdone = algo == 0;
	if (algo > 0) {
		memset(&w->z, 0, sizeof(w->z));
		if (inflateInit2(&w->z, algo == 1 ? -15 : 15) != Z_OK) {
			w->comp = 1;	/* nothing to inflateEnd */
			return ktc_fail(c, "zlib: cannot initialise inflate");
		}
	}
	return 0;
}

static int
comp_feed(struct kt_check *c, struct ktc_walker *w, const unsigned char *buf,
    size_t len)
{
	size_t out;
	int r;

	if (w->comp == 1)
		return ktc_walker_feed(c, w->inner, buf, len);
	if (w->zdone)
		return 0;	/* what follows the stream is not read */
	w->z.next_in = (unsigned char *)buf;
	w->z.avail_in = (unsigned)len;
	do {
		w->z.next_out = w->zout;
		w->z.avail_out = ZOUT;
		r = inflate(&w->z, Z_NO_FLUSH);
		out = ZOUT - w->z.avail_out;
		if (out > 0 && ktc_walker_feed(c, w->inner, w->zout, out) == -1)
			return -1;
		if (r == Z_STREAM_END) {
			w->zdone = 1;
			return 0;
		}
		if (r == Z_BUF_ERROR)
			break;
		if (r != Z_OK)
			return ktc_fail(c, "%s: corrupt data in the compressed "
			    "packet at byte %" PRIu64 ": %s", w->what,
			    w->pktoff, w->z.msg ? w->z.msg : "inflate failed");
	} while (w->z.avail_in > 0 || w->z.avail_out == 0);
	return 0;
}

/* The compressed packet ended (or the input, for one without length). */
static int
comp_end(struct kt_check *c, struct ktc_walker *w)
{
	int r;

	if (w->comp == 0)
		return 0;
	if (!w->zdone)
		r = ktc_fail(c, "%s: the compressed packet at byte %" PRIu64
		    " ends before its compressed data does (cut?)", w->what,
		    w->pktoff);
	else
		r = ktc_walker_end(c, w->inner);
	comp_free(w);
	return r;
}

/* Where a packet's body ends. */
static int
packet_end(struct kt_check *c, struct ktc_walker *w)
{
	w->state = W_HDR;
	return comp_end(c, w);
}

int
ktc_walker_nomdc(const struct ktc_walker *w)
{
	return w->nomdc;
}

int
ktc_walker_signature_only(const struct ktc_walker *w)
{
	return w->gram == G_START && w->sigs > 0 && w->pending_ops == 0;
}

static int
data_packet(int tag)
{
	return tag == 8 || tag == 9 || tag == 11 || tag == 18 || tag == 20;
}

/* The sequence of packets: where may this one come? */
static int
grammar(struct kt_check *c, struct ktc_walker *w)
{
	int tag = w->tag;

	if (tag == 10 && w->gram != G_DONE)
		return 0;	/* marker packets are to be ignored */
	if (w->first == 0)
		w->first = tag;
	switch (w->gram) {
	case G_START:
		switch (tag) {
		case 1: case 3:
			w->gram = G_ESK;
			return 0;
		case 9:
			w->nomdc = 1;
			/* FALLTHROUGH */
		case 18: case 20: case 8: case 11:
			w->gram = G_DONE;
			return 0;
		case 4:
			w->pending_ops++;
			return 0;
		case 2:
			w->sigs++;
			return 0;
		}
		return ktc_fail(c, "%s: a %s packet cannot start a message "
		    "(byte %" PRIu64 ")", w->what, tag_name(tag), w->pktoff);
	case G_ESK:
		switch (tag) {
		case 1: case 3:
			return 0;
		case 9:
			w->nomdc = 1;
			/* FALLTHROUGH */
		case 18: case 20:
			w->gram = G_DONE;
			return 0;
		}
		return ktc_fail(c, "%s: session key packets are followed by a "
		    "%s packet at byte %" PRIu64 ", not by encrypted data",
		    w->what, tag_name(tag), w->pktoff);
	default:
		if (tag == 2 && w->pending_ops > 0) {
			w->pending_ops--;
			return 0;
		}
		return ktc_fail(c, "%s: unexpected %s packet at byte %" PRIu64
		    " after the end of the message", w->what, tag_name(tag),
		    w->pktoff);
	}
}

/* A new-format length in hdr[from..]: 1 when complete, 0 when more
   bytes are needed. */
static int
new_length(struct ktc_walker *w, size_t from, uint64_t *len, int *partial)
{
	const unsigned char *p = w->hdr + from;
	size_t have = w->hdrlen - from;

	*partial = 0;
	if (have < 1)
		return 0;
	if (p[0] < 192) {
		*len = p[0];
		return 1;
	}
	if (p[0] < 224) {
		if (have < 2)
			return 0;
		*len = ((uint64_t)(p[0] - 192) << 8) + p[1] + 192;
		return 1;
	}
	if (p[0] < 255) {
		*len = (uint64_t)1 << (p[0] & 0x1f);
		*partial = 1;
		return 1;
	}
	if (have < 5)
		return 0;
	*len = (uint64_t)p[1] << 24 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 8 | p[4];
	return 1;
}

/* A complete packet header is in w->hdr: check the packet may be here. */
static int
packet_start(struct kt_check *c, struct ktc_walker *w, uint64_t len,
    int partial, int indet)
{
	if (grammar(c, w) == -1)
		return -1;
	if ((partial || indet) && !data_packet(w->tag))
		return ktc_fail(c, "%s: a %s packet at byte %" PRIu64 " with "
		    "a length only data packets may have", w->what,
		    tag_name(w->tag), w->pktoff);
	if (partial && len < 512)
		return ktc_fail(c, "%s: the first partial body of the packet "
		    "at byte %" PRIu64 " is shorter than 512 bytes", w->what,
		    w->pktoff);
	if (!partial && !indet && len == 0)
		return ktc_fail(c, "%s: empty %s packet at byte %" PRIu64,
		    w->what, tag_name(w->tag), w->pktoff);
	if (w->tag == 10 && len != 3)
		return ktc_fail(c, "%s: malformed marker packet at byte %"
		    PRIu64, w->what, w->pktoff);
	w->npackets++;
	w->bodypos = 0;
	w->left = len;
	w->partial = partial;
	w->state = indet ? W_INDET : W_BODY;
	return 0;
}

/* The first bytes of a packet's body: versions and algorithms that can
   be.  Returns -1 (through ktc_fail) for one that cannot. */
static int
body_byte(struct kt_check *c, struct ktc_walker *w, unsigned char b)
{
	const char *bad = NULL;

	if (w->tag == 10) {
		if (b != (unsigned char)"PGP"[w->bodypos])
			bad = "marker";
		else if (w->bodypos == 2 && w->npackets == 1)
			w->checked = 1;
		goto out;
	}
	if (w->bodypos > 0)
		return 0;
	switch (w->tag) {
	case 1:
		if (b != 3 && b != 6)
			bad = "version";
		break;
	case 3:
		if (b < 4 || b > 6)
			bad = "version";
		break;
	case 18:
		if (b != 1 && b != 2)
			bad = "version";
		w->aead = b == 2;
		break;
	case 20:
		if (b != 1)
			bad = "version";
		w->aead = 1;
		break;
	case 4:
		if (b != 3 && b != 6)
			bad = "version";
		break;
	case 2:
		if (b < 3 || b > 6)
			bad = "version";
		break;
	case 8:
		if (b > 3)
			bad = "compression algorithm";
		else if (comp_start(c, w, b) == -1)
			return -1;
		break;
	case 11:
		if (strchr("btul1m", b) == NULL || b == '\0')
			bad = "data format";
		break;
	}
	if (bad == NULL)
		w->checked = 1;
out:
	if (bad != NULL)
		return ktc_fail(c, "%s: %s packet at byte %" PRIu64 " has an "
		    "unknown %s (%u)", w->what, tag_name(w->tag), w->pktoff,
		    bad, b);
	return 0;
}

int
ktc_walker_feed(struct kt_check *c, struct ktc_walker *w,
    const unsigned char *buf, size_t len)
{
	const unsigned char *end = buf + len;
	uint64_t plen, need;
	size_t n;
	int partial, lt;

	while (buf < end) {
		switch (w->state) {
		case W_HDR:
			if (w->hdrlen == 0) {
				w->pktoff = w->off;
				if (!(*buf & 0x80))
					return ktc_fail(c, "%s: no packet "
					    "header at byte %" PRIu64 " (0x%02x)",
					    w->what, w->off, *buf);
				w->newfmt = (*buf & 0x40) != 0;
				w->tag = w->newfmt ? (*buf & 0x3f) :
				    (*buf >> 2 & 0xf);
			}
			w->hdr[w->hdrlen++] = *buf++;
			w->off++;
			if (!w->newfmt) {
				lt = w->hdr[0] & 3;
				if (lt == 3) {
					w->hdrlen = 0;
					if (packet_start(c, w, 0, 0, 1) == -1)
						return -1;
					break;
				}
				if (w->hdrlen < 1 + ((size_t)1 << lt))
					break;
				plen = 0;
				for (n = 1; n < w->hdrlen; n++)
					plen = plen << 8 | w->hdr[n];
				w->hdrlen = 0;
				if (packet_start(c, w, plen, 0, 0) == -1)
					return -1;
				break;
			}
			if (!new_length(w, 1, &plen, &partial))
				break;
			w->hdrlen = 0;
			if (packet_start(c, w, plen, partial, 0) == -1)
				return -1;
			break;
		case W_LEN:
			w->hdr[w->hdrlen++] = *buf++;
			w->off++;
			if (!new_length(w, 0, &plen, &partial))
				break;
			w->hdrlen = 0;
			w->left = plen;
			w->partial = partial;
			w->state = W_BODY;
			break;
		case W_BODY:
		case W_INDET:
			/* The first body bytes are looked at (the marker's
			   three, one of any other), the rest skipped. */
			need = w->tag == 10 ? 3 : 1;
			while (buf < end && w->bodypos < need &&
			    (w->left > 0 || w->state == W_INDET)) {
				if (body_byte(c, w, *buf) == -1)
					return -1;
				buf++;
				w->off++;
				w->bodypos++;
				if (w->state == W_BODY)
					w->left--;
			}
			n = (size_t)(end - buf);
			if (w->state == W_BODY && n > w->left)
				n = (size_t)w->left;
			if (w->comp && n > 0 && comp_feed(c, w, buf, n) == -1)
				return -1;
			buf += n;
			w->off += n;
			w->bodypos += n;
			if (w->state == W_INDET)
				break;
			w->left -= n;
			if (w->left > 0)
				break;
			if (w->partial)
				w->state = W_LEN;
			else if (packet_end(c, w) == -1)
				return -1;
			break;
		}
	}
	/* A chunk that ended exactly: move on without waiting for a byte. */
	if (w->state == W_BODY && w->left == 0) {
		if (w->partial)
			w->state = W_LEN;
		else if (packet_end(c, w) == -1)
			return -1;
	}
	return 0;
}

int
ktc_walker_end(struct kt_check *c, struct ktc_walker *w)
{
	switch (w->state) {
	case W_HDR:
		if (w->hdrlen > 0)
			return ktc_fail(c, "%s cut inside a packet header at "
			    "byte %" PRIu64, w->what, w->off);
		break;
	case W_LEN:
		return ktc_fail(c, "%s cut inside the %s packet that starts "
		    "at byte %" PRIu64 " (between partial bodies, at byte %"
		    PRIu64 ")", w->what, tag_name(w->tag), w->pktoff, w->off);
	case W_BODY:
		return ktc_fail(c, "%s cut inside the %s packet that starts "
		    "at byte %" PRIu64 " (%" PRIu64 " more bytes expected at "
		    "byte %" PRIu64 ")", w->what, tag_name(w->tag), w->pktoff,
		    w->left, w->off);
	case W_INDET:
		if (comp_end(c, w) == -1)
			return -1;
		break;
	}
	if (w->pending_ops > 0)
		return ktc_fail(c, "%s ends at byte %" PRIu64 " before the "
		    "signature its one-pass signature packet announces",
		    w->what, w->off);
	switch (w->gram) {
	case G_ESK:
		return ktc_fail(c, "%s ends at byte %" PRIu64 " after its "
		    "session key packets, without the encrypted data",
		    w->what, w->off);
	case G_START:
		if (w->sigs > 0)
			return 0;	/* a detached signature */
		return ktc_fail(c, "%s ends at byte %" PRIu64 " without any "
		    "message packet", w->what, w->off);
	}
	return 0;
}

int
ktc_pgp_probe(const unsigned char *buf, size_t len, int eof)
{
	struct kt_check c;
	struct ktc_walker w;

	memset(&c, 0, sizeof(c));
	memset(&w, 0, sizeof(w));
	w.what = "probe";
	w.nested = 1;		/* no inflating while guessing */
	/* A failure after a first packet that looked right is a malformed
	   message, for the walker proper to report. */
	if (ktc_walker_feed(&c, &w, buf, len) == -1)
		return w.checked ? 1 : 0;
	if (w.checked)
		return 1;
	return eof ? 0 : -1;
}

/*
 * gpg (is_armored() in g10/armor.c) decides binary or armor by the first
 * packet header alone: a tag it knows, with a length such a packet may
 * have, is binary whatever follows, a comment packet included; only
 * then does it skip what it decrypts no message from.  Text with an
 * armored message further on is armor only where gpg reads it so.  A
 * one-byte input is binary to gpg too.
 */
int
ktc_pgp_gpg_binary(const unsigned char *h, size_t n)
{
	int newfmt, tag;

	if (n == 0 || !(h[0] & 0x80))
		return 0;
	if (n < 2)
		return 1;
	newfmt = (h[0] & 0x40) != 0;
	tag = newfmt ? h[0] & 0x3f : h[0] >> 2 & 0xf;
	switch (tag) {
	case 8: case 9: case 11: case 16: case 18: case 20: case 61: case 63:
		return 1;	/* an indeterminate length is allowed */
	case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 10:
	case 12: case 13: case 14: case 17: case 19:
		return newfmt ? h[1] < 224 || h[1] == 255 : (h[0] & 3) != 3;
	}
	return 0;
}

/* The walker of the message's top level, binary or decoded from armor. */
static const struct ktc_walker *
top_walker(const struct kt_check *c)
{
	if (c->fmt == KT_FMT_OPENPGP)
		return c->pgp;
	if (c->fmt == KT_FMT_OPENPGP_ARMOR)
		return ktc_armor_walker(c);
	return NULL;
}

int
kt_check_pgp_first_tag(const struct kt_check *c)
{
	const struct ktc_walker *w = top_walker(c);

	return w != NULL && w->first != 0 ? w->first : -1;
}

int
kt_check_pgp_aead(const struct kt_check *c)
{
	const struct ktc_walker *w = top_walker(c);

	return w != NULL && w->aead;
}

/* --- ASCII armor ----------------------------------------------------------- */

#define LINE_MAX_LEN	4096

enum { A_BEGIN, A_HEADERS, A_BODY, A_CRC, A_DONE };

struct ktc_armor {
	int state;
	uint64_t off;
	uint64_t lineno;
	size_t linelen;
	int padded;		/* '=' padding seen: the data has ended */
	int padneed;		/* '=' still expected */
	unsigned q;		/* bits of the current base64 quantum */
	int nq;
	uint32_t crc;
	struct ktc_walker *w;
	char line[LINE_MAX_LEN + 1];
	unsigned char out[LINE_MAX_LEN];
};

static const char armor_begin[] = "-----BEGIN PGP MESSAGE-----";
static const char armor_end[] = "-----END PGP MESSAGE-----";

/*
 * gpg takes the first armor it finds, after any lines of text: the first
 * line of H[0..N) that starts with five dashes, when only text (no NUL)
 * comes before it.  Sets *LEN to its length (without the newline and
 * trailing blanks) and *WHOLE to whether its newline was seen.
 */
static const char *
first_armor_line(const unsigned char *h, size_t n, size_t *len, int *whole)
{
	const unsigned char *line, *nl, *end = h + n;

	for (line = h; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if (memchr(line, '\0', (size_t)(nl - line)) != NULL)
			return NULL;
		if (nl - line >= 5 && memcmp(line, "-----", 5) == 0) {
			*whole = nl < end;
			while (nl > line && (nl[-1] == '\r' || nl[-1] == ' ' ||
			    nl[-1] == '\t'))
				nl--;
			*len = (size_t)(nl - line);
			return (const char *)line;
		}
	}
	return NULL;
}

int
ktc_armor_probe(const unsigned char *h, size_t n, int eof)
{
	const size_t blen = sizeof(armor_begin) - 1;
	const char *line;
	size_t len;
	int whole;

	if ((line = first_armor_line(h, n, &len, &whole)) == NULL)
		/* Text so far, and the BEGIN line may yet come. */
		return !eof && memchr(h, '\0', n) == NULL ? -1 : 0;
	if (len > blen || memcmp(line, armor_begin, len) != 0)
		return 0;	/* another armor comes first */
	if (len == blen && (whole || eof))
		return 1;
	if (whole)
		return 0;
	/* At the end of input, a BEGIN line cut short is a message cut
	   inside it (as at byte 0: "-----BEGIN " at least). */
	if (eof)
		return len >= 11;
	return -1;
}

int
kt_check_pgp_clearsigned(const struct kt_check *c)
{
	static const char begin[] = "-----BEGIN PGP SIGNED MESSAGE-----";
	const char *line;
	size_t len;
	int whole;

	if (c->fmt != KT_FMT_UNKNOWN ||
	    ktc_pgp_gpg_binary(c->head, c->headlen) ||
	    (line = first_armor_line(c->head, c->headlen, &len, &whole)) ==
	    NULL)
		return 0;
	return len == sizeof(begin) - 1 && memcmp(line, begin, len) == 0;
}

int
ktc_armor_start(struct kt_check *c)
{
	struct ktc_armor *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -1;
	c->armor = a;
	a->crc = 0xb704ce;
	if ((a->w = ktc_walker_new("armored OpenPGP message (decoded)")) ==
	    NULL)
		return -1;
	return 0;
}

void
ktc_armor_free(struct kt_check *c)
{
	if (c->armor == NULL)
		return;
	ktc_walker_free(c->armor->w);
	free(c->armor);
	c->armor = NULL;
}

const struct ktc_walker *
ktc_armor_walker(const struct kt_check *c)
{
	return c->armor != NULL ? c->armor->w : NULL;
}

static uint32_t
crc24(uint32_t crc, const unsigned char *p, size_t len)
{
	int i;

	while (len-- > 0) {
		crc ^= (uint32_t)*p++ << 16;
		for (i = 0; i < 8; i++) {
			crc <<= 1;
			if (crc & 0x1000000)
				crc ^= 0x1864cfb;
		}
	}
	return crc & 0xffffff;
}

static int
b64(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

static int
armor_fail(struct kt_check *c, const char *why)
{
	return ktc_fail(c, "armored OpenPGP message: %s (line %" PRIu64 ")",
	    why, c->armor->lineno);
}

/* One base64 line of the body: decoded, checksummed, walked. */
static int
armor_data(struct kt_check *c, const char *s, size_t len)
{
	struct ktc_armor *a = c->armor;
	size_t i, n = 0;
	int v;

	for (i = 0; i < len; i++) {
		if (s[i] == '=') {
			/* Padding ends the data: "xx==" or "xxx=". */
			if (!a->padded) {
				if (a->nq == 2) {
					a->out[n++] = (unsigned char)(a->q >> 4);
					a->padneed = 2;
				} else if (a->nq == 3) {
					a->out[n++] =
					    (unsigned char)(a->q >> 10);
					a->out[n++] = (unsigned char)(a->q >> 2);
					a->padneed = 1;
				} else
					return armor_fail(c, "misplaced '=' "
					    "padding");
				a->padded = 1;
				a->q = 0;
				a->nq = 0;
			}
			if (a->padneed == 0)
				return armor_fail(c, "too much '=' padding");
			a->padneed--;
			continue;
		}
		if ((v = b64((unsigned char)s[i])) == -1)
			return armor_fail(c, "a character that is not base64");
		if (a->padded)
			return armor_fail(c, "data after '=' padding");
		a->q = a->q << 6 | (unsigned)v;
		if (++a->nq < 4)
			continue;
		a->out[n++] = (unsigned char)(a->q >> 16);
		a->out[n++] = (unsigned char)(a->q >> 8);
		a->out[n++] = (unsigned char)a->q;
		a->q = 0;
		a->nq = 0;
	}
	a->crc = crc24(a->crc, a->out, n);
	return ktc_walker_feed(c, a->w, a->out, n);
}

static int
armor_line(struct kt_check *c)
{
	struct ktc_armor *a = c->armor;
	char *s = a->line;
	size_t len = a->linelen;
	uint32_t want;
	int i, v;

	a->lineno++;
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' ' ||
	    s[len - 1] == '\t'))
		len--;
	s[len] = '\0';
	switch (a->state) {
	case A_BEGIN:
		/* Text may come first, as gpg allows; then the armor is
		   checked alike.  Detection saw that no other armor (a
		   signed message, say) comes before this one. */
		if (strcmp(s, armor_begin) == 0)
			a->state = A_HEADERS;
		else if (strncmp(s, "-----", 5) == 0)
			return armor_fail(c, "bad BEGIN line");
		return 0;
	case A_HEADERS:
		if (len == 0) {
			a->state = A_BODY;
			return 0;
		}
		if (strstr(s, ": ") == NULL || s[0] == ':')
			return armor_fail(c, "an armor header that is not "
			    "\"Key: value\", or the blank line is missing");
		return 0;
	case A_BODY:
		if (strcmp(s, armor_end) == 0) {
			a->state = A_DONE;
			break;
		}
		if (s[0] == '=' && len == 5) {
			want = 0;
			for (i = 1; i < 5; i++) {
				if ((v = b64((unsigned char)s[i])) == -1)
					return armor_fail(c, "bad checksum "
					    "line");
				want = want << 6 | (uint32_t)v;
			}
			if (want != a->crc)
				return armor_fail(c, "the CRC-24 checksum "
				    "does not match the data");
			a->state = A_CRC;
			return 0;
		}
		return armor_data(c, s, len);
	case A_CRC:
		if (strcmp(s, armor_end) != 0)
			return armor_fail(c, "the checksum line is not "
			    "followed by the END line");
		a->state = A_DONE;
		break;
	case A_DONE:
		if (len > 0)
			return armor_fail(c, "data after the END line");
		return 0;
	}
	/* The END line: the base64 must have ended on a whole quantum. */
	if (a->nq != 0 || a->padneed != 0)
		return armor_fail(c, "base64 data that stops mid-quantum");
	return 0;
}

int
ktc_armor_feed(struct kt_check *c, const unsigned char *buf, size_t len)
{
	struct ktc_armor *a = c->armor;
	const unsigned char *nl;
	size_t n;

	while (len > 0) {
		nl = memchr(buf, '\n', len);
		n = nl != NULL ? (size_t)(nl - buf) : len;
		if (a->linelen + n > LINE_MAX_LEN) {
			a->lineno++;
			return armor_fail(c, "line too long");
		}
		memcpy(a->line + a->linelen, buf, n);
		a->linelen += n;
		a->off += n;
		if (nl == NULL)
			return 0;
		a->off++;
		buf += n + 1;
		len -= n + 1;
		if (armor_line(c) == -1)
			return -1;
		a->linelen = 0;
	}
	return 0;
}

int
ktc_armor_end(struct kt_check *c)
{
	struct ktc_armor *a = c->armor;

	/* A last line without its newline still counts, in the body (the
	   END line); before it, the message is cut anyway. */
	if (a->linelen > 0 && a->state >= A_BODY && armor_line(c) == -1)
		return -1;
	if (a->state != A_DONE)
		return ktc_fail(c, "armored OpenPGP message cut at byte %"
		    PRIu64 ": no \"%s\" line", a->off, armor_end);
	return ktc_walker_end(c, a->w);
}
