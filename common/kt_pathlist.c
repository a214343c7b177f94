#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kt_pathlist.h"

#define READ_SIZE	(64 * 1024)

/* What a failed writer leaves at the end of its list.  It holds neither
   terminator, so it can only be read as an unterminated record. */
#define INCOMPLETE_MARK \
	"(list incomplete: the program writing it failed)"

struct kt_pathlist {
	int fd;
	const char *name;
	char sep;
	char *buf;		/* bytes read, from start to end */
	size_t start;		/* first byte of the next record */
	size_t end;
	size_t size;
	int eof;
	unsigned long long records;	/* read so far, framing included */
	unsigned long long paths;	/* returned so far */
	int framed;		/* began with KT_PATHLIST_BEGIN */
	int ended;		/* its end record was read */
	char error[256];
};

struct kt_pathlist *
kt_pathlist_new(int fd, const char *name, int nul)
{
	struct kt_pathlist *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->size = KT_PATHLIST_MAX + READ_SIZE + 1;
	if ((l->buf = malloc(l->size)) == NULL) {
		free(l);
		return NULL;
	}
	l->fd = fd;
	l->name = name;
	l->sep = nul ? '\0' : '\n';
	return l;
}

void
kt_pathlist_free(struct kt_pathlist *l)
{
	if (l == NULL)
		return;
	free(l->buf);
	free(l);
}

const char *
kt_pathlist_error(const struct kt_pathlist *l)
{
	return l->error;
}

static int __attribute__((format(printf, 2, 3)))
fail(struct kt_pathlist *l, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(l->error, sizeof(l->error), "path list from %s %s", l->name,
	    what);
	return -1;
}

/* The same for a framed list, which kt-collect wrote: the message names
   it, and the file it was read from unless that is standard input. */
static int __attribute__((format(printf, 2, 3)))
fail_framed(struct kt_pathlist *l, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (strcmp(l->name, "standard input") == 0)
		snprintf(l->error, sizeof(l->error), "path list from "
		    "kt-collect %s", what);
	else
		snprintf(l->error, sizeof(l->error), "path list from "
		    "kt-collect %s (read from %s)", what, l->name);
	return -1;
}

/* Why a list ended inside a record, in words an operator can act on. */
static int
unterminated(struct kt_pathlist *l, const char *rec, size_t len)
{
	if (len == sizeof(INCOMPLETE_MARK) - 1 &&
	    memcmp(rec, INCOMPLETE_MARK, len) == 0)
		return fail(l, "is incomplete: the program that wrote it "
		    "failed");
	/* A list cut inside its begin record is a framed one too. */
	if (l->framed || (l->records == 0 && len < sizeof(KT_PATHLIST_BEGIN) &&
	    memcmp(rec, KT_PATHLIST_BEGIN, len) == 0))
		return fail_framed(l, "ends without its end record: "
		    "kt-collect did not finish (cut in the middle of a "
		    "record)");
	if (l->sep == '\0' && memchr(rec, '\n', len) != NULL)
		return fail(l, "ends without a NUL terminator (a list of "
		    "lines? then do not use -0)");
	if (l->sep == '\n' && memchr(rec, '\0', len) != NULL)
		return fail(l, "holds NUL bytes and no newline (a list "
		    "written with -0? then read it with -0)");
	return fail(l, "ends in the middle of a path, without its %s: was "
	    "its writer cut short?", l->sep == '\0' ? "NUL terminator" :
	    "newline");
}

/* The next record, framing or not: as kt_pathlist_next. */
static int
next_record(struct kt_pathlist *l, const char **path, size_t *len)
{
	char *rec, *p;
	ssize_t n;

	if (l->error[0] != '\0')
		return -1;
	for (;;) {
		rec = l->buf + l->start;
		p = memchr(rec, l->sep, l->end - l->start);
		if (p != NULL) {
			*p = '\0';
			*len = (size_t)(p - rec);
			if (l->sep == '\n' && memchr(rec, '\0', *len) != NULL)
				return fail(l, "holds a NUL byte (a list "
				    "written with -0? then read it with -0)");
			l->start += *len + 1;
			*path = rec;
			return 1;
		}
		if (l->end - l->start > KT_PATHLIST_MAX) {
			/* Most likely the other kind of list. */
			if (l->sep == '\0' && memchr(rec, '\n',
			    l->end - l->start) != NULL)
				return fail(l, "holds no NUL byte (a list of "
				    "lines? then do not use -0)");
			if (l->sep == '\n' && memchr(rec, '\0',
			    l->end - l->start) != NULL)
				return fail(l, "holds NUL bytes and no newline "
				    "(a list written with -0? then read it "
				    "with -0)");
			return fail(l, "has a path longer than %d bytes",
			    KT_PATHLIST_MAX);
		}
		if (l->eof) {
			if (l->end == l->start)
				return 0;
			return unterminated(l, rec, l->end - l->start);
		}
		/* Keep the partial record, make room after it. */
		if (l->start > 0) {
			memmove(l->buf, rec, l->end - l->start);
			l->end -= l->start;
			l->start = 0;
		}
		n = read(l->fd, l->buf + l->end, l->size - 1 - l->end);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return fail(l, "cannot be read: %s", strerror(errno));
		}
		if (n == 0)
			l->eof = 1;
		l->end += (size_t)n;
	}
}

/* "/kt-collect end N": 1 and N in *COUNT, or 0 when REC is not one. */
static int
end_record(const char *rec, unsigned long long *count)
{
	const char *p;
	char *end;

	if (strncmp(rec, KT_PATHLIST_END, sizeof(KT_PATHLIST_END) - 1) != 0)
		return 0;
	p = rec + sizeof(KT_PATHLIST_END) - 1;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] != '\0'))
		return 0;
	errno = 0;
	*count = strtoull(p, &end, 10);
	return *end == '\0' && errno == 0;
}

int
kt_pathlist_next(struct kt_pathlist *l, const char **path, size_t *len)
{
	unsigned long long count;
	int rc;

	for (;;) {
		if ((rc = next_record(l, path, len)) == -1)
			return -1;
		if (rc == 1 && l->records++ == 0 &&
		    strcmp(*path, KT_PATHLIST_BEGIN) == 0) {
			l->framed = 1;
			continue;
		}
		if (rc == 1 && l->records == 1 && strncmp(*path,
		    "/kt-collect list ", 17) == 0)
			return fail(l, "is in a format this program does not "
			    "know (%s): from a newer kt-collect?", *path);
		if (!l->framed)
			return rc;
		if (rc == 0) {
			if (!l->ended)
				return fail_framed(l, "ends without its end "
				    "record: kt-collect did not finish");
			return 0;
		}
		if (l->ended)
			return fail_framed(l, "goes on after its end record "
			    "(two lists joined? give kt-collect every path "
			    "at once)");
		if (strncmp(*path, "/kt-collect ", 12) != 0) {
			l->paths++;
			return 1;
		}
		if (!end_record(*path, &count))
			return fail_framed(l, "holds a record it does not "
			    "expect there: %s", *path);
		if (count != l->paths)
			return fail_framed(l, "has %llu paths, but its end "
			    "record says %llu", l->paths, count);
		l->ended = 1;
	}
}

int
kt_pathlist_framed(const struct kt_pathlist *l)
{
	return l->framed;
}

int
kt_pathlist_put(FILE *fp, const char *path, int nul)
{
	size_t len = strlen(path);

	if (!nul && memchr(path, '\n', len) != NULL) {
		errno = EINVAL;
		return -1;
	}
	if (fwrite(path, 1, len, fp) != len ||
	    putc(nul ? '\0' : '\n', fp) == EOF)
		return -1;
	return 0;
}

int
kt_pathlist_put_begin(FILE *fp, int nul)
{
	return kt_pathlist_put(fp, KT_PATHLIST_BEGIN, nul);
}

int
kt_pathlist_put_end(FILE *fp, int nul, unsigned long long count)
{
	if (fprintf(fp, "%s%llu%c", KT_PATHLIST_END, count,
	    nul ? '\0' : '\n') < 0)
		return -1;
	return 0;
}

void
kt_pathlist_put_incomplete(FILE *fp)
{
	fputs(INCOMPLETE_MARK, fp);
	fflush(fp);
}
