/* The box: a Lua state with a counting allocator, a count hook and a
 * worker thread on which every call runs. See lua_box.h.
 *
 * Why a worker thread (a coroutine) rather than lua_pcall: when a call fails,
 * lua_resume leaves the failed coroutine's frames in place, so the error can
 * be located (chunk and line) for every kind of failure, including "not
 * enough memory", which Lua raises without calling a message handler. After
 * a failure the worker is dropped and a new one is made on the next call.
 * Nothing outside lua_resume (and the lua_pcall that builds the state) runs
 * code that can raise, so no Lua error ever jumps over a C frame of ours. */
#include "lua_box_internal.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "lua_json.h"

/* The hook runs every HOOK_EVERY VM instructions: often enough to stop a
 * loop within a fraction of a millisecond, rarely enough to cost little
 * (PERFORMANCE.md: +18 % on a reused state). */
#define HOOK_EVERY 1000
/* concerto.log lines one call may write; more are counted and dropped. */
#define LOG_LINES_PER_CALL 50

typedef enum limit_kind {
  LIMIT_NONE = 0,
  LIMIT_INSTRUCTIONS,
  LIMIT_TIME,
  LIMIT_MEMORY
} limit_kind;

typedef struct slot_name {
  char *slot, *chunk;
  struct slot_name *next;
} slot_name;

struct lua_box {
  lua_State *L;
  lua_State *worker; /* anchored in the registry at worker_key */
  lua_limits lim;
  lua_module_source_fn modules;
  void *modules_ud;
  size_t used;
  long long fixed_now;
  bool exhausted;
  slot_name *slots;
  /* Per call. */
  bool in_call;
  bool mem_refused;
  limit_kind limit;
  unsigned long instructions;
  uint64_t deadline_ns;
  unsigned log_lines, log_dropped;
  unsigned host_calls; /* module functions called in this call */
  char limit_msg[256];
  void *context; /* lua_box_set_context: the request being served */
};

static char worker_key, slots_key, envs_key;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

lua_box *lua_box_of(lua_State *L) {
  return *(lua_box **)lua_getextraspace(L);
}

/* Lua's allocator contract: nsize 0 frees; when ptr is NULL osize is a type
 * tag, not a size; shrinking must not fail. Refusing a growth makes Lua
 * collect garbage once and retry, then raise "not enough memory". */
static void *box_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  lua_box *b = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    b->used -= old;
    return NULL;
  }
  if (nsize > old && b->lim.memory_bytes &&
      nsize - old > b->lim.memory_bytes - b->used) {
    b->mem_refused = true;
    return NULL;
  }
  void *p = realloc(ptr, nsize);
  if (!p) {
    if (nsize <= old)
      return ptr;
    b->mem_refused = true;
    return NULL;
  }
  b->used = b->used - old + nsize;
  return p;
}

static int on_panic(lua_State *L) {
  /* Unreachable by design (nothing raises outside protected calls); if it
   * ever happens the process state is unknown, so stop loudly. */
  const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
  log_msg(CONCERTO_LOG_ERROR, "lua", NULL, "unprotected Lua error: %s", msg);
  abort();
}

/* "src:line:" of the innermost Lua function on L's stack, or false. */
static bool lua_location(lua_State *L, char *buf, size_t len) {
  lua_Debug ar;
  for (int level = 0; level < 64 && lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Sl", &ar))
      break;
    if (ar.currentline > 0) {
      snprintf(buf, len, "%s:%d:", ar.short_src, ar.currentline);
      return true;
    }
  }
  return false;
}

static void set_limit(lua_State *L, lua_box *b, limit_kind kind) {
  char where[LUA_IDSIZE + 24];
  if (!lua_location(L, where, sizeof where))
    snprintf(where, sizeof where, "?:");
  b->limit = kind;
  switch (kind) {
  case LIMIT_INSTRUCTIONS:
    snprintf(b->limit_msg, sizeof b->limit_msg,
             "%s instruction limit exceeded (%lu instructions)", where,
             b->lim.instructions);
    break;
  case LIMIT_TIME:
    snprintf(b->limit_msg, sizeof b->limit_msg,
             "%s time limit exceeded (%u ms)", where, b->lim.wall_ms);
    break;
  default:
    snprintf(b->limit_msg, sizeof b->limit_msg,
             "%s memory limit exceeded (%zu bytes)", where,
             b->lim.memory_bytes);
    break;
  }
}

/* Raises the call's limit error when a limit is (or already was) hit. */
static void check_limits(lua_State *L, lua_box *b) {
  if (b->limit == LIMIT_NONE) {
    if (b->lim.instructions && b->instructions > b->lim.instructions)
      set_limit(L, b, LIMIT_INSTRUCTIONS);
    else if (b->deadline_ns && now_ns() > b->deadline_ns)
      set_limit(L, b, LIMIT_TIME);
    else
      return;
  }
  lua_pushstring(L, b->limit_msg);
  lua_error(L);
}

static void count_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_box *b = lua_box_of(L);
  if (!b->in_call)
    return;
  b->instructions += HOOK_EVERY;
  check_limits(L, b);
}

void lua_box_charge(lua_State *L, unsigned long units) {
  lua_box *b = lua_box_of(L);
  if (!b->in_call)
    return;
  b->instructions += units;
  check_limits(L, b);
}

void lua_box_check_sticky(lua_State *L, int idx) {
  lua_box *b = lua_box_of(L);
  if (b->limit == LIMIT_NONE && b->mem_refused && idx != 0 &&
      lua_type(L, idx) == LUA_TSTRING &&
      strcmp(lua_tostring(L, idx), "not enough memory") == 0)
    set_limit(L, b, LIMIT_MEMORY);
  if (b->limit != LIMIT_NONE) {
    lua_pushstring(L, b->limit_msg);
    lua_error(L);
  }
}

size_t lua_box_memory_cap(lua_State *L) {
  return lua_box_of(L)->lim.memory_bytes;
}

bool lua_box_limit_hit(lua_State *L) {
  return lua_box_of(L)->limit != LIMIT_NONE;
}

long long lua_box_now(lua_State *L) {
  lua_box *b = lua_box_of(L);
  return b->fixed_now ? b->fixed_now : (long long)time(NULL);
}

void lua_box_set_context(lua_box *b, void *context) {
  b->context = context;
}

void *lua_box_context(lua_State *L) {
  return lua_box_of(L)->context;
}

bool lua_box_host_call(lua_State *L, unsigned max) {
  lua_box *b = lua_box_of(L);
  if (b->host_calls >= max)
    return false;
  b->host_calls++;
  return true;
}

bool lua_box_log_allowed(lua_State *L) {
  lua_box *b = lua_box_of(L);
  if (b->log_lines >= LOG_LINES_PER_CALL) {
    b->log_dropped++;
    return false;
  }
  b->log_lines++;
  return true;
}

/* ---- slots and chunks ---- */

void lua_box_push_slot(lua_State *L, const char *slot) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &slots_key);
  lua_pushstring(L, slot);
  lua_rawget(L, -2);
  lua_remove(L, -2);
}

void lua_box_set_slot(lua_State *L, const char *slot) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &slots_key);
  lua_pushstring(L, slot);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
}

void lua_box_compile(lua_State *L, const char *chunkname, const char *source,
                     size_t len) {
  /* "@name" makes Lua show the name as is (a file-like name) instead of
   * [string "..."], and keeps its end when it is too long. */
  const char *name = lua_pushfstring(L, "@%s", chunkname);
  int st = luaL_loadbufferx(L, source, len, name, "t");
  lua_remove(L, -2);
  if (st != LUA_OK)
    lua_error(L);
  lua_sandbox_push_env(L);
  lua_setupvalue(L, -2, 1); /* a main chunk's only upvalue is _ENV */
  /* Compiling is C work proportional to the text. */
  lua_box_charge(L, (unsigned long)(len / 16));
}

const char *lua_box_slot_chunk(const lua_box *b, const char *slot) {
  for (const slot_name *s = b->slots; s; s = s->next)
    if (strcmp(s->slot, slot) == 0)
      return s->chunk;
  return slot;
}

static void remember_slot(lua_box *b, const char *slot, const char *chunk) {
  for (slot_name *s = b->slots; s; s = s->next)
    if (strcmp(s->slot, slot) == 0) {
      char *c = strdup(chunk);
      if (c) {
        free(s->chunk);
        s->chunk = c;
      }
      return;
    }
  slot_name *s = calloc(1, sizeof *s);
  if (!s)
    return;
  s->slot = strdup(slot);
  s->chunk = strdup(chunk);
  if (!s->slot || !s->chunk) {
    free(s->slot);
    free(s->chunk);
    free(s);
    return;
  }
  s->next = b->slots;
  b->slots = s;
}

/* ---- running ---- */

typedef struct run_frame {
  lua_box_body body;
  void *ud;
} run_frame;

static int trampoline(lua_State *L) {
  run_frame *f = lua_touserdata(L, 1);
  lua_settop(L, 0);
  f->body(L, f->ud);
  return 0;
}

static int make_worker(lua_State *L) {
  lua_State *co = lua_newthread(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &worker_key);
  lua_pushlightuserdata(L, co);
  return 1;
}

static bool ensure_worker(lua_box *b) {
  if (b->worker)
    return true;
  lua_pushcfunction(b->L, make_worker);
  if (lua_pcall(b->L, 0, 1, 0) != LUA_OK) {
    lua_pop(b->L, 1);
    return false;
  }
  b->worker = lua_touserdata(b->L, -1);
  lua_pop(b->L, 1);
  return true;
}

static void drop_worker(lua_box *b) {
  /* Replacing the value of an existing registry key allocates nothing. */
  lua_pushnil(b->L);
  lua_rawsetp(b->L, LUA_REGISTRYINDEX, &worker_key);
  b->worker = NULL;
}

/* True when msg already starts with "src:line:". */
static bool has_location(const char *msg) {
  const char *p = msg;
  while (*p && *p != ':' && *p != ' ' && *p != '\n')
    p++;
  if (p == msg || *p != ':')
    return false;
  p++;
  if (*p < '0' || *p > '9')
    return false;
  while (*p >= '0' && *p <= '9')
    p++;
  return *p == ':';
}

static void describe_error(lua_State *co, const char *where, char *err,
                           size_t errlen) {
  char tmp[64];
  const char *msg;
  int t = lua_type(co, -1);
  if (t == LUA_TSTRING) {
    msg = lua_tostring(co, -1);
  } else if (t == LUA_TNUMBER) {
    /* lua_tostring would convert the number in place and allocate. */
    if (lua_isinteger(co, -1))
      snprintf(tmp, sizeof tmp, "%lld", (long long)lua_tointeger(co, -1));
    else
      snprintf(tmp, sizeof tmp, "%.14g", (double)lua_tonumber(co, -1));
    msg = tmp;
  } else {
    snprintf(tmp, sizeof tmp, "(error object is a %s value)",
             lua_typename(co, t));
    msg = tmp;
  }
  char loc[LUA_IDSIZE + 24];
  if (has_location(msg))
    snprintf(err, errlen, "%s", msg);
  else if (lua_location(co, loc, sizeof loc))
    snprintf(err, errlen, "%s %s", loc, msg);
  else
    snprintf(err, errlen, "%s: %s", where, msg);
}

static void begin_call(lua_box *b) {
  b->in_call = true;
  b->mem_refused = false;
  b->limit = LIMIT_NONE;
  b->limit_msg[0] = '\0';
  b->instructions = 0;
  b->deadline_ns =
      b->lim.wall_ms ? now_ns() + (uint64_t)b->lim.wall_ms * 1000000u : 0;
  b->log_lines = b->log_dropped = 0;
  b->host_calls = 0;
}

static void end_call(lua_box *b, bool memory_hit, const char *where) {
  b->in_call = false;
  if (memory_hit) {
    /* Whatever the failed call built is garbage now: give it back before
     * the next call, and tell the owner when that is not enough. */
    lua_gc(b->L, LUA_GCCOLLECT);
    b->exhausted = b->lim.memory_bytes && b->used > b->lim.memory_bytes / 4 * 3;
  }
  if (b->log_dropped)
    log_msg(CONCERTO_LOG_WARN, "lua", NULL,
            "%s: %u log lines dropped (at most %d per call)", where,
            b->log_dropped, LOG_LINES_PER_CALL);
}

lua_box_status lua_box_run(lua_box *b, const char *where, lua_box_body body,
                           void *ud, char *err, size_t errlen) {
  begin_call(b);
  if (!ensure_worker(b)) {
    snprintf(err, errlen, "%s: memory limit exceeded (%zu bytes)", where,
             b->lim.memory_bytes);
    end_call(b, true, where);
    return LUA_BOX_LIMIT;
  }
  lua_State *co = b->worker;
  run_frame frame = {body, ud};
  /* Pushing a light C function and a light userdata allocates nothing, and
   * a thread always has LUA_MINSTACK free slots. */
  lua_pushcfunction(co, trampoline);
  lua_pushlightuserdata(co, &frame);
  int nres = 0;
  int st = lua_resume(co, b->L, 1, &nres);
  if (st == LUA_OK) {
    lua_settop(co, 0);
    end_call(b, false, where);
    return LUA_BOX_OK;
  }
  lua_box_status status = LUA_BOX_ERROR;
  if (st == LUA_YIELD) {
    /* Only possible through a bug of ours: yields across C calls fail. */
    snprintf(err, errlen, "%s: unexpected yield", where);
  } else {
    if (b->limit == LIMIT_NONE &&
        (st == LUA_ERRMEM ||
         (b->mem_refused && lua_type(co, -1) == LUA_TSTRING &&
          strcmp(lua_tostring(co, -1), "not enough memory") == 0)))
      set_limit(co, b, LIMIT_MEMORY);
    if (b->limit != LIMIT_NONE) {
      status = LUA_BOX_LIMIT;
      snprintf(err, errlen, "%s", b->limit_msg);
    } else {
      describe_error(co, where, err, errlen);
    }
  }
  bool memory_hit = b->limit == LIMIT_MEMORY || b->mem_refused;
  drop_worker(b);
  end_call(b, memory_hit, where);
  return status;
}

/* ---- public API ---- */

static int setup(lua_State *L) {
  luaL_checkstack(L, 10, NULL);
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &slots_key);
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &envs_key);
  lua_sandbox_open(L);
  return 0;
}

lua_box *lua_box_new(const lua_limits *lim, lua_module_source_fn modules,
                     void *ud, char *err, size_t errlen) {
  lua_box *b = calloc(1, sizeof *b);
  if (!b) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  b->lim = lim ? *lim : LUA_LIMITS_DEFAULT;
  b->modules = modules;
  b->modules_ud = ud;
  b->L = lua_newstate(box_alloc, b);
  if (!b->L) {
    snprintf(err, errlen, "cannot create a Lua state within %zu bytes",
             b->lim.memory_bytes);
    free(b);
    return NULL;
  }
  *(lua_box **)lua_getextraspace(b->L) = b;
  lua_atpanic(b->L, on_panic);
  /* Threads copy the hook of the thread that creates them, so setting it on
   * the main thread before any other exists covers the worker and every
   * coroutine a script makes. */
  if (b->lim.instructions || b->lim.wall_ms)
    lua_sethook(b->L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
  lua_pushcfunction(b->L, setup);
  if (lua_pcall(b->L, 0, 0, 0) != LUA_OK) {
    snprintf(err, errlen, "cannot build the Lua sandbox: %s",
             lua_type(b->L, -1) == LUA_TSTRING ? lua_tostring(b->L, -1)
                                               : "error");
    lua_close(b->L);
    free(b);
    return NULL;
  }
  return b;
}

void lua_box_free(lua_box *b) {
  if (!b)
    return;
  lua_close(b->L);
  for (slot_name *s = b->slots, *next; s; s = next) {
    next = s->next;
    free(s->slot);
    free(s->chunk);
    free(s);
  }
  free(b);
}

const char *lua_box_module_source(lua_State *L, const char *name, size_t *len) {
  lua_box *b = lua_box_of(L);
  if (!b->modules)
    return NULL;
  return b->modules(b->modules_ud, name, len);
}

typedef struct load_ctx {
  const char *slot, *chunkname, *source;
  size_t len;
} load_ctx;

static void load_body(lua_State *L, void *ud) {
  load_ctx *c = ud;
  lua_box_compile(L, c->chunkname, c->source, c->len);
  lua_getupvalue(L, -1, 1);
  lua_insert(L, -2);
  lua_call(L, 0, 1);
  lua_box_set_slot(L, c->slot);
  /* Keep the chunk's globals too: a script may define its entry points as
   * global functions instead of returning a table of them. */
  lua_rawgetp(L, LUA_REGISTRYINDEX, &envs_key);
  lua_pushstring(L, c->slot);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
}

bool lua_box_load(lua_box *b, const char *slot, const char *chunkname,
                  const char *source, size_t len, char *err, size_t errlen) {
  load_ctx c = {slot, chunkname, source, len};
  if (lua_box_run(b, chunkname, load_body, &c, err, errlen) != LUA_BOX_OK)
    return false;
  remember_slot(b, slot, chunkname);
  return true;
}

typedef struct call_ctx {
  const char *slot, *fn;
  size_t nargs;
  const json_t *const *args;
  json_t *out;
  bool missing, bad_result;
  char conv_err[200];
} call_ctx;

/* Pushes the entry point: the slot value itself (fn NULL), its field fn,
 * or else the global fn of the chunk that made the slot. Raw lookups: no
 * script code runs to find an entry point. */
static bool push_entry(lua_State *L, const char *slot, const char *fn) {
  lua_box_push_slot(L, slot);
  if (!fn)
    return lua_type(L, -1) == LUA_TFUNCTION;
  if (lua_type(L, -1) == LUA_TTABLE) {
    lua_pushstring(L, fn);
    if (lua_rawget(L, -2) == LUA_TFUNCTION)
      return true;
  }
  lua_rawgetp(L, LUA_REGISTRYINDEX, &envs_key);
  lua_pushstring(L, slot);
  if (lua_rawget(L, -2) != LUA_TTABLE)
    return false;
  lua_pushstring(L, fn);
  return lua_rawget(L, -2) == LUA_TFUNCTION;
}

static void call_body(lua_State *L, void *ud) {
  call_ctx *c = ud;
  if (!push_entry(L, c->slot, c->fn)) {
    c->missing = true;
    return;
  }
  luaL_checkstack(L, (int)c->nargs + 4, "too many arguments");
  for (size_t i = 0; i < c->nargs; i++) {
    if (c->args[i])
      lua_json_push(L, c->args[i]);
    else
      lua_pushnil(L);
  }
  lua_call(L, (int)c->nargs, 1);
  /* Raw, non-raising conversion: no metamethod of the result runs. */
  if (!lua_json_from_lua(L, -1, NULL, &c->out, c->conv_err,
                         sizeof c->conv_err)) {
    json_decref(c->out);
    c->out = NULL;
    c->bad_result = true;
  }
}

lua_box_status lua_box_callv(lua_box *b, const char *slot, const char *fn,
                             size_t nargs, const json_t *const *args,
                             json_t **out, char *err, size_t errlen) {
  *out = NULL;
  if (nargs > 16) {
    snprintf(err, errlen, "too many arguments");
    return LUA_BOX_ERROR;
  }
  if (!slot) {
    snprintf(err, errlen, "no script slot given");
    return LUA_BOX_MISSING;
  }
  const char *chunk = lua_box_slot_chunk(b, slot);
  char where[256];
  snprintf(where, sizeof where, "%s: %s", chunk, fn ? fn : "(script value)");
  call_ctx c = {.slot = slot, .fn = fn, .nargs = nargs, .args = args};
  lua_box_status st = lua_box_run(b, where, call_body, &c, err, errlen);
  if (st != LUA_BOX_OK) {
    json_decref(c.out);
    return st;
  }
  if (c.missing) {
    snprintf(err, errlen, "%s: no function '%s'", chunk, fn ? fn : slot);
    return LUA_BOX_MISSING;
  }
  if (c.bad_result) {
    snprintf(err, errlen, "%s returned a value that is not JSON: %s", where,
             c.conv_err);
    return LUA_BOX_ERROR;
  }
  *out = c.out;
  return LUA_BOX_OK;
}

lua_box_status lua_box_call(lua_box *b, const char *slot, const char *fn,
                            const json_t *arg, json_t **out, char *err,
                            size_t errlen) {
  const json_t *args[1] = {arg};
  return lua_box_callv(b, slot, fn, 1, args, out, err, errlen);
}

void lua_box_set_now(lua_box *b, long long epoch_seconds) {
  b->fixed_now = epoch_seconds;
}

size_t lua_box_memory(const lua_box *b) {
  return b->used;
}

bool lua_box_exhausted(const lua_box *b) {
  return b->exhausted;
}

static int unref_fn(lua_State *L) {
  luaL_unref(L, LUA_REGISTRYINDEX, (int)lua_tointeger(L, 1));
  return 0;
}

void lua_box_unref(lua_box *b, int ref) {
  if (ref == LUA_NOREF || ref == LUA_REFNIL)
    return;
  /* Protected anyway: luaL_unref only rewrites existing registry slots, but
   * a panic is not a price worth a guess. */
  lua_pushcfunction(b->L, unref_fn);
  lua_pushinteger(b->L, ref);
  if (lua_pcall(b->L, 1, 0, 0) != LUA_OK)
    lua_pop(b->L, 1);
}
