/* Unit tests of harness/src/protocol.c, the host's parser of guest lines and
 * builder of host commands (docs/protocol.md).
 *
 * What this proves:
 *  - every guest message kind (hello, facts, ran, bye, error) parses into
 *    struct guest_msg with every documented field copied out;
 *  - anything else is rejected with a one-line reason: not JSON, not an
 *    object, unknown or missing `msg`, each required field missing or of the
 *    wrong type (facts, ran, bye and error must echo an id: >= 1, error
 *    >= 0; hello may omit it), duplicate keys (at the top, in `proof`, in
 *    `binds`), a line of 65536 bytes or more, a NUL byte (raw or \u0000),
 *    invalid UTF-8, a bind key outside the 28 known ones, a bind value with
 *    markup or quoting characters, more than 28 binds, any of the five
 *    capability sets (cap_prm, cap_inh, cap_eff, cap_amb, cap_bnd) missing
 *    or not 16 lowercase hex digits, integers and seconds out of range;
 *  - no message can carry a verdict: a "status":"pass" field is ignored and
 *    a facts message stays facts (checks.c decides), and "pass"/"verdict"
 *    are not message kinds;
 *  - a rejected line leaves nothing allocated in the message;
 *  - proto_cmd_simple / proto_cmd_run build exactly one compact JSON line
 *    ending in "\n" that jansson reads back with the right fields, however
 *    odd the argv strings.
 * Runs clean under ASan/UBSan with leak detection: every parsed message is
 * released with guest_msg_free. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run/checks.h"
#include "vm/protocol.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failf.h"

/* ---------------------------------------------------------------- helpers */

#define ZERO_CAPS "0000000000000000"

static const char *const MSG_KIND_NAMES[] = {"?", "hello", "facts", "ran", "bye", "error"};

static json_t *json_from(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        failf("test bug: cannot load %s: %s", text, jerr.text);
    return v;
}

/* The 28 binds as an unprivileged process sees them when
 * ip_unprivileged_port_start is port_start. */
static json_t *binds_for(int port_start)
{
    json_t *b = json_object();
    for (size_t f = 0; f < 4; f++)
        for (size_t p = 0; p < 7; p++) {
            char key[32];
            snprintf(key, sizeof key, "%s:%d", proto_bind_families[f], proto_bind_ports[p]);
            json_object_set_new(b, key, json_string(proto_bind_ports[p] >= port_start ? "ok" : "EACCES"));
        }
    return b;
}

/* A valid message of each kind, as the agent would send it. */
static json_t *good(enum msg_kind kind)
{
    switch (kind) {
    case MSG_HELLO:
        return json_from("{\"msg\":\"hello\",\"agent\":1,\"boot_id\":\"5f0c4a1e-2b7d-4c1e-9a3f-0d6e8b7c9a10\","
                         "\"kernel\":\"6.1.0-28-amd64\",\"os\":\"Debian GNU/Linux 12 (bookworm)\","
                         "\"init\":\"systemd\",\"uptime\":7.12}");
    case MSG_FACTS: {
        json_t *o = json_from("{\"msg\":\"facts\",\"id\":2,\"boot_id\":\"5f0c4a1e-2b7d-4c1e-9a3f-0d6e8b7c9a10\","
                              "\"uptime\":8.01,\"sysctl\":\"80\",\"proof\":{\"uid\":65534,\"gid\":65534,"
                              "\"groups\":0,\"cap_prm\":\"" ZERO_CAPS "\",\"cap_inh\":\"" ZERO_CAPS "\","
                              "\"cap_eff\":\"" ZERO_CAPS "\",\"cap_amb\":\"" ZERO_CAPS "\","
                              "\"cap_bnd\":\"" ZERO_CAPS "\",\"no_new_privs\":1}}");
        json_object_set_new(o, "binds", binds_for(80));
        return o;
    }
    case MSG_RAN:
        return json_from("{\"msg\":\"ran\",\"id\":3,\"exit\":0,\"signal\":0,\"timed_out\":false,"
                         "\"seconds\":2.5,\"output\":\"Selecting previously unselected package x.\\n\"}");
    case MSG_BYE:
        return json_from("{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"}");
    case MSG_ERROR:
        return json_from("{\"msg\":\"error\",\"id\":5,\"text\":\"unknown cmd 'frobnicate'\"}");
    }
    failf("test bug: no such kind %d", (int)kind);
    return NULL;
}

static char *dump(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(s);
    return s;
}

/* Parse a line that must be accepted; fail the test with the reason if not. */
static void parse_line_ok(const char *line, size_t len, struct guest_msg *m)
{
    char err[256] = "";
    if (!proto_parse(line, len, m, err, sizeof err))
        failf("rejected %.300s: %s", line, err);
}

/* Parse o (consumed) and require success. */
static void parse_json_ok(json_t *o, struct guest_msg *m)
{
    char *line = dump(o);
    json_decref(o);
    char err[256] = "";
    bool ok = proto_parse(line, strlen(line), m, err, sizeof err);
    char shown[301];
    snprintf(shown, sizeof shown, "%s", line);
    free(line);
    if (!ok)
        failf("rejected %s: %s", shown, err);
}

/* Require proto_parse to refuse the bytes with a one-line reason holding
 * `why`, and to leave nothing allocated. `label` names the case in a
 * failure. */
static void reject_bytes(const char *label, const char *line, size_t len, const char *why)
{
    struct guest_msg m;
    memset(&m, 0x5a, sizeof m); /* garbage: the parser must reset it */
    char err[256];
    memset(err, 0, sizeof err);
    bool ok = proto_parse(line, len, &m, err, sizeof err);
    if (ok) {
        guest_msg_free(&m);
        failf("%s: accepted (kind %d) but must be rejected", label, (int)m.kind);
    }
    if (err[0] == '\0')
        failf("%s: rejected without a reason", label);
    if (strchr(err, '\n'))
        failf("%s: reason is not one line: %s", label, err);
    if (why && !strstr(err, why))
        failf("%s: reason \"%s\" does not mention \"%s\"", label, err, why);
    if (m.output != NULL)
        failf("%s: rejected message still holds output", label);
    guest_msg_free(&m); /* harmless after a failure */
}

static void reject_str(const char *line, const char *why)
{
    reject_bytes(line, line, strlen(line), why);
}

/* Dump o (consumed) and require a rejection. */
static void reject_json(const char *label, json_t *o, const char *why)
{
    char *line = dump(o);
    json_decref(o);
    char shown[200];
    snprintf(shown, sizeof shown, "%s [%.120s]", label, line);
    reject_bytes(shown, line, strlen(line), why);
    free(line);
}

/* The object that holds `path` ("proof.uid" -> proof object, leaf "uid"). */
static json_t *parent_of(json_t *root, const char *path, const char **leaf)
{
    const char *dot = strchr(path, '.');
    if (!dot) {
        *leaf = path;
        return root;
    }
    char head[32];
    snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
    json_t *child = json_object_get(root, head);
    if (!json_is_object(child))
        failf("test bug: %s is not an object", head);
    return parent_of(child, dot + 1, leaf);
}

struct mutation {
    enum msg_kind kind;
    const char *path;  /* field to change */
    const char *value; /* JSON text put in its place; NULL deletes it */
    const char *why;   /* what the reason must say */
};

static void run_mutations(const struct mutation *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *o = good(t[i].kind);
        const char *leaf;
        json_t *parent = parent_of(o, t[i].path, &leaf);
        if (t[i].value)
            json_object_set_new(parent, leaf, json_from(t[i].value));
        else if (json_object_del(parent, leaf) != 0)
            failf("test bug: %s has no field %s", MSG_KIND_NAMES[t[i].kind], t[i].path);
        char label[160];
        snprintf(label, sizeof label, "%s with %s %s %s", MSG_KIND_NAMES[t[i].kind], t[i].path,
                 t[i].value ? "=" : "removed", t[i].value ? t[i].value : "");
        reject_json(label, o, t[i].why);
    }
}

static const struct bind_result *find_bind(const struct guest_msg *m, const char *what)
{
    for (size_t i = 0; i < m->nbinds; i++)
        if (strcmp(m->binds[i].what, what) == 0)
            return &m->binds[i];
    return NULL;
}

/* A valid bye padded with spaces inside the object to exactly len bytes. */
static char *padded_bye(size_t len)
{
    const char *head = "{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"";
    size_t hl = strlen(head);
    assert_true(len > hl + 1);
    char *line = malloc(len + 1);
    assert_non_null(line);
    memcpy(line, head, hl);
    memset(line + hl, ' ', len - hl - 1);
    line[len - 1] = '}';
    line[len] = '\0';
    return line;
}

/* ------------------------------------------------------- valid messages */

static void test_hello_parses_every_field(void **state)
{
    (void)state;
    struct guest_msg m;
    parse_json_ok(good(MSG_HELLO), &m);
    assert_int_equal(m.kind, MSG_HELLO);
    assert_int_equal(m.id, 0);
    assert_string_equal(m.boot_id, "5f0c4a1e-2b7d-4c1e-9a3f-0d6e8b7c9a10");
    assert_string_equal(m.kernel, "6.1.0-28-amd64");
    assert_string_equal(m.os, "Debian GNU/Linux 12 (bookworm)");
    assert_string_equal(m.init, "systemd");
    assert_true(m.uptime > 7.11 && m.uptime < 7.13);
    assert_int_equal(m.nbinds, 0);
    assert_null(m.output);
    guest_msg_free(&m);
}

static void test_hello_accepts_utf8_os_name_and_integer_uptime(void **state)
{
    (void)state;
    json_t *o = good(MSG_HELLO);
    json_object_set_new(o, "os", json_string("Débian GNU/Linux 12 «bookworm» 🐧"));
    json_object_set_new(o, "uptime", json_integer(7));
    json_object_set_new(o, "init", json_string("init"));
    struct guest_msg m;
    parse_json_ok(o, &m);
    assert_string_equal(m.os, "Débian GNU/Linux 12 «bookworm» 🐧");
    assert_string_equal(m.init, "init");
    assert_true(m.uptime == 7.0);
    guest_msg_free(&m);
}

static void test_facts_parse_sysctl_proof_and_all_28_binds(void **state)
{
    (void)state;
    json_t *o = good(MSG_FACTS);
    json_object_set_new(json_object_get(o, "binds"), "udp6:53", json_string("EADDRINUSE"));
    struct guest_msg m;
    parse_json_ok(o, &m);
    assert_int_equal(m.kind, MSG_FACTS);
    assert_int_equal(m.id, 2);
    assert_string_equal(m.boot_id, "5f0c4a1e-2b7d-4c1e-9a3f-0d6e8b7c9a10");
    assert_true(m.uptime > 8.0 && m.uptime < 8.02);
    assert_string_equal(m.sysctl, "80");
    assert_true(m.proof.present);
    assert_int_equal(m.proof.uid, 65534);
    assert_int_equal(m.proof.gid, 65534);
    assert_int_equal(m.proof.groups, 0);
    assert_string_equal(m.proof.cap_prm, ZERO_CAPS);
    assert_string_equal(m.proof.cap_inh, ZERO_CAPS);
    assert_string_equal(m.proof.cap_eff, ZERO_CAPS);
    assert_string_equal(m.proof.cap_amb, ZERO_CAPS);
    assert_string_equal(m.proof.cap_bnd, ZERO_CAPS);
    assert_int_equal(m.proof.no_new_privs, 1);
    assert_int_equal(m.nbinds, PROTO_MAX_BINDS);
    for (size_t f = 0; f < 4; f++)
        for (size_t p = 0; p < 7; p++) {
            char what[32];
            snprintf(what, sizeof what, "%s:%d", proto_bind_families[f], proto_bind_ports[p]);
            const struct bind_result *r = find_bind(&m, what);
            if (!r)
                failf("bind %s missing from the parsed facts", what);
            const char *want = strcmp(what, "udp6:53") == 0 ? "EADDRINUSE"
                               : proto_bind_ports[p] >= 80  ? "ok"
                                                            : "EACCES";
            assert_string_equal(r->got, want);
        }
    assert_null(m.output);
    guest_msg_free(&m);
}

static void test_facts_with_errno_name_sysctl_and_fewer_binds_parse(void **state)
{
    (void)state;
    /* The sysctl may be an errno name; binds may be partial (checks.c calls
     * the absent ones "missing"); an empty binds object is still facts. */
    json_t *o = good(MSG_FACTS);
    json_object_set_new(o, "sysctl", json_string("ENOENT"));
    json_object_set_new(o, "binds", json_from("{\"tcp4:22\":\"EACCES\",\"udp6:1023\":\"EAFNOSUPPORT\"}"));
    struct guest_msg m;
    parse_json_ok(o, &m);
    assert_string_equal(m.sysctl, "ENOENT");
    assert_int_equal(m.nbinds, 2);
    assert_string_equal(find_bind(&m, "tcp4:22")->got, "EACCES");
    assert_string_equal(find_bind(&m, "udp6:1023")->got, "EAFNOSUPPORT");
    guest_msg_free(&m);

    o = good(MSG_FACTS);
    json_object_set_new(o, "binds", json_object());
    parse_json_ok(o, &m);
    assert_int_equal(m.kind, MSG_FACTS);
    assert_int_equal(m.nbinds, 0);
    guest_msg_free(&m);
}

static void test_ran_parses_exit_signal_timeout_seconds_output(void **state)
{
    (void)state;
    struct guest_msg m;
    parse_json_ok(good(MSG_RAN), &m);
    assert_int_equal(m.kind, MSG_RAN);
    assert_int_equal(m.id, 3);
    assert_int_equal(m.exit_code, 0);
    assert_int_equal(m.signal, 0);
    assert_false(m.timed_out);
    assert_true(m.seconds == 2.5);
    assert_non_null(m.output);
    assert_string_equal(m.output, "Selecting previously unselected package x.\n");
    guest_msg_free(&m);
    assert_null(m.output);
    guest_msg_free(&m); /* a second free is harmless */
}

static void test_ran_killed_by_signal_after_timeout(void **state)
{
    (void)state;
    json_t *o = json_from("{\"msg\":\"ran\",\"id\":7,\"exit\":-1,\"signal\":9,\"timed_out\":true,"
                          "\"seconds\":300,\"output\":\"\"}");
    struct guest_msg m;
    parse_json_ok(o, &m);
    assert_int_equal(m.exit_code, -1);
    assert_int_equal(m.signal, 9);
    assert_true(m.timed_out);
    assert_true(m.seconds == 300.0);
    assert_string_equal(m.output, "");
    guest_msg_free(&m);
}

static void test_ran_output_keeps_utf8_and_control_text(void **state)
{
    (void)state;
    /* Output is free text for the log: newlines, tabs and UTF-8 survive. */
    json_t *o = good(MSG_RAN);
    json_object_set_new(o, "output", json_string("line 1\n\tline 2 \xc3\xa9\xe2\x82\xac\r\n<b>|\"'</b>"));
    struct guest_msg m;
    parse_json_ok(o, &m);
    assert_string_equal(m.output, "line 1\n\tline 2 \xc3\xa9\xe2\x82\xac\r\n<b>|\"'</b>");
    guest_msg_free(&m);
}

static void test_bye_parses_action(void **state)
{
    (void)state;
    struct guest_msg m;
    parse_json_ok(good(MSG_BYE), &m);
    assert_int_equal(m.kind, MSG_BYE);
    assert_int_equal(m.id, 4);
    assert_string_equal(m.action, "reboot");
    guest_msg_free(&m);
    parse_json_ok(json_from("{\"msg\":\"bye\",\"id\":5,\"action\":\"poweroff\"}"), &m);
    assert_int_equal(m.id, 5);
    assert_string_equal(m.action, "poweroff");
    guest_msg_free(&m);
}

static void test_error_parses_text_and_id_zero_when_unknown(void **state)
{
    (void)state;
    struct guest_msg m;
    parse_json_ok(good(MSG_ERROR), &m);
    assert_int_equal(m.kind, MSG_ERROR);
    assert_int_equal(m.id, 5);
    assert_string_equal(m.text, "unknown cmd 'frobnicate'");
    guest_msg_free(&m);
    parse_json_ok(json_from("{\"msg\":\"error\",\"id\":0,\"text\":\"invalid JSON at column 1: \\u00e9\"}"), &m);
    assert_int_equal(m.id, 0);
    assert_string_equal(m.text, "invalid JSON at column 1: \xc3\xa9");
    guest_msg_free(&m);
}

static void test_fields_in_any_order_and_whitespace_accepted(void **state)
{
    (void)state;
    const char *line = "  {\"action\" : \"reboot\",\n\t\"id\":4 , \"msg\":\"bye\"}\r\n ";
    struct guest_msg m;
    parse_line_ok(line, strlen(line), &m);
    assert_int_equal(m.kind, MSG_BYE);
    assert_string_equal(m.action, "reboot");
    guest_msg_free(&m);
}

static void test_line_is_read_by_length_not_by_nul(void **state)
{
    (void)state;
    /* The parser reads exactly len bytes: a prefix of a longer buffer. */
    const char *buf = "{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"}GARBAGE";
    struct guest_msg m;
    parse_line_ok(buf, strlen(buf) - strlen("GARBAGE"), &m);
    assert_string_equal(m.action, "reboot");
    guest_msg_free(&m);
}

static void test_range_boundaries_accepted(void **state)
{
    (void)state;
    struct guest_msg m;
    parse_json_ok(json_from("{\"msg\":\"ran\",\"id\":1073741824,\"exit\":255,\"signal\":64,\"timed_out\":false,"
                            "\"seconds\":0,\"output\":\"\"}"),
                  &m);
    assert_int_equal(m.id, 1L << 30);
    assert_int_equal(m.exit_code, 255);
    assert_int_equal(m.signal, 64);
    guest_msg_free(&m);

    json_t *o = good(MSG_FACTS);
    json_t *proof = json_object_get(o, "proof");
    json_object_set_new(proof, "uid", json_integer(4294967295LL));
    json_object_set_new(proof, "gid", json_integer(0));
    json_object_set_new(proof, "groups", json_integer(65536));
    json_object_set_new(proof, "no_new_privs", json_integer(0));
    json_object_set_new(proof, "cap_prm", json_string("000001ffffffffff"));
    json_object_set_new(proof, "cap_inh", json_string("0000000000000400"));
    json_object_set_new(proof, "cap_eff", json_string("000001ffffffffff"));
    json_object_set_new(proof, "cap_amb", json_string("8000000000000000"));
    json_object_set_new(proof, "cap_bnd", json_string("ffffffffffffffff"));
    json_object_set_new(o, "uptime", json_real(9999999.5));
    parse_json_ok(o, &m);
    assert_int_equal(m.proof.uid, 4294967295LL);
    assert_int_equal(m.proof.gid, 0);
    assert_int_equal(m.proof.groups, 65536);
    assert_int_equal(m.proof.no_new_privs, 0);
    assert_string_equal(m.proof.cap_prm, "000001ffffffffff");
    assert_string_equal(m.proof.cap_inh, "0000000000000400");
    assert_string_equal(m.proof.cap_eff, "000001ffffffffff");
    assert_string_equal(m.proof.cap_amb, "8000000000000000");
    assert_string_equal(m.proof.cap_bnd, "ffffffffffffffff");
    guest_msg_free(&m);
}

static void test_longest_fields_fit_and_one_more_byte_is_rejected(void **state)
{
    (void)state;
    char s[300];
    struct {
        enum msg_kind kind;
        const char *field;
        size_t max; /* longest accepted value */
    } t[] = {
        {MSG_HELLO, "boot_id", 39}, {MSG_HELLO, "kernel", 127}, {MSG_HELLO, "os", 127},
        {MSG_HELLO, "init", 31},    {MSG_FACTS, "sysctl", 23}, {MSG_BYE, "action", 15},
        {MSG_ERROR, "text", 255},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        memset(s, 'a', t[i].max);
        s[t[i].max] = '\0';
        json_t *o = good(t[i].kind);
        json_object_set_new(o, t[i].field, json_string(s));
        struct guest_msg m;
        parse_json_ok(o, &m);
        guest_msg_free(&m);

        s[t[i].max] = 'a';
        s[t[i].max + 1] = '\0';
        o = good(t[i].kind);
        json_object_set_new(o, t[i].field, json_string(s));
        reject_json(t[i].field, o, "longer than");
    }
    /* A bind value too: 23 bytes fit, 24 do not. */
    memset(s, 'E', 24);
    s[23] = '\0';
    json_t *o = good(MSG_FACTS);
    json_object_set_new(json_object_get(o, "binds"), "tcp4:22", json_string(s));
    struct guest_msg m;
    parse_json_ok(o, &m);
    guest_msg_free(&m);
    s[23] = 'E';
    s[24] = '\0';
    o = good(MSG_FACTS);
    json_object_set_new(json_object_get(o, "binds"), "tcp4:22", json_string(s));
    reject_json("bind value of 24 bytes", o, "longer than");
}

/* ------------------------------------------------------------ rejections */

static void test_reject_not_json(void **state)
{
    (void)state;
    reject_str("", "not JSON");
    reject_str("   ", "not JSON");
    reject_str("hello", "not JSON");
    reject_str("{", "not JSON");
    reject_str("{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"", "not JSON");
    reject_str("{'msg':'bye'}", "not JSON");
    reject_str("{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\",}", "not JSON");
    reject_str("{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"} {}", "not JSON");
    reject_str("{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"}x", "not JSON");
    reject_str("{\"msg\":\"bye\",\"id\":04,\"action\":\"reboot\"}", "not JSON");
    reject_str("{\"msg\":\"bye\",\"id\":NaN,\"action\":\"reboot\"}", "not JSON");
    reject_str("{\"msg\":\"ran\",\"id\":3,\"exit\":99999999999999999999999,\"signal\":0,"
               "\"timed_out\":false,\"seconds\":1,\"output\":\"\"}",
               "not JSON");
    reject_str("\xef\xbb\xbf{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"}", "not JSON"); /* a BOM */
}

static void test_reject_json_that_is_not_an_object(void **state)
{
    (void)state;
    reject_str("[]", "not a JSON object");
    reject_str("[{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"}]", "not a JSON object");
    /* Scalars are not even accepted as JSON documents by the parser. */
    reject_str("\"bye\"", NULL);
    reject_str("4", NULL);
    reject_str("null", NULL);
    reject_str("true", NULL);
}

static void test_reject_missing_or_ill_typed_msg(void **state)
{
    (void)state;
    reject_str("{}", "'msg'");
    reject_str("{\"id\":4,\"action\":\"reboot\"}", "'msg'");
    reject_str("{\"msg\":null,\"id\":4}", "'msg'");
    reject_str("{\"msg\":4,\"id\":4}", "'msg'");
    reject_str("{\"msg\":[\"bye\"],\"id\":4}", "'msg'");
    reject_str("{\"msg\":{\"kind\":\"bye\"},\"id\":4}", "'msg'");
    reject_str("{\"MSG\":\"bye\",\"id\":4,\"action\":\"reboot\"}", "'msg'");
}

static void test_reject_unknown_msg_kind(void **state)
{
    (void)state;
    reject_str("{\"msg\":\"pass\",\"id\":2}", "unknown message kind");
    reject_str("{\"msg\":\"verdict\",\"id\":2,\"status\":\"pass\"}", "unknown message kind");
    reject_str("{\"msg\":\"result\",\"id\":2,\"status\":\"pass\"}", "unknown message kind");
    reject_str("{\"msg\":\"Hello\",\"agent\":1}", "unknown message kind");
    reject_str("{\"msg\":\"facts \",\"id\":2}", NULL);
    reject_str("{\"msg\":\"\",\"id\":2}", "unknown message kind");
    reject_str("{\"msg\":\"cmd\",\"id\":2}", "unknown message kind");
    reject_str("{\"msg\":\"facts\\u0000\",\"id\":2}", NULL);
    reject_str("{\"msg\":\"a-very-long-kind-of-message\",\"id\":2}", NULL);
}

static void test_reject_every_missing_required_field(void **state)
{
    (void)state;
    static const struct mutation t[] = {
        {MSG_HELLO, "agent", NULL, "'agent' missing"},
        {MSG_HELLO, "boot_id", NULL, "'boot_id' missing"},
        {MSG_HELLO, "kernel", NULL, "'kernel' missing"},
        {MSG_HELLO, "os", NULL, "'os' missing"},
        {MSG_HELLO, "init", NULL, "'init' missing"},
        {MSG_HELLO, "uptime", NULL, "'uptime' missing"},
        {MSG_FACTS, "id", NULL, "'id' missing"},
        {MSG_FACTS, "boot_id", NULL, "'boot_id' missing"},
        {MSG_FACTS, "uptime", NULL, "'uptime' missing"},
        {MSG_FACTS, "sysctl", NULL, "'sysctl' missing"},
        {MSG_FACTS, "proof", NULL, "'proof' missing"},
        {MSG_FACTS, "binds", NULL, "'binds' missing"},
        {MSG_FACTS, "proof.uid", NULL, "'uid' missing"},
        {MSG_FACTS, "proof.gid", NULL, "'gid' missing"},
        {MSG_FACTS, "proof.groups", NULL, "'groups' missing"},
        {MSG_FACTS, "proof.cap_prm", NULL, "'cap_prm' missing"},
        {MSG_FACTS, "proof.cap_inh", NULL, "'cap_inh' missing"},
        {MSG_FACTS, "proof.cap_eff", NULL, "'cap_eff' missing"},
        {MSG_FACTS, "proof.cap_amb", NULL, "'cap_amb' missing"},
        {MSG_FACTS, "proof.cap_bnd", NULL, "'cap_bnd' missing"},
        {MSG_FACTS, "proof.no_new_privs", NULL, "'no_new_privs' missing"},
        {MSG_RAN, "id", NULL, "'id' missing"},
        {MSG_RAN, "exit", NULL, "'exit' missing"},
        {MSG_RAN, "signal", NULL, "'signal' missing"},
        {MSG_RAN, "timed_out", NULL, "'timed_out' missing"},
        {MSG_RAN, "seconds", NULL, "'seconds' missing"},
        {MSG_RAN, "output", NULL, "'output' missing"},
        {MSG_BYE, "id", NULL, "'id' missing"},
        {MSG_BYE, "action", NULL, "'action' missing"},
        {MSG_ERROR, "id", NULL, "'id' missing"},
        {MSG_ERROR, "text", NULL, "'text' missing"},
    };
    run_mutations(t, sizeof t / sizeof t[0]);
}

static void test_reject_ill_typed_fields(void **state)
{
    (void)state;
    static const struct mutation t[] = {
        {MSG_HELLO, "agent", "\"1\"", "'agent'"},
        {MSG_HELLO, "agent", "1.0", "'agent'"},
        {MSG_HELLO, "agent", "true", "'agent'"},
        {MSG_HELLO, "boot_id", "42", "'boot_id'"},
        {MSG_HELLO, "boot_id", "null", "'boot_id'"},
        {MSG_HELLO, "kernel", "[\"6.1.0\"]", "'kernel'"},
        {MSG_HELLO, "os", "{}", "'os'"},
        {MSG_HELLO, "init", "false", "'init'"},
        {MSG_HELLO, "uptime", "\"7.12\"", "'uptime'"},
        {MSG_HELLO, "uptime", "null", "'uptime'"},
        {MSG_HELLO, "id", "\"1\"", "'id'"},
        {MSG_FACTS, "id", "\"2\"", "'id'"},
        {MSG_FACTS, "id", "2.0", "'id'"},
        {MSG_FACTS, "id", "null", "'id'"},
        {MSG_FACTS, "sysctl", "80", "'sysctl'"},
        {MSG_FACTS, "uptime", "true", "'uptime'"},
        {MSG_FACTS, "proof", "[]", "'proof'"},
        {MSG_FACTS, "proof", "\"unprivileged\"", "'proof'"},
        {MSG_FACTS, "proof", "null", "'proof'"},
        {MSG_FACTS, "binds", "[]", "'binds'"},
        {MSG_FACTS, "binds", "\"all ok\"", "'binds'"},
        {MSG_FACTS, "proof.uid", "\"65534\"", "'uid'"},
        {MSG_FACTS, "proof.uid", "65534.0", "'uid'"},
        {MSG_FACTS, "proof.gid", "null", "'gid'"},
        {MSG_FACTS, "proof.groups", "[]", "'groups'"},
        {MSG_FACTS, "proof.cap_prm", "0", "'cap_prm'"},
        {MSG_FACTS, "proof.cap_inh", "null", "'cap_inh'"},
        {MSG_FACTS, "proof.cap_eff", "0", "'cap_eff'"},
        {MSG_FACTS, "proof.cap_amb", "[]", "'cap_amb'"},
        {MSG_FACTS, "proof.cap_bnd", "false", "'cap_bnd'"},
        {MSG_FACTS, "proof.no_new_privs", "true", "'no_new_privs'"},
        {MSG_FACTS, "binds.tcp4:80", "true", "'tcp4:80'"},
        {MSG_FACTS, "binds.tcp4:80", "0", "'tcp4:80'"},
        {MSG_FACTS, "binds.tcp4:80", "null", "'tcp4:80'"},
        {MSG_FACTS, "binds.tcp4:80", "{\"result\":\"ok\"}", "'tcp4:80'"},
        {MSG_RAN, "exit", "\"0\"", "'exit'"},
        {MSG_RAN, "exit", "0.5", "'exit'"},
        {MSG_RAN, "signal", "false", "'signal'"},
        {MSG_RAN, "timed_out", "0", "'timed_out'"},
        {MSG_RAN, "timed_out", "\"false\"", "'timed_out'"},
        {MSG_RAN, "timed_out", "null", "'timed_out'"},
        {MSG_RAN, "seconds", "\"2.5\"", "'seconds'"},
        {MSG_RAN, "output", "null", "'output'"},
        {MSG_RAN, "output", "[\"a\"]", "'output'"},
        {MSG_RAN, "output", "42", "'output'"},
        {MSG_BYE, "id", "true", "'id'"},
        {MSG_BYE, "action", "1", "'action'"},
        {MSG_ERROR, "id", "\"0\"", "'id'"},
        {MSG_ERROR, "text", "null", "'text'"},
        {MSG_ERROR, "text", "{\"text\":\"x\"}", "'text'"},
    };
    run_mutations(t, sizeof t / sizeof t[0]);
}

static void test_reject_out_of_range_numbers(void **state)
{
    (void)state;
    static const struct mutation t[] = {
        {MSG_HELLO, "agent", "0", "'agent' out of range"},
        {MSG_HELLO, "agent", "2", "'agent' out of range"},
        {MSG_HELLO, "uptime", "-0.01", "'uptime' out of range"},
        {MSG_HELLO, "uptime", "1e7", "'uptime' out of range"},
        {MSG_HELLO, "uptime", "1e308", "'uptime' out of range"},
        {MSG_HELLO, "id", "-1", "'id' out of range"},
        {MSG_FACTS, "id", "-1", "'id' out of range"},
        {MSG_FACTS, "id", "-2", "'id' out of range"},
        {MSG_FACTS, "id", "1073741825", "'id' out of range"},
        {MSG_FACTS, "id", "9223372036854775807", "'id' out of range"},
        {MSG_FACTS, "uptime", "-1", "'uptime' out of range"},
        {MSG_FACTS, "proof.uid", "-1", "'uid' out of range"},
        {MSG_FACTS, "proof.uid", "4294967296", "'uid' out of range"},
        {MSG_FACTS, "proof.gid", "-1", "'gid' out of range"},
        {MSG_FACTS, "proof.gid", "4294967296", "'gid' out of range"},
        {MSG_FACTS, "proof.groups", "-1", "'groups' out of range"},
        {MSG_FACTS, "proof.groups", "65537", "'groups' out of range"},
        {MSG_FACTS, "proof.no_new_privs", "2", "'no_new_privs' out of range"},
        {MSG_FACTS, "proof.no_new_privs", "-1", "'no_new_privs' out of range"},
        {MSG_RAN, "id", "0", "'id' out of range"},
        {MSG_RAN, "exit", "-2", "'exit' out of range"},
        {MSG_RAN, "exit", "256", "'exit' out of range"},
        {MSG_RAN, "exit", "-9223372036854775808", "'exit' out of range"},
        {MSG_RAN, "signal", "-1", "'signal' out of range"},
        {MSG_RAN, "signal", "65", "'signal' out of range"},
        {MSG_RAN, "seconds", "-0.5", "'seconds' out of range"},
        {MSG_RAN, "seconds", "10000000", "'seconds' out of range"},
        {MSG_BYE, "id", "0", "'id' out of range"},
        {MSG_BYE, "id", "1073741825", "'id' out of range"},
        {MSG_ERROR, "id", "-1", "'id' out of range"},
    };
    run_mutations(t, sizeof t / sizeof t[0]);
}

static void test_reject_duplicate_keys(void **state)
{
    (void)state;
    /* A guest must not be able to say two things at once and let the
     * parser pick one. */
    reject_str("{\"msg\":\"bye\",\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"}", "not JSON");
    reject_str("{\"msg\":\"bye\",\"id\":4,\"id\":5,\"action\":\"reboot\"}", "not JSON");
    reject_str("{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\",\"action\":\"poweroff\"}", "not JSON");
    reject_str("{\"msg\":\"error\",\"msg\":\"facts\",\"id\":4,\"text\":\"x\"}", "not JSON");

    /* In binds and in proof: built from a good facts line by text surgery,
     * since jansson cannot hold duplicate keys to dump them. */
    json_t *o = good(MSG_FACTS);
    char *line = dump(o);
    json_decref(o);
    const char *surgery[][2] = {
        {"\"tcp4:80\":\"ok\"", "\"tcp4:80\":\"EACCES\",\"tcp4:80\":\"ok\""},
        {"\"tcp4:80\":\"ok\"", "\"tcp4:80\":\"ok\",\"tcp4:80\":\"ok\""},
        {"\"uid\":65534", "\"uid\":0,\"uid\":65534"},
        {"\"cap_eff\":", "\"cap_eff\":\"ffffffffffffffff\",\"cap_eff\":"},
        {"\"cap_inh\":", "\"cap_inh\":\"0000000000000400\",\"cap_inh\":"},
        {"\"cap_amb\":", "\"cap_amb\":\"0000000000000400\",\"cap_amb\":"},
        {"\"sysctl\":\"80\"", "\"sysctl\":\"1024\",\"sysctl\":\"80\""},
        {"\"binds\":{", "\"binds\":{},\"binds\":{"},
    };
    for (size_t i = 0; i < sizeof surgery / sizeof surgery[0]; i++) {
        const char *at = strstr(line, surgery[i][0]);
        if (!at)
            failf("test bug: %s not in %s", surgery[i][0], line);
        size_t pre = (size_t)(at - line);
        char *bad = NULL;
        if (asprintf(&bad, "%.*s%s%s", (int)pre, line, surgery[i][1], at + strlen(surgery[i][0])) < 0)
            failf("out of memory");
        char label[120];
        snprintf(label, sizeof label, "duplicate via %s", surgery[i][1]);
        reject_bytes(label, bad, strlen(bad), "duplicate");
        free(bad);
    }
    free(line);
}

static void test_reject_line_of_65536_bytes_or_more(void **state)
{
    (void)state;
    struct guest_msg m;
    /* 65535 bytes + the newline is the longest line the protocol allows. */
    char *line = padded_bye(PROTO_MAX_LINE - 1);
    parse_line_ok(line, PROTO_MAX_LINE - 1, &m);
    assert_string_equal(m.action, "reboot");
    guest_msg_free(&m);
    free(line);

    line = padded_bye(PROTO_MAX_LINE);
    reject_bytes("bye padded to 65536 bytes", line, PROTO_MAX_LINE, "limit");
    free(line);

    line = padded_bye(PROTO_MAX_LINE * 4);
    reject_bytes("bye padded to 256 KiB", line, PROTO_MAX_LINE * 4, "limit");
    free(line);

    /* A long ran output: the line limit holds whatever the field. */
    size_t big = PROTO_MAX_LINE;
    char *out = malloc(big + 1);
    assert_non_null(out);
    memset(out, 'x', big);
    out[big] = '\0';
    json_t *o = good(MSG_RAN);
    json_object_set_new(o, "output", json_string(out));
    free(out);
    reject_json("ran with 64 KiB of output", o, "limit");
}

static void test_reject_embedded_nul(void **state)
{
    (void)state;
    static const char raw1[] = "{\"msg\":\"bye\",\"id\":4,\"action\":\"re\0boot\"}";
    reject_bytes("raw NUL in a string", raw1, sizeof raw1 - 1, "NUL");
    static const char raw2[] = "{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"}\0";
    reject_bytes("raw NUL after the object", raw2, sizeof raw2 - 1, "NUL");
    static const char raw3[] = "\0{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"}";
    reject_bytes("raw NUL before the object", raw3, sizeof raw3 - 1, "NUL");

    /* Escaped as \u0000, in every kind of string field. */
    reject_str("{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\\u0000\"}", NULL);
    reject_str("{\"msg\":\"error\",\"id\":4,\"text\":\"a\\u0000b\"}", NULL);
    reject_str("{\"msg\":\"ran\",\"id\":3,\"exit\":0,\"signal\":0,\"timed_out\":false,\"seconds\":1,"
               "\"output\":\"ok\\u0000 but hidden\"}",
               NULL);
    json_t *o = good(MSG_FACTS);
    char *line = dump(o);
    json_decref(o);
    char *at = strstr(line, "\"tcp4:80\":\"ok\"");
    assert_non_null(at);
    char *bad = NULL;
    assert_true(asprintf(&bad, "%.*s\"tcp4:80\":\"ok\\u0000EACCES\"%s", (int)(at - line), line,
                         at + strlen("\"tcp4:80\":\"ok\"")) > 0);
    reject_bytes("\\u0000 in a bind value", bad, strlen(bad), NULL);
    free(bad);
    free(line);
}

static void test_reject_invalid_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xff",             /* never valid */
        "\xc3",             /* truncated 2-byte sequence */
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong 3-byte */
        "\xed\xa0\x80",     /* UTF-16 surrogate */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\x80",             /* lone continuation byte */
        "\xe2\x82",         /* truncated euro sign */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[200], label[64];
        snprintf(label, sizeof label, "invalid UTF-8 #%zu in os", i);
        snprintf(line, sizeof line,
                 "{\"msg\":\"hello\",\"agent\":1,\"boot_id\":\"b\",\"kernel\":\"k\",\"os\":\"Debian %s\","
                 "\"init\":\"systemd\",\"uptime\":1}",
                 bad[i]);
        reject_bytes(label, line, strlen(line), "not JSON");
        snprintf(label, sizeof label, "invalid UTF-8 #%zu in ran output", i);
        snprintf(line, sizeof line,
                 "{\"msg\":\"ran\",\"id\":3,\"exit\":0,\"signal\":0,\"timed_out\":false,\"seconds\":1,"
                 "\"output\":\"x%sy\"}",
                 bad[i]);
        reject_bytes(label, line, strlen(line), "not JSON");
        snprintf(label, sizeof label, "invalid UTF-8 #%zu in a key", i);
        snprintf(line, sizeof line, "{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\",\"x%s\":1}", bad[i]);
        reject_bytes(label, line, strlen(line), "not JSON");
    }
    /* An escaped lone surrogate is not a character either. */
    reject_str("{\"msg\":\"error\",\"id\":1,\"text\":\"\\ud800\"}", NULL);
}

static void test_reject_control_characters_in_text_fields(void **state)
{
    (void)state;
    static const struct mutation t[] = {
        {MSG_HELLO, "kernel", "\"6.1.0\\n-amd64\"", "alphabet"},
        {MSG_HELLO, "os", "\"Debian\\r\\nnot ok 1\"", "alphabet"},
        {MSG_HELLO, "os", "\"Debian\\t12\"", "alphabet"},
        {MSG_HELLO, "os", "\"Debian\\u007f\"", "alphabet"},
        {MSG_HELLO, "os", "\"\\u001b[31mred\"", "alphabet"},
        {MSG_ERROR, "text", "\"line1\\nline2\"", "alphabet"},
        /* Tokens: printable ASCII without spaces or markup. */
        {MSG_HELLO, "boot_id", "\"5f0c 4a1e\"", "alphabet"},
        {MSG_HELLO, "boot_id", "\"5f0c\\u00e9\"", "alphabet"},
        {MSG_HELLO, "init", "\"<script>\"", "alphabet"},
        {MSG_FACTS, "boot_id", "\"a&b\"", "alphabet"},
        {MSG_FACTS, "sysctl", "\"80\\n\"", "alphabet"},
        {MSG_FACTS, "sysctl", "\"80|pass\"", "alphabet"},
        {MSG_BYE, "action", "\"re boot\"", "alphabet"},
    };
    run_mutations(t, sizeof t / sizeof t[0]);
}

static void test_reject_bind_key_not_among_the_28(void **state)
{
    (void)state;
    static const char *const keys[] = {
        "tcp4:8080", "tcp4:21",  "tcp4:1024", "sctp4:80", "tcp:80",  "TCP4:80",  "tcp4:080",
        "tcp4:80 ",  " tcp4:80", "tcp4",      "80",       "",        "tcp4:80:", "udp6:1023x",
        "status",    "pass",     "tcp4:-80",  "tcp5:22",  "udp4:0",  "tcp4:+80",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        /* Alone and next to the 27 other real ones. */
        json_t *o = good(MSG_FACTS);
        json_object_set_new(o, "binds", json_object());
        json_object_set_new(json_object_get(o, "binds"), keys[i], json_string("ok"));
        char label[64];
        snprintf(label, sizeof label, "lone bind key '%s'", keys[i]);
        reject_json(label, o, "unknown bind check");

        o = good(MSG_FACTS);
        json_object_del(json_object_get(o, "binds"), "udp6:1023");
        json_object_set_new(json_object_get(o, "binds"), keys[i], json_string("ok"));
        snprintf(label, sizeof label, "bind key '%s' among 27 real ones", keys[i]);
        reject_json(label, o, "unknown bind check");
    }
}

static void test_reject_bind_value_with_markup_or_quotes(void **state)
{
    (void)state;
    static const char *const values[] = {
        "<b>ok</b>", "ok<",  "\"ok\"", "ok|pass", "|",       "ok&amp;", "'ok'",    "`ok`",   "ok\\",
        "ok ",       " ok",  "o k",    "ok\t",    "ok\n",    "ok\r",    "\x7f",   "ok\xc2\xa0",
        "\xe2\x9c\x93", "ok\x1b[0m",
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        json_t *o = good(MSG_FACTS);
        json_object_set_new(json_object_get(o, "binds"), "tcp4:80", json_string(values[i]));
        char label[64];
        snprintf(label, sizeof label, "bind value #%zu", i);
        reject_json(label, o, "alphabet");
    }
}

static void test_empty_bind_value_rejected_or_never_ok(void **state)
{
    (void)state;
    /* "" is not "ok": if the parser lets it through it must not pass. */
    json_t *o = good(MSG_FACTS);
    json_object_set_new(json_object_get(o, "binds"), "tcp4:80", json_string(""));
    char *line = dump(o);
    json_decref(o);
    struct guest_msg m;
    char err[256];
    if (proto_parse(line, strlen(line), &m, err, sizeof err)) {
        struct checks c = {0};
        checks_expect_ports(&c, &m, 80);
        assert_false(checks_all_ok(&c));
        guest_msg_free(&m);
    }
    free(line);
}

static void test_reject_more_than_28_binds(void **state)
{
    (void)state;
    json_t *o = good(MSG_FACTS);
    json_object_set_new(json_object_get(o, "binds"), "tcp4:8080", json_string("ok"));
    assert_int_equal(json_object_size(json_object_get(o, "binds")), 29);
    reject_json("29 binds", o, "more than 28");

    o = good(MSG_FACTS);
    json_t *b = json_object_get(o, "binds");
    for (int i = 0; i < 100; i++) {
        char key[32];
        snprintf(key, sizeof key, "tcp4:%d", 2000 + i);
        json_object_set_new(b, key, json_string("ok"));
    }
    reject_json("128 binds", o, "more than 28");
}

static void test_reject_caps_not_16_lowercase_hex_digits(void **state)
{
    (void)state;
    static const char *const sets[] = {"cap_prm", "cap_inh", "cap_eff", "cap_amb", "cap_bnd"};
    static const char *const caps[] = {
        "",
        "0",
        "000000000000000",   /* 15 */
        "00000000000000000", /* 17 */
        "000000000000000g",
        "00000000000000FF", /* the kernel prints lowercase */
        "0x00000000000000",
        " 000000000000000",
        "000000000000000 ",
        "-000000000000001",
        "0000000000000000\\n",
        "0000 0000 0000 0000",
        "ffffffffffffffffff",
    };
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++)
        for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
            json_t *o = good(MSG_FACTS);
            json_object_set_new(json_object_get(o, "proof"), sets[s], json_string(caps[i]));
            char label[64];
            snprintf(label, sizeof label, "%s '%s'", sets[s], caps[i]);
            reject_json(label, o, sets[s]);
        }
}

static void test_missing_cap_amb_is_a_protocol_error_never_a_verdict(void **state)
{
    (void)state;
    /* An agent of before the five sets (or one that hides its ambient set)
     * says nothing the host can decide on: the line is rejected, as a facts
     * line without its proof is, and no check is ever made from it. */
    json_t *o = good(MSG_FACTS);
    json_object_del(json_object_get(o, "proof"), "cap_amb");
    reject_json("no cap_amb", o, "field 'cap_amb' missing or not a string");
    o = good(MSG_FACTS);
    json_object_del(o, "proof");
    reject_json("no proof", o, "field 'proof' missing or not an object");
}

static void test_status_pass_never_makes_anything_but_facts(void **state)
{
    (void)state;
    /* A guest that claims a pass while its binds show the policy is off
     * still hands over plain facts, and those facts fail. */
    json_t *o = good(MSG_FACTS);
    json_object_set_new(o, "status", json_string("pass"));
    json_object_set_new(o, "verdict", json_string("pass"));
    json_object_set_new(o, "pass", json_true());
    json_object_set_new(o, "sysctl", json_string("1024"));
    json_object_set_new(o, "binds", binds_for(1024));
    struct guest_msg m;
    parse_json_ok(o, &m);
    assert_int_equal(m.kind, MSG_FACTS);
    struct checks c = {0};
    checks_expect_ports(&c, &m, 80);
    assert_false(checks_all_ok(&c));
    char *why = checks_first_failure(&c);
    assert_non_null(why);
    assert_string_equal(why, "sysctl: expected 80, got 1024");
    free(why);
    guest_msg_free(&m);

    /* The same extra field on every other kind changes nothing either. */
    for (enum msg_kind k = MSG_HELLO; k <= MSG_ERROR; k++) {
        o = good(k);
        json_object_set_new(o, "status", json_string("pass"));
        parse_json_ok(o, &m);
        assert_int_equal(m.kind, k);
        guest_msg_free(&m);
    }

    /* And "pass" smuggled in as a bind or a proof field gets nowhere. */
    o = good(MSG_FACTS);
    json_object_set_new(json_object_get(o, "binds"), "status", json_string("pass"));
    reject_json("status inside binds", o, NULL);
}

static void test_rejected_ran_leaves_no_output_and_struct_is_reusable(void **state)
{
    (void)state;
    struct guest_msg m;
    /* Parse, free, parse again into the same struct: no leak (ASan). */
    for (int i = 0; i < 3; i++) {
        parse_json_ok(good(MSG_RAN), &m);
        assert_non_null(m.output);
        guest_msg_free(&m);
    }
    /* A ran whose output is fine but another field is not. */
    json_t *o = good(MSG_RAN);
    json_object_set_new(o, "timed_out", json_string("no"));
    reject_json("ran with bad timed_out", o, "'timed_out'");
    o = good(MSG_RAN);
    json_object_set_new(o, "exit", json_integer(1000));
    reject_json("ran with bad exit", o, "'exit'");
}

/* --------------------------------------------------------------- commands */

/* Check that line is one JSON object ending in exactly one "\n", and
 * return it parsed. */
static json_t *load_command_line(const char *line)
{
    assert_non_null(line);
    size_t len = strlen(line);
    assert_true(len >= 2);
    assert_int_equal(line[len - 1], '\n');
    assert_null(memchr(line, '\n', len - 1));
    assert_null(memchr(line, '\r', len));
    assert_true(len <= PROTO_MAX_LINE);
    json_error_t jerr;
    json_t *o = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        failf("command is not JSON: %s (%s)", line, jerr.text);
    assert_true(json_is_object(o));
    return o;
}

static void test_cmd_simple_is_one_json_line_with_cmd_and_id(void **state)
{
    (void)state;
    static const char *const cmds[] = {"facts", "reboot", "poweroff"};
    static const long ids[] = {1, 2, 1L << 30};
    for (size_t i = 0; i < 3; i++) {
        char *line = proto_cmd_simple(cmds[i], ids[i]);
        json_t *o = load_command_line(line);
        assert_int_equal(json_object_size(o), 2);
        assert_string_equal(json_string_value(json_object_get(o, "cmd")), cmds[i]);
        assert_true(json_is_integer(json_object_get(o, "id")));
        assert_int_equal(json_integer_value(json_object_get(o, "id")), ids[i]);
        json_decref(o);
        free(line);
    }
    char *line = proto_cmd_simple("facts", 2);
    assert_string_equal(line, "{\"cmd\":\"facts\",\"id\":2}\n");
    free(line);
}

static void test_cmd_run_is_one_json_line_with_argv_timeout_user(void **state)
{
    (void)state;
    const char *argv[] = {"dpkg", "-i", "/run/portcheck/packages/x.deb", NULL};
    char *line = proto_cmd_run(3, argv, 300, "root");
    json_t *o = load_command_line(line);
    assert_int_equal(json_object_size(o), 5);
    assert_string_equal(json_string_value(json_object_get(o, "cmd")), "run");
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "timeout")), 300);
    assert_string_equal(json_string_value(json_object_get(o, "user")), "root");
    json_t *a = json_object_get(o, "argv");
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(json_string_value(json_array_get(a, i)), argv[i]);
    json_decref(o);
    free(line);

    /* user NULL means root; another user is passed as given. */
    line = proto_cmd_run(4, argv, 5, NULL);
    o = load_command_line(line);
    assert_string_equal(json_string_value(json_object_get(o, "user")), "root");
    json_decref(o);
    free(line);
    line = proto_cmd_run(5, argv, 5, "nobody");
    o = load_command_line(line);
    assert_string_equal(json_string_value(json_object_get(o, "user")), "nobody");
    json_decref(o);
    free(line);
}

static void test_cmd_run_escapes_hostile_argv_and_keeps_one_line(void **state)
{
    (void)state;
    const char *argv[] = {
        "sh", "-c", "echo \"hi\"\n{\"cmd\":\"reboot\",\"id\":9}\r\n", "tab\there", "back\\slash",
        "\xc3\xa9t\xc3\xa9 \xe2\x82\xac", "", "\x01\x1f\x7f", NULL,
    };
    char *line = proto_cmd_run(6, argv, 60, "root");
    json_t *o = load_command_line(line);
    json_t *a = json_object_get(o, "argv");
    assert_int_equal(json_array_size(a), 8);
    for (size_t i = 0; argv[i]; i++)
        assert_string_equal(json_string_value(json_array_get(a, i)), argv[i]);
    json_decref(o);
    free(line);
}

static void test_cmd_run_with_empty_argv_has_empty_array(void **state)
{
    (void)state;
    const char *argv[] = {NULL};
    char *line = proto_cmd_run(7, argv, 1, "root");
    json_t *o = load_command_line(line);
    json_t *a = json_object_get(o, "argv");
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), 0);
    json_decref(o);
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_parses_every_field),
        cmocka_unit_test(test_hello_accepts_utf8_os_name_and_integer_uptime),
        cmocka_unit_test(test_facts_parse_sysctl_proof_and_all_28_binds),
        cmocka_unit_test(test_facts_with_errno_name_sysctl_and_fewer_binds_parse),
        cmocka_unit_test(test_ran_parses_exit_signal_timeout_seconds_output),
        cmocka_unit_test(test_ran_killed_by_signal_after_timeout),
        cmocka_unit_test(test_ran_output_keeps_utf8_and_control_text),
        cmocka_unit_test(test_bye_parses_action),
        cmocka_unit_test(test_error_parses_text_and_id_zero_when_unknown),
        cmocka_unit_test(test_fields_in_any_order_and_whitespace_accepted),
        cmocka_unit_test(test_line_is_read_by_length_not_by_nul),
        cmocka_unit_test(test_range_boundaries_accepted),
        cmocka_unit_test(test_longest_fields_fit_and_one_more_byte_is_rejected),
        cmocka_unit_test(test_reject_not_json),
        cmocka_unit_test(test_reject_json_that_is_not_an_object),
        cmocka_unit_test(test_reject_missing_or_ill_typed_msg),
        cmocka_unit_test(test_reject_unknown_msg_kind),
        cmocka_unit_test(test_reject_every_missing_required_field),
        cmocka_unit_test(test_reject_ill_typed_fields),
        cmocka_unit_test(test_reject_out_of_range_numbers),
        cmocka_unit_test(test_reject_duplicate_keys),
        cmocka_unit_test(test_reject_line_of_65536_bytes_or_more),
        cmocka_unit_test(test_reject_embedded_nul),
        cmocka_unit_test(test_reject_invalid_utf8),
        cmocka_unit_test(test_reject_control_characters_in_text_fields),
        cmocka_unit_test(test_reject_bind_key_not_among_the_28),
        cmocka_unit_test(test_reject_bind_value_with_markup_or_quotes),
        cmocka_unit_test(test_empty_bind_value_rejected_or_never_ok),
        cmocka_unit_test(test_reject_more_than_28_binds),
        cmocka_unit_test(test_reject_caps_not_16_lowercase_hex_digits),
        cmocka_unit_test(test_missing_cap_amb_is_a_protocol_error_never_a_verdict),
        cmocka_unit_test(test_status_pass_never_makes_anything_but_facts),
        cmocka_unit_test(test_rejected_ran_leaves_no_output_and_struct_is_reusable),
        cmocka_unit_test(test_cmd_simple_is_one_json_line_with_cmd_and_id),
        cmocka_unit_test(test_cmd_run_is_one_json_line_with_argv_timeout_user),
        cmocka_unit_test(test_cmd_run_escapes_hostile_argv_and_keeps_one_line),
        cmocka_unit_test(test_cmd_run_with_empty_argv_has_empty_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
