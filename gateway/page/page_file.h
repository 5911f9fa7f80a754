/*
 * page_file - byte buffers and whole-or-nothing files for the page module
 *
 * Outputs are built in memory and land by rename(2) of a temporary file in
 * the same directory, so a reader never sees a partial page file. Durable
 * writes also fsync the file and the directory (the spool's discipline).
 * Errors: -1 with *why. Threads: any.
 */
#ifndef IFAXGW_GATEWAY_PAGE_PAGE_FILE_H
#define IFAXGW_GATEWAY_PAGE_PAGE_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/errbuf.h"

struct page_buf {
    unsigned char *p; /* owned; free with page_buf_release() */
    size_t len, cap;
};

void page_buf_append(struct page_buf *b, const void *data, size_t n);
void page_buf_release(struct page_buf *b); /* frees p, keeps b usable */

/* Read a whole file of at most max bytes into *out (caller releases). */
int page_file_read(const char *path, size_t max, struct page_buf *out,
                   struct errbuf *why);

/* Write len bytes to path via a temporary name and rename(2); with durable,
 * fsync the file before the rename, so a name that survives a crash holds
 * the whole file. The directory is not synced: these files are derived
 * (converted pages, thumbnails) and one lost in a crash is made again. */
int page_file_write(const char *path, const void *data, size_t len,
                    bool durable, struct errbuf *why);

/* Put the complete file tmp under the name path: fsync tmp, rename it
 * (derived files, as for page_file_write). */
int page_file_commit(const char *tmp, const char *path, struct errbuf *why);

#endif
