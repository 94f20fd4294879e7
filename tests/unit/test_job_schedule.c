/* When jobs run (core/jobs/job_schedule.c): the `every` of a job spec, the
 * interval slots every server computes alike, the spec check, and the
 * retry backoff shared with the outbox (core/base/backoff.h). Daily slots
 * across daylight saving are PostgreSQL's (tests/integration/test_jobs.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "backoff.h"
#include "job_schedule.h"
#include "jobs.h"

static void parses_intervals_and_daily_times(void **state) {
  (void)state;
  job_every e;
  char err[200];
  assert_true(job_every_parse(NULL, &e, err, sizeof err));
  assert_int_equal(e.kind, JOB_ON_DEMAND);
  assert_true(job_every_parse("45s", &e, err, sizeof err));
  assert_int_equal(e.kind, JOB_INTERVAL);
  assert_int_equal(e.seconds, 45);
  assert_true(job_every_parse("15m", &e, err, sizeof err));
  assert_int_equal(e.seconds, 900);
  assert_true(job_every_parse("6h", &e, err, sizeof err));
  assert_int_equal(e.seconds, 6 * 3600);
  assert_true(job_every_parse("7d", &e, err, sizeof err));
  assert_int_equal(e.seconds, 7 * 86400);
  assert_true(job_every_parse("daily 02:30", &e, err, sizeof err));
  assert_int_equal(e.kind, JOB_DAILY);
  assert_int_equal(e.hour, 2);
  assert_int_equal(e.minute, 30);
  assert_true(job_every_parse("daily 00:00", &e, err, sizeof err));
  assert_true(job_every_parse("daily 23:59", &e, err, sizeof err));
}

static void refuses_what_it_cannot_schedule(void **state) {
  (void)state;
  job_every e;
  char err[200] = "";
  const char *bad[] = {"",
                       "0s",
                       "8d",
                       "45",
                       "s",
                       "-5m",
                       "1.5h",
                       "10 m",
                       "1w",
                       "daily 24:00",
                       "daily 12:60",
                       "daily 2:30",
                       "daily 02:30:00",
                       "daily",
                       "every tuesday",
                       "1234567s"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    err[0] = '\0';
    assert_false(job_every_parse(bad[i], &e, err, sizeof err));
    assert_true(strlen(err) > 10);
  }
}

static void interval_slots_are_the_same_everywhere(void **state) {
  (void)state;
  long long at;
  /* The first slot strictly after now, at multiples of the interval. */
  assert_int_equal(job_interval_slot(60, 1000, &at), 17);
  assert_int_equal(at, 1020);
  assert_int_equal(job_interval_slot(60, 1020, &at), 18);
  assert_int_equal(at, 1080);
  assert_int_equal(job_interval_slot(60, 1079, &at), 18);
  assert_int_equal(job_interval_slot(1, 5, &at), 6);
  assert_int_equal(at, 6);
  char key[48];
  job_interval_key(60, 18, key, sizeof key);
  assert_string_equal(key, "60s:18");
}

static concerto_status nothing(concerto_request *ctx, const concerto_job *job,
                               void *ud) {
  (void)ctx;
  (void)job;
  (void)ud;
  return CONCERTO_OK;
}

static void checks_specs(void **state) {
  (void)state;
  char err[200];
  concerto_job_spec s = CONCERTO_JOB_SPEC_INIT_V1;
  s.name = "reminders.send";
  s.handler = nothing;
  assert_true(jobs_spec_check(&s, err, sizeof err));
  s.every = "daily 07:00";
  assert_true(jobs_spec_check(&s, err, sizeof err));
  s.scope = 7;
  assert_false(jobs_spec_check(&s, err, sizeof err));
  s.scope = CONCERTO_JOB_REGIONAL;
  s.name = "Reminders";
  assert_false(jobs_spec_check(&s, err, sizeof err));
  s.name = "ok";
  s.handler = NULL;
  assert_false(jobs_spec_check(&s, err, sizeof err));
  s.handler = nothing;
  s.size = 8;
  assert_false(jobs_spec_check(&s, err, sizeof err));
  /* Declared once per owner. */
  s.size = sizeof s;
  jobs *j = jobs_new();
  assert_int_equal(jobs_add(j, NULL, &s), CONCERTO_OK);
  assert_int_equal(jobs_add(j, NULL, &s), CONCERTO_ERR_REG_DUPLICATE);
  const job_def *d = jobs_find(j, "concerto", "ok");
  assert_non_null(d);
  assert_int_equal(d->timeout_s, 300);
  assert_int_equal(d->every.kind, JOB_DAILY);
  jobs_free(j);
}

static void backoff_doubles_up_to_an_hour(void **state) {
  (void)state;
  assert_int_equal(backoff_ms(1000, 1), 1000);
  assert_int_equal(backoff_ms(1000, 2), 2000);
  assert_int_equal(backoff_ms(1000, 5), 16000);
  assert_int_equal(backoff_ms(1000, 40), BACKOFF_CAP_MS);
  assert_int_equal(backoff_ms(50, 3), 200);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parses_intervals_and_daily_times),
      cmocka_unit_test(refuses_what_it_cannot_schedule),
      cmocka_unit_test(interval_slots_are_the_same_everywhere),
      cmocka_unit_test(checks_specs),
      cmocka_unit_test(backoff_doubles_up_to_an_hour),
  };
  return cmocka_run_group_tests_name("job_schedule", tests, NULL, NULL);
}
