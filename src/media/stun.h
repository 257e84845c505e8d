/* STUN (RFC 8489/5389) as ICE-lite needs it, without any socket: parsing a
 * message in place, the checks of an incoming Binding request (RFC 8445
 * section 7.3), a writer for responses into a caller's buffer, the first-byte
 * demultiplexer of the one media port (RFC 7983) and RFC 6544 framing for
 * ICE-TCP. Nothing here allocates or keeps state between calls except the
 * TCP reader the caller owns; every function is thread-safe on distinct
 * objects. Per-peer ICE state is not kept here.
 */
#ifndef RTSTAGE_MEDIA_STUN_H
#define RTSTAGE_MEDIA_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "limits.h"
#include "util/err.h"

#define STUN_HEADER_LEN 20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_TXID_LEN 12
#define STUN_HMAC_LEN 20		/* MESSAGE-INTEGRITY: HMAC-SHA1 */
#define STUN_FINGERPRINT_XOR 0x5354554eu

/* Message types (method and class together) rtstage reads or writes. */
enum stun_type {
	STUN_BINDING_REQUEST = 0x0001,
	STUN_BINDING_INDICATION = 0x0011,
	STUN_BINDING_SUCCESS = 0x0101,
	STUN_BINDING_ERROR = 0x0111,
};

/* Attribute types (RFC 8489 section 18.3, RFC 8445 section 16.1). Below
 * 0x8000 an attribute is comprehension-required. */
enum stun_attr {
	STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	STUN_ATTR_USERNAME = 0x0006,
	STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	STUN_ATTR_ERROR_CODE = 0x0009,
	STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
	STUN_ATTR_REALM = 0x0014,
	STUN_ATTR_NONCE = 0x0015,
	STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
	STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
	STUN_ATTR_USERHASH = 0x001E,
	STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_ATTR_PRIORITY = 0x0024,
	STUN_ATTR_USE_CANDIDATE = 0x0025,
	STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
	STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
	STUN_ATTR_SOFTWARE = 0x8022,
	STUN_ATTR_ALTERNATE_SERVER = 0x8023,
	STUN_ATTR_FINGERPRINT = 0x8028,
	STUN_ATTR_ICE_CONTROLLED = 0x8029,
	STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* Error codes an ICE-lite agent answers with. */
enum stun_error {
	STUN_ERR_BAD_REQUEST = 400,
	STUN_ERR_UNAUTHORIZED = 401,
	STUN_ERR_UNKNOWN_ATTRIBUTE = 420,
	STUN_ERR_ROLE_CONFLICT = 487,
};

/* A parsed message. Pointers point into the buffer given to stun_parse,
 * which must outlive the struct. Offsets count from the start of the
 * message; 0 means the attribute is absent. */
struct stun_msg {
	const uint8_t *data;
	size_t len;				/* header and attributes */
	uint16_t type;				/* enum stun_type, or any other */
	const uint8_t *txid;			/* STUN_TXID_LEN bytes */
	const uint8_t *username;
	size_t username_len;
	int has_username;
	uint32_t priority;
	int has_priority;
	int use_candidate;
	int ice_controlling, ice_controlled;	/* the sender's role attribute */
	uint64_t tiebreaker;
	int error_code;				/* ERROR-CODE in a response, 0 if none */
	struct sockaddr_storage mapped;		/* XOR-MAPPED-ADDRESS, decoded */
	int has_mapped;
	size_t integrity_off;			/* MESSAGE-INTEGRITY's attribute header */
	size_t fingerprint_off;			/* FINGERPRINT's attribute header */
	uint16_t unknown[STUN_UNKNOWN_MAX];	/* comprehension-required ones not understood */
	size_t n_unknown;
};

/* Parses the n bytes at p as one STUN message: the header (two zero bits,
 * the magic cookie, a length that is a multiple of 4 and matches n), each
 * attribute within the message and padded to 4, the known attributes'
 * lengths, nothing but FINGERPRINT after MESSAGE-INTEGRITY and nothing after
 * FINGERPRINT, whose CRC-32 must match. Unknown comprehension-required
 * attributes are listed in m->unknown (the first STUN_UNKNOWN_MAX), not
 * refused: a request carrying them deserves a 420 answer. Returns ERR_OK, or
 * ERR_VALIDATION with the reason in e (the bytes are not a STUN message to
 * answer). MESSAGE-INTEGRITY is located, not checked: see
 * stun_integrity_ok. Thread-safe. */
enum err_code stun_parse(const uint8_t *p, size_t n, struct stun_msg *m, struct err *e);

/* 1 if m carries a MESSAGE-INTEGRITY that is the HMAC-SHA1, keyed with
 * key (the short-term password, key_len bytes), of the message up to that
 * attribute with the header's length covering it (RFC 8489 section 14.5);
 * compared in constant time. 0 otherwise. Thread-safe. */
int stun_integrity_ok(const struct stun_msg *m, const void *key, size_t key_len);

/* CRC-32 (ISO 3309, as zlib computes it) of n bytes. */
uint32_t stun_crc32(const uint8_t *p, size_t n);

/* Splits a USERNAME of the form "local:remote" (RFC 8445 section 7.2.2):
 * on success points *local and *remote into u with their lengths and
 * returns 0; returns -1 when there is no colon or either side is empty. */
int stun_username_split(const uint8_t *u, size_t n, const uint8_t **local, size_t *local_len,
    const uint8_t **remote, size_t *remote_len);

/* What stun_binding_check learns from a valid request. */
struct stun_binding {
	const uint8_t *remote_ufrag;		/* into the message */
	size_t remote_ufrag_len;
	uint32_t priority;
	int use_candidate;
	uint64_t tiebreaker;
	int answer;				/* on failure: the STUN error to answer, or 0 for none */
};

/* Checks that m is a Binding request addressed to an ICE-lite agent whose
 * local credentials are ufrag and pwd (NUL-terminated): USERNAME
 * "ufrag:remote", MESSAGE-INTEGRITY with pwd, PRIORITY, ICE-CONTROLLING (a
 * lite agent is always controlled, so ICE-CONTROLLED is a role conflict),
 * and no unknown comprehension-required attribute. Returns ERR_OK with *b
 * filled, or ERR_VALIDATION with the reason in e and b->answer the error
 * to send: 400 (malformed: missing USERNAME, MESSAGE-INTEGRITY, PRIORITY
 * or role), 401 (wrong ufrag or integrity), 420, 487; or 0 when nothing must
 * be answered (not a Binding request). Thread-safe. */
enum err_code stun_binding_check(const struct stun_msg *m, const char *ufrag, const char *pwd,
    struct stun_binding *b, struct err *e);

/* A writer of one message into a caller's buffer. Any attribute that does
 * not fit marks it failed and later calls do nothing. */
struct stun_writer {
	uint8_t *out;
	size_t cap, len;
	int failed;
};

/* Starts a message of type with the given transaction id in out (cap bytes). */
void stun_writer_init(struct stun_writer *w, uint8_t *out, size_t cap, uint16_t type,
    const uint8_t txid[STUN_TXID_LEN]);

/* Appends an attribute with len bytes of value, zero-padded to 4. */
void stun_writer_attr(struct stun_writer *w, uint16_t type, const void *value, size_t len);

/* Appends a 32-bit or 64-bit attribute in network order. */
void stun_writer_u32(struct stun_writer *w, uint16_t type, uint32_t v);
void stun_writer_u64(struct stun_writer *w, uint16_t type, uint64_t v);

/* Appends XOR-MAPPED-ADDRESS for addr (AF_INET or AF_INET6; other
 * families fail the writer). */
void stun_writer_xor_address(struct stun_writer *w, const struct sockaddr *addr);

/* Appends ERROR-CODE with code and reason (UTF-8, at most 127 bytes). */
void stun_writer_error(struct stun_writer *w, int code, const char *reason);

/* Appends MESSAGE-INTEGRITY keyed with key, then (the last attribute)
 * FINGERPRINT. Either may be used alone; after FINGERPRINT nothing else. */
void stun_writer_integrity(struct stun_writer *w, const void *key, size_t key_len);
void stun_writer_fingerprint(struct stun_writer *w);

/* The message's length, or 0 if the writer failed. */
size_t stun_writer_finish(const struct stun_writer *w);

/* Writes a Binding success response to req into out (cap bytes):
 * XOR-MAPPED-ADDRESS of from (the request's source), MESSAGE-INTEGRITY
 * keyed with pwd (the local ICE password), FINGERPRINT. Returns its
 * length, or 0 if it does not fit or from is not IPv4 or IPv6. */
size_t stun_write_binding_success(uint8_t *out, size_t cap, const struct stun_msg *req,
    const struct sockaddr *from, const char *pwd);

/* Writes a Binding error response to req with code (400, 401, 420 with
 * req's unknown attributes, 487) into out: ERROR-CODE, UNKNOWN-ATTRIBUTES
 * for 420, MESSAGE-INTEGRITY when pwd is not NULL (never for 400 and 401,
 * whose request could not be authenticated: pass NULL), FINGERPRINT.
 * Returns its length, or 0 if it does not fit. */
size_t stun_write_binding_error(uint8_t *out, size_t cap, const struct stun_msg *req, int code,
    const char *pwd);

/* What the first byte of a datagram on the media port says (RFC 7983). */
enum stun_demux {
	STUN_DEMUX_STUN,		/* 0-3 */
	STUN_DEMUX_DTLS,		/* 20-63 */
	STUN_DEMUX_RTP,			/* 128-191: RTP or RTCP */
	STUN_DEMUX_OTHER,		/* anything else (ZRTP, TURN channels, garbage): drop */
};

/* Classifies a packet of n bytes by its first byte; an empty one is OTHER. */
enum stun_demux stun_demux(const uint8_t *p, size_t n);

/* RFC 6544 (RFC 4571) framing of ICE-TCP: each packet preceded by its
 * length as 16 bits in network order. An incremental reader for one
 * connection; plain struct so it can live inside the connection. */
struct stun_tcp_reader {
	uint8_t hdr[2];
	size_t hdr_got;
	size_t need, got;		/* the frame being read */
	int failed;
	uint8_t frame[LIMIT_ICE_TCP_FRAME_BYTES];
};

/* Prepares r for a new connection. */
void stun_tcp_reader_init(struct stun_tcp_reader *r);

/* Consumes bytes from in (n of them) up to the end of the next frame and
 * returns how many. When a frame completes, *frame and *len give it
 * (valid until the next call on r) and the return value may be less than
 * n: call again with the rest. Otherwise *frame is NULL. Any split of a
 * stream yields the same frames. Returns (size_t)-1 when a frame's length
 * is over LIMIT_ICE_TCP_FRAME_BYTES: the connection must be closed, and
 * every later call fails too. */
size_t stun_tcp_read(struct stun_tcp_reader *r, const uint8_t *in, size_t n,
    const uint8_t **frame, size_t *len);

/* Writes the 2-byte length prefix of a len-byte frame into out and returns
 * 2, or 0 when len is over LIMIT_ICE_TCP_FRAME_BYTES. */
size_t stun_tcp_prefix(uint8_t out[2], size_t len);

/* Writes a whole frame (prefix and payload) into out (cap bytes); returns
 * its length, or 0 if it does not fit or len is over the limit. */
size_t stun_tcp_frame(uint8_t *out, size_t cap, const void *payload, size_t len);

#endif
