#!/usr/bin/python3
"""Trains the aps-demo failure classifier (a small MLP) on the APS-shaped data written by
`edge-mlops generate-aps`, exports it to ONNX with its pre-processing inside the graph (missing values, log1p,
standardisation) and a free batch dimension, and writes the model card. CPU only; see training/README.md."""
import argparse
import hashlib
import json
import os
import shutil
import time

import numpy as np
import onnx
import torch
import torch.nn as nn

LABELS = ["normal", "failure"]


def cost(fp, fn):
    return 10 * fp + 500 * fn


def load(data_dir, split, width):
    x = np.fromfile(os.path.join(data_dir, f"{split}.features.f32"), dtype="<f4").reshape(-1, width)
    y = np.fromfile(os.path.join(data_dir, f"{split}.labels.u8"), dtype=np.uint8).astype(np.int64)
    return x, y


class Normalise(nn.Module):
    """Raw counters → standardised log counts; a missing value (NaN) becomes the mean (0 after standardising)."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))

    def forward(self, x):
        z = (torch.log1p(torch.relu(x)) - self.mean) / self.std
        return torch.where(torch.isnan(x), torch.zeros_like(z), z)


class ApsClassifier(nn.Module):
    def __init__(self, mean, std, width, hidden=(64, 32)):
        super().__init__()
        self.normalise = Normalise(mean, std)
        self.mlp = nn.Sequential(
            nn.Linear(width, hidden[0]), nn.ReLU(), nn.Dropout(0.1),
            nn.Linear(hidden[0], hidden[1]), nn.ReLU(),
            nn.Linear(hidden[1], len(LABELS)))

    def forward(self, x):
        return self.mlp(self.normalise(x))


def confusion(scores, labels, threshold):
    predicted = scores > threshold
    tp = int(np.sum(predicted & (labels == 1)))
    fp = int(np.sum(predicted & (labels == 0)))
    fn = int(np.sum(~predicted & (labels == 1)))
    tn = int(np.sum(~predicted & (labels == 0)))
    return {
        "threshold": threshold, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "precision": tp / max(1, tp + fp), "recall": tp / max(1, tp + fn), "cost": cost(fp, fn),
    }


def failure_scores(model, x):
    with torch.no_grad():
        return torch.softmax(model(torch.from_numpy(x)), dim=1)[:, 1].numpy()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--ship", action="store_true", help="also copy the model and card into models/")
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    meta = json.load(open(os.path.join(args.data, "aps.json")))
    features = meta["features"]
    width = len(features)
    x_all, y_all = load(args.data, "train", width)
    x_test, y_test = load(args.data, "test", width)

    # 15 % of the train split (stratified) chooses the decision threshold; the test split is only reported.
    val = np.zeros(len(y_all), dtype=bool)
    for cls in (0, 1):
        idx = np.flatnonzero(y_all == cls)
        val[rng.choice(idx, size=int(0.15 * len(idx)), replace=False)] = True
    x_fit, y_fit, x_val, y_val = x_all[~val], y_all[~val], x_all[val], y_all[val]

    logs = np.log1p(np.maximum(x_fit, 0))
    mean = np.nanmean(logs, axis=0)
    std = np.nanstd(logs, axis=0)
    std = np.where(std < 1e-6, 1.0, std)
    model = ApsClassifier(mean.tolist(), std.tolist(), width)

    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    # Failures are 1 in 60: weighting them 10x pushes recall, which the APS cost values 50x over precision.
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 10.0]))
    xt, yt = torch.from_numpy(x_fit), torch.from_numpy(y_fit)
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(yt))
        total = 0.0
        for i in range(0, len(order), 256):
            batch = order[i:i + 256]
            optimiser.zero_grad()
            loss = loss_fn(model(xt[batch]), yt[batch])
            loss.backward()
            optimiser.step()
            total += float(loss) * len(batch)
        model.eval()
        val_scores = failure_scores(model, x_val)
        best = min((confusion(val_scores, y_val, t) for t in np.linspace(0.02, 0.98, 49)), key=lambda c: c["cost"])
        print(f"epoch {epoch + 1}: loss {total / len(yt):.4f}, val cost {best['cost']} at threshold {best['threshold']:.2f}", flush=True)
    model.eval()
    val_scores = failure_scores(model, x_val)
    chosen = min((confusion(val_scores, y_val, float(t)) for t in np.linspace(0.02, 0.98, 49)), key=lambda c: c["cost"])
    threshold = round(chosen["threshold"], 2)
    test_scores = failure_scores(model, x_test)
    report = {
        "at_threshold": confusion(test_scores, y_test, threshold),
        "at_0.5": confusion(test_scores, y_test, 0.5),
        "at_0.8": confusion(test_scores, y_test, 0.8),
    }
    print(json.dumps(report, indent=1))

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.onnx.export(model, torch.zeros(1, width), args.out, input_names=["features"], output_names=["logits"],
                      dynamic_axes={"features": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
    m = onnx.load(args.out)
    props = {
        "name": "aps-demo", "version": "1.0.0", "task": "classification", "output": "logits",
        "labels": json.dumps(LABELS), "positive_label": "failure", "threshold": str(threshold),
        "features": json.dumps(features),
        "normalisation": json.dumps({"in_graph": True, "transform": "log1p", "missing": "mean",
                                     "mean": [round(float(v), 6) for v in mean], "std": [round(float(v), 6) for v in std]}),
    }
    del m.metadata_props[:]
    for k, v in props.items():
        m.metadata_props.add(key=k, value=v)
    m.producer_name = "edge-mlops training/train_aps.py"
    onnx.checker.check_model(m)
    onnx.save(m, args.out)
    data = open(args.out, "rb").read()
    card = {
        "name": "aps-demo", "file": "aps-demo.onnx", "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
        "parameters": sum(p.numel() for p in model.mlp.parameters()),
        "network": f"MLP {width} → 64 → 32 → 2 (ReLU), pre-processing in the graph",
        "data": {"generator": meta["generator"], "seed": meta["seed"], "train": meta["train"], "test": meta["test"]},
        "training": {"epochs": args.epochs, "seed": args.seed, "minutes": round((time.time() - started) / 60, 2),
                     "validation": "15% of train, stratified; the threshold minimising the APS cost there"},
        "threshold": threshold, "test": report,
    }
    card_path = os.path.splitext(args.out)[0] + ".card.json"
    json.dump(card, open(card_path, "w"), indent=1)
    if args.ship:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models")
        shutil.copy(args.out, os.path.join(root, "aps-demo.onnx"))
        shutil.copy(card_path, os.path.join(root, "aps-demo.card.json"))
    print(f"wrote {args.out} ({len(data)} bytes) and {card_path}")


if __name__ == "__main__":
    main()
