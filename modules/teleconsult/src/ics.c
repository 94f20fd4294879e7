/* Builds invitation calendars. Kept free of the host so tests link it
 * alone; text values are escaped and folded as RFC 5545 requires, since
 * calendar clients reject (or silently truncate) long unfolded lines. */
#include "ics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sbuf {
  char *p;
  size_t len, cap;
  bool failed;
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 1024;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) {
      b->failed = true;
      return;
    }
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

/* Appends one content line, folded: at most 75 octets per physical line,
 * continuation lines start with one space (which counts in the 75). */
static void line(sbuf *b, const char *text) {
  size_t n = strlen(text), used = 0, limit = 75;
  while (n - used > limit) {
    size_t cut = limit;
    /* Back off so a UTF-8 continuation byte never starts the next line. */
    while (cut > 1 && ((unsigned char)text[used + cut] & 0xC0) == 0x80)
      cut--;
    put(b, text + used, cut);
    put(b, "\r\n ", 3);
    used += cut;
    limit = 74;
  }
  put(b, text + used, n - used);
  put(b, "\r\n", 2);
}

/* TEXT escaping: backslash, semicolon, comma and newlines. */
static char *escape(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(n * 2 + 1), *o = out;
  if (!out)
    return NULL;
  for (; *s; s++) {
    if (*s == '\\' || *s == ';' || *s == ',') {
      *o++ = '\\';
      *o++ = *s;
    } else if (*s == '\n') {
      *o++ = '\\';
      *o++ = 'n';
    } else if (*s != '\r') {
      *o++ = *s;
    }
  }
  *o = '\0';
  return out;
}

static void prop(sbuf *b, const char *name, const char *value, bool text) {
  char *v = text ? escape(value) : NULL;
  if (text && !v) {
    b->failed = true;
    return;
  }
  size_t n = strlen(name) + strlen(v ? v : value) + 2;
  char *l = malloc(n);
  if (!l) {
    free(v);
    b->failed = true;
    return;
  }
  snprintf(l, n, "%s:%s", name, v ? v : value);
  line(b, l);
  free(l);
  free(v);
}

static void utc(char out[17], long long t) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* CN is a parameter value: quoted, and quotes cannot appear inside. */
static void person(sbuf *b, const char *prefix, const tc_ics_person *p) {
  char cn[256] = "";
  if (p->name) {
    size_t j = 0;
    for (const char *s = p->name; *s && j < sizeof cn - 1; s++)
      if (*s != '"' && *s != '\r' && *s != '\n')
        cn[j++] = *s;
    cn[j] = '\0';
  }
  size_t n = strlen(prefix) + strlen(cn) + strlen(p->email) + 32;
  char *l = malloc(n);
  if (!l) {
    b->failed = true;
    return;
  }
  if (cn[0])
    snprintf(l, n, "%s;CN=\"%s\":mailto:%s", prefix, cn, p->email);
  else
    snprintf(l, n, "%s:mailto:%s", prefix, p->email);
  line(b, l);
  free(l);
}

char *tc_ics_build(const tc_ics_event *ev) {
  if (!ev || !ev->uid || !ev->summary || !ev->url || !ev->organizer.email ||
      ev->ends <= ev->starts)
    return NULL;
  sbuf b = {0};
  char t[17];
  line(&b, "BEGIN:VCALENDAR");
  line(&b, "VERSION:2.0");
  line(&b, "PRODID:-//Concerto//Teleconsulto//IT");
  line(&b, "CALSCALE:GREGORIAN");
  line(&b, "METHOD:REQUEST");
  line(&b, "BEGIN:VEVENT");
  prop(&b, "UID", ev->uid, false);
  utc(t, ev->dtstamp);
  prop(&b, "DTSTAMP", t, false);
  utc(t, ev->starts);
  prop(&b, "DTSTART", t, false);
  utc(t, ev->ends);
  prop(&b, "DTEND", t, false);
  prop(&b, "SUMMARY", ev->summary, true);
  if (ev->description)
    prop(&b, "DESCRIPTION", ev->description, true);
  prop(&b, "LOCATION", ev->url, true);
  prop(&b, "URL", ev->url, false);
  person(&b, "ORGANIZER", &ev->organizer);
  for (size_t i = 0; i < ev->nattendees; i++)
    if (ev->attendees[i].email)
      person(&b,
             "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE",
             &ev->attendees[i]);
  line(&b, "SEQUENCE:0");
  line(&b, "STATUS:CONFIRMED");
  line(&b, "END:VEVENT");
  line(&b, "END:VCALENDAR");
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  return b.p;
}
