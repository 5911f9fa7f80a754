/* announce - purge of stale AudioSocket announcements (gateway/announce.h) */
#include "gateway/announce.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/lines.h"
#include "t30/audiosocket.h"

/* An announcement ("UUID") or a writer's temporary file (".UUID.PID"). */
static bool
announce_name_ours(const char *name)
{
    char uuid[37];
    const char *p;

    if (name[0] != '.')
        return audiosocket_uuid_valid(name);
    if (strlen(name) < 1 + 36 + 2 || name[37] != '.')
        return false;
    memcpy(uuid, name + 1, 36);
    uuid[36] = '\0';
    for (p = name + 38; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            return false;
    return audiosocket_uuid_valid(uuid);
}

int
announce_purge(const char *spool, int64_t now_ms, struct errbuf *why)
{
    char dir[4096];
    int64_t before_s = now_ms / 1000 - ANNOUNCE_MAX_AGE_S;
    int removed = 0, seen = 0, dfd;
    struct dirent *e;
    struct stat st;
    DIR *d;

    (void)snprintf(dir, sizeof dir, "%s/%s", spool, LINES_ANNOUNCE_DIR);
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd == -1)
        return errno == ENOENT ? 0
                               : errbuf_errno(why, "announce purge: %s", dir);
    d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return errbuf_errno(why, "announce purge: %s", dir);
    }
    while (removed < ANNOUNCE_PURGE_MAX && seen < ANNOUNCE_SCAN_MAX &&
           (e = readdir(d)) != NULL) {
        seen++;
        if (!announce_name_ours(e->d_name))
            continue;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
            S_ISDIR(st.st_mode) || (int64_t)st.st_mtime >= before_s)
            continue; /* gone meanwhile (a call took it), or fresh */
        if (unlinkat(dfd, e->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}
