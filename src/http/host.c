/* Loopback Host and Origin values: the parsing behind protected mode's
 * DNS-rebinding check. Strict by design: anything unusual is foreign.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "http/host.h"

/* Longest host text worth parsing: a bracketed IPv6 literal with a port. */
#define HOST_TEXT_MAX 64

/* 1 if s is empty or ":" and one to five digits of a port up to 65535. */
static int
port_ok(const char *s)
{
	unsigned long v = 0;
	size_t n;

	if (*s == '\0')
		return 1;
	if (*s++ != ':')
		return 0;
	n = strspn(s, "0123456789");
	if (n == 0 || n > 5 || s[n] != '\0')
		return 0;
	for (; *s != '\0'; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	return v <= 65535;
}

int
host_is_loopback(const char *host)
{
	char name[HOST_TEXT_MAX];
	struct in6_addr a6;
	struct in_addr a4;
	const char *rest;
	size_t n;

	if (host == NULL)
		return 0;
	if (host[0] == '[') {
		if ((rest = strchr(host, ']')) == NULL || (n = (size_t)(rest - host - 1)) >= sizeof(name))
			return 0;
		memcpy(name, host + 1, n);
		name[n] = '\0';
		return inet_pton(AF_INET6, name, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6) &&
		    port_ok(rest + 1);
	}
	n = strcspn(host, ":");
	if (n >= sizeof(name) || !port_ok(host + n))
		return 0;
	memcpy(name, host, n);
	name[n] = '\0';
	if (strcasecmp(name, "localhost") == 0)
		return 1;
	return inet_pton(AF_INET, name, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

int
host_origin_is_loopback(const char *origin)
{
	static const char *const schemes[] = { "http://", "https://" };
	size_t i;

	if (origin == NULL)
		return 0;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(origin, schemes[i], strlen(schemes[i])) == 0)
			return host_is_loopback(origin + strlen(schemes[i]));
	return 0;
}
