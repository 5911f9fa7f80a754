/* announce command: `ifaxgw announce UUID --caller N --called N` tells an
 * AudioSocket line who is calling before the dialplan hands the call over
 * (the file format and its reader: t30/audiosocket.h). */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "gateway/announce.h"
#include "gateway/cli.h"
#include "gateway/commands.h"
#include "gateway/lines.h"
#include "gateway/util/mstime.h"
#include "t30/audiosocket.h"

static void
announce_cmd_usage(FILE *out)
{
    fprintf(out,
            "usage: ifaxgw announce [-c FILE] [--spool DIR] [--caller N]\n"
            "                       [--called N] [--name TEXT] UUID\n\n"
            "Announce an AudioSocket call before the dialplan runs\n"
            "AudioSocket(UUID,host:port): the line that takes the call with\n"
            "this UUID gives its caller ID, called number and caller name to\n"
            "the routes, the job and the call log. Values: at most %d\n"
            "characters, no control characters; a space becomes '_'.\n\n"
            "  -c FILE       config (for the spool directory)\n"
            "  --spool DIR   spool directory, overriding the config\n"
            "  --caller N    caller ID (e.g. ${CALLERID(num)})\n"
            "  --called N    called number (e.g. ${EXTEN})\n"
            "  --name TEXT   caller name (e.g. ${CALLERID(name)})\n\n"
            "Announcements older than %d minutes (calls that never came)\n"
            "are removed, by this command and by the running gateway.\n\n"
            "exit: 0 announced, 1 not written (reason on stderr), 2 usage\n",
            CALLREC_ID_MAX, ANNOUNCE_MAX_AGE_S / 60);
}

/* A value fit for the CALL line: bounded, no control characters, spaces
 * (the field separator) turned to '_'. false: refused. */
static bool
announce_cmd_value(const char *what, const char *v, char *out, size_t n)
{
    size_t len = v ? strlen(v) : 0;

    out[0] = '\0';
    if (v == NULL)
        return true;
    if (len > CALLREC_ID_MAX || len >= n) {
        fprintf(stderr, "ifaxgw announce: --%s longer than %d characters\n",
                what, CALLREC_ID_MAX);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];

        if (ch < 0x20 || ch == 0x7f) {
            fprintf(stderr, "ifaxgw announce: --%s has a control character\n",
                    what);
            return false;
        }
        out[i] = ch == ' ' ? '_' : (char)ch;
    }
    out[len] = '\0';
    return true;
}

/* Write dir/uuid atomically (a temporary name, then rename). */
static int
announce_cmd_write(const char *spool, const char *uuid, const char *line)
{
    char dir[4096], tmp[4200], path[4200];
    int fd;
    size_t len = strlen(line);

    snprintf(dir, sizeof dir, "%s/%s", spool, LINES_ANNOUNCE_DIR);
    if (mkdir(dir, 0770) == -1 && errno != EEXIST) {
        if (errno == ENOENT) /* the daemon makes the spool, owned right */
            fprintf(stderr,
                    "ifaxgw announce: spool %s does not exist: the gateway "
                    "creates it when it starts (start it, or check "
                    "gateway.spool / --spool)\n",
                    spool);
        else
            fprintf(stderr, "ifaxgw announce: %s: %s\n", dir,
                    strerror(errno));
        return 1;
    }
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld", dir, uuid, (long)getpid());
    snprintf(path, sizeof path, "%s/%s", dir, uuid);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
              0640);
    if (fd == -1 || write(fd, line, len) != (ssize_t)len || close(fd) == -1 ||
        rename(tmp, path) == -1) {
        fprintf(stderr, "ifaxgw announce: %s: %s\n", path, strerror(errno));
        (void)unlink(tmp);
        return 1;
    }
    return 0;
}

/* Stale announcements go with each new one, so the directory stays small
 * even when no daemon runs. The announcement is written: a failed purge
 * is a warning, not the exit status. */
static void
announce_cmd_purge(const char *spool)
{
    struct errbuf why;
    int n = announce_purge(spool, mstime_wall(), &why);

    if (n == -1)
        fprintf(stderr, "ifaxgw announce: warning: %s\n", why.text);
    else if (n > 0)
        fprintf(stderr, "ifaxgw announce: removed %d announcement(s) older "
                        "than %d min (their calls never came)\n",
                n, ANNOUNCE_MAX_AGE_S / 60);
}

int
announce_cmd_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"caller", required_argument, NULL, 'f'},
        {"called", required_argument, NULL, 'n'},
        {"name", required_argument, NULL, 'N'},
        {"spool", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *conf = NULL, *spool = NULL, *caller = NULL, *called = NULL,
               *name = NULL;
    char uuid[40], v1[CALLREC_ID_MAX + 1], v2[CALLREC_ID_MAX + 1],
        v3[CALLREC_ID_MAX + 1], line[AUDIOSOCKET_ANNOUNCE_MAX];
    struct config *cf = NULL;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': conf = optarg; break;
        case 'f': caller = optarg; break;
        case 'n': called = optarg; break;
        case 'N': name = optarg; break;
        case 's': spool = optarg; break;
        case 'h': announce_cmd_usage(stdout); return 0;
        default: announce_cmd_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || strlen(argv[optind]) >= sizeof uuid) {
        announce_cmd_usage(stderr);
        return 2;
    }
    for (size_t i = 0; i <= strlen(argv[optind]); i++)
        uuid[i] = (char)tolower((unsigned char)argv[optind][i]);
    if (!audiosocket_uuid_valid(uuid)) {
        fprintf(stderr, "ifaxgw announce: not a UUID (8-4-4-4-12 hex "
                        "digits)\n");
        return 2;
    }
    if (!announce_cmd_value("caller", caller, v1, sizeof v1) ||
        !announce_cmd_value("called", called, v2, sizeof v2) ||
        !announce_cmd_value("name", name, v3, sizeof v3))
        return 2;
    snprintf(line, sizeof line, "CALL caller=%s called=%s name=%s\n", v1, v2,
             v3);
    if (spool == NULL) {
        cf = cli_config_load(conf);
        if (cf == NULL)
            return 1;
        spool = cf->gateway.spool;
    }
    rc = announce_cmd_write(spool, uuid, line);
    if (rc == 0)
        announce_cmd_purge(spool);
    config_free(cf);
    return rc;
}
