#!/bin/sh

test_description='kt-pgdump-wrap --check on real databases

A restore drill leaves no database behind, even when the dump holds a
subscription; its report names every table, a name with a newline too,
and counts each row once, whatever partitions and inheritance children
there are.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) not found'
	test_done
fi

databases () {
	pg_psql -d postgres -At -c "SELECT datname FROM pg_database
		ORDER BY datname"
}

test_expect_success 'setup' '
	pg_setup &&
	databases >before.databases
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
	databases >after.databases &&
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
	databases >after.databases &&
	test_cmp before.databases after.databases
'

test_done
