/* Test module "notebook": offers the service of concerto/notebook_v1.h.
 * Each function brackets its work with service_enter/service_leave, so it
 * runs as notebook (its schema, its event) inside the caller's request. */
#include <concerto/concerto.h>
#include <concerto/notebook_v1.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const concerto_module *self;

static concerto_status add_note(concerto_request *req, const char *text,
                                const char **id) {
  const concerto_host *h = concerto_module_host;
  if (!text || !*text || strlen(text) > 500)
    return CONCERTO_ERR_INVALID;
  concerto_service_frame frame = CONCERTO_SERVICE_FRAME_INIT;
  concerto_status st = h->service_enter(req, self, &frame);
  if (st != CONCERTO_OK)
    return st;
  concerto_result *res = NULL;
  const char *p[2] = {text, h->req_username(req)};
  /* Unqualified on purpose: the search path puts notebook first here. */
  st = concerto_query_db(req,
                         "INSERT INTO notes (text, written_by) VALUES ($1, "
                         "$2) RETURNING id::text, current_schema()",
                         2, p, &res);
  if (st == CONCERTO_OK && id)
    *id = h->req_strdup(req, concerto_value(res, 0, 0));
  if (st == CONCERTO_OK)
    st =
        h->publish(req, "notebook.note_added", 1,
                   json_pack("{s:s, s:s}", "note_id", concerto_value(res, 0, 0),
                             "schema", concerto_value(res, 0, 1)));
  if (st == CONCERTO_OK)
    st = h->audit(req, "notebook.note.create",
                  h->req_printf(req, "note:%s", concerto_value(res, 0, 0)),
                  NULL, NULL);
  h->service_leave(req, &frame);
  return st;
}

static concerto_status count_notes(concerto_request *req, long long *count) {
  const concerto_host *h = concerto_module_host;
  concerto_service_frame frame = CONCERTO_SERVICE_FRAME_INIT;
  concerto_status st = h->service_enter(req, self, &frame);
  if (st != CONCERTO_OK)
    return st;
  concerto_result *res = NULL;
  st = concerto_query_db(req, "SELECT count(*) FROM notes", 0, NULL, &res);
  if (st == CONCERTO_OK)
    *count = atoll(concerto_value(res, 0, 0));
  h->service_leave(req, &frame);
  return st;
}

static const notebook_v1 service = {add_note, count_notes};

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  self = host->module_self(reg);
  concerto_service_spec spec = CONCERTO_SERVICE_SPEC_INIT_V1;
  spec.name = NOTEBOOK_SERVICE;
  spec.version = NOTEBOOK_V1;
  spec.vtable = &service;
  spec.vtable_size = sizeof service;
  concerto_event_spec added = CONCERTO_EVENT_SPEC_INIT_V1;
  added.name = "notebook.note_added";
  added.version = 1;
  added.schema = "{\"type\":\"object\",\"required\":[\"note_id\",\"schema\"]}";
  added.description = "A note was written through the service";
  if (host->register_service(reg, &spec) != CONCERTO_OK ||
      host->register_service(reg, &spec) != CONCERTO_ERR_REG_DUPLICATE ||
      host->register_event(reg, &added) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  return host->register_migrations(reg, "sql");
}

CONCERTO_MODULE_DEFINE(.name = "notebook", .version = "1.0.0",
                       .vendor = "Concerto tests",
                       .description = "Offers the notebook service",
                       .init = init)
