"""CUDA-written code on a machine without a GPU: run on the CPU, and said in the grade."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import torch

from grader.run import devices

COLAB_STYLE = textwrap.dedent("""
    import json, torch
    from torch import nn
    from grader.run import devices
    active = devices.redirect_cuda()
    before = devices.report()
    device = torch.device("cuda")
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)).cuda()
    net.to(device); net.to("cuda:0"); net.cuda(0)
    x = torch.zeros(5, 3, device="cuda") + torch.randn(5, 3).to(device) + torch.ones(5, 3).cuda()
    x = x.to("cuda", torch.float32).to(device=device, non_blocking=True)
    y = torch.tensor([[1.0]] * 5, device="cuda")
    torch.cuda.manual_seed(0); torch.cuda.manual_seed_all(0)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = nn.MSELoss()(net(x), y); loss.backward(); optimizer.step()
    torch.cuda.synchronize(); torch.cuda.empty_cache()
    print(json.dumps({"active": active, "before": before, "after": devices.report(),
                      "devices": sorted({str(t.device) for t in [x, y, loss, *net.parameters()]}),
                      "loss": loss.item(), "numpy": net(x).detach().cpu().numpy().shape}))
""")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: CUDA code runs on it")
def test_colab_gpu_code_runs_on_the_cpu_and_says_it_did():
    done = subprocess.run([sys.executable, "-c", COLAB_STYLE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["active"] and facts["before"] == {"redirect_active": True, "cuda_redirected": False}
    assert facts["after"]["cuda_redirected"] is True
    assert facts["devices"] == ["cpu"] and facts["numpy"] == [5, 1]


def test_code_that_never_asks_for_cuda_gets_no_note():
    quiet = "import json, torch\nfrom grader.run import devices\ndevices.redirect_cuda()\n" \
            "torch.zeros(2).to('cpu'); print(json.dumps(devices.report()))"
    done = subprocess.run([sys.executable, "-c", quiet], capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout.strip().splitlines()[-1])["cuda_redirected"] is False


@pytest.mark.parametrize("reply", [None, "yes", {"cuda_redirected": "true"}, {"cuda_redirected": 1}, [True], {}])
def test_a_worker_reply_of_any_other_shape_adds_no_note(reply):
    assert devices.cuda_note(reply) is None


def test_the_note_is_information_for_the_student():
    note = devices.cuda_note({"redirect_active": True, "cuda_redirected": True})
    assert note.severity == "info" and "CPU" in note.message and "CUDA" in note.message


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: nothing is rewritten")
def test_the_rewriting_mode_starts_with_the_first_code_that_mentions_cuda_and_not_before():
    """The mode sits on every torch call (a tp1 training ran ~1.8x slower under it): code that
    never mentions CUDA runs without it; the first code that does gets it, before it runs."""
    script = textwrap.dedent("""
        import json, torch
        from grader.run import devices
        from torch.overrides import _is_torch_function_mode_enabled as on
        facts = {"armed": devices.arm()}
        devices.needed("import torch\\nx = torch.zeros(3)\\n")
        facts["plain code"] = on()
        devices.needed("device = torch.device('CUDA' if torch.cuda.is_available() else 'cpu')")
        facts["after cuda"] = on()
        facts["tensor"] = str(torch.zeros(2, device="cuda").device)
        facts["report"] = devices.report()
        print(json.dumps(facts))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["armed"] is True and facts["plain code"] is False and facts["after cuda"] is True
    assert facts["tensor"] == "cpu" and facts["report"] == {"redirect_active": True, "cuda_redirected": True}
