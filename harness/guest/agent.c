/* portcheck-agent: main, options, and the command loop over the channel
 * (docs/protocol.md). The guest reports facts; the host decides. */
#define _GNU_SOURCE
#include "channel.h"
#include "dispatch.h"
#include "binds.h"
#include "facts.h"
#include "fdio.h"
#include "hash_seed.h"
#include "log.h"
#include "exposure.h"
#include "power.h"
#include "reuseport.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PORT_WAIT_MS 30000
#define DEFAULT_REOPEN_S 300
/* Encoder flags: one compact line; reals as short as they can be while
 * keeping millisecond precision for uptimes of years. */
#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

struct options {
    const char *channel;
    bool facts;
    bool dry_run_power;
    long reopen_s;
    int reuseport_port;          /* --reuseport PORT, 0 when not asked */
    int exposure_lo, exposure_hi; /* --exposure LO-HI, 0 when not asked */
};

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: portcheck-agent [--channel PATH] [--reopen SECONDS] [--dry-run-power]\n"
            "       portcheck-agent --facts [--as-is]\n"
            "       portcheck-agent --reuseport PORT\n"
            "       portcheck-agent --exposure LO-HI\n"
            "\n"
            "Guest agent of the portcheck harness: talks the line protocol of\n"
            "docs/protocol.md over the virtio-serial port named " CHANNEL_PORT_NAME ".\n"
            "\n"
            "  --channel PATH     use PATH instead of the virtio port: a character\n"
            "                     device, a unix stream socket to connect to, or a\n"
            "                     FIFO to read commands from (answers go to stdout)\n"
            "  --reopen SECONDS   after end of file or an I/O error on the channel, keep\n"
            "                     reopening it for this long (default %d; 0: exit)\n"
            "  --dry-run-power    answer reboot/poweroff with bye, then exit 0 (tests)\n"
            "  --facts            print one facts message (id 0) on stdout and exit\n"
            "  --as-is            bind without dropping privilege (the proof shows it)\n"
            "  --reuseport PORT   as root: hold PORT (TCP, UDP) with SO_REUSEPORT, then\n"
            "                     ask for the same as nobody; KEY=VALUE lines\n"
            "  --exposure LO-HI   as root: sockets bound in LO..HI (uid, process, unit)\n"
            "                     and the /etc/services names there nobody may bind;\n"
            "                     one JSON line\n"
            "  --help             this text\n",
            DEFAULT_REOPEN_S);
}

static void bad_usage(const char *problem)
{
    fprintf(stderr, "portcheck-agent: %s; see portcheck-agent --help\n", problem);
    exit(2);
}

/* A port number 1..65535 from text; false when it is not one. */
static bool parse_port(const char *text, int *port)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > 65535)
        return false;
    *port = (int)v;
    return true;
}

static void parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        { "channel", required_argument, NULL, 'c' },
        { "facts", no_argument, NULL, 'f' },
        { "as-is", no_argument, NULL, 'a' },
        { "dry-run-power", no_argument, NULL, 'd' },
        { "reopen", required_argument, NULL, 'r' },
        { "reuseport", required_argument, NULL, 'u' },
        { "exposure", required_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    char problem[256];
    int c;

    *o = (struct options){ .reopen_s = DEFAULT_REOPEN_S };
    opterr = 0; /* our own one-line messages */
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (!optarg[0])
                bad_usage("--channel needs a non-empty PATH");
            o->channel = optarg;
            break;
        case 'f':
            o->facts = true;
            break;
        case 'a':
            binds_keep_privilege = true;
            break;
        case 'd':
            o->dry_run_power = true;
            break;
        case 'r': {
            char *end;
            errno = 0;
            o->reopen_s = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || o->reopen_s < 0 || o->reopen_s > 86400)
                bad_usage("--reopen needs a whole number of seconds from 0 to 86400");
            break;
        }
        case 'u':
            if (!parse_port(optarg, &o->reuseport_port) || o->reuseport_port == 65535)
                bad_usage("--reuseport needs a port from 1 to 65534 (the next one is tried too)");
            break;
        case 'e': {
            char lo[8], hi[8], extra;
            if (sscanf(optarg, "%7[0-9]-%7[0-9]%c", lo, hi, &extra) != 2 || !parse_port(lo, &o->exposure_lo) ||
                !parse_port(hi, &o->exposure_hi) || o->exposure_lo > o->exposure_hi)
                bad_usage("--exposure needs a range LO-HI of ports from 1 to 65535, e.g. 80-1023");
            break;
        }
        case 'h':
            usage(stdout);
            exit(0);
        case ':':
            snprintf(problem, sizeof problem, "option '%s' needs an argument", argv[optind - 1]);
            bad_usage(problem);
            break;
        default:
            snprintf(problem, sizeof problem, "unknown option '%s'", argv[optind - 1]);
            bad_usage(problem);
        }
    }
    if (optind < argc) {
        snprintf(problem, sizeof problem, "unexpected argument '%s' (options only)", argv[optind]);
        bad_usage(problem);
    }
    if (binds_keep_privilege && !o->facts)
        bad_usage("--as-is goes with --facts only");
    if ((o->reuseport_port || o->exposure_lo) &&
        (o->facts || o->channel || o->dry_run_power || (o->reuseport_port && o->exposure_lo)))
        bad_usage("--reuseport and --exposure each go alone");
    if (o->facts && (o->channel || o->dry_run_power))
        bad_usage("--facts prints to stdout and takes no channel options");
}

/* A child's pipe must never land on fds 0-2, so make sure they are open. */
static void ensure_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int null = open("/dev/null", O_RDWR);
        if (null < 0) {
            /* stderr may be the closed one: nothing else to say it on. */
            exit(1);
        }
        if (null != fd && (dup2(null, fd) < 0 || close(null) < 0))
            exit(1);
    }
}

/* The encoded line for m, which is consumed. An over-long answer (it
 * cannot happen with the bounds on output, but the host would end the
 * boot) is replaced by an error. NULL when out of memory. */
static char *encode(json_t *m)
{
    json_t *id;
    char *text;

    if (!m)
        return NULL;
    text = json_dumps(m, DUMP_FLAGS);
    if (text && strlen(text) + 1 > CHANNEL_LINE_MAX) {
        free(text);
        id = json_object_get(m, "id");
        json_t *e = error_message(json_is_integer(id) ? json_integer_value(id) : 0,
                                  "the answer would be longer than %d bytes", CHANNEL_LINE_MAX);
        text = e ? json_dumps(e, DUMP_FLAGS) : NULL;
        json_decref(e);
    }
    json_decref(m);
    return text;
}

/* 0, or -1 when the channel is broken. */
static int send_message(struct channel *ch, json_t *m)
{
    char *text = encode(m);
    int rc;

    if (!text) {
        log_msg("cannot encode a message: out of memory");
        return 0; /* the channel itself is fine */
    }
    rc = channel_write_line(ch, text);
    free(text);
    return rc;
}

static int facts_to_stdout(void)
{
    char err[512];
    json_t *m = facts_collect(0, err, sizeof err);
    bool ok = m != NULL;
    char *text;

    if (!m)
        m = error_message(0, "facts: %s", err);
    text = encode(m);
    if (!text) {
        log_msg("cannot encode the facts: out of memory");
        return 1;
    }
    if (write_all(STDOUT_FILENO, text, strlen(text)) < 0 || write_all(STDOUT_FILENO, "\n", 1) < 0) {
        log_msg("writing stdout: %s", strerror(errno));
        ok = false;
    }
    free(text);
    return ok ? 0 : 1;
}

/* After bye: the system is going down; the host sends nothing more that
 * matters, so read and drop lines until init kills us. */
static void __attribute__((noreturn)) wait_for_the_end(struct channel *ch)
{
    for (;;) {
        char *line;
        size_t len;
        enum channel_status st = ch->fd >= 0 ? channel_read_line(ch, &line, &len) : CHANNEL_EOF;

        if (st == CHANNEL_LINE || st == CHANNEL_TOO_LONG) {
            log_msg("going down: ignoring a command");
            continue;
        }
        /* Nothing to read from: just wait for the signal. */
        pause();
    }
}

/* Reopens after EOF or an error, with back-off. false: give up. */
static bool reopen(struct channel *ch, int64_t since, long reopen_s, long *backoff_ms)
{
    channel_close(ch);
    for (;;) {
        if (now_ns() - since >= (int64_t)reopen_s * 1000000000) {
            if (reopen_s > 0)
                log_msg("the channel stayed unusable for %ld s; exiting", reopen_s);
            return false;
        }
        /* The virtio port reads EOF at once while the host is away: the
         * back-off keeps that from becoming a busy loop. */
        sleep_ms(*backoff_ms);
        if (*backoff_ms < 2000)
            *backoff_ms *= 2;
        if (channel_open(ch, 0, true) == 0)
            return true;
    }
}

int main(int argc, char **argv)
{
    static struct channel ch; /* 64 KiB buffer: not on the stack */
    struct options o;
    bool hello_sent = false;
    long backoff_ms = 100;
    int64_t failing_since = 0;
    int last_failure = CHANNEL_EOF;

    ensure_std_fds();
    hash_seed_init();
    parse_options(argc, argv, &o);
    /* A host that goes away must show up as EPIPE, not kill the agent. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        log_msg("signal(SIGPIPE): %s", strerror(errno));
        return 1;
    }
    if (o.facts)
        return facts_to_stdout();
    if (o.reuseport_port)
        return reuseport_probe(o.reuseport_port);
    if (o.exposure_lo)
        return exposure_report(o.exposure_lo, o.exposure_hi);

    channel_init(&ch, o.channel);
    if (channel_open(&ch, PORT_WAIT_MS, false) < 0)
        return 1;
    log_msg("channel %s open", ch.dev);

    for (;;) {
        enum channel_status st = CHANNEL_ERROR;
        enum dispatch_next next = NEXT_CONTINUE;
        char *line;
        size_t len;
        json_t *answer = NULL;

        /* hello is once per boot (docs/protocol.md), not per reconnect. */
        if (!hello_sent) {
            if (send_message(&ch, facts_hello()) == 0) {
                hello_sent = true;
                st = channel_read_line(&ch, &line, &len);
            }
        } else {
            st = channel_read_line(&ch, &line, &len);
        }

        if (st == CHANNEL_LINE)
            answer = dispatch_line(line, len, &next);
        else if (st == CHANNEL_TOO_LONG)
            answer = error_message(0, "line longer than %d bytes (newline included)", CHANNEL_LINE_MAX);

        if (answer && send_message(&ch, answer) < 0)
            st = CHANNEL_ERROR;
        else if ((st == CHANNEL_LINE || st == CHANNEL_TOO_LONG) && failing_since) {
            log_msg("channel %s is back", ch.dev);
            failing_since = 0;
            backoff_ms = 100;
        }

        /* Even if bye did not get through: the host did ask. */
        if (next != NEXT_CONTINUE) {
            enum power_action a = next == NEXT_REBOOT ? POWER_REBOOT : POWER_POWEROFF;

            if (o.dry_run_power) {
                log_msg("%s requested; --dry-run-power: exiting instead", power_action_name(a));
                channel_close(&ch);
                return 0;
            }
            power_request(a);
            wait_for_the_end(&ch);
        }
        if (st != CHANNEL_EOF && st != CHANNEL_ERROR)
            continue;

        /* Said once per outage, not once per attempt. */
        if (!failing_since) {
            failing_since = now_ns();
            log_msg("%s on the channel %s; reopening it for up to %ld s",
                    st == CHANNEL_EOF ? "end of file" : "error", ch.dev, o.reopen_s);
        }
        last_failure = st;
        if (!reopen(&ch, failing_since, o.reopen_s, &backoff_ms)) {
            channel_close(&ch);
            /* End of file is how the protocol ends (docs/protocol.md). */
            return last_failure == CHANNEL_EOF ? 0 : 1;
        }
    }
}
