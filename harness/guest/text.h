/* Text helpers: errno names, trimming, and turning arbitrary bytes into
 * the valid UTF-8 that jansson (and the host) require. */
#ifndef PORTCHECK_TEXT_H
#define PORTCHECK_TEXT_H

#include <jansson.h>
#include <stddef.h>

/* "EACCES" for EACCES; never NULL. */
const char *errno_name(int err);

/* Strips leading and trailing whitespace in place; returns s. */
char *trim(char *s);

/* Copies in[0..n) to out as valid UTF-8: each byte that does not start a
 * well-formed sequence becomes U+FFFD, NUL bytes are dropped. out must hold
 * 3 * n + 1 bytes. Returns the length written (out is NUL-terminated). */
size_t utf8_sanitize(const char *in, size_t n, char *out);

/* A JSON string of the bytes in[0..n), sanitized as above; NULL only when
 * out of memory. */
json_t *json_bytes(const char *in, size_t n);

/* json_bytes() of a C string. */
json_t *json_text(const char *s);

#endif
