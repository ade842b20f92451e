/* HTML to plain text on libxml2's HTML parser (see html.h). */
#include "parser/html.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/utf8.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

/* The text being built and the separator owed before the next visible character. */
struct html_out {
    struct km_buf b;
    int pending_nl;     /* 0, 1 (line break) or 2 (blank line) */
    bool pending_space; /* a whitespace run was seen */
};

/* Elements whose content is not text a reader sees. */
static const char *const html_skipped[] = {"script",   "style",  "head",   "title", "template",
                                           "noscript", "iframe", "object", "svg",   "math"};

/* Elements that stand as paragraphs of their own. */
static const char *const html_blocks[] = {
    "p",    "div",     "li",       "ul",      "ol",         "h1",         "h2",
    "h3",   "h4",      "h5",       "h6",      "blockquote", "pre",        "table",
    "tr",   "section", "article",  "header",  "footer",     "aside",      "nav",
    "hr",   "dl",      "dt",       "dd",      "figure",     "figcaption", "address",
    "main", "form",    "fieldset", "details", "summary",    "body",
};

static bool html_is(const xmlNode *n, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (xmlStrcasecmp(n->name, (const xmlChar *)names[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void html_break(struct html_out *o, int lines)
{
    if (lines > o->pending_nl) {
        o->pending_nl = lines;
    }
}

/* Emits the separator owed, unless nothing has been written yet. */
static void html_flush(struct html_out *o)
{
    if (o->b.len > 0) {
        if (o->pending_nl > 0) {
            km_buf_append(&o->b, "\n\n", (size_t)o->pending_nl);
        } else if (o->pending_space) {
            km_buf_putc(&o->b, ' ');
        }
    }
    o->pending_nl = 0;
    o->pending_space = false;
}

/* Length of the whitespace character at s (ASCII space or U+00A0), or 0. */
static size_t html_space_len(const char *s)
{
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v') {
        return 1;
    }
    return (s[0] == '\xc2' && s[1] == '\xa0') ? 2 : 0;
}

static void html_text(struct html_out *o, const char *s)
{
    while (*s != '\0') {
        size_t sp = html_space_len(s);
        if (sp > 0) {
            o->pending_space = true;
            s += sp;
            continue;
        }
        const char *run = s;
        while (*s != '\0' && html_space_len(s) == 0) {
            s++;
        }
        html_flush(o);
        km_buf_append(&o->b, run, (size_t)(s - run));
    }
}

/* Handles the start of n; returns whether to descend into its children. */
static bool html_enter(struct html_out *o, const xmlNode *n)
{
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (n->content != NULL) {
            html_text(o, (const char *)n->content);
        }
        return false;
    }
    if (n->type != XML_ELEMENT_NODE || n->name == NULL) {
        return false; /* comments, processing instructions, entity references */
    }
    if (html_is(n, html_skipped, sizeof(html_skipped) / sizeof(html_skipped[0]))) {
        return false;
    }
    if (xmlStrcasecmp(n->name, (const xmlChar *)"br") == 0) {
        html_break(o, o->pending_nl + 1 > 2 ? 2 : o->pending_nl + 1);
    } else if (html_is(n, html_blocks, sizeof(html_blocks) / sizeof(html_blocks[0]))) {
        html_break(o, 2);
    } else if (xmlStrcasecmp(n->name, (const xmlChar *)"td") == 0 ||
               xmlStrcasecmp(n->name, (const xmlChar *)"th") == 0) {
        o->pending_space = true;
    }
    return true;
}

static void html_leave(struct html_out *o, const xmlNode *n)
{
    if (n->type == XML_ELEMENT_NODE && n->name != NULL &&
        html_is(n, html_blocks, sizeof(html_blocks) / sizeof(html_blocks[0]))) {
        html_break(o, 2);
    }
}

/* Depth-first over the children of root, iteratively: libxml2's HTML parser has no depth
 * limit, so recursion here could overflow the stack on hostile input. */
static void html_walk(struct html_out *o, const xmlNode *root)
{
    const xmlNode *n = root->children;
    while (n != NULL) {
        if (html_enter(o, n) && n->children != NULL) {
            n = n->children;
            continue;
        }
        while (n != NULL) {
            html_leave(o, n);
            if (n->next != NULL) {
                n = n->next;
                break;
            }
            n = n->parent;
            if (n == root) {
                n = NULL;
            }
        }
    }
}

/* Takes the text out of o, repaired in case a character reference produced bad UTF-8. */
static char *html_finish(struct html_out *o)
{
    char *s = km_buf_take(&o->b);
    size_t len = strlen(s);
    if (km_utf8_valid(s, len, NULL)) {
        return s;
    }
    char *clean = km_utf8_clean(s, len, NULL);
    free(s);
    return clean;
}

char *km_html_node_to_text(const xmlNode *node)
{
    struct html_out o = {KM_BUF_INIT, 0, false};
    if (node != NULL) {
        html_walk(&o, node);
    }
    return html_finish(&o);
}

char *km_html_to_text(const char *html, size_t len)
{
    char *clean = NULL;
    htmlDocPtr doc = NULL;
    struct html_out o = {KM_BUF_INIT, 0, false};
    if (len == 0) {
        goto out;
    }
    /* Repair first: on a bad byte libxml2 would switch the rest of the page to Latin-1. */
    clean = km_utf8_clean(html, len, NULL);
    size_t clen = strlen(clean);
    if (clen > INT_MAX) {
        clen = INT_MAX; /* bodies are capped far below this; never wrap the int */
    }
    doc = htmlReadMemory(clean, (int)clen, NULL, "UTF-8",
                         HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                             HTML_PARSE_NOWARNING | HTML_PARSE_IGNORE_ENC);
    if (doc != NULL) {
        html_walk(&o, (const xmlNode *)doc);
    }
out:
    xmlFreeDoc(doc);
    free(clean);
    return html_finish(&o);
}
