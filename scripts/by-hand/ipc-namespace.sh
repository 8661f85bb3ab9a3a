#!/bin/sh
# ipc-namespace by hand: the steps of `runner run ipc-namespace`, done with util-linux and
# checked with [ ]. Run it as root: `sh scripts/by-hand/ipc-namespace.sh`. Exit 0 when every
# check passed, 1 otherwise, with one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. In there a
# demo host, a shell holding a new IPC namespace, plays the old namespace: every step joins
# it with `nsenter --target "$host"` and makes its new namespace from it. Processes wait for
# each other on fifos, never with sleep. At the end it checks, like the runner, that the
# sandbox is as it found it and that no process is left.
set -u
export LC_ALL=C
. "$(dirname "$0")/common.sh"
objects() {  # objects FILE: sets $found to "kind:key:id " for each object ipcs listed in FILE
    found=
    kind=
    while read -r first second _; do
        case $first:$second in
        ------:Message) kind=msg ;;
        ------:Shared) kind=shm ;;
        ------:Semaphore) kind=sem ;;
        0x*) found="$found$kind:$first:$second " ;;
        esac
    done < "$1"
}
count() {  # count KIND: how many objects of KIND $found has, in $n
    n=0
    for o in $found; do
        case $o in "$1":*) n=$((n + 1)) ;; esac
    done
}
lists() {  # lists PATTERN: whether $found has an object matching PATTERN (kind:key:id)
    for o in $found; do
        case $o in $1) return 0 ;; esac
    done
    return 1
}
ipcmk_id() { id=${1##*: }; }  # sets $id to the id in ipcmk's "Message queue id: 3"
begin ready hold host

demo_host ipc
new_namespace ipc

# queue-from-outside: ipcmk -Q; ipcs -q; unshare --ipc ipcs -q
ipcmk_id "$(nsenter --target "$host" --ipc ipcmk -Q)"
queue=$id
nsenter --target "$host" --ipc ipcs -q > "$dir/old"
nsenter --target "$host" --ipc unshare --ipc ipcs -q > "$dir/new"
objects "$dir/old"
check "the old namespace sees the queue it made: msqid $queue, got '$found'" 'lists "msg:*:$queue"'
objects "$dir/new"
check "message queues the new namespace sees: none, got '$found'" '[ -z "$found" ]'

# queue-from-inside: unshare --ipc sh -c 'ipcmk -Q; ipcs -q' & ipcs -q. The old side looks
# while the queue exists, and again once the new namespace is gone.
nsenter --target "$host" --ipc unshare --ipc sh -c '
    ipcmk -Q; ipcs -q; echo > "$1/ready"; exec cat "$1/hold" > /dev/null' sh "$dir" > "$dir/new" &
read -r _ <&3
nsenter --target "$host" --ipc ipcs -q > "$dir/old"
echo > "$dir/hold"
wait $!
nsenter --target "$host" --ipc ipcs -q > "$dir/after"
read -r made < "$dir/new"
ipcmk_id "$made"
objects "$dir/new"
key=${found#msg:}
key=${key%%:*}
check "the new namespace sees its queue: msqid $id, got '$found'" 'count msg && [ $n = 1 ] && lists "msg:*:$id"'
objects "$dir/old"
check "the old namespace does not see it: key $key, got '$found'" '! lists "msg:$key:*"'
objects "$dir/after"
check "nor after the new namespace is gone: key $key, got '$found'" '! lists "msg:$key:*"'

# shm-and-sem: ipcmk -M 4096; ipcmk -S 1; unshare --ipc ipcs -m -s. Both sides make a
# segment and a semaphore set; each sees its own only.
nsenter --target "$host" --ipc sh -c 'ipcmk -M 4096 && ipcmk -S 1' > /dev/null
nsenter --target "$host" --ipc unshare --ipc sh -c '
    ipcmk -M 4096; ipcmk -S 1; ipcs -m -s
    echo > "$1/ready"; exec cat "$1/hold" > /dev/null' sh "$dir" > "$dir/new" &
read -r _ <&3
nsenter --target "$host" --ipc ipcs -m -s > "$dir/old"
echo > "$dir/hold"
wait $!
{ read -r segment; read -r set; } < "$dir/new"
ipcmk_id "$segment"
segment=$id
ipcmk_id "$set"
set=$id
objects "$dir/old"
outside=$found
check "the old namespace sees its segment and semaphore set, got '$outside'" \
    'count shm && [ $n = 1 ] && count sem && [ $n = 1 ]'
objects "$dir/new"
inside=$found
check "the new namespace sees its own segment and set only: shmid $segment, semid $set, got '$inside'" \
    'count shm && [ $n = 1 ] && count sem && [ $n = 1 ] && lists "shm:*:$segment" && lists "sem:*:$set"'
found=$outside
for object in $inside; do
    key=${object#*:}
    key=${key%:*}
    check "the old namespace does not see the new one's key $key, got '$outside'" '! lists "*:$key:*"'
done

# cleanup: ipcrm -q MSQID -m SHMID -s SEMID; ipcs. What the old side made in the steps
# before: a queue, a segment, a semaphore set.
nsenter --target "$host" --ipc ipcs > "$dir/old"
objects "$dir/old"
remove=
for object in $found; do
    case $object in msg:*) remove="$remove -q" ;; shm:*) remove="$remove -m" ;; sem:*) remove="$remove -s" ;; esac
    remove="$remove ${object##*:}"
done
check "objects the old namespace had made: 1 queue, 1 segment, 1 set, got '$found'" \
    'count msg && [ $n = 1 ] && count shm && [ $n = 1 ] && count sem && [ $n = 1 ]'
check "ipcrm$remove: exit 0" 'nsenter --target "$host" --ipc ipcrm $remove'
nsenter --target "$host" --ipc ipcs > "$dir/old"
objects "$dir/old"
check "objects left in the old namespace: none, got '$found'" '[ -z "$found" ]'

# Nothing changed outside the experiment's namespaces.
echo > "$dir/host"
wait "$host"
finish
