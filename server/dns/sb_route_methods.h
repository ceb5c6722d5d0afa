/*
 * sb_route_methods — every routing method, in one table: what a zone file
 * may name after `profile`. Adding a method is one file (sb_route_*.c
 * exporting its sb_route_method_t) and one entry here
 * (docs/development.md has the checklist).
 *
 * Thread: read-only data; any thread.
 */
#ifndef SB_ROUTE_METHODS_H
#define SB_ROUTE_METHODS_H

#include "sb_route.h"

#include <stddef.h>

/* The method called `name`, or NULL. */
const sb_route_method_t *sb_route_methods_find(const char *name);

/* "priority, ...": every method's name, for error messages. */
void sb_route_methods_list(char *buf, size_t cap);

/* "weighted": the methods that take a setting (SB_ROUTE_SET_*). */
void sb_route_methods_taking(unsigned setting, char *buf, size_t cap);

#endif
