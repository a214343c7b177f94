#!/bin/sh

test_description='ktbackup of a Key Trustee Server, option by option

Each backup is checked with stock tools only, as the seed restores it:
gpg -d, tar, psql.  The configuration directory must come back identical
(contents and modes) and the dump must load into a database identical to
the one dumped.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/lib-pg.sh"
. "$TEST_DIRECTORY/t6000/lib-ktbackup.sh"

if ! test_have_prereq GPG,PG,GNUTAR
then
	skip_all='needs gpg 2.2, PostgreSQL and GNU tar'
	test_done
fi

STAMP='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]_[0-9][0-9]-[0-9][0-9]-[0-9][0-9]'

test_expect_success 'setup: keys, a keytrustee database, a parcel-based server' '
	gpg_setup &&
	gpg_setup_backup_key &&
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	kt_make_kts r &&
	mkdir tmp &&
	TMPDIR=$PWD/tmp &&
	export TMPDIR
'

test_expect_success 'ktbackup --gpg-recipient: the seed'"'"'s first example' '
	kt_tree r >before &&
	kt_ktbackup --root=r --gpg-recipient="John Doe" >out 2>err &&
	test_line_count = 0 out &&
	kt_backups r/var/lib/keytrustee >backups &&
	test_line_count = 1 backups &&
	grep "^kts_bak_${HOST}_$STAMP\.tar\.gpg$" backups &&
	b=r/var/lib/keytrustee/$(cat backups) &&
	echo "ktbackup: backup stored in $PWD/$b" >expect &&
	test_cmp expect err &&
	test_file_mode "$b" 600 &&
	kt_check_backup "$b" r &&
	echo "$b" >first
'

test_expect_success 'the backup changed nothing else and left nothing behind' '
	kt_tree r | grep -v "^var/lib/keytrustee/kts_bak_" >after &&
	test_cmp before after &&
	find tmp -mindepth 1 >left &&
	test_line_count = 0 left
'

test_expect_success 'its tar listing is the seed'"'"'s: the directory, then the dump beside it' '
	gpg --batch -q -d "$(cat first)" >backup.tar &&
	tar tvf backup.tar >listing 2>err &&
	test_line_count = 0 err &&
	awk "{ print \$1, \$NF }" listing >actual &&
	sql=$(sed -n "s/.* \(var\/lib\/keytrustee\/kts_bak_.*\.sql\)$/\1/p" listing) &&
	cat >expect <<-EOF &&
	drwx------ var/lib/keytrustee/.keytrustee/
	drwx------ var/lib/keytrustee/.keytrustee/.ssl/
	-rw------- var/lib/keytrustee/.keytrustee/.ssl/ssl-cert-keytrustee-pk.pem
	-rw------- var/lib/keytrustee/.keytrustee/.ssl/ssl-cert-keytrustee.pem
	-rw------- var/lib/keytrustee/.keytrustee/gpg.conf
	-rw------- var/lib/keytrustee/.keytrustee/keytrustee.conf
	-rw-r--r-- var/lib/keytrustee/.keytrustee/logging.conf
	-rw------- var/lib/keytrustee/.keytrustee/pubring.gpg
	-rw------- var/lib/keytrustee/.keytrustee/pubring.gpg~
	-rw------- var/lib/keytrustee/.keytrustee/random_seed
	-rw------- var/lib/keytrustee/.keytrustee/secring.gpg
	-rw------- var/lib/keytrustee/.keytrustee/trustdb.gpg
	-rw------- $sql
	EOF
	test_cmp expect actual &&
	owner=$(id -un)/$(id -gn) &&
	awk "{ print \$2 }" listing | sort -u >actual &&
	echo "$owner" >expect &&
	test_cmp expect actual
'

test_expect_success '-q prints the path of the backup and nothing else' '
	kt_ktbackup --root=r --gpg-recipient="John Doe" -q >out 2>err &&
	test_line_count = 0 err &&
	test_line_count = 1 out &&
	b=$(cat out) &&
	case $b in
	"$PWD/r/var/lib/keytrustee/kts_bak_$HOST"_*.tar.gpg) ;;
	*) false ;;
	esac &&
	test_path_is_file "$b" &&
	kt_check_backup "$b" r
'

test_expect_success '--quiet is -q' '
	kt_ktbackup --root=r --gpg-recipient="John Doe" --quiet >out 2>err &&
	test_line_count = 0 err &&
	test_path_is_file "$(cat out)"
'

test_expect_success '--verbose narrates each step' '
	kt_ktbackup --root=r --gpg-recipient="John Doe" --verbose >out 2>err &&
	test_line_count = 0 out &&
	grep "^ktbackup: archiving $PWD/r/var/lib/keytrustee/.keytrustee and a dump of database keytrustee on port 11381 as var/lib/keytrustee/kts_bak_" err &&
	grep "^ktbackup: encrypting it to 1 recipient(s), storing it in $PWD/r/var/lib/keytrustee" err &&
	grep "^kt-pgdump-wrap: dumped database keytrustee" err &&
	grep "^kt-seal: encrypting to John Doe: $BACKUP_FPR" err &&
	grep "^var/lib/keytrustee/.keytrustee/secring.gpg$" err &&
	grep "^ktbackup: backup stored in $PWD/r/var/lib/keytrustee/kts_bak_" err
'

test_expect_success '--output=DIR stores the backup there, under --root' '
	kt_ktbackup --root=r --gpg-recipient="John Doe" --output=/tmp/backups -q >out &&
	kt_backups r/tmp/backups >backups &&
	test_line_count = 1 backups &&
	echo "$PWD/r/tmp/backups/$(cat backups)" >expect &&
	test_cmp expect out &&
	kt_check_backup "$(cat out)" r
'

test_expect_success '--root=DIR given with a trailing slash, or absolute' '
	kt_ktbackup --root=r/ --gpg-recipient="John Doe" --output=/tmp/backups -q >out &&
	kt_ktbackup --root="$PWD/r" --gpg-recipient="John Doe" --output /tmp/backups -q >>out &&
	test_line_count = 2 out &&
	! grep -v "^$PWD/r/tmp/backups/kts_bak_" out
'

test_expect_success 'several --gpg-recipient: each key alone decrypts the backup' '
	gpg_setup_second_home john &&
	gpg_copy_secret_key "$BACKUP_FPR" "$john" &&
	gpg_setup_second_home escrow &&
	gpg_copy_secret_key "$ESCROW_FPR" "$escrow" &&
	kt_ktbackup --root=r --gpg-recipient="John Doe" \
		--gpg-recipient=escrow@example.com -q >out &&
	GNUPGHOME=$john gpg --batch -q -d "$(cat out)" >john.tar &&
	GNUPGHOME=$escrow gpg --batch -q -d "$(cat out)" >escrow.tar &&
	tar tf john.tar >john.list &&
	tar tf escrow.tar >escrow.list &&
	test_cmp john.list escrow.list &&
	grep "^var/lib/keytrustee/.keytrustee/secring.gpg$" john.list &&
	kt_check_backup "$(cat out)" r
'

test_expect_success '--homedir: the service account'"'"'s keyring elsewhere' '
	gpg_setup_second_home service &&
	gpg_copy_pubkey "$BACKUP_FPR" "$service" &&
	gpg_setup_second_home empty &&
	GNUPGHOME=$empty kt_ktbackup --root=r --homedir="$service" \
		--gpg-recipient=john.doe@example.com -q >out &&
	kt_check_backup "$(cat out)" r &&
	test_expect_code 1 env GNUPGHOME="$empty" ktbackup --allow-root \
		--root=r --gpg-recipient=john.doe@example.com 2>err &&
	grep "^kt-seal: no public key for john.doe@example.com in $empty" err
'

test_expect_success '--sign-with: the backup carries the signer'"'"'s signature' '
	SIGNER_FPR=$(gpg_make_key "Backup Host" kts01@example.com) &&
	kt_ktbackup --root=r --gpg-recipient="John Doe" \
		--sign-with="$SIGNER_FPR" -q >out &&
	kt-unseal --require-signer "$SIGNER_FPR" <"$(cat out)" | kt-tar -t >names &&
	grep "^var/lib/keytrustee/.keytrustee/secring.gpg$" names &&
	test_expect_code 3 kt-unseal --require-signer "$ESCROW_FPR" \
		<"$(cat out)" >plain 2>err &&
	test_line_count = 0 plain &&
	kt_check_backup "$(cat out)" r
'

test_expect_success '--sign-with a key without its secret part: nothing stored' '
	kt_tree r >before &&
	test_must_fail kt_ktbackup --root=r --gpg-recipient="John Doe" \
		--sign-with=nobody@example.com >out 2>err &&
	grep "^kt-seal: .*nobody@example.com" err &&
	grep "^ktbackup: backup failed; $PWD/r/var/lib/keytrustee is as it was$" err &&
	kt_tree r >after &&
	test_cmp before after
'

test_expect_success '--cleartext: an unencrypted tarball, and a warning' '
	kt_ktbackup --root=r --cleartext --output=/tmp/backups -q >out 2>err &&
	cat >expect <<-\EOF &&
	ktbackup: WARNING: --cleartext writes the private keys and the database unencrypted; do not use it in production
	EOF
	test_cmp expect err &&
	case $(cat out) in
	"$PWD/r/tmp/backups/kts_bak_$HOST"_*[0-9].tar) ;;
	*) false ;;
	esac &&
	test_file_mode "$(cat out)" 600 &&
	kt_check_backup "$(cat out)" r
'

test_expect_success '--roll=n keeps the last n: --roll=10 with ten backups there' '
	mkdir -p r/srv/roll &&
	for d in 01 02 03 04 05 06 07 08 09 10
	do
		echo old >r/srv/roll/kts_bak_${HOST}_2016-02-$d\_11-14-37.tar.gpg || return 1
	done &&
	echo other >r/srv/roll/kts_bak_otherhost_2016-02-01_11-14-37.tar.gpg &&
	echo mine >r/srv/roll/notes.txt &&
	kt_ktbackup --root=r --gpg-recipient="John Doe" --output=/srv/roll \
		--roll=10 -q >out &&
	ls r/srv/roll >actual &&
	new=$(basename "$(cat out)") &&
	{
		for d in 02 03 04 05 06 07 08 09 10
		do
			echo kts_bak_${HOST}_2016-02-$d\_11-14-37.tar.gpg
		done &&
		echo "$new" &&
		echo kts_bak_otherhost_2016-02-01_11-14-37.tar.gpg &&
		echo notes.txt
	} | LC_ALL=C sort >expect &&
	test_cmp expect actual
'

test_expect_success '--roll=1 makes a new backup and deletes all the others' '
	kt_ktbackup --root=r --gpg-recipient="John Doe" --output=/srv/roll \
		--roll=1 -q >out &&
	ls r/srv/roll >actual &&
	{
		basename "$(cat out)" &&
		echo kts_bak_otherhost_2016-02-01_11-14-37.tar.gpg &&
		echo notes.txt
	} | LC_ALL=C sort >expect &&
	test_cmp expect actual &&
	kt_check_backup "$(cat out)" r
'

test_expect_success 'the backups of --cleartext are a series of their own' '
	kt_ktbackup --root=r --cleartext --output=/srv/roll --roll=1 -q >out 2>/dev/null &&
	kt_backups r/srv/roll >actual &&
	grep "\.tar\.gpg$" actual >gpg &&
	test_line_count = 2 gpg &&
	grep "\.tar$" actual >tar &&
	test_line_count = 1 tar
'

test_expect_success 'setup: a package-based server with its own directories' '
	mkdir -p p/etc/kts p/srv/backups &&
	cp -a r/var/lib/keytrustee/.keytrustee p/etc/kts/ &&
	test_path_is_missing p/opt
'

test_expect_success 'package-based: -c, --database-port and --output as the seed requires' '
	kt_ktbackup --root=p -c /etc/kts/.keytrustee --database-port=11381 \
		--output=/srv/backups --gpg-recipient=john.doe@example.com -q >out &&
	case $(cat out) in
	"$PWD/p/srv/backups/kts_bak_$HOST"_*.tar.gpg) ;;
	*) false ;;
	esac &&
	gpg --batch -q -d "$(cat out)" | tar tf - >names &&
	grep "^etc/kts/.keytrustee/secring.gpg$" names &&
	grep "^etc/kts/kts_bak_${HOST}_$STAMP\.sql$" names &&
	kt_tree r/var/lib/keytrustee/.keytrustee >expect &&
	rm -rf unpacked && kt_unpack "$(cat out)" unpacked &&
	kt_tree unpacked/etc/kts/.keytrustee >actual &&
	test_cmp expect actual
'

test_expect_success '--confdir=DIR and --database-port PORT, long forms' '
	kt_ktbackup --root=p --confdir=/etc/kts/.keytrustee --database-port 11381 \
		--output=/srv/backups --gpg-recipient=john.doe@example.com -q >out &&
	test_path_is_file "$(cat out)"
'

test_expect_success '--database-port: no server there, nothing stored, the port named' '
	kt_tree p >before &&
	test_expect_code 1 kt_ktbackup --root=p -c /etc/kts/.keytrustee \
		--database-port=12345 --output=/srv/backups \
		--gpg-recipient=john.doe@example.com -q >out 2>err &&
	test_line_count = 0 out &&
	head -n 1 err | grep "^kt-pgdump-wrap: cannot connect to PostgreSQL on .* port 12345" &&
	tail -n 1 err | grep "^ktbackup: backup failed; $PWD/p/srv/backups is as it was$" &&
	kt_tree p >after &&
	test_cmp before after
'

test_expect_success 'a database that is down: nothing stored, no cleartext anywhere' '
	kt_tree r >before &&
	pg_stop &&
	test_when_finished "pg_start" &&
	test_expect_code 1 kt_ktbackup --root=r --gpg-recipient="John Doe" 2>err &&
	grep "^kt-pgdump-wrap: " err &&
	kt_tree r >after &&
	test_cmp before after &&
	find tmp -mindepth 1 >left &&
	test_line_count = 0 left
'

test_expect_success NOT_ROOT 'an unreadable file in the configuration directory: nothing stored' '
	kt_tree r >before &&
	chmod 000 r/var/lib/keytrustee/.keytrustee/secring.gpg &&
	test_when_finished "chmod 600 r/var/lib/keytrustee/.keytrustee/secring.gpg" &&
	test_expect_code 1 kt_ktbackup --root=r --gpg-recipient="John Doe" 2>err &&
	grep "secring.gpg" err &&
	chmod 600 r/var/lib/keytrustee/.keytrustee/secring.gpg &&
	kt_tree r >after &&
	test_cmp before after
'

test_done
