#!/bin/sh
# The quick start's demo: seal a sample Key Trustee configuration
# directory to a throwaway "John Doe" backup key, unseal it, and show that
# what comes back is what went in.
set -eu

build=${1:?usage: kt-demo.sh BUILD-DIR}
PATH=$build/bin:$PATH
export PATH

say() { printf '\n== %s\n' "$*"; }

work=$(mktemp -d /tmp/ktdemo.XXXXXX)
GNUPGHOME=$work/g
export GNUPGHOME
cleanup() {
	gpgconf --kill all 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM HUP

say "a throwaway GnuPG home with the key administrator's backup key"
mkdir -m 700 "$GNUPGHOME"
echo allow-loopback-pinentry > "$GNUPGHOME/gpg-agent.conf"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-gen-key 'John Doe (Key Trustee Backup) <john.doe@example.com>' \
	ed25519 sign,cert never 2>/dev/null
fpr=$(gpg --batch --with-colons --list-keys john.doe@example.com |
	awk -F: '$1 == "fpr" { print $10; exit }')
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-add-key "$fpr" cv25519 encr never 2>/dev/null
gpg --list-keys 'John Doe'

say "a sample Key Trustee Server configuration directory"
conf=$work/root/var/lib/keytrustee/.keytrustee
mkdir -p "$conf/.ssl"
chmod 700 "$conf" "$conf/.ssl"
for f in keytrustee.conf gpg.conf logging.conf; do
	echo "# sample $f" > "$conf/$f"
done
head -c 4845 /dev/urandom > "$conf/secring.gpg"
head -c 2263 /dev/urandom > "$conf/pubring.gpg"
head -c 600 /dev/urandom > "$conf/random_seed"
head -c 1708 /dev/urandom > "$conf/.ssl/ssl-cert-keytrustee-pk.pem"
chmod 600 "$conf"/* "$conf"/.ssl/*
ls -lR "$work/root/var/lib/keytrustee"

say "tar | kt-seal -r 'John Doe' > backup.tar.gpg"
tar -C "$work/root" -cf - var/lib/keytrustee/.keytrustee |
	kt-seal -v -r 'John Doe' > "$work/backup.tar.gpg"
ls -l "$work/backup.tar.gpg"

say "kt-unseal < backup.tar.gpg | tar tvf -"
kt-unseal -v < "$work/backup.tar.gpg" | tar -tvf -

say "kt-unseal < backup.tar.gpg | tar xf - -C restored"
mkdir "$work/restored"
kt-unseal < "$work/backup.tar.gpg" | tar -C "$work/restored" -xf -

say "comparing what went in with what came back"
diff -r "$work/root" "$work/restored"
echo "identical: the sealed backup restores byte for byte"

say "a cut backup is refused and releases nothing"
head -c 1000 "$work/backup.tar.gpg" > "$work/cut.gpg"
if kt-unseal < "$work/cut.gpg" > "$work/cut.out"; then
	echo "unexpected: kt-unseal accepted a cut message" >&2
	exit 1
fi
echo "kt-unseal exit status non-zero, $(wc -c < "$work/cut.out") bytes released"
