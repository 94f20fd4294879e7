/* The one host table of this core. Entries are only ever appended. */
#include "events.h"
#include "module_registry.h"
#include "scripts.h"
#include "request.h"

concerto_module *host_module_self(concerto_registrar *reg);
concerto_status host_register_route(concerto_registrar *reg,
                                    const concerto_route_spec *spec);
concerto_status host_register_config(concerto_registrar *reg,
                                     const concerto_config_spec *spec);
concerto_status host_register_migrations(concerto_registrar *reg,
                                         const char *dir);
concerto_status host_register_static(concerto_registrar *reg, const char *dir);
const char *host_module_dir(const concerto_module *m);
const char *host_config_string(const concerto_module *m, const char *key);
long long host_config_int(const concerto_module *m, const char *key);
int host_config_bool(const concerto_module *m, const char *key);
concerto_status
host_register_tenant_setting(concerto_registrar *reg,
                             const concerto_tenant_setting_spec *spec);
const char *host_tenant_setting(concerto_request *req, const concerto_module *m,
                                const char *key);
concerto_status host_send_mail(concerto_request *req, const json_t *message);
concerto_status host_req_upload(concerto_request *req, concerto_blob *out);
concerto_status host_blob_put(concerto_request *req, const void *data,
                              size_t len, concerto_blob *out);
concerto_status host_blob_read(concerto_request *req, const char *sha256,
                               size_t max, const void **data, size_t *len);
concerto_status host_respond_blob(concerto_request *req, const char *sha256,
                                  const char *content_type,
                                  const char *filename, int attachment);
concerto_status host_publish_live(concerto_request *req, const char *topic,
                                  const char *event, const json_t *data);
concerto_status host_respond_live(concerto_request *req, const char *topic);
concerto_status host_notify_user(concerto_request *req, const char *user_id,
                                 const char *title, const char *body);
concerto_status host_send_sms(concerto_request *req, const json_t *message);
concerto_status host_video_room(concerto_request *req, const json_t *spec,
                                json_t **out);
const char *host_req_upload_type(concerto_request *req, uint64_t *length);
void host_log(const concerto_module *m, concerto_log_level level,
              const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static const concerto_host the_host = {
    .size = sizeof(concerto_host),
    .abi_major = CONCERTO_ABI_MAJOR,
    .abi_minor = CONCERTO_ABI_MINOR,
    .core_version = CONCERTO_VERSION,
    .module_self = host_module_self,
    .register_route = host_register_route,
    .register_config = host_register_config,
    .register_migrations = host_register_migrations,
    .register_static = host_register_static,
    .subscribe = host_subscribe,
    .rule = host_rule,
    .module_dir = host_module_dir,
    .config_string = host_config_string,
    .config_int = host_config_int,
    .config_bool = host_config_bool,
    .log = host_log,
    .req_method = host_req_method,
    .req_path = host_req_path,
    .req_id = host_req_id,
    .req_param = host_req_param,
    .req_query = host_req_query,
    .req_header = host_req_header,
    .req_body = host_req_body,
    .req_json = host_req_json,
    .req_alloc = host_req_alloc,
    .req_strdup = host_req_strdup,
    .req_printf = host_req_printf,
    .set_header = host_set_header,
    .respond_json = host_respond_json,
    .respond_bytes = host_respond_bytes,
    .respond_problem = host_respond_problem,
    .db_query = host_db_query,
    .result_rows = host_result_rows,
    .result_cols = host_result_cols,
    .result_name = host_result_name,
    .result_value = host_result_value,
    .req_user_id = host_req_user_id,
    .req_username = host_req_username,
    .req_tenant = host_req_tenant,
    .req_tenant_id = host_req_tenant_id,
    .req_patient_id = host_req_patient_id,
    .req_has_role = host_req_has_role,
    .audit = host_audit,
    .publish = host_publish,
    .register_tenant_setting = host_register_tenant_setting,
    .tenant_setting = host_tenant_setting,
    .send_mail = host_send_mail,
    .req_upload = host_req_upload,
    .blob_put = host_blob_put,
    .blob_read = host_blob_read,
    .respond_blob = host_respond_blob,
    .publish_live = host_publish_live,
    .respond_live = host_respond_live,
    .notify_user = host_notify_user,
    .send_sms = host_send_sms,
    .video_room = host_video_room,
    .req_upload_type = host_req_upload_type,
    .req_bind_guest = host_req_bind_guest,
    .audit_for = host_audit_for,
};

const concerto_host *host_table(void) {
  return &the_host;
}
