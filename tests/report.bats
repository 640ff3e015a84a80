#!/usr/bin/env bats
# The evidence outputs, rendered from saved reports (no VM boots here):
# report.html is one self-contained file that a real browser renders with
# the matrix, the chart and every status; junit.xml validates against the
# Jenkins-style schema in harness/schema/junit.xsd; the TAP parses as TAP.
# Three inputs: tests/fixtures/report.json (a real all-pass run),
# tests/fixtures/report-mixed.json (fail, error, skip, an unknown status,
# a missing scenario, and strings full of markup, to prove the escaping)
# and tests/fixtures/report-reordered.json (two images that ran different
# scenarios in different orders: every format lines cells up by name).
# PORTCHECK=... runs another build (e.g. ASan).

bats_require_minimum_version 1.5.0

load control_bytes

setup() {
    cd "$BATS_TEST_DIRNAME/.."
    PORTCHECK=${PORTCHECK:-$PWD/harness/build/portcheck}
    PASS=$PWD/tests/fixtures/report.json
    MIXED=$PWD/tests/fixtures/report-mixed.json
    REORDERED=$PWD/tests/fixtures/report-reordered.json
    XSD=$PWD/harness/schema/junit.xsd
}

# Headless Chromium (Debian's chromium package), as root, with no network
# at all: a private network namespace, so nothing could be fetched even if
# the page asked for it.
chromium_run() {
    command -v chromium >/dev/null || {
        echo "chromium is missing: tools/ensure-packages chromium" >&2
        return 1
    }
    local profile
    profile=$(mktemp -d "$BATS_TEST_TMPDIR/chromium.XXXXXX")
    unshare --net timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" "$@" 2>/dev/null
}

# count FILE STRING: how many times STRING occurs in FILE.
count() {
    grep -o -F -- "$2" "$1" | wc -l
}

html_of() {
    run -0 "$PORTCHECK" report "$1" --format html --output "$2"
    [ -s "$2" ]
}

@test "html: one self-contained, well-formed file with the matrix, chart, details and sections" {
    html_of "$PASS" "$BATS_TEST_TMPDIR/r.html"
    f=$BATS_TEST_TMPDIR/r.html
    [ "$(head -c 15 "$f")" = "<!DOCTYPE html>" ]
    # Well-formed XML too: every string from the report was escaped.
    run -0 xmllint --noout "$f"
    # Nothing external: no script, stylesheet link, image, frame, import or URL.
    run ! grep -Eiq '<script|<link|<img|<iframe|<object|<embed|@import|url\(|src=|href="(https?:)?//' "$f"
    [ "$(count "$f" 'td class="cell pass"')" -eq 3 ]
    [ "$(count "$f" '<details id=')" -eq 3 ]
    [ "$(count "$f" '<table class="checks">')" -eq 3 ]
    [ "$(count "$f" '<rect class="bar"')" -eq 1 ]
    grep -q 'every scenario that ran passed' "$f"
    grep -q '<h2 id="security">Security trade-off</h2>' "$f"
    grep -q '<h2 id="negative-controls">Negative controls</h2>' "$f"
    grep -q 'baseline (no package): ip_unprivileged_port_start = 1024' "$f"
    # No leftover temporary file: written atomically.
    run ! compgen -G "$BATS_TEST_TMPDIR/r.html.tmp*"
}

@test "html: fail, error, skip, unknown and missing cells get their classes; markup in strings is escaped" {
    html_of "$MIXED" "$BATS_TEST_TMPDIR/m.html"
    f=$BATS_TEST_TMPDIR/m.html
    run -0 xmllint --noout "$f"
    [ "$(count "$f" 'td class="cell pass"')" -eq 1 ]
    [ "$(count "$f" 'td class="cell fail"')" -eq 1 ]
    [ "$(count "$f" 'td class="cell error"')" -eq 2 ]
    [ "$(count "$f" 'td class="cell skip"')" -eq 3 ]
    [ "$(count "$f" 'td class="cell none"')" -eq 2 ]
    # Only the four known classes ever appear, whatever the report says.
    run -0 grep -Eo 'class="(cell|badge) [^"]*"' "$f"
    run ! grep -Ev '"(cell|badge) (pass|fail|skip|error|none)"' <<<"$output"
    run ! grep -q '<script>' "$f"
    grep -q '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;' "$f"
    grep -q 'fedora-40 &lt;img src=x&gt;' "$f"
    grep -q 'Result: 1 passed, 1 failed, 2 errors, 3 skipped' "$f"
    grep -q 'This run was interrupted' "$f"
    # What did not pass is open; the one pass is not.
    [ "$(count "$f" 'open="open"')" -eq 6 ]
    grep -q '<tr class="mismatch"><td>sysctl</td><td>80</td><td>1024</td>' "$f"
    grep -q '>no boots</text>' "$f"
}

@test "html: headless Chromium renders both reports: a real screenshot and the matrix cells in the DOM" {
    for name in pass mixed; do
        src=$PASS
        [ "$name" = mixed ] && src=$MIXED
        html_of "$src" "$BATS_TEST_TMPDIR/$name.html"
        chromium_run --window-size=1280,1600 --screenshot="$BATS_TEST_TMPDIR/$name.png" \
            "file://$BATS_TEST_TMPDIR/$name.html"
        png=$BATS_TEST_TMPDIR/$name.png
        # A PNG of the window's size, and not a blank page (those compress to a few kB).
        [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
        [ "$(od -An -tu1 -j16 -N8 "$png" | awk '{print $3*256+$4, $7*256+$8}')" = "1280 1600" ]
        [ "$(stat -c %s "$png")" -gt 30000 ]
        chromium_run --dump-dom "file://$BATS_TEST_TMPDIR/$name.html" > "$BATS_TEST_TMPDIR/$name.dom"
        dom=$BATS_TEST_TMPDIR/$name.dom
        grep -q '<svg id="boot-chart"' "$dom"
        if [ "$name" = pass ]; then
            [ "$(count "$dom" 'td class="cell pass"')" -eq 3 ]
        else
            [ "$(count "$dom" 'td class="cell pass"')" -eq 1 ]
            [ "$(count "$dom" 'td class="cell fail"')" -eq 1 ]
            [ "$(count "$dom" 'td class="cell error"')" -eq 2 ]
            [ "$(count "$dom" 'td class="cell skip"')" -eq 3 ]
            # The escaped markup stayed text: the browser built no element from it.
            run ! grep -q '<img src="x"' "$dom"
            run ! grep -q '<script>alert' "$dom"
        fi
    done
}

@test "html: report --format html to stdout is the same document" {
    run -0 "$PORTCHECK" report "$PASS" --format html
    [[ "${lines[0]}" == "<!DOCTYPE html>" ]]
    [[ "${lines[-1]}" == "</html>" ]]
    run "$PORTCHECK" report "$PASS" --format pdf
    [ "$status" -eq 2 ]
    [[ "$output" == *"md, html, junit, tap, json, fedora-change or debian-bug"* ]]
}

@test "junit: both reports validate against harness/schema/junit.xsd" {
    for src in "$PASS" "$MIXED"; do
        run -0 "$PORTCHECK" report "$src" --format junit --output "$BATS_TEST_TMPDIR/junit.xml"
        run -0 xmllint --noout --schema "$XSD" "$BATS_TEST_TMPDIR/junit.xml"
    done
    x=$BATS_TEST_TMPDIR/junit.xml
    grep -q '<testsuite name="debian-bookworm" tests="3" failures="1" errors="1" skipped="0"' "$x"
    grep -q '<skipped message="no rpm package given: pass --package FILE.rpm"/>' "$x"
    # An unknown status is an error, and its text is not echoed into an attribute.
    grep -q '<testcase classname="debian-sid" name="baseline" time="15.084">' "$x"
    run ! grep -q 'weird' "$x"
}

@test "junit: the schema can fail (negative controls)" {
    run -0 "$PORTCHECK" report "$MIXED" --format junit --output "$BATS_TEST_TMPDIR/junit.xml"
    # A testcase without a name, and skipped on testsuites (Jenkins has it on testsuite only).
    sed 's/<testcase classname="debian-bookworm" name="baseline"/<testcase classname="debian-bookworm"/' \
        "$BATS_TEST_TMPDIR/junit.xml" > "$BATS_TEST_TMPDIR/noname.xml"
    run xmllint --noout --schema "$XSD" "$BATS_TEST_TMPDIR/noname.xml"
    [ "$status" -ne 0 ]
    sed 's/<testsuites name="portcheck"/<testsuites name="portcheck" skipped="3"/' \
        "$BATS_TEST_TMPDIR/junit.xml" > "$BATS_TEST_TMPDIR/rootskip.xml"
    run xmllint --noout --schema "$XSD" "$BATS_TEST_TMPDIR/rootskip.xml"
    [ "$status" -ne 0 ]
}

# tap_summary FILE: "tests passed failed skipped parse_errors plan" as TAP::Parser (prove's parser) sees it.
tap_summary() {
    perl -MTAP::Parser -e '
        my $p = TAP::Parser->new({source => $ARGV[0]});
        while (my $r = $p->next) { }
        print join(" ", $p->tests_run, scalar($p->passed), scalar($p->failed), scalar($p->skipped),
                   scalar($p->parse_errors), $p->plan), "\n";' "$1"
}

@test "tap: report --format tap parses as TAP, and its counts are the report's" {
    run -0 "$PORTCHECK" report "$PASS" --format tap --output "$BATS_TEST_TMPDIR/pass.tap"
    [ "$(tap_summary "$BATS_TEST_TMPDIR/pass.tap")" = "3 3 0 0 0 1..3" ]
    run -0 "$PORTCHECK" report "$MIXED" --format tap --output "$BATS_TEST_TMPDIR/mixed.tap"
    # 7 tests: 1 pass and 3 skips count as passed, 1 fail and 2 errors as failed.
    [ "$(tap_summary "$BATS_TEST_TMPDIR/mixed.tap")" = "7 4 3 3 0 1..7" ]
    # prove itself agrees that the mixed run fails.
    run prove --exec cat "$BATS_TEST_TMPDIR/mixed.tap"
    [ "$status" -ne 0 ]
    run -0 prove --exec cat "$BATS_TEST_TMPDIR/pass.tap"
}

@test "matrix: two images with different scenarios in different orders line up by name in md and html" {
    # Columns: every name in the order first seen; "–" where an image did not run one.
    run -0 "$PORTCHECK" report "$REORDERED" --format md
    md=$output
    grep -qxF '| image | kernel | init | package | baseline | install | kernel-cmdline | reboot |' <<<"$md"
    grep -qxF '| debian-bookworm | 6.1.0-50-amd64 | systemd |  | pass | **FAIL** | skip | – |' <<<"$md"
    grep -qxF '| fedora-40 | 6.8.5-301.fc40.x86_64 | systemd |  | skip | – | pass | **ERROR** |' <<<"$md"
    html_of "$REORDERED" "$BATS_TEST_TMPDIR/o.html"
    run -0 xmllint --noout "$BATS_TEST_TMPDIR/o.html"
    # Each row's cells, in column order: the status class of each.
    cells() {
        grep -F "<a href=\"#img$1\">" "$BATS_TEST_TMPDIR/o.html" | grep -o 'class="cell [a-z]*"' | cut -d' ' -f2 | tr -d '"' | tr '\n' ' '
    }
    [ "$(cells 0)" = "pass fail skip none " ]
    [ "$(cells 1)" = "skip none pass error " ]
    # The cell links to the image's own scenario, wherever it sits in that run.
    grep -qF '<td class="cell pass"><a href="#img1-sc0">pass</a></td>' "$BATS_TEST_TMPDIR/o.html"
    grep -qF '<td class="cell skip" title="no rpm package given"><a href="#img1-sc2">skip</a></td>' "$BATS_TEST_TMPDIR/o.html"
}

@test "md and html carry the same prose: negative controls and the security trade-off" {
    run -0 "$PORTCHECK" report "$MIXED" --format md
    md=$output
    html_of "$MIXED" "$BATS_TEST_TMPDIR/p.html"
    for title in "Negative controls" "Security trade-off"; do
        grep -qxF "## $title" <<<"$md"
        grep -qF ">$title</h2>" "$BATS_TEST_TMPDIR/p.html"
    done
    grep -qF -- '- debian-bookworm, baseline (no package): ip_unprivileged_port_start = 1024, unprivileged bind to tcp4:80 → EACCES (pass).' <<<"$md"
    grep -qF '<li>debian-bookworm, baseline (no package): ip_unprivileged_port_start = 1024, unprivileged bind to tcp4:80 → EACCES (<span class="badge pass">pass</span>).</li>' \
        "$BATS_TEST_TMPDIR/p.html"
    grep -qF 'Opting out is one file: `ln -s /dev/null /etc/sysctl.d/30-unprivileged-ports.conf`' <<<"$md"
    grep -qF 'Opting out is one file: <code>ln -s /dev/null /etc/sysctl.d/30-unprivileged-ports.conf</code>' \
        "$BATS_TEST_TMPDIR/p.html"
}

@test "terminal escapes from the guest never reach a rendered report (md, html, junit, tap, json)" {
    # ESC ] 0 ; title BEL, CSI 2J (clear screen), ESC c (reset), C1 CSI as UTF-8 (U+009B), in every kind of field.
    evil=$'\e]0;pwned\a\e[2J\ec\u009b2J'
    jq --arg e "$evil" '.runs[0].os = "OS\($e)" | .runs[0].image = "img\($e)" | .runs[1].scenarios[1].reason = "why\($e)"
        | .runs[0].scenarios[0].name = "baseline\($e)" | .command = "portcheck\($e)"' "$REORDERED" > "$BATS_TEST_TMPDIR/evil.json"
    # The negative control: the input holds them, as JSON escapes.
    grep -qF '\u001b]0;pwned\u0007' "$BATS_TEST_TMPDIR/evil.json"
    for fmt in md html junit tap json; do
        run -0 "$PORTCHECK" report "$BATS_TEST_TMPDIR/evil.json" --format "$fmt" --output "$BATS_TEST_TMPDIR/evil.$fmt"
        echo "$fmt: $(control_bytes "$BATS_TEST_TMPDIR/evil.$fmt")"
        [ "$(control_bytes "$BATS_TEST_TMPDIR/evil.$fmt")" = 0 ]
    done
    # The text around them survives, inert.
    grep -qF 'OS]0;pwned[2Jc2J' "$BATS_TEST_TMPDIR/evil.md"
    grep -qF 'why]0;pwned[2Jc2J' "$BATS_TEST_TMPDIR/evil.html"
    # The control for control_bytes itself: it sees a raw ESC and a UTF-8 C1.
    printf 'a\033b\n' > "$BATS_TEST_TMPDIR/esc"
    [ "$(control_bytes "$BATS_TEST_TMPDIR/esc")" = 1 ]
    printf 'a\302\233b\n' > "$BATS_TEST_TMPDIR/c1"
    [ "$(control_bytes "$BATS_TEST_TMPDIR/c1")" = 1 ]
}

@test "md escapes markup in table cells: <, >, &, | and backticks" {
    jq '.runs[0].scenarios[1].reason = "a <b> & c | d `e`"' "$REORDERED" > "$BATS_TEST_TMPDIR/cells.json"
    run -0 "$PORTCHECK" report "$BATS_TEST_TMPDIR/cells.json" --format md
    grep -qF '| install | **FAIL** | 2.0 | 0/0 | a &lt;b&gt; &amp; c \| d \`e\` |' <<<"$output"
}

# The Fedora Change template's sections, as the draft must head them.
FEDORA_SECTIONS=("## Summary" "## Owner" "## Detailed Description" "## Feedback" "## Benefit to Fedora" "## Scope"
    "## Upgrade/compatibility impact" "## How To Test" "### What hardware or data is needed" "### How to prepare"
    "### What to do" "### What are the expected results" "## User Experience" "## Dependencies"
    "## Contingency Plan" "## Documentation" "## Release Notes")

# empty_sections FILE: the headings followed by nothing but blank lines
# before the next heading or the end (none, for a good draft).
empty_sections() {
    awk '/^#+ / { if (h != "" && !body) print h; h = $0; body = 0; next }
         /^```/ { fence = !fence }
         NF { body = 1 }
         END { if (h != "" && !body) print h }' "$1"
}

# outside_patch FILE: the draft's lines before the patch (git format-patch's
# first line, "From <40 hex> Mon Sep 17 00:00:00 2001").
outside_patch() {
    awk '/^From [0-9a-f]+ Mon Sep 17 00:00:00 2001$/ && length($2) == 40 { exit } { print }' "$1"
}

@test "fedora-change: every section of the Changes template, none empty, filled from the report" {
    for input in "$PASS" "$MIXED"; do
        run -0 "$PORTCHECK" report "$input" --format fedora-change --output "$BATS_TEST_TMPDIR/f.md"
        f=$BATS_TEST_TMPDIR/f.md
        for h in "${FEDORA_SECTIONS[@]}"; do
            grep -qxF -- "$h" "$f" || { echo "missing section: $h" >&2; return 1; }
        done
        run -0 empty_sections "$f"
        [ -z "$output" ]
        grep -q '^- Name: TODO(owner)$' "$f"
        grep -q '^- debian-bookworm (Debian GNU/Linux 12 (bookworm), kernel 6.1.0-50-amd64, systemd): ' "$f"
        # The objections table, as report.md has it (portcheck report adds the rows to older reports).
        grep -qxF '| objection | scenario | without the package | with it | mitigation |' "$f"
        # The systemd patch, whole, inside the diff fence.
        sed -n '/^```diff$/,/^```$/p' "$f" | sed '1d;$d' >"$BATS_TEST_TMPDIR/inlined.patch"
        diff -u packaging/upstream/systemd-50-default.patch "$BATS_TEST_TMPDIR/inlined.patch"
    done
    grep -q '3 of 3 scenarios passed: baseline, install, reboot' <("$PORTCHECK" report "$PASS" --format fedora-change)
    # The empty-section check can fail (negative control).
    printf '## Summary\n\n## Owner\n\n- Name: x\n' >"$BATS_TEST_TMPDIR/empty.md"
    [ "$(empty_sections "$BATS_TEST_TMPDIR/empty.md")" = "## Summary" ]
}

@test "fedora-change: an objections array in the report becomes the Feedback table" {
    jq '.objections = [{"objection": "port squatting", "answer": "80 before nginx | see README"},
                       {"objection": "rsh trust", "answer": "ports < 1024 already weak"}]' "$PASS" \
        >"$BATS_TEST_TMPDIR/obj.json"
    run -0 "$PORTCHECK" report "$BATS_TEST_TMPDIR/obj.json" --format fedora-change
    [[ "$output" == *$'| objection | answer |\n|---|---|\n| port squatting | 80 before nginx \\| see README |'* ]]
    [[ "$output" == *'| rsh trust | ports \< 1024 already weak |'* ]]
    [[ "$output" != *'under the security trade-off'* ]]
}

@test "debian-bug: reportbug's pseudo-headers, no line over 80 and no Markdown outside the patch" {
    for input in "$PASS" "$MIXED"; do
        run -0 "$PORTCHECK" report "$input" --format debian-bug --output "$BATS_TEST_TMPDIR/d.txt"
        f=$BATS_TEST_TMPDIR/d.txt
        outside_patch "$f" >"$BATS_TEST_TMPDIR/body.txt"
        body=$BATS_TEST_TMPDIR/body.txt
        grep -qx 'Package: linux-sysctl-defaults' "$body"
        grep -qx 'Severity: wishlist' "$body"
        grep -qx 'Tags: patch' "$body"
        run ! awk 'length > 80 { print FNR ": " length; bad = 1 } END { exit !bad }' "$body"
        run ! grep -nE '#|\*\*|`|\|---' "$body"
        # The patch follows the body, byte for byte.
        [ "$(($(wc -l <"$body") + $(wc -l <packaging/upstream/linux-sysctl-defaults.patch)))" -eq "$(wc -l <"$f")" ]
        tail -n "$(wc -l <packaging/upstream/linux-sysctl-defaults.patch)" "$f" |
            diff -u packaging/upstream/linux-sysctl-defaults.patch -
    done
    # A good report's draft starts with the headers themselves.
    run -0 "$PORTCHECK" report "$PASS" --format debian-bug
    [ "${lines[0]}" = "Package: linux-sysctl-defaults" ]
    [[ "$output" == *"3 of 3 scenarios passed: baseline, install, reboot."* ]]
    # Negative controls: the width and Markdown checks can fail.
    printf '%081d\n' 0 >"$BATS_TEST_TMPDIR/wide.txt"
    awk 'length > 80 { bad = 1 } END { exit !bad }' "$BATS_TEST_TMPDIR/wide.txt"
    grep -qE '#|\*\*|`|\|---' <<<'**bold**'
}

@test "drafts: a failed or errored scenario is said at the top, and success is not claimed" {
    run -0 "$PORTCHECK" report "$MIXED" --format fedora-change
    [[ "${lines[1]}" == '> **Not ready to post: this evidence does not support the Change yet.** 1 passed, 1 failed, 2 errors, 3 skipped.'* ]]
    [[ "$output" == *'> - debian-bookworm, install: failed: sysctl: expected 80, got 1024'* ]]
    [[ "$output" != *'passed on every image where it ran'* ]]
    run -0 "$PORTCHECK" report "$MIXED" --format debian-bug
    [[ "${lines[0]}" == 'NOT READY TO SEND: this evidence does not support the request yet.'* ]]
    [[ "$output" == *'  - debian-bookworm, install: failed: sysctl: expected 80, got 1024'* ]]
    # The all-pass report claims what it covers, and no more.
    run -0 "$PORTCHECK" report "$PASS" --format fedora-change
    [[ "$output" != *'Not ready'* ]]
    [[ "$output" == *'The evidence below passed on every image where it ran.'* ]]
    [[ "$output" == *'on 1 image(s) where something ran'* ]]
}

@test "drafts and headline: only images where something ran are counted, the others named with why; no control characters" {
    for format in fedora-change debian-bug html; do
        run -0 "$PORTCHECK" report "$MIXED" --format "$format" --output "$BATS_TEST_TMPDIR/x"
        run ! grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$BATS_TEST_TMPDIR/x"
    done
    run -0 "$PORTCHECK" report "$MIXED" --format md
    [[ "$output" == *'**Result: 1 passed, 1 failed, 2 errors, 3 skipped** on 1 image(s).'* ]]
    # Markdown escapes the markup the image name carries.
    [[ "$output" == *'fedora-40 &lt;img src=x&gt;: not run here (no rpm package given: pass --package FILE.rpm); debian-sid: not run here (an unknown status counts as an error).'* ]]
    run -0 "$PORTCHECK" report "$MIXED" --format debian-bug
    [[ "$output" == *'fedora-40 <img src=x>: not run here (no rpm package given: pass --package'* ]]
    # Images that share a reason share a clause.
    jq '.runs[2].scenarios = .runs[1].scenarios | .runs[2].image = "fedora-45" | .runs[1].image = "fedora-44"' \
        "$MIXED" >"$BATS_TEST_TMPDIR/two.json"
    run -0 "$PORTCHECK" report "$BATS_TEST_TMPDIR/two.json" --format md
    [[ "$output" == *'fedora-44, fedora-45: not run here (no rpm package given: pass --package FILE.rpm).'* ]]
    # The mixed report's console tail has a control character: the check sees one in the input.
    grep -qP '\\u0001' "$MIXED"
}
