/* Builds invitation calendars. Kept free of the host so tests and fuzzers
 * link it alone; text values are escaped and folded as RFC 5545 requires,
 * since calendar clients reject (or silently truncate) long unfolded
 * lines. */
#include <concerto/ics.h>

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

/* A property value: TEXT escapes backslash, semicolon, comma and newlines
 * (RFC 5545 3.3.11); every value loses the other control characters, so
 * no value can end its line early and start a property of its own. */
static char *value_text(const char *s, bool text) {
  size_t n = strlen(s);
  char *out = malloc(n * 2 + 1), *o = out;
  if (!out)
    return NULL;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (text && (c == '\\' || c == ';' || c == ',')) {
      *o++ = '\\';
      *o++ = *s;
    } else if (text && c == '\n') {
      *o++ = '\\';
      *o++ = 'n';
    } else if (c >= 0x20 && c != 0x7F) {
      *o++ = *s;
    } else if (c == '\t' && text) {
      *o++ = *s;
    }
  }
  *o = '\0';
  return out;
}

static void prop(sbuf *b, const char *name, const char *value, bool text) {
  char *v = value_text(value, text);
  size_t n = v ? strlen(name) + strlen(v) + 2 : 0;
  char *l = v ? malloc(n) : NULL;
  if (!l) {
    free(v);
    b->failed = true;
    return;
  }
  snprintf(l, n, "%s:%s", name, v);
  line(b, l);
  free(l);
  free(v);
}

/* out[17]: YYYYMMDDTHHMMSSZ. False for a time gmtime cannot represent or
 * a year of more than four digits. */
static bool utc(char out[17], long long t) {
  time_t tt = (time_t)t;
  struct tm tm;
  if ((long long)tt != t || !gmtime_r(&tt, &tm))
    return false;
  return strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) == 16;
}

static void stamp(sbuf *b, const char *name, long long t) {
  char text[17];
  if (utc(text, t))
    prop(b, name, text, false);
  else
    b->failed = true;
}

/* CN is a parameter value: quoted, and quotes cannot appear inside. */
static void person(sbuf *b, const char *prefix, const concerto_ics_person *p) {
  char cn[256] = "";
  if (p->name) {
    size_t j = 0;
    for (const char *s = p->name; *s && j < sizeof cn - 1; s++)
      if (*s != '"' && (unsigned char)*s >= 0x20 && *s != 0x7F)
        cn[j++] = *s;
    cn[j] = '\0';
  }
  char *email = value_text(p->email, false);
  size_t n = email ? strlen(prefix) + strlen(cn) + strlen(email) + 32 : 0;
  char *l = email ? malloc(n) : NULL;
  if (!l) {
    free(email);
    b->failed = true;
    return;
  }
  if (cn[0])
    snprintf(l, n, "%s;CN=\"%s\":mailto:%s", prefix, cn, email);
  else
    snprintf(l, n, "%s:mailto:%s", prefix, email);
  line(b, l);
  free(l);
  free(email);
}

char *concerto_ics_build(const concerto_ics_event *ev) {
  if (!ev || !ev->uid || !ev->summary || !ev->url || !ev->organizer.email ||
      ev->ends <= ev->starts)
    return NULL;
  sbuf b = {0};
  line(&b, "BEGIN:VCALENDAR");
  line(&b, "VERSION:2.0");
  prop(&b, "PRODID", ev->prodid ? ev->prodid : "-//Concerto//Concerto//IT",
       true);
  line(&b, "CALSCALE:GREGORIAN");
  line(&b, "METHOD:REQUEST");
  line(&b, "BEGIN:VEVENT");
  prop(&b, "UID", ev->uid, false);
  stamp(&b, "DTSTAMP", ev->dtstamp);
  stamp(&b, "DTSTART", ev->starts);
  stamp(&b, "DTEND", ev->ends);
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
