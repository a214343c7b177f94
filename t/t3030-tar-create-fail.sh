#!/bin/sh

test_description='kt-tar -c fails without writing an end: unreadable files, files that change, write errors'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

# is_cut ARCHIVE: an archive readers must refuse: no kt-tar manifest at
# its end, and kt-tar -t says it is cut.
is_cut () {
	! tail -c 20480 "$1" | tr -d "\0" | grep -q "kt-tar manifest" &&
	test_expect_code 3 kt-tar -t <"$1" >/dev/null 2>is_cut.err
}

test_expect_success 'setup' '
	make_kts_root root &&
	kt-collect --plain -C root --preset kts >list &&
	mkdir grow
'

test_expect_success 'a member that vanished after listing fails the run' '
	{ cat list && echo var/lib/keytrustee/.keytrustee/vanished; } >gone.list &&
	test_expect_code 1 kt-tar -c -C root -T gone.list </dev/null >gone.tar 2>err &&
	grep "kt-tar: root/var/lib/keytrustee/.keytrustee/vanished: No such file or directory" err &&
	is_cut gone.tar
'

test_expect_success 'with -z the gzip stream has no trailer either' '
	test_expect_code 1 kt-tar -c -z -C root -T gone.list </dev/null >gone.tgz 2>err &&
	test_must_fail gzip -t gone.tgz 2>gz.err &&
	gzip -dc <gone.tgz >gone.plain 2>/dev/null;
	is_cut gone.plain
'

test_expect_success NOBODY 'an unreadable file fails the run, naming it' '
	mkdir -p pub/d && chmod 755 pub pub/d &&
	echo open >pub/d/a && chmod 644 pub/d/a &&
	echo secret >pub/d/b && chmod 600 pub/d/b &&
	if test "$(id -u)" != 0; then chmod 000 pub/d/b; fi &&
	printf "d\nd/a\nd/b\n" >pub.list && chmod 644 pub.list &&
	test_expect_code 1 as_nobody "$(command -v kt-tar)" -c -C pub -T pub.list \
		</dev/null >pub.tar 2>err &&
	grep "kt-tar: pub/d/b: Permission denied" err &&
	is_cut pub.tar
'

# Stalls kt-tar in the middle of grow/big: its output goes to a FIFO that
# we read only in part; then CHANGE runs, then we drain the rest.
archive_while () {
	rm -f out.fifo rc &&
	mkfifo out.fifo &&
	dd if=/dev/zero of=grow/big bs=1048576 count=8 2>/dev/null &&
	echo big >big.list || return 1
	{ kt-tar -c -C grow -T big.list </dev/null >out.fifo 2>err; echo $? >rc; } &
	exec 9<out.fifo &&
	head -c 200000 <&9 >/dev/null &&
	eval "$1" &&
	cat <&9 >rest &&
	exec 9<&- &&
	wait &&
	test "$(cat rc)" = 1
}

test_expect_success 'a file that grows while it is archived fails the run' '
	archive_while "echo more >>grow/big" &&
	grep "kt-tar: grow/big: file changed while being archived" err
'

test_expect_success 'a file that shrinks while it is archived fails the run' '
	archive_while "truncate -s 1048576 grow/big" &&
	grep "kt-tar: grow/big: file shrank while being archived" err
'

test_expect_success 'a file rewritten in place, same size, fails the run' '
	archive_while "dd if=/dev/zero of=grow/big bs=1 count=1 seek=100 conv=notrunc 2>/dev/null" &&
	grep "kt-tar: grow/big: file changed while being archived" err
'

test_expect_success 'a full disk on standard output fails the run' '
	test -w /dev/full &&
	test_expect_code 1 kt-tar -c -C root -T list </dev/null >/dev/full 2>err &&
	grep "kt-tar: write to standard output: No space left on device" err
'

test_expect_success 'an unterminated list (its writer died) fails the run' '
	printf "var/lib/keytrustee/.keytrustee\nvar/lib/keytrustee/.keytrustee/gpg" >part.list &&
	test_expect_code 1 kt-tar -c -C root -T part.list </dev/null >part.tar 2>err &&
	grep "kt-tar: path list from part.list ends in the middle of a path, without its newline" err &&
	is_cut part.tar
'

test_done
