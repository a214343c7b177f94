#!/bin/sh

test_description='kt-tar -x --exclude leaves members out, but still reads and checks the whole archive'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

sql=var/lib/keytrustee/kts_bak_kts01_example_com_2016-02-10_11-14-37.sql
conf=var/lib/keytrustee/.keytrustee

# member_offset ARCHIVE NAME: the offset of NAME's data in ARCHIVE.
member_offset () {
	python3 -c "
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    print(t.getmember(sys.argv[2]).offset_data)
" "$1" "$2"
}

# fresh DIR: an empty target.
fresh () {
	rm -rf "$1" &&
	mkdir "$1"
}

test_expect_success 'setup: a backup of the configuration directory and a dump' '
	make_kts_root root &&
	printf "%s\n" "-- PostgreSQL database dump" "SELECT 1;" >dump.sql &&
	seq 1 20000 >>dump.sql &&
	kt-collect -0 -C root --preset kts | {
		kt-tar -c -0 -C root -T /dev/fd/3 --stdin-member "$sql" <dump.sql
	} 3<&0 >backup.tar &&
	setup_sentinel
'

test_expect_success 'the dump is left out, the rest restored, as ktrestore does it' '
	fresh t1 &&
	kt-tar -x -C t1 --exclude "$sql" <backup.tar &&
	test_path_is_missing "t1/$sql" &&
	tree_content root/$conf >expect &&
	tree_content t1/$conf >actual &&
	test_cmp expect actual &&
	no_kt_staging t1 &&
	check_sentinel
'

test_expect_success 'a wildcard matches across slashes, as fnmatch does without FNM_PATHNAME' '
	fresh t2 &&
	kt-tar -x -C t2 --exclude "*.sql" <backup.tar &&
	test_path_is_missing "t2/$sql" &&
	test_path_is_file t2/$conf/keytrustee.conf &&
	fresh t3 &&
	kt-tar -x -C t3 --exclude "var/lib/keytrustee/kts_bak_*" <backup.tar &&
	test_path_is_missing "t3/$sql" &&
	test_path_is_file t3/$conf/keytrustee.conf
'

test_expect_success 'a pattern matching a directory leaves out everything under it' '
	fresh t4 &&
	kt-tar -x -C t4 --exclude "$conf/.ssl" <backup.tar &&
	test_path_is_missing t4/$conf/.ssl &&
	test_path_is_file t4/$conf/secring.gpg &&
	test_path_is_file "t4/$sql" &&
	fresh t5 &&
	kt-tar -x -C t5 --exclude "*/.ssl" <backup.tar &&
	test_path_is_missing t5/$conf/.ssl &&
	test_path_is_file t5/$conf/secring.gpg
'

test_expect_success 'a pattern matching a directory the archive does not list also covers its contents' '
	printf "%s\n" a/b/c a/b/d a/e >paths &&
	mkdir -p flat/a/b &&
	echo c >flat/a/b/c && echo d >flat/a/b/d && echo e >flat/a/e &&
	kt-tar -c -C flat <paths >flat.tar &&
	fresh t6 &&
	kt-tar -x -C t6 --exclude a/b <flat.tar &&
	test_path_is_missing t6/a/b &&
	test_path_is_file t6/a/e
'

test_expect_success '--exclude may be given several times' '
	fresh t7 &&
	kt-tar -x -C t7 --exclude "$sql" --exclude "*.pid" --exclude "$conf/random_seed" <backup.tar &&
	test_path_is_missing "t7/$sql" &&
	test_path_is_missing t7/$conf/keytrustee.pid &&
	test_path_is_missing t7/$conf/random_seed &&
	test_path_is_file t7/$conf/secring.gpg
'

test_expect_success 'a leading slash, "./" and a trailing slash in a pattern are ignored' '
	fresh t8 &&
	kt-tar -x -C t8 --exclude "/$sql" --exclude "./$conf/.ssl/" <backup.tar &&
	test_path_is_missing "t8/$sql" &&
	test_path_is_missing t8/$conf/.ssl &&
	test_path_is_file t8/$conf/secring.gpg
'

test_expect_success 'a pattern is matched against the whole path: a bare name matches only at the top' '
	fresh t9 &&
	kt-tar -x -C t9 --exclude secring.gpg <backup.tar &&
	test_path_is_file t9/$conf/secring.gpg
'

test_expect_success '-v says what is left out, on standard error' '
	fresh t10 &&
	kt-tar -x -v -C t10 --exclude "$sql" <backup.tar >out 2>err &&
	grep "^kt-tar: $sql: excluded (--exclude $sql)$" err &&
	! grep -x "$sql" out &&
	grep -x "$conf/secring.gpg" out &&
	grep "members read, 1 of them excluded, the others extracted into" err
'

test_expect_success 'an existing directory that is excluded keeps its mode, times and contents' '
	fresh t11 &&
	mkdir -p t11/$conf/.ssl &&
	echo mine >t11/$conf/.ssl/local.pem &&
	chmod 755 t11/$conf/.ssl &&
	touch -d "2020-01-01 00:00" t11/$conf/.ssl &&
	tree_state t11/$conf/.ssl >before &&
	kt-tar -x -C t11 --exclude "$conf/.ssl" <backup.tar &&
	tree_state t11/$conf/.ssl >after &&
	test_cmp before after &&
	test_path_is_file t11/$conf/secring.gpg
'

test_expect_success 'the excluded member is still checked: its data altered, the archive is refused' '
	off=$(member_offset backup.tar "$sql") &&
	cp backup.tar altered.tar &&
	printf X | dd of=altered.tar bs=1 seek=$((off + 50)) conv=notrunc 2>/dev/null &&
	fresh t12 &&
	test_expect_code 3 kt-tar -x -C t12 --exclude "$sql" <altered.tar 2>err &&
	grep "^kt-tar: standard input: .*SHA-256" err &&
	ls -A t12 >left &&
	test_line_count = 0 left &&
	check_sentinel
'

test_expect_success 'the excluded member is still read: cut inside it, the archive is refused' '
	off=$(member_offset backup.tar "$sql") &&
	for n in $((off + 1000)) $((off + $(wc -c <dump.sql)))
	do
		head -c $n backup.tar >cut.tar &&
		fresh t13 &&
		test_expect_code 3 kt-tar -x -C t13 --exclude "$sql" <cut.tar 2>err &&
		grep "^kt-tar: standard input: " err &&
		ls -A t13 >left &&
		test_line_count = 0 left || { echo "cut at $n"; return 1; }
	done
'

test_expect_success 'a hard link to an excluded member is refused: nothing changes' '
	ln root/$conf/gpg.conf root/$conf/gpg.conf.bak &&
	test_when_finished "rm root/$conf/gpg.conf.bak" &&
	kt-collect -C root --preset kts | kt-tar -c -C root >links.tar &&
	fresh t14 &&
	test_expect_code 1 kt-tar -x -C t14 --exclude $conf/gpg.conf <links.tar 2>err &&
	grep "^kt-tar: $conf/gpg.conf.bak: hard link to $conf/gpg.conf, which --exclude $conf/gpg.conf leaves out: exclude the link too$" err &&
	ls -A t14 >left &&
	test_line_count = 0 left &&
	fresh t15 &&
	kt-tar -x -C t15 --exclude "$conf/gpg.conf*" <links.tar &&
	test_path_is_missing t15/$conf/gpg.conf &&
	test_path_is_missing t15/$conf/gpg.conf.bak
'

test_expect_success PYTHON3 'a device node that is excluded does not fail the extraction' '
	python3 -c "
import tarfile, io
with tarfile.open(\"dev.tar\", \"w\") as t:
    d = tarfile.TarInfo(\"dev\"); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)
    n = tarfile.TarInfo(\"dev/null\"); n.type = tarfile.CHRTYPE; n.devmajor = 1; n.devminor = 3; t.addfile(n)
    f = tarfile.TarInfo(\"etc/hostname\"); data = b\"kts01\\n\"; f.size = len(data); t.addfile(f, io.BytesIO(data))
" &&
	fresh t16 &&
	test_expect_code 1 kt-tar -x -C t16 <dev.tar 2>err &&
	grep "dev/null: character device: not extracted" err &&
	kt-tar -x -C t16 --exclude dev <dev.tar &&
	test_path_is_missing t16/dev &&
	echo kts01 >expect &&
	test_cmp expect t16/etc/hostname
'

test_expect_success PYTHON3 'a member with ".." is refused even when a pattern matches it' '
	python3 -c "
import tarfile, io
with tarfile.open(\"dotdot.tar\", \"w\") as t:
    f = tarfile.TarInfo(\"../sentinel/evil\"); data = b\"evil\\n\"; f.size = len(data); t.addfile(f, io.BytesIO(data))
" &&
	fresh t17 &&
	test_expect_code 1 kt-tar -x -C t17 --exclude "*evil*" <dotdot.tar 2>err &&
	grep "\"..\" in the path" err &&
	check_sentinel
'

test_expect_success 'usage: --exclude goes with -x alone, and needs a pattern' '
	test_expect_code 2 kt-tar -t --exclude "$sql" <backup.tar >out 2>err &&
	grep "go with -x" err &&
	test_expect_code 2 kt-tar -c --exclude x <paths >out 2>err &&
	grep "go with -x (kt-collect --exclude chooses what to archive)" err &&
	test_expect_code 2 kt-tar -x --to-stdout "$sql" --exclude x <backup.tar >out 2>err &&
	grep "do not go with it" err &&
	test_line_count = 0 out &&
	test_expect_code 2 kt-tar -x -C t1 --exclude / <backup.tar 2>err &&
	grep "needs a pattern" err &&
	test_expect_code 2 kt-tar -x -C t1 --exclude "" <backup.tar 2>err &&
	grep "needs a pattern" err
'

test_expect_success 'the synopsis shows it' '
	kt-tar --help >help &&
	grep -e "\[--keep-old-files\] \[--exclude pattern\]\.\.\." help
'

test_done
