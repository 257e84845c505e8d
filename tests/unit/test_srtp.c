/* SRTP sessions with keys from a real DTLS handshake, for both profiles:
 * RTP and RTCP round trips in both directions, tampering and replays
 * refused, several SSRCs on one outbound session, buffers of exactly the
 * needed size, misuse refused; the AES-CM profile checked against an
 * independent RFC 3711 computation whose key derivation and key stream
 * are themselves checked against the RFC's appendix B vectors, and the
 * GCM profile against an independent RFC 7714 computation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "limits.h"
#include "media/cert.h"
#include "media/dtls.h"
#include "media/srtp.h"

/* ---- keys from a DTLS handshake in memory ---- */

struct keypair {
	struct dtls_srtp_keys srv, cli;
};

static void
pass(struct dtls_endpoint *from, struct dtls_endpoint *to)
{
	const uint8_t *d;
	size_t len;
	struct err e;

	while (dtls_endpoint_output(from, &d, &len))
		(void)dtls_endpoint_input(to, d, len, 0, &e);
}

static void
handshake_keys(enum dtls_srtp_profile only, struct keypair *out)
{
	struct cert *cs = NULL, *cc = NULL;
	struct dtls_context *xs = NULL, *xc = NULL;
	struct dtls_endpoint *s = NULL, *c = NULL;
	struct err e;
	int i;

	assert_int_equal(cert_new(&cs, &e), ERR_OK);
	assert_int_equal(cert_new(&cc, &e), ERR_OK);
	assert_int_equal(dtls_context_new(cs, &xs, &e), ERR_OK);
	assert_int_equal(dtls_context_new(cc, &xc, &e), ERR_OK);
	struct dtls_endpoint_opts so = { DTLS_ROLE_SERVER, cert_fingerprint(cc), 0, DTLS_SRTP_NONE };
	struct dtls_endpoint_opts co = { DTLS_ROLE_CLIENT, cert_fingerprint(cs), 0, only };
	assert_int_equal(dtls_endpoint_new(xs, &so, 0, &s, &e), ERR_OK);
	assert_int_equal(dtls_endpoint_new(xc, &co, 0, &c, &e), ERR_OK);
	for (i = 0; i < 4; i++) {
		pass(c, s);
		pass(s, c);
	}
	assert_int_equal(dtls_endpoint_keys(s, &out->srv, &e), ERR_OK);
	assert_int_equal(dtls_endpoint_keys(c, &out->cli, &e), ERR_OK);
	assert_int_equal(out->srv.profile, only);
	dtls_endpoint_free(s);
	dtls_endpoint_free(c);
	dtls_context_free(xs);
	dtls_context_free(xc);
	cert_free(cs);
	cert_free(cc);
}

/* ---- packets ---- */

#define BUF (1500 + SRTP_SESSION_TRAILER_MAX)

static size_t
make_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq, size_t payload)
{
	size_t i;

	p[0] = 0x80;
	p[1] = 96;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = 0x12, p[5] = 0x34, p[6] = 0x56, p[7] = 0x78;	/* timestamp */
	p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8), p[11] = (uint8_t)ssrc;
	for (i = 0; i < payload; i++)
		p[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + payload;
}

/* A sender report without report blocks (RFC 3550 6.4.1). */
static size_t
make_rtcp(uint8_t *p, uint32_t ssrc)
{
	size_t i;

	memset(p, 0, 28);
	p[0] = 0x80;
	p[1] = 200;
	p[3] = 6;	/* length in words minus one */
	p[4] = (uint8_t)(ssrc >> 24), p[5] = (uint8_t)(ssrc >> 16);
	p[6] = (uint8_t)(ssrc >> 8), p[7] = (uint8_t)ssrc;
	for (i = 8; i < 28; i++)
		p[i] = (uint8_t)i;
	return 28;
}

struct sessions {
	struct srtp_session *srv_out, *srv_in, *cli_out, *cli_in;
};

static void
sessions_new(enum dtls_srtp_profile p, struct sessions *s)
{
	struct keypair k;
	struct err e;

	handshake_keys(p, &k);
	assert_int_equal(srtp_session_new(&k.srv, SRTP_SESSION_OUTBOUND, &s->srv_out, &e), ERR_OK);
	assert_int_equal(srtp_session_new(&k.srv, SRTP_SESSION_INBOUND, &s->srv_in, &e), ERR_OK);
	assert_int_equal(srtp_session_new(&k.cli, SRTP_SESSION_OUTBOUND, &s->cli_out, &e), ERR_OK);
	assert_int_equal(srtp_session_new(&k.cli, SRTP_SESSION_INBOUND, &s->cli_in, &e), ERR_OK);
	dtls_srtp_keys_wipe(&k.srv);
	dtls_srtp_keys_wipe(&k.cli);
}

static void
sessions_free(struct sessions *s)
{
	srtp_session_free(s->srv_out);
	srtp_session_free(s->srv_in);
	srtp_session_free(s->cli_out);
	srtp_session_free(s->cli_in);
}

static const enum dtls_srtp_profile profiles[] = {
	DTLS_SRTP_AES128_CM_SHA1_80, DTLS_SRTP_AEAD_AES_128_GCM,
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

static size_t
tag_of(enum dtls_srtp_profile p)
{
	return p == DTLS_SRTP_AEAD_AES_128_GCM ? 16 : 10;
}

/* ---- round trips ---- */

static void
round_trip(struct srtp_session *out, struct srtp_session *in, enum dtls_srtp_profile p,
    int rtcp, uint16_t seq)
{
	uint8_t plain[BUF], pkt[BUF];
	size_t len, orig;
	struct err e;

	orig = rtcp ? make_rtcp(plain, 0xcafe0001) : make_rtp(plain, 0xcafe0001, seq, 1000);
	memcpy(pkt, plain, orig);
	len = orig;
	if (rtcp) {
		assert_int_equal(srtp_session_protect_rtcp(out, pkt, &len, sizeof(pkt), &e), ERR_OK);
		assert_int_equal(len, orig + tag_of(p) + 4);
	} else {
		assert_int_equal(srtp_session_protect_rtp(out, pkt, &len, sizeof(pkt), &e), ERR_OK);
		assert_int_equal(len, orig + tag_of(p));
		assert_memory_equal(pkt, plain, 12);	/* the header stays clear */
	}
	assert_memory_not_equal(pkt + (rtcp ? 8 : 12), plain + (rtcp ? 8 : 12), 16);
	if (rtcp)
		assert_int_equal(srtp_session_unprotect_rtcp(in, pkt, &len, &e), ERR_OK);
	else
		assert_int_equal(srtp_session_unprotect_rtp(in, pkt, &len, &e), ERR_OK);
	assert_int_equal(len, orig);
	assert_memory_equal(pkt, plain, orig);
}

static void
test_round_trips(void **state)
{
	size_t i;
	uint16_t seq;

	(void)state;
	for (i = 0; i < NPROFILES; i++) {
		struct sessions s;

		sessions_new(profiles[i], &s);
		for (seq = 65530; seq != 10; seq++) {	/* across a rollover */
			round_trip(s.srv_out, s.cli_in, profiles[i], 0, seq);
			round_trip(s.cli_out, s.srv_in, profiles[i], 0, seq);
		}
		round_trip(s.srv_out, s.cli_in, profiles[i], 1, 0);
		round_trip(s.cli_out, s.srv_in, profiles[i], 1, 0);
		round_trip(s.srv_out, s.cli_in, profiles[i], 1, 0);
		sessions_free(&s);
	}
}

/* ---- refusals ---- */

struct trow {
	const char *name;
	int rtcp;
	int at;		/* byte to flip; negative: from the end */
};

static const struct trow trows[] = {
	{ "RTP payload", 0, 40 },
	{ "RTP sequence number", 0, 3 },
	{ "RTP SSRC", 0, 11 },
	{ "RTP tag", 0, -1 },
	{ "RTCP body", 1, 12 },
	{ "RTCP index", 1, -(int)SRTP_SESSION_TRAILER_MAX + 2 },
	{ "RTCP tag", 1, -1 },
};

static void
test_tampered(void **state)
{
	size_t i, r;
	struct err e;

	(void)state;
	for (i = 0; i < NPROFILES; i++) {
		struct sessions s;

		sessions_new(profiles[i], &s);
		for (r = 0; r < sizeof(trows) / sizeof(trows[0]); r++) {
			uint8_t pkt[BUF];
			size_t len = trows[r].rtcp ? make_rtcp(pkt, 7) : make_rtp(pkt, 7, (uint16_t)r, 200);
			size_t at;

			if (trows[r].rtcp)
				assert_int_equal(srtp_session_protect_rtcp(s.srv_out, pkt, &len, sizeof(pkt), &e), ERR_OK);
			else
				assert_int_equal(srtp_session_protect_rtp(s.srv_out, pkt, &len, sizeof(pkt), &e), ERR_OK);
			at = trows[r].at >= 0 ? (size_t)trows[r].at : len - (size_t)-trows[r].at;
			if (trows[r].rtcp && profiles[i] == DTLS_SRTP_AES128_CM_SHA1_80 && trows[r].at < -1)
				at = len - 10 - 2;	/* the index sits before a 10-byte tag */
			pkt[at] ^= 0x01;
			print_message("%s\n", trows[r].name);
			if (trows[r].rtcp)
				assert_int_equal(srtp_session_unprotect_rtcp(s.cli_in, pkt, &len, &e), ERR_VALIDATION);
			else
				assert_int_equal(srtp_session_unprotect_rtp(s.cli_in, pkt, &len, &e), ERR_VALIDATION);
		}
		/* an untampered packet still passes afterwards */
		round_trip(s.srv_out, s.cli_in, profiles[i], 0, 500);
		sessions_free(&s);
	}
}

static void
test_replay(void **state)
{
	uint8_t pkt[BUF], copy[BUF], old[BUF];
	size_t i, len, clen, olen;
	struct err e;

	(void)state;
	for (i = 0; i < NPROFILES; i++) {
		struct sessions s;
		uint16_t seq;

		sessions_new(profiles[i], &s);
		len = make_rtp(pkt, 42, 100, 300);
		assert_int_equal(srtp_session_protect_rtp(s.srv_out, pkt, &len, sizeof(pkt), &e), ERR_OK);
		memcpy(copy, pkt, len);
		clen = len;
		assert_int_equal(srtp_session_unprotect_rtp(s.cli_in, pkt, &len, &e), ERR_OK);
		assert_int_equal(srtp_session_unprotect_rtp(s.cli_in, copy, &clen, &e), ERR_VALIDATION);
		assert_non_null(strstr(e.msg, "replay"));
		/* RTCP replays too */
		len = make_rtcp(pkt, 42);
		assert_int_equal(srtp_session_protect_rtcp(s.srv_out, pkt, &len, sizeof(pkt), &e), ERR_OK);
		memcpy(copy, pkt, len);
		clen = len;
		assert_int_equal(srtp_session_unprotect_rtcp(s.cli_in, pkt, &len, &e), ERR_OK);
		assert_int_equal(srtp_session_unprotect_rtcp(s.cli_in, copy, &clen, &e), ERR_VALIDATION);
		/* a packet held back past the window is refused; within it, accepted */
		olen = make_rtp(old, 42, 101, 100);
		assert_int_equal(srtp_session_protect_rtp(s.srv_out, old, &olen, sizeof(old), &e), ERR_OK);
		clen = make_rtp(copy, 42, 102, 100);
		assert_int_equal(srtp_session_protect_rtp(s.srv_out, copy, &clen, sizeof(copy), &e), ERR_OK);
		for (seq = 103; seq < 102 + SRTP_REPLAY_WINDOW; seq++) {	/* 102 is the oldest kept */
			len = make_rtp(pkt, 42, seq, 20);
			assert_int_equal(srtp_session_protect_rtp(s.srv_out, pkt, &len, sizeof(pkt), &e), ERR_OK);
			assert_int_equal(srtp_session_unprotect_rtp(s.cli_in, pkt, &len, &e), ERR_OK);
		}
		assert_int_equal(srtp_session_unprotect_rtp(s.cli_in, copy, &clen, &e), ERR_OK);
		assert_int_equal(srtp_session_unprotect_rtp(s.cli_in, old, &olen, &e), ERR_VALIDATION);
		sessions_free(&s);
	}
}

/* A subscriber's outbound session carries many streams; each keeps its
 * own index and replay state on the receiving side. */
static void
test_many_ssrcs(void **state)
{
	static const uint32_t ssrcs[] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444, 0xffffffff };
	uint8_t pkt[BUF], plain[BUF];
	size_t i, k, len, orig;
	uint16_t seq;
	struct err e;

	(void)state;
	for (i = 0; i < NPROFILES; i++) {
		struct sessions s;

		sessions_new(profiles[i], &s);
		for (seq = 0; seq < 50; seq++) {
			for (k = 0; k < sizeof(ssrcs) / sizeof(ssrcs[0]); k++) {
				/* each stream starts at its own sequence number */
				orig = make_rtp(plain, ssrcs[k], (uint16_t)(seq + k * 9000), 400);
				memcpy(pkt, plain, orig);
				len = orig;
				assert_int_equal(srtp_session_protect_rtp(s.srv_out, pkt, &len, sizeof(pkt), &e), ERR_OK);
				assert_int_equal(srtp_session_unprotect_rtp(s.cli_in, pkt, &len, &e), ERR_OK);
				assert_memory_equal(pkt, plain, orig);
			}
		}
		/* one stream's replay does not touch another's */
		orig = make_rtp(plain, ssrcs[0], 3, 400);
		len = orig;
		assert_int_equal(srtp_session_protect_rtp(s.srv_out, plain, &len, sizeof(plain), &e), ERR_OK);
		assert_int_equal(srtp_session_unprotect_rtp(s.cli_in, plain, &len, &e), ERR_VALIDATION);
		/* a stream forgotten on both sides starts afresh */
		srtp_session_forget(s.srv_out, ssrcs[4]);
		srtp_session_forget(s.cli_in, ssrcs[4]);
		srtp_session_forget(s.cli_in, 0x12345678);	/* unknown: ignored */
		orig = make_rtp(plain, ssrcs[4], 7, 100);
		memcpy(pkt, plain, orig);
		len = orig;
		assert_int_equal(srtp_session_protect_rtp(s.srv_out, pkt, &len, sizeof(pkt), &e), ERR_OK);
		assert_int_equal(srtp_session_unprotect_rtp(s.cli_in, pkt, &len, &e), ERR_OK);
		sessions_free(&s);
	}
}

/* Protect writes only the trailer past the packet: buffers of exactly
 * the needed size (ASan sees any byte beyond), one byte short refused
 * untouched. A retransmission of a stored packet protects again. */
static void
test_buffers_and_misuse(void **state)
{
	struct dtls_srtp_keys bad;
	struct srtp_session *none = NULL;
	size_t i, len, orig;
	struct err e;

	(void)state;
	for (i = 0; i < NPROFILES; i++) {
		struct sessions s;
		size_t trailer = tag_of(profiles[i]);
		uint8_t *exact = malloc(1200 + trailer), *rtcp = malloc(28 + trailer + 4);
		uint8_t keep[1200];

		assert_non_null(exact);
		assert_non_null(rtcp);
		sessions_new(profiles[i], &s);
		orig = make_rtp(exact, 9, 1, 1200 - 12);
		memcpy(keep, exact, orig);
		len = orig;
		assert_int_equal(srtp_session_protect_rtp(s.srv_out, exact, &len, orig + trailer - 1, &e),
		    ERR_VALIDATION);
		assert_int_equal(len, orig);
		assert_memory_equal(exact, keep, orig);
		assert_int_equal(srtp_session_protect_rtp(s.srv_out, exact, &len, orig + trailer, &e), ERR_OK);
		assert_int_equal(srtp_session_unprotect_rtp(s.cli_in, exact, &len, &e), ERR_OK);
		/* the same packet sent again (a NACK answered from history) */
		assert_int_equal(srtp_session_protect_rtp(s.srv_out, exact, &len, orig + trailer, &e), ERR_OK);
		len = make_rtcp(rtcp, 9);
		assert_int_equal(srtp_session_protect_rtcp(s.srv_out, rtcp, &len, 28 + trailer + 3, &e),
		    ERR_VALIDATION);
		assert_int_equal(srtp_session_protect_rtcp(s.srv_out, rtcp, &len, 28 + trailer + 4, &e), ERR_OK);
		/* the wrong direction */
		assert_int_equal(srtp_session_unprotect_rtcp(s.srv_out, rtcp, &len, &e), ERR_VALIDATION);
		len = make_rtp(keep, 9, 2, 100);
		assert_int_equal(srtp_session_protect_rtp(s.cli_in, keep, &len, sizeof(keep), &e), ERR_VALIDATION);
		/* too short to be SRTP */
		len = 8;
		assert_int_equal(srtp_session_unprotect_rtp(s.cli_in, keep, &len, &e), ERR_VALIDATION);
		sessions_free(&s);
		free(exact);
		free(rtcp);
	}
	memset(&bad, 0, sizeof(bad));
	bad.profile = DTLS_SRTP_AEAD_AES_128_GCM;
	bad.key_len = 16;
	bad.salt_len = 14;	/* GCM salts are 12 bytes */
	assert_int_equal(srtp_session_new(&bad, SRTP_SESSION_INBOUND, &none, &e), ERR_VALIDATION);
	bad.profile = DTLS_SRTP_NONE;
	assert_int_equal(srtp_session_new(&bad, SRTP_SESSION_INBOUND, &none, &e), ERR_VALIDATION);
	assert_null(none);
	srtp_session_free(NULL);
}

/* ---- RFC 3711 by hand: an independent AES-CM-128/HMAC-SHA1-80 ---- */

static void
hex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	assert_int_equal(strlen(s), 2 * n);
	for (i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* AES-128 in counter mode from iv, over n bytes of data (in place). */
static void
aes_ctr(const uint8_t key[16], const uint8_t iv[16], uint8_t *data, size_t n)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0;

	assert_non_null(c);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, data, &outl, data, (int)n), 1);
	EVP_CIPHER_CTX_free(c);
}

/* RFC 3711 4.3.1 with a key derivation rate of 0: the key stream of the
 * master key from IV (master salt XOR label at byte 7) * 2^16. */
static void
derive(const uint8_t mkey[16], const uint8_t msalt[14], uint8_t label, uint8_t *out, size_t n)
{
	uint8_t iv[16] = { 0 };

	memcpy(iv, msalt, 14);
	iv[7] ^= label;
	memset(out, 0, n);
	aes_ctr(mkey, iv, out, n);
}

static void
test_rfc3711_vectors(void **state)
{
	uint8_t mkey[16], msalt[14], want[20], ks[32], iv[16], zero[32] = { 0 };
	uint8_t ckey[16], csalt[14], akey[20], mine[BUF], ref[BUF], mac[20];
	struct dtls_srtp_keys k;
	struct srtp_session *out = NULL;
	unsigned int maclen = 0;
	size_t len, orig, i;
	struct err e;

	(void)state;
	/* B.2: AES-CM key stream */
	hex("2B7E151628AED2A6ABF7158809CF4F3C", ckey, 16);
	hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", csalt, 14);
	memset(iv, 0, sizeof(iv));
	memcpy(iv, csalt, 14);
	memcpy(ks, zero, 32);
	aes_ctr(ckey, iv, ks, 32);
	hex("E03EAD0935C95E80E166B16DD92B4EB4", want, 16);
	assert_memory_equal(ks, want, 16);
	hex("D23513162B02D0F72A43A2FE4A5F97AB", want, 16);
	assert_memory_equal(ks + 16, want, 16);
	/* B.3: key derivation */
	hex("E1F97A0D3E018BE0D64FA32C06DE4139", mkey, 16);
	hex("0EC675AD498AFEEBB6960B3AABE6", msalt, 14);
	derive(mkey, msalt, 0, ckey, 16);
	hex("C61E7A93744F39EE10734AFE3FF7A087", want, 16);
	assert_memory_equal(ckey, want, 16);
	derive(mkey, msalt, 2, csalt, 14);
	hex("30CBBC08863D8C85D49DB34A9AE1", want, 14);
	assert_memory_equal(csalt, want, 14);
	derive(mkey, msalt, 1, akey, 20);
	hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want, 20);
	assert_memory_equal(akey, want, 20);

	/* the wrapper, given those master keys, protects as RFC 3711 says */
	memset(&k, 0, sizeof(k));
	k.profile = DTLS_SRTP_AES128_CM_SHA1_80;
	k.key_len = 16;
	k.salt_len = 14;
	memcpy(k.local_key, mkey, 16);
	memcpy(k.local_salt, msalt, 14);
	assert_int_equal(srtp_session_new(&k, SRTP_SESSION_OUTBOUND, &out, &e), ERR_OK);
	orig = make_rtp(mine, 0xdecafbad, 0x1234, 160);
	memcpy(ref, mine, orig);
	len = orig;
	assert_int_equal(srtp_session_protect_rtp(out, mine, &len, sizeof(mine), &e), ERR_OK);
	assert_int_equal(len, orig + 10);
	/* IV = salt * 2^16 XOR SSRC * 2^64 XOR index * 2^16; index = ROC 0 || SEQ */
	memset(iv, 0, sizeof(iv));
	memcpy(iv, csalt, 14);
	for (i = 0; i < 4; i++)
		iv[4 + i] ^= ref[8 + i];
	iv[12] ^= ref[2];
	iv[13] ^= ref[3];
	aes_ctr(ckey, iv, ref + 12, orig - 12);
	memset(ref + orig, 0, 4);	/* ROC, authenticated after the packet */
	assert_non_null(HMAC(EVP_sha1(), akey, 20, ref, orig + 4, mac, &maclen));
	memcpy(ref + orig, mac, 10);
	assert_memory_equal(mine, ref, orig + 10);

	/* SRTCP (RFC 3711 3.4): keys of labels 3, 4 and 5; the E flag and
	 * the SRTCP index after the encrypted part, authenticated with the
	 * packet; the tag last */
	orig = make_rtcp(ref, 0xdecafbad);
	memcpy(mine, ref, orig);
	len = orig;
	assert_int_equal(srtp_session_protect_rtcp(out, mine, &len, sizeof(mine), &e), ERR_OK);
	assert_int_equal(len, orig + 4 + 10);
	assert_true(mine[orig] == 0x80 && mine[orig + 1] == 0 && mine[orig + 2] == 0 &&
	    mine[orig + 3] <= 1);	/* E set, the first packet's index */
	derive(mkey, msalt, 3, ckey, 16);
	derive(mkey, msalt, 4, akey, 20);
	derive(mkey, msalt, 5, csalt, 14);
	memset(iv, 0, sizeof(iv));
	memcpy(iv, csalt, 14);
	for (i = 0; i < 4; i++)
		iv[4 + i] ^= ref[4 + i];	/* the sender's SSRC */
	iv[13] ^= mine[orig + 3];		/* index * 2^16 */
	aes_ctr(ckey, iv, ref + 8, orig - 8);
	memcpy(ref + orig, mine + orig, 4);
	assert_non_null(HMAC(EVP_sha1(), akey, 20, ref, orig + 4, mac, &maclen));
	memcpy(ref + orig + 4, mac, 10);
	assert_memory_equal(mine, ref, orig + 4 + 10);
	srtp_session_free(out);
}

/* ---- RFC 7714 by hand: an independent AEAD-AES-128-GCM ---- */

/* AES-128-GCM sealing of n bytes in place with aad, the tag after them. */
static void
gcm_seal(const uint8_t key[16], const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
    uint8_t *data, size_t n)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0;

	assert_non_null(c);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, NULL, &outl, aad, (int)aad_len), 1);
	assert_int_equal(EVP_EncryptUpdate(c, data, &outl, data, (int)n), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, data + n, &outl), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, data + n), 1);
	EVP_CIPHER_CTX_free(c);
}

/* RFC 7714 8.1 and 9.1: the IV is 00 00 || SSRC || 4 bytes || 2 bytes
 * (ROC || SEQ for RTP; 00 00 || 0 || SRTCP index for RTCP), XOR the
 * session salt. */
static void
gcm_iv(const uint8_t salt[12], const uint8_t ssrc[4], uint32_t mid, uint16_t low, uint8_t iv[12])
{
	size_t i;

	memset(iv, 0, 12);
	memcpy(iv + 2, ssrc, 4);
	iv[6] = (uint8_t)(mid >> 24), iv[7] = (uint8_t)(mid >> 16);
	iv[8] = (uint8_t)(mid >> 8), iv[9] = (uint8_t)mid;
	iv[10] = (uint8_t)(low >> 8), iv[11] = (uint8_t)low;
	for (i = 0; i < 12; i++)
		iv[i] ^= salt[i];
}

/* The wrapper's GCM profile (libsrtp2 with the OpenSSL cipher of
 * srtp_evp.c) against RFC 7714 computed here: session keys by the
 * RFC 3711 KDF from a 12-byte master salt (RFC 7714 11; labels 0 and 2
 * for SRTP, 3 and 5 for SRTCP), then RTP sealed
 * with its header as AAD, and RTCP with its first 8 bytes and the
 * E flag with the SRTCP index as AAD; and each packet made here is
 * opened by an inbound session, and refused with one bit changed. */
static void
test_rfc7714_gcm(void **state)
{
	uint8_t mkey[16], msalt[14] = { 0 }, ckey[16], csalt[12], iv[12];
	uint8_t mine[BUF], ref[BUF], plain[BUF];
	struct dtls_srtp_keys k;
	struct srtp_session *out = NULL, *in = NULL;
	size_t len, orig;
	uint16_t index;
	struct err e;

	(void)state;
	hex("E1F97A0D3E018BE0D64FA32C06DE4139", mkey, 16);
	hex("0EC675AD498AFEEBB6960B3A", msalt, 12);	/* then 2 zero bytes */
	derive(mkey, msalt, 0, ckey, 16);
	derive(mkey, msalt, 2, csalt, 12);
	memset(&k, 0, sizeof(k));
	k.profile = DTLS_SRTP_AEAD_AES_128_GCM;
	k.key_len = 16;
	k.salt_len = 12;
	memcpy(k.local_key, mkey, 16);
	memcpy(k.local_salt, msalt, 12);
	memcpy(k.remote_key, mkey, 16);
	memcpy(k.remote_salt, msalt, 12);
	assert_int_equal(srtp_session_new(&k, SRTP_SESSION_OUTBOUND, &out, &e), ERR_OK);
	assert_int_equal(srtp_session_new(&k, SRTP_SESSION_INBOUND, &in, &e), ERR_OK);

	/* RTP: ROC 0, SEQ 0x1234 */
	orig = make_rtp(plain, 0xdecafbad, 0x1234, 160);
	memcpy(mine, plain, orig);
	memcpy(ref, plain, orig);
	len = orig;
	assert_int_equal(srtp_session_protect_rtp(out, mine, &len, sizeof(mine), &e), ERR_OK);
	assert_int_equal(len, orig + 16);
	gcm_iv(csalt, plain + 8, 0, 0x1234, iv);
	gcm_seal(ckey, iv, plain, 12, ref + 12, orig - 12);
	assert_memory_equal(mine, ref, orig + 16);
	len = orig + 16;
	assert_int_equal(srtp_session_unprotect_rtp(in, ref, &len, &e), ERR_OK);
	assert_int_equal(len, orig);
	assert_memory_equal(ref, plain, orig);

	/* RTCP: sent encrypted (E set), with the SRTCP index libsrtp2 chose */
	orig = make_rtcp(plain, 0xdecafbad);
	memcpy(mine, plain, orig);
	memcpy(ref, plain, orig);
	len = orig;
	assert_int_equal(srtp_session_protect_rtcp(out, mine, &len, sizeof(mine), &e), ERR_OK);
	assert_int_equal(len, orig + 16 + 4);
	assert_int_equal(mine[orig + 16], 0x80);
	index = (uint16_t)(mine[orig + 18] << 8 | mine[orig + 19]);
	assert_true(mine[orig + 17] == 0 && index <= 1);	/* the first packet's */
	memcpy(ref + orig + 16, mine + orig + 16, 4);
	memcpy(ref + orig, plain, 8);	/* the AAD, gathered: header || E || index */
	memcpy(ref + orig + 8, ref + orig + 16, 4);
	derive(mkey, msalt, 3, ckey, 16);	/* SRTCP's own session keys */
	derive(mkey, msalt, 5, csalt, 12);
	gcm_iv(csalt, plain + 4, 0, index, iv);
	gcm_seal(ckey, iv, ref + orig, 12, ref + 8, orig - 8);
	assert_memory_equal(mine, ref, orig + 16 + 4);
	memcpy(mine, ref, orig + 16 + 4);	/* a failed unprotect leaves no packet */
	mine[9] ^= 1;
	len = orig + 16 + 4;
	assert_int_equal(srtp_session_unprotect_rtcp(in, mine, &len, &e), ERR_VALIDATION);
	assert_int_equal(srtp_session_unprotect_rtcp(in, ref, &len, &e), ERR_OK);
	assert_int_equal(len, orig);
	assert_memory_equal(ref, plain, orig);
	srtp_session_free(out);
	srtp_session_free(in);
}

/* ---- the cost of one protect, reported (not a timed test) ---- */

static void
test_protect_cost(void **state)
{
	size_t i;
	struct err e;

	(void)state;
	for (i = 0; i < NPROFILES; i++) {
		struct sessions s;
		uint8_t pkt[BUF];
		struct timespec t0, t1;
		const int n = 20000;
		int j;

		sessions_new(profiles[i], &s);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (j = 0; j < n; j++) {
			size_t len = make_rtp(pkt, 5, (uint16_t)j, 1200 - 12);
			assert_int_equal(srtp_session_protect_rtp(s.srv_out, pkt, &len, sizeof(pkt), &e), ERR_OK);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		print_message("protect of a 1200-byte RTP packet, %s: %.0f ns (packet build included)\n",
		    profiles[i] == DTLS_SRTP_AEAD_AES_128_GCM ? "AEAD_AES_128_GCM" : "AES128_CM_SHA1_80",
		    ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / n);
		sessions_free(&s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_many_ssrcs),
		cmocka_unit_test(test_buffers_and_misuse),
		cmocka_unit_test(test_rfc3711_vectors),
		cmocka_unit_test(test_rfc7714_gcm),
		cmocka_unit_test(test_protect_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
