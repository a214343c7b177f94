#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive_entry.h>

#include "kt_manifest.h"
#include "kt_spool.h"

/* The longest line: digest, type, size, an escaped path of the longest
   kind (every byte "\xHH"), the separators and the newline. */
#define LINE_MAX_LEN	(KT_SHA256_HEXLEN + 3 + 20 + \
			 4 * KT_MANIFEST_PATH_MAX + 1)
/* "members N\n" */
#define MEMBERS_MAX_LEN	(sizeof(KT_MANIFEST_MEMBERS) + 21)

/* SHA-256 of nothing: the digest of directories and other entries. */
static const char empty_hex[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

int
kt_manifest_type(char typeflag)
{
	switch (typeflag) {
	case '0': case '\0': case '7':
		return KT_MANIFEST_FILE;
	case '1':
		return KT_MANIFEST_HARDLINK;
	case '2':
		return KT_MANIFEST_SYMLINK;
	case '5':
		return KT_MANIFEST_DIR;
	case 'x': case 'X': case 'g': case 'L': case 'K': case 'A': case 'V':
		return 0;
	default:
		return KT_MANIFEST_OTHER;
	}
}

/* --- one line, in pieces ---------------------------------------------- */

typedef void (*emit_fn)(void *cookie, const void *buf, size_t len);

static size_t
strip_slashes(const char *path, size_t len)
{
	while (len > 1 && path[len - 1] == '/')
		len--;
	return len;
}

static int
needs_escape(unsigned char c)
{
	return c == '\\' || c < 0x20 || c == 0x7f;
}

/* The escaped path, runs of plain bytes in one piece each. */
static void
emit_path(emit_fn emit, void *cookie, const char *path, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)path;
	size_t i, start = 0;
	char esc[4];

	for (i = 0; i < len; i++) {
		if (!needs_escape(p[i]))
			continue;
		if (i > start)
			emit(cookie, p + start, i - start);
		start = i + 1;
		esc[0] = '\\';
		if (p[i] == '\\' || p[i] == '\n') {
			esc[1] = p[i] == '\\' ? '\\' : 'n';
			emit(cookie, esc, 2);
		} else {
			esc[1] = 'x';
			esc[2] = hex[p[i] >> 4];
			esc[3] = hex[p[i] & 0xf];
			emit(cookie, esc, 4);
		}
	}
	if (len > start)
		emit(cookie, p + start, len - start);
}

/* "TYPE SIZE " (the part after the digest and its space). */
static size_t
format_meta(char *out, int type, uint64_t size)
{
	return (size_t)snprintf(out, 32, "%c %" PRIu64 " ", type,
	    type == KT_MANIFEST_FILE ? size : 0);
}

/* --- writer ------------------------------------------------------------ */

struct kt_manifest {
	FILE *fp;		/* the lines, in an unlinked file */
	uint64_t count;
	uint64_t len;		/* bytes of lines written */
	uint64_t *parts;	/* where each part's lines start in the file */
	size_t nparts, partcap;
	uint64_t partlen;	/* comment bytes of the current part */
	char *line;
	size_t linelen;
};

static size_t
part_head(char *out, size_t k)
{
	if (k == 1)
		return (size_t)snprintf(out, 64, "%s", KT_MANIFEST_HEAD);
	return (size_t)snprintf(out, 64, "%s%zu\n", KT_MANIFEST_PART_HEAD, k);
}

static int
new_part(struct kt_manifest *m)
{
	uint64_t *p;
	char head[64];

	if (m->nparts == m->partcap) {
		m->partcap = m->partcap ? 2 * m->partcap : 8;
		if ((p = realloc(m->parts, m->partcap * sizeof(*p))) == NULL)
			return -1;
		m->parts = p;
	}
	m->parts[m->nparts++] = m->len;
	m->partlen = part_head(head, m->nparts);
	return 0;
}

struct kt_manifest *
kt_manifest_new(void)
{
	struct kt_manifest *m;
	int fd, saved;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->line = malloc(LINE_MAX_LEN + 1)) == NULL)
		goto fail;
	if ((fd = kt_spool_open()) == -1)
		goto fail;
	if ((m->fp = fdopen(fd, "w")) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	if (new_part(m) == -1)
		goto fail;
	return m;
fail:
	saved = errno;
	kt_manifest_free(m);
	errno = saved;
	return NULL;
}

static void
emit_line(void *cookie, const void *buf, size_t len)
{
	struct kt_manifest *m = cookie;

	memcpy(m->line + m->linelen, buf, len);
	m->linelen += len;
}

int
kt_manifest_add(struct kt_manifest *m, int type, const char *path,
    const char *linkpath, uint64_t size,
    const unsigned char sha256[KT_SHA256_LEN])
{
	unsigned char digest[KT_SHA256_LEN];
	char hex[KT_SHA256_HEXLEN + 1];
	size_t pathlen;

	if (path == NULL ||
	    (pathlen = strlen(path)) > KT_MANIFEST_PATH_MAX) {
		errno = EINVAL;
		return -1;
	}
	switch (type) {
	case KT_MANIFEST_FILE:
		if (sha256 == NULL) {
			errno = EINVAL;
			return -1;
		}
		kt_sha256_hex(sha256, hex);
		break;
	case KT_MANIFEST_SYMLINK:
	case KT_MANIFEST_HARDLINK:
		if (linkpath == NULL) {
			errno = EINVAL;
			return -1;
		}
		if (kt_sha256_buf(linkpath, strlen(linkpath), digest) == -1)
			return -1;
		kt_sha256_hex(digest, hex);
		break;
	case KT_MANIFEST_DIR:
	case KT_MANIFEST_OTHER:
		memcpy(hex, empty_hex, sizeof(hex));
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	memcpy(m->line, hex, KT_SHA256_HEXLEN);
	m->line[KT_SHA256_HEXLEN] = ' ';
	m->linelen = KT_SHA256_HEXLEN + 1;
	m->linelen += format_meta(m->line + m->linelen, type, size);
	emit_path(emit_line, m, path, strip_slashes(path, pathlen));
	m->line[m->linelen++] = '\n';

	/* Lines never straddle two parts. */
	if (m->partlen + m->linelen > KT_MANIFEST_PART_MAX &&
	    new_part(m) == -1)
		return -1;
	if (fwrite(m->line, 1, m->linelen, m->fp) != m->linelen)
		return -1;
	m->partlen += m->linelen;
	m->len += m->linelen;
	m->count++;
	return 0;
}

uint64_t
kt_manifest_count(const struct kt_manifest *m)
{
	return m->count;
}

int
kt_manifest_write_start(kt_tar_write_fn write, void *cookie)
{
	return kt_tar_write_global_comment(write, cookie,
	    KT_MANIFEST_START_NAME, KT_MANIFEST_START_COMMENT,
	    strlen(KT_MANIFEST_START_COMMENT));
}

/* Sends bytes [FROM, TO) of the line file. */
static int
copy_lines(struct kt_manifest *m, uint64_t from, uint64_t to,
    kt_tar_write_fn write, void *cookie)
{
	size_t n;
	ssize_t r;

	while (from < to) {
		n = to - from < LINE_MAX_LEN ? (size_t)(to - from) :
		    LINE_MAX_LEN;
		r = pread(fileno(m->fp), m->line, n, (off_t)from);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;	/* the file shrank */
			return -1;
		}
		if (write(cookie, m->line, (size_t)r) == -1)
			return -1;
		from += (uint64_t)r;
	}
	return 0;
}

int
kt_manifest_write_end(struct kt_manifest *m, kt_tar_write_fn write,
    void *cookie)
{
	unsigned char blk[KT_TAR_BLOCK];
	char head[64], members[MEMBERS_MAX_LEN], prefix[KT_PAX_KEY_MAX + 32];
	size_t k, headlen, mlen, plen;
	uint64_t from, to, clen, reclen, zeros, total = 0;

	if (fflush(m->fp) == EOF)
		return -1;
	mlen = (size_t)snprintf(members, sizeof(members), "%s%" PRIu64 "\n",
	    KT_MANIFEST_MEMBERS, m->count);
	if (m->partlen + mlen > KT_MANIFEST_PART_MAX && new_part(m) == -1)
		return -1;
	for (k = 1; k <= m->nparts; k++) {
		headlen = part_head(head, k);
		from = m->parts[k - 1];
		to = k < m->nparts ? m->parts[k] : m->len;
		clen = headlen + (to - from) + (k == m->nparts ? mlen : 0);
		reclen = kt_pax_record_len(7, clen);
		kt_tar_global_header(blk, KT_MANIFEST_NAME, reclen);
		plen = kt_pax_record_prefix(prefix, "comment", clen);
		if (write(cookie, blk, sizeof(blk)) == -1 ||
		    write(cookie, prefix, plen) == -1 ||
		    write(cookie, head, headlen) == -1 ||
		    copy_lines(m, from, to, write, cookie) == -1 ||
		    (k == m->nparts && write(cookie, members, mlen) == -1) ||
		    write(cookie, "\n", 1) == -1 ||
		    kt_tar_write_zeros(write, cookie,
		    kt_tar_padding(reclen)) == -1)
			return -1;
		total += KT_TAR_BLOCK + reclen + kt_tar_padding(reclen);
	}
	/* End-of-archive after the manifest, then zeros to the end of a
	   record, counting the start marker that came before libarchive's
	   own records. */
	zeros = 2 * KT_TAR_BLOCK;
	total += KT_MANIFEST_START_LEN + zeros;
	zeros += (KT_TAR_RECORD - total % KT_TAR_RECORD) % KT_TAR_RECORD;
	return kt_tar_write_zeros(write, cookie, zeros);
}

void
kt_manifest_free(struct kt_manifest *m)
{
	if (m == NULL)
		return;
	if (m->fp != NULL)
		fclose(m->fp);
	free(m->parts);
	free(m->line);
	free(m);
}

/* --- reader ------------------------------------------------------------ */

/* Short fingerprints of one member's line, to name the first difference. */
struct fingerprint {
	uint32_t path;		/* FNV-1a of the escaped path */
	uint32_t meta;		/* FNV-1a of "TYPE SIZE " */
	uint32_t data;		/* first bytes of the digest (HASH only) */
};

enum { R_FIRST, R_LINE, R_SHA, R_TYPE, R_TYPESP, R_SIZE, R_PATH,
    R_MEMBERS, R_COUNT, R_DONE };

#define SHOW_MAX	100	/* bytes of a path quoted in messages */

struct kt_manifest_reader {
	int hash;
	struct kt_sha256 want;	/* over the lines the members make */
	struct kt_sha256 got;	/* over the manifest's lines */
	uint64_t nexpect;
	struct fingerprint *fps;
	size_t fpcap;
	uint32_t fnv;		/* scratch for the expected side */

	int state;
	size_t part;
	uint64_t off;		/* stream offset of the next comment byte */
	uint64_t lineoff;
	uint64_t nlines;
	char first[64];
	size_t firstlen, pos;
	char hex[KT_SHA256_HEXLEN];
	char meta[32];
	size_t metalen;
	int type;
	uint64_t size, count;
	int digits;
	int esc;
	struct fingerprint cur;
	char show[SHOW_MAX + 4];
	size_t showlen;
	int done;
	int failed;
	int wantfinal;		/* want is finished: its digest is in... */
	unsigned char wantdigest[KT_SHA256_LEN];
	char error[512];
};

#define FNV_INIT	2166136261u
#define STR_(x)		#x
#define STR(x)		STR_(x)

static uint32_t
fnv(uint32_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int __attribute__((format(printf, 2, 3)))
rfail(struct kt_manifest_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	r->failed = 1;
	return -1;
}

struct kt_manifest_reader *
kt_manifest_reader_new(int hash)
{
	struct kt_manifest_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->hash = hash;
	if (kt_sha256_init(&r->want) == -1 || kt_sha256_init(&r->got) == -1) {
		kt_manifest_reader_free(r);
		return NULL;
	}
	r->state = R_FIRST;
	return r;
}

void
kt_manifest_reader_free(struct kt_manifest_reader *r)
{
	if (r == NULL)
		return;
	kt_sha256_free(&r->want);
	kt_sha256_free(&r->got);
	free(r->fps);
	free(r);
}

static void
emit_want(void *cookie, const void *buf, size_t len)
{
	struct kt_manifest_reader *r = cookie;

	kt_sha256_update(&r->want, buf, len);
	r->fnv = fnv(r->fnv, buf, len);
}

int
kt_manifest_expect(struct kt_manifest_reader *r, int type, const char *path,
    size_t pathlen, const char *link, size_t linklen, uint64_t size,
    const unsigned char sha256[KT_SHA256_LEN])
{
	unsigned char digest[KT_SHA256_LEN];
	char hex[KT_SHA256_HEXLEN + 1], meta[32];
	struct fingerprint fp = { 0, 0, 0 };
	struct fingerprint *p;
	size_t metalen, n;

	if (r->failed)
		return -1;
	if (r->wantfinal)
		return rfail(r, "a member after the end of the members");
	if (r->hash) {
		switch (type) {
		case KT_MANIFEST_FILE:
			kt_sha256_hex(sha256, hex);
			break;
		case KT_MANIFEST_SYMLINK:
		case KT_MANIFEST_HARDLINK:
			if (kt_sha256_buf(link, linklen, digest) == -1)
				return rfail(r, "SHA-256 unavailable");
			kt_sha256_hex(digest, hex);
			break;
		default:
			memcpy(hex, empty_hex, sizeof(hex));
			break;
		}
		kt_sha256_update(&r->want, hex, KT_SHA256_HEXLEN);
		kt_sha256_update(&r->want, " ", 1);
		fp.data = fnv(FNV_INIT, hex, KT_SHA256_HEXLEN);
	}
	metalen = format_meta(meta, type, size);
	kt_sha256_update(&r->want, meta, metalen);
	fp.meta = fnv(FNV_INIT, meta, metalen);
	r->fnv = FNV_INIT;
	emit_path(emit_want, r, path, strip_slashes(path, pathlen));
	fp.path = r->fnv;
	kt_sha256_update(&r->want, "\n", 1);

	if (r->nexpect < KT_MANIFEST_FP_MAX) {
		if (r->nexpect == r->fpcap) {
			n = r->fpcap ? 2 * r->fpcap : 256;
			if ((p = realloc(r->fps, n * sizeof(*p))) == NULL)
				return rfail(r, "out of memory");
			r->fps = p;
			r->fpcap = n;
		}
		r->fps[r->nexpect] = fp;
	}
	r->nexpect++;
	return 0;
}

int
kt_manifest_part_begin(struct kt_manifest_reader *r, uint64_t offset)
{
	if (r->failed)
		return -1;
	r->part++;
	r->off = offset;
	r->state = R_FIRST;
	r->pos = 0;
	r->firstlen = part_head(r->first, r->part);
	return 0;
}

static const char *
show(struct kt_manifest_reader *r)
{
	r->show[r->showlen] = '\0';
	if (r->showlen == SHOW_MAX)
		memcpy(r->show + SHOW_MAX, "...", 4);
	return r->show;
}

/* A whole member line has been read: compare it with the member. */
static int
line_done(struct kt_manifest_reader *r)
{
	const struct fingerprint *fp;
	uint64_t i = r->nlines++;

	if (i >= r->nexpect)
		return rfail(r, "kt-tar manifest lists more members than the "
		    "archive's %" PRIu64 " (\"%s\", line at byte %" PRIu64 ")",
		    r->nexpect, show(r), r->lineoff);
	if (i >= KT_MANIFEST_FP_MAX)
		return 0;	/* the running digests decide at the end */
	fp = &r->fps[i];
	if (fp->path != r->cur.path)
		return rfail(r, "kt-tar manifest does not match the archive: "
		    "it names \"%s\" as member %" PRIu64 ", the archive has "
		    "another member there (line at byte %" PRIu64 ")",
		    show(r), i + 1, r->lineoff);
	if (fp->meta != r->cur.meta)
		return rfail(r, "kt-tar manifest does not match member %"
		    PRIu64 " \"%s\": its type or size differs (line at byte %"
		    PRIu64 ")", i + 1, show(r), r->lineoff);
	if (r->hash && fp->data != r->cur.data)
		return rfail(r, "kt-tar manifest does not match member %"
		    PRIu64 " \"%s\": its SHA-256 differs (line at byte %"
		    PRIu64 ")", i + 1, show(r), r->lineoff);
	return 0;
}

/* The digest over the members' lines, finished once. */
static const unsigned char *
want_digest(struct kt_manifest_reader *r)
{
	if (!r->wantfinal) {
		kt_sha256_final(&r->want, r->wantdigest);
		r->wantfinal = 1;
	}
	return r->wantdigest;
}

static int
members_done(struct kt_manifest_reader *r)
{
	unsigned char got[KT_SHA256_LEN];
	const unsigned char *want;

	if (r->count != r->nlines)
		return rfail(r, "kt-tar manifest is malformed: its members "
		    "line says %" PRIu64 " but it lists %" PRIu64 " (at byte %"
		    PRIu64 ")", r->count, r->nlines, r->lineoff);
	if (r->count != r->nexpect)
		return rfail(r, "kt-tar manifest lists %" PRIu64 " members, "
		    "the archive has %" PRIu64, r->count, r->nexpect);
	want = want_digest(r);
	kt_sha256_final(&r->got, got);
	if (memcmp(want, got, sizeof(got)) != 0)
		return rfail(r, "kt-tar manifest does not match the archive's "
		    "members (a member after the first %d differs)",
		    KT_MANIFEST_FP_MAX);
	r->done = 1;
	return 0;
}

static int
bad_line(struct kt_manifest_reader *r, const char *what)
{
	return rfail(r, "kt-tar manifest is malformed: %s in the line at "
	    "byte %" PRIu64, what, r->lineoff);
}

/* The path, up to and with its newline: validated and hashed in runs.
   Returns the bytes consumed; *EOL says whether the newline was one. */
static size_t
read_path(struct kt_manifest_reader *r, const unsigned char *p, size_t len,
    int *eol)
{
	size_t i, n;
	int c;

	*eol = 0;
	for (i = 0; i < len; i++) {
		c = p[i];
		if (c == '\n' && r->esc == 0)
			break;
		switch (r->esc) {
		case 0:
			if (c == '\\')
				r->esc = 1;
			else if (c < 0x20 || c == 0x7f) {
				bad_line(r, "an unescaped control character");
				return 0;
			}
			break;
		case 1:
			if (c == 'x')
				r->esc = 2;
			else if (c == '\\' || c == 'n')
				r->esc = 0;
			else {
				bad_line(r, "an unknown escape");
				return 0;
			}
			break;
		default:
			if (hexval(c) == -1) {
				bad_line(r, "a bad \\x escape");
				return 0;
			}
			r->esc = r->esc == 2 ? 3 : 0;
			break;
		}
	}
	n = SHOW_MAX - r->showlen < i ? SHOW_MAX - r->showlen : i;
	memcpy(r->show + r->showlen, p, n);
	r->showlen += n;
	r->cur.path = fnv(r->cur.path, p, i);
	if (i < len) {
		i++;		/* the newline, hashed with the run */
		*eol = 1;
	}
	kt_sha256_update(&r->got, p, i);
	r->off += i;
	return i;
}

int
kt_manifest_read(struct kt_manifest_reader *r, const void *vbuf, size_t len)
{
	const unsigned char *p = vbuf, *end = p + len;
	int c, eol;

	if (r->failed)
		return -1;
	while (p < end) {
		if (r->state == R_PATH) {
			p += read_path(r, p, (size_t)(end - p), &eol);
			if (r->failed)
				return -1;
			if (eol) {
				if (line_done(r) == -1)
					return -1;
				r->state = R_LINE;
			}
			continue;
		}
		c = *p++;
		r->off++;
		switch (r->state) {
		case R_FIRST:
			if (c != (unsigned char)r->first[r->pos])
				return rfail(r, "expected the kt-tar manifest "
				    "after the end-of-archive marker, found "
				    "another comment (at byte %" PRIu64 ")",
				    r->off - 1);
			if (++r->pos == r->firstlen)
				r->state = R_LINE;
			break;
		case R_LINE:
			r->lineoff = r->off - 1;
			if (c == 'm') {
				r->state = R_MEMBERS;
				r->pos = 1;
				break;
			}
			r->state = R_SHA;
			r->pos = 0;
			/* FALLTHROUGH */
		case R_SHA:
			if (hexval(c) == -1)
				return bad_line(r, "a digest that is not "
				    "lowercase hex");
			r->hex[r->pos++] = (char)c;
			if (r->pos < KT_SHA256_HEXLEN)
				break;
			r->cur.data = fnv(FNV_INIT, r->hex, KT_SHA256_HEXLEN);
			if (r->hash) {
				kt_sha256_update(&r->got, r->hex,
				    KT_SHA256_HEXLEN);
				kt_sha256_update(&r->got, " ", 1);
			}
			r->state = R_TYPE;
			r->pos = 0;
			break;
		case R_TYPE:
			if (r->pos == 0) {
				if (c != ' ')
					return bad_line(r, "a digest that is "
					    "not 64 hex digits");
				r->pos = 1;
				break;
			}
			if (c != KT_MANIFEST_FILE && c != KT_MANIFEST_DIR &&
			    c != KT_MANIFEST_SYMLINK &&
			    c != KT_MANIFEST_HARDLINK &&
			    c != KT_MANIFEST_OTHER)
				return bad_line(r, "an unknown member type");
			r->type = c;
			r->meta[0] = (char)c;
			r->metalen = 1;
			r->state = R_TYPESP;
			break;
		case R_TYPESP:
			if (c != ' ')
				return bad_line(r, "a type that is not one "
				    "letter");
			r->meta[r->metalen++] = ' ';
			r->state = R_SIZE;
			r->digits = 0;
			break;
		case R_SIZE:
			if (c == ' ' && r->digits > 0) {
				r->meta[r->metalen++] = ' ';
				r->cur.meta = fnv(FNV_INIT, r->meta,
				    r->metalen);
				kt_sha256_update(&r->got, r->meta, r->metalen);
				r->cur.path = FNV_INIT;
				r->showlen = 0;
				r->esc = 0;
				r->state = R_PATH;
				break;
			}
			if (c < '0' || c > '9' || r->digits == 20 ||
			    (r->digits == 1 && r->meta[2] == '0'))
				return bad_line(r, "a size that is not a "
				    "decimal number");
			r->meta[r->metalen++] = (char)c;
			r->digits++;
			break;
		case R_MEMBERS:
			if (r->pos < sizeof(KT_MANIFEST_MEMBERS) - 1) {
				if (c != KT_MANIFEST_MEMBERS[r->pos++])
					return bad_line(r, "neither a member "
					    "nor the members count");
				if (r->pos == sizeof(KT_MANIFEST_MEMBERS) - 1) {
					r->count = 0;
					r->digits = 0;
					r->state = R_COUNT;
				}
			}
			break;
		case R_COUNT:
			if (c == '\n' && r->digits > 0) {
				if (members_done(r) == -1)
					return -1;
				r->state = R_DONE;
				break;
			}
			if (c < '0' || c > '9' || r->digits == 19 ||
			    (r->digits > 0 && r->count == 0))
				return bad_line(r, "a members count that is "
				    "not a decimal number");
			r->count = r->count * 10 + (uint64_t)(c - '0');
			r->digits++;
			break;
		case R_DONE:
			return rfail(r, "kt-tar manifest is malformed: data "
			    "after its members line (at byte %" PRIu64 ")",
			    r->off - 1);
		}
	}
	return 0;
}

int
kt_manifest_part_end(struct kt_manifest_reader *r)
{
	if (r->failed)
		return -1;
	if (r->state == R_DONE)
		return 1;
	if (r->state == R_LINE)
		return 0;
	if (r->state == R_FIRST)
		return rfail(r, "expected the kt-tar manifest after the "
		    "end-of-archive marker, found another comment (ending "
		    "at byte %" PRIu64 ")", r->off);
	return rfail(r, "kt-tar manifest is malformed: a part ends inside "
	    "the line at byte %" PRIu64, r->lineoff);
}

int
kt_manifest_reader_done(const struct kt_manifest_reader *r)
{
	return r->done;
}

uint64_t
kt_manifest_reader_members(const struct kt_manifest_reader *r)
{
	return r->nexpect;
}

const char *
kt_manifest_reader_error(const struct kt_manifest_reader *r)
{
	return r->failed ? r->error : "no error";
}

/*
 * Two readers fed the same archive's members by two parsers: the first
 * difference.  Fingerprints name the member for the first
 * KT_MANIFEST_FP_MAX members, the running digests decide for the rest.
 */
int
kt_manifest_reader_compare(struct kt_manifest_reader *a,
    struct kt_manifest_reader *b, uint64_t *index, const char **what)
{
	uint64_t i, n = a->nexpect < b->nexpect ? a->nexpect : b->nexpect;

	*index = 0;
	*what = NULL;
	if (n > KT_MANIFEST_FP_MAX)
		n = KT_MANIFEST_FP_MAX;
	for (i = 0; i < n; i++) {
		*index = i + 1;
		if (a->fps[i].path != b->fps[i].path)
			*what = "path";
		else if (a->fps[i].meta != b->fps[i].meta)
			*what = "type or size";
		else if (a->hash && b->hash && a->fps[i].data != b->fps[i].data)
			*what = "data";
		if (*what != NULL)
			return -1;
	}
	*index = 0;
	if (a->nexpect != b->nexpect) {
		*what = "number of members";
		return -1;
	}
	if (memcmp(want_digest(a), want_digest(b), KT_SHA256_LEN) != 0) {
		*what = "a member after the first " STR(KT_MANIFEST_FP_MAX);
		return -1;
	}
	return 0;
}

int
kt_manifest_type_of(struct archive_entry *e)
{
	if (archive_entry_hardlink(e) != NULL)
		return KT_MANIFEST_HARDLINK;
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return KT_MANIFEST_FILE;
	case AE_IFDIR:
		return KT_MANIFEST_DIR;
	case AE_IFLNK:
		return KT_MANIFEST_SYMLINK;
	default:
		return KT_MANIFEST_OTHER;
	}
}
