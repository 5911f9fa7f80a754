/* spool - file-system primitives of the job spool (contract in spool.h) */
#define _DEFAULT_SOURCE /* flock(2), DT_* of readdir */
#include "gateway/spool/spool.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/util/xalloc.h"

#define SPOOL_NAME_MAX 256 /* NAME_MAX plus the ".tmp" suffix fits */

bool
spool_id_ok(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n >= 48 || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    }
    return true;
}

int
spool_fsync(int fd, const char *what, struct errbuf *why)
{
    if (fsync(fd) == -1)
        return errbuf_errno(why, "fsync %s", what);
    return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w == -1 && errno == EINTR)
            continue;
        if (w == -1)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int
spool_write_file(int dfd, const char *name, const void *buf, size_t len,
                 struct errbuf *why)
{
    char tmp[SPOOL_NAME_MAX];
    int fd = -1;

    if (snprintf(tmp, sizeof tmp, "%s" SPOOL_TMP_SUFFIX, name) >=
        (int)sizeof tmp)
        return errbuf_set(why, ERR_PERM, "", "file name too long");
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd == -1)
        return errbuf_errno(why, "create %s", tmp);
    if (write_all(fd, buf, len) == -1 || fsync(fd) == -1)
        goto fail;
    if (close(fd) == -1) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (renameat(dfd, tmp, dfd, name) == -1)
        goto fail;
    return 0;
fail:
    errbuf_errno(why, "write %s", name); /* before close() clobbers errno */
    if (fd != -1)
        close(fd);
    (void)unlinkat(dfd, tmp, 0);
    return -1;
}

int
spool_read_file(int dfd, const char *name, size_t max, char **buf, size_t *len,
                struct errbuf *why)
{
    struct stat st;
    char *b = NULL;
    size_t got = 0;
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);

    if (fd == -1)
        return errbuf_errno(why, "open %s", name);
    if (fstat(fd, &st) == -1)
        goto fail;
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return errbuf_set(why, ERR_PERM, "", "%s: over %zu bytes", name, max);
    }
    b = xmalloc((size_t)st.st_size + 1);
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1)
            goto fail;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    b[got] = '\0';
    *buf = b;
    *len = got;
    return 0;
fail:
    errbuf_errno(why, "read %s", name);
    close(fd);
    free(b);
    return -1;
}

int
spool_fsync_files(int dfd, struct errbuf *why)
{
    char **names = NULL;
    size_t n = 0;
    int rc = 0;

    if (spool_list(dfd, &names, &n, why) == -1)
        return -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int fd = openat(dfd, names[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd == -1) {
            rc = errbuf_errno(why, "open %s", names[i]);
            break;
        }
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(fd) == -1)
            rc = errbuf_errno(why, "fsync %s", names[i]);
        close(fd);
    }
    spool_names_free(names, n);
    return rc;
}

static int
rmtree_at(int dfd, const char *name, int depth, struct errbuf *why)
{
    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return errbuf_errno(why, "unlink %s", name);
    if (depth > 2)
        return errbuf_set(why, ERR_PERM, "", "%s: nested too deep", name);
    int sub =
        openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (sub == -1)
        return errno == ENOENT ? 0 : errbuf_errno(why, "open %s", name);
    char **names = NULL;
    size_t n = 0;
    int rc = spool_list(sub, &names, &n, why);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = rmtree_at(sub, names[i], depth + 1, why);
    spool_names_free(names, n);
    /* dot files too: a stray ".x" must not keep the directory alive */
    close(sub);
    if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
        rc = errbuf_errno(why, "rmdir %s", name);
    return rc;
}

int
spool_rmtree(int dfd, const char *name, struct errbuf *why)
{
    return rmtree_at(dfd, name, 0, why);
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
spool_list(int dfd, char ***names, size_t *n, struct errbuf *why)
{
    int fd = dup(dfd);
    DIR *d;
    struct dirent *e;
    char **v = NULL;
    size_t cnt = 0, cap = 0;

    *names = NULL;
    *n = 0;
    if (fd == -1 || (d = fdopendir(fd)) == NULL) {
        errbuf_errno(why, "opendir");
        if (fd != -1)
            close(fd);
        return -1;
    }
    rewinddir(d);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' &&
            (e->d_name[1] == '\0' ||
             (e->d_name[1] == '.' && e->d_name[2] == '\0')))
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            v = xrealloc(v, cap * sizeof *v);
        }
        v[cnt++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (cnt > 1)
        qsort(v, cnt, sizeof *v, name_cmp);
    *names = v;
    *n = cnt;
    return 0;
}

void
spool_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int
spool_lock_dir(int dfd, const char *name, struct errbuf *why)
{
    struct stat a, b;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd == -1) {
        if (errno == ENOENT)
            return errbuf_set(why, ERR_PERM, "", "no such job: %s", name);
        return errbuf_errno(why, "open %s", name);
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return errbuf_set(why, ERR_TEMP, "",
                              "job %s is busy (being delivered or changed)",
                              name);
        errno = e;
        return errbuf_errno(why, "lock %s", name);
    }
    if (fstat(fd, &a) == -1 || fstatat(dfd, name, &b, 0) == -1 ||
        a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
        close(fd);
        return errbuf_set(why, ERR_PERM, "", "no such job: %s (moved)", name);
    }
    return fd;
}
