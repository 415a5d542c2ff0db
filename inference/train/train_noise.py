#!/usr/bin/env python3
"""Trains the noise-source classifier and writes inference/models/noise-source.{onnx,card.json}.

Input: the datasets written by inference/train/make-dataset.ts into inference/train/.data/
(noise.json + noise.f32 + noise.labels.u8 for training, noise-heldout.* for evaluation).

Model: a small MLP (F -> 64 -> 64 -> 6, ReLU) trained with Adam on cross-entropy, early-stopped on a
validation split of the training set; the exported ONNX graph ends in a softmax, so its output
`probabilities` [N, 6] is ready for the worker's thresholds. Deterministic: fixed seeds, one thread,
deterministic algorithms -- running it twice produces a byte-identical .onnx (checked by sha256).

Run through `npm run models:train`.
"""
import copy
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "inference", "train", ".data")
MODELS = os.path.join(ROOT, "inference", "models")
NAME = "noise-source"
VERSION = "1.0.0"
HIDDEN = 64
BATCH = 256
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-5
MAX_EPOCHS = 200
PATIENCE = 15
VALIDATION_SHARE = 0.1
THRESHOLDS = {"music.on": 0.6, "music.off": 0.4}


def load(name):
    with open(os.path.join(DATA, name + ".json"), encoding="utf-8") as f:
        header = json.load(f)
    n, k = header["samples"], header["featureCount"]
    x = np.fromfile(os.path.join(DATA, header["files"]["features"]), dtype="<f4").reshape(n, k)
    y = np.fromfile(os.path.join(DATA, header["files"]["labels"]), dtype=np.uint8).astype(np.int64)
    if len(y) != n or not np.isfinite(x).all():
        sys.exit(f"dataset {name} is corrupt: run `npm run models:train` to regenerate it")
    return header, x, y


class Classifier(nn.Module):
    def __init__(self, features, classes):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(features, HIDDEN), nn.ReLU(),
            nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
            nn.Linear(HIDDEN, classes),
        )

    def forward(self, x):  # logits, for training
        return self.net(x)


class WithSoftmax(nn.Module):
    """The exported graph: features -> probabilities."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, features):
        return torch.softmax(self.classifier(features), dim=1)


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x))
        loss = nn.functional.cross_entropy(logits, torch.from_numpy(y)).item()
        pred = logits.argmax(dim=1).numpy()
    return loss, float((pred == y).mean()), pred


def metrics(labels, y, pred):
    k = len(labels)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y, pred), 1)
    per_class = {}
    for i, label in enumerate(labels):
        tp = int(confusion[i, i])
        predicted, support = int(confusion[:, i].sum()), int(confusion[i, :].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "support": support}
    accuracy = float(np.trace(confusion) / confusion.sum())
    return round(accuracy, 4), per_class, confusion.tolist()


def main():
    started = time.time()
    train_header, x_all, y_all = load("noise")
    held_header, x_held, y_held = load("noise-heldout")
    labels, features = train_header["labels"], train_header["featureCount"]
    if held_header["labels"] != labels or held_header["featureCount"] != features:
        sys.exit("training and held-out sets disagree on labels or features")
    seed = int(train_header["seed"])

    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    order = np.random.RandomState(seed).permutation(len(y_all))
    n_val = int(len(order) * VALIDATION_SHARE)
    val_idx, train_idx = order[:n_val], order[n_val:]
    x_train, y_train = torch.from_numpy(x_all[train_idx]), torch.from_numpy(y_all[train_idx])
    x_val, y_val = x_all[val_idx], y_all[val_idx]

    model = Classifier(features, len(labels))
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    shuffler = torch.Generator().manual_seed(seed)
    best = (float("inf"), 0, copy.deepcopy(model.state_dict()))
    for epoch in range(1, MAX_EPOCHS + 1):
        model.train()
        for batch in torch.randperm(len(y_train), generator=shuffler).split(BATCH):
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimiser.step()
        val_loss, val_acc, _ = evaluate(model, x_val, y_val)
        if val_loss < best[0] - 1e-5:
            best = (val_loss, epoch, copy.deepcopy(model.state_dict()))
        elif epoch - best[1] >= PATIENCE:
            break
        if epoch % 10 == 0:
            print(f"epoch {epoch:3d}  validation loss {val_loss:.4f}  accuracy {val_acc:.4f}")
    model.load_state_dict(best[2])
    print(f"early stop: best validation loss {best[0]:.4f} at epoch {best[1]} (stopped after {epoch})")

    os.makedirs(MODELS, exist_ok=True)
    onnx_path = os.path.join(MODELS, NAME + ".onnx")
    exported = WithSoftmax(model).eval()
    torch.onnx.export(
        exported, torch.zeros(1, features), onnx_path,
        input_names=["features"], output_names=["probabilities"],
        dynamic_axes={"features": {0: "N"}, "probabilities": {0: "N"}},
        opset_version=13, do_constant_folding=True, export_params=True,
    )
    import onnx  # imported late: only needed to check the exported graph
    onnx.checker.check_model(onnx.load(onnx_path))
    with open(onnx_path, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()

    _, _, pred = evaluate(model, x_held, y_held)
    accuracy, per_class, confusion = metrics(labels, y_held, pred)
    macro_f1 = sum(c["f1"] for c in per_class.values()) / len(per_class)

    card = {
        "name": NAME,
        "version": VERSION,
        "task": "noise source classification of one 1-second sound level meter reading (31 unweighted 1/3-octave bands, LAeq, LAFmax); "
                "single-label, softmax over the labels; level-invariant features, so the legal limit, not the model, judges loudness",
        "file": NAME + ".onnx",
        "sha256": sha256,
        "inputs": [{"name": "features", "shape": ["N", features], "dtype": "float32", "normalisation": train_header["normalisation"]}],
        "outputs": [{"name": "probabilities", "shape": ["N", len(labels)]}],
        "labels": labels,
        "thresholds": THRESHOLDS,
        "training": {
            "seed": seed,
            "samples": int(len(y_all)),
            "description": (
                f"Synthetic readings from the simulator's physically grounded generators ({train_header['generator']}); "
                f"{train_header['perClass']} per class, balanced; LAeq drawn uniformly per class {json.dumps(train_header['levels'])} dB(A); "
                f"features by inference/noise-features.ts. MLP {features}-{HIDDEN}-{HIDDEN}-{len(labels)} (ReLU, softmax), Adam lr {LEARNING_RATE}, "
                f"batch {BATCH}, weight decay {WEIGHT_DECAY}, early stopping on a {int(VALIDATION_SHARE * 100)}% validation split "
                f"(best epoch {best[1]}); torch seed = data seed, single thread, deterministic algorithms. "
                "Field recordings and officers' dismissals should be added for a field-trained version."
            ),
            "command": "npm run models:train",
        },
        "metrics": {
            "heldOut": {
                "description": f"generator held-out set (seed {held_header['seed']}, {held_header['perClass']} independent samples per class, "
                               f"same level ranges); synthetic, so field precision must be measured separately",
                "samples": int(len(y_held)),
                "accuracy": accuracy,
                "perClass": per_class,
                "confusion": confusion,
            }
        },
    }
    with open(os.path.join(MODELS, NAME + ".card.json"), "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2)
        f.write("\n")

    print(f"held-out ({len(y_held)} samples): accuracy {accuracy:.4f}, macro F1 {macro_f1:.4f}")
    print(f"{'class':<14}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for label, c in per_class.items():
        print(f"{label:<14}{c['precision']:>10.4f}{c['recall']:>10.4f}{c['f1']:>10.4f}{c['support']:>9d}")
    print("confusion (rows = true, columns = predicted, label order):")
    for label, row in zip(labels, confusion):
        print(f"  {label:<14}" + "".join(f"{v:>7d}" for v in row))
    print(f"wrote {onnx_path} (sha256 {sha256}) and its card in {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
