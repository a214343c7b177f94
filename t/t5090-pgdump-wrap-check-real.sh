#!/bin/sh

test_description='kt-pgdump-wrap --check on real databases

A restore drill leaves no database behind, even when the dump holds a
subscription; its report names every table, a name with a newline too,
and counts each row once, whatever partitions and inheritance children
there are.  A dump with more large objects than the server can lock in
one transaction fails whole, naming the setting to raise and its value,
and restores once it is raised.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) not found'
	test_done
fi

# set_locks N: restart the cluster with max_locks_per_transaction = N,
# and few connections, so that a few thousand large objects fill the
# lock table: 10 locks times (20 connections + 8 workers + 3 autovacuum
# workers + 1 launcher + 10 WAL senders) = 420.
set_locks () {
	cat >>"$PG_DATA/postgresql.conf" <<-EOF &&
	max_connections = 20
	max_locks_per_transaction = $1
	EOF
	pg_stop &&
	pg_start
}

test_expect_success 'setup' '
	pg_setup &&
	pg_databases >before.databases
'

test_expect_success 'a dump holding a subscription: --check exits 0 and leaves no database behind' '
	pg_psql -d keytrustee -c "CREATE TABLE t (x int)" \
		-c "INSERT INTO t VALUES (1), (2)" \
		-c "CREATE SUBSCRIPTION sub1 CONNECTION '\''host=/nonexistent dbname=x'\''
			PUBLICATION pub1 WITH (connect = false, slot_name = '\''sub1_slot'\'')" &&
	kt-pgdump-wrap >sub.sql &&
	grep "^CREATE SUBSCRIPTION sub1 " sub.sql &&
	kt-pgdump-wrap --check <sub.sql >out 2>err &&
	cat err &&
	! grep "drop it by hand" err &&
	cat >expect <<-\EOF &&
	table public.t: 2 rows
	large objects: 0
	complete: 1 table, 2 rows, 0 sequences, 0 large objects
	EOF
	test_cmp expect out &&
	pg_databases >after.databases &&
	test_cmp before.databases after.databases &&
	echo "keytrustee|sub1|sub1_slot" >expect &&
	pg_psql -d postgres -At -c "SELECT d.datname, s.subname, s.subslotname
		FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid" >actual &&
	test_cmp expect actual
'

test_expect_success 'the report: a name with a newline, partitions and inheritance children counted once' '
	pg_psql -d postgres -c "CREATE DATABASE parts" &&
	pg_psql -d parts -c "CREATE TABLE m (id int PRIMARY KEY, v text)
			PARTITION BY RANGE (id)" \
		-c "CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (100)" \
		-c "CREATE TABLE m2 PARTITION OF m FOR VALUES FROM (100) TO (200)" \
		-c "INSERT INTO m SELECT g, '\''v'\'' FROM generate_series(1, 150) g" \
		-c "CREATE TABLE par (a int)" \
		-c "CREATE TABLE kid (b int) INHERITS (par)" \
		-c "INSERT INTO par VALUES (1); INSERT INTO kid VALUES (2, 3), (4, 5)" \
		-c "CREATE TABLE \"two
lines\" (x int)" \
		-c "INSERT INTO \"two
lines\" VALUES (1), (2), (3)" \
		-c "CREATE TABLE \"tab	and \\ \"\"quote\"\"\" (x int)" &&
	kt-pgdump-wrap parts >parts.sql &&
	kt-pgdump-wrap --check <parts.sql >out &&
	cat >expect <<-\EOF &&
	table public.kid: 2 rows
	table public.m1: 99 rows
	table public.m2: 51 rows
	table public.par: 1 row
	table public.tab\tand \\ \"quote\": 0 rows
	table public.two\nlines: 3 rows
	large objects: 0
	complete: 6 tables, 156 rows, 0 sequences, 0 large objects
	EOF
	test_cmp expect out &&
	pg_psql -d postgres -c "DROP DATABASE parts" &&
	pg_databases >after.databases &&
	test_cmp before.databases after.databases
'

test_expect_success 'setup: more large objects than the lock table holds' '
	set_locks 10 &&
	pg_psql -d postgres -c "CREATE DATABASE los" &&
	pg_psql -d los -c "CREATE TABLE blobs (lo oid)" \
		-c "INSERT INTO blobs SELECT lo_from_bytea(0,
			convert_to('\''object '\'' || g, '\''UTF8'\''))
			FROM generate_series(1, 3000) g" &&
	kt-pgdump-wrap los >los.sql &&
	test $(grep -c "^SELECT pg_catalog.lo_create(" los.sql) = 3000 &&
	pg_table_digest los >los.digest
'

test_expect_success 'they fail whole, naming max_locks_per_transaction and the value to set' '
	test_expect_code 1 kt-pgdump-wrap --check <los.sql >out 2>err &&
	cat err &&
	grep "out of shared memory" err &&
	grep "^kt-pgdump-wrap: the dump holds 3000 large objects, .* sized for about 420 locks (max_locks_per_transaction = 10, times 42 server processes): .*, set max_locks_per_transaction = 96 in postgresql.conf and restart PostgreSQL$" err &&
	test_line_count = 0 out &&
	pg_databases >after.databases &&
	{ cat before.databases && echo los; } | sort >expect &&
	sort after.databases >actual &&
	test_cmp expect actual
'

test_expect_success '--recreate fails alike and changes nothing' '
	pg_psql -d los -c "INSERT INTO blobs VALUES (0)" &&
	pg_table_digest los >changed.digest &&
	test_expect_code 1 kt-pgdump-wrap --restore --recreate los <los.sql 2>err &&
	grep "^kt-pgdump-wrap: the dump holds 3000 large objects, .* set max_locks_per_transaction = 96 " err &&
	pg_table_digest los >after.digest &&
	test_cmp changed.digest after.digest &&
	pg_databases >after.databases &&
	{ cat before.databases && echo los; } | sort >expect &&
	sort after.databases >actual &&
	test_cmp expect actual
'

test_expect_success 'with the value named, they restore' '
	set_locks 96 &&
	kt-pgdump-wrap --check <los.sql >out &&
	grep "^large objects: 3000$" out &&
	kt-pgdump-wrap -q --restore --recreate --drop-old los <los.sql &&
	pg_table_digest los >after.digest &&
	test_cmp los.digest after.digest
'

test_done
