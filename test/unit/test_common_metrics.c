/* Unit tests for common/metrics.c: the Prometheus text format (HELP/TYPE, sorting, label
 * escaping, integers and fractions), counters and gauges, scrape functions, many series
 * (table growth) and several threads counting at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/metrics.h"

static int mt_teardown(void **state)
{
    (void)state;
    km_metrics_reset();
    return 0;
}

static char *render(void)
{
    struct km_buf b = KM_BUF_INIT;
    km_metrics_render(&b);
    return km_buf_take(&b);
}

static void test_format(void **state)
{
    (void)state;
    km_metric_declare("komek_b_total", KM_METRIC_COUNTER, "Bees counted.");
    km_metric_declare("komek_a", KM_METRIC_GAUGE, "Ants now.");
    km_metric_declare("komek_empty_total", KM_METRIC_COUNTER, "Nothing yet.");
    km_metric_add("komek_b_total", "source=\"y\"", 2);
    km_metric_add("komek_b_total", "source=\"x\"", 1);
    km_metric_add("komek_b_total", "source=\"x\"", 1);
    km_metric_set("komek_a", NULL, 0.25);
    km_metric_add("komek_a", "", -1); /* gauges move both ways */
    char *got = render();
    assert_string_equal(got, "# HELP komek_a Ants now.\n"
                             "# TYPE komek_a gauge\n"
                             "komek_a -0.75\n"
                             "# HELP komek_b_total Bees counted.\n"
                             "# TYPE komek_b_total counter\n"
                             "komek_b_total{source=\"x\"} 2\n"
                             "komek_b_total{source=\"y\"} 2\n"
                             "# HELP komek_empty_total Nothing yet.\n"
                             "# TYPE komek_empty_total counter\n");
    free(got);
    assert_true(km_metric_get("komek_b_total", "source=\"x\"") == 2);
    assert_true(km_metric_get("komek_b_total", "source=\"z\"") == 0);
    assert_true(km_metric_get("komek_none", NULL) == 0);
}

static void test_labels(void **state)
{
    (void)state;
    struct km_buf b = KM_BUF_INIT;
    km_metric_label(&b, "source", "a\"b\\c\nd");
    km_metric_label(&b, "kind", "\xff ok");
    char *labels = km_buf_take(&b);
    assert_string_equal(labels, "source=\"a\\\"b\\\\c\\nd\",kind=\"\xef\xbf\xbd ok\"");
    km_metric_add("komek_x_total", labels, 3);
    char *got = render();
    assert_non_null(strstr(got, "komek_x_total{source=\"a\\\"b\\\\c\\nd\",kind=\"\xef\xbf\xbd ok\"} 3\n"));
    /* used before it was declared: a counter whose help is filled in by a later declare */
    assert_non_null(strstr(got, "# HELP komek_x_total komek_x_total\n"));
    free(got);
    km_metric_declare("komek_x_total", KM_METRIC_COUNTER, "Xs.");
    got = render();
    assert_non_null(strstr(got, "# HELP komek_x_total Xs.\n"));
    free(got);
    free(labels);
}

static int scrapes;

static void scrape(void *arg)
{
    scrapes++;
    km_metric_set("komek_depth", NULL, *(double *)arg);
}

static void test_scrape(void **state)
{
    (void)state;
    double depth = 7;
    km_metric_declare("komek_depth", KM_METRIC_GAUGE, "Depth.");
    km_metrics_on_scrape(scrape, &depth);
    char *got = render();
    assert_non_null(strstr(got, "komek_depth 7\n"));
    free(got);
    depth = 9;
    km_metrics_off_scrape(scrape, &depth);
    got = render();
    assert_non_null(strstr(got, "komek_depth 7\n")); /* not refreshed any more */
    free(got);
    assert_int_equal(scrapes, 1);
}

#define N_THREADS 4
#define N_ADDS    20000

static void *counter_thread(void *arg)
{
    char labels[32];
    snprintf(labels, sizeof(labels), "t=\"%d\"", *(int *)arg);
    for (int i = 0; i < N_ADDS; i++) {
        km_metric_add("komek_shared_total", NULL, 1);
        km_metric_add("komek_own_total", labels, 1);
    }
    return NULL;
}

static void test_threads_and_growth(void **state)
{
    (void)state;
    pthread_t th[N_THREADS];
    int ids[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        ids[i] = i;
        assert_int_equal(pthread_create(&th[i], NULL, counter_thread, &ids[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    assert_true(km_metric_get("komek_shared_total", NULL) == N_THREADS * N_ADDS);
    assert_true(km_metric_get("komek_own_total", "t=\"3\"") == N_ADDS);
    /* a thousand series: the table grows and keeps every value */
    for (int i = 0; i < 1000; i++) {
        char labels[32];
        snprintf(labels, sizeof(labels), "n=\"%04d\"", i);
        km_metric_set("komek_many", labels, i);
    }
    for (int i = 0; i < 1000; i += 111) {
        char labels[32];
        snprintf(labels, sizeof(labels), "n=\"%04d\"", i);
        assert_true(km_metric_get("komek_many", labels) == i);
    }
    char *got = render();
    assert_non_null(strstr(got, "komek_many{n=\"0998\"} 998\nkomek_many{n=\"0999\"} 999\n"));
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_format, mt_teardown),
        cmocka_unit_test_teardown(test_labels, mt_teardown),
        cmocka_unit_test_teardown(test_scrape, mt_teardown),
        cmocka_unit_test_teardown(test_threads_and_growth, mt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
