/*
 * kt-tar -x: extract an archive into a directory, safely, and only once
 * the whole archive, manifest included, has checked out.
 *
 * Members are first written into staging areas: fresh 0700 directories
 * that mirror the target tree, one per file system the members go to,
 * each created in the highest directory of its file system under the
 * target so that rename(2) can move what it holds into place.  Only when
 * the stream checker is satisfied are the staged entries moved: a new
 * subtree with one rename, a file over an existing file with one
 * (atomic) rename, an existing directory merged, its mode, owner and
 * times set afterwards.  A refused or cut archive leaves the target as
 * it was: the staging areas are removed (on signals too) and the times
 * of the directories that held them put back.
 *
 * Each member is checked before libarchive sees it (paths, types, link
 * targets, no pre-existing or staged symbolic link on the way), and
 * libarchive's own SECURE_* checks run as a second line for directories,
 * symbolic links and hard links, which each staging area's libarchive
 * disk writer creates from the area's top (where the directory modes and
 * times it sets at the end must land).  Regular files, the bulk of an
 * archive, are written here, from inside their checked directory, with
 * O_CREAT|O_EXCL|O_NOFOLLOW: libarchive's writer spends some eleven
 * system calls on each, which made extraction half as fast as GNU tar.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt_cleanup.h"
#include "kt_err.h"
#include "kt_io.h"
#include "kt_spool.h"
#include "kt-tar.h"

#define MAX_AREAS	8

/* A staging area: where members bound for one file system wait. */
struct area {
	uint64_t mnt;		/* the file system (mount id) */
	char *path;		/* absolute path of the staging directory */
	int fd;
	struct archive *disk;	/* writes into it, from inside it */
	char *home;		/* the target directory it was created in */
	dev_t home_dev;
	ino_t home_ino;
	struct timespec home_times[2];	/* to put back */
	int home_touched;	/* something was moved straight into it */
};

/* A directory of the archive that already exists in the target: it is
   merged, and gets its mode, owner and mtime once the moves are done. */
struct merge {
	uint32_t len;		/* of the path that follows */
	uint32_t mode;
	int32_t has_owner;
	int64_t uid, gid;
	int64_t sec, nsec;
};

static struct {
	const struct kt_tar_opts *o;
	char *dir;		/* the target, absolute and resolved */
	int dirfd;
	struct area areas[MAX_AREAS];
	int nareas;
	int cwd_area;		/* the area we are in, or -1 */
	int disk_flags;
	mode_t umask;		/* the caller's */
	FILE *merges;
	uint64_t nmerges;
	/* the path last looked up in the target, and how much of it
	   exists */
	char *seen_path;
	int seen_area;
	size_t seen_ok;
	/* the last parent checked in the staging area, and kept open */
	char *staged_parent;
	int staged_area;
	int staged_fd;
	int moving;		/* the target is being changed */
	int done;
	uint64_t excluded;	/* members left out by --exclude */
} x;

/* A refusal or failure: before the moves began, the target is left as
   it was (on_exit_restore removes the staging areas). */
static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (x.moving)
		warnx("%s (while moving into %s: the target is partly "
		    "restored)", msg != NULL ? msg : fmt, x.dir);
	else
		warnx("%s", msg != NULL ? msg : fmt);
	free(msg);
	kt_tar_exit(code);
}

#define refuse(...)	fail(KT_EXIT_FAIL, __VA_ARGS__)

/* Runs before kt_cleanup's own exit handler (registered later): removes
   the staging areas, then gives back their directories' times. */
static void
on_exit_restore(void)
{
	int i;

	if (x.done)
		return;
	kt_cleanup_run();
	for (i = 0; i < x.nareas; i++)
		if (!x.areas[i].home_touched)
			utimensat(AT_FDCWD, x.areas[i].home,
			    x.areas[i].home_times, AT_SYMLINK_NOFOLLOW);
}

/* On SIGINT, SIGTERM and SIGHUP, which kt_cleanup's own handler would
   end without the times: the same as on_exit_restore, with only
   async-signal-safe calls.  (The moves run with these signals blocked.) */
static void
on_signal(int sig)
{
	int i;

	if (!x.done) {
		kt_cleanup_run();
		for (i = 0; i < x.nareas; i++)
			if (!x.areas[i].home_touched)
				utimensat(AT_FDCWD, x.areas[i].home,
				    x.areas[i].home_times, AT_SYMLINK_NOFOLLOW);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* --- names -------------------------------------------------------------- */

char *
kt_tar_clean_name(const char *name, const char **why)
{
	const char *in = name, *comp;
	char *out, *o;
	size_t n;

	if (*name == '/') {
		*why = "absolute path";
		return NULL;
	}
	if ((out = malloc(strlen(name) + 1)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	o = out;
	while (*in != '\0') {
		comp = in;
		n = strcspn(in, "/");
		in += n;
		while (*in == '/')
			in++;
		if (n == 0 || (n == 1 && comp[0] == '.'))
			continue;
		if (n == 2 && comp[0] == '.' && comp[1] == '.') {
			free(out);
			*why = "\"..\" in the path";
			return NULL;
		}
		if (o != out)
			*o++ = '/';
		memcpy(o, comp, n);
		o += n;
	}
	*o = '\0';
	return out;
}

static size_t
parent_len(const char *rel)
{
	const char *slash = strrchr(rel, '/');

	return slash != NULL ? (size_t)(slash - rel) : 0;
}

/*
 * A symbolic link REL -> TARGET must resolve inside the target directory
 * whatever else the archive holds: ".." may only lead the target, never
 * climb above the top, and an absolute target must lie under DIR.  (A
 * ".." after a name would climb out of wherever that name, perhaps
 * another link, leads.)
 */
static void
check_symlink(const char *name, const char *rel, const char *target)
{
	const char *p = target, *comp;
	int depth = 0, named = 0;
	size_t n, dlen;

	if (target == NULL || *target == '\0')
		refuse("%s: symbolic link with an empty target", name);
	if (*target == '/') {
		dlen = strcmp(x.dir, "/") == 0 ? 0 : strlen(x.dir);
		if (strncmp(target, x.dir, dlen) != 0 ||
		    (target[dlen] != '/' && target[dlen] != '\0'))
			refuse("%s: symbolic link to %s, outside %s", name,
			    target, x.dir);
		p = target + dlen;
	} else {
		/* Components of the directory holding the link. */
		for (n = 0; n < parent_len(rel); n++)
			if (rel[n] == '/')
				depth++;
		if (parent_len(rel) > 0)
			depth++;
	}
	while (*p != '\0') {
		comp = p;
		n = strcspn(p, "/");
		p += n;
		while (*p == '/')
			p++;
		if (n == 0 || (n == 1 && comp[0] == '.'))
			continue;
		if (n == 2 && comp[0] == '.' && comp[1] == '.') {
			if (named || *target == '/')
				refuse("%s: symbolic link to %s: \"..\" after "
				    "a name", name, target);
			if (--depth < 0)
				refuse("%s: symbolic link to %s, outside %s",
				    name, target, x.dir);
			continue;
		}
		named = 1;
	}
}

/* --- --exclude ----------------------------------------------------------- */

void
kt_tar_exclude_add(struct kt_tar_opts *o, const char *pattern)
{
	char *p;
	size_t n;

	for (;;) {
		if (*pattern == '/')
			pattern++;
		else if (pattern[0] == '.' && pattern[1] == '/')
			pattern += 2;
		else
			break;
	}
	if ((p = strdup(pattern)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	for (n = strlen(p); n > 0 && p[n - 1] == '/'; n--)
		p[n - 1] = '\0';
	if (*p == '\0')
		errx(KT_EXIT_USAGE, "--exclude needs a pattern that can match "
		    "a member");
	if ((o->excludes = reallocarray(o->excludes, o->nexcludes + 1,
	    sizeof(*o->excludes))) == NULL)
		err(KT_EXIT_FAIL, NULL);
	o->excludes[o->nexcludes++] = p;
}

/*
 * The --exclude pattern that matches member REL ("a/b/c", tidied), or
 * NULL.  A pattern that matches a directory on its path ("a", "a/b")
 * excludes it too: what is under an excluded directory is excluded.
 */
static const char *
excluded_by(const char *rel)
{
	char *path;
	size_t at;
	int i;

	if (x.o->nexcludes == 0 || *rel == '\0')
		return NULL;
	if ((path = strdup(rel)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	for (at = 0;; at++) {
		if (path[at] != '/' && path[at] != '\0')
			continue;
		path[at] = '\0';
		for (i = 0; i < x.o->nexcludes; i++)
			if (fnmatch(x.o->excludes[i], path, 0) == 0) {
				free(path);
				return x.o->excludes[i];
			}
		if (rel[at] == '\0')
			break;
		path[at] = '/';
	}
	free(path);
	return NULL;
}

/* --- the target and the staging areas ----------------------------------- */

static uint64_t
mount_of(int fd)
{
	struct statx stx;
	struct stat sb;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) == 0 &&
	    (stx.stx_mask & STATX_MNT_ID))
		return stx.stx_mnt_id;
	/* Older kernels: the device is the next best thing. */
	if (fstat(fd, &sb) == -1)
		fail(KT_EXIT_FAIL, "%s: %s", x.dir, strerror(errno));
	return (uint64_t)sb.st_dev | (1ULL << 63);
}

static char *
target_path(const char *rel, size_t len)
{
	char *p;

	if (len == 0) {
		if ((p = strdup(x.dir)) == NULL)
			err(KT_EXIT_FAIL, NULL);
		return p;
	}
	if (asprintf(&p, "%s%s%.*s", x.dir, strcmp(x.dir, "/") == 0 ? "" :
	    "/", (int)len, rel) == -1)
		err(KT_EXIT_FAIL, NULL);
	return p;
}

/*
 * Creates the staging area for file system MNT, on the way from the
 * target to REL[0..LEN), which the caller found to exist: in the highest
 * directory of that file system, or, where we may not write (a service
 * account restoring its own directory under "/"), the next one down.
 */
static int
new_area(uint64_t mnt, const char *rel, size_t len)
{
	struct area *a;
	struct stat sb;
	size_t at = 0, end, n;
	char *home = NULL, *path = NULL, comp[NAME_MAX + 1];
	int fd, nfd, saved = 0;

	if (x.nareas == MAX_AREAS)
		refuse("the archive spans more than %d file systems",
		    MAX_AREAS);
	if ((fd = dup(x.dirfd)) == -1)
		err(KT_EXIT_FAIL, NULL);
	for (;;) {
		/* This directory is rel[0..end), or the target itself. */
		end = at > 0 ? at - 1 : 0;
		if (mount_of(fd) == mnt && fstat(fd, &sb) == 0) {
			free(home);
			free(path);
			home = target_path(rel, end);
			if (asprintf(&path, "%s/.kt-tar.XXXXXX",
			    strcmp(home, "/") == 0 ? "" : home) == -1)
				err(KT_EXIT_FAIL, NULL);
			/* mkdtemp: mode 0700 whatever the umask, and a name
			   nobody can have planted. */
			if (mkdtemp(path) != NULL)
				break;
			saved = errno;
			if (saved != EACCES && saved != EPERM &&
			    saved != EROFS)
				at = len;
		}
		if (at >= len) {
			errno = saved != 0 ? saved : ENOENT;
			fail(KT_EXIT_FAIL, "staging directory in %s: %s",
			    home != NULL ? home : x.dir, strerror(errno));
		}
		n = strcspn(rel + at, "/");
		if (n > len - at)
			n = len - at;
		if (n > NAME_MAX)
			refuse("%.*s: name too long", (int)len, rel);
		memcpy(comp, rel + at, n);
		comp[n] = '\0';
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		close(fd);
		if (nfd == -1)
			fail(KT_EXIT_FAIL, "%s: %s", target_path(rel, at + n),
			    strerror(errno));
		fd = nfd;
		at += n + 1;
	}
	close(fd);

	a = &x.areas[x.nareas];
	memset(a, 0, sizeof(*a));
	a->mnt = mnt;
	a->home = home;
	a->path = path;
	a->home_dev = sb.st_dev;
	a->home_ino = sb.st_ino;
	a->home_times[0] = sb.st_atim;
	a->home_times[1] = sb.st_mtim;
	kt_cleanup_add_tree(a->path);
	x.nareas++;
	if ((a->fd = open(a->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		fail(KT_EXIT_FAIL, "%s: %s", a->path, strerror(errno));
	if ((a->disk = archive_write_disk_new()) == NULL)
		err(KT_EXIT_FAIL, NULL);
	archive_write_disk_set_options(a->disk, x.disk_flags);
	archive_write_disk_set_standard_lookup(a->disk);
	kt_verbose("staging in %s", a->path);
	return x.nareas - 1;
}

/*
 * Finds the staging area for member REL: the file system of the deepest
 * directory that exists in the target on its parent path or, for a
 * directory, on its own path (an existing directory is merged, never
 * moved, and may hold the staging area).  A symbolic link on that path
 * is refused: nothing is written through one.  For a directory, sets
 * *SELF_EXISTS when it exists itself.
 */
static int
area_for(const char *name, const char *rel, int is_dir, int *self_exists)
{
	size_t wlen, at = 0, n, ok;
	char comp[NAME_MAX + 1];
	struct stat sb;
	uint64_t mnt;
	int fd, nfd, i;

	wlen = is_dir ? strlen(rel) : parent_len(rel);
	if (x.seen_path != NULL && strlen(x.seen_path) == wlen &&
	    strncmp(x.seen_path, rel, wlen) == 0) {
		i = x.seen_area;
		ok = x.seen_ok;
		goto out;
	}
	if ((fd = dup(x.dirfd)) == -1)
		err(KT_EXIT_FAIL, NULL);
	while (at < wlen) {
		n = strcspn(rel + at, "/");
		if (n > NAME_MAX)
			refuse("%s: name too long", name);
		memcpy(comp, rel + at, n);
		comp[n] = '\0';
		if (fstatat(fd, comp, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT)
				fail(KT_EXIT_FAIL, "%s: %s",
				    target_path(rel, at + n), strerror(errno));
			break;
		}
		/* A link or a file where the directory member itself goes
		   is replaced by it, not written through. */
		if (S_ISLNK(sb.st_mode) && (!is_dir || at + n < wlen))
			refuse("%s: %s is a symbolic link in the target: "
			    "refusing to write through it", name,
			    target_path(rel, at + n));
		/* A file on the way is one the archive's directory will
		   replace (or --keep-old-files refuses). */
		if (!S_ISDIR(sb.st_mode))
			break;
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd == -1)
			fail(KT_EXIT_FAIL, "%s: %s", target_path(rel, at + n),
			    strerror(errno));
		close(fd);
		fd = nfd;
		at += n + 1;
	}
	ok = at > wlen ? wlen : at;
	mnt = mount_of(fd);
	close(fd);
	for (i = 0; i < x.nareas; i++)
		if (x.areas[i].mnt == mnt)
			break;
	if (i == x.nareas)
		i = new_area(mnt, rel, ok);

	free(x.seen_path);
	if ((x.seen_path = strndup(rel, wlen)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	x.seen_area = i;
	x.seen_ok = ok;
out:
	*self_exists = is_dir && ok == wlen;
	return i;
}

/*
 * Nothing the archive itself put in the staging area may redirect a
 * later member: every directory on REL's parent path must be a real
 * directory, not a symbolic link the archive made (a directory, then a
 * link of the same name, then a file "through" it).  Creates what is
 * missing, as tar does, and returns the parent, kept open for the next
 * member in the same directory.
 */
static int
staged_parent(int ai, const char *name, const char *rel)
{
	size_t plen = parent_len(rel), at = 0, n;
	char comp[NAME_MAX + 1];
	struct stat sb;
	int fd, nfd;

	if (x.staged_parent != NULL && x.staged_area == ai &&
	    strlen(x.staged_parent) == plen &&
	    strncmp(x.staged_parent, rel, plen) == 0)
		return x.staged_fd;
	if ((fd = dup(x.areas[ai].fd)) == -1)
		err(KT_EXIT_FAIL, NULL);
	while (at < plen) {
		n = strcspn(rel + at, "/");
		if (n > NAME_MAX)
			refuse("%s: name too long", name);
		memcpy(comp, rel + at, n);
		comp[n] = '\0';
		if (fstatat(fd, comp, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT)
				fail(KT_EXIT_FAIL, "staging %.*s: %s",
				    (int)(at + n), rel, strerror(errno));
			/* A parent the archive does not list: mode
			   0777 minus the umask, as tar makes them. */
			if (mkdirat(fd, comp, 0777) == -1)
				fail(KT_EXIT_FAIL, "staging %.*s: %s",
				    (int)(at + n), rel, strerror(errno));
		} else if (S_ISLNK(sb.st_mode))
			refuse("%s: would be written through the symbolic "
			    "link %.*s earlier in the archive", name,
			    (int)(at + n), rel);
		else if (!S_ISDIR(sb.st_mode))
			refuse("%s: would be written under %.*s, a file "
			    "earlier in the archive", name, (int)(at + n),
			    rel);
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd == -1)
			fail(KT_EXIT_FAIL, "staging %.*s: %s", (int)(at + n),
			    rel, strerror(errno));
		close(fd);
		fd = nfd;
		at += n + 1;
	}
	free(x.staged_parent);
	if (x.staged_fd != -1)
		close(x.staged_fd);
	if ((x.staged_parent = strndup(rel, plen)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	x.staged_area = ai;
	x.staged_fd = fd;
	return fd;
}

/* A member other than a directory replaces whatever had its name: the
   parent checked last may no longer be what it was. */
static void
forget_staged(const char *rel)
{
	size_t n = strlen(rel);

	if (x.staged_parent != NULL &&
	    strncmp(x.staged_parent, rel, n) == 0 &&
	    (x.staged_parent[n] == '\0' || x.staged_parent[n] == '/')) {
		free(x.staged_parent);
		x.staged_parent = NULL;
		close(x.staged_fd);
		x.staged_fd = -1;
	}
}

/* A hard link may only point at a regular file that this archive put in
   the same staging area, along real directories. */
static void
check_hardlink(int ai, const char *name, const char *link)
{
	struct stat sb;
	size_t n;
	char *comp;
	const char *p = link;
	int fd, nfd;

	if ((fd = dup(x.areas[ai].fd)) == -1)
		err(KT_EXIT_FAIL, NULL);
	for (;;) {
		n = strcspn(p, "/");
		if ((comp = strndup(p, n)) == NULL)
			err(KT_EXIT_FAIL, NULL);
		if (fstatat(fd, comp, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			refuse("%s: hard link to %s, which is not earlier in "
			    "the archive (on this file system)", name, link);
		p += n;
		if (*p == '\0') {
			free(comp);
			break;
		}
		p++;
		if (!S_ISDIR(sb.st_mode))
			refuse("%s: hard link to %s, whose path goes through "
			    "a symbolic link or a file", name, link);
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		free(comp);
		if (nfd == -1)
			fail(KT_EXIT_FAIL, "staging %s: %s", link,
			    strerror(errno));
		close(fd);
		fd = nfd;
	}
	close(fd);
	if (!S_ISREG(sb.st_mode))
		refuse("%s: hard link to %s, which is not a regular file",
		    name, link);
}

static void
record_merge(const char *rel, struct archive_entry *e)
{
	struct merge m = { 0 };

	if (x.merges == NULL) {
		int fd = kt_spool_open();

		if (fd == -1 || (x.merges = fdopen(fd, "w+")) == NULL)
			fail(KT_EXIT_FAIL, "spool file: %s", strerror(errno));
	}
	m.len = (uint32_t)strlen(rel);
	m.mode = archive_entry_perm(e) & 0777;
	if (x.o->same_owner || x.o->numeric_owner) {
		m.has_owner = 1;
		m.uid = archive_write_disk_uid(x.areas[0].disk,
		    x.o->numeric_owner ? NULL : archive_entry_uname(e),
		    archive_entry_uid(e));
		m.gid = archive_write_disk_gid(x.areas[0].disk,
		    x.o->numeric_owner ? NULL : archive_entry_gname(e),
		    archive_entry_gid(e));
	}
	m.sec = archive_entry_mtime(e);
	m.nsec = archive_entry_mtime_nsec(e);
	if (fwrite(&m, sizeof(m), 1, x.merges) != 1 ||
	    fwrite(rel, 1, m.len, x.merges) != m.len)
		fail(KT_EXIT_FAIL, "spool file: %s", strerror(errno));
	x.nmerges++;
}

/* --- staging a member ----------------------------------------------------- */

static const char *
kind_of(struct archive_entry *e)
{
	switch (archive_entry_filetype(e)) {
	case AE_IFCHR:
		return "character device";
	case AE_IFBLK:
		return "block device";
	case AE_IFIFO:
		return "FIFO";
	case AE_IFSOCK:
		return "socket";
	default:
		return "member of unknown type";
	}
}

/* libarchive's disk writer for area AI, with the area's top as working
   directory. */
static struct archive *
enter_area(int ai)
{
	if (x.cwd_area != ai) {
		if (fchdir(x.areas[ai].fd) == -1)
			fail(KT_EXIT_FAIL, "%s: %s", x.areas[ai].path,
			    strerror(errno));
		x.cwd_area = ai;
	}
	return x.areas[ai].disk;
}

/*
 * Writes regular file member E as BASE in staged directory PFD: a new
 * file (a member named twice replaces the first, as with tar), its data,
 * exact mode, owner when asked, modification time.
 */
static void
write_file(struct kt_tar_reader *r, struct archive_entry *e, int ai,
    int pfd, const char *base, const char *name)
{
	struct timespec times[2];
	struct stat sb;
	mode_t mode = archive_entry_perm(e) & 0777, cmode;
	int fd, flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC;

	/* Created with its final mode when the umask lets it (nobody else
	   can enter the staging area meanwhile), else 0600 and set below. */
	cmode = (mode & x.umask) == 0 ? mode : 0600;
	if ((fd = openat(pfd, base, flags, cmode)) == -1 && errno == EEXIST) {
		if (fstatat(pfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(sb.st_mode) ? unlinkat(pfd, base, AT_REMOVEDIR) :
		    unlinkat(pfd, base, 0))
			fail(KT_EXIT_FAIL, "%s: replaces %s earlier in the "
			    "archive: %s", name, S_ISDIR(sb.st_mode) ?
			    "a directory" : "a member", strerror(errno));
		fd = openat(pfd, base, flags, cmode);
	}
	if (fd == -1)
		fail(KT_EXIT_FAIL, "%s: %s", name, strerror(errno));
	if (kt_tar_reader_data_to_fd(r, e, fd) == -1)
		fail(KT_EXIT_FAIL, "%s: %s", name, strerror(errno));
	if ((x.o->same_owner || x.o->numeric_owner) &&
	    fchown(fd, archive_write_disk_uid(x.areas[ai].disk,
	    archive_entry_uname(e), archive_entry_uid(e)),
	    archive_write_disk_gid(x.areas[ai].disk, archive_entry_gname(e),
	    archive_entry_gid(e))) == -1)
		fail(KT_EXIT_FAIL, "%s: %s", name, strerror(errno));
	if (cmode != mode && fchmod(fd, mode) == -1)
		fail(KT_EXIT_FAIL, "%s: %s", name, strerror(errno));
	times[0].tv_sec = 0;
	times[0].tv_nsec = UTIME_OMIT;
	times[1].tv_sec = archive_entry_mtime(e);
	times[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (futimens(fd, times) == -1)
		fail(KT_EXIT_FAIL, "%s: %s", name, strerror(errno));
	if (close(fd) == -1)
		fail(KT_EXIT_FAIL, "%s: %s", name, strerror(errno));
}

static void
copy_data(struct kt_tar_reader *r, struct archive *disk, const char *name)
{
	const void *buf;
	size_t size;
	int64_t off;

	while (kt_tar_reader_data_block(r, &buf, &size, &off))
		if (archive_write_data_block(disk, buf, size, off) !=
		    ARCHIVE_OK)
			fail(KT_EXIT_FAIL, "%s: %s", name,
			    archive_error_string(disk));
}

static void
stage(struct kt_tar_reader *r, struct archive_entry *e)
{
	const char *name, *link, *why, *pattern;
	char *rel, *linkrel = NULL;
	int ai, pfd, self_exists, type, rc;
	struct archive *disk;

	if ((name = archive_entry_pathname(e)) == NULL)
		refuse("a member has no name, or one that cannot be read in "
		    "this locale");
	if ((rel = kt_tar_clean_name(name, &why)) == NULL)
		refuse("%s: %s", name, why);
	/* Left out, but read all the same: the checker sees its data. */
	if ((pattern = excluded_by(rel)) != NULL) {
		kt_verbose("%s: excluded (--exclude %s)", name, pattern);
		x.excluded++;
		free(rel);
		return;
	}
	type = archive_entry_filetype(e);
	link = archive_entry_hardlink(e);
	if (link != NULL) {
		if ((linkrel = kt_tar_clean_name(link, &why)) == NULL)
			refuse("%s: hard link to %s: %s", name, link, why);
		if (*linkrel == '\0')
			refuse("%s: hard link to the target directory", name);
		/* It would restore the excluded data under another name. */
		if ((pattern = excluded_by(linkrel)) != NULL)
			refuse("%s: hard link to %s, which --exclude %s leaves "
			    "out: exclude the link too", name, link, pattern);
	} else if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
		refuse("%s: %s: not extracted", name, kind_of(e));
	if (*rel == '\0') {
		if (type == AE_IFDIR && link == NULL) {
			kt_verbose("%s: the target directory itself, left as "
			    "it is", name);
			free(rel);
			return;
		}
		refuse("%s: would replace the target directory itself", name);
	}
	if (strlen(x.dir) + strlen(rel) + 32 >= PATH_MAX)
		refuse("%.64s...: name too long (%zu bytes)", name,
		    strlen(name));
	if (linkrel != NULL && strlen(x.dir) + strlen(linkrel) + 32 >=
	    PATH_MAX)
		refuse("%s: hard link name too long", name);
	if (type == AE_IFLNK && link == NULL)
		check_symlink(name, rel, archive_entry_symlink(e));

	ai = area_for(name, rel, type == AE_IFDIR && link == NULL,
	    &self_exists);
	pfd = staged_parent(ai, name, rel);
	if (linkrel != NULL)
		check_hardlink(ai, name, linkrel);

	/* What we restore of the metadata. */
	archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
	if (x.o->numeric_owner) {
		archive_entry_set_uname(e, NULL);
		archive_entry_set_gname(e, NULL);
	}
	if (self_exists)
		record_merge(rel, e);

	if (kt_verbosity >= 2) {
		kt_tar_print_name_to(stdout, name);
		putchar('\n');
	}
	if (type == AE_IFREG && linkrel == NULL) {
		write_file(r, e, ai, pfd, rel + (parent_len(rel) > 0 ?
		    parent_len(rel) + 1 : 0), name);
		forget_staged(rel);
		free(rel);
		return;
	}
	disk = enter_area(ai);
	archive_entry_copy_pathname(e, rel);
	if (linkrel != NULL)
		archive_entry_copy_hardlink(e, linkrel);
	rc = archive_write_header(disk, e);
	if (rc == ARCHIVE_WARN)
		warnx("%s: %s", name, archive_error_string(disk));
	else if (rc != ARCHIVE_OK)
		fail(KT_EXIT_FAIL, "%s: %s", name, archive_error_string(disk));
	if (type == AE_IFREG && archive_entry_size(e) > 0)
		copy_data(r, disk, name);
	rc = archive_write_finish_entry(disk);
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
		fail(KT_EXIT_FAIL, "%s: %s", name, archive_error_string(disk));
	if (type != AE_IFDIR || link != NULL)
		forget_staged(rel);
	free(rel);
	free(linkrel);
}

/* --- moving into place ---------------------------------------------------- */

enum { CHECK, MOVE };

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **
read_names(int fd, const char *what, size_t *count)
{
	char **names = NULL;
	struct dirent *de;
	size_t n = 0, cap = 0;
	DIR *d;
	int dfd;

	if ((dfd = dup(fd)) == -1 || (d = fdopendir(dfd)) == NULL)
		fail(KT_EXIT_FAIL, "staging %s: %s", what, strerror(errno));
	rewinddir(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((names = reallocarray(names, cap,
			    sizeof(*names))) == NULL)
				err(KT_EXIT_FAIL, NULL);
		}
		if ((names[n++] = strdup(de->d_name)) == NULL)
			err(KT_EXIT_FAIL, NULL);
	}
	if (errno != 0)
		fail(KT_EXIT_FAIL, "staging %s: %s", what, strerror(errno));
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	*count = n;
	return names;
}

static void
note_home(int tfd)
{
	struct stat sb;
	int i;

	if (fstat(tfd, &sb) == -1)
		return;
	for (i = 0; i < x.nareas; i++)
		if (x.areas[i].home_dev == sb.st_dev &&
		    x.areas[i].home_ino == sb.st_ino)
			x.areas[i].home_touched = 1;
}

/* Moves staged directory NAME to the target, its mtime kept. */
static void
move_dir(int sfd, int tfd, const char *name, const struct stat *ss,
    const char *shown)
{
	struct timespec times[2];
	struct stat ts;
	int lent = 0;

	/* Moving a directory to another parent rewrites its "..": an
	   ordinary user needs write permission on it for that. */
	if (geteuid() != 0 && !(ss->st_mode & S_IWUSR)) {
		if (fchmodat(sfd, name, (ss->st_mode & 07777) | S_IWUSR, 0)
		    == -1)
			fail(KT_EXIT_FAIL, "%s: %s", shown, strerror(errno));
		lent = 1;
	}
	if (renameat(sfd, name, tfd, name) == -1)
		fail(KT_EXIT_FAIL, "%s: %s", shown, strerror(errno));
	if (lent && fchmodat(tfd, name, ss->st_mode & 07777, 0) == -1)
		fail(KT_EXIT_FAIL, "%s: %s", shown, strerror(errno));
	if (fstatat(tfd, name, &ts, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (ts.st_mtim.tv_sec != ss->st_mtim.tv_sec ||
	    ts.st_mtim.tv_nsec != ss->st_mtim.tv_nsec)) {
		times[0] = ss->st_atim;
		times[1] = ss->st_mtim;
		utimensat(tfd, name, times, AT_SYMLINK_NOFOLLOW);
	}
}

/*
 * Walks staged directory SFD beside target directory TFD (path SHOWN).
 * CHECK refuses what the moves could not do or must not do; MOVE does
 * them.  Only directories that exist on both sides are walked into, so
 * the depth is the existing tree's, whatever the archive holds.
 */
static void
walk(int sfd, int tfd, const char *shown, int mode)
{
	struct stat ss, ts;
	char **names, *path;
	size_t i, n;
	int s2, t2, exists, moved = 0;

	names = read_names(sfd, shown, &n);
	for (i = 0; i < n; i++) {
		const char *name = names[i];

		if (asprintf(&path, "%s%s%s", shown,
		    strcmp(shown, "/") == 0 ? "" : "/", name) == -1)
			err(KT_EXIT_FAIL, NULL);
		if (fstatat(sfd, name, &ss, AT_SYMLINK_NOFOLLOW) == -1)
			fail(KT_EXIT_FAIL, "staging %s: %s", path,
			    strerror(errno));
		exists = fstatat(tfd, name, &ts, AT_SYMLINK_NOFOLLOW) == 0;
		if (!exists && errno != ENOENT)
			fail(KT_EXIT_FAIL, "%s: %s", path, strerror(errno));
		if (S_ISDIR(ss.st_mode) && exists && S_ISDIR(ts.st_mode)) {
			s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			t2 = openat(tfd, name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (s2 == -1 || t2 == -1)
				fail(KT_EXIT_FAIL, "%s: %s", path,
				    strerror(errno));
			/* Its own mode comes later, from the archive;
			   meanwhile we must be able to empty it. */
			if (mode == MOVE && geteuid() != 0 &&
			    (ss.st_mode & 0700) != 0700)
				fchmod(s2, 0700);
			walk(s2, t2, path, mode);
			close(s2);
			close(t2);
		} else if (mode == CHECK) {
			if (exists && S_ISDIR(ts.st_mode))
				refuse("%s: a directory, would be replaced by "
				    "a %s from the archive", path,
				    S_ISLNK(ss.st_mode) ? "symbolic link" :
				    "file");
			if (exists && x.o->keep_old)
				refuse("%s: already exists "
				    "(--keep-old-files)", path);
		} else {
			if (exists && S_ISDIR(ss.st_mode) &&
			    unlinkat(tfd, name, 0) == -1)
				fail(KT_EXIT_FAIL, "%s: %s", path,
				    strerror(errno));
			if (S_ISDIR(ss.st_mode))
				move_dir(sfd, tfd, name, &ss, path);
			else if (renameat(sfd, name, tfd, name) == -1)
				fail(KT_EXIT_FAIL, "%s: %s", path,
				    strerror(errno));
			moved = 1;
		}
		free(path);
		free(names[i]);
	}
	free(names);
	if (moved)
		note_home(tfd);
}

/* Opens directory REL of the target without following a symbolic link
   anywhere on the way (one could have been planted since we looked). */
static int
open_target_dir(const char *rel)
{
	char comp[NAME_MAX + 1];
	size_t n;
	int fd, nfd;

	if ((fd = dup(x.dirfd)) == -1)
		return -1;
	while (*rel != '\0') {
		n = strcspn(rel, "/");
		if (n > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, rel, n);
		comp[n] = '\0';
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		close(fd);
		if (nfd == -1)
			return -1;
		fd = nfd;
		rel += n;
		while (*rel == '/')
			rel++;
	}
	return fd;
}

/* Gives the merged directories the mode, owner and mtime the archive
   has for them, now that nothing more moves into them. */
static void
apply_merges(void)
{
	struct timespec times[2];
	struct merge m;
	char *rel, *shown;
	int fd;

	if (x.merges == NULL)
		return;
	if (fflush(x.merges) == EOF || fseeko(x.merges, 0, SEEK_SET) == -1)
		fail(KT_EXIT_FAIL, "spool file: %s", strerror(errno));
	while (fread(&m, sizeof(m), 1, x.merges) == 1) {
		if ((rel = malloc(m.len + 1)) == NULL)
			err(KT_EXIT_FAIL, NULL);
		if (fread(rel, 1, m.len, x.merges) != m.len)
			fail(KT_EXIT_FAIL, "spool file: short read");
		rel[m.len] = '\0';
		shown = target_path(rel, m.len);
		if ((fd = open_target_dir(rel)) == -1)
			fail(KT_EXIT_FAIL, "%s: %s", shown, strerror(errno));
		if (m.has_owner && fchown(fd, (uid_t)m.uid, (gid_t)m.gid) == -1)
			fail(KT_EXIT_FAIL, "%s: %s", shown, strerror(errno));
		if (fchmod(fd, m.mode) == -1)
			fail(KT_EXIT_FAIL, "%s: %s", shown, strerror(errno));
		times[0].tv_nsec = UTIME_OMIT;
		times[0].tv_sec = 0;
		times[1].tv_sec = m.sec;
		times[1].tv_nsec = m.nsec;
		if (futimens(fd, times) == -1)
			fail(KT_EXIT_FAIL, "%s: %s", shown, strerror(errno));
		close(fd);
		free(shown);
		free(rel);
	}
	if (ferror(x.merges))
		fail(KT_EXIT_FAIL, "spool file: %s", strerror(errno));
	fclose(x.merges);
	x.merges = NULL;
}

static void
commit(void)
{
	sigset_t block, old;
	int i;

	for (i = 0; i < x.nareas; i++)
		walk(x.areas[i].fd, x.dirfd, x.dir, CHECK);
	/* Once the moves begin they finish: an interrupt now would leave
	   the target half restored.  It takes effect afterwards. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	x.moving = 1;
	for (i = 0; i < x.nareas; i++)
		walk(x.areas[i].fd, x.dirfd, x.dir, MOVE);
	/* What is left are the directories that were merged. */
	kt_cleanup_run();
	for (i = 0; i < x.nareas; i++)
		if (!x.areas[i].home_touched)
			utimensat(AT_FDCWD, x.areas[i].home,
			    x.areas[i].home_times, AT_SYMLINK_NOFOLLOW);
	apply_merges();
	x.done = 1;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void
kt_tar_extract(const struct kt_tar_opts *o)
{
	struct kt_tar_reader *r;
	struct archive_entry *e;
	uint64_t members = 0;
	int i;

	x.o = o;
	if (isatty(STDIN_FILENO))
		errx(KT_EXIT_USAGE, "refusing to read an archive from a "
		    "terminal: redirect standard input");
	if ((x.dir = realpath(o->dir != NULL ? o->dir : ".", NULL)) == NULL)
		fail(KT_EXIT_FAIL, "%s: %s", o->dir != NULL ? o->dir : ".",
		    strerror(errno));
	if ((x.dirfd = open(x.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fail(KT_EXIT_FAIL, "%s: %s", x.dir, strerror(errno));
	atexit(on_exit_restore);
	kt_tar_on_failure = on_exit_restore;
	kt_on_stop_signals(on_signal);
	x.cwd_area = -1;
	x.staged_fd = -1;
	x.umask = umask(077);
	umask(x.umask);
	x.disk_flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
	    ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME;
	if (o->same_owner || o->numeric_owner)
		x.disk_flags |= ARCHIVE_EXTRACT_OWNER;

	r = kt_tar_reader_open();
	while (kt_tar_reader_next(r, &e)) {
		stage(r, e);
		members++;
	}
	kt_tar_reader_finish(r);
	/* Directory modes and times in the staging areas. */
	for (i = 0; i < x.nareas; i++) {
		if (archive_write_close(enter_area(i)) != ARCHIVE_OK)
			fail(KT_EXIT_FAIL, "%s", archive_error_string(
			    x.areas[i].disk));
	}
	if (chdir("/") == -1)
		fail(KT_EXIT_FAIL, "/: %s", strerror(errno));
	kt_tar_reader_free(r);

	commit();
	if (x.excluded > 0)
		kt_verbose("%llu members read, %llu of them excluded, the "
		    "others extracted into %s", (unsigned long long)members,
		    (unsigned long long)x.excluded, x.dir);
	else
		kt_verbose("%llu members extracted into %s",
		    (unsigned long long)members, x.dir);
	free(x.dir);
	close(x.dirfd);
}
