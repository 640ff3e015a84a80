# control_bytes FILE: how many lines of FILE hold a control a terminal would
# obey: a C0 control other than \n and \t, DEL, or a C1 control as UTF-8
# (C2 80..C2 9F; C2 is never a continuation byte, so this is exact). Raw
# 0x80..0x9F bytes are not counted: they are continuation bytes of valid
# UTF-8 (the arrow in report.md has two), and no guest string gets to the
# reports as invalid UTF-8 (jansson refuses it). Used by report.bats and the
# fault suite to prove that what a guest sent reaches neither a terminal
# nor a report as a control.
control_bytes() {
    LC_ALL=C grep -c -a -P '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1" || true
}
