#!/bin/sh
# cgroup-namespace by hand: the steps of `runner run cgroup-namespace`, done with util-linux
# and checked with [ ]. Run it as root: `sh scripts/by-hand/cgroup-namespace.sh`. Exit 0 when
# every check passed, 1 otherwise, with one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. The sandbox
# keeps the machine's cgroup namespace and cgroupfs: the script finds the cgroup2 mount
# (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid machine) and its own cgroup there,
# and makes nslab-byhand-PID below it (PID: the script's pid on the machine, as in the
# sandbox it is 1), with root, root/child and outside in it. A shell cannot start a process
# in a cgroup (clone3's CLONE_INTO_CGROUP): the script moves itself into root, so that the
# processes of the first three steps are born there, and back out before the last, whose
# shell moves itself in. An EXIT trap removes the cgroups, deepest first, whatever happens.
# Processes wait for each other on fifos, never with sleep. At the end it checks, like the
# runner, that the sandbox is as it found it, that no process is left and that the cgroups
# are gone.
set -u
export LC_ALL=C
if [ "$$" != 1 ] || [ "${NSLAB_BY_HAND-}" != sandbox ]; then
    export NSLAB_BY_HAND_PID=$$  # common.sh is about to start the sandbox: the cgroup's name
fi
. "$(dirname "$0")/common.sh"
cgroup_in() {  # cgroup_in FILE: sets $cgroup to the path of the 0:: (cgroup2) line in FILE
    cgroup=
    while IFS= read -r line; do
        case $line in 0::*) cgroup=${line#0::} ;; esac
    done < "$1"
}
leave_root() {  # moves this shell back to its own cgroup
    echo $$ > "$own_dir/cgroup.procs"
}
waiter=
remove_cgroups() {  # ends the waiter of root-fixed if it still runs, then removes the run's
    # cgroups, deepest first
    [ -z "$waiter" ] || { kill "$waiter"; wait "$waiter"; waiter=; }
    rmdir "$run/root/child" "$run/root" "$run/outside" "$run"
}
begin ready go

# The cgroup2 mount (mountinfo: ID PARENT DEV ROOT POINT OPTIONS [OPTIONAL...] - TYPE ...) and
# our own cgroup in it.
mnt=
while read -r _ _ _ _ point _ rest; do
    case " $rest " in *" - cgroup2 "*) mnt=$point; break ;; esac
done < /proc/self/mountinfo
check "a cgroup2 mount in /proc/self/mountinfo: one, got none" '[ -n "$mnt" ]'
[ -n "$mnt" ] || exit 1
cgroup_in /proc/self/cgroup
own=${cgroup%/}  # "" for the root cgroup
own_dir=$mnt$own
name=nslab-byhand-${NSLAB_BY_HAND_PID-$$}
run=$own_dir/$name
mkdir "$run" || exit 1
trap '[ ! -d "$run" ] || { leave_root; remove_cgroups; } 2> /dev/null; rm -rf "$dir"' EXIT
mkdir "$run/root" "$run/root/child" "$run/outside" || exit 1
echo $$ > "$run/root/cgroup.procs" || exit 1
ours=$(readlink /proc/$$/ns/cgroup)

# path-hidden: cat /proc/self/cgroup; unshare --cgroup cat /proc/self/cgroup (and readlink
# /proc/self/ns/cgroup), from a process in root: this shell, and unshare that it starts.
cgroup_in /proc/self/cgroup
check "cgroup of a process in root: $own/$name/root, got '$cgroup'" '[ "$cgroup" = "$own/$name/root" ]'
unshare --cgroup sh -c '
    while IFS= read -r line; do echo "$line"; done < /proc/self/cgroup
    exec readlink /proc/self/ns/cgroup' > "$dir/out" 2>&1
inside= inode= others=
while IFS= read -r line; do
    case $line in
        0::*) inside=${line#0::} ;;
        cgroup:*) inode=$line ;;
        *:/) ;;                            # a v1 hierarchy (hybrid machine), at its root
        *) others="$others '$line'" ;;
    esac
done < "$dir/out"
check "cgroup namespace of the new process: $inode, not ours: $ours" '[ -n "$inode" ] && [ "$inode" != "$ours" ]'
check "its cgroup in the new cgroup namespace: /, got '$inside'" '[ "$inside" = / ]'
check "its other lines (cgroup v1 hierarchies): all /, got$others" '[ -z "$others" ]'

# root-fixed: unshare --cgroup sh -c 'cat /proc/self/cgroup; read; cat /proc/self/cgroup; read;
# cat /proc/self/cgroup' from a process in root; from outside its namespace (this shell),
# echo PID > root/child/cgroup.procs, then echo PID > outside/cgroup.procs. It reads its
# 0:: line at the start and after each move.
unshare --cgroup sh -c '
    exec 4<> "$1/go"
    for move in none child outside; do
        [ $move = none ] || read -r _ <&4
        while IFS= read -r line; do
            case $line in 0::*) echo "$line" >&3 ;; esac
        done < /proc/self/cgroup
    done' sh "$dir" &
waiter=$!
read -r at_root <&3
echo "$waiter" > "$run/root/child/cgroup.procs"
echo > "$dir/go"
read -r in_child <&3
echo "$waiter" > "$run/outside/cgroup.procs"
echo > "$dir/go"
read -r in_outside <&3
wait "$waiter"
waiter=
check "at its root: 0::/, got '$at_root'" '[ "$at_root" = 0::/ ]'
check "moved into root/child from outside: 0::/child, got '$in_child'" '[ "$in_child" = 0::/child ]'
check "moved into outside, beside its root: 0::/../outside, got '$in_outside'" \
    '[ "$in_outside" = 0::/../outside ]'

# not-hidden: echo 3 > root/cgroup.max.descendants; unshare --cgroup sh -c 'cat
# /proc/self/cgroup; ls RUN; cat RUN/root/cgroup.max.descendants', from a process in root, in
# the old mount namespace.
echo 3 > "$run/root/cgroup.max.descendants"
unshare --cgroup sh -c '
    while IFS= read -r line; do
        case $line in 0::*) echo "$line" ;; esac
    done < /proc/self/cgroup
    echo "$1"/*; read -r max < "$1/root/cgroup.max.descendants"; echo "$max"' sh "$run" > "$dir/out" 2>&1
{ read -r inside; read -r listing; read -r max; } < "$dir/out"
check "its cgroup in the new cgroup namespace: 0::/, got '$inside'" '[ "$inside" = 0::/ ]'
check "$run listed from the new cgroup namespace: with outside, got '$listing'" \
    'case " $listing " in *" $run/outside "*) true ;; *) false ;; esac'
check "root/cgroup.max.descendants through the old path: 3, got '$max'" '[ "$max" = 3 ]'

# mount-root: sh -c 'echo $$ > root/cgroup.procs; exec unshare --cgroup --mount sh -c "umount
# -l MNT; mount -t cgroup2 none MNT; ls MNT; cat MNT/cgroup.procs"': the new mount's root is
# the namespace's. The old mount goes first, as in cgroup_namespaces(7) (and in the runner): a
# cgroup2 mounted right on the root of a mount of the same cgroupfs is refused (EBUSY),
# whatever the new one's root.
# This shell leaves root first, so that the shell in there is alone.
leave_root
sh -c 'echo $$ > "$1" && shift && exec "$@"' sh "$run/root/cgroup.procs" unshare --cgroup --mount sh -c '
    umount -l "$1" && mount -t cgroup2 none "$1" || exit
    echo $$; echo "$1"/*
    while read -r pid; do echo "$pid"; done < "$1/cgroup.procs"' sh "$mnt" > "$dir/out" 2>&1
procs=
{ read -r pid; read -r listing; while read -r line; do procs="$procs $line"; done; } < "$dir/out"
check "the new cgroup2 mount lists root's child: $mnt/child, got '$listing'" \
    'case " $listing " in *" $mnt/child "*) true ;; *) false ;; esac'
check "and nothing beside root: no outside, got '$listing'" \
    'case " $listing " in *" $mnt/outside "*) false ;; *) true ;; esac'
check "cgroup.procs at the top of the new mount: the shell alone, $pid, got '${procs# }'" '[ "$procs" = " $pid" ]'

# Nothing left: no process, the cgroups gone; the sandbox as it was.
remove_cgroups
check "the run's cgroups, removed: $run gone" '[ ! -e "$run" ]'
finish
