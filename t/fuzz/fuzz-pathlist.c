/*
 * fuzz-pathlist: the path-list reader (common/kt_pathlist.h), kt-collect's
 * framed list that kt-tar -c reads.  The input is the list; its size says
 * the separator (odd: NUL bytes, as with -0).
 *
 * The list comes through a pipe that a thread fills in chunks whose sizes
 * are taken from the input, so the reader sees it split in many ways.
 *
 * Invariants: a returned path holds neither the separator nor a NUL byte
 * and is not longer than KT_PATHLIST_MAX; the framing records are never
 * returned; and when the whole list was accepted, it is exactly the
 * returned paths, each with its separator, inside the framing records
 * (with the right count) when it was framed: nothing was skipped, merged
 * or invented.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "kt_pathlist.h"
#include "fuzz.h"

struct feeder {
	int fd;
	const uint8_t *data;
	size_t size;
};

static void *
feed(void *arg)
{
	struct feeder *f = arg;
	size_t off = 0, n, k = 0;
	ssize_t w;

	while (off < f->size) {
		n = fuzz_chunk(f->data, f->size, k++, 300);
		if (n > f->size - off)
			n = f->size - off;
		if ((w = write(f->fd, f->data + off, n)) <= 0)
			break;		/* the reader stopped early */
		off += (size_t)w;
	}
	close(f->fd);
	return NULL;
}

/* Appends LEN bytes of P and the separator to the rebuilt list. */
static void
put(char **buf, size_t *len, const char *p, size_t n, char sep)
{
	fuzz_assert((*buf = realloc(*buf, *len + n + 1)) != NULL,
	    "out of memory");
	memcpy(*buf + *len, p, n);
	(*buf)[*len + n] = sep;
	*len += n + 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_pathlist *l;
	struct feeder f = { -1, data, size };
	pthread_t t;
	const char *path;
	char *rebuilt = NULL, end[64];
	size_t len, rlen = 0;
	unsigned long long paths = 0;
	int fds[2], nul = size % 2, rc;
	char sep = nul ? '\0' : '\n';

	signal(SIGPIPE, SIG_IGN);
	fuzz_assert(pipe(fds) == 0, "pipe");
	f.fd = fds[1];
	fuzz_assert(pthread_create(&t, NULL, feed, &f) == 0, "thread");
	fuzz_assert((l = kt_pathlist_new(fds[0], "list", nul)) != NULL,
	    "out of memory");
	while ((rc = kt_pathlist_next(l, &path, &len)) == 1) {
		fuzz_assert(len == strlen(path), "a NUL byte inside a path");
		fuzz_assert(memchr(path, sep, len) == NULL,
		    "the separator inside a path");
		fuzz_assert(len <= KT_PATHLIST_MAX, "a path of %zu bytes", len);
		fuzz_assert(!kt_pathlist_framed(l) ||
		    strncmp(path, "/kt-collect ", 12) != 0,
		    "a framing record returned as a path: %s", path);
		if (paths++ == 0 && kt_pathlist_framed(l))
			put(&rebuilt, &rlen, KT_PATHLIST_BEGIN,
			    strlen(KT_PATHLIST_BEGIN), sep);
		put(&rebuilt, &rlen, path, len, sep);
	}
	if (rc == 0) {
		if (paths == 0 && kt_pathlist_framed(l))
			put(&rebuilt, &rlen, KT_PATHLIST_BEGIN,
			    strlen(KT_PATHLIST_BEGIN), sep);
		if (kt_pathlist_framed(l)) {
			snprintf(end, sizeof(end), "%s%llu", KT_PATHLIST_END,
			    paths);
			put(&rebuilt, &rlen, end, strlen(end), sep);
		}
		fuzz_assert(rlen == size && (size == 0 ||
		    memcmp(rebuilt, data, size) == 0),
		    "the list accepted (%llu paths%s) is not what was read",
		    paths, kt_pathlist_framed(l) ? ", framed" : "");
	} else
		fuzz_assert(*kt_pathlist_error(l) != '\0', "no error message");
	kt_pathlist_free(l);
	close(fds[0]);
	pthread_join(t, NULL);
	free(rebuilt);
	return 0;
}
