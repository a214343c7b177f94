/*
 * kt-tar -c: archive the paths of a list (kt-collect's output) as a pax
 * tar on standard output, after kt-tar's start marker, with its manifest
 * after the end-of-archive blocks (kt_manifest.h).
 *
 * libarchive writes the members, unbuffered, through our write callback;
 * the start marker and the manifest go out through the same buffer, so
 * they interleave in order and -z compresses them together.  The common
 * member, whose header libarchive would write as one bare ustar block,
 * goes out without it, header and data, byte for byte the same
 * (kt_ustar.h): libarchive's work for each header cost as much as the
 * system calls that read the file.  A run that fails never gets the
 * end-of-archive blocks, the manifest nor a gzip trailer: readers then
 * see a cut archive.
 *
 * Hashing the data for the manifest costs about as much as copying it,
 * so a second thread does it, and writes the manifest lines in member
 * order, while this one reads and writes.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "kt_check.h"
#include "kt_err.h"
#include "kt_io.h"
#include "kt_manifest.h"
#include "kt_pathlist.h"
#include "kt_sha256.h"
#include "kt_spool.h"
#include "kt_tarfmt.h"
#include "kt_ustar.h"
#include "kt-tar.h"

/* zlib level 1: several times faster than gzip's default 6 and, on key
   files and SQL dumps, only a little larger; the pipeline's slow stage
   should not be the archiver (gzip -1 runs at about 60 MB/s, -6 at
   about 25 MB/s). */
#define GZIP_LEVEL	1

#define OUT_BUFSIZE	(256 * 1024)
#define OUT_DIRECT	(64 * 1024)
#define DATA_BUFSIZE	(256 * 1024)

/* The output: buffered here, since libarchive is told not to block. */
struct out {
	int fd;
	int gzip;
	z_stream z;
	unsigned char *buf;
	size_t len;
	uint64_t total;		/* bytes of tar, before compression */
	uint64_t start_len;	/* of them, the start marker's */
};

static struct {
	const struct kt_tar_opts *o;
	struct archive *a;		/* the writer, once open */
	struct archive *disk;		/* for user and group names */
	struct archive_entry_linkresolver *links;
	struct archive_entry *entry;
	struct kt_manifest *manifest;
	struct out out;
	unsigned char *data;
	uint64_t members;
} c;

/*
 * Every failure ends here: the writer is marked failed, so nothing can
 * close it and write the end-of-archive blocks, and what is still
 * buffered is dropped.  It is not freed: libarchive 3.6 leaks its output
 * state when a failed writer is freed, and we exit anyway.
 */
static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	if (c.a != NULL)
		archive_write_fail(c.a);
	exit(code);
}

static void __attribute__((noreturn))
fail_write(int errnum)
{
	if (errnum == EPIPE)
		fail(KT_EXIT_FAIL, "standard output closed by its reader");
	fail(KT_EXIT_FAIL, "write to standard output: %s", strerror(errnum));
}

/* --- hashing and the manifest, in a thread of their own ----------------- */

/*
 * The data read for the archive goes into slots, each holding the data
 * of many small files or a piece of a large one, with what the hasher
 * does with it: hash ranges, end members and add their lines to the
 * manifest.  A full slot goes to the hasher thread; reading goes on in
 * the next one and waits only when every slot is still being hashed.
 * One hand-over per slot, not per file: waking a thread for each small
 * file cost more than hashing it, and hashing small files in this
 * thread instead left the other CPU idle.
 */
#define SLOTS		8
#define SLOT_DATA	(256 * 1024)
#define SLOT_NAMES	(64 * 1024)
#define SLOT_SEGS	1024

/* A range of data to hash, and maybe the end of a member. */
struct seg {
	uint32_t off, len;	/* in the slot's data */
	int type;		/* 0, or the KT_MANIFEST_* type of the member
				   that ends here */
	uint64_t size;
	uint32_t path, link;	/* in the slot's names; link NO_LINK */
};
#define NO_LINK	UINT32_MAX

struct slot {
	unsigned char *data;
	size_t used;
	char *names;
	size_t nused;
	struct seg *segs;
	size_t nsegs;
};

static struct {
	int threaded;
	pthread_t thread;
	pthread_mutex_t lock;	/* guards what follows */
	pthread_cond_t posted_cv, done_cv;
	struct slot slot[SLOTS];
	uint64_t posted, done;	/* slots handed over, slots hashed */
	int stop;
	int idle;		/* the hasher waits for work */
	int full;		/* we wait for free slots... */
	uint64_t wake_at;	/* ...until this many are hashed */
	int error;		/* errno of a failed kt_manifest_add */
	char *error_path;
	int filling;		/* slot[posted % SLOTS] is ours to fill */
	struct kt_sha256 sha;	/* the hasher's own */
} h;

/* Returns 0, or an errno value with the member's path kept aside. */
static int
run_slot(struct slot *s)
{
	unsigned char digest[KT_SHA256_LEN];
	struct seg *g;
	size_t i;
	int rc;

	for (i = 0; i < s->nsegs; i++) {
		g = &s->segs[i];
		if (g->len > 0)
			kt_sha256_update(&h.sha, s->data + g->off, g->len);
		if (g->type == 0)
			continue;
		if (g->type == KT_MANIFEST_FILE)
			kt_sha256_final(&h.sha, digest);
		if (kt_manifest_add(c.manifest, g->type, s->names + g->path,
		    g->link != NO_LINK ? s->names + g->link : NULL, g->size,
		    g->type == KT_MANIFEST_FILE ? digest : NULL) == -1) {
			rc = errno;
			h.error_path = strdup(s->names + g->path);
			return rc;
		}
	}
	return 0;
}

static void *
hasher(void *cookie)
{
	struct slot *s;
	int rc;

	pthread_mutex_lock(&h.lock);
	for (;;) {
		while (h.done == h.posted && !h.stop) {
			h.idle = 1;
			pthread_cond_wait(&h.posted_cv, &h.lock);
			h.idle = 0;
		}
		if (h.done == h.posted)
			break;
		s = &h.slot[h.done % SLOTS];
		pthread_mutex_unlock(&h.lock);
		rc = h.error == 0 ? run_slot(s) : 0;
		pthread_mutex_lock(&h.lock);
		if (rc != 0)
			h.error = rc;
		h.done++;
		if (h.full && h.done >= h.wake_at)
			pthread_cond_signal(&h.done_cv);
	}
	pthread_mutex_unlock(&h.lock);
	return NULL;
}

static void __attribute__((noreturn))
fail_manifest(void)
{
	fail(KT_EXIT_FAIL, "%s: cannot be listed in the manifest: %s",
	    h.error_path != NULL ? h.error_path : "a member",
	    strerror(h.error));
}

static void
hash_start(void)
{
	int i;

	if (kt_sha256_init(&h.sha) == -1)
		err(KT_EXIT_FAIL, "SHA-256");
	for (i = 0; i < SLOTS; i++)
		if ((h.slot[i].data = malloc(SLOT_DATA)) == NULL ||
		    (h.slot[i].names = malloc(SLOT_NAMES)) == NULL ||
		    (h.slot[i].segs = calloc(SLOT_SEGS,
		    sizeof(*h.slot[i].segs))) == NULL)
			err(KT_EXIT_FAIL, NULL);
	/* Without a thread the slots are simply hashed as they are
	   posted. */
	if (pthread_mutex_init(&h.lock, NULL) == 0 &&
	    pthread_cond_init(&h.posted_cv, NULL) == 0 &&
	    pthread_cond_init(&h.done_cv, NULL) == 0 &&
	    pthread_create(&h.thread, NULL, hasher, NULL) == 0)
		h.threaded = 1;
}

/* The slot being filled, once the hasher is done with what it held. */
static struct slot *
slot_fill(void)
{
	struct slot *s = &h.slot[h.posted % SLOTS];
	int error;

	if (h.filling)
		return s;
	if (h.threaded) {
		pthread_mutex_lock(&h.lock);
		/* Once we have to wait, we wait for half the slots: a
		   wake-up for each slot cost a fifth of the time. */
		h.wake_at = h.posted - SLOTS / 2;
		while (h.error == 0 && h.done + SLOTS <= h.posted) {
			h.full = 1;
			pthread_cond_wait(&h.done_cv, &h.lock);
			h.full = 0;
		}
		error = h.error;
		pthread_mutex_unlock(&h.lock);
	} else
		error = h.error;
	if (error != 0)
		fail_manifest();
	s->used = s->nused = s->nsegs = 0;
	h.filling = 1;
	return s;
}

/* Hands the slot being filled to the hasher. */
static void
slot_post(void)
{
	struct slot *s = &h.slot[h.posted % SLOTS];

	if (!h.filling || s->nsegs == 0)
		return;
	h.filling = 0;
	if (!h.threaded) {
		if ((h.error = run_slot(s)) != 0)
			fail_manifest();
		h.posted++;
		h.done++;
		return;
	}
	pthread_mutex_lock(&h.lock);
	h.posted++;
	if (h.idle)
		pthread_cond_signal(&h.posted_cv);
	pthread_mutex_unlock(&h.lock);
}

/* Where the next data to archive and hash is read: *ROOM bytes, at
   least one, in the slot being filled.  data_read() then says how many
   were read. */
static unsigned char *
data_room(size_t *room)
{
	struct slot *s = slot_fill();

	if (s->used == SLOT_DATA || s->nsegs == SLOT_SEGS) {
		slot_post();
		s = slot_fill();
	}
	*room = SLOT_DATA - s->used;
	return s->data + s->used;
}

static void
data_read(size_t n)
{
	struct slot *s = &h.slot[h.posted % SLOTS];
	struct seg *g = &s->segs[s->nsegs++];

	g->off = (uint32_t)s->used;
	g->len = (uint32_t)n;
	g->type = 0;
	s->used += n;
}

/* Ends member PATH of TYPE: its data, if any, went through data_read(). */
static void
member_end(int type, uint64_t size, const char *path, const char *link)
{
	size_t plen = strlen(path) + 1, llen = link != NULL ?
	    strlen(link) + 1 : 0;
	struct slot *s = slot_fill();
	struct seg *g;

	if (plen + llen > SLOT_NAMES)
		fail(KT_EXIT_FAIL, "%.64s...: cannot be listed in the "
		    "manifest: %s", path, strerror(ENAMETOOLONG));
	if (s->nsegs == SLOT_SEGS || s->nused + plen + llen > SLOT_NAMES) {
		slot_post();
		s = slot_fill();
	}
	g = &s->segs[s->nsegs++];
	g->off = (uint32_t)s->used;
	g->len = 0;
	g->type = type;
	g->size = size;
	g->path = (uint32_t)s->nused;
	memcpy(s->names + s->nused, path, plen);
	s->nused += plen;
	g->link = NO_LINK;
	if (link != NULL) {
		g->link = (uint32_t)s->nused;
		memcpy(s->names + s->nused, link, llen);
		s->nused += llen;
	}
	c.members++;
}

/* Waits for the hasher to finish every slot. */
static void
hash_finish(void)
{
	int i;

	slot_post();
	if (h.threaded) {
		pthread_mutex_lock(&h.lock);
		h.stop = 1;
		pthread_cond_signal(&h.posted_cv);
		pthread_mutex_unlock(&h.lock);
		pthread_join(h.thread, NULL);
		h.threaded = 0;
	}
	if (h.error != 0)
		fail_manifest();
	for (i = 0; i < SLOTS; i++) {
		free(h.slot[i].data);
		free(h.slot[i].names);
		free(h.slot[i].segs);
	}
	kt_sha256_free(&h.sha);
}

/* --- output ------------------------------------------------------------- */

static int
flush_buf(struct out *o)
{
	if (o->len > 0 && kt_write_full(o->fd, o->buf, o->len) == -1)
		return -1;
	o->len = 0;
	return 0;
}

static int
deflate_some(struct out *o, const void *buf, size_t len, int flush)
{
	int rc;

	o->z.next_in = (unsigned char *)(uintptr_t)buf;
	o->z.avail_in = (uInt)len;
	do {
		o->z.next_out = o->buf + o->len;
		o->z.avail_out = (uInt)(OUT_BUFSIZE - o->len);
		rc = deflate(&o->z, flush);
		if (rc == Z_STREAM_ERROR) {
			errno = EIO;
			return -1;
		}
		o->len = OUT_BUFSIZE - o->z.avail_out;
		if (o->len == OUT_BUFSIZE && flush_buf(o) == -1)
			return -1;
	} while (o->z.avail_in > 0 || (flush == Z_FINISH &&
	    rc != Z_STREAM_END));
	return 0;
}

/* kt_tar_write_fn: the one way bytes of the archive leave. */
static int
out_put(void *cookie, const void *buf, size_t len)
{
	struct out *o = cookie;

	o->total += len;
	if (o->gzip) {
		/* deflate takes an unsigned int at a time. */
		while (len > 0) {
			size_t n = len > (1U << 30) ? (1U << 30) : len;

			if (deflate_some(o, buf, n, Z_NO_FLUSH) == -1)
				return -1;
			buf = (const char *)buf + n;
			len -= n;
		}
		return 0;
	}
	/* Large pieces (a large file's data) go out as they are: copying
	   them first would cost as much as writing them. */
	if (len >= OUT_DIRECT)
		return flush_buf(o) == -1 ? -1 : kt_write_full(o->fd, buf, len);
	if (o->len + len > OUT_BUFSIZE && flush_buf(o) == -1)
		return -1;
	memcpy(o->buf + o->len, buf, len);
	o->len += len;
	return 0;
}

static ssize_t
archive_out(struct archive *a, void *cookie, const void *buf, size_t len)
{
	if (out_put(cookie, buf, len) == -1) {
		archive_set_error(a, errno, "write to standard output");
		fail_write(errno);
	}
	return (ssize_t)len;
}

/*
 * After archive_write_close() wrote the end-of-archive blocks: pads what
 * libarchive wrote to whole records, as tar does, appends the manifest
 * (which pads itself, counting the start marker, so that the archive is
 * whole records too), ends the gzip stream, flushes.
 */
static void
out_finish(struct out *o, struct kt_manifest *m)
{
	uint64_t n = o->total - o->start_len;

	if (kt_tar_write_zeros(out_put, o, (KT_TAR_RECORD -
	    n % KT_TAR_RECORD) % KT_TAR_RECORD) == -1 ||
	    kt_manifest_write_end(m, out_put, o) == -1 ||
	    (o->gzip && deflate_some(o, NULL, 0, Z_FINISH) == -1) ||
	    flush_buf(o) == -1)
		fail_write(errno);
}

static void
out_open(struct out *o, int gzip)
{
	memset(o, 0, sizeof(*o));
	o->fd = STDOUT_FILENO;
	o->gzip = gzip;
	if ((o->buf = malloc(OUT_BUFSIZE)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	/* windowBits 15 + 16: a gzip header and trailer, as gzip(1)
	   writes them. */
	if (gzip && deflateInit2(&o->z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		errx(KT_EXIT_FAIL, "cannot set up zlib");
}

/* --- members ------------------------------------------------------------ */

/* The path as the operator knows it: under the root. */
static const char *
shown(const char *path)
{
	static char *buf;
	const char *dir = c.o->dir != NULL ? c.o->dir : ".";

	free(buf);
	if (strcmp(dir, ".") == 0)
		return path;
	if (asprintf(&buf, "%s%s%s", dir,
	    dir[strlen(dir) - 1] == '/' ? "" : "/", path) == -1)
		err(KT_EXIT_FAIL, NULL);
	return buf;
}

/*
 * "./a//b/" -> "a/b", in place, by kt_tar_clean_name() as for member
 * names.  Refuses what would not come back where it was: an absolute
 * path, "..", or nothing at all.  Returns NULL and sets *why on refusal.
 */
static char *
normalize(char *path, const char **why)
{
	char *clean;

	if ((clean = kt_tar_clean_name(path, why)) == NULL) {
		*why = *path == '/' ? "an absolute path (the list holds paths "
		    "relative to the root, see -C)" :
		    "\"..\" is not allowed in a path";
		return NULL;
	}
	if (*clean == '\0') {
		free(clean);
		*why = "names the root itself: list what is in it";
		return NULL;
	}
	/* Never longer than the original. */
	strcpy(path, clean);
	free(clean);
	return path;
}

static void
set_owner_names(struct archive_entry *e, uid_t uid, gid_t gid)
{
	const char *s;

	if ((s = archive_read_disk_uname(c.disk, uid)) != NULL)
		archive_entry_copy_uname(e, s);
	if ((s = archive_read_disk_gname(c.disk, gid)) != NULL)
		archive_entry_copy_gname(e, s);
}

static void
write_header(struct archive_entry *e, const char *path)
{
	int rc;

	rc = archive_write_header(c.a, e);
	if (rc == ARCHIVE_WARN)
		warnx("%s: %s", shown(path), archive_error_string(c.a));
	else if (rc != ARCHIVE_OK)
		fail(KT_EXIT_FAIL, "%s: %s", shown(path),
		    archive_error_string(c.a));
}

/*
 * Copies SIZE bytes of FD into the archive and to the hasher, and ends
 * member MEMBER (its path as stored) there; a file that is not SIZE
 * bytes long when we reach its end changed under us.  RAW: its header
 * went out without libarchive, and so do its data and padding.  CHECK,
 * if set, must find the data complete.
 */
static void
copy_data(int fd, const char *path, uint64_t size, const char *member,
    int raw, struct kt_check *check)
{
	unsigned char *buf;
	uint64_t left = size;
	size_t room;
	la_ssize_t w;
	ssize_t n;

	while (left > 0) {
		buf = data_room(&room);
		n = read(fd, buf, left < room ? (size_t)left : room);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fail(KT_EXIT_FAIL, "read %s: %s", shown(path),
			    strerror(errno));
		}
		if (n == 0)
			fail(KT_EXIT_FAIL, "%s: file shrank while being "
			    "archived (%llu of %llu bytes read)", shown(path),
			    (unsigned long long)(size - left),
			    (unsigned long long)size);
		if (check != NULL && kt_check_feed(check, buf, (size_t)n)
		    == -1)
			fail(KT_EXIT_INTEGRITY, "refusing to archive %s: %s",
			    path, kt_check_error(check));
		left -= (uint64_t)n;
		/* The hasher only reads the buffer, as the output does. */
		data_read((size_t)n);
		if (raw) {
			if (out_put(&c.out, buf, (size_t)n) == -1)
				fail_write(errno);
			continue;
		}
		w = archive_write_data(c.a, buf, (size_t)n);
		if (w != n)
			fail(KT_EXIT_FAIL, "%s: %s", shown(path),
			    archive_error_string(c.a));
	}
	if (raw && kt_tar_write_zeros(out_put, &c.out,
	    kt_tar_padding(size)) == -1)
		fail_write(errno);
	/* A change found later fails the run: the manifest is never
	   written then. */
	member_end(KT_MANIFEST_FILE, size, member, NULL);
}

/*
 * Writes the header of PATH, a directory, symbolic link (to TARGET) or
 * regular file that is not a hard link, as libarchive would write it,
 * when that is a bare ustar block (kt_ustar.h).  Returns 1 when it did,
 * 0 when libarchive must.
 */
static int
raw_header(const char *path, const struct stat *sb, const char *target)
{
	struct kt_ustar_member m;
	unsigned char blk[KT_TAR_BLOCK];

	m.path = path;
	if (S_ISDIR(sb->st_mode))
		m.type = KT_USTAR_DIR;
	else if (S_ISLNK(sb->st_mode))
		m.type = KT_USTAR_SYMLINK;
	else if (S_ISREG(sb->st_mode) && sb->st_nlink == 1)
		m.type = KT_USTAR_FILE;
	else
		return 0;
	m.link = S_ISLNK(sb->st_mode) ? target : NULL;
	m.mode = sb->st_mode;
	m.uid = sb->st_uid;
	m.gid = sb->st_gid;
	m.uname = archive_read_disk_uname(c.disk, sb->st_uid);
	m.gname = archive_read_disk_gname(c.disk, sb->st_gid);
	m.size = S_ISREG(sb->st_mode) ? (uint64_t)sb->st_size : 0;
	m.mtime = sb->st_mtim.tv_sec;
	if (kt_ustar_header(blk, &m) == -1)
		return 0;
	if (out_put(&c.out, blk, sizeof(blk)) == -1)
		fail_write(errno);
	return 1;
}

/*
 * The directory holding PATH, kept open from one member to the next
 * (lists come a directory at a time), and PATH's last component in
 * *BASE: lookups relative to it skip walking the whole path each time.
 */
static int
parent_of(const char *path, const char **base)
{
	static char *dir;
	static int fd = -1;
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		*base = path;
		return AT_FDCWD;
	}
	*base = slash + 1;
	n = (size_t)(slash - path);
	if (dir != NULL && strlen(dir) == n && strncmp(dir, path, n) == 0)
		return fd;
	if (fd != -1)
		close(fd);
	free(dir);
	if ((dir = strndup(path, n)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		free(dir);
		dir = NULL;
		fail(KT_EXIT_FAIL, "%s: %s", shown(path), strerror(errno));
	}
	return fd;
}

static void
add_path(const char *path)
{
	struct archive_entry *e = c.entry;
	char target[PATH_MAX + 1];
	struct stat sb, osb;
	const char *kind = NULL, *base, *member = path, *link = NULL;
	int fd = -1, dirfd, raw;
	ssize_t n;

	dirfd = parent_of(path, &base);
	if (fstatat(dirfd, base, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		fail(KT_EXIT_FAIL, "%s: %s", shown(path), strerror(errno));
	switch (sb.st_mode & S_IFMT) {
	case S_IFREG:
		osb = sb;
		/* O_NONBLOCK: should a FIFO have taken the file's place,
		   opening it must not hang; the check below refuses it. */
		fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NOCTTY |
		    O_NONBLOCK | O_CLOEXEC);
		if (fd == -1 || fstat(fd, &sb) == -1)
			fail(KT_EXIT_FAIL, "%s: %s", shown(path),
			    strerror(errno));
		if (sb.st_dev != osb.st_dev || sb.st_ino != osb.st_ino ||
		    !S_ISREG(sb.st_mode))
			fail(KT_EXIT_FAIL, "%s: replaced while being "
			    "archived", shown(path));
		break;
	case S_IFDIR:
	case S_IFLNK:
		break;
	case S_IFSOCK:
		kind = "socket";
		break;
	case S_IFIFO:
		kind = "FIFO";
		break;
	default:
		kind = "device node";
		break;
	}
	if (kind != NULL) {
		kt_info("skipping %s %s: it cannot be restored", kind,
		    shown(path));
		return;
	}
	if (kt_verbosity >= 2) {
		kt_tar_print_name_to(stderr, path);
		fputc('\n', stderr);
	}
	if (S_ISLNK(sb.st_mode)) {
		n = readlinkat(dirfd, base, target, sizeof(target));
		if (n == -1)
			fail(KT_EXIT_FAIL, "%s: %s", shown(path),
			    strerror(errno));
		if ((size_t)n == sizeof(target))
			fail(KT_EXIT_FAIL, "%s: symbolic link target longer "
			    "than %d bytes", shown(path), PATH_MAX);
		target[n] = '\0';
		link = target;
	}

	/* The common member goes without libarchive; the others, hard
	   links (its link resolver) and what needs a pax header, with. */
	if (!(raw = raw_header(path, &sb, target))) {
		archive_entry_clear(e);
		archive_entry_copy_stat(e, &sb);
		archive_entry_copy_pathname(e, path);
		set_owner_names(e, sb.st_uid, sb.st_gid);
		if (!S_ISREG(sb.st_mode))
			archive_entry_set_size(e, 0);
		if (S_ISLNK(sb.st_mode))
			archive_entry_copy_symlink(e, target);
		if (S_ISREG(sb.st_mode) && sb.st_nlink > 1) {
			struct archive_entry *spare = NULL;

			archive_entry_linkify(c.links, &e, &spare);
			if (spare != NULL)
				archive_entry_free(spare);
		}
		write_header(e, path);
		/* As stored: libarchive may have changed them. */
		member = archive_entry_pathname(e);
		link = S_ISLNK(sb.st_mode) ? archive_entry_symlink(e) : NULL;
	}

	if (!raw && archive_entry_hardlink(e) != NULL)
		member_end(KT_MANIFEST_HARDLINK, 0, member,
		    archive_entry_hardlink(e));
	else if (S_ISREG(sb.st_mode)) {
		copy_data(fd, path, (uint64_t)sb.st_size, member, raw, NULL);
		osb = sb;
		if (fstat(fd, &sb) == -1)
			fail(KT_EXIT_FAIL, "%s: %s", shown(path),
			    strerror(errno));
		if (sb.st_size != osb.st_size ||
		    sb.st_mtim.tv_sec != osb.st_mtim.tv_sec ||
		    sb.st_mtim.tv_nsec != osb.st_mtim.tv_nsec)
			fail(KT_EXIT_FAIL, "%s: file changed while being "
			    "archived", shown(path));
	} else if (S_ISLNK(sb.st_mode))
		member_end(KT_MANIFEST_SYMLINK, 0, member, link);
	else
		member_end(KT_MANIFEST_DIR, 0, member, NULL);
	if (fd != -1)
		close(fd);
	if (!raw && archive_write_finish_entry(c.a) != ARCHIVE_OK)
		fail(KT_EXIT_FAIL, "%s: %s", shown(path),
		    archive_error_string(c.a));
}

/* --- the member from standard input ------------------------------------- */

struct stdin_member {
	char *name;
	int fd;
	uint64_t size;
	time_t mtime;
	struct kt_check *check;	/* checks the data as it is archived */
};

/*
 * Standard input becomes a member whose size must be known before its
 * header is written: a regular file tells it, a pipe is spooled to an
 * unlinked 0600 file first, its end checked on the way (a database dump
 * cut short is refused before anything is written).
 */
static void
stdin_member_open(struct stdin_member *m, const char *name)
{
	struct kt_check *check;
	struct stat sb;
	const char *why;
	off_t pos;
	ssize_t n;

	if ((m->name = strdup(name)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	if (normalize(m->name, &why) == NULL)
		errx(KT_EXIT_USAGE, "--stdin-member %s: %s", name, why);
	m->mtime = time(NULL);
	m->check = NULL;
	if (fstat(STDIN_FILENO, &sb) == -1)
		err(KT_EXIT_FAIL, "standard input");
	if (S_ISREG(sb.st_mode) &&
	    (pos = lseek(STDIN_FILENO, 0, SEEK_CUR)) != -1) {
		m->fd = STDIN_FILENO;
		m->size = sb.st_size > pos ? (uint64_t)(sb.st_size - pos) : 0;
		if ((m->check = kt_check_new(0)) == NULL)
			err(KT_EXIT_FAIL, NULL);
	} else {
		if ((m->fd = kt_spool_open()) == -1)
			err(KT_EXIT_FAIL, "spool file for standard input");
		if ((check = kt_check_new(0)) == NULL)
			err(KT_EXIT_FAIL, NULL);
		m->size = 0;
		for (;;) {
			n = read(STDIN_FILENO, c.data, DATA_BUFSIZE);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				err(KT_EXIT_FAIL, "read from standard input");
			if (n == 0)
				break;
			if (kt_check_feed(check, c.data, (size_t)n) == -1)
				errx(KT_EXIT_INTEGRITY, "refusing to archive "
				    "standard input as %s: %s", m->name,
				    kt_check_error(check));
			if (kt_write_full(m->fd, c.data, (size_t)n) == -1)
				err(KT_EXIT_FAIL, "write to spool file");
			m->size += (uint64_t)n;
		}
		if (kt_check_end(check) == -1)
			errx(KT_EXIT_INTEGRITY, "refusing to archive standard "
			    "input as %s: %s", m->name, kt_check_error(check));
		kt_check_free(check);
		if (lseek(m->fd, 0, SEEK_SET) == -1)
			err(KT_EXIT_FAIL, "spool file");
	}
	if (m->size == 0)
		errx(KT_EXIT_FAIL, "refusing to archive standard input as %s: "
		    "it is empty (did the program writing it fail?)", m->name);
	kt_verbose("standard input: %llu bytes, archived as %s",
	    (unsigned long long)m->size, m->name);
}

static void
stdin_member_add(struct stdin_member *m)
{
	struct archive_entry *e = c.entry;

	if (kt_verbosity >= 2) {
		kt_tar_print_name_to(stderr, m->name);
		fputc('\n', stderr);
	}
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, m->name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_uid(e, geteuid());
	archive_entry_set_gid(e, getegid());
	set_owner_names(e, geteuid(), getegid());
	archive_entry_set_mtime(e, m->mtime, 0);
	archive_entry_set_nlink(e, 1);
	archive_entry_set_size(e, (la_int64_t)m->size);
	write_header(e, m->name);
	copy_data(m->fd, "standard input", m->size, archive_entry_pathname(e),
	    0, m->check);
	if (m->check != NULL && kt_check_end(m->check) == -1)
		fail(KT_EXIT_INTEGRITY, "refusing to archive standard input "
		    "as %s: %s", m->name, kt_check_error(m->check));
	if (archive_write_finish_entry(c.a) != ARCHIVE_OK)
		fail(KT_EXIT_FAIL, "%s: %s", m->name,
		    archive_error_string(c.a));
	if (m->fd != STDIN_FILENO)
		close(m->fd);
	kt_check_free(m->check);
}

/* --- the run ------------------------------------------------------------ */

static const char *
next_path(struct kt_pathlist *l, const char *listname, const char *member)
{
	const char *path, *why;
	size_t len;
	int rc;

	if (l == NULL)
		return NULL;
	if ((rc = kt_pathlist_next(l, &path, &len)) == 0)
		return NULL;
	if (rc == -1)
		fail(KT_EXIT_FAIL, "%s", kt_pathlist_error(l));
	if (normalize((char *)path, &why) == NULL)
		fail(KT_EXIT_FAIL, "path list from %s: %s: %s", listname,
		    path, why);
	if (member != NULL && strcmp(path, member) == 0)
		fail(KT_EXIT_USAGE, "%s is in the path list and is the "
		    "--stdin-member too", path);
	return path;
}

void
kt_tar_create(const struct kt_tar_opts *o)
{
	struct stdin_member member = { 0 };
	struct kt_pathlist *l = NULL;
	const char *listname = "standard input", *path;
	int listfd = STDIN_FILENO;

	c.o = o;
	if (isatty(STDOUT_FILENO))
		errx(KT_EXIT_USAGE, "refusing to write an archive to a "
		    "terminal: redirect standard output");
	if (o->stdin_member != NULL && o->list != NULL &&
	    strcmp(o->list, "-") == 0)
		errx(KT_EXIT_USAGE, "--stdin-member reads standard input: "
		    "-T must name another file");
	if ((c.data = malloc(DATA_BUFSIZE)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	if (o->list != NULL && strcmp(o->list, "-") != 0) {
		listname = o->list;
		if ((listfd = open(o->list, O_RDONLY | O_CLOEXEC)) == -1)
			err(KT_EXIT_FAIL, "path list %s", o->list);
	}
	/* With --stdin-member and no -T, the archive holds that member
	   alone. */
	if (o->list != NULL || o->stdin_member == NULL)
		if ((l = kt_pathlist_new(listfd, listname, o->nul)) == NULL)
			err(KT_EXIT_FAIL, NULL);
	if (o->stdin_member != NULL)
		stdin_member_open(&member, o->stdin_member);
	if (o->dir != NULL && chdir(o->dir) == -1)
		err(KT_EXIT_FAIL, "root %s", o->dir);

	if ((c.manifest = kt_manifest_new()) == NULL ||
	    (c.entry = archive_entry_new()) == NULL ||
	    (c.links = archive_entry_linkresolver_new()) == NULL ||
	    (c.disk = archive_read_disk_new()) == NULL)
		err(KT_EXIT_FAIL, NULL);
	archive_entry_linkresolver_set_strategy(c.links,
	    ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	archive_read_disk_set_standard_lookup(c.disk);

	/* Nothing is written before we know there is something to
	   archive.  A list that was asked for must not be empty, even
	   beside --stdin-member: an empty list is what a pipeline leaves
	   when the program writing it died before its first byte. */
	path = next_path(l, listname, member.name);
	if (path == NULL && (o->list != NULL || o->stdin_member == NULL))
		errx(KT_EXIT_FAIL, "path list from %s is empty: nothing to "
		    "archive (did the program writing it fail?)", listname);

	out_open(&c.out, o->gzip);
	if ((c.a = archive_write_new()) == NULL)
		err(KT_EXIT_FAIL, NULL);
	/* pax_restricted: extended headers only where ustar cannot say it,
	   so no atime/ctime records, which would make every archive
	   differ. */
	if (archive_write_set_format_pax_restricted(c.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(c.a, 0) != ARCHIVE_OK ||
	    archive_write_open(c.a, &c.out, NULL, archive_out, NULL) !=
	    ARCHIVE_OK)
		fail(KT_EXIT_FAIL, "%s", archive_error_string(c.a));
	if (kt_manifest_write_start(out_put, &c.out) == -1)
		fail_write(errno);
	c.out.start_len = c.out.total;

	hash_start();
	for (; path != NULL; path = next_path(l, listname, member.name))
		add_path(path);
	if (l != NULL && kt_pathlist_framed(l))
		kt_verbose("path list from kt-collect complete: its end "
		    "record is there");
	if (o->stdin_member != NULL)
		stdin_member_add(&member);
	hash_finish();

	if (archive_write_close(c.a) != ARCHIVE_OK)
		fail(KT_EXIT_FAIL, "%s", archive_error_string(c.a));
	archive_write_free(c.a);
	c.a = NULL;
	out_finish(&c.out, c.manifest);
	kt_verbose("%llu members, %llu bytes of tar%s",
	    (unsigned long long)c.members, (unsigned long long)c.out.total,
	    o->gzip ? ", gzip-compressed" : "");

	if (o->gzip)
		deflateEnd(&c.out.z);
	free(c.out.buf);
	kt_manifest_free(c.manifest);
	archive_entry_free(c.entry);
	archive_entry_linkresolver_free(c.links);
	archive_read_free(c.disk);
	kt_pathlist_free(l);
	free(member.name);
	free(c.data);
}
