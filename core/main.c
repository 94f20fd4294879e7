/* concerto: the server process. Reads the configuration, loads modules,
 * migrates the database, serves HTTP until SIGTERM or SIGINT, then drains
 * in-flight requests and exits 0. */
#include <getopt.h>
#include <limits.h>
#include <ltdl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "app_assemble.h"
#include "core_routes.h"
#include "log.h"
#include "migrate.h"
#include "admin_cli.h"
#include "bootstrap.h"
#include "events.h"
#include "jobs.h"
#include "module_registry.h"
#include "problem.h"
#include "roles.h"
#include "lua_functions.h"
#include "rule_registry.h"
#include "services_config.h"
#include "tenant_cache.h"
#include "notify.h"
#include "scripts.h"

#include <curl/curl.h>
#include "paths.h"
#include "server.h"
#include "server_key.h"

#define STARTUP_DB_WAIT_S 30

static void usage(FILE *out) {
  fprintf(
      out,
      "usage: concerto --config FILE [--check]\n"
      "       concerto --version\n"
      "\n"
      "  --config FILE  JSON configuration (see config/concerto.example.json)\n"
      "  --check        load configuration and modules, migrate, then exit\n"
      "Environment: CONCERTO_LISTEN=addr:port, CONCERTO_DATABASE_URL=...\n");
}

/* Connects for migrations, waiting a bounded time for PostgreSQL to come up
 * (a server started together with its database). */
static PGconn *connect_for_migrations(const char *url) {
  char msg[256] = "";
  for (int waited = 0;; waited++) {
    PGconn *pg = db_connect(url, NULL, "concerto-migrate", msg, sizeof msg);
    if (pg)
      return pg;
    if (waited >= STARTUP_DB_WAIT_S) {
      log_msg(CONCERTO_LOG_ERROR, NULL, NULL,
              "database unreachable after %d s: %s", STARTUP_DB_WAIT_S, msg);
      return NULL;
    }
    sleep(1);
  }
}

/* The core's own migrations: without them nothing can run, so a failure
 * stops the server. The modules' come while each loads
 * (module_registry_load), where a failure refuses only that module. */
static bool migrate_core(PGconn *pg, const char *core_sql_dir) {
  migration_set core = {0};
  char err[768] = "";
  bool ok = migration_set_load(&core, "core", "concerto", core_sql_dir, err,
                               sizeof err) &&
            migrate_run(pg, &core, 1, err, sizeof err);
  if (!ok)
    log_msg(CONCERTO_LOG_ERROR, NULL, NULL, "migrations: %s", err);
  migration_set_free(&core);
  return ok;
}

/* What start-up writes as the schema owner once the modules are loaded:
 * the roles the core and the modules declared (for the grants' key) and
 * the key the server acts for itself with. */
static bool register_with_database(app *a, PGconn *pg) {
  char err[768] = "";
  if (!roles_sync(a->roles, pg, err, sizeof err)) {
    log_msg(CONCERTO_LOG_ERROR, NULL, NULL, "migrations: %s", err);
    return false;
  }
  char host[128] = "", name[200];
  gethostname(host, sizeof host - 1);
  snprintf(name, sizeof name, "%s pid %ld", host, (long)getpid());
  if (!server_key_register(pg, name, a->server_key, err, sizeof err)) {
    log_msg(CONCERTO_LOG_ERROR, NULL, NULL, "%s", err);
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  const char *config_path = NULL;
  /* concerto admin [--config FILE] COMMAND ... */
  if (argc >= 2 && strcmp(argv[1], "admin") == 0) {
    int first = 2;
    if (argc >= 4 && strcmp(argv[2], "--config") == 0) {
      config_path = argv[3];
      first = 4;
    }
    argv[first - 1] = "admin";
    return admin_cli_main(argc - first + 1, argv + first - 1, config_path);
  }
  bool check_only = false;
  static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                       {"check", no_argument, 0, 'k'},
                                       {"version", no_argument, 0, 'v'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "c:kvh", opts, NULL)) != -1) {
    switch (ch) {
    case 'c':
      config_path = optarg;
      break;
    case 'k':
      check_only = true;
      break;
    case 'v':
      printf("concerto %s (plugin ABI %d.%d)\n", CONCERTO_VERSION,
             CONCERTO_ABI_MAJOR, CONCERTO_ABI_MINOR);
      return 0;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind < argc) {
    usage(stderr);
    return 2;
  }

  /* Block the shutdown signals before any thread exists, so every thread
   * inherits the mask and only sigwait below receives them. */
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
  signal(SIGPIPE, SIG_IGN);

  static app a;
  config_defaults(&a.cfg);
  char err[512];
  if (!config_load(&a.cfg, config_path, err, sizeof err) ||
      !services_config_check(&a.cfg, err, sizeof err)) {
    log_msg(CONCERTO_LOG_ERROR, NULL, NULL, "configuration: %s", err);
    config_free(&a.cfg);
    return 2;
  }
  log_set_level(a.cfg.log_level);
  log_msg(CONCERTO_LOG_INFO, NULL, NULL, "concerto %s starting (ABI %d.%d)",
          CONCERTO_VERSION, CONCERTO_ABI_MAJOR, CONCERTO_ABI_MINOR);

  int rc = 1;
  server *srv = NULL;
  PGconn *owner_pg = NULL; /* the schema owner's, during start-up only */
  lt_dlinit();
  a.app_conninfo =
      a.cfg.database_app_url ? a.cfg.database_app_url : a.cfg.database_url;
  a.app_user = a.cfg.database_app_url ? NULL : a.cfg.db_app_role;
  a.pool = db_pool_new(a.app_conninfo, a.app_user, a.cfg.db_pool_size,
                       a.cfg.db_acquire_timeout_ms);
  db_pool_set_statement_cache(a.pool, a.cfg.db_statement_cache);
  a.tenants = tenant_cache_new(a.app_conninfo, a.app_user, a.server_key);
  a.events = events_new();
  a.roles = roles_new();
  a.jobs = jobs_new();
  if (a.cfg.event_workers > 0) {
    a.event_pool = db_pool_new(a.app_conninfo, a.app_user, a.cfg.event_workers,
                               a.cfg.db_acquire_timeout_ms);
    db_pool_set_statement_cache(a.event_pool, a.cfg.db_statement_cache);
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  scripts_init();
  a.notify = notify_hub_new(a.app_conninfo, a.app_user);
  a.router = router_new();
  if (!a.pool || !a.router || !a.tenants || !a.events || !a.jobs ||
      !app_assemble(&a, err, sizeof err) ||
      !core_routes_register(&a, err, sizeof err)) {
    log_msg(CONCERTO_LOG_ERROR, NULL, NULL, "start-up: %s", err);
    goto out;
  }
  owner_pg = connect_for_migrations(a.cfg.database_url);
  if (!owner_pg || !migrate_core(owner_pg, concerto_core_sql_dir()))
    goto out;
  a.modules = module_registry_load(&a, owner_pg);
  a.metrics = a.modules ? metrics_new(router_count(a.router)) : NULL;
  if (!a.modules || !a.metrics || !register_with_database(&a, owner_pg))
    goto out;
  PQfinish(owner_pg);
  owner_pg = NULL;
  atomic_store(&a.migrations_ok, true);
  if (!bootstrap_admin(&a))
    goto out;
  tenant_cache_start(a.tenants);
  module_registry_start(a.modules);
  if (check_only) {
    rc = 0;
    goto out;
  }
  srv = server_start(&a);
  if (!srv)
    goto out;
  events_start(&a, a.cfg.event_workers);
  if (!jobs_start(&a))
    log_msg(CONCERTO_LOG_ERROR, NULL, NULL, "cannot start the job runners");
  notify_hub_on_tenants(a.notify, tenant_cache_changed, a.tenants);
  notify_hub_start(a.notify);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log_msg(CONCERTO_LOG_INFO, NULL, NULL,
          "signal %d: draining in-flight requests (up to %u s)", sig,
          a.cfg.shutdown_grace_s);
  server_stop(srv, a.cfg.shutdown_grace_s);
  jobs_stop(&a);
  events_stop(&a);
  rc = 0;

out:
  if (owner_pg)
    PQfinish(owner_pg);
  jobs_stop(&a);   /* before the modules whose handlers it calls go */
  events_stop(&a); /* the same */
  if (a.server_key[0] && a.pool)
    server_key_retire(a.pool, a.server_key);
  module_registry_free(a.modules);
  if (a.router)
    core_routes_free_targets(&a);
  router_free(a.router);
  metrics_free(a.metrics);
  events_free(a.events);
  jobs_free(a.jobs);
  roles_free(a.roles);
  problem_declared_free();
  rule_registry_free();
  lua_functions_free();
  notify_hub_free(a.notify);
  db_pool_free(a.event_pool);
  curl_global_cleanup();
  scripts_shutdown();
  tenant_cache_free(a.tenants);
  db_pool_free(a.pool);
  lt_dlexit();
  log_msg(CONCERTO_LOG_INFO, NULL, NULL, "concerto stopped (exit %d)", rc);
  config_free(&a.cfg);
  return rc;
}
