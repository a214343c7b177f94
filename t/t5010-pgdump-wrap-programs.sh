#!/bin/sh

test_description='kt-pgdump-wrap: which pg_dump and psql it runs, how, and what it sends them

With stand-ins for pg_dump and psql that record their arguments,
environment and input: the parcel PostgreSQL and --pg-bindir, no password
in argv, no psqlrc, the end of a dump withheld when pg_dump fails, and
the statements a restore sends.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t5010/fake-pg.sh"

FAKE_LOG=$TRASH_DIRECTORY/log
FAKE_PSQL_IN=$TRASH_DIRECTORY/psql-in
export FAKE_LOG FAKE_PSQL_IN

# A dump as pg_dump 15.18 writes it, small.
write_dump () {
	cat >"$1" <<-\EOF
	--
	-- PostgreSQL database dump
	--

	\restrict 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZa

	SET client_encoding = 'UTF8';
	SET standard_conforming_strings = on;

	DROP TABLE IF EXISTS public.keys;
	--
	-- Name: keys; Type: TABLE; Schema: public; Owner: keytrustee
	--

	CREATE TABLE public.keys (id integer, material bytea);

	COPY public.keys (id, material) FROM stdin;
	1	\\x00ff
	\.

	--
	-- PostgreSQL database dump complete
	--

	\unrestrict 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZa

	EOF
}

# What psql gets for dump $1: our BEGIN on its first line, the DROPs of
# the clean section made tolerant, our COMMIT after its end.
as_sent () {
	printf 'BEGIN;' &&
	awk '/^DROP / {
		sub(/;$/, "")
		printf "DO $kt_pgdump_wrap$BEGIN EXECUTE $kt_stmt$%s$kt_stmt$; EXCEPTION WHEN undefined_table OR undefined_object OR undefined_function OR undefined_column OR invalid_schema_name THEN NULL; END$kt_pgdump_wrap$;\n", $0
		next
	}
	{ print }' "$1" &&
	echo 'COMMIT;'
}

test_expect_success 'setup: fake PostgreSQL programs in a parcel, a bindir and PATH' '
	write_dump dump.sql &&
	FAKE_DUMP=$TRASH_DIRECTORY/dump.sql &&
	export FAKE_DUMP &&
	parcel=$TRASH_DIRECTORY/parcel &&
	fake_pg_bindir "$parcel/9.3/bin" &&
	fake_pg_bindir "$parcel/9.10/bin" &&
	fake_pg_bindir "$parcel/10.2/bin" &&
	mkdir "$parcel/10.2/lib" &&
	: >"$parcel/10.2/lib/libpq.so.5" &&
	mkdir "$parcel/empty" &&
	fake_pg_bindir "$TRASH_DIRECTORY/mybin" &&
	fake_pg_bindir "$TRASH_DIRECTORY/pathbin"
'

test_expect_success 'the parcel'\''s newest PostgreSQL is used, with the seed'\''s PATH and LD_LIBRARY_PATH' '
	rm -f log &&
	KT_PG_PARCEL_DIR=$parcel kt-pgdump-wrap >out.sql &&
	test_cmp dump.sql out.sql &&
	grep "^env dir=$parcel/10.2/bin " log >env &&
	test_line_count = 2 env &&
	grep "LD_LIBRARY_PATH=$parcel/10.2/bin/../lib " env &&
	grep "PATH=.*:$parcel/10.2/bin$" env &&
	! grep "9\.10\|9\.3" log
'

test_expect_success 'a parcel version without libpq gets no LD_LIBRARY_PATH' '
	rm -f log &&
	rm -r "$parcel/10.2" &&
	KT_PG_PARCEL_DIR=$parcel kt-pgdump-wrap >out.sql &&
	grep "^env dir=$parcel/9.10/bin LD_LIBRARY_PATH=unset " log &&
	fake_pg_bindir "$parcel/10.2/bin"
'

test_expect_success '--pg-bindir overrides the parcel' '
	rm -f log &&
	KT_PG_PARCEL_DIR=$parcel kt-pgdump-wrap --pg-bindir mybin >out.sql &&
	test_cmp dump.sql out.sql &&
	grep -c "^env dir=mybin " log >count &&
	echo 2 >expect &&
	test_cmp expect count
'

test_expect_success 'without a parcel, PATH' '
	rm -f log &&
	PATH=$TRASH_DIRECTORY/pathbin:$PATH KT_PG_PARCEL_DIR=$parcel/none \
		kt-pgdump-wrap >out.sql &&
	test_cmp dump.sql out.sql &&
	grep "^env dir=$TRASH_DIRECTORY/pathbin LD_LIBRARY_PATH=unset " log
'

test_expect_success 'a --pg-bindir without the programs is a clear error' '
	mkdir nobin &&
	test_expect_code 1 kt-pgdump-wrap --pg-bindir nobin >out.sql 2>err &&
	grep "^kt-pgdump-wrap: cannot run nobin/psql: No such file or directory" err &&
	test_expect_code 1 kt-pgdump-wrap --pg-bindir nosuchdir >out.sql 2>err &&
	grep "^kt-pgdump-wrap: --pg-bindir nosuchdir: No such file or directory" err
'

test_expect_success 'pg_dump runs with -c, --if-exists, plain format, -w, the seed'\''s port and database' '
	rm -f log &&
	kt-pgdump-wrap --pg-bindir mybin >out.sql &&
	grep "^pg_dump " log >args &&
	echo "pg_dump [--clean] [--if-exists] [--format=plain] [-w] [-p] [11381] [-d] [dbname='\''keytrustee'\'']" >expect &&
	test_cmp expect args
'

test_expect_success 'PGPORT sets the port when -p does not; -h, -U and odd database names pass as they are' '
	rm -f log &&
	PGPORT=5433 kt-pgdump-wrap --pg-bindir mybin >out.sql &&
	grep "^pg_dump .*\[-p\] \[5433\]" log &&
	rm -f log &&
	PGPORT=5433 kt-pgdump-wrap --pg-bindir mybin -p 12345 -h /tmp/sock -U kt \
		"it'\''s a=b\\c" >out.sql &&
	grep "^pg_dump " log >args &&
	printf "%s\n" "pg_dump [--clean] [--if-exists] [--format=plain] [-w] [-h] [/tmp/sock] [-p] [12345] [-U] [kt] [-d] [dbname='\''it\\'\''s a=b\\\\c'\'']" >expect &&
	test_cmp expect args
'

test_expect_success 'pg_dump before 9.4 gets no --if-exists' '
	rm -f log &&
	FAKE_PGDUMP_VERSION=9.3.6 kt-pgdump-wrap --pg-bindir mybin >out.sql &&
	grep "^pg_dump \[--clean\] \[--format=plain\]" log
'

test_expect_success 'a password travels in the environment, never in argv; psql variables stay out' '
	rm -f log &&
	PGPASSWORD=s3cret-pass PSQLRC=/nonexistent PSQL_PAGER=more \
		kt-pgdump-wrap --pg-bindir mybin >out.sql &&
	! grep "^p.*s3cret-pass" log &&
	grep "^env .*PGPASSWORD=s3cret-pass" log >env &&
	test_line_count = 2 env &&
	! grep "PSQLRC=/nonexistent" log &&
	! grep "PSQL_PAGER=more" log &&
	grep "^psql \[-X\] \[-q\] \[-v\] \[ON_ERROR_STOP=1\] \[-w\]" log
'

test_expect_success 'pg_dump failing after a complete dump: its end is withheld, exit 1' '
	test_expect_code 1 env FAKE_PGDUMP_END=fail \
		kt-pgdump-wrap --pg-bindir mybin >out.sql 2>err &&
	grep "^pg_dump: error: something went wrong" err &&
	grep "^kt-pgdump-wrap: pg_dump of database keytrustee exited with status 1: the dump on standard output is incomplete" err &&
	! grep "dump complete" out.sql &&
	! grep unrestrict out.sql &&
	# Everything before the withheld end came out.
	size=$(wc -c <out.sql) &&
	head -c "$size" dump.sql >expect &&
	test_cmp expect out.sql
'

test_expect_success 'pg_dump killed after a complete dump: its end is withheld, exit 1' '
	test_expect_code 1 env FAKE_PGDUMP_END=kill \
		kt-pgdump-wrap --pg-bindir mybin >out.sql 2>err &&
	grep "^kt-pgdump-wrap: pg_dump of database keytrustee was killed by signal 9" err &&
	! grep "dump complete" out.sql
'

test_expect_success 'a big dump: all but the held-back end comes out before pg_dump ends' '
	{
		sed -n "1,/^COPY/p" dump.sql &&
		awk "BEGIN { for (i = 2; i < 40000; i++) printf \"%d\t\\\\\\\\x%064d\n\", i, i }" &&
		sed -n "/^\\\\\\.\$/,\$p" dump.sql
	} >big.sql &&
	test $(wc -c <big.sql) -gt 1000000 &&
	test_expect_code 1 env FAKE_DUMP=$TRASH_DIRECTORY/big.sql FAKE_PGDUMP_END=fail \
		kt-pgdump-wrap --pg-bindir mybin >out.sql 2>err &&
	size=$(wc -c <out.sql) &&
	total=$(wc -c <big.sql) &&
	test $((total - size)) -eq 8192 &&
	! grep "dump complete" out.sql &&
	env FAKE_DUMP=$TRASH_DIRECTORY/big.sql kt-pgdump-wrap --pg-bindir mybin >out.sql &&
	test_cmp big.sql out.sql
'

test_expect_success 'pg_dump exiting 0 without the trailer: withheld, exit 1' '
	head -n 19 dump.sql >cut.sql &&
	test_expect_code 1 env FAKE_DUMP=$TRASH_DIRECTORY/cut.sql \
		kt-pgdump-wrap --pg-bindir mybin >out.sql 2>err &&
	grep "^kt-pgdump-wrap: pg_dump of database keytrustee exited 0, but its output is not a complete dump" err &&
	test ! -s out.sql
'

test_expect_success 'a closed standard output stops pg_dump; exit 1, quietly' '
	FAKE_DUMP=$TRASH_DIRECTORY/big.sql &&
	export FAKE_DUMP &&
	{ kt-pgdump-wrap --pg-bindir mybin 2>err; echo $? >rc; } | head -c 10 >/dev/null &&
	echo 1 >expect &&
	test_cmp expect rc &&
	test_line_count = 0 err &&
	FAKE_DUMP=$TRASH_DIRECTORY/dump.sql
'

test_expect_success 'restore: one transaction around the dump, committed after its trailer' '
	kt-pgdump-wrap --restore --pg-bindir mybin <dump.sql &&
	as_sent dump.sql >expect &&
	test_cmp expect psql-in &&
	grep "^psql \[-X\] \[-q\] \[-v\] \[ON_ERROR_STOP=1\] \[-w\] \[-p\] \[11381\] \[-d\] \[dbname='\''keytrustee'\''\]$" log
'

test_expect_success 'restore: a psql too old for restrict lines gets the dump without them' '
	FAKE_PSQL_VERSION=15.13 kt-pgdump-wrap --restore --pg-bindir mybin <dump.sql &&
	sed "s/^\\\\\\(un\\)\\?restrict .*//" dump.sql >norestrict.sql &&
	as_sent norestrict.sql >expect &&
	test_cmp expect psql-in
'

test_expect_success 'restore: the dump'\''s own BEGIN/COMMIT dropped, clean-section DROPs tolerant, the rest untouched' '
	kt-pgdump-wrap --restore --pg-bindir mybin <"$TEST_DIRECTORY/t5010/tricky.sql" &&
	test_cmp "$TEST_DIRECTORY/t5010/tricky.expect" psql-in
'

test_expect_success 'restore: only drops are made tolerant, even in a dump without object headers' '
	sed -e "/^-- Name:/d" -e "/^\\\\\.\$/a\\
ALTER TABLE ONLY public.keys ADD CONSTRAINT keys_pkey PRIMARY KEY (id);\\
ALTER TABLE public.keys ALTER COLUMN id DROP DEFAULT;" dump.sql >noheaders.sql &&
	kt-pgdump-wrap --restore --pg-bindir mybin <noheaders.sql &&
	grep "^ALTER TABLE ONLY public.keys ADD CONSTRAINT keys_pkey PRIMARY KEY (id);\$" psql-in &&
	grep -F "EXECUTE \$kt_stmt\$ALTER TABLE public.keys ALTER COLUMN id DROP DEFAULT\$kt_stmt\$;" psql-in &&
	grep "^DO .*DROP TABLE IF EXISTS public.keys" psql-in &&
	! grep "^DO .*CREATE" psql-in
'

test_expect_success 'restore: a cut dump never gets its COMMIT; exit 3' '
	for n in 1 5 10 15 19 20 21 24 25
	do
		head -n $n dump.sql >cut.sql &&
		rm -f psql-in &&
		test_expect_code 3 kt-pgdump-wrap --restore --pg-bindir mybin <cut.sql 2>err &&
		grep "^kt-pgdump-wrap: standard input is not a complete PostgreSQL dump" err &&
		{ test ! -f psql-in || ! grep COMMIT psql-in; } || return 1
	done
'

test_expect_success 'restore: a psql that fails means failure, exit 1' '
	test_expect_code 1 env FAKE_PSQL_EXIT=3 \
		kt-pgdump-wrap --restore --pg-bindir mybin <dump.sql 2>err &&
	grep "^kt-pgdump-wrap: restore into database keytrustee failed: psql exited with status 3 at the error above; rolled back, database keytrustee unchanged" err
'

# refuse_stmt NAME SQL: a dump with SQL in its middle is refused before
# psql gets SQL.
refuse_stmt () {
	sed "/^CREATE TABLE/a\\
$2" dump.sql >bad.sql &&
	rm -f psql-in &&
	test_expect_code 1 kt-pgdump-wrap --restore --pg-bindir mybin <bad.sql 2>err &&
	cat err &&
	grep "^kt-pgdump-wrap: standard input: line 16: refusing $1" err &&
	{ test ! -f psql-in || test $(wc -l <psql-in) -lt 16; }
}

test_expect_success 'restore: statements that would end the transaction are refused' '
	refuse_stmt "\"ROLLBACK\"" "ROLLBACK;" &&
	refuse_stmt "\"END\"" "END;" &&
	refuse_stmt "\"COMMIT AND\"" "COMMIT AND CHAIN;" &&
	refuse_stmt "\"START TRANSACTION\"" "START TRANSACTION;" &&
	refuse_stmt "\"PREPARE TRANSACTION\"" "PREPARE TRANSACTION '\''x'\'';" &&
	refuse_stmt "\"COMMIT PREPARED\"" "COMMIT PREPARED '\''x'\'';" &&
	refuse_stmt "\"ABORT\"" "abort;"
'

test_expect_success 'restore: psql meta-commands are refused' '
	refuse_stmt "the psql meta-command \\\\!" "\\\\! touch pwned" &&
	refuse_stmt "the psql meta-command \\\\connect" "\\\\connect postgres" &&
	refuse_stmt "the psql meta-command \\\\set" "\\\\set ON_ERROR_STOP 0" &&
	refuse_stmt "the psql meta-command \\\\g" "SELECT 1 \\\\g"
'

test_expect_success 'restore: not a dump, empty, gzip: clear errors, psql never started' '
	rm -f log &&
	echo "SELECT 1;" >notdump.sql &&
	test_expect_code 1 kt-pgdump-wrap --restore --pg-bindir mybin <notdump.sql 2>err &&
	grep "^kt-pgdump-wrap: standard input is not a PostgreSQL plain-text dump" err &&
	test_expect_code 3 kt-pgdump-wrap --restore --pg-bindir mybin </dev/null 2>err &&
	grep "^kt-pgdump-wrap: standard input is empty: no dump to restore, nothing changed" err &&
	gzip -c dump.sql >dump.sql.gz &&
	test_expect_code 1 kt-pgdump-wrap --restore --pg-bindir mybin <dump.sql.gz 2>err &&
	grep "^kt-pgdump-wrap: standard input is .*gzip.*: decompress it first" err &&
	printf "PGDMP\001\016\000\004\010\001\001" >custom.dump &&
	test_expect_code 1 kt-pgdump-wrap --restore --pg-bindir mybin <custom.dump 2>err &&
	grep "^kt-pgdump-wrap: standard input is a pg_dump archive in custom format" err &&
	test_path_is_missing log
'

test_done
