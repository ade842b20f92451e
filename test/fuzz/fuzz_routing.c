/* Fuzz target: the routing.conf loader (triage/routing.c), then every lookup over every
 * category, priority, hour and month. */
#include "triage/lexicon.h"
#include "triage/routing.h"
#include "test/fuzz/fuzz.h"

static void lookups(const struct km_routing *r)
{
    for (int c = -1; c < KM_CAT_COUNT; c++) {
        if (c >= 0) {
            /* Values are not checked for UTF-8 yet (reported to the lead): only read them. */
            const char *agency = km_routing_agency(r, c);
            fz_check(agency == NULL || agency[0] != '\0', "empty agency");
            fz_check(km_routing_emergency(r, c) != NULL, "NULL emergency");
            int level = km_routing_auto_level(r, c);
            fz_check(level >= 0 && level <= 4, "auto level %d", level);
        }
        for (int p = 0; p <= 5; p++) {
            fz_check(km_routing_reaction_ms(r, c, p) > 0, "reaction of %d/P%d", c, p);
            fz_check(km_routing_resolve_ms(r, c, p) > 0, "resolve of %d/P%d", c, p);
            (void)km_routing_auto_ticket(r, c, p);
        }
    }
    for (int p = 0; p <= 5; p++) {
        (void)km_routing_sla_ms(r, p);
    }
    for (int h = 0; h < 24; h++) {
        (void)km_routing_is_night(r, h);
    }
    for (int m = 1; m <= 12; m++) {
        (void)km_routing_is_winter(r, m);
    }
    struct km_routing_agency agencies[KM_CAT_COUNT];
    size_t n = km_routing_agencies(r, agencies, KM_CAT_COUNT);
    fz_check(n <= KM_CAT_COUNT, "%zu agencies", n);
    for (size_t i = 0; i < n; i++) {
        fz_check(agencies[i].name != NULL && agencies[i].categories != 0, "agency %zu", i);
    }
    fz_check(km_routing_zone(r) != NULL, "NULL zone");
    int nf = 0, nt = 0, wf = 0, wt = 0;
    km_routing_ranges(r, &nf, &nt, &wf, &wt);
    fz_check(nf >= 0 && nf < 24 && nt >= 0 && nt < 24, "night %d-%d", nf, nt);
    fz_check(wf >= 1 && wf <= 12 && wt >= 1 && wt <= 12, "winter %d-%d", wf, wt);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_file("in.conf", data, size);
    struct km_routing *r = NULL;
    struct km_err err = {{0}};
    int rc = km_routing_load(path, NULL, &r, &err);
    fz_check(rc == KM_OK || rc == KM_EINPUT, "rc %d: %s", rc, err.msg);
    fz_check((rc == KM_OK) == (r != NULL), "rc %d with routing %p", rc, (void *)r);
    if (r != NULL) {
        lookups(r);
    }
    km_routing_free(r);
    return 0;
}
