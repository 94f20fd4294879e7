/* Invitations (R3.5): once a session has its time and room, each
 * participant gets an e-mail with a personal join link and a calendar
 * invitation (ICS), and an SMS when a phone is known. The link is the
 * participant's own (join.c): it works for people without an account (an
 * external specialist, the patient) and on the day, however far ahead the
 * invitation went out - a video token cannot be valid that long. */
#include <concerto/ics.h>

#include "tc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct invite_ctx {
  const char *session_id, *room, *theme, *when, *hospital, *page_url;
  long long starts, ends;
  bool no_video;  /* the hospital has no video platform (yet) */
  bool immediate; /* "consult now": running already (immediate.c) */
  concerto_ics_person organizer;
} invite_ctx;

/* One participant as the invitation needs them (request memory). */
typedef struct invitee {
  const char *participant_id, *user_id, *name, *email, *phone;
} invitee;

/* The e-mail text, Italian (the language of the region's invitations);
 * malloc'ed, NULL on out-of-memory. */
static char *mail_text(const invite_ctx *c, const invitee *who,
                       const char *join_url) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return NULL;
  fprintf(f, "Gentile %s,\n\n", who->name ? who->name : "partecipante");
  if (c->immediate)
    fprintf(f,
            "è richiesto/a SUBITO al teleconsulto urgente \"%s\" (%s), "
            "iniziato il %s.\n\nSi colleghi ora con questo collegamento "
            "personale:\n%s\n\n",
            c->theme, c->hospital, c->when, join_url);
  else
    fprintf(f,
            "è invitato/a al teleconsulto \"%s\" organizzato da %s (%s), "
            "fissato per il %s.\n\n"
            "Per partecipare apra questo collegamento personale all'ora "
            "indicata (la stanza video si apre 15 minuti prima "
            "dell'inizio):\n%s\n\n",
            c->theme, c->organizer.name ? c->organizer.name : "l'organizzatore",
            c->hospital, c->when, join_url);
  fprintf(f, "Il collegamento è personale: non lo inoltri ad altri.\n\n");
  if (c->no_video)
    fprintf(f, "La videoconferenza non è ancora disponibile per questo "
               "teleconsulto: l'organizzatore le comunicherà come "
               "collegarsi. Il collegamento qui sopra mostra data e ora "
               "aggiornate.\n\n");
  if (who->user_id)
    fprintf(f,
            "Documenti, commenti e decisioni sono nella pagina del "
            "teleconsulto (accesso con le sue credenziali):\n%s\n\n",
            c->page_url);
  fprintf(f, "In allegato l'invito da aggiungere al calendario "
             "(invito.ics).\n\nMessaggio automatico di Concerto, la "
             "piattaforma regionale di telemedicina.\n");
  fclose(f);
  return text;
}

static concerto_status send_mail_to(concerto_request *req, const invite_ctx *c,
                                    const invitee *who, const char *join_url) {
  /* The organizer and this recipient only: a patient's or an external
   * invitee's calendar entry must not list the clinicians' addresses (nor
   * theirs the patient's). */
  concerto_ics_person me = {who->name, who->email};
  concerto_ics_event ev = {
      .uid = TC_H->req_printf(req, "teleconsulto-%s-%s@concerto", c->session_id,
                              c->room),
      .dtstamp = (long long)time(NULL),
      .starts = c->starts,
      .ends = c->ends,
      .summary = TC_H->req_printf(req, "Teleconsulto: %s", c->theme),
      .description = TC_H->req_printf(
          req, "Teleconsulto organizzato da %s. Collegamento personale: %s",
          c->hospital, join_url),
      .url = join_url,
      .organizer = c->organizer,
      .attendees = &me,
      .nattendees = 1,
      .prodid = "-//Concerto//Teleconsulto//IT",
  };
  char *ics = concerto_ics_build(&ev);
  char *b64 = ics ? tc_base64(ics, strlen(ics)) : NULL;
  char *text = mail_text(c, who, join_url);
  concerto_status st = CONCERTO_ERR_NOMEM;
  if (ics && b64 && text) {
    json_t *msg = json_pack(
        "{s:[s], s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}", "to", who->email, "tag",
        tc_invitation_tag(req, who->participant_id), "subject",
        TC_H->req_printf(req, "%s: %s \xe2\x80\x93 %s",
                         c->immediate ? "URGENTE, teleconsulto in corso"
                                      : "Invito al teleconsulto",
                         c->theme, c->when),
        "text", text, "attachments", "filename", "invito.ics", "content_type",
        "text/calendar; method=REQUEST", "content_base64", b64);
    st = msg ? TC_H->send_mail(req, msg) : CONCERTO_ERR_NOMEM;
    json_decref(msg);
  }
  free(ics);
  free(b64);
  free(text);
  return st;
}

/* SMS is optional (no gateway: e-mail only), so it never fails the
 * confirmation; a refused message is logged without its number. */
static void send_sms_to(concerto_request *req, const invite_ctx *c,
                        const char *phone, const char *join_url) {
  static atomic_int sms_warned;
  json_t *sms = json_pack(
      "{s:s, s:s}", "to", phone, "text",
      TC_H->req_printf(req, "%s %s. Collegamento personale: %s",
                       c->immediate ? "Teleconsulto URGENTE in corso dal"
                                    : "Teleconsulto",
                       c->when, join_url));
  concerto_status st = sms ? TC_H->send_sms(req, sms) : CONCERTO_ERR_NOMEM;
  json_decref(sms);
  if (st == CONCERTO_ERR_UNSUPPORTED) {
    if (atomic_exchange(&sms_warned, 1) == 0)
      TC_H->log(tc_self, CONCERTO_LOG_INFO,
                "no SMS gateway configured: invitations by e-mail only");
  } else if (st != CONCERTO_OK) {
    TC_H->log(tc_self, CONCERTO_LOG_WARN,
              "session %s: SMS invitation refused (status %d)", c->session_id,
              (int)st);
  }
}

/* A fresh join link replaces the participant's previous one (only its hash
 * is stored, so an earlier link cannot be sent again). */
static concerto_status invite_one(concerto_request *req, const invite_ctx *c,
                                  const invitee *who, int *sent) {
  char token[TC_JOIN_TOKEN_LEN + 1], hash[65];
  if (!tc_join_token(token, hash))
    return CONCERTO_ERR_INTERNAL;
  const char *p[2] = {who->participant_id, hash};
  concerto_status st = concerto_query_db(
      req,
      "UPDATE participants SET join_hash = $2, invited_at = now() WHERE id = "
      "$1::bigint",
      2, p, NULL);
  if (st != CONCERTO_OK)
    return st;
  const char *join_url = TC_H->req_printf(
      req, "%s/modules/teleconsult/join.html#%s", tc_public_url(req), token);
  if (who->email) {
    if ((st = send_mail_to(req, c, who, join_url)) != CONCERTO_OK)
      return st;
    (*sent)++;
  }
  if (who->phone)
    send_sms_to(req, c, who->phone, join_url);
  return CONCERTO_OK;
}

/* Whether the hospital has a video platform: the organizer's own link is
 * asked for and dropped (nothing is stored; INVALID only means "too early
 * for a token", which the join link solves). */
static concerto_status probe_video(concerto_request *req, const invite_ctx *c,
                                   const char *organizer_id, bool *none) {
  tc_video_person who = {organizer_id,
                         c->organizer.name ? c->organizer.name : "organizer",
                         NULL, true};
  json_t *link;
  concerto_status st =
      tc_video_link(req, c->room, c->starts, c->ends, &who, &link);
  json_decref(link);
  *none = st == CONCERTO_ERR_UNSUPPORTED;
  return st == CONCERTO_OK || st == CONCERTO_ERR_UNSUPPORTED ||
                 st == CONCERTO_ERR_INVALID
             ? CONCERTO_OK
             : st;
}

static concerto_status load_ctx(concerto_request *req, const char *session_id,
                                invite_ctx *c, bool *ready) {
  const char *p[1] = {session_id};
  concerto_result *res;
  concerto_status st = concerto_query_db(
      req,
      "SELECT s.room, extract(epoch FROM s.starts_at)::bigint::text, "
      "extract(epoch FROM s.ends_at)::bigint::text, to_char(s.starts_at AT "
      "TIME ZONE 'Europe/Rome', 'DD/MM/YYYY \"alle ore\" HH24:MI'), s.theme, "
      "t.name, u.display_name, u.email, u.id::text, s.kind FROM sessions s "
      "JOIN "
      "concerto.tenants t ON t.id = s.tenant_id JOIN concerto.users u ON u.id "
      "= s.organizer_user_id WHERE s.id = $1::bigint AND s.room IS NOT NULL "
      "AND s.starts_at IS NOT NULL AND s.status IN ('scheduled', "
      "'in_progress')",
      1, p, &res);
  *ready = st == CONCERTO_OK && concerto_rows(res) == 1;
  if (!*ready)
    return st;
  *c = (invite_ctx){
      .session_id = session_id,
      .room = concerto_value(res, 0, 0),
      .starts = atoll(concerto_value(res, 0, 1)),
      .ends = atoll(concerto_value(res, 0, 2)),
      .when = concerto_value(res, 0, 3),
      .theme = concerto_value(res, 0, 4),
      .hospital = concerto_value(res, 0, 5),
      .organizer = {concerto_value(res, 0, 6), concerto_value(res, 0, 7)},
      .immediate = strcmp(concerto_value(res, 0, 9), "immediate") == 0,
      .page_url = TC_H->req_printf(
          req, "%s/modules/teleconsult/index.html#/sessions/%s",
          tc_public_url(req), session_id),
  };
  if (!c->organizer.email)
    c->organizer.email = "noreply@concerto.invalid";
  return probe_video(req, c, concerto_value(res, 0, 8), &c->no_video);
}

const char *tc_invitation_tag(concerto_request *req,
                              const char *participant_id) {
  return TC_H->req_printf(req, "teleconsult:participant:%s", participant_id);
}

/* What became of each participant's latest invitation mail, for the
 * organizers' participants list: "delivery" {state, attempts, error,
 * queued_at, sent_at} from the core's outbox, and "reachable" (an e-mail
 * or a phone to invite them at). A core older than ABI 1.11 gives no
 * states; the list still says who cannot be reached. */
concerto_status tc_delivery_states(concerto_request *req,
                                   json_t *participants) {
  json_t *tags = json_array();
  size_t i;
  json_t *p;
  json_array_foreach(participants, i, p) {
    const char *id = json_string_value(json_object_get(p, "id"));
    const char *email = json_string_value(json_object_get(p, "email"));
    const char *phone = json_string_value(json_object_get(p, "phone"));
    json_object_set_new(p, "reachable",
                        json_boolean((email && *email) || (phone && *phone)));
    if (id)
      json_array_append_new(tags, json_string(tc_invitation_tag(req, id)));
  }
  json_t *states = NULL;
  concerto_status st = CONCERTO_OK;
  if (CONCERTO_HOST_HAS(TC_H, mail_deliveries) && json_array_size(tags) > 0)
    st = TC_H->mail_deliveries(req, tags, &states);
  json_decref(tags);
  if (st != CONCERTO_OK)
    return st;
  json_array_foreach(participants, i, p) {
    const char *id = json_string_value(json_object_get(p, "id"));
    json_t *d = id ? json_object_get(states, tc_invitation_tag(req, id)) : NULL;
    if (d)
      json_object_set(p, "delivery", d);
  }
  json_decref(states);
  return CONCERTO_OK;
}

concerto_status tc_invite(concerto_request *req, const char *session_id,
                          const char *only_participant, int *sent) {
  *sent = 0;
  invite_ctx c;
  bool ready;
  concerto_status st = load_ctx(req, session_id, &c, &ready);
  if (st != CONCERTO_OK || !ready)
    return st; /* not scheduled yet: the confirmation invites everybody */
  const char *p[1] = {session_id};
  concerto_result *who;
  st = concerto_query_db(
      req,
      "SELECT p.id::text, p.user_id::text, coalesce(u.display_name, p.name, "
      "pt.given_name || ' ' || pt.surname), coalesce(p.email, u.email, "
      "pt.email), coalesce(p.phone, pt.phone) FROM participants p LEFT JOIN "
      "concerto.users u ON u.id = p.user_id LEFT JOIN concerto.patients pt ON "
      "pt.id = p.patient_id WHERE p.session_id = $1::bigint ORDER BY p.id",
      1, p, &who);
  if (st != CONCERTO_OK)
    return st;
  int n = concerto_rows(who);
  for (int i = 0; i < n; i++) {
    invitee one = {concerto_value(who, i, 0), concerto_value(who, i, 1),
                   concerto_value(who, i, 2), concerto_value(who, i, 3),
                   concerto_value(who, i, 4)};
    if (only_participant && strcmp(one.participant_id, only_participant) != 0)
      continue;
    if ((st = invite_one(req, &c, &one, sent)) != CONCERTO_OK)
      return st;
  }
  return CONCERTO_OK;
}
