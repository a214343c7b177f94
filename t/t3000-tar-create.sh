#!/bin/sh

test_description='kt-tar -c writes a pax archive that stock tools read without a word, and its manifest'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

test_expect_success 'setup: a fake Key Trustee Server root and its list' '
	make_kts_root root &&
	ln root/var/lib/keytrustee/.keytrustee/gpg.conf \
		root/var/lib/keytrustee/.keytrustee/gpg.conf.bak &&
	ln -s keytrustee.conf root/var/lib/keytrustee/.keytrustee/current.conf &&
	kt-collect -C root --preset kts >list &&
	kt-collect -0 -C root --preset kts >list0
'

test_expect_success 'kt-tar -c archives the list; kt-tar -t lists it back' '
	kt-tar -c -C root <list >kts.tar &&
	kt-tar -t <kts.tar >names &&
	sed -e "s,/$,," names >actual &&
	sed -e "1d;\$d" list >paths &&
	test_cmp paths actual
'

test_expect_success '-0 and -T give the same archive members' '
	kt-tar -c -0 -C root -T list0 >kts0.tar </dev/null &&
	kt-tar -t <kts0.tar >names0 &&
	test_cmp names names0
'

test_expect_success 'directories are stored with a trailing slash, as tar tvf shows them' '
	grep -x "var/lib/keytrustee/.keytrustee/" names &&
	grep -x "var/lib/keytrustee/.keytrustee/.ssl/" names
'

test_expect_success 'the archive is whole 10240-byte records' '
	test $(( $(wc -c <kts.tar) % 10240 )) = 0
'

test_expect_success 'it starts with the kt-tar marker, a pax global header' '
	head -c 14 kts.tar >start &&
	printf "kt-tools/start" >expect &&
	test_cmp expect start &&
	dd if=kts.tar bs=1 skip=156 count=1 2>/dev/null >type &&
	printf g >expect &&
	test_cmp expect type &&
	dd if=kts.tar bs=512 skip=1 count=1 2>/dev/null | tr -d "\0" >comment &&
	printf "29 comment=kt-tar archive 1\n\n" >expect &&
	test_cmp expect comment
'

test_expect_success 'the manifest after the end-of-archive blocks lists every member' '
	tr -d "\0" <kts.tar | sed -n "/ comment=kt-tar manifest 1$/,/^members /p" >manifest &&
	grep -x "members 15" manifest &&
	grep " f 600 var/lib/keytrustee/.keytrustee/random_seed$" manifest &&
	grep " d 0 var/lib/keytrustee/.keytrustee$" manifest &&
	grep " l 0 var/lib/keytrustee/.keytrustee/current.conf$" manifest &&
	grep " h 0 var/lib/keytrustee/.keytrustee/gpg.conf.bak$" manifest &&
	sha256sum <root/var/lib/keytrustee/.keytrustee/random_seed | cut -d" " -f1 >sum &&
	grep "^$(cat sum) f 600 " manifest
'

test_expect_success 'a hard link is stored once, as a link' '
	kt-tar -tv <kts.tar >long &&
	grep "^hrw------- .* 0 2016-02-09 16:43 var/lib/keytrustee/.keytrustee/gpg.conf.bak link to var/lib/keytrustee/.keytrustee/gpg.conf$" long
'

test_expect_success GNUTAR 'GNU tar lists it without a warning' '
	tar tvf kts.tar >gnu.list 2>err &&
	test_line_count = 0 err &&
	test_line_count = 15 gnu.list
'

test_expect_success GNUTAR 'GNU tar extracts it without a warning and without stray files' '
	mkdir gnu &&
	tar xvf kts.tar -C gnu >out 2>err &&
	test_line_count = 0 err &&
	tree_content root/var/lib/keytrustee/.keytrustee >expect &&
	tree_content gnu/var/lib/keytrustee/.keytrustee >actual &&
	test_cmp expect actual &&
	find gnu | sort >all &&
	test_line_count = 19 all
'

test_expect_success BSDTAR 'bsdtar lists and extracts it without a warning' '
	bsdtar tvf kts.tar >bsd.list 2>err &&
	test_line_count = 0 err &&
	test_line_count = 15 bsd.list &&
	mkdir bsd &&
	bsdtar xf kts.tar -C bsd 2>err &&
	test_line_count = 0 err &&
	tree_content bsd/var/lib/keytrustee/.keytrustee >actual &&
	test_cmp expect actual
'

test_expect_success PYTHON3 'Python tarfile reads every member and extracts them' '
	python3 -W error -c "
import sys, tarfile
with tarfile.open(\"kts.tar\") as t:
    names = t.getnames()
    assert len(names) == 15, names
    t.extractall(\"py\")
" &&
	# Python does not restore the times of symbolic links.
	sed "s/^\(l [0-9]*\) [0-9]* /\1 /" expect >expect.py &&
	tree_content py/var/lib/keytrustee/.keytrustee |
		sed "s/^\(l [0-9]*\) [0-9]* /\1 /" >actual &&
	test_cmp expect.py actual
'

test_expect_success '-z writes a gzip stream holding the same archive' '
	kt-tar -c -z -C root <list >kts.tar.gz &&
	gzip -t kts.tar.gz &&
	gzip -dc kts.tar.gz >plain.tar &&
	test_cmp kts.tar plain.tar &&
	kt-tar -t <kts.tar.gz >znames &&
	test_cmp names znames
'

test_expect_success GNUTAR 'GNU tar reads the gzip archive without a warning' '
	tar tzf kts.tar.gz >/dev/null 2>err &&
	test_line_count = 0 err
'

test_expect_success '-v names each member on standard error' '
	kt-tar -c -v -C root <list >v.tar 2>err &&
	grep -x "var/lib/keytrustee/.keytrustee/secring.gpg" err &&
	test_cmp kts.tar v.tar
'

test_expect_success 'owner and group names and ids are stored' '
	kt-tar -tv <kts.tar >long &&
	me=$(id -un)/$(id -gn) &&
	grep "^-rw------- $me " long &&
	python3 -c "
import tarfile, os
with tarfile.open(\"kts.tar\") as t:
    m = t.getmember(\"var/lib/keytrustee/.keytrustee/secring.gpg\")
    assert m.uid == os.getuid() and m.gid == os.getgid(), (m.uid, m.gid)
    assert m.mode == 0o600, oct(m.mode)
    assert m.mtime == 1455036180, m.mtime
"
'

test_expect_success 'an empty list is refused; nothing is written' '
	test_expect_code 1 kt-tar -c -C root </dev/null >empty.tar 2>err &&
	grep "path list from standard input is empty: nothing to archive" err &&
	test_line_count = 0 empty.tar
'

test_expect_success 'an absolute path in the list is refused' '
	echo /etc/hostname >abs &&
	test_expect_code 1 kt-tar -c -T abs >abs.tar 2>err </dev/null &&
	grep "kt-tar: path list from abs: /etc/hostname: an absolute path" err
'

test_expect_success '".." in the list is refused' '
	echo var/../etc >dotdot &&
	test_expect_code 1 kt-tar -c -C root -T dotdot >dd.tar 2>err </dev/null &&
	grep "not allowed" err
'

test_expect_success '"./" and doubled slashes are tidied away' '
	printf "./var//lib/keytrustee/./db/\n" >tidy &&
	kt-tar -c -C root -T tidy >tidy.tar </dev/null &&
	kt-tar -t <tidy.tar >actual &&
	echo var/lib/keytrustee/db/ >expect &&
	test_cmp expect actual
'

test_expect_success 'a missing file fails the run and the archive has no end' '
	{ cat paths && echo var/lib/keytrustee/.keytrustee/gone; } >missing &&
	test_expect_code 1 kt-tar -c -C root -T missing >cut.tar 2>err </dev/null &&
	grep "kt-tar: root/var/lib/keytrustee/.keytrustee/gone: No such file or directory" err &&
	test_must_fail kt-tar -t <cut.tar >/dev/null 2>err &&
	! tail -c 1024 cut.tar | tr -d "\0" | grep -q "manifest"
'

test_expect_success 'a socket in the list is skipped with a note' '
	python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind(\"root/sock\")" &&
	echo sock >sock.list &&
	echo var >>sock.list &&
	kt-tar -c -C root -T sock.list >sock.tar 2>err </dev/null &&
	grep "skipping socket root/sock: it cannot be restored" err &&
	kt-tar -t <sock.tar >actual &&
	echo var/ >expect &&
	test_cmp expect actual
'

test_expect_success 'a missing -T file is an error naming it' '
	test_expect_code 1 kt-tar -c -T nolist >x.tar 2>err </dev/null &&
	grep "kt-tar: path list nolist: No such file or directory" err
'

test_expect_success 'a missing root is an error naming it' '
	test_expect_code 1 kt-tar -c -C noroot <list >x.tar 2>err &&
	grep "kt-tar: root noroot: No such file or directory" err
'

test_expect_success 'usage: one mode, and options only where they make sense' '
	test_expect_code 2 kt-tar <list >x.tar 2>err &&
	grep "^usage: kt-tar" err &&
	test_expect_code 2 kt-tar -c -t <list >x.tar 2>err &&
	grep "give one of -c, -t and -x" err &&
	test_expect_code 2 kt-tar -t -z <kts.tar >x 2>err &&
	grep "go with -c" err &&
	test_expect_code 2 kt-tar -c --keep-old-files <list >x.tar 2>err &&
	grep "go with -x" err &&
	test_expect_code 2 kt-tar -t -C root <kts.tar >x 2>err &&
	grep "goes with -c or -x" err &&
	test_expect_code 2 kt-tar -x --same-owner --numeric-owner <kts.tar 2>err &&
	grep "exclude each other" err &&
	test_expect_code 2 kt-tar -c extra <list >x.tar 2>err
'

test_expect_success '--help prints the synopsis and succeeds' '
	kt-tar --help >out &&
	grep "^usage: kt-tar -c" out &&
	grep "kt-tar -x" out
'

test_expect_success 'a reader that goes away fails kt-tar quietly' '
	dd if=/dev/zero of=root/big bs=1024 count=2048 2>/dev/null &&
	echo big >big.list &&
	{ kt-tar -c -C root -T big.list </dev/null 2>err; echo $? >rc; } | head -c 10 >/dev/null &&
	test "$(cat rc)" = 1
'

test_done
