"""``lipnet benchmark --preset``: what each preset sets, and what overrides it."""

import pytest

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.cli import build_parser
from sklearn_lipnet.cli._common import resolve_model_options
from sklearn_lipnet.experiments import (
    BENCHMARK_PRESETS,
    THESIS_TRAINING,
    scaled_learning_rate,
)
from sklearn_lipnet.neural_network._execution import native_bf16


def _resolved(argv):
    args = build_parser().parse_args(argv)
    return resolve_model_options(args, BENCHMARK_PRESETS[args.preset])


def test_the_default_preset_is_the_thesis_training():
    args = _resolved(["benchmark", "--device", "cpu"])
    assert (args.epochs, args.batch_size, args.lr) == (12, 32, 1e-3)
    # bfloat16 only where the CPU computes it natively (AMX, AVX512-BF16).
    assert args.precision == ("bf16" if native_bf16("cpu") else "fp32")
    assert args.compile is False
    assert args.jobs == -1  # every core; a network's folds in processes


def test_fast_scales_the_learning_rate_with_the_batch():
    args = _resolved(["benchmark", "--preset", "fast", "--device", "cpu"])
    assert args.batch_size == 256
    assert args.lr == pytest.approx(1e-3 * (256 / 32) ** 0.5)
    assert args.precision == ("bf16" if native_bf16("cpu") else "fp32")
    assert args.compile is False  # compiled on CUDA only
    assert args.jobs == -1 and args.predict_batch_size == 4096


def test_options_on_the_command_line_override_the_preset():
    args = _resolved(
        [
            "benchmark",
            "--preset",
            "fast",
            "--precision",
            "fp32",
            "--batch-size",
            "64",
            "--epochs",
            "3",
            "--compile",
            "--device",
            "cpu",
        ]
    )
    assert (args.precision, args.batch_size, args.epochs) == ("fp32", 64, 3)
    assert args.compile is True
    assert args.lr == scaled_learning_rate(256)  # --lr not given: the preset's


def test_the_thesis_preset_has_the_thesis_sizes_and_proportions():
    preset = BENCHMARK_PRESETS["thesis"]
    assert preset.n_samples == {"lamellarity": 14169, "encapsulation": 24918}
    assert preset.thesis_weights and preset.epochs == 30


def test_train_defaults_to_the_classifier_epochs():
    from sklearn_lipnet.cli._train import train_preset

    args = build_parser().parse_args(["train", "--data", "x", "--out", "m"])
    resolve_model_options(args, train_preset())
    assert args.epochs == "auto" and args.batch_size == 32 and args.precision == "fp32"
    assert args.epochs == LipNetClassifier().max_epochs


def test_epochs_are_a_positive_number_or_auto(capsys):
    parser = build_parser()
    argv = ["benchmark", "--epochs"]
    assert parser.parse_args([*argv, "auto"]).epochs == "auto"
    assert parser.parse_args([*argv, "7"]).epochs == 7
    for bad in ("0", "many"):
        with pytest.raises(SystemExit):
            parser.parse_args([*argv, bad])
        assert (
            f"must be a positive integer or 'auto', got {bad}"
            in capsys.readouterr().err
        )


@pytest.mark.parametrize("preset", sorted(BENCHMARK_PRESETS))
def test_benchmarks_train_as_the_thesis(preset):
    from sklearn_lipnet.cli._common import build_model

    args = _resolved(["benchmark", "--preset", preset, "--device", "cpu"])
    for model in ("lipnet4", "hybrid", "lipnet4c-fixed"):
        network = build_model(model, args).steps[-1][1]
        assert network.augment is True
        assert network.weight_averaging is None
    assert THESIS_TRAINING == {"augment": True, "weight_averaging": None}


def test_train_uses_each_pipelines_training():
    from sklearn_lipnet.cli._common import build_model
    from sklearn_lipnet.cli._train import train_preset
    from sklearn_lipnet.pipeline import (
        PIPELINE_AUGMENTATION,
        PIPELINE_WEIGHT_AVERAGING,
        make_hybrid_pipeline,
        make_lipnet_pipeline,
    )

    args = build_parser().parse_args(["train", "--data", "x", "--out", "m"])
    resolve_model_options(args, train_preset())
    for model, factory in (
        ("lipnet4", make_lipnet_pipeline),
        ("hybrid", make_hybrid_pipeline),
    ):
        network = build_model(model, args).steps[-1][1]
        default = factory().steps[-1][1]
        assert network.augment == default.augment
        assert network.weight_averaging == default.weight_averaging
    network = build_model("lipnet4", args)[-1]
    assert network.augment == PIPELINE_AUGMENTATION
    assert network.weight_averaging == PIPELINE_WEIGHT_AVERAGING == 0.995
    assert PIPELINE_AUGMENTATION.noise > 0
    # The hybrid keeps the last weights: averaging gained nothing clear there.
    assert build_model("hybrid", args)[-1].weight_averaging is None
