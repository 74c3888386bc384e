// checkpoint.c - td_params + metadata <-> .safetensors, validating everything on the way in.
#include "models/checkpoint.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"

// ---- the metadata list ------------------------------------------------------------

void td_meta_init(td_meta_list *m) { m->n = 0; }

td_status td_meta_add_string(td_meta_list *m, const char *key, const char *value) {
    if (!key || !value) return td_fail(TD_ERR_ARG, "metadata key and value must not be NULL");
    if (strlen(key) >= TD_META_VALUE_MAX || strlen(value) >= TD_META_VALUE_MAX)
        return td_fail(TD_ERR_LIMIT, "metadata '%.40s' is longer than %d bytes", key, TD_META_VALUE_MAX - 1);
    int i = 0;
    while (i < m->n && strcmp(m->keys[i], key) != 0) i++;
    if (i == m->n) {
        if (m->n >= TD_META_MAX) return td_fail(TD_ERR_LIMIT, "more than %d metadata entries", TD_META_MAX);
        m->n++;
    }
    snprintf(m->keys[i], TD_META_VALUE_MAX, "%s", key);
    snprintf(m->values[i], TD_META_VALUE_MAX, "%s", value);
    return TD_OK;
}

td_status td_meta_add_all(td_meta_list *m, const td_meta_list *extra) {
    td_status st = TD_OK;
    for (int i = 0; st == TD_OK && extra && i < extra->n; i++)
        st = td_meta_add_string(m, extra->keys[i], extra->values[i]);
    return st;
}

td_status td_meta_add_int(td_meta_list *m, const char *key, long long value) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", value);
    return td_meta_add_string(m, key, buf);
}

td_status td_meta_add_double(td_meta_list *m, const char *key, double value) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", value);  // 17 significant digits: exact round trip
    return td_meta_add_string(m, key, buf);
}

// ---- writing -------------------------------------------------------------------------

td_status td_checkpoint_write_mem(const td_params *p, const char *kind, const td_meta_list *meta,
                                  td_dtype dtype, uint8_t **out, size_t *out_len) {
    if (!p || !p->data || p->n_tensors <= 0) return td_fail(TD_ERR_ARG, "checkpoint needs allocated parameters");
    if (!kind || !*kind) return td_fail(TD_ERR_ARG, "checkpoint needs a model kind");
    int n_meta = meta ? meta->n : 0;
    for (int i = 0; i < n_meta; i++)
        if (!strcmp(meta->keys[i], "model") || !strcmp(meta->keys[i], "format_version"))
            return td_fail(TD_ERR_ARG, "checkpoint metadata may not set '%s'", meta->keys[i]);
    size_t nt = (size_t)p->n_tensors;
    td_st_entry *entries = calloc(nt, sizeof *entries);
    td_st_pair *pairs = calloc((size_t)n_meta + 2, sizeof *pairs);
    if (!entries || !pairs) {
        free(entries);
        free(pairs);
        return td_fail(TD_ERR_NOMEM, "cannot allocate the checkpoint's tensor list");
    }
    for (size_t i = 0; i < nt; i++) {
        const td_param_tensor *t = &p->tensors[i];
        entries[i].name = t->name;
        entries[i].ndim = t->ndim;
        for (int d = 0; d < t->ndim; d++) entries[i].shape[d] = t->shape[d];
        entries[i].data = p->data + t->offset;
    }
    char version[16];
    snprintf(version, sizeof version, "%d", TD_CHECKPOINT_FORMAT_VERSION);
    pairs[0].key = "model";
    pairs[0].value = kind;
    pairs[1].key = "format_version";
    pairs[1].value = version;
    for (int i = 0; i < n_meta; i++) {
        pairs[i + 2].key = meta->keys[i];
        pairs[i + 2].value = meta->values[i];
    }
    td_status st = td_safetensors_write_mem(entries, nt, pairs, (size_t)n_meta + 2, dtype, out, out_len);
    free(entries);
    free(pairs);
    return st;
}

td_status td_checkpoint_save(const char *path, const td_params *p, const char *kind,
                             const td_meta_list *meta, td_dtype dtype) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    td_status st = td_checkpoint_write_mem(p, kind, meta, dtype, &bytes, &len);
    if (st == TD_OK) st = td_file_write_atomic(path, bytes, len);
    free(bytes);
    return st;
}

// ---- reading ---------------------------------------------------------------------------

const char *td_checkpoint_kind(const td_safetensors *st) { return td_safetensors_meta(st, "model"); }

td_status td_checkpoint_check(const td_safetensors *st, const char *kind) {
    const char *have = td_checkpoint_kind(st);
    if (!have) return td_fail(TD_ERR_FORMAT, "the file has no 'model' metadata: it is not a thinkdiff checkpoint");
    if (strcmp(have, kind) != 0)
        return td_fail(TD_ERR_FORMAT, "the file holds a '%.64s' model, not a '%s' model", have, kind);
    int version;
    td_status s = td_checkpoint_meta_int(st, "format_version", 1, 1000000, &version);
    if (s != TD_OK) return s;
    if (version != TD_CHECKPOINT_FORMAT_VERSION)
        return td_fail(TD_ERR_FORMAT, "checkpoint format_version %d is not supported (this build reads %d)", version,
                       TD_CHECKPOINT_FORMAT_VERSION);
    return TD_OK;
}

td_status td_checkpoint_meta_string(const td_safetensors *st, const char *key, const char **out) {
    const char *v = td_safetensors_meta(st, key);
    if (!v) return td_fail(TD_ERR_FORMAT, "checkpoint metadata '%s' is missing", key);
    *out = v;
    return TD_OK;
}

td_status td_checkpoint_meta_int(const td_safetensors *st, const char *key, long long lo,
                                 long long hi, int *out) {
    const char *v = NULL;
    td_status s = td_checkpoint_meta_string(st, key, &v);
    if (s != TD_OK) return s;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno) return td_fail(TD_ERR_FORMAT, "checkpoint metadata '%s' = '%.40s' is not an integer", key, v);
    if (x < lo || x > hi || x < -2147483647LL - 1 || x > 2147483647LL)
        return td_fail(TD_ERR_FORMAT, "checkpoint metadata '%s' = %lld is outside %lld .. %lld", key, x, lo, hi);
    *out = (int)x;
    return TD_OK;
}

td_status td_checkpoint_meta_double(const td_safetensors *st, const char *key, double lo,
                                    double hi, double *out) {
    const char *v = NULL;
    td_status s = td_checkpoint_meta_string(st, key, &v);
    if (s != TD_OK) return s;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(x))
        return td_fail(TD_ERR_FORMAT, "checkpoint metadata '%s' = '%.40s' is not a finite number", key, v);
    if (x < lo || x > hi) return td_fail(TD_ERR_FORMAT, "checkpoint metadata '%s' = %g is outside %g .. %g", key, x, lo, hi);
    *out = x;
    return TD_OK;
}

td_status td_checkpoint_read_params(const td_safetensors *st, td_params *p) {
    if (!p || !p->data) return td_fail(TD_ERR_ARG, "checkpoint loading needs allocated parameters");
    for (int i = 0; i < p->n_tensors; i++) {
        const td_param_tensor *t = &p->tensors[i];
        td_status s = td_safetensors_expect(st, t->name, t->ndim, t->shape, p->data + t->offset);
        if (s != TD_OK) return s;
    }
    // Every tensor the model needs was found, and names are unique in both: any count
    // beyond ours is a tensor the model does not know.
    if (st->n_tensors != (size_t)p->n_tensors) {
        for (size_t i = 0; i < st->n_tensors; i++)
            if (!td_params_find(p, st->tensors[i].name))
                return td_fail(TD_ERR_FORMAT, "tensor '%.255s' in the file is not part of the model", st->tensors[i].name);
    }
    return TD_OK;
}
