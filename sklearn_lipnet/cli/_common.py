"""What the ``lipnet`` subcommands share: errors, options, data and models."""

import argparse

__all__ = [
    "FIXED_SCALE",
    "CommandError",
    "add_model_options",
    "build_model",
    "display_name",
    "load_labelled",
    "logger",
    "model_names",
    "positive_float",
    "positive_int",
    "value_counts",
]


class CommandError(Exception):
    """A problem with the command line or the data: one line, exit status 2."""


#: Suffix of the model names that keep the particles' physical size.
FIXED_SCALE = "-fixed"

#: Models that are not one architecture: name -> how reports call it.
_COMBINED_MODELS = {
    "hybrid": "Hybrid (LipNet-4 + features)",
    "stacking": "Stacking (LipNet-4, SVM)",
    "svm": "SVM",
}


def display_name(model):
    """How reports name a model: ``"lipnet4"`` -> ``"LipNet-4"``.

    ``"lipnet4c-fixed"`` -> ``"LipNet-4c fixed scale"``; ``"svm"``,
    ``"hybrid"`` and ``"stacking"`` have names of their own.
    """
    if model in _COMBINED_MODELS:
        return _COMBINED_MODELS[model]
    architecture = model.removesuffix(FIXED_SCALE)
    name = f"LipNet-{architecture[len('lipnet') :]}"
    return f"{name} fixed scale" if model.endswith(FIXED_SCALE) else name


def model_names():
    """What ``--model`` / ``--models`` accept.

    Every architecture, each also at a fixed physical scale
    (``"lipnet4c-fixed"``), the hybrid network, the stacking of LipNet-4 and
    the SVM, and the SVM.
    """
    from ..neural_network import ARCHITECTURES

    fixed = [name + FIXED_SCALE for name in ARCHITECTURES]
    return (*ARCHITECTURES, *fixed, "hybrid", "stacking", "svm")


def build_model(model, args):
    """The pipeline ``model`` names, with the command's options."""
    from ..pipeline import (
        SAMPLING_STRATEGIES,
        make_hybrid_pipeline,
        make_lipnet_pipeline,
        make_stacking_classifier,
        make_svm_pipeline,
    )

    strategy = SAMPLING_STRATEGIES[args.sampling]
    network_options = {
        "mode": args.mode,
        "sampler": strategy.lipnet_sampler,
        "balance": strategy.balance,
        "max_epochs": args.epochs,
        "batch_size": args.batch_size,
        "device": args.device,
        "random_state": args.seed,
        "n_jobs": args.jobs,
        "verbose": int(not getattr(args, "quiet", False)),
    }
    if model == "svm":
        return make_svm_pipeline(
            sampler=strategy.svm_sampler,
            probability=getattr(args, "probability", False),
            random_state=args.seed,
            n_jobs=args.jobs,
        )
    if model == "hybrid":
        return make_hybrid_pipeline("lipnet4", **network_options)
    if model == "stacking":
        return make_stacking_classifier(
            make_lipnet_pipeline("lipnet4", **network_options),
            make_svm_pipeline(
                sampler=strategy.svm_sampler, random_state=args.seed, n_jobs=args.jobs
            ),
            random_state=args.seed,
        )
    if model.endswith(FIXED_SCALE):
        return make_lipnet_pipeline(
            model.removesuffix(FIXED_SCALE),
            size=args.canvas_size,
            scale="fixed",
            canvas_nm=args.canvas_nm,
            **network_options,
        )
    return make_lipnet_pipeline(model, **network_options)


def load_labelled(path):
    """``(table, y)`` of a labelled folder or index file, or a CommandError."""
    from ..datasets import load_particles

    table, y = load_particles(path)
    if y is None:
        raise CommandError(
            f"{path} holds no class folders (or index column with classes); "
            "training and benchmarking need labelled particles."
        )
    return table, y


def logger(args):
    """A ``log(message)`` that prints unless ``--quiet`` was given."""

    def log(message):
        if not getattr(args, "quiet", False):
            print(message, flush=True)

    return log


def value_counts(y):
    """``(labels, counts)`` of ``y``, labels sorted."""
    import numpy as np

    return np.unique(np.asarray(y), return_counts=True)


def positive_int(text):
    """argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def positive_float(text):
    """argparse type: a finite number above 0."""
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def add_model_options(parser, *, epochs):
    """The options of every command that builds models (benchmark, train)."""
    from ..pipeline import SAMPLING_STRATEGIES
    from ..preprocessing import MODES

    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=epochs,
        help="training epochs of the networks (default: %(default)s)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=32,
        help="mini-batch size (default: %(default)s, as in the thesis)",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="auto",
        help="input mode of the networks: 'auto' is masked where "
        "the data have masks, else surrounding (default: auto)",
    )
    parser.add_argument(
        "--canvas-size",
        type=positive_int,
        default=64,
        help="side in pixels of the fixed-scale canvas of the '-fixed' models "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--canvas-nm",
        type=positive_float,
        default=None,
        help="side in nanometres of the fixed-scale canvas (default: the "
        "largest training particle's)",
    )
    parser.add_argument(
        "--sampling",
        choices=tuple(SAMPLING_STRATEGIES),
        default="thesis",
        help="imbalance handling. thesis: networks oversample per "
        "epoch, the SVM uses class weights only. oversample / smote "
        "apply to both; undersample / class_weight / none to the "
        "networks (default: thesis)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="torch device of the networks: auto, cpu, cuda (default: auto)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed of data, folds and models (default: 0)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="parallel jobs for feature extraction and preprocessing "
        "(default: 1; -1 uses every core)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print only the results, not the progress"
    )
