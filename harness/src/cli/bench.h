/* portcheck bench: the harness's boot against the plain boot of the same
 * image, alternating in one run so both see the same machine load. */
#ifndef PORTCHECK_BENCH_H
#define PORTCHECK_BENCH_H

int cmd_bench(int argc, char **argv);

#endif
