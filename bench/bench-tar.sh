#!/bin/sh
# bench-tar.sh: kt-tar -c, -t and -x beside GNU tar and bsdtar, on a tree
# of many small files and on one large file.  Each command runs -r times
# (default 3), the tools taking turns; printed are the median wall time,
# the median CPU time (user + system), the largest peak RSS and the ratio
# of median wall times to GNU tar's (below 1.00: faster than GNU tar),
# with the load average before and after, since other work on the
# machine skews them.
#
# kt-tar -t reads and checks every byte; "tar tf FILE" on a seekable file
# skips the data of every member and hashes nothing.  So -t is compared
# with "cat FILE | tar tf -", which reads everything too (the ratio
# printed); the seekable figure is printed beside it.
#
#	bench/bench-tar.sh [-n files] [-s MiB] [-r runs] [-d dir] [BUILD-DIR]
#
# -n	small files (default 100000, in directories of 100, 200 to 4000
#	bytes each)
# -s	size of the large file in MiB (default 1024)
# -r	runs of each command (default 3)
# -d	where to work (default a new directory in $TMPDIR or /tmp); it
#	needs room for the data about seven times over.  A tmpfs (/dev/shm)
#	shows CPU costs, a disk shows what an operator sees.
#
# kt-tar and kt-collect come from BUILD-DIR/bin (default ./_build).
# Run by hand; make check does not run it.
set -eu

files=100000
mib=1024
runs=3
dir=
while getopts n:s:r:d: opt
do
	case $opt in
	n) files=$OPTARG ;;
	s) mib=$OPTARG ;;
	r) runs=$OPTARG ;;
	d) dir=$OPTARG ;;
	*) echo "usage: $0 [-n files] [-s MiB] [-r runs] [-d dir]" >&2; exit 2 ;;
	esac
done

shift $((OPTIND - 1))
build=$(cd "${1:-_build}" && pwd)
PATH=$build/bin:$PATH
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

# run NAME PREP CMD...: runs PREP (a shell command: cleaning up after
# the last run), then times CMD once; appends "wall cpu rss" to
# times.NAME.
run () {
	name=$1
	prep=$2
	shift 2
	eval "$prep"
	sync
	/usr/bin/time -o time.out -f '%e %U %S %M' "$@" || {
		echo "$0: $name failed" >&2
		exit 1
	}
	read -r wall user sys rss <time.out
	echo "$wall $(awk "BEGIN { print $user + $sys }") $rss" >>"times.$name"
}

# rounds CMDS: runs the shell commands CMDS (run calls, one tool each)
# $runs times over, taking turns, so that a change in the machine's load
# falls on every tool alike.
rounds () {
	i=0
	while test $i -lt "$runs"
	do
		eval "$1"
		i=$((i + 1))
	done
}

median () {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# summarize: "NAME wall cpu rss" in results for every times.NAME (median
# wall, median cpu, largest rss).
summarize () {
	for f in times.*
	do
		echo "${f#times.} $(cut -d" " -f1 "$f" | median)" \
		    "$(cut -d" " -f2 "$f" | median)" \
		    "$(cut -d" " -f3 "$f" | sort -n | tail -n 1)" >>results
		rm -f "$f"
	done
}

report () {
	printf '\n%s, median of %s runs\n' "$1" "$runs"
	printf '%-24s %9s %9s %10s %9s\n' "" "wall s" "cpu s" "peak RSS" "vs GNU"
	for op in create list extract
	do
		# -t is measured against GNU tar reading a pipe.
		base=gnu-$op
		test $op = list && base=gnu-list-pipe
		gnu=$(awk -v n="$base" '$1 == n { print $2 }' results)
		for tool in kt gnu gnu-pipe bsd
		do
			awk -v n="$tool-$op" -v g="$gnu" -v tool="$tool" -v op="$op" '
			n ~ /gnu-pipe/ { n = "gnu-" op "-pipe" }
			$1 == n {
				label = (tool == "kt" ? "kt-tar" : tool ~ /^gnu/ ? "GNU tar" : "bsdtar") " " op
				if (tool == "gnu" && op == "list")
					label = label " (seekable)"
				if (tool == "gnu-pipe")
					label = label " (pipe)"
				printf "%-24s %9.2f %9.2f %7.1f MiB %9s\n", label, $2, $3, $4 / 1024,
				    (g > 0 ? sprintf("%.2f", $2 / g) : "-")
			}' results
		done
	done
	awk '$1 == "kt-list" { k = $2 } $1 == "gnu-list" { g = $2 }
	END { printf "kt-tar list / GNU tar list of a seekable file: %s\n",
	    (g > 0 ? sprintf("%.2f", k / g) : "- (GNU tar took no measurable time)") }' results
	rm -f results
}

# bench DIR LABEL: create, list and extract the tree under src/DIR.
bench () {
	(cd src && kt-collect -0 -C . "/$1") >list
	rounds "
	run kt-create 'rm -f kt.tar' sh -c 'exec kt-tar -c -0 -C src -T list >kt.tar </dev/null'
	run gnu-create 'rm -f gnu.tar' sh -c 'exec tar cf gnu.tar -C src $1'
	run bsd-create 'rm -f bsd.tar' sh -c 'exec bsdtar cf bsd.tar -C src $1'"
	rounds "
	run kt-list : sh -c 'exec kt-tar -t <kt.tar >/dev/null'
	run gnu-list : sh -c 'exec tar tf gnu.tar >/dev/null'
	run gnu-list-pipe : sh -c 'cat gnu.tar | tar tf - >/dev/null'
	run bsd-list : sh -c 'exec bsdtar tf bsd.tar >/dev/null'"
	rounds "
	run kt-extract 'rm -rf x-kt; mkdir x-kt' sh -c 'exec kt-tar -x -C x-kt <kt.tar'
	run gnu-extract 'rm -rf x-gnu; mkdir x-gnu' tar xf gnu.tar -C x-gnu
	run bsd-extract 'rm -rf x-bsd; mkdir x-bsd' bsdtar xf bsd.tar -C x-bsd"
	diff -r x-kt x-gnu >/dev/null || { echo "$0: kt-tar and GNU tar extracted different trees" >&2; exit 1; }
	summarize
	report "$2"
	rm -rf x-kt x-gnu x-bsd kt.tar gnu.tar bsd.tar list
}

echo "bench-tar: $(command -v kt-tar), working in $dir"
echo "$(nproc) CPUs; $(tar --version | head -n 1); $(bsdtar --version)"
echo "load average at start: $(cut -d" " -f1-3 /proc/loadavg)"

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
echo "load average at end: $(cut -d" " -f1-3 /proc/loadavg)"
