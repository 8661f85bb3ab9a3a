# What the three by-hand scripts share, sourced by each after its own parts: like the
# runner, the script first runs again in a throwaway sandbox (new UTS, IPC, mount, network
# and PID namespaces with a /proc of their own) as its pid 1; then check(), sandbox(),
# begin, demo_host, new_namespace and finish.
if [ "$$" != 1 ] || [ "${NSLAB_BY_HAND-}" != sandbox ]; then
    export NSLAB_BY_HAND=sandbox
    exec unshare --uts --ipc --mount --net --pid --fork --kill-child --mount-proc sh "$0" "$@"
fi

nl='
'
failed=0
check() {  # check WHAT CONDITION: prints WHAT when the shell code CONDITION fails
    check_what=$1
    eval "$2" || { printf 'FAIL  %s\n' "$(printf %s "$check_what" | tr '\n' ' ')"; failed=1; }
}
sandbox() {  # sets $state to what the runner compares: names, SysV IPC, mounts, net devices
    state=
    for file in /proc/sys/kernel/hostname /proc/sys/kernel/domainname /proc/sysvipc/msg \
        /proc/sysvipc/shm /proc/sysvipc/sem /proc/self/mountinfo /proc/net/dev; do
        while IFS= read -r line; do state="$state$line$nl"; done < "$file"
    done
}

begin() {  # begin FIFO...: notes the sandbox's state, makes $dir with these fifos, opens fd 3
    sandbox
    sandbox_before=$state
    dir=$(mktemp -d) || exit 1
    trap 'rm -rf "$dir"' EXIT
    for fifo in "$@"; do mkfifo "$dir/$fifo" || exit 1; done
    # Every "ready" is read from one descriptor opened once (read-write, so it never sees
    # end-of-file): a fifo opened afresh would end the next read early if the last writer had
    # not closed it yet.
    exec 3<> "$dir/ready"
}
finish() {  # the runner's last checks: the sandbox as it was, no process left; then exit
    sandbox
    check "hostname, domainname, SysV IPC, mounts and network devices of the sandbox: unchanged" \
        '[ "$state" = "$sandbox_before" ]'
    left=
    read -r left < /proc/$$/task/$$/children
    check "processes of the experiment still running, or zombies: none, got '$left'" '[ -z "$left" ]'
    exit "$failed"
}
demo_host() {  # demo_host KIND: a shell in a new KIND namespace holds it until we write to
    # $dir/host (begin made that fifo); its pid in $host, like the runner's demo host
    unshare --"$1" sh -c 'echo > "$1/ready"; exec cat "$1/host" > /dev/null' sh "$dir" &
    host=$!
    read -r _ <&3
}
new_namespace() {  # new_namespace KIND: the first step of a chapter, from the demo host
    # readlink /proc/self/ns/KIND; unshare --KIND readlink /proc/self/ns/KIND
    old=$(nsenter --target "$host" --"$1" readlink /proc/self/ns/"$1")
    new=$(nsenter --target "$host" --"$1" unshare --"$1" readlink /proc/self/ns/"$1")
    check "$1 namespace of the new process: $new, not the demo host's $old" '[ -n "$new" ] && [ "$new" != "$old" ]'
}
