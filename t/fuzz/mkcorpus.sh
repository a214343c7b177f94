#!/bin/sh
# Regenerates the seed corpora of t/fuzz/corpus/ from the programs' real
# output: kt-collect lists, kt-tar archives, kt-seal messages (with a
# throwaway GnuPG home), GNU tar and bsdtar archives, the hostile archives
# of t3050, the dumps of t5010.  Run it from a build directory after make:
#
#	sh ../t/fuzz/mkcorpus.sh
#
# It replaces t/fuzz/corpus/* in the source tree.  Archives are cut
# after their end-of-archive blocks where the padding adds nothing, to
# keep the corpora small.
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=$srcdir/t/fuzz/corpus
PATH=$PWD/bin:$PATH
export LC_ALL=C.UTF-8 TZ=UTC
scratch=$(mktemp -d /tmp/ktfz.XXXXXX)
trap 'gpgconf --homedir "$scratch/g" --kill all 2>/dev/null; rm -rf "$scratch"' EXIT
rm -rf "$out"
for d in check manifest pathlist sqlf names tarread
do
	mkdir -p "$out/$d"
done

# A small Key Trustee like tree.
root=$scratch/root
kts=$root/var/lib/keytrustee/.keytrustee
mkdir -p "$kts/logs" "$root/etc/keytrustee"
printf 'keyserver-options no-honor-keyserver-url\n' >"$kts/gpg.conf"
head -c 700 /dev/urandom >"$kts/secring.gpg"
printf 'DB_PORT=11381\n' >"$root/etc/keytrustee/keytrustee.conf"
: >"$kts/logs/empty"
ln -s gpg.conf "$kts/link"
ln "$kts/gpg.conf" "$kts/hardlink"
long=$kts/a-directory-name-long-enough-for-pax/and-a-file-name-that-makes-the-path-longer-than-one-hundred-bytes
mkdir -p "${long%/*}"
printf 'long\n' >"$long"
printf 'x\n' >"$kts/name with
newline"

# Lists: framed by kt-collect, and by hand.
(cd "$root" && kt-collect -C "$root" /etc) >"$out/pathlist/collect.nl"
(cd "$root" && kt-collect -0 -C "$root" /var /etc) >"$out/pathlist/collect.nul0"
printf 'a\nb/c\n' >"$out/pathlist/plain.nl"
printf 'a\0b/c\0x\0' >"$out/pathlist/plain.nul"

# Archives.
cd "$root"
kt-collect -0 -C "$root" /var /etc | kt-tar -c -0 -C "$root" >"$scratch/kt.tar"
kt-collect -0 -C "$root" /var /etc | kt-tar -c -0 -z -C "$root" >"$scratch/kt.tar.gz"
tar --format=gnu -cf "$scratch/gnu.tar" var etc
tar --format=pax -cf "$scratch/pax.tar" var etc
tar --format=ustar -cf "$scratch/ustar.tar" etc
bsdtar -cf "$scratch/bsd.tar" var etc
tar -czf "$scratch/gnu.tar.gz" etc
cd "$scratch"
# cut_eoa IN OUT: IN up to its end-of-archive blocks.
cut_eoa () {
	python3 - "$1" "$2" <<-\PY
	import sys
	d = open(sys.argv[1], "rb").read()
	end = len(d)
	while end >= 512 and d[end - 512:end] == bytes(512):
	    end -= 512
	open(sys.argv[2], "wb").write(d[:end + 1024])
	PY
}
for f in gnu pax ustar bsd
do
	cut_eoa $f.tar "$out/tarread/$f.tar"
done
cp "$out/tarread/gnu.tar" "$out/check/gnu.tar"
cp kt.tar "$out/check/kt.tar"
cp kt.tar.gz gnu.tar.gz "$out/check/"
cp kt.tar.gz "$out/tarread/"
for c in $(python3 "$srcdir/t/t3050/mkhostile.py" list)
do
	python3 "$srcdir/t/t3050/mkhostile.py" $c >h.tar
	cut_eoa h.tar "$out/tarread/hostile-$c.tar"
done

# The manifest of kt.tar, as the reader gets it: each part's comment.
python3 - kt.tar "$out/manifest/kt-tar" <<\PY
import sys
d = open(sys.argv[1], "rb").read()
parts, off = [], d.find(b"kt-tools/manifest")
while off >= 0 and d[off:off + 17] == b"kt-tools/manifest":
    size = int(d[off + 124:off + 136].rstrip(b"\0 "), 8)
    rec = d[off + 512:off + 512 + size]
    sp = rec.index(b" ")
    parts.append(rec[sp + 9:-1])
    off += 512 + (size + 511) // 512 * 512
open(sys.argv[2], "wb").write(b"\0".join(parts))
PY
# Members for the writer's round trip: type, size, path.
printf 'a\003dir/file\0b\000dir\0c\000link\0' >"$out/manifest/members"

# Dumps, and OpenPGP messages from kt-seal.
cp "$srcdir/t/t5010/tricky.sql" "$out/sqlf/tricky.sql"
cp "$srcdir/t/t5010/tricky.sql" "$out/check/dump.sql"
gzip -9n <"$srcdir/t/t5010/tricky.sql" >"$out/check/dump.sql.gz"
cat >"$out/sqlf/dump.sql" <<\SQL
--
-- PostgreSQL database dump
--

\restrict abc
SET standard_conforming_strings = on;
DROP TABLE public.deposits;
CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;
DO $x$ BEGIN PERFORM 'it''s'; END $x$;
COPY public.deposits (id, data) FROM stdin;
1	\\x00
\.
BEGIN;
SELECT pg_catalog.lo_open('1', 131072);
COMMIT;
/* a /* nested */ comment */ SELECT E'\'';
--
-- PostgreSQL database dump complete
--

\unrestrict abc

SQL
mkdir -m 700 g
export GNUPGHOME=$scratch/g
printf 'corpus\n' >pass && chmod 600 pass
printf "hello, sealed\n" | kt-seal --symmetric --passphrase-file pass >"$out/check/sealed.gpg"
printf "hello, sealed\n" | kt-seal --symmetric -a --passphrase-file pass >"$out/check/sealed.asc"
printf 'x' | gpg --batch -q --pinentry-mode loopback --passphrase-file pass \
	-c --compress-algo zip >"$out/check/gpg-zip.gpg"

# Names: member NUL link target NUL exclude patterns.
printf 'var/lib/./k//x/\0../x/y\0var/*\0' >"$out/names/relative"
printf 'a/b/link\0/srv/kt-root/a\0./a/\0[ab]*' >"$out/names/absolute-link"
printf 'a/b\0../../c' >"$out/names/up"
du -sk "$out"
