#include "sb_cookie.h"

#include "sb_dns.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#define COOKIE_VERSION     1
#define CLIENT_COOKIE_LEN  8
#define MAX_FUTURE_SECONDS 300  /* RFC 9018 §4.3 */
#define MAX_AGE_SECONDS    3600 /* RFC 9018 §4.3 */
#define RENEW_AGE_SECONDS  1800 /* RFC 9018 §4.3 */

int sb_cookie_key_random(sb_cookie_key_t *key)
{
    if (sodium_init() < 0)
        return -EIO;
    randombytes_buf(key->secret, sizeof(key->secret));
    return 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sb_cookie_key_parse(sb_cookie_key_t *key, const char *hex)
{
    if (strlen(hex) != 2 * SB_COOKIE_SECRET_LEN)
        return -EINVAL;
    for (size_t i = 0; i < SB_COOKIE_SECRET_LEN; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        key->secret[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* RFC 9018 §4.4: the hash input is the client cookie, the version, reserved
 * and timestamp fields, then the client's address. */
static void cookie_hash(const sb_cookie_key_t *key, const uint8_t *client_cookie,
                        const uint8_t *head, const uint8_t *addr, size_t addr_len, uint8_t *out)
{
    uint8_t input[CLIENT_COOKIE_LEN + 8 + 16];
    memcpy(input, client_cookie, CLIENT_COOKIE_LEN);
    memcpy(input + CLIENT_COOKIE_LEN, head, 8);
    if (addr_len > 16)
        addr_len = 16;
    if (addr_len > 0)
        memcpy(input + CLIENT_COOKIE_LEN + 8, addr, addr_len);
    crypto_shorthash_siphash24(out, input, CLIENT_COOKIE_LEN + 8 + addr_len, key->secret);
}

void sb_cookie_make(const sb_cookie_key_t *key, const uint8_t *client_cookie, const uint8_t *addr,
                    size_t addr_len, uint32_t now, uint8_t *out)
{
    out[0] = COOKIE_VERSION;
    out[1] = out[2] = out[3] = 0;
    sb_put32(out + 4, now);
    cookie_hash(key, client_cookie, out, addr, addr_len, out + 8);
}

sb_cookie_verdict_t sb_cookie_check(const sb_cookie_key_t *key, const uint8_t *client_cookie,
                                    const uint8_t *server_cookie, size_t server_len,
                                    const uint8_t *addr, size_t addr_len, uint32_t now)
{
    if (server_len != SB_COOKIE_SERVER_LEN || server_cookie[0] != COOKIE_VERSION)
        return SB_COOKIE_BAD;
    int32_t age = (int32_t)(now - sb_get32(server_cookie + 4));
    if (age < -MAX_FUTURE_SECONDS || age > MAX_AGE_SECONDS)
        return SB_COOKIE_BAD;
    uint8_t expected[8];
    cookie_hash(key, client_cookie, server_cookie, addr, addr_len, expected);
    if (sodium_memcmp(expected, server_cookie + 8, sizeof(expected)) != 0)
        return SB_COOKIE_BAD;
    return age >= RENEW_AGE_SECONDS ? SB_COOKIE_RENEW : SB_COOKIE_FRESH;
}
