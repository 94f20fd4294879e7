/* Where the core finds its own files. */
#ifndef CONCERTO_CORE_PATHS_H
#define CONCERTO_CORE_PATHS_H

/* The core's SQL migrations: CONCERTO_SQL_DIR; else
 * <bin>/../share/concerto/sql beside an installed binary; else the source
 * tree the binary was built from. Static storage. */
const char *concerto_core_sql_dir(void);

#endif
