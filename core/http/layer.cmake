# HTTP: the server, the request object and its transaction, routing,
# static files, metrics, connection limits. Higher layers plug in through
# the hooks of app.h (authorisation, the audit writer, shutdown).
concerto_layer(http
  SOURCES caller.c conn_limit.c handler_util.c metrics.c mhd_message.c request.c request_bg.c request_caller.c request_db.c request_head.c router.c server.c static_files.c
  LIBS PkgConfig::MHD)
