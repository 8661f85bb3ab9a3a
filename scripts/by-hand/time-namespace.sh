#!/bin/sh
# time-namespace by hand: the steps of `runner run time-namespace`, done with util-linux and
# coreutils and checked with [ ] (awk for the clocks). Run it as root:
# `sh scripts/by-hand/time-namespace.sh`. Exit 0 when every check passed, 1 otherwise, with
# one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. As in the
# runner, the old side is the sandbox's own time namespace: no demo host. At the end it
# checks, like the runner, that the sandbox is as it found it and that no process is left.
set -u
export LC_ALL=C
. "$(dirname "$0")/common.sh"
between() {  # between LOW VALUE HIGH SHIFT SLACK: whether VALUE - SHIFT lies between LOW and
    # HIGH, give or take SLACK
    awk -v low="$1" -v value="$2" -v high="$3" -v shift="$4" -v slack="$5" \
        'BEGIN { exit !(low - slack <= value - shift && value - shift <= high + slack) }'
}
begin ready
ours=$(readlink /proc/$$/ns/time)
ours_for_children=$(readlink /proc/$$/ns/time_for_children)

# children-only: readlink /proc/self/ns/time; unshare --time readlink /proc/self/ns/time.
# unshare execs right after unshare(2), and an exec moves a process into its
# time_for_children: with --fork, the caller waits instead, and its child looks at it.
unshare --time --fork sh -c '
    exec readlink /proc/$PPID/ns/time /proc/$PPID/ns/time_for_children /proc/$$/ns/time' > "$dir/new"
{ read -r caller; read -r for_children; read -r child; } < "$dir/new"
check "the caller's own time namespace, unchanged: $ours, got '$caller'" '[ "$caller" = "$ours" ]'
check "its time_for_children, a new namespace: not $ours_for_children, got '$for_children'" \
    '[ -n "$for_children" ] && [ "$for_children" != "$ours_for_children" ]'
check "the child's time namespace is that time_for_children: $for_children, got '$child'" \
    '[ "$child" = "$for_children" ]'

# offsets: cat /proc/uptime; unshare --time --monotonic 86400 --boottime 86400 cat /proc/uptime.
# The new side's clocks are read between two readings of the old side's.
read -r up1 _ < /proc/uptime
real1=$(date +%s.%N)
unshare --time --monotonic 86400 --boottime 86400 sh -c '
    readlink /proc/self/ns/time; cat /proc/uptime /proc/self/timens_offsets; exec date +%s.%N' > "$dir/new"
read -r up2 _ < /proc/uptime
real2=$(date +%s.%N)
{ read -r inode; read -r up _; read -r m1 m2 m3; read -r b1 b2 b3; read -r real; } < "$dir/new"
offsets="$m1 $m2 $m3; $b1 $b2 $b3"
check "time namespace of the new process: $inode, not ours: $ours" '[ -n "$inode" ] && [ "$inode" != "$ours" ]'
# /proc/uptime (CLOCK_BOOTTIME) is read in hundredths: a hundredth either way.
check "/proc/uptime inside: between $up1 and $up2, plus 86400, got '$up'" 'between "$up1" "$up" "$up2" 86400 0.01'
check "CLOCK_REALTIME inside, no offset: between $real1 and $real2, got '$real'" \
    'between "$real1" "$real" "$real2" 0 0'
check "/proc/self/timens_offsets inside: monotonic 86400 0; boottime 86400 0, got '$offsets'" \
    '[ "$offsets" = "monotonic 86400 0; boottime 86400 0" ]'

# realtime-refused: unshare --time sh -c 'echo realtime 3600 0 > /proc/self/timens_offsets'.
# tee, not sh's echo, says why the write failed.
refused=$(unshare --time sh -c 'echo realtime 3600 0 | tee /proc/self/timens_offsets' 2>&1 > /dev/null)
check "an offset for realtime: EINVAL, got '$refused'" \
    'case $refused in *": Invalid argument") true ;; *) false ;; esac'

# offsets-fixed: unshare --time --monotonic 60 sh -c 'echo monotonic 120 0 > /proc/self/timens_offsets'.
# sh is in the namespace already, so its offsets are fixed.
refused=$(unshare --time --monotonic 60 sh -c 'echo monotonic 120 0 | tee /proc/self/timens_offsets' 2>&1 > /dev/null)
check "writing the offsets after entering: EACCES, got '$refused'" \
    'case $refused in *": Permission denied") true ;; *) false ;; esac'

# Nothing changed outside the experiment's namespaces.
finish
