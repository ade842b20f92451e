/* Unit tests for app/shared.c: readers keep the version they took across a replace. */
#include "app/shared.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

static int freed[4];

static void free_int(void *obj)
{
    freed[*(int *)obj]++;
    free(obj);
}

static int *int_new(int v)
{
    int *p = malloc(sizeof(*p));
    *p = v;
    return p;
}

static void test_replace_while_read(void **state)
{
    (void)state;
    struct km_shared s;
    km_shared_init(&s, int_new(1), free_int);
    struct km_shared_ref *r1 = NULL;
    int *v = km_shared_acquire(&s, &r1);
    assert_int_equal(*v, 1);
    km_shared_replace(&s, int_new(2));
    assert_int_equal(freed[1], 0); /* still read */
    assert_int_equal(*v, 1);
    struct km_shared_ref *r2 = NULL;
    assert_int_equal(*(int *)km_shared_acquire(&s, &r2), 2);
    km_shared_release(&s, r1);
    assert_int_equal(freed[1], 1); /* its last reader let go */
    km_shared_replace(&s, int_new(3));
    assert_int_equal(freed[2], 0);
    km_shared_release(&s, r2);
    assert_int_equal(freed[2], 1);
    km_shared_destroy(&s);
    assert_int_equal(freed[3], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_replace_while_read)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
