// Thin wrappers that keep errno, for calls Swift cannot make directly.
#define _GNU_SOURCE
#include "nslab_shim.h"
#include "nslab_namespaces.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <pthread.h>
#include <sys/capability.h>
#include <sys/signalfd.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

const unsigned long long nslab_mount_attr_rdonly = MOUNT_ATTR_RDONLY;

int nslab_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int nslab_open_path(const char *path) { return open(path, O_PATH | O_CLOEXEC); }

#ifndef MFD_EXEC  // C libraries older than Linux 6.3's flag
#define MFD_EXEC 0x0010U
#endif

// An executable memory file: asked for as such (MFD_EXEC), since Linux 6.3 may make memory
// files non-executable by default (vm.memfd_noexec); an older kernel knows no such flag.
int nslab_memfd(const char *name) {
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_EXEC);
    return fd < 0 && errno == EINVAL ? memfd_create(name, MFD_CLOEXEC) : fd;
}

int nslab_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int nslab_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int nslab_pidfd_send_signal(int pidfd, int signal) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
}

int nslab_open_in_root(int root_fd, const char *path, int to_list) {
    int flags = to_list ? O_RDONLY | O_DIRECTORY : O_PATH;
    struct open_how how = {.flags = (unsigned long long)flags | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
}

int nslab_namespace_within(int fd, unsigned long long ancestor) {
    int current = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    for (int depth = 0; current >= 0 && depth < 40; depth++) {
        struct stat st;
        if (fstat(current, &st) < 0) break;
        if ((unsigned long long)st.st_ino == ancestor) {
            close(current);
            return 1;
        }
        int parent = ioctl(current, NS_GET_PARENT);
        int saved = errno;
        close(current);
        // EPERM: the parent is outside the caller's scope, so the top was passed; ancestor
        // was not on the way.
        if (parent < 0) return saved == EPERM ? 0 : (errno = saved, -1);
        current = parent;
    }
    return current < 0 ? -1 : (close(current), 0);
}

int nslab_interrupts_signalfd(void) {
    sigset_t interrupts;
    sigemptyset(&interrupts);
    sigaddset(&interrupts, SIGINT);
    sigaddset(&interrupts, SIGTERM);
    sigaddset(&interrupts, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &interrupts, NULL) != 0) return -1;
    return signalfd(-1, &interrupts, SFD_CLOEXEC);
}

int nslab_read_signal(int fd) {
    struct signalfd_siginfo info;
    ssize_t n;
    while ((n = read(fd, &info, sizeof info)) < 0 && errno == EINTR) {
    }
    return n == (ssize_t)sizeof info ? (int)info.ssi_signo : -1;
}

int nslab_is_procfs(int fd) {
    struct statfs info;
    if (fstatfs(fd, &info) < 0) return -1;
    return info.f_type == PROC_SUPER_MAGIC;
}

int nslab_is_cgroup2(int fd) {
    struct statfs info;
    if (fstatfs(fd, &info) < 0) return -1;
    return info.f_type == CGROUP2_SUPER_MAGIC;
}

const char *nslab_errno_name(int error) { return strerrorname_np(error); }

int nslab_capabilities_from_text(const char *text, unsigned int capabilities[6]) {
    cap_t caps = cap_from_text(text);
    if (caps == NULL) return -1;
    const cap_flag_t flags[3] = {CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE};
    memset(capabilities, 0, 6 * sizeof *capabilities);
    for (cap_value_t cap = 0; cap < 64 && cap <= cap_max_bits() - 1; cap++) {
        for (int f = 0; f < 3; f++) {
            cap_flag_value_t value = CAP_CLEAR;
            if (cap_get_flag(caps, cap, flags[f], &value) == 0 && value == CAP_SET) {
                capabilities[(cap / 32) * 3 + f] |= 1u << (cap % 32);
            }
        }
    }
    cap_free(caps);
    return 0;
}

int nslab_has_effective_capability(int capability) {
    cap_t caps = cap_get_proc();
    if (caps == NULL) return -1;
    cap_flag_value_t value = CAP_CLEAR;
    int rc = cap_get_flag(caps, (cap_value_t)capability, CAP_EFFECTIVE, &value);
    int saved = errno;
    cap_free(caps);
    errno = saved;
    return rc < 0 ? -1 : value == CAP_SET;
}

const struct nslab_namespace_kind *nslab_namespace_kind_named(const char *name) {
    for (int i = 0; i < NSLAB_NAMESPACE_KIND_COUNT; i++) {
        if (!strcmp(nslab_namespace_kinds[i].name, name)) return &nslab_namespace_kinds[i];
    }
    return NULL;
}
