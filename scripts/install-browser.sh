#!/usr/bin/env bash
# Installs Debian's Chromium, used headless by scripts/check-api-docs.sh, if missing.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "installing: chromium" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q chromium
fi
