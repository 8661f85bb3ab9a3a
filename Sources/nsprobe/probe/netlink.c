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
#include <linux/nsfs.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

// One request: its header, then the family's header and attributes, in place. Names are
// shorter than IFNAMSIZ, so a request needs far less than its body; one that would not fit
// is marked and never sent.
struct request {
    struct nlmsghdr header;
    char body[1024];
    int too_long;
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
    static struct rtattr nowhere;
    if (NLMSG_ALIGN(request->header.nlmsg_len) + RTA_SPACE(size) > offsetof(struct request, too_long)) {
        request->too_long = 1;
        return &nowhere;
    }
    struct rtattr *attribute = (struct rtattr *)((char *)request + NLMSG_ALIGN(request->header.nlmsg_len));
    attribute->rta_type = type;
    attribute->rta_len = RTA_LENGTH(size);
    if (size) memcpy(RTA_DATA(attribute), data, size);
    request->header.nlmsg_len = NLMSG_ALIGN(request->header.nlmsg_len) + RTA_ALIGN(attribute->rta_len);
    return attribute;
}

static void end_nest(struct request *request, struct rtattr *nest) {
    if (request->too_long) return;
    nest->rta_len = (unsigned short)((char *)request + request->header.nlmsg_len - (char *)nest);
}

// Sends the request and reads the kernel's acknowledgement: 0, or the errno it answered with.
static int ask_kernel(struct request *request) {
    if (request->too_long) return EMSGSIZE;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return errno;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    int error = 0;
    if (sendto(fd, request, request->header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        error = errno;
    } else {
        char answer[4096];
        ssize_t size;
        while ((size = recv(fd, answer, sizeof answer, 0)) < 0 && errno == EINTR) continue;
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
    end_guarded(refused, error);
    return 0;
}

// "NAME,REST": NAME cut off at the first comma; REST, or NULL when there is none.
static char *split_at_comma(char *argument) {
    char *rest = argument ? strchr(argument, ',') : NULL;
    if (rest) *rest++ = 0;
    return rest;
}

static int digits_only(const char *text) { return *text && strspn(text, "0123456789") == strlen(text); }

// A device name as the kernel takes it: not empty, shorter than IFNAMSIZ.
static int valid_name(const char *name) { return name && *name && strlen(name) < IFNAMSIZ; }

// Opens the network namespace a device is to go into, `target` a pid (/proc/PID/ns/net) or the
// path of a name `ip netns attach` gave (/run/netns/NAME), into `*fd`: 0, or the errno. The
// device may go there only when it is a network namespace the runner made (else `*refused`
// says why and `*fd` is -1). The kernel gets that same fd: what was checked is what is used.
static int open_target(const char *target, int *fd, const char **refused) {
    char path[64];
    *fd = -1;
    if (digits_only(target)) {
        errno = 0;
        long pid = strtol(target, NULL, 10);
        if (errno || pid < 1 || pid > 4194304) return EINVAL;  // PID_MAX_LIMIT
        snprintf(path, sizeof path, "/proc/%ld/ns/net", pid);
        target = path;
    } else if (target[0] != '/') {
        return EINVAL;
    }
    int namespace = open(target, O_RDONLY | O_CLOEXEC);
    if (namespace < 0) return errno;
    if (ioctl(namespace, NS_GET_NSTYPE) != CLONE_NEWNET) {
        close(namespace);
        return EINVAL;
    }
    if (!namespace_fd_owned("net", namespace, "target ", refused)) {
        close(namespace);
        return 0;
    }
    *fd = namespace;
    return 0;
}

// veth=NAME,PEER[,TARGET]: a veth pair, its PEER end in the network namespace of TARGET (a pid
// or a path) when given.
int action_veth(char *argument, const char *refused) {
    char *peer = split_at_comma(argument);
    char *target = split_at_comma(peer);
    int error = 0, into = -1;
    if (!valid_name(argument) || !valid_name(peer) || (target && !*target)) {
        error = EINVAL;
    } else if (!refused && target) {
        error = open_target(target, &into, &refused);
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
        if (into >= 0) add_attribute(&request, IFLA_NET_NS_FD, &(unsigned int){(unsigned int)into}, sizeof(unsigned int));
        end_nest(&request, peer_info);
        end_nest(&request, data);
        end_nest(&request, info);
        error = ask_kernel(&request);
    }
    if (into >= 0) close(into);
    return report_change("veth", argument, peer, refused, error);
}

// addr=NAME,ADDRESS/PREFIX: an IPv4 address on the device, its subnet routed through it.
int action_addr(char *argument, const char *refused) {
    char *address = split_at_comma(argument);
    char *slash = address ? strchr(address, '/') : NULL;
    struct ifaddrmsg header = {.ifa_family = AF_INET, .ifa_scope = RT_SCOPE_UNIVERSE};
    struct in_addr local;
    int error = 0;
    // The prefix: one or two digits, at most 32.
    if (!valid_name(argument) || !slash || !digits_only(slash + 1) || strlen(slash + 1) > 2 || atoi(slash + 1) > 32) {
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

// A change to an existing device, named in IFLA_IFNAME: its flags, or (to a namespace fd) its
// namespace.
static int change_link(unsigned short type, const char *name, unsigned int up, int namespace) {
    struct request request;
    struct ifinfomsg link = {.ifi_family = AF_UNSPEC, .ifi_flags = up, .ifi_change = up};
    start_request(&request, type, 0, &link, sizeof link);
    add_attribute(&request, IFLA_IFNAME, name, strlen(name) + 1);
    if (namespace >= 0) add_attribute(&request, IFLA_NET_NS_FD, &(unsigned int){(unsigned int)namespace}, sizeof(unsigned int));
    return ask_kernel(&request);
}

// link-up=NAME: IFF_UP set, as `ip link set NAME up`.
int action_link_up(char *name, const char *refused) {
    int error = valid_name(name) ? 0 : EINVAL;
    if (!error && !refused) error = change_link(RTM_NEWLINK, name, IFF_UP, -1);
    return report_change("up", name, NULL, refused, error);
}

// link-netns=NAME,PID or link-netns=NAME,/run/netns/NAME: the device into that namespace.
int action_link_netns(char *argument, const char *refused) {
    char *target = split_at_comma(argument);
    int error = 0, into = -1;
    if (!valid_name(argument) || !target || !*target) {
        error = EINVAL;
    } else if (!refused) {
        error = open_target(target, &into, &refused);
    }
    if (!error && !refused) error = change_link(RTM_NEWLINK, argument, 0, into);
    if (into >= 0) close(into);
    return report_change("netns", argument, target, refused, error);
}

// link-delete=NAME: the device, and with a veth its peer, wherever that is: the runner deletes
// only pairs it made.
int action_link_delete(char *name, const char *refused) {
    int error = valid_name(name) ? 0 : EINVAL;
    if (!error && !refused) error = change_link(RTM_DELLINK, name, 0, -1);
    return report_change("delete", name, NULL, refused, error);
}
