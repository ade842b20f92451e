#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int km_err_set(struct km_err *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

void km_err_prefix(struct km_err *err, const char *prefix)
{
    if (err == NULL || prefix == NULL) {
        return;
    }
    char tmp[KM_ERR_MSG_MAX];
    memcpy(tmp, err->msg, sizeof(tmp));
    size_t plen = strlen(prefix);
    if (plen + 2 >= sizeof(err->msg)) {
        plen = sizeof(err->msg) - 3;
    }
    memcpy(err->msg, prefix, plen);
    memcpy(err->msg + plen, ": ", 2);
    size_t room = sizeof(err->msg) - plen - 3;
    size_t tlen = strnlen(tmp, room);
    memcpy(err->msg + plen + 2, tmp, tlen);
    err->msg[plen + 2 + tlen] = '\0';
}

const char *km_strerror(int code)
{
    switch (code) {
    case KM_OK:
        return "ok";
    case KM_RETRY:
        return "retry";
    case KM_EINPUT:
        return "bad input";
    case KM_ENOMEM:
        return "no memory";
    default:
        return "error";
    }
}
