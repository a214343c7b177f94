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

/* Why a list ended inside a record, in words an operator can act on. */
static int
unterminated(struct kt_pathlist *l, const char *rec, size_t len)
{
	if (len == sizeof(INCOMPLETE_MARK) - 1 &&
	    memcmp(rec, INCOMPLETE_MARK, len) == 0)
		return fail(l, "is incomplete: the program that wrote it "
		    "failed");
	if (l->sep == '\0' && memchr(rec, '\n', len) != NULL)
		return fail(l, "ends without a NUL terminator (a list of "
		    "lines? then do not use -0)");
	return fail(l, "ends in the middle of a path, without its %s: was "
	    "its writer cut short?", l->sep == '\0' ? "NUL terminator" :
	    "newline");
}

int
kt_pathlist_next(struct kt_pathlist *l, const char **path, size_t *len)
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
		if (l->end - l->start > KT_PATHLIST_MAX)
			return fail(l, "has a path longer than %d bytes",
			    KT_PATHLIST_MAX);
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

void
kt_pathlist_put_incomplete(FILE *fp)
{
	fputs(INCOMPLETE_MARK, fp);
	fflush(fp);
}
