# Makes the resample fixtures with Pillow 9.4.0 (Debian bookworm python3-pil).
# Run from this folder: /usr/bin/python3 make_fixtures.py
from PIL import Image

w, h = 37, 23
src = bytes(((x * 37 + y * 91 + c * 53 + (x * y) % 17 * 11) % 256)
            for y in range(h) for x in range(w) for c in range(3))
open('src_37x23.rgb', 'wb').write(src)
im = Image.frombytes('RGB', (w, h), src)
g = im.convert('L')
open('src_37x23.gray', 'wb').write(g.tobytes())
for name, f in (('bilinear', Image.BILINEAR), ('bicubic', Image.BICUBIC)):
    for ow, oh in ((16, 10), (37, 9), (80, 50), (20, 23), (5, 64)):
        open(f'{name}_{ow}x{oh}.rgb', 'wb').write(im.resize((ow, oh), f).tobytes())
        open(f'{name}_{ow}x{oh}.gray', 'wb').write(g.resize((ow, oh), f).tobytes())
