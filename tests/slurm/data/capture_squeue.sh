#!/bin/bash
# Capture squeue_states*.txt and sacct_exit_codes*.txt: run in a cluster's controller, e.g.
#   wlgen cluster up --nodes 4 --cpus 8 --name cap [--slurm trixie]
#   podman cp tests/slurm/data/capture_squeue.sh cap-ctld:/tmp/
#   wlgen cluster exec --name cap ctld -- bash /tmp/capture_squeue.sh /tmp/out
#   podman cp cap-ctld:/tmp/out/. tests/slurm/data/      (then rename for 24.11)
# The formats are SQUEUE_ARGV's and SACCT_ARGV's (workload/backends/slurm/parse.py).
set -euo pipefail
export SLURM_TIME_FORMAT=%s
FORMAT="JobArrayID:|,State:|,Reason:|,SubmitTime:|,StartTime:|,EndTime:|,UserName:|,\
Partition:|,NumCPUs:|,NodeList:|,exit_code:|,Name:"
OUT=$1
NAMES=$(echo wlgen.cap.{0..7} | tr ' ' ,)
mkdir -p "$OUT"
run() { sbatch --quiet -o /dev/null -J "wlgen.cap.$1" "${@:2}"; }
id_of() { squeue --noheader --name="wlgen.cap.$1" --format=%i; }

run 0 -t 1 --wrap "sleep 1"                        # completed
run 1 -t 1 --wrap "exit 3"                         # failed, exit 3
run 2 -t 1 --wrap "sleep 600"                      # running (limit 1 min)
run 3 -t 1 --wrap "sleep 600"                      # cancelled while running
run 4 -t 1 --wrap "sleep 600"                      # requeued, back to PENDING
run 5 -t 1 -N 2 -n 4 --wrap "sleep 600"            # running on two nodes
run 6 -t 1 --wrap 'kill -9 $$'                     # killed by SIGKILL
run 7 -t 1 --wrap "python3 -m jobs sleep --seconds 0.5 --fail-exit 7"   # a kernel's exit
sleep 4
scancel --name=wlgen.cap.3
scontrol requeue "$(id_of 4)"
sleep 2
squeue --noheader --array --states=all --name="$NAMES" --Format="$FORMAT" \
    > "$OUT/squeue_states.txt"
sleep 5   # accounting lags the queue
sacct --noheader --parsable2 -X -a --name="$NAMES" --format=JobID,State,Reason,Submit,\
Start,End,User,Partition,NCPUS,NodeList,ExitCode,JobName > "$OUT/sacct_exit_codes.txt"
scancel --name="$NAMES"
