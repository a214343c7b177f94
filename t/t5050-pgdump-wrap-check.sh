#!/bin/sh

test_description='kt-pgdump-wrap --check: a restore drill

The dump is restored into a throwaway database, what it holds is
reported, and the throwaway database is dropped: after success, failure
and a signal alike.  The real database is never touched.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) not found'
	test_done
fi

# check_leaves_nothing: the databases and keytrustee are as they were.
check_leaves_nothing () {
	pg_databases >after.databases &&
	test_cmp before.databases after.databases &&
	pg_table_digest keytrustee >after.digest &&
	test_cmp before.digest after.digest
}

test_expect_success 'setup: a dump of keytrustee' '
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	kt-pgdump-wrap >dump.sql &&
	pg_table_digest keytrustee >before.digest &&
	pg_databases >before.databases
'

test_expect_success '--check reports tables with rows, sequences and large objects; exit 0; nothing left' '
	kt-pgdump-wrap --check <dump.sql >out 2>err &&
	test_line_count = 0 err &&
	cat >expect <<-\EOF &&
	table public.blobs: 1 row
	table public.deposits: 300 rows
	table public.keys: 301 rows
	sequence public.audit_seq: 42
	sequence public.deposits_id_seq: 300
	sequence public.keys_id_seq: 301
	large objects: 1
	complete: 3 tables, 602 rows, 3 sequences, 1 large object
	EOF
	test_cmp expect out &&
	check_leaves_nothing
'

test_expect_success '--check -q says nothing; a stock pg_dump -c dump checks too' '
	kt-pgdump-wrap --check -q <dump.sql >out 2>err &&
	test_line_count = 0 out &&
	test_line_count = 0 err &&
	pg_dump -c keytrustee >stock.sql &&
	kt-pgdump-wrap --check <stock.sql >out &&
	tail -n 1 out >actual &&
	echo "complete: 3 tables, 602 rows, 3 sequences, 1 large object" >expect &&
	test_cmp expect actual &&
	check_leaves_nothing
'

test_expect_success 'the real database is not needed, nor touched' '
	pg_psql -d postgres -c "ALTER DATABASE keytrustee ALLOW_CONNECTIONS false" &&
	test_when_finished "pg_psql -d postgres -c \"ALTER DATABASE keytrustee ALLOW_CONNECTIONS true\"" &&
	kt-pgdump-wrap --check -q <dump.sql &&
	pg_psql -d postgres -c "ALTER DATABASE keytrustee ALLOW_CONNECTIONS true" &&
	check_leaves_nothing
'

test_expect_success 'a cut dump: exit 3, nothing left' '
	for n in 3000 20000 50000
	do
		head -c $n dump.sql >cut.sql &&
		test_expect_code 3 kt-pgdump-wrap --check <cut.sql >out 2>err &&
		grep "^kt-pgdump-wrap: standard input is not a complete PostgreSQL dump" err &&
		test_line_count = 0 out &&
		check_leaves_nothing || return 1
	done
'

test_expect_success 'an SQL error: exit 1, nothing left' '
	sed "/^-- Name: keys keys_pkey; Type: CONSTRAINT/i\\
SELECT 1 / 0;" dump.sql >bad.sql &&
	test_expect_code 1 kt-pgdump-wrap --check <bad.sql >out 2>err &&
	grep "division by zero" err &&
	check_leaves_nothing
'

test_expect_success 'SIGTERM in the middle: the throwaway database is dropped' '
	mkfifo feed &&
	{ kt-pgdump-wrap --check <feed >out 2>err & } &&
	wpid=$! &&
	exec 7>feed &&
	head -c 20000 dump.sql >&7 &&
	n=0 &&
	while ! pg_databases | grep -q "^kt_check_"
	do
		n=$((n + 1)) &&
		test $n -lt 300 || { exec 7>&-; return 1; }
		sleep 0.1
	done &&
	kill -TERM $wpid &&
	{ wait $wpid; echo $? >rc; } &&
	exec 7>&- &&
	echo 143 >expect &&
	test_cmp expect rc &&
	check_leaves_nothing
'

test_expect_success 'a leftover of a killed --check is named' '
	pg_psql -d postgres -c "CREATE DATABASE kt_check_1_abc" &&
	kt-pgdump-wrap --check -q <dump.sql 2>err &&
	grep "^kt-pgdump-wrap: database kt_check_1_abc exists: left over by an interrupted --check" err &&
	pg_psql -d postgres -c "DROP DATABASE kt_check_1_abc" &&
	check_leaves_nothing
'

test_expect_success 'a dump made in LATIN1 checks in LATIN1' '
	pg_psql -d postgres -c "CREATE DATABASE l1 ENCODING '\''LATIN1'\''
		LC_COLLATE '\''C'\'' LC_CTYPE '\''C'\'' TEMPLATE template0" &&
	pg_load_sample_schema l1 &&
	kt-pgdump-wrap l1 >l1.sql &&
	grep "^SET client_encoding = '\''LATIN1'\'';$" l1.sql &&
	kt-pgdump-wrap --check -q <l1.sql &&
	pg_psql -d postgres -c "DROP DATABASE l1" &&
	check_leaves_nothing
'

test_done
