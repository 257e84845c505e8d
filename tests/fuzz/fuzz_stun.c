/* Fuzz target: STUN and ICE-TCP framing. Input: one byte choosing the
 * split of the rest, then bytes that are parsed as one STUN message,
 * checked as a Binding request, answered (success or the error the check
 * names) and the answer parsed back; the same bytes are also fed to the
 * RFC 6544 reader in two pieces and each frame parsed as STUN. */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "media/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UFRAG "srvU"
#define PWD "serverpassword0123456789"

static void
one_message(const uint8_t *p, size_t n)
{
	uint8_t out[LIMIT_STUN_MESSAGE_BYTES];
	struct sockaddr_in6 from;
	struct stun_binding b;
	struct stun_msg m, back;
	struct err e;
	size_t len;

	if (stun_parse(p, n, &m, &e) != ERR_OK)
		return;
	(void)stun_integrity_ok(&m, PWD, strlen(PWD));
	memset(&from, 0, sizeof(from));
	from.sin6_family = AF_INET6;
	from.sin6_port = htons(5000);
	if (stun_binding_check(&m, UFRAG, PWD, &b, &e) == ERR_OK)
		len = stun_write_binding_success(out, sizeof(out), &m, (struct sockaddr *)&from, PWD);
	else if (b.answer != 0)
		len = stun_write_binding_error(out, sizeof(out), &m, b.answer, PWD);
	else
		return;
	if (len == 0 || stun_parse(out, len, &back, &e) != ERR_OK ||
	    !stun_integrity_ok(&back, PWD, strlen(PWD)))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct stun_tcp_reader r;
	const uint8_t *frame;
	size_t cut, used, len, off, end;

	if (size < 1)
		return 0;
	cut = data[0];
	data++;
	size--;
	one_message(data, size);
	stun_tcp_reader_init(&r);
	if (cut > size)
		cut = size;
	for (off = 0, end = cut; off < size; end = size) {
		while (off < end) {
			used = stun_tcp_read(&r, data + off, end - off, &frame, &len);
			if (used == (size_t)-1)
				return 0;
			if (used == 0 || used > end - off)
				__builtin_trap();
			off += used;
			if (frame != NULL)
				one_message(frame, len);
		}
	}
	return 0;
}
