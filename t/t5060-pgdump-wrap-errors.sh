#!/bin/sh

test_description='kt-pgdump-wrap: connection errors

Server not running, wrong port, authentication failure, missing database
and missing role: each one clear line naming the server and the cause,
exit 1, and no dump trailer or database change.  Passwords come from the
environment or a password file, never from the command line.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) not found'
	test_done
fi

# one_error MESSAGE ARGS...: exit 1 with exactly MESSAGE (a regexp) as the
# only line, and an empty standard output.
one_error () {
	one_msg_=$1
	shift
	test_expect_code 1 kt-pgdump-wrap "$@" >out 2>err || { cat err; return 1; }
	cat err &&
	grep "^kt-pgdump-wrap: $one_msg_\$" err &&
	test_line_count = 1 err &&
	test ! -s out
}

test_expect_success 'setup: a cluster, a dump, a role that needs a password' '
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	kt-pgdump-wrap >dump.sql &&
	pg_table_digest keytrustee >before.digest &&
	pg_psql -d postgres -c "CREATE ROLE pwuser LOGIN SUPERUSER
		PASSWORD '\''right-pass'\''" &&
	{ echo "local all pwuser scram-sha-256" && cat "$PG_DATA/pg_hba.conf"; } >hba &&
	cat hba >"$PG_DATA/pg_hba.conf" &&
	pg_psql -d postgres -c "SELECT pg_reload_conf()"
'

test_expect_success 'a wrong port: server not running, named with its socket' '
	msg="cannot connect to PostgreSQL on $PGHOST port 11382: server not running (no socket $PGHOST/.s.PGSQL.11382)" &&
	one_error "$msg" -p 11382 &&
	one_error "$msg" -p 11382 --restore <dump.sql &&
	one_error "$msg" -p 11382 --restore --recreate <dump.sql &&
	one_error "$msg" -p 11382 --check <dump.sql
'

test_expect_success 'a host that does not answer on TCP: server not running' '
	one_error "cannot connect to PostgreSQL on 127.0.0.1 port 11382: server not running (Connection refused)" -h 127.0.0.1 -p 11382
'

test_expect_success 'no password given where one is needed: authentication failed, and how to give one' '
	one_error "cannot connect to PostgreSQL on $PGHOST port 11381 as user pwuser: authentication failed: the server wants a password and none was given (use ~/.pgpass, PGPASSFILE or PGPASSWORD; never the command line)" -U pwuser &&
	one_error "cannot connect .* as user pwuser: authentication failed: the server wants a password .*" -U pwuser --restore <dump.sql
'

test_expect_success 'a wrong password: authentication failed' '
	PGPASSWORD=wrong-pass &&
	export PGPASSWORD &&
	test_when_finished "unset PGPASSWORD" &&
	one_error "cannot connect to PostgreSQL on $PGHOST port 11381 as user pwuser: authentication failed (password authentication failed for user \"pwuser\")" -U pwuser
'

test_expect_success 'the right password from PGPASSWORD or a password file works' '
	PGPASSWORD=right-pass kt-pgdump-wrap -U pwuser >pw.sql &&
	tail -n 6 pw.sql | grep "^-- PostgreSQL database dump complete$" &&
	echo "*:*:*:pwuser:right-pass" >pgpass &&
	chmod 600 pgpass &&
	PGPASSFILE=$TRASH_DIRECTORY/pgpass kt-pgdump-wrap -U pwuser >pw.sql &&
	PGPASSFILE=$TRASH_DIRECTORY/pgpass kt-pgdump-wrap -U pwuser --check -q <dump.sql
'

test_expect_success 'a database that does not exist' '
	one_error "cannot connect to PostgreSQL on $PGHOST port 11381: database nosuchdb does not exist" nosuchdb &&
	one_error "cannot connect to PostgreSQL on $PGHOST port 11381: database nosuchdb does not exist (create it, or use --restore --recreate)" --restore nosuchdb <dump.sql
'

test_expect_success 'a role that does not exist' '
	one_error "cannot connect to PostgreSQL on $PGHOST port 11381: role ghost does not exist" -U ghost &&
	one_error "cannot connect to PostgreSQL on $PGHOST port 11381: role ghost does not exist" -U ghost --check <dump.sql
'

test_expect_success 'the server stopped: not running, for every mode, and nothing changed' '
	pg_stop &&
	test_when_finished "pg_start" &&
	msg="cannot connect to PostgreSQL on $PGHOST port 11381: server not running (no socket $PGHOST/.s.PGSQL.11381)" &&
	one_error "$msg" &&
	one_error "$msg" --restore <dump.sql &&
	one_error "$msg" --restore --recreate <dump.sql &&
	one_error "$msg" --check <dump.sql
'

test_expect_success 'after all that, keytrustee is as it was' '
	pg_table_digest keytrustee >after.digest &&
	test_cmp before.digest after.digest
'

test_done
