/*
 * run.c — loading and validating one run directory.
 *
 * Divided into: the manifest (jansson), then one loader per CSV file.  Each loader streams
 * its file row by row (samples.csv can hold millions of rows) and keeps only the metric
 * values it needs.  Time stamps are compared as int64 before anything becomes a double, so
 * absolute nanosecond clocks (~1e18) lose no precision.
 */
#include "run.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"

static const char *const metric_names[TASVIR_METRIC_COUNT] = {
    [TASVIR_METRIC_VISIBILITY] = "visibility_delay_ns",
    [TASVIR_METRIC_VISIBILITY_ALL] = "visibility_delay_all_ns",
    [TASVIR_METRIC_AGE] = "age_ns",
    [TASVIR_METRIC_LAG] = "version_lag",
    [TASVIR_METRIC_W2V] = "w2v_ns",
    [TASVIR_METRIC_STAGE_SEND] = "stage_send_ns",
    [TASVIR_METRIC_STAGE_WIRE] = "stage_wire_ns",
    [TASVIR_METRIC_STAGE_RECEIVE] = "stage_receive_ns",
    [TASVIR_METRIC_STAGE_READY] = "stage_ready_ns",
    [TASVIR_METRIC_STAGE_EPOCH] = "stage_epoch_ns",
};

const char *tasvir_metric_name(enum tasvir_metric m)
{
    return m < TASVIR_METRIC_COUNT ? metric_names[m] : "?";
}

static int vec_push(struct tasvir_vec *v, double x)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 1024;
        double *p = realloc(v->v, cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        v->v = p;
        v->cap = cap;
    }
    v->v[v->n++] = x;
    return 0;
}

static char *path_join(const char *dir, const char *file)
{
    size_t len = strlen(dir) + strlen(file) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", dir, file);
    return p;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int tasvir_label_check(const char *label, struct tasvir_errbuf *e)
{
    if (!label || !label[0])
        return tasvir_err(e, -EINVAL, "empty run label");
    for (const unsigned char *p = (const unsigned char *)label; *p; p++)
        if (*p == ',' || *p == '"' || *p < 0x20 || *p == 0x7f)
            return tasvir_err(e, -EINVAL,
                              "run label '%s' contains a comma, a double quote or a control "
                              "character (labels are written unquoted to CSV files)", label);
    return 0;
}

/* ---- manifest.json ---------------------------------------------------------------- */

static int manifest_string(const char *path, json_t *root, const char *key, bool required,
                           char **out, struct tasvir_errbuf *e)
{
    json_t *v = json_object_get(root, key);
    if (!v) {
        if (required)
            return tasvir_err(e, -EINVAL, "%s: missing key \"%s\" (a string)", path, key);
        return 0;
    }
    if (!json_is_string(v))
        return tasvir_err(e, -EINVAL, "%s: key \"%s\" must be a string", path, key);
    *out = strdup(json_string_value(v));
    return *out ? 1 : tasvir_err(e, -ENOMEM, "out of memory");
}

/* Optional non-negative number (null = absent).  Returns 1 if present, 0 if not. */
static int manifest_number(const char *path, json_t *root, const char *key, double *out,
                           struct tasvir_errbuf *e)
{
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v))
        return tasvir_err(e, -EINVAL, "%s: key \"%s\" must be a number (nanoseconds) or null",
                          path, key);
    double x = json_number_value(v);
    if (!isfinite(x) || x < 0)
        return tasvir_err(e, -EINVAL, "%s: key \"%s\" must be >= 0, got %g", path, key, x);
    *out = x;
    return 1;
}

static int load_manifest(struct tasvir_run *run, const char *label, FILE *warn,
                         struct tasvir_errbuf *e)
{
    char *path = path_join(run->dir, "manifest.json");
    if (!path)
        return tasvir_err(e, -ENOMEM, "out of memory");
    int rc = 0;
    if (!file_exists(path)) {
        rc = tasvir_err(e, -ENOENT, "%s: no such file (every run directory needs a manifest)",
                        path);
        goto out;
    }
    json_error_t jerr;
    run->manifest = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!run->manifest) {
        rc = tasvir_err(e, -EINVAL, "%s:%d:%d: invalid JSON: %s", path, jerr.line, jerr.column,
                        jerr.text);
        goto out;
    }
    json_t *root = run->manifest;
    if (!json_is_object(root)) {
        rc = tasvir_err(e, -EINVAL, "%s: the top level must be a JSON object", path);
        goto out;
    }
    char *mlabel = NULL;
    if ((rc = manifest_string(path, root, "label", false, &mlabel, e)) < 0)
        goto out;
    if (label) {
        free(mlabel);
        run->label = strdup(label);
    } else if (mlabel && mlabel[0]) {
        run->label = mlabel;
    } else {
        free(mlabel);
        char *copy = strdup(run->dir);
        if (!copy) {
            rc = tasvir_err(e, -ENOMEM, "out of memory");
            goto out;
        }
        run->label = strdup(basename(copy));
        free(copy);
        if (warn && run->label)
            fprintf(warn, "tasvir-analyze: note: %s has no \"label\"; using '%s'\n", path,
                    run->label);
    }
    if (!run->label) {
        rc = tasvir_err(e, -ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = manifest_string(path, root, "mode", true, &run->mode, e)) < 0)
        goto out;
    if (strcmp(run->mode, "sim") != 0 && strcmp(run->mode, "hw") != 0) {
        rc = tasvir_err(e, -EINVAL, "%s: key \"mode\" must be \"sim\" or \"hw\", got \"%s\"", path,
                        run->mode);
        goto out;
    }
    json_t *seed = json_object_get(root, "seed");
    if (!seed || !json_is_integer(seed) || json_integer_value(seed) < 0) {
        rc = tasvir_err(e, -EINVAL, "%s: key \"seed\" must be a non-negative integer", path);
        goto out;
    }
    run->seed = json_integer_value(seed);
    if ((rc = manifest_string(path, root, "git_rev", true, &run->git_rev, e)) < 0)
        goto out;
    if (!json_is_object(json_object_get(root, "params"))) {
        rc = tasvir_err(e, -EINVAL, "%s: key \"params\" must be a JSON object", path);
        goto out;
    }
    if ((rc = manifest_number(path, root, "analytic_bound_ns", &run->bound_ns, e)) < 0)
        goto out;
    run->has_bound = rc == 1;
    if ((rc = manifest_number(path, root, "clock_error_ns", &run->clock_error_ns, e)) < 0)
        goto out;
    run->has_clock_error = rc == 1;
    rc = 0;
out:
    free(path);
    return rc;
}

int tasvir_run_param(const struct tasvir_run *run, const char *name, double *value,
                     struct tasvir_errbuf *e)
{
    json_t *v = json_object_get(json_object_get(run->manifest, "params"), name);
    if (!v)
        return tasvir_err(e, -ENOENT, "run '%s' (%s): manifest.json params has no \"%s\"",
                          run->label, run->dir, name);
    if (!json_is_number(v))
        return tasvir_err(e, -EINVAL, "run '%s' (%s): manifest.json params.%s is not a number",
                          run->label, run->dir, name);
    *value = json_number_value(v);
    return 0;
}

/* ---- CSV loaders ------------------------------------------------------------------ */

/* Require v >= 0 for an identifier, version or count column. */
static int nonneg(struct tasvir_csv *c, const char *col, int64_t v, struct tasvir_errbuf *e)
{
    if (v < 0)
        return tasvir_csv_fail(c, e, -EINVAL, "column '%s' must be >= 0, got %lld", col,
                               (long long)v);
    return 0;
}

enum {
    S_TIME, S_NODE, S_THREAD, S_AREA, S_OWNER, S_VERSION, S_PUB, S_LATEST, S_LATEST_PUB,
    S_AGE, S_LAG, S_W2V, S_NCOLS
};
static const char *const samples_cols[S_NCOLS] = {
    "time_ns", "node", "thread", "area", "owner", "version", "pub_ns", "latest_version",
    "latest_pub_ns", "age_ns", "version_lag", "w2v_ns",
};

static int load_samples(struct tasvir_run *run, struct tasvir_csv *c, struct tasvir_errbuf *e)
{
    int rc;
    while ((rc = tasvir_csv_next(c, e)) == 1) {
        int64_t v[S_NCOLS];
        int present[S_NCOLS];
        for (int k = 0; k < S_NCOLS; k++) {
            bool required = k <= S_VERSION;
            present[k] = required ? tasvir_csv_i64_req(c, k, &v[k], e)
                                  : tasvir_csv_i64(c, k, &v[k], e);
            if (present[k] < 0)
                return present[k];
        }
        for (int k = S_NODE; k <= S_VERSION; k++)
            if ((rc = nonneg(c, samples_cols[k], v[k], e)) < 0)
                return rc;
        if (present[S_LATEST] && (rc = nonneg(c, "latest_version", v[S_LATEST], e)) < 0)
            return rc;
        if (present[S_LAG]) {
            if ((rc = nonneg(c, "version_lag", v[S_LAG], e)) < 0)
                return rc;
            if (present[S_LATEST] && v[S_LAG] != v[S_LATEST] - v[S_VERSION])
                return tasvir_csv_fail(c, e, -EINVAL,
                                       "version_lag %lld != latest_version - version (%lld - %lld)",
                                       (long long)v[S_LAG], (long long)v[S_LATEST],
                                       (long long)v[S_VERSION]);
            if (present[S_AGE] && v[S_LAG] == 0 && v[S_AGE] != 0)
                return tasvir_csv_fail(c, e, -EINVAL,
                                       "age_ns must be 0 when version_lag is 0, got %lld",
                                       (long long)v[S_AGE]);
            if (vec_push(&run->metric[TASVIR_METRIC_LAG], (double)v[S_LAG]) < 0)
                return tasvir_err(e, -ENOMEM, "out of memory");
        }
        if (present[S_AGE] && vec_push(&run->metric[TASVIR_METRIC_AGE], (double)v[S_AGE]) < 0)
            return tasvir_err(e, -ENOMEM, "out of memory");
        if (present[S_W2V] && vec_push(&run->metric[TASVIR_METRIC_W2V], (double)v[S_W2V]) < 0)
            return tasvir_err(e, -ENOMEM, "out of memory");
        run->n_samples++;
    }
    return rc;
}

enum {
    V_AREA, V_OWNER, V_VERSION, V_PUB, V_NODE, V_VISIBLE, V_DELAY, V_SKIPPED,
    V_SENT, V_RX_FIRST, V_RX_COMPLETE, V_EPOCH_START, V_NCOLS
};
static const char *const visibility_cols[V_NCOLS] = {
    "area", "owner", "version", "pub_ns", "node", "visible_ns", "delay_ns", "skipped",
    "?sent_ns", "?rx_first_ns", "?rx_complete_ns", "?epoch_start_ns",
};

/* The stage metrics of a received version whose trace columns are all set.  The owner's
 * steps (pub, sent) are on its clock and the subscriber's (first frame .. visible) on its
 * own, so only their order within each clock is checked; a row out of order (e.g. a
 * trace joined across an owner's restart) is counted and left out. */
static int push_stages(struct tasvir_run *run, const int64_t *v, const int *present)
{
    for (int k = V_SENT; k <= V_EPOCH_START; k++)
        if (!present[k])
            return 0;
    run->n_vis_traced++;
    if (v[V_SENT] < v[V_PUB] || v[V_RX_COMPLETE] < v[V_RX_FIRST] ||
        v[V_EPOCH_START] < v[V_RX_COMPLETE] || v[V_VISIBLE] < v[V_EPOCH_START]) {
        run->n_vis_trace_bad++;
        return 0;
    }
    const int64_t t[] = {v[V_PUB], v[V_SENT], v[V_RX_FIRST], v[V_RX_COMPLETE],
                         v[V_EPOCH_START], v[V_VISIBLE]};
    for (int k = 0; k < 5; k++)
        if (vec_push(&run->metric[TASVIR_METRIC_STAGE_SEND + k], (double)(t[k + 1] - t[k])) < 0)
            return -ENOMEM;
    return 0;
}

static int load_visibility(struct tasvir_run *run, struct tasvir_csv *c,
                           struct tasvir_errbuf *e)
{
    int rc;
    while ((rc = tasvir_csv_next(c, e)) == 1) {
        int64_t v[V_NCOLS];
        int present[V_NCOLS];
        for (int k = 0; k < V_NCOLS; k++) {
            bool optional = k == V_VISIBLE || k == V_DELAY || k >= V_SENT;
            present[k] = optional ? tasvir_csv_i64(c, k, &v[k], e)
                                  : tasvir_csv_i64_req(c, k, &v[k], e);
            if (present[k] < 0)
                return present[k];
        }
        for (int k = V_AREA; k <= V_NODE; k++)
            if (k != V_PUB && (rc = nonneg(c, visibility_cols[k], v[k], e)) < 0)
                return rc;
        if (v[V_SKIPPED] != 0 && v[V_SKIPPED] != 1)
            return tasvir_csv_fail(c, e, -EINVAL, "column 'skipped' must be 0 or 1, got %lld",
                                   (long long)v[V_SKIPPED]);
        if (present[V_VISIBLE] != present[V_DELAY])
            return tasvir_csv_fail(c, e, -EINVAL,
                                   "visible_ns and delay_ns must both be set or both be empty");
        run->n_vis_rows++;
        run->n_vis_skipped += v[V_SKIPPED] == 1;
        if (!present[V_VISIBLE]) {
            run->n_vis_never++;
            continue;
        }
        if (v[V_DELAY] != v[V_VISIBLE] - v[V_PUB])
            return tasvir_csv_fail(c, e, -EINVAL,
                                   "delay_ns %lld != visible_ns - pub_ns (%lld - %lld)",
                                   (long long)v[V_DELAY], (long long)v[V_VISIBLE],
                                   (long long)v[V_PUB]);
        if (vec_push(&run->metric[TASVIR_METRIC_VISIBILITY_ALL], (double)v[V_DELAY]) < 0 ||
            (v[V_SKIPPED] == 0 &&
             (vec_push(&run->metric[TASVIR_METRIC_VISIBILITY], (double)v[V_DELAY]) < 0 ||
              push_stages(run, v, present) < 0)))
            return tasvir_err(e, -ENOMEM, "out of memory");
    }
    return rc;
}

enum { R_AREA, R_OWNER, R_VERSION, R_PUB, R_LINES, R_NCOLS };
static const char *const versions_cols[R_NCOLS] = {
    "area", "owner", "version", "pub_ns", "lines_changed",
};

static int load_versions(struct tasvir_run *run, struct tasvir_csv *c, struct tasvir_errbuf *e)
{
    int rc;
    while ((rc = tasvir_csv_next(c, e)) == 1) {
        int64_t v[R_NCOLS];
        for (int k = 0; k < R_NCOLS; k++) {
            int p = k == R_LINES ? tasvir_csv_i64(c, k, &v[k], e)
                                 : tasvir_csv_i64_req(c, k, &v[k], e);
            if (p < 0)
                return p;
            if (p == 1 && k != R_PUB && (rc = nonneg(c, versions_cols[k], v[k], e)) < 0)
                return rc;
        }
        run->n_versions++;
    }
    return rc;
}

enum { C_NODE, C_NAME, C_VALUE, C_NCOLS };
static const char *const counters_cols[C_NCOLS] = {"node", "name", "value"};

static int load_counters(struct tasvir_run *run, struct tasvir_csv *c, struct tasvir_errbuf *e)
{
    int rc;
    while ((rc = tasvir_csv_next(c, e)) == 1) {
        int64_t node, value;
        if ((rc = tasvir_csv_i64_req(c, C_NODE, &node, e)) < 0 ||
            (rc = nonneg(c, "node", node, e)) < 0 ||
            (rc = tasvir_csv_i64_req(c, C_VALUE, &value, e)) < 0)
            return rc;
        const char *name = tasvir_csv_str(c, C_NAME);
        if (!name[0])
            return tasvir_csv_fail(c, e, -EINVAL, "column 'name' must not be empty");
        size_t i;
        for (i = 0; i < run->n_counters; i++)
            if (strcmp(run->counters[i].name, name) == 0)
                break;
        if (i == run->n_counters) {
            struct tasvir_counter *p =
                realloc(run->counters, (run->n_counters + 1) * sizeof(*p));
            if (!p)
                return tasvir_err(e, -ENOMEM, "out of memory");
            run->counters = p;
            p[i] = (struct tasvir_counter){.name = strdup(name)};
            if (!p[i].name)
                return tasvir_err(e, -ENOMEM, "out of memory");
            run->n_counters++;
        }
        run->counters[i].sum += value;
        run->counters[i].nodes++;
    }
    return rc;
}

typedef int (*loader_fn)(struct tasvir_run *, struct tasvir_csv *, struct tasvir_errbuf *);

/* Load dir/file with fn if it exists.  Returns 1 (loaded), 0 (absent), or an error. */
static int load_csv(struct tasvir_run *run, const char *file, const char *const *cols,
                    size_t ncols, loader_fn fn, struct tasvir_errbuf *e)
{
    char *path = path_join(run->dir, file);
    if (!path)
        return tasvir_err(e, -ENOMEM, "out of memory");
    int rc = 0;
    if (file_exists(path)) {
        struct tasvir_csv *c;
        rc = tasvir_csv_open(path, cols, ncols, &c, e);
        if (rc == 0) {
            rc = fn(run, c, e);
            tasvir_csv_close(c);
            if (rc == 0)
                rc = 1;
        }
    }
    free(path);
    return rc;
}

int tasvir_run_load(const char *dir, const char *label, FILE *warn, struct tasvir_run *run,
                    struct tasvir_errbuf *e)
{
    memset(run, 0, sizeof(*run));
    struct stat st;
    if (stat(dir, &st) != 0)
        return tasvir_err(e, -ENOENT, "%s: no such run directory", dir);
    if (!S_ISDIR(st.st_mode))
        return tasvir_err(e, -ENOENT, "%s: not a directory (expected a run directory)", dir);
    run->dir = strdup(dir);
    if (!run->dir)
        return tasvir_err(e, -ENOMEM, "out of memory");
    /* "runs/x/" and "runs/x" name the same run. */
    for (size_t len = strlen(run->dir); len > 1 && run->dir[len - 1] == '/'; len--)
        run->dir[len - 1] = '\0';

    int rc = load_manifest(run, label, warn, e);
    if (rc < 0)
        goto fail;
    if ((rc = tasvir_label_check(run->label, e)) < 0) {
        tasvir_err_prefix(e, run->dir);
        goto fail;
    }
    static const struct {
        const char *file;
        const char *const *cols;
        size_t ncols;
        loader_fn fn;
    } files[] = {
        {"samples.csv", samples_cols, S_NCOLS, load_samples},
        {"visibility.csv", visibility_cols, V_NCOLS, load_visibility},
        {"versions.csv", versions_cols, R_NCOLS, load_versions},
        {"counters.csv", counters_cols, C_NCOLS, load_counters},
    };
    bool *have[] = {&run->has_samples, &run->has_visibility, &run->has_versions,
                    &run->has_counters};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        rc = load_csv(run, files[i].file, files[i].cols, files[i].ncols, files[i].fn, e);
        if (rc < 0)
            goto fail;
        *have[i] = rc == 1;
        if (rc == 0 && warn)
            fprintf(warn, "tasvir-analyze: note: run '%s': %s/%s is absent\n", run->label,
                    run->dir, files[i].file);
    }
    if (!run->has_samples && !run->has_visibility) {
        rc = tasvir_err(e, -ENOENT, "%s: neither samples.csv nor visibility.csv is present",
                        run->dir);
        goto fail;
    }
    return 0;
fail:
    tasvir_run_free(run);
    return rc;
}

void tasvir_run_free(struct tasvir_run *run)
{
    free(run->label);
    free(run->dir);
    free(run->mode);
    free(run->git_rev);
    if (run->manifest)
        json_decref(run->manifest);
    for (int m = 0; m < TASVIR_METRIC_COUNT; m++)
        free(run->metric[m].v);
    for (size_t i = 0; i < run->n_counters; i++)
        free(run->counters[i].name);
    free(run->counters);
    memset(run, 0, sizeof(*run));
}
