/* Unit tests of harness/src/base/text_safe.c, the filter between what a
 * guest sends and the host's terminal and reports.
 *
 * What this proves:
 *  - ESC, BEL and the other C0 controls go (so an OSC title sequence, a CSI
 *    clear-screen or a reset is left as inert text), \n and \t stay;
 *  - DEL goes;
 *  - C1 controls go both as UTF-8 (C2 80..C2 9F: CSI is C2 9B) and as raw
 *    bytes 0x80..0x9F outside any valid sequence;
 *  - valid UTF-8 of every length, U+00A0 just past C1 included, is kept
 *    byte for byte, and other invalid bytes become '?';
 *  - a string that needs nothing removed comes back unchanged (the
 *    negative control: the filter is not a blanket rewrite). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/text_safe.h"

#include <string.h>

static void expect_stripped(const char *in, const char *want)
{
    char buf[256];
    strcpy(buf, in);
    size_t n = strip_control(buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_c0_and_del(void **state)
{
    (void)state;
    expect_stripped("a\x1b]0;pwned\x07" "b", "a]0;pwnedb");
    expect_stripped("\x1b[2J\x1b[Hclear\x1b" "c", "[2J[Hclearc");
    expect_stripped("line1\nline2\tcol\r\x7f\x01", "line1\nline2\tcol");
}

static void test_c1(void **state)
{
    (void)state;
    /* UTF-8 CSI (U+009B) and OSC (U+009D), first and last of the block. */
    expect_stripped("x\xc2\x9b" "2Jy\xc2\x9d" "0;t\xc2\x9c", "x2Jy0;t");
    expect_stripped("\xc2\x80\xc2\x9f", "");
    /* Raw 8-bit C1, not part of any sequence. */
    expect_stripped("a\x9b" "2Jb\x85", "a2Jb");
}

static void test_valid_utf8_kept(void **state)
{
    (void)state;
    const char *text = "nbsp\xc2\xa0 e\xcc\x81 \xe2\x86\x92 \xf0\x9f\x90\xa7 Debian GNU/Linux 12";
    expect_stripped(text, text);
    expect_stripped("", "");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* Overlong '/', a lone lead, a surrogate, above U+10FFFF, a stray continuation:
     * each byte on its own, so 0x80..0x9F among them is raw C1 and goes. */
    expect_stripped("\xc0\xaf|\xe2|\xed\xa0\x80|\xf4\x90\x80\x80|\xbf", "??|?|??|?|?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c0_and_del),
        cmocka_unit_test(test_c1),
        cmocka_unit_test(test_valid_utf8_kept),
        cmocka_unit_test(test_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
