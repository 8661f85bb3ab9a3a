#!/bin/sh
# user-namespace by hand: the steps of `runner run user-namespace`, done with util-linux and
# capsh (libcap) and checked with [ ]. Run it as root: `sh scripts/by-hand/user-namespace.sh`.
# Exit 0 when every check passed, 1 otherwise, with one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. In there a
# demo host, a shell holding a new UTS namespace that no new user namespace owns, plays the
# old side: every step starts its processes from it with `nsenter --target "$host"`. The
# maps of a waiting process are written from outside, as the runner writes them. Processes
# wait for each other on fifos, never with sleep. At the end it checks, like the runner,
# that the sandbox is as it found it and that no process is left.
set -u
export LC_ALL=C
. "$(dirname "$0")/common.sh"
ends() {  # ends TEXT OUTPUT: whether OUTPUT ends with TEXT (an error message, say)
    case $2 in *"$1") true ;; *) false ;; esac
}
hold() {  # a process in a new user namespace, without maps, from the demo host, that waits
    # until release; its pid in $holder
    $old unshare --user sh -c 'echo > "$1/ready"; exec cat "$1/hold" > /dev/null' sh "$dir" &
    holder=$!
    read -r _ <&3
}
release() {
    echo > "$dir/hold"
    wait "$holder"
}
hundred() {  # hundred COMMAND...: COMMAND as 100 in a new user namespace where 100 is 200,
    # from the demo host, its output in $dir/out. The child waits while we write, as the
    # runner does, deny to its setgroups and its maps; then setpriv makes it 100 (--keep-caps:
    # it needs CAP_SETUID there after the exec of sh; --inh-caps=-all drops the ambient set
    # that --keep-caps made, or COMMAND, uid 100, would keep every capability). Its pid in
    # $holder, and the script goes on, once the maps are written; release lets it run.
    $old unshare --user --keep-caps sh -c 'echo > "$1/ready"; read -r _ < "$1/hold"; shift
        exec setpriv --reuid=100 --regid=100 --keep-groups --inh-caps=-all "$@"' sh "$dir" "$@" > "$dir/out" 2>&1 &
    holder=$!
    read -r _ <&3
    echo deny > /proc/$holder/setgroups
    printf '100 200 1\n' > /proc/$holder/uid_map
    printf '100 200 1\n' > /proc/$holder/gid_map
}
caps='capsh --current | head -n 1'  # "Current: =ep": cap_to_text(3), as the runner shows them
begin ready hold host
# (cat, not sh's read: a sysctl number is read whole or not at all.)
overflowuid=$(cat /proc/sys/kernel/overflowuid)
overflowgid=$(cat /proc/sys/kernel/overflowgid)

demo_host uts
old="nsenter --target $host --uts"  # $old COMMAND: runs COMMAND in the demo host

# no-maps: unshare --user --keep-caps sh -c 'id; cat /proc/self/uid_map; grep CapEff
# /proc/self/status; hostname nslab-user'. The runner looks at the capabilities before any
# execve; here, after the exec of sh, --keep-caps keeps them (as inheritable and ambient
# too): =eip where the runner sees =ep.
outside=$(readlink /proc/$host/ns/user)
before=$($old hostname)
$old unshare --user --keep-caps sh -c "readlink /proc/self/ns/user; id -u; id -g
    echo \$(cat /proc/self/uid_map); $caps; exec hostname nslab-user" > "$dir/out" 2>&1
after=$($old hostname)
{ read -r user; read -r uid; read -r gid; read -r map; read -r _ inside; read -r refused; } < "$dir/out"
check "user namespace after unshare: not $outside, got '$user'" '[ -n "$user" ] && [ "$user" != "$outside" ]'
check "its uid, unmapped: the overflow uid $overflowuid, got '$uid'" '[ "$uid" = "$overflowuid" ]'
check "its gid: the overflow gid $overflowgid, got '$gid'" '[ "$gid" = "$overflowgid" ]'
check "its uid_map: empty, got '$map'" '[ -z "$map" ]'
check "its capabilities: every one, =eip (=ep, and inheritable for --keep-caps), got '$inside'" '[ "$inside" = =eip ]'
# hostname(1) says EPERM so.
check "sethostname in the demo host's UTS namespace, which another user namespace owns: EPERM, got '$refused'" \
    'ends "you must be root to change the host name" "$refused"'
check "the demo host's hostname: $before, got '$after'" '[ "$after" = "$before" ]'

# maps: unshare --user sleep 9 & echo deny > /proc/$!/setgroups; printf '100 200 1\n' >
# /proc/$!/uid_map, gid_map; then it becomes 100 (setpriv --reuid=100 --regid=100) and reads
# its uid_map itself, and from a user namespace nested in it where it is root (no exec: $$,
# the map's reader, stays where it is 100).
hundred sh -c "id -u; id -g; cat /proc/self/setgroups /proc/self/uid_map; $caps
    unshare --user --map-root-user cat /proc/\$\$/uid_map"
read -r o1 o2 o3 < /proc/$holder/uid_map
release
{ read -r uid; read -r gid; read -r setgroups; read -r m1 m2 m3; read -r _ inside; read -r n1 n2 n3; } < "$dir/out"
check "uid and gid inside: 100 100, got '$uid $gid'" '[ "$uid $gid" = "100 100" ]'
check "setgroups, written first: deny, got '$setgroups'" '[ "$setgroups" = deny ]'
check "uid_map read inside: 100 200 1, got '$m1 $m2 $m3'" '[ "$m1 $m2 $m3" = "100 200 1" ]'
check "read from the parent namespace (the second column is the parent's id): 100 200 1, got '$o1 $o2 $o3'" \
    '[ "$o1 $o2 $o3" = "100 200 1" ]'
check "read from a namespace nested inside (the second column is the reader's id): 100 0 1, got '$n1 $n2 $n3'" \
    '[ "$n1 $n2 $n3" = "100 0 1" ]'
check "capabilities of uid 100 after execve (not 0 inside: none): =, got '$inside'" '[ "$inside" = = ]'

# map-errors: the writes of unshare --user --keep-caps bash -c 'echo 0 0 1 > /proc/self/gid_map;
# echo deny > /proc/self/setgroups; ...', ours, and setresuid(5000). tee, not sh's echo,
# says why a write failed.
no_deny=$(echo 0 0 1 | $old unshare --user --keep-caps tee /proc/self/gid_map 2>&1 > /dev/null)
not_mine=$(echo 0 1000 1 | $old unshare --user --keep-caps tee /proc/self/uid_map 2>&1 > /dev/null)
uid=$($old unshare --user --keep-caps sh -c '
    echo deny > /proc/self/setgroups && echo 0 0 1 > /proc/self/gid_map && echo 0 0 1 > /proc/self/uid_map &&
    exec id -u' 2>&1)
hold
printf '0 0 1\n' > /proc/$holder/uid_map
printf '0 0 1\n' > /proc/$holder/gid_map
twice=$(printf '0 0 1\n' | tee /proc/$holder/uid_map 2>&1 > /dev/null)
release
hold
malformed=$(printf '0 0\n' | tee /proc/$holder/uid_map 2>&1 > /dev/null)
release
unmapped=$($old unshare --user --map-root-user setpriv --reuid=5000 true 2>&1)
check "gid_map written by the process itself before setgroups deny: EPERM, got '$no_deny'" \
    'ends ": Operation not permitted" "$no_deny"'
check "uid_map mapping an id the writer does not have: EPERM, got '$not_mine'" \
    'ends ": Operation not permitted" "$not_mine"'
check "setgroups deny, then its own gid and uid: uid inside 0, got '$uid'" '[ "$uid" = 0 ]'
check "a second write to a map: uid_map: EPERM, got '$twice'" 'ends "/uid_map: Operation not permitted" "$twice"'
check "a map line without its count: EINVAL, got '$malformed'" 'ends ": Invalid argument" "$malformed"'
check "taking a uid the map does not hold (setresuid): EINVAL, got '$unmapped'" \
    'ends "setresuid failed: Invalid argument" "$unmapped"'

# file-access: open for writing (tee -a, which writes nothing) a file of 200's, mode 0644, and
# one of root's, mode 0600, as real root, as 100 where 100 is 200, and as root where 0 is 200.
# The runner's workbench: a directory that the processes that are 200 outside may go through.
chmod 711 "$dir"
mkdir -m 755 "$dir/user"
echo "200's file" > "$dir/user/owned-by-200"
chown 200:200 "$dir/user/owned-by-200"
(umask 077; echo "root's secret" > "$dir/user/root-only")
opens='for file in owned-by-200 root-only; do tee -a "$1/$file" < /dev/null 2>&1 && echo success; done'
real=$($old sh -c "$opens" sh "$dir/user")
hundred sh -c "$opens" sh "$dir/user"
release
{ read -r owned; read -r root_only; } < "$dir/out"
hold
printf '0 200 1\n' > /proc/$holder/uid_map
printf '0 200 1\n' > /proc/$holder/gid_map
# nsenter --user makes itself 0 there, and sh is root with every capability.
nsenter --target "$holder" --user sh -c "$caps; $opens" sh "$dir/user" > "$dir/out"
release
{ read -r _ inside; read -r _; read -r as_root; } < "$dir/out"
check "100 inside opens 200's file for writing: success, got '$owned'" '[ "$owned" = success ]'
check "and not root's 0600 file: EACCES, got '$root_only'" 'ends ": Permission denied" "$root_only"'
check "root inside (200 outside) has every capability there: =ep, got '$inside'" '[ "$inside" = =ep ]'
check "yet CAP_DAC_OVERRIDE does not open root's 0600 file: EACCES, got '$as_root'" \
    'ends ": Permission denied" "$as_root"'
check "real root outside opens it: success, got '${real#*"$nl"}'" '[ "${real#*"$nl"}" = success ]'

# unprivileged: setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user
# --map-root-user --uts sh -c 'id -u; hostname rootless; hostname'
before=$($old hostname)
$old setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "id -u
    exec unshare --user --map-root-user --uts sh -c '
        cat /proc/self/uid_map; id -u; $caps; readlink /proc/self/ns/uts; hostname rootless && echo success; hostname'" > "$dir/out" 2>&1
status=$?
after=$($old hostname)
{ read -r nobody; read -r m1 m2 m3; read -r uid; read -r _ inside; read -r uts; read -r renamed; read -r name; } < "$dir/out"
outside=$(readlink /proc/$host/ns/uts)
check "uid before: nobody, 65534, got '$nobody'" '[ "$nobody" = 65534 ]'
check "unshare --user --uts as nobody: exit 0, got $status" '[ $status = 0 ]'
check "uid_map, written by itself: 0 65534 1, got '$m1 $m2 $m3'" '[ "$m1 $m2 $m3" = "0 65534 1" ]'
check "uid and capabilities inside: 0 =ep, got '$uid $inside'" '[ "$uid $inside" = "0 =ep" ]'
check "its UTS namespace: not $outside, got '$uts'" '[ -n "$uts" ] && [ "$uts" != "$outside" ]'
check "sethostname there (its own user namespace owns that UTS namespace): success, got '$renamed'" \
    '[ "$renamed" = success ]'
check "its hostname: rootless, got '$name'" '[ "$name" = rootless ]'
check "the demo host's hostname: $before, got '$after'" '[ "$after" = "$before" ]'

# limits: unshare --user --map-root-user sh -c 'echo 0 > /proc/sys/user/max_user_namespaces;
# unshare --user true'; cat /proc/sys/user/max_user_namespaces
limit=/proc/sys/user/max_user_namespaces
before=$(cat $limit)
$old unshare --user --map-root-user sh -c 'echo 0 > "$1"; cat "$1"; exec unshare --user true' sh $limit > "$dir/out" 2>&1
after=$(cat $limit)
{ read -r inside; read -r nested; } < "$dir/out"
check "the limit inside: 0, got '$inside'" '[ "$inside" = 0 ]'
check "a user namespace nested in it: ENOSPC, got '$nested'" 'ends ": No space left on device" "$nested"'
check "the limit where the runner runs, unchanged: $before, got '$after'" '[ "$after" = "$before" ]'

# Nothing changed outside the experiment's namespaces.
echo > "$dir/host"
wait "$host"
finish
