/* The `concerto` library. See lua_lib.h and docs/scripting.md. */
#include "lua_lib.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codice_fiscale.h"
#include "log.h"
#include "lua_box_internal.h"
#include "lua_json.h"
#include "lua_time.h"

/* Longest message concerto.log writes; longer ones are cut. */
#define LOG_MAX_BYTES 500

/* ---- logging ---- */

static void write_log(lua_State *L, concerto_log_level level, const char *msg,
                      size_t len) {
  if (!log_enabled(level) || !lua_box_log_allowed(L))
    return;
  if (len > LOG_MAX_BYTES) {
    len = LOG_MAX_BYTES;
    /* Do not cut a UTF-8 sequence in two. */
    while (len > 0 && ((unsigned char)msg[len] & 0xC0) == 0x80)
      len--;
  }
  char where[LUA_IDSIZE + 16] = "?";
  lua_Debug ar;
  for (int level_up = 1; lua_getstack(L, level_up, &ar); level_up++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0) {
      snprintf(where, sizeof where, "%s:%d", ar.short_src, ar.currentline);
      break;
    }
  }
  log_msg(level, "lua", NULL, "%s: %.*s", where, (int)len, msg);
}

static int l_log(lua_State *L) {
  static const char *const names[] = {"debug", "info", "warn", "error", NULL};
  static const concerto_log_level levels[] = {
      CONCERTO_LOG_DEBUG, CONCERTO_LOG_INFO, CONCERTO_LOG_WARN,
      CONCERTO_LOG_ERROR};
  int i = luaL_checkoption(L, 1, NULL, names);
  size_t len;
  const char *msg = luaL_tolstring(L, 2, &len);
  write_log(L, levels[i], msg, len);
  return 0;
}

int lua_lib_print(lua_State *L) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1)
      luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len;
  const char *msg = lua_tolstring(L, -1, &len);
  write_log(L, CONCERTO_LOG_INFO, msg, len);
  return 0;
}

/* ---- time ---- */

static int l_now(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lua_box_now(L));
  return 1;
}

static bool local_zone(lua_State *L, int idx) {
  static const char *const zones[] = {"utc", "local", NULL};
  return luaL_checkoption(L, idx, "utc", zones) == 1;
}

static int l_date(lua_State *L) {
  bool local = local_zone(L, 3);
  const char *fmt =
      luaL_optstring(L, 1, local ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%dT%H:%M:%SZ");
  long long t = luaL_optinteger(L, 2, (lua_Integer)lua_box_now(L));
  /* Only conversions that mean the same on every platform and locale. */
  if (strlen(fmt) > 128)
    return luaL_error(L, "date: format longer than 128 bytes");
  for (const char *p = fmt; *p; p++)
    if (*p == '%') {
      p++;
      if (!*p || !strchr("aAbBdeFHIjmMpSTuwyY%", *p))
        return luaL_error(L, "date: conversion '%%%c' is not supported",
                          *p ? *p : ' ');
    }
  time_t tt = (time_t)(t + (local ? lua_time_rome_offset(t) : 0));
  struct tm tm;
  if (!gmtime_r(&tt, &tm))
    return luaL_error(L, "date: time out of range");
  char buf[512];
  /* The format was checked above against a fixed list of conversions. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  size_t n = strftime(buf, sizeof buf, fmt, &tm);
#pragma GCC diagnostic pop
  if (n == 0 && *fmt)
    return luaL_error(L, "date: result too long");
  lua_pushlstring(L, buf, n);
  return 1;
}

static bool two_digits(const char *s, int *out) {
  if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
    return false;
  *out = (s[0] - '0') * 10 + (s[1] - '0');
  return true;
}

/* "YYYY-MM-DD", optionally followed by " HH:MM" or "THH:MM", ":SS" and
 * "Z" (UTC; without it the time is Italian civil time). */
static bool parse_datetime(const char *s, size_t len, int f[6], bool *utc) {
  memset(f, 0, 6 * sizeof f[0]);
  *utc = false;
  if (len < 10 || !lua_time_parse_date(s, 10, &f[0], &f[1], &f[2]))
    return false;
  size_t i = 10;
  if (i < len && (s[i] == ' ' || s[i] == 'T')) {
    if (len < i + 6 || !two_digits(s + i + 1, &f[3]) || s[i + 3] != ':' ||
        !two_digits(s + i + 4, &f[4]) || f[3] > 23 || f[4] > 59)
      return false;
    i += 6;
    if (i < len && s[i] == ':') {
      if (len < i + 3 || !two_digits(s + i + 1, &f[5]) || f[5] > 59)
        return false;
      i += 3;
    }
    if (i < len && s[i] == 'Z') {
      *utc = true;
      i++;
    }
  }
  return i == len;
}

static int l_parse_date(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  int f[6];
  bool utc;
  if (!parse_datetime(s, len, f, &utc)) {
    lua_pushnil(L);
    lua_pushliteral(L, "expected YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]");
    return 2;
  }
  long long wall = lua_time_days_from_civil(f[0], f[1], f[2]) * 86400 +
                   f[3] * 3600 + f[4] * 60 + f[5];
  static const char *const names[] = {"year", "month", "day",
                                      "hour", "min",   "sec"};
  lua_createtable(L, 0, 7);
  for (int i = 0; i < 6; i++) {
    lua_pushinteger(L, f[i]);
    lua_setfield(L, -2, names[i]);
  }
  lua_pushinteger(L, utc ? wall : lua_time_rome_to_utc(wall));
  lua_setfield(L, -2, "time");
  return 1;
}

/* A calendar day from a "YYYY-MM-DD" string, a {year,month,day} table or
 * an epoch number (its Italian date); absent = today. */
static bool day_arg(lua_State *L, int idx, long long *days) {
  int y, m, d;
  switch (lua_type(L, idx)) {
  case LUA_TNONE:
  case LUA_TNIL:
    *days = lua_time_rome_days(lua_box_now(L));
    return true;
  case LUA_TNUMBER:
    *days = lua_time_rome_days((long long)luaL_checkinteger(L, idx));
    return true;
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if (!lua_time_parse_date(s, len >= 10 ? 10 : len, &y, &m, &d))
      return false;
    break;
  }
  case LUA_TTABLE:
    lua_getfield(L, idx, "year");
    lua_getfield(L, idx, "month");
    lua_getfield(L, idx, "day");
    y = (int)lua_tointeger(L, -3);
    m = (int)lua_tointeger(L, -2);
    d = (int)lua_tointeger(L, -1);
    lua_pop(L, 3);
    if (!lua_time_valid_date(y, m, d))
      return false;
    break;
  default:
    return false;
  }
  *days = lua_time_days_from_civil(y, m, d);
  return true;
}

static int l_age(lua_State *L) {
  long long birth, at;
  if (lua_isnoneornil(L, 1) || !day_arg(L, 1, &birth) || !day_arg(L, 2, &at)) {
    lua_pushnil(L);
    lua_pushliteral(L, "invalid date");
    return 2;
  }
  if (birth > at) {
    lua_pushnil(L);
    lua_pushliteral(L, "birth date after the reference date");
    return 2;
  }
  int by, bm, bd, ay, am, ad;
  lua_time_civil_from_days(birth, &by, &bm, &bd);
  lua_time_civil_from_days(at, &ay, &am, &ad);
  int years = ay - by - ((am < bm || (am == bm && ad < bd)) ? 1 : 0);
  lua_pushinteger(L, years);
  return 1;
}

static int l_is_night(lua_State *L) {
  long long t = luaL_optinteger(L, 1, (lua_Integer)lua_box_now(L));
  lua_Integer from = luaL_optinteger(L, 2, 22), to = luaL_optinteger(L, 3, 7);
  luaL_argcheck(L, from >= 0 && from <= 24, 2, "hour out of range");
  luaL_argcheck(L, to >= 0 && to <= 24, 3, "hour out of range");
  long long local = t + lua_time_rome_offset(t);
  long long hour = ((local % 86400) + 86400) % 86400 / 3600;
  bool night =
      from > to ? (hour >= from || hour < to) : (hour >= from && hour < to);
  lua_pushboolean(L, night);
  return 1;
}

/* ---- identity ---- */

static int l_codice_fiscale(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING) {
    lua_pushboolean(L, 0);
    lua_pushliteral(L, "not a string");
    return 2;
  }
  cf_info info;
  cf_status st = cf_validate(lua_tostring(L, 1), &info);
  if (st != CF_OK) {
    lua_pushboolean(L, 0);
    lua_pushstring(L, cf_status_message(st));
    return 2;
  }
  char sex[2] = {info.sex, '\0'};
  lua_createtable(L, 0, 8);
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "valid");
  lua_pushstring(L, info.normalized);
  lua_setfield(L, -2, "normalized");
  lua_pushstring(L, sex);
  lua_setfield(L, -2, "sex");
  lua_pushinteger(L, info.birth_day);
  lua_setfield(L, -2, "birth_day");
  lua_pushinteger(L, info.birth_month);
  lua_setfield(L, -2, "birth_month");
  lua_pushinteger(L, info.birth_year2);
  lua_setfield(L, -2, "birth_year2");
  lua_pushstring(L, info.place);
  lua_setfield(L, -2, "place");
  lua_pushboolean(L, info.omocode);
  lua_setfield(L, -2, "omocode");
  return 1;
}

/* ---- JSON ---- */

static void release_json(void *p) {
  json_decref(p);
}

static int l_json_encode(lua_State *L) {
  luaL_checkany(L, 1);
  /* The holder exists before any C resource does (see
   * lua_box_internal.h): only the push below can raise while text lives. */
  lua_json_holder *h = lua_json_holder_push(L, free);
  json_t *j = NULL;
  char msg[200];
  if (!lua_json_from_lua(L, 1, NULL, &j, msg, sizeof msg)) {
    json_decref(j);
    lua_pushnil(L);
    lua_pushstring(L, msg);
    return 2;
  }
  char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS |
                                 JSON_REAL_PRECISION(15));
  json_decref(j);
  if (!text)
    return luaL_error(L, "json_encode: out of memory");
  h->p = text;
  lua_pushstring(L, text);
  h->p = NULL;
  free(text);
  return 1;
}

static int l_json_decode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  lua_box_charge(L, (unsigned long)(len / 16));
  lua_json_holder *h = lua_json_holder_push(L, release_json);
  json_error_t jerr;
  json_t *j = json_loadb(s, len, JSON_DECODE_ANY, &jerr);
  if (!j) {
    lua_pushnil(L);
    lua_pushfstring(L, "%d:%d: %s", jerr.line, jerr.column, jerr.text);
    return 2;
  }
  h->p = j;
  char msg[120];
  if (!lua_json_check(j, msg, sizeof msg)) {
    lua_pushnil(L);
    lua_pushstring(L, msg);
    return 2; /* the holder frees j */
  }
  lua_json_push(L, j);
  h->p = NULL;
  json_decref(j);
  return 1;
}

/* ---- small helpers ---- */

static int l_round(lua_State *L) {
  lua_Number x = luaL_checknumber(L, 1);
  lua_Integer n = luaL_optinteger(L, 2, 0);
  luaL_argcheck(L, n >= 0 && n <= 10, 2, "decimals must be 0-10");
  double scale = pow(10.0, (double)n);
  double r = round((double)x * scale) / scale;
  if (n == 0 && r >= -9.2e18 && r <= 9.2e18)
    lua_pushinteger(L, (lua_Integer)r);
  else
    lua_pushnumber(L, (lua_Number)r);
  return 1;
}

static int l_object(lua_State *L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_json_mark_object(L, 1);
  return 1;
}

void lua_lib_push(lua_State *L) {
  static const luaL_Reg fns[] = {{"log", l_log},
                                 {"now", l_now},
                                 {"date", l_date},
                                 {"parse_date", l_parse_date},
                                 {"age", l_age},
                                 {"is_night", l_is_night},
                                 {"codice_fiscale", l_codice_fiscale},
                                 {"json_encode", l_json_encode},
                                 {"json_decode", l_json_decode},
                                 {"round", l_round},
                                 {"object", l_object},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_json_push_null(L);
  lua_setfield(L, -2, "null");
}
