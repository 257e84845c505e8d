/* RFC 6455 WebSocket protocol, without any transport: the opening
 * handshake's checks and accept key, an incremental frame parser and a
 * frame writer. Knows nothing of sockets, threads or HTTP servers; the
 * caller moves the bytes. Not thread-safe per parser; stateless otherwise.
 */
#ifndef RTSTAGE_NET_WS_H
#define RTSTAGE_NET_WS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define WS_VERSION "13"		/* the only Sec-WebSocket-Version served */
#define WS_ACCEPT_LEN 28	/* base64 of a SHA-1 digest */
#define WS_HEADER_MAX 14	/* 2 + 8 (64-bit length) + 4 (mask) */
#define WS_CONTROL_MAX 125	/* payload of ping, pong and close */

enum ws_opcode {
	WS_OP_CONTINUATION = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xA,
};

/* Close codes rtstage sends or reports (RFC 6455 section 7.4.1). */
enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_NO_STATUS = 1005,	/* reported for a close frame without a code; never sent */
	WS_CLOSE_INVALID_DATA = 1007,	/* text that is not UTF-8 */
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_INTERNAL = 1011,
};

/* The handshake's inputs as the HTTP layer saw them: each header's value,
 * or NULL when absent. Values may carry surrounding spaces and tabs. */
struct ws_request {
	const char *method;		/* "GET" */
	const char *http_version;	/* "HTTP/1.1" */
	const char *upgrade;		/* Upgrade */
	const char *connection;		/* Connection */
	const char *version;		/* Sec-WebSocket-Version */
	const char *key;		/* Sec-WebSocket-Key */
};

/* Checks r against RFC 6455 section 4.2.1 and, when it is a valid opening
 * handshake, writes the Sec-WebSocket-Accept value and a NUL into accept.
 * Returns ERR_OK, or ERR_VALIDATION with the broken rule in e (a wrong
 * Sec-WebSocket-Version deserves a 426 naming WS_VERSION), or
 * ERR_INTERNAL if hashing failed. Thread-safe. */
enum err_code ws_handshake_check(const struct ws_request *r, char accept[WS_ACCEPT_LEN + 1],
    struct err *e);

/* Sec-WebSocket-Accept for key (the header value, trimmed): base64 of
 * SHA-1(key + the RFC's GUID), with a NUL, into accept. Returns 0, or -1 if
 * key is too long or hashing failed. Thread-safe. */
int ws_accept_key(const char *key, char accept[WS_ACCEPT_LEN + 1]);

/* Iterates over the tokens of a Sec-WebSocket-Protocol value (a comma
 * list; empty elements and spaces around tokens are skipped). *cursor
 * starts at the value and advances. Returns 1 with the token at *tok, *len
 * (pointing into the value), 0 at the end, or -1 if an element is not an
 * RFC 7230 token (the value must then be refused). Thread-safe. */
int ws_protocol_next(const char **cursor, const char **tok, size_t *len);

enum ws_role {
	WS_SERVER,	/* parses client frames: each must be masked */
	WS_CLIENT,	/* parses server frames: none may be masked */
};

enum ws_event_kind {
	WS_EV_NONE,	/* every byte given was consumed; more are needed */
	WS_EV_MESSAGE,	/* a whole text or binary message */
	WS_EV_PING,
	WS_EV_PONG,
	WS_EV_CLOSE,	/* the peer's close frame: code and reason */
	WS_EV_ERROR,	/* protocol violation: send a close with code, then close */
};

/* What one ws_parse call yields. data, len: the message, the ping or pong
 * payload, or the close reason; valid until the next ws_parse or
 * ws_parser_free on the same parser. A text message is also NUL-terminated. */
struct ws_event {
	enum ws_event_kind kind;
	enum ws_opcode opcode;		/* message: WS_OP_TEXT or WS_OP_BINARY */
	const unsigned char *data;
	size_t len;
	uint16_t code;			/* close: the peer's code (1005 if none); error: the code to send */
	const char *error;		/* error: what was wrong, a static string */
};

/* An incremental parser for one connection's incoming bytes. Plain struct
 * so it can live inside a connection; use only through the functions. */
struct ws_parser {
	enum ws_role role;
	int state;
	size_t max;			/* largest message, bytes */
	unsigned char hdr[WS_HEADER_MAX];
	size_t hdr_len, hdr_need;
	int fin, opcode, masked;
	uint64_t frame_len, frame_got;
	int msg_opcode;			/* 0: no message in progress */
	unsigned char *msg;		/* the message being reassembled */
	size_t msg_len, msg_alloc;
	unsigned char ctl[WS_CONTROL_MAX + 1];
	struct ws_utf8 {
		uint8_t need, lo, hi;	/* continuation bytes due; range of the next */
	} utf8;				/* the text message's decoder */
	uint16_t err_code;
	const char *err_text;
};

/* Prepares p for role with a message cap of max bytes (0:
 * LIMIT_WS_MESSAGE_BYTES). Allocates nothing; the message buffer grows on
 * demand up to max + 1 bytes and is kept for the next messages. */
void ws_parser_init(struct ws_parser *p, enum ws_role role, size_t max);

/* Frees p's buffer. Accepts a zeroed or already freed parser. */
void ws_parser_free(struct ws_parser *p);

/* Consumes bytes from in (n of them) up to the end of the next event and
 * returns how many; *ev says what they completed (WS_EV_NONE: all n were
 * consumed without completing anything). Call again with the rest. Any
 * split of a stream yields the same events. After WS_EV_ERROR the parser
 * stays failed: every later call consumes all it is given and reports the
 * same error. After WS_EV_CLOSE further bytes are consumed and ignored. */
size_t ws_parse(struct ws_parser *p, const unsigned char *in, size_t n, struct ws_event *ev);

/* Writes a frame header for a payload of len bytes into out and returns
 * its length (2 to WS_HEADER_MAX), or 0 for a control frame that is
 * fragmented or over WS_CONTROL_MAX or an unknown opcode. mask NULL: a
 * server frame (unmasked); otherwise a client frame masked with those 4
 * bytes, which the caller applies to the payload (ws_frame_write does). */
size_t ws_frame_header(unsigned char out[WS_HEADER_MAX], enum ws_opcode op, int fin, uint64_t len,
    const unsigned char *mask);

/* Bytes a frame of len payload bytes takes, masked or not. */
size_t ws_frame_size(size_t len, int masked);

/* Writes a whole frame (header and payload, masked when mask is given)
 * into out, which holds cap bytes. Returns the bytes written, or 0 if they
 * do not fit or ws_frame_header refuses. Allocates nothing. */
size_t ws_frame_write(unsigned char *out, size_t cap, enum ws_opcode op, int fin,
    const void *payload, size_t len, const unsigned char *mask);

/* Writes a close frame with code and reason (reason_len bytes of UTF-8,
 * at most WS_CONTROL_MAX - 2) into out. code 0 writes an empty close.
 * Returns the bytes written, or 0 if they do not fit or reason is too long. */
size_t ws_close_write(unsigned char *out, size_t cap, uint16_t code, const char *reason,
    size_t reason_len, const unsigned char *mask);

#endif
