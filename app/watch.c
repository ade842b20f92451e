#include "app/watch.h"

#include "app/setup.h"
#include "common/alloc.h"

#include <stdio.h>
#include <stdlib.h>

int km_watch_load(const struct km_config *cfg, struct km_watch **out)
{
    struct km_watch *w = km_calloc(1, sizeof(*w));
    int rc = km_app_load_tags(cfg, &w->tags);
    if (rc == KM_OK) {
        char *lex = km_config_path(cfg, km_section_get(cfg->global, "lexicon"));
        char *routing = km_config_path(cfg, km_section_get(cfg->global, "routing"));
        struct km_err err = {{0}};
        rc = km_triage_load(lex, routing, stderr, &w->triage, &err);
        if (rc != KM_OK) {
            fprintf(stderr, "%s\n", err.msg);
        }
        free(lex);
        free(routing);
    }
    if (rc != KM_OK) {
        km_watch_free(w);
        w = NULL;
    }
    *out = w;
    return rc;
}

void km_watch_free(void *obj)
{
    struct km_watch *w = obj;
    if (w == NULL) {
        return;
    }
    km_tags_free(w->tags);
    km_triage_free(w->triage);
    free(w);
}
