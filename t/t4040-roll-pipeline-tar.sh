#!/bin/sh

test_description='collect | tar | kt-seal | kt-roll in plain sh: a stage killed at any moment leaves the backup directory as it was'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/t4000/lib-roll.sh"

if ! test_have_prereq GPG
then
	skip_all='gpg 2.2 or later not found'
	test_done
fi
if ! test_have_prereq FAULTS
then
	skip_all='the fault-injection shim t/helper/kt-faults.so is not built'
	test_done
fi

TRIALS=48
test_have_prereq SANITIZED && TRIALS=16

ROLL_KEEP=3
ROLL_SERIES=kts_bak_h_

# The upstream of kt-seal: kt-collect | kt-tar -c where they are built,
# else GNU tar standing in for both, so that this test runs before they
# exist and uses them as soon as they do.
if command -v kt-collect >/dev/null && command -v kt-tar >/dev/null
then
	ROLL_STAGES='collect tar seal roll'
	upstream='sh -c "echo \$\$ >pid.collect; exec kt-collect -0 -C root /var/lib/keytrustee/.keytrustee" |
		sh -c "echo \$\$ >pid.tar; exec kt-tar -c -0 -C root"'
else
	ROLL_STAGES='tar seal roll'
	upstream='sh -c "echo \$\$ >pid.tar; exec tar -C root -cf - var"'
fi
ROLL_PIPELINE="$upstream |
	sh -c 'echo \$\$ >pid.seal; exec kt-seal -r \"\$BACKUP_FPR\"' |
	sh -c 'echo \$\$ >pid.roll; exec env LD_PRELOAD=\"\$ROLL_FAULTS\" KT_FAULT_TIME=\"\$1\" kt-roll -o out --host h --keep $ROLL_KEEP --suffix .tar.gpg' - \"\$1\" >stdout 2>stderr
	echo \$? >rc"
export ROLL_FAULTS

# A stored backup is whole when it decrypts and its files are the ones of
# the fake root.
roll_verify () {
	rm -rf check &&
	mkdir check &&
	gpg --batch -q -d "$1" >check.tar &&
	tar -C check -xf check.tar 2>/dev/null &&
	diff -r root/var check/var
}

test_expect_success 'setup: a Key Trustee root, a backup key, a backup directory' '
	gpg_setup &&
	gpg_setup_backup_key &&
	export BACKUP_FPR &&
	mkdir root out &&
	roll_make_payload root 2048 3000 &&
	roll_plant out kts_bak_h_2015-01-01_00-00-00.tar.gpg &&
	roll_plant out kts_bak_h_2015-01-02_00-00-00.tar.gpg &&
	roll_plant out kts_bak_h_2015-01-03_00-00-00.tar.gpg &&
	roll_plant out kts_bak_other_2015-01-01_00-00-00.tar.gpg &&
	roll_plant out README &&
	echo "upstream: $ROLL_STAGES"
'

test_expect_success 'an undisturbed pipeline stores a whole backup' '
	roll_state out >before &&
	roll_run_pipeline $((SEED_TIME - 60)) &&
	test "$(cat rc)" = 0 &&
	roll_check_trial none $((SEED_TIME - 60))
'

test_expect_success "$TRIALS trials, each stage killed in turn at a random moment" '
	roll_trials $TRIALS
'

test_expect_success 'a stage that fails rather than dies: kt-seal with an unknown key' '
	roll_state out >before &&
	sh -c "tar -C root -cf - var | kt-seal -r nobody@example.com |
		kt-roll -o out --host h --keep 1 --suffix .tar.gpg; echo \$? >rc" 2>err &&
	test "$(cat rc)" = 3 &&
	grep "^kt-roll: refusing to store standard input in out: the stream is empty" err &&
	roll_state out >after &&
	test_cmp before after
'

# kt-seal refuses an empty input: an upstream that dies or fails before
# its first byte must not get an empty backup stored.
test_expect_success 'an upstream that fails before its first byte: nothing stored' '
	roll_state out >before &&
	sh -c "false | kt-seal -r \"\$BACKUP_FPR\" |
		kt-roll -o out --host h --keep 1 --suffix .tar.gpg; echo \$? >rc" 2>err &&
	test "$(cat rc)" = 3 &&
	grep "^kt-roll: refusing to store standard input in out: " err &&
	roll_state out >after &&
	test_cmp before after
'

test_expect_success 'an upstream that stops short: kt-seal does not finish the message' '
	roll_state out >before &&
	tar -C root -cf - var | head -c 200000 >cut.tar &&
	sh -c "kt-seal -r \"\$BACKUP_FPR\" <cut.tar |
		kt-roll -o out --host h --keep 1 --suffix .tar.gpg; echo \$? >rc" 2>err &&
	test "$(cat rc)" = 3 &&
	grep "^kt-seal: " err &&
	grep "^kt-roll: refusing to store standard input in out: " err &&
	roll_state out >after &&
	test_cmp before after
'

test_done
