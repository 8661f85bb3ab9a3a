#!/bin/sh
# pid-namespace by hand: the steps of `runner run pid-namespace`, done with util-linux and
# procps and checked with [ ]. Run it as root: `sh scripts/by-hand/pid-namespace.sh`. Exit 0
# when every check passed, 1 otherwise, with one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. As in the
# runner, the old side is the sandbox's own PID namespace, where this script is pid 1 and
# adopts every orphan. Processes wait for each other on fifos, never with sleep. At the end
# it checks, like the runner, that the sandbox is as it found it and that no process is left.
set -u
export LC_ALL=C

# Two parts run in processes of their own: sh "$0" PART DIR.
case ${1-} in
orphan)
    # Makes an orphan and prints the pid of its new parent. A subshell starts the orphan and
    # exits at once; told only then, the orphan execs a fresh sh to read its parent ($PPID
    # is what getppid() said when a shell started).
    exec 4<> "$2/out"  # (read-write: see "ready" below)
    (sh -c 'read -r _ < "$1/go"; exec sh -c "echo \$PPID"' sh "$2" > "$2/out" &)
    echo > "$2/go"
    read -r parent <&4
    echo "$parent"
    exit
    ;;
zombie)
    # As pid 1 of a new PID namespace with its own /proc. A shell starts a child that waits
    # for its cue, then execs cat, which never waits for children (a shell would reap the
    # child as soon as it exits). Cued, the child exits and stays a zombie (Z) until cat
    # exits and pid 1, this shell, adopts and reaps it. Prints its state then, and after.
    exec 4<> "$2/out"  # (read-write: see "ready" below)
    sh -c 'sh -c "read -r _ < \"\$1/go\"" sh "$1" & echo $! > "$1/out"
        exec cat "$1/hold" > /dev/null' sh "$2" &
    read -r child <&4
    exec 3> "$2/hold"  # returns once cat has opened it: the child's parent is cat now
    echo > "$2/go"
    # ps cannot wait for a change of state (a shell has no waitid(2)): it looks again until
    # it sees the state, at most 1000 times.
    look() {
        tries=0
        while state=$(ps -o s= -p "$child"); [ "$state" != "$1" ] && [ $tries -lt 1000 ]; do
            tries=$((tries + 1))
        done
    }
    look Z
    before=$state
    exec 3>&-  # cat ends
    wait $!
    look ''
    echo "$before ${state:-gone}"
    exit
    ;;
esac

. "$(dirname "$0")/common.sh"
pids() {  # pids FILE: sets $pids to " PID PID ... " from ps output in FILE
    pids=' '
    while read -r pid _; do
        case $pid in [0-9]*) pids="$pids$pid " ;; esac
    done < "$1"
}
members() {  # members PID: how many processes share PID's PID namespace, in $n ($dir/ps)
    ps -e -o pid=,pidns= > "$dir/ps"
    n=0
    ns=
    while read -r pid inode; do [ "$pid" = "$1" ] && ns=$inode; done < "$dir/ps"
    while read -r pid inode; do [ "$inode" = "$ns" ] && n=$((n + 1)); done < "$dir/ps"
}
killed() {  # killed STATUS ERRORS: whether unshare --fork said its child died of SIGKILL
    # util-linux 2.40 and later die of the same signal (137); before, a bug made unshare
    # exit 1 with "sigprocmask unblock failed" (util-linux issue 2614).
    [ "$1" = 137 ] || { [ "$1" = 1 ] && case $2 in *"sigprocmask unblock failed"*) true ;; *) false ;; esac; }
}
begin ready hold go out
ours=$(readlink /proc/self/ns/pid)

# pid-one: unshare --pid --fork sh -c 'echo $$; grep NSpid /proc/self/status'
show='echo $$; readlink /proc/self/ns/pid; exec grep NSpid /proc/self/status'
old=$(sh -c "$show")
new=$(unshare --pid --fork sh -c "$show")
inode=${new#*"$nl"}
inode=${inode%%"$nl"*}
check "pid namespace of the new process: $inode, not ours: $ours" '[ -n "$inode" ] && [ "$inode" != "$ours" ]'
check "\$\$ inside: 1, got '${new%%"$nl"*}'" '[ "${new%%"$nl"*}" = 1 ]'
check "NSpid inside: its pid outside, then 1, got '${new##*NSpid:}'" \
    'set -- ${new##*NSpid:}; [ $# = 2 ] && [ "$2" = 1 ] && [ "$1" != 1 ]'
check "\$\$ of the old process is its pid here (NSpid), got '$old'" \
    'set -- ${old##*NSpid:}; [ $# = 1 ] && [ "$1" = "${old%%"$nl"*}" ]'

# proc-remount: unshare --pid --fork ps -e; unshare --pid --fork --mount-proc ps -e -o pid,ppid,cmd
sandbox
mounts_before=$state
unshare --pid --fork ps -e -o pid,ppid,cmd > "$dir/host-proc"
unshare --pid --fork --mount-proc ps -e -o pid,ppid,cmd > "$dir/fresh-proc"
pids "$dir/host-proc"
check "with the host's /proc, this script still shows: pid $$ listed, got$pids" \
    'case $pids in *" $$ "*) true ;; *) false ;; esac'
pids "$dir/fresh-proc"
check "with a fresh /proc, the pids listed: 1, got$pids" '[ "$pids" = " 1 " ]'
sandbox
check "our mounts did not change" '[ "$state" = "$mounts_before" ]'

# orphans: unshare --pid --fork --mount-proc sh -c '(sleep 1 &); sleep 2; ps -o pid,ppid,cmd'
# Both sides make an orphan: here, this script (pid 1 of the sandbox) adopts it.
old=$(sh "$0" orphan "$dir")
new=$(unshare --pid --fork sh "$0" orphan "$dir")
check "new parent of the orphan inside: 1, got '$new'" '[ "$new" = 1 ]'
check "new parent of the orphan outside: this script, $$, got '$old'" '[ "$old" = $$ ]'

# kill-from-inside: unshare --pid --fork --mount-proc sh -c 'sh -c "kill -9 1; kill -TERM 1"; echo alive'
# A child of pid 1 sends both; pid 1 has no handler for them, so the kernel drops them.
new=$(unshare --pid --fork --mount-proc sh -c 'sh -c "kill -TERM 1; echo \$?; kill -KILL 1; echo \$?"; echo alive')
status=$?
check "kill -TERM 1 and kill -KILL 1 from inside succeed, and init lives on: got '$new'" \
    '[ "$new" = "0${nl}0${nl}alive" ]'
check "init ended on its own: exit 0, got $status" '[ $status = 0 ]'

# kill-from-parent: unshare --pid --fork --mount-proc sh -c 'sleep 60 & sleep 60 & sleep 60' &
# kill -9 INIT. Its three children wait on a fifo that nobody opens.
unshare --pid --fork --mount-proc sh -c '
    cat "$1/hold" & cat "$1/hold" & cat "$1/hold" & echo > "$1/ready"; wait' sh "$dir" 2> "$dir/err" &
unshare=$!
read -r _ <&3
read -r init < /proc/$unshare/task/$unshare/children
members "$init"
before=$n
kill -9 "$init"
wait "$unshare"
status=$?
members "$init"
errors=
read -r errors < "$dir/err"
check "processes in the namespace before: 4, got $before" '[ "$before" = 4 ]'
check "init: killed by SIGKILL, got status $status '$errors'" 'killed "$status" "$errors"'
check "processes in the namespace after init died: 0, got $n" '[ "$n" = 0 ]'

# setns: nsenter --pid --target PID sh -c 'echo $$ $PPID'. The caller of setns(2) stays in
# its namespace (nsenter --no-fork shows it); only its children enter.
unshare --pid --fork --mount-proc sh -c 'echo > "$1/ready"; exec cat "$1/hold" > /dev/null' sh "$dir" &
unshare=$!
read -r _ <&3
read -r init < /proc/$unshare/task/$unshare/children
target=$(readlink /proc/"$init"/ns/pid)
caller=$(nsenter --pid --target "$init" --no-fork readlink /proc/self/ns/pid /proc/self/ns/pid_for_children)
child=$(nsenter --pid --target "$init" sh -c 'echo $$ $PPID; exec readlink /proc/self/ns/pid')
echo > "$dir/hold"
wait "$unshare"
check "the caller's own pid namespace after setns: $ours, got ${caller%%"$nl"*}" '[ "${caller%%"$nl"*}" = "$ours" ]'
check "the caller's pid_for_children after setns: $target, got ${caller#*"$nl"}" '[ "${caller#*"$nl"}" = "$target" ]'
check "the pid namespace of its child: $target, got ${child#*"$nl"}" '[ "${child#*"$nl"}" = "$target" ]'
check "nsenter's shell: \$\$ not 1, \$PPID 0 (its parent is outside), got '${child%%"$nl"*}'" \
    'set -- ${child%%"$nl"*}; [ "$1" != 1 ] && [ "$2" = 0 ]'

# dead-namespace: nsenter --pid --target PID true, after PID, the init, was killed. The
# caller joins while init lives, waits, and forks once it has died.
unshare --pid --fork sh -c 'echo > "$1/ready"; exec cat "$1/hold" > /dev/null' sh "$dir" 2> "$dir/err" &
unshare=$!
read -r _ <&3
read -r init < /proc/$unshare/task/$unshare/children
target=$(readlink /proc/"$init"/ns/pid)
nsenter --pid --target "$init" --no-fork sh -c '
    readlink /proc/$$/ns/pid_for_children; echo > "$1/ready"; read -r _ < "$1/go"
    exec unshare --fork true' sh "$dir" > "$dir/out-joiner" 2>&1 &
joiner=$!
read -r _ <&3
kill -9 "$init"
wait "$unshare"
status=$?
echo > "$dir/go"
wait "$joiner"
errors=
read -r errors < "$dir/err"
{ read -r for_children; read -r fork; } < "$dir/out-joiner"
check "pid_for_children after setns into the live namespace: $target, got $for_children" \
    '[ "$for_children" = "$target" ]'
check "init: killed by SIGKILL, got status $status '$errors'" 'killed "$status" "$errors"'
check "fork() after init died: ENOMEM, got '$fork'" \
    'case $fork in *"fork failed: Cannot allocate memory") true ;; *) false ;; esac'

# zombies: unshare --pid --fork --mount-proc sh -c 'true & sleep 1; ps -o pid,stat,cmd'
zombie=$(unshare --pid --fork --mount-proc sh "$0" zombie "$dir")
check "state of the exited, unreaped child, then once reaped: Z gone, got '$zombie'" '[ "$zombie" = "Z gone" ]'

# Nothing changed outside the experiment's namespaces.
finish
