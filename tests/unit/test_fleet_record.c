/* The fleet's override records: each override's slot key (escaped names,
 * one slot per drain, force and switchover), values written and read back
 * field for field (a force's and a switchover's end among them, and values
 * written before a switchover had one), and every way a value from the
 * network can be wrong. */
#include "sb_test.h"

#include "sb_fleet_record.h"

static sb_fleet_record_t decode_ok(const char *text)
{
    sb_fleet_record_t r;
    char err[160] = "";
    if (sb_fleet_record_decode(text, strlen(text), &r, err, sizeof(err)) != 0)
        fail_msg("%s: %s", text, err);
    return r;
}

static void expect_rejected(const char *text, const char *want)
{
    sb_fleet_record_t r;
    char err[160] = "";
    assert_int_equal(sb_fleet_record_decode(text, strlen(text), &r, err, sizeof(err)), -EINVAL);
    assert_null(r.doc);
    assert_string_equal(err, want);
}

static void keys_name_one_slot_per_kind(void **state)
{
    (void)state;
    char key[SB_FLEET_KEY_MAX];
    sb_override_t o = {.op = SB_OVERRIDE_DRAIN, .profile = "WWW.Example.com.", .endpoint = "East"};
    assert_int_equal(sb_fleet_record_key(&o, key, sizeof(key)), 0);
    assert_string_equal(key, "drain.www=2Eexample=2Ecom.East");
    o.op = SB_OVERRIDE_UNDRAIN; /* undoing writes the same slot */
    assert_int_equal(sb_fleet_record_key(&o, key, sizeof(key)), 0);
    assert_string_equal(key, "drain.www=2Eexample=2Ecom.East");
    o.op = SB_OVERRIDE_UNFORCE;
    assert_int_equal(sb_fleet_record_key(&o, key, sizeof(key)), 0);
    assert_string_equal(key, "force.www=2Eexample=2Ecom.East");
    o = (sb_override_t){.op = SB_OVERRIDE_FAILBACK, .profile = "www.example.com"};
    assert_int_equal(sb_fleet_record_key(&o, key, sizeof(key)), 0);
    assert_string_equal(key, "switchover.www=2Eexample=2Ecom");
    o = (sb_override_t){.op = SB_OVERRIDE_SWITCHOVER, .profile = "_svc.a-b.", .endpoint = "x y"};
    assert_int_equal(sb_fleet_record_key(&o, key, sizeof(key)), 0);
    assert_string_equal(key, "switchover._svc=2Ea-b");
    o.op = SB_OVERRIDE_DRAIN;
    assert_int_equal(sb_fleet_record_key(&o, key, sizeof(key)), 0);
    assert_string_equal(key, "drain._svc=2Ea-b.x=20y");
    char small[12];
    assert_int_equal(sb_fleet_record_key(&o, small, sizeof(small)), -ENAMETOOLONG);
}

static void values_round_trip(void **state)
{
    (void)state;
    sb_override_t o = {.op = SB_OVERRIDE_FORCE,
                       .profile = "www.example.com.",
                       .endpoint = "east",
                       .force_up = false,
                       .until_ms = 1700000060000LL,
                       .by = "uid=1000"};
    char *text = sb_fleet_record_encode(&o, "ns1", 1700000000000LL);
    assert_non_null(text);
    sb_fleet_record_t r = decode_ok(text);
    free(text);
    char err[160];
    assert_int_equal(
        sb_fleet_record_check_key(&r, "force.www=2Eexample=2Ecom.east", err, sizeof(err)), 0);
    assert_int_equal(
        sb_fleet_record_check_key(&r, "drain.www=2Eexample=2Ecom.east", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "the value is for another slot than its key");
    assert_int_equal(r.override.op, SB_OVERRIDE_FORCE);
    assert_string_equal(r.override.profile, "www.example.com.");
    assert_string_equal(r.override.endpoint, "east");
    assert_false(r.override.force_up);
    assert_int_equal(r.override.until_ms, 1700000060000LL);
    assert_string_equal(r.override.by, "uid=1000@ns1");
    assert_string_equal(r.node, "ns1");
    assert_int_equal(r.at_ms, 1700000000000LL);
    sb_fleet_record_free(&r);

    /* A switchover carries its end too. */
    o = (sb_override_t){.op = SB_OVERRIDE_SWITCHOVER,
                        .profile = "www.example.com.",
                        .endpoint = "west",
                        .until_ms = 1700000007200LL,
                        .by = "uid=0"};
    text = sb_fleet_record_encode(&o, "ns3", 1700000000000LL);
    assert_non_null(strstr(text, "\"until_ms\":1700000007200"));
    r = decode_ok(text);
    free(text);
    assert_int_equal(r.override.op, SB_OVERRIDE_SWITCHOVER);
    assert_string_equal(r.override.endpoint, "west");
    assert_int_equal(r.override.until_ms, 1700000007200LL);
    assert_int_equal(
        sb_fleet_record_check_key(&r, "switchover.www=2Eexample=2Ecom", err, sizeof(err)), 0);
    sb_fleet_record_free(&r);

    o = (sb_override_t){.op = SB_OVERRIDE_FAILBACK, .profile = "www.example.com.", .by = "u"};
    text = sb_fleet_record_encode(&o, "ns2", 5);
    r = decode_ok(text);
    free(text);
    assert_int_equal(r.override.op, SB_OVERRIDE_FAILBACK);
    assert_null(r.override.endpoint);
    assert_string_equal(r.override.by, "u@ns2");
    sb_fleet_record_free(&r);

    /* The HTTP API's longest caller: "api@" and a full IPv6 address. */
    const char *api = "api@2001:db8:1111:2222:3333:4444:5555:6666";
    o = (sb_override_t){.op = SB_OVERRIDE_DRAIN, .profile = "p.", .endpoint = "e", .by = api};
    text = sb_fleet_record_encode(&o, "ns1", 5);
    r = decode_ok(text);
    free(text);
    assert_string_equal(r.asked_by, api);
    assert_string_equal(r.override.by, "api@2001:db8:1111:2222:3333:4444:5555:6666@ns1");
    sb_fleet_record_free(&r);
}

/* Values written before a switchover could end have no until_ms: no end.
 * Only a force and a switchover have one; elsewhere it is not read. */
static void values_without_an_end_still_read(void **state)
{
    (void)state;
    sb_fleet_record_t r = decode_ok("{\"action\":\"switchover\",\"profile\":\"app.example.org.\","
                                    "\"endpoint\":\"west\",\"by\":\"uid=0\",\"node\":\"a\","
                                    "\"at_ms\":2}");
    assert_int_equal(r.override.op, SB_OVERRIDE_SWITCHOVER);
    assert_int_equal(r.override.until_ms, 0);
    sb_fleet_record_free(&r);
    r = decode_ok("{\"action\":\"switchover\",\"profile\":\"p\",\"endpoint\":\"w\","
                  "\"until_ms\":0,\"by\":\"u\",\"node\":\"a\",\"at_ms\":2}");
    assert_int_equal(r.override.until_ms, 0);
    sb_fleet_record_free(&r);
    r = decode_ok("{\"action\":\"drain\",\"profile\":\"p\",\"endpoint\":\"e\","
                  "\"until_ms\":99,\"by\":\"u\",\"node\":\"a\",\"at_ms\":2}");
    assert_int_equal(r.override.until_ms, 0);
    sb_fleet_record_free(&r);
    sb_override_t o = {.op = SB_OVERRIDE_DRAIN, .profile = "p", .endpoint = "e", .until_ms = 99};
    char *text = sb_fleet_record_encode(&o, "a", 2);
    assert_null(strstr(text, "until_ms"));
    free(text);
}

static void bad_values_are_refused_with_reasons(void **state)
{
    (void)state;
    expect_rejected("", "not a JSON object");
    expect_rejected("[1]", "not a JSON object");
    expect_rejected("{\"action\": \"explode\"}", "no known action");
    expect_rejected("{\"action\": 7}", "no known action");
    expect_rejected("{\"action\": \"drain\", \"profile\": \"p\", \"by\": \"u\", \"node\": \"n\", "
                    "\"at_ms\": 1}",
                    "a drain record needs profile, endpoint, by, node and at_ms, as text");
    expect_rejected("{\"action\": \"failback\", \"profile\": \"p\", \"by\": \"u\", "
                    "\"node\": \"n\", \"at_ms\": -1}",
                    "a failback record needs profile, by, node and at_ms, as text");
    expect_rejected("{\"action\": \"drain\", \"profile\": \"p\\n\", \"endpoint\": \"e\", "
                    "\"by\": \"u\", \"node\": \"n\", \"at_ms\": 1}",
                    "a drain record needs profile, endpoint, by, node and at_ms, as text");
    expect_rejected("{\"action\": \"force\", \"profile\": \"p\", \"endpoint\": \"e\", "
                    "\"by\": \"u\", \"node\": \"n\", \"at_ms\": 1, \"state\": \"sideways\"}",
                    "a force record needs state up or down and a whole until_ms");
    expect_rejected("{\"action\": \"force\", \"profile\": \"p\", \"endpoint\": \"e\", "
                    "\"by\": \"u\", \"node\": \"n\", \"at_ms\": 1, \"state\": \"up\", "
                    "\"until_ms\": 1.5}",
                    "a force record needs state up or down and a whole until_ms");
    expect_rejected("{\"action\": \"switchover\", \"profile\": \"p\", \"endpoint\": \"w\", "
                    "\"by\": \"u\", \"node\": \"n\", \"at_ms\": 1, \"until_ms\": -1}",
                    "a switchover record needs a whole until_ms");
    expect_rejected("{\"action\": \"switchover\", \"profile\": \"p\", \"endpoint\": \"w\", "
                    "\"by\": \"u\", \"node\": \"n\", \"at_ms\": 1, \"until_ms\": \"soon\"}",
                    "a switchover record needs a whole until_ms");
    expect_rejected("{\"action\": \"drain\", \"action\": \"undrain\"}", "not a JSON object");
    /* A by longer than any caller's: 48 characters (at most SB_FLEET_ASKED_BY_MAX, 47). */
    expect_rejected(
        "{\"action\": \"failback\", \"profile\": \"p\", "
        "\"by\": \"api@2001:db8:1111:2222:3333:4444:5555:6666:77778\", \"node\": \"n\", "
        "\"at_ms\": 1}",
        "a failback record needs profile, by, node and at_ms, as text");
    expect_rejected("{\"action\": \"failback\", \"profile\": \"p\", \"by\": \"u\", "
                    "\"node\": \"n{\", \"at_ms\": 1}",
                    "a record's node must be 1 to 63 of A-Z a-z 0-9 - _");
    char big[SB_FLEET_RECORD_MAX + 2];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    expect_rejected(big, "a record of 4097 bytes (at most 4096)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_name_one_slot_per_kind),
        cmocka_unit_test(values_round_trip),
        cmocka_unit_test(values_without_an_end_still_read),
        cmocka_unit_test(bad_values_are_refused_with_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
