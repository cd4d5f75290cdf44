#!/bin/bash
# cachefiles-failover.sh JAR IMAGES HOLDER — runs INSIDE the test VM (test-images/vm-run), as root, with
# JAVA_HOME set. SIGKILL of `ondemandd run` while readers are blocked on cold data, on the real kernel:
#
#  failover   The daemon runs under HOLDER (test-images/fdstore-holder.py: systemd's fd store and restart on
#             failure). Each round mounts two fresh images (new fsids: cold cache) served from a slow HTTP
#             source, starts many readers of many files, SIGKILLs the daemon mid-read; the holder starts a new
#             one with the /dev/cachefiles fd, which writes `restore`; the kernel re-sends the requests (OPENs
#             with new object ids) and every reader must finish with the right sha256 and no error.
#  no-holder  The daemon runs alone. SIGKILL mid-read: every blocked reader must fail at once (the kernel
#             withdraws the cache: EIO or ENOBUFS) or finish with the right bytes, none may hang; the next
#             daemon binds again and serves the killed round's images, remounted, with the right bytes.
#  handover   A plain stop: the daemon runs under HOLDER with --restart always (`systemctl restart` as systemd
#             does it: SIGTERM, then a start with the fd store). Each round mounts the chunked image AT RUNTIME
#             over the control socket (no configured source matches its cookies: only the persisted mount state
#             tells the next daemon where its bytes are) and the small one from a configured source, starts the
#             readers and sends SIGTERM mid-read: the daemon hands over (answers nothing it has not fetched, exits
#             0), the next one takes the runtime mount back, writes restore, and every reader finishes right.
#  supervise  The hand-over rounds (at most 2) under `ondemandd supervise` instead of the holder: the supervisor
#             restarts a worker that exits 0 leaving its fds; SIGTERM to supervise itself is a full stop.
#
# Output as cachefiles-e2e.sh: one `@@CHECK <name> PASS|FAIL <seconds> <detail>` per round and per summary,
# the logs as @@LOG-BEGIN/@@LOG-END blocks (gzip + base64). Knobs (environment): VMTEST_FAILOVER_ROUNDS (20),
# VMTEST_HANDOVER_ROUNDS (the failover rounds, at most 5), VMTEST_FAILOVER_PARTS ("failover noholder handover
# supervise"),
# VMTEST_FAILOVER_DELAY (seconds per HTTP GET, 1), VMTEST_JAVA_OPTS.
set -u
JAR="$(realpath "$1")"; IMAGES="$(realpath "$2")"; HOLDER="$(realpath "$3")"
JAVA="${JAVA_HOME:?JAVA_HOME must point at a JDK 21+}/bin/java"
HERE="$(dirname "$(realpath "$0")")"
ROUNDS="${VMTEST_FAILOVER_ROUNDS:-20}"
HO_ROUNDS="${VMTEST_HANDOVER_ROUNDS:-$(( ROUNDS < 5 ? ROUNDS : 5 ))}"
PARTS=" ${VMTEST_FAILOVER_PARTS:-failover noholder handover supervise} "
part() { case "$PARTS" in *" $1 "*) return 0 ;; esac; return 1; }
DELAY="${VMTEST_FAILOVER_DELAY:-1}"
PORT=8766
W=/scratch/failover
M=$W/mnt                 # mountpoints
R=$W/readers             # one reader's .out/.end/.rc per file, cleared each round
READER_TIMEOUT=300       # a reader not done by then hangs (restarts under TCG take tens of seconds)
BLOCKED_ERROR_LIMIT=10   # no-holder: a blocked reader must fail (or finish) within this many seconds
FAILED_READ="Input/output error|No buffer space available"
mkdir -p "$W/cache" "$M" "$R"
cd /
echo 3 >/proc/sys/kernel/printk
echo "@@KERNEL $(uname -r)"
echo "kernel $(uname -r); images $IMAGES; jar $JAR; $ROUNDS rounds each; ${DELAY} s per GET"

. "$HERE/checks.sh"   # check, since, alive, elapsed, plus, larger, mean, dump, finish
T0=$(date +%s.%N)
bound() {   # an active cache is bound (fscache lists it with state A)
    grep -Eq ' A [^ ]+$' /proc/fs/netfs/caches 2>/dev/null
}

# --- the slow source and the configuration ---------------------------------------------------------------
python3 "$HERE/failover-slow-server.py" "$PORT" "$IMAGES" "$DELAY" 2>"$W/slow-server.log" &
SERVER=$!
for _ in $(seq 150); do (: </dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.2; done
cat >"$W/config.json" <<EOF
{"cachefiles": {"dir": "$W/cache"},
 "dispatcher": {"readDeadline": "120s"},
 "sources": [
  {"volume": "erofs,*", "cookie": "*-blob", "url": "http://127.0.0.1:$PORT/chunked/blob.img"},
  {"volume": "erofs,*", "cookie": "*-small", "url": "http://127.0.0.1:$PORT/small/meta.erofs"},
  {"volume": "erofs,*", "cookie": "*", "url": "http://127.0.0.1:$PORT/chunked/meta.erofs"}]}
EOF
# Every round mounts fsid=<name> (the chunked image, its blob as <name>-blob) and fsid=<name>-small (small
# files): 12 readers of one chunked file each, and 8 readers of 16 small files each (one small file is one
# READ of a page the kernel waits for: more of them would only make TCG rounds longer).
mkdir -p "$W/lists"
awk 'NR % 11 == 1' "$IMAGES/small/files.sha256" | head -128 >"$W/small.sha256"
split -n l/8 -d "$W/small.sha256" "$W/lists/small."
i=0
while IFS= read -r line; do printf '%s\n' "$line" >"$W/lists/chunked.$(printf %02d $i)"; i=$((i + 1)); done \
    <"$IMAGES/chunked/files.sha256"
list_bytes() {   # list_bytes IMAGE LIST — the bytes of the files a sha256 list names
    awk '{ print $2 }' "$2" | (cd "$IMAGES/$1/tree" && xargs -d '\n' stat -c %s) | awk '{ s += $1 } END { print s + 0 }'
}
TREE_BYTES=$(( $(list_bytes chunked "$IMAGES/chunked/files.sha256") + $(list_bytes small "$W/small.sha256") ))
TREE_FILES=$(( $(wc -l <"$IMAGES/chunked/files.sha256") + $(wc -l <"$W/small.sha256") ))

mount_pair() {   # mount_pair NAME — the two images of a round, bounded
    mkdir -p "$M/$1" "$M/$1-small"
    timeout 120 mount -t erofs none -o "fsid=$1,device=$1-blob" "$M/$1" || { echo "mount of $1 failed"; return 1; }
    timeout 120 mount -t erofs none -o "fsid=$1-small" "$M/$1-small" \
        || { umount "$M/$1"; echo "mount of $1-small failed"; return 1; }
}
umount_pair() {
    timeout 120 umount "$M/$1" "$M/$1-small" || { echo "umount of $1 failed"; return 1; }
}
start_readers() {   # start_readers NAME — every file of both images, one sha256sum -c per list, all at once
    rm -f "$R"/*
    local list dir
    for list in "$W"/lists/*; do
        case "$list" in *chunked.*) dir="$M/$1" ;; *) dir="$M/$1-small" ;; esac
        local id="${list##*/}"
        ( cd "$dir" && sha256sum --quiet --strict -c "$list" >"$R/$id.out" 2>&1; rc=$?
          echo "$EPOCHREALTIME" >"$R/$id.end"; echo $rc >"$R/$id.rc" ) &
    done
}
readers() { ls "$W/lists" | wc -l; }
running_readers() {   # the readers not done yet, one name a line
    local list
    for list in "$W"/lists/*; do [ -f "$R/${list##*/}.rc" ] || echo "${list##*/}"; done
}
wait_readers() {   # wait_readers SECONDS — until every reader is done; false if some still run then
    local end=$(( SECONDS + $1 ))
    while [ -n "$(running_readers)" ]; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.1
    done
}
failed_readers() {   # the readers whose sha256sum -c did not succeed, space-separated
    local f
    for f in "$R"/*.rc; do [ "$(cat "$f")" = 0 ] || { f="${f##*/}"; printf '%s ' "${f%.rc}"; }; done
}
wrong_bytes() {   # names the readers that read a file with the wrong sha256 (sha256sum: "<file>: FAILED")
    grep -l ': FAILED$' "$R"/*.out 2>/dev/null | sed 's|.*/||; s|\.out$||'
}
kill_delay() {   # 0.3 to 1.2 s after the readers start: within their first GETs, which take DELAY (1 s) each
    # (the daemon widens READs into large aligned fetches, so a cold read is a few GETs: a later kill finds few readers)
    awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.3 + 0.9 * r / 32767 }'
}
blocked_at() {   # blocked_at TIME — the readers still running at TIME (they ended after it), one name a line
    local end
    for end in "$R"/*.end; do
        awk -v t="$1" -v e="$(cat "$end")" 'BEGIN { exit !(e > t) }' && { end="${end##*/}"; echo "${end%.end}"; }
    done
}

# --- the JVM: one training run for an AOT cache, so that the 40 restarts below start faster ---------------
JAVA_OPTS="${VMTEST_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
DPID=""
start_daemon() {   # start_daemon LOG [JVM OPTIONS] — `ondemandd run` without a holder, waits until bound
    local log="$1" t=$(date +%s.%N); shift
    # shellcheck disable=SC2086
    "$JAVA" $JAVA_OPTS "$@" -jar "$JAR" run --config "$W/config.json" >>"$log" 2>&1 &
    DPID=$!
    local end=$(( SECONDS + 300 ))
    while [ $SECONDS -lt $end ]; do
        if [ "$(readlink /proc/$DPID/fd/* 2>/dev/null | grep -c '^/dev/cachefiles$')" -gt 0 ] && bound; then
            echo "daemon $DPID bound after $(since "$t") s"; return 0
        fi
        alive "$DPID" || { echo "daemon exited before binding:"; tail -20 "$log"; return 1; }
        sleep 0.1
    done
    echo "daemon did not bind within 300 s"; return 1
}
stop_daemon() {   # SIGTERM, bounded wait, exit status 0 (or 143) wanted
    kill -TERM "$DPID" 2>/dev/null
    local end=$(( SECONDS + 300 ))
    while alive "$DPID" && [ $SECONDS -lt $end ]; do sleep 0.2; done
    if alive "$DPID"; then kill -KILL "$DPID"; wait "$DPID"; echo "daemon still running 300 s after SIGTERM"; return 1; fi
    wait "$DPID"; local rc=$?
    [ $rc -eq 0 ] || [ $rc -eq 143 ] || { echo "daemon exited with status $rc"; return 1; }
    echo "daemon exited with status $rc"
}
wait_unbound() {   # after a daemon is gone: until the kernel has withdrawn its cache (a new bind needs that)
    local end=$(( SECONDS + 60 ))
    while bound; do [ $SECONDS -lt $end ] || { echo "the cache is still bound 60 s after the daemon died"; return 1; }; sleep 0.1; done
}
warm_up() {
    local aot="$W/ondemandd.aot"
    start_daemon "$W/daemon-warmup.log" -XX:AOTCacheOutput="$aot" || return 1
    mount_pair w0 || return 1
    local t=$(date +%s.%N)
    start_readers w0
    wait_readers "$READER_TIMEOUT" || { echo "readers of a plain cold read hang"; return 1; }
    local took; took=$(since "$t")
    local bad; bad=$(failed_readers)
    [ -z "$bad" ] || { echo "a cold read without a kill failed: $bad: $(cat "$R"/*.out | head -3)"; return 1; }
    umount_pair w0 || return 1
    stop_daemon || return 1
    wait_unbound || return 1
    if [ -s "$aot" ]; then JAVA_OPTS="$JAVA_OPTS -XX:AOTCache=$aot"; fi
    echo "cold read of both images ($TREE_FILES files, $TREE_BYTES bytes) by $(readers) readers in $took s;" \
        "AOT cache $( [ -s "$aot" ] && echo "$(stat -c %s "$aot") bytes" || echo "not written")"
}
check warm-up warm_up || { echo "@@ABORT the daemon does not serve the slow source"; cat "$W/daemon-warmup.log"; exit 1; }

# --- failover: the holder keeps /dev/cachefiles across SIGKILL ---------------------------------------------
HLOG="$W/holder.log"; DLOG="$W/daemon-holder.log"; PIDFILE="$W/daemon.pid"
holder_ready_time() {   # holder_ready_time PID — unix time of the holder's "pid PID is ready" line, if any
    awk -v p="$1" '$3 == "pid" && $4 == p && $5 == "is" && $6 == "ready" { print $2; exit }' "$HLOG"
}
start_holder() {   # start_holder [CONFIG [HOLDER OPTIONS...]]
    local t=$(date +%s.%N) config="${1:-$W/config.json}"; shift
    # shellcheck disable=SC2086
    python3 "$HOLDER" --pid-file "$PIDFILE" --output "$DLOG" --timeout-start-sec 300 --timeout-stop-sec 120 "$@" \
        -- "$JAVA" $JAVA_OPTS -jar "$JAR" run --config "$config" 2>"$HLOG" &
    HOLDER_PID=$!
    local end=$(( SECONDS + 300 ))
    while [ $SECONDS -lt $end ]; do
        [ -s "$PIDFILE" ] && [ -n "$(holder_ready_time "$(cat "$PIDFILE")")" ] && grep -q "stored fd 'cachefiles'" "$HLOG" \
            && { echo "daemon $(cat "$PIDFILE") ready under the holder after $(since "$t") s; it stored the device fd"; return 0; }
        alive "$HOLDER_PID" || { echo "the holder exited"; tail -5 "$HLOG"; return 1; }
        sleep 0.1
    done
    echo "the daemon was not ready under the holder within 300 s"; tail -5 "$HLOG"; return 1
}
await_successor() {   # await_successor OLD-PID — sets new and ready: the holder's next daemon said READY=1
    new=""; ready=""
    local end=$(( SECONDS + READER_TIMEOUT ))
    while [ $SECONDS -lt $end ]; do
        new=$(cat "$PIDFILE" 2>/dev/null)
        if [ -n "$new" ] && [ "$new" != "$1" ]; then ready=$(holder_ready_time "$new"); [ -n "$ready" ] && return 0; fi
        alive "$HOLDER_PID" || { echo "the holder exited"; tail -5 "$HLOG"; return 1; }
        sleep 0.1
    done
    echo "no new daemon was ready within $READER_TIMEOUT s of the signal"; tail -5 "$HLOG"; return 1
}
# count_round PREFIX BLOCKED RESTART — one more passed round of a part (FO kill, HO hand-over) in its
# PREFIX_PASSED, _BLOCKED, _BYTES (the whole tree verified), _RESTART_SUM and _RESTART_MAX
count_round() {
    local v
    v="$1_PASSED"; printf -v "$v" %s $(( ${!v} + 1 ))
    v="$1_BLOCKED"; printf -v "$v" %s $(( ${!v} + $2 ))
    v="$1_BYTES"; printf -v "$v" %s $(( ${!v} + TREE_BYTES ))
    v="$1_RESTART_SUM"; printf -v "$v" %s "$(plus "${!v}" "$3")"
    v="$1_RESTART_MAX"; printf -v "$v" %s "$(larger "${!v}" "$3")"
}
FO_RESTART_MAX=0; FO_RESTART_SUM=0; FO_DONE_MAX=0; FO_BLOCKED=0; FO_BYTES=0; FO_PASSED=0; FO_REOPENS=0
failover_round() {
    local r="$1" name="a$1"
    mount_pair "$name" || return 1
    start_readers "$name"
    sleep "$(kill_delay)"
    local old; old=$(cat "$PIDFILE")
    local lines_before; lines_before=$(wc -l <"$DLOG")
    local tk=$EPOCHREALTIME
    kill -KILL "$old"
    # the holder starts a new daemon with the device fd; it writes restore and says READY=1
    local new ready
    await_successor "$old" || return 1
    wait_readers "$READER_TIMEOUT" || { echo "readers still blocked $READER_TIMEOUT s after the kill: $(running_readers | tr '\n' ' ')"; return 1; }
    local blocked; blocked=$(blocked_at "$tk" | grep -c .)
    [ "$blocked" -gt 0 ] || { echo "every reader had finished before the kill: the round tested nothing"; return 1; }
    local done_at; done_at=$(cat "$R"/*.end | sort -n | tail -1)
    local wrong; wrong=$(wrong_bytes)
    [ -z "$wrong" ] || { echo "WRONG bytes read by: $wrong"; return 1; }
    local failed; failed=$(failed_readers)
    [ -z "$failed" ] || { echo "readers saw an error: $failed: $(cat "$R/${failed%% *}.out" | head -2 | tr '\n' ' ')"; return 1; }
    # what the new daemon logged: restore, and the OPENs the kernel re-sent (new object ids) for this round
    tail -n +"$((lines_before + 1))" "$DLOG" >"$W/round.log"
    grep -q 'wrote restore' "$W/round.log" || { echo "the new daemon did not write restore"; return 1; }
    local reopens; reopens=$(grep ' OPEN object_id ' "$W/round.log" | grep -cE " erofs,$name(-small)?/")
    umount_pair "$name" || return 1
    local restart; restart=$(elapsed "$tk" "$ready")
    local done; done=$(elapsed "$tk" "$done_at")
    count_round FO "$blocked" "$restart"
    FO_REOPENS=$((FO_REOPENS + reopens))
    FO_DONE_MAX=$(larger "$FO_DONE_MAX" "$done")
    echo "round $r: $blocked of $(readers) readers blocked at SIGKILL of $old; daemon $new READY ${restart} s later" \
        "(restore, $reopens OPENs re-sent for the round's objects); all readers right ${done} s after the kill," \
        "$TREE_BYTES bytes verified"
}
failover_rounds() {
    [ "$FO_PASSED" -eq "$ROUNDS" ] || { echo "$FO_PASSED of $ROUNDS rounds passed"; return 1; }
    [ "$FO_BLOCKED" -gt 0 ] || { echo "no reader was ever blocked at a kill: the test did not test"; return 1; }
    echo "$ROUNDS rounds, $FO_BLOCKED readers blocked at the kills, none saw an error; $FO_BYTES bytes verified;" \
        "restart (SIGKILL to READY) mean $(mean "$FO_RESTART_SUM" "$ROUNDS") s," \
        "max $FO_RESTART_MAX s; readers done at most $FO_DONE_MAX s after a kill; $FO_REOPENS OPENs re-sent"
}
stop_holder() {
    kill -TERM "$HOLDER_PID"
    local end=$(( SECONDS + 180 ))
    while alive "$HOLDER_PID" && [ $SECONDS -lt $end ]; do sleep 0.2; done
    alive "$HOLDER_PID" && { echo "the holder still runs 180 s after SIGTERM"; return 1; }
    wait "$HOLDER_PID"; local rc=$?
    wait_unbound || return 1
    [ $rc -eq 0 ] || { echo "the holder exited with status $rc"; tail -5 "$HLOG"; return 1; }
    echo "holder and daemon stopped (status 0), the fd store released and the cache unbound"
}
TF=$(date +%s.%N)
if part failover; then
    if check failover-holder-starts start_holder; then
        for r in $(seq "$ROUNDS"); do check "failover-round-$(printf %02d "$r")" failover_round "$r" || break; done
        check failover-holder-stops stop_holder
    fi
    check failover-rounds failover_rounds
    echo "failover part: $(since "$TF") s"
fi

# --- no holder: SIGKILL fails the blocked readers at once; a new daemon serves again -----------------------
NLOG="$W/daemon-noholder.log"
NH_GONE_MAX=0; NH_PASSED=0; NH_BLOCKED=0; NH_ERRORS=0; NH_COMPLETED=0; NH_MAX=0; NH_BYTES=0; NH_EIO=0; NH_ENOBUFS=0
verify_pair() {   # verify_pair NAME — a remount of NAME's images reads every file right
    mount_pair "$1" || return 1
    (cd "$M/$1" && sha256sum --quiet --strict -c "$IMAGES/chunked/files.sha256") \
        && (cd "$M/$1-small" && sha256sum --quiet --strict -c "$W/small.sha256") \
        || { umount_pair "$1"; echo "the remount of $1 read wrong bytes or failed"; return 1; }
    umount_pair "$1"
}
noholder_round() {
    local r="$1" name="b$1"
    start_daemon "$NLOG" >/dev/null || { echo "round $r: a new daemon did not bind after the last kill"; return 1; }
    if [ "$r" -gt 1 ]; then
        verify_pair "b$((r - 1))" || return 1
        NH_BYTES=$((NH_BYTES + TREE_BYTES))
    fi
    mount_pair "$name" || return 1
    start_readers "$name"
    sleep "$(kill_delay)"
    local tk=$EPOCHREALTIME
    kill -KILL "$DPID"
    wait "$DPID" 2>/dev/null
    # reaped only after the kernel closed its fds (exit_files comes before exit_notify): the JVM's teardown
    local gone; gone=$(elapsed "$tk" "$EPOCHREALTIME" 3)
    wait_readers 120 || { echo "readers HANG after SIGKILL: $(running_readers | tr '\n' ' ')"; return 1; }
    local wrong; wrong=$(wrong_bytes)
    [ -z "$wrong" ] || { echo "WRONG bytes read by: $wrong"; return 1; }
    local blocked; blocked=$(blocked_at "$tk")
    [ -n "$blocked" ] || { echo "every reader had finished before the kill: the round tested nothing"; return 1; }
    local id max=0 errors=0 completed=0 eio=0 enobufs=0
    for id in $blocked; do
        local lat; lat=$(elapsed "$tk" "$(cat "$R/$id.end")" 3)
        max=$(larger "$max" "$lat")
        if [ "$(cat "$R/$id.rc")" = 0 ]; then completed=$((completed + 1)); continue; fi
        grep -Eq "$FAILED_READ" "$R/$id.out" || { echo "reader $id failed without EIO/ENOBUFS: $(head -2 "$R/$id.out")"; return 1; }
        errors=$((errors + 1))
        grep -q "Input/output error" "$R/$id.out" && eio=$((eio + 1))
        grep -q "No buffer space available" "$R/$id.out" && enobufs=$((enobufs + 1))
    done
    umount_pair "$name" || return 1
    wait_unbound || return 1
    local n; n=$(echo "$blocked" | grep -c .)
    awk -v m="$max" -v l="$BLOCKED_ERROR_LIMIT" 'BEGIN { exit !(m <= l) }' \
        || { echo "a blocked reader took $max s to return after SIGKILL (limit $BLOCKED_ERROR_LIMIT s)"; return 1; }
    NH_PASSED=$((NH_PASSED + 1)); NH_BLOCKED=$((NH_BLOCKED + n)); NH_ERRORS=$((NH_ERRORS + errors))
    NH_COMPLETED=$((NH_COMPLETED + completed)); NH_EIO=$((NH_EIO + eio)); NH_ENOBUFS=$((NH_ENOBUFS + enobufs))
    NH_MAX=$(larger "$NH_MAX" "$max")
    NH_GONE_MAX=$(larger "$NH_GONE_MAX" "$gone")
    echo "round $r: $n of $(readers) readers blocked at SIGKILL: $errors failed (EIO $eio, ENOBUFS $enobufs)," \
        "$completed finished right, the last ${max} s after the kill (the process was reaped ${gone} s after it)$( [ "$r" -gt 1 ] && echo "; round $((r - 1))'s images right after a remount")"
}
final_remount() {
    start_daemon "$NLOG" >/dev/null || { echo "a new daemon did not bind after the last kill"; return 1; }
    verify_pair "b$ROUNDS" || return 1
    NH_BYTES=$((NH_BYTES + TREE_BYTES))
    stop_daemon >/dev/null || { echo "the last daemon did not stop cleanly"; return 1; }
    echo "the last killed round's images read right from a new daemon; it stopped cleanly"
}
noholder_rounds() {
    [ "$NH_PASSED" -eq "$ROUNDS" ] || { echo "$NH_PASSED of $ROUNDS rounds passed"; return 1; }
    [ "$NH_BLOCKED" -gt 0 ] || { echo "no reader was ever blocked at a kill: the test did not test"; return 1; }
    echo "$ROUNDS rounds, $NH_BLOCKED readers blocked at the kills: $NH_ERRORS failed (EIO $NH_EIO, ENOBUFS" \
        "$NH_ENOBUFS), $NH_COMPLETED finished right, none hung; slowest return after SIGKILL $NH_MAX s (reaping the" \
        "killed JVM took up to $NH_GONE_MAX s);" \
        "$NH_BYTES bytes verified after remounts by new daemons"
}
TN=$(date +%s.%N)
if part noholder; then
    for r in $(seq "$ROUNDS"); do check "noholder-round-$(printf %02d "$r")" noholder_round "$r" || break; done
    [ "$NH_PASSED" -eq "$ROUNDS" ] && check noholder-final-remount final_remount
    check noholder-rounds noholder_rounds
    echo "no-holder part: $(since "$TN") s"
fi

# --- hand-over: SIGTERM with the fd held; a runtime-mounted image survives it ------------------------------
HW=$W/handover; SOCK=$HW/control.sock; STATE=$HW/cache/ondemandd-mounts.json
HLOG="$HW/holder.log"; DLOG="$HW/daemon.log"; PIDFILE="$HW/daemon.pid"
mkdir -p "$HW/cache"
# only the small image has a configured source; the chunked one is mounted at runtime, its sources persisted.
# Two fetch slots for 20 readers: at SIGTERM most READs wait in the daemon's queue, which a hand-over leaves to
# the kernel (with many slots every READ it had read is already being fetched, and finishes before it exits).
cat >"$HW/config.json" <<EOF
{"cachefiles": {"dir": "$HW/cache"},
 "dispatcher": {"readDeadline": "120s", "concurrency": 2},
 "control": {"socket": "$SOCK"},
 "sources": [{"volume": "erofs,*", "cookie": "*-small", "url": "http://127.0.0.1:$PORT/small/meta.erofs"}]}
EOF
control() {   # control JSON — one request over the control socket (no JVM start); prints the reply line
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(300); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n"); print(s.makefile().readline().strip())' "$SOCK" "$1"
}
ok_reply() { case "$1" in *'"ok":true'*) return 0 ;; esac; return 1; }
mount_runtime_pair() {   # mount_runtime_pair NAME — chunked at runtime (fsid NAME), small through the configuration
    mkdir -p "$M/$1" "$M/$1-small"
    local url="http://127.0.0.1:$PORT/chunked" reply
    reply=$(control "{\"cmd\": \"mount\", \"meta\": \"$url/meta.erofs\", \"blobs\": [\"$url/blob.img\"], \"mountpoint\": \"$M/$1\", \"fsid\": \"$1\"}")
    ok_reply "$reply" || { echo "runtime mount of $1 failed: $reply"; return 1; }
    grep -q "\"$M/$1\"" "$STATE" || { echo "$STATE does not list $M/$1: $(cat "$STATE" 2>&1)"; return 1; }
    timeout 120 mount -t erofs none -o "fsid=$1-small" "$M/$1-small" \
        || { control "{\"cmd\": \"umount\", \"mountpoint\": \"$M/$1\"}"; echo "mount of $1-small failed"; return 1; }
}
umount_runtime_pair() {
    local reply; reply=$(control "{\"cmd\": \"umount\", \"mountpoint\": \"$M/$1\"}")
    ok_reply "$reply" || { echo "runtime umount of $1 failed: $reply"; return 1; }
    if grep -q "\"$M/$1\"" "$STATE"; then echo "$STATE still lists $M/$1 after its umount"; return 1; fi
    timeout 120 umount "$M/$1-small" || { echo "umount of $1-small failed"; return 1; }
}
await_control() {   # the daemon's control socket answers (it comes up right before READY=1)
    local end=$(( SECONDS + 120 ))
    until ok_reply "$(control '{"cmd": "status"}' 2>/dev/null)"; do
        [ $SECONDS -lt $end ] || { echo "the control socket does not answer"; return 1; }
        sleep 0.2
    done
    echo "control socket $SOCK answers"
}
# how the rounds see the process that keeps the fds (redefined for supervise below)
worker_pid() { cat "$PIDFILE"; }
exited_clean() { grep -q "pid $1 exited with status 0" "$HLOG"; }
exited_at() {   # exited_at PID — unix time of the holder's "pid PID exited" line
    awk -v p="$1" '$3 == "pid" && $4 == p && $5 == "exited" { print $2; exit }' "$HLOG"
}
HO_PASSED=0; HO_BLOCKED=0; HO_LEFT=0; HO_BYTES=0; HO_RESTART_SUM=0; HO_RESTART_MAX=0; HO_STOP_MAX=0
handover_round() {
    local r="$1" name="h$1"
    mount_runtime_pair "$name" || return 1
    start_readers "$name"
    sleep "$(kill_delay)"
    local old; old=$(worker_pid)
    local lines_before; lines_before=$(wc -l <"$DLOG")
    local tk=$EPOCHREALTIME
    kill -TERM "$old"
    await_successor "$old" || return 1
    wait_readers "$READER_TIMEOUT" || { echo "readers still blocked $READER_TIMEOUT s after SIGTERM: $(running_readers | tr '\n' ' ')"; return 1; }
    local blocked; blocked=$(blocked_at "$tk" | grep -c .)
    [ "$blocked" -gt 0 ] || { echo "every reader had finished before SIGTERM: the round tested nothing"; return 1; }
    local wrong; wrong=$(wrong_bytes)
    [ -z "$wrong" ] || { echo "WRONG bytes read by: $wrong"; return 1; }
    local failed; failed=$(failed_readers)
    [ -z "$failed" ] || { echo "readers saw an error: $failed: $(head -2 "$R/${failed%% *}.out" | tr '\n' ' ')"; return 1; }
    tail -n +"$((lines_before + 1))" "$DLOG" >"$W/round.log"
    local stopline; stopline=$(grep -m1 'stop mode: ' "$W/round.log")
    case "$stopline" in *'stop mode: hand-over'*) ;; *) echo "the daemon did not hand over: ${stopline:-no stop line}"; return 1 ;; esac
    exited_clean "$old" || { echo "daemon $old did not exit 0: $(grep "pid $old " "$HLOG" | tail -1)"; return 1; }
    grep -q 'wrote restore' "$W/round.log" || { echo "the new daemon did not write restore"; return 1; }
    grep -q 'runtime mounts: 1 listed .* 1 still mounted and taken back' "$W/round.log" \
        || { echo "the new daemon did not take the runtime mount back: $(grep 'runtime mount' "$W/round.log" | head -2)"; return 1; }
    local reads opens
    reads=$(sed -n 's/.*stop mode: hand-over ([^)]*): \([0-9]*\) READ(s) and \([0-9]*\) OPEN.*/\1/p' <<<"$stopline")
    opens=$(sed -n 's/.*stop mode: hand-over ([^)]*): \([0-9]*\) READ(s) and \([0-9]*\) OPEN.*/\2/p' <<<"$stopline")
    local stopped; stopped=$(elapsed "$tk" "$(exited_at "$old")")
    await_control >/dev/null || return 1
    umount_runtime_pair "$name" || return 1
    local restart; restart=$(elapsed "$tk" "$ready")
    count_round HO "$blocked" "$restart"
    HO_LEFT=$((HO_LEFT + ${reads:-0}))
    HO_STOP_MAX=$(larger "$HO_STOP_MAX" "$stopped")
    echo "round $r: $blocked of $(readers) readers blocked at SIGTERM of $old; it exited 0 ${stopped} s later" \
        "leaving $reads READ(s) and $opens OPEN(s); daemon $new READY ${restart} s after SIGTERM, took the runtime" \
        "mount back and wrote restore; all readers right, $TREE_BYTES bytes verified"
}
handover_rounds() {
    [ "$HO_PASSED" -eq "$HO_ROUNDS" ] || { echo "$HO_PASSED of $HO_ROUNDS rounds passed"; return 1; }
    [ "$HO_BLOCKED" -gt 0 ] || { echo "no reader was ever blocked at a SIGTERM: the test did not test"; return 1; }
    [ "$HO_LEFT" -gt 0 ] || { echo "no daemon ever left a READ to its successor: the hand-over was never tested"; return 1; }
    echo "$HO_ROUNDS rounds, $HO_BLOCKED readers blocked at SIGTERM, none saw an error; $HO_LEFT READs left to" \
        "successors; $HO_BYTES bytes verified; SIGTERM to exit max $HO_STOP_MAX s; SIGTERM to READY mean" \
        "$(mean "$HO_RESTART_SUM" "$HO_ROUNDS") s, max $HO_RESTART_MAX s"
}
TH=$(date +%s.%N)
if part handover; then
    if check handover-holder-starts start_holder "$HW/config.json" --restart always && check handover-control await_control; then
        for r in $(seq "$HO_ROUNDS"); do check "handover-round-$(printf %02d "$r")" handover_round "$r" || break; done
        check handover-holder-stops stop_holder
    fi
    check handover-rounds handover_rounds
    echo "handover part: $(since "$TH") s"
fi

# --- supervise: the same rounds with `ondemandd supervise` holding the device fd --------------------------
# supervise logs through the daemon's logger (ISO times); the worker's output goes to the same file.
SW=$W/supervise; SLOG=$SW/supervise.log
HLOG=$SLOG; DLOG=$SLOG
mkdir -p "$SW/run"; : >"$SLOG"
iso_time() { date -d "$1" +%s.%N; }
worker_pid() { sed -n 's/.*supervise: worker pid \([0-9]*\) is ready.*/\1/p' "$SLOG" | tail -1; }
exited_clean() { grep -q "supervise: worker pid $1 exited 0 .*(a hand-over)" "$SLOG"; }
exited_at() { iso_time "$(grep -m1 "supervise: worker pid $1 exited" "$SLOG" | cut -d' ' -f1)"; }
await_successor() {   # await_successor OLD-PID — sets new and ready: the supervisor's next worker is ready
    new=""; ready=""
    local end=$(( SECONDS + READER_TIMEOUT ))
    while [ $SECONDS -lt $end ]; do
        new=$(worker_pid)
        if [ -n "$new" ] && [ "$new" != "$1" ]; then
            ready=$(iso_time "$(grep -m1 "supervise: worker pid $new is ready" "$SLOG" | cut -d' ' -f1)"); return 0
        fi
        alive "$SUP_PID" || { echo "supervise exited"; tail -5 "$SLOG"; return 1; }
        sleep 0.1
    done
    echo "no new worker was ready within $READER_TIMEOUT s of the signal"; tail -5 "$SLOG"; return 1
}
start_supervise() {
    local t=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$JAVA" $JAVA_OPTS -jar "$JAR" supervise --restart-delay 100ms --runtime-dir "$SW/run" \
        -- run --config "$HW/config.json" >>"$SLOG" 2>&1 &
    SUP_PID=$!
    local end=$(( SECONDS + 300 ))
    until [ -n "$(worker_pid)" ] && grep -q "holding 1 fd(s) named cachefiles" "$SLOG"; do
        [ $SECONDS -lt $end ] || { echo "no worker ready under supervise within 300 s"; tail -5 "$SLOG"; return 1; }
        alive "$SUP_PID" || { echo "supervise exited"; tail -5 "$SLOG"; return 1; }
        sleep 0.1
    done
    echo "worker $(worker_pid) ready under supervise $SUP_PID after $(since "$t") s; it holds the device fd"
}
stop_supervise() {   # SIGTERM to supervise: its worker stops in full (the holder goes too), the cache unbinds
    kill -TERM "$SUP_PID"
    local end=$(( SECONDS + 180 ))
    while alive "$SUP_PID" && [ $SECONDS -lt $end ]; do sleep 0.2; done
    alive "$SUP_PID" && { echo "supervise still runs 180 s after SIGTERM"; return 1; }
    wait "$SUP_PID"; local rc=$?
    [ $rc -eq 0 ] || { echo "supervise exited with status $rc"; tail -5 "$SLOG"; return 1; }
    grep -q 'stop mode: full (the fd holder is stopping too)' "$SLOG" \
        || { echo "the worker did not stop in full: $(grep 'stop mode' "$SLOG" | tail -1)"; return 1; }
    wait_unbound || return 1
    echo "supervise and its worker stopped (status 0, a full stop), the cache unbound"
}
TS=$(date +%s.%N)
if part supervise; then
    HO_ROUNDS=$(( HO_ROUNDS < 2 ? HO_ROUNDS : 2 ))
    HO_PASSED=0; HO_BLOCKED=0; HO_LEFT=0; HO_BYTES=0; HO_RESTART_SUM=0; HO_RESTART_MAX=0; HO_STOP_MAX=0
    if check supervise-starts start_supervise && check supervise-control await_control; then
        for r in $(seq "$HO_ROUNDS"); do check "supervise-round-$(printf %02d "$r")" handover_round "$((r + 10))" || break; done
        check supervise-stops stop_supervise
    fi
    check supervise-rounds handover_rounds
    echo "supervise part: $(since "$TS") s"
fi

kill -USR1 "$SERVER" 2>/dev/null; sleep 0.2; kill "$SERVER" 2>/dev/null
dump LOG holder "$W/holder.log"
dump LOG daemon-holder "$W/daemon-holder.log"
dump LOG handover-holder "$HW/holder.log"
dump LOG daemon-handover "$HW/daemon.log"
dump LOG supervise "$SLOG"
dump LOG daemon-noholder "$NLOG"
dump LOG daemon-warmup "$W/daemon-warmup.log"
dump LOG slow-server "$W/slow-server.log"
finish
