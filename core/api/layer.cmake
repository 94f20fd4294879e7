# The core's own HTTP routes.
concerto_layer(api
  SOURCES app_assemble.c core_routes.c routes_admin.c routes_audit.c routes_auth.c routes_events.c routes_inbox.c routes_jobs.c routes_outbound.c routes_patients.c routes_scripts.c routes_settings.c)
