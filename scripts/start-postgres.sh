#!/usr/bin/env bash
# Starts the local PostgreSQL cluster if it is installed and not running (for the test suite).
set -euo pipefail
if command -v pg_lsclusters >/dev/null 2>&1; then
  if ! pg_lsclusters --no-header 2>/dev/null | grep -q online; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
fi
