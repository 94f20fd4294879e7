/* A vendor's module built out of tree that uses another module's service:
 * it includes <concerto/notebook_v1.h> as installed beside the plugin API
 * (cmake --install) and finds the service through the host, nothing else
 * of the source tree. */
#include <concerto/concerto.h>
#include <concerto/notebook_v1.h>

static const notebook_v1 *notebook;
static size_t notebook_size;

static concerto_status count(concerto_request *req, void *ud) {
  (void)ud;
  long long n = -1;
  concerto_status st = notebook->count_notes(req, &n);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(req, 200,
                             json_pack("{s:I, s:I}", "count", (json_int_t)n,
                                       "table_size",
                                       (json_int_t)notebook_size));
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  if (!CONCERTO_HOST_HAS(host, get_service) ||
      host->get_service(reg, NOTEBOOK_SERVICE, NOTEBOOK_V1,
                        (const void **)&notebook,
                        &notebook_size) != CONCERTO_OK ||
      notebook_size < sizeof(notebook_v1))
    return CONCERTO_ERR_UNSUPPORTED;
  concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
  spec.method = "GET";
  spec.path = "/api/v1/vendor_notes/count";
  spec.handler = count;
  return host->register_route(reg, &spec);
}

static const char *const deps[] = {"notebook", NULL};

CONCERTO_MODULE_DEFINE(.name = "vendor_notes", .version = "0.1.0",
                       .vendor = "Example Vendor S.r.l.",
                       .description = "Counts notes through the notebook",
                       .depends = deps, .init = init)
