/* Text helpers: errno names, trimming, UTF-8 sanitizing for JSON output. */
#define _GNU_SOURCE
#include "text.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *errno_name(int err)
{
    const char *name = strerrorname_np(err);
    return name ? name : "EUNKNOWN";
}

char *trim(char *s)
{
    size_t len = strlen(s);
    size_t start = 0;

    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    while (start < len && isspace((unsigned char)s[start]))
        start++;
    memmove(s, s + start, len - start);
    s[len - start] = '\0';
    return s;
}

/* Length of the well-formed UTF-8 sequence at in[0..n), or 0. The ranges
 * follow RFC 3629, so overlong forms, surrogates and code points above
 * U+10FFFF are rejected exactly as jansson rejects them. */
static size_t utf8_sequence(const unsigned char *in, size_t n)
{
    unsigned char c = in[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c == 0xE0)
        len = 3, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
        len = 3;
    else if (c == 0xED)
        len = 3, hi = 0x9F;
    else if (c == 0xF0)
        len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3)
        len = 4;
    else if (c == 0xF4)
        len = 4, hi = 0x8F;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        unsigned char d = in[k];
        if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xBF))
            return 0;
    }
    return len;
}

size_t utf8_sanitize(const char *in, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t o = 0;

    for (size_t i = 0; i < n;) {
        size_t len;

        if (u[i] == 0) {
            i++;
            continue;
        }
        len = utf8_sequence(u + i, n - i);
        if (len == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, in + i, len);
            o += len;
            i += len;
        }
    }
    out[o] = '\0';
    return o;
}

json_t *json_bytes(const char *in, size_t n)
{
    char *clean = malloc(3 * n + 1);
    json_t *s;

    if (!clean)
        return NULL;
    utf8_sanitize(in, n, clean);
    s = json_string(clean);
    free(clean);
    return s;
}

json_t *json_text(const char *s)
{
    return json_bytes(s, strlen(s));
}
