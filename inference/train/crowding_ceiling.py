"""Upper bounds of the crowding early warning on the independent days (see crowding-ceiling.ts).

Reads the per-minute rows that `npm run models:crowding-ceiling` writes, trains a small network on the
fresh days (label: the true occupancy passes capacity within 15 minutes) from (a) the zone's minute
series as the counters gave it (the committed model's own inputs) and (b) the true occupancy instead,
and scores them and the committed model on the tuning days with the pipeline's episode rules: a
warning starts at P >= on ("risk now" at or above its threshold counts as certain), stays while
P >= off or the zone's newest estimate is at least `hold` of capacity, and ends after 5 minutes below.
A day over capacity is warned in time when a warning is in force at the close of its last minute under
capacity; a day under capacity must raise none.
"""
import json
import os
import sys

import numpy as np
import torch

SERIES = 30
HORIZON = 15


def load(data, name):
    rows = np.loadtxt(os.path.join(data, f"crowding-ceiling-{name}.csv"), delimiter=",", ndmin=2)
    with open(os.path.join(data, f"crowding-ceiling-{name}.days.jsonl"), encoding="utf-8") as f:
        days = [json.loads(line) for line in f if line.strip()]
    out = []
    for d in days:
        sel = rows[:, 0] == d["k"]
        minutes = rows[sel, 1].astype(int)
        occupancy = np.array(d["occupancy"], dtype=float) / d["capacity"]
        # A minute ending at m covers occupancy[m - 1]; the true series of the 30 minutes it closes.
        truth = np.array([[occupancy[max(0, m - SERIES + j)] for j in range(SERIES)] for m in minutes])
        label = np.array([(occupancy[m - 1:m + HORIZON] > 1).any() for m in minutes], dtype=np.float32)
        out.append({**d, "minutes": minutes, "features": rows[sel, 2:-2], "risk": rows[sel, -2], "p": rows[sel, -1], "truth": truth, "label": label})
    return out


def counters_input(d):
    return d["features"]


def truth_input(d):
    s = d["truth"]
    return np.c_[s, s[:, 1:] - s[:, :-1]]


def train(days, inputs, seed=0):
    x = torch.tensor(np.vstack([inputs(d) for d in days]), dtype=torch.float32)
    y = torch.tensor(np.concatenate([d["label"] for d in days]))
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 64), torch.nn.ReLU(), torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-5)
    for _ in range(20):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 1024):
            idx = perm[i:i + 1024]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x[idx]).squeeze(1), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    def score(d):
        with torch.no_grad():
            return torch.sigmoid(net(torch.tensor(inputs(d), dtype=torch.float32))).numpy()[:, 0]

    return score


def episodes(days, score, now, on, off, hold, gap=5):
    in_time, leads, over, under, under_alerted, near, near_alerted = 0, [], 0, 0, 0, 0, 0
    for d in days:
        p = np.where(now(d), 1.0, score(d))
        share = d["features"][:, SERIES - 1]
        start, last, starts, in_force = None, None, 0, False
        for i, m in enumerate(d["minutes"]):
            s = max(p[i], off if start is not None and share[i] >= hold else 0)
            if start is None:
                if s >= on:
                    start, last, starts = m, m, starts + 1
            elif s >= off:
                last = m
            elif m - last > gap:
                start = None
            if m == d["firstOver"]:
                in_force, lead = start is not None, (m - start if start is not None else None)
        if d["firstOver"] >= 0:
            over += 1
            if in_force:
                in_time += 1
                leads.append(lead)
        else:
            under += 1
            under_alerted += starts > 0
            if d["peakShare"] >= 0.85:
                near += 1
                near_alerted += starts > 0
    lead = f"{np.median(leads):.0f}" if leads else "-"
    return f"in time {in_time}/{over} ({in_time / over:.3f}), lead p50 {lead} min; days under alerted {under_alerted}/{under} (near misses {near_alerted}/{near})"


def main():
    data, thresholds = sys.argv[1], json.loads(sys.argv[2])
    off, hold, risk_on = thresholds.get("exceed_15m.off", 0.2), thresholds.get("exceed_15m.hold", 0.8), thresholds.get("risk_now.on", 0.8)
    fresh, tuning = load(data, "fresh"), load(data, "tuning")
    detectors = [
        ("committed model", lambda d: d["p"], lambda d: d["risk"] >= risk_on),
        ("network trained on the fresh days, counters' series", train(fresh, counters_input), lambda d: d["risk"] >= risk_on),
        ("network trained on the fresh days, true occupancy", train(fresh, truth_input), lambda d: d["truth"][:, -1] > 1),
    ]
    print(f"tuning days (episode rules: off {off}, hold {hold}, 5-minute gap):")
    for name, score, now in detectors:
        print(f"  {name}:")
        for on in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
            print(f"    on {on}: {episodes(tuning, score, now, on, min(off, on), hold)}")


if __name__ == "__main__":
    main()
