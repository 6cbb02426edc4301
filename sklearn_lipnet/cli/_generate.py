"""``lipnet generate``: write synthetic liposome cut-outs to the folder layout."""

from pathlib import Path

from ._common import CommandError, positive_int, value_counts

__all__ = ["add_parser", "run"]


def add_parser(commands):
    """Register ``generate`` with the ``lipnet`` parser's subcommands."""
    from ..datasets import CLASSES

    parser = commands.add_parser(
        "generate", help="write synthetic liposome cut-outs to the folder layout"
    )
    parser.add_argument("out", help="folder to write")
    parser.add_argument("--problem", choices=tuple(CLASSES), default="lamellarity")
    parser.add_argument("--n-samples", type=positive_int, default=500)
    parser.add_argument(
        "--thesis-weights",
        action="store_true",
        help="the thesis's class proportions instead of the benchmark's",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace files of an earlier set in OUT",
    )
    _add_micrograph_options(parser)
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Generate as the parsed ``args`` describe; return the exit status."""
    if args.micrographs:
        return _run_micrographs(args)
    from ..datasets import BENCHMARK_WEIGHTS, make_liposomes, save_particles

    out = Path(args.out)
    if out.is_dir() and any(out.iterdir()) and not args.overwrite:
        raise CommandError(
            f"{out} is not empty; pass --overwrite to replace a set written there."
        )
    weights = None if args.thesis_weights else BENCHMARK_WEIGHTS[args.problem]
    table, y = make_liposomes(
        args.n_samples, problem=args.problem, weights=weights, random_state=args.seed
    )
    save_particles(table, y, args.out, overwrite=args.overwrite)
    labels, counts = value_counts(y)
    summary = ", ".join(f"{label}: {count}" for label, count in zip(labels, counts))
    print(f"{len(y)} {args.problem} cut-outs ({summary}) written to {args.out}")
    return 0


def _add_micrograph_options(parser):
    """``--micrographs``: whole synthetic micrographs instead of cut-outs."""
    group = parser.add_argument_group("micrographs")
    group.add_argument(
        "--micrographs",
        type=positive_int,
        metavar="N",
        default=None,
        help="write N synthetic micrographs per sample, with their ground truth "
        "(particles.csv), instead of cut-outs",
    )
    group.add_argument(
        "--samples",
        type=positive_int,
        default=2,
        help="samples (one sub-folder each) with --micrographs (default: 2)",
    )
    group.add_argument(
        "--micrograph-size",
        type=positive_int,
        default=1024,
        help="side of the micrographs in pixels, 1 nm each (default: 1024)",
    )


def _run_micrographs(args):
    """``generate --micrographs``: a folder per sample, an index, the truth."""
    import numpy as np
    import pandas as pd

    from ..datasets import BENCHMARK_WEIGHTS, make_micrographs, save_micrographs

    weights = None if args.thesis_weights else BENCHMARK_WEIGHTS[args.problem]
    seeds = np.random.SeedSequence(args.seed).spawn(args.samples)
    all_micrographs, all_particles = [], []
    for k, seed in enumerate(seeds, 1):
        sample = f"sample-{k}"
        micrographs, particles = make_micrographs(
            args.micrographs,
            problem=args.problem,
            weights=weights,
            shape=args.micrograph_size,
            random_state=np.random.default_rng(seed),
        )
        # Ids unique across samples, as the index and the truth name them.
        micrographs["id"] = sample + "-" + micrographs["id"]
        particles["micrograph"] = sample + "-" + particles["micrograph"]
        particles["id"] = sample + "-" + particles["id"]
        micrographs["sample"] = sample
        all_micrographs.append(micrographs)
        all_particles.append(particles)
    micrographs = pd.concat(all_micrographs, ignore_index=True)
    particles = pd.concat(all_particles, ignore_index=True)
    try:
        save_micrographs(
            micrographs, args.out, particles=particles, overwrite=args.overwrite
        )
    except FileExistsError as exc:
        raise CommandError(f"{exc} (--overwrite replaces them)") from None
    labels, counts = value_counts(particles["class"])
    summary = ", ".join(f"{label}: {count}" for label, count in zip(labels, counts))
    print(
        f"{len(micrographs)} {args.problem} micrographs of {args.samples} sample(s) "
        f"with {len(particles)} particles ({summary}) written to {args.out}"
    )
    return 0
