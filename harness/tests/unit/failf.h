/* failf(): fail the running cmocka test with a formatted message. cmocka's
 * fail_msg() writes straight to stderr, which breaks TAP when stderr is
 * merged into the log; a message given to _assert_true() is printed as a
 * "# " line after "not ok" instead. Control bytes are masked so it stays
 * one line. Include after <cmocka.h>. */
#ifndef PORTCHECK_TEST_FAILF_H
#define PORTCHECK_TEST_FAILF_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define failf(...) failf_at(__FILE__, __LINE__, __VA_ARGS__)
__attribute__((format(printf, 3, 4), unused)) static void failf_at(const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    _assert_true(0, msg, file, line);
    abort(); /* not reached: a failed assertion leaves the test */
}

#endif
