#!/bin/sh

test_description='kt-pgdump-wrap --restore --recreate: a fresh database swapped in

The seed drops and re-creates the database, then loads the dump.  Here
the dump goes into a fresh database, which replaces the old one only when
the restore has succeeded; the old one is kept under a dated name unless
--drop-old.  Other sessions on the database are refused by name; a cut
or failing dump, or a signal, changes nothing and leaves nothing behind.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) not found'
	test_done
fi

# The database's attributes that a re-creation must keep.
db_attributes () {
	pg_psql -d postgres -At -c "SELECT datname, pg_get_userbyid(datdba),
		pg_encoding_to_char(encoding), datcollate, datctype,
		datconnlimit, datacl, (SELECT setconfig FROM pg_db_role_setting
		WHERE setdatabase = d.oid AND setrole = 0),
		shobj_description(oid, 'pg_database')
		FROM pg_database d WHERE datname = '$1'"
}

test_expect_success 'setup: a dump of keytrustee, then keytrustee changed' '
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	pg_table_digest keytrustee >dumped.digest &&
	kt-pgdump-wrap >dump.sql &&
	pg_psql -d keytrustee -c "INSERT INTO keys (name, material)
		VALUES ('\''later'\'', '\''\\xff'\'');
		CREATE TABLE not_in_dump (x int)" &&
	pg_table_digest keytrustee >before.digest &&
	pg_databases >before.databases
'

test_expect_success 'another session on keytrustee: refused, named, nothing changed' '
	mkfifo hold ready &&
	{ PGAPPNAME=t5040-holder psql -X -q -At -d keytrustee <hold >ready 2>&1 & } &&
	exec 8>hold 9<ready &&
	test_when_finished "exec 8>&- 9<&-" &&
	echo "SELECT '\''connected'\'';" >&8 &&
	read line <&9 &&
	test "$line" = connected &&
	test_expect_code 1 kt-pgdump-wrap --restore --recreate <dump.sql 2>err &&
	cat err &&
	grep "^kt-pgdump-wrap: database keytrustee is in use by 1 other session; stop them first; nothing changed:$" err &&
	grep "^  pid [0-9]*, user keytrustee, application t5040-holder, client local socket$" err &&
	pg_databases >after.databases &&
	test_cmp before.databases after.databases &&
	pg_table_digest keytrustee >after.digest &&
	test_cmp before.digest after.digest
'

test_expect_success 'a cut dump: exit 3, nothing changed, nothing left behind' '
	head -c 30000 dump.sql >cut.sql &&
	test_expect_code 3 kt-pgdump-wrap --restore --recreate <cut.sql 2>err &&
	cat err &&
	grep "^kt-pgdump-wrap: standard input is not a complete PostgreSQL dump" err &&
	pg_databases >after.databases &&
	test_cmp before.databases after.databases &&
	pg_table_digest keytrustee >after.digest &&
	test_cmp before.digest after.digest
'

test_expect_success 'an SQL error: exit 1, nothing changed, nothing left behind' '
	sed "/^-- Name: keys keys_pkey; Type: CONSTRAINT/i\\
SELECT 1 / 0;" dump.sql >bad.sql &&
	test_expect_code 1 kt-pgdump-wrap --restore --recreate <bad.sql 2>err &&
	grep "division by zero" err &&
	pg_databases >after.databases &&
	test_cmp before.databases after.databases &&
	pg_table_digest keytrustee >after.digest &&
	test_cmp before.digest after.digest
'

test_expect_success 'SIGTERM during the restore: nothing changed, nothing left behind' '
	mkfifo feed &&
	{ kt-pgdump-wrap --restore --recreate <feed 2>err & } &&
	wpid=$! &&
	exec 7>feed &&
	head -c 20000 dump.sql >&7 &&
	n=0 &&
	while ! pg_databases | grep -q "^keytrustee_kt_new_"
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
	pg_databases >after.databases &&
	test_cmp before.databases after.databases &&
	pg_table_digest keytrustee >after.digest &&
	test_cmp before.digest after.digest
'

test_expect_success 'the dump replaces keytrustee; the old one is kept under a dated name' '
	kt-pgdump-wrap --restore --recreate <dump.sql 2>err &&
	cat err &&
	old=$(sed -n "s/^kt-pgdump-wrap: database keytrustee restored; the old one kept as \\(keytrustee_old_[0-9]\\{8\\}_[0-9]\\{6\\}\\)$/\\1/p" err) &&
	test -n "$old" &&
	pg_table_digest keytrustee >after.digest &&
	test_cmp dumped.digest after.digest &&
	pg_table_digest "$old" >old.digest &&
	test_cmp before.digest old.digest &&
	{ cat before.databases && echo "$old"; } | sort >expect &&
	pg_databases | sort >actual &&
	test_cmp expect actual &&
	pg_psql -d postgres -c "DROP DATABASE \"$old\""
'

test_expect_success 'two in the same second do not clash on the old name' '
	kt-pgdump-wrap -q --restore --recreate <dump.sql &&
	kt-pgdump-wrap -q --restore --recreate <dump.sql &&
	pg_databases | grep -c "^keytrustee_old_" >count &&
	echo 2 >expect &&
	test_cmp expect count &&
	for db in $(pg_databases | grep "^keytrustee_old_")
	do
		pg_psql -d postgres -c "DROP DATABASE \"$db\"" || return 1
	done
'

test_expect_success '--drop-old leaves no old database' '
	kt-pgdump-wrap --restore --recreate --drop-old <dump.sql 2>err &&
	grep "^kt-pgdump-wrap: database keytrustee restored; the old one dropped$" err &&
	pg_databases >after.databases &&
	test_cmp before.databases after.databases &&
	pg_table_digest keytrustee >after.digest &&
	test_cmp dumped.digest after.digest
'

test_expect_success 'a stock pg_dump -c dump (no --if-exists) loads into the fresh database' '
	pg_dump -c keytrustee >stock.sql &&
	kt-pgdump-wrap -q --restore --recreate --drop-old <stock.sql &&
	pg_table_digest keytrustee >after.digest &&
	test_cmp dumped.digest after.digest
'

test_expect_success 'a database that does not exist yet is created' '
	kt-pgdump-wrap --restore --recreate newdb <dump.sql 2>err &&
	grep "^kt-pgdump-wrap: database newdb created from the dump$" err &&
	pg_table_digest newdb >new.digest &&
	test_cmp dumped.digest new.digest
'

test_expect_success 'owner, encoding, locale, connection limit, privileges, settings and comment are kept' '
	pg_psql -d postgres -c "CREATE ROLE ktowner" -c "CREATE ROLE reader" \
		-c "CREATE DATABASE kt2 OWNER ktowner ENCODING '\''LATIN1'\''
			LC_COLLATE '\''C'\'' LC_CTYPE '\''C'\'' TEMPLATE template0
			CONNECTION LIMIT 7" \
		-c "ALTER DATABASE kt2 SET work_mem = '\''8MB'\''" \
		-c "REVOKE ALL ON DATABASE kt2 FROM PUBLIC" \
		-c "GRANT CONNECT ON DATABASE kt2 TO reader" \
		-c "COMMENT ON DATABASE kt2 IS '\''the key store'\''" &&
	pg_load_sample_schema kt2 &&
	pg_table_digest kt2 >kt2.digest &&
	db_attributes kt2 >expect &&
	cat expect &&
	kt-pgdump-wrap kt2 >kt2.sql &&
	kt-pgdump-wrap --restore --recreate --drop-old kt2 <kt2.sql &&
	db_attributes kt2 >actual &&
	test_cmp expect actual &&
	pg_table_digest kt2 >after.digest &&
	test_cmp kt2.digest after.digest
'

test_done
