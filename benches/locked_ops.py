"""Atomic read-modify-write instructions a program ran, from a callgrind
profile taken with `--dump-instr=yes`.

    python3 benches/locked_ops.py callgrind.out

Prints how many `lock`-prefixed instructions (and `xchg` with memory,
which locks without the prefix) ran. Each costs tens of cycles even
uncontended, far more than its one instruction in callgrind's total, so
`benches/h1_instructions.sh` reports them beside the instructions.
"""

import re
import subprocess
import sys
from collections import defaultdict


def executed(path):
    """Instructions run, by (object file, address)."""
    names = {}
    counts = defaultdict(int)
    obj = None
    addr = 0
    call_cost = False
    with open(path) as profile:
        for line in profile:
            line = line.rstrip("\n")
            if not line:
                continue
            named = re.match(r"(c?ob)=\((\d+)\)(?: (.*))?", line)
            if named:
                if named.group(3):
                    names[named.group(2)] = named.group(3)
                if named.group(1) == "ob":
                    obj = names.get(named.group(2))
                continue
            if line.startswith("calls="):
                # The next line is the call's inclusive cost: its address
                # counts, its instructions are the callee's.
                call_cost = True
                continue
            if not (line[0].isdigit() or line[0] in "+-*"):
                continue
            fields = line.split()
            position = fields[0]
            if position.startswith("0x"):
                addr = int(position, 16)
            elif position[0] in "+-":
                addr += int(position)
            if call_cost:
                call_cost = False
                continue
            if len(fields) >= 3:
                counts[(obj, addr)] += int(fields[2])
    return counts


def locked_addresses(obj):
    """Addresses of the locked instructions in an object file."""
    listing = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", obj],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    found = set()
    for line in listing.splitlines():
        instruction = re.match(r"\s*([0-9a-f]+):\s+(\S+)(.*)", line)
        if not instruction:
            continue
        mnemonic, operands = instruction.group(2), instruction.group(3)
        if mnemonic == "lock" or (mnemonic.startswith("xchg") and "(" in operands):
            found.add(int(instruction.group(1), 16))
    return found


def main():
    counts = executed(sys.argv[1])
    total = 0
    for obj in {obj for obj, _ in counts if obj}:
        locked = locked_addresses(obj)
        total += sum(n for (o, a), n in counts.items() if o == obj and a in locked)
    print(total)


if __name__ == "__main__":
    main()
