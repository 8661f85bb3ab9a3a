// The probe's actions, and their table: what each does, and which namespace it may change.
#include "nsprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sched.h>  // struct clone_args, CLONE_INTO_CGROUP
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/syscall.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open  // C libraries older than the call
#define SYS_pidfd_open 434  // the same number on every architecture
#endif

// Prints "ready", then waits for a line (or EOF) on stdin until `deadline`: "line", "eof" or
// "timeout".
static const char *await_release(double deadline) {
    begin("ready");
    end();
    struct pollfd input = {.fd = STDIN_FILENO, .events = POLLIN};
    for (;;) {
        double left = deadline - clock_seconds(CLOCK_MONOTONIC);
        int n = left <= 0 ? 0 : poll(&input, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return "timeout";
        char c;
        ssize_t got = read(STDIN_FILENO, &c, 1);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return "eof";
        if (c == '\n') return "line";
    }
}

// When a hold of `argument` seconds (30 by default, at most a week) ends.
static double hold_deadline(const char *argument) {
    long seconds = argument ? strtol(argument, NULL, 10) : DEFAULT_HOLD_SECONDS;
    if (seconds < 0) seconds = 0;
    if (seconds > MAX_HOLD_SECONDS) seconds = MAX_HOLD_SECONDS;
    return clock_seconds(CLOCK_MONOTONIC) + (double)seconds;
}

// Prints "released" and how; the probe's exit status: 124 after a timeout, else 0.
static int released(const char *how) {
    begin("released");
    put_field("how", how);
    end();
    return !strcmp(how, "timeout") ? 124 : 0;
}

// Prints "ready", then waits for a line (or EOF) on stdin, at most `seconds`. A probe that
// is never released exits with 124, so a hold can never hang a run.
static int action_hold(char *argument, const char *refused) {
    return released(await_release(hold_deadline(argument)));
}

// Prints "ready", then waits for SIGUSR1 (blocked since main began), at most `seconds`; a
// probe never released exits with 124, like a hold.
static int action_pause(char *argument, const char *refused) {
    double deadline = hold_deadline(argument);
    sigset_t release;
    sigemptyset(&release);
    sigaddset(&release, SIGUSR1);
    begin("ready");
    end();
    const char *how = "timeout";
    for (;;) {
        double left = deadline - clock_seconds(CLOCK_MONOTONIC);
        if (left <= 0) break;
        struct timespec bound = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        if (sigtimedwait(&release, NULL, &bound) == SIGUSR1) {
            how = "signal";
            break;
        }
        if (errno != EINTR && errno != EAGAIN) break;
    }
    return released(how);
}

// A SysV IPC object of `kind` with key KEY (IPC_PRIVATE without one).
static int make_ipc(const char *kind, const char *argument, const char *refused) {
    key_t key = argument ? (key_t)strtol(argument, NULL, 0) : IPC_PRIVATE;
    if (refused) {
        begin("make-ipc");
        put_field("kind", kind);
        putf(",\"key\":%ld,\"id\":-1", (long)key);
        end_guarded(refused, EPERM);
        return 0;
    }
    int id;
    if (!strcmp(kind, "msg")) {
        id = msgget(key, IPC_CREAT | 0600);
    } else if (!strcmp(kind, "shm")) {
        id = shmget(key, 4096, IPC_CREAT | 0600);
    } else {
        id = semget(key, 1, IPC_CREAT | 0600);
    }
    int error = id < 0 ? errno : 0;
    begin("make-ipc");
    put_field("kind", kind);
    putf(",\"key\":%ld,\"id\":%d", (long)key, id);
    put_errno(error);
    end();
    return 0;
}

static int action_mkqueue(char *argument, const char *refused) { return make_ipc("msg", argument, refused); }
static int action_mkshm(char *argument, const char *refused) { return make_ipc("shm", argument, refused); }
static int action_mksem(char *argument, const char *refused) { return make_ipc("sem", argument, refused); }

static int action_sethostname(char *argument, const char *refused) {
    const char *name = argument ? argument : "";
    int error = refused ? EPERM : sethostname(name, strlen(name)) < 0 ? errno : 0;
    begin("sethostname");
    put_field("name", name);
    end_guarded(refused, error);
    return 0;
}

// Makes an orphan: a child forks a grandchild and exits. The grandchild waits (bounded) for
// the kernel to reparent it, signalled by its parent-death signal, and sends back the parent
// it had and the one it got. This probe reaps the grandchild if it became its parent.
// The orphan event: `record` is {orphan, parent before, parent after}, zeros when unknown.
static void put_orphan(const int record[3], int error) {
    begin("orphan");
    putf(",\"orphan\":%d,\"parent_before\":%d,\"parent_after\":%d,\"reaped_by_me\":%s",
         record[0], record[1], record[2], record[2] == getpid() ? "true" : "false");
    put_errno(error);
    end();
}

static int action_orphan(char *argument, const char *refused) {
    int ready[2], result[2], record[3] = {0, 0, 0};
    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(result, O_CLOEXEC) < 0) {
        put_orphan(record, errno);
        return 0;
    }
    pid_t middle = fork();
    if (middle < 0) {
        put_orphan(record, errno);
        return 0;
    }
    if (middle == 0) {
        pid_t parent = getpid();
        pid_t grandchild = fork();  // on failure the middle exits and the read below sees EOF
        if (grandchild == 0) {
            sigset_t usr1;
            sigemptyset(&usr1);
            sigaddset(&usr1, SIGUSR1);
            sigprocmask(SIG_BLOCK, &usr1, NULL);
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            char go = 1;
            (void)!write(ready[1], &go, 1);
            if (getppid() == parent) {
                struct timespec bound = {.tv_sec = 5};
                sigtimedwait(&usr1, NULL, &bound);
            }
            int record[3] = {getpid(), parent, getppid()};
            (void)!write(result[1], record, sizeof record);
            _exit(0);
        }
        char go;
        close(ready[1]);
        (void)!read(ready[0], &go, 1);  // the grandchild is ready to notice its parent's death
        _exit(0);
    }
    close(ready[0]);
    close(ready[1]);
    close(result[1]);
    waitpid(middle, NULL, 0);
    ssize_t n = read(result[0], record, sizeof record);
    close(result[0]);
    if (n != (ssize_t)sizeof record) memset(record, 0, sizeof record);
    if (record[2] == getpid()) waitpid(record[0], NULL, 0);
    put_orphan(record, n == (ssize_t)sizeof record ? 0 : EPIPE);
    return 0;
}

static int signal_number(const char *name) {
    if (!name || !strcmp(name, "KILL")) return SIGKILL;
    if (!strcmp(name, "TERM")) return SIGTERM;
    if (!strcmp(name, "INT")) return SIGINT;
    if (!strcmp(name, "HUP")) return SIGHUP;
    return atoi(name);
}

// The initial PID namespace has a fixed inode (PROC_PID_INIT_INO in the kernel's proc_ns.h).
#define INITIAL_PID_NAMESPACE_INODE 0xEFFFFFFCULL

static int in_initial_pid_namespace(void) {
    struct stat st;
    return stat("/proc/self/ns/pid", &st) < 0 || st.st_ino == INITIAL_PID_NAMESPACE_INODE;
}

// A child of this probe sends a signal to pid 1 of the probe's PID namespace, like
// `kill -9 1` typed inside. Only when the probe itself is that pid 1, in a PID namespace listed
// in NSLAB_OWNED: it never signals an init it does not stand for (the host's, or a container's
// that a CI job runs in).
static int action_kill_init(char *argument, const char *refused) {
    int sig = signal_number(argument);
    // Pid 1 stands for the init it signals; a probe whose parent is outside the namespace
    // (getppid() is 0) came in from outside, like nsenter, to look at that init. Pid 2 under
    // some other init inside stands for nothing.
    int stands_for_init = getpid() == 1 || getppid() == 0;
    if (!refused && (!stands_for_init || in_initial_pid_namespace())) {
        refused = "the probe sends kill-init only as pid 1 of a new PID namespace, or from outside it";
    }
    if (refused) {
        begin("kill-init");
        putf(",\"signal\":%d,\"sent\":false", sig);
        end_guarded(refused, EPERM);
        return 0;
    }
    int result[2];
    if (pipe2(result, O_CLOEXEC) < 0) {
        int error = errno;
        begin("kill-init");
        putf(",\"signal\":%d,\"sent\":false", sig);
        put_errno(error);
        end();
        return 0;
    }
    pid_t child = fork();
    int error = child < 0 ? errno : ESRCH;
    if (child == 0) {
        int sent = kill(1, sig) < 0 ? errno : 0;
        (void)!write(result[1], &sent, sizeof sent);
        _exit(0);
    }
    close(result[1]);
    if (child < 0) {
        // error is fork's
    } else if (read(result[0], &error, sizeof error) != sizeof error) error = EPIPE;
    close(result[0]);
    if (child > 0) waitpid(child, NULL, 0);
    int alive = kill(1, 0) == 0;
    begin("kill-init");
    putf(",\"signal\":%d,\"sent\":%s,\"sender\":%d,\"init_alive_after\":%s", sig,
         error ? "false" : "true", (int)child, alive ? "true" : "false");
    put_errno(error);
    end();
    return 0;
}

// Forks `count` children that wait, bounded, until they are killed or their parent dies.
static int action_spawn(char *argument, const char *refused) {
    int count = argument ? atoi(argument) : 1;
    begin("spawn");
    put(",\"children\":[");
    for (int i = 0; i < count; i++) {
        pid_t child = fork();
        if (child == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            alarm(DEFAULT_HOLD_SECONDS);
            for (;;) pause();
        }
        if (child < 0) {
            int error = errno;
            put("]");
            put_errno(error);
            end();
            return 0;
        }
        putf("%s%d", i ? "," : "", (int)child);
    }
    put("]");
    put_errno(0);
    end();
    return 0;
}

// The CLONE_NEW* flags of a list of kinds ("uts,ipc"), or -1 for a word that is no kind.
static int kind_flags(const char *list) {
    int flags = 0;
    for (const char *word = list; *word;) {
        size_t n = strcspn(word, ",");
        int k = 0;
        while (k < NSLAB_NAMESPACE_KIND_COUNT &&
               (strlen(nslab_namespace_kinds[k].name) != n || strncmp(nslab_namespace_kinds[k].name, word, n) != 0)) {
            k++;
        }
        if (k == NSLAB_NAMESPACE_KIND_COUNT) return -1;
        flags |= nslab_namespace_kinds[k].flag;
        word += n + (word[n] == ',');
    }
    return flags;
}

// setns=PATH joins the namespace of a /proc/PID/ns file, whatever its kind; setns=PATH,KIND
// asks for that kind (EINVAL when the file is of another).
static int action_setns(char *argument, const char *refused) {
    char *path = argument ? argument : "";
    char *kind = strchr(path, ',');
    if (kind) *kind++ = 0;
    int type = kind ? kind_flags(kind) : 0;
    if (type < 0) return unknown_word("kind", kind);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int error = fd < 0 ? errno : (setns(fd, type) < 0 ? errno : 0);
    if (fd >= 0) close(fd);
    begin("setns");
    put_field("path", path);
    put_errno(error);
    end();
    return 0;
}

// setns-pidfd=PID:KINDS joins several namespaces of a process at once, through a pidfd
// (pidfd_open(2), setns(2) since Linux 5.8), all or none.
static int action_setns_pidfd(char *argument, const char *refused) {
    char *colon = argument ? strchr(argument, ':') : NULL;
    if (!colon) return unknown_word("action", argument ? argument : "");
    *colon = 0;
    int flags = kind_flags(colon + 1);
    if (flags < 0) return unknown_word("kind", colon + 1);
    int fd = (int)syscall(SYS_pidfd_open, (pid_t)atoi(argument), 0);
    int error = fd < 0 ? errno : (setns(fd, flags) < 0 ? errno : 0);
    if (fd >= 0) close(fd);
    begin("setns-pidfd");
    put_field("kinds", colon + 1);
    put_errno(error);
    end();
    return 0;
}

// The sections a report or a fork asks for, or the probe's exit status 2 for a section it
// does not know.
static int sections(const char *argument, unsigned *chosen) {
    char unknown[64];
    if (parse_sections(argument, chosen, unknown, sizeof unknown)) return 0;
    return unknown_word("section", unknown);
}

static int action_report(char *argument, const char *refused) {
    unsigned chosen;
    int status = sections(argument, &chosen);
    if (status == 0) report(chosen);
    return status;
}

// Reports SECTIONS after each line on stdin, until end of file, each report followed by
// "ready" like a hold: a process that stays in its namespaces looks as often as it is asked,
// a line on a pipe instead of a new process each time. At most DEFAULT_HOLD_SECONDS in all.
static int action_serve(char *argument, const char *refused) {
    unsigned chosen;
    int status = sections(argument, &chosen);
    if (status != 0) return status;
    double deadline = hold_deadline(NULL);
    const char *how;
    while (!strcmp(how = await_release(deadline), "line")) report(chosen);
    return released(how);
}

// Forks a child that prints its own report of the sections asked for; the probe waits for it.
// Right after a clone: in the child, its own report of `chosen`, then exit; in the parent,
// the wait for it, then the "fork" event (`error`: the clone's errno when it failed).
static int child_reports(pid_t child, int error, unsigned chosen) {
    if (child == 0) {
        report(chosen);
        _exit(0);
    }
    int status = 0;
    if (child > 0) waitpid(child, &status, 0);
    begin("fork");
    putf(",\"child\":%d,\"exit_status\":%d", (int)child, child > 0 ? WEXITSTATUS(status) : -1);
    put_errno(error);
    end();
    return 0;
}

// A child of `flags` (CLONE_NEW* and SIGCHLD) that prints its own report of the sections
// asked for; the probe waits for it, then says so.
static int report_from_child(int flags, unsigned chosen) {
    // clone(2) with fork semantics: the raw call, since glibc's wrapper wants a stack.
    pid_t child = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
    return child_reports(child, child < 0 ? errno : 0, chosen);
}

// clone-into=DIR: a child born in the cgroup v2 directory DIR, by clone3(2) with
// CLONE_INTO_CGROUP (Linux 5.7): never in the probe's cgroup. It reports the ns, process and
// cgroup sections.
static int action_clone_into(char *argument, const char *refused) {
    unsigned chosen;
    sections("ns,process,cgroup", &chosen);
    int cgroup = open(argument ? argument : "", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroup < 0) return child_reports(-1, errno, chosen);
    struct clone_args args = {.flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (unsigned long long)cgroup};
    pid_t child = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    int error = child < 0 ? errno : 0;
    if (child != 0) close(cgroup);
    return child_reports(child, error, chosen);
}

// clone=KINDS: a child in new namespaces of those kinds, made by clone(2) itself; the probe
// stays where it is. It reports the ns and process sections.
static int action_clone(char *argument, const char *refused) {
    int flags = kind_flags(argument ? argument : "");
    if (flags < 0) return unknown_word("kind", argument);
    unsigned chosen;
    sections("ns,process", &chosen);
    return report_from_child(flags | SIGCHLD, chosen);
}

static int action_fork(char *argument, const char *refused) {
    unsigned chosen;
    int unknown = sections(argument, &chosen);
    if (unknown != 0) return unknown;
    return report_from_child(SIGCHLD, chosen);
}

static char process_state(pid_t pid) {
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return '-';
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return '-';
    text[n] = 0;
    char *paren = strrchr(text, ')');
    return paren && paren[1] && paren[2] ? paren[2] : '?';
}

// A child exits; before reaping it the probe reads its state (Z, a zombie), then reaps it.
static int action_zombie(char *argument, const char *refused) {
    pid_t child = fork();
    if (child == 0) _exit(0);
    if (child < 0) {
        int error = errno;
        begin("zombie");
        put(",\"child\":-1,\"state_before_reaping\":\"-\",\"state_after_reaping\":\"-\"");
        put_errno(error);
        end();
        return 0;
    }
    siginfo_t info;
    waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT);  // exited, not yet reaped
    char before = process_state(child);
    waitpid(child, NULL, 0);
    char after = process_state(child);
    begin("zombie");
    putf(",\"child\":%d,\"state_before_reaping\":\"%c\",\"state_after_reaping\":\"%c\"",
         (int)child, before, after);
    put_errno(0);
    end();
    return 0;
}

// Nests PID namespaces as deep as the kernel allows: unshare(CLONE_NEWPID), fork, and again
// in the child, which is pid 1 one level down. The deepest process reports how many levels
// it made and why the next was refused (pid_namespaces(7): 32 at most); each level waits
// for the one below, and only the probe itself goes on. Last among a probe's actions: its
// own children are born one level down afterwards.
static int action_nest_pid(char *argument, const char *refused) {
    int made = 0, error = 0;
    for (;;) {
        if (unshare(CLONE_NEWPID) < 0) {
            error = errno;
            break;
        }
        pid_t child = fork();
        if (child < 0) {
            error = errno;
            break;
        }
        if (child > 0) {
            waitpid(child, NULL, 0);
            if (made > 0) _exit(0);
            return 0;
        }
        made++;
    }
    begin("nest");
    put_field("kind", "pid");
    putf(",\"made\":%d", made);
    put_errno(error);
    end();
    if (made > 0) _exit(0);
    return 0;
}

static int action_write(char *path, const char *refused) {
    int fd = open(path ? path : "", O_WRONLY | O_APPEND | O_CLOEXEC);
    int error = fd < 0 ? errno : 0;
    if (fd >= 0) close(fd);
    begin("write");
    put_field("path", path);
    put_errno(error);
    end();
    return 0;
}

// The names in `path`, or the errno of opendir: what `ls -A` would list.
static int action_ls(char *path, const char *refused) {
    begin("ls");
    put_field("path", path);
    DIR *directory = opendir(path ? path : "");
    int error = directory ? 0 : errno;
    put_key("entries");
    if (directory) put_entries(directory, 0, 0); else put("[]");
    put_errno(error);
    end();
    return 0;
}

// umount2(2) of PATH, with ",detach" (MNT_DETACH), ",expire" (MNT_EXPIRE) or ",force".
static int action_umount(char *argument, const char *refused) {
    char *path = argument ? argument : "";
    char *comma = strrchr(path, ',');
    const char *how = "";
    int flags = 0;
    if (comma && (!strcmp(comma, ",detach") || !strcmp(comma, ",expire") || !strcmp(comma, ",force"))) {
        *comma = 0;
        how = comma + 1;
        flags = !strcmp(how, "detach") ? MNT_DETACH : !strcmp(how, "expire") ? MNT_EXPIRE : MNT_FORCE;
    }
    int error = refused ? EPERM : umount2(path, flags) < 0 ? errno : 0;
    begin("umount");
    put_field("path", path);
    put_field("flags", how);
    end_guarded(refused, error);
    return 0;
}

// The classic escape from a chroot (chroot(2), NOTES): chroot into DIR, a directory below the
// current root, without entering it; the working directory is then outside the root, so ".."
// climbs past it to the top of the mount namespace, which becomes the root again. Only the
// probe's own root changes. After pivot_root and a detached old root there is nothing above.
static int action_chroot_escape(char *dir, const char *refused) {
    int error = chdir("/") < 0 || chroot(dir ? dir : "") < 0 ? errno : 0;
    for (int i = 0; !error && i < 64; i++) {
        if (chdir("..") < 0) error = errno;
    }
    if (!error && chroot(".") < 0) error = errno;
    if (!error && chdir("/") < 0) error = errno;
    begin("chroot-escape");
    put_field("dir", dir);
    put_errno(error);
    end();
    return 0;
}

// "127.0.0.1:8080" into an IPv4 socket address; 0 when it does not parse.
static int parse_address(const char *text, struct sockaddr_in *address) {
    char host[64];
    const char *colon = text ? strrchr(text, ':') : NULL;
    if (!colon || (size_t)(colon - text) >= sizeof host) return 0;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    memset(address, 0, sizeof *address);
    address->sin_family = AF_INET;
    address->sin_port = htons((unsigned short)port);
    return *end == 0 && port > 0 && port < 65536 && inet_pton(AF_INET, host, &address->sin_addr) == 1;
}

// A TCP socket of the probe's: `listen` keeps its listener open until the probe exits (a later
// hold keeps it there); `connect` reports how the handshake went (success, ECONNREFUSED,
// ENETUNREACH; ETIMEDOUT after 2 s), then closes. Both only in a network namespace the runner
// made: no packet of the probe's may reach a network it did not make.
static int socket_action(const char *event, const char *argument, const char *refused) {
    struct sockaddr_in address;
    int error = 0, fd = -1;
    if (!parse_address(argument, &address)) {
        error = EINVAL;
    } else if (refused) {
        error = EPERM;
    } else if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
        error = errno;
    } else if (!strcmp(event, "listen")) {
        int yes = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, 16) < 0) error = errno;
    } else {
        fcntl(fd, F_SETFL, O_NONBLOCK);
        if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
            error = errno;
            if (error == EINPROGRESS) {
                struct pollfd writable = {fd, POLLOUT, 0};
                socklen_t size = sizeof error;
                if (poll(&writable, 1, 2000) == 1) {
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
                } else {
                    error = ETIMEDOUT;
                }
            }
        }
    }
    if (fd >= 0 && (error || strcmp(event, "listen") != 0)) close(fd);
    begin(event);
    put_field("address", argument);
    end_guarded(refused, error);
    return 0;
}

static int action_listen(char *argument, const char *refused) { return socket_action("listen", argument, refused); }
static int action_connect(char *argument, const char *refused) { return socket_action("connect", argument, refused); }

// await-link-gone=NAME[,SECONDS]: waits until the interface NAME is gone from the probe's
// network namespace, at most SECONDS (5 by default). The kernel removes a veth pair a moment
// after the namespace of one end died, from a work queue that serves the whole machine, and
// says so with an RTM_DELLINK message to the link group, which this waits for.
static int action_await_link_gone(char *argument, const char *refused) {
    char *comma = argument ? strchr(argument, ',') : NULL;
    if (comma) *comma = 0;
    const char *name = argument ? argument : "";
    double deadline = clock_seconds(CLOCK_MONOTONIC) + (comma ? strtod(comma + 1, NULL) : 5);
    int error = 0;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct sockaddr_nl group = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
    if (fd < 0 || bind(fd, (struct sockaddr *)&group, sizeof group) < 0) error = errno;
    // Subscribed first, then looked: a removal between the two is still heard.
    while (!error && if_nametoindex(name) != 0) {
        double left = deadline - clock_seconds(CLOCK_MONOTONIC);
        struct pollfd readable = {fd, POLLIN, 0};
        int ready = left > 0 ? poll(&readable, 1, (int)(left * 1000) + 1) : 0;
        if (ready == 0) error = ETIMEDOUT;
        else if (ready < 0 && errno != EINTR) error = errno;
        else if (ready > 0 && recv(fd, file_buffer, sizeof file_buffer, 0) < 0) error = errno;
    }
    if (fd >= 0) close(fd);
    begin("await-link-gone");
    put_field("name", name);
    put_errno(error);
    end();
    return 0;
}

// The whole of a small file (a map, a sysctl), or the errno of reading it.
static int action_read(char *path, const char *refused) {
    errno = 0;
    char *text = read_file(path ? path : "", file_buffer, sizeof file_buffer);
    int error = text ? 0 : (errno ? errno : EIO);
    begin("read");
    put_field("path", path);
    put_key("text");
    if (text) put_string(text); else put("null");
    put_errno(error);
    end();
    return 0;
}

// The ids the probe had before it made a user namespace, for map-root.
static uid_t outer_uid = (uid_t)-1;
static gid_t outer_gid = (gid_t)-1;

// unshare(2) of the kinds listed ("user,uts"), as the probe's user: unprivileged, the kernel
// allows a new user namespace, and anything else only from inside one. The namespaces made
// are recorded as the probe's own (made_here).
static int action_unshare(char *list, const char *refused) {
    int flags = kind_flags(list ? list : "");
    int error = flags < 0 ? EINVAL : 0;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (!error && unshare(flags) < 0) error = errno;
    if (!error) {
        if (flags & CLONE_NEWUSER) outer_uid = uid, outer_gid = gid;
        // A kind the caller's children enter (pid, time) is made for them: its link is theirs.
        for (int k = 0; k < NSLAB_NAMESPACE_KIND_COUNT; k++) {
            const struct nslab_namespace_kind *kind = &nslab_namespace_kinds[k];
            char path[64];
            struct stat st;
            snprintf(path, sizeof path, "/proc/self/ns/%s", kind->children_link ? kind->children_link : kind->name);
            if ((flags & nslab_namespace_kinds[k].flag) && stat(path, &st) == 0) {
                note_made_here(nslab_namespace_kinds[k].name, (unsigned long long)st.st_ino);
            }
        }
    }
    begin("unshare");
    put_field("kinds", list);
    put_errno(error);
    end();
    return 0;
}

static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ssize_t n = write(fd, text, strlen(text));
    int error = n < 0 ? errno : (size_t)n == strlen(text) ? 0 : EIO;
    close(fd);
    return error;
}

// As `unshare --map-root-user` does, for the user namespace the probe just made: setgroups
// "deny" (an unprivileged writer must, before gid_map), then "0 ID 1" for the uid and the
// gid it had outside. Only in a user namespace the probe made itself.
static int action_map_root(char *argument, const char *refused) {
    const char *why = "";
    int error = outer_uid == (uid_t)-1 ? EPERM : 0;
    if (error) why = "no user namespace made by the probe's unshare";
    char map[64];
    if (!error) error = write_text("/proc/self/setgroups", "deny");
    if (!error) {
        snprintf(map, sizeof map, "0 %u 1", (unsigned)outer_uid);
        error = write_text("/proc/self/uid_map", map);
    }
    if (!error) {
        snprintf(map, sizeof map, "0 %u 1", (unsigned)outer_gid);
        error = write_text("/proc/self/gid_map", map);
    }
    begin("map-root");
    end_guarded(why, error);
    return 0;
}

// Nests user namespaces as deep as the kernel allows: unshare(CLONE_NEWUSER), then maps the
// probe to root in it (a user namespace's creator must be mapped in its parent to make the
// next), and again. Reports how many it made and why the next was refused. Last among a
// probe's actions: it ends deep down, its ids mapped only to the first one's.
static int action_nest_user(char *argument, const char *refused) {
    int made = 0, error = 0;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    char map[64];
    for (;;) {
        if (unshare(CLONE_NEWUSER) < 0) {
            error = errno;
            break;
        }
        made++;
        error = write_text("/proc/self/setgroups", "deny");
        if (!error) snprintf(map, sizeof map, "%u %u 1", (unsigned)uid, (unsigned)uid);
        if (!error) error = write_text("/proc/self/uid_map", map);
        if (!error) snprintf(map, sizeof map, "%u %u 1", (unsigned)gid, (unsigned)gid);
        if (!error) error = write_text("/proc/self/gid_map", map);
        if (error) break;
    }
    begin("nest");
    put_field("kind", "user");
    putf(",\"made\":%d", made);
    put_errno(error);
    end();
    return 0;
}

// holder=KINDS: a child in new namespaces of those kinds, made for others to join; it holds
// them until the probe ends (PR_SET_PDEATHSIG). Reports its pid and the inode of each
// namespace it made.
static int action_holder(char *argument, const char *refused) {
    int flags = kind_flags(argument ? argument : "");
    if (flags < 0) return unknown_word("kind", argument);
    int ready[2], error = 0;
    if (pipe2(ready, O_CLOEXEC) < 0) error = errno;
    pid_t child = error ? -1 : fork();
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int made = unshare(flags) < 0 ? errno : 0;
        // Others must open its /proc/PID/ns files: it becomes dumpable, so it keeps nothing of
        // the probe's but the pipe it answers on (no report stream a tracer could write to).
        for (int fd = 0; fd < 1024; fd++) {
            if (fd != ready[1]) close(fd);
        }
        prctl(PR_SET_DUMPABLE, 1);
        if (write(ready[1], &made, sizeof made) != sizeof made) _exit(1);
        close(ready[1]);
        for (;;) pause();
    }
    if (!error && child < 0) error = errno;
    if (!error) {
        close(ready[1]);
        if (read(ready[0], &error, sizeof error) != sizeof error) error = EIO;
        close(ready[0]);
    }
    begin("holder");
    putf(",\"child\":%d,\"ns\":{", (int)child);
    int first = 1;
    for (int k = 0; k < NSLAB_NAMESPACE_KIND_COUNT && !error; k++) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)child, nslab_namespace_kinds[k].name);
        if (!(flags & nslab_namespace_kinds[k].flag) || stat(path, &st) < 0) continue;
        putf("%s\"%s\":%llu", first ? "" : ",", nslab_namespace_kinds[k].name, (unsigned long long)st.st_ino);
        first = 0;
    }
    put("}");
    put_errno(error);
    end();
    return 0;
}

// A word the probe does not know, `what` being "action" or "section": a usage event, and the
// probe's exit status 2.
int unknown_word(const char *what, const char *word) {
    char key[32];
    snprintf(key, sizeof key, "unknown_%s", what);
    begin("usage");
    put_field(key, word);
    put_errno(EINVAL);
    end();
    return 2;
}

// Every action, by the word that asks for it, with the kind of namespace it may change.
const struct nsprobe_action nsprobe_actions[] = {
    {"report", action_report, NULL},
    {"hold", action_hold, NULL},
    {"serve", action_serve, NULL},
    {"pause", action_pause, NULL},
    {"orphan", action_orphan, NULL},
    {"spawn", action_spawn, NULL},
    {"fork", action_fork, NULL},
    {"clone", action_clone, NULL},
    {"holder", action_holder, NULL},
    {"clone-into", action_clone_into, NULL},
    {"zombie", action_zombie, NULL},
    {"nest-pid", action_nest_pid, NULL},
    {"nest-user", action_nest_user, NULL},
    {"write", action_write, NULL},
    {"ls", action_ls, NULL},
    {"read", action_read, NULL},
    {"await-link-gone", action_await_link_gone, NULL},
    {"setns", action_setns, NULL},
    {"setns-pidfd", action_setns_pidfd, NULL},
    {"chroot-escape", action_chroot_escape, NULL},
    {"unshare", action_unshare, NULL},
    {"map-root", action_map_root, NULL},
    {"mkqueue", action_mkqueue, "ipc"},
    {"mkshm", action_mkshm, "ipc"},
    {"mksem", action_mksem, "ipc"},
    {"sethostname", action_sethostname, "uts"},
    {"kill-init", action_kill_init, "pid"},
    {"umount", action_umount, "mnt"},
    {"listen", action_listen, "net"},
    {"connect", action_connect, "net"},
    {"veth", action_veth, "net"},
    {"addr", action_addr, "net"},
    {"link-up", action_link_up, "net"},
    {"link-netns", action_link_netns, "net"},
    {"link-delete", action_link_delete, "net"},
    {NULL, NULL, NULL},
};
