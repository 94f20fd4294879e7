/* Calendar arithmetic for the Lua host, without the C library's time zone
 * machinery: the proleptic Gregorian calendar in days since 1970-01-01, and
 * Italian civil time by the EU rule (UTC+1; UTC+2 from the last Sunday of
 * March 01:00 UTC to the last Sunday of October 01:00 UTC). Every Concerto
 * hospital is in Italy, and a fixed rule keeps results identical whatever
 * TZ the server runs with. Pure functions, thread-safe. */
#ifndef CONCERTO_CORE_LUA_TIME_H
#define CONCERTO_CORE_LUA_TIME_H

#include <stdbool.h>
#include <stddef.h>

long long lua_time_days_from_civil(int y, int m, int d);
void lua_time_civil_from_days(long long days, int *y, int *m, int *d);
bool lua_time_valid_date(int y, int m, int d);

/* Parses exactly "YYYY-MM-DD" (s[0..len)) as a valid calendar date. */
bool lua_time_parse_date(const char *s, size_t len, int *y, int *m, int *d);

/* Seconds Italian civil time is ahead of UTC at instant t: 3600 or 7200. */
int lua_time_rome_offset(long long t);

/* The UTC instant of an Italian wall-clock time given as seconds since the
 * epoch as if it were UTC. In the repeated autumn hour the summer-time
 * reading wins; a time in the skipped spring hour maps one hour later. */
long long lua_time_rome_to_utc(long long local_as_utc);

/* The Italian calendar day of instant t, in days since 1970-01-01. */
long long lua_time_rome_days(long long t);

#endif
