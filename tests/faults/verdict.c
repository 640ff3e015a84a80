/* verdict PORT_START: the host's own line splitter, parser and checks
 * (harness/src/channel.c, protocol.c, checks.c) applied to guest lines on
 * stdin, without a VM. For each line it prints one of
 *     error: REASON                       the line breaks the protocol
 *     hello | ran | bye | agent-error     another valid message
 *     facts pass                          every check held
 *     facts fail N                        N checks failed, then one line each:
 *       - WHAT expected EXPECT got GOT
 * The fault suite runs the fake agent's lies through it: the control that
 * the lies are rejected by the same code the harness runs, for the reason
 * they were meant to be. */
#include "vm/channel.h"
#include "run/checks.h"
#include "vm/protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void judge(const char *line, size_t len, int port_start)
{
    struct guest_msg msg;
    char err[256];
    if (!proto_parse(line, len, &msg, err, sizeof err)) {
        printf("error: %s\n", err);
        return;
    }
    static const char *const names[] = {"?", "hello", "facts", "ran", "bye", "agent-error"};
    if (msg.kind != MSG_FACTS) {
        printf("%s\n", names[msg.kind]);
        guest_msg_free(&msg);
        return;
    }
    static struct checks c;
    memset(&c, 0, sizeof c);
    checks_expect_ports(&c, &msg, port_start);
    if (checks_all_ok(&c)) {
        printf("facts pass\n");
    } else {
        size_t failed = 0;
        for (size_t i = 0; i < c.n; i++)
            failed += !c.v[i].ok;
        printf("facts fail %zu\n", failed);
        for (size_t i = 0; i < c.n; i++)
            if (!c.v[i].ok)
                printf("  - %s expected %s got %s\n", c.v[i].what, c.v[i].expect, c.v[i].got);
    }
    guest_msg_free(&msg);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: verdict PORT_START < lines\n");
        return 2;
    }
    int port_start = atoi(argv[1]);
    struct channel ch;
    channel_init(&ch, PROTO_MAX_LINE);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        size_t pos = 0;
        while (pos < n) {
            enum channel_line ev;
            pos += channel_feed(&ch, buf + pos, n - pos, &ev);
            if (ev == CHANNEL_OVERLONG)
                printf("error: line over %d bytes\n", PROTO_MAX_LINE);
            else if (ev == CHANNEL_LINE) {
                size_t len;
                const char *line = channel_line(&ch, &len);
                judge(line, len, port_start);
                channel_consume(&ch);
            }
        }
    }
    channel_free(&ch);
    return 0;
}
