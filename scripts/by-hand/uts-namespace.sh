#!/bin/sh
# uts-namespace by hand: the steps of `runner run uts-namespace`, done with util-linux and
# checked with [ ]. Run it as root: `sh scripts/by-hand/uts-namespace.sh`. Exit 0 when every
# check passed, 1 otherwise, with one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. In there a
# demo host, a shell holding a new UTS namespace, plays the old namespace: every step joins
# it with `nsenter --target "$host"` and makes its new namespace from it. Processes wait for
# each other on fifos, never with sleep. At the end it checks, like the runner, that the
# sandbox is as it found it and that no process is left.
set -u
export LC_ALL=C
. "$(dirname "$0")/common.sh"
begin ready hold host

demo_host uts
new_namespace uts

# set-names: unshare --uts sh -c 'hostname container; domainname nslab.example; hostname;
# hostname --nis'. The old side looks while the new namespace has its names.
show='hostname; hostname --nis'
before=$(nsenter --target "$host" --uts sh -c "$show" 2>&1)
nsenter --target "$host" --uts unshare --uts sh -c '
    hostname container; domainname nslab.example; hostname; hostname --nis
    echo > "$1/ready"; exec cat "$1/hold" > /dev/null' sh "$dir" > "$dir/new" &
read -r _ <&3
outside=$(nsenter --target "$host" --uts sh -c "$show" 2>&1)
echo > "$dir/hold"
wait $!
{ read -r name; read -r nis; } < "$dir/new"
check "hostname inside: container, got '$name'" '[ "$name" = container ]'
check "NIS domain name inside: nslab.example, got '$nis'" '[ "$nis" = nslab.example ]'
check "names outside, unchanged: '$before', got '$outside'" '[ "$outside" = "$before" ]'

# set-too-late: unshare --uts sleep 60 & hostname container. The child starts and holds;
# then its parent, still in the demo host, renames its own host.
nsenter --target "$host" --uts unshare --uts sh -c '
    echo > "$1/ready"; read -r _ < "$1/hold"; exec hostname' sh "$dir" > "$dir/new" &
read -r _ <&3
parent=$(nsenter --target "$host" --uts sh -c 'hostname; hostname container; hostname')
echo > "$dir/hold"
wait $!
read -r child < "$dir/new"
before=${parent%%"$nl"*}
after=${parent##*"$nl"}
check "the demo host was renamed by its own process: container, got '$after'" '[ "$after" = container ]'
check "the child kept the name copied at clone time: '$before', got '$child'" '[ "$child" = "$before" ]'

# Nothing changed outside the experiment's namespaces.
echo > "$dir/host"
wait "$host"
finish
