/* `portcheck host`: a read-only diagnosis of the machine portcheck runs
 * on, for the admin asking "why can't my server bind port 80?". */
#ifndef PORTCHECK_HOST_H
#define PORTCHECK_HOST_H

/* argv[1] is "host". Exit 0 for any diagnosis, 2 for bad usage. */
int cmd_host(int argc, char **argv);

#endif
