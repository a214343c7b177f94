#!/bin/sh

test_description='lib-pg.sh: a throwaway PostgreSQL cluster

kt-pgdump-wrap, ktbackup and ktrestore tests stand on this cluster and on
pg_table_digest to tell whether a restore brought back what was dumped.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) not found'
	test_done
fi

test_expect_success 'pg_setup starts a cluster on a private socket' '
	pg_setup &&
	case $PGHOST in /tmp/ktp.??????) ;; *) false ;; esac &&
	test "$PGPORT" = 11381 &&
	test "$PGUSER" = keytrustee &&
	test -S "$PGHOST/.s.PGSQL.11381" &&
	pg_psql -At -c "SHOW listen_addresses" >actual &&
	echo >expect &&
	test_cmp expect actual
'

test_expect_success 'the keytrustee database exists, owned by keytrustee' '
	pg_psql -At -d postgres -c "SELECT datname, pg_get_userbyid(datdba),
		pg_encoding_to_char(encoding) FROM pg_database
		WHERE datname = current_user" >actual &&
	echo "keytrustee|keytrustee|UTF8" >expect &&
	test_cmp expect actual &&
	# As in the seed: plain "psql -p 11381" lands in keytrustee.
	psql -X -p 11381 -At -c "SELECT current_database()" >actual &&
	echo keytrustee >expect &&
	test_cmp expect actual
'

test_expect_success 'the server does not run as root' '
	pid=$(head -n 1 "$PG_DATA/postmaster.pid") &&
	owner=$(ps -o user= -p "$pid") &&
	echo "postmaster $pid runs as $owner" &&
	test -n "$owner" &&
	test "$owner" != root
'

test_expect_success 'pg_load_sample_schema fills keytrustee' '
	pg_load_sample_schema keytrustee &&
	pg_psql -At -c "SELECT count(*) FROM keys" >actual &&
	echo 301 >expect &&
	test_cmp expect actual &&
	pg_psql -At -c "SELECT length(material) FROM keys
		WHERE name = '\''all-bytes'\''" >actual &&
	echo 256 >expect &&
	test_cmp expect actual &&
	pg_psql -At -c "SELECT length(lo_get(lo)) FROM blobs" >actual &&
	echo 1024 >expect &&
	test_cmp expect actual
'

test_expect_success 'pg_table_digest names every table, sequence and blob' '
	pg_table_digest keytrustee >digest1 &&
	cat digest1 &&
	cut -d" " -f1,2 digest1 >actual &&
	oid=$(pg_psql -At -c "SELECT lo FROM blobs") &&
	cat >expect <<-EOF &&
	table blobs
	table deposits
	table keys
	sequence audit_seq
	sequence deposits_id_seq
	sequence keys_id_seq
	large-object $oid
	EOF
	test_cmp expect actual &&
	grep "^sequence audit_seq 42 1$" digest1 &&
	grep "^table keys 301 [0-9a-f]\{64\}$" digest1
'

test_expect_success 'pg_table_digest is stable and sees changes' '
	pg_table_digest keytrustee >digest2 &&
	test_cmp digest1 digest2 &&
	pg_psql -c "UPDATE deposits SET deposit = deposit || '\''!'\''
		WHERE id = 151" &&
	pg_table_digest keytrustee >digest3 &&
	! test_cmp digest1 digest3 >diff &&
	grep "^-table deposits" diff &&
	! grep "^-table keys" diff &&
	pg_psql -c "SELECT lo_put(lo, 0, '\''\\x00'\'') FROM blobs" &&
	pg_table_digest keytrustee >digest4 &&
	! test_cmp digest3 digest4 >diff &&
	grep "^-large-object" diff
'

test_expect_success 'a database loaded alike has the same digest' '
	pg_psql -c "CREATE DATABASE alike" &&
	pg_load_sample_schema alike &&
	pg_table_digest alike >alike.digest &&
	# Only the large object number may differ, and with it table blobs.
	grep -Ev "^(large-object|table blobs) " digest1 >expect &&
	grep -Ev "^(large-object|table blobs) " alike.digest >actual &&
	test_cmp expect actual
'

test_expect_success 'pg_dump | psql round trip keeps the digest' '
	pg_table_digest keytrustee >before &&
	pg_dump -d keytrustee >dump.sql &&
	pg_psql -c "CREATE DATABASE copy" &&
	pg_psql -d copy -f dump.sql &&
	pg_table_digest copy >after &&
	test_cmp before after
'

test_expect_success 'pg_stop makes clients fail, pg_start brings it back' '
	pg_stop &&
	test_must_fail pg_psql -c "SELECT 1" 2>err &&
	grep -i "no such file\|connection" err &&
	test_must_fail pg_table_digest keytrustee &&
	pg_start &&
	pg_table_digest keytrustee >again &&
	test_cmp digest4 again
'

# A nested script that starts a cluster and ends: no postgres process of
# it may survive, and its directory must be gone.
test_expect_success 'no postgres outlives the test script' '
	cat >sub.sh <<-\EOF &&
	#!/bin/sh
	test_description="nested pg"
	. "$top_srcdir/t/test-lib.sh"
	. "$top_srcdir/t/lib-pg.sh"
	test_expect_success "start a cluster" "
		pg_setup &&
		echo \"\$PG_DIR\" >\"\$OUTER/pgdir\" &&
		pgrep -f \"postgres -D \$PG_DATA\"
	"
	test_done
	EOF
	OUTER=$TRASH_DIRECTORY KT_TEST_VERBOSE= sh sub.sh >sub.out 2>&1 ||
	{ cat sub.out; false; } &&
	dir=$(cat pgdir) &&
	test_path_is_missing "$dir" &&
	! pgrep -fa "$dir"
'

test_expect_success 'an interrupted test script stops its cluster too' '
	cat >sub2.sh <<-\EOF &&
	#!/bin/sh
	test_description="nested pg, killed"
	. "$top_srcdir/t/test-lib.sh"
	. "$top_srcdir/t/lib-pg.sh"
	test_expect_success "start a cluster, then die" "
		pg_setup &&
		echo \"\$PG_DIR\" >\"\$OUTER/pgdir2\" &&
		kill -INT \$\$
	"
	test_done
	EOF
	OUTER=$TRASH_DIRECTORY KT_TEST_VERBOSE= test_expect_code 130 sh sub2.sh >sub2.out 2>&1 &&
	dir=$(cat pgdir2) &&
	test_path_is_missing "$dir" &&
	! pgrep -fa "$dir" &&
	rm -rf "$(sed -n "s/^# trash directory kept: //p" sub2.out)"
'

test_done
