/* Left to itself, jansson seeds its hash tables from /dev/urandom on the
 * first json_object(). Before the kernel's pool is ready (a guest without
 * an entropy device), Linux 5.18 and later answer that read only after the
 * jitter-entropy loop, which under TCG took 1.1-1.3 s per boot, all of it
 * between the agent's "channel open" and its hello (bookworm, measured
 * 2026-12-04). The seed only spreads hash buckets against collision floods;
 * the agent parses the host's lines alone, so bytes the kernel hands out
 * before it is fully seeded are good enough. */
#define _GNU_SOURCE
#include "hash_seed.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004 /* Linux 5.6; older headers lack it */
#endif

void hash_seed_init(void)
{
    size_t seed = 0;
    ssize_t n;
    do
        n = getrandom(&seed, sizeof seed, GRND_INSECURE);
    while (n < 0 && errno == EINTR);
    /* A kernel before 5.6 refuses GRND_INSECURE (EINVAL); the clock and the
     * pid differ per boot and per run, which is all the spreading needs. */
    if (n != (ssize_t)sizeof seed) {
        struct timespec ts = {0};
        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
            ts.tv_nsec = 1;
        uint64_t mix = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
        seed = (size_t)(mix ^ (mix >> 32));
    }
    /* 0 would mean "seed it yourself" to jansson. */
    json_object_seed(seed ? seed : 1);
}
