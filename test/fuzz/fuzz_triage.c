/* Fuzz target: triage of hostile post text (triage/norm.c, lang.c, lexicon matching and
 * score.c) with the shipped lexicon and routing (etc/; run from the repo root).
 *
 * Oracles: token ranges lie inside the original text and the normalised text is UTF-8;
 * the score is a category, an urgency in 0..100, a priority in 1..4 and UTF-8 reasons. */
#include "triage/lang.h"
#include "triage/norm.h"
#include "triage/score.h"
#include "test/fuzz/fuzz.h"

static struct km_triage *triage;

static void check_norm(const char *s, size_t size)
{
    struct km_norm_text *nt = km_norm(s, size);
    fz_check(nt->text != NULL, "NULL normalised text");
    fz_check_str("normalised", nt->text);
    for (size_t i = 0; i < nt->n_tokens; i++) {
        const struct km_norm_token *t = &nt->tokens[i];
        fz_check(t->start <= t->end && t->end <= size, "token %zu at %zu..%zu of %zu", i, t->start,
                 t->end, size);
        fz_check(t->len == strlen(t->text), "token %zu length", i);
        fz_check_str("token", t->text);
        fz_check_str("loose", t->loose);
    }
    (void)km_lang_code(km_lang_guess(nt));
    km_norm_free(nt);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    struct km_err err = {{0}};
    if (km_triage_load("etc/lexicon", "etc/routing.conf", stderr, &triage, &err) != KM_OK) {
        /* libFuzzer ignores the return value: stop here rather than fail every input */
        fprintf(stderr, "fuzz_triage: %s (run from the repo root, rebuilt)\n", err.msg);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    check_norm(s, size);
    struct km_post *p = km_post_new();
    p->network = km_strdup("fuzz");
    p->id = km_strdup("1");
    p->text = km_utf8_clean(s, size, NULL);
    p->created_at = 1795372861000LL;
    int rc = km_triage_score(triage, p, 1 + (int)(size % 7), 1795372861000LL);
    fz_check(rc == KM_OK, "score rc %d", rc);
    const struct km_post_triage *t = &p->triage;
    fz_check(t->scored && t->category != NULL, "not scored");
    fz_check(t->urgency >= 0 && t->urgency <= 100, "urgency %d", t->urgency);
    fz_check(t->priority >= 1 && t->priority <= 4, "priority %d", t->priority);
    for (size_t i = 0; i < t->n_reasons; i++) {
        fz_check_str("reason", t->reasons[i]);
    }
    fz_check_str("lang", p->lang);
    km_post_free(p);
    return 0;
}
