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

/* Idle keep-alive connection timeout, seconds (--idle-timeout). Long
 * enough for SDK connection reuse, short enough to reclaim abandoned
 * sockets. */
#define LIMIT_IDLE_SECONDS 60

/* From the end of the headers to the end of the body, seconds
 * (--request-timeout): a client trickling a body is cut off, whatever its
 * pace. */
#define LIMIT_REQUEST_SECONDS 30

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

/* Prepared statements cached on one store connection. Every query is a
 * string literal, so a connection needs one per distinct query in the
 * program (about fifty); the cache grows as needed up to this bound,
 * which only a caller building SQL text at run time (a new address per
 * call, hence a new statement each time) could reach: that call fails
 * with InternalServerException instead of leaking a statement per call. */
#define LIMIT_STORE_STATEMENTS 1024

/* Largest key file read as a signing key. A P-384 private key in PEM is
 * about 300 bytes; a larger file is not one of ours and is skipped. */
#define LIMIT_KEY_PEM_BYTES 4096

/* The latest instant a timestamp may name, seconds since the epoch
 * (9999-12-31T23:59:59Z): the ISO 8601 text of TIME_ISO8601_LEN has a
 * four-digit year. A token's exp beyond it is reported as out of range. */
#define LIMIT_TIME_MAX 253402300799LL

/* Largest WebSocket message a client may send, reassembled from its
 * fragments. IVS signalling messages are JSON; the biggest, an SDP offer
 * sent over the events socket, is about 10 KB. 64 KiB leaves room for
 * richer offers while one connection can park at most this much. */
#define LIMIT_WS_MESSAGE_BYTES (64 * 1024)

/* Jobs waiting in one event loop's queue (loop_post). Each slot is two
 * pointers, allocated once with the loop (64 KiB). A loop this far behind
 * is overloaded: refusing lets the producer shed the work (answer busy,
 * close a socket) instead of queueing memory without bound. */
#define LIMIT_LOOP_QUEUE 4096

/* A stage session ends this long after its last participant left
 * (--session-idle-timeout), milliseconds: a participant reconnecting
 * after a network change or a page reload within it stays in the same
 * session, as on the real service. */
#define LIMIT_SESSION_IDLE_MS (180 * 1000LL)

/* Days the history of an ended session (its participants and events) is
 * kept before it is deleted: as long as the real service lists them. */
#define LIMIT_HISTORY_DAYS 14

/* How long a revoked participant id is remembered, milliseconds: the
 * longest token lifetime (20160 minutes, the model's bound), after which
 * every token naming it has expired anyway. */
#define LIMIT_REVOCATION_KEEP_MS (20160 * 60 * 1000LL)

#endif
