/* Binary text[] parameters (see textarr.h). The layout is array_send()'s: five big-endian
 * int32 (dimensions 1, has-nulls flag, element type OID, length, lower bound 1), then each
 * element as a big-endian int32 length (-1: NULL) and its bytes. */
#include "db/textarr.h"

#include <string.h>

#define TA_TEXT_OID   25
#define TA_HEADER_LEN 20

static void ta_put32(char *at, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    memcpy(at, b, sizeof(b));
}

void km_textarr_init(struct km_textarr *a)
{
    km_buf_init(&a->buf);
    char header[TA_HEADER_LEN] = {0};
    km_buf_append(&a->buf, header, sizeof(header)); /* filled in by km_textarr_data() */
    a->n = 0;
}

void km_textarr_add(struct km_textarr *a, const char *s)
{
    size_t len = s != NULL ? strlen(s) : 0;
    char head[4];
    ta_put32(head, s != NULL ? (uint32_t)len : UINT32_MAX); /* -1 as a two's complement */
    km_buf_append(&a->buf, head, sizeof(head));
    if (s != NULL) {
        km_buf_append(&a->buf, s, len);
    }
    a->n++;
}

const char *km_textarr_data(struct km_textarr *a)
{
    ta_put32(a->buf.data, 1);     /* dimensions */
    ta_put32(a->buf.data + 4, 1); /* may hold NULLs (array_recv accepts 1 always) */
    ta_put32(a->buf.data + 8, TA_TEXT_OID);
    ta_put32(a->buf.data + 12, a->n); /* length */
    ta_put32(a->buf.data + 16, 1);    /* lower bound */
    return a->buf.data;
}

int km_textarr_len(const struct km_textarr *a)
{
    return (int)a->buf.len;
}

void km_textarr_free(struct km_textarr *a)
{
    km_buf_free(&a->buf);
    a->n = 0;
}
