/* libFuzzer target: the iCalendar writer (libs/ics) with arbitrary text in
 * every value. The input is split at NUL bytes into summary, description,
 * UID, URL, organizer name and address, then attendees' names and
 * addresses. Whatever the text, the calendar must keep its shape: CRLF
 * line ends only, physical lines of at most 75 octets, and exactly the
 * content lines the event asks for - a value never adds a property. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <concerto/ics.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FIELDS 16

/* Checks the physical lines; returns the number of content lines. */
static size_t content_lines(const char *ics) {
  size_t lines = 0;
  for (const char *l = ics; *l;) {
    const char *end = strstr(l, "\r\n");
    if (!end || end - l > 75)
      abort();
    for (const char *c = l; c < end; c++)
      if (*c == '\r' || *c == '\n')
        abort();
    if (*l != ' ')
      lines++;
    l = end + 2;
  }
  return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  const char *field[MAX_FIELDS] = {0};
  size_t nfield = 0;
  for (size_t i = 0; i <= size && nfield < MAX_FIELDS;) {
    field[nfield++] = text + i;
    i += strlen(text + i) + 1;
  }
  concerto_ics_person att[(MAX_FIELDS - 6) / 2];
  size_t natt = 0;
  for (size_t i = 6; i + 1 < nfield; i += 2)
    att[natt++] = (concerto_ics_person){field[i], field[i + 1]};
  concerto_ics_event ev = {
      .uid = field[2] ? field[2] : "uid",
      .dtstamp = 1795420800,
      .starts = 1795424400,
      .ends = 1795426200,
      .summary = field[0],
      .description = field[1],
      .url = field[3] ? field[3] : "https://meet.example.org/r",
      .organizer = {field[4], field[5] ? field[5] : "org@example.org"},
      .attendees = att,
      .nattendees = natt,
  };
  char *ics = concerto_ics_build(&ev);
  if (ics) {
    /* 18 fixed lines, the description and one line per attendee. */
    size_t want = 18 + (ev.description ? 1 : 0) + natt;
    if (content_lines(ics) != want)
      abort();
    free(ics);
  } else if (ev.summary) {
    abort(); /* a complete event is always written */
  }
  free(text);
  return 0;
}
