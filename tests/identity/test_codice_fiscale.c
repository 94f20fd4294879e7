#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "codice_fiscale.h"

/* Every vector below was computed by tests/identity/cf_vectors.py, written
 * apart from the C code from the published odd/even tables; the first two are
 * the well-known examples it reproduces. */
typedef struct valid_case {
  const char *input, *normalized;
  char sex;
  int day, month, year2;
  const char *place;
  bool omocode;
} valid_case;

static const valid_case valid_cases[] = {
    {"RSSMRA80A01H501U", "RSSMRA80A01H501U", 'M', 1, 1, 80, "H501", false},
    {"RSSMRA70A01H501S", "RSSMRA70A01H501S", 'M', 1, 1, 70, "H501", false},
    /* A woman born 12 August 1985 in Milan: day 12 + 40. */
    {"BNCLRA85M52F205I", "BNCLRA85M52F205I", 'F', 12, 8, 85, "F205", false},
    /* Lower and mixed case are accepted and normalised. */
    {"rssmra80a01h501u", "RSSMRA80A01H501U", 'M', 1, 1, 80, "H501", false},
    {"RssMra80A01h501U", "RSSMRA80A01H501U", 'M', 1, 1, 80, "H501", false},
    /* Omocodia: last place digit, last two, the day, all seven. */
    {"RSSMRA80A01H50MM", "RSSMRA80A01H50MM", 'M', 1, 1, 80, "H501", true},
    {"RSSMRA80A01H5LMX", "RSSMRA80A01H5LMX", 'M', 1, 1, 80, "H501", true},
    {"RSSMRA80ALMH501X", "RSSMRA80ALMH501X", 'M', 1, 1, 80, "H501", true},
    {"RSSMRAULALMHRLMD", "RSSMRAULALMHRLMD", 'M', 1, 1, 80, "H501", true},
    {"BNCLRAURMRNFNLRN", "BNCLRAURMRNFNLRN", 'F', 12, 8, 85, "F205", true},
    {"rssmra80a01h50mm", "RSSMRA80A01H50MM", 'M', 1, 1, 80, "H501", true},
    /* February 29 when some century makes the year a leap year. */
    {"RSSMRA84B29H501U", "RSSMRA84B29H501U", 'M', 29, 2, 84, "H501", false},
    {"RSSMRA00B29H501Y", "RSSMRA00B29H501Y", 'M', 29, 2, 0, "H501", false},
    /* The last day a woman's code can hold: 31 + 40. */
    {"BNCLRA85A71F205O", "BNCLRA85A71F205O", 'F', 31, 1, 85, "F205", false},
    /* Born abroad: Z and the country number. */
    {"SMTJHN75C15Z404F", "SMTJHN75C15Z404F", 'M', 15, 3, 75, "Z404", false},
};

static void accepts_valid_codes(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof valid_cases / sizeof valid_cases[0]; i++) {
    const valid_case *c = &valid_cases[i];
    cf_info info;
    print_message("%s\n", c->input);
    assert_int_equal(cf_validate(c->input, &info), CF_OK);
    assert_string_equal(info.normalized, c->normalized);
    assert_int_equal(info.sex, c->sex);
    assert_int_equal(info.birth_day, c->day);
    assert_int_equal(info.birth_month, c->month);
    assert_int_equal(info.birth_year2, c->year2);
    assert_string_equal(info.place, c->place);
    assert_int_equal(info.omocode, c->omocode);
    /* Re-validating the normalised form is stable. */
    cf_info again;
    assert_int_equal(cf_validate(info.normalized, &again), CF_OK);
    assert_memory_equal(&info, &again, sizeof info);
    assert_int_equal(cf_validate(c->input, NULL), CF_OK);
  }
}

typedef struct invalid_case {
  const char *input;
  cf_status status;
} invalid_case;

/* The codes whose only fault is the month or the date carry a correct check
 * character (from cf_vectors.py), so the status shows that rule fired and
 * not merely the check. */
static const invalid_case invalid_cases[] = {
    {"RSSMRA80A01H501A", CF_ERR_CHECK}, /* U expected */
    {"RSSMRA80A01H50MU", CF_ERR_CHECK}, /* omocode needs its own check */
    {"RSSMRA80K01H501V", CF_ERR_MONTH}, /* K is no month */
    {"RSSMRA8011H501UU", CF_ERR_MONTH}, /* a digit for the month */
    {"RSSMRA80A32H501C", CF_ERR_DAY},   /* day 32 */
    {"RSSMRA80A00H501V", CF_ERR_DAY},   /* day 00 */
    {"RSSMRA80A40H501Z", CF_ERR_DAY},   /* day 40: a woman's day 0 */
    {"BNCLRA85A72F205T", CF_ERR_DAY},   /* day 72: a woman's day 32 */
    {"RSSMRA80D31H501D", CF_ERR_DAY},   /* 31 April */
    {"RSSMRA85B29H501V", CF_ERR_DAY},   /* 29 February, never leap */
    {"RSSMRA80A0AH501U", CF_ERR_DAY},   /* A is no omocodia letter */
    {"RSSMRA80A011501U", CF_ERR_PLACE}, /* a digit for the place letter */
    {"RSSMRA80A01H5A1U", CF_ERR_PLACE}, /* A is no omocodia letter */
    {"RSSMRA80A01H501", CF_ERR_LENGTH}, /* 15 */
    {"RSSMRA80A01H501UX", CF_ERR_LENGTH},
    {"", CF_ERR_LENGTH},
    {"RSSMRA80A01H501U ", CF_ERR_LENGTH},
    {"RSSMRA80A01 501U", CF_ERR_CHARS},
    {"RSSMRA80A01H501-", CF_ERR_CHARS},
    {"RSSMR180A01H501U", CF_ERR_CHARS},       /* a digit in the name letters */
    {"RSSMRA8AA01H501U", CF_ERR_CHARS},       /* A in the year */
    {"RSSMRA80A01H5011", CF_ERR_CHARS},       /* a digit as check character */
    {"RSSMRA80A01H50\xc3\xa9", CF_ERR_CHARS}, /* 16 bytes with an e-acute */
    {"RSSMRA80A01H501\xd5", CF_ERR_CHARS},
    {"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0",
     CF_ERR_CHARS},
};

static void rejects_invalid_codes(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof invalid_cases / sizeof invalid_cases[0]; i++) {
    cf_info info;
    memset(&info, 0x5a, sizeof info);
    print_message("%zu\n", i);
    assert_int_equal(cf_validate(invalid_cases[i].input, &info),
                     invalid_cases[i].status);
    /* Nothing half-filled is left for a caller to misuse. */
    cf_info zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&info, &zero, sizeof info);
  }
}

static void rejects_null_and_embedded_nul(void **state) {
  (void)state;
  cf_info info;
  assert_int_equal(cf_validate(NULL, &info), CF_ERR_LENGTH);
  assert_int_equal(cf_validate(NULL, NULL), CF_ERR_LENGTH);
  /* A NUL inside ends the string: 8 characters. */
  static const char embedded[] = "RSSMRA80\0A01H501U";
  assert_int_equal(cf_validate(embedded, &info), CF_ERR_LENGTH);
}

static void every_status_has_a_message(void **state) {
  (void)state;
  const char *seen[CF_ERR_CHECK + 1];
  for (int s = CF_OK; s <= CF_ERR_CHECK; s++) {
    seen[s] = cf_status_message((cf_status)s);
    assert_non_null(strstr(seen[s], "codice fiscale"));
    for (int k = 0; k < s; k++)
      assert_string_not_equal(seen[k], seen[s]);
  }
  assert_non_null(strstr(cf_status_message(CF_ERR_CHECK), "check"));
  assert_non_null(strstr(cf_status_message(CF_ERR_MONTH), "month"));
  assert_non_null(strstr(cf_status_message(CF_ERR_DAY), "day"));
  assert_non_null(strstr(cf_status_message(CF_ERR_PLACE), "place"));
  assert_non_null(strstr(cf_status_message(CF_ERR_LENGTH), "16"));
  assert_string_equal(cf_status_message((cf_status)99),
                      "codice fiscale is invalid");
  /* Codes for the UI's translation: one per error, stable. */
  assert_string_equal(cf_status_code(CF_ERR_CHECK), "cf_check");
  assert_string_equal(cf_status_code(CF_ERR_LENGTH), "cf_length");
  for (int s = CF_ERR_LENGTH; s <= CF_ERR_CHECK; s++)
    for (int k = CF_ERR_LENGTH; k < s; k++)
      assert_string_not_equal(cf_status_code((cf_status)k),
                              cf_status_code((cf_status)s));
  assert_string_equal(cf_status_code((cf_status)99), "invalid");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accepts_valid_codes),
      cmocka_unit_test(rejects_invalid_codes),
      cmocka_unit_test(rejects_null_and_embedded_nul),
      cmocka_unit_test(every_status_has_a_message),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
