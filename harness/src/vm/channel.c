/* Splitting the agent's byte stream into lines. */
#include "vm/channel.h"

#include "base/util.h"

#include <string.h>

void channel_init(struct channel *c, size_t max_line)
{
    c->max = max_line;
    c->buf = xmalloc(max_line + 1);
    c->len = 0;
    c->skipping = false;
}

void channel_free(struct channel *c)
{
    free(c->buf);
    c->buf = NULL;
}

size_t channel_feed(struct channel *c, const char *data, size_t n, enum channel_line *event)
{
    *event = CHANNEL_NONE;
    for (size_t i = 0; i < n; i++) {
        char ch = data[i];
        if (c->skipping) {
            if (ch == '\n')
                c->skipping = false;
            continue;
        }
        if (ch == '\n') {
            c->buf[c->len] = '\0';
            *event = CHANNEL_LINE;
            return i + 1;
        }
        if (c->len == c->max) {
            c->len = 0;
            c->skipping = true;
            *event = CHANNEL_OVERLONG;
            return i + 1;
        }
        c->buf[c->len++] = ch;
    }
    return n;
}

const char *channel_line(const struct channel *c, size_t *len)
{
    *len = c->len;
    return c->buf;
}

void channel_consume(struct channel *c)
{
    c->len = 0;
}
