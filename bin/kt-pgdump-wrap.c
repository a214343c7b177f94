/*
 * kt-pgdump-wrap: dump a PostgreSQL database with pg_dump, or restore a
 * dump with psql, all or nothing.
 *
 * A dump's end is held back until pg_dump has exited 0, so a failed dump
 * never ends with PostgreSQL's completion trailer.  A restore runs in one
 * transaction that is committed only when the input's trailer has been
 * seen; --recreate restores into a fresh database and swaps it in;
 * --check restores into a throwaway database and reports what it holds.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt-pgdump-wrap.h"
#include "kt_check.h"
#include "kt_cleanup.h"
#include "kt_err.h"
#include "kt_io.h"
#include "kt_proc.h"

/* Bytes of the stream held back until it is known to be complete: far
   more than the trailer ("-- PostgreSQL database dump complete", then
   "\unrestrict KEY") takes. */
#define TAIL_HOLD	8192
#define CHUNK		(1024 * 1024)
/* The pipes to and from PostgreSQL's programs: bigger than the default
   64 KiB, for fewer wake-ups on either side. */
#define PIPE_SIZE	(1024 * 1024)
_Static_assert(TAIL_HOLD >= KT_PGDUMP_TAIL_MAX,
    "the held-back tail must hold the whole trailer");
/* What is read of a dump before anything is done to a database. */
#define HEAD_MIN	4096

/* PostgreSQL's identifier limit (NAMEDATALEN - 1). */
#define NAME_MAX_LEN	63

enum mode { M_DUMP, M_RESTORE, M_CHECK };

struct options {
	enum mode mode;
	int recreate;
	int drop_old;
	const char *db;
};

static struct pg pg;

/* Set by the signal handler: the first SIGINT, SIGTERM or SIGHUP. */
static volatile sig_atomic_t caught;
/* The child a signal stops (pg_dump, or the restoring psql); 0: none. */
static volatile pid_t stoppable;
/* A database to drop if we fail: the throwaway or the fresh copy. */
static char *throwaway;

/* The one stream (pg_dump's output, or the dump to restore) and its
   recogniser: static, so that they stay reachable until exit. */
static char stream_buf[HEAD_MIN + TAIL_HOLD + CHUNK];
static struct kt_check *stream_check;

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: kt-pgdump-wrap [-qv] [-p port] [-h host] [-U user] "
	    "[--pg-bindir dir] [dbname]\n"
	    "       kt-pgdump-wrap --restore [--recreate [--drop-old]] [-qv] "
	    "[-p port] [-h host]\n"
	    "                      [-U user] [--pg-bindir dir] [dbname]\n"
	    "       kt-pgdump-wrap --check [-qv] [-p port] [-h host] "
	    "[-U user] [--pg-bindir dir]\n");
	exit(status);
}

/* --- signals ------------------------------------------------------------- */

static void
on_signal(int sig)
{
	if (caught == 0)
		caught = sig;
	if (stoppable > 0)
		kill(stoppable, SIGTERM);
}

static int drop_throwaway(void);

static void
raise_caught(void)
{
	int sig = caught;

	if (sig == 0)
		return;
	drop_throwaway();
	kt_cleanup_run();
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* read(2) that retries EINTR unless a signal asks us to stop. */
static ssize_t
xread(int fd, void *buf, size_t len)
{
	ssize_t n;

	for (;;) {
		if (caught) {
			errno = EINTR;
			return -1;
		}
		n = read(fd, buf, len);
		if (n >= 0 || errno != EINTR)
			return n;
		if (caught)
			return -1;
	}
}

static int
xwrite(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if (caught) {
			errno = EINTR;
			return -1;
		}
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR && !caught)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* --- small queries ------------------------------------------------------- */

static char *
xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r == -1)
		err(KT_EXIT_FAIL, NULL);
	return s;
}

/* The maintenance database --check and --recreate work from. */
static const char *
maintenance_db(const char *target)
{
	return target != NULL && strcmp(target, "postgres") == 0 ?
	    "template1" : "postgres";
}

/* Runs SCRIPT on DB; on failure exits with "WHAT: psql's error". */
static void
query_or_die(const char *db, const char *const vars[], const char *script,
    void (*line)(void *, char *), void *arg, const char *what)
{
	char e[4096];

	if (pg_query(&pg, db, vars, script, line, arg, e, sizeof(e)) == 0)
		return;
	if (pg_is_connect_error(e))
		errx(KT_EXIT_FAIL, "%s: %s", what, pg_connect_error(&pg, db, e));
	errx(KT_EXIT_FAIL, "%s: %s", what, pg_error_line(e));
}

/* Splits LINE at the field separator psql was given. */
static int
fields(char *line, char **f, int max)
{
	int n = 0;
	char *p;

	while (n < max) {
		f[n++] = line;
		if ((p = strchr(line, '\x1f')) == NULL)
			break;
		*p = '\0';
		line = p + 1;
	}
	return n;
}

struct target {
	int exists;
};

static void
exists_line(void *arg, char *line)
{
	struct target *t = arg;

	(void)line;
	t->exists = 1;
}

struct sessions {
	int n;
	char text[2048];
};

static void
session_line(void *arg, char *line)
{
	struct sessions *s = arg;
	char *f[4];
	size_t off = strlen(s->text);

	if (fields(line, f, 4) != 4)
		return;
	s->n++;
	if (off < sizeof(s->text) - 1)
		snprintf(s->text + off, sizeof(s->text) - off,
		    "  pid %s, user %s, application %s, client %s\n", f[0],
		    f[1], *f[2] != '\0' ? f[2] : "(none)", f[3]);
}

/* Fails, naming them, when other sessions are connected to DB. */
static void
refuse_if_in_use(const char *db, const char *after)
{
	const char *vars[] = { NULL, NULL };
	struct sessions s = { 0, "" };
	char *v;

	v = xasprintf("target=%s", db);
	vars[0] = v;
	query_or_die(maintenance_db(db), vars,
	    "SELECT pid, usename, application_name,\n"
	    "  coalesce(client_addr::text || ':' || client_port, "
	    "'local socket')\n"
	    "FROM pg_stat_activity\n"
	    "WHERE datname = :'target' AND pid <> pg_backend_pid()\n"
	    "ORDER BY pid;\n", session_line, &s, "listing the sessions");
	free(v);
	if (s.n == 0)
		return;
	fprintf(stderr, "%s: database %s is in use by %d other session%s; "
	    "%s:\n%s", kt_progname(), db, s.n, s.n == 1 ? "" : "s", after,
	    s.text);
	fflush(stderr);
	exit(KT_EXIT_FAIL);
}

/*
 * A database holding subscriptions cannot be dropped, and DROP
 * SUBSCRIPTION would drop the replication slot on the publisher, which
 * belongs to the live database: each subscription is disabled, detached
 * from its slot, then dropped.  That runs in the database itself, where
 * subscriptions are named.
 */
static const char detach_subscriptions_sql[] =
    "SELECT format('ALTER SUBSCRIPTION %I DISABLE', subname)\n"
    "  FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database\n"
    "  WHERE datname = current_database())\n"
    "\\gexec\n"
    "SELECT format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', subname)\n"
    "  FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database\n"
    "  WHERE datname = current_database())\n"
    "\\gexec\n"
    "SELECT format('DROP SUBSCRIPTION %I', subname)\n"
    "  FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database\n"
    "  WHERE datname = current_database())\n"
    "\\gexec\n";

/*
 * Drops NAME, one of ours (FORCE: ending a session we may have left
 * behind) or the old database --drop-old names.  Returns 0, or -1 with
 * the cause in E.
 */
static int
drop_db(const char *name, int force, char *e, size_t elen)
{
	const char *maint = maintenance_db(name);
	const char *vars[] = { NULL, NULL };
	struct target subs = { 0 };
	int r;

	vars[0] = xasprintf("name=%s", name);
	/* pg_subscription is shared: asked from outside, so that a
	   database without subscriptions is not connected to. */
	r = pg_query(&pg, maint, vars, "SELECT 1 FROM pg_subscription "
	    "WHERE subdbid = (SELECT oid FROM pg_database "
	    "WHERE datname = :'name') LIMIT 1;\n", exists_line, &subs, e,
	    elen);
	if (r == 0 && subs.exists) {
		r = pg_query(&pg, name, NULL, detach_subscriptions_sql, NULL,
		    NULL, e, elen);
		if (r == 0)
			kt_verbose("dropped the subscriptions of database %s, "
			    "detached from their slots", name);
	}
	if (r == 0)
		r = pg_query(&pg, maint, vars, force &&
		    pg.server_version >= 130000 ?
		    "DROP DATABASE IF EXISTS :\"name\" WITH (FORCE);\n" :
		    "DROP DATABASE IF EXISTS :\"name\";\n", NULL, NULL, e,
		    elen);
	free((char *)vars[0]);
	if (r == 0)
		kt_verbose("dropped database %s", name);
	return r;
}

/* A failure of drop_db() as one line. */
static const char *
drop_error(const char *name, const char *e)
{
	return pg_is_connect_error(e) ?
	    pg_connect_error(&pg, maintenance_db(name), e) : pg_error_line(e);
}

/* Drops the throwaway database, if any, whatever else failed.  Returns
   0, or -1 when it is left behind (and said so). */
static int
drop_throwaway(void)
{
	char *name = throwaway, e[4096];
	int r;

	if (name == NULL)
		return 0;
	throwaway = NULL;
	stoppable = 0;
	if ((r = drop_db(name, 1, e, sizeof(e))) == -1)
		warnx("could not drop database %s: %s; drop it by hand", name,
		    drop_error(name, e));
	free(name);
	return r;
}

static void
drop_throwaway_atexit(void)
{
	(void)drop_throwaway();
}

static void __attribute__((noreturn))
finish(int status)
{
	raise_caught();
	drop_throwaway();
	exit(status);
}

/* For -v: our own peak memory, children not counted. */
static void
verbose_memory(void)
{
	struct rusage ru;

	if (kt_verbosity >= 2 && getrusage(RUSAGE_SELF, &ru) == 0)
		kt_verbose("peak memory (RSS) of kt-pgdump-wrap: %ld KiB",
		    ru.ru_maxrss);
}

/* --- dump ------------------------------------------------------------------ */

static int
dump(const char *db)
{
	struct kt_check *check;
	struct kt_proc p;
	char *buf, sbuf[128];
	size_t held = 0, out;
	unsigned long long total = 0;
	int version, status, checked = 0;
	ssize_t n;

	pg_connect(&pg, db);
	/* --if-exists (9.4 and later): the dump then also loads into an
	   empty database with stock psql and ON_ERROR_STOP. */
	version = pg_program_version(&pg, pg.pg_dump);
	if ((check = stream_check = kt_check_new(0)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	buf = stream_buf;
	pg_dump_start(&pg, &p, db, version == 0 || version >= 90400);
	stoppable = p.pid;
	(void)fcntl(p.out, F_SETPIPE_SZ, PIPE_SIZE);

	for (;;) {
		n = xread(p.out, buf + held, CHUNK);
		if (n == 0)
			break;
		if (n == -1) {
			if (caught)
				break;
			kt_proc_kill(&p, SIGTERM);
			err(KT_EXIT_FAIL, "read from pg_dump");
		}
		total += (unsigned long long)n;
		if (checked == 0 && kt_check_feed(check, buf + held,
		    (size_t)n) == -1) {
			/* Keep reading: pg_dump's own status comes first. */
			checked = -1;
		}
		held += (size_t)n;
		if (held <= TAIL_HOLD)
			continue;
		out = held - TAIL_HOLD;
		if (xwrite(STDOUT_FILENO, buf, out) == -1) {
			int e = errno;

			kt_proc_kill(&p, SIGTERM);
			kt_proc_wait(&p);
			raise_caught();
			if (e == EPIPE)
				exit(KT_EXIT_FAIL);
			errno = e;
			err(KT_EXIT_FAIL, "write to standard output");
		}
		memmove(buf, buf + out, TAIL_HOLD);
		held = TAIL_HOLD;
	}
	status = kt_proc_wait(&p);
	stoppable = 0;
	raise_caught();
	if (!kt_proc_ok(status))
		errx(KT_EXIT_FAIL, "pg_dump of database %s %s: the dump on "
		    "standard output is incomplete (its last %zu bytes and "
		    "the completion trailer were withheld)", db,
		    kt_proc_status(status, sbuf, sizeof(sbuf)), held);
	/* The trailer must lie whole in what was held back: then a failed
	   pg_dump could never have let any of it out. */
	if (checked == -1 || kt_check_end(check) == -1 ||
	    kt_check_format(check) != KT_FMT_PGDUMP ||
	    kt_pgdump_trailer_start(buf, held) == (size_t)-1)
		errx(KT_EXIT_FAIL, "pg_dump of database %s exited 0, but its "
		    "output is not a complete dump (%s): its last %zu bytes "
		    "were withheld", db, kt_check_format(check) ==
		    KT_FMT_PGDUMP || checked == -1 ? kt_check_error(check) :
		    kt_check_describe(check), held);
	if (xwrite(STDOUT_FILENO, buf, held) == -1) {
		if (errno == EPIPE)
			exit(KT_EXIT_FAIL);
		err(KT_EXIT_FAIL, "write to standard output");
	}
	kt_verbose("dumped database %s: %llu bytes, complete", db, total);
	verbose_memory();
	kt_check_free(check);
	stream_check = NULL;
	return KT_EXIT_OK;
}

/* --- the input of a restore ------------------------------------------------- */

struct input {
	int fd;
	const char *name;
	struct kt_check *check;
	int check_failed;
	char *buf;
	size_t len, cap;
	int eof;
	unsigned long long total;
};

/* Reads more input into the buffer; returns 0, or -1 on a read error. */
static int
input_fill(struct input *in)
{
	ssize_t n;

	if (in->eof || in->len == in->cap)
		return 0;
	n = xread(in->fd, in->buf + in->len, in->cap - in->len);
	if (n == -1)
		return -1;
	if (n == 0) {
		in->eof = 1;
		return 0;
	}
	if (!in->check_failed && kt_check_feed(in->check, in->buf + in->len,
	    (size_t)n) == -1)
		in->check_failed = 1;
	in->len += (size_t)n;
	in->total += (unsigned long long)n;
	return 0;
}

static void
input_open(struct input *in)
{
	static const char dump_start[] = "--\n-- PostgreSQL database dump";
	enum kt_format fmt;

	in->fd = STDIN_FILENO;
	in->name = "standard input";
	if (isatty(in->fd))
		errx(KT_EXIT_USAGE, "standard input is a terminal: give the "
		    "dump on standard input (kt-pgdump-wrap --restore < "
		    "dump.sql)");
	in->cap = HEAD_MIN + TAIL_HOLD + CHUNK;
	if ((in->check = stream_check = kt_check_new(0)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	in->buf = stream_buf;
	while (!in->eof && in->len < HEAD_MIN)
		if (input_fill(in) == -1) {
			raise_caught();
			err(KT_EXIT_FAIL, "read from %s", in->name);
		}
	raise_caught();
	if (in->eof && in->len == 0)
		errx(KT_EXIT_INTEGRITY, "%s is empty: no dump to restore, "
		    "nothing changed", in->name);
	/* A short input is known in full: its end tells what it is. */
	if (in->check_failed || (in->eof && kt_check_end(in->check) == -1 &&
	    (kt_check_format(in->check) == KT_FMT_PGDUMP ||
	    kt_check_format(in->check) == KT_FMT_PENDING)))
		errx(KT_EXIT_INTEGRITY, "%s is not a complete PostgreSQL "
		    "dump (%s): nothing changed", in->name,
		    kt_check_error(in->check));
	fmt = kt_check_format(in->check);
	/* Too short to recognise, but the start of a dump: a cut one. */
	if (in->eof && fmt != KT_FMT_PGDUMP && in->len < sizeof(dump_start) &&
	    memcmp(in->buf, dump_start, in->len) == 0)
		errx(KT_EXIT_INTEGRITY, "%s is not a complete PostgreSQL "
		    "dump (it ends at byte %zu, inside the dump's header): "
		    "nothing changed", in->name, in->len);
	switch (fmt) {
	case KT_FMT_PGDUMP:
		if (strcmp(kt_check_describe(in->check),
		    "PostgreSQL cluster dump") == 0)
			errx(KT_EXIT_FAIL, "%s is a PostgreSQL cluster dump "
			    "(pg_dumpall), not one database's: restore it "
			    "with psql", in->name);
		break;
	case KT_FMT_PENDING:
		break;
	case KT_FMT_GZIP:
		errx(KT_EXIT_FAIL, "%s is %s: decompress it first "
		    "(gzip -dc | kt-pgdump-wrap ...)", in->name,
		    kt_check_describe(in->check));
	case KT_FMT_OPENPGP:
	case KT_FMT_OPENPGP_ARMOR:
		errx(KT_EXIT_FAIL, "%s is %s: decrypt it first "
		    "(kt-unseal | kt-pgdump-wrap ...)", in->name,
		    kt_check_describe(in->check));
	default:
		if (in->len >= 5 && memcmp(in->buf, "PGDMP", 5) == 0)
			errx(KT_EXIT_FAIL, "%s is a pg_dump archive in custom "
			    "format: use pg_restore, or dump in plain format",
			    in->name);
		errx(KT_EXIT_FAIL, "%s is not a PostgreSQL plain-text dump "
		    "(%s): nothing changed", in->name,
		    kt_check_describe(in->check));
	}
}

static void
input_close(struct input *in)
{
	kt_check_free(in->check);
	stream_check = NULL;
	in->check = NULL;
	in->buf = NULL;
}

/* The client_encoding the dump was made in, from its first lines. */
static const char *
input_encoding(const struct input *in)
{
	static char enc[32];
	const char *key = "\nSET client_encoding = '", *p;
	size_t n;

	p = memmem(in->buf, in->len, key, strlen(key));
	if (p == NULL)
		return "UTF8";
	p += strlen(key);
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_");
	if (n == 0 || n >= sizeof(enc) || (size_t)(p - in->buf) + n >=
	    in->len || p[n] != '\'')
		return "UTF8";
	memcpy(enc, p, n);
	enc[n] = '\0';
	return enc;
}

/* --- restore ------------------------------------------------------------ */

struct psql_sink {
	struct kt_proc *p;
	int errno_;
};

static int
to_psql(void *arg, const char *buf, size_t len)
{
	struct psql_sink *s = arg;

	if (xwrite(s->p->in, buf, len) == -1) {
		s->errno_ = errno;
		return -1;
	}
	return 0;
}

/* Whether this psql knows \restrict (the CVE-2025-8714 fix). */
static int
knows_restrict(int v)
{
	return v >= 180000 || (v >= 170006 && v < 180000) ||
	    (v >= 160010 && v < 170000) || (v >= 150014 && v < 160000) ||
	    (v >= 140019 && v < 150000) || (v >= 130022 && v < 140000);
}

/*
 * The large objects a dump creates, counted as it passes: pg_dump writes
 * one "SELECT pg_catalog.lo_create('OID');" line each.  In one
 * transaction each of them stays locked until COMMIT (ALTER LARGE OBJECT
 * ... OWNER TO locks it), so their number tells whether the server's
 * lock table can hold the restore.
 */
static const char lo_create_line[] = "\nSELECT pg_catalog.lo_create('";

struct lo_count {
	unsigned long long n;
	size_t matched;		/* of lo_create_line, across reads */
};

static void
lo_count_feed(struct lo_count *c, const char *p, size_t len)
{
	const char *end = p + len, *nl;

	while (p < end) {
		if (c->matched == 0) {
			/* The pattern's only newline is its first byte. */
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
				return;
			p = nl;
		}
		if (*p == lo_create_line[c->matched])
			c->matched++;
		else
			c->matched = *p == '\n';
		p++;
		if (c->matched == sizeof(lo_create_line) - 1) {
			c->n++;
			c->matched = 0;
		}
	}
}

struct locks {
	long per_xact, procs;
};

static void
locks_line(void *arg, char *line)
{
	struct locks *l = arg;
	char *f[2];

	if (fields(line, f, 2) == 2) {
		l->per_xact = atol(f[0]);
		l->procs = atol(f[1]);
	}
}

/*
 * After a failed restore of a dump with N large objects: when they are
 * more than the server's lock table is sized for (max_locks_per_transaction
 * times the server processes it counts), says which setting to raise and
 * to what, leaving room for the tables' locks too.
 */
static void
lo_locks_hint(const char *db, unsigned long long n)
{
	struct locks l = { 0, 0 };
	char e[4096];
	unsigned long long need;

	if (n == 0 || pg_query(&pg, maintenance_db(db), NULL,
	    "SELECT current_setting('max_locks_per_transaction'),\n"
	    "  current_setting('max_connections')::int\n"
	    "  + current_setting('max_worker_processes')::int\n"
	    "  + current_setting('autovacuum_max_workers')::int + 1\n"
	    "  + coalesce(current_setting('max_wal_senders', true)::int, 0)\n"
	    "  + current_setting('max_prepared_transactions')::int;\n",
	    locks_line, &l, e, sizeof(e)) == -1 || l.procs <= 0 ||
	    n <= (unsigned long long)l.per_xact * (unsigned long long)l.procs)
		return;
	need = (n + 1000 + (unsigned long long)l.procs - 1) /
	    (unsigned long long)l.procs;
	warnx("the dump holds %llu large objects, each locked until the "
	    "restore commits, but the server's lock table is sized for about "
	    "%lld locks (max_locks_per_transaction = %ld, times %ld server "
	    "processes): if the error above is \"out of shared memory\", "
	    "set max_locks_per_transaction = %llu in postgresql.conf and "
	    "restart PostgreSQL", n, (long long)l.per_xact * l.procs,
	    l.per_xact, l.procs, need);
}

/*
 * Restores the input into DB in one transaction.  Returns KT_EXIT_OK
 * when committed; otherwise nothing was committed, and the cause was
 * reported.
 */
static int
restore_into(const char *db, struct input *in)
{
	struct sqlf_stats st;
	struct psql_sink sink;
	struct kt_proc p;
	struct sqlf *f;
	struct lo_count los = { 0, 0 };
	char sbuf[128];
	const char *why = NULL;
	size_t out;
	int status, r, complete;

	pg_psql_start(&pg, &p, db, NULL, KT_PROC_PIPE, KT_PROC_DEVNULL,
	    KT_PROC_INHERIT);
	stoppable = p.pid;
	(void)fcntl(p.in, F_SETPIPE_SZ, PIPE_SIZE);
	sink.p = &p;
	sink.errno_ = 0;
	f = sqlf_new(to_psql, &sink,
	    knows_restrict(pg_program_version(&pg, pg.psql)));
	/* On the dump's first line, so psql's line numbers are the
	   dump's. */
	r = sqlf_inject(f, "BEGIN;");

	while (r == 0) {
		if (in->len > TAIL_HOLD) {
			out = in->len - TAIL_HOLD;
			lo_count_feed(&los, in->buf, out);
			if ((r = sqlf_feed(f, in->buf, out)) == 0)
				r = sqlf_flush(f);
			memmove(in->buf, in->buf + out, TAIL_HOLD);
			in->len = TAIL_HOLD;
			if (r != 0)
				break;
		}
		if (in->eof)
			break;
		if (input_fill(in) == -1) {
			if (caught)
				break;
			kt_proc_kill(&p, SIGTERM);
			kt_proc_wait(&p);
			err(KT_EXIT_FAIL, "read from %s", in->name);
		}
	}

	if (r == SQLF_REFUSED) {
		kt_proc_kill(&p, SIGTERM);
		kt_proc_wait(&p);
		stoppable = 0;
		raise_caught();
		warnx("%s: %s; nothing restored, database %s unchanged",
		    in->name, sqlf_error(f), db);
		sqlf_free(f);
		return KT_EXIT_FAIL;
	}
	if (r == 0 && !caught) {
		complete = !in->check_failed && kt_check_end(in->check) == 0 &&
		    kt_check_format(in->check) == KT_FMT_PGDUMP &&
		    kt_pgdump_trailer_start(in->buf, in->len) != (size_t)-1;
		lo_count_feed(&los, in->buf, in->len);
		if (!complete)
			why = kt_check_error(in->check);
		else if ((r = sqlf_feed(f, in->buf, in->len)) == 0 &&
		    sqlf_end(f) == -1) {
			complete = 0;
			why = sqlf_error(f);
		}
		if (r == SQLF_REFUSED) {
			kt_proc_kill(&p, SIGTERM);
			kt_proc_wait(&p);
			stoppable = 0;
			warnx("%s: %s; nothing restored, database %s "
			    "unchanged", in->name, sqlf_error(f), db);
			sqlf_free(f);
			return KT_EXIT_FAIL;
		}
		if (r == 0 && complete) {
			r = sqlf_inject(f, in->len > 0 &&
			    in->buf[in->len - 1] == '\n' ? "COMMIT;\n" :
			    "\nCOMMIT;\n");
		} else if (r == 0) {
			/* Cut or corrupt: never COMMIT.  Between statements
			   a ROLLBACK ends it at once; elsewhere psql must
			   not run the statement it holds at end of input. */
			if (sqlf_at_boundary(f))
				sqlf_inject(f, "\nROLLBACK;\n");
			else
				kt_proc_kill(&p, SIGTERM);
			status = kt_proc_wait(&p);
			stoppable = 0;
			raise_caught();
			warnx("%s is not a complete PostgreSQL dump (%s): "
			    "nothing restored, database %s unchanged",
			    in->name, why, db);
			sqlf_free(f);
			return KT_EXIT_INTEGRITY;
		}
	}

	kt_proc_close_in(&p);
	status = kt_proc_wait(&p);
	stoppable = 0;
	raise_caught();
	sqlf_stats(f, &st);
	sqlf_free(f);
	if (r == 0 && kt_proc_ok(status)) {
		kt_verbose("restored %llu bytes (%llu lines, %lu statements, "
		    "%lu COPY blocks) into database %s in one transaction: "
		    "committed", in->total, st.lines, st.statements,
		    st.copies, db);
		if (st.wrapped > 0)
			kt_verbose("%lu DROP statements of the dump's clean "
			    "section ran tolerant of missing objects",
			    st.wrapped);
		if (st.dropped_txn > 0)
			kt_verbose("%lu BEGIN/COMMIT of the dump kept inside "
			    "the one transaction", st.dropped_txn);
		verbose_memory();
		return KT_EXIT_OK;
	}
	if (r == SQLF_SINK && sink.errno_ != EPIPE && kt_proc_ok(status)) {
		errno = sink.errno_;
		warn("write to psql");
	}
	warnx("restore into database %s failed: psql %s%s; rolled back, "
	    "database %s unchanged", db, kt_proc_status(status, sbuf,
	    sizeof(sbuf)), WIFEXITED(status) && WEXITSTATUS(status) == 3 ?
	    " at the error above" : "", db);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		lo_locks_hint(db, los.n);
	return KT_EXIT_FAIL;
}

/*
 * What the clean section of a pg_dump -c dump cannot drop, and so what
 * such a dump cannot be restored over in place, in one transaction or
 * not (stock psql fails on it too): a subscription with a replication
 * slot (DROP SUBSCRIPTION refuses to run in a transaction), and a
 * partition's key inherited from its partitioned table.
 */
static void
cannot_drop_line(void *arg, char *line)
{
	char *what = arg;
	size_t off = strlen(what);

	snprintf(what + off, 256 - off, "%s%s", off > 0 ? " and " : "", line);
}

/* After a failed in-place restore of DB: says when --recreate is the
   way, because DB holds what the dump's clean section cannot drop. */
static void
in_place_hint(const char *db)
{
	char what[256] = "", e[4096];

	if (pg_query(&pg, db, NULL, pg.server_version >= 110000 ?
	    "SELECT 'subscriptions' FROM pg_subscription\n"
	    "  WHERE subdbid = (SELECT oid FROM pg_database\n"
	    "  WHERE datname = current_database())\n"
	    "  AND subslotname IS NOT NULL HAVING count(*) > 0\n"
	    "UNION ALL\n"
	    "SELECT 'partitioned tables with primary or unique keys'\n"
	    "  FROM pg_constraint\n"
	    "  WHERE conparentid <> 0 AND contype IN ('p', 'u', 'x')\n"
	    "  HAVING count(*) > 0;\n" :
	    "SELECT 'subscriptions' FROM pg_subscription\n"
	    "  WHERE subdbid = (SELECT oid FROM pg_database\n"
	    "  WHERE datname = current_database())\n"
	    "  AND subslotname IS NOT NULL HAVING count(*) > 0;\n",
	    cannot_drop_line, what, e, sizeof(e)) == -1 || what[0] == '\0')
		return;
	warnx("database %s holds %s, which PostgreSQL does not let the "
	    "clean section of a pg_dump -c dump drop (stock psql fails "
	    "too): such a dump cannot be restored in place; use --restore "
	    "--recreate", db, what);
}

static int
restore(const char *db)
{
	struct input in = { 0 };
	int r;

	pg.missing_db_hint = " (create it, or use --restore --recreate)";
	input_open(&in);
	pg_connect(&pg, db);
	r = restore_into(db, &in);
	input_close(&in);
	if (r == KT_EXIT_FAIL)
		in_place_hint(db);
	return r;
}

/* --- recreate ----------------------------------------------------------- */

/* NAME + SUFFIX, or exit when PostgreSQL would cut it short. */
static char *
derived_name(const char *name, const char *suffix)
{
	char *s = xasprintf("%s%s", name, suffix);

	if (strlen(s) > NAME_MAX_LEN)
		errx(KT_EXIT_USAGE, "database name %s is too long to derive "
		    "%s from it (PostgreSQL names are at most %d bytes)", name,
		    s, NAME_MAX_LEN);
	return s;
}

static void
free_vars(const char *vars[])
{
	for (; *vars != NULL; vars++)
		free((char *)*vars);
}

static int
name_taken(const char *name)
{
	const char *vars[] = { NULL, NULL };
	struct target t = { 0 };
	char *v = xasprintf("name=%s", name);

	vars[0] = v;
	query_or_die(maintenance_db(name), vars,
	    "SELECT 1 FROM pg_database WHERE datname = :'name';\n",
	    exists_line, &t, "looking up databases");
	free(v);
	return t.exists;
}

/* The CREATE DATABASE for the fresh copy of TARGET: same owner, encoding,
   locale and tablespace, from template0. */
static const char *
create_like_sql(void)
{
	if (pg.server_version >= 170000)
		return "SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L "
		    "LC_COLLATE %L LC_CTYPE %L%s TABLESPACE %I CONNECTION LIMIT "
		    "%s TEMPLATE template0', :'new', pg_get_userbyid(datdba), "
		    "pg_encoding_to_char(encoding), datcollate, datctype, "
		    "CASE datlocprovider WHEN 'i' THEN format(' LOCALE_PROVIDER "
		    "icu ICU_LOCALE %L', datlocale) WHEN 'b' THEN format("
		    "' LOCALE_PROVIDER builtin BUILTIN_LOCALE %L', datlocale) "
		    "ELSE ' LOCALE_PROVIDER libc' END, (SELECT spcname FROM "
		    "pg_tablespace t WHERE t.oid = dattablespace), datconnlimit)"
		    " FROM pg_database WHERE datname = :'target' \\gexec\n";
	if (pg.server_version >= 150000)
		return "SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L "
		    "LC_COLLATE %L LC_CTYPE %L%s TABLESPACE %I CONNECTION LIMIT "
		    "%s TEMPLATE template0', :'new', pg_get_userbyid(datdba), "
		    "pg_encoding_to_char(encoding), datcollate, datctype, "
		    "CASE datlocprovider WHEN 'i' THEN format(' LOCALE_PROVIDER "
		    "icu ICU_LOCALE %L', daticulocale) ELSE ' LOCALE_PROVIDER "
		    "libc' END, (SELECT spcname FROM pg_tablespace t WHERE "
		    "t.oid = dattablespace), datconnlimit) FROM pg_database "
		    "WHERE datname = :'target' \\gexec\n";
	return "SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L "
	    "LC_COLLATE %L LC_CTYPE %L TABLESPACE %I CONNECTION LIMIT %s "
	    "TEMPLATE template0', :'new', pg_get_userbyid(datdba), "
	    "pg_encoding_to_char(encoding), datcollate, datctype, (SELECT "
	    "spcname FROM pg_tablespace t WHERE t.oid = dattablespace), "
	    "datconnlimit) FROM pg_database WHERE datname = :'target' "
	    "\\gexec\n";
}

/*
 * Database-level privileges, settings and comment, which a dump without
 * --create does not carry: copied from the old database the way
 * pg_dumpall writes them.  The ACL is rebuilt whole, the owner's own
 * entry included (an owner may have revoked rights from itself).  A
 * setting is "name=value" in pg_db_role_setting.setconfig, for the
 * database alone or for a role in it; the value of a list variable
 * (search_path...) is stored as quoted identifiers joined by ", ", so
 * it is split and each element re-emitted as a literal, as pg_dumpall's
 * makeAlterConfigCommand does.
 */
static const char copy_acl_sql[] =
    "SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC, %I', :'new',\n"
    "  pg_get_userbyid(datdba))\n"
    "  FROM pg_database WHERE datname = :'target' AND datacl IS NOT NULL\n"
    "\\gexec\n"
    "SELECT format('GRANT %s ON DATABASE %I TO %s%s', a.privilege_type,\n"
    "  :'new', CASE a.grantee WHEN 0 THEN 'PUBLIC'\n"
    "  ELSE quote_ident(pg_get_userbyid(a.grantee)) END,\n"
    "  CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)\n"
    "  FROM pg_database d, aclexplode(d.datacl) a\n"
    "  WHERE d.datname = :'target'\n"
    "\\gexec\n"
    "SELECT format('ALTER %s SET %I TO %s', CASE s.setrole WHEN 0\n"
    "  THEN format('DATABASE %I', :'new')\n"
    "  ELSE format('ROLE %I IN DATABASE %I', pg_get_userbyid(s.setrole),\n"
    "  :'new') END, c.name,\n"
    "  CASE WHEN lower(c.name) IN ('local_preload_libraries',\n"
    "  'search_path', 'session_preload_libraries',\n"
    "  'shared_preload_libraries', 'temp_tablespaces',\n"
    "  'unix_socket_directories')\n"
    "  THEN (SELECT string_agg(quote_literal(CASE WHEN e.m[1] LIKE '\"%'\n"
    "    THEN replace(substr(e.m[1], 2, length(e.m[1]) - 2), '\"\"', '\"')\n"
    "    ELSE e.m[1] END), ', ' ORDER BY e.n)\n"
    "    FROM regexp_matches(c.value,\n"
    "    '\\s*(\"(?:[^\"]|\"\")*\"|[^\",\\s]+)\\s*(?:,|$)', 'g')\n"
    "    WITH ORDINALITY AS e(m, n))\n"
    "  ELSE quote_literal(c.value) END)\n"
    "  FROM pg_db_role_setting s, unnest(s.setconfig) u,\n"
    "  LATERAL (SELECT split_part(u, '=', 1) AS name,\n"
    "    substr(u, strpos(u, '=') + 1) AS value) c\n"
    "  WHERE s.setdatabase = (SELECT oid FROM pg_database\n"
    "    WHERE datname = :'target')\n"
    "\\gexec\n"
    "SELECT format('COMMENT ON DATABASE %I IS %L', :'new', description)\n"
    "  FROM pg_shdescription WHERE classoid = 'pg_database'::regclass\n"
    "  AND objoid = (SELECT oid FROM pg_database WHERE datname = "
    ":'target')\n"
    "\\gexec\n";

static int
recreate(const char *db, int drop_old)
{
	const char *maint = maintenance_db(db);
	const char *vars[4] = { NULL, NULL, NULL, NULL };
	struct target t = { 0 };
	struct input in = { 0 };
	char suffix[64], *fresh, *old, *base, e[4096];
	time_t now = time(NULL);
	int r, i;

	input_open(&in);
	pg_connect(&pg, maint);
	snprintf(suffix, sizeof(suffix), "_kt_new_%ld", (long)getpid());
	fresh = derived_name(db, suffix);
	strftime(suffix, sizeof(suffix), "_old_%Y%m%d_%H%M%S",
	    localtime(&now));
	base = derived_name(db, suffix);
	for (old = xasprintf("%s", base), i = 2; name_taken(old); i++) {
		free(old);
		snprintf(suffix, sizeof(suffix), "_%d", i);
		old = derived_name(base, suffix);
	}
	free(base);
	vars[0] = xasprintf("target=%s", db);
	vars[1] = xasprintf("new=%s", fresh);
	vars[2] = xasprintf("old=%s", old);
	query_or_die(maint, vars, "SELECT 1 FROM pg_database "
	    "WHERE datname = :'target';\n", exists_line, &t,
	    "looking up the database");
	if (t.exists)
		refuse_if_in_use(db, "stop them first; nothing changed");

	/* The fresh database, dropped again on any failure or signal. */
	throwaway = xasprintf("%s", fresh);
	query_or_die(maint, vars, t.exists ? create_like_sql() :
	    "CREATE DATABASE :\"new\" TEMPLATE template0;\n", NULL, NULL,
	    "creating the fresh database");
	if (name_taken(fresh) == 0)
		errx(KT_EXIT_FAIL, "database %s was not created", fresh);
	if (t.exists)
		query_or_die(maint, vars, copy_acl_sql, NULL, NULL,
		    "copying the privileges and settings of the database");
	kt_verbose("restoring into the fresh database %s", fresh);
	r = restore_into(fresh, &in);
	input_close(&in);
	if (r != KT_EXIT_OK) {
		warnx("database %s unchanged", db);
		finish(r);
	}

	/* Both renames in one transaction: other sessions see the old
	   database or the new one under the name, never none.  A session
	   opening during the swap waits for it, then fails once ("database
	   does not exist"); one already open makes the rename fail. */
	if (pg_query(&pg, maint, vars, t.exists ?
	    "BEGIN;\n"
	    "ALTER DATABASE :\"target\" RENAME TO :\"old\";\n"
	    "ALTER DATABASE :\"new\" RENAME TO :\"target\";\n"
	    "COMMIT;\n" :
	    "ALTER DATABASE :\"new\" RENAME TO :\"target\";\n",
	    NULL, NULL, e, sizeof(e)) == -1) {
		if (strstr(e, "being accessed by other users") != NULL) {
			drop_throwaway();
			refuse_if_in_use(db, "they connected during the "
			    "restore; nothing changed");
		}
		warnx("swapping in the restored database: %s; database %s "
		    "unchanged", pg_is_connect_error(e) ?
		    pg_connect_error(&pg, maint, e) : pg_error_line(e), db);
		finish(KT_EXIT_FAIL);
	}
	free(throwaway);
	throwaway = NULL;
	if (!t.exists)
		kt_info("database %s created from the dump", db);
	else if (drop_old) {
		if (drop_db(old, 0, e, sizeof(e)) == -1)
			errx(KT_EXIT_FAIL, "database %s restored, but the old "
			    "one, now %s, could not be dropped: %s", db, old,
			    drop_error(old, e));
		kt_info("database %s restored; the old one dropped", db);
	} else
		kt_info("database %s restored; the old one kept as %s", db,
		    old);
	free_vars(vars);
	free(fresh);
	free(old);
	return KT_EXIT_OK;
}

/* --- check --------------------------------------------------------------- */

struct report {
	unsigned long tables, sequences;
	unsigned long long rows, los;
};

static void
report_line(void *arg, char *line)
{
	struct report *r = arg;
	unsigned long long n;
	char *f[3];

	if (fields(line, f, 3) != 3)
		return;
	n = strtoull(f[2], NULL, 10);
	if (strcmp(f[0], "table") == 0) {
		r->tables++;
		r->rows += n;
		if (kt_verbosity > 0)
			printf("table %s: %llu row%s\n", f[1], n,
			    n == 1 ? "" : "s");
	} else if (strcmp(f[0], "sequence") == 0) {
		r->sequences++;
		if (kt_verbosity > 0)
			printf("sequence %s: %s\n", f[1], f[2]);
	} else if (strcmp(f[0], "lo") == 0) {
		r->los = n;
		if (kt_verbosity > 0)
			printf("large objects: %llu\n", n);
	}
}

/*
 * Each table with the rows it holds itself (FROM ONLY): an inheritance
 * parent's count leaves out its children's rows, and a partitioned table,
 * which holds none, is not listed, its partitions are.  Names are shown
 * as JSON strings without their quotes, so that a newline or a control
 * character in a name cannot break the report's lines.
 */
static const char report_sql[] =
    "SELECT format('SELECT %L, %L, count(*) FROM ONLY %I.%I', 'table',\n"
    "  substr(d.j, 2, length(d.j) - 2), n.nspname, c.relname)\n"
    "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,\n"
    "  LATERAL (SELECT to_json(n.nspname || '.' || c.relname)::text AS j) d\n"
    "  WHERE c.relkind = 'r'\n"
    "  AND n.nspname NOT IN ('pg_catalog', 'information_schema')\n"
    "  AND n.nspname NOT LIKE 'pg\\_toast%'\n"
    "  ORDER BY n.nspname, c.relname\n"
    "\\gexec\n";

static const char report_seq_sql[] =
    "SELECT 'sequence', substr(d.j, 2, length(d.j) - 2),\n"
    "  coalesce(last_value::text, '(never used)')\n"
    "  FROM pg_sequences,\n"
    "  LATERAL (SELECT to_json(schemaname || '.' || sequencename)::text\n"
    "  AS j) d\n"
    "  ORDER BY schemaname, sequencename;\n";

static const char report_lo_sql[] =
    "SELECT 'lo', '', count(*) FROM pg_largeobject_metadata;\n";

/* Leftovers of a --check that was killed (SIGKILL leaves no chance). */
static void
leftover_line(void *arg, char *line)
{
	(void)arg;
	warnx("database %s exists: left over by an interrupted --check "
	    "(drop it with DROP DATABASE), or of one running now", line);
}

static int
check(void)
{
	const char *maint = maintenance_db(NULL);
	const char *vars[3] = { NULL, NULL, NULL };
	struct report rep = { 0, 0, 0, 0 };
	struct input in = { 0 };
	char *name, *script;
	int r;

	input_open(&in);
	pg_connect(&pg, maint);
	query_or_die(maint, NULL, "SELECT datname FROM pg_database "
	    "WHERE datname LIKE 'kt\\_check\\_%' ORDER BY 1;\n",
	    leftover_line, NULL, "looking up databases");
	name = xasprintf("kt_check_%ld_%lx", (long)getpid(),
	    (unsigned long)time(NULL));
	vars[0] = xasprintf("name=%s", name);
	vars[1] = xasprintf("enc=%s", input_encoding(&in));
	throwaway = name;
	query_or_die(maint, vars, pg.server_version >= 150000 ?
	    "CREATE DATABASE :\"name\" ENCODING :'enc' LOCALE_PROVIDER libc "
	    "LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;\n" :
	    "CREATE DATABASE :\"name\" ENCODING :'enc' "
	    "LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;\n",
	    NULL, NULL, "creating the throwaway database");
	kt_verbose("restoring into the throwaway database %s", name);
	r = restore_into(name, &in);
	input_close(&in);
	if (r != KT_EXIT_OK)
		finish(r);

	script = xasprintf("%s%s%s", report_sql, pg.server_version >= 100000 ?
	    report_seq_sql : "", report_lo_sql);
	query_or_die(name, NULL, script, report_line, &rep,
	    "reporting what was restored");
	free(script);
	if (kt_verbosity > 0)
		printf("complete: %lu table%s, %llu row%s, %lu sequence%s, "
		    "%llu large object%s\n", rep.tables,
		    rep.tables == 1 ? "" : "s", rep.rows,
		    rep.rows == 1 ? "" : "s", rep.sequences,
		    rep.sequences == 1 ? "" : "s", rep.los,
		    rep.los == 1 ? "" : "s");
	raise_caught();
	free_vars(vars);
	/* A drill leaves nothing behind, or it failed. */
	return drop_throwaway() == 0 ? KT_EXIT_OK : KT_EXIT_FAIL;
}

/* --- main ---------------------------------------------------------------- */

static const char *
valid_port(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 65535)
		errx(KT_EXIT_USAGE, "bad port %s: give a number from 1 to "
		    "65535", s);
	return s;
}

int
main(int argc, char *argv[])
{
	enum { OPT_RESTORE = 256, OPT_RECREATE, OPT_DROP_OLD, OPT_CHECK,
	    OPT_BINDIR, OPT_HELP };
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "drop-old", no_argument, NULL, OPT_DROP_OLD },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "host", required_argument, NULL, 'h' },
		{ "pg-bindir", required_argument, NULL, OPT_BINDIR },
		{ "port", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "recreate", no_argument, NULL, OPT_RECREATE },
		{ "restore", no_argument, NULL, OPT_RESTORE },
		{ "username", required_argument, NULL, 'U' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct options o = { M_DUMP, 0, 0, DEFAULT_DBNAME };
	const char *bindir = NULL;
	int ch, restore_opt = 0, check_opt = 0, r;

	kt_init();
	while ((ch = getopt_long(argc, argv, "h:p:qU:v", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'h':
			if (*optarg == '\0')
				errx(KT_EXIT_USAGE, "empty host");
			pg.host = optarg;
			break;
		case 'p':
			pg.port = valid_port(optarg);
			break;
		case 'q':
			kt_verbosity = 0;
			break;
		case 'U':
			if (*optarg == '\0')
				errx(KT_EXIT_USAGE, "empty user name");
			pg.user = optarg;
			break;
		case 'v':
			kt_verbosity = 2;
			break;
		case OPT_RESTORE:
			restore_opt = 1;
			break;
		case OPT_RECREATE:
			o.recreate = 1;
			break;
		case OPT_DROP_OLD:
			o.drop_old = 1;
			break;
		case OPT_CHECK:
			check_opt = 1;
			break;
		case OPT_BINDIR:
			bindir = optarg;
			break;
		case OPT_HELP:
			usage(KT_EXIT_OK);
		default:
			usage(KT_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage(KT_EXIT_USAGE);
	if (restore_opt && check_opt)
		errx(KT_EXIT_USAGE, "--restore and --check exclude each other");
	if (o.recreate && !restore_opt)
		errx(KT_EXIT_USAGE, "--recreate needs --restore");
	if (o.drop_old && !o.recreate)
		errx(KT_EXIT_USAGE, "--drop-old needs --recreate");
	if (check_opt && argc > 0)
		errx(KT_EXIT_USAGE, "--check takes no database name: it "
		    "restores into a throwaway database");
	if (argc == 1) {
		if (*argv[0] == '\0')
			errx(KT_EXIT_USAGE, "empty database name");
		if (strlen(argv[0]) > NAME_MAX_LEN)
			errx(KT_EXIT_USAGE, "database name %s is longer than "
			    "PostgreSQL allows (%d bytes)", argv[0],
			    NAME_MAX_LEN);
		o.db = argv[0];
	}
	o.mode = check_opt ? M_CHECK : restore_opt ? M_RESTORE : M_DUMP;

	/* Stopping stops the child at work; the code then fails its
	   normal way, drops what it must, and dies of the signal
	   (raise_caught).  System calls are interrupted (no SA_RESTART). */
	kt_on_stop_signals(on_signal);
	/* Also on errx(3) after the throwaway database was made. */
	atexit(drop_throwaway_atexit);
	pg_init(&pg, bindir);
	switch (o.mode) {
	case M_DUMP:
		r = dump(o.db);
		kt_close_stdout_or_die();
		return r;
	case M_RESTORE:
		r = o.recreate ? recreate(o.db, o.drop_old) : restore(o.db);
		return r;
	case M_CHECK:
		r = check();
		kt_close_stdout_or_die();
		return r;
	}
	return KT_EXIT_FAIL;
}
