#!/bin/sh

test_description='kt-tar -x stages members and moves them into place only when the whole archive checked out'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

test_expect_success 'setup: a root, its archive, and a target that has an older copy' '
	make_kts_root root &&
	kt-collect -0 -C root --preset kts >list &&
	kt-tar -c -0 -C root <list >kts.tar &&
	mkdir -p target/var/lib/keytrustee/.keytrustee/.ssl &&
	chmod 755 target/var/lib/keytrustee/.keytrustee &&
	echo old >target/var/lib/keytrustee/.keytrustee/keytrustee.conf &&
	echo mine >target/var/lib/keytrustee/.keytrustee/local-only &&
	echo other >target/var/lib/keytrustee/other &&
	setup_sentinel &&
	tree_state target >target.state
'

test_expect_success 'a cut archive leaves the target exactly as it was, directory times included' '
	head -c 8192 kts.tar >cut.tar &&
	test_expect_code 3 kt-tar -x -C target <cut.tar 2>err &&
	tree_state target >now &&
	test_cmp target.state now &&
	no_kt_staging target &&
	check_sentinel
'

test_expect_success 'existing directories are merged: kept, given the mode and time from the archive' '
	ino=$(stat -c %i target/var/lib/keytrustee/.keytrustee) &&
	kt-tar -x -C target <kts.tar &&
	test "$(stat -c %i target/var/lib/keytrustee/.keytrustee)" = "$ino" &&
	test_file_mode target/var/lib/keytrustee/.keytrustee 700 &&
	test "$(stat -c %Y target/var/lib/keytrustee/.keytrustee)" = \
		"$(stat -c %Y root/var/lib/keytrustee/.keytrustee)" &&
	test "$(stat -c %Y target/var/lib/keytrustee/.keytrustee/.ssl)" = \
		"$(stat -c %Y root/var/lib/keytrustee/.keytrustee/.ssl)"
'

test_expect_success 'existing files are replaced, files only in the target are kept' '
	test_cmp root/var/lib/keytrustee/.keytrustee/keytrustee.conf \
		target/var/lib/keytrustee/.keytrustee/keytrustee.conf &&
	echo mine >expect &&
	test_cmp expect target/var/lib/keytrustee/.keytrustee/local-only &&
	echo other >expect &&
	test_cmp expect target/var/lib/keytrustee/other &&
	no_kt_staging target &&
	no_kt_staging target/var/lib/keytrustee &&
	check_sentinel
'

test_expect_success 'a parent that is not in the archive keeps its mode and time' '
	tree_state target >before &&
	grep " ./var/lib/keytrustee -> " before >parent.before &&
	kt-tar -x -C target <kts.tar &&
	tree_state target | grep " ./var/lib/keytrustee -> " >parent.after &&
	test_cmp parent.before parent.after
'

test_expect_success 'a file is replaced by a rename: a reader never sees it half written' '
	ino=$(stat -c %i target/var/lib/keytrustee/.keytrustee/secring.gpg) &&
	kt-tar -x -C target <kts.tar &&
	test "$(stat -c %i target/var/lib/keytrustee/.keytrustee/secring.gpg)" != "$ino"
'

test_expect_success 'a symbolic link in the target is replaced, not followed' '
	ln -sf ../../../../sentinel/file target/var/lib/keytrustee/.keytrustee/gpg.conf &&
	kt-tar -x -C target <kts.tar &&
	test_path_is_file target/var/lib/keytrustee/.keytrustee/gpg.conf &&
	! test -L target/var/lib/keytrustee/.keytrustee/gpg.conf &&
	check_sentinel
'

test_expect_success 'a directory member replaces a symbolic link in the target, not following it' '
	mkdir -p dsrc/d && chmod 750 dsrc/d &&
	echo d | kt-tar -c -C dsrc >d.tar &&
	mkdir t11 && ln -s ../sentinel/sub t11/d &&
	tree_state t11 >t11.state &&
	test_expect_code 1 kt-tar -x --keep-old-files -C t11 <d.tar 2>err &&
	grep "t11/d: already exists (--keep-old-files)" err &&
	tree_state t11 >now && test_cmp t11.state now &&
	kt-tar -x -C t11 <d.tar &&
	! test -L t11/d && test_path_is_dir t11/d &&
	test_file_mode t11/d 750 &&
	check_sentinel
'

test_expect_success 'a file where the archive has a directory is replaced by it' '
	mkdir t2 && mkdir -p t2/var/lib && echo file >t2/var/lib/keytrustee &&
	kt-tar -x -C t2 <kts.tar &&
	test_path_is_dir t2/var/lib/keytrustee/.keytrustee
'

test_expect_success '... but not with --keep-old-files' '
	mkdir t3 && mkdir -p t3/var/lib && echo file >t3/var/lib/keytrustee &&
	tree_state t3 >t3.state &&
	test_expect_code 1 kt-tar -x --keep-old-files -C t3 <kts.tar 2>err &&
	grep "t3/var/lib/keytrustee: already exists (--keep-old-files)" err &&
	tree_state t3 >now &&
	test_cmp t3.state now
'

test_expect_success '--keep-old-files extracts when nothing is replaced' '
	mkdir t4 &&
	kt-tar -x --keep-old-files -C t4 <kts.tar &&
	test_path_is_file t4/var/lib/keytrustee/.keytrustee/secring.gpg
'

test_expect_success 'without -C, the current directory' '
	mkdir t5 &&
	(cd t5 && kt-tar -x <../kts.tar) &&
	test_path_is_file t5/var/lib/keytrustee/.keytrustee/secring.gpg
'

test_expect_success '-v names each member on standard output' '
	mkdir t6 &&
	kt-tar -x -v -C t6 <kts.tar >names 2>err &&
	grep -x "var/lib/keytrustee/.keytrustee/secring.gpg" names &&
	grep "manifest checked" err &&
	grep "members extracted into" err
'

test_expect_success 'a missing target directory is an error naming it' '
	test_expect_code 1 kt-tar -x -C nowhere <kts.tar 2>err &&
	grep "kt-tar: nowhere: No such file or directory" err
'

test_expect_success GNUTAR 'a "./" member leaves the target directory as it is' '
	mkdir dot && echo x >dot/file && chmod 700 dot &&
	tar cf dot.tar -C dot . &&
	mkdir t7 && chmod 751 t7 &&
	kt-tar -x -C t7 <dot.tar &&
	test_file_mode t7 751 &&
	test_path_is_file t7/file
'

test_expect_success 'the staging directory is 0700 and goes away on SIGTERM' '
	mkdir t8 && touch -d "2016-02-09 16:43" t8 && tree_state t8 >t8.state &&
	rm -f in.fifo && mkfifo in.fifo &&
	{ kt-tar -x -C t8 <in.fifo 2>err & echo $! >pid; } &&
	exec 8>in.fifo &&
	head -c 8192 kts.tar >&8 &&
	i=0 &&
	while ! ls -a t8 | grep -q "^\.kt-tar\." && test $i -lt 3000
	do
		i=$((i + 1)) && sleep 0.01
	done &&
	stage=$(ls -a t8 | grep "^\.kt-tar\.") &&
	test_file_mode "t8/$stage" 700 &&
	kill -TERM "$(cat pid)" &&
	exec 8>&- &&
	{ wait "$(cat pid)"; rc=$?; echo "kt-tar exited $rc"; test $rc = 143; } &&
	no_kt_staging t8 &&
	tree_state t8 >now &&
	test_cmp t8.state now
'

test_expect_success MOUNT 'restoring across file systems: one staging area on each' '
	mkdir -p t9/var/lib/keytrustee &&
	mount -t tmpfs none t9/var/lib/keytrustee &&
	test_when_finished "umount t9/var/lib/keytrustee" &&
	kt-tar -x -v -C t9 <kts.tar >names 2>err &&
	grep "staging in .*/t9/var/lib/keytrustee/.kt-tar\." err &&
	tree_content root/var/lib/keytrustee/.keytrustee >expect &&
	tree_content t9/var/lib/keytrustee/.keytrustee >actual &&
	test_cmp expect actual &&
	no_kt_staging t9 &&
	no_kt_staging t9/var/lib/keytrustee
'

test_expect_success MOUNT,PYTHON3 'a hard link across file systems is refused' '
	mkdir -p t10/mnt &&
	mount -t tmpfs none t10/mnt &&
	test_when_finished "umount t10/mnt" &&
	python3 -c "
import io, tarfile
with tarfile.open(\"xdev.tar\", \"w\", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo(\"f\"); i.size = 2
    t.addfile(i, io.BytesIO(b\"x\\n\"))
    h = tarfile.TarInfo(\"mnt/h\"); h.type = tarfile.LNKTYPE; h.linkname = \"f\"
    t.addfile(h)
" &&
	tree_state t10 >t10.state &&
	test_expect_code 1 kt-tar -x -C t10 <xdev.tar 2>err &&
	grep "mnt/h: hard link to f, which is not earlier in the archive (on this file system)" err &&
	tree_state t10 >now &&
	test_cmp t10.state now
'

test_expect_success ROOT,NOBODY 'a service user restores its own directory under a root-owned tree' '
	mkdir -p svc/var/lib/kt/conf && echo new >svc/var/lib/kt/conf/key &&
	chmod 700 svc/var/lib/kt/conf &&
	printf "var/lib/kt\nvar/lib/kt/conf\nvar/lib/kt/conf/key\n" |
		kt-tar -c -C svc >svc.tar &&
	chmod 644 svc.tar &&
	mkdir -p svcroot/var/lib/kt/conf && chmod 755 svcroot svcroot/var svcroot/var/lib &&
	echo old >svcroot/var/lib/kt/conf/key &&
	chown -R nobody svcroot/var/lib/kt &&
	as_nobody "$(command -v kt-tar)" -x -v -C svcroot <svc.tar >out 2>err &&
	grep "staging in .*/svcroot/var/lib/kt/.kt-tar\." err &&
	echo new >expect &&
	test_cmp expect svcroot/var/lib/kt/conf/key &&
	test_file_mode svcroot/var/lib/kt/conf 700 &&
	no_kt_staging svcroot &&
	no_kt_staging svcroot/var/lib/kt
'

test_expect_success NOBODY 'as an ordinary user: own files, exact modes, read-only directories merged' '
	mkdir -p ro/d/sub && echo a >ro/d/sub/a && echo b >ro/d/b &&
	chmod 555 ro/d/sub && chmod 500 ro/d &&
	printf "d\nd/b\nd/sub\nd/sub/a\n" | kt-tar -c -C ro >ro.tar &&
	chmod 644 ro.tar &&
	mkdir -p user/d/sub && chmod 755 user user/d user/d/sub &&
	chown -R nobody user 2>/dev/null || true &&
	as_nobody "$(command -v kt-tar)" -x -C user <ro.tar &&
	test_file_mode user/d 500 &&
	test_file_mode user/d/sub 555 &&
	test "$(stat -c %U user/d/sub/a)" = "$(id -un nobody 2>/dev/null || id -un)" &&
	echo a >expect && test_cmp expect user/d/sub/a &&
	chmod -R u+w ro user
'

test_done
