/* The supervisor's endpoints: overview, agency and problem ratings, and the view of the
 * watched tags, lexicon and routing (see api.h; validate and reload are in api_watch.c). */
#include "desk/api.h"

#include "app/shared.h"
#include "app/watch.h"
#include "common/alloc.h"
#include "common/utf8.h"
#include "db/desk_views.h"
#include "db/report.h"
#include "parser/json.h"
#include "triage/lexicon.h"
#include "triage/routing.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest line of the tags list read for the view (a tag is at most KM_TAG_MAX_BYTES). */
#define SU_LINE_MAX 1024

void km_desk_api_overview(struct km_desk_req *req, struct km_desk_resp *resp)
{
    char *json = NULL;
    struct km_err err = {{0}};
    int rc = km_desk_overview_json(req->db, KM_REPORT_ZONE, &json, &err);
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    } else {
        km_buf_reset(&resp->body);
        km_buf_puts(&resp->body, json);
    }
    free(json);
}

/* The from/to query arguments as timestamptz literals; false (and 400) if malformed. */
static bool su_range(struct km_desk_req *req, struct km_desk_resp *resp,
                     char from[KM_REPORT_TIME_MAX], char to[KM_REPORT_TIME_MAX], bool *has_from,
                     bool *has_to)
{
    struct km_err err = {{0}};
    const char *f = km_desk_req_query(req, "from"), *t = km_desk_req_query(req, "to");
    *has_from = f != NULL && f[0] != '\0';
    *has_to = t != NULL && t[0] != '\0';
    if ((*has_from && km_report_time(f, false, from, &err) != KM_OK) ||
        (*has_to && km_report_time(t, true, to, &err) != KM_OK)) {
        km_desk_resp_error(resp, 400, "%s", err.msg);
        return false;
    }
    return true;
}

void km_desk_api_report_agencies(struct km_desk_req *req, struct km_desk_resp *resp)
{
    char from[KM_REPORT_TIME_MAX], to[KM_REPORT_TIME_MAX];
    bool hf = false, ht = false;
    struct km_agency_report *r = NULL;
    struct km_err err = {{0}};
    if (!su_range(req, resp, from, to, &hf, &ht)) {
        return;
    }
    int rc = km_report_agencies(req->db, hf ? from : NULL, ht ? to : NULL, &r, &err);
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    } else {
        km_buf_reset(&resp->body);
        km_agency_report_json(r, &resp->body);
    }
    km_agency_report_free(r);
}

void km_desk_api_report_problems(struct km_desk_req *req, struct km_desk_resp *resp)
{
    char from[KM_REPORT_TIME_MAX], to[KM_REPORT_TIME_MAX];
    bool hf = false, ht = false;
    struct km_problem_report *r = NULL;
    struct km_err err = {{0}};
    if (!su_range(req, resp, from, to, &hf, &ht)) {
        return;
    }
    const char *limit = km_desk_req_query(req, "limit");
    struct km_problem_query q = {.from = hf ? from : NULL,
                                 .to = ht ? to : NULL,
                                 .category = km_desk_req_query(req, "category"),
                                 .limit = limit != NULL ? strtoul(limit, NULL, 10) : 0};
    int rc = km_report_problems(req->db, &q, &r, &err);
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    } else {
        km_buf_reset(&resp->body);
        km_problem_report_json(r, &resp->body);
    }
    km_problem_report_free(r);
}

/* ---- the watch ----------------------------------------------------------------------- */

/* A path of [komek] key resolved against the config's folder (malloc'd, or NULL). */
static char *su_path(const struct km_desk_req *req, const char *key)
{
    return km_config_path(req->cfg, km_section_get(req->cfg->global, key));
}

/* The tags of the tags list as written (comments and blank lines left out). */
static void su_tags_json(const char *path, struct km_buf *b)
{
    FILE *f = path != NULL ? fopen(path, "r") : NULL;
    char line[SU_LINE_MAX];
    bool first = true;
    km_buf_putc(b, '[');
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "#\r\n")] = '\0';
        char *s = line + strspn(line, " \t");
        size_t len = strlen(s);
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
            s[--len] = '\0';
        }
        if (len > 0) {
            km_buf_puts(b, first ? "" : ",");
            char *clean = km_utf8_clean(s, len, NULL);
            km_json_escape(b, clean);
            free(clean);
            first = false;
        }
    }
    km_buf_putc(b, ']');
    if (f != NULL) {
        fclose(f);
    }
}

static int su_lex_file(const struct dirent *d)
{
    size_t len = strlen(d->d_name);
    return d->d_name[0] != '.' && len > 4 && strcmp(d->d_name + len - 4, ".lex") == 0;
}

/* The ".lex" files of dir, in name order. */
static void su_lex_files_json(const char *dir, struct km_buf *b)
{
    struct dirent **names = NULL;
    int n = dir != NULL ? scandir(dir, &names, su_lex_file, alphasort) : -1;
    km_buf_putc(b, '[');
    for (int i = 0; i < n; i++) {
        km_buf_puts(b, i > 0 ? "," : "");
        km_json_escape(b, names[i]->d_name);
        free(names[i]);
    }
    free(names);
    km_buf_putc(b, ']');
}

/* {"file", "zone", "agencies": {AGENCY: [categories]}, "sla_s": {P1..P4}}. */
static void su_routing_json(const struct km_routing *r, const char *path, struct km_buf *b)
{
    struct km_routing_agency a[KM_CAT_COUNT];
    size_t n = km_routing_agencies(r, a, KM_CAT_COUNT);
    km_buf_puts(b, "{\"file\":");
    km_json_escape(b, path);
    km_buf_puts(b, ",\"zone\":");
    km_json_escape(b, km_routing_zone(r));
    km_buf_puts(b, ",\"agencies\":{");
    for (size_t i = 0; i < n; i++) {
        km_buf_puts(b, i > 0 ? "," : "");
        km_json_escape(b, a[i].name);
        km_buf_puts(b, ":[");
        bool first = true;
        for (int c = 0; c < KM_CAT_COUNT; c++) {
            if (a[i].categories & ((uint64_t)1 << c)) {
                km_buf_puts(b, first ? "" : ",");
                km_json_escape(b, km_lex_class_name(c));
                first = false;
            }
        }
        km_buf_putc(b, ']');
    }
    km_buf_puts(b, "},\"sla_s\":{");
    for (int p = 1; p <= 4; p++) {
        km_buf_printf(b, "%s\"P%d\":%lld", p > 1 ? "," : "", p,
                      (long long)(km_routing_sla_ms(r, p) / 1000));
    }
    km_buf_puts(b, "}}");
}

void km_desk_api_watch(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_shared_ref *ref = NULL;
    char *tags = su_path(req, "tags"), *lex = su_path(req, "lexicon");
    char *routing = su_path(req, "routing");
    struct km_watch *w = req->watch != NULL ? km_shared_acquire(req->watch, &ref) : NULL;
    struct km_buf *b = &resp->body;
    km_buf_reset(b);
    km_buf_puts(b, "{\"tags\":");
    su_tags_json(tags, b);
    km_buf_printf(b, ",\"tags_watched\":%zu,\"lexicon\":{\"dir\":",
                  w != NULL && w->tags != NULL ? km_tags_count(w->tags) : 0);
    km_json_escape(b, lex);
    km_buf_puts(b, ",\"files\":");
    su_lex_files_json(lex, b);
    km_buf_printf(b, ",\"entries\":%zu},\"routing\":",
                  w != NULL && w->triage != NULL ? km_lexicon_count(km_triage_lexicon(w->triage))
                                                 : 0);
    if (w != NULL && w->triage != NULL) {
        su_routing_json(km_triage_routing(w->triage), routing, b);
    } else {
        km_buf_puts(b, "null");
    }
    km_buf_putc(b, '}');
    if (ref != NULL) {
        km_shared_release(req->watch, ref);
    }
    free(tags);
    free(lex);
    free(routing);
}
