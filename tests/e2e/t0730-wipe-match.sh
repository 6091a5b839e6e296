#!/usr/bin/env bash
# t0730-wipe-match: "imaged first" means this card.  Without a serial on
# either side (loop devices, USB readers), a card is the imaged one only if
# its content says so across the whole card: the first and the last MiB,
# the filesystem metadata, 1024+ sectors at random offsets (sampled), or
# every byte (--match full, which also hashes the image against its
# record).  Only an image in a chain that verifies counts (with --key, a
# signed one).  The certificate and the custody records say how the match
# was made.  Loop devices over /dev/shm files this script creates only.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/wipelib.sh"
need_loop
command -v sfdisk >/dev/null && command -v mkfs.fat >/dev/null || skip_all "sfdisk or mkfs.fat missing"

MiB=1048576
SIZE=$((32 * MiB))
SHM=/dev/shm/ct-wmatch-$$
at_exit "rm -f $SHM-*.img"

# poke FILE OFFSET: invert one byte of FILE (a card's backing file)
poke() {
	perl -e 'open(my $f, "+<", $ARGV[0]) or die; sysseek($f, $ARGV[1], 0); sysread($f, my $b, 1);
		sysseek($f, $ARGV[1], 0); syswrite($f, chr(ord($b) ^ 0xff));' "$1" "$2"
}
# a card as a drone leaves it: seeded random bytes, an MBR with one FAT16
# partition at 1 MiB (its boot sector and FATs are past the first MiB)
make_card() { # FILE SEED
	gen_bytes "$2" $SIZE >"$1"
	printf 'label: dos\nstart=2048, type=6\n' | sfdisk -q "$1" >/dev/null 2>&1
	mkfs.fat -F 16 --offset=2048 -n CARD "$1" $(((SIZE - MiB) / 1024)) >/dev/null 2>&1
}
ct_image() { "$CARDTRAIL" image --progress none --hash md5 "$@" >"$T/image.out" 2>&1; }
wipes() { jq -s '[.[] | select(.action == "wipe" or .action == "wipe-start")] | length' "$1/custody.log"; }

make_card $SHM-a.img match
cp $SHM-a.img $SHM-orig.img
A0=$(h $SHM-a.img)
# restore: the imaged card's content back on it
restore() { dd if=$SHM-orig.img of="$adev" bs=1M oflag=direct status=none; }
mkloop adev $SHM-a.img || skip_all "losetup failed"
ct_image "$adev" "$T/case" || { sed 's/^/#   /' "$T/image.out"; skip_all "cannot image the card"; }
cp -a "$T/case" "$T/case0"

# ---- other cards of the same size are refused, and nothing is written -------------
# refused NAME DESC FILE REGEX [wipe args]: a card made from FILE is refused
refused() {
	local name=$1 desc=$2 file=$3 re=$4 dev before
	shift 4
	mkloop dev "$file" || { not_ok "$desc: losetup"; return; }
	before=$(h "$file")
	wipe "$name" --case "$T/case" --force --yes --method zero "$@" "$dev"
	check_rc "$desc: exit 1" 1 $? "$name"
	check_msg "$desc: says where it differs" "$name" "$re"
	check_eq "$desc: nothing written" "$before" "$(h "$file")"
	nothing_new "$desc: no certificate or state" "$T/case"
	check_eq "$desc: no wipe record" 0 "$(wipes "$T/case")"
	losetup -d "$dev"
}
# the first MiB of the imaged card, then other data (and another filesystem)
{ head -c $MiB $SHM-a.img; gen_bytes other $((SIZE - MiB)); } >$SHM-b.img
refused b "same first MiB, other data after it" $SHM-b.img \
	"matches no verified image in '$T/case': it differs from the image of E1 at offset $MiB;"
# one byte in the last MiB
cp $SHM-a.img $SHM-c.img && poke $SHM-c.img $((SIZE - 100))
refused c "one byte changed in the last MiB" $SHM-c.img \
	"it differs from the image of E1 at offset $((SIZE - 512));"
# one byte in the FAT, past the first MiB
cp $SHM-a.img $SHM-d.img && poke $SHM-d.img $((MiB + 600))
refused d "one byte changed in the FAT (past the first MiB)" $SHM-d.img \
	"it differs from the image of E1 at offset $((MiB + 512));"
# one byte in the middle: sampling may or may not land on it; every byte does
cp $SHM-a.img $SHM-e.img && poke $SHM-e.img $((17 * MiB + 3))
refused e "one byte changed in the middle, --match full" $SHM-e.img \
	"it differs from the image of E1 at offset $((17 * MiB));" --match full
# the imaged card's first and last MiB and its whole filesystem metadata
# region copied onto a card of other data: only the random sectors are left
# to tell (the attack the first MiB alone let through, one step further)
wipe meta --case "$T/case" --force --yes --method zero --dry-run --json "$adev"
mend=$(jq -r '.match.sampled.metadata | map(.[0] + .[1]) | max' "$T/meta.out")
if [ -n "$mend" ] && [ "$mend" -gt $MiB ] && [ "$mend" -lt $((SIZE - 2 * MiB)) ]; then
	{ head -c "$mend" $SHM-a.img; gen_bytes other2 $((SIZE - MiB - mend)); tail -c $MiB $SHM-a.img; } >$SHM-g.img
	refused g "first MiB, metadata and last MiB of the image, other data between" $SHM-g.img \
		"it differs from the image of E1 at offset [0-9]+;"
	gat=$(grep -oE 'differs from the image of E1 at offset [0-9]+' "$T/g.err" "$T/g.out" | grep -oE '[0-9]+$' | head -n 1)
	[ -n "$gat" ] && [ "$gat" -ge "$mend" ] && [ "$gat" -lt $((SIZE - MiB)) ] && [ $((gat % 512)) -eq 0 ] &&
		ok "…found at a random sector, between the metadata and the last MiB ($gat)" ||
		not_ok "…found at a random sector, between the metadata and the last MiB (${gat:-none}, metadata ends at $mend)"
else
	not_ok "the metadata range of the imaged card (${mend:-none})"
fi
check_eq "the imaged card untouched by all of it" "$A0" "$(h $SHM-a.img)"

# ---- the imaged card: how it matched is recorded -----------------------------------
wipe s1 --case "$T/case" --force --yes --method zero --dry-run --json "$adev"
check_rc "dry run on the imaged card: exit 0" 0 $? s1
seed1=$(jf "$T/s1.out" .match.sampled.seed)
wipe s2 --case "$T/case" --force --yes --method zero "$adev"
check_rc "the imaged card (sampled): exit 0" 0 $? s2
cert=$T/case/E1.wipe.json
check_eq "certificate: VERIFIED, evidence E1" "VERIFIED E1" "$(jq -r '"\(.result) \(.evidence)"' "$cert")"
check_eq "certificate: match method, random sectors, sector size" "sampled 1024 512" \
	"$(jq -r '.match | "\(.method) \(.sampled.random_sectors) \(.sampled.sector_size)"' "$cert")"
check_eq "certificate: the first and last MiB compared" "$MiB $MiB" \
	"$(jq -r '.match.sampled | "\(.first_bytes) \(.last_bytes)"' "$cert")"
check_eq "certificate: the FAT16 metadata from the partition's start" "1 $MiB" \
	"$(jq -r '.match.sampled.metadata | "\(length) \(.[0][0])"' "$cert")"
seed2=$(jf "$cert" .match.sampled.seed)
check_eq "certificate: the seed is 32 random bytes" 64 "$(printf '%s' "$seed2" | grep -cE '^[0-9a-f]{64}$' | sed 's/1/64/')"
[ -n "$seed1" ] && [ "$seed1" != "$seed2" ] && ok "a fresh seed for each run" || not_ok "a fresh seed for each run ($seed1 $seed2)"
# the bytes the certificate says were compared are those of its ranges: the
# edges, the metadata and the 1024 sectors recomputed from the seed as
# cardtrail(5) defines them (SHA-256(seed || i), one in each 1/1024)
if command -v python3 >/dev/null; then
	want=$(jq -c .match "$cert" | python3 -c '
import hashlib, json, sys
m = json.load(sys.stdin); s = m["sampled"]; size = '"$SIZE"'; sec = s["sector_size"]
n = s["random_sectors"]; seed = bytes.fromhex(s["seed"]); nsec = size // sec
r = [(0, s["first_bytes"]), (size - s["last_bytes"], s["last_bytes"])]
for off, ln in s["metadata"]:
    a = off // sec * sec; b = min(size, -(-(off + ln) // sec) * sec); r.append((a, b - a))
for i in range(n):
    lo, hi = nsec * i // n, nsec * (i + 1) // n
    d = hashlib.sha256(seed + i.to_bytes(8, "little")).digest()
    r.append(((lo + int.from_bytes(d[:8], "little") % (hi - lo)) * sec, sec))
tot, end = 0, 0
for a, ln in sorted(r):
    b = a + ln
    if b > end: tot += b - max(a, end); end = b
print(tot, m["bytes_compared"])')
	read -r bc_want bc_got <<<"$want"
	[ -n "$bc_want" ] && [ "$bc_want" = "${bc_got:-}" ] && [ "$bc_want" -gt $((2 * MiB + 1000 * 512)) ] &&
		ok "certificate: bytes compared = edges + metadata + the seed's 1024 sectors ($bc_want)" ||
		not_ok "certificate: bytes compared = edges + metadata + the seed's 1024 sectors (recomputed, recorded: $want)"
else
	skip "certificate: bytes compared from the seed" "python3 missing"
fi
case "$(jf "$cert" .image_check)" in
"the card matches E1, imaged and verified in the case (custody record 1, in a chain that verifies): sampled: its first 1048576 and last 1048576 bytes, 1 filesystem metadata range and 1024 sectors at offsets drawn from the seed $seed2, "*)
	ok "certificate: image_check says how" ;;
*) not_ok "certificate: image_check says how"; printf '#   %s\n' "$(jf "$cert" .image_check)" ;;
esac
grep -q "^  Imaged first:   the card matches E1, imaged and verified in the case (custody record 1, in a chain that verifies): sampled:" \
	"$T/case/E1.wipe.txt" && ok "text certificate: imaged first says how" || not_ok "text certificate: imaged first says how"
check_eq "the start record's match is the certificate's" "$(jq -c .match "$cert")" \
	"$(jq -s -c '[.[] | select(.action == "wipe-start")][0].result.match' "$T/case/custody.log")"
check_eq "the wipe record's match is the certificate's" "$(jq -c .match "$cert")" \
	"$(jq -s -c '[.[] | select(.action == "wipe")][0].result.match' "$T/case/custody.log")"
"$CARDTRAIL" verify "$T/case" >"$T/v.out" 2>&1
check_rc "the case verifies" 0 $? v

# ---- --match full: every byte, and the image's hash from the same read ---------------
rm -rf "$T/case"; cp -a "$T/case0" "$T/case"
restore
"$CARDTRAIL" wipe --case "$T/case" --force --yes --method zero --match full --progress json "$adev" \
	>"$T/f.out" 2>"$T/f.err"
check_rc "--match full on the imaged card: exit 0" 0 $? f
cert=$T/case/E1.wipe.json
check_eq "--match full: method, bytes compared" "full $SIZE" \
	"$(jq -r '.match | "\(.method) \(.bytes_compared)"' "$cert")"
check_eq "--match full: the image's SHA-256 is its record's" \
	"$(jf "$T/case/E1.acquisition.json" .hashes.sha256) $(jf "$T/case/E1.acquisition.json" .hashes.sha256)" \
	"$(jq -r '.match | "\(.image_sha256) \(.image_sha256_recorded)"' "$cert")"
check_eq "--match full: progress shows the match to the end" 1 \
	"$(grep '^{' "$T/f.err" | jq -c "select(.phase == \"match\" and .pass == 0 and .done == $SIZE)" | wc -l)"

# an image changed together with the card (the same byte): sampling cannot
# tell; every byte, hashed, can
rm -rf "$T/case"; cp -a "$T/case0" "$T/case"
cp $SHM-orig.img $SHM-f.img && poke $SHM-f.img $((20 * MiB + 7))
poke "$T/case/E1.raw" $((20 * MiB + 7))
mkloop fdev $SHM-f.img || not_ok "losetup for the tampered pair"
hf=$(h $SHM-f.img)
wipe f2 --case "$T/case" --force --yes --method zero --match full "$fdev"
check_rc "card and image changed alike, --match full: exit 1" 1 $? f2
check_msg "card and image changed alike: says the image changed" f2 \
	"every byte equals the image of E1, but that image's SHA-256 is [0-9a-f]{16}…, its record says [0-9a-f]{16}…: the image changed"
check_eq "card and image changed alike: nothing written" "$hf" "$(h $SHM-f.img)"

# ---- only an image in a chain that verifies ----------------------------------------------
rm -rf "$T/case"; cp -a "$T/case0" "$T/case"
restore
"$CARDTRAIL" note --evidence E1 "$T/case" "sealed in bag 12" >/dev/null
"$CARDTRAIL" note --evidence E1 "$T/case" "handed over" >/dev/null
sed -i '3s/bag 12/bag 13/' "$T/case/custody.log"
wipe chain --case "$T/case" --force --yes --method zero "$adev"
check_rc "a broken chain: exit 1" 1 $? chain
check_msg "a broken chain: says so" chain \
	"the custody chain of '$T/case' does not verify \(record 3: prev does not match"
check_eq "a broken chain: nothing written" "$A0" "$(h $SHM-a.img)"
rm -rf "$T/case"; cp -a "$T/case0" "$T/case"
jq -c '.segments[0].bytes = 512' "$T/case/E1.acquisition.json" >"$T/acq" && cp "$T/acq" "$T/case/E1.acquisition.json"
wipe acq --case "$T/case" --force --yes --method zero "$adev"
check_rc "an acquisition record changed since it was recorded: exit 1" 1 $? acq
check_msg "an acquisition record changed: says so" acq \
	"the image of E1 cannot be used: E1.acquisition.json is not the one its custody record lists"
check_eq "an acquisition record changed: nothing written" "$A0" "$(h $SHM-a.img)"
# signed records, and --key: every record signed by it
rm -rf "$T/case"
restore
"$CARDTRAIL" key generate "$T/k" >/dev/null 2>&1
"$CARDTRAIL" key generate "$T/k2" >/dev/null 2>&1
ct_image --sign-key "$T/k" "$adev" "$T/case" || not_ok "a signed image"
"$CARDTRAIL" note --evidence E1 "$T/case" "an unsigned note" >/dev/null
wipe uns --case "$T/case" --force --yes --method zero --key "$T/k.pub" "$adev"
check_rc "--key and an unsigned record: exit 1" 1 $? uns
check_msg "--key and an unsigned record: says so" uns "record 2 is unsigned but follows signed records"
wipe other --case "$T/case" --force --yes --method zero --key "$T/k2.pub" --dry-run "$adev"
check_rc "--key of another examiner: exit 1" 1 $? other
check_msg "--key of another examiner: says so" other "record 0 is signed by SHA256:.*, which is not a trusted key"
rm -rf "$T/case"
restore
ct_image --sign-key "$T/k" "$adev" "$T/case" || not_ok "a signed image (2)"
# --allowed-signers: the key must be allowed for the record's examiner, in
# the custody namespace (as ssh-keygen -Y verify reads the file)
ex=$(head -n 1 "$T/case/custody.log" | jq -r .examiner)
printf '%s %s\n' "$ex" "$(cat "$T/k.pub")" >"$T/allowed"
wipe as --case "$T/case" --force --yes --method zero --dry-run --json --allowed-signers "$T/allowed" "$adev"
check_rc "--allowed-signers naming the examiner's key: exit 0" 0 $? as
check_eq "--allowed-signers: the plan says the signatures were checked" "every record signed by a trusted key" \
	"$(jf "$T/as.out" .match.chain.signatures)"
printf 'someone-else %s\n' "$(cat "$T/k.pub")" >"$T/allowed-other"
wipe aso --case "$T/case" --force --yes --method zero --dry-run --allowed-signers "$T/allowed-other" "$adev"
check_rc "--allowed-signers, the key allowed for another principal: exit 1" 1 $? aso
check_msg "--allowed-signers, another principal: says the chain does not verify" aso \
	"the custody chain of '$T/case' does not verify \(record 0 .*not .*trusted"
printf '%s namespaces="file" %s\n' "$ex" "$(cat "$T/k.pub")" >"$T/allowed-ns"
wipe asn --case "$T/case" --force --yes --method zero --dry-run --allowed-signers "$T/allowed-ns" "$adev"
check_rc "--allowed-signers, the key allowed for another namespace only: exit 1" 1 $? asn
check_eq "--allowed-signers refusals: nothing written" "$A0" "$(h $SHM-a.img)"
check_eq "--allowed-signers refusals: no wipe record" 0 "$(wipes "$T/case")"
wipe signed --case "$T/case" --force --yes --method zero --key "$T/k.pub" --sign-key "$T/k" "$adev"
check_rc "--key, every record signed by it: exit 0" 0 $? signed
check_eq "--key: the certificate says the signatures were checked" "every record signed by a trusted key" \
	"$(jf "$T/case/E1.wipe.json" .match.chain.signatures)"
check_eq "--key: the wipe's records are signed too" "true true" \
	"$(jq -s -r '[.[] | select(.action | startswith("wipe")) | has("sig")] | map(tostring) | join(" ")' "$T/case/custody.log")"
"$CARDTRAIL" verify --key "$T/k.pub" "$T/case" >"$T/v.out" 2>&1
check_rc "--key: the case verifies with the key" 0 $? v

# ---- a retry links through the last wipe of the device --------------------------------------
# (the wiped card holds 0x00 now; a wipe record of this device left it)
wipe again --case "$T/case" --force --yes --method random --key "$T/k.pub" --sign-key "$T/k" "$adev"
check_rc "a retry of a finished wipe: exit 0" 0 $? again
check_eq "a retry: linked to the last wipe record" \
	"$(jq -s -r '[.[] | select(.action == "wipe")][0].seq' "$T/case/custody.log")" \
	"$(jf "$T/case/E1-2.wipe.json" .match.retry_of)"
# another device of the same size holding zeros is not linked (another
# backing file: another device)
truncate -s $SIZE $SHM-z.img
mkloop zdev $SHM-z.img || not_ok "losetup for a zero card"
wipe zero --case "$T/case" --force --yes --method zero --dry-run "$zdev"
check_rc "another device of zeros: exit 1" 1 $? zero
check_msg "another device of zeros: not linked to the wipe" zero "matches no verified image"
# a retry of a card changed after its wipe is refused
poke $SHM-a.img $((9 * MiB))
wipe changed --case "$T/case" --force --yes --method zero --match full "$adev"
check_rc "a card changed after its wipe: exit 1" 1 $? changed
check_msg "a card changed after its wipe: says so" changed \
	"does not hold what the last wipe of this device \(custody record [0-9]+\) left there either \(offset $((9 * MiB))\)"
# the last wipe of the device decides: one made with --no-image-check names
# no evidence, whatever an older one did
wipe nic --case "$T/case" --no-image-check --force --yes --method random "$adev"
check_rc "--no-image-check in the case: exit 0" 0 $? nic
wipe afternic --case "$T/case" --force --yes --method zero --dry-run "$adev"
check_rc "after a --no-image-check wipe: exit 1" 1 $? afternic
check_msg "after a --no-image-check wipe: says so" afternic \
	"the last wipe of this device \(custody record [0-9]+\) was made with --no-image-check and names no evidence"

done_testing
