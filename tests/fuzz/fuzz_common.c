#include "fuzz.h"

#include "sb_dns.h"

#include <ldns/ldns.h>

void fuzz_check_response(const uint8_t *query, size_t query_len, const uint8_t *resp, size_t len)
{
    if (len == 0)
        return;
    CHECK(query_len >= 2);
    ldns_pkt *pkt = NULL;
    ldns_status st = ldns_wire2pkt(&pkt, resp, len);
    if (st != LDNS_STATUS_OK)
        fprintf(stderr, "fuzz: ldns: %s\n", ldns_get_errorstr_by_id(st));
    CHECK(st == LDNS_STATUS_OK);
    CHECK(ldns_pkt_id(pkt) == sb_get16(query));
    CHECK(ldns_pkt_qr(pkt));
    ldns_pkt_free(pkt);
}
