#!/usr/bin/env python3
"""A blind mutation fuzzer for Parquet tables, through the real binary: it needs no nightly
features and no instrumented build, and found the files in fixtures/hostile/fuzz-regressions/.

    cargo test --no-run --test hostile          # builds target/debug/sotecheck
    python3 fuzz/mutate_parquet.py 500 --seed 1

Each round writes a valid Parquet package (`sotecheck generate --format parquet`), flips
bytes of one table (anywhere, or in the footer's thrift metadata, or overwrites a run),
validates it whole or streamed, and keeps the inputs whose run panicked (caught or not),
aborted, timed out or exited other than 0, 1 or 2, under fuzz/artifacts/parquet/.
"""

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rounds", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--exe", default=os.path.join(REPO, "target", "debug", "sotecheck"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = os.path.join(HERE, "artifacts", "parquet")
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        good = os.path.join(tmp, "good")
        subprocess.run([args.exe, "generate", "--region", "90", "--rows", "300", "--seed", "12", "--format", "parquet",
                        "--out", good], check=True, capture_output=True)
        work = os.path.join(tmp, "case")
        shutil.copytree(good, work)
        tables = ["costs", "activity", "staff", "population", "service_map"]
        outcomes = {}
        for _ in range(args.rounds):
            table = rng.choice(tables)
            data = bytearray(open(os.path.join(good, table + ".parquet"), "rb").read())
            kind = rng.random()
            if kind < 0.6:
                for _ in range(rng.randint(1, 6)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
            elif kind < 0.8:
                footer = int.from_bytes(data[-8:-4], "little")
                for _ in range(rng.randint(1, 4)):
                    data[rng.randrange(len(data) - 8 - footer, len(data) - 8)] = rng.randrange(256)
            else:
                at = rng.randrange(4, len(data) - 8)
                data[at:at + rng.randint(1, 64)] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
            for t in tables:
                shutil.copy(os.path.join(good, t + ".parquet"), os.path.join(work, t + ".parquet"))
            with open(os.path.join(work, table + ".parquet"), "wb") as f:
                f.write(data)
            mode = rng.choice([[], ["--batch-over", "0", "--batch-size", "1K"]])
            try:
                r = subprocess.run([args.exe, "validate", work, "--format", "json", *mode], capture_output=True, timeout=60)
                code, err = r.returncode, r.stderr.decode(errors="replace")
            except subprocess.TimeoutExpired:
                code, err = "timeout", ""
            panicked = "panicked" in err
            outcomes[(code, panicked)] = outcomes.get((code, panicked), 0) + 1
            if panicked or code not in (0, 1, 2):
                name = f"{table}-{code}-{hashlib.sha1(bytes(data)).hexdigest()[:12]}"
                with open(os.path.join(out, name + ".parquet"), "wb") as f:
                    f.write(data)
                with open(os.path.join(out, name + ".txt"), "w") as f:
                    f.write(" ".join(mode) + "\n" + err[:4000])
        for (code, panicked), n in sorted(outcomes.items(), key=str):
            print(f"exit {code}{' (a panic was caught)' if panicked and code == 2 else ''}: {n}")


if __name__ == "__main__":
    main()
