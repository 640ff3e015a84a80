/* Text from the guest made safe for a terminal and for files people open in
 * one: what the guest sends (console lines, command output, hello fields)
 * must not move the cursor, retitle the window or clear the screen when the
 * host prints it or a reader cats report.md. */
#ifndef PORTCHECK_TEXT_SAFE_H
#define PORTCHECK_TEXT_SAFE_H

#include <stddef.h>

/* Remove, in place, every C0 control but \n and \t, DEL, and every C1
 * control: U+0080..U+009F as UTF-8 (C2 80..C2 9F) and raw 0x80..0x9F bytes
 * that are not part of valid UTF-8 (an 8-bit terminal reads them as CSI,
 * OSC and the rest). Other bytes of invalid UTF-8 become '?', so the result
 * is valid UTF-8. Returns the new length. */
size_t strip_control(char *s);

#endif
