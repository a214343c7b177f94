/*
 * kt-pgdump-wrap: what its three files share.
 *
 *   kt-pgdump-wrap.c	options and the modes: dump, restore, recreate, check
 *   kt-pgdump-wrap-pg.c	finding and running pg_dump and psql, reading
 *			their errors, small queries
 *   kt-pgdump-wrap-sql.c	the filter between a dump and psql that keeps a
 *			restore in one transaction
 */
#ifndef KT_PGDUMP_WRAP_H
#define KT_PGDUMP_WRAP_H

#include <stddef.h>

#include "kt_proc.h"

#define DEFAULT_PORT	"11381"
#define DEFAULT_DBNAME	"keytrustee"

/* Where the Key Trustee Server parcel keeps its own PostgreSQL. */
#define PARCEL_PG_DIR	"/opt/cloudera/parcels/KEYTRUSTEE_SERVER/PG_DB/opt/postgres"

/* --- kt-pgdump-wrap-pg.c ------------------------------------------------ */

struct pg {
	const char *host;	/* -h, or NULL: libpq's PGHOST or default */
	const char *port;	/* -p, PGPORT, or 11381 */
	const char *user;	/* -U, or NULL: libpq's PGUSER or login */
	const char *bindir;	/* where pg_dump and psql come from, or NULL
				   when found in PATH */
	char *pg_dump;
	char *psql;
	char **env;		/* environment of every child */
	int server_version;	/* server_version_num, once connected */
	const char *missing_db_hint;	/* added to "database does not
					   exist" */
};

/* Resolves pg_dump and psql (--pg-bindir, the parcel, PATH) and builds
   the children's environment.  Exits on failure. */
void pg_init(struct pg *, const char *bindir);

/* "PostgreSQL on HOST port PORT", for messages. */
const char *pg_where(const struct pg *);

/* Version of a PostgreSQL program as 150018 for 15.18, 90306 for 9.3.6;
   0 if it cannot be told. */
int pg_program_version(struct pg *, const char *path);

/* Starts psql on DB with the options every run needs (-X, -q,
   ON_ERROR_STOP, -w) plus EXTRA (NULL-terminated). */
void pg_psql_start(struct pg *, struct kt_proc *, const char *db,
    const char *const extra[], enum kt_proc_fd in, enum kt_proc_fd out,
    enum kt_proc_fd err);

/* Starts pg_dump --clean of DB, plain SQL, to a pipe (P->out); its
   stderr is ours. */
void pg_dump_start(struct pg *, struct kt_proc *, const char *db,
    int if_exists);

/* The line of psql's stderr E worth showing: its ERROR, without
   prefixes.  Static buffer. */
const char *pg_error_line(const char *e);

/* Argument vector building. */
struct argv {
	char **v;
	size_t n, cap;
};
void argv_add(struct argv *, const char *);
void argv_free(struct argv *);

/* libpq conninfo "dbname='DB' ..." for -d, so that a name containing '='
   is never taken for a connection string. */
char *pg_conninfo(const char *db);

/*
 * Runs SCRIPT with psql on DB, unaligned and without headers, psql
 * variables VARS ("name=value", NULL-terminated) set.  Each line of
 * output goes to LINE (fields separated by '\x1f') if not NULL.
 * Returns 0; or -1 after an error: its message (psql's, one line) in
 * ERRBUF.  A failure to connect is reported by pg_connect_error().
 */
int pg_query(struct pg *, const char *db, const char *const vars[],
    const char *script, void (*line)(void *, char *), void *arg,
    char *errbuf, size_t errlen);

/* Connects to DB and reads the server version; on failure exits with a
   message naming the cause (server not running, authentication, missing
   database or role). */
void pg_connect(struct pg *, const char *db);

/* psql's stderr text ERR from a failed connection to DB, as one clear
   line: "cannot connect to ...: server not running".  Static buffer. */
const char *pg_connect_error(const struct pg *, const char *db,
    const char *err);

/* Whether ERR (psql's stderr) tells of a failure to connect at all. */
int pg_is_connect_error(const char *err);

/* --- kt-pgdump-wrap-sql.c ------------------------------------------------- */

struct sqlf;

/* Where the filter's output goes; returns 0, or -1 to stop (the filter
   then reports SQLF_SINK). */
typedef int (*sqlf_sink)(void *arg, const char *buf, size_t len);

#define SQLF_REFUSED	-1	/* the input holds what we will not run */
#define SQLF_SINK	-2	/* the sink failed */

/* KEEP_RESTRICT: pass psql's \restrict and \unrestrict lines on (a psql
   that knows them); otherwise they become empty lines. */
struct sqlf *sqlf_new(sqlf_sink, void *arg, int keep_restrict);
void sqlf_free(struct sqlf *);

/* Filters LEN bytes.  Returns 0, SQLF_REFUSED or SQLF_SINK. */
int sqlf_feed(struct sqlf *, const char *buf, size_t len);

/* For tests: FN gets each statement as psql would send it (from its
   first byte that is neither blank nor a "--" comment to its semicolon,
   "--" comments left out), in the order read.  Memory then grows with
   the longest statement. */
typedef void (*sqlf_trace_fn)(void *arg, const char *stmt, size_t len);
void sqlf_trace(struct sqlf *, sqlf_trace_fn, void *arg);

/* Writes what the filter buffered; same returns as sqlf_feed(). */
int sqlf_flush(struct sqlf *);

/* Sends TEXT (our own SQL) to the sink, after what was filtered. */
int sqlf_inject(struct sqlf *, const char *text);

/* At the end of the input: 0 if it stopped between statements, -1 if
   inside one (sqlf_error() says where). */
int sqlf_end(struct sqlf *);

/* True between statements: our own SQL can follow. */
int sqlf_at_boundary(const struct sqlf *);

/* Why the filter refused or the input ended badly: one line. */
const char *sqlf_error(const struct sqlf *);

struct sqlf_stats {
	unsigned long long lines;
	unsigned long statements;
	unsigned long copies;		/* COPY ... FROM stdin blocks */
	unsigned long wrapped;		/* clean-section DROPs made tolerant */
	unsigned long dropped_txn;	/* the dump's own BEGIN; COMMIT; */
};
void sqlf_stats(const struct sqlf *, struct sqlf_stats *);

#endif
