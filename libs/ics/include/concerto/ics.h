/* libs/ics: iCalendar (RFC 5545) invitations - one VEVENT with METHOD
 * REQUEST, the text escaped and folded as calendar clients require. Pure
 * (no host), unit-tested and fuzzed (libs/ics/tests/).
 *
 * Version 1 (CONCERTO_ICS_VERSION): only ever grows - new members are
 * added at the end of concerto_ics_event, so initialise it with designated
 * initializers and leave what you do not set zero; an incompatible change
 * would be a new header concerto/ics_v2.h (libs/README.md). */
#ifndef CONCERTO_ICS_H
#define CONCERTO_ICS_H

#include <stddef.h>

#define CONCERTO_ICS_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

typedef struct concerto_ics_person {
  const char *name;  /* may be NULL */
  const char *email; /* required; a person without one is skipped */
} concerto_ics_person;

/* Every pointer is borrowed for the call to concerto_ics_build. */
typedef struct concerto_ics_event {
  const char *uid;         /* stable per event: an update replaces it */
  long long dtstamp;       /* epoch seconds */
  long long starts, ends;  /* epoch seconds, written in UTC; ends > starts */
  const char *summary;     /* UTF-8 */
  const char *description; /* UTF-8, may be NULL */
  const char *url;         /* the video link, also the LOCATION */
  concerto_ics_person organizer;
  const concerto_ics_person *attendees;
  size_t nattendees;
  /* PRODID, e.g. "-//Concerto//Teleconsulto//IT"; NULL for
   * "-//Concerto//Concerto//IT". */
  const char *prodid;
} concerto_ics_event;

/* The calendar text with CRLF line ends and lines folded at 75 octets
 * (never inside a UTF-8 sequence). malloc'ed: the caller frees it with
 * free(). NULL when memory is short or a required field is missing. */
char *concerto_ics_build(const concerto_ics_event *ev);

#ifdef __cplusplus
}
#endif

#endif
