/* Fuzz target: the JSON layer (parser/json.c): depth pre-scan, UTF-8 repair, yajl's tree,
 * JSON Pointers, scalar and time readers, and string escaping.
 *
 * Oracles: a tree never exceeds KM_JSON_MAX_DEPTH; a valid UTF-8 input is never
 * "repaired"; every node is found again by the JSON Pointer of its path (members shadowed by
 * an earlier duplicate key excepted); every string escaped by km_json_escape() parses back
 * to itself. */
#include "common/buf.h"
#include "parser/json.h"
#include "test/fuzz/fuzz.h"

/* Nodes checked per input: bounds the cost of a huge flat array. */
#define WALK_MAX 2000

struct walk {
    yajl_val root;
    struct km_buf path;
    size_t nodes;
};

/* Appends one reference token to the pointer, '~' as "~0" and '/' as "~1". */
static void push_token(struct km_buf *b, const char *tok)
{
    km_buf_putc(b, '/');
    for (const char *p = tok; *p != '\0'; p++) {
        if (*p == '~') {
            km_buf_puts(b, "~0");
        } else if (*p == '/') {
            km_buf_puts(b, "~1");
        } else {
            km_buf_putc(b, *p);
        }
    }
}

static void check_string(const char *s)
{
    struct km_buf b = KM_BUF_INIT;
    km_json_escape(&b, s);
    yajl_val v = NULL;
    struct km_err err = {{0}};
    fz_check(km_json_parse(b.data, b.len, &v, NULL, &err) == KM_OK, "escaped %s: %s", b.data,
             err.msg);
    fz_check(YAJL_IS_STRING(v) && strcmp(v->u.string, s) == 0, "escape of %s", s);
    km_json_free(v);
    km_buf_free(&b);
}

static void walk(struct walk *w, yajl_val v, int depth, bool reachable)
{
    if (w->nodes++ >= WALK_MAX) {
        return;
    }
    fz_check(depth <= KM_JSON_MAX_DEPTH, "depth %d", depth);
    if (reachable) {
        km_buf_putc(&w->path, '\0');
        w->path.len--;
        fz_check(km_json_pointer_valid(w->path.data), "pointer %s invalid", w->path.data);
        fz_check(km_json_pointer(w->root, w->path.data) == v, "pointer %s", w->path.data);
    }
    char *dup = km_json_value_dup(v);
    fz_check((dup != NULL) == (YAJL_IS_STRING(v) || YAJL_IS_NUMBER(v)), "value_dup");
    free(dup);
    (void)km_json_time_ms(v);
    if (YAJL_IS_STRING(v)) {
        fz_check_str("string", YAJL_GET_STRING(v));
        check_string(YAJL_GET_STRING(v));
    }
    size_t mark = w->path.len;
    if (YAJL_IS_OBJECT(v)) {
        for (size_t i = 0; i < v->u.object.len; i++) {
            const char *key = v->u.object.keys[i];
            bool first = true;
            for (size_t j = 0; j < i && first; j++) {
                first = strcmp(v->u.object.keys[j], key) != 0;
            }
            (void)km_json_str(v, key);
            int64_t n = 0;
            (void)km_json_int(v, key, &n);
            free(km_json_scalar_dup(v, key));
            push_token(&w->path, key);
            walk(w, v->u.object.values[i], depth + 1, reachable && first);
            w->path.len = mark;
        }
    } else if (YAJL_IS_ARRAY(v)) {
        for (size_t i = 0; i < v->u.array.len; i++) {
            km_buf_printf(&w->path, "/%zu", i);
            walk(w, v->u.array.values[i], depth + 1, reachable);
            w->path.len = mark;
        }
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yajl_val root = NULL;
    bool repaired = false;
    struct km_err err = {{0}};
    int rc = km_json_parse((const char *)data, size, &root, &repaired, &err);
    fz_check(rc == KM_OK || rc == KM_EINPUT, "rc %d", rc);
    if (rc != KM_OK) {
        fz_check(err.msg[0] != '\0', "KM_EINPUT without a message");
        return 0;
    }
    size_t bad = 0;
    fz_check(!repaired || !km_utf8_valid((const char *)data, size, &bad), "repaired valid UTF-8");
    struct walk w = {.root = root, .path = KM_BUF_INIT};
    walk(&w, root, 0, true);
    km_buf_free(&w.path);
    km_json_free(root);
    return 0;
}
