/*
 * smtp_addr - envelope addresses and RFC 3461 xtext
 *
 * Checks a mailbox before it goes into MAIL FROM / RCPT TO (RFC 5321 4.5.3.1
 * limits, no CR/LF/NUL, no '<' '>' or spaces that could add parameters),
 * splits off the domain, recognises address literals (4.1.3) and encodes
 * xtext for ENVID and ORCPT. Pure functions on buffers, no I/O.
 * Errors: -1 with why filled, class PERM (the address itself is wrong).
 * Threads: any.
 */
#ifndef IFAXGW_SMTP_SMTP_ADDR_H
#define IFAXGW_SMTP_SMTP_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/errbuf.h"

#define SMTP_LOCAL_MAX  64  /* RFC 5321 4.5.3.1.1 local-part, octets */
#define SMTP_DOMAIN_MAX 255 /* 4.5.3.1.2 domain, octets */
#define SMTP_PATH_MAX   256 /* 4.5.3.1.3 path incl. "<" ">" */
#define SMTP_ENVID_MAX  100 /* RFC 3461 4.4, before xtext encoding */
#define SMTP_ORCPT_MAX  500 /* RFC 3461 4.2, whole parameter value */

/* 0 when addr may be sent as <addr> ("" is the null path, allowed only if
 * null_ok); -1 with why (PERM, "5.1.3") otherwise. */
int smtp_addr_check(const char *addr, bool null_ok, struct errbuf *why);

/* The domain part after the last '@', or NULL when there is none.
 * Borrowed from addr. */
const char *smtp_addr_domain(const char *addr);

/*
 * RFC 3461 4 xtext of src into dst (size n): "!".."~" except '+' and '=' as
 * is, everything else "+XX". Returns the length, or -1 with why (PERM,
 * "5.5.4") if src has bytes outside printable ASCII or dst is too small.
 */
int smtp_xtext_encode(char *dst, size_t n, const char *src, struct errbuf *why);

#endif
