// The child side of a spawn: clone, join and create namespaces, wait for the parent, then
// carry out the operations (name the host, mount, pivot_root, set ids...) and exec. The child runs only async-signal-safe calls (no malloc, no
// stdio, no Swift), reports a failure as one fixed-size record on a close-on-exec pipe, and
// leaves with _exit. Modelled on apple/containerization's exec_command.c, and on runc's
// nsexec.c for the sync point where a parent writes uid/gid maps.
#define _GNU_SOURCE
#include "nslab_shim.h"
#include "nslab_namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <net/if.h>
#include <sys/mount.h>
#include <linux/close_range.h>
#include <linux/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/magic.h>
#include <limits.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <unistd.h>

static int nslab_read_full(int fd, void *buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = read(fd, (char *)buffer + done, size - done);
        if (n == 0) return (int)done;
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)n;
    }
    return (int)done;
}

// Reads the child's one record, or EOF (0) when it exec'd; waits at most `timeout_ms`, and
// then returns -1 with ETIMEDOUT (the caller kills and reaps it): a child stuck in a mount
// or an unshare cannot hang the runner.
static int nslab_read_report(int fd, struct nslab_failure *record, int timeout_ms) {
    struct pollfd poller = {.fd = fd, .events = POLLIN};
    int ready;
    while ((ready = poll(&poller, 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    if (ready == 0) errno = ETIMEDOUT;
    return ready <= 0 ? -1 : nslab_read_full(fd, record, sizeof *record);
}

static void nslab_write_full(int fd, const void *buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, (const char *)buffer + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += (size_t)n;
    }
}

static void nslab_reap(pid_t pid) {
    while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR) {
    }
}

// Reports which step failed and leaves. Never returns.
__attribute__((noreturn)) static void nslab_child_fail(int report_fd, int step, int index) {
    struct nslab_failure failure = {.step = step, .index = index, .error = errno};
    nslab_write_full(report_fd, &failure, sizeof failure);
    _exit(127);
}

// Moves `fd` onto `target`; an fd already in place gets its close-on-exec flag cleared.
static int nslab_place_fd(int fd, int target) {
    if (fd == target) {
        int flags = fcntl(fd, F_GETFD);
        return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(fd, target) < 0 ? -1 : 0;
}

// Marks every fd from `first` up close-on-exec: close_range(2) where the kernel has it
// (5.11), else fcntl on each fd below the limit.
static void nslab_mark_fds_cloexec(int first) {
    if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    struct rlimit limit;
    int end = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536 ? (int)limit.rlim_cur : 65536;
    for (int fd = first; fd < end; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

#define NSLAB_KINDS NSLAB_NAMESPACE_KIND_COUNT

// The entry of /proc/self/ns that shows the namespace of kind `i` a process made: the one it is
// in, but for time, the one its children get (unshare(2) moves only them); a PID namespace is
// made by clone(2), which puts the child itself in it.
static const char *nslab_made_link(int i) {
    const struct nslab_namespace_kind *kind = &nslab_namespace_kinds[i];
    return kind->flag == CLONE_NEWPID || !kind->children_link ? kind->name : kind->children_link;
}

// The child's /proc/self/ns, opened before any join: after it joins a mount namespace whose
// /proc belongs to another PID namespace (the grader's sandbox), /proc/self no longer names
// it. Set by the child alone, before its first look (a CLONE_VM child writes the parent's
// copy, which the parent never reads).
static int nslab_ns_directory = -1;

static int nslab_stat_namespace(const char *entry, struct stat *st) {
    if (nslab_ns_directory >= 0) return fstatat(nslab_ns_directory, entry, st, 0);
    char path[64] = "/proc/self/ns/";
    strncat(path, entry, sizeof path - strlen(path) - 1);
    return stat(path, st);
}

static int nslab_kind_index(int flag) {
    for (int i = 0; i < NSLAB_KINDS; i++) {
        if (nslab_namespace_kinds[i].flag == flag) return i;
    }
    return -1;
}

// Records the inode of each namespace `flags` asks for, so that the child can tell a kernel
// that made them from one that only returned 0. Names and mounts come only after that proof,
// so a pretending kernel can never make the child rename or mount on the real host.
static void nslab_namespace_inodes(int flags, ino_t inodes[], int report_fd) {
    for (int i = 0; i < NSLAB_KINDS; i++) {
        struct stat st;
        if (!(flags & nslab_namespace_kinds[i].flag)) continue;
        if (nslab_stat_namespace(nslab_made_link(i), &st) < 0) {
            nslab_child_fail(report_fd, NSLAB_STEP_VERIFY, nslab_namespace_kinds[i].flag);
        }
        inodes[i] = st.st_ino;
    }
}

// Proves a join by the kernel's own word: the fd must name the namespace its owner reported
// (its inode, as the demo host's probe read it from its own /proc/self/ns), and /proc/self/ns
// must now show that namespace. The first half catches a /proc that belongs to another PID
// namespace, where /proc/PID is some other process; the second, a setns that only pretends.
// Old-side steps rename and remove things in the demo host, never anywhere else.
static void nslab_verify_joined(const struct nslab_namespace_proof *join, int index, int report_fd) {
    int type = join->type;
    int kind = nslab_kind_index(type);
    // setns(CLONE_NEWTIME) moves the caller itself, so its link is "time", not the children's;
    // setns(CLONE_NEWPID) moves only the children to come: pid_for_children shows it.
    const char *link = kind < 0 ? NULL
                       : type == CLONE_NEWPID ? nslab_namespace_kinds[kind].children_link
                       : nslab_namespace_kinds[kind].name;
    struct stat joined, now;
    if (link == NULL) {
        errno = EINVAL;
        nslab_child_fail(report_fd, NSLAB_STEP_VERIFY_JOIN, index);
    }
    if (fstat(join->fd, &joined) < 0 || nslab_stat_namespace(link, &now) < 0) {
        nslab_child_fail(report_fd, NSLAB_STEP_VERIFY_JOIN, index);
    }
    unsigned long long found = joined.st_ino != join->inode ? joined.st_ino : now.st_ino;
    if (found != join->inode || joined.st_dev != now.st_dev) {
        struct nslab_failure failure = {NSLAB_STEP_VERIFY_JOIN, index, 0, found};
        nslab_write_full(report_fd, &failure, sizeof failure);
        _exit(127);
    }
}

// "12345" into `out`, returning the end. Async-signal-safe: no stdio in the child.
static char *nslab_put_number(char *out, char *end, unsigned long long value) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0 && out < end) *out++ = digits[--n];
    return out;
}

// "kind:inode" at `out`, after a comma unless it is the first entry; nothing when the whole
// entry would not fit (a cut number could name another namespace).
static char *nslab_put_owned(char *out, char *end, int *first, int i, unsigned long long inode) {
    if (end - out < (ptrdiff_t)strlen(nslab_namespace_kinds[i].name) + 22) return out;
    if (!*first && out < end) *out++ = ',';
    for (const char *p = nslab_namespace_kinds[i].name; *p && out < end; p++) *out++ = *p;
    if (out < end) *out++ = ':';
    *first = 0;
    return nslab_put_number(out, end, inode);
}

// Fills the NSLAB_OWNED entry of envp with the namespace of each kind in `owned` that this
// process is in now: every one was joined and proved, or created and proved, above. Then
// each of the spec's other namespaces of the run whose fd shows the inode it must have.
static void nslab_fill_owned(const struct nslab_spawn_spec *spec, int owned) {
    if (spec->owned_env == NULL) return;
    char *out = spec->owned_env, *end = spec->owned_env + spec->owned_env_size - 1;
    for (const char *p = NSLAB_OWNED_PREFIX; *p && out < end; p++) *out++ = *p;
    int first = 1;
    for (int i = 0; i < NSLAB_KINDS; i++) {
        struct stat st;
        if (!(owned & nslab_namespace_kinds[i].flag) || nslab_stat_namespace(nslab_made_link(i), &st) < 0) continue;
        out = nslab_put_owned(out, end, &first, i, st.st_ino);
    }
    for (int j = 0; j < spec->also_owned_count; j++) {
        const struct nslab_namespace_proof *proof = &spec->also_owned[j];
        struct stat st;
        int i = nslab_kind_index(proof->type);
        if (i < 0 || fstat(proof->fd, &st) < 0 || st.st_ino != proof->inode) continue;
        out = nslab_put_owned(out, end, &first, i, st.st_ino);
    }
    *out = 0;
}

// Joins, in order, every namespace in `spec` whose type is in `types`, proving each. With
// `may_defer`, one the child may not join yet (EPERM: it belongs to a user namespace still to
// be joined) is left for a later pass, as runc does.
static int nslab_join(const struct nslab_spawn_spec *spec, int types, int may_defer, int report_fd) {
    int joined = 0;
    for (int i = 0; i < spec->join_count; i++) {
        const struct nslab_namespace_proof *join = &spec->join[i];
        if (!(join->type & types)) continue;
        if (setns(join->fd, join->type) < 0) {
            if (may_defer && errno == EPERM) continue;
            nslab_child_fail(report_fd, NSLAB_STEP_SETNS, i);
        }
        nslab_verify_joined(join, i, report_fd);
        joined |= join->type;
    }
    return joined;
}

// unshare(flags), proved: each namespace asked for must show a new inode afterwards.
static void nslab_unshare_proved(int flags, int report_fd) {
    ino_t before[NSLAB_KINDS], after[NSLAB_KINDS];
    nslab_namespace_inodes(flags, before, report_fd);
    if (unshare(flags) < 0) nslab_child_fail(report_fd, NSLAB_STEP_UNSHARE, flags);
    nslab_namespace_inodes(flags, after, report_fd);
    for (int i = 0; i < NSLAB_KINDS; i++) {
        if ((flags & nslab_namespace_kinds[i].flag) && before[i] == after[i]) {
            errno = 0;
            nslab_child_fail(report_fd, NSLAB_STEP_VERIFY, nslab_namespace_kinds[i].flag);
        }
    }
}

// Tells the parent the child waits, then waits for its word. EOF means the parent is gone
// or gave up, and the child leaves quietly.
static void nslab_sync_point(int report_fd, int release_fd) {
    struct nslab_failure ready = {.step = NSLAB_STEP_READY};
    nslab_write_full(report_fd, &ready, sizeof ready);
    char go;
    if (nslab_read_full(release_fd, &go, 1) != 1) _exit(126);
    close(release_fd);
}

// Whether `op` may run with the namespaces `owned` (the kinds the child proved the runner's):
// names only in a UTS namespace of the runner's, mounts and files only in a mount namespace
// of its own, writes only to the child's own /proc/self files or, in a user namespace of the
// runner's, to its /proc/sys/user limits. Changing its own ids or capabilities is always
// allowed: that touches no one else.
// Whether the directory that holds `path` is on a tmpfs: a directory made or removed there
// is gone with the run's workbench (a tmpfs only its own mount namespace shows), never a
// change to a disk of the host.
static int nslab_parent_on_tmpfs(const char *path) {
    char parent[PATH_MAX];
    size_t length = strlen(path);
    if (length == 0 || length >= sizeof parent) return 0;
    memcpy(parent, path, length + 1);
    while (length > 1 && parent[length - 1] == '/') parent[--length] = 0;  // "a/b/" is "a/b"
    char *slash = strrchr(parent, '/');
    if (!slash) {
        parent[0] = '.', parent[1] = 0;
    } else {
        slash[slash == parent] = 0;  // "/a" → "/", "/a/b" → "/a"
    }
    struct statfs info;
    return statfs(parent, &info) == 0 && info.f_type == TMPFS_MAGIC;
}

static int nslab_operation_allowed(const struct nslab_operation *op, int owned) {
    switch (op->kind) {
    case NSLAB_OP_SETHOSTNAME:
    case NSLAB_OP_SETDOMAINNAME: return (owned & CLONE_NEWUTS) != 0;
    case NSLAB_OP_MKDIR: return (owned & CLONE_NEWNS) && nslab_parent_on_tmpfs(op->arguments.mkdir.path);
    case NSLAB_OP_RMDIR: return (owned & CLONE_NEWNS) && nslab_parent_on_tmpfs(op->arguments.path);
    case NSLAB_OP_MOUNT:
    case NSLAB_OP_UMOUNT2:
    case NSLAB_OP_CHROOT:
    case NSLAB_OP_PIVOT_ROOT:
    case NSLAB_OP_MOUNT_SETATTR: return (owned & CLONE_NEWNS) != 0;
    case NSLAB_OP_LINK_UP: return (owned & CLONE_NEWNET) != 0;
    case NSLAB_OP_ENTER_TIME_FOR_CHILDREN: return (owned & CLONE_NEWTIME) != 0;
    case NSLAB_OP_WRITE_FILE: {
        const char *path = op->arguments.write_file.path;
        return strncmp(path, "/proc/self/", 11) == 0 ||
               ((owned & CLONE_NEWUSER) && strncmp(path, "/proc/sys/user/", 15) == 0) ||
               // the last pid of the PID namespace the child is pid 1 of
               ((owned & CLONE_NEWPID) && strcmp(path, "/proc/sys/kernel/ns_last_pid") == 0);
    }
    default: return 1;
    }
}

// Writes `text` to the file at `path` (below `directory`, or AT_FDCWD) whole, in one
// write(2), as echo TEXT > PATH would (without the newline): a map or a sysctl is taken
// whole or not at all.
static int nslab_write_file(int directory, const char *path, const char *text) {
    int fd = openat(directory, path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t length = strlen(text);
    ssize_t n = write(fd, text, length);
    int saved = errno;
    close(fd);
    errno = n < 0 ? saved : EIO;
    return n == (ssize_t)length ? 0 : -1;
}

// `ip link set NAME up`: SIOCGIFFLAGS, then the same flags with IFF_UP (netdevice(7)).
static int nslab_link_up(const char *name) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    size_t length = strlen(name);
    if (length >= sizeof request.ifr_name) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(request.ifr_name, name, length);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int result = ioctl(fd, SIOCGIFFLAGS, &request);
    if (result == 0) {
        request.ifr_flags |= IFF_UP;
        result = ioctl(fd, SIOCSIFFLAGS, &request);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

// One operation; -1 with errno on failure. Only async-signal-safe calls: the parent
// prepared every argument (a capability set arrives as capset(2)'s data, not as text).
// Moves the caller into the time namespace its children would be born in, as unshare(1)
// --time does by forking: the offsets written before now hold, and cannot change any more.
static int nslab_enter_time_for_children(void) {
    int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int result = setns(fd, CLONE_NEWTIME);
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

static int nslab_operate(const struct nslab_operation *op) {
    const __typeof__(op->arguments) *a = &op->arguments;
    switch (op->kind) {
    case NSLAB_OP_SETHOSTNAME: return sethostname(a->name, strlen(a->name));
    case NSLAB_OP_SETDOMAINNAME: return setdomainname(a->name, strlen(a->name));
    case NSLAB_OP_MKDIR: return mkdir(a->mkdir.path, (mode_t)a->mkdir.mode);
    case NSLAB_OP_RMDIR: return rmdir(a->path);
    case NSLAB_OP_MOUNT: return mount(a->mount.source, a->mount.target, a->mount.fstype, a->mount.flags, a->mount.data);
    case NSLAB_OP_UMOUNT2: return umount2(a->umount.target, a->umount.flags);
    case NSLAB_OP_CHDIR: return chdir(a->path);
    case NSLAB_OP_CHROOT: return chroot(a->path);
    case NSLAB_OP_PIVOT_ROOT: return (int)syscall(SYS_pivot_root, a->pivot_root.new_root, a->pivot_root.put_old);
    case NSLAB_OP_WRITE_FILE: return nslab_write_file(AT_FDCWD, a->write_file.path, a->write_file.text);
    case NSLAB_OP_SETRESGID: return (int)syscall(SYS_setresgid, a->id, a->id, a->id);
    case NSLAB_OP_SETRESUID: return (int)syscall(SYS_setresuid, a->id, a->id, a->id);
    case NSLAB_OP_SETGROUPS_EMPTY: return (int)syscall(SYS_setgroups, 0, NULL);
    case NSLAB_OP_MOUNT_SETATTR: {
        // mount_setattr(2): attributes of a mount, or with AT_RECURSIVE of a whole tree, set
        // and cleared alone (a remount would have to repeat every locked flag).
        struct mount_attr attr = {.attr_set = a->mount_setattr.set, .attr_clr = a->mount_setattr.clear};
        return (int)syscall(SYS_mount_setattr, AT_FDCWD, a->mount_setattr.path,
                            a->mount_setattr.recursive ? AT_RECURSIVE : 0, &attr, sizeof attr);
    }
    case NSLAB_OP_ENTER_TIME_FOR_CHILDREN: return nslab_enter_time_for_children();
    case NSLAB_OP_SETRLIMIT: {
        struct rlimit limit = {a->rlimit.limit, a->rlimit.limit};
        return setrlimit(a->rlimit.resource, &limit);
    }
    case NSLAB_OP_LINK_UP: return nslab_link_up(a->name);
    case NSLAB_OP_SET_CAPABILITIES: {
        struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
        return (int)syscall(SYS_capset, &header, (const struct __user_cap_data_struct *)a->capabilities);
    }
    }
    errno = EINVAL;
    return -1;
}

__attribute__((noreturn)) static void nslab_child(const struct nslab_spawn_spec *spec, ino_t user_before,
                                                  int born_in, int report_fd, int release_fd) {
    // The parent's handlers mean nothing here; the program starts with defaults and no mask.
    // The raw call also resets the signals glibc reserves for itself (32, 33), which its
    // sigaction() refuses to touch. An all-zero kernel sigaction is SIG_DFL, empty mask.
    unsigned long default_action[4] = {0};
    for (int sig = 1; sig <= 64; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            syscall(SYS_rt_sigaction, sig, default_action, NULL, 64 / 8);  // the kernel's sigset size
        }
    }
    // Die with the parent, so that no experiment process outlives an interrupted runner.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) nslab_child_fail(report_fd, NSLAB_STEP_PRCTL, 0);

    // 0. Into the parent's cgroups first, while still in its namespaces and with its rights:
    //    all the program starts is then counted there, whatever namespaces it makes.
    //    (`born_in`: the one clone3 already put it in, or -1.)
    for (int i = 0; i < spec->cgroup_count; i++) {
        if (i != born_in && nslab_write_file(spec->cgroup_fds[i], "cgroup.procs", "0") < 0) {
            nslab_child_fail(report_fd, NSLAB_STEP_CGROUP, i);
        }
    }

    nslab_ns_directory = open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);

    // 1. Joins, in runc's order: all but user, then user, then what only it lets us join.
    int owned = nslab_join(spec, ~CLONE_NEWUSER, 1, report_fd);  // the kinds proved the runner's
    owned |= nslab_join(spec, CLONE_NEWUSER, 0, report_fd);
    owned |= nslab_join(spec, ~owned & ~CLONE_NEWUSER, 0, report_fd);

    // A joined PID namespace takes in only the children to come (pid_namespaces(7)): one more
    // fork puts the program in it, as nsenter does. This process stays outside, waits for it
    // and ends as it ended (a signal as 128 + its number); killed, it takes it along.
    if (owned & CLONE_NEWPID) {
        pid_t inner = fork();
        if (inner < 0) nslab_child_fail(report_fd, NSLAB_STEP_CLONE, 0);
        if (inner > 0) {
            close(report_fd);
            close(release_fd);
            int status = 0;
            while (waitpid(inner, &status, 0) < 0 && errno == EINTR) {}
            _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) nslab_child_fail(report_fd, NSLAB_STEP_PRCTL, 0);
        // This is a new process: its own entries, in the /proc of the mount namespace joined.
        close(nslab_ns_directory);
        nslab_ns_directory = open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
    }

    // 2. New namespaces: PID by clone (check the child is its pid 1), a user namespace alone
    //    and first, the parent's maps at the sync point, then the rest.
    if ((spec->namespace_flags & CLONE_NEWPID) && getpid() != 1) {
        errno = 0;
        nslab_child_fail(report_fd, NSLAB_STEP_VERIFY, CLONE_NEWPID);
    }
    int rest = spec->namespace_flags & ~(CLONE_NEWPID | CLONE_NEWUSER);
    if ((spec->namespace_flags & CLONE_NEWUSER) && (spec->namespace_flags & CLONE_NEWPID)) {
        // Made by clone with the PID namespace (which it then owns), as an unprivileged
        // caller must: proved new against the parent's, read before clone.
        ino_t user_after[NSLAB_KINDS] = {0};
        nslab_namespace_inodes(CLONE_NEWUSER, user_after, report_fd);
        for (int i = 0; i < NSLAB_KINDS; i++) {
            if (nslab_namespace_kinds[i].flag == CLONE_NEWUSER && user_after[i] == user_before) {
                errno = 0;
                nslab_child_fail(report_fd, NSLAB_STEP_VERIFY, CLONE_NEWUSER);
            }
        }
        nslab_sync_point(report_fd, release_fd);
        if (rest != 0) nslab_unshare_proved(rest, report_fd);
    } else if (spec->namespace_flags & CLONE_NEWUSER) {
        nslab_unshare_proved(CLONE_NEWUSER, report_fd);
        nslab_sync_point(report_fd, release_fd);
        if (rest != 0) nslab_unshare_proved(rest, report_fd);
    } else {
        if (rest != 0) nslab_unshare_proved(rest, report_fd);
        nslab_sync_point(report_fd, release_fd);
    }
    owned |= spec->namespace_flags;
    nslab_fill_owned(spec, owned);

    // 3. The operations, in order.
    for (int i = 0; i < spec->operation_count; i++) {
        if (!nslab_operation_allowed(&spec->operations[i], owned)) {
            errno = 0;
            nslab_child_fail(report_fd, NSLAB_STEP_REFUSED, i);
        }
        if (nslab_operate(&spec->operations[i]) < 0) nslab_child_fail(report_fd, NSLAB_STEP_OPERATION, i);
    }

    // stdio last, so that a failure above cannot be confused with the program's output.
    // The sources are first moved above 2, so that placing one cannot clobber another.
    int sources[3] = {spec->stdin_fd, spec->stdout_fd, spec->stderr_fd};
    for (int i = 0; i < 3; i++) {
        if (sources[i] < 3) {
            sources[i] = fcntl(sources[i], F_DUPFD_CLOEXEC, 3);
            if (sources[i] < 0) nslab_child_fail(report_fd, NSLAB_STEP_DUP2, i);
        }
    }
    for (int i = 0; i < 3; i++) {
        if (nslab_place_fd(sources[i], i) < 0) nslab_child_fail(report_fd, NSLAB_STEP_DUP2, i);
    }

    // Only stdio crosses exec: whatever else the runner had open (an fd its own caller
    // passed down, say) must not reach a probe or a student's program.
    nslab_mark_fds_cloexec(3);

    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    syscall(SYS_execveat, spec->exec_fd, "", spec->argv, spec->envp, AT_EMPTY_PATH);
    // A #! script cannot run from a close-on-exec fd (its interpreter would open /dev/fd/N):
    // it runs by path, where the child's root still has it.
    if (errno == ENOENT) execve(spec->path, spec->argv, spec->envp);
    nslab_child_fail(report_fd, NSLAB_STEP_EXECVE, 0);
}

// The child's own stack when it shares the parent's memory (CLONE_VM). Its deepest frame is
// a few KiB; the rest is room.
#define NSLAB_CHILD_STACK_SIZE (256 * 1024)

struct nslab_child_start {
    const struct nslab_spawn_spec *spec;
    int report[2], release[2];
    ino_t user_before;   // the parent's user namespace, when clone makes the child's
    int born_in;         // the cgroup of spec->cgroup_fds clone3 put the child in, or -1
};

static int nslab_child_entry(void *argument) {
    struct nslab_child_start *start = argument;
    close(start->report[0]);
    close(start->release[1]);
    nslab_child(start->spec, start->user_before, start->born_in, start->report[1], start->release[0]);
}

// Whether the child may share the parent's memory until exec: not when it makes or joins a
// user namespace, or joins or enters a time namespace, which the kernel allows only a
// process that shares its memory with none.
static int nslab_may_share_memory(const struct nslab_spawn_spec *spec) {
    if (spec->namespace_flags & CLONE_NEWUSER) return 0;
    if (spec->born_in >= 0) return 0;  // clone3 is called here with fork semantics only
    for (int i = 0; i < spec->join_count; i++) {
        int type = spec->join[i].type;
        if (type == CLONE_NEWPID) return 0;  // it forks once more
        if (type == CLONE_NEWUSER || type == CLONE_NEWTIME) return 0;
    }
    for (int i = 0; i < spec->operation_count; i++) {
        if (spec->operations[i].kind == NSLAB_OP_ENTER_TIME_FOR_CHILDREN) return 0;
    }
    return 1;
}

static void nslab_free_stack(struct nslab_child *child) {
    if (child->stack != NULL) munmap(child->stack, NSLAB_CHILD_STACK_SIZE);
    child->stack = NULL;
}

int nslab_spawn_start(const struct nslab_spawn_spec *spec, struct nslab_child *child,
                      struct nslab_failure *failure) {
    struct nslab_child_start start = {.spec = spec, .born_in = -1};
    *failure = (struct nslab_failure){0};
    *child = (struct nslab_child){.pid = -1, .release_fd = -1, .report_fd = -1};
    if (pipe2(start.report, O_CLOEXEC) < 0) {
        *failure = (struct nslab_failure){NSLAB_STEP_PIPE, 0, errno, 0};
        return -1;
    }
    if (pipe2(start.release, O_CLOEXEC) < 0) {
        int saved = errno;
        close(start.report[0]);
        close(start.report[1]);
        *failure = (struct nslab_failure){NSLAB_STEP_PIPE, 0, saved, 0};
        errno = saved;
        return -1;
    }
    // Sharing memory spares the copy of the runner's page tables, most of a spawn's cost.
    // The child runs on a stack of its own, and the spec it reads stays valid until release.
    if (nslab_may_share_memory(spec)) {
        child->stack = mmap(NULL, NSLAB_CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (child->stack == MAP_FAILED) child->stack = NULL;  // fork-style below
        // The lowest page is a guard: an overflow faults instead of writing over our memory.
        if (child->stack != NULL) mprotect(child->stack, 4096, PROT_NONE);
    }

    // Every signal stays blocked until the child has reported, so that no handler of the
    // parent ever runs in the child, nor (sharing memory) beside it in the parent.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int flags = SIGCHLD | (spec->namespace_flags & CLONE_NEWPID);
    // A new PID namespace and a new user namespace: both by clone, so that the user namespace
    // comes first and owns the PID one (an unprivileged caller can make a PID namespace only
    // so). The child proves its user namespace new against this one.
    if ((spec->namespace_flags & CLONE_NEWPID) && (spec->namespace_flags & CLONE_NEWUSER)) {
        struct stat st;
        start.user_before = stat("/proc/self/ns/user", &st) == 0 ? st.st_ino : 0;
        flags |= CLONE_NEWUSER;
    }
    pid_t pid;
    if (child->stack != NULL) {
        pid = clone(nslab_child_entry, (char *)child->stack + NSLAB_CHILD_STACK_SIZE, flags | CLONE_VM, &start);
    } else {
        // clone(2) with fork semantics: a copy of this thread only, on a copy of its stack;
        // clone3(2), the same born in a cgroup. Without it (ENOSYS, or E2BIG or EINVAL for its
        // flag), clone(2), and the child moves itself.
        pid = -1;
        errno = ENOSYS;
        if (spec->born_in >= 0) {
            struct clone_args args = {.flags = (unsigned long long)(flags & ~CSIGNAL) | CLONE_INTO_CGROUP,
                                      .exit_signal = SIGCHLD, .cgroup = (unsigned long long)spec->cgroup_fds[spec->born_in]};
            pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
            if (pid == 0) {
                start.born_in = spec->born_in;
                nslab_child_entry(&start);
            }
        }
        if (pid < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL)) {
            pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
            if (pid == 0) nslab_child_entry(&start);
        }
    }
    int clone_errno = errno;
    close(start.report[1]);
    close(start.release[0]);
    if (pid < 0) {
        pthread_sigmask(SIG_SETMASK, &previous, NULL);
        close(start.report[0]);
        close(start.release[1]);
        nslab_free_stack(child);
        *failure = (struct nslab_failure){NSLAB_STEP_CLONE, 0, clone_errno, 0};
        errno = clone_errno;
        return -1;
    }

    struct nslab_failure record;
    int n = nslab_read_report(start.report[0], &record, spec->timeout_ms);
    int read_errno = n < 0 ? errno : EPIPE;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    child->pid = pid;
    child->timeout_ms = spec->timeout_ms;
    if (n == (int)sizeof record && record.step == NSLAB_STEP_READY) {
        child->release_fd = start.release[1];
        child->report_fd = start.report[0];
        return 0;
    }
    close(start.report[0]);
    close(start.release[1]);
    kill(pid, SIGKILL);  // gone already after a failure; stuck, after a timeout
    nslab_reap(pid);
    nslab_free_stack(child);
    *failure = n == (int)sizeof record ? record
                                       : (struct nslab_failure){NSLAB_STEP_SYNC, 0, read_errno, 0};
    errno = failure->error;
    return -1;
}

int nslab_spawn_release(struct nslab_child *child, struct nslab_failure *failure) {
    *failure = (struct nslab_failure){0};
    char go = 1;
    nslab_write_full(child->release_fd, &go, 1);
    close(child->release_fd);
    child->release_fd = -1;

    struct nslab_failure record;
    int n = nslab_read_report(child->report_fd, &record, child->timeout_ms);
    close(child->report_fd);
    child->report_fd = -1;
    if (n == 0) {  // the pipe closed on exec: the child's stack is no longer in use
        nslab_free_stack(child);
        return 0;
    }
    int read_errno = n < 0 ? errno : EPIPE;
    kill(child->pid, SIGKILL);  // gone already after a failure; stuck, after a timeout
    nslab_reap(child->pid);
    nslab_free_stack(child);
    *failure = n == (int)sizeof record ? record
                                       : (struct nslab_failure){NSLAB_STEP_SYNC, 0, read_errno, 0};
    errno = failure->error;
    return -1;
}

void nslab_spawn_abort(struct nslab_child *child) {
    kill(child->pid, SIGKILL);
    if (child->release_fd >= 0) close(child->release_fd);
    if (child->report_fd >= 0) close(child->report_fd);
    child->release_fd = child->report_fd = -1;
    nslab_reap(child->pid);
    nslab_free_stack(child);
}
