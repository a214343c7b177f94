#!/bin/sh

test_description='kt-roll stores a stream under the seed'"'"'s name and keeps the last N'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/t4000/lib-roll.sh"

NAME_RE='kts_bak_kts01_example_com_[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]_[0-9][0-9]-[0-9][0-9]-[0-9][0-9]'

test_expect_success 'setup: a tar, a gzip, a dump' '
	mkdir root &&
	roll_make_payload root 64 &&
	tar -C root -cf x.tar var &&
	gzip -c x.tar >x.tar.gz &&
	roll_fake_dump dump.sql
'

test_expect_success GPG 'setup: OpenPGP messages, binary and armored' '
	gpg_setup &&
	gpg_setup_backup_key &&
	gpg --batch -q --trust-model always -r "$BACKUP_FPR" -e -o x.tar.gpg x.tar &&
	gpg --batch -q --trust-model always -r "$BACKUP_FPR" -e -a -o x.tar.asc x.tar
'

test_expect_success 'stores the stream under the seed'"'"'s name and prints its path' '
	mkdir out &&
	kt-roll -o out --host kts01.example.com <x.tar >path 2>err &&
	test_line_count = 1 path &&
	grep "^out/$NAME_RE\.tar\$" path &&
	cmp x.tar "$(cat path)" &&
	test_file_mode "$(cat path)" 600 &&
	test_line_count = 0 err &&
	roll_no_temps out
'

test_expect_success 'the stored file is 0600 whatever the umask' '
	mkdir umask &&
	(umask 000 && kt-roll -o umask --host h <x.tar >path) &&
	test_file_mode "$(cat path)" 600
'

test_expect_success 'the host defaults to the local host name, dots turned into underscores' '
	mkdir local &&
	kt-roll -o local <x.tar >path &&
	host=$(hostname | tr . _) &&
	case $(cat path) in
	local/kts_bak_${host}_2*.tar) : ;;
	*) echo "unexpected: $(cat path), host $host"; false ;;
	esac
'

test_expect_success FAULTS 'the time in the name is UTC, whatever TZ says' '
	mkdir utc &&
	TZ=America/New_York with_faults KT_FAULT_TIME=$SEED_TIME \
		kt-roll -o utc --host kts01.example.com <x.tar >path &&
	echo utc/kts_bak_kts01_example_com_$SEED_STAMP.tar >expect &&
	test_cmp expect path
'

test_expect_success 'a trailing slash on the directory is accepted' '
	mkdir slash &&
	kt-roll -o slash/ --host h <x.tar >path &&
	grep "^slash/kts_bak_h_2.*\.tar\$" path
'

test_expect_success '-q prints the path alone, -v explains each step on stderr' '
	mkdir quiet verbose &&
	kt-roll -q -o quiet --host h <x.tar >path 2>err &&
	test_line_count = 1 path &&
	test_line_count = 0 err &&
	kt-roll -v -o verbose --host h --keep 3 <x.tar >path 2>err &&
	test_line_count = 1 path &&
	grep "^kt-roll: the stream is a complete .*tar.* of $(wc -c <x.tar) bytes" err &&
	grep "^kt-roll: stored $(cat path)" err
'

test_expect_success 'the suffix follows the stream: .sql for a dump, .tar.gz for a gzipped tar' '
	mkdir suffix &&
	kt-roll -o suffix --host h <dump.sql >path &&
	grep "\.sql\$" path &&
	cmp dump.sql "$(cat path)" &&
	kt-roll -o suffix --host h <x.tar.gz >path &&
	grep "\.tar\.gz\$" path &&
	cmp x.tar.gz "$(cat path)"
'

test_expect_success GPG 'an OpenPGP message is .gpg, an armored one .asc' '
	kt-roll -o suffix --host h <x.tar.gpg >path &&
	grep "_2[-0-9_]*\.gpg\$" path &&
	cmp x.tar.gpg "$(cat path)" &&
	kt-roll -o suffix --host h <x.tar.asc >path &&
	grep "_2[-0-9_]*\.asc\$" path &&
	cmp x.tar.asc "$(cat path)"
'

test_expect_success GPG '--suffix .tar.gpg names an encrypted tarball as ktbackup does' '
	mkdir ktb &&
	kt-roll -q -o ktb --host kts01.example.com --suffix .tar.gpg \
		<x.tar.gpg >path &&
	grep "^ktb/$NAME_RE\.tar\.gpg\$" path &&
	gpg --batch -q -d "$(cat path)" >plain &&
	cmp x.tar plain
'

test_expect_success '--suffix that does not fit the stream is refused: cleartext is never named .gpg' '
	mkdir misfit &&
	test_expect_code 1 kt-roll -o misfit --suffix .tar.gpg <x.tar >stdout 2>err &&
	grep "^kt-roll: --suffix .tar.gpg does not fit the stream, a tar" err &&
	test_line_count = 0 stdout &&
	ls -A misfit >list &&
	test_line_count = 0 list
'

test_expect_success '--prefix and --host make the name' '
	mkdir named &&
	kt-roll -o named --prefix kms_bak --host kms02.example.com <x.tar >path &&
	grep "^named/kms_bak_kms02_example_com_2.*\.tar\$" path
'

for bad in "" ".x" "-x" "a/b" "a b" "x\$y"
do
	test_expect_success "--prefix '$bad' is a usage error" '
		test_expect_code 2 kt-roll -o out --prefix "$bad" <x.tar 2>err &&
		grep "^kt-roll: --prefix" err
	'
done

for bad in "" "a/b" "a b" "../x" "$(printf "%070d" 0)"
do
	test_expect_success "--host '$bad' is a usage error" '
		test_expect_code 2 kt-roll -o out --host "$bad" <x.tar 2>err &&
		grep "^kt-roll: host name" err
	'
done

for bad in "tar" ".t/r" ".t r" "..$(printf "%040d" 0)"
do
	test_expect_success "--suffix '$bad' is a usage error" '
		test_expect_code 2 kt-roll -o out --suffix "$bad" <x.tar 2>err &&
		grep "^kt-roll: --suffix" err
	'
done

test_expect_success 'setup: a directory with backups and other things' '
	mkdir keep &&
	roll_state out >out.before
'

for bad in 0 -1 1x x "" " 3" 3.5 +3 100001 99999999999999999999999
do
	test_expect_success "--keep '$bad' is refused, nothing touched" '
		test_expect_code 2 kt-roll -o out --keep "$bad" <x.tar >stdout 2>err &&
		grep "^kt-roll: --keep" err &&
		test_line_count = 0 stdout &&
		roll_state out >out.after &&
		test_cmp out.before out.after &&
		roll_no_temps out
	'
done

test_expect_success '--keep 0 says why' '
	test_expect_code 2 kt-roll -o out --keep 0 <x.tar 2>err &&
	grep "would remove every backup" err
'

# The seed: "if you have 10 backups, specifying --roll=10 creates a new
# backup (11 backups total) and then delete the oldest backup".
test_expect_success 'setup: ten backups of the seed'"'"'s host' '
	mkdir seed &&
	for m in 10 11 12 13 14 15 16 17 18 19
	do
		roll_plant seed kts_bak_kts01_example_com_2016-02-10_11-$m-37.tar ||
		return 1
	done &&
	ls seed >ten &&
	test_line_count = 10 ten
'

test_expect_success '--keep 10 with ten backups: an eleventh, then the oldest goes' '
	kt-roll -o seed --host kts01.example.com --keep 10 <x.tar >path &&
	ls seed >after &&
	test_line_count = 10 after &&
	sed 1d ten >expect &&
	basename "$(cat path)" >>expect &&
	sort expect >expect.sorted &&
	test_cmp expect.sorted after
'

test_expect_success '--keep 10 again: still ten, the next oldest went' '
	kt-roll -o seed --host kts01.example.com --keep 10 <x.tar >path2 &&
	ls seed >after2 &&
	test_line_count = 10 after2 &&
	! grep "_11-11-37" after2 &&
	grep "_11-12-37" after2 &&
	test_path_is_file "$(cat path)" &&
	test_path_is_file "$(cat path2)"
'

test_expect_success '--keep 1 keeps only the new one' '
	kt-roll -o seed --host kts01.example.com --keep 1 <x.tar >path &&
	ls seed >after &&
	basename "$(cat path)" >expect &&
	test_cmp expect after
'

test_expect_success 'without --keep nothing is removed' '
	mkdir nokeep &&
	for m in 10 11 12
	do
		roll_plant nokeep kts_bak_h_2016-02-10_11-$m-37.tar || return 1
	done &&
	kt-roll -o nokeep --host h <x.tar >path &&
	ls nokeep >list &&
	test_line_count = 4 list
'

test_expect_success 'setup: a directory shared with things that are not this series' '
	mkdir shared outside &&
	echo precious >outside/sentinel &&
	roll_plant shared kts_bak_h_2016-02-10_11-10-37.tar &&
	roll_plant shared kts_bak_h_2016-02-10_11-11-37.tar &&
	roll_plant shared kts_bak_other_2016-02-10_11-10-37.tar &&
	roll_plant shared kts_bak_h_2016-02-10_11-10-37.tar.gpg &&
	roll_plant shared kts_bak_h_2016-02-10_11-10-37.sql &&
	roll_plant shared kms_bak_h_2016-02-10_11-10-37.tar &&
	roll_plant shared kts_bak_h_2016-02-30_11-10-37.tar &&
	roll_plant shared kts_bak_h_2016-02-10_25-10-37.tar &&
	roll_plant shared kts_bak_h_2016-02-10_11-10-37.tar.bak &&
	roll_plant shared kts_bak_h_2016-02-10_11-10-37-01.tar &&
	roll_plant shared kts_bak_h_2016-2-10_11-10-37.tar &&
	roll_plant shared xkts_bak_h_2016-02-10_11-10-37.tar &&
	roll_plant shared notes.txt &&
	roll_plant shared .hidden &&
	ln -s ../outside/sentinel shared/kts_bak_h_2016-02-10_11-09-37.tar &&
	ln -s ../outside shared/kts_bak_h_2016-02-10_11-08-37.tar &&
	mkdir shared/kts_bak_h_2016-02-10_11-07-37.tar &&
	roll_plant shared/kts_bak_h_2016-02-10_11-07-37.tar inside &&
	mkfifo shared/kts_bak_h_2016-02-10_11-06-37.tar &&
	roll_state shared >shared.before &&
	roll_state outside >outside.before
'

test_expect_success '--keep 1 removes only this series: other names, links, directories, FIFOs untouched' '
	kt-roll -o shared --host h --keep 1 <x.tar >path 2>err &&
	roll_state shared >shared.after &&
	grep -v "^kts_bak_h_2016-02-10_11-1[01]-37.tar file" shared.before >expect &&
	echo "$(basename "$(cat path)") file $(wc -c <x.tar) 600 $(sha256sum <x.tar | cut -d" " -f1)" >>expect &&
	LC_ALL=C sort expect >expect.sorted &&
	test_cmp expect.sorted shared.after &&
	roll_state outside >outside.after &&
	test_cmp outside.before outside.after &&
	grep "ignoring shared/kts_bak_h_2016-02-10_11-09-37.tar: not a regular file but a symbolic link" err &&
	grep "ignoring shared/kts_bak_h_2016-02-10_11-07-37.tar: not a regular file" err
'

test_expect_success '-q silences the warnings about things that are not backups' '
	kt-roll -q -o shared --host h --keep 1 <x.tar >path 2>err &&
	test_line_count = 0 err
'

test_expect_success FAULTS 'two runs in the same second: the second gets -1, the third -2' '
	mkdir same &&
	for i in 1 2 3
	do
		with_faults KT_FAULT_TIME=$SEED_TIME \
			kt-roll -o same --host kts01.example.com <x.tar >>paths ||
		return 1
	done &&
	cat >expect <<-EOF &&
	same/kts_bak_kts01_example_com_$SEED_STAMP.tar
	same/kts_bak_kts01_example_com_$SEED_STAMP-1.tar
	same/kts_bak_kts01_example_com_$SEED_STAMP-2.tar
	EOF
	test_cmp expect paths &&
	for f in $(cat paths)
	do
		cmp x.tar $f || return 1
	done
'

test_expect_success FAULTS 'same-second backups are ordered by their counter' '
	with_faults KT_FAULT_TIME=$SEED_TIME \
		kt-roll -o same --host kts01.example.com --keep 2 <x.tar >path &&
	ls same >actual &&
	cat >expect <<-EOF &&
	kts_bak_kts01_example_com_$SEED_STAMP-2.tar
	kts_bak_kts01_example_com_$SEED_STAMP-3.tar
	EOF
	test_cmp expect actual
'

test_expect_success FAULTS 'the new backup is kept even when the clock went back' '
	mkdir back &&
	roll_plant back kts_bak_h_2030-01-01_00-00-00.tar &&
	roll_plant back kts_bak_h_2030-01-02_00-00-00.tar &&
	roll_plant back kts_bak_h_2030-01-03_00-00-00.tar &&
	with_faults KT_FAULT_TIME=$SEED_TIME \
		kt-roll -o back --host h --keep 2 <x.tar >path 2>err &&
	ls back >actual &&
	cat >expect <<-EOF &&
	kts_bak_h_$SEED_STAMP.tar
	kts_bak_h_2030-01-03_00-00-00.tar
	EOF
	test_cmp expect actual &&
	grep "has the clock gone back" err
'

test_expect_success FAULTS '--list: newest first, with size and age' '
	mkdir lst &&
	roll_plant lst kts_bak_a_2016-02-10_11-14-37.tar.gpg 12345 &&
	roll_plant lst kts_bak_a_2016-02-10_11-14-37-1.tar.gpg 1 &&
	roll_plant lst kts_bak_b_2016-02-10_10-14-00.sql &&
	roll_plant lst kts_bak_a_2016-02-08_11-14-37.tar.gpg &&
	roll_plant lst kms_bak_a_2016-02-10_11-14-37.tar.gpg &&
	roll_plant lst other &&
	with_faults KT_FAULT_TIME=$((SEED_TIME + 45)) \
		kt-roll --list -o lst >actual &&
	cat >expect <<-\EOF &&
	           2      45s lst/kts_bak_a_2016-02-10_11-14-37-1.tar.gpg
	           6      45s lst/kts_bak_a_2016-02-10_11-14-37.tar.gpg
	          42    1h01m lst/kts_bak_b_2016-02-10_10-14-00.sql
	          46    2d00h lst/kts_bak_a_2016-02-08_11-14-37.tar.gpg
	EOF
	test_cmp expect actual
'

test_expect_success FAULTS '--list --host and --suffix narrow the listing' '
	with_faults KT_FAULT_TIME=$SEED_TIME \
		kt-roll --list -o lst --host b >actual &&
	test_line_count = 1 actual &&
	grep "kts_bak_b_2016-02-10_10-14-00.sql\$" actual &&
	with_faults KT_FAULT_TIME=$SEED_TIME \
		kt-roll --list -o lst --suffix .tar.gpg --prefix kms_bak >actual &&
	test_line_count = 1 actual &&
	grep " 0s lst/kms_bak_a_2016-02-10_11-14-37.tar.gpg\$" actual
'

test_expect_success FAULTS '--max-age: 0 when the newest is recent enough' '
	with_faults KT_FAULT_TIME=$((SEED_TIME + 3600)) \
		kt-roll --list -q -o lst --max-age 2h >stdout 2>err &&
	test_line_count = 0 stdout &&
	test_line_count = 0 err &&
	with_faults KT_FAULT_TIME=$((SEED_TIME + 3600)) \
		kt-roll --list -q -o lst --max-age 1h
'

test_expect_success FAULTS '--max-age: exit 4 when the newest is older' '
	test_expect_code 4 with_faults KT_FAULT_TIME=$((SEED_TIME + 26 * 3600 + 1)) \
		kt-roll --list -o lst --max-age 26h >stdout 2>err &&
	test_line_count = 4 stdout &&
	grep "^kt-roll: newest backup lst/kts_bak_a_2016-02-10_11-14-37-1.tar.gpg is 1d02h old, older than 93600s" err
'

test_expect_success '--max-age: exit 4 when there is no backup at all' '
	mkdir empty &&
	test_expect_code 4 kt-roll --list -o empty --max-age 30m >stdout 2>err &&
	test_line_count = 0 stdout &&
	grep "^kt-roll: no backup named kts_bak_HOST_DATE in empty" err
'

for bad in "" 0s 45 m 4x5m -1h 1.5h 99999999999999d
do
	test_expect_success "--max-age '$bad' is a usage error" '
		test_expect_code 2 kt-roll --list -o lst --max-age "$bad" 2>err &&
		grep "^kt-roll: --max-age" err
	'
done

test_expect_success 'usage: --help on stdout, bad usage on stderr with 2' '
	kt-roll --help >stdout 2>err &&
	grep "^usage: kt-roll" stdout &&
	test_line_count = 0 err &&
	test_expect_code 2 kt-roll --bogus >stdout 2>err &&
	grep "^usage: kt-roll" err &&
	test_expect_code 2 kt-roll <x.tar 2>err &&
	grep "no backup directory" err &&
	test_expect_code 2 kt-roll -o out extra <x.tar 2>err &&
	test_expect_code 2 kt-roll -o out --max-age 1h <x.tar 2>err &&
	grep "^kt-roll: --max-age goes with --list" err &&
	test_expect_code 2 kt-roll --list -o out --keep 3 2>err &&
	grep "^kt-roll: --list takes no --keep" err
'

test_done
