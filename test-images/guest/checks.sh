# checks.sh — sourced by the guest check scripts (cachefiles-e2e.sh, cachefiles-failover.sh): the check lines
# the JUnit side reads (kernel-tests GuestReport), and process helpers. Needs $W, a writable directory.
FAILED=0
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
# check NAME CMD... — runs CMD in this shell (it may start the daemon), prints
#   @@CHECK <name> PASS|FAIL <seconds> <detail>
# with CMD's output shown indented before it, its last line the detail; counts failures in FAILED.
check() {
    local name="$1"; shift
    local t rc; t=$(date +%s.%N)
    "$@" >"$W/check.out" 2>&1; rc=$?
    sed "s/^/  [$name] /" "$W/check.out"
    local detail; detail="$(tail -1 "$W/check.out")"
    if [ $rc -eq 0 ]; then echo "@@CHECK $name PASS $(since "$t") $detail"
    else echo "@@CHECK $name FAIL $(since "$t") $detail"; FAILED=$((FAILED + 1)); fi
    return $rc
}
alive() {   # alive PID — running and not a zombie waiting to be reaped
    local state; state=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}
