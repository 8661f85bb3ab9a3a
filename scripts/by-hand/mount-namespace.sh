#!/bin/sh
# mount-namespace by hand: the steps of `runner run mount-namespace`, done with util-linux and
# checked with [ ]. Run it as root: `sh scripts/by-hand/mount-namespace.sh`. Exit 0 when
# every check passed, 1 otherwise, with one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. There it
# mounts the workbench, a tmpfs on /mnt in the sandbox's own mount namespace. A demo host, a
# shell holding a new mount namespace whose /mnt is shared (as on a systemd host), plays the
# old namespace: every step makes its new namespace from it with `nsenter --target "$host"`.
# Each side is looked at from outside, through /proc/PID/root and /proc/PID/mountinfo: a
# directory and the mounts as process PID sees them, in its mount namespace. Processes wait
# for each other on fifos, never with sleep. At the end it checks, like the runner, that the
# sandbox is as it found it and that no process is left.
set -u
export LC_ALL=C
. "$(dirname "$0")/common.sh"
mount_at() {  # mount_at TARGET MOUNTINFO: the last mount at TARGET in that mountinfo file:
    # $seen, "FSTYPE SOURCE" or "no mount"; $fsroot; $propagation, shared, slave or private
    # from its optional fields
    seen="no mount" fsroot= propagation=
    while read -r _ _ _ mroot mpoint _ mrest; do
        [ "$mpoint" = "$1" ] || continue
        fsroot=$mroot
        case " $mrest" in
        *" shared:"*) propagation=shared ;;
        *" master:"*) propagation=slave ;;
        *) propagation=private ;;
        esac
        mrest=${mrest#*- }
        seen=${mrest% *}
    done < "$2"
}
hold() {  # hold ARGS...: unshare --mount ARGS from the demo host, in the background: a holder
    # that writes a line to $dir/ready once set up, then reads one from $dir/hold; its pid
    # in $holder once ready, its output in $dir/out
    nsenter --target "$host" --mount unshare --mount "$@" > "$dir/out" 2>&1 &
    holder=$!
    read -r _ <&3
}
release() {  # the holder goes on and ends
    echo > "$dir/hold"
    wait "$holder"
}
says() {  # says TEXT OUTPUT: whether OUTPUT has TEXT in it (an error message, say)
    case $2 in *"$1"*) true ;; *) false ;; esac
}

# The workbench, as the Experiment lists it (unmount/image only serves the ENOTBLK check,
# which has no by-hand counterpart: see unmount).
mount -t tmpfs -o nosuid,nodev,mode=0755 nslab-workbench /mnt || exit 1
mkdir -p /mnt/binding/source /mnt/binding/target /mnt/propagation/peer /mnt/unmount/data \
    /mnt/unmount/target /mnt/unmount/expiring || exit 1
echo "written before the bind mount" > /mnt/binding/source/a
echo "a file on the busy mount" > /mnt/unmount/data/note
echo "not a filesystem" > /mnt/unmount/image

begin ready hold host
# The demo host: unshare --mount makes every mount private; then mount --make-shared /mnt.
demo_host mount
nsenter --target "$host" --mount mount --make-shared /mnt

# new-namespace: readlink /proc/self/ns/mnt; unshare --mount readlink /proc/self/ns/mnt
old=$(nsenter --target "$host" --mount readlink /proc/self/ns/mnt)
new=$(nsenter --target "$host" --mount unshare --mount readlink /proc/self/ns/mnt)
check "mnt namespace of the new process: $new, not the demo host's $old" '[ -n "$new" ] && [ "$new" != "$old" ]'

# bind: unshare --mount --propagation slave (mount --make-rslave /) sh -c 'mount --bind ...'.
# Both sides are looked at while the bind mount exists.
target=/mnt/binding/target
hold --propagation slave sh -c '
    mount --bind /mnt/binding/source /mnt/binding/target; echo > "$1/ready"; read -r _ < "$1/hold"' sh "$dir"
new=$(ls -A /proc/$holder/root$target)
mount_at $target /proc/$holder/mountinfo
newroot=$fsroot
old=$(ls -A /proc/$host/root$target)
mount_at $target /proc/$host/mountinfo
release
check "at $target the new namespace lists: a, got '$new'" '[ "$new" = a ]'
check "its mount there shows the source's directory as its root: /binding/source, got '$newroot'" \
    '[ "$newroot" = /binding/source ]'
check "at $target the old namespace lists: none, got '$old'" '[ -z "$old" ]'
check "the old namespace has no mount there, got '$seen'" '[ "$seen" = "no mount" ]'

# propagation: unshare --mount --propagation unchanged mount -t tmpfs peer PEER; the old side
# then has it, and unmounts it. Then the same after --propagation slave, then private
# (mount --make-rslave / and --make-rprivate /), looked at while the new namespace holds it.
peer=/mnt/propagation/peer
nsenter --target "$host" --mount unshare --mount --propagation unchanged mount -t tmpfs peer $peer
mount_at /mnt /proc/$host/mountinfo
check "/mnt in the old namespace is shared (the demo host made it so), got '$propagation'" '[ "$propagation" = shared ]'
mount_at $peer /proc/$host/mountinfo
check "a tmpfs mounted in the new namespace shows in the old one: tmpfs peer, got '$seen'" '[ "$seen" = "tmpfs peer" ]'
cleanup=$(nsenter --target "$host" --mount umount $peer 2>&1)
status=$?
check "umount $peer in the old namespace (cleaning up): exit 0, got $status '$cleanup'" '[ $status = 0 ]'
mount_at $peer /proc/$host/mountinfo
check "after it, no mount at $peer there, got '$seen'" '[ "$seen" = "no mount" ]'
for kind in slave private; do
    hold --propagation $kind sh -c '
        mount -t tmpfs peer "$2"; echo > "$1/ready"; read -r _ < "$1/hold"' sh "$dir" $peer
    mount_at /mnt /proc/$holder/mountinfo
    check "after mount --make-r$kind /, the new namespace's /mnt is: $kind, got '$propagation'" '[ "$propagation" = $kind ]'
    mount_at $peer /proc/$host/mountinfo
    check "after mount --make-r$kind /, the old namespace has no mount at $peer, got '$seen'" '[ "$seen" = "no mount" ]'
    release
done

# unmount: one new namespace; its first process works in the bind mount and waits, while a
# second one joins it and unmounts: umount, umount -f (MNT_FORCE), umount -l (MNT_DETACH).
# Then the first process writes to its file there.
# No by-hand counterpart: umount2(MNT_EXPIRE), twice, on a tmpfs on /mnt/unmount/expiring
# (EAGAIN, then success, then no mount there): neither umount(8) nor busybox's has an option
# for it, and sh cannot call umount2(2) itself. Nor mount(2) of the regular file
# /mnt/unmount/image as ext4 (ENOTBLK): mount(8) would set up a loop device for it first.
target=/mnt/unmount/target
hold sh -c '
    mount --bind /mnt/unmount/data /mnt/unmount/target; cd /mnt/unmount/target
    echo > "$1/ready"; read -r _ < "$1/hold"; echo >> note; echo $?' sh "$dir"
busy=$(nsenter --target "$holder" --mount umount $target 2>&1)
busy_status=$?
force=$(nsenter --target "$holder" --mount umount -f $target 2>&1)
force_status=$?
lazy=$(nsenter --target "$holder" --mount umount -l $target 2>&1)
lazy_status=$?
mount_at $target /proc/$holder/mountinfo
release
read -r written < "$dir/out"
check "umount $target while a process works there: exit 32, target is busy, got $busy_status '$busy'" \
    '[ $busy_status = 32 ] && says "target is busy" "$busy"'
check "umount -f $target, busy still: tmpfs has no forced unmount: exit 32, target is busy, got $force_status '$force'" \
    '[ $force_status = 32 ] && says "target is busy" "$force"'
check "umount -l $target: exit 0, got $lazy_status '$lazy'" '[ $lazy_status = 0 ]'
check "then $target is gone from mountinfo, got '$seen'" '[ "$seen" = "no mount" ]'
check "the process there still opens its file for writing: exit 0, got '$written'" '[ "$written" = 0 ]'

# Nothing changed outside the experiment's namespaces.
echo > "$dir/host"
wait "$host"
finish
