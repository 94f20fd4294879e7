#include "lua_time.h"

/* Howard Hinnant's days_from_civil / civil_from_days: exact for every
 * proleptic Gregorian date, no tables, no time zone. */
long long lua_time_days_from_civil(int y, int m, int d) {
  long long yy = (long long)y - (m <= 2);
  long long era = (yy >= 0 ? yy : yy - 399) / 400;
  long long yoe = yy - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void lua_time_civil_from_days(long long z, int *y, int *m, int *d) {
  z += 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return days[m - 1];
}

bool lua_time_valid_date(int y, int m, int d) {
  return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
         d <= days_in_month(y, m);
}

static bool digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool lua_time_parse_date(const char *s, size_t len, int *y, int *m, int *d) {
  return len == 10 && s[4] == '-' && s[7] == '-' && digits(s, 4, y) &&
         digits(s + 5, 2, m) && digits(s + 8, 2, d) &&
         lua_time_valid_date(*y, *m, *d);
}

static long long floor_div(long long a, long long b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* 01:00 UTC on the last Sunday of month m of year y, as an instant. */
static long long last_sunday_0100(int y, int m) {
  long long last = lua_time_days_from_civil(y, m, days_in_month(y, m));
  long long weekday = ((last + 4) % 7 + 7) % 7; /* 1970-01-01: Thursday */
  return (last - weekday) * 86400 + 3600;
}

int lua_time_rome_offset(long long t) {
  int y, m, d;
  lua_time_civil_from_days(floor_div(t, 86400), &y, &m, &d);
  return t >= last_sunday_0100(y, 3) && t < last_sunday_0100(y, 10) ? 7200
                                                                    : 3600;
}

long long lua_time_rome_to_utc(long long local_as_utc) {
  long long summer = local_as_utc - 7200;
  if (lua_time_rome_offset(summer) == 7200)
    return summer;
  return local_as_utc - 3600;
}

long long lua_time_rome_days(long long t) {
  return floor_div(t + lua_time_rome_offset(t), 86400);
}
