"""Speed of ParticleFeatures at another commit and here, interleaved.

Speed changes to the features are small next to the project machine's
run-to-run noise (other load shifts CPU times by 10-30 % between runs), so
a comparison with an earlier record says little. This runs both versions in
the same session, alternately, each in a fresh process with one thread:
``--base`` (any git revision, checked out into a temporary worktree) and the
working tree, ``--rounds`` times each, and keeps each version's best round.

It also compares the two versions' feature matrices, so that a speed-up
that changes the features shows.

With ``--n-jobs N`` (N > 1) it measures the wall-clock time of ``transform``
with ``n_jobs=N`` instead (after a warm-up call that starts the worker
processes): what sending the particles to the workers and back costs shows
there, not in one process's CPU time. Wall-clock time moves with other load,
so only interleaved rounds on a quiet machine compare.

Data: 100-300 px synthetic cut-outs without masks (``bench_features``'s
particles), the same centre-cropped to 96 x 96 px (a particle picker's fixed
box), and the hard regime of ``make_liposomes`` (19-309 px, median about
50 px), with features ``"auto"``, what ``make_svm_pipeline()`` computes for
particles without masks; and the 100-300 px cut-outs with their masks and
``features="all"``, the case of ``bench_features``'s 1,500 particles/s
target. Run from the repository root::

    python -m benchmarks.compare_feature_speed --base daadb17

writes ``results/features_speed_vs_daadb17.*`` (named after the base's short
hash, and ``_jobs<N>`` with ``--n-jobs``, so each comparison keeps its own
record).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from ._environment import git_commit, machine_info, machine_markdown, write_result

ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh process with the version to measure first on sys.path;
# prints {data set: best CPU ms per particle} and saves the feature matrices
# (one .npy per data set) into the folder it is given.
_MEASURE = """
import json, sys, time, warnings
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
import pandas as pd
from threadpoolctl import threadpool_limits
from sklearn_lipnet import ParticleFeatures
from sklearn_lipnet.datasets import make_liposomes
sys.path.insert(0, sys.argv[2])
from benchmarks.bench_features import _process_tree_cpu, cut_outs
# Worker processes start with this sys.path: they must find the version
# measured, not the working tree's (nor the current folder's) copy.
sys.path[:] = [sys.argv[1]] + [p for p in sys.path if p not in ("", sys.argv[2])]
import sklearn_lipnet
assert Path(sklearn_lipnet.__file__).is_relative_to(sys.argv[1])

n = int(sys.argv[3])
n_jobs = int(sys.argv[5])
# One thread: CPU time of this process; several jobs: wall-clock time.
clock = time.process_time if n_jobs == 1 else time.perf_counter
with_masks = cut_outs(n)
variable = with_masks.drop(columns="mask")

def centre_crop(image, side=96):
    top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
    return image[top : top + side, left : left + side]

# {name: (particles, features)}
sets = {
    "100-300 px, no masks": (variable, "auto"),
    "96 x 96 px, no masks": (
        pd.DataFrame({"image": [centre_crop(image) for image in variable["image"]]}),
        "auto",
    ),
    "hard regime": (make_liposomes(2 * n, regime="hard", random_state=1)[0], "auto"),
    "100-300 px, masks given, all features": (with_masks, "all"),
}
best, all_processes = {}, {}
with threadpool_limits(1):
    for name, (table, which) in sets.items():
        features = ParticleFeatures(which, n_jobs=n_jobs).fit(table)
        features.transform(table)
        seconds, cpu = [], []
        for _ in range(3):
            # None without psutil, and not needed with one job.
            cpu_start = _process_tree_cpu() if n_jobs > 1 else None
            start = clock()
            X = features.transform(table)
            seconds.append(clock() - start)
            if cpu_start is not None:
                cpu.append(_process_tree_cpu() - cpu_start)
        best[name] = 1000 * min(seconds) / len(table)
        all_processes[name] = 1000 * min(cpu) / len(table) if cpu else None
        np.save(Path(sys.argv[4]) / f"{len(best)}.npy", X)
# With several jobs, also the CPU time of this process and its workers: what
# sending particles costs shows there with less noise than in wall clock.
print(json.dumps({"best": best, "all_processes": all_processes}))
"""


def measure(source, n_particles, folder, n_jobs=1):
    """Best ms per particle of each data set, for the code in ``source``
    (CPU with one job, wall clock with more); the feature matrices are saved
    into ``folder``."""
    output = subprocess.run(
        [
            sys.executable,
            "-c",
            _MEASURE,
            str(source),
            str(ROOT),
            str(n_particles),
            str(folder),
            str(n_jobs),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _least(values):
    """The smallest of ``values`` that were measured (None: none was)."""
    measured = [value for value in values if value is not None]
    return min(measured) if measured else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare with")
    parser.add_argument("--n-particles", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="worker processes; above 1 the wall-clock time is compared",
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    base, head = git_commit(args.base), git_commit()
    if base is None:
        parser.error(f"--base {args.base}: not a revision of this git checkout")
    rounds = {"base": [], "here": []}
    with tempfile.TemporaryDirectory(prefix="lipnet-base-") as folder:
        worktree = Path(folder) / "tree"
        outputs = {version: Path(folder) / version for version in rounds}
        for output in outputs.values():
            output.mkdir()
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(worktree), base],
            check=True,
            cwd=ROOT,
        )
        try:
            for round_ in range(args.rounds):
                for version, source in (("base", worktree), ("here", ROOT)):
                    rounds[version].append(
                        measure(source, args.n_particles, outputs[version], args.n_jobs)
                    )
                    print(f"round {round_} {version}: {rounds[version][-1]}")
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT
            )
        # Same output? The largest difference relative to the feature's scale.
        differences = {}
        for position, name in enumerate(rounds["base"][0]["best"], start=1):
            before = np.load(outputs["base"] / f"{position}.npy")
            after = np.load(outputs["here"] / f"{position}.npy")
            scale = np.maximum(np.abs(before).max(axis=0), 1e-300)
            differences[name] = (
                float((np.abs(after - before) / scale).max())
                if before.shape == after.shape
                else None
            )
    best, all_processes = (
        {
            version: {
                name: _least(r[metric][name] for r in runs) for name in runs[0][metric]
            }
            for version, runs in rounds.items()
        }
        for metric in ("best", "all_processes")
    )
    parallel = args.n_jobs > 1
    measured = (
        f"wall-clock ms per particle with n_jobs={args.n_jobs}"
        if parallel
        else "CPU ms per particle, one thread"
    )
    result = {
        "benchmark": f"ParticleFeatures.transform, {measured}",
        "command": f"python -m benchmarks.compare_feature_speed --base {args.base} "
        f"--n-particles {args.n_particles} --rounds {args.rounds}"
        + (f" --n-jobs {args.n_jobs}" if parallel else ""),
        "base": base,
        "here": f"{head} and the working tree",
        "rounds": rounds,
        "best": best,
        "cpu_ms_per_particle_all_processes": all_processes if parallel else None,
        "largest_relative_difference": differences,
        "machine": machine_info(),
    }
    lines = [
        "# ParticleFeatures "
        + ("wall-clock time" if parallel else "CPU time")
        + ": another commit and this one, interleaved",
        "",
        f"`{result['command']}`",
        "",
        '`ParticleFeatures("auto")` (what `make_svm_pipeline()` computes without '
        'masks) and, with masks, `ParticleFeatures("all")`; '
        + (
            f"wall clock with `n_jobs={args.n_jobs}` (after a warm-up call)"
            if parallel
            else "one thread, CPU time"
        )
        + f", best of {args.rounds} interleaved rounds of 3 "
        "`transform` calls each, each round in a fresh process. *Output*: the "
        "largest difference between the two versions' feature matrices, relative "
        "to each column's largest magnitude (0: identical)."
        + (
            " *CPU, all processes*: the CPU time of the calling process and its "
            "workers together, per particle (best round), which shows what "
            "sending the particles costs with less noise than the wall clock."
            if parallel
            else ""
        ),
        "",
        f"| data | {base} (ms/particle) | {head} (ms/particle) | change | output |"
        + (f" CPU, all processes, {base} | {head} |" if parallel else ""),
        "| --- | ---: | ---: | ---: | ---: |" + (" ---: | ---: |" if parallel else ""),
    ]
    for name in best["base"]:
        before, after = best["base"][name], best["here"][name]
        difference = differences[name]
        output = "other columns" if difference is None else f"{difference:.1e}"
        row = (
            f"| {name} | {before:.2f} | {after:.2f} | {after / before - 1:+.0%} "
            f"| {output} |"
        )
        if parallel:
            row += "".join(
                " - |" if cpu is None else f" {cpu:.2f} |"
                for cpu in (all_processes["base"][name], all_processes["here"][name])
            )
        lines.append(row)
    lines += ["", "## Machine", "", machine_markdown(result["machine"])]
    if not args.no_write:
        name = f"features_speed_vs_{base}" + (f"_jobs{args.n_jobs}" if parallel else "")
        write_result(name, result, "\n".join(lines))
    print("\n".join(lines[:-3]))


if __name__ == "__main__":
    main()
