#!/bin/sh
# ktrestore: the seed's "Restoring Key Trustee Server and Key Trustee KMS
# from ktbackup.sh Backups" as one command: decrypt, verify and list the
# backup, drop and re-create the keytrustee database and load the dump,
# put the files back.
#
# Everything is verified before anything is touched: kt-unseal releases
# nothing unverified, kt-tar checks the archive down to its manifest, and
# kt-pgdump-wrap --recreate swaps the database only once the dump has
# loaded.  The plaintext never lands on disk in clear: each step decrypts
# the backup again, and the dump goes to the database, never to a file.
set -u

prog=ktrestore
# @kt_sh_lib@

usage() {
	cat <<'EOF'
usage: ktrestore [-c confdir] [--database-port=port] [--kms] [--root=dir]
                 [--homedir=dir] [--passphrase-file=file] [--require-signer=fpr]...
                 [--list | --check] [-q | --quiet] [--verbose] backup
EOF
}

# Exit status: 1 failure, 2 usage, 3 the backup does not verify.

confdir= port=11381 root=/ kms= homedir= passfile= signers= mode=restore
verbosity=1

while test $# -gt 0
do
	opt=$1 val= has_val=
	case $opt in
	--) shift; break ;;
	-|[!-]*) break ;;
	esac
	shift
	case $opt in
	--*=*) val=${opt#*=}; opt=${opt%%=*}; has_val=1 ;;
	-c?*) val=${opt#-c}; opt=-c; has_val=1 ;;
	esac
	case $opt in
	-c|--confdir|--database-port|--root|--homedir|--passphrase-file|--require-signer)
		if test -z "$has_val"
		then
			test $# -ge 1 || usage_error "$opt needs a value"
			val=$1
			shift
		fi
		case $opt in
		-c|--confdir) confdir=$val ;;
		--database-port) port=$val ;;
		--root) root=$val ;;
		--homedir) homedir=$val ;;
		--passphrase-file) passfile=$val ;;
		--require-signer) signers="$signers --require-signer $(quote "$val")" ;;
		esac
		continue ;;
	esac
	test -z "$has_val" || usage_error "$opt takes no value"
	case $opt in
	--kms) kms=1 ;;
	--list|--check)
		test "$mode" = restore || test "$mode" = "${opt#--}" ||
			usage_error "--list and --check exclude each other"
		mode=${opt#--} ;;
	-q|--quiet) verbosity=0 ;;
	-v|--verbose) verbosity=2 ;;
	-h|--help) usage; exit 0 ;;
	*) usage_error "unknown option $opt" ;;
	esac
done
test $# -eq 1 || usage_error "give exactly one backup file"
backup=$1

case $confdir in
''|/*) ;;
*) usage_error "--confdir must be an absolute path: $confdir" ;;
esac
if test -n "$confdir"
then
	confdir=$(printf %s "$confdir" | sed 's://*:/:g; s:/$::')
	case /$confdir/ in
	//|*/../*|*/./*) usage_error "--confdir must name a directory below /: $confdir" ;;
	esac
fi
case $port in
''|*[!0-9]*) usage_error "--database-port must be a number: $port" ;;
esac
case $root in
'') usage_error "--root needs a directory" ;;
esac
root=${root%/}
test -d "$root/" || die "root directory $root: not found"
test -f "$backup" || die "backup $backup: no such file"
test -r "$backup" || die "backup $backup: not readable"

filter_v=-q
test "$verbosity" -ge 2 && filter_v=-v

# --- reading the backup ---------------------------------------------------

# ktbackup's backups are OpenPGP; --cleartext ones, and the seed's
# decrypted backup.tar, are tar archives, perhaps gzipped.
encrypted=1
if test "$(dd if="$backup" bs=1 skip=257 count=5 2>/dev/null)" = ustar ||
	test "$(od -An -tx1 -N2 "$backup" | tr -d ' ')" = 1f8b
then
	encrypted=
fi
test -z "$encrypted" && test -n "$signers" &&
	die "backup $backup is not encrypted, so it carries no signature to check" 3

unseal="kt-unseal $filter_v"
test -n "$homedir" && unseal="$unseal --homedir $(quote "$homedir")"
test -n "$passfile" && unseal="$unseal --passphrase-file $(quote "$passfile")"
unseal="$unseal $signers"

work=$(mktemp -d "${TMPDIR:-/tmp}/ktrestore.XXXXXX") || die "cannot make a work directory"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP

# plaintext: the backup's archive on standard output, verified:
# kt-unseal releases the plaintext only once decryption, integrity and
# signatures check out.  Its status goes to $work/unseal.rc, since a
# plain sh pipeline loses it.
plaintext() {
	if test -n "$encrypted"
	then
		eval "$unseal" <"$backup"
	else
		cat "$backup"
	fi
	echo $? >"$work/unseal.rc"
}

# verified CMD: plaintext | CMD; fails if either side failed, with 3 in
# $bad when the backup itself is at fault (cut, altered, wrongly signed).
verified() {
	rm -f "$work/unseal.rc"
	plaintext | eval "$1"
	rc=$?
	urc=$(cat "$work/unseal.rc" 2>/dev/null || echo 1)
	# When kt-unseal failed, what follows only saw an empty input.
	bad=1
	if test "$urc" -ne 0
	then
		test "$urc" -eq 3 && bad=3
		return 1
	fi
	test "$rc" -eq 3 && bad=3
	test "$rc" -eq 0
}

# kt-tar's complaints, unless kt-unseal failed and released nothing: then
# kt-tar's "empty" is no news.
tar_errors() {
	test "$urc" -ne 0 || cat "$work/err" >&2
}

# Step 1, for every mode: decrypt, verify, list.  kt-tar reads the whole
# archive and checks it down to its manifest.
narrate "decrypting and verifying $backup"
if test "$mode" = list
then
	verified "kt-tar -t -v >\"\$work/listing\" 2>\"\$work/err\"" ||
		{ tar_errors; die "backup $backup does not verify" "$bad"; }
	test "$verbosity" -ge 2 && cat "$work/err" >&2
	cat "$work/listing"
	exit 0
fi
if ! verified "kt-tar -t >\"\$work/names\" 2>\"\$work/err\""
then
	tar_errors
	die "backup $backup does not verify; nothing was changed" "$bad"
fi
if test "$verbosity" -ge 2
then
	# The seed's "tar tvf" step, for the record.
	cat "$work/err" >&2
	verified "kt-tar -t -v >&2" ||
		die "backup $backup does not verify; nothing was changed" "$bad"
fi

# Step 2: what kind of backup is it?  It must hold the configuration
# directory and nothing but it and, for a server, the dump beside it, as
# in the seed's listing (var/lib/keytrustee/kts_bak_HOST_DATE.sql).
has_dir() { grep -q -x -F -e "$1" -e "$1/" "$work/names"; }
kts_conf=var/lib/keytrustee/.keytrustee
kms_conf=var/lib/kms-keytrustee/keytrustee/.keytrustee
if test -n "$confdir"
then
	conf=${confdir#/}
elif test -n "$kms"
then
	conf=$kms_conf
elif has_dir "$kts_conf"
then
	conf=$kts_conf
elif has_dir "$kms_conf"
then
	conf=$kms_conf
	kms=1
else
	conf=$kts_conf
fi
has_dir "$conf" ||
	die "backup $backup holds no /$conf: not a backup of this kind of server (see -c and --kms)"

# Every member is the configuration directory, something under it, or
# (for a server) a .sql file beside it.
awk -v conf="$conf" -v kms="$kms" '
	{ name = $0; sub(/\/$/, "", name) }
	name == conf || index(name, conf "/") == 1 { next }
	kms == "" && index(name, parent "/") == 1 &&
	    substr(name, length(parent) + 2) ~ /^[^\/]+\.sql$/ { print name > dumps; next }
	{ print name > others }
' parent="${conf%/*}" dumps="$work/dumps" others="$work/others" "$work/names"
touch "$work/dumps" "$work/others"
if test -s "$work/others"
then
	die "backup $backup holds $(head -n 1 "$work/others"), which is no part of a backup of /$conf; nothing was changed"
fi
dump_member=
if test -z "$kms"
then
	count=$(wc -l <"$work/dumps")
	test "$count" -eq 1 ||
		die "backup $backup holds $count database dumps beside /$conf, expected one"
	dump_member=$(cat "$work/dumps")
fi

# --- the drill ----------------------------------------------------------------

if test "$mode" = check
then
	if test -n "$dump_member"
	then
		narrate "loading $dump_member into a throwaway database on port $port"
		check_v=$filter_v
		test "$verbosity" -eq 1 && check_v=
		verified "kt-tar -x --to-stdout $(quote "$dump_member") |
			kt-pgdump-wrap --check $check_v -p $port" ||
			die "the database dump in $backup does not load; nothing was changed" "$bad"
	fi
	say "backup $backup checks out: decrypted, verified${dump_member:+, and its dump loads}; nothing was changed"
	exit 0
fi

# --- restoring --------------------------------------------------------------

# The database first: kt-pgdump-wrap --recreate loads the dump into a fresh
# database and swaps it in only once it has loaded, so a database that
# cannot be restored (server down, sessions connected) changes nothing.
if test -n "$dump_member"
then
	narrate "replacing database keytrustee on port $port with $dump_member"
	db_v=$filter_v
	test "$verbosity" -eq 1 && db_v=
	verified "kt-tar -x --to-stdout $(quote "$dump_member") |
		kt-pgdump-wrap --restore --recreate $db_v -p $port keytrustee" ||
		die "restoring database keytrustee from $backup failed; nothing was changed" "$bad"
fi

# Then the files: kt-tar -x moves nothing into place before the whole
# archive has checked out.  The dump goes to the database, never onto the
# disk in clear.  As root, owners come back as the archive names them.
extract="kt-tar -x $filter_v -C $(quote "$root/")"
test "$(id -u)" -eq 0 && extract="$extract --same-owner"
# --exclude takes an fnmatch(3) pattern: quote the name's wildcards.
test -n "$dump_member" && extract="$extract --exclude $(quote "$(printf %s "$dump_member" |
	sed 's/[][*?\\]/\\&/g')")"
narrate "restoring /$conf under ${root:-/}"
if ! verified "$extract"
then
	test -n "$dump_member" &&
		die "restoring the files of $backup under ${root:-/} failed; database keytrustee WAS restored, the files are as they were" "$bad"
	die "restoring the files of $backup under ${root:-/} failed; nothing was changed" "$bad"
fi
say "restored $backup: ${root:-}/$conf${dump_member:+ and database keytrustee}"
