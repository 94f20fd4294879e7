/* Hospital isolation, fuzzed over every route the server serves (issue 10,
 * "Done when"). The routes come from the server's own OpenAPI document, so
 * a module's routes are covered the day the module is loaded here. Hospital
 * B (AOUP-PA) holds data with a marker no other hospital has ("zqxb"); for
 * every operation, every role of hospital A (ASP-AG) allowed on it calls it
 * with B's ids in every path parameter, with B named in the hospital
 * header, and with B's ids in the query and the body. None of B's marked
 * data may come back, no existing row of B may change, and nothing may
 * answer 5xx. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "harness.h"

#define DB "it_isolation"
#define DEMO_PASSWORD "Concerto-Demo-2026"
#define B "AOUP-PA"
#define A "ASP-AG"
#define MAX_IDS 48
#define MAX_USERS 16

static th_server srv;
static char modules_dir[600];

/* B's values to put where an id goes. */
static char *b_ids[MAX_IDS];
static size_t nb_ids;
static char b_session[24], b_username[64], b_sha[80], b_patient[24];

typedef struct actor {
  const char *username;
  const char *role;
  th_client client;
} actor;
static actor actors[MAX_USERS];
static size_t nactors;
static th_client anonymous;

static int admin(const char *args) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' admin --config '%s' %s >/dev/null 2>&1",
           th_env("CONCERTO_BIN"), srv.config, args);
  return system(cmd);
}

/* A folder with the real module and the test modules side by side. */
static void make_modules_dir(void) {
  th_mixed_modules(modules_dir, sizeof modules_dir, "teleconsult",
                   "ward files");
}

static char *sql1(const char *sql) {
  return th_sql(DB, sql);
}

static void add_id(const char *v) {
  if (!v || !*v || nb_ids >= MAX_IDS)
    return;
  for (size_t i = 0; i < nb_ids; i++)
    if (strcmp(b_ids[i], v) == 0)
      return;
  b_ids[nb_ids++] = strdup(v);
}

/* Up to five ids of B's rows in every table that has an id and either a
 * tenant_id or a session of B: ids of every kind B holds (ids of different
 * tables overlap, so the distinct values are fewer). */
static void collect_b_ids(void) {
  char *list = sql1(
      "SELECT string_agg(format('%I.%I', c.table_schema, c.table_name), ' ') "
      "FROM information_schema.columns c WHERE c.column_name = 'id' AND "
      "c.table_schema IN ('concerto', 'teleconsult', 'ward', 'files') AND "
      "EXISTS (SELECT 1 FROM information_schema.columns k WHERE "
      "k.table_schema = c.table_schema AND k.table_name = c.table_name AND "
      "k.column_name IN ('tenant_id', 'session_id'))");
  char *save = NULL;
  for (char *t = strtok_r(list, " ", &save); t;
       t = strtok_r(NULL, " ", &save)) {
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(id::text, ' ') FROM (SELECT id FROM %s x "
             "WHERE (to_jsonb(x) ->> "
             "'tenant_id')::bigint = (SELECT id FROM concerto.tenants WHERE "
             "code = '" B "') OR (to_jsonb(x) ->> 'session_id')::bigint IN "
             "(SELECT id FROM teleconsult.sessions WHERE tenant_id = (SELECT "
             "id FROM concerto.tenants WHERE code = '" B "')) ORDER BY id "
             "DESC LIMIT 5) l",
             t);
    char *v = sql1(sql), *save2 = NULL;
    for (char *id = v ? strtok_r(v, " ", &save2) : NULL; id;
         id = strtok_r(NULL, " ", &save2))
      add_id(id);
    free(v);
  }
  free(list);
  char *v = sql1("SELECT id FROM concerto.users WHERE username = 'cardio.pa'");
  add_id(v);
  free(v);
  add_id(b_patient);
  add_id(b_session);
}

/* Every existing row of B (and of B's sessions), hashed: a write by A to
 * any of them changes it. New rows addressed to B (a request to its
 * consultable group) are legitimate and not counted; the audit trail,
 * events and login sessions are not B's objects. */
static char *b_fingerprint(void) {
  return sql1(
      "SELECT md5(string_agg(h, ',' ORDER BY h)) FROM (SELECT "
      "md5(to_jsonb(x)::text) AS h FROM concerto.users x WHERE "
      "home_tenant_id = (SELECT id FROM concerto.tenants WHERE code = '" B
      "') UNION ALL SELECT md5(to_jsonb(x)::text) FROM concerto.patients x "
      "WHERE surname = 'Zqxbmarker' UNION ALL SELECT md5(to_jsonb(x)::text) "
      "FROM concerto.user_roles x WHERE tenant_id = (SELECT id FROM "
      "concerto.tenants WHERE code = '" B "') UNION ALL SELECT "
      "md5(to_jsonb(x)::text) FROM concerto.tenant_modules x WHERE tenant_id "
      "= (SELECT id FROM concerto.tenants WHERE code = '" B "') UNION ALL "
      "SELECT md5(to_jsonb(x)::text) FROM concerto.api_tokens x WHERE "
      "tenant_id = (SELECT id FROM concerto.tenants WHERE code = '" B
      "') UNION ALL SELECT md5(to_jsonb(x)::text) FROM concerto.sites x WHERE "
      "tenant_id = (SELECT id FROM concerto.tenants WHERE code = '" B
      "') UNION ALL SELECT md5(to_jsonb(x)::text) FROM ward.beds x WHERE "
      "tenant_id = (SELECT id FROM concerto.tenants WHERE code = '" B
      "') UNION ALL SELECT md5(to_jsonb(x)::text) FROM teleconsult.sessions x "
      "WHERE tenant_id = (SELECT id FROM concerto.tenants WHERE code = '" B
      "') UNION ALL SELECT md5(to_jsonb(x)::text) FROM teleconsult.groups x "
      "WHERE tenant_id = (SELECT id FROM concerto.tenants WHERE code = '" B
      "') UNION ALL SELECT md5(to_jsonb(x)::text) FROM teleconsult.comments "
      "x WHERE session_id = "
      "(SELECT min(id) FROM teleconsult.sessions "
      "WHERE tenant_id = (SELECT id FROM concerto.tenants WHERE code = '" B
      "')) UNION ALL SELECT md5(to_jsonb(x)::text) FROM "
      "teleconsult.participants x WHERE session_id IN (SELECT id FROM "
      "teleconsult.sessions WHERE tenant_id = (SELECT id FROM "
      "concerto.tenants WHERE code = '" B "')) UNION ALL SELECT "
      "md5(to_jsonb(x)::text) FROM teleconsult.session_patients x WHERE "
      "session_id IN (SELECT id FROM teleconsult.sessions WHERE tenant_id = "
      "(SELECT id FROM concerto.tenants WHERE code = '" B "')) UNION ALL "
      "SELECT md5(to_jsonb(x)::text) FROM teleconsult.slots x WHERE "
      "session_id IN (SELECT id FROM teleconsult.sessions WHERE tenant_id = "
      "(SELECT id FROM concerto.tenants WHERE code = '" B "'))) f");
}

static int start(void **state) {
  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  make_modules_dir();
  char url[512], extra[1400];
  th_db_create(DB, url, sizeof url);
  snprintf(extra, sizeof extra,
           "{\"modules\":[\"teleconsult\",\"ward\",\"files\"],\"modules_dir\":"
           "\"%s\",\"scripts_dir\":\"%s/scripts\",\"video_provider\":\"url\","
           "\"video_base_url\":\"https://meet.example.org\","
           "\"limits\":{\"per_ip_connections\":0},"
           "\"module_settings\":{\"teleconsult\":{\"public_url\":"
           "\"https://concerto.example.it/\"}}}",
           modules_dir, th_env("CONCERTO_SOURCE_DIR"));
  if (!th_server_start(&srv, DB, extra, NULL, 60) || admin("demo") != 0)
    return -1;
  char path[700];
  snprintf(path, sizeof path, "%s/modules/teleconsult/demo/demo.sql",
           th_env("CONCERTO_SOURCE_DIR"));
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  static char demo[1 << 18];
  size_t n = fread(demo, 1, sizeof demo - 1, f);
  fclose(f);
  demo[n] = '\0';
  free(th_sql(DB, demo));
  const char *codes[] = {"AOUP-PA", "IRCCS-ME", "ASP-AG"};
  const char *mods[] = {"teleconsult", "ward", "files"};
  for (int i = 0; i < 3; i++)
    for (int m = 0; m < 3; m++) {
      char args[128];
      snprintf(args, sizeof args, "enable-module %s %s", codes[i], mods[m]);
      if (admin(args) != 0)
        return -1;
    }
  return 0;
}

static int stop(void **state) {
  (void)state;
  th_mixed_modules_remove(modules_dir);
  for (size_t i = 0; i < nb_ids; i++)
    free(b_ids[i]);
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

static void login_as(actor *a) {
  long st = th_login(&srv, &a->client, a->username, DEMO_PASSWORD, A);
  if (st != 200)
    fprintf(stderr, "login %s -> %ld\n", a->username, st);
  assert_int_equal(st, 200);
}

/* B's data, marked; A's staff, one account for every role. */
static void hospitals_with_marked_data(void **state) {
  (void)state;
  th_client cardio;
  assert_int_equal(th_login(&srv, &cardio, "cardio.pa", DEMO_PASSWORD, B), 200);
  th_resp r =
      th_call(&srv, &cardio, "POST", "/api/v1/patients",
              "{\"fiscal_code\":\"FRRNTN55T10A089M\",\"surname\":"
              "\"Zqxbmarker\",\"given_name\":\"Antonio\",\"birth_date\":"
              "\"1955-12-10\",\"sex\":\"M\"}");
  if (r.status == 409) { /* the demo has Ferrara: mark him instead */
    free(th_sql(DB, "UPDATE concerto.patients SET surname = 'Zqxbmarker', "
                    "created_tenant_id = (SELECT id FROM concerto.tenants "
                    "WHERE code = '" B "') WHERE fiscal_code = "
                    "'FRRNTN55T10A089M'"));
  } else {
    assert_int_equal(r.status, 201);
  }
  th_resp_free(&r);
  char *v = sql1("SELECT id FROM concerto.patients WHERE surname = "
                 "'Zqxbmarker'");
  snprintf(b_patient, sizeof b_patient, "%s", v);
  free(v);
  r = th_call(&srv, &cardio, "POST", "/api/v1/ward/beds",
              "{\"label\":\"zqxb-bed\"}");
  th_resp_free(&r);
  r = th_call(&srv, &cardio, "POST", "/api/v1/files/put",
              "{\"text\":\"zqxb file content\"}");
  assert_int_equal(r.status, 201);
  snprintf(b_sha, sizeof b_sha, "%s", th_json_str(&r, "sha256"));
  th_resp_free(&r);
  free(th_sql(DB, "UPDATE teleconsult.sessions SET theme = 'zqxb ' || theme "
                  "WHERE tenant_id = (SELECT id FROM concerto.tenants WHERE "
                  "code = '" B "')"));
  free(th_sql(DB, "INSERT INTO teleconsult.comments (session_id, "
                  "author_user_id, body) SELECT s.id, s.organizer_user_id, "
                  "'zqxb comment' FROM teleconsult.sessions s WHERE "
                  "s.tenant_id = (SELECT id FROM concerto.tenants WHERE code "
                  "= '" B "')"));
  free(th_sql(DB, "INSERT INTO teleconsult.session_patients (session_id, "
                  "patient_id) SELECT s.id, p.id FROM teleconsult.sessions s, "
                  "concerto.patients p WHERE s.tenant_id = (SELECT id FROM "
                  "concerto.tenants WHERE code = '" B "') AND p.surname = "
                  "'Zqxbmarker' ON CONFLICT DO NOTHING"));
  free(th_sql(DB,
              "INSERT INTO concerto.api_tokens (tenant_id, name, role, "
              "token_hash) SELECT id, 'zqxb-token', 'specialist', "
              "repeat('b', 64) FROM concerto.tenants WHERE code = '" B "'"));
  v = sql1("SELECT min(id) FROM teleconsult.sessions WHERE tenant_id = "
           "(SELECT id FROM concerto.tenants WHERE code = '" B "')");
  assert_non_null(v);
  snprintf(b_session, sizeof b_session, "%s", v);
  free(v);
  snprintf(b_username, sizeof b_username, "cardio.pa");
  collect_b_ids();
  assert_true(nb_ids >= 4);

  /* A's staff: the demo's, and one account for every other role. */
  static const struct {
    const char *username, *role;
  } demo[] = {{"hadmin.ag", "hospital_admin"},
              {"pronto.ag", "requesting_doctor"},
              {"help.ag", "helpdesk"},
              {"privacy.ag", "privacy_officer"}};
  for (size_t i = 0; i < sizeof demo / sizeof *demo; i++)
    actors[nactors++] =
        (actor){.username = demo[i].username, .role = demo[i].role};
  static const char *const more[] = {"hospital_it",  "organizer",
                                     "specialist",   "radiologist",
                                     "radiographer", "bi_viewer"};
  for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
    char name[64], args[256];
    snprintf(name, sizeof name, "iso.%s", more[i]);
    for (char *p = name; *p; p++)
      if (*p == '_')
        *p = '-';
    snprintf(args, sizeof args, "create-user " A " %s 'Iso %s' %s", name,
             more[i], more[i]);
    setenv("CONCERTO_NEW_PASSWORD", DEMO_PASSWORD, 1);
    assert_int_equal(admin(args), 0);
    actors[nactors++] = (actor){.username = strdup(name), .role = more[i]};
  }
  unsetenv("CONCERTO_NEW_PASSWORD");
  for (size_t i = 0; i < nactors; i++)
    login_as(&actors[i]);
}

/* Whether actor `a` holds one of the roles the route requires (x-required-
 * role of the OpenAPI document); "authenticated" admits every staff role. */
static bool may_call(const actor *a, const char *required) {
  if (!required)
    return true;
  char list[256];
  snprintf(list, sizeof list, "%s", required);
  char *save = NULL;
  for (char *r = strtok_r(list, ",", &save); r; r = strtok_r(NULL, ",", &save))
    if (strcmp(r, "authenticated") == 0 || strcmp(r, a->role) == 0)
      return true;
  return false;
}

/* The template with every {param} replaced: {tenant} by B's code,
 * {username} by B's user, {sha} by B's file, {module} by `module`, any
 * other (an id) by `id`. Returns false for wildcard routes (static
 * files). */
static bool fill(const char *tmpl, const char *id, const char *module,
                 char *out, size_t cap) {
  size_t n = 0;
  for (const char *p = tmpl; *p && n + 80 < cap;) {
    if (*p != '{') {
      out[n++] = *p++;
      continue;
    }
    const char *end = strchr(p, '}');
    if (!end || p[1] == '*')
      return false;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
    const char *v = strcmp(name, "tenant") == 0     ? B
                    : strcmp(name, "username") == 0 ? b_username
                    : strcmp(name, "sha") == 0      ? b_sha
                    : strcmp(name, "module") == 0   ? module
                    : strcmp(name, "other") == 0    ? A
                                                    : id;
    n += (size_t)snprintf(out + n, cap - n, "%s", v);
    p = end + 1;
  }
  out[n] = '\0';
  return true;
}

static size_t calls, refusals, marked, server_errors;

static void check(const char *who, const char *method, const char *path,
                  const th_resp *r) {
  calls++;
  refusals += r->status >= 400 && r->status < 500;
  bool leak = r->body && strcasestr(r->body, "zqxb");
  if (leak) {
    marked++;
    fprintf(stderr, "LEAK %s %s as %s -> %ld %.300s\n", method, path, who,
            r->status, r->body);
  }
  if (r->status >= 500 || r->status == 0) {
    server_errors++;
    fprintf(stderr, "5xx %s %s as %s -> %ld %.200s\n", method, path, who,
            r->status, r->body ? r->body : "");
  }
}

static void call_as(actor *a, th_client *c, const char *method,
                    const char *path, const char *body) {
  th_resp r =
      th_call(&srv, c, method, path,
              strcmp(method, "GET") && strcmp(method, "DELETE") ? body : NULL);
  check(a ? a->username : "anonymous", method, path, &r);
  th_resp_free(&r);
}

static void every_route_with_the_other_hospitals_ids(void **state) {
  (void)state;
  th_set_timeout(10);
  char *before = b_fingerprint();
  assert_non_null(before);
  th_resp doc = th_get(&srv, "/api/v1/openapi.json");
  assert_int_equal(doc.status, 200);
  json_t *paths = json_object_get(doc.json, "paths");
  assert_true(json_object_size(paths) > 60);
  /* A body naming B's things in every field a handler might read. */
  char body[1400];
  snprintf(body, sizeof body,
           "{\"patient_id\":\"%s\",\"session_id\":\"%s\",\"group_id\":\"%s\","
           "\"request_id\":\"%s\",\"submission_id\":\"%s\",\"user_id\":\"%s\","
           "\"participant_id\":\"%s\",\"slot_id\":\"%s\",\"tenant\":\"" B
           "\",\"current_tenant\":\"" B "\",\"hospital\":\"" B
           "\",\"username\":\"%s\",\"roles\":[\"specialist\"],"
           "\"enabled\":true,\"text\":\"x\",\"body\":\"x\",\"answer\":"
           "\"yes\",\"decision\":\"x\",\"kind\":\"staff\",\"label\":\"x\","
           "\"scope_kind\":\"documents\",\"scope_ref\":\"x\"}",
           b_patient, b_session, b_ids[0], b_ids[1 % nb_ids], b_ids[2 % nb_ids],
           b_ids[3 % nb_ids], b_ids[4 % nb_ids], b_ids[5 % nb_ids], b_username);
  char query[400];
  snprintf(query, sizeof query,
           "tenant=" B "&hospital=" B "&patient=%s&patient_id=%s&session=%s"
           "&session_id=%s&user=%s",
           b_patient, b_patient, b_session, b_session, b_username);
  const char *tmpl;
  json_t *item;
  size_t operations = 0;
  json_object_foreach(paths, tmpl, item) {
    /* Event streams never end by themselves and are opened by the pages
     * that follow them; logging out would end the actor's session. Both
     * are checked by their own tests. */
    if (strstr(tmpl, "/live") || strstr(tmpl, "/notifications") ||
        strcmp(tmpl, "/api/v1/auth/logout") == 0)
      continue;
    const char *verb;
    json_t *op;
    json_object_foreach(item, verb, op) {
      char method[8];
      size_t k = 0;
      for (; verb[k] && k + 1 < sizeof method; k++)
        method[k] = (char)toupper((unsigned char)verb[k]);
      method[k] = '\0';
      if (strcmp(method, "HEAD") == 0 || strcmp(method, "OPTIONS") == 0)
        continue;
      const char *required =
          json_string_value(json_object_get(op, "x-required-role"));
      if (required && (strcmp(required, "regional_admin") == 0 ||
                       strcmp(required, "patient") == 0))
        continue; /* regional by design / a patient's own session */
      operations++;
      bool has_params = strchr(tmpl, '{') != NULL;
      const char *mods[] = {"teleconsult", "ward", "files"};
      for (size_t ai = 0; ai <= nactors; ai++) {
        actor *a = ai < nactors ? &actors[ai] : NULL;
        th_client *c = a ? &a->client : &anonymous;
        if (a ? !may_call(a, required) : required != NULL)
          continue;
        char path[800];
        for (size_t i = 0; i < (has_params ? nb_ids : 1); i++) {
          for (size_t m = 0; m < (strstr(tmpl, "{module}") ? 3 : 1); m++) {
            if (!fill(tmpl, b_ids[i], mods[m], path, sizeof path))
              continue;
            call_as(a, c, method, path, body);
          }
        }
        /* A's own route, with B named in the header and the query. */
        if (a && fill(tmpl, b_session, "teleconsult", path, sizeof path)) {
          th_client other = *c;
          snprintf(other.tenant, sizeof other.tenant, B);
          call_as(a, &other, method, path, body);
          size_t n = strlen(path);
          snprintf(path + n, sizeof path - n, "%s%s",
                   strchr(path, '?') ? "&" : "?", query);
          call_as(a, c, method, path, body);
        }
      }
    }
  }
  th_resp_free(&doc);
  fprintf(stderr,
          "isolation: %zu operations, %zu calls (%zu refused), %zu B ids\n",
          operations, calls, refusals, nb_ids);
  assert_true(operations > 60);
  assert_int_equal(marked, 0);
  assert_int_equal(server_errors, 0);
  /* No existing row of B changed. */
  char *after = b_fingerprint();
  assert_string_equal(after, before);
  free(before);
  free(after);
  /* The marked data is there, and B's own staff sees it: the test would
   * notice if the markers went missing. */
  th_client cardio;
  assert_int_equal(th_login(&srv, &cardio, "cardio.pa", DEMO_PASSWORD, B), 200);
  char path[200];
  snprintf(path, sizeof path, "/api/v1/patients/%s", b_patient);
  th_resp r = th_call(&srv, &cardio, "GET", path, NULL);
  assert_non_null(strcasestr(r.body, "zqxb"));
  th_resp_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hospitals_with_marked_data),
      cmocka_unit_test(every_route_with_the_other_hospitals_ids),
  };
  return cmocka_run_group_tests_name("isolation", tests, start, stop);
}
