#!/bin/bash
# Starts one role of a wlgen monitoring container: graphite (carbon-cache + graphite-web
# under gunicorn) or receiver (rsyslog, JSON lines to /var/log/wlgen/received.jsonl).
# Everything runs in the foreground and logs to stderr (`podman logs`); when any of a
# role's processes exits, the container exits with it, so a dead daemon is never hidden.
set -euo pipefail
role="${1:-graphite}"

log() { echo "wlgen-monitoring[$role]: $*" >&2; }

run_graphite() {
    WLGEN_GRAPHITE_SECRET=$(head -c 32 /dev/urandom | base64)
    export WLGEN_GRAPHITE_SECRET
    carbon-cache --config=/etc/wlgen/carbon.conf --nodaemon --pidfile=/run/carbon.pid start &
    gunicorn --bind 0.0.0.0:8080 --workers 2 --user _graphite --group _graphite \
        --access-logfile - --error-logfile - graphite.wsgi:application &
    wait -n
    status=$?
    log "a daemon exited ($status): stopping the container"
    exit "$status"
}

run_receiver() {
    touch /var/log/wlgen/received.jsonl  # exists (empty) as soon as the port answers
    exec rsyslogd -n -f /etc/wlgen/rsyslog.conf -i /run/rsyslogd.pid
}

case "$role" in
    graphite) run_graphite ;;
    receiver) run_receiver ;;
    shell) exec bash ;;
    *) log "unknown role '$role' (graphite, receiver)"; exit 2 ;;
esac
