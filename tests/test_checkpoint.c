// test_checkpoint.c - saving a diffusion model and loading it back: identical predictions,
// and files with a wrong shape, a missing or extra tensor, another model kind or version,
// or bad metadata refused with a message that names the culprit.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/file.h"
#include "models/checkpoint.h"
#include "models/score_model.h"

#define TMP TD_BUILD_DIR "/test_checkpoint_"

static td_score_model model;  // a VE model with a class table: every metadata path is used

static void make_model(void) {
    td_score_net_config c = td_score_net_defaults();
    c.width = 16;
    c.depth = 2;
    c.n_classes = 4;
    c.class_dim = 3;
    td_sde sde = td_sde_ve(0.01, 10.0);
    td_rng rng;
    td_rng_seed(&rng, 42, 0);
    TD_ASSERT(td_score_model_init(&model, &c, &sde, &rng) == TD_OK);
}

// Predictions of m on fixed inputs: x (6, 2) at several t with labels.
static void predict(const td_score_model *m, float out[12]) {
    static const float x[12] = {0.1f, 2.0f, -1.5f, 0.3f, 3.0f, -4.0f, 0.0f, 0.0f, 9.0f, 1.0f, -0.2f, -0.7f};
    static const float t[6] = {0.001f, 0.1f, 0.4f, 0.4f, 0.9f, 1.0f};
    static const int labels[6] = {0, 1, 2, 3, 4, 0};
    td_score_net_work w;
    TD_ASSERT(td_score_net_work_init(&w, &m->net, 6) == TD_OK);
    TD_ASSERT(td_score_net_forward(&m->net, &m->params, &w, x, t, labels, NULL, out, 6) == TD_OK);
    td_score_net_work_free(&w);
}

static uint8_t *model_bytes(size_t *len, td_dtype dtype) {
    static td_meta_list meta;
    td_meta_init(&meta);
    TD_ASSERT(td_score_model_describe(&model, &meta) == TD_OK);
    td_meta_add_string(&meta, "data", "ring8");
    uint8_t *bytes;
    TD_ASSERT(td_checkpoint_write_mem(&model.params, TD_SCORE_MODEL_KIND, &meta, dtype, &bytes, len) == TD_OK);
    return bytes;
}

TEST(a_saved_model_loads_back_with_identical_predictions_and_sde) {
    const char *path = TMP "model.safetensors";
    td_meta_list extra;
    td_meta_init(&extra);
    td_meta_add_string(&extra, "data", "ring8");
    td_meta_add_int(&extra, "train_steps", 1234);
    CHECK_EQ(td_score_model_save(&model, path, &extra, TD_DTYPE_F32), TD_OK);
    td_safetensors st;
    CHECK_EQ(td_safetensors_read_file(path, &st), TD_OK);
    CHECK(strcmp(td_checkpoint_kind(&st), "diffusion") == 0);
    CHECK(strcmp(td_safetensors_meta(&st, "train_steps"), "1234") == 0);
    td_score_model back;
    CHECK_EQ(td_score_model_load(&back, &st), TD_OK);
    td_safetensors_free(&st);
    float a[12], b[12];
    predict(&model, a);
    predict(&back, b);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(back.sde.kind == TD_SDE_VE && back.sde.sigma_max == 10.0 && back.sde.sigma_min == 0.01);
    CHECK(back.sde.t_eps == model.sde.t_eps);
    CHECK(back.net.cfg.time_scale == model.net.cfg.time_scale);
    CHECK_EQ(back.net.cfg.n_classes, 4);
    CHECK_EQ(back.params.total, model.params.total);
    td_score_model_free(&back);
}

TEST(every_sde_kind_round_trips_through_its_metadata) {
    td_sde kinds[5] = {td_sde_vp(0.1, 20.0), td_sde_subvp(0.2, 15.0), td_sde_ve(0.02, 5.0),
                       td_sde_ddpm_linear(1000, 1e-4, 0.02), td_sde_ddpm_cosine(500)};
    for (int k = 0; k < 5; k++) {
        td_score_net_config c = td_score_net_defaults();
        c.width = 8;
        c.depth = 1;
        td_rng rng;
        td_rng_seed(&rng, 1, 0);
        td_score_model m, back;
        TD_ASSERT(td_score_model_init(&m, &c, &kinds[k], &rng) == TD_OK);
        static td_meta_list meta;
        td_meta_init(&meta);
        td_score_model_describe(&m, &meta);
        uint8_t *bytes;
        size_t len;
        CHECK_EQ(td_checkpoint_write_mem(&m.params, "diffusion", &meta, TD_DTYPE_F32, &bytes, &len), TD_OK);
        CHECK_EQ(td_score_model_load_mem(&back, bytes, len), TD_OK);
        const td_sde *a = &m.sde, *b = &back.sde;  // field by field: padding may differ
        CHECK(a->kind == b->kind && a->schedule == b->schedule && a->num_steps == b->num_steps);
        CHECK(a->beta_min == b->beta_min && a->beta_max == b->beta_max);
        CHECK(a->sigma_min == b->sigma_min && a->sigma_max == b->sigma_max);
        CHECK(a->beta_start == b->beta_start && a->beta_end == b->beta_end);
        CHECK(a->cosine_offset == b->cosine_offset && a->t_eps == b->t_eps);
        free(bytes);
        td_score_model_free(&back);
        td_score_model_free(&m);
    }
}

TEST(f16_weights_load_within_half_precision) {
    size_t len;
    uint8_t *bytes = model_bytes(&len, TD_DTYPE_F16);
    td_score_model back;
    CHECK_EQ(td_score_model_load_mem(&back, bytes, len), TD_OK);
    float a[12], b[12];
    predict(&model, a);
    predict(&back, b);
    double worst = 0.0;
    for (int i = 0; i < 12; i++) worst = fmax(worst, fabs((double)a[i] - (double)b[i]));
    printf("    max |f32 - f16| prediction difference %.2e\n", worst);
    CHECK(worst > 0.0 && worst < 1e-2);
    free(bytes);
    td_score_model_free(&back);
}

// Write the model's tensors with tensor `victim` altered by `how`, and metadata with
// key `meta_key` set to `meta_value` (NULL value: removed); then try to load it.
enum { KEEP, WRONG_SHAPE, MISSING, EXTRA };

static td_status load_altered(const char *victim, int how, const char *meta_key, const char *meta_value,
                              const char *kind) {
    td_params *p = &model.params;
    td_st_entry entries[16];
    size_t n = 0;
    static const float extra_data[3] = {1, 2, 3};
    for (int i = 0; i < p->n_tensors; i++) {
        const td_param_tensor *t = &p->tensors[i];
        td_st_entry e = {t->name, t->ndim, {0}, p->data + t->offset};
        for (int d = 0; d < t->ndim; d++) e.shape[d] = t->shape[d];
        if (victim && strcmp(t->name, victim) == 0) {
            if (how == MISSING) continue;
            if (how == WRONG_SHAPE) e.shape[0] -= 1;  // fewer rows: the data still fits
        }
        entries[n++] = e;
    }
    if (how == EXTRA) entries[n++] = (td_st_entry){"net.extra.bias", 1, {3}, extra_data};
    static td_meta_list meta;
    td_meta_init(&meta);
    td_score_model_describe(&model, &meta);
    td_st_pair pairs[TD_META_MAX + 2];
    size_t np = 0;
    pairs[np++] = (td_st_pair){"model", kind};
    if (!(meta_key && strcmp(meta_key, "format_version") == 0 && !meta_value))
        pairs[np++] = (td_st_pair){"format_version",
                                   meta_key && !strcmp(meta_key, "format_version") ? meta_value : "1"};
    for (int i = 0; i < meta.n; i++) {
        if (meta_key && strcmp(meta.keys[i], meta_key) == 0) {
            if (meta_value) pairs[np++] = (td_st_pair){meta.keys[i], meta_value};
            continue;
        }
        pairs[np++] = (td_st_pair){meta.keys[i], meta.values[i]};
    }
    uint8_t *bytes;
    size_t len;
    TD_ASSERT(td_safetensors_write_mem(entries, n, pairs, np, TD_DTYPE_F32, &bytes, &len) == TD_OK);
    td_score_model back;
    td_clear_error();
    td_status st = td_score_model_load_mem(&back, bytes, len);
    if (st == TD_OK) td_score_model_free(&back);
    CHECK(back.params.data == NULL);  // a failed load leaves nothing behind
    free(bytes);
    return st;
}

TEST(the_unaltered_file_loads_so_each_rejection_below_is_the_alteration) {
    CHECK_EQ(load_altered(NULL, KEEP, NULL, NULL, "diffusion"), TD_OK);
}

TEST(a_tensor_with_the_wrong_shape_is_rejected_naming_it_and_both_shapes) {
    CHECK_EQ(load_altered("net.1.weight", WRONG_SHAPE, NULL, NULL, "diffusion"), TD_ERR_SHAPE);
    CHECK_CONTAINS(td_error_message(), "tensor 'net.1.weight' has shape [15, 16] but the model needs [16, 16]");
    CHECK_EQ(load_altered("cls.weight", WRONG_SHAPE, NULL, NULL, "diffusion"), TD_ERR_SHAPE);
    CHECK_CONTAINS(td_error_message(), "'cls.weight'");
}

TEST(a_missing_or_an_extra_tensor_is_rejected_naming_it) {
    CHECK_EQ(load_altered("net.2.bias", MISSING, NULL, NULL, "diffusion"), TD_ERR_SHAPE);
    CHECK_CONTAINS(td_error_message(), "tensor 'net.2.bias' is missing");
    CHECK_EQ(load_altered(NULL, EXTRA, NULL, NULL, "diffusion"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "tensor 'net.extra.bias' in the file is not part of the model");
}

TEST(another_model_kind_or_format_version_is_rejected_naming_what_was_found) {
    CHECK_EQ(load_altered(NULL, KEEP, NULL, NULL, "vae"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "holds a 'vae' model, not a 'diffusion' model");
    CHECK_EQ(load_altered(NULL, KEEP, "format_version", "2", "diffusion"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "format_version 2 is not supported");
    CHECK_EQ(load_altered(NULL, KEEP, "format_version", NULL, "diffusion"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "'format_version' is missing");
    CHECK_EQ(load_altered(NULL, KEEP, "format_version", "1x", "diffusion"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "'format_version' = '1x' is not an integer");
}

TEST(missing_or_absurd_size_metadata_is_rejected_naming_the_key) {
    CHECK_EQ(load_altered(NULL, KEEP, "width", NULL, "diffusion"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "'width' is missing");
    CHECK_EQ(load_altered(NULL, KEEP, "width", "-3", "diffusion"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "'width' = -3 is outside");
    CHECK_EQ(load_altered(NULL, KEEP, "depth", "99999999999", "diffusion"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "'depth'");
    CHECK_EQ(load_altered(NULL, KEEP, "sigma_max", "nan", "diffusion"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "'sigma_max' = 'nan' is not a finite number");
    CHECK_EQ(load_altered(NULL, KEEP, "sde", "edm", "diffusion"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "'sde' = 'edm'");
    CHECK_EQ(load_altered(NULL, KEEP, "activation", "swish", "diffusion"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "'activation' = 'swish'");
    CHECK_EQ(load_altered(NULL, KEEP, "time_dim", "33", "diffusion"), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "time_dim");
    // A width the tensors do not have: the sizes are believed, the shapes then refuse.
    CHECK_EQ(load_altered(NULL, KEEP, "width", "17", "diffusion"), TD_ERR_SHAPE);
    CHECK_CONTAINS(td_error_message(), "'net.0.weight' has shape [16, 37] but the model needs [17, 37]");
}

TEST(a_file_without_model_metadata_and_truncated_bytes_are_rejected) {
    size_t len;
    uint8_t *bytes = model_bytes(&len, TD_DTYPE_F32);
    td_score_model back;
    CHECK(td_score_model_load_mem(&back, bytes, len / 2) != TD_OK);
    CHECK(strlen(td_error_message()) > 0);
    free(bytes);
    td_st_entry e = {"w", 1, {2}, (const float[]){1, 2}};
    CHECK_EQ(td_safetensors_write_mem(&e, 1, NULL, 0, TD_DTYPE_F32, &bytes, &len), TD_OK);
    CHECK_EQ(td_score_model_load_mem(&back, bytes, len), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "no 'model' metadata");
    free(bytes);
}

TEST(the_metadata_list_replaces_keys_refuses_overflow_and_reserved_keys) {
    static td_meta_list m;
    td_meta_init(&m);
    CHECK_EQ(td_meta_add_int(&m, "steps", 5), TD_OK);
    CHECK_EQ(td_meta_add_int(&m, "steps", 6), TD_OK);
    CHECK_EQ(m.n, 1);
    CHECK(strcmp(m.values[0], "6") == 0);
    CHECK_EQ(td_meta_add_double(&m, "x", 0.1), TD_OK);
    CHECK(strtod(m.values[1], NULL) == 0.1);
    char long_value[300];
    memset(long_value, 'a', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    CHECK_EQ(td_meta_add_string(&m, "long", long_value), TD_ERR_LIMIT);
    for (int i = 0; m.n < TD_META_MAX; i++) td_meta_add_int(&m, (char[]){'k', (char)('A' + i / 26), (char)('a' + i % 26), 0}, i);
    CHECK_EQ(td_meta_add_int(&m, "one_more", 1), TD_ERR_LIMIT);
    td_meta_init(&m);
    td_meta_add_string(&m, "model", "vae");
    uint8_t *bytes;
    size_t len;
    CHECK_EQ(td_checkpoint_write_mem(&model.params, "diffusion", &m, TD_DTYPE_F32, &bytes, &len), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "may not set 'model'");
}

int main(void) {
    make_model();
    RUN(a_saved_model_loads_back_with_identical_predictions_and_sde);
    RUN(every_sde_kind_round_trips_through_its_metadata);
    RUN(f16_weights_load_within_half_precision);
    RUN(the_unaltered_file_loads_so_each_rejection_below_is_the_alteration);
    RUN(a_tensor_with_the_wrong_shape_is_rejected_naming_it_and_both_shapes);
    RUN(a_missing_or_an_extra_tensor_is_rejected_naming_it);
    RUN(another_model_kind_or_format_version_is_rejected_naming_what_was_found);
    RUN(missing_or_absurd_size_metadata_is_rejected_naming_the_key);
    RUN(a_file_without_model_metadata_and_truncated_bytes_are_rejected);
    RUN(the_metadata_list_replaces_keys_refuses_overflow_and_reserved_keys);
    td_score_model_free(&model);
    return check_summary("test_checkpoint");
}
