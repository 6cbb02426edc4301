import numpy as np
import pytest
import torch

from sklearn_lipnet import Augmentation
from sklearn_lipnet.neural_network._batching import (
    EpochBatches,
    TensorDataset,
    epoch_indices,
)

Y = np.array([0] * 50 + [1] * 10 + [2] * 3)


def test_oversampling_matches_the_majority_and_keeps_every_sample():
    indices = epoch_indices(Y, "oversample", torch.Generator().manual_seed(0))
    counts = np.bincount(Y[indices.numpy()])
    assert counts.tolist() == [50, 50, 50]
    assert set(indices.tolist()) == set(range(len(Y)))


def test_oversampling_draws_the_repeats_at_random():
    generator = torch.Generator().manual_seed(0)
    minority = np.flatnonzero(Y == 2)  # 3 samples, oversampled to 50
    epochs = [epoch_indices(Y, "oversample", generator).numpy() for _ in range(200)]
    repeats = np.array([np.bincount(e, minlength=len(Y))[minority] for e in epochs])
    # Each minority sample is drawn equally often on average ...
    np.testing.assert_allclose(repeats.mean(axis=0), 50 / 3, rtol=0.06)
    # ... but how often varies from epoch to epoch: no fixed cycle.
    assert (repeats.std(axis=0) > 2).all()
    # The classes are mixed, not served one after the other.
    first_batch = Y[epochs[0][:16]]
    assert len(set(first_batch.tolist())) > 1


def test_undersampling_drops_a_fifth_of_the_majority_each_epoch():
    generator = torch.Generator().manual_seed(0)
    first = epoch_indices(Y, "undersample", generator)
    second = epoch_indices(Y, "undersample", generator)
    assert np.bincount(Y[first.numpy()]).tolist() == [40, 10, 3]
    majority_first = {i for i in first.tolist() if Y[i] == 0}
    majority_second = {i for i in second.tolist() if Y[i] == 0}
    assert majority_first != majority_second  # re-drawn every epoch


def test_no_balance_is_a_permutation():
    indices = epoch_indices(Y, None, torch.Generator().manual_seed(0))
    assert sorted(indices.tolist()) == list(range(len(Y)))
    assert indices.tolist() != list(range(len(Y)))


def test_prediction_batches_are_in_order_and_untouched():
    X = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)
    batches = list(EpochBatches(TensorDataset(X), batch_size=4))  # by default
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([xb for xb, _ in batches]), X)


def test_training_batches_follow_the_epoch_indices():
    X = torch.arange(len(Y), dtype=torch.float32).view(-1, 1, 1, 1)
    batches = EpochBatches(
        TensorDataset(X, Y.astype(np.int64)),
        batch_size=16,
        training=True,
        balance="oversample",
        sampling_generator=torch.Generator().manual_seed(0),
    )
    seen_x, seen_y = [], []
    for xb, yb in batches:
        seen_x.append(xb.flatten().long())
        seen_y.append(yb)
    seen_x, seen_y = torch.cat(seen_x), torch.cat(seen_y)
    # labels travel with their images
    assert np.array_equal(Y[seen_x.numpy()], seen_y.numpy())
    assert np.bincount(seen_y.numpy()).tolist() == [50, 50, 50]


def test_a_lone_trailing_training_sample_is_left_for_the_next_epoch():
    X = torch.zeros(9, 1, 1, 1)
    y = np.zeros(9, dtype=np.int64)
    batches = EpochBatches(
        TensorDataset(X, y),
        batch_size=4,
        training=True,
        sampling_generator=torch.Generator().manual_seed(0),
    )
    assert [len(xb) for xb, _ in batches] == [4, 4]


def test_dataset_items_and_subsets_keep_images_with_their_labels():
    X = torch.arange(6, dtype=torch.float32).view(6, 1, 1, 1)
    y = np.array([0, 1, 2, 0, 1, 2])
    dataset = TensorDataset(X, y)
    image, label = dataset[4]
    assert float(image) == 4 and int(label) == 1
    subset = dataset.subset([5, 1])
    assert len(subset) == 2 and subset.X.flatten().tolist() == [5.0, 1.0]
    assert subset.y.tolist() == [2, 1] and subset.y_tensor.tolist() == [2, 1]
    unlabelled = TensorDataset(X)
    assert unlabelled[2][1] == 0 and unlabelled.subset([3]).y is None


def test_training_batches_without_labels_are_a_new_permutation_every_epoch():
    X = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)
    batches = EpochBatches(
        TensorDataset(X),
        batch_size=4,
        training=True,
        sampling_generator=torch.Generator().manual_seed(0),
    )
    epochs = [torch.cat([xb for xb, _ in batches]).flatten().tolist() for _ in range(2)]
    for seen in epochs:
        assert sorted(seen) == list(range(10)) and seen != list(range(10))
    assert epochs[0] != epochs[1]
    assert all(yb is None for _, yb in batches)


@pytest.mark.parametrize("n_samples, batch_size, sizes", [(5, 1, [1] * 5), (1, 4, [1])])
def test_batches_of_one_sample_are_trained_on_when_they_are_not_a_remainder(
    n_samples, batch_size, sizes
):
    X = torch.zeros(n_samples, 1, 1, 1)
    batches = EpochBatches(
        TensorDataset(X, np.zeros(n_samples, dtype=np.int64)),
        batch_size=batch_size,
        training=True,
        sampling_generator=torch.Generator().manual_seed(0),
    )
    assert [len(xb) for xb, _ in batches] == sizes


def test_batch_size_minus_one_is_one_batch_of_everything():
    X = torch.arange(7, dtype=torch.float32).view(7, 1, 1, 1)
    for training in (False, True):
        batches = EpochBatches(
            TensorDataset(X, np.zeros(7, dtype=np.int64)),
            batch_size=-1,
            training=training,
            sampling_generator=torch.Generator().manual_seed(0),
        )
        assert [len(xb) for xb, _ in batches] == [7]


@pytest.mark.parametrize("balance", ["oversample", "undersample", None])
def test_epoch_indices_draw_from_the_given_generator_only(balance):
    state = torch.get_rng_state()
    first = epoch_indices(Y, balance, torch.Generator().manual_seed(3))
    second = epoch_indices(Y, balance, torch.Generator().manual_seed(3))
    assert torch.equal(first, second)
    assert torch.equal(state, torch.get_rng_state())


def test_training_batches_draw_from_their_generators_only():
    X = torch.rand(20, 1, 8, 8)
    y = np.array([0] * 15 + [1] * 5)

    def epoch():
        batches = EpochBatches(
            TensorDataset(X, y),
            batch_size=8,
            training=True,
            balance="oversample",
            augmentation=Augmentation(),
            sampling_generator=torch.Generator().manual_seed(1),
            augmentation_generator=torch.Generator().manual_seed(2),
        )
        return torch.cat([xb for xb, _ in batches])

    state = torch.get_rng_state()
    torch.testing.assert_close(epoch(), epoch(), rtol=0, atol=0)
    assert torch.equal(state, torch.get_rng_state())


def test_the_majority_class_need_not_come_first():
    y = np.array([0] * 3 + [1] * 10 + [2] * 40)
    generator = torch.Generator().manual_seed(0)
    oversampled = epoch_indices(y, "oversample", generator).numpy()
    assert np.bincount(y[oversampled]).tolist() == [40, 40, 40]
    undersampled = epoch_indices(y, "undersample", generator).numpy()
    assert np.bincount(y[undersampled]).tolist() == [3, 10, 32]


def test_a_class_of_one_sample_and_a_class_absent_from_the_split():
    # Code 1 is missing (its samples went to the validation split) and code
    # 2 has a single sample: both classes around the gap are balanced.
    y = np.array([0] * 6 + [2] + [3] * 4)
    indices = epoch_indices(y, "oversample", torch.Generator().manual_seed(0))
    assert np.bincount(y[indices.numpy()]).tolist() == [6, 0, 6, 6]


def test_unlabelled_training_batches_draw_from_the_sampling_generator_only():
    X = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)

    def epoch():
        batches = EpochBatches(
            TensorDataset(X),
            batch_size=4,
            training=True,
            sampling_generator=torch.Generator().manual_seed(0),
        )
        return torch.cat([xb for xb, _ in batches]).flatten()

    state = torch.get_rng_state()
    assert torch.equal(epoch(), epoch())
    assert torch.equal(state, torch.get_rng_state())


def test_training_batches_are_blurred_and_noised_image_by_image():
    # The epoch draws one blur and noise level per image, and the batches
    # are made with them: a point stays a point only where the blur drawn
    # is near zero, and the constant background gets noise.
    X = torch.zeros(64, 1, 15, 15)
    X[:, :, 7, 7] = 1
    y = np.array([0] * 32 + [1] * 32)
    augmentation = Augmentation(
        rotation=0,
        shear=0,
        shift=0,
        zoom=None,
        horizontal_flip=False,
        vertical_flip=False,
        blur=2.0,
        noise=0.1,
    )
    batches = EpochBatches(
        TensorDataset(X, y),
        batch_size=16,
        training=True,
        balance=None,
        augmentation=augmentation,
        sampling_generator=torch.Generator().manual_seed(0),
        augmentation_generator=torch.Generator().manual_seed(1),
    )
    out = torch.cat([xb for xb, _ in batches])
    assert out.shape == X.shape
    peaks = out[:, 0, 7, 7]
    # Blurred: most of the point's weight has spread (a sigma of 1 px
    # leaves about 0.16 at the centre), to different degrees per image.
    assert float(peaks.median()) < 0.5 and float(peaks.std()) > 0.1
    corner = out[:, 0, :3, :3].flatten(1)
    assert 0.01 < float(corner.std(1).mean()) < 0.1
