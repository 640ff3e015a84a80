/* Splitting one image's scenarios across VMs that run at once, and putting
 * their results back together. Under TCG a VM keeps one core busy, so on a
 * 2-core machine one image's scenarios finish in about half the time when
 * two VMs share them. Scenarios that continue each other's VM (`after`)
 * always stay together: splitting them would replay their boots. */
#ifndef PORTCHECK_SHARDS_H
#define PORTCHECK_SHARDS_H
#include "run/scenarios.h"
#include <jansson.h>
#include <stddef.h>

#define SHARDS_MAX 8
#define SHARD_SCENARIOS_MAX SCENARIOS_MAX

struct shard {
    const struct scenario *wanted[SHARD_SCENARIOS_MAX];
    size_t nwanted;
    double cost; /* estimated, in boots */
};

/* A scenario's estimated cost in boots under TCG: what balancing uses. */
double shards_cost(const struct scenario *sc);

/* Partition wanted (in run order) into at most max_shards shards, heaviest
 * chain first onto the lightest shard; each shard keeps the run order.
 * Returns the number of shards used (at least 1 when n > 0). */
size_t shards_plan(const struct scenario *const *wanted, size_t n, size_t max_shards, struct shard *out);

/* One image's result from its shards' results: scenarios back in the order
 * of wanted, boots in shard order, the largest qemu peak. Steals nothing:
 * the parts stay owned by the caller. A scenario no part has (its process
 * died or never started) is an error with missing_reason. NULL when every
 * part is NULL. "vms" says how many VMs (parts) the image's scenarios ran in. */
json_t *shards_merge(json_t *const *parts, size_t nparts, const struct scenario *const *wanted, size_t nwanted,
                     const char *missing_reason);
#endif
