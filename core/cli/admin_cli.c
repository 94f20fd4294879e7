#include "admin_cli.h"
#include "services_config.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>

#include "admin_demo_modules.h"
#include "blob_sweep.h"
#include "codice_fiscale.h"
#include "config.h"
#include "migrate.h"
#include "password.h"
#include "problem.h"
#include "paths.h"
#include "scripts.h"
#include "tokens.h"
#include "username.h"

#define DEMO_PASSWORD "Concerto-Demo-2026"

typedef struct cli {
  PGconn *pg;
  const char *operator_name;
  const char *scripts_dir;
  const char *modules_dir;
  const char *blob_dir;
  char err[512];
} cli;

static void usage(void) {
  fputs("usage: concerto admin [--config FILE] COMMAND ...\n"
        "  create-hospital CODE NAME KIND [--hub]     KIND: ASL AO AOU IRCCS\n"
        "  create-site HOSPITAL CODE NAME [CITY]\n"
        "  enable-module HOSPITAL MODULE\n"
        "  disable-module HOSPITAL MODULE\n"
        "  create-user HOSPITAL USERNAME DISPLAY_NAME ROLE[,ROLE...]\n"
        "  create-regional-admin USERNAME DISPLAY_NAME\n"
        "  reset-password USERNAME\n"
        "  create-api-token HOSPITAL NAME ROLE        prints the token once\n"
        "  verify-audit                               exit 1 if tampered\n"
        "  load-scripts HOSPITAL DIR                  lib/*.lua, rules.lua, "
        "forms/*.lua\n"
        "  demo                                       load the demo region\n"
        "  sweep-blobs [--dry-run] [--grace-hours N]  delete stored files "
        "no row references\n"
        "  problem-codes                              the HTTP error codes, "
        "as Markdown\n"
        "Passwords are read from CONCERTO_NEW_PASSWORD, else from stdin.\n",
        stderr);
}

/* Runs one statement; prints the error and returns NULL on failure. */
static PGresult *run(cli *c, const char *sql, int n, const char *const *p) {
  PGresult *r = PQexecParams(c->pg, sql, n, NULL, p, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    fprintf(stderr, "concerto admin: %s", PQresultErrorMessage(r));
    PQclear(r);
    return NULL;
  }
  return r;
}

static bool run_ok(cli *c, const char *sql, int n, const char *const *p) {
  PGresult *r = run(c, sql, n, p);
  PQclear(r);
  return r != NULL;
}

static void audit(cli *c, const char *action, const char *resource,
                  const char *tenant_code) {
  const char *p[4] = {c->operator_name, action, resource, tenant_code};
  run_ok(c,
         "INSERT INTO concerto.audit_log (actor_kind, actor_name, action, "
         "resource, outcome, tenant_id) VALUES ('system', 'cli:' || $1, $2, "
         "$3, 'success', (SELECT id FROM concerto.tenants WHERE code = $4))",
         4, p);
}

static char *read_password(const char *username) {
  const char *env = getenv("CONCERTO_NEW_PASSWORD");
  char buf[300];
  if (env && *env) {
    snprintf(buf, sizeof buf, "%s", env);
  } else {
    if (isatty(STDIN_FILENO))
      fprintf(stderr, "password for %s: ", username);
    if (!fgets(buf, sizeof buf, stdin))
      return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
  }
  char msg[160];
  if (!password_policy_check(buf, username, msg, sizeof msg)) {
    fprintf(stderr, "concerto admin: password refused: %s\n", msg);
    return NULL;
  }
  return password_hash(buf);
}

static bool create_hospital(cli *c, const char *code, const char *name,
                            const char *kind, bool hub) {
  const char *p[4] = {code, name, kind, hub ? "true" : "false"};
  PGresult *r = run(c,
                    "INSERT INTO concerto.tenants (code, name, kind, hub) "
                    "VALUES ($1, $2, $3, $4::boolean) ON CONFLICT (code) DO "
                    "NOTHING RETURNING id",
                    4, p);
  if (!r)
    return false;
  bool created = PQntuples(r) == 1;
  PQclear(r);
  if (created)
    audit(c, "tenant.create", code, code);
  return true;
}

static bool create_site(cli *c, const char *tenant, const char *code,
                        const char *name, const char *city) {
  const char *p[4] = {tenant, code, name, city};
  return run_ok(c,
                "INSERT INTO concerto.sites (tenant_id, code, name, city) "
                "SELECT id, $2, $3, $4 FROM concerto.tenants WHERE code = $1 "
                "ON CONFLICT DO NOTHING",
                4, p);
}

static bool set_module(cli *c, const char *tenant, const char *module,
                       bool on) {
  const char *p[3] = {tenant, module, on ? "true" : "false"};
  PGresult *r = run(c,
                    "INSERT INTO concerto.tenant_modules (tenant_id, module, "
                    "enabled) SELECT id, $2, $3::boolean FROM concerto.tenants "
                    "WHERE code = $1 ON CONFLICT (tenant_id, module) DO UPDATE "
                    "SET enabled = $3::boolean, updated_at = now() RETURNING 1",
                    3, p);
  if (!r)
    return false;
  bool found = PQntuples(r) == 1;
  PQclear(r);
  if (!found) {
    fprintf(stderr, "concerto admin: no hospital %s\n", tenant);
    return false;
  }
  run_ok(c, "SELECT pg_notify('concerto_tenants', $1)", 1, p);
  audit(c, on ? "module.enable" : "module.disable", module, tenant);
  return true;
}

/* Creates the user if missing (with `hash`), then adds the roles. */
static bool create_user(cli *c, const char *tenant, const char *typed,
                        const char *display, const char *roles,
                        const char *hash, bool regional) {
  char username[65]; /* stored in lower case, like the API's */
  if (!username_fold(typed, username, sizeof username)) {
    fprintf(stderr, "concerto admin: username %s: %s\n", typed, USERNAME_RULE);
    return false;
  }
  const char *p[5] = {username, display, hash, regional ? "true" : "false",
                      tenant};
  /* The hospital named first owns the account (docs/security.md). */
  PGresult *r =
      run(c,
          "INSERT INTO concerto.users (username, display_name, "
          "password_hash, regional_admin, home_tenant_id) VALUES ($1, $2, $3, "
          "$4::boolean, (SELECT id FROM concerto.tenants WHERE code = $5)) ON "
          "CONFLICT (username) DO NOTHING RETURNING id",
          5, p);
  if (!r)
    return false;
  bool created = PQntuples(r) == 1;
  PQclear(r);
  if (created)
    audit(c, "user.create", username, tenant);
  if (!roles)
    return true;
  /* Roles in a hospital other than the owner's: the operator shares the
   * account with it, as the owning hospital's administrator would. */
  const char *q0[2] = {username, tenant};
  bool ok = run_ok(c,
                   "INSERT INTO concerto.user_shares (user_id, tenant_id) "
                   "SELECT u.id, t.id FROM concerto.users u, concerto.tenants "
                   "t WHERE u.username = $1 AND t.code = $2 AND "
                   "u.home_tenant_id IS DISTINCT FROM t.id ON CONFLICT DO "
                   "NOTHING",
                   2, q0);
  char *list = strdup(roles);
  bool changed = false;
  for (char *save = NULL, *role = strtok_r(list, ",", &save); role && ok;
       role = strtok_r(NULL, ",", &save)) {
    const char *q[3] = {username, tenant, role};
    PGresult *ins = run(c,
                        "INSERT INTO concerto.user_roles (user_id, tenant_id, "
                        "role) SELECT u.id, t.id, $3 FROM concerto.users u, "
                        "concerto.tenants t WHERE u.username = $1 AND t.code = "
                        "$2 ON CONFLICT DO NOTHING RETURNING 1",
                        3, q);
    ok = ins != NULL;
    changed |= ins && PQntuples(ins) > 0;
    PQclear(ins);
  }
  free(list);
  if (changed)
    audit(c, "user.roles.change", username, tenant);
  return ok;
}

static bool create_patient(cli *c, const char *cf, const char *surname,
                           const char *given, const char *birth,
                           const char *place, const char *email,
                           const char *tenant) {
  cf_info info;
  if (cf_validate(cf, &info) != CF_OK) {
    fprintf(stderr, "concerto admin: demo patient %s: invalid codice fiscale\n",
            cf);
    return false;
  }
  char sex[2] = {info.sex, '\0'};
  const char *p[8] = {info.normalized, surname, given, birth,
                      place,           sex,     email, tenant};
  /* Registered by `tenant`, which so has a relationship with them. */
  return run_ok(c,
                "INSERT INTO concerto.patients (fiscal_code, surname, "
                "given_name, birth_date, birth_place, sex, email, "
                "created_tenant_id) VALUES ($1, $2, $3, $4::date, $5, $6, $7, "
                "(SELECT id FROM concerto.tenants WHERE code = $8)) ON "
                "CONFLICT (fiscal_code) DO UPDATE SET created_tenant_id = "
                "coalesce(patients.created_tenant_id, "
                "EXCLUDED.created_tenant_id)",
                8, p);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = malloc(256u << 10);
  size_t n = buf ? fread(buf, 1, (256u << 10) - 1, f) : 0;
  fclose(f);
  if (buf)
    buf[n] = '\0';
  return buf;
}

/* Stores one script as a new version if its source changed, and makes it
 * the active one (idempotent: the same source is not stored twice). */
static bool store_script(cli *c, const char *tenant, script_kind kind,
                         const char *id, const char *source,
                         const json_t *rendered) {
  char *json = rendered ? json_dumps(rendered, JSON_COMPACT) : NULL;
  const char *p[5] = {tenant, script_kind_name(kind), id, source, json};
  PGresult *r = run(
      c,
      "WITH t AS (SELECT id FROM concerto.tenants WHERE code = $1), "
      "same AS (SELECT s.version FROM concerto.scripts s, t WHERE s.tenant_id "
      "= t.id AND s.kind = $2 AND s.script_id = $3 AND s.source = $4), "
      "ins AS (INSERT INTO concerto.scripts (tenant_id, kind, script_id, "
      "version, source, rendered, title) SELECT t.id, $2, $3, coalesce((SELECT "
      "max(version) FROM concerto.scripts s WHERE s.tenant_id = t.id AND "
      "s.kind = $2 AND s.script_id = $3), 0) + 1, $4, $5::jsonb, "
      "$5::jsonb->>'title' FROM t WHERE NOT EXISTS (SELECT 1 FROM same) "
      "RETURNING version) SELECT coalesce((SELECT version FROM ins), (SELECT "
      "version FROM same))::text",
      5, p);
  free(json);
  if (!r)
    return false;
  char version[16];
  snprintf(version, sizeof version, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  const char *q[4] = {tenant, script_kind_name(kind), id, version};
  return run_ok(c,
                "INSERT INTO concerto.script_active (tenant_id, kind, "
                "script_id, version) SELECT id, $2, $3, $4::integer FROM "
                "concerto.tenants WHERE code = $1 ON CONFLICT (tenant_id, "
                "kind, script_id) DO UPDATE SET version = $4::integer",
                4, q) &&
         run_ok(c,
                "INSERT INTO concerto.script_sets (tenant_id) SELECT id FROM "
                "concerto.tenants WHERE code = $1 ON CONFLICT (tenant_id) DO "
                "UPDATE SET generation = script_sets.generation + 1",
                1, q);
}

/* The .lua files of a folder, sorted (names malloc'ed; caller frees). */
static size_t lua_files(const char *dir, char names[][72], size_t max) {
  DIR *d = opendir(dir);
  size_t n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) && n < max) {
    size_t len = strlen(e->d_name);
    if (len > 4 && len < 70 && strcmp(e->d_name + len - 4, ".lua") == 0)
      snprintf(names[n++], 72, "%.*s", (int)(len - 4), e->d_name);
  }
  if (d)
    closedir(d);
  qsort(names, n, 72, (int (*)(const void *, const void *))strcmp);
  return n;
}

/* Loads a hospital's script folder: lib/NAME.lua, rules.lua,
 * forms/NAME.lua, each compiled and dry-run exactly as an upload through
 * the API. */
static bool load_scripts(cli *c, const char *tenant, const char *dir) {
  char path[1024], libnames[32][72], names[32][72];
  char *libsrc[32] = {0};
  script_lib libs[32];
  snprintf(path, sizeof path, "%.900s/lib", dir);
  size_t nlibs = lua_files(path, libnames, 32);
  bool ok = true;
  for (size_t i = 0; i < nlibs; i++) {
    snprintf(path, sizeof path, "%.900s/lib/%.70s.lua", dir, libnames[i]);
    libsrc[i] = slurp(path);
    libs[i] = (script_lib){libnames[i], libsrc[i] ? libsrc[i] : ""};
  }
  struct {
    script_kind kind;
    const char *sub;
  } order[] = {
      {SCRIPT_LIB, "lib"}, {SCRIPT_RULES, NULL}, {SCRIPT_FORM, "forms"}};
  for (size_t k = 0; ok && k < 3; k++) {
    size_t n;
    if (order[k].kind == SCRIPT_RULES) {
      snprintf(path, sizeof path, "%.900s/rules.lua", dir);
      n = access(path, R_OK) == 0 ? 1 : 0;
      snprintf(names[0], 72, "rules");
    } else {
      snprintf(path, sizeof path, "%.900s/%s", dir, order[k].sub);
      n = lua_files(path, names, 32);
    }
    for (size_t i = 0; ok && i < n; i++) {
      if (order[k].kind == SCRIPT_RULES)
        snprintf(path, sizeof path, "%.900s/rules.lua", dir);
      else
        snprintf(path, sizeof path, "%.900s/%s/%.70s.lua", dir, order[k].sub,
                 names[i]);
      char *src = slurp(path);
      char chunk[160];
      snprintf(chunk, sizeof chunk, "%.40s/%s%s%.70s.lua", tenant,
               order[k].sub ? order[k].sub : "", order[k].sub ? "/" : "",
               names[i]);
      script_check chk;
      script_compile(NULL, order[k].kind, chunk, src ? src : "", libs, nlibs,
                     NULL, &chk);
      /* A form is stored under the id it declares. */
      const char *id = order[k].kind == SCRIPT_FORM ? chk.form_id : names[i];
      ok = chk.ok && src &&
           store_script(c, tenant, order[k].kind, id, src, chk.rendered);
      if (!chk.ok) {
        char *e = json_dumps(chk.errors, JSON_COMPACT);
        fprintf(stderr, "concerto admin: %s refused: %s\n", path, e);
        free(e);
      }
      script_check_clear(&chk);
      free(src);
    }
  }
  for (size_t i = 0; i < nlibs; i++)
    free(libsrc[i]);
  if (ok)
    audit(c, "script.load", dir, tenant);
  return ok;
}

/* The demo region: one HUB (AOU Palermo), one neurological IRCCS HUB and
 * one SPOKE (ASP Agrigento), a user for every role, a few patients. Every
 * demo user's password is DEMO_PASSWORD (README lists them). */
static bool enable_demo(void *ctx, const char *tenant, const char *module) {
  return set_module(ctx, tenant, module, true);
}

static bool load_demo(cli *c) {
  char *hash = password_hash(DEMO_PASSWORD);
  if (!hash)
    return false;
  static const struct {
    const char *code, *name, *kind;
    bool hub;
  } tenants[] = {
      {"AOUP-PA", "AOU Policlinico \"P. Giaccone\" di Palermo", "AOU", true},
      {"IRCCS-ME", "IRCCS Centro Neurolesi \"Bonino Pulejo\" di Messina",
       "IRCCS", true},
      {"ASP-AG", "ASP di Agrigento", "ASL", false},
  };
  static const struct {
    const char *tenant, *code, *name, *city;
  } sites[] = {
      {"AOUP-PA", "PO-GIACCONE", "Presidio Policlinico Giaccone", "Palermo"},
      {"IRCCS-ME", "PO-PIEMONTE", "Presidio Piemonte", "Messina"},
      {"ASP-AG", "PO-AGRIGENTO", "P.O. San Giovanni di Dio", "Agrigento"},
      {"ASP-AG", "PO-SCIACCA", "P.O. Giovanni Paolo II", "Sciacca"},
      {"ASP-AG", "PO-LICATA", "P.O. San Giacomo d'Altopasso", "Licata"},
  };
  static const struct {
    const char *tenant, *username, *display, *roles;
  } users[] = {
      {"AOUP-PA", "hadmin.pa", "Giulia Ferro (amministratore AOU)",
       "hospital_admin"},
      {"AOUP-PA", "it.pa", "Marco Ingrassia (IT AOU)", "hospital_it"},
      {"AOUP-PA", "org.pa", "Elena Russo (organizzatrice)", "organizer"},
      {"AOUP-PA", "cardio.pa", "Dott. Paolo Greco (cardiologo)", "specialist"},
      {"AOUP-PA", "radiol.pa", "Dott.ssa Laura Costa (radiologa)",
       "radiologist"},
      {"AOUP-PA", "tsrm.pa", "Davide Sala (TSRM)", "radiographer"},
      {"AOUP-PA", "help.pa", "Sara Vitale (help desk)", "helpdesk"},
      {"AOUP-PA", "privacy.pa", "Avv. Chiara Lo Bue (privacy)",
       "privacy_officer"},
      {"AOUP-PA", "bi.pa", "Fabio Amato (controllo di gestione)", "bi_viewer"},
      {"IRCCS-ME", "neuro.me", "Dott. Antonio Calabrò (neurologo)",
       "specialist,organizer"},
      {"IRCCS-ME", "hadmin.me", "Rita Sturiale (amministratore IRCCS)",
       "hospital_admin"},
      {"ASP-AG", "hadmin.ag", "Carmelo Russo (amministratore ASP)",
       "hospital_admin"},
      {"ASP-AG", "mmg.ag", "Dott.ssa Anna Lupo (medico di medicina generale)",
       "requesting_doctor"},
      {"ASP-AG", "pronto.ag", "Dott. Salvatore Li Causi (pronto soccorso)",
       "requesting_doctor"},
      {"ASP-AG", "help.ag", "Nino Sciortino (help desk)", "helpdesk"},
      {"ASP-AG", "privacy.ag", "Dott.ssa Ida Mangione (privacy)",
       "privacy_officer"},
  };
  /* Each registered by the hospital of where they live. */
  static const struct {
    const char *cf, *surname, *given, *birth, *place, *email, *tenant;
  } patients[] = {
      {"VRDGPP45C12A089J", "Verdi", "Giuseppe", "1945-03-12", "Agrigento",
       "giuseppe.verdi@example.org", "ASP-AG"},
      {"BNCLCU90D45A089Z", "Bianchi", "Lucia", "1990-04-05", "Agrigento",
       "lucia.bianchi@example.org", "ASP-AG"},
      {"CNTSLV62M50G273L", "Conti", "Silvia", "1962-08-10", "Palermo", NULL,
       "AOUP-PA"},
      {"FRRNTN55T10A089M", "Ferrara", "Antonio", "1955-12-10", "Agrigento",
       NULL, "ASP-AG"},
      {"LMBMRT78E60F158V", "Lombardo", "Marta", "1978-05-20", "Messina",
       "marta.lombardo@example.org", "IRCCS-ME"},
  };
  bool ok = run_ok(c, "BEGIN", 0, NULL);
  for (size_t i = 0; ok && i < sizeof tenants / sizeof *tenants; i++)
    ok = create_hospital(c, tenants[i].code, tenants[i].name, tenants[i].kind,
                         tenants[i].hub);
  for (size_t i = 0; ok && i < sizeof sites / sizeof *sites; i++)
    ok = create_site(c, sites[i].tenant, sites[i].code, sites[i].name,
                     sites[i].city);
  ok = ok && create_user(c, NULL, "admin", "Amministratore regionale", NULL,
                         hash, true);
  for (size_t i = 0; ok && i < sizeof users / sizeof *users; i++) {
    ok = create_user(c, users[i].tenant, users[i].username, users[i].display,
                     users[i].roles, hash, false);
    /* Demo staff get addresses on a reserved domain (RFC 2606), so the
     * clinical modules' invitations have somewhere to go (the SMTP sink of
     * a development set-up, or nowhere). */
    ok = ok && run_ok(c,
                      "UPDATE concerto.users SET email = username || "
                      "'@demo.concerto.example' WHERE username = $1 AND "
                      "email IS NULL",
                      1, &users[i].username);
  }
  for (size_t i = 0; ok && i < sizeof patients / sizeof *patients; i++)
    ok = create_patient(c, patients[i].cf, patients[i].surname,
                        patients[i].given, patients[i].birth, patients[i].place,
                        patients[i].email, patients[i].tenant);
  /* The hospitals' example forms and rules (scripts/hospitals/<code>). */
  for (size_t i = 0; ok && i < sizeof tenants / sizeof *tenants; i++) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/hospitals/%s", c->scripts_dir,
             tenants[i].code);
    if (access(dir, R_OK) == 0)
      ok = load_scripts(c, tenants[i].code, dir);
  }
  ok = run_ok(c, ok ? "COMMIT" : "ROLLBACK", 0, NULL) && ok;
  free(hash);
  const char *codes[] = {tenants[0].code, tenants[1].code, tenants[2].code};
  _Static_assert(sizeof tenants / sizeof *tenants == 3, "every demo hospital");
  if (ok && !admin_demo_modules(c->pg, c->modules_dir, codes, 3, enable_demo, c,
                                c->err, sizeof c->err)) {
    fprintf(stderr, "concerto admin: module demo: %s\n", c->err);
    ok = false;
  }
  if (ok)
    printf("demo region loaded: 3 hospitals, %zu users, %zu patients "
           "(password %s)\n",
           sizeof users / sizeof *users + 1, sizeof patients / sizeof *patients,
           DEMO_PASSWORD);
  return ok;
}

/* sweep-blobs [--dry-run] [--grace-hours N]: exit 0, or 1 when rows whose
 * file is missing were found (a restore or a disk to look at), 2 on error
 * or bad arguments. */
static int sweep_blobs(cli *c, int argc, char **argv) {
  bool dry_run = false;
  unsigned long grace_h = 24;
  for (int i = 0; i < argc; i++) {
    char *end = NULL;
    if (strcmp(argv[i], "--dry-run") == 0)
      dry_run = true;
    else if (strcmp(argv[i], "--grace-hours") == 0 && i + 1 < argc &&
             (grace_h = strtoul(argv[i + 1], &end, 10), *end == '\0') &&
             grace_h <= 24 * 365)
      i++;
    else {
      usage();
      return 2;
    }
  }
  blob_sweep_report rep;
  if (!blob_sweep(c->pg, c->blob_dir, (unsigned)(grace_h * 3600), dry_run, &rep,
                  c->err, sizeof c->err)) {
    fprintf(stderr, "concerto admin: sweep-blobs: %s\n", c->err);
    return 2;
  }
  printf("blob store %s: %lu files checked, %lu without a row older than "
         "%lu h (%lu removed, %llu bytes), %lu younger kept, %lu rows "
         "whose file is missing\n",
         c->blob_dir, rep.checked, rep.orphans, grace_h, rep.removed,
         rep.bytes_removed, rep.young, rep.missing);
  if (!dry_run && rep.removed > 0) {
    char what[64];
    snprintf(what, sizeof what, "removed:%lu", rep.removed);
    audit(c, "blob.sweep", what, NULL);
  }
  return rep.missing > 0 ? 1 : 0;
}

static int command(cli *c, int argc, char **argv) {
  const char *cmd = argv[0];
  if (strcmp(cmd, "create-hospital") == 0 && (argc == 4 || argc == 5))
    return create_hospital(c, argv[1], argv[2], argv[3],
                           argc == 5 && strcmp(argv[4], "--hub") == 0)
               ? 0
               : 1;
  if (strcmp(cmd, "create-site") == 0 && (argc == 4 || argc == 5))
    return create_site(c, argv[1], argv[2], argv[3], argc == 5 ? argv[4] : NULL)
               ? 0
               : 1;
  if ((strcmp(cmd, "enable-module") == 0 ||
       strcmp(cmd, "disable-module") == 0) &&
      argc == 3)
    return set_module(c, argv[1], argv[2], cmd[0] == 'e') ? 0 : 1;
  if (strcmp(cmd, "create-user") == 0 && argc == 5) {
    char *hash = read_password(argv[2]);
    bool ok =
        hash && create_user(c, argv[1], argv[2], argv[3], argv[4], hash, false);
    free(hash);
    return ok ? 0 : 1;
  }
  if (strcmp(cmd, "create-regional-admin") == 0 && argc == 3) {
    char *hash = read_password(argv[1]);
    bool ok = hash && create_user(c, NULL, argv[1], argv[2], NULL, hash, true);
    free(hash);
    return ok ? 0 : 1;
  }
  if (strcmp(cmd, "reset-password") == 0 && argc == 2) {
    username_lower(argv[1]); /* names are stored in lower case */
    char *hash = read_password(argv[1]);
    const char *p[2] = {argv[1], hash};
    PGresult *r = hash ? run(c,
                             "UPDATE concerto.users SET password_hash = $2, "
                             "auth_source = 'local' WHERE username = $1 "
                             "RETURNING id",
                             2, p)
                       : NULL;
    bool ok = r && PQntuples(r) == 1;
    PQclear(r);
    free(hash);
    if (ok) {
      /* A reset ends every session of that user. */
      run_ok(c,
             "UPDATE concerto.sessions SET revoked_at = now() WHERE user_id = "
             "(SELECT id FROM concerto.users WHERE username = $1) AND "
             "revoked_at IS NULL",
             1, p);
      audit(c, "user.password.reset", argv[1], NULL);
    } else if (hash) {
      fprintf(stderr, "concerto admin: no user %s\n", argv[1]);
    }
    return ok ? 0 : 1;
  }
  if (strcmp(cmd, "create-api-token") == 0 && argc == 4) {
    char token[TOKEN_TEXT_LEN + 1], hash[65];
    if (!token_new(token) || !token_hash(token, hash))
      return 1;
    const char *p[4] = {argv[1], argv[2], argv[3], hash};
    PGresult *r = run(c,
                      "INSERT INTO concerto.api_tokens (tenant_id, name, role, "
                      "token_hash) SELECT id, $2, $3, $4 FROM concerto.tenants "
                      "WHERE code = $1 RETURNING id",
                      4, p);
    bool ok = r && PQntuples(r) == 1;
    PQclear(r);
    if (!ok)
      return 1;
    audit(c, "api_token.create", argv[2], argv[1]);
    printf("%s\n", token);
    return 0;
  }
  if (strcmp(cmd, "sweep-blobs") == 0)
    return sweep_blobs(c, argc - 1, argv + 1);
  if (strcmp(cmd, "verify-audit") == 0 && argc == 1) {
    PGresult *r = run(c,
                      "SELECT rows_checked, broken_id, broken_chain FROM "
                      "concerto.audit_verify()",
                      0, NULL);
    if (!r)
      return 2;
    bool intact = PQgetisnull(r, 0, 1);
    if (intact)
      printf("audit trail intact: %s rows checked\n", PQgetvalue(r, 0, 0));
    else
      printf("audit trail BROKEN at row %s (chain %s); %s rows before it "
             "verified\n",
             PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 0));
    PQclear(r);
    return intact ? 0 : 1;
  }
  if (strcmp(cmd, "load-scripts") == 0 && argc == 3) {
    bool ok = run_ok(c, "BEGIN", 0, NULL) && load_scripts(c, argv[1], argv[2]);
    return run_ok(c, ok ? "COMMIT" : "ROLLBACK", 0, NULL) && ok ? 0 : 1;
  }
  if (strcmp(cmd, "demo") == 0 && argc == 1)
    return load_demo(c) ? 0 : 1;
  usage();
  return 2;
}

static const char *cli_sql_dir(void) {
  const char *env = getenv("CONCERTO_SQL_DIR");
  return env && *env ? env : NULL;
}

int admin_cli_main(int argc, char **argv, const char *config_path) {
  if (argc < 2) {
    usage();
    return 2;
  }
  /* Needs no configuration and no database: the source of
   * docs/api-errors.md. */
  if (argc == 2 && strcmp(argv[1], "problem-codes") == 0) {
    problem_codes_markdown(stdout);
    return 0;
  }
  concerto_config cfg;
  config_defaults(&cfg);
  char err[512];
  if (!config_load(&cfg, config_path, err, sizeof err) ||
      !services_config_check(&cfg, err, sizeof err)) {
    fprintf(stderr, "concerto admin: configuration: %s\n", err);
    config_free(&cfg);
    return 2;
  }
  password_set_cost(cfg.argon2_t_cost, cfg.argon2_m_kib);
  cli c = {0};
  struct passwd *pw = getpwuid(getuid());
  c.operator_name = pw ? pw->pw_name : "unknown";
  c.scripts_dir = cfg.scripts_dir;
  c.modules_dir = cfg.modules_dir;
  c.blob_dir = cfg.blob_dir;
  const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
  const char *vals[] = {cfg.database_url, "5", "concerto-admin", NULL};
  c.pg = PQconnectdbParams(keys, vals, 1);
  int rc = 2;
  if (PQstatus(c.pg) != CONNECTION_OK) {
    fprintf(stderr, "concerto admin: database: %s", PQerrorMessage(c.pg));
  } else {
    /* The core schema must exist; the server migrates modules itself. */
    migration_set core;
    const char *dir = cli_sql_dir();
    if (!dir)
      dir = concerto_core_sql_dir();
    bool ok =
        migration_set_load(&core, "core", "concerto", dir, err, sizeof err) &&
        migrate_run(c.pg, &core, 1, err, sizeof err);
    migration_set_free(&core);
    if (!ok)
      fprintf(stderr, "concerto admin: migrations: %s\n", err);
    else /* as the schema owner: every hospital (is_regional) */
      rc = command(&c, argc - 1, argv + 1);
  }
  PQfinish(c.pg);
  config_free(&cfg);
  return rc;
}
