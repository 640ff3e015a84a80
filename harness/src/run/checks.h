/* The one place that decides pass or fail: facts from the guest are turned
 * into checks, each an expectation and what was observed. A scenario passes
 * when every one of its checks holds; nothing else can make it pass. */
#ifndef PORTCHECK_CHECKS_H
#define PORTCHECK_CHECKS_H

#include "vm/protocol.h"

#include <stdbool.h>
#include <stddef.h>

#define CHECKS_MAX 512

struct check {
    char what[48];   /* "sysctl", "tcp4:80", "boot_id", "run:install" */
    char expect[160]; /* the reuseport proof line is the longest */
    char got[192]; /* what the kernel or a client said, cut here */
    bool ok;
};

struct checks {
    size_t n;
    struct check v[CHECKS_MAX];
};

void checks_add(struct checks *c, const char *what, const char *expect, const char *got);
/* A check whose verdict is not plain string equality (e.g. "!= 0"). */
void checks_add_verdict(struct checks *c, const char *what, const char *expect, const char *got, bool ok);
bool checks_all_ok(const struct checks *c);
/* The first failing check as "what: expected X, got Y", or NULL. */
char *checks_first_failure(const struct checks *c);

/* What facts must show when the effective ip_unprivileged_port_start is
 * port_start: the sysctl value, the proof that the binds ran without
 * privilege, and every bind (ok at or above port_start, EACCES below). */
void checks_expect_ports(struct checks *c, const struct guest_msg *facts, int port_start);
/* The same for facts gathered somewhere else (a container, a namespace):
 * every check's name starts with "where:". */
void checks_expect_ports_in(struct checks *c, const char *where, const struct guest_msg *facts, int port_start);
/* What a namespace's own root may do (agent --as-is): uid 0 there, and
 * 80/443 bind through its own CAP_NET_BIND_SERVICE. */
void checks_expect_root_binds(struct checks *c, const char *where, const struct guest_msg *facts);

/* Whether the proof in facts shows an unprivileged process: uid and gid not
 * 0, no supplementary groups, empty permitted, inheritable, effective and
 * ambient capability sets, no_new_privs. The bounding set is reported but
 * not required: with the other four empty and no_new_privs it grants
 * nothing. */
bool proof_is_unprivileged(const struct proof *p);

#endif
