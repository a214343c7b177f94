/*
 * kt-mkarchive: write a kt-tar archive the way kt-tar -c does, with
 * libarchive (pax_restricted) for the members and kt_manifest.h for the
 * start marker and the manifest, so that the writer side of the manifest
 * is tested against the checker, GNU tar, bsdtar and Python.
 *
 *	kt-mkarchive [--null] [--fail-after N] < paths > archive
 *
 * Paths come one a line (NUL-terminated with --null), relative to the
 * current directory.  With
 * --fail-after N the archive is abandoned after N members, as a failing
 * kt-tar abandons it: archive_write_fail(), no manifest.
 */
#include "config.h"

#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kt_err.h"
#include "kt_io.h"
#include "kt_manifest.h"
#include "kt_sha256.h"

static int
out_write(void *cookie, const void *buf, size_t len)
{
	return kt_write_full(STDOUT_FILENO, buf, len);
}

static la_ssize_t
archive_out(struct archive *a, void *cookie, const void *buf, size_t len)
{
	if (kt_write_full(STDOUT_FILENO, buf, len) == -1) {
		archive_set_error(a, errno, "write to standard output");
		return -1;
	}
	return (la_ssize_t)len;
}

/* Writes one entry and its data, and records it in the manifest. */
static void
add(struct archive *a, struct kt_manifest *m, struct archive_entry *e,
    int fd)
{
	static unsigned char buf[KT_IO_BUFSIZE];
	unsigned char digest[KT_SHA256_LEN];
	struct kt_sha256 sha;
	const char *path;
	int type = kt_manifest_type_of(e);
	int64_t size = 0;
	ssize_t n;

	/* ARCHIVE_WARN: a name that is not in the locale's charset, stored
	   as it is (hdrcharset=BINARY). */
	if (archive_write_header(a, e) < ARCHIVE_WARN)
		errx(KT_EXIT_FAIL, "%s: %s", archive_entry_pathname(e),
		    archive_error_string(a));
	/* Only now: writing the header may rewrite the entry's strings. */
	path = archive_entry_pathname(e);
	if (type == KT_MANIFEST_FILE) {
		if (kt_sha256_init(&sha) == -1)
			err(KT_EXIT_FAIL, "SHA-256");
		while ((n = kt_read_full(fd, buf, sizeof(buf))) > 0) {
			kt_sha256_update(&sha, buf, (size_t)n);
			if (archive_write_data(a, buf, (size_t)n) != n)
				errx(KT_EXIT_FAIL, "%s: %s", path,
				    archive_error_string(a));
			size += n;
		}
		if (n == -1)
			err(KT_EXIT_FAIL, "read %s", path);
		if (size != archive_entry_size(e))
			errx(KT_EXIT_FAIL, "%s changed size while read", path);
		kt_sha256_final(&sha, digest);
		kt_sha256_free(&sha);
	}
	if (kt_manifest_add(m, type, path, type == KT_MANIFEST_SYMLINK ?
	    archive_entry_symlink(e) : archive_entry_hardlink(e),
	    (uint64_t)size, type == KT_MANIFEST_FILE ? digest : NULL) == -1)
		err(KT_EXIT_FAIL, "manifest");
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "fail-after", required_argument, NULL, 'f' },
		{ "null", no_argument, NULL, '0' },
		{ NULL, 0, NULL, 0 }
	};
	struct archive_entry_linkresolver *lr;
	struct archive_entry *e, *spare;
	static struct archive *a;	/* reachable at exit, for LSan */
	struct kt_manifest *m;
	struct archive *disk;
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long fail_after = -1, count = 0;
	int ch, fd, delim = '\n';

	setlocale(LC_ALL, "");
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			fail_after = atol(optarg);
			break;
		case '0':
			delim = '\0';
			break;
		default:
			errx(KT_EXIT_USAGE, "usage: kt-mkarchive [--null] "
			    "[--fail-after N] < paths > archive");
		}
	}
	if ((m = kt_manifest_new()) == NULL)
		err(KT_EXIT_FAIL, "manifest");
	if (kt_manifest_write_start(out_write, NULL) == -1)
		err(KT_EXIT_FAIL, "write to standard output");
	a = archive_write_new();
	disk = archive_read_disk_new();
	if (a == NULL || disk == NULL ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open(a, NULL, NULL, archive_out, NULL) !=
	    ARCHIVE_OK)
		errx(KT_EXIT_FAIL, "libarchive: %s", archive_error_string(a));
	archive_read_disk_set_standard_lookup(disk);
	/* The manifest describes the bytes stored: no sparse maps. */
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_SPARSE |
	    ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
	    ARCHIVE_READDISK_NO_FFLAGS);
	if ((lr = archive_entry_linkresolver_new()) == NULL)
		err(KT_EXIT_FAIL, NULL);
	archive_entry_linkresolver_set_strategy(lr, archive_format(a));

	while ((len = getdelim(&line, &cap, delim, stdin)) > 0) {
		if (line[len - 1] == delim)
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (count++ == fail_after) {
			/* A failure: no end-of-archive, no manifest.  (Not
			   archive_write_free(): after archive_write_fail()
			   libarchive 3.6 leaks its last block.) */
			archive_write_fail(a);
			exit(KT_EXIT_FAIL);
		}
		if (lstat(line, &st) == -1)
			err(KT_EXIT_FAIL, "%s", line);
		fd = -1;
		if (S_ISREG(st.st_mode) &&
		    (fd = open(line, O_RDONLY | O_NOFOLLOW)) == -1)
			err(KT_EXIT_FAIL, "%s", line);
		e = archive_entry_new();
		archive_entry_copy_pathname(e, line);
		if (archive_read_disk_entry_from_file(disk, e, fd, &st) !=
		    ARCHIVE_OK)
			errx(KT_EXIT_FAIL, "%s: %s", line,
			    archive_error_string(disk));
		spare = NULL;
		archive_entry_linkify(lr, &e, &spare);
		if (e != NULL) {
			add(a, m, e, fd);
			archive_entry_free(e);
		}
		if (fd != -1)
			close(fd);
	}
	free(line);
	if (ferror(stdin))
		err(KT_EXIT_FAIL, "read from standard input");
	archive_entry_linkresolver_free(lr);
	/* The end-of-archive blocks (and libarchive's padding), then
	   everything kt_manifest_write_end() adds. */
	if (archive_write_close(a) != ARCHIVE_OK)
		errx(KT_EXIT_FAIL, "%s", archive_error_string(a));
	archive_write_free(a);
	archive_read_free(disk);
	if (kt_manifest_write_end(m, out_write, NULL) == -1)
		err(KT_EXIT_FAIL, "write to standard output");
	kt_manifest_free(m);
	return KT_EXIT_OK;
}
