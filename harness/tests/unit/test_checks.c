/* Unit tests of harness/src/checks.c, the one place that decides pass or
 * fail from the facts a guest reports.
 *
 * What this proves:
 *  - facts that match the expected ip_unprivileged_port_start (1024 or 80,
 *    and the edges 0, 22, 23, 1023) give all-ok checks, 30 of them: the
 *    sysctl, the unprivileged proof and the 28 binds;
 *  - any single bind that differs (ok where EACCES is due, EACCES or
 *    another errno where ok is due) fails, and checks_first_failure names
 *    exactly that bind with what was expected and what was seen;
 *  - a missing bind is reported as "missing" and fails;
 *  - a pass cannot come from privilege: when the proof is absent, or shows
 *    uid 0, gid 0, supplementary groups, any capability in the permitted,
 *    inheritable, effective or ambient set (each alone) or no_new_privs 0,
 *    every bind check fails even though the values match;
 *  - a full bounding set alone does not fail (it is reported, not
 *    required), and the proof check's expect and got name all five sets;
 *  - a wrong sysctl value fails on its own;
 *  - checks_all_ok of an empty list is false; a list that overflows
 *    CHECKS_MAX fails instead of dropping checks;
 *  - facts parsed by proto_parse (with a "status":"pass" thrown in) go
 *    through the same decision.
 * No VM, no network, no sysctl of the host is touched. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run/checks.h"
#include "vm/protocol.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failf.h"

#define ZERO_CAPS "0000000000000000"
#define NBINDS 28
#define NCHECKS (2 + NBINDS) /* sysctl, unprivileged, binds */

/* Facts as an unprivileged child sees them when the guest's sysctl is
 * seen_start: binds ok at or above it, EACCES below, in report order. */
static struct guest_msg facts_for(int seen_start)
{
    struct guest_msg m;
    memset(&m, 0, sizeof m);
    m.kind = MSG_FACTS;
    m.id = 2;
    snprintf(m.boot_id, sizeof m.boot_id, "5f0c4a1e-2b7d-4c1e-9a3f-0d6e8b7c9a10");
    snprintf(m.sysctl, sizeof m.sysctl, "%d", seen_start);
    m.proof.present = true;
    m.proof.uid = 65534;
    m.proof.gid = 65534;
    m.proof.groups = 0;
    snprintf(m.proof.cap_prm, sizeof m.proof.cap_prm, ZERO_CAPS);
    snprintf(m.proof.cap_inh, sizeof m.proof.cap_inh, ZERO_CAPS);
    snprintf(m.proof.cap_eff, sizeof m.proof.cap_eff, ZERO_CAPS);
    snprintf(m.proof.cap_amb, sizeof m.proof.cap_amb, ZERO_CAPS);
    snprintf(m.proof.cap_bnd, sizeof m.proof.cap_bnd, ZERO_CAPS);
    m.proof.no_new_privs = 1;
    for (size_t f = 0; f < 4; f++)
        for (size_t p = 0; p < 7; p++) {
            struct bind_result *r = &m.binds[m.nbinds++];
            snprintf(r->what, sizeof r->what, "%s:%d", proto_bind_families[f], proto_bind_ports[p]);
            snprintf(r->got, sizeof r->got, "%s", proto_bind_ports[p] >= seen_start ? "ok" : "EACCES");
        }
    return m;
}

static struct bind_result *bind_of(struct guest_msg *m, const char *what)
{
    for (size_t i = 0; i < m->nbinds; i++)
        if (strcmp(m->binds[i].what, what) == 0)
            return &m->binds[i];
    failf("test bug: no bind %s", what);
    return NULL;
}

static void remove_bind(struct guest_msg *m, const char *what)
{
    struct bind_result *r = bind_of(m, what);
    size_t i = (size_t)(r - m->binds);
    memmove(&m->binds[i], &m->binds[i + 1], (m->nbinds - i - 1) * sizeof m->binds[0]);
    m->nbinds--;
}

static const struct check *check_of(const struct checks *c, const char *what)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].what, what) == 0)
            return &c->v[i];
    failf("no check named %s", what);
    return NULL;
}

static size_t failures(const struct checks *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        n += !c->v[i].ok;
    return n;
}

static void assert_first_failure(const struct checks *c, const char *want)
{
    char *got = checks_first_failure(c);
    if (!got)
        failf("no failure reported, expected \"%s\"", want);
    if (strcmp(got, want) != 0) {
        char shown[200];
        snprintf(shown, sizeof shown, "%s", got);
        free(got);
        failf("first failure \"%s\", expected \"%s\"", shown, want);
    }
    free(got);
}

static void assert_all_ok(const struct checks *c)
{
    if (!checks_all_ok(c)) {
        char *why = checks_first_failure(c);
        char shown[200];
        snprintf(shown, sizeof shown, "%s", why ? why : "(none)");
        free(why);
        failf("expected all checks ok, first failure: %s", shown);
    }
    assert_null(checks_first_failure(c));
}

/* Every one of the 28 bind checks failed. */
static void assert_every_bind_fails(const struct checks *c)
{
    for (size_t f = 0; f < 4; f++)
        for (size_t p = 0; p < 7; p++) {
            char what[32];
            snprintf(what, sizeof what, "%s:%d", proto_bind_families[f], proto_bind_ports[p]);
            if (check_of(c, what)->ok)
                failf("bind check %s passed without proof of no privilege", what);
        }
}

/* ------------------------------------------------------- matching facts */

static void test_matching_facts_at_1024_are_all_ok(void **state)
{
    (void)state;
    struct guest_msg m = facts_for(1024);
    struct checks c = {0};
    checks_expect_ports(&c, &m, 1024);
    assert_int_equal(c.n, NCHECKS);
    assert_all_ok(&c);
    assert_string_equal(check_of(&c, "sysctl")->expect, "1024");
    assert_string_equal(check_of(&c, "tcp4:80")->expect, "EACCES");
    assert_string_equal(check_of(&c, "udp6:1023")->expect, "EACCES");
    assert_true(check_of(&c, "unprivileged")->ok);
}

static void test_matching_facts_at_80_are_all_ok(void **state)
{
    (void)state;
    struct guest_msg m = facts_for(80);
    struct checks c = {0};
    checks_expect_ports(&c, &m, 80);
    assert_int_equal(c.n, NCHECKS);
    assert_all_ok(&c);
    assert_string_equal(check_of(&c, "sysctl")->expect, "80");
    assert_string_equal(check_of(&c, "tcp6:79")->expect, "EACCES");
    assert_string_equal(check_of(&c, "tcp6:80")->expect, "ok");
    assert_string_equal(check_of(&c, "udp4:443")->expect, "ok");
}

static void test_checks_come_in_report_order(void **state)
{
    (void)state;
    struct guest_msg m = facts_for(80);
    struct checks c = {0};
    checks_expect_ports(&c, &m, 80);
    assert_string_equal(c.v[0].what, "sysctl");
    assert_string_equal(c.v[1].what, "unprivileged");
    size_t i = 2;
    for (size_t f = 0; f < 4; f++)
        for (size_t p = 0; p < 7; p++, i++) {
            char what[32];
            snprintf(what, sizeof what, "%s:%d", proto_bind_families[f], proto_bind_ports[p]);
            assert_string_equal(c.v[i].what, what);
        }
}

static void test_port_start_edges_match_their_own_facts(void **state)
{
    (void)state;
    static const int starts[] = {0, 1, 22, 23, 79, 81, 443, 444, 1023, 1024, 65535};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        struct guest_msg m = facts_for(starts[i]);
        struct checks c = {0};
        checks_expect_ports(&c, &m, starts[i]);
        assert_all_ok(&c);
    }
    /* The expectation itself: 1023 is the only port open at 1023, 22 is
     * the first one closed at 23. */
    struct guest_msg m = facts_for(1023);
    struct checks c = {0};
    checks_expect_ports(&c, &m, 1023);
    assert_string_equal(check_of(&c, "tcp4:1023")->expect, "ok");
    assert_string_equal(check_of(&c, "tcp4:443")->expect, "EACCES");
    m = facts_for(23);
    memset(&c, 0, sizeof c);
    checks_expect_ports(&c, &m, 23);
    assert_string_equal(check_of(&c, "udp6:22")->expect, "EACCES");
    assert_string_equal(check_of(&c, "udp6:25")->expect, "ok");
}

static void test_facts_of_1024_fail_when_80_is_expected_and_back(void **state)
{
    (void)state;
    struct guest_msg m = facts_for(1024);
    struct checks c = {0};
    checks_expect_ports(&c, &m, 80);
    assert_false(checks_all_ok(&c));
    assert_first_failure(&c, "sysctl: expected 80, got 1024");
    /* 80, 443 and 1023 in four families are wrong, plus the sysctl. */
    assert_int_equal(failures(&c), 1 + 4 * 3);

    m = facts_for(80);
    memset(&c, 0, sizeof c);
    checks_expect_ports(&c, &m, 1024);
    assert_false(checks_all_ok(&c));
    assert_first_failure(&c, "sysctl: expected 1024, got 80");
    assert_int_equal(failures(&c), 1 + 4 * 3);
    assert_false(check_of(&c, "udp4:443")->ok);
    assert_string_equal(check_of(&c, "udp4:443")->got, "ok");
}

/* ------------------------------------------------------ single failures */

static void test_any_single_wrong_bind_fails_and_is_named(void **state)
{
    (void)state;
    static const int starts[] = {80, 1024};
    for (size_t s = 0; s < 2; s++)
        for (size_t f = 0; f < 4; f++)
            for (size_t p = 0; p < 7; p++) {
                char what[32];
                snprintf(what, sizeof what, "%s:%d", proto_bind_families[f], proto_bind_ports[p]);
                bool open = proto_bind_ports[p] >= starts[s];
                const char *due = open ? "ok" : "EACCES";
                /* The opposite answer, and an errno that is never due. */
                const char *wrong[] = {open ? "EACCES" : "ok", "EADDRINUSE", "EAFNOSUPPORT", "EPERM"};
                for (size_t w = 0; w < sizeof wrong / sizeof wrong[0]; w++) {
                    struct guest_msg m = facts_for(starts[s]);
                    snprintf(bind_of(&m, what)->got, sizeof m.binds[0].got, "%s", wrong[w]);
                    struct checks c = {0};
                    checks_expect_ports(&c, &m, starts[s]);
                    assert_false(checks_all_ok(&c));
                    assert_int_equal(failures(&c), 1);
                    char want[96];
                    snprintf(want, sizeof want, "%s: expected %s, got %s", what, due, wrong[w]);
                    assert_first_failure(&c, want);
                }
            }
}

static void test_bind_values_are_compared_exactly(void **state)
{
    (void)state;
    /* Near misses of "ok" and "EACCES" are not them. */
    static const struct {
        const char *what, *got;
    } t[] = {
        {"tcp4:80", "OK"}, {"tcp4:80", "ok "}, {"tcp4:80", "o"}, {"tcp4:80", ""},
        {"tcp4:22", "eacces"}, {"tcp4:22", "EACCESS"}, {"tcp4:22", "EACCE"}, {"tcp4:22", ""},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct guest_msg m = facts_for(80);
        snprintf(bind_of(&m, t[i].what)->got, sizeof m.binds[0].got, "%s", t[i].got);
        struct checks c = {0};
        checks_expect_ports(&c, &m, 80);
        assert_false(checks_all_ok(&c));
        assert_false(check_of(&c, t[i].what)->ok);
    }
}

static void test_missing_binds_are_named_missing_and_fail(void **state)
{
    (void)state;
    struct guest_msg m = facts_for(80);
    remove_bind(&m, "udp6:443");
    struct checks c = {0};
    checks_expect_ports(&c, &m, 80);
    assert_int_equal(c.n, NCHECKS);
    assert_false(checks_all_ok(&c));
    assert_int_equal(failures(&c), 1);
    assert_first_failure(&c, "udp6:443: expected ok, got missing");

    m = facts_for(1024);
    remove_bind(&m, "tcp4:22");
    memset(&c, 0, sizeof c);
    checks_expect_ports(&c, &m, 1024);
    assert_first_failure(&c, "tcp4:22: expected EACCES, got missing");

    /* No binds at all: all 28 missing. */
    m = facts_for(80);
    m.nbinds = 0;
    memset(&c, 0, sizeof c);
    checks_expect_ports(&c, &m, 80);
    assert_false(checks_all_ok(&c));
    assert_int_equal(failures(&c), NBINDS);
    assert_first_failure(&c, "tcp4:22: expected EACCES, got missing");
    assert_string_equal(check_of(&c, "udp6:1023")->got, "missing");
    assert_every_bind_fails(&c);
}

static void test_sysctl_mismatch_fails_alone(void **state)
{
    (void)state;
    static const char *const seen[] = {"1024", "0", "79", "81", "080", "80 ", " 80", "80\n", "", "EACCES", "ENOENT"};
    for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++) {
        struct guest_msg m = facts_for(80);
        snprintf(m.sysctl, sizeof m.sysctl, "%s", seen[i]);
        struct checks c = {0};
        checks_expect_ports(&c, &m, 80);
        assert_false(checks_all_ok(&c));
        assert_int_equal(failures(&c), 1);
        assert_false(check_of(&c, "sysctl")->ok);
        assert_string_equal(check_of(&c, "sysctl")->got, seen[i]);
    }
}

/* ------------------------------------------------ privilege proves nothing */

static void expect_privileged_facts_fail_every_bind(struct guest_msg *m, const char *label)
{
    static const int starts[] = {80, 1024};
    for (size_t s = 0; s < 2; s++) {
        /* The bind values and the sysctl match exactly: only the proof is off. */
        struct guest_msg copy = *m;
        snprintf(copy.sysctl, sizeof copy.sysctl, "%d", starts[s]);
        struct guest_msg ref = facts_for(starts[s]);
        memcpy(copy.binds, ref.binds, sizeof ref.binds);
        copy.nbinds = ref.nbinds;
        struct checks c = {0};
        checks_expect_ports(&c, &copy, starts[s]);
        if (checks_all_ok(&c))
            failf("%s: passed at %d", label, starts[s]);
        assert_true(check_of(&c, "sysctl")->ok);
        assert_false(check_of(&c, "unprivileged")->ok);
        assert_every_bind_fails(&c);
        assert_int_equal(failures(&c), 1 + NBINDS);
        char *why = checks_first_failure(&c);
        assert_non_null(why);
        if (strncmp(why, "unprivileged: ", 14) != 0) {
            char shown[200];
            snprintf(shown, sizeof shown, "%s", why);
            free(why);
            failf("%s: first failure is \"%s\", not the proof", label, shown);
        }
        free(why);
    }
}

static void test_facts_without_proof_fail_every_bind(void **state)
{
    (void)state;
    struct guest_msg m = facts_for(80);
    memset(&m.proof, 0, sizeof m.proof);
    expect_privileged_facts_fail_every_bind(&m, "no proof");
    /* Absent, even when the other fields look unprivileged. */
    m = facts_for(80);
    m.proof.present = false;
    expect_privileged_facts_fail_every_bind(&m, "proof fields without present");
}

static void test_facts_from_root_fail_every_bind(void **state)
{
    (void)state;
    struct guest_msg m = facts_for(80);
    m.proof.uid = 0;
    expect_privileged_facts_fail_every_bind(&m, "uid 0");
    m = facts_for(80);
    m.proof.gid = 0;
    expect_privileged_facts_fail_every_bind(&m, "gid 0");
    m = facts_for(80);
    m.proof.uid = 0;
    m.proof.gid = 0;
    snprintf(m.proof.cap_prm, sizeof m.proof.cap_prm, "000001ffffffffff");
    snprintf(m.proof.cap_eff, sizeof m.proof.cap_eff, "000001ffffffffff");
    snprintf(m.proof.cap_bnd, sizeof m.proof.cap_bnd, "000001ffffffffff");
    m.proof.no_new_privs = 0;
    expect_privileged_facts_fail_every_bind(&m, "full root");
}

/* The capability sets that must be empty, and each by name. */
static const char *const EMPTY_SETS[] = {"cap_prm", "cap_inh", "cap_eff", "cap_amb"};

static char *cap_set(struct proof *p, const char *name)
{
    if (strcmp(name, "cap_prm") == 0)
        return p->cap_prm;
    if (strcmp(name, "cap_inh") == 0)
        return p->cap_inh;
    if (strcmp(name, "cap_eff") == 0)
        return p->cap_eff;
    if (strcmp(name, "cap_amb") == 0)
        return p->cap_amb;
    failf("test bug: no capability set %s", name);
    return NULL;
}

static void test_facts_with_any_capability_fail_every_bind(void **state)
{
    (void)state;
    static const char *const caps[] = {
        "0000000000000400", /* CAP_NET_BIND_SERVICE alone */
        "0000000000000001", /* CAP_CHOWN */
        "8000000000000000", /* the highest bit */
        "000001ffffffffff", /* everything */
        "",                 /* not what a parsed proof can hold, still not zero */
        "0",
    };
    /* One set at a time, the other three empty. */
    for (size_t s = 0; s < sizeof EMPTY_SETS / sizeof EMPTY_SETS[0]; s++)
        for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
            struct guest_msg m = facts_for(80);
            snprintf(cap_set(&m.proof, EMPTY_SETS[s]), sizeof m.proof.cap_eff, "%s", caps[i]);
            char label[64];
            snprintf(label, sizeof label, "%s %s", EMPTY_SETS[s], caps[i]);
            expect_privileged_facts_fail_every_bind(&m, label);
        }
}

static void test_full_bounding_set_alone_still_passes(void **state)
{
    (void)state;
    /* The control for the test above: the bounding set only limits what
     * could be gained, and with the other sets empty and no_new_privs set
     * nothing can be. It is reported, not required. */
    struct guest_msg m = facts_for(80);
    snprintf(m.proof.cap_bnd, sizeof m.proof.cap_bnd, "000001ffffffffff");
    struct checks c = {0};
    checks_expect_ports(&c, &m, 80);
    assert_all_ok(&c);
}

static void test_proof_check_names_all_five_sets(void **state)
{
    (void)state;
    struct guest_msg m = facts_for(80);
    snprintf(m.proof.cap_inh, sizeof m.proof.cap_inh, "0000000000000400");
    snprintf(m.proof.cap_bnd, sizeof m.proof.cap_bnd, "000001ffffffffff");
    struct checks c = {0};
    checks_expect_ports(&c, &m, 80);
    const struct check *k = check_of(&c, "unprivileged");
    assert_false(k->ok);
    assert_string_equal(k->expect, "uid!=0 gid!=0 groups=0 capprm=0 capinh=0 capeff=0 capamb=0 capbnd=any nnp=1");
    assert_string_equal(k->got, "uid=65534 gid=65534 groups=0 capprm=0000000000000000 capinh=0000000000000400 "
                                "capeff=0000000000000000 capamb=0000000000000000 capbnd=000001ffffffffff nnp=1");
    /* The longest proof there can be fits whole. */
    m.proof.uid = m.proof.gid = 4294967295L;
    m.proof.groups = 65536;
    snprintf(m.proof.cap_prm, sizeof m.proof.cap_prm, "ffffffffffffffff");
    memset(&c, 0, sizeof c);
    checks_expect_ports(&c, &m, 80);
    assert_true(strstr(check_of(&c, "unprivileged")->got, " nnp=1") != NULL);
}

static void test_facts_without_no_new_privs_fail_every_bind(void **state)
{
    (void)state;
    struct guest_msg m = facts_for(80);
    m.proof.no_new_privs = 0;
    expect_privileged_facts_fail_every_bind(&m, "nnp 0");
    m = facts_for(80);
    m.proof.no_new_privs = 2;
    expect_privileged_facts_fail_every_bind(&m, "nnp 2");
}

static void test_facts_with_supplementary_groups_fail_every_bind(void **state)
{
    (void)state;
    static const long groups[] = {1, 2, 65536, -1};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        struct guest_msg m = facts_for(80);
        m.proof.groups = groups[i];
        char label[64];
        snprintf(label, sizeof label, "groups %ld", groups[i]);
        expect_privileged_facts_fail_every_bind(&m, label);
    }
}

static void test_proof_is_unprivileged_truth_table(void **state)
{
    (void)state;
    struct guest_msg m = facts_for(80);
    assert_true(proof_is_unprivileged(&m.proof));
    struct proof p = m.proof;
    p.uid = 1000;
    p.gid = 1000;
    assert_true(proof_is_unprivileged(&p));

    p = m.proof;
    p.present = false;
    assert_false(proof_is_unprivileged(&p));
    p = m.proof;
    p.uid = 0;
    assert_false(proof_is_unprivileged(&p));
    p = m.proof;
    p.gid = 0;
    assert_false(proof_is_unprivileged(&p));
    p = m.proof;
    p.groups = 1;
    assert_false(proof_is_unprivileged(&p));
    for (size_t s = 0; s < sizeof EMPTY_SETS / sizeof EMPTY_SETS[0]; s++) {
        p = m.proof;
        snprintf(cap_set(&p, EMPTY_SETS[s]), sizeof p.cap_eff, "0000000000000400");
        assert_false(proof_is_unprivileged(&p));
    }
    p = m.proof;
    snprintf(p.cap_bnd, sizeof p.cap_bnd, "000001ffffffffff");
    assert_true(proof_is_unprivileged(&p));
    p = m.proof;
    p.no_new_privs = 0;
    assert_false(proof_is_unprivileged(&p));
    struct proof zero;
    memset(&zero, 0, sizeof zero);
    assert_false(proof_is_unprivileged(&zero));
}

/* --------------------------------------------------------- the check list */

static void test_checks_all_ok_on_empty_list_is_false(void **state)
{
    (void)state;
    struct checks c = {0};
    assert_false(checks_all_ok(&c));
    char *why = checks_first_failure(&c);
    assert_non_null(why);
    assert_string_equal(why, "no checks were made");
    free(why);
}

static void test_checks_add_compares_strings_and_verdicts_are_kept(void **state)
{
    (void)state;
    struct checks c = {0};
    checks_add(&c, "run:install", "exit 0", "exit 0");
    assert_true(checks_all_ok(&c));
    assert_null(checks_first_failure(&c));
    checks_add_verdict(&c, "boot_id", "changed", "changed", true);
    assert_true(checks_all_ok(&c));
    /* A verdict of false fails even when the strings happen to match. */
    checks_add_verdict(&c, "boot_id", "changed", "changed", false);
    assert_false(checks_all_ok(&c));
    assert_first_failure(&c, "boot_id: expected changed, got changed");

    memset(&c, 0, sizeof c);
    checks_add(&c, "run:install", "exit 0", "exit 1");
    checks_add(&c, "run:purge", "exit 0", "signal 9");
    assert_false(checks_all_ok(&c));
    assert_first_failure(&c, "run:install: expected exit 0, got exit 1");
}

static void test_earlier_failure_survives_passing_port_checks(void **state)
{
    (void)state;
    /* The runner adds same_boot before the port checks. */
    struct checks c = {0};
    checks_add(&c, "same_boot", "aaaa", "bbbb");
    struct guest_msg m = facts_for(80);
    checks_expect_ports(&c, &m, 80);
    assert_int_equal(c.n, 1 + NCHECKS);
    assert_false(checks_all_ok(&c));
    assert_first_failure(&c, "same_boot: expected aaaa, got bbbb");
}

static void test_too_many_checks_fail_instead_of_being_dropped(void **state)
{
    (void)state;
    struct checks c = {0};
    for (int i = 0; i < CHECKS_MAX; i++) {
        char what[32];
        snprintf(what, sizeof what, "c%d", i);
        checks_add(&c, what, "x", "x");
    }
    assert_int_equal(c.n, CHECKS_MAX);
    assert_true(checks_all_ok(&c));
    checks_add(&c, "one too many", "x", "x");
    assert_int_equal(c.n, CHECKS_MAX);
    assert_false(checks_all_ok(&c));
    char *why = checks_first_failure(&c);
    assert_non_null(why);
    assert_non_null(strstr(why, "too many checks"));
    free(why);

    /* Twenty facts' worth of port checks in one list overflow too. */
    memset(&c, 0, sizeof c);
    struct guest_msg m = facts_for(80);
    for (int i = 0; i < 20; i++)
        checks_expect_ports(&c, &m, 80);
    assert_false(checks_all_ok(&c));
}

static void test_long_fields_are_truncated_not_overflowed(void **state)
{
    (void)state;
    char longer[300];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    struct checks c = {0};
    checks_add(&c, longer, longer, longer);
    assert_int_equal(c.n, 1);
    assert_int_equal(strlen(c.v[0].what), sizeof c.v[0].what - 1);
    assert_int_equal(strlen(c.v[0].expect), sizeof c.v[0].expect - 1);
    assert_int_equal(strlen(c.v[0].got), sizeof c.v[0].got - 1);
    /* Extreme proof values still fit their check without overflow. */
    struct guest_msg m = facts_for(80);
    m.proof.uid = 4294967295L;
    m.proof.gid = 4294967295L;
    m.proof.groups = 65536;
    memset(&c, 0, sizeof c);
    checks_expect_ports(&c, &m, 80);
    assert_false(check_of(&c, "unprivileged")->ok);
}

/* ------------------------------------------------------ from parsed lines */

static void parse_or_fail(const char *line, struct guest_msg *m)
{
    char err[256];
    if (!proto_parse(line, strlen(line), m, err, sizeof err))
        failf("rejected: %s", err);
}

static void test_parsed_facts_decide_the_same_way(void **state)
{
    (void)state;
    char line[4096];
    int n = snprintf(line, sizeof line,
                     "{\"msg\":\"facts\",\"id\":2,\"boot_id\":\"b1\",\"uptime\":8.01,\"sysctl\":\"80\","
                     "\"status\":\"pass\",\"proof\":{\"uid\":65534,\"gid\":65534,\"groups\":0,"
                     "\"cap_prm\":\"" ZERO_CAPS "\",\"cap_inh\":\"" ZERO_CAPS "\",\"cap_eff\":\"" ZERO_CAPS "\","
                     "\"cap_amb\":\"" ZERO_CAPS "\",\"cap_bnd\":\"" ZERO_CAPS "\",\"no_new_privs\":1},\"binds\":{");
    for (size_t f = 0; f < 4; f++)
        for (size_t p = 0; p < 7; p++)
            n += snprintf(line + n, sizeof line - (size_t)n, "%s\"%s:%d\":\"%s\"", f + p ? "," : "",
                          proto_bind_families[f], proto_bind_ports[p], proto_bind_ports[p] >= 80 ? "ok" : "EACCES");
    snprintf(line + n, sizeof line - (size_t)n, "}}");

    struct guest_msg m;
    parse_or_fail(line, &m);
    struct checks c = {0};
    checks_expect_ports(&c, &m, 80);
    assert_all_ok(&c);
    guest_msg_free(&m);

    /* The same facts do not pass for 1024, whatever "status" says. */
    parse_or_fail(line, &m);
    memset(&c, 0, sizeof c);
    checks_expect_ports(&c, &m, 1024);
    assert_false(checks_all_ok(&c));
    guest_msg_free(&m);

    /* And parsed from root they fail every bind. */
    char *root = strstr(line, "\"uid\":65534");
    assert_non_null(root);
    memcpy(root, "\"uid\":0    ", 11); /* same length, JSON whitespace */
    parse_or_fail(line, &m);
    assert_int_equal(m.proof.uid, 0);
    memset(&c, 0, sizeof c);
    checks_expect_ports(&c, &m, 80);
    assert_false(checks_all_ok(&c));
    assert_every_bind_fails(&c);
    guest_msg_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matching_facts_at_1024_are_all_ok),
        cmocka_unit_test(test_matching_facts_at_80_are_all_ok),
        cmocka_unit_test(test_checks_come_in_report_order),
        cmocka_unit_test(test_port_start_edges_match_their_own_facts),
        cmocka_unit_test(test_facts_of_1024_fail_when_80_is_expected_and_back),
        cmocka_unit_test(test_any_single_wrong_bind_fails_and_is_named),
        cmocka_unit_test(test_bind_values_are_compared_exactly),
        cmocka_unit_test(test_missing_binds_are_named_missing_and_fail),
        cmocka_unit_test(test_sysctl_mismatch_fails_alone),
        cmocka_unit_test(test_facts_without_proof_fail_every_bind),
        cmocka_unit_test(test_facts_from_root_fail_every_bind),
        cmocka_unit_test(test_facts_with_any_capability_fail_every_bind),
        cmocka_unit_test(test_full_bounding_set_alone_still_passes),
        cmocka_unit_test(test_proof_check_names_all_five_sets),
        cmocka_unit_test(test_facts_without_no_new_privs_fail_every_bind),
        cmocka_unit_test(test_facts_with_supplementary_groups_fail_every_bind),
        cmocka_unit_test(test_proof_is_unprivileged_truth_table),
        cmocka_unit_test(test_checks_all_ok_on_empty_list_is_false),
        cmocka_unit_test(test_checks_add_compares_strings_and_verdicts_are_kept),
        cmocka_unit_test(test_earlier_failure_survives_passing_port_checks),
        cmocka_unit_test(test_too_many_checks_fail_instead_of_being_dropped),
        cmocka_unit_test(test_long_fields_are_truncated_not_overflowed),
        cmocka_unit_test(test_parsed_facts_decide_the_same_way),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
