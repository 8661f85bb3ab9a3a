#include "nsprobe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// ---------------------------------------------------------------------------------------
// One JSON line, built in a buffer and written with a single write(2).

static char line[8 << 20];
size_t line_length;
int line_truncated;

void put(const char *text) {
    size_t n = strlen(text);
    if (line_length + n + 64 >= sizeof line) {  // keep room to close the object
        line_truncated = 1;
        return;
    }
    memcpy(line + line_length, text, n);
    line_length += n;
}

void putf(const char *format, ...) {
    char buffer[512];
    va_list args;
    va_start(args, format);
    vsnprintf(buffer, sizeof buffer, format, args);
    va_end(args);
    put(buffer);
}

void put_string(const char *text) {
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

void put_key(const char *key) {
    put(",");
    put_string(key);
    put(":");
}

void put_field(const char *key, const char *value) {
    put_key(key);
    put_string(value ? value : "");
}

void begin(const char *event) {
    line_length = 0;
    line_truncated = 0;
    put(MARKER "{\"event\":");
    put_string(event);
    putf(",\"pid\":%d", (int)getpid());
}

void end(void) {
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

void put_errno(int error) {
    const char *name = error ? strerrorname_np(error) : "";
    putf(",\"errno\":%d", error);
    put_field("error", name ? name : "unknown");
}

// Errors met while reporting, listed in the report's "errors" array.
static struct {
    char what[256];
    int error;
} errors[32];
static int error_count;

void forget_errors(void) { error_count = 0; }

// Ends a guarded action's event: why it did nothing ("refused"), when `refused` says
// anything, and its errno, EPERM when refused (a refused action changes nothing).
void end_guarded(const char *refused, int error) {
    int said = refused && *refused;
    if (said) put_field("refused", refused);
    put_errno(said && !error ? EPERM : error);
    end();
}

void note_error(const char *what, int error) {
    if (error_count < (int)(sizeof errors / sizeof *errors)) {
        snprintf(errors[error_count].what, sizeof errors[0].what, "%s", what);
        errors[error_count++].error = error;
    }
}

void put_errors(void) {
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
