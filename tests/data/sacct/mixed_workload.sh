#!/bin/bash
# The scripted mixed workload behind the stored sacct dumps (run as root on ctld by
# make_dumps.py). Every kind of record the sacct source must read happens here once:
# completed, failed, timed out, cancelled while pending and while running, an array with
# a throttle, dependencies of every kind, a heterogeneous job, a job held by --begin,
# a '|' in a job name, a QOS, a second account, memory requests, two users.
set -eu
cd /tmp
as() { local who=$1; shift; runuser -u "$who" -- "$@"; }
sb() { sbatch --parsable "$@" | cut -d';' -f1; }

# Accounts, shares and a QOS, as a site would have them.
sacctmgr -i add qos high Priority=100 MaxWall=01:00:00 >/dev/null
sacctmgr -i add account physics Description=physics Organization=lab Fairshare=30 >/dev/null
sacctmgr -i add user alice Account=physics >/dev/null
sacctmgr -i modify user alice set QOS+=high >/dev/null
sacctmgr -i modify account wlgen set Fairshare=10 >/dev/null

ok=$(as alice sbatch --parsable -J ok -A physics --qos=high -n2 --mem-per-cpu=100M -t 2 \
     --wrap 'sleep 3')
fail=$(as bob sbatch --parsable -J fail -n1 -t 1 --wrap 'sleep 2; exit 3')
as bob sbatch --parsable -J 'pipe|name' -n1 -t 1 --wrap 'sleep 1' >/dev/null
timeout=$(as bob sbatch --parsable -J timeout -n1 -t 0:15 --wrap 'sleep 300')
running=$(as alice sbatch --parsable -J cancel-running -A physics -n1 -t 5 --wrap 'sleep 300')
pending=$(as bob sbatch --parsable -J cancel-pending -n1 -t 1 --begin=now+3600 --wrap 'sleep 1')
as bob sbatch --parsable -J begin -n1 -t 1 --begin=now+20 --wrap 'sleep 2' >/dev/null
as alice sbatch --parsable -J arr -A physics --array=0-5%3 -n1 -t 1 --wrap 'sleep 2' >/dev/null
as bob sbatch --parsable -J after-ok --dependency=afterok:$ok -n1 -t 1 --wrap 'sleep 1' >/dev/null
as bob sbatch --parsable -J after-any --dependency=afterany:$fail -n1 -t 1 --wrap 'sleep 1' >/dev/null
as bob sbatch --parsable -J after-notok --dependency=afternotok:$fail -N1 -n2 -t 1 \
   --wrap 'sleep 1' >/dev/null
as bob sbatch --parsable -J after-ok-never --dependency=afterok:$fail -n1 -t 1 \
   --kill-on-invalid-dep=yes --wrap 'sleep 1' >/dev/null
as alice sbatch --parsable -J single -A physics --dependency=singleton -n1 -t 1 --wrap 'sleep 2' >/dev/null
as alice sbatch --parsable -J single -A physics --dependency=singleton -n1 -t 1 --wrap 'sleep 2' >/dev/null
cat >/tmp/het.sh <<'EOF'
#!/bin/sh
#SBATCH -J het -t 1 -n1
#SBATCH hetjob
#SBATCH -n2
srun --het-group=0,1 true
sleep 2
EOF
chmod 644 /tmp/het.sh
as bob sbatch --parsable /tmp/het.sh >/dev/null
as alice sbatch --parsable -J two-nodes -A physics -N2 -n4 -t 1 --wrap 'srun sleep 2' >/dev/null

# Cancel one job a few seconds into its run, the other while it waits for --begin.
for _ in $(seq 60); do
  [ "$(squeue -h -j "$running" -o %T)" = RUNNING ] && break; sleep 1
done
sleep 4
scancel "$running"
scancel "$pending"
# Everything else ends by itself (the timeout within ~60 s); wait for the queue to drain.
for _ in $(seq 240); do
  [ -z "$(squeue -h -o %i)" ] && break; sleep 1
done
squeue -h -o '%i %T %r'
echo "timeout job $timeout"
