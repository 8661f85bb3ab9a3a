// nsprobe's parts, by concern: the JSON line writer (json.c), the report and the kernel
// files it reads (report.c), the guard of the actions that change a namespace (guard.c), the
// actions and their table (actions.c), and main.c, which runs them in order. main.c says what
// the program does.
#ifndef NSPROBE_H
#define NSPROBE_H

#define _GNU_SOURCE
#include <dirent.h>
#include <stddef.h>
#include <time.h>

#include "nslab_namespaces.h"

#define MARKER "@@NSPROBE@@ "
#define DEFAULT_HOLD_SECONDS 30
#define MAX_HOLD_SECONDS (7 * 24 * 3600)

// json.c: one line "@@NSPROBE@@ {json}", built in a buffer and written with one write(2).
void begin(const char *event);
void end(void);
void put(const char *text);
void putf(const char *format, ...) __attribute__((format(printf, 1, 2)));
void put_string(const char *text);
void put_key(const char *key);
// `,"key":"value"`, a NULL value as "" (an action given no argument).
void put_field(const char *key, const char *value);
void put_errno(int error);
// A guarded action's last fields, then end(): "refused" when it was, and its errno (EPERM then).
void end_guarded(const char *refused, int error);
// The errors met while reporting: noted, then written as the report's "errors".
void note_error(const char *what, int error);
void put_errors(void);
void forget_errors(void);
// Where the line stands: report.c cuts a report that outgrows it.
extern size_t line_length;
extern int line_truncated;

// report.c: the report's sections, and the kernel files they read.
char *read_file(const char *path, char *buffer, size_t size);
extern char file_buffer[4 << 20];
double clock_seconds(clockid_t clock);
void put_entries(DIR *directory, int numbers_only, int skip_own_fd);
// The sections named in `list` ("ns,hostname"; NULL: all of them) into `*chosen`; 0 on a
// name it does not know, copied into `unknown`.
int parse_sections(const char *list, unsigned *chosen, char *unknown, size_t size);
void report(unsigned chosen);
extern const unsigned all_sections;

// guard.c: whether an action may change the probe's namespace of `kind`.
int namespace_owned(const char *kind, const char **why);
// The same for the namespace open at `fd`, its reason naming it by `role` ("target ").
int namespace_fd_owned(const char *kind, int fd, const char *role, const char **why);
void note_made_here(const char *kind, unsigned long long inode);

// actions.c: every action, by the word that asks for it.
struct nsprobe_action {
    const char *name;
    // Runs it with its argument (the text after '=', or NULL); `refused` says why the guard
    // refused it (it then changes nothing and its event says EPERM). 0 to go on, else the
    // probe's exit status.
    int (*run)(char *argument, const char *refused);
    // The kind of namespace it changes, which the guard checks first; NULL: it changes none.
    const char *guard;
};
extern const struct nsprobe_action nsprobe_actions[];
// netlink.c: the network devices and addresses the probe changes, through rtnetlink(7).
int action_veth(char *argument, const char *refused);
int action_addr(char *argument, const char *refused);
int action_link_up(char *argument, const char *refused);
int action_link_netns(char *argument, const char *refused);
int action_link_delete(char *argument, const char *refused);
int unknown_word(const char *what, const char *word);

#endif
