#!/bin/sh

test_description='kt-collect fails loudly on what is missing or unreadable, and skips what cannot be restored'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

test_lazy_prereq PYTHON_SOCKET 'python3 -c "import socket; socket.AF_UNIX"'

test_expect_success 'setup' '
	make_kts_root root
'

test_expect_success 'a missing root is an error naming it' '
	test_expect_code 1 kt-collect -C nowhere --preset kts >out 2>err &&
	grep "kt-collect: root nowhere: No such file or directory" err
'

test_expect_success 'a missing starting point is an error naming it under the root' '
	test_expect_code 1 kt-collect -C root --preset navencrypt >out 2>err &&
	grep "kt-collect: root/etc/navencrypt: No such file or directory" err
'

test_expect_success 'a failed list ends with an unterminated record' '
	test_must_fail kt-collect -C root --preset kts --preset navencrypt >out 2>err &&
	test -s out &&
	test "$(tail -c 1 out | od -An -c | tr -d " ")" != "\\n"
'

test_expect_success 'kt-tar -c refuses that list and writes nothing' '
	test_must_fail kt-tar -c -C root <out >out.tar 2>err &&
	grep "kt-tar: path list from standard input is incomplete" err &&
	test_line_count = 0 out.tar
'

test_expect_success 'the same with -0' '
	test_must_fail kt-collect -0 -C root --preset kts --preset navencrypt >out0 2>err &&
	test_must_fail kt-tar -c -0 -C root <out0 >out.tar 2>err &&
	grep "incomplete" err &&
	test_line_count = 0 out.tar
'

test_expect_success NOBODY 'an unreadable file is an error; the rest is still listed' '
	mkdir -p pub/d &&
	echo secret >pub/d/closed &&
	echo open >pub/d/open &&
	chmod 600 pub/d/closed &&
	chmod 755 pub pub/d && chmod 644 pub/d/open &&
	if test "$(id -u)" = 0; then chown 0:0 pub/d/closed; else chmod 000 pub/d/closed; fi &&
	test_must_fail as_nobody "$(command -v kt-collect)" -C pub /d >out 2>err &&
	grep "kt-collect: pub/d/closed: Permission denied" err &&
	grep -a "^d/open$" out
'

test_expect_success NOBODY 'an unreadable directory is an error' '
	mkdir -p pub/d/shut &&
	echo x >pub/d/shut/x &&
	chmod 700 pub/d/shut &&
	if test "$(id -u)" != 0; then chmod 000 pub/d/shut; fi &&
	test_must_fail as_nobody "$(command -v kt-collect)" -C pub /d/shut >out 2>err &&
	grep "kt-collect: pub/d/shut: Permission denied" err
'

test_expect_success PYTHON_SOCKET 'a socket is skipped with a note' '
	python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind(\"root/var/lib/keytrustee/.keytrustee/S.gpg-agent\")" &&
	kt-collect -C root --preset kts >out 2>err &&
	! grep S.gpg-agent out &&
	grep "skipping socket root/var/lib/keytrustee/.keytrustee/S.gpg-agent: it cannot be restored" err
'

test_expect_success PYTHON_SOCKET '-q keeps the note quiet' '
	kt-collect -q -C root --preset kts >out 2>err &&
	test_line_count = 0 err
'

test_expect_success 'a FIFO is skipped with a note' '
	mkfifo root/var/lib/keytrustee/.keytrustee/fifo &&
	kt-collect -C root --preset kts >out 2>err &&
	! grep fifo out &&
	grep "skipping FIFO .*fifo: it cannot be restored" err
'

test_expect_success ROOT 'a device node is skipped with a note' '
	mknod root/var/lib/keytrustee/.keytrustee/null c 1 3 &&
	kt-collect -C root --preset kts >out 2>err &&
	! grep "/null$" out &&
	grep "skipping device node .*null: it cannot be restored" err
'

test_expect_success 'a name with a newline needs -0' '
	mkdir -p nl/d &&
	echo x >"nl/d/two
lines" &&
	test_expect_code 1 kt-collect -C nl /d >out 2>err &&
	grep "name holds a newline: use -0" err &&
	kt-collect -0 -C nl /d >out0 &&
	tr "\0" "@" <out0 >actual &&
	printf "/kt-collect list 1@d@d/two\nlines@/kt-collect end 2@" >expect &&
	test_cmp expect actual
'

test_expect_success 'a reader that goes away makes kt-collect fail quietly' '
	mkdir -p many &&
	(cd many && seq -f "file-with-a-name-long-enough-to-fill-pipes-%05g" 5000 |
		xargs touch) &&
	{ kt-collect -C . /many 2>err; echo $? >rc; } | head -n 1 >/dev/null &&
	test "$(cat rc)" = 1 &&
	test_line_count = 0 err
'

test_expect_success MOUNT 'the walk stays on the file system of its starting point' '
	mkdir -p fs/top/mnt &&
	echo a >fs/top/a &&
	mount -t tmpfs none fs/top/mnt &&
	test_when_finished "umount fs/top/mnt" &&
	echo hidden >fs/top/mnt/hidden &&
	kt-collect -C fs /top >out 2>err &&
	grep -x "top/mnt" out &&
	! grep hidden out &&
	grep "not descending into fs/top/mnt: another file system" err
'

test_done
