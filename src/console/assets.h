/* The web console's assets, embedded in the binary.
 *
 * The table is generated at build time by tools/embed_assets.py from the
 * esbuild bundle of web/console/ (build/console/assets.c); it is read-only
 * data, safe from every thread. Nothing here knows HTTP.
 */
#ifndef RTSTAGE_CONSOLE_ASSETS_H
#define RTSTAGE_CONSOLE_ASSETS_H

#include <stddef.h>

struct console_asset {
	const char *path;		/* under /console/: "index.html", "app.js" */
	const char *content_type;	/* "text/javascript; charset=utf-8" */
	const char *etag;		/* strong, quoted: "\"8f3c...\"" */
	const unsigned char *bytes;	/* len bytes (and a NUL not counted) */
	size_t len;
};

extern const struct console_asset console_assets[];
extern const unsigned console_asset_count;

#endif
