/* Text messages: message and configuration checks, and the exact request
 * bodies of the two gateway formats. The HTTP exchange itself runs in
 * integration_sms_video against a test double of the gateway. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sms.h"

static bool valid(const char *json) {
  json_t *m = json_loads(json, 0, NULL);
  assert_non_null(m);
  char err[160] = "";
  bool ok = sms_valid(m, err, sizeof err);
  if (!ok) {
    assert_true(err[0] != '\0');
    assert_null(strstr(err, "3331234567")); /* never the number */
  }
  json_decref(m);
  return ok;
}

static void messages_are_checked(void **state) {
  (void)state;
  assert_true(valid("{\"to\":\"+393331234567\",\"text\":\"Ciao\"}"));
  assert_true(valid("{\"to\":\"00393331234567\",\"text\":\"Ciao\"}"));
  assert_true(valid("{\"to\":\"3331234567\",\"text\":\"a\\nb\"}"));
  assert_false(valid("{\"to\":\"+39 3331234567\",\"text\":\"Ciao\"}"));
  assert_false(valid("{\"to\":\"+3933312\",\"text\":\"Ciao\"}")); /* 7 */
  assert_false(
      valid("{\"to\":\"+12345678901234567\",\"text\":\"x\"}")); /* 17 */
  assert_false(valid("{\"to\":\"+\",\"text\":\"Ciao\"}"));
  assert_false(valid("{\"to\":393331234567,\"text\":\"Ciao\"}"));
  assert_false(valid("{\"text\":\"Ciao\"}"));
  assert_false(valid("{\"to\":\"+393331234567\"}"));
  assert_false(valid("{\"to\":\"+393331234567\",\"text\":\"\"}"));
  assert_false(valid("{\"to\":\"+393331234567\",\"text\":\"a\\u0001b\"}"));
  assert_false(valid("[\"+393331234567\"]"));
}

/* 640 characters are allowed however many bytes they take. */
static void length_counts_characters(void **state) {
  (void)state;
  char text[641 * 2 + 1] = "";
  for (int i = 0; i < 640; i++)
    strcat(text, "\xc3\xa8"); /* è */
  json_t *m = json_pack("{s:s, s:s}", "to", "+393331234567", "text", text);
  char err[160];
  assert_true(sms_valid(m, err, sizeof err));
  strcat(text, "e");
  json_object_set_new(m, "text", json_string(text));
  assert_false(sms_valid(m, err, sizeof err));
  /* Malformed UTF-8 slipped in with jansson's *_nocheck. */
  json_object_set_new(m, "text", json_string_nocheck("a\xc3("));
  assert_false(sms_valid(m, err, sizeof err));
  json_object_set_new(m, "text", json_stringn("a\0b", 3)); /* NUL inside */
  assert_false(sms_valid(m, err, sizeof err));
  json_decref(m);
}

static void configuration_is_checked(void **state) {
  (void)state;
  char err[160];
  assert_true(sms_config_valid(NULL, NULL, NULL, NULL, err, sizeof err));
  assert_true(sms_config_valid("https://sms.example.it/v1/send", "t0k3n",
                               "ASPPalermo", "form", err, sizeof err));
  assert_false(sms_config_valid("https://sms.example.it", NULL, NULL, "xml",
                                err, sizeof err));
  assert_non_null(strstr(err, "sms_format"));
  assert_false(sms_config_valid("ftp://sms.example.it", NULL, NULL, NULL, err,
                                sizeof err));
  assert_non_null(strstr(err, "sms_url"));
  assert_false(sms_config_valid("https://sms.example.it", NULL, "TooLongSender",
                                NULL, err, sizeof err));
  assert_non_null(strstr(err, "sms_sender"));
  assert_false(sms_config_valid("https://sms.example.it", NULL, "ASP PA", NULL,
                                err, sizeof err));
  assert_false(sms_config_valid("https://sms.example.it", "a\r\nX-Evil: 1",
                                NULL, NULL, err, sizeof err));
  assert_non_null(strstr(err, "sms_token"));
  sms_format f;
  assert_true(sms_format_parse(NULL, &f));
  assert_int_equal(f, SMS_FORMAT_JSON);
  assert_true(sms_format_parse("form", &f));
  assert_int_equal(f, SMS_FORMAT_FORM);
}

static void bodies_have_the_wire_format(void **state) {
  (void)state;
  json_t *m = json_pack("{s:s, s:s}", "to", "+393331234567", "text",
                        "Visita \xc3\xa8 alle 9 & 30/\"A\"\nfine");
  sms_gateway gw = {"https://sms.example.it", "tok", "ASPPalermo",
                    SMS_FORMAT_JSON};
  const char *type = NULL;
  char *body = sms_body(&gw, m, &type);
  assert_string_equal(type, "application/json");
  assert_string_equal(body, "{\"from\":\"ASPPalermo\",\"to\":\"+393331234567\","
                            "\"text\":\"Visita \xc3\xa8 alle 9 & "
                            "30/\\\"A\\\"\\nfine\"}");
  free(body);
  gw.format = SMS_FORMAT_FORM;
  body = sms_body(&gw, m, &type);
  assert_string_equal(type, "application/x-www-form-urlencoded");
  assert_string_equal(body, "From=ASPPalermo&To=%2B393331234567&Body=Visita%20"
                            "%C3%A8%20alle%209%20%26%2030%2F%22A%22%0Afine");
  free(body);
  /* Without a configured sender the gateway's default applies. */
  gw.sender = NULL;
  body = sms_body(&gw, m, &type);
  assert_string_equal(body, "To=%2B393331234567&Body=Visita%20%C3%A8%20alle%209"
                            "%20%26%2030%2F%22A%22%0Afine");
  free(body);
  gw.format = SMS_FORMAT_JSON;
  body = sms_body(&gw, m, &type);
  assert_null(strstr(body, "from"));
  free(body);
  json_decref(m);
}

static void unreachable_gateway_fails_without_status(void **state) {
  (void)state;
  json_t *m = json_pack("{s:s, s:s}", "to", "+393331234567", "text", "x");
  sms_gateway gw = {"http://127.0.0.1:1/send", NULL, NULL, SMS_FORMAT_JSON};
  long status = -1;
  char err[160] = "";
  assert_false(sms_post(&gw, m, &status, err, sizeof err));
  assert_int_equal(status, 0);
  assert_null(strstr(err, "3331234567"));
  json_decref(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(messages_are_checked),
      cmocka_unit_test(length_counts_characters),
      cmocka_unit_test(configuration_is_checked),
      cmocka_unit_test(bodies_have_the_wire_format),
      cmocka_unit_test(unreachable_gateway_fails_without_status),
  };
  return cmocka_run_group_tests_name("sms", tests, NULL, NULL);
}
