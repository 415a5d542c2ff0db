#!/usr/bin/env python3
"""Trains the platform's models from the data written by make-datasets.ts and writes
inference/models/<name>.{onnx,card.json}.

    /usr/bin/python3 inference/train/train.py [model ...]     (all models in .data when none named)
    /usr/bin/python3 inference/train/train.py noise-window --cv [--folds 3]   (the recipe judged on the
        real training recordings only, source-grouped folds: for choices that must not see the held-out)

Each model is a small MLP (ReLU) on the features of its feature function (or, with the recipe's
`ensemble: n`, n of them from consecutive seeds, their probabilities averaged in the graph), trained with Adam,
early-stopped on a validation split of the training set (10 %), exported to ONNX with the output
activation inside the graph (softmax for single-label models, independent sigmoids for multi-label
ones) so the worker gets probabilities. Held-out and cross-generator (validation) figures are
computed on the exported network and written into the card. Deterministic: fixed seeds, one thread,
deterministic algorithms -- running it twice produces byte-identical .onnx and card files.
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
BATCH = 256
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-5
PATIENCE = 10
VALIDATION_SHARE = 0.1


def load(name, labels):
    with open(os.path.join(DATA, name + ".json"), encoding="utf-8") as f:
        header = json.load(f)
    n, k = header["samples"], header["featureCount"]
    x = np.fromfile(os.path.join(DATA, header["files"]["features"]), dtype="<f4").reshape(n, k)
    y = np.fromfile(os.path.join(DATA, header["files"]["labels"]), dtype=np.uint8)
    y = y.reshape(n, len(labels)).astype(np.float32) if header["multiLabel"] else y.astype(np.int64)
    if len(y) != n or not np.isfinite(x).all() or header["labels"] != labels:
        sys.exit(f"dataset {name} is corrupt or stale: run `npm run models:train` to regenerate it")
    return header, x, y


class Net(nn.Module):
    def __init__(self, features, hidden, outputs):
        super().__init__()
        layers, width = [], features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x):  # logits, for training
        return self.net(x)


class Ensemble(nn.Module):
    """Several networks of one recipe trained from different seeds; the exported graph averages their
    probabilities. `forward` gives the log of the mean softmax, so softmax(forward(x)) is that mean."""

    def __init__(self, nets):
        super().__init__()
        self.nets = nn.ModuleList(nets)

    def mean_probabilities(self, x, activation):
        act = (lambda z: torch.softmax(z, dim=1)) if activation == "softmax" else torch.sigmoid
        total = act(self.nets[0](x))
        for n in self.nets[1:]:
            total = total + act(n(x))
        return total * (1.0 / len(self.nets))

    def forward(self, x):  # log mean probabilities (softmax models), for scoring like a single network's logits
        return torch.log(self.mean_probabilities(x, "softmax").clamp_min(1e-12))


class Exported(nn.Module):
    """The exported graph: features -> probabilities."""

    def __init__(self, net, activation):
        super().__init__()
        self.net, self.activation = net, activation

    def forward(self, features):
        if isinstance(self.net, Ensemble):
            return self.net.mean_probabilities(features, self.activation)
        logits = self.net(features)
        return torch.softmax(logits, dim=1) if self.activation == "softmax" else torch.sigmoid(logits)


def previous_model(spec):
    """The version this one is compared with, from git history (`compareWith`: version and commit), as a
    function features -> probabilities. The graph is one of ours (Gemm/MatMul/Add/Relu/Softmax/Sigmoid, and
    Constant/Mul/Div for an ensemble's average),
    run here in numpy so the comparison needs nothing but the committed ONNX bytes."""
    ref = spec.get("compareWith")
    if not ref:
        return None
    import subprocess
    blob = subprocess.run(["git", "-C", ROOT, "show", f"{ref['commit']}:inference/models/{spec['name']}.onnx"], check=True, capture_output=True).stdout
    run = onnx_runner(blob)
    columns = ref.get("columns")
    if columns:  # its inputs are these columns of this version's (features inserted since)
        return ref, lambda x: run(np.ascontiguousarray(x[:, columns]))
    width = ref.get("featureCount")
    if width:  # its inputs are the first `featureCount` of this version's (features added at the end since)
        return ref, lambda x: run(x[:, :width])
    return ref, run


def onnx_runner(blob):
    """features -> probabilities of one of our ONNX graphs, in numpy."""
    import onnx
    from onnx import numpy_helper
    graph = onnx.load_model_from_string(blob).graph
    weights = {i.name: numpy_helper.to_array(i).astype(np.float32) for i in graph.initializer}

    def run(x):
        env = dict(weights)
        env[graph.input[0].name] = x.astype(np.float32)
        for node in graph.node:
            a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
            i = [env[n] for n in node.input]
            if node.op_type == "Gemm":
                left = i[0].T if a.get("transA", 0) else i[0]
                right = i[1].T if a.get("transB", 0) else i[1]
                out = a.get("alpha", 1.0) * (left @ right) + (a.get("beta", 1.0) * i[2] if len(i) > 2 else 0)
            elif node.op_type == "MatMul":
                out = i[0] @ i[1]
            elif node.op_type == "Add":
                out = i[0] + i[1]
            elif node.op_type == "Constant":
                out = numpy_helper.to_array(a["value"])
            elif node.op_type == "Mul":
                out = i[0] * i[1]
            elif node.op_type == "Div":
                out = i[0] / i[1]
            elif node.op_type == "Relu":
                out = np.maximum(i[0], 0)
            elif node.op_type == "Sigmoid":
                out = 1 / (1 + np.exp(-i[0]))
            elif node.op_type == "Softmax":
                z = i[0] - i[0].max(axis=a.get("axis", -1), keepdims=True)
                e = np.exp(z)
                out = e / e.sum(axis=a.get("axis", -1), keepdims=True)
            else:
                sys.exit(f"previous model: unsupported ONNX op {node.op_type}")
            env[node.output[0]] = out.astype(np.float32)
        return env[graph.output[0].name]

    return run


def loss_fn(activation):
    if activation == "softmax":
        return nn.functional.cross_entropy
    return nn.functional.binary_cross_entropy_with_logits


def r4(v):
    return round(float(v), 4)


def binary(tp, fp, fn):
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluation(spec, probs, y, description):
    labels = spec["labels"]
    if spec["activation"] == "softmax":
        pred = probs.argmax(axis=1)
        k = len(labels)
        confusion = np.zeros((k, k), dtype=np.int64)
        np.add.at(confusion, (y, pred), 1)
        per_class = {}
        for i, label in enumerate(labels):
            tp = int(confusion[i, i])
            p, r, f = binary(tp, int(confusion[:, i].sum()) - tp, int(confusion[i, :].sum()) - tp)
            per_class[label] = {"precision": r4(p), "recall": r4(r), "f1": r4(f), "support": int(confusion[i, :].sum())}
        return {"description": description, "samples": int(len(y)), "accuracy": r4(np.trace(confusion) / confusion.sum()),
                "perClass": per_class, "confusion": confusion.tolist(), "decision": "argmax"}
    pred = probs >= 0.5
    truth = y >= 0.5
    per_class, per_label = {}, {}
    for i, label in enumerate(labels):
        tp = int((pred[:, i] & truth[:, i]).sum())
        fp = int((pred[:, i] & ~truth[:, i]).sum())
        fn = int((~pred[:, i] & truth[:, i]).sum())
        tn = int(len(y) - tp - fp - fn)
        p, r, f = binary(tp, fp, fn)
        per_class[label] = {"precision": r4(p), "recall": r4(r), "f1": r4(f), "support": int(truth[:, i].sum())}
        per_label[label] = [[tn, fp], [fn, tp]]
    accuracy = (pred == truth).all(axis=1).mean()
    return {"description": description, "samples": int(len(y)), "accuracy": r4(accuracy), "perClass": per_class,
            "confusionPerLabel": per_label, "decision": "p(label) >= 0.5 per label"}


def positive_at(probs, y, index, threshold):
    """precision / recall / F1 of class `index` decided by p >= threshold (single-label truth)."""
    pred = probs[:, index] >= threshold
    truth = y == index
    tp, fp, fn = int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())
    p, r, f = binary(tp, fp, fn)
    return {"precision": r4(p), "recall": r4(r), "f1": r4(f), "support": int(truth.sum()), "tp": tp, "fp": fp, "fn": fn}


TRADE_OFF = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]


def label_truth(spec, y, index):
    """Truth of the enforced label per row: single-label class index or multi-label column."""
    return (y == index) if spec["activation"] == "softmax" else (y[:, index] >= 0.5)


def threshold_choice(spec, probs, y, set_name):
    """The operating threshold of the enforced label, by the recipe's explicit rule (`thresholdRule`):
    `{"rule": "maxRecallAtPrecision", "precision": P}` picks, among the thresholds of the card's trade-off
    table, the one with the highest recall whose precision on `set_name` is at least P (ties: the lower
    threshold, i.e. the lowest threshold that reaches P, as recall only falls with the threshold); when none reaches P, the one with the highest precision (ties: higher recall), and says
    the target was not met. `{"rule": "fixed", "reason": ...}` records a threshold chosen elsewhere.
    Returns what goes into `metrics.thresholdChoice`, and the threshold."""
    label = spec["positive"][0]
    index = spec["labels"].index(label)
    key = label + ".on"
    in_force = spec["thresholds"].get(key, 0.5)
    rule = spec.get("thresholdRule") or {"rule": "fixed", "reason": "set in the recipe"}
    p = probs[:, index]
    truth = label_truth(spec, y, index)
    rows = []
    for t in sorted(set(TRADE_OFF + [in_force])):
        pred = p >= t
        tp, fp, fn = int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())
        pr, rc, f = binary(tp, fp, fn)
        rows.append({"threshold": t, "precision": r4(pr), "recall": r4(rc), "f1": r4(f), "tp": tp, "fp": fp, "fn": fn})
    if rule["rule"] == "maxRecallAtPrecision":
        target = float(rule["precision"])
        grid = [r for r in rows if r["threshold"] in TRADE_OFF]
        meeting = [r for r in grid if r["tp"] > 0 and r["precision"] >= target]
        if meeting:
            pick = max(meeting, key=lambda r: (r["recall"], -r["threshold"]))
        else:
            pick = max(grid, key=lambda r: (r["precision"], r["recall"]))
        text = (f"highest recall of {label} with precision >= {target} on the {set_name} split, among thresholds "
                f"{', '.join(str(t) for t in TRADE_OFF)} (the lowest that reaches it); if none reaches it, the highest precision")
        met = bool(meeting)
    else:
        pick = next(r for r in rows if r["threshold"] == in_force)
        text = f"fixed: {rule.get('reason', 'set in the recipe')}"
        target, met = None, None
    choice = {"label": label, "key": key, "rule": text, "set": set_name, "samples": int(len(p)), "support": int(truth.sum()),
              "threshold": pick["threshold"], "precision": pick["precision"], "recall": pick["recall"], "f1": pick["f1"],
              "tp": pick["tp"], "fp": pick["fp"], "fn": pick["fn"], "inForce": in_force}
    if target is not None:
        choice["targetPrecision"] = target
        choice["targetMet"] = met
    return choice, pick["threshold"]


def mark_trade_off(calibration, choice):
    """The calibration's threshold table says which threshold is in force and which the rule chose."""
    if calibration is not None and choice is not None:
        calibration["inForce"] = choice["inForce"]
        calibration["chosen"] = choice["threshold"]
    return calibration


def field_report(spec, probs, y, tags, description):
    """Figures on real recordings: overall, for the enforced class at its `.on` threshold, by day and
    night, per source, and the calibration of its score (reliability curve, threshold trade-off)."""
    labels = spec["labels"]
    ev = evaluation(spec, probs, y, description)
    label = spec["positive"][0]
    index = labels.index(label)
    threshold = spec["thresholds"].get(label + ".on", 0.5)
    ev["decision"] = f"argmax; {label} figures below also at p({label}) >= {threshold}"
    ev["atThreshold"] = {"label": label, "threshold": threshold, **positive_at(probs, y, index, threshold)}
    periods = np.array([t.split("|")[1] for t in tags])
    ev["byPeriod"] = {period: positive_at(probs[periods == period], y[periods == period], index, threshold) for period in ("day", "night")}
    sources = np.array([t.split("|")[0] for t in tags])
    per_source = {}
    for source in sorted(set(sources)):
        m = sources == source
        truth = labels[int(y[m][0])]
        called = probs[m][:, index] >= threshold
        per_source[source] = {"label": truth, "windows": int(m.sum()), "files": len({t.split("|")[2] for t in np.array(tags)[m]}),
                              f"called{label.capitalize()}": r4(called.mean()),
                              "accuracy": r4((probs[m].argmax(axis=1) == y[m]).mean())}
    ev["perSource"] = per_source
    p = probs[:, index]
    truth = y == index
    bins = []
    for k in range(10):
        lo, hi = k / 10, (k + 1) / 10
        m = (p >= lo) & ((p < hi) if k < 9 else (p <= hi))
        if m.sum():
            bins.append({"from": lo, "to": hi, "samples": int(m.sum()), "meanPredicted": r4(p[m].mean()), "observed": r4(truth[m].mean())})
    trade = []
    for t in TRADE_OFF:
        c = positive_at(probs, y, index, t)
        trade.append({"threshold": t, "precision": c["precision"], "recall": c["recall"], "f1": c["f1"], "flagged": r4((p >= t).mean())})
    brier = float(((p - truth) ** 2).mean())
    ece = sum(b["samples"] * abs(b["observed"] - b["meanPredicted"]) for b in bins) / len(p)
    calibration = {"label": label, "set": "realHeldOut", "samples": int(len(p)), "ece": r4(ece), "brier": r4(brier),
                   "reliability": bins, "thresholds": trade}
    return ev, calibration


def training_data(spec, data):
    """What the network was trained on, for the card."""
    if "realTrain" not in data:
        return data["train"]["description"] + " Synthetic data only: field recordings and officers' verdicts should be added for a field-trained version."
    share = float(spec.get("generatedShare", 1.0))
    real = f"Real recordings (rows x{int(spec.get('realWeight', 1))}): {data['realTrain']['description']}"
    if share <= 0:
        return real + f" The generated windows (held-out figures below: {data['train']['description']}) are not trained on. " + spec.get("generatedNote", "")
    return f"{data['train']['description']} ({share:.0%} of its windows kept). {real}"


def fit(spec, x_gen, y_gen, extra):
    """Trains one network: `extra` (real rows) joins the generated rows, `realWeight` times; the
    early-stopping split is drawn before any row is repeated, so no copy of a row is on both sides."""
    seed = int(spec["seed"])
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    if extra is None:
        x_all, y_all = x_gen, y_gen
        order = np.random.RandomState(seed % 2**32).permutation(len(y_all))
        n_val = int(len(order) * VALIDATION_SHARE)
        val_idx, train_idx = order[:n_val], order[n_val:]
        x_tr, y_tr = x_all[train_idx], y_all[train_idx]
        x_es, y_es = x_all[val_idx], y_all[val_idx]
    else:
        x_real, y_real = extra
        weight = int(spec.get("realWeight", 1))
        rs = np.random.RandomState(seed % 2**32)
        es_gen = rs.rand(len(y_gen)) < VALIDATION_SHARE
        es_real = rs.rand(len(y_real)) < VALIDATION_SHARE
        x_tr = np.concatenate([x_gen[~es_gen]] + [x_real[~es_real]] * weight)
        y_tr = np.concatenate([y_gen[~es_gen]] + [y_real[~es_real]] * weight)
        # `realClassWeight` {label: w}: the real training rows of that label count w times as much as the others.
        for label, w in (spec.get("realClassWeight") or {}).items():
            more = ~es_real & label_truth(spec, y_real, spec["labels"].index(label))
            x_tr = np.concatenate([x_tr] + [x_real[more]] * (weight * (int(w) - 1)))
            y_tr = np.concatenate([y_tr] + [y_real[more]] * (weight * (int(w) - 1)))
        x_es = np.concatenate([x_gen[es_gen], x_real[es_real]])
        y_es = np.concatenate([y_gen[es_gen], y_real[es_real]])
    x_train, y_train = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    x_es, y_es = torch.from_numpy(x_es), torch.from_numpy(y_es)
    features = x_tr.shape[1]
    lr = spec.get("learningRate", LEARNING_RATE)
    wd = spec.get("weightDecay", WEIGHT_DECAY)
    batch_size = spec.get("batch", BATCH)
    max_epochs = spec.get("epochs", 60)
    net = Net(features, spec["hidden"], len(spec["labels"]))
    optimiser = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=wd)
    scheduler = torch.optim.lr_scheduler.StepLR(optimiser, step_size=max(1, max_epochs // 3), gamma=0.3)
    criterion = loss_fn(spec["activation"])
    shuffler = torch.Generator().manual_seed(seed)
    best = (float("inf"), 0, copy.deepcopy(net.state_dict()))
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        net.train()
        for batch in torch.randperm(len(y_train), generator=shuffler).split(batch_size):
            optimiser.zero_grad()
            loss = criterion(net(x_train[batch]), y_train[batch])
            loss.backward()
            optimiser.step()
        scheduler.step()
        net.eval()
        with torch.no_grad():
            es_loss = criterion(net(x_es), y_es).item()
        if es_loss < best[0] - 1e-5:
            best = (es_loss, epoch, copy.deepcopy(net.state_dict()))
        elif epoch - best[1] >= PATIENCE:
            break
    net.load_state_dict(best[2])
    return net, best, epoch, len(y_es)


def fit_with_hard_examples(spec, x_all, y_all, extra, log=print):
    """`fit`, then (with `hardNegatives` and real rows) the real training windows the first network got
    wrong by a margin repeated `weight` more times and the network trained again. Returns the network,
    its early-stopping record, the real rows as trained on and the card's note."""
    labels = spec["labels"]
    net, best, epoch, x_es_n = fit(spec, x_all, y_all, extra)
    hard = spec.get("hardNegatives")
    hard_note = ""
    if hard and extra is not None:
        # Hard examples of the real training recordings: non-music windows the first network scores as
        # music, music windows it misses; repeated `weight` more times, and the network trained again.
        x_real, y_real = extra
        index = labels.index(spec["positive"][0])
        with torch.no_grad():
            p = torch.softmax(net(torch.from_numpy(x_real)), dim=1).numpy()[:, index]
        t = float(hard["threshold"])
        pick = ((y_real != index) & (p >= t)) | ((y_real == index) & (p < 1 - t))
        reps = int(hard["weight"])
        hard_note = (f" Hard examples: a first network (same recipe) was trained, then the real training windows it got wrong by a margin "
                     f"(non-music with p(music) >= {t}, music with p(music) < {1 - t}: {int(pick.sum())} of {len(y_real)}) were repeated {reps} more times and the network trained again.")
        log(f"{spec['name']}: {int(((y_real != index) & (p >= t)).sum())} hard non-music and {int(((y_real == index) & (p < 1 - t)).sum())} hard music windows, x{reps} more")
        extra = (np.concatenate([x_real] + [x_real[pick]] * reps), np.concatenate([y_real] + [y_real[pick]] * reps))
        net, best, epoch, x_es_n = fit(spec, x_all, y_all, extra)
    weights = spec.get("realClassWeight") or {}
    if weights:
        hard_note += " Real training windows of " + ", ".join(f"{label} x{int(w)}" for label, w in weights.items()) + " (on top of the real rows' weight)."
    members = int(spec.get("ensemble", 1))
    if members > 1:
        # More networks of the same recipe and data from the seeds that follow; their probabilities are averaged.
        nets, bests = [net], [best]
        for k in range(1, members):
            n_k, b_k, _, _ = fit({**spec, "seed": int(spec["seed"]) + k}, x_all, y_all, extra)
            nets.append(n_k)
            bests.append(b_k)
        net = Ensemble(nets)
        best = (float(np.mean([b[0] for b in bests])), "/".join(str(b[1]) for b in bests), None)
        hard_note += (f" Ensemble: {members} networks of this recipe and data (seeds {int(spec['seed'])}-{int(spec['seed']) + members - 1}, "
                      "each with its own early-stopping split and shuffling), their probabilities averaged in the graph.")
    return net, best, epoch, x_es_n, extra, hard_note


def cross_validate(spec, folds=3):
    """`--cv`: the recipe judged on the real TRAINING recordings only, so recipes and thresholds can be
    chosen without looking at the real held-out set. The training recordings are split into `folds`
    groups by a hash of source and file (a recording is never on both sides; a source of one file is
    out whole, as on the held-out side); each group is scored by a network trained the recipe's way on
    the generated rows and the other groups' real rows. Prints music precision / recall of the
    out-of-fold scores by day and night at the trade-off thresholds and the windows each source got
    wrong at `music.on`; writes nothing."""
    name, labels = spec["name"], spec["labels"]
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    _, x_all, y_all = load(f"{name}-train", labels)
    header, x_real, y_real = load(f"{name}-realTrain", labels)
    with open(os.path.join(DATA, header["files"]["tags"]), encoding="utf-8") as f:
        tags = json.load(f)
    keep = np.random.RandomState(int(spec["seed"]) % 2**32).rand(len(y_all)) < float(spec.get("generatedShare", 1.0))
    x_all, y_all = x_all[keep], y_all[keep]
    group = np.array([hashlib.sha256(f"{t.split('|')[0]}|{t.split('|')[2]}".encode()).digest()[0] % folds for t in tags])
    probs = np.zeros((len(y_real), len(labels)), dtype=np.float32)
    for k in range(folds):
        out = group == k
        net, *_ = fit_with_hard_examples(spec, x_all, y_all, (x_real[~out], y_real[~out]), log=lambda m: None)
        with torch.no_grad():
            probs[out] = torch.softmax(net(torch.from_numpy(x_real[out])), dim=1).numpy()
        print(f"  fold {k + 1}/{folds}: {int(out.sum())} real windows scored", flush=True)
    label = spec["positive"][0]
    index = labels.index(label)
    periods = np.array([t.split("|")[1] for t in tags])
    print(f"{name}: {label} on the real training recordings, out of fold ({len(y_real)} windows, {int((y_real == index).sum())} {label})")
    for t in TRADE_OFF:
        parts = []
        for period in ("all", "day", "night"):
            m = np.ones(len(y_real), bool) if period == "all" else periods == period
            c = positive_at(probs[m], y_real[m], index, t)
            parts.append(f"{period} P {c['precision']:.3f} R {c['recall']:.3f} (fp {c['fp']} fn {c['fn']})")
        print(f"  {t:<5} " + " | ".join(parts))
    threshold = spec["thresholds"].get(label + ".on", 0.5)
    sources = np.array([t.split("|")[0] for t in tags])
    wrong = {s: f"{int(((probs[sources == s, index] >= threshold) != (y_real[sources == s] == index)).sum())}/{int((sources == s).sum())}" for s in sorted(set(sources))}
    print(f"  windows wrong at {label}.on {threshold}: " + ", ".join(f"{s} {w}" for s, w in wrong.items() if not w.startswith("0/")))


def choice_set(spec):
    """The split the threshold rule is applied on (`thresholdRule.set`, default the cross-generator validation set)."""
    return (spec.get("thresholdRule") or {}).get("set", "validation")


def committed(name, out):
    """The card, its path and the ONNX bytes of a committed model (checked against the card's hash)."""
    path = os.path.join(out, name + ".card.json")
    with open(path, encoding="utf-8") as f:
        card = json.load(f)
    with open(os.path.join(out, name + ".onnx"), "rb") as f:
        blob = f.read()
    if hashlib.sha256(blob).hexdigest() != card["sha256"]:
        sys.exit(f"{name}: the ONNX in {out} does not match its card")
    return path, card, blob


def record_choice(spec, out):
    """`--threshold-choice`: the rule applied to the committed ONNX on its choice split only, written into
    its card (`metrics.thresholdChoice`, and `inForce` / `chosen` on the calibration's threshold table);
    the card's thresholds are not changed here."""
    name = spec["name"]
    split = choice_set(spec)
    _, x, y = load(f"{name}-{split}", spec["labels"])
    path, card, blob = committed(name, out)
    choice, _ = threshold_choice({**spec, "thresholds": card["thresholds"]}, onnx_runner(blob)(x), y, split)
    card["metrics"]["thresholdChoice"] = choice
    mark_trade_off(card["metrics"].get("calibration"), choice)
    for c in card.get("calibration") or []:
        if c.get("label") == choice["label"]:
            mark_trade_off(c, choice)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"  {name}: {choice['rule']}: {choice['threshold']} (P {choice['precision']:.4f} R {choice['recall']:.4f} on {choice['samples']} {split} rows); in force {choice['inForce']}")


def apply_thresholds(spec, out):
    """`--thresholds`: the recipe's thresholds and version written into the committed card with no
    training, and the figures that depend on them recomputed: the threshold choice's `inForce`, and the
    real held-out figures (at the threshold, by period, per source, the trade-off's marks) of the
    committed network and of the version it is compared with. Needs only the real held-out set."""
    name, labels, data = spec["name"], spec["labels"], spec["data"]
    path, card, blob = committed(name, out)
    card["version"] = spec["version"]
    card["thresholds"] = dict(spec["thresholds"])
    metrics = card["metrics"]
    choice = metrics.get("thresholdChoice")
    if choice is not None:
        choice["inForce"] = spec["thresholds"].get(choice["key"], choice["inForce"])
    if "realHeldOut" in data and "realHeldOut" in metrics:
        header_real, x_rh, y_rh = load(f"{name}-realHeldOut", labels)
        with open(os.path.join(DATA, header_real["files"]["tags"]), encoding="utf-8") as f:
            tags = json.load(f)
        packages = metrics["realHeldOut"].get("packages")
        metrics["realHeldOut"], metrics["calibration"] = field_report(spec, onnx_runner(blob)(x_rh), y_rh, tags, data["realHeldOut"]["description"])
        if packages is not None:
            metrics["realHeldOut"]["packages"] = packages
        mark_trade_off(metrics["calibration"], choice)
        previous = previous_model(spec)
        if previous and "previous" in metrics:
            metrics["previous"]["realHeldOut"], metrics["previous"]["calibration"] = field_report(spec, previous[1](x_rh), y_rh, tags, data["realHeldOut"]["description"])
    card["metrics"] = {k: metrics[k] for k in ("heldOut", "validation", "realHeldOut", "calibration", "thresholdChoice", "previous") if k in metrics}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"  {name}@{card['version']}: thresholds {card['thresholds']}")
    for title, m in ((card["version"], metrics), (metrics.get("previous", {}).get("version"), metrics.get("previous", {}))):
        if "realHeldOut" in m:
            a = m["realHeldOut"]["atThreshold"]
            periods = "; ".join(f"{k} P {c['precision']:.4f} R {c['recall']:.4f}" for k, c in m["realHeldOut"]["byPeriod"].items())
            print(f"    {title} real held-out, {a['label']} at {a['threshold']}: P {a['precision']:.4f} R {a['recall']:.4f}; {periods}")


def rescore(spec, out, x_held, y_held, has_val, x_val, y_val):
    """`--evaluate`: the figures of the ONNX already in `out` recomputed into its card (no training),
    e.g. once a data set that was missing when it was trained has been built."""
    name, data = spec["name"], spec["data"]
    path, card, blob = committed(name, out)
    run = onnx_runner(blob)
    metrics = card["metrics"]
    metrics["heldOut"] = evaluation(spec, run(x_held), y_held, data["heldOut"]["description"])
    if has_val:
        metrics["validation"] = evaluation(spec, run(x_val), y_val, data["validation"]["description"])
    previous = previous_model(spec)
    if previous and has_val:
        metrics["previous"]["validation"] = evaluation(spec, previous[1](x_val), y_val, data["validation"]["description"])
    # The texts of the recipe as it is now (the network part of the training text is the trained one's).
    old = card["training"]["description"]
    cut = old.find(" Hard examples:") if " Hard examples:" in old else old.find(" Network: MLP")
    card["training"]["description"] = training_data(spec, data) + old[cut:]
    for m in (metrics, metrics.get("previous", {})):
        if "realHeldOut" in m:
            m["realHeldOut"]["description"] = data["realHeldOut"]["description"]
    card["metrics"] = {k: metrics[k] for k in ("heldOut", "validation", "realHeldOut", "calibration", "thresholdChoice", "previous") if k in metrics}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    for title, ev in (("held-out", metrics["heldOut"]), ("cross-generator", metrics.get("validation")), ("previous, cross-generator", metrics.get("previous", {}).get("validation"))):
        if ev is None:
            continue
        print(f"  {title} ({ev['samples']} samples): accuracy {ev['accuracy']:.4f}")
        for label, c in ev["perClass"].items():
            print(f"    {label:<14} P {c['precision']:.4f}  R {c['recall']:.4f}  F1 {c['f1']:.4f}  n {c['support']}")


def train(spec, out, evaluate_only=False):
    started = time.time()
    name, labels, activation = spec["name"], spec["labels"], spec["activation"]
    header, x_all, y_all = load(f"{name}-train", labels)
    _, x_held, y_held = load(f"{name}-heldOut", labels)
    has_val = os.path.exists(os.path.join(DATA, f"{name}-validation.json"))
    if has_val:
        _, x_val, y_val = load(f"{name}-validation", labels)
    else:
        print(f"{name}: no cross-generator validation set in .data (the card will have no validation figures)")
    data = spec["data"]
    extra = None
    if "realTrain" in data:
        _, x_real, y_real = load(f"{name}-realTrain", labels)
        weight = int(spec.get("realWeight", 1))
        keep = np.random.RandomState(int(spec["seed"]) % 2**32).rand(len(y_all)) < float(spec.get("generatedShare", 1.0))
        x_all, y_all = x_all[keep], y_all[keep]
        extra = (x_real, y_real)
        print(f"{name}: {len(y_real)} real training windows (x{weight}) added to {len(y_all)} generated ones")
    seed = int(spec["seed"])
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if evaluate_only:
        return rescore(spec, out, x_held, y_held, has_val, x_val if has_val else None, y_val if has_val else None)
    net, best, epoch, x_es_n, extra, hard_note = fit_with_hard_examples(spec, x_all, y_all, extra)
    features = x_all.shape[1]
    lr = spec.get("learningRate", LEARNING_RATE)
    wd = spec.get("weightDecay", WEIGHT_DECAY)
    batch_size = spec.get("batch", BATCH)
    max_epochs = spec.get("epochs", 60)
    rows = int(len(y_all) + (0 if extra is None else len(extra[1]) * int(spec.get("realWeight", 1))))
    print(f"{name}: best early-stopping loss {best[0]:.4f} at epoch {best[1]} (stopped after {epoch})")

    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, name + ".onnx")
    exported = Exported(net, activation).eval()
    torch.onnx.export(
        exported, torch.zeros(1, features), onnx_path,
        input_names=["features"], output_names=["probabilities"],
        dynamic_axes={"features": {0: "N"}, "probabilities": {0: "N"}},
        opset_version=13, do_constant_folding=True, export_params=True,
    )
    import onnx  # only needed to check the exported graph
    onnx.checker.check_model(onnx.load(onnx_path))
    with open(onnx_path, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()

    with torch.no_grad():
        p_held = exported(torch.from_numpy(x_held)).numpy()
    held = evaluation(spec, p_held, y_held, data["heldOut"]["description"])
    metrics = {"heldOut": held}
    if has_val:
        with torch.no_grad():
            p_val = exported(torch.from_numpy(x_val)).numpy()
        metrics["validation"] = evaluation(spec, p_val, y_val, data["validation"]["description"])
    # The operating threshold, by the recipe's explicit rule on its choice split (never the real held-out).
    split = choice_set(spec)
    if split == "validation" and not has_val:
        split = "heldOut"
    choice, chosen = threshold_choice(spec, p_val if split == "validation" else p_held, y_val if split == "validation" else y_held, split)
    if (spec.get("thresholdRule") or {}).get("apply"):
        spec = {**spec, "thresholds": {**spec["thresholds"], choice["key"]: chosen}}
        choice["inForce"] = chosen
    metrics["thresholdChoice"] = choice
    if "realHeldOut" in data:
        header_real, x_rh, y_rh = load(f"{name}-realHeldOut", labels)
        with open(os.path.join(DATA, header_real["files"]["tags"]), encoding="utf-8") as f:
            tags = json.load(f)
        with torch.no_grad():
            p_rh = exported(torch.from_numpy(x_rh)).numpy()
        metrics["realHeldOut"], metrics["calibration"] = field_report(spec, p_rh, y_rh, tags, data["realHeldOut"]["description"])
        mark_trade_off(metrics["calibration"], choice)
        sources_file = os.path.join(DATA, f"{name}-real-sources.json")
        if os.path.exists(sources_file):
            with open(sources_file, encoding="utf-8") as f:
                metrics["realHeldOut"]["packages"] = json.load(f)
    previous = previous_model(spec)
    if previous:
        # The version this one replaces, scored on exactly the same data.
        ref, run = previous
        metrics["previous"] = {"version": ref["version"], "commit": ref["commit"],
                               "heldOut": evaluation(spec, run(x_held), y_held, data["heldOut"]["description"])}
        if has_val:
            metrics["previous"]["validation"] = evaluation(spec, run(x_val), y_val, data["validation"]["description"])
        if "realHeldOut" in data:
            metrics["previous"]["realHeldOut"], metrics["previous"]["calibration"] = field_report(spec, run(x_rh), y_rh, tags, data["realHeldOut"]["description"])
    hidden = "-".join(str(h) for h in spec["hidden"])
    card = {
        "name": name,
        "version": spec["version"],
        "task": spec["task"],
        "file": name + ".onnx",
        "sha256": sha256,
        "inputs": [{"name": "features", "shape": ["N", features], "dtype": "float32", "normalisation": spec["normalisation"],
                    "featureFunction": spec["featureFunction"]}],
        "outputs": [{"name": "probabilities", "shape": ["N", len(labels)], "activation": activation}],
        "labels": labels,
        "thresholds": spec["thresholds"],
        "training": {
            "seed": seed,
            "samples": rows,
            "description": (
                training_data(spec, data) + hard_note
                + f" Network: MLP {features}-{hidden}-{len(labels)} (ReLU, {activation} output in the graph), "
                f"Adam lr {lr} (x0.3 every {max(1, max_epochs // 3)} epochs), batch {batch_size}, weight decay {wd}, "
                f"{'cross-entropy' if activation == 'softmax' else 'binary cross-entropy per label'}, early stopping on a "
                f"{int(VALIDATION_SHARE * 100)}% split of the training data (best epoch{'s' if isinstance(net, Ensemble) else ''} {best[1]}); torch seed = data seed, single thread, "
                "deterministic algorithms."
            ),
            "command": "npm run models:train",
        },
        "metrics": metrics,
    }
    with open(os.path.join(out, name + ".card.json"), "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    for title, ev in (("held-out", held), ("cross-generator", metrics.get("validation"))):
        if ev is None:
            continue
        print(f"  {title} ({ev['samples']} samples): accuracy {ev['accuracy']:.4f}")
        for label, c in ev["perClass"].items():
            print(f"    {label:<14} P {c['precision']:.4f}  R {c['recall']:.4f}  F1 {c['f1']:.4f}  n {c['support']}")
    for title, m in ((spec["version"], metrics), (metrics.get("previous", {}).get("version"), metrics.get("previous", {}))):
        if "realHeldOut" not in m:
            continue
        print(f"  {name}@{title}")
        rh, cal = m["realHeldOut"], m["calibration"]
        a = rh["atThreshold"]
        print(f"  real held-out ({rh['samples']} windows): accuracy {rh['accuracy']:.4f}; {a['label']} at {a['threshold']}: P {a['precision']:.4f} R {a['recall']:.4f} F1 {a['f1']:.4f}")
        for period, c in rh["byPeriod"].items():
            print(f"    {period:<6} P {c['precision']:.4f}  R {c['recall']:.4f}  n {c['support']}  fp {c['fp']}")
        for source, c in rh["perSource"].items():
            print(f"    {source:<22} {c['label']:<13} windows {c['windows']:>4} files {c['files']:>3}  called {a['label']} {list(c.values())[3]:.3f}  accuracy {c['accuracy']:.3f}")
        print("    reliability: " + " ".join(f"[{b['from']:.1f}: {b['meanPredicted']:.2f}->{b['observed']:.2f} n{b['samples']}]" for b in cal["reliability"]))
    print(f"  wrote {onnx_path} (sha256 {sha256}) in {time.time() - started:.1f} s")


def main():
    args = sys.argv[1:]
    out = MODELS
    if "--out" in args:  # e.g. to try a recipe without replacing the committed model
        at = args.index("--out")
        out = os.path.abspath(args[at + 1])
        del args[at:at + 2]
    evaluate_only = "--evaluate" in args
    choice_only = "--threshold-choice" in args
    thresholds_only = "--thresholds" in args
    cv = "--cv" in args
    folds = 3
    if "--folds" in args:
        at = args.index("--folds")
        folds = int(args[at + 1])
        del args[at:at + 2]
    names = [a for a in args if a not in ("--evaluate", "--threshold-choice", "--thresholds", "--cv")]
    specs = sorted(f[: -len(".model.json")] for f in os.listdir(DATA) if f.endswith(".model.json")) if not names else names
    order = {"noise-window": 0, "fishing": 1, "crowding": 2}
    for name in sorted(specs, key=lambda n: order.get(n, 99)):
        with open(os.path.join(DATA, name + ".model.json"), encoding="utf-8") as f:
            spec = json.load(f)
        if cv:
            cross_validate(spec, folds)
        elif choice_only:
            record_choice(spec, out)
        elif thresholds_only:
            apply_thresholds(spec, out)
        else:
            train(spec, out, evaluate_only)


if __name__ == "__main__":
    main()
