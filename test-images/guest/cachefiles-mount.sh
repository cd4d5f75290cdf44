#!/bin/bash
# cachefiles-mount.sh JAR IMAGES — runs INSIDE the test VM (test-images/vm-run), as root, with JAVA_HOME set.
# `ondemandd mount` / `ondemandd umount` against a running `ondemandd run` (cachefiles frontend) on the real
# kernel: the daemon starts with NO sources; each mount registers the image's cookies over the control socket
# (found at its default path, as an operator would) and mounts EROFS with fsid= / device= / domain_id=.
# Output as cachefiles-e2e.sh: one `@@CHECK <name> PASS|FAIL <seconds> <detail>` per check, logs at the end.
set -u
JAR="$(realpath "$1")"; IMAGES="$(realpath "$2")"
JAVA="${JAVA_HOME:?JAVA_HOME must point at a JDK 21+}/bin/java"
W=/scratch/mount
M=$W/mnt
SOCKET=/run/ondemandd/control.sock
# A CLI call is one JVM start: 25-50 s under TCG, past 120 s when the host is loaded. The bound only catches a
# hang (the VM's own timeout bounds the run); a slow start must not fail a check.
CLI_TIMEOUT=600
mkdir -p "$W/cache" "$M"
cd /
. "$(dirname "$(realpath "$0")")/daemon-checks.sh"
# The CLI as an operator runs it (a command `timeout` can run). Under TCG a JVM start costs tens of seconds: C1
# only, the serial GC, and a class-data archive the first run writes and the later ones map (about half the time).
mkdir -p "$W/bin"
printf '#!/bin/sh\nexec "%s" %s -XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=%s -jar "%s" "$@"\n' "$JAVA" \
    "${VMTEST_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}" "$W/cli.jsa" "$JAR" >"$W/bin/ondemandd"
chmod +x "$W/bin/ondemandd"
PATH="$W/bin:$PATH"

cat >"$W/config.json" <<EOF
{"cachefiles": {"dir": "$W/cache"},
 "dispatcher": {"readDeadline": "20s"},
 "control": {"socket": "$SOCKET"},
 "sources": []}
EOF

control() {   # control JSON — one request over the control socket, no JVM start; prints the reply line
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(120); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n"); print(s.makefile().readline().strip())' "$SOCKET" "$1"
}

echo "kernel $(uname -r); images $IMAGES; jar $JAR"
echo 3 >/proc/sys/kernel/printk
echo "@@KERNEL $(uname -r)"

serving() {   # the daemon is bound and its control socket answers
    start_daemon mount || return 1
    local end=$(( $(date +%s) + 120 ))
    while [ ! -S "$SOCKET" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
    [ -S "$SOCKET" ] || { echo "no control socket at $SOCKET"; return 1; }
    echo "daemon $DPID serves; control socket $SOCKET"
}
check daemon-serves serving || { echo "@@ABORT daemon did not start"; cat "$W/daemon-mount.log"; exit 1; }

mount_chunked() {   # an image and its blob, named by URL: no source for them was configured
    mkdir -p "$M/chunked"
    timeout "$CLI_TIMEOUT" ondemandd mount --blob "file://$IMAGES/chunked/blob.img" "$IMAGES/chunked/meta.erofs" "$M/chunked" \
        || { echo "ondemandd mount failed"; return 1; }
    grep -q "fsid=img-" /proc/mounts || { echo "no fsid= mount in /proc/mounts"; return 1; }
    verify_tree "$M/chunked" chunked || return 1
    wait_anon_fds 2
}
check mount-chunked-via-daemon mount_chunked

status_lists_image() {
    ondemandd status --json >"$W/status.json" || { echo "status failed"; return 1; }
    grep -q "\"mountpoint\":\"$M/chunked\"" "$W/status.json" || { echo "status lacks the image: $(cat "$W/status.json")"; return 1; }
    echo "status lists $M/chunked"
}
check status-lists-runtime-image status_lists_image

same_fsid_refused() {   # the same image again, on another mountpoint, with the same (derived) fsid
    mkdir -p "$M/again"
    timeout "$CLI_TIMEOUT" ondemandd mount --blob "file://$IMAGES/chunked/blob.img" "$IMAGES/chunked/meta.erofs" "$M/again" \
        2>"$W/again.err"; local rc=$?
    [ $rc -eq 1 ] || { echo "expected exit 1 from the daemon's refusal, got $rc: $(cat "$W/again.err")"; return 1; }
    grep -q "already mounted" "$W/again.err" || { echo "refused oddly: $(cat "$W/again.err")"; return 1; }
    mountpoint -q "$M/again" && { echo "$M/again is mounted"; return 1; }
    echo "refused: $(cat "$W/again.err")"
}
check same-fsid-twice-refused same_fsid_refused

layers_by_device() {   # two blobs, given as device= names in device-table order
    mkdir -p "$M/layers"
    timeout "$CLI_TIMEOUT" ondemandd mount --fsid layers-app --blob "$IMAGES/layers/layer1.erofs" \
        --blob "$IMAGES/layers/layer2.erofs" "$IMAGES/layers/meta.erofs" "$M/layers" \
        || { echo "ondemandd mount failed"; return 1; }
    verify_tree "$M/layers" layers
}
check mount-layers-with-fsid layers_by_device

domain_shares_blob() {   # two fsids in one domain: their common blob is opened once
    local before; before=$(anon_fds)
    mkdir -p "$M/dom-a" "$M/dom-b"
    timeout "$CLI_TIMEOUT" ondemandd mount --fsid dom-a --domain-id shared --blob "$IMAGES/chunked/blob.img" \
        "$IMAGES/chunked/meta.erofs" "$M/dom-a" || { echo "first mount in the domain failed"; return 1; }
    timeout "$CLI_TIMEOUT" ondemandd mount --fsid dom-b --domain-id shared --blob "$IMAGES/chunked/blob.img" \
        "$IMAGES/chunked/meta.erofs" "$M/dom-b" || { echo "second mount in the domain failed"; return 1; }
    verify_tree "$M/dom-a" chunked >/dev/null || { echo "dom-a's files differ"; return 1; }
    verify_tree "$M/dom-b" chunked >/dev/null || { echo "dom-b's files differ"; return 1; }
    grep -q "domain_id=shared" /proc/mounts || { echo "no domain_id= in /proc/mounts"; return 1; }
    wait_anon_fds $((before + 3)) >/dev/null || { echo "expected $((before + 3)) anon fds (two images, one shared blob), got $(anon_fds)"; return 1; }
    echo "two mounts in domain 'shared' verified; the blob is opened once"
}
check domain-shares-blob domain_shares_blob

bad_mount() {   # a metadata image that does not exist: refused, nothing mounted, the daemon serves on
    mkdir -p "$M/bad"
    local t; t=$(date +%s.%N)
    timeout "$CLI_TIMEOUT" ondemandd mount "$IMAGES/no-such-meta.erofs" "$M/bad" 2>"$W/bad.err"; local rc=$?
    [ $rc -eq 1 ] || { echo "expected exit 1, got $rc: $(cat "$W/bad.err")"; return 1; }
    mountpoint -q "$M/bad" && { echo "$M/bad is mounted"; return 1; }
    ondemandd status >/dev/null || { echo "the daemon stopped answering"; return 1; }
    echo "refused in $(since "$t") s: $(tail -1 "$W/bad.err")"
}
check missing-image-refused bad_mount

umount_all() {   # the CLI for one, the same request straight over the socket for the rest (JVM starts are slow)
    local m reply
    timeout "$CLI_TIMEOUT" ondemandd umount "$M/chunked" || { echo "ondemandd umount $M/chunked failed"; return 1; }
    for m in layers dom-a dom-b; do
        reply=$(control "{\"cmd\":\"umount\",\"mountpoint\":\"$M/$m\"}")
        case "$reply" in *'"ok":true'*) ;; *) echo "umount $M/$m: $reply"; return 1 ;; esac
    done
    for m in chunked layers dom-a dom-b; do mountpoint -q "$M/$m" && { echo "$M/$m still mounted"; return 1; }; done
    wait_anon_fds 0 >/dev/null || { echo "objects still open after every umount: $(anon_fds)"; return 1; }
    control '{"cmd":"status"}' | grep -q '"images":\[\]' || { echo "status still lists images"; return 1; }
    echo "every image unmounted through the daemon; every anon fd closed"
}
check umount-via-daemon umount_all

remount_from_cache() {   # the same image again: found in the cache under its derived fsid
    mkdir -p "$M/chunked"
    timeout "$CLI_TIMEOUT" ondemandd mount --blob "file://$IMAGES/chunked/blob.img" "$IMAGES/chunked/meta.erofs" "$M/chunked" \
        || { echo "remount failed"; return 1; }
    verify_tree "$M/chunked" chunked || return 1
    timeout "$CLI_TIMEOUT" ondemandd umount "$M/chunked" || { echo "ondemandd umount failed: status $?"; return 1; }
    echo "remounted, verified and unmounted again"
}
check remount-after-umount remount_from_cache

drain() {   # the control socket's drain: the daemon answers, stops serving and exits 0
    local reply
    reply=$(control '{"cmd":"drain"}') || { echo "no answer to drain"; return 1; }
    echo "drain answered $reply"
    case "$reply" in *'"ok":true'*) ;; *) echo "drain refused: $reply"; return 1 ;; esac
    local end=$(( $(date +%s) + 120 ))
    while alive "$DPID" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
    alive "$DPID" && { echo "daemon still runs 120 s after drain"; kill -KILL "$DPID"; return 1; }
    wait "$DPID"; local rc=$?
    [ $rc -eq 0 ] || { echo "daemon exited with status $rc after drain"; return 1; }
    [ -e "$SOCKET" ] && { echo "the control socket is left behind"; return 1; }
    echo "drained: the daemon exited 0 and removed its socket"
}
check drain-stops-daemon drain

dump LOG mount "$W/daemon-mount.log"
finish
