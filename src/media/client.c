/* A minimal WebRTC client of the SFU (see client.h): offer text, answer
 * reading, one ICE check, DTLS as client and SRTP, over one connected UDP
 * socket with poll timeouts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto/ids.h"
#include "limits.h"
#include "media/client.h"
#include "media/rtcp.h"
#include "media/srtp.h"
#include "media/stun.h"
#include "util/buf.h"

#define CLIENT_UFRAG_LEN 8
#define CLIENT_PWD_LEN 24
#define CLIENT_PACKET_BYTES 2048

struct media_client {
	struct dtls_context *ctx;
	const char *fingerprint;
	char ufrag[CLIENT_UFRAG_LEN + 1], pwd[CLIENT_PWD_LEN + 1];
	char remote_ufrag[LIMIT_SDP_ICE_TOKEN + 1], remote_pwd[LIMIT_SDP_ICE_TOKEN + 1];
	char remote_fp[128];
	char ip[64];
	unsigned port;
	int fd;
	uint64_t tiebreaker;
	unsigned stun_answers;
	unsigned drop;			/* RTP datagrams still to lose */
	struct dtls_endpoint *dtls;
	struct srtp_session *in, *out;
	uint8_t buf[CLIENT_PACKET_BYTES + SRTP_SESSION_TRAILER_MAX];
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum err_code
media_client_new(struct dtls_context *ctx, const char *fingerprint, struct media_client **out,
    struct err *e)
{
	struct media_client *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	c->ctx = ctx;
	c->fingerprint = fingerprint;
	c->fd = -1;
	if (ids_alnum(c->ufrag, CLIENT_UFRAG_LEN) != 0 || ids_alnum(c->pwd, CLIENT_PWD_LEN) != 0 ||
	    ids_random((unsigned char *)&c->tiebreaker, sizeof(c->tiebreaker)) != 0) {
		free(c);
		return err_set(e, ERR_INTERNAL, "random source failed");
	}
	*out = c;
	return ERR_OK;
}

void
media_client_free(struct media_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	dtls_endpoint_free(c->dtls);
	srtp_session_free(c->in);
	srtp_session_free(c->out);
	free(c);
}

char *
media_client_offer(const struct media_client *c, const char *template)
{
	struct buf out;
	const char *line = template, *eol;
	size_t n;

	buf_init(&out, LIMIT_SDP_BYTES);
	while (*line != '\0') {
		eol = strchr(line, '\n');
		n = eol ? (size_t)(eol - line + 1) : strlen(line);
		if (strncmp(line, "a=ice-ufrag:", 12) == 0)
			buf_printf(&out, "a=ice-ufrag:%s\r\n", c->ufrag);
		else if (strncmp(line, "a=ice-pwd:", 10) == 0)
			buf_printf(&out, "a=ice-pwd:%s\r\n", c->pwd);
		else if (strncmp(line, "a=fingerprint:", 14) == 0)
			buf_printf(&out, "a=fingerprint:%s\r\n", c->fingerprint);
		else
			buf_append(&out, line, n);
		line += n;
	}
	if (out.truncated) {
		buf_free(&out);
		return NULL;
	}
	return buf_take(&out);
}

/* Copies the rest of the first line starting with prefix into out. */
static int
line_value(const char *text, const char *prefix, char *out, size_t cap)
{
	const char *p = text;
	size_t n, plen = strlen(prefix);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, plen) == 0) {
			p += plen;
			n = strcspn(p, "\r\n");
			if (n >= cap)
				return -1;
			memcpy(out, p, n);
			out[n] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

enum err_code
media_client_answer(struct media_client *c, const char *answer, struct err *e)
{
	char cand[512], proto[8], ip[64];
	unsigned comp, port;
	unsigned long prio;
	const char *p = answer;

	if (line_value(answer, "a=ice-ufrag:", c->remote_ufrag, sizeof(c->remote_ufrag)) != 0 ||
	    line_value(answer, "a=ice-pwd:", c->remote_pwd, sizeof(c->remote_pwd)) != 0 ||
	    line_value(answer, "a=fingerprint:", c->remote_fp, sizeof(c->remote_fp)) != 0)
		return err_set(e, ERR_VALIDATION, "the answer lacks ICE credentials or a fingerprint");
	while ((p = strstr(p, "a=candidate:")) != NULL) {
		if (line_value(p, "a=candidate:", cand, sizeof(cand)) == 0 &&
		    sscanf(cand, "%*s %u %7s %lu %63s %u", &comp, proto, &prio, ip, &port) == 5 &&
		    (strcmp(proto, "udp") == 0 || strcmp(proto, "UDP") == 0)) {
			snprintf(c->ip, sizeof(c->ip), "%s", ip);
			c->port = port;
			return ERR_OK;
		}
		p++;
	}
	return err_set(e, ERR_VALIDATION, "the answer has no UDP candidate");
}

static int
send_binding(struct media_client *c, int use_candidate)
{
	struct stun_writer w;
	uint8_t out[512], txid[STUN_TXID_LEN];
	char user[2 * LIMIT_SDP_ICE_TOKEN + 2];
	size_t n;

	if (ids_random(txid, sizeof(txid)) != 0)
		return -1;
	n = (size_t)snprintf(user, sizeof(user), "%s:%s", c->remote_ufrag, c->ufrag);
	stun_writer_init(&w, out, sizeof(out), STUN_BINDING_REQUEST, txid);
	stun_writer_attr(&w, STUN_ATTR_USERNAME, user, n);
	stun_writer_u32(&w, STUN_ATTR_PRIORITY, 1845501695u);
	stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLING, c->tiebreaker);
	if (use_candidate)
		stun_writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_writer_integrity(&w, c->remote_pwd, strlen(c->remote_pwd));
	stun_writer_fingerprint(&w);
	n = stun_writer_finish(&w);
	return n > 0 && send(c->fd, out, n, 0) == (ssize_t)n ? 0 : -1;
}

int
media_client_consent(struct media_client *c)
{
	return send_binding(c, 0);
}

static void
dtls_flush(struct media_client *c)
{
	const uint8_t *d;
	size_t len;

	while (dtls_endpoint_output(c->dtls, &d, &len))
		(void)send(c->fd, d, len, 0);
}

/* Reads one datagram within timeout_ms and handles what is not media:
 * returns its length when it is RTP or RTCP (still protected, in c->buf),
 * 0 on timeout or after a non-media datagram, -1 on failure. */
static long
read_one(struct media_client *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct stun_msg m;
	struct err e;
	ssize_t r;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	r = recv(c->fd, c->buf, CLIENT_PACKET_BYTES, MSG_DONTWAIT);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	switch (stun_demux(c->buf, (size_t)r)) {
	case STUN_DEMUX_STUN:
		if (stun_parse(c->buf, (size_t)r, &m, &e) == ERR_OK &&
		    m.type == STUN_BINDING_SUCCESS && stun_integrity_ok(&m, c->remote_pwd,
		    strlen(c->remote_pwd)))
			c->stun_answers++;
		return 0;
	case STUN_DEMUX_DTLS:
		if (c->dtls != NULL) {
			(void)dtls_endpoint_input(c->dtls, c->buf, (size_t)r, now_ms(), &e);
			dtls_flush(c);
			if (dtls_endpoint_state(c->dtls) == DTLS_STATE_CLOSED ||
			    dtls_endpoint_state(c->dtls) == DTLS_STATE_FAILED)
				return -1;
		}
		return 0;
	case STUN_DEMUX_RTP:
		if (c->drop > 0 && !rtcp_is_rtcp(c->buf, (size_t)r)) {
			c->drop--;
			return 0;
		}
		return (long)r;
	case STUN_DEMUX_OTHER:
		break;
	}
	return 0;
}

static enum err_code
open_socket(struct media_client *c, struct err *e)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)c->port);
	if (inet_pton(AF_INET, c->ip, &sa.sin_addr) != 1)
		return err_set(e, ERR_VALIDATION, "candidate %s is not IPv4", c->ip);
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return err_set(e, ERR_INTERNAL, "socket: %s", strerror(errno));
	return ERR_OK;
}

enum err_code
media_client_connect(struct media_client *c, int timeout_ms, struct err *e)
{
	struct dtls_endpoint_opts opts;
	struct dtls_srtp_keys keys;
	uint64_t until = now_ms() + (uint64_t)timeout_ms, next_check = 0, deadline;
	enum err_code rc;

	rc = open_socket(c, e);
	while (rc == ERR_OK && c->stun_answers == 0) {
		if (now_ms() >= until)
			return err_set(e, ERR_INTERNAL, "no ICE answer within %d ms", timeout_ms);
		if (now_ms() >= next_check) {
			if (send_binding(c, 1) != 0)
				return err_set(e, ERR_INTERNAL, "ICE check not sent");
			next_check = now_ms() + 200;
		}
		if (read_one(c, 50) < 0)
			return err_set(e, ERR_INTERNAL, "socket failed");
	}
	if (rc != ERR_OK)
		return rc;
	memset(&opts, 0, sizeof(opts));
	opts.role = DTLS_ROLE_CLIENT;
	opts.peer_fingerprint = c->remote_fp;
	rc = dtls_endpoint_new(c->ctx, &opts, now_ms(), &c->dtls, e);
	if (rc != ERR_OK)
		return rc;
	dtls_flush(c);
	while (dtls_endpoint_state(c->dtls) == DTLS_STATE_HANDSHAKING) {
		if (now_ms() >= until)
			return err_set(e, ERR_INTERNAL, "DTLS not done within %d ms", timeout_ms);
		(void)read_one(c, 20);
		deadline = dtls_endpoint_deadline(c->dtls);
		if (deadline != 0 && deadline <= now_ms()) {
			(void)dtls_endpoint_timeout(c->dtls, now_ms(), e);
			dtls_flush(c);
		}
	}
	if (dtls_endpoint_state(c->dtls) != DTLS_STATE_CONNECTED)
		return err_set(e, ERR_VALIDATION, "DTLS failed");
	memset(&keys, 0, sizeof(keys));
	rc = dtls_endpoint_keys(c->dtls, &keys, e);
	if (rc == ERR_OK)
		rc = srtp_session_new(&keys, SRTP_SESSION_INBOUND, &c->in, e);
	if (rc == ERR_OK)
		rc = srtp_session_new(&keys, SRTP_SESSION_OUTBOUND, &c->out, e);
	dtls_srtp_keys_wipe(&keys);
	return rc;
}

static int
send_protected(struct media_client *c, const uint8_t *pkt, size_t len, int rtcp)
{
	uint8_t out[CLIENT_PACKET_BYTES + SRTP_SESSION_TRAILER_MAX];
	struct err e;
	enum err_code rc;

	if (c->out == NULL || len > CLIENT_PACKET_BYTES)
		return -1;
	memcpy(out, pkt, len);
	rc = rtcp ? srtp_session_protect_rtcp(c->out, out, &len, sizeof(out), &e) :
	    srtp_session_protect_rtp(c->out, out, &len, sizeof(out), &e);
	if (rc != ERR_OK)
		return -1;
	return send(c->fd, out, len, 0) == (ssize_t)len ? 0 : -1;
}

int
media_client_send_rtp(struct media_client *c, const uint8_t *pkt, size_t len)
{
	return send_protected(c, pkt, len, 0);
}

int
media_client_send_rtcp(struct media_client *c, const uint8_t *pkt, size_t len)
{
	return send_protected(c, pkt, len, 1);
}

long
media_client_recv(struct media_client *c, uint8_t *buf, size_t cap, int timeout_ms, int *rtcp)
{
	uint64_t until = now_ms() + (uint64_t)timeout_ms, now;
	struct err e;
	size_t len;
	long r;

	while ((now = now_ms()) < until) {
		r = read_one(c, (int)(until - now));
		if (r < 0)
			return -1;
		if (r == 0 || c->in == NULL)
			continue;
		len = (size_t)r;
		*rtcp = rtcp_is_rtcp(c->buf, len);
		if ((*rtcp ? srtp_session_unprotect_rtcp(c->in, c->buf, &len, &e) :
		    srtp_session_unprotect_rtp(c->in, c->buf, &len, &e)) != ERR_OK || len > cap)
			continue;
		memcpy(buf, c->buf, len);
		return (long)len;
	}
	return 0;
}

unsigned
media_client_stun_answers(const struct media_client *c)
{
	return c->stun_answers;
}

void
media_client_drop(struct media_client *c, unsigned n)
{
	c->drop = n;
}
