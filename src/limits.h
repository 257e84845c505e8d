/* Every bound rtstage enforces, with the reason for its value.
 *
 * Model constraints (name lengths, page sizes, ...) are not here: they come
 * from the service model through the generated shape tables.
 */
#ifndef RTSTAGE_LIMITS_H
#define RTSTAGE_LIMITS_H

/* Largest request body. The biggest valid ivs-realtime request (CreateStage
 * with 12 token configurations of 1 KB attributes and 50 tags) is ~30 KB;
 * 1 MiB leaves room without letting a client park large buffers. */
#define LIMIT_BODY_BYTES (1024 * 1024)

/* JSON nesting depth. The deepest model shape nests 4 levels; 32 is ample
 * and keeps recursive walks shallow. */
#define LIMIT_JSON_DEPTH 32

/* Header names and values together. AWS SDK requests carry under 2 KB. */
#define LIMIT_HEADER_BYTES (16 * 1024)

/* Headers in one request. SDKs send about a dozen. */
#define LIMIT_HEADER_COUNT 64

/* What libmicrohttpd may buffer per connection for the request line and
 * headers: beyond it, it answers 431 itself (the one refusal that is not
 * AWS-shaped). Four times LIMIT_HEADER_BYTES, so ours comes first. */
#define LIMIT_CONNECTION_MEMORY (4 * LIMIT_HEADER_BYTES)

/* Request target (path and query). The longest valid one, UntagResource
 * with 50 keys of 128 characters percent-encoded, is about 20 KB. */
#define LIMIT_URL_BYTES (32 * 1024)

/* Concurrent connections in total. Each costs a few KB in libmicrohttpd;
 * idle ones cost no thread (epoll). At the limit the server stops
 * accepting: further connections wait in the kernel's queue until a slot
 * frees (libmicrohttpd shares the limit among its workers). */
#define LIMIT_CONNECTIONS 4096

/* Concurrent connections from one client address, so that one client
 * cannot take every slot. */
#define LIMIT_CONNECTIONS_PER_ADDRESS 512

/* Once this many connections are open, an address may open new ones only
 * while it holds fewer than LIMIT_CONNECTIONS_SHARE: two addresses can
 * reach LIMIT_CONNECTIONS_PER_ADDRESS before the server is crowded, every
 * further one a tenth of the total, so it takes at least ten addresses
 * (2 x 512 + 8 x 410 > 4096) to fill every slot and shut others out. */
#define LIMIT_CONNECTIONS_CROWDED (LIMIT_CONNECTIONS / 4)
#define LIMIT_CONNECTIONS_SHARE ((LIMIT_CONNECTIONS + 9) / 10)

/* Idle keep-alive connection timeout, seconds (--idle-timeout). Long
 * enough for SDK connection reuse, short enough to reclaim abandoned
 * sockets. */
#define LIMIT_IDLE_SECONDS 60

/* From the first byte of a request to its last (request line, headers and
 * body), seconds (--request-timeout): a client trickling any part of it is
 * cut off, whatever its pace. */
#define LIMIT_REQUEST_SECONDS 30

/* How often request deadlines and closed peers are checked, milliseconds:
 * the granularity of the request deadline, and the delay before the slot
 * of an abandoned partial request is free again. At 4,000 abandoned
 * requests a second from one address, 25 ms + LIMIT_FIN_GRACE_MS leave
 * about 180 outstanding, well under LIMIT_CONNECTIONS_PER_ADDRESS; a
 * check walks LIMIT_CONNECTIONS slots, microseconds. */
#define LIMIT_WATCH_TICK_MS 25

/* After a peer's FIN with a request still partial and nothing left unread,
 * milliseconds before its connection is closed: the time the worker has to
 * parse a whole request it has just read, so that a request sent whole
 * before the FIN is answered, not cut. */
#define LIMIT_FIN_GRACE_MS 20

/* How often a connection waiting for its next request is checked for the
 * first byte of one, milliseconds: the request deadline starts up to this
 * late. One getsockopt per idle connection: at LIMIT_CONNECTIONS idle
 * connections, about 40,000 a second, a percent or two of a core. */
#define LIMIT_WATCH_IDLE_MS 100

/* Socket events the request watch takes per wakeup. */
#define LIMIT_WATCH_EVENTS 64

/* Violations listed in one ValidationException message, like AWS's
 * validator, which stops reporting after a handful. */
#define LIMIT_VALIDATION_ERRORS 10

/* Longest Value '...' excerpt quoted in a validation message. */
#define LIMIT_VALUE_EXCERPT 256

/* Time a graceful stop waits for requests in flight, seconds. */
#define LIMIT_SHUTDOWN_SECONDS 10

/* SQLite busy wait, milliseconds: writers queue behind one another. */
#define LIMIT_STORE_BUSY_MS 5000

/* PostgreSQL: the longest any one statement (a lock wait included) may
 * take, milliseconds. A request fails with InternalServerException rather
 * than hang when the database stalls. Migrations are exempt. */
#define LIMIT_PG_STATEMENT_MS 5000

/* PostgreSQL: seconds to establish a connection, and the TCP timeout after
 * which a silent peer counts as gone (milliseconds). */
#define LIMIT_PG_CONNECT_SECONDS 3
#define LIMIT_PG_TCP_TIMEOUT_MS 6000

/* PostgreSQL: while the database is unreachable, connection attempts are
 * made at most this often (milliseconds); requests in between fail at
 * once instead of each waiting for a connect to time out. */
#define LIMIT_PG_RETRY_MS 500

#endif
