/* The checks of the configuration keys the services layer reads (the SMS
 * gateway, the video platform), run right after config_load by every
 * command that starts the services. */
#ifndef CONCERTO_CORE_SERVICES_CONFIG_H
#define CONCERTO_CORE_SERVICES_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* True when cfg's gateway settings are usable; otherwise a one-line reason
 * naming the key in err. cfg is only read. */
bool services_config_check(const concerto_config *cfg, char *err,
                           size_t errlen);

#endif
