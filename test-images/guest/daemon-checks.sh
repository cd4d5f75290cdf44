# daemon-checks.sh — sourced by the guest scripts (cachefiles-e2e.sh, cachefiles-mount.sh) inside the test VM.
# Needs W (work dir), JAVA, JAR, IMAGES set; gives checks.sh (the @@CHECK lines the JUnit side reads) and the
# daemon helpers: start_daemon NAME serves $W/config.json with `ondemandd run` until /dev/cachefiles is bound.
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/checks.sh"   # check, since, alive
T0=$(date +%s.%N)
DPID=""
start_daemon() {   # start_daemon NAME — starts `ondemandd run`, waits until the cache is bound
    local name="$1" t; t=$(date +%s.%N)
    # C1 only and the serial GC: under TCG, C2 compiler threads and a parallel GC only steal the 2 vCPUs.
    "$JAVA" ${VMTEST_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC} -jar "$JAR" run --config "$W/config.json" --record-trace "$W/trace-$name.jsonl" \
        >"$W/daemon-$name.log" 2>&1 &
    DPID=$!
    local end=$(( $(date +%s) + 300 ))
    while [ "$(date +%s)" -lt "$end" ]; do
        # bound: the daemon holds /dev/cachefiles and fscache lists an active cache
        if [ "$(readlink /proc/$DPID/fd/* 2>/dev/null | grep -c '^/dev/cachefiles$')" -gt 0 ] \
                && grep -Eq ' A [^ ]+$' /proc/fs/netfs/caches 2>/dev/null; then
            echo "daemon $DPID bound after $(since "$t") s"; return 0
        fi
        alive "$DPID" || { echo "daemon exited before binding:"; tail -20 "$W/daemon-$name.log"; return 1; }
        sleep 0.2
    done
    echo "daemon did not bind within 300 s"; return 1
}
stop_daemon() {   # stop_daemon — SIGTERM, waits (bounded) and reports the exit status
    kill -TERM "$DPID" 2>/dev/null
    local end=$(( $(date +%s) + 60 ))
    while alive "$DPID" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
    if alive "$DPID"; then echo "daemon still running 60 s after SIGTERM"; kill -KILL "$DPID"; wait "$DPID"; return 1; fi
    wait "$DPID"; local rc=$?
    echo "daemon exited with status $rc"
    [ $rc -eq 0 ] || [ $rc -eq 143 ]
}
anon_fds() {   # the daemon's anonymous cachefiles object fds (one per open object)
    ls -l "/proc/$DPID/fd" 2>/dev/null | grep -c 'anon_inode:\[cachefiles\]'
}
wait_anon_fds() {   # wait_anon_fds N — waits up to 20 s for the count to reach N
    local n end=$(( $(date +%s) + 20 ))
    while :; do
        n=$(anon_fds); [ "$n" = "$1" ] && { echo "$n anon fds"; return 0; }
        [ "$(date +%s)" -lt "$end" ] || break
        sleep 0.2
    done
    echo "expected $1 anon fds, daemon holds $n"; return 1
}
mount_image() {   # mount_image DIR OPTIONS — bounded: a mount the daemon never answers must not hang the run
    mkdir -p "$1"
    timeout 60 mount -t erofs none -o "$2" "$1"
}
verify_tree() {   # verify_tree DIR IMAGE — every file's sha256 against the source tree's
    local n; n=$(wc -l <"$IMAGES/$2/files.sha256")
    (cd "$1" && sha256sum --quiet --strict -c "$IMAGES/$2/files.sha256") || return 1
    local bytes; bytes=$(du -sb "$IMAGES/$2/tree" | cut -f1)
    echo "$n files, $bytes bytes verified"
}
