# lib-gpg.sh: throwaway GnuPG homes and keys for tests.  Source it after
# test-lib.sh and call gpg_setup from a test body (not from a subshell:
# the cleanup it registers must reach test_done).
#
# Keys are ECC (ed25519 primary for sign/cert, cv25519 subkey to encrypt)
# because RSA key generation takes seconds; ECC takes milliseconds.

# Set by gpg_setup_backup_key: the seed document's backup recipient and a
# second, unrelated recipient.
BACKUP_UID='John Doe (Key Trustee Backup) <john.doe@example.com>'
BACKUP_FPR=
ESCROW_UID='Escrow Officer <escrow@example.com>'
ESCROW_FPR=
export BACKUP_UID ESCROW_UID

# gpg_new_home_: make a home and set gpg_home_ to it (no subshell, so
# the cleanup registered here survives).
gpg_new_home_ () {
	# Short path: the agent's socket lives in it (108-byte limit).
	gpg_home_=$(mktemp -d /tmp/ktg.XXXXXX) || return 1
	test_atexit "gpgconf --homedir '$gpg_home_' --kill all; rm -rf '$gpg_home_'"
	chmod 700 "$gpg_home_" &&
	# No passphrase cache, or a wrong passphrase would be accepted
	# after a right one; no pinentry, so nothing ever prompts on a
	# terminal: passphrases come by loopback or not at all.  The
	# lowest s2k count: a calibrated one costs a second per unlock.
	cat >"$gpg_home_/gpg-agent.conf" <<-\EOF &&
	allow-loopback-pinentry
	default-cache-ttl 0
	max-cache-ttl 0
	pinentry-program /bin/false
	s2k-count 65536
	EOF
	cat >"$gpg_home_/gpg.conf" <<-\EOF
	no-greeting
	no-auto-key-locate
	no-auto-key-retrieve
	EOF
}

# gpg_setup: a fresh GNUPGHOME for this test script.
gpg_setup () {
	gpg_new_home_ || return 1
	GNUPGHOME=$gpg_home_
	export GNUPGHOME
}

# gpg_setup_second_home VAR: another independent home (a "restore host"
# keyring, say) whose path goes into VAR.  Use it as
# GNUPGHOME=$VAR gpg ...  or  gpg --homedir "$VAR" ...
gpg_setup_second_home () {
	gpg_new_home_ || return 1
	eval "$1=\$gpg_home_"
}

# gpg_genkey_ UID PASSPHRASE EXPIRE SUBKEY [GPG-OPTIONS...]: prints the
# new primary key's fingerprint.  SUBKEY is "encr" or "none".
gpg_genkey_ () {
	gpg_uid_=$1 gpg_pass_=$2 gpg_expire_=$3 gpg_sub_=$4
	shift 4
	# The fingerprint comes from the status line, not from a listing
	# that might match several keys with the same user ID.
	gpg_fpr_=$(gpg --batch --pinentry-mode loopback \
		--passphrase "$gpg_pass_" --status-fd 1 "$@" \
		--quick-gen-key "$gpg_uid_" ed25519 cert,sign "$gpg_expire_" |
		sed -n 's/^\[GNUPG:\] KEY_CREATED [BP] \([0-9A-F]*\).*/\1/p')
	test -n "$gpg_fpr_" || return 1
	if test "$gpg_sub_" = encr
	then
		gpg --batch --pinentry-mode loopback --passphrase "$gpg_pass_" \
			"$@" --quick-add-key "$gpg_fpr_" cv25519 encr "$gpg_expire_" ||
		return 1
	fi
	echo "$gpg_fpr_"
}

gpg_uid_of_ () {
	echo "$1${3:+ ($3)} <$2>"
}

# gpg_make_key NAME EMAIL [COMMENT]: a key pair without passphrase.
gpg_make_key () {
	gpg_genkey_ "$(gpg_uid_of_ "$@")" '' never encr
}

# gpg_make_key_with_passphrase NAME EMAIL PASSPHRASE
gpg_make_key_with_passphrase () {
	gpg_genkey_ "$(gpg_uid_of_ "$1" "$2")" "$3" never encr
}

# gpg_make_sign_only_key NAME EMAIL: no encryption subkey at all.
gpg_make_sign_only_key () {
	gpg_genkey_ "$(gpg_uid_of_ "$1" "$2")" '' never none
}

# gpg_make_expired_key NAME EMAIL: gpg refuses an expiry in the past, so
# make the key in 2020 with one day to live.
gpg_make_expired_key () {
	gpg_genkey_ "$(gpg_uid_of_ "$1" "$2")" '' 1d encr \
		--faked-system-time '20200101T000000!'
}

# gpg_make_revoked_key NAME EMAIL: gpg stores a revocation certificate
# for every key it makes; importing it revokes the key.  The certificate
# is guarded against accidental import by a leading ":".
gpg_make_revoked_key () {
	gpg_rfpr_=$(gpg_genkey_ "$(gpg_uid_of_ "$1" "$2")" '' never encr) &&
	sed 's/^://' "$GNUPGHOME/openpgp-revocs.d/$gpg_rfpr_.rev" |
	gpg --batch --import &&
	echo "$gpg_rfpr_"
}

# gpg_fpr UID: fingerprint of the first key matching UID.
gpg_fpr () {
	gpg --batch --with-colons --list-keys -- "$1" |
	awk -F: '$1 == "pub" { p = 1 } p && $1 == "fpr" { print $10; exit }'
}

# gpg_trust FPR: ultimate ownertrust, so "-r FPR" needs no --trust-model.
gpg_trust () {
	echo "$1:6:" | gpg --batch --import-ownertrust
}

# gpg_copy_pubkey FPR HOME: import a public key into another home and
# trust it there, as the seed's "import into the service keyring" step.
gpg_copy_pubkey () {
	gpg --batch --export "$1" | gpg --homedir "$2" --batch --import &&
	echo "$1:6:" | gpg --homedir "$2" --batch --import-ownertrust
}

# gpg_copy_secret_key FPR HOME: the key pair, for a restore host that
# holds the recipient's secret key.  The agent's key files are copied as
# they are (protected by the same passphrase, if any): an export and
# import of a protected key goes through gpg-agent's conversion from the
# OpenPGP format, which now and then ended in "Bad passphrase" for the
# right one on a loaded machine.
gpg_copy_secret_key () {
	gpg_copy_pubkey "$1" "$2" &&
	mkdir -p "$2/private-keys-v1.d" &&
	chmod 700 "$2/private-keys-v1.d" &&
	gpg_grips_=$(gpg --batch --with-colons --with-keygrip \
		--list-secret-keys -- "$1" | awk -F: '$1 == "grp" { print $10 }') &&
	test -n "$gpg_grips_" &&
	for gpg_grip_ in $gpg_grips_
	do
		cp "$GNUPGHOME/private-keys-v1.d/$gpg_grip_.key" \
			"$2/private-keys-v1.d/" || return 1
	done
}

# gpg_setup_backup_key: the recipients of the seed's examples.
gpg_setup_backup_key () {
	BACKUP_FPR=$(gpg_make_key 'John Doe' john.doe@example.com \
		'Key Trustee Backup') &&
	ESCROW_FPR=$(gpg_make_key 'Escrow Officer' escrow@example.com) &&
	export BACKUP_FPR ESCROW_FPR
}
