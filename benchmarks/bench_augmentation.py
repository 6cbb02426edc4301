"""Augmentation ablation (thesis section 8.2, figure 17).

LipNet-4 on cropped, unmasked particles, oversampled, with the augmentation
techniques added one after another: none, rotation, + shift, + flips,
+ shear, + zoom. Reports the fold-average TPR of every class.

    python -m benchmarks.bench_augmentation [--data DIR] [--device cuda]
"""

from sklearn_lipnet import make_lipnet_pipeline

from ._experiments import parser, run_experiment

OFF = dict(
    rotation=0, shear=0, shift=0, zoom=None, horizontal_flip=False, vertical_flip=False
)
STEPS = [
    ("None", {}),
    ("Rotation", {"rotation": 180}),
    ("Shift", {"shift": 0.1}),
    ("Flip", {"horizontal_flip": True, "vertical_flip": True}),
    ("Shear", {"shear": 0.2}),
    ("Zoom", {"zoom": (0.8, 1.0)}),
]


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()

    def models(problem):
        models, augment = {}, dict(OFF)
        for name, change in STEPS:
            augment.update(change)
            models[name] = make_lipnet_pipeline(
                "lipnet4",
                mode="cropped",
                augment=dict(augment),
                max_epochs=args.epochs,
                device=args.device,
                random_state=args.seed,
            )
        return models

    run_experiment(
        "bench_augmentation",
        "Augmentation techniques added one by one, LipNet-4",
        models,
        args,
        measure="tpr",
        figure="figure 17 (section 8.2)",
    )


if __name__ == "__main__":
    main()
