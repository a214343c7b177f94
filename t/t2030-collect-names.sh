#!/bin/sh

test_description='names with spaces, newlines, a leading dash or odd bytes survive kt-collect -0 | kt-tar -c -0 | kt-tar -x'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

test_expect_success 'setup: odd names' '
	mkdir -p "src/d/with space" "src/d/-dash" &&
	echo 1 >"src/d/with space/file name" &&
	echo 2 >"src/d/-dash/-rf" &&
	echo 3 >"src/d/new
line" &&
	echo 4 >"src/d/tab	here" &&
	echo 5 >"src/d/back\\slash" &&
	echo 6 >"src/d/caf$(printf "\303\251")" &&
	echo 8 >"src/d/  leading and trailing  " &&
	ln -s "new
line" "src/d/link with space" &&
	echo 9 >"src/d/$(printf "x%.0s" $(seq 200))"
'

test_expect_success 'kt-collect -0 lists every name exactly' '
	kt-collect -0 -C src /d >list &&
	(cd src && find d -print0 | sort -z) >expect &&
	sed -z "1d;\$d" list | sort -z >actual &&
	cmp expect actual
'

test_expect_success 'kt-tar -c -0 archives them; kt-tar -x restores them' '
	kt-tar -c -0 -C src <list >odd.tar &&
	mkdir out &&
	kt-tar -x -C out <odd.tar &&
	tree_content src >expect &&
	tree_content out >actual &&
	test_cmp expect actual
'

test_expect_success 'kt-tar -t prints one member a line, control bytes escaped' '
	kt-tar -t <odd.tar >names &&
	grep -x "d/new\\\\nline" names &&
	grep -x "d/tab\\\\there" names &&
	grep -x "d/back\\\\\\\\slash" names &&
	test_line_count = 12 names
'

test_expect_success GNUTAR 'GNU tar extracts them the same' '
	mkdir gnu &&
	tar xf odd.tar -C gnu 2>err &&
	test_line_count = 0 err &&
	tree_content gnu >actual &&
	test_cmp expect actual
'

test_expect_success 'a name that is not UTF-8 goes through kt-tar as it is, with a warning' '
	mkdir -p bin/d &&
	echo 7 >"bin/d/bad$(printf "\377\376")bytes" &&
	kt-collect -0 -C bin /d >blist &&
	kt-tar -c -0 -C bin <blist >bin.tar 2>err &&
	grep "Can.t translate pathname" err &&
	mkdir bout &&
	kt-tar -x -C bout <bin.tar &&
	tree_content bin >expect &&
	tree_content bout >actual &&
	test_cmp expect actual
'

test_expect_success GNUTAR 'GNU tar restores that name too, but warns about the pax hdrcharset record' '
	mkdir bgnu &&
	tar xf bin.tar -C bgnu 2>err &&
	grep "hdrcharset" err &&
	tree_content bgnu >actual &&
	test_cmp expect actual
'

test_expect_success 'a newline-separated list cannot carry a newline in a name' '
	kt-collect -C src /d/-dash >list.nl &&
	kt-tar -c -C src <list.nl >dash.tar &&
	kt-tar -t <dash.tar >actual &&
	printf "%s\n" d/-dash/ d/-dash/-rf >expect &&
	test_cmp expect actual
'

test_expect_success 'a NUL-separated list read without -0 is refused with a hint' '
	test_must_fail kt-tar -c -C src <list >x.tar 2>err &&
	grep "holds a NUL byte" err &&
	grep "with -0" err
'

test_expect_success 'a newline-separated list read with -0 is refused with a hint' '
	test_must_fail kt-tar -c -0 -C src <list.nl >x.tar 2>err &&
	grep "without a NUL terminator" err
'

test_done
