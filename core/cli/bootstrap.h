/* First start: with CONCERTO_ADMIN_PASSWORD set and no staff account in the
 * database, creates the regional administrator "admin". Also applies the
 * configured password-hashing cost. */
#ifndef CONCERTO_CORE_BOOTSTRAP_H
#define CONCERTO_CORE_BOOTSTRAP_H

#include <stdbool.h>

#include "app.h"

/* False only when the database refused (the server must not start). */
bool bootstrap_admin(app *a);

#endif
