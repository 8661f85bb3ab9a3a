#!/bin/sh
# pivot-root by hand: the steps of `runner run pivot-root`, done with util-linux and busybox
# and checked with [ ]. Run it as root: `sh scripts/by-hand/pivot-root.sh`. Exit 0 when every
# check passed, 1 otherwise, with one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. There it
# mounts the workbench, a tmpfs on /mnt in the sandbox's own mount namespace, and builds the
# busybox root in /mnt/rootfs with fixtures/rootfs/make-rootfs.sh. A demo host, a shell
# holding a new mount namespace, plays the old namespace: every step makes its new namespace
# from it with `nsenter --target "$host"`. A process in a new root is looked at from outside,
# through /proc/PID/root and /proc/PID/mountinfo: its / and its mounts, as it sees them.
# Processes wait for each other on fifos, never with sleep. At the end it checks, like the
# runner, that the sandbox is as it found it and that no process is left.
set -u
export LC_ALL=C
. "$(dirname "$0")/common.sh"
new() {  # new ARGS...: unshare --mount ARGS, from the demo host (unshare makes every mount private)
    nsenter --target "$host" --mount unshare --mount "$@"
}
hold() {  # hold ARGS...: new ARGS in the background, a holder that prints a line once set up
    # then reads one; the line in $said, its pid in $holder. Its output and input are fifos
    # opened here, since in its new root it no longer sees $dir; its input read-write, so
    # the open waits for no writer.
    nsenter --target "$host" --mount unshare --mount "$@" > "$dir/ready" 0<> "$dir/hold" &
    holder=$!
    read -r said <&3
}
release() {  # the holder reads its line and ends
    echo > "$dir/hold"
    wait "$holder"
}
mounts() {  # mounts < MOUNTINFO: each mount as "TARGET FSTYPE ROOT", ROOT the directory of
    # its file system that is mounted there
    while read -r _ _ _ mroot mpoint _ mrest; do
        mrest=${mrest#*- }
        echo "$mpoint ${mrest%% *} $mroot"
    done
}
says() {  # says TEXT OUTPUT: whether OUTPUT has TEXT in it (an error message, say)
    case $2 in *"$1"*) true ;; *) false ;; esac
}

# The workbench and the busybox root on it.
mount -t tmpfs -o nosuid,nodev,mode=0755 nslab-workbench /mnt || exit 1
sh "$(dirname "$0")/../../fixtures/rootfs/make-rootfs.sh" /mnt/rootfs || exit 1
root=/mnt/rootfs
begin ready hold host
demo_host mount
rootfs=$(ls -A /proc/$host/root$root)
hostroot=$(ls -A /proc/$host/root/)

# Into the new root $1, with a directory for the old root: the new root bound onto itself (a
# mount point), pivot_root, a /proc of its own, then the old root detached and its directory
# removed. And the same with pivot_root . ., where the old root ends up on top of the new
# one and is detached at ".".
pivot='mount --bind "$1" "$1" && mkdir "$1/oldroot" && pivot_root "$1" "$1/oldroot" && cd / &&
    mount -t proc -o nosuid,nodev,noexec proc /proc && umount -l /oldroot && rmdir /oldroot'
dot='mount --bind "$1" "$1" && cd "$1" && pivot_root . . &&
    mount -t proc -o nosuid,nodev,noexec proc proc && umount -l .'

# pivot-root: pivot_root before the bind mount, then with / shared, then the whole of it.
refused=$(new sh -c 'mkdir "$1/oldroot" && pivot_root "$1" "$1/oldroot"' sh $root 2>&1)
rmdir $root/oldroot
shared=$(new sh -c 'mount --make-rshared / && mount --bind "$1" "$1" && cd "$1" && pivot_root . .' sh $root 2>&1)
hold sh -c "$pivot; echo; read -r _" sh $root
inside=$(ls -A /proc/$holder/root/)
seen=$(mounts < /proc/$holder/mountinfo)
release
after=$(ls -A /proc/$host/root/)
there=$(grep -c " $root " /proc/$host/mountinfo)
check "pivot_root while $root is not a mount point: EINVAL, got '$refused'" 'says "Invalid argument" "$refused"'
check "pivot_root while / is shared: EINVAL, got '$shared'" 'says "Invalid argument" "$shared"'
check "after the bind mount and pivot_root, / lists the busybox root: $rootfs, got '$inside'" '[ "$inside" = "$rootfs" ]'
check "the mounts it sees: the new root and its /proc, the old root detached, got '$seen'" \
    '[ "$seen" = "/ tmpfs /rootfs$nl/proc proc /" ]'
check "the old namespace's / is unchanged: $hostroot, got '$after'" '[ "$after" = "$hostroot" ]'
check "and it has no mount at $root, got $there" '[ "$there" = 0 ]'

# pivot-root-dot: unshare --mount --pid --fork; its pid 1 pivots with pivot_root . ., then
# execs /bin/sh, which says its pid.
hold --pid --fork sh -c "$dot; exec /bin/sh -c 'echo \$\$; read -r _'" sh $root
read -r child < /proc/$holder/task/$holder/children
inside=$(ls -A /proc/$child/root/)
seen=$(mounts < /proc/$child/mountinfo)
release
check "/ lists the busybox root: $rootfs, got '$inside'" '[ "$inside" = "$rootfs" ]'
check "the old root, stacked on the new one by pivot_root, is detached, got '$seen'" \
    '[ "$seen" = "/ tmpfs /rootfs$nl/proc proc /" ]'
check "the pid of the process that pivoted, after its exec: 1, got '$said'" '[ "$said" = 1 ]'
# The new root's first process, /bin/sh, forks a command and execs one. The pivot's commands
# are processes too: in the new PID namespace they would take pids 2 and up, so here the
# new PID namespace comes after the pivot, from busybox's unshare in the new root.
new sh -c "$dot && exec unshare --pid --fork /bin/sh -c \"\$2\"" sh $root \
    "sh -c 'echo forked: \$\$'; exec sh -c 'echo execed: \$\$'" > "$dir/out" 2>&1
{ read -r forked; read -r execed; } < "$dir/out"
check "the pid of a command sh forks: 2, got '$forked'" '[ "$forked" = "forked: 2" ]'
check "the pid of a command sh execs: 1, got '$execed'" '[ "$execed" = "execed: 1" ]'

# chroot-escape: a process whose root is a directory of its mount namespace climbs out: a
# chroot into a directory below it that keeps the working directory where it was (busybox's
# nsenter --root does, keeping its own), `cd ..` 64 times, then chroot . (the probe chroots
# into tmp; here into bin, since nsenter then runs its command, /sh, in that root). In a
# plain chroot it comes out at the mount namespace's /; after pivot_root, that is the new root.
escape="nsenter --root=bin /sh -c 'i=0; while [ \$i -lt 64 ]; do cd -P ..; i=\$((i + 1)); done
    exec /chroot . ls -A /'"
chrooted=$(new chroot $root /bin/sh -c "$escape" 2>&1)
status=$?
check "the escape, in the chroot: exit 0, got $status" '[ $status = 0 ]'
check "after it, the chrooted process sees the old namespace's /: $hostroot, got '$chrooted'" \
    '[ "$chrooted" = "$hostroot" ]'
pivoted=$(new sh -c "$pivot && exec /bin/sh -c \"\$2\"" sh $root "$escape" 2>&1)
status=$?
check "the same escape, after pivot_root: exit 0, got $status" '[ $status = 0 ]'
check "after it, the pivoted process still sees only the busybox root: $rootfs, got '$pivoted'" \
    '[ "$pivoted" = "$rootfs" ]'

# Nothing changed outside the experiment's namespaces.
echo > "$dir/host"
wait "$host"
finish
