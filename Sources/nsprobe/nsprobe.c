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
// Actions: report[=SECTIONS], hold[=SECONDS], pause[=SECONDS], orphan, spawn[=N], fork[=SECTIONS], zombie,
// write=PATH, ls=PATH, read=PATH, await-link-gone=NAME, setns=PATH, chroot-escape=DIR,
// unshare=KINDS and map-root only look, make processes or move the probe ("fork" makes a child
// that reports; chroot-escape changes the probe's own root; unshare makes namespaces of its
// own, which count as the runner's, and map-root maps it to root in its new user namespace);
// these change a namespace's state or send packets, so guarded:
//   mkqueue=KEY, mkshm=KEY, mksem=KEY   a SysV IPC object          (ipc namespace)
//   sethostname=NAME                    the hostname               (uts namespace)
//   kill-init[=SIG]                     a signal to pid 1          (pid namespace; the probe
//                                       must be that pid 1, or have come in from outside)
//   umount=PATH[,detach|,expire|,force] umount2(2) of a mount      (mnt namespace)
//   listen=ADDR:PORT, connect=ADDR:PORT a TCP socket               (net namespace)
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
// hold waits for a line on stdin (the runner writes it); pause waits for SIGUSR1 instead:
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
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARKER "@@NSPROBE@@ "
#define DEFAULT_HOLD_SECONDS 30
#define MAX_HOLD_SECONDS (7 * 24 * 3600)

// ---------------------------------------------------------------------------------------
// One JSON line, built in a buffer and written with a single write(2).

static char line[8 << 20];
static size_t line_length;
static int line_truncated;

static void put(const char *text) {
    size_t n = strlen(text);
    if (line_length + n + 64 >= sizeof line) {  // keep room to close the object
        line_truncated = 1;
        return;
    }
    memcpy(line + line_length, text, n);
    line_length += n;
}

static void putf(const char *format, ...) {
    char buffer[512];
    va_list args;
    va_start(args, format);
    vsnprintf(buffer, sizeof buffer, format, args);
    va_end(args);
    put(buffer);
}

static void put_string(const char *text) {
    char buffer[8];
    put("\"");
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\') {
            buffer[0] = '\\', buffer[1] = (char)*c, buffer[2] = 0;
        } else if (*c < 0x20) {
            snprintf(buffer, sizeof buffer, "\\u%04x", *c);
        } else {
            buffer[0] = (char)*c, buffer[1] = 0;
        }
        put(buffer);
    }
    put("\"");
}

static void put_key(const char *key) {
    put(",");
    put_string(key);
    put(":");
}

static void begin(const char *event) {
    line_length = 0;
    line_truncated = 0;
    put(MARKER "{\"event\":");
    put_string(event);
    putf(",\"pid\":%d", (int)getpid());
}

static void end(void) {
    if (line_truncated) {
        // Cut in the middle of a value: keep only what is sure to be valid JSON.
        char *event_end = strstr(line, ",\"pid\":");
        line_length = event_end ? (size_t)(event_end - line) : 0;
        line_truncated = 0;
        putf(",\"pid\":%d,\"truncated\":true,\"errors\":[{\"what\":\"the line\",\"error\":\"EFBIG\"}]",
             (int)getpid());
    }
    line[line_length++] = '}';
    line[line_length++] = '\n';
    size_t done = 0;
    while (done < line_length) {
        ssize_t n = write(STDOUT_FILENO, line + done, line_length - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
}

static void put_errno(int error) {
    const char *name = error ? strerrorname_np(error) : "";
    putf(",\"errno\":%d", error);
    put_key("error");
    put_string(name ? name : "unknown");
}

// Errors met while reporting, listed in the report's "errors" array.
static struct {
    char what[256];
    int error;
} errors[32];
static int error_count;

// Why a guarded action did nothing ("refused"), when `why` says anything: the field every
// guarded action's event carries.
static void put_refusal(const char *why) {
    if (!why || !*why) return;
    put_key("refused");
    put_string(why);
}

static void note_error(const char *what, int error) {
    if (error_count < (int)(sizeof errors / sizeof *errors)) {
        snprintf(errors[error_count].what, sizeof errors[0].what, "%s", what);
        errors[error_count++].error = error;
    }
}

static void put_errors(void) {
    put_key("errors");
    put("[");
    for (int i = 0; i < error_count; i++) {
        const char *name = strerrorname_np(errors[i].error);
        put(i ? ",{\"what\":" : "{\"what\":");
        put_string(errors[i].what);
        put(",\"error\":");
        put_string(name ? name : "unknown");
        put("}");
    }
    put("]");
}

// ---------------------------------------------------------------------------------------
// Reading the kernel's files.

static char *read_file(const char *path, char *buffer, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        note_error(path, errno);
        return NULL;
    }
    size_t done = 0;
    ssize_t n;
    while (done + 1 < size && (n = read(fd, buffer + done, size - 1 - done)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            note_error(path, errno);
            close(fd);
            return NULL;
        }
        done += (size_t)n;
    }
    buffer[done] = 0;
    close(fd);
    if (done + 1 >= size) note_error(path, EFBIG);  // read only its first part
    return buffer;
}

static char file_buffer[4 << 20];

// The value after "Name:" in /proc/self/status, or NULL.
static char *status_field(const char *status, const char *name, char *value, size_t size) {
    size_t length = strlen(name);
    for (const char *p = status; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, length) == 0 && p[length] == ':') {
            p += length + 1;
            while (*p == '\t' || *p == ' ') p++;
            size_t n = strcspn(p, "\n");
            if (n >= size) n = size - 1;
            memcpy(value, p, n);
            value[n] = 0;
            return value;
        }
    }
    return NULL;
}

// A field that cannot be read is left out, like a section not asked for: an empty value
// would read as "nothing there". Its error is in "errors".
static void put_status_fields(void) {
    char value[256];
    char *status = read_file("/proc/self/status", file_buffer, sizeof file_buffer);
    if (!status) return;
    if (status_field(status, "NSpid", value, sizeof value)) {  // since Linux 4.1
        put_key("nspid");
        put("[");
        int first = 1;
        for (char *word = strtok(value, " \t"); word; word = strtok(NULL, " \t")) {
            putf("%s%s", first ? "" : ",", word);
            first = 0;
        }
        put("]");
    }
    if (status_field(status, "CapEff", value, sizeof value)) {
        put_key("cap_eff");
        put_string(value);
    }
    // The same sets as libcap writes them (cap_to_text(3)): "=ep" is every capability.
    cap_t caps = cap_get_proc();
    char *text = caps ? cap_to_text(caps, NULL) : NULL;
    if (text) {
        put_key("caps");
        put_string(text);
        cap_free(text);
    } else {
        note_error("cap_get_proc", errno);
    }
    if (caps) cap_free(caps);
}

static const char *const namespace_names[] = {
    "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
    "time", "time_for_children", "user", "uts",
};

// Kinds this kernel lacks are left out; with no /proc at all, the whole section is.
static void put_namespaces(void) {
    size_t start = line_length;
    put_key("ns");
    put("{");
    int first = 1;
    for (size_t i = 0; i < sizeof namespace_names / sizeof *namespace_names; i++) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof path, "/proc/self/ns/%s", namespace_names[i]);
        if (stat(path, &st) < 0) {
            if (errno != ENOENT) note_error(path, errno);
            continue;
        }
        putf("%s\"%s\":%llu", first ? "" : ",", namespace_names[i],
             (unsigned long long)st.st_ino);
        first = 0;
    }
    if (first) {
        note_error("/proc/self/ns", ENOENT);
        line_length = start;
        return;
    }
    put("}");
}

static void put_names(void) {
    struct utsname names;
    if (uname(&names) < 0) {
        note_error("uname", errno);
        return;
    }
    put_key("hostname");
    put_string(names.nodename);
    put_key("domainname");
    put_string(names.domainname);
}

// The SysV IPC objects of one kind in the probe's IPC namespace, asked of the kernel itself:
// *_INFO gives the highest index in use, *_STAT_ANY (Linux 4.17) each object's id and key,
// whatever its permissions (msgctl(2), shmctl(2), semctl(2)). No /proc is read, so nothing
// mounted over /proc/sysvipc can stand in for the kernel's answer. Returns 0 on an error.
union nsprobe_semun {
    int value;
    struct semid_ds *buffer;
    struct seminfo *info;
};

static int stat_ipc(const char *kind, int index, key_t *key) {
    if (!strcmp(kind, "msg")) {
        struct msqid_ds object;
        int id = msgctl(index, MSG_STAT_ANY, &object);
        *key = object.msg_perm.__key;
        return id;
    }
    if (!strcmp(kind, "shm")) {
        struct shmid_ds object;
        int id = shmctl(index, SHM_STAT_ANY, &object);
        *key = object.shm_perm.__key;
        return id;
    }
    struct semid_ds object;
    union nsprobe_semun argument = {.buffer = &object};
    int id = semctl(index, 0, SEM_STAT_ANY, argument);
    *key = object.sem_perm.__key;
    return id;
}

static int put_sysvipc_kind(const char *kind, int first_kind) {
    int highest;
    if (!strcmp(kind, "msg")) {
        struct msginfo info;
        highest = msgctl(0, MSG_INFO, (struct msqid_ds *)&info);
    } else if (!strcmp(kind, "shm")) {
        struct shm_info info;
        highest = shmctl(0, SHM_INFO, (struct shmid_ds *)&info);
    } else {
        struct seminfo info;
        union nsprobe_semun argument = {.info = &info};
        highest = semctl(0, 0, SEM_INFO, argument);
    }
    if (highest < 0) {
        char what[32];
        snprintf(what, sizeof what, "%sctl(%s_INFO)", kind, !strcmp(kind, "msg") ? "MSG" : !strcmp(kind, "shm") ? "SHM" : "SEM");
        note_error(what, errno);
        return 0;
    }
    if (!first_kind) put(",");
    put_string(kind);
    put(":[");
    int first = 1;
    for (int index = 0; index <= highest; index++) {
        key_t key = 0;
        int id = stat_ipc(kind, index, &key);
        if (id < 0) continue;  // a free index (EINVAL), or one removed meanwhile
        putf("%s{\"key\":%ld,\"id\":%d}", first ? "" : ",", (long)key, id);
        first = 0;
    }
    put("]");
    return 1;
}

// All three kinds or none: a kind that cannot be read takes the section out of the line.
static void put_sysvipc(void) {
    size_t start = line_length;
    put_key("sysvipc");
    put("{");
    if (!put_sysvipc_kind("msg", 1) || !put_sysvipc_kind("shm", 0) || !put_sysvipc_kind("sem", 0)) {
        line_length = start;
        return;
    }
    put("}");
}

static int is_number(const char *name) {
    if (!*name) return 0;
    for (; *name; name++) {
        if (*name < '0' || *name > '9') return 0;
    }
    return 1;
}

// The entries of an open directory as a JSON array (then closes it): numbers as numbers
// (pids, fds) with `numbers_only`, other names as strings; "." and ".." and, with
// `skip_own_fd`, the fd used for the listing itself are left out.
static void put_entries(DIR *directory, int numbers_only, int skip_own_fd) {
    put("[");
    int first = 1;
    for (struct dirent *entry; (entry = readdir(directory));) {
        const char *name = entry->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        if (numbers_only && !is_number(name)) continue;
        if (skip_own_fd && atoi(name) == dirfd(directory)) continue;
        if (!first) put(",");
        if (numbers_only) put(name); else put_string(name);
        first = 0;
    }
    closedir(directory);
    put("]");
}

// The entries of `path` under `key`: pids and fds as numbers (not the listing's own fd),
// root_entries as names; a directory that cannot be read is an error of the report.
static void put_directory(const char *key, const char *path) {
    DIR *directory = opendir(path);
    if (!directory) {
        note_error(path, errno);
        return;
    }
    put_key(key);
    put_entries(directory, strcmp(key, "root_entries") != 0, !strcmp(key, "fds"));
}

// mountinfo(5): "id parent major:minor root mount-point options [optional...] - fstype source
// super-options". The optional fields carry the propagation: shared:N, master:N, unbindable.
static void put_mounts(void) {
    char *text = read_file("/proc/self/mountinfo", file_buffer, sizeof file_buffer);
    if (!text) return;
    put_key("mounts");
    put("[");
    int first = 1;
    for (char *saved = NULL, *entry = strtok_r(text, "\n", &saved); entry;
         entry = strtok_r(NULL, "\n", &saved)) {
        char *fields[64];
        int count = 0;
        for (char *s2 = NULL, *word = strtok_r(entry, " ", &s2); word && count < 64;
             word = strtok_r(NULL, " ", &s2)) {
            fields[count++] = word;
        }
        int dash = 6;
        while (dash < count && strcmp(fields[dash], "-") != 0) dash++;
        if (count < 6 || dash + 2 >= count) continue;
        char propagation[256] = "";
        for (int i = 6; i < dash; i++) {
            if (propagation[0]) strncat(propagation, " ", sizeof propagation - strlen(propagation) - 1);
            strncat(propagation, fields[i], sizeof propagation - strlen(propagation) - 1);
        }
        put(first ? "{" : ",{");
        first = 0;
        putf("\"id\":%s,\"parent\":%s", fields[0], fields[1]);
        put_key("root");
        put_string(fields[3]);
        put_key("target");
        put_string(fields[4]);
        put_key("fstype");
        put_string(fields[dash + 1]);
        put_key("source");
        put_string(fields[dash + 2]);
        put_key("propagation");
        put_string(propagation[0] ? propagation : "private");
        put("}");
    }
    put("]");
}

static void put_file_text(const char *key, const char *path) {
    put_key(key);
    char *text = read_file(path, file_buffer, sizeof file_buffer);
    if (text) {
        put_string(text);
    } else {
        put("null");
    }
}

static void put_interfaces(void) {
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) < 0) {
        note_error("getifaddrs", errno);
        return;
    }
    put_key("interfaces");
    put("[");
    int first = 1;
    // One entry per interface (the AF_PACKET entry), with its IPv4 addresses.
    for (struct ifaddrs *a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_PACKET) continue;
        put(first ? "{" : ",{");
        first = 0;
        put("\"name\":");
        put_string(a->ifa_name);
        putf(",\"up\":%s", (a->ifa_flags & IFF_UP) ? "true" : "false");
        put(",\"addresses\":[");
        int first_address = 1;
        for (struct ifaddrs *b = list; b; b = b->ifa_next) {
            if (!b->ifa_addr || b->ifa_addr->sa_family != AF_INET) continue;
            if (strcmp(b->ifa_name, a->ifa_name) != 0) continue;
            char address[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &((struct sockaddr_in *)b->ifa_addr)->sin_addr, address,
                      sizeof address);
            if (!first_address) put(",");
            put_string(address);
            first_address = 0;
        }
        put("]}");
    }
    freeifaddrs(list);
    put("]");
}

// The IPv4 routing table of the probe's network namespace, from /proc/net/route, as `ip route`
// writes a line: "10.0.0.0/24 dev veth0", "default via 10.0.0.1 dev veth0".
static void put_routes(void) {
    char *text = read_file("/proc/net/route", file_buffer, sizeof file_buffer);
    if (!text) return;
    put_key("routes");
    put("[");
    int first = 1;
    char *line = strchr(text, '\n');  // after the header
    while (line && *++line) {
        char device[IFNAMSIZ + 1];
        unsigned destination, gateway, mask;
        char *next = strchr(line, '\n');
        if (sscanf(line, "%16s %x %x %*x %*d %*d %*d %x", device, &destination, &gateway, &mask) == 4) {
            char route[128], to[INET_ADDRSTRLEN], via[INET_ADDRSTRLEN];
            struct in_addr address = {destination};
            inet_ntop(AF_INET, &address, to, sizeof to);
            address.s_addr = gateway;
            inet_ntop(AF_INET, &address, via, sizeof via);
            int prefix = __builtin_popcount(mask);
            if (destination == 0 && mask == 0) {
                snprintf(route, sizeof route, "default via %s dev %s", via, device);
            } else if (gateway) {
                snprintf(route, sizeof route, "%s/%d via %s dev %s", to, prefix, via, device);
            } else {
                snprintf(route, sizeof route, "%s/%d dev %s", to, prefix, device);
            }
            put(first ? "" : ",");
            put_string(route);
            first = 0;
        }
        line = next;
    }
    put("]");
}

static double clock_seconds(clockid_t clock) {
    struct timespec t;
    if (clock_gettime(clock, &t) < 0) return -1;
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

// The sections of a report, in the order the report prints them; a set of them is a mask of
// SECTION(kind) bits.
enum {
    PROCESS, NS, HOSTNAME, SYSVIPC, PIDS, FDS, ROOT_ENTRIES, MOUNTS, ID_MAPS, CGROUP,
    INTERFACES, ROUTES, CLOCKS, SECTION_COUNT
};
#define SECTION(kind) (1u << (kind))
#define ALL_SECTIONS (SECTION(SECTION_COUNT) - 1)

static const char *const section_names[SECTION_COUNT] = {
    [PROCESS] = "process", [NS] = "ns", [HOSTNAME] = "hostname", [SYSVIPC] = "sysvipc",
    [PIDS] = "pids", [FDS] = "fds", [ROOT_ENTRIES] = "root_entries", [MOUNTS] = "mounts",
    [ID_MAPS] = "id_maps", [CGROUP] = "cgroup", [INTERFACES] = "interfaces", [ROUTES] = "routes",
    [CLOCKS] = "clocks",
};

// The lists that can grow without bound: left out of a report too large for one line.
#define LONG_LIST_SECTIONS \
    (SECTION(PIDS) | SECTION(FDS) | SECTION(ROOT_ENTRIES) | SECTION(MOUNTS) | SECTION(INTERFACES) | \
     SECTION(ROUTES))

// The sections named in `list` ("ns,hostname"; NULL: all of them) into `*chosen`. Returns 0
// on a name it does not know, copied (cut to fit) into `unknown`.
static int parse_sections(const char *list, unsigned *chosen, char *unknown, size_t size) {
    *chosen = list ? 0 : ALL_SECTIONS;
    for (const char *word = list; word && *word;) {
        size_t n = strcspn(word, ",");
        int kind = 0;
        while (kind < SECTION_COUNT &&
               (strlen(section_names[kind]) != n || strncmp(section_names[kind], word, n) != 0)) {
            kind++;
        }
        if (kind == SECTION_COUNT && n > 0) {
            snprintf(unknown, size, "%.*s", (int)(n < size ? n : size - 1), word);
            return 0;
        }
        if (n > 0) *chosen |= SECTION(kind);
        word += n + (word[n] == ',');
    }
    return 1;
}

static void build_report(unsigned chosen) {
    begin("report");
    if (chosen & SECTION(PROCESS)) {
        putf(",\"ppid\":%d,\"uid\":%d,\"gid\":%d", (int)getppid(), (int)getuid(), (int)getgid());
        put_status_fields();
    }
    if (chosen & SECTION(NS)) put_namespaces();
    if (chosen & SECTION(HOSTNAME)) put_names();
    if (chosen & SECTION(SYSVIPC)) put_sysvipc();
    if (chosen & SECTION(PIDS)) put_directory("pids", "/proc");          // the pids this /proc shows
    if (chosen & SECTION(FDS)) put_directory("fds", "/proc/self/fd");    // only stdio, when the spawner is careful
    if (chosen & SECTION(ROOT_ENTRIES)) put_directory("root_entries", "/");
    if (chosen & SECTION(MOUNTS)) put_mounts();
    if (chosen & SECTION(ID_MAPS)) {
        put_file_text("uid_map", "/proc/self/uid_map");
        put_file_text("gid_map", "/proc/self/gid_map");
        put_file_text("setgroups", "/proc/self/setgroups");
    }
    if (chosen & SECTION(CGROUP)) put_file_text("cgroup", "/proc/self/cgroup");
    if (chosen & SECTION(INTERFACES)) put_interfaces();
    if (chosen & SECTION(ROUTES)) put_routes();
    if (chosen & SECTION(CLOCKS)) {
        putf(",\"monotonic\":%.6f,\"boottime\":%.6f", clock_seconds(CLOCK_MONOTONIC),
             clock_seconds(CLOCK_BOOTTIME));
    }
    put_errors();
}

// One report line of the `chosen` sections. A world too large for one line (thousands of
// mounts) is reported again without its long lists, which are then absent, and with an EFBIG
// error naming them, so the line stays valid JSON.
static void action_report(unsigned chosen) {
    error_count = 0;
    build_report(chosen);
    if (line_truncated) {
        char what[256] = "report too large, left out:";
        const char *separator = " ";
        for (int kind = 0; kind < SECTION_COUNT; kind++) {
            if (chosen & LONG_LIST_SECTIONS & SECTION(kind)) {
                strncat(what, separator, sizeof what - strlen(what) - 1);
                strncat(what, section_names[kind], sizeof what - strlen(what) - 1);
                separator = ", ";
            }
        }
        error_count = 0;
        note_error(what, EFBIG);
        build_report(chosen & ~LONG_LIST_SECTIONS);
    }
    end();
}

// ---------------------------------------------------------------------------------------
// Actions.

// 1 when the probe's `kind` namespace (a /proc/self/ns link name), as it is now, is listed in
// NSLAB_OWNED ("uts:4026532178,ipc:4026532179": the namespaces the runner made in this run).
// Else 0, and `why` says why in one sentence. Malformed entries are skipped.
// Namespaces the probe made itself with its unshare action, "kind:inode": made in this run
// just as much as those the shim made, so a guarded action may act in them.
static char made_here[512];

static int namespace_owned(const char *kind, const char **why) {
    static char reason[256];
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/self/ns/%s", kind);
    if (stat(path, &st) < 0) {
        const char *name = strerrorname_np(errno);
        snprintf(reason, sizeof reason,
                 "the %s namespace cannot be shown made by the runner: %s: %s", kind, path,
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
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int owner = fd < 0 ? -1 : ioctl(fd, NS_GET_USERNS);
    if (fd >= 0) close(fd);
    if (!strcmp(kind, "user") && fd >= 0) {  // a user namespace stands for itself first
        if (owner >= 0) close(owner);
        owner = open(path, O_RDONLY | O_CLOEXEC);
    }
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
    snprintf(reason, sizeof reason, "%s namespace %llu was not made by the runner in this run (%s)",
             kind, (unsigned long long)st.st_ino,
             owned ? "not in NSLAB_OWNED" : "NSLAB_OWNED is not set");
    *why = reason;
    return 0;
}

// Prints "ready", then waits for a line (or EOF) on stdin, at most `seconds`. A probe that
// is never released exits with 124, so a hold can never hang a run.
static double clock_seconds(clockid_t clock);

static void action_hold(const char *argument) {
    long seconds = argument ? strtol(argument, NULL, 10) : DEFAULT_HOLD_SECONDS;
    if (seconds < 0) seconds = 0;
    if (seconds > MAX_HOLD_SECONDS) seconds = MAX_HOLD_SECONDS;
    double deadline = clock_seconds(CLOCK_MONOTONIC) + (double)seconds;
    begin("ready");
    end();
    struct pollfd input = {.fd = STDIN_FILENO, .events = POLLIN};
    const char *how = "timeout";
    for (;;) {
        double left = deadline - clock_seconds(CLOCK_MONOTONIC);
        int n = left <= 0 ? 0 : poll(&input, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        char c;
        ssize_t got = read(STDIN_FILENO, &c, 1);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            how = "eof";
            break;
        }
        if (c == '\n') {
            how = "line";
            break;
        }
    }
    begin("released");
    put_key("how");
    put_string(how);
    end();
    if (!strcmp(how, "timeout")) _exit(124);
}

// Prints "ready", then waits for SIGUSR1 (blocked since main began), at most `seconds`; a
// probe never released exits with 124, like a hold.
static void action_pause(const char *argument) {
    long seconds = argument ? strtol(argument, NULL, 10) : DEFAULT_HOLD_SECONDS;
    if (seconds < 0) seconds = 0;
    if (seconds > MAX_HOLD_SECONDS) seconds = MAX_HOLD_SECONDS;
    double deadline = clock_seconds(CLOCK_MONOTONIC) + (double)seconds;
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
    begin("released");
    put_key("how");
    put_string(how);
    end();
    if (!strcmp(how, "timeout")) _exit(124);
}

static void action_make_ipc(const char *kind, const char *argument) {
    key_t key = argument ? (key_t)strtol(argument, NULL, 0) : IPC_PRIVATE;
    const char *why;
    if (!namespace_owned("ipc", &why)) {
        begin("make-ipc");
        put_key("kind");
        put_string(kind);
        putf(",\"key\":%ld,\"id\":-1", (long)key);
        put_refusal(why);
        put_errno(EPERM);
        end();
        return;
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
    put_key("kind");
    put_string(kind);
    putf(",\"key\":%ld,\"id\":%d", (long)key, id);
    put_errno(error);
    end();
}

static void action_sethostname(const char *name) {
    const char *why;
    int owned = namespace_owned("uts", &why);
    int error = !owned ? EPERM : sethostname(name, strlen(name)) < 0 ? errno : 0;
    begin("sethostname");
    put_key("name");
    put_string(name);
    put_refusal(owned ? NULL : why);
    put_errno(error);
    end();
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

static void action_orphan(void) {
    int ready[2], result[2], record[3] = {0, 0, 0};
    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(result, O_CLOEXEC) < 0) {
        put_orphan(record, errno);
        return;
    }
    pid_t middle = fork();
    if (middle < 0) {
        put_orphan(record, errno);
        return;
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
static void action_kill_init(const char *argument) {
    int sig = signal_number(argument);
    const char *why = "the probe sends kill-init only as pid 1 of a new PID namespace, or from outside it";
    // Pid 1 stands for the init it signals; a probe whose parent is outside the namespace
    // (getppid() is 0) came in from outside, like nsenter, to look at that init. Pid 2 under
    // some other init inside stands for nothing.
    int stands_for_init = getpid() == 1 || getppid() == 0;
    if (!stands_for_init || in_initial_pid_namespace() || !namespace_owned("pid", &why)) {
        begin("kill-init");
        putf(",\"signal\":%d,\"sent\":false", sig);
        put_refusal(why);
        put_errno(EPERM);
        end();
        return;
    }
    int result[2];
    if (pipe2(result, O_CLOEXEC) < 0) {
        int error = errno;
        begin("kill-init");
        putf(",\"signal\":%d,\"sent\":false", sig);
        put_errno(error);
        end();
        return;
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
}

// Forks `count` children that wait, bounded, until they are killed or their parent dies.
static void action_spawn(const char *argument) {
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
            return;
        }
        putf("%s%d", i ? "," : "", (int)child);
    }
    put("]");
    put_errno(0);
    end();
}

static void action_setns(const char *path) {
    int fd = open(path ? path : "", O_RDONLY | O_CLOEXEC);
    int error = fd < 0 ? errno : (setns(fd, 0) < 0 ? errno : 0);
    if (fd >= 0) close(fd);
    begin("setns");
    put_key("path");
    put_string(path ? path : "");
    put_errno(error);
    end();
}

// Forks a child that prints its own report of the `chosen` sections; the probe waits for it.
static void action_fork(unsigned chosen) {
    pid_t child = fork();
    if (child == 0) {
        action_report(chosen);
        _exit(0);
    }
    int error = child < 0 ? errno : 0;
    int status = 0;
    if (child > 0) waitpid(child, &status, 0);
    begin("fork");
    putf(",\"child\":%d,\"exit_status\":%d", (int)child, child > 0 ? WEXITSTATUS(status) : -1);
    put_errno(error);
    end();
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
static void action_zombie(void) {
    pid_t child = fork();
    if (child == 0) _exit(0);
    if (child < 0) {
        int error = errno;
        begin("zombie");
        put(",\"child\":-1,\"state_before_reaping\":\"-\",\"state_after_reaping\":\"-\"");
        put_errno(error);
        end();
        return;
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
}

static void action_write(const char *path) {
    int fd = open(path ? path : "", O_WRONLY | O_APPEND | O_CLOEXEC);
    int error = fd < 0 ? errno : 0;
    if (fd >= 0) close(fd);
    begin("write");
    put_key("path");
    put_string(path ? path : "");
    put_errno(error);
    end();
}

// The names in `path`, or the errno of opendir: what `ls -A` would list.
static void action_ls(const char *path) {
    begin("ls");
    put_key("path");
    put_string(path ? path : "");
    DIR *directory = opendir(path ? path : "");
    int error = directory ? 0 : errno;
    put_key("entries");
    if (directory) put_entries(directory, 0, 0); else put("[]");
    put_errno(error);
    end();
}

// umount2(2) of PATH, with ",detach" (MNT_DETACH), ",expire" (MNT_EXPIRE) or ",force".
static void action_umount(char *argument) {
    char *path = argument ? argument : "";
    char *comma = strrchr(path, ',');
    const char *how = "";
    int flags = 0;
    if (comma && (!strcmp(comma, ",detach") || !strcmp(comma, ",expire") || !strcmp(comma, ",force"))) {
        *comma = 0;
        how = comma + 1;
        flags = !strcmp(how, "detach") ? MNT_DETACH : !strcmp(how, "expire") ? MNT_EXPIRE : MNT_FORCE;
    }
    const char *why;
    int owned = namespace_owned("mnt", &why);
    int error = !owned ? EPERM : umount2(path, flags) < 0 ? errno : 0;
    begin("umount");
    put_key("path");
    put_string(path);
    put_key("flags");
    put_string(how);
    put_refusal(owned ? NULL : why);
    put_errno(error);
    end();
}

// The classic escape from a chroot (chroot(2), NOTES): chroot into DIR, a directory below the
// current root, without entering it; the working directory is then outside the root, so ".."
// climbs past it to the top of the mount namespace, which becomes the root again. Only the
// probe's own root changes. After pivot_root and a detached old root there is nothing above.
static void action_chroot_escape(const char *dir) {
    int error = chdir("/") < 0 || chroot(dir ? dir : "") < 0 ? errno : 0;
    for (int i = 0; !error && i < 64; i++) {
        if (chdir("..") < 0) error = errno;
    }
    if (!error && chroot(".") < 0) error = errno;
    if (!error && chdir("/") < 0) error = errno;
    begin("chroot-escape");
    put_key("dir");
    put_string(dir ? dir : "");
    put_errno(error);
    end();
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
static void action_socket(const char *event, const char *argument) {
    struct sockaddr_in address;
    const char *why = "";
    int owned = namespace_owned("net", &why);
    int error = 0, fd = -1;
    if (!parse_address(argument, &address)) {
        error = EINVAL;
    } else if (!owned) {
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
    put_key("address");
    put_string(argument ? argument : "");
    if (!owned && !error) error = EPERM;
    put_refusal(owned ? NULL : why);
    put_errno(error);
    end();
}

// Waits until the interface NAME is gone from the probe's network namespace, at most 5 s: the
// kernel removes a veth pair a moment after the namespace of one end died, from a work queue,
// and says so with an RTM_DELLINK message to the link group, which this waits for.
static void action_await_link_gone(const char *name) {
    int error = 0;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct sockaddr_nl group = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
    if (fd < 0 || bind(fd, (struct sockaddr *)&group, sizeof group) < 0) error = errno;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    // Subscribed first, then looked: a removal between the two is still heard.
    while (!error && if_nametoindex(name ? name : "") != 0) {
        double waited = clock_seconds(CLOCK_MONOTONIC) - ((double)start.tv_sec + start.tv_nsec / 1e9);
        struct pollfd readable = {fd, POLLIN, 0};
        int ready = waited < 5 ? poll(&readable, 1, (int)((5 - waited) * 1000) + 1) : 0;
        if (ready == 0) error = ETIMEDOUT;
        else if (ready < 0 && errno != EINTR) error = errno;
        else if (ready > 0 && recv(fd, file_buffer, sizeof file_buffer, 0) < 0) error = errno;
    }
    if (fd >= 0) close(fd);
    begin("await-link-gone");
    put_key("name");
    put_string(name ? name : "");
    put_errno(error);
    end();
}

// The whole of a small file (a map, a sysctl), or the errno of reading it.
static void action_read(const char *path) {
    errno = 0;
    char *text = read_file(path ? path : "", file_buffer, sizeof file_buffer);
    int error = text ? 0 : (errno ? errno : EIO);
    begin("read");
    put_key("path");
    put_string(path ? path : "");
    put_key("text");
    if (text) put_string(text); else put("null");
    put_errno(error);
    end();
}

// The ids the probe had before it made a user namespace, for map-root.
static uid_t outer_uid = (uid_t)-1;
static gid_t outer_gid = (gid_t)-1;

// unshare(2) of the kinds listed ("user,uts"), as the probe's user: unprivileged, the kernel
// allows a new user namespace, and anything else only from inside one. The namespaces made
// are recorded as the probe's own (made_here).
static void action_unshare(const char *list) {
    static const struct { const char *name; int flag; } kinds[] = {
        {"user", CLONE_NEWUSER}, {"uts", CLONE_NEWUTS}, {"ipc", CLONE_NEWIPC},
        {"mnt", CLONE_NEWNS}, {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP},
    };
    int flags = 0, error = 0;
    for (const char *word = list ? list : ""; *word;) {
        size_t n = strcspn(word, ",");
        size_t k = 0;
        while (k < sizeof kinds / sizeof *kinds &&
               (strlen(kinds[k].name) != n || strncmp(kinds[k].name, word, n) != 0)) {
            k++;
        }
        if (k == sizeof kinds / sizeof *kinds) error = EINVAL; else flags |= kinds[k].flag;
        word += n + (word[n] == ',');
    }
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (!error && unshare(flags) < 0) error = errno;
    if (!error) {
        if (flags & CLONE_NEWUSER) outer_uid = uid, outer_gid = gid;
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
            char path[64];
            struct stat st;
            snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[k].name);
            if ((flags & kinds[k].flag) && stat(path, &st) == 0) {
                size_t used = strlen(made_here);
                snprintf(made_here + used, sizeof made_here - used, "%s%s:%llu", used ? "," : "",
                         kinds[k].name, (unsigned long long)st.st_ino);
            }
        }
    }
    begin("unshare");
    put_key("kinds");
    put_string(list ? list : "");
    put_errno(error);
    end();
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
static void action_map_root(void) {
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
    put_refusal(why);
    put_errno(error);
    end();
}

// A word the probe does not know: `what` is "action" or "section".
static void action_unknown(const char *what, const char *word) {
    char key[32];
    snprintf(key, sizeof key, "unknown_%s", what);
    begin("usage");
    put_key(key);
    put_string(word);
    put_errno(EINVAL);
    end();
}

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
            if (actions == 0) action_report(ALL_SECTIONS);
            if (i + 1 >= argc) return 0;
            sigprocmask(SIG_UNBLOCK, &release, NULL);  // the command gets the mask the probe got
            execvp(argv[i + 1], &argv[i + 1]);
            begin("exec");
            put_key("command");
            put_string(argv[i + 1]);
            put_errno(errno);
            end();
            return 127;
        }
        char *word = argv[i];
        char *argument = strchr(word, '=');
        if (argument) *argument++ = 0;
        actions++;
        unsigned chosen = ALL_SECTIONS;
        char unknown[64];
        if ((!strcmp(word, "report") || !strcmp(word, "fork")) &&
            !parse_sections(argument, &chosen, unknown, sizeof unknown)) {
            action_unknown("section", unknown);
            return 2;
        }
        if (!strcmp(word, "report")) action_report(chosen);
        else if (!strcmp(word, "hold")) action_hold(argument);
        else if (!strcmp(word, "pause")) action_pause(argument);
        else if (!strcmp(word, "mkqueue")) action_make_ipc("msg", argument);
        else if (!strcmp(word, "mkshm")) action_make_ipc("shm", argument);
        else if (!strcmp(word, "mksem")) action_make_ipc("sem", argument);
        else if (!strcmp(word, "sethostname")) action_sethostname(argument ? argument : "");
        else if (!strcmp(word, "orphan")) action_orphan();
        else if (!strcmp(word, "kill-init")) action_kill_init(argument);
        else if (!strcmp(word, "spawn")) action_spawn(argument);
        else if (!strcmp(word, "setns")) action_setns(argument);
        else if (!strcmp(word, "fork")) action_fork(chosen);
        else if (!strcmp(word, "zombie")) action_zombie();
        else if (!strcmp(word, "write")) action_write(argument);
        else if (!strcmp(word, "ls")) action_ls(argument);
        else if (!strcmp(word, "read")) action_read(argument);
        else if (!strcmp(word, "unshare")) action_unshare(argument);
        else if (!strcmp(word, "map-root")) action_map_root();
        else if (!strcmp(word, "await-link-gone")) action_await_link_gone(argument);
        else if (!strcmp(word, "umount")) action_umount(argument);
        else if (!strcmp(word, "chroot-escape")) action_chroot_escape(argument);
        else if (!strcmp(word, "listen") || !strcmp(word, "connect")) action_socket(word, argument);
        else {
            action_unknown("action", word);
            return 2;
        }
    }
    if (actions == 0) action_report(ALL_SECTIONS);
    return 0;
}
