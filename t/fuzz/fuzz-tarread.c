/*
 * fuzz-tarread: the tar reader as kt-tar -t/-x reads (libarchive with
 * the gzip filter and the tar formats, bin/kt-tar-read.c) against the
 * stream recogniser (common/kt_check.h) that vouches for the archive.
 * "One parse per format": what the manifest vouches for must be exactly
 * what libarchive extracts (shared/DESIGN.md).  The input is an archive.
 *
 * Invariants, when both accept the archive:
 * - they count the same members;
 * - for an uncompressed archive without kt-tar's start marker: given
 *   kt-tar's start marker before it and, after it, a manifest written
 *   from what libarchive read (type, size, path of each member), the
 *   recogniser does not find that the manifest fails to match the
 *   members.  If it did, a manifest written from the recogniser's own
 *   view would be accepted while libarchive extracts something else.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <string.h>

#include "kt_check.h"
#include "kt_manifest.h"
#include "fuzz.h"

#define MEMBERS_MAX	4096

/*
 * Reads DATA as kt-tar does, every member's data included.  Returns the
 * member count, or -1 when libarchive refuses the archive.  With M, adds
 * each member to the manifest M; *NAMED is cleared when one cannot be.
 */
static long
libarchive_members(const uint8_t *data, size_t size, struct kt_manifest *m,
    int *named)
{
	struct archive *a;
	struct archive_entry *e;
	const void *buf;
	size_t len;
	la_int64_t off;
	const char *path, *link;
	long n = 0;
	int rc, type;

	fuzz_assert((a = archive_read_new()) != NULL, "memory");
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, data, size) != ARCHIVE_OK)
		goto refused;
	while ((rc = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
			goto refused;
		while ((rc = archive_read_data_block(a, &buf, &len, &off)) !=
		    ARCHIVE_EOF)
			if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
				goto refused;
		n++;
		if (m == NULL || !*named)
			continue;
		type = kt_manifest_type_of(e);
		path = archive_entry_pathname(e);
		link = type == KT_MANIFEST_HARDLINK ? archive_entry_hardlink(e) :
		    type == KT_MANIFEST_SYMLINK ? archive_entry_symlink(e) :
		    NULL;
		if (path == NULL || ((type == KT_MANIFEST_HARDLINK ||
		    type == KT_MANIFEST_SYMLINK) && link == NULL) ||
		    kt_manifest_add(m, type, path, link, type ==
		    KT_MANIFEST_FILE ? (uint64_t)archive_entry_size(e) : 0,
		    type == KT_MANIFEST_FILE ? (const unsigned char *)
		    "0123456789abcdef0123456789abcdef" : NULL) != 0)
			*named = 0;
	}
	archive_read_free(a);
	return n;
refused:
	archive_read_free(a);
	return -1;
}

struct verdict {
	int ok;
	enum kt_format format, inner;
	int kt_tar;
	unsigned long long members;
	char error[512];
};

static void
recognise(const uint8_t *data, size_t size, struct verdict *v)
{
	struct kt_check *c;

	fuzz_assert((c = kt_check_new(0)) != NULL, "memory");
	v->ok = kt_check_feed(c, data, size) == 0 && kt_check_end(c) == 0;
	v->format = kt_check_format(c);
	v->inner = kt_check_inner_format(c);
	v->kt_tar = kt_check_is_kt_tar(c);
	v->members = kt_check_members(c);
	snprintf(v->error, sizeof(v->error), "%s",
	    v->ok ? "" : kt_check_error(c));
	kt_check_free(c);
}

/* The recogniser, given the manifest of libarchive's view. */
static void
with_manifest(const uint8_t *data, size_t size)
{
	struct kt_manifest *m;
	struct fuzz_out o = { NULL, 0 };
	struct verdict v;
	int named = 1;

	if ((m = kt_manifest_new()) == NULL)
		return;		/* no temporary file: nothing to check */
	if (libarchive_members(data, size, m, &named) >= 0 && named) {
		fuzz_assert(kt_manifest_write_start(fuzz_collect, &o) == 0 &&
		    fuzz_collect(&o, data, size) == 0 &&
		    kt_manifest_write_end(m, fuzz_collect, &o) == 0, "writing");
		recognise(o.buf, o.len, &v);
		fuzz_assert(v.ok || strstr(v.error, "manifest does not match")
		    == NULL, "libarchive and the recogniser disagree about "
		    "a member: %s", v.error);
		fuzz_assert(v.ok || strstr(v.error, "manifest lists") == NULL,
		    "libarchive and the recogniser disagree about the "
		    "members: %s", v.error);
	}
	kt_manifest_free(m);
	free(o.buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct verdict v;
	long n;

	if (!once++)
		setlocale(LC_ALL, "C.UTF-8");	/* as kt-tar: its locale */
	recognise(data, size, &v);
	if (!v.ok || (v.format != KT_FMT_TAR && v.inner != KT_FMT_TAR))
		return 0;
	if ((n = libarchive_members(data, size, NULL, NULL)) < 0)
		return 0;
	fuzz_assert((unsigned long long)n == v.members, "libarchive reads %ld "
	    "members, the recogniser %llu", n, v.members);
	if (v.format == KT_FMT_TAR && !v.kt_tar && n > 0 && n < MEMBERS_MAX)
		with_manifest(data, size);
	return 0;
}
