"""Hidden checks of the MNIST exercises, one exercise at a time.

NeuralNetwork is trained by the grader's loop with the grader's transform; train_epoch trains
the grader's network; evaluate runs on a network whose answers the test chose. Accuracy on the
test split is computed here: the worker gets the test images, never their labels.
"""

import pytest
import torch
from torch import nn

from grader.testing import check, generator, measure, mlp_forward, toy_digits

# The training budget behind the accuracy floor: 3 epochs over 6,000 training images (batch 64,
# SGD lr 0.01 with momentum 0.9, as on the page but faster), the same on the bundled sample, on
# mnist-mini and on full MNIST. On mnist-mini (its 2,000 test images come from the harder half of
# MNIST's test set), the reference's worst test accuracy over 20 seeds is 0.89 with the grader's
# loop and 0.91 with its own train_epoch (scripts/seed_sweep.py). On the bundled sample (6,000
# training images, so every seed trains on all of them, in another order), the grader's loop
# gives 0.867 at worst and 0.894 on average over 12 seeds, and a network that does not learn
# (zero initialisation) 0.115. The floor sits well inside that gap.
TRAIN_IMAGES, EPOCHS, LR, MOMENTUM, BATCH = 6000, 3, 0.01, 0.9, 64
ACCURACY_FLOOR = 0.80
SIZES = [784, 128, 64, 10]


def training_subset(mnist, seed):
    """TRAIN_IMAGES training images and their labels, picked at random (the labels may go to the worker)."""
    pick = torch.randperm(len(mnist.train.labels), generator=generator(seed))[:TRAIN_IMAGES]
    return mnist.train.images[pick], mnist.train.labels[pick]


def accuracy_on_test_split(student, net, mnist, what, seed, feedback=None):
    """The accuracy of the trained net on the test split, computed here: its weights, cross-checked by
    its outputs on fresh random inputs, run on the test images in this process (which alone holds
    the labels). No worker-side helper's word is taken for it."""
    x = torch.rand(64, 784, generator=generator(seed + 1)) * 2 - 1
    layers = check.relu_mlp(net(x), student.helpers.linear_layers(net), x, SIZES, what)
    logits = mlp_forward(layers, normalized(mnist.test.images).view(-1, 784))
    if feedback is not None:
        show_mistakes(feedback, logits.argmax(1), mnist)
    return float((logits.argmax(1) == mnist.test.labels).double().mean())


MISTAKES_SHOWN = 16


def show_mistakes(feedback, predicted, mnist):
    """The confusion matrix on the test split (counts per class only) and a grid of misclassified
    digits captioned with the network's answer: never an image's true label."""
    labels = mnist.test.labels
    matrix = torch.bincount(labels * 10 + predicted, minlength=100).reshape(10, 10)
    feedback.confusion(matrix, title="The test split: true class by row, predicted by column",
                       class_names=[str(k) for k in range(10)])
    wrong = (predicted != labels).nonzero().flatten()[:MISTAKES_SHOWN]
    if len(wrong):
        feedback.images(mnist.test.images[wrong], title="Some test digits the network got wrong",
                        captions=[f"read as {int(predicted[i])}" for i in wrong],
                        alt=f"{len(wrong)} test digits the network misclassified, each captioned with its answer")


def normalized(images):
    """What ToTensor then Normalize((0.5,), (0.5,)) make of uint8 images, as (N, 1, 28, 28)."""
    return images.float().div(255).sub(0.5).div(0.5).unsqueeze(1)


# ----------------------------------------------------------------- NeuralNetwork

@pytest.mark.exercise("NeuralNetwork")
@pytest.mark.points(2)
def test_neural_network_computes_two_relu_layers(student, seed):
    """NeuralNetwork computes Linear(784, 128) -> ReLU -> Linear(128, 64) -> ReLU -> Linear(64, 10) of its own layers."""
    images, _ = toy_digits(generator(seed), 32)
    x = normalized(images).view(-1, 784)
    net = student.NeuralNetwork()
    check.relu_mlp(net(x), student.helpers.linear_layers(net), x, SIZES, "NeuralNetwork()")


@pytest.mark.exercise("NeuralNetwork")
@pytest.mark.points(2)
@pytest.mark.time_limit(120)
def test_neural_network_reaches_the_accuracy_floor(student, seed, mnist, feedback):
    """Trained by the grader (3 epochs, SGD with momentum), NeuralNetwork classifies the test split well."""
    images, labels = training_subset(mnist, seed)
    net = student.NeuralNetwork()
    loader = student.helpers.image_loader(images, labels, batch_size=BATCH, shuffle=True, seed=seed)
    student.helpers.fit_classifier(net, loader, EPOCHS, LR, MOMENTUM)
    accuracy = accuracy_on_test_split(student, net, mnist, "NeuralNetwork() trained by the grader", seed, feedback)
    check.at_least(accuracy, ACCURACY_FLOOR, "the test accuracy of NeuralNetwork trained by the grader", reveal=False)


# ----------------------------------------------------------------- get_transform

@pytest.mark.exercise("get_transform")
@pytest.mark.points(2)
def test_get_transform_is_to_tensor_then_normalize(student, seed):
    """get_transform() scales pixels to [0, 1] (ToTensor), then maps them to [-1, 1]: (p - 0.5) / 0.5."""
    images = torch.randint(0, 256, (8, 28, 28), generator=generator(seed), dtype=torch.uint8)
    images[0], images[1] = 0, 255  # the ends of the range
    expected = normalized(images)
    for k, out in enumerate(student.helpers.apply_transform(student.get_transform(), images)):
        check.tensor(out, f"get_transform() applied to image {k}", shape=(1, 28, 28))
        assert torch.allclose(out, expected[k], atol=1e-5), (
            f"get_transform() applied to image {k} does not give ToTensor then Normalize((0.5,), (0.5,)) of it."
        )


# ----------------------------------------------------------------- train_epoch

# Loaders of many tiny batches with an uneven last one: 202 batches of 4, the last of 3. They are
# cheap, and they tell apart what equal batches and short epochs hide: a loss summed over a
# `running_loss` reset every 200 batches, or an accuracy averaged over batches.
SMALL_BATCH, SMALL_N = 4, 4 * 201 + 3


def replay_epoch(params, images, labels, lr, momentum, batch=BATCH):
    """The trusted replay of one epoch of the page's loop on the grader's network: (parameters, batch losses)."""
    net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    net.load_state_dict(params)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    criterion = nn.CrossEntropyLoss()
    x = normalized(images).view(-1, 784)
    losses = []
    sizes = []
    for start in range(0, len(x), batch):
        optimizer.zero_grad()
        loss = criterion(net(x[start : start + batch]), labels[start : start + batch])
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
        sizes.append(len(labels[start : start + batch]))
    return {k: v.detach() for k, v in net.state_dict().items()}, losses, sizes


@pytest.mark.exercise("train_epoch")
@pytest.mark.points(2)
def test_train_epoch_does_one_pass_of_sgd_steps(student, seed):
    """train_epoch makes one optimizer step per batch on the criterion of the flattened images, and
    returns the mean of the batch losses."""
    images, labels = toy_digits(generator(seed), SMALL_N)  # 202 batches, the last one smaller, in order
    net = student.helpers.make_mlp(SIZES)
    before = check_params(student.helpers.parameters(net), "the grader's network")
    lr, momentum = 0.01, 0.9
    optimizer, criterion = student.helpers.sgd(net, lr, momentum), student.helpers.cross_entropy()
    loader = student.helpers.image_loader(images, labels, batch_size=SMALL_BATCH)
    loss = check.number(student.train_epoch(net, loader, optimizer, criterion), "what train_epoch returns")
    after = check_params(student.helpers.parameters(net), "the network after train_epoch")
    x = normalized(images[:64]).view(-1, 784)  # the parameters it reports, cross-checked by function
    check.relu_mlp(net(x), [{"weight": after[f"{i}.weight"], "bias": after[f"{i}.bias"]} for i in (0, 2, 4)],
                   x, SIZES, "the network after train_epoch")
    expected, losses, sizes = replay_epoch(before, images, labels, lr, momentum, SMALL_BATCH)
    moved = max(float((expected[k] - before[k]).abs().max()) for k in expected)
    gap = float(torch.stack([(after[k] - expected[k]).abs().max() for k in expected]).max())  # NaN stays NaN
    measure("the parameters after train_epoch, off the replay (relative to how far it moved them)", gap / moved, high=1e-3)
    assert gap <= 1e-3 * moved, (
        "After train_epoch, the network's parameters are not those of one optimizer step per batch on the "
        "criterion of the batch's images flattened to (B, 784) (check zero_grad, backward and step)."
    )
    # The contract's mean of the batch losses; the mean over images (batches weighted by their size)
    # is a mean loss of the epoch too, and is accepted.
    means = (sum(losses) / len(losses), sum(l * n for l, n in zip(losses, sizes)) / sum(sizes))
    off = min(abs(loss - mean) / mean for mean in means)
    measure("train_epoch's loss, off the replay's mean batch loss (relative)", off, high=1e-4)
    assert off <= 1e-4, "train_epoch does not return the mean of the losses of all its batches."


def check_params(params, what):
    """The grader's network's parameters as the worker reports them: shapes before any arithmetic."""
    assert isinstance(params, dict), f"{what}: its parameters could not be read."
    shapes = {"0.weight": (128, 784), "0.bias": (128,), "2.weight": (64, 128), "2.bias": (64,),
              "4.weight": (10, 64), "4.bias": (10,)}
    for key, shape in shapes.items():
        check.tensor(params.get(key), f"{what}'s {key}", shape=shape)
    return {key: params[key] for key in shapes}


@pytest.mark.exercise("train_epoch")
@pytest.mark.points(2)
@pytest.mark.time_limit(120)
def test_train_epoch_reaches_the_accuracy_floor(student, seed, mnist, feedback):
    """Three epochs of train_epoch (SGD with momentum) train the grader's network to classify the test split well."""
    images, labels = training_subset(mnist, seed)
    net = student.helpers.make_mlp(SIZES)
    loader = student.helpers.image_loader(images, labels, batch_size=BATCH, shuffle=True, seed=seed)
    optimizer, criterion = student.helpers.sgd(net, LR, MOMENTUM), student.helpers.cross_entropy()
    for _ in range(EPOCHS):
        student.train_epoch(net, loader, optimizer, criterion)
    accuracy = accuracy_on_test_split(student, net, mnist, "the network trained by train_epoch", seed, feedback)
    check.at_least(accuracy, ACCURACY_FLOOR, "the test accuracy of the network trained by train_epoch", reveal=False)


# ----------------------------------------------------------------- evaluate

def planted(student, seed, n=3 * 268 + 1, batch=3):
    """A network that classifies exactly `right` of n images right, and a loader of them: 3 images a
    batch by default, the last one with 1, so that a mean of per-batch accuracies is off."""
    gen = generator(seed)
    images, labels = toy_digits(gen, n)
    right = int(torch.randint(n // 4, 3 * n // 4, (1,), generator=gen))
    wrong = torch.randperm(n, generator=gen)[: n - right]
    classes = labels.clone()
    classes[wrong] = (labels[wrong] + 1 + torch.randint(0, 9, (len(wrong),), generator=gen)) % 10
    net = student.helpers.planted_classifier(images, classes)
    return net, student.helpers.image_loader(images, labels, batch_size=batch), right / n


@pytest.mark.exercise("evaluate")
@pytest.mark.points(2)
def test_evaluate_is_the_accuracy_over_the_whole_loader(student, seed):
    """evaluate returns the fraction of all the loader's images that the network classifies right."""
    net, loader, expected = planted(student, seed)
    accuracy = check.number(student.evaluate(net, loader), "what evaluate returns")
    assert abs(accuracy - expected) < 1e-6, (
        f"evaluate returned {accuracy:.4g}, not the fraction (between 0 and 1) of the loader's images the network gets right."
    )


@pytest.mark.exercise("evaluate")
@pytest.mark.points(1)
def test_evaluate_runs_the_network_without_gradients(student, seed):
    """evaluate runs the network under torch.no_grad() (no graph is built for the gradients)."""
    net, loader, _ = planted(student, seed, n=128, batch=BATCH)
    student.evaluate(net, loader)
    assert net.calls > 0, "evaluate never ran the network."
    assert net.calls_with_grad == 0, "evaluate runs the network with gradients on; wrap the loop in torch.no_grad()."
