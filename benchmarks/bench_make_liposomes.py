"""How many synthetic cut-outs ``make_liposomes`` draws per second on one core.

The process pins itself to a single CPU core and limits every thread pool to
one thread before NumPy loads, then times ``make_liposomes`` for both
problems with the thesis's class proportions (warm-up first, median of
``--repeats`` runs). It also times writing the set to a folder per class and
reading it back, which is what a user of the generator does next.

Run::

    python -m benchmarks.bench_make_liposomes

Writes ``benchmarks/results/make_liposomes.{json,md}``. Target (issue 3):
at least 200 cut-outs per second on one core.
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from sklearn_lipnet.datasets import (  # noqa: E402
    load_particles,
    make_liposomes,
    save_particles,
)

from ._environment import machine_info, machine_markdown, write_result  # noqa: E402


def pin_to_one_core():
    """Run on the first core this process may use; return its number."""
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def time_generator(problem, n_samples, repeats):
    make_liposomes(20, problem=problem, random_state=123)  # warm-up
    rates = []
    for seed in range(repeats):
        start = time.perf_counter()
        table, _ = make_liposomes(n_samples, problem=problem, random_state=seed)
        rates.append(n_samples / (time.perf_counter() - start))
    sides = np.array([image.shape for image in table["image"]])
    return {
        "problem": problem,
        "n_samples": n_samples,
        "cutouts_per_s": statistics.median(rates),
        "runs_cutouts_per_s": rates,
        "mean_image_side_px": float(sides.mean()),
        "image_side_range_px": [int(sides.min()), int(sides.max())],
    }


def time_round_trip(n_samples):
    table, y = make_liposomes(n_samples, random_state=0)
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        save_particles(table, y, root)
        saved = time.perf_counter() - start
        start = time.perf_counter()
        loaded, _ = load_particles(root)
        loaded_in = time.perf_counter() - start
    assert len(loaded) == n_samples
    return {
        "n_samples": n_samples,
        "save_per_s": n_samples / saved,
        "load_per_s": n_samples / loaded_in,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    core = pin_to_one_core()
    info = machine_info()
    info["pinned_to_core"] = core
    rows = [
        time_generator(problem, args.n_samples, args.repeats)
        for problem in ("lamellarity", "encapsulation")
    ]
    round_trip = time_round_trip(min(args.n_samples, 200))
    result = {"machine": info, "generator": rows, "folder_round_trip": round_trip}

    lines = [
        "# make_liposomes: cut-outs per second on one core",
        "",
        "`python -m benchmarks.bench_make_liposomes` "
        f"(n_samples={args.n_samples}, median of {args.repeats} runs, thesis "
        "class proportions, one core, one thread). Target: >= 200 cut-outs/s.",
        "",
        "| problem | cut-outs/s | runs | mean image side (px) | sides (px) |",
        "| --- | ---: | --- | ---: | --- |",
    ]
    for row in rows:
        runs = ", ".join(f"{rate:.0f}" for rate in row["runs_cutouts_per_s"])
        low, high = row["image_side_range_px"]
        lines.append(
            f"| {row['problem']} | {row['cutouts_per_s']:.0f} | {runs} | "
            f"{row['mean_image_side_px']:.0f} | {low}-{high} |"
        )
    lines += [
        "",
        f"Folder round trip of {round_trip['n_samples']} lamellarity cut-outs with "
        f"masks (PNG): save_particles {round_trip['save_per_s']:.0f}/s, "
        f"load_particles {round_trip['load_per_s']:.0f}/s.",
        "",
        "## Machine",
        "",
        machine_markdown(info),
    ]
    markdown = "\n".join(lines)
    paths = write_result("make_liposomes", result, markdown)
    print(markdown)
    print("wrote", *paths)


if __name__ == "__main__":
    main()
