/* libFuzzer: cf_validate on arbitrary bytes. Besides memory safety, checks
 * that an accepted code is stable: validating its normalized form gives the
 * same result, and the decoded fields are in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codice_fiscale.h"

static void require(int ok) {
  if (!ok)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  cf_info a, b;
  cf_status st = cf_validate(s, &a);
  require(cf_status_message(st) != NULL);
  if (st == CF_OK) {
    require(strlen(a.normalized) == 16 && strlen(a.place) == 4);
    require(a.sex == 'M' || a.sex == 'F');
    require(a.birth_day >= 1 && a.birth_day <= 31);
    require(a.birth_month >= 1 && a.birth_month <= 12);
    require(a.birth_year2 >= 0 && a.birth_year2 <= 99);
    require(cf_validate(a.normalized, &b) == CF_OK);
    require(strcmp(a.normalized, b.normalized) == 0 && a.sex == b.sex &&
            a.birth_day == b.birth_day && a.birth_month == b.birth_month &&
            a.birth_year2 == b.birth_year2 && strcmp(a.place, b.place) == 0 &&
            a.omocode == b.omocode);
  }
  /* The same code without an out parameter must get the same verdict. */
  require(cf_validate(s, NULL) == st);
  free(s);
  return 0;
}
