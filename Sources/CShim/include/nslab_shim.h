// nslab's C shim: everything that must run between clone and exec, and thin wrappers that
// keep errno. Functions return 0 or a value on success and -1 with errno set on failure; none
// of them prints. Swift turns a failure into a typed error that names the call.
#ifndef NSLAB_SHIM_H
#define NSLAB_SHIM_H

#include <sys/types.h>

/// The step of the child's work that failed, sent back to the parent before the child exits.
enum nslab_step {
    NSLAB_STEP_READY = 0,      // not a failure: the child reached the sync point
    NSLAB_STEP_PIPE,           // the parent's pipe2(2) for the report or release pipe
    NSLAB_STEP_CLONE,
    NSLAB_STEP_SIGNALS,
    NSLAB_STEP_PRCTL,
    NSLAB_STEP_SETNS,
    NSLAB_STEP_VERIFY_JOIN,    // the joined namespace is not the expected one (see join_inodes)
    NSLAB_STEP_UNSHARE,
    NSLAB_STEP_VERIFY,         // a namespace call returned 0 but /proc/self/ns shows no change
    NSLAB_STEP_SYNC,
    NSLAB_STEP_SETHOSTNAME,
    NSLAB_STEP_SETDOMAINNAME,
    NSLAB_STEP_MOUNT,
    NSLAB_STEP_CHDIR,
    NSLAB_STEP_DUP2,
    NSLAB_STEP_EXECVE,
};

/// One mount(2) call, made in the child in order after the namespaces exist.
struct nslab_mount {
    const char *source;
    const char *target;
    const char *fstype;
    unsigned long flags;
    const char *data;
};

/// What the child is to become. Namespaces are joined first (setns, in order), then created:
/// CLONE_NEWPID goes to clone(2) so that the program itself is pid 1; every other CLONE_NEW*
/// flag goes to unshare(2) in the child, so the new namespaces are copies of the joined ones.
/// A PID namespace cannot be joined here: setns(2) would move only the child's children.
struct nslab_spawn_spec {
    const char *path;               // absolute path given to execve(2)
    char *const *argv;
    char *const *envp;
    const char *cwd;                // NULL: inherit
    int stdin_fd, stdout_fd, stderr_fd;
    const int *join_fds;            // namespace fds for setns(fd, type)
    const int *join_types;          // the CLONE_NEW* type of each (never CLONE_NEWPID)
    const unsigned long long *join_inodes;  // the inode each must have: what its owner reported
    int join_count;
    int namespace_flags;            // CLONE_NEW* flags
    const char *hostname;           // NULL: leave as is
    const char *domainname;         // NULL: leave as is
    const struct nslab_mount *mounts;
    int mount_count;
    // An entry of envp that the child overwrites, before exec, with the namespaces it proved
    // to be the runner's: "NSLAB_OWNED=uts:4026532178,ipc:4026532179". The probe changes
    // state only in those (see nsprobe.c). NULL: none.
    char *owned_env;
    int owned_env_size;
};

/// The variable the child fills in, and the size its entry needs (every kind, longest inode).
#define NSLAB_OWNED_PREFIX "NSLAB_OWNED="
#define NSLAB_OWNED_SIZE 256

/// Which step failed, which item of it (the join index, mount index, or for VERIFY the
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
int nslab_pidfd_open(pid_t pid);
int nslab_set_child_subreaper(void);

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and returns a close-on-exec
/// signalfd that reads them; children start with every signal unblocked again (the spawn
/// shim resets the mask). -1 on error.
int nslab_interrupts_signalfd(void);

/// The signal number of the next signal read from `fd` (from nslab_interrupts_signalfd), or -1.
int nslab_read_signal(int fd);

/// 1 if `fd` is a file of procfs, 0 if another filesystem (one mounted over /proc's file), -1.
int nslab_is_procfs(int fd);

/// "EPERM" for EPERM; NULL for an unknown number.
const char *nslab_errno_name(int error);

/// 1 if the calling process has `capability` in its effective set, 0 if not, -1 on error.
int nslab_has_effective_capability(int capability);

#endif
