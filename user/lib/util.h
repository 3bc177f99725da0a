/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/lib/, the ground floor: helpers that hold no jitgate state (clocks, users and
 * processes, log, durations, JSON positions, mounts, the protocol's line framing, grant and
 * request ids, permission names). They use the C library, jansson and include/jitgate.h
 * only; every other folder may use them, and they include nothing above them. */
#ifndef JG_UTIL_H
#define JG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int64_t util__realtime_ns(void);
/* CLOCK_MONOTONIC in milliseconds: the deadlines of sockets and waits. */
int64_t util__monotonic_ms(void);
uint64_t util__boottime_ns(void);
/* Wall-clock time of a CLOCK_BOOTTIME instant of this boot. */
int64_t util__boot_to_wall(uint64_t boot_ns);
/* RFC 3339 UTC with nanoseconds: 2026-11-22T19:30:00.123456789Z */
char *util__rfc3339(int64_t wall_ns, char *buf, size_t len);

/* Name of a uid, or its number when the user database has none. */
char *util__user_name(uint32_t uid, char *buf, size_t len);
/* "alice" or "1000" -> uid (and canonical name). -ENOENT with a sentence in err. */
int util__resolve_user(const char *text, uint32_t *uid, char *name, size_t namelen,
		       char *err, size_t errlen);
bool util__user_in_group(uint32_t uid, const char *group);
/* /proc/PID/loginuid, (uint32_t)-1 when unset or unreadable. */
uint32_t util__loginuid(pid_t pid);

/* The ids of one live process, provably read from the process that holds PID now. */
struct util_proc_ids {
	uint32_t ruid, euid, rgid, egid;
	uint32_t loginuid;		/* (uint32_t)-1 when unset */
};
/* Opens a pidfd for PID first, then reads /proc/PID/status and /proc/PID/loginuid, then
 * checks that the pidfd's process has not exited: while it lives its number cannot be given
 * to another process, so everything read was that process's. Returns 0, or -ESRCH (no such
 * process, or it exited: its PID may belong to someone else by now), -errno, with one
 * sentence in err. */
int util__proc_ids(pid_t pid, struct util_proc_ids *ids, char *err, size_t errlen);

/* Send what is left of a reply, buf[*off..len), on a non-blocking socket (MSG_NOSIGNAL),
 * advancing *off. Returns 1 once all of it is out, 0 when the socket is full (wait for
 * EPOLLOUT, then call again), -errno when the peer is gone. */
int util__send_rest(int fd, const char *buf, size_t len, size_t *off);
/* Read what a non-blocking socket holds now, at most len (> 0) bytes: the count, 0 when
 * nothing is there yet (wait for EPOLLIN), -1 when the peer closed or the socket failed. */
ssize_t util__recv_some(int fd, void *buf, size_t len);
/* Write all of buf to a blocking fd (a file, a terminal), again after EINTR: the bytes
 * written, fewer than len when a write failed or wrote nothing. */
size_t util__write_all(int fd, const char *buf, size_t len);

int util__mkdir_p(const char *path, mode_t mode);
/* /proc/sys/kernel/random/boot_id, "" when unavailable. */
void util__boot_id(char *buf, size_t len);

/* JSON text from jansson with DEL escaped too (jansson escapes every other control
 * character; DEL can only stand in a string, where \u007F means the same), so no output
 * carries a raw control character. Takes json (malloc'd); NULL stays NULL, and on ENOMEM. */
char *util__json_escape_del(char *json);

#endif
