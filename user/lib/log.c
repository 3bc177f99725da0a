// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "lib/log.h"

static const char *log_prog = "jitgate";
static enum jg_log_level log_level = JG_LOG_INFO;

void log__init(const char *prog, enum jg_log_level level)
{
	log_prog = prog;
	log_level = level;
}

enum jg_log_level log__level(void)
{
	return log_level;
}

void log__print(enum jg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	fprintf(stderr, "%s: ", log_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings are reworded by our callers; show its text only with -v. */
	if (log_level < JG_LOG_DEBUG)
		return 0;
	fprintf(stderr, "%s: libbpf: ", log_prog);
	return vfprintf(stderr, fmt, ap);
}

void log__hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
