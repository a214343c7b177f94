#!/bin/sh
# bench-tar.sh: kt-tar -c, -t and -x beside GNU tar and bsdtar, on a tree
# of many small files and on one large file.  One run of each, printed as
# wall time, CPU time (user + system), peak RSS and the ratio of wall
# times to GNU tar's (below 1.00: faster than GNU tar).
#
#	bench/bench-tar.sh [-n files] [-s MiB] [-d dir]
#
# -n	small files (default 100000, in directories of 100, 200 to 4000
#	bytes each)
# -s	size of the large file in MiB (default 1024)
# -d	where to work (default a new directory in $TMPDIR or /tmp); it
#	needs room for the data about seven times over.  A tmpfs (/dev/shm)
#	shows CPU costs, a disk shows what an operator sees.
#
# kt-tar and kt-collect come from PATH, or from ../bin beside this script
# after a build in the source tree; set KT_BIN to a build's bin/ otherwise.
# Run by hand; make check does not run it.
set -eu

files=100000
mib=1024
dir=
while getopts n:s:d: opt
do
	case $opt in
	n) files=$OPTARG ;;
	s) mib=$OPTARG ;;
	d) dir=$OPTARG ;;
	*) echo "usage: $0 [-n files] [-s MiB] [-d dir]" >&2; exit 2 ;;
	esac
done

here=$(cd "$(dirname "$0")" && pwd)
for b in "${KT_BIN:-}" "$here/../bin"
do
	if test -n "$b" && test -x "$b/kt-tar"
	then
		PATH=$(cd "$b" && pwd):$PATH
		break
	fi
done
for p in kt-tar kt-collect tar bsdtar python3 /usr/bin/time
do
	command -v "$p" >/dev/null || { echo "$0: $p not found" >&2; exit 1; }
done
tar --version | grep -q "GNU tar" || { echo "$0: tar is not GNU tar" >&2; exit 1; }

if test -z "$dir"
then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-tar.XXXXXX")
	trap 'rm -rf "$dir"' EXIT
	trap 'exit 130' INT TERM
fi
mkdir -p "$dir"
cd "$dir"

# run NAME CMD...: time CMD once; prints "NAME wall cpu rss".
run () {
	name=$1
	shift
	sync
	/usr/bin/time -o time.out -f '%e %U %S %M' "$@" || {
		echo "$0: $name failed" >&2
		exit 1
	}
	read -r wall user sys rss <time.out
	echo "$name $wall $(awk "BEGIN { print $user + $sys }") $rss" >>results
}

report () {
	printf '\n%s\n' "$1"
	printf '%-16s %9s %9s %10s %9s\n' "" "wall s" "cpu s" "peak RSS" "vs GNU"
	for op in create list extract
	do
		gnu=$(awk -v n="gnu-$op" '$1 == n { print $2 }' results)
		for tool in kt gnu bsd
		do
			awk -v n="$tool-$op" -v g="$gnu" -v tool="$tool" -v op="$op" '
			$1 == n {
				label = (tool == "kt" ? "kt-tar" : tool == "gnu" ? "GNU tar" : "bsdtar") " " op
				printf "%-16s %9.2f %9.2f %7.1f MiB %9s\n", label, $2, $3, $4 / 1024,
				    (g > 0 ? sprintf("%.2f", $2 / g) : "-")
			}' results
		done
	done
	rm -f results
}

# bench DIR LABEL: create, list and extract the tree under src/DIR.
bench () {
	(cd src && kt-collect -0 -C . "/$1") >list
	run kt-create sh -c 'exec kt-tar -c -0 -C src -T list >kt.tar </dev/null'
	run gnu-create sh -c "exec tar cf gnu.tar -C src $1"
	run bsd-create sh -c "exec bsdtar cf bsd.tar -C src $1"
	run kt-list sh -c 'exec kt-tar -t <kt.tar >/dev/null'
	run gnu-list sh -c 'exec tar tf gnu.tar >/dev/null'
	run bsd-list sh -c 'exec bsdtar tf bsd.tar >/dev/null'
	for t in kt gnu bsd
	do
		rm -rf "x-$t"
		mkdir "x-$t"
	done
	run kt-extract sh -c 'exec kt-tar -x -C x-kt <kt.tar'
	run gnu-extract tar xf gnu.tar -C x-gnu
	run bsd-extract bsdtar xf bsd.tar -C x-bsd
	diff -r x-kt x-gnu >/dev/null || { echo "$0: kt-tar and GNU tar extracted different trees" >&2; exit 1; }
	report "$2"
	rm -rf x-kt x-gnu x-bsd kt.tar gnu.tar bsd.tar list
}

echo "bench-tar: $(command -v kt-tar), working in $dir"
echo "$(nproc) CPUs; $(tar --version | head -n 1); $(bsdtar --version)"

mkdir -p src
echo "making $files small files..."
python3 - "$files" <<'EOF'
import os, random, sys
n = int(sys.argv[1])
rnd = random.Random(1)
for i in range(n):
    d = 'src/small/d%04d' % (i // 100)
    if i % 100 == 0:
        os.makedirs(d)
    with open('%s/f%03d' % (d, i % 100), 'wb') as f:
        f.write(os.urandom(rnd.randint(200, 4000)))
EOF
bench small "$files small files ($(du -sm src/small | cut -f1) MiB)"
rm -rf src/small

echo "making a file of $mib MiB..."
mkdir -p src/large
head -c "$((mib * 1048576))" /dev/urandom >src/large/file
bench large "one file of $mib MiB"
