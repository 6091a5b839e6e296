#!/usr/bin/env bash
# t0640-usage: everyday edges.  No arguments is a usage error (usage on
# stderr, exit 2); every bad option value is exit 2, never 1, and nothing is
# created; permission denied on a device says what to do; the tool string
# in records names every library with its version.
. "$CT_TOP/tests/e2e/lib.sh"
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY

# ---- no arguments -------------------------------------------------------------------
"$CARDTRAIL" >"$T/out" 2>"$T/err"
check_eq "no arguments: exit 2" 2 $?
check_eq "no arguments: nothing on stdout" "" "$(cat "$T/out")"
check_eq "no arguments: the usage on stderr" "usage: cardtrail COMMAND [options] [arguments]" \
	"$(head -n 1 "$T/err")"
check_eq "no arguments: the commands listed on stderr" 1 "$(grep -c '^  wipe ' "$T/err")"
"$CARDTRAIL" --help >"$T/out" 2>"$T/err"
check_eq "--help: exit 0, usage on stdout" "0 usage: cardtrail COMMAND [options] [arguments]" \
	"$? $(head -n 1 "$T/out")"

# ---- bad option values: exit 2 --------------------------------------------------------
gen_bytes usage $((1 << 20)) >"$T/card.bin"
"$CARDTRAIL" image --hash md5 --progress none "$T/card.bin" "$T/case" >/dev/null 2>&1
check_eq "a case to run against: exit 0" 0 $?
lines=$(wc -l <"$T/case/custody.log")
# bad DESC ARGS...: exit 2, a message on stderr, no new case or file
bad() {
	local desc=$1 rc
	shift
	"$CARDTRAIL" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	check_eq "$desc: exit 2" 2 $rc
	[ -s "$T/err" ] && ok "$desc: says why" || not_ok "$desc: says why"
	[ $rc = 2 ] || sed 's/^/#   /' "$T/err" | head -n 3
}
bad "image --evidence-id ../x" image --evidence-id ../x --progress none "$T/card.bin" "$T/c1"
bad "image --evidence-id ''" image --evidence-id '' --progress none "$T/card.bin" "$T/c1"
bad "image --split 100 (not whole sectors)" image --split 100 --progress none "$T/card.bin" "$T/c1"
bad "image --hash nope" image --hash nope "$T/card.bin" "$T/c1"
bad "image --retries x" image --retries x "$T/card.bin" "$T/c1"
check_eq "bad image options: no case created" no "$([ -e "$T/c1" ] && echo yes || echo no)"
bad "note --evidence ''" note --evidence '' "$T/case" "x"
bad "note --evidence 'E 1'" note --evidence 'E 1' "$T/case" "x"
bad "note, empty text" note "$T/case" ""
bad "verify --frobnicate" verify --frobnicate "$T/case"
bad "log --frobnicate" log --frobnicate "$T/case"
bad "wipe --verify sometimes" wipe --case "$T/case" --verify sometimes /dev/null
bad "wipe --method nope" wipe --case "$T/case" --method nope /dev/null
bad "wipe --match nope" wipe --case "$T/case" --match nope /dev/null
bad "wipe --list-methods with an argument" wipe --list-methods extra
bad "devices --frobnicate" devices --frobnicate
bad "version extra" version extra
bad "help nope" help nope
bad "nope" nope
check_eq "bad options: the custody log unchanged" "$lines" "$(wc -l <"$T/case/custody.log")"

# ---- swapped arguments: a CASEDIR that is a device node or a file ---------------------
# swapped DESC WANT ARGS...: exit 2, the first line of stderr is WANT, nothing created
swapped() {
	local desc=$1 want=$2
	shift 2
	"$CARDTRAIL" "$@" >"$T/out" 2>"$T/err" </dev/null
	check_eq "$desc: exit 2 and says so" "2|cardtrail: $want" "$?|$(head -n 1 "$T/err")"
}
swapped "image, a file as CASEDIR" \
	"CASEDIR '$T/card.bin' is a file, not a folder: did you swap SOURCE and CASEDIR?" \
	image --progress none "$T/swapped" "$T/card.bin"
check_eq "image, a file as CASEDIR: nothing created" no "$([ -e "$T/swapped" ] && echo yes || echo no)"
swapped "image, a character device as CASEDIR" \
	"CASEDIR '/dev/null' is a character device, not a folder: did you swap SOURCE and CASEDIR?" \
	image --progress none "$T/card.bin" /dev/null
swapped "adopt" "CASEDIR '/dev/null' is a character device, not a folder: did you swap IMAGE and CASEDIR?" \
	adopt "$T/case/E1.raw" /dev/null
swapped "extract IMAGE OUTDIR" "OUTDIR '/dev/null' is a character device, not a folder: did you swap IMAGE and OUTDIR?" \
	extract --progress none "$T/case/E1.raw" /dev/null
swapped "wipe --case" "CASEDIR '/dev/null' is a character device, not a folder: did you swap DEVICE and CASEDIR?" \
	wipe --case /dev/null "$T/case"
swapped "verify" "CASEDIR '$T/card.bin' is a file, not a folder" verify "$T/card.bin"
swapped "log" "CASEDIR '/dev/null' is a character device, not a folder" log /dev/null
swapped "note" "CASEDIR '/dev/null' is a character device, not a folder" note /dev/null "text"
swapped "report" "CASEDIR '/dev/null' is a character device, not a folder" report /dev/null
if [ "$(id -u)" -eq 0 ] && command -v losetup >/dev/null && [ -e /dev/loop-control ] &&
	mkloop sdev "$T/card.bin" ro; then
	swapped "image CASEDIR SOURCE: a block device as CASEDIR" \
		"CASEDIR '$sdev' is a block device, not a folder: did you swap SOURCE and CASEDIR?" \
		image --progress none "$T/swapped" "$sdev"
	check_eq "image CASEDIR SOURCE: nothing created" no "$([ -e "$T/swapped" ] && echo yes || echo no)"
else
	skip "a block device as CASEDIR" "needs root and loop devices"
fi
check_eq "swapped arguments: the custody log unchanged" "$lines" "$(wc -l <"$T/case/custody.log")"

# ---- permission denied on a device --------------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v losetup >/dev/null && [ -e /dev/loop-control ] &&
	command -v setpriv >/dev/null; then
	truncate -s 4M "$T/disk.img"
	if mkloop dev "$T/disk.img"; then
		chmod 755 "$T"
		nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
		# the node of our loop device: group disk (as udev makes it), mode 660
		at_exit "chgrp $(stat -c %g "$dev") $dev; chmod $(stat -c %a "$dev") $dev"
		chgrp disk "$dev" && chmod 660 "$dev"
		nobody "$CARDTRAIL" wipe --no-image-check --cert-dir /tmp --force --yes --progress none "$dev" \
			>"$T/out" 2>"$T/err"
		check_eq "wipe as nobody: exit 1" 1 $?
		grep -q "cannot open '$dev': Permission denied: run as root, or as a member of the group that owns it ('disk')" \
			"$T/err" && ok "wipe as nobody: says to run as root or in the disk group" ||
			{ not_ok "wipe as nobody: says to run as root or in the disk group"; sed 's/^/#   /' "$T/err"; }
		mkdir -m 777 "$T/nb"
		nobody "$CARDTRAIL" image --progress none "$dev" "$T/nb/case" >"$T/out" 2>"$T/err"
		check_eq "image as nobody: exit 1" 1 $?
		grep -q "cannot open '$dev': Permission denied: run as root, or as a member of the group that owns it ('disk')" \
			"$T/err" && ok "image as nobody: says to run as root or in the disk group" ||
			{ not_ok "image as nobody: says to run as root or in the disk group"; sed 's/^/#   /' "$T/err"; }
		check_eq "image as nobody: no case created" no "$([ -e "$T/nb/case" ] && echo yes || echo no)"
		chgrp root "$dev"
		nobody "$CARDTRAIL" wipe --no-image-check --cert-dir /tmp --force --yes --progress none "$dev" \
			>"$T/out" 2>"$T/err"
		check_eq "wipe as nobody, a device of group root: says to run as root" \
			"1 cardtrail: cannot open '$dev': Permission denied: run as root" "$? $(cat "$T/err")"
	else
		skip "permission denied on a device" "losetup failed"
	fi
else
	skip "permission denied on a device" "needs root, loop devices and setpriv"
fi

# ---- the tool string --------------------------------------------------------------------
v=$("$CARDTRAIL" version)
for lib in libgcrypt blkid libarchive json-c tsk libexif expat cairo pango sqlite3 libewf zlib; do
	want=$(pkg-config --modversion "$lib" 2>/dev/null) || { skip "version names $lib" "no pkg-config data"; continue; }
	case $lib in tsk) name=libtsk ;; blkid) name=libblkid ;; *) name=$lib ;; esac
	case "$v" in
	*"$name $want"*) ok "version names $name $want" ;;
	*) not_ok "version names $name $want"; printf '#   %s\n' "$v" ;;
	esac
done
check_eq "the custody record's tool is the version string" "$v" \
	"$(tail -n 1 "$T/case/custody.log" | jq -r .tool)"
check_eq "the acquisition record's tool is the version string" "$v" \
	"$(jq -r .tool.string "$T/case/E1.acquisition.json")"

done_testing
