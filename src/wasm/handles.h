// handles.h - integer handles for objects the page keeps across calls.
//
// JavaScript cannot hold C pointers safely: a stale or forged pointer would
// crash the module. It holds small positive integers instead. Each handle
// names a slot and the slot's generation, and carries the object's kind, so
// a freed, reused or wrong-kind handle is refused with a message rather than
// dereferenced.
#ifndef TD_WASM_HANDLES_H
#define TD_WASM_HANDLES_H

#include "core/status.h"

typedef enum {
    TD_H_RNG = 1,
    TD_H_DENSE,
    TD_H_SDE,
    TD_H_MIXTURE,
    TD_H_MODEL,     // a trained model loaded from checkpoint bytes (api_models.c)
    TD_H_TRAINER,   // a model being trained in the page (api_train.c)
    TD_H_DIGITS,    // the digit models, loaded part by part (api_digits.c)
    TD_H_KIND_COUNT
} td_handle_kind;

// Store `obj` (owned from now on; `destroy` frees it) and return its handle
// (> 0), or a negative status when the table is full.
int td_handle_put(td_handle_kind kind, void *obj, void (*destroy)(void *));

// The object behind `handle` if it is live and of `kind`; NULL (with a reason
// recorded by td_fail) otherwise.
void *td_handle_get(int handle, td_handle_kind kind);

// Destroy the object and free the slot; TD_ERR_ARG for a dead handle.
td_status td_handle_free(int handle, td_handle_kind kind);

// How many handles are live (the leak tests watch this).
int td_handle_live(void);

#endif
