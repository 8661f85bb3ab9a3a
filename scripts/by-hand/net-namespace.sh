#!/bin/sh
# net-namespace by hand: the steps of `runner run net-namespace`, done with iproute2 (ip, ss),
# busybox nc and util-linux, and checked with [ ] (awk to list devices). Run it as root:
# `sh scripts/by-hand/net-namespace.sh`. Exit 0 when every check passed, 1 otherwise, with
# one line per failed check.
#
# Like the runner, it first makes a throwaway sandbox (new UTS, IPC, mount, network and PID
# namespaces with a /proc of their own) and runs again inside it, as its pid 1. In there a
# demo host, a shell holding new network and mount namespaces, with lo up and a tmpfs on /run
# (where `ip netns` keeps its names), plays the old side: every step makes its new namespaces
# from it, and every device and packet stays in namespaces the script made, never on the
# machine's real devices. Processes wait for each other on fifos, never with sleep; only a
# listener and the end of a veth pair are waited for by looking again, since nc says nothing
# once it listens and the kernel frees a namespace a moment after its last process. At the
# end it checks, like the runner, that the sandbox is as it found it and that no process is
# left.
set -u
export LC_ALL=C
. "$(dirname "$0")/common.sh"
ends() {  # ends TEXT OUTPUT: whether OUTPUT ends with TEXT (an error message, say)
    case $2 in *"$1") true ;; *) false ;; esac
}
has() {  # has DEVICE LIST: whether the list that devices printed holds DEVICE ("veth-ns DOWN")
    case ", $2," in *", $1,"*) true ;; *) false ;; esac
}
devices() {  # reads `ip address` and prints the devices as the runner lists them, on one line:
    # "lo UP 127.0.0.1, veth-ns DOWN". UP is the flag `ip link set … up` sets, not ip's state
    # column, which the kernel updates a moment later (and which reads UNKNOWN for lo).
    awk '/^[0-9]/ { if (name) { list = list sep name up addr; sep = ", " }; name = $2
                    sub(/(@.*)?:$/, "", name); up = $3 ~ /[<,]UP[,>]/ ? " UP" : " DOWN"; addr = "" }
         $1 == "inet" { sub(/\/.*/, "", $2); addr = addr " " $2 }
         END { if (name) list = list sep name up addr; print list }'
}
hold() {  # hold SETUP: a new network namespace, from the demo host, where shell code SETUP
    # runs, then a process holds it until release; its pid in $holder, and $new COMMAND runs
    # COMMAND there
    $old unshare --net sh -c "$1"'
        echo > "$1/ready"; exec cat "$1/hold" > /dev/null' sh "$dir" &
    holder=$!
    read -r _ <&3
    new="nsenter --target $holder --net"
}
release() {
    echo > "$dir/hold"
    wait "$holder"
}
listen() {  # listen NSENTER...: busybox nc -l -p 8080 where NSENTER runs it, its pid in
    # $listener; then waits, at most 1000 looks and while nc runs, until ss there shows a
    # listener on port 8080. $listens: that line of ss, or what nc said.
    "$@" busybox nc -l -p 8080 < /dev/null > /dev/null 2> "$dir/listen" &
    listener=$!
    tries=0
    until listens=$("$@" ss -Hltn sport = 8080) && [ -n "$listens" ]; do
        tries=$((tries + 1))
        [ $tries -lt 1000 ] && kill -0 $listener 2> /dev/null || { listens=$(cat "$dir/listen"); break; }
    done
}
stop() {  # stop PID: ends a listener (nc serves one connection, or none), quietly
    kill "$1" 2> /dev/null
    wait "$1" 2> /dev/null
}
begin ready hold host

# The demo host, as the runner sets it up: its own /run (the names `ip netns` makes go with
# it) and lo up, as on every machine. $old COMMAND runs COMMAND there.
unshare --net --mount sh -c 'mount -t tmpfs -o nosuid,nodev,mode=0755 nslab-run /run; ip link set lo up
    echo > "$1/ready"; exec cat "$1/host" > /dev/null' sh "$dir" &
host=$!
read -r _ <&3
old="nsenter --target $host --net --mount"

# only-lo: ip -brief link; unshare --net bash -c 'ip -brief address; ip route; echo >
# /dev/tcp/127.0.0.1/8080'; and the same connect in the demo host, where nobody listens.
hold :
outside=$(readlink /proc/$host/ns/net)
inode=$(readlink /proc/$holder/ns/net)
list=$($new ip address | devices)
routes=$($new ip route)
unreachable=$($new busybox nc 127.0.0.1 8080 < /dev/null 2>&1)
release
refused=$($old busybox nc 127.0.0.1 8080 < /dev/null 2>&1)
check "net namespace of the new process: $inode, not the demo host's $outside" '[ -n "$inode" ] && [ "$inode" != "$outside" ]'
check "devices in the new namespace: lo DOWN, got '$list'" '[ "$list" = "lo DOWN" ]'
check "its routes: none, got '$routes'" '[ -z "$routes" ]'
check "connect(127.0.0.1:8080) there: ENETUNREACH, got '$unreachable'" 'ends ": Network is unreachable" "$unreachable"'
check "the same connect in the old namespace (lo up, nobody listening): ECONNREFUSED, got '$refused'" \
    'ends ": Connection refused" "$refused"'

# loopback-up: unshare --net sh -c 'ip link set lo up; ip -brief address'; then a listener
# on port 8080 there, and a connection to it over lo. (busybox nc listens on every address,
# *:8080, where the runner listens on 127.0.0.1:8080 only; so in every step.)
hold 'ip link set lo up'
list=$($new ip address | devices)
listen $new
connected=$($new busybox nc 127.0.0.1 8080 < /dev/null 2>&1 && echo success)
stop $listener
release
check "devices in the new namespace: lo UP 127.0.0.1, got '$list'" '[ "$list" = "lo UP 127.0.0.1" ]'
check "listen(*:8080): LISTEN, got '$listens'" 'case $listens in LISTEN*) true ;; *) false ;; esac'
check "connect(127.0.0.1:8080): a TCP handshake over lo: success, got '$connected'" '[ "$connected" = success ]'

# same-port: busybox nc -l -p 8080 in the demo host, and meanwhile twice in a new namespace.
listen $old
old_listener=$listener old_listens=$listens
hold 'ip link set lo up'
listen $new
second=$($new busybox nc -w 1 -l -p 8080 < /dev/null 2>&1)  # (-w 1: gives up after 1 s)
stop $listener
stop $old_listener
release
check "listen(*:8080) in the old namespace: LISTEN, got '$old_listens'" \
    'case $old_listens in LISTEN*) true ;; *) false ;; esac'
check "the same port in the new namespace, meanwhile: LISTEN, got '$listens'" \
    'case $listens in LISTEN*) true ;; *) false ;; esac'
check "a second listen on it in the new namespace (the port is taken there): EADDRINUSE, got '$second'" \
    'ends "bind: Address already in use" "$second"'

# veth: from the demo host, ip link add veth-host type veth peer name veth-ns netns PID; ip
# addr add 10.200.0.1/24 dev veth-host; ip link set veth-host up; in the new namespace the
# same for veth-ns with 10.200.0.2/24; then a TCP connection across the cable.
hold 'ip link set lo up'
before=$($new ip route)
$old ip link add veth-host type veth peer name veth-ns netns $holder
$old ip addr add 10.200.0.1/24 dev veth-host
$old ip link set veth-host up
$new ip addr add 10.200.0.2/24 dev veth-ns
$new ip link set veth-ns up
listen $old
old_list=$($old ip address | devices)
list=$($new ip address | devices)
routes=$($new ip route)
connected=$($new busybox nc 10.200.0.1 8080 < /dev/null 2>&1 && echo success)
stop $listener
$old ip link delete veth-host  # both ends, at once, while the new namespace lives
release
check "routes in the new namespace before the cable: none, got '$before'" '[ -z "$before" ]'
check "devices in the new namespace after it: lo UP 127.0.0.1, veth-ns UP 10.200.0.2, got '$list'" \
    '[ "$list" = "lo UP 127.0.0.1, veth-ns UP 10.200.0.2" ]'
check "its routes: only the one the address brought, 10.200.0.0/24 dev veth-ns, got '$routes'" \
    '[ "${routes%%" proto "*}" = "10.200.0.0/24 dev veth-ns" ] && [ "$routes" = "${routes%%"$nl"*}" ]'
check "devices in the old namespace: veth-host UP 10.200.0.1 listed, got '$old_list'" \
    'has "veth-host UP 10.200.0.1" "$old_list"'
check "listen(*:8080) in the old namespace: LISTEN, got '$listens'" 'case $listens in LISTEN*) true ;; *) false ;; esac'
check "connect(10.200.0.1:8080) from the new namespace, across the cable: success, got '$connected'" \
    '[ "$connected" = success ]'

# move: ip link add veth-host type veth peer name veth-ns; ip link set veth-ns netns PID; back
# from inside by the demo host's pid; ip netns attach nslab-lab PID; in again by name; ip
# netns delete nslab-lab; then the new namespace's last process exits.
hold 'ip link set lo up'
$old ip link add veth-host type veth peer name veth-ns
$old ip link set veth-ns netns $holder
by_pid=$($new ip address | devices)
old_list=$($old ip address | devices)
$new ip link set veth-ns netns $host
back=$($old ip address | devices)
$old ip netns attach nslab-lab $holder
fstype=$(findmnt --task $host --noheadings --output FSTYPE --mountpoint /run/netns/nslab-lab)
$old ip link set veth-ns netns nslab-lab
by_name=$($new ip address | devices)
$old ip netns delete nslab-lab
release
# The kernel frees the namespace, and the pair with it, from a work queue: look again until
# veth-host is gone, for at most 5 s (whole seconds of /proc/uptime), as the runner waits.
read -r start _ < /proc/uptime
while $old ip link show veth-host > /dev/null 2>&1; do
    read -r now _ < /proc/uptime
    [ $((${now%.*} - ${start%.*})) -lt 5 ] || break
done
gone=$($old ip link show veth-host 2>&1)
final=$($old ip address | devices)
check "by pid: veth-ns is in the new namespace: veth-ns DOWN listed, got '$by_pid'" 'has "veth-ns DOWN" "$by_pid"'
check "and gone from the old one: veth-ns DOWN not listed, got '$old_list'" '! has "veth-ns DOWN" "$old_list"'
check "back by the demo host's pid, from inside: veth-ns DOWN listed, got '$back'" 'has "veth-ns DOWN" "$back"'
check "ip netns attach: a bind mount of the namespace under /run/netns: nsfs, got '$fstype'" '[ "$fstype" = nsfs ]'
check "by name: veth-ns is in the new namespace again: veth-ns DOWN listed, got '$by_name'" 'has "veth-ns DOWN" "$by_name"'
check "when the new namespace died, its end of the pair went, and the other with it: got '$gone'" \
    'ends "\"veth-host\" does not exist." "$gone"'
check "the old namespace's devices at the end: lo UP 127.0.0.1, got '$final'" '[ "$final" = "lo UP 127.0.0.1" ]'

# Nothing changed outside the experiment's namespaces.
echo > "$dir/host"
wait "$host"
finish
