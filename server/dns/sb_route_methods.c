#include "sb_route_methods.h"

#include "sb_route_all.h"
#include "sb_route_closest.h"
#include "sb_route_geo.h"
#include "sb_route_priority.h"
#include "sb_route_subnet.h"
#include "sb_route_weighted.h"

#include <stdio.h>
#include <string.h>

static const sb_route_method_t *const methods[] = {
    &sb_route_priority, &sb_route_weighted, &sb_route_all,
    &sb_route_subnet,   &sb_route_geo,      &sb_route_closest,
};

#define METHOD_COUNT (sizeof(methods) / sizeof(methods[0]))

const sb_route_method_t *sb_route_methods_find(const char *name)
{
    for (size_t i = 0; i < METHOD_COUNT; i++) {
        if (strcmp(methods[i]->name, name) == 0)
            return methods[i];
    }
    return NULL;
}

/* The names of the methods taking `setting` (0: every method). */
static void list(unsigned setting, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < METHOD_COUNT && used < cap; i++) {
        if (setting != 0 && !(methods[i]->settings & setting))
            continue;
        int n = snprintf(buf + used, cap - used, "%s%s", used > 0 ? ", " : "", methods[i]->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

void sb_route_methods_list(char *buf, size_t cap)
{
    list(0, buf, cap);
}

void sb_route_methods_taking(unsigned setting, char *buf, size_t cap)
{
    list(setting, buf, cap);
}
