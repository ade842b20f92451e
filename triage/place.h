/* Addresses in a post's text (pure, thread-safe, no I/O): which tokens name a street and
 * which a house number. Two users: dedup place keys ("туран|24", km_dedup_places() in
 * dedup.h) and the lexicon matcher, which does not read a street's name as a word
 * ("Кошкарбаева 34" is not about cats, "кошк-").
 *
 * A house number is a token of 1-4 digits (not starting with 0) and at most one letter
 * ("12а"), which is not part of a time ("8:40"), a temperature or signed value ("-31",
 * "+13", "5°"), a decimal, a phone number (number tokens separated only by spaces, dashes
 * or brackets), an emergency or service number (101-104, 109, 112), and is not followed
 * by a unit ("5 дней", "14 этаже", "20 минут", "с 7 утра"). Its street is the word before
 * it, past street-type words ("ул", "көшесі", "ave", "дом"); a short capitalised word
 * joins the one before it ("Мәңгілік Ел 53"); a microdistrict is its number ("5 мкр дом
 * 12"); after a house word ("напротив дома 12") a capitalised street word up to
 * KM_PLACE_LOOKBACK tokens back in the same clause ("на Сарыарке у остановки напротив
 * дома 12").
 *
 * A street without a number is a capitalised word just before a street-type word that
 * only follows names ("Богенбай батыра", "Сарыарқа көшесі", "Kunayev st", "Триатлон
 * саябағы"; Kazakh types also in lower case: "кабанбай батыра") or just after "улица",
 * "ул", "проспект" ("улица Кенесары"). A named place is weaker evidence: a capitalised
 * word (not all capitals, not the city itself) after a preposition of place ("на
 * Сарыарке", "в Коктале", "возле Триатлон парка", "at Saryarka", "from Өндіріс"); a
 * microdistrict written "Name-N" ("Коктал-1", "Көктал-1-де"), keyed by its name; a
 * capitalised name opening the post before a comma ("Коктал, …"; greetings and calls
 * excluded) or before a Kazakh postposition ("Магнум артындағы", not in the genitive).
 * Two capitalised names joined by a dash or slash ("Туран-Сыганак", "Turan / Syganak") or
 * followed by Kazakh "қиылысы" are a crossing: each is a street without a number. */
#ifndef KM_TRIAGE_PLACE_H
#define KM_TRIAGE_PLACE_H

#include "triage/norm.h"

#include <stdbool.h>
#include <stddef.h>

/* Tokens back from a house word ("дома 12") within which its street name is looked for. */
#define KM_PLACE_LOOKBACK 4

enum km_place_kind {
    KM_PLACE_HOUSE,  /* street + house number */
    KM_PLACE_STREET, /* a named street, no number */
    KM_PLACE_MKR,    /* microdistrict number + house number ("5 мкр дом 12") */
    KM_PLACE_NAMED   /* a capitalised name after a preposition of place, no number; or
                        one of the city's landmarks (Хан Шатыр, Байтерек, Мега, Керуен,
                        EXPO, Астана Арена) under any of its spellings, keyed by its name
                        ("@ханшатыр" for "у Хан Шатыра", "Khan Shatyr", "хан шатырдың") */
};

/* One address found in a text; token indices into the km_norm_text. */
struct km_place_ref {
    size_t street;   /* the street name's first token (for KM_PLACE_MKR: the mkr number) */
    size_t n_street; /* tokens of the name: 1, or 2 ("Мәңгілік Ел") */
    size_t number;   /* the house number's token; SIZE_MAX without a number */
    enum km_place_kind kind;
    bool capital; /* the name is written with a capital letter in the original text */
};

/* Finds the addresses of nt, the normalised form of text (the original, whose byte
 * offsets nt's tokens carry: capitals, "8:40", "-31" are read there). Numbered addresses
 * come first, in token order, then streets and named places without a number whose word
 * is not already the street of an earlier one. Writes at most max to out and returns how many were
 * written. Nothing is found in a text whose UTF-8 had to be repaired (nt->repaired: offsets do not
 * fit). Pure, thread-safe. */
size_t km_place_find(const char *text, const struct km_norm_text *nt, struct km_place_ref *out,
                     size_t max);

/* Bytes km_place_key() may write, with the NUL. */
#define KM_PLACE_KEY_MAX 48

/* Letters of a street's key (see km_place_key()). */
#define KM_PLACE_KEY_LETTERS 4

/* The key of r for joining reports of one place: "street|number" ("трн|24" for "Тұран
 * 24", "Turan ave 24", "на Туране 24"; "мкр5|12"), or for a street without a number the
 * street alone. The street is its word's loose form, transliterated if Latin, reduced to
 * a leading vowel and its first consonants, KM_PLACE_KEY_LETTERS letters in all: this
 * absorbs case endings and the ru/kk/en spellings of one name, which differ mostly in
 * vowels ("Сарыарка"/"Saryarka", "Сейфуллина"/"Seifullin", "Жумабаева"/"Жумабаев",
 * "Түркістан"/"Туркестан"); "12a" and "12а" agree. Writes at most cap bytes
 * (KM_PLACE_KEY_MAX is enough) to out. Pure. */
void km_place_key(const struct km_norm_text *nt, const struct km_place_ref *r, char *out,
                  size_t cap);

#endif
