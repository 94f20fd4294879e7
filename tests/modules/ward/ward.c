/* Test module "ward": a hospital-owned table under row-level security, and
 * a query that "forgets" its WHERE clause on purpose - the proof that one
 * hospital cannot see another's rows even through a buggy module. Also
 * exercises plugin ABI 1.1 (the caller and the audit trail) and 1.8
 * (guests bound to one hospital on a public route). */
#include <concerto/concerto.h>

#include <string.h>

static const concerto_module *self;

/* The hospital's own settings (ABI 1.4). */
static concerto_status settings(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  return concerto_reply_json(
      req, 200,
      json_pack("{s:s?, s:s?}", "beds_limit",
                h->tenant_setting(req, self, "beds_limit"), "ward_name",
                h->tenant_setting(req, self, "ward_name")));
}

static concerto_status add_bed(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  const char *params[1] = {json_string_value(json_object_get(body, "label"))};
  if (!params[0])
    return concerto_reply_problem(req, 422, "validation_failed",
                                  "Unprocessable Content", "label: required");
  concerto_result *res;
  /* tenant_id comes from the column default: the caller's hospital. */
  st = concerto_query_db(req,
                         "INSERT INTO beds (label) VALUES ($1) RETURNING "
                         "id::text, tenant_id::text",
                         1, params, &res);
  if (st != CONCERTO_OK)
    return st;
  concerto_module_host->audit(req, "ward.bed.create", "bed", NULL, NULL);
  return concerto_reply_json(req, 201,
                             json_pack("{s:s, s:s}", "id",
                                       concerto_value(res, 0, 0), "tenant_id",
                                       concerto_value(res, 0, 1)));
}

/* Deliberately no WHERE clause: RLS must still limit it to one hospital. */
static concerto_status count_beds(concerto_request *req, void *ud) {
  (void)ud;
  concerto_result *res;
  concerto_status st =
      concerto_query_db(req, "SELECT count(*)::text FROM beds", 0, NULL, &res);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(
      req, 200, json_pack("{s:s}", "count", concerto_value(res, 0, 0)));
}

static concerto_status whoami(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  return concerto_reply_json(
      req, 200,
      json_pack("{s:s?, s:s?, s:s?, s:b, s:b}", "user_id", h->req_user_id(req),
                "username", h->req_username(req), "tenant", h->req_tenant(req),
                "specialist", h->req_has_role(req, "specialist"),
                "requesting_doctor",
                h->req_has_role(req, "requesting_doctor")));
}

/* Without a rule of the hospital: the requested specialty's group. */
static json_t *ward_route_default(const json_t *input) {
  const char *specialty =
      json_string_value(json_object_get(input, "specialty"));
  return json_pack("{s:s}", "group", specialty ? specialty : "general");
}

static const concerto_rule_spec ward_route_rule = {
    sizeof(concerto_rule_spec),
    "ward_route",
    "{\"group\":\"general\"}",
    "{\"specialty\":\"cardiologia\",\"urgency\":\"urgent\"}",
    NULL,
    "Where the ward sends a patient (a test rule)",
    ward_route_default};

/* Asks the hospital's Lua rules where a patient would go (ABI 1.3; the
 * rule declared since 1.10). */
static concerto_status route(concerto_request *req, void *ud) {
  (void)ud;
  const char *specialty = concerto_query(req, "specialty");
  json_t *input =
      json_pack("{s:s, s:s}", "specialty", specialty ? specialty : "general",
                "urgency", "urgent");
  json_t *decision = NULL;
  int defaulted = 0;
  concerto_status st = concerto_module_host->rule(req, "ward_route", input,
                                                  &decision, &defaulted);
  json_decref(input);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(
      req, 200,
      json_pack("{s:o, s:b}", "decision", decision, "defaulted", defaulted));
}

static const char *status_name(concerto_status st) {
  return st == CONCERTO_OK              ? "ok"
         : st == CONCERTO_ERR_INVALID   ? "invalid"
         : st == CONCERTO_ERR_NOT_FOUND ? "not_found"
                                        : "other";
}

/* Public (ABI 1.8): binds the request as guest ?name= of hospital
 * ?tenant= and reports what it may do then, so the test can check the
 * core's rules: one hospital's rows (RLS), no staff role, bound once. */
static concerto_status guest_visit(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  const char *tenant = concerto_query(req, "tenant");
  concerto_result *bound;
  /* A digits-only id: the SQL cast would fail on anything else, and the
   * core refuses it anyway (the test checks that answer). */
  if (tenant && *tenant && strspn(tenant, "0123456789") == strlen(tenant) &&
      strlen(tenant) < 18 &&
      concerto_query_db(req, "SELECT guest_bind($1::bigint)", 1,
                        (const char *[]){tenant}, &bound) != CONCERTO_OK)
    return CONCERTO_ERR_DB_QUERY;
  concerto_status st =
      h->req_bind_guest(req, tenant, concerto_query(req, "name"));
  if (st != CONCERTO_OK)
    return concerto_reply_json(req, 200,
                               json_pack("{s:s}", "bound", status_name(st)));
  concerto_result *res;
  /* No WHERE: RLS gives the bound hospital's beds only. */
  if ((st = concerto_query_db(req, "SELECT count(*)::text FROM beds", 0, NULL,
                              &res)) != CONCERTO_OK)
    return st;
  concerto_status again =
      h->req_bind_guest(req, concerto_query(req, "tenant"), "someone else");
  h->audit(req, "ward.guest.visit", "ward", NULL, NULL);
  return concerto_reply_json(
      req, 200,
      json_pack("{s:s, s:s, s:s?, s:b, s:b, s:b, s:s?}", "bound", "ok", "again",
                status_name(again), "tenant", h->req_tenant(req), "guest",
                h->req_has_role(req, "guest"), "specialist",
                h->req_has_role(req, "specialist"), "authenticated",
                h->req_has_role(req, "authenticated"), "beds",
                concerto_value(res, 0, 0)));
}

/* A module statement that fails and is handed back unanswered: a value
 * of the wrong type (?n=abc, SQLSTATE 22P02) or a bed for another
 * hospital than the caller's (row-level security, 42501). The core must
 * answer 400 and 403, never 500. */
static concerto_status unanswered(concerto_request *req, void *ud) {
  (void)ud;
  const char *n = concerto_query(req, "n");
  concerto_result *res;
  concerto_status st =
      n ? concerto_query_db(req, "SELECT $1::integer", 1, (const char *[]){n},
                            &res)
        : concerto_query_db(req,
                            "INSERT INTO beds (tenant_id, label) SELECT id, "
                            "'not mine' FROM concerto.tenants WHERE id <> "
                            "concerto.current_tenant() LIMIT 1",
                            0, NULL, &res);
  return st == CONCERTO_OK ? concerto_reply_json(req, 200, json_object()) : st;
}

/* The same call on a route with a logged-in caller must be refused. */
static concerto_status guest_refused(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st = concerto_module_host->req_bind_guest(
      req, concerto_module_host->req_tenant_id(req), "impostor");
  return concerto_reply_json(req, 200,
                             json_pack("{s:s}", "bound", status_name(st)));
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  if (!CONCERTO_HOST_HAS(host, audit) || !CONCERTO_HOST_HAS(host, rule) ||
      !CONCERTO_HOST_HAS(host, tenant_setting) ||
      !CONCERTO_HOST_HAS(host, req_bind_guest))
    return CONCERTO_ERR_UNSUPPORTED; /* needs ABI 1.8 */
  self = host->module_self(reg);
  concerto_tenant_setting_spec limit = CONCERTO_TENANT_SETTING_SPEC_INIT_V1;
  limit.key = "beds_limit";
  limit.type = CONCERTO_CONFIG_INT;
  limit.default_value = "20";
  limit.min = 1;
  limit.max = 500;
  limit.label_it = "Posti letto massimi";
  limit.label_en = "Maximum beds";
  concerto_tenant_setting_spec name = CONCERTO_TENANT_SETTING_SPEC_INIT_V1;
  name.key = "ward_name";
  name.label_it = "Nome del reparto";
  name.label_en = "Ward name";
  if (host->register_tenant_setting(reg, &limit) != CONCERTO_OK ||
      host->register_tenant_setting(reg, &name) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  /* The clinical roles a ward needs, declared as teleconsult declares
   * them (the same role from two modules is one role). */
  static const concerto_role_spec roles[] = {
      {sizeof(concerto_role_spec), "organizer", "Organizzatore", "Organizer",
       "Ward test module.", CONCERTO_ROLE_PATIENT_CARE},
      {sizeof(concerto_role_spec), "specialist", "Specialista", "Specialist",
       "Ward test module.", CONCERTO_ROLE_PATIENT_CARE},
      {sizeof(concerto_role_spec), "requesting_doctor", "Medico richiedente",
       "Requesting doctor", "Ward test module.", CONCERTO_ROLE_PATIENT_CARE},
  };
  for (size_t i = 0; i < sizeof roles / sizeof *roles; i++)
    if (host->register_role(reg, &roles[i]) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  if (host->register_rule(reg, &ward_route_rule) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  static const struct {
    const char *method, *path, *role;
    concerto_handler handler;
  } routes[] = {
      {"POST", "/api/v1/ward/beds", "specialist,requesting_doctor", add_bed},
      {"GET", "/api/v1/ward/beds/count", "authenticated", count_beds},
      {"GET", "/api/v1/ward/whoami", "authenticated", whoami},
      {"GET", "/api/v1/ward/route", "authenticated", route},
      {"GET", "/api/v1/ward/settings", "authenticated", settings},
      {"POST", "/api/v1/ward/guest", NULL, guest_visit},
      {"POST", "/api/v1/ward/guest/refused", "authenticated", guest_refused},
      {"POST", "/api/v1/ward/unanswered", "authenticated", unanswered},
  };
  for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
    concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
    spec.method = routes[i].method;
    spec.path = routes[i].path;
    spec.required_role = routes[i].role;
    spec.handler = routes[i].handler;
    if (host->register_route(reg, &spec) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  }
  return host->register_migrations(reg, "sql");
}

CONCERTO_MODULE("ward", "1.0.0", "Concerto tests",
                "Hospital-owned rows under RLS", NULL, init, NULL, NULL)
