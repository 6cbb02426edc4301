import pytest
import torch
from torch import nn

from sklearn_lipnet.neural_network import (
    ARCHITECTURES,
    LipNet1,
    LipNet2,
    LipNet4,
    LipNet4c,
    LipNet6,
    MLPHead,
)


def _layers(net, kind):
    return [m for m in net.modules() if isinstance(m, kind)]


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
@pytest.mark.parametrize("n_classes, in_channels", [(2, 1), (5, 3)])
def test_any_number_of_classes_and_channels(name, n_classes, in_channels):
    net = ARCHITECTURES[name](n_classes=n_classes, in_channels=in_channels)
    side = net.input_size
    out = net(torch.randn(4, in_channels, side, side))
    assert out.shape == (4, n_classes)


def test_default_input_sizes_follow_the_thesis():
    assert {name: cls().input_size for name, cls in ARCHITECTURES.items()} == {
        "lipnet1": 28,
        "lipnet2": 28,
        "lipnet4": 28,
        "lipnet4c": 28,
        "lipnet6": 32,
    }


@pytest.mark.parametrize(
    "cls, n_convs, n_pools",
    [(LipNet1, 1, 1), (LipNet2, 2, 2), (LipNet4, 4, 2), (LipNet6, 6, 3)],
)
def test_pooling_networks_have_the_thesis_layers(cls, n_convs, n_pools):
    net = cls()
    convs = _layers(net, nn.Conv2d)
    assert len(convs) == n_convs
    for conv in convs:
        assert conv.kernel_size == (3, 3)
        assert conv.stride == (1, 1)
        assert conv.padding == (1, 1)  # "same" for 3x3
        assert conv.out_channels == 32
    assert len(_layers(net, nn.MaxPool2d)) == n_pools
    # one dropout per block plus one in the dense head
    assert len(_layers(net, nn.Dropout)) == n_pools + 1
    # hidden dense layer, then the class layer
    assert len(_layers(net, nn.Linear)) == 2
    assert len(_layers(net, nn.ReLU)) == n_convs + 1


def test_lipnet4c_is_fully_convolutional():
    net = LipNet4c(n_classes=3)
    assert not _layers(net, nn.Linear)
    assert not _layers(net, nn.MaxPool2d)
    strided = [c for c in _layers(net, nn.Conv2d) if c.stride == (2, 2)]
    assert len(strided) == 2
    last_conv = _layers(net, nn.Conv2d)[-1]
    assert last_conv.kernel_size == (1, 1) and last_conv.out_channels == 3
    # with global pooling any input size works
    assert net(torch.randn(2, 1, 40, 40)).shape == (2, 3)


def test_options_reach_the_layers():
    net = LipNet4(dense_units=64, conv_channels=16, conv_dropout=0.1, batch_norm=True)
    assert _layers(net, nn.Linear)[0].out_features == 64
    assert all(c.out_channels == 16 for c in _layers(net, nn.Conv2d))
    assert len(_layers(net, nn.BatchNorm2d)) == 4
    assert _layers(net, nn.Dropout)[0].p == 0.1


def test_larger_input_size_changes_the_dense_layer():
    net = LipNet4(input_size=48)
    assert _layers(net, nn.Linear)[0].in_features == 32 * 12 * 12
    assert net(torch.randn(1, 1, 48, 48)).shape == (1, 3)


def test_too_small_input_is_refused():
    with pytest.raises(ValueError, match="at least 8 pixels"):
        LipNet6(input_size=4)


def test_dense_net_flattens_its_input():
    net = MLPHead(n_features=6, n_classes=4, dense_units=10)
    assert net(torch.randn(3, 6)).shape == (3, 4)
    assert net(torch.randn(3, 2, 3)).shape == (3, 4)


def _last_layer(network):
    """The classifier's last layer as a function of the embedding."""
    if isinstance(network, MLPHead):
        return network.layers[-1]
    last = network.head[-1] if isinstance(network.head[-1], nn.Linear) else None
    if last is not None:
        return last
    conv = network.head[0]  # LipNet-4c: a 1x1 convolution, then averaging
    linear = nn.Linear(conv.in_channels, conv.out_channels)
    linear.weight.data = conv.weight.data[:, :, 0, 0]
    linear.bias.data = conv.bias.data
    return linear


@pytest.mark.parametrize(
    "network, shape",
    [
        (LipNet1(n_classes=3), (5, 1, 28, 28)),
        (LipNet4(n_classes=3, batch_norm=True), (5, 1, 28, 28)),
        (LipNet4c(n_classes=3), (5, 1, 28, 28)),
        (LipNet6(n_classes=4, dense_units=16), (5, 1, 32, 32)),
        (MLPHead(n_features=7, n_classes=3, batch_norm=True), (5, 7)),
        (MLPHead(n_features=7, n_classes=3), (5, 7)),
    ],
)
def test_the_last_layer_of_the_embedding_gives_the_logits(network, shape):
    torch.manual_seed(0)
    network.eval()
    X = torch.randn(shape)
    with torch.no_grad():
        embedding = network.embed(X)
        assert embedding.shape[0] == 5 and embedding.dim() == 2
        assert (embedding >= 0).all()  # after ReLU, or averaged ReLU maps
        torch.testing.assert_close(_last_layer(network)(embedding), network(X))
