// nslab's C shim: everything that must run between clone and exec, and thin wrappers that
// keep errno. Functions return 0 or a value on success and -1 with errno set on failure; none
// of them prints. Swift turns a failure into a typed error that names the call.
#ifndef NSLAB_SHIM_H
#define NSLAB_SHIM_H

#include <sys/types.h>

#include "nslab_namespaces.h"

/// The step of the child's work that failed, sent back to the parent before the child exits.
enum nslab_step {
    NSLAB_STEP_READY = 0,      // not a failure: the child reached the sync point
    NSLAB_STEP_PIPE,           // the parent's pipe2(2) for the report or release pipe
    NSLAB_STEP_CLONE,
    NSLAB_STEP_PRCTL,
    NSLAB_STEP_SETNS,
    NSLAB_STEP_VERIFY_JOIN,    // the joined namespace is not the expected one (see nslab_namespace_proof.inode)
    NSLAB_STEP_UNSHARE,        // index: the CLONE_NEW* flags of that unshare(2)
    NSLAB_STEP_VERIFY,         // a namespace call returned 0 but /proc/self/ns shows no change
    NSLAB_STEP_SYNC,
    NSLAB_STEP_OPERATION,      // index: the operation that failed
    NSLAB_STEP_REFUSED,        // index: an operation refused outside namespaces the child proved
    NSLAB_STEP_DUP2,
    NSLAB_STEP_EXECVE,
    NSLAB_STEP_CGROUP,         // index: the cgroup (of cgroup_fds) whose cgroup.procs took no "0"
};

/// The child's setup after its namespaces exist: one call each, in the order given. Each kind
/// has its own arguments, in the union member named after it.
enum nslab_operation_kind {
    NSLAB_OP_SETHOSTNAME,      // name
    NSLAB_OP_SETDOMAINNAME,    // name
    NSLAB_OP_MKDIR,            // mkdir
    NSLAB_OP_RMDIR,            // path
    NSLAB_OP_MOUNT,            // mount: mount(2)
    NSLAB_OP_UMOUNT2,          // umount
    NSLAB_OP_CHDIR,            // path
    NSLAB_OP_CHROOT,           // path
    NSLAB_OP_PIVOT_ROOT,       // pivot_root
    NSLAB_OP_WRITE_FILE,       // write_file: written whole, as echo TEXT > PATH
    NSLAB_OP_SETRESGID,        // id, for real, effective and saved
    NSLAB_OP_SETRESUID,        // id, for real, effective and saved
    NSLAB_OP_SETGROUPS_EMPTY,  // nothing: setgroups(0, NULL)
    NSLAB_OP_SET_CAPABILITIES, // capabilities: capset(2), as nslab_capabilities_from_text made it
    NSLAB_OP_LINK_UP,          // name: an interface's; as `ip link set NAME up`
    NSLAB_OP_MOUNT_SETATTR,    // mount_setattr: MOUNT_ATTR_* set and cleared
    NSLAB_OP_SETRLIMIT,        // rlimit: soft and hard limit alike
    NSLAB_OP_ENTER_TIME_FOR_CHILDREN,  // nothing: setns(2) into its own time_for_children
};

struct nslab_operation {
    int kind;
    union {
        const char *name;
        const char *path;
        unsigned int id;
        struct { const char *path; unsigned int mode; } mkdir;
        struct { const char *source, *target, *fstype, *data; unsigned long flags; } mount;
        struct { const char *target; int flags; } umount;
        struct { const char *new_root, *put_old; } pivot_root;
        struct { const char *path, *text; } write_file;
        // capset(2)'s data: two __user_cap_data_struct {effective, permitted, inheritable}.
        unsigned int capabilities[6];
        struct { const char *path; unsigned long long set, clear; int recursive; } mount_setattr;
        struct { int resource; unsigned long long limit; } rlimit;
    } arguments;
};

/// MOUNT_ATTR_RDONLY (linux/mount.h), for mount_setattr: read-only.
extern const unsigned long long nslab_mount_attr_rdonly;

/// Fills `capabilities` from libcap's text form ("cap_sys_admin+ep"), in the parent: libcap
/// allocates, which the child must not.
int nslab_capabilities_from_text(const char *text, unsigned int capabilities[6]);

/// A namespace of the run, open: its CLONE_NEW* type and the inode it must show (what the
/// process that owns it reported), so that the child can prove the fd names that namespace.
struct nslab_namespace_proof {
    int fd;
    int type;
    unsigned long long inode;
};

/// What the child is to become, in runc's order (libcontainer/nsenter/nsexec.c):
/// 1. join namespaces with setns(2): every one but a user namespace first, while the child
///    still has its parent's privileges over them; then the user namespace; then any left
///    (those owned by the joined user namespace, which needs its capabilities). Each join is
///    proved: the fd and /proc/self/ns must show the inode its proof names. A joined PID
///    namespace takes in only the children to come: the child forks once more, as nsenter does.
/// 2. create: CLONE_NEWPID goes to clone(2) itself, before the joins, so that the program is
///    pid 1; with a new user namespace too, that one goes to clone(2) with it (it must own
///    the PID namespace), and then nothing outside it can be joined. Otherwise a new user
///    namespace is made alone, first, with unshare(2), so that the namespaces made after it
///    are owned by it; then the sync point, where the parent writes the maps; then every
///    other CLONE_NEW* flag in one unshare(2), copies of the joined ones. Each is proved by
///    a new inode in /proc/self/ns. Without a new user namespace, the sync point comes after
///    all of them.
/// 3. the operations, in order; then stdio and execveat(2) of exec_fd, opened before any
///    root change, so that the program runs inside any new root without being there.
/// Before all of that, the child moves itself into the cgroups of cgroup_fds (each an open
/// cgroup directory, whose cgroup.procs it writes "0" to), or is born in one (born_in), so
/// that everything it starts is counted and bounded there.
struct nslab_spawn_spec {
    int exec_fd;                    // the program, opened with O_PATH
    const char *path;               // the same by path, for a #! script (see nslab_child)
    int timeout_ms;                 // bound for each wait on the child (ready, then exec)
    char *const *argv;
    char *const *envp;
    int stdin_fd, stdout_fd, stderr_fd;
    const struct nslab_namespace_proof *join;  // namespaces for setns(fd, type), in order
    int join_count;
    int namespace_flags;            // CLONE_NEW* flags
    const struct nslab_operation *operations;
    int operation_count;
    // An entry of envp that the child overwrites, before exec, with the namespaces it proved
    // to be the runner's: "NSLAB_OWNED=uts:4026532178,ipc:4026532179". The probe changes
    // state only in those (see nsprobe.c). NULL: none.
    char *owned_env;
    int owned_env_size;
    // Namespaces of other processes of the run that the child's program may change too (the
    // probe moves a device into one): each listed in NSLAB_OWNED when its fd shows its inode.
    const struct nslab_namespace_proof *also_owned;
    int also_owned_count;
    const int *cgroup_fds;          // cgroup directories to join first (the grader's limits)
    int cgroup_count;
    // The one of cgroup_fds, a cgroup v2, that the child is born in (clone3(2) with
    // CLONE_INTO_CGROUP), or -1: unlike a write to cgroup.procs, that takes no lock that waits
    // for an RCU grace period (10-20 ms for the first move after a quiet spell). On a kernel
    // without it (before 5.7), the child joins it as it joins the others.
    int born_in;
};

/// The variable the child fills in, and the size its entry needs (every kind, longest inode,
/// and room for a few more of other processes: also_owned).
#define NSLAB_OWNED_PREFIX "NSLAB_OWNED="
#define NSLAB_OWNED_SIZE 512

/// Which step failed, which item of it (the join index, operation index, or for VERIFY the
/// CLONE_NEW* flag that made no new namespace), and the errno (0 for VERIFY when stat worked).
/// For VERIFY_JOIN with error 0, `inode` is the namespace the child found instead.
struct nslab_failure {
    int step;
    int index;
    int error;
    unsigned long long inode;
};

/// A child stopped at its sync point, between namespace creation and the rest.
struct nslab_child {
    pid_t pid;
    int release_fd;                 // parent writes here to let the child go on
    int report_fd;                  // child reports a failure here; EOF means it exec'd
    void *stack;                    // the child's stack while it shares our memory, or NULL
    int timeout_ms;                 // from the spec, for the wait at release
};

/// Clones the child and returns once it waits at the sync point (0), or has failed (-1, with
/// *failure filled in and the child reaped). Signals stay blocked across clone so that no
/// handler of the parent ever runs in the child.
int nslab_spawn_start(const struct nslab_spawn_spec *spec, struct nslab_child *child,
                      struct nslab_failure *failure);

/// Lets the child go on and waits until it has exec'd (0) or failed (-1, child reaped).
int nslab_spawn_release(struct nslab_child *child, struct nslab_failure *failure);

/// Kills a child still waiting at its sync point and reaps it.
void nslab_spawn_abort(struct nslab_child *child);

/// errno-preserving wrappers for calls Swift cannot make directly (variadic or missing).
int nslab_pipe_cloexec(int fds[2]);
/// open(path, O_PATH | O_CLOEXEC): a file to exec by fd.
int nslab_open_path(const char *path);
/// memfd_create(name, MFD_CLOEXEC): a file in memory, for the probe built into the runner.
int nslab_memfd(const char *name);
int nslab_pidfd_open(pid_t pid);
int nslab_set_child_subreaper(void);
/// pidfd_send_signal(2): a signal to the process the pidfd names, never to a reused pid.
int nslab_pidfd_send_signal(int pidfd, int signal);
/// openat2(2) of `path` inside the root `root_fd` (another process's /proc/PID/root): looked
/// up as that process would (RESOLVE_IN_ROOT), following no symbolic or magic link at all, so
/// that nothing a student made there can lead the caller anywhere else. `to_list`: open a
/// directory to read (O_RDONLY | O_DIRECTORY); else only to name it (O_PATH).
int nslab_open_in_root(int root_fd, const char *path, int to_list);
/// 1 if the namespace of `fd` (a PID or user namespace) is the one with inode `ancestor` or
/// lies below it, walking up with NS_GET_PARENT (ioctl_ns(2)); 0 if not; -1 on error.
int nslab_namespace_within(int fd, unsigned long long ancestor);

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and returns a close-on-exec
/// signalfd that reads them; children start with every signal unblocked again (the spawn
/// shim resets the mask). -1 on error.
int nslab_interrupts_signalfd(void);

/// The signal number of the next signal read from `fd` (from nslab_interrupts_signalfd), or -1.
int nslab_read_signal(int fd);

/// 1 if `fd` is a file of procfs, 0 if another filesystem (one mounted over /proc's file), -1.
int nslab_is_procfs(int fd);
/// 1 if `fd` is on a cgroup v2 hierarchy (fstatfs(2): CGROUP2_SUPER_MAGIC), 0 if not, -1 on error.
int nslab_is_cgroup2(int fd);

/// "EPERM" for EPERM; NULL for an unknown number.
const char *nslab_errno_name(int error);

/// 1 if the calling process has `capability` in its effective set, 0 if not, -1 on error.
int nslab_has_effective_capability(int capability);

/// Removes the cgroup directory `path` and every cgroup below it, deepest first; a cgroup
/// that still holds processes is removed once they have ended (waited for by pidfd, at most
/// 10 s). 0 when it is gone (or never was), -1/errno.
int nslab_remove_cgroup_tree(const char *path);

/// Forks the janitor of the cgroups `paths`: a process in a session of its own, deaf to
/// SIGINT, SIGTERM and SIGHUP, that holds `lock_fd` (an flock(2) on the run's cgroup, -1 for
/// none) and waits until every copy of `*release_fd`, the write end of its pipe, is closed:
/// the runner ended, even by SIGKILL. It then removes each tree (nslab_remove_cgroup_tree) and
/// exits, 0 when all are gone. With `start_grace_period`, a child of its moves into the first
/// at once, and ends: the kernel's wait before a first move then overlaps the run's start.
/// Returns its pid, or -1/errno.
pid_t nslab_cgroup_janitor(const char *const *paths, int count, int lock_fd, int start_grace_period, int *release_fd);

#endif
