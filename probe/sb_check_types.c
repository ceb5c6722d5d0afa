#include "sb_check_types.h"

#include "sb_check_http.h"
#include "sb_check_tcp.h"

#include <stddef.h>

const sb_check_type_t *const sb_check_types_builtin[] = {
    &sb_check_http_type,
    &sb_check_tcp_type,
    NULL,
};

const sb_check_type_t *sb_check_types_find(const sb_check_type_t *const *types,
                                           sb_monitor_proto_t proto)
{
    for (size_t i = 0; types[i] != NULL; i++) {
        if (types[i]->protos & 1u << proto)
            return types[i];
    }
    return NULL;
}
