// handles.c - a fixed table of live objects, addressed by slot and generation.
//
// handle = generation * SLOTS + slot + 1, so it is always > 0 and a slot that
// was freed and reused answers to a new number only.
#include "wasm/handles.h"

#include <stddef.h>

enum { SLOTS = 1024, MAX_GENERATION = 1 << 20 };

typedef struct {
    void *obj;  // NULL when the slot is free
    void (*destroy)(void *);
    td_handle_kind kind;
    int generation;
} slot;

static slot table[SLOTS];
static int live;

static const char *kind_name(td_handle_kind kind) {
    switch (kind) {
    case TD_H_RNG: return "rng";
    case TD_H_DENSE: return "dense layer";
    case TD_H_SDE: return "sde";
    case TD_H_MIXTURE: return "mixture";
    case TD_H_MODEL: return "model";
    case TD_H_TRAINER: return "trainer";
    case TD_H_DIGITS: return "digit models";
    default: return "object";
    }
}

int td_handle_put(td_handle_kind kind, void *obj, void (*destroy)(void *)) {
    TD_ASSERT(obj != NULL && destroy != NULL);
    for (int i = 0; i < SLOTS; i++) {
        if (table[i].obj) continue;
        table[i].obj = obj;
        table[i].destroy = destroy;
        table[i].kind = kind;
        table[i].generation = table[i].generation % MAX_GENERATION + 1;
        live++;
        return table[i].generation * SLOTS + i + 1;
    }
    destroy(obj);
    return td_fail(TD_ERR_LIMIT, "too many live objects (%d): free some handles first", SLOTS);
}

static slot *lookup(int handle, td_handle_kind kind) {
    if (handle <= 0) {
        td_fail(TD_ERR_ARG, "%s handle %d is not a handle (handles are positive)",
                kind_name(kind), handle);
        return NULL;
    }
    int i = (handle - 1) % SLOTS, generation = (handle - 1) / SLOTS;
    slot *s = &table[i];
    if (!s->obj || s->generation != generation) {
        td_fail(TD_ERR_ARG, "%s handle %d is not live (already freed or never made)",
                kind_name(kind), handle);
        return NULL;
    }
    if (s->kind != kind) {
        td_fail(TD_ERR_ARG, "handle %d is a %s, not a %s", handle, kind_name(s->kind),
                kind_name(kind));
        return NULL;
    }
    return s;
}

void *td_handle_get(int handle, td_handle_kind kind) {
    slot *s = lookup(handle, kind);
    return s ? s->obj : NULL;
}

td_status td_handle_free(int handle, td_handle_kind kind) {
    slot *s = lookup(handle, kind);
    if (!s) return TD_ERR_ARG;
    s->destroy(s->obj);
    s->obj = NULL;
    s->destroy = NULL;
    live--;
    return TD_OK;
}

int td_handle_live(void) { return live; }
