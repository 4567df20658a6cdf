#!/usr/bin/env bash
# The console's browser test drives Debian's chromium (/usr/bin/chromium) with playwright-core.
# Installs it when missing (a fresh CI machine); does nothing when it is there. Quiet on success.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ensure-chromium: /usr/bin/chromium is missing; install Debian's chromium package (as root: apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
  tail -20 "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
[ -x /usr/bin/chromium ] || { echo "ensure-chromium: chromium installed but /usr/bin/chromium is missing" >&2; exit 1; }
