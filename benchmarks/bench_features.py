"""Particles per second of ParticleFeatures with all features.

Target (issue 4): at least 500 particles per second on the project's 2-core
machine for 100-200 px cut-outs with all features. The cut-outs are
synthetic liposomes (``make_liposomes``, 50 px surrounding) whose side is
between 100 and 200 pixels, with their masks; the time is that of
``transform`` (``fit`` only checks parameters), best of ``--repeats`` runs
after one warm-up run, which also starts the joblib workers.

Run from the repository root::

    python -m benchmarks.bench_features            # writes results/features_speed.*
    python -m benchmarks.bench_features --n-particles 200 --no-write   # quick look
"""

import argparse
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn_lipnet import ParticleFeatures
from sklearn_lipnet.datasets import make_liposomes

from ._environment import machine_info, machine_markdown, write_result


def cut_outs(n_particles, low=100, high=200, random_state=0):
    """``n_particles`` liposome cut-outs whose larger side is in [low, high]."""
    tables = []
    seed = random_state
    found = 0
    while found < n_particles:
        table, _ = make_liposomes(
            max(n_particles, 200), pixel_size_nm=2.0, random_state=seed
        )
        sides = np.array([max(image.shape) for image in table["image"]])
        table = table[(sides >= low) & (sides <= high)]
        tables.append(table)
        found += len(table)
        seed += 1
    return pd.concat(tables, ignore_index=True).iloc[:n_particles]


def git_commit():
    """Short hash of the checked-out commit, or None outside a git checkout."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _loads(loads):
    return ", ".join(f"{load:.2f}" for load in loads)


def particles_per_second(transformer, table, repeats):
    transformer.fit(table)
    transformer.transform(table)  # warm-up: caches, joblib worker start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        transformer.transform(table)
        times.append(time.perf_counter() - start)
    return len(table) / min(times), times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-particles", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    table = cut_outs(args.n_particles)
    sides = np.array([max(image.shape) for image in table["image"]])
    areas = np.array([mask.sum() for mask in table["mask"]])
    runs = {}
    for n_jobs in (1, 2):
        features = ParticleFeatures("all", n_jobs=n_jobs)
        rate, times = particles_per_second(features, table, args.repeats)
        runs[f"n_jobs={n_jobs}"] = {
            "particles_per_second": round(rate, 1),
            "seconds": [round(t, 3) for t in times],
            "n_features": int(features.n_features_out_),
        }
        print(f"n_jobs={n_jobs}: {rate:.0f} particles/s")
    # Without masks the automatic segmentation runs first (data layer).
    unmasked = table[["image"]].iloc[: min(200, len(table))]
    rate, times = particles_per_second(
        ParticleFeatures("all", n_jobs=2), unmasked, args.repeats
    )
    runs["n_jobs=2, no masks (automatic segmentation)"] = {
        "particles_per_second": round(rate, 1),
        "seconds": [round(t, 3) for t in times],
        "n_particles": len(unmasked),
    }
    print(f"no masks, n_jobs=2: {rate:.0f} particles/s")
    load_after = os.getloadavg()

    import scipy
    import skimage

    info = machine_info()
    info["commit"] = git_commit()
    info["scipy"] = scipy.__version__
    info["scikit-image"] = skimage.__version__
    info["load_average_before"] = load_before
    info["load_average_after"] = load_after
    result = {
        "benchmark": "ParticleFeatures('all').transform",
        "command": "python -m benchmarks.bench_features "
        f"--n-particles {args.n_particles} --repeats {args.repeats}",
        "data": {
            "n_particles": len(table),
            "generator": "make_liposomes(pixel_size_nm=2.0), sides 100-200 px",
            "side_px_min_median_max": [
                int(sides.min()),
                int(np.median(sides)),
                int(sides.max()),
            ],
            "mask_area_px_median": int(np.median(areas)),
        },
        "runs": runs,
        "target_particles_per_second": 500,
        "machine": info,
    }
    rows = "\n".join(
        f"| {name} | {run['particles_per_second']:.0f} | "
        f"{', '.join(f'{t:.2f}' for t in run['seconds'])} |"
        for name, run in runs.items()
    )
    markdown = f"""# ParticleFeatures speed

`{result["command"]}`

{len(table)} synthetic liposome cut-outs (`make_liposomes`, 2 nm/px), sides
{sides.min()}-{sides.max()} px (median {int(np.median(sides))}), with masks
(median area {int(np.median(areas))} px), all
{runs["n_jobs=1"]["n_features"]} features. Best of {args.repeats} timed
`transform` calls after a warm-up call (which also starts the joblib
workers). Target: 500 particles/s.

| run | particles/s | seconds per call |
| --- | --- | --- |
{rows}

Load average (1, 5, 15 min) before: {_loads(load_before)}, after:
{_loads(load_after)}. The machine is shared: a 1-minute load above about 0.5
before the run means another job was using a core meanwhile.

## Machine

{machine_markdown(info)}
"""
    if not args.no_write:
        for path in write_result("features_speed", result, markdown):
            print("wrote", path)


if __name__ == "__main__":
    main()
