/*
 * sb_check_tcp — the TCP probe type: connect, and optionally send a line
 * and look for one in the reply. What it checks is described in
 * sb_check_tcp.c.
 */
#ifndef SB_CHECK_TCP_H
#define SB_CHECK_TCP_H

#include "sb_check.h"

extern const sb_check_type_t sb_check_tcp_type;

#endif
