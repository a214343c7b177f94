#!/bin/sh

test_description='kt-tar -t and -tv list archives the way tar tf and tar tvf do'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

test_expect_success 'setup: a tree with every kind of member' '
	make_kts_root root &&
	mkdir -p root/misc/sub &&
	echo x >root/misc/file &&
	chmod 4755 root/misc/file &&
	chmod 1777 root/misc/sub &&
	ln root/misc/file root/misc/hard &&
	ln -s ../var/lib/keytrustee root/misc/link &&
	dd if=/dev/zero of=root/misc/big bs=1048576 count=20 2>/dev/null &&
	echo n >"root/misc/new
line" &&
	echo t >"root/misc/tab	and\\back" &&
	touch -d "1999-12-31 23:59" root/misc/file &&
	kt-collect -C root / >list.nl 2>/dev/null;
	kt-collect -0 -C root / >list &&
	kt-tar -c -0 -C root <list >all.tar
'

test_expect_success GNUTAR 'kt-tar -tv prints what GNU tar tvf prints' '
	tar tvf all.tar >expect &&
	kt-tar -tv <all.tar >actual &&
	test_cmp expect actual
'

test_expect_success GNUTAR 'kt-tar -t prints what GNU tar tf prints' '
	tar tf all.tar >expect &&
	kt-tar -t <all.tar >actual &&
	test_cmp expect actual
'

test_expect_success GNUTAR 'the same for archives GNU tar made, in its formats' '
	for fmt in gnu pax ustar
	do
		tar --format=$fmt -cf $fmt.tar -C root var misc/file misc/hard misc/link misc/sub 2>/dev/null &&
		tar tvf $fmt.tar >expect &&
		kt-tar -tv <$fmt.tar >actual &&
		test_cmp expect actual || return 1
	done
'

test_expect_success GNUTAR,ROOT 'device nodes and FIFOs are listed like GNU tar lists them' '
	mkdir dev && mknod dev/null c 1 3 && mknod dev/disk b 8 16 && mkfifo dev/fifo &&
	tar cf dev.tar dev &&
	tar tvf dev.tar >expect &&
	kt-tar -tv <dev.tar >actual &&
	test_cmp expect actual
'

test_expect_success 'names with a newline, a tab or a backslash are escaped' '
	kt-tar -t <all.tar >names &&
	grep -x "misc/new\\\\nline" names &&
	grep -x "misc/tab\\\\tand\\\\\\\\back" names
'

test_expect_success 'the seed'\''s listing shape: mode, owner/group, size, date, name' '
	kt-tar -tv <all.tar >long &&
	me=$(id -un)/$(id -gn) &&
	grep "^drwx------ $me  *0 2016-02-09 16:43 var/lib/keytrustee/.keytrustee/$" long &&
	grep "^-rw------- $me  *600 2016-02-09 16:43 var/lib/keytrustee/.keytrustee/random_seed$" long &&
	grep "^-rw-r--r-- $me  *20 2016-02-09 16:43 var/lib/keytrustee/.keytrustee/logging.conf$" long &&
	grep "^-rwsr-xr-x $me  *2 1999-12-31 23:59 misc/file$" long &&
	grep "^drwxrwxrwt $me  *0 .* misc/sub/$" long &&
	grep "^hrwsr-xr-x $me  *0 1999-12-31 23:59 misc/hard link to misc/file$" long &&
	grep "^lrwxrwxrwx $me  *0 .* misc/link -> ../var/lib/keytrustee$" long
'

test_expect_success 'dates follow TZ' '
	TZ=America/New_York kt-tar -tv <all.tar >ny &&
	grep " 2016-02-09 11:43 var/lib/keytrustee/.keytrustee/random_seed$" ny
'

test_expect_success '-v says whether a manifest was checked' '
	kt-tar -t -v <all.tar >/dev/null 2>err &&
	grep "manifest checked: every member.s SHA-256 matches" err
'

test_expect_success '-q lists without any note' '
	kt-tar -t -q <all.tar >/dev/null 2>err &&
	test_line_count = 0 err
'

test_expect_success 'a listing that nobody reads fails quietly' '
	mkdir -p many/d &&
	(cd many/d && seq -f "member-with-a-name-long-enough-to-fill-pipes-%05g" 3000 |
		xargs touch) &&
	kt-collect -C many /d | kt-tar -c -C many >many.tar &&
	{ kt-tar -t <many.tar 2>err; echo $? >rc; } | head -n 1 >/dev/null &&
	test "$(cat rc)" = 1 &&
	test_line_count = 0 err
'

test_done
