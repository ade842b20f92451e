/* The desk's web page and its assets (the files of desk/web/), compiled into the binary by
 * scripts/embed-assets.sh so that an installed komekd needs no data folder. [komek]
 * desk_web_dir serves the files from a folder instead (development). */
#ifndef KM_DESK_ASSETS_H
#define KM_DESK_ASSETS_H

#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>

struct km_desk_asset {
    const char *name; /* file name in desk/web/, e.g. "app.js" */
    const unsigned char *data;
    size_t len;
};

/* Ordered by name; terminated by an entry with name == NULL (generated). */
extern const struct km_desk_asset km_desk_assets[];

/* The embedded asset called name, or NULL. */
const struct km_desk_asset *km_desk_asset_find(const char *name);

/* True if name can be an asset: 1 to 128 characters of A-Z a-z 0-9 '.' '_' '-', not
 * starting with '.' (no paths, no hidden files). */
bool km_desk_asset_name_ok(const char *name);

/* Content-Type for a file name by its extension (html, js, css, svg, png, ico, json, txt,
 * woff2; anything else application/octet-stream). Static string. */
const char *km_desk_asset_type(const char *name);

/* Reads dir/name (name alone when dir is NULL) into out (appended), at most max bytes. Returns 0,
 * -1 if it does not exist or is not a regular file, -2 if it is larger than max. */
int km_desk_asset_read(const char *dir, const char *name, size_t max, struct km_buf *out);

#endif
