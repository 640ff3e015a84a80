/* Parsing guest lines with jansson: jansson checks the JSON
 * and the UTF-8, this file checks that every field has the shape the
 * protocol promises, and copies it out of the JSON tree. */
#define _GNU_SOURCE
#include "vm/protocol.h"

#include "base/util.h"

#include <jansson.h>
#include <stdarg.h>
#include <string.h>

const char *const proto_bind_families[PORTCHECK_N_BIND_FAMILIES] = {"tcp4", "tcp6", "udp4", "udp6"};
const int proto_bind_ports[PORTCHECK_N_BIND_PORTS] = PORTCHECK_BIND_PORTS;

__attribute__((format(printf, 3, 4))) static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

/* Printable ASCII without quotes or markup characters, so the value can go
 * into Markdown, XML and TAP without surprises. */
static bool plain_token(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x21 || c > 0x7e || strchr("\"'<>&`|\\", c))
            return false;
    }
    return true;
}

/* Free text (kernel, os): any UTF-8 jansson accepted, minus control chars. */
static bool printable_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static bool get_string(json_t *obj, const char *key, char *dst, size_t dstlen, bool token, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return fail(err, errlen, "field '%s' missing or not a string", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n >= dstlen)
        return fail(err, errlen, "field '%s' longer than %zu bytes", key, dstlen - 1);
    if (strlen(s) != n)
        return fail(err, errlen, "field '%s' holds a NUL byte", key);
    if (token ? !plain_token(s) : !printable_text(s))
        return fail(err, errlen, "field '%s' holds characters outside its alphabet", key);
    memcpy(dst, s, n + 1);
    return true;
}

static bool get_int(json_t *obj, const char *key, long min, long max, long *dst, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return fail(err, errlen, "field '%s' missing or not an integer", key);
    json_int_t i = json_integer_value(v);
    if (i < min || i > max)
        return fail(err, errlen, "field '%s' out of range", key);
    *dst = (long)i;
    return true;
}

static bool get_seconds(json_t *obj, const char *key, double *dst, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v))
        return fail(err, errlen, "field '%s' missing or not a number", key);
    double d = json_number_value(v);
    if (!(d >= 0 && d < 1e7))
        return fail(err, errlen, "field '%s' out of range", key);
    *dst = d;
    return true;
}

/* hello answers no command, so its id is optional. Every answer echoes the
 * positive id of its command (docs/protocol.md); an error says 0 when it
 * could not tell which command it answers, and facts say 0 when printed by
 * `portcheck-agent --facts` inside a container, answering no command. The
 * runner only takes answers whose id matches the command it sent. */
static bool get_id(json_t *obj, enum msg_kind kind, long *id, char *err, size_t errlen)
{
    if (kind == MSG_HELLO && !json_object_get(obj, "id"))
        return true;
    long min = kind == MSG_HELLO || kind == MSG_ERROR || kind == MSG_FACTS ? 0 : 1;
    return get_int(obj, "id", min, 1L << 30, id, err, errlen);
}

static bool known_bind(const char *what)
{
    for (size_t f = 0; f < PORTCHECK_N_BIND_FAMILIES; f++)
        for (size_t p = 0; p < PORTCHECK_N_BIND_PORTS; p++) {
            char name[16];
            snprintf(name, sizeof name, "%s:%d", proto_bind_families[f], proto_bind_ports[p]);
            if (strcmp(name, what) == 0)
                return true;
        }
    return false;
}

static bool get_caps(json_t *proof, const char *key, char *dst, size_t size, char *err, size_t errlen)
{
    if (!get_string(proof, key, dst, size, true, err, errlen))
        return false;
    if (strlen(dst) != 16 || strspn(dst, "0123456789abcdef") != 16)
        return fail(err, errlen, "field '%s' is not 16 hex digits", key);
    return true;
}

static bool parse_proof(json_t *obj, struct proof *proof, char *err, size_t errlen)
{
    json_t *p = json_object_get(obj, "proof");
    if (!json_is_object(p))
        return fail(err, errlen, "field 'proof' missing or not an object");
    long nnp;
    if (!get_int(p, "uid", 0, 4294967295L, &proof->uid, err, errlen) ||
        !get_int(p, "gid", 0, 4294967295L, &proof->gid, err, errlen) ||
        !get_int(p, "groups", 0, 65536, &proof->groups, err, errlen) ||
        !get_int(p, "no_new_privs", 0, 1, &nnp, err, errlen) ||
        !get_caps(p, "cap_prm", proof->cap_prm, sizeof proof->cap_prm, err, errlen) ||
        !get_caps(p, "cap_inh", proof->cap_inh, sizeof proof->cap_inh, err, errlen) ||
        !get_caps(p, "cap_eff", proof->cap_eff, sizeof proof->cap_eff, err, errlen) ||
        !get_caps(p, "cap_amb", proof->cap_amb, sizeof proof->cap_amb, err, errlen) ||
        !get_caps(p, "cap_bnd", proof->cap_bnd, sizeof proof->cap_bnd, err, errlen))
        return false;
    proof->no_new_privs = (int)nnp;
    proof->present = true;
    return true;
}

static bool parse_binds(json_t *obj, struct guest_msg *msg, char *err, size_t errlen)
{
    json_t *b = json_object_get(obj, "binds");
    if (!json_is_object(b))
        return fail(err, errlen, "field 'binds' missing or not an object");
    if (json_object_size(b) > PROTO_MAX_BINDS)
        return fail(err, errlen, "field 'binds' has more than %d entries", PROTO_MAX_BINDS);
    const char *key;
    json_t *value;
    json_object_foreach(b, key, value) {
        if (!known_bind(key))
            return fail(err, errlen, "unknown bind check '%.40s'", key);
        struct bind_result *r = &msg->binds[msg->nbinds];
        if (!get_string(b, key, r->got, sizeof r->got, true, err, errlen))
            return false;
        snprintf(r->what, sizeof r->what, "%s", key);
        msg->nbinds++;
    }
    return true;
}

static bool parse_facts(json_t *obj, struct guest_msg *msg, char *err, size_t errlen)
{
    if (!get_string(obj, "boot_id", msg->boot_id, sizeof msg->boot_id, true, err, errlen) ||
        !get_seconds(obj, "uptime", &msg->uptime, err, errlen) ||
        !get_string(obj, "sysctl", msg->sysctl, sizeof msg->sysctl, true, err, errlen) ||
        !parse_proof(obj, &msg->proof, err, errlen))
        return false;
    return parse_binds(obj, msg, err, errlen);
}

static bool parse_ran(json_t *obj, struct guest_msg *msg, char *err, size_t errlen)
{
    long exit_code, sig;
    if (!get_int(obj, "exit", -1, 255, &exit_code, err, errlen) ||
        !get_int(obj, "signal", 0, 64, &sig, err, errlen) ||
        !get_seconds(obj, "seconds", &msg->seconds, err, errlen))
        return false;
    json_t *t = json_object_get(obj, "timed_out");
    if (!json_is_boolean(t))
        return fail(err, errlen, "field 'timed_out' missing or not a boolean");
    json_t *out = json_object_get(obj, "output");
    if (!json_is_string(out) || json_string_length(out) > 65536)
        return fail(err, errlen, "field 'output' missing, not a string or too long");
    msg->exit_code = (int)exit_code;
    msg->signal = (int)sig;
    msg->timed_out = json_is_true(t);
    /* Output is free text for the log; NULs are cut, the rest is UTF-8. */
    msg->output = xstrdup(json_string_value(out));
    return true;
}

bool proto_parse(const char *line, size_t len, struct guest_msg *msg, char *err, size_t errlen)
{
    memset(msg, 0, sizeof *msg);
    if (len >= PROTO_MAX_LINE)
        return fail(err, errlen, "line of %zu bytes is over the %d-byte limit", len, PROTO_MAX_LINE);
    if (memchr(line, '\0', len))
        return fail(err, errlen, "line holds a NUL byte");
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj)
        return fail(err, errlen, "not JSON: %s", jerr.text);
    bool ok = false;
    char kind[16];
    if (!json_is_object(obj)) {
        fail(err, errlen, "not a JSON object");
        goto out;
    }
    if (!get_string(obj, "msg", kind, sizeof kind, true, err, errlen))
        goto out;

    if (strcmp(kind, "hello") == 0) {
        long agent;
        msg->kind = MSG_HELLO;
        ok = get_id(obj, msg->kind, &msg->id, err, errlen) && get_int(obj, "agent", 1, 1, &agent, err, errlen) &&
             get_string(obj, "boot_id", msg->boot_id, sizeof msg->boot_id, true, err, errlen) &&
             get_string(obj, "kernel", msg->kernel, sizeof msg->kernel, false, err, errlen) &&
             get_string(obj, "os", msg->os, sizeof msg->os, false, err, errlen) &&
             get_string(obj, "init", msg->init, sizeof msg->init, true, err, errlen) &&
             get_seconds(obj, "uptime", &msg->uptime, err, errlen);
    } else if (strcmp(kind, "facts") == 0) {
        msg->kind = MSG_FACTS;
        ok = get_id(obj, msg->kind, &msg->id, err, errlen) && parse_facts(obj, msg, err, errlen);
    } else if (strcmp(kind, "ran") == 0) {
        msg->kind = MSG_RAN;
        ok = get_id(obj, msg->kind, &msg->id, err, errlen) && parse_ran(obj, msg, err, errlen);
    } else if (strcmp(kind, "bye") == 0) {
        msg->kind = MSG_BYE;
        ok = get_id(obj, msg->kind, &msg->id, err, errlen) &&
             get_string(obj, "action", msg->action, sizeof msg->action, true, err, errlen);
    } else if (strcmp(kind, "error") == 0) {
        msg->kind = MSG_ERROR;
        ok = get_id(obj, msg->kind, &msg->id, err, errlen) &&
             get_string(obj, "text", msg->text, sizeof msg->text, false, err, errlen);
    } else {
        fail(err, errlen, "unknown message kind '%s'", kind);
    }
out:
    json_decref(obj);
    if (!ok)
        guest_msg_free(msg);
    return ok;
}

void guest_msg_free(struct guest_msg *msg)
{
    free(msg->output);
    msg->output = NULL;
}

static char *dump_line(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!s)
        die("out of memory encoding a command");
    char *line = xasprintf("%s\n", s);
    free(s);
    return line;
}

char *proto_cmd_simple(const char *cmd, long id)
{
    return dump_line(json_pack("{s:s, s:I}", "cmd", cmd, "id", (json_int_t)id));
}

char *proto_cmd_run(long id, const char *const *argv, int timeout_s, const char *user)
{
    json_t *args = json_array();
    for (size_t i = 0; argv[i]; i++)
        json_array_append_new(args, json_string(argv[i]));
    return dump_line(json_pack("{s:s, s:I, s:o, s:i, s:s}", "cmd", "run", "id", (json_int_t)id, "argv", args,
                               "timeout", timeout_s, "user", user ? user : "root"));
}
