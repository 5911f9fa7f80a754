/*
 * config_routes - the list sections of the config: lines, scanner and
 * scan profiles, routes with their recipients
 *
 * Private to conf/: config.c calls these in this order (each may refer to
 * what the earlier ones read), then config_routes_link() ties scan profiles
 * to routes and adds the warnings about unreachable or missing routes.
 * Calls run one way: config.c -> config_routes.c -> config_read.c and
 * address.c; the lookups config_line_find(), config_profile_find() and
 * config_route_find() (declared in config.h) are defined here, with the
 * lists they walk, so nothing here calls back into config.c.
 * Problems go to the reader (conf/config_read.h). Threads: one load.
 */
#ifndef IFAXGW_CONF_CONFIG_ROUTES_H
#define IFAXGW_CONF_CONFIG_ROUTES_H

#include <libconfig.h>

#include "conf/config.h"
#include "conf/config_read.h"

void config_routes_read_lines(struct config_reader *rd,
                              const config_setting_t *root, struct config *cf);
void config_routes_read_scanner(struct config_reader *rd,
                                const config_setting_t *root,
                                struct config *cf);
void config_routes_read_routes(struct config_reader *rd,
                               const config_setting_t *root, struct config *cf);
void config_routes_link(struct config_reader *rd, const config_setting_t *root,
                        struct config *cf);

/* Free lines, profiles and routes of cf (not cf itself). */
void config_routes_free(struct config *cf);

/* Does tmpl use only known ${...} variables? why gets the first bad one. */
int config_routes_check_template(const char *tmpl, char *why, size_t why_len);

#endif
