/* Identity and access end to end, against the real server and PostgreSQL:
 * hospitals, users and roles, login/logout, CSRF, lockout, session expiry,
 * module enablement per hospital, row-level security proven with a query
 * that forgets its WHERE clause, patients, one-time links, API tokens and
 * the hash-chained audit trail. The tests run in order and build on each
 * other, like a hospital's first day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define ADMIN_PASSWORD "Regione-Sicilia-2026"
#define DOC_PASSWORD "Cardiologia-Hub-42"

static th_server srv;
static th_client admin, doc_a, doc_b, po_a, adm_a;
static char patient_id[32];

static int start(void **state) {
  (void)state;
  char url[512];
  th_db_create("it_identity", url, sizeof url);
  setenv("CONCERTO_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
  bool ok = th_server_start(&srv, "it_identity",
                            "{\"modules\":[\"echo\",\"ward\"],"
                            "\"session_idle_s\":600}",
                            NULL, 30);
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  return ok ? 0 : -1;
}

static int stop(void **state) {
  (void)state;
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

static long call(th_client *c, const char *method, const char *path,
                 const char *json) {
  th_resp r = th_call(&srv, c, method, path, json);
  long s = r.status;
  if (s >= 400)
    fprintf(stderr, "%s %s -> %ld %s\n", method, path, s, r.body);
  th_resp_free(&r);
  return s;
}

static void admin_bootstrap_and_hospitals(void **state) {
  (void)state;
  assert_int_equal(th_login(&srv, &admin, "admin", ADMIN_PASSWORD, NULL), 200);
  assert_int_equal(call(&admin, "POST", "/api/v1/tenants",
                        "{\"code\":\"HUB1\",\"name\":\"AOU Policlinico\","
                        "\"kind\":\"AOU\",\"hub\":true}"),
                   201);
  assert_int_equal(call(&admin, "POST", "/api/v1/tenants",
                        "{\"code\":\"SPOKE1\",\"name\":\"ASP Agrigento\","
                        "\"kind\":\"ASL\"}"),
                   201);
  th_resp r = th_call(&srv, &admin, "POST", "/api/v1/tenants",
                      "{\"code\":\"HUB1\",\"name\":\"again\",\"kind\":\"AO\"}");
  assert_int_equal(r.status, 409);
  th_resp_free(&r);
  r = th_call(&srv, &admin, "POST", "/api/v1/tenants",
              "{\"code\":\"x\",\"name\":\"bad\",\"kind\":\"CLINIC\"}");
  assert_int_equal(r.status, 422);
  json_t *errors = json_object_get(r.json, "errors");
  assert_true(json_array_size(errors) >= 2);
  bool kind_named = false;
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) kind_named |=
      strcmp(json_string_value(json_object_get(e, "field")), "kind") == 0;
  assert_true(kind_named);
  /* A missing field carries the machine code the UI translates. */
  th_resp_free(&r);
  r = th_call(&srv, &admin, "POST", "/api/v1/tenants", "{\"kind\":\"AO\"}");
  assert_int_equal(r.status, 422);
  assert_non_null(strstr(r.body, "{\"field\":\"code\",\"code\":\"required\""));
  th_resp_free(&r);
  assert_int_equal(call(&admin, "POST", "/api/v1/tenants/HUB1/sites",
                        "{\"code\":\"PO1\",\"name\":\"Presidio Centrale\","
                        "\"city\":\"Palermo\"}"),
                   201);
  /* Without the CSRF token, a state change is refused. */
  th_client no_csrf = admin;
  no_csrf.csrf[0] = '\0';
  r = th_call(&srv, &no_csrf, "POST", "/api/v1/tenants",
              "{\"code\":\"HUB2\",\"name\":\"x\",\"kind\":\"AO\"}");
  assert_int_equal(r.status, 403);
  assert_string_equal(th_json_str(&r, "code"), "csrf_failed");
  th_resp_free(&r);
}

static void users_and_roles(void **state) {
  (void)state;
  assert_int_equal(
      call(&admin, "POST", "/api/v1/tenants/HUB1/users",
           "{\"username\":\"doc_a\",\"display_name\":\"Anna Cardio\","
           "\"password\":\"" DOC_PASSWORD "\",\"roles\":[\"specialist\"]}"),
      201);
  assert_int_equal(
      call(&admin, "POST", "/api/v1/tenants/SPOKE1/users",
           "{\"username\":\"doc_b\",\"display_name\":\"Bruno Medico\","
           "\"password\":\"" DOC_PASSWORD
           "\",\"roles\":[\"requesting_doctor\"]}"),
      201);
  assert_int_equal(
      call(&admin, "POST", "/api/v1/tenants/HUB1/users",
           "{\"username\":\"po_a\",\"display_name\":\"Paola Privacy\","
           "\"password\":\"" DOC_PASSWORD
           "\",\"roles\":[\"privacy_officer\"]}"),
      201);
  assert_int_equal(
      call(&admin, "POST", "/api/v1/tenants/HUB1/users",
           "{\"username\":\"adm_a\",\"display_name\":\"Aldo Admin\","
           "\"password\":\"" DOC_PASSWORD "\",\"roles\":[\"hospital_admin\"]}"),
      201);
  th_resp r =
      th_call(&srv, &admin, "POST", "/api/v1/tenants/HUB1/users",
              "{\"username\":\"doc_a\",\"display_name\":\"dup\","
              "\"password\":\"" DOC_PASSWORD "\",\"roles\":[\"specialist\"]}");
  assert_int_equal(r.status, 409);
  th_resp_free(&r);
  r = th_call(&srv, &admin, "POST", "/api/v1/tenants/HUB1/users",
              "{\"username\":\"weak\",\"display_name\":\"Weak\","
              "\"password\":\"short\",\"roles\":[\"specialist\"]}");
  assert_int_equal(r.status, 422);
  assert_non_null(strstr(r.body, "\"field\":\"password\""));
  th_resp_free(&r);
  /* One doctor, two hospitals, different roles. */
  assert_int_equal(call(&admin, "PUT",
                        "/api/v1/tenants/SPOKE1/users/doc_a/roles",
                        "{\"roles\":[\"requesting_doctor\"]}"),
                   200);
  assert_int_equal(th_login(&srv, &doc_a, "doc_a", DOC_PASSWORD, "HUB1"), 200);
  th_resp me = th_call(&srv, &doc_a, "GET", "/api/v1/me", NULL);
  assert_int_equal(me.status, 200);
  json_t *roles = json_object_get(me.json, "roles");
  assert_string_equal(
      json_string_value(json_array_get(json_object_get(roles, "HUB1"), 0)),
      "specialist");
  assert_string_equal(
      json_string_value(json_array_get(json_object_get(roles, "SPOKE1"), 0)),
      "requesting_doctor");
  assert_string_equal(th_json_str(&me, "current_tenant"), "HUB1");
  th_resp_free(&me);
}

/* Directory-style names with capitals are accepted and folded: one
 * account however the name is typed, and a second one by the same name in
 * other letters is refused naming the field. */
static void usernames_with_capitals_fold_to_lower_case(void **state) {
  (void)state;
  th_resp r =
      th_call(&srv, &admin, "POST", "/api/v1/tenants/HUB1/users",
              "{\"username\":\"M.Rossi\",\"display_name\":\"Mario Rossi\","
              "\"password\":\"" DOC_PASSWORD "\",\"roles\":[\"specialist\"]}");
  assert_int_equal(r.status, 201);
  assert_string_equal(th_json_str(&r, "username"), "m.rossi");
  th_resp_free(&r);
  char *stored = th_sql("it_identity", "SELECT username FROM concerto.users "
                                       "WHERE display_name = 'Mario Rossi'");
  assert_string_equal(stored, "m.rossi");
  free(stored);
  th_client lower = {0}, upper = {0};
  assert_int_equal(th_login(&srv, &lower, "m.rossi", DOC_PASSWORD, "HUB1"),
                   200);
  assert_int_equal(th_login(&srv, &upper, "M.ROSSI", DOC_PASSWORD, "HUB1"),
                   200);
  th_resp me = th_call(&srv, &upper, "GET", "/api/v1/me", NULL);
  assert_int_equal(me.status, 200);
  assert_string_equal(th_json_str(&me, "username"), "m.rossi");
  th_resp_free(&me);
  r = th_call(&srv, &admin, "POST", "/api/v1/tenants/HUB1/users",
              "{\"username\":\"m.rossi\",\"display_name\":\"Another\","
              "\"password\":\"" DOC_PASSWORD "\",\"roles\":[\"specialist\"]}");
  assert_int_equal(r.status, 409);
  json_t *err = json_array_get(json_object_get(r.json, "errors"), 0);
  assert_string_equal(json_string_value(json_object_get(err, "field")),
                      "username");
  assert_string_equal(json_string_value(json_object_get(err, "code")), "taken");
  th_resp_free(&r);
  /* The path names the account in any case too. */
  assert_int_equal(call(&admin, "PUT",
                        "/api/v1/tenants/HUB1/users/M.Rossi/roles",
                        "{\"roles\":[\"specialist\"]}"),
                   200);
  r = th_call(&srv, &admin, "POST", "/api/v1/tenants/HUB1/users",
              "{\"username\":\"-Rossi\",\"display_name\":\"Bad\","
              "\"password\":\"" DOC_PASSWORD "\",\"roles\":[\"specialist\"]}");
  assert_int_equal(r.status, 422);
  assert_non_null(strstr(r.body, "\"field\":\"username\""));
  th_resp_free(&r);
}

/* Roles come from declarations (the core's, echo's "doctor", ward's
 * clinical roles), not from a list in the core: GET /api/v1/roles shows
 * them with their owners, a grant must name a declared one, and the
 * database refuses a grant of a role it does not know. */
static void roles_are_declared_not_listed(void **state) {
  (void)state;
  th_resp r = th_call(&srv, &admin, "GET", "/api/v1/roles", NULL);
  assert_int_equal(r.status, 200);
  bool admin_role = false, doctor = false, specialist = false,
       radiologist = false;
  size_t i;
  json_t *role;
  json_array_foreach(r.json, i, role) {
    const char *name = json_string_value(json_object_get(role, "name"));
    const char *owners = json_string_value(json_object_get(role, "owners"));
    bool registered = json_is_true(json_object_get(role, "registered"));
    bool care = json_is_true(json_object_get(role, "patient_care"));
    if (strcmp(name, "hospital_admin") == 0)
      admin_role = registered && strcmp(owners, "core") == 0 && !care;
    if (strcmp(name, "doctor") == 0)
      doctor = registered && strcmp(owners, "echo") == 0;
    if (strcmp(name, "specialist") == 0)
      specialist = registered && strcmp(owners, "ward") == 0 && care;
    /* Granted in older databases, declared by no module loaded here. */
    if (strcmp(name, "radiologist") == 0)
      radiologist = !registered;
  }
  th_resp_free(&r);
  assert_true(admin_role);
  assert_true(doctor);
  assert_true(specialist);
  assert_true(radiologist);
  /* Only a declared role may be granted. */
  r = th_call(&srv, &admin, "PUT", "/api/v1/tenants/HUB1/users/doc_a/roles",
              "{\"roles\":[\"radiologist\"]}");
  assert_int_equal(r.status, 422);
  assert_non_null(strstr(r.body, "/api/v1/roles"));
  th_resp_free(&r);
  r = th_call(&srv, &admin, "PUT", "/api/v1/tenants/HUB1/users/doc_a/roles",
              "{\"roles\":[\"specialist\",\"doctor\"]}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  /* The database knows the roles too: a grant of an unknown role fails
   * the foreign key even for the schema owner. */
  char sqlstate[6] = "";
  free(th_sql_role("it_identity", "concerto",
                   "INSERT INTO concerto.user_roles (user_id, tenant_id, role) "
                   "SELECT u.id, t.id, 'nonexistent_role' FROM "
                   "concerto.users u, concerto.tenants t WHERE u.username = "
                   "'doc_a' AND t.code = 'HUB1'",
                   sqlstate));
  assert_string_equal(sqlstate, "23503");
  /* Back to what the later tests expect. */
  r = th_call(&srv, &admin, "PUT", "/api/v1/tenants/HUB1/users/doc_a/roles",
              "{\"roles\":[\"specialist\"]}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  /* "patient_care" on the patient routes means any role declared with the
   * flag, whichever module declared it: the specialist (ward's) searches
   * patients, hospital IT (the core's, without the flag) does not. */
  assert_int_equal(call(&admin, "POST", "/api/v1/tenants/HUB1/users",
                        "{\"username\":\"it_hub\",\"display_name\":\"IT Hub\","
                        "\"password\":\"" DOC_PASSWORD
                        "\",\"roles\":[\"hospital_it\"]}"),
                   201);
  th_client it_hub, spec;
  assert_int_equal(th_login(&srv, &it_hub, "it_hub", DOC_PASSWORD, "HUB1"),
                   200);
  assert_int_equal(th_login(&srv, &spec, "doc_a", DOC_PASSWORD, "HUB1"), 200);
  r = th_call(&srv, &it_hub, "GET", "/api/v1/patients?q=ross%20mar", NULL);
  assert_int_equal(r.status, 403);
  th_resp_free(&r);
  r = th_call(&srv, &spec, "GET", "/api/v1/patients?q=ross%20mar", NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
}

static void module_enablement_per_hospital(void **state) {
  (void)state;
  assert_int_equal(th_login(&srv, &doc_b, "doc_b", DOC_PASSWORD, NULL), 200);
  /* Nothing enabled yet: staged roll-out. */
  th_resp r = th_call(&srv, &doc_a, "GET", "/api/v1/ward/beds/count", NULL);
  assert_int_equal(r.status, 404);
  assert_string_equal(th_json_str(&r, "code"), "module_not_enabled");
  th_resp_free(&r);
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/HUB1/modules/ward",
                        "{\"enabled\":true}"),
                   200);
  /* From the very next request on. */
  assert_int_equal(call(&doc_a, "GET", "/api/v1/ward/beds/count", NULL), 200);
  r = th_call(&srv, &doc_b, "GET", "/api/v1/ward/beds/count", NULL);
  assert_int_equal(r.status, 404);
  assert_string_equal(th_json_str(&r, "code"), "module_not_enabled");
  th_resp_free(&r);
  th_resp me = th_call(&srv, &doc_a, "GET", "/api/v1/me", NULL);
  json_t *tenants = json_object_get(me.json, "tenants");
  size_t i;
  json_t *t;
  json_array_foreach(tenants, i, t) {
    const char *code = json_string_value(json_object_get(t, "code"));
    json_t *mods = json_object_get(t, "modules");
    if (strcmp(code, "HUB1") == 0)
      assert_string_equal(json_string_value(json_array_get(mods, 0)), "ward");
    else
      assert_int_equal(json_array_size(mods), 0);
  }
  th_resp_free(&me);
  /* Unknown hospital or module: 404. */
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/NOPE/modules/ward",
                        "{\"enabled\":true}"),
                   404);
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/HUB1/modules/nope",
                        "{\"enabled\":true}"),
                   404);
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/SPOKE1/modules/ward",
                        "{\"enabled\":true}"),
                   200);
}

static void live_notifications_reach_the_hospital(void **state) {
  (void)state;
  th_stream *st = th_stream_start(&srv, &doc_b, "/api/v1/me/notifications",
                                  "module.disabled", 15);
  usleep(300 * 1000); /* the stream is open and parked */
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/SPOKE1/modules/ward",
                        "{\"enabled\":false}"),
                   200);
  char *got = th_stream_finish(st);
  assert_non_null(strstr(got, "retry: 5000"));
  assert_non_null(strstr(got, "event: notification"));
  assert_non_null(strstr(got, "\"title\":\"module.disabled\""));
  assert_non_null(strstr(got, "\"body\":\"ward\""));
  free(got);
  /* Another hospital's user hears nothing of it. */
  st = th_stream_start(&srv, &doc_a, "/api/v1/me/notifications",
                       "module.enabled", 3);
  usleep(300 * 1000);
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/SPOKE1/modules/ward",
                        "{\"enabled\":true}"),
                   200);
  got = th_stream_finish(st);
  assert_null(strstr(got, "module.enabled"));
  free(got);
}

static void forgotten_where_sees_one_hospital(void **state) {
  (void)state;
  assert_int_equal(call(&doc_a, "POST", "/api/v1/ward/beds",
                        "{\"label\":\"Cardiologia 1\"}"),
                   201);
  assert_int_equal(call(&doc_a, "POST", "/api/v1/ward/beds",
                        "{\"label\":\"Cardiologia 2\"}"),
                   201);
  assert_int_equal(
      call(&doc_b, "POST", "/api/v1/ward/beds", "{\"label\":\"Medicina 1\"}"),
      201);
  char *total = th_sql("it_identity", "SELECT count(*) FROM ward.beds");
  assert_string_equal(total, "3");
  free(total);
  th_resp r = th_call(&srv, &doc_a, "GET", "/api/v1/ward/beds/count", NULL);
  assert_string_equal(th_json_str(&r, "count"), "2");
  th_resp_free(&r);
  r = th_call(&srv, &doc_b, "GET", "/api/v1/ward/beds/count", NULL);
  assert_string_equal(th_json_str(&r, "count"), "1");
  th_resp_free(&r);
  /* The same doctor in the other hospital sees that hospital's rows. */
  th_client doc_a_spoke = doc_a;
  strcpy(doc_a_spoke.tenant, "SPOKE1");
  r = th_call(&srv, &doc_a_spoke, "GET", "/api/v1/ward/whoami", NULL);
  assert_string_equal(th_json_str(&r, "tenant"), "SPOKE1");
  assert_false(json_is_true(json_object_get(r.json, "specialist")));
  assert_true(json_is_true(json_object_get(r.json, "requesting_doctor")));
  th_resp_free(&r);
  /* Modules ask the hospital's Lua rules; with none, the default holds. */
  r = th_call(&srv, &doc_a, "GET", "/api/v1/ward/route?specialty=cardiologia",
              NULL);
  assert_int_equal(r.status, 200);
  assert_true(json_is_true(json_object_get(r.json, "defaulted")));
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(r.json, "decision"), "group")),
                      "cardiologia");
  th_resp_free(&r);
  r = th_call(&srv, &doc_a_spoke, "GET", "/api/v1/ward/beds/count", NULL);
  assert_string_equal(th_json_str(&r, "count"), "1");
  th_resp_free(&r);
  /* The application role cannot switch RLS off or read around it. */
  char *bypass = th_sql("it_identity",
                        "SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE "
                        "rolname = 'concerto_app'");
  assert_string_equal(bypass, "f");
  free(bypass);
}

/* A module's public route may bind the request to one hospital as a guest
 * (ABI 1.8): that hospital's rows only, no staff role, audited as a guest;
 * never on an authenticated route, twice, or where the module is off. */
static void guests_are_bound_to_one_hospital(void **state) {
  (void)state;
  char *hub = th_sql("it_identity",
                     "SELECT id FROM concerto.tenants WHERE code = 'HUB1'");
  char *spoke = th_sql("it_identity",
                       "SELECT id FROM concerto.tenants WHERE code = 'SPOKE1'");
  char path[160];
  th_client nobody = {0};
  snprintf(path, sizeof path, "/api/v1/ward/guest?tenant=%s&name=Ospite%%20Uno",
           hub);
  th_resp r = th_call(&srv, &nobody, "POST", path, "{}");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "bound"), "ok");
  assert_string_equal(th_json_str(&r, "tenant"), "HUB1");
  assert_string_equal(th_json_str(&r, "beds"), "2"); /* HUB1's, not 3 */
  assert_string_equal(th_json_str(&r, "again"), "invalid");
  assert_true(json_is_true(json_object_get(r.json, "guest")));
  assert_false(json_is_true(json_object_get(r.json, "specialist")));
  assert_false(json_is_true(json_object_get(r.json, "authenticated")));
  th_resp_free(&r);
  char *v =
      th_sql("it_identity", "SELECT actor_kind || '/' || actor_name || '/' || "
                            "tenant_id FROM concerto.audit_log WHERE action = "
                            "'ward.guest.visit'");
  char want[80];
  snprintf(want, sizeof want, "guest/Ospite Uno/%s", hub);
  assert_string_equal(v, want);
  free(v);
  /* Unknown hospital, malformed id, no name: refused. */
  const char *bad[] = {"/api/v1/ward/guest?tenant=999999&name=X",
                       "/api/v1/ward/guest?tenant=01&name=X",
                       "/api/v1/ward/guest?tenant=1%20OR%201=1&name=X"};
  const char *why[] = {"not_found", "invalid", "invalid"};
  for (int i = 0; i < 3; i++) {
    r = th_call(&srv, &nobody, "POST", bad[i], "{}");
    assert_string_equal(th_json_str(&r, "bound"), why[i]);
    th_resp_free(&r);
  }
  snprintf(path, sizeof path, "/api/v1/ward/guest?tenant=%s", hub);
  r = th_call(&srv, &nobody, "POST", path, "{}");
  assert_string_equal(th_json_str(&r, "bound"), "invalid");
  th_resp_free(&r);
  /* A logged-in caller cannot turn into a guest. */
  r = th_call(&srv, &doc_a, "POST", "/api/v1/ward/guest/refused", "{}");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "bound"), "invalid");
  th_resp_free(&r);
  /* The module switched off for SPOKE1: no guests there. */
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/SPOKE1/modules/ward",
                        "{\"enabled\":false}"),
                   200);
  snprintf(path, sizeof path, "/api/v1/ward/guest?tenant=%s&name=X", spoke);
  r = th_call(&srv, &nobody, "POST", path, "{}");
  assert_string_equal(th_json_str(&r, "bound"), "not_found");
  th_resp_free(&r);
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/SPOKE1/modules/ward",
                        "{\"enabled\":true}"),
                   200);
  r = th_call(&srv, &nobody, "POST", path, "{}");
  assert_string_equal(th_json_str(&r, "bound"), "ok");
  assert_string_equal(th_json_str(&r, "beds"), "1");
  th_resp_free(&r);
  free(hub);
  free(spoke);
}

static void other_hospital_is_invisible(void **state) {
  (void)state;
  th_resp r = th_call(&srv, &doc_b, "GET", "/api/v1/tenants/HUB1/users", NULL);
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  r = th_call(&srv, &doc_a, "GET", "/api/v1/tenants/HUB1/users", NULL);
  assert_int_equal(r.status, 403); /* her hospital, not her role */
  th_resp_free(&r);
  assert_int_equal(th_login(&srv, &adm_a, "adm_a", DOC_PASSWORD, NULL), 200);
  r = th_call(&srv, &adm_a, "GET", "/api/v1/tenants/HUB1/users", NULL);
  assert_int_equal(r.status, 200);
  json_t *users = json_object_get(r.json, "users");
  size_t i;
  json_t *u;
  json_array_foreach(users, i, u) assert_string_not_equal(
      json_string_value(json_object_get(u, "username")), "doc_b");
  th_resp_free(&r);
  r = th_call(&srv, &adm_a, "GET", "/api/v1/tenants/SPOKE1/users", NULL);
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  /* Disabling takes effect at once for that hospital only. */
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/HUB1/modules/ward",
                        "{\"enabled\":false}"),
                   200);
  r = th_call(&srv, &doc_a, "GET", "/api/v1/ward/beds/count", NULL);
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  assert_int_equal(call(&doc_b, "GET", "/api/v1/ward/beds/count", NULL), 200);
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/HUB1/modules/ward",
                        "{\"enabled\":true}"),
                   200);
}

static void per_hospital_module_settings(void **state) {
  (void)state;
  th_resp r =
      th_call(&srv, &adm_a, "GET", "/api/v1/tenants/HUB1/settings", NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"key\":\"beds_limit\""));
  assert_non_null(strstr(r.body, "\"label_it\":\"Posti letto massimi\""));
  th_resp_free(&r);
  r = th_call(&srv, &adm_a, "PUT",
              "/api/v1/tenants/HUB1/settings/ward/beds_limit",
              "{\"value\":501}");
  assert_int_equal(r.status, 422);
  assert_non_null(strstr(r.body, "1 to 500"));
  th_resp_free(&r);
  assert_int_equal(call(&adm_a, "PUT",
                        "/api/v1/tenants/HUB1/settings/ward/beds_limit",
                        "{\"value\":42}"),
                   200);
  assert_int_equal(call(&adm_a, "PUT",
                        "/api/v1/tenants/HUB1/settings/ward/nope",
                        "{\"value\":1}"),
                   404);
  r = th_call(&srv, &doc_a, "GET", "/api/v1/ward/settings", NULL);
  assert_string_equal(th_json_str(&r, "beds_limit"), "42");
  th_resp_free(&r);
  r = th_call(&srv, &doc_b, "GET", "/api/v1/ward/settings", NULL);
  assert_string_equal(th_json_str(&r, "beds_limit"), "20"); /* default */
  th_resp_free(&r);
  /* Clinicians do not change hospital settings. */
  assert_int_equal(call(&doc_a, "PUT",
                        "/api/v1/tenants/HUB1/settings/ward/beds_limit",
                        "{\"value\":7}"),
                   403);
}

static void login_failures_lockout_and_expiry(void **state) {
  (void)state;
  th_client c;
  memset(&c, 0, sizeof c);
  th_resp r =
      th_call(&srv, &c, "POST", "/api/v1/auth/login",
              "{\"username\":\"doc_b\",\"password\":\"wrong-password-1\"}");
  assert_int_equal(r.status, 401);
  char *known = strdup(th_json_str(&r, "detail"));
  th_resp_free(&r);
  r = th_call(
      &srv, &c, "POST", "/api/v1/auth/login",
      "{\"username\":\"nobody_here\",\"password\":\"wrong-password-1\"}");
  assert_int_equal(r.status, 401);
  assert_string_equal(th_json_str(&r, "detail"), known); /* no enumeration */
  th_resp_free(&r);
  free(known);
  for (int i = 0; i < 4; i++) {
    r = th_call(&srv, &c, "POST", "/api/v1/auth/login",
                "{\"username\":\"doc_b\",\"password\":\"wrong-password-1\"}");
    assert_int_equal(r.status, 401);
    th_resp_free(&r);
  }
  /* The sixth failure blocks the name; even the right password waits. */
  r = th_call(&srv, &c, "POST", "/api/v1/auth/login",
              "{\"username\":\"doc_b\",\"password\":\"wrong-password-1\"}");
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
  r = th_call(&srv, &c, "POST", "/api/v1/auth/login",
              "{\"username\":\"doc_b\",\"password\":\"" DOC_PASSWORD "\"}");
  assert_int_equal(r.status, 429);
  char *retry = th_header(&r, "Retry-After");
  assert_non_null(retry);
  assert_true(atoi(retry) >= 1);
  free(retry);
  th_resp_free(&r);
  /* Existing sessions are unaffected; clear the block for later tests. */
  assert_int_equal(call(&doc_b, "GET", "/api/v1/me", NULL), 200);
  free(th_sql("it_identity", "DELETE FROM concerto.login_throttle"));

  /* Idle expiry: a session unused for longer than session_idle_s. */
  th_client idle;
  assert_int_equal(th_login(&srv, &idle, "doc_b", DOC_PASSWORD, NULL), 200);
  free(th_sql(
      "it_identity",
      "UPDATE concerto.sessions SET last_seen_at = now() - interval "
      "'11 minutes' WHERE id = (SELECT max(id) FROM concerto.sessions)"));
  r = th_call(&srv, &idle, "GET", "/api/v1/me", NULL);
  assert_int_equal(r.status, 401);
  th_resp_free(&r);

  /* Logout ends the session server-side and clears the cookie. */
  th_client bye;
  assert_int_equal(th_login(&srv, &bye, "doc_b", DOC_PASSWORD, NULL), 200);
  th_client stolen = bye; /* a copy of the cookie, as an attacker would keep */
  r = th_call(&srv, &bye, "POST", "/api/v1/auth/logout", NULL);
  assert_int_equal(r.status, 200);
  char *cookie = th_header(&r, "Set-Cookie");
  assert_non_null(strstr(cookie, "Max-Age=0"));
  free(cookie);
  th_resp_free(&r);
  r = th_call(&srv, &stolen, "GET", "/api/v1/me", NULL);
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
}

static void session_cookie_and_list(void **state) {
  (void)state;
  th_client c;
  memset(&c, 0, sizeof c);
  th_resp r =
      th_call(&srv, &c, "POST", "/api/v1/auth/login",
              "{\"username\":\"doc_a\",\"password\":\"" DOC_PASSWORD "\"}");
  char *cookie = th_header(&r, "Set-Cookie");
  assert_non_null(strstr(cookie, "HttpOnly"));
  assert_non_null(strstr(cookie, "SameSite=Lax"));
  assert_int_equal(strcspn(cookie + 17, ";"), 43); /* 256-bit token */
  free(cookie);
  th_resp_free(&r);
  /* Two browsers of the same user: the first ends the second's session. */
  th_client second;
  assert_int_equal(th_login(&srv, &second, "doc_a", DOC_PASSWORD, NULL), 200);
  r = th_call(&srv, &second, "GET", "/api/v1/me/sessions", NULL);
  json_t *list = json_object_get(r.json, "sessions");
  assert_true(json_array_size(list) >= 2);
  const char *second_id = NULL;
  size_t i;
  json_t *s;
  json_array_foreach(list, i,
                     s) if (json_is_true(json_object_get(s, "current")))
      second_id = json_string_value(json_object_get(s, "id"));
  assert_non_null(second_id);
  char path[96];
  snprintf(path, sizeof path, "/api/v1/me/sessions/%s", second_id);
  th_resp_free(&r);
  assert_int_equal(call(&c, "DELETE", path, NULL), 200);
  assert_int_equal(call(&second, "GET", "/api/v1/me", NULL), 401);
  assert_int_equal(call(&c, "GET", "/api/v1/me", NULL), 200);
  /* Nobody can end another user's session. */
  assert_int_equal(call(&doc_b, "DELETE", path, NULL), 404);
  /* The session the stored hash belongs to is not the cookie itself. */
  char *stored =
      th_sql("it_identity", "SELECT count(*) FROM concerto.sessions WHERE "
                            "length(token_hash) = 64");
  assert_int_not_equal(atoi(stored), 0);
  free(stored);
}

static void patients_and_codice_fiscale(void **state) {
  (void)state;
  th_resp r =
      th_call(&srv, &doc_a, "POST", "/api/v1/patients",
              "{\"fiscal_code\":\"rssmra80a01h501u\",\"surname\":\"Rossi\","
              "\"given_name\":\"Mario\",\"birth_date\":\"1980-01-01\","
              "\"birth_place\":\"Roma\",\"sex\":\"M\"}");
  assert_int_equal(r.status, 201);
  assert_string_equal(th_json_str(&r, "fiscal_code"), "RSSMRA80A01H501U");
  snprintf(patient_id, sizeof patient_id, "%s", th_json_str(&r, "id"));
  th_resp_free(&r);
  r = th_call(
      &srv, &doc_a, "POST", "/api/v1/patients",
      "{\"fiscal_code\":\"RSSMRA80A01H501A\",\"surname\":\"Rossi\","
      "\"given_name\":\"Mario\",\"birth_date\":\"1980-01-01\",\"sex\":\"M\"}");
  assert_int_equal(r.status, 422);
  json_t *err = json_array_get(json_object_get(r.json, "errors"), 0);
  assert_string_equal(json_string_value(json_object_get(err, "field")),
                      "fiscal_code");
  th_resp_free(&r);
  r = th_call(
      &srv, &doc_a, "POST", "/api/v1/patients",
      "{\"fiscal_code\":\"RSSMRA80A01H501U\",\"surname\":\"Rossi\","
      "\"given_name\":\"Mario\",\"birth_date\":\"1980-01-01\",\"sex\":\"M\"}");
  assert_int_equal(r.status, 409);
  th_resp_free(&r);
  /* Omocodia is a valid code. */
  assert_int_equal(
      call(&doc_a, "POST", "/api/v1/patients",
           "{\"fiscal_code\":\"RSSMRA80A01H50MM\",\"surname\":\"Rossi\","
           "\"given_name\":\"Marco\",\"birth_date\":\"1980-01-01\","
           "\"sex\":\"M\"}"),
      201);
  r = th_call(&srv, &doc_a, "GET", "/api/v1/patients?q=ross%20mar", NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "patients")), 2);
  th_resp_free(&r);
  char path[64];
  snprintf(path, sizeof path, "/api/v1/patients/%s", patient_id);
  assert_int_equal(call(&doc_a, "GET", path, NULL), 200);
  /* A privacy officer cannot use clinical routes. */
  assert_int_equal(th_login(&srv, &po_a, "po_a", DOC_PASSWORD, NULL), 200);
  r = th_call(&srv, &po_a, "GET", path, NULL);
  assert_int_equal(r.status, 403);
  th_resp_free(&r);
}

static void one_time_links_work_once(void **state) {
  (void)state;
  char body[256];
  snprintf(body, sizeof body,
           "{\"patient_id\":\"%s\",\"scope_kind\":\"appointment\","
           "\"scope_ref\":\"visit-1\",\"ttl_minutes\":30}",
           patient_id);
  th_resp r =
      th_call(&srv, &doc_a, "POST", "/api/v1/tenants/HUB1/access-links", body);
  assert_int_equal(r.status, 201);
  char token[64];
  snprintf(token, sizeof token, "%s", th_json_str(&r, "token"));
  th_resp_free(&r);
  char login[128];
  snprintf(login, sizeof login, "{\"token\":\"%s\"}", token);
  th_client patient;
  memset(&patient, 0, sizeof patient);
  r = th_call(&srv, &patient, "POST", "/api/v1/auth/link", login);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "scope_ref"), "visit-1");
  th_resp_free(&r);
  r = th_call(&srv, &patient, "GET", "/api/v1/patient/me", NULL);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "fiscal_code"), "RSSMRA80A01H501U");
  th_resp_free(&r);
  /* The patient sees who accessed their data. */
  r = th_call(&srv, &patient, "GET", "/api/v1/patient/access-log", NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"actor_name\":\"doc_a\""));
  assert_non_null(strstr(r.body, "patient.read"));
  th_resp_free(&r);
  /* The patient session reaches nothing else. */
  r = th_call(&srv, &patient, "GET", "/api/v1/me", NULL);
  assert_int_equal(r.status, 403);
  th_resp_free(&r);
  /* Used once: a second use is refused with a clear message. */
  th_client again;
  memset(&again, 0, sizeof again);
  r = th_call(&srv, &again, "POST", "/api/v1/auth/link", login);
  assert_int_equal(r.status, 401);
  assert_string_equal(th_json_str(&r, "code"), "link_invalid");
  assert_non_null(strstr(th_json_str(&r, "detail"), "already used"));
  th_resp_free(&r);
  /* Expired. */
  r = th_call(&srv, &doc_a, "POST", "/api/v1/tenants/HUB1/access-links", body);
  snprintf(token, sizeof token, "%s", th_json_str(&r, "token"));
  th_resp_free(&r);
  free(th_sql("it_identity",
              "UPDATE concerto.access_links SET expires_at = "
              "now() - interval '1 minute' WHERE used_at IS NULL"));
  snprintf(login, sizeof login, "{\"token\":\"%s\"}", token);
  r = th_call(&srv, &again, "POST", "/api/v1/auth/link", login);
  assert_int_equal(r.status, 401);
  assert_non_null(strstr(th_json_str(&r, "detail"), "expired"));
  th_resp_free(&r);
}

static void api_tokens(void **state) {
  (void)state;
  th_resp r = th_call(&srv, &adm_a, "POST", "/api/v1/tenants/HUB1/api-tokens",
                      "{\"name\":\"CUP regionale\",\"role\":\"specialist\"}");
  assert_int_equal(r.status, 201);
  th_client system;
  memset(&system, 0, sizeof system);
  snprintf(system.bearer, sizeof system.bearer, "%s", th_json_str(&r, "token"));
  char revoke[96];
  snprintf(revoke, sizeof revoke, "/api/v1/tenants/HUB1/api-tokens/%s",
           th_json_str(&r, "id"));
  th_resp_free(&r);
  /* Bearer callers need no CSRF token and act in the token's hospital. */
  r = th_call(&srv, &system, "POST", "/api/v1/ward/beds",
              "{\"label\":\"CUP\"}");
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  r = th_call(&srv, &system, "GET", "/api/v1/ward/beds/count", NULL);
  assert_string_equal(th_json_str(&r, "count"), "3");
  th_resp_free(&r);
  r = th_call(&srv, &system, "GET", "/api/v1/tenants/HUB1/users", NULL);
  assert_int_equal(r.status, 403); /* scoped to its one role */
  th_resp_free(&r);
  r = th_call(&srv, &adm_a, "GET", "/api/v1/tenants/HUB1/api-tokens", NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"name\":\"CUP regionale\""));
  assert_null(strstr(r.body, system.bearer)); /* never listed again */
  th_resp_free(&r);
  char *stored =
      th_sql("it_identity", "SELECT count(*) FROM concerto.api_tokens "
                            "WHERE length(token_hash) = 64");
  assert_string_equal(stored, "1");
  free(stored);
  assert_int_equal(call(&adm_a, "DELETE", revoke, NULL), 200);
  r = th_call(&srv, &system, "GET", "/api/v1/ward/beds/count", NULL);
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
}

static void audit_trail_verifies_and_detects_tampering(void **state) {
  (void)state;
  char path[96];
  snprintf(path, sizeof path, "/api/v1/audit?patient=%s", patient_id);
  th_resp r = th_call(&srv, &po_a, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  json_t *events = json_object_get(r.json, "events");
  assert_true(json_array_size(events) >= 3);
  bool saw_read = false, saw_create = false;
  size_t i;
  json_t *e;
  json_array_foreach(events, i, e) {
    const char *action = json_string_value(json_object_get(e, "action"));
    saw_read |= strcmp(action, "patient.read") == 0;
    saw_create |= strcmp(action, "patient.create") == 0;
    assert_non_null(json_string_value(json_object_get(e, "client_addr")));
  }
  assert_true(saw_read && saw_create);
  th_resp_free(&r);
  /* Security events: logins, failures, module enablement. */
  r = th_call(&srv, &admin, "GET", "/api/v1/audit?action=auth.login&limit=500",
              NULL);
  assert_non_null(strstr(r.body, "\"outcome\":\"failure\""));
  assert_non_null(strstr(r.body, "\"outcome\":\"success\""));
  th_resp_free(&r);
  r = th_call(&srv, &admin, "GET", "/api/v1/audit?action=module.", NULL);
  assert_non_null(strstr(r.body, "module.enable"));
  assert_non_null(strstr(r.body, "module.disable"));
  th_resp_free(&r);
  /* A privacy officer sees only her hospital's rows. */
  r = th_call(&srv, &po_a, "GET", "/api/v1/audit?limit=500", NULL);
  assert_null(strstr(r.body, "\"tenant\":\"SPOKE1\""));
  th_resp_free(&r);

  r = th_call(&srv, &po_a, "GET", "/api/v1/audit/verify", NULL);
  assert_int_equal(r.status, 200);
  assert_true(json_is_true(json_object_get(r.json, "intact")));
  th_resp_free(&r);
  /* The application role cannot change history... */
  char *grants = th_sql(
      "it_identity", "SELECT has_table_privilege('concerto_app', "
                     "'concerto.audit_log', 'UPDATE') OR has_table_privilege("
                     "'concerto_app', 'concerto.audit_log', 'DELETE')");
  assert_string_equal(grants, "f");
  free(grants);
  /* ...and an owner who does is caught. */
  char *victim = th_sql("it_identity", "SELECT min(id) FROM concerto.audit_log "
                                       "WHERE action = 'patient.read'");
  char sql[160];
  snprintf(
      sql, sizeof sql,
      "UPDATE concerto.audit_log SET actor_name = 'someone_else' WHERE id = %s",
      victim);
  free(th_sql("it_identity", sql));
  r = th_call(&srv, &admin, "GET", "/api/v1/audit/verify", NULL);
  assert_false(json_is_true(json_object_get(r.json, "intact")));
  assert_string_equal(th_json_str(&r, "broken_id"), victim);
  th_resp_free(&r);
  free(victim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(admin_bootstrap_and_hospitals),
      cmocka_unit_test(users_and_roles),
      cmocka_unit_test(usernames_with_capitals_fold_to_lower_case),
      cmocka_unit_test(roles_are_declared_not_listed),
      cmocka_unit_test(module_enablement_per_hospital),
      cmocka_unit_test(live_notifications_reach_the_hospital),
      cmocka_unit_test(forgotten_where_sees_one_hospital),
      cmocka_unit_test(guests_are_bound_to_one_hospital),
      cmocka_unit_test(other_hospital_is_invisible),
      cmocka_unit_test(per_hospital_module_settings),
      cmocka_unit_test(login_failures_lockout_and_expiry),
      cmocka_unit_test(session_cookie_and_list),
      cmocka_unit_test(patients_and_codice_fiscale),
      cmocka_unit_test(one_time_links_work_once),
      cmocka_unit_test(api_tokens),
      cmocka_unit_test(audit_trail_verifies_and_detects_tampering),
  };
  return cmocka_run_group_tests_name("identity", tests, start, stop);
}
