#!/bin/sh

test_description='kt-tar --stdin-member archives a stream (a database dump) beside the listed files, never as a file on disk'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

sql=var/lib/keytrustee/kts_bak_kts01_example_com_2016-02-10_11-14-37.sql

test_expect_success 'setup: a root, its list and a plain dump' '
	make_kts_root root &&
	kt-collect -0 -C root --preset kts >list &&
	cat >dump.sql <<-\EOF &&
	--
	-- PostgreSQL database dump
	--

	\restrict Kx9F2aQ

	SET statement_timeout = 0;
	CREATE TABLE keys (id integer, blob bytea);
	COPY keys (id, blob) FROM stdin;
	1	\\x00ff
	\.

	--
	-- PostgreSQL database dump complete
	--

	\unrestrict Kx9F2aQ

	EOF
	mkdir tmp
'

test_expect_success 'a dump from a pipe becomes the last member, beside the files' '
	cat dump.sql | TMPDIR=$PWD/tmp kt-tar -c -0 -C root -T list \
		--stdin-member "$sql" >kts.tar &&
	kt-tar -t <kts.tar >names &&
	tail -n 1 names >last &&
	echo "$sql" >expect &&
	test_cmp expect last &&
	test_line_count = 14 names &&
	ls -A tmp >left &&
	test_line_count = 0 left
'

test_expect_success 'it has the dump'\''s bytes, mode 0600, our owner and the current time' '
	mkdir out &&
	kt-tar -x -C out <kts.tar &&
	test_cmp dump.sql "out/$sql" &&
	test_file_mode "out/$sql" 600 &&
	test "$(stat -c %u "out/$sql")" = "$(id -u)" &&
	now=$(date +%s) && then=$(stat -c %Y "out/$sql") &&
	test $((now - then)) -lt 600
'

test_expect_success 'GNU tar lists it as the seed'\''s listing shows the dump' '
	tar tvf kts.tar >long 2>err &&
	test_line_count = 0 err &&
	grep "^-rw------- .* $sql$" long
'

test_expect_success 'standard input may be a regular file' '
	kt-tar -c -0 -C root -T list --stdin-member "$sql" <dump.sql >file.tar &&
	kt-tar -t <file.tar >names2 &&
	test_cmp names names2
'

test_expect_success 'in a plain sh, the list comes on descriptor 3 and the dump on stdin' '
	cat >pipeline.sh <<-EOF &&
	kt-collect -0 -C root --preset kts | {
		cat dump.sql </dev/null |
		kt-tar -c -0 -C root -T /dev/fd/3 --stdin-member "$sql"
	} 3<&0 >fd3.tar
	EOF
	if command -v dash >/dev/null; then dash pipeline.sh; else sh pipeline.sh; fi &&
	kt-tar -t <fd3.tar >names3 &&
	test_cmp names names3
'

test_expect_success 'without -T the archive holds the dump alone' '
	kt-tar -c --stdin-member db.sql <dump.sql >alone.tar &&
	kt-tar -t <alone.tar >actual &&
	echo db.sql >expect &&
	test_cmp expect actual
'

test_expect_success 'a dump cut short is refused before anything is written' '
	head -c 150 dump.sql >cut.sql &&
	test_expect_code 3 kt-tar -c -0 -C root -T list --stdin-member "$sql" \
		<cut.sql >cut.tar 2>err &&
	grep "kt-tar: refusing to archive standard input as $sql: " err &&
	test_line_count = 0 cut.tar
'

test_expect_success 'the same from a pipe' '
	cat cut.sql | test_expect_code 3 kt-tar -c -0 -C root -T list \
		--stdin-member "$sql" >cut.tar 2>err &&
	grep "refusing to archive standard input" err &&
	test_line_count = 0 cut.tar
'

test_expect_success 'a dump without its \unrestrict line is refused' '
	sed "/^.unrestrict/d" dump.sql >nokey.sql &&
	test_expect_code 3 kt-tar -c --stdin-member db.sql <nokey.sql >x.tar 2>err &&
	grep "refusing to archive" err
'

test_expect_success 'a cut gzip stream is refused too' '
	gzip -c dump.sql | head -c 60 >cut.gz &&
	test_expect_code 3 kt-tar -c --stdin-member db.sql.gz <cut.gz >x.tar 2>err &&
	grep "refusing to archive" err
'

test_expect_success 'a stream of unknown format is archived as it is' '
	# Random bytes alone start like an OpenPGP packet about one run
	# in forty (bit 7 set, tag 9 or 20) and are then rightly refused
	# as a cut message; a first byte below 0x80 starts no format the
	# checker knows.
	{ printf "\\001" && head -c 5000 /dev/urandom; } >random.bin &&
	cat random.bin | kt-tar -c --stdin-member random.bin >r.tar &&
	mkdir rout &&
	kt-tar -x -C rout <r.tar &&
	test_cmp random.bin rout/random.bin
'

test_expect_success 'an empty standard input is refused' '
	test_expect_code 1 kt-tar -c --stdin-member db.sql </dev/null >x.tar 2>err &&
	grep "refusing to archive standard input as db.sql: it is empty" err &&
	test_line_count = 0 x.tar
'

test_expect_success 'a name both in the list and as the member is refused' '
	printf "var/lib/keytrustee/.keytrustee\0var/lib/keytrustee/.keytrustee/gpg.conf\0" >dup.list &&
	test_expect_code 2 kt-tar -c -0 -C root -T dup.list \
		--stdin-member var/lib/keytrustee/.keytrustee/gpg.conf <dump.sql >x.tar 2>err &&
	grep "is in the path list and is the --stdin-member too" err
'

test_expect_success '-T - cannot go with --stdin-member' '
	test_expect_code 2 kt-tar -c -T - --stdin-member db.sql <dump.sql >x.tar 2>err &&
	grep "T must name another file" err
'

test_expect_success 'the member name must be relative and without ..' '
	test_expect_code 2 kt-tar -c --stdin-member /db.sql <dump.sql >x.tar 2>err &&
	grep "absolute path" err &&
	test_expect_code 2 kt-tar -c --stdin-member ../db.sql <dump.sql >x.tar 2>err &&
	grep "not allowed" err
'

test_expect_success PG 'a real pg_dump goes into the archive and comes back whole' '
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	kt-collect -0 -C root --preset kts | {
		pg_dump -c keytrustee </dev/null |
		kt-tar -c -0 -C root -T /dev/fd/3 --stdin-member "$sql"
	} 3<&0 >pg.tar &&
	mkdir pgout &&
	kt-tar -x -C pgout <pg.tar &&
	grep "^-- PostgreSQL database dump complete" "pgout/$sql" &&
	kt-tar -c --stdin-member again.sql <"pgout/$sql" >again.tar
'

test_done
