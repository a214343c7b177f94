#!/bin/sh

test_description='kt-tar -x --to-stdout writes one member to standard output, only once the whole archive has checked out'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

sql=var/lib/keytrustee/kts_bak_kts01_example_com_2016-02-10_11-14-37.sql

# make_dump FILE ROWS: a plain dump as pg_dump writes it, complete.
make_dump () {
	{
		printf -- "--\n-- PostgreSQL database dump\n--\n\n\\\\restrict Kx9F2aQ\n\n"
		printf "SET statement_timeout = 0;\n"
		printf "CREATE TABLE deposits (id integer, body text);\n"
		printf "COPY deposits (id, body) FROM stdin;\n"
		seq 1 "$2" | awk '{ printf "%d\tdeposit %d of the key server, with some padding text\n", $1, $1 }'
		printf "\\\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n\\\\unrestrict Kx9F2aQ\n\n"
	} >"$1"
}

# member_offset ARCHIVE NAME: the offset of NAME's data in ARCHIVE.
member_offset () {
	python3 -c "
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    print(t.getmember(sys.argv[2]).offset_data)
" "$1" "$2"
}

test_expect_success 'setup: a backup with the configuration directory and a dump' '
	make_kts_root root &&
	make_dump dump.sql 8000 &&
	test $(wc -c <dump.sql) -gt 200000 &&
	kt-collect -0 -C root --preset kts | {
		kt-tar -c -0 -C root -T /dev/fd/3 --stdin-member "$sql" <dump.sql
	} 3<&0 >backup.tar &&
	kt-tar -t <backup.tar >names &&
	grep -x "$sql" names &&
	mkdir work
'

test_expect_success 'the member'\''s data, and nothing else, goes to standard output' '
	(cd work && kt-tar -x --to-stdout "$sql" <../backup.tar >../out 2>../err) &&
	cmp dump.sql out &&
	test_line_count = 0 err &&
	ls -A work >left &&
	test_line_count = 0 left
'

test_expect_success 'into a pipe, as ktrestore uses it' '
	kt-tar -x --to-stdout "$sql" <backup.tar | cat >piped &&
	cmp dump.sql piped
'

test_expect_success 'a leading slash or "./" in the name is ignored' '
	kt-tar -x --to-stdout "/$sql" <backup.tar >out &&
	cmp dump.sql out &&
	kt-tar -x --to-stdout "./$sql" <backup.tar >out &&
	cmp dump.sql out
'

test_expect_success 'any regular file of the archive can be asked for' '
	kt-tar -x --to-stdout var/lib/keytrustee/.keytrustee/random_seed <backup.tar >out &&
	cmp root/var/lib/keytrustee/.keytrustee/random_seed out
'

test_expect_success 'a gzip-compressed archive too' '
	kt-collect -0 -C root --preset kts | {
		kt-tar -c -0 -z -C root -T /dev/fd/3 --stdin-member "$sql" <dump.sql
	} 3<&0 >backup.tgz &&
	kt-tar -x --to-stdout "$sql" <backup.tgz >out &&
	cmp dump.sql out
'

test_expect_success GNUTAR 'an archive made by GNU tar too' '
	tar -C root -cf gnu.tar var &&
	kt-tar -x -v --to-stdout var/lib/keytrustee/.keytrustee/keytrustee.conf <gnu.tar >out 2>err &&
	cmp root/var/lib/keytrustee/.keytrustee/keytrustee.conf out &&
	grep "no manifest checked" err
'

test_expect_success '-v talks on standard error only' '
	kt-tar -x -v --to-stdout "$sql" <backup.tar >out 2>err &&
	cmp dump.sql out &&
	grep "kt-tar: manifest checked" err &&
	grep "kt-tar: $sql: $(wc -c <dump.sql) bytes written to standard output" err
'

test_expect_success 'an archive cut after the member: nothing written, exit 3' '
	off=$(member_offset backup.tar "$sql") &&
	dsize=$(wc -c <dump.sql) &&
	manifest=$(grep -boa "kt-tools/manifest" backup.tar | cut -d: -f1) &&
	for n in $((off + dsize)) $((off + dsize + 512)) $manifest $((manifest + 600)) $((manifest + 1024))
	do
		head -c $n backup.tar >cut.tar &&
		test_expect_code 3 kt-tar -x --to-stdout "$sql" <cut.tar >out 2>err &&
		test_line_count = 0 out &&
		grep "^kt-tar: standard input: " err || { echo "cut at $n"; return 1; }
	done
'

test_expect_success 'an archive whose manifest does not match: nothing written, exit 3' '
	off=$(member_offset backup.tar "$sql") &&
	cp backup.tar bad.tar &&
	printf X | dd of=bad.tar bs=1 seek=$((off + 100)) conv=notrunc 2>/dev/null &&
	test_expect_code 3 kt-tar -x --to-stdout "$sql" <bad.tar >out 2>err &&
	test_line_count = 0 out &&
	grep "^kt-tar: standard input: .*SHA-256" err
'

# start_slow FIRST: kt-tar -x --to-stdout "$sql" in the background,
# spooling in spool/, reading backup.tar of which only the first FIRST
# bytes come until release_slow; its pid in pid, its output in slow.out.
start_slow () {
	rm -f go pid done &&
	mkfifo go &&
	{
		{ head -c $1 backup.tar; read x <go; tail -c +$(($1 + 1)) backup.tar; } |
		TMPDIR=$PWD/spool sh -c "echo \$\$ >pid; exec kt-tar -x --to-stdout \"$sql\"" >slow.out 2>slow.err
		echo done >done
	} &
}

release_slow () {
	echo go >go &&
	wait_for test -s done
}

test_expect_success 'no byte comes out before the end of the archive has been read' '
	mkdir spool &&
	size=$(wc -c <backup.tar) &&
	off=$(member_offset backup.tar "$sql") &&
	first=$((size - 512)) &&
	test $((off + $(wc -c <dump.sql) + 2048)) -lt $first &&
	start_slow $first &&
	wait_for test -s pid &&
	wait_for has_read pid $first &&
	cp slow.out early.out &&
	ls -l /proc/$(cat pid)/fd >fds &&
	fd=$(sed -n "s,.* \([0-9]*\) -> $PWD/spool/.*(deleted)$,\1,p" fds) &&
	stat -L -c %a /proc/$(cat pid)/fd/$fd >spool.mode &&
	ls -A spool >in-spool;
	release_slow &&
	test_line_count = 0 early.out &&
	cmp dump.sql slow.out &&
	echo 600 >expect &&
	test_cmp expect spool.mode &&
	test_line_count = 0 in-spool
'

test_expect_success 'a member that is not there: exit 1, a clear message, nothing written' '
	test_expect_code 1 kt-tar -x --to-stdout var/lib/keytrustee/nothing.sql <backup.tar >out 2>err &&
	test_line_count = 0 out &&
	grep -x "kt-tar: var/lib/keytrustee/nothing.sql: no such member in the archive: nothing written" err
'

test_expect_success 'a directory, a symbolic link, a hard link: exit 1, nothing written' '
	ln -s keytrustee.conf root/var/lib/keytrustee/.keytrustee/current.conf &&
	ln root/var/lib/keytrustee/.keytrustee/gpg.conf root/var/lib/keytrustee/.keytrustee/gpg.conf.bak &&
	kt-collect -C root --preset kts | kt-tar -c -C root >links.tar &&
	test_expect_code 1 kt-tar -x --to-stdout var/lib/keytrustee/.keytrustee <links.tar >out 2>err &&
	test_line_count = 0 out &&
	grep -x "kt-tar: var/lib/keytrustee/.keytrustee: a directory, not a regular file: nothing written" err &&
	test_expect_code 1 kt-tar -x --to-stdout var/lib/keytrustee/.keytrustee/current.conf <links.tar >out 2>err &&
	test_line_count = 0 out &&
	grep "current.conf: a symbolic link, not a regular file: nothing written" err &&
	test_expect_code 1 kt-tar -x --to-stdout var/lib/keytrustee/.keytrustee/gpg.conf.bak <links.tar >out 2>err &&
	test_line_count = 0 out &&
	grep "gpg.conf.bak: a hard link to var/lib/keytrustee/.keytrustee/gpg.conf, not a regular file: nothing written" err
'

test_expect_success GNUTAR 'a member named twice: the last one counts, as on disk' '
	mkdir -p d1 d2 d3/f &&
	echo first >d1/f &&
	echo second >d2/f &&
	tar -cf twice.tar -C d1 f -C ../d2 f &&
	kt-tar -x --to-stdout f <twice.tar >out &&
	echo second >expect &&
	test_cmp expect out &&
	tar -cf then-dir.tar -C d1 f -C ../d3 f &&
	test_expect_code 1 kt-tar -x --to-stdout f <then-dir.tar >out 2>err &&
	test_line_count = 0 out &&
	grep "f: a directory, not a regular file" err
'

test_expect_success 'a reader that goes away: exit 1, quietly' '
	{ kt-tar -x --to-stdout "$sql" <backup.tar 2>err; echo $? >rc; } | head -c 10 >/dev/null &&
	test "$(cat rc)" = 1 &&
	test_line_count = 0 err
'

test_expect_success 'usage: --to-stdout goes with -x alone, and needs a member name' '
	test_expect_code 2 kt-tar -x -C work --to-stdout "$sql" <backup.tar >out 2>err &&
	grep "do not go with it" err &&
	test_expect_code 2 kt-tar -x --keep-old-files --to-stdout "$sql" <backup.tar >out 2>err &&
	grep "do not go with it" err &&
	test_expect_code 2 kt-tar -t --to-stdout "$sql" <backup.tar >out 2>err &&
	grep "go with -x" err &&
	test_expect_code 2 kt-tar -x --to-stdout "" <backup.tar >out 2>err &&
	grep "needs the name of a member" err &&
	test_expect_code 2 kt-tar -x --to-stdout ../etc/passwd <backup.tar >out 2>err &&
	grep "^kt-tar: --to-stdout ../etc/passwd: \"..\" in the path" err &&
	test_expect_code 2 kt-tar -x --to-stdout <backup.tar >out 2>err &&
	test_line_count = 0 out
'

test_expect_success 'the synopsis shows it' '
	kt-tar --help >help &&
	grep -e "kt-tar -x \[-qv\] --to-stdout name" help
'

test_done
