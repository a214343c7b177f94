/*
 * kt-roll: store a finished backup stream in a directory under a dated
 * name, and keep the last N backups.
 *
 * Nothing is stored until the stream is whole: it goes to a temporary
 * file in the directory, is checked with the one recogniser (an OpenPGP
 * message with all its packets, a tar with its end and manifest, a gzip
 * with its trailer, a dump with its completion trailer), fsync'ed,
 * renamed into place without replacing anything and the directory
 * fsync'ed; only then are old backups removed.  A stage of the pipeline
 * that dies therefore leaves the directory as it was.
 *
 * Locking: an exclusive flock(2) on the directory serialises the short
 * steps that change it (creating a temporary file, committing, removing
 * old backups), not the reading of the stream, so that a slow or hung
 * pipeline never holds up the next run.  Each run also holds a flock on
 * its own temporary file: one that nobody holds a lock on belongs to a
 * run that died (the kernel drops the locks of a dead process), and is
 * removed.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kt_atomic.h"
#include "kt_check.h"
#include "kt_cleanup.h"
#include "kt_err.h"
#include "kt_io.h"

/* --max-age found no backup, or only older ones. */
#define EXIT_STALE	4

#define KEEP_MAX	100000
#define PREFIX_MAX	64
#define HOST_MAX	64
#define SUFFIX_MAX	32
#define SEQ_MAX		999999		/* same-second names: NAME-1 ... */
#define TEMP_PREFIX	".kt-roll."	/* + 6 characters from mkostemp */
#define LOCK_NAME	".kt-roll.lock"	/* where a directory cannot be locked */
#define STAMP_LEN	19		/* YYYY-MM-DD_HH-MM-SS */

struct roll {
	const char *dir;		/* as given, trailing slashes cut */
	int dirfd;
	int lockfd;			/* LOCK_NAME, or -1: dirfd is locked */
	const char *prefix;
	const char *host;		/* NULL: any (--list only) */
	const char *suffix;		/* NULL: from the stream / any */
	long keep;			/* 0: remove nothing */
	long long max_age;		/* seconds; -1: no check */
	int raw;
};

struct backup {
	char *name;
	time_t when;			/* from the name, UTC */
	unsigned long seq;		/* the -N of a same-second name */
	long long size;
};

struct backups {
	struct backup *v;
	size_t n, cap;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: kt-roll [-qv] [--raw] -o dir [--keep n] "
	    "[--prefix prefix] [--host name]\n"
	    "               [--suffix suffix] < stream\n"
	    "       kt-roll --list [-q] -o dir [--prefix prefix] "
	    "[--host name] [--suffix suffix]\n"
	    "               [--max-age duration]\n");
	exit(status);
}

/* --- names --------------------------------------------------------- */

static int
name_char(int c)
{
	return isascii(c) && (isalnum(c) || c == '_' || c == '-' ||
	    c == '.' || c == '+');
}

static int
valid_suffix(const char *s)
{
	if (*s == '\0')
		return 1;
	if (*s != '.' || strlen(s) > SUFFIX_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!name_char((unsigned char)*s))
			return 0;
	return 1;
}

static const char *
check_prefix(const char *s)
{
	const char *p;

	if (*s == '\0' || *s == '.' || *s == '-' || strlen(s) > PREFIX_MAX)
		errx(KT_EXIT_USAGE, "--prefix \"%s\": give 1 to %d letters, "
		    "digits or ._+- not starting with . or -", s, PREFIX_MAX);
	for (p = s; *p != '\0'; p++)
		if (!name_char((unsigned char)*p))
			errx(KT_EXIT_USAGE, "--prefix \"%s\": only letters, "
			    "digits and ._+- can go into a file name", s);
	return s;
}

static int
host_char(int c)
{
	return isascii(c) && (isalnum(c) || c == '_' || c == '-');
}

/* The seed's names carry the host with its dots turned into underscores:
   kts01.example.com -> kts01_example_com.  FROM says where NAME came from
   (a bad --host is a usage error, a bad host name a failure). */
static char *
host_part(const char *name, const char *from)
{
	int status = from != NULL ? KT_EXIT_USAGE : KT_EXIT_FAIL;
	const char *p;
	char *h, *q;

	if (*name == '\0' || strlen(name) > HOST_MAX)
		errx(status, "host name \"%s\"%s is empty or too long for a "
		    "file name (%d characters at most)%s", name,
		    from != NULL ? " of --host" : "", HOST_MAX,
		    from != NULL ? "" : ": give --host");
	for (p = name; *p != '\0'; p++)
		if (*p != '.' && !host_char((unsigned char)*p))
			errx(status, "host name \"%s\"%s cannot go into a "
			    "file name: letters, digits, . - and _ only%s",
			    name, from != NULL ? " of --host" : "",
			    from != NULL ? "" : "; give --host");
	if ((h = strdup(name)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	for (q = h; *q != '\0'; q++)
		if (*q == '.')
			*q = '_';
	return h;
}

static char *
local_host(void)
{
	char name[HOST_NAME_MAX + 1];

	if (gethostname(name, sizeof(name)) == -1)
		err(KT_EXIT_FAIL, "gethostname");
	name[sizeof(name) - 1] = '\0';
	return host_part(name, NULL);
}

/*
 * Parses what follows "PREFIX_HOST_": YYYY-MM-DD_HH-MM-SS[-N]SUFFIX, the
 * time in UTC.  With SUFFIX NULL any well-formed suffix matches.
 */
static int
parse_tail(const char *s, const char *suffix, struct backup *b)
{
	static const char shape[] = "dddd-dd-dd_dd-dd-dd";
	struct tm tm, back;
	unsigned long seq = 0;
	time_t t;
	int i, v[6], k;

	for (i = 0; i < STAMP_LEN; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return -1;
	}
	for (i = 0, k = 0; k < 6; k++) {
		v[k] = 0;
		while (isdigit((unsigned char)s[i]))
			v[k] = v[k] * 10 + (s[i++] - '0');
		i++;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	back = tm;
	if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year != back.tm_year || tm.tm_mon != back.tm_mon ||
	    tm.tm_mday != back.tm_mday || tm.tm_hour != back.tm_hour ||
	    tm.tm_min != back.tm_min || tm.tm_sec != back.tm_sec)
		return -1;		/* 2016-02-30, 25:00 ... */
	s += STAMP_LEN;
	if (*s == '-') {
		s++;
		if (*s < '1' || *s > '9')
			return -1;
		for (i = 0; isdigit((unsigned char)*s); s++, i++) {
			if (i == 9)
				return -1;
			seq = seq * 10 + (unsigned long)(*s - '0');
		}
	}
	if (suffix != NULL ? strcmp(s, suffix) != 0 : !valid_suffix(s))
		return -1;
	b->when = t;
	b->seq = seq;
	return 0;
}

/* Is NAME one of R's backups?  Only names of exactly this shape are ever
   counted or removed. */
static int
parse_name(const struct roll *r, const char *name, struct backup *b)
{
	size_t pl = strlen(r->prefix), hl;
	const char *p, *t;

	if (strncmp(name, r->prefix, pl) != 0 || name[pl] != '_')
		return -1;
	p = name + pl + 1;
	if (r->host != NULL) {
		hl = strlen(r->host);
		if (strncmp(p, r->host, hl) != 0 || p[hl] != '_')
			return -1;
		return parse_tail(p + hl + 1, r->suffix, b);
	}
	/* Any host: the first "_" that a time stamp follows ends it. */
	for (t = p; host_char((unsigned char)*t); t++) {
		if (*t == '_' && t > p && parse_tail(t + 1, r->suffix, b) == 0)
			return 0;
	}
	return -1;
}

static int
is_temp_name(const char *name)
{
	size_t i, n = sizeof(TEMP_PREFIX) - 1;

	if (strncmp(name, TEMP_PREFIX, n) != 0 || strlen(name) != n + 6)
		return 0;
	for (i = n; name[i] != '\0'; i++)
		if (!isascii((unsigned char)name[i]) ||
		    !isalnum((unsigned char)name[i]))
			return 0;
	return 1;
}

/* DIR/NAME for messages and for standard output. */
static char *
path_of(const struct roll *r, const char *name)
{
	size_t dl = strlen(r->dir);
	char *p;

	if (asprintf(&p, "%s%s%s", r->dir,
	    dl > 0 && r->dir[dl - 1] == '/' ? "" : "/", name) == -1)
		err(KT_EXIT_FAIL, NULL);
	return p;
}

/* --- the directory -------------------------------------------------- */

static int
open_dir(const char *dir)
{
	struct stat sb;
	int fd, saved;

	/* O_NOFOLLOW: a backup directory that is a symbolic link is
	   refused, so that nobody can redirect backups (or the removal of
	   old ones) by replacing the directory with a link. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1)
		return fd;
	saved = errno;
	if (lstat(dir, &sb) == 0 && S_ISLNK(sb.st_mode))
		errx(KT_EXIT_FAIL, "backup directory %s is a symbolic link: "
		    "refusing to follow it, give the real directory", dir);
	if (saved == ENOTDIR && lstat(dir, &sb) == 0)
		errx(KT_EXIT_FAIL, "backup directory %s is not a directory",
		    dir);
	errno = saved;
	err(KT_EXIT_FAIL, "backup directory %s", dir);
}

/*
 * Locks the directory.  Where the file system cannot flock a directory
 * (NFS emulates flock with byte-range locks, which need a descriptor open
 * for writing), a lock file in it, LOCK_NAME, stands in for it.
 */
static void
lock_dir(struct roll *r)
{
	int fd = r->lockfd != -1 ? r->lockfd : r->dirfd;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return;
	if (r->lockfd == -1 && (errno == EBADF || errno == EINVAL ||
	    errno == EOPNOTSUPP)) {
		kt_verbose("%s cannot be locked (%s): locking %s/%s instead",
		    r->dir, strerror(errno), r->dir, LOCK_NAME);
		r->lockfd = openat(r->dirfd, LOCK_NAME, O_RDWR | O_CREAT |
		    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
		if (r->lockfd == -1)
			err(KT_EXIT_FAIL, "cannot lock backup directory %s: "
			    "create %s/%s", r->dir, r->dir, LOCK_NAME);
		lock_dir(r);
		return;
	}
	if (errno != EWOULDBLOCK)
		err(KT_EXIT_FAIL, "cannot lock backup directory %s", r->dir);
	kt_verbose("waiting for another kt-roll to finish with %s", r->dir);
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR)
			err(KT_EXIT_FAIL, "cannot lock backup directory %s",
			    r->dir);
}

static void
unlock_dir(const struct roll *r)
{
	flock(r->lockfd != -1 ? r->lockfd : r->dirfd, LOCK_UN);
}

static DIR *
read_dir(const struct roll *r)
{
	DIR *d;
	int fd;

	/* A descriptor of its own: closedir() closes it, and reading must
	   not move the offset of the one we lock. */
	fd = openat(r->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL)
		err(KT_EXIT_FAIL, "read backup directory %s", r->dir);
	return d;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Removes the temporary files of runs that died (kill -9, a power cut).
 * Called with the directory locked.  A live run holds a flock on its
 * temporary file from the moment it creates it (also under the directory
 * lock), so a file we can lock has no live owner.  Only regular files
 * with exactly the temporary name shape are touched; MINE (our own) is
 * skipped.
 */
static void
clean_stale_temps(const struct roll *r, const struct stat *mine)
{
	struct stat sb, sb2;
	struct dirent *de;
	char *path;
	DIR *d;
	int fd, removed = 0;

	d = read_dir(r);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!is_temp_name(de->d_name))
			continue;
		/* Never open anything but a regular file: a planted FIFO
		   or device must not block us or be poked. */
		if (fstatat(r->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW)
		    == -1 || !S_ISREG(sb.st_mode))
			continue;
		if (mine != NULL && same_file(&sb, mine))
			continue;
		/* Open for writing: NFS locks only such descriptors. */
		fd = openat(r->dirfd, de->d_name, O_RDWR | O_NOFOLLOW |
		    O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd == -1)
			continue;
		if (fstat(fd, &sb2) == -1 || !same_file(&sb, &sb2) ||
		    flock(fd, LOCK_EX | LOCK_NB) == -1) {
			close(fd);	/* a live run's, or it changed */
			continue;
		}
		path = path_of(r, de->d_name);
		if (fstatat(r->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW)
		    == 0 && same_file(&sb, &sb2) &&
		    unlinkat(r->dirfd, de->d_name, 0) == 0) {
			kt_verbose("removed %s, left behind by a run that "
			    "died", path);
			removed = 1;
		} else
			warn("cannot remove %s, left behind by a run that "
			    "died", path);
		free(path);
		close(fd);
	}
	if (errno != 0)
		err(KT_EXIT_FAIL, "read backup directory %s", r->dir);
	closedir(d);
	if (removed)
		fsync(r->dirfd);
}

static int
newest_first(const void *a, const void *b)
{
	const struct backup *x = a, *y = b;

	if (x->when != y->when)
		return x->when > y->when ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq > y->seq ? -1 : 1;
	return -strcmp(x->name, y->name);
}

/* R's backups in the directory, newest first: regular files only.  Other
   things with a backup's name are never counted nor removed. */
static void
scan(const struct roll *r, struct backups *bs, const char *skip)
{
	struct backup b;
	struct dirent *de;
	struct stat sb;
	char *path;
	DIR *d;

	bs->v = NULL;
	bs->n = bs->cap = 0;
	d = read_dir(r);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (parse_name(r, de->d_name, &b) == -1)
			continue;
		if (skip != NULL && strcmp(de->d_name, skip) == 0)
			continue;
		if (fstatat(r->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW)
		    == -1)
			continue;	/* removed meanwhile */
		if (!S_ISREG(sb.st_mode)) {
			path = path_of(r, de->d_name);
			kt_info("ignoring %s: not a regular file%s", path,
			    S_ISLNK(sb.st_mode) ? " but a symbolic link" :
			    "");
			free(path);
			continue;
		}
		if (bs->n == bs->cap) {
			bs->cap = bs->cap ? bs->cap * 2 : 32;
			bs->v = reallocarray(bs->v, bs->cap, sizeof(*bs->v));
			if (bs->v == NULL)
				err(KT_EXIT_FAIL, NULL);
		}
		if ((b.name = strdup(de->d_name)) == NULL)
			err(KT_EXIT_FAIL, NULL);
		b.size = (long long)sb.st_size;
		bs->v[bs->n++] = b;
	}
	if (errno != 0)
		err(KT_EXIT_FAIL, "read backup directory %s", r->dir);
	closedir(d);
	if (bs->n > 0)
		qsort(bs->v, bs->n, sizeof(*bs->v), newest_first);
}

static void
free_backups(struct backups *bs)
{
	size_t i;

	for (i = 0; i < bs->n; i++)
		free(bs->v[i].name);
	free(bs->v);
}

/* --- storing --------------------------------------------------------- */

static char *
backup_name(const struct roll *r, const char *stamp, unsigned long seq,
    const char *suffix)
{
	char *name;
	int rc;

	if (seq == 0)
		rc = asprintf(&name, "%s_%s_%s%s", r->prefix, r->host, stamp,
		    suffix);
	else
		rc = asprintf(&name, "%s_%s_%s-%lu%s", r->prefix, r->host,
		    stamp, seq, suffix);
	if (rc == -1)
		err(KT_EXIT_FAIL, NULL);
	return name;
}

/* The last extension of the stream's own suffix: a --suffix must end with
   it, so that nothing cleartext is ever named like an encrypted file. */
static const char *
last_extension(const char *suffix)
{
	const char *dot = strrchr(suffix, '.');

	return dot != NULL ? dot : suffix;
}

static const char unknown_format[] = "not a format kt-roll can check for "
    "completeness (tar, gzip, PostgreSQL dump, OpenPGP message); --raw "
    "stores it unchecked";

static void __attribute__((noreturn))
refuse(const struct roll *r, const char *why)
{
	errx(KT_EXIT_INTEGRITY, "refusing to store standard input in %s: %s",
	    r->dir, why);
}

/*
 * Starts writing back what was received so far, chunk by chunk, and waits
 * for the chunk before: the final fsync then has little left to do (the
 * disk works while the stream still arrives), no more than two chunks are
 * ever dirty, and the backup does not push the server's own data out of
 * the page cache.  Only a hint: errors surface in the fsync.
 */
#define WRITEBACK_CHUNK	(8LL * 1024 * 1024)

static void
write_back(int fd, long long total, long long *started)
{
	while (total - *started >= WRITEBACK_CHUNK) {
		sync_file_range(fd, *started, WRITEBACK_CHUNK,
		    SYNC_FILE_RANGE_WRITE);
		if (*started >= WRITEBACK_CHUNK) {
			sync_file_range(fd, *started - WRITEBACK_CHUNK,
			    WRITEBACK_CHUNK, SYNC_FILE_RANGE_WAIT_BEFORE |
			    SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
			posix_fadvise(fd, *started - WRITEBACK_CHUNK,
			    WRITEBACK_CHUNK, POSIX_FADV_DONTNEED);
		}
		*started += WRITEBACK_CHUNK;
	}
}

/* Reads the whole stream into the temporary file, checking it as it
   goes.  Returns the number of bytes; exits on any failure. */
static long long
receive(const struct roll *r, struct kt_atomic *a, struct kt_check *check)
{
	static char buf[KT_IO_BUFSIZE];
	long long total = 0, started = 0;
	ssize_t n;

	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(KT_EXIT_FAIL, "read from standard input");
		}
		/* A malformed stream is refused at once: no point in
		   filling the disk with it. */
		if (kt_check_feed(check, buf, (size_t)n) == -1)
			refuse(r, kt_check_error(check));
		if (!r->raw && kt_check_format(check) == KT_FMT_UNKNOWN)
			refuse(r, unknown_format);
		if (kt_write_full(a->fd, buf, (size_t)n) == -1)
			err(KT_EXIT_FAIL, "write to %s", a->tmppath);
		total += n;
		write_back(a->fd, total, &started);
	}
	return total;
}

/* The suffix of the stored file; refuses a stream that is empty,
   incomplete or unknown (unless --raw). */
static const char *
judge(const struct roll *r, struct kt_check *check, long long total)
{
	enum kt_format fmt;
	const char *own;

	if (kt_check_end(check) == -1)
		refuse(r, kt_check_error(check));
	fmt = kt_check_format(check);
	if (total == 0 || fmt == KT_FMT_EMPTY)
		refuse(r, "the stream is empty (did the command before "
		    "kt-roll fail?)");
	if (fmt == KT_FMT_UNKNOWN || fmt == KT_FMT_PENDING) {
		if (!r->raw)
			refuse(r, unknown_format);
		kt_info("warning: --raw: the stream's format is unknown, so "
		    "nothing could be checked: it is stored as it came, "
		    "complete or not");
		return r->suffix != NULL ? r->suffix : "";
	}
	own = kt_check_suffix(check);
	kt_verbose("the stream is a complete %s of %lld bytes",
	    kt_check_describe(check), total);
	if (r->suffix == NULL)
		return own;
	if (*own != '\0') {
		size_t sl = strlen(r->suffix), el = strlen(last_extension(own));

		if (sl < el || strcmp(r->suffix + sl - el,
		    last_extension(own)) != 0)
			errx(KT_EXIT_FAIL, "--suffix %s does not fit the "
			    "stream, a %s (%s): nothing stored in %s",
			    r->suffix, kt_check_describe(check), own, r->dir);
	}
	return r->suffix;
}

/* Removes the oldest of R's backups so that KEEP remain, NAME (the one
   just stored) always among them.  Returns 0, or -1 if one could not be
   removed. */
static int
roll(const struct roll *r, const char *name, const char *suffix,
    const struct backup *mine)
{
	struct roll series = *r;
	struct backups bs;
	char *path;
	size_t i;
	int rc = 0, removed = 0;

	/* One series: this prefix, host and suffix exactly. */
	series.suffix = suffix;
	scan(&series, &bs, name);
	if (bs.n > 0 && newest_first(mine, &bs.v[0]) > 0) {
		path = path_of(r, bs.v[0].name);
		kt_info("warning: %s is dated later than the backup just "
		    "stored: has the clock gone back?", path);
		free(path);
	}
	/* Oldest first, so that a run killed half-way has removed the
	   backups that were to go first. */
	for (i = bs.n; r->keep > 0 && i > (size_t)r->keep - 1; i--) {
		path = path_of(r, bs.v[i - 1].name);
		if (unlinkat(r->dirfd, bs.v[i - 1].name, 0) == -1) {
			warn("cannot remove old backup %s", path);
			rc = -1;
		} else {
			kt_verbose("removed old backup %s", path);
			removed = 1;
		}
		free(path);
	}
	if (removed && fsync(r->dirfd) == -1) {
		warn("fsync %s", r->dir);
		rc = -1;
	}
	free_backups(&bs);
	return rc;
}

/*
 * The counter for a name of STAMP: one more than the highest of the
 * series in that second (0 if none), so that a later run sorts later even
 * after retention removed an earlier one of the same second and freed its
 * name.  Anything with such a name counts, links included.
 */
static unsigned long
next_seq(const struct roll *r, const char *suffix, time_t when)
{
	struct roll series = *r;
	struct backup b;
	struct dirent *de;
	unsigned long seq = 0;
	DIR *d;

	series.suffix = suffix;
	d = read_dir(r);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (parse_name(&series, de->d_name, &b) == 0 &&
		    b.when == when && b.seq + 1 > seq)
			seq = b.seq + 1;
	}
	if (errno != 0)
		err(KT_EXIT_FAIL, "read backup directory %s", r->dir);
	closedir(d);
	return seq;
}

static int
store(struct roll *r)
{
	char stamp[STAMP_LEN + 1], *name = NULL, *path;
	struct stat dsb, asb, tsb;
	struct backup mine;
	struct kt_atomic a;
	struct kt_check *check;
	const char *suffix;
	long long total;
	unsigned long seq;
	struct tm tm;
	time_t now;
	int rc;

	/* The time the run started: in a pipeline, the time the backup
	   was taken.  UTC, so that names sort in time order whatever the
	   time zone and its daylight-saving changes. */
	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%d_%H-%M-%S", &tm) !=
	    STAMP_LEN)
		errx(KT_EXIT_FAIL, "cannot format the time %lld",
		    (long long)now);

	r->dirfd = open_dir(r->dir);
	if ((check = kt_check_new(KT_CHECK_HASH)) == NULL)
		err(KT_EXIT_FAIL, NULL);

	/* Create and lock the temporary file under the directory lock, so
	   that no other run can take it for a dead run's. */
	lock_dir(r);
	clean_stale_temps(r, NULL);
	if (kt_atomic_open(&a, r->dir, TEMP_PREFIX) == -1)
		err(KT_EXIT_FAIL, "cannot create a temporary file in %s",
		    r->dir);
	if (fstat(r->dirfd, &dsb) == -1 || fstat(a.dirfd, &asb) == -1 ||
	    !same_file(&dsb, &asb))
		errx(KT_EXIT_FAIL, "backup directory %s was replaced while "
		    "kt-roll opened it", r->dir);
	if (flock(a.fd, LOCK_EX | LOCK_NB) == -1)
		err(KT_EXIT_FAIL, "cannot lock %s", a.tmppath);
	if (fstat(a.fd, &tsb) == -1)
		err(KT_EXIT_FAIL, "%s", a.tmppath);
	unlock_dir(r);
	kt_verbose("receiving into %s", a.tmppath);

	total = receive(r, &a, check);
	suffix = judge(r, check, total);

	/* The slow part of the commit, outside the directory lock. */
	if (fsync(a.fd) == -1)
		err(KT_EXIT_FAIL, "fsync %s", a.tmppath);

	lock_dir(r);
	clean_stale_temps(r, &tsb);
	for (seq = next_seq(r, suffix, now);; seq++) {
		if (seq > SEQ_MAX)
			errx(KT_EXIT_FAIL, "too many backups named %s_%s_%s "
			    "in %s", r->prefix, r->host, stamp, r->dir);
		free(name);
		name = backup_name(r, stamp, seq, suffix);
		if (kt_atomic_commit(&a, name, KT_ATOMIC_NOREPLACE) == 0)
			break;
		path = path_of(r, name);
		if (a.tmppath == NULL) {
			/* Renamed, but the directory could not be made
			   durable: take it back rather than report a
			   backup that a crash may lose. */
			warn("fsync %s", r->dir);
			if (unlinkat(r->dirfd, name, 0) == 0)
				errx(KT_EXIT_FAIL, "%s not stored: the "
				    "directory could not be synced", path);
			err(KT_EXIT_FAIL, "%s was stored but the directory "
			    "could not be synced, and removing it failed",
			    path);
		}
		if (errno != EEXIST)
			err(KT_EXIT_FAIL, "store %s", path);
		kt_verbose("%s exists", path);
		free(path);
	}
	path = path_of(r, name);
	kt_verbose("stored %s (%lld bytes)", path, total);

	mine.name = name;
	mine.when = now;
	mine.seq = seq;
	rc = roll(r, name, suffix, &mine);
	unlock_dir(r);
	if (r->lockfd != -1)
		close(r->lockfd);
	close(r->dirfd);
	kt_check_free(check);

	printf("%s\n", path);
	free(path);
	free(name);
	return rc == 0 ? KT_EXIT_OK : KT_EXIT_FAIL;
}

/* --- listing --------------------------------------------------------- */

static void
format_age(char *buf, size_t len, long long s)
{
	if (s < 0)
		snprintf(buf, len, "future");
	else if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400,
		    s % 86400 / 3600);
}

static int
list(struct roll *r)
{
	struct backups bs;
	char age[32], *path;
	long long a;
	time_t now = time(NULL);
	size_t i;
	int rc = KT_EXIT_OK;

	r->dirfd = open_dir(r->dir);
	scan(r, &bs, NULL);
	for (i = 0; i < bs.n && kt_verbosity > 0; i++) {
		format_age(age, sizeof(age), (long long)(now - bs.v[i].when));
		path = path_of(r, bs.v[i].name);
		printf("%12lld %8s %s\n", bs.v[i].size, age, path);
		free(path);
	}
	if (r->max_age >= 0) {
		if (bs.n == 0) {
			warnx("no backup named %s_%s_DATE%s in %s", r->prefix,
			    r->host != NULL ? r->host : "HOST",
			    r->suffix != NULL ? r->suffix : "", r->dir);
			rc = EXIT_STALE;
		} else if ((a = (long long)(now - bs.v[0].when)) >
		    r->max_age) {
			format_age(age, sizeof(age), a);
			path = path_of(r, bs.v[0].name);
			warnx("newest backup %s is %s old, older than %llds",
			    path, age, r->max_age);
			free(path);
			rc = EXIT_STALE;
		}
	}
	free_backups(&bs);
	close(r->dirfd);
	return rc;
}

/* --- options --------------------------------------------------------- */

static long
parse_keep(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = isdigit((unsigned char)*s) ? strtol(s, &end, 10) : -1;
	if (n == 0 && errno == 0 && *end == '\0')
		errx(KT_EXIT_USAGE, "--keep 0 would remove every backup, the "
		    "new one too: give 1 or more");
	if (n < 1 || errno != 0 || *end != '\0' || n > KEEP_MAX)
		errx(KT_EXIT_USAGE, "--keep \"%s\": give a whole number of "
		    "backups from 1 to %d", s, KEEP_MAX);
	return n;
}

/* 45m, 26h, 2d, 1d12h, 90s, 1w. */
static long long
parse_duration(const char *s)
{
	long long total = 0, n;
	const char *p = s;
	int unit;

	if (*p == '\0')
		goto bad;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			goto bad;
		for (n = 0; isdigit((unsigned char)*p); p++) {
			n = n * 10 + (*p - '0');
			if (n > 1000000000LL)
				goto bad;
		}
		switch (*p++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default:
			goto bad;
		}
		total += n * unit;
		if (total > 100LL * 366 * 86400)
			goto bad;
	}
	if (total > 0)
		return total;
bad:
	errx(KT_EXIT_USAGE, "--max-age \"%s\": give a duration such as 90s, "
	    "45m, 26h, 2d or 1d12h", s);
}

int
main(int argc, char *argv[])
{
	enum { OPT_KEEP = 256, OPT_PREFIX, OPT_HOST, OPT_SUFFIX, OPT_RAW,
	    OPT_LIST, OPT_MAX_AGE };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "max-age", required_argument, NULL, OPT_MAX_AGE },
		{ "output", required_argument, NULL, 'o' },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "quiet", no_argument, NULL, 'q' },
		{ "raw", no_argument, NULL, OPT_RAW },
		{ "suffix", required_argument, NULL, OPT_SUFFIX },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct roll r = { .prefix = "kts_bak", .max_age = -1, .dirfd = -1,
	    .lockfd = -1 };
	const char *host = NULL;
	char *dir, *hostpart;
	size_t dl;
	int ch, listing = 0;

	kt_init();
	/* A file size limit (ulimit -f) must be a write error we report
	   and clean up after, not a silent death. */
	signal(SIGXFSZ, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "ho:qv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			r.dir = optarg;
			break;
		case 'q':
			kt_verbosity = 0;
			break;
		case 'v':
			kt_verbosity = 2;
			break;
		case OPT_KEEP:
			r.keep = parse_keep(optarg);
			break;
		case OPT_PREFIX:
			r.prefix = check_prefix(optarg);
			break;
		case OPT_HOST:
			host = optarg;
			break;
		case OPT_SUFFIX:
			if (!valid_suffix(optarg))
				errx(KT_EXIT_USAGE, "--suffix \"%s\": give an "
				    "empty one or . and up to %d letters, "
				    "digits or ._+-", optarg, SUFFIX_MAX - 1);
			r.suffix = optarg;
			break;
		case OPT_RAW:
			r.raw = 1;
			break;
		case OPT_LIST:
			listing = 1;
			break;
		case OPT_MAX_AGE:
			r.max_age = parse_duration(optarg);
			break;
		case 'h':
			usage(KT_EXIT_OK);
		default:
			usage(KT_EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(KT_EXIT_USAGE);
	if (r.dir == NULL || *r.dir == '\0')
		errx(KT_EXIT_USAGE, "no backup directory: give -o dir");
	if (listing && (r.keep != 0 || r.raw))
		errx(KT_EXIT_USAGE, "--list takes no --keep or --raw");
	if (!listing && r.max_age >= 0)
		errx(KT_EXIT_USAGE, "--max-age goes with --list");

	/* "dir/" must not follow a link that "dir" names. */
	if ((dir = strdup(r.dir)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	for (dl = strlen(dir); dl > 1 && dir[dl - 1] == '/'; dl--)
		dir[dl - 1] = '\0';
	r.dir = dir;

	if (listing)
		hostpart = host != NULL ? host_part(host, "--host") : NULL;
	else if (isatty(STDIN_FILENO))
		errx(KT_EXIT_USAGE, "refusing to read a backup from a "
		    "terminal: pipe the stream into kt-roll");
	else
		hostpart = host != NULL ? host_part(host, "--host") :
		    local_host();
	r.host = hostpart;
	ch = listing ? list(&r) : store(&r);
	free(hostpart);
	free(dir);
	kt_close_stdout_or_die();
	return ch;
}
