#!/usr/bin/env python3
"""Writes a seeded, reproducible source tree for an EROFS test image.

usage: gentree.py KIND SEED DIR

The same KIND and SEED always give the same names, sizes and bytes, so images built from the tree are
reproducible and nothing binary needs committing. Kinds:
  mixed       sizes around block and chunk boundaries, nested directories
  text        compressible text (for -zlz4)
  small       many small files in many directories
  large       one file far larger than the readahead window (SIZE_MIB, default 64) plus a small one
"""
import os
import random
import sys

BLOCK = 4096
CHUNK = 65536
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
         "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango")


def write(root, rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def mixed(rng, root):
    sizes = [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 123,
             1024 * 1024 + 4097, 3 * 1024 * 1024 - 7]
    for i, size in enumerate(sizes):
        write(root, f"d{i % 3}/sub{i % 2}/f{i:02d}-{size}.bin", rng.randbytes(size))
    write(root, "README.txt", b"seeded test tree\n")


def text(rng, root):
    for i, lines in enumerate((10, 1000, 20000, 60000)):
        body = "\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) for _ in range(lines))
        write(root, f"text/t{i}.txt", body.encode())
    write(root, "bin/noise.bin", rng.randbytes(300000))  # incompressible: stored uncompressed by lz4


def small(rng, root):
    for i in range(1500):
        write(root, f"dir{i % 40:02d}/file{i:04d}", rng.randbytes(rng.randint(0, 3000)))


def large(rng, root):
    size = int(os.environ.get("SIZE_MIB", "64")) * 1024 * 1024
    path = os.path.join(root, "big.bin")
    os.makedirs(root, exist_ok=True)
    with open(path, "wb") as f:
        for _ in range(size // (1024 * 1024)):
            f.write(rng.randbytes(1024 * 1024))
    write(root, "small.txt", b"next to the big one\n")


def main():
    kind, seed, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    kinds = {"mixed": mixed, "text": text, "small": small, "large": large}
    if kind not in kinds:
        sys.exit(f"gentree.py: unknown kind {kind!r}; one of {sorted(kinds)}")
    # randbytes draws from the Mersenne Twister, whose stream is fixed for a seed across Python versions.
    kinds[kind](random.Random(seed), root)


if __name__ == "__main__":
    main()
