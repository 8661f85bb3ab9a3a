// The network devices and addresses the probe changes: the requests ip(8) sends for
// `ip link add NAME type veth peer name PEER [netns PID]`, `ip addr add ADDR/PREFIX dev NAME`,
// `ip link set NAME up`, `ip link set NAME netns PID|NAME` and `ip link delete NAME`, each one
// rtnetlink(7) message and its acknowledgement. Guarded like the probe's sockets: they act only
// in a network namespace the runner made, and a device moves only into another such namespace.
// Each prints one "link" event: the change, the device, and how the kernel answered.
#include "nsprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

// One request: its header, then the family's header and attributes, in place.
struct request {
    struct nlmsghdr header;
    char body[1024];
};

static struct request *start_request(struct request *request, unsigned short type, unsigned short flags,
                                      const void *family_header, size_t size) {
    memset(request, 0, sizeof *request);
    request->header.nlmsg_len = NLMSG_LENGTH(size);
    request->header.nlmsg_type = type;
    request->header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    memcpy(NLMSG_DATA(&request->header), family_header, size);
    return request;
}

// Appends an attribute (nested ones are closed by end_nest) and returns where it starts.
static struct rtattr *add_attribute(struct request *request, unsigned short type, const void *data, size_t size) {
    struct rtattr *attribute = (struct rtattr *)((char *)request + NLMSG_ALIGN(request->header.nlmsg_len));
    attribute->rta_type = type;
    attribute->rta_len = RTA_LENGTH(size);
    if (size) memcpy(RTA_DATA(attribute), data, size);
    request->header.nlmsg_len = NLMSG_ALIGN(request->header.nlmsg_len) + RTA_ALIGN(attribute->rta_len);
    return attribute;
}

static void end_nest(struct request *request, struct rtattr *nest) {
    nest->rta_len = (unsigned short)((char *)request + request->header.nlmsg_len - (char *)nest);
}

// Sends the request and reads the kernel's acknowledgement: 0, or the errno it answered with.
static int ask_kernel(struct request *request) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return errno;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    int error = 0;
    if (sendto(fd, request, request->header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        error = errno;
    } else {
        char answer[4096];
        ssize_t size = recv(fd, answer, sizeof answer, 0);
        struct nlmsghdr *header = (struct nlmsghdr *)answer;
        if (size < 0) {
            error = errno;
        } else if (!NLMSG_OK(header, (size_t)size) || header->nlmsg_type != NLMSG_ERROR) {
            error = EPROTO;
        } else {
            error = -((struct nlmsgerr *)NLMSG_DATA(header))->error;
        }
    }
    close(fd);
    return error;
}

// The "link" event of one change.
static int report_change(const char *change, const char *name, const char *argument, const char *refused,
                         int error) {
    begin("link");
    put_field("change", change);
    put_field("name", name);
    put_field("argument", argument);
    if (refused && !error) error = EPERM;
    put_refusal(refused);
    put_errno(error);
    end();
    return 0;
}

// "NAME,REST": NAME cut off at the first comma; REST, or NULL when there is none.
static char *split_at_comma(char *argument) {
    char *rest = argument ? strchr(argument, ',') : NULL;
    if (rest) *rest++ = 0;
    return rest;
}

// A device may go only into a network namespace the runner made: `target` is a pid
// (/proc/PID/ns/net) or the path of a name `ip netns attach` gave (/run/netns/NAME).
static const char *refuse_target(const char *target) {
    char path[64];
    const char *refused = NULL;
    if (target[0] != '/') {
        snprintf(path, sizeof path, "/proc/%s/ns/net", target);
        target = path;
    }
    return namespace_file_owned("net", target, &refused) ? NULL : (refused ? refused : "refused");
}

static int digits_only(const char *text) { return *text && strspn(text, "0123456789") == strlen(text); }

// veth=NAME,PEER[,PID]: a veth pair, its PEER end in PID's network namespace when given.
int action_veth(char *argument, const char *refused) {
    char *peer = split_at_comma(argument);
    char *pid = split_at_comma(peer);
    int error = 0;
    if (!argument || !peer || !*argument || !*peer || (pid && !digits_only(pid))) {
        error = EINVAL;
    } else if (!refused && pid) {
        refused = refuse_target(pid);
    }
    if (!error && !refused) {
        struct request request;
        struct ifinfomsg link = {.ifi_family = AF_UNSPEC};
        start_request(&request, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &link, sizeof link);
        add_attribute(&request, IFLA_IFNAME, argument, strlen(argument) + 1);
        struct rtattr *info = add_attribute(&request, IFLA_LINKINFO, NULL, 0);
        add_attribute(&request, IFLA_INFO_KIND, "veth", 5);
        struct rtattr *data = add_attribute(&request, IFLA_INFO_DATA, NULL, 0);
        // The peer: a link header of its own, then its attributes.
        struct rtattr *peer_info = add_attribute(&request, VETH_INFO_PEER, &link, sizeof link);
        add_attribute(&request, IFLA_IFNAME, peer, strlen(peer) + 1);
        if (pid) {
            unsigned int number = (unsigned int)strtoul(pid, NULL, 10);
            add_attribute(&request, IFLA_NET_NS_PID, &number, sizeof number);
        }
        end_nest(&request, peer_info);
        end_nest(&request, data);
        end_nest(&request, info);
        error = ask_kernel(&request);
    }
    return report_change("veth", argument, peer, refused, error);
}

// addr=NAME,ADDRESS/PREFIX: an IPv4 address on the device, its subnet routed through it.
int action_addr(char *argument, const char *refused) {
    char *address = split_at_comma(argument);
    char *slash = address ? strchr(address, '/') : NULL;
    struct ifaddrmsg header = {.ifa_family = AF_INET, .ifa_scope = RT_SCOPE_UNIVERSE};
    struct in_addr local;
    int error = 0;
    if (!address || !slash || !digits_only(slash + 1) || atoi(slash + 1) > 32) {
        error = EINVAL;
    } else {
        *slash = 0;
        if (inet_pton(AF_INET, address, &local) != 1) error = EINVAL;
        header.ifa_prefixlen = (unsigned char)atoi(slash + 1);
        *slash = '/';
    }
    if (!error && !refused && !(header.ifa_index = if_nametoindex(argument))) error = errno;
    if (!error && !refused) {
        struct request request;
        start_request(&request, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &header, sizeof header);
        add_attribute(&request, IFA_LOCAL, &local, sizeof local);
        add_attribute(&request, IFA_ADDRESS, &local, sizeof local);
        error = ask_kernel(&request);
    }
    return report_change("addr", argument, address, refused, error);
}

// A change to an existing device, named in IFLA_IFNAME: its flags, or its namespace.
static int change_link(unsigned short type, const char *name, unsigned int up, unsigned short target_type,
                       unsigned int target) {
    struct request request;
    struct ifinfomsg link = {.ifi_family = AF_UNSPEC, .ifi_flags = up, .ifi_change = up};
    start_request(&request, type, 0, &link, sizeof link);
    add_attribute(&request, IFLA_IFNAME, name, strlen(name) + 1);
    if (target_type) add_attribute(&request, target_type, &target, sizeof target);
    return ask_kernel(&request);
}

// link-up=NAME: IFF_UP set, as `ip link set NAME up`.
int action_link_up(char *name, const char *refused) {
    int error = !name || !*name ? EINVAL : 0;
    if (!error && !refused) error = change_link(RTM_NEWLINK, name, IFF_UP, 0, 0);
    return report_change("up", name, NULL, refused, error);
}

// link-netns=NAME,PID or link-netns=NAME,/run/netns/NAME: the device into that namespace.
int action_link_netns(char *argument, const char *refused) {
    char *target = split_at_comma(argument);
    int error = 0;
    if (!argument || !*argument || !target || !(digits_only(target) || target[0] == '/')) {
        error = EINVAL;
    } else if (!refused) {
        refused = refuse_target(target);
    }
    if (!error && !refused) {
        if (digits_only(target)) {
            error = change_link(RTM_NEWLINK, argument, 0, IFLA_NET_NS_PID, (unsigned int)strtoul(target, NULL, 10));
        } else {
            int fd = open(target, O_RDONLY | O_CLOEXEC);
            error = fd < 0 ? errno : change_link(RTM_NEWLINK, argument, 0, IFLA_NET_NS_FD, (unsigned int)fd);
            if (fd >= 0) close(fd);
        }
    }
    return report_change("netns", argument, target, refused, error);
}

// link-delete=NAME: the device, and with a veth its peer, wherever that is.
int action_link_delete(char *name, const char *refused) {
    int error = !name || !*name ? EINVAL : 0;
    if (!error && !refused) error = change_link(RTM_DELLINK, name, 0, 0, 0);
    return report_change("delete", name, NULL, refused, error);
}
