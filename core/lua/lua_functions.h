/* Read-only lookups modules offer hospital scripts
 * (host->register_lua_function): concerto.<module>.<name>(args) in rules and
 * forms. Each call runs the module's C function in the script's request,
 * inside a read-only subtransaction that is rolled back afterwards (so it
 * can read, never write), charged to the script's instruction budget and
 * limited in number per run. One process-wide list, filled before serving;
 * a module's functions are staged and merged like its rules. */
#ifndef CONCERTO_CORE_LUA_FUNCTIONS_H
#define CONCERTO_CORE_LUA_FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <lua.h>

#include "concerto/host.h"

/* Calls of module functions one script run may make. */
#define LUA_FUNCTION_CALLS_MAX 20

typedef struct lua_fn_list lua_fn_list;

lua_fn_list *lua_fn_list_new(void);
void lua_fn_list_free(lua_fn_list *l);
/* Adds module `module`'s function (spec copied; fn and userdata kept).
 * CONCERTO_ERR_REG_INVALID or CONCERTO_ERR_REG_DUPLICATE with err. */
concerto_status lua_fn_list_add(lua_fn_list *l, const char *module,
                                const concerto_lua_function_spec *spec,
                                char *err, size_t errlen);
/* Moves every function of `from` into the process's list. */
bool lua_functions_merge(lua_fn_list *from, char *err, size_t errlen);
void lua_functions_free(void);

/* Adds concerto.<module> tables of the process's functions to the library
 * table at index `lib`, each made read-only by `readonly` (which replaces
 * the table on top of the stack). A module whose name is a library
 * function already is skipped. Called while a box is built. */
void lua_functions_install(lua_State *L, int lib,
                           void (*readonly)(lua_State *L));

/* [{module, name, description}] (a new reference). */
json_t *lua_functions_json(void);

#endif
