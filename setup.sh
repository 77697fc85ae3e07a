#!/usr/bin/env bash
# Installs everything this project needs on a Debian machine: the host and
# cross compilers and tools (apt-packages.txt), then the Python packages
# (requirements-dev.txt).  Safe to run again: it skips what is installed.
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
mapfile -t packages < <(grep -v '^#' apt-packages.txt | grep .)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -m pip install -q -r requirements-dev.txt
# Each board's MicroPython type stubs in its own folder (they cannot share one).
make -s stubs
echo "setup: done"
