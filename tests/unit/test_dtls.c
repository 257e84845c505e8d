/* DTLS endpoints in memory: two endpoints (server and client role)
 * complete handshakes by passing datagrams, clean, with datagrams lost,
 * reordered, under the smallest MTU, all on a fake clock that runs the
 * retransmission timers; both sides derive the same SRTP keys for each
 * profile; fingerprint mismatches, garbage and silence fail an endpoint
 * and only that one; close_notify closes. Also the certificate and the
 * SDP fingerprint syntax. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/time.h>

#include "limits.h"
#include "media/cert.h"
#include "media/dtls.h"

/* ---- the fake clock ----
 * OpenSSL 3.0 keeps its DTLS timer on gettimeofday; this definition takes
 * the place of libc's for the whole test process, so that OpenSSL's clock
 * and the one the test hands the endpoints are the same fake one, moved
 * only by the test. It starts at a real date (a zero time means "no
 * timer" to OpenSSL). */
#define CLOCK_BASE_MS 1700000000000ULL
static uint64_t fake_ms;

int gettimeofday(struct timeval *restrict tv, void *restrict tz);

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	uint64_t ms = CLOCK_BASE_MS + fake_ms;

	(void)tz;
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000 * 1000);
	return 0;
}

/* ---- a fake network: datagrams in flight, one queue per direction ---- */

#define NET_MAX 64
#define NET_BYTES 1600

struct queue {
	size_t count;
	size_t len[NET_MAX];
	uint8_t data[NET_MAX][NET_BYTES];
	unsigned sent;		/* datagrams ever taken from the endpoint */
};

/* What happens to the datagrams of one direction: the n-th datagram ever
 * sent is lost when bit n of drop is set; reverse delivers each batch
 * backwards. */
struct path {
	uint64_t drop;
	int reverse;
};

struct peer {
	struct cert *cert;
	struct dtls_context *ctx;
	struct dtls_endpoint *ep;
	struct queue out;
	unsigned mtu;
	size_t biggest;
};

static void
collect(struct peer *p, const struct path *path)
{
	const uint8_t *d;
	size_t len;

	while (dtls_endpoint_output(p->ep, &d, &len)) {
		unsigned n = p->out.sent++;

		assert_true(len <= (p->mtu ? p->mtu : DTLS_MTU));
		if (len > p->biggest)
			p->biggest = len;
		if (n < 64 && (path->drop >> n & 1))
			continue;
		assert_true(p->out.count < NET_MAX && len <= NET_BYTES);
		memcpy(p->out.data[p->out.count], d, len);
		p->out.len[p->out.count++] = len;
	}
}

/* Delivers what `from` sent to `to`; returns how many datagrams. */
static size_t
deliver(struct peer *from, struct peer *to, const struct path *path, uint64_t now)
{
	struct err e;
	size_t i, n = from->out.count;

	for (i = 0; i < n; i++) {
		size_t k = path->reverse ? n - 1 - i : i;
		(void)dtls_endpoint_input(to->ep, from->out.data[k], from->out.len[k], now, &e);
	}
	from->out.count = 0;
	return n;
}

static uint64_t
earliest(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static void
peer_init(struct peer *p)
{
	struct err e;

	memset(p, 0, sizeof(*p));
	assert_int_equal(cert_new(&p->cert, &e), ERR_OK);
	assert_int_equal(dtls_context_new(p->cert, &p->ctx, &e), ERR_OK);
}

static void
peer_fini(struct peer *p)
{
	dtls_endpoint_free(p->ep);
	dtls_context_free(p->ctx);
	cert_free(p->cert);
}

static int
done(const struct peer *a)
{
	return dtls_endpoint_state(a->ep) != DTLS_STATE_HANDSHAKING;
}

/* Runs the network until both endpoints leave the handshake; the clock
 * moves only to the next deadline, when nothing is in flight. Returns the
 * fake time the handshake took. */
static uint64_t
run(struct peer *srv, struct peer *cli, const struct path *to_srv,
    const struct path *to_cli, uint64_t start, unsigned *timeouts)
{
	uint64_t now = start;
	struct err e;
	int rounds;

	*timeouts = 0;
	fake_ms = now;
	for (rounds = 0; rounds < 1000 && !(done(srv) && done(cli)); rounds++) {
		collect(cli, to_srv);
		collect(srv, to_cli);
		if (deliver(cli, srv, to_srv, now) + deliver(srv, cli, to_cli, now) > 0)
			continue;
		now = earliest(dtls_endpoint_deadline(srv->ep), dtls_endpoint_deadline(cli->ep));
		assert_true(now != 0);
		fake_ms = now;
		(void)dtls_endpoint_timeout(srv->ep, now, &e);
		(void)dtls_endpoint_timeout(cli->ep, now, &e);
		(*timeouts)++;
	}
	/* the last flight may still be on its way */
	collect(cli, to_srv);
	collect(srv, to_cli);
	deliver(cli, srv, to_srv, now);
	deliver(srv, cli, to_cli, now);
	return now - start;
}

static void
start(struct peer *srv, struct peer *cli, unsigned mtu, enum dtls_srtp_profile only,
    uint64_t now)
{
	struct dtls_endpoint_opts so = { DTLS_ROLE_SERVER, cert_fingerprint(cli->cert), mtu,
	    DTLS_SRTP_NONE };
	struct dtls_endpoint_opts co = { DTLS_ROLE_CLIENT, cert_fingerprint(srv->cert), mtu, only };
	struct err e;

	srv->mtu = cli->mtu = mtu;
	fake_ms = now;
	assert_int_equal(dtls_endpoint_new(srv->ctx, &so, now, &srv->ep, &e), ERR_OK);
	assert_int_equal(dtls_endpoint_new(cli->ctx, &co, now, &cli->ep, &e), ERR_OK);
}

static void
assert_same_keys(struct peer *srv, struct peer *cli, enum dtls_srtp_profile want)
{
	struct dtls_srtp_keys ks, kc;
	struct err e;

	assert_int_equal(dtls_endpoint_state(srv->ep), DTLS_STATE_CONNECTED);
	assert_int_equal(dtls_endpoint_state(cli->ep), DTLS_STATE_CONNECTED);
	assert_int_equal(dtls_endpoint_keys(srv->ep, &ks, &e), ERR_OK);
	assert_int_equal(dtls_endpoint_keys(cli->ep, &kc, &e), ERR_OK);
	assert_int_equal(ks.profile, want);
	assert_int_equal(kc.profile, want);
	assert_int_equal(ks.key_len, 16);
	assert_int_equal(ks.salt_len, want == DTLS_SRTP_AEAD_AES_128_GCM ? 12 : 14);
	assert_memory_equal(ks.local_key, kc.remote_key, ks.key_len);
	assert_memory_equal(ks.local_salt, kc.remote_salt, ks.salt_len);
	assert_memory_equal(ks.remote_key, kc.local_key, ks.key_len);
	assert_memory_equal(ks.remote_salt, kc.local_salt, ks.salt_len);
	/* the two directions never share a key */
	assert_memory_not_equal(ks.local_key, ks.remote_key, ks.key_len);
	dtls_srtp_keys_wipe(&ks);
	dtls_srtp_keys_wipe(&kc);
}

/* ---- handshakes over good and bad networks ---- */

struct hrow {
	const char *name;
	unsigned mtu;
	enum dtls_srtp_profile only;	/* what the client offers */
	struct path to_srv, to_cli;
	unsigned min_timeouts;		/* retransmissions it must take */
	enum dtls_srtp_profile want;
};

#define GCM DTLS_SRTP_AEAD_AES_128_GCM
#define CM DTLS_SRTP_AES128_CM_SHA1_80

static const struct hrow hrows[] = {
	{ "clean, both profiles offered: GCM preferred", 0, DTLS_SRTP_NONE, { 0, 0 }, { 0, 0 }, 0, GCM },
	{ "clean, client offers only CM", 0, CM, { 0, 0 }, { 0, 0 }, 0, CM },
	{ "clean, client offers only GCM", 0, GCM, { 0, 0 }, { 0, 0 }, 0, GCM },
	{ "ClientHello lost", 0, DTLS_SRTP_NONE, { 0x1, 0 }, { 0, 0 }, 1, GCM },
	{ "ClientHello lost twice", 0, CM, { 0x3, 0 }, { 0, 0 }, 2, CM },
	{ "server's first flight lost", 0, DTLS_SRTP_NONE, { 0, 0 }, { 0x1, 0 }, 1, GCM },
	{ "client's second flight lost", 0, DTLS_SRTP_NONE, { 0x2, 0 }, { 0, 0 }, 1, GCM },
	{ "server's Finished lost", 0, DTLS_SRTP_NONE, { 0, 0 }, { 0x2, 0 }, 1, GCM },
	{ "server's Finished lost twice", 0, CM, { 0, 0 }, { 0x6, 0 }, 2, CM },
	{ "every other datagram lost", 0, DTLS_SRTP_NONE, { 0x5555, 0 }, { 0xaaaa, 0 }, 1, GCM },
	{ "reordered both ways", 0, DTLS_SRTP_NONE, { 0, 1 }, { 0, 1 }, 0, GCM },
	{ "reordered and lost", 0, CM, { 0x2, 1 }, { 0x1, 1 }, 1, CM },
	{ "tiny MTU", DTLS_MTU_MIN, DTLS_SRTP_NONE, { 0, 0 }, { 0, 0 }, 0, GCM },
	{ "tiny MTU, reordered and lost", DTLS_MTU_MIN, CM, { 0x6, 1 }, { 0x9, 1 }, 1, CM },
};

static void
test_handshakes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hrows) / sizeof(hrows[0]); i++) {
		const struct hrow *r = &hrows[i];
		struct peer srv, cli;
		unsigned timeouts;
		uint64_t took;

		print_message("%s\n", r->name);
		peer_init(&srv);
		peer_init(&cli);
		start(&srv, &cli, r->mtu, r->only, 1000);
		took = run(&srv, &cli, &r->to_srv, &r->to_cli, 1000, &timeouts);
		assert_same_keys(&srv, &cli, r->want);
		assert_true(timeouts >= r->min_timeouts);
		if (r->min_timeouts == 0)
			assert_int_equal(took, 0);
		else
			assert_true(took >= DTLS_RTO_INITIAL_MS && took < DTLS_HANDSHAKE_MS);
		if (r->mtu == DTLS_MTU_MIN)	/* the certificate flight was cut up */
			assert_true(srv.out.sent > 3 && srv.biggest <= DTLS_MTU_MIN);
		assert_int_equal(dtls_endpoint_deadline(srv.ep), 0);
		assert_int_equal(dtls_endpoint_deadline(cli.ep), 0);
		peer_fini(&srv);
		peer_fini(&cli);
	}
}

/* The client's retransmissions of an unanswered ClientHello come at 250,
 * 500, 1000, 2000, then every 4000 ms, and the endpoint fails when the
 * handshake is DTLS_HANDSHAKE_MS old; early timeouts send nothing. */
static void
test_retransmit_schedule(void **state)
{
	struct peer srv, cli;
	const uint8_t *d;
	uint64_t now = 5000, wait = DTLS_RTO_INITIAL_MS, deadline;
	struct err e;
	size_t len;
	int sent = 0;

	(void)state;
	peer_init(&srv);
	peer_init(&cli);
	start(&srv, &cli, 0, DTLS_SRTP_NONE, now);
	while (dtls_endpoint_output(cli.ep, &d, &len))
		;
	for (;;) {
		deadline = dtls_endpoint_deadline(cli.ep);
		if (deadline == 5000 + DTLS_HANDSHAKE_MS)
			break;
		assert_int_equal(deadline, now + wait);
		fake_ms = deadline - 1;
		assert_int_equal(dtls_endpoint_timeout(cli.ep, deadline - 1, &e), ERR_OK);
		assert_int_equal(dtls_endpoint_output(cli.ep, &d, &len), 0);
		now = deadline;
		fake_ms = now;
		assert_int_equal(dtls_endpoint_timeout(cli.ep, now, &e), ERR_OK);
		assert_int_equal(dtls_endpoint_output(cli.ep, &d, &len), 1);
		assert_int_equal(d[0], 22);	/* the ClientHello again */
		while (dtls_endpoint_output(cli.ep, &d, &len))
			;
		sent++;
		wait = wait * 2 > DTLS_RTO_MAX_MS ? DTLS_RTO_MAX_MS : wait * 2;
	}
	assert_true(sent >= 5);
	assert_int_equal(dtls_endpoint_state(cli.ep), DTLS_STATE_HANDSHAKING);
	assert_int_equal(dtls_endpoint_timeout(cli.ep, deadline, &e), ERR_VALIDATION);
	assert_int_equal(dtls_endpoint_state(cli.ep), DTLS_STATE_FAILED);
	assert_int_equal(dtls_endpoint_deadline(cli.ep), 0);
	/* a server that never hears from its peer fails at the same age */
	assert_int_equal(dtls_endpoint_deadline(srv.ep), 5000 + DTLS_HANDSHAKE_MS);
	assert_int_equal(dtls_endpoint_timeout(srv.ep, 5000 + DTLS_HANDSHAKE_MS - 1, &e), ERR_OK);
	assert_int_equal(dtls_endpoint_timeout(srv.ep, 5000 + DTLS_HANDSHAKE_MS, &e), ERR_VALIDATION);
	assert_int_equal(dtls_endpoint_state(srv.ep), DTLS_STATE_FAILED);
	peer_fini(&srv);
	peer_fini(&cli);
}

/* ---- refusals ---- */

/* Either side given a fingerprint other than its peer's refuses the
 * handshake; neither side gets keys. */
static void
test_fingerprint_mismatch(void **state)
{
	static const struct path clean = { 0, 0 };
	struct peer srv, cli, other;
	struct dtls_srtp_keys k;
	unsigned t;
	int side;
	struct err e;

	(void)state;
	for (side = 0; side < 2; side++) {
		struct dtls_endpoint_opts so = { DTLS_ROLE_SERVER, NULL, 0, DTLS_SRTP_NONE };
		struct dtls_endpoint_opts co = { DTLS_ROLE_CLIENT, NULL, 0, DTLS_SRTP_NONE };

		peer_init(&srv);
		peer_init(&cli);
		peer_init(&other);
		so.peer_fingerprint = cert_fingerprint(side == 0 ? other.cert : cli.cert);
		co.peer_fingerprint = cert_fingerprint(side == 1 ? other.cert : srv.cert);
		assert_int_equal(dtls_endpoint_new(srv.ctx, &so, 0, &srv.ep, &e), ERR_OK);
		assert_int_equal(dtls_endpoint_new(cli.ctx, &co, 0, &cli.ep, &e), ERR_OK);
		run(&srv, &cli, &clean, &clean, 0, &t);
		assert_int_equal(dtls_endpoint_state(side == 0 ? srv.ep : cli.ep), DTLS_STATE_FAILED);
		assert_int_not_equal(dtls_endpoint_state(srv.ep), DTLS_STATE_CONNECTED);
		assert_int_not_equal(dtls_endpoint_state(cli.ep), DTLS_STATE_CONNECTED);
		assert_int_equal(dtls_endpoint_keys(srv.ep, &k, &e), ERR_CONFLICT);
		assert_int_equal(dtls_endpoint_keys(cli.ep, &k, &e), ERR_CONFLICT);
		peer_fini(&srv);
		peer_fini(&cli);
		peer_fini(&other);
	}
}

/* The refusal names its reason. */
static void
test_mismatch_message(void **state)
{
	struct peer srv, cli, other;
	const uint8_t *d;
	size_t len;
	struct err e;
	struct dtls_endpoint_opts co = { DTLS_ROLE_CLIENT, NULL, 0, DTLS_SRTP_NONE };
	struct dtls_endpoint_opts so = { DTLS_ROLE_SERVER, NULL, 0, DTLS_SRTP_NONE };
	enum err_code rc = ERR_OK;

	(void)state;
	peer_init(&srv);
	peer_init(&cli);
	peer_init(&other);
	co.peer_fingerprint = cert_fingerprint(other.cert);
	so.peer_fingerprint = cert_fingerprint(cli.cert);
	assert_int_equal(dtls_endpoint_new(srv.ctx, &so, 0, &srv.ep, &e), ERR_OK);
	assert_int_equal(dtls_endpoint_new(cli.ctx, &co, 0, &cli.ep, &e), ERR_OK);
	while (dtls_endpoint_output(cli.ep, &d, &len))
		assert_int_equal(dtls_endpoint_input(srv.ep, d, len, 0, &e), ERR_OK);
	while (rc == ERR_OK && dtls_endpoint_output(srv.ep, &d, &len))
		rc = dtls_endpoint_input(cli.ep, d, len, 0, &e);
	assert_int_equal(rc, ERR_VALIDATION);
	assert_non_null(strstr(e.msg, "fingerprint"));
	assert_int_equal(dtls_endpoint_state(cli.ep), DTLS_STATE_FAILED);
	peer_fini(&srv);
	peer_fini(&cli);
	peer_fini(&other);
}

struct grow {
	const char *name;
	size_t len;
	const uint8_t bytes[40];
};

static const struct grow grows[] = {
	{ "empty datagram", 0, { 0 } },
	{ "one byte", 1, { 22 } },
	{ "STUN binding request", 20, { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 } },
	{ "RTP", 12, { 0x80, 0x60, 0x00, 0x01 } },
	{ "short record header", 12, { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
	{ "TLS version", 13, { 22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
	{ "heartbeat", 13, { 24, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
	{ "length past the end", 14, { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1 } },
	{ "trailing bytes after a record", 15, { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2 } },
	{ "ClientHello of nonsense", 37, { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 24,
	    1, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 12, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef,
	    0xde, 0xad, 0xbe, 0xef } },
};

/* Garbage fails the endpoint that received it; another endpoint of the
 * same context then completes its handshake. */
static void
test_garbage(void **state)
{
	static const struct path clean = { 0, 0 };
	struct peer srv, cli;
	struct dtls_endpoint *victim;
	struct dtls_endpoint_opts so = { DTLS_ROLE_SERVER, NULL, 0, DTLS_SRTP_NONE };
	unsigned t;
	size_t i;
	struct err e;

	(void)state;
	peer_init(&srv);
	peer_init(&cli);
	so.peer_fingerprint = cert_fingerprint(cli.cert);
	for (i = 0; i < sizeof(grows) / sizeof(grows[0]); i++) {
		print_message("%s\n", grows[i].name);
		assert_int_equal(dtls_endpoint_new(srv.ctx, &so, 0, &victim, &e), ERR_OK);
		assert_int_equal(dtls_endpoint_input(victim, grows[i].bytes, grows[i].len, 0, &e),
		    ERR_VALIDATION);
		assert_int_equal(dtls_endpoint_state(victim), DTLS_STATE_FAILED);
		assert_int_equal(dtls_endpoint_deadline(victim), 0);
		/* later input, even good, is ignored */
		assert_int_equal(dtls_endpoint_input(victim, grows[i].bytes, grows[i].len, 0, &e), ERR_OK);
		dtls_endpoint_free(victim);
	}
	start(&srv, &cli, 0, DTLS_SRTP_NONE, 0);
	run(&srv, &cli, &clean, &clean, 0, &t);
	assert_same_keys(&srv, &cli, GCM);
	/* after the handshake, garbage still fails the endpoint */
	assert_int_equal(dtls_endpoint_input(srv.ep, grows[2].bytes, grows[2].len, 0, &e), ERR_VALIDATION);
	assert_int_equal(dtls_endpoint_state(srv.ep), DTLS_STATE_FAILED);
	assert_int_equal(dtls_endpoint_state(cli.ep), DTLS_STATE_CONNECTED);
	peer_fini(&srv);
	peer_fini(&cli);
}

/* A well-framed record of random bytes after the handshake (a forged or
 * corrupted record) is dropped, as DTLS requires, and the endpoint
 * lives on. */
static void
test_forged_record_dropped(void **state)
{
	static const struct path clean = { 0, 0 };
	uint8_t rec[13 + 48] = { 23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 48 };
	struct peer srv, cli;
	unsigned t;
	struct err e;

	(void)state;
	peer_init(&srv);
	peer_init(&cli);
	start(&srv, &cli, 0, DTLS_SRTP_NONE, 0);
	run(&srv, &cli, &clean, &clean, 0, &t);
	memset(rec + 13, 0x5a, 48);
	assert_int_equal(dtls_endpoint_input(srv.ep, rec, sizeof(rec), 0, &e), ERR_OK);
	assert_int_equal(dtls_endpoint_state(srv.ep), DTLS_STATE_CONNECTED);
	peer_fini(&srv);
	peer_fini(&cli);
}

/* close_notify from either side closes the other. */
static void
test_close_notify(void **state)
{
	static const struct path clean = { 0, 0 };
	struct peer srv, cli;
	const uint8_t *d;
	size_t len;
	unsigned t;
	int side;
	struct err e;

	(void)state;
	for (side = 0; side < 2; side++) {
		struct peer *closer = side ? &srv : &cli, *other = side ? &cli : &srv;
		int alerts = 0;

		peer_init(&srv);
		peer_init(&cli);
		start(&srv, &cli, 0, DTLS_SRTP_NONE, 0);
		run(&srv, &cli, &clean, &clean, 0, &t);
		dtls_endpoint_close(closer->ep);
		assert_int_equal(dtls_endpoint_state(closer->ep), DTLS_STATE_CLOSED);
		while (dtls_endpoint_output(closer->ep, &d, &len)) {
			assert_int_equal(d[0], 21);	/* an alert */
			alerts++;
			assert_int_equal(dtls_endpoint_input(other->ep, d, len, 0, &e), ERR_OK);
		}
		assert_int_equal(alerts, 1);
		assert_int_equal(dtls_endpoint_state(other->ep), DTLS_STATE_CLOSED);
		peer_fini(&srv);
		peer_fini(&cli);
	}
}

static void
test_bad_options(void **state)
{
	struct peer p;
	struct dtls_endpoint *ep = NULL;
	struct dtls_endpoint_opts o = { DTLS_ROLE_SERVER, NULL, 0, DTLS_SRTP_NONE };
	struct err e;

	(void)state;
	peer_init(&p);
	o.peer_fingerprint = "sha-1 AB:CD";
	assert_int_equal(dtls_endpoint_new(p.ctx, &o, 0, &ep, &e), ERR_VALIDATION);
	assert_null(ep);
	o.peer_fingerprint = cert_fingerprint(p.cert);
	o.mtu = DTLS_MTU_MIN - 1;
	assert_int_equal(dtls_endpoint_new(p.ctx, &o, 0, &ep, &e), ERR_VALIDATION);
	o.mtu = 0;
	o.only = (enum dtls_srtp_profile)2;
	assert_int_equal(dtls_endpoint_new(p.ctx, &o, 0, &ep, &e), ERR_VALIDATION);
	assert_null(ep);
	dtls_endpoint_free(NULL);
	dtls_context_free(NULL);
	cert_free(NULL);
	peer_fini(&p);
}

/* ---- certificate and fingerprints ---- */

static void
test_cert(void **state)
{
	struct cert *a = NULL, *b = NULL;
	uint8_t digest[CERT_DIGEST_LEN], parsed[CERT_DIGEST_LEN];
	char text[CERT_FINGERPRINT_LEN + 1];
	struct err e;

	(void)state;
	assert_int_equal(cert_new(&a, &e), ERR_OK);
	assert_int_equal(cert_new(&b, &e), ERR_OK);
	assert_int_equal(strlen(cert_fingerprint(a)), CERT_FINGERPRINT_LEN);
	assert_int_equal(strncmp(cert_fingerprint(a), "sha-256 ", 8), 0);
	assert_string_not_equal(cert_fingerprint(a), cert_fingerprint(b));
	assert_int_equal(cert_digest(cert_x509(a), digest, &e), ERR_OK);
	cert_fingerprint_format(digest, text);
	assert_string_equal(text, cert_fingerprint(a));
	assert_int_equal(cert_fingerprint_parse(cert_fingerprint(a), parsed, &e), ERR_OK);
	assert_memory_equal(parsed, digest, CERT_DIGEST_LEN);
	assert_non_null(cert_key(a));
	cert_free(a);
	cert_free(b);
}

#define FP_HEX "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:" \
	"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

struct frow {
	const char *text;
	int ok;
};

static const struct frow frows[] = {
	{ "sha-256 " FP_HEX, 1 },
	{ "SHA-256 " FP_HEX, 1 },
	{ "sha-256 ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
	  "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89", 1 },
	{ "sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01", 0 },
	{ "sha-512 " FP_HEX ":" FP_HEX, 0 },
	{ "sha-256  " FP_HEX, 0 },
	{ "sha-256 " FP_HEX ":00", 0 },
	{ "sha-256 " FP_HEX ":", 0 },
	{ "sha-256", 0 },
	{ "", 0 },
	{ "sha-256 AB-CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
	  "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", 0 },
	{ "sha-256 AG:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
	  "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", 0 },
	{ "sha-256 ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789:::::::::::::::", 0 },
	{ NULL, 0 },
};

static void
test_fingerprint_parse(void **state)
{
	uint8_t out[CERT_DIGEST_LEN];
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(frows) / sizeof(frows[0]); i++) {
		enum err_code rc = cert_fingerprint_parse(frows[i].text, out, &e);

		if ((rc == ERR_OK) != frows[i].ok)
			fail_msg("row %zu (%s): got %d", i, frows[i].text ? frows[i].text : "NULL", rc);
		if (rc == ERR_OK) {
			assert_int_equal(out[0], 0xab);
			assert_int_equal(out[31], 0x89);
		} else {
			assert_int_equal(rc, ERR_VALIDATION);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert),
		cmocka_unit_test(test_fingerprint_parse),
		cmocka_unit_test(test_handshakes),
		cmocka_unit_test(test_retransmit_schedule),
		cmocka_unit_test(test_fingerprint_mismatch),
		cmocka_unit_test(test_mismatch_message),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_forged_record_dropped),
		cmocka_unit_test(test_close_notify),
		cmocka_unit_test(test_bad_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
