/* POST /api/watch/validate and /api/watch/reload (see api.h): load the tags list, the
 * lexicon and routing.conf from the configured paths as app/watch.c does, collecting every
 * problem as "FILE:LINE: message"; reload then swaps the shared watch as komekd's SIGHUP
 * does, and keeps the one in use when anything is invalid. */
#include "desk/api.h"

#include "app/shared.h"
#include "app/watch.h"
#include "common/alloc.h"
#include "common/log.h"
#include "common/utf8.h"
#include "db/ticket.h"
#include "parser/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Loads everything cfg names into *out (NULL when invalid) and appends each problem to
 * errors as JSON strings (comma-separated). Returns how many problems there were. */
static size_t wa_load(const struct km_config *cfg, struct km_watch **out, struct km_buf *errors)
{
    char *report = NULL;
    size_t report_len = 0, n = 0;
    struct km_err err = {{0}};
    struct km_watch *w = km_calloc(1, sizeof(*w));
    char *tags = km_config_path(cfg, km_section_get(cfg->global, "tags"));
    char *lex = km_config_path(cfg, km_section_get(cfg->global, "lexicon"));
    char *routing = km_config_path(cfg, km_section_get(cfg->global, "routing"));
    FILE *f = open_memstream(&report, &report_len);
    if (f == NULL) {
        KM_LOG_ERROR("open_memstream failed: out of memory");
        abort();
    }
    int rc = km_tags_load(tags, f, &w->tags, &err);
    if (rc == KM_ERR) {
        fprintf(f, "%s\n", err.msg); /* cannot read: not written to the report */
    }
    int rc2 = km_triage_load(lex, routing, f, &w->triage, &err);
    if (rc2 != KM_OK && ftell(f) == 0) {
        fprintf(f, "%s\n", err.msg);
    }
    fclose(f);
    for (char *line = report, *next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        char *clean = km_utf8_clean(line, strlen(line), NULL);
        km_buf_puts(errors, n++ > 0 ? "," : "");
        km_json_escape(errors, clean);
        free(clean);
    }
    if (rc != KM_OK || rc2 != KM_OK) {
        n += n == 0; /* a failure always counts, even if it left no line */
        km_watch_free(w);
        w = NULL;
    }
    *out = w;
    free(report);
    free(tags);
    free(lex);
    free(routing);
    return n;
}

/* Answers {"ok", "errors": [...]} plus extra (a JSON fragment starting with ',' or ""). */
static void wa_answer(struct km_desk_resp *resp, bool ok, const struct km_buf *errors,
                      const char *extra)
{
    km_buf_reset(&resp->body);
    km_buf_printf(&resp->body, "{\"ok\":%s,\"errors\":[%s]%s}", ok ? "true" : "false",
                  errors->data != NULL ? errors->data : "", extra);
}

void km_desk_api_watch_validate(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_watch *w = NULL;
    struct km_buf errors = KM_BUF_INIT;
    size_t n = wa_load(req->cfg, &w, &errors);
    wa_answer(resp, n == 0 && w != NULL, &errors, "");
    km_watch_free(w);
    km_buf_free(&errors);
}

void km_desk_api_watch_reload(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_watch *w = NULL;
    struct km_buf errors = KM_BUF_INIT;
    char extra[96];
    if (req->watch == NULL) {
        km_desk_resp_error(resp, 503, "this process has no reloadable watch");
        return;
    }
    size_t n = wa_load(req->cfg, &w, &errors);
    if (n > 0 || w == NULL) {
        KM_SLOG_WARN("desk", "%s: reload refused, %zu problem(s); keeping the watch in use",
                     km_desk_api_actor(req), n);
        wa_answer(resp, false, &errors, ",\"reloaded\":false");
        km_watch_free(w);
        km_buf_free(&errors);
        return;
    }
    struct km_err err = {{0}};
    size_t tags = km_tags_count(w->tags);
    if (w->triage != NULL &&
        km_ticket_sync_agencies(req->db, km_triage_routing(w->triage), NULL, &err) != KM_OK) {
        KM_SLOG_WARN("desk", "agencies not synchronised after reload: %s", err.msg);
    }
    km_shared_replace(req->watch, w); /* readers of the old one finish with it */
    KM_SLOG_INFO("desk", "%s reloaded the watch: %zu watched tags", km_desk_api_actor(req), tags);
    snprintf(extra, sizeof(extra), ",\"reloaded\":true,\"tags\":%zu", tags);
    wa_answer(resp, true, &errors, extra);
    km_buf_free(&errors);
}
