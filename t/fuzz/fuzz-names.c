/*
 * fuzz-names: kt-tar -x's checks of member names (bin/kt-tar-extract.c):
 * kt_tar_clean_name(), the symbolic link check and --exclude matching.
 * The input is NUL-separated: a member name, a symbolic link target, then
 * up to four --exclude patterns.  The target directory is "/" for inputs
 * of even size, "/srv/kt-root" for odd ones.
 *
 * The static functions are reached by including kt-tar-extract.c, which
 * changes nothing in kt-tar; kt_tar_exit() here returns to the harness
 * instead of ending it, so that a refusal is a verdict.
 *
 * Invariants:
 * - a cleaned name is never absolute, has no "..", "." or empty
 *   component, cleans to itself, and is the name's components in order;
 *   a name is refused only when it is absolute or has a ".." component;
 * - a symbolic link judged safe resolves inside the target directory
 *   (every component taken lexically, and no ".." after a name, since any
 *   name may itself be a link elsewhere inside);
 * - --exclude matches as kt-tar(1) documents it: fnmatch(3) without
 *   flags on the whole path without a trailing slash, or on one of its
 *   parent directories; so a pattern naming the member itself (spelt
 *   with "./", "/" or a trailing "/") excludes it, and whatever is under
 *   an excluded member is excluded too.
 */
#include "../../bin/kt-tar-extract.c"

#include <setjmp.h>

#include "fuzz.h"

#define ROOT	"/srv/kt-root"

static jmp_buf refused;
static int refusing;

void (*kt_tar_on_failure)(void);

void
kt_tar_exit(int code)
{
	fuzz_assert(refusing, "kt-tar exits (%d) where it should not", code);
	longjmp(refused, 1);
}

void
kt_tar_die(int code, const char *fmt, ...)
{
	kt_tar_exit(code);
}

void
kt_tar_print_name_to(FILE *fp, const char *name)
{
	fputs(name, fp);
}

/* The name's components that are neither empty nor ".", joined by "/";
   NULL when one is "..". */
static char *
components(const char *name)
{
	char *out, *o;
	const char *p = name, *c;
	size_t n;

	fuzz_assert((o = out = calloc(1, strlen(name) + 1)) != NULL, "memory");
	while (*p != '\0') {
		c = p;
		while (*p != '\0' && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (*p == '/')
			p++;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			free(out);
			return NULL;
		}
		if (o != out)
			*o++ = '/';
		memcpy(o, c, n);
		o += n;
	}
	return out;
}

static void
check_clean(const char *name, const char *clean, const char *why)
{
	char *ref = components(name), *again;
	const char *why2 = NULL;

	if (clean == NULL) {
		fuzz_assert(why != NULL && *why != '\0', "refused, no reason");
		fuzz_assert(name[0] == '/' || ref == NULL,
		    "\"%s\" refused (%s)", name, why);
		free(ref);
		return;
	}
	fuzz_assert(name[0] != '/' && ref != NULL, "\"%s\" accepted", name);
	fuzz_assert(clean[0] != '/', "\"%s\" cleans to an absolute path",
	    name);
	fuzz_assert(strcmp(clean, ref) == 0, "\"%s\" cleans to \"%s\"",
	    name, clean);
	fuzz_assert((again = kt_tar_clean_name(clean, &why2)) != NULL &&
	    strcmp(again, clean) == 0, "\"%s\" does not clean to itself",
	    clean);
	free(again);
	free(ref);
}

/* Whether the link REL -> TARGET, taken lexically, stays inside DIR with
   no ".." after a name. */
static int
resolves_inside(const char *dir, const char *rel, const char *target)
{
	char path[8192];
	size_t rootlen, depth = 0, n, len;
	const char *p, *c;
	int named = 0;

	if (*target == '/') {
		/* From the file system's root: it must pass DIR. */
		rootlen = strcmp(dir, "/") == 0 ? 0 : strlen(dir);
		if (strncmp(target, dir, rootlen) != 0 ||
		    (target[rootlen] != '/' && target[rootlen] != '\0'))
			return 0;
		p = target + rootlen;
	} else {
		/* The directory holding the link: its depth under DIR. */
		len = strlen(rel);
		while (len > 0 && rel[len - 1] != '/')
			len--;
		for (n = 0; n < len; n++)
			if (rel[n] == '/')
				depth++;
		p = target;
	}
	snprintf(path, sizeof(path), "%s", p);
	for (p = path; *p != '\0';) {
		c = p;
		n = strcspn(p, "/");
		p += n;
		p += strspn(p, "/");
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (named || *target == '/' || depth == 0)
				return 0;
			depth--;
			continue;
		}
		named = 1;
		depth++;
	}
	return 1;
}

static void
check_link(const char *dir, const char *name, const char *rel,
    const char *target)
{
	FILE *save = stderr;
	volatile int safe = 0;

	if (strlen(target) >= 8000)
		return;
	x.dir = (char *)dir;
	if ((stderr = fopen("/dev/null", "w")) == NULL)
		stderr = save;
	refusing = 1;
	if (setjmp(refused) == 0) {
		check_symlink(name, rel, target);
		safe = 1;
	}
	refusing = 0;
	if (stderr != save)
		fclose(stderr);
	stderr = save;
	if (safe)
		fuzz_assert(resolves_inside(dir, rel, target), "%s -> %s "
		    "judged safe under %s", rel, target, dir);
}

/* kt-tar(1): leading "/" and "./", trailing "/" dropped. */
static const char *
tidy(const char *pattern, char *buf, size_t len)
{
	size_t n;

	while (*pattern == '/' || (pattern[0] == '.' && pattern[1] == '/'))
		pattern += *pattern == '/' ? 1 : 2;
	snprintf(buf, len, "%s", pattern);
	for (n = strlen(buf); n > 0 && buf[n - 1] == '/'; n--)
		buf[n - 1] = '\0';
	return buf;
}

/* The documented semantics: PATTERNS matches REL or a parent of it. */
static int
doc_excluded(char *const *patterns, int n, const char *rel)
{
	char prefix[8192];
	size_t len;
	int i;

	for (len = 1; rel[len - 1] != '\0'; len++) {
		if (rel[len] != '/' && rel[len] != '\0')
			continue;
		memcpy(prefix, rel, len);
		prefix[len] = '\0';
		for (i = 0; i < n; i++)
			if (fnmatch(patterns[i], prefix, 0) == 0)
				return 1;
		if (rel[len] == '\0')
			break;
	}
	return 0;
}

static void
check_exclude(char *const *raw, int n, const char *rel)
{
	struct kt_tar_opts o = { 0 };
	char buf[4][8192], *tidied[4], self[8192 * 2 + 4], *q, child[8192];
	const char *p;
	int i, doc;

	if (*rel == '\0' || strlen(rel) >= 4000)
		return;
	for (i = 0; i < n; i++) {
		tidied[i] = (char *)tidy(raw[i], buf[i], sizeof(buf[i]));
		if (*tidied[i] == '\0')
			return;		/* a usage error */
	}
	for (i = 0; i < n; i++) {
		kt_tar_exclude_add(&o, raw[i]);
		fuzz_assert(strcmp(o.excludes[i], tidied[i]) == 0,
		    "--exclude %s tidied to \"%s\"", raw[i], o.excludes[i]);
	}
	x.o = &o;
	doc = doc_excluded(tidied, n, rel);
	fuzz_assert((excluded_by(rel) != NULL) == doc, "%s %sexcluded",
	    rel, doc ? "not " : "");
	/* Under an excluded member, everything is excluded. */
	snprintf(child, sizeof(child), "%s/x", rel);
	if (doc)
		fuzz_assert(excluded_by(child) != NULL, "%s not excluded "
		    "under excluded %s", child, rel);
	for (i = 0; i < o.nexcludes; i++)
		free(o.excludes[i]);
	free(o.excludes);
	/* The member's own name, escaped, spelt as a user might. */
	memset(&o, 0, sizeof(o));
	q = self;
	*q++ = '.';
	*q++ = '/';
	for (p = rel; *p != '\0'; p++) {
		if (strchr("*?[\\", *p) != NULL)
			*q++ = '\\';
		*q++ = *p;
	}
	*q++ = '/';
	*q = '\0';
	kt_tar_exclude_add(&o, self);
	x.o = &o;
	fuzz_assert(excluded_by(rel) != NULL, "--exclude %s does not "
	    "exclude %s", self, rel);
	free(o.excludes[0]);
	free(o.excludes);
	x.o = NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *field[6], *clean;
	const char *why = NULL;
	const char *dir = size % 2 ? ROOT : "/";
	size_t i, nf = 0;

	/* NUL-terminated fields, the last one ended by the input's end. */
	fuzz_assert((copy = malloc(size + 1)) != NULL, "memory");
	memcpy(copy, data, size);
	copy[size] = '\0';
	field[nf++] = copy;
	for (i = 0; i < size && nf < 6; i++)
		if (copy[i] == '\0')
			field[nf++] = copy + i + 1;
	clean = kt_tar_clean_name(field[0], &why);
	check_clean(field[0], clean, why);
	if (clean != NULL && nf > 1)
		check_link(dir, field[0], clean, field[1]);
	if (clean != NULL)
		check_exclude(field + 2, nf > 2 ? (int)nf - 2 : 0, clean);
	free(clean);
	free(copy);
	return 0;
}
