#!/bin/bash
# Starts one role of a wlgen Slurm cluster: db (MariaDB + slurmdbd), ctld (slurmctld),
# rest (slurmrestd) or node (slurmd). Configs and keys come from read-only bind mounts
# (/run/wlgen/etc, /run/wlgen/secrets) and are copied with the owner and mode each
# daemon insists on. Daemons run in the foreground and log to stderr, so
# `podman logs` holds a failed daemon's last words even after the container exited.
set -euo pipefail
role="${1:-node}"
conf=/run/wlgen/etc
secrets=/run/wlgen/secrets

log() { echo "wlgen-entrypoint[$role]: $*" >&2; }

install_file() {  # install_file SRC DEST OWNER MODE
    install -o "${3%%:*}" -g "${3##*:}" -m "$4" "$1" "$2"
}

wait_until() {  # wait_until SECONDS WHAT CMD...: poll CMD every 0.1 s; 1 on timeout
    local limit=$(( $1 * 10 )) what=$2 i=0
    shift 2
    until "$@" 2>/dev/null; do
        i=$((i + 1))
        if [ "$i" -ge "$limit" ]; then log "timed out waiting for $what"; return 1; fi
        sleep 0.1
    done
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

start_munge() {
    install_file "$secrets/munge.key" /etc/munge/munge.key munge:munge 0400
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- /usr/sbin/munged
    wait_until 10 munged test -S /run/munge/munge.socket.2 || exit 1
}

install_slurm_conf() {
    for f in slurm.conf cgroup.conf gres.conf; do
        [ -e "$conf/$f" ] && install_file "$conf/$f" "/etc/slurm/$f" root:root 0644
    done
    if [ -e "$secrets/jwt_hs256.key" ] && [ "$role" != node ]; then
        install_file "$secrets/jwt_hs256.key" /var/lib/slurm/jwt_hs256.key slurm:slurm 0600
    fi
}

run_db() {
    install_file "$conf/slurmdbd.conf" /etc/slurm/slurmdbd.conf slurm:slurm 0600
    # The socket moved between suites (bookworm/trixie /run/mysqld, sid /run/mariadbd):
    # ask the server's own defaults, and link the classic path for older client libraries.
    local sock
    sock=$(my_print_defaults --mysqld 2>/dev/null | sed -n 's/^--socket=//p' | tail -n 1)
    sock=${sock:-/run/mysqld/mysqld.sock}
    install -d -o mysql -g mysql "$(dirname "$sock")" /run/mysqld
    # Small buffers: the accounting database of a test cluster is tiny.
    /usr/sbin/mariadbd --user=mysql --skip-networking --innodb-buffer-pool-size=32M \
        --innodb-log-file-size=8M --skip-log-bin >/var/log/mariadb.log 2>&1 &
    wait_until 60 mariadb test -S "$sock" || { tail -n 20 /var/log/mariadb.log >&2; exit 1; }
    [ "$sock" = /run/mysqld/mysqld.sock ] || ln -sf "$sock" /run/mysqld/mysqld.sock
    # slurmdbd logs in as the OS user `slurm` through the socket: no password to keep.
    mariadb --protocol=socket -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED VIA unix_socket;
        GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
    # See MARIADB_CLIENT_FROM in the Containerfile.
    if [ -d /opt/wlgen/mariadb-client ]; then export LD_LIBRARY_PATH=/opt/wlgen/mariadb-client; fi
    exec /usr/sbin/slurmdbd -D
}

run_ctld() {
    # slurmctld registers the cluster with slurmdbd at start: wait for slurmdbd first.
    wait_until 120 "slurmdbd on db:6819" tcp_open db 6819 || exit 1
    exec /usr/sbin/slurmctld -D -i
}

run_rest() {
    wait_until 120 "slurmctld on ctld:6817" tcp_open ctld 6817 || exit 1
    # SLURM_JWT=daemon: authenticate every request by its JWT (else all answer 401).
    export SLURM_JWT=daemon
    exec runuser -u slurmrest -- /usr/sbin/slurmrestd -a rest_auth/jwt 0.0.0.0:6820
}

make_gpus() {  # GPUs without hardware: the character devices gres.conf's File= names
    local i count
    [ -e "$conf/gpus" ] || return 0
    count=$(cat "$conf/gpus")
    for ((i = 0; i < count; i++)); do
        [ -e "/dev/nvidia$i" ] || mknod -m 0666 "/dev/nvidia$i" c 195 "$i"
    done
}

run_node() {  # run_node [NODE...]: no names, one slurmd for this host; else one each
    make_gpus
    if [ "$#" -eq 0 ]; then
        # Per-node TmpFS (slurm.conf TmpFS=/var/spool/wlgen/%n/tmp): pmix needs it.
        install -d -m 1777 "/var/spool/wlgen/$HOSTNAME/tmp"
        exec /usr/sbin/slurmd -D
    fi
    # Several Slurm nodes in this container (--nodes-per-container): `slurmd -N NAME`
    # each, its port, spool dir and pid file from slurm.conf (Port=, %n).
    local node
    for node in "$@"; do
        install -d -m 1777 "/var/spool/wlgen/$node/tmp"
        /usr/sbin/slurmd -D -N "$node" &
    done
    # One slurmd exiting stops the container, as it does with one slurmd a container.
    local rc=0
    wait -n || rc=$?
    log "a slurmd exited (status $rc): stopping the other $(( $# - 1 ))"
    exit "$rc"
}

add_users() {  # add-users NAME:UID...: same uid on every host (wlgen cluster add-users)
    local pair name uid
    for pair in "$@"; do
        name=${pair%%:*} uid=${pair##*:}
        getent passwd "$name" >/dev/null && continue
        groupadd --gid "$uid" "$name"
        useradd --uid "$uid" --gid "$uid" --create-home --shell /bin/bash "$name"
    done
}

if [ "$role" = add-users ]; then shift; add_users "$@"; exit 0; fi
start_munge
install_slurm_conf
case "$role" in
    db) run_db ;;
    ctld) run_ctld ;;
    rest) run_rest ;;
    node) shift $(( $# > 0 ? 1 : 0 )); run_node "$@" ;;
    shell) exec bash ;;
    *) log "unknown role '$role' (db, ctld, rest, node)"; exit 2 ;;
esac
