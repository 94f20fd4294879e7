/* libmicrohttpd's own error messages, made fit for the log. libmicrohttpd
 * hands its logger a format of its own and the arguments; the format is
 * libmicrohttpd's text, but a string argument can be the raw request URL
 * ("... for the request for `%s'") or an answer's body, and paths carry
 * patient identifiers. So the format's text and numbers are kept and every
 * string argument is redacted unless it is plain words (system and
 * libmicrohttpd error descriptions are), and always when the format quotes
 * it. The result then goes through the log's own escaping and caps. */
#ifndef CONCERTO_CORE_MHD_MESSAGE_H
#define CONCERTO_CORE_MHD_MESSAGE_H

#include <stdarg.h>
#include <stddef.h>

/* What a redacted argument becomes. */
#define MHD_MESSAGE_REDACTED "[redacted]"

/* Formats fmt with ap into out (outlen bytes, always NUL-terminated when
 * outlen > 0; newlines become spaces, a trailing one is dropped). A
 * conversion it does not know ends the message with "[...]", since the
 * arguments after it cannot be read safely. Returns the length written.
 * fmt and the arguments are only read; out belongs to the caller. */
size_t mhd_message_format(char *out, size_t outlen, const char *fmt,
                          va_list ap);

#endif
