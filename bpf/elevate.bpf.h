/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Becoming root: setuid/setgid-root and file-capability execs, setuid-family transitions to
 * uid 0, and the exec trail of a subject holding an elevate grant. */
#ifndef JG_ELEVATE_BPF_H
#define JG_ELEVATE_BPF_H

#include "decide.bpf.h"

#endif
