"""Size alone decides the class: only the fixed-scale pipeline can see it."""

from sklearn.metrics import balanced_accuracy_score

from sklearn_lipnet import make_lipnet_pipeline

from .._synthetic import discs_by_size


def test_fixed_scale_sees_size_and_resizing_to_28_does_not():
    # Same texture, radii 12-20 vs 30-48 nm; cut-outs self-similar.
    table, y = discs_by_size(280, seed=0)
    train, test = slice(0, 160), slice(160, None)
    settings = dict(max_epochs=8, random_state=0, device="cpu")
    fixed = make_lipnet_pipeline(scale="fixed", canvas_nm=110, **settings)
    fixed.fit(table[train], y[train])
    assert balanced_accuracy_score(y[test], fixed.predict(table[test])) > 0.95
    resized = make_lipnet_pipeline(**settings).fit(table[train], y[train])
    assert balanced_accuracy_score(y[test], resized.predict(table[test])) < 0.65
