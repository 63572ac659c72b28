"""Train a quantized (VR or ICE) convolutional network on Fashion-MNIST and export it as a ratesim model file.

The network has the layout of the MNIST network of Yan, Zhou and Wong (arXiv 2211.08410): seven
conv -> BatchNorm -> ClampFloor blocks with 3x3 convolutions, two stride-2 4x4 convolutions instead of pooling,
and a final Linear layer. --widths narrows the channels when a run must be shorter. --relu trains the same
architecture with ReLU and no quantizers, the float twin for the standard-conversion baseline.

Example:
    python3 src/main/python/train_fashion.py --timesteps 1 --levels 4 --out testdata/fashion_t1_l4.safetensors
"""

import argparse
import gzip
import os
import struct
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ratesim_export import ClampFloor, InputExpansion, export  # noqa: E402

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = 10


def read_idx(path):
    """Read a gzipped IDX file (the MNIST container) into a uint8 numpy array."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    zero, dtype_code, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: IDX magic {data[:4].hex()} is unsupported: expected unsigned bytes (0x0000 08 ..)")
    shape = struct.unpack(f">{rank}I", data[4 : 4 + 4 * rank])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: IDX body has {body.size} bytes but the shape {shape} needs {int(np.prod(shape))}")
    return body.reshape(shape).copy()


def load_split(data_dir, split):
    """Return (images uint8 [N, 28, 28], labels uint8 [N]) of the "train" or "t10k" split."""
    images = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte.gz"))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    return images, labels


def build_model(timesteps, levels, offsets, relu, widths):
    """Build the Sequential: encoder, seven conv blocks (28 -> 26 -> 24 -> 12 -> 10 -> 8 -> 4 -> 2), Linear."""
    narrow, middle, wide = widths
    layers = OrderedDict()
    if relu:
        in_channels = 1
    elif offsets:
        layers["encode"] = InputExpansion(timesteps, levels, offsets)
        in_channels = len(offsets)
    else:
        layers["encode"] = ClampFloor(timesteps, levels)
        in_channels = 1

    # (out_channels, kernel, stride, padding) of each block.
    blocks = [
        (narrow, 3, 1, 0),
        (narrow, 3, 1, 0),
        (narrow, 4, 2, 1),
        (middle, 3, 1, 0),
        (middle, 3, 1, 0),
        (middle, 4, 2, 1),
        (wide, 3, 1, 0),
    ]
    for index, (out_channels, kernel, stride, padding) in enumerate(blocks, start=1):
        layers[f"conv{index}"] = nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding)
        layers[f"bn{index}"] = nn.BatchNorm2d(out_channels)
        layers[f"act{index}"] = nn.ReLU() if relu else ClampFloor(timesteps, levels)
        in_channels = out_channels
    layers["flatten"] = nn.Flatten()
    layers["fc"] = nn.Linear(wide * 2 * 2, CLASSES)
    return nn.Sequential(layers)


def to_input(images):
    """Map uint8 images [N, 28, 28] to the model input b / 255, float32 [N, 1, 28, 28]."""
    return torch.from_numpy(images).to(torch.float32).unsqueeze(1) / 255.0


def evaluate(model, images, labels, batch_size=1000):
    """Return the top-1 accuracy of the model in eval mode on uint8 images."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            logits = model(to_input(images[start : start + batch_size]))
            predicted = logits.argmax(dim=1).numpy()
            correct += int((predicted == labels[start : start + batch_size]).sum())
    return correct / len(images)


def train(model, images, labels, epochs, batch_size, learning_rate, seed):
    """Train with Adam and cross-entropy, the learning rate following a cosine schedule down to zero."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    steps_per_epoch = (len(images) + batch_size - 1) // batch_size
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
    loss_function = nn.CrossEntropyLoss()
    label_tensor = torch.from_numpy(labels.astype(np.int64))

    for epoch in range(1, epochs + 1):
        model.train()
        started = time.perf_counter()
        order = torch.randperm(len(images), generator=generator).numpy()
        total_loss = 0.0
        for start in range(0, len(images), batch_size):
            batch = order[start : start + batch_size]
            x = to_input(images[batch])
            # Horizontal flips: a mirrored garment keeps its class, and a flip keeps the pixel bytes exact for ICE.
            flip = torch.rand(len(batch), generator=generator) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            loss = loss_function(model(x), label_tensor[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(batch)
        seconds = time.perf_counter() - started
        print(f"epoch {epoch}/{epochs}: train loss {total_loss / len(images):.4f}, {seconds:.0f} s", flush=True)


def parse_offsets(text):
    try:
        offsets = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--ice {text!r} is invalid: expected comma-separated integers, e.g. -1,0,1")
    return offsets


def parse_widths(text):
    try:
        widths = [int(part) for part in text.split(",")]
    except ValueError:
        widths = []
    if len(widths) != 3 or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"--widths {text!r} is invalid: expected three positive integers, e.g. 16,32,64")
    return widths


def join_ice_value(argv):
    """Rewrite "--ice -1,0,1" as "--ice=-1,0,1", because argparse reads a value starting with "-" as an option."""
    joined = []
    index = 0
    while index < len(argv):
        if argv[index] == "--ice" and index + 1 < len(argv):
            joined.append(f"--ice={argv[index + 1]}")
            index += 2
        else:
            joined.append(argv[index])
            index += 1
    return joined


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timesteps", type=int, default=1, help="time window T of every quantizer (default 1)")
    parser.add_argument("--levels", type=float, default=4, help="quantization levels L per unit (default 4)")
    parser.add_argument("--ice", type=parse_offsets, default=None,
                        help="use the ICE input encoder with these comma-separated offsets, e.g. -1,0,1")
    parser.add_argument("--relu", action="store_true",
                        help="train the float ReLU twin: no input encoder and ReLU instead of ClampFloor")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="seed of initialization, shuffling and flips (default 1)")
    parser.add_argument("--samples", type=int, default=256,
                        help="number of test images embedded in the model file, the first of t10k (default 256)")
    parser.add_argument("--widths", type=parse_widths, default=[32, 64, 128],
                        help="channels of blocks 1-3, 4-6 and 7 (default 32,64,128, the authors' MNIST widths)")
    parser.add_argument("--batch-size", type=int, default=128, help="training batch size (default 128)")
    parser.add_argument("--lr", type=float, default=2e-3, help="initial Adam learning rate (default 0.002)")
    parser.add_argument("--data", default=DEFAULT_DATA_DIR, help=f"directory of the IDX .gz files (default {DEFAULT_DATA_DIR})")
    parser.add_argument("--out", required=True, help="path of the model file to write")
    args = parser.parse_args(join_ice_value(sys.argv[1:] if argv is None else argv))
    if args.relu and args.ice:
        parser.error("--relu and --ice exclude each other: the ReLU twin takes the analog input")
    if args.timesteps < 1 or args.levels <= 0:
        parser.error(f"--timesteps {args.timesteps} --levels {args.levels} are invalid: need T >= 1 and L > 0")
    if args.epochs < 0 or not 0 <= args.samples <= 10000:
        parser.error("--epochs must be >= 0 and --samples in 0 .. 10000")
    return args


def main(argv=None):
    args = parse_arguments(argv)
    # One thread: the training machine is shared, and a fixed thread count keeps float reductions in one order.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)

    levels = int(args.levels) if float(args.levels).is_integer() else args.levels
    model = build_model(args.timesteps, levels, args.ice, args.relu, args.widths)
    parameter_count = sum(p.numel() for p in model.parameters())
    print(f"command: {' '.join(sys.argv)}", flush=True)
    print(f"model: {parameter_count} parameters", flush=True)

    train_images, train_labels = load_split(args.data, "train")
    test_images, test_labels = load_split(args.data, "t10k")

    started = time.perf_counter()
    train(model, train_images, train_labels, args.epochs, args.batch_size, args.lr, args.seed)
    training_seconds = time.perf_counter() - started

    accuracy = evaluate(model, test_images, test_labels)
    kind = "float ReLU" if args.relu else "float quantized"
    print(f"training time: {training_seconds:.0f} s", flush=True)
    print(f"test accuracy ({kind} ANN, {len(test_images)} images): {accuracy * 100:.2f} %", flush=True)

    samples = (test_images[: args.samples], test_labels[: args.samples])
    export(model, (1, 28, 28), args.out, samples=samples, classes=CLASSES)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)", flush=True)


if __name__ == "__main__":
    main()
