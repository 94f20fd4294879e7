/* What events exist: each name@version with its producers (the core or the
 * modules that declared it, host->register_event), its payload schema and
 * description. Built before serving, read-only afterwards. Publishing checks
 * here: an undeclared event, one the publisher did not declare, or a
 * payload its schema refuses is not published. */
#ifndef CONCERTO_CORE_EVENT_CATALOG_H
#define CONCERTO_CORE_EVENT_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "app.h"
#include "concerto/status.h"

typedef struct event_catalog event_catalog;

/* Owned by the events of the app. */
event_catalog *event_catalog_new(void);
void event_catalog_free(event_catalog *c);

/* Declares name@version for `producer` (a module's name, NULL = the core).
 * `schema` (JSON Schema text of the payload, json_schema.h subset) and
 * `description` may be NULL; strings are copied. Another producer may
 * declare the same event with the same schema (document.created from
 * several modules); a different schema is refused. CONCERTO_ERR_REG_INVALID
 * (name, version, schema), CONCERTO_ERR_REG_DUPLICATE (same producer
 * twice), CONCERTO_ERR_NOMEM. */
concerto_status event_catalog_declare(event_catalog *c, const char *producer,
                                      const char *name, uint32_t version,
                                      const char *schema,
                                      const char *description, char *err,
                                      size_t errlen);

/* Whether `producer` (NULL = the core) may publish name@version with
 * `payload` (borrowed); otherwise a one-line reason in err. */
bool event_catalog_allows(const event_catalog *c, const char *producer,
                          const char *name, uint32_t version,
                          const json_t *payload, char *err, size_t errlen);

/* [{name, version, producers[], description, schema}] (a new reference),
 * by name then version. */
json_t *event_catalog_json(const event_catalog *c);

#endif
