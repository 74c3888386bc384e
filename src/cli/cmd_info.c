// cmd_info.c - `thinkdiff info FILE`: what is inside a .safetensors file.
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "io/safetensors.h"

static int run_info(int argc, char **argv);

const cli_command cli_cmd_info = {
    "info", "Show the tensors, metadata and parameter count of a .safetensors file",
    "Usage: thinkdiff info FILE.safetensors\n"
    "\n"
    "Validate FILE completely (header, offsets, shapes) and print, for every\n"
    "tensor in file order, its name, dtype, shape and element count; then the\n"
    "metadata (key = value) and the total parameter count.\n"
    "\n"
    "Exit status: 0 if the file is valid, 1 if it cannot be read or is corrupt\n"
    "(the reason goes to stderr), 2 on a usage error.\n",
    run_info, 0};

static void shape_text(const td_st_tensor *t, char *buf, size_t size) {
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < t->ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu", i ? ", " : "", t->shape[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
}

static int run_info(int argc, char **argv) {
    char *path;
    int n_pos;
    int rc = cli_parse_args(&cli_cmd_info, argc, argv, NULL, 0, &path, 1, 1, &n_pos);
    if (rc) return rc;
    td_safetensors st;
    if (td_safetensors_read_file(path, &st) != TD_OK) return cli_fail("%s", td_error_message());

    size_t width = 4, params = 0;
    for (size_t i = 0; i < st.n_tensors; i++) {
        size_t n = strlen(st.tensors[i].name);
        if (n > width) width = n;
        params += st.tensors[i].numel;  // cannot overflow: each is <= its bytes in the file
    }
    printf("file: ");
    cli_print_escaped(stdout, path);
    printf("\nheader: %zu bytes, data: %zu bytes\n", st.header_len, st.data_len);
    printf("tensors: %zu\n", st.n_tensors);
    if (st.n_tensors) printf("  %-*s  %-5s  %-22s %12s\n", (int)width, "name", "dtype", "shape", "elements");
    for (size_t i = 0; i < st.n_tensors; i++) {
        const td_st_tensor *t = &st.tensors[i];
        char shape[96];
        shape_text(t, shape, sizeof shape);
        printf("  ");
        cli_print_escaped(stdout, t->name);
        printf("%*s  %-5s  %-22s %12zu\n", (int)(width - strlen(t->name)), "",
               td_dtype_name(t->dtype), shape, t->numel);
    }
    printf("metadata: %zu\n", st.n_meta);
    for (size_t i = 0; i < st.n_meta; i++) {
        printf("  ");
        cli_print_escaped(stdout, st.meta[i].key);
        printf(" = ");
        cli_print_escaped(stdout, st.meta[i].value);
        printf("\n");
    }
    printf("parameters: %zu\n", params);
    td_safetensors_free(&st);
    return CLI_OK;
}
