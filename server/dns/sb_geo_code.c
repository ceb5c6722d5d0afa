#include "sb_geo_code.h"

#include "sb_value.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ISO 3166-1 alpha-2, every assigned code (from Debian's iso-codes), in
 * order: two letters each. */
static const char COUNTRIES[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCA"
    "CCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGA"
    "GBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJP"
    "KEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMS"
    "MTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORS"
    "RURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTW"
    "TZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

static const char CONTINENTS[] = "AFANASEUNAOCSA";

/* Layout: kind in bits 40-41, then up to 5 characters of 8 bits: the
 * two-letter code, and a subdivision's own part. */
sb_geo_code_t sb_geo_code_make(sb_geo_kind_t kind, const char *code, size_t len, const char *sub,
                               size_t sub_len)
{
    if (len != 2 || sub_len > 3 || (kind == SB_GEO_SUBDIVISION) != (sub_len > 0))
        return 0;
    uint64_t v = (uint64_t)kind << 40;
    char chars[5] = {code[0], code[1], 0, 0, 0};
    memcpy(chars + 2, sub, sub_len);
    for (int i = 0; i < 5; i++)
        v |= (uint64_t)(uint8_t)chars[i] << (32 - 8 * i);
    return v;
}

sb_geo_kind_t sb_geo_code_kind(sb_geo_code_t code)
{
    return (sb_geo_kind_t)(code >> 40 & 3);
}

static bool in_list(const char *list, const char *two)
{
    for (const char *p = list; *p != '\0'; p += 2) {
        if (p[0] == two[0] && p[1] == two[1])
            return true;
    }
    return false;
}

static bool upper2(const char *s)
{
    return s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

static int subdivision(const char *text, sb_geo_code_t *out, char *why)
{
    const char *sub = text + 3;
    size_t n = strlen(sub);
    bool ok = n >= 1 && n <= 3;
    for (size_t i = 0; ok && i < n; i++)
        ok = (sub[i] >= 'A' && sub[i] <= 'Z') || (sub[i] >= '0' && sub[i] <= '9');
    if (!ok) {
        snprintf(why, SB_WHY_MAX,
                 "a subdivision is CC-XXX: 1-3 capital letters or digits after "
                 "the country and '-', as in US-CA");
        return -EINVAL;
    }
    *out = sb_geo_code_make(SB_GEO_SUBDIVISION, text, 2, sub, n);
    return 0;
}

int sb_geo_code_parse(const char *text, sb_geo_code_t *out, char *why)
{
    if (strncmp(text, "continent:", 10) == 0) {
        const char *c = text + 10;
        if (strlen(c) != 2 || !upper2(c) || !in_list(CONTINENTS, c)) {
            snprintf(why, SB_WHY_MAX, "continents are AF, AN, AS, EU, NA, OC and SA");
            return -EINVAL;
        }
        *out = sb_geo_code_make(SB_GEO_CONTINENT, c, 2, "", 0);
        return 0;
    }
    size_t n = strlen(text);
    if (n < 2 || !upper2(text) || (n > 2 && text[2] != '-')) {
        snprintf(why, SB_WHY_MAX,
                 "expected a country (DE), a subdivision (US-CA) or a continent (continent:EU)");
        return -EINVAL;
    }
    if (!in_list(COUNTRIES, text)) {
        snprintf(why, SB_WHY_MAX, "%.2s is not an ISO 3166-1 country code", text);
        return -EINVAL;
    }
    if (n > 2)
        return subdivision(text, out, why);
    *out = sb_geo_code_make(SB_GEO_COUNTRY, text, 2, "", 0);
    return 0;
}

const char *sb_geo_code_text(sb_geo_code_t code, char *buf, size_t cap)
{
    char c[6] = {0};
    for (int i = 0; i < 5; i++)
        c[i] = (char)(code >> (32 - 8 * i) & 0xff);
    sb_geo_kind_t kind = sb_geo_code_kind(code);
    if (kind == SB_GEO_CONTINENT)
        snprintf(buf, cap, "continent:%.2s", c);
    else if (kind == SB_GEO_SUBDIVISION)
        snprintf(buf, cap, "%.2s-%s", c, c + 2);
    else
        snprintf(buf, cap, "%.2s", c);
    return buf;
}
