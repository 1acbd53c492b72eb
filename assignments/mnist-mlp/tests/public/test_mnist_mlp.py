"""Public checks of the MNIST exercises: types and shapes, on small made-up images (no MNIST needed)."""

import pytest
import torch

from grader.testing import check, generator, toy_digits


@pytest.mark.exercise("NeuralNetwork")
@pytest.mark.points(1)
def test_neural_network_maps_784_pixels_to_10_logits(student, seed):
    """NeuralNetwork() maps a (batch, 784) tensor of flattened images to (batch, 10) logits."""
    x = torch.rand(5, 784, generator=generator(seed)) * 2 - 1
    check.tensor(student.NeuralNetwork()(x), "NeuralNetwork() on a (5, 784) batch", shape=(5, 10))


@pytest.mark.exercise("get_transform")
@pytest.mark.points(1)
def test_get_transform_makes_a_float_tensor_of_each_image(student, seed):
    """get_transform() turns a 28x28 grayscale PIL image into a float32 tensor of shape (1, 28, 28)."""
    images, _ = toy_digits(generator(seed), 3)
    for k, out in enumerate(student.helpers.apply_transform(student.get_transform(), images)):
        check.tensor(out, f"get_transform() applied to image {k}", shape=(1, 28, 28))


@pytest.mark.exercise("train_epoch")
@pytest.mark.points(1)
def test_train_epoch_returns_a_float(student, seed):
    """train_epoch(net, loader, optimizer, criterion) runs one epoch and returns the mean loss, a Python float."""
    images, labels = toy_digits(generator(seed), 128)
    net = student.helpers.make_mlp([784, 128, 64, 10])
    loader = student.helpers.image_loader(images, labels, batch_size=64)
    loss = student.train_epoch(net, loader, student.helpers.sgd(net, 0.01, 0.9), student.helpers.cross_entropy())
    # The format test: the hidden tests accept any number type holding the loss; this one asks for a float.
    loss = check.plain_number(loss, "what train_epoch returns")
    assert loss > 0, f"train_epoch returned {loss}, not a mean cross-entropy."


@pytest.mark.exercise("evaluate")
@pytest.mark.points(1)
def test_evaluate_returns_the_fraction_correct(student, seed):
    """evaluate(net, loader) returns the share of images the network classifies right: 0.75 here."""
    gen = generator(seed)
    images, labels = toy_digits(gen, 128)
    classes = labels.clone()
    classes[:32] = (labels[:32] + 1) % 10  # a network that gets exactly 96 of the 128 images right
    net = student.helpers.planted_classifier(images, classes)
    accuracy = student.evaluate(net, student.helpers.image_loader(images, labels, batch_size=32))
    accuracy = check.number(accuracy, "what evaluate returns")
    assert abs(accuracy - 0.75) < 1e-6, (
        f"evaluate returned {accuracy:.4g} for a network that classifies 96 of 128 images right; expected 0.75."
    )
