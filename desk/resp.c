/* Response helpers shared by the desk's server and API handlers (see route.h). */
#include "desk/route.h"

#include "common/log.h"
#include "common/utf8.h"
#include "parser/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void km_desk_resp_error(struct km_desk_resp *resp, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    resp->status = status;
    resp->content_type = NULL;
    km_buf_reset(&resp->body);
    km_buf_puts(&resp->body, "{\"error\":");
    char *clean = km_utf8_clean(msg, strlen(msg), NULL);
    km_json_escape(&resp->body, clean);
    free(clean);
    km_buf_puts(&resp->body, "}");
}

void km_desk_resp_from_err(struct km_desk_resp *resp, int rc, const struct km_err *err)
{
    if (rc == KM_EINPUT) {
        km_desk_resp_error(resp, 422, "%s", err->msg);
    } else if (rc == KM_RETRY) {
        km_desk_resp_error(resp, 503, "a dependency is unavailable, try again: %s", err->msg);
    } else {
        KM_SLOG_ERROR("desk", "request failed: %s", err->msg);
        km_desk_resp_error(resp, 500, "internal error (logged)");
    }
}
