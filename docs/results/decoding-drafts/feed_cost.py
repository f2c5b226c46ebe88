"""One world's forward cost by tokens fed (the lean forward). Usage: python feed_cost.py RUN/final"""
import time, torch, sys
torch.set_num_threads(1)
from rig.policy import checkpoint
from rig.policy.forward import LeanForward
p = checkpoint.load(sys.argv[1]); model = p.model("cpu")
f = LeanForward(model, 1)
hid = model.config.hidden_size if hasattr(model,'config') else None
emb = torch.randn(1, 200, f.layers[0][1][0].shape[0])
f.feed(emb, torch.ones(1,200,dtype=torch.bool), torch.arange(200)[None], [199])
base = f.width
for W in (1, 2, 4, 8, 9, 16):
    ts = []
    for r in range(200):
        f.crop(base)
        e = torch.randn(1, W, emb.shape[-1])
        t = time.perf_counter()
        if W == 1: f.feed_token(e[0], base)
        else: f.feed(e, torch.ones(1,W,dtype=torch.bool), torch.arange(base, base+W)[None], [W-1])
        ts.append(time.perf_counter()-t)
    ts.sort(); print(W, f"{1e3*ts[len(ts)//2]:.3f} ms")
