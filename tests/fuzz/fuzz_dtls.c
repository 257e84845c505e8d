/* Fuzz target: DTLS endpoints and inbound SRTP sessions fed hostile
 * datagrams. Input: one byte choosing the consumer (bit 0: server or
 * client endpoint; bit 1: SRTP instead of DTLS; bit 2: GCM keys), then
 * datagrams, each as a two-byte big-endian length and its bytes. The
 * endpoint's timer is run between datagrams on a clock the input moves. */
#include <stdint.h>
#include <string.h>

#include "media/cert.h"
#include "media/dtls.h"
#include "media/srtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cert *ours, *theirs;
static struct dtls_context *ctx;

static int
setup(void)
{
	struct err e;

	if (ctx != NULL)
		return 1;
	return cert_new(&ours, &e) == ERR_OK && cert_new(&theirs, &e) == ERR_OK &&
	    dtls_context_new(ours, &ctx, &e) == ERR_OK;
}

static void
drain(struct dtls_endpoint *ep)
{
	const uint8_t *d;
	size_t len;

	while (dtls_endpoint_output(ep, &d, &len))
		if (len == 0 || len > 1200 || d[0] < 20 || d[0] > 23)
			__builtin_trap();
}

static void
fuzz_dtls(int server, const uint8_t *p, size_t n)
{
	struct dtls_endpoint_opts o = { server ? DTLS_ROLE_SERVER : DTLS_ROLE_CLIENT,
	    cert_fingerprint(theirs), 0, DTLS_SRTP_NONE };
	struct dtls_endpoint *ep = NULL;
	uint64_t now = 0;
	struct err e;

	if (dtls_endpoint_new(ctx, &o, now, &ep, &e) != ERR_OK)
		return;
	drain(ep);
	while (n >= 2) {
		size_t len = (size_t)p[0] << 8 | p[1];

		p += 2;
		n -= 2;
		if (len > n)
			len = n;
		now += len % 700;
		(void)dtls_endpoint_timeout(ep, now, &e);
		(void)dtls_endpoint_input(ep, p, len, now, &e);
		drain(ep);
		p += len;
		n -= len;
	}
	dtls_endpoint_close(ep);
	drain(ep);
	dtls_endpoint_free(ep);
}

static void
fuzz_srtp(int gcm, const uint8_t *p, size_t n)
{
	struct dtls_srtp_keys k;
	struct srtp_session *s = NULL;
	uint8_t buf[2048];
	struct err e;

	memset(&k, 0x42, sizeof(k));
	k.profile = gcm ? DTLS_SRTP_AEAD_AES_128_GCM : DTLS_SRTP_AES128_CM_SHA1_80;
	k.key_len = 16;
	k.salt_len = gcm ? 12 : 14;
	if (srtp_session_new(&k, SRTP_SESSION_INBOUND, &s, &e) != ERR_OK)
		return;
	while (n >= 2) {
		size_t len = (size_t)p[0] << 8 | p[1], out;

		p += 2;
		n -= 2;
		if (len > n)
			len = n;
		if (len <= sizeof(buf)) {
			memcpy(buf, p, len);
			out = len;
			if (srtp_session_unprotect_rtp(s, buf, &out, &e) == ERR_OK && out > len)
				__builtin_trap();
			memcpy(buf, p, len);
			out = len;
			if (srtp_session_unprotect_rtcp(s, buf, &out, &e) == ERR_OK && out > len)
				__builtin_trap();
		}
		p += len;
		n -= len;
	}
	srtp_session_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || !setup())
		return 0;
	if (data[0] & 2)
		fuzz_srtp(data[0] & 4, data + 1, size - 1);
	else
		fuzz_dtls(data[0] & 1, data + 1, size - 1);
	return 0;
}
