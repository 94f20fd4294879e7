/* Read-only files under a folder, for module assets and the core shell.
 * A path is served only if every segment is a plain name (no "..", no
 * hidden files) and its real path stays inside the real folder, so neither
 * dot-segments nor symbolic links can escape. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static_files.h"

#include <strings.h>

#include "request.h"

static const struct {
  const char *ext, *type;
} mime_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".ico", "image/vnd.microsoft.icon"},
    {".webp", "image/webp"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".ttf", "font/ttf"},
    {".map", "application/json; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
    {".pdf", "application/pdf"},
    {".wasm", "application/wasm"},
};

const char *static_mime_type(const char *path) {
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (dot && (!slash || dot > slash))
    for (size_t i = 0; i < sizeof mime_types / sizeof *mime_types; i++)
      if (strcasecmp(dot, mime_types[i].ext) == 0)
        return mime_types[i].type;
  return "application/octet-stream";
}

/* Whether a relative path is made of plain segments only. */
bool static_path_safe(const char *rel) {
  if (!rel || !*rel || rel[0] == '/')
    return false;
  const char *seg = rel;
  for (;;) {
    const char *end = strchr(seg, '/');
    size_t n = end ? (size_t)(end - seg) : strlen(seg);
    if (n == 0 || seg[0] == '.' || memchr(seg, '\\', n))
      return false;
    if (!end)
      return true;
    seg = end + 1;
  }
}

static concerto_status not_found(concerto_request *req) {
  return request_problem(req, 404, "not_found", "Not Found",
                         "No resource at this path.");
}

concerto_status static_files_handler(concerto_request *req, void *userdata) {
  const char *dir = userdata;
  const char *rel = req_param(req, "path");
  if (!rel || !*rel)
    rel = "index.html"; /* "/" and folder URLs */
  if (!dir || !static_path_safe(rel))
    return not_found(req);
  char root[PATH_MAX], joined[PATH_MAX], real[PATH_MAX];
  if (!realpath(dir, root))
    return not_found(req);
  if ((size_t)snprintf(joined, sizeof joined, "%s/%s", root, rel) >=
      sizeof joined)
    return not_found(req);
  size_t rootlen = strlen(root);
  if (!realpath(joined, real) || strncmp(real, root, rootlen) != 0 ||
      real[rootlen] != '/')
    return not_found(req);
  int fd = open(real, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return not_found(req);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return not_found(req);
  }
  req->responded = true;
  req->status = 200;
  req->content_type = static_mime_type(real);
  req->resp_fd = fd;
  req->resp_fd_size = (size_t)st.st_size;
  req_set_header(req, "Cache-Control", "no-cache");
  return CONCERTO_OK;
}

/* Debian's shared JavaScript libraries (libjs-bootstrap5, libjs-pdf,
 * libjs-chart.js) under /usr/share/javascript are symbolic links into
 * other system folders, so this handler checks the path's segments only and
 * lets the links resolve: the folder is the distribution's, read-only. */
concerto_status vendor_files_handler(concerto_request *req, void *userdata) {
  const char *dir = userdata;
  const char *rel = req_param(req, "path");
  char joined[PATH_MAX];
  if (!dir || !static_path_safe(rel) ||
      (size_t)snprintf(joined, sizeof joined, "%s/%s", dir, rel) >=
          sizeof joined)
    return not_found(req);
  int fd = open(joined, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0)
      close(fd);
    return not_found(req);
  }
  req->responded = true;
  req->status = 200;
  req->content_type = static_mime_type(joined);
  req->resp_fd = fd;
  req->resp_fd_size = (size_t)st.st_size;
  req_set_header(req, "Cache-Control", "public, max-age=86400");
  return CONCERTO_OK;
}
