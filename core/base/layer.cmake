# Plain building blocks with no knowledge of HTTP or the database: the
# arena, logging, JSON text, hashing, content sniffing, problem codes,
# configuration, paths, tokens, the blob files and setting shapes.
concerto_layer(base
  SOURCES arena.c blob_store.c config.c json_schema.c json_text.c log.c paths.c
    problem.c setting_spec.c sha256.c sniff.c struct_compat.c tokens.c utf8.c
  LIBS concerto::plugin-api PkgConfig::JANSSON PkgConfig::CRYPTO Threads::Threads m)
target_compile_definitions(concerto_base PUBLIC
  CONCERTO_VERSION="${PROJECT_VERSION}")
target_compile_definitions(concerto_base PRIVATE
  CONCERTO_DEFAULT_SQL_DIR="${CMAKE_SOURCE_DIR}/sql")
