#!/bin/sh

test_description='every program has a man page whose SYNOPSIS is its --help, and every page is lint-clean'

. "$(dirname "$0")/test-lib.sh"

test_lazy_prereq MANDOC 'mandoc -V >/dev/null 2>&1 || command -v mandoc'

# The words of a synopsis, one per line, without "usage:".
words () {
	tr -s " \t\n" "\n\n\n" | sed -e "/^usage:$/d" -e "/^$/d"
}

synopsis () {
	mandoc -Tascii -O width=400 "$1" | col -b |
		awk '/^SYNOPSIS/ { f = 1; next } /^[A-Z]/ { f = 0 } f'
}

for page in "$top_srcdir"/man/*.[18]
do
	name=$(basename "$page")
	prog=${name%.[18]}

	test_expect_success MANDOC "$name is lint-clean" "
		mandoc -Tlint -Wwarning '$page' >lint 2>&1 || true &&
		test_line_count = 0 lint || { cat lint; false; }
	"

	test_expect_success MANDOC "$prog --help is the SYNOPSIS of $name" "
		command -v '$prog' >/dev/null &&
		synopsis '$page' | words >expect &&
		'$prog' --help >help &&
		words <help >actual &&
		test_cmp expect actual
	"

	test_expect_success "$name says how $prog exits" "
		grep -q '^\.Sh EXIT STATUS' '$page' &&
		grep -q '^\.Sh EXAMPLES' '$page'
	"
done

# Every cross-reference to one of our pages, in the pages and in the
# README, names the section that page is in: "ktbackup 1" would send a
# reader to a page that does not exist.
test_expect_success 'every reference to a kt page names its section' '
	for page in "$top_srcdir"/man/*.[18]
	do
		grep -o "Xr kt[-a-z]* [0-9]" "$page" |
			sed "s/^Xr/$(basename "$page"):/"
	done >refs &&
	grep -o "kt[-a-z]*([0-9])" "$top_srcdir"/README |
		sed "s/^\\(.*\\)(\\([0-9]\\))$/README: \\1 \\2/" >>refs &&
	test -s refs &&
	while read -r where name section
	do
		test -f "$top_srcdir/man/$name.$section" ||
		echo "$where $name($section): no such page"
	done <refs >bad &&
	test_line_count = 0 bad || { cat bad; false; }
'

test_done
