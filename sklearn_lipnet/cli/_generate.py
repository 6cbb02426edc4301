"""``lipnet generate``: write synthetic liposome cut-outs to the folder layout."""

import os
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
        help="replace a set that an earlier generate wrote to OUT (only the "
        "files its index.csv lists; anything else in OUT is refused)",
    )
    _add_micrograph_options(parser)
    parser.set_defaults(func=run)
    return parser


def _files(folder):
    """Every file under ``folder`` that a loader would see (hidden ones not)."""
    found = []
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        found += [Path(directory, f) for f in files if not f.startswith(".")]
    return found


def _earlier_set(out):
    """The files an earlier ``generate`` wrote to ``out``, or a CommandError.

    They are what its ``index.csv`` lists, and the index itself; any other
    file there would mix into the new set, so it is refused, never removed.
    """
    import pandas as pd

    index = out / "index.csv"
    if not index.is_file():
        raise CommandError(
            f"{out} is not empty and holds no index.csv of an earlier `lipnet "
            "generate`; --overwrite only replaces such a set. Choose an empty "
            "or new folder."
        )
    try:
        listing = pd.read_csv(index, dtype=str, keep_default_na=False)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise CommandError(
            f"{index}: cannot read the earlier set's index ({exc})."
        ) from None
    root = out.resolve()
    listed = {index.resolve()}
    for column in ("image", "mask"):
        for name in listing.get(column, []):
            if not name:
                continue
            path = (out / name).resolve()
            if root not in path.parents:
                raise CommandError(f"{index} lists {name}, which is outside {out}.")
            listed.add(path)
    others = [path for path in _files(out) if path.resolve() not in listed]
    if others:
        raise CommandError(
            f"{out} holds {len(others)} file(s) that the earlier set's index.csv "
            f"does not list, e.g. {others[0]}; they would mix into the new set. "
            "Move them away or choose another folder."
        )
    return sorted(path for path in listed if path.exists())


def _remove(files, out):
    """Remove ``files``, then the folders under ``out`` they leave empty."""
    for path in files:
        path.unlink()
    for directory, _, _ in sorted(os.walk(out), reverse=True):
        if Path(directory) != out:
            try:
                os.rmdir(directory)  # only succeeds on empty folders
            except OSError:
                pass


def run(args):
    """Generate as the parsed ``args`` describe; return the exit status."""
    if args.micrographs:
        return _run_micrographs(args)
    from ..datasets import BENCHMARK_WEIGHTS, make_liposomes, save_particles

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CommandError(f"{out} is a file, not a folder.")
    earlier = []
    if out.is_dir() and any(out.iterdir()):
        if not args.overwrite:
            raise CommandError(
                f"{out} is not empty; pass --overwrite to replace a set that "
                "generate wrote there."
            )
        earlier = _earlier_set(out)
    weights = None if args.thesis_weights else BENCHMARK_WEIGHTS[args.problem]
    table, y = make_liposomes(
        args.n_samples, problem=args.problem, weights=weights, random_state=args.seed
    )
    # Removed only now that the new set exists in memory, and only what the
    # earlier set's index lists: no mixture of two sets, nothing else lost.
    _remove(earlier, out)
    save_particles(table, y, out)
    labels, counts = value_counts(y)
    summary = ", ".join(f"{label}: {count}" for label, count in zip(labels, counts))
    print(f"{len(y)} {args.problem} cut-outs ({summary}) written to {out}")
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
