/* Patients (a regional identity), one-time access links for them, and the
 * patient's own view through such a link. Every read or write of patient
 * data writes an audit row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "codice_fiscale.h"
#include "handler_util.h"
#include "routes.h"
#include "tokens.h"

/* Every role that works with patients, whichever module declared it. */
#define CLINICAL "patient_care"
#define LINK_FREE_TEXT "10"
#define LINK_MAX_BLOCK_TEXT "3600" /* seconds */
#define LINK_MAX_TTL_MIN (7 * 24 * 60)
#define PATIENT_SESSION_S (2 * 3600)

static const char *const patient_columns =
    "id::text, fiscal_code, surname, given_name, birth_date, birth_place, "
    "sex, email, phone";

/* Checks the date against the codice fiscale's encoded birth date and sex:
 * a mismatch is a typing error in one of them. */
static void check_consistency(const cf_info *cf, const char *birth_date,
                              const char *sex, verrors *v) {
  int y, m, d;
  if (!birth_date || sscanf(birth_date, "%4d-%2d-%2d", &y, &m, &d) != 3 ||
      strlen(birth_date) != 10) {
    verr_add_code(v, "birth_date", "date", "must be a date YYYY-MM-DD");
    return;
  }
  if (y % 100 != cf->birth_year2 || m != cf->birth_month || d != cf->birth_day)
    verr_add_code(v, "birth_date", "cf_mismatch",
                  "does not match the codice fiscale");
  if (sex && sex[0] != cf->sex)
    verr_add_code(v, "sex", "cf_mismatch", "does not match the codice fiscale");
}

static concerto_status create_patient(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *cf_text = field_str(body, "fiscal_code", true, 32, &v);
  const char *surname = field_str(body, "surname", true, 100, &v);
  const char *given = field_str(body, "given_name", true, 100, &v);
  const char *birth_date = field_str(body, "birth_date", true, 10, &v);
  const char *birth_place = field_str(body, "birth_place", false, 100, &v);
  const char *sex = field_str(body, "sex", true, 1, &v);
  const char *email = field_str(body, "email", false, 254, &v);
  const char *phone = field_str(body, "phone", false, 20, &v);
  if (sex && strcmp(sex, "M") && strcmp(sex, "F"))
    verr_add_code(&v, "sex", "choice", "must be \"M\" or \"F\"");
  cf_info cf;
  if (cf_text) {
    cf_status cs = cf_validate(cf_text, &cf);
    if (cs != CF_OK)
      verr_add_code(&v, "fiscal_code", cf_status_code(cs),
                    cf_status_message(cs));
    else
      check_consistency(&cf, birth_date, sex, &v);
  }
  if (email && !strchr(email, '@'))
    verr_add_code(&v, "email", "email", "is not an e-mail address");
  if (verr_end(req, &v, &st))
    return st;
  const char *params[10] = {cf.normalized,
                            surname,
                            given,
                            birth_date,
                            birth_place,
                            sex,
                            email,
                            phone,
                            req->caller.user_id,
                            req->caller.tenant_id};
  PGresult *r = NULL;
  /* The hospital registering the patient has a relationship with them
   * (it may then send them one-time links). */
  st = request_query(
      req,
      "INSERT INTO concerto.patients (fiscal_code, surname, given_name, "
      "birth_date, birth_place, sex, email, phone, created_by, "
      "created_tenant_id) VALUES ($1, $2, $3, $4::date, $5, $6, $7, $8, $9, "
      "$10::bigint) ON CONFLICT (fiscal_code) DO NOTHING "
      "RETURNING id::text, fiscal_code, surname, given_name, birth_date, "
      "birth_place, sex, email, phone",
      10, params, &r);
  if (st == CONCERTO_ERR_DB_QUERY) {
    verr_init(&v);
    verr_add_code(&v, "phone", "phone",
                  "digits and spaces, optionally a leading +");
    return verr_respond(req, &v);
  }
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return request_problem(req, 409, "conflict", NULL,
                           "A patient with this codice fiscale exists.");
  request_audit(req, "patient.create", "patient", PQgetvalue(r, 0, 0),
                "success", NULL);
  return req_respond_json(req, 201, row_json(r, 0));
}

#define SEARCH_MAX_RESULTS 20

/* `s` as a LIKE prefix pattern that matches only itself: \ % _ escaped
 * (the statement says ESCAPE '\'). Arena string. */
static const char *like_prefix(concerto_request *req, const char *s) {
  char *out = arena_alloc(&req->arena, 2 * strlen(s) + 2);
  if (!out)
    return NULL;
  char *o = out;
  for (; *s; s++) {
    if (*s == '\\' || *s == '%' || *s == '_')
      *o++ = '\\';
    *o++ = *s;
  }
  *o++ = '%';
  *o = '\0';
  return out;
}

/* Letters counted as characters, not bytes (UTF-8 continuation bytes are
 * not counted). */
static size_t text_chars(const char *s) {
  size_t n = 0;
  for (; s && *s; s++)
    n += ((unsigned char)*s & 0xC0) != 0x80 && *s != ' ';
  return n;
}

static bool is_date(const char *s) {
  int y, m, d;
  char tail;
  return s && strlen(s) == 10 &&
         sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && y >= 1850 &&
         m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* Patients are a regional identity (R2.6) but not a list to browse: a
 * search names one person closely enough - the codice fiscale, or the
 * surname with the given name or the birth date - and answers at most
 * SEARCH_MAX_RESULTS. The search itself is audited with its shape (which
 * fields were given, how many matched), and each patient shown too. */
static concerto_status search_patients(concerto_request *req, void *ud) {
  (void)ud;
  const char *q = req_query(req, "q");
  const char *cf = req_query(req, "fiscal_code");
  const char *surname = req_query(req, "surname");
  const char *given = req_query(req, "given_name");
  const char *birth = req_query(req, "birth_date");
  verrors v;
  verr_init(&v);
  /* q: a codice fiscale, or "surname given-name" (compound surnames such
   * as "Li Causi Salvatore" work: the text is a prefix of both). */
  char *qtext = q ? arena_strdup(&req->arena, q) : NULL;
  if (qtext) {
    while (*qtext == ' ')
      qtext++;
    for (size_t n = strlen(qtext); n > 0 && qtext[n - 1] == ' '; n--)
      qtext[n - 1] = '\0';
  }
  cf_info info;
  if (qtext && !cf && cf_validate(qtext, &info) == CF_OK)
    cf = qtext, qtext = NULL;
  const char *shape;
  if (cf) {
    if (cf_validate(cf, &info) != CF_OK) {
      verr_add_code(&v, "fiscal_code", "invalid",
                    "a complete, valid codice fiscale");
    } else {
      cf = arena_strdup(&req->arena, info.normalized);
    }
    shape = "fiscal_code";
  } else if (qtext && *qtext) {
    const char *space = strchr(qtext, ' ');
    if (!space || text_chars(qtext) < 4 || text_chars(space) < 2 ||
        strlen(qtext) > 200)
      verr_add_code(&v, "q", "too_broad",
                    "give the codice fiscale, or the surname and at least "
                    "the first two letters of the given name");
    shape = birth ? "name+birth_date" : "name";
  } else if (surname && (given || birth)) {
    if (text_chars(surname) < 2 || strlen(surname) > 100)
      verr_add_code(&v, "surname", "too_short", "at least 2 letters");
    if (given && (text_chars(given) < 2 || strlen(given) > 100))
      verr_add_code(&v, "given_name", "too_short", "at least 2 letters");
    shape =
        given ? (birth ? "surname+given_name+birth_date" : "surname+given_name")
              : "surname+birth_date";
  } else {
    verr_add_code(&v, surname ? "given_name" : "q", "too_broad",
                  "give the codice fiscale, or the surname with the given "
                  "name or the birth date");
    shape = "none";
  }
  if (birth && !is_date(birth))
    verr_add_code(&v, "birth_date", "type", "a date YYYY-MM-DD");
  concerto_status st;
  if (verr_end(req, &v, &st))
    return st;
  char limit[8];
  snprintf(limit, sizeof limit, "%d", SEARCH_MAX_RESULTS + 1);
  bool by_name = !cf && qtext && *qtext;
  bool by_fields = !cf && !by_name;
  /* q matches "surname given-name" as typed from the start ("li causi
   * sal"), or its first word the surname and the rest the given name
   * ("ross mar"). */
  char *first = by_name ? arena_strdup(&req->arena, qtext) : NULL;
  const char *rest = NULL;
  if (first) {
    char *sp = strchr(first, ' ');
    *sp = '\0';
    rest = sp + 1 + strspn(sp + 1, " ");
  }
  const char *params[8] = {cf,
                           by_name ? like_prefix(req, qtext) : NULL,
                           by_name ? like_prefix(req, first) : NULL,
                           by_name ? like_prefix(req, rest) : NULL,
                           by_fields ? like_prefix(req, surname) : NULL,
                           by_fields && given ? like_prefix(req, given) : NULL,
                           birth,
                           limit};
  PGresult *r = NULL;
  char *sql = arena_printf(
      &req->arena,
      "SELECT %s FROM concerto.patients WHERE CASE WHEN $1::text IS NOT NULL "
      "THEN fiscal_code = $1 WHEN $2::text IS NOT NULL THEN (lower(surname || "
      "' ' || given_name) LIKE lower($2) ESCAPE '\\' OR (lower(surname) LIKE "
      "lower($3) ESCAPE '\\' AND lower(given_name) LIKE lower($4) ESCAPE "
      "'\\')) AND ($7::date IS NULL OR birth_date = $7::date) ELSE "
      "lower(surname) LIKE lower($5) ESCAPE '\\' AND ($6::text IS NULL OR "
      "lower(given_name) LIKE lower($6) ESCAPE '\\') AND ($7::date IS NULL OR "
      "birth_date = $7::date) END ORDER BY surname, given_name, id LIMIT "
      "$8::integer",
      patient_columns);
  if ((st = request_query(req, sql, 8, params, &r)) != CONCERTO_OK)
    return st;
  int rows = PQntuples(r);
  bool more = rows > SEARCH_MAX_RESULTS;
  if (more)
    rows = SEARCH_MAX_RESULTS;
  request_audit(req, "patient.search",
                arena_printf(&req->arena, "search:%s matches:%d%s", shape, rows,
                             more ? "+" : ""),
                NULL, "success", NULL);
  json_t *list = json_array();
  for (int i = 0; i < rows; i++) {
    request_audit(req, "patient.search", "patient", PQgetvalue(r, i, 0),
                  "success", NULL);
    json_array_append_new(list, row_json(r, i));
  }
  return req_respond_json(
      req, 200, json_pack("{s:o, s:b}", "patients", list, "more", more));
}

/* A patient by id: only one the caller's hospital is related to
 * (concerto.patient_related). Ids are sequential: reading any id would
 * list the region's patients one by one, around the search's rules. */
static concerto_status get_patient(concerto_request *req, void *ud) {
  (void)ud;
  const char *id = id_param(req, "id");
  if (!id)
    return CONCERTO_ERR_NOT_FOUND;
  PGresult *r = NULL;
  char *sql = arena_printf(&req->arena,
                           "SELECT %s, concerto.patient_related(id) FROM "
                           "concerto.patients WHERE id = $1",
                           patient_columns);
  concerto_status st = request_query(req, sql, 1, (const char *[]){id}, &r);
  if (st != CONCERTO_OK)
    return st;
  int related = PQntuples(r) == 1 ? PQnfields(r) - 1 : -1;
  if (related < 0 || PQgetvalue(r, 0, related)[0] != 't') {
    if (related >= 0)
      request_audit(req, "patient.read", "patient", id, "denied", NULL);
    return CONCERTO_ERR_NOT_FOUND;
  }
  request_audit(req, "patient.read", "patient", id, "success", NULL);
  json_t *out = row_json(r, 0);
  json_object_del(out, "patient_related");
  return req_respond_json(req, 200, out);
}

/* ---- one-time access links ---- */

static concerto_status create_link(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *patient = field_str(body, "patient_id", true, 18, &v);
  const char *kind = field_str(body, "scope_kind", true, 16, &v);
  const char *ref = field_str(body, "scope_ref", true, 100, &v);
  json_t *ttl = json_object_get(body, "ttl_minutes");
  json_int_t minutes = ttl ? json_integer_value(ttl) : 60;
  if (ttl &&
      (!json_is_integer(ttl) || minutes < 1 || minutes > LINK_MAX_TTL_MIN))
    verr_add(&v, "ttl_minutes", "an integer from 1 to 10080 (one week)");
  if (kind && strcmp(kind, "appointment") && strcmp(kind, "documents"))
    verr_add(&v, "scope_kind", "must be \"appointment\" or \"documents\"");
  if (patient && !text_is_id(patient))
    verr_add_code(&v, "patient_id", "type", "a patient id (digits)");
  if (verr_end(req, &v, &st))
    return st;
  /* Only a hospital that has a relationship with the patient - it
   * registered them, or a row of its own names them (a request, a session,
   * a form: concerto.patient_related) - may send them a link. */
  PGresult *rel = NULL;
  if ((st = request_query(req,
                          "SELECT concerto.patient_related(p.id) FROM "
                          "concerto.patients p WHERE p.id = $1::bigint",
                          1, (const char *[]){patient}, &rel)) != CONCERTO_OK)
    return st;
  if (PQntuples(rel) != 1 || PQgetvalue(rel, 0, 0)[0] != 't') {
    verr_init(&v);
    if (PQntuples(rel) != 1)
      verr_add_code(&v, "patient_id", "not_found", "no such patient");
    else
      verr_add_code(&v, "patient_id", "no_relationship",
                    "this hospital has no relationship with the patient (it "
                    "did not register them and no request, session or form "
                    "of this hospital names them)");
    return verr_respond(req, &v);
  }
  char token[TOKEN_TEXT_LEN + 1], hash[65], ttl_text[24];
  if (!token_new(token) || !token_hash(token, hash))
    return CONCERTO_ERR_INTERNAL;
  snprintf(ttl_text, sizeof ttl_text, "%lld", (long long)minutes);
  const char *params[7] = {req->caller.tenant_id, patient, hash, kind, ref,
                           req->caller.user_id,   ttl_text};
  PGresult *r = NULL;
  st = request_query(
      req,
      "INSERT INTO concerto.access_links (tenant_id, patient_id, token_hash, "
      "scope_kind, scope_ref, created_by, expires_at) SELECT $1, p.id, $3, $4, "
      "$5, $6, now() + make_interval(mins => $7::integer) FROM "
      "concerto.patients p WHERE p.id = $2::bigint RETURNING id::text, "
      "expires_at",
      7, params, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1) {
    verr_init(&v);
    verr_add(&v, "patient_id", "no such patient");
    return verr_respond(req, &v);
  }
  request_audit(
      req, "access_link.create",
      arena_printf(&req->arena, "access_link:%s", PQgetvalue(r, 0, 0)), patient,
      "success", NULL);
  /* The token is shown once (to be sent to the patient); only its hash is
   * stored. The page at /patient/link reads it from the fragment, which
   * browsers never send to servers or in Referer headers. */
  return req_respond_json(
      req, 201,
      json_pack("{s:s, s:s, s:s, s:s}", "id", PQgetvalue(r, 0, 0), "token",
                token, "expires_at", PQgetvalue(r, 0, 1), "path",
                arena_printf(&req->arena, "/patient/link#%s", token)));
}

static concerto_status revoke_link(concerto_request *req, void *ud) {
  (void)ud;
  return end_by_id(req,
                   "UPDATE concerto.access_links SET revoked_at = now() WHERE "
                   "id = $1 AND revoked_at IS NULL RETURNING patient_id::text",
                   "access_link.revoke", "access_link", "revoked", true);
}

static concerto_status link_refused(concerto_request *req, const char *key,
                                    const char *detail) {
  request_query(
      req, "SELECT concerto.throttle_fail($1, $2::integer, $3::integer)", 3,
      (const char *[]){key, LINK_FREE_TEXT, LINK_MAX_BLOCK_TEXT}, NULL);
  request_audit(req, "auth.link", "access_link", NULL, "failure", NULL);
  request_end_tx(req, true);
  return request_problem(req, 401, "link_invalid", NULL, detail);
}

/* Exchanges a link token for a patient session limited to its scope. */
static concerto_status link_login(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *token = field_str(body, "token", true, 100, &v);
  if (verr_end(req, &v, &st))
    return st;
  const char *key = arena_printf(&req->arena, "link:%s", req->client_addr);
  if ((st = db_system_scope(req, NULL)) != CONCERTO_OK)
    return st;
  PGresult *r = NULL;
  if ((st = request_query(req, "SELECT concerto.throttle_wait(ARRAY[$1])", 1,
                          (const char *[]){key}, &r)) != CONCERTO_OK)
    return st;
  int wait = atoi(PQgetvalue(r, 0, 0));
  if (wait > 0) {
    char retry[16];
    snprintf(retry, sizeof retry, "%d", wait);
    req_set_header(req, "Retry-After", retry);
    return request_problem(req, 429, "rate_limited", NULL,
                           "Too many attempts with invalid links. Wait and "
                           "try again, or ask the hospital for a new link.");
  }
  char hash[65];
  if (!token_hash(token, hash))
    return link_refused(req, key, "This access link is not valid.");
  if ((st = request_query(
           req,
           "UPDATE concerto.access_links SET used_at = now() WHERE token_hash "
           "= $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > "
           "now() RETURNING id::text, tenant_id::text, patient_id::text, "
           "scope_kind, scope_ref",
           1, (const char *[]){hash}, &r)) != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1) {
    PGresult *why;
    if ((st = request_query(req,
                            "SELECT used_at IS NOT NULL, revoked_at IS NOT "
                            "NULL FROM concerto.access_links WHERE "
                            "token_hash = $1",
                            1, (const char *[]){hash}, &why)) != CONCERTO_OK)
      return st;
    const char *detail =
        PQntuples(why) == 0 ? "This access link is not valid."
        : PQgetvalue(why, 0, 0)[0] == 't'
            ? "This access link was already used: each link works once. Ask "
              "the hospital for a new one."
        : PQgetvalue(why, 0, 1)[0] == 't'
            ? "This access link was withdrawn by the hospital."
            : "This access link has expired. Ask the hospital for a new one.";
    return link_refused(req, key, detail);
  }
  char session[TOKEN_TEXT_LEN + 1], csrf[TOKEN_TEXT_LEN + 1], shash[65];
  if (!token_new(session) || !token_new(csrf) || !token_hash(session, shash))
    return CONCERTO_ERR_INTERNAL;
  char ttl[16];
  snprintf(ttl, sizeof ttl, "%d", PATIENT_SESSION_S);
  const char *params[8] = {shash,
                           PQgetvalue(r, 0, 2),
                           PQgetvalue(r, 0, 1),
                           PQgetvalue(r, 0, 3),
                           PQgetvalue(r, 0, 4),
                           csrf,
                           req->client_addr[0] ? req->client_addr : NULL,
                           ttl};
  if ((st = request_query(
           req,
           "INSERT INTO concerto.sessions (token_hash, kind, patient_id, "
           "scope_tenant_id, scope_kind, scope_ref, csrf_token, client_addr, "
           "expires_at) VALUES ($1, 'patient', $2, $3, $4, $5, $6, $7::inet, "
           "now() + make_interval(secs => $8::integer))",
           8, params, NULL)) != CONCERTO_OK)
    return st;
  req->caller.kind = CALLER_PATIENT;
  req->caller.patient_id = arena_strdup(&req->arena, PQgetvalue(r, 0, 2));
  request_audit(
      req, "auth.link",
      arena_printf(&req->arena, "access_link:%s", PQgetvalue(r, 0, 0)),
      req->caller.patient_id, "success", PQgetvalue(r, 0, 1));
  req_set_header(req, "Set-Cookie",
                 auth_cookie(req, session, PATIENT_SESSION_S));
  return req_respond_json(req, 200,
                          json_pack("{s:s, s:s, s:s, s:s}", "kind", "patient",
                                    "scope_kind", PQgetvalue(r, 0, 3),
                                    "scope_ref", PQgetvalue(r, 0, 4),
                                    "csrf_token", csrf));
}

static concerto_status patient_me(concerto_request *req, void *ud) {
  (void)ud;
  PGresult *r = NULL;
  char *sql = arena_printf(&req->arena,
                           "SELECT %s FROM concerto.patients WHERE id = $1",
                           patient_columns);
  concerto_status st =
      request_query(req, sql, 1, (const char *[]){req->caller.patient_id}, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  request_audit(req, "patient.read", "patient.self", req->caller.patient_id,
                "success", NULL);
  json_t *me = row_json(r, 0);
  json_object_set_new(
      me, "scope",
      json_pack("{s:s?, s:s?, s:s?}", "tenant", req->caller.tenant_code, "kind",
                req->caller.scope_kind, "ref", req->caller.scope_ref));
  json_object_set_new(me, "csrf_token", json_string(req->caller.csrf_token));
  return req_respond_json(req, 200, me);
}

/* Who accessed the patient's data: for the patient, through their
 * session. */
static concerto_status patient_access_log(concerto_request *req, void *ud) {
  (void)ud;
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT a.at, a.actor_kind, a.actor_name, a.role, t.code AS tenant, "
      "t.name AS tenant_name, a.action, a.outcome FROM concerto.audit_log a "
      "LEFT JOIN concerto.tenants t ON t.id = a.tenant_id WHERE a.patient_id "
      "= $1 ORDER BY a.id DESC LIMIT 200",
      1, (const char *[]){req->caller.patient_id}, &r);
  return respond_rows(req, st, r, "accesses");
}

const route_def routes_patients[] = {
    {"POST", "/api/v1/patients", CLINICAL, create_patient},
    {"GET", "/api/v1/patients", CLINICAL, search_patients},
    {"GET", "/api/v1/patients/{id}", CLINICAL, get_patient},
    {"POST", "/api/v1/tenants/{tenant}/access-links", CLINICAL, create_link},
    {"DELETE", "/api/v1/tenants/{tenant}/access-links/{id}", CLINICAL,
     revoke_link},
    {"POST", "/api/v1/auth/link", NULL, link_login},
    {"GET", "/api/v1/patient/me", "patient", patient_me},
    {"GET", "/api/v1/patient/access-log", "patient", patient_access_log},
    {NULL, NULL, NULL, NULL},
};
