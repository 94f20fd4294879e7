/* Size-prefixed structs of the plugin API, read by their size.
 *
 * Every struct a module hands the core starts with `uint32_t size`, the
 * sizeof the module was built with. A module built against an older header
 * passes a smaller size than the core's struct, one built against a newer
 * header a larger one. The core accepts any size from the struct's V1 size
 * up: it copies the bytes the size covers into a zeroed struct of its own
 * layout and reads only that copy, so a field the module did not know
 * reads as zero - which is why every field appended to a public struct
 * must mean "the old behaviour" when zero.
 *
 * The V1 sizes are the end of the last field of the first ABI that had the
 * struct (git history of plugins-api/include/concerto/), written with
 * offsetof so that appending fields never moves them. A struct that grew
 * names the first field appended later instead. tests/unit/test_abi_layout.c
 * pins these values and every public struct's layout. */
#ifndef CONCERTO_CORE_STRUCT_COMPAT_H
#define CONCERTO_CORE_STRUCT_COMPAT_H

#include <stdbool.h>
#include <stddef.h>

#include "concerto/host.h"

/* The first byte after `field` of `type`. */
#define STRUCT_END_OF(type, field)                                             \
  (offsetof(type, field) + sizeof(((type *)0)->field))

/* ABI 1.0; auth and summary were appended in 1.10. */
#define ROUTE_SPEC_V1_SIZE offsetof(concerto_route_spec, auth)
/* ABI 1.0, unchanged since. */
#define CONFIG_SPEC_V1_SIZE STRUCT_END_OF(concerto_config_spec, help)
/* ABI 1.4, unchanged since. */
#define TENANT_SETTING_SPEC_V1_SIZE                                            \
  STRUCT_END_OF(concerto_tenant_setting_spec, help)
/* ABI 1.6, unchanged since (an out-parameter: the core fills what the
 * caller's size covers). */
#define BLOB_V1_SIZE STRUCT_END_OF(concerto_blob, content_type)
/* ABI 1.10. */
#define SERVICE_SPEC_V1_SIZE STRUCT_END_OF(concerto_service_spec, vtable_size)
#define SERVICE_FRAME_V1_SIZE STRUCT_END_OF(concerto_service_frame, saved)
#define ROLE_SPEC_V1_SIZE STRUCT_END_OF(concerto_role_spec, flags)
#define RULE_SPEC_V1_SIZE STRUCT_END_OF(concerto_rule_spec, default_for)
#define LUA_FUNCTION_SPEC_V1_SIZE                                              \
  STRUCT_END_OF(concerto_lua_function_spec, description)
#define EVENT_SPEC_V1_SIZE STRUCT_END_OF(concerto_event_spec, description)
#define PROBLEM_SPEC_V1_SIZE STRUCT_END_OF(concerto_problem_spec, when)
#define JOB_SPEC_V1_SIZE STRUCT_END_OF(concerto_job_spec, timeout_s)
#define HTTP_CALL_V1_SIZE STRUCT_END_OF(concerto_http_call, max_response_bytes)
#define HTTP_REPLY_V1_SIZE STRUCT_END_OF(concerto_http_reply, body_len)
/* The module descriptor (ABI 1.0): through `stop`. */
#define DESCRIPTOR_V1_SIZE STRUCT_END_OF(concerto_module_descriptor, stop)

/* Copies the caller's struct `src` (its first field the uint32_t size)
 * into `dst`, the core's struct of `dst_size` bytes: the bytes the
 * caller's size covers, at most dst_size, the rest zero; dst's size field
 * then says how many bytes came from the caller. Returns dst, or NULL
 * (dst untouched) when src is NULL or its size is below `v1_size`. `src`
 * is only read. */
void *struct_import(void *dst, size_t dst_size, const void *src,
                    size_t v1_size);
#define STRUCT_IMPORT(dst, src, v1_size)                                       \
  struct_import((dst), sizeof *(dst), (src), (v1_size))

/* The reverse, for out-parameters: copies the core's `src` (`src_size`
 * bytes) into the caller's `dst`, only as many bytes as dst's size field
 * covers and never the size field itself. */
void struct_export(void *dst, const void *src, size_t src_size);

#endif
