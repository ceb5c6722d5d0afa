/*
 * libFuzzer harness for the fleet's node announcements: every input is one
 * message as <fleet>.nodes.<node> delivers it, given to
 * sb_fleet_nodes_decode() and, when it reads, to a table of nodes.
 *
 * Checked, aborting on a violation: an announcement that decodes has a
 * valid node name, a hex digest and a period in range, and encodes and
 * decodes back the same; the table never holds more than its room, and
 * every node in it is found again by name.
 * ASan, UBSan and LeakSanitizer catch the rest.
 */
#include "fuzz.h"

#include "sb_fleet_nodes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static sb_fleet_nodes_t table;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_fleet_announce_t a;
    if (sb_fleet_nodes_decode((const char *)data, size, &a) < 0)
        return 0;
    CHECK(sb_fleet_config_name_ok(a.name));
    CHECK(strlen(a.digest) >= 1 && strspn(a.digest, "0123456789abcdef") == strlen(a.digest));
    CHECK(a.period_ms >= 100 && a.period_ms <= 3600000);
    char *again = sb_fleet_nodes_encode(a.name, a.digest, a.period_ms);
    CHECK(again != NULL);
    sb_fleet_announce_t b;
    CHECK(sb_fleet_nodes_decode(again, strlen(again), &b) == 0);
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    free(again);
    sb_fleet_node_t *n = sb_fleet_nodes_heard(&table, &a, 1000);
    CHECK(table.count <= SB_FLEET_NODES_MAX);
    CHECK(n == NULL || (strcmp(n->name, a.name) == 0 && sb_fleet_nodes_reachable(n, 1000)));
    json_decref(sb_fleet_nodes_json(&table, "self", a.digest, 2000));
    return 0;
}
