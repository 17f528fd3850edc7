#!/usr/bin/env python3
"""Train the paper's Network-in-Network on CIFAR-10 with PyTorch (CPU or CUDA), resumably.

Why PyTorch and not `rho train --arch nin`: on our 2-core machines tfjs + wasm trains NiN at about
9 images/s, Debian's python3-torch at about 3x that; NiN needs tens of epochs. The architecture is
exactly the zoo's `nin` (packages/models/src/zoo.ts): TensorFlow-style "same" padding, 3x3/2 max
then average pooling (the average excludes the padding, as TensorFlow's does), global average
pooling. Batch normalisation after each convolution but the last is used while training and folded
into the convolutions on export, so the shipped model is exactly conv/ReLU/pool.

  train:  train_nin.py train --data-dir DIR [--epochs 30] [--threads N] [--device cpu|cuda]
  export: train_nin.py export --out models/nin-cifar10     (rho's format: model.json, weights.bin,
          rho.json with the input normalisation; checked by `npx rho accuracy`)

State lives in --state-dir (default: this folder): checkpoint.pt (model, optimiser, RNG state,
position inside the epoch) written every --save-minutes and at each epoch's end, and log.jsonl (one
line per epoch: loss, accuracies, seconds). Killed at any point, `train` continues from the last
checkpoint with the same schedule; the cosine learning-rate schedule is fixed by --epochs at the
first start and recorded in the checkpoint.
"""
import argparse
import hashlib
import json
import math
import os
import signal
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_FILE = "test_batch.bin"
# Per-channel mean and standard deviation of the CIFAR-10 training images on the 0-1 scale.
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
RECORD = 1 + 3 * 32 * 32


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_cifar(data_dir, files):
    images, labels = [], []
    for name in files:
        path = os.path.join(data_dir, name)
        raw = open(path, "rb").read()
        if len(raw) % RECORD != 0:
            sys.exit(f"{path}: {len(raw)} bytes is not a whole number of {RECORD}-byte records")
        t = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, RECORD)
        labels.append(t[:, 0].long())
        images.append(t[:, 1:].reshape(-1, 3, 32, 32).clone())
    return torch.cat(images), torch.cat(labels)


class SamePool(nn.Module):
    """3x3 stride-2 pooling with TensorFlow's "same" padding on even sizes (one row/column after)."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def forward(self, x):
        if self.kind == "max":
            return F.max_pool2d(F.pad(x, (0, 1, 0, 1), value=-math.inf), 3, 2)
        total = F.avg_pool2d(F.pad(x, (0, 1, 0, 1)), 3, 2, divisor_override=1)
        ones = torch.ones(1, 1, x.shape[2], x.shape[3], dtype=x.dtype, device=x.device)
        count = F.avg_pool2d(F.pad(ones, (0, 1, 0, 1)), 3, 2, divisor_override=1)
        return total / count


# (name, out channels, kernel, batch norm + ReLU after it); pools/dropout between the blocks.
CONVS = [
    ("conv1", 192, 5, True), ("cccp1", 160, 1, True), ("cccp2", 96, 1, True),
    ("conv2", 192, 5, True), ("cccp3", 192, 1, True), ("cccp4", 192, 1, True),
    ("conv3", 192, 3, True), ("cccp5", 192, 1, True), ("cccp6", 10, 1, False),
]


class NiN(nn.Module):
    def __init__(self, dropout):
        super().__init__()
        self.convs = nn.ModuleDict()
        self.bns = nn.ModuleDict()
        cin = 3
        for name, cout, k, bn in CONVS:
            self.convs[name] = nn.Conv2d(cin, cout, k, padding=k // 2)
            if bn:
                self.bns[name] = nn.BatchNorm2d(cout)
            cin = cout
        self.maxpool = SamePool("max")
        self.avgpool = SamePool("avg")
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        for name, _, _, bn in CONVS:
            x = self.convs[name](x)
            if bn:
                x = F.relu(self.bns[name](x))
            if name == "cccp2":
                x = self.dropout(self.maxpool(x))
            elif name == "cccp4":
                x = self.dropout(self.avgpool(x))
        return x.mean(dim=(2, 3))


def normalise(images_u8, device):
    mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=device).view(1, 3, 1, 1)
    return (images_u8.to(device).float() / 255 - mean) / std


def augment(batch_u8, gen):
    """Random crop from the image padded by 4 (zeros) and a random horizontal flip."""
    n = batch_u8.shape[0]
    padded = F.pad(batch_u8, (4, 4, 4, 4))
    offsets = torch.randint(0, 9, (n, 2), generator=gen)
    flips = torch.rand(n, generator=gen) < 0.5
    out = torch.empty_like(batch_u8)
    for i in range(n):
        dy, dx = int(offsets[i, 0]), int(offsets[i, 1])
        crop = padded[i, :, dy : dy + 32, dx : dx + 32]
        out[i] = crop.flip(2) if flips[i] else crop
    return out


def evaluate(model, images, labels, device, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, images.shape[0], batch):
            logits = model(normalise(images[s : s + batch], device))
            correct += int((logits.argmax(1).cpu() == labels[s : s + batch]).sum())
    model.train()
    return correct / images.shape[0]


def lr_at(step, total_steps, peak, warmup_steps):
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return 0.5 * peak * (1 + math.cos(math.pi * progress))


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(args):
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    os.makedirs(args.state_dir, exist_ok=True)
    ckpt_path = os.path.join(args.state_dir, "checkpoint.pt")
    log_path = os.path.join(args.state_dir, "log.jsonl")
    train_x, train_y = load_cifar(args.data_dir, TRAIN_FILES)
    test_x, test_y = load_cifar(args.data_dir, [TEST_FILE])
    data_sha = {name: sha256(os.path.join(args.data_dir, name)) for name in TRAIN_FILES + [TEST_FILE]}

    torch.manual_seed(args.seed)
    model = NiN(args.dropout).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                          weight_decay=args.weight_decay)
    config = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "weight_decay", "dropout", "seed", "warmup_epochs")}
    state = {"epoch": 0, "batch": 0, "seconds": 0.0, "epoch_seconds": 0.0, "loss_sum": 0.0, "correct": 0, "seen": 0}
    gen = torch.Generator()
    if os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path, map_location=device)
        config = ckpt["config"]  # the schedule is the first start's
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        state = ckpt["state"]
        gen.set_state(ckpt["generator"])
        torch.set_rng_state(ckpt["torch_rng"])
        print(f"resuming at epoch {state['epoch'] + 1}, batch {state['batch']} ({config})", flush=True)
    else:
        print(f"starting {config}", flush=True)
    if args.epochs != config["epochs"]:
        print(f"note: keeping the first start's schedule of {config['epochs']} epochs", flush=True)

    bs = config["batch_size"]
    steps_per_epoch = math.ceil(train_x.shape[0] / bs)
    total_steps = config["epochs"] * steps_per_epoch
    warmup = config["warmup_epochs"] * steps_per_epoch
    last_save = time.time()

    def checkpoint():
        save_atomic({"config": config, "model": model.state_dict(), "optimizer": opt.state_dict(), "state": state,
                     "generator": gen.get_state(), "torch_rng": torch.get_rng_state(), "data_sha256": data_sha}, ckpt_path)

    # SIGTERM or Ctrl-C: finish the batch, checkpoint, exit (a restart loses nothing)
    stop = {"now": False}

    def ask_stop(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, ask_stop)
    signal.signal(signal.SIGINT, ask_stop)

    model.train()
    while state["epoch"] < config["epochs"]:
        epoch = state["epoch"]
        # The epoch's order depends only on the seed and the epoch, so a resume mid-epoch sees the same one.
        order = torch.randperm(train_x.shape[0], generator=torch.Generator().manual_seed(config["seed"] * 1000 + epoch))
        if state["batch"] == 0:
            gen.manual_seed(config["seed"] * 1000 + epoch + 1)
        t0 = time.time()
        for b in range(state["batch"], steps_per_epoch):
            step = epoch * steps_per_epoch + b
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total_steps, config["lr"], warmup)
            idx = order[b * bs : (b + 1) * bs]
            x = normalise(augment(train_x[idx], gen), device)
            y = train_y[idx].to(device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            state["loss_sum"] += float(loss) * idx.shape[0]
            state["correct"] += int((logits.argmax(1) == y).sum())
            state["seen"] += idx.shape[0]
            state["batch"] = b + 1
            now = time.time()
            state["epoch_seconds"] += now - t0
            state["seconds"] += now - t0
            t0 = now
            if (b + 1) % 20 == 0:
                rate = state["seen"] / max(state["epoch_seconds"], 1e-9)
                print(f"epoch {epoch + 1}/{config['epochs']} batch {b + 1}/{steps_per_epoch} "
                      f"loss {state['loss_sum'] / state['seen']:.4f} {rate:.1f} images/s", flush=True)
            if now - last_save > args.save_minutes * 60 or stop["now"]:
                checkpoint()
                last_save = now
            if stop["now"]:
                print(f"stopped at epoch {epoch + 1}, batch {b + 1}: checkpoint saved", flush=True)
                return
        t_eval = time.time()
        last = epoch + 1 == config["epochs"]
        test_acc = evaluate(model, test_x, test_y, device) if last or (epoch + 1) % args.eval_every == 0 else None
        entry = {"epoch": epoch + 1, "lr_end": opt.param_groups[0]["lr"], "train_loss": state["loss_sum"] / state["seen"],
                 "train_accuracy": state["correct"] / state["seen"], "test_accuracy": test_acc,
                 "train_seconds": round(state["epoch_seconds"], 1), "eval_seconds": round(time.time() - t_eval, 1),
                 "images_per_second": round(state["seen"] / state["epoch_seconds"], 2), "threads": args.threads,
                 "device": str(device)}
        with open(log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")
        print(json.dumps(entry), flush=True)
        state.update({"epoch": epoch + 1, "batch": 0, "epoch_seconds": 0.0, "loss_sum": 0.0, "correct": 0, "seen": 0})
        checkpoint()
        last_save = time.time()
    print("training finished", flush=True)


def folded(model):
    """Each convolution with its batch normalisation folded in: (name, weight OIHW, bias)."""
    out = []
    for name, _, _, bn in CONVS:
        conv = model.convs[name]
        w = conv.weight.detach().double()
        b = conv.bias.detach().double()
        if bn:
            m = model.bns[name]
            scale = m.weight.detach().double() / torch.sqrt(m.running_var.double() + m.eps)
            w = w * scale.view(-1, 1, 1, 1)
            b = (b - m.running_mean.double()) * scale + m.bias.detach().double()
        out.append((name, w, b))
    return out


def folded_forward(layers, x):
    """The exported network in float64 from its float32-rounded weights: conv/ReLU/pool only."""
    maxpool, avgpool = SamePool("max"), SamePool("avg")
    for name, w, b in layers:
        w32, b32 = w.float().double(), b.float().double()
        x = F.conv2d(x, w32, b32, padding=w.shape[2] // 2)
        if name != "cccp6":
            x = F.relu(x)
        if name == "cccp2":
            x = maxpool(x)
        elif name == "cccp4":
            x = avgpool(x)
    return x.mean(dim=(2, 3))


def write_reference(model, out, count=4, seed=0):
    """reference.json: seeded random images (0-255, height x width x channel order, as rho reads
    pixels) and the logits the exported weights give them in float64, so that a test can check
    rho's import of the shipped model against PyTorch without the dataset."""
    gen = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (count, 3, 32, 32), generator=gen, dtype=torch.uint8)
    mean = torch.tensor(MEAN, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float64).view(1, 3, 1, 1)
    x = (images.double() / 255 - mean) / std
    with torch.no_grad():
        logits = folded_forward(folded(model), x)
        # sanity: folding batch normalisation changed nothing but rounding
        direct = model.double()(x)
        model.float()
    gap = float((logits - direct).abs().max())
    if gap > 1e-3 * max(1.0, float(direct.abs().max())):
        sys.exit(f"folded network differs from the trained one by {gap}")
    ref = {
        "about": "seeded random images (uint8, HWC) and the exported network's float64 logits "
        "(training/nin-cifar10/train_nin.py export)",
        "images": [img.permute(1, 2, 0).reshape(-1).tolist() for img in images],
        "logits": logits.tolist(),
    }
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(ref, f)


def export(args):
    ckpt = torch.load(os.path.join(args.state_dir, "checkpoint.pt"), map_location="cpu")
    model = NiN(ckpt["config"]["dropout"])
    model.load_state_dict(ckpt["model"])
    model.eval()
    os.makedirs(args.out, exist_ok=True)
    layers, manifest, blobs = [], [], []

    def conv_layer(name, w, b, first):
        cfg = {"name": name, "trainable": True, "dtype": "float32", "filters": w.shape[0],
               "kernel_size": [w.shape[2], w.shape[3]], "strides": [1, 1],
               "padding": "same" if w.shape[2] > 1 else "valid", "data_format": "channels_last",
               "dilation_rate": [1, 1], "activation": "linear", "use_bias": True}
        if first:
            cfg["batch_input_shape"] = [None, 32, 32, 3]
        layers.append({"class_name": "Conv2D", "config": cfg})
        kernel = w.permute(2, 3, 1, 0).contiguous().float()  # OIHW -> HWIO (Keras)
        for suffix, t in (("kernel", kernel), ("bias", b.float())):
            manifest.append({"name": f"{name}/{suffix}", "shape": list(t.shape), "dtype": "float32"})
            blobs.append(t.numpy().astype("<f4").tobytes())

    def simple(cls, name, **cfg):
        layers.append({"class_name": cls, "config": {"name": name, "trainable": True, "dtype": "float32", **cfg}})

    pool = {"pool_size": [3, 3], "strides": [2, 2], "padding": "same", "data_format": "channels_last"}
    relu_names = {"conv1": "relu1", "cccp1": "relu_cccp1", "cccp2": "relu_cccp2", "conv2": "relu2",
                  "cccp3": "relu_cccp3", "cccp4": "relu_cccp4", "conv3": "relu3", "cccp5": "relu_cccp5"}
    for i, (name, w, b) in enumerate(folded(model)):
        conv_layer(name, w, b, i == 0)
        if name in relu_names:
            simple("ReLU", relu_names[name])
        if name == "cccp2":
            simple("MaxPooling2D", "pool1", **pool)
            simple("Dropout", "drop1", rate=0.5)
        elif name == "cccp4":
            simple("AveragePooling2D", "pool2", **pool)
            simple("Dropout", "drop2", rate=0.5)
    simple("GlobalAveragePooling2D", "pool3", data_format="channels_last")
    model_json = {
        "format": "layers-model",
        "generatedBy": "training/nin-cifar10/train_nin.py (PyTorch %s)" % torch.__version__,
        "convertedBy": None,
        "modelTopology": {"class_name": "Sequential", "config": {"name": "nin", "layers": layers},
                          "keras_version": "tfjs-layers 4.22.0", "backend": "tensor_flow.js"},
        "weightsManifest": [{"paths": ["weights.bin"], "weights": manifest}],
    }
    with open(os.path.join(args.out, "weights.bin"), "wb") as f:
        for blob in blobs:
            f.write(blob)
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(model_json, f)
    rho = {"preprocess": {"scale": [1 / (255 * s) for s in STD], "shift": [-m / s for m, s in zip(MEAN, STD)]}}
    with open(os.path.join(args.out, "rho.json"), "w") as f:
        json.dump(rho, f, indent=2)
    write_reference(model, args.out)
    if args.data_dir:
        test_x, test_y = load_cifar(args.data_dir, [TEST_FILE])
        acc = evaluate(model, test_x, test_y, torch.device("cpu"))
        print(f"PyTorch test accuracy of the checkpoint: {acc:.4f}")
    print(f"wrote {args.out}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data-dir", required=True)
    t.add_argument("--state-dir", default=HERE)
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=0.1)
    t.add_argument("--weight-decay", type=float, default=5e-4)
    t.add_argument("--dropout", type=float, default=0.3)
    t.add_argument("--warmup-epochs", type=int, default=1)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    t.add_argument("--device", default="cpu")
    t.add_argument("--save-minutes", type=float, default=10)
    t.add_argument("--eval-every", type=int, default=5, help="test accuracy every N epochs (and after the last)")
    e = sub.add_parser("export")
    e.add_argument("--state-dir", default=HERE)
    e.add_argument("--out", required=True)
    e.add_argument("--data-dir")
    args = p.parse_args()
    train(args) if args.cmd == "train" else export(args)


if __name__ == "__main__":
    main()
