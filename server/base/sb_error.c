#include "sb_error.h"

#include <string.h>

const char *sb_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case SB_ECONFIG:
        return "configuration has errors";
    case SB_ENOTFOUND:
        return "not found";
    case SB_ETOOBIG:
        return "too big";
    case SB_ESTATE:
        return "invalid in the current state";
    default:
        break;
    }
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown error";
}
