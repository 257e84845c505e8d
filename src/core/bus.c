/* The in-process event bus (see bus.h): a fixed table of subscribers made
 * before serving and only read afterwards, this node's id, and the
 * optional remote transport. The wire form (bus_encode, bus_decode) lives
 * in bus_wire.c with the transport. */
#include <stdio.h>
#include <string.h>

#include "core/bus.h"
#include "core/log.h"

#define BUS_SUBSCRIBERS 8	/* the runtime, and room for a few more */

static struct {
	struct {
		bus_fn fn;
		void *arg;
	} subs[BUS_SUBSCRIBERS];
	int n;
	char node[BUS_NODE_CAP];
	const struct bus_remote *remote;
} bus;

enum err_code
bus_subscribe(bus_fn fn, void *arg, struct err *e)
{
	if (bus.n >= BUS_SUBSCRIBERS)
		return err_set(e, ERR_INTERNAL, "the event bus has %d subscribers already",
		    BUS_SUBSCRIBERS);
	bus.subs[bus.n].fn = fn;
	bus.subs[bus.n].arg = arg;
	bus.n++;
	return ERR_OK;
}

void
bus_configure(const char *node, const struct bus_remote *remote)
{
	snprintf(bus.node, sizeof(bus.node), "%s", node ? node : "");
	bus.remote = remote;
}

static void
deliver(const struct bus_event *ev)
{
	int i;

	for (i = 0; i < bus.n; i++)
		bus.subs[i].fn(bus.subs[i].arg, ev);
}

void
bus_publish(const struct bus_event *ev)
{
	struct bus_event mine = *ev;
	struct err e = { ERR_OK, "" };

	snprintf(mine.node, sizeof(mine.node), "%s", bus.node);
	deliver(&mine);
	if (bus.remote != NULL && bus.remote->send(bus.remote->ctx, &mine, &e) != ERR_OK)
		log_msg(LOG_WARN, "event bus: not sent to the other nodes: %s", e.msg);
}

void
bus_deliver_remote(const struct bus_event *ev)
{
	if (strcmp(ev->node, bus.node) == 0)
		return;		/* our own, already delivered by bus_publish */
	deliver(ev);
}
