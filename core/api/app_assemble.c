#include "app_assemble.h"

#include <stdio.h>

#include "audit.h"
#include "auth.h"
#include "jobs.h"
#include "lua_event_sink.h"
#include "mail.h"
#include "notify.h"
#include "roles.h"
#include "sms.h"
#include "webhook.h"

static void close_streams(app *a) {
  if (a->notify)
    notify_hub_close_all(a->notify);
}

bool app_assemble(app *a, char *err, size_t errlen) {
  a->hooks = (app_hooks){
      .authorize = auth_authorize,
      .flush_audit = audit_flush,
      .close_streams = close_streams,
  };
  if (!a->roles || !roles_add_core(a->roles)) {
    snprintf(err, errlen, "cannot declare the core's roles");
    return false;
  }
  if (!a->jobs || !jobs_add_core(a->jobs)) {
    snprintf(err, errlen, "cannot declare the core's jobs");
    return false;
  }
  if (!a->events || !webhook_sink_register(a->events) ||
      !lua_event_sink_register(a->events) || !mail_service_register(a) ||
      !sms_service_register(a)) {
    snprintf(err, errlen, "cannot register the event subscribers");
    return false;
  }
  return true;
}
