/* page_file - buffers and atomic files; see page_file.h */
#define _GNU_SOURCE /* mkostemp(3) */
#include "gateway/page/page_file.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/util/xalloc.h"

void
page_buf_append(struct page_buf *b, const void *data, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;

        while (cap < b->len + n)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void
page_buf_release(struct page_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int
page_file_read(const char *path, size_t max, struct page_buf *out,
               struct errbuf *why)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    out->p = NULL;
    out->len = out->cap = 0;
    if (fd == -1)
        return errbuf_errno(why, "open %s", path);
    if (fstat(fd, &st) == -1) {
        errbuf_errno(why, "stat %s", path);
        goto fail;
    }
    if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        errbuf_set(why, ERR_PERM, "5.6.0",
                   "%s: not a regular file of at most "
                   "%zu bytes",
                   path, max);
        goto fail;
    }
    out->cap = (size_t)st.st_size + 1;
    out->p = xmalloc(out->cap);
    while (out->len < (size_t)st.st_size) {
        ssize_t n = read(fd, out->p + out->len, (size_t)st.st_size - out->len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            errbuf_errno(why, "read %s", path);
            goto fail;
        }
        out->len += (size_t)n;
    }
    close(fd);
    return 0;
fail:
    close(fd);
    page_buf_release(out);
    return -1;
}

int
page_file_write(const char *path, const void *data, size_t len, bool durable,
                struct errbuf *why)
{
    char *tmp = xasprintf("%s.tmp-XXXXXX", path);
    const unsigned char *p = data;
    size_t done = 0;
    int fd = mkostemp(tmp, O_CLOEXEC);

    if (fd == -1) {
        errbuf_errno(why, "create %s", tmp);
        free(tmp);
        return -1;
    }
    (void)fchmod(fd, 0644);
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            errbuf_errno(why, "write %s", tmp);
            goto fail;
        }
        done += (size_t)n;
    }
    if (durable && fsync(fd) == -1) {
        errbuf_errno(why, "fsync %s", tmp);
        goto fail;
    }
    if (close(fd) == -1) {
        fd = -1;
        errbuf_errno(why, "close %s", tmp);
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) == -1) {
        errbuf_errno(why, "rename %s", path);
        goto fail;
    }
    free(tmp);
    return 0;
fail:
    if (fd != -1)
        close(fd);
    (void)unlink(tmp);
    free(tmp);
    return -1;
}

int
page_file_commit(const char *tmp, const char *path, struct errbuf *why)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);

    if (fd == -1)
        return errbuf_errno(why, "open %s", tmp);
    if (fsync(fd) == -1) {
        errbuf_errno(why, "fsync %s", tmp);
        close(fd);
        return -1;
    }
    close(fd);
    if (rename(tmp, path) == -1)
        return errbuf_errno(why, "rename %s", path);
    return 0;
}
