/*
 * test_analysis_csv.c — the CSV reader (analysis/csv.c) and the run-directory loader
 * (analysis/run.c).
 *
 * Covers: header mapping by name (reordered and extra columns, BOM, CRLF, blank lines),
 * empty cells as "unknown"; errors with file and line for a bad header (missing,
 * duplicated, empty column name, empty file), a non-numeric cell, a wrong column count, an
 * empty required cell and an out-of-range integer.  For run directories: the metric arrays
 * (skipped rows only in visibility_delay_all_ns, never-visible rows counted), counters
 * summed by name, label fallback to the directory name, manifest validation (invalid
 * JSON with line and column, missing or mistyped keys), and the cross-column checks
 * (delay = visible - pub, version_lag = latest - version, age 0 at lag 0, skipped in {0,1}).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "run.h"

static const char *const cols3[] = {"a", "b", "c"};

/* Open text as a CSV stream named "data.csv" wanting columns a, b, c. */
static int open_text(const char *text, FILE **f, struct tasvir_csv **c, struct tasvir_errbuf *e)
{
    *f = fmemopen((void *)text, strlen(text), "r");
    cr_assert(not(eq(ptr, *f, NULL)));
    return tasvir_csv_open_stream(*f, "data.csv", cols3, 3, c, e);
}

Test(csv, header_by_name_extra_columns_crlf_bom_blank_lines)
{
    const char *text = "\xEF\xBB\xBF" "c,extra,a,b\r\n"
                       "3,zz,1,2\r\n"
                       "\r\n"
                       ",x,-7,\n";
    FILE *f;
    struct tasvir_csv *c;
    struct tasvir_errbuf e;
    cr_assert(eq(int, open_text(text, &f, &c, &e), 0), "%s", e.msg);
    int64_t v;
    cr_assert(eq(int, tasvir_csv_next(c, &e), 1));
    cr_assert(eq(int, tasvir_csv_i64(c, 0, &v, &e), 1));
    cr_assert(eq(i64, v, 1));
    cr_assert(eq(int, tasvir_csv_i64(c, 1, &v, &e), 1));
    cr_assert(eq(i64, v, 2));
    cr_assert(eq(int, tasvir_csv_i64(c, 2, &v, &e), 1));
    cr_assert(eq(i64, v, 3));
    cr_assert(eq(int, tasvir_csv_next(c, &e), 1)); /* the blank line is skipped */
    cr_assert(eq(ulong, tasvir_csv_line(c), 4));
    cr_assert(eq(int, tasvir_csv_i64(c, 0, &v, &e), 1));
    cr_assert(eq(i64, v, -7));
    cr_assert(eq(int, tasvir_csv_i64(c, 1, &v, &e), 0)); /* empty = unknown */
    cr_assert(eq(int, tasvir_csv_i64(c, 2, &v, &e), 0));
    cr_assert(eq(int, tasvir_csv_i64_req(c, 2, &v, &e), -EINVAL));
    cr_assert(eq(str, e.msg, "data.csv:4: column 'c' must not be empty"));
    cr_assert(eq(int, tasvir_csv_next(c, &e), 0));
    tasvir_csv_close(c);
    fclose(f);
}

Test(csv, bad_header_missing_column)
{
    FILE *f;
    struct tasvir_csv *c;
    struct tasvir_errbuf e;
    cr_assert(eq(int, open_text("a,c\n1,2\n", &f, &c, &e), -EINVAL));
    cr_assert(eq(str, e.msg, "data.csv:1: bad header: missing column 'b' (required columns: "
                             "a,b,c)"));
    fclose(f);
}

Test(csv, bad_header_duplicate_and_empty_name)
{
    FILE *f;
    struct tasvir_csv *c;
    struct tasvir_errbuf e;
    cr_assert(eq(int, open_text("a,b,c,b\n", &f, &c, &e), -EINVAL));
    cr_assert(eq(str, e.msg, "data.csv:1: bad header: column 'b' appears twice (columns 2 and "
                             "4)"));
    fclose(f);
    cr_assert(eq(int, open_text("a,,b,c\n", &f, &c, &e), -EINVAL));
    cr_assert(eq(str, e.msg, "data.csv:1: bad header: column 2 has an empty name"));
    fclose(f);
}

Test(csv, empty_file)
{
    FILE *f;
    struct tasvir_csv *c;
    struct tasvir_errbuf e;
    cr_assert(eq(int, open_text("\n\n", &f, &c, &e), -EINVAL));
    cr_assert(eq(str, e.msg, "data.csv: empty file (expected a header line: a,b,c)"));
    fclose(f);
}

Test(csv, non_numeric_cell_names_file_line_column)
{
    FILE *f;
    struct tasvir_csv *c;
    struct tasvir_errbuf e;
    cr_assert(eq(int, open_text("a,b,c\n1,2,3\n4,x5,6\n", &f, &c, &e), 0));
    int64_t v;
    cr_assert(eq(int, tasvir_csv_next(c, &e), 1));
    cr_assert(eq(int, tasvir_csv_next(c, &e), 1));
    cr_assert(eq(int, tasvir_csv_i64(c, 1, &v, &e), -EINVAL));
    cr_assert(eq(str, e.msg, "data.csv:3: column 'b': 'x5' is not an integer"));
    /* Other shapes that are not plain decimal integers. */
    static const char *const bad[] = {"1.5", "+5", " 5", "5 ", "-", "0x10", "1e3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[64];
        snprintf(text, sizeof(text), "a,b,c\n1,%s,3\n", bad[i]);
        FILE *g;
        struct tasvir_csv *d;
        cr_assert(eq(int, open_text(text, &g, &d, &e), 0));
        cr_assert(eq(int, tasvir_csv_next(d, &e), 1));
        cr_assert(eq(int, tasvir_csv_i64(d, 1, &v, &e), -EINVAL), "'%s' accepted", bad[i]);
        tasvir_csv_close(d);
        fclose(g);
    }
    tasvir_csv_close(c);
    fclose(f);
}

Test(csv, out_of_range_integer)
{
    FILE *f;
    struct tasvir_csv *c;
    struct tasvir_errbuf e;
    cr_assert(eq(int, open_text("a,b,c\n1,99999999999999999999,3\n", &f, &c, &e), 0));
    int64_t v;
    cr_assert(eq(int, tasvir_csv_next(c, &e), 1));
    cr_assert(eq(int, tasvir_csv_i64(c, 1, &v, &e), -EINVAL));
    cr_assert(eq(str, e.msg, "data.csv:2: column 'b': '99999999999999999999' is out of the "
                             "64-bit range"));
    tasvir_csv_close(c);
    fclose(f);
}

Test(csv, wrong_column_count)
{
    FILE *f;
    struct tasvir_csv *c;
    struct tasvir_errbuf e;
    cr_assert(eq(int, open_text("a,b,c\n1,2,3\n1,2\n", &f, &c, &e), 0));
    cr_assert(eq(int, tasvir_csv_next(c, &e), 1));
    cr_assert(eq(int, tasvir_csv_next(c, &e), -EINVAL));
    cr_assert(eq(str, e.msg, "data.csv:3: wrong column count: expected 3 cells (as in the "
                             "header), found 2"));
    tasvir_csv_close(c);
    fclose(f);

    cr_assert(eq(int, open_text("a,b,c\n1,2,3,4\n", &f, &c, &e), 0));
    cr_assert(eq(int, tasvir_csv_next(c, &e), -EINVAL));
    cr_assert(eq(str, e.msg, "data.csv:2: wrong column count: expected 3 cells (as in the "
                             "header), found 4"));
    tasvir_csv_close(c);
    fclose(f);
}

Test(csv, missing_file_names_path)
{
    struct tasvir_csv *c;
    struct tasvir_errbuf e;
    cr_assert(eq(int, tasvir_csv_open("/nonexistent/x.csv", cols3, 3, &c, &e), -ENOENT));
    cr_assert(eq(str, e.msg, "/nonexistent/x.csv: cannot open: No such file or directory"));
}

/* ---- run directories -------------------------------------------------------------- */

static char dir[64];

static void make_dir(void)
{
    strcpy(dir, "/tmp/tasvir-analysis-test-XXXXXX");
    cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_dir(void)
{
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(not(eq(ptr, f, NULL)));
    fputs(text, f);
    fclose(f);
}

#define MANIFEST                                                                          \
    "{\"label\": \"t\", \"mode\": \"sim\", \"seed\": 1, \"git_rev\": \"abc\",\n"         \
    " \"params\": {\"sync_ext_us\": 250, \"name\": \"x\"}, \"analytic_bound_ns\": 1e6}\n"
#define VIS_HEADER "area,owner,version,pub_ns,node,visible_ns,delay_ns,skipped\n"
#define SAMPLES_HEADER                                                                    \
    "time_ns,node,thread,area,owner,version,pub_ns,latest_version,latest_pub_ns,age_ns,"  \
    "version_lag,w2v_ns\n"

/* Load dir; on failure return the error and leave the message in e. */
static int load(struct tasvir_run *r, struct tasvir_errbuf *e)
{
    return tasvir_run_load(dir, NULL, NULL, r, e);
}

Test(run, loads_metrics_counters_and_params, .init = make_dir, .fini = remove_dir)
{
    put("manifest.json", MANIFEST);
    put("visibility.csv", VIS_HEADER
        "1,0,1,100,1,300,200,1\n"
        "1,0,2,200,1,300,100,0\n"
        "1,0,3,300,1,,,0\n");
    put("samples.csv", SAMPLES_HEADER
        "250,1,0,1,0,0,0,2,200,150,2,\n"
        "350,1,0,1,0,2,200,2,200,0,0,50\n"
        "360,1,0,1,0,2,200,,,,,\n");
    put("counters.csv", "node,name,value\n0,frames_tx,5\n1,frames_tx,7\n1,drops,1\n");
    struct tasvir_run r;
    struct tasvir_errbuf e;
    cr_assert(eq(int, load(&r, &e), 0), "%s", e.msg);
    cr_assert(eq(str, r.label, "t"));
    cr_assert(eq(str, r.mode, "sim"));
    cr_assert(r.has_bound);
    cr_assert(eq(dbl, r.bound_ns, 1e6));
    cr_assert(not(r.has_clock_error));
    cr_assert(eq(sz, r.metric[TASVIR_METRIC_VISIBILITY].n, 1));
    cr_assert(eq(dbl, r.metric[TASVIR_METRIC_VISIBILITY].v[0], 100));
    cr_assert(eq(sz, r.metric[TASVIR_METRIC_VISIBILITY_ALL].n, 2));
    cr_assert(eq(sz, r.n_vis_rows, 3));
    cr_assert(eq(sz, r.n_vis_skipped, 1));
    cr_assert(eq(sz, r.n_vis_never, 1));
    cr_assert(eq(sz, r.n_samples, 3));
    cr_assert(eq(sz, r.metric[TASVIR_METRIC_AGE].n, 2));
    cr_assert(eq(sz, r.metric[TASVIR_METRIC_LAG].n, 2));
    cr_assert(eq(sz, r.metric[TASVIR_METRIC_W2V].n, 1));
    cr_assert(eq(dbl, r.metric[TASVIR_METRIC_W2V].v[0], 50));
    cr_assert(not(r.has_versions));
    cr_assert(eq(sz, r.n_counters, 2));
    cr_assert(eq(str, r.counters[0].name, "frames_tx"));
    cr_assert(eq(i64, r.counters[0].sum, 12));
    cr_assert(eq(sz, r.counters[0].nodes, 2));
    double x;
    cr_assert(eq(int, tasvir_run_param(&r, "sync_ext_us", &x, &e), 0));
    cr_assert(eq(dbl, x, 250));
    cr_assert(eq(int, tasvir_run_param(&r, "nope", &x, &e), -ENOENT));
    cr_assert(eq(int, tasvir_run_param(&r, "name", &x, &e), -EINVAL));
    tasvir_run_free(&r);
}

Test(run, label_falls_back_to_directory_name, .init = make_dir, .fini = remove_dir)
{
    put("manifest.json", "{\"mode\": \"hw\", \"seed\": 0, \"git_rev\": \"x\", \"params\": {}}");
    put("visibility.csv", VIS_HEADER);
    struct tasvir_run r;
    struct tasvir_errbuf e;
    cr_assert(eq(int, load(&r, &e), 0), "%s", e.msg);
    cr_assert(eq(str, r.label, strrchr(dir, '/') + 1));
    tasvir_run_free(&r);
    cr_assert(eq(int, tasvir_run_load(dir, "given", NULL, &r, &e), 0), "%s", e.msg);
    cr_assert(eq(str, r.label, "given"));
    tasvir_run_free(&r);
}

/* Expect loading to fail with a message containing "FILE:" + what. */
static void expect_error(const char *what)
{
    struct tasvir_run r;
    struct tasvir_errbuf e;
    cr_assert(lt(int, load(&r, &e), 0), "loaded although it should fail with '%s'", what);
    cr_assert(not(eq(ptr, strstr(e.msg, what), NULL)), "message '%s' lacks '%s'", e.msg, what);
}

Test(run, stage_metrics_from_trace_columns, .init = make_dir, .fini = remove_dir)
{
    put("manifest.json", MANIFEST);
    /* received rows with every stage, one with a missing stage, one out of order on the
     * subscriber's clock (complete after its epoch started), and a skipped one */
    put("visibility.csv", "area,owner,version,pub_ns,node,visible_ns,delay_ns,skipped,sent_ns,"
                          "rx_first_ns,rx_complete_ns,epoch_start_ns\n"
                          "1,0,1,100,1,400,300,0,110,150,160,200\n"
                          "1,0,2,200,1,600,400,0,230,330,360,500\n"
                          "1,0,3,300,1,700,400,0,,330,360,500\n"
                          "1,0,4,400,1,800,400,0,410,450,790,500\n"
                          "1,0,5,500,1,900,400,1,,,,\n");
    struct tasvir_run r;
    struct tasvir_errbuf e;
    cr_assert(eq(int, load(&r, &e), 0), "%s", e.msg);
    cr_assert(eq(sz, r.metric[TASVIR_METRIC_VISIBILITY].n, 4));
    cr_assert(eq(sz, r.n_vis_traced, 3));
    cr_assert(eq(sz, r.n_vis_trace_bad, 1));
    static const double want[5][2] = {{10, 30}, {40, 100}, {10, 30}, {40, 140}, {200, 100}};
    for (int k = 0; k < 5; k++) {
        const struct tasvir_vec *v = &r.metric[TASVIR_METRIC_STAGE_SEND + k];
        cr_assert(eq(sz, v->n, 2), "%s", tasvir_metric_name(TASVIR_METRIC_STAGE_SEND + k));
        cr_assert(eq(dbl, v->v[0], want[k][0]));
        cr_assert(eq(dbl, v->v[1], want[k][1]));
    }
    tasvir_run_free(&r);
    /* a stage column that is not an integer is named */
    put("visibility.csv", "area,owner,version,pub_ns,node,visible_ns,delay_ns,skipped,"
                          "sent_ns\n1,0,1,100,1,400,300,0,x\n");
    expect_error("visibility.csv:2: column 'sent_ns': 'x' is not an integer");
}

Test(run, visibility_delay_must_equal_visible_minus_pub, .init = make_dir, .fini = remove_dir)
{
    put("manifest.json", MANIFEST);
    put("visibility.csv", VIS_HEADER "1,0,1,100,1,300,250,0\n");
    expect_error("visibility.csv:2: delay_ns 250 != visible_ns - pub_ns (300 - 100)");
}

Test(run, visibility_skipped_is_0_or_1, .init = make_dir, .fini = remove_dir)
{
    put("manifest.json", MANIFEST);
    put("visibility.csv", VIS_HEADER "1,0,1,100,1,300,200,2\n");
    expect_error("visibility.csv:2: column 'skipped' must be 0 or 1, got 2");
}

Test(run, visibility_half_empty_row, .init = make_dir, .fini = remove_dir)
{
    put("manifest.json", MANIFEST);
    put("visibility.csv", VIS_HEADER "1,0,1,100,1,300,,0\n");
    expect_error("visibility.csv:2: visible_ns and delay_ns must both be set or both be empty");
}

Test(run, samples_lag_must_match_versions, .init = make_dir, .fini = remove_dir)
{
    put("manifest.json", MANIFEST);
    put("samples.csv", SAMPLES_HEADER "250,1,0,1,0,1,100,3,300,150,1,\n");
    expect_error("samples.csv:2: version_lag 1 != latest_version - version (3 - 1)");
}

Test(run, samples_age_zero_at_lag_zero, .init = make_dir, .fini = remove_dir)
{
    put("manifest.json", MANIFEST);
    put("samples.csv", SAMPLES_HEADER "250,1,0,1,0,3,300,3,300,10,0,\n");
    expect_error("samples.csv:2: age_ns must be 0 when version_lag is 0, got 10");
}

Test(run, samples_negative_id, .init = make_dir, .fini = remove_dir)
{
    put("manifest.json", MANIFEST);
    put("samples.csv", SAMPLES_HEADER "250,-1,0,1,0,3,300,3,300,0,0,\n");
    expect_error("samples.csv:2: column 'node' must be >= 0, got -1");
}

Test(run, samples_bad_header, .init = make_dir, .fini = remove_dir)
{
    put("manifest.json", MANIFEST);
    put("samples.csv", "time_ns,node,thread,area,owner,version\n");
    expect_error("samples.csv:1: bad header: missing column 'pub_ns'");
}

Test(run, manifest_invalid_json_line_and_column, .init = make_dir, .fini = remove_dir)
{
    put("manifest.json", "{\"label\": \"t\",\n \"mode\": sim}\n");
    put("visibility.csv", VIS_HEADER);
    expect_error("manifest.json:2:");
    expect_error("invalid JSON");
}

Test(run, manifest_keys_checked, .init = make_dir, .fini = remove_dir)
{
    put("visibility.csv", VIS_HEADER);
    put("manifest.json", "{\"label\": \"t\", \"seed\": 1, \"git_rev\": \"a\", \"params\": {}}");
    expect_error("manifest.json: missing key \"mode\" (a string)");
    put("manifest.json",
        "{\"mode\": \"emu\", \"seed\": 1, \"git_rev\": \"a\", \"params\": {}}");
    expect_error("key \"mode\" must be \"sim\" or \"hw\", got \"emu\"");
    put("manifest.json",
        "{\"mode\": \"sim\", \"seed\": \"1\", \"git_rev\": \"a\", \"params\": {}}");
    expect_error("key \"seed\" must be a non-negative integer");
    put("manifest.json", "{\"mode\": \"sim\", \"seed\": 1, \"git_rev\": \"a\", \"params\": 3}");
    expect_error("key \"params\" must be a JSON object");
    put("manifest.json", "{\"mode\": \"sim\", \"seed\": 1, \"git_rev\": \"a\", \"params\": {},"
                         " \"analytic_bound_ns\": \"1ms\"}");
    expect_error("key \"analytic_bound_ns\" must be a number (nanoseconds) or null");
    put("manifest.json", "{\"mode\": \"sim\", \"seed\": 1, \"git_rev\": \"a\", \"params\": {},"
                         " \"clock_error_ns\": -5}");
    expect_error("key \"clock_error_ns\" must be >= 0");
    put("manifest.json", "[1, 2]");
    expect_error("the top level must be a JSON object");
    put("manifest.json", "{\"label\": \"a,b\", \"mode\": \"sim\", \"seed\": 1, \"git_rev\": "
                         "\"a\", \"params\": {}}");
    expect_error("contains a comma");
}

Test(run, needs_manifest_and_some_data, .init = make_dir, .fini = remove_dir)
{
    put("visibility.csv", VIS_HEADER);
    expect_error("manifest.json: no such file");
    put("manifest.json", MANIFEST);
    char path[128];
    snprintf(path, sizeof(path), "%s/visibility.csv", dir);
    remove(path);
    expect_error("neither samples.csv nor visibility.csv is present");
}
