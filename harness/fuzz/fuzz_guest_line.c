/* libFuzzer target: arbitrary bytes from the guest channel through the
 * host's whole reading path, the way session.c drives it:
 *   channel_feed (in chunks of varying size) -> channel_line -> proto_parse
 *   -> checks_expect_ports (facts) -> guest_msg_free.
 * Besides what ASan/UBSan catch, it checks properties the harness relies on
 * and aborts (a crash for libFuzzer) when one breaks:
 *   - the splitter agrees with a plain reference model: every line up to the
 *     limit comes out whole and unchanged, every longer one is reported once
 *     as overlong and never comes out in parts, whatever the chunking;
 *   - a parsed message has the shape the protocol promises: a known kind,
 *     NUL-terminated fields within their buffers, token fields without
 *     quotes, markup or control characters, at most 28 binds, output only on
 *     `ran`; a rejected line leaves a reason and nothing allocated;
 *   - no facts can pass without proof of no privilege, and a pass always
 *     means the sysctl value expected.
 * Build and run: make fuzz (FUZZ_SECONDS, default 600). */
#include "vm/channel.h"
#include "run/checks.h"
#include "vm/protocol.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                                  \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "fuzz_guest_line: property broken at line %d: %s\n", __LINE__, #cond);     \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

static struct checks checks; /* 170 KB: not on the stack */

static void field_ok(const char *s, size_t size, int token)
{
    size_t n = strnlen(s, size);
    REQUIRE(n < size);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        REQUIRE(c >= 0x20 && c != 0x7f);
        if (token)
            REQUIRE(c > 0x20 && c < 0x7f && !strchr("\"'<>&`|\\", c));
    }
}

static void judge(const char *line, size_t len)
{
    struct guest_msg msg;
    char err[256];
    err[0] = '\0';
    if (!proto_parse(line, len, &msg, err, sizeof err)) {
        REQUIRE(err[0] != '\0');
        REQUIRE(msg.output == NULL);
        return;
    }
    REQUIRE(len < PROTO_MAX_LINE);
    REQUIRE(msg.kind >= MSG_HELLO && msg.kind <= MSG_ERROR);
    REQUIRE((msg.output != NULL) == (msg.kind == MSG_RAN));
    field_ok(msg.boot_id, sizeof msg.boot_id, 1);
    field_ok(msg.kernel, sizeof msg.kernel, 0);
    field_ok(msg.os, sizeof msg.os, 0);
    field_ok(msg.init, sizeof msg.init, 1);
    field_ok(msg.sysctl, sizeof msg.sysctl, 1);
    field_ok(msg.action, sizeof msg.action, 1);
    field_ok(msg.text, sizeof msg.text, 0);
    REQUIRE(msg.nbinds <= PROTO_MAX_BINDS);
    for (size_t i = 0; i < msg.nbinds; i++) {
        field_ok(msg.binds[i].what, sizeof msg.binds[i].what, 1);
        field_ok(msg.binds[i].got, sizeof msg.binds[i].got, 1);
    }
    if (msg.kind == MSG_FACTS) {
        REQUIRE(msg.proof.present);
        field_ok(msg.proof.cap_prm, sizeof msg.proof.cap_prm, 1);
        field_ok(msg.proof.cap_inh, sizeof msg.proof.cap_inh, 1);
        field_ok(msg.proof.cap_eff, sizeof msg.proof.cap_eff, 1);
        field_ok(msg.proof.cap_amb, sizeof msg.proof.cap_amb, 1);
        field_ok(msg.proof.cap_bnd, sizeof msg.proof.cap_bnd, 1);
        static const int starts[] = {80, 1024};
        for (size_t k = 0; k < 2; k++) {
            memset(&checks, 0, sizeof checks);
            checks_expect_ports(&checks, &msg, starts[k]);
            bool pass = checks_all_ok(&checks);
            char *first = checks_first_failure(&checks);
            REQUIRE(pass == (first == NULL));
            free(first);
            if (pass) {
                char want[16];
                snprintf(want, sizeof want, "%d", starts[k]);
                REQUIRE(proof_is_unprivileged(&msg.proof));
                REQUIRE(strcmp(msg.sysctl, want) == 0);
                REQUIRE(msg.proof.uid != 0 && strcmp(msg.proof.cap_prm, "0000000000000000") == 0 &&
                        strcmp(msg.proof.cap_inh, "0000000000000000") == 0 &&
                        strcmp(msg.proof.cap_eff, "0000000000000000") == 0 &&
                        strcmp(msg.proof.cap_amb, "0000000000000000") == 0);
            }
        }
    }
    guest_msg_free(&msg);
    REQUIRE(msg.output == NULL);
}

/* The reference splitter's expected events, compared as they come. */
struct expect {
    const uint8_t *data;
    size_t size, pos, max;
};

/* Next expected event from the reference model: 1 line (*start, *len),
 * 2 overlong, 0 none left. */
static int expect_next(struct expect *e, size_t *start, size_t *len)
{
    while (e->pos < e->size) {
        const uint8_t *nl = memchr(e->data + e->pos, '\n', e->size - e->pos);
        size_t seg_end = nl ? (size_t)(nl - e->data) : e->size;
        size_t seg_len = seg_end - e->pos;
        size_t seg_start = e->pos;
        e->pos = nl ? seg_end + 1 : e->size;
        if (seg_len > e->max)
            return 2;
        if (nl) {
            *start = seg_start;
            *len = seg_len;
            return 1;
        }
    }
    return 0;
}

static void split_and_judge(const uint8_t *data, size_t size, size_t max, uint32_t seed, bool parse)
{
    struct channel ch;
    channel_init(&ch, max);
    struct expect e = {.data = data, .size = size, .max = max};
    size_t pos = 0;
    uint32_t x = seed | 1;
    while (pos < size) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        size_t chunk = 1 + x % 4096;
        if (chunk > size - pos)
            chunk = size - pos;
        size_t off = 0;
        while (off < chunk) {
            enum channel_line ev;
            size_t used = channel_feed(&ch, (const char *)data + pos + off, chunk - off, &ev);
            REQUIRE(used >= 1 && used <= chunk - off);
            off += used;
            size_t start = 0, len = 0;
            if (ev == CHANNEL_LINE) {
                REQUIRE(expect_next(&e, &start, &len) == 1);
                size_t got_len;
                const char *line = channel_line(&ch, &got_len);
                REQUIRE(got_len == len && got_len <= max);
                REQUIRE(memcmp(line, data + start, len) == 0);
                REQUIRE(line[got_len] == '\0');
                if (parse)
                    judge(line, got_len);
                channel_consume(&ch);
            } else if (ev == CHANNEL_OVERLONG) {
                REQUIRE(expect_next(&e, &start, &len) == 2);
            } else {
                REQUIRE(off == chunk);
            }
        }
        pos += chunk;
    }
    size_t start, len;
    REQUIRE(expect_next(&e, &start, &len) == 0);
    channel_free(&ch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The whole input as one line, as if the splitter had passed it. */
    judge((const char *)data, size);
    uint32_t seed = 2166136261u;
    for (size_t i = 0; i < size && i < 64; i++)
        seed = (seed ^ data[i]) * 16777619u;
    /* The real limit, and a tiny one that makes overlong lines common. */
    split_and_judge(data, size, PROTO_MAX_LINE, seed, true);
    split_and_judge(data, size, 32, seed ^ 0x9e3779b9u, false);
    return 0;
}
