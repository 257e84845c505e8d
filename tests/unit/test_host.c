/* Loopback Host and Origin values (protected mode's DNS-rebinding check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/host.h"

static const struct {
	const char *host;
	int loopback;
} hosts[] = {
	{ "localhost", 1 }, { "localhost:4590", 1 }, { "LocalHost:1", 1 },
	{ "127.0.0.1", 1 }, { "127.0.0.1:65535", 1 }, { "127.255.1.2:80", 1 },
	{ "[::1]", 1 }, { "[::1]:4590", 1 }, { "[0:0:0:0:0:0:0:1]:80", 1 },
	{ "evil.example", 0 }, { "evil.example:4590", 0 }, { "127.0.0.1.nip.io", 0 },
	{ "localhost.evil.example", 0 }, { "localhost:", 0 }, { "localhost:65536", 0 },
	{ "localhost:123456", 0 }, { "localhost:80x", 0 }, { "localhost:80:80", 0 },
	{ "128.0.0.1", 0 }, { "127.0.0", 0 }, { "127.0.0.256", 0 }, { "[::2]", 0 },
	{ "[::1", 0 }, { "[::1]x", 0 }, { "::1", 0 }, { "", 0 }, { NULL, 0 },
	{ "[::ffff:8.8.8.8]", 0 },
};

static const struct {
	const char *origin;
	int loopback;
} origins[] = {
	{ "http://localhost", 1 }, { "https://localhost:3000", 1 }, { "HTTP://127.0.0.1:8080", 1 },
	{ "http://[::1]:8080", 1 }, { "http://evil.example", 0 }, { "null", 0 },
	{ "http://localhost/", 0 }, { "file://localhost", 0 }, { "localhost", 0 },
	{ "http://", 0 }, { NULL, 0 },
};

static void
test_hosts(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (host_is_loopback(hosts[i].host) != hosts[i].loopback)
			fail_msg("host '%s': expected %d", hosts[i].host ? hosts[i].host : "(null)",
			    hosts[i].loopback);
}

static void
test_origins(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(origins) / sizeof(origins[0]); i++)
		if (host_origin_is_loopback(origins[i].origin) != origins[i].loopback)
			fail_msg("origin '%s': expected %d",
			    origins[i].origin ? origins[i].origin : "(null)", origins[i].loopback);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_origins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
