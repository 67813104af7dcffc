#!/usr/bin/env bash
# Headless Chromium for the report tests (tests/harness/test_report.py): they render
# `wlgen report` output with --dump-dom and --screenshot and check what the page shows.
# DejaVu fonts so text has the same metrics everywhere. Idempotent and quiet.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
APT_NO_RECOMMENDS=1 apt_install chromium fonts-dejavu-core
chromium --version 2>/dev/null | head -n1
