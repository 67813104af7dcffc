#!/usr/bin/env bash
# Real receivers for the sink tests (tests/sinks): carbon-cache + graphite-web (Graphite)
# and rsyslog (the newline-JSON receiver standing in for Logstash, which Debian lacks).
# Installs only: the tests start private instances on free loopback ports, so the system
# services must stay down (APT_NO_START: a policy-rc.d refuses their start during install).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
APT_NO_START=1 apt_install graphite-carbon graphite-web rsyslog
carbon-cache --help >/dev/null
/usr/bin/python3 -c 'import graphite, django; print("graphite-web", graphite.__file__)'
rsyslogd -v | head -n1
