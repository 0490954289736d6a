/*
 * csv.h — strict reader for the run-directory CSV files (docs/data-formats.md).
 *
 * The dialect: one header line of column names, then one row per line; cells separated
 * by ',' with no quoting (no cell of our formats contains a comma); "\n" or "\r\n" line
 * ends; blank lines are skipped; an optional UTF-8 byte-order mark before the header is
 * ignored.  Integer cells are signed 64-bit decimals without spaces or '+'; an empty
 * cell means "unknown".
 *
 * The caller names the columns it wants; the header must contain each of them exactly
 * once, in any order, except that a name written "?name" is optional: when the header
 * lacks it, its cells read as empty.  Columns the caller did not ask for are ignored (so writers may add
 * columns without breaking older readers).  Every row must have as many cells as the
 * header.  Every error message starts with "FILE:LINE: ".
 */
#ifndef TASVIR_ANALYSIS_CSV_H
#define TASVIR_ANALYSIS_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "errbuf.h"

struct tasvir_csv;

/* Open path and check its header against the ncols names in cols (which must outlive the
 * reader).  Errors: -ENOENT/-EACCES/... (cannot open), -EINVAL (empty file, missing or
 * duplicated column, empty column name), -ENOMEM. */
int tasvir_csv_open(const char *path, const char *const *cols, size_t ncols,
                    struct tasvir_csv **out, struct tasvir_errbuf *e);

/* Same on an already open stream; name is used in messages; the stream is not closed by
 * tasvir_csv_close. */
int tasvir_csv_open_stream(FILE *f, const char *name, const char *const *cols, size_t ncols,
                           struct tasvir_csv **out, struct tasvir_errbuf *e);

/* Read the next row.  Returns 1 (row available), 0 (end of file), -EINVAL (wrong number
 * of cells), -EIO (read error), -ENOMEM. */
int tasvir_csv_next(struct tasvir_csv *c, struct tasvir_errbuf *e);

/* Integer cell of wanted column k of the current row.  Returns 1 (value in *v), 0 (empty
 * cell: unknown), -EINVAL (not an integer or out of range). */
int tasvir_csv_i64(struct tasvir_csv *c, size_t k, int64_t *v, struct tasvir_errbuf *e);

/* Like tasvir_csv_i64 but an empty cell is an error (-EINVAL). */
int tasvir_csv_i64_req(struct tasvir_csv *c, size_t k, int64_t *v, struct tasvir_errbuf *e);

/* Raw text of wanted column k of the current row (valid until the next tasvir_csv_next). */
const char *tasvir_csv_str(const struct tasvir_csv *c, size_t k);

/* Format an error located at the current line: "FILE:LINE: <message>".  Returns rc. */
int tasvir_csv_fail(const struct tasvir_csv *c, struct tasvir_errbuf *e, int rc,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Line number of the current row (1 = header). */
unsigned long tasvir_csv_line(const struct tasvir_csv *c);

void tasvir_csv_close(struct tasvir_csv *c);

#endif
