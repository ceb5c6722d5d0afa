/*
 * Shared by the libFuzzer harnesses (and their replay driver, replay.c):
 * the check that stops a run, and what every response must satisfy.
 */
#ifndef SB_FUZZ_H
#define SB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A violated property: say which, and abort, so that libFuzzer saves the
 * input. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A response of `len` bytes (0: none sent) to `query`: it parses with
 * ldns, carries the query's ID and has QR set. */
void fuzz_check_response(const uint8_t *query, size_t query_len, const uint8_t *resp, size_t len);

#endif
