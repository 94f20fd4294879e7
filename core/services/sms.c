#include "sms.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Optional '+', then 8-16 digits: E.164 allows 15, a few national
 * gateways accept a leading 00 instead of '+', hence 16. */
static bool number_valid(const char *s) {
  if (!s)
    return false;
  if (*s == '+')
    s++;
  size_t n = 0;
  for (; *s; s++, n++)
    if (*s < '0' || *s > '9')
      return false;
  return n >= 8 && n <= 16;
}

/* Code points of well-formed UTF-8 without control characters other than
 * newline and tab; -1 otherwise. Modules may build strings with jansson's
 * *_nocheck functions, so well-formedness is checked here once more. */
static long utf8_chars(const char *s, size_t len) {
  long chars = 0;
  for (size_t i = 0; i < len; chars++) {
    unsigned char c = (unsigned char)s[i];
    size_t n = c < 0x80             ? 1
               : (c & 0xe0) == 0xc0 ? 2
               : (c & 0xf0) == 0xe0 ? 3
               : (c & 0xf8) == 0xf0 ? 4
                                    : 0;
    if (n == 0 || i + n > len || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
      return -1;
    for (size_t k = 1; k < n; k++)
      if (((unsigned char)s[i + k] & 0xc0) != 0x80)
        return -1;
    if (n == 1 && c < 0x20 && c != '\n' && c != '\r' && c != '\t')
      return -1;
    i += n;
  }
  return chars;
}

bool sms_valid(const json_t *msg, char *err, size_t errlen) {
  if (!json_is_object(msg)) {
    snprintf(err, errlen, "the message must be an object");
    return false;
  }
  if (!number_valid(json_string_value(json_object_get(msg, "to")))) {
    snprintf(err, errlen, "to: a phone number, optional '+' and 8-16 digits");
    return false;
  }
  const json_t *text = json_object_get(msg, "text");
  long chars = json_is_string(text) ? utf8_chars(json_string_value(text),
                                                 json_string_length(text))
                                    : -1;
  if (chars < 1 || chars > SMS_MAX_CHARS) {
    snprintf(err, errlen, "text: 1 to %d characters of UTF-8 text",
             SMS_MAX_CHARS);
    return false;
  }
  return true;
}

bool sms_format_parse(const char *s, sms_format *out) {
  if (!s || strcmp(s, "json") == 0)
    *out = SMS_FORMAT_JSON;
  else if (strcmp(s, "form") == 0)
    *out = SMS_FORMAT_FORM;
  else
    return false;
  return true;
}

static bool sender_valid(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > SMS_SENDER_MAX)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9')))
      return false;
  return true;
}

bool sms_config_valid(const char *url, const char *token, const char *sender,
                      const char *format, char *err, size_t errlen) {
  sms_format f;
  if (!sms_format_parse(format, &f)) {
    snprintf(err, errlen, "sms_format: expected \"json\" or \"form\"");
    return false;
  }
  if (url && strncmp(url, "https://", 8) != 0 &&
      strncmp(url, "http://", 7) != 0) {
    snprintf(err, errlen, "sms_url: expected an http:// or https:// URL");
    return false;
  }
  if (url && strpbrk(url, " \t\r\n")) {
    snprintf(err, errlen, "sms_url: must not contain spaces");
    return false;
  }
  if (token && (strpbrk(token, "\r\n") || strlen(token) > 512)) {
    snprintf(err, errlen, "sms_token: one line, up to 512 characters");
    return false;
  }
  if (sender && !sender_valid(sender)) {
    snprintf(err, errlen,
             "sms_sender: 1 to %d letters and digits (an alphanumeric "
             "sender id)",
             SMS_SENDER_MAX);
    return false;
  }
  return true;
}

/* Appends "Name=<percent-encoded value>" to a form body. */
static bool form_field(char **body, const char *name, const char *value) {
  char *enc = curl_easy_escape(NULL, value, 0);
  if (!enc)
    return false;
  char *grown = NULL;
  int n = asprintf(&grown, "%s%s%s=%s", *body ? *body : "", *body ? "&" : "",
                   name, enc);
  curl_free(enc);
  if (n < 0)
    return false;
  free(*body);
  *body = grown;
  return true;
}

char *sms_body(const sms_gateway *gw, const json_t *msg,
               const char **content_type) {
  const char *to = json_string_value(json_object_get(msg, "to"));
  const char *text = json_string_value(json_object_get(msg, "text"));
  if (gw->format == SMS_FORMAT_FORM) {
    *content_type = "application/x-www-form-urlencoded";
    char *body = NULL;
    if ((gw->sender && !form_field(&body, "From", gw->sender)) ||
        !form_field(&body, "To", to) || !form_field(&body, "Body", text)) {
      free(body);
      return NULL;
    }
    return body;
  }
  *content_type = "application/json";
  json_t *o = json_object();
  if (gw->sender)
    json_object_set_new(o, "from", json_string(gw->sender));
  json_object_set_new(o, "to", json_string(to));
  json_object_set_new(o, "text", json_string(text));
  char *body = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return body;
}

/* The gateway's answer is not needed (it may echo the number): dropped. */
static size_t discard(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return size * n;
}

bool sms_post(const sms_gateway *gw, const json_t *msg, long *http_status,
              char *err, size_t errlen) {
  *http_status = 0;
  if (!gw->url || !*gw->url) {
    snprintf(err, errlen, "no sms_url configured");
    return false;
  }
  const char *type;
  char *body = sms_body(gw, msg, &type);
  CURL *c = curl_easy_init();
  if (!body || !c) {
    free(body);
    curl_easy_cleanup(c);
    snprintf(err, errlen, "out of memory");
    return false;
  }
  char line[600];
  struct curl_slist *headers = NULL;
  snprintf(line, sizeof line, "Content-Type: %s", type);
  headers = curl_slist_append(headers, line);
  headers = curl_slist_append(headers, "Accept: application/json");
  if (gw->token && *gw->token) {
    snprintf(line, sizeof line, "Authorization: Bearer %s", gw->token);
    headers = curl_slist_append(headers, line);
  }
  curl_easy_setopt(c, CURLOPT_URL, gw->url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  CURLcode cc = curl_easy_perform(c);
  if (cc == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http_status);
  bool ok = cc == CURLE_OK && *http_status >= 200 && *http_status < 300;
  if (cc != CURLE_OK)
    snprintf(err, errlen, "SMS gateway: %s", curl_easy_strerror(cc));
  else if (!ok)
    snprintf(err, errlen, "SMS gateway answered HTTP %ld", *http_status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  free(body);
  return ok;
}
