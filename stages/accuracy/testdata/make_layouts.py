"""Writes layouts/*.npy: the network inputs three zoo-style preprocessing
variants make from three golden images, computed with Pillow and NumPy only
(independently of dnnbench). Run from this directory:

    /usr/bin/python3 make_layouts.py ../../../../shared/golden

Pillow 9.4.0 (libjpeg-turbo), NumPy 1.24.2 (Debian 12 python3-pil, python3-numpy).
"""
import os
import sys

import numpy as np
from PIL import Image

IMAGES = ["n01440764_tench", "n02669723_academic_gown", "n03804744_nail"]

# name: (resize, crop, filter, mean, std, bgr, scale, nhwc)
# resize is a shorter side (int) or a (W, H) squash; crop 0 means none.
VARIANTS = {
    # Caffe: squash W×H (aspect not kept), no crop, BGR, raw levels minus mean.
    "caffe": ((40, 32), 0, Image.BICUBIC, (103.939, 116.779, 123.68), (1, 1, 1), True, 255, False),
    # MXNet: squash, then a centre crop, torchvision normalisation.
    "mxnet": ((48, 40), 32, Image.BILINEAR, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), False, 1, False),
    # EfficientNet-Lite4: shorter side, centre crop, NHWC, (x - 127) / 128.
    "lite4": (36, 32, Image.BILINEAR, (127, 127, 127), (128, 128, 128), False, 255, True),
}


def make(im, resize, crop, filt, mean, std, bgr, scale, nhwc):
    if isinstance(resize, tuple):
        im = im.resize(resize, filt)
    else:
        w, h = im.size
        if w <= h:
            im = im.resize((resize, int(resize * h / w)), filt)
        else:
            im = im.resize((int(resize * w / h), resize), filt)
    if crop:
        w, h = im.size
        top, left = int(round((h - crop) / 2.0)), int(round((w - crop) / 2.0))
        im = im.crop((left, top, left + crop, top + crop))
    x = np.asarray(im, dtype=np.uint8).astype(np.float32)  # H×W×3, RGB
    if bgr:
        x = x[:, :, ::-1]
    if scale == 1:
        x = x / np.float32(255)
    x = (x - np.array(mean, dtype=np.float32)) / np.array(std, dtype=np.float32)
    if not nhwc:
        x = x.transpose(2, 0, 1)
    return np.ascontiguousarray(x, dtype=np.float32)


def main(golden):
    os.makedirs("layouts", exist_ok=True)
    for name in IMAGES:
        im = Image.open(os.path.join(golden, "images", name + ".JPEG")).convert("RGB")
        for v, args in VARIANTS.items():
            np.save(os.path.join("layouts", "%s_%s.npy" % (name, v)), make(im, *args))


if __name__ == "__main__":
    main(sys.argv[1])
