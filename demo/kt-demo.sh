#!/bin/sh
# The quick start's demo: a sample Key Trustee Server in a temporary root,
# backed up with ktbackup, wiped, and brought back with ktrestore, with a
# proof that the files and the database are what they were.
#
#   sh demo/kt-demo.sh BUILD-DIR
#
# Everything lives under one temporary directory; the GnuPG agents and the
# PostgreSQL server it starts are stopped and the directory removed on
# every exit, failure and ^C included.
set -eu

build=${1:?usage: kt-demo.sh BUILD-DIR}
build=$(cd "$build" && pwd)
PATH=$build/bin:$PATH
# Debian keeps the PostgreSQL server programs out of PATH.
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
test -n "$pgbin" && PATH=$PATH:$pgbin
export PATH
umask 077
LC_ALL=C
export LC_ALL

step=0
say() {
	step=$((step + 1))
	printf '\n== %d. %s\n' "$step" "$*"
}
note() { printf '   %s\n' "$*"; }
# run CMD...: show CMD as it would be typed, then run it.
run() {
	printf '$'
	for a
	do
		case $a in
		*[!A-Za-z0-9_./=:@%+-]*) printf " '%s'" "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
	printf '\n'
	"$@"
}

# As root, PostgreSQL must run as an ordinary user: nobody, as the tests
# do; ktbackup, which refuses root, needs --allow-root.
me=$(id -u)
pg_owner=
allow_root=
if test "$me" -eq 0
then
	pg_owner=nobody
	allow_root=--allow-root
fi
as_pg_owner() {
	if test -z "$pg_owner"
	then
		"$@"
	elif command -v runuser >/dev/null
	then
		runuser -u "$pg_owner" -- "$@"
	else
		setpriv --reuid="$pg_owner" --regid="$(id -g "$pg_owner")" \
			--clear-groups "$@"
	fi
}

# A short path: gpg-agent and PostgreSQL put their sockets in it.
work=$(mktemp -d /tmp/ktdemo.XXXXXX)
chmod 755 "$work"
root=$work/root
conf=$root/var/lib/keytrustee/.keytrustee
admin=$work/admin		# the key administrator's keyring
service=$work/service		# the keytrustee account's keyring
pgdir=$work/pg
homes="$admin $service $work/server-key"

cleanup() {
	trap - EXIT INT TERM HUP
	set +e
	if test -f "$pgdir/data/postmaster.pid"
	then
		as_pg_owner pg_ctl -D "$pgdir/data" -m immediate -w -s stop >/dev/null 2>&1
	fi
	for h in $homes
	do
		test -d "$h" && gpgconf --homedir "$h" --kill all 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "interrupted: cleaning up" >&2; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
failed() { echo "kt-demo: $*" >&2; exit 1; }

newhome() {
	mkdir -m 700 "$1"
	printf 'allow-loopback-pinentry\n' >"$1/gpg-agent.conf"
}
genkey() {	# HOME UID
	gpg --homedir "$1" --batch --quiet --pinentry-mode loopback \
		--passphrase '' --quick-gen-key "$2" ed25519 sign,cert never
	fpr=$(gpg --homedir "$1" --batch --with-colons --list-keys "$2" 2>/dev/null |
		awk -F: '$1 == "fpr" { print $10; exit }')
	gpg --homedir "$1" --batch --quiet --pinentry-mode loopback \
		--passphrase '' --quick-add-key "$fpr" cv25519 encr never 2>/dev/null
}

# checksums: the proof.  Every file of the configuration directory with
# its mode and SHA-256, and every table of the database with its row
# count and the SHA-256 of its rows in a fixed order.
checksums() {
	(cd "$root" && find var/lib/keytrustee/.keytrustee -printf '%M %p\n' |
		sort -k 2 | while read -r mode path
		do
			if test -f "$path"
			then
				printf '%s %s %s\n' "$mode" \
					"$(sha256sum <"$path" | cut -c 1-16)" "$path"
			else
				printf '%s %16s %s\n' "$mode" - "$path"
			fi
		done)
	for t in keys deposits
	do
		psql -X -q -At -F ' ' -d keytrustee -c "SELECT '$t', count(*),
			substr(encode(sha256(convert_to(coalesce(string_agg(r::text,
			E'\n' ORDER BY r::text), ''), 'UTF8')), 'hex'), 1, 16)
			FROM $t AS r"
	done
}

cat <<EOF
kt-tools demo: back up a Key Trustee Server with ktbackup, lose it, and
bring it back with ktrestore.  Everything happens under $work
and is removed at the end.
EOF

say "the key administrator's backup key, John Doe (gpg --gen-key)"
newhome "$admin"
genkey "$admin" 'John Doe (Key Trustee Backup) <john.doe@example.com>'
gpg --homedir "$admin" --list-keys 'John Doe' 2>/dev/null | sed 's/^/   /'

say "a sample Key Trustee Server under $root"
note "its configuration directory, with the server's own GnuPG keyring and TLS keys:"
mkdir -p "$conf/.ssl" "$root/var/lib/keytrustee/logs" "$root/opt/cloudera/parcels/KEYTRUSTEE_SERVER"
chmod 700 "$conf" "$conf/.ssl"
newhome "$work/server-key"
genkey "$work/server-key" 'Key Trustee Server (kts01.example.com) <keytrustee@kts01.example.com>'
gpg --homedir "$work/server-key" --batch --export >"$conf/pubring.gpg"
gpg --homedir "$work/server-key" --batch --pinentry-mode loopback --passphrase '' \
	--export-secret-keys >"$conf/secring.gpg"
cp "$conf/pubring.gpg" "$conf/pubring.gpg~"
cp "$work/server-key/trustdb.gpg" "$conf/trustdb.gpg"
head -c 600 /dev/urandom >"$conf/random_seed"
printf 'no-greeting\nno-auto-key-retrieve\n' >"$conf/gpg.conf"
printf '[keytrustee]\nhostname = kts01.example.com\ndb_port = 11381\n' >"$conf/keytrustee.conf"
printf '[loggers]\nkeys = root\n[logger_root]\nlevel = INFO\n' >"$conf/logging.conf"
if command -v openssl >/dev/null
then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 365 -subj /CN=kts01.example.com \
		-keyout "$conf/.ssl/ssl-cert-keytrustee-pk.pem" \
		-out "$conf/.ssl/ssl-cert-keytrustee.pem" 2>/dev/null
else
	note "(openssl is not installed: the TLS files are random stand-ins)"
	{ echo '-----BEGIN PRIVATE KEY-----'; head -c 1200 /dev/urandom | base64
	  echo '-----END PRIVATE KEY-----'; } >"$conf/.ssl/ssl-cert-keytrustee-pk.pem"
	{ echo '-----BEGIN CERTIFICATE-----'; head -c 900 /dev/urandom | base64
	  echo '-----END CERTIFICATE-----'; } >"$conf/.ssl/ssl-cert-keytrustee.pem"
fi
chmod 600 "$conf"/* "$conf"/.ssl/* "$conf/pubring.gpg~"
chmod 644 "$conf/logging.conf"
(cd "$root" && ls -lAR var/lib/keytrustee/.keytrustee | sed 's/^/   /')

say "its database: a throwaway PostgreSQL cluster, port 11381, database keytrustee"
mkdir "$pgdir"
test -z "$pg_owner" || chown "$pg_owner" "$pgdir"
(cd "$pgdir" && as_pg_owner initdb -D "$pgdir/data" -U keytrustee \
	--auth=trust -E UTF8 --no-sync >"$pgdir/initdb.log" 2>&1) ||
	{ cat "$pgdir/initdb.log" >&2; failed "initdb failed"; }
cat >>"$pgdir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$pgdir'
port = 11381
fsync = off
EOF
(cd "$pgdir" && as_pg_owner pg_ctl -D "$pgdir/data" -l "$pgdir/log" -w -s start) ||
	{ cat "$pgdir/log" >&2; failed "PostgreSQL did not start"; }
# The server listens on a private socket, not where libpq looks by
# default; its superuser is keytrustee, as on a Key Trustee Server.
PGHOST=$pgdir PGPORT=11381 PGUSER=keytrustee
export PGHOST PGPORT PGUSER
psql -X -q -d postgres -c 'CREATE DATABASE keytrustee'
psql -X -q -v ON_ERROR_STOP=1 -d keytrustee <<'EOF'
CREATE TABLE keys (
	id serial PRIMARY KEY,
	name text NOT NULL UNIQUE,
	material bytea NOT NULL,
	created timestamptz NOT NULL
);
CREATE TABLE deposits (
	id serial PRIMARY KEY,
	key_id integer NOT NULL REFERENCES keys (id),
	owner text NOT NULL,
	deposit text NOT NULL
);
INSERT INTO keys (name, material, created)
SELECT 'hdfs-zone-key-' || g,
	decode(md5(random()::text) || md5(random()::text), 'hex'),
	timestamptz '2016-02-10 11:14:37+00' + g * interval '1 hour'
FROM generate_series(1, 200) AS g;
INSERT INTO deposits (key_id, owner, deposit)
SELECT 1 + g % 200, 'client-' || g % 12 || '.example.com',
	'-----BEGIN PGP MESSAGE-----' || E'\n' ||
	encode(decode(repeat(md5(random()::text), 8), 'hex'), 'base64') ||
	E'\n-----END PGP MESSAGE-----'
FROM generate_series(1, 1000) AS g;
EOF
psql -X -d keytrustee -c 'SELECT (SELECT count(*) FROM keys) AS keys,
	(SELECT count(*) FROM deposits) AS deposits' | sed 's/^/   /'

say "John Doe's public key into the service account's keyring"
note "(the procedure's: sudo -u keytrustee gpg --import /path/to/johndoe.pub)"
gpg --homedir "$admin" --batch --export --armor 'John Doe' >"$work/johndoe.pub"
newhome "$service"
run gpg --homedir "$service" --batch --quiet --import "$work/johndoe.pub"
echo "$(gpg --homedir "$admin" --batch --with-colons --list-keys 'John Doe' 2>/dev/null |
	awk -F: '$1 == "fpr" { print $10; exit }'):6:" |
	gpg --homedir "$service" --batch --quiet --import-ownertrust

say "the checksums of the server, before"
checksums | tee "$work/before" | sed 's/^/   /'

say "ktbackup --gpg-recipient='John Doe' --roll=2, three times"
note "(--root makes the sample root /, --homedir is the service keyring;"
note " as root, --allow-root: ktbackup runs as the service account otherwise)"
out=$root/var/lib/keytrustee
for i in 1 2 3
do
	echo
	run ktbackup --root="$root" --homedir="$service" $allow_root \
		--gpg-recipient='John Doe' --roll=2 ||
		failed "ktbackup failed"
	note "backups kept in $out:"
	(cd "$out" && ls -l *.tar.gpg | sed 's/^/     /')
	test $i -eq 3 || sleep 1
done
backup=$(cd "$out" && ls *.tar.gpg | tail -n 1)
backup=$out/$backup

say "the backup's contents, as tar tvf shows them: ktrestore --list"
run ktrestore --list --homedir="$admin" "$backup" >"$work/listing" ||
	failed "ktrestore --list failed"
sed 's/^/   /' "$work/listing"
note "(the dump is a member: it never touched the disk in clear)"

say "disaster: the configuration directory is removed, the database dropped"
run rm -rf "$conf"
run psql -X -q -d postgres -c 'DROP DATABASE keytrustee'
test ! -e "$conf" && note "$conf: gone"

say "a tampered copy of the backup is refused, and changes nothing"
cp "$backup" "$work/tampered.tar.gpg"
printf 'X' | dd of="$work/tampered.tar.gpg" bs=1 seek=2000 conv=notrunc 2>/dev/null
if ktrestore --root="$root" --homedir="$admin" "$work/tampered.tar.gpg" 2>"$work/err"
then
	failed "a tampered backup was restored"
fi
sed 's/^/   /' "$work/err"
test ! -e "$conf" && note "still gone: nothing was restored from it"

say "ktrestore: decrypt, verify, re-create the database, put the files back"
note "(the key administrator's keyring holds John Doe's secret key)"
run ktrestore --root="$root" --homedir="$admin" "$backup" ||
	failed "ktrestore failed"

say "the checksums of the server, after"
checksums | tee "$work/after" | sed 's/^/   /'

say "the proof"
if cmp -s "$work/before" "$work/after"
then
	note "before and after are identical: $(grep -c ' var/' "$work/after") files and"
	note "directories (contents and modes) and both tables (every row)."
else
	diff "$work/before" "$work/after" >&2 || true
	failed "the restored server differs"
fi
echo
echo "Done; cleaning up $work."
