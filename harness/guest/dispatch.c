/* Command parsing and dispatch. */
#define _GNU_SOURCE
#include "dispatch.h"

#include "facts.h"
#include "log.h"
#include "run.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

json_t *error_message(json_int_t id, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    log_msg("error (id %lld): %s", (long long)id, text);
    /* text may quote the host's input: sanitize before jansson sees it. */
    return json_pack("{s:s, s:I, s:o}", "msg", "error", "id", id, "text", json_text(text));
}

json_t *dispatch_line(const char *line, size_t len, enum dispatch_next *next)
{
    json_error_t jerr;
    json_t *cmd, *jid, *jcmd, *answer;
    json_int_t id;
    const char *name;
    char err[512];

    *next = NEXT_CONTINUE;
    if (memchr(line, '\0', len))
        return error_message(0, "the line contains a NUL byte");
    cmd = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!cmd)
        return error_message(0, "invalid JSON at column %d: %s", jerr.column, jerr.text);
    if (!json_is_object(cmd)) {
        json_decref(cmd);
        return error_message(0, "a command must be a JSON object");
    }
    jid = json_object_get(cmd, "id");
    if (!json_is_integer(jid) || json_integer_value(jid) <= 0) {
        json_decref(cmd);
        return error_message(0, "id must be a positive integer");
    }
    id = json_integer_value(jid);
    jcmd = json_object_get(cmd, "cmd");
    if (!json_is_string(jcmd)) {
        json_decref(cmd);
        return error_message(id, "cmd must be a string");
    }
    name = json_string_value(jcmd);

    if (strcmp(name, "facts") == 0) {
        answer = facts_collect(id, err, sizeof err);
        if (!answer)
            answer = error_message(id, "facts: %s", err);
    } else if (strcmp(name, "run") == 0) {
        answer = run_command(cmd, id, err, sizeof err);
        if (!answer)
            answer = error_message(id, "%s", err);
    } else if (strcmp(name, "reboot") == 0 || strcmp(name, "poweroff") == 0) {
        *next = name[0] == 'r' ? NEXT_REBOOT : NEXT_POWEROFF;
        answer = json_pack("{s:s, s:I, s:s}", "msg", "bye", "id", id, "action", name);
    } else {
        /* Quote short names only: the answer must stay far below a line. */
        answer = json_string_length(jcmd) <= 64 ? error_message(id, "unknown cmd '%s'", name)
                                                 : error_message(id, "unknown cmd");
    }
    json_decref(cmd);
    return answer;
}
