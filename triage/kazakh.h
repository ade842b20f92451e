/* Inflected forms of Kazakh noun roots, for matching Kazakh keywords without a stemmer
 * (pure, thread-safe, no I/O).
 *
 * No Kazakh stemmer is packaged, and the important roots are short (су, ит, жол, қар),
 * where suffix stripping collides (сурет, итер-, қара). So the lexicon generates each
 * root's forms at load time and matches surface tokens against them (TRIAGE.md section 3):
 * {root, plural} x {none, possessive 3rd, 1st singular, 1st plural} x {none, dative,
 * locative, ablative, genitive, accusative, instrumental}: up to 56 forms per root.
 * Vowel harmony follows the last vowel (у and и count only when there is no other), final
 * у and и behave as consonants (су → суы, суға), final к қ п become г ғ б before a
 * possessive vowel (жарық → жарығы, мектеп → мектебі). The rules are the standard grammar
 * of literary Kazakh; a native speaker should review them. Verbs are not inflected here:
 * list them as surface phrases. */
#ifndef KM_TRIAGE_KAZAKH_H
#define KM_TRIAGE_KAZAKH_H

#include <stddef.h>

enum km_kazakh_harmony {
    KM_KAZAKH_AUTO,  /* from the last vowel of the root */
    KM_KAZAKH_BACK,  /* а о ұ ы suffixes: газға, суда */
    KM_KAZAKH_FRONT, /* ә ө ү і е suffixes: итке, лифтте */
};

/* Generates the forms of root (normalised: lower case, as km_norm_phrase() returns it; a
 * phrase inflects its last word). On return *forms_out is a NULL-terminated array of
 * distinct forms, the root first, owned by the caller and freed with
 * km_kazakh_forms_free(). Returns the number of forms: 1 (the root alone) when the root has
 * no Cyrillic letter, 0 with *forms_out = NULL when root is NULL or empty. */
size_t km_kazakh_forms(const char *root, char ***forms_out);

/* The same, with the vowel harmony given for roots where the last vowel misleads
 * (loan words). */
size_t km_kazakh_forms_harmony(const char *root, enum km_kazakh_harmony harmony, char ***forms_out);

/* The harmony km_kazakh_forms() uses for root (never KM_KAZAKH_AUTO). */
enum km_kazakh_harmony km_kazakh_harmony_of(const char *root);

/* Frees an array from km_kazakh_forms(); NULL is fine. */
void km_kazakh_forms_free(char **forms);

#endif
