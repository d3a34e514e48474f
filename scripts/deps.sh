#!/usr/bin/env bash
# Installs the Debian packages Concord needs when they are missing. As root it runs apt-get; otherwise it
# prints the exact command to run and stops. Usage: scripts/deps.sh [build|bench]
set -euo pipefail
need=(pkg-config libxml2-dev libsqlite3-dev libssl-dev libevent-dev openssl)
if [ "${1:-build}" = bench ]; then need+=(wrk python3-venv); fi
missing=()
for pkg in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "concord: installing missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "concord: not root; run this and try again:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
