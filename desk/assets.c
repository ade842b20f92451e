#include "desk/assets.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest asset name. */
#define ASSET_NAME_MAX 128

const struct km_desk_asset *km_desk_asset_find(const char *name)
{
    for (const struct km_desk_asset *a = km_desk_assets; a->name != NULL; a++) {
        if (strcmp(a->name, name) == 0) {
            return a;
        }
    }
    return NULL;
}

bool km_desk_asset_name_ok(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n <= ASSET_NAME_MAX && name[0] != '.' &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

const char *km_desk_asset_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(dot, types[i].ext) == 0) {
            return types[i].type;
        }
    }
    return "application/octet-stream";
}

int km_desk_asset_read(const char *dir, const char *name, size_t max, struct km_buf *out)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof(path), "%s%s%s", dir != NULL ? dir : "",
                         dir != NULL ? "/" : "", name) >= sizeof(path)) {
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = -1;
    } else if ((size_t)st.st_size > max) {
        rc = -2;
    }
    char chunk[8192];
    ssize_t n = 0;
    while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) > 0) {
        km_buf_append(out, chunk, (size_t)n);
    }
    if (n < 0) {
        rc = -1;
    }
    close(fd);
    return rc;
}
