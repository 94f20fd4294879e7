/* Per-hospital Lua through the API: forms uploaded, dry-run, versioned,
 * rolled back, limited to 15 active; submissions validated server-side and
 * kept with the version they were filled with; rules with libraries, dry
 * runs with error lines; hostile scripts refused with the server unharmed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define ADMIN_PASSWORD "Regione-Sicilia-2026"
#define PASSWORD "Informatica-Hub-42"

static th_server srv;
static char modules_dir[600];
static th_client it, doc;
static char submission_id[32];

static char *read_source(const char *rel) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", th_env("CONCERTO_SOURCE_DIR"), rel);
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  static char buf[65536];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

/* {"source": <text>, "activate": <activate>} as JSON text (caller frees). */
static char *source_body(const char *source, bool activate) {
  json_t *o = json_pack("{s:s, s:b}", "source", source, "activate", activate);
  char *text = json_dumps(o, 0);
  json_decref(o);
  return text;
}

/* Uploads and activates in one step, as a deployment script does. */
static th_resp put_source(th_client *c, const char *path, const char *source) {
  char *body = source_body(source, true);
  th_resp r = th_call(&srv, c, "PUT", path, body);
  free(body);
  return r;
}

/* Uploads a draft, as the editor does. */
static th_resp put_draft(th_client *c, const char *path, const char *source) {
  char *body = source_body(source, false);
  th_resp r = th_call(&srv, c, "PUT", path, body);
  free(body);
  return r;
}

static int start(void **state) {
  (void)state;
  char url[512];
  th_db_create("it_scripts", url, sizeof url);
  setenv("CONCERTO_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
  /* teleconsult declares route_teleconsult, ruled the rules of modules to
   * come (route_ticket, signature_policy) and two Lua functions. */
  th_mixed_modules(modules_dir, sizeof modules_dir, "teleconsult",
                   "ward ruled");
  char extra[800];
  snprintf(extra, sizeof extra,
           "{\"modules\":[\"ward\",\"teleconsult\",\"ruled\"],"
           "\"modules_dir\":\"%s\"}",
           modules_dir);
  bool ok = th_server_start(&srv, "it_scripts", extra, NULL, 30);
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  if (!ok)
    return -1;
  th_client admin;
  th_login(&srv, &admin, "admin", ADMIN_PASSWORD, NULL);
  th_resp r = th_call(&srv, &admin, "POST", "/api/v1/tenants",
                      "{\"code\":\"HUB1\",\"name\":\"AOU\",\"kind\":\"AOU\"}");
  th_resp_free(&r);
  r = th_call(
      &srv, &admin, "POST", "/api/v1/tenants/HUB1/users",
      "{\"username\":\"it_a\",\"display_name\":\"IT\",\"password\":\"" PASSWORD
      "\",\"roles\":[\"hospital_it\"]}");
  th_resp_free(&r);
  r = th_call(
      &srv, &admin, "POST", "/api/v1/tenants/HUB1/users",
      "{\"username\":\"doc\",\"display_name\":\"Doc\",\"password\":\"" PASSWORD
      "\",\"roles\":[\"specialist\"]}");
  th_resp_free(&r);
  return th_login(&srv, &it, "it_a", PASSWORD, "HUB1") == 200 &&
                 th_login(&srv, &doc, "doc", PASSWORD, "HUB1") == 200
             ? 0
             : -1;
}

static int stop(void **state) {
  (void)state;
  int rc = th_server_stop(&srv, 30) == 0 ? 0 : -1;
  th_mixed_modules_remove(modules_dir);
  return rc;
}

static void upload_render_and_version(void **state) {
  (void)state;
  const char *src =
      read_source("scripts/hospitals/AOUP-PA/forms/cardiologia_follow_up.lua");
  assert_non_null(src);
  th_resp r =
      put_source(&it, "/api/v1/tenants/HUB1/forms/cardio_followup", src);
  assert_int_equal(r.status, 201);
  json_t *form = json_object_get(r.json, "form");
  assert_string_equal(json_string_value(json_object_get(form, "title")),
                      "Follow-up cardiologico");
  assert_true(json_array_size(json_object_get(form, "sections")) >= 2);
  assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 1);
  th_resp_free(&r);
  /* The address and the script must agree on the form's id. */
  r = put_source(&it, "/api/v1/tenants/HUB1/forms/other_name", src);
  assert_int_equal(r.status, 422);
  th_resp_free(&r);
  /* Version 2, then roll back to 1. */
  char *v2 = strdup(src);
  char *t = strstr(v2, "Follow-up cardiologico");
  memcpy(t, "Controllo cardiologico", strlen("Controllo cardiologico"));
  r = put_source(&it, "/api/v1/tenants/HUB1/forms/cardio_followup", v2);
  free(v2);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 2);
  th_resp_free(&r);
  r = th_call(&srv, &it, "POST",
              "/api/v1/tenants/HUB1/forms/cardio_followup/activate",
              "{\"version\":1}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  r = th_call(&srv, &it, "GET", "/api/v1/tenants/HUB1/forms/cardio_followup",
              NULL);
  assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 1);
  assert_int_equal(json_array_size(json_object_get(r.json, "versions")), 2);
  assert_non_null(strstr(th_json_str(&r, "source"), "Follow-up cardiologico"));
  th_resp_free(&r);
}

/* An upload is a draft: doctors keep the active version while hospital IT
 * previews and dry-runs the draft; activation is its own step. */
static void uploads_are_drafts_until_activated(void **state) {
  (void)state;
  const char *form_v1 =
      "return { id = \"draft_form\", title = \"Bozza uno\", version = 7, "
      "sections = { { id = \"s\", title = \"S\", fields = { { id = \"a\", "
      "type = \"integer\", label = \"A\", max = 10 } } } } }";
  th_resp r = put_draft(&it, "/api/v1/tenants/HUB1/forms/draft_form", form_v1);
  assert_int_equal(r.status, 201);
  assert_false(json_is_true(json_object_get(r.json, "active")));
  assert_true(json_is_true(json_object_get(r.json, "draft")));
  assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 1);
  th_resp_free(&r);
  /* Nobody fills a draft: not active for doctors. */
  r = th_call(&srv, &doc, "POST",
              "/api/v1/tenants/HUB1/forms/draft_form/validate",
              "{\"values\":{\"a\":3}}");
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  /* Hospital IT previews the draft by its stored version. */
  r = th_call(&srv, &it, "POST",
              "/api/v1/tenants/HUB1/forms/draft_form/validate",
              "{\"values\":{\"a\":30},\"version\":1}");
  assert_int_equal(r.status, 422);
  assert_string_equal(th_json_str(&r, "errors/0/field"), "a");
  th_resp_free(&r);
  r = th_call(&srv, &it, "POST",
              "/api/v1/tenants/HUB1/forms/draft_form/validate",
              "{\"values\":{\"a\":3},\"version\":1}");
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 1);
  th_resp_free(&r);
  /* ... which a doctor may not. */
  r = th_call(&srv, &doc, "POST",
              "/api/v1/tenants/HUB1/forms/draft_form/validate",
              "{\"values\":{\"a\":3},\"version\":1}");
  assert_int_equal(r.status, 403);
  th_resp_free(&r);
  r = th_call(&srv, &it, "POST",
              "/api/v1/tenants/HUB1/forms/draft_form/validate",
              "{\"values\":{\"a\":3},\"version\":9}");
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  /* Activation, then a second draft leaves version 1 in use; the numbers
   * are the stored ones, not the script's own "version = 7". */
  r = th_call(&srv, &it, "POST",
              "/api/v1/tenants/HUB1/forms/draft_form/activate",
              "{\"version\":1}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  r = put_draft(&it, "/api/v1/tenants/HUB1/forms/draft_form", form_v1);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 2);
  th_resp_free(&r);
  r = th_call(&srv, &it, "GET", "/api/v1/tenants/HUB1/forms/draft_form", NULL);
  assert_int_equal(
      json_integer_value(json_object_get(r.json, "active_version")), 1);
  assert_int_equal(
      json_integer_value(json_object_get(r.json, "latest_version")), 2);
  th_resp_free(&r);
  r = th_call(&srv, &doc, "POST",
              "/api/v1/tenants/HUB1/forms/draft_form/validate",
              "{\"values\":{\"a\":3}}");
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 1);
  th_resp_free(&r);
  r = th_call(&srv, &it, "DELETE", "/api/v1/tenants/HUB1/forms/draft_form",
              NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
}

/* Rules: the dry run of a draft runs the draft, without a version the
 * active rules. */
static void rule_drafts_are_tried_before_activation(void **state) {
  (void)state;
  th_resp r = put_source(&it, "/api/v1/tenants/HUB1/rules/rules",
                         "local rules = {}\n"
                         "function rules.route_teleconsult(r)\n"
                         "  return { group = 'active_group', priority = "
                         "'normal', sla_hours = 4 }\n"
                         "end\n"
                         "return rules\n");
  if (r.status != 200 && r.status != 201)
    fprintf(stderr, "rules: %s\n", r.body);
  assert_true(r.status == 200 || r.status == 201);
  th_resp_free(&r);
  r = put_draft(
      &it, "/api/v1/tenants/HUB1/rules/rules",
      "local rules = {}\n"
      "function rules.route_teleconsult(r)\n"
      "  return { group = 'draft_group', priority = 'normal', sla_hours = 4 }\n"
      "end\n"
      "function rules.nothing(r)\n"
      "  return nil\n"
      "end\n"
      "return rules\n");
  assert_int_equal(r.status, 200);
  char body[200];
  snprintf(body, sizeof body,
           "{\"function\":\"route_teleconsult\",\"input\":{\"specialty\":"
           "\"x\"},\"version\":%lld}",
           (long long)json_integer_value(json_object_get(r.json, "version")));
  th_resp_free(&r);
  r = th_call(&srv, &it, "POST", "/api/v1/tenants/HUB1/rules/rules/test", body);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "result/group"), "draft_group");
  th_resp_free(&r);
  r = th_call(&srv, &it, "POST", "/api/v1/tenants/HUB1/rules/rules/test",
              "{\"function\":\"route_teleconsult\",\"input\":{"
              "\"specialty\":\"x\"}}");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "result/group"), "active_group");
  th_resp_free(&r);
}

static void broken_and_hostile_scripts_are_refused(void **state) {
  (void)state;
  th_resp r = put_source(&it, "/api/v1/tenants/HUB1/forms/broken",
                         "return {\n  id = \"broken\",\n  title = ,\n}\n");
  assert_int_equal(r.status, 422);
  assert_string_equal(th_json_str(&r, "code"), "script_invalid");
  json_t *e = json_array_get(json_object_get(r.json, "errors"), 0);
  assert_int_equal(json_integer_value(json_object_get(e, "line")), 3);
  th_resp_free(&r);
  const char *hostile[] = {
      "while true do end",
      "local t = {} for i = 1, 1e9 do t[i] = i end",
      "local function f() return f() + 1 end return f()",
      "return os.execute('id')",
      "return io.open('/etc/passwd')",
      "local s = string.rep('x', 1e9) return s",
  };
  for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
    r = put_source(&it, "/api/v1/tenants/HUB1/forms/hostile", hostile[i]);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(r.body, "hostile.lua"));
    th_resp_free(&r);
  }
  r = th_get(&srv, "/healthz");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  /* Nothing of them was stored. */
  char *n = th_sql("it_scripts", "SELECT count(*) FROM concerto.scripts WHERE "
                                 "script_id IN ('broken', 'hostile')");
  assert_string_equal(n, "0");
  free(n);
}

static void validation_and_submissions_keep_their_version(void **state) {
  (void)state;
  th_resp r = th_call(&srv, &doc, "POST",
                      "/api/v1/tenants/HUB1/forms/cardio_followup/validate",
                      "{\"values\":{\"pas\":500}}");
  assert_int_equal(r.status, 422);
  bool named = false;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(r.json, "errors"), i, e) named |=
      strcmp(json_string_value(json_object_get(e, "field")), "pas") == 0;
  assert_true(named);
  th_resp_free(&r);
  /* The live evaluation of the same partial answers is not refused: the
   * page learns which fields show and what the computed ones are. */
  r = th_call(&srv, &doc, "POST",
              "/api/v1/tenants/HUB1/forms/cardio_followup/evaluate",
              "{\"values\":{\"peso\":80,\"altezza\":180}}");
  assert_int_equal(r.status, 200);
  assert_non_null(json_object_get(json_object_get(r.json, "values"), "bmi"));
  assert_true(json_array_size(json_object_get(r.json, "visible_fields")) > 3);
  assert_true(json_array_size(json_object_get(r.json, "errors")) > 0);
  th_resp_free(&r);
  r = th_call(&srv, &doc, "POST",
              "/api/v1/tenants/HUB1/forms/cardio_followup/evaluate",
              "{\"values\":[]}");
  assert_int_equal(r.status, 422);
  th_resp_free(&r);
  /* A complete, valid submission; the BMI is computed by the form. */
  r = th_call(&srv, &doc, "GET", "/api/v1/tenants/HUB1/forms/cardio_followup",
              NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  const char *answers =
      "{\"values\":{\"pas\":130,\"pad\":80,\"fc\":70,\"peso\":80,\"altezza\":"
      "180,"
      "\"ritmo\":\"sinusale\",\"dolore_toracico\":false,\"nyha\":1,"
      "\"palpitazioni\":false,\"sincope\":false,\"edemi\":\"assenti\","
      "\"terapia_in_atto\":\"bisoprololo 2.5 mg\",\"anticoagulante\":"
      "\"nessuna\",\"aderenza\":\"buona\"}}";
  r = th_call(&srv, &doc, "POST",
              "/api/v1/tenants/HUB1/forms/cardio_followup/validate", answers);
  if (r.status != 200)
    fprintf(stderr, "validate: %s\n", r.body);
  assert_int_equal(r.status, 200);
  assert_non_null(json_object_get(json_object_get(r.json, "values"), "bmi"));
  th_resp_free(&r);
  r = th_call(&srv, &doc, "POST",
              "/api/v1/tenants/HUB1/forms/cardio_followup/submissions",
              answers);
  assert_int_equal(r.status, 201);
  assert_int_equal(json_integer_value(json_object_get(r.json, "form_version")),
                   1);
  snprintf(submission_id, sizeof submission_id, "%s", th_json_str(&r, "id"));
  th_resp_free(&r);
  /* The form moves on to version 2; the old answers keep version 1. */
  r = th_call(&srv, &it, "POST",
              "/api/v1/tenants/HUB1/forms/cardio_followup/activate",
              "{\"version\":2}");
  th_resp_free(&r);
  char path[96];
  snprintf(path, sizeof path, "/api/v1/tenants/HUB1/form-submissions/%s",
           submission_id);
  r = th_call(&srv, &doc, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "form_version")),
                   1);
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(r.json, "form"), "title")),
                      "Follow-up cardiologico");
  th_resp_free(&r);
}

static void sixteenth_form_is_refused(void **state) {
  (void)state;
  char path[96], src[512];
  for (int i = 2; i <= 15; i++) { /* cardio_followup is the first */
    snprintf(src, sizeof src,
             "return { id = \"f%d\", title = \"Scheda %d\", version = 1, "
             "sections = { { id = \"s\", title = \"S\", fields = { { id = "
             "\"a\", type = \"text\", label = \"A\" } } } } }",
             i, i);
    snprintf(path, sizeof path, "/api/v1/tenants/HUB1/forms/f%d", i);
    th_resp r = put_source(&it, path, src);
    assert_int_equal(r.status, 201);
    th_resp_free(&r);
  }
  th_resp r = th_call(&srv, &it, "GET", "/api/v1/tenants/HUB1/forms", NULL);
  assert_int_equal(json_integer_value(json_object_get(r.json, "active_count")),
                   15);
  assert_int_equal(json_integer_value(json_object_get(r.json, "limit")), 15);
  th_resp_free(&r);
  snprintf(src, sizeof src,
           "return { id = \"f16\", title = \"Sedicesima\", version = 1, "
           "sections = { { id = \"s\", title = \"S\", fields = { { id = \"a\", "
           "type = \"text\", label = \"A\" } } } } }");
  r = put_source(&it, "/api/v1/tenants/HUB1/forms/f16", src);
  assert_int_equal(r.status, 409);
  assert_string_equal(th_json_str(&r, "code"), "form_limit_reached");
  assert_non_null(strstr(th_json_str(&r, "detail"), "15"));
  th_resp_free(&r);
  char *n = th_sql("it_scripts", "SELECT count(*) FROM concerto.scripts WHERE "
                                 "script_id = 'f16'");
  assert_string_equal(n, "0"); /* the refused upload left nothing */
  free(n);
  /* New versions of an active form are always fine; freeing a place too. */
  r = th_call(&srv, &it, "DELETE", "/api/v1/tenants/HUB1/forms/f15", NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  r = put_source(&it, "/api/v1/tenants/HUB1/forms/f16", src);
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
}

static void rules_with_libraries_and_error_lines(void **state) {
  (void)state;
  const char *lib = read_source("scripts/hospitals/ASP-AG/lib/hub.lua");
  assert_non_null(lib);
  th_resp r = put_source(&it, "/api/v1/tenants/HUB1/libs/hub", lib);
  if (r.status != 201)
    fprintf(stderr, "lib: %s\n", r.body);
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  const char *rules = read_source("scripts/hospitals/ASP-AG/rules.lua");
  r = put_source(&it, "/api/v1/tenants/HUB1/rules/rules", rules);
  if (r.status != 201)
    fprintf(stderr, "rules: %s\n", r.body);
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  r = th_call(
      &srv, &it, "POST", "/api/v1/tenants/HUB1/rules/rules/test",
      "{\"function\":\"route_teleconsult\",\"input\":{\"specialty\":"
      "\"neurologia\",\"urgency\":\"emergency\",\"reason\":\"ictus\"}}");
  assert_int_equal(r.status, 200);
  json_t *result = json_object_get(r.json, "result");
  assert_string_equal(json_string_value(json_object_get(result, "priority")),
                      "critical");
  assert_false(json_is_true(json_object_get(r.json, "defaulted")));
  th_resp_free(&r);
  /* Two-argument rules take "args". */
  r = th_call(&srv, &it, "POST", "/api/v1/tenants/HUB1/rules/rules/test",
              "{\"function\":\"signature_policy\",\"args\":[{\"qualified\":"
              "false},{\"type\":\"referto\"}]}");
  assert_int_equal(r.status, 200);
  assert_false(json_is_true(
      json_object_get(json_object_get(r.json, "result"), "allow")));
  th_resp_free(&r);
  /* An error only some inputs reach: the dry run passes, the test shows
   * the line. */
  r = put_source(&it, "/api/v1/tenants/HUB1/rules/rules",
                 "local rules = {}\n"
                 "function rules.route_ticket(t)\n"
                 "  if t.category == 'boom' then\n"
                 "    return t.missing.field\n"
                 "  end\n"
                 "  return { queue = 'first_level', severity = 'normal' }\n"
                 "end\n"
                 "return rules\n");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  r = th_call(
      &srv, &it, "POST", "/api/v1/tenants/HUB1/rules/rules/test",
      "{\"function\":\"route_ticket\",\"input\":{\"category\":\"boom\"}}");
  assert_int_equal(r.status, 422);
  assert_string_equal(th_json_str(&r, "code"), "script_error");
  assert_int_equal(json_integer_value(json_object_get(r.json, "line")), 4);
  th_resp_free(&r);
  /* A rule the hospital no longer defines falls back to the default. */
  r = th_call(&srv, &it, "POST", "/api/v1/tenants/HUB1/rules/rules/test",
              "{\"function\":\"route_teleconsult\",\"input\":{\"specialty\":"
              "\"dermatologia\",\"urgency\":\"urgent\"}}");
  assert_int_equal(r.status, 200);
  assert_true(json_is_true(json_object_get(r.json, "defaulted")));
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(r.json, "result"), "priority")),
                      "high");
  th_resp_free(&r);
  /* Clinicians cannot edit scripts. */
  r = put_source(&doc, "/api/v1/tenants/HUB1/rules/rules", "return {}");
  assert_int_equal(r.status, 403);
  th_resp_free(&r);
  char *audit = th_sql("it_scripts", "SELECT count(*) FROM concerto.audit_log "
                                     "WHERE action IN ('script.upload', "
                                     "'script.activate')");
  assert_true(atoi(audit) >= 10);
  free(audit);
}

static th_resp test_rule(const char *fn, const char *input) {
  char body[512];
  snprintf(body, sizeof body, "{\"function\":\"%s\",\"input\":%s}", fn, input);
  return th_call(&srv, &it, "POST", "/api/v1/tenants/HUB1/rules/rules/test",
                 body);
}

/* Rules and Lua functions belong to the modules that call them (ABI 1.10):
 * the catalog shows whose they are, a module's lookup runs in the script's
 * request, read-only, and only so many times per run. */
static void rules_and_functions_come_from_modules(void **state) {
  (void)state;
  th_resp r = th_call(&srv, &it, "GET", "/api/v1/scripts/catalog", NULL);
  assert_int_equal(r.status, 200);
  const char *owners[4] = {NULL};
  static const char *const names[] = {"route_teleconsult", "route_ticket",
                                      "signature_policy", "on_event"};
  size_t i;
  json_t *rule;
  json_array_foreach(json_object_get(r.json, "rules"), i, rule) {
    for (int n = 0; n < 4; n++)
      if (strcmp(json_string_value(json_object_get(rule, "name")), names[n]) ==
          0)
        owners[n] = json_string_value(json_object_get(rule, "owner"));
  }
  assert_string_equal(owners[0], "teleconsult");
  assert_string_equal(owners[1], "ruled");
  assert_string_equal(owners[2], "ruled");
  assert_string_equal(owners[3], "core");
  assert_non_null(
      strstr(r.body, "\"module\":\"ruled\",\"name\":\"count_patients\""));
  th_resp_free(&r);

  th_resp up = put_source(
      &it, "/api/v1/tenants/HUB1/rules/rules",
      "local rules = {}\n"
      "function rules.route_ticket(t)\n"
      "  if t.category == 'count' then\n"
      "    return { queue = 'q' .. concerto.ruled.count_patients().n,\n"
      "             severity = 'normal' }\n"
      "  elseif t.category == 'write' then\n"
      "    local w = concerto.ruled.try_write()\n"
      "    return { queue = w.written and 'wrote' or 'refused',\n"
      "             severity = 'normal' }\n"
      "  elseif t.category == 'many' then\n"
      "    for i = 1, 25 do concerto.ruled.count_patients() end\n"
      "  end\n"
      "  return { queue = 'first_level', severity = 'normal' }\n"
      "end\n"
      "return rules\n");
  if (up.status != 200 && up.status != 201)
    fprintf(stderr, "rules: %s\n", up.body);
  assert_true(up.status == 200 || up.status == 201);
  th_resp_free(&up);
  char *seen = th_sql_as("it_scripts", "staff", "HUB1", "it_a",
                         "SELECT count(*) FROM concerto.patients", NULL);
  char want[32];
  snprintf(want, sizeof want, "q%s", seen);
  free(seen);
  r = test_rule("route_ticket", "{\"category\":\"count\"}");
  if (r.status != 200)
    fprintf(stderr, "count: %s\n", r.body);
  assert_int_equal(r.status, 200);
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(r.json, "result"), "queue")),
                      want);
  th_resp_free(&r);
  /* The database is read-only inside a module's lookup. */
  r = test_rule("route_ticket", "{\"category\":\"write\"}");
  assert_int_equal(r.status, 200);
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(r.json, "result"), "queue")),
                      "refused");
  th_resp_free(&r);
  char *notes = th_sql("it_scripts", "SELECT count(*) FROM ruled.notes");
  assert_string_equal(notes, "0");
  free(notes);
  /* Budgeted: 25 calls in one run are more than the 20 allowed. */
  r = test_rule("route_ticket", "{\"category\":\"many\"}");
  assert_int_equal(r.status, 422);
  assert_non_null(
      strstr(th_json_str(&r, "detail"), "more than 20 module calls"));
  th_resp_free(&r);
  /* A declared rule's check applies to what the script returns. */
  up = put_source(&it, "/api/v1/tenants/HUB1/rules/rules",
                  "return { route_ticket = function(t) return { queue = '' } "
                  "end }\n");
  assert_int_equal(up.status, 422);
  assert_non_null(strstr(up.body, "must return a non-empty 'queue'"));
  th_resp_free(&up);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(upload_render_and_version),
      cmocka_unit_test(uploads_are_drafts_until_activated),
      cmocka_unit_test(broken_and_hostile_scripts_are_refused),
      cmocka_unit_test(validation_and_submissions_keep_their_version),
      cmocka_unit_test(sixteenth_form_is_refused),
      cmocka_unit_test(rules_with_libraries_and_error_lines),
      cmocka_unit_test(rules_and_functions_come_from_modules),
      cmocka_unit_test(rule_drafts_are_tried_before_activation),
  };
  return cmocka_run_group_tests_name("scripts", tests, start, stop);
}
