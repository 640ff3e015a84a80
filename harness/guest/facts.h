/* The guest's facts: the `hello` message and the answer to `facts`. */
#ifndef PORTCHECK_FACTS_H
#define PORTCHECK_FACTS_H

#include <jansson.h>
#include <stddef.h>

#define AGENT_PROTOCOL_VERSION 1

/* The `hello` message; NULL only when out of memory. */
json_t *facts_hello(void);

/* The `facts` answer for id; NULL with a reason in err when the bind
 * check could not be done (a facts message without it would be a lie). */
json_t *facts_collect(json_int_t id, char *err, size_t errlen);

#endif
