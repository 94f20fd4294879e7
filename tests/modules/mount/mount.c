/* Test module "mount": compatibility mounts (plugin ABI 1.10) outside
 * /api/v1/mount/, as the consent, SOAP and DICOMweb modules need:
 *   GET  /TokenIssueService/status        public, a fixed path;
 *   POST /PrivacyManagement/consents      the module checks the caller's
 *        bearer token itself and binds it as a client of its hospital;
 *   GET  /fhir/metadata                   hospital API tokens only.
 * Built a second time as "mount_clash", which mounts the same path and
 * must be refused. */
#include <concerto/concerto.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#ifndef MODULE_NAME
#define MODULE_NAME "mount"
#endif

static concerto_status status(concerto_request *req, void *ud) {
  (void)ud;
  return concerto_reply_json(req, 200,
                             json_pack("{s:s, s:s}", "service",
                                       "TokenIssueService", "module",
                                       MODULE_NAME));
}

static void sha256_hex(const char *text, char out[65]) {
  unsigned char md[32];
  unsigned len = 0;
  EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
  for (unsigned i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static concerto_status post_consent(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  const char *authz = concerto_header(req, "Authorization");
  if (!authz || strncmp(authz, "Bearer ", 7) != 0)
    return concerto_reply_problem(req, 401, "unauthenticated", NULL,
                                  "A bearer token is required.");
  char hash[65];
  sha256_hex(authz + 7, hash);
  concerto_result *res = NULL;
  const char *p[1] = {hash};
  concerto_status st = concerto_query_db(
      req, "SELECT tenant_id::text, name FROM check_client($1)", 1, p, &res);
  if (st != CONCERTO_OK)
    return st;
  if (!concerto_value(res, 0, 0))
    return concerto_reply_problem(req, 401, "unauthenticated", NULL,
                                  "Unknown token.");
  static const char *const roles[] = {"helpdesk", NULL};
  st = h->req_bind_client(req, concerto_value(res, 0, 0),
                          concerto_value(res, 0, 1), roles);
  if (st == CONCERTO_ERR_NOT_FOUND)
    return concerto_reply_problem(req, 404, "module_not_enabled", NULL,
                                  "This service is not enabled here.");
  if (st != CONCERTO_OK)
    return st;
  json_t *body = NULL;
  if ((st = concerto_json_body(req, &body)) != CONCERTO_OK)
    return st;
  const char *subject = json_string_value(json_object_get(body, "subject"));
  if (!subject)
    return concerto_reply_problem(req, 422, "validation_failed", NULL,
                                  "subject is required");
  const char *q[2] = {subject, h->req_username(req)};
  if ((st = concerto_query_db(req,
                              "INSERT INTO consents (subject, posted_by) "
                              "VALUES ($1, $2) RETURNING id::text",
                              2, q, &res)) != CONCERTO_OK)
    return st;
  h->audit(req, "mount.consent.create",
           h->req_printf(req, "consent:%s", concerto_value(res, 0, 0)), NULL,
           NULL);
  return concerto_reply_json(req, 201,
                             json_pack("{s:s, s:s, s:b}", "id",
                                       concerto_value(res, 0, 0), "client",
                                       h->req_username(req), "helpdesk",
                                       h->req_has_role(req, "helpdesk")));
}

static concerto_status metadata(concerto_request *req, void *ud) {
  (void)ud;
  return concerto_reply_json(req, 200,
                             json_pack("{s:s, s:s?}", "resourceType",
                                       "CapabilityStatement", "hospital",
                                       concerto_module_host->req_tenant(req)));
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  static const struct {
    const char *method, *path, *role;
    uint32_t auth;
    concerto_handler handler;
  } mounts[] = {
      {"GET", "/TokenIssueService/status", NULL, CONCERTO_AUTH_PUBLIC, status},
#ifndef MOUNT_CLASH
      {"POST", "/PrivacyManagement/consents", NULL, CONCERTO_AUTH_MODULE,
       post_consent},
      {"GET", "/fhir/metadata", "hospital_it", CONCERTO_AUTH_API_TOKEN,
       metadata},
#endif
  };
  for (size_t i = 0; i < sizeof mounts / sizeof *mounts; i++) {
    concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
    spec.method = mounts[i].method;
    spec.path = mounts[i].path;
    spec.required_role = mounts[i].role;
    spec.flags = CONCERTO_ROUTE_MOUNT;
    spec.auth = mounts[i].auth;
    spec.summary = "A compatibility mount of the test module";
    spec.handler = mounts[i].handler;
    if (host->register_route(reg, &spec) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  }
#ifdef MOUNT_CLASH
  (void)post_consent;
  (void)metadata;
#endif
  /* Mounts stay out of the core's namespaces, and roles fit the mode. */
  concerto_route_spec bad = CONCERTO_ROUTE_SPEC_INIT_V1;
  bad.method = "GET";
  bad.path = "/api/v1/other/x";
  bad.flags = CONCERTO_ROUTE_MOUNT;
  bad.handler = status;
  if (host->register_route(reg, &bad) != CONCERTO_ERR_REG_INVALID)
    return CONCERTO_ERR_INTERNAL;
  bad.path = "/TokenIssueService/other";
  bad.auth = CONCERTO_AUTH_MODULE;
  bad.required_role = "helpdesk";
  if (host->register_route(reg, &bad) != CONCERTO_ERR_REG_INVALID)
    return CONCERTO_ERR_INTERNAL;
  return host->register_migrations(reg, "sql");
}

CONCERTO_MODULE_DEFINE(.name = MODULE_NAME, .version = "1.0.0",
                       .vendor = "Concerto tests",
                       .description = "Compatibility mounts", .init = init)
