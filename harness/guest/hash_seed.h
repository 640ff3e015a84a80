/* jansson's hash-table seed, chosen before the agent builds its first JSON
 * object, without waiting for the kernel's random pool. */
#ifndef PORTCHECK_HASH_SEED_H
#define PORTCHECK_HASH_SEED_H

void hash_seed_init(void);

#endif
