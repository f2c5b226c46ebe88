"""rig.imagination: the image tokenizer (frames <-> discrete image tokens) and the metrics by
which imagined frames are judged (PSNR, SSIM, the copy-the-current-frame baseline, codebook use).

`tokenizer.ImageTokenizer` is built on diffusers' VQModel; `train_tokenizer` and
`eval_tokenizer` are `rig train tokenizer` and `rig eval tokenizer`; see docs/imagination.md.
"""
