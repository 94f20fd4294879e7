/* The invitation calendar: RFC 5545 shape, CRLF, folding at 75 octets
 * without splitting UTF-8, escaping, UTC times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <concerto/ics.h>

static char *build(const char *summary) {
  static const concerto_ics_person att[] = {
      {"Dott.ssa Anna Lupo", "anna.lupo@asp.example"},
      {"Mario \"Ext\" Rossi", "mario.rossi@example.org"},
  };
  concerto_ics_event ev = {
      .uid = "teleconsulto-42-tc-abc@concerto",
      .dtstamp = 1795420800, /* 2026-11-23T08:00:00Z */
      .starts = 1795424400,  /* 2026-11-23T09:00:00Z */
      .ends = 1795426200,    /* 2026-11-23T09:30:00Z */
      .summary = summary,
      .description = "Riga uno\nriga due; con virgola, e \\ barra",
      .url = "https://meet.example.org/tc-AbCdEfGhIjKlMnOpQrStUvWx",
      .organizer = {"Elena Russo", "org.pa@aou.example"},
      .attendees = att,
      .nattendees = 2,
  };
  return concerto_ics_build(&ev);
}

/* Joins folded lines back (CRLF + space -> nothing). */
static char *unfold(const char *s) {
  char *out = malloc(strlen(s) + 1), *o = out;
  for (; *s; s++) {
    if (s[0] == '\r' && s[1] == '\n' && s[2] == ' ') {
      s += 2;
      continue;
    }
    *o++ = *s;
  }
  *o = '\0';
  return out;
}

/* How many unfolded content lines start with `prefix`. */
static int count_lines(const char *ics, const char *prefix) {
  char *flat = unfold(ics);
  int n = 0;
  for (const char *l = flat; *l;) {
    if (strncmp(l, prefix, strlen(prefix)) == 0)
      n++;
    const char *end = strstr(l, "\r\n");
    if (!end)
      break;
    l = end + 2;
  }
  free(flat);
  return n;
}

static void shape_and_times(void **state) {
  (void)state;
  char *ics = build("Teleconsulto cardiologia");
  assert_non_null(ics);
  assert_true(strncmp(ics, "BEGIN:VCALENDAR\r\n", 17) == 0);
  assert_non_null(strstr(ics, "\r\nMETHOD:REQUEST\r\n"));
  assert_non_null(strstr(ics, "\r\nBEGIN:VEVENT\r\n"));
  assert_non_null(strstr(ics, "\r\nUID:teleconsulto-42-tc-abc@concerto\r\n"));
  assert_non_null(strstr(ics, "\r\nDTSTAMP:20261123T080000Z\r\n"));
  assert_non_null(strstr(ics, "\r\nDTSTART:20261123T090000Z\r\n"));
  assert_non_null(strstr(ics, "\r\nDTEND:20261123T093000Z\r\n"));
  assert_non_null(strstr(ics, "\r\nSUMMARY:Teleconsulto cardiologia\r\n"));
  char *flat = unfold(ics);
  assert_non_null(strstr(
      flat,
      "\r\nURL:https://meet.example.org/tc-AbCdEfGhIjKlMnOpQrStUvWx\r\n"));
  assert_non_null(strstr(
      flat,
      "\r\nLOCATION:https://meet.example.org/tc-AbCdEfGhIjKlMnOpQrStUvWx\r\n"));
  assert_non_null(strstr(
      flat, "\r\nORGANIZER;CN=\"Elena Russo\":mailto:org.pa@aou.example"));
  assert_non_null(strstr(flat, "CN=\"Dott.ssa Anna Lupo\":mailto:"
                               "anna.lupo@asp.example\r\n"));
  /* Quotes cannot appear inside a quoted parameter value. */
  assert_non_null(strstr(flat, "CN=\"Mario Ext Rossi\":mailto:"));
  assert_non_null(strstr(
      flat,
      "DESCRIPTION:Riga uno\\nriga due\\; con virgola\\, e \\\\ barra\r\n"));
  assert_true(strlen(ics) > 20 &&
              strcmp(ics + strlen(ics) - 15, "END:VCALENDAR\r\n") == 0);
  free(flat);
  free(ics);
}

static void crlf_and_folding(void **state) {
  (void)state;
  /* 200 octets of accented text: must fold, never inside a character. */
  char summary[400] = "";
  for (int i = 0; i < 40; i++)
    strcat(summary, "caffè ");
  char *ics = build(summary);
  assert_non_null(ics);
  const char *line = ics;
  int folded = 0;
  while (*line) {
    const char *end = strstr(line, "\r\n");
    assert_non_null(end);
    for (const char *c = line; c < end; c++)
      assert_true(*c != '\n' && *c != '\r'); /* no bare line ends */
    assert_true(end - line <= 75);
    if (*line == ' ') {
      folded++;
      /* A continuation never starts with a UTF-8 continuation byte. */
      assert_true(((unsigned char)line[1] & 0xC0) != 0x80);
    }
    line = end + 2;
  }
  assert_true(folded >= 2);
  char *flat = unfold(ics);
  char want[500];
  strcpy(want, "\r\nSUMMARY:");
  strcat(want, summary);
  strcat(want, "\r\n");
  assert_non_null(strstr(flat, want));
  free(flat);
  free(ics);
}

static void prodid_is_the_callers(void **state) {
  (void)state;
  concerto_ics_event ev = {.uid = "x",
                           .starts = 10,
                           .ends = 20,
                           .summary = "s",
                           .url = "u",
                           .organizer = {NULL, "a@b.it"}};
  char *ics = concerto_ics_build(&ev);
  assert_non_null(strstr(ics, "\r\nPRODID:-//Concerto//Concerto//IT\r\n"));
  free(ics);
  ev.prodid = "-//Concerto//Teleconsulto//IT";
  ics = concerto_ics_build(&ev);
  assert_non_null(strstr(ics, "\r\nPRODID:-//Concerto//Teleconsulto//IT\r\n"));
  free(ics);
}

/* Line breaks in any value - a summary, a UID, an address - must not
 * start a property of their own (a second ATTENDEE, a changed METHOD). */
static void values_cannot_inject_properties(void **state) {
  (void)state;
  static const concerto_ics_person att[] = {
      {"Eve\r\nATTENDEE:mailto:x@evil.example", "eve@example.org"},
      {"Bob", "bob@example.org\r\nMETHOD:CANCEL"},
  };
  concerto_ics_event ev = {.uid = "u1\r\nMETHOD:CANCEL",
                           .starts = 10,
                           .ends = 20,
                           .summary = "riga\r\nMETHOD:CANCEL",
                           .url = "https://meet.example.org/r\nX-A:b",
                           .organizer = {"Org\n", "org@example.org\r\nX:y"},
                           .attendees = att,
                           .nattendees = 2,
                           .prodid = "p\r\nMETHOD:CANCEL"};
  char *ics = concerto_ics_build(&ev);
  assert_non_null(ics);
  assert_int_equal(count_lines(ics, "METHOD:"), 1);
  assert_int_equal(count_lines(ics, "ATTENDEE"), 2);
  assert_int_equal(count_lines(ics, "X-"), 0);
  assert_int_equal(count_lines(ics, "X:"), 0);
  assert_non_null(strstr(ics, "\r\nSUMMARY:riga\\nMETHOD:CANCEL\r\n"));
  assert_non_null(strstr(ics, "\r\nUID:u1METHOD:CANCEL\r\n"));
  free(ics);
}

static void refuses_times_it_cannot_write(void **state) {
  (void)state;
  concerto_ics_event ev = {.uid = "x",
                           .starts = 10,
                           .ends = 253402300800LL, /* year 10000 */
                           .summary = "s",
                           .url = "u",
                           .organizer = {NULL, "a@b.it"}};
  assert_null(concerto_ics_build(&ev));
  ev.ends = 20;
  ev.dtstamp = -62167219201LL; /* before year 0 */
  assert_null(concerto_ics_build(&ev));
}

static void refuses_incomplete_events(void **state) {
  (void)state;
  concerto_ics_event ev = {.uid = "x",
                           .starts = 10,
                           .ends = 5,
                           .summary = "s",
                           .url = "u",
                           .organizer = {NULL, "a@b.it"}};
  assert_null(concerto_ics_build(&ev)); /* ends before it starts */
  ev.ends = 20;
  ev.organizer.email = NULL;
  assert_null(concerto_ics_build(&ev));
  assert_null(concerto_ics_build(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shape_and_times),
      cmocka_unit_test(crlf_and_folding),
      cmocka_unit_test(prodid_is_the_callers),
      cmocka_unit_test(values_cannot_inject_properties),
      cmocka_unit_test(refuses_times_it_cannot_write),
      cmocka_unit_test(refuses_incomplete_events),
  };
  return cmocka_run_group_tests_name("ics", tests, NULL, NULL);
}
