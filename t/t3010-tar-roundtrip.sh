#!/bin/sh

test_description='kt-tar round trips a Key Trustee tree exactly, and exchanges archives with GNU tar, bsdtar and Python'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

test_expect_success 'setup: a fake Key Trustee Server root, archived by kt-tar' '
	make_kts_root root &&
	ln -s ../.keytrustee/keytrustee.conf root/var/lib/keytrustee/.keytrustee/.ssl/conf &&
	ln root/var/lib/keytrustee/.keytrustee/pubring.gpg root/var/lib/keytrustee/.keytrustee/pubring.hard &&
	touch -h -d "2016-02-09 16:41" root/var/lib/keytrustee/.keytrustee/.ssl/conf &&
	touch -d "2016-02-09 16:40" root/var/lib/keytrustee/.keytrustee/.ssl &&
	mkdir -p root/etc/navencrypt/keys && chmod 700 root/etc/navencrypt/keys &&
	echo key >root/etc/navencrypt/keys/k && chmod 400 root/etc/navencrypt/keys/k &&
	kt-collect -0 -C root --preset kts --preset navencrypt --preset passive-db >list &&
	kt-tar -c -0 -C root <list >kts.tar &&
	tree_content root/var/lib/keytrustee >expect.kt &&
	tree_content root/etc/navencrypt >expect.nav
'

test_expect_success 'kt-tar -x restores files, links, modes and times exactly' '
	mkdir out &&
	kt-tar -x -C out <kts.tar &&
	tree_content out/var/lib/keytrustee >actual &&
	grep -v recovery.conf expect.kt >expect &&
	test_cmp expect actual &&
	tree_content out/etc/navencrypt >actual &&
	test_cmp expect.nav actual &&
	no_kt_staging out
'

test_expect_success 'directory times are restored too' '
	test "$(stat -c %Y out/var/lib/keytrustee/.keytrustee/.ssl)" = \
		"$(stat -c %Y root/var/lib/keytrustee/.keytrustee/.ssl)" &&
	test "$(stat -c %Y out/var/lib/keytrustee/.keytrustee)" = \
		"$(stat -c %Y root/var/lib/keytrustee/.keytrustee)"
'

test_expect_success 'hard links come back as hard links' '
	test "$(stat -c %i out/var/lib/keytrustee/.keytrustee/pubring.gpg)" = \
		"$(stat -c %i out/var/lib/keytrustee/.keytrustee/pubring.hard)"
'

test_expect_success 'modes 0600, 0700 and 0400 come back exactly under umask 022' '
	mkdir out022 &&
	(umask 022 && kt-tar -x -C out022 <kts.tar) &&
	test_file_mode out022/var/lib/keytrustee/.keytrustee 700 &&
	test_file_mode out022/var/lib/keytrustee/.keytrustee/secring.gpg 600 &&
	test_file_mode out022/var/lib/keytrustee/.keytrustee/.ssl 700 &&
	test_file_mode out022/var/lib/keytrustee/.keytrustee/logging.conf 644 &&
	test_file_mode out022/etc/navencrypt/keys/k 400
'

test_expect_success 'and under umask 077 a 0644 file stays 0644' '
	mkdir out077 &&
	(umask 077 && kt-tar -x -C out077 <kts.tar) &&
	test_file_mode out077/var/lib/keytrustee/.keytrustee/logging.conf 644
'

test_expect_success 'files belong to the user running kt-tar -x' '
	test "$(stat -c %u out/var/lib/keytrustee/.keytrustee/secring.gpg)" = "$(id -u)"
'

test_expect_success ROOT 'as root, --same-owner restores owners by name' '
	chown -R nobody:nogroup root/var/lib/keytrustee/.keytrustee &&
	kt-collect -0 -C root --preset kts >kts.list &&
	kt-tar -c -0 -C root <kts.list >owned.tar &&
	mkdir plain same &&
	kt-tar -x -C plain <owned.tar &&
	test "$(stat -c %U:%G plain/var/lib/keytrustee/.keytrustee/secring.gpg)" = root:root &&
	kt-tar -x --same-owner -C same <owned.tar &&
	test "$(stat -c %U:%G same/var/lib/keytrustee/.keytrustee/secring.gpg)" = nobody:nogroup &&
	test "$(stat -c %U:%G same/var/lib/keytrustee/.keytrustee)" = nobody:nogroup &&
	test "$(stat -c %U same/var/lib/keytrustee/.keytrustee/.ssl/conf)" = nobody
'

test_expect_success ROOT,PYTHON3 '--same-owner goes by name, --numeric-owner by id' '
	python3 -c "
import io, tarfile
with tarfile.open(\"ids.tar\", \"w\", format=tarfile.PAX_FORMAT) as t:
    for name, uname, uid in ((\"byname\", \"nobody\", 4242), (\"unknown\", \"no-such-user-here\", 4343)):
        i = tarfile.TarInfo(name); i.size = 2; i.mode = 0o600
        i.uname = uname; i.uid = uid; i.gname = \"nogroup\"; i.gid = 4444
        t.addfile(i, io.BytesIO(b\"x\\n\"))
" &&
	mkdir byname byid &&
	kt-tar -x --same-owner -C byname <ids.tar &&
	test "$(stat -c %u:%G byname/byname)" = "$(id -u nobody):nogroup" &&
	test "$(stat -c %u byname/unknown)" = 4343 &&
	kt-tar -x --numeric-owner -C byid <ids.tar &&
	test "$(stat -c %u:%g byid/byname)" = 4242:4444
'

test_expect_success GNUTAR 'an archive made by GNU tar is extracted by kt-tar' '
	tar cf gnu.tar -C root var/lib/keytrustee etc/navencrypt &&
	mkdir fromgnu &&
	kt-tar -x -v -C fromgnu <gnu.tar >names 2>err &&
	grep "no manifest checked" err &&
	grep -x "var/lib/keytrustee/.keytrustee/secring.gpg" names &&
	tree_content fromgnu/var/lib/keytrustee >actual &&
	test_cmp expect.kt actual
'

test_expect_success GNUTAR 'a GNU-format archive with long names, from GNU tar' '
	long=$(printf "long-directory-name-%.0s" 1 2 3 4 5 6) &&
	mkdir -p "deep/$long/$long" &&
	echo deep >"deep/$long/$long/$long.conf" &&
	tar --format=gnu -cf long.tar deep &&
	mkdir fromlong &&
	kt-tar -x -C fromlong <long.tar &&
	test_cmp "deep/$long/$long/$long.conf" "fromlong/deep/$long/$long/$long.conf" &&
	kt-tar -c -C . <<-EOF >klong.tar &&
	deep/$long/$long/$long.conf
	EOF
	tar tf klong.tar >actual 2>err &&
	test_line_count = 0 err &&
	echo "deep/$long/$long/$long.conf" >expect &&
	test_cmp expect actual
'

test_expect_success BSDTAR 'an archive made by bsdtar is extracted by kt-tar' '
	bsdtar cf bsd.tar -C root var/lib/keytrustee &&
	mkdir frombsd &&
	kt-tar -x -C frombsd <bsd.tar &&
	tree_content frombsd/var/lib/keytrustee >actual &&
	test_cmp expect.kt actual
'

test_expect_success PYTHON3 'archives made by Python tarfile, pax and GNU formats' '
	for fmt in PAX_FORMAT GNU_FORMAT USTAR_FORMAT
	do
		python3 -c "
import tarfile, sys
with tarfile.open(\"py.tar\", \"w\", format=tarfile.$fmt) as t:
    t.add(\"root/etc/navencrypt\", arcname=\"etc/navencrypt\")
" &&
		rm -rf frompy && mkdir frompy &&
		kt-tar -x -C frompy <py.tar &&
		tree_content frompy/etc/navencrypt >actual &&
		test_cmp expect.nav actual || return 1
	done
'

test_expect_success 'a gzip-compressed archive is recognised by -x' '
	kt-tar -c -0 -z -C root <list >kts.tar.gz &&
	mkdir fromgz &&
	kt-tar -x -C fromgz <kts.tar.gz &&
	tree_content fromgz/etc/navencrypt >actual &&
	test_cmp expect.nav actual
'

test_expect_success GNUTAR 'GNU tar restores a kt-tar archive the seed'\''s way, tar xvf -C' '
	mkdir seed &&
	tar xvf kts.tar -C seed >names 2>err &&
	test_line_count = 0 err &&
	tree_content seed/etc/navencrypt >actual &&
	test_cmp expect.nav actual &&
	(cd seed && find . | sort) >all &&
	(cd out && find . | sort) >expect.all &&
	test_cmp expect.all all
'

test_done
