#!/bin/sh
# namespace-limits by hand: the steps of `runner run namespace-limits`, done with util-linux
# and checked with [ ]. Run it as root: `sh scripts/by-hand/namespace-limits.sh`. Exit 0 when
# every check passed, 1 otherwise, with one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. As in the
# runner, the old side is the sandbox's own user namespace, the initial one: no demo host. A
# limit is only ever written inside a user namespace made for it (unshare --user
# --map-root-user), never the machine's. At the end it checks, like the runner, that the
# sandbox is as it found it and that no process is left.
set -u
export LC_ALL=C
. "$(dirname "$0")/common.sh"
ends() {  # ends TEXT OUTPUT: whether OUTPUT ends with TEXT (an error message, say)
    case $2 in *"$1") true ;; *) false ;; esac
}
limit=/proc/sys/user/max_uts_namespaces
begin ready

# per-user-namespace: cat $limit; unshare --user --map-root-user cat $limit
# (cat, not sh's read: read takes a byte at a time, and a sysctl number is read whole or not
# at all, so read would see its first digit only.)
outside=$(cat $limit)
inside=$(unshare --user --map-root-user cat $limit)
now=$(cat $limit)
check "max_uts_namespaces of a new user namespace: 2147483647, got '$inside'" '[ "$inside" = 2147483647 ]'
check "the limit here, unchanged: $outside, got '$now'" '[ "$now" = "$outside" ]'

# limit-reached: unshare --user --map-root-user sh -c 'echo 1 > $limit; unshare --uts unshare
# --uts true'. The second UTS namespace is made while the first one lives: from inside it.
unshare --user --map-root-user sh -c '
    echo 1 > "$1"; cat "$1"; unshare --uts sh -c "echo made; exec unshare --uts true"' sh $limit > "$dir/out" 2>&1
{ read -r inside; read -r first; read -r second; } < "$dir/out"
check "the limit inside: 1, got '$inside'" '[ "$inside" = 1 ]'
check "a first UTS namespace: made, got '$first'" '[ "$first" = made ]'
check "a second one, past the limit of 1: ENOSPC, got '$second'" 'ends ": No space left on device" "$second"'

# zero-forbids: unshare --user --map-root-user sh -c 'echo 0 > $limit; unshare --uts true;
# echo -1 > $limit'. Each limit in a user namespace of its own; tee, not sh's echo, says why
# the write failed.
zero=$(unshare --user --map-root-user sh -c 'echo 0 > "$1"; exec unshare --uts true' sh $limit 2>&1)
minus=$(unshare --user --map-root-user sh -c 'echo -1 | tee "$1"' sh $limit 2>&1 > /dev/null)
check "a UTS namespace under a limit of 0: ENOSPC, got '$zero'" 'ends ": No space left on device" "$zero"'
check "-1 written as a limit: EINVAL, got '$minus'" 'ends ": Invalid argument" "$minus"'

# nesting: each level makes the next until one is refused, and the last says how deep it is.
# Here, in the initial user namespace, all 33 levels below it show.
nest='unshare --user --map-root-user sh -c "$nest" sh $(($1 + 1)) || echo "made $1"'
export nest
nested=$(sh -c "$nest" sh 0 2>&1)
check "user namespaces nested: made 33, got '${nested##*"$nl"}'" '[ "${nested##*"$nl"}" = "made 33" ]'
check "one level deeper: ENOSPC, got '${nested%"$nl"*}'" 'ends ": No space left on device" "${nested%"$nl"*}"'

# Nothing changed outside the experiment's namespaces.
finish
