/* The shape of a per-hospital setting, shared by the modules' declarations
 * (plugin layer) and the core's own settings (video), and the check of a
 * value against it. */
#ifndef CONCERTO_CORE_SETTING_SPEC_H
#define CONCERTO_CORE_SETTING_SPEC_H

#include <stdbool.h>

#include "concerto/host.h"

typedef struct setting_spec {
  char *key, *default_value, *label_it, *label_en, *help; /* owned */
  concerto_config_type type;
  long long min, max;
} setting_spec;

/* Whether `value` is acceptable text for a setting of that type and
 * bounds ("true"/"false", a decimal within min..max, any string); NULL
 * (unset) always fits. `value` is only read. */
bool setting_value_fits(concerto_config_type type, long long min, long long max,
                        const char *value);

#endif
