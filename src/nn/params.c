// params.c - the parameter registry and its single buffer.
#include "nn/params.h"

#include <stdlib.h>
#include <string.h>

void td_params_init(td_params *p) { memset(p, 0, sizeof *p); }

void td_params_free(td_params *p) {
    free(p->tensors);
    free(p->data);
    free(p->grad);
    td_params_init(p);
}

const td_param_tensor *td_params_find(const td_params *p, const char *name) {
    for (int i = 0; i < p->n_tensors; i++)
        if (strcmp(p->tensors[i].name, name) == 0) return &p->tensors[i];
    return NULL;
}

td_status td_params_declare(td_params *p, const char *name, int ndim, const int *shape,
                            td_init init, float init_scale, size_t *offset) {
    if (p->data) return td_fail(TD_ERR_ARG, "cannot declare \"%s\": parameters are already allocated", name ? name : "");
    if (!name || !name[0]) return td_fail(TD_ERR_ARG, "a parameter tensor needs a name");
    if (strlen(name) >= TD_PARAM_NAME_MAX)
        return td_fail(TD_ERR_ARG, "parameter name \"%.20s...\" is longer than %d bytes", name, TD_PARAM_NAME_MAX - 1);
    if (td_params_find(p, name)) return td_fail(TD_ERR_ARG, "parameter \"%s\" is declared twice", name);
    if (ndim < 1 || ndim > TD_PARAM_MAX_DIMS)
        return td_fail(TD_ERR_ARG, "parameter \"%s\" has %d dims, expected 1 to %d", name, ndim, TD_PARAM_MAX_DIMS);

    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] <= 0)
            return td_fail(TD_ERR_ARG, "parameter \"%s\" has non-positive size %d in dim %d", name, shape[d], d);
        if (td_mul_size(count, (size_t)shape[d], &count) != 0 || count > TD_PARAMS_MAX_COUNT)
            return td_fail(TD_ERR_LIMIT, "parameter \"%s\" has more than %zu elements", name, TD_PARAMS_MAX_COUNT);
    }
    size_t total;
    if (td_add_size(p->total, count, &total) != 0 || total > TD_PARAMS_MAX_COUNT)
        return td_fail(TD_ERR_LIMIT, "adding \"%s\" takes the model past %zu parameters", name, TD_PARAMS_MAX_COUNT);

    if (p->n_tensors == p->cap_tensors) {
        int cap = p->cap_tensors ? 2 * p->cap_tensors : 16;
        td_param_tensor *grown = realloc(p->tensors, (size_t)cap * sizeof *grown);
        if (!grown) return td_fail(TD_ERR_NOMEM, "out of memory growing the parameter registry");
        p->tensors = grown;
        p->cap_tensors = cap;
    }
    td_param_tensor *t = &p->tensors[p->n_tensors++];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d];
    t->offset = p->total;
    t->count = count;
    t->init = init;
    t->init_scale = init_scale;
    p->total = total;
    if (offset) *offset = t->offset;
    return TD_OK;
}

td_status td_params_alloc(td_params *p) {
    if (p->data) return td_fail(TD_ERR_ARG, "parameters are already allocated");
    if (p->total == 0) return td_fail(TD_ERR_ARG, "no parameters were declared before allocation");
    // total <= TD_PARAMS_MAX_COUNT, so total * sizeof(float) cannot overflow.
    p->data = calloc(p->total, sizeof(float));
    p->grad = calloc(p->total, sizeof(float));
    if (!p->data || !p->grad) {
        free(p->data);
        free(p->grad);
        p->data = p->grad = NULL;
        return td_fail(TD_ERR_NOMEM, "out of memory allocating %zu parameters", p->total);
    }
    return TD_OK;
}

td_status td_params_init_weights(td_params *p, td_rng *rng) {
    if (!p->data) return td_fail(TD_ERR_ARG, "parameters must be allocated before initialisation");
    for (int i = 0; i < p->n_tensors; i++) {
        const td_param_tensor *t = &p->tensors[i];
        float *w = p->data + t->offset;
        double s = (double)t->init_scale;
        for (size_t k = 0; k < t->count; k++) {
            switch (t->init) {
            case TD_INIT_ZERO: w[k] = 0.0f; break;
            case TD_INIT_UNIFORM: w[k] = (float)(s * (2.0 * td_rng_uniform(rng) - 1.0)); break;
            case TD_INIT_NORMAL: w[k] = (float)(s * td_rng_normal(rng)); break;
            }
        }
    }
    return TD_OK;
}

void td_params_zero_grad(td_params *p) {
    if (p->grad) memset(p->grad, 0, p->total * sizeof(float));
}
