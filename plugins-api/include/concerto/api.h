/* Concerto plugin API — inline wrappers over the host table.
 *
 * `concerto_param(req, "id")` reads better than
 * `concerto_module_host->req_param(req, "id")`; both are the same call. The
 * ownership rules of host.h apply unchanged. */
#ifndef CONCERTO_API_H
#define CONCERTO_API_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CONCERTO_H_ (concerto_module_host)

static inline const char *concerto_param(const concerto_request *r,
                                         const char *name) {
  return CONCERTO_H_->req_param(r, name);
}
static inline const char *concerto_query(const concerto_request *r,
                                         const char *name) {
  return CONCERTO_H_->req_query(r, name);
}
static inline const char *concerto_header(const concerto_request *r,
                                          const char *name) {
  return CONCERTO_H_->req_header(r, name);
}
static inline concerto_status concerto_json_body(concerto_request *r,
                                                 json_t **out) {
  return CONCERTO_H_->req_json(r, out);
}
static inline void *concerto_alloc(concerto_request *r, size_t size) {
  return CONCERTO_H_->req_alloc(r, size);
}
static inline concerto_status
concerto_reply_json(concerto_request *r, unsigned status, json_t *body) {
  return CONCERTO_H_->respond_json(r, status, body);
}
static inline concerto_status
concerto_reply_problem(concerto_request *r, unsigned status, const char *code,
                       const char *title, const char *detail) {
  return CONCERTO_H_->respond_problem(r, status, code, title, detail);
}
static inline concerto_status concerto_query_db(concerto_request *r,
                                                const char *sql, int nparams,
                                                const char *const *params,
                                                concerto_result **out) {
  return CONCERTO_H_->db_query(r, sql, nparams, params, out);
}
static inline int concerto_rows(const concerto_result *res) {
  return CONCERTO_H_->result_rows(res);
}
static inline const char *concerto_value(const concerto_result *res, int row,
                                         int col) {
  return CONCERTO_H_->result_value(res, row, col);
}

#undef CONCERTO_H_

#ifdef __cplusplus
}
#endif
#endif
