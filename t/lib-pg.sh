# lib-pg.sh: a throwaway PostgreSQL cluster for tests.  Source it after
# test-lib.sh, guard the test file with the PG prerequisite, and call
# pg_setup from a test body (not from a subshell: the cleanup it registers
# must reach test_done).
#
# The cluster listens on a Unix socket only, in a private directory, so
# the seed's port 11381 cannot clash with anything, not even another test
# file running at the same time.

PG_PORT=11381

# PostgreSQL refuses to run as root, and CI runs as root: then the server
# belongs to "nobody".  HOME and PATH are passed on explicitly because
# runuser resets them.
pg_owner_=
test "$(id -u)" = 0 && pg_owner_=nobody

# pg_as_owner_ DIR CMD...: run CMD in DIR as the cluster's owner.
pg_as_owner_ () {
	pg_dir_=$1
	shift
	if test -z "$pg_owner_"
	then
		(cd "$pg_dir_" && "$@")
	elif command -v runuser >/dev/null
	then
		(cd "$pg_dir_" && runuser -u "$pg_owner_" -- \
			env HOME="$pg_dir_" PATH="$PATH" "$@")
	else
		(cd "$pg_dir_" && setpriv --reuid="$pg_owner_" \
			--regid="$(id -g "$pg_owner_")" --clear-groups \
			env HOME="$pg_dir_" PATH="$PATH" "$@")
	fi
}

# pg_setup: make, start and point PG* at a cluster whose superuser is
# keytrustee, with an empty keytrustee database, as on a Key Trustee
# Server.  Sets PG_DIR (socket directory, logs) and PG_DATA.
pg_setup () {
	# Short path: the socket lives in it (108-byte limit).
	PG_DIR=$(mktemp -d /tmp/ktp.XXXXXX) || return 1
	PG_DATA=$PG_DIR/data
	test_atexit "pg_as_owner_ / pg_ctl -D '$PG_DATA' -m immediate -w stop; rm -rf '$PG_DIR'"
	if test -n "$pg_owner_"
	then
		chown "$pg_owner_" "$PG_DIR" || return 1
	fi
	if ! pg_as_owner_ "$PG_DIR" initdb -D "$PG_DATA" -U keytrustee \
		--auth=trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1
	then
		cat "$PG_DIR/initdb.log" >&2
		return 1
	fi
	# Speed over durability: the cluster dies with the test.
	cat >>"$PG_DATA/postgresql.conf" <<-EOF &&
	listen_addresses = ''
	unix_socket_directories = '$PG_DIR'
	port = $PG_PORT
	fsync = off
	synchronous_commit = off
	full_page_writes = off
	shared_buffers = 16MB
	EOF
	PGHOST=$PG_DIR &&
	PGPORT=$PG_PORT &&
	PGUSER=keytrustee &&
	export PGHOST PGPORT PGUSER PG_DIR PG_DATA &&
	pg_start &&
	pg_psql -d postgres -c 'CREATE DATABASE keytrustee'
}

pg_start () {
	pg_as_owner_ "$PG_DIR" pg_ctl -D "$PG_DATA" -l "$PG_DIR/log" \
		-w -t 60 -s start && return 0
	cat "$PG_DIR/log" >&2
	return 1
}

# pg_stop: for tests of a server that is down.
pg_stop () {
	pg_as_owner_ "$PG_DIR" pg_ctl -D "$PG_DATA" -m fast -w -s stop
}

# pg_psql [PSQL-ARGS...]: psql on the test cluster, no psqlrc, quiet, and
# failing on the first error.
pg_psql () {
	psql -X -q -v ON_ERROR_STOP=1 "$@"
}

# pg_databases: the names of the cluster's databases, one a line, sorted.
pg_databases () {
	pg_psql -d postgres -At -c "SELECT datname FROM pg_database
		ORDER BY datname"
}

# pg_load_sample_schema DB: something like a Key Trustee database, with
# the awkward values a dump must carry: every byte value in bytea, tabs,
# newlines, backslashes and non-ASCII in text, NULLs, a sequence that was
# advanced, an index and a large object.  Contents are deterministic, so
# two clusters loaded alike have the same pg_table_digest.
pg_load_sample_schema () {
	pg_psql -d "$1" <<-\EOF
	CREATE TABLE keys (
		id serial PRIMARY KEY,
		name text NOT NULL UNIQUE,
		material bytea NOT NULL,
		created timestamptz NOT NULL DEFAULT now()
	);
	CREATE TABLE deposits (
		id serial PRIMARY KEY,
		key_id integer NOT NULL REFERENCES keys (id),
		owner text NOT NULL,
		deposit text
	);
	CREATE INDEX deposits_owner_idx ON deposits (owner);
	CREATE SEQUENCE audit_seq;
	CREATE TABLE blobs (name text PRIMARY KEY, lo oid NOT NULL);

	INSERT INTO keys (name, material, created)
	SELECT 'key-' || g,
		decode(md5('k' || g) || md5('m' || g), 'hex'),
		timestamptz '2016-02-10 11:14:37+00' + g * interval '1 minute'
	FROM generate_series(1, 300) AS g;
	INSERT INTO keys (name, material, created)
	SELECT 'all-bytes', decode(string_agg(lpad(to_hex(b), 2, '0'), ''
		ORDER BY b), 'hex'), timestamptz '2016-02-10 11:14:37+00'
	FROM generate_series(0, 255) AS b;

	INSERT INTO deposits (key_id, owner, deposit)
	SELECT g, 'owner-' || (g % 7),
		CASE WHEN g % 10 = 0 THEN NULL
		ELSE 'deposit ' || g || E'\ttab\nnewline \\ backslash Zoë' END
	FROM generate_series(1, 300) AS g;

	DO $$ BEGIN PERFORM setval('audit_seq', 42); END $$;
	INSERT INTO blobs
	SELECT 'master', lo_from_bytea(0, decode(repeat(md5('lo'), 64), 'hex'));
	EOF
}

# pg_table_digest DB: one line per table, sequence and large object of
# DB's public schema with a hash of its contents, so that two databases
# can be compared with test_cmp and a difference be named.  Rows are
# hashed in the order of their text, which is one order for any types;
# the server hashes, so a failed query fails the digest.
pg_table_digest () (
	# Dates print alike whatever the session defaults.
	PGTZ=UTC PGDATESTYLE=ISO
	export PGTZ PGDATESTYLE
	pg_tables_=$(pg_psql -d "$1" -At -c "SELECT quote_ident(tablename)
		FROM pg_tables WHERE schemaname = 'public' ORDER BY 1") ||
	exit 1
	for pg_t_ in $pg_tables_
	do
		pg_psql -d "$1" -At -F ' ' -c "SELECT 'table', '$pg_t_',
			count(*), encode(sha256(convert_to(coalesce(string_agg(
			r::text, E'\\n' ORDER BY r::text), ''), 'UTF8')), 'hex')
			FROM $pg_t_ AS r" || exit 1
	done
	pg_psql -d "$1" -At -F ' ' -c "SELECT 'sequence', sequencename,
		last_value, increment_by FROM pg_sequences
		WHERE schemaname = 'public' ORDER BY 2" &&
	pg_psql -d "$1" -At -F ' ' -c "SELECT 'large-object', oid,
		md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY 2"
)
