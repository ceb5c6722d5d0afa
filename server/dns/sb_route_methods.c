#include "sb_route_methods.h"

#include "sb_route_priority.h"

#include <stdio.h>
#include <string.h>

static const sb_route_method_t *const methods[] = {
    &sb_route_priority,
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

void sb_route_methods_list(char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < METHOD_COUNT && used < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", i > 0 ? ", " : "", methods[i]->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
