#!/bin/sh
# The browser test drives Debian's Chromium through playwright-core (browser downloads do not work
# offline). Install it when missing and we may; idempotent.
set -e
CHROMIUM="${FP4KIT_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[e2e] installing chromium with apt-get" >&2
  # Other sessions may be using apt at the same time.
  flock /tmp/apt.lock apt-get install -y chromium >/dev/null || {
    flock /tmp/apt.lock apt-get update >/dev/null && flock /tmp/apt.lock apt-get install -y chromium >/dev/null
  }
  exit 0
fi
echo "[e2e] $CHROMIUM is missing: install Debian's chromium (apt-get install -y chromium) or set FP4KIT_CHROMIUM" >&2
exit 1
