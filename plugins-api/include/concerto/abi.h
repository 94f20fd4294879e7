/* Concerto plugin API — ABI version and build fingerprint.
 *
 * A module records the ABI it was compiled against in its descriptor. The core
 * loads it only when the majors are equal, the core's minor is at least the
 * module's, and the fingerprint (pointer, long, size_t and enum widths, and the
 * Lua version for the Lua host) matches. Nothing of the module runs before that
 * check except the one function that returns its descriptor. */
#ifndef CONCERTO_ABI_H
#define CONCERTO_ABI_H

#include <stdint.h>

/* Bump MAJOR for an incompatible change (never done lightly: every vendor must
 * rebuild). Bump MINOR when the host table grows; old modules keep working.
 * 1.0: registration, requests, responses, database.
 * 1.1: the caller (user, hospital, roles) and the audit trail.
 * 1.2: events (subscribe in a place kept since 1.0, publish appended).
 * 1.3: Lua rules of the hospital (rule, in a place kept since 1.0).
 * 1.4: per-hospital settings declared by modules.
 * 1.5: e-mail as a core service (send_mail).
 * 1.6: uploads and the blob store, live streams, user notifications, SMS and
 *      video rooms as core services.
 * 1.7: the type of an upload before taking it (req_upload_type).
 * 1.8: guests on public routes (req_bind_guest).
 * 1.9: audit rows in the trail of the hospital owning the data (audit_for).
 * 1.10: size-prefixed structs read by their size (older sizes accepted);
 *      services between modules, roles, Lua rules and functions, events
 *      with owners, problem codes, jobs and timers, outbound HTTP, commit
 *      hooks, mounts outside /api/v1/<module>/, clients bound by a module,
 *      problems with field errors, rows as JSON; the descriptor gains
 *      optional_depends and host_slot (CONCERTO_MODULE_DEFINE).
 * 1.11: e-mail delivery states by the sender's tag (mail_deliveries). */
#define CONCERTO_ABI_MAJOR 1
#define CONCERTO_ABI_MINOR 11

/* The Lua version scripts exposed by modules are compiled for (5.4). */
#define CONCERTO_LUA_VERSION_NUM 504

enum concerto_abi_probe_enum { CONCERTO_ABI_PROBE_ENUM_ = 0 };

/* Widths that must agree between the core and a module built elsewhere. */
#define CONCERTO_ABI_FINGERPRINT                                               \
  ((uint32_t)((sizeof(void *) << 24) | (sizeof(long) << 16) |                  \
              (sizeof(size_t) << 8) | sizeof(enum concerto_abi_probe_enum)))

#endif
