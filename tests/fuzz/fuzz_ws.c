/* Fuzz target: the WebSocket frame parser. Input: one byte choosing the
 * role and the message cap, two bytes choosing where to split the rest,
 * then the stream. Each event's data is read whole, and pings are answered
 * through the writer, so both sides of the module run. */
#include <stdint.h>
#include <string.h>

#include "net/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds n bytes; returns 0 once the parser reported an error. */
static int
feed(struct ws_parser *p, const uint8_t *in, size_t n)
{
	unsigned char out[WS_HEADER_MAX + WS_CONTROL_MAX];
	struct ws_event ev;
	unsigned sum = 0;
	size_t used, i;

	while (n > 0) {
		used = ws_parse(p, in, n, &ev);
		if (used == 0 || used > n)
			__builtin_trap();
		in += used;
		n -= used;
		for (i = 0; i < ev.len; i++)
			sum += ev.data[i];
		if (ev.kind == WS_EV_PING &&
		    ws_frame_write(out, sizeof(out), WS_OP_PONG, 1, ev.data, ev.len, NULL) == 0)
			__builtin_trap();
		if (ev.kind == WS_EV_CLOSE &&
		    ws_close_write(out, sizeof(out), WS_CLOSE_NORMAL, (const char *)ev.data,
		    ev.len, NULL) == 0)
			__builtin_trap();
		if (ev.kind == WS_EV_ERROR)
			return 0;
	}
	return (int)(sum | 1u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 0, 1, 16, 300 };
	struct ws_parser p;
	size_t cut;

	if (size < 3)
		return 0;
	ws_parser_init(&p, data[0] & 1 ? WS_CLIENT : WS_SERVER, caps[(data[0] >> 1) & 3]);
	cut = (size_t)(data[1] | data[2] << 8);
	data += 3;
	size -= 3;
	if (cut > size)
		cut = size;
	if (feed(&p, data, cut) != 0)
		(void)feed(&p, data + cut, size - cut);
	ws_parser_free(&p);
	return 0;
}
