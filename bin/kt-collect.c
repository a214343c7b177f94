/*
 * kt-collect: list the files to back up, one path a line (NUL-separated
 * with -0), relative to a root directory, for kt-tar -c to archive.
 *
 * Directories come before their contents, in a stable sorted order;
 * symbolic links are listed, not followed; the walk stays on the file
 * system of each starting path.  Exclusions follow rsync's rules, as the
 * seed's `rsync --exclude` commands use them.
 *
 * A list that is cut short would become a backup that silently lacks
 * files, and in a plain sh pipeline the reader never sees our exit
 * status: so the list is framed by a begin and an end record, the end
 * record written only once the list is whole, and when anything goes
 * wrong the list ends with an unterminated record; kt-tar refuses both
 * kinds of incomplete list (kt_pathlist.h).  --plain leaves the framing
 * out, for other readers.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt_cleanup.h"
#include "kt_err.h"
#include "kt_io.h"
#include "kt_pathlist.h"

#define MAX_EXCLUDES	4

static const struct preset {
	const char *name;
	const char *path;
	const char *excludes[MAX_EXCLUDES];
	const char *what;
} presets[] = {
	{ "kts", "/var/lib/keytrustee/.keytrustee", { NULL },
	    "Key Trustee Server configuration directory (GnuPG and TLS keys)" },
	{ "kms", "/var/lib/kms-keytrustee", { NULL },
	    "Key Trustee KMS client: configuration and keys" },
	{ "navencrypt", "/etc/navencrypt", { NULL },
	    "Navigator Encrypt client: configuration and keys" },
	{ "passive-db", "/var/lib/keytrustee/db", { "recovery.conf", NULL },
	    "database of a passive server, to rebuild the active one" },
	{ "passive-conf", "/var/lib/keytrustee/.keytrustee",
	    { ".ssl", "*.pid", NULL },
	    "configuration of a passive server, to rebuild the active one" },
};
#define NPRESETS	(sizeof(presets) / sizeof(presets[0]))

/* An exclusion, compiled from rsync's syntax. */
struct pattern {
	const char *text;	/* as given, for messages */
	char *glob;		/* without a leading or trailing slash */
	int dir_only;		/* trailing slash: directories only */
	int anchored;		/* leading slash: from the root */
	int whole_path;		/* has a slash or "**": match a path */
};

/* A starting point of the walk. */
struct start {
	char *rel;		/* relative to the root; "" is the root */
	const char *arg;	/* as given, for messages */
	struct pattern excludes[MAX_EXCLUDES];	/* its preset's own */
	int nexcludes;
};

static struct {
	int nul;
	int plain;		/* --plain: no begin and end records */
	unsigned long long count;	/* paths listed */
	const char *rootdir;
	int rootfd;
	struct pattern *excludes;	/* --exclude, for every start */
	int nexcludes;
	struct start *starts;
	int nstarts;
	int failed;
	int complete;		/* the list on stdout is whole */
} run;

static void __attribute__((noreturn))
usage(int status)
{
	if (status == KT_EXIT_OK)
		run.complete = 1;
	fprintf(status == KT_EXIT_OK ? stdout : stderr,
	    "usage: kt-collect [-0qv] [--plain] [-C root] "
	    "[--exclude pattern]...\n"
	    "                  [--preset name]... [path ...]\n");
	exit(status);
}

/* Whatever ends the program, a list that is not whole says so. */
static void
end_list(void)
{
	if (!run.complete && !isatty(STDOUT_FILENO))
		kt_pathlist_put_incomplete(stdout);
}

static void
compile(struct pattern *p, const char *text)
{
	size_t len;

	memset(p, 0, sizeof(*p));
	p->text = text;
	if (*text == '/') {
		p->anchored = 1;
		text++;
	}
	if ((p->glob = strdup(text)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	len = strlen(p->glob);
	while (len > 0 && p->glob[len - 1] == '/') {
		p->dir_only = 1;
		p->glob[--len] = '\0';
	}
	if (len == 0)
		errx(KT_EXIT_USAGE, "empty exclude pattern: %s", p->text);
	p->whole_path = p->anchored || strchr(p->glob, '/') != NULL ||
	    strstr(p->glob, "**") != NULL;
}

/* Matches S against a [...] class at P; returns the character after the
   class, or NULL when S does not match. */
static const char *
match_class(const char *p, int c)
{
	int neg = 0, hit = 0, lo;

	p++;
	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	do {
		if (*p == '\0')
			return NULL;	/* unterminated: matches nothing */
		if (*p == '\\' && p[1] != '\0')
			p++;
		lo = (unsigned char)*p++;
		if (*p == '-' && p[1] != ']' && p[1] != '\0') {
			p++;
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (c >= lo && c <= (unsigned char)*p)
				hit = 1;
			p++;
		} else if (c == lo)
			hit = 1;
	} while (*p != ']');
	return hit != neg ? p + 1 : NULL;
}

/* rsync's wildcards: '*' stays within one path component, '**' crosses
   slashes, '?' is one character but a slash, [...] a class. */
static int
glob_match(const char *p, const char *s)
{
	for (;;) {
		switch (*p) {
		case '\0':
			return *s == '\0';
		case '*':
			if (p[1] == '*') {
				while (*p == '*')
					p++;
				for (;; s++) {
					if (glob_match(p, s))
						return 1;
					if (*s == '\0')
						return 0;
				}
			}
			p++;
			for (;; s++) {
				if (glob_match(p, s))
					return 1;
				if (*s == '\0' || *s == '/')
					return 0;
			}
		case '?':
			if (*s == '\0' || *s == '/')
				return 0;
			p++;
			s++;
			break;
		case '[':
			if (*s == '\0' || *s == '/' ||
			    (p = match_class(p, (unsigned char)*s)) == NULL)
				return 0;
			s++;
			break;
		case '\\':
			if (p[1] != '\0')
				p++;
			/* FALLTHROUGH */
		default:
			if (*p != *s)
				return 0;
			p++;
			s++;
		}
	}
}

/* REL is the path from the root, NAME its last component.  A pattern
   with a slash matches the end of the path at a component boundary, or
   the whole path when anchored; one without matches the name. */
static const struct pattern *
match_one(const struct pattern *p, int n, const char *rel, const char *name,
    int isdir)
{
	const char *s;
	int i;

	for (i = 0; i < n; i++, p++) {
		if (p->dir_only && !isdir)
			continue;
		if (!p->whole_path) {
			if (glob_match(p->glob, name))
				return p;
			continue;
		}
		if (p->anchored) {
			if (glob_match(p->glob, rel))
				return p;
			continue;
		}
		for (s = rel; s != NULL; s = strchr(s, '/')) {
			if (*s == '/')
				s++;
			if (glob_match(p->glob, s))
				return p;
		}
	}
	return NULL;
}

static int
excluded(const struct start *st, const char *rel, const char *name,
    int isdir)
{
	const struct pattern *p;

	if ((p = match_one(run.excludes, run.nexcludes, rel, name, isdir)) ==
	    NULL && (p = match_one(st->excludes, st->nexcludes, rel, name,
	    isdir)) == NULL)
		return 0;
	kt_verbose("excluding %s (pattern %s)", rel, p->text);
	return 1;
}

/* The path as the operator knows it: under the root. */
static const char *
shown(const char *rel)
{
	static char *buf;

	free(buf);
	if (asprintf(&buf, "%s%s%s", strcmp(run.rootdir, "/") == 0 ? "" :
	    run.rootdir, "/", rel) == -1)
		err(KT_EXIT_FAIL, NULL);
	return buf;
}

static void
problem(const char *rel)
{
	warn("%s", shown(rel));
	run.failed = 1;
}

/* Prints REL if it is something kt-tar can archive and restore. */
static int
emit(int dirfd, const char *name, const char *rel, const struct stat *sb)
{
	const char *kind = NULL;

	if (S_ISSOCK(sb->st_mode))
		kind = "socket";
	else if (S_ISFIFO(sb->st_mode))
		kind = "FIFO";
	else if (S_ISCHR(sb->st_mode) || S_ISBLK(sb->st_mode))
		kind = "device node";
	if (kind != NULL) {
		kt_info("skipping %s %s: it cannot be restored", kind,
		    shown(rel));
		return 0;
	}
	if (S_ISREG(sb->st_mode) &&
	    faccessat(dirfd, name, R_OK, AT_EACCESS) == -1) {
		problem(rel);
		return 0;
	}
	if (kt_pathlist_put(stdout, rel, run.nul) == 0) {
		run.count++;
		return 1;
	}
	if (errno == EINVAL) {
		warnx("%s: name holds a newline: use -0", shown(rel));
		run.failed = 1;
		return 0;
	}
	kt_write_failed(errno, "standard output");
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the names in directory FD, sorted; NULL after a reported error. */
static char **
read_names(int fd, const char *rel, size_t *count)
{
	char **names = NULL, **grown;
	struct dirent *de;
	size_t n = 0, cap = 0;
	DIR *d;
	int dfd;

	if ((dfd = dup(fd)) == -1 || (d = fdopendir(dfd)) == NULL) {
		problem(rel);
		if (dfd != -1)
			close(dfd);
		return NULL;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((grown = reallocarray(names, cap,
			    sizeof(*names))) == NULL)
				err(KT_EXIT_FAIL, NULL);
			names = grown;
		}
		if ((names[n++] = strdup(de->d_name)) == NULL)
			err(KT_EXIT_FAIL, NULL);
	}
	if (errno != 0) {
		problem(rel);
		closedir(d);
		while (n > 0)
			free(names[--n]);
		free(names);
		return NULL;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	*count = n;
	return names;
}

static void walk(const struct start *, int, const char *, dev_t);

/* Lists REL, found as AT in directory DIRFD, and, for a directory on the
   same file system, what it holds. */
static void
visit(const struct start *st, int dirfd, const char *at, const char *rel,
    dev_t dev)
{
	const char *name;
	struct stat sb;
	int fd;

	name = strrchr(rel, '/');
	name = name != NULL ? name + 1 : rel;
	if (fstatat(dirfd, at, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		/* Files come and go in a live directory (pid files, locks);
		   only a starting point must be there. */
		if (errno == ENOENT && strcmp(rel, st->rel) != 0) {
			kt_info("%s vanished while being listed", shown(rel));
			return;
		}
		problem(rel);
		return;
	}
	if (excluded(st, rel, name, S_ISDIR(sb.st_mode)))
		return;
	if (!emit(dirfd, at, rel, &sb) || !S_ISDIR(sb.st_mode))
		return;
	if (dev != (dev_t)-1 && sb.st_dev != dev) {
		kt_info("not descending into %s: another file system",
		    shown(rel));
		return;
	}
	fd = openat(dirfd, at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		problem(rel);
		return;
	}
	walk(st, fd, rel, sb.st_dev);
	close(fd);
}

static void
walk(const struct start *st, int fd, const char *rel, dev_t dev)
{
	char **names, *child;
	size_t i, n;

	if ((names = read_names(fd, rel, &n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (asprintf(&child, "%s%s%s", rel, *rel != '\0' ? "/" : "",
		    names[i]) == -1)
			err(KT_EXIT_FAIL, NULL);
		visit(st, fd, names[i], child, dev);
		free(child);
		free(names[i]);
	}
	free(names);
}

static void
collect(const struct start *st)
{
	struct stat sb;
	char target[256];
	ssize_t n;

	if (*st->rel == '\0') {
		/* The whole root: its contents, not the root itself. */
		if (fstatat(run.rootfd, ".", &sb, 0) == -1) {
			problem("");
			return;
		}
		walk(st, run.rootfd, "", sb.st_dev);
		return;
	}
	if (fstatat(run.rootfd, st->rel, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(sb.st_mode)) {
		n = readlinkat(run.rootfd, st->rel, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		warnx("%s is a symbolic link (to %s): listed, but what it "
		    "points to is not", shown(st->rel), target);
	}
	visit(st, run.rootfd, st->rel, st->rel, (dev_t)-1);
}

/* "/var/lib/x/" -> "var/lib/x"; refuses what is not an absolute path
   inside the root. */
static char *
normalize(const char *arg)
{
	char *out, *o, *copy, *tok, *save;

	if (*arg != '/')
		errx(KT_EXIT_USAGE, "%s: not an absolute path (paths are taken "
		    "under the root, see -C)", arg);
	if ((copy = strdup(arg)) == NULL || (out = malloc(strlen(arg) + 1))
	    == NULL)
		err(KT_EXIT_FAIL, NULL);
	o = out;
	for (tok = strtok_r(copy, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0)
			errx(KT_EXIT_USAGE, "%s: \"..\" is not allowed in a "
			    "path", arg);
		if (o != out)
			*o++ = '/';
		o = stpcpy(o, tok);
	}
	*o = '\0';
	free(copy);
	return out;
}

static void
add_start(const char *arg, const char *const *excludes)
{
	struct start *st;

	if ((run.starts = reallocarray(run.starts, run.nstarts + 1,
	    sizeof(*run.starts))) == NULL)
		err(KT_EXIT_FAIL, NULL);
	st = &run.starts[run.nstarts++];
	memset(st, 0, sizeof(*st));
	st->arg = arg;
	st->rel = normalize(arg);
	for (; excludes != NULL && *excludes != NULL; excludes++)
		compile(&st->excludes[st->nexcludes++], *excludes);
}

static void
list_presets(void)
{
	size_t i;
	int j;

	run.complete = 1;
	for (i = 0; i < NPRESETS; i++) {
		printf("%-13s %s", presets[i].name, presets[i].path);
		for (j = 0; presets[i].excludes[j] != NULL; j++)
			printf(" --exclude '%s'", presets[i].excludes[j]);
		printf("\n%-13s %s\n", "", presets[i].what);
	}
	kt_close_stdout_or_die();
	exit(KT_EXIT_OK);
}

static void
add_preset(const char *name)
{
	size_t i;

	if (strcmp(name, "help") == 0)
		list_presets();
	for (i = 0; i < NPRESETS; i++)
		if (strcmp(name, presets[i].name) == 0) {
			add_start(presets[i].path, presets[i].excludes);
			return;
		}
	errx(KT_EXIT_USAGE, "no preset named %s (kt-collect --preset help "
	    "lists them)", name);
}

static int
inside(const char *rel, const char *outer)
{
	size_t n = strlen(outer);

	return n == 0 || (strncmp(rel, outer, n) == 0 &&
	    (rel[n] == '\0' || rel[n] == '/'));
}

/* Every exclusion of A is also one of B: then B lists no more than A. */
static int
fewer_excludes(const struct start *a, const struct start *b)
{
	int i, j;

	for (i = 0; i < a->nexcludes; i++) {
		for (j = 0; j < b->nexcludes; j++)
			if (strcmp(a->excludes[i].text,
			    b->excludes[j].text) == 0)
				break;
		if (j == b->nexcludes)
			return 0;
	}
	return 1;
}

static void
free_start(struct start *st)
{
	int i;

	free(st->rel);
	for (i = 0; i < st->nexcludes; i++)
		free(st->excludes[i].glob);
}

static int
by_rel(const void *a, const void *b)
{
	return strcmp(((const struct start *)a)->rel,
	    ((const struct start *)b)->rel);
}

/* Sorts the starting points and drops those another one already covers,
   so no path is listed twice. */
static void
plan(void)
{
	struct start *kept = NULL, *a, *b;
	int i, j, n = 0;

	qsort(run.starts, run.nstarts, sizeof(*run.starts), by_rel);
	if ((kept = calloc(run.nstarts, sizeof(*kept))) == NULL)
		err(KT_EXIT_FAIL, NULL);
	for (i = 0; i < run.nstarts; i++) {
		b = &run.starts[i];
		for (j = 0; j < n; j++) {
			a = &kept[j];
			if (!inside(b->rel, a->rel))
				continue;
			if (strcmp(a->rel, b->rel) == 0 &&
			    fewer_excludes(b, a)) {
				free_start(a);
				*a = *b;	/* B covers A: keep B */
				break;
			}
			if (fewer_excludes(a, b)) {
				free_start(b);	/* A covers B */
				break;
			}
			errx(KT_EXIT_USAGE, "%s and %s overlap with different "
			    "exclusions: collect them separately", a->arg,
			    b->arg);
		}
		if (j == n)
			kept[n++] = *b;
	}
	free(run.starts);
	run.starts = kept;
	run.nstarts = n;
}

int
main(int argc, char *argv[])
{
	enum { OPT_EXCLUDE = 256, OPT_PLAIN, OPT_PRESET };
	static char obuf[64 * 1024];
	static const struct option longopts[] = {
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "help", no_argument, NULL, 'h' },
		{ "null", no_argument, NULL, '0' },
		{ "plain", no_argument, NULL, OPT_PLAIN },
		{ "preset", required_argument, NULL, OPT_PRESET },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, i;

	kt_init();
	atexit(end_list);
	run.rootdir = "/";
	while ((ch = getopt_long(argc, argv, "0C:hqv", longopts, NULL))
	    != -1) {
		switch (ch) {
		case '0':
			run.nul = 1;
			break;
		case 'C':
			run.rootdir = optarg;
			break;
		case 'q':
			kt_verbosity = 0;
			break;
		case 'v':
			kt_verbosity = 2;
			break;
		case OPT_EXCLUDE:
			if ((run.excludes = reallocarray(run.excludes,
			    run.nexcludes + 1, sizeof(*run.excludes))) == NULL)
				err(KT_EXIT_FAIL, NULL);
			compile(&run.excludes[run.nexcludes++], optarg);
			break;
		case OPT_PLAIN:
			run.plain = 1;
			break;
		case OPT_PRESET:
			add_preset(optarg);
			break;
		case 'h':
			usage(KT_EXIT_OK);
		default:
			usage(KT_EXIT_USAGE);
		}
	}
	for (i = optind; i < argc; i++)
		add_start(argv[i], NULL);
	if (run.nstarts == 0)
		errx(KT_EXIT_USAGE, "nothing to collect: give a path or "
		    "--preset (--preset help lists them)");
	if (*run.rootdir == '\0')
		errx(KT_EXIT_USAGE, "-C needs a directory");
	plan();

	run.rootfd = open(run.rootdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (run.rootfd == -1)
		err(KT_EXIT_FAIL, "root %s", run.rootdir);
	/* With a NULL buffer glibc would ignore the size. */
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	if (!run.plain && kt_pathlist_put_begin(stdout, run.nul) == -1)
		kt_write_failed(errno, "standard output");
	for (i = 0; i < run.nstarts; i++)
		collect(&run.starts[i]);
	if (run.failed)
		exit(KT_EXIT_FAIL);
	/* The list is whole: only now does it say so. */
	if (!run.plain && kt_pathlist_put_end(stdout, run.nul, run.count) == -1)
		kt_write_failed(errno, "standard output");
	run.complete = 1;
	kt_close_stdout_or_die();
	return KT_EXIT_OK;
}
