// nsprobe: reports the namespace world it runs in, and performs a few actions on request.
//
//   nsprobe [ACTION...] [-- COMMAND [ARG...]]
//
// Every action prints one line "@@NSPROBE@@ {json}" on stdout, so that the lines can be found
// in whatever else a program prints. With no action the probe prints one report. After the
// actions, "-- COMMAND" execs the command in the same process (same namespaces). Errors are
// reported inside the JSON; the probe never crashes on a missing file or a refused call.
// It is linked statically so that it also runs inside a bare busybox rootfs.
//
// Actions: report[=SECTIONS], hold[=SECONDS], serve[=SECTIONS], pause[=SECONDS], orphan, spawn[=N],
// fork[=SECTIONS], zombie, write=PATH, ls=PATH, read=PATH, await-link-gone=NAME[,SECONDS], setns=PATH,
// chroot-escape=DIR, unshare=KINDS and map-root only look, make processes or move the probe ("fork"
// makes a child that reports; chroot-escape changes the probe's own root; unshare makes namespaces
// of its own, which count as the runner's, and map-root maps it to root in its new user namespace);
// these change a namespace's state or send packets, so guarded:
//   mkqueue=KEY, mkshm=KEY, mksem=KEY   a SysV IPC object          (ipc namespace)
//   sethostname=NAME                    the hostname               (uts namespace)
//   kill-init[=SIG]                     a signal to pid 1          (pid namespace; the probe
//                                       must be that pid 1, or have come in from outside)
//   umount=PATH[,detach|,expire|,force] umount2(2) of a mount      (mnt namespace)
//   listen=ADDR:PORT, connect=ADDR:PORT a TCP socket               (net namespace)
//   veth=NAME,PEER[,PID], addr=NAME,ADDR/PREFIX, link-up=NAME,
//   link-netns=NAME,PID|PATH, link-delete=NAME
//                                       a device, through rtnetlink(7) (net namespace; a
//                                       device moves only into one the runner made too)
// The runner must only ever change namespaces it made (README: "Nothing is done to your real
// machine"), so a guarded action acts only when the namespace the probe is in at that moment
// (its /proc/self/ns inode) is listed in NSLAB_OWNED, "kind:inode,..." that the runner's shim
// sets to the namespaces it made in this run and proved by inode, or is owned by a user
// namespace listed there (or one below it). Otherwise it does nothing
// and its event says EPERM and why, in "refused". kill-init also needs the probe to be pid 1
// of a new PID namespace, or to have joined one from outside (as `nsenter --pid` does: its
// parent is then in the namespace above, so getppid() is 0). Run by hand, without
// NSLAB_OWNED, the probe changes nothing.
//
// hold waits for a line on stdin (the runner writes it), and serve reports after each line
// until end of file; pause waits for SIGUSR1 instead:
// `runner grade` gives `pause` to a student's program, which owns the probe's stdin, and
// sends the signal itself from outside once it has looked. SIGUSR1 is blocked from the
// probe's start when it is asked to pause, so a release that comes early waits for the pause
// and is never fatal.
//
// A report prints "event", "pid" and "errors", then the SECTIONS asked for, comma-separated
// (every section when none are given): a step that reads two of them pays for two. A section
// not asked for is absent from the line, never empty, so that a reader cannot take it for
// "nothing there"; so is a field the probe could not read, its error then in "errors":
//   process       ppid, uid, gid, nspid, cap_eff, caps ns         /proc/self/ns inodes
//   hostname      hostname, domainname (uname(2))      sysvipc     msg, shm, sem (*ctl(2))
//   pids          the pids /proc shows                 fds         the probe's open fds
//   root_entries  the names in /                       mounts      /proc/self/mountinfo
//   id_maps       uid_map, gid_map, setgroups          cgroup      /proc/self/cgroup
//   interfaces    network interfaces, IPv4 addresses   routes      /proc/net/route, as ip route
//   clocks        monotonic, boottime
// An unknown action or section prints a "usage" event and exits 2.
#include "nsprobe.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    // A release for a pause is kept pending from the very start (see action_pause); without
    // a pause the probe's signal mask is the one it was given.
    sigset_t release;
    sigemptyset(&release);
    sigaddset(&release, SIGUSR1);
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (!strncmp(argv[i], "pause", 5) && (argv[i][5] == 0 || argv[i][5] == '=')) {
            sigprocmask(SIG_BLOCK, &release, NULL);
        }
    }
    int actions = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            if (actions == 0) report(all_sections);
            if (i + 1 >= argc) return 0;
            sigprocmask(SIG_UNBLOCK, &release, NULL);  // the command gets the mask the probe got
            execvp(argv[i + 1], &argv[i + 1]);
            begin("exec");
            put_field("command", argv[i + 1]);
            put_errno(errno);
            end();
            return 127;
        }
        char *word = argv[i];
        char *argument = strchr(word, '=');
        if (argument) *argument++ = 0;
        actions++;
        const struct nsprobe_action *action = nsprobe_actions;
        while (action->name && strcmp(action->name, word) != 0) action++;
        if (!action->name) return unknown_word("action", word);
        // The guard first: a refused action changes nothing, and its event says why.
        const char *refused = NULL;
        if (action->guard && !namespace_owned(action->guard, &refused)) {
            if (!refused) refused = "refused";
        }
        int status = action->run(argument, refused);
        if (status != 0) return status;
    }
    if (actions == 0) report(all_sections);
    return 0;
}
