// The cgroup janitor: a process the supervising runner forks to remove the run's cgroups
// whatever ends the run, SIGKILL of the runner included. The kernel removes no cgroup by
// itself, and a process killed with SIGKILL cleans nothing up.
#define _GNU_SOURCE
#include "nslab_shim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Bound on the wait for the processes still in a cgroup: a failure, never a way to wait.
#define JANITOR_WAIT_MS 10000
#define JANITOR_ROUNDS 64

// Waits until every process listed in PATH/cgroup.procs has ended (each by its pidfd).
// Returns -1 when it could not tell, or the bound passed.
static int janitor_await_members(const char *path) {
    char file[PATH_MAX];
    if ((size_t)snprintf(file, sizeof file, "%s/cgroup.procs", path) >= sizeof file) return -1;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char text[4096];
    ssize_t length = read(fd, text, sizeof text - 1);
    close(fd);
    if (length < 0) return -1;
    text[length] = 0;
    struct pollfd members[64];
    int count = 0;
    for (char *line = text; *line && count < 64;) {
        pid_t pid = (pid_t)strtol(line, &line, 10);
        while (*line == '\n') line++;
        int pidfd = pid > 0 ? nslab_pidfd_open(pid) : -1;
        if (pidfd >= 0) members[count++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
    }
    int status = 0;
    for (int i = 0; i < count && status == 0; i++) {
        // One at a time: each is readable once its process has exited.
        int ready;
        while ((ready = poll(&members[i], 1, JANITOR_WAIT_MS)) < 0 && errno == EINTR) {}
        if (ready != 1) status = -1;
    }
    for (int i = 0; i < count; i++) close(members[i].fd);
    return status;
}

// The name of one subdirectory of PATH, copied to NAME; 0 when it has none, -1/errno.
static int janitor_first_subdirectory(const char *path, char *name, size_t capacity) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    char entries[4096];
    long length;
    int found = 0;
    while (!found && (length = syscall(SYS_getdents64, fd, entries, sizeof entries)) > 0) {
        for (long offset = 0; offset < length && !found;) {
            struct dirent64 *entry = (struct dirent64 *)(entries + offset);
            offset += entry->d_reclen;
            if (entry->d_type != DT_DIR || !strcmp(entry->d_name, ".") || !strcmp(entry->d_name, "..")) continue;
            if (strlen(entry->d_name) >= capacity) continue;
            strcpy(name, entry->d_name);
            found = 1;
        }
    }
    int saved = errno;
    close(fd);
    if (!found && length < 0) return errno = saved, -1;
    return found;
}

int nslab_remove_cgroup_tree(const char *path) {
    for (int round = 0; round < JANITOR_ROUNDS; round++) {
        // cgroupfs removes only an empty cgroup: the ones below it first, deepest first.
        char name[256], below[PATH_MAX];
        int found;
        while ((found = janitor_first_subdirectory(path, name, sizeof name)) == 1) {
            if ((size_t)snprintf(below, sizeof below, "%s/%s", path, name) >= sizeof below) return errno = ENAMETOOLONG, -1;
            if (nslab_remove_cgroup_tree(below) < 0) return -1;
        }
        if (found < 0) return errno == ENOENT ? 0 : -1;
        if (rmdir(path) == 0 || errno == ENOENT) return 0;
        if (errno != EBUSY) return -1;
        // Processes are still in it: those of a run that is being killed. Wait for them.
        if (janitor_await_members(path) < 0) return errno = EBUSY, -1;
    }
    return errno = EBUSY, -1;
}

// The first move of a process into a cgroup after a quiet spell waits for an RCU grace period
// (10-20 ms here, with cgroup_mutex held): the kernel turns the readers of its threadgroup
// lock to their slow path first. Moves within that period after it are quick. A throwaway
// child moves into PATH at once, so that the wait overlaps the start of the run instead of
// delaying the run's first move. Best effort: nothing depends on it. The child shares the
// janitor's memory and runs at once while the janitor waits (vfork: no copy of page tables,
// no locks taken), and only makes system calls.
static void janitor_start_grace_period(const char *file) {
    pid_t child = vfork();
    if (child == 0) {
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        if (fd >= 0 && write(fd, "0", 1) < 0) _exit(1);
        _exit(0);
    }
    if (child > 0) {
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
    }
}

pid_t nslab_cgroup_janitor(const char *const *paths, int count, int lock_fd, int start_grace_period, int *release_fd) {
    char procs[PATH_MAX];
    start_grace_period = start_grace_period && count > 0
        && (size_t)snprintf(procs, sizeof procs, "%s/cgroup.procs", paths[0]) < sizeof procs;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        return errno = saved, -1;
    }
    if (pid == 0) {
        // Its own session: a terminal's Ctrl-C or hangup, meant for the runner, never reaches
        // it. Nothing but async-signal-safe calls from here on.
        setsid();
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        // It keeps the pipe's read end (stdin) and the lock (stdout) and nothing else: no
        // pipe of the runner's is held open by it, no terminal.
        if (dup2(fds[0], 0) < 0) _exit(2);
        if (lock_fd >= 0 && dup2(lock_fd, 1) < 0) _exit(2);
        if (lock_fd < 0) close(1);
        close(2);
        syscall(SYS_close_range, 3, ~0U, 0);
        if (start_grace_period) janitor_start_grace_period(procs);
        char byte;
        ssize_t length;
        // Every copy of the write end closed: the runner ended, however it did.
        while ((length = read(0, &byte, 1)) != 0) {
            if (length < 0 && errno != EINTR) break;
        }
        int status = 0;
        for (int i = 0; i < count; i++) {
            if (nslab_remove_cgroup_tree(paths[i]) < 0) status = 1;
        }
        _exit(status);
    }
    close(fds[0]);
    *release_fd = fds[1];
    return pid;
}
