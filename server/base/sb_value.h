/*
 * sb_value — parsers for the typed values that appear in configuration:
 * durations, bounded integers and HTTP status ranges.
 *
 * Each parser returns 0 on success, or -EINVAL and writes a short reason
 * ("needs a unit: ms, s, m or h") into `why` (at least 128 bytes), which the
 * caller places after the key name in its diagnostic.
 *
 * Thread: pure functions; no allocation.
 */
#ifndef SB_VALUE_H
#define SB_VALUE_H

#include <stddef.h>
#include <stdint.h>

#define SB_WHY_MAX 160

/* "250ms", "2s", "5m", "1h" (also "1.5s"); the unit is required. */
int sb_value_duration_ms(const char *text, uint64_t *out, char *why);

/* Decimal integer in [min, max]. */
int sb_value_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out, char *why);

typedef struct {
    uint16_t lo;
    uint16_t hi;
} sb_status_range_t;

/* "200-299,301": at most `max` ranges, each code in 100..599. */
int sb_value_status_ranges(const char *text, sb_status_range_t *out, size_t max, size_t *count,
                           char *why);

/* Format a duration compactly ("2s", "250ms", "1500ms"). */
void sb_value_format_duration(uint64_t ms, char *buf, size_t cap);

#endif
