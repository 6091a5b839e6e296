# FUSE fault-injection helpers for the e2e tests.  Source AFTER lib.sh:
#
#   . "$CT_TOP/tests/e2e/lib.sh"
#   . "$CT_TOP/tests/e2e/faultfs.sh"
#   need_fuse
#
#   faultfs_mount BACKING MNT [faultfs options...]
#       mkdir MNT, start $FAULTFS in the background (foreground mode, so it is
#       our child), wait up to ~5 s for MNT/disk, register its unmount with
#       at_exit.  Sets FAULTFS_PID.  Returns non-zero (with a '#' message and
#       the helper's stderr) if it did not come up.  faultfs options: see
#       `$FAULTFS --help` (--bad OFF:LEN, --flaky OFF:LEN:N, --vanish-after,
#       --vanish-errno, --delay-us, --size, --writable, --wrap,
#       --lose-writes-after, --write-bad, --log FILE).
#   faultfs_umount MNT [PID]
#       unmount MNT (lazily if a plain unmount fails) and wait for PID (default
#       FAULTFS_PID of the last mount) to exit, killing it if it lingers.
#       Safe to call twice; use it to remount the same MNT with other faults.

FAULTFS_PID=
FAULTFS_N=0

faultfs_umount() {
	local mnt=$1 pid=${2:-$FAULTFS_PID} i
	# Not mounted (any more): both fail quietly.  A dead helper leaves a
	# mount that a plain unmount still removes; -z for a busy one.
	fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null
	[ -n "$pid" ] || return 0
	for i in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		sleep 0.2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

faultfs_mount() {
	local backing=${1:?faultfs_mount BACKING MNT [options]} mnt=${2:?faultfs_mount BACKING MNT [options]}
	local pid i err
	shift 2
	[ -x "${FAULTFS:-}" ] || { printf '# faultfs_mount: FAULTFS (%s) is not executable\n' "${FAULTFS:-}"; return 1; }
	mkdir -p "$mnt" || return 1
	FAULTFS_N=$((FAULTFS_N + 1))
	err=$T/.faultfs.$FAULTFS_N.err
	"$FAULTFS" "$@" "$backing" "$mnt" </dev/null >"$err" 2>&1 &
	pid=$!
	at_exit "faultfs_umount $(printf %q "$mnt") $pid"
	for i in $(seq 50); do
		if [ -e "$mnt/disk" ]; then
			FAULTFS_PID=$pid
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	printf '# faultfs_mount: %s did not come up (faultfs %s %s %s)\n' "$mnt/disk" "$*" "$backing" "$mnt"
	sed 's/^/#   /' "$err"
	faultfs_umount "$mnt" "$pid"
	return 1
}
