"""The feature SVM's cross-validation: features once, and folds in parallel.

``compare_models`` (so ``lipnet benchmark``) describes every particle once
for all folds instead of once per fold, and fits the SVM's folds in
parallel processes (``n_jobs``).
This measures both, on synthetic encapsulation particles in the thesis's
proportions (``make_liposomes(..., problem="encapsulation")``):

- the whole ``make_svm_pipeline()`` cross-validated fold by fold (features
  computed in every fold) against the features computed once and the rest
  of the pipeline cross-validated on them; the fold confusion matrices must
  be identical;
- the rest of the pipeline (scaler, SVC) in one process against two, at
  several data sizes (stratified subsets of one generated set).

Wall-clock seconds on whatever machine runs it; mean something only on a
quiet one. Run from the repository root::

    python -m benchmarks.bench_svm_folds      # results/svm_folds_cpu.{json,md}
    python -m benchmarks.bench_svm_folds --sizes 2000 4000 --no-write
"""

import argparse
import time

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from sklearn_lipnet import make_svm_pipeline
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.metrics import cross_validate_per_class

from ._environment import machine_info, machine_markdown, write_result


def _timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def _subset(table, y, size, seed):
    if size >= len(y):
        return table, y
    keep, _ = train_test_split(
        np.arange(len(y)), train_size=size, stratify=y, random_state=seed
    )
    keep = np.sort(keep)
    return table.iloc[keep].reset_index(drop=True), y[keep]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 8000, 24918])
    parser.add_argument(
        "--whole-pipeline-size",
        type=int,
        default=4000,
        help="particles for the fold-by-fold pipeline against features once",
    )
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    (table, y), generation = _timed(
        lambda: make_liposomes(
            max(args.sizes + [args.whole_pipeline_size]),
            problem="encapsulation",
            random_state=args.seed,
            n_jobs=args.jobs,
        )
    )
    y = np.asarray(y)
    svm = make_svm_pipeline(n_jobs=args.jobs)
    folds = StratifiedKFold(5, shuffle=True, random_state=args.seed)

    # Fold by fold against features once, on the same folds.
    small, y_small = _subset(table, y, args.whole_pipeline_size, args.seed)
    splits = list(folds.split(small, y_small))
    whole, whole_seconds = _timed(
        lambda: cross_validate_per_class(svm, small, y_small, cv=splits)
    )
    features, features_seconds = _timed(lambda: svm[0].fit(small).transform(small))
    rest, rest_seconds = _timed(
        lambda: cross_validate_per_class(svm[1:], features, y_small, cv=splits)
    )
    identical = bool(
        np.array_equal(whole.fold_confusion_matrices, rest.fold_confusion_matrices)
    )
    once = {
        "particles": len(y_small),
        "whole_pipeline_per_fold_s": round(whole_seconds, 2),
        "features_once_s": round(features_seconds, 2),
        "rest_cross_validation_s": round(rest_seconds, 2),
        "identical_fold_matrices": identical,
    }
    print(once, flush=True)

    # The steps after the features: one process against several.
    rows = []
    all_features = svm[0].fit(table).transform(table)
    # Start the worker processes first: compare_models meets them started
    # by the feature extraction of the same run.
    cross_validate_per_class(svm[1:], features, y_small, cv=5, n_jobs=args.jobs)
    for size in args.sizes:
        keep = _subset(table.assign(row=np.arange(len(y))), y, size, args.seed)[0]
        X, y_size = all_features[keep["row"].to_numpy()], y[keep["row"].to_numpy()]
        splits = list(folds.split(X, y_size))
        row = {"particles": len(y_size)}
        for jobs in (None, args.jobs):
            start = time.perf_counter()
            cross_validate_per_class(svm[1:], X, y_size, cv=splits, n_jobs=jobs)
            seconds = time.perf_counter() - start
            row["one_process_s" if jobs is None else f"{args.jobs}_processes_s"] = (
                round(seconds, 2)
            )
        rows.append(row)
        print(row, flush=True)

    info = machine_info()
    result = {
        "machine": info,
        "generation_s": round(generation, 1),
        "features_once": once,
        "parallel_folds": rows,
    }
    lines = [
        "# Feature SVM cross-validation: features once, folds in parallel",
        "",
        "`python -m benchmarks.bench_svm_folds --sizes "
        f"{' '.join(map(str, args.sizes))} --whole-pipeline-size "
        f"{args.whole_pipeline_size} --jobs {args.jobs}`",
        "",
        "Synthetic encapsulation particles in the thesis's proportions, "
        "`make_svm_pipeline()`, stratified 5-fold; wall-clock seconds (the "
        "worker processes started beforehand).",
        "",
        f"## Features once ({once['particles']} particles)",
        "",
        "| whole pipeline, features in every fold | features once | "
        "the rest, 5 folds | identical fold matrices |",
        "| ---: | ---: | ---: | --- |",
        f"| {once['whole_pipeline_per_fold_s']} s | {once['features_once_s']} s "
        f"| {once['rest_cross_validation_s']} s | "
        f"{'yes' if identical else 'NO'} |",
        "",
        "## Scaler and SVC on the features: one process or several",
        "",
        f"| particles | one process | {args.jobs} processes |",
        "| ---: | ---: | ---: |",
    ]
    lines += [
        f"| {row['particles']} | {row['one_process_s']} s | "
        f"{row[f'{args.jobs}_processes_s']} s |"
        for row in rows
    ]
    lines += ["", "## Machine", "", machine_markdown(info)]
    markdown = "\n".join(lines)
    print(markdown)
    if not args.no_write:
        print("written:", *write_result("svm_folds_cpu", result, markdown))
    return result


if __name__ == "__main__":
    main()
