#!/bin/sh

test_description='the manual procedures of ktrestore(8), between two fake hosts

The manual backup (the keytrustee-db and keytrustee-conf pair, encrypted
with a passphrase) made with kt-pgdump-wrap, kt-collect, kt-tar and
kt-seal --symmetric, restored with kt-unseal, kt-pgdump-wrap --restore
and kt-tar -x; and the active server rebuilt from the passive one with
kt-collect --preset passive-db --preset passive-conf | kt-tar -c |
kt-tar -x, in place of the two rsync --exclude commands.  In production
an ssh stands between the two ends of each pipeline.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/lib-pg.sh"
. "$TEST_DIRECTORY/t6000/lib-ktbackup.sh"

if ! test_have_prereq GPG,PG
then
	skip_all='needs gpg 2.2 and PostgreSQL'
	test_done
fi

test_expect_success 'setup: a server kts01, a fresh host kts03, a passphrase' '
	gpg_setup &&
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	pg_table_digest keytrustee >db.expect &&
	kt_make_kts kts01 &&
	mkdir -p kts03/var/lib/keytrustee &&
	pg_psql -d postgres -c "CREATE DATABASE kts03" &&
	echo "correct horse battery staple" >pass &&
	chmod 600 pass &&
	echo "not the passphrase" >wrong &&
	chmod 600 wrong
'

test_expect_success 'manual backup on kts01: keytrustee-db and keytrustee-conf' '
	kt-pgdump-wrap -p 11381 keytrustee |
		kt-seal --symmetric --passphrase-file pass >keytrustee-db.sql.gpg &&
	kt-collect -0 -C kts01 --preset kts | kt-tar -c -0 -C kts01 |
		kt-seal --symmetric --passphrase-file pass >keytrustee-conf.tar.gpg &&
	test_file_not_empty keytrustee-db.sql.gpg &&
	test_file_not_empty keytrustee-conf.tar.gpg &&
	! grep -a "PostgreSQL database dump" keytrustee-db.sql.gpg
'

test_expect_success 'a wrong passphrase restores nothing' '
	pg_table_digest kts03 >db.before &&
	test_must_fail sh -c "kt-unseal --passphrase-file wrong <keytrustee-db.sql.gpg |
		kt-pgdump-wrap --restore -p 11381 kts03" &&
	pg_table_digest kts03 >db.after &&
	test_cmp db.before db.after &&
	test_must_fail sh -c "kt-unseal --passphrase-file wrong <keytrustee-conf.tar.gpg |
		kt-tar -x -C kts03" &&
	test_path_is_missing kts03/var/lib/keytrustee/.keytrustee
'

test_expect_success 'manual restore on kts03: the database' '
	kt-unseal --passphrase-file pass <keytrustee-db.sql.gpg |
		kt-pgdump-wrap --restore -p 11381 kts03 &&
	pg_table_digest kts03 >db.actual &&
	test_cmp db.expect db.actual
'

test_expect_success 'manual restore on kts03: the configuration directory' '
	kt-unseal --passphrase-file pass <keytrustee-conf.tar.gpg |
		kt-tar -x -C kts03 &&
	kt_tree "kts01/$KTS_CONF" >expect &&
	kt_tree "kts03/$KTS_CONF" >actual &&
	test_cmp expect actual
'

test_expect_success 'the manual restore over a database that moved on brings it back' '
	pg_psql -d kts03 -c "DELETE FROM deposits; UPDATE keys SET name = name || '"'-x'"'" &&
	kt-unseal --passphrase-file pass <keytrustee-db.sql.gpg |
		kt-pgdump-wrap --restore -p 11381 kts03 &&
	pg_table_digest kts03 >db.actual &&
	test_cmp db.expect db.actual
'

test_expect_success 'setup: a passive server kts02, a replacement active kts01b' '
	P=kts02/var/lib/keytrustee &&
	kt_make_kts kts02 &&
	mkdir -p $P/db/base/1 $P/db/pg_wal &&
	chmod -R 700 $P/db &&
	echo 15 >$P/db/PG_VERSION &&
	head -c 65536 /dev/urandom >$P/db/base/1/1259 &&
	head -c 16384 /dev/urandom >$P/db/pg_wal/000000010000000000000001 &&
	echo "port = 11381" >$P/db/postgresql.conf &&
	echo "primary_conninfo = '"'host=kts01.example.com'"'" >$P/db/recovery.conf &&
	echo 4242 >$P/db/postmaster.pid &&
	echo 4343 >$P/.keytrustee/keytrustee.pid &&
	echo 4444 >$P/.keytrustee/.ssl/stunnel.pid &&
	chmod 600 $P/db/* $P/.keytrustee/*.pid &&
	mkdir -p kts01b/var/lib/keytrustee
'

test_expect_success 'passive to active: one pipeline in place of the two rsyncs' '
	kt-collect -0 -C kts02 --preset passive-db --preset passive-conf |
		kt-tar -c -0 -C kts02 |
		kt-tar -x --same-owner -C kts01b
'

test_expect_success 'recovery.conf, .ssl and *.pid of the configuration stayed behind' '
	A=kts01b/var/lib/keytrustee &&
	test_path_is_missing $A/db/recovery.conf &&
	test_path_is_missing $A/.keytrustee/.ssl &&
	test_path_is_missing $A/.keytrustee/keytrustee.pid
'

test_expect_success 'everything else arrived identical, as rsync -a would copy it' '
	kt_tree kts02/var/lib/keytrustee |
		grep -v "^db/recovery.conf \|^.keytrustee/.ssl\|^.keytrustee/[^/]*\.pid \|^logs \|^\. " >expect &&
	kt_tree kts01b/var/lib/keytrustee | grep -v "^\. " >actual &&
	test_cmp expect actual &&
	grep "^db/postmaster.pid " actual
'

test_done
