#!/usr/bin/env bash
# Checks the unit the way systemd will read it: installs into a scratch root (with a copy of the host's
# systemd units, so that targets resolve) and runs systemd-analyze verify on ondemandd.service alone and with
# the strict-sandbox drop-in. Prints the offline security exposure for the record.
# Exit 0 when systemd accepts both; 77 (skip) when systemd-analyze is missing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v systemd-analyze >/dev/null; then
  echo "verify.sh: systemd-analyze missing (apt-get install systemd); skipping" >&2
  exit 77
fi
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

units=/usr/lib/systemd/system
[[ -d $units ]] || units=/lib/systemd/system
mkdir -p "$root/usr/lib/systemd"
cp -a "$units" "$root/usr/lib/systemd/system"

# verify checks that ExecStart= is executable; a build is not needed for that, only the launcher
stub_jar="$root/stub.jar"
: > "$stub_jar"
ONDEMANDD_JAR="$stub_jar" "$repo/systemd/install.sh" "$root" >/dev/null

version="$(systemd-analyze --version | awk 'NR==1 {print $2}')"
check() {
  local out rc=0
  out="$(systemd-analyze verify --man=no --generators=no --root="$root" ondemandd.service 2>&1)" || rc=$?
  # systemd < 254 does not know FileDescriptorStorePreserve= and says so; anything else is a finding
  local findings
  findings="$(grep -v "Unknown key 'FileDescriptorStorePreserve'" <<<"$out" || true)"
  if (( version >= 254 )); then findings="$out"; fi
  if (( rc != 0 )) || [[ -n "$findings" ]]; then
    echo "systemd-analyze verify ($1) failed (rc=$rc):" >&2
    echo "$out" >&2
    return 1
  fi
  echo "systemd-analyze verify ($1): ok (systemd $version)"
}

check "ondemandd.service"
mkdir -p "$root/etc/systemd/system/ondemandd.service.d"
cp "$repo/systemd/strict-sandbox.conf" "$root/etc/systemd/system/ondemandd.service.d/"
check "with strict-sandbox.conf"
systemd-analyze security --offline=yes --root="$root" ondemandd.service 2>/dev/null | tail -n 1 || true
