#!/bin/sh

test_description='kt-collect --exclude follows rsync'\''s rules, as the seed'\''s rsync commands use them'

. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a tree with pid files, .ssl directories and look-alikes' '
	mkdir -p r/top/.ssl/deep r/top/a/.ssl r/top/a/b/c r/top/db r/top/x.pid.d &&
	for f in top/k.pid top/a/b/c/x.pid top/.ssl/key top/.ssl/deep/key \
		top/a/.ssl/key top/a/b/c/keep top/db/recovery.conf \
		top/db/recovery.conf.bak top/a/recovery.conf top/x.pid.d/file \
		top/.pid top/pid top/a/b/file1 top/a/b/file2 top/a/b/filex
	do
		echo "$f" >"r/$f" || return 1
	done
'

list () {
	kt-collect -C r "$@" /top >actual
}

test_expect_success 'a pattern without a slash matches a name at any depth' '
	list --exclude recovery.conf &&
	! grep "/recovery.conf$" actual &&
	grep -x "top/db/recovery.conf.bak" actual
'

test_expect_success '*.pid matches names ending in .pid, dot files too, and directories' '
	list --exclude "*.pid" &&
	! grep -e "k.pid$" -e "x.pid$" -e "/.pid$" actual &&
	grep -x "top/pid" actual &&
	grep -x "top/x.pid.d" actual
'

test_expect_success 'an excluded directory takes its contents with it' '
	list --exclude .ssl &&
	! grep "\.ssl" actual &&
	grep -x "top/a/b/c/keep" actual
'

test_expect_success 'the seed'\''s passive-conf exclusions together' '
	list --exclude .ssl --exclude "*.pid" &&
	! grep -e "\.ssl" -e "\.pid$" actual
'

test_expect_success 'a trailing slash matches directories only' '
	echo file >r/top/a/b/c/sub &&
	mkdir r/top/a/sub &&
	test_when_finished "rm -r r/top/a/b/c/sub r/top/a/sub" &&
	list --exclude sub/ &&
	grep -x "top/a/b/c/sub" actual &&
	! grep -x "top/a/sub" actual
'

test_expect_success 'a pattern with a slash matches the end of the path' '
	list --exclude b/c &&
	! grep "top/a/b/c" actual &&
	grep -x "top/a/b" actual
'

test_expect_success 'a leading slash anchors the pattern at the root' '
	list --exclude /top/db/recovery.conf &&
	! grep -x "top/db/recovery.conf" actual &&
	grep -x "top/a/recovery.conf" actual &&
	list --exclude /db/recovery.conf &&
	grep -x "top/db/recovery.conf" actual
'

test_expect_success '* does not cross a slash, ** does' '
	list --exclude "top/*/key" &&
	! grep -x "top/.ssl/key" actual &&
	grep -x "top/.ssl/deep/key" actual &&
	list --exclude "top/**/key" &&
	! grep "/key$" actual
'

test_expect_success '? and character classes' '
	list --exclude "file?" &&
	! grep "file[12x]$" actual &&
	list --exclude "file[12]" &&
	grep -x "top/a/b/filex" actual &&
	! grep -x "top/a/b/file1" actual &&
	list --exclude "file[!12]" &&
	! grep -x "top/a/b/filex" actual &&
	grep -x "top/a/b/file2" actual &&
	list --exclude "file[0-1]" &&
	! grep -x "top/a/b/file1" actual &&
	grep -x "top/a/b/file2" actual
'

test_expect_success 'a backslash quotes a wildcard' '
	echo star >"r/top/a/b/*" &&
	test_when_finished "rm \"r/top/a/b/*\"" &&
	list --exclude "\\*" &&
	! grep -x "top/a/b/\*" actual &&
	grep -x "top/a/b/file1" actual
'

test_expect_success 'exclusions apply to a starting point itself' '
	kt-collect -C r --exclude top /top >actual &&
	printf "/kt-collect list 1\n/kt-collect end 0\n" >expect &&
	test_cmp expect actual
'

test_expect_success '-v says what each exclusion leaves out' '
	kt-collect -v -C r --exclude .ssl /top >actual 2>err &&
	grep "excluding top/.ssl (pattern .ssl)" err &&
	grep "excluding top/a/.ssl (pattern .ssl)" err
'

test_expect_success 'an empty pattern is a usage error' '
	test_expect_code 2 kt-collect -C r --exclude / /top >out 2>err &&
	grep "empty exclude pattern" err
'

test_done
