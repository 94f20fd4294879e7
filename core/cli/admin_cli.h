/* `concerto admin ...`: operator commands run directly against the
 * database as its owner (hospitals, modules, users, passwords, API tokens,
 * audit verification, demo data). Every change writes an audit row with
 * actor "system" and the operator's OS user name. */
#ifndef CONCERTO_CORE_ADMIN_CLI_H
#define CONCERTO_CORE_ADMIN_CLI_H

/* argv[0] is "admin". Returns the process exit status. */
int admin_cli_main(int argc, char **argv, const char *config_path);

#endif
