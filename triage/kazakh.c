/* Inflected forms of Kazakh noun roots (see kazakh.h). */
#include "triage/kazakh.h"

#include "common/alloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* 2 numbers x 4 possessives x 7 cases = 56 forms; the rest is headroom. */
#define KZ_MAX_FORMS 64

/* What the last letter of a stem selects in a suffix's first consonant. */
enum kz_class {
    KZ_VOWEL,
    KZ_RJU,       /* р й у и: л- plural, д- cases, -мен */
    KZ_MNN,       /* м н ң: -нан, -ның */
    KZ_L,         /* л */
    KZ_ZH,        /* ж з: -бен */
    KZ_VOICELESS, /* к қ п с т ш ф х ц ч щ һ, and б в г ғ д (devoiced at the end) */
    KZ_NCLASS
};

enum kz_case { KZ_DAT, KZ_LOC, KZ_ABL, KZ_GEN, KZ_ACC, KZ_INS, KZ_NCASE };

/* [case][class][harmony: 0 back, 1 front] */
static const char *const kz_cases[KZ_NCASE][KZ_NCLASS][2] = {
    [KZ_DAT] = {{"ға", "ге"}, {"ға", "ге"}, {"ға", "ге"}, {"ға", "ге"}, {"ға", "ге"}, {"қа", "ке"}},
    [KZ_LOC] = {{"да", "де"}, {"да", "де"}, {"да", "де"}, {"да", "де"}, {"да", "де"}, {"та", "те"}},
    [KZ_ABL] = {{"дан", "ден"},
                {"дан", "ден"},
                {"нан", "нен"},
                {"дан", "ден"},
                {"дан", "ден"},
                {"тан", "тен"}},
    [KZ_GEN] = {{"ның", "нің"},
                {"дың", "дің"},
                {"ның", "нің"},
                {"дың", "дің"},
                {"дың", "дің"},
                {"тың", "тің"}},
    [KZ_ACC] = {{"ны", "ні"}, {"ды", "ді"}, {"ды", "ді"}, {"ды", "ді"}, {"ды", "ді"}, {"ты", "ті"}},
    [KZ_INS] = {{"мен", "мен"},
                {"мен", "мен"},
                {"мен", "мен"},
                {"мен", "мен"},
                {"бен", "бен"},
                {"пен", "пен"}},
};

/* Cases after the 3rd person possessive: the pronominal n. */
static const char *const kz_poss3_cases[KZ_NCASE][2] = {
    {"на", "не"}, {"нда", "нде"}, {"нан", "нен"}, {"ның", "нің"}, {"н", "н"}, {"мен", "мен"},
};

static const char *const kz_plural[KZ_NCLASS][2] = {
    {"лар", "лер"}, {"лар", "лер"}, {"дар", "дер"}, {"дар", "дер"}, {"дар", "дер"}, {"тар", "тер"},
};

struct kz_list {
    char *items[KZ_MAX_FORMS];
    size_t n;
};

static bool kz_in(int32_t cp, const int32_t *set)
{
    for (; *set != 0; set++) {
        if (*set == cp) {
            return true;
        }
    }
    return false;
}

static const int32_t kz_back[] = {0x430, 0x43E, 0x4B1, 0x44B, 0x44F, 0x451, 0x44E, 0};
static const int32_t kz_front[] = {0x4D9, 0x4E9, 0x4AF, 0x456, 0x435, 0x44D, 0};
static const int32_t kz_vowels[] = {0x430, 0x43E, 0x4B1, 0x44B, 0x44F, 0x451, 0x44E,
                                    0x4D9, 0x4E9, 0x4AF, 0x456, 0x435, 0x44D, 0};

static enum kz_class kz_class_of(int32_t cp)
{
    static const int32_t rju[] = {0x440, 0x439, 0x443, 0x438, 0};
    static const int32_t mnn[] = {0x43C, 0x43D, 0x4A3, 0};
    static const int32_t zh[] = {0x436, 0x437, 0};
    if (kz_in(cp, kz_vowels)) {
        return KZ_VOWEL;
    }
    if (kz_in(cp, rju)) {
        return KZ_RJU;
    }
    if (kz_in(cp, mnn)) {
        return KZ_MNN;
    }
    if (cp == 0x43B) {
        return KZ_L;
    }
    return kz_in(cp, zh) ? KZ_ZH : KZ_VOICELESS;
}

/* The last code point of s, and whether s has a Cyrillic letter. */
static int32_t kz_last(const char *s, bool *cyrillic)
{
    int32_t last = 0, cp = 0;
    size_t len = strlen(s), i = 0;
    *cyrillic = false;
    while (i < len) {
        utf8proc_ssize_t n =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n < 1) {
            n = 1;
            cp = 0;
        }
        *cyrillic = *cyrillic || (cp >= 0x400 && cp <= 0x4FF);
        last = cp;
        i += (size_t)n;
    }
    return last;
}

enum km_kazakh_harmony km_kazakh_harmony_of(const char *root)
{
    enum km_kazakh_harmony h = KM_KAZAKH_BACK, weak = KM_KAZAKH_BACK;
    bool strong = false;
    size_t len = root != NULL ? strlen(root) : 0, i = 0;
    while (i < len) {
        int32_t cp = 0;
        utf8proc_ssize_t n =
            utf8proc_iterate((const utf8proc_uint8_t *)root + i, (utf8proc_ssize_t)(len - i), &cp);
        i += n < 1 ? 1 : (size_t)n;
        if (kz_in(cp, kz_back) || kz_in(cp, kz_front)) {
            h = kz_in(cp, kz_back) ? KM_KAZAKH_BACK : KM_KAZAKH_FRONT;
            strong = true;
        } else if (cp == 0x443 || cp == 0x438) { /* у, и: only when nothing else */
            weak = cp == 0x443 ? KM_KAZAKH_BACK : KM_KAZAKH_FRONT;
        }
    }
    return strong ? h : weak;
}

/* Appends stem + suffix unless the list has it already. */
static void kz_add(struct kz_list *l, const char *stem, const char *suffix)
{
    char *f = km_asprintf("%s%s", stem, suffix);
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i], f) == 0) {
            free(f);
            return;
        }
    }
    if (l->n < KZ_MAX_FORMS) {
        l->items[l->n++] = f;
    } else {
        free(f);
    }
}

/* stem and its six cases. After the 1st person singular possessive the dative is -а/-е
 * (үйіме, балама). */
static void kz_add_cases(struct kz_list *l, const char *stem, enum kz_class c, int h, bool poss1sg)
{
    kz_add(l, stem, "");
    for (int k = 0; k < KZ_NCASE; k++) {
        const char *suffix = kz_cases[k][c][h];
        if (poss1sg && k == KZ_DAT) {
            suffix = h ? "е" : "а";
        }
        kz_add(l, stem, suffix);
    }
}

static void kz_add_poss3(struct kz_list *l, const char *stem, int h)
{
    kz_add(l, stem, "");
    for (int k = 0; k < KZ_NCASE; k++) {
        kz_add(l, stem, kz_poss3_cases[k][h]);
    }
}

/* base (the root or its plural) with its cases, then each possessive with its cases.
 * mutated is base with a final к қ п voiced, used before a possessive vowel. */
static void kz_add_number(struct kz_list *l, const char *base, const char *mutated, enum kz_class c,
                          int h)
{
    bool vowel = c == KZ_VOWEL;
    const char *stem = vowel ? base : mutated;
    kz_add_cases(l, base, c, h, false);
    char *p = km_asprintf("%s%s", stem, vowel ? (h ? "сі" : "сы") : (h ? "і" : "ы"));
    kz_add_poss3(l, p, h);
    free(p);
    p = km_asprintf("%s%s", stem, vowel ? "м" : (h ? "ім" : "ым"));
    kz_add_cases(l, p, KZ_MNN, h, true);
    free(p);
    p = km_asprintf("%s%s", stem, vowel ? (h ? "міз" : "мыз") : (h ? "іміз" : "ымыз"));
    kz_add_cases(l, p, KZ_ZH, h, false);
    free(p);
}

/* A copy of root with a final к қ п turned into г ғ б (all two bytes in UTF-8). */
static char *kz_mutate(const char *root, int32_t last)
{
    char *m = km_strdup(root);
    int32_t to = last == 0x43A ? 0x433 : last == 0x49B ? 0x493 : last == 0x43F ? 0x431 : 0;
    size_t len = strlen(m);
    if (to != 0 && len >= 2) {
        utf8proc_encode_char(to, (utf8proc_uint8_t *)m + len - 2);
    }
    return m;
}

/* Moves the list into one block: the pointer array, NULL, then the strings. */
static char **kz_pack(struct kz_list *l)
{
    size_t total = (l->n + 1) * sizeof(char *);
    for (size_t i = 0; i < l->n; i++) {
        total += strlen(l->items[i]) + 1;
    }
    char **out = km_malloc(total);
    char *p = (char *)(out + l->n + 1);
    for (size_t i = 0; i < l->n; i++) {
        size_t len = strlen(l->items[i]) + 1;
        memcpy(p, l->items[i], len);
        out[i] = p;
        p += len;
        free(l->items[i]);
    }
    out[l->n] = NULL;
    return out;
}

size_t km_kazakh_forms_harmony(const char *root, enum km_kazakh_harmony harmony, char ***forms_out)
{
    *forms_out = NULL;
    if (root == NULL || root[0] == '\0') {
        return 0;
    }
    struct kz_list l = {.n = 0};
    bool cyrillic = false;
    int32_t last = kz_last(root, &cyrillic);
    kz_add(&l, root, "");
    if (cyrillic) {
        if (harmony == KM_KAZAKH_AUTO) {
            harmony = km_kazakh_harmony_of(root);
        }
        int h = harmony == KM_KAZAKH_FRONT;
        enum kz_class c = kz_class_of(last);
        char *mutated = kz_mutate(root, last);
        kz_add_number(&l, root, mutated, c, h);
        char *plural = km_asprintf("%s%s", root, kz_plural[c][h]);
        kz_add_number(&l, plural, plural, KZ_RJU, h);
        free(plural);
        free(mutated);
    }
    *forms_out = kz_pack(&l);
    return l.n;
}

size_t km_kazakh_forms(const char *root, char ***forms_out)
{
    return km_kazakh_forms_harmony(root, KM_KAZAKH_AUTO, forms_out);
}

void km_kazakh_forms_free(char **forms)
{
    free(forms); /* one block: see kz_pack() */
}
