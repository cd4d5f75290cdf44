#!/usr/bin/env bash
# Installs a built ondemandd as a systemd service:
#   /usr/lib/ondemandd/ondemandd.jar, /usr/lib/ondemandd/bin/ondemandd (launcher; /usr/sbin/ondemandd links to it),
#   /usr/lib/systemd/system/ondemandd.service, /usr/lib/tmpfiles.d/ondemandd.conf,
#   /usr/share/ondemandd/strict-sandbox.conf (optional drop-in), /usr/share/doc/ondemandd/README.md.
# Usage: systemd/install.sh [DESTDIR]     (build first: mvn -B package -DskipTests)
# With a DESTDIR it only copies files (packaging, tests); without one it also creates the directories and
# reloads systemd. It never enables or starts the service: systemctl enable --now ondemandd.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-}"
jar="${ONDEMANDD_JAR:-$repo/daemon/target/ondemandd.jar}"
launcher="${ONDEMANDD_LAUNCHER:-$repo/bin/ondemandd}"

for f in "$launcher" "$jar"; do
  if [[ ! -f "$f" ]]; then
    echo "install.sh: $f is missing; build with 'mvn -B package -DskipTests' from $repo first" >&2
    exit 2
  fi
done

install -D -m 0755 "$launcher" "$dest/usr/lib/ondemandd/bin/ondemandd"
install -D -m 0644 "$jar" "$dest/usr/lib/ondemandd/ondemandd.jar"
install -d -m 0755 "$dest/usr/sbin"
ln -sfn ../lib/ondemandd/bin/ondemandd "$dest/usr/sbin/ondemandd"
install -D -m 0644 "$repo/systemd/ondemandd.service" "$dest/usr/lib/systemd/system/ondemandd.service"
install -D -m 0644 "$repo/systemd/tmpfiles.d/ondemandd.conf" "$dest/usr/lib/tmpfiles.d/ondemandd.conf"
install -D -m 0644 "$repo/systemd/strict-sandbox.conf" "$dest/usr/share/ondemandd/strict-sandbox.conf"
if [[ -f "$repo/README.md" ]]; then
  install -D -m 0644 "$repo/README.md" "$dest/usr/share/doc/ondemandd/README.md"
fi
install -d -m 0755 "$dest/etc/ondemandd"
if [[ ! -e "$dest/etc/ondemandd/config.json" && -f "$repo/conf/ondemandd.example.json" ]]; then
  install -m 0600 "$repo/conf/ondemandd.example.json" "$dest/etc/ondemandd/config.json"
fi

if [[ -z "$dest" ]]; then
  if command -v systemd-tmpfiles >/dev/null; then
    systemd-tmpfiles --create /usr/lib/tmpfiles.d/ondemandd.conf
  fi
  if [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload
  fi
  echo "installed; edit /etc/ondemandd/config.json, then: systemctl enable --now ondemandd"
fi
