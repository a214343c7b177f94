/*
 * kt-tar's integrity manifest: the one definition of its format, with the
 * writer kt-tar -c uses and the reader the stream recogniser (kt_check.h)
 * uses.
 *
 * Layout of an archive made by kt-tar:
 *
 *	[start marker][members ...][end-of-archive][manifest][two zero
 *	blocks][zero padding]
 *
 * - Start marker: the first header is a pax global header (typeflag
 *   'g') named "kt-tools/start" whose comment record is exactly
 *   "kt-tar archive 1\n".  It says "a manifest follows": an archive that
 *   starts so and has lost its manifest is refused.  kt-tar never writes
 *   an archive without members, so a member always follows it (Python's
 *   tarfile cannot open an archive whose last header is a pax header).
 * - Members: whatever ustar/pax/GNU headers the writer chose (libarchive
 *   pax_restricted for kt-tar).  A member is one file, directory, link or
 *   other entry; 'x'/'X' pax headers, GNU 'L'/'K' long names and Solaris
 *   'A' headers belong to the member that follows; global headers 'g'
 *   and volume labels 'V' are not members.
 * - End-of-archive: two or more zero blocks (libarchive pads the last
 *   record with more).  GNU tar, bsdtar and Python stop at the first zero
 *   block and never see what follows, so the manifest costs stock tools
 *   nothing: no warning, no stray file.
 * - Manifest: one or more pax global headers named "kt-tools/manifest",
 *   one right after the other, the first right after the zero blocks.
 *   Each has one record, comment=PART.  The first PART starts with
 *   "kt-tar manifest 1\n", the K-th (K >= 2) with
 *   "kt-tar manifest 1 part K\n"; then whole lines, one per member in
 *   archive order:
 *	"<sha256> <type> <size> <path>\n"
 *   and the last PART ends with "members <N>\n" (N lines in all parts).
 *   A PART holds at most KT_MANIFEST_PART_MAX bytes, so every header stays
 *   under libarchive's 1 MiB limit for pax data (readers that go on past
 *   the end-of-archive, like bsdtar --ignore-zeros, can read it) and no
 *   reader needs to hold much of it.
 *	sha256	64 lowercase hex digits: of the file's data for type f,
 *		of the link target's bytes for l and h, of nothing for d, o
 *	type	f regular file, d directory, l symbolic link, h hard link,
 *		o anything else (devices, FIFOs, ...)
 *	size	decimal bytes of data for f, 0 for every other type
 *	path	the member's path as stored (pax path, else GNU long name,
 *		else ustar prefix/name), trailing slashes removed (but "/"
 *		stays), escaped: "\" as "\\", newline as "\n", other bytes
 *		below 0x20 and 0x7f as "\xHH" (lowercase hex); other bytes,
 *		UTF-8 or not, as they are
 * - Then two zero blocks, then zero bytes only, to a multiple of
 *   KT_TAR_RECORD bytes as tar archives usually are.
 *
 * What the manifest vouches for is exactly what is extracted, by two
 * layers (shared/DESIGN.md, "One parse per format"):
 * - The stream recogniser (kt_check_tar.c), which compares the manifest
 *   with the members as it parses them, refuses every header whose
 *   meaning tar readers are known to disagree about: unknown typeflags,
 *   a file named "dir/", "ustar" magic neither POSIX's nor GNU's, a mode
 *   field that is not octal, sparse files, links and devices with data,
 *   global headers that set names or sizes (kt-tar(1), "Refused
 *   archives").
 * - kt-tar -t/-x record every entry libarchive delivers (type, path, link
 *   target, size, and the SHA-256 of the data libarchive hands out, for
 *   every member, extracted or not) in a reader of their own and compare
 *   it with the recogniser's (kt_manifest_reader_compare, through
 *   kt_check_compare): any difference is refused, for archives with or
 *   without a manifest.
 *
 * For the writer (kt-tar -c), measured with libarchive 3.6, GNU tar 1.34
 * and Python 3.11:
 * - The manifest describes the bytes stored: read files with
 *   ARCHIVE_READDISK_NO_SPARSE (a sparse map would be data the manifest
 *   does not hash), and hash exactly the bytes given to
 *   archive_write_data().
 * - Run in a UTF-8 locale: in "C", libarchive stores names that are not
 *   ASCII with hdrcharset=BINARY, which GNU tar warns about ("Ignoring
 *   unknown extended header keyword") and bsdtar in "C" cannot convert.
 * - GNU tar and Python's tarfile (stream mode) stop reading a pipe at the
 *   end-of-archive record; bsdtar reads on to the end.  A writer piping
 *   an archive into them gets EPIPE/SIGPIPE once more than the pipe holds
 *   (64 KiB on Linux) is left after the last record they read, i.e. for
 *   manifests over about 64 KiB (some 700 members); from 90 KiB (about
 *   1000 members) always, below 60 KiB almost never.  The reader has read
 *   everything of the archive by then and succeeds.
 * - Readers told to go on past zero blocks (GNU tar -i, bsdtar
 *   --ignore-zeros) read the manifest headers as global headers and say
 *   nothing; parts over 1 MiB would make bsdtar fail ("Special header too
 *   large"), hence KT_MANIFEST_PART_MAX.  Python's tarfile with
 *   ignore_zeros=True fails on any pax header followed by the end of the
 *   archive (cpython#149578), so on the manifest too.
 * - After archive_write_fail(), archive_write_free() in libarchive 3.6.2
 *   leaks the last block (10 KiB): LeakSanitizer reports it at exit.
 */
#ifndef KT_MANIFEST_H
#define KT_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "kt_sha256.h"
#include "kt_tarfmt.h"

#define KT_MANIFEST_START_NAME		"kt-tools/start"
#define KT_MANIFEST_START_COMMENT	"kt-tar archive 1\n"
#define KT_MANIFEST_NAME		"kt-tools/manifest"
#define KT_MANIFEST_HEAD		"kt-tar manifest 1\n"
#define KT_MANIFEST_PART_HEAD		"kt-tar manifest 1 part "
#define KT_MANIFEST_MEMBERS		"members "

/* Most bytes in one manifest header's comment. */
#define KT_MANIFEST_PART_MAX		(512 * 1024)
/* Longest path a manifest line may name, before escaping (longer paths
   are refused by the writer and make the reader fail). */
#define KT_MANIFEST_PATH_MAX		16384

/* Member types, as the manifest writes them. */
#define KT_MANIFEST_FILE	'f'
#define KT_MANIFEST_DIR		'd'
#define KT_MANIFEST_SYMLINK	'l'
#define KT_MANIFEST_HARDLINK	'h'
#define KT_MANIFEST_OTHER	'o'

/*
 * The manifest type of a tar header's typeflag, or 0 for headers that
 * are not members ('x', 'X', 'g', 'L', 'K', 'A', 'V').
 */
int kt_manifest_type(char typeflag);

/* --- writer (kt-tar -c) ----------------------------------------------- */

struct kt_manifest;

/*
 * A manifest being collected.  Lines go to an unlinked 0600 temporary
 * file ($TMPDIR, else /tmp), so memory stays small (about 100 KiB)
 * whatever the number of members.  Returns NULL with errno set.
 */
struct kt_manifest *kt_manifest_new(void);

/*
 * Records the next member, in the order the members are written.
 * TYPE is one of the KT_MANIFEST_* types above; PATH the path exactly as
 * stored (archive_entry_pathname(), fetched again AFTER
 * archive_write_header(), which may reallocate the entry's strings;
 * trailing slashes are removed here).  SIZE and SHA256 count for KT_MANIFEST_FILE only, and
 * there SHA256 (the digest of the SIZE bytes of data written) is
 * required; pass 0 and NULL otherwise.  For KT_MANIFEST_SYMLINK and
 * KT_MANIFEST_HARDLINK pass the target as stored (archive_entry_symlink
 * or archive_entry_hardlink) in LINKPATH: this function hashes it.
 * Returns 0, or -1 with errno set (EINVAL: bad type, missing digest or
 * target, path longer than KT_MANIFEST_PATH_MAX; or a write error).
 */
int kt_manifest_add(struct kt_manifest *, int type, const char *path,
    const char *linkpath, uint64_t size,
    const unsigned char sha256[KT_SHA256_LEN]);

/* Members added so far. */
uint64_t kt_manifest_count(const struct kt_manifest *);

/*
 * Writes the start marker (KT_MANIFEST_START_LEN bytes: a header block
 * and one block of data).  kt-tar sends it through its own output before
 * the first byte libarchive writes.  Returns 0, or -1 with errno set by
 * WRITE.
 */
#define KT_MANIFEST_START_LEN	1024
int kt_manifest_write_start(kt_tar_write_fn write, void *cookie);

/*
 * Writes everything that follows the end-of-archive marker: the manifest
 * header(s) with their data, two zero blocks, and zero padding.  kt-tar
 * calls it after archive_write_close() has written the end-of-archive
 * blocks and padded libarchive's last record (its default: keep it, with
 * the default record size of 10240 bytes).  The padding here assumes
 * exactly that, start marker + whole libarchive records before this
 * call, and makes the whole archive a multiple of KT_TAR_RECORD; with
 * other libarchive settings the archive is just as valid, only not a
 * whole number of records.  For a compressed archive, send the start
 * marker, libarchive's output and this through one compressor (or each
 * as its own gzip member: readers take concatenated members).  Never
 * call it for an archive that failed: the manifest is what makes it
 * complete.
 * Returns 0, or -1 with errno set (by WRITE, or reading the temporary
 * file).
 */
int kt_manifest_write_end(struct kt_manifest *, kt_tar_write_fn write,
    void *cookie);

void kt_manifest_free(struct kt_manifest *);

/* --- reader (kt_check) ------------------------------------------------ */

/*
 * Compares a manifest with the members an archive actually has, in
 * bounded memory: the reader is told each member as it is read
 * (kt_manifest_expect), and later gets the manifest's comment data in
 * pieces.  Lines are compared by a running SHA-256 over both sides, plus
 * short fingerprints of the first KT_MANIFEST_FP_MAX members, so that the
 * first member that differs can be named.  With HASH, member data
 * digests are compared; without, only types, sizes, paths and the count.
 */
#define KT_MANIFEST_FP_MAX	16384

struct kt_manifest_reader;

struct kt_manifest_reader *kt_manifest_reader_new(int hash);
void kt_manifest_reader_free(struct kt_manifest_reader *);

/* The next member of the archive.  PATH and LINK as stored (LINK only for
   KT_MANIFEST_SYMLINK and _HARDLINK), SIZE its data size, SHA256 the
   digest of its data (needed only with HASH for KT_MANIFEST_FILE).
   Returns 0, or -1 (error set). */
int kt_manifest_expect(struct kt_manifest_reader *, int type,
    const char *path, size_t pathlen, const char *link, size_t linklen,
    uint64_t size, const unsigned char sha256[KT_SHA256_LEN]);

/* A manifest header's comment begins at byte OFFSET of the stream (for
   messages); its bytes follow through kt_manifest_read. */
int kt_manifest_part_begin(struct kt_manifest_reader *, uint64_t offset);
int kt_manifest_read(struct kt_manifest_reader *, const void *buf,
    size_t len);
/* The comment ended.  Returns 1 when this part was the last (its
   "members" line seen and everything matched), 0 when another part must
   follow, -1 on error. */
int kt_manifest_part_end(struct kt_manifest_reader *);

/*
 * Compares what two readers were told of the members (the calls to
 * kt_manifest_expect, not any manifest): kt-tar feeds one with the
 * entries libarchive delivers, the stream recogniser feeds the other
 * with the headers it parsed.  Both must use the same HASH.  Returns 0
 * when they agree; -1 when not, with *INDEX the first member (from 1)
 * that differs and *WHAT what differs ("path", "type or size", "data"),
 * or *INDEX 0 and *WHAT "number of members" or "a member after the
 * first 16384".  Finishes both readers' digests: no member may follow.
 */
int kt_manifest_reader_compare(struct kt_manifest_reader *,
    struct kt_manifest_reader *, uint64_t *index, const char **what);

/* The manifest was complete and matched. */
int kt_manifest_reader_done(const struct kt_manifest_reader *);
uint64_t kt_manifest_reader_members(const struct kt_manifest_reader *);
/* Why the last call failed: one line. */
const char *kt_manifest_reader_error(const struct kt_manifest_reader *);

/* The manifest type of a member as libarchive delivers it: kt-tar -c
   writes it so, kt-tar -t and -x compare against it. */
struct archive_entry;
int kt_manifest_type_of(struct archive_entry *);

#endif
