"""GPU checks (marker `gpu`): skipped where torch sees no CUDA device, as on CI.

Run them on a GPU machine with `python -m pytest -m gpu`.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def test_tokenizer_encodes_alike_on_gpu_and_cpu():
    import pathlib

    from rig.imagination.tokenizer import ImageTokenizer

    folder = pathlib.Path(__file__).resolve().parents[1] / "pretrained" / "crafter-tokenizer"
    frames = np.random.default_rng(0).integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    cpu = ImageTokenizer.from_pretrained(folder).encode(frames)
    gpu = ImageTokenizer.from_pretrained(folder, device="cuda").encode(frames)
    assert (cpu == gpu).mean() > 0.95  # float rounding may flip near-tied codes


def test_policy_trains_in_bf16_on_gpu(tmp_path):
    from rig.policy.model import ModelConfig, build_model
    from rig.train.train_policy import weighted_loss

    model = build_model(ModelConfig(preset="tiny", vocab_size=500)).cuda()
    ids = torch.randint(0, 500, (2, 64), device="cuda")
    segments = torch.full_like(ids, 5)
    mask = torch.ones_like(ids)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        logits = model(input_ids=ids, attention_mask=mask).logits
    loss, metrics = weighted_loss(logits, ids, segments, mask, {"action": 1.0})
    loss.backward()
    assert torch.isfinite(loss) and "action_accuracy" in metrics
