#include "mail.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool header_safe(const char *s) {
  for (; s && *s; s++)
    if (*s == '\r' || *s == '\n')
      return false;
  return s != NULL;
}

static bool address_valid(const char *a) {
  if (!a || strlen(a) > 254 || !header_safe(a))
    return false;
  const char *at = strchr(a, '@');
  return at && at != a && at[1] && !strchr(at + 1, '@') &&
         !strpbrk(a, " <>,;\"");
}

bool mail_tag_valid(const char *tag) {
  size_t n = tag ? strlen(tag) : 0;
  if (n == 0 || n > MAIL_TAG_MAX)
    return false;
  return strspn(tag, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789:._-") == n;
}

bool mail_valid(const json_t *msg, char *err, size_t errlen) {
  json_t *to = json_object_get(msg, "to");
  if (!json_is_array(to) || json_array_size(to) == 0 ||
      json_array_size(to) > MAIL_MAX_RECIPIENTS) {
    snprintf(err, errlen, "to: 1 to %d addresses", MAIL_MAX_RECIPIENTS);
    return false;
  }
  size_t i;
  json_t *a;
  json_array_foreach(to, i, a) if (!address_valid(json_string_value(a))) {
    snprintf(err, errlen, "to[%zu]: not an e-mail address", i);
    return false;
  }
  const char *subject = json_string_value(json_object_get(msg, "subject"));
  if (!subject || strlen(subject) > 300 || !header_safe(subject)) {
    snprintf(err, errlen, "subject: one line, up to 300 bytes");
    return false;
  }
  if (!json_is_string(json_object_get(msg, "text"))) {
    snprintf(err, errlen, "text: required");
    return false;
  }
  json_t *tag = json_object_get(msg, "tag");
  if (tag && !mail_tag_valid(json_string_value(tag))) {
    snprintf(err, errlen, "tag: 1-120 of A-Z a-z 0-9 : . _ -");
    return false;
  }
  json_array_foreach(json_object_get(msg, "attachments"), i, a) {
    const char *name = json_string_value(json_object_get(a, "filename"));
    const char *type = json_string_value(json_object_get(a, "content_type"));
    if (!name || !type || !header_safe(name) || !header_safe(type) ||
        strchr(name, '"') || strlen(name) > 200 ||
        !json_is_string(json_object_get(a, "content_base64"))) {
      snprintf(err, errlen,
               "attachments[%zu]: filename, content_type, "
               "content_base64",
               i);
      return false;
    }
  }
  return true;
}

typedef struct text {
  char *p;
  size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    size_t cap = (t->cap + n + 1) * 2;
    char *grown = realloc(t->p, cap);
    if (!grown)
      return;
    t->p = grown;
    t->cap = cap;
  }
  memcpy(t->p + t->len, s, n);
  t->len += n;
  t->p[t->len] = '\0';
}

static void puts_(text *t, const char *s) {
  put(t, s, strlen(s));
}

/* Base64 in 76-character lines (RFC 2045). */
static void put_base64(text *t, const unsigned char *data, size_t len) {
  for (size_t off = 0; off < len; off += 57) {
    size_t n = len - off < 57 ? len - off : 57;
    unsigned char line[80];
    int w = EVP_EncodeBlock(line, data + off, (int)n);
    put(t, (const char *)line, (size_t)w);
    puts_(t, "\r\n");
  }
}

/* A header value as an RFC 2047 encoded word when it is not plain ASCII. */
static void put_header_text(text *t, const char *s) {
  bool ascii = true;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    ascii &= *p < 0x80;
  if (ascii) {
    puts_(t, s);
    return;
  }
  puts_(t, "=?UTF-8?B?");
  unsigned char *enc = malloc(4 * ((strlen(s) + 2) / 3) + 1);
  if (enc) {
    int w = EVP_EncodeBlock(enc, (const unsigned char *)s, (int)strlen(s));
    put(t, (const char *)enc, (size_t)w);
    free(enc);
  }
  puts_(t, "?=");
}

char *mail_compose(const char *from, const json_t *msg, long long now,
                   const char *message_id) {
  text t = {0};
  char line[512], date[64];
  time_t when = (time_t)now;
  struct tm tm;
  gmtime_r(&when, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  snprintf(line, sizeof line, "Date: %s\r\nFrom: %s\r\nTo: ", date, from);
  puts_(&t, line);
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(msg, "to"), i, a) {
    if (i)
      puts_(&t, ", ");
    puts_(&t, json_string_value(a));
  }
  puts_(&t, "\r\nSubject: ");
  put_header_text(&t, json_string_value(json_object_get(msg, "subject")));
  snprintf(line, sizeof line,
           "\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"concerto-%s\"\r\n\r\n"
           "--concerto-%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n",
           message_id, message_id, message_id);
  puts_(&t, line);
  const char *body = json_string_value(json_object_get(msg, "text"));
  put_base64(&t, (const unsigned char *)body, strlen(body));
  json_array_foreach(json_object_get(msg, "attachments"), i, a) {
    snprintf(line, sizeof line,
             "--concerto-%s\r\nContent-Type: %s; name=\"%s\"\r\n"
             "Content-Disposition: attachment; filename=\"%s\"\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\n",
             message_id, json_string_value(json_object_get(a, "content_type")),
             json_string_value(json_object_get(a, "filename")),
             json_string_value(json_object_get(a, "filename")));
    puts_(&t, line);
    /* Re-wrap the given base64 into 76-character lines. */
    const char *b64 = json_string_value(json_object_get(a, "content_base64"));
    size_t n = strlen(b64);
    for (size_t off = 0; off < n; off += 76) {
      put(&t, b64 + off, n - off < 76 ? n - off : 76);
      puts_(&t, "\r\n");
    }
  }
  snprintf(line, sizeof line, "--concerto-%s--\r\n", message_id);
  puts_(&t, line);
  return t.p;
}

typedef struct upload {
  const char *data;
  size_t len, off;
} upload;

static size_t read_upload(char *buf, size_t size, size_t n, void *ud) {
  upload *u = ud;
  size_t want = size * n, left = u->len - u->off;
  size_t take = want < left ? want : left;
  memcpy(buf, u->data + u->off, take);
  u->off += take;
  return take;
}

/* The bare address of "Name <addr>" (or the whole text). */
static void bare_address(const char *from, char *out, size_t outlen) {
  const char *lt = strchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
  if (lt && gt)
    snprintf(out, outlen, "<%.*s>", (int)(gt - lt - 1), lt + 1);
  else
    snprintf(out, outlen, "<%s>", from);
}

bool mail_send(const char *url, const char *user, const char *password,
               const char *from, const json_t *msg, char *err, size_t errlen) {
  if (!url || !*url) {
    snprintf(err, errlen, "no smtp_url configured");
    return false;
  }
  char id[64];
  snprintf(id, sizeof id, "%llx.%lx@concerto", (long long)time(NULL),
           (unsigned long)random());
  char *text_ = mail_compose(from, msg, (long long)time(NULL), id);
  if (!text_) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  CURL *c = curl_easy_init();
  struct curl_slist *rcpt = NULL;
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(msg, "to"), i, a) {
    char r[300];
    snprintf(r, sizeof r, "<%s>", json_string_value(a));
    rcpt = curl_slist_append(rcpt, r);
  }
  char mail_from[300];
  bare_address(from, mail_from, sizeof mail_from);
  upload u = {text_, strlen(text_), 0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(c, CURLOPT_READDATA, &u);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (user && *user) {
    curl_easy_setopt(c, CURLOPT_USERNAME, user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
  }
  CURLcode cc = curl_easy_perform(c);
  if (cc != CURLE_OK)
    snprintf(err, errlen, "SMTP: %s", curl_easy_strerror(cc));
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(c);
  free(text_);
  return cc == CURLE_OK;
}
