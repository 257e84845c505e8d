/* SRTP sessions over libsrtp2: the profile table, in-place protect and
 * unprotect with bounds checked before libsrtp2 writes, and libsrtp2's
 * one process-wide initialisation. */
#include <limits.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "limits.h"
#include "media/srtp.h"
#include "media/srtp_evp.h"

typedef void (*policy_setter)(srtp_crypto_policy_t *p);

/* Each profile's libsrtp2 policy, master key and salt lengths, and what
 * protecting adds: the tag for RTP, the tag and the E flag with the
 * SRTCP index (4 bytes) for RTCP (RFC 3711 3.4, RFC 7714 9.3). */
struct suite {
	enum dtls_srtp_profile profile;
	policy_setter set;
	size_t key_len, salt_len, tag_len;
};

/* libsrtp2's "rtp default" is AES-CM-128 with HMAC-SHA1-80. */
static const struct suite suites[] = {
	{ DTLS_SRTP_AES128_CM_SHA1_80, srtp_crypto_policy_set_rtp_default, 16, 14, 10 },
	{ DTLS_SRTP_AEAD_AES_128_GCM, srtp_crypto_policy_set_aes_gcm_128_16_auth, 16, 12, 16 },
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))
#define SRTCP_INDEX_LEN 4

_Static_assert(16 + SRTCP_INDEX_LEN <= SRTP_SESSION_TRAILER_MAX, "trailer bound");

struct srtp_session {
	srtp_t ctx;
	enum srtp_session_dir dir;
	size_t rtp_trailer, rtcp_trailer;
};

/* libsrtp2's statuses a peer can cause, in words. */
static const struct {
	srtp_err_status_t status;
	const char *text;
} reasons[] = {
	{ srtp_err_status_auth_fail, "authentication failed" },
	{ srtp_err_status_replay_fail, "replayed packet" },
	{ srtp_err_status_replay_old, "packet older than the replay window" },
	{ srtp_err_status_bad_param, "malformed packet" },
	{ srtp_err_status_parse_err, "malformed packet" },
	{ srtp_err_status_key_expired, "key used up" },
	{ srtp_err_status_cipher_fail, "cipher failure" },
};

static const char *
reason(srtp_err_status_t st)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == st)
			return reasons[i].text;
	return "refused";
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status = srtp_err_status_fail;

/* libsrtp2, with its ciphers and HMAC on OpenSSL (srtp_evp.h). */
static void
init_library(void)
{
	if ((init_status = srtp_init()) == srtp_err_status_ok)
		init_status = srtp_evp_install();
}

enum err_code
srtp_session_init(struct err *e)
{
	(void)pthread_once(&init_once, init_library);
	if (init_status != srtp_err_status_ok)
		return err_set(e, ERR_INTERNAL, "libsrtp2 (or its OpenSSL ciphers) failed to start (status %d)", (int)init_status);
	return ERR_OK;
}

static const struct suite *
suite_of(enum dtls_srtp_profile p)
{
	size_t i;

	for (i = 0; i < NSUITES; i++)
		if (suites[i].profile == p)
			return &suites[i];
	return NULL;
}

void
srtp_session_free(struct srtp_session *s)
{
	if (s == NULL)
		return;
	if (s->ctx != NULL)
		(void)srtp_dealloc(s->ctx);	/* wipes the stream keys */
	free(s);
}

enum err_code
srtp_session_new(const struct dtls_srtp_keys *keys, enum srtp_session_dir dir,
    struct srtp_session **out, struct err *e)
{
	const struct suite *su = suite_of(keys->profile);
	unsigned char master[DTLS_SRTP_KEY_MAX + DTLS_SRTP_SALT_MAX];
	const uint8_t *key, *salt;
	struct srtp_session *s = NULL;
	srtp_policy_t policy;
	srtp_err_status_t st;
	enum err_code rc;

	*out = NULL;
	if ((rc = srtp_session_init(e)) != ERR_OK)
		goto out;
	if (su == NULL || keys->key_len != su->key_len || keys->salt_len != su->salt_len) {
		rc = err_set(e, ERR_VALIDATION, "SRTP: no profile %d with %zu-byte keys and %zu-byte salts",
		    (int)keys->profile, keys->key_len, keys->salt_len);
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		rc = err_set(e, ERR_INTERNAL, "out of memory for an SRTP session");
		goto out;
	}
	s->dir = dir;
	s->rtp_trailer = su->tag_len;
	s->rtcp_trailer = su->tag_len + SRTCP_INDEX_LEN;
	key = dir == SRTP_SESSION_OUTBOUND ? keys->local_key : keys->remote_key;
	salt = dir == SRTP_SESSION_OUTBOUND ? keys->local_salt : keys->remote_salt;
	memcpy(master, key, su->key_len);	/* libsrtp2 wants key || salt */
	memcpy(master + su->key_len, salt, su->salt_len);
	memset(&policy, 0, sizeof(policy));
	su->set(&policy.rtp);
	su->set(&policy.rtcp);
	policy.ssrc.type = dir == SRTP_SESSION_OUTBOUND ? ssrc_any_outbound : ssrc_any_inbound;
	policy.key = master;
	policy.window_size = SRTP_REPLAY_WINDOW;
	policy.allow_repeat_tx = dir == SRTP_SESSION_OUTBOUND;
	st = srtp_create(&s->ctx, &policy);
	if (st != srtp_err_status_ok) {
		s->ctx = NULL;
		rc = err_set(e, ERR_INTERNAL, "SRTP: cannot make a session (status %d)", (int)st);
		goto out;
	}
	*out = s;
	s = NULL;
	rc = ERR_OK;
out:
	OPENSSL_cleanse(master, sizeof(master));
	srtp_session_free(s);
	return rc;
}

typedef srtp_err_status_t (*transform)(srtp_t ctx, void *pkt, int *len);

/* The one path of the four calls: direction, bounds, then libsrtp2. */
static enum err_code
apply(struct srtp_session *s, enum srtp_session_dir want, transform fn, const char *what,
    uint8_t *pkt, size_t *len, size_t room, struct err *e)
{
	srtp_err_status_t st;
	int n;

	if (s->dir != want)
		return err_set(e, ERR_VALIDATION, "SRTP: %s in a session of the other direction", what);
	if (*len > room || *len > (size_t)INT_MAX)
		return err_set(e, ERR_VALIDATION, "SRTP: %s: no room for the trailer", what);
	n = (int)*len;
	st = fn(s->ctx, pkt, &n);
	if (st != srtp_err_status_ok)
		return err_set(e, ERR_VALIDATION, "SRTP: %s: %s", what, reason(st));
	*len = (size_t)n;
	return ERR_OK;
}

static srtp_err_status_t
protect_rtcp(srtp_t ctx, void *pkt, int *len)
{
	return srtp_protect_rtcp(ctx, pkt, len);
}

static srtp_err_status_t
unprotect_rtcp(srtp_t ctx, void *pkt, int *len)
{
	return srtp_unprotect_rtcp(ctx, pkt, len);
}

static srtp_err_status_t
protect_rtp(srtp_t ctx, void *pkt, int *len)
{
	return srtp_protect(ctx, pkt, len);
}

static srtp_err_status_t
unprotect_rtp(srtp_t ctx, void *pkt, int *len)
{
	return srtp_unprotect(ctx, pkt, len);
}

/* What fits in cap once the trailer is added; 0 when nothing does. */
static size_t
room_for(size_t cap, size_t trailer)
{
	return cap >= trailer ? cap - trailer : 0;
}

enum err_code
srtp_session_protect_rtp(struct srtp_session *s, uint8_t *pkt, size_t *len, size_t cap,
    struct err *e)
{
	return apply(s, SRTP_SESSION_OUTBOUND, protect_rtp, "protect RTP", pkt, len,
	    room_for(cap, s->rtp_trailer), e);
}

enum err_code
srtp_session_protect_rtcp(struct srtp_session *s, uint8_t *pkt, size_t *len, size_t cap,
    struct err *e)
{
	return apply(s, SRTP_SESSION_OUTBOUND, protect_rtcp, "protect RTCP", pkt, len,
	    room_for(cap, s->rtcp_trailer), e);
}

enum err_code
srtp_session_unprotect_rtp(struct srtp_session *s, uint8_t *pkt, size_t *len, struct err *e)
{
	return apply(s, SRTP_SESSION_INBOUND, unprotect_rtp, "unprotect RTP", pkt, len, *len, e);
}

enum err_code
srtp_session_unprotect_rtcp(struct srtp_session *s, uint8_t *pkt, size_t *len, struct err *e)
{
	return apply(s, SRTP_SESSION_INBOUND, unprotect_rtcp, "unprotect RTCP", pkt, len, *len, e);
}

void
srtp_session_forget(struct srtp_session *s, uint32_t ssrc)
{
	(void)srtp_remove_stream(s->ctx, htonl(ssrc));
}
