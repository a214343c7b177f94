#!/bin/sh

test_description='kt-collect frames its list with a begin and an end record; --plain leaves them out'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

test_expect_success 'setup: a fake Key Trustee Server root' '
	make_kts_root root &&
	kt-collect --plain -C root --preset kts >plain &&
	test_line_count = 13 plain
'

test_expect_success 'the list begins with "/kt-collect list 1" and ends with the count of paths' '
	kt-collect -C root --preset kts >list &&
	{ echo "/kt-collect list 1" && cat plain && echo "/kt-collect end 13"; } >expect &&
	test_cmp expect list
'

test_expect_success 'with -0 the framing records end with a NUL byte too' '
	kt-collect -0 -C root --preset kts >list0 &&
	{ printf "/kt-collect list 1\0" && tr "\n" "\0" <plain && printf "/kt-collect end 13\0"; } >expect0 &&
	cmp expect0 list0
'

test_expect_success 'a walk that finds nothing to list still frames it: "end 0"' '
	kt-collect -C root --exclude "*" /var >none &&
	printf "%s\n" "/kt-collect list 1" "/kt-collect end 0" >expect &&
	test_cmp expect none
'

test_expect_success 'the count covers several starting points' '
	kt-collect -C root --preset kts --preset passive-db >two &&
	test "$(tail -n 1 two)" = "/kt-collect end $(($(wc -l <two) - 2))"
'

test_expect_success 'a failed walk has no end record, and ends unterminated' '
	test_expect_code 1 kt-collect -C root --preset kts --preset navencrypt >failed 2>err &&
	grep "kt-collect: root/etc/navencrypt: No such file or directory" err &&
	head -n 1 failed >first &&
	echo "/kt-collect list 1" >expect &&
	test_cmp expect first &&
	! grep -a "^/kt-collect end" failed &&
	test "$(tail -c 1 failed | od -An -c | tr -d " ")" != "\\n"
'

test_expect_success 'the same with -0' '
	test_expect_code 1 kt-collect -0 -C root --preset kts --preset navencrypt >failed0 2>err &&
	! tr "\0" "\n" <failed0 | grep -a "^/kt-collect end" &&
	test "$(tail -c 1 failed0 | od -An -c | tr -d " ")" != "\\0"
'

test_expect_success 'kt-tar -c refuses the failed list and writes nothing' '
	test_expect_code 1 kt-tar -c -C root <failed >out.tar 2>err &&
	grep "kt-tar: path list from standard input is incomplete" err &&
	test_line_count = 0 out.tar
'

test_expect_success '--plain prints the paths alone, in both modes' '
	kt-collect --plain -C root --preset kts >actual &&
	unframe list >expect &&
	test_cmp expect actual &&
	kt-collect --plain -0 -C root --preset kts >actual0 &&
	unframe_z list0 >expect0 &&
	cmp expect0 actual0
'

test_expect_success '--plain still ends a failed list with an unterminated record' '
	test_expect_code 1 kt-collect --plain -C root --preset kts --preset navencrypt >pfailed 2>err &&
	test "$(tail -c 1 pfailed | od -An -c | tr -d " ")" != "\\n" &&
	test_expect_code 1 kt-tar -c -C root <pfailed >out.tar 2>err &&
	grep "is incomplete" err
'

test_expect_success GNUTAR '--plain -0 feeds GNU tar --null --no-recursion -T -' '
	kt-collect --plain -0 -C root --preset kts |
		tar -C root --null --no-recursion -T - -cf gnu.tar 2>err &&
	test_line_count = 0 err &&
	tar tf gnu.tar | sed -e "s,/$,," >members &&
	test_cmp plain members &&
	mkdir gnu &&
	tar xf gnu.tar -C gnu &&
	tree_content root/var/lib/keytrustee/.keytrustee >expect &&
	tree_content gnu/var/lib/keytrustee/.keytrustee >actual &&
	test_cmp expect actual
'

test_expect_success GNUTAR 'GNU tar does not know the framing: without --plain it fails on the begin record' '
	kt-collect -0 -C root --preset kts |
		test_must_fail tar -C root --null --no-recursion -T - -cf x.tar 2>err &&
	grep "/kt-collect list 1" err
'

test_expect_success '--plain is documented in --help' '
	kt-collect --help >help &&
	grep -e "--plain" help
'

test_done
