/* Validation of the Italian codice fiscale of a natural person: its layout,
 * birth month and day, place-code shape, omocodia substitutions and check
 * character. It does not check that the place code exists (that needs the
 * Agenzia delle Entrate table) nor that the name letters match a name.
 * Pure functions, no allocation, thread-safe. See
 * docs/identity-validation.md for the rules. */
#ifndef CONCERTO_CORE_CODICE_FISCALE_H
#define CONCERTO_CORE_CODICE_FISCALE_H

#include <stdbool.h>

/* The first failure found, checked in this order. */
typedef enum cf_status {
  CF_OK = 0,
  CF_ERR_LENGTH, /* not exactly 16 bytes */
  CF_ERR_CHARS,  /* a byte that is not an ASCII letter or digit, a digit in
                    the name letters or the check character, or a year that
                    is not two digits (or omocodia letters) */
  CF_ERR_MONTH,  /* month letter not one of A B C D E H L M P R S T */
  CF_ERR_DAY,    /* day not two digits, not 1-31 or 41-71, or not in that
                    month */
  CF_ERR_PLACE,  /* place code not a letter and three digits */
  CF_ERR_CHECK,  /* check character does not match the other 15 */
} cf_status;

typedef struct cf_info {
  char normalized[17]; /* upper case, omocodia letters kept as given */
  char sex;            /* 'M' or 'F' */
  int birth_day;       /* 1-31, the +40 for women removed */
  int birth_month;     /* 1-12 */
  int birth_year2;     /* 0-99: the century is not encoded */
  char place[5];       /* omocodia decoded, e.g. "H501" */
  bool omocode;        /* some digit was replaced by a letter */
} cf_info;

/* Validates cf (any case; NUL-terminated, any bytes). out may be NULL; when
 * given it is zeroed and, only on CF_OK, filled in. cf stays the caller's.
 * February 29 is accepted when the two-digit year is a multiple of 4, that
 * is when some century makes it a leap year (00 in 2000). */
cf_status cf_validate(const char *cf, cf_info *out);

/* A short English sentence for status, naming the part of the code that is
 * wrong, for the message of a 422 field error (the UI translates). A static
 * string: never free it. Unknown values get a generic message. */
const char *cf_status_message(cf_status status);
/* The stable code of status for the field error ("cf_length", "cf_chars",
 * "cf_month", "cf_day", "cf_place", "cf_check"; "invalid" for unknown
 * values), by which the UI shows the message in the user's language.
 * A static string. */
const char *cf_status_code(cf_status status);

#endif
