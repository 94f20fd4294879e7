/* Starts a private slapd for the LDAP login tests; see slapd_fixture.h. The
 * tools run through fork/exec with their output in log files of the
 * temporary directory, printed only when something fails. */
#include "slapd_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { TOOL_SECONDS = 30, START_SECONDS = 10, START_ATTEMPTS = 3 };

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
  struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) == -1 && errno == EINTR)
    ;
}

static void dump(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  char line[512];
  fprintf(stderr, "---- %s\n", path);
  while (fgets(line, sizeof line, f))
    fputs(line, stderr);
  fclose(f);
}

/* fork/exec with stdout and stderr appended to `log`. The child drops the
 * LDAPTLS_* settings the tests put in their own environment to prove that
 * ldap_auth ignores them: they are not meant for slapd. */
static pid_t spawn(char *const argv[], const char *log) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  /* When ctest kills the test on its timeout, slapd must not live on. */
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
    _exit(127);
  int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  unsetenv("LDAPTLS_REQCERT");
  execvp(argv[0], argv);
  _exit(127);
}

/* Waits up to `seconds` for `pid`; kills it when time runs out. The exit
 * status, or -1 when it had to be killed or did not exit normally. */
static int wait_bounded(pid_t pid, int seconds) {
  double deadline = now_s() + seconds;
  int status;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r == -1 && errno != EINTR)
      return -1;
    if (now_s() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    sleep_ms(20);
  }
}

static bool run(char *const argv[], const char *log) {
  pid_t pid = spawn(argv, log);
  if (pid < 0 || wait_bounded(pid, TOOL_SECONDS) != 0) {
    fprintf(stderr, "slapd fixture: %s failed\n", argv[0]);
    dump(log);
    return false;
  }
  return true;
}

int free_loopback_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return 0;
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

static bool port_accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

static bool write_file(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "w");
  if (!f)
    return false;
  bool ok = fwrite(text, 1, len, f) == len;
  return fclose(f) == 0 && ok;
}

/* slapd.conf from the template, with @DATA_DIR@ replaced by dir. */
static bool render_conf(const char *tmpl_path, const char *out_path,
                        const char *dir) {
  FILE *in = fopen(tmpl_path, "r");
  if (!in)
    return false;
  char *text = NULL;
  size_t cap = 0, len = 0;
  FILE *mem = open_memstream(&text, &cap);
  char line[1024];
  while (mem && fgets(line, sizeof line, in)) {
    for (char *p = line; *p;) {
      char *at = strstr(p, "@DATA_DIR@");
      if (!at) {
        fputs(p, mem);
        break;
      }
      fwrite(p, 1, (size_t)(at - p), mem);
      fputs(dir, mem);
      p = at + strlen("@DATA_DIR@");
    }
  }
  fclose(in);
  if (!mem)
    return false;
  fclose(mem);
  len = strlen(text);
  bool ok = write_file(out_path, text, len);
  free(text);
  return ok;
}

/* A CA and a server certificate for 127.0.0.1, made fresh for every run so
 * that no private key lives in the repository. */
static bool make_certificates(const char *dir, const char *log) {
  char ca_key[128], ca_crt[128], key[128], csr[128], crt[128], ext[128];
  snprintf(ca_key, sizeof ca_key, "%s/ca.key", dir);
  snprintf(ca_crt, sizeof ca_crt, "%s/ca.crt", dir);
  snprintf(key, sizeof key, "%s/server.key", dir);
  snprintf(csr, sizeof csr, "%s/server.csr", dir);
  snprintf(crt, sizeof crt, "%s/server.crt", dir);
  snprintf(ext, sizeof ext, "%s/server.ext", dir);
  static const char san[] = "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  if (!write_file(ext, san, strlen(san)))
    return false;
  char *ca[] = {"openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                ca_key,
                "-out",
                ca_crt,
                "-days",
                "2",
                "-subj",
                "/CN=Concerto LDAP test CA",
                NULL};
  char *req[] = {"openssl",
                 "req",
                 "-newkey",
                 "ec",
                 "-pkeyopt",
                 "ec_paramgen_curve:prime256v1",
                 "-nodes",
                 "-keyout",
                 key,
                 "-out",
                 csr,
                 "-subj",
                 "/CN=127.0.0.1",
                 NULL};
  char *sign[] = {"openssl", "x509", "-req",   "-in",  csr,
                  "-CA",     ca_crt, "-CAkey", ca_key, "-CAcreateserial",
                  "-out",    crt,    "-days",  "2",    "-extfile",
                  ext,       NULL};
  return run(ca, log) && run(req, log) && run(sign, log);
}

static int remove_entry(const char *path, const struct stat *sb, int type,
                        struct FTW *ftw) {
  (void)sb, (void)type, (void)ftw;
  return remove(path);
}

static void remove_tree(const char *dir) {
  if (*dir)
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Starts slapd on two fresh ports; true once both accept connections. The
 * ports are free when chosen but could be taken before slapd binds them, so
 * a slapd that exits early is retried on new ports. */
static bool launch(slapd_fixture *f, const char *conf, const char *log) {
  for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    int p1 = free_loopback_port(), p2 = free_loopback_port();
    if (!p1 || !p2 || p1 == p2)
      continue;
    snprintf(f->ldap_url, sizeof f->ldap_url, "ldap://127.0.0.1:%d", p1);
    snprintf(f->ldaps_url, sizeof f->ldaps_url, "ldaps://127.0.0.1:%d", p2);
    char listen[160];
    snprintf(listen, sizeof listen, "%s/ %s/", f->ldap_url, f->ldaps_url);
    char *argv[] = {"slapd", "-d", "0", "-f", (char *)conf, "-h", listen, NULL};
    f->pid = spawn(argv, log);
    if (f->pid < 0)
      return false;
    double deadline = now_s() + START_SECONDS;
    while (now_s() < deadline) {
      if (waitpid(f->pid, NULL, WNOHANG) == f->pid)
        break; /* exited: port taken or broken configuration */
      if (port_accepts(p1) && port_accepts(p2))
        return true;
      sleep_ms(50);
    }
    kill(f->pid, SIGKILL);
    waitpid(f->pid, NULL, 0);
    f->pid = 0;
    dump(log);
  }
  return false;
}

bool slapd_start(slapd_fixture *f, const char *fixtures_dir) {
  memset(f, 0, sizeof *f);
  strcpy(f->dir, "/tmp/concerto-ldap-XXXXXX");
  if (!mkdtemp(f->dir)) {
    perror("slapd fixture: mkdtemp");
    f->dir[0] = '\0';
    return false;
  }
  char tmpl[512], conf[128], ldif[512], db[128], log[128];
  snprintf(tmpl, sizeof tmpl, "%s/slapd.conf.in", fixtures_dir);
  snprintf(ldif, sizeof ldif, "%s/base.ldif", fixtures_dir);
  snprintf(conf, sizeof conf, "%s/slapd.conf", f->dir);
  snprintf(db, sizeof db, "%s/db", f->dir);
  snprintf(log, sizeof log, "%s/tools.log", f->dir);
  snprintf(f->ca_file, sizeof f->ca_file, "%s/ca.crt", f->dir);

  char *slapadd[] = {"slapadd", "-f", conf, "-l", ldif, NULL};
  bool ok = mkdir(db, 0700) == 0 && make_certificates(f->dir, log) &&
            render_conf(tmpl, conf, f->dir) && run(slapadd, log);
  if (ok) {
    char slapd_log[128];
    snprintf(slapd_log, sizeof slapd_log, "%s/slapd.log", f->dir);
    ok = launch(f, conf, slapd_log);
  }
  if (!ok) {
    fprintf(stderr, "slapd fixture: could not start slapd in %s\n", f->dir);
    slapd_stop(f);
  }
  return ok;
}

void slapd_stop(slapd_fixture *f) {
  if (f->pid > 0) {
    kill(f->pid, SIGTERM);
    if (wait_bounded(f->pid, START_SECONDS) == -1)
      fprintf(stderr, "slapd fixture: slapd did not stop cleanly\n");
    f->pid = 0;
  }
  remove_tree(f->dir);
  f->dir[0] = '\0';
}
