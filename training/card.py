#!/usr/bin/python3
"""Writes the model card (models/<name>.md) and its machine-readable figures (models/<name>.card.json) from the
metrics JSON that train.py wrote, and copies the model next to them."""
import argparse
import hashlib
import json
import os
import shutil


def pct(value):
    return "n/a" if value is None else f"{value * 100:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", required=True, help="the .onnx that train.py exported (metrics JSON next to it)")
    parser.add_argument("--models", default="models")
    parser.add_argument("--data", default="training/data", help="where the splits are (for the validation split's size)")
    parser.add_argument("--name", default="vqi-demo")
    parser.add_argument("--command", required=True, help="the exact training command, for the card")
    parser.add_argument("--data-command", required=True, help="the exact data generation commands, for the card")
    args = parser.parse_args()

    metrics = json.load(open(os.path.splitext(args.run)[0] + ".metrics.json"))
    val = json.load(open(os.path.join(args.data, "val", "manifest.json")))
    os.makedirs(args.models, exist_ok=True)
    model_path = os.path.join(args.models, f"{args.name}.onnx")
    shutil.copyfile(args.run, model_path)
    digest = hashlib.sha256(open(model_path, "rb").read()).hexdigest()
    test, subset = metrics["test"], metrics["testSubset"]
    card = {
        "name": args.name,
        "file": f"{args.name}.onnx",
        "sha256": digest,
        "bytes": os.path.getsize(model_path),
        "parameters": metrics["parameters"],
        "inputSize": [metrics["size"], metrics["size"]],
        "labels": list(test["perClass"].keys()),
        "data": {"generator": "edge-mlops generate-data (lib/synthetic)", "size": metrics["size"],
                 "train": {"seed": metrics["trainSeed"], "count": metrics["trainImages"]},
                 "val": {"seed": val["seed"], "count": val["count"]},
                 "test": {"seed": test["seed"], "count": test["count"]}},
        "recipe": {k: metrics[k] for k in ("steps", "batch", "crop", "lr", "threads")},
        "trainSeconds": metrics["trainSeconds"],
        "bestValMIoU": metrics["bestValMIoU"],
        "metrics": {"test": test, "testSubset": subset},
        "opTypes": metrics["opTypes"],
        "commands": {"data": args.data_command, "train": args.command},
    }
    with open(os.path.join(args.models, f"{args.name}.card.json"), "w") as f:
        json.dump(card, f, indent=1)
        f.write("\n")

    rows = "\n".join(f"| {label} | {pct(test['perClass'][label])} | {pct(subset['perClass'][label])} |"
                     for label in card["labels"])
    foreground = [v for k, v in test["perClass"].items() if k != "background" and v is not None]
    minutes = metrics["trainSeconds"] / 60
    text = f"""# Model card: {args.name}

A small semantic-segmentation model that ships with `@edge-mlops/node-red-vision` so the visual-inspection
pipeline (image → tensor → infer → segment → condition) works out of the box. It finds **transmission towers,
power cables and rust on tower members** in 256 × 256 pictures.

It is a **stand-in, trained only on synthetic pictures** made by this package's own generator
(`edge-mlops generate-data`). It is *not* the TTPLA data set and *not* the ResNet models of the paper this project
follows, neither of which can be shipped here. Expect it to work on the generator's pictures and to fail on real
aerial photographs. Replace it with a model trained on real data for any real inspection.

| | |
| --- | --- |
| File | `models/{args.name}.onnx` ({card['bytes'] / 1e6:.2f} MB, sha256 `{digest[:16]}…`) |
| Input | `image`: float32 `[1, 3, {metrics['size']}, {metrics['size']}]`, RGB, NCHW, `(pixel / 255 − mean) / std`, mean `[0.485, 0.456, 0.406]`, std `[0.229, 0.224, 0.225]` |
| Output | `logits`: float32 `[1, 4, {metrics['size']}, {metrics['size']}]`; class = arg-max |
| Classes | 0 background, 1 tower, 2 cable, 3 rust (colours `#000000 #1f77b4 #ffbf00 #d62728`) |
| Metadata | `labels`, `colors`, `input_size`, `mean`, `std`, `scale`, `color_order`, `layout`, `name`, `version`, `task` in `metadata_props`, read by the tensor and segment nodes |
| Network | compact UNet: 3 pooling levels, widths 16/32/48/64, Conv-BN-ReLU pairs (BatchNorm folded into Conv on export), nearest-neighbour Resize up, Concat skips; {metrics['parameters']:,} parameters |
| Operators | {', '.join(metrics['opTypes'])} (ONNX opset 13) — all handled by onnxruntime and by QDQ int8 quantisation |

## Data

Synthetic aerial-looking scenes (`lib/synthetic`): field, forest, sky-with-horizon and bare-ground backgrounds
with texture, roads, tree blobs, lighting gradients, colour casts, grain and occasional blur; lattice towers of
varied size, angle and position (tapered legs, cross-bracing, 1–3 cross-arms, insulators, peak), sometimes two
towers with spans between them, sometimes only crossing cables; cables as catenary curves; rust on about half of
the towers, painted on tower-member pixels only. Masks are exact: drawn from the same geometry with anti-aliasing
off.

| split | seed | pictures |
| --- | --- | --- |
| train | {metrics['trainSeed']} | {metrics['trainImages']} |
| validation (model selection) | {val['seed']} | {val['count']} |
| test (figures below) | {test['seed']} | {test['count']} |

Splits are generated from different seeds, and the split name is mixed into every sample seed.

## Recipe

{args.data_command}

{args.command}

AdamW, one-cycle learning rate up to {metrics['lr']}, {metrics['steps']} steps of batch {metrics['batch']} random
{metrics['crop']} × {metrics['crop']} crops with horizontal flips, loss = class-weighted cross-entropy (1, 2, 2, 3)
+ soft Dice; the checkpoint with the best validation mIoU (evaluated every few hundred steps) is exported.
CPU only, {metrics['threads']} threads: **{minutes:.0f} minutes** of training (plus about a minute each for the data
and the test evaluation) on a 2-core machine that five other jobs were using at the same time; a step took 1–6 s
depending on that load. On an idle machine of that size expect about half of it. PyTorch 1.13 from Debian.

## Metrics

Intersection over union per class on the held-out test split, with intersections and unions summed over all
pictures (not averaged per picture); mIoU is the mean over the four classes, background included.

| class | IoU % (test, {test['count']} pictures) | IoU % (first {subset['count']} test pictures) |
| --- | --- | --- |
{rows}
| **mIoU** | **{pct(test['mIoU'])}** | **{pct(subset['mIoU'])}** |
| mean over tower, cable, rust | {pct(sum(foreground) / len(foreground))} | |
| pixel accuracy | {pct(test['pixelAccuracy'])} | {pct(subset['pixelAccuracy'])} |

The second column is checked by `test/demo-model.test.ts`, which regenerates those pictures with the test seed and
runs this ONNX file in onnxruntime-node with the same pre-processing; it must stay within 0.02 of the figure in
`models/{args.name}.card.json`.

## Intended use

- Demonstrating and testing the Node-RED pipeline and the `mlops-condition` rules (rust share of the tower →
  WARNING / CRITICAL) without downloading anything.
- A baseline for the quantisation and benchmark tooling (int8 QDQ, latency on the edge device).

## Limits

- Synthetic data only; the pictures are cleaner and simpler than real drone footage (no real textures, no
  perspective foreshortening of lattices, insulators drawn as single lines, no vegetation overlapping towers). It will not
  generalise to real photographs, and its numbers say nothing about real inspection accuracy.
- Thin structures: cables and bracing are 1–3 pixels wide at 256 × 256; most errors are at their edges.
- Rust is a flat orange-brown paint on members; real corrosion looks different, and rust on anything other than
  a tower is, by design of the data, never labelled rust.
- Fixed input size 256 × 256; larger pictures are resized, which thins the cables further.
"""
    with open(os.path.join(args.models, f"{args.name}.md"), "w") as f:
        f.write(text)
    print(f"wrote {model_path}, {args.name}.md and {args.name}.card.json")


if __name__ == "__main__":
    main()
