/* iCalendar (RFC 5545) invitation text: pure, no host calls, unit-tested. */
#ifndef TELECONSULT_ICS_H
#define TELECONSULT_ICS_H

#include <stddef.h>

typedef struct tc_ics_person {
  const char *name;  /* may be NULL */
  const char *email; /* required */
} tc_ics_person;

typedef struct tc_ics_event {
  const char *uid;         /* stable per session: updates replace the event */
  long long dtstamp;       /* epoch seconds */
  long long starts, ends;  /* epoch seconds, written in UTC */
  const char *summary;     /* UTF-8 */
  const char *description; /* UTF-8, may be NULL */
  const char *url;         /* the video link, also the LOCATION */
  tc_ics_person organizer;
  const tc_ics_person *attendees;
  size_t nattendees;
} tc_ics_event;

/* The calendar text with METHOD:REQUEST, CRLF line ends and lines folded
 * at 75 octets (never inside a UTF-8 sequence). malloc'ed; NULL when out
 * of memory or a required field is missing. */
char *tc_ics_build(const tc_ics_event *ev);

#endif
