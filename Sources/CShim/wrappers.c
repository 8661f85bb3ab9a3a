// Thin wrappers that keep errno, for calls Swift cannot make directly.
#define _GNU_SOURCE
#include "nslab_shim.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fcntl.h>

int nslab_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int nslab_setns(int fd, int nstype) { return setns(fd, nstype); }

int nslab_unshare(int flags) { return unshare(flags); }

int nslab_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int nslab_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int nslab_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0); }

const char *nslab_errno_name(int error) { return strerrorname_np(error); }

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

int nslab_capability_name(int capability, char *buffer, size_t size) {
    char *name = cap_to_name((cap_value_t)capability);
    if (name == NULL) return -1;
    size_t length = strlen(name);
    int fits = length < size;
    if (fits) memcpy(buffer, name, length + 1);
    cap_free(name);
    if (!fits) {
        errno = ERANGE;
        return -1;
    }
    return 0;
}
