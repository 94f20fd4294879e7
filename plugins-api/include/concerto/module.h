/* Concerto plugin API — the module descriptor and the one exported symbol.
 *
 * A module is a shared object exporting exactly one function,
 * `concerto_module_descriptor_v`, that returns a pointer to a const descriptor.
 * Write it with CONCERTO_MODULE(...) rather than by hand. Build with
 * -fvisibility=hidden (the pkg-config file and the in-tree CMake helper do) so
 * nothing else leaks out of the module. */
#ifndef CONCERTO_MODULE_H
#define CONCERTO_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct concerto_host concerto_host;
typedef struct concerto_registrar concerto_registrar;

/* The descriptor. Its first five fields keep their place in every ABI major so
 * the core can read and refuse any module; fields are only ever appended. */
typedef struct concerto_module_descriptor {
  uint32_t struct_size; /* sizeof(concerto_module_descriptor) at build time */
  uint16_t abi_major;   /* CONCERTO_ABI_MAJOR at build time */
  uint16_t abi_minor;   /* CONCERTO_ABI_MINOR at build time */
  uint32_t fingerprint; /* CONCERTO_ABI_FINGERPRINT at build time */
  uint32_t lua_version; /* CONCERTO_LUA_VERSION_NUM at build time */

  const char *name;    /* [a-z][a-z0-9_]{0,31}: route, config, schema prefix */
  const char *version; /* the module's own version, e.g. "1.2.0" */
  const char *vendor;  /* who ships it */
  const char *description;    /* one line, English */
  const char *const *depends; /* NULL-terminated module names, or NULL */

  /* Registration phase. Called once, before the server accepts requests.
   * It must only register (routes, config keys, migrations, assets) and read
   * configuration: the core may call it in a throw-away probe process first,
   * so side effects other than allocating `*state` belong in `start`.
   * `host` stays valid for the process lifetime; `reg` only during this call.
   * `*state` is owned by the module and handed back to start and stop.
   * Return CONCERTO_OK or any error: the module is then refused, the server
   * runs on without it. */
  concerto_status (*init)(const concerto_host *host, concerto_registrar *reg,
                          void **state);
  /* Optional: after migrations ran and before requests arrive. */
  concerto_status (*start)(void *state);
  /* Optional: at shutdown, after the last request. Frees `state`. */
  void (*stop)(void *state);

  /* ---- ABI 1.10: the core reads these only when struct_size covers
   * them. ---- */

  /* Modules this one uses when they are present (their services found with
   * get_service): loaded and initialised first when present, but a missing
   * or refused one is no reason to refuse this module. NULL-terminated
   * names, or NULL. */
  const char *const *optional_depends;
  /* Where the core stores the host table before calling init (and in the
   * probe), so api.h's wrappers work without a trampoline. */
  const concerto_host **host_slot;
} concerto_module_descriptor;

/* The exported symbol's name and type. */
#define CONCERTO_MODULE_SYMBOL "concerto_module_descriptor_v"
typedef const concerto_module_descriptor *(*concerto_module_descriptor_fn)(
    void);

#if defined(_WIN32)
#define CONCERTO_EXPORT __declspec(dllexport)
#define CONCERTO_HIDDEN
#else
#define CONCERTO_EXPORT __attribute__((visibility("default")))
#define CONCERTO_HIDDEN __attribute__((visibility("hidden")))
#endif

/* Set by the trampoline CONCERTO_MODULE generates, before the module's init
 * runs; the inline wrappers of api.h call through it. */
extern CONCERTO_HIDDEN const concerto_host *concerto_module_host;

/* Defines the exported descriptor function. DEPENDS is a NULL-terminated
 * `const char *const[]` or NULL; START and STOP may be NULL. Use once per
 * module, in one source file. */
#define CONCERTO_MODULE(NAME, VERSION, VENDOR, DESCRIPTION, DEPENDS, INIT,     \
                        START, STOP)                                           \
  CONCERTO_HIDDEN const concerto_host *concerto_module_host = NULL;            \
  static concerto_status concerto_module_init_trampoline_(                     \
      const concerto_host *host, concerto_registrar *reg, void **state) {      \
    concerto_module_host = host;                                               \
    return (INIT)(host, reg, state);                                           \
  }                                                                            \
  static const concerto_module_descriptor concerto_module_descriptor_ = {      \
      sizeof(concerto_module_descriptor),                                      \
      CONCERTO_ABI_MAJOR,                                                      \
      CONCERTO_ABI_MINOR,                                                      \
      CONCERTO_ABI_FINGERPRINT,                                                \
      CONCERTO_LUA_VERSION_NUM,                                                \
      (NAME),                                                                  \
      (VERSION),                                                               \
      (VENDOR),                                                                \
      (DESCRIPTION),                                                           \
      (DEPENDS),                                                               \
      concerto_module_init_trampoline_,                                        \
      (START),                                                                 \
      (STOP),                                                                  \
      NULL,                                                                    \
      &concerto_module_host};                                                  \
  CONCERTO_EXPORT const concerto_module_descriptor *                           \
  concerto_module_descriptor_v(void);                                          \
  CONCERTO_EXPORT const concerto_module_descriptor *                           \
  concerto_module_descriptor_v(void) {                                         \
    return &concerto_module_descriptor_;                                       \
  }

/* ABI 1.10: the descriptor with named fields, so new ones need no new
 * macro. Give at least .name, .version, .vendor, .description and .init:
 *
 *   static const char *const deps[] = {"signature", NULL};
 *   CONCERTO_MODULE_DEFINE(.name = "telereport", .version = "1.0.0",
 *                          .vendor = "Concerto", .description = "...",
 *                          .depends = deps, .init = tr_init,
 *                          .stop = tr_stop)
 *
 * Use once per module, in one source file. */
#define CONCERTO_MODULE_DEFINE(...)                                            \
  CONCERTO_HIDDEN const concerto_host *concerto_module_host = NULL;            \
  static const concerto_module_descriptor concerto_module_descriptor_ = {      \
      .struct_size = sizeof(concerto_module_descriptor),                       \
      .abi_major = CONCERTO_ABI_MAJOR,                                         \
      .abi_minor = CONCERTO_ABI_MINOR,                                         \
      .fingerprint = CONCERTO_ABI_FINGERPRINT,                                 \
      .lua_version = CONCERTO_LUA_VERSION_NUM,                                 \
      .host_slot = &concerto_module_host,                                      \
      __VA_ARGS__};                                                            \
  CONCERTO_EXPORT const concerto_module_descriptor *                           \
  concerto_module_descriptor_v(void);                                          \
  CONCERTO_EXPORT const concerto_module_descriptor *                           \
  concerto_module_descriptor_v(void) {                                         \
    return &concerto_module_descriptor_;                                       \
  }

#ifdef __cplusplus
}
#endif
#endif
