/*
 * kt-tar: create, list and safely extract tar archives (pax, through
 * libarchive) that carry an integrity manifest.
 *
 *	kt-collect -0 --preset kts | kt-tar -c -0 -C / > backup.tar
 *	kt-tar -tv < backup.tar
 *	kt-tar -x -C / < backup.tar
 *
 * This file holds the options and the listing; kt-tar-read.c reads
 * archives for -t and -x (every byte libarchive reads also goes through
 * the stream checker, so that a cut archive or a manifest that does not
 * match is refused in the same pass), kt-tar-create.c writes them and
 * kt-tar-extract.c extracts them.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kt_check.h"
#include "kt_cleanup.h"
#include "kt_err.h"
#include "kt_io.h"
#include "kt_spool.h"
#include "kt-tar.h"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == KT_EXIT_OK ? stdout : stderr,
	    "usage: kt-tar -c [-0qvz] [-C root] [-T file] "
	    "[--stdin-member name]\n"
	    "       kt-tar -t [-qv]\n"
	    "       kt-tar -x [-qv] [-C dir] [--same-owner | "
	    "--numeric-owner]\n"
	    "              [--keep-old-files] [--exclude pattern]...\n"
	    "       kt-tar -x [-qv] --to-stdout name\n");
	exit(status);
}

void (*kt_tar_on_failure)(void);

void
kt_tar_exit(int code)
{
	if (kt_tar_on_failure != NULL)
		kt_tar_on_failure();
	kt_cleanup_run();
	fflush(stdout);
	fflush(stderr);
	_exit(code);
}

void
kt_tar_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	kt_tar_exit(code);
}

/* --- listing ------------------------------------------------------------ */

void
kt_tar_print_name_to(FILE *fp, const char *name)
{
	const unsigned char *p;

	/* Most names need no escape: one call, not one a byte. */
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			break;
	if (*p == '\0') {
		fputs(name, fp);
		return;
	}
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(fp, "\\%03o", *p);
			else
				putc(*p, fp);
		}
	}
}

/* "drwx------" as tar tvf prints it; 'h' for a hard link. */
static void
mode_string(struct archive_entry *e, char s[11])
{
	static const char rwx[] = "rwxrwxrwx";
	mode_t m = archive_entry_mode(e);
	int i;

	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:	s[0] = 'd'; break;
	case AE_IFLNK:	s[0] = 'l'; break;
	case AE_IFCHR:	s[0] = 'c'; break;
	case AE_IFBLK:	s[0] = 'b'; break;
	case AE_IFIFO:	s[0] = 'p'; break;
	case AE_IFSOCK:	s[0] = 's'; break;
	default:	s[0] = '-'; break;
	}
	if (archive_entry_hardlink(e) != NULL)
		s[0] = 'h';
	for (i = 0; i < 9; i++)
		s[i + 1] = m & (0400 >> i) ? rwx[i] : '-';
	if (m & 04000)
		s[3] = m & 0100 ? 's' : 'S';
	if (m & 02000)
		s[6] = m & 0010 ? 's' : 'S';
	if (m & 01000)
		s[9] = m & 0001 ? 't' : 'T';
	s[10] = '\0';
}

/* One line of tar tvf: GNU tar's columns, including its habit of
   widening the owner/size column as wider values come. */
static void
print_long(struct archive_entry *e)
{
	static int ugswidth = 19;
	char mode[11], user[64], group[64], size[48], date[32];
	const char *s;
	time_t t;
	struct tm tm;
	int pad;

	mode_string(e, mode);
	if ((s = archive_entry_uname(e)) != NULL && *s != '\0')
		snprintf(user, sizeof(user), "%s", s);
	else
		snprintf(user, sizeof(user), "%lld",
		    (long long)archive_entry_uid(e));
	if ((s = archive_entry_gname(e)) != NULL && *s != '\0')
		snprintf(group, sizeof(group), "%s", s);
	else
		snprintf(group, sizeof(group), "%lld",
		    (long long)archive_entry_gid(e));
	if (archive_entry_filetype(e) == AE_IFCHR ||
	    archive_entry_filetype(e) == AE_IFBLK)
		snprintf(size, sizeof(size), "%lu,%lu",
		    (unsigned long)archive_entry_rdevmajor(e),
		    (unsigned long)archive_entry_rdevminor(e));
	else
		snprintf(size, sizeof(size), "%lld",
		    (long long)archive_entry_size(e));
	t = archive_entry_mtime(e);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(date, sizeof(date), "%lld", (long long)t);
	pad = (int)(strlen(user) + 1 + strlen(group) + 1 + strlen(size));
	if (pad > ugswidth)
		ugswidth = pad;
	printf("%s %s/%s %*s %-16s ", mode, user, group,
	    ugswidth - pad + (int)strlen(size), size, date);
	kt_tar_print_name_to(stdout, archive_entry_pathname(e));
	if ((s = archive_entry_hardlink(e)) != NULL) {
		fputs(" link to ", stdout);
		kt_tar_print_name_to(stdout, s);
	} else if (archive_entry_filetype(e) == AE_IFLNK &&
	    (s = archive_entry_symlink(e)) != NULL) {
		fputs(" -> ", stdout);
		kt_tar_print_name_to(stdout, s);
	}
	putchar('\n');
}

static void
list(void)
{
	struct kt_tar_reader *r = kt_tar_reader_open();
	struct archive_entry *e;

	while (kt_tar_reader_next(r, &e)) {
		if (archive_entry_pathname(e) == NULL)
			kt_tar_die(KT_EXIT_INTEGRITY, "standard input: a "
			    "member has no name");
		if (kt_verbosity >= 2)
			print_long(e);
		else {
			kt_tar_print_name_to(stdout, archive_entry_pathname(e));
			putchar('\n');
		}
		if (ferror(stdout))
			break;
	}
	if (ferror(stdout))
		kt_close_stdout_or_die();
	kt_tar_reader_finish(r);
	kt_tar_reader_free(r);
}

/* --- extracting one member to standard output --------------------------- */

/* Copies the data of the member E is the header of to spool FD, from its
   start (a member named twice: the last one counts, as on disk). */
static void
spool_member(struct kt_tar_reader *r, struct archive_entry *e, int fd,
    const char *name)
{
	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1 ||
	    kt_tar_reader_data_to_fd(r, e, fd) == -1)
		kt_tar_die(KT_EXIT_FAIL, "spool file for %s: %s", name,
		    strerror(errno));
}

/* What a member that is not a regular file is, for the message. */
static const char *
not_a_file(struct archive_entry *e)
{
	if (archive_entry_hardlink(e) != NULL)
		return "a hard link";
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		return "a directory";
	case AE_IFLNK:
		return "a symbolic link";
	default:
		return "a special file";
	}
}

/*
 * -x --to-stdout NAME: the data of regular-file member NAME on standard
 * output, and only once the whole archive, manifest included, has
 * checked out.  Meanwhile it waits in an unlinked 0600 spool file.
 */
static void
extract_to_stdout(const char *arg)
{
	struct kt_tar_reader *r;
	struct archive_entry *e;
	const char *why, *kind = NULL;
	char *want, *rel, *link = NULL;
	uint64_t size = 0;
	int fd = -1, found = 0;

	/* Member names have no leading slash: ignore one given. */
	while (*arg == '/')
		arg++;
	if ((want = kt_tar_clean_name(arg, &why)) == NULL)
		errx(KT_EXIT_USAGE, "--to-stdout %s: %s", arg, why);
	if (*want == '\0')
		errx(KT_EXIT_USAGE, "--to-stdout needs the name of a member");

	r = kt_tar_reader_open();
	while (kt_tar_reader_next(r, &e)) {
		if (archive_entry_pathname(e) == NULL)
			kt_tar_die(KT_EXIT_INTEGRITY, "standard input: a "
			    "member has no name");
		/* A name that cannot be extracted is not the one asked
		   for. */
		if ((rel = kt_tar_clean_name(archive_entry_pathname(e),
		    &why)) == NULL)
			continue;
		if (strcmp(rel, want) == 0) {
			found = 1;
			free(link);
			link = NULL;
			kind = NULL;
			if (archive_entry_filetype(e) != AE_IFREG ||
			    archive_entry_hardlink(e) != NULL) {
				kind = not_a_file(e);
				if (archive_entry_hardlink(e) != NULL &&
				    (link = strdup(archive_entry_hardlink(e)))
				    == NULL)
					err(KT_EXIT_FAIL, NULL);
			} else {
				if (fd == -1 && (fd = kt_spool_open()) == -1)
					kt_tar_die(KT_EXIT_FAIL, "spool file: "
					    "%s", strerror(errno));
				spool_member(r, e, fd, want);
				size = (uint64_t)archive_entry_size(e);
			}
		}
		free(rel);
	}
	kt_tar_reader_finish(r);

	if (!found)
		kt_tar_die(KT_EXIT_FAIL, "%s: no such member in the archive: "
		    "nothing written", want);
	if (kind != NULL)
		kt_tar_die(KT_EXIT_FAIL, "%s: %s%s%s, not a regular file: "
		    "nothing written", want, kind, link != NULL ? " to " : "",
		    link != NULL ? link : "");
	if (lseek(fd, 0, SEEK_SET) == -1)
		kt_tar_die(KT_EXIT_FAIL, "spool file: %s", strerror(errno));
	kt_copy_or_die(fd, "spool file", STDOUT_FILENO, "standard output");
	close(fd);
	kt_verbose("%s: %llu bytes written to standard output", want,
	    (unsigned long long)size);
	kt_tar_reader_free(r);
	free(want);
}

/* --- main --------------------------------------------------------------- */

static void
set_mode(struct kt_tar_opts *o, int mode)
{
	if (o->mode != 0 && o->mode != mode)
		errx(KT_EXIT_USAGE, "give one of -c, -t and -x");
	o->mode = mode;
}

int
main(int argc, char *argv[])
{
	enum { OPT_SAME_OWNER = 256, OPT_NUMERIC_OWNER, OPT_KEEP_OLD,
	    OPT_STDIN_MEMBER, OPT_TO_STDOUT, OPT_EXCLUDE };
	static const struct option longopts[] = {
		{ "create", no_argument, NULL, 'c' },
		{ "directory", required_argument, NULL, 'C' },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "extract", no_argument, NULL, 'x' },
		{ "files-from", required_argument, NULL, 'T' },
		{ "gzip", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ "keep-old-files", no_argument, NULL, OPT_KEEP_OLD },
		{ "list", no_argument, NULL, 't' },
		{ "null", no_argument, NULL, '0' },
		{ "numeric-owner", no_argument, NULL, OPT_NUMERIC_OWNER },
		{ "quiet", no_argument, NULL, 'q' },
		{ "same-owner", no_argument, NULL, OPT_SAME_OWNER },
		{ "stdin-member", required_argument, NULL, OPT_STDIN_MEMBER },
		{ "to-stdout", required_argument, NULL, OPT_TO_STDOUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct kt_tar_opts o = { 0 };
	int ch;

	kt_init();
	/* pax stores names in UTF-8.  In a locale without a character set
	   beyond ASCII (C, POSIX: cron jobs, our tests) libarchive could not
	   convert other bytes and would store names as "binary", which GNU
	   tar warns about; take such bytes as UTF-8, as nearly every system
	   names its files today. */
	if (strcmp(nl_langinfo(CODESET), "ANSI_X3.4-1968") == 0)
		setlocale(LC_CTYPE, "C.UTF-8");
	while ((ch = getopt_long(argc, argv, "0C:chqT:tvxz", longopts, NULL))
	    != -1) {
		switch (ch) {
		case '0':
			o.nul = 1;
			break;
		case 'C':
			o.dir = optarg;
			break;
		case 'c':
		case 't':
		case 'x':
			set_mode(&o, ch);
			break;
		case 'q':
			kt_verbosity = 0;
			break;
		case 'T':
			o.list = optarg;
			break;
		case 'v':
			kt_verbosity = 2;
			break;
		case 'z':
			o.gzip = 1;
			break;
		case OPT_SAME_OWNER:
			o.same_owner = 1;
			break;
		case OPT_NUMERIC_OWNER:
			o.numeric_owner = 1;
			break;
		case OPT_KEEP_OLD:
			o.keep_old = 1;
			break;
		case OPT_STDIN_MEMBER:
			o.stdin_member = optarg;
			break;
		case OPT_TO_STDOUT:
			o.to_stdout = optarg;
			break;
		case OPT_EXCLUDE:
			kt_tar_exclude_add(&o, optarg);
			break;
		case 'h':
			usage(KT_EXIT_OK);
		default:
			usage(KT_EXIT_USAGE);
		}
	}
	if (optind != argc || o.mode == 0)
		usage(KT_EXIT_USAGE);
	if (o.mode != 'c' && (o.nul || o.gzip || o.list != NULL ||
	    o.stdin_member != NULL))
		errx(KT_EXIT_USAGE, "-0, -z, -T and --stdin-member go with -c");
	if (o.mode != 'x' && (o.same_owner || o.numeric_owner || o.keep_old ||
	    o.to_stdout != NULL || o.nexcludes > 0))
		errx(KT_EXIT_USAGE, "--same-owner, --numeric-owner, "
		    "--keep-old-files, --exclude and --to-stdout go with -x%s",
		    o.mode == 'c' && o.nexcludes > 0 ? " (kt-collect "
		    "--exclude chooses what to archive)" : "");
	if (o.to_stdout != NULL && (o.dir != NULL || o.same_owner ||
	    o.numeric_owner || o.keep_old || o.nexcludes > 0))
		errx(KT_EXIT_USAGE, "--to-stdout extracts nothing to disk: "
		    "-C, --same-owner, --numeric-owner, --keep-old-files and "
		    "--exclude do not go with it");
	if (o.mode == 't' && o.dir != NULL)
		errx(KT_EXIT_USAGE, "-C goes with -c or -x");
	if (o.same_owner && o.numeric_owner)
		errx(KT_EXIT_USAGE, "--same-owner and --numeric-owner exclude "
		    "each other");
	if ((o.same_owner || o.numeric_owner) && geteuid() != 0)
		errx(KT_EXIT_USAGE, "--same-owner and --numeric-owner need "
		    "root: only root can give files away");
	if (o.dir != NULL && *o.dir == '\0')
		errx(KT_EXIT_USAGE, "-C needs a directory");

	switch (o.mode) {
	case 'c':
		kt_tar_create(&o);
		break;
	case 't':
		list();
		break;
	case 'x':
		if (o.to_stdout != NULL)
			extract_to_stdout(o.to_stdout);
		else
			kt_tar_extract(&o);
		break;
	}
	kt_close_stdout_or_die();
	while (o.nexcludes > 0)
		free(o.excludes[--o.nexcludes]);
	free(o.excludes);
	return KT_EXIT_OK;
}
