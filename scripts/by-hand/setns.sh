#!/bin/sh
# setns by hand: the steps of `runner run setns`, done with util-linux and checked with [ ].
# Run it as root: `sh scripts/by-hand/setns.sh`. Exit 0 when every check passed, 1 otherwise,
# with one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. In there a
# demo host, a shell holding a new UTS namespace, plays the old side: each step starts a
# holder from it, a process in new namespaces, then joins them from it with nsenter. Processes
# wait for each other on fifos, never with sleep. At the end it checks, like the runner, that
# the sandbox is as it found it and that no process is left.
set -u
export LC_ALL=C
. "$(dirname "$0")/common.sh"
hold() {  # hold COMMAND...: starts COMMAND, a holder that prints a line once set up then
    # reads one, from the demo host in the background; its pid in $holder once it has
    # printed. Its output and input are fifos opened here, so that a holder run as nobody
    # needs no access to $dir; its input read-write, so the open waits for no writer.
    nsenter --target "$host" --uts "$@" > "$dir/ready" 0<> "$dir/hold" &
    holder=$!
    read -r _ <&3
}
release() {  # the holder reads its line and ends
    echo > "$dir/hold"
    wait "$holder"
}
ends() {  # ends TEXT OUTPUT: whether OUTPUT ends with TEXT (an error message, say)
    case $2 in *"$1") true ;; *) false ;; esac
}
nobody='setpriv --reuid=65534 --regid=65534 --clear-groups'
begin ready hold host
ipc=$(readlink /proc/self/ns/ipc)
pid=$(readlink /proc/self/ns/pid)

demo_host uts

# join-by-path: unshare --uts sh -c 'hostname held; ...' & nsenter --target PID --uts hostname
hold unshare --uts sh -c 'hostname held; echo; read -r _'
target=$(readlink /proc/$holder/ns/uts)
nsenter --target "$host" --uts nsenter --target "$holder" --uts sh -c '
    hostname; exec readlink /proc/self/ns/uts /proc/self/ns/ipc' > "$dir/out" 2>&1
status=$?
release
{ read -r name; read -r uts; read -r after; } < "$dir/out"
check "nsenter --target PID --uts: exit 0, got $status" '[ $status = 0 ]'
check "its UTS namespace afterwards, the holder's: $target, got '$uts'" '[ "$uts" = "$target" ]'
check "the hostname it sees: held, got '$name'" '[ "$name" = held ]'
check "its IPC namespace, not joined, unchanged: $ipc, got '$after'" '[ "$after" = "$ipc" ]'

# join-by-pidfd: setns(pidfd, CLONE_NEWUTS|CLONE_NEWIPC). nsenter takes no pidfd: one
# nsenter joins both, through /proc/PID/ns/uts and ipc.
hold unshare --uts --ipc sh -c 'hostname held; echo; read -r _'
target=$(readlink /proc/$holder/ns/uts /proc/$holder/ns/ipc)
nsenter --target "$host" --uts nsenter --target "$holder" --uts --ipc \
    readlink /proc/self/ns/uts /proc/self/ns/ipc > "$dir/out" 2>&1
status=$?
release
{ read -r uts; read -r after; } < "$dir/out"
check "nsenter --target PID --uts --ipc: exit 0, got $status" '[ $status = 0 ]'
check "its UTS namespace afterwards, the holder's: ${target%"$nl"*}, got '$uts'" '[ "$uts" = "${target%"$nl"*}" ]'
check "its IPC namespace afterwards, the holder's: ${target#*"$nl"}, got '$after'" '[ "$after" = "${target#*"$nl"}" ]'

# wrong-type: nsenter --ipc=/proc/PID/ns/uts true
hold unshare --uts sh -c 'hostname held; echo; read -r _'
refused=$(nsenter --target "$host" --uts nsenter --ipc=/proc/$holder/ns/uts true 2>&1)
release
check "a UTS namespace file joined as IPC: EINVAL, got '$refused'" 'ends ": Invalid argument" "$refused"'

# pid-children-only: nsenter --target PID --pid. With --no-fork the shell itself is the
# joiner, and stays in its PID namespace: it looks at its own /proc/$$ (readlink is a child
# of it already); the child it forks then (&) is in the holder's.
hold unshare --pid --fork sh -c 'echo; read -r _'
read -r init < /proc/$holder/task/$holder/children
target=$(readlink /proc/$init/ns/pid)
nsenter --target "$host" --uts nsenter --target "$init" --pid --no-fork sh -c '
    readlink /proc/$$/ns/pid /proc/$$/ns/pid_for_children
    sh -c "echo \$\$; exec readlink /proc/self/ns/pid" & wait' > "$dir/out" 2>&1
release
{ read -r own; read -r for_children; read -r child; read -r child_ns; } < "$dir/out"
check "the joiner's own PID namespace, unchanged: $pid, got '$own'" '[ "$own" = "$pid" ]'
check "its pid_for_children afterwards, the holder's: $target, got '$for_children'" '[ "$for_children" = "$target" ]'
check "the PID namespace of a child it forks then: $target, got '$child_ns'" '[ "$child_ns" = "$target" ]'
check "the child's pid in it: above 1 (pid 1 is the holder), got '$child'" '[ "$child" -gt 1 ] 2> /dev/null'

# user-first: as nobody, unshare --user --map-root-user --uts; then, as nobody too, nsenter
# --uts, and nsenter --user --uts (--preserve-credentials: stay nobody, no setgroups).
hold $nobody unshare --user --map-root-user --uts sh -c 'echo; read -r _'
target=$(readlink /proc/$holder/ns/uts /proc/$holder/ns/user)
refused=$(nsenter --target "$host" --uts $nobody nsenter --target "$holder" --uts true 2>&1)
nsenter --target "$host" --uts $nobody nsenter --target "$holder" --preserve-credentials --user --uts \
    readlink /proc/self/ns/uts /proc/self/ns/user > "$dir/out" 2>&1
status=$?
release
{ read -r uts; read -r user; } < "$dir/out"
check "the UTS namespace, before the user namespace that owns it: EPERM, got '$refused'" \
    'ends ": Operation not permitted" "$refused"'
check "the user namespace, then the UTS namespace (nsenter --user --uts): exit 0, got $status" '[ $status = 0 ]'
check "its UTS namespace afterwards, the holder's: ${target%"$nl"*}, got '$uts'" '[ "$uts" = "${target%"$nl"*}" ]'
check "its user namespace afterwards, the holder's: ${target#*"$nl"}, got '$user'" '[ "$user" = "${target#*"$nl"}" ]'

# Nothing changed outside the experiment's namespaces.
echo > "$dir/host"
wait "$host"
finish
