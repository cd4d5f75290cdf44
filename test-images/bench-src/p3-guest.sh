#!/bin/bash
# p3-guest.sh JAR IMAGES CDAEMON [ROUNDS] — benchmark P3, run INSIDE the test VM (test-images/vm-run) as root:
# a cold read of the make-images `large` image's biggest file through /dev/cachefiles (EROFS in fscache mode),
# served once by CDAEMON (bench-src/cachefiles-copy.c) and once by `ondemandd run`, ROUNDS times (default 3),
# alternating, each from an empty cache. Both read the same local source, pre-read into the page cache.
# Prints "@@P3 cdaemon|ondemandd <MiB/s>" per round, "@@P3-FAIL <why>" on a failure.
set -u
JAR="$1"; IMAGES="$2"; CDAEMON="$3"; ROUNDS="${4:-3}"
JAVA="${JAVA_HOME:?JAVA_HOME must point at a JDK 21+}/bin/java"
W=/scratch/p3
META="$IMAGES/large/meta.erofs"; BLOB="$IMAGES/large/blob.img"
MNT="$W/mnt"   # the host's root, shared read-only, holds /mnt
mkdir -p "$W" "$MNT"
read -r FILE SIZE SHA <<<"$(python3 -c 'import json,sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
f = max(next(i for i in m["images"] if i["name"] == "large")["files"], key=lambda f: f["size"])
print(f["path"], f["size"], f["sha256"])' "$IMAGES")"
cat "$META" "$BLOB" >/dev/null
printf '{"cachefiles": {"dir": "%s/cache"},\n "sources": [{"volume": "erofs,*", "cookie": "large", "url": "file://%s"},\n  {"volume": "erofs,*", "cookie": "large-blob", "url": "file://%s"}]}\n' \
    "$W" "$META" "$BLOB" >"$W/config.json"

fail() { echo "@@P3-FAIL $*"; exit 1; }
bound() {   # bound PID LOG — waits until PID holds /dev/cachefiles and fscache lists an active cache
    local i
    for ((i = 0; i < 1200; i++)); do
        if [ "$(readlink /proc/"$1"/fd/* 2>/dev/null | grep -c '^/dev/cachefiles$')" -gt 0 ] \
                && grep -Eq ' A [^ ]+$' /proc/fs/netfs/caches 2>/dev/null; then
            return 0
        fi
        kill -0 "$1" 2>/dev/null || fail "daemon exited before binding: $(tail -3 "$2")"
        sleep 0.05
    done
    fail "daemon did not bind within 60 s"
}
timed_read() {   # prints MiB/s of one cold read of FILE; fails on wrong bytes
    local start end got
    timeout 120 mount -t erofs none -o fsid=large,device=large-blob "$MNT" || fail "mount failed"
    start=$(date +%s%N)
    got="$(sha256sum <"$MNT/$FILE" | cut -d' ' -f1)"
    end=$(date +%s%N)
    umount "$MNT"
    [ "$got" = "$SHA" ] || fail "read back wrong bytes"
    awk -v b="$SIZE" -v ns="$((end - start))" 'BEGIN { printf "%.1f", b / 1048576 / (ns / 1e9) }'
}
round() {   # round NAME COMMAND... — serves one cold read with COMMAND as the daemon
    local name="$1"; shift
    rm -rf "$W/cache"; mkdir -p "$W/cache"
    "$@" >"$W/$name.log" 2>&1 &
    local pid=$!
    bound "$pid" "$W/$name.log"
    echo "@@P3 $name $(timed_read)"
    kill -TERM "$pid"; wait "$pid" 2>/dev/null
    # the cache is withdrawn once the device is closed; wait for it before the next daemon binds
    for _ in $(seq 100); do grep -Eq ' A [^ ]+$' /proc/fs/netfs/caches 2>/dev/null || break; sleep 0.05; done
}
echo "@@P3-FILE $FILE $SIZE bytes; kernel $(uname -r); $(nproc) vCPUs"
for _ in $(seq "$ROUNDS"); do
    round cdaemon "$CDAEMON" "$W/cache" p3 "large=$META" "large-blob=$BLOB"
    round ondemandd "$JAVA" -jar "$JAR" run --config "$W/config.json"
done
