#!/bin/sh

test_description='ktbackup then ktrestore: a server and a KMS come back identical

The host is wiped (configuration directory removed, database dropped) or
changed after the backup; ktrestore must bring back the same files, with
the same contents and modes, and a database with the same contents.  The
restore host holds the key administrator'"'"'s secret key in a keyring of
its own.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/lib-pg.sh"
. "$TEST_DIRECTORY/t6000/lib-ktbackup.sh"

if ! test_have_prereq GPG,PG,GNUTAR
then
	skip_all='needs gpg 2.2, PostgreSQL and GNU tar'
	test_done
fi

# state ROOT CONF: what a restore must bring back, into state.ROOT.
state () {
	kt_tree "$1/$2" >"state.$1" &&
	if test "$2" = "$KTS_CONF"
	then
		pg_table_digest keytrustee >>"state.$1"
	fi
}

# no_leftovers: no cleartext dump under the roots, nothing in TMPDIR.
no_leftovers () {
	find r k -name "*.sql" >sql &&
	test_line_count = 0 sql &&
	find tmp -mindepth 1 >left &&
	test_line_count = 0 left
}

test_expect_success 'setup: keys, a restore keyring, a database, a server and a KMS' '
	gpg_setup &&
	gpg_setup_backup_key &&
	gpg_setup_second_home john &&
	gpg_copy_secret_key "$BACKUP_FPR" "$john" &&
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	kt_make_kts r &&
	kt_make_kms k &&
	mkdir tmp &&
	TMPDIR=$PWD/tmp &&
	export TMPDIR
'

test_expect_success 'a server: backup, wipe, restore, identical' '
	kt_ktbackup --root=r --gpg-recipient="John Doe" -q >backup &&
	state r "$KTS_CONF" &&
	cp state.r expect &&
	rm -rf "r/$KTS_CONF" &&
	pg_psql -d postgres -c "DROP DATABASE keytrustee" &&
	ktrestore --root=r --homedir="$john" "$(cat backup)" >out 2>err &&
	test_line_count = 0 out &&
	cat >expect.err <<-EOF &&
	kt-pgdump-wrap: database keytrustee created from the dump
	ktrestore: restored $(cat backup): r/$KTS_CONF and database keytrustee
	EOF
	test_cmp expect.err err &&
	state r "$KTS_CONF" &&
	test_cmp expect state.r &&
	test_file_mode "r/$KTS_CONF" 700 &&
	test_file_mode "r/$KTS_CONF/.ssl" 700 &&
	test_file_mode "r/$KTS_CONF/secring.gpg" 600 &&
	test_file_mode "r/$KTS_CONF/logging.conf" 644 &&
	no_leftovers
'

test_expect_success 'a server changed since the backup: restore brings it back' '
	echo changed >"r/$KTS_CONF/keytrustee.conf" &&
	chmod 644 "r/$KTS_CONF/secring.gpg" &&
	echo new >"r/$KTS_CONF/new-since-backup" &&
	pg_psql -d keytrustee -c "DELETE FROM deposits WHERE id > 100;
		UPDATE keys SET name = name || '"'-x'"'" &&
	ktrestore --root=r --homedir="$john" "$(cat backup)" 2>err &&
	grep "^kt-pgdump-wrap: database keytrustee restored; the old one kept as keytrustee_old_" err &&
	rm "r/$KTS_CONF/new-since-backup" &&
	state r "$KTS_CONF" &&
	test_cmp expect state.r &&
	no_leftovers
'

test_expect_success 'the old database is kept, with what it held' '
	pg_psql -At -d postgres -c "SELECT datname FROM pg_database
		WHERE datname LIKE '"'keytrustee_old_%'"'" >old &&
	test_line_count = 1 old &&
	pg_psql -At -d "$(cat old)" -c "SELECT count(*) FROM deposits" >actual &&
	echo 100 >count &&
	test_cmp count actual &&
	pg_psql -d postgres -c "DROP DATABASE $(cat old)"
'

test_expect_success 'a KMS: backup, wipe, restore (found to be a KMS backup), identical' '
	kt_ktbackup --root=k --gpg-recipient="John Doe" -q >backup.kms &&
	state k "$KMS_CONF" &&
	cp state.k expect.kms &&
	rm -rf "k/$KMS_CONF" &&
	ktrestore --root=k --homedir="$john" "$(cat backup.kms)" 2>err &&
	echo "ktrestore: restored $(cat backup.kms): k/$KMS_CONF" >expect.err &&
	test_cmp expect.err err &&
	state k "$KMS_CONF" &&
	test_cmp expect.kms state.k &&
	no_leftovers
'

test_expect_success 'a KMS with --kms, over a changed configuration' '
	echo changed >"k/$KMS_CONF/keytrustee.conf" &&
	ktrestore --kms --root=k --homedir="$john" -q "$(cat backup.kms)" >out 2>err &&
	test_line_count = 0 out &&
	test_line_count = 0 err &&
	state k "$KMS_CONF" &&
	test_cmp expect.kms state.k
'

test_expect_success 'a KMS backup is not taken for a server backup' '
	state k "$KMS_CONF" &&
	test_expect_code 1 ktrestore --root=k --homedir="$john" \
		-c /var/lib/keytrustee/.keytrustee "$(cat backup.kms)" 2>err &&
	grep "^ktrestore: backup .* holds no /var/lib/keytrustee/.keytrustee: not a backup of this kind of server" err &&
	cp state.k before &&
	state k "$KMS_CONF" &&
	test_cmp before state.k
'

test_expect_success '--list shows the backup as tar tvf does, and changes nothing' '
	state r "$KTS_CONF" &&
	cp state.r before &&
	ktrestore --list --homedir="$john" "$(cat backup)" >actual 2>err &&
	test_line_count = 0 err &&
	GNUPGHOME=$john gpg --batch -q -d "$(cat backup)" | tar tvf - >expect.list &&
	test_cmp expect.list actual &&
	grep " var/lib/keytrustee/kts_bak_.*\.sql$" actual &&
	state r "$KTS_CONF" &&
	test_cmp before state.r
'

test_expect_success '--check: a full drill that changes nothing' '
	pg_psql -At -d postgres -c "SELECT datname FROM pg_database ORDER BY 1" >dbs.before &&
	ktrestore --check --homedir="$john" "$(cat backup)" >out 2>err &&
	grep "^complete: 3 tables, 602 rows, 3 sequences, 1 large object$" out &&
	grep "^ktrestore: backup .* checks out: decrypted, verified, and its dump loads; nothing was changed$" err &&
	state r "$KTS_CONF" &&
	test_cmp before state.r &&
	pg_psql -At -d postgres -c "SELECT datname FROM pg_database ORDER BY 1" >dbs.after &&
	test_cmp dbs.before dbs.after &&
	no_leftovers
'

test_expect_success '--check of a KMS backup verifies it' '
	ktrestore --check --homedir="$john" "$(cat backup.kms)" 2>err &&
	grep "checks out: decrypted, verified; nothing was changed" err
'

test_expect_success '--verbose narrates each step and lists the backup' '
	ktrestore --verbose --root=r --homedir="$john" "$(cat backup)" >out 2>err &&
	grep "^ktrestore: decrypting and verifying" err &&
	grep "^kt-tar: manifest checked" err &&
	grep "^-rw------- .* var/lib/keytrustee/.keytrustee/secring.gpg$" err &&
	grep "^ktrestore: replacing database keytrustee on port 11381 with var/lib/keytrustee/kts_bak_" err &&
	grep "^ktrestore: restoring /$KTS_CONF under r" err &&
	state r "$KTS_CONF" &&
	test_cmp expect state.r
'

test_expect_success '--sign-with, then --require-signer: the right signer restores' '
	SIGNER_FPR=$(gpg_make_key "Backup Host" kts01@example.com) &&
	gpg_copy_pubkey "$SIGNER_FPR" "$john" &&
	kt_ktbackup --root=r --gpg-recipient="John Doe" \
		--sign-with="$SIGNER_FPR" -q >signed &&
	pg_psql -d keytrustee -c "DELETE FROM deposits" &&
	ktrestore --root=r --homedir="$john" --require-signer="$SIGNER_FPR" \
		-q "$(cat signed)" &&
	state r "$KTS_CONF" &&
	test_cmp expect state.r
'

test_expect_success '--require-signer: any of several will do' '
	ktrestore --root=r --homedir="$john" --require-signer="$ESCROW_FPR" \
		--require-signer "$SIGNER_FPR" -q "$(cat signed)"
'

test_expect_success '--passphrase-file: a recipient key protected by a passphrase' '
	PASS_FPR=$(gpg_make_key_with_passphrase "Jane Admin" jane@example.com "s3cret phrase") &&
	echo "s3cret phrase" >pass && chmod 600 pass &&
	echo "wrong phrase" >wrong && chmod 600 wrong &&
	kt_ktbackup --root=r --gpg-recipient=jane@example.com -q >jane &&
	echo changed >"r/$KTS_CONF/keytrustee.conf" &&
	kt_tree r >tree.before &&
	test_expect_code 1 ktrestore --root=r --passphrase-file=wrong "$(cat jane)" 2>err &&
	grep "^kt-unseal: " err &&
	grep "^ktrestore: backup .* does not verify; nothing was changed$" err &&
	kt_tree r >tree.after &&
	test_cmp tree.before tree.after &&
	ktrestore --root=r --passphrase-file pass -q "$(cat jane)" &&
	state r "$KTS_CONF" &&
	test_cmp expect state.r
'

test_expect_success 'package-based: -c and --database-port, as the backup was made' '
	mkdir -p p/etc/kts p/srv/backups &&
	cp -a "r/$KTS_CONF" p/etc/kts/ &&
	kt_ktbackup --root=p -c /etc/kts/.keytrustee --database-port=11381 \
		--output=/srv/backups --gpg-recipient="John Doe" -q >pbackup &&
	kt_tree p/etc/kts/.keytrustee >expect.p &&
	pg_table_digest keytrustee >expect.db &&
	rm -rf p/etc/kts/.keytrustee &&
	pg_psql -d postgres -c "DROP DATABASE keytrustee" &&
	ktrestore --root=p -c /etc/kts/.keytrustee --database-port=11381 \
		--homedir="$john" -q "$(cat pbackup)" &&
	kt_tree p/etc/kts/.keytrustee >actual &&
	test_cmp expect.p actual &&
	pg_table_digest keytrustee >actual &&
	test_cmp expect.db actual
'

test_expect_success 'a wrong --database-port: nothing changed, the port named' '
	state r "$KTS_CONF" &&
	cp state.r before &&
	echo changed >"r/$KTS_CONF/keytrustee.conf" &&
	kt_tree r >tree.before &&
	test_expect_code 1 ktrestore --root=r --homedir="$john" \
		--database-port=12345 "$(cat backup)" 2>err &&
	grep "^kt-pgdump-wrap: cannot connect to PostgreSQL on .* port 12345" err &&
	tail -n 1 err | grep "^ktrestore: restoring database keytrustee from .* failed; nothing was changed$" &&
	kt_tree r >tree.after &&
	test_cmp tree.before tree.after
'

test_expect_success 'usage errors' '
	test_expect_code 2 ktrestore 2>err &&
	grep "^ktrestore: give exactly one backup file$" err &&
	grep "^usage: ktrestore" err &&
	test_expect_code 2 ktrestore --list --check "$(cat backup)" 2>err &&
	grep -e "--list and --check exclude each other" err &&
	test_expect_code 2 ktrestore --database-port=x "$(cat backup)" 2>err &&
	grep -e "--database-port must be a number: x" err &&
	test_expect_code 2 ktrestore -c etc "$(cat backup)" 2>err &&
	grep -e "--confdir must be an absolute path: etc" err &&
	test_expect_code 1 ktrestore nosuchfile 2>err &&
	grep "^ktrestore: backup nosuchfile: no such file$" err &&
	ktrestore --help >out &&
	grep "^usage: ktrestore" out
'

test_done
