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

# unframe LIST: the paths of a list kt-collect wrote, without its begin
# and end records (newline-separated; unframe_z for -0).
unframe () {
	sed -e '1d' -e '$d' "$1"
}
unframe_z () {
	sed -z -e '1d' -e '$d' "$1"
}

# wait_for CMD...: poll (up to about 20 s) until CMD succeeds.  For
# waiting on a state another process reaches, never as a delay.
wait_for () {
	wait_for_i_=0
	until "$@"
	do
		wait_for_i_=$((wait_for_i_ + 1))
		test $wait_for_i_ -le 400 || return 1
		sleep 0.05
	done
}

# has_written PIDFILE BYTES: the process whose pid is in PIDFILE has
# passed at least BYTES bytes to write(2) (its wchar in /proc).
has_written () {
	test -s "$1" &&
	has_written_n_=$(sed -n 's/^wchar: //p' "/proc/$(cat "$1")/io" 2>/dev/null) &&
	test "${has_written_n_:-0}" -ge "$2"
}

# no_archive ARCHIVE: nothing readers would take: no kt-tar manifest at
# its end, and kt-tar -t says it is cut (exit 3).  An empty file counts:
# nothing at all was written.
no_archive () {
	test ! -s "$1" ||
	{
		! tail -c 20480 "$1" | tr -d "\0" | grep -q "kt-tar manifest" &&
		test_expect_code 3 kt-tar -t <"$1" >/dev/null 2>no_archive.err
	}
}

# has_read PIDFILE BYTES: the process whose pid is in PIDFILE has read at
# least BYTES bytes with read(2) (its rchar in /proc).
has_read () {
	test -s "$1" &&
	has_read_n_=$(sed -n 's/^rchar: //p' "/proc/$(cat "$1")/io" 2>/dev/null) &&
	test "${has_read_n_:-0}" -ge "$2"
}
