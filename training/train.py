#!/usr/bin/python3
"""Trains the vqi-demo segmentation model (background / tower / cable / rust) on the synthetic data set
written by `edge-mlops generate-data`, exports it to ONNX with the metadata the Node-RED nodes read, and
writes the model card. CPU only; see training/README.md for the recipe and the exact commands."""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

LABELS = ["background", "tower", "cable", "rust"]
COLORS = ["#000000", "#1f77b4", "#ffbf00", "#d62728"]
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SCALE = 1.0 / 255.0
# The demo test re-computes the figure on this many test images with onnxruntime-node.
CHECK_SUBSET = 24


def conv_bn_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Block(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(conv_bn_relu(cin, cout), conv_bn_relu(cout, cout))


class CompactUNet(nn.Module):
    """Three-level UNet; upsampling by nearest Resize, skips by Concat: ops that QDQ int8 handles well."""

    def __init__(self, widths=(16, 32, 48, 64), classes=len(LABELS)):
        super().__init__()
        w1, w2, w3, w4 = widths
        self.enc1, self.enc2, self.enc3, self.mid = Block(3, w1), Block(w1, w2), Block(w2, w3), Block(w3, w4)
        self.dec3, self.dec2, self.dec1 = Block(w4 + w3, w3), Block(w3 + w2, w2), Block(w2 + w1, w1)
        self.head = nn.Conv2d(w1, classes, 1)

    @staticmethod
    def up(x):
        return F.interpolate(x, scale_factor=2.0, mode="nearest")

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        e3 = self.enc3(F.max_pool2d(e2, 2))
        m = self.mid(F.max_pool2d(e3, 2))
        d3 = self.dec3(torch.cat([self.up(m), e3], 1))
        d2 = self.dec2(torch.cat([self.up(d3), e2], 1))
        d1 = self.dec1(torch.cat([self.up(d2), e1], 1))
        return self.head(d1)


def load_split(root, split, limit=None):
    with open(os.path.join(root, split, "manifest.json")) as f:
        manifest = json.load(f)
    samples = manifest["samples"][:limit] if limit else manifest["samples"]
    images = np.stack([np.asarray(Image.open(os.path.join(root, split, s["image"])).convert("RGB")) for s in samples])
    masks = np.stack([np.asarray(Image.open(os.path.join(root, split, s["mask"]))) for s in samples])
    if masks.max() >= len(LABELS):
        sys.exit(f"{split}: mask values above {len(LABELS) - 1}; regenerate the data")
    return manifest, images, masks


def to_input(images):
    """uint8 NHWC → normalised float NCHW, exactly as the metadata tells the Node-RED tensor node to do."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() * SCALE
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def random_batch(images, masks, batch, crop, rng):
    n, h, w = masks.shape
    xs, ys = [], []
    for _ in range(batch):
        i = rng.randrange(n)
        top, left = rng.randrange(h - crop + 1), rng.randrange(w - crop + 1)
        img = images[i, top:top + crop, left:left + crop]
        msk = masks[i, top:top + crop, left:left + crop]
        if rng.random() < 0.5:
            img, msk = img[:, ::-1], msk[:, ::-1]
        xs.append(np.ascontiguousarray(img))
        ys.append(np.ascontiguousarray(msk))
    return to_input(np.stack(xs)), torch.from_numpy(np.stack(ys)).long()


def dice_loss(logits, target):
    probs = logits.softmax(1)
    onehot = F.one_hot(target, len(LABELS)).permute(0, 3, 1, 2).float()
    inter = (probs * onehot).sum((0, 2, 3))
    total = probs.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
    return 1 - ((2 * inter + 1) / (total + 1)).mean()


def confusion(model, images, masks, batch=8):
    """Confusion matrix [true, predicted] over whole images."""
    k = len(LABELS)
    matrix = np.zeros((k, k), dtype=np.int64)
    model.eval()
    with torch.no_grad():
        for i in range(0, len(images), batch):
            pred = model(to_input(images[i:i + batch])).argmax(1).numpy()
            matrix += np.bincount(masks[i:i + batch].reshape(-1).astype(np.int64) * k + pred.reshape(-1),
                                  minlength=k * k).reshape(k, k)
    model.train()
    freeze(getattr(model, "frozen_norms", []))
    return matrix


def iou_report(matrix):
    """Data-set level IoU per class (intersection and union summed over all images), and their mean."""
    inter = np.diag(matrix).astype(float)
    union = matrix.sum(0) + matrix.sum(1) - np.diag(matrix)
    per_class = {label: (float(inter[c] / union[c]) if union[c] > 0 else None) for c, label in enumerate(LABELS)}
    present = [v for v in per_class.values() if v is not None]
    return {"perClass": per_class, "mIoU": float(np.mean(present)),
            "pixelAccuracy": float(inter.sum() / matrix.sum())}


def load_onnx_weights(model, path):
    """Starts from an exported model (e.g. the shipped models/vqi-demo.onnx). Export folded each BatchNorm into its
    convolution, so the folded weights go into the convolutions and every BatchNorm becomes the identity plus the
    folded bias (mean 0, variance 1 - eps, weight 1), frozen in eval mode: before the first step the network computes
    exactly what the ONNX model computes. Conv nodes appear in the graph in the order the modules are defined."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(path).graph
    weights = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    modules = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if len(convs) != len(modules):
        sys.exit(f"{path} has {len(convs)} convolutions, this network {len(modules)}: it is not a model of this recipe")
    norms = {id(seq[0]): seq[1] for seq in model.modules() if isinstance(seq, nn.Sequential) and len(seq) == 3
             and isinstance(seq[0], nn.Conv2d) and isinstance(seq[1], nn.BatchNorm2d)}
    with torch.no_grad():
        for node, conv in zip(convs, modules):
            w = weights.get(node.input[1])
            b = weights.get(node.input[2]) if len(node.input) > 2 else None
            if w is None or tuple(w.shape) != tuple(conv.weight.shape):
                sys.exit(f"{path}: convolution {node.name or node.output[0]} has weights of shape "
                         f"{None if w is None else tuple(w.shape)}, expected {tuple(conv.weight.shape)}")
            conv.weight.copy_(torch.from_numpy(w.copy()))
            bias = torch.from_numpy(b.copy()) if b is not None else torch.zeros(conv.out_channels)
            norm = norms.get(id(conv))
            if norm is None:
                conv.bias.copy_(bias)
                continue
            norm.weight.fill_(1.0)
            norm.bias.copy_(bias)
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]


def freeze(norms):
    """BatchNorm layers loaded from ONNX keep their statistics: eval mode, even while the rest trains."""
    for norm in norms:
        norm.eval()


def export_onnx(model, path, size, version, opset):
    import onnx

    model.eval()
    dummy = torch.zeros(1, 3, size, size)
    torch.onnx.export(model, dummy, path, input_names=["image"], output_names=["logits"], opset_version=opset,
                      do_constant_folding=True)
    proto = onnx.load(path)
    metadata = {
        "labels": json.dumps(LABELS), "colors": json.dumps(COLORS), "input_size": json.dumps([size, size]),
        "mean": json.dumps(MEAN), "std": json.dumps(STD), "scale": repr(SCALE), "color_order": "RGB",
        "layout": "NCHW", "name": "vqi-demo", "version": version, "task": "segmentation",
    }
    del proto.metadata_props[:]
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = "edge-mlops training/train.py"
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    return ops


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="training/data", help="directory holding train/ val/ test/ splits")
    parser.add_argument("--out", default="models/vqi-demo.onnx")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--max-minutes", type=float, default=0,
                        help="stop after this much training time (the learning-rate schedule then ends early)")
    parser.add_argument("--test-count", type=int, default=200)
    parser.add_argument("--version", default="1.0.0")
    parser.add_argument("--opset", type=int, default=13)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--metrics", default=None, help="write metrics JSON here (default: <out>.metrics.json)")
    parser.add_argument("--init", default=None,
                        help="start from this state dict (.pt) or exported model (.onnx, e.g. models/vqi-demo.onnx, "
                             "to fine-tune the shipped model); with --steps 0 only test and export")
    parser.add_argument("--smoke", action="store_true", help="a few steps on whatever data is there; export and check")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    started = time.time()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)

    if args.smoke:
        args.steps, args.batch, args.eval_every = 3, 2, 0
    train_manifest, train_images, train_masks = load_split(args.data, "train")
    size = train_manifest["size"]
    if size % 8:
        sys.exit(f"image size {size} must be a multiple of 8 for the three pooling levels")
    crop = min(args.crop, size)
    has_val = os.path.exists(os.path.join(args.data, "val", "manifest.json")) and not args.smoke
    if has_val:
        _, val_images, val_masks = load_split(args.data, "val")

    model = CompactUNet()
    params = sum(p.numel() for p in model.parameters())
    print(f"{params} parameters, {len(train_images)} training images of {size}px, crop {crop}, "
          f"{args.steps} steps × {args.batch}", flush=True)
    if train_manifest.get("labels", LABELS) != LABELS:
        sys.exit(f"the data's labels {train_manifest['labels']} are not this recipe's {LABELS}")
    frozen = []
    if args.init and args.init.endswith(".onnx"):
        frozen = load_onnx_weights(model, args.init)
        print(f"fine-tuning {args.init} (BatchNorm folded into the convolutions, kept frozen)", flush=True)
    elif args.init:
        model.load_state_dict(torch.load(args.init))
    model.frozen_norms = frozen
    model.train()
    freeze(frozen)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=max(1, args.steps), pct_start=0.1)
    weights = torch.tensor([1.0, 2.0, 2.0, 3.0])
    best = (-1.0, None)
    for step in range(1, args.steps + 1):
        x, y = random_batch(train_images, train_masks, args.batch, crop, rng)
        logits = model(x)
        loss = F.cross_entropy(logits, y, weight=weights) + dice_loss(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 50 == 0 or step == args.steps:
            elapsed = time.time() - started
            print(f"step {step} loss {loss.item():.4f} {elapsed:.0f}s (eta {elapsed / step * (args.steps - step):.0f}s)",
                  flush=True)
        if has_val and args.eval_every and (step % args.eval_every == 0 or step == args.steps):
            report = iou_report(confusion(model, val_images, val_masks))
            print(f"val step {step}: mIoU {report['mIoU']:.4f} {json.dumps(report['perClass'])}", flush=True)
            if report["mIoU"] > best[0]:
                best = (report["mIoU"], {k: v.clone() for k, v in model.state_dict().items()})
                # Kept on disk too, so an interrupted run still leaves its best model behind.
                torch.save(best[1], os.path.splitext(args.out)[0] + ".best.pt")
        if args.max_minutes and time.time() - started > args.max_minutes * 60:
            print(f"time budget of {args.max_minutes} minutes reached at step {step}", flush=True)
            if has_val:
                report = iou_report(confusion(model, val_images, val_masks))
                print(f"val step {step}: mIoU {report['mIoU']:.4f}", flush=True)
                if report["mIoU"] > best[0]:
                    best = (report["mIoU"], {k: v.clone() for k, v in model.state_dict().items()})
            args.steps = step
            break
    if best[1] is not None:
        model.load_state_dict(best[1])
    train_seconds = time.time() - started

    metrics = {"parameters": params, "steps": args.steps, "batch": args.batch, "crop": crop, "lr": args.lr,
               "threads": args.threads, "trainSeconds": round(train_seconds), "size": size,
               "trainImages": len(train_images), "trainSeed": train_manifest["seed"], "bestValMIoU": best[0]}
    has_test = os.path.exists(os.path.join(args.data, "test", "manifest.json"))
    if not args.smoke and not has_test:
        print(f"no test split in {args.data}: no test figures (a data set from edge-mlops dataset export has none)", flush=True)
    if not args.smoke and has_test:
        test_manifest, test_images, test_masks = load_split(args.data, "test", args.test_count)
        metrics["test"] = {"seed": test_manifest["seed"], "count": len(test_images),
                           **iou_report(confusion(model, test_images, test_masks))}
        metrics["testSubset"] = {"seed": test_manifest["seed"], "count": CHECK_SUBSET,
                                 **iou_report(confusion(model, test_images[:CHECK_SUBSET], test_masks[:CHECK_SUBSET]))}
        print(f"test mIoU {metrics['test']['mIoU']:.4f} {json.dumps(metrics['test']['perClass'])}", flush=True)

    metrics["opTypes"] = export_onnx(model, args.out, size, args.version, args.opset)
    metrics["onnxBytes"] = os.path.getsize(args.out)
    if not args.smoke:
        torch.save(model.state_dict(), os.path.splitext(args.out)[0] + ".pt")
    metrics_path = args.metrics or os.path.splitext(args.out)[0] + ".metrics.json"
    with open(metrics_path, "w") as f:
        json.dump(metrics, f, indent=1)
    print(f"exported {args.out} ({metrics['onnxBytes']} bytes, ops {metrics['opTypes']}); metrics in {metrics_path}",
          flush=True)


if __name__ == "__main__":
    main()
