/*
 * Tar streams: headers, data, end-of-archive, and kt-tar's manifest
 * (kt_manifest.h).  Everything is decided block by block in fixed
 * memory; member data is hashed straight from the caller's buffer.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_check_impl.h"
#include "kt_manifest.h"
#include "kt_sha256.h"
#include "kt_tarfmt.h"

enum tstate {
	T_HEADER,	/* next: a header, or the end-of-archive marker */
	T_DATA,
	T_PAD,
	T_EOA2,		/* the second zero block of the end-of-archive */
	T_AFTER,	/* after it: zeros, then (kt-tar) the manifest */
	T_MHEADER,	/* the next manifest part's header */
	T_END,		/* two zero blocks after the manifest */
	T_ZEROS		/* nothing but zeros to the end */
};

/* What the current header's data is. */
enum twhat {
	D_SKIP,		/* nothing we read: skipped */
	D_MEMBER,	/* a member's data (hashed for kt-tar with HASH) */
	D_PAX,		/* 'x': attributes of the next member */
	D_GLOBAL,	/* 'g' */
	D_LONGNAME,	/* GNU 'L' */
	D_LONGLINK	/* GNU 'K' */
};

/* Where a member's path or link target came from: higher wins. */
enum { FROM_HEADER, FROM_GNU, FROM_PAX };

struct name {
	size_t len;
	int from;
	int toolong;
	char buf[KT_MANIFEST_PATH_MAX + 1];
};

struct ktc_tar {
	enum tstate state;
	enum twhat what;
	uint64_t off;		/* stream offset of the next byte */
	uint64_t hdroff;	/* offset of the current header */
	uint64_t dataoff;	/* offset of its data */
	uint64_t size;		/* data bytes of the current header */
	uint64_t left;		/* data bytes to come */
	uint64_t padleft;
	size_t blklen;
	unsigned char blk[KT_TAR_BLOCK];
	uint64_t nheaders;
	int pending;		/* extended headers wait for their member */
	int kt;			/* the start marker was seen */
	int hash;		/* hash member data (kt-tar, KT_CHECK_HASH) */

	/* The member being read, and what extended headers said of it. */
	struct name path, link;
	int havesize;
	uint64_t paxsize;
	uint64_t paxdigits;
	int mtype;
	uint64_t msize;
	struct kt_sha256 sha;
	uint64_t members;

	/* Global headers: the start marker, the manifest. */
	struct kt_pax_reader pax;
	size_t gmatch;
	int gcomment;
	int gok;
	int inmanifest;
	struct kt_manifest_reader *mr;
	int mlast;		/* the last manifest part was read */
	int mdone;
	uint64_t eoaoff;
	int zeroblocks;
};

#define TAR(c)	((c)->tar)

int
ktc_tar_start(struct kt_check *c)
{
	struct ktc_tar *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	c->tar = t;
	t->state = T_HEADER;
	/* With HASH the members are recorded from the start, whether or
	   not a manifest follows: kt-tar compares them with what libarchive
	   delivers (kt_check_compare). */
	t->hash = (c->flags & KT_CHECK_HASH) != 0;
	if (t->hash && (t->mr = kt_manifest_reader_new(1)) == NULL)
		return -1;
	return 0;
}

void
ktc_tar_free(struct kt_check *c)
{
	struct ktc_tar *t = c->tar;

	if (t == NULL)
		return;
	kt_sha256_free(&t->sha);
	kt_manifest_reader_free(t->mr);
	free(t);
	c->tar = NULL;
}

int
ktc_tar_is_kt(const struct kt_check *c)
{
	return c->tar != NULL && c->tar->kt;
}

enum kt_manifest_state
ktc_tar_manifest(const struct kt_check *c)
{
	const struct ktc_tar *t = c->tar;

	if (t == NULL || !t->mdone)
		return KT_MANIFEST_NONE;
	return t->hash ? KT_MANIFEST_VERIFIED : KT_MANIFEST_STRUCTURE;
}

struct kt_manifest_reader *
ktc_tar_view(const struct kt_check *c)
{
	return c->tar != NULL && c->tar->hash ? c->tar->mr : NULL;
}

uint64_t
ktc_tar_members(const struct kt_check *c)
{
	return c->tar != NULL ? c->tar->members : 0;
}

/* A path or link target quoted in messages: the first bytes of it. */
static const char *
quote(const struct name *n)
{
	static char buf[104];
	size_t len = n->len < 96 ? n->len : 96;

	memcpy(buf, n->buf, len);
	strcpy(buf + len, n->len > len ? "..." : "");
	return buf;
}

static void
name_set(struct name *n, const char *s, size_t len, int from)
{
	n->from = from;
	n->toolong = len > KT_MANIFEST_PATH_MAX;
	n->len = n->toolong ? KT_MANIFEST_PATH_MAX : len;
	memcpy(n->buf, s, n->len);
	n->buf[n->len] = '\0';
}

static void
name_append(struct name *n, const unsigned char *s, size_t len)
{
	size_t room = KT_MANIFEST_PATH_MAX - n->len;

	if (len > room) {
		n->toolong = 1;
		len = room;
	}
	memcpy(n->buf + n->len, s, len);
	n->len += len;
	n->buf[n->len] = '\0';
}

/* --- pax records --------------------------------------------------------- */

/* Keys of a sparse file: GNU tar's formats 0.0, 0.1 and 1.0, Solaris',
   star's.  The header's size then counts a map and the data without the
   holes; libarchive skips and reads such data differently, GNU tar
   renames the member (1.0): we do not follow them. */
static int
sparse_key(const char *key)
{
	return strncmp(key, "GNU.sparse.", 11) == 0 ||
	    strcmp(key, "SUN.holesdata") == 0 ||
	    strcmp(key, "SCHILY.realsize") == 0;
}

static int
sparse(struct kt_check *c, const char *how)
{
	return ktc_fail(c, "tar header at byte %" PRIu64 " is a sparse file "
	    "(%s), which kt-tar does not read: tar readers disagree about "
	    "where its data ends", TAR(c)->hdroff, how);
}

/* A decimal number in pieces, by value: leading zeros are allowed. */
static int
pax_number(struct kt_check *c, const unsigned char *buf, size_t len,
    unsigned flags)
{
	struct ktc_tar *t = TAR(c);
	size_t i;
	unsigned d;

	if (flags & KT_PAX_BEGIN) {
		t->paxsize = 0;
		t->paxdigits = 0;
		t->havesize = 0;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return ktc_fail(c, "tar header at byte %" PRIu64 " has "
			    "a pax size record that is not a number",
			    t->hdroff);
		d = (unsigned)(buf[i] - '0');
		if (t->paxsize > (UINT64_MAX - d) / 10)
			return ktc_fail(c, "tar header at byte %" PRIu64 " has "
			    "a pax size record out of range (beyond 64 bits)",
			    t->hdroff);
		t->paxsize = t->paxsize * 10 + d;
		t->paxdigits++;
	}
	if (!(flags & KT_PAX_END))
		return 0;
	if (t->paxdigits == 0)
		return ktc_fail(c, "tar header at byte %" PRIu64 " has an "
		    "empty pax size record", t->hdroff);
	t->havesize = 1;
	return 0;
}

static int
pax_value(void *cookie, const char *key, const unsigned char *buf,
    size_t len, unsigned flags)
{
	struct kt_check *c = cookie;
	struct ktc_tar *t = TAR(c);
	struct name *n = NULL;

	if ((flags & KT_PAX_BEGIN) && sparse_key(key))
		return sparse(c, key);
	if (strcmp(key, "path") == 0)
		n = &t->path;
	else if (strcmp(key, "linkpath") == 0)
		n = &t->link;
	if (n != NULL) {
		if (flags & KT_PAX_BEGIN) {
			n->len = 0;
			n->toolong = 0;
			n->from = FROM_PAX;
		}
		/* libarchive and GNU tar end the name at a NUL, other
		   readers keep it whole: two names for one member. */
		if (memchr(buf, '\0', len) != NULL)
			return ktc_fail(c, "tar header at byte %" PRIu64 " has "
			    "a NUL byte in its pax %s record, which tar "
			    "readers cut or keep", t->hdroff, key);
		name_append(n, buf, len);
		return 0;
	}
	if (strcmp(key, "size") != 0)
		return 0;
	return pax_number(c, buf, len, flags);
}

static int
global_value(void *cookie, const char *key, const unsigned char *buf,
    size_t len, unsigned flags)
{
	static const char marker[] = KT_MANIFEST_START_COMMENT;
	struct kt_check *c = cookie;
	struct ktc_tar *t = TAR(c);

	/* GNU tar applies these to every member that follows, libarchive
	   ignores them: the two would not agree on a single member. */
	if ((flags & KT_PAX_BEGIN) && (strcmp(key, "path") == 0 ||
	    strcmp(key, "linkpath") == 0 || strcmp(key, "size") == 0 ||
	    sparse_key(key)))
		return ktc_fail(c, "tar global header at byte %" PRIu64 " sets "
		    "\"%s\" for the members that follow, which GNU tar "
		    "applies and libarchive ignores", t->hdroff, key);
	if (strcmp(key, "comment") != 0)
		return 0;
	if (flags & KT_PAX_BEGIN) {
		if (t->gcomment++ && t->inmanifest)
			return ktc_fail(c, "kt-tar manifest header at byte %"
			    PRIu64 " has two comments", t->hdroff);
		if (t->inmanifest &&
		    kt_manifest_part_begin(t->mr, t->dataoff + t->pax.off) ==
		    -1)
			return ktc_fail(c, "%s",
			    kt_manifest_reader_error(t->mr));
		t->gmatch = 0;
		t->gok = 1;
	}
	if (t->inmanifest) {
		if (kt_manifest_read(t->mr, buf, len) == -1)
			return ktc_fail(c, "%s",
			    kt_manifest_reader_error(t->mr));
		return 0;
	}
	/* The start marker's comment, compared as it comes. */
	if (len > sizeof(marker) - 1 - t->gmatch ||
	    memcmp(marker + t->gmatch, buf, len) != 0)
		t->gok = 0;
	else
		t->gmatch += len;
	if ((flags & KT_PAX_END) && t->gok && t->gmatch == sizeof(marker) - 1 &&
	    t->nheaders == 1 && !t->kt) {
		/* kt-tar's start marker: a manifest must follow the
		   members, and they are compared with it as they come. */
		t->kt = 1;
		if (t->mr == NULL &&
		    (t->mr = kt_manifest_reader_new(t->hash)) == NULL)
			return ktc_fail(c, "out of memory");
	}
	return 0;
}

/* --- members ----------------------------------------------------------- */

static int
member_done(struct kt_check *c)
{
	struct ktc_tar *t = TAR(c);
	unsigned char digest[KT_SHA256_LEN] = { 0 };

	t->members++;
	if (t->mr != NULL) {
		if (t->hash && t->mtype == KT_MANIFEST_FILE)
			kt_sha256_final(&t->sha, digest);
		if (kt_manifest_expect(t->mr, t->mtype, t->path.buf,
		    t->path.len, t->link.buf, t->link.len, t->msize,
		    digest) == -1)
			return ktc_fail(c, "%s",
			    kt_manifest_reader_error(t->mr));
	}
	t->path.from = t->link.from = FROM_HEADER;
	t->path.len = t->link.len = 0;
	t->path.toolong = t->link.toolong = 0;
	t->havesize = 0;
	t->pending = 0;
	return 0;
}

/* The end of a header's data (right after the header when it has none). */
static int
data_done(struct kt_check *c)
{
	struct ktc_tar *t = TAR(c);
	int r;

	switch (t->what) {
	case D_MEMBER:
		if (member_done(c) == -1)
			return -1;
		break;
	case D_PAX:
	case D_GLOBAL:
		if (kt_pax_finish(&t->pax) == -1) {
			if (c->failed)
				return -1;
			return ktc_fail(c, "tar %s header at byte %" PRIu64
			    " is malformed: %s", t->what == D_PAX ?
			    "extended" : "global", t->hdroff, t->pax.error);
		}
		if (!t->inmanifest)
			break;
		if (!t->gcomment)
			return ktc_fail(c, "expected the kt-tar manifest "
			    "after the end-of-archive marker, found a global "
			    "header without it at byte %" PRIu64, t->hdroff);
		if ((r = kt_manifest_part_end(t->mr)) == -1)
			return ktc_fail(c, "%s",
			    kt_manifest_reader_error(t->mr));
		t->mlast = r;
		break;
	case D_LONGNAME:
	case D_LONGLINK:
		/* GNU tar counts a NUL in the size: the name ends there. */
		{
			struct name *n = t->what == D_LONGNAME ?
			    &t->path : &t->link;
			char *nul;

			if (n->from == FROM_GNU &&
			    (nul = memchr(n->buf, '\0', n->len)) != NULL)
				n->len = (size_t)(nul - n->buf);
		}
		break;
	case D_SKIP:
		break;
	}
	if (t->padleft > 0)
		t->state = T_PAD;
	else
		t->state = t->inmanifest ? T_MHEADER : T_HEADER;
	if (t->inmanifest && t->padleft == 0 && t->mlast)
		t->state = T_END;
	return 0;
}

static int
ambiguous(struct kt_check *c, const char *what, uint64_t size)
{
	return ktc_fail(c, "tar header at byte %" PRIu64 " is a %s with %"
	    PRIu64 " bytes of data, which tar readers disagree about",
	    TAR(c)->hdroff, what, size);
}

/* A typeflag we do not know: POSIX says a file, libarchive makes it a
   file with data (a directory when its name ends in '/'), GNU tar warns,
   Solaris' 'A' is an ACL to libarchive and a file to GNU tar. */
static int
unknown_type(struct kt_check *c, unsigned char type)
{
	char shown[8];

	if (type > 0x20 && type < 0x7f)
		snprintf(shown, sizeof(shown), "'%c'", type);
	else
		snprintf(shown, sizeof(shown), "0x%02x", type);
	return ktc_fail(c, "tar header at byte %" PRIu64 " has type %s, "
	    "which kt-tar does not read: tar readers disagree about what it "
	    "holds", TAR(c)->hdroff, shown);
}

/* The member's names are known: what tar readers could take differently. */
static int
member_names(struct kt_check *c)
{
	struct ktc_tar *t = TAR(c);

	if (t->path.toolong || t->link.toolong)
		return ktc_fail(c, "tar member at byte %" PRIu64 " has a name "
		    "longer than %d bytes", t->hdroff, KT_MANIFEST_PATH_MAX);
	/* libarchive makes a "file" named "dir/" a directory and reads its
	   data as headers; GNU tar extracts a file. */
	if ((t->mtype == KT_MANIFEST_FILE ||
	    t->mtype == KT_MANIFEST_HARDLINK) && t->path.len > 0 &&
	    t->path.buf[t->path.len - 1] == '/')
		return ktc_fail(c, "tar header at byte %" PRIu64 " is a %s "
		    "named \"%s\", which tar readers disagree about (a "
		    "directory to libarchive)", t->hdroff,
		    t->mtype == KT_MANIFEST_FILE ? "file" : "hard link",
		    quote(&t->path));
	return 0;
}

/* A header block (not all zeros) has been read into t->blk. */
static int
header(struct kt_check *c)
{
	struct ktc_tar *t = TAR(c);
	struct kt_tar_header h;
	uint64_t size;
	int r;

	if ((r = kt_tar_parse_header(t->blk, &h)) != KT_TAR_OK) {
		if (r == KT_TAR_ECHECKSUM)
			return ktc_fail(c, "tar header at byte %" PRIu64
			    " has a bad checksum", t->hdroff);
		if (r == KT_TAR_EMODE)
			return ktc_fail(c, "tar header at byte %" PRIu64
			    " has a mode field that is not an octal number: "
			    "tar readers disagree about it", t->hdroff);
		if (r == KT_TAR_EMAGIC)
			return ktc_fail(c, "tar header at byte %" PRIu64
			    " has the magic \"ustar\" with a version that is "
			    "neither POSIX's nor GNU's: tar readers disagree "
			    "about its name (libarchive reads the prefix "
			    "field, GNU tar does not)", t->hdroff);
		return ktc_fail(c, "tar header at byte %" PRIu64 " has a size "
		    "field %s", t->hdroff, r == KT_TAR_ERANGE ?
		    "out of range (negative or beyond 64 bits)" :
		    "that is not a number");
	}
	t->nheaders++;
	size = h.size;
	t->what = D_SKIP;
	switch (h.typeflag) {
	case 'x':
	case 'X':
		t->what = D_PAX;
		t->pending = 1;
		kt_pax_init(&t->pax, pax_value, c);
		break;
	case 'g':
		t->what = D_GLOBAL;
		t->gcomment = 0;
		t->gok = 0;
		kt_pax_init(&t->pax, global_value, c);
		break;
	case 'L':
	case 'K':
		t->what = h.typeflag == 'L' ? D_LONGNAME : D_LONGLINK;
		t->pending = 1;
		{
			struct name *n = h.typeflag == 'L' ?
			    &t->path : &t->link;

			if (n->from < FROM_PAX) {
				n->from = FROM_GNU;
				n->len = 0;
				n->toolong = 0;
			}
		}
		break;
	case 'S':
		return sparse(c, "GNU type 'S'");
	case 'V':
		if (size > 0)
			return ambiguous(c, "volume label", size);
		break;
	case '0': case '\0': case '7': case '1': case '2': case '3': case '4':
	case '5': case '6':
		t->what = D_MEMBER;
		t->mtype = kt_manifest_type(h.typeflag);
		if (t->havesize)
			size = t->paxsize;
		switch (h.typeflag) {
		case '1':
			if (size > 0)
				return ambiguous(c, "hard link", size);
			break;
		case '2':
			if (size > 0)
				return ambiguous(c, "symbolic link", size);
			break;
		case '3': case '4': case '6':
			if (size > 0)
				return ambiguous(c, "device or FIFO", size);
			break;
		case '5':
			/* Both GNU tar and libarchive skip no data for a
			   directory, whatever its size field says. */
			size = 0;
			break;
		}
		t->msize = t->mtype == KT_MANIFEST_FILE ? size : 0;
		if (t->path.from == FROM_HEADER)
			name_set(&t->path, h.name, h.namelen, FROM_HEADER);
		if (t->link.from == FROM_HEADER)
			name_set(&t->link, h.linkname, h.linklen,
			    FROM_HEADER);
		if (member_names(c) == -1)
			return -1;
		if (t->hash && t->mtype == KT_MANIFEST_FILE &&
		    t->sha.md == NULL && kt_sha256_init(&t->sha) == -1)
			return ktc_fail(c, "SHA-256 is not available");
		break;
	default:
		return unknown_type(c, (unsigned char)h.typeflag);
	}
	if (t->inmanifest && t->what != D_GLOBAL)
		return ktc_fail(c, "expected the kt-tar manifest after the "
		    "end-of-archive marker at byte %" PRIu64 ", found a "
		    "tar header at byte %" PRIu64, t->eoaoff, t->hdroff);
	t->size = size;
	t->left = size;
	t->padleft = kt_tar_padding(size);
	t->dataoff = t->off;
	if (size == 0)
		return data_done(c);
	t->state = T_DATA;
	return 0;
}

/* The first zero block: the end-of-archive marker begins. */
static int
end_marker(struct kt_check *c)
{
	struct ktc_tar *t = TAR(c);

	if (t->pending)
		return ktc_fail(c, "tar archive: a zero block at byte %" PRIu64
		    " where the member of an extended header should be",
		    t->hdroff);
	t->eoaoff = t->hdroff;
	t->state = T_EOA2;
	return 0;
}

/* Copies up to a whole block into t->blk; returns bytes taken. */
static size_t
fill(struct ktc_tar *t, const unsigned char *buf, size_t len)
{
	size_t n = KT_TAR_BLOCK - t->blklen;

	if (t->blklen == 0)
		t->hdroff = t->off;
	if (n > len)
		n = len;
	memcpy(t->blk + t->blklen, buf, n);
	t->blklen += n;
	t->off += n;
	return n;
}

static int
feed_data(struct kt_check *c, const unsigned char *buf, size_t n)
{
	struct ktc_tar *t = TAR(c);

	switch (t->what) {
	case D_MEMBER:
		if (t->hash && t->mtype == KT_MANIFEST_FILE)
			kt_sha256_update(&t->sha, buf, n);
		break;
	case D_PAX:
	case D_GLOBAL:
		if (kt_pax_feed(&t->pax, buf, n) == -1) {
			if (c->failed)
				return -1;
			return ktc_fail(c, "tar %s header at byte %" PRIu64
			    " is malformed: %s", t->what == D_PAX ?
			    "extended" : "global", t->hdroff, t->pax.error);
		}
		break;
	case D_LONGNAME:
		if (t->path.from == FROM_GNU)
			name_append(&t->path, buf, n);
		break;
	case D_LONGLINK:
		if (t->link.from == FROM_GNU)
			name_append(&t->link, buf, n);
		break;
	case D_SKIP:
		break;
	}
	return 0;
}

int
ktc_tar_feed(struct kt_check *c, const unsigned char *buf, size_t len)
{
	struct ktc_tar *t = TAR(c);
	const unsigned char *end = buf + len, *p;
	size_t n;

	while (buf < end) {
		switch (t->state) {
		case T_HEADER:
		case T_MHEADER:
			buf += fill(t, buf, (size_t)(end - buf));
			if (t->blklen < KT_TAR_BLOCK)
				break;
			t->blklen = 0;
			if (kt_tar_block_is_zero(t->blk)) {
				if (t->state == T_MHEADER)
					return ktc_fail(c, "kt-tar archive: "
					    "its manifest stops at byte %"
					    PRIu64 " before its last part",
					    t->hdroff);
				if (end_marker(c) == -1)
					return -1;
				break;
			}
			if (header(c) == -1)
				return -1;
			break;
		case T_DATA:
			n = (size_t)(end - buf);
			if (n > t->left)
				n = (size_t)t->left;
			if (feed_data(c, buf, n) == -1)
				return -1;
			buf += n;
			t->off += n;
			t->left -= n;
			if (t->left == 0 && data_done(c) == -1)
				return -1;
			break;
		case T_PAD:
			n = (size_t)(end - buf);
			if (n > t->padleft)
				n = (size_t)t->padleft;
			buf += n;
			t->off += n;
			t->padleft -= n;
			if (t->padleft > 0)
				break;
			if (!t->inmanifest)
				t->state = T_HEADER;
			else
				t->state = t->mlast ? T_END : T_MHEADER;
			break;
		case T_EOA2:
			buf += fill(t, buf, (size_t)(end - buf));
			if (t->blklen < KT_TAR_BLOCK)
				break;
			t->blklen = 0;
			if (!kt_tar_block_is_zero(t->blk))
				return ktc_fail(c, "junk after the end of the "
				    "tar archive: a lone zero block at byte %"
				    PRIu64 " is followed by data at byte %"
				    PRIu64, t->eoaoff, t->hdroff);
			t->state = T_AFTER;
			break;
		case T_AFTER:
			if (!t->kt) {
				/* A foreign archive: zeros only. */
				t->state = T_ZEROS;
				break;
			}
			/* Zero blocks of the last record, then the
			   manifest's first header. */
			buf += fill(t, buf, (size_t)(end - buf));
			if (t->blklen < KT_TAR_BLOCK)
				break;
			t->blklen = 0;
			if (kt_tar_block_is_zero(t->blk))
				break;
			t->inmanifest = 1;
			if (header(c) == -1)
				return -1;
			break;
		case T_END:
			buf += fill(t, buf, (size_t)(end - buf));
			if (t->blklen < KT_TAR_BLOCK)
				break;
			t->blklen = 0;
			if (!kt_tar_block_is_zero(t->blk))
				return ktc_fail(c, "junk after the kt-tar "
				    "manifest at byte %" PRIu64 " (a member "
				    "after the manifest?)", t->hdroff);
			if (++t->zeroblocks == 2) {
				t->mdone = 1;
				t->state = T_ZEROS;
			}
			break;
		case T_ZEROS:
			for (p = buf; p < end && *p == 0; p++)
				;
			if (p < end)
				return ktc_fail(c, "junk after the end of the "
				    "%s at byte %" PRIu64, t->kt ?
				    "kt-tar archive" : "tar archive",
				    t->off + (uint64_t)(p - buf));
			t->off += (uint64_t)(end - buf);
			buf = end;
			break;
		}
	}
	return 0;
}

int
ktc_tar_end(struct kt_check *c)
{
	struct ktc_tar *t = TAR(c);

	switch (t->state) {
	case T_HEADER:
		if (t->blklen > 0)
			return ktc_fail(c, "tar archive cut inside a header at "
			    "byte %" PRIu64 " (the header at byte %" PRIu64
			    " has %zu of its 512 bytes)", t->off, t->hdroff,
			    t->blklen);
		return ktc_fail(c, "tar archive ends at byte %" PRIu64
		    " without its end-of-archive marker (cut at a member "
		    "boundary?)", t->off);
	case T_DATA:
		if (t->inmanifest)
			return ktc_fail(c, "kt-tar archive cut inside its "
			    "manifest at byte %" PRIu64, t->off);
		if (t->what == D_MEMBER)
			return ktc_fail(c, "tar member \"%s\" at byte %" PRIu64
			    " has %" PRIu64 " bytes of data, but the input "
			    "ends after %" PRIu64 " of them (cut at byte %"
			    PRIu64 "?)", quote(&t->path), t->hdroff,
			    t->size, t->off - t->dataoff, t->off);
		return ktc_fail(c, "tar header at byte %" PRIu64 " has %"
		    PRIu64 " bytes of data, but the input ends after %"
		    PRIu64 " of them (cut at byte %" PRIu64 "?)", t->hdroff,
		    t->size, t->off - t->dataoff, t->off);
	case T_PAD:
		if (t->inmanifest)
			return ktc_fail(c, "kt-tar archive cut inside its "
			    "manifest at byte %" PRIu64, t->off);
		return ktc_fail(c, "tar archive cut inside the padding after "
		    "the data of the header at byte %" PRIu64 " (input ends "
		    "at byte %" PRIu64 ")", t->hdroff, t->off);
	case T_EOA2:
		if (t->blklen > 0)
			return ktc_fail(c, "tar archive cut inside its "
			    "end-of-archive marker at byte %" PRIu64, t->off);
		return ktc_fail(c, "tar archive cut after the first zero "
		    "block of its end-of-archive marker, at byte %" PRIu64,
		    t->off);
	case T_AFTER:
		if (!t->kt)
			return 0;
		return ktc_fail(c, "kt-tar archive has lost its manifest: "
		    "nothing but zeros follows its end-of-archive marker at "
		    "byte %" PRIu64 " (input ends at byte %" PRIu64 ")",
		    t->eoaoff, t->off);
	case T_MHEADER:
		return ktc_fail(c, "kt-tar archive cut inside its manifest "
		    "at byte %" PRIu64 " (a part is missing)", t->off);
	case T_END:
		return ktc_fail(c, "kt-tar archive cut before the zero blocks "
		    "that end its manifest, at byte %" PRIu64, t->off);
	case T_ZEROS:
		return 0;
	}
	return 0;
}
