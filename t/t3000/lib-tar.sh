# Helpers for the kt-collect and kt-tar tests (t2xxx, t3xxx).

# make_kts_root DIR: a fake Key Trustee Server root with the files the
# seed's "tar tvf" listing shows, with their modes (0700 directories, 0600
# files, logging.conf 0644) and dates.
make_kts_root () {
	kts_conf=$1/var/lib/keytrustee/.keytrustee
	mkdir -p "$kts_conf/.ssl" "$1/var/lib/keytrustee/db" &&
	chmod 700 "$kts_conf" "$kts_conf/.ssl" &&
	for f in keytrustee.conf trustdb.gpg secring.gpg random_seed \
		pubring.gpg pubring.gpg~ gpg.conf
	do
		printf '%s of the key server\n' "$f" >"$kts_conf/$f" &&
		chmod 600 "$kts_conf/$f" || return 1
	done &&
	printf 'BEGIN PRIVATE KEY\n' >"$kts_conf/.ssl/ssl-cert-keytrustee-pk.pem" &&
	printf 'BEGIN CERTIFICATE\n' >"$kts_conf/.ssl/ssl-cert-keytrustee.pem" &&
	chmod 600 "$kts_conf/.ssl/"*.pem &&
	printf '[loggers]\nkeys=root\n' >"$kts_conf/logging.conf" &&
	chmod 644 "$kts_conf/logging.conf" &&
	printf '12345\n' >"$kts_conf/keytrustee.pid" &&
	chmod 600 "$kts_conf/keytrustee.pid" &&
	dd if=/dev/urandom of="$kts_conf/random_seed" bs=600 count=1 2>/dev/null &&
	printf 'primary_conninfo=x\n' >"$1/var/lib/keytrustee/db/recovery.conf" &&
	printf '15\n' >"$1/var/lib/keytrustee/db/PG_VERSION" &&
	chmod 700 "$1/var/lib/keytrustee/db" &&
	touch -d '2016-02-09 16:40' "$kts_conf/.ssl/"*.pem "$kts_conf/.ssl" &&
	find "$kts_conf" -maxdepth 1 -type f -exec touch -d '2016-02-09 16:43' {} + &&
	touch -d '2016-02-09 16:43' "$kts_conf"
}

# tree_state DIR: everything about the tree under DIR that a restore may
# change, one line per entry, sorted: type, mode, owner, group, mtime in
# seconds, path, link target, then the digest of every file.
tree_state () {
	(
		cd "$1" &&
		find . -printf '%y %m %U %G %Ts %p -> %l\n' | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort -k 2
	)
}

# tree_content DIR: the same without directory mtimes (which a copy made
# by another tool may not keep) and without owners.
tree_content () {
	(
		cd "$1" &&
		find . \( -type d -printf '%y %m %p\n' \) -o \
			\( -printf '%y %m %Ts %p -> %l\n' \) | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort -k 2
	)
}

# setup_sentinel: a directory beside the targets that no extraction may
# touch; check_sentinel verifies it.
setup_sentinel () {
	mkdir -p sentinel/sub &&
	printf 'do not touch\n' >sentinel/file &&
	printf 'nor this\n' >sentinel/sub/file &&
	tree_state sentinel >sentinel.state
}

check_sentinel () {
	tree_state sentinel >sentinel.now &&
	test_cmp sentinel.state sentinel.now
}

# as_nobody CMD...: run CMD as an ordinary user.  As root, as "nobody"
# through setpriv or runuser; otherwise as we are.
as_nobody () {
	if test "$(id -u)" != 0
	then
		"$@"
	elif command -v setpriv >/dev/null 2>&1
	then
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
			"$@"
	else
		runuser -u nobody -- "$@"
	fi
}

test_lazy_prereq NOBODY '
	test "$(id -u)" != 0 ||
	{ id nobody && { command -v setpriv || command -v runuser; }; }
'

# no_kt_staging DIR: no staging directory was left behind in DIR.
no_kt_staging () {
	if ls -a "$1" | grep '^\.kt-tar\.'
	then
		echo "staging directory left in $1" >&2
		return 1
	fi
	return 0
}
