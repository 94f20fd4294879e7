/* Anamnesis forms written in Lua: a chunk returning
 *   { id, title, version, sections = { { id, title, fields = {...} } },
 *     computed = { name = function(values) ... end },
 *     validate = function(values) return { {field=, message=} } end }
 * The core checks the structure once at load, renders it to plain JSON for
 * the UI, and validates submissions server-side. The form reference (types,
 * keys, visibility, computed fields, validators) is docs/scripting.md. */
#ifndef CONCERTO_CORE_LUA_FORM_H
#define CONCERTO_CORE_LUA_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lua_box.h"

/* A loaded form: its checked structure, the rendered JSON and a reference
 * to its functions inside the box it was loaded in. */
typedef struct lua_form lua_form;

/* Runs the form chunk source[0..len) (named chunkname in errors) in box b
 * and checks what it returns. Three outcomes:
 *  - true: *out holds the form (owned by the caller: lua_form_free, before
 *    lua_box_free of b); its script value is also kept as slot "form:<id>".
 *  - false with *problems set (new reference): the chunk ran but the form
 *    is malformed; a JSON array of {"path": "sections[1].fields[2].min",
 *    "message": "..."} listing every problem found (unknown type or key,
 *    duplicate id, bad choice list, min > max, visible_if naming a missing
 *    or later field...). The caller answers 422.
 *  - false with *problems NULL: the chunk failed (syntax, runtime error or a
 *    limit); err holds "chunkname:line: message".
 * All inputs are borrowed. */
bool lua_form_load(lua_box *b, const char *chunkname, const char *source,
                   size_t len, lua_form **out, json_t **problems, char *err,
                   size_t errlen);

/* The form rendered for the UI: a plain description with no functions
 * (computed fields have "read_only": true; a visible_if written as a
 * function renders as {"script": true}). Borrowed: valid until
 * lua_form_free. */
const json_t *lua_form_json(const lua_form *f);

/* The form's id (borrowed, valid until lua_form_free) and version. */
const char *lua_form_id(const lua_form *f);
int lua_form_version(const lua_form *f);

/* Validates a submission (a JSON object: field id -> value; borrowed) in
 * the box the form was loaded in. Checks, in field order: unknown fields,
 * visibility (only visible fields are checked; a hidden required field is
 * not required), required, type, bounds, pattern, choices, lengths; then
 * (re)computes the computed fields; then, only when all of that passed,
 * calls the form's validate function.
 *
 * Returns a new JSON array of {"field": id or null, "code": ..., "message":
 * ...} (empty: valid), with *normalized set (new reference) to the valid,
 * visible submitted values plus the computed ones, so the UI may also call
 * this on a partial submission to preview visibility and computed values.
 * Codes: required, type, min, max, step, pattern, choice, length,
 * unknown_field, custom. Messages are English; the UI translates by code.
 *
 * Returns NULL with err set (and *normalized NULL) when the script failed
 * or hit a limit: the caller answers 500, not 422. */
json_t *lua_form_validate(lua_box *b, const lua_form *f,
                          const json_t *submission, json_t **normalized,
                          char *err, size_t errlen);

/* Evaluates a partial submission as the user types, with the same rules
 * as lua_form_validate (one run, form order, hidden fields never checked):
 * returns a new JSON object {"values": the normalized values with the
 * computed ones, "visible_fields": [ids in form order], "visible_sections":
 * [ids], "errors": what lua_form_validate would answer}, so a page shows
 * and hides fields, and fills computed ones, exactly as the server will
 * judge the submission. NULL with err set when the script failed or hit a
 * limit. The submission is borrowed. */
json_t *lua_form_evaluate(lua_box *b, const lua_form *f,
                          const json_t *submission, char *err, size_t errlen);

/* Releases the form and its reference inside its box. NULL is allowed. */
void lua_form_free(lua_form *f);

#endif
