"""Labels that cannot be sorted are named as such, wherever they arrive."""

import numpy as np
import pytest

from sklearn_lipnet import LipNetClassifier, make_svm_pipeline
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.metrics import cross_validate_per_class, per_class_report
from sklearn_lipnet.utils import check_labels


@pytest.fixture(scope="module")
def liposomes():
    table, y = make_liposomes(
        12, weights=[0.5, 0.3, 0.2], surrounding=10, random_state=0
    )
    y = y.astype(object)
    y[3] = None
    return table, y


def test_none_among_the_labels_is_named_everywhere(liposomes):
    # Before: numpy's "'<' not supported between instances of 'NoneType' and
    # 'str'", from deep inside scikit-learn (after the features were computed).
    table, y = liposomes
    X = np.random.default_rng(0).normal(size=(12, 64))
    calls = [
        lambda: LipNetClassifier(max_epochs=1, device="cpu").fit(X, y),
        lambda: make_svm_pipeline().fit(table, y),
        lambda: per_class_report(y, np.where(y == None, "a", y)),  # noqa: E711
        lambda: cross_validate_per_class(make_svm_pipeline(), table, y, cv=2),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"1 missing label\(s\).*position 3"):
            call()


def test_mixed_label_types_are_named():
    with pytest.raises(ValueError, match=r"mixes labels .*numbers, strings"):
        check_labels(np.array(["full", 1, "empty"], dtype=object))
    assert check_labels([1, 2, 2]) == [1, 2, 2]
    assert check_labels(np.array([np.nan, 1.0])) is not None  # scikit-learn's case
