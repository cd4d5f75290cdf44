# checks.sh — sourced by every guest check script (directly or through daemon-checks.sh): the check lines
# the JUnit side reads (kernel-tests GuestReport), and process helpers. Needs $W, a writable directory.
FAILED=0
# Arithmetic on seconds with fractions (bash has integers only):
elapsed() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { printf("%." d "f", b - a) }'; }   # elapsed FROM TO [DECIMALS]
since() { elapsed "$1" "$(date +%s.%N)"; }
plus() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
larger() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > a ? b : a) }'; }
mean() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.1f", s / n }'; }   # mean SUM COUNT
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
dump() {   # dump KIND NAME FILE — a file out through the console for GuestReport (KIND: TRACE or LOG), gzip+base64
    [ -f "$3" ] || return 0
    echo "@@$1-BEGIN $2"; gzip -9c "$3" | base64 -w 76; echo "@@$1-END $2"
}
finish() {   # finish — the last lines of a guest script: the kernel's log out, the summary; fails if a check did
    dmesg >"$W/dmesg.log"; dump LOG kernel "$W/dmesg.log"
    echo "total $(since "$T0") s in the guest; $FAILED checks failed"
    [ "$FAILED" -eq 0 ]
}
