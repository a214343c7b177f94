#!/bin/sh

test_description='kt-roll on a full disk, I/O errors, a bad directory, planted links, kill -9: a clear error and nothing lost'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t4000/lib-roll.sh"

test_lazy_prereq CHATTR '
	touch f && chattr +i f && chattr -i f
'

# unchanged DIR: DIR is as roll_state saved it in DIR.before.
unchanged () {
	roll_state "$1" >"$1.after" &&
	test_cmp "$1.before" "$1.after"
}

# fails_cleanly CODE DIR CMD...: CMD exits CODE with one "kt-roll: " line
# on stderr and nothing on stdout, and leaves DIR as it was, without a
# temporary file.
fails_cleanly () {
	fc_code_=$1 fc_dir_=$2
	shift 2
	test_expect_code "$fc_code_" "$@" >stdout 2>err &&
	cat err &&
	test_line_count = 0 stdout &&
	grep "^kt-roll: " err &&
	unchanged "$fc_dir_" &&
	roll_no_temps "$fc_dir_"
}

# backup_dir DIR: a backup directory with two old backups and a foreign
# file; its state in DIR.before.
backup_dir () {
	mkdir "$1" &&
	roll_plant "$1" kts_bak_h_2016-02-10_11-14-37.tar &&
	roll_plant "$1" kts_bak_h_2016-02-10_11-44-37.tar &&
	roll_plant "$1" notes.txt &&
	roll_state "$1" >"$1.before"
}

test_expect_success 'setup' '
	mkdir root &&
	roll_make_payload root 2048 &&
	tar -C root -cf x.tar var &&
	mkdir small-root &&
	roll_make_payload small-root 8 &&
	tar -C small-root -cf small.tar var &&
	backup_dir out
'

test_expect_success MOUNT 'disk full (a 1 MiB file system): refused, nothing left behind' '
	mkdir full &&
	mount -t tmpfs -o size=1m,mode=755 kt-roll-test full &&
	test_atexit "umount \"$TRASH_DIRECTORY/full\"" &&
	roll_plant full kts_bak_h_2016-02-10_11-14-37.tar &&
	roll_plant full notes.txt &&
	roll_state full >full.before &&
	fails_cleanly 1 full kt-roll -o full --host h --keep 1 <x.tar &&
	grep "^kt-roll: write to full/\.kt-roll\.[A-Za-z0-9]\{6\}: No space left on device\$" err
'

test_expect_success ROOT 'the space is given back: a backup that fits is stored next' '
	kt-roll -o full --host h --keep 1 <small.tar >path &&
	cmp small.tar "$(cat path)" &&
	ls full >list &&
	printf "%s\n" "$(basename "$(cat path)")" notes.txt >expect &&
	test_cmp expect list
'

test_expect_success 'a file size limit (ulimit -f): refused, nothing left behind' '
	fails_cleanly 1 out sh -c "ulimit -f 256 && exec kt-roll -o out --host h --keep 1" <x.tar &&
	grep "^kt-roll: write to out/\.kt-roll\.[A-Za-z0-9]\{6\}: File too large\$" err
'

test_expect_success FAULTS 'a write error at the first byte' '
	fails_cleanly 1 out with_faults KT_FAULT_WRITE=EIO \
		kt-roll -o out --host h --keep 1 <x.tar &&
	grep "^kt-roll: write to out/\.kt-roll\..*: Input/output error\$" err
'

test_expect_success FAULTS 'a full disk in the middle of the stream (a short write, then ENOSPC)' '
	fails_cleanly 1 out with_faults KT_FAULT_WRITE=ENOSPC@1000000 \
		kt-roll -o out --host h --keep 1 <x.tar &&
	grep "^kt-roll: write to out/\.kt-roll\..*: No space left on device\$" err
'

test_expect_success FAULTS 'an fsync error on the file' '
	fails_cleanly 1 out with_faults KT_FAULT_FSYNC=file:EIO \
		kt-roll -o out --host h --keep 1 <x.tar &&
	grep "^kt-roll: fsync out/\.kt-roll\..*: Input/output error\$" err
'

test_expect_success FAULTS 'an fsync error on the directory: the new name is taken back' '
	fails_cleanly 1 out with_faults KT_FAULT_FSYNC=dir:EIO \
		kt-roll -o out --host h --keep 1 <x.tar &&
	grep "^kt-roll: fsync out: Input/output error\$" err &&
	grep "^kt-roll: out/kts_bak_h_.*\.tar not stored: the directory could not be synced\$" err
'

test_expect_success FAULTS 'a directory that cannot be locked at all (no lock daemon)' '
	fails_cleanly 1 out with_faults KT_FAULT_FLOCK=dir:ENOLCK \
		kt-roll -o out --host h --keep 1 <x.tar &&
	grep "^kt-roll: cannot lock backup directory out: No locks available\$" err
'

test_expect_success 'a missing directory' '
	test_expect_code 1 kt-roll -o missing --host h <x.tar >stdout 2>err &&
	grep "^kt-roll: backup directory missing: No such file or directory\$" err &&
	test_path_is_missing missing
'

test_expect_success 'a directory that is a file' '
	echo content >afile &&
	test_expect_code 1 kt-roll -o afile --host h <x.tar 2>err &&
	grep "^kt-roll: backup directory afile is not a directory\$" err &&
	echo content >expect &&
	test_cmp expect afile
'

test_expect_success 'a directory that is a symbolic link is refused, with or without a slash' '
	ln -s out link &&
	for d in link link/ link//
	do
		fails_cleanly 1 out kt-roll -o $d --host h --keep 1 <x.tar &&
		grep "^kt-roll: backup directory link is a symbolic link: refusing to follow it" err ||
		return 1
	done &&
	test_expect_code 1 kt-roll --list -o link 2>err &&
	grep "symbolic link" err
'

test_expect_success 'a directory under a linked parent is fine' '
	mkdir real-parent &&
	backup_dir real-parent/d &&
	ln -s real-parent parent-link &&
	kt-roll -o parent-link/d --host h --keep 1 <small.tar >path &&
	cmp small.tar "$(cat path)"
'

test_expect_success MOUNT 'a read-only directory (a read-only bind mount)' '
	backup_dir ro &&
	mount --bind ro ro &&
	test_atexit "umount \"$TRASH_DIRECTORY/ro\"" &&
	mount -o remount,bind,ro ro &&
	fails_cleanly 1 ro kt-roll -o ro --host h --keep 1 <x.tar &&
	grep "^kt-roll: cannot create a temporary file in ro: Read-only file system\$" err
'

test_expect_success NOT_ROOT 'a read-only directory (no write permission)' '
	backup_dir ro2 &&
	chmod 555 ro2 &&
	test_when_finished "chmod 755 ro2" &&
	fails_cleanly 1 ro2 kt-roll -o ro2 --host h --keep 1 <x.tar &&
	grep "^kt-roll: cannot create a temporary file in ro2: Permission denied\$" err
'

test_expect_success ROOT,CHATTR 'an old backup that cannot be removed: stored, path printed, exit 1 naming it' '
	backup_dir immutable &&
	chattr +i immutable/kts_bak_h_2016-02-10_11-14-37.tar &&
	test_when_finished "chattr -i immutable/kts_bak_h_2016-02-10_11-14-37.tar" &&
	test_expect_code 1 kt-roll -o immutable --host h --keep 1 <small.tar >path 2>err &&
	grep "^kt-roll: cannot remove old backup immutable/kts_bak_h_2016-02-10_11-14-37.tar: Operation not permitted\$" err &&
	test_line_count = 1 path &&
	cmp small.tar "$(cat path)" &&
	test_path_is_file immutable/kts_bak_h_2016-02-10_11-14-37.tar &&
	test_path_is_missing immutable/kts_bak_h_2016-02-10_11-44-37.tar
'

test_expect_success FAULTS 'a link planted at the very name to be taken is neither followed nor replaced' '
	backup_dir planted &&
	mkdir outside &&
	echo precious >outside/sentinel &&
	ln -s ../outside/sentinel planted/kts_bak_p_$SEED_STAMP.tar &&
	with_faults KT_FAULT_TIME=$SEED_TIME \
		kt-roll -o planted --host p --keep 1 <small.tar >path &&
	echo planted/kts_bak_p_$SEED_STAMP-1.tar >expect &&
	test_cmp expect path &&
	cmp small.tar "$(cat path)" &&
	echo precious >expect &&
	test_cmp expect outside/sentinel &&
	test "$(readlink planted/kts_bak_p_$SEED_STAMP.tar)" = ../outside/sentinel
'

test_expect_success 'things planted with a temporary file'"'"'s name are not followed, opened or removed' '
	backup_dir tmpnames &&
	mkdir outside2 &&
	echo precious >outside2/sentinel &&
	ln -s ../outside2/sentinel tmpnames/.kt-roll.aaaaaa &&
	ln -s ../outside2 tmpnames/.kt-roll.bbbbbb &&
	mkfifo tmpnames/.kt-roll.cccccc &&
	mkdir tmpnames/.kt-roll.dddddd &&
	echo inside >tmpnames/.kt-roll.dddddd/f &&
	roll_temps tmpnames >temps.before &&
	roll_state outside2 >outside2.before &&
	timeout 60 kt-roll -o tmpnames --host h <small.tar >path &&
	roll_temps tmpnames >temps.after &&
	test_cmp temps.before temps.after &&
	roll_state outside2 >outside2.after &&
	test_cmp outside2.before outside2.after &&
	test -p tmpnames/.kt-roll.cccccc &&
	test_path_is_file tmpnames/.kt-roll.dddddd/f
'

# Kill -9 at chosen points.  Before the rename: the directory is as it
# was but for a temporary file, which the next run removes.  After it:
# the new backup is whole, and the next run finishes the retention.

test_expect_success 'kill -9 while reading: only a temporary file is left' '
	backup_dir k1 &&
	mkfifo in &&
	{ kt-roll -o k1 --host h --keep 1 <in >stdout 2>err & } &&
	pid=$! &&
	exec 7>in &&
	head -c 1000000 x.tar >&7 &&
	roll_wait_for roll_temp_written k1 &&
	kill -9 $pid &&
	{ wait $pid; test $? = 137; } &&
	exec 7>&- &&
	unchanged k1 &&
	roll_temps k1 >temps &&
	test_line_count = 1 temps
'

test_expect_success 'the next run removes the dead run'"'"'s temporary file' '
	kt-roll -v -o k1 --host h <small.tar >path 2>err &&
	grep "^kt-roll: removed k1/$(cat temps), left behind by a run that died" err &&
	roll_no_temps k1 &&
	cmp small.tar "$(cat path)"
'

test_expect_success 'SIGTERM while reading: kt-roll removes its temporary file itself' '
	backup_dir k2 &&
	{ kt-roll -o k2 --host h --keep 1 <in >stdout 2>err & } &&
	pid=$! &&
	exec 7>in &&
	head -c 1000000 x.tar >&7 &&
	roll_wait_for roll_temp_written k2 &&
	kill -TERM $pid &&
	{ wait $pid; test $? = 143; } &&
	exec 7>&- &&
	unchanged k2 &&
	roll_no_temps k2
'

test_expect_success FAULTS 'kill -9 at the fsync before the rename: unchanged but for a temporary file' '
	backup_dir k3 &&
	test_expect_code 137 with_faults KT_FAULT_KILL=fsync \
		kt-roll -o k3 --host h --keep 1 <x.tar &&
	unchanged k3 &&
	roll_temps k3 >temps &&
	test_line_count = 1 temps
'

test_expect_success FAULTS 'kill -9 just before the rename: unchanged but for a temporary file' '
	backup_dir k4 &&
	test_expect_code 137 with_faults KT_FAULT_KILL=renameat2 \
		kt-roll -o k4 --host h --keep 1 <x.tar &&
	unchanged k4 &&
	roll_temps k4 >temps &&
	test_line_count = 1 temps &&
	kt-roll -o k4 --host h <small.tar >path &&
	roll_no_temps k4
'

test_expect_success FAULTS 'kill -9 just after the rename: the new backup is whole, nothing removed yet' '
	backup_dir k5 &&
	test_expect_code 137 with_faults KT_FAULT_KILL=renameat2:1:after \
		kt-roll -o k5 --host h --keep 1 <x.tar &&
	roll_no_temps k5 &&
	roll_state k5 >k5.after &&
	comm -23 k5.before k5.after >lost &&
	test_line_count = 0 lost &&
	comm -13 k5.before k5.after >added &&
	test_line_count = 1 added &&
	cmp x.tar k5/"$(cut -d" " -f1 added)"
'

test_expect_success FAULTS 'the next run finishes the retention' '
	kt-roll -o k5 --host h --keep 1 <small.tar >path &&
	ls k5 >list &&
	printf "%s\n" "$(basename "$(cat path)")" notes.txt >expect &&
	test_cmp expect list
'

test_expect_success FAULTS 'kill -9 in the middle of the retention: only old backups went, oldest first' '
	backup_dir k6 &&
	roll_plant k6 kts_bak_h_2016-02-10_10-44-37.tar &&
	test_expect_code 137 with_faults KT_FAULT_KILL=unlinkat:1:after \
		kt-roll -o k6 --host h --keep 1 <small.tar &&
	ls k6 >list &&
	grep "_11-14-37.tar" list &&
	grep "_11-44-37.tar" list &&
	! grep "_10-44-37.tar" list &&
	test_line_count = 4 list &&
	kt-roll -o k6 --host h --keep 1 <small.tar >path &&
	ls k6 >list &&
	printf "%s\n" "$(basename "$(cat path)")" notes.txt >expect &&
	test_cmp expect list
'

test_done
