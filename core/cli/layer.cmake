# The administrator's commands (concerto admin ...).
concerto_layer(cli
  SOURCES admin_cli.c admin_demo_modules.c blob_sweep.c bootstrap.c)
