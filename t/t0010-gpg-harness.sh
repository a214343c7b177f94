#!/bin/sh

test_description='lib-gpg.sh: throwaway GnuPG homes and keys

The keys made here are the ones kt-seal and kt-unseal tests rely on, so
check that gpg itself sees them as intended.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"

if ! test_have_prereq GPG
then
	skip_all='gpg 2.2 or later not found'
	test_done
fi

# key_validity FPR: field 2 of the "pub" line (u, e, r, ...).
key_validity () {
	gpg --batch --with-colons --list-keys "$1" |
	awk -F: '$1 == "pub" { print $2; exit }'
}

# key_caps FPR: field 12 of the "pub" line, the capabilities of the key
# as a whole (capitals) and of the primary key (small letters).
key_caps () {
	gpg --batch --with-colons --list-keys "$1" |
	awk -F: '$1 == "pub" { print $12; exit }'
}

test_expect_success 'gpg_setup makes a private, short home' '
	gpg_setup &&
	case $GNUPGHOME in /tmp/ktg.??????) ;; *) false ;; esac &&
	test_file_mode "$GNUPGHOME" 700 &&
	socket=$(gpgconf --list-dirs agent-socket) &&
	test ${#socket} -lt 100
'

test_expect_success 'gpg_setup_backup_key makes the seed recipient' '
	gpg_setup_backup_key &&
	echo "$BACKUP_FPR" | grep -E "^[0-9A-F]{40}$" &&
	echo "$ESCROW_FPR" | grep -E "^[0-9A-F]{40}$" &&
	test "$(gpg_fpr john.doe@example.com)" = "$BACKUP_FPR" &&
	test "$(gpg_fpr "John Doe")" = "$BACKUP_FPR" &&
	test "$(gpg_fpr escrow@example.com)" = "$ESCROW_FPR" &&
	gpg --batch --with-colons --list-keys "$BACKUP_FPR" >list &&
	grep "^uid:u:.*:John Doe (Key Trustee Backup) <john.doe@example.com>:" list &&
	grep "^sub:u:255:18:.*:e:" list &&
	test "$(key_caps "$BACKUP_FPR")" = scESC &&
	gpg --batch --list-secret-keys "$BACKUP_FPR"
'

test_expect_success 'encrypt to John Doe and decrypt with the gpg CLI' '
	printf "secret key material\n" >plain &&
	gpg --batch --yes -e -r john.doe@example.com -o msg.gpg plain &&
	test_file_not_empty msg.gpg &&
	! grep "secret key material" msg.gpg &&
	gpg --batch -d -o round msg.gpg &&
	test_cmp plain round
'

test_expect_success 'the escrow officer cannot read what John Doe can' '
	gpg --batch --yes -e -r "$ESCROW_FPR" -o escrow.gpg plain &&
	gpg --batch --with-colons --list-packets escrow.gpg >packets 2>&1 &&
	escrow_sub=$(gpg --batch --with-colons --list-keys "$ESCROW_FPR" |
		awk -F: "\$1 == \"sub\" { print \$5; exit }") &&
	grep "keyid $escrow_sub" packets
'

test_expect_success 'a passphrase-protected key needs its passphrase' '
	PASS_FPR=$(gpg_make_key_with_passphrase Locked locked@example.com "open sesame") &&
	gpg --batch --yes -e -r "$PASS_FPR" -o locked.gpg plain &&
	test_must_fail gpg --batch -d locked.gpg &&
	test_must_fail gpg --batch --pinentry-mode loopback \
		--passphrase wrong -d locked.gpg &&
	gpg --batch --pinentry-mode loopback --passphrase "open sesame" \
		-d -o unlocked locked.gpg &&
	test_cmp plain unlocked &&
	# No cache: the wrong passphrase still fails after the right one.
	test_must_fail gpg --batch --pinentry-mode loopback \
		--passphrase wrong -d locked.gpg
'

test_expect_success 'an expired key is listed as expired and refused' '
	OLD_FPR=$(gpg_make_expired_key Old old@example.com) &&
	test "$(key_validity "$OLD_FPR")" = e &&
	test_must_fail gpg --batch --yes -e -r old@example.com -o x.gpg plain
'

test_expect_success 'a revoked key is listed as revoked and refused' '
	REV_FPR=$(gpg_make_revoked_key Gone gone@example.com) &&
	test "$(key_validity "$REV_FPR")" = r &&
	test_must_fail gpg --batch --yes -e -r gone@example.com -o x.gpg plain
'

test_expect_success 'a sign-only key has no encryption capability' '
	SIGN_FPR=$(gpg_make_sign_only_key Signer signer@example.com) &&
	test "$(key_validity "$SIGN_FPR")" = u &&
	test "$(key_caps "$SIGN_FPR")" = scSC &&
	! gpg --batch --with-colons --list-keys "$SIGN_FPR" | grep "^sub:" &&
	test_must_fail gpg --batch --yes -e -r signer@example.com -o x.gpg plain
'

test_expect_success 'a second home: public key only on the backup host' '
	gpg_setup_second_home SERVER_HOME &&
	test "$SERVER_HOME" != "$GNUPGHOME" &&
	gpg_copy_pubkey "$BACKUP_FPR" "$SERVER_HOME" &&
	GNUPGHOME=$SERVER_HOME gpg --batch -e -r "John Doe" -o server.gpg plain &&
	test_must_fail env GNUPGHOME="$SERVER_HOME" gpg --batch -d server.gpg &&
	gpg --batch -d -o from-server server.gpg &&
	test_cmp plain from-server
'

test_expect_success 'a second home: secret key on the restore host' '
	gpg_setup_second_home RESTORE_HOME &&
	gpg_copy_secret_key "$BACKUP_FPR" "$RESTORE_HOME" &&
	gpg --homedir "$RESTORE_HOME" --batch -d -o restored server.gpg &&
	test_cmp plain restored &&
	gpg_copy_secret_key "$PASS_FPR" "$RESTORE_HOME" &&
	test_must_fail gpg --homedir "$RESTORE_HOME" --batch \
		--pinentry-mode loopback --passphrase "open says me" \
		-d -o wrong locked.gpg &&
	gpg --homedir "$RESTORE_HOME" --batch --pinentry-mode loopback \
		--passphrase "open sesame" -d -o restored2 locked.gpg &&
	test_cmp plain restored2
'

# A nested script that starts an agent in each of two homes, then ends:
# no agent of either may be left.
test_expect_success 'no gpg-agent outlives the test script' '
	cat >sub.sh <<-\EOF &&
	#!/bin/sh
	test_description="nested gpg"
	. "$top_srcdir/t/test-lib.sh"
	. "$top_srcdir/t/lib-gpg.sh"
	test_expect_success "two homes, two agents" "
		gpg_setup &&
		gpg_setup_second_home OTHER &&
		gpg_make_key A a@example.com &&
		gpg-connect-agent --homedir \"\$OTHER\" /bye &&
		echo \"\$GNUPGHOME\" >\"\$OUTER/homes\" &&
		echo \"\$OTHER\" >>\"\$OUTER/homes\" &&
		pgrep -f \"gpg-agent --homedir \$GNUPGHOME\" &&
		pgrep -f \"gpg-agent --homedir \$OTHER\"
	"
	test_done
	EOF
	OUTER=$TRASH_DIRECTORY KT_TEST_VERBOSE= sh sub.sh >sub.out 2>&1 ||
	{ cat sub.out; false; } &&
	test_line_count = 2 homes &&
	for home in $(cat homes)
	do
		test_path_is_missing "$home" &&
		# gpgconf --kill does not wait for the agent to go.
		n=0 &&
		while pgrep -f "gpg-agent --homedir $home" && test $n -lt 50
		do
			sleep 0.1 && n=$((n + 1))
		done &&
		! pgrep -f "gpg-agent --homedir $home" ||
		echo "$home" >>survivors
	done &&
	test_path_is_missing survivors
'

test_done
	EOF
	sed "s|^\. \"\$TEST_DIRECTORY/lib-gpg.sh\"|. \"\$TEST_DIRECTORY/test-lib.sh\" \&\& &|" sub.sh >sub2.sh &&
	OUTER=$TRASH_DIRECTORY KT_TEST_VERBOSE= sh sub2.sh >sub.out 2>&1 ||
	{ cat sub.out; false; } &&
	test_line_count_ 2 homes &&
	while read home
	do
		test_path_is_missing "$home" &&
		# The agent notices at once but takes a moment to go.
		n=0 &&
		while pgrep -f "gpg-agent --homedir $home" && test $n -lt 50
		do
			sleep 0.1 && n=$((n + 1))
		done &&
		! pgrep -f "gpg-agent --homedir $home" || return 1
	done <homes
'

test_done
