#!/bin/sh
# clone-vs-unshare by hand: the steps of `runner run clone-vs-unshare`, done with util-linux
# and checked with [ ]. Run it as root: `sh scripts/by-hand/clone-vs-unshare.sh`. Exit 0 when
# every check passed, 1 otherwise, with one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. In there a
# demo host, a shell holding a new UTS namespace, plays the old namespace: the UTS steps start
# from it with `nsenter --target "$host"`. No shell command calls clone(2) with CLONE_NEW*
# flags: `unshare --fork` unshares itself, then forks, so for clone-makes-child the caller
# is the shell that runs unshare, and it is that shell that must stay where it was. Nor
# clone3(2) with CLONE_INTO_CGROUP: for clone-into-cgroup the child moves itself into the
# cgroup (this script's own cgroup2 cgroup, nslab-byhand-PID below it) before it execs, and
# an EXIT trap removes the cgroup whatever happens. hostname-after-clone renames a UTS
# namespace made for the step, never the sandbox. Processes wait for each other on fifos,
# never with sleep. At the end it checks, like the runner, that the sandbox is as it found it
# and that no process is left.
set -u
export LC_ALL=C
if [ "$$" != 1 ] || [ "${NSLAB_BY_HAND-}" != sandbox ]; then
    export NSLAB_BY_HAND_PID=$$  # common.sh is about to start the sandbox: the cgroup's name
fi
. "$(dirname "$0")/common.sh"
cgroup_in() {  # cgroup_in FILE: sets $cgroup to the 0:: (cgroup2) line's path in FILE
    cgroup=
    while IFS= read -r line; do
        case $line in 0::*) cgroup=${line#0::} ;; esac
    done < "$1"
}
begin ready host go

demo_host uts
hostns=$(readlink /proc/$host/ns/uts)

# unshare-moves-caller: sh -c 'readlink /proc/$$/ns/uts; exec unshare --uts sh -c ...'.
# One process all along: sh, then unshare (which calls unshare(2)), then a second sh.
nsenter --target "$host" --uts sh -c '
    echo $$; readlink /proc/$$/ns/uts
    exec unshare --uts sh -c "echo \$\$; readlink /proc/\$\$/ns/uts"' > "$dir/out" 2>&1
{ read -r pid; read -r before; read -r again; read -r after; } < "$dir/out"
check "its own UTS namespace, after unshare: $after, not the demo host's $before" \
    '[ "$before" = "$hostns" ] && [ -n "$after" ] && [ "$after" != "$before" ]'
check "the same process (its pid): $pid, got '$again'" '[ -n "$pid" ] && [ "$again" = "$pid" ]'

# clone-makes-child: unshare --uts --fork sh -c 'readlink /proc/$PPID/ns/uts /proc/$$/ns/uts',
# run by a caller that reads its own namespace before and after. The child's parent is
# unshare(1), which unshared before it forked; unshare's parent is the caller.
nsenter --target "$host" --uts sh -c '
    echo $$; readlink /proc/$$/ns/uts
    unshare --uts --fork sh -c "
        read -r _ _ _ grandparent _ < /proc/\$PPID/stat; echo \$grandparent
        readlink /proc/\$\$/ns/uts /proc/\$PPID/ns/uts"
    readlink /proc/$$/ns/uts' > "$dir/out" 2>&1
{ read -r caller; read -r before; read -r grandparent; read -r child; read -r parent
  read -r after; } < "$dir/out"
check "the parent's UTS namespace, unchanged: $before, got '$after'" \
    '[ "$before" = "$hostns" ] && [ "$after" = "$before" ]'
check "the child's UTS namespace, a new one: $child (expected: not $before)" \
    '[ -n "$child" ] && [ "$child" != "$before" ]'
check "the child's parent, unshare, started by the caller: $caller, got '$grandparent'" \
    '[ "$grandparent" = "$caller" ]'
check "unshare itself, in the child's namespace (it unshared, then forked): $child, got '$parent'" \
    '[ "$parent" = "$child" ]'

# clone-into-cgroup: clone3(CLONE_INTO_CGROUP) is out of a shell's reach: the child moves
# itself, sh -c 'echo $$ > CGROUP/cgroup.procs; exec cat /proc/self/cgroup', into a cgroup
# made below ours in the cgroup2 mount (mountinfo: ID PARENT DEV ROOT POINT OPTIONS
# [OPTIONAL...] - TYPE ...).
mnt=
while read -r _ _ _ _ point _ rest; do
    case " $rest " in *" - cgroup2 "*) mnt=$point; break ;; esac
done < /proc/self/mountinfo
cgroup_in /proc/self/cgroup
ours=${cgroup%/}  # "" for the root cgroup
made=$ours/nslab-byhand-${NSLAB_BY_HAND_PID-$$}
trap '[ ! -d "$mnt$made" ] || rmdir "$mnt$made"; rm -rf "$dir"' EXIT
in_child= in_parent=
if [ -n "$mnt" ] && mkdir "$mnt$made"; then
    sh -c 'echo $$ > "$1/cgroup.procs" && exec cat /proc/self/cgroup' sh "$mnt$made" > "$dir/out" 2>&1
    cgroup_in "$dir/out"
    in_child=$cgroup
    cgroup_in /proc/self/cgroup
    in_parent=$cgroup
    rmdir "$mnt$made"
fi
check "a cgroup2 mount in /proc/self/mountinfo: one, got none" '[ -n "$mnt" ]'
check "the child's cgroup, the one it was put in: $made, got '$in_child'" '[ "$in_child" = "$made" ]'
check "the parent's cgroup, unchanged: ${ours:-/}, got '$in_parent'" '[ "$in_parent" = "${ours:-/}" ]'
check "the cgroup, removed once empty: $mnt$made gone" '[ ! -e "$mnt$made" ]'

# hostname-after-clone: unshare --uts sh -c 'read x < fifo; hostname' & hostname renamed;
# echo > fifo; wait; hostname, all in a UTS namespace made for the step (unshare --uts sh -c
# '...'), so that the sandbox keeps its name. The child says once it has its namespace, a copy
# of its parent's, and only then is the parent renamed.
read -r name < /proc/sys/kernel/hostname
unshare --uts sh -c '
    unshare --uts sh -c "echo >&3; read -r _ < \"\$1/go\"; exec hostname" sh "$1" &
    read -r _ <&3
    hostname renamed
    echo > "$1/go"
    wait $!
    exec hostname' sh "$dir" > "$dir/out" 2>&1
{ read -r child; read -r parent; } < "$dir/out"
check "the child's hostname, cloned before the parent was renamed: $name, got '$child'" '[ "$child" = "$name" ]'
check "the parent's hostname after hostname renamed: renamed, got '$parent'" '[ "$parent" = renamed ]'

# reexec: unshare --uts sh -c 'echo $$; readlink ...; exec /proc/self/exe -c "..."'. sh looks
# up /proc/self/exe itself: its own binary, started again in the same process.
nsenter --target "$host" --uts unshare --uts sh -c '
    echo $$; readlink /proc/self/ns/uts
    exec /proc/self/exe -c "echo \$\$; readlink /proc/self/ns/uts"' > "$dir/out" 2>&1
{ read -r pid; read -r first; read -r again; read -r uts; } < "$dir/out"
check "its pid after the re-exec, the same: $pid, got '$again'" '[ -n "$pid" ] && [ "$again" = "$pid" ]'
check "its UTS namespace after the re-exec, the same new one: $first, got '$uts'" \
    '[ -n "$first" ] && [ "$first" != "$hostns" ] && [ "$uts" = "$first" ]'

# Nothing changed outside the experiment's namespaces.
echo > "$dir/host"
wait "$host"
finish
