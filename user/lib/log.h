/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JG_LOG_H
#define JG_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum jg_log_level { JG_LOG_WARN = 0, JG_LOG_INFO = 1, JG_LOG_DEBUG = 2 };

/* Messages go to stderr as "PROG: message"; debug only with -v. When stderr is the journal
 * ($JOURNAL_STREAM names it), each line starts with its syslog priority ("<3>" errors and
 * warnings, "<6>" info, "<7>" debug) so journalctl -p can filter. */
void log__init(const char *prog, enum jg_log_level level);
/* Warnings and errors as one JSON object per line on stderr, {"error": "sentence"}. */
void log__json_errors(bool on);
enum jg_log_level log__level(void);
void log__print(enum jg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Route libbpf's own messages through us (debug chatter hidden unless -v). */
void log__hook_libbpf(void);

#define pr_warn(fmt, ...)  log__print(JG_LOG_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  log__print(JG_LOG_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) log__print(JG_LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif
