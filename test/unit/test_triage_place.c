/* Unit tests for triage/place.h: which tokens are a street and a house number, the kinds
 * of places (house, microdistrict, street without a number, named place), what is not an
 * address (times, ranges, counts, institutions' numbers, the city itself, abbreviations),
 * and keys that agree across ru/kk/en spellings. */
#include "triage/place.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAX_REFS 8

/* "KIND:street word[:number]" for each place of text, joined by ' ' (KIND: H house, M
 * microdistrict, S street, N named; a capitalised name is written with '^'). */
static void describe(const char *text, char *out, size_t cap)
{
    struct km_norm_text *nt = km_norm(text, strlen(text));
    struct km_place_ref refs[MAX_REFS];
    size_t n = km_place_find(text, nt, refs, MAX_REFS);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        static const char kinds[] = "HMSN";
        const struct km_place_ref *r = &refs[i];
        size_t o = strlen(out);
        char kind = r->kind == KM_PLACE_HOUSE    ? kinds[0]
                    : r->kind == KM_PLACE_MKR    ? kinds[1]
                    : r->kind == KM_PLACE_STREET ? kinds[2]
                                                 : kinds[3];
        snprintf(out + o, cap - o, "%s%c:%s%s%s%s", i > 0 ? " " : "", kind, r->capital ? "^" : "",
                 nt->tokens[r->street].text, r->number != SIZE_MAX ? ":" : "",
                 r->number != SIZE_MAX ? nt->tokens[r->number].text : "");
    }
    km_norm_free(nt);
}

static void test_find(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"Кошкарбаева 34 - всё, достали нас", "H:^кошкарбаева:34"},
        {"Туран 24, открытый люк", "H:^туран:24"},
        {"Open manhole on Turan ave 24", "H:^turan:24"},
        /* "bldg" and "building" stand between a street and its number as "дом" does */
        {"Lesnaya Polyana bldg 24: a cable snapped", "H:^polyana:24"},
        {"Turan avenue building 5", "H:^turan:5"},
        {"Мәңгілік Ел 53, Б блок", "H:^мәңгілік:53"},
        {"5 мкр дом 12 отопления нет", "M:5:12"},
        {"кошкарбаева 34 газ", "H:кошкарбаева:34"},
        /* "19:" before a blank is no time */
        {"по вчерашнему на Иманова 19: пожарные приехали", "H:^иманова:19"},
        {"сейчас 8:40, трактора нет", ""},
        /* after a house word the street may stand a few words back, in the same clause */
        {"на Сарыарке у остановки напротив дома 12 люк открыт", "H:^сарыарке:12"},
        {"на сарыарке у остановки напротив дома 12", ""},
        {"у нас Сарыарке, у остановки напротив дома 12", ""},
        /* ranges and pairs of numbers, institutions' numbers, counts */
        {"висим между 7 и 8 этажом", ""},
        /* a house word after the number looks back for the street */
        {"на Сейфуллина у 27 дома фонтан", "H:^сейфуллина:27"},
        {"на сейфуллина у 27 дома", ""},
        {"Сейфуллина, у 27 дома", "N:^сейфуллина"}, /* a heading; no house across "," */
        {"лифтте 11 бен 12 қабаттың арасында", ""},
        /* a landmark known by its capitals is a place; an office is not */
        {"переход у ЦУМа затопило", "N:^цума"},
        {"the underpass by TSUM is flooded", "N:^tsum"},
        {"позвонили в КСК", ""},
        {"лифт 7 мен 8 қабаттың арасында", ""},
        {"stopped between floors 7 and 8", ""},
        {"родители 45 школы не паникуйте", ""},
        {"в 52 квартиру стучим", ""},
        {"стая собак штук 8 окружила", ""},
        {"баланы 2023 жылы тіркегенбіз", ""},
        /* streets without a number: next to a street type */
        {"под мостом на Богенбай батыра машина", "S:^богенбай"},
        {"кабанбай батыра замело", "S:кабанбай"},
        {"Bogenbay batyr underpass is flooded", "S:^bogenbay"},
        {"water main burst on Seifullin st", "S:^seifullin"},
        {"the whole street is flooded", ""},
        {"улица Кенесары перекрыта", "S:^кенесары"},
        {"на улице холодно", ""},
        {"Триатлон саябағының жанындағы өзеннен", "S:^триатлон"},
        /* named places: after a preposition, or a Kazakh locative */
        {"в Коктале света нет", "N:^коктале"},
        {"на Есиле возле Триатлон парка", "N:^есиле N:^триатлон"},
        {"Көкталда 3 сағат болды жарық жоқ", "N:^көкталда"},
        {"Көшеде жарық жоқ", ""},
        /* a locative without a Kazakh letter only before a Kazakh word; not a Russian adverb */
        {"Талапкерде мектептің жанында иттер", "N:^талапкерде"},
        {"Талапкерде собаки", ""},
        {"Когда мектептің жанында", ""},
        {"в Астане опять нет света", ""},
        {"звоните в КСК", ""},
        {"в коктале света нет", ""},
        /* a named street that is also an address's street is reported once */
        {"на Сарыарке 12 люк", "H:^сарыарке:12"},
        /* a building after a slash keeps its house; dates and fractions are no address */
        {"Құдайбердіұлы 17/1 үйдің подвалы", "H:^құдайбердіұлы:17"},
        {"на Абылай хана 5/2 горит", "H:^абылай:5"},
        {"с 12/03/2024 нет воды", ""},
        {"отчет 12/03/2024 готов", ""},
        {"доля 1/05 всего", ""},
        /* a unit word is no street: "лет 8" is an age; "голов 8", "человек 20" counts */
        {"мальчик лет 8 упал", ""},
        {"стая голов 8 набросилась", ""},
        {"собралось человек 20", ""},
        /* a Kazakh microdistrict named without a number */
        {"Құлагер шағынауданында иттер", "S:^құлагер"},
        {"құлагер шағынауданындағы мектеп", "S:құлагер"},
        /* two capitalised streets joined by a dash or a slash are a crossing */
        {"Туран-Сыганак светофоры сдохли", "S:^туран S:^сыганак"},
        {"на перекрёстке Туран – Сыганак", "S:^туран S:^сыганак"},
        {"Turan / Syganak intersection", "S:^turan S:^syganak"},
        {"туран-сыганак светофоры", ""},
        {"ЖКХ-Сервис не отвечает", ""},
        {"светофоры Туран, Сыганак", ""},
        {"Ак-Жол", ""},
        /* an "x" between two capitalised words is a crossing in chats; not in lower case */
        {"Kabanbay Batyr x Dostyk junction", "S:^kabanbay S:^dostyk"},
        {"Туран х Сыганак светофоры", "S:^туран S:^сыганак"},
        {"в Астане x Туран", ""},
        {"туран x сыганак", ""},
        /* a short word of a two-word name on either side of the dash */
        {"на перекрёстке Мангилик Ел — Улы Дала", "S:^мангилик S:^улы"},
        {"Mangilik El / Uly Dala lights dead", "S:^mangilik S:^uly"},
        {"Мангилик Ел-Улы", ""},
        {"Ел-Улы Дала", ""}, /* "Ел" alone is no name */
        /* a Kazakh postposition after a capitalised name; a genitive noun is no name */
        {"Магнум артындағы гараждардың жанында", "S:^магнум"},
        {"Үйдің артындағы гараж", ""},
        {"ЖД алдында иттер", ""},
        /* a post opening with a capitalised name and a comma: its place as a heading */
        {"Коктал, трансформаторная будка искрит", "N:^коктал"},
        {"Көктал, мектеп маңындағы көшеде жарық жоқ", "N:^көктал"},
        {"Люди, помогите, нет света", ""},
        {"Сәлеметсіздер, жарық жоқ", ""},
        {"Да, опять", ""},
        {"КСК, ответьте", ""},
        {"Сегодня, как и вчера", ""},
        {"Коктал трансформатор искрит", ""},
        {"Репост, пусть увидят", ""},
        {"Ішінде кішкентай балалар бар", ""},
        /* a street type opening a clause still names the street after it */
        {"Коктал-1, улица Жумабаева — нет света", "N:^коктал S:^жумабаева"},
        /* a microdistrict named with a dash and a number ("Коктал-1", "Көктал-1-де") */
        {"Көктал-1-де жарық жоқ", "N:^көктал"},
        {"Samal-2 has no water", "N:^samal"},
        {"коктал-1 без света", ""},
        {"ЖК-12 без света", ""},
        {"Коктал-123 без света", ""},
        {"Коктал-05 без света", ""},
        /* a Telegram forward from a chat named for its district */
        {"Forwarded from Өндіріс ата-аналар чаты", "N:^өндіріс"},
        /* a Kazakh crossing after a capitalised name; a pedestrian crossing is none */
        {"Республика мен Кенесары қиылысындағы өткел", "S:^республика S:^кенесары"},
        {"жаяу жүргіншілер қиылысында көлік", ""},
        /* two streets joined by "мен", "и", "and" with a crossing word after or before them */
        {"Абай мен Женис дангылынын киылысындагы отпел", "S:^абай S:^женис"},
        {"на пересечении Туркестан и Орынбор пробка", "S:^туркестан S:^орынбор"},
        {"at the intersection of Turan and Syganak", "S:^turan S:^syganak"},
        {"Асқар мен Айгүл келді", ""},
        {"Туркестан и Орынбор пробка", ""},
        /* a village by the city, named before "ауылы" */
        {"Талапкер ауылы, мектептің жанында иттер", "S:^талапкер"},
        {"Қоянды ауылындағы мектеп", "S:^қоянды"},
        /* a forwarded post quoted after a colon opens with its heading */
        {"переслано: «Талапкер, стая собак у школы»", "N:^талапкер"},
        {"репост: \"Коктал, нет света\"", "N:^коктал"},
        {"он сказал «Люди, помогите»", ""},
        {"а потом «Коктал, нет света»", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char got[256];
        describe(cases[i].text, got, sizeof(got));
        if (strcmp(got, cases[i].want) != 0) {
            fail_msg("case %zu: '%s': got '%s', want '%s'", i, cases[i].text, got, cases[i].want);
        }
    }
}

/* The key of the first place of text. */
static void key_of(const char *text, char *out, size_t cap)
{
    struct km_norm_text *nt = km_norm(text, strlen(text));
    struct km_place_ref refs[MAX_REFS];
    assert_true(km_place_find(text, nt, refs, MAX_REFS) > 0);
    km_place_key(nt, &refs[0], out, cap);
    km_norm_free(nt);
}

/* Spellings of one place in ru / kk / Latin get one key; other places get another. */
static void test_keys(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        bool same;
    } cases[] = {
        {"Кошкарбаева 34", "Koshkarbayev 34", true},
        {"Кошкарбаева 34", "Қошқарбаев 34", true},
        {"Сарыарка 12", "Saryarka 12", true},
        {"на Сарыарке 12", "Сарыарқа көшесі, 12 үй", true},
        {"Сейфуллина 31", "Seifullin st 31", true},
        {"Жеңіс 45", "Zhenis ave 45", true},
        {"Абая 12а", "Абая 12a", true},
        {"Момышулы 18", "Momyshuly 18", true},
        {"в Коктале света нет", "Көкталда жарық жоқ", true},
        {"Богенбай батыра под мостом", "Bogenbay batyr underpass", true},
        {"Сыганак 15", "Сыганак 17", false},
        {"Lesnaya Polyana bldg 24", "в Лесной поляне, дом 24", true},
        {"Иманова 19", "Иманбаевой 19", false},
        {"на перекрёстке Мангилик Ел — Улы Дала", "Mangilik El / Uly Dala", true},
        {"Туран 24", "Тауелсиздик 24", false},
        {"Құдайбердіұлы 17/1", "кудайбердыулы 17", true},
        {"Кудайбердыулы 17/1 кв 45", "Құдайбердіұлы 17/1", true},
        {"Imanov 19", "иманова 19", true},
        {"Turan 37", "туран 37", true},
        {"Коктал, света нет", "Power's back in Koktal", true},
        {"Коктал-1, нет света", "Whole block in Koktal", true},
        {"Forwarded from Өндіріс чаты", "Ондирис, возле школы", true},
        /* Победы is the Russian name of Жеңіс avenue */
        {"переход под Победы", "Жеңіс даңғылы астындағы өткел", true},
        {"underpass at Pobedy", "Zhenis ave", true},
        {"Победы 12", "Жеңіс 12", true},
        {"Победы 12", "Пушкина 12", false},
        /* a Kazakh "-дағы" ("which is in") is cut; a short word keeps its letters */
        {"Қосшыдағы жаңа мектеп", "в Косшы у школы", true},
        {"Абайдағы 12 үй", "Абая 12", true},
        {"Қосшыдағы жаңа мектеп", "в Кокшетау у школы", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char ka[KM_PLACE_KEY_MAX], kb[KM_PLACE_KEY_MAX];
        key_of(cases[i].a, ka, sizeof(ka));
        key_of(cases[i].b, kb, sizeof(kb));
        if ((strcmp(ka, kb) == 0) != cases[i].same) {
            fail_msg("case %zu: '%s' -> '%s', '%s' -> '%s'", i, cases[i].a, ka, cases[i].b, kb);
        }
    }
    char k[KM_PLACE_KEY_MAX];
    key_of("Кошкарбаева 34", k, sizeof(k));
    assert_string_equal(k, "кшкр|34");
    key_of("Богенбай батыра", k, sizeof(k));
    assert_string_equal(k, "бгнб");
    key_of("5 мкр дом 12", k, sizeof(k));
    assert_string_equal(k, "мкр5|12");
    key_of("Иманова 19", k, sizeof(k));
    assert_string_equal(k, "имнв|19");
    key_of("Қосшыдағы мектеп", k, sizeof(k));
    assert_string_equal(k, "ксш");
}

/* The city's landmarks: one key under every spelling and case ending, with or without a
 * preposition; two landmarks differ; ordinary words are no landmarks. */
static void test_landmarks(void **state)
{
    (void)state;
    static const struct {
        const char *text, *key;
    } cases[] = {
        {"переход у Хан Шатыра опять по колено", "@ханшатыр"},
        {"Хан Шатыр жанындағы жер асты өткелін су басып қалды", "@ханшатыр"},
        {"the underpass near Khan Shatyr", "@ханшатыр"},
        {"хан шатырдың қасында", "@ханшатыр"},
        {"салют у Байтерека", "@байтерек"},
        {"Бәйтеректің жанында", "@байтерек"},
        {"kids skating behind the Baiterek", "@байтерек"},
        {"возле Меги люк без крышки", "@мега"},
        {"Мега Силк Уэй жанында", "@мега"},
        {"parking at Mega", "@мега"},
        {"Мегадағы тұрақта", "@мега"},
        {"у Керуена не чистили", "@керуен"},
        {"near Keruen after the wind", "@керуен"},
        {"у EXPO фонтан из-под асфальта", "@экспо"},
        {"right next to EXPO, the road", "@экспо"},
        {"возле Экспо", "@экспо"},
        {"у Астана Арены на Туран", "@арена"},
        {"Astana Arena parking", "@арена"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char k[KM_PLACE_KEY_MAX];
        key_of(cases[i].text, k, sizeof(k));
        if (strcmp(k, cases[i].key) != 0) {
            fail_msg("case %zu: '%s' -> '%s', want '%s'", i, cases[i].text, k, cases[i].key);
        }
    }
    /* the longer name is one place, not a second one ("Уэй жанында") */
    char d[256];
    describe("Мега Силк Уэй жанында", d, sizeof(d));
    assert_string_equal(d, "N:^мега");
    /* ordinary words: a roof ("шатыр"), "мега" in lower case, a lease, a megaphone */
    static const char *const none[] = {"шатырдан су ағып тұр", "мега круто было",
                                       "Аренда квартиры дорогая", "Мегафон не ловит",
                                       "хан и шатыр"};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        describe(none[i], d, sizeof(d));
        if (d[0] != '\0') {
            fail_msg("'%s' -> '%s', want no place", none[i], d);
        }
    }
}

static void test_limits(void **state)
{
    (void)state;
    struct km_place_ref refs[2];
    const char *many = "Абая 1, Абая 2, Абая 3, Абая 4, улица Кенесары";
    struct km_norm_text *nt = km_norm(many, strlen(many));
    assert_int_equal(km_place_find(many, nt, refs, 2), 2);
    assert_int_equal(km_place_find(many, nt, refs, 0), 0);
    assert_int_equal(km_place_find(NULL, nt, refs, 2), 0);
    assert_int_equal(km_place_find(many, NULL, refs, 2), 0);
    km_norm_free(nt);
    /* offsets of a repaired text do not fit the original: nothing is read there */
    static const char bad[] = "Абая 12 \xff\xfe люк";
    nt = km_norm(bad, strlen(bad));
    assert_true(nt->repaired);
    assert_int_equal(km_place_find(bad, nt, refs, 2), 0);
    km_norm_free(nt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_landmarks),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
