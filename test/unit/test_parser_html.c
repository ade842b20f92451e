/* Unit tests for parser/html: Mastodon and RSS markup to text, entities, whitespace,
 * skipped elements, and garbage that must not crash. */
#include "common/alloc.h"
#include "common/utf8.h"
#include "parser/html.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

static void test_to_text(void **state)
{
    (void)state;
    static const struct {
        const char *html, *text;
    } cases[] = {
        {"<p>Открытый люк на <a href=\"https://mastodon.social/tags/109\" class=\"mention "
         "hashtag\" rel=\"tag\">#<span>109</span></a> Туран 24</p><p>second</p>",
         "Открытый люк на #109 Туран 24\n\nsecond"},
        {"<p>Жарық жоқ<br>Сарыарқа ауданы<br />#iKomek</p>", "Жарық жоқ\nСарыарқа ауданы\n#iKomek"},
        {"<p>a<br><br><br><br>b</p>", "a\n\nb"},
        {"<p>one</p>\n\n<p>  two\n   lines  </p>\n<div>three</div>", "one\n\ntwo lines\n\nthree"},
        {"<ul><li>вода</li><li>свет</li></ul>", "вода\n\nсвет"},
        {"<b>bold</b> <i>italic</i>", "bold italic"},
        {"<b>no</b><i>space</i>", "nospace"},
        {"&amp; &lt;tag&gt; &quot;q&quot; &#1178;&#x49B; &laquo;Астана&raquo; &unknown;",
         "& <tag> \"q\" Ққ «Астана» &unknown;"},
        {"a&nbsp;&nbsp;b\xc2\xa0\xc2\xa0"
         "c",
         "a b c"},
        {"<script>alert('x')</script><style>p{color:red}</style>visible<!-- hidden -->", "visible"},
        {"<html><head><title>T</title></head><body><h1>Заголовок</h1>текст</body></html>",
         "Заголовок\n\nтекст"},
        {"<p>a<p>b", "a\n\nb"},
        {"plain text, no tags #109", "plain text, no tags #109"},
        {"2 < 3 > 1", "2 < 3 > 1"},
        {"   \n\t  ", ""},
        {"<p></p><div><br></div>", ""},
        {"<table><tr><td>Район</td><td>Алматы</td></tr><tr><td>Заявок</td><td>12</td></tr>"
         "</table>",
         "Район Алматы\n\nЗаявок 12"},
        {"<p>Свет 💡 нет &#128161;</p>", "Свет 💡 нет 💡"},
        {"&#0;&#xD800;&#x110000;ok", "ok"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = km_html_to_text(cases[i].html, strlen(cases[i].html));
        if (strcmp(text, cases[i].text) != 0) {
            print_error("case %zu: got \"%s\"\n", i, text);
        }
        assert_string_equal(text, cases[i].text);
        free(text);
    }
}

/* Input with explicit lengths: NUL bytes, invalid UTF-8, binary garbage. */
static void test_garbage(void **state)
{
    (void)state;
    static const struct {
        const char *html;
        size_t len;
        const char *text; /* NULL: only check that the result is valid UTF-8 */
    } cases[] = {
        {"<p>a\0b</p>", 10, "ab"},
        {"<p>\xd0\x90\xff\xfe</p>x\xd0", 14, "\xd0\x90\xef\xbf\xbd\xef\xbf\xbd\n\nx\xef\xbf\xbd"},
        {"\x00\x00\x00", 3, ""},
        {"<<<>>><p <a <b>>>&&&;;</", 24, NULL},
        {"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", 20, NULL},
        {"<a href=\"x", 10, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = km_html_to_text(cases[i].html, cases[i].len);
        assert_non_null(text);
        assert_true(km_utf8_valid(text, strlen(text), NULL));
        if (cases[i].text != NULL) {
            assert_string_equal(text, cases[i].text);
        }
        free(text);
    }
    char *text = km_html_to_text(NULL, 0);
    assert_string_equal(text, "");
    free(text);
}

/* Deep nesting must not overflow the stack of the tree walk. libxml2 stops parsing at
 * depth 256, so text up to there is kept and the rest is lost. */
static void test_deep(void **state)
{
    (void)state;
    static const struct {
        size_t depth;
        const char *text;
    } cases[] = {{250, "intro\n\ndeep"}, {100000, "intro"}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        size_t n = cases[c].depth;
        size_t len = 5 + n * 5 + 4;
        char *s = km_malloc(len + 1);
        memcpy(s, "intro", 5);
        for (size_t i = 0; i < n; i++) {
            memcpy(s + 5 + i * 5, "<div>", 5);
        }
        memcpy(s + 5 + n * 5, "deep", 4);
        s[len] = '\0';
        char *text = km_html_to_text(s, len);
        assert_string_equal(text, cases[c].text);
        free(text);
        free(s);
    }
}

/* XHTML inside an XML document, as an Atom entry carries it. */
static void test_node(void **state)
{
    (void)state;
    static const char xml[] =
        "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">"
        "<p>Первый &amp; <b>второй</b></p><p>third<br/>line</p></div></content>";
    xmlDocPtr doc = xmlReadMemory(xml, (int)sizeof(xml) - 1, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    assert_non_null(doc);
    char *text = km_html_node_to_text(xmlDocGetRootElement(doc));
    assert_string_equal(text, "Первый & второй\n\nthird\nline");
    free(text);
    xmlFreeDoc(doc);
    text = km_html_node_to_text(NULL);
    assert_string_equal(text, "");
    free(text);
}

int main(void)
{
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_to_text),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_deep),
        cmocka_unit_test(test_node),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
