/*
 * The raw tar format, as far as kt-tools needs to read and write it
 * without libarchive: 512-byte ustar/GNU/v7 headers with their checksum,
 * octal and base-256 numbers, the ustar prefix, pax extended records
 * ("%d key=value\n") read as a stream, and pax global headers ('g') built
 * for kt-tar's start marker and manifest (kt_manifest.h).
 */
#ifndef KT_TARFMT_H
#define KT_TARFMT_H

#include <stddef.h>
#include <stdint.h>

#define KT_TAR_BLOCK	512
#define KT_TAR_RECORD	10240	/* 20 blocks: what tar pads archives to */

/* Where the fields of a header block are. */
#define KT_TAR_NAME_OFF		0
#define KT_TAR_NAME_LEN		100
#define KT_TAR_MODE_OFF		100
#define KT_TAR_SIZE_OFF		124
#define KT_TAR_SIZE_LEN		12
#define KT_TAR_CHKSUM_OFF	148
#define KT_TAR_CHKSUM_LEN	8
#define KT_TAR_TYPE_OFF		156
#define KT_TAR_LINK_OFF		157
#define KT_TAR_LINK_LEN		100
#define KT_TAR_MAGIC_OFF	257
#define KT_TAR_PREFIX_OFF	345
#define KT_TAR_PREFIX_LEN	155
#define KT_TAR_GNU_EXT_OFF	482	/* GNU sparse: extension blocks follow */
#define KT_TAR_GNU_EXT_NEXT	504	/* same flag in an extension block */

enum kt_tar_magic {
	KT_TAR_V7,		/* no magic: old Unix tar */
	KT_TAR_USTAR,		/* "ustar\0" "00": POSIX ustar and pax */
	KT_TAR_GNU		/* "ustar  \0": GNU tar's own format */
};

/* One header block, decoded.  NAME is prefix/name for ustar, the name
   field alone for GNU and v7; both strings are NUL-terminated and may
   hold any byte but NUL. */
struct kt_tar_header {
	char typeflag;
	enum kt_tar_magic magic;
	uint64_t size;		/* the size field: bytes of data that follow
				   for the types that have data */
	int gnu_extended;	/* GNU sparse header: extension blocks follow */
	size_t namelen;
	char name[KT_TAR_PREFIX_LEN + 1 + KT_TAR_NAME_LEN + 1];
	size_t linklen;
	char linkname[KT_TAR_LINK_LEN + 1];
};

/* Results of kt_tar_parse_header() and kt_tar_number(). */
#define KT_TAR_OK	0
#define KT_TAR_ECHECKSUM (-1)	/* checksum field wrong or unreadable */
#define KT_TAR_ENUMBER	(-2)	/* a number field that is not a number */
#define KT_TAR_ERANGE	(-3)	/* negative, or more than 64 bits */
#define KT_TAR_EMAGIC	(-4)	/* "ustar" magic that is neither POSIX's nor
				   GNU's: libarchive reads it as ustar (with
				   the prefix field), GNU tar as v7 (without) */
#define KT_TAR_EMODE	(-5)	/* a mode field that is not octal */

int kt_tar_block_is_zero(const unsigned char *blk);

/* Whether the first N bytes of a header (N < 512 for a header still
   arriving) have a mode field of octal digits, spaces and NULs, as every
   tar writes it.  GNU tar refuses any other; libarchive reads it as 0. */
int kt_tar_mode_ok(const unsigned char *blk, size_t n);

/* The checksum as POSIX defines it (unsigned bytes), or as old tars
   computed it (signed bytes); both are accepted, as GNU tar and
   libarchive do.  An all-zero block has no valid checksum. */
int kt_tar_checksum_ok(const unsigned char *blk);

/*
 * A numeric field: octal digits, optionally led by spaces and ended by
 * NUL or space, or GNU base-256 (first byte 0x80 positive, 0xff
 * negative).  Values that do not fit in 64 bits are KT_TAR_ERANGE, never
 * wrapped.
 */
int kt_tar_number(const unsigned char *field, size_t width, uint64_t *out);

/* Verifies the checksum and decodes BLK.  Returns KT_TAR_OK or one of
   the errors above (the size field's, for ENUMBER and ERANGE). */
int kt_tar_parse_header(const unsigned char *blk, struct kt_tar_header *);

/* Zero bytes that follow SIZE bytes of data to fill the last block. */
uint64_t kt_tar_padding(uint64_t size);

/*
 * pax extended records, "%d key=value\n", read as a stream so that a
 * header's data of any size is parsed in fixed memory.  The length of
 * every record is checked against its bytes (its decimal length read by
 * value: leading zeros are allowed, as GNU tar and libarchive allow
 * them); keys longer than
 * KT_PAX_KEY_MAX are skipped (none of those we read is that long).
 * Zero bytes after the last record are tolerated, as padding.
 *
 * VALUE is called for every record, with the value in pieces: FLAGS has
 * KT_PAX_BEGIN on the first call for a record and KT_PAX_END on the last
 * (which may carry no bytes, BUF still pointing somewhere); the record's
 * newline is checked before the
 * END call.  A non-zero return stops the parse (kt_pax_feed returns -1
 * with error NULL: the callback has its own message).
 */
#define KT_PAX_KEY_MAX	128
#define KT_PAX_BEGIN	0x1
#define KT_PAX_END	0x2

typedef int (*kt_pax_value_fn)(void *cookie, const char *key,
    const unsigned char *buf, size_t len, unsigned flags);

struct kt_pax_reader {
	int state;
	uint64_t reclen;	/* declared length of the current record */
	uint64_t done;		/* bytes of it seen */
	uint64_t valleft;	/* value bytes still to come */
	uint64_t ndigits;	/* of the length, leading zeros too */
	int begun;
	size_t keylen;
	int keylong;
	char key[KT_PAX_KEY_MAX + 1];
	kt_pax_value_fn value;
	void *cookie;
	uint64_t off;		/* bytes of pax data consumed */
	const char *error;	/* why the parse failed, or NULL */
};

void kt_pax_init(struct kt_pax_reader *, kt_pax_value_fn, void *cookie);
int kt_pax_feed(struct kt_pax_reader *, const void *buf, size_t len);
/* At the end of the header's data: -1 (error set) if a record is cut. */
int kt_pax_finish(struct kt_pax_reader *);
/* All at once, for a buffer holding the whole data. */
int kt_pax_parse(const void *buf, size_t len, kt_pax_value_fn, void *cookie,
    const char **error);

/* Length of the whole record "%d key=value\n" for these lengths. */
uint64_t kt_pax_record_len(size_t keylen, uint64_t vallen);

/* Writes the start of that record, "%d key=", to OUT (at least
   KT_PAX_KEY_MAX + 32 bytes) and returns its length; the caller sends
   the value and "\n" after it. */
size_t kt_pax_record_prefix(char *out, const char *key, uint64_t vallen);

/* A pax global header block (typeflag 'g', ustar magic, mode 0644, owner
   0, mtime 0) named NAME (at most 100 bytes) announcing SIZE bytes of
   records. */
void kt_tar_global_header(unsigned char blk[KT_TAR_BLOCK], const char *name,
    uint64_t size);

/* Where built headers and manifests go: returns 0 when all LEN bytes
   were taken, -1 (errno set) when not. */
typedef int (*kt_tar_write_fn)(void *cookie, const void *buf, size_t len);

/* Writes LEN zero bytes. */
int kt_tar_write_zeros(kt_tar_write_fn, void *cookie, uint64_t len);

/* A whole pax global header whose only record is comment=COMMENT: the
   header block, the record, zero padding to the block.  Returns 0, or -1
   with errno set (by WRITE, or EINVAL when NAME is too long). */
int kt_tar_write_global_comment(kt_tar_write_fn, void *cookie,
    const char *name, const void *comment, size_t len);

#endif
