#!/bin/sh

test_description='kt-tar -x refuses hostile archives and leaves the target and everything outside it as they were'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

if ! test_have_prereq PYTHON3
then
	skip_all='the hostile archives are built with Python'
	test_done
fi

mkhostile () {
	python3 "$TEST_DIRECTORY/t3050/mkhostile.py" "$1" >"$1.tar"
}

# refused CASE MESSAGE [EXIT]: kt-tar -x of the archive CASE fails with
# MESSAGE and exit status EXIT (1), and nothing changed anywhere.
refused () {
	test -f "$1.tar" || mkhostile "$1" || return 1
	test_expect_code "${3:-1}" kt-tar -x -C target <"$1.tar" 2>err &&
	cat err &&
	grep "^kt-tar: .*$2" err &&
	unchanged
}

unchanged () {
	tree_state target >now &&
	test_cmp target.state now &&
	check_sentinel &&
	no_kt_staging target &&
	test_path_is_missing /tmp/kt-hostile-absolute
}

test_expect_success 'setup: a target with files, a directory and a link in it, and a sentinel beside it' '
	mkdir -p target/existing-dir &&
	echo keep >target/existing-dir/file &&
	echo old >target/existing-file &&
	ln -s ../sentinel target/tlink &&
	setup_sentinel &&
	tree_state target >target.state
'

test_expect_success 'an absolute path' '
	refused absolute "/tmp/kt-hostile-absolute: absolute path"
'

test_expect_success GNUTAR 'an absolute path stored by GNU tar -P' '
	echo evil >evil &&
	tar cf gnu-abs.tar -P --transform "s,^evil,/tmp/kt-hostile-absolute," evil &&
	refused gnu-abs "absolute path"
'

test_expect_success '".." leading the path' '
	refused dotdot-lead "../sentinel/evil: \"..\" in the path"
'

test_expect_success '".." in the middle of the path' '
	refused dotdot-middle "\"..\" in the path"
'

test_expect_success '".." ending the path' '
	refused dotdot-end "a/..: \"..\" in the path"
'

test_expect_success GNUTAR '".." put in by GNU tar --transform' '
	tar cf gnu-dotdot.tar --transform "s,^evil,x/../../sentinel/evil," evil &&
	refused gnu-dotdot "\"..\" in the path"
'

test_expect_success 'a symbolic link to an absolute path outside' '
	refused symlink-absolute "s: symbolic link to /etc, outside"
'

test_expect_success 'a symbolic link climbing out with ..' '
	refused symlink-up "s: symbolic link to ../sentinel, outside"
'

test_expect_success 'a deeper symbolic link climbing out' '
	refused symlink-deep-up "a/b/s: symbolic link to ../../../sentinel, outside"
'

test_expect_success 'a symbolic link with ".." after a name' '
	refused symlink-name-dotdot "s: symbolic link to a/../../sentinel: \"..\" after a name"
'

test_expect_success 'a symbolic link with an empty target' '
	refused symlink-empty "s: symbolic link with an empty target"
'

test_expect_success 'a member written through a symbolic link of the archive' '
	refused through-symlink "s/evil: would be written through the symbolic link s earlier in the archive"
'

test_expect_success 'a directory, then a symbolic link of the same name, then a member through it' '
	refused dir-then-symlink "x/evil: would be written through the symbolic link x"
'

test_expect_success 'the same with a link that points outside' '
	refused dir-then-symlink-out "outside"
'

test_expect_success GNUTAR 'a member written through a symbolic link already in the target' '
	mkdir -p g/tlink && echo evil >g/tlink/evil &&
	tar cf through-target.tar -C g tlink/evil &&
	refused through-target "tlink/evil: .*target/tlink is a symbolic link in the target"
'

test_expect_success 'a hard link to an absolute path' '
	refused hardlink-absolute "h: hard link to /etc/passwd: absolute path"
'

test_expect_success 'a hard link climbing out with ..' '
	refused hardlink-up "h: hard link to ../sentinel/file: \"..\" in the path"
'

test_expect_success 'a hard link to something the archive does not have' '
	refused hardlink-missing "h: hard link to not-in-the-archive, which is not earlier in the archive"
'

test_expect_success 'a hard link to a symbolic link' '
	refused hardlink-symlink "h: hard link to s, which is not a regular file"
'

test_expect_success 'a hard link to a directory' '
	refused hardlink-dir "h: hard link to d, which is not a regular file"
'

test_expect_success 'a member under a file of the archive' '
	refused under-file "f/evil: would be written under f, a file earlier in the archive"
'

test_expect_success 'a character device' '
	refused chardev "null: character device: not extracted"
'

test_expect_success 'a block device' '
	refused blockdev "disk: block device: not extracted"
'

test_expect_success 'a FIFO' '
	refused fifo "pipe: FIFO: not extracted"
'

test_expect_success GNUTAR 'a FIFO archived by GNU tar' '
	mkfifo f && tar cf gnu-fifo.tar f &&
	refused gnu-fifo "f: FIFO: not extracted"
'

test_expect_success 'a symbolic link named "." that would replace the target' '
	refused dot-symlink ".: would replace the target directory itself"
'

test_expect_success 'a file named "." that would replace the target' '
	refused dot-file ".: would replace the target directory itself"
'

test_expect_success 'a hard link named "./"' '
	refused dot-hardlink "would replace the target directory itself"
'

test_expect_success 'a file that would replace an existing directory' '
	refused replace-dir "existing-dir: a directory, would be replaced by a file from the archive"
'

test_expect_success 'with --keep-old-files, a file that would replace an existing file' '
	mkhostile replace-file &&
	test_expect_code 1 kt-tar -x --keep-old-files -C target <replace-file.tar 2>err &&
	grep "target/existing-file: already exists (--keep-old-files)" err &&
	unchanged
'

test_expect_success 'a name longer than the system allows' '
	refused long-name "name too long"
'

test_expect_success 'a huge size field with the data missing' '
	refused huge-size "standard input: " 3
'

test_expect_success 'a large octal size field with the data missing' '
	refused huge-octal "standard input: " 3
'

test_expect_success 'set-user-ID, set-group-ID and sticky bits are stripped' '
	mkhostile modes &&
	mkdir modes &&
	kt-tar -x -C modes <modes.tar &&
	test_file_mode modes/suid 755 &&
	test_file_mode modes/sgid 775 &&
	test_file_mode modes/sticky 777 &&
	test_file_mode modes/all 777 &&
	check_sentinel
'

test_expect_success 'after all that, the target still extracts a good archive' '
	mkdir -p src/ok && echo fine >src/ok/file &&
	printf "ok\nok/file\n" | kt-tar -c -C src >good.tar &&
	kt-tar -x -C target <good.tar &&
	test_cmp src/ok/file target/ok/file &&
	check_sentinel
'

test_done
