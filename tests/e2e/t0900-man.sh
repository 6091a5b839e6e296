#!/usr/bin/env bash
# The man pages: clean under `mandoc -Tlint -Wwarning`, and every long option
# a command's usage text names appears in that command's page, so the two
# cannot drift apart.
. "$CT_TOP"/tests/e2e/lib.sh

command -v mandoc >/dev/null || skip_all "mandoc is not installed"

pages=("$CT_TOP"/man/*.[1-8])
[ -e "${pages[0]}" ] || skip_all "no man pages in man/"

for p in "${pages[@]}"; do
	out=$(mandoc -Tlint -Wwarning "$p" 2>&1)
	check_eq "mandoc -Tlint -Wwarning ${p#"$CT_TOP"/}" "" "$out"
done

# Rendered as a reader sees it: mandoc -Tascii, overstrike removed.
render() { mandoc -Tascii -O width=200 "$1" | sed "s/.\x08//g"; }

# Every subcommand with a page cardtrail-NAME.1 must be a command, and every
# long option of its usage text must be on the page.  Every command that
# 'cardtrail --help' lists has a page, except help and version (and those
# whose page is still to come, reported as skipped); cardtrail(5) exists.
for f in cardtrail.1 cardtrail.5; do
	if [ -f "$CT_TOP/man/$f" ]; then ok "man/$f exists"; else not_ok "man/$f exists"; fi
done
pending=" "
commands=$("$CARDTRAIL" --help | sed -n '/^commands:/,/^$/p' | awk 'NF >= 2 { print $1 }')
[ -n "$commands" ] || not_ok "cardtrail --help lists the commands"
for name in $commands; do
	case $name in help | version) continue ;; esac
	if [ -f "$CT_TOP/man/cardtrail-$name.1" ]; then
		ok "man/cardtrail-$name.1 exists"
	elif [[ $pending == *" $name "* ]]; then
		skip "man/cardtrail-$name.1 exists" "its page is still to come"
	else
		not_ok "man/cardtrail-$name.1 exists (for 'cardtrail $name')"
	fi
done
for p in "$CT_TOP"/man/cardtrail-*.1; do
	[ -f "$p" ] || continue
	name=${p##*/cardtrail-}
	name=${name%.1}
	if ! usage=$("$CARDTRAIL" help "$name" 2>&1); then
		not_ok "cardtrail help $name (page ${p##*/} has no command)"
		continue
	fi
	text=$(render "$p")
	opts=$(printf '%s\n' "$usage" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
	[ -n "$opts" ] || { skip "options of $name in ${p##*/}" "its usage names none"; continue; }
	for o in $opts; do
		if printf '%s\n' "$text" | grep -qE -- "${o}([^a-z0-9-]|\$)"; then
			ok "${p##*/} documents $o"
		else
			not_ok "${p##*/} documents $o (named in 'cardtrail help $name')"
		fi
	done
done

# The overview names every command that has its own page.
text=$(render "$CT_TOP/man/cardtrail.1")
for p in "$CT_TOP"/man/cardtrail-*.1; do
	[ -f "$p" ] || continue
	name=${p##*/}
	name=${name%.1}
	if printf '%s\n' "$text" | grep -qE "${name}\\(1\\)"; then
		ok "cardtrail.1 refers to $name(1)"
	else
		not_ok "cardtrail.1 refers to $name(1)"
	fi
done
if printf '%s\n' "$text" | grep -qE 'cardtrail\(5\)'; then
	ok "cardtrail.1 refers to cardtrail(5)"
else
	not_ok "cardtrail.1 refers to cardtrail(5)"
fi
# Every page refers back to the overview.
for p in "$CT_TOP"/man/cardtrail-*.1 "$CT_TOP"/man/cardtrail.5; do
	[ -f "$p" ] || continue
	if render "$p" | grep -qE 'cardtrail\(1\)'; then
		ok "${p##*/} refers to cardtrail(1)"
	else
		not_ok "${p##*/} refers to cardtrail(1)"
	fi
done

# cardtrail-wipe(1) lists every method of 'cardtrail wipe --list-methods'.
if [ -f "$CT_TOP/man/cardtrail-wipe.1" ]; then
	text=$(render "$CT_TOP/man/cardtrail-wipe.1")
	methods=$("$CARDTRAIL" wipe --list-methods | awk '/^[a-z]/ { sub(/:.*/, "", $1); print $1 }')
	[ -n "$methods" ] || not_ok "cardtrail wipe --list-methods lists methods"
	for m in $methods; do
		if printf '%s\n' "$text" | grep -qE -- "^ +${m}( |:|\$)"; then
			ok "cardtrail-wipe.1 describes the method $m"
		else
			not_ok "cardtrail-wipe.1 describes the method $m"
		fi
	done
fi

done_testing
