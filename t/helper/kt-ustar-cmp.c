/*
 * kt-ustar-cmp: checks kt_ustar_header() against the installed
 * libarchive's restricted pax writer, which kt-tar -c must match byte for
 * byte.
 *
 *	kt-ustar-cmp gen		members at every boundary: for each,
 *					kt_ustar_header() must build the block
 *					libarchive writes, or decline exactly
 *					when libarchive writes a pax header
 *	kt-ustar-cmp verify < ARCHIVE	every member of ARCHIVE stored with a
 *					bare ustar header has the header
 *					libarchive writes for it
 *
 * Prints a summary; exits 1 on the first difference, naming it.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt_ustar.h"

/* The first bytes libarchive writes for one header. */
struct capture {
	unsigned char buf[4096];
	size_t len;
};

static ssize_t
capture_write(struct archive *a, void *cookie, const void *buf, size_t len)
{
	struct capture *c = cookie;
	size_t n = len;

	if (n > sizeof(c->buf) - c->len)
		n = sizeof(c->buf) - c->len;
	memcpy(c->buf + c->len, buf, n);
	c->len += n;
	return (ssize_t)len;
}

/* What libarchive's pax_restricted writer emits for the header of E. */
static void
libarchive_header(struct archive_entry *e, struct capture *c)
{
	struct archive *a;

	c->len = 0;
	if ((a = archive_write_new()) == NULL ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open(a, c, NULL, capture_write, NULL) != ARCHIVE_OK)
		errx(2, "libarchive writer");
	if (archive_write_header(a, e) < ARCHIVE_WARN)
		errx(2, "libarchive refused %s: %s", archive_entry_pathname(e),
		    archive_error_string(a));
	/* The header alone: no data, no end of archive.  (libarchive 3.6
	   leaks some of what a failed writer held.) */
	archive_write_fail(a);
	archive_write_free(a);
}

static void
dump(const char *what, const unsigned char *b)
{
	int i;

	fprintf(stderr, "%s:", what);
	for (i = 0; i < 512; i++) {
		if (i % 32 == 0)
			fprintf(stderr, "\n  %03d ", i);
		fprintf(stderr, b[i] >= 0x20 && b[i] < 0x7f ? "%c" : "\\%o",
		    b[i]);
	}
	fputc('\n', stderr);
}

static int ncases, nbare, nextended;

static void
check(const struct kt_ustar_member *m, const char *what)
{
	struct archive_entry *e = archive_entry_new();
	struct capture c;
	unsigned char ours[512];
	int r;

	archive_entry_set_pathname(e, m->path);
	archive_entry_set_mode(e, m->mode);
	switch (m->type) {
	case KT_USTAR_DIR:
		archive_entry_set_filetype(e, AE_IFDIR);
		break;
	case KT_USTAR_SYMLINK:
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, m->link);
		break;
	case KT_USTAR_HARDLINK:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, m->link);
		break;
	default:
		archive_entry_set_filetype(e, AE_IFREG);
	}
	archive_entry_set_perm(e, m->mode & 07777);
	archive_entry_set_uid(e, (la_int64_t)m->uid);
	archive_entry_set_gid(e, (la_int64_t)m->gid);
	if (m->uname != NULL)
		archive_entry_set_uname(e, m->uname);
	if (m->gname != NULL)
		archive_entry_set_gname(e, m->gname);
	archive_entry_set_size(e, (la_int64_t)m->size);
	/* As archive_entry_copy_stat() sets them: atime, ctime and a
	   fraction of a second, which a bare header leaves out. */
	archive_entry_set_mtime(e, m->mtime, 123456789);
	archive_entry_set_atime(e, m->mtime + 5, 1);
	archive_entry_set_ctime(e, m->mtime + 7, 2);
	archive_entry_set_nlink(e, 1);
	libarchive_header(e, &c);
	archive_entry_free(e);

	r = kt_ustar_header(ours, m);
	ncases++;
	if (c.len < 512)
		errx(1, "%s: libarchive wrote %zu bytes", what, c.len);
	if (c.buf[156] == 'x') {
		nextended++;
		if (r == 0) {
			dump("libarchive (extended header first)", c.buf);
			errx(1, "%s: libarchive needs a pax header, "
			    "kt_ustar_header did not decline", what);
		}
		return;
	}
	nbare++;
	if (r != 0)
		errx(1, "%s: kt_ustar_header declined a member libarchive "
		    "stores with a bare header", what);
	if (c.len != 512 || memcmp(ours, c.buf, 512) != 0) {
		dump("libarchive", c.buf);
		dump("kt_ustar_header", ours);
		errx(1, "%s: headers differ", what);
	}
}

/* A path of LEN bytes made of components of COMP bytes (the last one
   shorter), ASCII. */
static void
make_path(char *p, size_t len, size_t comp)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (i + 1) % (comp + 1) == 0 ? '/' : (char)('a' + i % 26);
	if (len > 0 && p[len - 1] == '/')
		p[len - 1] = 'z';
	p[len] = '\0';
}

static void
gen(void)
{
	static const int types[] = { KT_USTAR_FILE, KT_USTAR_DIR,
	    KT_USTAR_SYMLINK, KT_USTAR_HARDLINK };
	static const size_t comps[] = { 1, 7, 40, 99, 100, 154, 155, 300 };
	static const uint64_t ids[] = { 0, 1, 999, 65534, (1 << 18) - 1,
	    1 << 18, 4000000000U };
	static const uint64_t sizes[] = { 0, 1, 511, 512, 513, 1 << 20,
	    (UINT64_C(1) << 33) - 1, UINT64_C(1) << 33 };
	static const int64_t times[] = { 0, 1, 1455036180, 0x7ffffffe,
	    0x7fffffff, INT64_C(0x80000000), -1 };
	static const char *names[] = { NULL, "", "root", "keytrustee",
	    "a-name-of-exactly-31-characters", "a-name-of-exactly-32-characters!",
	    "caf\xc3\xa9" };
	struct kt_ustar_member m;
	char path[400], link[200], what[600];
	size_t len, ci, i, t;

	memset(&m, 0, sizeof(m));
	m.mode = 0100600;
	m.uname = "root";
	m.gname = "root";
	m.mtime = 1455036180;
	/* Path lengths around the name and prefix fields, cut into
	   components of many sizes, for every type. */
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		m.type = types[t];
		m.mode = m.type == KT_USTAR_DIR ? 040700 :
		    m.type == KT_USTAR_SYMLINK ? 0120777 : 0100640;
		m.link = m.type == KT_USTAR_SYMLINK ||
		    m.type == KT_USTAR_HARDLINK ? "target" : NULL;
		for (ci = 0; ci < sizeof(comps) / sizeof(comps[0]); ci++)
			for (len = 1; len <= 260; len++) {
				make_path(path, len, comps[ci]);
				m.path = path;
				snprintf(what, sizeof(what), "type %c, path of "
				    "%zu bytes in components of %zu", m.type,
				    len, comps[ci]);
				check(&m, what);
			}
	}
	m.path = "var/lib/keytrustee/.keytrustee/secring.gpg";
	/* Link targets around 100 bytes, and one that is not ASCII. */
	for (t = 2; t < 4; t++) {
		m.type = types[t];
		m.mode = m.type == KT_USTAR_SYMLINK ? 0120777 : 0100600;
		for (len = 1; len <= 102; len++) {
			make_path(link, len, 10);
			m.link = link;
			snprintf(what, sizeof(what), "type %c, link of %zu "
			    "bytes", m.type, len);
			check(&m, what);
		}
		m.link = "caf\xc3\xa9";
		check(&m, "link not ASCII");
	}
	m.type = KT_USTAR_FILE;
	m.link = NULL;
	m.mode = 0100600;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		m.uid = ids[i];
		snprintf(what, sizeof(what), "uid %llu",
		    (unsigned long long)ids[i]);
		check(&m, what);
		m.uid = 0;
		m.gid = ids[i];
		snprintf(what, sizeof(what), "gid %llu",
		    (unsigned long long)ids[i]);
		check(&m, what);
		m.gid = 0;
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		m.size = sizes[i];
		snprintf(what, sizeof(what), "size %llu",
		    (unsigned long long)sizes[i]);
		check(&m, what);
	}
	m.size = 100;
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		m.mtime = times[i];
		snprintf(what, sizeof(what), "mtime %lld",
		    (long long)times[i]);
		check(&m, what);
	}
	m.mtime = 1455036180;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		m.uname = names[i];
		snprintf(what, sizeof(what), "uname %s",
		    names[i] != NULL ? names[i] : "(none)");
		check(&m, what);
		m.uname = "root";
		m.gname = names[i];
		snprintf(what, sizeof(what), "gname %s",
		    names[i] != NULL ? names[i] : "(none)");
		check(&m, what);
		m.gname = "root";
	}
	for (i = 0; i < 010000; i += 0111) {
		m.mode = 0100000 | (mode_t)i;
		snprintf(what, sizeof(what), "mode %04o", (unsigned)i);
		check(&m, what);
	}
	m.mode = 0104755;
	check(&m, "setuid");
	m.path = "caf\xc3\xa9/x";
	check(&m, "path not ASCII");
	m.path = "line\nbreak\ttab";
	check(&m, "path with control characters");
	printf("%d members: %d with a bare header, all equal; %d with a pax "
	    "header, all declined\n", ncases, nbare, nextended);
}

/* Reads all of standard input. */
static unsigned char *
slurp(size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	ssize_t r;

	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((buf = realloc(buf, cap)) == NULL)
				err(2, NULL);
		}
		if ((r = read(0, buf + n, cap - n)) == -1)
			err(2, "read");
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

static void
verify(void)
{
	struct archive *a;
	struct archive_entry *e;
	struct capture c;
	unsigned char *buf;
	size_t len;
	la_int64_t pos;
	int rc, n = 0, bare = 0;

	buf = slurp(&len);
	if ((a = archive_read_new()) == NULL)
		errx(2, "libarchive reader");
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		errx(2, "%s", archive_error_string(a));
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    rc == ARCHIVE_WARN) {
		n++;
		pos = archive_read_header_position(a);
		if (pos < 0 || (size_t)pos + 512 > len)
			errx(2, "%s: header position %lld",
			    archive_entry_pathname(e), (long long)pos);
		/* The position is that of the global headers before the
		   member, if any (kt-tar's start marker). */
		while (buf[pos + 156] == 'g') {
			pos += 512 + ((strtoll((char *)buf + pos + 124, NULL,
			    8) + 511) & ~511);
			if ((size_t)pos + 512 > len)
				errx(2, "global header runs past the end");
		}
		/* Members with a pax header are libarchive's own work. */
		if (buf[pos + 156] == 'x')
			continue;
		bare++;
		libarchive_header(e, &c);
		if (c.len != 512 || memcmp(c.buf, buf + pos, 512) != 0) {
			dump("libarchive", c.buf);
			dump("archive", buf + pos);
			errx(1, "%s at byte %lld: not the header libarchive "
			    "writes", archive_entry_pathname(e),
			    (long long)pos);
		}
	}
	if (rc != ARCHIVE_EOF)
		errx(2, "%s", archive_error_string(a));
	archive_read_free(a);
	free(buf);
	printf("%d members: %d with a bare header, all as libarchive writes "
	    "them\n", n, bare);
}

int
main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "gen") == 0)
		gen();
	else if (argc == 2 && strcmp(argv[1], "verify") == 0)
		verify();
	else {
		fprintf(stderr, "usage: kt-ustar-cmp gen | verify < archive\n");
		return 2;
	}
	return 0;
}
