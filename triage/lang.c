/* Language guess from normalised tokens (see lang.h).
 *
 * Each token that is not a hashtag and has letters gives evidence: a Cyrillic word with a
 * Kazakh letter is Kazakh; a Cyrillic word without one is Kazakh when it is a frequent
 * Kazakh word (also as typed with Russian letters: бір → бир) or has a Kazakh suffix, and
 * Russian when it is a Russian function word, holds ь ъ э щ, or has a Russian ending.
 * Latin words are English, Russian or Kazakh transliteration by word lists and letters.
 * The guess weighs these counts; two languages with a substantial share are "mixed". */
#include "triage/lang.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

enum {
    LG_RU = 1,      /* Russian word, Cyrillic */
    LG_KK = 2,      /* Kazakh word, Cyrillic, with or without its Kazakh letters */
    LG_EN = 4,      /* English word */
    LG_RU_LAT = 8,  /* Russian in Latin transliteration */
    LG_KK_LAT = 16, /* Kazakh in Latin letters */
};

/* Frequent Russian words that are not Kazakh words ("не", "да" are both: left out). */
static const char *const lg_ru[] = {
    "и",       "в",       "во",     "на",      "что",        "это",      "уже",        "нет",
    "по",      "с",       "со",     "к",       "у",          "из",       "за",         "от",
    "до",      "как",     "так",    "но",      "а",          "же",       "ли",         "бы",
    "для",     "или",     "еще",    "только",  "очень",      "все",      "мы",         "вы",
    "они",     "он",      "она",    "я",       "ты",         "нас",      "вас",        "нам",
    "вам",     "их",      "его",    "ее",      "кто",        "где",      "когда",      "почему",
    "сегодня", "вчера",   "завтра", "опять",   "снова",      "тоже",     "там",        "тут",
    "здесь",   "сейчас",  "можно",  "нужно",   "надо",       "помогите", "пожалуйста", "срочно",
    "есть",    "был",     "была",   "было",    "были",       "будет",    "может",      "просто",
    "даже",    "при",     "про",    "под",     "над",        "без",      "через",      "после",
    "ни",      "чтобы",   "если",   "то",      "этот",       "эта",      "эти",        "который",
    "которая", "дня",     "дней",   "день",    "часа",       "часов",    "мне",        "меня",
    "нам",     "наш",     "наша",   "наши",    "нашем",      "ваш",      "спасибо",    "дом",
    "дома",    "доме",    "двор",   "дворе",   "улица",      "улице",    "вода",       "воды",
    "свет",    "света",   "тепло",  "холодно", "подскажите", "знает",    "знаете",     "всем",
    "всех",    "сколько", "куда",   "откуда",  "вот",        "уж",       "ещё",        "весь",
    "вся",     "ничего",  "никто",
};

/* Frequent Kazakh words; also matched as typed with Russian letters only ("не", "та", "те"
 * are Russian words too: left out). */
static const char *const lg_kk[] = {
    "мен",     "пен",    "бен",     "және",    "үшін",  "емес",   "ма",     "ме",     "ба",
    "бе",      "па",     "пе",      "ғой",     "деп",   "қалай",  "неге",   "бұл",    "осы",
    "сол",     "бар",    "жоқ",     "бір",     "екі",   "үш",     "әлі",    "тағы",   "ғана",
    "кейін",   "бері",   "дейін",   "қашан",   "қайда", "кім",    "неше",   "керек",  "болды",
    "болады",  "жатыр",  "тұр",     "отыр",    "жүр",   "қалды",  "ал",     "бірақ",  "өте",
    "көп",     "біз",    "сіз",     "сен",     "олар",  "ол",     "оның",   "біздің", "сіздің",
    "үй",      "үйде",   "үйі",     "екен",    "әлде",  "немесе", "рахмет", "көмек",  "бала",
    "балалар", "адам",   "адамдар", "күн",     "бүгін", "кеше",   "ертең",  "бүкіл",  "барлық",
    "көше",    "көшесі", "жанында", "маңында", "де",    "жол",    "су",     "жарық",  "ешкім",
    "қазір",   "тез",    "мұнда",   "онда",    "бәрі",  "дейді",  "берді",  "жоқпа",  "ғой",
    "шығар",   "сияқты",
};

/* Frequent English words. */
static const char *const lg_en[] = {
    "the",   "a",     "an",     "and",       "or",      "of",      "to",     "in",     "on",
    "at",    "for",   "with",   "from",      "by",      "is",      "are",    "was",    "were",
    "be",    "been",  "have",   "has",       "had",     "do",      "does",   "did",    "not",
    "no",    "it",    "its",    "this",      "that",    "there",   "here",   "my",     "our",
    "your",  "we",    "you",    "they",      "he",      "she",     "i",      "me",     "us",
    "them",  "his",   "her",    "their",     "what",    "when",    "where",  "why",    "how",
    "who",   "which", "can",    "could",     "would",   "should",  "will",   "please", "thanks",
    "thank", "since", "still",  "again",     "any",     "some",    "all",    "just",   "very",
    "too",   "after", "before", "near",      "next",    "street",  "st",     "ave",    "help",
    "hi",    "hello", "today",  "yesterday", "morning", "night",   "days",   "week",   "if",
    "but",   "so",    "out",    "down",      "up",      "someone", "nobody", "anyone", "there's",
    "don",   "didn",  "haven",  "isn",       "s",       "t",
};

/* Russian transliterated into Latin letters. */
static const char *const lg_ru_lat[] = {
    "u",           "v",           "na",       "ne",       "net",      "eto",     "chto",
    "shto",        "uzhe",        "uje",      "kak",      "tak",      "tozhe",   "kto",
    "gde",         "kogda",       "segodnya", "sevodnya", "vchera",   "zavtra",  "nas",
    "vas",         "nam",         "vam",      "menya",    "mne",      "ochen",   "pochemu",
    "pozhaluysta", "pozhalujsta", "pomogite", "srochno",  "nu",       "vse",     "vsyo",
    "esli",        "mozhno",      "nado",     "nuzhno",   "est",      "bylo",    "byl",
    "byla",        "budet",       "posle",    "hochu",    "znaete",   "znaet",   "znayu",
    "rabotaet",    "dnya",        "dney",     "ili",      "ni",       "za",      "ot",
    "iz",          "po",          "pri",      "bez",      "dlya",     "zhe",     "li",
    "tam",         "tut",         "zdes",     "seychas",  "opyat",    "snova",   "vody",
    "sveta",       "musor",       "ulitse",   "doma",     "dvore",    "skolko",  "kuda",
    "vot",         "eshe",        "eshche",   "tolko",    "devochki", "rebyata", "spasibo",
    "privet",      "podskazhite", "vyvozyat", "nikto",    "nichego",  "voobshe",
};

/* Kazakh in Latin letters (official 2021 alphabet and informal spellings). */
static const char *const lg_kk_lat[] = {
    "bir",     "bar",   "joq",    "jok",   "ushin", "emes",    "dep",     "qalai",   "qalay",
    "kalai",   "nege",  "bul",    "osy",   "beri",  "keiin",   "keyin",   "tur",     "otyr",
    "jur",     "jatyr", "qaida",  "qayda", "kaida", "qashan",  "kashan",  "kerek",   "boldy",
    "bolady",  "qaldy", "kaldy",  "ui",    "uide",  "adamdar", "balalar", "rahmet",  "rakhmet",
    "jane",    "tagy",  "keste",  "kim",   "gana",  "biz",     "siz",     "olar",    "koshe",
    "koshesi", "jol",   "zharyk", "jaryq", "jaryk", "su",      "saat",    "saattan", "kun",
    "bugin",   "kazir", "qazir",  "goi",   "goy",
};

struct lg_word {
    const char *word;
    size_t len;
    uint64_t hash; /* XXH3 of the word; 0 = empty slot */
    unsigned mask;
};

/* Room for every list above plus the loose form of each Kazakh word. */
#define LG_MAX_WORDS 1024
/* Slots of the word hash table: a power of two, at least twice LG_MAX_WORDS. */
#define LG_SLOTS 2048
/* Bytes for the loose forms of the Kazakh words (each at most 20 bytes). */
#define LG_POOL_BYTES 4096
/* Most suffixes in one ending list. */
#define LG_MAX_ENDS 48

/* Word endings compared as integers: an ending of n <= 8 bytes is a key with its bytes at
 * the end of an 8-byte window and a mask over those bytes, so that one load of a word's
 * last 8 bytes tests an ending (any earlier bytes of a longer ending go to memcmp). The
 * endings are kept in order of their last byte, and only those sharing the word's last
 * byte are tested. */
struct lg_ends {
    uint64_t key[LG_MAX_ENDS], mask[LG_MAX_ENDS];
    uint8_t len[LG_MAX_ENDS];
    const char *str[LG_MAX_ENDS];
    size_t n;
    uint8_t from[257]; /* endings whose last byte is b: from[b] .. from[b + 1] - 1 */
};

static struct lg_word lg_table[LG_SLOTS];
static char lg_pool[LG_POOL_BYTES];
static struct lg_ends lg_ru_ends, lg_kk_ends;
static pthread_once_t lg_once = PTHREAD_ONCE_INIT;

static uint64_t lg_hash(const char *w, size_t len)
{
    return XXH3_64bits(w, len) | 1;
}

/* The slot of w: its entry, or the empty slot where it would go. */
static struct lg_word *lg_slot(const char *w, size_t len, uint64_t h)
{
    for (size_t i = (size_t)h & (LG_SLOTS - 1);; i = (i + 1) & (LG_SLOTS - 1)) {
        struct lg_word *s = &lg_table[i];
        if (s->hash == 0 || (s->hash == h && s->len == len && memcmp(s->word, w, len) == 0)) {
            return s;
        }
    }
}

/* Adds w with mask; a word in several lists gets the union of their masks. */
static void lg_add_word(const char *w, unsigned mask)
{
    static size_t n;
    size_t len = strlen(w);
    uint64_t h = lg_hash(w, len);
    struct lg_word *s = lg_slot(w, len, h);
    if (s->hash == 0 && n < LG_MAX_WORDS) {
        *s = (struct lg_word){w, len, h, 0};
        n++;
    }
    s->mask |= s->hash != 0 ? mask : 0;
}

static void lg_add_list(const char *const *list, size_t n, unsigned mask)
{
    for (size_t i = 0; i < n; i++) {
        lg_add_word(list[i], mask);
    }
}

/* Adds the Kazakh words typed with Russian letters (ә→а ... і→и), when they differ. */
static void lg_add_loose(void)
{
    size_t used = 0;
    for (size_t i = 0; i < sizeof(lg_kk) / sizeof(lg_kk[0]); i++) {
        char *loose = km_norm_loose(lg_kk[i]);
        size_t len = strlen(loose);
        if (strcmp(loose, lg_kk[i]) != 0 && used + len + 1 <= sizeof(lg_pool)) {
            memcpy(lg_pool + used, loose, len + 1);
            lg_add_word(lg_pool + used, LG_KK);
            used += len + 1;
        }
        free(loose);
    }
}

/* The last 8 bytes of w[0..len) as an integer, zero bytes in front of a shorter w. */
static uint64_t lg_last8(const char *w, size_t len)
{
    unsigned char b[8] = {0};
    size_t n = len < 8 ? len : 8;
    memcpy(b + 8 - n, w + len - n, n);
    uint64_t k;
    memcpy(&k, b, sizeof(k));
    return k;
}

static unsigned char lg_last_byte(const char *w)
{
    size_t len = strlen(w);
    return len > 0 ? (unsigned char)w[len - 1] : 0;
}

static void lg_ends_init(struct lg_ends *e, const char *const *list, size_t n)
{
    static const char ones[8] = {'\xFF', '\xFF', '\xFF', '\xFF', '\xFF', '\xFF', '\xFF', '\xFF'};
    for (unsigned b = 0; b < 256; b++) {
        e->from[b] = (uint8_t)e->n;
        for (size_t i = 0; i < n && e->n < LG_MAX_ENDS; i++) {
            size_t len = strlen(list[i]);
            size_t tail = len < 8 ? len : 8;
            if (len == 0 || lg_last_byte(list[i]) != b) {
                continue;
            }
            e->key[e->n] = lg_last8(list[i], len);
            e->mask[e->n] = lg_last8(ones, tail);
            e->len[e->n] = (uint8_t)len;
            e->str[e->n++] = list[i];
        }
    }
    e->from[256] = (uint8_t)e->n;
}

static void lg_add_ends(void);

/* Builds the word table and the ending tables once. */
static void lg_init(void)
{
    lg_add_list(lg_ru, sizeof(lg_ru) / sizeof(lg_ru[0]), LG_RU);
    lg_add_list(lg_kk, sizeof(lg_kk) / sizeof(lg_kk[0]), LG_KK);
    lg_add_list(lg_en, sizeof(lg_en) / sizeof(lg_en[0]), LG_EN);
    lg_add_list(lg_ru_lat, sizeof(lg_ru_lat) / sizeof(lg_ru_lat[0]), LG_RU_LAT);
    lg_add_list(lg_kk_lat, sizeof(lg_kk_lat) / sizeof(lg_kk_lat[0]), LG_KK_LAT);
    lg_add_loose();
    lg_add_ends();
}

static unsigned lg_lookup(const char *word, size_t len)
{
    return lg_slot(word, len, lg_hash(word, len))->mask;
}

/* True if w ends with one of the endings of e. */
static bool lg_ends_any(const char *w, size_t len, const struct lg_ends *e)
{
    if (len == 0) {
        return false;
    }
    uint64_t last = lg_last8(w, len);
    unsigned char b = (unsigned char)w[len - 1];
    for (size_t i = e->from[b]; i < e->from[b + 1]; i++) {
        size_t n = e->len[i];
        if (n <= len && (last & e->mask[i]) == e->key[i] &&
            (n <= 8 || memcmp(w + len - n, e->str[i], n - 8) == 0)) {
            return true;
        }
    }
    return false;
}

static const char *const lg_ru_end_list[] = {
    "ть",  "ться", "ся",   "сь", "ет",  "ют",  "ят",  "ит",  "ого",  "его",
    "ому", "ему",  "ый",   "ий", "ой",  "ая",  "яя",  "ое",  "ее",   "ые",
    "ие",  "ую",   "ых",   "их", "ами", "ями", "ешь", "ишь", "ство", "ция",
    "ции", "ение", "ания", "ку", "ки",  "ов",  "ев",  "ом",  "ем",
};

static const char *const lg_kk_end_list[] = {
    "мыз", "миз", "ныз",  "низ",  "сыз",  "сиз",  "лар",  "ып",   "ип",     "айды",   "ейди",
    "йды", "йди", "ынан", "инен", "ында", "инде", "ымыз", "имиз", "ныздар", "низдер",
};

static void lg_add_ends(void)
{
    lg_ends_init(&lg_ru_ends, lg_ru_end_list, sizeof(lg_ru_end_list) / sizeof(lg_ru_end_list[0]));
    lg_ends_init(&lg_kk_ends, lg_kk_end_list, sizeof(lg_kk_end_list) / sizeof(lg_kk_end_list[0]));
}

/* A Cyrillic word (no Kazakh letters) that looks Russian: ь ъ э щ (ru_letter, found by
 * lg_is_cyrillic_word()), or a Russian ending on a word of at least 4 letters (8 bytes). */
static bool lg_russian_shape(const char *w, size_t len, bool ru_letter)
{
    return ru_letter || (len >= 8 && lg_ends_any(w, len, &lg_ru_ends));
}

/* A Cyrillic word (no Kazakh letters) with a Kazakh suffix, as typed with Russian letters. */
static bool lg_kazakh_shape(const char *w, size_t len)
{
    return len >= 10 && lg_ends_any(w, len, &lg_kk_ends);
}

/* Kazakh Latin letters (ä ö ü ğ ı ń ñ ş ū ó ý á ú ǵ), or q not followed by u. */
static bool lg_kazakh_latin_shape(const char *w, size_t len)
{
    static const char *const letters[] = {"ä", "ö", "ü", "ğ", "ı", "ń", "ñ",
                                          "ş", "ū", "ó", "ý", "á", "ú", "ǵ"};
    bool ascii = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)w[i];
        ascii = ascii && c < 0x80;
        if (c == 'q' && w[i + 1] != 'u') {
            return true;
        }
    }
    for (size_t i = 0; !ascii && i < sizeof(letters) / sizeof(letters[0]); i++) {
        if (strstr(w, letters[i]) != NULL) {
            return true;
        }
    }
    return false;
}

/* Evidence counted over the words of one text. */
struct lg_votes {
    unsigned cyr_words, lat_words;
    unsigned kk_letters; /* Cyrillic words with a Kazakh letter */
    unsigned kk, ru;     /* other Cyrillic words that look Kazakh / Russian */
    unsigned ru_func;    /* of ru: Russian function words, the strongest Russian sign */
    unsigned en, ru_lat, kk_lat;
};

/* The script of a word by its lead bytes: true for Cyrillic. *ru_letter tells whether it
 * holds one of ь ъ э щ (D1 8C, D1 8A, D1 8D, D1 89). */
static bool lg_is_cyrillic_word(const char *w, size_t len, bool *has_letter, bool *ru_letter)
{
    unsigned cyr = 0, lat = 0;
    bool ru = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c >= 0xD0 && c <= 0xD4) {
            cyr++;
            unsigned char b = i + 1 < len ? (unsigned char)w[i + 1] : 0;
            ru = ru || (c == 0xD1 && (b == 0x8C || b == 0x8A || b == 0x8D || b == 0x89));
        } else if ((c >= 'a' && c <= 'z') || (c >= 0xC3 && c <= 0xC9)) {
            lat++;
        }
    }
    *has_letter = cyr + lat > 0;
    *ru_letter = ru;
    return cyr > lat;
}

static void lg_vote(struct lg_votes *v, const struct km_norm_token *tok)
{
    bool letter = false, ru_letter = false;
    bool cyr = lg_is_cyrillic_word(tok->text, tok->len, &letter, &ru_letter);
    if (!letter) {
        return;
    }
    unsigned mask = lg_lookup(tok->text, tok->len);
    if (cyr) {
        v->cyr_words++;
        if (tok->loose != tok->text && strcmp(tok->loose, tok->text) != 0) {
            v->kk_letters++;
            return;
        }
        bool ru = (mask & LG_RU) || lg_russian_shape(tok->text, tok->len, ru_letter);
        bool kk = (mask & LG_KK) || lg_kazakh_shape(tok->text, tok->len);
        if (kk && !ru) {
            v->kk++;
        } else if (ru && !kk) {
            v->ru++;
            v->ru_func += (mask & LG_RU) != 0;
        }
        return;
    }
    v->lat_words++;
    bool kk_lat = (mask & LG_KK_LAT) || lg_kazakh_latin_shape(tok->text, tok->len);
    v->en += (mask & LG_EN) != 0 && !kk_lat;
    v->ru_lat += (mask & LG_RU_LAT) != 0 && (mask & LG_EN) == 0;
    v->kk_lat += kk_lat && (mask & LG_EN) == 0;
}

/* Mostly Latin letters: English unless transliterated Russian or Kazakh dominates, or a
 * good share of Cyrillic words is mixed in. */
static enum km_lang lg_decide_latin(const struct km_norm_text *t, const struct lg_votes *v)
{
    if ((v->ru_lat >= 2 && v->ru_lat > v->en) || (v->kk_lat >= 2 && v->kk_lat > v->en)) {
        return KM_LANG_MIXED;
    }
    if (v->cyr_words >= 2 && t->cyrillic * 4 >= t->n_letters) {
        return KM_LANG_MIXED;
    }
    return KM_LANG_EN;
}

/* Mostly Cyrillic. Kazakh street and place names are common in Russian posts, so a few
 * Kazakh words do not make a text Kazakh: both languages need a real share for "mixed". */
static enum km_lang lg_decide_cyrillic(const struct km_norm_text *t, const struct lg_votes *v)
{
    unsigned k = v->kk_letters + v->kk, r = v->ru, words = v->cyr_words;
    if (v->en >= 2 && t->latin * 4 >= t->n_letters) {
        return KM_LANG_MIXED; /* English-Russian or English-Kazakh */
    }
    if (v->kk_letters == 0) {
        /* Kazakh typed with Russian letters only, alone or mixed with Russian */
        return v->kk >= 2 && v->kk * 100 >= 30 * words ? KM_LANG_MIXED : KM_LANG_RU;
    }
    if (r >= 3 && k >= 3 && r * 100 >= 15 * words && k * 100 >= 25 * words) {
        return KM_LANG_MIXED;
    }
    /* Russian function words (в, на, и, уже) hardly occur in Kazakh: they weigh double. */
    return k > r + v->ru_func ? KM_LANG_KK : KM_LANG_RU;
}

enum km_lang km_lang_guess(const struct km_norm_text *t)
{
    if (t == NULL || t->n_letters < 2) {
        return KM_LANG_UNKNOWN;
    }
    pthread_once(&lg_once, lg_init);
    struct lg_votes v = {0};
    for (size_t i = 0; i < t->n_tokens; i++) {
        if (!t->tokens[i].hashtag) {
            lg_vote(&v, &t->tokens[i]);
        }
    }
    if (v.cyr_words + v.lat_words == 0) {
        return KM_LANG_UNKNOWN;
    }
    return t->latin > t->cyrillic ? lg_decide_latin(t, &v) : lg_decide_cyrillic(t, &v);
}

bool km_lang_english_word(const char *w, size_t len)
{
    pthread_once(&lg_once, lg_init);
    unsigned mask = lg_lookup(w, len);
    return (mask & LG_EN) != 0 && (mask & (LG_RU_LAT | LG_KK_LAT)) == 0;
}

const char *km_lang_code(enum km_lang lang)
{
    switch (lang) {
    case KM_LANG_RU:
        return "ru";
    case KM_LANG_KK:
        return "kk";
    case KM_LANG_EN:
        return "en";
    case KM_LANG_MIXED:
        return "mixed";
    default:
        return "unknown";
    }
}

enum km_lang km_lang_from_code(const char *code)
{
    static const enum km_lang all[] = {KM_LANG_RU, KM_LANG_KK, KM_LANG_EN, KM_LANG_MIXED};
    for (size_t i = 0; code != NULL && i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcasecmp(code, km_lang_code(all[i])) == 0) {
            return all[i];
        }
    }
    return KM_LANG_UNKNOWN;
}
