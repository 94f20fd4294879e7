#include "job_schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INTERVAL_MAX_S (7u * 86400u)

bool job_name_valid(const char *name) {
  if (!name || !(*name >= 'a' && *name <= 'z') || strlen(name) > 64)
    return false;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
          *p == '.'))
      return false;
  return true;
}

static bool parse_daily(const char *t, job_every *out) {
  /* Exactly "HH:MM", 24-hour. */
  if (strlen(t) != 5 || t[2] != ':' || strspn(t, "0123456789:") != 5 ||
      strchr(t + 3, ':'))
    return false;
  unsigned h = (unsigned)(t[0] - '0') * 10 + (unsigned)(t[1] - '0');
  unsigned m = (unsigned)(t[3] - '0') * 10 + (unsigned)(t[4] - '0');
  if (h > 23 || m > 59)
    return false;
  *out = (job_every){JOB_DAILY, 0, h, m};
  return true;
}

bool job_every_parse(const char *text, job_every *out, char *err,
                     size_t errlen) {
  *out = (job_every){JOB_ON_DEMAND, 0, 0, 0};
  if (!text)
    return true;
  if (strncmp(text, "daily ", 6) == 0) {
    if (parse_daily(text + 6, out))
      return true;
    snprintf(err, errlen, "a daily time is \"daily HH:MM\" (00:00-23:59)");
    return false;
  }
  size_t digits = strspn(text, "0123456789");
  unsigned long unit = 0;
  if (digits > 0 && digits <= 6 && strlen(text) == digits + 1) {
    switch (text[digits]) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      break;
    }
  }
  unsigned long n = unit ? strtoul(text, NULL, 10) * unit : 0;
  if (n < 1 || n > INTERVAL_MAX_S) {
    snprintf(err, errlen,
             "an interval is a number and s, m, h or d (\"45s\", \"15m\", "
             "\"6h\"), from 1 s to 7 days; or \"daily HH:MM\"");
    return false;
  }
  *out = (job_every){JOB_INTERVAL, (unsigned)n, 0, 0};
  return true;
}

long long job_interval_slot(unsigned seconds, long long now,
                            long long *run_at) {
  long long s = seconds ? seconds : 1;
  /* Floor division, so that times before the epoch behave too. */
  long long slot = (now >= 0 ? now / s : -((-now + s - 1) / s)) + 1;
  *run_at = slot * s;
  return slot;
}

void job_interval_key(unsigned seconds, long long slot, char *out,
                      size_t outlen) {
  snprintf(out, outlen, "%us:%lld", seconds, slot);
}
