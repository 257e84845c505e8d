/* Which Host and Origin values name this machine's loopback interface.
 *
 * Pure functions over strings, no I/O. Protected mode uses them against DNS
 * rebinding: a page whose name resolves to 127.0.0.1 still sends its own
 * name as Host, and its own origin as Origin.
 */
#ifndef RTSTAGE_HTTP_HOST_H
#define RTSTAGE_HTTP_HOST_H

/* 1 if host is `localhost`, a 127.x.x.x literal or [::1] (any loopback
 * IPv6 literal in brackets), with an optional decimal port; 0 otherwise
 * (NULL included). `localhost` is matched without regard to case. */
int host_is_loopback(const char *host);

/* 1 if origin is http:// or https:// followed by such a host and nothing
 * else; 0 otherwise ("null", other schemes, paths and NULL included). */
int host_origin_is_loopback(const char *origin);

#endif
