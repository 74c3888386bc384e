// style.c - style codes from the conditional VAE's encoder, re-rendered by its decoder.
#include "models/style.h"

#include <stdlib.h>

static td_status check_cvae(const td_digit_vae *cvae, int n) {
    if (!cvae || cvae->cfg.kind != TD_DIGIT_VAE_COND)
        return td_fail(TD_ERR_ARG, "style transfer needs the class-and-colour-conditional digit VAE");
    if (n <= 0) return td_fail(TD_ERR_ARG, "the number of references must be positive, got %d", n);
    return TD_OK;
}

td_status td_style_encode(td_digit_vae *cvae, td_digit_vae_work *w, const float *rgb, const int *labels, int n,
                          float *codes) {
    td_status st = check_cvae(cvae, n);
    if (st != TD_OK) return st;
    return td_digit_vae_encode(cvae, w, rgb, labels, n, codes, NULL);
}

td_status td_style_encode_ink(td_digit_vae *cvae, td_digit_vae_work *w, const float *ink, const int *labels, int n,
                              float *codes) {
    td_status st = check_cvae(cvae, n);
    if (st != TD_OK) return st;
    // A white digit has exactly this ink map (the encoder reads the max channel).
    float *rgb = malloc((size_t)n * TD_DIGIT_FLOATS * sizeof(float));
    if (!rgb) return td_fail(TD_ERR_NOMEM, "out of memory for %d reference images", n);
    for (size_t i = 0; i < (size_t)n * TD_MNIST_PIXELS; i++) {
        float v = ink[i] < 0.0f ? 0.0f : ink[i] > 1.0f ? 1.0f : ink[i];
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = v;
    }
    st = td_digit_vae_encode(cvae, w, rgb, labels, n, codes, NULL);
    free(rgb);
    return st;
}

td_status td_style_render(td_digit_vae *cvae, td_digit_vae_work *w, const float *codes, const int *labels,
                          const float *colours, int n, float *out) {
    td_status st = check_cvae(cvae, n);
    if (st != TD_OK) return st;
    if (!labels || !colours) return td_fail(TD_ERR_ARG, "style rendering needs a class and a colour per digit");
    for (int i = 0; i < 3 * n; i++)
        if (!(colours[i] >= 0.0f && colours[i] <= 1.0f)) return td_fail(TD_ERR_ARG, "colour channels must lie in [0, 1]");
    return td_digit_vae_decode(cvae, w, codes, labels, colours, n, out);
}
