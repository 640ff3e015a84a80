/* The SO_REUSEPORT probe: root's server, then an unprivileged process. */
#define _GNU_SOURCE
#include "reuseport.h"

#include "binds.h"
#include "child.h"
#include "fdio.h"
#include "text.h"

#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROBE_TIMEOUT_MS 10000

static const struct {
    const char *name;
    int type;
} kinds[] = {{"tcp", SOCK_STREAM}, {"udp", SOCK_DGRAM}};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* A socket on 0.0.0.0:port with SO_REUSEPORT, listening when it is TCP (a
 * server: the kernel only refuses to share a port that is in use). "ok"
 * with the descriptor in *fd, or the errno name of the step that failed. */
static const char *open_reuseport(int type, int port, int *fd)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_ANY)};
    int one = 1, s = socket(AF_INET, type | SOCK_CLOEXEC, 0);

    *fd = -1;
    if (s < 0)
        return errno_name(errno);
    if (setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        bind(s, (struct sockaddr *)&sin, sizeof sin) < 0 || (type == SOCK_STREAM && listen(s, 16) < 0)) {
        const char *why = errno_name(errno);
        close_fd(s, "probe socket");
        return why;
    }
    *fd = s;
    return "ok";
}

/* Unbuffered, so that the parent's and the child's lines keep their order. */
static void say(const char *key, const char *kind, const char *value)
{
    dprintf(STDOUT_FILENO, "%s-%s=%s\n", key, kind, value);
}

/* The child: no privilege left, the same requests on the held port and on
 * a free one beside it. */
static void __attribute__((noreturn)) unprivileged(int port)
{
    char err[512];
    json_t *proof;

    if (binds_drop_privilege(err, sizeof err) < 0 || !(proof = binds_read_proof(err, sizeof err))) {
        dprintf(STDOUT_FILENO, "error=%s\n", err);
        _exit(1);
    }
    dprintf(STDOUT_FILENO, "proof=uid=%lld gid=%lld groups=%lld capprm=%s capinh=%s capeff=%s capamb=%s nnp=%lld\n",
            (long long)json_integer_value(json_object_get(proof, "uid")),
            (long long)json_integer_value(json_object_get(proof, "gid")),
            (long long)json_integer_value(json_object_get(proof, "groups")),
            json_string_value(json_object_get(proof, "cap_prm")),
            json_string_value(json_object_get(proof, "cap_inh")),
            json_string_value(json_object_get(proof, "cap_eff")),
            json_string_value(json_object_get(proof, "cap_amb")),
            (long long)json_integer_value(json_object_get(proof, "no_new_privs")));
    json_decref(proof);
    for (size_t k = 0; k < NKINDS; k++) {
        int fd, free_fd;

        say("user", kinds[k].name, open_reuseport(kinds[k].type, port, &fd));
        say("user-free", kinds[k].name, open_reuseport(kinds[k].type, port + 1, &free_fd));
        if (fd >= 0)
            close_fd(fd, "probe socket");
        if (free_fd >= 0)
            close_fd(free_fd, "probe socket");
    }
    _exit(0);
}

int reuseport_probe(int port)
{
    int held[NKINDS], again[NKINDS];
    bool made = true;
    struct child_result res;
    pid_t pid;

    dprintf(STDOUT_FILENO, "port=%d\nfree-port=%d\n", port, port + 1);
    for (size_t k = 0; k < NKINDS; k++) {
        const char *r = open_reuseport(kinds[k].type, port, &held[k]);

        say("root", kinds[k].name, r);
        made = made && held[k] >= 0;
        /* A second socket of the same uid joins the group: SO_REUSEPORT is
         * in force, so a refusal of the user below is about the uid. */
        say("root-again", kinds[k].name, open_reuseport(kinds[k].type, port, &again[k]));
    }
    pid = fork();
    if (pid < 0) {
        dprintf(STDOUT_FILENO, "error=fork: %s\n", strerror(errno));
        made = false;
    } else if (pid == 0) {
        unprivileged(port);
    } else {
        child_collect(pid, -1, PROBE_TIMEOUT_MS, false, NULL, NULL, &res);
        if (!res.reaped || res.timed_out || !WIFEXITED(res.status) || WEXITSTATUS(res.status) != 0) {
            dprintf(STDOUT_FILENO, "error=the unprivileged child failed or timed out\n");
            made = false;
        }
    }
    for (size_t k = 0; k < NKINDS; k++) {
        if (held[k] >= 0)
            close_fd(held[k], "probe socket");
        if (again[k] >= 0)
            close_fd(again[k], "probe socket");
    }
    return made ? 0 : 1;
}
