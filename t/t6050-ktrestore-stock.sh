#!/bin/sh

test_description='ktbackup and ktrestore meet the stock tools both ways

A backup made by ktbackup restores on a bare host with the documented
steps (gpg -d -o backup.tar, tar tvf, tar xvf -C /, drop and create the
database, psql -f), without a warning; and a backup made the documented
way with stock tar, pg_dump -c and gpg -e restores with ktrestore.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/lib-pg.sh"
. "$TEST_DIRECTORY/t6000/lib-ktbackup.sh"

if ! test_have_prereq GPG,PG,GNUTAR
then
	skip_all='needs gpg 2.2, PostgreSQL and GNU tar'
	test_done
fi

test_expect_success 'setup: keys, a database, a server' '
	gpg_setup &&
	gpg_setup_backup_key &&
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	pg_table_digest keytrustee >db.expect &&
	kt_make_kts r &&
	kt_tree "r/$KTS_CONF" >conf.expect
'

# The documented restore, step by step, into the root "bare".
test_expect_success 'a ktbackup backup, restored with gpg, tar and psql as documented' '
	kt_ktbackup --root=r --gpg-recipient="John Doe" -q >backup &&
	mkdir bare &&
	gpg -d -o backup.tar "$(cat backup)" 2>gpg.err &&
	tar tvf backup.tar >listing 2>tar.err &&
	test_line_count = 0 tar.err &&
	test_line_count = 13 listing &&
	tar xvf backup.tar -C bare >names 2>tar.err &&
	test_line_count = 0 tar.err &&
	test_line_count = 13 names &&
	kt_tree "bare/$KTS_CONF" >conf.actual &&
	test_cmp conf.expect conf.actual &&
	sql=$(sed -n "s|^\(var/lib/keytrustee/kts_bak_${HOST}_.*\.sql\)\$|\1|p" names) &&
	test -n "$sql" &&
	test_file_mode "bare/$sql" 600 &&
	psql -X -p 11381 -d postgres -c "drop database keytrustee" &&
	psql -X -p 11381 -d postgres -c "create database keytrustee" &&
	psql -X -p 11381 -v ON_ERROR_STOP=1 -f "bare/$sql" >psql.out 2>psql.err &&
	test_line_count = 0 psql.err &&
	pg_table_digest keytrustee >db.actual &&
	test_cmp db.expect db.actual
'

test_expect_success 'a --cleartext backup restores with tar alone' '
	kt_ktbackup --root=r --cleartext -q >clear 2>/dev/null &&
	mkdir bare2 &&
	tar xf "$(cat clear)" -C bare2 2>tar.err &&
	test_line_count = 0 tar.err &&
	kt_tree "bare2/$KTS_CONF" >conf.actual &&
	test_cmp conf.expect conf.actual
'

test_expect_success BSDTAR 'bsdtar reads a ktbackup backup too' '
	bsdtar tvf backup.tar >bsd.list 2>bsd.err &&
	test_line_count = 0 bsd.err &&
	test_line_count = 13 bsd.list
'

test_expect_success 'setup: a backup made the documented way, with stock tools' '
	stamp=2016-02-10_11-14-37 &&
	sql=var/lib/keytrustee/kts_bak_${HOST}_$stamp.sql &&
	pg_dump -c -p 11381 keytrustee >"r/$sql" &&
	chmod 600 "r/$sql" &&
	tar -C r -cf seed.tar var/lib/keytrustee/.keytrustee "$sql" &&
	rm "r/$sql" &&
	gpg -e -r "John Doe" -o seed.tar.gpg seed.tar &&
	tar tvf seed.tar >seed.list &&
	test_line_count = 13 seed.list
'

test_expect_success 'ktrestore --list of it' '
	ktrestore --list seed.tar.gpg >actual &&
	test_cmp seed.list actual
'

test_expect_success 'ktrestore --check of it' '
	ktrestore --check seed.tar.gpg >out &&
	grep "^complete: 3 tables, 602 rows, 3 sequences, 1 large object$" out
'

test_expect_success 'ktrestore of it: wiped server back, identical' '
	rm -rf "r/$KTS_CONF" &&
	pg_psql -d postgres -c "DROP DATABASE keytrustee" &&
	ktrestore --root=r -q seed.tar.gpg &&
	kt_tree "r/$KTS_CONF" >conf.actual &&
	test_cmp conf.expect conf.actual &&
	pg_table_digest keytrustee >db.actual &&
	test_cmp db.expect db.actual &&
	find r -name "*.sql" >sql &&
	test_line_count = 0 sql
'

test_expect_success 'ktrestore of the decrypted backup.tar of the documented steps' '
	echo changed >"r/$KTS_CONF/keytrustee.conf" &&
	pg_psql -d keytrustee -c "DELETE FROM deposits" &&
	ktrestore --root=r -q seed.tar &&
	kt_tree "r/$KTS_CONF" >conf.actual &&
	test_cmp conf.expect conf.actual &&
	pg_table_digest keytrustee >db.actual &&
	test_cmp db.expect db.actual
'

test_expect_success 'ktrestore of a gzipped stock tarball of a KMS' '
	kt_make_kms k &&
	kt_tree "k/$KMS_CONF" >kms.expect &&
	tar -C k -czf kms.tar.gz "$KMS_CONF" &&
	gpg -e -r john.doe@example.com -o kms.tar.gz.gpg kms.tar.gz &&
	rm -rf "k/$KMS_CONF" &&
	ktrestore --root=k -q kms.tar.gz.gpg &&
	kt_tree "k/$KMS_CONF" >kms.actual &&
	test_cmp kms.expect kms.actual
'

test_done
