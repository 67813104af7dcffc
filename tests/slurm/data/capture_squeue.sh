#!/bin/bash
# Capture squeue_states*.txt, sacct_exit_codes*.txt and squeue_waited*.txt: run in a
# cluster's controller, e.g.
#   wlgen cluster up --nodes 4 --cpus 8 --name cap [--slurm trixie]
#   podman cp tests/slurm/data/capture_squeue.sh cap-ctld:/tmp/
#   wlgen cluster exec --name cap ctld -- bash /tmp/capture_squeue.sh /tmp/out
#   podman cp cap-ctld:/tmp/out/. tests/slurm/data/      (then rename for 24.11)
# The formats are SQUEUE_ARGV's and SACCT_ARGV's (workload/backends/slurm/parse.py).
set -euo pipefail
export SLURM_TIME_FORMAT=%s
FORMAT="JobArrayID:|,State:|,Reason:|,SubmitTime:|,StartTime:|,EndTime:|,UserName:|,\
Partition:|,NumCPUs:|,NodeList:|,exit_code:|,PriorityLong:|,Name:"
OUT=$1
NAMES=$(echo wlgen.cap.{0..8} | tr ' ' ,)
mkdir -p "$OUT"
run() { sbatch --quiet -o /dev/null -J "wlgen.cap.$1" "${@:2}"; }
id_of() { squeue --noheader --name="wlgen.cap.$1" --format=%i; }
snapshot() { squeue --noheader --array --states=all --name="$1" --Format="$FORMAT"; }

run 0 -t 1 --wrap "sleep 1"                        # completed
run 1 -t 1 --wrap "exit 3"                         # failed, exit 3
run 2 -t 1 --wrap "sleep 600"                      # running (limit 1 min)
run 3 -t 1 --wrap "sleep 600"                      # cancelled while running
run 4 -t 1 --wrap "sleep 600"                      # requeued, back to PENDING
run 5 -t 1 -N 2 -n 4 --wrap "sleep 600"            # running on two nodes
run 6 -t 1 --wrap 'kill -9 $$'                     # killed by SIGKILL
run 7 -t 1 --wrap "python3 -m jobs sleep --seconds 0.5 --fail-exit 7"   # a kernel's exit
run 8 -t 1 -n 32 --wrap "sleep 1"                  # every CPU: waits (Resources), then runs
sleep 4
scancel --name=wlgen.cap.3
scontrol requeue "$(id_of 4)"
sleep 2
snapshot "$NAMES" > "$OUT/squeue_states.txt"
snapshot wlgen.cap.8 > "$OUT/squeue_waited.txt"    # pending, with the reason it waits
sleep 5   # accounting lags the queue
sacct --noheader --parsable2 -X -a --name="$NAMES" --format=JobID,State,Reason,Submit,\
Start,End,User,Partition,NCPUS,NodeList,ExitCode,JobName > "$OUT/sacct_exit_codes.txt"
scancel "$(id_of 2)" "$(id_of 4)" "$(id_of 5)"   # (scancel --name takes one name)
for _ in $(seq 30); do   # job 8 now has room: its start is the second snapshot
    state=$(squeue --noheader --name=wlgen.cap.8 --format=%T)
    [ "$state" = PENDING ] || break
    sleep 1
done
snapshot wlgen.cap.8 >> "$OUT/squeue_waited.txt"
scancel $(squeue --noheader --name="$NAMES" --format=%i)
