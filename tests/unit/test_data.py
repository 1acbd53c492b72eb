"""Data sets: configured, loaded on the trusted side, sent to the worker by value; missing data is
the grader's error with what to do, never a student's zero."""

from __future__ import annotations

import gzip
import textwrap
from pathlib import Path

import pytest
import torch

from grader import cli, data, jobs
from grader.assignment import load_assignment
from grader.data import DataConfig, DataUnavailable, load_mnist, mnist_splits
from grader.jobs import COULD_NOT_GRADE, GradeOutcome
from grader.intake import read_submission
from grader.pipeline import grade_submission
from grader.run import inworker


def _configured_folder(root: Path) -> Path:
    """A data folder as torchvision leaves one after a download (MNIST/raw, uncompressed), made
    from the bundled sample: the configured-folder path runs on every machine, offline."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for packed in (data.SAMPLE_DIR / "MNIST" / "raw").glob("*.gz"):
        (raw / packed.stem).write_bytes(gzip.decompress(packed.read_bytes()))
    return root


@pytest.mark.parametrize("configured", [True, False], ids=["configured folder", "bundled sample"])
def test_mnist_loads_as_uint8_images_and_int64_labels(configured, tmp_path, monkeypatch):
    if configured:
        monkeypatch.setenv(data.ENV_VAR, str(_configured_folder(tmp_path)))
    else:
        monkeypatch.delenv(data.ENV_VAR, raising=False)
    config = DataConfig.resolve()
    assert (config.root is not None) == configured
    splits = mnist_splits(config)
    assert bool(splits.note) == (not configured)
    for split in (splits.train, splits.test):
        assert split.images.dtype == torch.uint8 and split.images.shape[1:] == (28, 28)
        assert split.labels.dtype == torch.int64 and split.labels.shape == (len(split.images),)
        assert set(split.labels.unique().tolist()) == set(range(10))
    assert len(splits.train.images) > len(splits.test.images) > 0
    if configured:  # torchvision's reading of the folder and ours of the sample agree, bit for bit
        sample = mnist_splits(DataConfig())
        assert torch.equal(splits.train.images, sample.train.images) and torch.equal(splits.test.labels, sample.test.labels)


def test_without_a_data_folder_the_bundled_sample_is_used_and_said():
    splits = mnist_splits(DataConfig())
    assert (len(splits.train.images), len(splits.test.images)) == (6000, 2000)
    assert "sample" in splits.note and data.ENV_VAR in splits.note


def test_the_bundled_sample_is_the_official_test_set_in_torchvision_layout():
    raw = data.SAMPLE_DIR / "MNIST" / "raw"
    names = sorted(p.name for p in raw.iterdir())
    assert names == sorted(f"{s}-{k}-idx{d}-ubyte.gz" for s in ("train", "t10k") for k, d in (("images", 3), ("labels", 1)))
    readme = (data.SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    assert "CC BY-SA 3.0" in readme and "LeCun" in readme


def test_a_damaged_sample_is_the_graders_error(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (raw / name).write_bytes(b"not gzip")
    with pytest.raises(DataUnavailable, match="cannot be read"):
        data.load_idx_gz(tmp_path, train=True)


def test_missing_mnist_says_where_to_point_the_grader(tmp_path):
    with pytest.raises(DataUnavailable) as info:
        mnist_splits(DataConfig(tmp_path))
    message = str(info.value)
    assert "--data-dir" in message and data.ENV_VAR in message and "--download" in message


def test_the_flag_wins_over_the_environment_and_an_empty_variable_is_unset(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "env"))
    assert DataConfig.resolve().root == tmp_path / "env"
    assert DataConfig.resolve(tmp_path / "flag", download=True) == DataConfig(tmp_path / "flag", True)
    monkeypatch.setenv(data.ENV_VAR, "")
    assert DataConfig.resolve() == DataConfig(None, False)


class FakeMNIST:
    """Stands in for torchvision's MNIST: records how it was asked, never touches the network."""

    calls: list[tuple[str, bool, bool]] = []

    def __init__(self, root, train=True, download=False):
        FakeMNIST.calls.append((root, train, download))
        self.data = torch.zeros(3, 28, 28, dtype=torch.uint8)
        self.targets = torch.tensor([0, 1, 2])


def test_download_is_passed_to_torchvision(monkeypatch, tmp_path):
    monkeypatch.setattr("torchvision.datasets.MNIST", FakeMNIST)
    FakeMNIST.calls.clear()
    splits = mnist_splits(DataConfig(tmp_path, download=True))
    assert FakeMNIST.calls == [(str(tmp_path), True, True), (str(tmp_path), False, True)]
    assert splits.train.labels.tolist() == [0, 1, 2]


def test_download_without_a_folder_goes_to_the_cache(monkeypatch):
    monkeypatch.setattr("torchvision.datasets.MNIST", FakeMNIST)
    load_mnist.cache_clear()
    FakeMNIST.calls.clear()
    mnist_splits(DataConfig(None, download=True))
    assert {call[0] for call in FakeMNIST.calls} == {str(data.DEFAULT_DOWNLOAD_DIR)}
    load_mnist.cache_clear()


def test_grade_local_passes_data_dir_and_download_on(monkeypatch, tmp_path):
    seen = {}

    def fake_grade_job(job, course):
        seen["data"] = job.data_config
        return GradeOutcome(job.key, COULD_NOT_GRADE, None, "stop here")

    (tmp_path / "x.py").write_text("def f():\n    return 1\n")
    monkeypatch.setattr(jobs, "grade_job", fake_grade_job)  # the CLI imports it when it grades
    code = cli.main(["local", str(tmp_path / "x.py"), "--assignment", "tp1", "--data-dir", str(tmp_path), "--download"])
    assert code == cli.EXIT_CANNOT_GRADE
    assert seen["data"] == DataConfig(tmp_path.resolve(), True)


def test_a_test_that_needs_missing_data_is_the_graders_error_with_what_to_do(tmp_path):
    base = tmp_path / "assignments" / "digits"
    (base / "tests" / "public").mkdir(parents=True)
    (base / "assignment.toml").write_text('slug = "digits"\n[[exercises]]\nname = "f"\n')
    (base / "tests" / "public" / "test_f.py").write_text(textwrap.dedent("""\
        import pytest

        @pytest.mark.exercise("f")
        def test_f_on_mnist(mnist):
            assert len(mnist.test.images) > 0
    """))
    (tmp_path / "student.py").write_text("def f():\n    return 1\n")
    result = grade_submission(read_submission(tmp_path / "student.py"), load_assignment(tmp_path, "digits"),
                              data=DataConfig(tmp_path / "no-such-folder"))
    (test,) = [t for e in result.exercises for t in e.tests]
    assert (test.status, test.fault) == ("error", "grader")
    assert "--data-dir" in test.message and "--data-dir" in result.grader_error


# ----------------------------------------------------------------- the worker's side


def test_a_loader_yields_what_torchvision_mnist_with_the_pages_transform_yields():
    images = torch.randint(0, 256, (10, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(10)
    batches = list(inworker.image_loader(images, labels, batch_size=4))
    assert [len(x) for x, _ in batches] == [4, 4, 2]
    x, y = batches[0]
    assert x.dtype == torch.float32 and x.shape == (4, 1, 28, 28) and y.dtype == torch.int64
    assert torch.equal(x, images[:4].float().div(255).sub(0.5).div(0.5).unsqueeze(1))
    from torchvision import transforms  # the page's transform, image by image: the same floats
    page = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    assert torch.equal(x, torch.stack([page(inworker._pil(image)) for image in images[:4]]))
    shuffled = [y for _, y in inworker.image_loader(images, labels, batch_size=10, shuffle=True, seed=3)]
    again = [y for _, y in inworker.image_loader(images, labels, batch_size=10, shuffle=True, seed=3)]
    assert torch.equal(shuffled[0], again[0]) and not torch.equal(shuffled[0], labels)


def test_a_planted_classifier_gives_the_chosen_classes_and_counts_calls_with_gradients():
    images = torch.randint(0, 256, (6, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    classes = torch.tensor([3, 1, 4, 1, 5, 9])
    net = inworker.planted_classifier(images, classes)
    assert torch.equal(inworker.predict_classes(net, images, batch_size=4), classes)
    assert (net.calls, net.calls_with_grad) == (2, 0)
    x, _ = next(iter(inworker.image_loader(images, classes, batch_size=6)))
    assert torch.equal(net(x.view(-1, 784)).argmax(1), classes) and net.calls_with_grad == 1
    # What any correct student network takes, it takes: unflattened images too.
    assert torch.equal(net(x).argmax(1), classes)
    with pytest.raises(ValueError, match=r"\(B, 784\)"):
        net(torch.zeros(6, 100))
