/* Clinical documents of a session (R3.8): uploads streamed to the blob
 * store by the core, typed by content (never by the name), downloads and
 * DICOM metadata. Every read and write is audited. */
#include <concerto/dicom.h>

#include "sql.h"
#include "tc.h"

#include <stdio.h>
#include <string.h>

#define DICOM_MAX_BYTES (8u * 1024u * 1024u)

static const char *const accepted[] = {
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/dicom",
};

static const char *default_ext(const char *type) {
  static const char *const ext[] = {".pdf", ".jpg", ".png", ".docx", ".dcm"};
  for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++)
    if (strcmp(type, accepted[i]) == 0)
      return ext[i];
  return "";
}

/* A safe display name: no path, no control or quoting characters, at most
 * 200 bytes cut on a UTF-8 boundary. Request memory. */
static const char *sanitize(concerto_request *req, const char *name,
                            const char *type) {
  if (name) {
    const char *slash = strrchr(name, '/'), *back = strrchr(name, '\\');
    if (back > slash)
      slash = back;
    if (slash)
      name = slash + 1;
  }
  char *out = TC_H->req_alloc(req, 201);
  if (!out)
    return "documento";
  size_t j = 0;
  for (const unsigned char *s = (const unsigned char *)(name ? name : "");
       *s && j < 200; s++) {
    unsigned char c = *s;
    if (c < 0x20 || c == 0x7F || c == '"' || c == '<' || c == '>' || c == ':' ||
        c == '*' || c == '?' || c == '|' || c == ';')
      c = '_';
    out[j++] = (char)c;
  }
  while (j > 0 && ((unsigned char)out[j - 1] & 0xC0) == 0x80)
    j--; /* drop a cut multi-byte tail ... */
  if (j > 0 && ((unsigned char)out[j - 1] & 0xC0) == 0xC0)
    j--; /* ... including its lead byte */
  out[j] = '\0';
  while (out[0] == '.' || out[0] == ' ')
    out++;
  if (!*out)
    return TC_H->req_printf(req, "documento%s", default_ext(type));
  return out;
}

static bool type_accepted(const char *type) {
  for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++)
    if (strcmp(type, accepted[i]) == 0)
      return true;
  return false;
}

static concerto_status refuse_type(concerto_request *req, const tc_access *a,
                                   const char *patient) {
  tc_audit(req, a, "teleconsult.document.create",
           TC_H->req_printf(req, "session:%s", a->session_id), patient,
           "denied");
  return concerto_reply_problem(
      req, 415, "unsupported_document_type", "Unsupported Media Type",
      "Accepted documents: PDF, JPEG, PNG, DOCX and DICOM files.");
}

concerto_status tc_documents_upload(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_access(req, &a, &st))
    return st;
  if (tc_session_final(&a))
    return tc_conflict(req, "The session is closed.");
  const char *spid = concerto_query(req, "patient");
  const char *patient = NULL;
  if (spid && *spid) {
    const char *p[2] = {a.session_id, spid};
    if (tc_is_id(spid) &&
        (st = tc_value(req,
                       "SELECT patient_id::text FROM session_patients WHERE "
                       "id = $2::bigint AND session_id = $1::bigint",
                       2, p, &patient)) != CONCERTO_OK)
      return st;
    if (!patient)
      return tc_invalid(req, "patient", "unknown_patient",
                        "patient: not a patient of this session");
  } else {
    spid = NULL;
  }
  /* The type first (ABI 1.7): a refused document is never stored. On an
   * older core, take it and refuse afterwards (the 415 rolls the metadata
   * row back; the file stays for the store's sweep). */
  const char *type = CONCERTO_HOST_HAS(TC_H, req_upload_type)
                         ? TC_H->req_upload_type(req, NULL)
                         : NULL;
  if (type && !type_accepted(type))
    return refuse_type(req, &a, patient);
  concerto_blob blob = CONCERTO_BLOB_INIT_V1;
  st = TC_H->req_upload(req, &blob);
  if (st == CONCERTO_ERR_INVALID)
    return concerto_reply_problem(req, 400, "empty_upload", "Bad Request",
                                  "The body must be the document's bytes.");
  if (st != CONCERTO_OK)
    return st;
  if (!type_accepted(blob.content_type))
    return refuse_type(req, &a, patient);
  const char *filename =
      sanitize(req, concerto_query(req, "filename"), blob.content_type);
  char length[32];
  snprintf(length, sizeof length, "%llu", (unsigned long long)blob.length);
  const char *p[7] = {
      a.session_id,      spid,   blob.sha256,           filename,
      blob.content_type, length, TC_H->req_user_id(req)};
  json_t *out;
  st = tc_json_row(
      req,
      "WITH d AS (INSERT INTO documents (session_id, session_patient_id, "
      "sha256, filename, content_type, length, uploaded_by) VALUES "
      "($1::bigint, $2::bigint, $3, $4, $5, $6::bigint, $7::bigint) "
      "RETURNING *) SELECT " TC_DOCUMENT_JSON "::text FROM d",
      7, p, &out);
  if (st != CONCERTO_OK)
    return st;
  tc_audit(req, &a, "teleconsult.document.create",
           TC_H->req_printf(req, "session:%s:document:%s", a.session_id,
                            tc_str(out, "id")),
           patient, NULL);
  tc_publish_live(req, a.session_id, "document", out);
  return concerto_reply_json(req, 201, out);
}

concerto_status tc_documents_list(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_access(req, &a, &st))
    return st;
  const char *p[1] = {a.session_id};
  json_t *list;
  st = tc_json_rows(req,
                    "SELECT " TC_DOCUMENT_JSON "::text FROM documents d WHERE "
                    "d.session_id = $1::bigint ORDER BY d.id",
                    1, p, &list);
  if (st != CONCERTO_OK)
    return st;
  tc_audit(req, &a, "teleconsult.document.list",
           TC_H->req_printf(req, "session:%s", a.session_id), NULL, NULL);
  return concerto_reply_json(req, 200, json_pack("{s:o}", "documents", list));
}

/* The preamble of the document handlers: session {id} visible to the
 * caller (else 404), and its document {doc} - sha256, type, name,
 * patient, id - in *res. False when the answer is given: return *st. */
static bool session_document(concerto_request *req, tc_access *a,
                             concerto_result **res, concerto_status *st) {
  if (!tc_session_access(req, a, st))
    return false;
  const char *doc = concerto_param(req, "doc");
  const char *p[2] = {a->session_id, doc};
  *res = NULL;
  if (tc_is_id(doc) &&
      (*st = concerto_query_db(
           req,
           "SELECT d.sha256, d.content_type, d.filename, (SELECT "
           "sp.patient_id::text FROM session_patients sp WHERE sp.id = "
           "d.session_patient_id), d.id::text FROM documents d WHERE d.id = "
           "$2::bigint AND d.session_id = $1::bigint",
           2, p, res)) != CONCERTO_OK)
    return false;
  if (!*res || concerto_rows(*res) != 1) {
    *st = tc_not_found(req);
    return false;
  }
  return true;
}

concerto_status tc_document_content(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  concerto_result *res;
  if (!session_document(req, &a, &res, &st))
    return st;
  const char *download = concerto_query(req, "download");
  tc_audit(req, &a, "teleconsult.document.read",
           TC_H->req_printf(req, "session:%s:document:%s", a.session_id,
                            concerto_value(res, 0, 4)),
           concerto_value(res, 0, 3), NULL);
  return TC_H->respond_blob(
      req, concerto_value(res, 0, 0), concerto_value(res, 0, 1),
      concerto_value(res, 0, 2), download && strcmp(download, "1") == 0);
}

concerto_status tc_document_dicom(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  concerto_result *res;
  if (!session_document(req, &a, &res, &st))
    return st;
  if (strcmp(concerto_value(res, 0, 1), "application/dicom") != 0)
    return tc_conflict(req, "The document is not a DICOM file.");
  const void *data;
  size_t len;
  st = TC_H->blob_read(req, concerto_value(res, 0, 0), DICOM_MAX_BYTES, &data,
                       &len);
  if (st == CONCERTO_ERR_TOO_LARGE)
    return concerto_reply_problem(req, 413, "too_large", "Content Too Large",
                                  "DICOM metadata is read from files up to "
                                  "8 MiB.");
  if (st != CONCERTO_OK)
    return st;
  tc_audit(req, &a, "teleconsult.document.read",
           TC_H->req_printf(req, "session:%s:document:%s:dicom", a.session_id,
                            concerto_value(res, 0, 4)),
           concerto_value(res, 0, 3), NULL);
  concerto_dicom_tags t;
  if (concerto_dicom_parse(data, len, &t) != 0)
    return tc_conflict(req, "The document is not a readable DICOM file.");
  return concerto_reply_json(
      req, 200,
      json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "tags", "patient_name",
                t.patient_name, "patient_id", t.patient_id, "study_date",
                t.study_date, "modality", t.modality, "study_description",
                t.study_description, "transfer_syntax", t.transfer_syntax));
}
