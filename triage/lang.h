/* Language of a post: Russian, Kazakh, English or a mix (pure, thread-safe, no I/O).
 *
 * A deterministic guess from the normalised tokens, not n-gram statistics: letter scripts,
 * words written with the Kazakh letters ә ғ қ ң ө ұ ү һ і, and small lists of frequent
 * function words (Russian, Kazakh — also as typed with Russian letters only —, English,
 * Russian and Kazakh in Latin transliteration), plus Russian word endings. libexttextcat
 * (Debian's fingerprints do include Kazakh) was measured at about 100 us per post even
 * restricted to ru/kk/en, and it never answers "mixed"; this guess takes well under 1 us. */
#ifndef KM_TRIAGE_LANG_H
#define KM_TRIAGE_LANG_H

#include "triage/norm.h"

#include <stdbool.h>
#include <stddef.h>

enum km_lang {
    KM_LANG_UNKNOWN, /* too few letters to tell */
    KM_LANG_RU,
    KM_LANG_KK, /* Kazakh in Cyrillic with Kazakh letters */
    KM_LANG_EN,
    KM_LANG_MIXED /* Kazakh-Russian or English-Russian code-mixing, Russian or Kazakh in
                     Latin letters, Kazakh typed with Russian letters only */
};

/* Guesses the language of a normalised text; hashtag tokens are ignored. Thread-safe (the
 * word table is built once, on first use). t may be NULL: KM_LANG_UNKNOWN. */
enum km_lang km_lang_guess(const struct km_norm_text *t);

/* True if the normalised Latin word w[0..len) is a frequent English word ("it", "on",
 * "the") that is not also frequent Russian or Kazakh in Latin letters ("ne", "bar"): the
 * lexicon matcher does not read it as transliterated Cyrillic ("it" is not "ит", a dog).
 * Thread-safe. */
bool km_lang_english_word(const char *w, size_t len);

/* "ru", "kk", "en", "mixed" or "unknown": a static string. */
const char *km_lang_code(enum km_lang lang);

/* The language for a code as above ("RU" too); KM_LANG_UNKNOWN for anything else or NULL. */
enum km_lang km_lang_from_code(const char *code);

#endif
