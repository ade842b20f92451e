/* RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 reader on libxml2 (see feed.h). */
#include "parser/feed.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "common/utf8.h"
#include "parser/html.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define NS_ATOM    "http://www.w3.org/2005/Atom"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define NS_DC      "http://purl.org/dc/elements/1.1/"
#define NS_RDF     "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_RSS1    "http://purl.org/rss/1.0/"

/* The only options ever used: no network, no entity substitution, no DTD loading, default
 * size and depth limits (STYLE.md "Limits on untrusted input"). */
#define FEED_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* Longest RSS <ttl> honoured: a week. A larger value is more likely a typo than a wish. */
#define FEED_MAX_TTL_MINUTES 10080L

/* Whether n is the element ns:name; ns NULL means "in no namespace" (RSS 2.0). */
static bool fd_is(const xmlNode *n, const char *ns, const char *name)
{
    if (n->type != XML_ELEMENT_NODE || xmlStrcmp(n->name, (const xmlChar *)name) != 0) {
        return false;
    }
    if (ns == NULL) {
        return n->ns == NULL;
    }
    return n->ns != NULL && xmlStrcmp(n->ns->href, (const xmlChar *)ns) == 0;
}

/* The text and CDATA directly inside n, entity references skipped (never expanded). */
static char *fd_raw_text(const xmlNode *n)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_append(&b, "", 0);
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != NULL) {
            km_buf_puts(&b, (const char *)c->content);
        }
    }
    return km_buf_take(&b);
}

static bool fd_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Takes s, collapses whitespace runs to one space and trims; NULL instead of "". */
static char *fd_collapse_take(char *s)
{
    if (s == NULL) {
        return NULL;
    }
    size_t w = 0;
    bool gap = false;
    for (size_t r = 0; s[r] != '\0'; r++) {
        if (fd_space(s[r])) {
            gap = w > 0;
            continue;
        }
        if (gap) {
            s[w++] = ' ';
            gap = false;
        }
        s[w++] = s[r];
    }
    s[w] = '\0';
    if (w == 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* Plain text of n with whitespace collapsed, or NULL if empty. */
static char *fd_text(const xmlNode *n)
{
    return fd_collapse_take(fd_raw_text(n));
}

/* Text of n read as HTML, or NULL if empty. */
static char *fd_html(const xmlNode *n)
{
    char *raw = fd_raw_text(n);
    char *text = km_html_to_text(raw, strlen(raw));
    free(raw);
    if (text[0] == '\0') {
        free(text);
        return NULL;
    }
    return text;
}

/* An Atom text construct: type "html", "xhtml" or plain text (the default). */
static char *fd_atom_text(const xmlNode *n)
{
    xmlChar *type = xmlGetNoNsProp(n, (const xmlChar *)"type");
    char *text = NULL;
    if (type != NULL && xmlStrcmp(type, (const xmlChar *)"html") == 0) {
        text = fd_html(n);
    } else if (type != NULL && xmlStrcmp(type, (const xmlChar *)"xhtml") == 0) {
        text = km_html_node_to_text(n);
        if (text[0] == '\0') {
            free(text);
            text = NULL;
        }
    } else {
        text = fd_text(n);
    }
    xmlFree(type);
    return text;
}

/* Sets *field to value (taking it) unless *field is already set. */
static void fd_keep_first(char **field, char *value)
{
    if (*field == NULL) {
        *field = value;
    } else {
        free(value);
    }
}

static void fd_add_category(struct km_feed_item *it, char *cat)
{
    if (cat == NULL) {
        return;
    }
    for (size_t i = 0; i < it->n_categories; i++) {
        if (strcmp(it->categories[i], cat) == 0) {
            free(cat);
            return;
        }
    }
    it->categories = km_realloc(it->categories, (it->n_categories + 1) * sizeof(char *));
    it->categories[it->n_categories++] = cat;
}

static void fd_item_free(struct km_feed_item *it)
{
    free(it->id);
    free(it->title);
    free(it->link);
    free(it->summary);
    free(it->author);
    for (size_t i = 0; i < it->n_categories; i++) {
        free(it->categories[i]);
    }
    free(it->categories);
}

void km_feed_free(struct km_feed *f)
{
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < f->n; i++) {
        fd_item_free(&f->items[i]);
    }
    free(f->items);
    free(f->title);
    free(f);
}

static struct km_feed_item *fd_new_item(struct km_feed *f)
{
    f->items = km_realloc(f->items, (f->n + 1) * sizeof(*f->items));
    struct km_feed_item *it = &f->items[f->n++];
    memset(it, 0, sizeof(*it));
    return it;
}

/* Values of one RSS/RDF item collected before the choice between alternatives. */
struct fd_rss_item {
    char *content, *description, *creator, *author;
    int64_t pub_ms, dc_date_ms;
};

/* One child of an RSS 2.0 (ns NULL) or RSS 1.0 (ns NS_RSS1) item. */
static void fd_rss_child(const xmlNode *c, const char *ns, struct km_feed_item *it,
                         struct fd_rss_item *tmp)
{
    char *s = NULL;
    if (fd_is(c, ns, "title")) {
        fd_keep_first(&it->title, fd_text(c));
    } else if (fd_is(c, ns, "link")) {
        fd_keep_first(&it->link, fd_text(c));
    } else if (fd_is(c, ns, "guid")) {
        fd_keep_first(&it->id, fd_text(c));
    } else if (fd_is(c, ns, "description")) {
        fd_keep_first(&tmp->description, fd_html(c));
    } else if (fd_is(c, NS_CONTENT, "encoded")) {
        fd_keep_first(&tmp->content, fd_html(c));
    } else if (fd_is(c, ns, "author")) {
        fd_keep_first(&tmp->author, fd_text(c));
    } else if (fd_is(c, NS_DC, "creator")) {
        fd_keep_first(&tmp->creator, fd_text(c));
    } else if (fd_is(c, ns, "category") || fd_is(c, NS_DC, "subject")) {
        fd_add_category(it, fd_text(c));
    } else if (fd_is(c, ns, "pubDate") && (s = fd_text(c)) != NULL) {
        km_time_parse_rfc822(s, &tmp->pub_ms);
    } else if (fd_is(c, NS_DC, "date") && (s = fd_text(c)) != NULL) {
        km_time_parse_rfc3339(s, &tmp->dc_date_ms);
    }
    free(s);
}

static void fd_rss_item(struct km_feed *f, const xmlNode *item, const char *ns)
{
    struct km_feed_item *it = fd_new_item(f);
    struct fd_rss_item tmp = {NULL, NULL, NULL, NULL, 0, 0};
    for (const xmlNode *c = item->children; c != NULL; c = c->next) {
        fd_rss_child(c, ns, it, &tmp);
    }
    if (it->id == NULL) {
        xmlChar *about = xmlGetNsProp(item, (const xmlChar *)"about", (const xmlChar *)NS_RDF);
        it->id = about != NULL ? fd_collapse_take(km_strdup((const char *)about)) : NULL;
        xmlFree(about);
    }
    if (it->id == NULL && it->link != NULL) {
        it->id = km_strdup(it->link);
    }
    it->summary = tmp.content != NULL ? tmp.content : tmp.description;
    free(tmp.content != NULL ? tmp.description : NULL);
    it->author = tmp.creator != NULL ? tmp.creator : tmp.author;
    free(tmp.creator != NULL ? tmp.author : NULL);
    it->published_ms = tmp.pub_ms != 0 ? tmp.pub_ms : tmp.dc_date_ms;
}

static void fd_rss_channel(struct km_feed *f, const xmlNode *channel)
{
    for (const xmlNode *c = channel->children; c != NULL; c = c->next) {
        if (fd_is(c, NULL, "title")) {
            fd_keep_first(&f->title, fd_text(c));
        } else if (fd_is(c, NULL, "ttl")) {
            char *s = fd_text(c), *end = NULL;
            long ttl = s != NULL ? strtol(s, &end, 10) : 0;
            bool ok = s != NULL && *end == '\0' && ttl > 0 && ttl <= FEED_MAX_TTL_MINUTES;
            f->ttl_minutes = ok ? ttl : 0;
            free(s);
        } else if (fd_is(c, NULL, "item")) {
            fd_rss_item(f, c, NULL);
        }
    }
}

static void fd_rdf(struct km_feed *f, const xmlNode *root)
{
    for (const xmlNode *c = root->children; c != NULL; c = c->next) {
        if (fd_is(c, NS_RSS1, "channel")) {
            for (const xmlNode *t = c->children; t != NULL; t = t->next) {
                if (fd_is(t, NS_RSS1, "title")) {
                    fd_keep_first(&f->title, fd_text(t));
                }
            }
        } else if (fd_is(c, NS_RSS1, "item")) {
            fd_rss_item(f, c, NS_RSS1);
        }
    }
}

/* The name of an atom:author (or NULL). */
static char *fd_atom_author(const xmlNode *author)
{
    for (const xmlNode *c = author->children; c != NULL; c = c->next) {
        if (fd_is(c, NS_ATOM, "name")) {
            return fd_text(c);
        }
    }
    return NULL;
}

/* The href of an alternate atom:link (rel absent or "alternate"), or NULL. */
static char *fd_atom_link(const xmlNode *link)
{
    xmlChar *rel = xmlGetNoNsProp(link, (const xmlChar *)"rel");
    xmlChar *href = xmlGetNoNsProp(link, (const xmlChar *)"href");
    char *out = NULL;
    if (href != NULL && (rel == NULL || xmlStrcmp(rel, (const xmlChar *)"alternate") == 0)) {
        out = fd_collapse_take(km_strdup((const char *)href));
    }
    xmlFree(rel);
    xmlFree(href);
    return out;
}

static char *fd_atom_category(const xmlNode *cat)
{
    xmlChar *term = xmlGetNoNsProp(cat, (const xmlChar *)"term");
    if (term == NULL) {
        term = xmlGetNoNsProp(cat, (const xmlChar *)"label");
    }
    char *out = term != NULL ? fd_collapse_take(km_strdup((const char *)term)) : NULL;
    xmlFree(term);
    return out;
}

/* Parses an RFC 3339 element into *ms if it is not set yet. */
static void fd_atom_time(const xmlNode *c, int64_t *ms)
{
    char *s = fd_text(c);
    int64_t t = 0;
    if (*ms == 0 && s != NULL && km_time_parse_rfc3339(s, &t) == KM_OK) {
        *ms = t;
    }
    free(s);
}

static void fd_atom_entry(struct km_feed *f, const xmlNode *entry, const char *feed_author)
{
    struct km_feed_item *it = fd_new_item(f);
    char *content = NULL, *summary = NULL;
    int64_t updated = 0;
    for (const xmlNode *c = entry->children; c != NULL; c = c->next) {
        if (fd_is(c, NS_ATOM, "id")) {
            fd_keep_first(&it->id, fd_text(c));
        } else if (fd_is(c, NS_ATOM, "title")) {
            fd_keep_first(&it->title, fd_collapse_take(fd_atom_text(c)));
        } else if (fd_is(c, NS_ATOM, "link")) {
            fd_keep_first(&it->link, fd_atom_link(c));
        } else if (fd_is(c, NS_ATOM, "content")) {
            fd_keep_first(&content, fd_atom_text(c)); /* out-of-line src: no text, NULL */
        } else if (fd_is(c, NS_ATOM, "summary")) {
            fd_keep_first(&summary, fd_atom_text(c));
        } else if (fd_is(c, NS_ATOM, "author")) {
            fd_keep_first(&it->author, fd_atom_author(c));
        } else if (fd_is(c, NS_ATOM, "category")) {
            fd_add_category(it, fd_atom_category(c));
        } else if (fd_is(c, NS_ATOM, "published")) {
            fd_atom_time(c, &it->published_ms);
        } else if (fd_is(c, NS_ATOM, "updated")) {
            fd_atom_time(c, &updated);
        }
    }
    it->summary = content != NULL ? content : summary;
    free(content != NULL ? summary : NULL);
    it->published_ms = it->published_ms != 0 ? it->published_ms : updated;
    if (it->author == NULL) {
        it->author = km_strdup(feed_author);
    }
    if (it->id == NULL && it->link != NULL) {
        it->id = km_strdup(it->link);
    }
}

static void fd_atom(struct km_feed *f, const xmlNode *root)
{
    char *feed_author = NULL;
    for (const xmlNode *c = root->children; c != NULL; c = c->next) {
        if (fd_is(c, NS_ATOM, "title")) {
            fd_keep_first(&f->title, fd_collapse_take(fd_atom_text(c)));
        } else if (fd_is(c, NS_ATOM, "author")) {
            fd_keep_first(&feed_author, fd_atom_author(c));
        }
    }
    for (const xmlNode *c = root->children; c != NULL; c = c->next) {
        if (fd_is(c, NS_ATOM, "entry")) {
            fd_atom_entry(f, c, feed_author);
        }
    }
    free(feed_author);
}

/* Whether the XML declaration names an encoding other than UTF-8 (then a byte that is
 * not UTF-8 is a real error, not something to repair). */
static bool fd_declares_other_encoding(const char *buf, size_t len)
{
    size_t n = len < 200 ? len : 200;
    if (n < 5 || memcmp(buf, "<?xml", 5) != 0) {
        return false;
    }
    const char *end = memchr(buf, '>', n);
    const char *enc = NULL;
    for (const char *p = buf; end != NULL && p + 9 < end; p++) {
        if (memcmp(p, "encoding", 8) == 0) {
            enc = p + 8;
            break;
        }
    }
    if (enc == NULL) {
        return false;
    }
    while (enc < end && (*enc == ' ' || *enc == '=' || *enc == '"' || *enc == '\'')) {
        enc++;
    }
    return (size_t)(end - enc) < 5 || strncasecmp(enc, "utf-8", 5) != 0;
}

/* Reads the document; on failure fills err with "line N: message". */
static xmlDocPtr fd_read(xmlParserCtxtPtr ctxt, const char *buf, size_t len, const char *encoding,
                         int *code, struct km_err *err)
{
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, encoding, FEED_XML_OPTIONS);
    if (doc != NULL) {
        return doc;
    }
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    const char *msg = e != NULL && e->message != NULL ? e->message : "not well-formed XML";
    *code = e != NULL ? e->code : 0;
    km_err_set(err, KM_EINPUT, "line %d: %.*s", e != NULL ? e->line : 0, (int)strcspn(msg, "\n"),
               msg);
    return NULL;
}

/* Parses buf, repairing invalid UTF-8 in a UTF-8 document once. */
static xmlDocPtr fd_parse_doc(const char *buf, size_t len, bool *repaired, struct km_err *err)
{
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    char *clean = NULL;
    xmlDocPtr doc = NULL;
    struct km_err first = {""}; /* reported only if the repaired copy fails too */
    int code = 0;
    if (ctxt == NULL) {
        km_err_set(err, KM_EINPUT, "cannot create an XML parser (out of memory)");
        goto out;
    }
    doc = fd_read(ctxt, buf, len, NULL, &code, &first);
    if (doc == NULL && code == XML_ERR_INVALID_CHAR && !km_utf8_valid(buf, len, NULL) &&
        !fd_declares_other_encoding(buf, len)) {
        clean = km_utf8_clean(buf, len, NULL);
        size_t clen = strlen(clean);
        struct km_err second = {""};
        doc = fd_read(ctxt, clean, clen < INT_MAX ? clen : INT_MAX, "UTF-8", &code, &second);
        *repaired = doc != NULL;
    }
    if (doc == NULL) {
        km_err_set(err, KM_EINPUT, "%s", first.msg);
    }
out:
    free(clean);
    xmlFreeParserCtxt(ctxt);
    return doc;
}

int km_feed_parse(const char *buf, size_t len, struct km_feed **out, struct km_err *err)
{
    xmlDocPtr doc = NULL;
    struct km_feed *f = NULL;
    int rc = KM_OK;
    bool repaired = false;
    *out = NULL;
    if (len == 0) {
        rc = km_err_set(err, KM_EINPUT, "empty body");
        goto out;
    }
    if (len > INT_MAX) {
        rc = km_err_set(err, KM_EINPUT, "body too large for the XML parser");
        goto out;
    }
    if ((doc = fd_parse_doc(buf, len, &repaired, err)) == NULL) {
        rc = KM_EINPUT;
        goto out;
    }
    const xmlNode *root = xmlDocGetRootElement(doc);
    f = km_calloc(1, sizeof(*f));
    f->repaired = repaired;
    if (root != NULL && fd_is(root, NULL, "rss")) {
        f->format = "rss";
        for (const xmlNode *c = root->children; c != NULL; c = c->next) {
            if (fd_is(c, NULL, "channel")) {
                fd_rss_channel(f, c);
            }
        }
    } else if (root != NULL && fd_is(root, NS_RDF, "RDF")) {
        f->format = "rdf";
        fd_rdf(f, root);
    } else if (root != NULL && fd_is(root, NS_ATOM, "feed")) {
        f->format = "atom";
        fd_atom(f, root);
    } else {
        rc = km_err_set(err, KM_EINPUT, "not an RSS or Atom feed");
        goto out;
    }
    *out = f;
    f = NULL;
out:
    km_feed_free(f);
    xmlFreeDoc(doc);
    return rc;
}
