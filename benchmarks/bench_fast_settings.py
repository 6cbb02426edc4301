"""Do the fast settings classify as well as the thesis's? Same data, same folds.

LipNet-4 is cross-validated twice on the same synthetic liposomes and
stratified folds: with the thesis's training (batch 32, learning rate 1e-3,
float32) and with the settings of ``lipnet benchmark --preset fast`` (batch
256, the square-root learning-rate rule, bf16 where the device computes it
natively, compiled on CUDA). For every class the table gives TPR, PPV and F1
as mean ± standard deviation over folds; a difference of means within the
larger of the two fold spreads counts as "same".

Run::

    python -m benchmarks.bench_fast_settings                 # the fast preset's data
    python -m benchmarks.bench_fast_settings --device cuda
    python -m benchmarks.bench_fast_settings --n-samples 900 --epochs 12  # quick

Writes ``benchmarks/results/fast_settings_<device>.{json,md}``.
"""

import argparse
import time

import numpy as np

from sklearn_lipnet import make_lipnet_pipeline
from sklearn_lipnet.datasets import BENCHMARK_WEIGHTS, make_liposomes
from sklearn_lipnet.experiments import (
    BENCHMARK_PRESETS,
    THESIS_TRAINING,
    class_order,
    compare_models,
    resolve_compile,
    resolve_precision,
)
from sklearn_lipnet.neural_network import resolve_device

from ._environment import machine_info, machine_markdown, write_result

MEASURES = ("tpr", "ppv", "f1")
#: The README's main job, whose LipNet-4 the budget and fold benchmarks time.
MAIN_JOB = BENCHMARK_PRESETS["default"]


def comparison_parser(description):
    """An argument parser with the options these cross-validations share:
    ``--device``, ``--folds``, ``--seed`` and ``--problem``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--problem", nargs="+", default=["lamellarity", "encapsulation"]
    )
    return parser


def settings_of(preset_name, device, epochs):
    """LipNet-4 parameters of a preset on ``device``."""
    preset = BENCHMARK_PRESETS[preset_name]
    return {
        "max_epochs": epochs,
        "batch_size": preset.batch_size,
        "lr": preset.lr,
        "precision": resolve_precision(preset.precision, device),
        "compile": resolve_compile(preset.compile, device),
        "iterator_valid__batch_size": preset.predict_batch_size,
    }


def cross_validate_settings(
    problem, n_samples, configurations, device, folds, seed, n_jobs=None
):
    """LipNet-4 cross-validated with each of ``configurations`` on the main
    job's kind of data: ``n_samples`` synthetic particles of ``problem`` in
    the benchmark's proportions, the thesis's augmentation, the same
    stratified folds for all; with ``n_jobs``, a CPU network's folds in
    parallel processes.

    Returns the labels and :func:`~sklearn_lipnet.experiments.compare_models`'s
    results, keyed like ``configurations`` (name to LipNet-4 parameters).
    """
    table, y = make_liposomes(
        n_samples,
        problem=problem,
        weights=BENCHMARK_WEIGHTS[problem],
        random_state=seed,
        n_jobs=-1,
    )
    models = {
        name: make_lipnet_pipeline(
            "lipnet4",
            **THESIS_TRAINING,  # the thesis's, as in the main job
            device=device,
            random_state=seed,
            n_jobs=-1,
            **params,
        )
        for name, params in configurations.items()
    }
    results = compare_models(
        table,
        y,
        models,
        cv=folds,
        labels=class_order(y, problem),
        random_state=seed,
        n_jobs=n_jobs,
    )
    return y, results


#: How the per-class tables decide "same".
SAME_WITHIN_SPREAD = (
    "*Same*: the difference of the means is within the larger of the two fold "
    "standard deviations."
)


def write_device_result(stem, device, *, title, paragraphs, settings, wall, results):
    """Write and print a comparison as ``<stem>_<cpu|cuda>.{json,md}``.

    The Markdown is ``title``, the ``paragraphs`` and this machine; the JSON
    holds the machine, ``settings``, the wall time ``wall`` in seconds and
    ``results``.
    """
    info = machine_info()
    markdown = "\n\n".join(
        [f"# {title}", *paragraphs, "## Machine\n\n" + machine_markdown(info)]
    )
    kind = "cuda" if str(device).startswith("cuda") else "cpu"
    result = {
        "machine": info,
        "settings": settings,
        "wall_time_s": wall,
        "results": results,
    }
    write_result(f"{stem}_{kind}", result, markdown)
    print(markdown)


def per_class_comparison(reference, candidate, keys):
    """Table rows and raw values comparing two cross-validations per class.

    For every class of ``reference.report`` and every measure in
    :data:`MEASURES`: mean ± standard deviation over folds of both, and
    whether they are the same within the larger of the two fold spreads.
    ``keys`` names the two in the raw values.

    Returns the Markdown rows (class, measure, reference, candidate, same)
    and ``{"class/measure": {key: [mean, std], ..., "same_within_spread"}}``.
    """
    lines, raw = [], {}
    for label in reference.report.index:
        for measure in MEASURES:
            a, sa = (
                reference.report.at[label, measure],
                reference.report_std.at[label, measure],
            )
            b, sb = (
                candidate.report.at[label, measure],
                candidate.report_std.at[label, measure],
            )
            same = bool(abs(a - b) <= max(sa, sb)) if np.isfinite(a - b) else None
            lines.append(
                f"| {label} | {measure} | {a:.3f} ± {sa:.3f} | {b:.3f} ± {sb:.3f} "
                f"| {'yes' if same else 'no' if same is False else 'n/a'} |"
            )
            raw[f"{label}/{measure}"] = {
                keys[0]: [a, sa],
                keys[1]: [b, sb],
                "same_within_spread": same,
            }
    return lines, raw


def main(argv=None):
    fast = BENCHMARK_PRESETS["fast"]
    parser = comparison_parser(__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=fast.n_samples["lamellarity"])
    parser.add_argument("--epochs", type=int, default=fast.epochs)
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    configurations = {
        # The thesis trained in float32; the main job's preset now runs
        # bfloat16 where native, so the reference asks for float32 itself.
        "thesis settings": {
            **settings_of("default", device, args.epochs),
            "precision": "fp32",
        },
        "fast settings": settings_of("fast", device, args.epochs),
    }
    start = time.perf_counter()
    sections, raw = [], {}
    for problem in args.problem:
        y, results = cross_validate_settings(
            problem, args.n_samples, configurations, device, args.folds, args.seed
        )
        thesis, quick = (results[name].cv for name in configurations)
        table_lines, raw[problem] = per_class_comparison(
            thesis, quick, ("thesis", "fast")
        )
        lines = [
            f"### {problem} ({len(y)} particles)",
            "",
            "| class | measure | thesis settings | fast settings | same (spread) |",
            "| --- | --- | --- | --- | --- |",
            *table_lines,
        ]
        seconds = {name: results[name].seconds for name in configurations}
        lines += [
            "",
            f"Wall time of the {args.folds}-fold cross-validation: "
            + ", ".join(f"{name} {s:.0f} s" for name, s in seconds.items()),
        ]
        raw[problem]["seconds"] = seconds
        sections.append("\n".join(lines))
        print(sections[-1], flush=True)
    wall = time.perf_counter() - start
    settings = {
        "device": device,
        "n_samples": args.n_samples,
        "epochs": args.epochs,
        "folds": args.folds,
        "seed": args.seed,
        "configurations": configurations,
    }
    config_lines = "\n".join(
        f"- {name}: {params}" for name, params in configurations.items()
    )
    write_device_result(
        "fast_settings",
        device,
        title=f"Fast settings against the thesis's, LipNet-4 on {device}",
        paragraphs=[
            "Same synthetic data (benchmark proportions) and stratified folds; "
            f"{args.epochs} epochs each; {wall / 60:.1f} min in all. Produced by "
            "`python -m benchmarks.bench_fast_settings`.",
            config_lines,
            *sections,
        ],
        settings=settings,
        wall=wall,
        results=raw,
    )


if __name__ == "__main__":
    main()
