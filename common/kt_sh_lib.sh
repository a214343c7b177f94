# kt_sh_lib.sh: what ktbackup and ktrestore share, copied into each by
# make where the script says "# @kt_sh_lib@", so that an installed script
# is one file and finds nothing at run time.  The script sets $prog, and
# $verbosity (0 quiet, 1 normal, 2 verbose) before it says anything.

# The filters installed beside the script come first; cron's PATH is
# /usr/bin:/bin.
case $0 in
*/*) PATH=${0%/*}:$PATH ;;
esac
PATH=$PATH:/usr/local/bin:/usr/bin:/bin
export PATH
umask 077

# die MESSAGE [STATUS]: exit STATUS (default 1) with MESSAGE on stderr.
die() { printf '%s: %s\n' "$prog" "$1" >&2; exit "${2:-1}"; }
usage_error() { printf '%s: %s\n' "$prog" "$*" >&2; usage >&2; exit 2; }
say() { test "$verbosity" -ge 1 && printf '%s: %s\n' "$prog" "$*" >&2; return 0; }
narrate() { test "$verbosity" -ge 2 && printf '%s: %s\n' "$prog" "$*" >&2; return 0; }

# Quote a word for sh, so that recipients with spaces survive eval.
quote() { printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }
