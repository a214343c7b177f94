#!/bin/sh

test_description='kt-pgdump-wrap: dump

A dump comes out whole, with its completion trailer, only when pg_dump
succeeded: pg_dump killed in the middle of the stream, or failing at its
start, leaves a dump without its end, which a restore then refuses.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) not found'
	test_done
fi

# Rows of bulk: enough that pg_dump is still writing when killed.
ROWS=200000
test_have_prereq SANITIZED && ROWS=100000

has_trailer () {
	tail -c 200 "$1" | grep -q "^-- PostgreSQL database dump complete$"
}

test_expect_success 'setup: a keytrustee database with a bulk table' '
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	pg_psql -d keytrustee -c "CREATE TABLE bulk AS SELECT g AS id,
		md5(g::text) AS deposit FROM generate_series(1, $ROWS) g" &&
	pg_table_digest keytrustee >source.digest
'

test_expect_success 'a dump is a complete plain dump of keytrustee, on port 11381 by default' '
	kt-pgdump-wrap >dump.sql 2>err &&
	test_line_count = 0 err &&
	head -n 2 dump.sql | grep "^-- PostgreSQL database dump$" &&
	has_trailer dump.sql &&
	tail -n 2 dump.sql | grep "^\\\\unrestrict " &&
	grep "^DROP TABLE IF EXISTS public.keys;$" dump.sql &&
	test $(wc -c <dump.sql) -gt 2000000
'

test_expect_success 'round trip: the dump restores what was dumped, over a changed database' '
	pg_psql -d keytrustee -c "UPDATE keys SET material = '\''\\x00'\''
		WHERE id = 7; DELETE FROM deposits WHERE id > 250;
		INSERT INTO bulk VALUES (0, '\''extra'\''); SELECT setval('\''audit_seq'\'', 99)" &&
	pg_table_digest keytrustee >changed.digest &&
	! test_cmp source.digest changed.digest &&
	kt-pgdump-wrap --restore <dump.sql &&
	pg_table_digest keytrustee >restored.digest &&
	test_cmp source.digest restored.digest
'

test_expect_success 'the dump loads with stock psql and ON_ERROR_STOP into an empty database (the seed'\''s way)' '
	pg_psql -d postgres -c "CREATE DATABASE seedway" &&
	psql -X -q -v ON_ERROR_STOP=1 -d seedway -f dump.sql >/dev/null &&
	pg_table_digest seedway >seedway.digest &&
	test_cmp source.digest seedway.digest
'

test_expect_success 'a dump of another database, -q, and -v' '
	kt-pgdump-wrap -q seedway >seedway.sql 2>err &&
	test_line_count = 0 err &&
	has_trailer seedway.sql &&
	kt-pgdump-wrap -v seedway >seedway.sql 2>err &&
	grep "^kt-pgdump-wrap: dumped database seedway: [0-9]* bytes, complete$" err
'

test_expect_success 'pg_dump killed mid-stream: no trailer, exit 1, and a restore refuses the rest' '
	mkfifo fifo &&
	{ kt-pgdump-wrap >fifo 2>err & } &&
	wpid=$! &&
	{
		# The first MiB; then pg_dump is blocked writing the rest.
		dd bs=65536 count=16 iflag=fullblock of=part 2>/dev/null &&
		dpid=$(ps -o pid= --ppid $wpid | tr -d " ") &&
		echo "wrapper $wpid, pg_dump $dpid" &&
		test -n "$dpid" &&
		ps -o args= -p $dpid | grep pg_dump &&
		kill -9 $dpid &&
		cat >>part
	} <fifo &&
	{ wait $wpid; echo $? >rc; } &&
	echo 1 >expect &&
	test_cmp expect rc &&
	cat err &&
	grep "^kt-pgdump-wrap: pg_dump of database keytrustee was killed by signal 9 (Killed): the dump on standard output is incomplete" err &&
	test $(wc -c <part) -ge 1048576 &&
	test $(wc -c <part) -lt $(wc -c <dump.sql) &&
	! has_trailer part &&
	! grep "dump complete" part &&
	pg_table_digest keytrustee >before.digest &&
	test_expect_code 3 kt-pgdump-wrap --restore <part 2>err &&
	grep "^kt-pgdump-wrap: standard input is not a complete PostgreSQL dump" err &&
	pg_table_digest keytrustee >after.digest &&
	test_cmp before.digest after.digest
'

test_expect_success 'pg_dump failing at its start (a role without privileges): its error, exit 1, no trailer' '
	pg_psql -d postgres -c "CREATE ROLE reader LOGIN" &&
	test_expect_code 1 kt-pgdump-wrap -U reader >out.sql 2>err &&
	cat err &&
	grep "^pg_dump: error: .*permission denied" err &&
	grep "^kt-pgdump-wrap: pg_dump of database keytrustee exited with status 1: the dump on standard output is incomplete" err &&
	! grep "dump complete" out.sql
'

test_expect_success 'a database that does not exist: named, exit 1, nothing on standard output' '
	test_expect_code 1 kt-pgdump-wrap nosuchdb >out.sql 2>err &&
	cat err &&
	grep "^kt-pgdump-wrap: cannot connect to PostgreSQL on $PGHOST port 11381: database nosuchdb does not exist$" err &&
	test_line_count = 1 err &&
	test ! -s out.sql
'

test_expect_success 'the dump is the same as bare pg_dump -c --if-exists, but for its restrict key' '
	pg_dump -c --if-exists keytrustee >bare.sql &&
	kt-pgdump-wrap >ours.sql &&
	grep -v "^\\\\\\(un\\)\\?restrict " bare.sql >bare.cmp &&
	grep -v "^\\\\\\(un\\)\\?restrict " ours.sql >ours.cmp &&
	test_cmp bare.cmp ours.cmp
'

test_done
