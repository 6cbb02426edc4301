"""Particles per second of ParticleFeatures with and without masks, and why.

Targets (issue 14, item 4), on the project's 2-core machine: 1,500 particles
per second with masks given and 500 per second without (the automatic
segmentation runs first), all features. The cut-outs are synthetic liposomes
(``make_liposomes`` at its default 1 nm per pixel, 50 px surrounding) whose
larger side is 100 to 300 pixels, with their true masks.

A third case, without masks, computes what ``make_svm_pipeline()``
computes for such particles (``features="auto"``: the mask-free features,
the thesis's in checked automatic masks, and the check); it has no target.

Three measurements per case:

- wall-clock rate of ``transform`` with ``n_jobs=1`` and ``n_jobs=2``, best
  of ``--repeats`` calls after a warm-up call (which also starts the joblib
  workers); meaningful on a quiet machine only;
- CPU time per particle of ``transform`` in this process with one thread
  (``time.process_time``, BLAS/OpenMP limited to one thread), robust to other
  load, and the 2-core rate derived from it, ``2 / (CPU seconds per
  particle)``. That rate is what two processes reach if the work really
  splits between them; the ``n_jobs=2`` run checks it: the CPU time of this
  process and its worker processes together, per particle, is reported next
  to the single-process one (equal means no parallel overhead);
- CPU time per particle of each phase, measured particle by particle in the
  order ``transform`` runs them (segmentation, validation and cropping, the
  distance transform, each feature family); "overhead" is the rest of
  ``transform`` (table checks, chunking, stacking).

Run from the repository root::

    python -m benchmarks.bench_features            # writes results/features_speed.*
    python -m benchmarks.bench_features --n-particles 200 --no-write   # quick look
"""

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from sklearn_lipnet import ParticleFeatures
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.features import _description
from sklearn_lipnet.segmentation._particle import _segment
from sklearn_lipnet.segmentation._quality import _segment_and_check

from ._environment import git_commit, machine_info, machine_markdown, write_result

TARGETS = {"masks given": 1500, "no masks": 500}
#: The cases: which particles (with or without their masks) and which
#: features. The targets are for ``features="all"``; the third case is what
#: ``make_svm_pipeline()`` computes for particles without masks
#: (``features="auto"``: the mask-free features, the thesis's in checked
#: automatic masks, and the check).
CASES = {
    "masks given": (True, "all"),
    "no masks": (False, "all"),
    "no masks, SVM default features (auto)": (False, "auto"),
}


def cut_outs(n_particles, low=100, high=300, random_state=0):
    """``n_particles`` cut-outs (1 nm/px) whose larger side is in [low, high]."""
    tables = []
    seed = random_state
    found = 0
    while found < n_particles:
        table, _ = make_liposomes(max(n_particles, 200), random_state=seed)
        sides = np.array([max(image.shape) for image in table["image"]])
        table = table[(sides >= low) & (sides <= high)]
        tables.append(table)
        found += len(table)
        seed += 1
    return pd.concat(tables, ignore_index=True).iloc[:n_particles]


def _process_tree_cpu():
    """CPU seconds of this process and its (worker) child processes, or None."""
    try:
        import psutil
    except ImportError:
        return None
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


def wall_clock(table, n_jobs, repeats, features="all"):
    """Best wall-clock seconds per particle of ``transform`` and the tree's CPU."""
    features = ParticleFeatures(features, n_jobs=n_jobs).fit(table)
    features.transform(table)  # warm-up: caches, joblib worker start
    seconds, cpu = [], []
    for _ in range(repeats):
        cpu_start = _process_tree_cpu()
        start = time.perf_counter()
        features.transform(table)
        seconds.append(time.perf_counter() - start)
        if cpu_start is not None:
            cpu.append(_process_tree_cpu() - cpu_start)
    n = len(table)
    return {
        "particles_per_second": round(n / min(seconds), 1),
        "seconds": [round(s, 3) for s in seconds],
        "cpu_ms_per_particle_all_processes": (
            round(1000 * min(cpu) / n, 4) if cpu else None
        ),
    }


def cpu_phases(table, repeats, features="all"):
    """CPU ms per particle of ``transform`` and of its phases, one thread."""
    features = ParticleFeatures(features).fit(table)
    spec = features._fitted_spec()
    images = list(table["image"])
    has_masks = "mask" in table.columns
    masks = list(table["mask"]) if has_masks else [None] * len(images)
    sizes = (
        list(table["pixel_size_nm"])
        if "pixel_size_nm" in table.columns
        else [None] * len(images)
    )
    clock = time.process_time
    best = {}
    for _ in range(repeats):
        start = clock()
        features.transform(table)
        phases = {"transform": clock() - start}

        def add(name, seconds, phases=phases):
            phases[name] = phases.get(name, 0.0) + seconds

        for image, mask, size in zip(images, masks, sizes):
            quality = None
            if mask is None and spec.checks_masks:
                start = clock()
                mask, quality = _segment_and_check(image)
                add("segmentation and check", clock() - start)
            elif mask is None and spec.needs_masks:
                start = clock()
                mask, _ = _segment(image)
                add("segmentation", clock() - start)
            start = clock()
            particle = _description._Particle(image, mask, size, spec, quality)
            middle = clock()
            if particle.geometry is not None:
                _ = particle.geometry.depths
            add("validation and cropping", middle - start)
            add("distance transform", clock() - middle)
            for name in spec.features:
                start = clock()
                _description._COMPUTE[name](particle)
                add(name, clock() - start)
        phases["overhead"] = phases["transform"] - sum(
            seconds for name, seconds in phases.items() if name != "transform"
        )
        for name, seconds in phases.items():
            value = 1000 * seconds / len(images)
            best[name] = min(best.get(name, np.inf), value)
    # The overhead is a difference of minima: keep it from going negative.
    best["overhead"] = max(best["overhead"], 0.0)
    return {name: round(value, 4) for name, value in best.items()}


def run_case(table, repeats, features="all"):
    with threadpool_limits(1):
        phases = cpu_phases(table, repeats, features)
    wall = {
        f"n_jobs={n_jobs}": wall_clock(table, n_jobs, repeats, features)
        for n_jobs in (1, 2)
    }
    cpu = phases["transform"]
    return {
        "n_particles": len(table),
        "cpu_ms_per_particle": cpu,
        "two_core_rate_from_cpu": round(2000 / cpu, 1),
        "one_core_rate_from_cpu": round(1000 / cpu, 1),
        "wall_clock": wall,
        "phases_cpu_ms_per_particle": phases,
    }


def _markdown(result, args):
    lines = [
        "# ParticleFeatures speed",
        "",
        f"`{result['command']}`",
        "",
        f"Synthetic liposome cut-outs ({result['data']['generator']}), larger side "
        f"{result['data']['side_px_min_median_max'][0]}-"
        f"{result['data']['side_px_min_median_max'][2]} px (median "
        f"{result['data']['side_px_min_median_max'][1]}), median mask area "
        f"{result['data']['mask_area_px_median']} px. The first two cases "
        f'compute `features="all"` ({result["data"]["n_features"]} features, '
        "the targets' case); the third what `make_svm_pipeline()` computes for "
        'particles without masks, `features="auto"` ('
        f"{result['data']['n_features_auto']} features: the mask-free ones, the "
        "thesis's in checked automatic masks, and the check).",
        "",
        "| case | particles | CPU ms/particle (1 thread) | 2-core rate from CPU "
        "| wall n_jobs=1 | wall n_jobs=2 | CPU ms/particle, n_jobs=2, all "
        "processes | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case, run in result["cases"].items():
        wall1, wall2 = run["wall_clock"]["n_jobs=1"], run["wall_clock"]["n_jobs=2"]
        tree = wall2["cpu_ms_per_particle_all_processes"]
        target = f"{TARGETS[case]}/s" if case in TARGETS else "-"
        lines.append(
            f"| {case} | {run['n_particles']} | {run['cpu_ms_per_particle']:.3f} "
            f"| {run['two_core_rate_from_cpu']:.0f}/s "
            f"| {wall1['particles_per_second']:.0f}/s "
            f"| {wall2['particles_per_second']:.0f}/s "
            f"| {'-' if tree is None else f'{tree:.3f}'} "
            f"| {target} |"
        )
    lines += [
        "",
        "The 2-core rate is `2 / (CPU seconds per particle)` of one process with "
        "one thread; it holds where the work splits between two processes, which "
        "the last CPU column checks (this process and its joblib workers "
        "together, per particle, during the `n_jobs=2` runs; about the "
        "one-thread figure means no parallel overhead). Wall-clock rates are "
        "best of "
        f"{args.repeats} calls after a warm-up call and mean something only on "
        "a quiet machine.",
        "",
        "## CPU time per phase (ms per particle, one thread)",
        "",
        "| phase | " + " | ".join(result["cases"]) + " |",
        "| --- |" + " ---: |" * len(result["cases"]),
    ]
    names = ["transform", "segmentation"]
    for run in result["cases"].values():
        names += [n for n in run["phases_cpu_ms_per_particle"] if n not in names]
    for name in names:
        cells = [
            run["phases_cpu_ms_per_particle"].get(name)
            for run in result["cases"].values()
        ]
        lines.append(
            f"| {name} | "
            + " | ".join("-" if c is None else f"{c:.4f}" for c in cells)
            + " |"
        )
    load = result["machine"]
    lines += [
        "",
        "Phases are timed particle by particle in the order `transform` runs "
        "them; `transform` is the whole call, `overhead` what it spends outside "
        "the phases. Load average (1, 5, 15 min) before: "
        f"{_loads(load['load_average_before'])}, after: "
        f"{_loads(load['load_average_after'])} on "
        f"{load.get('cpu_count')} cores. CPU times grow with other load too "
        "(shared cores and caches; up to twofold between runs on the busy "
        "project machine), wall-clock times much more: compare versions in "
        "one session, interleaved, or on a quiet machine.",
        "",
        "## Machine",
        "",
        machine_markdown(result["machine"]),
    ]
    return "\n".join(lines)


def _loads(loads):
    return ", ".join(f"{load:.2f}" for load in loads)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-particles", type=int, default=1000)
    parser.add_argument(
        "--n-unmasked",
        type=int,
        default=300,
        help="particles of the case without masks (segmentation is slower)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    table = cut_outs(args.n_particles)
    sides = np.array([max(image.shape) for image in table["image"]])
    areas = np.array([mask.sum() for mask in table["mask"]])
    unmasked = table.drop(columns="mask").iloc[: min(args.n_unmasked, len(table))]
    cases = {}
    with warnings.catch_warnings():
        # Segmentation failures and particles at the border are expected in
        # synthetic "uncertain" particles; they do not change the timing.
        warnings.simplefilter("ignore", UserWarning)
        for case, (with_masks, features) in CASES.items():
            data = table if with_masks else unmasked
            cases[case] = run_case(data, args.repeats, features)
            run = cases[case]
            print(
                f"{case}: {run['cpu_ms_per_particle']:.3f} CPU ms/particle -> "
                f"{run['two_core_rate_from_cpu']:.0f}/s on 2 cores; wall "
                + ", ".join(
                    f"{k} {v['particles_per_second']:.0f}/s"
                    for k, v in run["wall_clock"].items()
                )
            )
    load_after = os.getloadavg()

    import scipy
    import skimage

    info = machine_info()
    info["commit"] = git_commit()
    info["scipy"] = scipy.__version__
    info["scikit-image"] = skimage.__version__
    info["load_average_before"] = [round(x, 2) for x in load_before]
    info["load_average_after"] = [round(x, 2) for x in load_after]
    result = {
        "benchmark": "ParticleFeatures('all').transform",
        "command": "python -m benchmarks.bench_features "
        f"--n-particles {args.n_particles} --n-unmasked {args.n_unmasked} "
        f"--repeats {args.repeats}",
        "data": {
            "n_particles": len(table),
            "generator": "make_liposomes(pixel_size_nm=1.0), larger side 100-300 px",
            "side_px_min_median_max": [
                int(sides.min()),
                int(np.median(sides)),
                int(sides.max()),
            ],
            "mask_area_px_median": int(np.median(areas)),
            "n_features": int(ParticleFeatures().fit(table).n_features_out_),
            "n_features_auto": int(
                ParticleFeatures("auto").fit(unmasked).n_features_out_
            ),
        },
        "cases": cases,
        "target_particles_per_second": TARGETS,
        "machine": info,
    }
    markdown = _markdown(result, args)
    if args.no_write:
        print(markdown)
    else:
        for path in write_result("features_speed", result, markdown):
            print("wrote", path)


if __name__ == "__main__":
    main()
