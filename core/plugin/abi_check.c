#include <stdio.h>
#include <string.h>

#include "module_registry.h"
#include "struct_compat.h"

bool module_name_valid(const char *name) {
  if (!name || !(name[0] >= 'a' && name[0] <= 'z'))
    return false;
  size_t n = strlen(name);
  if (n > 32)
    return false;
  for (size_t i = 1; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

bool abi_check(const concerto_module_descriptor *d, char *err, size_t errlen) {
  if (!d) {
    snprintf(err, errlen, "descriptor function returned NULL");
    return false;
  }
  if (d->abi_major != CONCERTO_ABI_MAJOR) {
    snprintf(err, errlen,
             "built for plugin ABI %u.%u, this core speaks %u.%u (major "
             "differs: rebuild the module)",
             d->abi_major, d->abi_minor, CONCERTO_ABI_MAJOR,
             CONCERTO_ABI_MINOR);
    return false;
  }
  if (d->abi_minor > CONCERTO_ABI_MINOR) {
    snprintf(err, errlen,
             "built for plugin ABI %u.%u, this core speaks %u.%u (module needs "
             "a newer core)",
             d->abi_major, d->abi_minor, CONCERTO_ABI_MAJOR,
             CONCERTO_ABI_MINOR);
    return false;
  }
  if (d->struct_size < DESCRIPTOR_V1_SIZE) {
    snprintf(err, errlen, "descriptor too small (%u bytes, need %zu)",
             d->struct_size, (size_t)DESCRIPTOR_V1_SIZE);
    return false;
  }
  if (d->fingerprint != CONCERTO_ABI_FINGERPRINT) {
    snprintf(err, errlen,
             "build fingerprint 0x%08x differs from the core's 0x%08x "
             "(pointer, long, size_t or enum width)",
             d->fingerprint, CONCERTO_ABI_FINGERPRINT);
    return false;
  }
  if (d->lua_version != CONCERTO_LUA_VERSION_NUM) {
    snprintf(err, errlen, "built for Lua %u, the core hosts Lua %u",
             d->lua_version, CONCERTO_LUA_VERSION_NUM);
    return false;
  }
  if (!module_name_valid(d->name)) {
    snprintf(err, errlen, "module name must match [a-z][a-z0-9_]{0,31}");
    return false;
  }
  if (!d->version || !d->init) {
    snprintf(err, errlen, "descriptor lacks a version or an init function");
    return false;
  }
  return true;
}
