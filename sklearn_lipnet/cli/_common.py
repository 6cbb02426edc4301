"""What the ``lipnet`` subcommands share: errors, options, data and models."""

import argparse
import contextlib
import os
import sys
import warnings
from pathlib import Path

__all__ = [
    "AUTO_MODEL",
    "FIXED_SCALE",
    "CommandError",
    "add_model_options",
    "build_model",
    "check_class_sizes",
    "check_output_file",
    "choose_model",
    "display_name",
    "load_labelled",
    "logger",
    "model_names",
    "positive_float",
    "positive_int",
    "printed_warnings",
    "read_particles",
    "resolve_model_options",
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


#: ``--model auto``: the model for the data, decided when they are loaded.
AUTO_MODEL = "auto"


def choose_model(table):
    """What ``--model auto`` (``--models auto``) means for ``table``, and why.

    LipNet-4 on masked images where experts drew every mask (the thesis's
    set-up); without masks the hybrid, LipNet-4 with the hand-made features,
    which reached a higher balanced accuracy than the network alone on maskless
    particles in every comparison we made, small, noisy cut-outs and large,
    clean ones (the ``hard-*`` and ``maskless-*`` sets of
    ``benchmarks/results/real_data.md``). Maskless cut-outs too small to
    segment for the features keep LipNet-4.

    Parameters
    ----------
    table : pandas.DataFrame
        The labelled particles.

    Returns
    -------
    model : str
        ``"lipnet4"`` or ``"hybrid"``.
    reason : str
    """
    from ..segmentation._particle import MIN_SIDE
    from ..utils import has_expert_mask

    has_mask = has_expert_mask(table)
    if has_mask.all():
        return "lipnet4", "every particle has an expert mask: LipNet-4 on masked images"
    missing = int((~has_mask).sum())
    too_small = sum(min(image.shape) < MIN_SIDE for image in table["image"][~has_mask])
    if too_small:
        # The hybrid's features segment maskless particles, which needs this.
        return "lipnet4", (
            f"{too_small} particle(s) without an expert mask are smaller than "
            f"{MIN_SIDE} x {MIN_SIDE} pixels, too small for the hybrid's automatic "
            "masks: LipNet-4 on the whole cut-outs"
        )
    return "hybrid", (
        f"{missing} of {len(table)} particles have no expert mask: the hybrid, "
        "LipNet-4 with the hand-made features, which did better than the network "
        "alone on large particles without masks and about as well on small ones "
        "(lipnet4 for the network alone)"
    )


def model_names():
    """What ``--model`` / ``--models`` accept.

    Every architecture, each also at a fixed physical scale
    (``"lipnet4c-fixed"``), the hybrid network, the stacking of LipNet-4 and
    the SVM, and the SVM.
    """
    from ..neural_network import ARCHITECTURES

    fixed = [name + FIXED_SCALE for name in ARCHITECTURES]
    return (*ARCHITECTURES, *fixed, "hybrid", "stacking", "svm")


def build_model(model, args, *, verbose=0):
    """The pipeline ``model`` names, with the command's (resolved) options."""
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
        "lr": args.lr,
        "precision": args.precision,
        "compile": args.compile,
        "iterator_valid__batch_size": args.predict_batch_size,
        "device": args.device,
        "random_state": args.seed,
        "n_jobs": args.jobs,
        "verbose": verbose,
    }
    if args.training is not None:
        network_options.update(args.training)
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


def resolve_model_options(args, preset):
    """Fill the model options left unset on the command line from ``preset``,
    and decide ``auto`` precision and compilation for the device."""
    from ..experiments import resolve_compile, resolve_precision
    from ..neural_network import resolve_device

    device = resolve_device(args.device)
    for name in ("epochs", "batch_size", "lr", "precision"):
        if getattr(args, name) is None:
            setattr(args, name, getattr(preset, name))
    if args.jobs is None:
        args.jobs = preset.n_jobs
    args.precision = resolve_precision(args.precision, device)
    args.compile = True if args.compile else resolve_compile(preset.compile, device)
    args.predict_batch_size = preset.predict_batch_size
    args.training = preset.training
    return args


def check_output_file(path, option="--out"):
    """Refuse, before any work, an output file that cannot be written.

    Returns ``path`` as a ``Path``; raises :class:`CommandError` when its
    folder is missing or not writable, or ``path`` is a folder.
    """
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise CommandError(f"{option} {path} is a folder; give a file name.")
    if not folder.is_dir():
        raise CommandError(f"{option} {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(f"{option} {path}: the folder {folder} is not writable.")
    if path.exists() and not os.access(path, os.W_OK):
        raise CommandError(f"{option} {path} exists and is not writable.")
    return path


def check_class_sizes(y, minimum, reason):
    """Refuse classes with fewer than ``minimum`` particles, saying ``reason``."""
    labels, counts = value_counts(y)
    short = [
        f"'{label}' ({count})"
        for label, count in zip(labels, counts)
        if count < minimum
    ]
    if short:
        raise CommandError(
            f"{reason} needs at least {minimum} particles of every class; class "
            f"{', '.join(short)} has fewer. Add particles or leave the class out."
        )


@contextlib.contextmanager
def printed_warnings():
    """Print the warnings of the block as ``lipnet: warning:`` lines.

    Skipped files are listed in full (not only the first ten that the
    warning of ``load_particles`` names).
    """
    from ..datasets import SkippedParticlesWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for warning in caught:
                if isinstance(warning.message, SkippedParticlesWarning):
                    skipped = warning.message.skipped
                    print(
                        f"lipnet: warning: skipped {len(skipped)} of "
                        f"{warning.message.total} particles:",
                        file=sys.stderr,
                    )
                    for problem in skipped:
                        print(f"  {problem}", file=sys.stderr)
                else:
                    first = str(warning.message).strip().splitlines() or [""]
                    print(f"lipnet: warning: {first[0]}", file=sys.stderr)


def read_particles(paths, on_error="raise"):
    """``(table, y)`` of one folder or index file, or of image files.

    ``y`` holds the labels of a labelled folder or index, else None.
    ``on_error="skip"`` leaves out (and lists) what cannot be read.
    """
    import pandas as pd

    from ..datasets import load_particles
    from ..datasets._image_io import ImageReader
    from ..datasets._index import INDEX_SUFFIXES
    from ..datasets._load import Problems

    paths = [Path(p) for p in paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CommandError(f"No such file or folder: {', '.join(missing)}")
    if len(paths) == 1 and (
        paths[0].is_dir() or paths[0].suffix.lower() in INDEX_SUFFIXES
    ):
        return load_particles(paths[0], on_error=on_error)
    problems, reader, rows = Problems(on_error), ImageReader(), []
    for path in paths:
        if path.is_dir():
            raise CommandError(f"{path} is a folder; give one folder or image files.")
        try:
            image = reader.image(path)
        except ValueError as exc:
            problems.report(exc)
            continue
        rows.append({"image": image, "path": str(path), "id": path.stem})
    reader.warn()
    problems.warn(len(paths))
    if not rows:
        raise CommandError("No image could be read.")
    return pd.DataFrame(rows), None


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


def epochs_option(text):
    """argparse type: a positive number of epochs, or ``auto``."""
    if text == "auto":
        return text
    try:
        return positive_int(text)
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(
            f"must be a positive integer or 'auto', got {text}"
        ) from None


def positive_float(text):
    """argparse type: a finite number above 0."""
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value

    """The options of every command that builds models (benchmark, train)."""


def add_model_options(parser, *, defaults):
    """The options of every command that builds models (benchmark, train).

    Options a preset can set default to None here; ``defaults`` says what
    ``--help`` should call their default.
    """
    from ..pipeline import SAMPLING_STRATEGIES
    from ..preprocessing import MODES

    parser.add_argument(
        "--epochs",
        type=epochs_option,
        default=None,
        help="training epochs of the networks; auto: 30, or, for a network on "
        "images alone trained from scratch on a small set, until it has made "
        f"1,200 optimizer updates (default: {defaults['epochs']})",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help=f"mini-batch size (default: {defaults['batch_size']})",
    )
    parser.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help=f"learning rate of the networks (default: {defaults['lr']})",
    )
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16", "fp16", "auto"),
        default=None,
        help="arithmetic of the networks' forward pass; auto is bf16 where the "
        f"device computes it natively (default: {defaults['precision']})",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="compile the networks with torch.compile (worth it on GPUs)",
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
        help="parallel jobs for data generation, feature extraction and "
        "preprocessing (and, in lipnet benchmark, the folds: a network's on "
        f"the CPU only); -1 uses every core (default: {defaults['jobs']})",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print only the results, not the progress"
    )
