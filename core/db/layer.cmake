# PostgreSQL: the connection pool, migrations, the server key.
concerto_layer(db
  SOURCES db_pool.c migrate.c server_key.c stmt_cache.c
  LIBS PkgConfig::PQ)
