#!/usr/bin/env python3
"""Writes a deterministic, realistic multi-level BOM as CSV for bench/storage.sh.

    gen_bom_csv.py OUT.csv [ROWS=100000] [SEED=7]

Header: level,part_number,description,quantity,unit,manufacturer,material
(manufacturer is a recognised column, the item's first approved manufacturer; material is not,
so bomvault keeps it as an item property).
The structure is an indented BOM (depth-first, level 1..5): a few top assemblies, sub-assemblies
below them, purchased parts as leaves at levels 3-5. ~100 bytes per line. No cell needs quoting
(no ',', '"' or line breaks), so the raw reference may split on ',' without a CSV library.
"""
import random
import sys

out_path = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)

MFRS = ["Yageo", "Murata Manufacturing", "Texas Instruments", "Vishay Dale", "TE Connectivity",
        "Bossard", "Wurth Elektronik", "Analog Devices", "Molex", "Panasonic Industrial"]
LEAVES = [
    ("RES", "Resistor {v} 1% 0402 thick film AEC-Q200", "ea", "Thick film ceramic"),
    ("CAP", "Capacitor {v} 50V X7R 0603 multilayer ceramic", "ea", "Ceramic X7R"),
    ("IC", "Microcontroller {v} 32-bit ARM Cortex-M4 LQFP-64", "ea", "Silicon epoxy mold"),
    ("SCR", "Screw pan head M3x{v} ISO 14583 Torx T10", "ea", "Stainless steel A2-70"),
    ("CBL", "Cable harness 22AWG {v} conductor shielded PVC jacket", "m", "Copper PVC"),
    ("CON", "Connector header {v} pin 2.54mm pitch right angle THT", "ea", "PBT glass filled"),
    ("GLU", "Thread locker medium strength {v} grade anaerobic", "ml", "Methacrylate ester"),
    ("LBL", "Label polyester {v}mm x 25mm thermal transfer printable", "ea", "Polyester film"),
]
ASMS = ["Power distribution unit", "Main controller board assembly", "Sensor head module",
        "Cable loom front section", "Enclosure and mounting kit", "Display and keypad module",
        "Cooling fan assembly", "Battery pack 48V"]


def leaf(level):
    prefix, desc, unit, material = rng.choice(LEAVES)
    v = rng.randint(1, 999)
    if unit == "m":
        qty = f"{rng.randint(1, 40) / 4:g}"
    elif unit == "ml":
        qty = f"{rng.randint(1, 20) / 2:g}"
    else:
        qty = str(rng.choice([1, 1, 1, 2, 2, 4, 6, 8, 12, 16]))
    pn = f"{prefix}-{rng.randint(0, 99999):05d}-{rng.choice('ABCDEFGH')}{rng.randint(0, 9)}"
    return [str(level), pn, desc.format(v=v), qty, unit, rng.choice(MFRS), material]


def assembly(level):
    pn = f"ASM-{rng.randint(10000, 99999)}-{rng.randint(0, 999):03d}"
    name = f"{rng.choice(ASMS)} rev {rng.choice('ABCDE')}{rng.randint(1, 9)} level {level}"
    return [str(level), pn, name, str(rng.choice([1, 1, 2])), "ea", "Bench Industries GmbH",
            "Mixed assembly"]


lines = []


def emit(cells):
    if len(lines) < rows:
        lines.append(",".join(cells))


def subtree(level):
    """An assembly at `level` (1-4) with children; leaves reach level 5 at most."""
    emit(assembly(level))
    for _ in range(rng.randint(4, 12)):
        if len(lines) >= rows:
            return
        deeper = level < 4 and rng.random() < (0.35 if level < 3 else 0.15)
        if deeper or level < 2:
            subtree(level + 1)
        else:
            emit(leaf(level + 1))


while len(lines) < rows:
    subtree(1)

with open(out_path, "w", newline="\n") as f:
    f.write("level,part_number,description,quantity,unit,manufacturer,material\n")
    f.write("\n".join(lines) + "\n")
