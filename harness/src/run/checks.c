/* The one place that decides pass or fail, from facts. */
#define _GNU_SOURCE
#include "run/checks.h"

#include "base/util.h"

#include <stdio.h>
#include <string.h>

void checks_add_verdict(struct checks *c, const char *what, const char *expect, const char *got, bool ok)
{
    if (c->n == CHECKS_MAX) {
        /* A scenario with more checks than this is a bug in its definition;
         * failing it is safer than dropping a check silently. */
        c->v[CHECKS_MAX - 1].ok = false;
        snprintf(c->v[CHECKS_MAX - 1].got, sizeof c->v[0].got, "too many checks");
        return;
    }
    struct check *k = &c->v[c->n++];
    snprintf(k->what, sizeof k->what, "%s", what);
    snprintf(k->expect, sizeof k->expect, "%s", expect);
    snprintf(k->got, sizeof k->got, "%s", got);
    k->ok = ok;
}

void checks_add(struct checks *c, const char *what, const char *expect, const char *got)
{
    checks_add_verdict(c, what, expect, got, strcmp(expect, got) == 0);
}

bool checks_all_ok(const struct checks *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (!c->v[i].ok)
            return false;
    return c->n > 0;
}

char *checks_first_failure(const struct checks *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (!c->v[i].ok)
            return xasprintf("%s: expected %s, got %s", c->v[i].what, c->v[i].expect, c->v[i].got);
    if (c->n == 0)
        return xstrdup("no checks were made");
    return NULL;
}

static bool no_caps(const char *set)
{
    return strcmp(set, "0000000000000000") == 0;
}

bool proof_is_unprivileged(const struct proof *p)
{
    return p->present && p->uid != 0 && p->gid != 0 && p->groups == 0 && no_caps(p->cap_prm) &&
           no_caps(p->cap_inh) && no_caps(p->cap_eff) && no_caps(p->cap_amb) && p->no_new_privs == 1;
}

/* "what" or "where:what" */
static void name_in(char *dst, size_t n, const char *where, const char *what)
{
    if (where)
        snprintf(dst, n, "%s:%s", where, what);
    else
        snprintf(dst, n, "%s", what);
}

void checks_expect_ports(struct checks *c, const struct guest_msg *facts, int port_start)
{
    checks_expect_ports_in(c, NULL, facts, port_start);
}

void checks_expect_root_binds(struct checks *c, const char *where, const struct guest_msg *facts)
{
    char name[48], got[32];
    snprintf(got, sizeof got, "uid=%ld", facts->proof.uid);
    name_in(name, sizeof name, where, "root");
    checks_add(c, name, "uid=0", got);
    static const char *const wanted[] = {"tcp4:80", "tcp6:80", "tcp4:443", "udp4:80"};
    for (size_t i = 0; i < sizeof wanted / sizeof *wanted; i++) {
        const char *value = "missing";
        for (size_t k = 0; k < facts->nbinds; k++)
            if (strcmp(facts->binds[k].what, wanted[i]) == 0)
                value = facts->binds[k].got;
        name_in(name, sizeof name, where, wanted[i]);
        checks_add(c, name, "ok", value);
    }
}

void checks_expect_ports_in(struct checks *c, const char *where, const struct guest_msg *facts, int port_start)
{
    char want[16], name[48];
    snprintf(want, sizeof want, "%d", port_start);
    name_in(name, sizeof name, where, "sysctl");
    checks_add(c, name, want, facts->sysctl);

    const struct proof *pr = &facts->proof;
    char proof[sizeof c->v[0].got];
    snprintf(proof, sizeof proof, "uid=%ld gid=%ld groups=%ld capprm=%s capinh=%s capeff=%s capamb=%s capbnd=%s nnp=%d",
             pr->uid, pr->gid, pr->groups, pr->cap_prm, pr->cap_inh, pr->cap_eff, pr->cap_amb, pr->cap_bnd,
             pr->no_new_privs);
    bool unprivileged = proof_is_unprivileged(pr);
    name_in(name, sizeof name, where, "unprivileged");
    checks_add_verdict(c, name, "uid!=0 gid!=0 groups=0 capprm=0 capinh=0 capeff=0 capamb=0 capbnd=any nnp=1", proof,
                       unprivileged);

    for (size_t f = 0; f < PORTCHECK_N_BIND_FAMILIES; f++) {
        for (size_t p = 0; p < PORTCHECK_N_BIND_PORTS; p++) {
            char what[16];
            snprintf(what, sizeof what, "%s:%d", proto_bind_families[f], proto_bind_ports[p]);
            const char *expect = proto_bind_ports[p] >= port_start ? "ok" : "EACCES";
            const char *got = "missing";
            for (size_t i = 0; i < facts->nbinds; i++)
                if (strcmp(facts->binds[i].what, what) == 0)
                    got = facts->binds[i].got;
            /* A bind result without proof of no privilege proves nothing. */
            name_in(name, sizeof name, where, what);
            checks_add_verdict(c, name, expect, got, unprivileged && strcmp(expect, got) == 0);
        }
    }
}
