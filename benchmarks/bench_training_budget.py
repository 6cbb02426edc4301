"""Could the main job train LipNet-4 for less? Shorter budgets, same data and folds.

The main job (``lipnet benchmark``, preset ``default``) spends most of its
time cross-validating LipNet-4 for 12 epochs per fold; on a CPU without
bfloat16 units that is over five minutes. This benchmark cross-validates
LipNet-4 on the main job's data (900 synthetic particles per problem in the
benchmark's proportions, 5 stratified folds, seed 0, the thesis's
augmentation and oversampling, the preset's batch size, learning rate and
precision on this device) with that budget and with cheaper ones: fewer
epochs, fewer epochs with a cosine learning-rate schedule from a larger
start, and early stopping on a validation split. For every class the table
gives TPR, PPV and F1 as mean ± standard deviation over folds against the
12-epoch reference; a difference of means within the larger of the two fold
spreads counts as "same" (as in ``bench_fast_settings``).

Run::

    python -m benchmarks.bench_training_budget
    python -m benchmarks.bench_training_budget --budgets 12 5   # quicker

Writes ``benchmarks/results/training_budget_<device>.{json,md}``.
"""

import time

from skorch.callbacks import LRScheduler

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

REFERENCE = "12"


def _cosine(epochs, peak_lr):
    schedule = LRScheduler("CosineAnnealingLR", T_max=epochs)
    return {
        "max_epochs": epochs,
        "lr": peak_lr,
        "callbacks": [("lr_schedule", schedule)],
    }


#: The budgets that can be asked for: what each changes over the main job's
#: settings, and how the table names it.
BUDGETS = {
    "12": ("12 epochs (the main job)", {"max_epochs": 12}),
    "8": ("8 epochs", {"max_epochs": 8}),
    "5": ("5 epochs", {"max_epochs": 5}),
    "5-cosine": (
        "5 epochs, cosine schedule from twice the learning rate",
        _cosine(5, 2 * MAIN_JOB.lr),
    ),
    "early-stopping": (
        "up to 12 epochs, stopped when the loss on a 10 % validation split "
        "has not improved for 2 epochs (best epoch's weights)",
        {"max_epochs": 12, "train_split": 0.1, "patience": 2},
    ),
}


def _describe(params):
    """The budget's settings as text: callbacks by their class and settings."""
    shown = {}
    for key, value in params.items():
        if key == "callbacks":
            value = [
                f"{type(callback).__name__}({callback.policy}, {callback.kwargs})"
                for _, callback in value
            ]
        shown[key] = value
    return shown


def main(argv=None):
    parser = comparison_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--budgets",
        nargs="+",
        choices=list(BUDGETS),
        default=list(BUDGETS),
        help="the budgets to run; the 12-epoch reference is always run",
    )
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    budgets = [REFERENCE] + [b for b in args.budgets if b != REFERENCE]
    base = settings_of("default", device, MAIN_JOB.epochs)
    start = time.perf_counter()
    sections, raw = [], {}
    for problem in args.problem:
        configurations = {b: {**base, **BUDGETS[b][1]} for b in budgets}
        y, results = cross_validate_settings(
            problem,
            MAIN_JOB.n_samples[problem],
            configurations,
            device,
            args.folds,
            args.seed,
        )
        reference = results[REFERENCE]
        raw[problem] = {}
        lines = [f"### {problem} ({len(y)} particles)"]
        for budget in budgets:
            result = results[budget]
            epochs = [len(history) for history in result.histories]
            recall = result.cv.report["tpr"]
            entry = {
                "seconds": result.seconds,
                "epochs_per_fold": epochs,
                "balanced_accuracy": float(recall.mean()),
            }
            lines += [
                "",
                f"**{BUDGETS[budget][0]}**: cross-validation {result.seconds:.0f} s, "
                f"epochs per fold {', '.join(map(str, epochs))}, balanced "
                f"accuracy (mean per-class recall) {recall.mean():.3f}",
            ]
            if budget != REFERENCE:
                rows, entry["per_class"] = per_class_comparison(
                    reference.cv, result.cv, ("reference", budget)
                )
                lines += [
                    "",
                    "| class | measure | 12 epochs | this budget | same (spread) |",
                    "| --- | --- | --- | --- | --- |",
                    *rows,
                ]
            raw[problem][budget] = entry
        sections.append("\n".join(lines))
        print(sections[-1], flush=True)
    wall = time.perf_counter() - start
    settings = {
        "device": device,
        "n_samples": MAIN_JOB.n_samples,
        "folds": args.folds,
        "seed": args.seed,
        "main_job_settings": base,
        "budgets": {b: _describe(BUDGETS[b][1]) for b in budgets},
    }
    write_device_result(
        "training_budget",
        device,
        title=f"Training budgets for the main job's LipNet-4 on {device}",
        paragraphs=[
            "The main job's data and stratified folds (900 particles per "
            "problem, benchmark proportions), the thesis's augmentation and "
            f"oversampling, the main job's settings on this device ({base}); "
            f"{wall / 60:.1f} min in all. Produced by "
            "`python -m benchmarks.bench_training_budget`. " + SAME_WITHIN_SPREAD,
            *sections,
        ],
        settings=settings,
        wall=wall,
        results=raw,
    )


if __name__ == "__main__":
    main()
