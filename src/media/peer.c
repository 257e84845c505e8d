/* One peer's transport state in the SFU: ICE-lite (Binding requests
 * checked against the peer's fresh credentials, the latest nominated
 * address bound, consent kept fresh), the DTLS endpoint in server role
 * and the SRTP sessions made from its keys; and the demultiplexing of the
 * one media port (STUN by USERNAME, the rest by route, through two hash
 * tables, allocation-free). Media and feedback go on to forward.c.
 * Runs on the media loop thread only.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <arpa/inet.h>

#include "core/log.h"
#include "crypto/ids.h"
#include "media/rtcp.h"
#include "media/sfu_int.h"
#include "media/stun.h"

_Atomic uint64_t sfu_ice_ms = LIMIT_SFU_ICE_MS;
_Atomic uint64_t sfu_consent_ms = LIMIT_SFU_CONSENT_MS;

static uint32_t
fnv(const void *data, size_t n, uint32_t h)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static size_t
ufrag_bucket(const void *u, size_t n)
{
	return fnv(u, n, 2166136261u) & (LIMIT_SFU_HASH_BUCKETS - 1);
}

static size_t
route_bucket(const struct media_route *r)
{
	uint32_t h = 2166136261u;

	if (r->kind == ROUTE_TCP)
		h = fnv(&r->conn, sizeof(r->conn), h);
	else {
		h = fnv(&r->sock, sizeof(r->sock), h);
		h = fnv(&r->addr, r->addr_len, h);
	}
	return h & (LIMIT_SFU_HASH_BUCKETS - 1);
}

static struct peer *
find_ufrag(struct sfu *s, const uint8_t *u, size_t n)
{
	struct peer *p;

	for (p = s->by_ufrag[ufrag_bucket(u, n)]; p != NULL; p = p->ufrag_next)
		if (strlen(p->ufrag) == n && memcmp(p->ufrag, u, n) == 0)
			return p;
	return NULL;
}

static struct peer *
find_route(struct sfu *s, const struct media_route *r)
{
	struct peer *p;

	for (p = s->by_addr[route_bucket(r)]; p != NULL; p = p->addr_next)
		if (media_route_equal(&p->route, r))
			return p;
	return NULL;
}

static void
unlink_chain(struct peer **head, struct peer *p, int by_addr)
{
	struct peer **pp;

	for (pp = head; *pp != NULL; pp = by_addr ? &(*pp)->addr_next : &(*pp)->ufrag_next)
		if (*pp == p) {
			*pp = by_addr ? p->addr_next : p->ufrag_next;
			return;
		}
}

static void
addr_unhash(struct sfu *s, struct peer *p)
{
	if (!p->addr_hashed)
		return;
	unlink_chain(&s->by_addr[route_bucket(&p->route)], p, 1);
	p->addr_hashed = 0;
}

static void
addr_hash(struct sfu *s, struct peer *p)
{
	size_t b = route_bucket(&p->route);

	p->addr_next = s->by_addr[b];
	s->by_addr[b] = p;
	p->addr_hashed = 1;
}

static void
send_raw(struct sfu *s, const struct media_route *to, const uint8_t *data, size_t len)
{
	if (transport_send(s->transport, to, data, len) == 0) {
		metrics_add(s->m.packets_out, 1);
		metrics_add(s->m.bytes_out, (long long)len);
	}
}

static void
dtls_drain(struct sfu *s, struct peer *p)
{
	const uint8_t *d;
	size_t len;

	while (dtls_endpoint_output(p->dtls, &d, &len))
		if (p->route.kind != ROUTE_NONE)
			send_raw(s, &p->route, d, len);
}

static void
describe(const struct media_route *r, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (r->addr.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&r->addr)->sin_addr, ip, sizeof(ip));
		port = ntohs(((const struct sockaddr_in *)&r->addr)->sin_port);
	} else if (r->addr.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&r->addr)->sin6_addr, ip,
		    sizeof(ip));
		port = ntohs(((const struct sockaddr_in6 *)&r->addr)->sin6_port);
	}
	if (snprintf(out, cap, "%s/%s:%u", r->kind == ROUTE_TCP ? "tcp" : "udp", ip, port) >=
	    (int)cap)
		out[cap - 1] = '\0';
}

static void
bind_route(struct sfu *s, struct peer *p, const struct media_route *from)
{
	char where[96];

	addr_unhash(s, p);
	p->route = *from;
	addr_hash(s, p);
	if (from->kind == ROUTE_TCP)
		transport_conn_bind(from->conn);
	describe(from, where, sizeof(where));
	log_msg(LOG_DEBUG, "media session %s: ICE bound to %s", p->id, where);
	dtls_drain(s, p);
}

static void
stun_answer(struct sfu *s, const struct media_route *from, const struct stun_msg *m, int code,
    const char *pwd)
{
	uint8_t out[512];
	size_t n = stun_write_binding_error(out, sizeof(out), m, code, pwd);

	if (n > 0)
		send_raw(s, from, out, n);
}

static void
ice_input(struct sfu *s, const struct media_route *from, const uint8_t *data, size_t len)
{
	struct stun_msg m;
	struct stun_binding b;
	struct err e;
	const uint8_t *local, *remote;
	size_t local_len, remote_len, n;
	struct peer *p;
	uint8_t out[512];

	if (stun_parse(data, len, &m, &e) != ERR_OK || m.type != STUN_BINDING_REQUEST)
		return;
	if (!m.has_username || stun_username_split(m.username, m.username_len, &local,
	    &local_len, &remote, &remote_len) != 0) {
		stun_answer(s, from, &m, STUN_ERR_BAD_REQUEST, NULL);
		return;
	}
	p = find_ufrag(s, local, local_len);
	if (p == NULL || p->ending) {
		stun_answer(s, from, &m, STUN_ERR_UNAUTHORIZED, NULL);
		return;
	}
	if (stun_binding_check(&m, p->ufrag, p->pwd, &b, &e) != ERR_OK) {
		if (b.answer != 0)
			stun_answer(s, from, &m, b.answer, b.answer == STUN_ERR_BAD_REQUEST ||
			    b.answer == STUN_ERR_UNAUTHORIZED ? NULL : p->pwd);
		return;
	}
	n = stun_write_binding_success(out, sizeof(out), &m, (const struct sockaddr *)&from->addr,
	    p->pwd);
	if (n > 0)
		send_raw(s, from, out, n);
	p->consent_ms = loop_now_ms();
	if (p->route.kind == ROUTE_NONE || (b.use_candidate && !media_route_equal(&p->route, from)))
		bind_route(s, p, from);
}

static void
dtls_up(struct sfu *s, struct peer *p)
{
	struct dtls_srtp_keys keys;
	struct err e;
	enum err_code rc;

	memset(&keys, 0, sizeof(keys));
	rc = dtls_endpoint_keys(p->dtls, &keys, &e);
	if (rc == ERR_OK)
		rc = srtp_session_new(&keys, SRTP_SESSION_INBOUND, &p->srtp_in, &e);
	if (rc == ERR_OK)
		rc = srtp_session_new(&keys, SRTP_SESSION_OUTBOUND, &p->srtp_out, &e);
	dtls_srtp_keys_wipe(&keys);
	if (rc != ERR_OK) {
		log_msg(LOG_WARN, "media session %s: SRTP: %s", p->id, e.msg);
		metrics_add(s->m.dtls_failures, 1);
		peer_end(s, p, SFU_END_DTLS, "");
		return;
	}
	p->up = 1;
	log_msg(LOG_DEBUG, "media session %s: DTLS up", p->id);
	if (p->role == SFU_SUBSCRIBE && p->publisher != NULL)
		forward_request_keyframe(s, p->publisher, loop_now_ms());
}

static void
dtls_check(struct sfu *s, struct peer *p, enum err_code rc, const struct err *e)
{
	enum dtls_state st = dtls_endpoint_state(p->dtls);

	dtls_drain(s, p);
	if (rc != ERR_OK || st == DTLS_STATE_FAILED) {
		log_msg(LOG_INFO, "media session %s: DTLS failed: %s", p->id,
		    rc != ERR_OK ? e->msg : "handshake failed");
		metrics_add(s->m.dtls_failures, 1);
		peer_end(s, p, SFU_END_DTLS, "");
	} else if (st == DTLS_STATE_CLOSED)
		peer_end(s, p, SFU_END_DELETED, "");
	else if (st == DTLS_STATE_CONNECTED && !p->up)
		dtls_up(s, p);
}

void
peer_input(void *arg, const struct media_route *from, uint8_t *data, size_t len)
{
	struct sfu *s = arg;
	struct peer *p;
	struct err e;
	enum err_code rc;

	metrics_add(s->m.packets_in, 1);
	metrics_add(s->m.bytes_in, (long long)len);
	switch (stun_demux(data, len)) {
	case STUN_DEMUX_STUN:
		ice_input(s, from, data, len);
		return;
	case STUN_DEMUX_DTLS:
		p = find_route(s, from);
		if (p == NULL || p->ending)
			return;
		rc = dtls_endpoint_input(p->dtls, data, len, loop_now_ms(), &e);
		dtls_check(s, p, rc, &e);
		return;
	case STUN_DEMUX_RTP:
		p = find_route(s, from);
		if (p == NULL || p->ending || !p->up)
			return;
		if (rtcp_is_rtcp(data, len)) {
			if (srtp_session_unprotect_rtcp(p->srtp_in, data, &len, &e) == ERR_OK)
				forward_rtcp(s, p, data, len);
		} else if (p->role == SFU_PUBLISH &&
		    srtp_session_unprotect_rtp(p->srtp_in, data, &len, &e) == ERR_OK)
			forward_rtp(s, p, data, len);
		return;
	case STUN_DEMUX_OTHER:
		return;
	}
}

void
peer_conn_gone(void *arg, struct tcp_conn *conn)
{
	struct sfu *s = arg;
	struct peer *p;
	struct media_route r;

	memset(&r, 0, sizeof(r));
	r.kind = ROUTE_TCP;
	r.conn = conn;
	p = find_route(s, &r);
	if (p == NULL)
		return;
	addr_unhash(s, p);
	memset(&p->route, 0, sizeof(p->route));
	/* the peer may come back over another path; consent decides */
}

enum err_code
peer_start(struct sfu *s, struct peer *p, struct err *e)
{
	struct dtls_endpoint_opts opts;
	enum err_code rc;
	size_t b;

	if (ids_alnum(p->ufrag, SFU_UFRAG_LEN) != 0 || ids_alnum(p->pwd, SFU_PWD_LEN) != 0 ||
	    ids_alnum(p->id, 32) != 0 || ids_random((unsigned char *)&p->rtcp_ssrc,
	    sizeof(p->rtcp_ssrc)) != 0)
		return err_set(e, ERR_INTERNAL, "random source failed");
	while (find_ufrag(s, (const uint8_t *)p->ufrag, SFU_UFRAG_LEN) != NULL)
		if (ids_alnum(p->ufrag, SFU_UFRAG_LEN) != 0)
			return err_set(e, ERR_INTERNAL, "random source failed");
	p->created_ms = p->consent_ms = loop_now_ms();
	p->report_ms = p->created_ms;
	memset(&opts, 0, sizeof(opts));
	opts.role = DTLS_ROLE_SERVER;
	opts.peer_fingerprint = p->remote_fp;
	rc = dtls_endpoint_new(s->dtls, &opts, p->created_ms, &p->dtls, e);
	if (rc != ERR_OK)
		return rc;
	b = ufrag_bucket(p->ufrag, SFU_UFRAG_LEN);
	p->ufrag_next = s->by_ufrag[b];
	s->by_ufrag[b] = p;
	pthread_mutex_lock(&s->lock);
	p->next = s->peers;
	s->peers = p;
	pthread_mutex_unlock(&s->lock);
	metrics_add(s->m.peers, 1);
	metrics_add(p->role == SFU_PUBLISH ? s->m.publishers : s->m.subscribers, 1);
	return ERR_OK;
}

void
peer_tick(struct sfu *s, struct peer *p, uint64_t now_ms)
{
	struct err e;
	enum err_code rc;
	uint64_t deadline;

	if (p->ending)
		return;
	if (p->route.kind == ROUTE_NONE && p->consent_ms == p->created_ms &&
	    now_ms - p->created_ms > atomic_load(&sfu_ice_ms)) {
		peer_end(s, p, SFU_END_ICE, "");
		return;
	}
	if (now_ms - p->consent_ms > atomic_load(&sfu_consent_ms)) {
		peer_end(s, p, SFU_END_CONSENT, "");
		return;
	}
	deadline = dtls_endpoint_deadline(p->dtls);
	if (deadline != 0 && deadline <= now_ms) {
		rc = dtls_endpoint_timeout(p->dtls, now_ms, &e);
		dtls_check(s, p, rc, &e);
	}
}

void
peer_end(struct sfu *s, struct peer *p, const char *reason, const char *error_code)
{
	struct peer *sub;
	size_t b;

	pthread_mutex_lock(&s->lock);
	if (p->ending) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	p->ending = 1;
	s->n_ending++;
	pthread_mutex_unlock(&s->lock);
	log_msg(LOG_INFO, "media session %s ended: %s %s %s%s%s, %s%s%s", p->id,
	    p->role == SFU_PUBLISH ? "publish" : "subscribe", p->stage_arn, p->participant_id,
	    p->role == SFU_PUBLISH ? "" : " from ", p->remote_id, reason,
	    *error_code ? " " : "", error_code);
	if (s->hooks.session_ended != NULL)
		s->hooks.session_ended(p->stage_arn, p->participant_id, p->remote_id,
		    p->role == SFU_PUBLISH, reason, error_code);
	if (p->dtls != NULL && p->route.kind != ROUTE_NONE &&
	    dtls_endpoint_state(p->dtls) == DTLS_STATE_CONNECTED) {
		dtls_endpoint_close(p->dtls);
		dtls_drain(s, p);
	}
	b = ufrag_bucket(p->ufrag, strlen(p->ufrag));
	unlink_chain(&s->by_ufrag[b], p, 0);
	addr_unhash(s, p);
	if (p->role == SFU_SUBSCRIBE)
		forward_unlink(p);
	while ((sub = p->subs) != NULL) {
		forward_unlink(sub);
		peer_end(s, sub, SFU_END_PUBLISHER_GONE, "");
	}
	metrics_add(s->m.peers, -1);
	metrics_add(p->role == SFU_PUBLISH ? s->m.publishers : s->m.subscribers, -1);
}

void
peer_free(struct sfu *s, struct peer *p)
{
	if (p == NULL)
		return;
	if (p->route.kind == ROUTE_TCP && p->route.conn != NULL && s->transport != NULL)
		transport_conn_close(s->transport, p->route.conn);
	dtls_endpoint_free(p->dtls);
	srtp_session_free(p->srtp_in);
	srtp_session_free(p->srtp_out);
	forward_release(p);
	free(p);
}

int
peer_send_rtp(struct sfu *s, struct peer *p, uint8_t *buf, size_t len, size_t cap)
{
	struct err e;

	if (!p->up || p->route.kind == ROUTE_NONE ||
	    srtp_session_protect_rtp(p->srtp_out, buf, &len, cap, &e) != ERR_OK)
		return -1;
	send_raw(s, &p->route, buf, len);
	return 0;
}

int
peer_send_rtcp(struct sfu *s, struct peer *p, uint8_t *buf, size_t len, size_t cap)
{
	struct err e;

	if (!p->up || p->route.kind == ROUTE_NONE ||
	    srtp_session_protect_rtcp(p->srtp_out, buf, &len, cap, &e) != ERR_OK)
		return -1;
	send_raw(s, &p->route, buf, len);
	return 0;
}
