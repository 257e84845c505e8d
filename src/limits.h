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

/* JSON values in one request body, counted before parsing
 * (util/jsonscan.h): each costs the parser an allocated node of tens of
 * bytes, so a 1 MiB body of "[{},{},...]" would take ~50 MB. The largest
 * valid request (CreateStage with 12 token configurations, their
 * attributes and 50 tags) has a few thousand values. */
#define LIMIT_JSON_VALUES 10000

/* JSON Patch (Cloud Control UpdateResource): the most a patched document
 * may weigh, counted as the least length of its compact JSON text, and the
 * most a patch may copy in all. A resource model travels as Properties of
 * at most 64 KB, so twice that is room for any intermediate state of a
 * patch whose result can be valid; the copy bound keeps a patch of copies
 * and removes to a few milliseconds. Without them 24 copies of the root
 * would need ~80 GB. */
#define LIMIT_PATCH_DOCUMENT_BYTES (2 * 65536)
#define LIMIT_PATCH_COPY_BYTES (8 * LIMIT_PATCH_DOCUMENT_BYTES)

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
 * made at most this often (milliseconds): one request waits for the next
 * attempt and makes it, the others in between fail at once instead of
 * each waiting for a connect to time out. */
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

/* One log line, bytes. At most PIPE_BUF (4096 on Linux), so that one
 * write(2) of a line to a pipe is atomic and concurrent workers never
 * interleave within a line. */
#define LOG_LINE_BYTES 4096

/* Longest error message quoted in a request's log line, and longest other
 * field (ids, addresses, names): nine fields of these sizes fit one line
 * with room for the names, so a JSON line is never cut short. */
#define LOG_VALUE_BYTES 1024
#define LOG_FIELD_BYTES 256

/* Series of one metric family (label combinations): operations x statuses
 * stay under a few hundred; the cap keeps a client that invents statuses
 * or names from growing the registry without bound. */
#define METRICS_MAX_SERIES 1024

/* Metric families in the registry: the core ones and room for the
 * subsystems to come. */
#define METRICS_MAX_FAMILIES 64

/* Buckets of one histogram, +Inf excluded. */
#define METRICS_MAX_BUCKETS 16

/* Response headers one answer may carry: x-amzn-RequestId,
 * x-amzn-ErrorType, and a WHIP answer's Location, Link and five CORS
 * headers (Allow-Origin, Vary, Expose-Headers, Allow-Methods,
 * Allow-Headers, Max-Age), with room to spare (the HTTP layer's array). */
#define HTTP_MAX_HEADERS 12

/* Longest response header value: a WHIP Link names the session URL, which
 * is the token's whip_url (PTOKEN_URL_CAP) plus the session path and the
 * rel parameter. */
#define HTTP_HEADER_VALUE_CAP 1024

/* SigV4: how far a request's X-Amz-Date may be from the server's clock,
 * seconds. AWS's own bound. */
#define AUTH_MAX_SKEW_SECONDS (5 * 60)

/* Group commit: most write jobs in one transaction when the driver sets
 * no bound of its own. Enough to amortise one fsync over a burst, few
 * enough that one batch's latency stays in milliseconds. */
#define STORE_BATCH 128

/* Cloud Control: how long a resource request stays readable
 * (GetResourceRequestStatus, ListResourceRequests) and binds its
 * ClientToken: the real service's 7 days. */
#define CC_REQUEST_RETAIN_MS (7LL * 24 * 3600 * 1000)

/* Cloud Control: a request still IN_PROGRESS this long after it began was
 * cut short (the node stopped mid-way; requests run for milliseconds): it
 * reads as FAILED. */
#define CC_REQUEST_STALE_MS (120LL * 1000)

/* A listening port. */
#define LIMIT_PORT_MAX 65535

/* The event bus across nodes (store/notify.c, PostgreSQL LISTEN/NOTIFY). */

/* A NOTIFY payload, its NUL included: PostgreSQL refuses payloads of 8000
 * bytes or more (in its default build). An encoded event is at most about
 * 1.4 KB (core/bus_wire.c checks that it always fits). */
#define LIMIT_NOTIFY_PAYLOAD_BYTES 8000

/* The longest a publisher may wait to hand one event to the database,
 * milliseconds: the send lock, a reconnect and the statement together.
 * Publishers are request and socket threads; past it the send fails (the
 * store is the truth, other nodes catch up at their next event). */
#define LIMIT_NOTIFY_SEND_MS 1000

/* After a failed attempt, the sending connection is not tried again for
 * this long, milliseconds, so that while the database is away each
 * publisher fails at once instead of waiting LIMIT_NOTIFY_SEND_MS. */
#define LIMIT_NOTIFY_SEND_RETRY_MS 500

/* The listener's reconnect back-off, milliseconds: the first retry after
 * this, each next one twice as late up to the maximum, so a node is back
 * within about two seconds of the database without hammering it. */
#define LIMIT_NOTIFY_BACKOFF_MIN_MS 100
#define LIMIT_NOTIFY_BACKOFF_MAX_MS 2000

/* The listener's longest wait in poll, milliseconds: how often it looks
 * at its stop flag should the wake-up pipe fail to wake it. */
#define LIMIT_NOTIFY_POLL_MS 250

/* Largest --tls-cert or --tls-key file read. A certificate chain of four
 * RSA-4096 certificates in PEM is under 10 KB; a bigger file is not a
 * certificate chain and is refused before it is parsed. */
#define LIMIT_TLS_PEM_BYTES (64 * 1024)

/* Longest --public-url. The events and WHIP endpoints and the token claims
 * are built from it in buffers of ENDPOINT_URL_BYTES; a host name is at
 * most 253 characters, so 512 is ample for scheme, host and port. */
#define LIMIT_PUBLIC_URL_BYTES 512

/* One expanded endpoint URL (a template or the public URL with its path):
 * room for the longest public URL and any template of the same order. */
#define ENDPOINT_URL_BYTES 2048

/* ---- Domain bounds and defaults (the real service's, or ours with a reason) ---- */

/* Tags one resource may carry: the real service's limit. */
#define TAGS_MAX 50

/* A participant token's duration when the request names none, minutes:
 * the real service's default of 12 hours. */
#define DEFAULT_DURATION 720

/* A participant token's attributes, keys and values together, bytes of
 * UTF-8: the real service's 1 KB. */
#define MAX_ATTRIBUTE_BYTES 1024

/* Longest participant token a verifier reads. Ours are under 1.5 KB;
 * customer-signed ones carry the same claims. */
#define MAX_TOKEN (16 * 1024)

/* How long a retired signing key stays loaded and published after its
 * successor appeared: the longest token lifetime (14 days), so every
 * unexpired token still verifies. */
#define KEYS_RETAIN_SECONDS (14 * 24 * 3600)

/* ListStages, ListStorageConfigurations (and every List of the model
 * without a documented default): the real service's default page. */
#define DEFAULT_PAGE 50

/* Cloud Control ListResourceRequests: the real service's default page. */
#define LIST_REQUESTS_DEFAULT 20

/* Cloud Control: problems listed in one StatusMessage, and patterns of the
 * resource schemas compiled at start (they have a handful). */
#define MAX_PROBLEMS 5
#define MAX_PATTERNS 32

/* An imported public key's PEM text (ImportPublicKey, whose model sets no
 * length). A P-384 SubjectPublicKeyInfo in PEM is 215 bytes, 220 with CRLF
 * line ends; 2 KB leaves room for surrounding whitespace, and the text is
 * kept as given in every key's record. */
#define LIMIT_PUBLIC_KEY_PEM_BYTES 2048

/* JSON Pointer segments in one patch path. The deepest resource property
 * is 4 levels down; deeper paths are refused. */
#define MAX_TOKENS 64

/* SigV4: signed headers one request may list (SDKs sign under ten; the
 * HTTP layer allows LIMIT_HEADER_COUNT in all). */
#define MAX_HEADERS 64

/* SigV4: derived signing keys each worker thread remembers. Deriving one
 * costs four HMACs and a key is good for a whole day of one scope. */
#define KEY_CACHE 4

/* Random bytes each worker thread draws at once for request ids (16 per
 * id). A call into OpenSSL's CSPRNG costs a getpid() (its fork check) and
 * shared locks whatever its size; 512 bytes make that once per 32
 * requests. Request ids are public (every response carries its own). */
#define LIMIT_REQUEST_ID_POOL 512

/* PostgreSQL: parameters one statement may bind (the widest query has
 * under 20). */
#define MAX_PARAMS 32

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

/* ---- Media: DTLS-SRTP (src/media/cert.c, dtls.c, srtp.c) ---- */

/* Largest DTLS datagram we send, bytes of UDP payload: 1200 fits any
 * path's MTU after IPv6, UDP and a TURN or VPN header (ICE's own
 * assumption, RFC 8445), so handshake flights are fragmented by DTLS,
 * never by IP. */
#define DTLS_MTU 1200

/* Smallest MTU an endpoint accepts: OpenSSL's own floor for DTLS
 * (256 bytes of link MTU); below it a handshake message cannot be
 * fragmented at all. */
#define DTLS_MTU_MIN 256

/* Outgoing datagrams one endpoint holds between two drains by the caller,
 * and their bytes in all: our largest flight (ServerHello, a P-256
 * certificate of ~400 bytes, ServerKeyExchange, CertificateRequest,
 * ServerHelloDone) is ~1 KB, 8 datagrams at DTLS_MTU_MIN. Twice the
 * worst case, so a full queue means a caller that does not drain. */
#define DTLS_OUT_DATAGRAMS 32
#define DTLS_OUT_BYTES (8 * 1024)

/* Largest datagram an endpoint reads: a DTLS record is at most 2^14
 * bytes of plaintext plus its expansion, and a UDP payload is never
 * larger than this anyway. */
#define DTLS_IN_BYTES (16 * 1024 + 2048)

/* Largest certificate chain a peer may send, bytes: browsers send one
 * self-signed certificate of under 1 KB; OpenSSL's default (100 KB)
 * would let a peer make us buffer that much per endpoint. */
#define DTLS_MAX_CERT_LIST (8 * 1024)

/* Retransmission timer of a handshake flight, milliseconds: the first
 * wait, doubled after each timeout up to the ceiling (RFC 6347 4.2.4.1
 * starts at 1 s for an unknown path; ICE has just measured ours, and a
 * lost flight then costs a quarter second, not a second). */
#define DTLS_RTO_INITIAL_MS 250
#define DTLS_RTO_MAX_MS 4000

/* A handshake not complete this long after the endpoint was made fails
 * it, milliseconds: a browser gives up on ICE+DTLS after ~30 s too, and
 * the SFU must not hold a half-open peer longer. */
#define DTLS_HANDSHAKE_MS (30 * 1000)

/* Self-signed DTLS certificate's validity, days. Peers check only its
 * fingerprint (RFC 8827), never its dates; a year keeps it valid for
 * any client that looks anyway, and it is remade at every start. */
#define CERT_VALID_DAYS 365

/* SRTP replay window, packets (libsrtp2 accepts 64..32767): a video
 * keyframe at 4 Mb/s arrives as a burst of ~400 packets, and NACK
 * retransmissions (same sequence numbers, from a publisher without RTX)
 * arrive up to a second late; 1024 covers both, as in Chromium. */
#define SRTP_REPLAY_WINDOW 1024

/* ---- The events socket and the stage runtime ---- */

/* How far in the future a participant token's iat may be, seconds: the
 * clock skew SigV4 also tolerates between nodes and clients. */
#define LIMIT_TOKEN_CLOCK_SKEW_S 300

/* The longest a participant token may live, exp - iat, seconds: the
 * model's longest duration (20160 minutes, 14 days), which the real
 * service also imposes on tokens its customers sign themselves. */
#define LIMIT_TOKEN_LIFETIME_S (20160 * 60LL)

/* A participant token's user_id claim, UTF-16 code units: the model's
 * bound on CreateParticipantToken's userId, applied to customer-signed
 * tokens too. */
#define LIMIT_TOKEN_USER_ID_UNITS 128

/* Events sockets open at once on a node. Each costs its parser buffer and
 * an output buffer; below LIMIT_CONNECTIONS so API requests still get
 * connections when every socket is taken. A socket over the bound is
 * refused with HTTP 503 before the upgrade (the SDK retries). */
#define LIMIT_EVENTS_SOCKETS 768

/* Events sockets one client address may hold: a browser tab holds one; a
 * test host or a NAT of many users holds more, but one address cannot take
 * every slot. Over it: 503 before the upgrade. */
#define LIMIT_EVENTS_SOCKETS_PER_ADDRESS 128

/* Bytes waiting to be written to one socket. A snapshot of a full stage
 * is under 64 KiB; a client that stops reading while several pile up is
 * closed (1008) rather than buffered without end. */
#define LIMIT_EVENTS_OUTPUT_BYTES (256 * 1024)

/* A socket silent this long is closed (1001): the SDK pings every 15 s,
 * so four missed pings mean the client is gone. */
#define LIMIT_EVENTS_IDLE_SECONDS 60

/* Store jobs the runtime may have waiting (roster reads, leaves, state
 * changes). A burst of joins on one stage coalesces into one read; past
 * the bound a job is dropped and logged (the store stays the truth; the
 * next change re-reads it). */
#define LIMIT_RUNTIME_JOBS 4096

/* Participants listed in one STAGE_STATE snapshot (connected and
 * disconnected together): the real service's stage capacity is 12
 * publishers and 25000 viewers, but a snapshot of more than a few hundred
 * entries would exceed the SDK's message handling; the rest are left out
 * and the truncation logged. */
#define LIMIT_SNAPSHOT_PARTICIPANTS 1000

/* How often idle sessions are ended, milliseconds: a session ends within
 * this of its --session-idle-timeout. */
#define LIMIT_SESSION_SWEEP_MS 500

/* ---- Media: STUN, ICE-TCP and SDP (src/media/stun.h, sdp.h) ---- */

/* Largest STUN message parsed. ICE connectivity checks are about 100
 * bytes; 1280 (the IPv6 minimum MTU) holds any message a client sends
 * unfragmented, and bounds the stack copy MESSAGE-INTEGRITY is computed
 * over. */
#define LIMIT_STUN_MESSAGE_BYTES 1280

/* Unknown comprehension-required attributes remembered from one request,
 * to be listed in a 420 answer. Clients send none; a handful is enough to
 * say what was not understood. */
#define STUN_UNKNOWN_MAX 8

/* Largest RFC 6544 frame accepted on an ICE-TCP connection: one DTLS
 * record at its largest (2^14 bytes of plaintext, 2048 of expansion, a
 * 13-byte header); RTP and STUN are far smaller. The reader keeps one
 * frame of this size per connection. */
#define LIMIT_ICE_TCP_FRAME_BYTES (16384 + 2048 + 13)

/* An SDP offer, bytes. Chromium's subscribe offer with every decoder is
 * about 10 KB; the same bound as a WebSocket message, which carries
 * offers too. */
#define LIMIT_SDP_BYTES (64 * 1024)

/* Lines in one offer (Chromium's largest has about 250) and bytes in one
 * line (its longest, a candidate or an m= line, under 200). */
#define LIMIT_SDP_LINES 2048
#define LIMIT_SDP_LINE_BYTES 1024

/* Media sections in one offer. IVS clients send two (audio, video); room
 * for a data channel and a few extra transceivers, which are rejected. */
#define LIMIT_SDP_SECTIONS 16

/* Payload types one m= line may list: Chromium's subscribe offer lists
 * 34; 64 is half of the 7-bit space. */
#define LIMIT_SDP_FORMATS 64

/* a=extmap lines in one section (Chromium offers 11 for video). */
#define LIMIT_SDP_EXTMAPS 32

/* Distinct SSRCs and FID groups read from one section: a publisher sends
 * one media and one rtx SSRC per encoding, three encodings at most with
 * simulcast. */
#define LIMIT_SDP_SSRCS 16
#define LIMIT_SDP_GROUPS 8

/* Identification tokens kept from an offer: a=mid, msid parts (RFC 8830:
 * at most 64 characters), the ICE ufrag and password (RFC 8839: at most
 * 256 characters). */
#define LIMIT_SDP_TOKEN 64
#define LIMIT_SDP_ICE_TOKEN 256

/* Host candidates the server lists in one answer (UDP and TCP, per
 * address). */
#define LIMIT_SDP_CANDIDATES 16

/* ---- Media plane: RTP and RTCP (src/media/) ---- */

/* Largest RTP packet kept for retransmission, bytes: an Ethernet MTU.
 * WebRTC senders keep packets under about 1200 bytes so that they cross
 * tunnels unfragmented; a larger one is forwarded but never stored. */
#define LIMIT_RTP_PACKET_BYTES 1500

/* Packets one retransmission history keeps (a power of two, so that a
 * slot is a sequence number's low bits and the ring stays consistent
 * across the wrap at 65535): a second of 720p video at 2.5 Mbit/s is
 * about 250 packets, twice that covers a burst. 512 slots of
 * LIMIT_RTP_PACKET_BYTES are 768 KiB, allocated once per stream. */
#define LIMIT_NACK_HISTORY_PACKETS 512

/* How old a stored packet may be and still be retransmitted,
 * milliseconds: past a second the receiver's jitter buffer has given up on
 * it, and a resent frame would only be dropped. */
#define LIMIT_NACK_HISTORY_MS 1000

/* Missing sequence numbers one loss tracker follows at once. A gap larger
 * than this is not worth repairing packet by packet: the tracker forgets
 * it and asks for a keyframe instead. */
#define LIMIT_NACK_MISSING 256

/* How many times one missing packet is NACKed, and for how long,
 * milliseconds, before the tracker gives it up (as libwebrtc does: ten
 * tries within a second). */
#define LIMIT_NACK_RETRIES 10
#define LIMIT_NACK_MAX_AGE_MS 1000

/* Least time between two NACKs of the same packet, milliseconds, when the
 * round-trip time is unknown or shorter: a retransmission needs a round
 * trip to arrive. */
#define LIMIT_NACK_RETRY_MS 20

/* Sequence-number jumps the receive statistics accept as the same stream
 * (RFC 3550 appendix A.1's MAX_DROPOUT and MAX_MISORDER): a larger jump
 * forward, or a packet further back, is counted as a restart once
 * confirmed by the next packet. */
#define LIMIT_RTP_MAX_DROPOUT 3000
#define LIMIT_RTP_MAX_MISORDER 100

/* Longest silence the stream rewriter turns into a timestamp gap,
 * milliseconds: beyond an hour the gap is capped (a receiver only needs
 * timestamps to move forward), which keeps the arithmetic far from
 * overflow. */
#define LIMIT_RTP_GAP_MS (3600 * 1000LL)

/* How long a browser may cache a WHIP CORS preflight, seconds: a day, as
 * most browsers cap it lower anyway (Chromium: 2 hours). */
#define LIMIT_WHIP_PREFLIGHT_MAX_AGE 86400

/* Participants joined through WHIP alone (publishers or subscribers with
 * no events socket) this node follows at once, to record their leave when
 * their last media session ends. OBS-style publishers and headless viewers
 * of a few hundred busy stages fit. Past it such a participant is refused
 * (503) rather than recorded half-way. */
#define LIMIT_WHIP_BARE_PUBLISHERS 4096

/* ---- Several nodes: where a stage's media lives (src/media/stage_host.c) ---- */

/* How often a node records that it is alive, milliseconds, and how old
 * its last beat may be before other nodes take its stages: three missed
 * beats, so one slow write (a PostgreSQL statement may take up to
 * LIMIT_PG_STATEMENT_MS) does not move a stage, while a dead host's
 * stages move within seconds. Nodes' clocks must agree well within the
 * difference, as token expiry already assumes. */
#define LIMIT_MEDIA_HEARTBEAT_MS 2000
#define LIMIT_MEDIA_NODE_DEAD_MS 6000

/* A signalling request forwarded to the stage's host, milliseconds: the
 * connection (nodes are on one network: a host that does not accept
 * within a second is down, and the client is told to retry), and the
 * whole exchange, which covers the host's wait for its SFU
 * (LIMIT_SFU_OFFER_WAIT_MS) and store, and stays under the IVS clients'
 * 10 s publish and subscribe timeout. */
#define LIMIT_MEDIA_FORWARD_CONNECT_MS 1000
#define LIMIT_MEDIA_FORWARD_MS 8000

/* Largest answer body taken from a host: an SDP answer is a few
 * kilobytes; an error body less. */
#define LIMIT_MEDIA_FORWARD_BODY_BYTES (64 * 1024)

/* ---- Media: the SFU (src/media/sfu.c, transport.c, peer.c, forward.c) ---- */

/* Socket buffers of the media UDP socket, bytes: a keyframe burst of a
 * dozen publishers (~400 packets each) must wait in the kernel while the
 * loop is busy, rather than be dropped. The kernel caps it at
 * net.core.rmem_max unless raised. */
#define LIMIT_SFU_SOCKET_BUFFER (4 * 1024 * 1024)

/* Datagrams read (recvmmsg) per wake-up, and the bytes of each: an
 * Ethernet MTU with room; a longer datagram arrives truncated and is
 * dropped (WebRTC never sends one). */
#define LIMIT_SFU_RECV_BATCH 32
#define LIMIT_SFU_DATAGRAM_BYTES 2048

/* Datagrams of one fan-out (a publisher's packet to its subscribers)
 * sent with one sendmmsg; a larger fan-out takes several calls. Each has
 * a buffer of its own of a datagram and the SRTP trailer (at most 20
 * bytes: tag and, for RTCP, the index), so a batch costs about 140 KiB,
 * allocated once with the transport. */
#define LIMIT_SFU_SEND_BATCH 64
#define LIMIT_SFU_SEND_SLOT_BYTES (LIMIT_SFU_DATAGRAM_BYTES + 64)

/* Local media addresses (one UDP socket and one ICE-TCP listener each):
 * a host with an IPv4 and an IPv6 address and a few more. Each gives two
 * candidates, so twice this fits LIMIT_SDP_CANDIDATES. */
#define LIMIT_SFU_ADDRESSES 8

/* ICE-TCP connections open at once, and bytes waiting to be written on
 * one: each connection costs a frame reader (LIMIT_ICE_TCP_FRAME_BYTES)
 * and this buffer; a connection whose peer stops reading past it loses
 * packets, as UDP would. */
#define LIMIT_SFU_TCP_CONNS 1024
#define LIMIT_SFU_TCP_OUT_BYTES (256 * 1024)

/* The SFU's timer tick, milliseconds: DTLS retransmissions (250 ms and
 * up), NACKs (20 ms between tries), reports and deadlines are all served
 * from it. */
#define LIMIT_SFU_TICK_MS 10

/* A peer that has not completed an ICE check this long after its offer
 * ends (SFU_END_ICE), and one whose checks stop for this long loses
 * consent (RFC 7675: 30 s), milliseconds. */
#define LIMIT_SFU_ICE_MS (10 * 1000)
#define LIMIT_SFU_CONSENT_MS (30 * 1000)

/* How long sfu_offer waits for the media thread to set a peer up,
 * milliseconds: the thread only parses nothing and allocates a peer, so a
 * longer wait means it is stuck; the offer then fails with 500. */
#define LIMIT_SFU_OFFER_WAIT_MS 5000

/* Publishers on one stage: the real service's 12 (403 + 2005 past it).
 * Subscribers on one stage: the real service's default of 10,000 viewers
 * through the SFU. */
#define LIMIT_SFU_STAGE_PUBLISHERS 12
#define LIMIT_SFU_STAGE_SUBSCRIBERS 10000

/* Media sessions one participant holds at once: one publish and a
 * subscription to each of the other 11 publishers, twice over during a
 * republish or a reconnect. */
#define LIMIT_SFU_PARTICIPANT_SESSIONS 32

/* Retransmission history per published stream, packets (a power of
 * two), kept once as received and shared by every subscriber's NACKs
 * (each resent packet is rewritten for its subscriber again): video as
 * LIMIT_NACK_HISTORY_PACKETS; audio a smaller ring since Opus packets come
 * 50 a second. A publisher thus costs about 1 MiB, a subscriber none. */
#define LIMIT_SFU_VIDEO_HISTORY LIMIT_NACK_HISTORY_PACKETS
#define LIMIT_SFU_AUDIO_HISTORY 128

/* Keyframe requests (PLI) sent to one publisher, at most one per this
 * many milliseconds however many subscribers ask: an encoder asked
 * constantly sends nothing but keyframes. */
#define LIMIT_SFU_PLI_MS 500

/* How often receiver reports and REMB go to publishers and sender
 * reports to subscribers, milliseconds (RFC 3550's 5 s minimum is relaxed
 * to 1 s as browsers do for small sessions). */
#define LIMIT_SFU_REPORT_MS 1000

/* REMB sent to a publisher, bit/s: 1.5 times what it sent over the last
 * report interval, at least the floor (so an encoder that starts low is
 * told it may ramp up) and at most the IVS publish limit. */
#define LIMIT_SFU_REMB_FLOOR_BPS 2500000ULL
#define LIMIT_SFU_PUBLISH_BPS 8500000ULL

/* A publisher over LIMIT_SFU_PUBLISH_BPS (measured per report interval)
 * for this many consecutive intervals is ended (BITRATE_EXCEEDED): a
 * keyframe burst may pass the limit for a second, a sustained stream not. */
#define LIMIT_SFU_BITRATE_INTERVALS 3

/* The largest picture a publisher may send, pixels (IVS's 720p limit, in
 * either orientation), read from the SPS of its keyframes. */
#define LIMIT_SFU_MAX_PIXELS (1280 * 720)
#define LIMIT_SFU_MAX_SIDE 1280

/* H.264 SPS reading (src/media/h264.c). Bytes of an SPS read (after its
 * emulation-prevention bytes are removed): the fields up to the frame
 * cropping take a few dozen even with scaling lists, so a longer SPS is
 * read up to here and its VUI, which is not needed, left. A side of the
 * picture in macroblocks: level 6.2's largest frame (139,264 MBs) has no
 * side over sqrt(8 * 139264) = 1055 (A.3.1). Reference frames: the DPB
 * holds at most 16 (A.3.1). */
#define LIMIT_H264_SPS_BYTES 256
#define LIMIT_H264_MBS_SIDE 1056
#define LIMIT_H264_REF_FRAMES 16

/* NACKed sequence numbers handled from one feedback packet. */
#define LIMIT_SFU_NACK_SEQS 256

/* Buckets of the SFU's demultiplexing tables (by ICE ufrag, by remote
 * address): a power of two; chains stay short up to a few thousand
 * peers. */
#define LIMIT_SFU_HASH_BUCKETS 4096

/* The largest file of the web console (build/console/dist, embedded by
 * tools/embed_assets.py, checked at compile time). Each answer copies the
 * file into a response buffer that lives until it is sent, so this bounds
 * what one connection can hold, like LIMIT_BODY_BYTES for requests; the
 * bundle (the AWS SDK for JavaScript and the console) is a few hundred KB. */
#define LIMIT_CONSOLE_ASSET_BYTES (1024 * 1024)

#endif
