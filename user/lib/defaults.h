/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Version and default paths shared by jitgated and jitgate (the brief's section 3). */
#ifndef JG_DEFAULTS_H
#define JG_DEFAULTS_H

#define JG_VERSION          "0.1.0"
#define JG_CONFIG_DEFAULT   "/etc/jitgate/jitgated.json"
#define JG_POLICY_DEFAULT   "/etc/jitgate/policy.json"
#define JG_AUDIT_DEFAULT    "/var/log/jitgate/audit.jsonl"
#define JG_STATE_DIR_DEFAULT "/var/lib/jitgate"
/* jitgated keeps these next to its socket (default /run/jitgate). */
#define JG_CANARY_NAME      "canary"
#define JG_LOCK_NAME        "jitgated.lock"

#endif
