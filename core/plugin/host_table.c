/* The one host table of this core. Entries are only ever appended. */
#include "blob_service.h"
#include "events.h"
#include "client.h"
#include "guest.h"
#include "host_adapters.h"
#include "jobs.h"
#include "live_service.h"
#include "mail.h"
#include "module_registry.h"
#include "outbound_http.h"
#include "request.h"
#include "scripts.h"
#include "sms.h"
#include "video.h"

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
    .register_event = host_register_event,
    .rule = scripts_run_rule,
    .register_rule = host_register_rule,
    .register_lua_function = host_register_lua_function,
    .module_dir = host_module_dir,
    .config_string = host_config_string,
    .config_int = host_config_int,
    .config_bool = host_config_bool,
    .log = host_log,
    .req_method = req_method,
    .req_path = req_path,
    .req_id = req_id,
    .req_param = req_param,
    .req_query = req_query,
    .req_header = req_header,
    .req_body = req_body,
    .req_json = req_json,
    .req_alloc = req_alloc,
    .req_strdup = req_strdup,
    .req_printf = req_printf,
    .set_header = req_set_header,
    .respond_json = req_respond_json,
    .respond_bytes = req_respond_bytes,
    .respond_problem = req_respond_problem,
    .db_query = req_db_query,
    .result_rows = result_rows,
    .result_cols = result_cols,
    .result_name = result_name,
    .result_value = result_value,
    .req_user_id = req_user_id,
    .req_username = req_username,
    .req_tenant = req_tenant,
    .req_tenant_id = req_tenant_id,
    .req_patient_id = req_patient_id,
    .req_has_role = req_has_role,
    .audit = audit_record,
    .publish = events_publish,
    .register_tenant_setting = host_register_tenant_setting,
    .tenant_setting = host_tenant_setting,
    .send_mail = mail_queue,
    .req_upload = blob_take_upload,
    .blob_put = blob_put,
    .blob_read = blob_read,
    .respond_blob = blob_respond,
    .publish_live = live_publish,
    .respond_live = live_respond,
    .notify_user = live_notify_user,
    .send_sms = sms_queue,
    .video_room = video_room_open,
    .req_upload_type = blob_upload_type,
    .req_bind_guest = guest_bind,
    .audit_for = audit_record_for,
    .req_bind_client = client_bind,
    .mail_deliveries = mail_deliveries,
    .register_service = host_register_service,
    .get_service = host_get_service,
    .service_enter = host_service_enter,
    .service_leave = host_service_leave,
    .register_role = host_register_role,
    .register_problem = host_register_problem,
    .respond_problem_fields = req_respond_problem_fields,
    .result_row_json = result_row_json,
    .register_job = host_register_job,
    .enqueue_job = jobs_enqueue,
    .http_request = outbound_http_request,
    .on_commit = req_on_commit,
    .tx_commit = req_tx_commit,
};

const concerto_host *host_table(void) {
  return &the_host;
}
