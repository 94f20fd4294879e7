/* A budgeted matcher for the Lua 5.4 pattern language. See lua_pattern.h.
 *
 * The language (reference manual, 6.4.1): single-character classes ('.',
 * %a %c %d %g %l %p %s %u %w %x and their upper-case complements, %x for a
 * literal non-alphanumeric x, [set] and [^set] with ranges and classes),
 * each optionally followed by * + - ?; %n back references; %bxy balanced
 * pairs; %f[set] frontiers; ( ) captures and () position captures; '^' at
 * the start and '$' at the end as anchors. Matching is the usual recursive
 * backtracking, bounded in depth like Lua's and, unlike Lua's, in steps. */
#include "lua_pattern.h"

#include <ctype.h>
#include <lauxlib.h>
#include <stdint.h>
#include <string.h>

#include "lua_box_internal.h"

#define ESC '%'
#define SPECIALS "^$*+?.([%-"
#define MAX_CAPTURES 32
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
/* Recursion depth of one match, as Lua's MAXCCALLS: bounds the C stack. */
#define MAX_DEPTH 200
/* Steps are charged to the box in batches, to keep the check cheap. */
#define CHARGE_EVERY 1024

typedef struct match_state {
  const char *src_init, *src_end, *p_end;
  lua_State *L;
  int depth_left;
  int level;
  bool full; /* succeed only at the end of the subject */
  unsigned long steps;
  struct {
    const char *init;
    ptrdiff_t len;
  } capture[MAX_CAPTURES];
} match_state;

static void step(match_state *ms, unsigned long n) {
  ms->steps += n;
  if (ms->steps >= CHARGE_EVERY) {
    unsigned long s = ms->steps;
    ms->steps = 0;
    lua_box_charge(ms->L, s);
  }
}

static void prepare(match_state *ms, lua_State *L, const char *s, size_t ls,
                    const char *p, size_t lp) {
  ms->L = L;
  ms->src_init = s;
  ms->src_end = s + ls;
  ms->p_end = p + lp;
  ms->full = false;
  ms->steps = 0;
}

static void reprepare(match_state *ms) {
  ms->level = 0;
  ms->depth_left = MAX_DEPTH;
}

static int check_capture(match_state *ms, int l) {
  l -= '1';
  if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED)
    return luaL_error(ms->L, "invalid capture index %%%d", l + 1);
  return l;
}

static int capture_to_close(match_state *ms) {
  int level = ms->level;
  for (level--; level >= 0; level--)
    if (ms->capture[level].len == CAP_UNFINISHED)
      return level;
  return luaL_error(ms->L, "invalid pattern capture");
}

/* The end of the single-character class starting at p. */
static const char *class_end(match_state *ms, const char *p) {
  char c = *p++;
  if (c == ESC) {
    if (p == ms->p_end)
      luaL_error(ms->L, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (c == '[') {
    if (*p == '^')
      p++;
    /* The first character of a set is literal, even ']'. */
    do {
      if (p == ms->p_end)
        luaL_error(ms->L, "malformed pattern (missing ']')");
      if (*(p++) == ESC && p < ms->p_end)
        p++;
    } while (*p != ']');
    return p + 1;
  }
  return p;
}

static bool match_class(int c, int cl) {
  bool res;
  switch (tolower(cl)) {
  case 'a':
    res = isalpha(c);
    break;
  case 'c':
    res = iscntrl(c);
    break;
  case 'd':
    res = isdigit(c);
    break;
  case 'g':
    res = isgraph(c);
    break;
  case 'l':
    res = islower(c);
    break;
  case 'p':
    res = ispunct(c);
    break;
  case 's':
    res = isspace(c);
    break;
  case 'u':
    res = isupper(c);
    break;
  case 'w':
    res = isalnum(c);
    break;
  case 'x':
    res = isxdigit(c);
    break;
  default:
    return cl == c;
  }
  return isupper(cl) ? !res : res;
}

/* p points at '[', ec at the closing ']'. */
static bool match_bracket_class(int c, const char *p, const char *ec) {
  bool sig = true;
  if (*(p + 1) == '^') {
    sig = false;
    p++;
  }
  while (++p < ec) {
    if (*p == ESC) {
      p++;
      if (match_class(c, (unsigned char)*p))
        return sig;
    } else if (*(p + 1) == '-' && p + 2 < ec) {
      p += 2;
      if ((unsigned char)*(p - 2) <= c && c <= (unsigned char)*p)
        return sig;
    } else if ((unsigned char)*p == c) {
      return sig;
    }
  }
  return !sig;
}

static bool single_match(match_state *ms, const char *s, const char *p,
                         const char *ep) {
  if (s >= ms->src_end)
    return false;
  int c = (unsigned char)*s;
  switch (*p) {
  case '.':
    return true;
  case ESC:
    return match_class(c, (unsigned char)*(p + 1));
  case '[':
    return match_bracket_class(c, p, ep - 1);
  default:
    return (unsigned char)*p == c;
  }
}

static const char *match(match_state *ms, const char *s, const char *p);

static const char *match_balance(match_state *ms, const char *s,
                                 const char *p) {
  if (p >= ms->p_end - 1)
    luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
  if (s >= ms->src_end || *s != *p)
    return NULL;
  char b = *p, e = *(p + 1);
  int cont = 1;
  const char *start = s;
  while (++s < ms->src_end) {
    if (*s == e) {
      if (--cont == 0) {
        step(ms, (unsigned long)(s - start));
        return s + 1;
      }
    } else if (*s == b) {
      cont++;
    }
  }
  step(ms, (unsigned long)(s - start));
  return NULL;
}

static const char *max_expand(match_state *ms, const char *s, const char *p,
                              const char *ep) {
  ptrdiff_t i = 0;
  while (single_match(ms, s + i, p, ep)) {
    i++;
    step(ms, 1);
  }
  /* Try the longest first, then shorter ones. */
  while (i >= 0) {
    const char *res = match(ms, s + i, ep + 1);
    if (res)
      return res;
    i--;
  }
  return NULL;
}

static const char *min_expand(match_state *ms, const char *s, const char *p,
                              const char *ep) {
  for (;;) {
    const char *res = match(ms, s, ep + 1);
    if (res)
      return res;
    if (!single_match(ms, s, p, ep))
      return NULL;
    s++;
  }
}

static const char *start_capture(match_state *ms, const char *s, const char *p,
                                 ptrdiff_t what) {
  if (ms->level >= MAX_CAPTURES)
    luaL_error(ms->L, "too many captures");
  ms->capture[ms->level].init = s;
  ms->capture[ms->level].len = what;
  ms->level++;
  const char *res = match(ms, s, p);
  if (!res)
    ms->level--; /* undo the capture */
  return res;
}

static const char *end_capture(match_state *ms, const char *s, const char *p) {
  int l = capture_to_close(ms);
  ms->capture[l].len = s - ms->capture[l].init;
  const char *res = match(ms, s, p);
  if (!res)
    ms->capture[l].len = CAP_UNFINISHED;
  return res;
}

static const char *match_capture(match_state *ms, const char *s, int l) {
  l = check_capture(ms, l);
  size_t len = (size_t)ms->capture[l].len;
  step(ms, len / 16);
  if ((size_t)(ms->src_end - s) >= len &&
      memcmp(ms->capture[l].init, s, len) == 0)
    return s + len;
  return NULL;
}

static const char *match(match_state *ms, const char *s, const char *p) {
  if (ms->depth_left-- == 0)
    luaL_error(ms->L, "pattern too complex");
  for (;;) {
    step(ms, 1);
    if (p == ms->p_end) {
      if (ms->full && s != ms->src_end)
        s = NULL;
      break;
    }
    if (*p == '(') {
      s = *(p + 1) == ')' ? start_capture(ms, s, p + 2, CAP_POSITION)
                          : start_capture(ms, s, p + 1, CAP_UNFINISHED);
      break;
    }
    if (*p == ')') {
      s = end_capture(ms, s, p + 1);
      break;
    }
    if (*p == '$' && p + 1 == ms->p_end) {
      s = s == ms->src_end ? s : NULL;
      break;
    }
    if (*p == ESC && *(p + 1) == 'b') {
      s = match_balance(ms, s, p + 2);
      if (!s)
        break;
      p += 4;
      continue;
    }
    if (*p == ESC && *(p + 1) == 'f') {
      p += 2;
      if (*p != '[')
        luaL_error(ms->L, "missing '[' after '%%f' in pattern");
      const char *ep = class_end(ms, p);
      int prev = s == ms->src_init ? 0 : (unsigned char)*(s - 1);
      int cur = s < ms->src_end ? (unsigned char)*s : 0;
      if (!match_bracket_class(prev, p, ep - 1) &&
          match_bracket_class(cur, p, ep - 1)) {
        p = ep;
        continue;
      }
      s = NULL;
      break;
    }
    if (*p == ESC && isdigit((unsigned char)*(p + 1))) {
      s = match_capture(ms, s, (unsigned char)*(p + 1));
      if (!s)
        break;
      p += 2;
      continue;
    }
    /* A single-character class, maybe with a quantifier. */
    const char *ep = class_end(ms, p);
    if (!single_match(ms, s, p, ep)) {
      if (*ep == '*' || *ep == '?' || *ep == '-') {
        p = ep + 1; /* zero repetitions are fine */
        continue;
      }
      s = NULL;
      break;
    }
    if (*ep == '?') {
      const char *res = match(ms, s + 1, ep + 1);
      if (res) {
        s = res;
        break;
      }
      p = ep + 1;
      continue;
    }
    if (*ep == '+') {
      s = max_expand(ms, s + 1, p, ep);
      break;
    }
    if (*ep == '*') {
      s = max_expand(ms, s, p, ep);
      break;
    }
    if (*ep == '-') {
      s = min_expand(ms, s, p, ep);
      break;
    }
    s++;
    p = ep;
  }
  ms->depth_left++;
  return s;
}

/* ---- captures ---- */

static ptrdiff_t get_onecapture(match_state *ms, int i, const char *s,
                                const char *e, const char **cap) {
  if (i >= ms->level) {
    if (i != 0)
      luaL_error(ms->L, "invalid capture index %%%d", i + 1);
    *cap = s; /* no captures: the whole match */
    return e - s;
  }
  ptrdiff_t capl = ms->capture[i].len;
  *cap = ms->capture[i].init;
  if (capl == CAP_UNFINISHED)
    luaL_error(ms->L, "unfinished capture");
  else if (capl == CAP_POSITION)
    lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
  return capl;
}

static void push_onecapture(match_state *ms, int i, const char *s,
                            const char *e) {
  const char *cap;
  ptrdiff_t l = get_onecapture(ms, i, s, e, &cap);
  if (l != CAP_POSITION)
    lua_pushlstring(ms->L, cap, (size_t)l);
}

static int push_captures(match_state *ms, const char *s, const char *e) {
  int n = (ms->level == 0 && s) ? 1 : ms->level;
  luaL_checkstack(ms->L, n, "too many captures");
  for (int i = 0; i < n; i++)
    push_onecapture(ms, i, s, e);
  return n;
}

/* ---- the string functions ---- */

static size_t start_index(lua_Integer pos, size_t len) {
  if (pos > 0)
    return (size_t)pos;
  if (pos == 0)
    return 1;
  if (pos < -(lua_Integer)len)
    return 1;
  return len + (size_t)pos + 1;
}

static bool no_specials(const char *p, size_t l) {
  size_t upto = 0;
  do {
    if (strpbrk(p + upto, SPECIALS))
      return false;
    upto += strlen(p + upto) + 1; /* past the next embedded zero */
  } while (upto <= l);
  return true;
}

static int find_aux(lua_State *L, bool find) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) {
    lua_pushnil(L);
    return 1;
  }
  if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
    /* memmem is linear; a naive search is not. */
    lua_box_charge(L, (unsigned long)((ls - init) / 64));
    const char *s2 = memmem(s + init, ls - init, p, lp);
    if (s2) {
      lua_pushinteger(L, (s2 - s) + 1);
      lua_pushinteger(L, (lua_Integer)((size_t)(s2 - s) + lp));
      return 2;
    }
  } else {
    match_state ms;
    const char *s1 = s + init;
    bool anchor = *p == '^';
    if (anchor) {
      p++;
      lp--;
    }
    prepare(&ms, L, s, ls, p, lp);
    do {
      reprepare(&ms);
      const char *res = match(&ms, s1, p);
      if (res) {
        if (find) {
          lua_pushinteger(L, (s1 - s) + 1);
          lua_pushinteger(L, res - s);
          return push_captures(&ms, NULL, 0) + 2;
        }
        return push_captures(&ms, s1, res);
      }
    } while (s1++ < ms.src_end && !anchor);
  }
  lua_pushnil(L);
  return 1;
}

static int str_find(lua_State *L) {
  return find_aux(L, true);
}

static int str_match(lua_State *L) {
  return find_aux(L, false);
}

typedef struct gmatch_state {
  const char *src, *p, *lastmatch;
  match_state ms;
} gmatch_state;

static int gmatch_next(lua_State *L) {
  gmatch_state *gm = lua_touserdata(L, lua_upvalueindex(3));
  gm->ms.L = L; /* the iterator may run on another coroutine */
  for (const char *src = gm->src; src <= gm->ms.src_end; src++) {
    reprepare(&gm->ms);
    const char *e = match(&gm->ms, src, gm->p);
    if (e && e != gm->lastmatch) {
      gm->src = gm->lastmatch = e;
      return push_captures(&gm->ms, src, e);
    }
  }
  return 0;
}

static int str_gmatch(lua_State *L) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
  lua_settop(L, 2); /* the closure keeps both strings alive */
  gmatch_state *gm = lua_newuserdatauv(L, sizeof *gm, 0);
  if (init > ls)
    init = ls + 1;
  prepare(&gm->ms, L, s, ls, p, lp);
  gm->src = s + init;
  gm->p = p;
  gm->lastmatch = NULL;
  lua_pushcclosure(L, gmatch_next, 3);
  return 1;
}

static void add_s(match_state *ms, luaL_Buffer *b, const char *s,
                  const char *e) {
  size_t l;
  lua_State *L = ms->L;
  const char *news = lua_tolstring(L, 3, &l);
  const char *p;
  while ((p = memchr(news, ESC, l)) != NULL) {
    luaL_addlstring(b, news, (size_t)(p - news));
    p++;
    if (*p == ESC) {
      luaL_addchar(b, *p);
    } else if (*p == '0') {
      luaL_addlstring(b, s, (size_t)(e - s));
    } else if (isdigit((unsigned char)*p)) {
      const char *cap;
      ptrdiff_t resl = get_onecapture(ms, *p - '1', s, e, &cap);
      if (resl == CAP_POSITION)
        luaL_addvalue(b); /* the position was pushed */
      else
        luaL_addlstring(b, cap, (size_t)resl);
    } else {
      luaL_error(L, "invalid use of '%c' in replacement string", ESC);
    }
    l -= (size_t)(p + 1 - news);
    news = p + 1;
  }
  luaL_addlstring(b, news, l);
}

/* Adds the replacement of one match; false when the original was kept. */
static bool add_value(match_state *ms, luaL_Buffer *b, const char *s,
                      const char *e, int tr) {
  lua_State *L = ms->L;
  switch (tr) {
  case LUA_TFUNCTION: {
    lua_pushvalue(L, 3);
    int n = push_captures(ms, s, e);
    lua_call(L, n, 1);
    break;
  }
  case LUA_TTABLE:
    push_onecapture(ms, 0, s, e);
    lua_gettable(L, 3);
    break;
  default:
    add_s(ms, b, s, e);
    return true;
  }
  if (!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    luaL_addlstring(b, s, (size_t)(e - s));
    return false;
  }
  if (!lua_isstring(L, -1))
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  luaL_addvalue(b);
  return true;
}

static int str_gsub(lua_State *L) {
  size_t srcl, lp;
  const char *src = luaL_checklstring(L, 1, &srcl);
  const char *p = luaL_checklstring(L, 2, &lp);
  const char *lastmatch = NULL;
  int tr = lua_type(L, 3);
  lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
  bool anchor = *p == '^';
  lua_Integer n = 0;
  bool changed = false;
  luaL_argexpected(L,
                   tr == LUA_TNUMBER || tr == LUA_TSTRING ||
                       tr == LUA_TFUNCTION || tr == LUA_TTABLE,
                   3, "string/function/table");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (anchor) {
    p++;
    lp--;
  }
  match_state ms;
  prepare(&ms, L, src, srcl, p, lp);
  while (n < max_s) {
    reprepare(&ms);
    const char *e = match(&ms, src, p);
    if (e && e != lastmatch) {
      n++;
      changed = add_value(&ms, &b, src, e, tr) || changed;
      src = lastmatch = e;
    } else if (src < ms.src_end) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchor)
      break;
  }
  if (!changed) {
    lua_pushvalue(L, 1);
  } else {
    luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

void lua_pattern_register(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  static const luaL_Reg fns[] = {{"find", str_find},
                                 {"match", str_match},
                                 {"gmatch", str_gmatch},
                                 {"gsub", str_gsub},
                                 {NULL, NULL}};
  for (const luaL_Reg *r = fns; r->name; r++) {
    lua_pushcfunction(L, r->func);
    lua_setfield(L, idx, r->name);
  }
}

/* ---- for the forms ---- */

const char *lua_pattern_check(const char *p, size_t len) {
  size_t i = 0;
  int open = 0, closed = 0, total = 0;
  if (len && p[0] == '^')
    i = 1;
  while (i < len) {
    char c = p[i];
    if (c == '(') {
      if (++total > MAX_CAPTURES)
        return "too many captures";
      if (i + 1 < len && p[i + 1] == ')') {
        closed++;
        i += 2;
      } else {
        open++;
        i++;
      }
      continue;
    }
    if (c == ')') {
      if (open == 0)
        return "invalid pattern capture (unbalanced ')')";
      open--;
      closed++;
      i++;
      continue;
    }
    if (c == '$' && i + 1 == len)
      break;
    if (c == ESC) {
      if (i + 1 >= len)
        return "malformed pattern (ends with '%')";
      char n = p[i + 1];
      if (n == 'b') {
        if (i + 3 >= len)
          return "malformed pattern (missing arguments to '%b')";
        i += 4;
        continue;
      }
      if (n == 'f') {
        i += 2;
        if (i >= len || p[i] != '[')
          return "missing '[' after '%f' in pattern";
      } else if (isdigit((unsigned char)n)) {
        if (n == '0' || n - '0' > closed)
          return "invalid capture index in back reference";
        i += 2;
        continue;
      }
    }
    /* A single-character class: find its end as class_end does. */
    if (p[i] == ESC) {
      i += 2;
    } else if (p[i] == '[') {
      i++;
      if (i < len && p[i] == '^')
        i++;
      do {
        if (i >= len)
          return "malformed pattern (missing ']')";
        if (p[i++] == ESC && i < len)
          i++;
      } while (i >= len || p[i] != ']');
      i++;
    } else {
      i++;
    }
    if (i < len && strchr("*+-?", p[i]) && p[i] != '\0')
      i++;
  }
  if (open)
    return "unfinished capture";
  return NULL;
}

bool lua_pattern_matches_all(lua_State *L, const char *s, size_t ls,
                             const char *p, size_t lp) {
  match_state ms;
  if (lp && *p == '^') {
    p++;
    lp--;
  }
  prepare(&ms, L, s, ls, p, lp);
  ms.full = true;
  reprepare(&ms);
  return match(&ms, s, p) != NULL;
}
