#!/bin/sh

test_description='dump | kt-seal | kt-roll in plain sh: a stage killed at any moment leaves the backup directory as it was'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/lib-pg.sh"
. "$TEST_DIRECTORY/t4000/lib-roll.sh"

if ! test_have_prereq GPG
then
	skip_all='gpg 2.2 or later not found'
	test_done
fi
if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries not found'
	test_done
fi
if ! test_have_prereq FAULTS
then
	skip_all='the fault-injection shim t/helper/kt-faults.so is not built'
	test_done
fi

TRIALS=36
test_have_prereq SANITIZED && TRIALS=12

ROLL_KEEP=2
ROLL_SERIES=kts_db_h_

# The dump: kt-pgdump-wrap where it is built, else the seed's own
# pg_dump -c, so that this test runs before kt-pgdump-wrap exists and uses
# it as soon as it does.
if command -v kt-pgdump-wrap >/dev/null
then
	dump='kt-pgdump-wrap'
else
	dump='pg_dump -c keytrustee'
fi
ROLL_STAGES='dump seal roll'
ROLL_PIPELINE="sh -c 'echo \$\$ >pid.dump; exec $dump' |
	sh -c 'echo \$\$ >pid.seal; exec kt-seal -r \"\$BACKUP_FPR\"' |
	sh -c 'echo \$\$ >pid.roll; exec env LD_PRELOAD=\"\$ROLL_FAULTS\" KT_FAULT_TIME=\"\$1\" kt-roll -o out --prefix kts_db --host h --keep $ROLL_KEEP --suffix .sql.gpg' - \"\$1\" >stdout 2>stderr
	echo \$? >rc"
export ROLL_FAULTS

# Two dumps of the same database differ only in their \restrict keys.
without_keys () {
	grep -v "^\\\\\\(un\\)\\?restrict " "$1"
}

# A stored backup is whole when it decrypts to the database's dump.
roll_verify () {
	gpg --batch -q -d "$1" >check.sql &&
	without_keys check.sql >check.cmp &&
	test_cmp reference.cmp check.cmp
}

test_expect_success 'setup: a keytrustee database, a backup key, a backup directory' '
	gpg_setup &&
	gpg_setup_backup_key &&
	export BACKUP_FPR &&
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	pg_psql -d keytrustee -c "CREATE TABLE bulk AS SELECT g AS id, md5(g::text) AS deposit FROM generate_series(1, 60000) g" &&
	sh -c "$dump" >reference.sql &&
	without_keys reference.sql >reference.cmp &&
	grep "^-- PostgreSQL database dump complete" reference.cmp &&
	mkdir out &&
	roll_plant out kts_db_h_2015-01-01_00-00-00.sql.gpg &&
	roll_plant out kts_db_h_2015-01-02_00-00-00.sql.gpg &&
	roll_plant out kts_bak_h_2015-01-01_00-00-00.tar.gpg &&
	echo "dump: $dump"
'

test_expect_success 'an undisturbed pipeline stores a whole dump' '
	roll_state out >before &&
	roll_run_pipeline $((SEED_TIME - 60)) &&
	test "$(cat rc)" = 0 &&
	roll_check_trial none $((SEED_TIME - 60))
'

test_expect_success "$TRIALS trials, each stage killed in turn at a random moment" '
	roll_trials $TRIALS
'

# kt-seal refuses an empty input: an upstream that dies or fails before
# its first byte must not get an empty backup stored.
test_expect_success 'a dump that fails at the start (no such database): nothing stored' '
	roll_state out >before &&
	sh -c "pg_dump -c nosuchdb | kt-seal -r \"\$BACKUP_FPR\" |
		kt-roll -o out --prefix kts_db --host h --keep 1; echo \$? >rc" 2>err &&
	test "$(cat rc)" = 3 &&
	grep "nosuchdb" err &&
	grep "^kt-roll: refusing to store standard input in out: " err &&
	roll_state out >after &&
	test_cmp before after
'

test_expect_success 'a dump cut short, as when the server dies: nothing stored' '
	roll_state out >before &&
	head -c 100000 reference.sql >cut.sql &&
	sh -c "kt-seal -r \"\$BACKUP_FPR\" <cut.sql |
		kt-roll -o out --prefix kts_db --host h --keep 1; echo \$? >rc" 2>err &&
	test "$(cat rc)" = 3 &&
	roll_state out >after &&
	test_cmp before after
'

test_done
