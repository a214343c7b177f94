#!/bin/sh

test_description='kt-pgdump-wrap --restore: all or nothing

A restore runs in one transaction committed only after the completion
trailer: a dump cut at any byte, cut exactly between statements, or
failing with an SQL error in its middle leaves the database exactly as it
was (table digests compared), where psql --single-transaction commits a
cut dump.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) not found'
	test_done
fi

CUTS=40
test_have_prereq SANITIZED && CUTS=15

# restore_refused CODE FILE: kt-pgdump-wrap --restore of FILE fails with
# CODE, and keytrustee is unchanged.
restore_refused () {
	test_expect_code "$1" kt-pgdump-wrap --restore <"$2" 2>err || {
		cat err; return 1; }
	pg_table_digest keytrustee >after.digest &&
	test_cmp before.digest after.digest
}

test_expect_success 'setup: a dump of keytrustee, then keytrustee changed' '
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	pg_table_digest keytrustee >dumped.digest &&
	kt-pgdump-wrap >dump.sql &&
	pg_psql -d keytrustee -c "INSERT INTO keys (name, material)
		VALUES ('\''later'\'', '\''\\xff'\'');
		UPDATE deposits SET deposit = '\''changed'\'' WHERE id = 3;
		SELECT lo_unlink(lo) FROM blobs; DELETE FROM blobs;
		SELECT setval('\''audit_seq'\'', 77)" &&
	pg_table_digest keytrustee >before.digest &&
	! test_cmp dumped.digest before.digest
'

test_expect_success "a dump cut at $CUTS offsets: exit 3, database unchanged every time" '
	size=$(wc -c <dump.sql) &&
	i=1 &&
	while test $i -le $CUTS
	do
		n=$((size * i / (CUTS + 1))) &&
		head -c $n dump.sql >cut.sql &&
		restore_refused 3 cut.sql &&
		grep "^kt-pgdump-wrap: standard input is not a complete PostgreSQL dump (.*): nothing" err ||
		{ echo "cut at $n of $size"; return 1; }
		i=$((i + 1))
	done
'

test_expect_success 'cut near and inside the trailer: exit 3, unchanged' '
	size=$(wc -c <dump.sql) &&
	for back in 1 2 40 70 80 100 120 200 400 9000
	do
		head -c $((size - back)) dump.sql >cut.sql &&
		restore_refused 3 cut.sql || { echo "cut $back before the end"; return 1; }
	done &&
	head -c $((size - 40)) dump.sql >cut.sql &&
	restore_refused 3 cut.sql &&
	grep "PostgreSQL dump cut inside its completion trailer" err
'

test_expect_success 'cut exactly between statements (after a COPY, after the large objects'\'' COMMIT, before the trailer): exit 3, unchanged' '
	for pattern in "^\\\\\\.\$" "^COMMIT;\$" "^    ADD CONSTRAINT deposits_key_id_fkey"
	do
		n=$(grep -n "$pattern" dump.sql | tail -n 1 | cut -d: -f1) &&
		test -n "$n" &&
		head -n $n dump.sql >cut.sql &&
		tail -n 1 cut.sql &&
		restore_refused 3 cut.sql || return 1
	done
'

test_expect_success 'psql --single-transaction commits that same cut dump: the trap' '
	pg_psql -d postgres -c "CREATE DATABASE trap" &&
	pg_dump keytrustee | pg_psql -d trap >/dev/null &&
	pg_table_digest trap >trap-before.digest &&
	n=$(grep -n "^COMMIT;\$" dump.sql | tail -n 1 | cut -d: -f1) &&
	head -n $((n + 2)) dump.sql >cut.sql &&
	psql -X -q -1 -v ON_ERROR_STOP=1 -d trap -f cut.sql >/dev/null 2>&1 &&
	pg_table_digest trap >trap-after.digest &&
	! test_cmp trap-before.digest trap-after.digest &&
	test_expect_code 3 kt-pgdump-wrap --restore trap <cut.sql 2>err &&
	pg_table_digest trap >trap-again.digest &&
	test_cmp trap-after.digest trap-again.digest
'

test_expect_success 'an SQL error in the middle (bad COPY data): exit 1, unchanged' '
	sed "/^COPY public.keys /,/^\\\\\\./s/^150	/x150	/" dump.sql >bad.sql &&
	! test_cmp dump.sql bad.sql >/dev/null &&
	restore_refused 1 bad.sql &&
	grep "ERROR:  invalid input syntax for type integer: \"x150\"" err &&
	grep "^kt-pgdump-wrap: restore into database keytrustee failed: psql exited with status 3 at the error above; rolled back, database keytrustee unchanged$" err
'

test_expect_success 'an SQL error after most of the data and the large objects: exit 1, unchanged' '
	sed "/^-- Name: keys keys_pkey; Type: CONSTRAINT/i\\
SELECT 1 / 0;" dump.sql >bad.sql &&
	restore_refused 1 bad.sql &&
	grep "ERROR:  division by zero" err
'

test_expect_success 'a flipped byte in the trailer, and two dumps joined: exit 3, unchanged' '
	sed "s/^-- PostgreSQL database dump complete\$/-- PostgreSQL database dump Complete/" dump.sql >bad.sql &&
	restore_refused 3 bad.sql &&
	kt-pgdump-wrap >dump2.sql &&
	cat dump.sql dump2.sql >joined.sql &&
	restore_refused 3 joined.sql
'

test_expect_success 'a psql meta-command in an old-style dump is refused, never run' '
	sed "\$d" dump.sql | sed "\$d" | grep -v "^\\\\restrict " |
		sed "/^-- Name: keys keys_pkey; Type: CONSTRAINT/i\\
\\\\! touch pwned" >bad.sql &&
	restore_refused 1 bad.sql &&
	grep "refusing the psql meta-command \\\\!" err &&
	test_path_is_missing pwned
'

test_expect_success 'a ROLLBACK or COMMIT in the middle is refused' '
	sed "/^-- Name: keys keys_pkey; Type: CONSTRAINT/i\\
COMMIT AND CHAIN;" dump.sql >bad.sql &&
	restore_refused 1 bad.sql &&
	grep "refusing \"COMMIT AND\": it would end the restore'\''s single transaction" err
'

test_expect_success 'garbage and empty input: refused before psql runs, unchanged' '
	printf "hello\\n" >garbage &&
	restore_refused 1 garbage &&
	grep "is not a PostgreSQL plain-text dump" err &&
	: >empty &&
	restore_refused 3 empty
'

test_expect_success 'the whole dump restores: digest equal to what was dumped' '
	kt-pgdump-wrap --restore <dump.sql &&
	pg_table_digest keytrustee >after.digest &&
	test_cmp dumped.digest after.digest &&
	kt-pgdump-wrap --restore <dump.sql &&
	pg_table_digest keytrustee >again.digest &&
	test_cmp dumped.digest again.digest
'

test_expect_success 'neither ~/.psqlrc nor PSQLRC is read' '
	cat >.psqlrc <<-\EOF &&
	\set ON_ERROR_STOP off
	CREATE TABLE public.psqlrc_ran (x int);
	EOF
	cp .psqlrc rc.sql &&
	PSQLRC=$TRASH_DIRECTORY/rc.sql kt-pgdump-wrap --restore <dump.sql &&
	pg_psql -d keytrustee -At -c "SELECT count(*) FROM pg_tables
		WHERE tablename = '\''psqlrc_ran'\''" >actual &&
	echo 0 >expect &&
	test_cmp expect actual &&
	rm .psqlrc
'

test_expect_success 'a stock pg_dump -c dump (no --if-exists) restores into an empty database and over keytrustee' '
	pg_dump -c keytrustee >stock.sql &&
	! grep "IF EXISTS" stock.sql &&
	pg_psql -d postgres -c "CREATE DATABASE fresh" &&
	kt-pgdump-wrap --restore fresh <stock.sql &&
	pg_table_digest fresh >fresh.digest &&
	test_cmp dumped.digest fresh.digest &&
	kt-pgdump-wrap --restore <stock.sql &&
	pg_table_digest keytrustee >after.digest &&
	test_cmp dumped.digest after.digest
'

test_expect_success 'quotes, dollar quotes, BEGIN ATOMIC and COPY data that look like COMMIT restore as written' '
	pg_psql -d postgres -c "CREATE DATABASE tricky" &&
	kt-pgdump-wrap --restore tricky <"$TEST_DIRECTORY/t5010/tricky.sql" &&
	pg_psql -d tricky -At -F "|" -c "SELECT id, replace(note, E'\''\\n'\'', '\''<nl>'\'') FROM t ORDER BY id" \
		-c "SELECT public.g(3), public.g(-3), count(*) FROM pg_largeobject_metadata" >actual &&
	cat >expect <<-\EOF &&
	1|COMMIT;
	2|\.
	3|ROLLBACK;	END;
	4|'\''unbalanced "quotes $$
	5|escaped '\'' quote; COMMIT;<nl>ROLLBACK;
	1|0|1
	EOF
	test_cmp expect actual
'

test_expect_success 'a restore into a database that does not exist: named, with the way out' '
	test_expect_code 1 kt-pgdump-wrap --restore nosuchdb <dump.sql 2>err &&
	grep "^kt-pgdump-wrap: cannot connect to PostgreSQL on $PGHOST port 11381: database nosuchdb does not exist (create it, or use --restore --recreate)$" err
'

test_done
