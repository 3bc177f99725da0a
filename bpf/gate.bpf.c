// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* jitgate kernel gate: BPF LSM programs that answer two questions on every open, exec and
 * connect: is this object protected, and does the subject hold a live grant for it?
 * No policy logic lives here beyond those lookups; userspace fills the maps. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "jitgate.h"
#include "errno.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "files.bpf.h"
#include "net.bpf.h"
#include "elevate.bpf.h"
#include "taint.bpf.h"
#include "session.bpf.h"
#include "seal.bpf.h"
#include "session_files.bpf.h"
#include "session_lend.bpf.h"
