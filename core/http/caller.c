#include "caller.h"

#include <string.h>

bool caller_has_role(const caller *c, const char *role) {
  if (!role || c->kind == CALLER_ANONYMOUS)
    return false;
  if (strcmp(role, "authenticated") == 0)
    return c->kind == CALLER_STAFF || c->kind == CALLER_TOKEN;
  if (strcmp(role, "regional_admin") == 0)
    return c->kind == CALLER_STAFF && c->regional_admin;
  if (strcmp(role, "patient") == 0)
    return c->kind == CALLER_PATIENT;
  if (strcmp(role, "guest") == 0)
    return c->kind == CALLER_GUEST;
  if (strcmp(role, "client") == 0)
    return c->kind == CALLER_CLIENT;
  if (strcmp(role, "patient_care") == 0)
    return c->patient_care;
  for (int i = 0; i < c->nroles; i++)
    if (strcmp(c->roles[i], role) == 0)
      return true;
  return false;
}

bool caller_satisfies(const caller *c, const char *required) {
  if (!required)
    return true;
  const char *p = required;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char role[64];
    if (n > 0 && n < sizeof role) {
      memcpy(role, p, n);
      role[n] = '\0';
      if (caller_has_role(c, role))
        return true;
    }
    if (!end)
      break;
    p = end + 1;
  }
  return false;
}
