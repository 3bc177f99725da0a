#!/usr/bin/env bash
# Write the vmlinux.h the BPF programs compile against, from a pinned kernel's BTF.
#   scripts/vmlinux-h.sh OUT.h
# Sources, first found wins:
#   1. $VMLINUX_BTF: a BTF blob (/sys/kernel/btf/vmlinux style) or an ELF vmlinux with .BTF
#   2. the test VM's kernel, .cache/vm/vmlinuz (Debian's linux-image-cloud-amd64, the oldest
#      kernel jitgate supports, that scripts/vm.sh downloads; `scripts/vm.sh --fetch` gets it):
#      the bzImage payload is unpacked and its .BTF read
#   3. the running kernel's /sys/kernel/btf/vmlinux, with a warning (a build on a newer kernel
#      could name a field 6.1 lacks; CO-RE relocations would then fail at load time)
# The first line of OUT.h says which source was used.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROG=vmlinux-h.sh
BPFTOOL=${BPFTOOL:-bpftool}
out=${1:?usage: scripts/vmlinux-h.sh OUT.h}
vmlinuz=$ROOT/.cache/vm/vmlinuz

# bzImage -> ELF vmlinux: the setup header gives the compressed payload's place
# (payload_offset at 0x248, payload_length at 0x24c, after (setup_sects + 1) * 512 bytes).
unpack_bzimage() {
	local img=$1 elf=$2 sects off len magic
	sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$img" | tr -d ' ')
	((sects)) || sects=4
	off=$(od -An -tu4 -j $((0x248)) -N4 "$img" | tr -d ' ')
	len=$(od -An -tu4 -j $((0x24c)) -N4 "$img" | tr -d ' ')
	magic=$(tail -c +$(((sects + 1) * 512 + off + 1)) "$img" | head -c 6 | od -An -tx1 | tr -d ' \n')
	local dec
	case $magic in
	1f8b*) dec=(gzip -dc) ;;
	fd377a585a00) dec=(xz -dc) ;;
	28b52ffd*) dec=(zstd -dc) ;;
	02214c18*) dec=(lz4 -dc) ;;
	5d0000*) dec=(xz -dc --format=lzma) ;;
	425a68*) dec=(bzip2 -dc) ;;
	*) echo "$PROG: $img: unknown kernel compression (magic $magic)" >&2; return 1 ;;
	esac
	tail -c +$(((sects + 1) * 512 + off + 1)) "$img" | head -c "$len" | "${dec[@]}" >"$elf" 2>/dev/null || true
	[[ $(head -c 4 "$elf" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] ||
		{ echo "$PROG: $img: the payload did not unpack to an ELF vmlinux" >&2; return 1; }
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -n ${VMLINUX_BTF:-} ]]; then
	src=$VMLINUX_BTF
	what="VMLINUX_BTF=$VMLINUX_BTF"
elif [[ -s $vmlinuz ]] && unpack_bzimage "$vmlinuz" "$tmp/vmlinux"; then
	src=$tmp/vmlinux
	what="the VM kernel $(cat "$ROOT/.cache/vm/kernel.txt" 2>/dev/null || echo "$vmlinuz")"
else
	src=/sys/kernel/btf/vmlinux
	what="the running kernel $(uname -r) (no pinned kernel in .cache/vm: run scripts/vm.sh --fetch)"
	echo "$PROG: warning: vmlinux.h from $what" >&2
fi
{
	echo "/* vmlinux.h from $what */"
	"$BPFTOOL" btf dump file "$src" format c
} >"$tmp/vmlinux.h"
mv "$tmp/vmlinux.h" "$out"
