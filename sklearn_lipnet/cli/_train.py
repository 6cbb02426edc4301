"""``lipnet train``: fit a model on a labelled folder and save it."""

from ._common import (
    AUTO_MODEL,
    add_model_options,
    build_model,
    check_class_sizes,
    check_output_file,
    choose_model,
    display_name,
    load_labelled,
    logger,
    model_names,
    resolve_model_options,
)

__all__ = ["add_parser", "run", "train_preset"]


def train_preset():
    """The settings ``train`` uses where the benchmark has a preset.

    The main job's, but with the classifier's own epochs (``"auto"``: the
    thesis's 30, more on small training sets; the benchmark uses 12 to stay
    short), its float32 arithmetic (a model trained for use is trained as
    the thesis trained it unless ``--precision`` says otherwise), and each
    pipeline's own training options, augmentation and weight averaging (the
    benchmark keeps the thesis's).

    Returns
    -------
    preset : BenchmarkPreset
    """
    from dataclasses import replace

    from ..experiments import BENCHMARK_PRESETS

    return replace(
        BENCHMARK_PRESETS["default"],
        name="train",
        epochs="auto",
        precision="fp32",
        training=None,
    )


def add_parser(commands):
    """Register ``train`` with the ``lipnet`` parser's subcommands.

    Parameters
    ----------
    commands : argparse subparsers action
        What ``ArgumentParser.add_subparsers`` returned.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = commands.add_parser("train", help="train a model on a labelled folder")
    parser.add_argument("--data", required=True, help="folder per class or index file")
    parser.add_argument("--out", required=True, help="model file to write")
    parser.add_argument(
        "--model",
        choices=(AUTO_MODEL, *model_names()),
        default=AUTO_MODEL,
        metavar="MODEL",
        help="model to train: lipnet1, lipnet2, lipnet4, lipnet4c, lipnet6, "
        "the same at a fixed physical scale (lipnet4c-fixed, ...), hybrid, "
        "stacking or svm; auto: lipnet4 where every particle has an expert "
        "mask, else hybrid (default: auto)",
    )
    preset = train_preset()
    add_model_options(
        parser,
        defaults={
            "epochs": preset.epochs,
            "batch_size": preset.batch_size,
            "lr": preset.lr,
            "precision": preset.precision,
            "jobs": 1,
        },
    )
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Train the model the parsed ``args`` describe; return the exit status.

    Parameters
    ----------
    args : argparse.Namespace
        As parsed by the parser of :func:`add_parser`.

    Returns
    -------
    status : int
    """
    from ..persistence import save_model
    from ..utils import has_expert_mask

    resolve_model_options(args, train_preset())
    # Before hours of training, not after.
    out = check_output_file(args.out)
    table, y = load_labelled(args.data)
    log = logger(args)
    chosen = args.model == AUTO_MODEL
    if chosen:
        args.model, reason = choose_model(table)
        log(f"--model auto: {reason}.")
    if args.model == "svm":
        # The probabilities come from a 5-fold calibration (Platt scaling):
        # a class of one particle is missing from one of its training folds.
        check_class_sizes(
            y,
            2,
            "--model svm (its probabilities are calibrated by 5-fold cross-validation)",
        )
    # Advice for a network asked for by name (auto explains its own choice).
    explicit_network = not chosen and args.model.startswith("lipnet")
    if explicit_network and not has_expert_mask(table).all():
        log(
            "Note: these particles have no expert masks. Without masks the hybrid "
            "(--model hybrid: the network with the hand-made features, what "
            "--model auto trains on such particles) did better than the network "
            "alone on large cut-outs, and on small, noisy ones the network, the "
            "hybrid and the SVM (--model svm) did about as well; compare them on "
            "your particles, see docs/real_data.md."
        )
    log(f"Training {display_name(args.model)} on {len(y)} particles from {args.data}")
    args.probability = True
    model = build_model(args.model, args, verbose=int(not args.quiet)).fit(table, y)
    # Ctrl-C during fit ends the command before this line: an existing model
    # file is replaced only by a finished model, and only as a whole.
    save_model(model, out)
    print(f"Model written to {out}")
    return 0
