#include "roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "struct_compat.h"

#define ROLE_NAME_MAX 40
#define ROLE_LABEL_MAX 80
#define ROLE_TEXT_MAX 300

struct role_registry {
  role_def *roles;
  size_t count;
};

role_registry *roles_new(void) {
  return calloc(1, sizeof(role_registry));
}

void roles_free(role_registry *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->count; i++) {
    role_def *d = &r->roles[i];
    free(d->name);
    free(d->label_it);
    free(d->label_en);
    free(d->description);
    free(d->owners);
  }
  free(r->roles);
  free(r);
}

/* Names caller_has_role answers itself: never grantable. */
static const char *const pseudo_roles[] = {
    "authenticated", "regional_admin", "patient", "guest",
    "client",        "patient_care",   NULL};

bool role_name_valid(const char *name) {
  if (!name || !(*name >= 'a' && *name <= 'z') || strlen(name) < 2 ||
      strlen(name) >= ROLE_NAME_MAX)
    return false;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return false;
  for (int i = 0; pseudo_roles[i]; i++)
    if (strcmp(name, pseudo_roles[i]) == 0)
      return false;
  return true;
}

static bool text_ok(const char *s, size_t max, bool required) {
  if (!s)
    return !required;
  size_t n = strlen(s);
  return n <= max && (!required || n > 0) && !strpbrk(s, "\r\n");
}

const role_def *roles_find(const role_registry *r, const char *name) {
  for (size_t i = 0; r && name && i < r->count; i++)
    if (strcmp(r->roles[i].name, name) == 0)
      return &r->roles[i];
  return NULL;
}

/* Whether `owners` ("a, b") already lists `owner`. */
static bool lists_owner(const char *owners, const char *owner) {
  size_t n = strlen(owner);
  for (const char *p = owners; p && *p;) {
    const char *end = strstr(p, ", ");
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, owner, n) == 0)
      return true;
    p = end ? end + 2 : NULL;
  }
  return false;
}

concerto_status roles_add(role_registry *r, const char *owner,
                          const concerto_role_spec *given) {
  concerto_role_spec copy;
  const concerto_role_spec *spec =
      STRUCT_IMPORT(&copy, given, ROLE_SPEC_V1_SIZE);
  const char *who = owner ? owner : "core";
  if (!spec || !role_name_valid(spec->name) ||
      !text_ok(spec->label_it, ROLE_LABEL_MAX, true) ||
      !text_ok(spec->label_en, ROLE_LABEL_MAX, true) ||
      !text_ok(spec->description, ROLE_TEXT_MAX, false) ||
      (spec->flags & ~(uint32_t)CONCERTO_ROLE_PATIENT_CARE) != 0)
    return CONCERTO_ERR_REG_INVALID;
  role_def *known = (role_def *)roles_find(r, spec->name);
  if (known) {
    if (lists_owner(known->owners, who))
      return CONCERTO_ERR_REG_DUPLICATE;
    char *owners = NULL;
    if (asprintf(&owners, "%s, %s", known->owners, who) < 0)
      return CONCERTO_ERR_NOMEM;
    free(known->owners);
    known->owners = owners;
    known->flags |= spec->flags;
    return CONCERTO_OK;
  }
  role_def *grown = realloc(r->roles, (r->count + 1) * sizeof *grown);
  if (!grown)
    return CONCERTO_ERR_NOMEM;
  r->roles = grown;
  role_def *d = &r->roles[r->count];
  *d = (role_def){strdup(spec->name),
                  strdup(spec->label_it),
                  strdup(spec->label_en),
                  strdup(spec->description ? spec->description : ""),
                  strdup(who),
                  spec->flags,
                  true};
  if (!d->name || !d->label_it || !d->label_en || !d->description ||
      !d->owners) {
    free(d->name);
    free(d->label_it);
    free(d->label_en);
    free(d->description);
    free(d->owners);
    return CONCERTO_ERR_NOMEM;
  }
  r->count++;
  return CONCERTO_OK;
}

bool roles_add_core(role_registry *r) {
  static const concerto_role_spec core[] = {
      {sizeof(concerto_role_spec), "hospital_admin",
       "Amministratore dell'ospedale", "Hospital administrator",
       "Manages the hospital's users, roles, settings and modules.", 0},
      {sizeof(concerto_role_spec), "hospital_it", "Sistemi informativi",
       "Hospital IT",
       "Manages the hospital's scripts, directory and integrations.", 0},
      {sizeof(concerto_role_spec), "privacy_officer", "Referente privacy",
       "Privacy officer", "Reads and verifies the hospital's audit trail.", 0},
      {sizeof(concerto_role_spec), "helpdesk", "Help desk", "Help desk",
       "Follows patients and users: searches patients, sends access links.",
       CONCERTO_ROLE_PATIENT_CARE},
  };
  for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
    if (roles_add(r, NULL, &core[i]) != CONCERTO_OK)
      return false;
  return true;
}

size_t roles_count(const role_registry *r) {
  return r ? r->count : 0;
}

const role_def *roles_at(const role_registry *r, size_t i) {
  return r && i < r->count ? &r->roles[i] : NULL;
}

bool roles_any_with(const role_registry *r, const char *const *roles,
                    int nroles, uint32_t flag) {
  for (int i = 0; i < nroles; i++) {
    const role_def *d = roles_find(r, roles[i]);
    if (d && (d->flags & flag) == flag)
      return true;
  }
  return false;
}

static bool run(PGconn *pg, const char *sql, int n, const char *const *p,
                char *err, size_t errlen) {
  PGresult *res = PQexecParams(pg, sql, n, NULL, p, NULL, NULL, 0);
  bool ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
            PQresultStatus(res) == PGRES_TUPLES_OK;
  if (!ok)
    snprintf(err, errlen, "roles: %s", PQerrorMessage(pg));
  PQclear(res);
  return ok;
}

/* Adds the roles of the database that no running module declared. */
static bool load_unregistered(role_registry *r, PGconn *pg, char *err,
                              size_t errlen) {
  PGresult *res = PQexec(pg, "SELECT name, label_it, label_en, description, "
                             "owners, patient_care FROM concerto.roles WHERE "
                             "NOT registered ORDER BY name");
  bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
  if (!ok)
    snprintf(err, errlen, "roles: %s", PQerrorMessage(pg));
  for (int i = 0; ok && i < PQntuples(res); i++) {
    concerto_role_spec spec = {
        sizeof spec,
        PQgetvalue(res, i, 0),
        PQgetvalue(res, i, 1),
        PQgetvalue(res, i, 2),
        PQgetvalue(res, i, 3),
        PQgetvalue(res, i, 5)[0] == 't' ? CONCERTO_ROLE_PATIENT_CARE : 0u};
    ok = roles_add(r, PQgetvalue(res, i, 4), &spec) == CONCERTO_OK;
    if (ok)
      r->roles[r->count - 1].registered = false;
    else
      snprintf(err, errlen, "roles: cannot keep role %s", spec.name);
  }
  PQclear(res);
  return ok;
}

bool roles_sync(role_registry *r, PGconn *owner, char *err, size_t errlen) {
  if (!run(owner, "BEGIN", 0, NULL, err, errlen))
    return false;
  bool ok = run(owner, "UPDATE concerto.roles SET registered = false", 0, NULL,
                err, errlen);
  for (size_t i = 0; ok && i < r->count; i++) {
    const role_def *d = &r->roles[i];
    const char *p[6] = {
        d->name,     d->label_it,
        d->label_en, d->description,
        d->owners,   (d->flags & CONCERTO_ROLE_PATIENT_CARE) ? "t" : "f"};
    ok = run(owner,
             "INSERT INTO concerto.roles (name, label_it, label_en, "
             "description, owners, patient_care, registered) VALUES ($1, $2, "
             "$3, $4, $5, $6::boolean, true) ON CONFLICT (name) DO UPDATE SET "
             "label_it = EXCLUDED.label_it, label_en = EXCLUDED.label_en, "
             "description = EXCLUDED.description, owners = EXCLUDED.owners, "
             "patient_care = EXCLUDED.patient_care, registered = true",
             6, p, err, errlen);
  }
  char ignored[8];
  if (!ok) {
    run(owner, "ROLLBACK", 0, NULL, ignored, sizeof ignored);
    return false;
  }
  return run(owner, "COMMIT", 0, NULL, err, errlen) &&
         load_unregistered(r, owner, err, errlen);
}
