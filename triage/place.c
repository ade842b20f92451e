/* Addresses in a post's text (see place.h). Street words are compared in their
 * Kazakh-folded "loose" form, Latin ones also transliterated to Cyrillic, so the lists
 * below are Cyrillic with a few English words. */
#include "triage/place.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* A street word of fewer letters is a preposition or an abbreviation, not a name. */
#define PL_MIN_STREET 3
/* Street-type words skipped between the street name and the number. */
#define PL_MAX_SKIP 2
/* Bytes of a transliterated word. */
#define PL_WORD_MAX 64

/* Words that stand between a street name and its number. */
static const char *const pl_street_types[] = {
    "ул",        "улица", "улице",  "улицы",     "пр",          "проспект", "проспекте",
    "проспекта", "пр-т",  "кошеси", "кошесинде", "кошесиндеги", "дангылы",  "ave",
    "avenue",    "st",    "street", "str",       "дом",         "дома",     "доме",
    "домом",     "д",     "уй",     "уйи",       "уйинде",      "house",    "батыр",
    "батыра",    "хан",   "хана",   "би",        "batyr",       "khan",     "bldg",
    "bld",       "building", NULL};

/* House words: after one ("напротив дома 12") the street may stand a few words back. */
static const char *const pl_house_words[] = {"дом",   "дома",  "доме",   "домом",    "д",
                                             "уй",    "уйи",   "уйинде", "house",    "bldg",
                                             "bld",   "building", NULL};

/* Street types that follow a name and follow nothing else ("Богенбай батыра", "Сарыарқа
 * көшесі"): the name may be written in lower case. */
static const char *const pl_after_name[] = {
    "батыр",        "батыра",    "батыры",      "кошеси",         "кошесинде",
    "кошесиндеги",  "кошесине",  "кошесимен",   "дангылы",        "дангылында",
    "дангылындагы", "batyr",     "шагынауданы", "шагынауданында", "шагынауданындагы",
    "дангылынын",   "кошесинин", NULL};

/* Street types that follow a name, which must then be capitalised ("Kunayev st", not "the
 * whole street"; "Кенесары қиылысында", the crossing of Kenesary, not "жаяу жүргіншілер
 * қиылысы", a pedestrian crossing). */
static const char *const pl_after_capital[] = {
    "st",         "street",       "ave",        "avenue",    "str", "киылысы",
    "киылысында", "киылысындагы", "киылысынан", "киылысына", NULL};

/* Kazakh postpositions of place after a capitalised name ("Магнум артындағы", "behind
 * Magnum"); a common noun before them takes the genitive ("үйдің артында"), a name often
 * not. */
static const char *const pl_postpos[] = {"артында", "артындагы", "жанында", "жанындагы",
                                         "манында", "манындагы", "касында", "касындагы",
                                         "алдында", "алдындагы", NULL};

/* Kazakh genitive endings (loose form): "үйдің артында" is behind a house, no name. */
static const char *const pl_genitive[] = {"нын", "нин", "дын", "дин", "тын", "тин", NULL};

/* Capitalised words that open a post with a comma without naming a place: vocatives,
 * greetings and interjections ("Люди, помогите"), not "Коктал, нет света". */
static const char *const pl_not_heading[] = {"люди",          "народ",         "ребята",
                                             "друзья",        "граждане",      "жители",
                                             "соседи",        "здравствуйте",  "привет",
                                             "спасибо",       "срочно",        "внимание",
                                             "пожалуйста",    "помогите",      "извините",
                                             "уважаемые",     "короче",        "кстати",
                                             "вообще",        "блин",          "слушайте",
                                             "честно",        "сегодня",       "вчера",
                                             "опять",         "снова",         "итак",
                                             "ладно",         "сәлем",         "салем",
                                             "салеметсиздер", "сәлеметсіздер", "рахмет",
                                             "ракмет",        "агайын",        "халык",
                                             "достар",        "комектесиндер", "комектесиниздер",
                                             "жедел",         "тагы",          "hello",
                                             "guys",          "folks",         "please",
                                             "update",        "sorry",         "again",
                                             "thanks",        "today",         "yesterday",
                                             "urgent",        "help",          "well",
                                             "also",          "upd",           "обновление",
                                             "репост",        "repost",        NULL};

/* Place types after a name that are not streets ("Триатлон саябағы", "Central Park"), and
 * villages by the city ("Талапкер ауылы", "Қоянды ауылындағы"). */
static const char *const pl_landmarks[] = {"саябак",       "саябагы",  "саябагынын", "саябагында",
                                           "саябагындагы", "park",     "ауылы",      "ауылында",
                                           "ауылындагы",   "ауылынын", NULL};

/* Landmarks known by an abbreviation in capitals ("у ЦУМа", "by TSUM", "возле ЭКСПО"): a place
 * after a preposition, while other capitals ("в КСК", "в ЦОН") are offices, not places. */
static const char *const pl_caps_places[] = {"цум",  "цума", "цуме",  "цумом", "цуму",  "гум",
                                             "гума", "гуме", "гумом", "гуму",  "экспо", NULL};

/* The city's landmarks, each one place under every spelling (see pl_landmark_of()): the
 * start of a word's loose form (a Latin word transliterated first) and how many letters
 * may follow it (case endings: "Байтерека", "Бәйтеректің", "Хан Шатырдың", "Астана
 * Аренасы"); cap: the word must be capitalised ("Мега", not "мега круто"); after: the word
 * just before it ("Хан Шатыр": "шатыр" alone is a roof). The key is the place's key. */
struct pl_landmark {
    const char *stem;
    const char *key;
    unsigned char max_end;
    bool cap;
    const char *after;
};

static const struct pl_landmark pl_landmark_list[] = {
    {"шатыр", "@ханшатыр", 5, false, "хан"},   {"байтерек", "@байтерек", 5, false, NULL},
    {"баитерек", "@байтерек", 5, false, NULL}, {"баытерек", "@байтерек", 5, false, NULL},
    {"бейтерек", "@байтерек", 5, false, NULL}, {"мега", "@мега", 0, true, NULL},
    {"меги", "@мега", 0, true, NULL},          {"меге", "@мега", 0, true, NULL},
    {"мегу", "@мега", 0, true, NULL},          {"мегой", "@мега", 0, true, NULL},
    {"керуен", "@керуен", 5, false, NULL},     {"экспо", "@экспо", 5, false, NULL},
    {"експо", "@экспо", 5, false, NULL},       {"арена", "@арена", 7, true, NULL},
    {"арены", "@арена", 0, true, NULL},        {"арене", "@арена", 0, true, NULL},
    {"арену", "@арена", 0, true, NULL},        {"ареной", "@арена", 0, true, NULL},
    {"shatyr", "@ханшатыр", 3, false, "khan"}, {"baiterek", "@байтерек", 2, false, NULL},
    {"bayterek", "@байтерек", 2, false, NULL}, {"mega", "@мега", 0, true, NULL},
    {"keruen", "@керуен", 2, false, NULL},     {"expo", "@экспо", 0, false, NULL},
    {"arena", "@арена", 0, true, NULL},
    /* Kazakh cases of "Мега" spelt out: "Мега" + any 3 letters would be "Мегафон" */
    {"мегада", "@мега", 3, true, NULL},        {"меганын", "@мега", 0, true, NULL},
    {"мегага", "@мега", 0, true, NULL},
};
#define PL_N_LANDMARKS (sizeof(pl_landmark_list) / sizeof(pl_landmark_list[0]))

/* Words of a landmark's longer name after its key word, which name nothing on their own
 * ("Мега Силк Уэй жанында", "Mega Silk Way"). */
static const char *const pl_landmark_tail[] = {"силк", "уэй", "вэй", "силкуэй", "silk", "way",
                                               NULL};

/* Prepositions of place before a name ("на Сарыарке", "возле Триатлон парка"; "Forwarded
 * from Өндіріс ата-аналар чаты": a chat is named for its district). */
static const char *const pl_preps[] = {
    "на", "в",  "во", "у",    "возле", "около",  "напротив", "рядом", "за",   "под",
    "по", "on", "at", "near", "in",    "behind", "along",    "by",    "from",
    "across", "around", NULL};

/* Capitalised words after a preposition that name no place in the city ("в Астане"). */
static const char *const pl_not_place[] = {
    "астана",   "астане",    "астаны",     "астану",     "astana",      "елорда",    "елорде",
    "елордада", "казахстан", "казахстане", "kazakhstan", "telegram",    "instagram", "whatsapp",
    "kaspi",    "сети",      "астанада",   "астанадагы", "казакстанда", NULL};

/* Street types that precede a capitalised name ("улица Кенесары"). */
static const char *const pl_before_name[] = {"ул",        "улица",    "улице",     "улицы",
                                             "улицу",     "проспект", "проспекте", "проспекта",
                                             "проспекту", NULL};

/* Words that precede numbers without being streets. */
static const char *const pl_not_street[] = {
    "уже",   "через",    "около",   "более", "менее", "всего",   "почти",   "примерно", "после",
    "номер", "было",     "сейчас",  "там",   "это",   "где",     "еще",     "только",   "всех",
    "кв",    "квартира", "подъезд", "этаж",  "блок",  "сагат",   "about",   "since",    "for",
    "the",   "after",    "only",    "over",  "under", "until",   "than",    "flat",     "apt",
    "floor", "at",       "on",      "in",    "bus",   "маршрут", "багыт",   "route",    "напротив",
    "возле", "рядом",    "near",    "by",    "and",   "with",    "between", "block",    "между",
    "голов", "штук",     "человек", NULL};

/* Word starts that make the preceding number a count, a time or a date. */
static const char *const pl_units[] = {
    "дн",     "мин",    "час",     "сут",  "градус", "этаж",  "тенге",  "человек", "люд",
    "числ",   "кабат",  "сагат",   "янв",  "фев",    "март",  "апр",    "мая",     "июн",
    "июл",    "авг",    "сент",    "окт",  "нояб",   "декаб", "day",    "min",     "hour",
    "floor",  "people", "degree",  "year", "week",   "недел", "месяц",  "метр",    "литр",
    "жаст",   "жасар",  "автобус", "звон", "позвон", "call",  "тел",    "phone",   "опер",
    "давлен", "багыт",  "машин",   "школ", "гимназ", "лицей", "мектеп", "school",  "квартир",
    "штук",   "guy",    "stop",    "lane", "time",   "tenge", "жылы",   NULL};

/* Emergency and city service numbers, called far more often than such houses are named. */
static const char *const pl_service[] = {"101", "102", "103", "104", "109", "112", NULL};

/* Units that are whole words (too short or too ambiguous to match as starts: "разбит",
 * "жылу", "место" are what an address is followed by). */
static const char *const pl_unit_words[] = {
    "м",    "км",  "см",  "мм",   "кг",  "kg",  "тг",     "h",    "am",     "pm",   "ч",  "раз",
    "раза", "лет", "год", "года", "жыл", "кун", "куннен", "утра", "вечера", "ночи", "ай",
    "outside", NULL};

/* Words that join two numbers into a range or a pair ("между 7 и 8 этажом"). */
static const char *const pl_and[] = {"и", "или", "мен", "бен", "пен", "and", "or", NULL};

/* Kazakh locative endings ("Көкталда", "Есілде"). */
static const char *const pl_locative[] = {"да",   "де",   "та",   "те", "дагы",
                                          "деги", "тагы", "теги", NULL};

/* Common Kazakh nouns in the locative, capitalised at a sentence start ("Көшеде жарық
 * жоқ"), and Russian adverbs with the same endings, which name no place. */
static const char *const pl_not_locative[] = {"кошеде",    "ауладагы", "подъездте",   "подъездде",
                                              "патерде",   "уйимизде", "мектепте",    "каладагы",
                                              "калада",    "ауданда",  "ауданымызда", "жолда",
                                              "аялдамада", "кешке",    "ишинде",
                                              /* Russian adverbs that end alike */
                                              "когда",     "тогда",    "всегда",      "иногда",
                                              "никогда",   "везде",    "нигде",       "отсюда",
                                              "оттуда",    NULL};

/* w is in list. */
static bool pl_listed(const char *const *list, const char *w)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(list[i], w) == 0) {
            return true;
        }
    }
    return false;
}

static bool pl_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t pl_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* 1-4 digits, no leading zero, then at most one letter. */
static bool pl_house_shape(const char *w)
{
    size_t d = 0;
    while (pl_digit(w[d])) {
        d++;
    }
    return d >= 1 && d <= 4 && w[0] != '0' && pl_chars(w + d) <= 1 &&
           (w[d] == '\0' || !pl_digit(w[d]));
}

static bool pl_all_letters(const char *w)
{
    for (; *w != '\0'; w++) {
        if (pl_digit(*w) || *w == '-') {
            return false;
        }
    }
    return true;
}

/* Latin -> Cyrillic for the word lists ("uzhe 4 dnya" is Russian typed in Latin). */
static void pl_translit(const char *w, char *out, size_t cap)
{
    static const struct {
        const char *from, *to;
        size_t len;
    } di[] = {{"shch", "щ", 4}, {"zh", "ж", 2}, {"kh", "х", 2}, {"ch", "ч", 2}, {"sh", "ш", 2},
              {"ts", "ц", 2},   {"ya", "я", 2}, {"yu", "ю", 2}, {"yo", "е", 2}};
    static const char *const one[26] = {"а", "б", "к", "д", "е", "ф",  "г", "х", "и",
                                        "ж", "к", "л", "м", "н", "о",  "п", "к", "р",
                                        "с", "т", "у", "в", "у", "кс", "ы", "з"};
    size_t n = 0;
    out[0] = '\0';
    while (*w != '\0') {
        const char *cy = "";
        size_t used = 1;
        for (size_t k = 0; k < sizeof(di) / sizeof(di[0]); k++) {
            if (w[0] == di[k].from[0] && strncmp(w, di[k].from, di[k].len) == 0) {
                cy = di[k].to;
                used = di[k].len;
                break;
            }
        }
        if (used == 1 && *w >= 'a' && *w <= 'z') {
            cy = one[*w - 'a'];
        }
        size_t clen = strlen(cy);
        if (n + clen + 1 > cap) {
            break;
        }
        memcpy(out + n, cy, clen + 1);
        n += clen;
        w += used;
    }
}

static bool pl_is_latin(const char *w)
{
    for (; *w != '\0'; w++) {
        if ((unsigned char)*w >= 0x80) {
            return false;
        }
    }
    return true;
}

/* Every word list above in one small hash set, word -> the PL_W_* lists it is on (each
 * token is looked up; scanning the lists per token would cost more than the rest of the
 * triage). Built once. Unit starts (pl_units) are looked up by the token's prefixes. */
enum {
    PL_W_AFTER_NAME = 1 << 0,    /* pl_after_name, pl_landmarks */
    PL_W_AFTER_CAPITAL = 1 << 1, /* pl_after_capital */
    PL_W_BEFORE_NAME = 1 << 2,   /* pl_before_name */
    PL_W_PREP = 1 << 3,          /* pl_preps */
    PL_W_STREET_TYPE = 1 << 4,   /* pl_street_types */
    PL_W_HOUSE = 1 << 5,         /* pl_house_words */
    PL_W_NOT_STREET = 1 << 6,    /* pl_not_street */
    PL_W_UNIT = 1 << 7,          /* pl_units (starts) */
    PL_W_UNIT_WORD = 1 << 8,     /* pl_unit_words */
    PL_W_AND = 1 << 9,           /* pl_and */
    PL_W_NOT_PLACE = 1 << 10,    /* pl_not_place, pl_not_locative */
    PL_W_POSTPOS = 1 << 11,      /* pl_postpos */
    PL_W_NOT_HEADING = 1 << 12,  /* pl_not_heading */
    PL_W_CAPS_PLACE = 1 << 13,   /* pl_caps_places */
    PL_W_LANDMARK = 1 << 14,     /* pl_landmark_list stems (starts) */
    PL_W_LANDMARK_TAIL = 1 << 15, /* pl_landmark_tail */
};
#define PL_SLOTS      1024 /* a power of two, over twice the words of the lists */
#define PL_BLOOM_BITS 4096 /* a power of two */
/* Longest unit start, in bytes. */
#define PL_UNIT_MAX 16

struct pl_slot {
    const char *word;
    size_t len;
    unsigned mask;
    unsigned landmark; /* with PL_W_LANDMARK: its index in pl_landmark_list */
};

static struct pl_slot pl_set[PL_SLOTS];
/* A filter in front of the set: a bit per (first two bytes, length) of its words, so most
 * tokens are turned away without hashing. */
static uint64_t pl_bloom[PL_BLOOM_BITS / 64];
static uint64_t pl_bloom_after[PL_BLOOM_BITS / 64]; /* the same for PL_W_AFTER_NAME words */
static uint32_t pl_unit_lens;                       /* bit k: a unit start of k bytes */
static uint32_t pl_landmark_lens;                   /* bit k: a landmark stem of k bytes */
/* A filter of the landmark stems' first 4 bytes (two Cyrillic letters, four Latin), so that
 * nearly every token is turned away by one bit. */
#define PL_FIRST_BITS 1024
static uint64_t pl_landmark_first[PL_FIRST_BITS / 64];
static pthread_once_t pl_once = PTHREAD_ONCE_INIT;

static size_t pl_bloom_bit(const char *w, size_t len)
{
    unsigned b0 = (unsigned char)w[0], b1 = len > 1 ? (unsigned char)w[1] : 0;
    return (b0 * 131u + b1 * 31u + (unsigned)len) & (PL_BLOOM_BITS - 1);
}

static bool pl_bloom_has(const char *w, size_t len)
{
    size_t bit = pl_bloom_bit(w, len);
    return (pl_bloom[bit / 64] >> (bit % 64) & 1) != 0;
}

static struct pl_slot *pl_slot_of(const char *w, size_t len)
{
    for (size_t i = XXH3_64bits(w, len) & (PL_SLOTS - 1);; i = (i + 1) & (PL_SLOTS - 1)) {
        struct pl_slot *s = &pl_set[i];
        if (s->word == NULL || (s->len == len && memcmp(s->word, w, len) == 0)) {
            return s;
        }
    }
}

static void pl_set_add(const char *const *list, unsigned mask)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        size_t len = strlen(list[i]), bit = pl_bloom_bit(list[i], len);
        struct pl_slot *s = pl_slot_of(list[i], len);
        *s = (struct pl_slot){list[i], len, s->mask | mask, s->landmark};
        pl_bloom[bit / 64] |= 1ull << (bit % 64);
        pl_bloom_after[bit / 64] |= (mask & PL_W_AFTER_NAME) ? 1ull << (bit % 64) : 0;
        pl_unit_lens |= (mask & PL_W_UNIT) && len <= PL_UNIT_MAX ? 1u << len : 0;
    }
}

/* The bit of the first 4 bytes of w (at least 4 long) in pl_landmark_first. */
static size_t pl_first_bit(const char *w)
{
    const unsigned char *u = (const unsigned char *)w;
    return (((u[0] * 131u + u[1]) * 131u + u[2]) * 131u + u[3]) & (PL_FIRST_BITS - 1);
}

static void pl_set_init(void)
{
    pl_set_add(pl_after_name, PL_W_AFTER_NAME);
    pl_set_add(pl_landmarks, PL_W_AFTER_NAME);
    pl_set_add(pl_after_capital, PL_W_AFTER_CAPITAL);
    pl_set_add(pl_before_name, PL_W_BEFORE_NAME);
    pl_set_add(pl_preps, PL_W_PREP);
    pl_set_add(pl_street_types, PL_W_STREET_TYPE);
    pl_set_add(pl_house_words, PL_W_HOUSE);
    pl_set_add(pl_not_street, PL_W_NOT_STREET);
    pl_set_add(pl_units, PL_W_UNIT);
    pl_set_add(pl_unit_words, PL_W_UNIT_WORD);
    pl_set_add(pl_and, PL_W_AND);
    pl_set_add(pl_not_place, PL_W_NOT_PLACE);
    pl_set_add(pl_not_locative, PL_W_NOT_PLACE);
    pl_set_add(pl_postpos, PL_W_POSTPOS);
    pl_set_add(pl_not_heading, PL_W_NOT_HEADING);
    pl_set_add(pl_caps_places, PL_W_CAPS_PLACE);
    pl_set_add(pl_landmark_tail, PL_W_LANDMARK_TAIL);
    for (size_t i = 0; i < PL_N_LANDMARKS; i++) {
        const char *stem[] = {pl_landmark_list[i].stem, NULL};
        size_t len = strlen(stem[0]);
        pl_set_add(stem, PL_W_LANDMARK);
        pl_slot_of(stem[0], len)->landmark = (unsigned)i;
        pl_landmark_lens |= 1u << len;
        pl_landmark_first[pl_first_bit(stem[0]) / 64] |= 1ull << (pl_first_bit(stem[0]) % 64);
    }
}

/* The landmark whose stem starts loose form w with at most its max_end letters after it,
 * or NULL: looked up by w's starts of the stems' lengths, as units are. */
static const struct pl_landmark *pl_landmark_of(const char *w)
{
    if (w[0] == '\0' || w[1] == '\0' || w[2] == '\0' || w[3] == '\0' ||
        !(pl_landmark_first[pl_first_bit(w) / 64] >> (pl_first_bit(w) % 64) & 1)) {
        return NULL;
    }
    size_t len = strlen(w);
    for (size_t k = 4; k <= len && k < 32; k++) {
        if ((pl_landmark_lens >> k & 1) && (k == len || ((unsigned char)w[k] & 0xC0) != 0x80) &&
            pl_bloom_has(w, k)) {
            const struct pl_slot *s = pl_slot_of(w, k);
            const struct pl_landmark *e = &pl_landmark_list[s->landmark];
            if (s->word != NULL && (s->mask & PL_W_LANDMARK) && pl_chars(w + k) <= e->max_end) {
                return e;
            }
        }
    }
    return NULL;
}

/* The landmark token i of nt names, its word before it as the landmark asks ("Хан
 * Шатыра"), or NULL. Capitals are not checked (see pl_landmark_at()). */
static const struct pl_landmark *pl_landmark_token(const struct km_norm_text *nt, size_t i)
{
    const struct km_norm_token *t = &nt->tokens[i];
    const struct pl_landmark *e = t->hashtag ? NULL : pl_landmark_of(t->loose);
    if (e != NULL && e->after != NULL &&
        (i == 0 || t->clause || strcmp(nt->tokens[i - 1].loose, e->after) != 0)) {
        return NULL;
    }
    return e;
}

/* The lists word w is on; with unit, also PL_W_UNIT when a unit starts it. */
static unsigned pl_mask(const char *w, bool unit)
{
    size_t len = strlen(w);
    unsigned mask = pl_bloom_has(w, len) ? pl_slot_of(w, len)->mask & ~(unsigned)PL_W_UNIT : 0;
    for (size_t k = 1; unit && k <= len && k <= PL_UNIT_MAX; k++) {
        if ((pl_unit_lens >> k & 1) && (k == len || ((unsigned char)w[k] & 0xC0) != 0x80) &&
            pl_bloom_has(w, k)) {
            mask |= pl_slot_of(w, k)->mask & PL_W_UNIT;
        }
    }
    return mask;
}

/* The lists token t is on: its loose form's, or for a Latin word also its
 * transliteration's ("uzhe 4 dnya" is Russian typed in Latin); unit as for pl_mask(). */
static unsigned pl_token_mask(const struct km_norm_token *t, bool unit)
{
    unsigned mask = pl_mask(t->loose, unit);
    if (pl_is_latin(t->loose)) {
        char cy[PL_WORD_MAX];
        pl_translit(t->loose, cy, sizeof(cy));
        mask |= pl_mask(cy, unit);
    }
    return mask;
}

/* The lists of each token of the post km_place_find() is reading, as they are asked for:
 * the tests below ask about one token many times. Set for the call only (one per thread). */
#define PL_MEMO_TOKENS 256
#define PL_MEMO_KNOWN  (1u << 31)
static _Thread_local struct {
    const struct km_norm_token *tokens; /* NULL outside km_place_find() */
    size_t n;
    unsigned mask[PL_MEMO_TOKENS]; /* pl_token_mask(t, true) | PL_MEMO_KNOWN, or 0 */
} pl_memo;

/* Token t is on one of the lists of bits. */
static bool pl_is(const struct km_norm_token *t, unsigned bits)
{
    if (pl_memo.tokens == NULL || t < pl_memo.tokens || t >= pl_memo.tokens + pl_memo.n) {
        return (pl_token_mask(t, (bits & PL_W_UNIT) != 0) & bits) != 0;
    }
    size_t i = (size_t)(t - pl_memo.tokens);
    if (pl_memo.mask[i] == 0) {
        pl_memo.mask[i] = pl_token_mask(t, true) | PL_MEMO_KNOWN;
    }
    return (pl_memo.mask[i] & bits) != 0;
}

/* Only spaces, dashes and brackets in text[a..b): two numbers so joined are one phone
 * number or range. */
static bool pl_numeric_gap(const char *text, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++) {
        if (strchr(" -()", text[i]) == NULL) {
            return false;
        }
    }
    return true;
}

/* after is "/N" with N of 1-3 digits not starting with 0 and no further number part: the
 * building of a house ("Құдайбердіұлы 17/1", "Абылай хана 5/2"), not a date ("12/03",
 * "1/2/2024") nor a fraction ("0.5"). Its house is the number before the slash. */
static bool pl_building_suffix(const char *after)
{
    if (after[0] != '/' || after[1] == '0') {
        return false;
    }
    size_t d = 0;
    while (d < 4 && pl_digit(after[1 + d])) {
        d++;
    }
    const char *rest = after + 1 + d;
    return d >= 1 && d <= 3 &&
           !(rest[0] != '\0' && strchr("/.,:", rest[0]) != NULL && pl_digit(rest[1]));
}

/* The original text around token i rules out a house number: sign, time ("8:40", not
 * "Иманова 19: ..."), decimal, degree, percent, or a neighbouring number (phone). A
 * building after a slash ("17/1") keeps its house number. */
static bool pl_numeric_context(const char *text, const struct km_norm_text *nt, size_t i)
{
    const struct km_norm_token *t = &nt->tokens[i];
    char before = t->start > 0 ? text[t->start - 1] : ' ';
    const char *after = text + t->end;
    if (strchr("+-:.,/", before) != NULL ||
        strncmp(text + (t->start >= 3 ? t->start - 3 : 0), "\xE2\x88\x92", 3) == 0) {
        return true;
    }
    if ((after[0] == ':' && pl_digit(after[1])) || after[0] == '%' ||
        strncmp(after, "\xC2\xB0", 2) == 0 || strncmp(after, " \xC2\xB0", 3) == 0 ||
        ((after[0] == '.' || after[0] == ',' || after[0] == '/') && pl_digit(after[1]) &&
         !pl_building_suffix(after))) {
        return true;
    }
    const struct km_norm_token *prev = i > 0 ? &nt->tokens[i - 1] : NULL;
    const struct km_norm_token *next = i + 1 < nt->n_tokens ? &nt->tokens[i + 1] : NULL;
    if (next != NULL && i + 2 < nt->n_tokens && (pl_mask(next->loose, false) & PL_W_AND) &&
        pl_digit(nt->tokens[i + 2].text[0])) {
        return true; /* "7 и 8", "7 мен 8" */
    }
    return (prev != NULL && pl_digit(prev->text[0]) && pl_numeric_gap(text, prev->end, t->start)) ||
           (next != NULL && pl_digit(next->text[0]) && pl_numeric_gap(text, t->end, next->start));
}

/* Token t starts with a capital letter in the original text. */
static bool pl_capital(const char *text, const struct km_norm_token *t)
{
    const unsigned char *o = (const unsigned char *)text + t->start;
    return (o[0] >= 'A' && o[0] <= 'Z') || (o[0] == 0xD0 && o[1] <= 0xAF) ||
           ((o[0] == 0xD2 || o[0] == 0xD3) && o[1] % 2 == 0); /* Ә Ғ Қ Ң Ө Ұ Ү Һ */
}

/* Token j can be a street name: a word of letters, not a listed non-name nor a unit ("лет
 * 8" is an age). */
static bool pl_name_word(const struct km_norm_text *nt, size_t j)
{
    const struct km_norm_token *t = &nt->tokens[j];
    return !t->hashtag && pl_chars(t->loose) >= PL_MIN_STREET && pl_all_letters(t->loose) &&
           !pl_is(t, PL_W_NOT_STREET | PL_W_STREET_TYPE) && !pl_is(t, PL_W_UNIT | PL_W_UNIT_WORD);
}

/* Index of the microdistrict number before a microdistrict word at j, or SIZE_MAX. */
static size_t pl_mkr_number(const struct km_norm_text *nt, size_t j)
{
    const char *w = nt->tokens[j].loose;
    size_t k = j;
    if (strcmp(w, "аудан") == 0 && k > 0 && strcmp(nt->tokens[k - 1].loose, "шагын") == 0) {
        k--;
    } else if (strcmp(w, "мкр") != 0 && strncmp(w, "микрорайон", strlen("микрор")) != 0) {
        return SIZE_MAX;
    }
    return k > 0 && pl_house_shape(nt->tokens[k - 1].text) ? k - 1 : SIZE_MAX;
}

/* After a house word: the nearest capitalised name up to KM_PLACE_LOOKBACK tokens before
 * token j, in the same clause ("на Сарыарке у остановки напротив дома 12"), or SIZE_MAX. */
static size_t pl_lookback(const char *text, const struct km_norm_text *nt, size_t j)
{
    for (size_t k = j; k > 0 && j - k < KM_PLACE_LOOKBACK; k--) {
        if (nt->tokens[k].clause || nt->tokens[k - 1].hashtag) {
            break;
        }
        if (pl_capital(text, &nt->tokens[k - 1]) && pl_name_word(nt, k - 1)) {
            return k - 1;
        }
    }
    return SIZE_MAX;
}

/* The street of the number at i into r (street, n_street, kind); false if there is none.
 * A house word after the number ("на Сейфуллина у 27 дома") looks back as one before it. */
static bool pl_street_of(const char *text, const struct km_norm_text *nt, size_t i,
                         struct km_place_ref *r)
{
    size_t j = i, skipped = 0;
    bool house = i + 1 < nt->n_tokens && !nt->tokens[i + 1].hashtag && !nt->tokens[i + 1].clause &&
                 pl_is(&nt->tokens[i + 1], PL_W_HOUSE);
    while (j > 0 && skipped <= PL_MAX_SKIP && !nt->tokens[j - 1].hashtag &&
           pl_is(&nt->tokens[j - 1], PL_W_STREET_TYPE)) {
        house = house || pl_is(&nt->tokens[j - 1], PL_W_HOUSE);
        j--;
        skipped++;
    }
    if (j == 0 || nt->tokens[j - 1].hashtag) {
        return false;
    }
    r->kind = KM_PLACE_HOUSE;
    r->n_street = 1;
    r->street = pl_mkr_number(nt, j - 1);
    if (r->street != SIZE_MAX) {
        r->kind = KM_PLACE_MKR;
        return true;
    }
    j--;
    if (pl_chars(nt->tokens[j].loose) < PL_MIN_STREET && pl_capital(text, &nt->tokens[j]) &&
        j > 0 && !nt->tokens[j - 1].hashtag) {
        j--; /* "Мәңгілік Ел 53": the name's first word */
        r->n_street = 2;
    }
    if (!pl_name_word(nt, j)) {
        r->n_street = 1;
        j = house ? pl_lookback(text, nt, j + 1) : SIZE_MAX;
    }
    r->street = j;
    return j != SIZE_MAX;
}

/* Fills r for the number at i; false if it is not a house number with a street. */
static bool pl_house_at(const char *text, const struct km_norm_text *nt, size_t i,
                        struct km_place_ref *r)
{
    const struct km_norm_token *t = &nt->tokens[i];
    if (t->hashtag || !pl_digit(t->text[0]) || !pl_house_shape(t->text) ||
        pl_listed(pl_service, t->text) || pl_numeric_context(text, nt, i)) {
        return false;
    }
    if (i + 1 < nt->n_tokens && !nt->tokens[i + 1].hashtag &&
        pl_is(&nt->tokens[i + 1], PL_W_UNIT | PL_W_UNIT_WORD)) {
        return false;
    }
    if (!pl_street_of(text, nt, i, r)) {
        return false;
    }
    r->number = i;
    r->capital = pl_capital(text, &nt->tokens[r->street]);
    return true;
}

/* Token t is written in capitals only ("КСК", "ЦОН"): an abbreviation, not a name. */
static bool pl_all_caps(const char *text, const struct km_norm_token *t)
{
    const char *o = text + t->start;
    return t->end - t->start >= 2 * 2 && pl_capital(text, t) &&
           ((o[1] >= 'A' && o[1] <= 'Z') ||
            ((unsigned char)o[2] == 0xD0 && (unsigned char)o[3] >= 0x90 &&
             (unsigned char)o[3] <= 0xAF));
}

/* Token t is written with a Kazakh letter (its loose form differs: "мектептің"). */
static bool pl_kazakh_letters(const struct km_norm_token *t)
{
    return t->loose != t->text && strcmp(t->loose, t->text) != 0;
}

/* True if token i is a capitalised Kazakh word in the locative: "Көкталда 3 сағат болды
 * жарық жоқ"; a name without a Kazakh letter only before a word with one, in the same
 * clause ("Талапкерде мектептің жанында"), as Russian words end so too ("Когда", "Везде"). */
static bool pl_kazakh_locative(const char *text, const struct km_norm_text *nt, size_t i)
{
    const struct km_norm_token *t = &nt->tokens[i];
    size_t len = strlen(t->loose);
    bool kazakh = pl_kazakh_letters(t) ||
                  (i + 1 < nt->n_tokens && !nt->tokens[i + 1].clause &&
                   !nt->tokens[i + 1].hashtag && pl_kazakh_letters(&nt->tokens[i + 1]));
    if (t->hashtag || !pl_capital(text, t) || !kazakh || pl_chars(t->loose) < 5 ||
        pl_all_caps(text, t)) {
        return false;
    }
    bool ends = false;
    for (size_t k = 0; pl_locative[k] != NULL && !ends; k++) {
        size_t n = strlen(pl_locative[k]);
        ends = len > n && strcmp(t->loose + len - n, pl_locative[k]) == 0;
    }
    return ends && pl_name_word(nt, i) && !(pl_mask(t->loose, false) & PL_W_NOT_PLACE);
}

/* Fills r if token i is a preposition of place before a capitalised name. */
static bool pl_named_at(const char *text, const struct km_norm_text *nt, size_t i,
                        struct km_place_ref *r)
{
    const struct km_norm_token *n = &nt->tokens[i + 1];
    if (n->clause || !pl_capital(text, n) || (pl_all_caps(text, n) && !pl_is(n, PL_W_CAPS_PLACE)) ||
        !pl_name_word(nt, i + 1) || pl_is(n, PL_W_NOT_PLACE)) {
        return false;
    }
    if (i + 2 < nt->n_tokens && !nt->tokens[i + 2].clause &&
        pl_is(&nt->tokens[i + 2], PL_W_AFTER_NAME | PL_W_AFTER_CAPITAL)) {
        return false; /* "на Богенбай батыра": a street, found at its type word */
    }
    *r = (struct km_place_ref){.street = i + 1,
                               .n_street = 1,
                               .number = SIZE_MAX,
                               .kind = KM_PLACE_NAMED,
                               .capital = true};
    return true;
}

/* Cheap test before any lookup: token i can take part in a place without a number only
 * next to a capitalised word, or when it is capitalised, or is a street type that follows
 * lower-case names (PL_W_AFTER_NAME, by the filter of its first bytes and length). */
static bool pl_may_place(const char *text, const struct km_norm_text *nt, size_t i)
{
    const struct km_norm_token *t = &nt->tokens[i];
    size_t bit = pl_bloom_bit(t->loose, strlen(t->loose));
    return (pl_bloom_after[bit / 64] >> (bit % 64) & 1) || pl_capital(text, t) ||
           (i > 0 && pl_capital(text, &nt->tokens[i - 1])) ||
           (i + 1 < nt->n_tokens && pl_capital(text, &nt->tokens[i + 1]));
}

/* w (a loose form) ends in a Kazakh genitive ending: "үйдің", "мектептің". */
static bool pl_genitive_end(const char *w)
{
    size_t len = strlen(w);
    for (size_t k = 0; pl_genitive[k] != NULL; k++) {
        size_t n = strlen(pl_genitive[k]);
        if (len > n && strcmp(w + len - n, pl_genitive[k]) == 0) {
            return true;
        }
    }
    return false;
}

/* Letters of a heading's name: shorter openers are interjections ("Да,", "Ну,"). */
#define PL_MIN_HEADING 4

/* Token t opens a quotation after a colon ("переслано: «Талапкер, ...", "Forwarded: \"..."):
 * the quoted post starts there. */
static bool pl_quote_start(const char *text, const struct km_norm_token *t)
{
    size_t k = t->start;
    if (k >= 2 && (unsigned char)text[k - 2] == 0xC2 && (unsigned char)text[k - 1] == 0xAB) {
        k -= 2; /* « */
    } else if (k >= 3 && (unsigned char)text[k - 3] == 0xE2 && (unsigned char)text[k - 2] == 0x80 &&
               (unsigned char)text[k - 1] == 0x9C) {
        k -= 3; /* “ */
    } else if (k >= 1 && text[k - 1] == '"') {
        k -= 1;
    } else {
        return false;
    }
    while (k > 0 && text[k - 1] == ' ') {
        k--;
    }
    return k > 0 && text[k - 1] == ':';
}

/* Fills r if the post (or a post it quotes after a colon) opens with a capitalised name
 * and a comma, as a heading names the place of what follows ("Коктал, трансформаторная
 * будка искрит", "Көктал, мектеп маңындағы көшеде жарық жоқ", "переслано: «Талапкер,
 * стая собак...»"): not a vocative, greeting or interjection ("Люди, помогите"), nor an
 * abbreviation or the city itself. */
static bool pl_heading_at(const char *text, const struct km_norm_text *nt, size_t i,
                          struct km_place_ref *r)
{
    const struct km_norm_token *t = &nt->tokens[i];
    if ((i != 0 && !pl_quote_start(text, t)) || i + 1 >= nt->n_tokens || t->hashtag ||
        text[t->end] != ',' || !pl_capital(text, t) || pl_all_caps(text, t) ||
        pl_chars(t->loose) < PL_MIN_HEADING || !pl_name_word(nt, i) ||
        pl_is(t, PL_W_NOT_PLACE | PL_W_NOT_HEADING | PL_W_PREP)) {
        return false;
    }
    *r = (struct km_place_ref){
        .street = i, .n_street = 1, .number = SIZE_MAX, .kind = KM_PLACE_NAMED, .capital = true};
    return true;
}

/* Fills r if token i is a street type next to a named street without a number, or a
 * preposition before a named place. */
static bool pl_street_at(const char *text, const struct km_norm_text *nt, size_t i,
                         struct km_place_ref *r)
{
    const struct km_norm_token *t = &nt->tokens[i];
    if (t->hashtag || !pl_may_place(text, nt, i)) {
        return false;
    }
    unsigned type = pl_mask(t->loose, false);
    if (type == 0) {
        *r = (struct km_place_ref){.street = i,
                                   .n_street = 1,
                                   .number = SIZE_MAX,
                                   .kind = KM_PLACE_NAMED,
                                   .capital = true};
        return pl_kazakh_locative(text, nt, i);
    }
    if ((type & PL_W_PREP) && i + 1 < nt->n_tokens && !nt->tokens[i + 1].hashtag &&
        pl_named_at(text, nt, i, r)) {
        return true;
    }
    bool cap_prev = i > 0 && pl_capital(text, &nt->tokens[i - 1]);
    bool cap_next =
        i + 1 < nt->n_tokens && !nt->tokens[i + 1].clause && pl_capital(text, &nt->tokens[i + 1]);
    size_t j = SIZE_MAX;
    if (i > 0 && !t->clause &&
        ((type & PL_W_AFTER_NAME) || ((type & PL_W_AFTER_CAPITAL) && cap_prev) ||
         ((type & PL_W_POSTPOS) && cap_prev && !pl_all_caps(text, &nt->tokens[i - 1]) &&
          !pl_genitive_end(nt->tokens[i - 1].loose)))) {
        j = i - 1;
        while (j > 0 && !nt->tokens[j].clause && pl_is(&nt->tokens[j], PL_W_LANDMARK_TAIL)) {
            j--; /* "Мега Силк Уэй жанында": the landmark's key word */
        }
    } else if ((type & PL_W_BEFORE_NAME) && cap_next) { /* ", улица Жумабаева" */
        j = i + 1;
    }
    if (j == SIZE_MAX || !pl_name_word(nt, j)) {
        return false;
    }
    *r = (struct km_place_ref){.street = j,
                               .n_street = 1,
                               .number = SIZE_MAX,
                               .kind = KM_PLACE_STREET,
                               .capital = pl_capital(text, &nt->tokens[j])};
    return true;
}

/* Letters a street of a crossing needs ("Туран-Сыганак"; "Нур-Султан" is a city). */
#define PL_MIN_CROSSING 4

/* Only blanks and one dash or slash in text[a..b): "-", "/", "–", "—". */
static bool pl_crossing_gap(const char *text, size_t a, size_t b)
{
    int marks = 0;
    for (size_t k = a; k < b; k++) {
        const unsigned char *c = (const unsigned char *)text + k;
        if (c[0] == '-' || c[0] == '/') {
            marks++;
        } else if (c[0] == 0xE2 && k + 2 < b && c[1] == 0x80 && (c[2] == 0x93 || c[2] == 0x94)) {
            marks++;
            k += 2;
        } else if (c[0] != ' ') {
            return false;
        }
    }
    return marks == 1;
}

/* Token j is a capitalised name of a crossing, not in capitals only: at least
 * PL_MIN_CROSSING letters. */
static bool pl_crossing_name(const char *text, const struct km_norm_text *nt, size_t j)
{
    const struct km_norm_token *t = &nt->tokens[j];
    return !t->hashtag && pl_capital(text, t) && !pl_all_caps(text, t) && pl_name_word(nt, j) &&
           pl_chars(t->loose) >= PL_MIN_CROSSING && !pl_is(t, PL_W_NOT_PLACE);
}

/* Token j is a short capitalised word (under PL_MIN_CROSSING letters) that makes one name
 * with its neighbour k, a crossing name in the same clause: "Мангилик Ел", "Улы Дала". */
static bool pl_crossing_short(const char *text, const struct km_norm_text *nt, size_t j,
                              size_t k)
{
    const struct km_norm_token *t = &nt->tokens[j];
    size_t c = pl_chars(t->loose);
    return k < nt->n_tokens && !t->hashtag && c >= 2 && c < PL_MIN_CROSSING &&
           pl_all_letters(t->loose) && pl_capital(text, t) && !pl_all_caps(text, t) &&
           !nt->tokens[k > j ? k : j].clause && pl_crossing_name(text, nt, k);
}

/* Tokens j and j + 1 end and start two crossing streets joined by a dash or a slash
 * ("Туран-Сыганак", "Туран – Сыганак", "Turan / Syganak"): each a crossing name, or a short
 * word of a two-word name ("Мангилик Ел — Улы Дала"). */
static bool pl_crossing(const char *text, const struct km_norm_text *nt, size_t j)
{
    const struct km_norm_token *a = &nt->tokens[j], *b = &nt->tokens[j + 1];
    if (b->start - a->end > 5 || !pl_crossing_gap(text, a->end, b->start)) {
        return false;
    }
    bool left = pl_crossing_name(text, nt, j) || (j > 0 && pl_crossing_short(text, nt, j, j - 1));
    return left && (pl_crossing_name(text, nt, j + 1) || pl_crossing_short(text, nt, j + 1, j + 2));
}

/* Fills r if token i is one of two crossing streets (see pl_crossing()): each street of a
 * crossing is a street without a number, keyed by its first word. */
static bool pl_crossing_at(const char *text, const struct km_norm_text *nt, size_t i,
                           struct km_place_ref *r)
{
    bool with_next = i + 1 < nt->n_tokens && pl_crossing(text, nt, i);
    if (!with_next && !(i > 0 && pl_crossing(text, nt, i - 1))) {
        return false;
    }
    size_t first = with_next && !pl_crossing_name(text, nt, i) ? i - 1 : i;
    *r = (struct km_place_ref){.street = first,
                               .n_street = i - first + 1,
                               .number = SIZE_MAX,
                               .kind = KM_PLACE_STREET,
                               .capital = true};
    return true;
}

/* Token k (if any) is a crossing word: Kazakh after the two streets ("Абай мен Жеңіс
 * қиылысында"), Russian and English before them ("на пересечении Туркестан и Орынбор",
 * "intersection of Turan and Syganak"). */
static bool pl_crossing_word(const struct km_norm_text *nt, size_t k, bool after)
{
    static const char *const before[] = {"пересечен", "перекрест", "intersection", "corner", NULL};
    if (k >= nt->n_tokens) {
        return false;
    }
    const char *w = nt->tokens[k].loose;
    if (after) {
        return strncmp(w, "киылыс", strlen("киылыс")) == 0;
    }
    for (size_t m = 0; before[m] != NULL; m++) {
        if (strncmp(w, before[m], strlen(before[m])) == 0) {
            return true;
        }
    }
    return false;
}

/* Tokens j and j + 2 name two crossing streets joined by "мен", "и", "and" (j + 1): both
 * capitalised names of at least PL_MIN_CROSSING letters in one clause, with a crossing word
 * one or two tokens after ("Абай мен Жеңіс даңғылының қиылысында") or before them ("на
 * пересечении улиц Туркестан и Орынбор"): "Асқар мен Айгүл" are two people. */
static bool pl_and_crossing(const char *text, const struct km_norm_text *nt, size_t j)
{
    const struct km_norm_token *a = &nt->tokens[j], *b = &nt->tokens[j + 2];
    if (!pl_capital(text, a) || !pl_capital(text, b) || nt->tokens[j + 1].clause || b->clause ||
        a->hashtag || b->hashtag || !pl_is(&nt->tokens[j + 1], PL_W_AND) || pl_all_caps(text, a) ||
        pl_all_caps(text, b) || !pl_name_word(nt, j) || !pl_name_word(nt, j + 2) ||
        pl_chars(a->loose) < PL_MIN_CROSSING || pl_chars(b->loose) < PL_MIN_CROSSING ||
        pl_is(a, PL_W_NOT_PLACE) || pl_is(b, PL_W_NOT_PLACE)) {
        return false;
    }
    return pl_crossing_word(nt, j + 3, true) || pl_crossing_word(nt, j + 4, true) ||
           (j >= 1 && pl_crossing_word(nt, j - 1, false)) ||
           (j >= 2 && pl_crossing_word(nt, j - 2, false));
}

/* Fills r if token i is one of two crossing streets (see pl_and_crossing()). */
static bool pl_and_crossing_at(const char *text, const struct km_norm_text *nt, size_t i,
                               struct km_place_ref *r)
{
    if (!(i + 2 < nt->n_tokens && pl_and_crossing(text, nt, i)) &&
        !(i >= 2 && pl_and_crossing(text, nt, i - 2))) {
        return false;
    }
    *r = (struct km_place_ref){
        .street = i, .n_street = 1, .number = SIZE_MAX, .kind = KM_PLACE_STREET, .capital = true};
    return true;
}

/* Token k is a lower-case "x" (Latin or Cyrillic) standing alone in its clause between two
 * words, as crossings are written in chats ("Kabanbay Batyr x Dostyk", "Туран х Сыганак"). */
static bool pl_x_mark(const char *text, const struct km_norm_text *nt, size_t k)
{
    const struct km_norm_token *t = &nt->tokens[k];
    const char *o = text + t->start;
    bool x = (t->end - t->start == 1 && o[0] == 'x') ||
             (t->end - t->start == 2 && strncmp(o, "х", 2) == 0);
    return x && k > 0 && k + 1 < nt->n_tokens && !t->clause && !nt->tokens[k + 1].clause;
}

/* Fills r if token i is a capitalised name on either side of an "x" crossing mark whose
 * other side is capitalised too (a street type there, "Batyr", counts: its street is read
 * on its own): "Kabanbay Batyr x Dostyk" names Dostyk as a crossing street. */
static bool pl_x_crossing_at(const char *text, const struct km_norm_text *nt, size_t i,
                             struct km_place_ref *r)
{
    bool after = i >= 2 && pl_x_mark(text, nt, i - 1) && pl_capital(text, &nt->tokens[i - 2]) &&
                 !pl_is(&nt->tokens[i - 2], PL_W_NOT_PLACE);
    bool before = i + 2 < nt->n_tokens && pl_x_mark(text, nt, i + 1) &&
                  pl_capital(text, &nt->tokens[i + 2]) && !pl_is(&nt->tokens[i + 2], PL_W_NOT_PLACE);
    if (!(after || before) || !pl_crossing_name(text, nt, i)) {
        return false;
    }
    *r = (struct km_place_ref){
        .street = i, .n_street = 1, .number = SIZE_MAX, .kind = KM_PLACE_STREET, .capital = true};
    return true;
}

/* Most digits of a microdistrict's number after its name ("Коктал-1", "Самал-2"). */
#define PL_MAX_DISTRICT_DIGITS 2

/* Fills r if token i is a capitalised name joined by a dash to a number of one or two
 * digits, as microdistricts are named ("Коктал-1, улица Жумабаева", "Көктал-1-де",
 * "Samal-2"): the place is the name, as "в Коктале" or "in Koktal" name it. */
static bool pl_district_at(const char *text, const struct km_norm_text *nt, size_t i,
                           struct km_place_ref *r)
{
    const struct km_norm_token *t = &nt->tokens[i];
    if (text[t->end] != '-' || i + 1 >= nt->n_tokens) {
        return false;
    }
    const struct km_norm_token *n = &nt->tokens[i + 1];
    size_t digits = 0;
    while (digits <= PL_MAX_DISTRICT_DIGITS && pl_digit(n->text[digits])) {
        digits++;
    }
    if (t->hashtag || n->hashtag || n->start != t->end + 1 || digits == 0 ||
        digits > PL_MAX_DISTRICT_DIGITS || n->text[digits] != '\0' || n->text[0] == '0' ||
        !pl_capital(text, t) || pl_all_caps(text, t) || pl_chars(t->loose) < PL_MIN_CROSSING ||
        !pl_name_word(nt, i) || pl_is(t, PL_W_NOT_PLACE)) {
        return false;
    }
    *r = (struct km_place_ref){
        .street = i, .n_street = 1, .number = SIZE_MAX, .kind = KM_PLACE_NAMED, .capital = true};
    return true;
}

/* Fills r if token i names one of the city's landmarks (pl_landmark_list), with or
 * without a preposition ("возле Меги", "Хан Шатыр жанындағы", "next to EXPO"). */
static bool pl_landmark_at(const char *text, const struct km_norm_text *nt, size_t i,
                           struct km_place_ref *r)
{
    const struct pl_landmark *e = pl_landmark_token(nt, i);
    if (e == NULL || (e->cap && !pl_capital(text, &nt->tokens[i]))) {
        return false;
    }
    *r = (struct km_place_ref){.street = i,
                               .n_street = 1,
                               .number = SIZE_MAX,
                               .kind = KM_PLACE_NAMED,
                               .capital = pl_capital(text, &nt->tokens[i])};
    return true;
}

/* True if a ref of out[0..n) already has token j as its street. */
static bool pl_has_street(const struct km_place_ref *out, size_t n, size_t j)
{
    for (size_t k = 0; k < n; k++) {
        if (out[k].kind != KM_PLACE_MKR && out[k].street == j) {
            return true;
        }
    }
    return false;
}

size_t km_place_find(const char *text, const struct km_norm_text *nt, struct km_place_ref *out,
                     size_t max)
{
    size_t n = 0;
    if (text == NULL || nt == NULL || nt->repaired) {
        return 0;
    }
    pthread_once(&pl_once, pl_set_init);
    pl_memo.tokens = nt->tokens;
    pl_memo.n = nt->n_tokens < PL_MEMO_TOKENS ? nt->n_tokens : PL_MEMO_TOKENS;
    memset(pl_memo.mask, 0, pl_memo.n * sizeof(pl_memo.mask[0]));
    for (size_t i = 0; i < nt->n_tokens && n < max; i++) {
        n += pl_digit(nt->tokens[i].text[0]) && pl_house_at(text, nt, i, &out[n]);
    }
    size_t houses = n;
    for (size_t i = 0; i < nt->n_tokens && n < max; i++) {
        struct km_place_ref r;
        /* a crossing, heading or district names token i only when it is capitalised */
        bool capital = pl_capital(text, &nt->tokens[i]);
        if ((pl_landmark_at(text, nt, i, &r) || pl_street_at(text, nt, i, &r) ||
             (capital && (pl_crossing_at(text, nt, i, &r) || pl_and_crossing_at(text, nt, i, &r) ||
                          pl_x_crossing_at(text, nt, i, &r) || pl_heading_at(text, nt, i, &r) ||
                          pl_district_at(text, nt, i, &r)))) &&
            !pl_has_street(out, houses, r.street) &&
            !pl_has_street(out + houses, n - houses, r.street)) {
            out[n++] = r;
        }
    }
    pl_memo.tokens = NULL;
    return n;
}

/* The consonants of a key (lower-case Cyrillic, after the Kazakh loose folding); every
 * other letter is a vowel, a sign or й. */
static bool pl_consonant(unsigned cp)
{
    static const char set[] = "бвгджзклмнпрстфхцчшщ";
    for (size_t i = 0; i + 1 < sizeof(set); i += 2) {
        if (cp == (((unsigned)(unsigned char)set[i] & 0x1F) << 6 |
                   ((unsigned)(unsigned char)set[i + 1] & 0x3F))) {
            return true;
        }
    }
    return false;
}

/* A leading vowel, folded: а я ә → а, е э ё → е, и ы й і → и, у ю ұ ү → у, о ө → о. */
static const char *pl_lead_vowel(unsigned cp)
{
    switch (cp) {
    case 0x430:
    case 0x44F:
        return "а";
    case 0x435:
    case 0x44D:
    case 0x451:
        return "е";
    case 0x438:
    case 0x44B:
    case 0x439:
    case 0x456:
        return "и";
    case 0x443:
    case 0x44E:
        return "у";
    case 0x43E:
        return "о";
    default:
        return "";
    }
}

/* Appends n bytes of s at out[*o], cut to what fits before the NUL in cap bytes (as
 * snprintf() cuts), and terminates out. */
static void pl_put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
    if (cap == 0) {
        return;
    }
    size_t room = cap - 1 - *o;
    n = n < room ? n : room;
    memcpy(out + *o, s, n);
    *o += n;
    out[*o] = '\0';
}

/* snprintf(out, cap, "%s", s) without its cost. */
static void pl_copy(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    pl_put(out, cap, &o, s, strlen(s));
}

/* Key forms of one street under two names: the Russian name of a renamed or translated
 * avenue -> the Kazakh one ("Победы", "Pobedy" -> "Жеңіс"). */
static const char *const pl_key_alias[][2] = {{"пбд", "жнс"}};

/* Cuts a Kazakh "which is at" ending off word, a loose (folded) Cyrillic form, if at least
 * three letters stay: "Қосшыдағы", "Абайдағы" are "Қосшы", "Абай" ("Қосшыдағы жаңа
 * мектеп", the new school in Kosshy); a case ending would add a consonant to a short key. */
static void pl_cut_kk_ending(char *word)
{
    static const char *const endings[] = {"дагы", "деги", "тагы", "теги"};
    size_t len = strlen(word);
    for (size_t i = 0; i < sizeof(endings) / sizeof(endings[0]); i++) {
        size_t n = strlen(endings[i]);
        if (len >= n + 6 && strcmp(word + len - n, endings[i]) == 0) {
            word[len - n] = '\0';
            return;
        }
    }
}

/* The key form of a street word: its loose form (transliterated if Latin) reduced to its
 * first letter if a vowel (folded) and then its consonants, a letter doubled in the text
 * counted once, KM_PLACE_KEY_LETTERS in all: "Сарыарке", "Saryarka" -> срк... -> "срр"
 * + "к"; "Сейфуллина", "Seifullin" -> "сфлн"; "Иманова", "Imanov" -> "имнв". Spellings of
 * one name differ in their vowels (ы/ya, ей/ei, е/э) far more than in their consonants,
 * and case endings come after the first consonants (a Kazakh "-дағы" is cut first,
 * pl_cut_kk_ending()). A key of pl_key_alias becomes its other name's. */
static void pl_street_form(const struct km_norm_token *t, char *out, size_t cap)
{
    char word[PL_WORD_MAX];
    if (pl_is_latin(t->loose)) {
        pl_translit(t->loose, word, sizeof(word));
    } else {
        pl_copy(word, sizeof(word), t->loose);
        pl_cut_kk_ending(word);
    }
    size_t o = 0, letters = 0;
    unsigned prev = 0;
    out[0] = '\0';
    for (const unsigned char *w = (const unsigned char *)word;
         *w != '\0' && letters < KM_PLACE_KEY_LETTERS;) {
        unsigned cp = *w;
        size_t len = 1;
        if ((*w & 0xE0) == 0xC0 && (w[1] & 0xC0) == 0x80) {
            cp = (unsigned)(*w & 0x1F) << 6 | (w[1] & 0x3F);
            len = 2;
        }
        const char *lead = letters == 0 && o == 0 ? pl_lead_vowel(cp) : "";
        bool keep = *lead != '\0' || (pl_consonant(cp) && cp != prev);
        if (keep && o + 3 <= cap) {
            memcpy(out + o, *lead != '\0' ? lead : (const char *)w, 2);
            o += 2;
            out[o] = '\0';
            letters++;
        }
        prev = cp;
        w += len;
    }
    for (size_t k = 0; k < sizeof(pl_key_alias) / sizeof(pl_key_alias[0]); k++) {
        if (strcmp(out, pl_key_alias[k][0]) == 0) {
            pl_copy(out, cap, pl_key_alias[k][1]);
        }
    }
}

void km_place_key(const struct km_norm_text *nt, const struct km_place_ref *r, char *out,
                  size_t cap)
{
    char street[PL_WORD_MAX];
    const struct pl_landmark *lm = NULL;
    pthread_once(&pl_once, pl_set_init);
    if (r->kind == KM_PLACE_MKR) {
        snprintf(street, sizeof(street), "мкр%s", nt->tokens[r->street].text);
    } else if ((lm = pl_landmark_token(nt, r->street)) != NULL) {
        pl_copy(street, sizeof(street), lm->key);
    } else {
        pl_street_form(&nt->tokens[r->street], street, sizeof(street));
    }
    if (r->number == SIZE_MAX) {
        pl_copy(out, cap, street);
        return;
    }
    const char *num = nt->tokens[r->number].text;
    size_t digits = strspn(num, "0123456789");
    char letter[PL_WORD_MAX] = ""; /* "12a" and "12а" agree */
    if ((unsigned char)num[digits] < 0x80) {
        pl_translit(num + digits, letter, sizeof(letter));
    } else {
        pl_copy(letter, sizeof(letter), num + digits);
    }
    size_t o = 0;
    pl_put(out, cap, &o, street, strlen(street));
    pl_put(out, cap, &o, "|", 1);
    pl_put(out, cap, &o, num, digits);
    pl_put(out, cap, &o, letter, strlen(letter));
}
