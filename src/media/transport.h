/* The SFU's sockets: one UDP socket per local media address, all on one
 * port number, and an ICE-TCP passive listener (RFC 6544 framing) on the
 * same number; datagrams read in batches (recvmmsg) and handed up with
 * the route they came by, packets sent back by route, one at a time or
 * in batches (sendmmsg). Knows nothing of
 * peers, ICE or DTLS: it only moves bytes. Everything runs on the loop
 * thread that opened it.
 */
#ifndef RTSTAGE_MEDIA_TRANSPORT_H
#define RTSTAGE_MEDIA_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/loop.h"
#include "util/err.h"

struct transport;
struct tcp_conn;

enum media_route_kind { ROUTE_NONE, ROUTE_UDP, ROUTE_TCP };

/* Where a packet came from, and where to send one: a remote address on
 * one of our UDP sockets, or an ICE-TCP connection. A plain record. */
struct media_route {
	enum media_route_kind kind;
	int sock;			/* ROUTE_UDP: the local socket's index */
	struct tcp_conn *conn;		/* ROUTE_TCP */
	struct sockaddr_storage addr;	/* the remote address */
	socklen_t addr_len;
};

/* A packet arrived: data (len bytes, writable in place, valid during the
 * call) from route. */
typedef void (*transport_recv_fn)(void *arg, const struct media_route *from, uint8_t *data,
    size_t len);

/* An ICE-TCP connection closed (the peer hung up, or it broke): routes
 * naming conn must be forgotten; conn is freed after the call. */
typedef void (*transport_gone_fn)(void *arg, struct tcp_conn *conn);

/* Opens a UDP socket and a TCP listener on port (0: one free number for
 * both) for each address of the comma-separated list addresses (IPv4 or
 * IPv6 literals), with socket buffers of LIMIT_SFU_SOCKET_BUFFER, watched
 * on l. Returns ERR_OK and *out (the caller owns it: transport_free), or
 * ERR_VALIDATION (a bad address list) / ERR_INTERNAL (a socket refused)
 * with the detail in e. Call on l's thread or before l starts. */
enum err_code transport_open(struct loop *l, const char *addresses, unsigned port,
    transport_recv_fn recv, transport_gone_fn gone, void *arg, struct transport **out,
    struct err *e);

/* Unwatches and closes every socket and connection, then frees t. On the
 * loop thread, or after it stopped. Accepts NULL. */
void transport_free(struct transport *t);

/* The port number bound. */
unsigned transport_port(const struct transport *t);

/* The local addresses, as given (n of them). */
size_t transport_n_addresses(const struct transport *t);
const char *transport_address(const struct transport *t, size_t i);

/* Sends len bytes to route: a datagram on UDP, a framed packet on
 * ICE-TCP (queued when the socket is full, dropped past
 * LIMIT_SFU_TCP_OUT_BYTES). Returns 0, or -1 when it was dropped. */
int transport_send(struct transport *t, const struct media_route *to, const uint8_t *data,
    size_t len);

/* Batched sends, for one fan-out: take a slot, write the datagram into
 * it, queue it; then flush once. No allocation: the slots belong to t.
 *
 * transport_batch_slot returns the next free slot (cap: its bytes,
 * LIMIT_SFU_SEND_SLOT_BYTES), flushing first when all are queued; the
 * slot stays free until transport_batch_queue. */
uint8_t *transport_batch_slot(struct transport *t, size_t *cap);

/* Queues the len bytes written in the slot last returned, for route to:
 * UDP datagrams wait for the flush; an ICE-TCP route is sent at once, as
 * transport_send does (the slot stays free). */
void transport_batch_queue(struct transport *t, const struct media_route *to, size_t len);

/* What left since the last flush: datagrams and bytes sent, and those
 * dropped (the socket full, or an error for one destination). */
struct transport_sent {
	uint64_t packets, bytes, dropped;
};

/* Sends every queued datagram (sendmmsg per socket, partial sends
 * resumed; on EAGAIN the rest are dropped, not retried), then reports
 * into *out what left since the last flush and empties the batch. */
void transport_batch_flush(struct transport *t, struct transport_sent *out);

/* Marks conn as belonging to a peer (it passed an ICE check), which
 * exempts it from transport_sweep. */
void transport_conn_bind(struct tcp_conn *conn);

/* Closes conn now (its peer ended); the gone callback is not called. */
void transport_conn_close(struct transport *t, struct tcp_conn *conn);

/* Closes ICE-TCP connections opened before now_ms - max_age_ms that
 * never passed an ICE check. */
void transport_sweep(struct transport *t, uint64_t now_ms, uint64_t max_age_ms);

/* Two routes name the same path. */
int media_route_equal(const struct media_route *a, const struct media_route *b);

#endif
