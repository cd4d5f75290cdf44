#!/bin/bash
# cachefiles-e2e.sh JAR IMAGES — runs INSIDE the test VM (test-images/vm-run), as root, with JAVA_HOME set.
# Serves the make-images test images (IMAGES holds manifest.json) with `ondemandd run` over /dev/cachefiles,
# mounts them with EROFS in fscache mode and checks what the kernel sees. Each check prints one line
#   @@CHECK <name> PASS|FAIL <seconds> <detail>
# which the JUnit side (kernel-tests) turns into one test each. Recorded traces are printed at the end between
# @@TRACE-BEGIN <name> / @@TRACE-END as gzip+base64, the daemon's logs likewise as @@LOG-BEGIN/@@LOG-END.
set -u
JAR="$(realpath "$1")"; IMAGES="$(realpath "$2")"
JAVA="${JAVA_HOME:?JAVA_HOME must point at a JDK 21+}/bin/java"
W=/scratch/e2e
DEADLINE_S=10          # the daemon's readDeadline in this run
M=$W/mnt                # mountpoints (the guest's / is read-only host files)
mkdir -p "$W/cache" "$W/src" "$M"
cd /

. "$(dirname "$(realpath "$0")")/daemon-checks.sh"   # checks.sh (check, since, alive) + the daemon helpers
tag_of() {   # tag_of IMAGE SLOT — the device slot's tag from the manifest
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))
print(next(i for i in m["images"] if i["name"]==sys.argv[2])["blobs"][int(sys.argv[3])]["tag"])' \
        "$IMAGES/manifest.json" "$1" "$2"
}
LAYER1_TAG="$(tag_of layers 0)"; LAYER2_TAG="$(tag_of layers 1)"

# Cookie -> source file. The image's own cookie is its fsid; a blob's is its device= name or its slot tag.
cp "$IMAGES/large/blob.img" "$W/src/fail-blob.img"       # truncated mid-test: a source failing mid-read
cp "$IMAGES/large/blob.img" "$W/src/zero-blob.img"       # zeroed after caching: any refetch would show
cp "$IMAGES/large/meta.erofs" "$W/src/zero-meta.erofs"
SOURCES=(
    single "single/meta.erofs"   chunked "chunked/meta.erofs"   chunked-blob "chunked/blob.img"
    layers "layers/meta.erofs"   "$LAYER1_TAG" "layers/layer1.erofs"   "$LAYER2_TAG" "layers/layer2.erofs"
    compressed "compressed/meta.erofs"   small "small/meta.erofs"
    large "large/meta.erofs"     large-blob "large/blob.img"
    dom-a "chunked/meta.erofs"   dom-b "chunked/meta.erofs"   shared-blob "chunked/blob.img"
    failing "large/meta.erofs"   fail-blob "$W/src/fail-blob.img"
    zero "$W/src/zero-meta.erofs" zero-blob "$W/src/zero-blob.img"
    term "large/meta.erofs"      term-blob "large/blob.img"   term-small "small/meta.erofs"
    chunked2 "chunked/meta.erofs"
    stall "large/meta.erofs"
)
config() {
    printf '{"cachefiles": {"dir": "%s/cache"},\n "dispatcher": {"readDeadline": "%ss"},\n "sources": [' "$W" "$DEADLINE_S"
    local i sep=""
    for ((i = 0; i < ${#SOURCES[@]}; i += 2)); do
        local f="${SOURCES[i+1]}"; [ "${f#/}" = "$f" ] && f="$IMAGES/$f"
        printf '%s\n  {"volume": "erofs,*", "cookie": "%s", "url": "file://%s"}' "$sep" "${SOURCES[i]}" "$f"; sep=","
    done
    # a source that hangs mid-read (stall-server.py); its own timeout is longer than the READ deadline
    printf ',\n  {"volume": "erofs,*", "cookie": "stall-blob", "url": "http://127.0.0.1:%s/blob.img", "requestTimeout": "120s"}' "$STALL_PORT"
    printf ']}\n'
}
STALL_PORT=8765
config >"$W/config.json"

mount_verify() {   # mount_verify MOUNTPOINT-NAME IMAGE OPTIONS
    mount_image "$M/$1" "$3" || { echo "mount -o $3 failed"; return 1; }
    verify_tree "$M/$1" "$2"
}

echo "kernel $(uname -r); images $IMAGES; jar $JAR"
# Kernel errors (EROFS read failures are expected in the failure checks) go to the kernel log, which is
# printed at the end, instead of flooding the console.
echo 3 >/proc/sys/kernel/printk
echo "@@KERNEL $(uname -r)"

# --- session 1: one image alone, its trace small enough to keep as a fixture ---------------------------
check daemon-binds start_daemon chunked || { echo "@@ABORT daemon did not start"; cat "$W/daemon-chunked.log"; exit 1; }
check chunked-sha256 mount_verify chunked chunked "fsid=chunked,device=chunked-blob"
check chunked-anon-fds wait_anon_fds 2
umount $M/chunked
check umount-closes-anon-fds wait_anon_fds 0
check daemon-stops-cleanly stop_daemon

# --- session 2: every image, sharing, cache reuse, failures, SIGTERM ------------------------------------
check daemon-rebinds start_daemon all || { echo "@@ABORT daemon did not start again"; cat "$W/daemon-all.log"; exit 1; }
check single-sha256 mount_verify single single "fsid=single"
check layers-sha256-by-tags mount_verify layers layers "fsid=layers"
check compressed-sha256 mount_verify compressed compressed "fsid=compressed"
check small-sha256 mount_verify small small "fsid=small"
large_cold() {
    local t; t=$(date +%s.%N)
    mount_verify large large "fsid=large,device=large-blob" >/dev/null || return 1
    local s; s=$(since "$t")
    awk -v s="$s" -v b="$(du -sb "$IMAGES/large/tree" | cut -f1)" 'BEGIN { printf "%d bytes cold in %s s: %.1f MiB/s\n", b, s, b / 1048576 / s }'
}
check large-sha256-cold large_cold
# single 1 + layers 3 + compressed 1 + small 1 + large 2
check anon-fd-per-object wait_anon_fds 8

shared_domain() {
    mount_verify dom-a chunked "fsid=dom-a,domain_id=shared,device=shared-blob" >/dev/null || { echo "first mount in the domain failed"; return 1; }
    mkdir -p $M/dom-b
    mount_image $M/dom-b "fsid=dom-b,domain_id=shared,device=shared-blob" || { echo "second mount in the domain failed"; return 1; }
    verify_tree $M/dom-b chunked >/dev/null || { echo "second mount's files differ"; return 1; }
    # dom-a, dom-b and ONE shared-blob object: the blob is opened once for both mounts
    wait_anon_fds 11 >/dev/null || { echo "expected 11 anon fds (3 new: two images, one shared blob), got $(anon_fds)"; return 1; }
    echo "two mounts in domain 'shared' verified; the blob is opened once"
}
check domain-shares-blob shared_domain

unmount_all() {
    local m
    for m in single layers compressed small large dom-a dom-b; do umount "$M/$m" || { echo "umount $M/$m failed"; return 1; }; done
    wait_anon_fds 0
}
check umount-all-closes-anon-fds unmount_all

remount_from_cache() {
    # Cache the image, then zero its sources: any byte fetched again would fail the sha256 check.
    mount_verify zero large "fsid=zero,device=zero-blob" >/dev/null || { echo "first mount failed"; return 1; }
    umount $M/zero
    wait_anon_fds 0 >/dev/null || return 1
    local size; size=$(stat -c %s "$W/src/zero-blob.img")
    truncate -s 0 "$W/src/zero-blob.img"; truncate -s "$size" "$W/src/zero-blob.img"
    size=$(stat -c %s "$W/src/zero-meta.erofs")
    truncate -s 0 "$W/src/zero-meta.erofs"; truncate -s "$size" "$W/src/zero-meta.erofs"
    echo 3 >/proc/sys/vm/drop_caches
    mount_image $M/zero "fsid=zero,device=zero-blob" || { echo "remount failed"; return 1; }
    verify_tree $M/zero large || { echo "remount read bytes that were not in the cache (sources are zeroed now)"; umount $M/zero; return 1; }
    umount $M/zero
    echo "remount read every file from the cache; sources were zeroed"
}
check remount-reads-cache-only remount_from_cache

unknown_blob() {
    local t rc
    t=$(date +%s.%N)
    mkdir -p $M/nosuch
    timeout 60 mount -t erofs none -o fsid=no-such-image $M/nosuch; rc=$?
    [ $rc -eq 124 ] && { echo "mount of an unknown fsid hung for 60 s"; return 1; }
    [ $rc -eq 0 ] && { umount $M/nosuch; echo "mount of an unknown fsid succeeded"; return 1; }
    echo "unknown fsid: mount failed (status $rc) in $(since "$t") s"
    # An unknown device= blob: EROFS opens it at mount time and carries on when the OPEN fails; reads of data
    # in that blob must then fail at once (EIO, or ENOBUFS from fscache), never hang, never read zeros.
    t=$(date +%s.%N)
    timeout 60 mount -t erofs none -o fsid=chunked2,device=no-such-blob $M/nosuch; rc=$?
    [ $rc -eq 124 ] && { echo "mount with an unknown device= blob hung for 60 s"; return 1; }
    if [ $rc -eq 0 ]; then
        timeout 60 cat "$M/nosuch/d1/sub0/f10-3145721.bin" >/dev/null 2>"$W/nosuch.err"; rc=$?
        umount $M/nosuch
        [ $rc -eq 124 ] && { echo "a read from an unknown blob hung for 60 s"; return 1; }
        [ $rc -eq 0 ] && { echo "a read from an unknown blob succeeded"; return 1; }
        grep -Eq "Input/output error|No buffer space available" "$W/nosuch.err" \
            || { echo "a read from an unknown blob failed oddly: $(cat "$W/nosuch.err")"; return 1; }
        echo "unknown device= blob: OPEN refused, the mount stands, its reads fail at once: $(sed 's/.*: //' "$W/nosuch.err")"
    else
        echo "unknown device= blob: mount failed cleanly (status $rc)"
    fi
    wait_anon_fds 0 >/dev/null || { echo "objects of the failed mount are still open: $(anon_fds)"; return 1; }
    echo "unknown fsid fails the mount; unknown blob fails its reads; nothing hangs ($(since "$t") s)"
}
check unknown-blob-fails-mount unknown_blob

source_fails_mid_read() {
    mount_image $M/failing "fsid=failing,device=fail-blob" || { echo "mount failed"; return 1; }
    dd if=$M/failing/big.bin of=/dev/null bs=1M count=1 status=none || { echo "first MiB unreadable"; return 1; }
    truncate -s 2M "$W/src/fail-blob.img"   # the source now ends early: reads past 2 MiB fail
    local t rc; t=$(date +%s.%N)
    timeout 120 dd if=$M/failing/big.bin of=/dev/null bs=1M skip=40 count=8 status=none 2>"$W/dd.err"; rc=$?
    local s; s=$(since "$t")
    umount $M/failing
    [ $rc -eq 124 ] && { echo "reader hung (120 s)"; return 1; }
    [ $rc -eq 0 ] && { echo "reader got data past the end of a truncated source"; return 1; }
    grep -q "Input/output error" "$W/dd.err" || { echo "reader failed, but not with EIO: $(cat "$W/dd.err")"; return 1; }
    awk -v s="$s" -v d="$DEADLINE_S" 'BEGIN { exit !(s <= d + 5) }' || { echo "EIO after $s s, deadline is $DEADLINE_S s"; return 1; }
    echo "reader got EIO after $s s (deadline $DEADLINE_S s)"
}
check source-failure-gives-eio source_fails_mid_read

source_hangs_mid_read() {
    python3 "$(dirname "$0")/stall-server.py" "$STALL_PORT" "$IMAGES/large/blob.img" 1048576 &
    local spid=$! up=""
    local end=$(( $(date +%s) + 30 ))
    while [ "$(date +%s)" -lt "$end" ]; do (: </dev/tcp/127.0.0.1/$STALL_PORT) 2>/dev/null && { up=1; break; }; sleep 0.2; done
    [ -n "$up" ] || { kill $spid; echo "the stalling HTTP server did not start"; return 1; }
    mount_image $M/stall "fsid=stall,device=stall-blob" || { kill $spid; echo "mount failed"; return 1; }
    local t rc s
    t=$(date +%s.%N)
    timeout 120 dd if=$M/stall/big.bin of=/dev/null bs=1M skip=40 count=1 status=none 2>"$W/stall.err"; rc=$?
    s=$(since "$t")
    umount $M/stall; kill $spid
    [ $rc -eq 124 ] && { echo "reader hung (120 s) on a hanging source"; return 1; }
    [ $rc -eq 0 ] && { echo "reader got data from a source that never answered"; return 1; }
    grep -q "Input/output error" "$W/stall.err" || { echo "reader failed, but not with EIO: $(cat "$W/stall.err")"; return 1; }
    # Each READ is answered EIO at the deadline. The kernel may ask more than once before failing the reader
    # (the readahead, then the page itself), so the reader waits one deadline per READ the daemon answered
    # at its deadline, never less than one; the slack covers the guest's scheduling under TCG on a loaded host.
    local answered; answered=$(grep -c "stall-blob.*passed its deadline; answered EIO" "$W/daemon-all.log")
    [ "$answered" -ge 1 ] || { echo "the daemon logged no READ answered at its deadline"; return 1; }
    awk -v s="$s" -v d="$DEADLINE_S" -v n="$answered" 'BEGIN { exit !(s >= d - 1 && s <= n * d + 15) }' \
        || { echo "EIO after $s s; with a $DEADLINE_S s deadline and $answered READs answered at it, it must take one to $answered deadlines"; return 1; }
    echo "a source hanging mid-read: $answered READs answered EIO at the $DEADLINE_S s deadline; the reader got EIO after $s s"
}
check hanging-source-gives-eio-at-deadline source_hangs_mid_read

# A reader failed the right way: EIO from the daemon's answer, or ENOBUFS, which fscache returns once the
# daemon has unbound the cache (the kernel's choice, not the daemon's).
FAILED_READ="Input/output error|No buffer space available"
sigterm_during_reads() {
    mount_image $M/term "fsid=term,device=term-blob" || { echo "mount failed"; return 1; }
    mount_image $M/term-small "fsid=term-small" || { echo "mount failed"; return 1; }
    local want; want=$(awk '$2 == "big.bin" { print $1 }' "$IMAGES/large/files.sha256")
    (sha256sum $M/term/big.bin >"$W/r1.out" 2>"$W/r1.err"; echo $? >"$W/r1.rc") &
    (cd $M/term-small && sha256sum -c --quiet "$IMAGES/small/files.sha256" >"$W/r2.out" 2>&1; echo $? >"$W/r2.rc") &
    (dd if=$M/term/big.bin of=/dev/null bs=1M skip=32 status=none 2>"$W/r3.err"; echo $? >"$W/r3.rc") &
    sleep 2
    local t; t=$(date +%s.%N)
    stop_daemon || return 1
    local end=$(( $(date +%s) + 120 ))
    while [ "$(date +%s)" -lt "$end" ]; do [ -f "$W/r1.rc" ] && [ -f "$W/r2.rc" ] && [ -f "$W/r3.rc" ] && break; sleep 0.2; done
    local s; s=$(since "$t")
    [ -f "$W/r1.rc" ] && [ -f "$W/r2.rc" ] && [ -f "$W/r3.rc" ] || { echo "a reader still hangs 120 s after SIGTERM"; return 1; }
    # every reader either completed with the right bytes or failed with EIO
    if [ "$(cat "$W/r1.rc")" = 0 ]; then
        [ "$(cut -d' ' -f1 "$W/r1.out")" = "$want" ] || { echo "reader 1 completed with WRONG bytes"; return 1; }
        echo "reader 1 completed with the right sha256"
    else
        grep -Eq "$FAILED_READ" "$W/r1.err" || { echo "reader 1 failed without EIO/ENOBUFS: $(cat "$W/r1.err")"; return 1; }
        echo "reader 1 failed: $(sed 's/.*: //' "$W/r1.err")"
    fi
    if [ "$(cat "$W/r2.rc")" = 0 ]; then echo "reader 2 verified every small file"
    else
        # sha256sum says "<file>: FAILED" for wrong bytes, "FAILED open or read" for EIO
        grep -q ': FAILED$' "$W/r2.out" && { echo "reader 2 read WRONG bytes: $(grep ': FAILED$' "$W/r2.out" | head -3)"; return 1; }
        grep -Eq "$FAILED_READ" "$W/r2.out" || { echo "reader 2 failed without EIO/ENOBUFS: $(head -3 "$W/r2.out")"; return 1; }
        echo "reader 2 failed on $(grep -c 'FAILED open or read' "$W/r2.out") files, no wrong bytes"
    fi
    if [ "$(cat "$W/r3.rc")" = 0 ]; then echo "reader 3 completed"
    else grep -Eq "$FAILED_READ" "$W/r3.err" || { echo "reader 3 failed without EIO/ENOBUFS: $(cat "$W/r3.err")"; return 1; }
        echo "reader 3 failed: $(sed 's/.*: //' "$W/r3.err")"; fi
    # after the daemon is gone, a read of an uncached range fails at once, not hangs
    local rc; timeout 30 dd if=$M/term/big.bin of=/dev/null bs=1M skip=60 count=1 status=none 2>/dev/null; rc=$?
    [ $rc -eq 124 ] && { echo "a read after the daemon exited hangs"; return 1; }
    umount $M/term $M/term-small
    echo "all readers done ${s} s after SIGTERM; none hangs, no wrong bytes"
}
check sigterm-during-reads sigterm_during_reads

dump TRACE chunked "$W/trace-chunked.jsonl"
dump TRACE all "$W/trace-all.jsonl"
dump LOG chunked "$W/daemon-chunked.log"
dump LOG all "$W/daemon-all.log"
finish
