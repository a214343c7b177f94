/*
 * kt_check: recognise a stream by its first bytes and tell, at its end,
 * whether it is complete.  One recogniser serves every filter: kt-seal
 * refuses to seal a cut stream, kt-roll refuses to store one, kt-tar
 * refuses to list or extract one (shared/DESIGN.md, "Check the end").
 *
 * Feed it every byte of the stream in order, in chunks of any size, then
 * call kt_check_end() once at end of input.  The verdict does not depend
 * on the chunk sizes (t9050 checks it).  Memory is fixed: a few KiB,
 * about 40 KiB more for a tar, up to 200 KiB more for the members'
 * fingerprints (a kt-tar manifest's, or any tar's with KT_CHECK_HASH), about
 * 110 KiB per gzip level; data is hashed straight from the caller's
 * buffer.  Nothing is printed and nothing exits: errors come back as -1
 * and kt_check_error().
 *
 * The format is decided from the first bytes (kt_check_format() says
 * KT_FMT_PENDING until then): gzip after 3 bytes, an armored OpenPGP
 * message after its BEGIN line, a PostgreSQL dump after its 3-line
 * header, a tar at its first 512-byte header (checksum valid), a binary
 * OpenPGP message once its first packet looks right and it cannot be a
 * tar; at the latest after 512 bytes.  An input that ends before that is
 * still recognised when it shows enough of a format (then it is a cut
 * one), and is KT_FMT_UNKNOWN otherwise.
 *
 * Tar (kt_manifest.h has kt-tar's layout): complete when the
 * end-of-archive marker (two zero blocks) is there and nothing but zeros
 * follows; an archive that starts with kt-tar's start marker must have
 * its manifest after the marker, and it is compared with the members
 * (count, types, sizes, paths; with KT_CHECK_HASH also every member's
 * SHA-256).  Headers that tar readers read differently are refused
 * (unknown types, a file named "dir/", "ustar" magic neither POSIX's
 * nor GNU's, a mode that is not octal, sparse files, links and devices
 * with data, global headers that set names or sizes: kt-tar(1), "Refused
 * archives"); numbers are read by value, whatever their width.  gzip: every member up to its trailer, the inflated data
 * checked as a stream of its own.  OpenPGP: the top-level packets up to
 * a packet boundary, in an order RFC 4880 allows; a compressed packet at
 * the top is inflated and its message walked too.  PostgreSQL dump: the
 * completion trailer of its kind, with the \restrict key.
 */
#ifndef KT_CHECK_H
#define KT_CHECK_H

#include <stddef.h>

enum kt_format {
	KT_FMT_PENDING,		/* not enough bytes seen yet to tell */
	KT_FMT_EMPTY,		/* end of input before any byte */
	KT_FMT_UNKNOWN,		/* nothing we recognise: no end to check */
	KT_FMT_TAR,		/* ustar/pax/GNU tar, kt-tar's or another's */
	KT_FMT_GZIP,		/* gzip; the inflated content is checked too */
	KT_FMT_PGDUMP,		/* PostgreSQL plain-text dump */
	KT_FMT_OPENPGP,		/* binary OpenPGP message */
	KT_FMT_OPENPGP_ARMOR	/* ASCII-armored OpenPGP message */
};

/* How much of a tar's integrity manifest was checked. */
enum kt_manifest_state {
	KT_MANIFEST_NONE,	/* not a tar, or a foreign tar without one */
	KT_MANIFEST_STRUCTURE,	/* present, member count checked */
	KT_MANIFEST_VERIFIED	/* present, every member's SHA-256 checked */
};

/* Flags for kt_check_new(). */
#define KT_CHECK_HASH	0x1	/* verify tar members' SHA-256 against the
				   manifest, not only its presence and count */
#define KT_CHECK_PLAINTEXT 0x2	/* the stream is a backup's plaintext (kt-seal's
				   input): only tar, gzip and dumps are
				   recognised; OpenPGP, which random bytes
				   resemble, counts as unknown data */

struct kt_check;

struct kt_check *kt_check_new(unsigned flags);
void kt_check_free(struct kt_check *);

/*
 * Returns 0, or -1 once the stream is known to be malformed (a tar header
 * with a bad checksum, a gzip data error, an OpenPGP packet that cannot
 * be, a manifest that does not match); kt_check_error() says why.  After
 * an error, further feeds are ignored and return -1.
 */
int kt_check_feed(struct kt_check *, const void *buf, size_t len);

/*
 * End of input.  Returns 0 when the stream is complete for its format, or
 * when its format has no end we know how to check (KT_FMT_UNKNOWN,
 * KT_FMT_EMPTY: the caller decides whether to accept those); -1 when it is
 * malformed or stops short.
 */
int kt_check_end(struct kt_check *);

enum kt_format kt_check_format(const struct kt_check *);

/* For a gzip stream: the format of what it inflates to. */
enum kt_format kt_check_inner_format(const struct kt_check *);

enum kt_manifest_state kt_check_manifest(const struct kt_check *);

/* Human name of the stream: "tar archive", "gzip-compressed tar archive",
   "PostgreSQL dump", "OpenPGP message"... */
const char *kt_check_describe(const struct kt_check *);

/* File name suffix for the stream: ".tar", ".tar.gz", ".sql", ".sql.gz",
   ".gz", ".gpg", ".asc"; "" when unknown. */
const char *kt_check_suffix(const struct kt_check *);

/* Why the last kt_check_feed() or kt_check_end() failed: one line, no
   program name, e.g. "tar archive ends without its end-of-archive marker
   (cut at byte 10240?)". */
const char *kt_check_error(const struct kt_check *);

/* Short lowercase name of a format, as kt-check-stream prints it: "tar",
   "gzip", "pgdump", "openpgp", "openpgp-armor", "unknown", "empty",
   "pending". */
const char *kt_check_format_name(enum kt_format);

/* For an OpenPGP message, binary or armored: 1 when its data is in a
   symmetrically encrypted packet without integrity protection (tag 9, no
   MDC), which kt_check_describe() also says.  Known once that packet's
   header was fed, whether or not the message is complete. */
int kt_check_nomdc(const struct kt_check *);

/* For an OpenPGP message, binary or armored (kt_check_pgp.c): the tag of
   its first packet, marker packets aside (1 and 3 session keys, 9, 18
   and 20 encrypted data, 2 and 4 signatures, 8 compressed, 11 literal),
   or -1 while none was seen and for other input.  kt-unseal refuses what
   does not start encrypted before gpg reads a byte of it. */
int kt_check_pgp_first_tag(const struct kt_check *);

/* For an OpenPGP message: 1 when its encrypted data is AEAD protected
   (an AEAD packet, tag 20, or a version 2 encrypted data packet, tag 18:
   RFC 4880bis and RFC 9580), known once that packet's first body byte
   was fed. */
int kt_check_pgp_aead(const struct kt_check *);

/* For input of no recognised format: 1 when a cleartext-signed message
   ("-----BEGIN PGP SIGNED MESSAGE-----") starts in its first bytes. */
int kt_check_pgp_clearsigned(const struct kt_check *);

/* For a tar stream (or a gzip-compressed one): whether it starts with
   kt-tar's start marker, and how many members it had (for kt-tar -t -v:
   "manifest verified, N members"). */
int kt_check_is_kt_tar(const struct kt_check *);
unsigned long long kt_check_members(const struct kt_check *);

/*
 * For a tar stream (or a gzip-compressed one) checked with KT_CHECK_HASH,
 * once kt_check_end() returned 0: compares its members as this
 * recogniser read them with VIEW, a kt_manifest_reader (kt_manifest.h)
 * the caller fed, member by member, with what another parser (kt-tar:
 * libarchive) delivered: type, path, link target, size and the SHA-256 of
 * the data.  Returns 0 when the two agree; -1 when they do not, or the
 * stream is no such tar (kt_check_error() says which member differs).
 * A manifest vouches for what the recogniser read: this makes it vouch
 * for what is extracted.
 */
struct kt_manifest_reader;
int kt_check_compare(struct kt_check *, struct kt_manifest_reader *view);

/*
 * PostgreSQL dumps, for kt-pgdump-wrap, which holds back the end of
 * pg_dump's output (and of psql's input) until the end is verified.
 *
 * A complete plain dump ends with its completion trailer:
 *	"--\n-- PostgreSQL database dump complete\n--\n\n"
 *	["\\unrestrict KEY\n\n"]	(when it began with "\\restrict KEY")
 * or, from pg_dumpall,
 *	"--\n-- PostgreSQL database cluster dump complete\n--\n\n".
 * The trailer, with the newline before it, is never longer than
 * KT_PGDUMP_TAIL_MAX bytes: holding back that many bytes from the end
 * always holds back the whole trailer.  A \restrict key longer than
 * KT_PGDUMP_KEY_MAX characters is refused (pg_dump makes 64).
 *
 * kt_pgdump_trailer_start() returns the offset in TAIL (the last LEN
 * bytes of a dump) at which a well-formed trailer starts that runs to the
 * end of TAIL, or (size_t)-1 when TAIL does not end with one.  It checks
 * the form only; whether the trailer is the right kind and its key
 * matches the \restrict key is kt_check_end()'s job.
 */
#define KT_PGDUMP_KEY_MAX	256
#define KT_PGDUMP_TAIL_MAX	512
size_t kt_pgdump_trailer_start(const char *tail, size_t len);

#endif
