/* Unit tests of harness/src/channel.c, which splits the byte stream from
 * the guest into bounded lines.
 *
 * What this proves:
 *  - a line split across feeds (down to one byte per feed) comes out
 *    whole, and only once its newline has arrived;
 *  - several lines in one feed come out one at a time: channel_feed stops
 *    right after each newline and says how many bytes it took;
 *  - a line of exactly the limit is a line; one byte more is reported as
 *    CHANNEL_OVERLONG exactly once, the rest of it up to its newline is
 *    skipped (even across feeds, even when the tail looks like a valid
 *    message), and the next line comes out intact;
 *  - empty lines, NUL bytes and CR are passed through with their length
 *    for the parser to judge;
 *  - with the real limit (PROTO_MAX_LINE) channel and parser together
 *    accept a 65535-byte line and refuse every longer one.
 * channel_free releases everything (run under ASan with leak checks). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vm/channel.h"
#include "vm/protocol.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What came out of a stream, in order: lines (as copies) and overlong
 * events. */
#define MAX_EVENTS 16

struct outcome {
    size_t n;
    struct {
        enum channel_line kind;
        char *line;
        size_t len;
    } ev[MAX_EVENTS];
    size_t calls; /* how many channel_feed calls it took */
};

static void outcome_free(struct outcome *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->ev[i].line);
    memset(o, 0, sizeof *o);
}

/* Feed data as the session does: call channel_feed until every byte is
 * taken, collecting each event and consuming each line. */
static void feed_all(struct channel *c, const char *data, size_t n, struct outcome *o)
{
    size_t pos = 0;
    while (pos < n) {
        enum channel_line ev = CHANNEL_LINE; /* channel_feed must overwrite it */
        size_t took = channel_feed(c, data + pos, n - pos, &ev);
        o->calls++;
        assert_true(took > 0);
        assert_true(took <= n - pos);
        pos += took;
        if (ev == CHANNEL_NONE) {
            /* No event means every byte given was taken. */
            assert_int_equal(pos, n);
            continue;
        }
        assert_true(o->n < MAX_EVENTS);
        o->ev[o->n].kind = ev;
        if (ev == CHANNEL_LINE) {
            /* The event came right after a newline. */
            assert_int_equal(data[pos - 1], '\n');
            size_t len;
            const char *line = channel_line(c, &len);
            assert_int_equal(line[len], '\0');
            o->ev[o->n].line = malloc(len + 1);
            assert_non_null(o->ev[o->n].line);
            memcpy(o->ev[o->n].line, line, len + 1);
            o->ev[o->n].len = len;
            channel_consume(c);
        } else {
            assert_int_equal(ev, CHANNEL_OVERLONG);
        }
        o->n++;
    }
}

static void feed_str(struct channel *c, const char *s, struct outcome *o)
{
    feed_all(c, s, strlen(s), o);
}

static void assert_line(const struct outcome *o, size_t i, const char *want)
{
    assert_true(i < o->n);
    assert_int_equal(o->ev[i].kind, CHANNEL_LINE);
    assert_int_equal(o->ev[i].len, strlen(want));
    assert_string_equal(o->ev[i].line, want);
}

static void assert_overlong(const struct outcome *o, size_t i)
{
    assert_true(i < o->n);
    assert_int_equal(o->ev[i].kind, CHANNEL_OVERLONG);
}

static char *repeat(char ch, size_t n, const char *suffix)
{
    size_t sl = strlen(suffix);
    char *s = malloc(n + sl + 1);
    assert_non_null(s);
    memset(s, ch, n);
    memcpy(s + n, suffix, sl + 1);
    return s;
}

/* --------------------------------------------------------------- splitting */

static void test_one_line_in_one_feed(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 64);
    enum channel_line ev;
    assert_int_equal(channel_feed(&c, "hello\n", 6, &ev), 6);
    assert_int_equal(ev, CHANNEL_LINE);
    size_t len = 99;
    const char *line = channel_line(&c, &len);
    assert_int_equal(len, 5);
    assert_string_equal(line, "hello");
    channel_consume(&c);
    channel_free(&c);
    assert_null(c.buf);
}

static void test_line_split_across_feeds_waits_for_newline(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 64);
    enum channel_line ev;
    assert_int_equal(channel_feed(&c, "{\"msg\":", 7, &ev), 7);
    assert_int_equal(ev, CHANNEL_NONE);
    assert_int_equal(channel_feed(&c, "\"bye\"", 5, &ev), 5);
    assert_int_equal(ev, CHANNEL_NONE);
    assert_int_equal(channel_feed(&c, "}", 1, &ev), 1);
    assert_int_equal(ev, CHANNEL_NONE);
    assert_int_equal(channel_feed(&c, "\n", 1, &ev), 1);
    assert_int_equal(ev, CHANNEL_LINE);
    size_t len;
    assert_string_equal(channel_line(&c, &len), "{\"msg\":\"bye\"}");
    assert_int_equal(len, 13);
    channel_consume(&c);
    channel_free(&c);
}

static void test_line_fed_one_byte_at_a_time(void **state)
{
    (void)state;
    const char *s = "{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"}\nsecond\n";
    struct channel c;
    channel_init(&c, 64);
    struct outcome o = {0};
    for (size_t i = 0; s[i]; i++)
        feed_all(&c, s + i, 1, &o);
    assert_int_equal(o.n, 2);
    assert_line(&o, 0, "{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"}");
    assert_line(&o, 1, "second");
    outcome_free(&o);
    channel_free(&c);
}

static void test_feed_stops_after_each_line_of_several(void **state)
{
    (void)state;
    const char *s = "a\nbb\nccc\ndd";
    struct channel c;
    channel_init(&c, 64);
    enum channel_line ev;
    size_t len;

    assert_int_equal(channel_feed(&c, s, strlen(s), &ev), 2);
    assert_int_equal(ev, CHANNEL_LINE);
    assert_string_equal(channel_line(&c, &len), "a");
    channel_consume(&c);

    assert_int_equal(channel_feed(&c, s + 2, strlen(s) - 2, &ev), 3);
    assert_int_equal(ev, CHANNEL_LINE);
    assert_string_equal(channel_line(&c, &len), "bb");
    channel_consume(&c);

    assert_int_equal(channel_feed(&c, s + 5, strlen(s) - 5, &ev), 4);
    assert_int_equal(ev, CHANNEL_LINE);
    assert_string_equal(channel_line(&c, &len), "ccc");
    channel_consume(&c);

    /* The unfinished "dd" is kept for later. */
    assert_int_equal(channel_feed(&c, s + 9, 2, &ev), 2);
    assert_int_equal(ev, CHANNEL_NONE);
    assert_int_equal(channel_feed(&c, "d\n", 2, &ev), 2);
    assert_int_equal(ev, CHANNEL_LINE);
    assert_string_equal(channel_line(&c, &len), "ddd");
    assert_int_equal(len, 3);
    channel_consume(&c);
    channel_free(&c);
}

static void test_lines_and_fragments_in_any_chunking(void **state)
{
    (void)state;
    /* The same stream cut into every chunk size gives the same lines. */
    const char *s = "first line\n\nthird\r\n{\"msg\":\"hello\"}\nlast\n";
    for (size_t chunk = 1; chunk <= strlen(s); chunk++) {
        struct channel c;
        channel_init(&c, 32);
        struct outcome o = {0};
        for (size_t off = 0; off < strlen(s); off += chunk) {
            size_t n = strlen(s) - off < chunk ? strlen(s) - off : chunk;
            feed_all(&c, s + off, n, &o);
        }
        assert_int_equal(o.n, 5);
        assert_line(&o, 0, "first line");
        assert_line(&o, 1, "");
        assert_line(&o, 2, "third\r");
        assert_line(&o, 3, "{\"msg\":\"hello\"}");
        assert_line(&o, 4, "last");
        outcome_free(&o);
        channel_free(&c);
    }
}

static void test_empty_feed_takes_nothing(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 8);
    enum channel_line ev = CHANNEL_LINE;
    assert_int_equal(channel_feed(&c, "", 0, &ev), 0);
    assert_int_equal(ev, CHANNEL_NONE);
    channel_free(&c);
}

static void test_empty_line_is_a_line_of_length_zero(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 8);
    struct outcome o = {0};
    feed_str(&c, "\n\n", &o);
    assert_int_equal(o.n, 2);
    assert_line(&o, 0, "");
    assert_line(&o, 1, "");
    outcome_free(&o);
    channel_free(&c);
}

static void test_nul_bytes_pass_through_with_the_length(void **state)
{
    (void)state;
    static const char s[] = "a\0b\n";
    struct channel c;
    channel_init(&c, 8);
    enum channel_line ev;
    assert_int_equal(channel_feed(&c, s, sizeof s - 1, &ev), 4);
    assert_int_equal(ev, CHANNEL_LINE);
    size_t len;
    const char *line = channel_line(&c, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(line, "a\0b", 4);
    /* ... and the parser refuses it. */
    struct guest_msg m;
    char err[128];
    assert_false(proto_parse(line, len, &m, err, sizeof err));
    channel_consume(&c);
    channel_free(&c);
}

/* ---------------------------------------------------------------- the limit */

static void test_exactly_max_length_line_is_a_line(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 16);
    struct outcome o = {0};
    char *s = repeat('x', 16, "\n");
    feed_str(&c, s, &o);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.ev[0].kind, CHANNEL_LINE);
    assert_int_equal(o.ev[0].len, 16);
    assert_int_equal(strspn(o.ev[0].line, "x"), 16);
    outcome_free(&o);

    /* Split just before the newline: still a line of 16. */
    feed_all(&c, s, 16, &o);
    assert_int_equal(o.n, 0);
    feed_str(&c, "\n", &o);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.ev[0].len, 16);
    outcome_free(&o);
    free(s);
    channel_free(&c);
}

static void test_max_plus_one_is_overlong_once_and_rest_skipped(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 8);
    const char *s = "123456789abcdef\nnext\n";
    enum channel_line ev;
    /* The ninth byte is one too many: reported as soon as it arrives. */
    assert_int_equal(channel_feed(&c, s, strlen(s), &ev), 9);
    assert_int_equal(ev, CHANNEL_OVERLONG);
    /* The tail up to the newline goes silently, then "next" comes out. */
    size_t took = channel_feed(&c, s + 9, strlen(s) - 9, &ev);
    assert_int_equal(ev, CHANNEL_LINE);
    assert_int_equal(took, strlen("abcdef\nnext\n"));
    size_t len;
    assert_string_equal(channel_line(&c, &len), "next");
    assert_int_equal(len, 4);
    channel_consume(&c);
    channel_free(&c);

    /* The same through the session-style loop: one overlong, one line. */
    channel_init(&c, 8);
    struct outcome o = {0};
    feed_str(&c, s, &o);
    assert_int_equal(o.n, 2);
    assert_overlong(&o, 0);
    assert_line(&o, 1, "next");
    outcome_free(&o);
    channel_free(&c);
}

static void test_overlong_by_exactly_one_byte(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 16);
    struct outcome o = {0};
    char *s = repeat('y', 17, "\nfine\n");
    feed_str(&c, s, &o);
    assert_int_equal(o.n, 2);
    assert_overlong(&o, 0);
    assert_line(&o, 1, "fine");
    outcome_free(&o);
    free(s);
    channel_free(&c);
}

static void test_overlong_tail_across_feeds_never_becomes_a_line(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 8);
    struct outcome o = {0};
    feed_str(&c, "AAAAAAAAA", &o); /* 9 bytes: overlong at once */
    assert_int_equal(o.n, 1);
    assert_overlong(&o, 0);
    /* The tail looks like a message of its own; it must not be one. */
    feed_str(&c, "BBBB", &o);
    feed_str(&c, "{\"msg\":\"facts\",\"status\":\"pass\"}", &o);
    feed_str(&c, "CCCCCCCCCCCCCCCCCCCCCCCCCCCC", &o);
    assert_int_equal(o.n, 1);
    feed_str(&c, "\n", &o);
    assert_int_equal(o.n, 1);
    feed_str(&c, "ok", &o);
    assert_int_equal(o.n, 1);
    feed_str(&c, "\n", &o);
    assert_int_equal(o.n, 2);
    assert_line(&o, 1, "ok");
    outcome_free(&o);
    channel_free(&c);
}

static void test_overlong_exactly_at_end_of_feed(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 4);
    enum channel_line ev;
    assert_int_equal(channel_feed(&c, "12345", 5, &ev), 5);
    assert_int_equal(ev, CHANNEL_OVERLONG);
    /* The newline that ends the skipped line is no line. */
    assert_int_equal(channel_feed(&c, "\n", 1, &ev), 1);
    assert_int_equal(ev, CHANNEL_NONE);
    assert_int_equal(channel_feed(&c, "1234\n", 5, &ev), 5);
    assert_int_equal(ev, CHANNEL_LINE);
    size_t len;
    assert_string_equal(channel_line(&c, &len), "1234");
    channel_consume(&c);
    channel_free(&c);
}

static void test_each_overlong_line_reported_once(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 4);
    struct outcome o = {0};
    feed_str(&c, "aaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbbb\nc\ndddddd\n\n", &o);
    assert_int_equal(o.n, 5);
    assert_overlong(&o, 0);
    assert_overlong(&o, 1);
    assert_line(&o, 2, "c");
    assert_overlong(&o, 3);
    assert_line(&o, 4, "");
    outcome_free(&o);
    channel_free(&c);
}

static void test_line_before_overlong_is_intact(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 4);
    struct outcome o = {0};
    feed_str(&c, "abcd\nabcde\nab\n", &o);
    assert_int_equal(o.n, 3);
    assert_line(&o, 0, "abcd");
    assert_overlong(&o, 1);
    assert_line(&o, 2, "ab");
    outcome_free(&o);
    channel_free(&c);
}

static void test_zero_limit_allows_only_empty_lines(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, 0);
    struct outcome o = {0};
    feed_str(&c, "\nx\n\n", &o);
    assert_int_equal(o.n, 3);
    assert_line(&o, 0, "");
    assert_overlong(&o, 1);
    assert_line(&o, 2, "");
    outcome_free(&o);
    channel_free(&c);
}

/* A valid bye of exactly len bytes (spaces before the closing brace). */
static char *bye_of_length(size_t len)
{
    const char *head = "{\"msg\":\"bye\",\"id\":4,\"action\":\"reboot\"";
    char *s = repeat(' ', len + 1, "");
    memcpy(s, head, strlen(head));
    s[len - 1] = '}';
    s[len] = '\n';
    return s; /* len bytes + "\n" */
}

static void test_real_limit_with_parser_accepts_65535_and_refuses_more(void **state)
{
    (void)state;
    struct channel c;
    channel_init(&c, PROTO_MAX_LINE);
    static const size_t lens[] = {PROTO_MAX_LINE - 1, PROTO_MAX_LINE, PROTO_MAX_LINE + 1, 3 * PROTO_MAX_LINE};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char *s = bye_of_length(lens[i]);
        size_t total = lens[i] + 1;
        size_t pos = 0, lines = 0, overlong = 0, accepted = 0;
        /* Fed in 4 KiB chunks, as recv() would hand them over. */
        while (pos < total) {
            size_t n = total - pos < 4096 ? total - pos : 4096;
            enum channel_line ev;
            pos += channel_feed(&c, s + pos, n, &ev);
            if (ev == CHANNEL_OVERLONG)
                overlong++;
            if (ev == CHANNEL_LINE) {
                lines++;
                size_t len;
                const char *line = channel_line(&c, &len);
                assert_int_equal(len, lens[i]);
                struct guest_msg m;
                char err[200];
                if (proto_parse(line, len, &m, err, sizeof err)) {
                    accepted++;
                    guest_msg_free(&m);
                }
                channel_consume(&c);
            }
        }
        if (lens[i] < PROTO_MAX_LINE) {
            assert_int_equal(accepted, 1);
            assert_int_equal(overlong, 0);
        } else {
            assert_int_equal(accepted, 0);
            assert_int_equal(lines + overlong, 1);
        }
        free(s);
        /* A normal line still follows. */
        struct outcome o = {0};
        feed_str(&c, "{\"msg\":\"bye\",\"id\":5,\"action\":\"poweroff\"}\n", &o);
        assert_int_equal(o.n, 1);
        assert_line(&o, 0, "{\"msg\":\"bye\",\"id\":5,\"action\":\"poweroff\"}");
        outcome_free(&o);
    }
    channel_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_line_in_one_feed),
        cmocka_unit_test(test_line_split_across_feeds_waits_for_newline),
        cmocka_unit_test(test_line_fed_one_byte_at_a_time),
        cmocka_unit_test(test_feed_stops_after_each_line_of_several),
        cmocka_unit_test(test_lines_and_fragments_in_any_chunking),
        cmocka_unit_test(test_empty_feed_takes_nothing),
        cmocka_unit_test(test_empty_line_is_a_line_of_length_zero),
        cmocka_unit_test(test_nul_bytes_pass_through_with_the_length),
        cmocka_unit_test(test_exactly_max_length_line_is_a_line),
        cmocka_unit_test(test_max_plus_one_is_overlong_once_and_rest_skipped),
        cmocka_unit_test(test_overlong_by_exactly_one_byte),
        cmocka_unit_test(test_overlong_tail_across_feeds_never_becomes_a_line),
        cmocka_unit_test(test_overlong_exactly_at_end_of_feed),
        cmocka_unit_test(test_each_overlong_line_reported_once),
        cmocka_unit_test(test_line_before_overlong_is_intact),
        cmocka_unit_test(test_zero_limit_allows_only_empty_lines),
        cmocka_unit_test(test_real_limit_with_parser_accepts_65535_and_refuses_more),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
