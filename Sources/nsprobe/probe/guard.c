// The guard of the actions that change a namespace. The runner must only ever change
// namespaces it made (README: "Nothing is done to your real machine"), so such an action acts
// only when the namespace the probe is in at that moment (its /proc/self/ns inode) is listed in
// NSLAB_OWNED, "kind:inode,..." that the runner's shim sets to the namespaces it made in this
// run and proved by inode, or is owned by a user namespace listed there (or one below it), or
// was made by the probe itself (unshare).
#include "nsprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

// Namespaces the probe made itself with its unshare action, "kind:inode": made in this run
// just as much as those the shim made, so a guarded action may act in them.
static char made_here[512];

void note_made_here(const char *kind, unsigned long long inode) {
    size_t used = strlen(made_here);
    snprintf(made_here + used, sizeof made_here - used, "%s%s:%llu", used ? "," : "", kind, inode);
}

// 1 when the probe's `kind` namespace (a /proc/self/ns link name), as it is now, is listed in
// NSLAB_OWNED ("uts:4026532178,ipc:4026532179": the namespaces the runner made in this run).
// Else 0, and `why` says why in one sentence. Malformed entries are skipped.
int namespace_owned(const char *kind, const char **why) {
    static char reason[256];
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", kind);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const char *name = strerrorname_np(errno);
        snprintf(reason, sizeof reason,
                 "the %s namespace cannot be shown made by the runner: %s: %s", kind, path,
                 name ? name : "unknown");
        *why = reason;
        return 0;
    }
    int owned = namespace_fd_owned(kind, fd, "", why);
    close(fd);
    return owned;
}

// The same for the namespace open at `fd` (another process's, a device's destination), whose
// reason starts with `role` ("target "). The caller then uses that very fd: what was checked
// is what is used.
int namespace_fd_owned(const char *kind, int fd, const char *role, const char **why) {
    static char reason[256];
    struct stat st;
    if (fstat(fd, &st) < 0) {
        const char *name = strerrorname_np(errno);
        snprintf(reason, sizeof reason, "the %s%s namespace cannot be shown made by the runner: %s", role, kind,
                 name ? name : "unknown");
        *why = reason;
        return 0;
    }
    const char *owned = getenv("NSLAB_OWNED");
    size_t length = strlen(kind);
    char mine[96];
    snprintf(mine, sizeof mine, "%s:%llu", kind, (unsigned long long)st.st_ino);
    for (const char *entry = made_here; *entry;) {  // whole entries only
        size_t n = strcspn(entry, ",");
        if (n == strlen(mine) && !strncmp(entry, mine, n)) return 1;
        entry += n + (entry[n] == ',');
    }
    for (const char *entry = owned; entry && *entry;) {
        size_t n = strcspn(entry, ",");
        // "kind:" then 1 to 19 digits (no overflow); anything else is skipped.
        if (n > length + 1 && n < length + 21 && !strncmp(entry, kind, length) &&
            entry[length] == ':') {
            unsigned long long inode = 0;
            size_t i = length + 1;
            while (i < n && entry[i] >= '0' && entry[i] <= '9') {
                inode = inode * 10 + (unsigned)(entry[i++] - '0');
            }
            if (i == n && inode == (unsigned long long)st.st_ino) return 1;
        }
        entry += n + (entry[n] == ',');
    }
    // Or it is owned by a user namespace the runner made, or one below it (the grader's
    // sandbox, where a student's program makes its own): no such namespace can be the host's.
    // NS_GET_USERNS gives the owner, NS_GET_PARENT walks up (ioctl_ns(2)).
    int owner = !strcmp(kind, "user") ? fcntl(fd, F_DUPFD_CLOEXEC, 0)  // it stands for itself first
                                      : ioctl(fd, NS_GET_USERNS);
    for (int depth = 0; owner >= 0 && depth < 33; depth++) {
        struct stat user;
        char entry[64];
        if (fstat(owner, &user) == 0) {
            snprintf(entry, sizeof entry, "user:%llu", (unsigned long long)user.st_ino);
            size_t n = strlen(entry);
            for (const char *at = owned; at && (at = strstr(at, entry));) {
                if ((at == owned || at[-1] == ',') && (at[n] == ',' || at[n] == 0)) {
                    close(owner);
                    return 1;
                }
                at += n;
            }
        }
        int parent = ioctl(owner, NS_GET_PARENT);
        close(owner);
        owner = parent;
    }
    if (owner >= 0) close(owner);
    snprintf(reason, sizeof reason, "%s%s namespace %llu was not made by the runner in this run (%s)",
             role, kind, (unsigned long long)st.st_ino,
             owned ? "not in NSLAB_OWNED" : "NSLAB_OWNED is not set");
    *why = reason;
    return 0;
}
