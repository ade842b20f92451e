/* Place keys (see dedup.h): "street prefix|house number" read from the normalised tokens,
 * so that paraphrases and ru/kk/en translations of one report at one address meet.
 *
 * A house number is a token of 1-4 digits (not starting with 0) and at most one letter
 * ("12а"), which is not part of a time ("8:40"), a temperature or signed value ("-31",
 * "+13", "5°"), a decimal, a phone number (number tokens separated only by spaces, dashes
 * or brackets), and is not followed by a unit ("5 дней", "14 этаже", "20 минут", "с 7
 * утра"). The street is the word before it, past street-type words ("ул", "көшесі",
 * "ave"); a short capitalised word joins the one before it ("Мәңгілік Ел 53"); a
 * microdistrict becomes "мкр" + its number ("5 мкр дом 12", "5 шағын аудан, 12 үй").
 * Street words are taken in their Kazakh-folded "loose" form, Latin ones transliterated
 * to Cyrillic, and cut to DP_PREFIX letters, which absorbs case endings and spelling
 * ("Жумабаева"/"Жумабаев", "Түркістан"/"Туркестан"). */
#include "triage/dedup.h"

#include "common/alloc.h"
#include "triage/norm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Letters of a street word that make its key: long enough to tell streets apart, short
 * enough that inflection and ru/kk/en spellings of one name agree. */
#define DP_PREFIX 4
/* A street word of fewer letters is a preposition or an abbreviation, not a name. */
#define DP_MIN_STREET 3
/* Street-type words skipped between the street name and the number. */
#define DP_MAX_SKIP 2
/* Bytes of a transliterated word kept (DP_PREFIX Cyrillic letters need 2 bytes each). */
#define DP_WORD_MAX 64

/* Words that stand between a street name and its number. */
static const char *const dp_street_types[] = {
    "ул",     "улица",  "улице",     "улицы",       "пр",      "проспект", "проспекте", "проспекта",
    "пр-т",   "кошеси", "кошесинде", "кошесиндеги", "дангылы", "ave",      "avenue",    "st",
    "street", "str",    "дом",       "д",           "уй",      "уйи",      "уйинде",    "house",
    "батыр",  "батыра", "хан",       "хана",        "би",      "batyr",    "khan",      NULL};

/* Words that precede numbers without being streets. */
static const char *const dp_not_street[] = {
    "уже",   "через",    "около",   "более", "менее", "всего",   "почти", "примерно", "после",
    "номер", "было",     "сейчас",  "там",   "это",   "где",     "еще",   "только",   "всех",
    "кв",    "квартира", "подъезд", "этаж",  "блок",  "сагат",   "about", "since",    "for",
    "the",   "after",    "only",    "over",  "under", "until",   "than",  "flat",     "apt",
    "floor", "at",       "on",      "in",    "bus",   "маршрут", "багыт", "route",    NULL};

/* Word starts that make the preceding number a count, a time or a date. */
static const char *const dp_units[] = {
    "дн",     "мин",    "час",     "сут",  "градус", "этаж",  "тенге", "человек", "люд",
    "числ",   "кабат",  "сагат",   "янв",  "фев",    "март",  "апр",   "мая",     "июн",
    "июл",    "авг",    "сент",    "окт",  "нояб",   "декаб", "day",   "min",     "hour",
    "floor",  "people", "degree",  "year", "week",   "недел", "месяц", "метр",    "литр",
    "жаст",   "жасар",  "автобус", "звон", "позвон", "call",  "тел",   "phone",   "опер",
    "давлен", "багыт",  "машин",   NULL};

/* Emergency and city service numbers, called far more often than such houses are named. */
static const char *const dp_service[] = {"101", "102", "103", "104", "109", "112", NULL};

/* Units that are whole words (too short or too ambiguous to match as starts: "разбит",
 * "жылу", "место" are what an address is followed by). */
static const char *const dp_unit_words[] = {
    "м",    "км",  "см",  "мм",   "кг",  "kg",  "тг",     "h",    "am",     "pm",   "ч",  "раз",
    "раза", "лет", "год", "года", "жыл", "кун", "куннен", "утра", "вечера", "ночи", "ай", NULL};

/* w is in list (prefix: starts with one of its entries). */
static bool dp_listed(const char *const *list, const char *w, bool prefix)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (prefix ? strncmp(list[i], w, strlen(list[i])) == 0 : strcmp(list[i], w) == 0) {
            return true;
        }
    }
    return false;
}

static bool dp_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t dp_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* 1-4 digits, no leading zero, then at most one letter. */
static bool dp_house_shape(const char *w)
{
    size_t d = 0;
    while (dp_digit(w[d])) {
        d++;
    }
    return d >= 1 && d <= 4 && w[0] != '0' && dp_chars(w + d) <= 1 &&
           (w[d] == '\0' || !dp_digit(w[d]));
}

static bool dp_all_letters(const char *w)
{
    for (; *w != '\0'; w++) {
        if (dp_digit(*w) || *w == '-') {
            return false;
        }
    }
    return true;
}

/* Only spaces, dashes and brackets in text[a..b): two numbers so joined are one phone
 * number or range. */
static bool dp_numeric_gap(const char *text, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++) {
        if (strchr(" -()", text[i]) == NULL) {
            return false;
        }
    }
    return true;
}

/* The original text around token i rules out a house number: sign, time, decimal,
 * degree, percent, or a neighbouring number (phone). */
static bool dp_numeric_context(const char *text, const struct km_norm_text *nt, size_t i)
{
    const struct km_norm_token *t = &nt->tokens[i];
    char before = t->start > 0 ? text[t->start - 1] : ' ';
    const char *after = text + t->end;
    if (strchr("+-:.,/", before) != NULL ||
        strncmp(text + (t->start >= 3 ? t->start - 3 : 0), "\xE2\x88\x92", 3) == 0) {
        return true;
    }
    if (after[0] == ':' || after[0] == '%' || strncmp(after, "\xC2\xB0", 2) == 0 ||
        strncmp(after, " \xC2\xB0", 3) == 0 ||
        ((after[0] == '.' || after[0] == ',' || after[0] == '/') && dp_digit(after[1]))) {
        return true;
    }
    const struct km_norm_token *prev = i > 0 ? &nt->tokens[i - 1] : NULL;
    const struct km_norm_token *next = i + 1 < nt->n_tokens ? &nt->tokens[i + 1] : NULL;
    return (prev != NULL && dp_digit(prev->text[0]) && dp_numeric_gap(text, prev->end, t->start)) ||
           (next != NULL && dp_digit(next->text[0]) && dp_numeric_gap(text, t->end, next->start));
}

/* Latin -> Cyrillic for street names written in English ("Zhenis" -> "женис"). */
static void dp_translit(const char *w, char *out, size_t cap)
{
    static const char *const pairs[][2] = {
        {"shch", "щ"}, {"zh", "ж"}, {"kh", "х"}, {"ch", "ч"}, {"sh", "ш"}, {"ts", "ц"}, {"ya", "я"},
        {"yu", "ю"},   {"yo", "е"}, {"a", "а"},  {"b", "б"},  {"c", "к"},  {"d", "д"},  {"e", "е"},
        {"f", "ф"},    {"g", "г"},  {"h", "х"},  {"i", "и"},  {"j", "ж"},  {"k", "к"},  {"l", "л"},
        {"m", "м"},    {"n", "н"},  {"o", "о"},  {"p", "п"},  {"q", "к"},  {"r", "р"},  {"s", "с"},
        {"t", "т"},    {"u", "у"},  {"v", "в"},  {"w", "у"},  {"x", "кс"}, {"y", "ы"},  {"z", "з"}};
    size_t n = 0;
    out[0] = '\0';
    while (*w != '\0') {
        size_t k = 0, len = 0;
        for (; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
            len = strlen(pairs[k][0]);
            if (strncmp(w, pairs[k][0], len) == 0) {
                break;
            }
        }
        const char *cy = k < sizeof(pairs) / sizeof(pairs[0]) ? pairs[k][1] : "";
        len = k < sizeof(pairs) / sizeof(pairs[0]) ? len : 1;
        if (n + strlen(cy) + 1 > cap) {
            break;
        }
        memcpy(out + n, cy, strlen(cy) + 1);
        n += strlen(cy);
        w += len;
    }
}

static bool dp_is_latin(const char *w)
{
    for (; *w != '\0'; w++) {
        if ((unsigned char)*w >= 0x80) {
            return false;
        }
    }
    return true;
}

/* Token t's loose form, or for a Latin word its transliteration, is in list: the lists
 * are Cyrillic with a few English words, and Russian or Kazakh is also typed in Latin
 * ("uzhe 4 dnya"). */
static bool dp_match(const char *const *list, const struct km_norm_token *t, bool prefix)
{
    char cy[DP_WORD_MAX];
    if (dp_listed(list, t->loose, prefix)) {
        return true;
    }
    if (!dp_is_latin(t->loose)) {
        return false;
    }
    dp_translit(t->loose, cy, sizeof(cy));
    return dp_listed(list, cy, prefix);
}

/* The key form of a street word: loose, transliterated if Latin, cut to DP_PREFIX
 * letters. */
static void dp_street_form(const struct km_norm_token *t, char *out, size_t cap)
{
    if (dp_is_latin(t->loose)) {
        dp_translit(t->loose, out, cap);
    } else {
        snprintf(out, cap, "%s", t->loose);
    }
    size_t chars = 0, i = 0;
    for (; out[i] != '\0'; i++) {
        if (((unsigned char)out[i] & 0xC0) != 0x80 && chars++ == DP_PREFIX) {
            break;
        }
    }
    out[i] = '\0';
}

/* Index of the microdistrict number before a microdistrict word at j, or SIZE_MAX. */
static size_t dp_mkr_number(const struct km_norm_text *nt, size_t j)
{
    const char *w = nt->tokens[j].loose;
    size_t k = j;
    if (strcmp(w, "аудан") == 0 && k > 0 && strcmp(nt->tokens[k - 1].loose, "шагын") == 0) {
        k--;
    } else if (strcmp(w, "мкр") != 0 && strncmp(w, "микрорайон", strlen("микрор")) != 0) {
        return SIZE_MAX;
    }
    return k > 0 && dp_house_shape(nt->tokens[k - 1].text) ? k - 1 : SIZE_MAX;
}

/* Index of the street word for the number at i, or SIZE_MAX. */
static size_t dp_street_index(const char *text, const struct km_norm_text *nt, size_t i)
{
    size_t j = i, skipped = 0;
    while (j > 0 && skipped <= DP_MAX_SKIP && !nt->tokens[j - 1].hashtag &&
           dp_match(dp_street_types, &nt->tokens[j - 1], false)) {
        j--;
        skipped++;
    }
    if (j == 0 || nt->tokens[j - 1].hashtag || dp_mkr_number(nt, j - 1) != SIZE_MAX) {
        return j > 0 && !nt->tokens[j - 1].hashtag ? j - 1 : SIZE_MAX;
    }
    j--;
    const struct km_norm_token *t = &nt->tokens[j];
    const unsigned char *o = (const unsigned char *)text + t->start;
    bool capital = (o[0] >= 'A' && o[0] <= 'Z') || (o[0] == 0xD0 && o[1] <= 0xAF) ||
                   ((o[0] == 0xD2 || o[0] == 0xD3) && o[1] % 2 == 0); /* Ә Ғ Қ Ң Ө Ұ Ү Һ */
    if (dp_chars(t->loose) < DP_MIN_STREET && capital && j > 0 && !nt->tokens[j - 1].hashtag) {
        j--; /* "Мәңгілік Ел 53": the name's first word */
    }
    t = &nt->tokens[j];
    if (dp_chars(t->loose) < DP_MIN_STREET || !dp_all_letters(t->loose) ||
        dp_match(dp_not_street, t, false) || dp_match(dp_street_types, t, false) ||
        dp_match(dp_units, t, true)) {
        return SIZE_MAX;
    }
    return j;
}

/* The place "street|number" of the number at i into out, or false. */
static bool dp_place_at(const char *text, const struct km_norm_text *nt, size_t i, char *out,
                        size_t cap)
{
    const struct km_norm_token *t = &nt->tokens[i];
    if (t->hashtag || !dp_house_shape(t->text) || dp_listed(dp_service, t->text, false) ||
        dp_numeric_context(text, nt, i)) {
        return false;
    }
    if (i + 1 < nt->n_tokens && !nt->tokens[i + 1].hashtag &&
        (dp_match(dp_units, &nt->tokens[i + 1], true) ||
         dp_match(dp_unit_words, &nt->tokens[i + 1], false))) {
        return false;
    }
    size_t j = dp_street_index(text, nt, i);
    if (j == SIZE_MAX) {
        return false;
    }
    char street[DP_WORD_MAX];
    size_t mkr = dp_mkr_number(nt, j);
    if (mkr != SIZE_MAX) {
        snprintf(street, sizeof(street), "мкр%s", nt->tokens[mkr].text);
    } else {
        dp_street_form(&nt->tokens[j], street, sizeof(street));
    }
    size_t digits = strspn(t->text, "0123456789");
    char letter[DP_WORD_MAX] = ""; /* "12a" and "12а" agree */
    if ((unsigned char)t->text[digits] < 0x80) {
        dp_translit(t->text + digits, letter, sizeof(letter));
    } else {
        snprintf(letter, sizeof(letter), "%s", t->text + digits);
    }
    snprintf(out, cap, "%s|%.*s%s", street, (int)digits, t->text, letter);
    return true;
}

size_t km_dedup_places(const char *text, const char *category, char **out, size_t max)
{
    const char *s = text != NULL ? text : "";
    struct km_norm_text *nt = km_norm(s, strlen(s));
    const char *src = nt->repaired ? NULL : s; /* offsets are only valid in valid UTF-8 */
    size_t n = 0;
    for (size_t i = 0; src != NULL && i < nt->n_tokens && n < max; i++) {
        char place[2 * DP_WORD_MAX + 2];
        if (!dp_place_at(src, nt, i, place, sizeof(place))) {
            continue;
        }
        char *key = category != NULL && category[0] != '\0' ? km_asprintf("%s|%s", category, place)
                                                            : km_strdup(place);
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++) {
            seen = strcmp(out[k], key) == 0;
        }
        if (seen) {
            free(key);
        } else {
            out[n++] = key;
        }
    }
    km_norm_free(nt);
    return n;
}
