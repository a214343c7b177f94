#!/bin/sh

test_description='kt-pgdump-wrap --recreate on real databases

What a real database carries beyond its tables: list-valued settings
(search_path), settings of a role in the database, an owner that revoked
rights from itself, subscriptions, partitioned tables with primary keys.
--recreate keeps them all: the schema (pg_dump -s), the data and the
database-level properties of the re-created database are the original
ones, and no database is left behind.  An in-place --restore that
PostgreSQL cannot do says to use --recreate and changes nothing.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) not found'
	test_done
fi

# The schema of DB, without the random key of \restrict.
schema_of () {
	pg_dump -s -d "$1" >schema.raw &&
	grep -v "^\\\\\\(un\\)\\{0,1\\}restrict " schema.raw
}

# The database-level properties of DB that a re-creation must keep:
# owner, privileges, comment, and every setting, the database's own and
# those of each role in it.
db_properties () {
	pg_psql -d postgres -At -c "SELECT pg_get_userbyid(datdba), datacl,
		shobj_description(oid, 'pg_database')
		FROM pg_database WHERE datname = '$1'" &&
	pg_psql -d postgres -At -c "SELECT CASE setrole WHEN 0 THEN '(database)'
		ELSE pg_get_userbyid(setrole) END, setconfig
		FROM pg_db_role_setting
		WHERE setdatabase = (SELECT oid FROM pg_database
		WHERE datname = '$1') ORDER BY 1"
}

# snapshot DB NAME: what DB holds, in NAME.schema, NAME.digest and
# NAME.props.
snapshot () {
	schema_of "$1" >"$2.schema" &&
	pg_table_digest "$1" >"$2.digest" &&
	db_properties "$1" >"$2.props"
}

# same_as NAME DB: DB holds what snapshot NAME saw.
same_as () {
	snapshot "$2" now &&
	test_cmp "$1.schema" now.schema &&
	test_cmp "$1.digest" now.digest &&
	test_cmp "$1.props" now.props
}

test_expect_success 'setup' '
	pg_setup &&
	pg_psql -d postgres -c "CREATE ROLE ktowner" -c "CREATE ROLE reader" &&
	pg_databases >before.databases
'

test_expect_success 'a list-valued setting (search_path) comes back as the same list' '
	pg_psql -d postgres -c "CREATE DATABASE lists OWNER ktowner" \
		-c "ALTER DATABASE lists SET search_path = public, \"\$user\", \"Odd, Name\", '\'''\''" \
		-c "ALTER DATABASE lists SET temp_tablespaces = pg_default" \
		-c "ALTER DATABASE lists SET work_mem = '\''8MB'\''" &&
	pg_load_sample_schema lists &&
	snapshot lists orig &&
	cat orig.props &&
	cat >stored <<-\EOF &&
	search_path=public, \"$user\", \"Odd, Name\", \"\"
	EOF
	grep -F -f stored orig.props &&
	kt-pgdump-wrap lists >lists.sql &&
	kt-pgdump-wrap -q --restore --recreate --drop-old lists <lists.sql &&
	same_as orig lists &&
	echo "public, \"\$user\", \"Odd, Name\", \"\"" >expect &&
	pg_psql -d lists -At -c "SHOW search_path" >actual &&
	test_cmp expect actual &&
	pg_psql -d postgres -c "DROP DATABASE lists" &&
	pg_databases >after.databases &&
	test_cmp before.databases after.databases
'

test_expect_success 'a setting of a role in the database is kept' '
	pg_psql -d postgres -c "CREATE DATABASE roleset" \
		-c "ALTER ROLE reader IN DATABASE roleset SET work_mem = '\''4MB'\''" \
		-c "ALTER ROLE reader IN DATABASE roleset SET search_path = a, \"B c\"" \
		-c "ALTER ROLE ktowner IN DATABASE roleset SET statement_timeout = 1000" &&
	pg_load_sample_schema roleset &&
	snapshot roleset orig &&
	test_line_count = 3 orig.props &&
	kt-pgdump-wrap roleset >roleset.sql &&
	kt-pgdump-wrap --restore --recreate --drop-old roleset <roleset.sql 2>err &&
	cat err &&
	! grep -i error err &&
	same_as orig roleset &&
	pg_psql -d postgres -c "DROP DATABASE roleset"
'

test_expect_success 'privileges are the old ones, those the owner revoked from itself too' '
	pg_psql -d postgres -c "CREATE DATABASE acls OWNER ktowner" \
		-c "REVOKE TEMPORARY ON DATABASE acls FROM ktowner" \
		-c "REVOKE CONNECT ON DATABASE acls FROM PUBLIC" \
		-c "GRANT CONNECT ON DATABASE acls TO reader WITH GRANT OPTION" \
		-c "COMMENT ON DATABASE acls IS '\''keys, and ACLs'\''" &&
	snapshot acls orig &&
	cat orig.props &&
	kt-pgdump-wrap acls >acls.sql &&
	kt-pgdump-wrap -q --restore --recreate --drop-old acls <acls.sql &&
	same_as orig acls &&
	pg_psql -d postgres -c "DROP DATABASE acls"
'

test_expect_success 'setup: a database with a subscription and partitioned tables with keys' '
	pg_psql -d postgres -c "CREATE DATABASE repl" &&
	pg_load_sample_schema repl &&
	pg_psql -d repl -c "CREATE TABLE m (id int PRIMARY KEY, v text)
			PARTITION BY RANGE (id)" \
		-c "CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (100)" \
		-c "CREATE TABLE m2 PARTITION OF m FOR VALUES FROM (100) TO (200)" \
		-c "INSERT INTO m SELECT g, '\''v'\'' || g FROM generate_series(1, 150) g" \
		-c "CREATE TABLE par (a int)" \
		-c "CREATE TABLE kid (b int) INHERITS (par)" \
		-c "INSERT INTO par VALUES (1); INSERT INTO kid VALUES (2, 3)" \
		-c "CREATE SUBSCRIPTION sub1 CONNECTION '\''host=/nonexistent dbname=x'\''
			PUBLICATION pub1 WITH (connect = false, slot_name = '\''sub1_slot'\'')" &&
	kt-pgdump-wrap repl >repl.sql &&
	grep "^CREATE SUBSCRIPTION sub1 " repl.sql &&
	snapshot repl orig &&
	pg_databases >repl.databases
'

test_expect_success 'in-place --restore over a subscription: says to use --recreate, changes nothing' '
	test_expect_code 1 kt-pgdump-wrap --restore repl <repl.sql 2>err &&
	cat err &&
	grep "DROP SUBSCRIPTION cannot run inside a transaction block" err &&
	grep "^kt-pgdump-wrap: database repl holds subscriptions.*; use --restore --recreate$" err &&
	same_as orig repl &&
	pg_databases >after.databases &&
	test_cmp repl.databases after.databases
'

test_expect_success 'in-place --restore over partitioned tables with keys: says to use --recreate' '
	pg_psql -d repl -c "ALTER SUBSCRIPTION sub1 SET (slot_name = NONE)" &&
	test_when_finished "pg_psql -d repl -c \"ALTER SUBSCRIPTION sub1 SET (slot_name = '\''sub1_slot'\'')\"" &&
	snapshot repl noslot &&
	test_expect_code 1 kt-pgdump-wrap --restore repl <repl.sql 2>err &&
	cat err &&
	grep "cannot drop inherited constraint" err &&
	grep "^kt-pgdump-wrap: database repl holds partitioned tables with primary or unique keys, .*; use --restore --recreate$" err &&
	! grep "holds subscriptions" err &&
	same_as noslot repl
'

test_expect_success '--recreate --drop-old with subscriptions: exit 0, same schema and data, nothing left behind' '
	kt-pgdump-wrap --restore --recreate --drop-old repl <repl.sql 2>err &&
	cat err &&
	grep "^kt-pgdump-wrap: database repl restored; the old one dropped$" err &&
	same_as orig repl &&
	pg_databases >after.databases &&
	test_cmp repl.databases after.databases &&
	echo "sub1|f|sub1_slot" >expect &&
	pg_psql -d repl -At -c "SELECT subname, subenabled, subslotname
		FROM pg_subscription" >actual &&
	test_cmp expect actual
'

test_expect_success 'a --recreate that keeps the old database keeps its subscription' '
	kt-pgdump-wrap --restore --recreate repl <repl.sql 2>err &&
	old=$(sed -n "s/^kt-pgdump-wrap: database repl restored; the old one kept as \\(repl_old_[0-9_]*\\)$/\\1/p" err) &&
	test -n "$old" &&
	same_as orig repl &&
	pg_psql -d postgres -At -c "SELECT d.datname, s.subname
		FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid
		ORDER BY 1" | sort >actual &&
	printf "%s\n" "repl|sub1" "$old|sub1" | sort >expect &&
	test_cmp expect actual
'

test_done
