/*
 * web_assets - the static web page compiled into the binary
 *
 * gateway/web/embed_assets.cmake turns every file in
 * gateway/web/web_assets/ into an entry of web_assets[], terminated by a
 * NULL name. Read-only data.
 */
#ifndef IFAXGW_GATEWAY_WEB_WEB_ASSETS_H
#define IFAXGW_GATEWAY_WEB_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
    const char *name;          /* file name, e.g. "index.html" */
    const unsigned char *data; /* NUL-terminated for convenience */
    size_t len;                /* bytes, without the NUL */
};

extern const struct web_asset web_assets[];

#endif
