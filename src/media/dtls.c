/* DTLS 1.2 endpoints over memory for DTLS-SRTP (RFC 5764, RFC 8842):
 * the process's SSL_CTX, the datagram queue each endpoint writes into,
 * the fingerprint check, the caller-clocked retransmission timer and the
 * export of SRTP keys. No sockets and no clock of its own. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "limits.h"
#include "media/dtls.h"

/* Profiles we accept, in order of preference (OpenSSL picks the server's
 * first that the client offers): the OpenSSL name, the IANA number, and
 * the master key and salt lengths (RFC 5764 4.1.2, RFC 7714 12). */
struct profile {
	const char *name;
	enum dtls_srtp_profile id;
	size_t key_len, salt_len;
};

static const struct profile profiles[] = {
	{ "SRTP_AEAD_AES_128_GCM", DTLS_SRTP_AEAD_AES_128_GCM, 16, 12 },
	{ "SRTP_AES128_CM_SHA1_80", DTLS_SRTP_AES128_CM_SHA1_80, 16, 14 },
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

/* What browsers offer with an ECDSA certificate, AEAD only. */
static const char CIPHERS[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305";
static const char GROUPS[] = "X25519:P-256";

static const char EXPORTER_LABEL[] = "EXTRACTOR-dtls_srtp";

/* DTLS record header (RFC 6347 4.1): type, version, epoch, sequence,
 * length. */
#define RECORD_HEADER 13

struct dtls_context {
	SSL_CTX *ssl_ctx;
	BIO_METHOD *out_method;
};

struct dtls_endpoint {
	SSL *ssl;
	BIO *rbio;			/* memory BIO; owned by ssl */
	enum dtls_role role;
	enum dtls_state state;
	uint8_t peer_digest[CERT_DIGEST_LEN];
	int mismatch;			/* the peer's certificate was refused */
	uint64_t started_ms;		/* handshake began (caller's clock) */
	uint64_t rto_deadline_ms;	/* next retransmission, 0: none */
	unsigned rto_ms;		/* current retransmission wait */
	struct dtls_srtp_keys keys;	/* valid in DTLS_STATE_CONNECTED */
	/* datagrams written by OpenSSL, waiting for dtls_endpoint_output */
	size_t out_count, out_head, out_used;
	size_t out_off[DTLS_OUT_DATAGRAMS], out_len[DTLS_OUT_DATAGRAMS];
	uint8_t out[DTLS_OUT_BYTES];
};

/* ---- the outgoing BIO: each write is one datagram ---- */

static int
out_write(BIO *b, const char *data, int len)
{
	struct dtls_endpoint *ep = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (ep->out_head == ep->out_count)
		ep->out_head = ep->out_count = ep->out_used = 0;
	if (len <= 0 || ep->out_count == DTLS_OUT_DATAGRAMS ||
	    (size_t)len > sizeof(ep->out) - ep->out_used)
		return -1;
	memcpy(ep->out + ep->out_used, data, (size_t)len);
	ep->out_off[ep->out_count] = ep->out_used;
	ep->out_len[ep->out_count] = (size_t)len;
	ep->out_count++;
	ep->out_used += (size_t)len;
	return len;
}

/* Nothing is ever pending (so OpenSSL never packs two flights' records
 * into one datagram beyond the MTU) and flushing always succeeds. */
static long
out_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b, (void)num, (void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
out_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* ---- callbacks ---- */

/* Accepts the peer's certificate only if its SHA-256 is the offer's
 * fingerprint; who signed it does not matter (it is self-signed). */
static int
verify_peer(X509_STORE_CTX *store, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct dtls_endpoint *ep = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(store);
	uint8_t digest[CERT_DIGEST_LEN];
	struct err e;

	(void)arg;
	if (ep == NULL || leaf == NULL || cert_digest(leaf, digest, &e) != ERR_OK ||
	    CRYPTO_memcmp(digest, ep->peer_digest, CERT_DIGEST_LEN) != 0) {
		if (ep != NULL)
			ep->mismatch = 1;
		X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

/* OpenSSL asks for the next timer length, in microseconds: 0 means a new
 * flight, anything else a retransmission of the current one. */
static unsigned int
timer_length(SSL *ssl, unsigned int previous_us)
{
	struct dtls_endpoint *ep = SSL_get_app_data(ssl);

	if (previous_us == 0)
		ep->rto_ms = DTLS_RTO_INITIAL_MS;
	else
		ep->rto_ms = ep->rto_ms * 2 > DTLS_RTO_MAX_MS ? DTLS_RTO_MAX_MS : ep->rto_ms * 2;
	return ep->rto_ms * 1000u;
}

/* ---- context ---- */

void
dtls_context_free(struct dtls_context *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	BIO_meth_free(ctx->out_method);
	free(ctx);
}

static int
srtp_profile_list(char *buf, size_t cap)
{
	size_t i, at = 0;

	for (i = 0; i < NPROFILES; i++) {
		int n = snprintf(buf + at, cap - at, "%s%s", i ? ":" : "", profiles[i].name);
		if (n < 0 || (size_t)n >= cap - at)
			return 0;
		at += (size_t)n;
	}
	return 1;
}

static int
configure(SSL_CTX *c, const struct cert *cert)
{
	char list[128];

	SSL_CTX_set_options(c, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_read_ahead(c, 1);
	SSL_CTX_set_max_cert_list(c, DTLS_MAX_CERT_LIST);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(c, verify_peer, NULL);
	return SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) == 1 &&
	    SSL_CTX_set_max_proto_version(c, DTLS1_2_VERSION) == 1 &&
	    SSL_CTX_use_certificate(c, cert_x509(cert)) == 1 &&
	    SSL_CTX_use_PrivateKey(c, cert_key(cert)) == 1 &&
	    SSL_CTX_check_private_key(c) == 1 &&
	    SSL_CTX_set_cipher_list(c, CIPHERS) == 1 &&
	    SSL_CTX_set1_groups_list(c, GROUPS) == 1 &&
	    srtp_profile_list(list, sizeof(list)) &&
	    SSL_CTX_set_tlsext_use_srtp(c, list) == 0;	/* 0 is success */
}

enum err_code
dtls_context_new(const struct cert *cert, struct dtls_context **out, struct err *e)
{
	struct dtls_context *ctx = NULL;
	enum err_code rc = ERR_INTERNAL;

	*out = NULL;
	ERR_clear_error();
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		err_set(e, rc, "out of memory for the DTLS context");
		goto out;
	}
	ctx->ssl_ctx = SSL_CTX_new(DTLS_method());
	ctx->out_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "dtls-out");
	if (ctx->ssl_ctx == NULL || ctx->out_method == NULL ||
	    BIO_meth_set_write(ctx->out_method, out_write) != 1 ||
	    BIO_meth_set_ctrl(ctx->out_method, out_ctrl) != 1 ||
	    BIO_meth_set_create(ctx->out_method, out_create) != 1 ||
	    !configure(ctx->ssl_ctx, cert)) {
		err_set(e, rc, "cannot configure DTLS: %s",
		    ERR_reason_error_string(ERR_peek_last_error()) ?
		    ERR_reason_error_string(ERR_peek_last_error()) : "unknown");
		goto out;
	}
	*out = ctx;
	ctx = NULL;
	rc = ERR_OK;
out:
	ERR_clear_error();
	dtls_context_free(ctx);
	return rc;
}

/* ---- endpoint ---- */

void
dtls_srtp_keys_wipe(struct dtls_srtp_keys *keys)
{
	if (keys != NULL)
		OPENSSL_cleanse(keys, sizeof(*keys));
}

void
dtls_endpoint_free(struct dtls_endpoint *ep)
{
	if (ep == NULL)
		return;
	SSL_free(ep->ssl);	/* frees both BIOs */
	OPENSSL_cleanse(ep, sizeof(*ep));
	free(ep);
}

/* Fails the endpoint with the most telling reason we have, and leaves the
 * thread's OpenSSL error queue empty for the next endpoint. */
static enum err_code
fail(struct dtls_endpoint *ep, const char *what, struct err *e)
{
	const char *why = ERR_reason_error_string(ERR_peek_last_error());

	ep->state = DTLS_STATE_FAILED;
	ep->rto_deadline_ms = 0;
	if (ep->mismatch)
		why = "the peer's certificate does not match its fingerprint";
	err_set(e, ERR_VALIDATION, "DTLS %s: %s", what, why != NULL ? why : "failed");
	ERR_clear_error();
	return ERR_VALIDATION;
}

/* Translates OpenSSL's timer to the caller's clock: OpenSSL 3.0 measures
 * it on the wall clock, so the time it has left is read after every call
 * and added to the caller's now. Two clocks that drift apart only make a
 * timeout call early (it then does nothing and the deadline is read
 * again) or late by the drift. */
static void
timer_sync(struct dtls_endpoint *ep, uint64_t now_ms)
{
	struct timeval left;

	if (ep->state != DTLS_STATE_HANDSHAKING || DTLSv1_get_timeout(ep->ssl, &left) != 1) {
		ep->rto_deadline_ms = 0;
		return;
	}
	ep->rto_deadline_ms = now_ms + (uint64_t)left.tv_sec * 1000 +
	    ((uint64_t)left.tv_usec + 999) / 1000;
}

static const struct profile *
profile_by_id(unsigned long id)
{
	size_t i;

	for (i = 0; i < NPROFILES; i++)
		if ((unsigned long)profiles[i].id == id)
			return &profiles[i];
	return NULL;
}

/* RFC 5764 4.2: client key, server key, client salt, server salt. */
static enum err_code
export_keys(struct dtls_endpoint *ep, struct err *e)
{
	SRTP_PROTECTION_PROFILE *sel = SSL_get_selected_srtp_profile(ep->ssl);
	const struct profile *p = sel != NULL ? profile_by_id(sel->id) : NULL;
	uint8_t m[2 * (DTLS_SRTP_KEY_MAX + DTLS_SRTP_SALT_MAX)];
	const uint8_t *ck, *sk, *cs, *ss;
	struct dtls_srtp_keys *k = &ep->keys;
	enum err_code rc = ERR_OK;
	size_t kl, sl;

	if (p == NULL)
		return fail(ep, "handshake", e);
	kl = p->key_len;
	sl = p->salt_len;
	if (SSL_export_keying_material(ep->ssl, m, 2 * (kl + sl), EXPORTER_LABEL,
	    sizeof(EXPORTER_LABEL) - 1, NULL, 0, 0) != 1) {
		rc = fail(ep, "key export", e);
		goto out;
	}
	ck = m;
	sk = m + kl;
	cs = m + 2 * kl;
	ss = m + 2 * kl + sl;
	k->profile = p->id;
	k->key_len = kl;
	k->salt_len = sl;
	memcpy(k->local_key, ep->role == DTLS_ROLE_SERVER ? sk : ck, kl);
	memcpy(k->local_salt, ep->role == DTLS_ROLE_SERVER ? ss : cs, sl);
	memcpy(k->remote_key, ep->role == DTLS_ROLE_SERVER ? ck : sk, kl);
	memcpy(k->remote_salt, ep->role == DTLS_ROLE_SERVER ? cs : ss, sl);
	ep->state = DTLS_STATE_CONNECTED;
out:
	OPENSSL_cleanse(m, sizeof(m));
	return rc;
}

/* Advances the handshake with what is buffered. */
static enum err_code
handshake(struct dtls_endpoint *ep, struct err *e)
{
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(ep->ssl);
	if (r == 1)
		return export_keys(ep, e);
	if (SSL_get_error(ep->ssl, r) == SSL_ERROR_WANT_READ)
		return ERR_OK;
	return fail(ep, "handshake", e);
}

/* Reads records after the handshake: retransmitted flights are answered
 * by OpenSSL, application data is dropped, close_notify closes. */
static enum err_code
read_records(struct dtls_endpoint *ep, struct err *e)
{
	uint8_t sink[2048];
	int r;

	ERR_clear_error();
	while ((r = SSL_read(ep->ssl, sink, sizeof(sink))) > 0)
		;
	switch (SSL_get_error(ep->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return ERR_OK;
	case SSL_ERROR_ZERO_RETURN:
		dtls_endpoint_close(ep);
		return ERR_OK;
	default:
		return fail(ep, "read", e);
	}
}

/* A datagram must be whole DTLS records (RFC 6347 4.1) of the four
 * content types DTLS 1.2 uses, and DTLS versions: what else arrives on
 * the 5-tuple is not from a DTLS peer. */
static int
well_framed(const uint8_t *p, size_t len)
{
	if (len == 0 || len > DTLS_IN_BYTES)
		return 0;
	while (len > 0) {
		size_t body;

		if (len < RECORD_HEADER || p[0] < 20 || p[0] > 23 || p[1] != 0xfe ||
		    (p[2] != 0xfd && p[2] != 0xff))
			return 0;
		body = (size_t)p[11] << 8 | p[12];
		if (body > len - RECORD_HEADER)
			return 0;
		p += RECORD_HEADER + body;
		len -= RECORD_HEADER + body;
	}
	return 1;
}

enum err_code
dtls_endpoint_new(struct dtls_context *ctx, const struct dtls_endpoint_opts *opts,
    uint64_t now_ms, struct dtls_endpoint **out, struct err *e)
{
	struct dtls_endpoint *ep = NULL;
	unsigned mtu = opts->mtu != 0 ? opts->mtu : DTLS_MTU;
	const struct profile *p = NULL;
	BIO *wbio = NULL;
	enum err_code rc;

	*out = NULL;
	if (mtu < DTLS_MTU_MIN || mtu > DTLS_OUT_BYTES) {
		rc = err_set(e, ERR_VALIDATION, "DTLS MTU %u is outside %d..%d", mtu,
		    DTLS_MTU_MIN, DTLS_OUT_BYTES);
		goto out;
	}
	ep = calloc(1, sizeof(*ep));
	if (ep == NULL) {
		rc = err_set(e, ERR_INTERNAL, "out of memory for a DTLS endpoint");
		goto out;
	}
	if ((rc = cert_fingerprint_parse(opts->peer_fingerprint, ep->peer_digest, e)) != ERR_OK)
		goto out;
	ep->role = opts->role;
	ep->state = DTLS_STATE_HANDSHAKING;
	ep->started_ms = now_ms;
	ep->rto_ms = DTLS_RTO_INITIAL_MS;
	ERR_clear_error();
	ep->ssl = SSL_new(ctx->ssl_ctx);
	ep->rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(ctx->out_method);
	if (ep->ssl == NULL || ep->rbio == NULL || wbio == NULL) {
		BIO_free(ep->rbio);
		BIO_free(wbio);
		ep->rbio = NULL;
		rc = err_set(e, ERR_INTERNAL, "cannot make a DTLS endpoint");
		goto out;
	}
	BIO_set_mem_eof_return(ep->rbio, -1);
	BIO_set_data(wbio, ep);
	SSL_set_bio(ep->ssl, ep->rbio, wbio);	/* ssl owns both */
	SSL_set_app_data(ep->ssl, ep);
	DTLS_set_timer_cb(ep->ssl, timer_length);
	if (opts->only != DTLS_SRTP_NONE && (p = profile_by_id(opts->only)) == NULL) {
		rc = err_set(e, ERR_VALIDATION, "DTLS: no SRTP profile %d", (int)opts->only);
		goto out;
	}
	if (p != NULL && SSL_set_tlsext_use_srtp(ep->ssl, p->name) != 0) {
		rc = err_set(e, ERR_INTERNAL, "DTLS: cannot limit SRTP to %s", p->name);
		goto out;
	}
	if (SSL_set_mtu(ep->ssl, mtu) <= 0) {	/* it returns the MTU set */
		rc = err_set(e, ERR_VALIDATION, "DTLS MTU %u refused", mtu);
		goto out;
	}
	if (ep->role == DTLS_ROLE_SERVER) {
		SSL_set_accept_state(ep->ssl);
	} else {
		SSL_set_connect_state(ep->ssl);
		if ((rc = handshake(ep, e)) != ERR_OK)
			goto out;
		timer_sync(ep, now_ms);
	}
	*out = ep;
	ep = NULL;
	rc = ERR_OK;
out:
	ERR_clear_error();
	dtls_endpoint_free(ep);
	return rc;
}

enum err_code
dtls_endpoint_input(struct dtls_endpoint *ep, const uint8_t *data, size_t len,
    uint64_t now_ms, struct err *e)
{
	enum err_code rc = ERR_OK;

	if (ep->state == DTLS_STATE_CLOSED || ep->state == DTLS_STATE_FAILED)
		return ERR_OK;
	if (!well_framed(data, len)) {
		ep->state = DTLS_STATE_FAILED;
		ep->rto_deadline_ms = 0;
		return err_set(e, ERR_VALIDATION, "DTLS: a datagram of %zu bytes is not DTLS records", len);
	}
	if (BIO_write(ep->rbio, data, (int)len) != (int)len) {
		rc = fail(ep, "input", e);
		goto out;
	}
	if (ep->state == DTLS_STATE_HANDSHAKING)
		rc = handshake(ep, e);
	if (rc == ERR_OK && ep->state == DTLS_STATE_CONNECTED)
		rc = read_records(ep, e);
	timer_sync(ep, now_ms);
out:
	(void)BIO_reset(ep->rbio);	/* nothing of one datagram outlives it */
	return rc;
}

int
dtls_endpoint_output(struct dtls_endpoint *ep, const uint8_t **data, size_t *len)
{
	if (ep->out_head == ep->out_count)
		return 0;
	*data = ep->out + ep->out_off[ep->out_head];
	*len = ep->out_len[ep->out_head];
	ep->out_head++;
	return 1;
}

uint64_t
dtls_endpoint_deadline(const struct dtls_endpoint *ep)
{
	uint64_t limit = ep->started_ms + DTLS_HANDSHAKE_MS;

	if (ep->state != DTLS_STATE_HANDSHAKING)
		return 0;
	return ep->rto_deadline_ms != 0 && ep->rto_deadline_ms < limit ? ep->rto_deadline_ms : limit;
}

enum err_code
dtls_endpoint_timeout(struct dtls_endpoint *ep, uint64_t now_ms, struct err *e)
{
	if (ep->state != DTLS_STATE_HANDSHAKING)
		return ERR_OK;
	if (now_ms >= ep->started_ms + DTLS_HANDSHAKE_MS) {
		ep->state = DTLS_STATE_FAILED;
		ep->rto_deadline_ms = 0;
		return err_set(e, ERR_VALIDATION, "DTLS handshake not complete after %d ms",
		    DTLS_HANDSHAKE_MS);
	}
	if (ep->rto_deadline_ms == 0 || now_ms < ep->rto_deadline_ms)
		return ERR_OK;
	ERR_clear_error();
	if (DTLSv1_handle_timeout(ep->ssl) < 0)	/* 0: OpenSSL's clock says not yet */
		return fail(ep, "retransmission", e);
	timer_sync(ep, now_ms);
	return ERR_OK;
}

void
dtls_endpoint_close(struct dtls_endpoint *ep)
{
	if (ep->state == DTLS_STATE_HANDSHAKING || ep->state == DTLS_STATE_CONNECTED) {
		ERR_clear_error();
		(void)SSL_shutdown(ep->ssl);
		ERR_clear_error();
	}
	if (ep->state != DTLS_STATE_FAILED)
		ep->state = DTLS_STATE_CLOSED;
	ep->rto_deadline_ms = 0;
}

enum dtls_state
dtls_endpoint_state(const struct dtls_endpoint *ep)
{
	return ep->state;
}

enum err_code
dtls_endpoint_keys(const struct dtls_endpoint *ep, struct dtls_srtp_keys *out, struct err *e)
{
	if (ep->state != DTLS_STATE_CONNECTED)
		return err_set(e, ERR_CONFLICT, "DTLS handshake not complete");
	*out = ep->keys;
	return ERR_OK;
}
