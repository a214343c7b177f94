#!/bin/sh

test_description='kt-collect lists what to back up, relative to the root, directories first, sorted'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

test_expect_success 'setup: a fake Key Trustee Server root' '
	make_kts_root root &&
	mkdir -p root/etc/navencrypt/keys root/var/lib/kms-keytrustee/keytrustee/.keytrustee &&
	echo conf >root/etc/navencrypt/ztrustee.conf &&
	echo key >root/etc/navencrypt/keys/k1 &&
	echo kms >root/var/lib/kms-keytrustee/keytrustee/.keytrustee/keytrustee.conf &&
	ln -s keytrustee.conf root/var/lib/keytrustee/.keytrustee/current.conf
'

test_expect_success '--preset kts lists the configuration directory as tar tvf shows it' '
	kt-collect -C root --preset kts >actual &&
	cat >expect <<-\EOF &&
	/kt-collect list 1
	var/lib/keytrustee/.keytrustee
	var/lib/keytrustee/.keytrustee/.ssl
	var/lib/keytrustee/.keytrustee/.ssl/ssl-cert-keytrustee-pk.pem
	var/lib/keytrustee/.keytrustee/.ssl/ssl-cert-keytrustee.pem
	var/lib/keytrustee/.keytrustee/current.conf
	var/lib/keytrustee/.keytrustee/gpg.conf
	var/lib/keytrustee/.keytrustee/keytrustee.conf
	var/lib/keytrustee/.keytrustee/keytrustee.pid
	var/lib/keytrustee/.keytrustee/logging.conf
	var/lib/keytrustee/.keytrustee/pubring.gpg
	var/lib/keytrustee/.keytrustee/pubring.gpg~
	var/lib/keytrustee/.keytrustee/random_seed
	var/lib/keytrustee/.keytrustee/secring.gpg
	var/lib/keytrustee/.keytrustee/trustdb.gpg
	/kt-collect end 14
	EOF
	test_cmp expect actual
'

test_expect_success 'the same list twice: the order is stable' '
	kt-collect -C root --preset kts >again &&
	test_cmp actual again
'

test_expect_success 'a directory comes before everything it holds' '
	kt-collect --plain -C root / >all &&
	awk "{ seen[\$0] = 1; n = split(\$0, c, \"/\"); p = c[1];
		for (i = 2; i <= n; i++) { if (!(p in seen)) { print \"parent after child: \" \$0; bad = 1 }
		p = p \"/\" c[i] } } END { exit bad }" all
'

test_expect_success 'symbolic links are listed, not followed' '
	grep -x "var/lib/keytrustee/.keytrustee/current.conf" actual &&
	ln -s ../../../etc root/var/lib/keytrustee/.keytrustee/.ssl/etc &&
	test_when_finished "rm root/var/lib/keytrustee/.keytrustee/.ssl/etc" &&
	kt-collect -C root --preset kts >links &&
	grep -x "var/lib/keytrustee/.keytrustee/.ssl/etc" links &&
	! grep "navencrypt" links
'

test_expect_success 'a starting point that is a symbolic link is listed, with a warning' '
	ln -s var/lib/keytrustee root/kt &&
	test_when_finished "rm root/kt" &&
	kt-collect --plain -C root /kt >out 2>err &&
	echo kt >expect &&
	test_cmp expect out &&
	grep "kt-collect: .*/kt is a symbolic link (to var/lib/keytrustee)" err
'

test_expect_success '--preset kms and --preset navencrypt' '
	kt-collect --plain -C root --preset navencrypt --preset kms >actual &&
	cat >expect <<-\EOF &&
	etc/navencrypt
	etc/navencrypt/keys
	etc/navencrypt/keys/k1
	etc/navencrypt/ztrustee.conf
	var/lib/kms-keytrustee
	var/lib/kms-keytrustee/keytrustee
	var/lib/kms-keytrustee/keytrustee/.keytrustee
	var/lib/kms-keytrustee/keytrustee/.keytrustee/keytrustee.conf
	EOF
	test_cmp expect actual
'

test_expect_success '--preset passive-db leaves out recovery.conf' '
	kt-collect --plain -C root --preset passive-db >actual &&
	cat >expect <<-\EOF &&
	var/lib/keytrustee/db
	var/lib/keytrustee/db/PG_VERSION
	EOF
	test_cmp expect actual
'

test_expect_success '--preset passive-conf leaves out .ssl and *.pid' '
	kt-collect --plain -C root --preset passive-conf >actual &&
	! grep -e "\.ssl" -e "\.pid" actual &&
	grep -x "var/lib/keytrustee/.keytrustee/secring.gpg" actual &&
	test_line_count = 10 actual
'

test_expect_success 'a preset excludes within its own starting point only' '
	mkdir -p root/etc/navencrypt/.ssl &&
	test_when_finished "rm -r root/etc/navencrypt/.ssl" &&
	kt-collect -C root --preset passive-conf --preset navencrypt >actual &&
	grep -x "etc/navencrypt/.ssl" actual
'

test_expect_success 'a path given twice, or inside another, is listed once' '
	kt-collect -C root --preset kts /var/lib/keytrustee/.keytrustee/.ssl \
		/var/lib/keytrustee/.keytrustee/ >actual &&
	kt-collect -C root --preset kts >expect &&
	test_cmp expect actual
'

test_expect_success 'kts covers passive-conf: listed once, without its exclusions' '
	kt-collect -C root --preset passive-conf --preset kts >actual &&
	kt-collect -C root --preset kts >expect &&
	test_cmp expect actual
'

test_expect_success 'overlapping starting points with different exclusions are refused' '
	test_expect_code 2 kt-collect -C root --preset passive-conf \
		--preset passive-conf /var/lib/keytrustee/.keytrustee/.ssl/x >out 2>err &&
	grep "overlap with different exclusions" err
'

test_expect_success '--preset help lists every preset with its path' '
	kt-collect --preset help >help &&
	grep "^kts  *\/var\/lib\/keytrustee\/.keytrustee$" help &&
	grep "^kms  *\/var\/lib\/kms-keytrustee$" help &&
	grep "^navencrypt  *\/etc\/navencrypt$" help &&
	grep "^passive-db  *\/var\/lib\/keytrustee\/db --exclude .recovery.conf.$" help &&
	grep "^passive-conf  *\/var\/lib\/keytrustee\/.keytrustee --exclude .\.ssl. --exclude .\*\.pid.$" help
'

test_expect_success '-0 ends each path, and the framing records, with a NUL byte' '
	kt-collect -0 -C root --preset passive-db >nul &&
	printf "/kt-collect list 1\0var/lib/keytrustee/db\0var/lib/keytrustee/db/PG_VERSION\0/kt-collect end 2\0" >expect &&
	cmp expect nul
'

test_expect_success 'the whole root: its contents, not the root itself' '
	kt-collect --plain -C root / >all &&
	head -n 1 all >first &&
	echo etc >expect &&
	test_cmp expect first &&
	! grep -x -e "" -e "." all
'

test_expect_success 'without -C the root is /' '
	kt-collect /etc/hostname >out 2>err ||
	kt-collect /etc/passwd >out 2>err &&
	grep -x -e "etc/hostname" -e "etc/passwd" out
'

test_expect_success 'unknown preset: usage error naming it' '
	test_expect_code 2 kt-collect --preset kst >out 2>err &&
	grep "kt-collect: no preset named kst" err
'

test_expect_success 'a relative path is a usage error' '
	test_expect_code 2 kt-collect -C root var/lib >out 2>err &&
	grep "var/lib: not an absolute path" err
'

test_expect_success '".." in a path is a usage error' '
	test_expect_code 2 kt-collect -C root /var/../etc >out 2>err &&
	grep "not allowed" err
'

test_expect_success 'nothing to collect is a usage error' '
	test_expect_code 2 kt-collect -C root >out 2>err &&
	grep "nothing to collect" err
'

test_expect_success 'an unknown option is a usage error with the synopsis' '
	test_expect_code 2 kt-collect --bogus >out 2>err &&
	grep "^usage: kt-collect" err
'

test_expect_success '--help prints the synopsis on stdout and succeeds' '
	kt-collect --help >out &&
	grep "^usage: kt-collect" out
'

test_expect_success 'a usage error leaves an incomplete list, which kt-tar refuses' '
	test_must_fail kt-collect --preset nope >list 2>err &&
	test_must_fail kt-tar -c -C root <list >out.tar 2>err &&
	grep "incomplete" err &&
	test_line_count = 0 out.tar
'

test_done
