/* A subset of JSON Schema (draft 2020-12; the same meaning in draft 7) for
 * the payloads modules declare: type, properties, required,
 * additionalProperties, enum, const, items, minItems, maxItems, minLength,
 * maxLength, minimum, maximum, exclusiveMinimum, exclusiveMaximum, and the
 * annotations $schema, $id, $comment, title, description, format, default,
 * examples (format is an annotation, as the 2020-12 default says). A schema
 * using anything else is refused when compiled, so nothing is silently left
 * unchecked. No C library does this and is packaged, hence by hand; the
 * JSON-Schema-Test-Suite checks it (tests/unit/test_json_schema.c). */
#ifndef CONCERTO_CORE_JSON_SCHEMA_H
#define CONCERTO_CORE_JSON_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct json_schema json_schema;

/* Compiles `text` (JSON); NULL with a reason in err when it is not JSON,
 * not a schema of the subset, or nested deeper than 32 levels. The result
 * is owned by the caller (json_schema_free) and may be shared by threads. */
json_schema *json_schema_compile(const char *text, char *err, size_t errlen);
/* The same from a parsed schema (borrowed: copied). */
json_schema *json_schema_compile_json(const json_t *schema, char *err,
                                      size_t errlen);
void json_schema_free(json_schema *s);

/* Whether `value` (borrowed) is valid; otherwise the first failure in err,
 * naming where as a JSON pointer: "/patient/birth_date: expected string". */
bool json_schema_check(const json_schema *s, const json_t *value, char *err,
                       size_t errlen);

/* The schema as JSON, borrowed from s. */
const json_t *json_schema_json(const json_schema *s);

#endif
