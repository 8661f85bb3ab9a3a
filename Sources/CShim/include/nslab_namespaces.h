// The namespace kinds, once, for the shim, the probe and Swift (namespaces(7)): each kind's name
// as /proc/PID/ns names its link, the CLONE_NEW* flag that makes it (clone(2), unshare(2)),
// that flag's name, and, for the two kinds whose new namespace a process's children enter
// rather than the process itself, the link that shows it (pid_for_children, time_for_children).
#ifndef NSLAB_NAMESPACES_H
#define NSLAB_NAMESPACES_H

// The kernel's own header: its CLONE_NEW* need no _GNU_SOURCE (Swift imports this without it),
// and are the same tokens as the C library's.
#include <linux/sched.h>

#ifndef CLONE_NEWTIME  // kernel headers older than Linux 5.6
#define CLONE_NEWTIME 0x00000080
#endif

struct nslab_namespace_kind {
    const char *name;           // "uts", as /proc/self/ns/uts
    int flag;                   // CLONE_NEWUTS
    const char *flag_name;      // "CLONE_NEWUTS"
    const char *children_link;  // "pid_for_children", or NULL: the process itself is in it
};

// In the order namespaces(7) lists them, which is also their names' order.
__attribute__((unused)) static const struct nslab_namespace_kind nslab_namespace_kinds[] = {
    {"cgroup", CLONE_NEWCGROUP, "CLONE_NEWCGROUP", 0},
    {"ipc", CLONE_NEWIPC, "CLONE_NEWIPC", 0},
    {"mnt", CLONE_NEWNS, "CLONE_NEWNS", 0},
    {"net", CLONE_NEWNET, "CLONE_NEWNET", 0},
    {"pid", CLONE_NEWPID, "CLONE_NEWPID", "pid_for_children"},
    {"time", CLONE_NEWTIME, "CLONE_NEWTIME", "time_for_children"},
    {"user", CLONE_NEWUSER, "CLONE_NEWUSER", 0},
    {"uts", CLONE_NEWUTS, "CLONE_NEWUTS", 0},
};

#define NSLAB_NAMESPACE_KIND_COUNT ((int)(sizeof nslab_namespace_kinds / sizeof *nslab_namespace_kinds))

/// The kind named `name` ("uts"), or NULL; for Swift, which cannot index a C array of structs.
const struct nslab_namespace_kind *nslab_namespace_kind_named(const char *name);

#endif
