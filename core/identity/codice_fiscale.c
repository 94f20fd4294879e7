#include "codice_fiscale.h"

#include <string.h>

#define CF_LEN 16

/* January to December (DM 23/12/1976). */
static const char month_letters[] = "ABCDEHLMPRST";
/* Omocodia: when two people would get the same code, the Agenzia replaces
 * digits (from the right) by these letters, 0 to 9. */
static const char omocode_letters[] = "LMNPQRSTUV";
/* Values of the characters in odd positions (1st, 3rd, ...), indexed by the
 * letter's place in the alphabet; a digit d counts as the d-th letter. */
static const int odd_values[26] = {1,  0,  5,  7,  9,  13, 15, 17, 19,
                                   21, 2,  4,  18, 20, 11, 3,  6,  8,
                                   12, 14, 16, 10, 22, 25, 24, 23};
static const int digit_positions[] = {6, 7, 9, 10, 12, 13, 14};

static bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* The digit at a numeric position, omocodia letters decoded; -1 when c is
 * neither a digit nor one of those letters. */
static int digit_value(char c) {
  if (is_digit(c))
    return c - '0';
  for (int i = 0; i < 10; i++)
    if (omocode_letters[i] == c)
      return i;
  return -1;
}

static int month_number(char c) {
  for (int i = 0; i < 12; i++)
    if (month_letters[i] == c)
      return i + 1;
  return 0;
}

/* The century is not in the code: February 29 is possible exactly when the
 * two-digit year is a multiple of 4 (00 thanks to 2000; 1900 and 2100 are
 * the only exceptions and they share 00 with 2000). */
static int days_in_month(int month, int year2) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && year2 % 4 == 0 ? 29 : days[month - 1];
}

static char check_char(const char *s) {
  int sum = 0;
  for (int i = 0; i < CF_LEN - 1; i++) {
    int v = is_digit(s[i]) ? s[i] - '0' : s[i] - 'A';
    sum += i % 2 == 0 ? odd_values[v] : v; /* index 0 is position 1: odd */
  }
  return (char)('A' + sum % 26);
}

cf_status cf_validate(const char *cf, cf_info *out) {
  if (out)
    memset(out, 0, sizeof *out);
  if (!cf || strnlen(cf, CF_LEN + 1) != CF_LEN)
    return CF_ERR_LENGTH;

  char s[CF_LEN + 1];
  for (int i = 0; i < CF_LEN; i++) {
    char c = cf[i];
    if (c >= 'a' && c <= 'z')
      c = (char)(c - 'a' + 'A');
    if (!is_upper(c) && !is_digit(c))
      return CF_ERR_CHARS; /* also every non-ASCII byte */
    s[i] = c;
  }
  s[CF_LEN] = '\0';

  for (int i = 0; i < 6; i++)
    if (!is_upper(s[i]))
      return CF_ERR_CHARS;
  if (!is_upper(s[15]) || digit_value(s[6]) < 0 || digit_value(s[7]) < 0)
    return CF_ERR_CHARS;
  int year2 = digit_value(s[6]) * 10 + digit_value(s[7]);

  int month = month_number(s[8]);
  if (month == 0)
    return CF_ERR_MONTH;

  if (digit_value(s[9]) < 0 || digit_value(s[10]) < 0)
    return CF_ERR_DAY;
  int day = digit_value(s[9]) * 10 + digit_value(s[10]);
  char sex = 'M';
  if (day > 40) { /* women: day + 40 */
    day -= 40;
    sex = 'F';
  }
  if (day < 1 || day > days_in_month(month, year2))
    return CF_ERR_DAY;

  if (!is_upper(s[11]) || digit_value(s[12]) < 0 || digit_value(s[13]) < 0 ||
      digit_value(s[14]) < 0)
    return CF_ERR_PLACE;

  /* Computed over the characters as written: omocodia letters included. */
  if (check_char(s) != s[15])
    return CF_ERR_CHECK;

  if (out) {
    memcpy(out->normalized, s, sizeof out->normalized);
    out->sex = sex;
    out->birth_day = day;
    out->birth_month = month;
    out->birth_year2 = year2;
    out->place[0] = s[11];
    for (int i = 0; i < 3; i++)
      out->place[1 + i] = (char)('0' + digit_value(s[12 + i]));
    out->place[4] = '\0';
    for (size_t i = 0; i < sizeof digit_positions / sizeof *digit_positions;
         i++)
      if (!is_digit(s[digit_positions[i]]))
        out->omocode = true;
  }
  return CF_OK;
}

const char *cf_status_code(cf_status status) {
  switch (status) {
  case CF_OK:
    return "valid";
  case CF_ERR_LENGTH:
    return "cf_length";
  case CF_ERR_CHARS:
    return "cf_chars";
  case CF_ERR_MONTH:
    return "cf_month";
  case CF_ERR_DAY:
    return "cf_day";
  case CF_ERR_PLACE:
    return "cf_place";
  case CF_ERR_CHECK:
    return "cf_check";
  }
  return "invalid";
}

const char *cf_status_message(cf_status status) {
  switch (status) {
  case CF_OK:
    return "codice fiscale is valid";
  case CF_ERR_LENGTH:
    return "codice fiscale must be exactly 16 characters long";
  case CF_ERR_CHARS:
    return "codice fiscale has a character not allowed at its position";
  case CF_ERR_MONTH:
    return "codice fiscale has an invalid birth month letter";
  case CF_ERR_DAY:
    return "codice fiscale has an invalid birth day";
  case CF_ERR_PLACE:
    return "codice fiscale has an invalid place of birth code";
  case CF_ERR_CHECK:
    return "codice fiscale check character does not match";
  }
  return "codice fiscale is invalid";
}
