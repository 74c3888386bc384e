// fuzz_safetensors.c - libFuzzer target: td_safetensors_parse on arbitrary bytes.
//
// Whatever the bytes, the parser must return a status (never crash, read out of
// bounds or leak); when it accepts them, every tensor it lists must be findable
// by name and copyable within the data buffer, and every metadata key readable.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"

enum { MAX_COPY = 1 << 20 };   // floats copied per tensor (bigger ones are skipped)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    td_safetensors st;
    if (td_safetensors_parse(data, size, &st) != TD_OK) {
        td_safetensors_free(&st);   // a failed parse leaves st empty and safe to free
        return 0;
    }
    for (size_t i = 0; i < st.n_tensors; i++) {
        const td_st_tensor *t = &st.tensors[i];
        if (td_safetensors_find(&st, t->name) != t) abort();   // names are unique
        if (t->end > st.data_len || t->begin > t->end) abort();
        if (t->numel > MAX_COPY) continue;
        float *dst = malloc((t->numel ? t->numel : 1) * sizeof(float));
        if (!dst) continue;
        if (td_safetensors_copy_f32(&st, t, dst, t->numel) != TD_OK) abort();
        free(dst);
    }
    for (size_t i = 0; i < st.n_meta; i++)
        if (!td_safetensors_meta(&st, st.meta[i].key)) abort();
    td_safetensors_free(&st);
    return 0;
}
