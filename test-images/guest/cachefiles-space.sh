#!/bin/bash
# cachefiles-space.sh JAR IMAGES — runs INSIDE the test VM (test-images/vm-run), as root, with JAVA_HOME set.
# Cache space on the real kernel (issue 8): (1) the cache filesystem falls below cachefiles.bstop, so the kernel
# refuses writes through the anon fd (ENOBUFS, cachefiles_has_space): readers of data not cached yet get EIO at
# once, the daemon logs one line, keeps serving what is cached, and fills again once space returns;
# (2) cachefiles.quota: `inuse`/`cull` remove objects no mount uses, never one in use; a culled image reads right
# again (fetched again); (3) a READ for an object the daemon does not know, provoked for real: orphan-exec.py
# serves a mount, takes a READ and exec()s ondemandd, which inherits the object's anon fd (no O_CLOEXEC) and
# the device fd, writes `restore` and gets that READ. Prints @@CHECK lines (guest/checks.sh) for
# CachefilesSpaceKernelTest.
set -u
JAR="$(realpath "$1")"; IMAGES="$(realpath "$2")"
JAVA="${JAVA_HOME:?JAVA_HOME must point at a JDK 21+}/bin/java"
HERE="$(dirname "$(realpath "$0")")"
W=/scratch/space
M=$W/mnt
DEADLINE_S=10
mkdir -p "$W" "$M"
cd /
. "$HERE/daemon-checks.sh"   # checks.sh (check, since, alive) + start_daemon/stop_daemon/anon_fds/verify_tree

echo "kernel $(uname -r); images $IMAGES; jar $JAR"
echo 3 >/proc/sys/kernel/printk
echo "@@KERNEL $(uname -r)"

config() {   # config CACHE-DIR EXTRA-CACHEFILES-JSON
    printf '{"cachefiles": {"dir": "%s"%s},\n "dispatcher": {"readDeadline": "%ss"},\n "sources": [\n' "$1" "$2" "$DEADLINE_S"
    printf '  {"volume": "erofs,*", "cookie": "%s", "url": "file://%s"},\n' \
        single "$IMAGES/single/meta.erofs" small "$IMAGES/small/meta.erofs" large "$IMAGES/large/meta.erofs"
    printf '  {"volume": "erofs,*", "cookie": "large-blob", "url": "file://%s"}]}\n' "$IMAGES/large/blob.img"
}
mount_verify() {   # mount_verify NAME OPTIONS — mounts image NAME at $M/NAME, checks every file's sha256
    mount_image "$M/$1" "$2" || { echo "mount -o $2 failed"; return 1; }
    verify_tree "$M/$1" "$1"
}
want_sha() { awk -v f="$2" '$2 == f { print $1 }' "$IMAGES/$1/files.sha256"; }
free_blocks() { stat -f -c %a /scratch; }   # f_bavail, what cachefiles_has_space compares with bstop

# --- 1: below bstop ------------------------------------------------------------------------------------
BSTOP=2; BCULL=3; BRUN=4
SPACE_LOG="$W/daemon-space.log"
config "$W/cache" ", \"brun\": $BRUN, \"bcull\": $BCULL, \"bstop\": $BSTOP" >"$W/config.json"
check space-daemon-binds start_daemon space || { echo "@@ABORT daemon did not start"; cat "$SPACE_LOG"; exit 1; }
check space-small-cached mount_verify small "fsid=small"

fill_below_bstop() {
    # The kernel's bstop in blocks: f_blocks / 100 * bstop (cachefiles_add_cache). Leave 16 MiB above it, so the
    # 64 MiB file of `large` runs into it part way.
    local bs total avail stop keep
    bs=$(stat -f -c %S /scratch); total=$(stat -f -c %b /scratch); avail=$(free_blocks)
    stop=$(( total / 100 * BSTOP )); keep=$(( stop + 16 * 1048576 / bs )); STOP_BLOCKS=$stop
    [ "$avail" -gt "$keep" ] || { echo "scratch too small: $avail blocks free, need more than $keep"; return 1; }
    fallocate -l $(( (avail - keep) * bs )) /scratch/ballast || { echo "fallocate of the ballast failed"; return 1; }
    echo "ballast $(( (avail - keep) * bs )) bytes: $(free_blocks) blocks of $bs free, bstop at $stop blocks"
}
check space-fill-below-bstop fill_below_bstop

read_when_full() {
    mount_image "$M/large" "fsid=large,device=large-blob" || { echo "mount failed"; return 1; }
    local t rc s; t=$(date +%s.%N)
    timeout 300 sha256sum "$M/large/big.bin" >"$W/full.out" 2>"$W/full.err"; rc=$?
    s=$(since "$t")
    [ $rc -eq 124 ] && { echo "reader hung 300 s on a full cache"; return 1; }
    [ $rc -eq 0 ] && { echo "big.bin read whole on a cache below bstop (free $(free_blocks) blocks)"; return 1; }
    grep -q "Input/output error" "$W/full.err" || { echo "reader failed, but not with EIO: $(cat "$W/full.err")"; return 1; }
    # the object is still an O_TMPFILE (linked at umount), so the filesystem's free blocks tell what it took
    echo "reader got EIO after $s s; $(free_blocks) blocks free, bstop $STOP_BLOCKS; first refused write: $(grep -o 'write at [0-9+]* failed' "$SPACE_LOG" | head -1)"
}
check space-full-reader-gets-eio read_when_full

one_log_line() {
    # CacheSpace's one ERROR line; each READ it failed is logged on its own with the errno ("... is full (ENOBUFS) writing ...")
    local n; n=$(grep -c "is full (ENOBUFS): readers of data not cached yet get EIO" "$SPACE_LOG")
    grep "is full (ENOBUFS): readers" "$SPACE_LOG" | head -1
    [ "$n" -eq 1 ] || { echo "expected one 'is full (ENOBUFS)' ERROR line, the daemon logged $n"; return 1; }
    alive "$DPID" || { echo "the daemon died"; return 1; }
    echo "one ERROR line for the full cache ($(grep -c "is full (ENOBUFS) writing" "$SPACE_LOG") READs failed with ENOBUFS); daemon alive"
}
check space-full-one-log-line one_log_line

cached_still_served() {
    echo 3 >/proc/sys/vm/drop_caches
    verify_tree "$M/small" small || { echo "cached image read wrong or failed while the cache is full"; return 1; }
}
check space-full-cached-image-still-served cached_still_served

room_again() {
    rm -f /scratch/ballast; sync
    echo "free again: $(free_blocks) blocks"
    local want got; want=$(want_sha large big.bin)
    got=$(timeout 300 sha256sum "$M/large/big.bin" | cut -d' ' -f1) || { echo "big.bin still unreadable with room again"; return 1; }
    [ "$got" = "$want" ] || { echo "big.bin read with WRONG bytes after the cache had room again"; return 1; }
    echo 3 >/proc/sys/vm/drop_caches   # from the cache files this time: what was written before it filled is right too
    got=$(sha256sum "$M/large/big.bin" | cut -d' ' -f1)
    [ "$got" = "$want" ] || { echo "the cache file holds WRONG bytes"; return 1; }
    grep -q "has room again" "$SPACE_LOG" || { echo "no 'has room again' line"; return 1; }
    echo "room again: big.bin right ($(stat -c %s "$M/large/big.bin") bytes), from the daemon and from the cache file"
}
check space-room-again-reads-right room_again
umount "$M/large" "$M/small"
check space-daemon-stops stop_daemon

# --- 2: cachefiles.quota -------------------------------------------------------------------------------
QUOTA_LOG="$W/daemon-quota.log"
config "$W/qcache" ', "quota": "1MiB"' >"$W/config.json"
check quota-daemon-binds start_daemon quota || { echo "@@ABORT daemon did not start"; cat "$QUOTA_LOG"; exit 1; }
objects_of() { find "$W/qcache/cache" -type f -name "*$1*" 2>/dev/null; }
quota_culls_idle() {
    # A new object is an O_TMPFILE until its cookie is withdrawn (cachefiles_commit_tmpfile): only objects an
    # earlier mount left have names `inuse`/`cull` can take. So small is mounted twice, the second time from its file.
    mount_verify single "fsid=single" >/dev/null || return 1
    umount "$M/single"
    mount_verify small "fsid=small" >/dev/null || return 1
    umount "$M/small"
    mount_verify small "fsid=small" >/dev/null || return 1   # stays mounted: its object is in use
    [ -n "$(objects_of single)" ] && [ -n "$(objects_of small)" ] || { echo "object files not found: $(find "$W/qcache" -type f)"; return 1; }
    local end=$(( $(date +%s) + 150 ))   # a pass runs every 30 s
    while [ -n "$(objects_of single)" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 1; done
    [ -z "$(objects_of single)" ] || { echo "the idle image's object was not culled in 150 s"; return 1; }
    grep "culled" "$QUOTA_LOG" | head -3
    [ -n "$(objects_of small)" ] || { echo "the object of a MOUNTED image was culled"; return 1; }
    grep -q "above cachefiles.quota" "$QUOTA_LOG" || { echo "no warning that in-use objects keep the cache above its quota"; return 1; }
    echo 3 >/proc/sys/vm/drop_caches
    verify_tree "$M/small" small >/dev/null || { echo "the mounted image reads wrong after the cull"; return 1; }
    echo "idle object culled, in-use object kept ($(du -sb "$W/qcache/cache" | cut -f1) bytes left, quota 1 MiB)"
}
check quota-culls-idle-keeps-in-use quota_culls_idle
refetched_after_cull() {
    mount_verify single "fsid=single" || return 1
    umount "$M/single"   # links the new object's file into the cache (it is an O_TMPFILE until then)
    # The culled file is gone; only the daemon writes an on-demand object, so data in the new one was fetched again.
    local f; f=$(objects_of single)
    [ -n "$f" ] || { echo "no object file after the remount"; return 1; }
    local bytes; bytes=$(du -B1 $f | awk '{ s += $1 } END { print s + 0 }')
    [ "$bytes" -gt 0 ] || { echo "the new object file holds no data"; return 1; }
    echo "culled image mounted again: fetched again ($bytes bytes in its new object file), every file right"
}
check quota-culled-image-reads-right-again refetched_after_cull
umount "$M/small"
check quota-daemon-stops stop_daemon

# --- 3: a READ for an object the daemon never opened ---------------------------------------------------
ORPHAN_LOG="$W/daemon-orphan.log"
config "$W/ocache" "" >"$W/config.json"
orphan_read() {
    mkdir -p "$M/orphan" "$W/ocache"; rm -f "$W/orphan.ready"
    python3 "$HERE/orphan-exec.py" "$W/ocache" "$IMAGES/single/meta.erofs" "$M/orphan" "$W/orphan.ready" -- \
        "$JAVA" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$JAR" run --config "$W/config.json" \
        >"$ORPHAN_LOG" 2>&1 &
    DPID=$!
    local end=$(( $(date +%s) + 120 ))
    while [ ! -f "$W/orphan.ready" ] && alive "$DPID" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
    [ -f "$W/orphan.ready" ] || { echo "the stand-in never mounted:"; cat "$ORPHAN_LOG"; return 1; }
    local file=d0/sub0/f06-65536.bin rc t; t=$(date +%s.%N)
    timeout 400 cat "$M/orphan/$file" >"$W/orphan.out" 2>"$W/orphan.err"; rc=$?
    local s; s=$(since "$t")
    [ $rc -eq 124 ] && { echo "reader hung 400 s on the orphaned READ"; return 1; }
    grep -q "through orphaned anon fd" "$ORPHAN_LOG" || { echo "the daemon never completed a READ through an orphan:"; tail -20 "$ORPHAN_LOG"; return 1; }
    grep "through orphaned anon fd" "$ORPHAN_LOG" | head -1
    if [ $rc -eq 0 ]; then
        [ "$(sha256sum <"$W/orphan.out" | cut -d' ' -f1)" = "$(want_sha single $file)" ] || { echo "reader got WRONG bytes"; return 1; }
        echo "reader of the orphaned READ got the right bytes after $s s (the kernel re-opened the object)"
    else
        grep -q "Input/output error" "$W/orphan.err" || { echo "reader failed, but not with EIO: $(cat "$W/orphan.err")"; return 1; }
        echo "reader of the orphaned READ got EIO after $s s"
    fi
    echo 3 >/proc/sys/vm/drop_caches
    verify_tree "$M/orphan" single >/dev/null || { echo "the image does not read right after the orphan was closed"; return 1; }
    echo "orphaned READ completed (reader $( [ $rc -eq 0 ] && echo right bytes || echo EIO ) in $s s); re-opened object serves every file right"
}
check orphan-read-completed-through-inherited-fd orphan_read
umount "$M/orphan"
check orphan-daemon-stops stop_daemon

dump LOG space "$SPACE_LOG"
dump LOG quota "$QUOTA_LOG"
dump LOG orphan "$ORPHAN_LOG"
finish
