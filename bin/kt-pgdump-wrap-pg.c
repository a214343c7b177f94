/*
 * Finding and running PostgreSQL's own programs, pg_dump and psql, and
 * turning what they say on failure into one clear line.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt-pgdump-wrap.h"
#include "kt_err.h"
#include "kt_io.h"
#include "kt_proc.h"

extern char **environ;

void
argv_add(struct argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap == 0 ? 32 : a->cap * 2;
		if ((a->v = reallocarray(a->v, a->cap, sizeof(*a->v))) == NULL)
			err(KT_EXIT_FAIL, NULL);
	}
	if ((a->v[a->n++] = strdup(s)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	a->v[a->n] = NULL;
}

void
argv_free(struct argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

static char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	return p;
}

/* --- which PostgreSQL -------------------------------------------------- */

static int
has_program(const char *dir, const char *name)
{
	char *p = NULL;
	int ok;

	if (asprintf(&p, "%s/%s", dir, name) == -1)
		err(KT_EXIT_FAIL, NULL);
	ok = access(p, X_OK) == 0;
	free(p);
	return ok;
}

/*
 * The parcel's newest PostgreSQL: .../postgres/VERSION/bin, the VERSION
 * that sorts last as a version (9.3 before 10.2).  NULL when there is
 * none.
 */
static char *
parcel_bindir(void)
{
	const char *root = getenv("KT_PG_PARCEL_DIR");
	char *pattern, *best = NULL;
	glob_t g;
	size_t i;

	if (root == NULL || *root == '\0')
		root = PARCEL_PG_DIR;
	if (asprintf(&pattern, "%s/*/bin", root) == -1)
		err(KT_EXIT_FAIL, NULL);
	if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0) {
		free(pattern);
		return NULL;
	}
	free(pattern);
	for (i = 0; i < g.gl_pathc; i++) {
		if (!has_program(g.gl_pathv[i], "psql") &&
		    !has_program(g.gl_pathv[i], "pg_dump"))
			continue;
		if (best == NULL || strverscmp(g.gl_pathv[i], best) > 0)
			best = g.gl_pathv[i];
	}
	best = best != NULL ? xstrdup(best) : NULL;
	globfree(&g);
	return best;
}

/* DIR/../lib, if it holds a libpq: the library the programs of DIR were
   built against, as the seed sets LD_LIBRARY_PATH by hand. */
static char *
libdir_of(const char *bindir)
{
	char *lib, *pattern;
	glob_t g;
	int found;

	if (asprintf(&lib, "%s/../lib", bindir) == -1 ||
	    asprintf(&pattern, "%s/libpq.so*", lib) == -1)
		err(KT_EXIT_FAIL, NULL);
	found = glob(pattern, GLOB_NOSORT, NULL, &g) == 0;
	if (found)
		globfree(&g);
	free(pattern);
	if (!found) {
		free(lib);
		return NULL;
	}
	return lib;
}

static void
env_set(struct argv *env, const char *name, const char *value)
{
	size_t i, len = strlen(name);
	char *s;

	if (asprintf(&s, "%s=%s", name, value) == -1)
		err(KT_EXIT_FAIL, NULL);
	for (i = 0; i < env->n; i++)
		if (strncmp(env->v[i], name, len) == 0 &&
		    env->v[i][len] == '=') {
			free(env->v[i]);
			env->v[i] = s;
			return;
		}
	argv_add(env, s);
	free(s);
}

/*
 * The children's environment: ours, with libpq's variables (PGHOST,
 * PGPASSFILE, PGPASSWORD...) passed on, but none of psql's own (PSQLRC,
 * PSQL_PAGER...), which could change what a restore runs.
 */
static void
build_env(struct pg *pg, const char *bindir, int parcel)
{
	struct argv env = { 0 };
	const char *old;
	char *lib, *s;
	char **e;

	for (e = environ; *e != NULL; e++)
		if (strncmp(*e, "PSQL", 4) != 0)
			argv_add(&env, *e);
	if (bindir != NULL && (lib = libdir_of(bindir)) != NULL) {
		old = getenv("LD_LIBRARY_PATH");
		if (old != NULL && *old != '\0') {
			if (asprintf(&s, "%s:%s", lib, old) == -1)
				err(KT_EXIT_FAIL, NULL);
			env_set(&env, "LD_LIBRARY_PATH", s);
			free(s);
		} else
			env_set(&env, "LD_LIBRARY_PATH", lib);
		free(lib);
	}
	if (parcel) {
		/* The seed: export PATH=$PATH:.../postgres/9.3/bin */
		old = getenv("PATH");
		if (asprintf(&s, "%s:%s", old != NULL ? old : "", bindir) ==
		    -1)
			err(KT_EXIT_FAIL, NULL);
		env_set(&env, "PATH", s);
		free(s);
	}
	/* Our sessions, as other sessions' lists show them. */
	if (getenv("PGAPPNAME") == NULL)
		env_set(&env, "PGAPPNAME", "kt-pgdump-wrap");
	/* A cron job must not hang on a host that does not answer. */
	if (getenv("PGCONNECT_TIMEOUT") == NULL)
		env_set(&env, "PGCONNECT_TIMEOUT", "30");
	pg->env = env.v;
}

static char *
program(const char *bindir, const char *name)
{
	char *p;

	if (bindir != NULL) {
		if (asprintf(&p, "%s/%s", bindir, name) == -1)
			err(KT_EXIT_FAIL, NULL);
		return p;
	}
	if ((p = kt_proc_find(name, getenv("PATH"))) != NULL)
		return p;
	return NULL;
}

void
pg_init(struct pg *pg, const char *bindir)
{
	char *dir = NULL;
	int parcel = 0;

	if (bindir != NULL) {
		struct stat st;

		if (stat(bindir, &st) == -1)
			err(KT_EXIT_FAIL, "--pg-bindir %s", bindir);
		if (!S_ISDIR(st.st_mode))
			errx(KT_EXIT_FAIL, "--pg-bindir %s: not a directory",
			    bindir);
		dir = xstrdup(bindir);
	} else if ((dir = parcel_bindir()) != NULL)
		parcel = 1;
	pg->bindir = dir;
	pg->pg_dump = program(dir, "pg_dump");
	pg->psql = program(dir, "psql");
	if (pg->port == NULL)
		pg->port = getenv("PGPORT") != NULL && *getenv("PGPORT") !=
		    '\0' ? getenv("PGPORT") : DEFAULT_PORT;
	build_env(pg, dir, parcel);
	kt_verbose("PostgreSQL programs: %s%s", dir != NULL ? dir :
	    "from PATH", parcel ? " (the parcel's)" : "");
}

/* Exits when NAME was not found. */
static const char *
need(const char *path, const char *name)
{
	if (path != NULL)
		return path;
	errx(KT_EXIT_FAIL, "%s not found in PATH (nor a parcel PostgreSQL "
	    "in %s): install the PostgreSQL client programs or give "
	    "--pg-bindir", name, getenv("KT_PG_PARCEL_DIR") != NULL ?
	    getenv("KT_PG_PARCEL_DIR") : PARCEL_PG_DIR);
}

static const char *
user_name(const struct pg *pg)
{
	struct passwd *pw;
	const char *u = pg->user;

	if (u == NULL || *u == '\0')
		u = getenv("PGUSER");
	if ((u == NULL || *u == '\0') && (pw = getpwuid(geteuid())) != NULL)
		u = pw->pw_name;
	return u != NULL ? u : "?";
}

const char *
pg_where(const struct pg *pg)
{
	static char buf[1024];
	const char *h = pg->host;

	if (h == NULL || *h == '\0')
		h = getenv("PGHOST");
	if (h == NULL || *h == '\0')
		h = "the default socket directory";
	snprintf(buf, sizeof(buf), "PostgreSQL on %s port %s", h, pg->port);
	return buf;
}

char *
pg_conninfo(const char *db)
{
	size_t len = strlen(db), i, j = 0;
	char *v, *s;

	/* Single quotes, with \ and ' escaped by a backslash. */
	if ((v = malloc(2 * len + 1)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	for (i = 0; i < len; i++) {
		if (db[i] == '\\' || db[i] == '\'')
			v[j++] = '\\';
		v[j++] = db[i];
	}
	v[j] = '\0';
	if (asprintf(&s, "dbname='%s'", v) == -1)
		err(KT_EXIT_FAIL, NULL);
	free(v);
	return s;
}

static void
add_conn(const struct pg *pg, struct argv *a, const char *db)
{
	char *ci;

	argv_add(a, "-w");		/* never prompt: see the manual */
	if (pg->host != NULL) {
		argv_add(a, "-h");
		argv_add(a, pg->host);
	}
	argv_add(a, "-p");
	argv_add(a, pg->port);
	if (pg->user != NULL) {
		argv_add(a, "-U");
		argv_add(a, pg->user);
	}
	argv_add(a, "-d");
	ci = pg_conninfo(db);
	argv_add(a, ci);
	free(ci);
}

static void
verbose_argv(const struct argv *a)
{
	char line[2048];
	size_t i, off = 0;

	if (kt_verbosity < 2)
		return;
	line[0] = '\0';
	for (i = 0; i < a->n && off < sizeof(line); i++)
		off += snprintf(line + off, sizeof(line) - off, "%s%s",
		    i > 0 ? " " : "", strcmp(a->v[i], "\x1f") == 0 ? "'\\x1f'" :
		    a->v[i]);
	kt_verbose("running %s", line);
}

void
pg_psql_start(struct pg *pg, struct kt_proc *p, const char *db,
    const char *const extra[], enum kt_proc_fd in, enum kt_proc_fd out,
    enum kt_proc_fd errfd)
{
	const char *psql = need(pg->psql, "psql");
	struct argv a = { 0 };

	argv_add(&a, psql);
	argv_add(&a, "-X");
	argv_add(&a, "-q");
	argv_add(&a, "-v");
	argv_add(&a, "ON_ERROR_STOP=1");
	add_conn(pg, &a, db);
	for (; extra != NULL && *extra != NULL; extra++)
		argv_add(&a, *extra);
	verbose_argv(&a);
	if (kt_proc_start(p, psql, a.v, pg->env, in, out, errfd) == -1)
		err(KT_EXIT_FAIL, "cannot run %s", psql);
	argv_free(&a);
}

void
pg_dump_start(struct pg *pg, struct kt_proc *p, const char *db,
    int if_exists)
{
	const char *pg_dump = need(pg->pg_dump, "pg_dump");
	struct argv a = { 0 };

	argv_add(&a, pg_dump);
	argv_add(&a, "--clean");
	if (if_exists)
		argv_add(&a, "--if-exists");
	argv_add(&a, "--format=plain");
	add_conn(pg, &a, db);
	verbose_argv(&a);
	if (kt_proc_start(p, pg_dump, a.v, pg->env, KT_PROC_DEVNULL,
	    KT_PROC_PIPE, KT_PROC_INHERIT) == -1)
		err(KT_EXIT_FAIL, "cannot run %s", pg_dump);
	argv_free(&a);
}

/* --- reading children's output ------------------------------------------ */

struct collect {
	char *buf;
	size_t len, cap;	/* cap bytes at most are kept */
};

static void
collect_add(struct collect *c, const char *p, size_t n)
{
	if (n > c->cap - c->len)
		n = c->cap - c->len;
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

struct lines {
	char buf[64 * 1024];
	size_t len;
	int overlong;
	void (*line)(void *, char *);
	void *arg;
};

static void
lines_add(struct lines *l, const char *p, size_t n)
{
	const char *nl;
	size_t k;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		if (k > sizeof(l->buf) - 1 - l->len) {
			l->overlong = 1;
			k = sizeof(l->buf) - 1 - l->len;
		}
		memcpy(l->buf + l->len, p, k);
		l->len += k;
		if (nl == NULL)
			return;
		l->buf[l->len] = '\0';
		if (l->line != NULL)
			l->line(l->arg, l->buf);
		l->len = 0;
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
}

/*
 * Reads the child's stdout (into LINES, if not NULL) and stderr (into
 * ERR) until both end.
 */
static void
drain(struct kt_proc *p, struct lines *lines, struct collect *errc)
{
	struct pollfd fds[2];
	char buf[16384];
	ssize_t n;
	int i;

	fds[0].fd = p->out;
	fds[1].fd = p->err;
	fds[0].events = fds[1].events = POLLIN;
	while (fds[0].fd != -1 || fds[1].fd != -1) {
		if (poll(fds, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(KT_EXIT_FAIL, "poll");
		}
		for (i = 0; i < 2; i++) {
			if (fds[i].fd == -1 || fds[i].revents == 0)
				continue;
			n = read(fds[i].fd, buf, sizeof(buf));
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				fds[i].fd = -1;
				continue;
			}
			if (i == 0 && lines != NULL)
				lines_add(lines, buf, (size_t)n);
			else if (i == 1)
				collect_add(errc, buf, (size_t)n);
		}
	}
}

int
pg_query(struct pg *pg, const char *db, const char *const vars[],
    const char *script, void (*line)(void *, char *), void *arg,
    char *errbuf, size_t errlen)
{
	static struct lines lines;
	struct collect errc = { errbuf, 0, errlen - 1 };
	struct argv extra = { 0 };
	struct kt_proc p;
	int status;

	argv_add(&extra, "-A");
	argv_add(&extra, "-t");
	argv_add(&extra, "-F");
	argv_add(&extra, "\x1f");
	for (; vars != NULL && *vars != NULL; vars++) {
		argv_add(&extra, "-v");
		argv_add(&extra, *vars);
	}
	errbuf[0] = '\0';
	pg_psql_start(pg, &p, db, (const char *const *)extra.v,
	    KT_PROC_PIPE, KT_PROC_PIPE, KT_PROC_PIPE);
	argv_free(&extra);
	/* Scripts are a few hundred bytes: the pipe takes them whole. */
	if (kt_write_full(p.in, script, strlen(script)) == -1 &&
	    errno != EPIPE)
		err(KT_EXIT_FAIL, "write to psql");
	kt_proc_close_in(&p);
	lines.len = 0;
	lines.overlong = 0;
	lines.line = line;
	lines.arg = arg;
	drain(&p, &lines, &errc);
	status = kt_proc_wait(&p);
	if (kt_proc_ok(status))
		return 0;
	if (errc.len == 0) {
		char sbuf[128];

		snprintf(errbuf, errlen, "psql %s",
		    kt_proc_status(status, sbuf, sizeof(sbuf)));
	}
	return -1;
}

/* --- what went wrong ---------------------------------------------------- */

int
pg_is_connect_error(const char *e)
{
	return strstr(e, "connection to server") != NULL ||
	    strstr(e, "could not connect to server") != NULL ||
	    strstr(e, "could not translate host name") != NULL ||
	    strncmp(e, "psql: FATAL", 11) == 0;
}

/* The first line of E, without psql's "psql: error: " and libpq's
   "connection to server ... failed: " and "FATAL:  ". */
static const char *
first_cause(const char *e)
{
	static char buf[512];
	const char *p;
	size_t n;

	if ((p = strstr(e, " failed: ")) != NULL)
		e = p + 9;
	else if (strncmp(e, "psql: error: ", 13) == 0)
		e += 13;
	else if (strncmp(e, "psql: ", 6) == 0)
		e += 6;
	while (strncmp(e, "FATAL:", 6) == 0 || strncmp(e, "ERROR:", 6) == 0)
		for (e += 6; *e == ' '; e++)
			;
	n = strcspn(e, "\n");
	snprintf(buf, sizeof(buf), "%.*s", (int)n, e);
	return buf;
}

const char *
pg_connect_error(const struct pg *pg, const char *db, const char *e)
{
	static char buf[1024];
	const char *where = pg_where(pg), *cause = first_cause(e), *p;

	if (strstr(e, "No such file or directory") != NULL &&
	    (p = strstr(e, "on socket \"")) != NULL)
		snprintf(buf, sizeof(buf), "cannot connect to %s: server "
		    "not running (no socket %.*s)", where,
		    (int)strcspn(p + 11, "\""), p + 11);
	else if (strstr(e, "No such file or directory") != NULL ||
	    strstr(e, "Connection refused") != NULL)
		snprintf(buf, sizeof(buf), "cannot connect to %s: server "
		    "not running (%s)", where, cause);
	else if (strstr(e, "no password supplied") != NULL)
		snprintf(buf, sizeof(buf), "cannot connect to %s as user "
		    "%s: authentication failed: the server wants a password "
		    "and none was given (use ~/.pgpass, PGPASSFILE or "
		    "PGPASSWORD; never the command line)", where,
		    user_name(pg));
	else if (strstr(e, "authentication failed") != NULL ||
	    strstr(e, "no pg_hba.conf entry") != NULL)
		snprintf(buf, sizeof(buf), "cannot connect to %s as user "
		    "%s: authentication failed (%s)", where, user_name(pg),
		    cause);
	else if (strstr(e, "role \"") != NULL &&
	    strstr(e, "does not exist") != NULL)
		snprintf(buf, sizeof(buf), "cannot connect to %s: role %s "
		    "does not exist", where, user_name(pg));
	else if (strstr(e, "database \"") != NULL &&
	    strstr(e, "does not exist") != NULL)
		snprintf(buf, sizeof(buf), "cannot connect to %s: database "
		    "%s does not exist%s", where, db, pg->missing_db_hint !=
		    NULL ? pg->missing_db_hint : "");
	else if (strstr(e, "starting up") != NULL ||
	    strstr(e, "shutting down") != NULL)
		snprintf(buf, sizeof(buf), "cannot connect to %s: %s", where,
		    cause);
	else
		snprintf(buf, sizeof(buf), "cannot connect to %s: %s", where,
		    cause);
	return buf;
}

const char *
pg_error_line(const char *e)
{
	const char *p;

	if ((p = strstr(e, "ERROR:")) != NULL || (p = strstr(e, "FATAL:"))
	    != NULL)
		e = p;
	return first_cause(e);
}

static void
version_line(void *arg, char *line)
{
	int *v = arg;

	if (*v == -1)
		*v = atoi(line);
}

void
pg_connect(struct pg *pg, const char *db)
{
	char e[4096];
	int v = -1;

	if (pg_query(pg, db, NULL,
	    "SELECT current_setting('server_version_num');\n",
	    version_line, &v, e, sizeof(e)) == -1) {
		if (pg_is_connect_error(e))
			errx(KT_EXIT_FAIL, "%s", pg_connect_error(pg, db, e));
		errx(KT_EXIT_FAIL, "database %s on %s: %s", db, pg_where(pg),
		    pg_error_line(e));
	}
	pg->server_version = v;
	kt_verbose("connected to database %s (%s, server %d)", db,
	    pg_where(pg), v);
}

/* --- versions ----------------------------------------------------------- */

static void
first_line(void *arg, char *line)
{
	char *buf = arg;

	if (buf[0] == '\0')
		snprintf(buf, 256, "%s", line);
}

int
pg_program_version(struct pg *pg, const char *path)
{
	char *argv[3], out[256] = "";
	struct lines *l;
	struct collect errc;
	char ebuf[512];
	struct kt_proc p;
	const char *s;
	int major, minor = 0, patch = 0;

	if (path == NULL)
		return 0;
	argv[0] = (char *)path;
	argv[1] = "--version";
	argv[2] = NULL;
	if (kt_proc_start(&p, path, argv, pg->env, KT_PROC_DEVNULL,
	    KT_PROC_PIPE, KT_PROC_PIPE) == -1)
		return 0;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		err(KT_EXIT_FAIL, NULL);
	l->line = first_line;
	l->arg = out;
	errc.buf = ebuf;
	errc.len = 0;
	errc.cap = sizeof(ebuf) - 1;
	drain(&p, l, &errc);
	free(l);
	if (!kt_proc_ok(kt_proc_wait(&p)))
		return 0;
	/* "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" */
	if ((s = strchr(out, ')')) == NULL)
		s = out;
	while (*s != '\0' && !isdigit((unsigned char)*s))
		s++;
	if (sscanf(s, "%d.%d.%d", &major, &minor, &patch) < 1)
		return 0;
	if (major >= 10)
		return major * 10000 + minor;
	return major * 10000 + minor * 100 + patch;
}
