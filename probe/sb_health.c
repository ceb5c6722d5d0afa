#include "sb_health.h"

void sb_health_init(sb_health_t *h, uint8_t fall, uint8_t rise)
{
    h->state = SB_HEALTH_CHECKING;
    h->fall = fall ? fall : 1;
    h->rise = rise ? rise : 1;
    h->streak = 0;
}

void sb_health_force(sb_health_t *h, sb_health_state_t state)
{
    h->state = state;
    h->streak = 0;
}

bool sb_health_feed(sb_health_t *h, bool ok)
{
    switch (h->state) {
    case SB_HEALTH_CHECKING:
        h->state = ok ? SB_HEALTH_UP : SB_HEALTH_DOWN;
        h->streak = 0;
        return true;
    case SB_HEALTH_UP:
        h->streak = ok ? 0 : (uint8_t)(h->streak + 1);
        if (h->streak < h->fall)
            return false;
        h->state = SB_HEALTH_DOWN;
        break;
    case SB_HEALTH_DOWN:
        h->streak = ok ? (uint8_t)(h->streak + 1) : 0;
        if (h->streak < h->rise)
            return false;
        h->state = SB_HEALTH_UP;
        break;
    }
    h->streak = 0;
    return true;
}

const char *sb_health_state_name(sb_health_state_t state)
{
    switch (state) {
    case SB_HEALTH_CHECKING:
        return "checking";
    case SB_HEALTH_UP:
        return "up";
    case SB_HEALTH_DOWN:
        return "down";
    }
    return "?";
}
