#!/bin/sh

test_description='kt-tar -t and -x refuse an archive cut anywhere, altered, or stripped of its manifest'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

# The offset where ARCHIVE's data ends: the last non-zero byte, rounded
# up to its block, plus the two zero blocks that must follow it.
complete_len () {
	python3 -c "
import sys
d = open(sys.argv[1], \"rb\").read().rstrip(b\"\\0\")
print((len(d) + 511) // 512 * 512 + 1024)
" "$1"
}

test_expect_success 'setup: a small kt-tar archive and a target' '
	make_kts_root root &&
	kt-collect -C root --preset kts >list &&
	kt-tar -c -C root <list >kts.tar &&
	size=$(wc -c <kts.tar) &&
	need=$(complete_len kts.tar) &&
	echo "archive $size bytes, complete at $need" &&
	test "$need" -lt "$size" &&
	mkdir target && echo old >target/old && setup_sentinel &&
	tree_state target >target.state
'

test_expect_success PYTHON3 'cut at every block boundary: -t refuses each (exit 3)' '
	off=0 &&
	while test $off -lt $need
	do
		head -c $off kts.tar >cut.tar &&
		test_expect_code 3 kt-tar -t <cut.tar >/dev/null 2>err || {
			echo "accepted a cut at $off"; return 1; }
		off=$((off + 512))
	done
'

test_expect_success PYTHON3 'cut inside blocks, in headers, data and runs of zeros: refused' '
	for off in 1 100 511 513 700 1023 1025 1536 2000 4095 4097 \
		$((need - 1536)) $((need - 1025)) $((need - 1024)) \
		$((need - 513)) $((need - 512)) $((need - 511)) $((need - 1))
	do
		head -c $off kts.tar >cut.tar &&
		test_expect_code 3 kt-tar -t <cut.tar >/dev/null 2>err || {
			echo "accepted a cut at $off"; return 1; }
	done
'

test_expect_success PYTHON3 'every byte of the manifest and its end is needed' '
	start=$((need - 4096)) &&
	test $start -gt 0 &&
	off=$start &&
	while test $off -lt $need
	do
		head -c $off kts.tar >cut.tar &&
		test_expect_code 3 kt-tar -t <cut.tar >/dev/null 2>err || {
			echo "accepted a cut at $off"; return 1; }
		off=$((off + 7))
	done
'

test_expect_success PYTHON3 'the padding after the final zero blocks is not needed' '
	head -c $need kts.tar | kt-tar -t >/dev/null
'

test_expect_success 'the message says what is wrong' '
	head -c 10240 kts.tar | test_expect_code 3 kt-tar -t >/dev/null 2>err &&
	grep "^kt-tar: standard input: " err
'

test_expect_success PYTHON3 'kt-tar -x of cut archives leaves the target as it was' '
	for off in 512 1024 5120 10240 $((need - 1024)) $((need - 512)) $((need - 1))
	do
		head -c $off kts.tar >cut.tar &&
		test_expect_code 3 kt-tar -x -C target <cut.tar 2>err || {
			echo "accepted a cut at $off"; return 1; }
		tree_state target >now &&
		test_cmp target.state now &&
		check_sentinel || return 1
	done
'

test_expect_success 'a flipped bit in a member'\''s data: the manifest does not match' '
	python3 - <<-\EOF &&
	d = bytearray(open("kts.tar", "rb").read())
	i = d.index(b"BEGIN PRIVATE KEY")
	d[i] ^= 1
	open("flip.tar", "wb").write(d)
	EOF
	test_expect_code 3 kt-tar -t <flip.tar >/dev/null 2>err &&
	grep "ssl-cert-keytrustee-pk.pem" err &&
	test_expect_code 3 kt-tar -x -C target <flip.tar 2>err &&
	tree_state target >now &&
	test_cmp target.state now
'

test_expect_success GNUTAR 'GNU tar does not notice that flip' '
	tar tf flip.tar >/dev/null 2>err &&
	test_line_count = 0 err
'

test_expect_success 'a changed line in the manifest is refused' '
	python3 - <<-\EOF &&
	d = bytearray(open("kts.tar", "rb").read())
	i = d.index(b" f 6 var/lib/keytrustee/.keytrustee/keytrustee.pid")
	d[i + 3] = ord("7")
	open("badline.tar", "wb").write(d)
	EOF
	test_expect_code 3 kt-tar -t <badline.tar >/dev/null 2>err &&
	grep "^kt-tar: standard input: .*manifest" err
'

test_expect_success 'a damaged header is refused' '
	python3 - <<-\EOF &&
	d = bytearray(open("kts.tar", "rb").read())
	d[1024 + 10] ^= 0x20
	open("badhdr.tar", "wb").write(d)
	EOF
	test_expect_code 3 kt-tar -t <badhdr.tar >/dev/null 2>err
'

test_expect_success 'an archive made by kt-tar that lost its manifest is refused' '
	python3 - <<-\EOF &&
	d = open("kts.tar", "rb").read()
	i = d.index(b"kt-tools/manifest")
	open("nomanifest.tar", "wb").write(d[:i] + bytes(10240))
	EOF
	test_expect_code 3 kt-tar -t <nomanifest.tar >/dev/null 2>err &&
	grep -i "manifest" err
'

test_expect_success GNUTAR 'a foreign archive with its end marker is accepted; -v says no manifest was checked' '
	tar cf gnu.tar -C root var &&
	kt-tar -t -v <gnu.tar >/dev/null 2>err &&
	grep "no manifest checked" err
'

test_expect_success GNUTAR 'a foreign archive cut at a member boundary is refused' '
	tar cf gnu.tar -C root var &&
	gneed=$(complete_len gnu.tar) &&
	off=0 &&
	while test $off -lt $gneed
	do
		head -c $off gnu.tar >cut.tar &&
		test_expect_code 3 kt-tar -t <cut.tar >/dev/null 2>err || {
			echo "accepted a cut at $off"; return 1; }
		off=$((off + 512))
	done
'

test_expect_success 'a gzip-compressed archive cut anywhere is refused' '
	kt-tar -c -z -C root <list >kts.tgz &&
	zsize=$(wc -c <kts.tgz) &&
	for off in 0 1 10 20 100 $((zsize / 2)) $((zsize - 9)) $((zsize - 8)) \
		$((zsize - 4)) $((zsize - 1))
	do
		head -c $off kts.tgz >cut.tgz &&
		test_expect_code 3 kt-tar -t <cut.tgz >/dev/null 2>err || {
			echo "accepted a cut at $off of $zsize"; return 1; }
	done &&
	kt-tar -t <kts.tgz >/dev/null
'

test_expect_success 'an empty input is not an archive' '
	test_expect_code 3 kt-tar -t </dev/null >/dev/null 2>err &&
	grep "empty" err &&
	test_expect_code 3 kt-tar -x -C target </dev/null 2>err
'

test_expect_success 'something that is not a tar archive is refused' '
	printf "hello, world\n" >hello &&
	test_expect_code 3 kt-tar -t <hello >/dev/null 2>err &&
	grep "^kt-tar: standard input: " err
'

test_expect_success PYTHON3 'members hidden after the manifest are refused' '
	(cd root && printf "%s\n" var/lib/keytrustee/.keytrustee/gpg.conf |
		python3 "$TEST_DIRECTORY/t9010/mkkt.py" --after-manifest) >after.tar &&
	test_expect_code 3 kt-tar -t <after.tar >/dev/null 2>err
'

test_expect_success PYTHON3 'a wrong member count is refused' '
	(cd root && printf "%s\n" var/lib/keytrustee/.keytrustee/gpg.conf |
		python3 "$TEST_DIRECTORY/t9010/mkkt.py" --count-delta 1) >count.tar &&
	test_expect_code 3 kt-tar -t <count.tar >/dev/null 2>err
'

test_expect_success 'nothing was left behind' '
	no_kt_staging target &&
	check_sentinel
'

test_done
