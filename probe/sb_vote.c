/*
 * The fleet's verdict from every node's (sb_vote.h).
 */
#include "sb_vote.h"

#include "sb_value.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {
    [SB_VOTE_LOCAL] = "local",
    [SB_VOTE_ANY] = "any",
    [SB_VOTE_MAJORITY] = "majority",
    [SB_VOTE_ALL] = "all",
};

int sb_vote_parse(const char *text, sb_vote_t *out, char *why)
{
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        if (strcmp(text, names[k]) == 0) {
            *out = (sb_vote_t){.kind = (uint8_t)k};
            return 0;
        }
    }
    size_t len = strlen(text);
    bool percent = len > 1 && text[len - 1] == '%';
    char digits[8];
    uint64_t n;
    char ignored[SB_WHY_MAX];
    if (len - percent > 0 && len - percent < sizeof(digits)) {
        memcpy(digits, text, len - percent);
        digits[len - percent] = '\0';
        if (sb_value_uint(digits, 1, percent ? 100 : 64, &n, ignored) == 0) {
            *out = (sb_vote_t){.kind = percent ? SB_VOTE_PERCENT : SB_VOTE_COUNT, .n = (uint8_t)n};
            return 0;
        }
    }
    snprintf(why, SB_WHY_MAX,
             "must be local, any, majority, all, a number of nodes (1-64) or a percentage of "
             "them (1%%-100%%)");
    return -EINVAL;
}

const char *sb_vote_format(sb_vote_t v, char *buf, size_t cap)
{
    if (v.kind == SB_VOTE_COUNT)
        snprintf(buf, cap, "%u", v.n);
    else if (v.kind == SB_VOTE_PERCENT)
        snprintf(buf, cap, "%u%%", v.n);
    else
        snprintf(buf, cap, "%s", v.kind < SB_VOTE_COUNT ? names[v.kind] : "?");
    return buf;
}

bool sb_vote_decide(sb_vote_t v, unsigned up, unsigned reporting)
{
    if (reporting == 0)
        return false;
    switch ((sb_vote_kind_t)v.kind) {
    case SB_VOTE_LOCAL: /* the caller counts this node alone */
    case SB_VOTE_ANY:
        return up >= 1;
    case SB_VOTE_MAJORITY:
        return 2 * up > reporting;
    case SB_VOTE_ALL:
        return up == reporting;
    case SB_VOTE_COUNT:
        return up >= v.n;
    case SB_VOTE_PERCENT:
        return 100u * up >= (unsigned)v.n * reporting;
    }
    return false;
}
