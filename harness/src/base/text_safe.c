/* strip_control: one pass over the bytes, copying what a terminal shows as
 * text and dropping what it would obey. */
#include "base/text_safe.h"

#include <stdbool.h>

/* The length of the valid UTF-8 sequence at s (2 to 4), or 0: no overlong
 * forms, no surrogates, nothing above U+10FFFF (RFC 3629). */
static size_t utf8_sequence(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

size_t strip_control(char *str)
{
    unsigned char *s = (unsigned char *)str;
    size_t in = 0, out = 0;
    while (s[in]) {
        unsigned char c = s[in];
        if (c < 0x80) {
            if (c >= 0x20 ? c != 0x7f : c == '\n' || c == '\t')
                s[out++] = c;
            in++;
            continue;
        }
        size_t n = utf8_sequence(s + in);
        if (n == 0) {
            /* Raw C1 is dropped; any other stray byte stays visible as '?'. */
            if (c > 0x9f)
                s[out++] = '?';
            in++;
            continue;
        }
        bool c1 = c == 0xc2 && s[in + 1] <= 0x9f;
        for (size_t i = 0; i < n; i++, in++)
            if (!c1)
                s[out++] = s[in];
    }
    s[out] = '\0';
    return out;
}
