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

#include "common/time.h"
#include "test/unit/xml_test.h"

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

/* A billion-laughs DOCTYPE (nine levels of ten) followed by body, into buf. */
static void laughs(char *buf, size_t size, const char *extra, const char *body)
{
    size_t n = (size_t)snprintf(buf, size, "<!DOCTYPE html [<!ENTITY lol \"lol\">");
    for (int i = 1; i <= 9; i++) {
        n += (size_t)snprintf(buf + n, size - n, "<!ENTITY lol%d \"", i);
        for (int k = 0; k < 10; k++) {
            n += i == 1 ? (size_t)snprintf(buf + n, size - n, "&lol;")
                        : (size_t)snprintf(buf + n, size - n, "&lol%d;", i - 1);
        }
        n += (size_t)snprintf(buf + n, size - n, "\">");
    }
    snprintf(buf + n, size - n, "%s]>%s", extra, body);
    assert_true(strlen(buf) < size - 1);
}

/* Security (issue 7): HTML with a billion-laughs internal subset, external entities
 * (file://, relative, http://) and an external DTD is turned into text without expanding
 * anything, without opening any file or URL, and fast; the same for XHTML handed over as
 * an XML node whose document declares them (Atom content). */
static void test_hostile_entities(void **state)
{
    (void)state;
    static const char ext[] = "<!ENTITY passwd SYSTEM \"file:///etc/passwd\">"
                              "<!ENTITY secret SYSTEM \"test/fixtures/parser/xxe_secret.txt\">"
                              "<!ENTITY remote SYSTEM \"http://127.0.0.1:9/x\">";
    char bomb[2048];
    laughs(bomb, sizeof(bomb), ext, "<p>Body &lol9; &passwd; &secret; &remote;</p>");
    const char *const docs[] = {
        bomb,
        "<!DOCTYPE html SYSTEM \"test/fixtures/parser/xxe.dtd\"><p>DTD &leak; &pleak;</p>",
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
        "\"http://127.0.0.1:9/xhtml1-strict.dtd\"><p>public</p>",
    };
    static const char *const leaks[] = {"lollol", "root:", "KM-SECRET-MARKER", "KM-DTD-LOADED",
                                        "KM-PE-LOADED"};
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        xt_guard_begin();
        int64_t t0 = km_time_mono_ms();
        char *text = km_html_to_text(docs[i], strlen(docs[i]));
        assert_true(km_time_mono_ms() - t0 < 1000);
        if (xt_guard_end() != 0) {
            fail_msg("doc %zu: libxml2 reached outside the document: %s", i, xt_last);
        }
        for (size_t k = 0; k < sizeof(leaks) / sizeof(leaks[0]); k++) {
            assert_null(strstr(text, leaks[k]));
        }
        free(text);
    }

    /* As an Atom xhtml node: a two-level bomb (libxml2 2.9.14 refuses deeper ones) and
     * external entities declared by the document, referenced inside the content. */
    static const char xml[] =
        "<?xml version=\"1.0\"?><!DOCTYPE content [<!ENTITY lol \"lol\">"
        "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        "<!ENTITY secret SYSTEM \"test/fixtures/parser/xxe_secret.txt\">]>"
        "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">"
        "<p>Body &lol1; &secret;</p></div></content>";
    xt_guard_begin();
    xmlDocPtr doc = xmlReadMemory(xml, (int)sizeof(xml) - 1, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    assert_non_null(doc);
    char *text = km_html_node_to_text(xmlDocGetRootElement(doc));
    if (xt_guard_end() != 0) {
        fail_msg("xhtml node: libxml2 reached outside the document: %s", xt_last);
    }
    assert_string_equal(text, "Body");
    free(text);
    xmlFreeDoc(doc);
}

int main(void)
{
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_to_text),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_deep),
        cmocka_unit_test(test_node),
        cmocka_unit_test(test_hostile_entities),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
