#!/bin/sh

test_description='kt-tar -c refuses a list from kt-collect that lacks its end record: a killed kt-collect never yields an archive'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"

# The pipeline test needs a list several times larger than what pipes
# and buffers hold (some 300 KiB), so that kt-collect is still running
# when it is killed.
FILES=12000

test_expect_success 'setup: a fake root, its lists, a tree of many files' '
	make_kts_root root &&
	kt-collect -C root --preset kts >list &&
	kt-collect -0 -C root --preset kts >list0 &&
	records=$(wc -l <list) &&
	test "$records" = 15 &&
	mkdir -p big/var/lib/keytrustee/deposits-of-a-busy-key-server &&
	(cd big/var/lib/keytrustee/deposits-of-a-busy-key-server &&
		seq 1 $FILES | split -l 1 -a 5 - deposit-)
'

test_expect_success 'the whole list is archived, and -v says its end was checked' '
	kt-tar -c -v -C root <list >whole.tar 2>err &&
	grep "kt-tar: path list from kt-collect complete: its end record is there" err &&
	kt-tar -t <whole.tar | sed -e "s,/$,," >members &&
	unframe list >paths &&
	test_cmp paths members
'

test_expect_success 'a list cut at any record boundary is refused, nothing archived' '
	n=0 &&
	while test $n -lt $records
	do
		head -n $n list >cut &&
		test_expect_code 1 kt-tar -c -C root <cut >out.tar 2>err &&
		no_archive out.tar &&
		if test $n = 0
		then
			grep "path list from standard input is empty" err
		else
			grep -x "kt-tar: path list from kt-collect ends without its end record: kt-collect did not finish" err
		fi || { echo "cut after $n records"; return 1; }
		n=$((n + 1))
	done
'

test_expect_success 'the same with -0 and -z' '
	n=1 &&
	while test $n -lt $records
	do
		head -z -n $n list0 >cut0 &&
		test_expect_code 1 kt-tar -c -0 -z -C root <cut0 >out.tgz 2>err &&
		{ test ! -s out.tgz || ! gzip -t out.tgz 2>/dev/null; } &&
		grep -x "kt-tar: path list from kt-collect ends without its end record: kt-collect did not finish" err ||
		{ echo "cut after $n records"; return 1; }
		n=$((n + 1))
	done
'

test_expect_success 'a list cut inside a record is refused' '
	size=$(wc -c <list) &&
	for n in 5 19 20 21 60 $((size - 3)) $((size - 1))
	do
		head -c $n list >cut &&
		test_expect_code 1 kt-tar -c -C root <cut >out.tar 2>err &&
		no_archive out.tar &&
		grep "path list from kt-collect ends without its end record: kt-collect did not finish" err ||
		{ echo "cut at byte $n"; return 1; }
	done
'

test_expect_success 'an end record with the wrong count is refused' '
	sed -e "\$s/end 13/end 14/" list >wrong &&
	test_expect_code 1 kt-tar -c -C root <wrong >out.tar 2>err &&
	grep "kt-tar: path list from kt-collect has 13 paths, but its end record says 14" err &&
	no_archive out.tar &&
	sed -e "3d" list >short &&
	test_expect_code 1 kt-tar -c -C root <short >out.tar 2>err &&
	grep "has 12 paths, but its end record says 13" err
'

test_expect_success 'records after the end record are refused: two lists joined' '
	cat list list >joined &&
	test_expect_code 1 kt-tar -c -C root <joined >out.tar 2>err &&
	grep "path list from kt-collect goes on after its end record" err &&
	no_archive out.tar &&
	{ cat list && echo var; } >extra &&
	test_expect_code 1 kt-tar -c -C root <extra >out.tar 2>err &&
	grep "goes on after its end record" err
'

test_expect_success 'a malformed framing record is refused, naming it' '
	for bad in "/kt-collect end" "/kt-collect end x" "/kt-collect end 013" \
		"/kt-collect end -13" "/kt-collect end 13 " "/kt-collect list 1" \
		"/kt-collect finish 13"
	do
		{ sed -e "\$d" list && printf "%s\n" "$bad"; } >bad &&
		test_expect_code 1 kt-tar -c -C root <bad >out.tar 2>err &&
		grep -F "path list from kt-collect holds a record it does not expect there: $bad" err ||
		{ echo "record: $bad"; return 1; }
	done
'

test_expect_success 'a list in an unknown format is refused' '
	sed -e "1s/list 1/list 2/" list >v2 &&
	test_expect_code 1 kt-tar -c -C root <v2 >out.tar 2>err &&
	grep "path list from standard input is in a format this program does not know (/kt-collect list 2)" err
'

test_expect_success 'with -T, the message names the file' '
	head -n 5 list >cut &&
	test_expect_code 1 kt-tar -c -C root -T cut >out.tar </dev/null 2>err &&
	grep -x "kt-tar: path list from kt-collect ends without its end record: kt-collect did not finish (read from cut)" err
'

test_expect_success 'a hand-made list, without the begin record, is read as today' '
	unframe list >hand &&
	kt-tar -c -C root <hand >hand.tar &&
	kt-tar -t <hand.tar >actual &&
	kt-tar -t <whole.tar >expect &&
	test_cmp expect actual &&
	head -n 3 hand >partial &&
	kt-tar -c -C root <partial >partial.tar &&
	kt-tar -t <partial.tar >actual &&
	test_line_count = 3 actual
'

test_expect_success 'a find -print0 list is read as today' '
	(cd root && find var/lib/keytrustee/.keytrustee -print0) >found0 &&
	kt-tar -c -0 -C root <found0 >found.tar &&
	kt-tar -t <found.tar >actual &&
	test_line_count = 13 actual
'

test_expect_success 'framing records out of place are absolute paths, which are refused' '
	{ echo var && echo "/kt-collect end 1"; } >fake-end &&
	test_expect_code 1 kt-tar -c -C root <fake-end >out.tar 2>err &&
	grep "kt-tar: path list from standard input: /kt-collect end 1: an absolute path" err &&
	{ echo var && echo "/kt-collect list 1" && echo "/kt-collect end 0"; } >late-begin &&
	test_expect_code 1 kt-tar -c -C root <late-begin >out.tar 2>err &&
	grep "/kt-collect list 1: an absolute path" err
'

test_expect_success 'a big list cut short is refused after part of it was archived, without an end' '
	kt-collect -C big /var >big.list &&
	kt-tar -c -C big <big.list >big.tar &&
	for n in 2 $((FILES / 2)) $((FILES + 1))
	do
		head -n $n big.list >cut &&
		test_expect_code 1 kt-tar -c -C big <cut >out.tar 2>err &&
		grep "ends without its end record" err &&
		no_archive out.tar || { echo "cut after $n records"; return 1; }
	done &&
	test -s out.tar
'

# A pipeline "kt-collect | kt-tar -c | GATE | ..." in which GATE holds
# kt-tar's output until kt-collect has been killed: kt-tar stops reading
# the list, kt-collect blocks on a full pipe, and the kill lands with most
# of the list unwritten.  The first stage writes kt-collect's status to
# rc.collect (137 when the kill landed); the pipeline writes "done" last.
# kill_collect waits until kt-collect has written more than a pipe holds
# (so kt-tar has begun to read), kills it, opens the gate and waits for
# the pipeline to end.
COLLECT='{ sh -c "echo \$\$ >pid.collect; exec kt-collect -C big /var"; echo $? >rc.collect; }'
GATE='{ read x <go; cat; }'

kill_collect () {
	wait_for has_written pid.collect 65537
	kill_collect_ok_=$?
	kill -9 "$(cat pid.collect)" 2>/dev/null
	echo go >go
	wait_for test -s done &&
	test $kill_collect_ok_ = 0 &&
	test "$(cat rc.collect)" = 137
}

test_expect_success 'a kt-collect killed mid-way in a pipeline never yields an archive' '
	rm -f pid.collect rc.collect go done &&
	mkfifo go &&
	{ sh -c "$COLLECT | { kt-tar -c -C big 2>tar.err; echo \$? >rc.tar; } | $GATE >out.tar; echo done >done" & } &&
	kill_collect &&
	test "$(cat rc.tar)" = 1 &&
	grep "^kt-tar: path list from kt-collect ends without its end record: kt-collect did not finish" tar.err &&
	test -s out.tar &&
	no_archive out.tar
'

# What a backup directory holds, kt-roll's temporary files aside.
backups_state () {
	(cd backups && find . -mindepth 1 ! -name ".kt-roll.*" -printf "%P %y %m %s %T@\n" |
		LC_ALL=C sort && sha256sum ./*)
}

test_expect_success GPG 'collect | tar -c | kt-seal | kt-roll in plain sh, collect killed: the backup directory is unchanged' '
	gpg_setup &&
	gpg_setup_backup_key &&
	export BACKUP_FPR &&
	mkdir backups &&
	echo "an older backup" >backups/kts_bak_h_2015-01-01_00-00-00.tar.gpg &&
	backups_state >before &&
	rm -f pid.collect rc.collect go done &&
	mkfifo go &&
	{ sh -c "$COLLECT | kt-tar -c -C big 2>tar.err | $GATE |
		kt-seal -r \"\$BACKUP_FPR\" 2>seal.err |
		kt-roll -o backups --host h --keep 3 --suffix .tar.gpg >stored 2>roll.err
		echo \$? >rc; echo done >done" & } &&
	kill_collect &&
	test "$(cat rc)" != 0 &&
	grep "ends without its end record" tar.err &&
	grep "^kt-seal: " seal.err &&
	test_line_count = 0 stored &&
	backups_state >after &&
	test_cmp before after &&
	! ls -a backups | grep "^\.kt-roll\."
'

test_done
