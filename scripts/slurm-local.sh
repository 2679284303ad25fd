#!/usr/bin/env bash
# Starts (or stops) a one-node Slurm cluster on this machine, as root, without systemd:
#   scripts/slurm-local.sh start   # prints the partition name; idempotent
#   scripts/slurm-local.sh stop
# For the cluster tests (tests/integration/cluster) and for trying `deltascope run --on slurm` locally.
# Needs Debian's slurm-wlm and munge (apt-get install -y slurm-wlm munge). A running cluster started
# with another configuration (an older version of this script) is restarted with this one.
set -euo pipefail
state=${DELTASCOPE_SLURM_STATE:-/var/tmp/deltascope-slurm}
conf=/etc/slurm/slurm.conf

# The daemons this script started, by the pid files its configuration names.
stop() {
  local pids=''
  for daemon in slurmd slurmctld; do
    if [ -s "$state/$daemon.pid" ]; then pids="$pids $(cat "$state/$daemon.pid")"; fi
  done
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086
  kill $pids 2>/dev/null || true
  for _ in $(seq 50); do
    # shellcheck disable=SC2086
    kill -0 $pids 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$state/slurmd.pid" "$state/slurmctld.pid"
}

if [ "${1:-}" = stop ]; then stop; exit 0; fi
[ "${1:-}" = start ] || { echo "usage: $0 start|stop" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "slurm-local: must run as root" >&2; exit 1; }
command -v slurmctld >/dev/null || { echo "slurm-local: slurmctld not found: apt-get install -y slurm-wlm munge" >&2; exit 1; }

host=$(hostname)
# AuthInfo=cred_expire: a job credential's lifetime in seconds (default 120, minimum 5). Slurm also
# holds a requeued batch job that long before it starts it again (slurm.conf(5)); 10 s lets a requeued
# task restart within seconds, still far above a local launch's few milliseconds.
wanted=$(cat <<CONF
ClusterName=deltascope-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=cred_expire=10
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
MinJobAge=300
KillWait=5
InactiveLimit=0
MaxArraySize=100001
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
)

if sinfo -h >/dev/null 2>&1 && scontrol ping 2>/dev/null | grep -q UP; then
  if [ "$(cat "$conf" 2>/dev/null)" = "$wanted" ]; then echo debug; exit 0; fi
  echo "slurm-local: restarting the running cluster with this script's configuration" >&2
  stop
fi

# munge: a key owned by munge, the daemon as the munge user
mkdir -p /etc/munge /var/run/munge /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
chown -R munge:munge /etc/munge /var/run/munge /var/lib/munge /var/log/munge
chmod 700 /etc/munge; chmod 400 /etc/munge/munge.key; chmod 755 /var/run/munge
pgrep -x munged >/dev/null || su -s /bin/sh munge -c /usr/sbin/munged

mkdir -p /etc/slurm "$state/ctld" "$state/d" /var/log/slurm
printf '%s\n' "$wanted" >"$conf"
slurmctld
slurmd
for _ in $(seq 100); do
  if sinfo -h -o %T 2>/dev/null | grep -Eq 'idle|mix|alloc'; then echo debug; exit 0; fi
  sleep 0.1
done
echo "slurm-local: the cluster did not come up; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
exit 1
