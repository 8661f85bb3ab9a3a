#!/bin/sh
# clone-vs-unshare by hand: the steps of `runner run clone-vs-unshare`, done with util-linux
# and checked with [ ]. Run it as root: `sh scripts/by-hand/clone-vs-unshare.sh`. Exit 0 when
# every check passed, 1 otherwise, with one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. In there a
# demo host, a shell holding a new UTS namespace, plays the old namespace: every step starts
# from it with `nsenter --target "$host"`. No shell command calls clone(2) with CLONE_NEW*
# flags: `unshare --fork` unshares itself, then forks, so for clone-makes-child the caller
# is the shell that runs unshare, and it is that shell that must stay where it was.
# Processes wait for each other on fifos, never with sleep. At the end it checks, like the
# runner, that the sandbox is as it found it and that no process is left.
set -u
export LC_ALL=C
. "$(dirname "$0")/common.sh"
begin ready host

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
