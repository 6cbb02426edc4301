"""The main job's LipNet-4 folds one after another, and in parallel processes.

On a CPU, ``compare_models(n_jobs=...)`` (and ``lipnet benchmark``, whose
main job now uses every core) shares a network's folds among processes and
the cores among the folds that train together. This benchmark
cross-validates LipNet-4 on the main job's data (900 synthetic particles per
problem in the benchmark's proportions, 5 stratified folds, seed 0, the
thesis's augmentation and oversampling, the main job's training settings on
this device) both ways and gives the wall time of each, the fold fit times,
and per class TPR, PPV and F1 as mean ± standard deviation over folds; a
difference of means within the larger of the two fold spreads counts as
"same" (as in ``bench_fast_settings``). The two ways train the same folds
from the same seeds; they differ only in how many threads each fold's
arithmetic is split over, which changes its rounding.

Run::

    python -m benchmarks.bench_fold_processes
    python -m benchmarks.bench_fold_processes --problem lamellarity   # quicker

Writes ``benchmarks/results/fold_processes_<device>.{json,md}``.
"""

import time

from joblib import cpu_count

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.experiments._network_folds import fold_processes, fold_rounds
from sklearn_lipnet.neural_network import resolve_device

from .bench_fast_settings import (
    MAIN_JOB,
    SAME_WITHIN_SPREAD,
    comparison_parser,
    cross_validate_settings,
    per_class_comparison,
    settings_of,
    write_device_result,
)

#: How the folds run: name in the table, and ``n_jobs``.
WAYS = {"one after another": None, "in parallel processes": -1}


def main(argv=None):
    args = comparison_parser(__doc__.splitlines()[0]).parse_args(argv)
    device = resolve_device(args.device)
    settings = settings_of("default", device, MAIN_JOB.epochs)
    start = time.perf_counter()
    sections, raw = [], {}
    for problem in args.problem:
        results = {}
        for way, n_jobs in WAYS.items():
            y, by_name = cross_validate_settings(
                problem,
                MAIN_JOB.n_samples[problem],
                {way: settings},
                device,
                args.folds,
                args.seed,
                n_jobs=n_jobs,
            )
            results[way] = by_name[way]
        lines = [f"### {problem} ({len(y)} particles)", ""]
        lines += ["| folds | cross-validation | fit per fold | balanced accuracy |"]
        lines += ["| --- | ---: | --- | ---: |"]
        raw[problem] = {}
        for way, result in results.items():
            fits = result.cv.fit_time
            accuracy = float(result.cv.report["tpr"].mean())
            lines.append(
                f"| {way} | {result.seconds:.0f} s | "
                f"{', '.join(f'{t:.0f}' for t in fits)} s | {accuracy:.3f} |"
            )
            raw[problem][way] = {
                "seconds": result.seconds,
                "fit_time_s": fits.tolist(),
                "balanced_accuracy": accuracy,
            }
        reference, parallel = results.values()
        rows, raw[problem]["per_class"] = per_class_comparison(
            reference.cv, parallel.cv, tuple(WAYS)
        )
        lines += [
            "",
            "| class | measure | one after another | in processes | same (spread) |",
            "| --- | --- | --- | --- | --- |",
            *rows,
        ]
        sections.append("\n".join(lines))
        print(sections[-1], flush=True)
    wall = time.perf_counter() - start
    processes = fold_processes(LipNetClassifier(device=device), -1, args.folds)
    schedule = [
        {"folds": list(folds), "processes": p, "threads_each": t}
        for folds, p, t in fold_rounds(args.folds, processes, cpu_count())
    ]
    rounds = "; ".join(
        f"folds {r['folds'][0] + 1}-{r['folds'][-1] + 1} in "
        f"{r['processes']} process(es) of {r['threads_each']} thread(s)"
        for r in schedule
    )
    write_device_result(
        "fold_processes",
        device,
        title=f"The main job's LipNet-4 folds in parallel processes on {device}",
        paragraphs=[
            "The main job's data and stratified folds (900 particles per "
            "problem, benchmark proportions), the thesis's augmentation and "
            f"oversampling, the main job's settings on this device ({settings}). "
            f"In parallel: {len(schedule)} round(s), {rounds}. "
            f"{wall / 60:.1f} min in all. Produced by "
            "`python -m benchmarks.bench_fold_processes`. " + SAME_WITHIN_SPREAD,
            *sections,
        ],
        settings={
            "device": device,
            "n_samples": MAIN_JOB.n_samples,
            "folds": args.folds,
            "seed": args.seed,
            "main_job_settings": settings,
            "schedule": schedule,
        },
        wall=wall,
        results=raw,
    )


if __name__ == "__main__":
    main()
