#include "nsprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

// Reading the kernel's files, and the sections of a report.

// A page at a time: for a /proc/sys file the kernel allocates and zeroes a buffer of the size
// each read asks for (4 MiB cost milliseconds; a page, microseconds).
#define READ_CHUNK 4096

char *read_file(const char *path, char *buffer, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        note_error(path, errno);
        return NULL;
    }
    size_t done = 0;
    ssize_t n;
    while (done + 1 < size) {
        size_t room = size - 1 - done;
        n = read(fd, buffer + done, room < READ_CHUNK ? room : READ_CHUNK);
        if (n == 0) break;
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

char file_buffer[4 << 20];

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
        put_field("cap_eff", value);
    }
    // The same sets as libcap writes them (cap_to_text(3)): "=ep" is every capability.
    cap_t caps = cap_get_proc();
    char *text = caps ? cap_to_text(caps, NULL) : NULL;
    if (text) {
        put_field("caps", text);
        cap_free(text);
    } else {
        note_error("cap_get_proc", errno);
    }
    if (caps) cap_free(caps);
}

// Kinds this kernel lacks are left out; with no /proc at all, the whole section is.
static void put_namespaces(void) {
    size_t start = line_length;
    put_key("ns");
    put("{");
    int first = 1;
    // Each kind's link, and after it the one its children get, where they differ.
    for (int i = 0; i < 2 * NSLAB_NAMESPACE_KIND_COUNT; i++) {
        const struct nslab_namespace_kind *kind = &nslab_namespace_kinds[i / 2];
        const char *link = i % 2 == 0 ? kind->name : kind->children_link;
        if (!link) continue;
        char path[64];
        struct stat st;
        snprintf(path, sizeof path, "/proc/self/ns/%s", link);
        if (stat(path, &st) < 0) {
            if (errno != ENOENT) note_error(path, errno);
            continue;
        }
        putf("%s\"%s\":%llu", first ? "" : ",", link, (unsigned long long)st.st_ino);
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
    put_field("hostname", names.nodename);
    put_field("domainname", names.domainname);
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
void put_entries(DIR *directory, int numbers_only, int skip_own_fd) {
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
        put_field("root", fields[3]);
        put_field("target", fields[4]);
        put_field("fstype", fields[dash + 1]);
        put_field("source", fields[dash + 2]);
        put_field("propagation", propagation[0] ? propagation : "private");
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

double clock_seconds(clockid_t clock) {
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
const unsigned all_sections = ALL_SECTIONS;

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
int parse_sections(const char *list, unsigned *chosen, char *unknown, size_t size) {
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
        putf(",\"monotonic\":%.6f,\"boottime\":%.6f,\"realtime\":%.6f", clock_seconds(CLOCK_MONOTONIC),
             clock_seconds(CLOCK_BOOTTIME), clock_seconds(CLOCK_REALTIME));
    }
    put_errors();
}

// One report line of the `chosen` sections. A world too large for one line (thousands of
// mounts) is reported again without its long lists, which are then absent, and with an EFBIG
// error naming them, so the line stays valid JSON.
void report(unsigned chosen) {
    forget_errors();
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
        forget_errors();
        note_error(what, EFBIG);
        build_report(chosen & ~LONG_LIST_SECTIONS);
    }
    end();
}
