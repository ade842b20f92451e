/* Place keys (see dedup.h): the addresses km_place_find() reads in a post, as keys, so
 * that paraphrases and ru/kk/en translations of one report at one address meet. */
#include "triage/dedup.h"

#include "common/alloc.h"
#include "triage/norm.h"
#include "triage/place.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds key to out[0..*n) unless it is there already; frees it then. */
static void dp_add(char **out, size_t *n, char *key)
{
    for (size_t k = 0; k < *n; k++) {
        if (strcmp(out[k], key) == 0) {
            free(key);
            return;
        }
    }
    out[(*n)++] = key;
}

/* Categories whose posts are no event at one place, so get no street keys: questions,
 * thanks, other, buses (a route runs along many streets: "bus 10 at Kenesary" and "bus 21
 * at Kenesary 52" are two complaints), and lifts (a lift is in one house: "the lift on
 * Turan jerks" and "stuck in the lift at Turan 19" are two houses of a long avenue). */
static bool dp_street_category(const char *category)
{
    static const char *const none[] = {"other", "consultation", "gratitude", "transport",
                                       "elevator"};
    if (category == NULL || category[0] == '\0') {
        return false;
    }
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        if (strcmp(category, none[i]) == 0) {
            return false;
        }
    }
    return true;
}

/* The category a house key carries: heating, water and flooding at one house are one
 * event told three ways (a burst riser: "батарея жарылып, ыстық су ағып", "воду откачали",
 * "затопило подвал"), so they share "water"; an open manhole and a hole in the road at one
 * house are one hole ("люк открыт на Туран 24", "та самая дыра на Туране 24"), so they
 * share "roads"; other categories stand for themselves. */
static const char *dp_house_category(const char *category)
{
    static const char *const groups[][2] = {{"heating", "water"}, {"water", "water"},
                                            {"flooding", "water"}, {"roads", "roads"},
                                            {"manholes", "roads"}};
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        if (strcmp(category, groups[i][0]) == 0) {
            return groups[i][1];
        }
    }
    return category;
}

/* Tokens between the two streets of a crossing at most ("Kabanbay Batyr x Dostyk"). */
#define DP_CROSSING_TOKENS 3

/* refs[i], a street or named place without a number, is one side of a crossing: another
 * place without a number, one of the two a street, stands within DP_CROSSING_TOKENS tokens
 * of it ("Туран-Сыганак", "at Abay/Pobedy", "Абай мен Жеңіс"; "на Есиле возле Триатлон
 * парка" names two places, no street). */
static bool dp_crossing(const struct km_place_ref *refs, size_t n_refs, size_t i)
{
    const struct km_place_ref *r = &refs[i];
    if ((r->kind != KM_PLACE_STREET && r->kind != KM_PLACE_NAMED) || r->number != SIZE_MAX) {
        return false;
    }
    for (size_t k = 0; k < n_refs; k++) {
        const struct km_place_ref *o = &refs[k];
        size_t a = r->street, b = o->street;
        if (k != i && o->number == SIZE_MAX &&
            (o->kind == KM_PLACE_STREET || o->kind == KM_PLACE_NAMED) &&
            (o->kind == KM_PLACE_STREET || r->kind == KM_PLACE_STREET) &&
            (a > b ? a - b : b - a) <= DP_CROSSING_TOKENS) {
            return true;
        }
    }
    return false;
}

/* The street key of ref r: "category|street|#" with a house number, "...|+" for a street
 * of a crossing, else "...|*" (see dd_place_lookups(): a house on the street and a crossing
 * on it are two places). */
static char *dp_street_key(const struct km_norm_text *nt, const struct km_place_ref *r,
                           const char *category, bool crossing)
{
    struct km_place_ref street = *r;
    char place[KM_PLACE_KEY_MAX];
    street.number = SIZE_MAX;
    km_place_key(nt, &street, place, sizeof(place));
    const char *end = r->number != SIZE_MAX ? "|#" : crossing ? "|+" : "|*";
    return km_strjoin(category, "|", place, end, NULL);
}

size_t km_dedup_place_keys(const char *text, const char *category, char **out, size_t max,
                           size_t *n_house)
{
    const char *s = text != NULL ? text : "";
    struct km_dedup_read read = {.nt = km_norm(s, strlen(s))};
    size_t n = km_dedup_place_keys_read(s, &read, category, out, max, n_house);
    km_norm_free((struct km_norm_text *)read.nt);
    return n;
}

size_t km_dedup_place_keys_read(const char *text, const struct km_dedup_read *read,
                                const char *category, char **out, size_t max, size_t *n_house)
{
    const char *s = text != NULL ? text : "";
    const struct km_norm_text *nt = read->nt;
    struct km_place_ref found[KM_DEDUP_MAX_REFS];
    const struct km_place_ref *refs = read->refs != NULL ? read->refs : found;
    size_t n_refs = read->refs != NULL ? read->n_refs : km_place_find(s, nt, found, KM_DEDUP_MAX_REFS);
    size_t n = 0;
    bool cat = category != NULL && category[0] != '\0';
    for (size_t i = 0; i < n_refs && n < max; i++) {
        char place[KM_PLACE_KEY_MAX];
        if (refs[i].number == SIZE_MAX) {
            continue;
        }
        km_place_key(nt, &refs[i], place, sizeof(place));
        dp_add(out, &n,
               cat ? km_strjoin(dp_house_category(category), "|", place, NULL) : km_strdup(place));
    }
    *n_house = n;
    for (size_t i = 0; dp_street_category(category) && i < n_refs && n < max; i++) {
        if (refs[i].kind != KM_PLACE_MKR) {
            dp_add(out, &n,
                   dp_street_key(nt, &refs[i], category, dp_crossing(refs, n_refs, i)));
        }
    }
    return n;
}

size_t km_dedup_places(const char *text, const char *category, char **out, size_t max)
{
    char *all[KM_DEDUP_MAX_PLACES];
    size_t n_house = 0;
    size_t n = km_dedup_place_keys(text, category, all, KM_DEDUP_MAX_PLACES, &n_house);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (i < n_house && kept < max) {
            out[kept++] = all[i];
        } else {
            free(all[i]);
        }
    }
    return kept;
}
