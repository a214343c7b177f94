#!/bin/sh

test_description='concurrent kt-roll runs: distinct names, serialised retention, live temporary files kept'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t4000/lib-roll.sh"

test_lazy_prereq FLOCK 'command -v flock'

RUNS=8

test_expect_success 'setup' '
	mkdir root &&
	roll_make_payload root 1024 &&
	tar -C root -cf x.tar var &&
	mkdir small-root &&
	roll_make_payload small-root 8 &&
	tar -C small-root -cf small.tar var
'

test_expect_success "$RUNS runs at once: $RUNS distinct, whole backups" '
	mkdir par &&
	i=0 pids= &&
	while test $i -lt $RUNS
	do
		{ kt-roll -q -o par --host h <x.tar >path.$i 2>err.$i & } &&
		pids="$pids $!" &&
		i=$((i + 1))
	done &&
	for p in $pids
	do
		wait $p || { echo "run $p failed"; cat err.*; return 1; }
	done &&
	cat path.* | sort -u >paths &&
	test_line_count = $RUNS paths &&
	for f in $(cat paths)
	do
		cmp x.tar $f || return 1
	done &&
	ls par >list &&
	test_line_count = $RUNS list &&
	roll_no_temps par
'

test_expect_success FAULTS "$RUNS runs in the same second with --keep 3: the 3 that finished last remain" '
	mkdir same &&
	roll_plant same kts_bak_h_$SEED_STAMP.tar.old &&
	i=0 pids= &&
	while test $i -lt $RUNS
	do
		{ with_faults KT_FAULT_TIME=$SEED_TIME \
			kt-roll -q -o same --host h --keep 3 <x.tar >path.$i 2>err.$i & } &&
		pids="$pids $!" &&
		i=$((i + 1))
	done &&
	for p in $pids
	do
		wait $p || { echo "run $p failed"; cat err.*; return 1; }
	done &&
	ls same >actual &&
	cat >expect <<-EOF &&
	kts_bak_h_$SEED_STAMP-5.tar
	kts_bak_h_$SEED_STAMP-6.tar
	kts_bak_h_$SEED_STAMP-7.tar
	kts_bak_h_$SEED_STAMP.tar.old
	EOF
	test_cmp expect actual &&
	for f in same/*.tar
	do
		cmp x.tar $f || return 1
	done &&
	roll_no_temps same
'

test_expect_success FAULTS 'a name freed by retention is not taken again: a later run sorts later' '
	mkdir reuse &&
	with_faults KT_FAULT_TIME=$SEED_TIME kt-roll -o reuse --host h <small.tar >/dev/null &&
	with_faults KT_FAULT_TIME=$SEED_TIME kt-roll -o reuse --host h --keep 1 <small.tar >/dev/null &&
	with_faults KT_FAULT_TIME=$SEED_TIME kt-roll -o reuse --host h --keep 1 <small.tar >path &&
	echo reuse/kts_bak_h_$SEED_STAMP-2.tar >expect &&
	test_cmp expect path &&
	ls reuse >list &&
	test_line_count = 1 list
'

test_expect_success 'a live run'"'"'s temporary file is never removed by another run; a dead one'"'"'s is' '
	mkdir live &&
	mkfifo in1 in2 &&
	{ kt-roll -o live --host a <in1 >path.a 2>err.a & } &&
	pida=$! &&
	exec 7>in1 &&
	head -c 300000 x.tar >&7 &&
	{ kt-roll -o live --host b <in2 >path.b 2>err.b & } &&
	pidb=$! &&
	exec 8>in2 &&
	head -c 300000 x.tar >&8 &&
	roll_wait_for eval "test \$(find live -name \".kt-roll.??????\" -size +0 | wc -l) = 2" &&
	kill -9 $pidb &&
	{ wait $pidb; test $? = 137; } &&
	exec 8>&- &&
	roll_temps live >temps.before &&
	test_line_count = 2 temps.before &&
	kt-roll -v -o live --host c <small.tar >path.c 2>err.c &&
	roll_temps live >temps.after &&
	test_line_count = 1 temps.after &&
	grep "^kt-roll: removed live/.kt-roll.*left behind by a run that died" err.c &&
	grep "left behind" err.c >removed &&
	test_line_count = 1 removed &&
	tail -c +300001 x.tar >&7 &&
	exec 7>&- &&
	wait $pida &&
	cmp x.tar "$(cat path.a)" &&
	roll_no_temps live
'

test_expect_success FAULTS "where a directory cannot be locked (NFS), a lock file serialises $RUNS runs" '
	mkdir nfs &&
	i=0 pids= &&
	while test $i -lt $RUNS
	do
		{ with_faults KT_FAULT_FLOCK=dir:EBADF KT_FAULT_TIME=$SEED_TIME \
			kt-roll -q -o nfs --host h --keep 3 <x.tar >path.$i 2>err.$i & } &&
		pids="$pids $!" &&
		i=$((i + 1))
	done &&
	for p in $pids
	do
		wait $p || { echo "run $p failed"; cat err.*; return 1; }
	done &&
	ls -A nfs >actual &&
	cat >expect <<-EOF &&
	.kt-roll.lock
	kts_bak_h_$SEED_STAMP-5.tar
	kts_bak_h_$SEED_STAMP-6.tar
	kts_bak_h_$SEED_STAMP-7.tar
	EOF
	test_cmp expect actual &&
	test_file_mode nfs/.kt-roll.lock 600 &&
	for f in nfs/*.tar
	do
		cmp x.tar $f || return 1
	done
'

test_expect_success FLOCK 'a run waits for the directory lock another run holds' '
	mkdir locked &&
	mkfifo hold &&
	{ flock locked sh -c "touch have-lock && cat hold >/dev/null" & } &&
	holder=$! &&
	roll_wait_for test -f have-lock &&
	{ kt-roll -v -o locked --host h <small.tar >path 2>err & } &&
	pid=$! &&
	roll_wait_for grep -q "waiting for another kt-roll to finish with locked" err &&
	ls -A locked >list &&
	test_line_count = 0 list &&
	exec 7>hold &&
	exec 7>&- &&
	wait $holder &&
	wait $pid &&
	cmp small.tar "$(cat path)"
'

test_done
