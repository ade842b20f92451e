#include "desk/match.h"

#include <string.h>

static int match_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool km_desk_percent_decode(const char *s, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= len) {
                return false;
            }
            int hi = match_hex(s[i + 1]);
            int lo = match_hex(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return false;
            }
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (o + 1 >= size) {
            return false;
        }
        out[o++] = c;
    }
    if (o >= size) {
        return false;
    }
    out[o] = '\0';
    return true;
}

bool km_desk_pattern_match(const char *pattern, const char *path, struct km_desk_match *m)
{
    const char *p = pattern, *u = path;
    size_t used = 0, n = 0;
    while (*p != '\0' && *u != '\0') {
        if (*p != '/' || *u != '/') {
            return false;
        }
        p++;
        u++;
        size_t plen = strcspn(p, "/"), ulen = strcspn(u, "/");
        if (p[0] == ':') {
            if (ulen == 0 || n == KM_DESK_MAX_PARAMS ||
                !km_desk_percent_decode(u, ulen, m->buf + used, sizeof(m->buf) - used)) {
                return false;
            }
            m->params[n++] = m->buf + used;
            used += strlen(m->buf + used) + 1;
        } else if (plen != ulen || strncmp(p, u, plen) != 0) {
            return false;
        }
        p += plen;
        u += ulen;
    }
    if (*p != '\0' || *u != '\0') {
        return false;
    }
    m->n_params = n;
    return true;
}

const struct km_desk_route *km_desk_route_find(const struct km_desk_route *const *tables,
                                               const char *method, const char *path,
                                               struct km_desk_match *m)
{
    m->path_known = false;
    m->n_params = 0;
    for (size_t t = 0; tables[t] != NULL; t++) {
        for (const struct km_desk_route *r = tables[t]; r->method != NULL; r++) {
            if (!km_desk_pattern_match(r->pattern, path, m)) {
                continue;
            }
            if (strcmp(r->method, method) == 0) {
                return r;
            }
            m->path_known = true;
        }
    }
    m->n_params = 0;
    return NULL;
}
